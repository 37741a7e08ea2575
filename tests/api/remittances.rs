//! Remittances (835) posted to the claims perdiem sent: payment in full, contractual and patient
//! responsibility balanced to the cent, partial and denied payments, a reversal, a forwarded
//! claim, a provider adjustment, an unbalanced file kept and not posted (then its corrected
//! copy posted), the same file twice, an unknown claim, a payee that is not the clinic, and the
//! client's balance. The 835s come from the mock payer, which writes them from the claims as
//! perdiem's API shows them.

use perdiem::mock_payer::{self, MockPayer, Scenarios};
use serde_json::{json, Value};

use crate::claims::{billed_march, move_to, set_up_clinic, Scene};
use crate::helpers::TestApp;

/// The clinic's NPI (`set_up_clinic`).
const CLINIC_NPI: &str = "1234567893";

pub(crate) struct Billed {
    pub(crate) app: TestApp,
    pub(crate) scene: Scene,
    pub(crate) mock: MockPayer,
    /// March's three claims, submitted to the payer.
    pub(crate) claims: Vec<String>,
}

pub(crate) async fn billed() -> Billed {
    let (app, scene, claims) = billed_march().await;
    set_up_clinic(&app).await;
    for id in &claims {
        move_to(&app, id, "ready", 200).await;
        move_to(&app, id, "submitted", 200).await;
    }
    let mock = mock_payer::start(Scenarios::bundled().unwrap(), "127.0.0.1", 0)
        .await
        .unwrap();
    Billed {
        app,
        scene,
        mock,
        claims,
    }
}

pub(crate) async fn claim(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/claims/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body
}

/// The 835 the mock payer writes for `ids` under `scenario`.
pub(crate) async fn remittance_of(b: &Billed, ids: &[&str], scenario: &str, trace: &str) -> String {
    let mut claims = Vec::new();
    for id in ids {
        claims.push(claim(&b.app, id).await);
    }
    let response = reqwest::Client::new()
        .post(format!(
            "{}?scenario={scenario}&payee_npi={CLINIC_NPI}&payee_name=SUNRISE%20BEHAVIORAL&trace={trace}",
            b.mock.url("/remittances/835")
        ))
        .json(&claims)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    crate::claims::oracle_accepts(&format!("{scenario}.835"), &text);
    text
}

pub(crate) async fn post_835(app: &TestApp, content: &str, expect: u16) -> Value {
    app.post("/api/v1/remittances")
        .token(&app.billing)
        .raw(content.as_bytes(), Some("application/edi-x12"))
        .expect(expect)
        .await
        .body
}

fn status_of(claim: &Value) -> &str {
    claim["status"].as_str().unwrap()
}

#[tokio::test]
async fn a_payment_in_full_posts_once_and_the_same_file_again_posts_nothing() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    let file = remittance_of(&b, &[first], "paid_in_full", "EFT0001").await;
    let posted = post_835(&b.app, &file, 201).await;
    let set = &posted["remittances"][0];
    assert_eq!(set["status"], "posted", "{posted}");
    assert_eq!(set["claims_posted"], 1);
    assert_eq!(set["unmatched_claims"], json!([]));
    assert_eq!(set["unmatched_lines"], json!([]));

    let shown = claim(&b.app, first).await;
    assert_eq!(status_of(&shown), "paid");
    let charge = shown["total_charge"].as_str().unwrap().to_string();
    assert_eq!(shown["payments"]["paid"], charge.as_str());
    assert_eq!(shown["payments"]["payer_balance"], "0.00");
    assert_eq!(
        shown["payer_claim_number"],
        format!("MOCK-{}", shown["claim_number"].as_str().unwrap())
    );
    let history = shown["history"].as_array().unwrap();
    assert!(history
        .iter()
        .any(|e| e["to_status"] == "paid" && e["note"].as_str().unwrap().contains("EFT0001")));

    // The same file again: kept as a duplicate naming the first posting; nothing moves.
    let again = post_835(&b.app, &file, 200).await;
    assert_eq!(again["remittances"][0]["status"], "duplicate");
    assert_eq!(again["remittances"][0]["duplicate_of"], set["id"]);
    let shown = claim(&b.app, first).await;
    assert_eq!(shown["payments"]["paid"], charge.as_str(), "not paid twice");
    assert_eq!(
        shown["payments"]["remittances"].as_array().unwrap().len(),
        1
    );

    // The remittance reads back with its claim and lines matched to ours.
    let id = set["id"].as_str().unwrap();
    let detail = b
        .app
        .get(&format!("/api/v1/remittances/{id}"))
        .token(&b.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(detail["trace_number"], "EFT0001");
    assert_eq!(detail["claims"][0]["claim_id"], first);
    let lines = detail["claims"][0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), shown["lines"].as_array().unwrap().len());
    assert!(lines
        .iter()
        .all(|l| l["claim_id"] == first && l["line_number"].is_number()));
    let list = b
        .app
        .get("/api/v1/remittances")
        .token(&b.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(list["total"], 2);
}

#[tokio::test]
async fn contractual_deductible_and_coinsurance_balance_to_the_cent_and_reach_the_client_balance() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    let file = remittance_of(
        &b,
        &[first],
        "contractual_deductible_coinsurance",
        "EFT0002",
    )
    .await;
    post_835(&b.app, &file, 201).await;
    let shown = claim(&b.app, first).await;
    // 333.33 a day: allowed 80 % = 266.66 (to the cent, half up); CO-45 66.67 a day. The first
    // day's PR-1 deductible is 100.00, its PR-2 coinsurance 20 % of 166.66 = 33.33; the other
    // days' PR-2 is 20 % of 266.66 = 53.33.
    let days = shown["lines"].as_array().unwrap().len() as i64;
    let cents = |s: &Value| -> i64 {
        let text = s.as_str().unwrap();
        let (whole, frac) = text.split_once('.').unwrap();
        whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
    };
    let payments = &shown["payments"];
    assert_eq!(cents(&payments["adjustments"]["CO"]), 6_667 * days);
    assert_eq!(cents(&payments["patient_responsibility"]["1"]), 10_000);
    assert_eq!(
        cents(&payments["patient_responsibility"]["2"]),
        3_333 + 5_333 * (days - 1)
    );
    let paid = cents(&payments["paid"]);
    assert_eq!(paid, 26_666 * days - 10_000 - 3_333 - 5_333 * (days - 1));
    assert_eq!(
        payments["payer_balance"], "0.00",
        "charge = paid + every adjustment"
    );
    // Allowed 266.66 a day is above the contract's 250.10: paid as agreed.
    assert_eq!(status_of(&shown), "paid");

    let balance = b
        .app
        .get(&format!("/api/v1/clients/{}/balance", b.scene.client))
        .token(&b.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(balance["patient_responsibility"][0]["reason"], "deductible");
    assert_eq!(balance["patient_responsibility"][0]["amount"], "100.00");
    assert_eq!(
        balance["patient_responsibility"][1]["reason"],
        "coinsurance"
    );
    assert_eq!(
        cents(&balance["total"]),
        10_000 + 3_333 + 5_333 * (days - 1)
    );
}

#[tokio::test]
async fn partial_denied_and_forwarded_claims_move_to_their_statuses() {
    let b = billed().await;
    let [one, two, three] = [&b.claims[0], &b.claims[1], &b.claims[2]].map(String::as_str);
    let file = remittance_of(&b, &[one], "one_line_denied_missing_auth", "EFT0003").await;
    post_835(&b.app, &file, 201).await;
    let shown = claim(&b.app, one).await;
    assert_eq!(status_of(&shown), "partially_paid");

    let file = remittance_of(&b, &[two], "denied", "EFT0004").await;
    post_835(&b.app, &file, 201).await;
    let shown = claim(&b.app, two).await;
    assert_eq!(status_of(&shown), "denied");
    assert_eq!(shown["payments"]["paid"], "0.00");
    assert_eq!(
        shown["payments"]["adjustments"]["CO"],
        shown["total_charge"]
    );

    let file = remittance_of(&b, &[three], "forwarded", "EFT0005").await;
    let posted = post_835(&b.app, &file, 201).await;
    assert_eq!(status_of(&claim(&b.app, three).await), "forwarded");
    let id = posted["remittances"][0]["id"].as_str().unwrap();
    let detail = b
        .app
        .get(&format!("/api/v1/remittances/{id}"))
        .token(&b.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(detail["claims"][0]["crossover_name"], "MOCK SECONDARY PLAN");
    assert_eq!(detail["claims"][0]["status_code"], "19");
}

#[tokio::test]
async fn a_payment_below_contract_is_partial_and_a_reversal_undoes_a_posting() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    // Half of 333.33 a day is below the contract's 250.10.
    let file = remittance_of(&b, &[first], "partial", "EFT0006").await;
    post_835(&b.app, &file, 201).await;
    assert_eq!(status_of(&claim(&b.app, first).await), "partially_paid");

    let second = b.claims[1].as_str();
    let file = remittance_of(&b, &[second], "paid_in_full", "EFT0007").await;
    post_835(&b.app, &file, 201).await;
    let paid = claim(&b.app, second).await;
    assert_eq!(status_of(&paid), "paid");
    let file = remittance_of(&b, &[second], "reversal", "EFT0008").await;
    post_835(&b.app, &file, 201).await;
    let reversed = claim(&b.app, second).await;
    assert_eq!(status_of(&reversed), "accepted", "back to awaiting payment");
    assert_eq!(reversed["payments"]["paid"], "0.00");
    assert_eq!(
        reversed["payments"]["payer_balance"],
        reversed["total_charge"]
    );
}

#[tokio::test]
async fn a_provider_adjustment_lowers_the_payment_and_is_shown() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    let file = remittance_of(&b, &[first], "plb", "EFT0009").await;
    let posted = post_835(&b.app, &file, 201).await;
    let set = &posted["remittances"][0];
    assert_eq!(set["status"], "posted", "{posted}");
    let shown = claim(&b.app, first).await;
    let charge: rust_decimal::Decimal = shown["total_charge"].as_str().unwrap().parse().unwrap();
    let payment: rust_decimal::Decimal = set["payment"].as_str().unwrap().parse().unwrap();
    assert_eq!(charge - payment, rust_decimal::Decimal::new(2500, 2));
    let id = set["id"].as_str().unwrap();
    let detail = b
        .app
        .get(&format!("/api/v1/remittances/{id}"))
        .token(&b.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(detail["provider_adjustments"][0]["reason_code"], "WO");
    assert_eq!(detail["provider_adjustments"][0]["amount"], "25.00");
}

/// `file` with BPR02 changed to `amount`.
fn with_payment(file: &str, amount: &str) -> String {
    file.split('~')
        .map(|segment| {
            if let Some(rest) = segment.trim_start().strip_prefix("BPR*") {
                let mut fields: Vec<&str> = rest.split('*').collect();
                fields[1] = amount;
                format!("BPR*{}", fields.join("*"))
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("~")
}

#[tokio::test]
async fn an_unbalanced_file_is_kept_and_flagged_then_its_corrected_copy_posts() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    let file = remittance_of(&b, &[first], "paid_in_full", "EFT0010").await;
    let charge = claim(&b.app, first).await["total_charge"]
        .as_str()
        .unwrap()
        .to_string();
    let off = with_payment(&file, "1.00");
    let kept = post_835(&b.app, &off, 201).await;
    let set = &kept["remittances"][0];
    assert_eq!(set["status"], "unbalanced", "{kept}");
    let imbalance = &set["imbalances"][0];
    assert_eq!(imbalance["actual"], "1.00");
    assert_eq!(imbalance["expected"], charge.as_str());
    assert!(
        imbalance["place"].as_str().unwrap().contains("BPR"),
        "{imbalance}"
    );
    assert_eq!(
        status_of(&claim(&b.app, first).await),
        "submitted",
        "nothing posted"
    );

    let posted = post_835(&b.app, &file, 201).await;
    assert_eq!(posted["remittances"][0]["status"], "posted");
    assert_eq!(status_of(&claim(&b.app, first).await), "paid");
}

#[tokio::test]
async fn an_unknown_claim_is_listed_unmatched_and_another_payee_is_refused() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    let number = claim(&b.app, first).await["claim_number"]
        .as_str()
        .unwrap()
        .to_string();
    let file = remittance_of(&b, &[first], "paid_in_full", "EFT0011").await;
    let unknown = file.replace(&format!("CLP*{number}*"), "CLP*PD99999999*");
    let posted = post_835(&b.app, &unknown, 201).await;
    assert_eq!(
        posted["remittances"][0]["unmatched_claims"],
        json!(["PD99999999"])
    );
    assert_eq!(status_of(&claim(&b.app, first).await), "submitted");

    let other = file.replace(&format!("*XX*{CLINIC_NPI}"), "*XX*1245319599");
    let refused = post_835(&b.app, &other, 422).await;
    assert_eq!(refused["errors"][0]["field"], "N1*PE", "{refused}");

    let bad = post_835(&b.app, "ISA*00*garbage", 422).await;
    assert_eq!(bad["errors"][0]["field"], "body");
}

#[tokio::test]
async fn remittances_are_for_billing_staff_and_audited() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    let file = remittance_of(&b, &[first], "paid_in_full", "EFT0012").await;
    b.app
        .post("/api/v1/remittances")
        .token(&b.app.admissions)
        .raw(file.as_bytes(), Some("application/edi-x12"))
        .expect(403)
        .await;
    b.app
        .post("/api/v1/remittances")
        .token(&b.app.billing)
        .raw(file.as_bytes(), Some("application/json"))
        .expect(415)
        .await;
    let posted = post_835(&b.app, &file, 201).await;
    let id = posted["remittances"][0]["id"].as_str().unwrap();
    let audit = b
        .app
        .get(&format!("/api/v1/audit?entity_id={id}"))
        .token(&b.app.admin)
        .expect(200)
        .await
        .body;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "create" && e["entity_type"] == "remittance"),
        "{audit}"
    );
    let audit = b
        .app
        .get(&format!("/api/v1/audit?entity_id={}", b.scene.client))
        .token(&b.app.admin)
        .expect(200)
        .await
        .body;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "update" && e["entity_type"] == "claims"),
        "{audit}"
    );
}

#[tokio::test]
async fn the_same_payment_sent_twice_at_once_posts_once() {
    let b = billed().await;
    let first = b.claims[0].as_str();
    let file = remittance_of(&b, &[first], "paid_in_full", "EFT0013").await;
    let send = || async {
        b.app
            .post("/api/v1/remittances")
            .token(&b.app.billing)
            .raw(file.as_bytes(), Some("application/edi-x12"))
            .send()
            .await
    };
    let (one, two) = tokio::join!(send(), send());
    let mut statuses: Vec<String> = [&one, &two]
        .iter()
        .map(|r| {
            r.body["remittances"][0]["status"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    statuses.sort();
    assert_eq!(statuses, ["duplicate", "posted"]);
    let shown = claim(&b.app, first).await;
    assert_eq!(
        shown["payments"]["paid"], shown["total_charge"],
        "paid once"
    );
}
