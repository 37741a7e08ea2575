//! Issue 17, interim bills: a per-service (Medicare-style) payer's long PHP stay billed month
//! by month goes out in sequence — frequency 2, 3, 4 (CLM05-3 and the type of bill's last
//! digit), patient status 30 while still a patient, the next interim held until the previous
//! one is sent, a replacement 7 for the same period — while a per-day payer's claims stay
//! originals (frequency 1).

use serde_json::{json, Value};

use crate::claims::{move_to, oracle_accepts, set_up_clinic};
use crate::helpers::{id_of, listed_ids, spawn_app, TestApp};
use crate::per_service::{attendance, generate, march_catalog, medicare_php};

/// Two PHP days of three catalog services each in the month of `days`.
fn php_days(client: &str, days: [&str; 2]) -> Vec<Value> {
    days.iter()
        .map(|date| {
            json!({"client_id": client, "service_date": date, "level_of_care": "PHP",
                   "minutes": 330,
                   "services": [{"code": "G0410"}, {"code": "90837"}, {"code": "90847"}]})
        })
        .collect()
}

fn month_of(client: &str, from: &str, through: &str) -> Value {
    json!({"from_date": from, "through_date": through, "period": "month",
           "client_id": client})
}

async fn x12_of(app: &TestApp, claim: &Value) -> String {
    app.get(&format!("/api/v1/claims/{}/x12", id_of(claim)))
        .token(&app.billing)
        .expect(200)
        .await
        .body
        .as_str()
        .unwrap()
        .to_string()
}

/// Checks the claim's frequency, type of bill and patient status, and that its 837I says the
/// same (CLM05 `13:A:{digit}`, CL103) and passes the validator.
async fn check(app: &TestApp, claim: &Value, digit: &str, status: &str, name: &str) {
    assert_eq!(claim["frequency"], digit, "{claim}");
    assert_eq!(claim["type_of_bill"], format!("013{digit}"), "{claim}");
    assert_eq!(claim["discharge_status"], status, "{claim}");
    let x12 = x12_of(app, claim).await;
    oracle_accepts(name, &x12);
    let segments: Vec<&str> = x12.split('~').map(str::trim).collect();
    let clm = segments.iter().find(|s| s.starts_with("CLM*")).unwrap();
    assert!(clm.contains(&format!("*13:A:{digit}*")), "{clm}");
    assert!(
        segments.contains(&format!("CL1***{status}").as_str()),
        "{x12}"
    );
    assert_eq!(
        segments.iter().any(|s| s.starts_with("REF*F8*")),
        digit == "7",
        "REF*F8 only on a replacement: {x12}"
    );
}

async fn send(app: &TestApp, claim: &Value) {
    for status in ["ready", "submitted"] {
        move_to(app, &id_of(claim), status, 200).await;
    }
}

#[tokio::test]
async fn a_long_php_stay_is_billed_in_interim_bills_in_sequence_and_replaced_as_7() {
    let app = spawn_app().await;
    set_up_clinic(&app).await;
    march_catalog(&app).await;
    // Admitted 1 March; discharged home in May.
    let (_, client) = medicare_php(&app, "bill", "MRN-INT1").await;
    let mut rows = php_days(&client, ["2026-03-02", "2026-03-03"]);
    rows.extend(php_days(&client, ["2026-04-06", "2026-04-08"]));
    rows.extend(php_days(&client, ["2026-05-04", "2026-05-05"]));
    assert_eq!(attendance(&app, "", rows, 200).await["created"], 6);

    // March: the first interim, still a patient.
    let march = generate(&app, month_of(&client, "2026-03-01", "2026-03-31"), 201).await;
    assert_eq!(march["summary"]["claims"], 1, "{march}");
    let first = march["claims"][0].clone();
    assert_eq!(
        (&first["statement_from"], &first["statement_through"]),
        (&json!("2026-03-02"), &json!("2026-03-03"))
    );
    check(&app, &first, "2", "30", "interim-first.837").await;

    // April waits for March to be sent: its days are left out naming the March claim.
    let april = month_of(&client, "2026-04-01", "2026-04-30");
    let held = generate(&app, april.clone(), 200).await;
    assert_eq!(held["summary"]["claims"], 0, "{held}");
    let left = held["left_out"].as_array().unwrap();
    assert_eq!(left.len(), 2, "{held}");
    for day in left {
        assert_eq!(
            day["reasons"][0]["code"], "held_until_previous_sent",
            "{day}"
        );
        assert_eq!(day["reasons"][0]["claim_id"], first["id"]);
    }
    // Ready is not sent yet.
    move_to(&app, &id_of(&first), "ready", 200).await;
    let still = generate(&app, april.clone(), 200).await;
    assert_eq!(still["summary"]["claims"], 0, "{still}");
    move_to(&app, &id_of(&first), "submitted", 200).await;
    let april = generate(&app, april, 201).await;
    let second = april["claims"][0].clone();
    check(&app, &second, "3", "30", "interim-continuing.837").await;

    // A day entered late inside April's billed period cannot go on a claim of its own: its
    // period would share a day with April's.
    let late = php_days(&client, ["2026-04-07", "2026-04-07"]);
    attendance(&app, "", late[..1].to_vec(), 200).await;
    let overlap = generate(&app, month_of(&client, "2026-04-01", "2026-04-30"), 200).await;
    assert_eq!(overlap["summary"]["claims"], 0, "{overlap}");
    let left = overlap["left_out"].as_array().unwrap();
    let late_day = left.iter().find(|d| d["date"] == "2026-04-07").unwrap();
    assert_eq!(
        late_day["reasons"][0]["code"], "overlaps_billed_period",
        "{overlap}"
    );
    assert_eq!(late_day["reasons"][0]["claim_id"], second["id"]);

    // Discharged home on 5 May: the last interim, with the discharge status.
    let episode = listed_ids(
        &app,
        &format!("/api/v1/clients/{client}/episodes"),
        &app.billing,
    )
    .await
    .remove(0);
    app.patch(&format!("/api/v1/clients/{client}/episodes/{episode}"))
        .token(&app.billing)
        .json(json!({"discharge_date": "2026-05-05", "discharge_status": "01"}))
        .expect(200)
        .await;
    send(&app, &second).await;
    let may = generate(&app, month_of(&client, "2026-05-01", "2026-05-31"), 201).await;
    let last = may["claims"][0].clone();
    check(&app, &last, "4", "01", "interim-last.837").await;
    // Nothing comes after the last one.
    let after = generate(&app, month_of(&client, "2026-03-01", "2026-05-31"), 200).await;
    assert_eq!(after["summary"]["claims"], 0, "{after}");

    // The April interim replaced: frequency 7 for the same period, still a patient then.
    let replaced = app
        .post(&format!("/api/v1/claims/{}/replace", id_of(&second)))
        .token(&app.billing)
        .expect(201)
        .await
        .body;
    let successor = &replaced["successor"];
    assert_eq!(
        (
            &successor["statement_from"],
            &successor["statement_through"]
        ),
        (&second["statement_from"], &second["statement_through"])
    );
    assert_eq!(successor["original_claim_id"], second["id"]);
    check(&app, successor, "7", "30", "interim-replacement.837").await;
    // The stored claims say the same.
    let stored = app
        .get(&format!("/api/v1/claims/{}", id_of(&last)))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(
        (&stored["frequency"], &stored["type_of_bill"]),
        (&json!("4"), &json!("0134"))
    );
}

#[tokio::test]
async fn a_per_day_payers_claims_stay_originals_and_are_not_held() {
    let app = spawn_app().await;
    set_up_clinic(&app).await;
    let scene = crate::claims::scene(&app).await;
    let rows: Vec<Value> = ["2026-03-03", "2026-03-10"]
        .iter()
        .map(|date| {
            json!({"client_id": scene.client, "service_date": date, "level_of_care": "IOP",
                   "minutes": 180})
        })
        .collect();
    assert_eq!(attendance(&app, "", rows, 200).await["created"], 2);
    let body = json!({"from_date": "2026-03-01", "through_date": "2026-03-31",
                      "period": "week", "client_id": scene.client});
    // Two weeks of an ongoing stay, neither sent: two originals, still a patient.
    let generated = generate(&app, body, 201).await;
    let claims = generated["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 2, "{generated}");
    for claim in claims {
        check(&app, claim, "1", "30", "per-day-unchanged.837").await;
    }
}

async fn unbilled(app: &TestApp, through: &str) -> Value {
    app.get(&format!("/api/v1/reports/unbilled?through={through}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body
}

/// The unbilled report applies the interim rule as generation does: April's days, which a
/// generation holds while March's claim is unsent, are shown held (naming that claim), not
/// billable; once March is sent they are billable again, one date per day.
#[tokio::test]
async fn the_unbilled_report_shows_held_interim_days_as_held() {
    let app = spawn_app().await;
    set_up_clinic(&app).await;
    march_catalog(&app).await;
    let (payer, client) = medicare_php(&app, "bill", "MRN-INT3").await;
    let mut rows = php_days(&client, ["2026-03-02", "2026-03-03"]);
    rows.extend(php_days(&client, ["2026-04-06", "2026-04-08"]));
    attendance(&app, "", rows, 200).await;
    let march = generate(&app, month_of(&client, "2026-03-01", "2026-03-31"), 201).await;
    let first = march["claims"][0].clone();

    let report = unbilled(&app, "2026-04-30").await;
    // G0410 225.00 (from 16 March) + 90837 300.00 + 90847 275.50 a day.
    assert_eq!(
        report["totals"],
        json!({"unbilled_days": 0, "unbilled_charge": "0.00", "not_billable_days": 0,
               "held_days": 2, "held_charge": "1601.00"}),
        "{report}"
    );
    let row = &report["clients"][0]["payers"][0];
    assert_eq!(row["payer_id"], payer.as_str());
    assert_eq!(row["unbilled_dates"], json!([]));
    assert_eq!(row["held_charge"], "1601.00");
    let held: Vec<(&str, &str, &str)> = row["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap(),
                d["reasons"][0]["code"].as_str().unwrap(),
                d["reasons"][0]["claim_id"].as_str().unwrap(),
            )
        })
        .collect();
    let first_id = id_of(&first);
    assert_eq!(
        held,
        [
            ("2026-04-06", "held_until_previous_sent", first_id.as_str()),
            ("2026-04-08", "held_until_previous_sent", first_id.as_str()),
        ]
    );
    // As generation says.
    let generated = generate(&app, month_of(&client, "2026-04-01", "2026-04-30"), 200).await;
    assert_eq!(generated["summary"]["claims"], 0, "{generated}");

    send(&app, &first).await;
    let report = unbilled(&app, "2026-04-30").await;
    assert_eq!(
        report["totals"],
        json!({"unbilled_days": 2, "unbilled_charge": "1601.00", "not_billable_days": 0,
               "held_days": 0, "held_charge": "0.00"}),
        "{report}"
    );
    assert_eq!(
        report["clients"][0]["payers"][0]["unbilled_dates"],
        json!(["2026-04-06", "2026-04-08"])
    );
}

/// A day recorded late inside a billed interim period (issue 17 review): the unbilled report
/// and a generation over one range leave that day out on its own with
/// `overlaps_billed_period`, naming the claim to replace, and bill (or hold) the stay's other
/// days as before instead of refusing them all; the replacement then bills the late day.
#[tokio::test]
async fn a_late_day_inside_a_billed_interim_is_left_out_alone_and_goes_on_its_replacement() {
    let app = spawn_app().await;
    set_up_clinic(&app).await;
    march_catalog(&app).await;
    let (_, client) = medicare_php(&app, "bill", "MRN-INT4").await;
    // March's interim bills 2 to 17 March (its first and last day).
    attendance(
        &app,
        "",
        php_days(&client, ["2026-03-02", "2026-03-17"]),
        200,
    )
    .await;
    let march = generate(&app, month_of(&client, "2026-03-01", "2026-03-31"), 201).await;
    let first = march["claims"][0].clone();
    let first_id = id_of(&first);

    // Recorded after March was billed: 10 March, and April's days.
    let mut rows = php_days(&client, ["2026-03-10", "2026-03-10"]);
    rows.truncate(1);
    rows.extend(php_days(&client, ["2026-04-06", "2026-04-08"]));
    assert_eq!(attendance(&app, "", rows, 200).await["created"], 3);

    let late_of = |row: &Value| -> Vec<(String, String, String)> {
        row["not_billable"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let reason = &d["reasons"][0];
                assert!(
                    reason["message"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("replacement of claim {first_id}")),
                    "{d}"
                );
                (
                    d["date"].as_str().unwrap().to_string(),
                    reason["code"].as_str().unwrap().to_string(),
                    reason["claim_id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let late = vec![(
        "2026-03-10".to_string(),
        "overlaps_billed_period".to_string(),
        first_id.clone(),
    )];

    // March unsent: the late day is not billable on its own, April is held behind March.
    let report = unbilled(&app, "2026-04-30").await;
    assert_eq!(
        report["totals"],
        json!({"unbilled_days": 0, "unbilled_charge": "0.00", "not_billable_days": 1,
               "held_days": 2, "held_charge": "1601.00"}),
        "{report}"
    );
    let row = &report["clients"][0]["payers"][0];
    assert_eq!(late_of(row), late);
    assert_eq!(
        row["held"][0]["reasons"][0]["code"],
        "held_until_previous_sent"
    );

    // March sent: April is billable, the late day still is not.
    send(&app, &first).await;
    let report = unbilled(&app, "2026-04-30").await;
    // G0410 225.00 (from 16 March) + 90837 300.00 + 90847 275.50 an April day.
    assert_eq!(
        report["totals"],
        json!({"unbilled_days": 2, "unbilled_charge": "1601.00", "not_billable_days": 1,
               "held_days": 0, "held_charge": "0.00"}),
        "{report}"
    );
    let row = &report["clients"][0]["payers"][0];
    assert_eq!(row["unbilled_dates"], json!(["2026-04-06", "2026-04-08"]));
    assert_eq!(late_of(row), late);

    // A generation of March and April as one range says the same: April goes out as the
    // continuing interim, its statement period April's days only.
    let range = json!({"from_date": "2026-03-01", "through_date": "2026-04-30",
                       "period": "range", "client_id": client});
    let generated = generate(&app, range.clone(), 201).await;
    assert_eq!(generated["summary"]["claims"], 1, "{generated}");
    let april = generated["claims"][0].clone();
    assert_eq!(
        (&april["statement_from"], &april["statement_through"]),
        (&json!("2026-04-06"), &json!("2026-04-08"))
    );
    assert_eq!(april["total_charge"], "1601.00");
    check(&app, &april, "3", "30", "interim-after-late-day.837").await;
    // March's own days are left out as already billed; the late one alone as overlapping.
    let left: Vec<&Value> = generated["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["reasons"][0]["code"] != "already_billed")
        .collect();
    assert_eq!(left.len(), 1, "{generated}");
    assert_eq!(left[0]["date"], "2026-03-10");
    assert_eq!(left[0]["reasons"][0]["code"], "overlaps_billed_period");
    assert_eq!(left[0]["reasons"][0]["claim_id"], first["id"]);

    // The replacement of March bills the late day with the claim's own days, for March's
    // period: 785.50 on 2 and 10 March (G0410 at 210.00), 800.50 on 17 March.
    let replaced = app
        .post(&format!("/api/v1/claims/{first_id}/replace"))
        .token(&app.billing)
        .expect(201)
        .await
        .body;
    let successor = &replaced["successor"];
    check(
        &app,
        successor,
        "7",
        "30",
        "interim-replacement-late-day.837",
    )
    .await;
    let stored = app
        .get(&format!("/api/v1/claims/{}", id_of(successor)))
        .token(&app.billing)
        .expect(200)
        .await
        .body;
    let mut dates: Vec<&str> = stored["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["service_date"].as_str().unwrap())
        .collect();
    dates.dedup();
    assert_eq!(
        dates,
        ["2026-03-02", "2026-03-10", "2026-03-17"],
        "{stored}"
    );
    assert_eq!(stored["total_charge"], "2371.50");
    assert_eq!(
        (&stored["statement_from"], &stored["statement_through"]),
        (&first["statement_from"], &first["statement_through"])
    );
    // Nothing is left to bill through April.
    let report = unbilled(&app, "2026-04-30").await;
    assert_eq!(report["totals"]["unbilled_days"], 0, "{report}");
    assert_eq!(report["totals"]["not_billable_days"], 0, "{report}");
}
