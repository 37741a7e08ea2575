//! Whole-module tests: 270s built and checked segment by segment (and by the pyx12 oracle when
//! it is installed), 271 fixtures parsed into the typed tree, and property tests that no input
//! makes the readers panic.

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

use super::*;

const ACTIVE_PPO: &str = include_str!("../../fixtures/x12/271_active_ppo.x12");
const CARVEOUT: &str = include_str!("../../fixtures/x12/271_carveout.x12");
const NOT_FOUND: &str = include_str!("../../fixtures/x12/271_subscriber_not_found.x12");
const DEPENDENT: &str = include_str!("../../fixtures/x12/271_dependent.x12");
const PAYER_UNAVAILABLE: &str = include_str!("../../fixtures/x12/271_payer_unavailable.x12");
const DOMAIN_EXAMPLE: &str = include_str!("../../fixtures/x12/271_domain_example.x12");
const DOMAIN_REJECTION: &str = include_str!("../../fixtures/x12/271_domain_rejection.x12");

const ACKNOWLEDGMENTS: [&str; 3] = [
    include_str!("../../fixtures/x12/999_rejected.x12"),
    include_str!("../../fixtures/x12/999_accepted.x12"),
    include_str!("../../fixtures/x12/ta1_rejected.x12"),
];

const FIXTURES: [(&str, &str); 7] = [
    ("271_active_ppo.x12", ACTIVE_PPO),
    ("271_carveout.x12", CARVEOUT),
    ("271_subscriber_not_found.x12", NOT_FOUND),
    ("271_dependent.x12", DEPENDENT),
    ("271_payer_unavailable.x12", PAYER_UNAVAILABLE),
    ("271_domain_example.x12", DOMAIN_EXAMPLE),
    ("271_domain_rejection.x12", DOMAIN_REJECTION),
];

/// The third-party 271s of `fixtures/realworld/271` (read in `payers::x12_map::realworld`),
/// here as inputs that must never make a reader panic.
const REAL_WORLD: [&[u8]; 10] = [
    include_bytes!("../../fixtures/realworld/271/lfh_subscriber-health-benefit-check.271"),
    include_bytes!("../../fixtures/realworld/271/lfh_dependent-health-benefit-check.271"),
    include_bytes!("../../fixtures/realworld/271/lfh_subscriber-health-benefit-check-error.271"),
    include_bytes!("../../fixtures/realworld/271/tigershark_zirmed_271-example-3.txt"),
    include_bytes!("../../fixtures/realworld/271/xiaoerge_emedny_271.edi"),
    include_bytes!("../../fixtures/realworld/271/xiaoerge_united_concordia_dental_271.edi"),
    include_bytes!("../../fixtures/realworld/271/badx12_X279-response-dependent.edi"),
    include_bytes!("../../fixtures/realworld/271/kartik_271_rejected_subscriber.x12"),
    include_bytes!("../../fixtures/realworld/271/kartik_gainwell_271_redacted_batch.edi"),
    include_bytes!("../../fixtures/realworld/271/imsweb_x271_4010_envelope.txt"),
];

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
    date(y, mo, d).and_hms_opt(h, mi, s).unwrap()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn segments(x12: &str, terminator: char) -> Vec<&str> {
    x12.split_terminator(terminator)
        .map(|s| s.trim_start_matches(['\r', '\n']))
        .collect()
}

// ---------------------------------------------------------------- 270

/// The PHP (STC BB) inquiry of domain.md §1.8, which pyx12 validated.
fn php_inquiry() -> Inquiry270 {
    Inquiry270 {
        envelope: Envelope {
            sender: PartyId {
                qualifier: "ZZ".into(),
                id: "SUBMITTERID".into(),
            },
            receiver: PartyId {
                qualifier: "ZZ".into(),
                id: "ACMEPAYER".into(),
            },
            application_sender: None,
            application_receiver: None,
            usage: Usage::Production,
            ack_requested: false,
            control_numbers: ControlNumbers {
                interchange: 101,
                group: 101,
                transaction_set: 1,
            },
            timestamp: at(2025, 1, 15, 10, 30, 0),
            delimiters: Delimiters::STANDARD,
        },
        reference: "VOB0001".into(),
        source: InformationSource {
            payer_name: "ACME HEALTH PLAN".into(),
            payer_id: "12345".into(),
        },
        receiver: InformationReceiver {
            name: "SUNRISE BEHAVIORAL HEALTH".into(),
            npi: "1234567893".into(),
        },
        subscriber: Subscriber270 {
            last_name: "DOE".into(),
            first_name: "JANE".into(),
            member_id: "W123456789".into(),
            birth_date: Some(date(1985, 3, 12)),
            gender: Some(Gender::Female),
        },
        dependent: None,
        trace: TraceNumber {
            reference: "VOB0001".into(),
            originator_id: "1123456789".into(),
        },
        service_date: Some(DateOrRange::Single(date(2025, 1, 20))),
        service_types: vec!["BB".into()],
        service_type_layout: ServiceTypeLayout::Repeated,
    }
}

/// A child's MH IOP inquiry: dependent loop, several STCs, a date range, test usage.
fn dependent_inquiry() -> Inquiry270 {
    let mut q = php_inquiry();
    q.envelope.usage = Usage::Test;
    q.envelope.ack_requested = true;
    q.envelope.control_numbers = ControlNumbers {
        interchange: 7,
        group: 42,
        transaction_set: 12345,
    };
    q.envelope.application_sender = Some("SUNRISEBH".into());
    q.reference = "VOB0002".into();
    q.subscriber = Subscriber270 {
        last_name: "DOE".into(),
        first_name: "JOHN".into(),
        member_id: "W123456700".into(),
        birth_date: None,
        gender: None,
    };
    q.dependent = Some(Dependent270 {
        last_name: "DOE".into(),
        first_name: "EMMA".into(),
        birth_date: Some(date(2009, 5, 21)),
        gender: Some(Gender::Female),
    });
    q.trace.reference = "VOB0002".into();
    q.service_date = Some(DateOrRange::Range(date(2025, 2, 3), date(2025, 2, 28)));
    q.service_types = vec!["30".into(), "MH".into(), "A8".into(), "CH".into()];
    q
}

/// The dependent inquiry with one EQ (2110D loop) per service type code.
fn dependent_inquiry_one_eq_per_code() -> Inquiry270 {
    let mut q = dependent_inquiry();
    q.service_type_layout = ServiceTypeLayout::OneEqPerCode;
    q
}

/// Subscriber-is-patient with other delimiters and no birth date, service date or first name.
fn pipe_inquiry() -> Inquiry270 {
    let mut q = php_inquiry();
    q.envelope.delimiters = Delimiters::new('|', '}', '>', '\n').unwrap();
    q.envelope.control_numbers = ControlNumbers {
        interchange: 999_999_999,
        group: 999_999_999,
        transaction_set: 999_999_999,
    };
    q.subscriber.first_name = String::new();
    q.subscriber.birth_date = None;
    q.subscriber.gender = None;
    q.service_date = None;
    q.service_types = vec!["30".into()];
    q
}

#[test]
fn php_270_matches_the_validated_example_exactly() {
    let x12 = build_270(&php_inquiry()).unwrap();
    assert_eq!(
        segments(&x12, '~'),
        [
            "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*ACMEPAYER      *250115*1030*^*00501*000000101*0*P*:",
            "GS*HS*SUBMITTERID*ACMEPAYER*20250115*1030*101*X*005010X279A1",
            "ST*270*0001*005010X279A1",
            "BHT*0022*13*VOB0001*20250115*1030",
            "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
            "HL*2*1*21*1",
            "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
            "HL*3*2*22*0",
            "TRN*1*VOB0001*1123456789",
            "NM1*IL*1*DOE*JANE****MI*W123456789",
            "DMG*D8*19850312*F",
            "DTP*291*D8*20250120",
            "EQ*BB",
            "SE*13*0001",
            "GE*1*101",
            "IEA*1*000000101",
        ]
    );
    assert!(x12.ends_with("IEA*1*000000101~"));
}

#[test]
fn dependent_270_moves_trace_date_and_eq_to_2000d() {
    let x12 = build_270(&dependent_inquiry()).unwrap();
    assert_eq!(
        segments(&x12, '~'),
        [
            "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*ACMEPAYER      *250115*1030*^*00501*000000007*1*T*:",
            "GS*HS*SUNRISEBH*ACMEPAYER*20250115*1030*42*X*005010X279A1",
            "ST*270*12345*005010X279A1",
            "BHT*0022*13*VOB0002*20250115*1030",
            "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
            "HL*2*1*21*1",
            "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
            "HL*3*2*22*1",
            "NM1*IL*1*DOE*JOHN****MI*W123456700",
            "HL*4*3*23*0",
            "TRN*1*VOB0002*1123456789",
            "NM1*03*1*DOE*EMMA",
            "DMG*D8*20090521*F",
            "DTP*291*RD8*20250203-20250228",
            "EQ*30^MH^A8^CH",
            "SE*15*12345",
            "GE*1*42",
            "IEA*1*000000007",
        ]
    );
}

#[test]
fn one_eq_per_code_writes_a_2110d_loop_per_service_type() {
    let x12 = build_270(&dependent_inquiry_one_eq_per_code()).unwrap();
    let segs = segments(&x12, '~');
    assert_eq!(
        segs[15..],
        [
            "EQ*30",
            "EQ*MH",
            "EQ*A8",
            "EQ*CH",
            "SE*18*12345",
            "GE*1*42",
            "IEA*1*000000007"
        ]
    );
    // With a single code both layouts are the same.
    let mut single = php_inquiry();
    single.service_type_layout = ServiceTypeLayout::OneEqPerCode;
    assert_eq!(
        build_270(&single).unwrap(),
        build_270(&php_inquiry()).unwrap()
    );
}

#[test]
fn pipe_delimited_270_uses_the_given_delimiters() {
    let x12 = build_270(&pipe_inquiry()).unwrap();
    assert_eq!(
        segments(&x12, '\n'),
        [
            "ISA|00|          |00|          |ZZ|SUBMITTERID    |ZZ|ACMEPAYER      |250115|1030|}|00501|999999999|0|P|>",
            "GS|HS|SUBMITTERID|ACMEPAYER|20250115|1030|999999999|X|005010X279A1",
            "ST|270|999999999|005010X279A1",
            "BHT|0022|13|VOB0001|20250115|1030",
            "HL|1||20|1",
            "NM1|PR|2|ACME HEALTH PLAN|||||PI|12345",
            "HL|2|1|21|1",
            "NM1|1P|2|SUNRISE BEHAVIORAL HEALTH|||||XX|1234567893",
            "HL|3|2|22|0",
            "TRN|1|VOB0001|1123456789",
            "NM1|IL|1|DOE|||||MI|W123456789",
            "EQ|30",
            "SE|11|999999999",
            "GE|1|999999999",
            "IEA|1|999999999",
        ]
    );
}

#[test]
fn built_270s_read_back_through_the_envelope_checks() {
    for q in [
        php_inquiry(),
        dependent_inquiry(),
        dependent_inquiry_one_eq_per_code(),
        pipe_inquiry(),
    ] {
        let x12 = build_270(&q).unwrap();
        let interchange = Interchange::parse(x12.as_bytes()).unwrap();
        assert_eq!(interchange.delimiters, q.envelope.delimiters);
        let set = &interchange.groups[0].transaction_sets[0];
        assert_eq!(set.id, "270");
        // Compare as written: the writer drops trailing empty elements.
        let render = |segs: &[Segment]| {
            let mut out = String::new();
            for seg in segs {
                write_segment(&mut out, seg, &q.envelope.delimiters).unwrap();
            }
            out
        };
        let read: Vec<Segment> = set.segments.iter().map(SegmentRef::to_segment).collect();
        assert_eq!(render(&read), render(&body_270(&q).unwrap()));
        assert_eq!(set.segments.len(), body_270(&q).unwrap().len());
    }
}

#[test]
fn names_are_spelled_in_the_basic_set_and_identifiers_with_a_delimiter_are_refused() {
    let mut q = php_inquiry();
    q.subscriber.last_name = "Núñez*O’Brien".into();
    q.subscriber.first_name = "José".into();
    q.source.payer_name = "Acme~Health".into();
    let x12 = build_270(&q).unwrap();
    assert!(
        x12.contains("~NM1*IL*1*NUNEZ O'BRIEN*JOSE****MI*W123456789~"),
        "{x12}"
    );
    assert!(x12.contains("~NM1*PR*2*ACME HEALTH*****PI*12345~"), "{x12}");
    let mut q = php_inquiry();
    q.dependent = Some(Dependent270 {
        last_name: "Ærøskøbing".into(),
        first_name: "Zoë".into(),
        birth_date: None,
        gender: None,
    });
    assert!(build_270(&q)
        .unwrap()
        .contains("~NM1*03*1*AEROSKOBING*ZOE~"));
    // Identifiers are never changed: one with a delimiter is refused.
    let mut q = php_inquiry();
    q.reference = "VOB:1".into();
    assert!(matches!(build_270(&q), Err(X12Error::UnsafeText { .. })));
    let mut q = php_inquiry();
    q.subscriber.member_id = "W123*456".into();
    assert_eq!(
        build_270(&q),
        Err(X12Error::UnsafeText {
            field: "NM109".into(),
            problem: TextProblem::Delimiter('*')
        })
    );
    // A name of nothing but what cannot be spelled is too short, never sent empty.
    let mut q = php_inquiry();
    q.subscriber.last_name = "王".into();
    assert!(matches!(
        build_270(&q),
        Err(X12Error::InvalidInput {
            field: "subscriber.last_name (NM103)",
            ..
        })
    ));
    // A `*` is harmless text when the element separator is `|`.
    let mut q = pipe_inquiry();
    q.receiver.name = "SUNRISE * BH".into();
    assert!(build_270(&q).unwrap().contains("|SUNRISE * BH|"));
}

#[test]
fn invalid_270_inputs_are_refused() {
    type Mutation = fn(&mut Inquiry270);
    let cases: Vec<(Mutation, &str)> = vec![
        (
            |q| q.receiver.npi = "123456789".into(),
            "receiver.npi (NM109)",
        ),
        (
            |q| q.receiver.npi = "12345678AB".into(),
            "receiver.npi (NM109)",
        ),
        (
            |q| q.trace.originator_id = "123456789".into(),
            "trace.originator_id (TRN03)",
        ),
        (|q| q.service_types.clear(), "service_types (EQ01)"),
        (
            |q| q.service_types = vec!["ABC".into()],
            "service_types (EQ01)",
        ),
        (
            |q| q.service_types = vec!["mh".into()],
            "service_types (EQ01)",
        ),
        (
            |q| q.subscriber.last_name.clear(),
            "subscriber.last_name (NM103)",
        ),
        (
            |q| q.subscriber.member_id = "W".into(),
            "subscriber.member_id (NM109)",
        ),
        (
            |q| q.source.payer_name = "X".repeat(61),
            "source.payer_name (NM103)",
        ),
        (|q| q.reference = "R".repeat(51), "reference (BHT03)"),
        (
            |q| q.envelope.control_numbers.group = 0,
            "GS06 group control number",
        ),
    ];
    for (mutate, field) in cases {
        let mut q = php_inquiry();
        mutate(&mut q);
        match build_270(&q) {
            Err(X12Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

/// A policy holder and a dependent whose names are typed with accents, ligatures and a
/// typographic apostrophe.
fn accented_inquiry() -> Inquiry270 {
    let mut q = dependent_inquiry_one_eq_per_code();
    q.subscriber.last_name = "Núñez-O’Brien".into();
    q.subscriber.first_name = "José".into();
    if let Some(dep) = &mut q.dependent {
        dep.last_name = "Strauß Ærøskøbing".into();
        dep.first_name = "Łukasz Żółć".into();
    }
    q.receiver.name = "Clínica Señora Ñandú".into();
    q
}

fn oracle() -> Option<std::path::PathBuf> {
    crate::oracles::script("x12-check")
}

fn run_oracle(check: &std::path::Path, name: &str, x12: &str) -> (bool, String) {
    let path = std::env::temp_dir().join(format!("perdiem-x12-{}-{name}", std::process::id()));
    std::fs::write(&path, x12).unwrap();
    let out = std::process::Command::new(check)
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).ok();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn every_built_270_passes_the_x12_oracle() {
    let Some(check) = oracle() else {
        return;
    };
    let inquiries = [
        ("php.x12", php_inquiry()),
        (
            "dependent-one-eq-per-code.x12",
            dependent_inquiry_one_eq_per_code(),
        ),
        ("pipe.x12", pipe_inquiry()),
        ("accented-names.x12", accented_inquiry()),
    ];
    for (name, q) in inquiries {
        let (ok, report) = run_oracle(&check, name, &build_270(&q).unwrap());
        assert!(
            ok && report.trim_end().ends_with(": OK"),
            "{name}:\n{report}"
        );
    }
    // pyx12 does not implement repetition at all, so a repeated EQ01 is its only complaint.
    let (ok, report) = run_oracle(
        &check,
        "dependent-repeated.x12",
        &build_270(&dependent_inquiry()).unwrap(),
    );
    assert!(!ok);
    let other: Vec<&str> = report
        .lines()
        .filter(|l| !l.ends_with(": Failure") && !l.contains("(EQ01)"))
        .collect();
    assert!(other.is_empty(), "{other:#?}");
}

#[test]
fn fixtures_fail_the_oracle_only_on_its_known_map_limits() {
    let Some(check) = oracle() else {
        return;
    };
    // The 2014 X279A1 map refuses repeated EB03 and cannot place LS/LE (nor the 2115C III it
    // expects around them); see shared/oracles/README.md.
    let known = |line: &str| {
        line.contains("(EB03)")
            || line.contains("Segment LS*2120 not found")
            || line.contains("Segment LE*2120 not found")
            || line.contains("Started at /ISA_LOOP/GS_LOOP/ST_LOOP/TABLE2AREA4/2000C/2100C/2110C/")
            || line.contains("Mandatory segment \"Subscriber Eligibility or Benefit Additional Information\" (III) missing")
    };
    for (name, text) in FIXTURES {
        let (_, report) = run_oracle(&check, name, text);
        let unexpected: Vec<&str> = report
            .lines()
            .filter(|l| !l.ends_with(": OK") && !l.ends_with(": Failure") && !known(l))
            .collect();
        assert!(unexpected.is_empty(), "{name}: {unexpected:#?}");
    }
}

// ---------------------------------------------------------------- 271

fn eb<'a>(
    m: &'a Member271,
    info: &str,
    level: &str,
    stc: &str,
    period: &str,
    network: InNetwork,
) -> &'a Benefit {
    m.benefits
        .iter()
        .find(|b| {
            b.info_code == info
                && b.coverage_level.as_deref() == Some(level)
                && b.service_types.first().map(String::as_str) == Some(stc)
                && b.time_period.as_deref() == Some(period)
                && b.in_network == Some(network)
        })
        .unwrap_or_else(|| panic!("no EB*{info}*{level}*{stc} period {period}"))
}

#[test]
fn active_ppo_271_is_read_in_full() {
    let r = parse_271(ACTIVE_PPO.as_bytes()).unwrap();
    assert_eq!(r.interchange.sender_id, "ACMEPAYER");
    assert_eq!(r.interchange.control_number, "000000501");
    assert_eq!(r.group.control_number, "501");
    assert_eq!(r.group.version, "005010X279A1");
    assert_eq!(r.transaction_set_control_number, "0001");
    assert_eq!(r.purpose_code, "11");
    assert_eq!(r.reference.as_deref(), Some("VOB0501"));
    assert_eq!(r.created, at(2025, 1, 15, 10, 30, 5));

    assert_eq!(r.source.name.entity_code, "PR");
    assert_eq!(
        r.source.name.last_or_organization.as_deref(),
        Some("ACME HEALTH PLAN")
    );
    assert_eq!(
        (
            r.source.name.id_qualifier.as_deref(),
            r.source.name.id.as_deref()
        ),
        (Some("PI"), Some("12345"))
    );
    let per = &r.source.contacts[0];
    assert_eq!(per.name.as_deref(), Some("PROVIDER SERVICES"));
    assert_eq!(per.numbers.len(), 2);
    assert_eq!(
        (
            per.numbers[1].qualifier.as_str(),
            per.numbers[1].number.as_str()
        ),
        ("UR", "WWW.ACMEHEALTH.EXAMPLE")
    );

    let receiver = r.receiver.as_ref().unwrap();
    assert_eq!(receiver.name.id.as_deref(), Some("1234567893"));
    assert!(r.dependent.is_none());
    assert!(r.rejections().is_empty());

    let s = r.subscriber.as_ref().unwrap();
    assert_eq!(s.traces.len(), 2);
    assert_eq!(
        (
            s.traces[0].trace_type.as_str(),
            s.traces[0].reference.as_str()
        ),
        ("2", "VOB0501")
    );
    assert_eq!(s.traces[0].originator_id.as_deref(), Some("1123456789"));
    assert_eq!(s.traces[1].trace_type, "1");
    assert_eq!(s.name.first.as_deref(), Some("JANE"));
    assert_eq!(s.name.middle.as_deref(), Some("Q"));
    assert_eq!(s.name.id.as_deref(), Some("W123456789"));
    assert_eq!(s.references[0].qualifier, "6P");
    assert_eq!(
        s.references[0].description.as_deref(),
        Some("ACME EMPLOYER GROUP")
    );
    let address = s.address.as_ref().unwrap();
    assert_eq!(address.line2.as_deref(), Some("APT 2"));
    assert_eq!(address.postal_code.as_deref(), Some("62702"));
    let dmg = s.demographics.as_ref().unwrap();
    assert_eq!(
        (dmg.birth_date, dmg.gender.as_deref()),
        (Some(date(1985, 3, 12)), Some("F"))
    );
    let ins = s.relationship.as_ref().unwrap();
    assert_eq!(
        (
            ins.insured_indicator.as_str(),
            ins.relationship_code.as_str()
        ),
        ("Y", "18")
    );
    assert_eq!(ins.maintenance_reason.as_deref(), Some("25"));
    let dates: Vec<(&str, DateOrRange)> = s
        .dates
        .iter()
        .map(|d| (d.qualifier.as_str(), d.value))
        .collect();
    assert_eq!(
        dates,
        [
            ("346", DateOrRange::Single(date(2025, 1, 1))),
            ("347", DateOrRange::Single(date(2025, 12, 31))),
            (
                "307",
                DateOrRange::Range(date(2025, 1, 1), date(2025, 12, 31))
            ),
        ]
    );

    // Active coverage with the plan name; EB03 repetitions in order.
    let active = &s.benefits[0];
    assert_eq!(active.info_code, "1");
    assert_eq!(active.service_types, ["30", "MH", "BB", "A8"]);
    assert_eq!(active.insurance_type.as_deref(), Some("PR"));
    assert_eq!(active.plan_description.as_deref(), Some("GOLD PPO 1500"));
    assert_eq!(active.references[0].value, "PLAN1500");
    assert_eq!(active.dates[0].qualifier, "346");
    assert_eq!(active.amount, None);
    assert_eq!(active.in_network, None);

    // Deductible and out-of-pocket: base and remaining, IND and FAM, in and out of network.
    assert_eq!(
        eb(s, "C", "IND", "30", "23", InNetwork::Yes).amount,
        Some(dec("1500"))
    );
    assert_eq!(
        eb(s, "C", "IND", "30", "29", InNetwork::Yes).amount,
        Some(dec("1200"))
    );
    assert_eq!(
        eb(s, "C", "FAM", "30", "23", InNetwork::Yes).amount,
        Some(dec("3000"))
    );
    assert_eq!(
        eb(s, "C", "FAM", "30", "29", InNetwork::Yes).amount,
        Some(dec("2650.50"))
    );
    assert_eq!(
        eb(s, "C", "IND", "30", "23", InNetwork::No).amount,
        Some(dec("3000"))
    );
    assert_eq!(
        eb(s, "C", "IND", "30", "29", InNetwork::No).amount,
        Some(dec("3000"))
    );
    assert_eq!(
        eb(s, "G", "IND", "30", "23", InNetwork::Yes).amount,
        Some(dec("5000"))
    );
    assert_eq!(
        eb(s, "G", "IND", "30", "29", InNetwork::Yes).amount,
        Some(dec("4650"))
    );
    assert_eq!(
        eb(s, "G", "FAM", "30", "29", InNetwork::Yes).amount,
        Some(dec("9300"))
    );
    assert_eq!(
        eb(s, "G", "IND", "30", "23", InNetwork::No).amount,
        Some(dec("10000"))
    );

    // Coinsurance is a fraction, kept as sent.
    let coins: Vec<_> = s.benefits.iter().filter(|b| b.info_code == "A").collect();
    assert_eq!(coins.len(), 2);
    assert_eq!(coins[0].service_types, ["BB", "A8"]);
    assert_eq!(
        (coins[0].percent, coins[0].in_network),
        (Some(dec(".2")), Some(InNetwork::Yes))
    );
    assert_eq!(
        (coins[1].percent, coins[1].in_network),
        (Some(dec("0.4")), Some(InNetwork::No))
    );
    assert_eq!(coins[0].amount, None);

    // Copay per day (EB06 7) with its message, and per visit (27).
    let per_day = eb(s, "B", "IND", "BB", "7", InNetwork::Yes);
    assert_eq!(per_day.amount, Some(dec("50")));
    assert_eq!(
        per_day.messages,
        ["COPAY APPLIES PER DAY OF PARTIAL HOSPITALIZATION"]
    );
    assert_eq!(
        eb(s, "B", "IND", "A8", "27", InNetwork::Yes).amount,
        Some(dec("25"))
    );

    // Limitations: 30 days per service year with an HSD, 18 remaining with a benefit period.
    let limits: Vec<_> = s.benefits.iter().filter(|b| b.info_code == "F").collect();
    assert_eq!(limits.len(), 2);
    assert_eq!(limits[0].time_period.as_deref(), Some("22"));
    assert_eq!(limits[0].quantity_qualifier.as_deref(), Some("DY"));
    assert_eq!(limits[0].quantity, Some(dec("30")));
    assert_eq!(
        limits[0].delivery,
        [DeliveryPattern {
            quantity_qualifier: Some("DY".into()),
            quantity: Some(dec("30")),
            unit: Some("DA".into()),
            modulus: None,
            time_period: Some("22".into()),
            period_count: Some(dec("1")),
            frequency: None,
            pattern_time: None,
        }]
    );
    assert_eq!(
        (limits[1].time_period.as_deref(), limits[1].quantity),
        (Some("29"), Some(dec("18")))
    );
    assert_eq!(
        limits[1].dates[0].value,
        DateOrRange::Range(date(2025, 1, 1), date(2025, 12, 31))
    );
    assert_eq!(limits[1].in_network, None);

    // Prior authorization required (EB11 = Y), with both messages.
    let auth = s
        .benefits
        .iter()
        .find(|b| b.auth_required.is_some())
        .unwrap();
    assert_eq!(auth.auth_required, Some(AuthRequired::Yes));
    assert_eq!(auth.in_network, Some(InNetwork::Yes));
    assert_eq!(
        auth.messages,
        [
            "PRIOR AUTHORIZATION REQUIRED FOR PHP AND IOP",
            "DEDUCTIBLE APPLIES"
        ]
    );

    // EB13 procedure and EB14 pointer.
    let last = s.benefits.last().unwrap();
    assert_eq!(
        last.procedure,
        Some(ProcedureCode {
            qualifier: "HC".into(),
            code: "S9480".into(),
            modifiers: vec!["HQ".into()],
            range_end: None
        })
    );
    assert_eq!(last.diagnosis_pointers, [1]);
    assert_eq!(s.benefits.len(), 20);
}

#[test]
fn carve_out_entities_belong_to_the_preceding_eb() {
    let r = parse_271(CARVEOUT.as_bytes()).unwrap();
    let s = r.subscriber.as_ref().unwrap();
    assert_eq!(s.benefits.len(), 3);
    assert_eq!(
        s.benefits[0].plan_description.as_deref(),
        Some("SILVER HMO")
    );
    assert!(s.benefits[0].related_entities.is_empty());

    let mh = &s.benefits[1];
    assert_eq!(
        (mh.info_code.as_str(), mh.service_types.as_slice()),
        ("U", ["MH", "A8", "BB", "CH"].map(String::from).as_slice())
    );
    assert_eq!(
        mh.messages,
        ["BEHAVIORAL HEALTH BENEFITS ADMINISTERED BY SEPARATE VENDOR"]
    );
    assert_eq!(mh.related_entities.len(), 1);
    let carelon = &mh.related_entities[0];
    assert_eq!(carelon.name.entity_code, "Y2");
    assert_eq!(
        carelon.name.last_or_organization.as_deref(),
        Some("CARELON BEHAVIORAL HEALTH")
    );
    assert_eq!(
        (
            carelon.name.id_qualifier.as_deref(),
            carelon.name.id.as_deref()
        ),
        (Some("PI"), Some("BH7788"))
    );
    let a = carelon.address.as_ref().unwrap();
    assert_eq!(
        (a.line1.as_deref(), a.city.as_deref(), a.state.as_deref()),
        (Some("PO BOX 1850"), Some("HARTFORD"), Some("CT"))
    );
    let numbers: Vec<(&str, &str)> = carelon.contacts[0]
        .numbers
        .iter()
        .map(|n| (n.qualifier.as_str(), n.number.as_str()))
        .collect();
    assert_eq!(numbers, [("TE", "8005553434"), ("FX", "8005553435")]);

    let sud = &s.benefits[2];
    assert_eq!(sud.service_types, ["AI", "CJ"]);
    let codes: Vec<&str> = sud
        .related_entities
        .iter()
        .map(|e| e.name.entity_code.as_str())
        .collect();
    assert_eq!(codes, ["PR", "X3"]);
    assert_eq!(
        sud.related_entities[0].contacts[0].numbers[1].qualifier,
        "EX"
    );
    assert_eq!(
        sud.related_entities[1].name.id_qualifier.as_deref(),
        Some("46")
    );
    assert_eq!(
        sud.related_entities[1].contacts[0].numbers[0].number,
        "WWW.ACMEUM.EXAMPLE"
    );
    assert_eq!(s.dates[0].qualifier, "356");
}

#[test]
fn subscriber_not_found_is_a_2100c_rejection_without_benefits() {
    for text in [NOT_FOUND, DOMAIN_REJECTION] {
        let r = parse_271(text.as_bytes()).unwrap();
        let s = r.subscriber.as_ref().unwrap();
        assert!(s.benefits.is_empty());
        assert_eq!(
            s.rejections,
            [Rejection {
                loop_id: "2100C",
                valid_request: false,
                reason_code: Some("75".into()),
                follow_up_action: Some("C".into()),
            }]
        );
        assert_eq!(r.rejections().len(), 1);
        assert_eq!(
            s.demographics.as_ref().unwrap().birth_date,
            Some(date(1985, 3, 12))
        );
    }
    // The CRLF fixture also carries the provider's 2100B details.
    let receiver = parse_271(NOT_FOUND.as_bytes()).unwrap().receiver.unwrap();
    assert_eq!(
        receiver.references,
        [Reference {
            qualifier: "TJ".into(),
            value: "123456789".into(),
            description: None
        }]
    );
    let address = receiver.address.unwrap();
    assert_eq!(
        (address.line1.as_deref(), address.postal_code.as_deref()),
        (Some("100 MAIN ST"), Some("627011234"))
    );
    assert_eq!(
        receiver.provider,
        Some(ProviderInfo {
            provider_code: "PE".into(),
            reference_qualifier: Some("PXC".into()),
            reference: Some("261QM0801X".into()),
        })
    );
}

#[test]
fn aaa_before_the_payer_name_is_kept_at_2000a() {
    let x12 = DOMAIN_REJECTION
        .replace("HL*1**20*1~\nNM1*PR", "HL*1**20*1~\nAAA*N**42*R~\nNM1*PR")
        .replace("SE*12*0001", "SE*13*0001");
    let r = parse_271(x12.as_bytes()).unwrap();
    let loops: Vec<(&str, Option<&str>)> = r
        .rejections()
        .iter()
        .map(|a| (a.loop_id, a.reason_code.as_deref()))
        .collect();
    assert_eq!(loops, [("2000A", Some("42")), ("2100C", Some("75"))]);
}

#[test]
fn hi_and_mpi_in_2100c_are_read() {
    let x12 = with_benefits(&[
        "HI*ABK:F332*ABF:F411",
        "MPI*A*AO*A**C1*D8*20200101",
        "DTP*291*D8*20250120",
        "EB*1*IND*30",
    ]);
    let r = parse_271(x12.as_bytes()).unwrap();
    let s = r.subscriber.unwrap();
    let codes: Vec<(&str, &str)> = s
        .diagnoses
        .iter()
        .map(|d| (d.qualifier.as_str(), d.code.as_str()))
        .collect();
    assert_eq!(codes, [("ABK", "F332"), ("ABF", "F411")]);
    let mpi = s.military.unwrap();
    assert_eq!(
        (mpi.status.as_deref(), mpi.rank.as_deref()),
        (Some("A"), Some("C1"))
    );
    assert_eq!(mpi.date, Some(DateOrRange::Single(date(2020, 1, 1))));
    assert!(parse_271(with_benefits(&["HI*ABK"]).as_bytes()).is_err());
}

#[test]
fn dependent_loop_with_other_delimiters() {
    let r = parse_271(DEPENDENT.as_bytes()).unwrap();
    let s = r.subscriber.as_ref().unwrap();
    assert!(s.traces.is_empty() && s.benefits.is_empty());
    assert_eq!(s.name.first.as_deref(), Some("JOHN"));
    let d = r.dependent.as_ref().unwrap();
    assert_eq!(r.patient(), Some(d));
    assert_eq!(d.name.entity_code, "03");
    assert_eq!(d.name.first.as_deref(), Some("EMMA"));
    assert_eq!(d.traces[0].reference, "VOB0504");
    assert_eq!(d.relationship.as_ref().unwrap().relationship_code, "19");
    assert_eq!(d.references[0].qualifier, "SY");
    assert_eq!(d.benefits.len(), 4);
    // `}` is this interchange's repetition separator.
    assert_eq!(d.benefits[0].service_types, ["30", "MH"]);
    assert_eq!(d.benefits[0].insurance_type.as_deref(), Some("C1"));
    assert_eq!(
        (d.benefits[1].percent, d.benefits[1].in_network),
        (Some(dec(".3")), Some(InNetwork::NotApplicable))
    );
    let visits = &d.benefits[2];
    assert_eq!(
        (visits.quantity_qualifier.as_deref(), visits.quantity),
        (Some("VS"), Some(dec("20")))
    );
    assert_eq!(visits.auth_required, Some(AuthRequired::Unknown));
    assert_eq!(visits.messages.len(), 1);
    assert_eq!(
        d.benefits[3].rejections,
        [Rejection {
            loop_id: "2110D",
            valid_request: false,
            reason_code: Some("53".into()),
            follow_up_action: Some("C".into())
        }]
    );
}

#[test]
fn payer_unavailable_stops_at_2100a() {
    let r = parse_271(PAYER_UNAVAILABLE.as_bytes()).unwrap();
    assert!(r.receiver.is_none() && r.subscriber.is_none() && r.patient().is_none());
    let rejections = r.rejections();
    assert_eq!(rejections.len(), 1);
    assert_eq!(
        (rejections[0].loop_id, rejections[0].reason_code.as_deref()),
        ("2100A", Some("42"))
    );
    assert_eq!(rejections[0].follow_up_action.as_deref(), Some("R"));
}

#[test]
fn domain_example_271_reads_benefits_and_um_entity() {
    let r = parse_271(DOMAIN_EXAMPLE.as_bytes()).unwrap();
    let s = r.subscriber.as_ref().unwrap();
    assert_eq!(s.benefits.len(), 12);
    assert_eq!(s.benefits[0].service_types, ["30", "MH", "BB"]);
    let carve = s.benefits.last().unwrap();
    assert_eq!(carve.info_code, "U");
    assert_eq!(carve.related_entities[0].name.entity_code, "X3");
    assert_eq!(
        carve.related_entities[0].contacts[0].numbers[0].number,
        "8005551212"
    );
}

#[test]
fn line_break_styles_parse_the_same() {
    let compact = ACTIVE_PPO.replace('\n', "");
    let crlf = ACTIVE_PPO.replace('\n', "\r\n");
    let reference = parse_271(ACTIVE_PPO.as_bytes()).unwrap();
    assert_eq!(parse_271(compact.as_bytes()).unwrap(), reference);
    assert_eq!(parse_271(crlf.as_bytes()).unwrap(), reference);
    // As real files arrive: a byte-order mark, blank lines before the ISA, CR-only line ends.
    let cr = ACTIVE_PPO.replace('\n', "\r");
    let bom_crlf = format!("\u{FEFF}{crlf}");
    let leading = format!("\r\n\r\n  {ACTIVE_PPO}");
    let bom_then_blank = format!("\u{FEFF}\n\n{cr}");
    for (style, text) in [
        ("CR", &cr),
        ("BOM + CRLF", &bom_crlf),
        ("blank lines first", &leading),
        ("BOM, blank lines, CR", &bom_then_blank),
    ] {
        assert_eq!(
            parse_271(text.as_bytes()).as_ref(),
            Ok(&reference),
            "{style}"
        );
        assert_eq!(
            parse_271_batch(text.as_bytes()).as_deref(),
            Ok(std::slice::from_ref(&reference)),
            "{style}"
        );
    }
}

/// The domain example with `body` in place of everything after the subscriber's DMG.
fn with_benefits(body: &[&str]) -> String {
    let head = [
        "ST*271*0001*005010X279A1",
        "BHT*0022*11*VOB0001*20250115*103005",
        "HL*1**20*1",
        "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
        "HL*2*1*21*1",
        "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
        "HL*3*2*22*0",
        "NM1*IL*1*DOE*JANE****MI*W123456789",
    ];
    let mut set: Vec<String> = head.iter().chain(body).map(|s| s.to_string()).collect();
    set.push(format!("SE*{}*0001", set.len() + 1));
    format!(
        "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*SUBMITTERID    *250115*1030*^*00501*000000101*0*P*:~\
         GS*HB*ACMEPAYER*SUBMITTERID*20250115*1030*101*X*005010X279A1~{}~GE*1*101~IEA*1*000000101~",
        set.join("~")
    )
}

#[test]
fn iii_and_ls_after_iii_belong_to_the_eb() {
    let x12 = with_benefits(&[
        "EB*1*IND*A8",
        "III*ZZ*11",
        "LS*2120",
        "NM1*P3*1*SMITH*ANNA****XX*1245319599",
        "PRV*PE*PXC*2084P0800X",
        "LE*2120",
        "III*ZZ*22",
        "EB*6*IND*30",
    ]);
    let r = parse_271(x12.as_bytes()).unwrap();
    let b = &r.subscriber.as_ref().unwrap().benefits;
    assert_eq!(b.len(), 2);
    let places: Vec<Option<&str>> = b[0]
        .additional_info
        .iter()
        .map(|i| i.industry_code.as_deref())
        .collect();
    assert_eq!(places, [Some("11"), Some("22")]);
    assert_eq!(
        b[0].related_entities[0]
            .provider
            .as_ref()
            .unwrap()
            .reference
            .as_deref(),
        Some("2084P0800X")
    );
    assert_eq!(b[1].info_code, "6");
}

#[test]
fn malformed_271s_are_errors_with_positions() {
    // Segment numbers count from the ISA (1); `body` starts at segment 11.
    let cases: Vec<(Vec<&str>, X12Error)> = vec![
        (
            vec!["EB*A*IND*30*****20%"],
            X12Error::BadElement { segment: 11, id: "EB".into(), element: 8, reason: "not an X12 decimal number" },
        ),
        (
            vec!["EB*1*IND*30*********X"],
            X12Error::BadElement {
                segment: 11,
                id: "EB".into(),
                element: 12,
                reason: "in-plan-network indicator must be Y, N, W or U",
            },
        ),
        (vec!["EB*U*IND*MH", "LS*2120", "NM1*Y2*2*BH"], X12Error::UnexpectedEnd { expected: "LE*2120 closing LS*2120" }),
        (
            vec!["EB*U*IND*MH", "LS*2120", "PER*IC**TE*8005551212", "LE*2120"],
            X12Error::UnexpectedSegment {
                segment: 13,
                id: "PER".into(),
                expected: "NM1, N3, N4, PER, PRV or LE*2120 inside LS*2120",
            },
        ),
        (
            vec!["DTP*346*D8*20250230"],
            X12Error::BadElement { segment: 11, id: "DTP".into(), element: 3, reason: "not a calendar date" },
        ),
        (
            vec!["DMG*D8*19850312*F", "DMG*D8*19850312*F"],
            X12Error::UnexpectedSegment {
                segment: 12,
                id: "DMG".into(),
                expected: "at most one of this segment in the loop",
            },
        ),
        (
            vec!["HL*4*3*22*0", "NM1*IL*1*DOE"],
            X12Error::Unsupported {
                segment: 11,
                what: "more than one information source, receiver, subscriber or dependent (batch 271)",
            },
        ),
        (
            vec!["NM1*PR*2*X"],
            X12Error::UnexpectedSegment {
                segment: 11,
                id: "NM1".into(),
                expected: "a segment of the current loop, or the next HL level (20, 21, 22, 23 in order)",
            },
        ),
        (vec!["AAA*Q**75*C"], X12Error::BadElement {
            segment: 11,
            id: "AAA".into(),
            element: 1,
            reason: "valid request indicator must be Y or N",
        }),
    ];
    for (body, expected) in cases {
        assert_eq!(
            parse_271(with_benefits(&body).as_bytes()),
            Err(expected),
            "{body:?}"
        );
    }
}

#[test]
fn envelope_errors_reach_parse_271() {
    let se = ACTIVE_PPO.replace("SE*47*0001", "SE*46*0001");
    assert!(matches!(
        parse_271(se.as_bytes()),
        Err(X12Error::CountMismatch {
            element: "SE01",
            ..
        })
    ));
    let st = ACTIVE_PPO.replace("SE*47*0001", "SE*47*0002");
    assert!(matches!(
        parse_271(st.as_bytes()),
        Err(X12Error::ControlNumberMismatch {
            trailer: "SE02",
            ..
        })
    ));
    let iea = ACTIVE_PPO.replace("IEA*1*000000501", "IEA*1*000000502");
    assert!(matches!(
        parse_271(iea.as_bytes()),
        Err(X12Error::ControlNumberMismatch {
            trailer: "IEA02",
            ..
        })
    ));
    let ge = ACTIVE_PPO.replace("GE*1*501", "GE*1*500");
    assert!(matches!(
        parse_271(ge.as_bytes()),
        Err(X12Error::ControlNumberMismatch {
            trailer: "GE02",
            ..
        })
    ));
    // A 270 where a 271 was expected.
    let inquiry = build_270(&php_inquiry()).unwrap();
    assert_eq!(
        parse_271(inquiry.as_bytes()),
        Err(X12Error::UnexpectedTransaction {
            expected: "271",
            found: "270".into()
        })
    );
    // Two transaction sets.
    let two = DOMAIN_REJECTION.replace(
        "GE*1*102~",
        "ST*271*0002*005010X279A1~BHT*0022*11~SE*3*0002~GE*2*102~",
    );
    assert!(matches!(
        parse_271(two.as_bytes()),
        Err(X12Error::Unsupported { .. })
    ));
    // Batch errors name the second set's ST, or the first segment of the second group's first
    // set (0 when it has none).
    let number_of = |text: &str, id: &str, nth: usize| {
        let t = tokenize(text.as_bytes()).unwrap();
        t.segments
            .iter()
            .enumerate()
            .filter(|(_, s)| s.id() == id)
            .nth(nth)
            .map(|(i, _)| i + 1)
            .unwrap()
    };
    assert_eq!(
        parse_271(two.as_bytes()),
        Err(X12Error::Unsupported {
            segment: number_of(&two, "ST", 1),
            what: "more than one transaction set"
        })
    );
    let two_groups = DOMAIN_REJECTION.replace(
        "IEA*1*",
        "GS*HB*A*B*20250115*1030*103*X*V~ST*271*0003~BHT*0022*11~SE*3*0003~GE*1*103~IEA*2*",
    );
    assert_eq!(
        parse_271(two_groups.as_bytes()),
        Err(X12Error::Unsupported {
            segment: number_of(&two_groups, "ST", 1) + 1,
            what: "more than one functional group"
        })
    );
    let empty_group =
        DOMAIN_REJECTION.replace("IEA*1*", "GS*HB*A*B*20250115*1030*103*X*V~GE*0*103~IEA*2*");
    assert_eq!(
        parse_271(empty_group.as_bytes()),
        Err(X12Error::Unsupported {
            segment: 0,
            what: "more than one functional group"
        })
    );
    assert_eq!(parse_271(b""), Err(X12Error::Empty));
    assert!(matches!(parse_271(b"ISA*00"), Err(X12Error::Isa { .. })));
}

#[test]
fn errors_do_not_echo_element_values() {
    let x12 = with_benefits(&["DMG*D8*19851345*F"]);
    let message = parse_271(x12.as_bytes()).unwrap_err().to_string();
    assert!(!message.contains("19851345"), "{message}");
    let mut q = php_inquiry();
    q.subscriber.member_id = "SECRET*ID".into();
    let message = build_270(&q).unwrap_err().to_string();
    assert!(!message.contains("SECRET"), "{message}");
}

#[test]
fn gs08_without_the_errata_suffix_is_read_and_another_guide_refused_by_name() {
    let x12 = with_benefits(&["EB*1*IND*30"]);
    assert_eq!(x12.matches("*X*005010X279A1~").count(), 1, "GS08 only");
    let before_errata = x12.replace("*X*005010X279A1~", "*X*005010X279~");
    let r = parse_271(before_errata.as_bytes()).unwrap();
    assert_eq!(r.group.version, "005010X279");
    let v4010 = x12.replace("*X*005010X279A1~", "*X*004010X092A1~");
    let refused = X12Error::UnsupportedVersion {
        element: "GS08",
        found: "004010X092A1".into(),
        expected: "005010X279A1",
    };
    assert_eq!(parse_271(v4010.as_bytes()), Err(refused.clone()));
    assert_eq!(parse_271_batch(v4010.as_bytes()), Err(refused));
}

#[test]
fn trailing_empty_elements_are_not_sent_values() {
    let x12 = with_benefits(&[
        "EB*1**30**GOLD 123 PLAN********",
        "MSG*PLAN NOTE*",
        "LS*2120",
        "NM1*P3*1*JONES*MARCUS****SV*0202034***",
        "LE*2120",
    ]);
    let r = parse_271(x12.as_bytes()).unwrap();
    let eb = &r.subscriber.as_ref().unwrap().benefits[0];
    assert_eq!(eb.info_code, "1");
    assert_eq!(eb.coverage_level, None);
    assert_eq!(eb.service_types, ["30"]);
    assert_eq!(eb.plan_description.as_deref(), Some("GOLD 123 PLAN"));
    assert_eq!(
        (eb.auth_required, eb.in_network, &eb.procedure),
        (None, None, &None)
    );
    assert_eq!(eb.messages, ["PLAN NOTE"]);
    let pcp = &eb.related_entities[0].name;
    assert_eq!(
        (
            pcp.entity_code.as_str(),
            pcp.id.as_deref(),
            pcp.relationship.as_deref()
        ),
        ("P3", Some("0202034"), None)
    );
}

#[test]
fn any_repetition_separator_splits_eb03() {
    // ISA11 `>` with ISA16 `:`, as the TR3's one-line example is often written.
    let x12 = with_benefits(&["EB*B**1>33>MH>UC*HM*GOLD 123 PLAN*27*10*****Y"]).replacen(
        "*^*00501*",
        "*>*00501*",
        1,
    );
    let r = parse_271(x12.as_bytes()).unwrap();
    let eb = &r.subscriber.as_ref().unwrap().benefits[0];
    assert_eq!(eb.service_types, ["1", "33", "MH", "UC"]);
    assert_eq!(eb.amount, Some(dec("10")));
    assert_eq!(eb.in_network, Some(InNetwork::Yes));
    // Under `^` the same text is one (unknown) code: the ISA decides, not a guess.
    let caret = with_benefits(&["EB*B**1>33>MH>UC*HM*GOLD 123 PLAN*27*10*****Y"]);
    let r = parse_271(caret.as_bytes()).unwrap();
    assert_eq!(
        r.subscriber.as_ref().unwrap().benefits[0].service_types,
        ["1>33>MH>UC"]
    );
}

#[test]
fn an_entity_loop_after_the_last_eb_belongs_to_that_eb() {
    let x12 = with_benefits(&[
        "EB*1**30**GOLD 123 PLAN",
        "EB*L",
        "EB*B**MH*HM**27*10*****Y",
        "EB*B**MH*HM**27*30*****N",
        "LS*2120",
        "NM1*P3*1*JONES*MARCUS****SV*0202034",
        "LE*2120",
    ]);
    let r = parse_271(x12.as_bytes()).unwrap();
    let b = &r.subscriber.as_ref().unwrap().benefits;
    assert_eq!(b.len(), 4);
    assert!(b[..3].iter().all(|eb| eb.related_entities.is_empty()));
    assert_eq!(b[3].in_network, Some(InNetwork::No));
    assert_eq!(
        b[3].related_entities[0]
            .name
            .last_or_organization
            .as_deref(),
        Some("JONES")
    );
}

// ---------------------------------------------------------------- batch 271

/// An interchange (ISA13 101, one group, GS06 101) holding one 271 transaction set per `sets`
/// entry, each given by the segments between its ST and SE.
fn batch_of(sets: &[&[&str]]) -> String {
    let mut out = String::from(
        "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*SUBMITTERID    *250115*1030*^*00501*000000101*0*P*:~\
         GS*HB*ACMEPAYER*SUBMITTERID*20250115*1030*101*X*005010X279A1~",
    );
    for (i, body) in sets.iter().enumerate() {
        let control = format!("{:04}", i + 1);
        out += &format!("ST*271*{control}*005010X279A1~");
        for segment in *body {
            out += segment;
            out.push('~');
        }
        out += &format!("SE*{}*{control}~", body.len() + 2);
    }
    out + &format!("GE*{}*101~IEA*1*000000101~", sets.len())
}

/// Two subscribers under one receiver, the second with two dependents.
const FAMILY_SET: [&str; 19] = [
    "BHT*0022*11*BATCH01*20250115*1030",
    "HL*1**20*1",
    "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
    "HL*2*1*21*1",
    "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
    "HL*3*2*22*0",
    "TRN*2*TRACE-A*1123456789",
    "NM1*IL*1*DOE*JANE****MI*W1",
    "EB*1*IND*30",
    "HL*4*2*22*1",
    "NM1*IL*1*ROE*RICHARD****MI*W2",
    "HL*5*4*23*0",
    "TRN*2*TRACE-B*1123456789",
    "NM1*03*1*ROE*AMY",
    "EB*1*IND*30",
    "HL*6*4*23*0",
    "TRN*2*TRACE-C*1123456789",
    "NM1*03*1*ROE*BEN",
    "EB*6*IND*30",
];

/// The payer could not answer at all: a source with its AAA and nothing below.
const UNAVAILABLE_SET: [&str; 4] = [
    "BHT*0022*11*BATCH02*20250115*1031",
    "HL*1**20*0",
    "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
    "AAA*N**42*R",
];

/// Two sources: the first refuses the receiver, the second answers for one member.
const TWO_SOURCES_SET: [&str; 14] = [
    "BHT*0022*11*BATCH03*20250115*1032",
    "HL*1**20*1",
    "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
    "HL*2*1*21*0",
    "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
    "AAA*Y**50*N",
    "HL*3**20*1",
    "NM1*PR*2*ACME SENIOR PLAN*****PI*12346",
    "HL*4*3*21*1",
    "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
    "HL*5*4*22*0",
    "TRN*2*TRACE-D*1123456789",
    "NM1*IL*1*POE*DANA****MI*W4",
    "EB*1*IND*30",
];

/// Who each member of a batch is: (ST02, payer, receiver, subscriber, dependent, patient's traces).
type Who = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Vec<String>,
);

fn who(r: &Response271) -> Who {
    let last = |m: &Option<Member271>| {
        m.as_ref()
            .and_then(|m| {
                m.name
                    .first
                    .as_ref()
                    .or(m.name.last_or_organization.as_ref())
            })
            .cloned()
    };
    (
        r.transaction_set_control_number.clone(),
        r.source.name.last_or_organization.clone().unwrap(),
        r.receiver
            .as_ref()
            .and_then(|x| x.name.last_or_organization.clone()),
        last(&r.subscriber),
        last(&r.dependent),
        r.patient()
            .map(|p| p.traces.iter().map(|t| t.reference.clone()).collect())
            .unwrap_or_default(),
    )
}

#[test]
fn a_batch_271_gives_one_answer_per_member_with_what_it_came_under() {
    let x12 = batch_of(&[&FAMILY_SET, &UNAVAILABLE_SET, &TWO_SOURCES_SET]);
    assert!(matches!(
        parse_271(x12.as_bytes()),
        Err(X12Error::Unsupported { .. })
    ));
    let members = parse_271_batch(x12.as_bytes()).unwrap();
    let s = |t: &str| t.to_string();
    let some = |t: &str| Some(t.to_string());
    let acme = || s("ACME HEALTH PLAN");
    let clinic = || some("SUNRISE BEHAVIORAL HEALTH");
    assert_eq!(
        members.iter().map(who).collect::<Vec<Who>>(),
        [
            (
                s("0001"),
                acme(),
                clinic(),
                some("JANE"),
                None,
                vec![s("TRACE-A")]
            ),
            (
                s("0001"),
                acme(),
                clinic(),
                some("RICHARD"),
                some("AMY"),
                vec![s("TRACE-B")]
            ),
            (
                s("0001"),
                acme(),
                clinic(),
                some("RICHARD"),
                some("BEN"),
                vec![s("TRACE-C")]
            ),
            (s("0002"), acme(), None, None, None, vec![]),
            (s("0003"), acme(), clinic(), None, None, vec![]),
            (
                s("0003"),
                s("ACME SENIOR PLAN"),
                clinic(),
                some("DANA"),
                None,
                vec![s("TRACE-D")]
            ),
        ]
    );
    // Each reads like the single answer it would have been.
    assert_eq!(members[0].reference.as_deref(), Some("BATCH01"));
    assert_eq!(
        members[0].subscriber.as_ref().unwrap().benefits[0].info_code,
        "1"
    );
    assert_eq!(
        members[2].dependent.as_ref().unwrap().benefits[0].info_code,
        "6"
    );
    assert_eq!(members[3].reference.as_deref(), Some("BATCH02"));
    let codes = |r: &Response271| -> Vec<(&'static str, Option<String>)> {
        r.rejections()
            .iter()
            .map(|a| (a.loop_id, a.reason_code.clone()))
            .collect()
    };
    assert_eq!(codes(&members[3]), [("2100A", Some("42".into()))]);
    assert_eq!(codes(&members[4]), [("2100B", Some("50".into()))]);
    assert!(
        codes(&members[5]).is_empty(),
        "the first source's AAA stays with it"
    );
    assert!(members
        .iter()
        .all(|m| m.interchange.control_number == "000000101" && m.group.control_number == "101"));
}

#[test]
fn each_group_of_a_batch_keeps_its_own_gs() {
    let x12 = batch_of(&[&FAMILY_SET]).replace(
        "IEA*1*",
        "GS*HB*ACMEPAYER*SUBMITTERID*20250116*0900*102*X*005010X279~ST*271*0001~\
         BHT*0022*11*BATCH04*20250116*0900~HL*1**20*0~NM1*PR*2*ACME HEALTH PLAN*****PI*12345~\
         AAA*N**42*R~SE*6*0001~GE*1*102~IEA*2*",
    );
    let members = parse_271_batch(x12.as_bytes()).unwrap();
    let groups: Vec<(&str, &str)> = members
        .iter()
        .map(|m| (m.group.control_number.as_str(), m.group.version.as_str()))
        .collect();
    assert_eq!(
        groups,
        [
            ("101", "005010X279A1"),
            ("101", "005010X279A1"),
            ("101", "005010X279A1"),
            ("102", "005010X279"),
        ]
    );
    assert_eq!(members[3].implementation_reference, None);
}

#[test]
fn a_single_answer_reads_the_same_through_both_readers() {
    for (name, text) in FIXTURES {
        let single = parse_271(text.as_bytes()).unwrap();
        assert_eq!(
            parse_271_batch(text.as_bytes()).unwrap(),
            vec![single],
            "{name}"
        );
    }
}

#[test]
fn a_batch_is_refused_whole_when_any_part_is_broken() {
    let good = batch_of(&[&FAMILY_SET, &UNAVAILABLE_SET]);
    assert_eq!(parse_271_batch(good.as_bytes()).unwrap().len(), 4);
    // The second set's SE count: the envelope no longer vouches for the rest.
    let count = good.replace("SE*6*0002", "SE*7*0002");
    assert!(matches!(
        parse_271_batch(count.as_bytes()),
        Err(X12Error::CountMismatch {
            element: "SE01",
            ..
        })
    ));
    // A 999 among the 271s.
    let other = good.replace("ST*271*0002", "ST*999*0002");
    assert_eq!(
        parse_271_batch(other.as_bytes()),
        Err(X12Error::UnexpectedTransaction {
            expected: "271",
            found: "999".into()
        })
    );
    // A dependent with no subscriber above it.
    let orphan = batch_of(&[&[
        "BHT*0022*11*BATCH05*20250115*1030",
        "HL*1**20*1",
        "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
        "HL*2*1*21*1",
        "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
        "HL*3*2*23*0",
        "NM1*03*1*ROE*AMY",
    ]]);
    assert_eq!(
        parse_271_batch(orphan.as_bytes()),
        Err(X12Error::UnexpectedSegment {
            segment: 9,
            id: "HL".into(),
            expected:
                "a segment of the current loop, or the next HL level (20, 21, 22, 23 in order)",
        })
    );
    assert_eq!(parse_271_batch(b""), Err(X12Error::Empty));
    let no_set = "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*SUBMITTERID    *250115*1030*^*00501*000000101*0*P*:~\
         GS*HB*A*B*20250115*1030*101*X*005010X279A1~GE*0*101~IEA*1*000000101~";
    assert_eq!(
        parse_271_batch(no_set.as_bytes()),
        Err(X12Error::UnexpectedEnd {
            expected: "a transaction set (ST)"
        })
    );
}

// ---------------------------------------------------------------- no panics

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_271(&bytes);
        let _ = parse_271_batch(&bytes);
        let _ = Interchange::parse(&bytes);
    }

    #[test]
    fn random_bytes_after_a_valid_isa_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut bytes = DOMAIN_REJECTION.as_bytes()[..106].to_vec();
        bytes.extend(tail);
        let _ = parse_271(&bytes);
        let _ = parse_271_batch(&bytes);
    }

    #[test]
    fn truncated_fixtures_never_panic(which in 0..FIXTURES.len(), cut in any::<prop::sample::Index>()) {
        let text = FIXTURES[which].1.as_bytes();
        let end = cut.index(text.len() + 1);
        let result = parse_271(&text[..end]);
        let batch = parse_271_batch(&text[..end]);
        // Only the whole interchange (give or take trailing line breaks) may parse.
        if end + 2 < text.len() {
            prop_assert!(result.is_err());
            prop_assert!(batch.is_err());
        }
    }

    #[test]
    fn mutated_batches_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = batch_of(&[&FAMILY_SET, &UNAVAILABLE_SET, &TWO_SOURCES_SET]).into_bytes();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(members) = parse_271_batch(&bytes) {
            prop_assert!(!members.is_empty());
        }
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0..FIXTURES.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = FIXTURES[which].1.as_bytes().to_vec();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let _ = parse_271(&bytes);
        let _ = parse_271_batch(&bytes);
    }

    #[test]
    fn mutated_real_world_271s_never_panic(
        which in 0..REAL_WORLD.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = REAL_WORLD[which].to_vec();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let _ = parse_271(&bytes);
        let _ = parse_271_batch(&bytes);
    }

    #[test]
    fn truncated_real_world_271s_are_errors(
        which in 0..REAL_WORLD.len(),
        cut in any::<prop::sample::Index>(),
    ) {
        let text = REAL_WORLD[which];
        let end = cut.index(text.len() + 1);
        // Only the whole interchange (give or take a trailing line break) may be read.
        if end + 2 < text.len() {
            prop_assert!(parse_271(&text[..end]).is_err());
            prop_assert!(parse_271_batch(&text[..end]).is_err());
        }
    }

    #[test]
    fn random_bytes_are_no_acknowledgment_and_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        prop_assert!(parse_acknowledgment(&bytes).is_err());
    }

    #[test]
    fn random_segments_after_a_valid_isa_never_panic(
        body in proptest::string::string_regex("((TA1|AK1|AK2|IK3|IK4|IK5|AK9|CTX|GS|ST|SE|GE|IEA)(\\*[0-9A-Z:]{0,4}){0,6}~){0,12}").unwrap(),
    ) {
        let isa = &ACKNOWLEDGMENTS[0][..106];
        let _ = parse_acknowledgment(format!("{isa}{body}").as_bytes());
    }

    #[test]
    fn truncated_acknowledgments_are_errors(which in 0..ACKNOWLEDGMENTS.len(), cut in any::<prop::sample::Index>()) {
        let text = ACKNOWLEDGMENTS[which].as_bytes();
        let end = cut.index(text.len() + 1);
        let result = parse_acknowledgment(&text[..end]);
        // Only the whole interchange (give or take its trailing line break) may parse.
        if end + 1 < text.len() {
            prop_assert!(result.is_err());
        } else {
            prop_assert!(result.is_ok());
        }
    }

    #[test]
    fn mutated_acknowledgments_never_panic(
        which in 0..ACKNOWLEDGMENTS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let mut bytes = ACKNOWLEDGMENTS[which].as_bytes().to_vec();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(ack) = parse_acknowledgment(&bytes) {
            prop_assert!(!ack.summary().is_empty());
        }
    }
}
