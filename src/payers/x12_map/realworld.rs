//! The real-world 271 corpus (`fixtures/realworld/271/`: third-party files, sources and
//! licences in its README). Each file is either read — with the figures a verification
//! specialist reads from it asserted at the parser level and through [`answer`] and
//! [`summarize`] — or refused with the specific reason a careful person would give. They answer
//! other people's 270s, so the identity guard is tested with scenarios elsewhere.
//!
//! EBs are compared as one line each, every element that was sent by name, so that a reading
//! that changes (a dropped MSG, an entity moved to another EB, an amount re-scaled) fails here.

use crate::domain::benefits::{
    summarize, Contact, Copay, CoverageStatus, LevelSummary, OtherPayerOrder, YesNoUnknown,
};
use crate::domain::eligibility::{
    follow_up_action, AppliesVia, EligibilityAnswer, LevelOfCare, Money, Program, Sourced,
};
use crate::x12::{
    parse_271, parse_271_batch, tokenize, Address, Benefit, DateOrRange, EntityName, Member271,
    RelatedEntity, Response271, Usage, X12Error,
};

use super::{answer, answer_for_trace};

macro_rules! corpus {
    ($file:literal) => {
        include_bytes!(concat!("../../../fixtures/realworld/271/", $file))
    };
}

const LFH_SUBSCRIBER: &[u8] = corpus!("lfh_subscriber-health-benefit-check.271");
const LFH_DEPENDENT: &[u8] = corpus!("lfh_dependent-health-benefit-check.271");
const LFH_ERROR: &[u8] = corpus!("lfh_subscriber-health-benefit-check-error.271");
const ZIRMED: &[u8] = corpus!("tigershark_zirmed_271-example-3.txt");
const EMEDNY: &[u8] = corpus!("xiaoerge_emedny_271.edi");
const CONCORDIA: &[u8] = corpus!("xiaoerge_united_concordia_dental_271.edi");
const BADX12: &[u8] = corpus!("badx12_X279-response-dependent.edi");
const KARTIK_REJECTED: &[u8] = corpus!("kartik_271_rejected_subscriber.x12");
const GAINWELL: &[u8] = corpus!("kartik_gainwell_271_redacted_batch.edi");
const IMSWEB_4010: &[u8] = corpus!("imsweb_x271_4010_envelope.txt");

// ---------------------------------------------------------------- reading helpers

/// The one answer a file holds, read the same by the single and the batch reader.
fn only(file: &[u8]) -> Response271 {
    let single = parse_271(file).expect("the single reader reads it");
    assert_eq!(
        parse_271_batch(file).expect("the batch reader reads it"),
        std::slice::from_ref(&single)
    );
    single
}

fn date(d: &DateOrRange) -> String {
    match d {
        DateOrRange::Single(day) => day.to_string(),
        DateOrRange::Range(from, to) => format!("{from}..{to}"),
    }
}

fn name(n: &EntityName) -> String {
    let id = match (&n.id_qualifier, &n.id) {
        (Some(q), Some(id)) => Some(format!("{q}:{id}")),
        _ => None,
    };
    [
        Some(n.entity_code.clone()),
        n.entity_type.clone(),
        n.last_or_organization.clone(),
        n.first.clone(),
        n.middle.clone(),
        id,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

fn address(a: &Address) -> String {
    [
        a.line1.clone(),
        a.line2.clone(),
        a.city.clone(),
        a.state.clone(),
        a.postal_code.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

fn entity(e: &RelatedEntity) -> String {
    let mut out = name(&e.name);
    if let Some(a) = &e.address {
        out += &format!(" at {}", address(a));
    }
    for c in &e.contacts {
        out += &format!(" per {}", c.name.as_deref().unwrap_or("-"));
        for n in &c.numbers {
            out += &format!(" {}:{}", n.qualifier, n.number);
        }
    }
    out
}

/// An EB with everything that belongs to it, each element sent by name.
fn eb(b: &Benefit) -> String {
    let mut out = format!("EB{}", b.info_code);
    let mut put = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            out += &format!(" {label}={value}");
        }
    };
    put("level", b.coverage_level.clone());
    put(
        "types",
        (!b.service_types.is_empty()).then(|| b.service_types.join(",")),
    );
    put("insurance", b.insurance_type.clone());
    put("plan", b.plan_description.clone());
    put("period", b.time_period.clone());
    put("amount", b.amount.map(|a| a.to_string()));
    put("percent", b.percent.map(|p| p.to_string()));
    put(
        "quantity",
        b.quantity
            .map(|q| format!("{q}{}", b.quantity_qualifier.as_deref().unwrap_or("?"))),
    );
    put("auth", b.auth_required.map(|a| format!("{a:?}")));
    put("network", b.in_network.map(|n| format!("{n:?}")));
    put(
        "procedure",
        b.procedure
            .as_ref()
            .map(|p| format!("{}:{}", p.qualifier, p.code)),
    );
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    for h in &b.delivery {
        put(
            "hsd",
            Some(format!(
                "{} {} {} {} {} {}",
                or_dash(h.quantity_qualifier.clone()),
                or_dash(h.quantity.map(|q| q.to_string())),
                or_dash(h.unit.clone()),
                or_dash(h.modulus.map(|q| q.to_string())),
                or_dash(h.time_period.clone()),
                or_dash(h.period_count.map(|q| q.to_string())),
            )),
        );
    }
    for r in &b.references {
        put("ref", Some(format!("{}:{}", r.qualifier, r.value)));
    }
    for d in &b.dates {
        put("date", Some(format!("{}:{}", d.qualifier, date(&d.value))));
    }
    for a in &b.rejections {
        put(
            "aaa",
            Some(a.reason_code.clone().unwrap_or_else(|| "-".into())),
        );
    }
    for m in &b.messages {
        put("msg", Some(m.clone()));
    }
    for i in &b.additional_info {
        put(
            "iii",
            Some(format!(
                "{}:{}",
                or_dash(i.code_list_qualifier.clone()),
                or_dash(i.industry_code.clone())
            )),
        );
    }
    for e in &b.related_entities {
        put("entity", Some(entity(e)));
    }
    out
}

fn ebs(m: &Member271) -> Vec<String> {
    m.benefits.iter().map(eb).collect()
}

fn traces(m: &Member271) -> Vec<String> {
    m.traces
        .iter()
        .map(|t| {
            [
                Some(t.trace_type.clone()),
                Some(t.reference.clone()),
                t.originator_id.clone(),
                t.supplemental_id.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
        })
        .collect()
}

/// DMG and INS as sent: `1963-05-19 M`, `INS Y 18 001 25`.
fn demographics(m: &Member271) -> String {
    let mut out = m
        .demographics
        .as_ref()
        .map(|d| {
            format!(
                "{} {}",
                d.birth_date.map_or("-".into(), |b| b.to_string()),
                d.gender.as_deref().unwrap_or("-")
            )
        })
        .unwrap_or_default();
    if let Some(ins) = &m.relationship {
        out += &format!(
            " INS {} {} {} {}",
            ins.insured_indicator,
            ins.relationship_code,
            ins.maintenance_type.as_deref().unwrap_or("-"),
            ins.maintenance_reason.as_deref().unwrap_or("-")
        );
    }
    out
}

fn member_dates(m: &Member271) -> Vec<String> {
    m.dates
        .iter()
        .map(|d| format!("{}:{}", d.qualifier, date(&d.value)))
        .collect()
}

fn rejections(r: &Response271) -> Vec<String> {
    r.rejections()
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {}",
                a.loop_id,
                if a.valid_request { "Y" } else { "N" },
                a.reason_code.as_deref().unwrap_or("-"),
                a.follow_up_action.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

// ---------------------------------------------------------------- summary helpers

fn via(step: Option<AppliesVia>) -> &'static str {
    step.map_or("-", AppliesVia::as_str)
}

fn said<T: std::fmt::Debug>(s: &Sourced<T>) -> String {
    format!("{:?} ({}; {})", s.value, s.source, via(s.applies_via))
}

fn money(m: &Option<Money>) -> Option<String> {
    m.as_ref().map(|m| {
        format!(
            "{} ({}; {})",
            m.value.as_str(),
            m.source,
            via(m.applies_via)
        )
    })
}

fn copay(c: &Option<Copay>) -> Option<String> {
    c.as_ref().map(|c| {
        format!(
            "{} per {:?} ({}; {})",
            c.amount,
            c.per,
            c.source,
            via(c.applies_via)
        )
    })
}

fn contact(c: &Contact) -> String {
    format!(
        "{} {} {}:{} tel {} for {}{} ({})",
        c.role,
        c.name.as_deref().unwrap_or("-"),
        c.id_qualifier.as_deref().unwrap_or("-"),
        c.identifier.as_deref().unwrap_or("-"),
        c.phone.as_deref().unwrap_or("-"),
        c.purpose,
        if c.is_payer { ", the payer itself" } else { "" },
        c.source
    )
}

fn contacts(s: &LevelSummary) -> Vec<String> {
    s.contacts.iter().map(contact).collect()
}

fn general(s: &LevelSummary) -> Vec<String> {
    s.general_figures
        .iter()
        .map(|g| format!("{} ({})", g.figure, g.applies_via.as_str()))
        .collect()
}

fn mh_iop(answer: &EligibilityAnswer) -> LevelSummary {
    summarize(answer, LevelOfCare::Iop, Program::MentalHealth)
}

/// Nothing stated for an accumulator.
fn is_blank(s: &LevelSummary) -> bool {
    [&s.in_network, &s.out_of_network].iter().all(|n| {
        [&n.deductible, &n.out_of_pocket].iter().all(|t| {
            [&t.individual, &t.family]
                .iter()
                .all(|a| a.total.is_none() && a.met.is_none() && a.remaining.is_none())
        })
    })
}

// ---------------------------------------------------------------- the corpus

/// Every file, and what becomes of it: how many answers are read, or why it is refused.
#[test]
fn every_file_is_read_or_refused_with_its_reason() {
    let refused = |element: &'static str, found: &str, expected: &'static str| {
        Err(X12Error::UnsupportedVersion {
            element,
            found: found.into(),
            expected,
        })
    };
    let corpus: [(&str, &[u8], Result<usize, X12Error>); 10] = [
        ("lfh subscriber", LFH_SUBSCRIBER, Ok(1)),
        ("lfh dependent", LFH_DEPENDENT, Ok(1)),
        (
            "lfh error",
            LFH_ERROR,
            Err(X12Error::ControlNumberMismatch {
                segment: 10,
                trailer: "SE02",
                header: "ST02",
                expected: "4321".into(),
                found: "4323".into(),
            }),
        ),
        ("zirmed", ZIRMED, Ok(1)),
        ("emedny", EMEDNY, Ok(1)),
        ("concordia", CONCORDIA, refused("ISA12", "00602", "00501")),
        ("badx12", BADX12, Ok(1)),
        ("kartik rejected", KARTIK_REJECTED, Ok(1)),
        ("gainwell", GAINWELL, Ok(153)),
        (
            "imsweb 4010",
            IMSWEB_4010,
            refused("ISA12", "00401", "00501"),
        ),
    ];
    for (file, bytes, verdict) in corpus {
        let read = parse_271_batch(bytes).map(|members| members.len());
        assert_eq!(read, verdict, "{file}");
        if let Err(error) = verdict {
            // The single reader refuses it for the same reason.
            assert_eq!(parse_271(bytes), Err(error), "{file}");
        }
    }
}

#[test]
fn the_refusals_name_what_is_wrong() {
    let message = |bytes: &[u8]| parse_271_batch(bytes).unwrap_err().to_string();
    assert_eq!(
        message(LFH_ERROR),
        "segment 10: SE02 \"4323\" does not match ST02 \"4321\""
    );
    assert_eq!(
        message(CONCORDIA),
        "unsupported version \"00602\" in ISA12; expected 00501"
    );
    // 4010: refused for its version, not for its ISA11 `U` (the 4010 standards identifier),
    // its wrong SE count or its IEA02 — the version is what a person would fix first.
    assert_eq!(
        message(IMSWEB_4010),
        "unsupported version \"00401\" in ISA12; expected 00501"
    );
}

#[test]
fn lfh_subscriber_example_reads_mh_copays_by_network_and_the_pcp_as_a_contact() {
    let r = only(LFH_SUBSCRIBER);
    assert_eq!(
        (
            r.interchange.sender_qualifier.as_str(),
            r.interchange.sender_id.as_str(),
            r.interchange.receiver_id.as_str(),
            r.interchange.control_number.as_str(),
            r.interchange.usage,
            r.interchange.ack_requested,
        ),
        ("30", "000000005", "12345", "000000907", Usage::Test, true)
    );
    assert_eq!(
        (r.group.functional_id.as_str(), r.group.version.as_str()),
        ("HB", "005010X279A1")
    );
    assert_eq!(r.transaction_set_control_number, "4321");
    assert_eq!(
        (r.purpose_code.as_str(), r.reference.as_deref()),
        ("11", Some("10001234"))
    );
    assert_eq!(r.created.to_string(), "2006-05-01 13:19:00");
    assert_eq!(name(&r.source.name), "PR 2 ABC COMPANY PI:841610001");
    let receiver = r.receiver.as_ref().unwrap();
    assert_eq!(name(&receiver.name), "1P 2 BONE AND JOIN CLINIC SV:2000035");
    assert!(r.dependent.is_none());
    let s = r.subscriber.as_ref().unwrap();
    assert_eq!(traces(s), ["2 93175-012547 9877281234"]);
    assert_eq!(name(&s.name), "IL 1 SMITH JOHN MI:123456789");
    assert_eq!(
        address(s.address.as_ref().unwrap()),
        "15197 BROADWAY AVENUE, APT 215, KANSAS CITY, MO, 64108"
    );
    assert_eq!(demographics(s), "1963-05-19 M");
    assert_eq!(member_dates(s), ["346:2006-01-01"]);
    const TYPES: &str = "1,33,35,47,86,88,98,AL,MH,UC";
    assert_eq!(
        ebs(s),
        [
            "EB1 types=30 plan=GOLD 123 PLAN".to_string(),
            "EBL entity=P3 1 JONES MARCUS SV:0202034".into(),
            format!("EB1 types={TYPES}"),
            format!("EBB types={TYPES} insurance=HM plan=GOLD 123 PLAN period=27 amount=10.00 network=Yes"),
            format!("EBB types={TYPES} insurance=HM plan=GOLD 123 PLAN period=27 amount=30.00 network=No"),
        ]
    );
    assert!(rejections(&r).is_empty());

    let a = answer(&r);
    let payer = a.payer.as_ref().unwrap();
    assert_eq!(
        (payer.name.as_deref(), payer.id.as_deref()),
        (Some("ABC COMPANY"), Some("841610001"))
    );
    let about = a.answered_for.as_ref().unwrap();
    assert_eq!(about.traces, ["93175-012547"]);
    assert_eq!(
        (
            about.member_id.as_deref(),
            about.first_name.as_deref(),
            about.last_name.as_deref(),
            about.birth_date.map(|d| d.to_string()),
            about.identity_corrected,
            about.source.as_str(),
        ),
        (
            Some("123456789"),
            Some("JOHN"),
            Some("SMITH"),
            Some("1963-05-19".into()),
            false,
            "271 2100C"
        )
    );

    for level in [LevelOfCare::Iop, LevelOfCare::Php] {
        let mh = summarize(&a, level, Program::MentalHealth);
        assert_eq!(said(&mh.coverage_status), "Active (271 2110C EB #1; plan)");
        assert_eq!(
            mh.service_covered.as_ref().map(said).as_deref(),
            Some("true (271 2110C EB #3; program)")
        );
        assert_eq!(
            mh.plan_name.as_ref().map(said).as_deref(),
            Some("\"GOLD 123 PLAN\" (271 2110C EB #1 (EB05); -)")
        );
        assert_eq!(
            mh.plan_begin.as_ref().map(said).as_deref(),
            Some("\"2006-01-01\" (271 2100C DTP*346; -)")
        );
        // MH is among the copay rows' service types: the program step, per network.
        assert_eq!(
            copay(&mh.in_network.copay).as_deref(),
            Some("10.00 per Visit (271 2110C EB #4; program)")
        );
        assert_eq!(
            copay(&mh.out_of_network.copay).as_deref(),
            Some("30.00 per Visit (271 2110C EB #5; program)")
        );
        assert!(is_blank(&mh), "no deductible or out of pocket is stated");
        assert_eq!(mh.in_network.coinsurance_percent, None);
        assert_eq!(
            mh.in_network.prior_authorization.value,
            YesNoUnknown::Unknown
        );
        assert!(mh.general_figures.is_empty());
        assert_eq!(mh.carve_out, None);
        assert_eq!(
            contacts(&mh),
            [
                "primary care provider MARCUS JONES SV:0202034 tel - for primary care provider \
              (all services) (271 2110C EB #2 (related entity))"
            ]
        );
        assert!(mh.other_coverage.is_empty());
        assert!(mh.messages.is_empty());
    }
    // Substance use is not among the service types: the copay is the hospital's (47), a
    // facility figure staff confirm, and nothing says the level itself is covered.
    let sud = summarize(&a, LevelOfCare::Php, Program::SubstanceUse);
    assert_eq!(
        copay(&sud.in_network.copay).as_deref(),
        Some("10.00 per Visit (271 2110C EB #4; facility)")
    );
    assert_eq!(sud.service_covered, None);
    assert_eq!(
        general(&sud),
        [
            "in_network.copay (facility)",
            "out_of_network.copay (facility)"
        ]
    );
}

#[test]
fn lfh_dependent_example_reads_the_dependents_own_loop() {
    let r = only(LFH_DEPENDENT);
    assert_eq!(name(&r.source.name), "PR 2 ABC COMPANY PI:841610001");
    let s = r.subscriber.as_ref().unwrap();
    assert!(s.traces.is_empty() && s.benefits.is_empty());
    assert_eq!(name(&s.name), "IL 1 SMITH JOHN MI:123456789");
    assert_eq!(demographics(s), "1963-05-19 M");
    let d = r.dependent.as_ref().unwrap();
    assert_eq!(traces(d), ["2 93175-012547 9877281234"]);
    assert_eq!(name(&d.name), "03 1 SMITH MARY");
    assert_eq!(
        address(d.address.as_ref().unwrap()),
        "15197 BROADWAY AVENUE, APT 215, KANSAS CITY, MO, 64108"
    );
    assert_eq!(demographics(d), "1998-10-14 F INS N 19 - -");
    assert_eq!(member_dates(d), ["346:2006-01-01"]);
    const TYPES: &str = "1,33,35,47,86,88,98,AL,MH,UC";
    assert_eq!(
        ebs(d),
        [
            "EB1 types=30 plan=GOLD 123 PLAN".to_string(),
            "EBL entity=P3 1 JONES MARCUS SV:0202034".into(),
            format!("EB1 types={TYPES}"),
            format!("EBB types={TYPES} insurance=HM plan=GOLD 123 PLAN period=27 amount=10.00 network=Yes"),
            format!("EBB types={TYPES} insurance=HM plan=GOLD 123 PLAN period=27 amount=30.00 network=No"),
        ]
    );

    let a = answer(&r);
    let about = a.answered_for.as_ref().unwrap();
    assert_eq!(about.traces, ["93175-012547"]);
    // The member id is the subscriber's; the person is the dependent.
    assert_eq!(
        (
            about.member_id.as_deref(),
            about.first_name.as_deref(),
            about.birth_date.map(|d| d.to_string()),
            about.source.as_str(),
        ),
        (
            Some("123456789"),
            Some("MARY"),
            Some("1998-10-14".into()),
            "271 2100D"
        )
    );
    let mh = mh_iop(&a);
    assert_eq!(said(&mh.coverage_status), "Active (271 2110D EB #1; plan)");
    assert_eq!(
        copay(&mh.in_network.copay).as_deref(),
        Some("10.00 per Visit (271 2110D EB #4; program)")
    );
    assert_eq!(
        copay(&mh.out_of_network.copay).as_deref(),
        Some("30.00 per Visit (271 2110D EB #5; program)")
    );
    assert_eq!(
        mh.plan_begin.as_ref().map(said).as_deref(),
        Some("\"2006-01-01\" (271 2100D DTP*346; -)")
    );
    assert_eq!(
        contacts(&mh),
        [
            "primary care provider MARCUS JONES SV:0202034 tel - for primary care provider \
          (all services) (271 2110D EB #2 (related entity))"
        ]
    );
}

#[test]
fn zirmed_medica_reads_plan_level_out_of_pocket_precert_and_a_general_contact() {
    let r = only(ZIRMED);
    let delimiters = tokenize(ZIRMED).unwrap().delimiters;
    assert_eq!(
        (
            delimiters.element(),
            delimiters.repetition(),
            delimiters.component(),
            delimiters.segment()
        ),
        ('|', '}', '^', '~')
    );
    assert_eq!(
        (
            r.interchange.sender_id.as_str(),
            r.interchange.receiver_id.as_str(),
            r.interchange.control_number.as_str(),
            r.interchange.usage,
        ),
        ("ZIRMED", "10864", "000184077", Usage::Production)
    );
    assert_eq!(
        (r.group.control_number.as_str(), r.reference.as_deref()),
        ("184065", Some("94309"))
    );
    assert_eq!(r.created.to_string(), "2016-03-01 13:44:03");
    assert_eq!(name(&r.source.name), "PR 2 MEDICA COM PI:123456789");
    // The clearinghouse's provider name as sent: NM103 James, NM104 Barraret.
    assert_eq!(
        name(&r.receiver.as_ref().unwrap().name),
        "1P 1 James Barraret J. XX:1234567894"
    );
    let s = r.subscriber.as_ref().unwrap();
    // The clearinghouse's own TRN*1 beside the 270's TRN*2.
    assert_eq!(
        traces(s),
        [
            "2 434343434 9ZIRMEDCOM ELR ID",
            "1 422422424 9ZIRMEDCOM ELI ID"
        ]
    );
    assert_eq!(name(&s.name), "IL 1 SMITH JOHN MI:1234567899");
    let refs: Vec<String> = s
        .references
        .iter()
        .map(|r| format!("{}:{} {:?}", r.qualifier, r.value, r.description))
        .collect();
    assert_eq!(
        refs,
        [
            "18:0404044 None",
            "6P:030030001000120 Some(\"NEVADA EXCHANGE\")"
        ]
    );
    assert_eq!(
        address(s.address.as_ref().unwrap()),
        "4040 VILLAGE AB, KANSAS CITY, MO, 64108"
    );
    assert_eq!(demographics(s), "1943-08-13 M INS Y 18 001 25");
    assert_eq!(
        member_dates(s),
        ["346:2016-02-01", "472:2016-06-01", "356:2014-12-08"]
    );
    const SAVINGS: &str = "msg=MAXIMUM SAVINGS,QUALIFIED HEALTH PLAN DESIGNATED PROVIDERS";
    assert_eq!(
        ebs(s),
        [
            "EBL level=EMP types=30 insurance=EP msg=PCP SELECTION NOT REQUIRED".to_string(),
            "EBW entity=PR 2 Mala Compania at PO Box 983322, El Fixato, TX, 68887".into(),
            "EB1 level=EMP types=30 insurance=EP plan=Open Access Elect Choice".into(),
            format!("EBG level=IND types=30 amount=2100 network=Yes {SAVINGS} msg=INT MED AND RX"),
            "EBG level=IND types=30 period=29 amount=2100 network=Yes".into(),
            "EBF level=EMP types=30 network=Yes msg=PLAN REQUIRES PRECERT".into(),
            "EBF level=EMP types=30 msg=COMMERCIAL".into(),
            "EBF level=EMP types=30 period=32 msg=UNLIMITED LIFETIME BENEFITS".into(),
            "EB1 level=EMP types=1,33,47,48,50,86,98,UC,AL,MH,88 plan=Open Access Elect Choice"
                .into(),
            format!(
                "EBA level=EMP types=33 percent=0 network=Yes {SAVINGS} \
                 msg=CHIROPRACTOR VISIT OR EVALUATION IN OFFICE \
                 msg=LAB PERFORMED BY CHIROPRACTOR IN OFFICE msg=XRAY BY CHIROPRACTOR IN OFFICE"
            ),
            format!(
                "EBA level=EMP types=86 percent=0 network=Yes {SAVINGS} \
                 msg=EMERGENCY ROOM PHYSICIAN msg=EMERGENCY USE OF EMERGENCY ROOM msg=URGENT CARE"
            ),
            format!(
                "EBA level=EMP types=98 percent=0.1 network=Yes {SAVINGS} \
                 msg=GYN VISIT,COINS APPLIES TO OUT OF POCKET \
                 msg=SPECIALIST VISIT OR EVALUATION,COINS APPLIES TO OUT OF POCKET \
                 msg=PRIMARY CARE VISIT OR EVALUATION,COINS APPLIES TO OUT OF POCKET iii=ZZ:11"
            ),
            format!(
                "EBB level=EMP types=33 amount=20 network=Yes {SAVINGS} \
                 msg=CHIROPRACTOR VISIT OR EVALUATION IN OFFICE,COPAY INCLUDED IN OOP \
                 msg=LAB PERFORMED BY CHIROPRACTOR IN OFFICE,COPAY INCLUDED IN OOP \
                 msg=XRAY BY CHIROPRACTOR IN OFFICE,COPAY INCLUDED IN OOP"
            ),
            "EBF level=IND types=33 network=Yes hsd=VS 35 - - 21 1 msg=SHT TRM RHB OP,\
             MANIPULATION BY CHIROPRACTOR,OCCUPATIONAL THERAPY BY CHIROPRACTOR,PHYSICAL \
             THERAPY BY CHIROPRACTOR"
                .into(),
            "EBF level=IND types=33 network=Yes hsd=VS 35 - - 29 - msg=SHT TRM RHB OP".into(),
            "EBI level=EMP types=86 network=Yes msg=NON EMERGENCY USE OF EMERGENCY ROOM/EXCLUSION"
                .into(),
            "EBI level=EMP types=86,UC network=Yes \
             msg=NON URGENT SERVICES AT AN URGENT CARE FACILITY/EXCLUSION"
                .into(),
            "EBF level=EMP types=1,33,48,50,86,98,UC msg=PLAN INCLUDES NAP".into(),
            "EBI level=EMP types=1,33,48,50,86,98,UC network=No".into(),
        ]
    );

    let a = answer(&r);
    // INS04 25: the payer says it changed identifying data.
    let about = a.answered_for.as_ref().unwrap();
    assert_eq!(
        about.traces,
        ["434343434"],
        "only the TRN*2 is the 270's echo"
    );
    assert!(about.identity_corrected);
    assert_eq!(
        (
            about.member_id.as_deref(),
            about.birth_date.map(|d| d.to_string())
        ),
        (Some("1234567899"), Some("1943-08-13".into()))
    );

    for (level, program) in [
        (LevelOfCare::Iop, Program::MentalHealth),
        (LevelOfCare::Php, Program::SubstanceUse),
    ] {
        let sum = summarize(&a, level, program);
        assert_eq!(said(&sum.coverage_status), "Active (271 2110C EB #3; plan)");
        assert_eq!(
            sum.plan_name.as_ref().map(said).as_deref(),
            Some("\"Open Access Elect Choice\" (271 2110C EB #3 (EB05); -)")
        );
        // The only out of pocket is the plan's (30): total and remaining from that one step.
        let oop = &sum.in_network.out_of_pocket.individual;
        assert_eq!(
            money(&oop.total).as_deref(),
            Some("2100.00 (271 2110C EB #4; plan)")
        );
        assert_eq!(
            money(&oop.remaining).as_deref(),
            Some("2100.00 (271 2110C EB #5; plan)")
        );
        assert_eq!(
            money(&oop.met).as_deref(),
            Some("0.00 (derived: total − remaining (271 2110C EB #4; 271 2110C EB #5); plan)")
        );
        assert_eq!(sum.out_of_network.out_of_pocket.individual.total, None);
        assert_eq!(sum.in_network.deductible.individual.total, None);
        assert_eq!(
            said(&sum.in_network.prior_authorization),
            "Yes (271 2110C EB #6 (MSG \"PLAN REQUIRES PRECERT\"); plan)"
        );
        assert_eq!(
            general(&sum),
            [
                "in_network.out_of_pocket.individual (plan)",
                "in_network.prior_authorization (plan)"
            ]
        );
        // The chiropractic, emergency and specialist rows name none of the rule's types.
        assert_eq!(sum.in_network.copay, None);
        assert_eq!(sum.in_network.coinsurance_percent, None);
        // EB*W with NM1*PR and no service type: a general contact, never the carve-out.
        assert_eq!(sum.carve_out, None);
        assert_eq!(
            contacts(&sum),
            [
                "payer Mala Compania -:- tel - for holds the benefit information (all services) \
              (271 2110C EB #2 (related entity))"
            ]
        );
        assert!(sum.other_coverage.is_empty());
    }
    let mh = mh_iop(&a);
    assert_eq!(
        mh.service_covered.as_ref().map(said).as_deref(),
        Some("true (271 2110C EB #9; program)")
    );
    assert_eq!(
        summarize(&a, LevelOfCare::Php, Program::SubstanceUse).service_covered,
        None,
        "no substance-use type is listed"
    );
    assert_eq!(
        mh.messages,
        [
            "PCP SELECTION NOT REQUIRED",
            "MAXIMUM SAVINGS,QUALIFIED HEALTH PLAN DESIGNATED PROVIDERS",
            "INT MED AND RX",
            "PLAN REQUIRES PRECERT",
            "COMMERCIAL",
            "UNLIMITED LIFETIME BENEFITS",
            "PLAN INCLUDES NAP",
        ]
    );
}

#[test]
fn emedny_reads_mh_active_medicare_as_other_coverage_and_restricted_providers() {
    let r = only(EMEDNY);
    assert_eq!(r.transaction_set_control_number, "00001");
    assert_eq!(name(&r.source.name), "PR 2 NYSDOH FI:141797357");
    let per = &r.source.contacts[0];
    let numbers: Vec<String> = per
        .numbers
        .iter()
        .map(|n| format!("{}:{}", n.qualifier, n.number))
        .collect();
    assert_eq!(
        (per.function_code.as_str(), per.name.as_deref(), numbers),
        (
            "IC",
            Some("eMedNY Provider Services"),
            vec!["TE:8003439000".to_string(), "UR:www.emedny.org".into()]
        )
    );
    assert_eq!(
        name(&r.receiver.as_ref().unwrap().name),
        "1P 2 Busy Provider XX:1234567891"
    );
    let s = r.subscriber.as_ref().unwrap();
    assert_eq!(traces(s), ["2 110010101000002 1141540488 274807891"]);
    assert_eq!(
        name(&s.name),
        "IL 1 Patient Last Name Patient First Name MI:XX99999X"
    );
    assert_eq!(s.references[0].qualifier, "SY");
    assert_eq!(s.references[0].value, "123456789");
    assert_eq!(
        address(s.address.as_ref().unwrap()),
        "123 Any Street, Any Town, NY, 11111"
    );
    // 10010101 is the companion guide's placeholder birth date: read as sent, not refused
    // and not guessed at.
    assert_eq!(demographics(s), "1001-01-01 M");
    assert_eq!(
        member_dates(s),
        ["472:2010-06-08", "346:2010-06-01", "102:1994-05-01"]
    );
    assert_eq!(
        ebs(s),
        [
            "EB1 level=IND types=30 plan=MA Eligible msg=35 msg=46 msg=49 msg=95 \
             msg=RECERT MONTH=12",
            "EBB level=IND types=30 amount=0",
            "EB1 level=IND types=1",
            "EB1 level=IND types=35",
            "EB1 level=IND types=47",
            "EB1 level=IND types=86",
            "EB1 level=IND types=88",
            "EBN level=IND types=88 entity=P3 2 Benefit Related Provider XX:1987654321",
            "EB1 level=IND types=98",
            "EB1 level=IND types=AL",
            "EB1 level=IND types=MH",
            "EB1 level=IND types=UC",
            "EBN level=IND types=CQ entity=P3 2 Benefit Related Provider XX:9995995661",
            "EBR level=IND types=30 ref=18:012345679C1 entity=P4 2 MEDICARE ABD",
        ]
    );

    let a = answer(&r);
    let payer = a.payer.as_ref().unwrap();
    assert_eq!(
        (payer.name.as_deref(), payer.id.as_deref()),
        (Some("NYSDOH"), Some("141797357"))
    );
    let about = a.answered_for.as_ref().unwrap();
    assert_eq!(about.traces, ["110010101000002"]);
    assert_eq!(
        (
            about.member_id.as_deref(),
            about.first_name.as_deref(),
            about.last_name.as_deref(),
            about.birth_date.map(|d| d.to_string())
        ),
        (
            Some("XX99999X"),
            Some("Patient First Name"),
            Some("Patient Last Name"),
            Some("1001-01-01".into())
        )
    );

    let mh = mh_iop(&a);
    assert_eq!(said(&mh.coverage_status), "Active (271 2110C EB #1; plan)");
    // EB*1 MH: the program step says mental health itself is covered.
    assert_eq!(
        mh.service_covered.as_ref().map(said).as_deref(),
        Some("true (271 2110C EB #11; program)")
    );
    assert_eq!(
        mh.plan_name.as_ref().map(said).as_deref(),
        Some("\"MA Eligible\" (271 2110C EB #1 (EB05); -)")
    );
    assert_eq!(
        mh.plan_begin.as_ref().map(said).as_deref(),
        Some("\"2010-06-01\" (271 2100C DTP*346; -)")
    );
    // The plan's $0 copay, stated without a network: a plan figure for both.
    for network in [&mh.in_network, &mh.out_of_network] {
        assert_eq!(
            copay(&network.copay).as_deref(),
            Some("0.00 per Unspecified (271 2110C EB #2; plan)")
        );
    }
    assert!(is_blank(&mh));
    let medicare = &mh.other_coverage[0];
    assert_eq!(mh.other_coverage.len(), 1);
    assert_eq!(
        (
            medicare.name.as_deref(),
            medicare.entity_code.as_deref(),
            medicare.order,
            medicare.plan_number.as_deref(),
            medicare.source.as_str(),
        ),
        (
            Some("MEDICARE ABD"),
            Some("P4"),
            OtherPayerOrder::Prior,
            Some("012345679C1"),
            "271 2110C EB #14 (related entity)"
        )
    );
    // EB*R is coverage the payer knows of now: staff confirm the billing order.
    assert_eq!(
        crate::domain::benefits::other_coverage_warning(medicare),
        "the payer reports other coverage with MEDICARE ABD (prior carrier): confirm whether it \
         is still in force and the billing order before billing"
    );
    assert_eq!(mh.carve_out, None);
    assert_eq!(
        contacts(&mh),
        [
            "payer NYSDOH -:141797357 tel 8003439000 for the payer's own contact, the payer \
             itself (payer (information source))",
            "primary care provider Benefit Related Provider XX:1987654321 tel - for services \
             restricted to this provider (service types 88) (271 2110C EB #8 (related entity))",
            "primary care provider Benefit Related Provider XX:9995995661 tel - for services \
             restricted to this provider (service types CQ) (271 2110C EB #13 (related entity))",
        ]
    );
    assert_eq!(mh.messages, ["35", "46", "49", "95", "RECERT MONTH=12"]);
}

#[test]
fn badx12_one_line_dependent_reads_with_its_own_repetition_separator() {
    let r = only(BADX12);
    assert_eq!(tokenize(BADX12).unwrap().delimiters.repetition(), '>');
    // GS08 and ST03 before the errata: the same loops, read.
    assert_eq!(r.group.version, "005010X279");
    assert_eq!(r.implementation_reference.as_deref(), Some("005010X279"));
    assert_eq!(name(&r.source.name), "PR 2 ABC COMPANY PI:842610001");
    let s = r.subscriber.as_ref().unwrap();
    assert!(s.traces.is_empty() && s.benefits.is_empty());
    assert_eq!(name(&s.name), "IL 1 SMITH JOHN MI:123456789");
    assert_eq!(demographics(s), "1963-05-19 M");
    let d = r.dependent.as_ref().unwrap();
    assert_eq!(traces(d), ["2 93175-012547 9877281234"]);
    assert_eq!(name(&d.name), "03 1 SMITH MARY");
    assert_eq!(demographics(d), "1998-10-14 F INS N 19 - -");
    assert_eq!(member_dates(d), ["346:2006-01-01"]);
    const TYPES: &str = "1,33,35,47,86,88,98,AL,MH,UC";
    // The LS/LE comes after the last EB here: by the loop rules it belongs to that EB.
    assert_eq!(
        ebs(d),
        [
            "EB1 types=30 plan=GOLD 123 PLAN".to_string(),
            "EBL".into(),
            format!("EB1 types={TYPES}"),
            format!(
                "EBB types={TYPES} insurance=HM plan=GOLD 123 PLAN period=27 amount=10 network=Yes"
            ),
            format!(
                "EBB types={TYPES} insurance=HM plan=GOLD 123 PLAN period=27 amount=30 network=No \
                 entity=P3 1 JONES MARCUS SV:0202034"
            ),
        ]
    );

    let a = answer(&r);
    let mh = mh_iop(&a);
    assert_eq!(said(&mh.coverage_status), "Active (271 2110D EB #1; plan)");
    assert_eq!(
        copay(&mh.in_network.copay).as_deref(),
        Some("10.00 per Visit (271 2110D EB #4; program)")
    );
    assert_eq!(
        copay(&mh.out_of_network.copay).as_deref(),
        Some("30.00 per Visit (271 2110D EB #5; program)")
    );
    assert_eq!(
        contacts(&mh),
        [
            "primary care provider MARCUS JONES SV:0202034 tel - for named on a benefit (service \
          types 1, 33, 35, 47, 86, 88, 98, AL, MH, UC) (271 2110D EB #5 (related entity))"
        ]
    );
}

#[test]
fn kartik_rejected_subscriber_reads_the_payers_reason() {
    let r = only(KARTIK_REJECTED);
    // GS01 HS (the 270's code) on a 271: a label; the ST says what it is.
    assert_eq!(r.group.functional_id, "HS");
    assert_eq!(name(&r.source.name), "PR 2 DC MEDICAID PI:DCMEDICAID");
    assert_eq!(
        name(&r.receiver.as_ref().unwrap().name),
        "1P 2 ACME HOME HEALTH XX:1234567893"
    );
    let s = r.subscriber.as_ref().unwrap();
    assert_eq!(traces(s), ["2 TRACE0002 9877281234"]);
    assert_eq!(name(&s.name), "IL 1 DOE REJECTED MI:000123452");
    assert!(s.benefits.is_empty());
    assert_eq!(rejections(&r), ["2100C N 72 C"]);

    let a = answer(&r);
    let rejection = &a.rejections[0];
    assert_eq!(
        (
            rejection.code.as_str(),
            rejection.description.as_str(),
            rejection.follow_up.as_deref(),
            rejection.source.as_str(),
        ),
        (
            "72",
            "Invalid/missing subscriber/insured ID",
            Some("C"),
            "271 2100C AAA"
        )
    );
    assert_eq!(follow_up_action("C"), "Please correct and resubmit");
    assert!(!rejection.is_transient());
    let mh = mh_iop(&a);
    assert_eq!(
        said(&mh.coverage_status),
        "Unknown (the payer rejected the inquiry; -)"
    );
    assert!(mh.contacts.is_empty() && mh.other_coverage.is_empty());
}

#[test]
fn gainwell_batch_reads_153_members_each_with_its_trace() {
    assert!(
        matches!(
            parse_271(GAINWELL),
            Err(X12Error::Unsupported {
                what: "more than one transaction set",
                ..
            })
        ),
        "the single reader leaves batches to the batch reader"
    );
    let members = parse_271_batch(GAINWELL).unwrap();
    assert_eq!(members.len(), 153);
    for (i, m) in members.iter().enumerate() {
        let n = i + 1;
        let s = m.subscriber.as_ref().unwrap();
        assert_eq!(m.transaction_set_control_number, format!("{n:04}"));
        assert_eq!(m.reference, Some(format!("GAINWELL{n:06}")));
        assert_eq!(traces(s), [format!("2 TRACE{n:06} 9876543210")]);
        assert_eq!(
            name(&s.name),
            format!("IL 1 MEMBER{n:03} TEST{n:03} MI:SUB{n:06}")
        );
        assert_eq!(name(&m.source.name), "PR 2 GAINWELL TEST PAYER PI:GWTEST");
        assert_eq!(
            name(&m.receiver.as_ref().unwrap().name),
            "1P 2 TEST PROVIDER GROUP XX:1234567893"
        );
        assert_eq!(
            (
                m.group.functional_id.as_str(),
                m.group.control_number.as_str()
            ),
            ("HS", "901")
        );
        // Members 1-136 are active under the test plan; the `|` inside EB05 is text here.
        if n <= 136 {
            assert_eq!(
                ebs(s),
                [format!(
                    "EB1 types=30,1,35,47,48,50,86,88,AL,MH insurance=MC \
                     plan=TEST PLAN|A{n:03}|MEDICAID date=291:2026-04-22 \
                     entity=P5 2 PLAN SPONSOR {n:03} per PROVIDER RELATIONS TE:866555{n:04} \
                     EM:support{n:03}@example.test per EDI HELPDESK TE:877555{n:04}"
                )],
                "member {n}"
            );
        }
    }
    let desk = |n: usize| {
        format!(
            "date=291:2026-04-22 entity=P5 2 SUPPLEMENTAL DESK {n} per SUPPORT DESK \
             TE:855555{n:04}"
        )
    };
    let only_eb = |n: usize| ebs(members[n - 1].subscriber.as_ref().unwrap());
    assert_eq!(
        only_eb(137),
        [format!(
            "EBR types=30,35,47 insurance=MC plan=SUPPLEMENTAL PLAN R {}",
            desk(137)
        )]
    );
    assert_eq!(
        only_eb(138),
        [format!(
            "EBL types=30,35,47 insurance=MC plan=SUPPLEMENTAL PLAN L {}",
            desk(138)
        )]
    );
    assert_eq!(
        only_eb(139),
        [format!(
            "EBMC types=30,35,47 insurance=MC plan=SUPPLEMENTAL PLAN MC {}",
            desk(139)
        )]
    );
    assert_eq!(
        only_eb(140),
        [format!(
            "EBB types=30,35,47 period=23 amount=5.00 {}",
            desk(140)
        )]
    );
    let refused: Vec<String> = members[140..].iter().flat_map(rejections).collect();
    assert_eq!(
        refused,
        [
            "2100C N 71 C",
            "2100C N 73 C",
            "2100C N 71 C",
            "2100C N 73 C",
            "2100C N 75 C",
            "2100C N 73 C",
            "2100C N 71 C",
            "2100C N 73 C",
            "2100C N 73 C",
            "2100C N 71 C",
            "2100C N 73 C",
            "2100C N 73 C",
            "2100C N 73 C",
        ]
    );
    assert!(members[..140].iter().all(|m| rejections(m).is_empty()));

    // Ours, by trace: the others are set aside with a note.
    let ours = answer_for_trace(&members, "TRACE000077").unwrap();
    assert_eq!(
        ours.notes,
        [
            "the payer's answer held 152 other members' answers; they were set aside (not this \
          inquiry's trace)"
        ]
    );
    let about = ours.answered_for.as_ref().unwrap();
    assert_eq!(
        (
            about.traces.as_slice(),
            about.member_id.as_deref(),
            about.last_name.as_deref(),
            about.birth_date.map(|d| d.to_string())
        ),
        (
            &["TRACE000077".to_string()][..],
            Some("SUB000077"),
            Some("MEMBER077"),
            Some("1980-01-21".into())
        )
    );
    let mh = mh_iop(&ours);
    // The one active row lists 30 with MH: the plan's status, which it also states for MH.
    assert_eq!(said(&mh.coverage_status), "Active (271 2110C EB #1; plan)");
    assert_eq!(
        mh.service_covered.as_ref().map(said).as_deref(),
        Some("true (271 2110C EB #1; program)")
    );
    assert_eq!(
        mh.plan_name.as_ref().map(said).as_deref(),
        Some("\"TEST PLAN|A077|MEDICAID\" (271 2110C EB #1 (EB05); -)")
    );
    assert_eq!(
        contacts(&mh),
        [
            "plan sponsor PLAN SPONSOR 077 -:- tel 8665550077 for named on the active coverage \
          (service types 30, 1, 35, 47, 48, 50, 86, 88, AL, MH) (271 2110C EB #1 (related \
          entity))"
        ]
    );
    // A member the payer could not find: its reason, not another member's benefits.
    let not_found = answer_for_trace(&members, "TRACE000145").unwrap();
    assert_eq!(
        not_found
            .rejections
            .iter()
            .map(|r| (r.code.as_str(), r.description.as_str()))
            .collect::<Vec<_>>(),
        [("75", "Subscriber/insured not found")]
    );
    assert!(not_found.benefits.is_empty());
    // The $5 copay stated for plan, dental and hospital (47): for MH IOP a facility figure.
    let copay_member = answer_for_trace(&members, "TRACE000140").unwrap();
    let mh = mh_iop(&copay_member);
    assert_eq!(
        copay(&mh.in_network.copay).as_deref(),
        Some("5.00 per Unspecified (271 2110C EB #1; facility)")
    );
    assert_eq!(mh.coverage_status.value, CoverageStatus::Unknown);
    // The other payer's row (EB*R, Medicaid, no order stated).
    let other = mh_iop(&answer_for_trace(&members, "TRACE000137").unwrap()).other_coverage;
    assert_eq!(
        other
            .iter()
            .map(|o| (o.order, o.insurance_type.as_deref(), o.name.as_deref()))
            .collect::<Vec<_>>(),
        [(
            OtherPayerOrder::Unknown,
            Some("MC"),
            Some("SUPPLEMENTAL PLAN R")
        )]
    );
    // None of them is this inquiry's.
    assert_eq!(
        answer_for_trace(&members, "0194f1d26a4e7c1b9a532d2f5c9e8a10-2"),
        Err(crate::payers::PayerError::Mismatch(
            "the payer's batch answer of 153 members holds none with our trace number \
             0194f1d26a4e7c1b9a532d2f5c9e8a10-2"
                .into()
        ))
    );
}
