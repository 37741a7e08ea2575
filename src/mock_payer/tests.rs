//! The mock payer's tests: every scenario rendered in all three protocols, read back by the
//! readers perdiem uses (`parse_271`, `json_wire`, `fhir_wire`) and summarized; the oracles on
//! the rendered 271s and FHIR responses; and real HTTP round trips.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::core_envelope::{
    self, PAYLOAD_TYPE_270, PAYLOAD_TYPE_271, PAYLOAD_TYPE_999, PAYLOAD_TYPE_TA1,
};
use super::inquiry::{self, Asked};
use super::render_fhir::render_fhir;
use super::render_json::render_json;
use super::render_x12::render_271;
use super::*;
use crate::domain::benefits::{
    summarize, CarveOut, Contact, CopayPer, CoverageStatus, GeneralFigure, LevelSummary,
    OtherCoverage, OtherPayerOrder, YesNoUnknown,
};
use crate::domain::eligibility::{
    AppliesVia, EligibilityAnswer, Inquiry, InquiryPerson, LevelOfCare, Program, Sourced,
};
use crate::domain::identity::{self, IdentityReport};
use crate::payers::core_soap::{self, Soap, UsernameToken};
use crate::payers::fhir_wire::tests::fhir_check;
use crate::payers::{fhir_wire, json_wire, x12_map};
use crate::x12::{
    build_270, parse_271, parse_acknowledgment, AckStatus, Acknowledgment, ControlNumbers,
    DateOrRange, Delimiters, Dependent270, Envelope, Gender, InformationReceiver,
    InformationSource, Inquiry270, Interchange, PartyId, ServiceTypeLayout, Subscriber270,
    TraceNumber, Usage,
};

// ---------------------------------------------------------------------------------------------
// Helpers: an inquiry in each protocol, and a 271 read into the neutral answer.

fn inquiry(member_id: &str) -> Inquiry {
    Inquiry {
        trace: "VOB-7001".into(),
        control_number: 7001,
        payer_name: "MOCK HEALTH PLAN".into(),
        payer_edi_id: "MOCKPAYER".into(),
        provider_name: "SUNRISE BEHAVIORAL HEALTH".into(),
        provider_npi: "1234567893".into(),
        provider_tax_id: "123456789".into(),
        member_id: member_id.into(),
        group_number: Some("GRP0042".into()),
        subscriber: InquiryPerson {
            first_name: "JANE".into(),
            last_name: "DOE".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(),
            sex: Some("F".into()),
        },
        dependent: None,
        service_types: vec!["BB".into()],
        service_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    }
}

fn person270(p: &InquiryPerson) -> (Option<NaiveDate>, Option<Gender>) {
    let gender = match p.sex.as_deref() {
        Some("F") => Some(Gender::Female),
        Some("M") => Some(Gender::Male),
        _ => None,
    };
    (Some(p.date_of_birth), gender)
}

fn x12_270(q: &Inquiry) -> String {
    let (birth_date, gender) = person270(&q.subscriber);
    build_270(&Inquiry270 {
        envelope: Envelope {
            sender: PartyId {
                qualifier: "ZZ".into(),
                id: "PERDIEM".into(),
            },
            receiver: PartyId {
                qualifier: "ZZ".into(),
                id: "MOCKPAYER".into(),
            },
            application_sender: None,
            application_receiver: None,
            usage: Usage::Test,
            ack_requested: false,
            control_numbers: ControlNumbers {
                interchange: 7001,
                group: 7001,
                transaction_set: 1,
            },
            timestamp: NaiveDate::from_ymd_opt(2026, 11, 23)
                .unwrap()
                .and_hms_opt(10, 30, 0)
                .unwrap(),
            delimiters: Delimiters::STANDARD,
        },
        reference: q.trace.clone(),
        source: InformationSource {
            payer_name: q.payer_name.clone(),
            payer_id: q.payer_edi_id.clone(),
        },
        receiver: InformationReceiver {
            name: q.provider_name.clone(),
            npi: q.provider_npi.clone(),
        },
        subscriber: Subscriber270 {
            last_name: q.subscriber.last_name.clone(),
            first_name: q.subscriber.first_name.clone(),
            member_id: q.member_id.clone(),
            birth_date,
            gender,
        },
        dependent: q.dependent.as_ref().map(|d| {
            let (birth_date, gender) = person270(d);
            Dependent270 {
                last_name: d.last_name.clone(),
                first_name: d.first_name.clone(),
                birth_date,
                gender,
            }
        }),
        trace: TraceNumber {
            reference: q.trace.clone(),
            originator_id: format!("1{}", q.provider_tax_id),
        },
        service_date: Some(DateOrRange::Single(q.service_date)),
        service_types: q.service_types.clone(),
        service_type_layout: ServiceTypeLayout::OneEqPerCode,
    })
    .unwrap()
}

fn reply_envelope() -> Envelope {
    Envelope {
        sender: PartyId {
            qualifier: "ZZ".into(),
            id: "MOCKPAYER".into(),
        },
        receiver: PartyId {
            qualifier: "ZZ".into(),
            id: "PERDIEM".into(),
        },
        application_sender: None,
        application_receiver: None,
        usage: Usage::Test,
        ack_requested: false,
        control_numbers: ControlNumbers {
            interchange: 1,
            group: 1,
            transaction_set: 1,
        },
        timestamp: NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(10, 30, 5)
            .unwrap(),
        delimiters: Delimiters::STANDARD,
    }
}

/// What the mock reads from each protocol's request for `q`.
fn asked_x12(q: &Inquiry) -> Asked {
    inquiry::from_270(&Interchange::parse(x12_270(q).as_bytes()).unwrap()).unwrap()
}

fn asked_json(q: &Inquiry) -> Asked {
    inquiry::from_json(json_wire::request(q).to_string().as_bytes()).unwrap()
}

fn asked_fhir(q: &Inquiry) -> Asked {
    inquiry::from_fhir(fhir_wire::request(q, Utc::now()).to_string().as_bytes()).unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Wire {
    X12,
    Json,
    Fhir,
}

const WIRES: [Wire; 3] = [Wire::X12, Wire::Json, Wire::Fhir];

fn created() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 30, 5).unwrap()
}

/// `scenario` rendered for `q` on `wire` and read back by perdiem's reader for that wire.
fn round_trip(scenario: &Scenario, q: &Inquiry, wire: Wire) -> EligibilityAnswer {
    match wire {
        Wire::X12 => {
            // As the adapter reads it: of a batch, the member with our trace.
            let text = render_271(scenario, &asked_x12(q), &reply_envelope()).unwrap();
            let members = crate::x12::parse_271_batch(text.as_bytes()).unwrap();
            x12_map::answer_for_trace(&members, &q.trace).unwrap()
        }
        Wire::Json => {
            let body = render_json(scenario, &asked_json(q)).to_string();
            json_wire::parse_answer(body.as_bytes(), q).unwrap()
        }
        Wire::Fhir => {
            let body = render_fhir(scenario, &asked_fhir(q), created()).unwrap();
            fhir_wire::parse_response(&body).unwrap()
        }
    }
}

fn php(a: &EligibilityAnswer) -> LevelSummary {
    summarize(a, LevelOfCare::Php, Program::MentalHealth)
}

fn iop(a: &EligibilityAnswer) -> LevelSummary {
    summarize(a, LevelOfCare::Iop, Program::MentalHealth)
}

fn money(m: &Option<Sourced<crate::domain::eligibility::MoneyText>>) -> Option<&str> {
    m.as_ref().map(|m| m.value.as_str())
}

fn text<T: Clone>(s: &Option<Sourced<T>>) -> Option<T> {
    s.as_ref().map(|s| s.value.clone())
}

fn bundled() -> Scenarios {
    Scenarios::bundled().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Scenarios as data.

const MEMBER_IDS: [&str; 28] = [
    "MOCK-COPAY",
    "MOCK-DEDUCTIBLE",
    "MOCK-DEDUCTIBLE-COPAY",
    "MOCK-INACTIVE",
    "MOCK-BADID",
    "MOCK-NOTFOUND",
    "MOCK-BUSY",
    "MOCK-NOPHP",
    "MOCK-PRIORAUTH",
    "MOCK-CARVEOUT",
    "MOCK-OOPMET",
    "MOCK-SLOW",
    "MOCK-500",
    "MOCK-TIMEOUT",
    "MOCK-GARBAGE",
    "MOCK-TRUNCATED",
    "MOCK-999",
    "MOCK-TA1",
    "MOCK-FACILITY-ONLY",
    "MOCK-CONTACTS",
    "MOCK-OTHER-PAYER",
    "MOCK-OTHER-MEMBER",
    "MOCK-OTHER-TRACE",
    "MOCK-RELAYED",
    "MOCK-CORRECTED-ID",
    "MOCK-NAME-DIFFERS",
    "MOCK-BOM-CRLF",
    "MOCK-BATCH",
];

#[test]
fn the_bundled_scenarios_are_exactly_the_documented_ones() {
    let scenarios = bundled();
    let ids: Vec<&str> = scenarios.iter().map(|s| s.member_id.as_str()).collect();
    let mut expected = MEMBER_IDS.to_vec();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let from_file = Scenarios::load(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mock-payer/scenarios.json"),
    )
    .unwrap();
    assert_eq!(from_file, scenarios);
    let faults: BTreeMap<&str, FaultKind> = scenarios
        .iter()
        .filter_map(|s| Some((s.member_id.as_str(), s.fault?.kind)))
        .collect();
    assert_eq!(
        faults,
        BTreeMap::from([
            ("MOCK-500", FaultKind::Http500),
            ("MOCK-GARBAGE", FaultKind::Garbage),
            ("MOCK-SLOW", FaultKind::Latency),
            ("MOCK-TIMEOUT", FaultKind::Timeout),
            ("MOCK-TRUNCATED", FaultKind::Truncated),
            ("MOCK-999", FaultKind::Reject999),
            ("MOCK-TA1", FaultKind::RejectTa1),
        ])
    );
}

#[test]
fn bad_scenario_files_are_refused_with_the_member_id() {
    let cases = [
        (
            r#"{"A": {"member_id": "B", "description": ""}}"#,
            "keyed as A",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "b", "service_types": ["30"]}]}}"#,
            "not an X12 code",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "1", "service_types": []}]}}"#,
            "names no service type",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "1", "service_types": ["30"], "messages": ["50*50"]}]}}"#,
            "does not render as a 271",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "1", "service_types": ["30"], "network": "X"}]}}"#,
            "network must be",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "C", "service_types": ["30"], "amount": 1500.5}]}}"#,
            "not valid",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "fault": {"kind": "slow"}}}"#,
            "not valid",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "colour": 1}}"#,
            "not valid",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "A", "service_types": ["50"], "places_of_service": ["2"]}]}}"#,
            "two-digit place of service",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "U", "related_entities": [{"entity_code": "VN"}]}]}}"#,
            "needs a name",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "benefits": [{"code": "R", "dates": [{"qualifier": "290", "begin": "2026-02-01", "end": "2026-01-01"}]}]}}"#,
            "ends before it begins",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "batch_with": {"members": 2, "ours_at": 3}}}"#,
            "batch_with",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "answer_as": {"prior_member_id": true}}}"#,
            "needs the corrected",
        ),
        (
            r#"{"A": {"member_id": "A", "description": "", "x12_format": {"line_ending": "cr"}}}"#,
            "not valid",
        ),
    ];
    for (json, expected) in cases {
        let error = Scenarios::parse(json).unwrap_err().to_string();
        assert!(error.contains(expected), "{json}: {error}");
    }
    assert!(matches!(
        Scenarios::load("/nonexistent/scenarios.json"),
        Err(ScenarioError::Io(_))
    ));
}

#[test]
fn an_unknown_member_is_not_found() {
    let answer = bundled().answer_for("W000000000");
    let reject = answer.reject.unwrap();
    assert_eq!(
        (reject.code.as_str(), reject.follow_up.as_str()),
        ("75", "C")
    );
}

// ---------------------------------------------------------------------------------------------
// Every scenario, every protocol, read back and summarized.

/// What the summaries must show for `member_id`, whatever the protocol.
fn check_scenario(member_id: &str, wire: Wire, a: &EligibilityAnswer) {
    let at = format!("{member_id} over {wire:?}");
    let (p, i) = (php(a), iop(a));
    let active_plan = |name: &str| {
        assert_eq!(p.coverage_status.value, CoverageStatus::Active, "{at}");
        assert_eq!(text(&p.plan_name).as_deref(), Some(name), "{at}");
        assert_eq!(text(&p.plan_begin).as_deref(), Some("2026-01-01"), "{at}");
        assert_eq!(text(&p.plan_end).as_deref(), Some("2026-12-31"), "{at}");
        assert!(a.rejections.is_empty(), "{at}");
    };
    let rejected = |code: &str, follow_up: &str| {
        assert_eq!(a.rejections.len(), 1, "{at}");
        let r = &a.rejections[0];
        assert_eq!(
            (r.code.as_str(), r.follow_up.as_deref()),
            (code, Some(follow_up)),
            "{at}"
        );
        assert!(a.benefits.is_empty(), "{at}");
        assert_eq!(p.coverage_status.value, CoverageStatus::Unknown, "{at}");
    };
    let copay = |s: &LevelSummary, amount: &str| {
        let copay = s
            .in_network
            .copay
            .as_ref()
            .unwrap_or_else(|| panic!("{at}: no copay"));
        assert_eq!(
            (copay.amount.as_str(), copay.per),
            (amount, CopayPer::Day),
            "{at}"
        );
    };
    match member_id {
        "MOCK-COPAY" | "MOCK-SLOW" => {
            active_plan("MOCK GOLD PPO");
            copay(&p, "100.00");
            copay(&i, "50.00");
            assert_eq!(
                p.service_covered.as_ref().map(|s| s.value),
                Some(true),
                "{at}"
            );
            if member_id == "MOCK-COPAY" {
                assert_eq!(
                    text(&p.out_of_network.coinsurance_percent).as_deref(),
                    Some("40"),
                    "{at}"
                );
                assert_eq!(
                    text(&i.out_of_network.coinsurance_percent).as_deref(),
                    Some("40"),
                    "{at}"
                );
                assert_eq!(p.out_of_network.copay, None, "{at}");
            }
        }
        "MOCK-DEDUCTIBLE" => {
            active_plan("MOCK SILVER PPO 1500");
            for s in [&p, &i] {
                let d = &s.in_network.deductible;
                assert_eq!(money(&d.individual.total), Some("1500.00"), "{at}");
                assert_eq!(money(&d.individual.remaining), Some("900.00"), "{at}");
                assert_eq!(money(&d.individual.met), Some("600.00"), "{at}");
                assert_eq!(money(&d.family.total), Some("3000.00"), "{at}");
                assert_eq!(money(&d.family.remaining), Some("2100.00"), "{at}");
                assert_eq!(money(&d.family.met), Some("900.00"), "{at}");
                let out = &s.out_of_network.deductible;
                assert_eq!(money(&out.individual.total), Some("3000.00"), "{at}");
                assert_eq!(money(&out.individual.remaining), Some("3000.00"), "{at}");
                assert_eq!(money(&out.family.total), Some("6000.00"), "{at}");
                let oop = &s.in_network.out_of_pocket;
                assert_eq!(money(&oop.individual.total), Some("5000.00"), "{at}");
                assert_eq!(money(&oop.individual.remaining), Some("3850.00"), "{at}");
                assert_eq!(money(&oop.family.remaining), Some("8200.00"), "{at}");
                assert_eq!(
                    text(&s.in_network.coinsurance_percent).as_deref(),
                    Some("20"),
                    "{at}"
                );
                assert_eq!(
                    text(&s.out_of_network.coinsurance_percent).as_deref(),
                    Some("40"),
                    "{at}"
                );
            }
        }
        "MOCK-DEDUCTIBLE-COPAY" => {
            active_plan("MOCK BRONZE PPO 1000");
            for s in [&p, &i] {
                let d = &s.in_network.deductible.individual;
                assert_eq!(money(&d.total), Some("1000.00"), "{at}");
                assert_eq!(money(&d.remaining), Some("400.00"), "{at}");
                assert_eq!(money(&d.met), Some("600.00"), "{at}");
            }
            copay(&p, "75.00");
            copay(&i, "40.00");
        }
        "MOCK-INACTIVE" => {
            assert_eq!(p.coverage_status.value, CoverageStatus::Inactive, "{at}");
            assert_eq!(text(&p.plan_end).as_deref(), Some("2025-12-31"), "{at}");
            assert!(p.messages.iter().any(|m| m.contains("TERMINATED")), "{at}");
        }
        "MOCK-BADID" => rejected("72", "C"),
        "MOCK-NOTFOUND" => rejected("75", "C"),
        "MOCK-BUSY" => {
            rejected("42", "R");
            assert!(a.rejections[0].is_transient(), "{at}");
        }
        "MOCK-NOPHP" => {
            assert_eq!(p.coverage_status.value, CoverageStatus::Active, "{at}");
            assert_eq!(
                p.service_covered.as_ref().map(|s| s.value),
                Some(false),
                "{at}"
            );
            assert_eq!(
                i.service_covered.as_ref().map(|s| s.value),
                Some(true),
                "{at}"
            );
            copay(&i, "45.00");
        }
        "MOCK-PRIORAUTH" => {
            active_plan("MOCK GOLD POS");
            for s in [&p, &i] {
                assert_eq!(
                    s.in_network.prior_authorization.value,
                    YesNoUnknown::Yes,
                    "{at}"
                );
                assert!(
                    s.messages
                        .iter()
                        .any(|m| m == "PRIOR AUTHORIZATION REQUIRED"),
                    "{at}"
                );
            }
            copay(&p, "100.00");
            copay(&i, "50.00");
        }
        "MOCK-CARVEOUT" => {
            active_plan("MOCK CHOICE HMO");
            for s in [&p, &i] {
                let carve = s
                    .carve_out
                    .as_ref()
                    .unwrap_or_else(|| panic!("{at}: no carve-out"));
                assert_eq!(
                    carve.name.as_deref(),
                    Some("OPTUM BEHAVIORAL HEALTH"),
                    "{at}"
                );
                assert_eq!(carve.phone.as_deref(), Some("8005551234"), "{at}");
                assert_eq!(carve.identifier.as_deref(), Some("87726"), "{at}");
            }
        }
        "MOCK-OOPMET" => {
            active_plan("MOCK PLATINUM PPO");
            let oop = &p.in_network.out_of_pocket.individual;
            assert_eq!(money(&oop.total), Some("4000.00"), "{at}");
            assert_eq!(money(&oop.remaining), Some("0.00"), "{at}");
            assert_eq!(money(&oop.met), Some("4000.00"), "{at}");
            assert_eq!(
                money(&p.in_network.deductible.individual.remaining),
                Some("0.00"),
                "{at}"
            );
        }
        "MOCK-TRUNCATED" => {
            // Rendered whole here; the HTTP layer cuts it.
            active_plan("MOCK GOLD PPO");
            assert_eq!(
                money(&p.in_network.deductible.individual.remaining),
                Some("1500.00"),
                "{at}"
            );
        }
        "MOCK-FACILITY-ONLY" => {
            active_plan("MOCK COMMERCIAL PPO");
            let sud = summarize(a, LevelOfCare::Iop, Program::SubstanceUse);
            for s in [&p, &i, &sud] {
                check_facility_only(&at, s);
            }
            // Mental health is stated only as active (EB*1 MH, EB12 W): covered, via the
            // program step; substance use is not stated at all.
            for s in [&p, &i] {
                let covered = s.service_covered.as_ref().expect("MH is active");
                assert_eq!(
                    (covered.value, covered.applies_via),
                    (true, Some(AppliesVia::Program)),
                    "{at}"
                );
            }
            assert_eq!(sud.service_covered, None, "{at}");
        }
        "MOCK-CONTACTS" => {
            active_plan("MOCK OPEN ACCESS PLAN");
            for (s, step) in [(&p, "BB"), (&i, "A8")] {
                let carve = s
                    .carve_out
                    .as_ref()
                    .unwrap_or_else(|| panic!("{at}: no carve-out"));
                assert_eq!(
                    carve,
                    &CarveOut {
                        name: Some("MOCK BEHAVIORAL VENDOR".into()),
                        entity_code: Some("VN".into()),
                        id_qualifier: Some("SV".into()),
                        identifier: Some("BHV12345".into()),
                        phone: Some("8005557788".into()),
                        applies_via: Some(AppliesVia::Level),
                        source: carve.source.clone(),
                    },
                    "{at} ({step})"
                );
                assert!(carve.source.ends_with("(related entity)"), "{at}");
                // FHIR splits the one EB*U into an item per service type: the carve-out named
                // again on the other behavioral items is still not a contact.
                let contacts: Vec<&Contact> = s.contacts.iter().collect();
                let [contact] = contacts.as_slice() else {
                    panic!("{at}: {:?}", s.contacts)
                };
                assert_eq!(
                    *contact,
                    &Contact {
                        name: Some("MOCK HEALTH PLAN".into()),
                        entity_code: Some("PR".into()),
                        role: "payer".into(),
                        id_qualifier: Some("PI".into()),
                        identifier: Some("MOCKPAYER".into()),
                        phone: Some("8005550100".into()),
                        purpose: "contact for eligibility or benefit information (all services)"
                            .into(),
                        is_payer: true,
                        source: contact.source.clone(),
                    },
                    "{at}"
                );
                assert!(s.other_coverage.is_empty(), "{at}");
            }
        }
        "MOCK-OTHER-PAYER" => {
            active_plan("MOCK STATE MEDICAID");
            copay(&p, "0.00");
            copay(&i, "0.00");
            for s in [&p, &i] {
                let [other] = s.other_coverage.as_slice() else {
                    panic!("{at}: {:?}", s.other_coverage)
                };
                // FHIR's other coverage has no place for the row's messages.
                let messages = match wire {
                    Wire::Fhir => Vec::new(),
                    Wire::X12 | Wire::Json => vec!["MEDICARE PART B IS PRIMARY".to_string()],
                };
                assert_eq!(
                    other,
                    &OtherCoverage {
                        name: Some("MEDICARE".into()),
                        entity_code: Some("PRP".into()),
                        order: OtherPayerOrder::Primary,
                        id_qualifier: Some("PI".into()),
                        identifier: Some("CMS".into()),
                        phone: Some("8006334227".into()),
                        insurance_type: Some("MB".into()),
                        policy_number: Some("1EG4TE5MK73".into()),
                        group_number: None,
                        plan_number: None,
                        begin: Some("2025-01-01".into()),
                        end: Some("2026-12-31".into()),
                        messages,
                        source: other.source.clone(),
                    },
                    "{at}"
                );
                // Another payer is neither a contact nor a carve-out.
                assert!(s.contacts.is_empty() && s.carve_out.is_none(), "{at}");
            }
        }
        "MOCK-OTHER-MEMBER" | "MOCK-OTHER-TRACE" | "MOCK-RELAYED" | "MOCK-CORRECTED-ID"
        | "MOCK-NAME-DIFFERS" | "MOCK-BOM-CRLF" | "MOCK-BATCH" => {
            // Readable answers whatever whom they are about (the identity check, not the
            // reader, refuses someone else's): MOCK-COPAY's plan and copays.
            active_plan("MOCK GOLD PPO");
            copay(&p, "100.00");
        }
        "MOCK-500" | "MOCK-TIMEOUT" | "MOCK-GARBAGE" | "MOCK-999" | "MOCK-TA1" => {
            // Faults only: whatever gets through says nothing.
            assert_eq!(p.coverage_status.value, CoverageStatus::Unknown, "{at}");
            assert!(a.benefits.is_empty() && a.rejections.is_empty(), "{at}");
        }
        other => panic!("{other}: add the scenario's expectations to check_scenario"),
    }
}

/// MOCK-FACILITY-ONLY's summary for any behavioral level: individual figures from the
/// facility outpatient rows billed at 22 (never the office or professional ones), the family
/// deductible from the plan, each marked as not behavioral-specific.
fn check_facility_only(at: &str, s: &LevelSummary) {
    assert_eq!(s.place_of_service, "22", "{at}");
    let via = |m: &Option<Sourced<crate::domain::eligibility::MoneyText>>| {
        m.as_ref().and_then(|m| m.applies_via)
    };
    let d = &s.in_network.deductible.individual;
    assert_eq!(money(&d.total), Some("2000.00"), "{at}");
    assert_eq!(money(&d.remaining), Some("1250.00"), "{at}");
    assert_eq!(money(&d.met), Some("750.00"), "{at}");
    for m in [&d.total, &d.remaining, &d.met] {
        assert_eq!(via(m), Some(AppliesVia::Facility), "{at}");
    }
    let f = &s.in_network.deductible.family;
    assert_eq!(money(&f.total), Some("6000.00"), "{at}");
    assert_eq!(money(&f.remaining), Some("5000.00"), "{at}");
    assert_eq!(money(&f.met), Some("1000.00"), "{at}");
    for m in [&f.total, &f.remaining, &f.met] {
        assert_eq!(via(m), Some(AppliesVia::Plan), "{at}");
    }
    let oop = &s.in_network.out_of_pocket.individual;
    assert_eq!(money(&oop.total), Some("6000.00"), "{at}");
    assert_eq!(money(&oop.remaining), Some("4500.00"), "{at}");
    assert_eq!(money(&oop.met), Some("1500.00"), "{at}");
    assert_eq!(via(&oop.total), Some(AppliesVia::Facility), "{at}");
    assert_eq!(
        s.in_network.out_of_pocket.family,
        Default::default(),
        "{at}"
    );
    let coinsurance = |c: &Option<Sourced<String>>| {
        c.as_ref()
            .map(|c| (c.value.clone(), c.applies_via))
            .unwrap_or_else(|| panic!("{at}: no coinsurance"))
    };
    assert_eq!(
        coinsurance(&s.in_network.coinsurance_percent),
        ("20".to_string(), Some(AppliesVia::Facility)),
        "{at}"
    );
    assert_eq!(
        coinsurance(&s.out_of_network.coinsurance_percent),
        ("40".to_string(), Some(AppliesVia::Facility)),
        "{at}"
    );
    assert_eq!(s.in_network.copay, None, "{at}");
    let figure = |figure: &str, applies_via| GeneralFigure {
        figure: figure.into(),
        applies_via,
    };
    assert_eq!(
        s.general_figures,
        [
            figure("in_network.deductible.individual", AppliesVia::Facility),
            figure("in_network.deductible.family", AppliesVia::Plan),
            figure("in_network.out_of_pocket.individual", AppliesVia::Facility),
            figure("in_network.coinsurance_percent", AppliesVia::Facility),
            figure("out_of_network.coinsurance_percent", AppliesVia::Facility),
        ],
        "{at}"
    );
    assert!(s.carve_out.is_none() && s.contacts.is_empty(), "{at}");
}

#[test]
fn every_scenario_reads_back_the_same_over_every_protocol() {
    for scenario in bundled().iter() {
        let q = inquiry(&scenario.member_id);
        for wire in WIRES {
            let answer = round_trip(scenario, &q, wire);
            check_scenario(&scenario.member_id, wire, &answer);
            // Every answer is about the member asked about, except the two that are not.
            let identity = identity::check(&q, &answer);
            match scenario.member_id.as_str() {
                "MOCK-OTHER-MEMBER" | "MOCK-OTHER-TRACE" => {
                    assert!(identity.is_err(), "{} over {wire:?}", scenario.member_id)
                }
                id => assert!(identity.is_ok(), "{id} over {wire:?}: {identity:?}"),
            }
        }
    }
}

#[test]
fn a_dependent_is_answered_in_loop_2000d() {
    let mut q = inquiry("MOCK-DEDUCTIBLE");
    q.dependent = Some(InquiryPerson {
        first_name: "EMMA".into(),
        last_name: "DOE".into(),
        date_of_birth: NaiveDate::from_ymd_opt(2009, 5, 21).unwrap(),
        sex: Some("F".into()),
    });
    let scenario = bundled().answer_for("MOCK-DEDUCTIBLE");
    let asked = asked_x12(&q);
    assert_eq!(asked.patient().first_name.as_deref(), Some("EMMA"));
    let text = render_271(&scenario, &asked, &reply_envelope()).unwrap();
    let parsed = parse_271(text.as_bytes()).unwrap();
    let dependent = parsed.dependent.as_ref().unwrap();
    assert_eq!(dependent.name.first.as_deref(), Some("EMMA"));
    assert_eq!(dependent.traces[0].reference, "VOB-7001");
    assert!(parsed.subscriber.as_ref().unwrap().benefits.is_empty());
    check_scenario("MOCK-DEDUCTIBLE", Wire::X12, &x12_map::answer(&parsed));
    for wire in [Wire::Json, Wire::Fhir] {
        check_scenario("MOCK-DEDUCTIBLE", wire, &round_trip(&scenario, &q, wire));
    }
    assert_eq!(
        asked_fhir(&q).dependent.unwrap().first_name.as_deref(),
        Some("EMMA")
    );
    assert_eq!(
        asked_json(&q).dependent.unwrap().first_name.as_deref(),
        Some("EMMA")
    );
}

#[test]
fn the_271_echoes_the_270() {
    let q = inquiry("MOCK-COPAY");
    let text = render_271(
        &bundled().answer_for("MOCK-COPAY"),
        &asked_x12(&q),
        &reply_envelope(),
    )
    .unwrap();
    let r = parse_271(text.as_bytes()).unwrap();
    assert_eq!(r.group.functional_id, "HB");
    assert_eq!(r.purpose_code, "11");
    assert_eq!(r.reference.as_deref(), Some("VOB-7001"));
    assert_eq!(r.source.name.id.as_deref(), Some("MOCKPAYER"));
    assert_eq!(
        r.receiver.as_ref().unwrap().name.id.as_deref(),
        Some("1234567893")
    );
    let subscriber = r.subscriber.as_ref().unwrap();
    let trace = &subscriber.traces[0];
    assert_eq!(
        (trace.trace_type.as_str(), trace.reference.as_str()),
        ("2", "VOB-7001")
    );
    assert_eq!(trace.originator_id.as_deref(), Some("1123456789"));
    assert_eq!(subscriber.name.id.as_deref(), Some("MOCK-COPAY"));
    assert_eq!(
        subscriber.demographics.as_ref().unwrap().birth_date,
        NaiveDate::from_ymd_opt(1985, 3, 12)
    );
    // EB03 repeated, EB04/EB05 on the plan row (CORE 154).
    assert!(
        text.contains("EB*1*IND*30^MH^BB^A8*PR*MOCK GOLD PPO~"),
        "{text}"
    );
    assert!(
        text.contains("EB*B*IND*BB***7*100*****Y~MSG*COPAY APPLIES"),
        "{text}"
    );
    assert!(text.contains("EB*A*IND*BB^A8^MH*****.4****N~"), "{text}");
}

#[test]
fn carve_out_entities_are_written_between_ls_and_le() {
    let q = inquiry("MOCK-CARVEOUT");
    let text = render_271(
        &bundled().answer_for("MOCK-CARVEOUT"),
        &asked_x12(&q),
        &reply_envelope(),
    )
    .unwrap();
    assert!(
        text.contains(
            "EB*U*IND*MH^BB^A8~MSG*BEHAVIORAL HEALTH ADMINISTERED BY OPTUM BEHAVIORAL HEALTH 800-555-1234~\
             LS*2120~NM1*PR*2*OPTUM BEHAVIORAL HEALTH*****PI*87726~PER*IC**TE*8005551234~LE*2120~"
        ),
        "{text}"
    );
}

#[test]
fn places_of_service_references_dates_and_contacts_are_written_where_the_guide_puts_them() {
    let render = |id: &str| {
        render_271(
            &bundled().answer_for(id),
            &asked_x12(&inquiry(id)),
            &reply_envelope(),
        )
        .unwrap()
    };
    // 2110C EB, MSG, then 2115C III.
    let facility = render("MOCK-FACILITY-ONLY");
    assert!(
        facility.contains("EB*C*IND*50^47***23*2000*****Y~MSG*FACILITY~III*ZZ*22~"),
        "{facility}"
    );
    assert!(
        facility.contains("EB*C*IND*98***23*500*****Y~MSG*PROFESSIONAL~III*ZZ*11~"),
        "{facility}"
    );
    assert!(facility.contains("EB*1*IND*MH*********W~"), "{facility}");
    // EB04 on the row, then REF, DTP (RD8), MSG and the 2120 entity.
    let other = render("MOCK-OTHER-PAYER");
    assert!(
        other.contains(
            "EB*R**30*MB~REF*IG*1EG4TE5MK73~DTP*290*RD8*20250101-20261231~\
             MSG*MEDICARE PART B IS PRIMARY~LS*2120~NM1*PRP*2*MEDICARE*****PI*CMS~\
             PER*IC**TE*8006334227~LE*2120~"
        ),
        "{other}"
    );
    let contacts = render("MOCK-CONTACTS");
    assert!(
        contacts.contains(
            "EB*U*IND*MH^BB^A8~MSG*BEHAVIORAL HEALTH BENEFITS ARE MANAGED BY A SEPARATE VENDOR~\
             LS*2120~NM1*VN*2*MOCK BEHAVIORAL VENDOR*****SV*BHV12345~PER*IC**TE*8005557788~\
             LE*2120~EB*U~MSG*MEMBER SERVICES~LS*2120~NM1*PR*2*MOCK HEALTH PLAN*****PI*MOCKPAYER~\
             PER*IC**TE*8005550100~LE*2120~"
        ),
        "{contacts}"
    );
}

#[test]
fn the_member_services_contact_is_the_payer_the_inquiry_was_sent_to_on_every_protocol() {
    let scenario = bundled().answer_for("MOCK-CONTACTS");
    let mut q = inquiry("MOCK-CONTACTS");
    q.payer_name = "BLUE PLAN OF TEXAS".into();
    q.payer_edi_id = "P1234ABCD".into();
    let text = render_271(&scenario, &asked_x12(&q), &reply_envelope()).unwrap();
    assert!(
        text.contains("NM1*PR*2*BLUE PLAN OF TEXAS*****PI*P1234ABCD~PER*IC**TE*8005550100~"),
        "{text}"
    );
    for wire in WIRES {
        let a = round_trip(&scenario, &q, wire);
        let payer = a.payer.as_ref().unwrap();
        assert_eq!(payer.id.as_deref(), Some("P1234ABCD"), "{wire:?}");
        let summary = php(&a);
        let member_services: Vec<&Contact> = summary
            .contacts
            .iter()
            .filter(|c| c.phone.as_deref() == Some("8005550100"))
            .collect();
        let [contact] = member_services.as_slice() else {
            panic!("{wire:?}: {member_services:?}")
        };
        assert!(contact.is_payer, "{wire:?}");
        assert_eq!(contact.identifier.as_deref(), Some("P1234ABCD"), "{wire:?}");
        assert_eq!(contact.entity_code.as_deref(), Some("PR"), "{wire:?}");
    }
}

#[test]
fn answers_about_someone_else_are_mismatches_and_corrections_are_reported_on_every_protocol() {
    let scenarios = bundled();
    for wire in WIRES {
        let answer = |id: &str| round_trip(&scenarios.answer_for(id), &inquiry(id), wire);
        let check = |id: &str| identity::check(&inquiry(id), &answer(id));
        let other = check("MOCK-OTHER-MEMBER").unwrap_err();
        assert!(
            other.starts_with(
                "member id: the payer answered for member W999999999, we asked about \
                 MOCK-OTHER-MEMBER"
            ),
            "{wire:?}: {other}"
        );
        let trace = check("MOCK-OTHER-TRACE").unwrap_err();
        assert!(
            trace.starts_with("trace number:") && trace.contains("carries 987654321, not ours"),
            "{wire:?}: {trace}"
        );
        assert_eq!(
            check("MOCK-CORRECTED-ID").unwrap(),
            IdentityReport {
                corrected_member_id: Some("W900000002".into()),
                payer_data: Vec::new(),
            },
            "{wire:?}"
        );
        // FHIR has no place for the payer's "identifying data changed" flag.
        let flag = match wire {
            Wire::Fhir => "",
            Wire::X12 | Wire::Json => " (the payer says it changed identifying data)",
        };
        assert_eq!(
            check("MOCK-NAME-DIFFERS").unwrap(),
            IdentityReport {
                corrected_member_id: None,
                payer_data: vec![format!(
                    "the payer has the last name as SMITH-JONES, we sent DOE{flag}"
                )],
            },
            "{wire:?}"
        );
        assert_eq!(
            check("MOCK-RELAYED").unwrap(),
            IdentityReport::default(),
            "{wire:?}"
        );
        // The clearinghouse's trace is kept beside ours where the protocol can carry it.
        let traces = answer("MOCK-RELAYED").answered_for.unwrap().traces;
        let expected: &[&str] = match wire {
            Wire::Fhir => &["VOB-7001"],
            Wire::X12 | Wire::Json => &["VOB-7001", "CLEARINGHOUSE-TRACE-1"],
        };
        assert_eq!(traces, expected, "{wire:?}");
        let about = answer("MOCK-OTHER-MEMBER").answered_for.unwrap();
        assert_eq!(
            (
                about.member_id.as_deref(),
                about.first_name.as_deref(),
                about.last_name.as_deref(),
                about.birth_date,
            ),
            (
                Some("W999999999"),
                Some("JOHN"),
                Some("SMITH"),
                NaiveDate::from_ymd_opt(1970, 1, 1)
            ),
            "{wire:?}"
        );
    }
}

#[test]
fn a_dependent_answered_under_other_data_is_reported_in_the_dependents_loop() {
    let mut q = inquiry("MOCK-NAME-DIFFERS");
    q.dependent = Some(InquiryPerson {
        first_name: "EMMA".into(),
        last_name: "DOE".into(),
        date_of_birth: NaiveDate::from_ymd_opt(2009, 5, 21).unwrap(),
        sex: Some("F".into()),
    });
    let scenario = bundled().answer_for("MOCK-NAME-DIFFERS");
    let text = render_271(&scenario, &asked_x12(&q), &reply_envelope()).unwrap();
    assert!(
        text.contains("NM1*IL*1*DOE*JANE****MI*MOCK-NAME-DIFFERS~DMG*D8*19850312*F~HL*4*3*23*0~"),
        "the subscriber as asked: {text}"
    );
    assert!(
        text.contains("NM1*03*1*SMITH-JONES*EMMA~DMG*D8*20090521*F~INS*N*G8*001*25~"),
        "{text}"
    );
    for wire in WIRES {
        let a = round_trip(&scenario, &q, wire);
        let report = identity::check(&q, &a).unwrap();
        assert_eq!(report.payer_data.len(), 1, "{wire:?}: {report:?}");
        assert!(
            report.payer_data[0]
                .starts_with("the payer has the last name as SMITH-JONES, we sent DOE"),
            "{wire:?}: {report:?}"
        );
        let about = a.answered_for.unwrap();
        assert_eq!(about.first_name.as_deref(), Some("EMMA"), "{wire:?}");
        assert_eq!(
            about.identity_corrected,
            !matches!(wire, Wire::Fhir),
            "{wire:?}"
        );
    }
}

/// The subscriber loops of a 271: HL01, HL02, TRN02, NM109 and the EB01 codes of each.
type MemberLoop = (String, String, String, String, Vec<String>);

fn member_loops(text: &str) -> Vec<MemberLoop> {
    let interchange = Interchange::parse(text.as_bytes()).unwrap();
    let set = &interchange.groups[0].transaction_sets[0];
    let mut loops: Vec<MemberLoop> = Vec::new();
    let mut in_member = false;
    for seg in &set.segments {
        let v = |n: usize| seg.value(n).unwrap_or_default().to_string();
        match seg.id() {
            "HL" => {
                in_member = seg.value(3) == Some("22");
                if in_member {
                    loops.push((v(1), v(2), String::new(), String::new(), Vec::new()));
                }
            }
            "TRN" if in_member => {
                if let Some(last) = loops.last_mut() {
                    last.2 = v(2);
                }
            }
            "NM1" if in_member && seg.value(1) == Some("IL") => {
                if let Some(last) = loops.last_mut() {
                    last.3 = v(9);
                }
            }
            "EB" if in_member => {
                if let Some(last) = loops.last_mut() {
                    last.4.push(v(1));
                }
            }
            _ => {}
        }
    }
    loops
}

#[test]
fn a_batch_answer_puts_ours_among_other_members_with_their_own_traces() {
    let scenario = bundled().answer_for("MOCK-BATCH");
    let mut q = inquiry("MOCK-BATCH");
    let text = render_271(&scenario, &asked_x12(&q), &reply_envelope()).unwrap();
    let member = |hl: &str, trace: &str, id: &str, ebs: &[&str]| {
        (
            hl.to_string(),
            "2".to_string(),
            trace.to_string(),
            id.to_string(),
            ebs.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        member_loops(&text),
        [
            member("3", "BATCH-1-VOB-7001", "BATCH-MEMBER-1", &["6"]),
            member("4", "VOB-7001", "MOCK-BATCH", &["1", "B", "B"]),
            member("5", "BATCH-2-VOB-7001", "BATCH-MEMBER-2", &["6"]),
        ]
    );
    // With a dependent, our 2000D follows our 2000C and the HLs stay in order.
    q.dependent = Some(InquiryPerson {
        first_name: "EMMA".into(),
        last_name: "DOE".into(),
        date_of_birth: NaiveDate::from_ymd_opt(2009, 5, 21).unwrap(),
        sex: None,
    });
    let text = render_271(&scenario, &asked_x12(&q), &reply_envelope()).unwrap();
    let hls: Vec<&str> = text.split('~').filter(|s| s.starts_with("HL*")).collect();
    assert_eq!(
        hls,
        [
            "HL*1**20*1",
            "HL*2*1*21*1",
            "HL*3*2*22*0",
            "HL*4*2*22*1",
            "HL*5*4*23*0",
            "HL*6*2*22*0"
        ]
    );
    // First and last place too.
    for (ours_at, expected) in [
        (0, ["MOCK-BATCH", "BATCH-MEMBER-1", "BATCH-MEMBER-2"]),
        (2, ["BATCH-MEMBER-1", "BATCH-MEMBER-2", "MOCK-BATCH"]),
    ] {
        let mut moved = scenario.clone();
        moved.batch_with = Some(scenario::BatchWith {
            members: 2,
            ours_at,
        });
        let text = render_271(
            &moved,
            &asked_x12(&inquiry("MOCK-BATCH")),
            &reply_envelope(),
        )
        .unwrap();
        let ids: Vec<String> = member_loops(&text).into_iter().map(|l| l.3).collect();
        assert_eq!(ids, expected);
    }
}

#[tokio::test]
async fn a_bom_and_crlf_271_is_the_plain_271_laid_out_as_a_gateway_sends_it() {
    let scenario = bundled().answer_for("MOCK-BOM-CRLF");
    let asked = asked_x12(&inquiry("MOCK-BOM-CRLF"));
    let text = render_271(&scenario, &asked, &reply_envelope()).unwrap();
    let plain = Scenario {
        x12_format: None,
        ..scenario.clone()
    };
    let plain = render_271(&plain, &asked, &reply_envelope()).unwrap();
    assert!(text.starts_with("\u{feff}ISA*"), "{text:?}");
    assert!(!plain.contains('\n') && plain.starts_with("ISA*"));
    assert_eq!(text.matches("~\r\n").count(), plain.matches('~').count());
    assert!(text.ends_with("IEA*1*000000001~\r\n"), "{text:?}");
    assert_eq!(
        text.trim_start_matches('\u{feff}').replace("\r\n", ""),
        plain
    );
    let lf = Scenario {
        x12_format: Some(scenario::X12Format {
            byte_order_mark: false,
            line_ending: Some(scenario::LineEnding::Lf),
        }),
        ..scenario.clone()
    };
    let lf = render_271(&lf, &asked, &reply_envelope()).unwrap();
    assert!(lf.starts_with("ISA*") && !lf.contains('\r'));
    assert_eq!(lf.replace('\n', ""), plain);
    // Over HTTP the CORE payload part carries the bytes as laid out (a multipart text reader
    // may drop the mark, so the raw body is looked at).
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let body = client()
        .post(payer.url(X12_PATH))
        .multipart(core_form(x12_270(&inquiry("MOCK-BOM-CRLF"))))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let laid_out = "\u{feff}ISA*00*".as_bytes();
    assert!(body.windows(laid_out.len()).any(|w| w == laid_out));
    let crlf = b"~\r\nGS*HB*";
    assert!(body.windows(crlf.len()).any(|w| w == crlf));
    payer.stop().await;
}

#[test]
fn a_payer_rejection_stops_at_2100a() {
    let q = inquiry("MOCK-BUSY");
    let text = render_271(
        &bundled().answer_for("MOCK-BUSY"),
        &asked_x12(&q),
        &reply_envelope(),
    )
    .unwrap();
    assert!(text.contains("HL*1**20*0~NM1*PR*2*MOCK HEALTH PLAN*****PI*MOCKPAYER~AAA*N**42*R~SE*"));
    let r = parse_271(text.as_bytes()).unwrap();
    assert!(r.receiver.is_none());
    assert_eq!(r.source.rejections[0].loop_id, "2100A");
}

#[test]
fn rendered_amounts_are_exact_in_every_protocol() {
    let scenario = Scenarios::parse(
        r#"{"MOCK-CENTS": {"member_id": "MOCK-CENTS", "description": "odd cents",
            "plan": {"name": "P", "begin": "2026-01-01", "end": "2026-12-31", "insurance_type": "PR"},
            "benefits": [
              {"code": "C", "service_types": ["30"], "coverage_level": "IND", "time_period": "23", "amount": "1234567.89", "network": "Y"},
              {"code": "C", "service_types": ["30"], "coverage_level": "IND", "time_period": "29", "amount": "0.01", "network": "Y"},
              {"code": "A", "service_types": ["BB"], "percent": "0.125", "network": "Y"}]}}"#,
    )
    .unwrap()
    .answer_for("MOCK-CENTS");
    for wire in WIRES {
        let a = round_trip(&scenario, &inquiry("MOCK-CENTS"), wire);
        let s = php(&a);
        let d = &s.in_network.deductible.individual;
        assert_eq!(money(&d.total), Some("1234567.89"), "{wire:?}");
        assert_eq!(money(&d.remaining), Some("0.01"), "{wire:?}");
        assert_eq!(money(&d.met), Some("1234567.88"), "{wire:?}");
        assert_eq!(
            text(&s.in_network.coinsurance_percent).as_deref(),
            Some("12.5"),
            "{wire:?}"
        );
    }
    let body = render_fhir(&scenario, &asked_fhir(&inquiry("MOCK-CENTS")), created()).unwrap();
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.contains(r#""allowedMoney":{"value":1234567.89,"currency":"USD"}"#),
        "{body}"
    );
    assert!(
        body.contains(r#""usedMoney":{"value":1234567.88,"currency":"USD"}"#),
        "{body}"
    );
    assert!(body.contains(r#""allowedString":"12.5""#), "{body}");
}

// ---------------------------------------------------------------------------------------------
// Oracles.

fn x12_check() -> Option<std::path::PathBuf> {
    crate::oracles::script("x12-check")
}

/// Whether an x12-check error line is one of the 2014 X279A1 map's known limits (oracles
/// README): repeated EB03; LS/LE right after the EB/MSG instead of inside 2115C, which makes
/// the map lose every segment of the 2120 loop and then ask for the III it expected; and an
/// III after MSG, the guide's order (MSG 2500, 2115C III 2600), which the map refuses because
/// it places loop 2115C at 1710, before MSG.
fn known_map_limit(line: &str) -> bool {
    let in_2120 = ["LS*2120", "LE*2120", "NM1*", "PER*", "N3*", "N4*", "PRV*"]
        .iter()
        .any(|s| line.contains(&format!("Segment {s}")));
    line.contains("(EB03)")
        || (in_2120 && line.contains("not found.") && line.contains("/2110C/"))
        || line.contains("(III) missing")
        || (line.contains("Segment III*")
            && line.contains("not found.")
            && line.contains("/2110C/MSG"))
}

/// What the oracle reads: pyx12 opens the file as ASCII, so a byte-order mark (a transport
/// matter perdiem's reader skips, not X12 content) is left out; line breaks stay.
fn for_the_oracle(scenario: &Scenario) -> Scenario {
    let mut plain = scenario.clone();
    if let Some(format) = plain.x12_format.as_mut() {
        format.byte_order_mark = false;
    }
    plain
}

/// The 271s the oracle can judge whole: one service type per EB, no places of service and no
/// 2120 entities.
fn without_map_limits(scenario: &Scenario) -> Scenario {
    let mut plain = for_the_oracle(scenario);
    let plain_row = |row: &scenario::BenefitRow, service_types: Vec<String>| scenario::BenefitRow {
        service_types,
        places_of_service: Vec::new(),
        related_entities: Vec::new(),
        ..row.clone()
    };
    plain.benefits = scenario
        .benefits
        .iter()
        .flat_map(|row| {
            if row.service_types.is_empty() {
                return vec![plain_row(row, Vec::new())];
            }
            row.service_types
                .iter()
                .map(|stc| plain_row(row, vec![stc.clone()]))
                .collect()
        })
        .collect();
    plain
}

fn run_x12_check(check: &std::path::Path, name: &str, texts: &[(String, String)]) -> String {
    let dir = std::env::temp_dir().join(format!("perdiem-mock-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<std::path::PathBuf> = texts
        .iter()
        .map(|(file, text)| {
            let path = dir.join(file);
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect();
    let out = std::process::Command::new(check)
        .args(&files)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("x12-check ({name}):\n{report}");
    report
}

#[test]
fn rendered_271s_fail_the_x12_oracle_only_on_its_known_map_limits() {
    let Some(check) = x12_check() else {
        return;
    };
    let render = |scenario: &Scenario| {
        let q = inquiry(&scenario.member_id);
        render_271(scenario, &asked_x12(&q), &reply_envelope()).unwrap()
    };
    let as_sent: Vec<(String, String)> = bundled()
        .iter()
        .map(|s| (format!("{}.x12", s.member_id), render(&for_the_oracle(s))))
        .collect();
    let report = run_x12_check(&check, "271", &as_sent);
    let unexpected: Vec<&str> = report
        .lines()
        .filter(|l| !l.ends_with(": OK") && !l.ends_with(": Failure") && !known_map_limit(l))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    assert_eq!(
        report
            .lines()
            .filter(|l| l.ends_with(".x12: OK") || l.ends_with(".x12: Failure"))
            .count(),
        as_sent.len()
    );
    // x12-check shows 20 lines per file; with the two map limits taken out every 271 must pass
    // outright, so nothing else can hide behind them.
    let mut plain: Vec<(String, String)> = bundled()
        .iter()
        .map(|s| {
            (
                format!("{}-plain.x12", s.member_id),
                render(&without_map_limits(s)),
            )
        })
        .collect();
    let mut q = inquiry("MOCK-DEDUCTIBLE");
    q.dependent = Some(InquiryPerson {
        first_name: "EMMA".into(),
        last_name: "DOE".into(),
        date_of_birth: NaiveDate::from_ymd_opt(2009, 5, 21).unwrap(),
        sex: Some("F".into()),
    });
    let scenario = without_map_limits(&bundled().answer_for("MOCK-DEDUCTIBLE"));
    let dependent = render_271(&scenario, &asked_x12(&q), &reply_envelope()).unwrap();
    plain.push(("dependent-plain.x12".into(), dependent));
    let report = run_x12_check(&check, "271-plain", &plain);
    assert_eq!(report.matches(": OK").count(), plain.len(), "{report}");
}

#[test]
fn rendered_fhir_responses_pass_the_fhir_oracle() {
    let mut resources = Vec::new();
    for scenario in bundled().iter() {
        let q = inquiry(&scenario.member_id);
        let body = render_fhir(scenario, &asked_fhir(&q), created()).unwrap();
        resources.push((
            format!("response-{}", scenario.member_id),
            serde_json::from_slice(&body).unwrap(),
        ));
    }
    let mut q = inquiry("MOCK-DEDUCTIBLE");
    q.dependent = Some(InquiryPerson {
        first_name: "EMMA".into(),
        last_name: "DOE".into(),
        date_of_birth: NaiveDate::from_ymd_opt(2009, 5, 21).unwrap(),
        sex: None,
    });
    resources.push((
        "request-dependent".into(),
        fhir_wire::request(&q, created()),
    ));
    // A dependent answered under other data, and the new scenarios by name, so none can be
    // left out silently.
    q.member_id = "MOCK-NAME-DIFFERS".into();
    let body = render_fhir(
        &bundled().answer_for("MOCK-NAME-DIFFERS"),
        &asked_fhir(&q),
        created(),
    )
    .unwrap();
    resources.push((
        "response-dependent-name-differs".into(),
        serde_json::from_slice(&body).unwrap(),
    ));
    for id in [
        "MOCK-FACILITY-ONLY",
        "MOCK-CONTACTS",
        "MOCK-OTHER-PAYER",
        "MOCK-CORRECTED-ID",
        "MOCK-OTHER-MEMBER",
    ] {
        assert!(
            resources
                .iter()
                .any(|(name, _)| name == &format!("response-{id}")),
            "{id}"
        );
    }
    if let Some((ok, report)) = fhir_check(&resources) {
        assert!(ok, "{report}");
        assert_eq!(report.matches(": OK").count(), resources.len(), "{report}");
    }
}

// ---------------------------------------------------------------------------------------------
// Over HTTP.

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn core_form(payload: String) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("PayloadType", PAYLOAD_TYPE_270)
        .text("ProcessingMode", "RealTime")
        .text("PayloadID", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
        .text("TimeStamp", "2026-11-23T10:30:00Z")
        .text("SenderID", "PERDIEM")
        .text("ReceiverID", "MOCKPAYER")
        .text("CORERuleVersion", "2.2.0")
        .text("Payload", payload)
}

/// Posts `form` to `/x12` and reads the CORE multipart answer.
async fn post_core(
    payer: &MockPayer,
    form: reqwest::multipart::Form,
) -> (reqwest::StatusCode, BTreeMap<String, String>) {
    let response = client()
        .post(payer.url(X12_PATH))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(response.headers()["x-mock-response"], "true");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let body = response.bytes().await.unwrap();
    (
        status,
        core_envelope::read_form(&content_type, body).await.unwrap(),
    )
}

#[tokio::test]
async fn a_core_270_over_http_gets_a_271_back() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    assert_ne!(payer.port, 0);
    let (status, fields) = post_core(&payer, core_form(x12_270(&inquiry("MOCK-DEDUCTIBLE")))).await;
    assert_eq!(status, 200);
    assert_eq!(fields["PayloadType"], PAYLOAD_TYPE_271);
    assert_eq!(fields["ProcessingMode"], "RealTime");
    assert_eq!(fields["PayloadID"], "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
    assert_eq!(
        (fields["SenderID"].as_str(), fields["ReceiverID"].as_str()),
        ("MOCKPAYER", "PERDIEM")
    );
    assert_eq!(fields["CORERuleVersion"], "2.2.0");
    assert_eq!(fields["ErrorCode"], "Success");
    assert!(chrono::DateTime::parse_from_rfc3339(&fields["TimeStamp"]).is_ok());
    let r = parse_271(fields["Payload"].as_bytes()).unwrap();
    // The envelope answers the 270's: parties swapped.
    assert_eq!(r.interchange.sender_id, "MOCKPAYER");
    assert_eq!(r.interchange.receiver_id, "PERDIEM");
    check_scenario("MOCK-DEDUCTIBLE", Wire::X12, &x12_map::answer(&r));
    assert_eq!(payer.requests_for("MOCK-DEDUCTIBLE"), 1);
    // Control numbers advance per answer.
    let (_, again) = post_core(&payer, core_form(x12_270(&inquiry("MOCK-DEDUCTIBLE")))).await;
    let again = parse_271(again["Payload"].as_bytes()).unwrap();
    assert_ne!(
        again.interchange.control_number,
        r.interchange.control_number
    );
    assert_eq!(payer.requests_for("MOCK-DEDUCTIBLE"), 2);
    assert_eq!(payer.requests_for("MOCK-COPAY"), 0);
    payer.stop().await;
}

#[tokio::test]
async fn envelope_errors_are_core_answers_without_a_payload() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let x12 = x12_270(&inquiry("MOCK-COPAY"));
    let cases = [
        (
            core_form(x12.clone()).text("PayloadType", "X12_276_Request_005010X212"),
            "PayloadTypeIllegal",
        ),
        (
            core_form(x12.clone()).text("ProcessingMode", "Batch"),
            "ProcessingModeIllegal",
        ),
        (
            core_form(x12.clone()).text("CORERuleVersion", "4.0.0"),
            "VersionMismatch",
        ),
        (
            core_form(x12.clone()).text("TimeStamp", "yesterday"),
            "TimeStampIllegal",
        ),
        (core_form("ISA*garbage~".into()), "PayloadIllegal"),
        // Not a 270 at all: there is no 270 for a 999 to speak of.
        (
            core_form(x12.replace("ST*270*", "ST*276*")),
            "PayloadIllegal",
        ),
        (
            reqwest::multipart::Form::new()
                .text("PayloadType", PAYLOAD_TYPE_270)
                .text("Payload", x12.clone()),
            "MissingField",
        ),
    ];
    for (form, code) in cases {
        let (status, fields) = post_core(&payer, form).await;
        assert_eq!(status, 200, "{code}");
        assert_eq!(fields["ErrorCode"], code);
        assert_eq!(fields["PayloadType"], "CoreEnvelopeError");
        assert!(!fields["ErrorMessage"].is_empty());
        assert!(!fields.contains_key("Payload"), "{code}");
    }
    // Not multipart at all: not a CORE envelope, a plain 400.
    let response = client()
        .post(payer.url(X12_PATH))
        .body(x12)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-mock-response"], "true");
    assert_eq!(
        payer.requests_for("MOCK-COPAY"),
        0,
        "envelope errors name nobody"
    );
    payer.stop().await;
}

/// Position (ST = 1) of the first segment of `x12`'s transaction set that starts with `prefix`.
fn position_in_set(x12: &str, prefix: &str) -> u32 {
    let segments: Vec<&str> = x12.split('~').map(str::trim).collect();
    let st = segments.iter().position(|s| s.starts_with("ST*")).unwrap();
    let at = segments.iter().position(|s| s.starts_with(prefix)).unwrap();
    u32::try_from(at - st + 1).unwrap()
}

/// The 999 in a CORE answer, which must be an accepted envelope.
fn the_999(fields: &BTreeMap<String, String>) -> crate::x12::Ack999 {
    assert_eq!(fields["ErrorCode"], "Success");
    assert_eq!(fields["PayloadType"], PAYLOAD_TYPE_999);
    match parse_acknowledgment(fields["Payload"].as_bytes()).unwrap() {
        Acknowledgment::Implementation(ack) => ack,
        other => panic!("not a 999: {other:?}"),
    }
}

#[tokio::test]
async fn an_unreadable_270_is_answered_with_a_999_naming_the_segment_and_element() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let x12 = x12_270(&inquiry("MOCK-COPAY"));
    let nm1 = position_in_set(&x12, "NM1*IL");
    let dmg = position_in_set(&x12, "DMG*");
    let birth = x12
        .split('~')
        .find(|s| s.starts_with("DMG*"))
        .unwrap()
        .to_string();
    let cases = [
        // NM101 is not IL in 2100C.
        (x12.replace("NM1*IL", "NM1*XX"), "NM1", nm1, "1", "98", "7"),
        // DMG02 is no date.
        (
            x12.replace(&birth, "DMG*D8*19851340*F"),
            "DMG",
            dmg,
            "2",
            "1251",
            "8",
        ),
    ];
    for (text, segment, position, element, reference, code) in cases {
        let (status, fields) = post_core(&payer, core_form(text)).await;
        assert_eq!(status, 200);
        let ack = the_999(&fields);
        assert_eq!(fields["PayloadID"], "f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
        assert_eq!(ack.status, AckStatus::Rejected);
        // AK1/AK2 name the group and set of the 270 (GS06 and ST02 as the 270 wrote them).
        assert_eq!(
            (
                ack.functional_id.as_str(),
                ack.group_control_number.as_str()
            ),
            ("HS", "7001")
        );
        let t = &ack.transactions[0];
        assert_eq!(
            (t.set_id.as_str(), t.control_number.as_str()),
            ("270", "0001")
        );
        assert_eq!(t.status, AckStatus::Rejected);
        let s = &t.segment_errors[0];
        assert_eq!(
            (
                s.segment_id.as_str(),
                s.position,
                s.loop_id.as_deref(),
                s.code.as_deref()
            ),
            (segment, position, Some("2100C"), Some("8"))
        );
        let e = &s.element_errors[0];
        assert_eq!(
            (
                e.position.to_string(),
                e.reference.as_deref(),
                e.code.as_str()
            ),
            (element.to_string(), Some(reference), code)
        );
        assert_eq!(e.bad_value, None, "the 999 echoes no member data");
    }
    let summary = Acknowledgment::Implementation(the_999(
        &post_core(&payer, core_form(x12.replace("NM1*IL", "NM1*XX")))
            .await
            .1,
    ))
    .summary();
    assert!(
        summary.ends_with(&format!(
            "NM1 (segment {nm1}, loop 2100C): invalid code value in NM101"
        )),
        "{summary}"
    );
    // A member id the payer never saw is nobody's request.
    assert_eq!(payer.requests_for("MOCK-COPAY"), 0);
    payer.stop().await;
}

#[tokio::test]
async fn the_acknowledgment_scenarios_answer_a_999_or_a_ta1() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let x12 = x12_270(&inquiry("MOCK-999"));
    let (_, fields) = post_core(&payer, core_form(x12.clone())).await;
    let ack = the_999(&fields);
    let s = &ack.transactions[0].segment_errors[0];
    assert_eq!(
        (s.segment_id.as_str(), s.position, s.loop_id.as_deref()),
        ("NM1", position_in_set(&x12, "NM1*IL"), Some("2100C"))
    );
    assert_eq!(s.element_errors[0].code, "I12");
    assert!(Acknowledgment::Implementation(ack)
        .summary()
        .contains("implementation pattern match failure in NM109"));

    let x12 = x12_270(&inquiry("MOCK-TA1"));
    let (status, fields) = post_core(&payer, core_form(x12.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(fields["ErrorCode"], "Success");
    assert_eq!(fields["PayloadType"], PAYLOAD_TYPE_TA1);
    let Acknowledgment::Interchange(ta1) =
        parse_acknowledgment(fields["Payload"].as_bytes()).unwrap()
    else {
        panic!("not a TA1")
    };
    // TA101 echoes the 270's ISA13.
    assert_eq!(ta1.control_number, "000007001");
    assert_eq!(ta1.note, "006");
    assert_eq!(payer.requests_for("MOCK-999"), 1);
    assert_eq!(payer.requests_for("MOCK-TA1"), 1);

    // JSON and FHIR have no acknowledgment: the request is refused.
    let http = client();
    for member in ["MOCK-999", "MOCK-TA1"] {
        let q = inquiry(member);
        let json = http
            .post(payer.url(JSON_PATH))
            .json(&json_wire::request(&q))
            .send()
            .await
            .unwrap();
        assert_eq!(json.status(), 400, "{member}");
        assert_eq!(json.headers()["x-mock-response"], "true");
        let fhir = http
            .post(payer.url(FHIR_PATH))
            .json(&fhir_wire::request(&q, Utc::now()))
            .send()
            .await
            .unwrap();
        assert_eq!(fhir.status(), 400, "{member}");
        let outcome: serde_json::Value = fhir.json().await.unwrap();
        assert_eq!(outcome["resourceType"], "OperationOutcome");
        assert_eq!(payer.requests_for(member), 3);
    }
    payer.stop().await;
}

#[tokio::test]
async fn json_and_fhir_over_http() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let http = client();
    for member in ["MOCK-CARVEOUT", "MOCK-BADID", "MOCK-NOPHP"] {
        let q = inquiry(member);
        let response = http
            .post(payer.url(JSON_PATH))
            .json(&json_wire::request(&q))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{member}");
        assert_eq!(response.headers()["x-mock-response"], "true");
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = response.bytes().await.unwrap();
        let echoed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(echoed["controlNumber"], json_wire::control_number(&q.trace));
        check_scenario(
            member,
            Wire::Json,
            &json_wire::parse_response(&body).unwrap(),
        );

        let response = http
            .post(payer.url(FHIR_PATH))
            .json(&fhir_wire::request(&q, Utc::now()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{member}");
        assert_eq!(response.headers()["content-type"], "application/fhir+json");
        let body = response.bytes().await.unwrap();
        check_scenario(
            member,
            Wire::Fhir,
            &fhir_wire::parse_response(&body).unwrap(),
        );
        assert_eq!(payer.requests_for(member), 2, "{member}");
    }
    // An unknown member is "not found" on every protocol.
    let body = http
        .post(payer.url(FHIR_PATH))
        .json(&fhir_wire::request(&inquiry("W999999999"), Utc::now()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        fhir_wire::parse_response(&body).unwrap().rejections[0].code,
        "75"
    );
    // Unreadable requests are 400s in the protocol's error shape.
    let response = http
        .post(payer.url(JSON_PATH))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = http
        .post(payer.url(FHIR_PATH))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let outcome: serde_json::Value = response.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let response = http.get(payer.url("/nowhere")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-mock-response"], "true");
    payer.stop().await;
}

#[tokio::test]
async fn faults_apply_on_every_protocol() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let http = client();
    let send = |wire: Wire, member: &str| {
        let q = inquiry(member);
        let request = match wire {
            Wire::X12 => http
                .post(payer.url(X12_PATH))
                .multipart(core_form(x12_270(&q))),
            Wire::Json => http
                .post(payer.url(JSON_PATH))
                .json(&json_wire::request(&q)),
            Wire::Fhir => http
                .post(payer.url(FHIR_PATH))
                .json(&fhir_wire::request(&q, Utc::now())),
        };
        request.send()
    };
    for wire in WIRES {
        let response = send(wire, "MOCK-500").await.unwrap();
        assert_eq!(response.status(), 500, "{wire:?}");
        assert_eq!(response.headers()["x-mock-response"], "true");

        let started = Instant::now();
        let response = send(wire, "MOCK-SLOW").await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300), "{wire:?}");
        assert_eq!(response.status(), 200);

        let response = send(wire, "MOCK-GARBAGE").await.unwrap();
        assert_eq!(response.status(), 200, "{wire:?}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let body = response.bytes().await.unwrap();
        match wire {
            Wire::X12 => assert!(core_envelope::read_form(&content_type, body).await.is_err()),
            Wire::Json => assert!(json_wire::parse_response(&body).is_err()),
            Wire::Fhir => assert!(fhir_wire::parse_response(&body).is_err()),
        }

        let response = send(wire, "MOCK-TRUNCATED").await.unwrap();
        assert_eq!(response.status(), 200, "{wire:?}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let body = response.bytes().await.unwrap();
        match wire {
            Wire::X12 => {
                let fields = core_envelope::read_form(&content_type, body).await.unwrap();
                assert_eq!(fields["ErrorCode"], "Success");
                let payload = &fields["Payload"];
                assert!(!payload.ends_with('~'), "cut mid-segment");
                assert!(matches!(
                    parse_271(payload.as_bytes()),
                    Err(crate::x12::X12Error::Unterminated { .. })
                ));
            }
            Wire::Json => assert_eq!(
                json_wire::parse_response(&body),
                Err(crate::payers::wire::WireError::Truncated)
            ),
            Wire::Fhir => assert_eq!(
                fhir_wire::parse_response(&body),
                Err(crate::payers::wire::WireError::Truncated)
            ),
        }
    }
    for member in ["MOCK-500", "MOCK-SLOW", "MOCK-GARBAGE", "MOCK-TRUNCATED"] {
        assert_eq!(payer.requests_for(member), 3, "{member}");
    }
    payer.stop().await;
}

#[tokio::test]
async fn a_timeout_holds_the_request_until_the_client_gives_up_or_the_server_stops() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let error = impatient
        .post(payer.url(JSON_PATH))
        .json(&json_wire::request(&inquiry("MOCK-TIMEOUT")))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");

    // A patient client is released when the server stops, long before the 120 s.
    let url = payer.url(FHIR_PATH);
    let body = fhir_wire::request(&inquiry("MOCK-TIMEOUT"), Utc::now());
    let waiting = tokio::spawn(async move { client().post(url).json(&body).send().await });
    while payer.requests_for("MOCK-TIMEOUT") < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    payer.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    if let Ok(response) = waiting.await.unwrap() {
        assert_eq!(response.status(), 503);
    }
}

#[test]
fn money_never_passes_through_floats_in_the_fixture() {
    // Amounts in the fixture are strings; a JSON number would be refused at load.
    let raw: serde_json::Value =
        serde_json::from_str(include_str!("../../fixtures/mock-payer/scenarios.json")).unwrap();
    let mut numbers = 0;
    for scenario in raw.as_object().unwrap().values() {
        for row in scenario["benefits"].as_array().into_iter().flatten() {
            for key in ["amount", "percent", "quantity"] {
                if let Some(value) = row.get(key) {
                    assert!(value.is_string(), "{key}: {value}");
                    Decimal::from_str_exact(value.as_str().unwrap()).unwrap();
                    numbers += 1;
                }
            }
        }
    }
    assert!(numbers > 20);
}

/// MOCK-COPAY whose first `first_calls` requests meet an HTTP 500.
fn recovering_payer(first_calls: u32) -> String {
    let mut file: serde_json::Value = serde_json::from_str(super::scenario::BUNDLED).unwrap();
    let mut scenario = file["MOCK-COPAY"].take();
    scenario["member_id"] = "MOCK-RECOVERS".into();
    scenario["fault"] = serde_json::json!({"kind": "http_500", "first_calls": first_calls});
    serde_json::json!({ "MOCK-RECOVERS": scenario }).to_string()
}

#[tokio::test]
async fn a_fault_on_the_first_calls_only_is_followed_by_the_answer_on_every_protocol() {
    let scenarios = Scenarios::parse(&recovering_payer(2)).unwrap();
    let payer = start(scenarios, "127.0.0.1", 0).await.unwrap();
    let http = client();
    let q = inquiry("MOCK-RECOVERS");
    let x12 = || {
        http.post(payer.url(X12_PATH))
            .multipart(core_form(x12_270(&q)))
            .send()
    };
    let json = || {
        http.post(payer.url(JSON_PATH))
            .json(&json_wire::request(&q))
            .send()
    };
    let fhir = || {
        http.post(payer.url(FHIR_PATH))
            .json(&fhir_wire::request(&q, Utc::now()))
            .send()
    };
    // The count is the member's, across protocols: the outage is the payer's.
    assert_eq!(x12().await.unwrap().status(), 500);
    assert_eq!(json().await.unwrap().status(), 500);
    for response in [fhir().await, x12().await, json().await] {
        assert_eq!(response.unwrap().status(), 200);
    }
    assert_eq!(payer.requests_for("MOCK-RECOVERS"), 5);
    payer.stop().await;

    let none = Scenarios::parse(&recovering_payer(0))
        .unwrap_err()
        .to_string();
    assert!(none.contains("first_calls must be at least 1"), "{none}");
}

// ---------------------------------------------------------------------------------------------
// The SOAP form of the CORE envelope.

/// The fields of [`core_form`], with `changes` replacing (or adding) some.
fn core_fields(
    payload: &str,
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = [
        ("PayloadType", PAYLOAD_TYPE_270),
        ("ProcessingMode", "RealTime"),
        ("PayloadID", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
        ("TimeStamp", "2026-11-23T10:30:00Z"),
        ("SenderID", "PERDIEM"),
        ("ReceiverID", "MOCKPAYER"),
        ("CORERuleVersion", "2.2.0"),
        ("Payload", payload),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_string()))
    .collect();
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((name, value.to_string())),
        }
    }
    fields
}

fn soap_request(fields: &[(&'static str, String)], token: Option<&UsernameToken>) -> String {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    core_soap::write(core_soap::Message::RealTimeRequest, &fields, token)
}

/// Posts a SOAP 1.2 body to `/x12` and reads the answer, which must be SOAP too.
async fn post_soap(payer: &MockPayer, xml: String) -> (reqwest::StatusCode, Soap) {
    let response = client()
        .post(payer.url(X12_PATH))
        .header("content-type", core_soap::CONTENT_TYPE)
        .body(xml)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(response.headers()["x-mock-response"], "true");
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(core_soap::is_soap(content_type), "{content_type}");
    let body = response.bytes().await.unwrap();
    (status, core_soap::read(&body).unwrap())
}

fn answered(soap: Soap) -> BTreeMap<String, String> {
    match soap {
        Soap::Envelope(envelope) => {
            assert_eq!(envelope.message, core_soap::Message::RealTimeResponse);
            assert!(envelope.token.is_none(), "the payer sends no credentials");
            envelope.fields.into_iter().collect()
        }
        Soap::Fault(fault) => panic!("a fault: {fault}"),
    }
}

fn fault(soap: Soap) -> core_soap::Fault {
    match soap {
        Soap::Fault(fault) => fault,
        Soap::Envelope(envelope) => panic!("not a fault: {:?}", envelope.fields),
    }
}

#[tokio::test]
async fn a_soap_270_gets_a_soap_271_back_with_the_same_fields_as_multipart() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let x12 = x12_270(&inquiry("MOCK-DEDUCTIBLE"));
    let (status, soap) = post_soap(&payer, soap_request(&core_fields(&x12, &[]), None)).await;
    assert_eq!(status, 200);
    let fields = answered(soap);
    let (_, multipart) = post_core(&payer, core_form(x12)).await;
    let metadata = |fields: &BTreeMap<String, String>| {
        let mut fields = fields.clone();
        fields.remove("TimeStamp");
        fields.remove("Payload");
        fields
    };
    assert_eq!(metadata(&fields), metadata(&multipart));
    assert_eq!(fields["PayloadType"], PAYLOAD_TYPE_271);
    assert_eq!(fields["ErrorCode"], "Success");
    let r = parse_271(fields["Payload"].as_bytes()).unwrap();
    check_scenario("MOCK-DEDUCTIBLE", Wire::X12, &x12_map::answer(&r));
    assert_eq!(payer.requests_for("MOCK-DEDUCTIBLE"), 2);
    payer.stop().await;
}

#[tokio::test]
async fn soap_envelope_errors_and_acknowledgments_come_back_in_soap() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let x12 = x12_270(&inquiry("MOCK-COPAY"));
    let (status, soap) = post_soap(
        &payer,
        soap_request(&core_fields(&x12, &[("CORERuleVersion", "4.0.0")]), None),
    )
    .await;
    assert_eq!(status, 200);
    let fields = answered(soap);
    assert_eq!(fields["ErrorCode"], "VersionMismatch");
    assert_eq!(fields["PayloadType"], "CoreEnvelopeError");
    assert!(!fields.contains_key("Payload"));
    // A 999 for an unreadable 270, and the scenario's TA1, in SOAP too.
    let broken = x12.replace("NM1*IL", "NM1*XX");
    let (_, soap) = post_soap(&payer, soap_request(&core_fields(&broken, &[]), None)).await;
    let ack = the_999(&answered(soap));
    assert_eq!(ack.status, AckStatus::Rejected);
    let ta1 = x12_270(&inquiry("MOCK-TA1"));
    let (_, soap) = post_soap(&payer, soap_request(&core_fields(&ta1, &[]), None)).await;
    let fields = answered(soap);
    assert_eq!(fields["PayloadType"], PAYLOAD_TYPE_TA1);
    assert!(parse_acknowledgment(fields["Payload"].as_bytes()).is_ok());
    assert_eq!(
        payer.requests_for("MOCK-COPAY"),
        0,
        "envelope errors name nobody"
    );
    payer.stop().await;
}

#[tokio::test]
async fn what_is_not_a_soap_core_request_gets_a_sender_fault() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let response_not_request = core_soap::write(
        core_soap::Message::RealTimeResponse,
        &[("PayloadType", PAYLOAD_TYPE_271)],
        None,
    );
    for (xml, reason) in [
        ("ISA*00*~".to_string(), "not well-formed XML"),
        (
            response_not_request,
            "expected a COREEnvelopeRealTimeRequest",
        ),
    ] {
        let (status, soap) = post_soap(&payer, xml).await;
        assert_eq!(status, 400);
        let fault = fault(soap);
        assert!(fault.is_senders());
        assert!(fault.reason.contains(reason), "{fault}");
    }
    payer.stop().await;
}

#[tokio::test]
async fn the_garbage_fault_answers_in_the_requests_content_type() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let x12 = x12_270(&inquiry("MOCK-GARBAGE"));
    let response = client()
        .post(payer.url(X12_PATH))
        .header("content-type", core_soap::CONTENT_TYPE)
        .body(soap_request(&core_fields(&x12, &[]), None))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(core_soap::is_soap(content_type), "{content_type}");
    let body = response.bytes().await.unwrap();
    assert!(core_soap::read(&body).is_err());
    payer.stop().await;
}

#[tokio::test]
async fn configured_credentials_are_asked_for_in_every_form() {
    let credentials = BasicCredentials {
        username: "clinic01".into(),
        password: "s3cret-pw".into(),
    };
    let payer = start_with(bundled(), "127.0.0.1", 0, Some(credentials))
        .await
        .unwrap();
    let x12 = x12_270(&inquiry("MOCK-COPAY"));
    let soap = |token: Option<UsernameToken>| soap_request(&core_fields(&x12, &[]), token.as_ref());
    let token = |username: &str, password: &str| {
        Some(UsernameToken::new(
            username,
            &secrecy::SecretString::from(password.to_string()),
        ))
    };

    // SOAP: the UsernameToken decides; an HTTP Basic header is not read.
    for refused in [
        None,
        token("clinic01", "wrong"),
        token("clinic02", "s3cret-pw"),
    ] {
        let (status, answer) = post_soap(&payer, soap(refused)).await;
        assert_eq!(status, 401);
        let fault = fault(answer);
        assert_eq!(fault.subcode.as_deref(), Some("FailedAuthentication"));
        assert!(fault.is_senders());
    }
    let digest = soap(token("clinic01", "s3cret-pw")).replace("#PasswordText", "#PasswordDigest");
    assert_eq!(post_soap(&payer, digest).await.0, 401);
    let with_header_only = client()
        .post(payer.url(X12_PATH))
        .basic_auth("clinic01", Some("s3cret-pw"))
        .header("content-type", core_soap::CONTENT_TYPE)
        .body(soap(None))
        .send()
        .await
        .unwrap();
    assert_eq!(with_header_only.status(), 401);
    assert_eq!(payer.requests_for("MOCK-COPAY"), 0, "refused: not counted");
    let (status, answer) = post_soap(&payer, soap(token("clinic01", "s3cret-pw"))).await;
    assert_eq!(status, 200);
    assert_eq!(answered(answer)["PayloadType"], PAYLOAD_TYPE_271);

    // Multipart, JSON and FHIR: the Authorization header.
    let q = inquiry("MOCK-COPAY");
    let post = |path: &'static str, password: Option<&'static str>| {
        let mut request = client().post(payer.url(path));
        request = match path {
            X12_PATH => request.multipart(core_form(x12.clone())),
            JSON_PATH => request.json(&json_wire::request(&q)),
            _ => request.json(&fhir_wire::request(&q, Utc::now())),
        };
        if let Some(password) = password {
            request = request.basic_auth("clinic01", Some(password));
        }
        async move { request.send().await.unwrap() }
    };
    for path in [X12_PATH, JSON_PATH, FHIR_PATH] {
        for wrong in [None, Some("wrong")] {
            let response = post(path, wrong).await;
            assert_eq!(response.status(), 401, "{path} {wrong:?}");
            assert_eq!(
                response.headers()["www-authenticate"],
                "Basic realm=\"mock payer\""
            );
        }
        assert_eq!(post(path, Some("s3cret-pw")).await.status(), 200, "{path}");
    }
    assert_eq!(payer.requests_for("MOCK-COPAY"), 4);
    payer.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Remittances over HTTP.

/// A one-line 837P claim as perdiem's API shows it.
fn billed_claim_json(number: &str, charge: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "5f0c2a7e-1b8d-4d8e-9a47-6c1f0e9b2d33",
        "claim_number": number,
        "claim_form": "837P",
        "type_of_bill": null,
        "place_of_service": "57",
        "frequency": "1",
        "statement_from": "2026-03-03",
        "statement_through": "2026-03-03",
        "total_charge": charge,
        "status": "submitted",
        "lines": [{
            "line_number": 1,
            "line_control_number": format!("{number}-1"),
            "service_date": "2026-03-03",
            "program": "mental_health",
            "revenue_code": "0906",
            "hcpcs": "H0015",
            "modifiers": [],
            "units": 1,
            "charge": charge,
            "expected": null,
            "live": true,
        }],
        "history": [],
    })
}

#[tokio::test]
async fn remittances_are_written_over_http_for_claims_as_perdiem_shows_them() {
    let payer = start(bundled(), "127.0.0.1", 0).await.unwrap();
    let http = client();
    let url = |query: &str| format!("{}?{query}", payer.url(REMITTANCE_835_PATH));
    let claims = serde_json::json!([billed_claim_json("PD00000007", "250.00")]);
    let response = http
        .post(url(
            "scenario=partial&payee_npi=1234567893&payee_name=Sunrise%20BH&trace=EFT42",
        ))
        .json(&claims)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/edi-x12");
    assert_eq!(response.headers()["x-mock-response"], "true");
    let x12 = response.text().await.unwrap();
    let segments: Vec<&str> = x12.split('~').collect();
    assert!(segments.contains(&"TRN*1*EFT42*1999999999"), "{x12}");
    assert!(
        segments.contains(&"N1*PE*SUNRISE BH*XX*1234567893"),
        "{x12}"
    );
    assert!(segments.contains(&"CLP*PD00000007*1*250*125**12*MOCK-PD00000007*57*1"));
    assert!(segments.contains(&"REF*6R*PD00000007-1"));
    if let Some((ok, report)) = crate::oracles::check("x12-check", "over-http.835", &x12) {
        assert!(ok, "{report}\n{x12}");
    }
    // Without a trace, one is made; with a receiver, the interchange goes to it (REF*EV).
    let x12 = http
        .post(url(
            "scenario=paid_in_full&payee_npi=1234567893&payee_name=Sunrise&receiver_id=CLEARING01",
        ))
        .json(&claims)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(x12.contains("*ZZ*CLEARING01     *"), "{x12}");
    assert!(x12.contains("~REF*EV*CLEARING01~"), "{x12}");
    assert!(x12.contains("~TRN*1*MOCKEFT"), "{x12}");

    // What it cannot read is a 400 saying why; what it cannot pay a 422.
    for (query, body, status, says) in [
        (
            "scenario=sometimes&payee_npi=1234567893&payee_name=S",
            claims.clone(),
            400,
            "scenario",
        ),
        (
            "scenario=denied&payee_name=S",
            claims.clone(),
            400,
            "payee_npi",
        ),
        (
            "scenario=denied&payee_npi=1234567894&payee_name=S",
            claims.clone(),
            400,
            "payee_npi",
        ),
        (
            "scenario=denied&payee_npi=1234567893",
            claims.clone(),
            400,
            "payee_name",
        ),
        (
            "scenario=denied&payee_npi=1234567893&payee_name=S",
            serde_json::json!({"claims": []}),
            400,
            "body",
        ),
        (
            "scenario=plb&payee_npi=1234567893&payee_name=S",
            serde_json::json!([billed_claim_json("PD00000008", "20.00")]),
            422,
            "recovers",
        ),
    ] {
        let response = http.post(url(query)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), status, "{query}");
        let text = response.text().await.unwrap();
        assert!(text.contains(says), "{query}: {text}");
    }
    payer.stop().await;
}
