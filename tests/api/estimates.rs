//! Cost estimates from a mock-payer verification through to the estimate, for IOP and PHP;
//! self-pay good-faith estimates; estimates kept and read back as given.

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{id_of, spawn_app, TestApp};
use crate::verifications::{set_up, verify};

async fn estimate(app: &TestApp, body: Value, status: u16) -> crate::helpers::Reply {
    app.post("/api/v1/estimates")
        .token(&app.admissions)
        .json(body)
        .expect(status)
        .await
}

#[tokio::test]
async fn an_iop_course_walks_the_deductible_then_coinsurance_to_the_cent() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (client, coverage, _) = set_up(&app, "x12", &mock.url(X12_PATH), "MOCK-DEDUCTIBLE").await;
    let verification = verify(&app, &client, &coverage, json!(["IOP"]), 201).await;
    assert_eq!(verification["status"], "verified", "{verification:#}");

    // Ten IOP days at $250 allowed: $900 of deductible left, then 20 % coinsurance.
    // Days 1–3: 250 deductible each (150 left); day 4: 150 + 20 % of 100 = 170; days 5–10:
    // 50 each. Patient 750 + 170 + 300 = 1220; plan 2500 − 1220 = 1280.
    let reply = estimate(
        &app,
        json!({
            "verification_id": id_of(&verification), "level_of_care": "IOP",
            "network": "in", "allowed_per_day": "250",
            "schedule": {"start_date": "2026-11-30", "days_per_week": 5, "weeks": 2}
        }),
        201,
    )
    .await;
    let body = &reply.body;
    assert_eq!(body["kind"], "insurance");
    assert_eq!(body["allowed_per_day"], "250.00");
    assert_eq!(body["allowed_source"]["from"], "request");
    let e = &body["estimate"];
    assert_eq!(e["days"].as_array().unwrap().len(), 10);
    assert_eq!(e["days"][0]["date"], "2026-11-30");
    assert_eq!(e["days"][0]["low"]["deductible"], "250.00");
    assert_eq!(e["days"][3]["low"]["deductible"], "150.00");
    assert_eq!(e["days"][3]["low"]["coinsurance"], "20.00");
    assert_eq!(e["days"][3]["low"]["patient"], "170.00");
    assert_eq!(e["days"][9]["low"]["patient"], "50.00");
    assert_eq!(e["totals"]["allowed"], "2500.00");
    assert_eq!(e["totals"]["low"]["patient"], "1220.00");
    assert_eq!(e["totals"]["low"]["plan"], "1280.00");
    assert_eq!(e["totals"]["high"], e["totals"]["low"], "{e:#}");
    assert!(!e["assumptions"].as_array().unwrap().is_empty());
    for day in e["days"].as_array().unwrap() {
        let patient: rust_decimal::Decimal =
            day["low"]["patient"].as_str().unwrap().parse().unwrap();
        let plan: rust_decimal::Decimal = day["low"]["plan"].as_str().unwrap().parse().unwrap();
        let allowed: rust_decimal::Decimal = day["allowed"].as_str().unwrap().parse().unwrap();
        assert_eq!(patient + plan, allowed);
    }

    // Kept as given: admissions and billing read the same document.
    let path = reply.header("location").unwrap().to_string();
    for token in [&app.admissions, &app.billing] {
        let read = app.get(&path).token(token).expect(200).await.body;
        assert_eq!(&read, body);
    }
    let audit = app
        .get(&format!("/api/v1/audit?entity_id={}", id_of(body)))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"create") && actions.contains(&"read"),
        "{actions:?}"
    );

    // The level asked must have been verified.
    let refused = estimate(
        &app,
        json!({"verification_id": id_of(&verification), "level_of_care": "PHP",
               "allowed_per_day": "900", "planned_days": ["2026-12-01"]}),
        422,
    )
    .await;
    assert_eq!(refused.error_fields(), ["level_of_care"]);
    // Without a fee schedule the allowed amount must be sent.
    let refused = estimate(
        &app,
        json!({"verification_id": id_of(&verification), "level_of_care": "IOP",
               "planned_days": ["2026-12-01"]}),
        422,
    )
    .await;
    assert_eq!(refused.error_fields(), ["allowed_per_day"]);
    let refused = estimate(
        &app,
        json!({"verification_id": id_of(&verification), "level_of_care": "IOP",
               "allowed_per_day": "250", "planned_days": ["2026-12-01"],
               "schedule": {"start_date": "2026-12-01", "days_per_week": 3, "weeks": 1}}),
        422,
    )
    .await;
    assert_eq!(refused.error_fields(), ["schedule"]);
}

#[tokio::test]
async fn a_php_course_uses_the_fee_schedule_and_the_per_day_copay() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (client, coverage, payer) = set_up(&app, "x12", &mock.url(X12_PATH), "MOCK-COPAY").await;
    let verification = verify(&app, &client, &coverage, json!(["PHP"]), 201).await;
    app.post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": payer, "level_of_care": "PHP", "program": "mental_health",
            "revenue_code": "0913", "hcpcs": "H0035", "charge_per_day": "1450",
            "allowed_per_day": "980.00", "effective_from": "2026-01-01",
            "type_of_bill": "0131", "condition_codes": ["41"]
        }))
        .expect(201)
        .await;
    let reply = estimate(
        &app,
        json!({
            "verification_id": id_of(&verification), "level_of_care": "PHP",
            "planned_days": ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04",
                             "2026-12-07"]
        }),
        201,
    )
    .await;
    let body = &reply.body;
    assert_eq!(body["allowed_per_day"], "980.00");
    assert_eq!(body["allowed_source"]["from"], "fee_schedule");
    let e = &body["estimate"];
    assert_eq!(e["totals"]["allowed"], "4900.00");
    // $100 a day in network, at least.
    assert_eq!(e["days"][0]["low"]["copay"], "100.00");
    assert_eq!(e["totals"]["low"]["copay"], "500.00");
    // The payer gave no deductible or out-of-pocket figures: the estimate says so, with a
    // range rather than a silent zero.
    let unknown: Vec<&str> = e["unknown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(!unknown.is_empty(), "{e:#}");
    assert_ne!(e["totals"]["high"], e["totals"]["low"]);
}

#[tokio::test]
async fn self_pay_and_inactive_coverage_get_a_good_faith_estimate() {
    let app = spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (client, coverage, _) = set_up(&app, "x12", &mock.url(X12_PATH), "MOCK-INACTIVE").await;
    // Self-pay by choice, at the configured rate ($650 a day for IOP).
    let gfe = estimate(
        &app,
        json!({"client_id": client, "self_pay": true, "level_of_care": "IOP",
               "schedule": {"start_date": "2026-12-07", "days_per_week": 3, "weeks": 2}}),
        201,
    )
    .await
    .body;
    assert_eq!(gfe["kind"], "self_pay");
    let items = &gfe["good_faith_estimate"]["line_items"];
    assert_eq!(items[0]["days"], 6);
    assert_eq!(items[0]["charge_per_day"], "650.00");
    assert_eq!(gfe["good_faith_estimate"]["total"], "3900.00");
    assert!(gfe["good_faith_estimate"]["disclaimer"]
        .as_str()
        .unwrap()
        .contains("Good Faith Estimate"));
    // A verification that found the coverage inactive: a good-faith estimate, and why.
    let verification = verify(&app, &client, &coverage, json!(["PHP"]), 201).await;
    assert_eq!(verification["status"], "inactive");
    let inactive = estimate(
        &app,
        json!({"verification_id": id_of(&verification), "level_of_care": "PHP",
               "planned_days": ["2026-12-07", "2026-12-08"]}),
        201,
    )
    .await
    .body;
    assert_eq!(inactive["kind"], "self_pay");
    assert_eq!(inactive["good_faith_estimate"]["total"], "2200.00");
    assert!(inactive["notes"][0].as_str().unwrap().contains("inactive"));
    // No verification and not self-pay: nothing to estimate from.
    let refused = estimate(
        &app,
        json!({"client_id": client, "level_of_care": "IOP", "planned_days": ["2026-12-07"]}),
        422,
    )
    .await;
    assert_eq!(refused.error_fields(), ["verification_id"]);
    app.get(&format!("/api/v1/estimates/{}", uuid::Uuid::new_v4()))
        .token(&app.billing)
        .expect(404)
        .await;
}
