//! Claim generation from a month of attendance: exactly the expected lines and totals to the
//! cent, every day left out with its reason, nothing billed twice (regeneration, concurrent
//! generation, the schema itself), idempotency keys, dry runs, the lifecycle, void and replace.

use serde_json::{json, Value};

use crate::helpers::{client_body, id_of, spawn_app, Reply, TestApp};

/// A client with an open coverage, an IOP authorization (PA-7781, 10 days, 2026-03-02 to
/// 2026-03-20), an episode from 2026-03-01 and an IOP fee schedule from 2026-03-03 at
/// 333.33 a day (250.10 contracted).
pub(crate) struct Scene {
    pub(crate) client: String,
    pub(crate) payer: String,
    pub(crate) authorization: String,
}

pub(crate) async fn scene(app: &TestApp) -> Scene {
    let payer = id_of(&app.create_payer().await);
    let client = id_of(&app.create_client(client_body()).await);
    let coverage = app
        .post(&format!("/api/v1/clients/{client}/coverages"))
        .token(&app.admissions)
        .json(json!({
            "payer_id": payer, "member_id": "XYZ123456789", "relationship": "self",
            "priority": "primary", "effective_date": "2020-01-01"
        }))
        .expect(201)
        .await
        .body;
    let authorization = app
        .post("/api/v1/authorizations")
        .token(&app.billing)
        .json(json!({
            "client_id": client, "coverage_id": id_of(&coverage), "level_of_care": "IOP",
            "program": "mental_health", "authorization_number": "PA-7781",
            "status": "approved", "start_date": "2026-03-02", "end_date": "2026-03-20",
            "days_approved": 10
        }))
        .expect(201)
        .await
        .body;
    app.post(&format!("/api/v1/clients/{client}/episodes"))
        .token(&app.billing)
        .json(json!({
            "admission_date": "2026-03-01", "principal_diagnosis": "F33.1",
            "other_diagnoses": ["F41.1"]
        }))
        .expect(201)
        .await;
    app.post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": payer, "level_of_care": "IOP", "program": "mental_health",
            "revenue_code": "0905", "hcpcs": "S9480", "charge_per_day": "333.33",
            "allowed_per_day": "250.10", "effective_from": "2026-03-03",
            "type_of_bill": "0131", "condition_codes": ["92"]
        }))
        .expect(201)
        .await;
    Scene {
        client,
        payer,
        authorization: id_of(&authorization),
    }
}

/// March 2026, IOP: a full week, a short day, four more, the tenth approved day, one beyond
/// the approval, and one after the authorization ended.
async fn attend_march(app: &TestApp, client: &str) {
    let mut days: Vec<(&str, u32)> = vec![
        ("2026-03-02", 180),
        ("2026-03-03", 180),
        ("2026-03-04", 185),
        ("2026-03-05", 180),
        ("2026-03-06", 200),
        ("2026-03-09", 120),
    ];
    days.extend([
        ("2026-03-10", 180),
        ("2026-03-11", 180),
        ("2026-03-12", 180),
        ("2026-03-13", 180),
        ("2026-03-16", 180),
        ("2026-03-17", 180),
        ("2026-03-23", 180),
    ]);
    let rows: Vec<Value> = days
        .iter()
        .map(|(date, minutes)| {
            json!({"client_id": client, "service_date": date, "level_of_care": "IOP",
                   "minutes": minutes})
        })
        .collect();
    let report = app
        .post("/api/v1/attendance")
        .token(&app.billing)
        .json(json!({"rows": rows}))
        .expect(200)
        .await
        .body;
    assert_eq!(report["created"], 13, "{report}");
}

/// A fresh app with the scene and March's attendance.
async fn attended_march() -> (TestApp, Scene) {
    let app = spawn_app().await;
    let s = scene(&app).await;
    attend_march(&app, &s.client).await;
    (app, s)
}

/// [`attended_march`], and March billed by week: the ids of its three claims.
pub(crate) async fn billed_march() -> (TestApp, Scene, Vec<String>) {
    let (app, s) = attended_march().await;
    let ids = claim_ids(&app).await;
    (app, s, ids)
}

pub(crate) fn march() -> Value {
    json!({"from_date": "2026-03-01", "through_date": "2026-03-31", "period": "week"})
}

pub(crate) async fn generate(app: &TestApp, query: &str, body: Value, status: u16) -> Value {
    app.post(&format!("/api/v1/claims/generate{query}"))
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
        .body
}

fn strings<'a>(values: impl IntoIterator<Item = &'a Value>, key: &str) -> Vec<String> {
    values
        .into_iter()
        .map(|v| v[key].as_str().unwrap().to_string())
        .collect()
}

/// The left-out days as (date, reason codes).
fn left_out(generated: &Value) -> Vec<(String, Vec<String>)> {
    generated["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|day| {
            (
                day["date"].as_str().unwrap().to_string(),
                strings(day["reasons"].as_array().unwrap(), "code"),
            )
        })
        .collect()
}

async fn claim_count(app: &TestApp) -> i64 {
    app.get("/api/v1/claims")
        .token(&app.billing)
        .expect(200)
        .await
        .body["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_month_of_mixed_attendance_bills_exactly_the_billable_days_to_the_cent() {
    let (app, s) = attended_march().await;

    // A dry run says what would be billed and stores nothing.
    let dry = generate(&app, "?dry_run=true", march(), 200).await;
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["summary"]["claims"], 3);
    assert_eq!(claim_count(&app).await, 0);

    let generated = generate(&app, "", march(), 201).await;
    assert_eq!(generated["dry_run"], false);
    let claims = generated["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 3, "{generated}");
    assert_eq!(
        generated["summary"],
        json!({"claims": 3, "lines": 9, "days_left_out": 4, "total_charge": "2999.97",
               "expected_reimbursement": "2250.90"})
    );
    // One claim per ISO week; the statement period is first to last line.
    let periods: Vec<(String, String, String, String)> = claims
        .iter()
        .map(|c| {
            (
                c["statement_from"].as_str().unwrap().to_string(),
                c["statement_through"].as_str().unwrap().to_string(),
                c["total_charge"].as_str().unwrap().to_string(),
                c["expected_reimbursement"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let owned = |a: &str, b: &str, c: &str, d: &str| {
        (a.to_string(), b.to_string(), c.to_string(), d.to_string())
    };
    assert_eq!(
        periods,
        vec![
            owned("2026-03-03", "2026-03-06", "1333.32", "1000.40"),
            owned("2026-03-10", "2026-03-13", "1333.32", "1000.40"),
            owned("2026-03-16", "2026-03-16", "333.33", "250.10"),
        ]
    );
    let first = &claims[0];
    assert_eq!(first["status"], "draft");
    assert_eq!(first["frequency"], "1");
    assert_eq!(first["authorization_number"], "PA-7781");
    assert_eq!(first["authorization_id"], s.authorization.as_str());
    assert_eq!(first["principal_diagnosis"], "F33.1");
    assert_eq!(first["other_diagnoses"], json!(["F41.1"]));
    assert_eq!(first["claim_form"], "837I");
    assert_eq!(first["type_of_bill"], "0131");
    assert_eq!(first["condition_codes"], json!(["92"]));
    assert_eq!(first["discharge_status"], "30");
    assert_eq!(first["period_from"], "2026-03-02");
    assert_eq!(first["period_through"], "2026-03-08");
    let numbers = strings(claims, "claim_number");
    assert!(numbers.iter().all(|n| n.starts_with("PD")), "{numbers:?}");
    let lines = first["lines"].as_array().unwrap();
    assert_eq!(
        strings(lines, "service_date"),
        ["2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]
    );
    let number = first["claim_number"].as_str().unwrap();
    for (i, line) in lines.iter().enumerate() {
        // 837 REF*6R, echoed in the 835: the claim number and the line number.
        assert_eq!(line["line_control_number"], format!("{number}-{}", i + 1));
        assert_eq!(line["revenue_code"], "0905");
        assert_eq!(line["hcpcs"], "S9480");
        assert_eq!(line["units"], 1);
        assert_eq!(line["charge"], "333.33");
        assert_eq!(line["expected"], "250.10");
        assert_eq!(line["live"], true);
    }
    assert_eq!(
        left_out(&generated),
        vec![
            (
                "2026-03-02".to_string(),
                vec!["no_fee_schedule".to_string()]
            ),
            (
                "2026-03-09".to_string(),
                vec!["below_minimum_minutes".to_string()]
            ),
            (
                "2026-03-17".to_string(),
                vec!["beyond_approved_days".to_string()]
            ),
            (
                "2026-03-23".to_string(),
                vec!["no_approved_authorization".to_string()]
            ),
        ]
    );

    // The stored claim reads back the same, with its history.
    let id = id_of(first);
    let stored = app
        .get(&format!("/api/v1/claims/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(stored["lines"], first["lines"]);
    assert_eq!(stored["total_charge"], "1333.32");
    assert_eq!(stored["history"][0]["to_status"], "draft");
    assert_eq!(claim_count(&app).await, 3);

    // Generating again makes nothing new: the billed days are left out as already billed.
    let again = generate(&app, "", march(), 200).await;
    assert_eq!(again["summary"]["claims"], 0);
    let billed: Vec<_> = left_out(&again)
        .into_iter()
        .filter(|(_, codes)| codes == &["already_billed"])
        .collect();
    assert_eq!(billed.len(), 9);
    assert_eq!(claim_count(&app).await, 3);

    // Filters: by client, status and dates.
    let listed = app
        .get(&format!(
            "/api/v1/claims?client_id={}&status=draft&from=2026-03-09&to=2026-03-15",
            s.client
        ))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["statement_from"], "2026-03-10");
    assert!(listed["items"][0].get("lines").is_none());
    let other_payer = app
        .get(&format!("/api/v1/claims?payer_id={}", uuid::Uuid::new_v4()))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(other_payer["total"], 0);
    assert_eq!(
        generate(
            &app,
            "",
            json!({"through_date": "2026-03-31", "period": "month", "payer_id": s.payer}),
            200
        )
        .await["summary"]["claims"],
        0
    );
}

#[tokio::test]
async fn a_month_period_makes_one_claim_and_bad_requests_name_the_field() {
    let (app, s) = attended_march().await;
    let reply = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .json(json!({"from_date": "2026-04-01", "through_date": "2026-03-31", "period": "week"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["from_date"]);
    let reply = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .json(json!({"through_date": "2026-03-31", "period": "fortnight"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["period"]);
    let reply = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .json(json!({"through_date": "2026-03-31", "period": "month",
                     "client_id": uuid::Uuid::new_v4()}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["client_id"]);

    let generated = generate(
        &app,
        "",
        json!({"through_date": "2026-03-31", "period": "month", "client_id": s.client}),
        201,
    )
    .await;
    assert_eq!(generated["summary"]["claims"], 1);
    assert_eq!(generated["claims"][0]["line_count"], 9);
    assert_eq!(generated["claims"][0]["total_charge"], "2999.97");
    assert_eq!(generated["claims"][0]["period_from"], "2026-03-01");
    assert_eq!(generated["claims"][0]["period_through"], "2026-03-31");
}

#[tokio::test]
async fn an_idempotency_key_returns_the_first_answer_and_refuses_another_body() {
    let (app, _) = attended_march().await;
    let first = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .header("Idempotency-Key", "gen-2026-03-w")
        .json(march())
        .expect(201)
        .await;
    let retry = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .header("Idempotency-Key", "gen-2026-03-w")
        .json(march())
        .expect(201)
        .await;
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(claim_count(&app).await, 3);

    let mut other = march();
    other["period"] = json!("month");
    let refused = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .header("Idempotency-Key", "gen-2026-03-w")
        .json(other.clone())
        .expect(422)
        .await;
    assert_eq!(refused.error_fields(), ["Idempotency-Key"]);
    // A new key is a new request (and finds nothing left to bill).
    let fresh = app
        .post("/api/v1/claims/generate")
        .token(&app.billing)
        .header("Idempotency-Key", "gen-2026-03-m")
        .json(other)
        .expect(200)
        .await;
    assert_eq!(fresh.body["summary"]["claims"], 0);
}

/// The audit events on record `entity_id` written in the request `reply` answered, as
/// (action, entity type).
async fn audited_in(app: &TestApp, entity_id: &str, reply: &Reply) -> Vec<(String, String)> {
    let request_id = reply.header("x-request-id").expect("a request id");
    let found = app
        .get(&format!("/api/v1/audit?entity_id={entity_id}&limit=200"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    found["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["request_id"] == request_id)
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["entity_type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn read_of_claims() -> Vec<(String, String)> {
    vec![("read".to_string(), "claims".to_string())]
}

#[tokio::test]
async fn a_dry_run_is_audited_as_a_read_of_the_claims_it_shows() {
    let (app, s) = attended_march().await;
    let dry = app
        .post("/api/v1/claims/generate?dry_run=true")
        .token(&app.billing)
        .json(march())
        .expect(200)
        .await;
    assert_eq!(dry.body["claims"][0]["client_id"], s.client.as_str());
    assert_eq!(audited_in(&app, &s.client, &dry).await, read_of_claims());
    assert_eq!(claim_count(&app).await, 0, "a dry run stores no claim");
}

#[tokio::test]
async fn a_replayed_answer_is_audited_as_a_read_of_the_claims_it_shows_again() {
    let (app, s) = attended_march().await;
    let keyed = |body: Value| {
        app.post("/api/v1/claims/generate")
            .token(&app.billing)
            .header("Idempotency-Key", "gen-2026-03-audit")
            .json(body)
    };
    keyed(march()).expect(201).await;
    let replay = keyed(march()).expect(201).await;
    assert_eq!(replay.header("idempotency-replayed"), Some("true"));
    assert_eq!(audited_in(&app, &s.client, &replay).await, read_of_claims());

    // Refused with another body, it shows nothing and audits nothing.
    let mut other = march();
    other["period"] = json!("month");
    let refused = keyed(other).expect(422).await;
    assert!(audited_in(&app, &s.client, &refused).await.is_empty());
}

#[tokio::test]
async fn concurrent_generations_never_bill_a_day_twice() {
    let (app, _) = attended_march().await;
    let runs = (0..4).map(|_| {
        app.post("/api/v1/claims/generate")
            .token(&app.billing)
            .json(march())
            .send()
    });
    let replies = futures_util::future::join_all(runs).await;
    let mut made = 0;
    for reply in &replies {
        assert!([200, 201, 409].contains(&reply.status), "{}", reply.body);
        if reply.status == 201 {
            made += reply.body["summary"]["claims"].as_i64().unwrap();
        }
    }
    assert_eq!(made, 3);
    assert_eq!(claim_count(&app).await, 3);
}

#[tokio::test]
async fn the_schema_refuses_a_second_live_line_for_a_day() {
    use perdiem::store::claims;
    let (app, _) = attended_march().await;
    let generated = generate(&app, "", march(), 201).await;
    let id: uuid::Uuid = id_of(&generated["claims"][0]).parse().unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let mut copy = claims::find(&mut tx, id).await.unwrap().unwrap();
    copy.id = uuid::Uuid::new_v4();
    copy.claim_number = "PD-COPY".into();
    let lines = copy.lines.clone().unwrap();
    let error = claims::insert(
        &mut tx,
        &[claims::NewClaim {
            record: &copy,
            lines: &lines,
        }],
    )
    .await
    .unwrap_err();
    assert!(error.is_unique_violation(), "{error:?}");
}

pub(crate) async fn claim_ids(app: &TestApp) -> Vec<String> {
    let generated = generate(app, "", march(), 201).await;
    strings(generated["claims"].as_array().unwrap(), "id")
}

/// Voids or replaces claim `id` (`operation`), with an optional body.
async fn undo(app: &TestApp, id: &str, operation: &str, body: Option<Value>, status: u16) -> Value {
    let mut call = app
        .post(&format!("/api/v1/claims/{id}/{operation}"))
        .token(&app.billing);
    if let Some(body) = body {
        call = call.json(body);
    }
    call.expect(status).await.body
}

pub(crate) async fn move_to(app: &TestApp, id: &str, status: &str, expect: u16) -> Value {
    app.post(&format!("/api/v1/claims/{id}/status"))
        .token(&app.billing)
        .json(json!({"status": status}))
        .expect(expect)
        .await
        .body
}

#[tokio::test]
async fn the_lifecycle_follows_its_graph_and_refuses_the_rest() {
    let (app, _, ids) = billed_march().await;
    let id = &ids[0];
    let refused = move_to(&app, id, "paid", 409).await;
    assert_eq!(refused["type"], "urn:perdiem:problem:claim-status");
    assert_eq!(refused["claim_status"], "draft");
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("can only move to ready"));
    for status in ["ready", "submitted", "accepted"] {
        assert_eq!(move_to(&app, id, status, 200).await["status"], status);
    }
    let paid = app
        .post(&format!("/api/v1/claims/{id}/status"))
        .token(&app.billing)
        .json(json!({"status": "paid", "payer_claim_number": "ICN-2026-0042", "note": "835 of 04-02"}))
        .expect(200)
        .await
        .body;
    assert_eq!(paid["payer_claim_number"], "ICN-2026-0042");
    let history: Vec<String> = strings(paid["history"].as_array().unwrap(), "to_status");
    assert_eq!(history, ["draft", "ready", "submitted", "accepted", "paid"]);
    assert_eq!(
        move_to(&app, id, "draft", 409).await["detail"],
        "a paid claim cannot change status"
    );
    // void is an operation of its own.
    let via_status = move_to(&app, &ids[1], "void", 409).await;
    assert!(via_status["detail"].as_str().unwrap().contains("/void"));
    // A rejected claim is corrected and sent again.
    for status in ["ready", "submitted", "rejected", "ready"] {
        move_to(&app, &ids[1], status, 200).await;
    }
}

#[tokio::test]
async fn void_releases_days_and_a_claim_the_payer_has_gets_a_void_claim() {
    let (app, _, ids) = billed_march().await;

    // A draft never reached the payer: voided, nothing to send, days free again.
    let voided = undo(&app, &ids[0], "void", None, 200).await;
    assert_eq!(voided["claim"]["status"], "void");
    assert_eq!(voided["successor"], Value::Null);
    let again = generate(&app, "", march(), 201).await;
    assert_eq!(again["summary"]["claims"], 1);
    assert_eq!(again["claims"][0]["statement_from"], "2026-03-03");
    assert_eq!(again["claims"][0]["total_charge"], "1333.32");
    // Voiding twice is refused.
    let twice = undo(
        &app,
        &ids[0],
        "void",
        Some(json!({"note": "duplicate"})),
        409,
    )
    .await;
    assert_eq!(twice["type"], "urn:perdiem:problem:claim-status");

    // A submitted claim: voided, and a frequency-8 claim names it.
    for status in ["ready", "submitted"] {
        move_to(&app, &ids[1], status, 200).await;
    }
    let reply = app
        .post(&format!("/api/v1/claims/{}/void", ids[1]))
        .token(&app.billing)
        .json(json!({"note": "billed in error"}))
        .expect(201)
        .await;
    let body = &reply.body;
    let successor = &body["successor"];
    assert_eq!(successor["frequency"], "8");
    assert_eq!(successor["original_claim_id"], ids[1].as_str());
    assert_eq!(successor["status"], "draft");
    assert!(successor["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["live"] == false));
    // The void claim's lines are its own: their control numbers carry its number.
    let void_number = successor["claim_number"].as_str().unwrap();
    assert!(successor["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["line_control_number"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{void_number}-"))));
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/api/v1/claims/{}", id_of(successor))
    );
    let original = app
        .get(&format!("/api/v1/claims/{}", ids[1]))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(original["status"], "void");
    assert_eq!(original["replaced_or_voided_by"], json!([id_of(successor)]));
    // Its days are billable again.
    let rebilled = generate(&app, "", march(), 201).await;
    assert_eq!(rebilled["claims"][0]["statement_from"], "2026-03-10");
    // A void claim the payer has is neither replaced nor voided in turn.
    let void_claim = id_of(successor);
    for status in ["ready", "submitted"] {
        move_to(&app, &void_claim, status, 200).await;
    }
    for operation in ["replace", "void"] {
        let refused = undo(&app, &void_claim, operation, None, 409).await;
        assert_eq!(refused["type"], "urn:perdiem:problem:claim-status");
    }
}

#[tokio::test]
async fn replace_rebills_the_same_days_with_todays_fee_schedule() {
    let (app, _, ids) = billed_march().await;
    // Replacing a draft is refused: void it and generate instead.
    let refused = undo(&app, &ids[0], "replace", None, 409).await;
    assert!(refused["detail"].as_str().unwrap().contains("void it"));
    for status in ["ready", "submitted", "accepted"] {
        move_to(&app, &ids[0], status, 200).await;
    }
    // The contract rate was corrected after the claim went out.
    let schedules = app
        .get("/api/v1/fee-schedules")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let schedule = id_of(&schedules["items"][0]);
    app.patch(&format!("/api/v1/fee-schedules/{schedule}"))
        .token(&app.billing)
        .json(json!({"charge_per_day": "350.00"}))
        .expect(200)
        .await;

    let replaced = undo(
        &app,
        &ids[0],
        "replace",
        Some(json!({"note": "rate correction"})),
        201,
    )
    .await;
    assert_eq!(replaced["claim"]["status"], "replaced");
    let successor = &replaced["successor"];
    assert_eq!(successor["frequency"], "7");
    assert_eq!(successor["original_claim_id"], ids[0].as_str());
    assert_eq!(successor["total_charge"], "1400.00");
    assert_eq!(successor["line_count"], 4);
    assert!(successor["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["live"] == true));
    // The days are on the replacement now: nothing to generate.
    let again = generate(&app, "", march(), 200).await;
    assert_eq!(again["summary"]["claims"], 0);
    let on: Vec<String> = again["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["date"] == "2026-03-03")
        .map(|d| d["reasons"][0]["claim_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(on, [id_of(successor)]);
}

#[tokio::test]
async fn claims_are_for_billing_staff_and_audited() {
    let (app, s) = attended_march().await;
    app.post("/api/v1/claims/generate")
        .token(&app.admissions)
        .json(march())
        .expect(403)
        .await;
    let ids = claim_ids(&app).await;
    app.get(&format!("/api/v1/claims/{}", ids[0]))
        .token(&app.billing)
        .expect(200)
        .await;
    let audit = app
        .get(&format!("/api/v1/audit?entity_id={}", ids[0]))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["entity_type"] == "claim" && e["action"] == "read"));
    let created = app
        .get(&format!("/api/v1/audit?entity_id={}", s.client))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    assert!(created["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["entity_type"] == "claims" && e["action"] == "create"));
}

pub(crate) async fn set_up_clinic(app: &TestApp) {
    app.call(reqwest::Method::PUT, "/api/v1/organization")
        .token(&app.admin)
        .json(json!({
            "legal_name": "Sunrise Behavioral Health LLC", "npi": "1234567893",
            "tax_id": "12-3456789", "taxonomy_code": "261QM0801X",
            "address": {"line1": "100 Congress Ave", "city": "Austin", "state": "TX",
                        "postal_code": "78701-1234"},
            "phone": "512-555-0100", "submitter_id": "SUNRISE01",
            "billing_contact_name": "Billing Office",
            "attending_provider": {"first_name": "Maya", "last_name": "Okafor",
                                   "npi": "1987654328"}
        }))
        .expect(200)
        .await;
}

pub(crate) fn segments(x12: &str) -> Vec<&str> {
    x12.split('~')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

pub(crate) fn oracle_accepts(name: &str, x12: &str) {
    let Some((ok, report)) = perdiem::oracles::check("x12-check", name, x12) else {
        return;
    };
    assert!(ok, "x12-check refused {name}:\n{report}\n{x12}");
}

async fn x12_file(app: &TestApp, ids: &[&str]) -> crate::helpers::Reply {
    app.post("/api/v1/claims/x12")
        .token(&app.billing)
        .json(json!({ "claim_ids": ids }))
        .expect(200)
        .await
}

#[tokio::test]
async fn claims_are_written_as_837i_and_837p_files_that_validate() {
    let (app, s) = attended_march().await;
    // Without the clinic there is no billing provider.
    let early = generate(&app, "", march(), 201).await;
    let first = id_of(&early["claims"][0]);
    let refused = app
        .get(&format!("/api/v1/claims/{first}/x12"))
        .token(&app.billing)
        .expect(422)
        .await;
    assert_eq!(refused.error_fields(), ["organization"]);
    set_up_clinic(&app).await;

    // One claim alone: an 837I.
    let one = app
        .get(&format!("/api/v1/claims/{first}/x12"))
        .token(&app.billing)
        .expect(200)
        .await;
    assert_eq!(one.header("content-type"), Some("application/edi-x12"));
    let text = one.body.as_str().unwrap().to_string();
    oracle_accepts("one-claim.837", &text);
    let segs = segments(&text);
    assert!(segs[0].starts_with("ISA*00*          *00*          *ZZ*SUNRISE01      *ZZ*"));
    assert!(segs.iter().any(|s| s.starts_with("GS*HC*SUNRISE01*")));
    assert!(segs
        .iter()
        .any(|s| s.ends_with("*005010X223A2") && s.starts_with("ST*837*")));
    // Names travel in the X12 basic character set: upper case.
    assert!(segs.contains(&"NM1*41*2*SUNRISE BEHAVIORAL HEALTH LLC*****46*SUNRISE01"));
    assert!(segs.contains(&"PER*IC*BILLING OFFICE*TE*5125550100"));
    assert!(segs
        .iter()
        .any(|s| s.starts_with("CLM*PD") && s.ends_with("*1333.32***13:A:1**A*Y*Y")));
    assert!(segs.contains(&"REF*G1*PA-7781"));
    let first_line = segs.iter().position(|s| *s == "LX*1").unwrap();
    assert!(segs[first_line + 3].starts_with("REF*6R*PD") && segs[first_line + 3].ends_with("-1"));
    assert!(segs.contains(&"NM1*71*1*OKAFOR*MAYA****XX*1987654328"));
    assert!(segs.contains(&"HI*ABK:F331"));
    assert!(segs.contains(&"HI*ABF:F411"));
    assert!(segs.contains(&"HI*BG:92"));
    assert!(segs.contains(&"DTP*434*RD8*20260303-20260306"));
    assert_eq!(
        segs.iter()
            .filter(|s| s.starts_with("SV2*0905*HC:S9480*333.33*UN*1"))
            .count(),
        4
    );
    let isa13 = one
        .header("x-interchange-control-number")
        .unwrap()
        .to_string();

    // From the 16th the payer takes IOP on the 837P: a new schedule, and the last week's
    // claim is voided and billed again under it.
    let schedules = app
        .get("/api/v1/fee-schedules")
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    app.patch(&format!(
        "/api/v1/fee-schedules/{}",
        id_of(&schedules["items"][0])
    ))
    .token(&app.billing)
    .json(json!({"effective_to": "2026-03-15"}))
    .expect(200)
    .await;
    app.post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": s.payer, "level_of_care": "IOP", "program": "mental_health",
            "revenue_code": "0905", "hcpcs": "S9480", "modifiers": ["HQ"],
            "charge_per_day": "300", "effective_from": "2026-03-16", "claim_form": "837P",
            "place_of_service": "52"
        }))
        .expect(201)
        .await;
    let third = id_of(&early["claims"][2]);
    app.post(&format!("/api/v1/claims/{third}/void"))
        .token(&app.billing)
        .expect(200)
        .await;
    let rebilled = generate(&app, "", march(), 201).await;
    assert_eq!(rebilled["claims"][0]["claim_form"], "837P");
    assert_eq!(rebilled["claims"][0]["total_charge"], "300.00");
    let professional = id_of(&rebilled["claims"][0]);

    // All of them in one file: a group per form.
    let second = id_of(&early["claims"][1]);
    let both = x12_file(&app, &[&first, &second, &professional]).await;
    let text = both.body.as_str().unwrap().to_string();
    oracle_accepts("both-forms.837", &text);
    let segs = segments(&text);
    assert_eq!(segs.iter().filter(|s| s.starts_with("GS*HC*")).count(), 2);
    assert!(segs
        .iter()
        .any(|s| s.starts_with("ST*837*") && s.ends_with("*005010X222A1")));
    assert!(segs
        .iter()
        .any(|s| s.starts_with("CLM*PD") && s.contains("*300***52:B:1*Y*A*Y*Y")));
    assert!(segs.contains(&"SV1*HC:S9480:HQ*300*UN*1***1"));
    assert!(segs.contains(&"NM1*82*1*OKAFOR*MAYA****XX*1987654328"));
    assert!(segs.last().unwrap().starts_with("IEA*2*"));
    let next = both.header("x-interchange-control-number").unwrap();
    assert!(next.parse::<i64>().unwrap() > isa13.parse::<i64>().unwrap());

    // A voided claim is not sent again; unknown and repeated ids name their place.
    let refused = app
        .post("/api/v1/claims/x12")
        .token(&app.billing)
        .json(json!({"claim_ids": [third]}))
        .expect(409)
        .await;
    assert_eq!(refused.body["claim_status"], "void");
    let unknown = app
        .post("/api/v1/claims/x12")
        .token(&app.billing)
        .json(json!({"claim_ids": [first, uuid::Uuid::new_v4()]}))
        .expect(422)
        .await;
    assert_eq!(unknown.error_fields(), ["claim_ids[1]"]);
    let twice = app
        .post("/api/v1/claims/x12")
        .token(&app.billing)
        .json(json!({"claim_ids": [first, first]}))
        .expect(422)
        .await;
    assert_eq!(twice.error_fields(), ["claim_ids[1]"]);
    app.get(&format!("/api/v1/claims/{}/x12", uuid::Uuid::new_v4()))
        .token(&app.billing)
        .expect(404)
        .await;
}

#[tokio::test]
async fn an_837i_schedule_without_hcpcs_bills_by_revenue_code_in_a_file_that_validates() {
    let (app, s) = attended_march().await;
    set_up_clinic(&app).await;
    // SV202 is situational on the 837I: a schedule may price the day by revenue code alone.
    let schedule = app
        .get("/api/v1/fee-schedules")
        .token(&app.billing)
        .expect(200)
        .await
        .body["items"][0]
        .clone();
    let path = format!("/api/v1/fee-schedules/{}", id_of(&schedule));
    let cleared = app
        .patch(&path)
        .token(&app.billing)
        .json(json!({"hcpcs": null}))
        .expect(200)
        .await
        .body;
    assert_eq!(cleared["hcpcs"], Value::Null);

    let ids = claim_ids(&app).await;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let file = x12_file(&app, &ids).await;
    let text = file.body.as_str().unwrap().to_string();
    oracle_accepts("revenue-code-only.837", &text);
    let segs = segments(&text);
    let lines: Vec<&&str> = segs.iter().filter(|s| s.starts_with("SV2*")).collect();
    assert_eq!(lines.len(), 9, "{text}");
    assert!(
        lines.iter().all(|l| **l == "SV2*0905**333.33*UN*1"),
        "{text}"
    );

    // What the export cannot write is refused where it is entered: an 837P has only SV101 for
    // the procedure, and modifiers follow a procedure code.
    let professional = app
        .post("/api/v1/fee-schedules")
        .token(&app.billing)
        .json(json!({
            "payer_id": s.payer, "level_of_care": "PHP", "program": "mental_health",
            "revenue_code": "0912", "charge_per_day": "300", "effective_from": "2026-03-16",
            "claim_form": "837P", "place_of_service": "52"
        }))
        .expect(422)
        .await;
    assert_eq!(professional.error_fields(), ["hcpcs"]);
    let switched = app
        .patch(&path)
        .token(&app.billing)
        .json(
            json!({"claim_form": "837P", "place_of_service": "52", "type_of_bill": null,
                     "condition_codes": []}),
        )
        .expect(422)
        .await;
    assert_eq!(switched.error_fields(), ["hcpcs"]);
    let modifiers = app
        .patch(&path)
        .token(&app.billing)
        .json(json!({"modifiers": ["HQ"]}))
        .expect(422)
        .await;
    assert_eq!(modifiers.error_fields(), ["modifiers"]);
}

#[tokio::test]
async fn void_and_replacement_files_name_the_original_and_validate() {
    let (app, _) = attended_march().await;
    set_up_clinic(&app).await;
    let ids = claim_ids(&app).await;
    for id in &ids[..2] {
        for status in ["ready", "submitted"] {
            move_to(&app, id, status, 200).await;
        }
    }
    app.post(&format!("/api/v1/claims/{}/status", ids[0]))
        .token(&app.billing)
        .json(json!({"status": "accepted", "payer_claim_number": "ICN20260401"}))
        .expect(200)
        .await;
    let original = app
        .get(&format!("/api/v1/claims/{}", ids[1]))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let replacement = undo(&app, &ids[0], "replace", None, 201).await;
    let void = undo(&app, &ids[1], "void", None, 201).await;
    let file = x12_file(
        &app,
        &[
            replacement["successor"]["id"].as_str().unwrap(),
            void["successor"]["id"].as_str().unwrap(),
        ],
    )
    .await;
    let text = file.body.as_str().unwrap().to_string();
    oracle_accepts("void-and-replacement.837", &text);
    let segs = segments(&text);
    // The payer's number when it gave one, else ours.
    assert!(segs.contains(&"REF*F8*ICN20260401"), "{text}");
    let ours = format!("REF*F8*{}", original["claim_number"].as_str().unwrap());
    assert!(segs.contains(&ours.as_str()), "{text}");
    assert!(segs
        .iter()
        .any(|s| s.starts_with("CLM*") && s.contains("*13:A:7*")));
    assert!(segs
        .iter()
        .any(|s| s.starts_with("CLM*") && s.contains("*13:A:8*")));
}

#[tokio::test]
async fn delimiters_never_reach_a_file() {
    let app = spawn_app().await;
    // Names, addresses and reference numbers with an X12 delimiter are refused at the door
    // (the writer would clean names anyway; identifiers it refuses).
    let mut body = client_body();
    body["last_name"] = json!("Lopez*Garcia~");
    let refused = app
        .post("/api/v1/clients")
        .token(&app.admissions)
        .json(body)
        .expect(422)
        .await;
    assert_eq!(refused.error_fields(), ["last_name"]);
    let s = scene(&app).await;
    let refused = app
        .post(&format!("/api/v1/clients/{}/coverages", s.client))
        .token(&app.admissions)
        .json(
            json!({"payer_id": s.payer, "member_id": "XYZ:123", "relationship": "self",
                     "priority": "secondary"}),
        )
        .expect(422)
        .await;
    assert_eq!(refused.error_fields(), ["member_id"]);
    let refused = app
        .patch(&format!("/api/v1/authorizations/{}", s.authorization))
        .token(&app.billing)
        .json(json!({"authorization_number": "PA^1"}))
        .send()
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
}

#[tokio::test]
async fn the_unbilled_report_shows_what_is_left_to_bill_and_what_never_will_be() {
    let (app, s) = attended_march().await;
    let report = |through: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/reports/unbilled?through={through}"))
                .token(&app.billing)
                .expect(200)
                .await
                .body
        }
    };
    let before = report("2026-03-31").await;
    assert_eq!(
        before["totals"],
        json!({"unbilled_days": 9, "unbilled_charge": "2999.97", "not_billable_days": 4,
               "held_days": 0, "held_charge": "0.00"})
    );
    let payer = &before["clients"][0]["payers"][0];
    assert_eq!(before["clients"][0]["client_name"], "Lopez, Ana");
    assert_eq!(payer["payer_id"], s.payer.as_str());
    assert_eq!(payer["payer_name"], "Blue Plan of Texas");
    assert_eq!(payer["unbilled_expected"], "2250.90");
    let not_billable: Vec<(String, String)> = payer["not_billable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["reasons"][0]["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        not_billable,
        [
            ("2026-03-02", "no_fee_schedule"),
            ("2026-03-09", "below_minimum_minutes"),
            ("2026-03-17", "beyond_approved_days"),
            ("2026-03-23", "no_approved_authorization"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // The report wrote nothing.
    assert_eq!(claim_count(&app).await, 0);

    // Two weeks billed: the third week's day is what is left.
    generate(
        &app,
        "",
        json!({"through_date": "2026-03-13", "period": "week"}),
        201,
    )
    .await;
    let after = report("2026-03-31").await;
    assert_eq!(after["totals"]["unbilled_days"], 1);
    assert_eq!(after["totals"]["unbilled_charge"], "333.33");
    assert_eq!(
        after["clients"][0]["payers"][0]["unbilled_dates"],
        json!(["2026-03-16"])
    );
    // Through an earlier date, only earlier days count.
    let early = report("2026-03-05").await;
    assert_eq!(early["totals"]["unbilled_days"], 0);
    assert_eq!(early["totals"]["not_billable_days"], 1);
    app.get("/api/v1/reports/unbilled")
        .token(&app.billing)
        .expect(400)
        .await;
}
