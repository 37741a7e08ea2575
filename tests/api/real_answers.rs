//! Verification against answers shaped like real payers' (issue 13): facility and plan-level
//! benefits, vendors and contacts, other payers, answers about someone else, envelopes as they
//! arrive — over every protocol that can say it, with the summary asserted field by field.

use perdiem::mock_payer::{self, MockPayer, Scenarios, FHIR_PATH, JSON_PATH, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, TestApp};

pub struct Setup {
    pub app: TestApp,
    pub mock: MockPayer,
    pub payer_id: String,
}

fn path(protocol: &str) -> &'static str {
    match protocol {
        "x12" => X12_PATH,
        "json" => JSON_PATH,
        _ => FHIR_PATH,
    }
}

/// The app, the bundled mock payer, the clinic and one payer on `protocol` with `connection`
/// merged into its connection.
pub async fn set_up(protocol: &str, breaker_threshold: u32, connection: Value) -> Setup {
    let mut settings = crate::helpers::test_settings();
    settings.verification.breaker_threshold = breaker_threshold;
    let app = crate::helpers::spawn_app_with(settings).await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    app.set_up_clinic().await;
    let mut conn = json!({
        "protocol": protocol, "endpoint_url": mock.url(path(protocol)),
        "timeout_seconds": 10, "max_concurrent": 10
    });
    for (key, value) in connection.as_object().unwrap() {
        conn[key] = value.clone();
    }
    let payer_id = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "MOCK HEALTH PLAN", "payer_id": "MOCKPAYER", "connection": conn}))
        .expect(201)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    Setup {
        app,
        mock,
        payer_id,
    }
}

/// A client with a coverage under `member`, its coverage id, and the verification of `levels`.
pub async fn verify(setup: &Setup, client: Value, member: &str, levels: &[&str]) -> Value {
    let app = &setup.app;
    let client = app.create_client(client).await;
    let client_id = client["id"].as_str().unwrap();
    let mut coverage = coverage_body(&setup.payer_id);
    coverage["member_id"] = json!(member);
    let coverage = app
        .post(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.admissions)
        .json(coverage)
        .expect(201)
        .await
        .body;
    app.post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({
            "client_id": client_id,
            "coverage_id": coverage["id"],
            "levels_of_care": levels,
            "program": "mental_health",
            "service_date": "2026-11-23",
            "force": true
        }))
        .expect(201)
        .await
        .body
}

pub async fn health(setup: &Setup) -> Value {
    setup
        .app
        .get(&format!("/api/v1/payers/{}/health", setup.payer_id))
        .token(&setup.app.admin)
        .expect(200)
        .await
        .body
}

#[tokio::test]
async fn one_clients_unreadable_answers_count_once_toward_the_breaker() {
    // One request per service type: seven unreadable answers for one verification.
    let setup = set_up("x12", 5, json!({"service_types_per_request": 1})).await;
    let first = verify(&setup, client_body(), "MOCK-GARBAGE", &["IOP", "PHP"]).await;
    assert_eq!(first["status"], "payer_error");
    assert_eq!(first["error"]["kind"], "unparseable");
    assert!(setup.mock.requests_for("MOCK-GARBAGE") >= 6);
    let after_one = health(&setup).await;
    assert_eq!(after_one["consecutive_failures"], 1, "{after_one:#}");
    assert_eq!(after_one["state"], "closed");
    verify(&setup, client_body(), "MOCK-GARBAGE", &["PHP"]).await;
    assert_eq!(health(&setup).await["consecutive_failures"], 2);
}
