//! Prior authorizations: recorded and corrected by billing, read by admissions, extended by
//! concurrent reviews, and never two approvals at one level of care on the same day.

use serde_json::{json, Value};

use crate::helpers::{client_body, id_of, listed_ids, logged, spawn_app, Reply, TestApp};

const AUTHORIZATIONS: &str = "/api/v1/authorizations";

/// A client with one coverage: (client id, coverage id).
async fn client_with_coverage(app: &TestApp) -> (String, String) {
    let client = app.create_client(client_body()).await;
    let client_id = client["id"].as_str().unwrap().to_string();
    let payer = app.create_payer().await;
    let coverage = app
        .create_coverage(&client_id, payer["id"].as_str().unwrap())
        .await;
    (client_id, coverage["id"].as_str().unwrap().to_string())
}

/// A PHP approval of 10 days, 2026-03-02 to 2026-03-13, with `changes` applied.
fn authorization(client_id: &str, coverage_id: &str, changes: Value) -> Value {
    let mut body = json!({
        "client_id": client_id,
        "coverage_id": coverage_id,
        "level_of_care": "PHP",
        "program": "mental_health",
        "authorization_number": "PA-2026-0042",
        "start_date": "2026-03-02",
        "end_date": "2026-03-13",
        "days_approved": 10,
        "status": "approved"
    });
    for (key, value) in changes.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

async fn record(app: &TestApp, body: Value) -> Value {
    app.post(AUTHORIZATIONS)
        .token(&app.billing)
        .json(body)
        .expect(201)
        .await
        .body
}

fn path(authorization: &Value) -> String {
    format!("{AUTHORIZATIONS}/{}", authorization["id"].as_str().unwrap())
}

async fn extend(app: &TestApp, authorization: &Value, body: Value, status: u16) -> Reply {
    app.post(&format!("{}/extensions", path(authorization)))
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
}

async fn patch(app: &TestApp, authorization: &Value, body: Value, status: u16) -> Reply {
    app.patch(&path(authorization))
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
}

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    listed_ids(app, &format!("{AUTHORIZATIONS}?{query}"), &app.billing).await
}

/// The 409 names the authorization it overlaps, by id, number and dates.
fn assert_overlaps(reply: &Reply, other: &Value, start: &str, end: &str) {
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:authorization-overlap"
    );
    let named = &reply.body["conflicting_authorization"];
    assert_eq!(named["id"], other["id"]);
    assert_eq!(named["authorization_number"], other["authorization_number"]);
    assert_eq!(named["start_date"], start);
    assert_eq!(named["end_date"], end);
    let detail = reply.body["detail"].as_str().unwrap();
    for part in [
        other["id"].as_str().unwrap(),
        other["authorization_number"].as_str().unwrap(),
        start,
        end,
    ] {
        assert!(detail.contains(part), "{detail} should name {part}");
    }
}

#[tokio::test]
async fn an_authorization_is_recorded_read_and_listed_with_filters() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let reply = app
        .post(AUTHORIZATIONS)
        .token(&app.billing)
        .json(authorization(
            &client_id,
            &coverage_id,
            json!({"care_manager_name": "Dana Whitfield", "care_manager_phone": "(512) 555-0100",
                   "next_review_date": "2026-03-09", "notes": "Weekly progress note\nto the reviewer."}),
        ))
        .expect(201)
        .await;
    let location = reply.header("location").unwrap().to_string();
    let php = reply.body;
    assert_eq!(location, path(&php));
    assert_eq!(php["days_approved"], 10);
    assert_eq!(php["end_date"], "2026-03-13");
    assert_eq!(
        php["initial"],
        json!({"days_approved": 10, "end_date": "2026-03-13"})
    );
    assert_eq!(php["extensions"], json!([]));
    assert_eq!(php["care_manager_phone"], "5125550100");
    assert_eq!(php["notes"], "Weekly progress note\nto the reviewer.");
    // The ledger comes from attendance (a later change); nothing pretends to know it now.
    for absent in ["days_used", "days_remaining", "used_days"] {
        assert!(php.get(absent).is_none(), "{absent} must not be shown yet");
    }
    let read = app
        .get(&location)
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(read, php);

    let iop = record(
        &app,
        authorization(
            &client_id,
            &coverage_id,
            json!({"level_of_care": "IOP", "authorization_number": "PA-2026-0077",
                   "start_date": "2026-03-16", "end_date": "2026-04-10", "days_approved": 12,
                   "status": "pending"}),
        ),
    )
    .await;
    let (other_client, other_coverage) = client_with_coverage(&app).await;
    let others = record(
        &app,
        authorization(&other_client, &other_coverage, json!({})),
    )
    .await;

    assert_eq!(ids(&app, "").await.len(), 3);
    assert_eq!(
        ids(&app, &format!("client_id={client_id}")).await,
        [id_of(&iop), id_of(&php)],
        "latest start first"
    );
    assert_eq!(
        ids(&app, &format!("coverage_id={other_coverage}")).await,
        [id_of(&others)]
    );
    assert_eq!(ids(&app, "level_of_care=IOP").await, [id_of(&iop)]);
    assert_eq!(ids(&app, "status=pending").await, [id_of(&iop)]);
    assert_eq!(
        ids(&app, &format!("client_id={client_id}&active_on=2026-03-13")).await,
        [id_of(&php)]
    );
    assert_eq!(
        ids(&app, "active_on=2026-03-14").await,
        Vec::<String>::new()
    );
    assert_eq!(
        ids(
            &app,
            &format!("client_id={client_id}&status=approved&level_of_care=PHP")
        )
        .await,
        [id_of(&php)]
    );
    let page = app
        .get(&format!("{AUTHORIZATIONS}?limit=1&offset=1"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let of_client = app
        .get(&format!("/api/v1/clients/{client_id}/authorizations"))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(of_client["total"], 2);
    assert_eq!(of_client["items"][1], php);
    app.get("/api/v1/clients/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10/authorizations")
        .token(&app.billing)
        .expect(404)
        .await;
    app.get(&format!(
        "{AUTHORIZATIONS}/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10"
    ))
    .token(&app.billing)
    .expect(404)
    .await;

    for (query, parameter) in [
        ("level_of_care=RTC", "level_of_care"),
        ("status=granted", "status"),
        ("active_on=2026-3-1", "active_on"),
        ("client_id=42", "client_id"),
        ("coverage_id=x", "coverage_id"),
        ("payer_id=0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10", "payer_id"),
    ] {
        let reply = app
            .get(&format!("{AUTHORIZATIONS}?{query}"))
            .token(&app.billing)
            .expect(400)
            .await;
        assert_eq!(reply.error_fields(), [parameter], "{query}");
    }
}

#[tokio::test]
async fn each_bad_authorization_field_is_refused_with_its_name() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let nobody = "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10";
    let cases = [
        (json!({"client_id": nobody}), "client_id"),
        (json!({"client_id": "42"}), "client_id"),
        (json!({"coverage_id": nobody}), "coverage_id"),
        (json!({"level_of_care": "RTC"}), "level_of_care"),
        (json!({"program": "eating_disorder"}), "program"),
        (json!({"authorization_number": ""}), "authorization_number"),
        (
            json!({"authorization_number": "PA*42"}),
            "authorization_number",
        ),
        (
            json!({"authorization_number": "PA~42"}),
            "authorization_number",
        ),
        (
            json!({"authorization_number": "A".repeat(51)}),
            "authorization_number",
        ),
        (json!({"start_date": "03/02/2026"}), "start_date"),
        (json!({"end_date": "2026-03-01"}), "end_date"),
        (json!({"days_approved": -1}), "days_approved"),
        (json!({"days_approved": 1001}), "days_approved"),
        (json!({"days_approved": "10"}), "days_approved"),
        (json!({"days_approved": 2.5}), "days_approved"),
        (json!({"days_approved": 0}), "days_approved"),
        (json!({"status": "granted"}), "status"),
        (json!({"status": "expired"}), "status"),
        (
            json!({"next_review_date": "2026-03-01"}),
            "next_review_date",
        ),
        (
            json!({"care_manager_name": "Dana^Whitfield"}),
            "care_manager_name",
        ),
        (
            json!({"care_manager_phone": "555-0100"}),
            "care_manager_phone",
        ),
        (json!({"notes": "x".repeat(2001)}), "notes"),
        (json!({"notes": "  "}), "notes"),
        (json!({"days_used": 3}), "days_used"),
    ];
    for (change, field) in cases {
        let reply = app
            .post(AUTHORIZATIONS)
            .token(&app.billing)
            .json(authorization(&client_id, &coverage_id, change.clone()))
            .expect(422)
            .await;
        assert_eq!(reply.error_fields(), [field], "{change}");
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:validation-error");
    }
    let reply = app
        .post(AUTHORIZATIONS)
        .token(&app.billing)
        .json(json!({}))
        .expect(422)
        .await;
    assert_eq!(
        reply.error_fields(),
        [
            "client_id",
            "coverage_id",
            "level_of_care",
            "program",
            "authorization_number",
            "start_date",
            "end_date",
            "days_approved",
            "status"
        ]
    );
    // Zero days is for a request or a denial.
    for status in ["pending", "denied"] {
        record(
            &app,
            authorization(
                &client_id,
                &coverage_id,
                json!({"status": status, "days_approved": 0}),
            ),
        )
        .await;
    }
}

#[tokio::test]
async fn a_coverage_of_another_client_is_refused() {
    let app = spawn_app().await;
    let (client_id, _) = client_with_coverage(&app).await;
    let (_, not_theirs) = client_with_coverage(&app).await;
    let reply = app
        .post(AUTHORIZATIONS)
        .token(&app.billing)
        .json(authorization(&client_id, &not_theirs, json!({})))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["coverage_id"]);
    assert!(reply.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("another client"));
}

#[tokio::test]
async fn an_approval_overlapping_another_is_refused_naming_it() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let first = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    let overlapping = json!({"authorization_number": "PA-2026-0099", "start_date": "2026-03-13",
                             "end_date": "2026-03-20"});
    let reply = app
        .post(AUTHORIZATIONS)
        .token(&app.billing)
        .json(authorization(&client_id, &coverage_id, overlapping.clone()))
        .expect(409)
        .await;
    assert_overlaps(&reply, &first, "2026-03-02", "2026-03-13");
    assert_eq!(
        reply.body["conflicting_authorization"]["status"],
        "approved"
    );

    // A request or a denial for the same days is no conflict; approving the request is.
    let mut pending = overlapping.clone();
    pending["status"] = json!("pending");
    let second = record(
        &app,
        authorization(&client_id, &coverage_id, pending.clone()),
    )
    .await;
    let mut denied = overlapping.clone();
    denied["status"] = json!("denied");
    record(&app, authorization(&client_id, &coverage_id, denied)).await;
    let reply = patch(&app, &second, json!({"status": "approved"}), 409).await;
    assert_overlaps(&reply, &first, "2026-03-02", "2026-03-13");
    // Moved to the next day, it no longer shares one.
    let approved = patch(
        &app,
        &second,
        json!({"status": "partially_approved", "start_date": "2026-03-14"}),
        200,
    )
    .await
    .body;
    assert_eq!(approved["status"], "partially_approved");
    // Another coverage of the same client is another payer's decision.
    let payer = app.create_payer().await;
    let mut body = crate::helpers::coverage_body(payer["id"].as_str().unwrap());
    body["priority"] = json!("secondary");
    let secondary = app
        .post(&format!("/api/v1/clients/{client_id}/coverages"))
        .token(&app.admissions)
        .json(body)
        .expect(201)
        .await
        .body;
    record(
        &app,
        authorization(&client_id, secondary["id"].as_str().unwrap(), json!({})),
    )
    .await;
}

#[tokio::test]
async fn an_extension_into_another_approval_is_refused_naming_it() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let first = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    let later = record(
        &app,
        authorization(
            &client_id,
            &coverage_id,
            json!({"authorization_number": "PA-2026-0100", "start_date": "2026-03-16",
                   "end_date": "2026-03-27"}),
        ),
    )
    .await;
    let extended = extend(
        &app,
        &first,
        json!({"effective_date": "2026-03-12", "new_end_date": "2026-03-15"}),
        201,
    )
    .await
    .body;
    assert_eq!(extended["end_date"], "2026-03-15");
    let reply = extend(
        &app,
        &first,
        json!({"effective_date": "2026-03-14", "days_added": 2, "new_end_date": "2026-03-17"}),
        409,
    )
    .await;
    assert_overlaps(&reply, &later, "2026-03-16", "2026-03-27");
    // And the other way: the later one may not reach back into the first's current window.
    let reply = app
        .post(AUTHORIZATIONS)
        .token(&app.billing)
        .json(authorization(
            &client_id,
            &coverage_id,
            json!({"authorization_number": "PA-2026-0101", "start_date": "2026-03-14",
                   "end_date": "2026-03-14", "days_approved": 1}),
        ))
        .expect(409)
        .await;
    assert_overlaps(&reply, &first, "2026-03-02", "2026-03-15");
    // Days alone never move the window.
    let more = extend(
        &app,
        &first,
        json!({"effective_date": "2026-03-14", "days_added": 2}),
        201,
    )
    .await
    .body;
    assert_eq!(more["days_approved"], 12);
    assert_eq!(more["extensions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_step_down_from_php_to_iop_is_a_new_authorization_that_does_not_conflict() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let php = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    // The payer approves IOP from the day PHP is expected to end.
    let iop = record(
        &app,
        authorization(
            &client_id,
            &coverage_id,
            json!({"level_of_care": "IOP", "authorization_number": "PA-2026-0200",
                   "start_date": "2026-03-13", "end_date": "2026-04-10", "days_approved": 12}),
        ),
    )
    .await;
    assert_eq!(
        ids(&app, &format!("client_id={client_id}&active_on=2026-03-13")).await,
        [id_of(&iop), id_of(&php)]
    );
    // PHP ends; IOP goes on.
    patch(&app, &php, json!({"status": "expired"}), 200).await;
    assert_eq!(
        ids(
            &app,
            &format!("client_id={client_id}&active_on=2026-03-13&status=approved")
        )
        .await,
        [id_of(&iop)]
    );
}

#[tokio::test]
async fn extensions_add_days_move_the_end_and_keep_the_history() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let created = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    let once = extend(
        &app,
        &created,
        json!({"effective_date": "2026-03-11", "reference": "CR-7781", "days_added": 5,
               "new_end_date": "2026-03-20", "notes": "Step-down plan discussed."}),
        201,
    )
    .await
    .body;
    assert_eq!(once["days_approved"], 15);
    assert_eq!(once["end_date"], "2026-03-20");
    let twice = extend(
        &app,
        &created,
        json!({"effective_date": "2026-03-18", "days_added": 4, "new_end_date": "2026-03-25"}),
        201,
    )
    .await
    .body;
    assert_eq!(twice["days_approved"], 19);
    assert_eq!(twice["end_date"], "2026-03-25");
    assert_eq!(
        twice["initial"],
        json!({"days_approved": 10, "end_date": "2026-03-13"})
    );
    let history = twice["extensions"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["reference"], "CR-7781");
    assert_eq!(history[0]["days_added"], 5);
    assert_eq!(history[0]["new_end_date"], "2026-03-20");
    assert_eq!(history[0]["notes"], "Step-down plan discussed.");
    assert_eq!(history[1]["reference"], json!(null));
    assert_eq!(history[1]["days_added"], 4);
    assert_eq!(history[1]["recorded_by"], created["created_by"]);
    assert_eq!(
        history[0], once["extensions"][0],
        "history is not rewritten"
    );
    let read = app
        .get(&path(&created))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(read, twice);
    // The current window is what the list filters by.
    assert_eq!(ids(&app, "active_on=2026-03-25").await, [id_of(&created)]);
    assert_eq!(
        ids(&app, "active_on=2026-03-26").await,
        Vec::<String>::new()
    );

    for (body, field) in [
        (
            json!({"effective_date": "2026-03-20", "new_end_date": "2026-03-24"}),
            "new_end_date",
        ),
        (
            json!({"effective_date": "2026-03-20", "days_added": 0}),
            "days_added",
        ),
        (json!({"effective_date": "2026-03-20"}), "days_added"),
        (json!({"days_added": 2}), "effective_date"),
        (
            json!({"effective_date": "2026-03-20", "days_added": -2}),
            "days_added",
        ),
        (
            json!({"effective_date": "2026-03-20", "days_added": 1, "reference": "R:1"}),
            "reference",
        ),
        (
            json!({"effective_date": "2026-03-20", "days_added": 1, "days_approved": 9}),
            "days_approved",
        ),
    ] {
        let reply = extend(&app, &created, body.clone(), 422).await;
        assert_eq!(reply.error_fields(), [field], "{body}");
    }
    app.post(&format!(
        "{AUTHORIZATIONS}/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10/extensions"
    ))
    .token(&app.billing)
    .json(json!({"effective_date": "2026-03-20", "days_added": 1}))
    .expect(404)
    .await;
}

#[tokio::test]
async fn an_approved_authorizations_days_and_dates_change_only_by_extension() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let approved = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    for (change, field) in [
        (json!({"days_approved": 12}), "days_approved"),
        (json!({"end_date": "2026-03-20"}), "end_date"),
        (json!({"start_date": "2026-03-03"}), "start_date"),
        (json!({"level_of_care": "IOP"}), "level_of_care"),
        (
            json!({"coverage_id": "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10"}),
            "coverage_id",
        ),
    ] {
        let reply = patch(&app, &approved, change.clone(), 422).await;
        assert_eq!(reply.error_fields(), [field], "{change}");
    }
    let reply = patch(&app, &approved, json!({"days_approved": 12}), 422).await;
    assert!(reply.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("record an extension"));
    for field in ["status", "days_approved", "authorization_number"] {
        let reply = patch(&app, &approved, json!({ field: null }), 422).await;
        assert_eq!(reply.error_fields(), [field]);
    }

    // What may change does.
    let updated = patch(
        &app,
        &approved,
        json!({"authorization_number": "PA-2026-0042-A", "next_review_date": "2026-03-09",
               "care_manager_name": "Lee Okafor", "care_manager_phone": "512.555.0199",
               "notes": "Corrected the number the payer read out."}),
        200,
    )
    .await
    .body;
    assert_eq!(updated["authorization_number"], "PA-2026-0042-A");
    assert_eq!(updated["care_manager_phone"], "5125550199");
    let cleared = patch(
        &app,
        &approved,
        json!({"notes": null, "care_manager_name": null}),
        200,
    )
    .await
    .body;
    assert_eq!(cleared["notes"], json!(null));
    assert_eq!(cleared["care_manager_name"], json!(null));

    // Sending back the figures as shown (current, after an extension) changes nothing.
    let extended = extend(
        &app,
        &approved,
        json!({"effective_date": "2026-03-11", "days_added": 5, "new_end_date": "2026-03-20"}),
        201,
    )
    .await
    .body;
    let echoed = patch(
        &app,
        &approved,
        json!({"days_approved": 15, "end_date": "2026-03-20", "start_date": "2026-03-02"}),
        200,
    )
    .await
    .body;
    assert_eq!(echoed["initial"], extended["initial"]);
    assert_eq!(echoed["days_approved"], 15);

    // A pending request may be corrected, and decided with the payer's figures.
    let pending = record(
        &app,
        authorization(
            &client_id,
            &coverage_id,
            json!({"status": "pending", "level_of_care": "IOP", "days_approved": 15,
                   "start_date": "2026-04-01", "end_date": "2026-04-30"}),
        ),
    )
    .await;
    let decided = patch(
        &app,
        &pending,
        json!({"status": "partially_approved", "days_approved": 8, "end_date": "2026-04-14",
               "program": "substance_use"}),
        200,
    )
    .await
    .body;
    assert_eq!(decided["days_approved"], 8);
    assert_eq!(decided["initial"]["end_date"], "2026-04-14");
    assert_eq!(decided["program"], "substance_use");
}

#[tokio::test]
async fn status_changes_follow_the_authorization_lifecycle() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let pending = json!({"status": "pending"});
    let denied = record(
        &app,
        authorization(&client_id, &coverage_id, pending.clone()),
    )
    .await;
    patch(&app, &denied, json!({"status": "denied"}), 200).await;
    let reply = patch(&app, &denied, json!({"status": "approved"}), 409).await;
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:invalid-transition"
    );
    assert_eq!(reply.body["from"], "denied");
    assert_eq!(reply.body["to"], "approved");
    patch(
        &app,
        &denied,
        json!({"status": "denied", "notes": "Appeal filed."}),
        200,
    )
    .await;

    let approved = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    let reply = patch(&app, &approved, json!({"status": "pending"}), 409).await;
    assert_eq!(reply.body["from"], "approved");
    assert_eq!(reply.body["to"], "pending");
    assert!(reply.body["detail"].as_str().unwrap().contains("expired"));
    patch(&app, &approved, json!({"status": "expired"}), 200).await;
    let reply = patch(&app, &approved, json!({"status": "approved"}), 409).await;
    assert_eq!(reply.body["from"], "expired");

    // Only an approval in force is extended.
    let waiting = record(&app, authorization(&client_id, &coverage_id, pending)).await;
    for authorization in [&waiting, &denied, &approved] {
        let reply = extend(
            &app,
            authorization,
            json!({"effective_date": "2026-03-11", "days_added": 2}),
            409,
        )
        .await;
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:conflict");
        assert_eq!(reply.error_fields(), ["status"]);
    }
}

#[tokio::test]
async fn admissions_reads_authorizations_but_does_not_write_them() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let created = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    app.get(&path(&created))
        .token(&app.admissions)
        .expect(200)
        .await;
    app.get(AUTHORIZATIONS)
        .token(&app.admissions)
        .expect(200)
        .await;
    app.post(AUTHORIZATIONS)
        .token(&app.admissions)
        .json(authorization(
            &client_id,
            &coverage_id,
            json!({"start_date": "2026-05-01",
                                                            "end_date": "2026-05-10"}),
        ))
        .expect(403)
        .await;
    app.patch(&path(&created))
        .token(&app.admissions)
        .json(json!({"notes": "x"}))
        .expect(403)
        .await;
    app.post(&format!("{}/extensions", path(&created)))
        .token(&app.admissions)
        .json(json!({"effective_date": "2026-03-11", "days_added": 2}))
        .expect(403)
        .await;
    let unchanged = app
        .get(&path(&created))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(unchanged, created);
}

#[tokio::test]
async fn every_access_to_an_authorization_is_audited() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let created = record(&app, authorization(&client_id, &coverage_id, json!({}))).await;
    let authorization_id = id_of(&created);
    app.get(&path(&created))
        .token(&app.admissions)
        .expect(200)
        .await;
    ids(&app, &format!("client_id={client_id}")).await;
    app.get(&format!("/api/v1/clients/{client_id}/authorizations"))
        .token(&app.billing)
        .expect(200)
        .await;
    patch(
        &app,
        &created,
        json!({"next_review_date": "2026-03-09"}),
        200,
    )
    .await;
    extend(
        &app,
        &created,
        json!({"effective_date": "2026-03-11", "days_added": 2}),
        201,
    )
    .await;
    // A refused write leaves nothing behind.
    patch(&app, &created, json!({"status": "pending"}), 409).await;

    let events = app
        .get(&format!("/api/v1/audit?entity_id={authorization_id}"))
        .token(&app.admin)
        .expect(200)
        .await
        .body;
    let items = events["items"].as_array().unwrap();
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["update", "update", "read", "read", "read", "create"],
        "newest first"
    );
    assert!(items.iter().all(|e| e["entity_type"] == "authorization"));
    assert_eq!(
        items[4]["user_id"],
        app.admissions_id.as_str(),
        "the read by admissions"
    );
}

#[tokio::test]
async fn concurrent_overlapping_approvals_cannot_both_be_recorded() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    let attempts = (0..6).map(|n| {
        app.post(AUTHORIZATIONS)
            .token(&app.billing)
            .json(authorization(
                &client_id,
                &coverage_id,
                json!({"authorization_number": format!("PA-RACE-{n}"),
                       "start_date": format!("2026-03-0{}", n + 1)}),
            ))
            .send()
    });
    let replies = futures_util::future::join_all(attempts).await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
    assert_eq!(
        ids(&app, &format!("client_id={client_id}&status=approved"))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn no_authorization_number_or_note_reaches_the_log() {
    let app = spawn_app().await;
    let (client_id, coverage_id) = client_with_coverage(&app).await;
    // Values no other test uses, so any occurrence in the shared log is from this test.
    let number = "PA-QZV-559013";
    let note = "Zanthorpe relapse history";
    let created = record(
        &app,
        authorization(
            &client_id,
            &coverage_id,
            json!({"authorization_number": number, "notes": note}),
        ),
    )
    .await;
    // Refusals (an overlap quotes the number in its body) log nothing of it either.
    app.post(AUTHORIZATIONS)
        .token(&app.billing)
        .json(authorization(
            &client_id,
            &coverage_id,
            json!({"notes": note}),
        ))
        .expect(409)
        .await;
    extend(
        &app,
        &created,
        json!({"effective_date": "2026-03-11", "days_added": 2, "notes": note, "reference": number}),
        201,
    )
    .await;
    let logs = logged();
    assert!(
        logs.contains(&id_of(&created)),
        "this test's lines are in the log"
    );
    for secret in [number, note] {
        assert!(
            !logs.contains(secret),
            "{secret} appeared in the application log"
        );
    }
}
