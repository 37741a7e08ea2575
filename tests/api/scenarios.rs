//! Every mock-payer scenario over every protocol, through `POST /api/v1/verifications`, with the
//! summary asserted field by field — `null` included where the payer said nothing.

use perdiem::mock_payer::{self, MockPayer, Scenarios, FHIR_PATH, JSON_PATH, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{client_body, TestApp};

/// The service types asked for IOP and PHP in a mental-health program: 30, A8, CH, CF, MH, BB, A7.
const REQUESTS: usize = 7;

struct Setup {
    app: TestApp,
    mock: MockPayer,
    payer_id: String,
    /// A payer with a one-second timeout, for the scenario that never answers.
    impatient_payer_id: String,
}

/// A payer reached over `protocol` (an X12 one in the CORE `envelope` given, multipart when
/// `None`).
async fn payer(
    app: &TestApp,
    (protocol, envelope): (&str, Option<&str>),
    url: &str,
    edi: &str,
    timeout: u32,
) -> String {
    app.post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": format!("Mock {protocol} {edi}"),
            "payer_id": edi,
            "connection": {"protocol": protocol, "endpoint_url": url, "timeout_seconds": timeout, "max_concurrent": 10,
                           "envelope": envelope}
        }))
        .expect(201)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn set_up(protocol: &str) -> Setup {
    set_up_in(protocol, None).await
}

async fn set_up_in(protocol: &str, envelope: Option<&str>) -> Setup {
    // One payer answers every scenario here, faults included: its circuit must stay closed.
    let mut settings = crate::helpers::test_settings();
    settings.verification.breaker_threshold = 1000;
    let app = crate::helpers::spawn_app_with(settings).await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let path = match protocol {
        "x12" => X12_PATH,
        "json" => JSON_PATH,
        _ => FHIR_PATH,
    };
    app.set_up_clinic().await;
    let how = (protocol, envelope);
    let payer_id = payer(&app, how, &mock.url(path), "MOCKPAYER1", 10).await;
    let impatient_payer_id = payer(&app, how, &mock.url(path), "MOCKPAYER2", 1).await;
    Setup {
        app,
        mock,
        payer_id,
        impatient_payer_id,
    }
}

async fn verify_member(setup: &Setup, payer_id: &str, member: &str) -> Value {
    let app = &setup.app;
    let client = app.create_client(client_body()).await;
    let client_id = client["id"].as_str().unwrap();
    let coverage = app
        .create_coverage_for_member(client_id, payer_id, member)
        .await;
    let created = app
        .post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({
            "client_id": client_id,
            "coverage_id": coverage["id"],
            "levels_of_care": ["IOP", "PHP"],
            "program": "mental_health",
            "service_date": "2026-11-23"
        }))
        .expect(201)
        .await
        .body;
    // The answer is built from what was written, not read back: it must be what a read gives.
    let stored = app.read_verification(&created["id"], &app.admissions).await;
    assert_eq!(
        stored, created,
        "the created answer differs from the stored one"
    );
    created
}

fn value<'a>(summary: &'a Value, path: &str) -> &'a Value {
    summary
        .pointer(path)
        .unwrap_or_else(|| panic!("no {path} in {summary:#}"))
}

fn money(summary: &Value, path: &str) -> Option<String> {
    let figure = value(summary, path);
    if figure.is_null() {
        return None;
    }
    assert!(
        figure["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{path} has a source"
    );
    Some(figure["value"].as_str().unwrap().to_string())
}

async fn run_every_scenario(protocol: &str, envelope: Option<&str>) {
    let setup = set_up_in(protocol, envelope).await;
    let s = &setup;

    // Active with a per-day copay.
    let v = verify_member(s, &s.payer_id, "MOCK-COPAY").await;
    assert_eq!(v["status"], "verified", "{v:#}");
    let (iop, php) = (&v["levels"][0], &v["levels"][1]);
    assert_eq!(iop["level_of_care"], "IOP");
    assert_eq!(php["level_of_care"], "PHP");
    assert_eq!(php["coverage_status"]["value"], "active");
    assert_eq!(php["plan_begin"]["value"], "2026-01-01");
    assert_eq!(php["plan_end"]["value"], "2026-12-31");
    assert_eq!(php["in_network"]["copay"]["amount"], "100.00");
    assert_eq!(php["in_network"]["copay"]["per"], "day");
    assert_eq!(iop["in_network"]["copay"]["amount"], "50.00");
    assert_eq!(php["out_of_network"]["coinsurance_percent"]["value"], "40");
    assert_eq!(money(php, "/in_network/deductible/individual/total"), None);
    assert_eq!(php["in_network"]["day_limit"]["total"], Value::Null);
    assert_eq!(php["in_network"]["prior_authorization"]["value"], "unknown");
    assert_eq!(php["carve_out"], Value::Null);

    // Deductible partly met, coinsurance, out-of-pocket.
    let v = verify_member(s, &s.payer_id, "MOCK-DEDUCTIBLE").await;
    let php = &v["levels"][1];
    assert_eq!(
        money(php, "/in_network/deductible/individual/total").as_deref(),
        Some("1500.00")
    );
    assert_eq!(
        money(php, "/in_network/deductible/individual/remaining").as_deref(),
        Some("900.00")
    );
    assert_eq!(
        money(php, "/in_network/deductible/individual/met").as_deref(),
        Some("600.00")
    );
    assert_eq!(
        money(php, "/in_network/deductible/family/total").as_deref(),
        Some("3000.00")
    );
    assert_eq!(
        money(php, "/in_network/deductible/family/remaining").as_deref(),
        Some("2100.00")
    );
    assert_eq!(
        money(php, "/out_of_network/deductible/individual/total").as_deref(),
        Some("3000.00")
    );
    assert_eq!(
        money(php, "/in_network/out_of_pocket/individual/remaining").as_deref(),
        Some("3850.00")
    );
    assert_eq!(
        money(php, "/in_network/out_of_pocket/family/total").as_deref(),
        Some("10000.00")
    );
    assert_eq!(
        money(php, "/out_of_network/out_of_pocket/individual/total"),
        None
    );
    assert_eq!(php["in_network"]["coinsurance_percent"]["value"], "20");
    assert_eq!(php["out_of_network"]["coinsurance_percent"]["value"], "40");
    assert_eq!(php["in_network"]["copay"], Value::Null);

    // Inactive.
    let v = verify_member(s, &s.payer_id, "MOCK-INACTIVE").await;
    assert_eq!(v["status"], "inactive", "{v:#}");
    assert_eq!(v["levels"][1]["coverage_status"]["value"], "inactive");

    // Rejections: never retried, never guessed.
    for (member, code) in [("MOCK-BADID", "72"), ("MOCK-NOTFOUND", "75")] {
        let v = verify_member(s, &s.payer_id, member).await;
        assert_eq!(v["status"], "rejected", "{v:#}");
        assert_eq!(v["rejection"]["code"], code);
        assert_eq!(v["rejection"]["follow_up"], "C");
        assert_eq!(v["levels"], json!([]));
        assert_eq!(
            s.mock.requests_for(member),
            REQUESTS,
            "{member} is not retried"
        );
    }

    // Unable to respond now (42): retried, then reported.
    let v = verify_member(s, &s.payer_id, "MOCK-BUSY").await;
    assert_eq!(v["status"], "rejected");
    assert_eq!(v["rejection"]["code"], "42");
    assert_eq!(s.mock.requests_for("MOCK-BUSY"), REQUESTS * 3);

    // PHP not covered while IOP is.
    let v = verify_member(s, &s.payer_id, "MOCK-NOPHP").await;
    let (iop, php) = (&v["levels"][0], &v["levels"][1]);
    assert_eq!(php["service_covered"]["value"], false);
    assert_eq!(iop["service_covered"]["value"], true);
    assert_eq!(iop["in_network"]["copay"]["amount"], "45.00");

    // Prior authorization required.
    let v = verify_member(s, &s.payer_id, "MOCK-PRIORAUTH").await;
    assert_eq!(
        v["levels"][1]["in_network"]["prior_authorization"]["value"],
        "yes"
    );
    assert_eq!(
        v["levels"][0]["in_network"]["prior_authorization"]["value"],
        "yes"
    );

    // Carve-out to another administrator.
    let v = verify_member(s, &s.payer_id, "MOCK-CARVEOUT").await;
    let carve = &v["levels"][1]["carve_out"];
    assert_eq!(carve["name"], "OPTUM BEHAVIORAL HEALTH", "{v:#}");
    assert_eq!(carve["identifier"], "87726");
    assert_eq!(carve["phone"], "8005551234");
    assert_eq!(
        v["carve_out_verification_id"],
        Value::Null,
        "no such payer at the clinic yet"
    );

    // Out-of-pocket already met.
    let v = verify_member(s, &s.payer_id, "MOCK-OOPMET").await;
    let php = &v["levels"][1];
    assert_eq!(
        money(php, "/in_network/out_of_pocket/individual/remaining").as_deref(),
        Some("0.00")
    );
    assert_eq!(
        money(php, "/in_network/out_of_pocket/individual/met").as_deref(),
        Some("4000.00")
    );

    // Faults: each one a stored payer_error with its cause.
    let v = verify_member(s, &s.payer_id, "MOCK-SLOW").await;
    assert_eq!(v["status"], "verified");
    for (member, kind) in [
        ("MOCK-500", "http_status"),
        ("MOCK-GARBAGE", "unparseable"),
        ("MOCK-TRUNCATED", "unparseable"),
    ] {
        let v = verify_member(s, &s.payer_id, member).await;
        assert_eq!(v["status"], "payer_error", "{member}: {v:#}");
        assert_eq!(v["error"]["kind"], kind, "{member}");
    }
    assert_eq!(
        s.mock.requests_for("MOCK-500"),
        REQUESTS * 3,
        "5xx is retried"
    );
    assert_eq!(
        s.mock.requests_for("MOCK-GARBAGE"),
        REQUESTS,
        "unreadable is not"
    );
    // A 999 or TA1 in place of the 271 (X12); JSON and FHIR refuse the request (HTTP 400).
    // Neither is worth asking again.
    for member in ["MOCK-999", "MOCK-TA1"] {
        let v = verify_member(s, &s.payer_id, member).await;
        assert_eq!(v["status"], "payer_error", "{member}: {v:#}");
        let kind = if protocol == "x12" {
            "acknowledgment"
        } else {
            "http_status"
        };
        assert_eq!(v["error"]["kind"], kind, "{member}");
        assert_eq!(
            s.mock.requests_for(member),
            REQUESTS,
            "{member} is not retried"
        );
    }
    let v = verify_member(s, &s.impatient_payer_id, "MOCK-TIMEOUT").await;
    assert_eq!(v["status"], "payer_error");
    assert_eq!(v["error"]["kind"], "timeout");
    let stored = setup
        .app
        .get(&format!(
            "/api/v1/verifications/{}",
            v["id"].as_str().unwrap()
        ))
        .token(&setup.app.admin)
        .expect(200)
        .await
        .body;
    assert_eq!(stored["exchanges"].as_array().unwrap().len(), REQUESTS * 3);
    setup.mock.stop().await;
}

#[tokio::test]
async fn every_scenario_over_x12() {
    run_every_scenario("x12", None).await;
}

#[tokio::test]
async fn every_scenario_over_x12_in_the_soap_envelope() {
    run_every_scenario("x12", Some("soap")).await;
}

#[tokio::test]
async fn every_scenario_over_json() {
    run_every_scenario("json", None).await;
}

#[tokio::test]
async fn every_scenario_over_fhir() {
    run_every_scenario("fhir", None).await;
}

#[tokio::test]
async fn a_carve_out_to_a_payer_the_clinic_has_is_verified_again_and_linked() {
    let setup = set_up("x12").await;
    // The administrator named in the carve-out (EDI 87726), reached through the same mock.
    payer(
        &setup.app,
        ("json", None),
        &setup.mock.url(JSON_PATH),
        "87726",
        10,
    )
    .await;
    let v = verify_member(&setup, &setup.payer_id, "MOCK-CARVEOUT").await;
    let linked = v["carve_out_verification_id"]
        .as_str()
        .expect("a linked verification");
    let follow = setup
        .app
        .get(&format!("/api/v1/verifications/{linked}"))
        .token(&setup.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(follow["parent_verification_id"], v["id"]);
    assert_eq!(follow["status"], "verified");
    assert_eq!(follow["exchanges"][0]["protocol"], "json");
    setup.mock.stop().await;
}

#[tokio::test]
async fn a_recent_answer_is_served_from_the_store_unless_forced() {
    let setup = set_up("x12").await;
    let app = &setup.app;
    let first = verify_member(&setup, &setup.payer_id, "MOCK-COPAY").await;
    let body = json!({
        "client_id": first["client_id"],
        "coverage_id": first["coverage_id"],
        "levels_of_care": ["PHP", "IOP"],
        "program": "mental_health",
        "service_date": "2026-11-23"
    });
    let cached = app
        .post("/api/v1/verifications")
        .token(&app.admissions)
        .json(body.clone())
        .expect(200)
        .await
        .body;
    assert_eq!(cached["id"], first["id"]);
    assert_eq!(cached["cached"], true);
    assert_eq!(setup.mock.requests_for("MOCK-COPAY"), REQUESTS);
    let mut forced = body;
    forced["force"] = json!(true);
    let fresh = app
        .post("/api/v1/verifications")
        .token(&app.admissions)
        .json(forced)
        .expect(201)
        .await
        .body;
    assert_ne!(fresh["id"], first["id"]);
    assert_eq!(setup.mock.requests_for("MOCK-COPAY"), REQUESTS * 2);
    setup.mock.stop().await;
}
