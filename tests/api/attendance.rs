//! Attendance: JSON batches and CSV imports (both modes), idempotent re-sends, each refusal,
//! a day on a claim, and the billable verdict with its reasons.

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{client_body, coverage_body, TestApp};

/// A client with EHR number `mrn`, covered for 2026 by `payer_id`.
async fn covered_client(app: &TestApp, payer_id: &str, mrn: &str) -> String {
    let mut body = client_body();
    body["external_id"] = json!(mrn);
    let client = app.create_client(body).await;
    let id = client["id"].as_str().unwrap().to_string();
    app.create_coverage(&id, payer_id).await;
    id
}

/// A payer with the given billing rules.
async fn payer_with(app: &TestApp, billing: Value) -> String {
    let edi = format!("P{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    app.post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": "Acme Health", "payer_id": edi, "billing": billing}))
        .expect(201)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn csv(app: &TestApp, query: &str, file: &str, status: u16) -> Value {
    app.post(&format!("/api/v1/attendance/import{query}"))
        .token(&app.billing)
        .raw(file.as_bytes(), Some("text/csv"))
        .expect(status)
        .await
        .body
}

async fn batch(app: &TestApp, query: &str, body: Value, status: u16) -> Value {
    app.post(&format!("/api/v1/attendance{query}"))
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
        .body
}

async fn days(app: &TestApp, query: &str) -> Value {
    app.get(&format!("/api/v1/attendance{query}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body
}

/// `(line or row, field, code)` of each error in a report.
fn errors(report: &Value) -> Vec<(u64, String, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().or(e["row"].as_u64()).unwrap(),
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(expected: &[(u64, &str, &str)]) -> Vec<(u64, String, String)> {
    expected
        .iter()
        .map(|(n, f, c)| (*n, f.to_string(), c.to_string()))
        .collect()
}

const MIXED: &str = "\
External_ID,Service_Date,Level_of_Care,Minutes,Services,Room
MRN-A,2026-03-02,PHP,330,group therapy;individual therapy,A
MRN-A,2026-03-03,PHP,0,,A
MRN-NOPE,2026-03-02,PHP,330,,A
MRN-A,2099-01-05,PHP,330,,A
MRN-A,2025-12-30,PHP,330,,A

MRN-A,03/04/2026,php,300,,A
MRN-A,2026-03-05,XOP,300,,A
MRN-A,2026-03-06,PHP,1441,,A
MRN-A,2026-03-09,PHP,abc,,A
";

#[tokio::test]
async fn a_csv_import_stores_good_lines_and_names_bad_ones_in_both_modes() {
    let app = crate::helpers::spawn_app().await;
    let payer = app.create_payer().await;
    covered_client(&app, payer["id"].as_str().unwrap(), "MRN-A").await;
    let expected = owned(&[
        (3, "minutes", "minutes_out_of_range"),
        (4, "external_id", "unknown_client"),
        (5, "service_date", "future_date"),
        (6, "service_date", "no_coverage"),
        (9, "level_of_care", "invalid"),
        (10, "minutes", "minutes_out_of_range"),
        (11, "minutes", "invalid"),
    ]);

    // Atomic: one bad line and nothing is stored; every bad line is named.
    let refused = csv(&app, "?atomic=true", MIXED, 422).await;
    assert_eq!(refused["type"], "urn:perdiem:problem:rows-refused");
    let fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "lines[3].minutes",
            "lines[4].external_id",
            "lines[5].service_date",
            "lines[6].service_date",
            "lines[9].level_of_care",
            "lines[10].minutes",
            "lines[11].minutes"
        ]
    );
    assert_eq!(days(&app, "").await["total"], 0);

    // Default: the good lines are stored, the bad ones reported with line and reason.
    let report = csv(&app, "", MIXED, 200).await;
    assert_eq!(
        (
            &report["received"],
            &report["created"],
            &report["unchanged"],
            &report["rejected"]
        ),
        (&json!(9), &json!(2), &json!(0), &json!(7))
    );
    assert_eq!(errors(&report), expected);
    assert_eq!(report["ignored_columns"], json!(["room"]));
    let stored = days(&app, "").await;
    assert_eq!(stored["total"], 2);
    assert_eq!(
        stored["items"][0]["services"],
        json!(["group therapy", "individual therapy"])
    );
    assert_eq!(stored["items"][1]["service_date"], "2026-03-04");

    // The same file again changes nothing.
    let again = csv(&app, "", MIXED, 200).await;
    assert_eq!(
        (&again["created"], &again["unchanged"]),
        (&json!(0), &json!(2))
    );
    assert_eq!(errors(&again), expected);
    assert_eq!(days(&app, "").await["total"], 2);
}

#[tokio::test]
async fn a_file_that_is_not_an_import_is_refused_whole() {
    let app = crate::helpers::spawn_app().await;
    let empty = csv(&app, "", "", 422).await;
    assert_eq!(empty["errors"][0]["field"], "body");
    let missing = csv(&app, "", "external_id,minutes\nMRN-A,300\n", 422).await;
    assert_eq!(missing["errors"][0]["field"], "body");
    assert!(missing["detail"].as_str().is_some());
    let wrong_type = app
        .post("/api/v1/attendance/import")
        .token(&app.billing)
        .raw(b"a,b\n", Some("application/json"))
        .expect(415)
        .await;
    assert_eq!(
        wrong_type.problem_type(),
        "urn:perdiem:problem:unsupported-media-type"
    );
    app.post("/api/v1/attendance/import")
        .token(&app.admissions)
        .raw(MIXED.as_bytes(), Some("text/csv"))
        .expect(403)
        .await;
}

#[tokio::test]
async fn stored_days_conflict_unless_replaced_and_iop_and_php_exclude_each_other() {
    let app = crate::helpers::spawn_app().await;
    let payer = app.create_payer().await;
    let client = covered_client(&app, payer["id"].as_str().unwrap(), "MRN-B").await;
    let row = |level: &str, minutes: u32| json!({"client_id": client, "service_date": "2026-03-02", "level_of_care": level, "minutes": minutes, "source": "ehr"});
    let first = batch(&app, "", json!({"rows": [row("PHP", 330)]}), 200).await;
    assert_eq!(first["created"], 1);
    // Same values (another source is the same day): nothing to do.
    let mut resent = row("PHP", 330);
    resent["source"] = json!("sign-in sheet");
    let same = batch(&app, "", json!({"rows": [resent]}), 200).await;
    assert_eq!(
        (&same["created"], &same["unchanged"]),
        (&json!(0), &json!(1))
    );

    let different = batch(&app, "", json!({"rows": [row("PHP", 300)]}), 200).await;
    assert_eq!(
        errors(&different),
        owned(&[(0, "service_date", "conflict")])
    );
    let atomic = batch(
        &app,
        "?atomic=true",
        json!({"rows": [row("PHP", 300)]}),
        409,
    )
    .await;
    assert_eq!(atomic["type"], "urn:perdiem:problem:rows-refused");
    assert_eq!(atomic["errors"][0]["field"], "rows[0].service_date");

    let other_level = batch(&app, "", json!({"rows": [row("IOP", 200)]}), 200).await;
    assert_eq!(
        errors(&other_level),
        owned(&[(0, "level_of_care", "level_conflict")])
    );

    let replaced = batch(
        &app,
        "",
        json!({"rows": [row("PHP", 300)], "replace": true}),
        200,
    )
    .await;
    assert_eq!(replaced["replaced"], 1);
    let stored = days(&app, &format!("?client_id={client}")).await;
    assert_eq!(stored["items"][0]["minutes"], 300);
    assert_eq!(stored["total"], 1);

    // Two different rows for one day in one batch: the second is a conflict with the first.
    let mut next = row("PHP", 330);
    next["service_date"] = json!("2026-03-03");
    let mut clash = next.clone();
    clash["minutes"] = json!(310);
    let dup = batch(&app, "", json!({"rows": [next, clash]}), 200).await;
    assert_eq!(dup["created"], 1);
    assert_eq!(errors(&dup), owned(&[(1, "service_date", "conflict")]));
}

#[tokio::test]
async fn a_day_on_a_claim_cannot_change_and_the_refusal_names_the_claim() {
    let app = crate::helpers::spawn_app().await;
    // A payer billed without prior authorization, so one day, an episode and a fee schedule
    // make a claim.
    let payer = payer_with(&app, json!({"authorization_required": false})).await;
    let client = covered_client(&app, &payer, "MRN-C").await;
    let row = json!({"client_id": client, "service_date": "2026-03-02", "level_of_care": "PHP", "minutes": 330});
    batch(&app, "", json!({"rows": [row]}), 200).await;
    app.post(&format!("/api/v1/clients/{client}/episodes"))
        .token(&app.billing)
        .json(json!({"admission_date": "2026-03-02", "principal_diagnosis": "F33.1"}))
        .expect(201)
        .await;
    app.post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": payer, "level_of_care": "PHP", "program": "mental_health",
            "revenue_code": "0913", "hcpcs": "H0035", "charge_per_day": "1450",
            "effective_from": "2026-01-01", "type_of_bill": "0131"
        }))
        .expect(201)
        .await;
    let generated = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .json(json!({"through_date": "2026-03-31", "period": "month"}))
        .expect(201)
        .await
        .body;
    let claim = generated["claims"][0]["id"].as_str().unwrap().to_string();

    let mut changed = row.clone();
    changed["minutes"] = json!(300);
    let refused = batch(
        &app,
        "",
        json!({"rows": [changed.clone()], "replace": true}),
        200,
    )
    .await;
    assert_eq!(errors(&refused), owned(&[(0, "service_date", "on_claim")]));
    assert_eq!(refused["errors"][0]["claim_id"], claim.as_str());
    let atomic = batch(
        &app,
        "?atomic=true",
        json!({"rows": [changed], "replace": true}),
        409,
    )
    .await;
    assert!(
        atomic["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&claim),
        "{atomic}"
    );
    // Re-sending the billed day as it is stays harmless.
    let same = batch(&app, "", json!({"rows": [row]}), 200).await;
    assert_eq!(same["unchanged"], 1);
    let stored = days(&app, "").await;
    assert_eq!(stored["items"][0]["minutes"], 330);
    assert_eq!(stored["items"][0]["claim_id"], claim.as_str());

    // Voided, the day is free to change again.
    app.post(&format!("/api/v1/claims/{claim}/void"))
        .token(&app.billing)
        .expect(200)
        .await;
    let mut changed = row.clone();
    changed["minutes"] = json!(300);
    let replaced = batch(&app, "", json!({"rows": [changed], "replace": true}), 200).await;
    assert_eq!(replaced["replaced"], 1, "{replaced}");
    assert_eq!(days(&app, "").await["items"][0]["claim_id"], Value::Null);
}

#[tokio::test]
async fn rows_of_the_wrong_shape_are_refused_one_by_one() {
    let app = crate::helpers::spawn_app().await;
    let payer = app.create_payer().await;
    let client = covered_client(&app, payer["id"].as_str().unwrap(), "MRN-D").await;
    let report = batch(
        &app,
        "",
        json!({"rows": [
            {"client_id": client, "service_date": "2026-03-02", "level_of_care": "PHP", "minutes": "lots"},
            {"client_id": client, "service_date": "2026-03-03", "level_of_care": "PHP", "minutes": 330, "mood": "good"},
            {"client_id": client, "external_id": "MRN-D", "service_date": "2026-03-04", "level_of_care": "PHP", "minutes": 330},
            {"client_id": client, "service_date": "2026-03-05", "level_of_care": "PHP", "start_time": "09:00", "end_time": "14:30"},
            "not a row"
        ]}),
        200,
    )
    .await;
    assert_eq!(
        errors(&report),
        owned(&[
            (0, "minutes", "invalid"),
            (1, "mood", "invalid"),
            (2, "client_id", "invalid"),
            (4, "row", "invalid"),
        ])
    );
    assert_eq!(report["created"], 1);
    let stored = days(&app, "").await;
    assert_eq!(stored["items"][0]["minutes"], 330);
    assert_eq!(stored["items"][0]["start_time"], "09:00");

    let empty = batch(&app, "", json!({"rows": []}), 422).await;
    assert_eq!(empty["errors"][0]["field"], "rows");
    let too_many: Vec<Value> = (0..10_001).map(|_| json!({})).collect();
    let huge = batch(&app, "", json!({"rows": too_many}), 422).await;
    assert_eq!(huge["errors"][0]["field"], "rows");
}

#[tokio::test]
async fn a_quote_left_open_is_reported_at_its_line_and_the_lines_after_it_are_stored() {
    let app = crate::helpers::spawn_app().await;
    let payer = app.create_payer().await;
    covered_client(&app, payer["id"].as_str().unwrap(), "MRN-Q").await;
    // Line 3 opens a quote it never closes; lines 7 and 8 are one record, whose note holds a
    // line break as a quoted value may.
    let file = "external_id,service_date,level_of_care,minutes,notes\n\
                MRN-Q,2026-03-02,PHP,330,\n\
                MRN-Q,\"2026-03-03,PHP,330,\n\
                MRN-Q,2026-03-04,PHP,330,\n\
                MRN-Q,2026-03-05,PHP,330,\n\
                MRN-Q,2026-03-06,PHP,330,\n\
                MRN-Q,2026-03-09,PHP,330,\"seen by Dr. Ames\nand the group\"\n";

    let refused = csv(&app, "?atomic=true", file, 422).await;
    assert_eq!(refused["errors"][0]["field"], "lines[3].row");
    assert_eq!(refused["errors"].as_array().unwrap().len(), 1);

    let report = csv(&app, "", file, 200).await;
    assert_eq!(errors(&report), owned(&[(3, "row", "invalid")]));
    assert_eq!(
        (&report["received"], &report["created"], &report["rejected"]),
        (&json!(6), &json!(5), &json!(1))
    );
    let stored: Vec<Value> = days(&app, "?limit=10").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| day["service_date"].clone())
        .collect();
    assert_eq!(
        stored,
        [
            json!("2026-03-02"),
            json!("2026-03-04"),
            json!("2026-03-05"),
            json!("2026-03-06"),
            json!("2026-03-09")
        ]
    );
}

#[tokio::test]
async fn each_day_says_whether_it_is_billable_and_why_not() {
    let app = crate::helpers::spawn_app().await;
    // This payer needs no authorization and takes 4-hour PHP days.
    let lenient = payer_with(
        &app,
        json!({"authorization_required": false, "php_minimum_minutes": 240}),
    )
    .await;
    let strict = payer_with(&app, json!(null)).await;
    let a = covered_client(&app, &lenient, "MRN-E").await;
    let b = covered_client(&app, &strict, "MRN-F").await;
    // 2026-03-02 is a Monday.
    let rows: Vec<Value> = [
        (&a, "2026-03-02", 330),
        (&a, "2026-03-03", 200),
        (&a, "2026-03-04", 250),
        (&b, "2026-03-02", 330),
    ]
    .iter()
    .map(|(client, date, minutes)| {
        json!({"client_id": client, "service_date": date, "level_of_care": "PHP", "minutes": minutes})
    })
    .collect();
    assert_eq!(
        batch(&app, "", json!({"rows": rows}), 200).await["created"],
        4
    );

    let of_a = days(&app, &format!("?client_id={a}&level_of_care=PHP")).await;
    let verdicts: Vec<(&Value, &Value)> = of_a["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (&d["billable"], &d["reasons"]))
        .collect();
    assert_eq!(verdicts[0], (&json!(true), &json!([])));
    assert_eq!(verdicts[1].0, &json!(false));
    assert_eq!(verdicts[1].1[0]["code"], "below_minimum_minutes");
    assert_eq!(verdicts[1].1[0]["minimum"], 240);
    assert_eq!(verdicts[2], (&json!(true), &json!([])));

    let of_b = days(&app, &format!("?client_id={b}")).await;
    assert_eq!(of_b["items"][0]["billable"], false);
    assert_eq!(
        of_b["items"][0]["reasons"][0]["code"],
        "no_approved_authorization"
    );

    // Filters and paging.
    let page = days(&app, "?from=2026-03-03&to=2026-03-04&limit=1").await;
    assert_eq!(
        (&page["total"], page["items"].as_array().unwrap().len()),
        (&json!(2), 1)
    );
    assert_eq!(days(&app, "?level_of_care=IOP").await["total"], 0);
    let inverted = app
        .get("/api/v1/attendance?from=2026-03-04&to=2026-03-03")
        .token(&app.billing)
        .expect(422)
        .await;
    assert_eq!(inverted.error_fields(), ["to"]);

    // The calendar: three PHP days (780 minutes) fall short of the 20-hour week.
    let calendar = app
        .get(&format!(
            "/api/v1/clients/{a}/attendance?from=2026-03-01&to=2026-03-31"
        ))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(calendar["days"].as_array().unwrap().len(), 3);
    assert_eq!(calendar["weeks"][0]["week_start"], "2026-03-02");
    assert_eq!(calendar["weeks"][0]["minutes"], 780);
    assert!(calendar["weeks"][0]["warning"].as_str().is_some());

    // Coverage that ends before a stored day makes it not billable, with the reason.
    let coverages = app
        .get(&format!("/api/v1/clients/{a}/coverages"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let coverage = coverages["items"][0]["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/clients/{a}/coverages/{coverage}"))
        .token(&app.admissions)
        .json(json!({"end_date": "2026-03-03"}))
        .expect(200)
        .await;
    let after = days(&app, &format!("?client_id={a}&from=2026-03-04")).await;
    let codes: Vec<&Value> = after["items"][0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["code"])
        .collect();
    // Without a coverage the payer's 240-minute rule no longer applies: the default does.
    assert_eq!(
        codes,
        [&json!("below_minimum_minutes"), &json!("no_coverage")]
    );

    // Every read and write of attendance is audited under the client.
    let audit = app
        .get(&format!("/api/v1/audit?entity_id={a}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_type"] == "attendance")
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["entity_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(actions.contains(&("create", "attendance")), "{audit}");
    assert!(actions.contains(&("read", "attendance")), "{audit}");
}

#[tokio::test]
async fn a_level_of_care_the_payer_does_not_cover_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    app.set_up_clinic().await;
    let payer = app
        .post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({
            "name": "Mock X12", "payer_id": "MOCKATT1",
            "connection": {"protocol": "x12", "endpoint_url": mock.url(X12_PATH)}
        }))
        .expect(201)
        .await
        .body;
    let client = app.create_client(client_body()).await;
    let client = client["id"].as_str().unwrap();
    let mut coverage = coverage_body(payer["id"].as_str().unwrap());
    coverage["member_id"] = json!("MOCK-NOPHP");
    let coverage = app
        .post(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .json(coverage)
        .expect(201)
        .await
        .body;
    let verification = app
        .post("/api/v1/verifications")
        .token(&app.admissions)
        .json(json!({"client_id": client, "coverage_id": coverage["id"], "levels_of_care": ["IOP", "PHP"], "program": "mental_health"}))
        .expect(201)
        .await
        .body;
    assert_eq!(verification["status"], "verified");

    let rows = json!({"rows": [
        {"client_id": client, "service_date": "2026-03-02", "level_of_care": "PHP", "minutes": 330},
        {"client_id": client, "service_date": "2026-03-03", "level_of_care": "IOP", "minutes": 180}
    ]});
    let report = batch(&app, "", rows, 200).await;
    assert_eq!(report["created"], 1);
    assert_eq!(
        errors(&report),
        owned(&[(0, "level_of_care", "level_not_covered")])
    );
    assert!(report["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains(verification["id"].as_str().unwrap()));
    mock.stop().await;
}
