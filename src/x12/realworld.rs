//! The real-world 835, 277CA and 999 corpus (`fixtures/realworld/{835,277ca,999}/`: third-party
//! files, sources and licences in their READMEs). Each file is either read — with the figures a
//! payment poster or biller reads from it asserted — or refused with the specific reason and
//! position a careful person would give.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;

macro_rules! corpus {
    ($dir:literal, $file:literal) => {
        include_bytes!(concat!("../../fixtures/realworld/", $dir, "/", $file))
    };
}

const LFH_MANAGED_CARE: &[u8] = corpus!("835", "lfh_managed-care.835");
const LFH_MEDICARE_A: &[u8] = corpus!("835", "lfh_medicare-part-a.835");
const LFH_SECONDARY: &[u8] = corpus!("835", "lfh_secondary-payment.835");
const LFH_COB: &[u8] = corpus!("835", "lfh_cob-contractural-adjustment.835");
const KS_EMEDNY: &[u8] = corpus!("835", "keironstoddart_emedny_sample.txt");
const KS_UHC: &[u8] = corpus!("835", "keironstoddart_united_healthcare_legacy_sample.txt");
const TS_DENTAL: &[u8] = corpus!("835", "tigershark_5010-835-example-1_dental.txt");
const TS_INSTITUTIONAL: &[u8] = corpus!("835", "tigershark_5010-835-example-2_institutional.txt");
const XE_EMEDNY: &[u8] = corpus!("835", "xiaoerge_emedny_claim_payment.835");

const CA_ACCEPTED: &[u8] = corpus!("277ca", "imsweb_x12_277CA_accepted.txt");
const CA_REJECTED: &[u8] = corpus!("277ca", "imsweb_x12_277CA_rejected.txt");

const ACK_ACCEPTED: &[u8] = corpus!("999", "imsweb_x12_999_accepted.txt");
const ACK_REJECTED: &[u8] = corpus!("999", "imsweb_x12_999_rejected.txt");
const ACK_STAEDI: &[u8] = corpus!("999", "staedi_simple999.edi");

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// The one remittance of a file.
fn remittance(bytes: &[u8]) -> Remittance {
    let mut interchange = parse_835(bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(interchange.remittances.len(), 1);
    interchange.remittances.remove(0)
}

/// Group, reason and amount of each adjustment: `CO 45 50`.
fn cas<'a>(adjustments: impl IntoIterator<Item = &'a Adjustment>) -> Vec<String> {
    adjustments
        .into_iter()
        .map(|a| {
            let mut s = format!("{} {} {}", a.group.code(), a.reason, a.amount);
            if let Some(q) = a.quantity {
                s += &format!(" x{q}");
            }
            s
        })
        .collect()
}

/// CLP01, status, charge, paid of each claim: `5554555444 1 800.00 450.00`.
fn claims(r: &Remittance) -> Vec<String> {
    r.claims()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c.patient_control_number,
                c.status.code(),
                c.charge,
                c.paid
            )
        })
        .collect()
}

fn warnings(r: &Remittance) -> Vec<String> {
    r.warnings.iter().map(ToString::to_string).collect()
}

fn ack999(bytes: &[u8]) -> Ack999 {
    match parse_acknowledgment(bytes).unwrap_or_else(|e| panic!("{e}")) {
        Acknowledgment::Implementation(ack) => ack,
        other => panic!("not a 999: {other:?}"),
    }
}

// ---------------------------------------------------------------- the whole corpus

/// Every file, and what becomes of it: how many remittances, acknowledgments or acknowledged
/// sets are read, or why it is refused.
#[test]
fn every_file_is_read_or_refused_with_its_reason() {
    let corpus_835: [(&str, &[u8], Result<usize, X12Error>); 9] = [
        ("lfh managed care", LFH_MANAGED_CARE, Ok(2)),
        ("lfh medicare part a", LFH_MEDICARE_A, Ok(2)),
        ("lfh secondary", LFH_SECONDARY, Ok(2)),
        ("lfh cob", LFH_COB, Ok(1)),
        ("keironstoddart emedny", KS_EMEDNY, Ok(3)),
        ("keironstoddart uhc", KS_UHC, Ok(2)),
        ("tigershark dental", TS_DENTAL, Ok(3)),
        (
            "tigershark institutional",
            TS_INSTITUTIONAL,
            Err(X12Error::ControlNumberMismatch {
                segment: 54,
                trailer: "SE02",
                header: "ST02",
                expected: "1234".into(),
                found: "0001".into(),
            }),
        ),
        ("xiaoerge emedny", XE_EMEDNY, Ok(2)),
    ];
    for (file, bytes, verdict) in corpus_835 {
        let read = parse_835(bytes).map(|i| i.claims().count());
        assert_eq!(read, verdict, "{file}");
        // Every file that is read balances, to the cent.
        if let Ok(interchange) = parse_835(bytes) {
            for r in &interchange.remittances {
                assert_eq!(r.imbalances(), [], "{file}");
            }
        }
    }

    // Each claim's patient control number, and whether it was rejected.
    type Verdict277 = Vec<(&'static str, bool)>;
    let corpus_277: [(&str, &[u8], Verdict277); 2] = [
        ("accepted", CA_ACCEPTED, vec![("5781", false)]),
        ("rejected", CA_REJECTED, vec![("3920394930203", true)]),
    ];
    for (file, bytes, verdict) in corpus_277 {
        let interchange = parse_277ca(bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        let read: Vec<(&str, bool)> = interchange
            .claims()
            .map(|c| (c.patient_control_number(), c.is_rejected()))
            .collect();
        assert_eq!(read, verdict, "{file}");
    }

    // Each acknowledged set's ST02 and status, or why the 999 is refused.
    type Verdict999 = Result<Vec<(String, AckStatus)>, X12Error>;
    let corpus_999: [(&str, &[u8], Verdict999); 3] = [
        (
            "imsweb accepted",
            ACK_ACCEPTED,
            Err(X12Error::BadElement {
                segment: 2,
                id: "GS".into(),
                element: 5,
                reason: "not a valid time of day",
            }),
        ),
        (
            "imsweb rejected",
            ACK_REJECTED,
            Ok(vec![("0028".into(), AckStatus::Rejected)]),
        ),
        (
            "staedi",
            ACK_STAEDI,
            Ok(vec![
                ("0001".into(), AckStatus::Accepted),
                ("0002".into(), AckStatus::Rejected),
                ("0003".into(), AckStatus::Rejected),
            ]),
        ),
    ];
    for (file, bytes, verdict) in corpus_999 {
        let read = parse_acknowledgment(bytes).map(|ack| match ack {
            Acknowledgment::Implementation(ack) => ack
                .transactions
                .iter()
                .map(|t| (t.control_number.clone(), t.status))
                .collect(),
            Acknowledgment::Interchange(_) => vec![],
        });
        assert_eq!(read, verdict, "{file}");
    }
}

#[test]
fn the_refusals_name_what_is_wrong() {
    assert_eq!(
        parse_835(TS_INSTITUTIONAL).unwrap_err().to_string(),
        "segment 54: SE02 \"0001\" does not match ST02 \"1234\""
    );
    assert_eq!(
        parse_acknowledgment(ACK_ACCEPTED).unwrap_err().to_string(),
        "segment 2 (GS05): not a valid time of day"
    );
}

// ---------------------------------------------------------------- 835s

#[test]
fn lfh_managed_care_keeps_its_invalid_payment_date_and_balances() {
    let r = remittance(LFH_MANAGED_CARE);
    assert_eq!(r.payment.amount, dec("945.00"));
    assert_eq!(r.payment.method, PaymentMethod::Ach);
    assert_eq!(
        r.payment.date,
        Some(SentDate {
            text: "20002316".into(),
            date: None
        })
    );
    assert_eq!(
        warnings(&r),
        ["segment 4 (BPR16): not a calendar date (CCYYMMDD); kept as sent"]
    );
    assert_eq!(r.trace.reference, "7170066655");
    assert_eq!(r.payer.name, "RUSHMORE LIFE");
    assert_eq!(r.payee.npi(), Some("5544667733"));
    assert_eq!(r.payee.tax_id(), Some("777667755"));
    assert_eq!(
        claims(&r),
        ["5554555444 1 800.00 450.00", "8765432112 1 1200.00 495.00"]
    );
    let first = r.claims().next().unwrap();
    assert_eq!(first.patient_responsibility, Some(dec("300.00")));
    assert_eq!(cas(&first.adjustments), ["CO A2 50.00"]);
    assert_eq!(cas(&first.lines[0].adjustments), ["PR 1 300.00"]);
    assert_eq!(first.lines[0].procedure.code, "99211");
    // 800 − (50 + 300) = 450; 1200 − (55 + 600 + 50) = 495; 450 + 495 = 945.
    assert_eq!(r.imbalances(), []);
}

#[test]
fn lfh_medicare_part_a_keeps_its_provider_summaries_and_plb() {
    let r = remittance(LFH_MEDICARE_A);
    assert_eq!(r.payment.handling, Handling::PaymentWithRemittance);
    assert_eq!(r.payment.amount, dec("150000.00"));
    assert_eq!(
        r.payment.date.as_ref().and_then(|d| d.date),
        Some(date(2002, 9, 13))
    );
    assert_eq!(r.payer.additional_id(), Some("999"));
    let headers: Vec<(Option<&str>, Option<&str>)> = r
        .headers
        .iter()
        .map(|h| {
            (
                h.number.as_deref(),
                h.provider_summary.as_ref().map(|s| s.provider_id.as_str()),
            )
        })
        .collect();
    assert_eq!(
        headers,
        [
            (Some("110212"), Some("6543210903")),
            (Some("130212"), Some("6543210909"))
        ]
    );
    assert_eq!(
        claims(&r),
        ["666123 1 211366.97 138018.40", "777777 1 15000.00 11980.33"]
    );
    let [inpatient, outpatient] = r.claims().collect::<Vec<_>>()[..] else {
        panic!("two claims")
    };
    assert_eq!(cas(&inpatient.adjustments), ["CO 45 73348.57"]);
    let mia = inpatient.inpatient.as_ref().unwrap();
    assert_eq!(
        (mia.covered_days, mia.drg_amount),
        (dec("0"), Some(dec("138018.40")))
    );
    assert_eq!(inpatient.quantities[0].quantity, dec("8.00"));
    assert_eq!(
        outpatient
            .outpatient
            .as_ref()
            .map(|m| m.remark_codes.clone()),
        Some(vec!["MA02".to_string()])
    );
    assert_eq!(
        r.provider_adjustments,
        [ProviderAdjustment {
            segment: 29,
            provider_id: "6543210903".into(),
            fiscal_period_end: SentDate::read("20021231"),
            reason: "CV".into(),
            reference: Some("CP".into()),
            amount: dec("-1.27"),
        }]
    );
    // 138018.40 + 11980.33 = 149998.73; less the PLB of −1.27 is 150000.00.
    assert_eq!(r.claims_paid_total(), dec("149998.73"));
    assert_eq!(r.imbalances(), []);
    assert!(r.warnings.is_empty());
}

#[test]
fn lfh_secondary_payment_reads_its_greater_than_composites() {
    let r = remittance(LFH_SECONDARY);
    assert_eq!(r.payment.amount, dec("1222.00"));
    assert_eq!(r.payment.method, PaymentMethod::Check);
    assert_eq!(r.payment.date, None);
    assert_eq!(
        warnings(&r),
        [
            "segment 4 (BPR16): the payment date is missing",
            "segment 29 (SVC01): composite written with another component separator than ISA16; split on it",
            "segment 34 (SVC01): composite written with another component separator than ISA16; split on it",
        ]
    );
    assert_eq!(r.payee.tax_id(), Some("599944521"));
    assert_eq!(
        claims(&r),
        [
            "L0004828311 2 10323.64 912.00",
            "0001000053 2 751.50 310.00"
        ]
    );
    let [prior, split] = r.claims().collect::<Vec<_>>()[..] else {
        panic!("two claims")
    };
    // What the prior payer paid, at the claim level, without lines.
    assert!(prior.lines.is_empty());
    assert_eq!(cas(&prior.adjustments), ["OA 23 9411.64"]);
    assert_eq!(prior.amounts[0].amount, dec("912.00"));
    let codes: Vec<(String, Vec<String>)> = split
        .lines
        .iter()
        .map(|l| (l.procedure.code.clone(), l.procedure.modifiers.clone()))
        .collect();
    assert_eq!(
        codes,
        [
            ("12345".to_string(), vec!["26".to_string()]),
            ("66543".to_string(), vec!["26".to_string()])
        ]
    );
    assert_eq!(split.lines[1].revenue_code.as_deref(), Some("220"));
    assert_eq!(
        cas(&split.lines[1].adjustments),
        ["PR 1 150.00", "PR 2 70.00", "CO 42 85.00"]
    );
    assert_eq!(r.headers.len(), 2);
    assert_eq!(r.imbalances(), []);
}

#[test]
fn lfh_cob_gives_money_back_with_a_negative_adjustment() {
    let r = remittance(LFH_COB);
    assert_eq!(r.payment.amount, dec("34.00"));
    assert_eq!(claims(&r), ["0001000055 2 541.00 34.00"]);
    let c = r.claims().next().unwrap();
    assert_eq!(cas(c.all_adjustments()), ["OA 23 516.00", "OA 94 -9.00"]);
    assert_eq!(c.lines[0].procedure.code, "55669");
    assert_eq!(c.lines[0].units, dec("1.00"));
    // 541 − (516 − 9) = 34.
    assert_eq!(c.line_adjustment_total(), dec("507.00"));
    assert_eq!(r.imbalances(), []);
    assert_eq!(r.warnings.len(), 2);
}

#[test]
fn keironstoddart_emedny_reads_three_claims_on_one_line() {
    let r = remittance(KS_EMEDNY);
    assert_eq!(r.payment.amount, dec("45.75"));
    assert_eq!(
        claims(&r),
        [
            "PATIENT ACCOUNT NUMBER 1 34.25 34.25",
            "PATIENT ACCOUNT NUMBER 2 34 0",
            "PATIENT ACCOUNT NUMBER 2 34.25 11.5",
        ]
    );
    let all: Vec<&ClaimPayment> = r.claims().collect();
    assert_eq!(
        all[0]
            .corrected_patient
            .as_ref()
            .and_then(|n| n.last_or_organization.as_deref()),
        Some("CORRECTED LAST")
    );
    assert_eq!(all[0].lines[0].procedure.modifiers, ["RB"]);
    assert_eq!(all[0].lines[3].units, dec("2"));
    assert_eq!(cas(all[1].all_adjustments()), ["CO 29 12", "CO 29 22"]);
    assert_eq!(all[1].lines[0].units, dec("0"));
    assert_eq!(
        all[2].lines[2].remarks,
        [Remark {
            qualifier: "HE".into(),
            code: "N206".into()
        }]
    );
    assert_eq!(r.imbalances(), []);
    assert!(r.warnings.is_empty());
}

#[test]
fn keironstoddart_uhc_reads_greater_than_as_its_isa16() {
    let r = remittance(KS_UHC);
    assert_eq!(r.payment.amount, dec("349.99"));
    assert_eq!(r.trace.supplemental_id.as_deref(), Some("000088888"));
    assert_eq!(
        (r.payer.id_qualifier.as_deref(), r.payer.id.as_deref()),
        (Some("XV"), Some("87726"))
    );
    assert_eq!(r.payee.npi(), Some("1922164458"));
    assert_eq!(
        claims(&r),
        [
            "001-18573-358 1 341.28 88.92",
            "001-18604-358 1 816.24 261.07"
        ]
    );
    let first = r.claims().next().unwrap();
    assert_eq!(first.patient_responsibility, Some(dec("105.26")));
    assert_eq!(first.filing_indicator.as_deref(), Some("16"));
    assert_eq!(first.lines[0].procedure.code, "B4152");
    assert_eq!(first.lines[0].units, dec("234"));
    assert_eq!(
        first.lines[0].line_item_control_number.as_deref(),
        Some("800941258001")
    );
    assert_eq!(
        cas(&first.lines[1].adjustments),
        ["PR 1 105.26", "CO 45 79.6"]
    );
    let second = r.claims().nth(1).unwrap();
    // CAS*PR*2*5.13**1*110: two triplets, the second after an empty quantity.
    assert_eq!(
        cas(&second.lines[2].adjustments),
        ["PR 2 5.13", "PR 1 110", "CO 45 184.32"]
    );
    assert_eq!(second.lines[2].allowed, Some(dec("144.18")));
    assert_eq!(r.imbalances(), []);
    assert!(r.warnings.is_empty());
}

#[test]
fn tigershark_dental_reads_a_predetermination_with_claim_and_line_adjustments() {
    let r = remittance(TS_DENTAL);
    assert_eq!(r.payment.amount, dec("1790"));
    assert_eq!(r.payment.method, PaymentMethod::Check);
    assert_eq!(r.payer.contacts.len(), 3);
    assert_eq!(
        claims(&r),
        [
            "PRECERTIFICATION 25 3790 0",
            "EDI PAID 1 3790 1790",
            "EDI DENIED 1 3790 0"
        ]
    );
    let pre = r.claims().next().unwrap();
    assert_eq!(pre.status, ClaimStatus::Predetermination);
    assert_eq!(cas(&pre.adjustments), ["OA 101 122"]);
    assert_eq!(pre.lines.len(), 7);
    assert_eq!(
        (
            pre.lines[0].procedure.qualifier.as_str(),
            pre.lines[0].procedure.code.as_str()
        ),
        ("AD", "D1110")
    );
    assert_eq!(cas(&pre.lines[0].adjustments), ["CO 42 10 x1"]);
    assert_eq!(pre.contacts[0].function_code, "CX");
    // 3790 − (122 + 3668) = 0: the claim-level CAS counts with the lines'.
    assert_eq!(
        (pre.claim_adjustment_total(), pre.line_adjustment_total()),
        (dec("122"), dec("3668"))
    );
    assert_eq!(r.imbalances(), []);
}

#[test]
fn tigershark_institutional_is_refused_for_its_se02_alone() {
    // With SE02 made to match ST02, the rest reads and balances: the refusal is the envelope's.
    let fixed = text(TS_INSTITUTIONAL).replace("SE*52*0001", "SE*52*1234");
    let r = remittance(fixed.as_bytes());
    assert_eq!(r.payment.amount, dec("100"));
    assert_eq!(claims(&r), ["EDI PAID 1 2083 100", "EDI DENIED 1 207.16 0"]);
    let [paid, denied] = r.claims().collect::<Vec<_>>()[..] else {
        panic!("two claims")
    };
    let line = &paid.lines[0];
    assert_eq!(
        (
            line.procedure.qualifier.as_str(),
            line.procedure.code.as_str()
        ),
        ("NU", "0450")
    );
    assert_eq!(line.original_units, Some(dec("0")));
    assert_eq!(paid.facility_code, None);
    assert!(denied.insured.is_some() && denied.corrected_patient.is_some());
    assert_eq!(
        denied
            .rendering_provider
            .as_ref()
            .and_then(|n| n.id.as_deref()),
        Some("1123456789")
    );
    assert_eq!(denied.lines.len(), 5);
    assert_eq!(denied.lines[2].revenue_code.as_deref(), Some("0300"));
    assert!(denied
        .all_adjustments()
        .all(|a| a.group == AdjustmentGroup::ContractualObligation && a.reason == "16"));
    assert!(denied.lines.iter().all(|l| l.remarks[0].code == "N142"));
    assert_eq!(r.imbalances(), []);
}

#[test]
fn xiaoerge_emedny_reads_a_claim_paid_nothing_and_one_with_the_patients_share() {
    let r = remittance(XE_EMEDNY);
    assert_eq!(r.payment.amount, dec("1481.99"));
    assert_eq!(
        claims(&r),
        [
            "PATIENT ACCOUNT NUMBER 3 137.48 0",
            "PATIENT ACCOUNT NUMBER 1 2286.99 1481.99"
        ]
    );
    let [nothing, paid] = r.claims().collect::<Vec<_>>()[..] else {
        panic!("two claims")
    };
    assert_eq!(nothing.status, ClaimStatus::ProcessedAsTertiary);
    assert_eq!(cas(&nothing.adjustments), ["CO 39 137.48"]);
    assert_eq!(
        nothing
            .references
            .iter()
            .map(|r| r.qualifier.as_str())
            .collect::<Vec<_>>(),
        ["EA", "9A", "G1"]
    );
    assert_eq!(cas(&paid.adjustments), ["PR 142 805"]);
    assert_eq!(paid.frequency.as_deref(), Some("3"));
    let rendering = paid.rendering_provider.as_ref().unwrap();
    assert_eq!(
        (
            rendering.last_or_organization.as_deref(),
            rendering.id.as_deref()
        ),
        (None, Some("9999999995"))
    );
    assert_eq!(paid.quantities[0].quantity, dec("9"));
    assert_eq!(r.imbalances(), []);
}

// ---------------------------------------------------------------- 277CAs

#[test]
fn imsweb_277ca_accepted_reads_the_claim_into_adjudication() {
    let interchange = parse_277ca(CA_ACCEPTED).unwrap();
    let a = &interchange.acknowledgments[0];
    assert_eq!(a.reference, "000000674");
    assert!(a.warnings.is_empty());
    let [claim] = interchange.claims().collect::<Vec<_>>()[..] else {
        panic!("one claim")
    };
    assert_eq!(claim.patient_control_number(), "5781");
    assert!(!claim.is_rejected());
    assert_eq!(claim.charge(), Some(dec("125")));
    assert_eq!(claim.payer_claim_control_number(), Some("1107000000014420"));
    let status = &claim.claim.statuses[0].codes[0];
    assert_eq!(
        (status.category, status.status.as_str()),
        (StatusCategory::Accepted, "20")
    );
    // The batch was received (2200B); the billing provider level carries no STC at all.
    assert_eq!(
        claim.receiver.statuses[0].codes[0].category,
        StatusCategory::Received
    );
    assert_eq!(claim.receiver.statuses[0].amount, Some(dec("125.0")));
    assert!(claim.provider.statuses.is_empty());
    assert_eq!(
        claim.provider.trace.as_ref().map(|t| t.reference.as_str()),
        Some("1107000000000135FF")
    );
    // eMedNY's placeholder date is read as the date it names, its text kept.
    assert_eq!(
        claim.claim.service_date,
        Some(SentPeriod {
            format: "D8".into(),
            text: "10010101".into(),
            value: Some(DateOrRange::Single(date(1001, 1, 1)))
        })
    );
}

#[test]
fn imsweb_277ca_rejected_names_the_billing_providers_npi() {
    let interchange = parse_277ca(CA_REJECTED).unwrap();
    let [claim] = interchange.claims().collect::<Vec<_>>()[..] else {
        panic!("one claim")
    };
    assert_eq!(claim.patient_control_number(), "3920394930203");
    assert!(claim.is_rejected());
    let status = &claim.claim.statuses[0];
    assert_eq!(
        status.codes,
        [StatusCode {
            category: StatusCategory::RejectedInvalidInformation,
            status: "562".into(),
            entity: Some("85".into()),
            code_list: None,
        }]
    );
    assert_eq!(claim.charge(), Some(dec("199.14")));
    assert_eq!(claim.claim.bill_type.as_deref(), Some("731"));
    assert_eq!(claim.payer_claim_control_number(), Some("1107000000001120"));
    assert!(interchange.warnings().next().is_none());
}

// ---------------------------------------------------------------- 999s of 837s

#[test]
fn imsweb_999_rejected_rejects_the_837_for_an_unrecognized_segment() {
    let ack = ack999(ACK_REJECTED);
    assert_eq!(
        (
            ack.functional_id.as_str(),
            ack.group_control_number.as_str(),
            ack.version.as_deref()
        ),
        ("HC", "28", Some("005010X223A2"))
    );
    assert_eq!(ack.status_of("0028"), Some(AckStatus::Rejected));
    assert_eq!(ack.status_of("0029"), None);
    let t = &ack.transactions[0];
    assert_eq!(t.set_id, "837");
    assert_eq!(t.errors, ["5"]);
    assert_eq!(
        (
            t.segment_errors[0].segment_id.as_str(),
            t.segment_errors[0].position,
            t.segment_errors[0].code.as_deref()
        ),
        ("NM", 17, Some("1"))
    );
    assert_eq!(ack.status, AckStatus::Rejected);
    assert_eq!(
        Acknowledgment::Implementation(ack).summary(),
        "the payer rejected the 837 (999 R): NM (segment 17): unrecognized segment id"
    );
}

#[test]
fn staedi_999_accepts_one_837_of_three() {
    let ack = ack999(ACK_STAEDI);
    assert_eq!(ack.functional_id, "HC");
    assert_eq!(ack.version.as_deref(), Some("005010X222"));
    assert_eq!(ack.status, AckStatus::PartiallyAccepted);
    assert_eq!(
        (ack.sets_included, ack.sets_received, ack.sets_accepted),
        (Some(3), Some(3), Some(1))
    );
    assert_eq!(ack.status_of("0001"), Some(AckStatus::Accepted));
    assert_eq!(ack.status_of("0002"), Some(AckStatus::Rejected));
    assert_eq!(ack.status_of("0003"), Some(AckStatus::Rejected));
    let element = &ack.transactions[1].segment_errors[0].element_errors[0];
    assert_eq!(
        (
            element.position,
            element.reference.as_deref(),
            element.code.as_str()
        ),
        (2, Some("782"), "1")
    );
    let acknowledgment = Acknowledgment::Implementation(ack);
    assert!(!acknowledgment.is_accepted());
    assert_eq!(
        acknowledgment.summary(),
        "the payer rejected part of the 837 (999 P): CLM (segment 22): required data element \
         missing in CLM02; REF (segment 57): required segment missing"
    );
}

#[test]
fn imsweb_999_accepted_is_refused_for_its_envelope_alone() {
    // GS05 102497 has 97 seconds; with it made a time, IEA02 still does not match ISA13.
    let time_fixed = text(ACK_ACCEPTED).replace("*102497*", "*1024*");
    assert_eq!(
        parse_acknowledgment(time_fixed.as_bytes()),
        Err(X12Error::ControlNumberMismatch {
            segment: 10,
            trailer: "IEA02",
            header: "ISA13",
            expected: "000000286".into(),
            found: "000000001".into(),
        })
    );
    // With both made right, the 837 set is accepted, and no 271 is missed.
    let fixed = time_fixed.replace("IEA*1*000000001", "IEA*1*000000286");
    let ack = ack999(fixed.as_bytes());
    assert_eq!(ack.functional_id, "HC");
    assert_eq!(ack.status_of("0001"), Some(AckStatus::Accepted));
    let acknowledgment = Acknowledgment::Implementation(ack);
    assert!(acknowledgment.is_accepted());
    assert_eq!(
        acknowledgment.summary(),
        "the payer accepted the 837 (999 A)"
    );
}
