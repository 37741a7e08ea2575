//! Issue 17, per-service billing: the service catalog (the clinic's charge master), catalog
//! codes with units on attended days, the billable-day rule of per-service payers and their
//! claims, one line per service.

use serde_json::{json, Value};

use crate::helpers::{id_of, listed_ids, spawn_app, Reply, TestApp};

const SERVICE_CODES: &str = "/api/v1/service-codes";

/// A catalog entry of `code` open-ended from 2026-03-01, with `changes` applied (a null
/// removes the member).
fn entry(code: &str, changes: Value) -> Value {
    let mut body = json!({
        "code": code,
        "description": format!("Service {code}"),
        "revenue_code": "0915",
        "hcpcs": code,
        "charge": "210.00",
        "effective_from": "2026-03-01"
    });
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

async fn record(app: &TestApp, body: Value, status: u16) -> Reply {
    app.post(SERVICE_CODES)
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
}

fn path(entry: &Value) -> String {
    format!("{SERVICE_CODES}/{}", entry["id"].as_str().unwrap())
}

#[tokio::test]
async fn catalog_entries_are_recorded_read_listed_and_changed() {
    let app = spawn_app().await;
    let reply = record(
        &app,
        entry("G0410", json!({"modifiers": ["PN"], "charge": "210.5"})),
        201,
    )
    .await;
    let group = reply.body.clone();
    assert_eq!(reply.header("location").unwrap(), path(&group));
    assert_eq!(group["charge"], "210.50");
    assert_eq!(group["counts_toward_day"], true, "the default");
    assert_eq!(group["modifiers"], json!(["PN"]));
    assert_eq!(group["effective_to"], Value::Null);
    let read = app
        .get(&path(&group))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(read, group);
    let check_in = record(
        &app,
        entry(
            "99211",
            json!({"revenue_code": "0900", "counts_toward_day": false, "charge": "40"}),
        ),
        201,
    )
    .await
    .body;
    assert_eq!(check_in["counts_toward_day"], false);

    // A charge changed mid-month: the old entry ends the day before, a new one starts.
    let ended = app
        .patch(&path(&group))
        .token(&app.billing)
        .json(json!({"effective_to": "2026-03-15"}))
        .expect(200)
        .await
        .body;
    assert_eq!(ended["effective_to"], "2026-03-15");
    let raised = record(
        &app,
        entry(
            "G0410",
            json!({"effective_from": "2026-03-16", "charge": "225.00"}),
        ),
        201,
    )
    .await
    .body;
    let ids = |query: &'static str| {
        let app = &app;
        async move { listed_ids(app, &format!("{SERVICE_CODES}?{query}"), &app.admissions).await }
    };
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
    let first = record(&app, entry("G0410", json!({})), 201).await.body;
    // Another code may share any day.
    record(&app, entry("90837", json!({"revenue_code": "0914"})), 201).await;
    let reply = record(
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
    let later = record(
        &app,
        entry(
            "G0410",
            json!({"effective_from": "2025-01-01", "effective_to": "2025-12-31"}),
        ),
        201,
    )
    .await
    .body;
    let reply = app
        .patch(&path(&later))
        .token(&app.billing)
        .json(json!({"effective_to": "2026-03-01"}))
        .expect(409)
        .await;
    assert_eq!(reply.body["conflicting_service_code"]["id"], first["id"]);
    let reply = app
        .patch(&path(&later))
        .token(&app.billing)
        .json(json!({"code": "90853"}))
        .expect(422)
        .await;
    assert_eq!(reply.error_fields(), ["code"]);
    let reply = app
        .patch(&path(&later))
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
        let reply = record(&app, entry("G0410", changes.clone()), 422).await;
        assert_eq!(reply.error_fields(), [field], "{changes}");
    }
}
