//! Demo data for a first look (`perdiem serve --demo`): staff accounts with a published
//! password, the clinic, payers reached through the in-process mock payer (one per protocol,
//! plus a behavioral-health administrator for carve-outs), and clients whose member ids pick
//! mock scenarios, from `fixtures/demo.json`. Development only: the published password would be
//! an open door in production.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::auth::password;
use crate::domain::attendance::AttendanceInput;
use crate::domain::authorization::AuthorizationInput;
use crate::domain::client::ClientInput;
use crate::domain::coverage::CoverageInput;
use crate::domain::episode::EpisodeInput;
use crate::domain::fee_schedule::FeeScheduleInput;
use crate::domain::ids::{
    AuthorizationId, ClientId, CoverageId, EpisodeId, FeeScheduleId, PayerId, UserId,
};
use crate::domain::organization::OrganizationInput;
use crate::domain::payer::ConnectionInput;
use crate::domain::payer::PayerInput;
use crate::domain::role::{parse_roles, Role};
use crate::mock_payer::{FHIR_PATH, JSON_PATH, X12_PATH};
use crate::secrets::SecretKey;
use crate::services::attendance::{self, Locator, Row};
use crate::store::{
    authorizations, clients, coverages, episodes, fee_schedules, organization, payers, users, Db,
    Tx,
};

/// The password of every demo account. Printed in the README; refused in production.
pub const DEMO_PASSWORD: &str = "perdiem-demo-password";

const DEMO: &str = include_str!("../fixtures/demo.json");

#[derive(Deserialize)]
struct Demo {
    staff: Vec<DemoStaff>,
    organization: OrganizationInput,
    payers: Vec<DemoPayer>,
    clients: Vec<DemoClient>,
}

#[derive(Deserialize)]
struct DemoPayer {
    name: String,
    payer_id: String,
    /// Which of the mock payer's protocols this payer is reached over.
    protocol: String,
}

#[derive(Deserialize)]
struct DemoStaff {
    username: String,
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct DemoClient {
    client: ClientInput,
    coverages: Vec<Value>,
}

/// Loads the demo data once: when an `admin` account already exists nothing is added.
pub async fn seed(db: &Db, secrets: &SecretKey) -> anyhow::Result<bool> {
    let demo: Demo = serde_json::from_str(DEMO)?;
    let mut tx = db.begin().await?;
    if users::find_by_username(&mut tx, "admin").await?.is_some() {
        return Ok(false);
    }
    let hash = password::hash_blocking(SecretString::from(DEMO_PASSWORD.to_string())).await?;
    let mut billing_user = None;
    for staff in demo.staff {
        let roles = parse_roles(staff.roles).map_err(anyhow::Error::msg)?;
        let user = users::insert(&mut tx, UserId::new(), &staff.username, &hash, &roles).await?;
        if roles.contains(&Role::Billing) {
            billing_user = Some(user.id.as_uuid());
        }
    }
    organization::put(&mut tx, &demo.organization.parse()?).await?;
    let mut payer_ids: Vec<(String, PayerId)> = Vec::new();
    for demo_payer in demo.payers {
        let payer = PayerInput {
            name: Some(demo_payer.name),
            payer_id: Some(demo_payer.payer_id),
            connection: None,
            billing: None,
        }
        .parse()?;
        let stored = payers::insert(&mut tx, secrets, PayerId::new(), &payer).await?;
        payer_ids.push((payer.payer_id.as_str().to_string(), stored.id));
    }
    let today = Utc::now().date_naive();
    let mut first_coverage = None;
    for entry in demo.clients {
        let client = clients::insert(&mut tx, ClientId::new(), &entry.client.parse(today)?).await?;
        for mut coverage in entry.coverages {
            // The fixture names payers by EDI id; the API takes the payer record's id.
            let edi = coverage
                .as_object_mut()
                .and_then(|c| c.remove("payer"))
                .and_then(|p| p.as_str().map(str::to_string))
                .unwrap_or_default();
            let payer = payer_ids
                .iter()
                .find(|(id, _)| *id == edi)
                .map(|(_, record)| *record)
                .ok_or_else(|| anyhow::anyhow!("demo coverage names unknown payer {edi}"))?;
            coverage["payer_id"] = Value::String(payer.to_string());
            let input: CoverageInput = serde_json::from_value(coverage)?;
            let stored =
                coverages::insert(&mut tx, CoverageId::new(), client.id, &input.parse(today)?)
                    .await?;
            first_coverage.get_or_insert((client.id, stored.id));
        }
    }
    if let (Some((client, coverage)), Some(user)) = (first_coverage, billing_user) {
        seed_billing(&mut tx, client, coverage, user, today).await?;
        seed_claim_setup(&mut tx, client, coverage, today).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A PHP authorization for the first demo client and three weeks of attendance, so that the
/// billing side (ledger, billable days, alerts) has something to show: ten days approved, a
/// few more attended, one short day, the end and the review close.
async fn seed_billing(
    tx: &mut Tx,
    client: ClientId,
    coverage: CoverageId,
    user: Uuid,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let start = today - Duration::days(20);
    let authorization = AuthorizationInput {
        client_id: Some(client.to_string()),
        coverage_id: Some(coverage.to_string()),
        level_of_care: Some("PHP".into()),
        program: Some("mental_health".into()),
        authorization_number: Some("DEMO-PA-1001".into()),
        start_date: Some(start.to_string()),
        end_date: Some((today + Duration::days(4)).to_string()),
        days_approved: Some(10),
        status: Some("approved".into()),
        next_review_date: Some((today + Duration::days(2)).to_string()),
        care_manager_name: Some("Dana Whitfield".into()),
        care_manager_phone: Some("800-555-0199".into()),
        notes: None,
    }
    .parse_new()?;
    authorizations::insert(tx, AuthorizationId::new(), user, &authorization).await?;
    let rows = (0..20)
        .map(|back| today - Duration::days(20 - back))
        .filter(|day| day.weekday().num_days_from_monday() < 5)
        .enumerate()
        .map(|(n, day)| Row {
            at: Locator::Row(n),
            parsed: AttendanceInput {
                client_id: Some(client.to_string()),
                service_date: Some(day.to_string()),
                level_of_care: Some("PHP".into()),
                // One short day: below the PHP minimum, not billable.
                minutes: Some(if n == 3 { 240 } else { 330 }),
                services: Some(vec!["group therapy".into(), "individual therapy".into()]),
                source: Some("demo".into()),
                ..AttendanceInput::default()
            }
            .parse(today, false),
        })
        .collect();
    // Days the demo coverage does not cover (around a new year) are simply refused.
    attendance::record(tx, rows, false, false, user).await?;
    Ok(())
}

/// What claims need besides attendance, for the first demo client: an episode of care with
/// its diagnoses, and a PHP fee schedule of the coverage's payer, so that `POST
/// /api/v1/claims/generate` and the 837 files work on the demo data.
async fn seed_claim_setup(
    tx: &mut Tx,
    client: ClientId,
    coverage: CoverageId,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let admission = today - Duration::days(21);
    let episode = EpisodeInput {
        admission_date: Some(admission.to_string()),
        principal_diagnosis: Some("F33.1".into()),
        other_diagnoses: Some(vec!["F41.1".into()]),
        ..EpisodeInput::default()
    }
    .parse(today)?;
    episodes::insert(tx, EpisodeId::new(), client, &episode).await?;
    let payer = coverages::find(tx, client, coverage)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo coverage is gone"))?
        .data
        .coverage
        .payer_id;
    let schedule = FeeScheduleInput {
        payer_id: Some(payer.to_string()),
        level_of_care: Some("PHP".into()),
        program: Some("mental_health".into()),
        revenue_code: Some("0913".into()),
        hcpcs: Some("H0035".into()),
        charge_per_day: Some("1450.00".into()),
        allowed_per_day: Some("980.00".into()),
        effective_from: Some((admission - Duration::days(365)).to_string()),
        type_of_bill: Some("0131".into()),
        condition_codes: Some(vec!["41".into()]),
        ..FeeScheduleInput::default()
    }
    .parse()?;
    fee_schedules::insert(tx, FeeScheduleId::new(), &schedule).await?;
    Ok(())
}

/// Points the demo payers at the mock payer listening at `base` (its port changes with every
/// start, so this runs at every `serve --demo`).
pub async fn attach_mock_payer(db: &Db, secrets: &SecretKey, base: &str) -> anyhow::Result<()> {
    let demo: Demo = serde_json::from_str(DEMO)?;
    let mut tx = db.begin().await?;
    for demo_payer in demo.payers {
        let Some(payer) = payers::find_by_edi_id(&mut tx, secrets, &demo_payer.payer_id).await?
        else {
            continue;
        };
        let path = match demo_payer.protocol.as_str() {
            "json" => JSON_PATH,
            "fhir" => FHIR_PATH,
            _ => X12_PATH,
        };
        let mut input = PayerInput::from(&payer.data);
        input.connection = Some(ConnectionInput {
            protocol: Some(demo_payer.protocol.clone()),
            endpoint_url: Some(format!("{base}{path}")),
            timeout_seconds: Some(10),
            ..ConnectionInput::default()
        });
        payers::update(&mut tx, secrets, payer.id, &input.parse()?).await?;
    }
    tx.commit().await?;
    Ok(())
}
