//! Acknowledgments of the 837 files perdiem sends, written here from the file itself (its ISA13,
//! GS06, ST02 and CLM01s): a TA1 rejecting the interchange, 999s accepting, accepting with
//! errors and rejecting the set, 277CAs receiving, accepting and rejecting claims (one at the
//! billing provider's level), what names nothing of ours, roles and the audit.

use serde_json::Value;

use crate::claims::{billed_march, move_to, oracle_accepts, segments, set_up_clinic};
use crate::helpers::TestApp;
use perdiem::store::Db;

/// March's three claims, submitted in one 837I file.
struct Sent {
    app: TestApp,
    client: String,
    claims: Vec<String>,
    /// CLM01 of each claim, in file order.
    numbers: Vec<String>,
    /// CLM02 of each claim.
    charges: Vec<String>,
    isa13: String,
    /// ISA09 and ISA10 of the file (TA102, TA103).
    date: String,
    time: String,
    gs06: String,
    st02: String,
}

fn element(segment: &str, n: usize) -> &str {
    segment.split('*').nth(n).unwrap()
}

async fn sent() -> Sent {
    let (app, scene, claims) = billed_march().await;
    set_up_clinic(&app).await;
    for id in &claims {
        move_to(&app, id, "ready", 200).await;
        move_to(&app, id, "submitted", 200).await;
    }
    let file = app
        .post("/api/v1/claims/x12")
        .token(&app.billing)
        .json(serde_json::json!({ "claim_ids": claims }))
        .expect(200)
        .await;
    let isa13 = file
        .header("x-interchange-control-number")
        .unwrap()
        .to_string();
    let text = file.body.as_str().unwrap().to_string();
    let segs = segments(&text);
    let isa = segs[0];
    assert_eq!(
        element(isa, 13).parse::<i64>().unwrap(),
        isa13.parse::<i64>().unwrap()
    );
    let gs = segs.iter().find(|s| s.starts_with("GS*")).unwrap();
    let st = segs.iter().find(|s| s.starts_with("ST*")).unwrap();
    let clms: Vec<&&str> = segs.iter().filter(|s| s.starts_with("CLM*")).collect();
    assert_eq!(clms.len(), 3, "one group, one set, three claims");
    Sent {
        client: scene.client,
        claims,
        numbers: clms.iter().map(|c| element(c, 1).to_string()).collect(),
        charges: clms.iter().map(|c| element(c, 2).to_string()).collect(),
        isa13: element(isa, 13).to_string(),
        date: element(isa, 9).to_string(),
        time: element(isa, 10).to_string(),
        gs06: element(gs, 6).to_string(),
        st02: element(st, 2).to_string(),
        app,
    }
}

/// An interchange from the payer to the clinic around `inner` (GS … GE, or a TA1).
fn interchange(control: u32, inner: &[String]) -> String {
    let groups = inner.iter().filter(|s| s.starts_with("GS*")).count();
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*PAYER01        *ZZ*SUNRISE01      *260401*1200*^*00501*{control:09}*0*P*:~\n"
    );
    for s in inner {
        out.push_str(s);
        out.push_str("~\n");
    }
    out.push_str(&format!("IEA*{groups}*{control:09}~\n"));
    out
}

/// A functional group holding one transaction set of `body` (between ST and SE).
fn group(
    functional_id: &str,
    control: u32,
    version: &str,
    set_id: &str,
    body: &[String],
) -> Vec<String> {
    let mut out = vec![
        format!("GS*{functional_id}*PAYER01*SUNRISE01*20260401*1200*{control}*X*{version}"),
        format!("ST*{set_id}*0001*{version}"),
    ];
    out.extend(body.iter().cloned());
    out.push(format!("SE*{}*0001", body.len() + 2));
    out.push(format!("GE*1*{control}"));
    out
}

/// A 999 for the file's group and set: IK5 `status` after `errors` (IK3/IK4 segments).
fn ack_999(s: &Sent, control: u32, errors: &[&str], status: &str) -> String {
    let accepted = if status == "R" { 0 } else { 1 };
    let ik5 = if errors.is_empty() {
        format!("IK5*{status}")
    } else {
        format!("IK5*{status}*5")
    };
    let mut body = vec![
        format!("AK1*HC*{}*005010X223A2", s.gs06),
        format!("AK2*837*{}*005010X223A2", s.st02),
    ];
    body.extend(errors.iter().map(|e| e.to_string()));
    body.push(ik5);
    body.push(format!("AK9*{status}*1*1*{accepted}"));
    let text = interchange(control, &group("FA", control, "005010X231A1", "999", &body));
    oracle_accepts(&format!("ack-{control}.999"), &text);
    text
}

/// A 277CA: the receiver received the batch (A1), the billing provider's `provider_status`,
/// then each claim (patient control number, charge, STC01, REF*1K).
fn ack_277(
    control: u32,
    provider_status: &str,
    claims: &[(&str, &str, &str, Option<&str>)],
) -> String {
    let total: rust_decimal::Decimal = claims
        .iter()
        .map(|(_, charge, ..)| charge.parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    let action = |status: &str| {
        if status.starts_with("A1") || status.starts_with("A2") {
            "WQ"
        } else {
            "U"
        }
    };
    let provider_action = action(provider_status);
    let mut body = vec![
        "BHT*0085*08*ACK0001*20260401*1200*TH".to_string(),
        "HL*1**20*1".into(),
        "NM1*PR*2*ACME HEALTH PLAN*****PI*12345".into(),
        "TRN*1*ACK0001".into(),
        "DTP*050*D8*20260401".into(),
        "DTP*009*D8*20260401".into(),
        "HL*2*1*21*1".into(),
        "NM1*41*2*SUNRISE BEHAVIORAL HEALTH LLC*****46*SUNRISE01".into(),
        "TRN*2*BATCH0001".into(),
        format!("STC*A1:19:PR*20260401*WQ*{total}"),
        "HL*3*2*19*1".into(),
        "NM1*85*2*SUNRISE BEHAVIORAL HEALTH LLC*****XX*1234567893".into(),
        "TRN*1*PROV0001".into(),
        // 2200C STC: no date (STC02 is not used at this level), the action and the total.
        format!("STC*{provider_status}**{provider_action}*{total}"),
    ];
    for (i, (number, charge, status, payer_number)) in claims.iter().enumerate() {
        let action = action(status);
        body.push(format!("HL*{}*3*PT", i + 4));
        body.push("NM1*QC*1*DOE*JANE****MI*XYZ123456789".into());
        body.push(format!("TRN*2*{number}"));
        body.push(format!("STC*{status}*20260401*{action}*{charge}"));
        if let Some(payer_number) = payer_number {
            body.push(format!("REF*1K*{payer_number}"));
        }
        body.push("DTP*472*RD8*20260302-20260306".into());
    }
    let text = interchange(control, &group("HN", control, "005010X214", "277", &body));
    oracle_accepts(&format!("ack-{control}.277"), &text);
    text
}

async fn post_ack(app: &TestApp, content: &str, expect: u16) -> Value {
    app.post("/api/v1/acknowledgments")
        .token(&app.billing)
        .raw(content.as_bytes(), Some("application/edi-x12"))
        .expect(expect)
        .await
        .body
}

async fn claim(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/claims/{id}"))
        .token(&app.billing)
        .expect(200)
        .await
        .body
}

async fn status_of(app: &TestApp, id: &str) -> String {
    claim(app, id).await["status"].as_str().unwrap().to_string()
}

/// The answer's entry for claim `id`.
fn entry<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["claim_id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {answer}"))
}

#[tokio::test]
async fn a_ta1_rejecting_the_interchange_rejects_every_claim_of_the_file() {
    let s = sent().await;
    let ta1 = interchange(
        900,
        &[format!("TA1*{}*{}*{}*R*006", s.isa13, s.date, s.time)],
    );
    oracle_accepts("reject.ta1", &ta1);
    let answer = post_ack(&s.app, &ta1, 201).await;
    assert_eq!(answer["kind"], "TA1");
    assert_eq!(answer["claims"].as_array().unwrap().len(), 3, "{answer}");
    assert_eq!(answer["unmatched"], serde_json::json!([]));
    for id in &s.claims {
        let c = entry(&answer, id);
        assert_eq!(c["status_before"], "submitted");
        assert_eq!(c["status_after"], "rejected");
        assert_eq!(c["outcome"], "rejected");
        assert!(
            c["detail"]
                .as_str()
                .unwrap()
                .contains("invalid interchange sender id"),
            "{c}"
        );
        assert_eq!(status_of(&s.app, id).await, "rejected");
    }
    let shown = claim(&s.app, &s.claims[0]).await;
    assert!(shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| { e["to_status"] == "rejected" && e["note"].as_str().unwrap().contains("TA1") }));
}

#[tokio::test]
async fn a_999_marks_its_set_received_or_rejected_naming_the_segment_in_words() {
    let s = sent().await;
    // Accepted with errors: received, the errors kept in words.
    let with_errors = ack_999(&s, 901, &["IK3*REF*12*2300*3"], "E");
    let answer = post_ack(&s.app, &with_errors, 201).await;
    assert_eq!(answer["kind"], "999");
    for id in &s.claims {
        let c = entry(&answer, id);
        assert_eq!(c["status_after"], "received", "{c}");
        assert_eq!(c["moved"], true);
        let detail = c["detail"].as_str().unwrap();
        assert!(detail.contains("accepted with errors"), "{detail}");
        assert!(
            detail.contains("segment REF at position 12 (loop 2300): required segment missing"),
            "{detail}"
        );
        assert_eq!(status_of(&s.app, id).await, "received");
    }

    // Accepted again: nothing moves, but it is recorded against each claim.
    let accepted = ack_999(&s, 902, &[], "A");
    let answer = post_ack(&s.app, &accepted, 201).await;
    assert_eq!(answer["claims"].as_array().unwrap().len(), 3);
    assert!(answer["claims"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["moved"] == false && c["outcome"] == "received"));

    // Rejected: every claim of the set, with the segment and element in words.
    let rejected = ack_999(&s, 903, &["IK3*NM1*17*2010*8", "IK4*9*67*1"], "R");
    let answer = post_ack(&s.app, &rejected, 201).await;
    for id in &s.claims {
        let c = entry(&answer, id);
        assert_eq!(c["status_before"], "received");
        assert_eq!(c["status_after"], "rejected");
        let detail = c["detail"].as_str().unwrap();
        assert!(
            detail.contains(
                "segment NM1 at position 17 (loop 2010), element NM109: required data element missing"
            ),
            "{detail}"
        );
        assert_eq!(status_of(&s.app, id).await, "rejected");
    }

    // The same 999 for a group we never sent: unmatched, kept.
    let elsewhere =
        ack_999(&s, 904, &[], "A").replace(&format!("AK1*HC*{}*", s.gs06), "AK1*HC*987654*");
    let answer = post_ack(&s.app, &elsewhere, 201).await;
    assert_eq!(answer["claims"], serde_json::json!([]));
    assert_eq!(answer["unmatched"].as_array().unwrap().len(), 1, "{answer}");
}

#[tokio::test]
async fn a_277ca_receives_accepts_and_rejects_claims_and_lists_what_is_not_ours() {
    let s = sent().await;
    let file = ack_277(
        905,
        "A1:19:85",
        &[
            (&s.numbers[0], &s.charges[0], "A1:19:PR", None),
            (&s.numbers[1], &s.charges[1], "A2:20", Some("PAYER-CLM-2")),
            (&s.numbers[2], &s.charges[2], "A3:21:QC", None),
            ("PDNOTOURS", "100", "A2:20", None),
        ],
    );
    let answer = post_ack(&s.app, &file, 201).await;
    assert_eq!(answer["kind"], "277CA");
    let (received, accepted, rejected) = (
        entry(&answer, &s.claims[0]),
        entry(&answer, &s.claims[1]),
        entry(&answer, &s.claims[2]),
    );
    assert_eq!(received["status_after"], "received");
    assert_eq!(accepted["status_after"], "accepted");
    assert_eq!(rejected["status_after"], "rejected");
    assert!(
        rejected["detail"].as_str().unwrap().contains(
            "A3 acknowledgement/returned as unprocessable claim: status missing or invalid information (21), entity patient (QC)"
        ),
        "{rejected}"
    );
    assert_eq!(status_of(&s.app, &s.claims[0]).await, "received");
    let shown = claim(&s.app, &s.claims[1]).await;
    assert_eq!(shown["status"], "accepted");
    assert_eq!(shown["payer_claim_number"], "PAYER-CLM-2");
    assert_eq!(status_of(&s.app, &s.claims[2]).await, "rejected");
    let unmatched = answer["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0]["patient_control_number"], "PDNOTOURS");
    assert_eq!(unmatched[0]["outcome"], "accepted");

    // It reads back as it answered.
    let id = answer["id"].as_str().unwrap();
    let again = s
        .app
        .get(&format!("/api/v1/acknowledgments/{id}"))
        .token(&s.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(again["claims"], answer["claims"]);
    assert_eq!(again["unmatched"], answer["unmatched"]);
    assert_eq!(again["summary"]["rejected"], 1);
}

#[tokio::test]
async fn a_billing_provider_rejected_rejects_every_claim_beneath_it() {
    let s = sent().await;
    let file = ack_277(
        906,
        "A3:562:85",
        &[
            (&s.numbers[0], &s.charges[0], "A2:20", None),
            (&s.numbers[1], &s.charges[1], "A1:19:PR", None),
        ],
    );
    let answer = post_ack(&s.app, &file, 201).await;
    for id in &s.claims[..2] {
        let c = entry(&answer, id);
        assert_eq!(c["status_after"], "rejected", "{c}");
        assert!(c["detail"].as_str().unwrap().contains(
            "billing provider: A3 acknowledgement/returned as unprocessable claim: status entity's national provider identifier (NPI) (562)"
        ));
        assert_eq!(status_of(&s.app, id).await, "rejected");
    }
    assert_eq!(status_of(&s.app, &s.claims[2]).await, "submitted");
}

#[tokio::test]
async fn acknowledgments_are_for_billing_staff_and_audited() {
    let s = sent().await;
    let ta1 = interchange(
        907,
        &[format!("TA1*{}*{}*{}*A*000", s.isa13, s.date, s.time)],
    );
    s.app
        .post("/api/v1/acknowledgments")
        .token(&s.app.admissions)
        .raw(ta1.as_bytes(), Some("application/edi-x12"))
        .expect(403)
        .await;
    s.app
        .get("/api/v1/acknowledgments")
        .token(&s.app.admissions)
        .expect(403)
        .await;
    let bad = post_ack(&s.app, "ISA*00*garbage", 422).await;
    assert_eq!(bad["errors"][0]["field"], "body");

    let answer = post_ack(&s.app, &ta1, 201).await;
    assert!(answer["claims"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status_after"] == "received"));
    // An interchange we never sent: unmatched, and the file is kept all the same.
    let unknown = interchange(908, &["TA1*000000999*260401*1200*R*006".to_string()]);
    let kept = post_ack(&s.app, &unknown, 201).await;
    assert_eq!(kept["claims"], serde_json::json!([]));
    assert_eq!(kept["unmatched"][0]["reference"], "interchange 000000999");

    let list = s
        .app
        .get("/api/v1/acknowledgments")
        .token(&s.app.billing)
        .expect(200)
        .await
        .body;
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], kept["id"], "newest first");

    let id = answer["id"].as_str().unwrap();
    let audit = |entity: String| {
        let app = &s.app;
        async move {
            app.get(&format!("/api/v1/audit?entity_id={entity}"))
                .token(&app.admin)
                .expect(200)
                .await
                .body
        }
    };
    let of_ack = audit(id.to_string()).await;
    assert!(
        of_ack["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "create" && e["entity_type"] == "acknowledgment"),
        "{of_ack}"
    );
    let of_client = audit(s.client.clone()).await;
    assert!(
        of_client["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "update" && e["entity_type"] == "claims"),
        "{of_client}"
    );
}

/// Every file-set row, in a stable order: file, claim, ISA13, GS06, ST02, form.
type FileSetRow = (String, String, i64, i64, i64, String);

async fn file_set_rows(db: &Db) -> Vec<FileSetRow> {
    let sql = "SELECT file_id, claim_id, interchange_control_number, group_control_number,
            set_control_number, functional_form
         FROM claim_file_sets ORDER BY file_id, claim_id";
    perdiem::with_db!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await).unwrap()
}

/// Deletes every file-set row, as for files written before migration 0026 kept them.
async fn forget_file_sets(db: &Db) {
    perdiem::with_db!(db, |pool| sqlx::query("DELETE FROM claim_file_sets")
        .execute(pool)
        .await
        .map(|_| ()))
    .unwrap();
}

#[tokio::test]
async fn a_999_for_a_file_written_before_its_sets_were_kept_still_finds_its_claims() {
    let s = sent().await;
    let written = file_set_rows(&s.app.db).await;
    assert_eq!(written.len(), 3, "{written:?}");
    forget_file_sets(&s.app.db).await;
    assert!(file_set_rows(&s.app.db).await.is_empty());

    let rejected = ack_999(&s, 910, &["IK3*NM1*17*2010*8", "IK4*9*67*1"], "R");
    let answer = post_ack(&s.app, &rejected, 201).await;
    assert_eq!(answer["unmatched"], serde_json::json!([]), "{answer}");
    for id in &s.claims {
        let c = entry(&answer, id);
        assert_eq!(c["status_before"], "submitted");
        assert_eq!(c["status_after"], "rejected", "{c}");
        assert_eq!(status_of(&s.app, id).await, "rejected");
    }
    // Read back from the file, the rows are those written with it, and they are kept.
    assert_eq!(file_set_rows(&s.app.db).await, written);

    // A TA1 of the same interchange now finds the claims by the kept rows.
    let ta1 = interchange(
        911,
        &[format!("TA1*{}*{}*{}*A*000", s.isa13, s.date, s.time)],
    );
    let answer = post_ack(&s.app, &ta1, 201).await;
    assert_eq!(answer["claims"].as_array().unwrap().len(), 3, "{answer}");
    assert_eq!(file_set_rows(&s.app.db).await, written);
}

/// The failed reads noted of each stored file that did not read back.
async fn unreadable_attempts(db: &Db) -> Vec<(String, i64)> {
    let sql = "SELECT file_id, attempts FROM unreadable_claim_files ORDER BY file_id";
    perdiem::with_db!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await).unwrap()
}

#[tokio::test]
async fn a_stored_file_that_does_not_read_back_is_read_once_not_at_every_acknowledgment() {
    let s = sent().await;
    forget_file_sets(&s.app.db).await;
    // A file written before its sets were kept, damaged since: it no longer reads back.
    perdiem::with_db!(&s.app.db, |pool| sqlx::query(
        "UPDATE claim_files SET content = 'ISA*00*damaged~'"
    )
    .execute(pool)
    .await
    .map(|_| ()))
    .unwrap();
    assert!(unreadable_attempts(&s.app.db).await.is_empty());

    let ta1 = |control| {
        interchange(
            control,
            &[format!("TA1*{}*{}*{}*R*006", s.isa13, s.date, s.time)],
        )
    };
    let answer = post_ack(&s.app, &ta1(920), 201).await;
    assert!(answer["claims"].as_array().unwrap().is_empty(), "{answer}");
    assert_eq!(answer["unmatched"].as_array().unwrap().len(), 1, "{answer}");
    let noted = unreadable_attempts(&s.app.db).await;
    assert_eq!(noted.len(), 1, "{noted:?}");
    assert_eq!(noted[0].1, 1);

    // The next acknowledgment naming the same unknown interchange does not read it again.
    let answer = post_ack(&s.app, &ta1(921), 201).await;
    assert_eq!(answer["unmatched"].as_array().unwrap().len(), 1, "{answer}");
    assert_eq!(unreadable_attempts(&s.app.db).await, noted);
    for id in &s.claims {
        assert_eq!(status_of(&s.app, id).await, "submitted");
    }
}
