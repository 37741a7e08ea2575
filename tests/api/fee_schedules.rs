//! Fee schedules: recorded and changed by billing, read by admissions; amounts exact to the
//! cent; never two schedules of one payer, level of care and program on the same day.

use serde_json::{json, Value};

use crate::helpers::{changed, id_of, spawn_app, Reply, Terms, TestApp};

const SCHEDULES: Terms = Terms(FEE_SCHEDULES);
const FEE_SCHEDULES: &str = "/api/v1/fee-schedules";

/// An 837I mental-health IOP schedule for `payer_id`, open-ended from 2026-01-01, with
/// `changes` applied (a null removes the member).
fn schedule(payer_id: &str, changes: Value) -> Value {
    let body = json!({
        "payer_id": payer_id,
        "level_of_care": "IOP",
        "program": "mental_health",
        "revenue_code": "0905",
        "hcpcs": "S9480",
        "charge_per_day": "1250.00",
        "effective_from": "2026-01-01",
        "type_of_bill": "0131"
    });
    changed(body, changes)
}

async fn payer_id(app: &TestApp) -> String {
    app.create_payer().await["id"].as_str().unwrap().to_string()
}

/// The 409 names the schedule it overlaps, by id and dates.
fn assert_overlaps(reply: &Reply, other: &Value) {
    assert_eq!(
        reply.problem_type(),
        "urn:perdiem:problem:fee-schedule-overlap"
    );
    let named = &reply.body["conflicting_fee_schedule"];
    assert_eq!(named["id"], other["id"]);
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
async fn a_fee_schedule_is_recorded_read_and_listed_with_filters() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let reply = SCHEDULES
        .create(
            &app,
            schedule(
                &payer,
                json!({"allowed_per_day": "875.5", "modifiers": ["HQ"], "condition_codes": ["92"],
                   "effective_to": "2026-06-30", "type_of_bill": "131",
                   "notes": "2026 contract, amendment 3"}),
            ),
            201,
        )
        .await;
    let first = reply.body.clone();
    assert_eq!(reply.header("location").unwrap(), SCHEDULES.path(&first));
    assert_eq!(first["charge_per_day"], "1250.00");
    assert_eq!(first["allowed_per_day"], "875.50");
    assert_eq!(first["claim_form"], "837I", "the default");
    assert_eq!(first["type_of_bill"], "0131", "kept with its leading zero");
    assert_eq!(first["place_of_service"], Value::Null);
    assert_eq!(first["condition_codes"], json!(["92"]));
    assert_eq!(first["modifiers"], json!(["HQ"]));
    let read = app
        .get(&SCHEDULES.path(&first))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(read, first);

    let second = SCHEDULES
        .record(
            &app,
            schedule(
                &payer,
                json!({"effective_from": "2026-07-01", "charge_per_day": "1300"}),
            ),
        )
        .await;
    let sud = SCHEDULES
        .record(
            &app,
            schedule(
                &payer,
                json!({"program": "substance_use", "revenue_code": "0906", "hcpcs": "H0015",
                   "claim_form": "837P", "place_of_service": "57", "type_of_bill": null}),
            ),
        )
        .await;
    let other_payer = payer_id(&app).await;
    let others = SCHEDULES
        .record(
            &app,
            schedule(
                &other_payer,
                json!({"level_of_care": "PHP", "revenue_code": "0913",
                                      "hcpcs": "S0201", "condition_codes": ["41"]}),
            ),
        )
        .await;

    assert_eq!(SCHEDULES.ids(&app, "").await.len(), 4);
    assert_eq!(
        SCHEDULES.ids(&app, &format!("payer_id={payer}")).await,
        [id_of(&second), id_of(&sud), id_of(&first)],
        "the latest start first"
    );
    assert_eq!(
        SCHEDULES.ids(&app, "level_of_care=PHP").await,
        [id_of(&others)]
    );
    assert_eq!(
        SCHEDULES.ids(&app, "program=substance_use").await,
        [id_of(&sud)]
    );
    let in_force = |day: &str| {
        format!("payer_id={payer}&level_of_care=IOP&program=mental_health&active_on={day}")
    };
    assert_eq!(
        SCHEDULES.ids(&app, &in_force("2025-12-31")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        SCHEDULES.ids(&app, &in_force("2026-01-01")).await,
        [id_of(&first)]
    );
    assert_eq!(
        SCHEDULES.ids(&app, &in_force("2026-06-30")).await,
        [id_of(&first)]
    );
    assert_eq!(
        SCHEDULES.ids(&app, &in_force("2026-07-01")).await,
        [id_of(&second)]
    );
    assert_eq!(
        SCHEDULES.ids(&app, &in_force("2099-01-01")).await,
        [id_of(&second)]
    );
    let page = app
        .get(&format!("{FEE_SCHEDULES}?limit=1&offset=1"))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    for bad in [
        "payer_id=42",
        "level_of_care=RTC",
        "program=x",
        "active_on=2026-13-01",
    ] {
        let reply = app
            .get(&format!("{FEE_SCHEDULES}?{bad}"))
            .token(&app.billing)
            .expect(400)
            .await;
        assert_eq!(reply.error_fields(), [bad.split('=').next().unwrap()]);
    }
    app.get(&format!(
        "{FEE_SCHEDULES}/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10"
    ))
    .token(&app.billing)
    .expect(404)
    .await;
}

#[tokio::test]
async fn money_round_trips_exactly_and_bad_amounts_are_refused() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    for (n, amount) in ["1250.00", "0.10", "99999999.99"].iter().enumerate() {
        let from = format!("20{}-01-01", 30 + n);
        let to = format!("20{}-12-31", 30 + n);
        let created = SCHEDULES
            .record(
                &app,
                schedule(
                    &payer,
                    json!({"charge_per_day": amount, "allowed_per_day": amount,
                       "effective_from": from, "effective_to": to}),
                ),
            )
            .await;
        let read = app
            .get(&SCHEDULES.path(&created))
            .token(&app.billing)
            .expect(200)
            .await
            .body;
        assert_eq!(read["charge_per_day"], *amount);
        assert_eq!(read["allowed_per_day"], *amount);
    }
    for bad in [
        json!("12.345"),
        json!("-1.00"),
        json!("abc"),
        json!("0.00"),
        json!(1250.0),
    ] {
        let reply = SCHEDULES
            .create(&app, schedule(&payer, json!({"charge_per_day": bad})), 422)
            .await;
        assert_eq!(reply.error_fields(), ["charge_per_day"], "{bad}");
    }
    for bad in ["12.345", "-1.00", "abc"] {
        let reply = SCHEDULES
            .create(&app, schedule(&payer, json!({"allowed_per_day": bad})), 422)
            .await;
        assert_eq!(reply.error_fields(), ["allowed_per_day"], "{bad}");
    }
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
        (json!({"level_of_care": "RTC"}), "level_of_care"),
        (json!({"program": "eating_disorder"}), "program"),
        (json!({"revenue_code": "905"}), "revenue_code"),
        (json!({"revenue_code": null}), "revenue_code"),
        (json!({"hcpcs": "S948"}), "hcpcs"),
        (json!({"modifiers": ["HQ", "H"]}), "modifiers[1]"),
        (
            json!({"modifiers": ["U1", "U2", "U3", "U4", "U5"]}),
            "modifiers",
        ),
        (json!({"effective_from": "2026-02-30"}), "effective_from"),
        (json!({"effective_to": "2025-12-31"}), "effective_to"),
        (json!({"claim_form": "UB04"}), "claim_form"),
        (json!({"type_of_bill": "13"}), "type_of_bill"),
        (json!({"condition_codes": ["9"]}), "condition_codes[0]"),
        (json!({"notes": " "}), "notes"),
        (json!({"colour": "blue"}), "colour"),
    ];
    for (changes, field) in cases {
        let reply = SCHEDULES
            .create(&app, schedule(&payer, changes.clone()), 422)
            .await;
        assert_eq!(reply.error_fields(), [field], "{changes}");
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:validation-error");
    }
}

#[tokio::test]
async fn the_claim_form_decides_place_of_service_and_type_of_bill() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let professional = json!({"claim_form": "837P", "program": "substance_use",
                              "revenue_code": "0906", "hcpcs": "H0015", "type_of_bill": null});

    let mut no_place = professional.clone();
    no_place["place_of_service"] = Value::Null;
    let reply = SCHEDULES
        .create(&app, schedule(&payer, no_place), 422)
        .await;
    assert_eq!(reply.error_fields(), ["place_of_service"]);

    let reply = SCHEDULES
        .create(
            &app,
            schedule(&payer, json!({"place_of_service": "57"})),
            422,
        )
        .await;
    assert_eq!(reply.error_fields(), ["place_of_service"], "837I with one");

    let reply = SCHEDULES
        .create(&app, schedule(&payer, json!({"type_of_bill": null})), 422)
        .await;
    assert_eq!(reply.error_fields(), ["type_of_bill"], "837I needs one");

    let mut with_institutional = professional.clone();
    with_institutional["place_of_service"] = json!("57");
    with_institutional["type_of_bill"] = json!("0131");
    with_institutional["condition_codes"] = json!(["92"]);
    let reply = SCHEDULES
        .create(&app, schedule(&payer, with_institutional), 422)
        .await;
    assert_eq!(reply.error_fields(), ["type_of_bill", "condition_codes"]);

    let mut good = professional.clone();
    good["place_of_service"] = json!("57");
    let created = SCHEDULES.record(&app, schedule(&payer, good)).await;
    assert_eq!(created["claim_form"], "837P");
    assert_eq!(created["place_of_service"], "57");
    assert_eq!(created["type_of_bill"], Value::Null);
    assert_eq!(created["condition_codes"], json!([]));

    // Back to 837I in one patch: the form, its type of bill, and no place of service.
    let back = SCHEDULES
        .patch(
            &app,
            &created,
            json!({"claim_form": "837I", "type_of_bill": "0761", "place_of_service": null}),
            200,
        )
        .await
        .body;
    assert_eq!(back["type_of_bill"], "0761");
    assert_eq!(back["place_of_service"], Value::Null);
}

#[tokio::test]
async fn overlapping_periods_are_refused_naming_the_other_on_create_and_patch() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let year = SCHEDULES
        .record(
            &app,
            schedule(&payer, json!({"effective_to": "2026-12-31"})),
        )
        .await;

    // Open-ended from before: runs into it.
    let reply = SCHEDULES
        .create(
            &app,
            schedule(&payer, json!({"effective_from": "2025-01-01"})),
            409,
        )
        .await;
    assert_overlaps(&reply, &year);
    // Sharing only the last day.
    let reply = SCHEDULES
        .create(
            &app,
            schedule(&payer, json!({"effective_from": "2026-12-31"})),
            409,
        )
        .await;
    assert_overlaps(&reply, &year);

    // Adjacent on both sides: allowed.
    let before = SCHEDULES
        .record(
            &app,
            schedule(
                &payer,
                json!({"effective_from": "2025-01-01", "effective_to": "2025-12-31"}),
            ),
        )
        .await;
    let after = SCHEDULES
        .record(
            &app,
            schedule(&payer, json!({"effective_from": "2027-01-01"})),
        )
        .await;
    // Another level of care, another program or another payer: no conflict.
    for changes in [
        json!({"level_of_care": "PHP", "revenue_code": "0913"}),
        json!({"program": "substance_use", "revenue_code": "0906"}),
    ] {
        SCHEDULES.create(&app, schedule(&payer, changes), 201).await;
    }
    let other_payer = payer_id(&app).await;
    SCHEDULES
        .create(&app, schedule(&other_payer, json!({})), 201)
        .await;

    // A patch that moves an end into the next one is refused, naming it…
    let reply = SCHEDULES
        .patch(&app, &before, json!({"effective_to": "2026-01-01"}), 409)
        .await;
    assert_overlaps(&reply, &year);
    let reply = SCHEDULES
        .patch(&app, &year, json!({"effective_to": null}), 409)
        .await;
    assert_overlaps(&reply, &after);
    // …and one that keeps clear of the others is not (a schedule never conflicts with itself).
    let shortened = SCHEDULES
        .patch(
            &app,
            &year,
            json!({"effective_to": "2026-06-30", "charge_per_day": "1300.10"}),
            200,
        )
        .await
        .body;
    assert_eq!(shortened["effective_to"], "2026-06-30");
    assert_eq!(shortened["charge_per_day"], "1300.10");
    SCHEDULES
        .create(
            &app,
            schedule(
                &payer,
                json!({"effective_from": "2026-07-01", "effective_to": "2026-12-31"}),
            ),
            201,
        )
        .await;
}

#[tokio::test]
async fn a_patch_keeps_payer_level_and_program_and_checks_every_rule() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let created = SCHEDULES
        .record(&app, schedule(&payer, json!({"allowed_per_day": "900.00"})))
        .await;
    let other_payer = payer_id(&app).await;
    let reply = SCHEDULES
        .patch(
            &app,
            &created,
            json!({"payer_id": other_payer, "level_of_care": "PHP", "program": "substance_use"}),
            422,
        )
        .await;
    assert_eq!(
        reply.error_fields(),
        ["payer_id", "level_of_care", "program"]
    );
    // The stored values may be sent back.
    let same = SCHEDULES
        .patch(
            &app,
            &created,
            json!({"payer_id": payer, "level_of_care": "IOP", "allowed_per_day": null,
               "modifiers": ["HQ", "GT"]}),
            200,
        )
        .await
        .body;
    assert_eq!(same["allowed_per_day"], Value::Null);
    assert_eq!(same["modifiers"], json!(["HQ", "GT"]));
    // A charge per day may be cleared (a per-service payer's schedule needs none) and set again.
    let cleared = SCHEDULES
        .patch(&app, &created, json!({"charge_per_day": null}), 200)
        .await
        .body;
    assert_eq!(cleared["charge_per_day"], Value::Null);
    let read = app
        .get(&SCHEDULES.path(&created))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(read["charge_per_day"], Value::Null);
    let again = SCHEDULES
        .patch(&app, &created, json!({"charge_per_day": "1250"}), 200)
        .await
        .body;
    assert_eq!(again["charge_per_day"], "1250.00");
    let reply = SCHEDULES
        .patch(&app, &created, json!({"charge_per_day": "12.345"}), 422)
        .await;
    assert_eq!(reply.error_fields(), ["charge_per_day"]);
    app.patch(&format!(
        "{FEE_SCHEDULES}/0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10"
    ))
    .token(&app.billing)
    .json(json!({"notes": "x"}))
    .expect(404)
    .await;
}

#[tokio::test]
async fn admissions_reads_fee_schedules_but_cannot_write_them() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let created = SCHEDULES.record(&app, schedule(&payer, json!({}))).await;
    app.get(&SCHEDULES.path(&created))
        .token(&app.admissions)
        .expect(200)
        .await;
    app.get(FEE_SCHEDULES)
        .token(&app.admissions)
        .expect(200)
        .await;
    app.post(FEE_SCHEDULES)
        .token(&app.admissions)
        .json(schedule(&payer, json!({"effective_from": "2030-01-01"})))
        .expect(403)
        .await;
    app.patch(&SCHEDULES.path(&created))
        .token(&app.admissions)
        .json(json!({"charge_per_day": "1.00"}))
        .expect(403)
        .await;
    app.get(FEE_SCHEDULES).token(&app.admin).expect(403).await;
}

/// Writers lock the payer before they check: of several overlapping schedules sent at once,
/// exactly one is recorded (on PostgreSQL by `SELECT … FOR UPDATE`, on SQLite by the write lock
/// `BEGIN IMMEDIATE` takes).
#[tokio::test]
async fn concurrent_overlapping_schedules_cannot_both_be_recorded() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let sends = (1..=6).map(|month| {
        app.post(FEE_SCHEDULES)
            .token(&app.billing)
            .json(schedule(
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
        5,
        "{statuses:?}"
    );
    assert_eq!(SCHEDULES.ids(&app, "").await.len(), 1);
}
