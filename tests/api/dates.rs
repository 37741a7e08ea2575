//! The earliest dates taken: a date of service or coverage before 2000-01-01 and a birth date
//! before 1900-01-01 are slips of the year, refused with a 422 naming the field wherever they
//! enter — a year-0000 day once reached an 837 that no validator accepts.

use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, id_of, spawn_app, TestApp};

/// The fields a request is refused on, expecting a 422.
async fn refused(app: &TestApp, path: &str, token: &str, body: Value) -> Vec<String> {
    app.post(path)
        .token(token)
        .json(body)
        .expect(422)
        .await
        .error_fields()
}

/// A client with EHR number MRN-OLD and a coverage without dates (in force on any day), so
/// that only the date rule stands between a year-0000 day and a claim.
async fn covered_on_any_day(app: &TestApp) -> (String, String, String) {
    let payer = id_of(&app.create_payer().await);
    let mut client = client_body();
    client["external_id"] = json!("MRN-OLD");
    let client = id_of(&app.create_client(client).await);
    let mut coverage = coverage_body(&payer);
    let fields = coverage.as_object_mut().unwrap();
    fields.remove("effective_date");
    fields.remove("end_date");
    let coverage = app
        .post(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .json(coverage)
        .expect(201)
        .await
        .body;
    (payer, client, id_of(&coverage))
}

#[tokio::test]
async fn attendance_before_2000_is_refused_in_a_batch_and_in_a_csv_import() {
    let app = spawn_app().await;
    covered_on_any_day(&app).await;
    let row = |date: &str| {
        json!({"external_id": "MRN-OLD", "service_date": date, "level_of_care": "PHP",
               "minutes": 330})
    };

    let atomic = refused(
        &app,
        "/api/v1/attendance?atomic=true",
        &app.billing,
        json!({"rows": [row("0000-03-02"), row("1999-12-31")]}),
    )
    .await;
    assert_eq!(atomic, ["rows[0].service_date", "rows[1].service_date"]);

    let file = "external_id,service_date,level_of_care,minutes\n\
                MRN-OLD,03/02/0000,PHP,330\n\
                MRN-OLD,0000-03-03,PHP,330\n\
                MRN-OLD,01/01/2000,PHP,330\n";
    let report = app
        .post("/api/v1/attendance/import")
        .token(&app.billing)
        .raw(file.as_bytes(), Some("text/csv"))
        .expect(200)
        .await
        .body;
    assert_eq!(
        (&report["created"], &report["rejected"]),
        (&json!(1), &json!(2))
    );
    let refusals: Vec<(u64, &str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refusals,
        [
            (2, "service_date", "invalid"),
            (3, "service_date", "invalid")
        ]
    );
    assert!(report["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("2000-01-01"));

    let stored = app
        .get("/api/v1/attendance")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(stored["total"], 1);
    assert_eq!(stored["items"][0]["service_date"], "2000-01-01");
}

#[tokio::test]
async fn every_other_date_of_service_or_coverage_before_2000_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let (payer, client, coverage) = covered_on_any_day(&app).await;
    let early = "1999-12-31";

    let verification = json!({"client_id": client, "coverage_id": coverage,
        "levels_of_care": ["PHP"], "program": "mental_health", "service_date": early});
    assert_eq!(
        refused(
            &app,
            "/api/v1/verifications",
            &app.admissions,
            verification.clone()
        )
        .await,
        ["service_date"]
    );
    assert_eq!(
        refused(
            &app,
            "/api/v1/verification-batches",
            &app.admissions,
            json!({"items": [verification]})
        )
        .await,
        ["items[0].service_date"]
    );

    let mut new_coverage = coverage_body(&payer);
    // A policy may be older than 2000 (its days before then are never billed); year 0000 is
    // no policy's.
    new_coverage["effective_date"] = json!("0000-01-01");
    new_coverage["end_date"] = json!("0000-12-31");
    assert_eq!(
        refused(
            &app,
            &format!("/api/v1/clients/{client}/coverages"),
            &app.admissions,
            new_coverage
        )
        .await,
        ["effective_date", "end_date"]
    );
    let mut old_policy = coverage_body(&payer);
    old_policy["effective_date"] = json!("1995-06-01");
    app.post(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .json(old_policy)
        .expect(201)
        .await;

    let authorization = json!({"client_id": client, "coverage_id": coverage,
        "level_of_care": "PHP", "program": "mental_health", "authorization_number": "PA-1",
        "start_date": early, "end_date": early, "days_approved": 1, "status": "approved",
        "next_review_date": early});
    assert_eq!(
        refused(&app, "/api/v1/authorizations", &app.billing, authorization).await,
        ["start_date", "end_date", "next_review_date"]
    );
    let authorization = app
        .post("/api/v1/authorizations")
        .token(&app.billing)
        .json(
            json!({"client_id": client, "coverage_id": coverage, "level_of_care": "PHP",
            "program": "mental_health", "authorization_number": "PA-2",
            "start_date": "2026-03-02", "end_date": "2026-03-13", "days_approved": 10,
            "status": "approved"}),
        )
        .expect(201)
        .await
        .body;
    assert_eq!(
        refused(
            &app,
            &format!(
                "/api/v1/authorizations/{}/extensions",
                id_of(&authorization)
            ),
            &app.billing,
            json!({"effective_date": early, "days_added": 5, "new_end_date": early})
        )
        .await,
        ["effective_date", "new_end_date"]
    );

    let episode = json!({"admission_date": early, "discharge_date": early,
        "discharge_status": "01", "principal_diagnosis": "F33.1",
        "level_of_care_history": [{"level_of_care": "PHP", "from": early, "to": early}]});
    assert_eq!(
        refused(
            &app,
            &format!("/api/v1/clients/{client}/episodes"),
            &app.admissions,
            episode
        )
        .await,
        [
            "admission_date",
            "discharge_date",
            "level_of_care_history[0].from",
            "level_of_care_history[0].to"
        ]
    );

    let schedule = json!({"payer_id": payer, "level_of_care": "PHP", "program": "mental_health",
        "revenue_code": "0912", "hcpcs": "H0035", "charge_per_day": "1250.00",
        "effective_from": early, "effective_to": early, "type_of_bill": "0131"});
    assert_eq!(
        refused(&app, "/api/v1/fee-schedules", &app.billing, schedule).await,
        ["effective_from", "effective_to"]
    );

    assert_eq!(
        refused(
            &app,
            "/api/v1/claims/generate",
            &app.billing,
            json!({"from_date": "0000-03-01", "through_date": early, "period": "week"})
        )
        .await,
        ["through_date", "from_date"]
    );

    let self_pay = |days: Value| {
        let mut body = json!({"client_id": client, "self_pay": true, "level_of_care": "IOP"});
        body.as_object_mut()
            .unwrap()
            .extend(days.as_object().unwrap().clone());
        body
    };
    assert_eq!(
        refused(
            &app,
            "/api/v1/estimates",
            &app.admissions,
            self_pay(json!({"schedule": {"start_date": early, "days_per_week": 3, "weeks": 2}}))
        )
        .await,
        ["schedule.start_date"]
    );
    assert_eq!(
        refused(
            &app,
            "/api/v1/estimates",
            &app.admissions,
            self_pay(json!({"planned_days": ["2026-03-02", early]}))
        )
        .await,
        ["planned_days[1]"]
    );
}

#[tokio::test]
async fn birth_dates_before_1900_are_refused_for_clients_and_policy_holders() {
    let app = spawn_app().await;
    let mut client = client_body();
    client["date_of_birth"] = json!("1899-12-31");
    assert_eq!(
        refused(&app, "/api/v1/clients", &app.admissions, client).await,
        ["date_of_birth"]
    );

    let payer = id_of(&app.create_payer().await);
    let client = id_of(&app.create_client(client_body()).await);
    let mut coverage = coverage_body(&payer);
    coverage["relationship"] = json!("spouse");
    coverage["subscriber"] = json!({"first_name": "Luis", "last_name": "Lopez",
        "date_of_birth": "0000-01-01", "sex": "M"});
    assert_eq!(
        refused(
            &app,
            &format!("/api/v1/clients/{client}/coverages"),
            &app.admissions,
            coverage
        )
        .await,
        ["subscriber.date_of_birth"]
    );
}
