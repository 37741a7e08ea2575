//! Issue 17, per-service billing: the service catalog (the clinic's charge master), catalog
//! codes with units on attended days, the billable-day rule of per-service payers and their
//! claims, one line per service.

use serde_json::{json, Value};

use crate::helpers::{changed, id_of, spawn_app, Terms, TestApp};

const SERVICE_CODES: &str = "/api/v1/service-codes";
const CATALOG: Terms = Terms(SERVICE_CODES);

/// A catalog entry of `code` open-ended from 2026-03-01, with `changes` applied (a null
/// removes the member).
fn entry(code: &str, changes: Value) -> Value {
    let body = json!({
        "code": code,
        "description": format!("Service {code}"),
        "revenue_code": "0915",
        "hcpcs": code,
        "charge": "210.00",
        "effective_from": "2026-03-01"
    });
    changed(body, changes)
}

#[tokio::test]
async fn catalog_entries_are_recorded_read_listed_and_changed() {
    let app = spawn_app().await;
    let reply = CATALOG
        .create(
            &app,
            entry("G0410", json!({"modifiers": ["PN"], "charge": "210.5"})),
            201,
        )
        .await;
    let group = reply.body.clone();
    assert_eq!(reply.header("location").unwrap(), CATALOG.path(&group));
    assert_eq!(group["charge"], "210.50");
    assert_eq!(group["counts_toward_day"], true, "the default");
    assert_eq!(group["modifiers"], json!(["PN"]));
    assert_eq!(group["effective_to"], Value::Null);
    let read = app
        .get(&CATALOG.path(&group))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(read, group);
    let check_in = CATALOG
        .record(
            &app,
            entry(
                "99211",
                json!({"revenue_code": "0900", "counts_toward_day": false, "charge": "40"}),
            ),
        )
        .await;
    assert_eq!(check_in["counts_toward_day"], false);

    // A charge changed mid-month: the old entry ends the day before, a new one starts.
    let ended = app
        .patch(&CATALOG.path(&group))
        .token(&app.billing)
        .json(json!({"effective_to": "2026-03-15"}))
        .expect(200)
        .await
        .body;
    assert_eq!(ended["effective_to"], "2026-03-15");
    let raised = CATALOG
        .record(
            &app,
            entry(
                "G0410",
                json!({"effective_from": "2026-03-16", "charge": "225.00"}),
            ),
        )
        .await;
    let ids = |query: &'static str| CATALOG.ids(&app, query);
    assert_eq!(
        ids("code=G0410").await,
        [id_of(&raised), id_of(&group)],
        "the latest start first"
    );
    assert_eq!(
        ids("code=G0410&active_on=2026-03-15").await,
        [id_of(&group)]
    );
    assert_eq!(
        ids("code=G0410&active_on=2026-03-16").await,
        [id_of(&raised)]
    );
    assert_eq!(ids("active_on=2026-02-28").await, Vec::<String>::new());
    assert_eq!(ids("").await.len(), 3);
    for bad in ["code=g0410", "active_on=2026-13-01"] {
        let reply = app
            .get(&format!("{SERVICE_CODES}?{bad}"))
            .token(&app.billing)
            .expect(400)
            .await;
        assert_eq!(reply.error_fields(), [bad.split('=').next().unwrap()]);
    }
    app.get(&format!(
        "{SERVICE_CODES}/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10"
    ))
    .token(&app.billing)
    .expect(404)
    .await;
}

#[tokio::test]
async fn overlapping_entries_of_a_code_are_refused_naming_the_other() {
    let app = spawn_app().await;
    let first = CATALOG.record(&app, entry("G0410", json!({}))).await;
    // Another code may share any day.
    CATALOG
        .create(&app, entry("90837", json!({"revenue_code": "0914"})), 201)
        .await;
    let reply = CATALOG
        .create(
            &app,
            entry("G0410", json!({"effective_from": "2026-06-01"})),
            409,
        )
        .await;
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:service-code-overlap"
    );
    let named = &reply.body["conflicting_service_code"];
    assert_eq!(named["id"], first["id"]);
    assert_eq!(named["code"], "G0410");
    assert_eq!(named["effective_from"], "2026-03-01");
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(detail.contains(first["id"].as_str().unwrap()), "{detail}");

    // A patch is checked as a creation is, and the code is fixed.
    let later = CATALOG
        .record(
            &app,
            entry(
                "G0410",
                json!({"effective_from": "2025-01-01", "effective_to": "2025-12-31"}),
            ),
        )
        .await;
    let reply = app
        .patch(&CATALOG.path(&later))
        .token(&app.billing)
        .json(json!({"effective_to": "2026-03-01"}))
        .expect(409)
        .await;
    assert_eq!(reply.body["conflicting_service_code"]["id"], first["id"]);
    let reply = app
        .patch(&CATALOG.path(&later))
        .token(&app.billing)
        .json(json!({"code": "90853"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["code"]);
    let reply = app
        .patch(&CATALOG.path(&later))
        .token(&app.billing)
        .json(json!({"charge": null}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["charge"]);
}

#[tokio::test]
async fn each_bad_catalog_field_is_named() {
    let app = spawn_app().await;
    for (changes, field) in [
        (json!({"code": "G041"}), "code"),
        (json!({"code": "group"}), "code"),
        (json!({"description": "  "}), "description"),
        (json!({"revenue_code": "915"}), "revenue_code"),
        (json!({"hcpcs": null}), "hcpcs"),
        (json!({"modifiers": ["PN", "PN"]}), "modifiers[1]"),
        (json!({"charge": "0.00"}), "charge"),
        (json!({"charge": "12.345"}), "charge"),
        (json!({"effective_to": "2026-02-01"}), "effective_to"),
    ] {
        let reply = CATALOG
            .create(&app, entry("G0410", changes.clone()), 422)
            .await;
        assert_eq!(reply.error_fields(), [field], "{changes}");
    }
}

/// The catalog of March 2026: group therapy (G0410) at 210.00 through the 15th and 225.00
/// from the 16th, individual (90837), family (90847), activity therapy (G0176), a check-in
/// that does not count toward the day (99211), and H2019, which ended in February.
pub(crate) async fn march_catalog(app: &TestApp) {
    for body in [
        entry("G0410", json!({"effective_to": "2026-03-15"})),
        entry(
            "G0410",
            json!({"effective_from": "2026-03-16", "charge": "225.00"}),
        ),
        entry("90837", json!({"revenue_code": "0914", "charge": "300.00"})),
        entry("90847", json!({"revenue_code": "0916", "charge": "275.50"})),
        entry("G0176", json!({"revenue_code": "0904", "charge": "95.25"})),
        entry(
            "99211",
            json!({"revenue_code": "0900", "charge": "40.00", "counts_toward_day": false}),
        ),
        entry(
            "H2019",
            json!({"revenue_code": "0900", "effective_from": "2026-01-01",
                   "effective_to": "2026-02-28"}),
        ),
    ] {
        CATALOG.create(app, body, 201).await;
    }
}

/// A payer with `billing` rules; its id. Each test has its own database, so a fixed EDI
/// payer id keeps the files it produces the same from run to run.
async fn payer_with(app: &TestApp, name: &str, billing: Value) -> String {
    let edi = name.replace(' ', "").to_ascii_uppercase();
    app.post("/api/v1/payers")
        .token(&app.admin)
        .json(json!({"name": name, "payer_id": edi, "billing": billing}))
        .expect(201)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A client with EHR number `mrn`, covered by `payer` from 2020; its id and coverage id.
async fn covered_client(app: &TestApp, payer: &str, mrn: &str) -> (String, String) {
    let mut body = crate::helpers::client_body();
    body["external_id"] = json!(mrn);
    let client = id_of(&app.create_client(body).await);
    let coverage = app
        .post(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .json(json!({
            "payer_id": payer, "member_id": "1EG4TE5MK73", "relationship": "self",
            "priority": "primary", "effective_date": "2020-01-01"
        }))
        .expect(201)
        .await
        .body;
    (client, id_of(&coverage))
}

pub(crate) async fn attendance(app: &TestApp, query: &str, rows: Vec<Value>, status: u16) -> Value {
    app.post(&format!("/api/v1/attendance{query}"))
        .token(&app.billing)
        .json(json!({ "rows": rows }))
        .expect(status)
        .await
        .body
}

/// `(row or line, field, code)` of each error in a report.
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

#[tokio::test]
async fn attended_days_take_catalog_codes_with_units_and_refuse_unknown_or_expired_ones() {
    let app = spawn_app().await;
    march_catalog(&app).await;
    let payer = payer_with(
        &app,
        "Medicare Part A",
        json!({"claim_style": "per_service"}),
    )
    .await;
    let (client, _) = covered_client(&app, &payer, "MRN-PS1").await;
    let day = |date: &str, services: Value| {
        json!({"client_id": client, "service_date": date, "level_of_care": "PHP",
               "minutes": 330, "services": services})
    };
    let report = attendance(
        &app,
        "",
        vec![
            day(
                "2026-03-02",
                json!([{"code": "G0410", "units": 2}, {"code": "90837"}, "lunch group"]),
            ),
            day("2026-03-03", json!([{"code": "H2019"}])),
            day("2026-03-04", json!([{"code": "G0410"}, {"code": "T1234"}])),
            day("2026-03-05", json!([{"code": "G0410", "units": 25}])),
        ],
        200,
    )
    .await;
    assert_eq!(report["created"], 1, "{report}");
    let mut got = errors(&report);
    got.sort();
    assert_eq!(
        got,
        [
            (1, "services[0]".into(), "unknown_service_code".into()),
            (2, "services[1]".into(), "unknown_service_code".into()),
            (3, "services[0]".into(), "invalid".into()),
        ]
    );
    let messages: Vec<&str> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("H2019") && m.contains("2026-03-03")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("T1234")), "{messages:?}");
    let stored = app
        .get("/api/v1/attendance?from=2026-03-01&to=2026-03-31")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(
        stored["items"][0]["services"],
        json!([{"code": "G0410", "units": 2}, {"code": "90837", "units": 1}, "lunch group"])
    );
}

#[tokio::test]
async fn a_csv_import_reads_codes_with_units_and_refuses_only_the_line_with_an_unknown_code() {
    let app = spawn_app().await;
    march_catalog(&app).await;
    let payer = payer_with(
        &app,
        "Medicare Part A",
        json!({"claim_style": "per_service"}),
    )
    .await;
    covered_client(&app, &payer, "MRN-PS2").await;
    let file = "\
external_id,service_date,level_of_care,minutes,services
MRN-PS2,2026-03-02,PHP,330,G0410*2;90837;group check-in
MRN-PS2,2026-03-03,PHP,330,g0410;Z9999
MRN-PS2,2026-03-04,PHP,330,G0176*3
";
    let report = app
        .post("/api/v1/attendance/import")
        .token(&app.billing)
        .raw(file.as_bytes(), Some("text/csv"))
        .expect(200)
        .await
        .body;
    assert_eq!(
        (&report["created"], &report["rejected"]),
        (&json!(2), &json!(1)),
        "{report}"
    );
    assert_eq!(
        errors(&report),
        [(3, "services[1]".into(), "unknown_service_code".into())]
    );
    let stored = app
        .get("/api/v1/attendance?from=2026-03-01&to=2026-03-31")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(
        stored["items"][0]["services"],
        json!([{"code": "G0410", "units": 2}, {"code": "90837", "units": 1}, "group check-in"])
    );
    assert_eq!(
        stored["items"][1]["services"],
        json!([{"code": "G0176", "units": 3}])
    );
}

/// A per-service payer (Medicare Part A, SBR09 `MA`, no prior authorization) with the fee
/// schedule that gives its PHP claims their type of bill; a client covered by it with a PHP
/// episode from 2026-03-01. Returns (payer, client).
pub(crate) async fn medicare_php(
    app: &TestApp,
    below_minimum: &str,
    mrn: &str,
) -> (String, String) {
    let payer = payer_with(
        app,
        "Medicare Part A",
        json!({"claim_style": "per_service", "days_below_minimum": below_minimum,
               "authorization_required": false, "claim_filing_indicator": "MA"}),
    )
    .await;
    let (client, _) = covered_client(app, &payer, mrn).await;
    app.post(&format!("/api/v1/clients/{client}/episodes"))
        .token(&app.billing)
        .json(json!({
            "admission_date": "2026-03-01", "principal_diagnosis": "F33.2",
            "other_diagnoses": ["F41.1"]
        }))
        .expect(201)
        .await;
    // No charge per day and no HCPCS: the catalog codes and prices a per-service claim's
    // lines; the schedule gives it its type of bill.
    app.post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": payer, "level_of_care": "PHP", "program": "mental_health",
            "revenue_code": "0913", "effective_from": "2026-01-01", "type_of_bill": "0131"
        }))
        .expect(201)
        .await;
    (payer, client)
}

/// What most tests here start from: the clinic, March's catalog, a Medicare Part A payer
/// billing days below the minimum as `below_minimum` says (`bill` or `leave_out`) with its
/// schedule, a client with EHR number `mrn` and a PHP episode from 1 March, and the days of
/// [`php_march`] recorded. Returns (payer, client).
async fn medicare_month(app: &TestApp, below_minimum: &str, mrn: &str) -> (String, String) {
    crate::claims::set_up_clinic(app).await;
    march_catalog(app).await;
    let (payer, client) = medicare_php(app, below_minimum, mrn).await;
    let report = attendance(app, "", php_march(&client), 200).await;
    assert_eq!(report["created"], 6, "{report}");
    (payer, client)
}

/// March 2026 of PHP, by day: 3, 4+, 2 (plus a check-in that does not count), 3 (units),
/// 3 after G0410's charge changed, and 3 with a free-text service that is not billed.
pub(crate) fn php_march(client: &str) -> Vec<Value> {
    let day = |date: &str, services: Value| {
        json!({"client_id": client, "service_date": date, "level_of_care": "PHP",
               "minutes": 330, "services": services})
    };
    vec![
        day(
            "2026-03-02",
            json!([{"code": "G0410", "units": 2}, {"code": "90837"}]),
        ),
        day(
            "2026-03-03",
            json!([{"code": "G0410"}, {"code": "90837"}, {"code": "90847"}, {"code": "G0176"}]),
        ),
        day(
            "2026-03-04",
            json!([{"code": "G0410"}, {"code": "90837"}, {"code": "99211"}]),
        ),
        day("2026-03-05", json!([{"code": "G0410", "units": 3}])),
        day(
            "2026-03-16",
            json!([{"code": "G0410", "units": 2}, {"code": "90837"}]),
        ),
        day(
            "2026-03-17",
            json!([{"code": "G0410"}, {"code": "90847"}, {"code": "G0176"}, "lunch group"]),
        ),
    ]
}

/// Generates `client`'s March, moves the claim to submitted and has the mock payer answer it
/// under `scenario`: the claim's id and the 835 (not posted).
async fn submitted_and_remitted(
    app: &TestApp,
    client: &str,
    scenario: &str,
    trace: &str,
) -> (String, String) {
    use perdiem::mock_payer::{self, Scenarios};
    let generated = generate(app, month(client), 201).await;
    let id = id_of(&generated["claims"][0]);
    for status in ["ready", "submitted"] {
        crate::claims::move_to(app, &id, status, 200).await;
    }
    let claim = app
        .get(&format!("/api/v1/claims/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!(
            "{}?scenario={scenario}&payee_npi=1234567893&payee_name=SUNRISE%20BEHAVIORAL&trace={trace}",
            mock.url("/remittances/835")
        ))
        .json(&[&claim])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let file = response.text().await.unwrap();
    (id, file)
}

fn month(client: &str) -> Value {
    json!({"from_date": "2026-03-01", "through_date": "2026-03-31", "period": "month",
           "client_id": client})
}

pub(crate) async fn generate(app: &TestApp, body: Value, status: u16) -> Value {
    app.post("/api/v1/claims/generate")
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
        .body
}

/// (date, HCPCS, units, charge, expected) of each line of a claim.
fn lines(claim: &Value) -> Vec<(String, String, u64, String, Value)> {
    claim["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["service_date"].as_str().unwrap().to_string(),
                l["hcpcs"].as_str().unwrap().to_string(),
                l["units"].as_u64().unwrap(),
                l["charge"].as_str().unwrap().to_string(),
                l["expected"].clone(),
            )
        })
        .collect()
}

fn line(
    date: &str,
    hcpcs: &str,
    units: u64,
    charge: &str,
    expected: Value,
) -> (String, String, u64, String, Value) {
    (date.into(), hcpcs.into(), units, charge.into(), expected)
}

#[tokio::test]
async fn a_month_of_php_is_billed_service_by_service_to_the_cent() {
    let app = spawn_app().await;
    let (_, client) = medicare_month(&app, "bill", "MRN-PS3").await;
    // The attendance answer counts services: the 2-service day is billable, with a warning.
    let days = app
        .get("/api/v1/attendance?from=2026-03-01&to=2026-03-31")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let short = days["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["service_date"] == "2026-03-04")
        .unwrap()
        .clone();
    assert_eq!(short["billable"], true, "{short}");
    assert_eq!(short["warnings"][0]["code"], "fewer_services");
    assert_eq!(short["warnings"][0]["services"], 2);
    assert_eq!(short["warnings"][0]["minimum"], 3);

    let generated = generate(&app, month(&client), 201).await;
    assert_eq!(generated["left_out"], json!([]), "{generated}");
    let claims = generated["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 1, "{generated}");
    let claim = &claims[0];
    assert_eq!(
        generated["summary"],
        json!({"claims": 1, "lines": 15, "days_left_out": 0, "total_charge": "4126.50",
               "expected_reimbursement": null})
    );
    assert_eq!(claim["total_charge"], "4126.50");
    assert_eq!(claim["condition_codes"], json!(["41"]), "41 exactly once");
    // The stay goes on past March: the first interim bill (tests/api/interim_bills.rs has the
    // whole sequence), still a patient.
    assert_eq!(claim["type_of_bill"], "0132");
    assert_eq!(claim["frequency"], "2");
    assert_eq!(claim["discharge_status"], "30");
    assert_eq!(claim["statement_from"], "2026-03-02");
    assert_eq!(claim["statement_through"], "2026-03-17");
    let n = Value::Null;
    let zero = || json!("0.00");
    assert_eq!(
        lines(claim),
        [
            line("2026-03-02", "G0410", 2, "420.00", n.clone()),
            line("2026-03-02", "90837", 1, "300.00", n.clone()),
            line("2026-03-03", "G0410", 1, "210.00", n.clone()),
            line("2026-03-03", "90837", 1, "300.00", n.clone()),
            line("2026-03-03", "90847", 1, "275.50", n.clone()),
            line("2026-03-03", "G0176", 1, "95.25", n.clone()),
            line("2026-03-04", "G0410", 1, "210.00", zero()),
            line("2026-03-04", "90837", 1, "300.00", zero()),
            line("2026-03-04", "99211", 1, "40.00", zero()),
            line("2026-03-05", "G0410", 3, "630.00", n.clone()),
            // G0410's charge changed on the 16th.
            line("2026-03-16", "G0410", 2, "450.00", n.clone()),
            line("2026-03-16", "90837", 1, "300.00", n.clone()),
            line("2026-03-17", "G0410", 1, "225.00", n.clone()),
            line("2026-03-17", "90847", 1, "275.50", n.clone()),
            line("2026-03-17", "G0176", 1, "95.25", n.clone()),
        ]
    );
    let revenue: Vec<&str> = claim["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["revenue_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        &revenue[..6],
        ["0915", "0914", "0915", "0914", "0916", "0904"]
    );
    assert_eq!(
        claim["warnings"],
        json!([{"date": "2026-03-04", "code": "fewer_services", "services": 2, "minimum": 3,
                "message": "2 qualifying services on 2026-03-04, below the payer's minimum of 3 a day"}])
    );
    // The claim as stored says the same.
    let id = id_of(claim);
    let stored = app
        .get(&format!("/api/v1/claims/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(stored["warnings"], claim["warnings"]);
    assert_eq!(lines(&stored), lines(claim));

    // Generating again bills nothing twice.
    let again = generate(&app, month(&client), 200).await;
    assert_eq!(again["summary"]["claims"], 0, "{again}");
    assert_eq!(again["left_out"].as_array().unwrap().len(), 6);
    assert!(again["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["reasons"][0]["code"] == "already_billed"));

    // The 837I validates, carries each service on its own dated line, CC 41 once, SBR09 MA,
    // and matches the golden file.
    let x12 = app
        .get(&format!("/api/v1/claims/{id}/x12"))
        .token(&app.billing)
        .expect(200)
        .await
        .body
        .as_str()
        .unwrap()
        .to_string();
    crate::claims::oracle_accepts("per-service-php.837", &x12);
    let segments: Vec<&str> = x12.split('~').map(str::trim).collect();
    assert_eq!(segments.iter().filter(|s| s.starts_with("LX*")).count(), 15);
    assert_eq!(
        segments.iter().filter(|s| s.contains("BG:41")).count(),
        1,
        "{x12}"
    );
    assert!(
        segments
            .iter()
            .any(|s| s.starts_with("SBR*") && s.ends_with("*MA")),
        "{x12}"
    );
    assert!(
        segments.contains(&"CLM*PD00000001*4126.5***13:A:2**A*Y*Y")
            || segments
                .iter()
                .any(|s| s.starts_with("CLM*") && s.contains("*4126.5*")),
        "{x12}"
    );
    assert!(segments.contains(&"SV2*0915*HC:G0410*420*UN*2"), "{x12}");
    assert!(segments.contains(&"DTP*472*D8*20260316"), "{x12}");
    crate::per_service::golden("837i_per_service_php_month.x12", &x12);
}

/// Compares `x12` with `fixtures/x12/{name}` after normalising what changes per run (the
/// interchange date and time, control numbers); `PERDIEM_BLESS=1` writes the file instead.
pub(crate) fn golden(name: &str, x12: &str) {
    let normal = normalise(x12);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/x12")
        .join(name);
    if std::env::var_os("PERDIEM_BLESS").is_some() {
        std::fs::write(&path, &normal).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (PERDIEM_BLESS=1 writes it)", path.display()));
    assert_eq!(
        normal, expected,
        "{name} differs (PERDIEM_BLESS=1 rewrites it)"
    );
}

fn normalise(x12: &str) -> String {
    let mut out = String::new();
    for segment in x12.split('~').map(str::trim).filter(|s| !s.is_empty()) {
        let mut elements: Vec<String> = segment.split('*').map(str::to_string).collect();
        let blank = |elements: &mut Vec<String>, indexes: &[usize]| {
            for &i in indexes {
                if let Some(e) = elements.get_mut(i) {
                    *e = "#".repeat(e.len().max(1));
                }
            }
        };
        match elements[0].as_str() {
            // Date, time, control number.
            "ISA" => blank(&mut elements, &[9, 10, 13]),
            "GS" => blank(&mut elements, &[4, 5, 6]),
            "ST" | "SE" => blank(&mut elements, &[2]),
            "GE" | "IEA" => blank(&mut elements, &[2]),
            // Reference, date, time of creation.
            "BHT" => blank(&mut elements, &[3, 4, 5]),
            _ => {}
        }
        out.push_str(&elements.join("*"));
        out.push_str("~\n");
    }
    out
}

#[tokio::test]
async fn under_leave_out_the_short_day_is_left_out_with_its_reason() {
    let app = spawn_app().await;
    let (_, client) = medicare_month(&app, "leave_out", "MRN-PS4").await;
    let generated = generate(&app, month(&client), 201).await;
    let left_out = generated["left_out"].as_array().unwrap();
    assert_eq!(left_out.len(), 1, "{generated}");
    assert_eq!(left_out[0]["date"], "2026-03-04");
    assert_eq!(left_out[0]["reasons"][0]["code"], "fewer_services");
    assert_eq!(
        generated["summary"],
        json!({"claims": 1, "lines": 12, "days_left_out": 1, "total_charge": "3576.50",
               "expected_reimbursement": null})
    );
    assert!(generated["claims"][0].get("warnings").is_none());
}

#[tokio::test]
async fn schema_refuses_a_service_or_a_day_on_two_live_claims() {
    use perdiem::store::claims;
    let app = spawn_app().await;
    let (_, client) = medicare_month(&app, "bill", "MRN-PS5").await;
    let generated = generate(&app, month(&client), 201).await;
    let id: uuid::Uuid = id_of(&generated["claims"][0]).parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let original = claims::find(&mut tx, id).await.unwrap().unwrap();
    let mut copy = original.clone();
    copy.id = uuid::Uuid::new_v4();
    copy.claim_number = "PD-COPY".into();
    let all = copy.lines.clone().unwrap();
    // The same service of a day again.
    let error = claims::insert(
        &mut tx,
        &[claims::NewClaim {
            record: &copy,
            lines: &all[..1],
        }],
    )
    .await
    .unwrap_err();
    assert!(error.is_unique_violation(), "{error:?}");
    drop(tx);
    // Another service index of a billed day: the day is on a live claim already.
    let mut tx = app.db.begin().await.unwrap();
    let mut other = all[0].clone();
    other.service_index = Some(7);
    let error = claims::insert(
        &mut tx,
        &[claims::NewClaim {
            record: &copy,
            lines: std::slice::from_ref(&other),
        }],
    )
    .await
    .unwrap_err();
    assert!(error.is_unique_violation(), "{error:?}");
}

#[tokio::test]
async fn an_iop_claim_carries_condition_code_92_once_with_a_counts_false_service() {
    let app = spawn_app().await;
    crate::claims::set_up_clinic(&app).await;
    march_catalog(&app).await;
    let payer = payer_with(
        &app,
        "Medicare Part A",
        json!({"claim_style": "per_service", "authorization_required": false,
               "claim_filing_indicator": "MA"}),
    )
    .await;
    let (client, _) = covered_client(&app, &payer, "MRN-PS6").await;
    app.post(&format!("/api/v1/clients/{client}/episodes"))
        .token(&app.billing)
        .json(json!({"admission_date": "2026-03-01", "principal_diagnosis": "F33.1"}))
        .expect(201)
        .await;
    // The schedule lists 92 already, and another condition code: 92 stays once.
    app.post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": payer, "level_of_care": "IOP", "program": "mental_health",
            "revenue_code": "0905", "effective_from": "2026-01-01",
            "type_of_bill": "0761", "condition_codes": ["92", "C1"]
        }))
        .expect(201)
        .await;
    let day = |date: &str, services: Value| {
        json!({"client_id": client, "service_date": date, "level_of_care": "IOP",
               "minutes": 180, "services": services})
    };
    attendance(
        &app,
        "",
        vec![
            // Three counting services and a check-in: billed on four lines.
            day(
                "2026-03-09",
                json!([{"code": "G0410", "units": 2}, {"code": "90837"}, {"code": "99211"}]),
            ),
            // Two G0410 and a check-in that does not count: fewer than 3.
            day(
                "2026-03-10",
                json!([{"code": "G0410", "units": 2}, {"code": "99211", "units": 2}]),
            ),
        ],
        200,
    )
    .await;
    let generated = generate(&app, month(&client), 201).await;
    let claim = &generated["claims"][0];
    assert_eq!(claim["condition_codes"], json!(["92", "C1"]));
    // An ongoing stay: the first interim bill of a CMHC (076x).
    assert_eq!(claim["type_of_bill"], "0762");
    assert_eq!(claim["total_charge"], "1260.00");
    assert_eq!(claim["warnings"][0]["date"], "2026-03-10");
    assert_eq!(claim["warnings"][0]["services"], 2);
    let x12 = app
        .get(&format!("/api/v1/claims/{}/x12", id_of(claim)))
        .token(&app.billing)
        .expect(200)
        .await
        .body
        .as_str()
        .unwrap()
        .to_string();
    crate::claims::oracle_accepts("per-service-iop.837", &x12);
    assert!(x12.contains("HI*BG:92*BG:C1~"), "{x12}");
    assert_eq!(x12.matches("BG:92").count(), 1);
}

#[tokio::test]
async fn a_per_service_claim_is_voided_and_replaced_line_by_line() {
    let app = spawn_app().await;
    let (_, client) = medicare_month(&app, "bill", "MRN-PS7").await;
    let first = generate(&app, month(&client), 201).await;
    let draft = id_of(&first["claims"][0]);

    // A draft voided: its days are free, and billed again the same way.
    let voided = app
        .post(&format!("/api/v1/claims/{draft}/void"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(voided["claim"]["status"], "void");
    let again = generate(&app, month(&client), 201).await;
    let claim = &again["claims"][0];
    assert_eq!(claim["total_charge"], "4126.50");
    assert_eq!(lines(claim), lines(&first["claims"][0]));

    // Sent, then replaced: frequency 7, the same lines, the same warning, and a valid file.
    let id = id_of(claim);
    for status in ["ready", "submitted"] {
        crate::claims::move_to(&app, &id, status, 200).await;
    }
    let replaced = app
        .post(&format!("/api/v1/claims/{id}/replace"))
        .token(&app.billing)
        .expect(201)
        .await
        .body;
    let successor = &replaced["successor"];
    assert_eq!(successor["frequency"], "7");
    assert_eq!(successor["total_charge"], "4126.50");
    assert_eq!(lines(successor), lines(claim));
    assert_eq!(successor["warnings"], claim["warnings"]);
    assert_eq!(successor["condition_codes"], json!(["41"]));
    let x12 = app
        .get(&format!("/api/v1/claims/{}/x12", id_of(successor)))
        .token(&app.billing)
        .expect(200)
        .await
        .body
        .as_str()
        .unwrap()
        .to_string();
    crate::claims::oracle_accepts("per-service-replacement.837", &x12);
    assert!(x12.contains("*13:A:7*"), "{x12}");
    // Nothing is billed twice afterwards.
    let after = generate(&app, month(&client), 200).await;
    assert_eq!(after["summary"]["claims"], 0);
}

#[tokio::test]
async fn an_idempotency_key_replays_a_per_service_generation() {
    let app = spawn_app().await;
    let (_, client) = medicare_month(&app, "bill", "MRN-PS8").await;
    let send = || {
        app.post("/api/v1/claims/generate")
            .token(&app.billing)
            .header("Idempotency-Key", "ps-month-1")
            .json(month(&client))
    };
    let first = send().expect(201).await;
    let replay = send().expect(201).await;
    assert_eq!(replay.header("idempotency-replayed"), Some("true"));
    assert_eq!(replay.body, first.body);
    let listed = app
        .get("/api/v1/claims")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(listed["total"], 1);
}

async fn day_rate(app: &TestApp, payer: &str, tier: &str, amount: &str, from: &str, to: Value) {
    app.post("/api/v1/day-rates")
        .token(&app.billing)
        .json(
            json!({"payer_id": payer, "level_of_care": "PHP", "services": tier,
                     "amount": amount, "effective_from": from, "effective_to": to}),
        )
        .expect(201)
        .await;
}

/// The "3" day rate of March: 260.15 through the 15th, 265.40 from the 16th.
async fn three_rate_changing_on_the_16th(app: &TestApp, payer: &str) {
    day_rate(app, payer, "3", "260.15", "2026-01-01", json!("2026-03-15")).await;
    day_rate(app, payer, "3", "265.40", "2026-03-16", Value::Null).await;
}

#[tokio::test]
async fn a_per_service_claim_expects_the_day_rates_of_its_days_to_the_cent() {
    let app = spawn_app().await;
    let (payer, client) = medicare_month(&app, "bill", "MRN-PS9").await;
    // The 3 rate changes on the 16th; no 4+ rate yet.
    three_rate_changing_on_the_16th(&app, &payer).await;
    // The 4-service day of the 3rd has no rate in force: the claim's figure is not known.
    let unknown = app
        .post("/api/v1/claims/generate?dry_run=true")
        .token(&app.billing)
        .json(month(&client))
        .expect(200)
        .await
        .body;
    assert_eq!(
        unknown["summary"]["expected_reimbursement"],
        Value::Null,
        "{unknown}"
    );
    let claim = &unknown["claims"][0];
    assert_eq!(claim["expected_reimbursement"], Value::Null);
    let expected_of = |claim: &Value, date: &str| -> Vec<Value> {
        claim["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["service_date"] == date)
            .map(|l| l["expected"].clone())
            .collect()
    };
    assert_eq!(expected_of(claim, "2026-03-03"), vec![Value::Null; 4]);
    assert_eq!(
        expected_of(claim, "2026-03-02"),
        [json!("260.15"), json!("0.00")]
    );

    day_rate(&app, &payer, "4+", "370.20", "2026-01-01", Value::Null).await;
    let generated = generate(&app, month(&client), 201).await;
    let claim = &generated["claims"][0];
    // 3 services 260.15 + 4 services 370.20 + 2 services 0.00 + 3 services 260.15, then
    // the new 3 rate: 265.40 + 265.40.
    assert_eq!(claim["expected_reimbursement"], "1421.30", "{generated}");
    assert_eq!(generated["summary"]["expected_reimbursement"], "1421.30");
    assert_eq!(
        expected_of(claim, "2026-03-03"),
        [json!("370.20"), json!("0.00"), json!("0.00"), json!("0.00")]
    );
    assert_eq!(
        expected_of(claim, "2026-03-04"),
        [json!("0.00"), json!("0.00"), json!("0.00")]
    );
    assert_eq!(expected_of(claim, "2026-03-15"), Vec::<Value>::new());
    assert_eq!(
        expected_of(claim, "2026-03-16"),
        [json!("265.40"), json!("0.00")]
    );
    let stored = app
        .get(&format!("/api/v1/claims/{}", id_of(claim)))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(stored["expected_reimbursement"], "1421.30");

    // A replacement prices its days again with the rates in force.
    let id = id_of(claim);
    for status in ["ready", "submitted"] {
        crate::claims::move_to(&app, &id, status, 200).await;
    }
    let replaced = app
        .post(&format!("/api/v1/claims/{id}/replace"))
        .token(&app.billing)
        .expect(201)
        .await
        .body;
    assert_eq!(replaced["successor"]["expected_reimbursement"], "1421.30");
}

#[tokio::test]
async fn a_per_service_claims_remittance_is_compared_day_by_day_with_its_day_rates() {
    let app = spawn_app().await;
    let (payer, client) = medicare_month(&app, "bill", "MRN-PS10").await;
    // A 4+ rate above what half the 3rd's charges come to: that day alone is underpaid.
    three_rate_changing_on_the_16th(&app, &payer).await;
    day_rate(&app, &payer, "4+", "500.00", "2026-01-01", Value::Null).await;
    // The mock payer's `partial` pays each line half its charge (AMT*B6 the same).
    let (id, file) = submitted_and_remitted(&app, &client, "partial", "EFT0901").await;
    let posted = crate::remittances::post_835(&app, &file, 201).await;
    assert_eq!(posted["remittances"][0]["status"], "posted", "{posted}");

    let report = app
        .get("/api/v1/reports/underpayments?from=2026-03-01&to=2026-03-31")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    // No line is compared on its own: the claim's lines are compared as days.
    assert_eq!(report["lines"], json!([]), "{report}");
    assert_eq!(report["lines_compared"], 0);
    assert_eq!(report["days_compared"], 6);
    assert_eq!(report["days_not_comparable"], 0);
    let days = report["days"].as_array().unwrap();
    assert_eq!(days.len(), 1, "{report}");
    let day = &days[0];
    // The 3rd: 210.00, 300.00, 275.50 and 95.25 each paid half (105.00 + 150.00 + 137.75 +
    // 47.63 = 440.38) against the 4+ rate of 500.00.
    assert_eq!(day["service_date"], "2026-03-03");
    assert_eq!(day["claim_id"], id.as_str());
    assert_eq!(day["client_id"], client.as_str());
    assert_eq!(day["lines"], 4);
    assert_eq!(day["expected"], "500.00");
    assert_eq!(day["payer_allowed"], "440.38");
    assert_eq!(day["paid"], "440.38");
    assert_eq!(day["shortfall"], "59.62");
    assert_eq!(day["trace_number"], "EFT0901");
    assert_eq!(report["total_shortfall"], "59.62");
    assert_eq!(report["payers"][0]["days"], 1);
    assert_eq!(report["payers"][0]["lines"], 0);
    assert_eq!(report["payers"][0]["shortfall"], "59.62");
}

/// A fee schedule may state no charge per day (nor HCPCS): a per-service payer's claims never
/// read them, while a per-day payer's days under such a schedule are left out with the new
/// reason — in the same generation, without blocking the per-service client's claim — and
/// billed once the charge is added.
#[tokio::test]
async fn a_schedule_without_a_charge_per_day_bills_per_service_but_leaves_per_day_days_out() {
    let app = spawn_app().await;
    crate::claims::set_up_clinic(&app).await;
    march_catalog(&app).await;
    let (medicare, medicare_client) = medicare_php(&app, "bill", "MRN-NC1").await;
    let schedules = app
        .get(&format!("/api/v1/fee-schedules?payer_id={medicare}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(schedules["items"][0]["charge_per_day"], Value::Null);
    assert_eq!(schedules["items"][0]["hcpcs"], Value::Null);

    // A per-day payer whose PHP schedule states an allowed amount but no charge.
    let commercial = payer_with(
        &app,
        "Acme Health",
        json!({"authorization_required": false}),
    )
    .await;
    let (commercial_client, _) = covered_client(&app, &commercial, "MRN-NC2").await;
    app.post(&format!("/api/v1/clients/{commercial_client}/episodes"))
        .token(&app.billing)
        .json(json!({"admission_date": "2026-03-01", "principal_diagnosis": "F33.2"}))
        .expect(201)
        .await;
    let schedule = app
        .post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": commercial, "level_of_care": "PHP", "program": "mental_health",
            "revenue_code": "0913", "hcpcs": "H0035", "charge_per_day": null,
            "allowed_per_day": "650.00", "effective_from": "2026-03-01", "type_of_bill": "0131"
        }))
        .expect(201)
        .await
        .body;
    assert_eq!(schedule["charge_per_day"], Value::Null);

    let mut rows = php_march(&medicare_client)[..2].to_vec();
    for date in ["2026-03-02", "2026-03-03"] {
        rows.push(json!({"client_id": commercial_client, "service_date": date,
                         "level_of_care": "PHP", "minutes": 330}));
    }
    assert_eq!(attendance(&app, "", rows, 200).await["created"], 4);
    let march = json!({"from_date": "2026-03-01", "through_date": "2026-03-31",
                       "period": "month"});
    let generated = generate(&app, march.clone(), 201).await;
    let claims = generated["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 1, "{generated}");
    assert_eq!(claims[0]["payer_id"], medicare.as_str());
    assert_eq!(claims[0]["total_charge"], "1600.75");
    let left_out = generated["left_out"].as_array().unwrap();
    assert_eq!(left_out.len(), 2, "{generated}");
    for day in left_out {
        assert_eq!(day["client_id"], commercial_client.as_str());
        let reasons = day["reasons"].as_array().unwrap();
        assert_eq!(reasons.len(), 1, "{day}");
        assert_eq!(reasons[0]["code"], "no_charge_per_day");
        assert_eq!(
            reasons[0]["message"],
            "the payer's fee schedule for PHP mental_health in force from 2026-03-01 states \
             no charge per day, and this payer is billed per day: add the charge to bill the day"
        );
    }
    let x12 = app
        .get(&format!("/api/v1/claims/{}/x12", id_of(&claims[0])))
        .token(&app.billing)
        .expect(200)
        .await
        .body
        .as_str()
        .unwrap()
        .to_string();
    crate::claims::oracle_accepts("per-service-no-charge.837", &x12);

    // With the charge added, the per-day days are billed at it.
    app.patch(&format!("/api/v1/fee-schedules/{}", id_of(&schedule)))
        .token(&app.billing)
        .json(json!({"charge_per_day": "1450.00"}))
        .expect(200)
        .await;
    let generated = generate(&app, march, 201).await;
    assert_eq!(generated["summary"]["claims"], 1, "{generated}");
    let claim = &generated["claims"][0];
    assert_eq!(claim["payer_id"], commercial.as_str());
    assert_eq!(claim["total_charge"], "2900.00");
    assert_eq!(claim["expected_reimbursement"], "1300.00");
}

/// Medicare pays a per-service day on one line and packages the others at 0.00 (CAS*CO*97):
/// those lines are no denials while their day was paid, and the claim is paid, not partly.
#[tokio::test]
async fn packaged_lines_of_a_paid_per_service_day_are_not_denials() {
    let app = spawn_app().await;
    let (_, client) = medicare_month(&app, "bill", "MRN-PK1").await;
    let (id, file) = submitted_and_remitted(&app, &client, "packaged", "EFT0971").await;
    crate::claims::oracle_accepts("packaged.835", &file);
    // 15 lines on 6 days: 6 paid, 9 packaged.
    assert_eq!(file.matches("CAS*CO*97*").count(), 9, "{file}");
    let posted = crate::remittances::post_835(&app, &file, 201).await;
    assert_eq!(posted["remittances"][0]["status"], "posted", "{posted}");
    // Every day was paid: the claim is paid, not partly paid.
    let claim = app
        .get(&format!("/api/v1/claims/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(claim["status"], "paid", "{claim}");

    let report = app
        .get("/api/v1/reports/denials?from=2026-03-01&to=2026-03-31")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(report["reasons"], json!([]), "{report}");
    assert_eq!(report["line_count"], 0);
    assert_eq!(report["total"], "0.00");
}
