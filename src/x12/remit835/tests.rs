//! The 835 reader on hand-written remittances: every segment it keeps, the balancing checks
//! with their exact differences, the tolerances and the refusals; then property tests.

use std::str::FromStr;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

/// Every segment the reader keeps, valid for pyx12's 835 map (checked below when installed):
/// an IOP claim over three lines, a reversal, a claim forwarded to Medicaid with the code we
/// sent changed, a denial without lines, and provider adjustments. It balances.
const REMITTANCE: &str = include_str!("../../../fixtures/x12/835_remittance.x12");
/// The domain reference's example: five IOP days, allowed $200 a day, 20 % coinsurance.
const DOMAIN_EXAMPLE: &str = include_str!("../../../fixtures/x12/835_domain_example.x12");

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn only(text: &str) -> Remittance {
    let mut interchange = parse_835(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(interchange.remittances.len(), 1);
    interchange.remittances.remove(0)
}

/// Rewrites SE01 of every set to its actual count, after an edit added or removed segments.
fn recount(x12: &str) -> String {
    let segments: Vec<&str> = x12
        .split('~')
        .map(|s| s.trim_matches(['\r', '\n']))
        .filter(|s| !s.is_empty())
        .collect();
    let mut out = String::new();
    let mut start = 0;
    for (i, seg) in segments.iter().enumerate() {
        if seg.starts_with("ST*") {
            start = i;
        }
        if let Some(rest) = seg.strip_prefix("SE*") {
            let control = rest.split('*').nth(1).unwrap_or("");
            out += &format!("SE*{}*{control}~\n", i - start + 1);
        } else {
            out += &format!("{seg}~\n");
        }
    }
    out
}

/// `from` replaced by `to` (which must occur), the SE count fixed.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from}");
    recount(&text.replacen(from, to, 1))
}

/// Group, reason and amount of each adjustment: `CO 45 50`.
fn cas(adjustments: &[Adjustment]) -> Vec<String> {
    adjustments
        .iter()
        .map(|a| {
            let mut s = format!("{} {} {}", a.group.code(), a.reason, a.amount);
            if let Some(q) = a.quantity {
                s += &format!(" x{q}");
            }
            s
        })
        .collect()
}

// ---------------------------------------------------------------- the whole tree

#[test]
fn the_payment_payer_and_payee_are_read() {
    let interchange = parse_835(REMITTANCE.as_bytes()).unwrap();
    assert_eq!(interchange.interchange.control_number, "000000401");
    assert_eq!(interchange.interchange.sender_id, "ACMEPAYER");
    let r = &interchange.remittances[0];
    assert_eq!(
        (r.group.control_number.as_str(), r.group.version.as_str()),
        ("401", "005010X221A1")
    );
    assert_eq!(r.transaction_set_control_number, "0001");
    let p = &r.payment;
    assert_eq!(p.segment, 4);
    assert_eq!(p.handling, Handling::RemittanceOnly);
    assert_eq!(p.amount, dec("232.50"));
    assert_eq!(p.credit_debit, CreditDebit::Credit);
    assert_eq!(p.method, PaymentMethod::Ach);
    assert_eq!(p.format.as_deref(), Some("CCP"));
    assert_eq!(p.originating_company_id.as_deref(), Some("1123456789"));
    assert_eq!(
        p.date,
        Some(SentDate {
            text: "20250312".into(),
            date: Some(date(2025, 3, 12))
        })
    );
    assert_eq!(
        (
            r.trace.trace_type.as_str(),
            r.trace.reference.as_str(),
            r.trace.originator_id.as_deref()
        ),
        ("1", "EFT0001", Some("1123456789"))
    );
    assert_eq!(
        r.references,
        [Reference {
            qualifier: "EV".into(),
            value: "SUBMITTERID".into(),
            description: None
        }]
    );
    assert_eq!(
        r.production_date.as_ref().and_then(|d| d.date),
        Some(date(2025, 3, 10))
    );
    assert_eq!(r.currency, None);

    assert_eq!(r.payer.name, "ACME HEALTH PLAN");
    assert_eq!(
        (r.payer.id_qualifier.as_deref(), r.payer.id.as_deref()),
        (None, None)
    );
    assert_eq!(r.payer.additional_id(), Some("12345"));
    let address = r.payer.address.as_ref().unwrap();
    assert_eq!(
        (
            address.line1.as_deref(),
            address.city.as_deref(),
            address.postal_code.as_deref()
        ),
        (Some("1 PAYER WAY"), Some("HARTFORD"), Some("06101"))
    );
    assert_eq!(r.payer.contacts.len(), 1);
    assert_eq!(r.payer.contacts[0].function_code, "BL");

    assert_eq!(r.payee.name, "SUNRISE BEHAVIORAL HEALTH");
    assert_eq!(r.payee.npi(), Some("1234567893"));
    assert_eq!(r.payee.tax_id(), Some("123456789"));
    assert_eq!(
        r.payee.address.as_ref().and_then(|a| a.state.as_deref()),
        Some("IL")
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn an_iop_claim_is_read_with_its_lines() {
    let r = only(REMITTANCE);
    let header = &r.headers[0];
    assert_eq!(header.number.as_deref(), Some("1"));
    assert_eq!(header.provider_summary, None);
    let c = &header.claims[0];
    assert_eq!(c.segment, 18);
    assert_eq!(c.patient_control_number, "PCN0001");
    assert_eq!(c.status, ClaimStatus::ProcessedAsPrimary);
    assert_eq!(
        (c.charge, c.paid, c.patient_responsibility),
        (dec("750"), dec("480"), Some(dec("120")))
    );
    assert_eq!(
        (
            c.filing_indicator.as_deref(),
            c.payer_claim_control_number.as_deref(),
            c.facility_code.as_deref(),
            c.frequency.as_deref()
        ),
        (Some("12"), Some("PAYERCLM1"), Some("13"), Some("1"))
    );
    assert!(c.adjustments.is_empty());
    let patient = c.patient.as_ref().unwrap();
    assert_eq!(
        (
            patient.last_or_organization.as_deref(),
            patient.id.as_deref()
        ),
        (Some("DOE"), Some("W123456789"))
    );
    assert_eq!(
        c.corrected_patient
            .as_ref()
            .and_then(|n| n.first.as_deref()),
        Some("JANET")
    );
    assert_eq!(
        c.rendering_provider.as_ref().and_then(|n| n.id.as_deref()),
        Some("1245319599")
    );
    assert_eq!(
        (
            &c.insured,
            &c.crossover_carrier,
            &c.corrected_priority_payer,
            &c.other_subscriber
        ),
        (&None, &None, &None, &None)
    );
    assert_eq!(c.inpatient, None);
    assert_eq!(
        c.outpatient,
        Some(OutpatientAdjudication {
            reimbursement_rate: None,
            hcpcs_payable: None,
            remark_codes: vec!["MA01".into()],
            esrd_payment: None,
            professional_component_not_payable: None,
        })
    );
    assert_eq!(c.references[0].qualifier, "EA");
    assert_eq!(
        c.statement_from().and_then(|d| d.date),
        Some(date(2025, 1, 20))
    );
    assert_eq!(
        c.statement_to().and_then(|d| d.date),
        Some(date(2025, 1, 22))
    );
    assert_eq!(
        c.dates
            .iter()
            .map(|d| d.qualifier.as_str())
            .collect::<Vec<_>>(),
        ["232", "233", "050"]
    );
    assert_eq!(c.contacts[0].name.as_deref(), Some("CLAIMS"));
    assert_eq!(
        c.amounts,
        [QualifiedAmount {
            qualifier: "AU".into(),
            amount: dec("600")
        }]
    );
    assert_eq!(
        c.quantities,
        [QualifiedQuantity {
            qualifier: "CA".into(),
            quantity: dec("3")
        }]
    );

    assert_eq!(c.lines.len(), 3);
    let first = &c.lines[0];
    assert_eq!(first.segment, 30);
    assert_eq!(
        first.procedure,
        ServiceCode {
            qualifier: "HC".into(),
            code: "S9480".into(),
            modifiers: vec!["HQ".into(), "GT".into()],
            description: None,
        }
    );
    assert_eq!((first.charge, first.paid), (dec("250"), dec("160")));
    assert_eq!(first.revenue_code.as_deref(), Some("0905"));
    assert_eq!(first.units, dec("1"));
    assert_eq!(
        (&first.submitted_procedure, first.original_units),
        (&None, None)
    );
    assert_eq!(
        first.service_date().and_then(|d| d.date),
        Some(date(2025, 1, 20))
    );
    assert_eq!(cas(&first.adjustments), ["CO 45 50", "PR 2 40"]);
    assert_eq!(first.adjustment_total(), dec("90"));
    assert_eq!(first.line_item_control_number.as_deref(), Some("LINE0001"));
    assert!(first.references.is_empty());
    assert_eq!(first.allowed, Some(dec("200")));
    assert!(first.amounts.is_empty());
    assert_eq!(
        first.remarks,
        [Remark {
            qualifier: "HE".into(),
            code: "N130".into()
        }]
    );
    // SVC05 not sent: one unit, as the guide says.
    assert_eq!(c.lines[1].units, Decimal::ONE);
    // One CAS with two triplets, the first with its quantity: two adjustments of one group.
    assert_eq!(
        cas(&c.lines[2].adjustments),
        ["CO 45 48 x1", "CO 253 2", "PR 2 40"]
    );
    assert_eq!(c.line_adjustment_total(), dec("270"));
    assert_eq!(c.claim_adjustment_total(), dec("0"));
    assert_eq!(c.all_adjustments().count(), 7);
    assert!(c.imbalances().is_empty());
}

#[test]
fn a_reversal_takes_back_a_payment_with_negative_amounts() {
    let r = only(REMITTANCE);
    let c = &r.headers[0].claims[1];
    assert_eq!(c.status, ClaimStatus::Reversal);
    assert!(c.status.is_reversal() && !c.status.is_forwarded());
    assert_eq!(c.status.description(), "reversal of previous payment");
    assert_eq!(
        (c.charge, c.paid, c.patient_responsibility),
        (dec("-500"), dec("-320"), Some(dec("-80")))
    );
    assert_eq!(c.frequency.as_deref(), Some("8"));
    let line = &c.lines[0];
    assert_eq!(
        (line.charge, line.paid, line.units),
        (dec("-500"), dec("-320"), dec("2"))
    );
    assert_eq!(cas(&line.adjustments), ["CO 45 -100", "PR 2 -80"]);
    // A period of service: DTM*150 and DTM*151.
    assert_eq!(
        line.dates
            .iter()
            .map(|d| (d.qualifier.as_str(), d.date.date))
            .collect::<Vec<_>>(),
        [
            ("150", Some(date(2024, 12, 2))),
            ("151", Some(date(2024, 12, 3)))
        ]
    );
    assert_eq!(
        line.service_date().and_then(|d| d.date),
        Some(date(2024, 12, 2))
    );
    assert_eq!(line.line_item_control_number.as_deref(), Some("LINE0009"));
    // −500 − (−100 − 80) = −320.
    assert!(c.imbalances().is_empty());
}

#[test]
fn a_forwarded_claim_names_the_crossover_carrier_and_the_code_we_sent() {
    let r = only(REMITTANCE);
    let header = &r.headers[1];
    assert_eq!(header.number.as_deref(), Some("2"));
    assert_eq!(
        header.provider_summary,
        Some(ProviderSummary {
            provider_id: "1234567893".into(),
            facility_code: "13".into(),
            fiscal_period_end: Some(SentDate::read("20251231")),
            claim_count: Some(dec("2")),
            total_charge: Some(dec("550")),
        })
    );
    let c = &header.claims[0];
    assert_eq!(c.status, ClaimStatus::PrimaryForwarded);
    assert!(c.status.is_forwarded());
    let carrier = c.forwarded_to().unwrap();
    assert_eq!(
        (
            carrier.entity_code.as_str(),
            carrier.last_or_organization.as_deref(),
            carrier.id_qualifier.as_deref(),
            carrier.id.as_deref()
        ),
        ("TT", Some("STATE MEDICAID"), Some("PI"), Some("77027"))
    );
    assert_eq!(
        c.insured.as_ref().and_then(|n| n.first.as_deref()),
        Some("SAM")
    );
    // Claim-level CAS (the deductible) and the line's.
    assert_eq!(cas(&c.adjustments), ["PR 1 100"]);
    let line = &c.lines[0];
    assert_eq!(line.procedure.code, "H0015");
    assert_eq!(
        line.submitted_procedure,
        Some(ServiceCode {
            qualifier: "HC".into(),
            code: "S9480".into(),
            modifiers: vec![],
            description: None,
        })
    );
    assert_eq!(line.original_units, Some(dec("1")));
    assert_eq!(line.revenue_code, None);
    // 300 − (100 + 80) = 120 at the claim; 300 − 80 = 220 on the line.
    assert_eq!(
        (c.claim_adjustment_total(), c.line_adjustment_total()),
        (dec("100"), dec("80"))
    );
    assert!(c.imbalances().is_empty());
}

#[test]
fn a_denial_without_lines_balances_on_its_claim_level_adjustments() {
    let r = only(REMITTANCE);
    let c = &r.headers[1].claims[1];
    assert_eq!(c.status, ClaimStatus::Denied);
    assert!(c.lines.is_empty());
    assert_eq!(cas(&c.adjustments), ["CO 197 250"]);
    assert!(c.imbalances().is_empty());
}

#[test]
fn provider_adjustments_reduce_the_payment_and_the_remittance_balances() {
    let r = only(REMITTANCE);
    assert_eq!(
        r.provider_adjustments,
        [
            ProviderAdjustment {
                segment: 77,
                provider_id: "1234567893".into(),
                fiscal_period_end: SentDate::read("20251231"),
                reason: "WO".into(),
                reference: Some("PAYERCLM9".into()),
                amount: dec("50"),
            },
            ProviderAdjustment {
                segment: 77,
                provider_id: "1234567893".into(),
                fiscal_period_end: SentDate::read("20251231"),
                reason: "L6".into(),
                reference: None,
                amount: dec("-2.50"),
            },
        ]
    );
    assert_eq!(r.claims().count(), 4);
    // 480 − 320 + 120 + 0 = 280 paid on claims; 280 − (50 − 2.50) = 232.50 = BPR02.
    assert_eq!(r.claims_paid_total(), dec("280"));
    assert_eq!(r.provider_adjustment_total(), dec("47.50"));
    assert_eq!(r.imbalances(), []);
}

#[test]
fn the_domain_example_reads_five_iop_days_at_160() {
    let r = only(DOMAIN_EXAMPLE);
    assert_eq!(r.payment.amount, dec("800"));
    let [c] = r.claims().collect::<Vec<_>>()[..] else {
        panic!("one claim")
    };
    assert_eq!(
        (c.patient_control_number.as_str(), c.charge, c.paid),
        ("PCN0001", dec("1250"), dec("800"))
    );
    assert_eq!(c.lines.len(), 5);
    for line in &c.lines {
        assert_eq!(
            (line.charge, line.paid, line.allowed),
            (dec("250"), dec("160"), Some(dec("200")))
        );
        assert_eq!(cas(&line.adjustments), ["CO 45 50", "PR 2 40"]);
    }
    // CLP05 is the patient's share: the PR adjustments.
    let patient_share: Decimal = c
        .all_adjustments()
        .filter(|a| a.group == AdjustmentGroup::PatientResponsibility)
        .map(|a| a.amount)
        .sum();
    assert_eq!(Some(patient_share), c.patient_responsibility);
    assert_eq!(r.imbalances(), []);
}

// ---------------------------------------------------------------- balancing

#[test]
fn an_unbalanced_remittance_gives_each_place_and_the_exact_difference() {
    // Line 2 says 170 paid where 250 − 90 = 160; the claim says 810 where 1250 − 450 = 800;
    // the BPR still says 800 where 810 − 0 = 810.
    let text = DOMAIN_EXAMPLE
        .replace("CLP*PCN0001*1*1250*800*", "CLP*PCN0001*1*1250*810*")
        .replacen(
            "SVC*HC:S9480*250*160*0905*1~\nDTM*472*20250121",
            "SVC*HC:S9480*250*170*0905*1~\nDTM*472*20250121",
            1,
        );
    assert_ne!(text, DOMAIN_EXAMPLE);
    let r = only(&text);
    assert_eq!(
        r.imbalances(),
        [
            Imbalance {
                place: "CLP 'PCN0001' line 2 (SVC at segment 22)".into(),
                expected: dec("160"),
                actual: dec("170"),
                difference: dec("10"),
            },
            Imbalance {
                place: "CLP 'PCN0001' (segment 13)".into(),
                expected: dec("800"),
                actual: dec("810"),
                difference: dec("10"),
            },
            Imbalance {
                place: "transaction set 0001 (BPR at segment 4)".into(),
                expected: dec("810"),
                actual: dec("800"),
                difference: dec("-10"),
            },
        ]
    );
}

#[test]
fn a_cent_off_is_reported_as_a_cent() {
    let text = DOMAIN_EXAMPLE.replace("BPR*I*800*", "BPR*I*800.01*");
    let r = only(&text);
    let [imbalance] = r.imbalances().try_into().unwrap();
    assert_eq!(imbalance.difference, dec("0.01"));
    assert_eq!(imbalance.difference.to_string(), "0.01");
}

#[test]
fn claim_level_adjustments_count_with_the_lines() {
    // A claim-level CO 10 with the lines unchanged: CLP04 must drop by 10 to balance.
    let text = edit(DOMAIN_EXAMPLE, "NM1*QC", "CAS*CO*45*10~\nNM1*QC");
    let r = only(&text);
    let [imbalance] = r.claims().next().unwrap().imbalances().try_into().unwrap();
    assert_eq!(
        (imbalance.expected, imbalance.actual, imbalance.difference),
        (dec("790"), dec("800"), dec("10"))
    );
    let balanced = text.replace("CLP*PCN0001*1*1250*800*", "CLP*PCN0001*1*1250*790*");
    let r = only(&balanced);
    assert!(r.claims().next().unwrap().imbalances().is_empty());
    // The set now misses the 10 the claim lost.
    assert_eq!(r.imbalances()[0].difference, dec("10"));
}

// ---------------------------------------------------------------- tolerances

#[test]
fn an_invalid_or_missing_payment_date_is_a_warning_with_the_text_kept() {
    let text = DOMAIN_EXAMPLE.replace("*DA*987654*20250301~", "*DA*987654*20002316~");
    let r = only(&text);
    assert_eq!(
        r.payment.date,
        Some(SentDate {
            text: "20002316".into(),
            date: None
        })
    );
    assert_eq!(
        r.warnings,
        [Warning {
            segment: 4,
            id: "BPR".into(),
            element: Some(16),
            what: "not a calendar date (CCYYMMDD); kept as sent",
        }]
    );
    assert_eq!(
        r.warnings[0].to_string(),
        "segment 4 (BPR16): not a calendar date (CCYYMMDD); kept as sent"
    );
    // The payments are all there.
    assert_eq!(r.imbalances(), []);

    let missing = DOMAIN_EXAMPLE.replace("*DA*987654*20250301~", "*DA*987654~");
    let r = only(&missing);
    assert_eq!(r.payment.date, None);
    assert_eq!(r.warnings[0].what, "the payment date is missing");
}

#[test]
fn a_composite_on_another_separator_than_isa16_is_split_with_a_warning() {
    let text = REMITTANCE.replace("SVC*HC:S9480:HQ:GT*", "SVC*HC>S9480>HQ>GT*");
    let r = only(&text);
    let line = &r.headers[0].claims[0].lines[0];
    assert_eq!(line.procedure.code, "S9480");
    assert_eq!(line.procedure.modifiers, ["HQ", "GT"]);
    assert_eq!(
        r.warnings,
        [Warning {
            segment: 30,
            id: "SVC".into(),
            element: Some(1),
            what: "composite written with another component separator than ISA16; split on it",
        }]
    );
    // A composite that is no code and separator stays whole, and is refused.
    let text = REMITTANCE.replace("SVC*HC:S9480:HQ:GT*", "SVC*HCS9480*");
    assert_eq!(
        parse_835(text.as_bytes()),
        Err(X12Error::BadElement {
            segment: 30,
            id: "SVC".into(),
            element: 1,
            reason: "procedure code is missing"
        })
    );
}

#[test]
fn a_claim_without_an_lx_is_read_under_a_header_without_a_number() {
    let text = edit(DOMAIN_EXAMPLE, "LX*1~\n", "");
    let r = only(&text);
    assert_eq!(r.headers.len(), 1);
    assert_eq!(r.headers[0].number, None);
    assert_eq!(r.claims().count(), 1);
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(
        r.warnings[0].to_string(),
        "segment 12 (CLP): claim without an LX header; read under a header without a number"
    );
}

#[test]
fn a_currency_other_than_dollars_is_kept() {
    let r = only(&edit(DOMAIN_EXAMPLE, "DTM*405", "CUR*PR*CAD~\nDTM*405"));
    assert_eq!(r.currency.as_deref(), Some("CAD"));
    assert_eq!(r.payment.amount, dec("800"));
}

/// Amounts of up to 18 digits at any scale add up without leaving `Decimal`'s range, so the
/// balancing sums cannot panic (they use plain `+` and `-`).
#[test]
fn the_largest_amounts_add_and_subtract_without_overflow() {
    let largest = [
        "999999999999999999",
        "-999999999999999999",
        ".000000000000000001",
        "-99999999.9999999999",
    ];
    let amounts: Vec<Decimal> = largest
        .iter()
        .cycle()
        .take(40_000)
        .map(|s| crate::x12::values::parse_decimal(s).unwrap())
        .collect();
    let positive: Decimal = total(amounts.iter().copied().filter(|a| a.is_sign_positive()));
    let negative: Decimal = total(amounts.iter().copied().filter(|a| a.is_sign_negative()));
    assert!(positive > dec("9990000000000000000000"));
    assert!(positive - negative > positive);
}

#[test]
fn line_breaks_and_a_byte_order_mark_read_the_same() {
    let one_line = DOMAIN_EXAMPLE.replace('\n', "");
    let crlf = format!("\u{FEFF}{}", DOMAIN_EXAMPLE.replace('\n', "\r\n"));
    let expected = parse_835(DOMAIN_EXAMPLE.as_bytes()).unwrap();
    assert_eq!(parse_835(one_line.as_bytes()).unwrap(), expected);
    assert_eq!(parse_835(crlf.as_bytes()).unwrap(), expected);
}

#[test]
fn several_sets_and_groups_each_keep_their_control_numbers() {
    let body = |text: &str| -> String {
        let start = text.find("ST*835").unwrap();
        let end = text.find("GE*").unwrap();
        text[start..end].to_string()
    };
    let first = body(DOMAIN_EXAMPLE);
    let second = body(REMITTANCE)
        .replace("ST*835*0001~", "ST*835*0002~")
        .replace("SE*76*0001~", "SE*76*0002~");
    let isa = &DOMAIN_EXAMPLE[..DOMAIN_EXAMPLE.find("GS*").unwrap()];
    let text = format!(
        "{isa}GS*HP*ACMEPAYER*SUBMITTERID*20250301*1030*301*X*005010X221A1~\n{first}{second}GE*2*301~\n\
         GS*HP*ACMEPAYER*SUBMITTERID*20250301*1030*302*X*005010X221~\n{first}GE*1*302~\nIEA*2*000000301~\n"
    );
    let interchange = parse_835(text.as_bytes()).unwrap();
    let seen: Vec<(&str, &str, Decimal)> = interchange
        .remittances
        .iter()
        .map(|r| {
            (
                r.group.control_number.as_str(),
                r.transaction_set_control_number.as_str(),
                r.payment.amount,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("301", "0001", dec("800")),
            ("301", "0002", dec("232.50")),
            ("302", "0001", dec("800")),
        ]
    );
    assert_eq!(interchange.claims().count(), 6);
    // Positions stay those of the interchange.
    assert_eq!(interchange.remittances[1].payment.segment, 44);
}

// ---------------------------------------------------------------- refusals

#[test]
fn an_unknown_claim_status_is_refused_naming_the_code() {
    let text = DOMAIN_EXAMPLE.replace("CLP*PCN0001*1*", "CLP*PCN0001*99*");
    let error = parse_835(text.as_bytes()).unwrap_err();
    assert_eq!(
        error,
        X12Error::UnknownCode {
            segment: 13,
            id: "CLP".into(),
            element: 2,
            code: "99".into()
        }
    );
    assert_eq!(error.to_string(), "segment 13 (CLP02): unknown code \"99\"");
    for code in ClaimStatus::ALL {
        assert_eq!(ClaimStatus::parse(code.code()), Some(*code));
    }
    assert_eq!(ClaimStatus::ALL.len(), 10);
}

#[test]
fn malformed_remittances_are_errors_with_positions() {
    let bad = |segment: usize, id: &str, element: usize, reason: &'static str| {
        Err(X12Error::BadElement {
            segment,
            id: id.into(),
            element,
            reason,
        })
    };
    let unknown = |segment: usize, id: &str, element: usize, code: &str| {
        Err(X12Error::UnknownCode {
            segment,
            id: id.into(),
            element,
            code: code.into(),
        })
    };
    let repeated = |segment: usize, id: &str| {
        Err(X12Error::UnexpectedSegment {
            segment,
            id: id.into(),
            expected: "at most one of this segment in the loop",
        })
    };
    let d = DOMAIN_EXAMPLE;
    let cases: Vec<(String, Result<Interchange835, X12Error>)> = vec![
        // 4010's CR group is gone from the 5010 835.
        (d.replacen("CAS*CO*45*50", "CAS*CR*45*50", 1), unknown(19, "CAS", 1, "CR")),
        (d.replacen("CAS*CO*45*50", "CAS*CO*45", 1), bad(19, "CAS", 3, "adjustment amount is missing")),
        (d.replacen("CAS*CO*45*50", "CAS*CO**50", 1), bad(19, "CAS", 2, "adjustment reason code is missing")),
        (d.replacen("CAS*CO*45*50", "CAS*CO", 1), bad(19, "CAS", 2, "required element is missing")),
        (d.replacen("CAS*CO*45*50", "CAS*CO*45*50**96", 1), bad(19, "CAS", 6, "adjustment amount is missing")),
        (d.replace("CLP*PCN0001*1*1250*", "CLP*PCN0001*1*1,250*"), bad(13, "CLP", 3, "not an X12 decimal number")),
        (d.replace("CLP*PCN0001*1*1250*800*", "CLP*PCN0001*1*1250**"), bad(13, "CLP", 4, "required element is missing")),
        (
            d.replace("CLP*PCN0001*1*1250*", "CLP*PCN0001*1*1234567890123456789*"),
            bad(13, "CLP", 3, "amount has more than 18 digits"),
        ),
        (d.replace("BPR*I*", "BPR*Q*"), unknown(4, "BPR", 1, "Q")),
        (d.replace("*C*ACH*", "*C*EFT*"), unknown(4, "BPR", 4, "EFT")),
        (d.replace("*800*C*ACH*", "*800*X*ACH*"), unknown(4, "BPR", 3, "X")),
        (d.replace("SVC*HC:S9480*250*160*0905*1~\nDTM*472*20250120", "SVC*HC:S9480*250*160*0905*1~\nDTM*472"), bad(18, "DTM", 2, "required element is missing")),
        (edit(d, "NM1*QC*1*DOE*JANE****MI*W123456789~", "NM1*QC*1*DOE*JANE****MI*W123456789~\nNM1*QC*1*DOE*JANE~"), repeated(15, "NM1")),
        (edit(d, "NM1*QC", "NM1*ZZ*1*X~\nNM1*QC"), unknown(14, "NM1", 1, "ZZ")),
        (edit(d, "AMT*B6*200~", "AMT*B6*200~\nAMT*B6*200~"), repeated(22, "AMT")),
        (edit(d, "DTM*472*20250120~", "DTM*472*20250120~\nREF*6R*A~\nREF*6R*B~"), repeated(20, "REF")),
        (edit(d, "N4*HARTFORD*CT*06101~", "N4*HARTFORD*CT*06101~\nN4*HARTFORD*CT*06101~"), repeated(10, "N4")),
        (edit(d, "DTM*405*20250228~", "DTM*405*20250228~\nDTM*405*20250228~"), repeated(7, "DTM")),
        (d.replace("DTM*405*", "DTM*050*"), bad(6, "DTM", 1, "the 835 header carries only DTM*405 (production date)")),
        (d.replace("N1*PR*ACME HEALTH PLAN", "N1*PE*ACME HEALTH PLAN"), bad(7, "N1", 1, "the first N1 must name the payer (N1*PR)")),
        (d.replace("N1*PE*SUNRISE", "N1*PR*SUNRISE"), bad(11, "N1", 1, "the second N1 must name the payee (N1*PE)")),
        (d.replace("N1*PR*ACME HEALTH PLAN", "N1*PR"), bad(7, "N1", 2, "required element is missing")),
        (
            edit(d, "TRN*1*EFT123456*1123456789~\n", ""),
            Err(X12Error::MissingSegment { segment: 4, loop_id: "header", expected: "TRN (check or EFT trace number)" }),
        ),
        (
            edit(d, "TRN*1*EFT123456*1123456789~", "TRN*1*EFT123456*1123456789~\nTRN*1*EFT2~"),
            repeated(6, "TRN"),
        ),
        // A claim-level segment after the lines have begun.
        (
            edit(d, "\nSE*", "\nNM1*IL*1*DOE*JANE~\nSE*"),
            Err(X12Error::UnexpectedSegment { segment: 42, id: "NM1".into(), expected: "a segment of the claim or line, LX, CLP, PLB or SE" }),
        ),
        // Nothing but PLB after the first PLB.
        (
            edit(d, "\nSE*", "\nPLB*1234567893*20251231*L6*-1~\nLX*2~\nSE*"),
            Err(X12Error::UnexpectedSegment { segment: 43, id: "LX".into(), expected: "PLB or SE" }),
        ),
        (edit(d, "\nSE*", "\nPLB*1234567893*20251231~\nSE*"), bad(42, "PLB", 3, "required element is missing")),
        (edit(d, "\nSE*", "\nPLB*1234567893*20251231*L6~\nSE*"), bad(42, "PLB", 4, "adjustment amount is missing")),
        (edit(d, "\nSE*", "\nPLB*1234567893*20251231**5~\nSE*"), bad(42, "PLB", 3, "adjustment reason code is missing")),
        (edit(d, "\nSE*", "\nPLB*1234567893**L6*5~\nSE*"), bad(42, "PLB", 2, "required element is missing")),
        (d.replace("BPR*I*800*", "BPR*I**"), bad(4, "BPR", 2, "required element is missing")),
        (edit(d, "BPR*I*800*C*ACH*CCP*01*011000015*DA*123456*1123456789**01*021000021*DA*987654*20250301~\n", ""),
            Err(X12Error::UnexpectedSegment { segment: 4, id: "TRN".into(), expected: "BPR (financial information)" })),
    ];
    for (text, expected) in cases {
        assert_ne!(text, d);
        assert_eq!(parse_835(text.as_bytes()), expected, "{text}");
    }
}

#[test]
fn envelope_and_version_refusals_mirror_the_271_reader() {
    // SE02 that does not match ST02: refused whole, like the 271 corpus's lfh error file.
    let text = DOMAIN_EXAMPLE.replace("SE*40*0001", "SE*40*0002");
    assert_eq!(
        parse_835(text.as_bytes()),
        Err(X12Error::ControlNumberMismatch {
            segment: 42,
            trailer: "SE02",
            header: "ST02",
            expected: "0001".into(),
            found: "0002".into(),
        })
    );
    let text = DOMAIN_EXAMPLE.replace("SE*40*0001", "SE*41*0001");
    assert!(matches!(
        parse_835(text.as_bytes()),
        Err(X12Error::CountMismatch {
            element: "SE01",
            ..
        })
    ));
    let text = DOMAIN_EXAMPLE.replace("005010X221A1", "005010X222A1");
    assert_eq!(
        parse_835(text.as_bytes()),
        Err(X12Error::UnsupportedVersion {
            element: "GS08",
            found: "005010X222A1".into(),
            expected: "005010X221A1"
        })
    );
    // Before the errata the loops are the same.
    let text = DOMAIN_EXAMPLE.replace("005010X221A1", "005010X221");
    assert!(parse_835(text.as_bytes()).is_ok());
    let text = DOMAIN_EXAMPLE.replace("ST*835*", "ST*837*");
    assert_eq!(
        parse_835(text.as_bytes()),
        Err(X12Error::UnexpectedTransaction {
            expected: "835",
            found: "837".into()
        })
    );
    let isa = &DOMAIN_EXAMPLE[..DOMAIN_EXAMPLE.find("GS*").unwrap()];
    assert_eq!(
        parse_835(format!("{isa}IEA*0*000000301~").as_bytes()),
        Err(X12Error::UnexpectedEnd {
            expected: "a functional group (GS)"
        })
    );
    assert_eq!(
        parse_835(
            format!("{isa}GS*HP*A*B*20250301*1030*301*X*005010X221A1~GE*0*301~IEA*1*000000301~")
                .as_bytes()
        ),
        Err(X12Error::UnexpectedEnd {
            expected: "a transaction set (ST)"
        })
    );
    // A 271 is no remittance.
    let active = include_str!("../../../fixtures/x12/271_active_ppo.x12");
    assert!(matches!(
        parse_835(active.as_bytes()),
        Err(X12Error::UnexpectedTransaction { .. })
    ));
}

#[test]
fn errors_do_not_echo_element_values() {
    let text = DOMAIN_EXAMPLE.replace("CLP*PCN0001*1*1250*", "CLP*PCN0001*1*JANEDOE*");
    let message = parse_835(text.as_bytes()).unwrap_err().to_string();
    assert!(!message.contains("JANEDOE"), "{message}");
    // An unknown code is shown only as far as a code goes.
    let text = DOMAIN_EXAMPLE.replace("CLP*PCN0001*1*", "CLP*PCN0001*JANEDOE*");
    let message = parse_835(text.as_bytes()).unwrap_err().to_string();
    assert_eq!(message, "segment 13 (CLP02): unknown code \"JANE\"");
}

/// The hand-written inputs are valid 835s for an independent reader (pyx12), not only for
/// ours. Skipped when the validator is not installed (and failed under CI).
#[test]
fn the_hand_written_835s_pass_the_x12_oracle() {
    for (name, text) in [
        ("835_remittance.x12", REMITTANCE),
        ("835_domain_example.x12", DOMAIN_EXAMPLE),
    ] {
        if let Some((ok, report)) = crate::oracles::check("x12-check", name, text) {
            assert!(ok, "{name}: {report}");
        }
    }
}

// ---------------------------------------------------------------- properties

/// A generated adjustment: group, reason code, amount in cents.
type GenCas = (AdjustmentGroup, u16, i64);

/// A claim to generate: its lines' charges and adjustments (in cents), or claim-level
/// adjustments only.
#[derive(Debug, Clone)]
struct GenClaim {
    status: ClaimStatus,
    claim_cas: Vec<GenCas>,
    lines: Vec<(i64, Vec<GenCas>)>,
    charge_without_lines: i64,
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

fn adjustment() -> impl Strategy<Value = GenCas> {
    (
        prop::sample::select(AdjustmentGroup::ALL),
        1u16..300,
        -50_000i64..5_000_000,
    )
}

fn claim() -> impl Strategy<Value = GenClaim> {
    (
        prop::sample::select(ClaimStatus::ALL),
        prop::collection::vec(adjustment(), 0..3),
        prop::collection::vec(
            (0i64..10_000_000, prop::collection::vec(adjustment(), 0..4)),
            0..4,
        ),
        0i64..10_000_000,
    )
        .prop_map(
            |(status, claim_cas, lines, charge_without_lines)| GenClaim {
                status,
                claim_cas,
                lines,
                charge_without_lines,
            },
        )
}

fn cas_segments(out: &mut Vec<String>, adjustments: &[GenCas]) {
    for (group, reason, amount) in adjustments {
        out.push(format!("CAS*{}*{reason}*{}", group.code(), cents(*amount)));
    }
}

fn sum(adjustments: &[GenCas]) -> i64 {
    adjustments.iter().map(|a| a.2).sum()
}

/// An 835 whose figures balance by construction, written as a payer would.
fn generated_835(claims: &[GenClaim], plb: &[i64]) -> String {
    let mut body = vec![];
    let mut paid_total = 0;
    let mut claims_text = vec![];
    for (i, c) in claims.iter().enumerate() {
        let line_charges: i64 = c.lines.iter().map(|l| l.0).sum();
        let charge = if c.lines.is_empty() {
            c.charge_without_lines
        } else {
            line_charges
        };
        let line_cas: i64 = c.lines.iter().map(|l| sum(&l.1)).sum();
        let paid = charge - sum(&c.claim_cas) - line_cas;
        paid_total += paid;
        claims_text.push(format!(
            "CLP*PCN{i:04}*{}*{}*{}**12*PAYER{i}*13*1",
            c.status.code(),
            cents(charge),
            cents(paid)
        ));
        cas_segments(&mut claims_text, &c.claim_cas);
        claims_text.push(format!("NM1*QC*1*DOE*JANE****MI*W{i:09}"));
        for (charge, adjustments) in &c.lines {
            claims_text.push(format!(
                "SVC*HC:S9480*{}*{}*0905*1",
                cents(*charge),
                cents(charge - sum(adjustments))
            ));
            claims_text.push("DTM*472*20250120".into());
            cas_segments(&mut claims_text, adjustments);
        }
    }
    let plb_total: i64 = plb.iter().sum();
    body.push(format!(
        "BPR*I*{}*C*ACH*CCP*01*011000015*DA*123456*1123456789**01*021000021*DA*987654*20250301",
        cents(paid_total - plb_total)
    ));
    body.push("TRN*1*EFT1*1123456789".into());
    body.push("N1*PR*ACME HEALTH PLAN".into());
    body.push("PER*BL*EDI*TE*8005550000".into());
    body.push("N1*PE*SUNRISE BEHAVIORAL HEALTH*XX*1234567893".into());
    if !claims.is_empty() {
        body.push("LX*1".into());
    }
    body.extend(claims_text);
    for (i, amount) in plb.iter().enumerate() {
        body.push(format!(
            "PLB*1234567893*20251231*WO:REF{i}*{}",
            cents(*amount)
        ));
    }
    let isa = &DOMAIN_EXAMPLE[..DOMAIN_EXAMPLE.find("GS*").unwrap()];
    format!(
        "{isa}GS*HP*ACMEPAYER*SUBMITTERID*20250301*1030*301*X*005010X221A1~\nST*835*0001~\n{}~\nSE*{}*0001~\nGE*1*301~\nIEA*1*000000301~\n",
        body.join("~\n"),
        body.len() + 2
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_generated_835_round_trips_its_figures(
        claims in prop::collection::vec(claim(), 0..4),
        plb in prop::collection::vec(-100_000i64..1_000_000, 0..3),
    ) {
        let text = generated_835(&claims, &plb);
        let r = only(&text);
        prop_assert_eq!(r.claims().count(), claims.len());
        for (i, (read, made)) in r.claims().zip(&claims).enumerate() {
            prop_assert_eq!(&read.patient_control_number, &format!("PCN{i:04}"));
            prop_assert_eq!(read.status, made.status);
            let adjustments = |list: &[Adjustment]| -> Vec<(AdjustmentGroup, String, Decimal)> {
                list.iter().map(|a| (a.group, a.reason.clone(), a.amount)).collect()
            };
            let expected = |list: &[GenCas]| -> Vec<(AdjustmentGroup, String, Decimal)> {
                list.iter().map(|(g, r, a)| (*g, r.to_string(), cents(*a))).collect()
            };
            prop_assert_eq!(adjustments(&read.adjustments), expected(&made.claim_cas));
            prop_assert_eq!(read.lines.len(), made.lines.len());
            for (line, (charge, cas)) in read.lines.iter().zip(&made.lines) {
                prop_assert_eq!(line.charge, cents(*charge));
                prop_assert_eq!(line.paid, cents(charge - sum(cas)));
                prop_assert_eq!(adjustments(&line.adjustments), expected(cas));
            }
        }
        prop_assert_eq!(
            r.provider_adjustments.iter().map(|p| p.amount).collect::<Vec<_>>(),
            plb.iter().map(|c| cents(*c)).collect::<Vec<_>>()
        );
        prop_assert_eq!(r.imbalances(), vec![]);
        prop_assert!(r.warnings.is_empty());
    }

    #[test]
    fn a_line_paid_off_by_some_cents_is_the_one_imbalance(
        claims in prop::collection::vec(claim(), 1..4),
        which in any::<prop::sample::Index>(),
        delta in (1i64..1_000_000).prop_flat_map(|d| prop_oneof![Just(d), Just(-d)]),
    ) {
        let text = generated_835(&claims, &[]);
        let mut r = only(&text);
        let lines: Vec<(usize, usize)> = r.headers.iter().flat_map(|h| h.claims.iter().enumerate())
            .flat_map(|(ci, c)| (0..c.lines.len()).map(move |li| (ci, li)))
            .collect();
        prop_assume!(!lines.is_empty());
        let (ci, li) = lines[which.index(lines.len())];
        let line = &mut r.headers[0].claims[ci].lines[li];
        line.paid += cents(delta);
        let segment = line.segment;
        let [imbalance] = r.imbalances().try_into().unwrap();
        prop_assert_eq!(imbalance.difference, cents(delta));
        prop_assert_eq!(
            imbalance.place,
            format!("CLP 'PCN{ci:04}' line {} (SVC at segment {segment})", li + 1)
        );
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(parse_835(&bytes).is_err());
    }

    #[test]
    fn random_segments_after_a_valid_isa_never_panic(
        body in proptest::string::string_regex(
            "((BPR|TRN|N1|LX|TS3|CLP|CAS|NM1|MIA|MOA|SVC|DTM|REF|AMT|QTY|LQ|PLB|GS|ST|SE|GE|IEA)(\\*[0-9A-Z:>.-]{0,5}){0,8}~){0,16}"
        ).unwrap(),
    ) {
        let isa = &DOMAIN_EXAMPLE[..106];
        if let Ok(interchange) = parse_835(format!("{isa}{body}").as_bytes()) {
            for r in &interchange.remittances {
                let _ = r.imbalances();
            }
        }
    }

    #[test]
    fn mutated_remittances_never_panic(
        which in 0..2usize,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = [REMITTANCE, DOMAIN_EXAMPLE][which].as_bytes().to_vec();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(interchange) = parse_835(&bytes) {
            for r in &interchange.remittances {
                let _ = r.imbalances();
            }
        }
    }

    #[test]
    fn truncated_remittances_are_errors(which in 0..2usize, cut in any::<prop::sample::Index>()) {
        let text = [REMITTANCE, DOMAIN_EXAMPLE][which].as_bytes();
        let end = cut.index(text.len() + 1);
        // Only the whole interchange (give or take its trailing line break) may be read.
        if end + 1 < text.len() {
            prop_assert!(parse_835(&text[..end]).is_err());
        }
    }
}
