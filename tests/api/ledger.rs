//! The authorization ledger derived from attendance (across extensions and a step-down), the
//! billable verdict it feeds, and each kind of alert.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::helpers::{client_body, TestApp};

async fn client_with_open_coverage(app: &TestApp, payer: &str) -> (String, String) {
    let client = app.create_client(client_body()).await;
    let client_id = client["id"].as_str().unwrap().to_string();
    let coverage = app
        .post(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.admissions)
        .json(json!({
            "payer_id": payer, "member_id": "XYZ123456789", "relationship": "self",
            "priority": "primary", "effective_date": "2020-01-01"
        }))
        .expect(201)
        .await
        .body;
    (client_id, coverage["id"].as_str().unwrap().to_string())
}

async fn authorize(app: &TestApp, client: &str, coverage: &str, body: Value) -> Value {
    let mut full = json!({
        "client_id": client, "coverage_id": coverage, "program": "mental_health",
        "authorization_number": "PA-1", "status": "approved"
    });
    for (key, value) in body.as_object().unwrap() {
        full[key] = value.clone();
    }
    app.post("/api/v1/authorizations")
        .token(&app.billing)
        .json(full)
        .expect(201)
        .await
        .body
}

async fn attend(app: &TestApp, client: &str, days: &[(&str, &str, u32)]) {
    let rows: Vec<Value> = days
        .iter()
        .map(|(date, level, minutes)| {
            json!({"client_id": client, "service_date": date, "level_of_care": level, "minutes": minutes})
        })
        .collect();
    let report = app
        .post("/api/v1/attendance")
        .token(&app.billing)
        .json(json!({"rows": rows}))
        .expect(200)
        .await
        .body;
    assert_eq!(report["rejected"], 0, "{report}");
}

async fn ledger(app: &TestApp, authorization: &Value) -> Value {
    app.get(&format!(
        "/api/v1/authorizations/{}",
        authorization["id"].as_str().unwrap()
    ))
    .token(&app.billing)
    .expect(200)
    .await
    .body["ledger"]
        .clone()
}

fn dates(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_ledger_follows_attendance_across_extensions_and_a_step_down() {
    let app = crate::helpers::spawn_app().await;
    let payer = app.create_payer().await;
    let (client, coverage) = client_with_open_coverage(&app, payer["id"].as_str().unwrap()).await;
    let php = authorize(
        &app,
        &client,
        &coverage,
        json!({"level_of_care": "PHP", "start_date": "2026-03-02", "end_date": "2026-03-06", "days_approved": 3}),
    )
    .await;
    assert_eq!(php["ledger"]["days_used"], 0);
    // Monday to Friday; Wednesday is short and uses nothing.
    attend(
        &app,
        &client,
        &[
            ("2026-03-02", "PHP", 330),
            ("2026-03-03", "PHP", 330),
            ("2026-03-04", "PHP", 200),
            ("2026-03-05", "PHP", 330),
            ("2026-03-06", "PHP", 330),
        ],
    )
    .await;
    let first = ledger(&app, &php).await;
    assert_eq!(
        (
            &first["days_approved"],
            &first["days_used"],
            &first["days_remaining"]
        ),
        (&json!(3), &json!(3), &json!(0))
    );
    assert_eq!(
        dates(&first["used_days"]),
        ["2026-03-02", "2026-03-03", "2026-03-05"]
    );
    assert_eq!(dates(&first["days_beyond_approved"]), ["2026-03-06"]);
    let friday = app
        .get(&format!(
            "/api/v1/attendance?client_id={client}&from=2026-03-06&to=2026-03-06"
        ))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(
        friday["items"][0]["reasons"][0]["code"],
        "beyond_approved_days"
    );

    // A concurrent review adds five days and a week: Friday is now covered.
    let extended = app
        .post(&format!(
            "/api/v1/authorizations/{}/extensions",
            php["id"].as_str().unwrap()
        ))
        .token(&app.billing)
        .json(json!({"effective_date": "2026-03-06", "reference": "CR-7", "days_added": 5, "new_end_date": "2026-03-13"}))
        .expect(201)
        .await
        .body;
    assert_eq!(extended["ledger"]["days_approved"], 8);
    attend(&app, &client, &[("2026-03-09", "PHP", 330)]).await;
    let second = ledger(&app, &php).await;
    assert_eq!(
        (&second["days_used"], &second["days_remaining"]),
        (&json!(5), &json!(3))
    );
    assert_eq!(
        dates(&second["used_days"]),
        [
            "2026-03-02",
            "2026-03-03",
            "2026-03-05",
            "2026-03-06",
            "2026-03-09"
        ]
    );
    assert_eq!(second["days_beyond_approved"], json!([]));

    // Step-down to IOP: a new authorization at the other level; PHP's ledger is untouched.
    let iop = authorize(
        &app,
        &client,
        &coverage,
        json!({"level_of_care": "IOP", "authorization_number": "PA-2", "start_date": "2026-03-16", "end_date": "2026-03-27", "days_approved": 6}),
    )
    .await;
    attend(
        &app,
        &client,
        &[
            ("2026-03-16", "IOP", 180),
            ("2026-03-17", "IOP", 180),
            ("2026-03-18", "IOP", 120),
        ],
    )
    .await;
    let step = ledger(&app, &iop).await;
    assert_eq!(
        (&step["days_used"], &step["days_remaining"]),
        (&json!(2), &json!(4))
    );
    assert_eq!(dates(&step["used_days"]), ["2026-03-16", "2026-03-17"]);
    assert_eq!(ledger(&app, &php).await, second);

    // A pending authorization has no ledger.
    let pending = authorize(
        &app,
        &client,
        &coverage,
        json!({"level_of_care": "PHP", "authorization_number": "PA-3", "status": "pending", "start_date": "2026-04-01", "end_date": "2026-04-10", "days_approved": 0}),
    )
    .await;
    assert_eq!(pending["ledger"], Value::Null);
}

fn day(offset: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(offset)
}

#[tokio::test]
async fn alerts_name_the_client_the_authorization_and_the_dates() {
    let app = crate::helpers::spawn_app().await;
    let payer = app.create_payer().await;
    let payer = payer["id"].as_str().unwrap();
    let (busy, coverage) = client_with_open_coverage(&app, payer).await;
    let window = authorize(
        &app,
        &busy,
        &coverage,
        json!({
            "level_of_care": "PHP", "authorization_number": "PA-NEAR-END",
            "start_date": day(-9), "end_date": day(3), "days_approved": 5,
            "next_review_date": day(1)
        }),
    )
    .await;
    let attended: Vec<String> = (4..=9).rev().map(|back| day(-back).to_string()).collect();
    let rows: Vec<(&str, &str, u32)> = attended.iter().map(|d| (d.as_str(), "PHP", 330)).collect();
    attend(&app, &busy, &rows).await;
    let (uncovered, _) = client_with_open_coverage(&app, payer).await;
    attend(&app, &uncovered, &[(&day(-2).to_string(), "IOP", 180)]).await;

    let answer = app
        .get("/api/v1/alerts")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let items = answer["items"].as_array().unwrap();
    let find = |kind: &str| {
        items
            .iter()
            .find(|a| a["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} alert in {answer}"))
    };
    let ending = find("authorization_ending");
    assert_eq!(ending["client_id"], json!(busy));
    assert_eq!(ending["authorization_id"], window["id"]);
    assert_eq!(ending["authorization_number"], "PA-NEAR-END");
    assert_eq!(dates(&ending["dates"]), [day(3).to_string()]);
    assert_eq!(ending["client_name"], "Lopez, Ana");
    let few = find("few_days_left");
    assert!(few["message"].as_str().unwrap().contains("0 of 5"), "{few}");
    assert_eq!(dates(&find("review_due")["dates"]), [day(1).to_string()]);
    let beyond = find("beyond_approved_days");
    assert_eq!(dates(&beyond["dates"]), [day(-4).to_string()]);
    let unauthorized = find("unauthorized_days");
    assert_eq!(unauthorized["client_id"], json!(uncovered));
    assert_eq!(unauthorized["level_of_care"], "IOP");
    assert_eq!(dates(&unauthorized["dates"]), [day(-2).to_string()]);

    // Narrower horizons drop what is not yet pressing.
    let calm = app
        .get("/api/v1/alerts?ending_within_days=1&review_within_days=0&days_left_at_most=0&lookback_days=1")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let kinds: Vec<&str> = calm["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["few_days_left"]);
    app.get("/api/v1/alerts?lookback_days=0")
        .token(&app.billing)
        .expect(400)
        .await;
    app.get("/api/v1/alerts")
        .token(&app.admissions)
        .expect(403)
        .await;
}

/// Alerts look at authorizations in force: one whose own end date passed but which an
/// extension carries on is still watched (its new end is near), while one that simply ended,
/// with nothing attended since, raises nothing.
#[tokio::test]
async fn an_extended_authorization_is_watched_and_an_ended_one_is_not() {
    let app = crate::helpers::spawn_app().await;
    let payer = app.create_payer().await;
    let payer = payer["id"].as_str().unwrap();
    let (extended, coverage) = client_with_open_coverage(&app, payer).await;
    let carried_on = authorize(
        &app,
        &extended,
        &coverage,
        json!({
            "level_of_care": "IOP", "authorization_number": "PA-CARRIED-ON",
            "start_date": day(-40), "end_date": day(-2), "days_approved": 20
        }),
    )
    .await;
    app.post(&format!(
        "/api/v1/authorizations/{}/extensions",
        carried_on["id"].as_str().unwrap()
    ))
    .token(&app.billing)
    .json(json!({"effective_date": day(-3), "reference": "CR-9", "days_added": 5, "new_end_date": day(2)}))
    .expect(201)
    .await;
    let (ended, coverage) = client_with_open_coverage(&app, payer).await;
    authorize(
        &app,
        &ended,
        &coverage,
        json!({
            "level_of_care": "IOP", "authorization_number": "PA-ENDED",
            "start_date": day(-200), "end_date": day(-100), "days_approved": 20
        }),
    )
    .await;

    let answer = app
        .get("/api/v1/alerts")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let items = answer["items"].as_array().unwrap();
    let ending = items
        .iter()
        .find(|a| a["kind"] == "authorization_ending")
        .unwrap_or_else(|| panic!("no authorization_ending alert in {answer}"));
    assert_eq!(ending["client_id"], json!(extended));
    assert_eq!(dates(&ending["dates"]), [day(2).to_string()]);
    assert!(
        items.iter().all(|a| a["client_id"] != json!(ended)),
        "{answer}"
    );
}
