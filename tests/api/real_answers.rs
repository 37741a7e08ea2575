//! Verification against answers shaped like real payers' (issue 13): facility and plan-level
//! benefits, vendors and contacts, other payers, answers about someone else, envelopes as they
//! arrive — over every protocol that can say it, with the summary asserted field by field.

use perdiem::mock_payer::{self, MockPayer, Scenarios, FHIR_PATH, JSON_PATH, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{client_body, TestApp};

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
    set_up_with(
        Scenarios::bundled().unwrap(),
        protocol,
        breaker_threshold,
        connection,
    )
    .await
}

pub async fn set_up_with(
    scenarios: Scenarios,
    protocol: &str,
    breaker_threshold: u32,
    connection: Value,
) -> Setup {
    let mut settings = crate::helpers::test_settings();
    settings.verification.breaker_threshold = breaker_threshold;
    let app = crate::helpers::spawn_app_with(settings).await;
    let mock = mock_payer::start(scenarios, "127.0.0.1", 0).await.unwrap();
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

/// A client with a coverage under `member`, and the verification of `levels`.
pub async fn verify(setup: &Setup, client: Value, member: &str, levels: &[&str]) -> Value {
    let app = &setup.app;
    let client = app.create_client(client).await;
    verify_client(setup, client["id"].as_str().unwrap(), member, levels).await
}

/// A coverage under `member` for `client_id`, and the verification of `levels`.
pub async fn verify_client(setup: &Setup, client_id: &str, member: &str, levels: &[&str]) -> Value {
    let app = &setup.app;
    let coverage = app
        .create_coverage_for_member(client_id, &setup.payer_id, member)
        .await;
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

const PROTOCOLS: [&str; 3] = ["x12", "json", "fhir"];

fn level<'a>(verification: &'a Value, name: &str) -> &'a Value {
    verification["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["level_of_care"] == name)
        .unwrap_or_else(|| panic!("no {name} in {verification:#}"))
}

/// A figure's value and the step that chose it; its source must be named.
fn figure(summary: &Value, path: &str) -> (String, String) {
    let figure = summary
        .pointer(path)
        .unwrap_or_else(|| panic!("no {path} in {summary:#}"));
    assert!(
        figure["source"].as_str().is_some_and(|s| !s.is_empty()),
        "{path} names its source: {figure}"
    );
    (
        figure["value"].as_str().unwrap().to_string(),
        figure["applies_via"].as_str().unwrap_or("-").to_string(),
    )
}

fn pair(value: &str, via: &str) -> (String, String) {
    (value.to_string(), via.to_string())
}

fn warnings(verification: &Value) -> Vec<String> {
    verification["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn facility_and_plan_figures_stand_in_for_behavioral_ones_on_every_protocol() {
    for protocol in PROTOCOLS {
        let setup = set_up(protocol, 5, json!({})).await;
        let v = verify(&setup, client_body(), "MOCK-FACILITY-ONLY", &["IOP", "PHP"]).await;
        assert_eq!(v["status"], "verified", "{protocol}: {v:#}");
        for name in ["IOP", "PHP"] {
            let s = level(&v, name);
            let at = |path: &str| figure(s, path);
            assert_eq!(s["place_of_service"], "22", "{protocol}");
            assert_eq!(at("/coverage_status"), pair("active", "plan"), "{protocol}");
            assert_eq!(s["service_covered"]["value"], true, "{protocol}");
            assert_eq!(s["service_covered"]["applies_via"], "program", "{protocol}");
            let ded = "/in_network/deductible/individual";
            assert_eq!(
                at(&format!("{ded}/total")),
                pair("2000.00", "facility"),
                "{protocol} {name}"
            );
            assert_eq!(
                at(&format!("{ded}/met")),
                pair("750.00", "facility"),
                "{protocol} {name}"
            );
            assert_eq!(
                at(&format!("{ded}/remaining")),
                pair("1250.00", "facility"),
                "{protocol} {name}"
            );
            let oop = "/in_network/out_of_pocket/individual";
            assert_eq!(
                at(&format!("{oop}/total")),
                pair("6000.00", "facility"),
                "{protocol} {name}"
            );
            assert_eq!(
                at(&format!("{oop}/remaining")),
                pair("4500.00", "facility"),
                "{protocol} {name}"
            );
            // The office (98, III 11) and the professional 50 row are never read.
            assert_eq!(
                at("/in_network/coinsurance_percent"),
                pair("20", "facility"),
                "{protocol} {name}"
            );
            assert_eq!(
                at("/out_of_network/coinsurance_percent"),
                pair("40", "facility"),
                "{protocol} {name}"
            );
            // The family deductible is stated only for the plan.
            let fam = "/in_network/deductible/family";
            assert_eq!(
                at(&format!("{fam}/total")),
                pair("6000.00", "plan"),
                "{protocol} {name}"
            );
            assert_eq!(
                at(&format!("{fam}/remaining")),
                pair("5000.00", "plan"),
                "{protocol} {name}"
            );
            assert!(s["in_network"]["copay"].is_null(), "{protocol}");
            let general: Vec<(&str, &str)> = s["general_figures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    (
                        g["figure"].as_str().unwrap(),
                        g["applies_via"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                general,
                [
                    ("in_network.deductible.individual", "facility"),
                    ("in_network.deductible.family", "plan"),
                    ("in_network.out_of_pocket.individual", "facility"),
                    ("in_network.coinsurance_percent", "facility"),
                    ("out_of_network.coinsurance_percent", "facility"),
                ],
                "{protocol} {name}"
            );
        }
        // An estimate built on them says so.
        let estimate = setup
            .app
            .post("/api/v1/estimates")
            .token(&setup.app.admissions)
            .json(json!({
                "verification_id": v["id"], "level_of_care": "PHP", "network": "in",
                "allowed_per_day": "500",
                "schedule": {"start_date": "2026-11-30", "days_per_week": 5, "weeks": 1}
            }))
            .expect(201)
            .await
            .body;
        let assumptions = estimate["estimate"]["assumptions"].to_string();
        assert!(
            assumptions.contains("deductible is the facility's outpatient benefit"),
            "{protocol}: {assumptions}"
        );
        setup.mock.stop().await;
    }
}

#[tokio::test]
async fn a_vendor_is_the_carve_out_and_member_services_a_contact_on_every_protocol() {
    for protocol in PROTOCOLS {
        let setup = set_up(protocol, 5, json!({})).await;
        let v = verify(&setup, client_body(), "MOCK-CONTACTS", &["IOP", "PHP"]).await;
        assert_eq!(v["status"], "verified", "{protocol}: {v:#}");
        for (name, via) in [("PHP", "level"), ("IOP", "level")] {
            let s = level(&v, name);
            let carve = &s["carve_out"];
            assert_eq!(
                carve["name"], "MOCK BEHAVIORAL VENDOR",
                "{protocol} {name}: {s:#}"
            );
            assert_eq!(carve["entity_code"], "VN", "{protocol}");
            assert_eq!(carve["identifier"], "BHV12345", "{protocol}");
            assert_eq!(carve["phone"], "8005557788", "{protocol}");
            assert_eq!(carve["applies_via"], via, "{protocol}");
            let contacts = s["contacts"].as_array().unwrap();
            let services: Vec<&Value> = contacts
                .iter()
                .filter(|c| c["phone"] == "8005550100")
                .collect();
            assert_eq!(services.len(), 1, "{protocol}: {contacts:#?}");
            assert_eq!(services[0]["is_payer"], true, "{protocol}");
            assert!(
                contacts
                    .iter()
                    .all(|c| c["name"] != "MOCK BEHAVIORAL VENDOR"),
                "{protocol}: the carve-out is not also a contact"
            );
        }
        // No linked verification: the clinic has no payer for the vendor.
        assert!(v["carve_out_verification_id"].is_null());
        setup.mock.stop().await;
    }
}

#[tokio::test]
async fn another_payer_is_other_coverage_with_a_billing_order_warning_on_every_protocol() {
    for protocol in PROTOCOLS {
        let setup = set_up(protocol, 5, json!({})).await;
        let v = verify(&setup, client_body(), "MOCK-OTHER-PAYER", &["PHP"]).await;
        assert_eq!(v["status"], "verified", "{protocol}: {v:#}");
        let other = &level(&v, "PHP")["other_coverage"];
        assert_eq!(other.as_array().unwrap().len(), 1, "{protocol}: {other:#}");
        let medicare = &other[0];
        assert_eq!(medicare["name"], "MEDICARE", "{protocol}");
        assert_eq!(medicare["order"], "primary", "{protocol}");
        assert_eq!(medicare["insurance_type"], "MB", "{protocol}");
        assert_eq!(medicare["policy_number"], "1EG4TE5MK73", "{protocol}");
        assert_eq!(medicare["begin"], "2025-01-01", "{protocol}");
        assert_eq!(medicare["end"], "2026-12-31", "{protocol}");
        assert!(
            warnings(&v)
                .iter()
                .any(|w| w.contains("MEDICARE (primary)") && w.contains("may not be primary")),
            "{protocol}: {:?}",
            warnings(&v)
        );
        assert!(level(&v, "PHP")["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "MEDICARE"));
        setup.mock.stop().await;
    }
}

/// An answer about another member, or the same member when believed.
fn mismatch_scenarios() -> Scenarios {
    let not_php = |member: &str, answer_as: Value| {
        json!({
            "member_id": member,
            "description": "PHP not covered (EB*I on BB)",
            "answer_as": answer_as,
            "plan": {"name": "MOCK PLAN", "begin": "2026-01-01", "end": "2026-12-31", "insurance_type": "PR"},
            "benefits": [
                {"code": "1", "service_types": ["30", "MH", "A8"], "coverage_level": "IND"},
                {"code": "I", "service_types": ["BB"], "coverage_level": "IND"},
                {"code": "C", "service_types": ["30"], "coverage_level": "IND", "time_period": "23", "amount": "100.00", "network": "Y"}
            ]
        })
    };
    let mut believed = not_php("NOPHP-OURS", json!({}));
    believed.as_object_mut().unwrap().remove("answer_as");
    let file = json!({
        "NOPHP-OTHER": not_php("NOPHP-OTHER", json!({"member_id": "W999999999", "first_name": "JOHN", "last_name": "SMITH", "birth_date": "1970-01-01"})),
        "NOPHP-OURS": believed,
    });
    Scenarios::parse(&file.to_string()).unwrap()
}

#[tokio::test]
async fn an_answer_about_someone_else_is_a_mismatch_that_feeds_nothing_on_every_protocol() {
    for protocol in PROTOCOLS {
        let setup = set_up_with(mismatch_scenarios(), protocol, 2, json!({})).await;
        let app = &setup.app;
        let client = app.create_client(client_body()).await;
        let client_id = client["id"].as_str().unwrap();
        let v = verify_client(&setup, client_id, "NOPHP-OTHER", &["IOP", "PHP"]).await;
        assert_eq!(v["status"], "payer_error", "{protocol}: {v:#}");
        assert_eq!(v["error"]["kind"], "mismatch", "{protocol}");
        let detail = v["error"]["detail"].as_str().unwrap();
        assert!(
            detail.contains("member id")
                && detail.contains("W999999999")
                && detail.contains("NOPHP-OTHER"),
            "{protocol}: {detail}"
        );
        assert_eq!(v["levels"], json!([]), "{protocol}: no level is shown");
        // The raw exchange is kept for the record.
        let stored = app.read_verification(&v["id"], &app.admin).await;
        let exchanges = stored["exchanges"].as_array().unwrap();
        assert!(!exchanges.is_empty(), "{protocol}");
        assert!(exchanges
            .iter()
            .all(|e| e["error_kind"] == "mismatch" && e["response"].is_string()));
        // Several mismatches do not open the payer's circuit (threshold 2 here).
        verify_client(&setup, client_id, "NOPHP-OTHER", &["PHP"]).await;
        let health = health(&setup).await;
        assert_eq!(
            (
                health["state"].as_str(),
                health["consecutive_failures"].as_u64()
            ),
            (Some("closed"), Some(0)),
            "{protocol}"
        );
        // No estimate stands on it.
        let refused = app
            .post("/api/v1/estimates")
            .token(&app.admissions)
            .json(json!({
                "verification_id": v["id"], "level_of_care": "IOP", "network": "in",
                "allowed_per_day": "250",
                "schedule": {"start_date": "2026-11-30", "days_per_week": 5, "weeks": 1}
            }))
            .expect(422)
            .await;
        assert_eq!(refused.error_fields(), ["verification_id"], "{protocol}");
        // And attendance is not judged by it: PHP is "not covered" only in the mismatched answer.
        let rows = json!({"rows": [
            {"client_id": client_id, "service_date": "2026-03-02", "level_of_care": "PHP", "minutes": 330}
        ]});
        let report = app
            .post("/api/v1/attendance")
            .token(&app.billing)
            .json(rows)
            .expect(200)
            .await
            .body;
        assert_eq!(report["created"], 1, "{protocol}: {report:#}");
        // The same answer about our client is believed, and then it does decide.
        let other = app.create_client(client_body()).await;
        let other_id = other["id"].as_str().unwrap();
        let ours = verify_client(&setup, other_id, "NOPHP-OURS", &["IOP", "PHP"]).await;
        assert_eq!(ours["status"], "verified", "{protocol}: {ours:#}");
        let rows = json!({"rows": [
            {"client_id": other_id, "service_date": "2026-03-02", "level_of_care": "PHP", "minutes": 330}
        ]});
        let report = app
            .post("/api/v1/attendance")
            .token(&app.billing)
            .json(rows)
            .expect(200)
            .await
            .body;
        assert_eq!(report["created"], 0, "{protocol}: {report:#}");
        setup.mock.stop().await;
    }
}

#[tokio::test]
async fn a_corrected_id_or_the_payers_spelling_is_reported_not_refused_on_every_protocol() {
    for protocol in PROTOCOLS {
        let setup = set_up(protocol, 5, json!({})).await;
        let v = verify(&setup, client_body(), "MOCK-CORRECTED-ID", &["PHP"]).await;
        assert_eq!(v["status"], "verified", "{protocol}: {v:#}");
        let php = level(&v, "PHP");
        assert_eq!(
            php["answered_for"]["corrected_member_id"], "W900000002",
            "{protocol}"
        );
        assert!(
            warnings(&v)
                .iter()
                .any(|w| w.contains("corrected member id W900000002")),
            "{protocol}"
        );
        assert_eq!(php["in_network"]["copay"]["amount"], "100.00", "{protocol}");
        let v = verify(&setup, client_body(), "MOCK-NAME-DIFFERS", &["PHP"]).await;
        assert_eq!(v["status"], "verified", "{protocol}: {v:#}");
        let data = level(&v, "PHP")["answered_for"]["payer_data"].to_string();
        assert!(
            data.contains("SMITH-JONES") && data.contains("Lopez"),
            "{protocol}: {data}"
        );
        setup.mock.stop().await;
    }
}

#[tokio::test]
async fn envelopes_as_they_arrive_and_batch_answers_are_read_over_x12() {
    for envelope in ["multipart", "soap"] {
        let setup = set_up("x12", 5, json!({"envelope": envelope})).await;
        for member in ["MOCK-BOM-CRLF", "MOCK-BATCH", "MOCK-RELAYED"] {
            let v = verify(&setup, client_body(), member, &["PHP"]).await;
            assert_eq!(v["status"], "verified", "{envelope} {member}: {v:#}");
            assert_eq!(
                level(&v, "PHP")["coverage_status"]["value"],
                "active",
                "{envelope} {member}"
            );
        }
        let batch = verify(&setup, client_body(), "MOCK-BATCH", &["PHP"]).await;
        assert!(
            warnings(&batch)
                .iter()
                .any(|w| w.contains("2 other members' answers; they were set aside")),
            "{envelope}: {:?}",
            warnings(&batch)
        );
        // Another inquiry's trace: someone else's answer, whatever the names say.
        let v = verify(&setup, client_body(), "MOCK-OTHER-TRACE", &["PHP"]).await;
        assert_eq!(v["status"], "payer_error", "{envelope}: {v:#}");
        assert_eq!(v["error"]["kind"], "mismatch");
        assert!(v["error"]["detail"]
            .as_str()
            .unwrap()
            .starts_with("the answer is not about this client: trace number"));
        setup.mock.stop().await;
    }
}
