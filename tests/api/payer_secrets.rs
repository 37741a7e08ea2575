//! Payer secrets at rest: sealed in the `connection` column, opened by the store, sealed at
//! start-up where an older database holds them in the clear, and delivered to the payer intact.

use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use perdiem::domain::ids::PayerId;
use perdiem::domain::payer::{NewPayer, PayerInput};
use perdiem::secrets::SecretKey;
use perdiem::store::{payers, Db, Page, StoreError};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::{client_body, fresh_db, secret_key, spawn_app_with, TestApp};

pub(crate) const PASSWORD: &str = "basic-password-in-the-clear";
const TOKEN: &str = "bearer-token-in-the-clear";
const CLIENT_SECRET: &str = "oauth2-client-secret-in-the-clear";

pub(crate) fn basic() -> Value {
    json!({"kind": "basic", "username": "clinic01", "password": PASSWORD})
}

fn bearer() -> Value {
    json!({"kind": "bearer", "token": TOKEN})
}

fn oauth2(token_url: &str) -> Value {
    json!({
        "kind": "oauth2_client_credentials",
        "token_url": token_url,
        "client_id": "clinic-client",
        "client_secret": CLIENT_SECRET,
        "scope": "eligibility"
    })
}

pub(crate) fn payer(edi: &str, credentials: Value) -> NewPayer {
    let input: PayerInput = serde_json::from_value(json!({
        "name": format!("Plan {edi}"),
        "payer_id": edi,
        "connection": {
            "protocol": "x12",
            "endpoint_url": "https://core.payer.example/x12",
            "credentials": credentials
        }
    }))
    .unwrap();
    input.parse().unwrap()
}

/// The secret the store hands back for a payer's credentials.
pub(crate) fn secret_of(payer: &payers::Payer) -> String {
    use perdiem::domain::payer::Credentials;
    let connection = payer.data.connection.as_ref().unwrap();
    match &connection.credentials {
        Credentials::Basic { password, .. } => password.expose_secret().to_string(),
        Credentials::Bearer { token } => token.expose_secret().to_string(),
        Credentials::OAuth2ClientCredentials { client_secret, .. } => {
            client_secret.expose_secret().to_string()
        }
        Credentials::None => panic!("no credentials"),
    }
}

pub(crate) async fn raw_connection(db: &Db, id: &str) -> String {
    let text: Option<String> = perdiem::with_db!(db, |pool| sqlx::query_scalar(
        "SELECT connection FROM payers WHERE id = $1"
    )
    .bind(id)
    .fetch_one(pool)
    .await)
    .unwrap();
    text.unwrap()
}

/// Puts `connection` into the column as it is, as a database from before sealing holds it.
async fn write_raw_connection(db: &Db, id: &str, connection: &Value) {
    perdiem::with_db!(db, |pool| sqlx::query(
        "UPDATE payers SET connection = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(connection.to_string())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .unwrap();
}

/// A payer with no connection yet, whose column the test then writes itself.
async fn bare_payer(db: &Db, key: &SecretKey, edi: &str) -> String {
    let input = PayerInput {
        name: Some(format!("Plan {edi}")),
        payer_id: Some(edi.into()),
        connection: None,
        billing: None,
    };
    let mut tx = db.begin().await.unwrap();
    let stored = payers::insert(&mut tx, key, PayerId::new(), &input.parse().unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    stored.id.to_string()
}

fn plaintext_connection(credentials: Value) -> Value {
    json!({
        "protocol": "x12",
        "endpoint_url": "https://core.payer.example/x12",
        "credentials": credentials,
        "timeout_seconds": 30,
        "max_concurrent": 4,
        "service_types_per_request": 1
    })
}

fn assert_corrupt_naming(error: StoreError, payer_id: &str, field: &str, secret: &str) {
    let text = error.to_string();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{text}");
    assert!(text.contains(payer_id), "{text}");
    assert!(text.contains(field), "{text}");
    assert!(!text.contains(secret), "{text}");
}

#[tokio::test]
async fn payer_secrets_are_sealed_in_the_column_and_opened_by_the_store() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let mut ids = Vec::new();
    for (edi, credentials, secret) in [
        ("BASIC01", basic(), PASSWORD),
        ("BEARER01", bearer(), TOKEN),
        (
            "OAUTH01",
            oauth2("https://auth.payer.example/token"),
            CLIENT_SECRET,
        ),
    ] {
        let inserted = payers::insert(&mut tx, &key, PayerId::new(), &payer(edi, credentials))
            .await
            .unwrap();
        // What insert returns is the domain value, secret in the clear.
        assert_eq!(secret_of(&inserted), secret);
        ids.push((inserted.id.to_string(), secret));
    }
    tx.commit().await.unwrap();

    for (id, secret) in &ids {
        let raw = raw_connection(&db, id).await;
        assert!(!raw.contains(secret), "{raw}");
        assert!(raw.contains("sealed:v1:"), "{raw}");
        // The document keeps its shape: only the secret's value changed.
        let doc: Value = serde_json::from_str(&raw).unwrap();
        assert!(doc["credentials"]["kind"].is_string(), "{raw}");
    }

    let mut tx = db.begin_read().await.unwrap();
    for (id, secret) in &ids {
        let found = payers::find(&mut tx, &key, id.parse::<PayerId>().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(secret_of(&found), *secret);
    }
    let by_edi = payers::find_by_edi_id(&mut tx, &key, "BEARER01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(secret_of(&by_edi), TOKEN);
    let page = Page {
        limit: 10,
        offset: 0,
    };
    let (listed, total) = payers::list(&mut tx, &key, None, page).await.unwrap();
    assert_eq!(total, 3);
    let mut secrets: Vec<String> = listed.iter().map(secret_of).collect();
    secrets.sort();
    assert_eq!(secrets, [PASSWORD, TOKEN, CLIENT_SECRET]);

    // Another key opens none of them, and says which payer and field, never the value.
    let other = SecretKey::generate();
    let (basic_id, _) = &ids[0];
    let error = payers::find(&mut tx, &other, basic_id.parse::<PayerId>().unwrap())
        .await
        .unwrap_err();
    assert_corrupt_naming(error, basic_id, "password", PASSWORD);
    let (oauth_id, _) = &ids[2];
    let error = payers::find(&mut tx, &other, oauth_id.parse::<PayerId>().unwrap())
        .await
        .unwrap_err();
    assert_corrupt_naming(error, oauth_id, "client_secret", CLIENT_SECRET);
    assert!(payers::list(&mut tx, &other, None, page).await.is_err());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_update_seals_the_new_secret_too() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let id = payers::insert(&mut tx, &key, PayerId::new(), &payer("BASIC02", basic()))
        .await
        .unwrap()
        .id
        .to_string();
    let updated = payers::update(
        &mut tx,
        &key,
        id.parse::<PayerId>().unwrap(),
        &payer("BASIC02", bearer()),
    )
    .await
    .unwrap()
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(secret_of(&updated), TOKEN);
    let raw = raw_connection(&db, &id).await;
    assert!(!raw.contains(TOKEN) && !raw.contains(PASSWORD), "{raw}");
    assert!(raw.contains("sealed:v1:"), "{raw}");
}

#[tokio::test]
async fn a_secret_that_looks_sealed_is_sealed_all_the_same() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let lookalike = "sealed:v1:what-the-payer-really-issued";
    let credentials = json!({"kind": "bearer", "token": lookalike});
    let mut tx = db.begin().await.unwrap();
    let id = payers::insert(&mut tx, &key, PayerId::new(), &payer("LOOK01", credentials))
        .await
        .unwrap()
        .id
        .to_string();
    tx.commit().await.unwrap();
    let raw = raw_connection(&db, &id).await;
    assert!(!raw.contains(lookalike), "{raw}");
    let mut tx = db.begin_read().await.unwrap();
    let found = payers::find(&mut tx, &key, id.parse::<PayerId>().unwrap())
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(secret_of(&found), lookalike);
}

#[tokio::test]
async fn a_sealed_secret_moved_to_another_payer_does_not_open() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let first = payers::insert(&mut tx, &key, PayerId::new(), &payer("BASIC03", basic()))
        .await
        .unwrap()
        .id
        .to_string();
    tx.commit().await.unwrap();
    let second = bare_payer(&db, &key, "BASIC04").await;
    let copied: Value = serde_json::from_str(&raw_connection(&db, &first).await).unwrap();
    write_raw_connection(&db, &second, &copied).await;

    let mut tx = db.begin_read().await.unwrap();
    let error = payers::find(&mut tx, &key, second.parse::<PayerId>().unwrap())
        .await
        .unwrap_err();
    assert_corrupt_naming(error, &second, "password", PASSWORD);
    // And the original still opens.
    assert!(
        payers::find(&mut tx, &key, first.parse::<PayerId>().unwrap())
            .await
            .is_ok()
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn secrets_stored_in_the_clear_are_sealed_once_at_start_up() {
    let db = fresh_db().await;
    let key = secret_key();
    let basic_id = bare_payer(&db, &key, "OLD01").await;
    let oauth_id = bare_payer(&db, &key, "OLD02").await;
    let untouched = bare_payer(&db, &key, "OLD03").await;
    write_raw_connection(&db, &basic_id, &plaintext_connection(basic())).await;
    write_raw_connection(
        &db,
        &oauth_id,
        &plaintext_connection(oauth2("https://auth.payer.example/token")),
    )
    .await;
    // One already sealed, as a database half-way through would hold.
    let mut tx = db.begin().await.unwrap();
    let sealed_id = payers::insert(&mut tx, &key, PayerId::new(), &payer("NEW01", bearer()))
        .await
        .unwrap()
        .id
        .to_string();
    tx.commit().await.unwrap();
    let sealed_before = raw_connection(&db, &sealed_id).await;

    // Until the step runs, a secret in the clear is a corrupt row, not a value to use.
    let mut tx = db.begin_read().await.unwrap();
    let error = payers::find(&mut tx, &key, basic_id.parse::<PayerId>().unwrap())
        .await
        .unwrap_err();
    assert_corrupt_naming(error, &basic_id, "password", PASSWORD);
    tx.commit().await.unwrap();

    let mut tx = db.begin().await.unwrap();
    let sealed = payers::seal_stored_secrets(&mut tx, &key).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(sealed, 2);

    for (id, secret) in [(&basic_id, PASSWORD), (&oauth_id, CLIENT_SECRET)] {
        let raw = raw_connection(&db, id).await;
        assert!(!raw.contains(secret), "{raw}");
        assert!(raw.contains("sealed:v1:"), "{raw}");
    }
    assert_eq!(raw_connection(&db, &sealed_id).await, sealed_before);
    let mut tx = db.begin_read().await.unwrap();
    for (id, secret) in [
        (&basic_id, PASSWORD),
        (&oauth_id, CLIENT_SECRET),
        (&sealed_id, TOKEN),
    ] {
        let found = payers::find(&mut tx, &key, id.parse::<PayerId>().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(secret_of(&found), secret);
    }
    let bare = payers::find(&mut tx, &key, untouched.parse::<PayerId>().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(bare.data.connection.is_none());
    tx.commit().await.unwrap();

    let mut tx = db.begin().await.unwrap();
    assert_eq!(payers::seal_stored_secrets(&mut tx, &key).await.unwrap(), 0);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_start_up_migration_seals_what_an_older_database_kept_in_the_clear() {
    let db = fresh_db().await;
    let key = secret_key();
    let id = bare_payer(&db, &key, "OLD04").await;
    write_raw_connection(&db, &id, &plaintext_connection(bearer())).await;

    perdiem::startup::migrate(&db, &key).await.unwrap();
    let raw = raw_connection(&db, &id).await;
    assert!(!raw.contains(TOKEN), "{raw}");
    assert!(raw.contains("sealed:v1:"), "{raw}");
    // A second start changes nothing.
    perdiem::startup::migrate(&db, &key).await.unwrap();
    assert_eq!(raw_connection(&db, &id).await, raw);
    let mut tx = db.begin_read().await.unwrap();
    let found = payers::find(&mut tx, &key, id.parse::<PayerId>().unwrap())
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(secret_of(&found), TOKEN);
}

/// Inserts a payer with `credentials`, sealed under `key`; returns its id.
async fn payer_under(db: &Db, key: &SecretKey, edi: &str, credentials: Value) -> String {
    let mut tx = db.begin().await.unwrap();
    let stored = payers::insert(&mut tx, key, PayerId::new(), &payer(edi, credentials))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    stored.id.to_string()
}

async fn reseal(db: &Db, old: &SecretKey, new: &SecretKey) -> Result<u64, StoreError> {
    let mut tx = db.begin().await.unwrap();
    let resealed = payers::reseal_secrets(&mut tx, old, new).await?;
    tx.commit().await.unwrap();
    Ok(resealed)
}

async fn find_with(db: &Db, key: &SecretKey, id: &str) -> Result<payers::Payer, StoreError> {
    let mut tx = db.begin_read().await.unwrap();
    let found = payers::find(&mut tx, key, id.parse::<PayerId>().unwrap())
        .await
        .map(Option::unwrap);
    tx.commit().await.unwrap();
    found
}

#[tokio::test]
async fn a_rotation_reseals_what_the_old_key_sealed_and_only_that() {
    let db = fresh_db().await;
    let old = SecretKey::generate();
    let new = SecretKey::generate();
    let basic_id = payer_under(&db, &old, "ROT01", basic()).await;
    let oauth_id = payer_under(&db, &old, "ROT02", oauth2("https://auth.payer.example/t")).await;
    let current_id = payer_under(&db, &new, "ROT03", bearer()).await;
    let bare_id = bare_payer(&db, &new, "ROT04").await;
    let current_before = raw_connection(&db, &current_id).await;

    assert_eq!(reseal(&db, &old, &new).await.unwrap(), 2);

    for (id, secret) in [
        (&basic_id, PASSWORD),
        (&oauth_id, CLIENT_SECRET),
        (&current_id, TOKEN),
    ] {
        assert_eq!(secret_of(&find_with(&db, &new, id).await.unwrap()), secret);
        assert!(find_with(&db, &old, id).await.is_err(), "{id}");
        let raw = raw_connection(&db, id).await;
        assert!(!raw.contains(secret), "{raw}");
    }
    // What already opened with the new key is not even re-written.
    assert_eq!(raw_connection(&db, &current_id).await, current_before);
    assert!(find_with(&db, &new, &bare_id)
        .await
        .unwrap()
        .data
        .connection
        .is_none());
    // Running it again finds nothing left to do.
    let after_first = raw_connection(&db, &basic_id).await;
    assert_eq!(reseal(&db, &old, &new).await.unwrap(), 0);
    assert_eq!(raw_connection(&db, &basic_id).await, after_first);
}

#[tokio::test]
async fn a_secret_that_opens_with_neither_key_fails_the_rotation_and_changes_nothing() {
    let db = fresh_db().await;
    let old = SecretKey::generate();
    let new = SecretKey::generate();
    let stranger = SecretKey::generate();
    let good_id = payer_under(&db, &old, "ROT05", basic()).await;
    let bad_id = payer_under(&db, &stranger, "ROT06", bearer()).await;
    // Payers are visited by id: the good one comes first, so a rollback is what keeps it.
    assert!(good_id < bad_id);
    let good_before = raw_connection(&db, &good_id).await;

    let error = reseal(&db, &old, &new).await.unwrap_err();
    assert_corrupt_naming(error, &bad_id, "token", TOKEN);
    assert_eq!(raw_connection(&db, &good_id).await, good_before);
    assert_eq!(
        secret_of(&find_with(&db, &old, &good_id).await.unwrap()),
        PASSWORD
    );
}

#[tokio::test]
async fn forgetting_credentials_keeps_the_connection_and_needs_no_key() {
    let db = fresh_db().await;
    let lost = SecretKey::generate();
    let key = SecretKey::generate();
    let id = payer_under(&db, &lost, "FGT01", basic()).await;
    let bare_id = bare_payer(&db, &key, "FGT02").await;
    let before = find_with(&db, &lost, &id).await.unwrap();
    assert!(find_with(&db, &key, &id).await.is_err());

    let mut tx = db.begin().await.unwrap();
    let outcome = payers::forget_credentials(&mut tx, id.parse::<PayerId>().unwrap())
        .await
        .unwrap();
    assert_eq!(outcome, payers::Forgotten::Forgotten);
    let no_connection = payers::forget_credentials(&mut tx, bare_id.parse::<PayerId>().unwrap())
        .await
        .unwrap();
    assert_eq!(no_connection, payers::Forgotten::NoConnection);
    let unknown = payers::forget_credentials(&mut tx, PayerId::new())
        .await
        .unwrap();
    assert_eq!(unknown, payers::Forgotten::NoSuchPayer);
    tx.commit().await.unwrap();

    let after = find_with(&db, &key, &id).await.unwrap();
    let (was, is) = (
        before.data.connection.unwrap(),
        after.data.connection.unwrap(),
    );
    assert!(matches!(
        is.credentials,
        perdiem::domain::payer::Credentials::None
    ));
    assert_eq!(is.protocol, was.protocol);
    assert_eq!(is.endpoint_url, was.endpoint_url);
    assert_eq!(is.timeout_seconds, was.timeout_seconds);
    assert!(after.updated_at > before.updated_at);
    assert!(!raw_connection(&db, &id).await.contains("sealed:v1:"));
    assert!(find_with(&db, &key, &bare_id)
        .await
        .unwrap()
        .data
        .connection
        .is_none());
}

#[tokio::test]
async fn existence_needs_no_key() {
    let db = fresh_db().await;
    let id = payer_under(&db, &SecretKey::generate(), "EXI01", basic()).await;
    let mut tx = db.begin_read().await.unwrap();
    assert!(payers::exists(&mut tx, id.parse::<PayerId>().unwrap())
        .await
        .unwrap());
    assert!(!payers::exists(&mut tx, PayerId::new()).await.unwrap());
    tx.commit().await.unwrap();
}

/// Replaces the payer's sealed secrets with ones sealed under a key the app does not have, as
/// a database whose key was lost holds them.
async fn seal_under_a_lost_key(db: &Db, id: &str) {
    let lost = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let current = payers::find(&mut tx, &secret_key(), id.parse::<PayerId>().unwrap())
        .await
        .unwrap()
        .unwrap();
    payers::update(
        &mut tx,
        &lost,
        id.parse::<PayerId>().unwrap(),
        &current.data,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// A payer created through the API with basic credentials, whose secrets were then sealed under
/// a key since lost; its id.
async fn payer_with_a_lost_key(app: &TestApp, edi: &str) -> String {
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Plan Lost Key",
            "payer_id": edi,
            "connection": plaintext_connection(basic())
        }))
        .expect(201)
        .await
        .body;
    let payer_id = payer["id"].as_str().unwrap().to_string();
    seal_under_a_lost_key(&app.db, &payer_id).await;
    payer_id
}

#[tokio::test]
async fn checks_that_a_payer_exists_do_not_open_its_secrets() {
    let app = crate::helpers::spawn_app().await;
    let payer_id = payer_with_a_lost_key(&app, "LOST01").await;
    // Reading the payer itself still needs its secrets, and they do not open.
    app.get(&format!("/api/v1/payers/{payer_id}"))
        .token(&app.admin)
        .expect(500)
        .await;

    let client = app.create_client(client_body()).await;
    app.create_coverage(client["id"].as_str().unwrap(), &payer_id)
        .await;
    let generated = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .json(json!({"through_date": "2026-03-31", "period": "month", "payer_id": payer_id}))
        .expect(200)
        .await
        .body;
    assert_eq!(generated["summary"]["claims"], 0, "{generated:#}");
}

#[tokio::test]
async fn after_a_lost_key_forgotten_credentials_are_entered_again_with_patch() {
    let app = crate::helpers::spawn_app().await;
    let payer_id = payer_with_a_lost_key(&app, "LOST02").await;
    let path = format!("/api/v1/payers/{payer_id}");
    // A PATCH replaces the connection whole, so it carries the rest of it too.
    let patch = json!({"connection": plaintext_connection(bearer())});
    app.patch(&path)
        .token(&app.admin)
        .json(patch.clone())
        .expect(500)
        .await;

    let mut tx = app.db.begin().await.unwrap();
    payers::forget_credentials(&mut tx, payer_id.parse::<PayerId>().unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let shown = app.get(&path).token(&app.admin).expect(200).await.body;
    assert_eq!(
        shown["connection"]["credentials"]["kind"], "none",
        "{shown:#}"
    );
    assert_eq!(
        shown["connection"]["endpoint_url"],
        "https://core.payer.example/x12"
    );

    let patched = app
        .patch(&path)
        .token(&app.admin)
        .json(patch)
        .expect(200)
        .await
        .body;
    assert_eq!(
        patched["connection"]["credentials"]["secret_set"], true,
        "{patched:#}"
    );
    let found = find_with(&app.db, &secret_key(), &payer_id).await.unwrap();
    assert_eq!(secret_of(&found), TOKEN);
}

/// What a payer endpoint was sent: the path and the `Authorization` header of every request.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A stand-in payer that records each request's credentials. Its token endpoint issues a token;
/// everything else answers 503, which is enough: the credentials arrive before the answer.
async fn recording_payer() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let server = HttpServer::new(move || {
        let record = record.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            let record = record.clone();
            async move {
                let auth = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let path = req.path().to_string();
                record.lock().unwrap().push((path.clone(), auth));
                if path == "/token" {
                    HttpResponse::Ok().json(json!({
                        "access_token": "issued-access-token",
                        "token_type": "Bearer",
                        "expires_in": 3600
                    }))
                } else {
                    HttpResponse::ServiceUnavailable().finish()
                }
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}"), seen)
}

async fn verify_through(app: &TestApp, base: &str, edi: &str, credentials: Value) -> String {
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": format!("Plan {edi}"),
            "payer_id": edi,
            "connection": {
                "protocol": "json",
                "endpoint_url": format!("{base}/{edi}"),
                "credentials": credentials,
                "timeout_seconds": 5
            }
        }))
        .expect(201)
        .await
        .body;
    let payer_id = payer["id"].as_str().unwrap().to_string();
    let client = app.create_client(client_body()).await;
    let client_id = client["id"].as_str().unwrap();
    let coverage = app.create_coverage(client_id, &payer_id).await;
    let made = app
        .post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({
            "client_id": client_id,
            "coverage_id": coverage["id"],
            "levels_of_care": ["IOP"],
            "program": "mental_health",
            "service_date": "2026-11-23"
        }))
        .expect(201)
        .await
        .body;
    assert_eq!(made["status"], "payer_error", "{made:#}");
    payer_id
}

#[tokio::test]
async fn the_payer_receives_each_secret_as_it_was_entered() {
    let mut settings = crate::helpers::test_settings();
    settings.verification.retry_attempts = 1;
    settings.verification.breaker_threshold = 1000;
    let app = spawn_app_with(settings).await;
    app.set_up_clinic().await;
    let (base, seen) = recording_payer().await;
    let mut payer_ids = Vec::new();
    payer_ids.push(verify_through(&app, &base, "BASIC", basic()).await);
    payer_ids.push(verify_through(&app, &base, "BEARER", bearer()).await);
    payer_ids.push(verify_through(&app, &base, "OAUTH", oauth2(&format!("{base}/token"))).await);

    let engine = base64::engine::general_purpose::STANDARD;
    let expected = [
        (
            "/BASIC",
            format!("Basic {}", engine.encode(format!("clinic01:{PASSWORD}"))),
        ),
        ("/BEARER", format!("Bearer {TOKEN}")),
        (
            "/token",
            format!(
                "Basic {}",
                engine.encode(format!("clinic-client:{CLIENT_SECRET}"))
            ),
        ),
        ("/OAUTH", "Bearer issued-access-token".to_string()),
    ];
    let seen = seen.lock().unwrap().clone();
    for (path, header) in expected {
        let sent: Vec<_> = seen.iter().filter(|(p, _)| p == path).collect();
        assert!(!sent.is_empty(), "nothing reached {path}: {seen:?}");
        for (_, auth) in sent {
            assert_eq!(auth.as_deref(), Some(header.as_str()), "{path}");
        }
    }
    // And none of them is in the database in the clear.
    for id in &payer_ids {
        let raw = raw_connection(&app.db, id).await;
        for secret in [PASSWORD, TOKEN, CLIENT_SECRET] {
            assert!(!raw.contains(secret), "{raw}");
        }
    }
}

#[tokio::test]
async fn a_patch_that_resends_the_connection_without_its_secret_keeps_the_stored_one() {
    let app = crate::helpers::spawn_app().await;
    let created = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "Kept Secret Health", "payer_id": "KEEP01",
                     "connection": plaintext_connection(bearer())}))
        .expect(201)
        .await
        .body;
    let payer_id = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/payers/{payer_id}");

    // The same kind of credentials, the secret left out (or null): the stored one stays.
    for credentials in [
        json!({"kind": "bearer"}),
        json!({"kind": "bearer", "token": null}),
    ] {
        let mut connection = plaintext_connection(credentials);
        connection["timeout_seconds"] = json!(45);
        let patched = app
            .patch(&path)
            .token(&app.admin)
            .json(json!({"connection": connection}))
            .expect(200)
            .await
            .body;
        assert_eq!(patched["connection"]["timeout_seconds"], 45, "{patched:#}");
        assert_eq!(patched["connection"]["credentials"]["secret_set"], true);
        let found = find_with(&app.db, &secret_key(), &payer_id).await.unwrap();
        assert_eq!(secret_of(&found), TOKEN);
    }

    // A new secret replaces it.
    let patched = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"connection": plaintext_connection(
            json!({"kind": "bearer", "token": "a-new-token"}))}))
        .expect(200)
        .await
        .body;
    assert_eq!(patched["connection"]["credentials"]["secret_set"], true);
    let found = find_with(&app.db, &secret_key(), &payer_id).await.unwrap();
    assert_eq!(secret_of(&found), "a-new-token");

    // Another kind of credentials needs its own secret: refused, naming it, nothing changed.
    let refused = app
        .patch(&path)
        .token(&app.admin)
        .json(json!({"connection": plaintext_connection(
            json!({"kind": "basic", "username": "clinic01"}))}))
        .expect(422)
        .await
        .body;
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.iter().any(|f| f.ends_with("password")),
        "{refused:#}"
    );
    let found = find_with(&app.db, &secret_key(), &payer_id).await.unwrap();
    assert_eq!(secret_of(&found), "a-new-token");
}
