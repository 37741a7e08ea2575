//! A scenario as a 271 (005010X279A1), written with the x12 writer.
//!
//! ```text
//! BHT*0022*11*<270 BHT03>
//! 2000A HL*1**20*1  2100A NM1*PR [AAA  ← reject at 2100A: HL04 = 0 and nothing follows]
//! 2000B HL*2*1*21*1 2100B NM1*1P
//! 2000C HL*3*2*22*0 TRN*2 [TRN*2 clearinghouse] 2100C NM1*IL [REF*Q4] [AAA ← reject at 2100C]
//!       DMG [INS*Y*18*001*25] DTP*346 DTP*347
//!       2110C EB [REF] [DTP] [MSG] [2115C III*ZZ] [LS*2120 NM1 PER LE*2120]
//! 2000D HL*4*3*23*0 (only when the 270 had a dependent: TRN*2, NM1*03 and the EBs move here)
//! ```
//!
//! A batch answer (`batch_with`) puts other members' 2000C loops beside ours, each with its own
//! trace and an inactive plan, and numbers the HLs in order. `x12_format` adds a byte-order mark
//! and line breaks after the whole interchange is written, as a payer's gateway would.
//!
//! EB03 is written repeated (`30^MH^BB`) and LS/LE follow the EB/MSG directly, as real payers
//! send them (domain reference §1.2); the pyx12 map refuses both, a known limit of the oracle.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::inquiry::{Asked, Person};
use super::scenario::{BatchWith, BenefitRow, Echo, Entity, RejectLoop, Scenario, X12Format};
use crate::x12::values::format_d8;
use crate::x12::{write_interchange, Element, Envelope, Segment, TransactionKind, X12Error};

/// GS01/ST01/GS08 of a 271.
pub const KIND_271: TransactionKind = TransactionKind {
    functional_id: "HB",
    transaction_set_id: "271",
    version: "005010X279A1",
};

/// The payer's name when the request did not name it (JSON requests carry only its id).
pub const DEFAULT_PAYER_NAME: &str = "MOCK HEALTH PLAN";
/// The payer's id when the request did not name it.
pub const DEFAULT_PAYER_ID: &str = "MOCKPAYER";

/// Writes the 271 answering `asked` with `scenario`, in `envelope`.
pub fn render_271(
    scenario: &Scenario,
    asked: &Asked,
    envelope: &Envelope,
) -> Result<String, X12Error> {
    let text = write_interchange(
        envelope,
        KIND_271,
        &body(scenario, asked, envelope.timestamp),
    )?;
    Ok(match scenario.x12_format {
        Some(format) => laid_out(&text, format, envelope.delimiters.segment()),
        None => text,
    })
}

/// `text` as a payer's gateway sends it: a byte-order mark, a line break after each segment.
fn laid_out(text: &str, format: X12Format, terminator: char) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    if format.byte_order_mark {
        out.push('\u{feff}');
    }
    match format.line_ending {
        Some(ending) => {
            for segment in text.split_inclusive(terminator) {
                out.push_str(segment);
                out.push_str(ending.as_str());
            }
        }
        None => out.push_str(text),
    }
    out
}

fn body(scenario: &Scenario, asked: &Asked, now: NaiveDateTime) -> Vec<Segment> {
    let mut s = Vec::new();
    // BHT02 11: response; BHT03 echoes the 270's reference.
    let reference = asked.reference.as_deref().unwrap_or(&asked.trace);
    s.push(Segment::simple(
        "BHT",
        &[
            "0022",
            "11",
            reference,
            &now.format("%Y%m%d").to_string(),
            &now.format("%H%M%S").to_string(),
        ],
    ));
    let reject = scenario.reject.as_ref();
    let payer_rejects = reject.is_some_and(|r| r.loop_id == RejectLoop::Source);
    // 2000A; with a 2100A rejection the payer answers nothing below it.
    s.push(Segment::simple(
        "HL",
        &["1", "", "20", if payer_rejects { "0" } else { "1" }],
    ));
    let (payer_name, payer_id) = asked.answering_payer();
    s.push(nm1("PR", "2", payer_name, "", "PI", payer_id));
    if let (true, Some(r)) = (payer_rejects, reject) {
        s.push(aaa(&r.code, &r.follow_up));
        return s;
    }
    // 2000B/2100B: the provider who asked.
    s.push(Segment::simple("HL", &["2", "1", "21", "1"]));
    let npi = asked.provider_npi.as_deref().unwrap_or_default();
    s.push(nm1(
        "1P",
        "2",
        asked.provider_name.as_deref().unwrap_or("PROVIDER"),
        "",
        if npi.is_empty() { "" } else { "XX" },
        npi,
    ));
    let mut hl = Hl { next: 3 };
    let (before, after) = match scenario.batch_with {
        Some(BatchWith { members, ours_at }) => (ours_at, members.saturating_sub(ours_at)),
        None => (0, 0),
    };
    for other in 0..before {
        push_other_member(&mut s, &mut hl, asked, other);
    }
    push_member(&mut s, &mut hl, scenario, asked);
    for other in before..before + after {
        push_other_member(&mut s, &mut hl, asked, other);
    }
    s
}

/// HL01 numbers, in the order the loops are written.
struct Hl {
    next: u32,
}

impl Hl {
    fn take(&mut self) -> String {
        let n = self.next;
        self.next += 1;
        n.to_string()
    }
}

/// Our member's 2000C (and 2000D) loop.
fn push_member(s: &mut Vec<Segment>, hl: &mut Hl, scenario: &Scenario, asked: &Asked) {
    let echo = scenario.echo(asked);
    let member_rejected = scenario
        .reject
        .as_ref()
        .filter(|r| r.loop_id == RejectLoop::Subscriber);
    let dependent = asked
        .dependent
        .as_ref()
        .filter(|_| member_rejected.is_none());
    let subscriber_hl = hl.take();
    s.push(Segment::simple(
        "HL",
        &[
            &subscriber_hl,
            "2",
            "22",
            if dependent.is_some() { "1" } else { "0" },
        ],
    ));
    if dependent.is_none() {
        push_traces(s, scenario, asked, &echo);
    }
    // The patient's names as the payer has them go where the patient is named.
    let subscriber = if dependent.is_some() {
        asked.subscriber.clone()
    } else {
        echo.patient.clone()
    };
    s.push(nm1(
        "IL",
        "1",
        subscriber.last_name.as_deref().unwrap_or("UNKNOWN"),
        subscriber.first_name.as_deref().unwrap_or_default(),
        "MI",
        &echo.member_id,
    ));
    if let Some(prior) = &echo.prior_member_id {
        // 2100C REF*Q4: the prior id the payer replaced with NM109.
        s.push(Segment::simple("REF", &["Q4", prior]));
    }
    if let Some(r) = member_rejected {
        s.push(aaa(&r.code, &r.follow_up));
        s.extend(dmg(&subscriber));
        return;
    }
    s.extend(dmg(&subscriber));
    match dependent {
        None => {
            if echo.identity_corrected {
                // INS01 Y subscriber, INS02 18 self, INS03 001 change, INS04 25 change in
                // identifying data elements.
                s.push(Segment::simple("INS", &["Y", "18", "001", "25"]));
            }
            push_member_benefits(s, scenario, asked);
        }
        Some(_) => {
            // 2000D: the patient is a dependent; the benefits are the dependent's.
            s.push(Segment::simple(
                "HL",
                &[&hl.take(), &subscriber_hl, "23", "0"],
            ));
            push_traces(s, scenario, asked, &echo);
            let person = &echo.patient;
            s.push(nm1(
                "03",
                "1",
                person.last_name.as_deref().unwrap_or("UNKNOWN"),
                person.first_name.as_deref().unwrap_or_default(),
                "",
                "",
            ));
            s.extend(dmg(person));
            if echo.identity_corrected {
                // INS01 N dependent, INS02 G8 other relationship (the 270 does not say which).
                s.push(Segment::simple("INS", &["N", "G8", "001", "25"]));
            }
            push_member_benefits(s, scenario, asked);
        }
    }
}

/// TRN*2: the 270's TRN*1 echoed (or the scenario's foreign trace), and a clearinghouse's own
/// beside it.
fn push_traces(s: &mut Vec<Segment>, scenario: &Scenario, asked: &Asked, echo: &Echo) {
    s.push(Segment::simple(
        "TRN",
        &[
            "2",
            &echo.trace,
            asked.trace_originator.as_deref().unwrap_or("9MOCKPAYER"),
        ],
    ));
    if let Some(theirs) = &scenario.clearinghouse_trace {
        s.push(Segment::simple("TRN", &["2", theirs, "9CLEARHOUS"]));
    }
}

/// Another member of a batch answer: their own trace, id and name, and an inactive plan.
fn push_other_member(s: &mut Vec<Segment>, hl: &mut Hl, asked: &Asked, other: usize) {
    let n = other + 1;
    s.push(Segment::simple("HL", &[&hl.take(), "2", "22", "0"]));
    s.push(Segment::simple(
        "TRN",
        &["2", &format!("BATCH-{n}-{}", asked.trace), "9MOCKPAYER"],
    ));
    s.push(nm1(
        "IL",
        "1",
        "MEMBER",
        &format!("OTHER{n}"),
        "MI",
        &format!("BATCH-MEMBER-{n}"),
    ));
    s.push(Segment::simple("DMG", &["D8", "19700101", "U"]));
    s.push(Segment::simple("EB", &["6", "IND", "30"]));
    s.push(Segment::simple("MSG", &["ANOTHER MEMBER OF THIS BATCH"]));
}

/// DTP*346/347 (2100C/D plan begin and end) and the 2110 loops.
fn push_member_benefits(s: &mut Vec<Segment>, scenario: &Scenario, asked: &Asked) {
    if let Some(plan) = &scenario.plan {
        s.push(Segment::simple(
            "DTP",
            &["346", "D8", &format_d8(plan.begin)],
        ));
        s.push(Segment::simple("DTP", &["347", "D8", &format_d8(plan.end)]));
    }
    for row in &scenario.benefits {
        s.push(eb(row, scenario));
        for reference in &row.references {
            s.push(Segment::simple(
                "REF",
                &[&reference.qualifier, &reference.value],
            ));
        }
        for date in &row.dates {
            let segment = match date.end {
                Some(end) => Segment::simple(
                    "DTP",
                    &[
                        &date.qualifier,
                        "RD8",
                        &format!("{}-{}", format_d8(date.begin), format_d8(end)),
                    ],
                ),
                None => Segment::simple("DTP", &[&date.qualifier, "D8", &format_d8(date.begin)]),
            };
            s.push(segment);
        }
        for message in &row.messages {
            s.push(Segment::simple("MSG", &[message]));
        }
        for place in &row.places_of_service {
            // 2115C III01 ZZ (mutually defined): III02 is a place of service code.
            s.push(Segment::simple("III", &["ZZ", place]));
        }
        if !row.related_entities.is_empty() {
            // LS/LE right after the EB/MSG/III group, as payers send carve-outs.
            s.push(Segment::simple("LS", &["2120"]));
            for entity in &row.related_entities {
                let (name, qualifier, id) = entity_name(entity, asked);
                s.push(nm1(&entity.entity_code, "2", name, "", qualifier, id));
                if let Some(phone) = &entity.phone {
                    // PER01 IC information contact; PER03 TE telephone.
                    s.push(Segment::simple("PER", &["IC", "", "TE", phone]));
                }
            }
            s.push(Segment::simple("LE", &["2120"]));
        }
    }
}

/// An entity's name, id qualifier and id: the answering payer's own when it names itself.
pub fn entity_name<'a>(entity: &'a Entity, asked: &'a Asked) -> (&'a str, &'a str, &'a str) {
    if entity.answering_payer {
        let (name, id) = asked.answering_payer();
        return (name, "PI", id);
    }
    (
        entity.name.as_deref().unwrap_or_default(),
        entity.id_qualifier.as_deref().unwrap_or_default(),
        entity.id.as_deref().unwrap_or_default(),
    )
}

/// Whether a row is the plan's own status row (EB01 1–8 on STC 30): it carries EB04 and the
/// plan name in EB05 (CORE 154).
pub fn is_plan_row(row: &BenefitRow) -> bool {
    let status = matches!(
        row.code.as_str(),
        "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8"
    );
    status && row.service_types.iter().any(|s| s == "30")
}

fn eb(row: &BenefitRow, scenario: &Scenario) -> Segment {
    let plan = scenario.plan.as_ref().filter(|_| is_plan_row(row));
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let description = row
        .plan_description
        .clone()
        .or_else(|| plan.map(|p| p.name.clone()))
        .unwrap_or_default();
    let elements = vec![
        Element::simple(&row.code),
        Element::simple(opt(&row.coverage_level)),
        // EB03 repeats with ISA11.
        Element::repeated(row.service_types.iter().cloned()),
        Element::simple(
            row.insurance_type
                .clone()
                .or_else(|| plan.map(|p| p.insurance_type.clone()))
                .unwrap_or_default(),
        ),
        Element::simple(description),
        Element::simple(opt(&row.time_period)),
        Element::simple(row.amount.map(r).unwrap_or_default()),
        Element::simple(row.percent.map(r).unwrap_or_default()),
        Element::simple(opt(&row.quantity_qualifier)),
        Element::simple(row.quantity.map(r).unwrap_or_default()),
        Element::simple(match row.auth_required {
            Some(true) => "Y",
            Some(false) => "N",
            None => "",
        }),
        Element::simple(opt(&row.network)),
    ];
    Segment::new("EB", elements)
}

/// An X12 `R` value: no trailing zeros, no leading zero before the point (`1500`, `.2`).
pub fn r(value: Decimal) -> String {
    let text = value.normalize().to_string();
    if let Some(rest) = text.strip_prefix("0.") {
        format!(".{rest}")
    } else if let Some(rest) = text.strip_prefix("-0.") {
        format!("-.{rest}")
    } else {
        text
    }
}

/// NM1: NM101 entity, NM102 1 person / 2 organization, NM103 name, NM104 first name,
/// NM108/NM109 id.
fn nm1(entity: &str, kind: &str, last: &str, first: &str, qualifier: &str, id: &str) -> Segment {
    Segment::simple(
        "NM1",
        &[entity, kind, last, first, "", "", "", qualifier, id],
    )
}

/// AAA01 N (request not valid as sent), AAA03 reason, AAA04 follow-up action.
fn aaa(code: &str, follow_up: &str) -> Segment {
    Segment::simple("AAA", &["N", "", code, follow_up])
}

fn dmg(person: &Person) -> Option<Segment> {
    let birth = person.birth_date?;
    Some(Segment::simple(
        "DMG",
        &[
            "D8",
            &format_d8(birth),
            person.gender.as_deref().unwrap_or_default(),
        ],
    ))
}
