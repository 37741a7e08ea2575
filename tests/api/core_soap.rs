//! X12 payers that speak the SOAP 1.2 form of the CAQH CORE envelope (`connection.envelope`),
//! end to end against the mock payer: credentials in the WS-Security header, never in the
//! record or the logs.

use perdiem::mock_payer::{self, BasicCredentials, MockPayer, Scenarios, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, logged, spawn_app_with, TestApp};
use crate::verifications::verify;

const USERNAME: &str = "clinic01";
const PASSWORD: &str = "core-soap-password-in-the-clear";

async fn mock_asking_for_credentials() -> MockPayer {
    let credentials = BasicCredentials {
        username: USERNAME.into(),
        password: PASSWORD.into(),
    };
    mock_payer::start_with(
        Scenarios::bundled().unwrap(),
        "127.0.0.1",
        0,
        Some(credentials),
    )
    .await
    .unwrap()
}

/// A payer reached at the mock's X12 endpoint in `envelope`, with basic credentials.
async fn payer(app: &TestApp, mock: &MockPayer, envelope: &str, password: &str) -> Value {
    let edi = format!("P{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    app.post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Mock State Medicaid",
            "payer_id": edi,
            "connection": {
                "protocol": "x12",
                "endpoint_url": mock.url(X12_PATH),
                "credentials": {"kind": "basic", "username": USERNAME, "password": password},
                "envelope": envelope,
                "timeout_seconds": 5,
                // One 270 per verification: one exchange tells the whole story.
                "service_types_per_request": 10
            }
        }))
        .expect(201)
        .await
        .body
}

/// A client covered by `payer` under `member_id`, verified for IOP.
async fn verify_member(app: &TestApp, payer: &Value, member_id: &str) -> Value {
    let client = app.create_client(client_body()).await;
    let client_id = client["id"].as_str().unwrap();
    let mut coverage = coverage_body(payer["id"].as_str().unwrap());
    coverage["member_id"] = json!(member_id);
    let coverage = app
        .post(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.admissions)
        .json(coverage)
        .expect(201)
        .await
        .body;
    let coverage_id = coverage["id"].as_str().unwrap();
    verify(app, client_id, coverage_id, json!(["IOP"]), 201).await
}

async fn exchanges(app: &TestApp, verification: &Value) -> Vec<Value> {
    let id = verification["id"].as_str().unwrap();
    app.get(&format!("/api/v1/verifications/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body["exchanges"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_soap_payer_with_basic_credentials_verifies_and_keeps_the_password_to_itself() {
    let app = spawn_app_with(crate::helpers::test_settings()).await;
    app.set_up_clinic().await;
    let mock = mock_asking_for_credentials().await;
    let payer = payer(&app, &mock, "soap", PASSWORD).await;
    assert_eq!(payer["connection"]["envelope"], "soap");
    assert!(!payer.to_string().contains(PASSWORD));

    let made = verify_member(&app, &payer, "MOCK-COPAY").await;
    assert_eq!(made["status"], "verified", "{made:#}");
    let iop = &made["levels"][0];
    assert_eq!(iop["level_of_care"], "IOP");
    assert_eq!(iop["coverage_status"]["value"], "active");
    assert_eq!(iop["in_network"]["copay"]["amount"], "50.00");
    assert_eq!(iop["in_network"]["copay"]["per"], "day");
    assert_eq!(mock.requests_for("MOCK-COPAY"), 1);

    // The record is the exchange as it went, SOAP both ways, the password masked.
    let exchanges = exchanges(&app, &made).await;
    assert_eq!(exchanges.len(), 1, "{exchanges:#?}");
    let exchange = &exchanges[0];
    assert_eq!(exchange["protocol"], "x12");
    assert_eq!(exchange["http_status"], 200);
    let request = exchange["request"].as_str().unwrap();
    assert!(
        request.contains("<cor:COREEnvelopeRealTimeRequest"),
        "{request}"
    );
    assert!(request.contains("<PayloadType>X12_270_Request_005010X279A1</PayloadType>"));
    assert!(request.contains("<Payload>ISA*00*"), "{request}");
    assert!(
        request.contains(&format!("<wsse:Username>{USERNAME}</wsse:Username>")),
        "{request}"
    );
    assert!(request.contains(">********</wsse:Password>"), "{request}");
    let response = exchange["response"].as_str().unwrap();
    assert!(
        response.contains("<cor:COREEnvelopeRealTimeResponse"),
        "{response}"
    );
    assert!(
        response.contains("<ErrorCode>Success</ErrorCode>"),
        "{response}"
    );
    for (what, text) in [("the record", exchange.to_string()), ("the logs", logged())] {
        assert!(!text.contains(PASSWORD), "the password is in {what}");
    }
    mock.stop().await;
}

#[tokio::test]
async fn a_wrong_password_fails_the_same_way_in_either_envelope() {
    let mut settings = crate::helpers::test_settings();
    settings.verification.breaker_threshold = 1000;
    let app = spawn_app_with(settings).await;
    app.set_up_clinic().await;
    let mock = mock_asking_for_credentials().await;
    let mut errors = Vec::new();
    for envelope in ["multipart", "soap"] {
        let payer = payer(&app, &mock, envelope, "not-the-password").await;
        let made = verify_member(&app, &payer, "MOCK-COPAY").await;
        assert_eq!(made["status"], "payer_error", "{envelope}: {made:#}");
        let exchanges = exchanges(&app, &made).await;
        assert_eq!(exchanges.len(), 1, "{envelope}: a refusal is not retried");
        assert_eq!(exchanges[0]["http_status"], 401, "{envelope}");
        errors.push(made["error"].clone());
    }
    assert_eq!(errors[0], errors[1], "multipart, then SOAP");
    assert_eq!(errors[0]["kind"], "http_status");
    assert_eq!(mock.requests_for("MOCK-COPAY"), 0, "nobody was asked about");
    mock.stop().await;
}

#[tokio::test]
async fn an_envelope_belongs_to_x12_payers_only() {
    let app = spawn_app_with(crate::helpers::test_settings()).await;
    for protocol in ["json", "fhir"] {
        for envelope in ["soap", "multipart"] {
            let reply = app
                .post("/api/v1/payers")
                .token(&app.admin)
                .json(json!({
                    "name": "Clearinghouse",
                    "payer_id": "CLEAR1",
                    "connection": {"protocol": protocol, "endpoint_url": "https://payer.example/json",
                                   "envelope": envelope}
                }))
                .expect(422)
                .await;
            assert_eq!(reply.error_fields(), ["connection.envelope"], "{protocol}");
        }
    }
    let reply = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Payer", "payer_id": "XSOAP1",
            "connection": {"protocol": "x12", "endpoint_url": "https://payer.example/core",
                           "envelope": "xml"}
        }))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["connection.envelope"]);

    // Shown on every payer: multipart by default for X12, none for the other protocols.
    for (protocol, edi, shown) in [
        ("x12", "X12DEF", json!("multipart")),
        ("json", "JSONDEF", json!(null)),
    ] {
        let payer = app
            .post("/api/v1/payers")
            .token(&app.admin)
            .json(json!({
                "name": "Payer", "payer_id": edi,
                "connection": {"protocol": protocol, "endpoint_url": "https://payer.example/x"}
            }))
            .expect(201)
            .await
            .body;
        assert_eq!(payer["connection"]["envelope"], shown, "{protocol}");
        // A patch that leaves the connection alone keeps the envelope.
        let id = payer["id"].as_str().unwrap();
        let renamed = app
            .patch(&format!("/api/v1/payers/{id}"))
            .token(&app.admin)
            .json(json!({"name": "Payer Renamed"}))
            .expect(200)
            .await
            .body;
        assert_eq!(renamed["connection"], payer["connection"]);
    }
}
