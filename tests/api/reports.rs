//! The remittance reports: underpayments (paid below the fee schedule's allowed amount, exact to
//! the cent, a reversal cancelling its payment) and denials (by CARC, with words, next step and
//! remark codes; CO-45 never a denial), billing staff only, each client shown audited. The
//! 835s come from the mock payer, as in `remittances.rs`.

use serde_json::Value;
use uuid::Uuid;

use crate::remittances::{billed, claim, post_835, remittance_of, Billed};

const MARCH: &str = "from=2026-03-01&to=2026-03-31";

async fn report(b: &Billed, name: &str, query: &str) -> Value {
    b.app
        .get(&format!("/api/v1/reports/{name}?{query}"))
        .token(&b.app.billing)
        .expect(200)
        .await
        .body
}

async fn line_count(b: &Billed, id: &str) -> usize {
    claim(&b.app, id).await["lines"].as_array().unwrap().len()
}

/// Posts the mock payer's 835 for `ids` under `scenario`.
async fn remit(b: &Billed, ids: &[&str], scenario: &str, trace: &str) {
    let file = remittance_of(b, ids, scenario, trace).await;
    let posted = post_835(&b.app, &file, 201).await;
    assert_eq!(posted["remittances"][0]["status"], "posted", "{posted}");
}

fn cents(amount: &Value) -> i64 {
    let (whole, frac) = amount.as_str().unwrap().split_once('.').unwrap();
    whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

fn items<'a>(report: &'a Value, key: &str) -> &'a Vec<Value> {
    report[key].as_array().unwrap()
}

#[tokio::test]
async fn a_line_paid_below_contract_shows_its_exact_shortfall_and_one_paid_in_full_does_not() {
    let b = billed().await;
    let [half, full] = [&b.claims[0], &b.claims[1]].map(String::as_str);
    remit(&b, &[half], "partial", "EFT0101").await;
    remit(&b, &[full], "paid_in_full", "EFT0102").await;
    let (half_lines, full_lines) = (line_count(&b, half).await, line_count(&b, full).await);

    let shown = report(&b, "underpayments", MARCH).await;
    let lines = items(&shown, "lines");
    assert_eq!(lines.len(), half_lines, "{shown}");
    let number = claim(&b.app, half).await["claim_number"].clone();
    for line in lines {
        // Half of 333.33 (166.67, AMT*B6) against the contract's 250.10.
        assert_eq!(line["claim_id"], half);
        assert_eq!(line["claim_number"], number);
        assert_eq!(line["client_id"], b.scene.client.as_str());
        assert_eq!(line["payer_id"], b.scene.payer.as_str());
        assert_eq!(line["contract_allowed"], "250.10");
        assert_eq!(line["payer_allowed"], "166.67");
        assert_eq!(line["paid"], "166.67");
        assert_eq!(line["shortfall"], "83.43");
        assert_eq!(line["trace_number"], "EFT0101");
        assert!(line["service_date"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-"));
    }
    let n = i64::try_from(half_lines).unwrap();
    assert_eq!(cents(&shown["total_shortfall"]), 8_343 * n);
    let payers = items(&shown, "payers");
    assert_eq!(payers.len(), 1);
    assert_eq!(payers[0]["payer_id"], b.scene.payer.as_str());
    assert_eq!(payers[0]["lines"], n);
    assert_eq!(cents(&payers[0]["shortfall"]), 8_343 * n);
    assert_eq!(
        shown["lines_compared"],
        i64::try_from(half_lines + full_lines).unwrap(),
        "the line paid in full was compared and is not short"
    );
    assert_eq!(shown["not_comparable"], 0);

    // The same by payer; nothing for other dates; the period is said back.
    let by_payer = report(
        &b,
        "underpayments",
        &format!("{MARCH}&payer_id={}", b.scene.payer),
    )
    .await;
    assert_eq!(by_payer["total_shortfall"], shown["total_shortfall"]);
    assert_eq!(by_payer["payer_id"], b.scene.payer.as_str());
    let april = report(&b, "underpayments", "from=2026-04-01&to=2026-04-30").await;
    assert_eq!(april["lines"], serde_json::json!([]));
    assert_eq!(april["total_shortfall"], "0.00");
    assert_eq!(april["from"], "2026-04-01");

    // A payer that is not one, dates out of order, a date that is not one.
    let nobody = Uuid::new_v4();
    for (query, status) in [
        (format!("payer_id={nobody}"), 422),
        ("from=2026-04-01&to=2026-03-01".to_string(), 422),
        ("from=March".to_string(), 400),
    ] {
        b.app
            .get(&format!("/api/v1/reports/underpayments?{query}"))
            .token(&b.app.billing)
            .expect(status)
            .await;
    }
}

#[tokio::test]
async fn a_reversal_removes_the_underpayment() {
    let b = billed().await;
    let half = b.claims[0].as_str();
    remit(&b, &[half], "partial", "EFT0201").await;
    assert!(!items(&report(&b, "underpayments", MARCH).await, "lines").is_empty());

    remit(&b, &[half], "partial_reversal", "EFT0202").await;
    let shown = report(&b, "underpayments", MARCH).await;
    assert_eq!(shown["lines"], serde_json::json!([]), "{shown}");
    assert_eq!(shown["total_shortfall"], "0.00");
    assert_eq!(shown["lines_compared"], 0, "a reversed line was not paid");
    assert_eq!(shown["payers"], serde_json::json!([]));
}

#[tokio::test]
async fn denied_lines_are_grouped_under_carc_197_with_words_next_step_and_m62_never_co_45() {
    let b = billed().await;
    let [one_denied, all_denied, half] =
        [&b.claims[0], &b.claims[1], &b.claims[2]].map(String::as_str);
    remit(&b, &[one_denied], "one_line_denied_missing_auth", "EFT0301").await;
    remit(&b, &[all_denied], "denied", "EFT0302").await;
    remit(&b, &[half], "partial", "EFT0303").await;
    let denied_lines = 1 + line_count(&b, all_denied).await;

    let shown = report(&b, "denials", MARCH).await;
    let reasons = items(&shown, "reasons");
    assert_eq!(reasons.len(), 1, "CO-45 is not a denial: {shown}");
    let reason = &reasons[0];
    assert_eq!(reason["group_code"], "CO");
    assert_eq!(reason["reason_code"], "197");
    assert_eq!(
        reason["description"],
        "Precertification, authorization, notification or pre-treatment was absent."
    );
    assert!(
        reason["next_step"]
            .as_str()
            .unwrap()
            .starts_with("Appeal with the authorization"),
        "{reason}"
    );
    assert_eq!(
        reason["remarks"],
        serde_json::json!([{"code": "M62",
            "description": "Missing, incomplete or invalid treatment authorization code."}])
    );
    assert_eq!(reason["line_count"], i64::try_from(denied_lines).unwrap());
    let n = i64::try_from(denied_lines).unwrap();
    assert_eq!(cents(&reason["amount"]), 33_333 * n);
    assert_eq!(cents(&shown["total"]), 33_333 * n);
    let lines = items(reason, "lines");
    let first = lines
        .iter()
        .find(|l| l["claim_id"] == one_denied)
        .expect("the one denied line of the first claim");
    assert_eq!(first["line_number"], 1);
    assert_eq!(first["amount"], "333.33");
    assert_eq!(first["trace_number"], "EFT0301");
    assert_eq!(first["client_id"], b.scene.client.as_str());
    assert_eq!(first["fully_denied"], true);
    assert_eq!(
        lines.iter().filter(|l| l["claim_id"] == all_denied).count(),
        denied_lines - 1
    );
    assert!(lines.iter().all(|l| l["claim_id"] != half));

    // Denied lines are not underpayments; the half-paid ones are, and the lines paid in full
    // at 333.33 are above the contract.
    let under = report(&b, "underpayments", MARCH).await;
    assert!(items(&under, "lines").iter().all(|l| l["claim_id"] == half));
    assert_eq!(items(&under, "lines").len(), line_count(&b, half).await);
}

#[tokio::test]
async fn reports_are_for_billing_staff_and_each_client_shown_is_audited() {
    let b = billed().await;
    remit(
        &b,
        &[&b.claims[0]],
        "one_line_denied_missing_auth",
        "EFT0401",
    )
    .await;
    for name in ["underpayments", "denials"] {
        b.app
            .get(&format!("/api/v1/reports/{name}?{MARCH}"))
            .token(&b.app.admissions)
            .expect(403)
            .await;
    }
    let audit = || async {
        b.app
            .get(&format!(
                "/api/v1/audit?entity_id={}&limit=200",
                b.scene.client
            ))
            .token(&b.app.admin)
            .expect(200)
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "read" && e["entity_type"] == "claims")
            .count()
    };
    let before = audit().await;
    let shown = report(&b, "denials", MARCH).await;
    assert_eq!(items(&shown, "reasons").len(), 1);
    assert_eq!(audit().await, before + 1, "one read of the client's claims");
    // A report that shows nobody audits nobody.
    report(&b, "underpayments", MARCH).await;
    assert_eq!(audit().await, before + 1);
}
