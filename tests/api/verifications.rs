//! Benefits verification through the API.

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, spawn_app, TestApp};

/// The clinic, a payer reached at `endpoint` over `protocol`, a client and its coverage.
pub async fn set_up(
    app: &TestApp,
    protocol: &str,
    endpoint: &str,
    member_id: &str,
) -> (String, String, String) {
    app.set_up_clinic().await;
    let edi = format!("P{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Mock Health Plan",
            "payer_id": edi,
            "connection": {"protocol": protocol, "endpoint_url": endpoint, "timeout_seconds": 5}
        }))
        .expect(201)
        .await
        .body;
    let client = app.create_client(client_body()).await;
    let client_id = client["id"].as_str().unwrap().to_string();
    let payer_id = payer["id"].as_str().unwrap().to_string();
    let mut coverage = coverage_body(&payer_id);
    coverage["member_id"] = json!(member_id);
    let coverage = app
        .post(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.admissions)
        .json(coverage)
        .expect(201)
        .await
        .body;
    (
        client_id,
        coverage["id"].as_str().unwrap().to_string(),
        payer_id,
    )
}

pub async fn verify(
    app: &TestApp,
    client_id: &str,
    coverage_id: &str,
    levels: Value,
    status: u16,
) -> Value {
    app.post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({
            "client_id": client_id,
            "coverage_id": coverage_id,
            "levels_of_care": levels,
            "program": "mental_health",
            "service_date": "2026-11-23"
        }))
        .expect(status)
        .await
        .body
}

#[tokio::test]
async fn an_unreachable_payer_is_a_stored_payer_error_with_every_attempt() {
    // The circuit breaker has its own test; here every attempt should reach the network.
    let mut settings = crate::helpers::test_settings();
    settings.verification.breaker_threshold = 1000;
    let app = crate::helpers::spawn_app_with(settings).await;
    // Nothing listens on port 9 of loopback: every connection is refused.
    let (client_id, coverage_id, _) =
        set_up(&app, "x12", "http://127.0.0.1:9/x12", "W123456789").await;
    let made = verify(&app, &client_id, &coverage_id, json!(["PHP"]), 201).await;
    assert_eq!(made["status"], "payer_error");
    assert_eq!(made["error"]["kind"], "connect");
    assert_eq!(made["levels"], json!([]));
    assert_eq!(made["cached"], false);
    let id = made["id"].as_str().unwrap();

    let read = app
        .get(&format!("/api/v1/verifications/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let exchanges = read["exchanges"].as_array().unwrap();
    // 30, BB, A7, MH — one request each — three attempts each (transient failures retry).
    assert_eq!(exchanges.len(), 12);
    assert!(exchanges.iter().all(|e| e["error_kind"] == "connect"));
    assert!(exchanges[0]["request"]
        .as_str()
        .unwrap()
        .starts_with("ISA*"));
    // Admissions sees the summary, not the raw exchanges.
    let plain = app
        .get(&format!("/api/v1/verifications/{id}"))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert!(plain.get("exchanges").is_none());

    // A failed verification is never served from the cache.
    let again = verify(&app, &client_id, &coverage_id, json!(["PHP"]), 201).await;
    assert_ne!(again["id"], made["id"]);
    let list = app
        .get(&format!("/api/v1/clients/{client_id}/verifications"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn a_verification_needs_a_connected_payer_and_the_clinic() {
    let app = spawn_app().await;
    let client = app.create_client(client_body()).await;
    let client_id = client["id"].as_str().unwrap();
    let payer = app.create_payer().await;
    let coverage = app
        .create_coverage(client_id, payer["id"].as_str().unwrap())
        .await;
    let coverage_id = coverage["id"].as_str().unwrap();
    let reply = app
        .post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({"client_id": client_id, "coverage_id": coverage_id, "levels_of_care": ["IOP"], "program": "mental_health"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["coverage_id"]);

    let reply = app
        .post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({"client_id": client_id, "coverage_id": coverage_id, "levels_of_care": ["IOP", "IOP", "RTC"], "program": "psych"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["levels_of_care", "program"]);
    let other = "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10";
    app.post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({"client_id": client_id, "coverage_id": other, "levels_of_care": ["IOP"], "program": "mental_health"}))
        .expect(404)
        .await;
    app.post("/api/v1/verifications")
        .token(&app.billing)
        .json(json!({}))
        .expect(403)
        .await;
}

#[tokio::test]
async fn a_failing_payer_opens_its_circuit_and_then_fails_fast() {
    let mut settings = crate::helpers::test_settings();
    settings.verification.breaker_threshold = 3;
    settings.verification.breaker_cooldown_seconds = 600;
    let app = crate::helpers::spawn_app_with(settings).await;
    let (client_id, coverage_id, payer_id) =
        set_up(&app, "x12", "http://127.0.0.1:9/x12", "W123456789").await;
    let path = format!("/api/v1/payers/{payer_id}/health");
    let health = || async { app.get(&path).token(&app.admissions).expect(200).await.body };
    assert_eq!(health().await["state"], "closed");

    let first = verify(&app, &client_id, &coverage_id, json!(["PHP"]), 201).await;
    assert_eq!(first["status"], "payer_error");
    let report = health().await;
    assert_eq!(report["state"], "open", "{report:#}");
    assert!(report["consecutive_failures"].as_u64().unwrap() >= 3);
    assert_eq!(report["last_failure"], "connect");
    assert!(report["retry_at"].is_string());

    // Now nothing is sent: every request fails fast, and that is stored too.
    let second = verify(&app, &client_id, &coverage_id, json!(["PHP"]), 201).await;
    assert_eq!(second["status"], "payer_error");
    assert_eq!(second["error"]["kind"], "circuit_open");
    let stored = app
        .get(&format!(
            "/api/v1/verifications/{}",
            second["id"].as_str().unwrap()
        ))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let exchanges = stored["exchanges"].as_array().unwrap();
    assert_eq!(
        exchanges.len(),
        4,
        "one fail-fast record per service type, no retries"
    );
    assert!(exchanges.iter().all(|e| e["error_kind"] == "circuit_open"));
}

#[tokio::test]
async fn a_999_or_ta1_in_place_of_the_271_is_stored_once_and_spares_the_payers_health() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    app.set_up_clinic().await;
    // All of PHP's service types in one 270, so one exchange is the whole story.
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Mock Health Plan",
            "payer_id": "MOCKACK",
            "connection": {"protocol": "x12", "endpoint_url": mock.url(X12_PATH),
                           "timeout_seconds": 5, "service_types_per_request": 10}
        }))
        .expect(201)
        .await
        .body;
    let payer_id = payer["id"].as_str().unwrap();
    let cases = [
        (
            "MOCK-999",
            "X12_999_Response_005010X231A1",
            "IK3*NM1*",
            "the payer rejected the 270 (999 R): NM1 (segment {NM1}, loop 2100C): \
             implementation pattern match failure in NM109",
        ),
        (
            "MOCK-TA1",
            "X12_TA1_Response_00501X231A1",
            "TA1*",
            "(TA1 R, note 006): invalid interchange sender id",
        ),
    ];
    for (member, payload_type, segment, detail) in cases {
        let client = app.create_client(client_body()).await;
        let client_id = client["id"].as_str().unwrap();
        let mut body = coverage_body(payer_id);
        body["member_id"] = json!(member);
        let coverage = app
            .post(&format!("/api/v1/clients/{client_id}/coverages"))
            .token(&app.admissions)
            .json(body)
            .expect(201)
            .await
            .body;
        let coverage_id = coverage["id"].as_str().unwrap();
        let made = verify(&app, client_id, coverage_id, json!(["PHP"]), 201).await;
        assert_eq!(made["status"], "payer_error", "{member}: {made:#}");
        assert_eq!(made["error"]["kind"], "acknowledgment", "{member}");
        let said = made["error"]["detail"].as_str().unwrap();

        let stored = app
            .get(&format!(
                "/api/v1/verifications/{}",
                made["id"].as_str().unwrap()
            ))
            .token(&app.billing)
            .expect(200)
            .await
            .body;
        assert_eq!(stored["error"], made["error"]);
        let exchanges = stored["exchanges"].as_array().unwrap();
        assert_eq!(exchanges.len(), 1, "{member}: not retried: {exchanges:#?}");
        let exchange = &exchanges[0];
        // The 999 names the subscriber's NM1 where our 270 had it (its position from ST = 1).
        let request = exchange["request"].as_str().unwrap();
        let segments: Vec<&str> = request.split('~').collect();
        let st = segments.iter().position(|s| s.starts_with("ST*")).unwrap();
        let nm1 = segments
            .iter()
            .position(|s| s.starts_with("NM1*IL"))
            .unwrap()
            - st
            + 1;
        let detail = detail.replace("{NM1}", &nm1.to_string());
        assert!(said.ends_with(&detail), "{member}: {said}");
        assert_eq!(exchange["attempt"], 1);
        assert_eq!(exchange["http_status"], 200);
        assert_eq!(exchange["error_kind"], "acknowledgment");
        assert_eq!(exchange["error_detail"], said);
        // The payer's answer is kept as it came: the CORE envelope with the acknowledgment.
        let raw = exchange["response"].as_str().unwrap();
        assert!(raw.contains(payload_type), "{raw}");
        assert!(raw.contains(segment), "{raw}");
        assert_eq!(mock.requests_for(member), 1, "{member}");
    }

    // Our 270 was at fault, not the payer: its health is untouched.
    let health = app
        .get(&format!("/api/v1/payers/{payer_id}/health"))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(health["state"], "closed", "{health:#}");
    assert_eq!(health["consecutive_failures"], 0, "{health:#}");
    assert_eq!(health["last_failure"], Value::Null, "{health:#}");
    mock.stop().await;
}
