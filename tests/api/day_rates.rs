//! Day rates: recorded and changed by billing, read by admissions; amounts exact to the cent;
//! never two rates of one payer, level of care and service tier on the same day. And the cost
//! estimate of a per-service payer, which takes the 3-service rate as its low and the 4+ rate
//! as its high allowed amount per day.

use perdiem::mock_payer::{self, Scenarios, X12_PATH};
use serde_json::{json, Value};

use crate::helpers::{changed, id_of, spawn_app, Reply, Terms, TestApp};
use crate::verifications::{set_up, verify};

const RATES: Terms = Terms(DAY_RATES);
const DAY_RATES: &str = "/api/v1/day-rates";

/// A PHP 3-service rate for `payer_id`, open-ended from 2026-01-01, with `changes` applied (a
/// null removes the member).
fn rate(payer_id: &str, changes: Value) -> Value {
    let body = json!({
        "payer_id": payer_id,
        "level_of_care": "PHP",
        "services": "3",
        "amount": "260.15",
        "effective_from": "2026-01-01"
    });
    changed(body, changes)
}

async fn payer_id(app: &TestApp) -> String {
    app.create_payer().await["id"].as_str().unwrap().to_string()
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
    let reply = RATES
        .create(
            &app,
            rate(
                &payer,
                json!({"amount": "260.1", "effective_to": "2026-03-15"}),
            ),
            201,
        )
        .await;
    let first = reply.body.clone();
    assert_eq!(reply.header("location").unwrap(), RATES.path(&first));
    assert_eq!(first["amount"], "260.10");
    assert_eq!(first["services"], "3");
    assert_eq!(first["level_of_care"], "PHP");
    assert_eq!(first["effective_to"], "2026-03-15");
    let read = app
        .get(&RATES.path(&first))
        .token(&app.admissions)
        .expect(200)
        .await
        .body;
    assert_eq!(read, first);

    let second = RATES
        .record(
            &app,
            rate(
                &payer,
                json!({"effective_from": "2026-03-16", "amount": "265.40"}),
            ),
        )
        .await;
    let four = RATES
        .record(
            &app,
            rate(&payer, json!({"services": "4+", "amount": "99999999.99"})),
        )
        .await;
    assert_eq!(four["amount"], "99999999.99");
    let other_payer = payer_id(&app).await;
    let iop = RATES
        .record(
            &app,
            rate(
                &other_payer,
                json!({"level_of_care": "IOP", "amount": "0.01"}),
            ),
        )
        .await;
    assert_eq!(iop["amount"], "0.01");

    assert_eq!(RATES.ids(&app, "").await.len(), 4);
    assert_eq!(
        RATES.ids(&app, &format!("payer_id={payer}")).await,
        [id_of(&second), id_of(&four), id_of(&first)],
        "the latest start first"
    );
    assert_eq!(RATES.ids(&app, "level_of_care=IOP").await, [id_of(&iop)]);
    assert_eq!(RATES.ids(&app, "services=4%2B").await, [id_of(&four)]);
    let in_force =
        |day: &str| format!("payer_id={payer}&level_of_care=PHP&services=3&active_on={day}");
    assert_eq!(
        RATES.ids(&app, &in_force("2025-12-31")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        RATES.ids(&app, &in_force("2026-03-15")).await,
        [id_of(&first)]
    );
    assert_eq!(
        RATES.ids(&app, &in_force("2026-03-16")).await,
        [id_of(&second)]
    );
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
    let changed = RATES
        .patch(
            &app,
            &second,
            json!({"amount": "270.05", "payer_id": payer, "services": "3"}),
            200,
        )
        .await
        .body;
    assert_eq!(changed["amount"], "270.05");
    let reply = RATES
        .patch(
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
    let reply = RATES
        .patch(&app, &second, json!({"amount": null}), 422)
        .await;
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
        let reply = RATES.create(&app, rate(&payer, changes.clone()), 422).await;
        assert_eq!(reply.error_fields(), [field], "{changes}");
        assert_eq!(reply.problem_type(), "urn:perdiem:problem:validation-error");
        assert!(!reply.body["detail"].as_str().unwrap().is_empty());
    }
    assert_eq!(RATES.ids(&app, "").await.len(), 0);
}

#[tokio::test]
async fn overlapping_periods_are_refused_naming_the_other_on_create_and_patch() {
    let app = spawn_app().await;
    let payer = payer_id(&app).await;
    let year = RATES
        .record(&app, rate(&payer, json!({"effective_to": "2026-12-31"})))
        .await;
    // Open-ended from before: runs into it.
    let reply = RATES
        .create(
            &app,
            rate(&payer, json!({"effective_from": "2025-01-01"})),
            409,
        )
        .await;
    assert_overlaps(&reply, &year);
    // Sharing only the last day.
    let reply = RATES
        .create(
            &app,
            rate(&payer, json!({"effective_from": "2026-12-31"})),
            409,
        )
        .await;
    assert_overlaps(&reply, &year);
    // Adjacent on both sides: allowed.
    let before = RATES
        .record(
            &app,
            rate(
                &payer,
                json!({"effective_from": "2025-01-01", "effective_to": "2025-12-31"}),
            ),
        )
        .await;
    let after = RATES
        .record(&app, rate(&payer, json!({"effective_from": "2027-01-01"})))
        .await;
    // The other tier, another level of care or another payer: no conflict.
    RATES
        .create(&app, rate(&payer, json!({"services": "4+"})), 201)
        .await;
    RATES
        .create(&app, rate(&payer, json!({"level_of_care": "IOP"})), 201)
        .await;
    let other_payer = payer_id(&app).await;
    RATES.create(&app, rate(&other_payer, json!({})), 201).await;

    // A patch that moves an end into the next one is refused, naming it…
    let reply = RATES
        .patch(&app, &before, json!({"effective_to": "2026-01-01"}), 409)
        .await;
    assert_overlaps(&reply, &year);
    let reply = RATES
        .patch(&app, &year, json!({"effective_to": null}), 409)
        .await;
    assert_overlaps(&reply, &after);
    // …and one that keeps clear of the others is not (a rate never conflicts with itself).
    let shortened = RATES
        .patch(&app, &year, json!({"effective_to": "2026-06-30"}), 200)
        .await
        .body;
    assert_eq!(shortened["effective_to"], "2026-06-30");
    RATES
        .create(
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
    let created = RATES.record(&app, rate(&payer, json!({}))).await;
    app.get(&RATES.path(&created))
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
        app.patch(&RATES.path(&created))
            .token(token)
            .json(json!({"amount": "1.00"}))
            .expect(403)
            .await;
    }
    app.get(DAY_RATES).token(&app.admin).expect(403).await;
    app.get(DAY_RATES).expect(401).await;
    let read = app
        .get(&RATES.path(&created))
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
    assert_eq!(RATES.ids(&app, "").await.len(), 1);
}

async fn estimate(app: &TestApp, body: Value, status: u16) -> Reply {
    app.post("/api/v1/estimates")
        .token(&app.admissions)
        .json(body)
        .expect(status)
        .await
}

/// A verified client of a mock payer whose plan has $900 of deductible left, 20 % coinsurance
/// and $3,850 of out-of-pocket left (MOCK-DEDUCTIBLE), for PHP and IOP; the payer is billed
/// per service. Returns the verification and the payer's id.
async fn per_service_verification(app: &TestApp) -> (Value, String) {
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    let (client, coverage, payer) =
        set_up(app, "x12", &mock.url(X12_PATH), "MOCK-DEDUCTIBLE").await;
    let verification = verify(app, &client, &coverage, json!(["PHP", "IOP"]), 201).await;
    assert_eq!(verification["status"], "verified", "{verification:#}");
    app.patch(&format!("/api/v1/payers/{payer}"))
        .token(&app.admin)
        .json(json!({"billing": {"claim_style": "per_service"}}))
        .expect(200)
        .await;
    // The mock has answered; the estimate reads what was kept.
    drop(mock);
    (verification, payer)
}

fn amounts(days: &Value, scenario: &str) -> Vec<String> {
    days.as_array()
        .unwrap()
        .iter()
        .map(|day| match scenario {
            "allowed" | "allowed_high" => day[scenario].as_str().unwrap_or("-").to_string(),
            _ => day[scenario]["patient"].as_str().unwrap_or("-").to_string(),
        })
        .collect()
}

#[tokio::test]
async fn a_per_service_payers_estimate_runs_from_the_three_service_rate_to_the_four_plus_rate() {
    let app = spawn_app().await;
    let (verification, payer) = per_service_verification(&app).await;
    // The 3-service rate changes on 7 December; the 4+ rate holds.
    let old = RATES
        .record(&app, rate(&payer, json!({"effective_to": "2026-12-06"})))
        .await;
    let new = RATES
        .record(
            &app,
            rate(
                &payer,
                json!({"effective_from": "2026-12-07", "amount": "265.40"}),
            ),
        )
        .await;
    let four = RATES
        .record(
            &app,
            rate(&payer, json!({"services": "4+", "amount": "370.20"})),
        )
        .await;
    let days = json!([
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
        "2026-12-07",
        "2026-12-08"
    ]);
    let reply = estimate(
        &app,
        json!({"verification_id": id_of(&verification), "level_of_care": "PHP",
               "planned_days": days}),
        201,
    )
    .await;
    let body = &reply.body;
    assert_eq!(body["kind"], "insurance");
    assert_eq!(body["allowed_per_day"], Value::Null, "each day has its own");
    assert_eq!(body["allowed_source"]["from"], "day_rates");
    let mut used: Vec<String> = body["allowed_source"]["day_rate_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect();
    used.sort();
    let mut expected = vec![id_of(&old), id_of(&new), id_of(&four)];
    expected.sort();
    assert_eq!(used, expected);
    assert!(
        body["notes"][0].as_str().unwrap().contains("3 services"),
        "{body:#}"
    );
    let e = &body["estimate"];
    assert_eq!(
        amounts(&e["days"], "allowed"),
        ["260.15", "260.15", "260.15", "265.40", "265.40"]
    );
    assert_eq!(amounts(&e["days"], "allowed_high"), ["370.20"; 5]);
    // Low: $900 of deductible over 260.15 × 3 (119.55 left), then 119.55 + 20 % of 145.85
    // (29.17) = 148.72, then 20 % of 265.40 = 53.08. High: 370.20 × 2 of deductible (159.60
    // left), then 159.60 + 20 % of 210.60 (42.12) = 201.72, then 74.04 a day.
    assert_eq!(
        amounts(&e["days"], "low"),
        ["260.15", "260.15", "260.15", "148.72", "53.08"]
    );
    assert_eq!(
        amounts(&e["days"], "high"),
        ["370.20", "370.20", "201.72", "74.04", "74.04"]
    );
    assert_eq!(e["days"][3]["low"]["deductible"], "119.55");
    assert_eq!(e["days"][3]["low"]["coinsurance"], "29.17");
    assert_eq!(e["days"][2]["high"]["deductible"], "159.60");
    assert_eq!(e["days"][2]["high"]["coinsurance"], "42.12");
    let totals = &e["totals"];
    assert_eq!(totals["allowed"], "1311.25");
    assert_eq!(totals["allowed_high"], "1851.00");
    assert_eq!(totals["low"]["patient"], "982.25");
    assert_eq!(totals["low"]["plan"], "329.00");
    assert_eq!(totals["high"]["patient"], "1090.20");
    assert_eq!(totals["high"]["plan"], "760.80");
    assert_eq!(e["unknown"], json!([]));

    // Kept as given.
    let path = reply.header("location").unwrap().to_string();
    let read = app.get(&path).token(&app.billing).expect(200).await.body;
    assert_eq!(&read, body);
    // The staff web app shows each day's allowed range and the total's.
    let mut visitor = crate::web_support::Visitor::signed_in(&app, "admissions").await;
    let page = visitor.get(&format!("/estimates/{}", id_of(body))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("$265.40 – $370.20"), "{}", page.body);
    assert!(page.body.contains("$1,311.25 – $1,851.00"), "{}", page.body);

    // An allowed amount sent with the request still wins, one figure for both scenarios.
    let asked = estimate(
        &app,
        json!({"verification_id": id_of(&verification), "level_of_care": "PHP",
               "planned_days": ["2026-12-01"], "allowed_per_day": "300"}),
        201,
    )
    .await
    .body;
    assert_eq!(asked["allowed_source"]["from"], "request");
    assert_eq!(asked["allowed_per_day"], "300.00");
    assert!(asked["estimate"]["days"][0].get("allowed_high").is_none());
}

#[tokio::test]
async fn without_a_day_rate_the_per_service_estimate_says_what_it_does_not_know() {
    let app = spawn_app().await;
    let (verification, payer) = per_service_verification(&app).await;
    // IOP: a 3-service rate only, from 2 December.
    RATES
        .create(
            &app,
            rate(
                &payer,
                json!({"level_of_care": "IOP", "amount": "101.00", "effective_from": "2026-12-02"}),
            ),
            201,
        )
        .await;
    let ask = |days: Value| {
        json!({"verification_id": id_of(&verification), "level_of_care": "IOP",
               "planned_days": days})
    };
    // No 4+ rate: the low figures stand, the high ones are unknown and said to be.
    let body = estimate(&app, ask(json!(["2026-12-02", "2026-12-03"])), 201)
        .await
        .body;
    let e = &body["estimate"];
    assert_eq!(amounts(&e["days"], "low"), ["101.00", "101.00"]);
    assert_eq!(amounts(&e["days"], "high"), ["-", "-"]);
    assert_eq!(amounts(&e["days"], "allowed_high"), ["-", "-"]);
    assert_eq!(e["totals"]["high"], Value::Null);
    assert_eq!(e["totals"]["low"]["patient"], "202.00");
    assert_eq!(e["unknown"], json!(["day_rate_four_plus"]));
    assert!(e["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a.as_str().unwrap().starts_with("2 day(s) without a 4+")));
    // A day before any 3-service rate: no low figure to give, so the allowed amount is asked.
    let reply = estimate(&app, ask(json!(["2026-12-01", "2026-12-02"])), 422).await;
    assert_eq!(reply.error_fields(), ["allowed_per_day"]);
    let detail = reply.body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(detail.contains("2026-12-01"), "{:#}", reply.body);
}
