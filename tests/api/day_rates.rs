//! Day rates: recorded and changed by billing, read by admissions; amounts exact to the cent;
//! never two rates of one payer, level of care and service tier on the same day. And the cost
//! estimate of a per-service payer, which takes the 3-service rate as its low and the 4+ rate
//! as its high allowed amount per day.

use serde_json::{json, Value};

use crate::helpers::{id_of, listed_ids, spawn_app, Reply, TestApp};

const DAY_RATES: &str = "/api/v1/day-rates";

/// A PHP 3-service rate for `payer_id`, open-ended from 2026-01-01, with `changes` applied (a
/// null removes the member).
fn rate(payer_id: &str, changes: Value) -> Value {
    let mut body = json!({
        "payer_id": payer_id,
        "level_of_care": "PHP",
        "services": "3",
        "amount": "260.15",
        "effective_from": "2026-01-01"
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

async fn payer_id(app: &TestApp) -> String {
    app.create_payer().await["id"].as_str().unwrap().to_string()
}

async fn create(app: &TestApp, body: Value, status: u16) -> Reply {
    app.post(DAY_RATES)
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
}

fn path(rate: &Value) -> String {
    format!("{DAY_RATES}/{}", rate["id"].as_str().unwrap())
}

async fn patch(app: &TestApp, rate: &Value, body: Value, status: u16) -> Reply {
    app.patch(&path(rate))
        .token(&app.billing)
        .json(body)
        .expect(status)
        .await
}

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    listed_ids(app, &format!("{DAY_RATES}?{query}"), &app.admissions).await
}

/// The 409 names the rate it overlaps, by id and dates.
fn assert_overlaps(reply: &Reply, other: &Value) {
    assert_eq!(reply.problem_type(), "urn:perdiem:problem:day-rate-overlap");
    let named = &reply.body["conflicting_day_rate"];
    assert_eq!(named["id"], other["id"]);
    assert_eq!(named["services"], other["services"]);
    assert_eq!(named["effective_from"], other["effective_from"]);
    assert_eq!(named["effective_to"], other["effective_to"]);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(detail.contains(other["id"].as_str().unwrap()), "{detail}");
    assert!(
        detail.contains(other["effective_from"].as_str().unwrap()),
        "{detail}"
    );
}

#[tokio::test]
async fn a_day_rate_is_recorded_read_listed_and_changed_with_exact_amounts() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let reply = create(
        &app,
        rate(
            &payer,
            json!({"amount": "260.1", "effective_to": "2026-03-15"}),
        ),
        201,
    )
    .await;
    let first = reply.body.clone();
    assert_eq!(reply.header("location").unwrap(), path(&first));
    assert_eq!(first["amount"], "260.10");
    assert_eq!(first["services"], "3");
    assert_eq!(first["level_of_care"], "PHP");
    assert_eq!(first["effective_to"], "2026-03-15");
    let read = app
        .get(&path(&first))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(read, first);

    let second = create(
        &app,
        rate(
            &payer,
            json!({"effective_from": "2026-03-16", "amount": "265.40"}),
        ),
        201,
    )
    .await
    .body;
    let four = create(
        &app,
        rate(&payer, json!({"services": "4+", "amount": "99999999.99"})),
        201,
    )
    .await
    .body;
    assert_eq!(four["amount"], "99999999.99");
    let other_payer = payer_id(&app).await;
    let iop = create(
        &app,
        rate(
            &other_payer,
            json!({"level_of_care": "IOP", "amount": "0.01"}),
        ),
        201,
    )
    .await
    .body;
    assert_eq!(iop["amount"], "0.01");

    assert_eq!(ids(&app, "").await.len(), 4);
    assert_eq!(
        ids(&app, &format!("payer_id={payer}")).await,
        [id_of(&second), id_of(&four), id_of(&first)],
        "the latest start first"
    );
    assert_eq!(ids(&app, "level_of_care=IOP").await, [id_of(&iop)]);
    assert_eq!(ids(&app, "services=4%2B").await, [id_of(&four)]);
    let in_force =
        |day: &str| format!("payer_id={payer}&level_of_care=PHP&services=3&active_on={day}");
    assert_eq!(
        ids(&app, &in_force("2025-12-31")).await,
        Vec::<String>::new()
    );
    assert_eq!(ids(&app, &in_force("2026-03-15")).await, [id_of(&first)]);
    assert_eq!(ids(&app, &in_force("2026-03-16")).await, [id_of(&second)]);
    let page = app
        .get(&format!("{DAY_RATES}?limit=1&offset=1"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    for bad in [
        "payer_id=42",
        "level_of_care=RTC",
        "services=4",
        "active_on=2026-13-01",
    ] {
        let reply = app
            .get(&format!("{DAY_RATES}?{bad}"))
            .token(&app.billing)
            .expect(400)
            .await;
        assert_eq!(reply.error_fields(), [bad.split('=').next().unwrap()]);
    }

    // A new amount; the payer, level and tier stay (sending the stored values is allowed).
    let changed = patch(
        &app,
        &second,
        json!({"amount": "270.05", "payer_id": payer, "services": "3"}),
        200,
    )
    .await
    .body;
    assert_eq!(changed["amount"], "270.05");
    let reply = patch(
        &app,
        &second,
        json!({"payer_id": other_payer, "level_of_care": "IOP", "services": "4+"}),
        422,
    )
    .await;
    assert_eq!(
        reply.error_fields(),
        ["payer_id", "level_of_care", "services"]
    );
    let reply = patch(&app, &second, json!({"amount": null}), 422).await;
    assert_eq!(reply.error_fields(), ["amount"]);
    let unknown = format!("{DAY_RATES}/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10");
    app.get(&unknown).token(&app.billing).expect(404).await;
    app.patch(&unknown)
        .token(&app.billing)
        .json(json!({"amount": "1.00"}))
        .expect(404)
        .await;
}

#[tokio::test]
async fn every_validation_error_names_its_field() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let cases = [
        (
            json!({"payer_id": "0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10"}),
            "payer_id",
        ),
        (json!({"payer_id": "42"}), "payer_id"),
        (json!({"payer_id": null}), "payer_id"),
        (json!({"level_of_care": "RTC"}), "level_of_care"),
        (json!({"services": "4"}), "services"),
        (json!({"services": 3}), "services"),
        (json!({"services": null}), "services"),
        (json!({"amount": "12.345"}), "amount"),
        (json!({"amount": "-1.00"}), "amount"),
        (json!({"amount": "0.00"}), "amount"),
        (json!({"amount": 260.15}), "amount"),
        (json!({"amount": "100000000.00"}), "amount"),
        (json!({"effective_from": "2026-02-30"}), "effective_from"),
        (json!({"effective_to": "2025-12-31"}), "effective_to"),
        (json!({"apc": "5863"}), "apc"),
    ];
    for (changes, field) in cases {
        let reply = create(&app, rate(&payer, changes.clone()), 422).await;
        assert_eq!(reply.error_fields(), [field], "{changes}");
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:validation-error");
        assert!(!reply.body["detail"].as_str().unwrap().is_empty());
    }
    assert_eq!(ids(&app, "").await.len(), 0);
}

#[tokio::test]
async fn overlapping_periods_are_refused_naming_the_other_on_create_and_patch() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let year = create(
        &app,
        rate(&payer, json!({"effective_to": "2026-12-31"})),
        201,
    )
    .await
    .body;
    // Open-ended from before: runs into it.
    let reply = create(
        &app,
        rate(&payer, json!({"effective_from": "2025-01-01"})),
        409,
    )
    .await;
    assert_overlaps(&reply, &year);
    // Sharing only the last day.
    let reply = create(
        &app,
        rate(&payer, json!({"effective_from": "2026-12-31"})),
        409,
    )
    .await;
    assert_overlaps(&reply, &year);
    // Adjacent on both sides: allowed.
    let before = create(
        &app,
        rate(
            &payer,
            json!({"effective_from": "2025-01-01", "effective_to": "2025-12-31"}),
        ),
        201,
    )
    .await
    .body;
    let after = create(
        &app,
        rate(&payer, json!({"effective_from": "2027-01-01"})),
        201,
    )
    .await
    .body;
    // The other tier, another level of care or another payer: no conflict.
    create(&app, rate(&payer, json!({"services": "4+"})), 201).await;
    create(&app, rate(&payer, json!({"level_of_care": "IOP"})), 201).await;
    let other_payer = payer_id(&app).await;
    create(&app, rate(&other_payer, json!({})), 201).await;

    // A patch that moves an end into the next one is refused, naming it…
    let reply = patch(&app, &before, json!({"effective_to": "2026-01-01"}), 409).await;
    assert_overlaps(&reply, &year);
    let reply = patch(&app, &year, json!({"effective_to": null}), 409).await;
    assert_overlaps(&reply, &after);
    // …and one that keeps clear of the others is not (a rate never conflicts with itself).
    let shortened = patch(&app, &year, json!({"effective_to": "2026-06-30"}), 200)
        .await
        .body;
    assert_eq!(shortened["effective_to"], "2026-06-30");
    create(
        &app,
        rate(
            &payer,
            json!({"effective_from": "2026-07-01", "effective_to": "2026-12-31"}),
        ),
        201,
    )
    .await;
}

#[tokio::test]
async fn admissions_reads_day_rates_and_only_billing_writes_them() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let created = create(&app, rate(&payer, json!({})), 201).await.body;
    app.get(&path(&created))
        .token(&app.admissions)
        .expect(200)
        .await;
    app.get(DAY_RATES).token(&app.admissions).expect(200).await;
    for token in [&app.admissions, &app.admin] {
        let reply = app
            .post(DAY_RATES)
            .token(token)
            .json(rate(&payer, json!({"effective_from": "2030-01-01"})))
            .expect(403)
            .await;
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:forbidden");
        app.patch(&path(&created))
            .token(token)
            .json(json!({"amount": "1.00"}))
            .expect(403)
            .await;
    }
    app.get(DAY_RATES).token(&app.admin).expect(403).await;
    app.get(DAY_RATES).expect(401).await;
    let read = app
        .get(&path(&created))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(read["amount"], "260.15", "unchanged by the refused writes");
}

/// Writers lock the payer before they check: of several overlapping rates sent at once,
/// exactly one is recorded.
#[tokio::test]
async fn concurrent_overlapping_rates_cannot_both_be_recorded() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let sends = (1..=4).map(|month| {
        app.post(DAY_RATES)
            .token(&app.billing)
            .json(rate(
                &payer,
                json!({"effective_from": format!("2026-0{month}-01")}),
            ))
            .send()
    });
    let statuses: Vec<u16> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(|reply| reply.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(ids(&app, "").await.len(), 1);
}
