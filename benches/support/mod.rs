//! What the bench binaries share: a fresh database.

#![allow(dead_code)] // each bench binary uses part of this module

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Mutex;

use chrono::NaiveDate;
use perdiem::domain::authorization::AuthorizationInput;
use perdiem::domain::client::ClientInput;
use perdiem::domain::coverage::CoverageInput;
use perdiem::domain::episode::EpisodeInput;
use perdiem::domain::fee_schedule::FeeScheduleInput;
use perdiem::domain::ids::{
    AuthorizationId, ClientId, CoverageId, EpisodeId, FeeScheduleId, UserId,
};
use perdiem::domain::organization::OrganizationInput;
use perdiem::domain::payer::BillingRulesInput;
use perdiem::store::{
    authorizations, clients, coverages, episodes, fee_schedules, organization, users,
};
use serde_json::{json, Value};

use perdiem::config::Settings;
use perdiem::domain::ids::PayerId;
use perdiem::domain::payer::PayerInput;
use perdiem::domain::role::Role;
use perdiem::secrets::SecretKey;
use perdiem::startup::Application;
use perdiem::store::payers::{self, Payer};
use perdiem::store::{Db, Tx};
use secrecy::SecretString;

/// The key payer secrets are sealed with, by the bench's set-up and by the served API alike.
const SECRETS_KEY: &str = "YmVuY2gtc2VjcmV0cy1rZXktMzItYnl0ZXMtbG9uZyE=";

fn secret_key() -> SecretKey {
    SecretKey::from_base64(SECRETS_KEY).unwrap()
}

/// Stores a payer, its secrets sealed with the key the served API opens them with.
pub async fn insert_payer(tx: &mut Tx, payer: PayerInput) -> Payer {
    payers::insert(tx, &secret_key(), PayerId::new(), &payer.parse().unwrap())
        .await
        .unwrap()
}

/// The SQLite files this bench made, removed by [`remove_files`].
static FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the bench's SQLite files (with their -wal and -shm): a run leaves about 80 MB.
/// `PERDIEM_BENCH_KEEP=1` keeps them, named on stderr, for a look at the queries afterwards.
pub fn remove_files() {
    if std::env::var_os("PERDIEM_BENCH_KEEP").is_some() {
        for file in FILES.lock().unwrap().iter() {
            eprintln!("kept {}", file.display());
        }
        return;
    }
    for file in FILES.lock().unwrap().drain(..) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}

/// A fresh, migrated database: a SQLite file in the temp directory, or a new schema on the
/// PostgreSQL server that TEST_DATABASE_URL names.
pub async fn database() -> Db {
    let db = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let options = sqlx::postgres::PgConnectOptions::from_str(&url).unwrap();
            let admin = Db::connect_postgres(options.clone(), 1).await.unwrap();
            let Db::Postgres(pool) = &admin else {
                unreachable!()
            };
            let schema = format!("perdiem_bench_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(pool)
                .await
                .unwrap();
            Db::connect_postgres(options.options([("search_path", schema.as_str())]), 50)
                .await
                .unwrap()
        }
        _ => {
            let file =
                std::env::temp_dir().join(format!("perdiem-bench-{}.db", uuid::Uuid::new_v4()));
            FILES.lock().unwrap().push(file.clone());
            Db::connect(&format!("sqlite://{}", file.display()), 10)
                .await
                .unwrap()
        }
    };
    db.migrate().await.unwrap();
    db
}

/// Starts the API on a random port over `db`; returns its base URL and a token for `user`.
pub async fn serve(db: Db, user: uuid::Uuid, role: Role) -> (String, String) {
    let secret = "bench-signing-key-that-is-long-enough-0123456789";
    let mut settings = Settings::defaults();
    settings.server.port = 0;
    settings.auth.jwt_secret = Some(SecretString::from(secret.to_string()));
    settings.secrets.key = Some(SecretString::from(SECRETS_KEY));
    settings.log.level = "warn".into();
    let keys = perdiem::auth::jwt::TokenKeys::new(
        &SecretString::from(secret.to_string()),
        &settings.auth.issuer,
        &settings.auth.audience,
        3600,
    );
    let token = keys.issue(user, &[role], 0).unwrap();
    let app = Application::build_with_db(settings, db).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (base, token)
}

fn parsed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

/// The billing scene of the claims benches, stored untimed through the store modules: the
/// clinic (NPI 1234567893), a billing user, a payer requiring authorizations, one IOP fee
/// schedule (333.33 a day, 250.10 contracted), and per client (record numbers `MRN-00000`…) a
/// coverage, an approved authorization of `days_approved` days from `first` to `last` and an
/// episode. Returns the billing user.
pub async fn billing_scene(
    db: &Db,
    clients: usize,
    first: NaiveDate,
    last: NaiveDate,
    today: NaiveDate,
) -> users::User {
    let days_approved = (last - first).num_days() + 1;
    let mut tx = db.begin().await.unwrap();
    let clinic: OrganizationInput = parsed(json!({
        "legal_name": "Bench Clinic", "npi": "1234567893", "tax_id": "123456789",
        "taxonomy_code": "261QM0801X",
        "address": {"line1": "1 Main St", "city": "Austin", "state": "TX",
                    "postal_code": "78701-1234"},
        "phone": "5125550100", "submitter_id": "BENCHCLINIC"
    }));
    organization::put(&mut tx, &clinic.parse().unwrap())
        .await
        .unwrap();
    let user = users::insert(&mut tx, UserId::new(), "bench", "x", &[Role::Billing])
        .await
        .unwrap();
    let payer = PayerInput {
        name: Some("Bench Payer".into()),
        payer_id: Some("BENCH1".into()),
        connection: None,
        billing: Some(BillingRulesInput {
            iop_minimum_minutes: None,
            php_minimum_minutes: None,
            authorization_required: Some(true),
            ..BillingRulesInput::default()
        }),
    };
    let payer = insert_payer(&mut tx, payer).await;
    let schedule: FeeScheduleInput = parsed(json!({
        "payer_id": payer.id.to_string(), "level_of_care": "IOP", "program": "mental_health",
        "revenue_code": "0905", "hcpcs": "S9480", "charge_per_day": "333.33",
        "allowed_per_day": "250.10", "effective_from": "2020-01-01",
        "type_of_bill": "0131", "condition_codes": ["92"]
    }));
    fee_schedules::insert(&mut tx, FeeScheduleId::new(), &schedule.parse().unwrap())
        .await
        .unwrap();
    for n in 0..clients {
        let client = ClientInput {
            first_name: Some("Bench".into()),
            last_name: Some(format!("Client{n}")),
            date_of_birth: Some("1990-01-01".into()),
            sex: Some("F".into()),
            external_id: Some(format!("MRN-{n:05}")),
            ..ClientInput::default()
        };
        let client = clients::insert(&mut tx, ClientId::new(), &client.parse(today).unwrap())
            .await
            .unwrap();
        let coverage = CoverageInput {
            payer_id: Some(payer.id.to_string()),
            member_id: Some(format!("M{n:08}")),
            relationship: Some("self".into()),
            priority: Some("primary".into()),
            effective_date: Some("2020-01-01".into()),
            ..CoverageInput::default()
        };
        let coverage = coverages::insert(
            &mut tx,
            CoverageId::new(),
            client.id,
            &coverage.parse(today).unwrap(),
        )
        .await
        .unwrap();
        let authorization: AuthorizationInput = parsed(json!({
            "client_id": client.id.to_string(), "coverage_id": coverage.id.to_string(),
            "level_of_care": "IOP", "program": "mental_health",
            "authorization_number": format!("PA-{n:05}"), "status": "approved",
            "start_date": first.to_string(), "end_date": last.to_string(),
            "days_approved": days_approved
        }));
        authorizations::insert(
            &mut tx,
            AuthorizationId::new(),
            user.id.into(),
            &authorization.parse_new().unwrap(),
        )
        .await
        .unwrap();
        let episode: EpisodeInput = parsed(json!({
            "admission_date": first.to_string(), "principal_diagnosis": "F33.1",
            "other_diagnoses": ["F41.1"]
        }));
        episodes::insert(
            &mut tx,
            EpisodeId::new(),
            client.id,
            &episode.parse(today).unwrap(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    user
}
