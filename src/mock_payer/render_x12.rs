//! A scenario as a 271 (005010X279A1), written with the x12 writer.
//!
//! ```text
//! BHT*0022*11*<270 BHT03>
//! 2000A HL*1**20*1  2100A NM1*PR [AAA  ← reject at 2100A: HL04 = 0 and nothing follows]
//! 2000B HL*2*1*21*1 2100B NM1*1P
//! 2000C HL*3*2*22*0 TRN*2 2100C NM1*IL [AAA ← reject at 2100C] DMG DTP*346 DTP*347
//!       2110C EB… MSG… [LS*2120 NM1 PER LE*2120]
//! 2000D HL*4*3*23*0 (only when the 270 had a dependent: TRN*2, NM1*03 and the EBs move here)
//! ```
//!
//! EB03 is written repeated (`30^MH^BB`) and LS/LE follow the EB/MSG directly, as real payers
//! send them (domain reference §1.2); the pyx12 map refuses both, a known limit of the oracle.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::inquiry::{Asked, Person};
use super::scenario::{BenefitRow, RejectLoop, Scenario};
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
const DEFAULT_PAYER_ID: &str = "MOCKPAYER";

/// Writes the 271 answering `asked` with `scenario`, in `envelope`.
pub fn render_271(
    scenario: &Scenario,
    asked: &Asked,
    envelope: &Envelope,
) -> Result<String, X12Error> {
    write_interchange(
        envelope,
        KIND_271,
        &body(scenario, asked, envelope.timestamp),
    )
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
    s.push(nm1(
        "PR",
        "2",
        asked.payer_name.as_deref().unwrap_or(DEFAULT_PAYER_NAME),
        "",
        "PI",
        asked.payer_id.as_deref().unwrap_or(DEFAULT_PAYER_ID),
    ));
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
    let member_rejected = reject.filter(|r| r.loop_id == RejectLoop::Subscriber);
    let dependent = asked
        .dependent
        .as_ref()
        .filter(|_| member_rejected.is_none());
    s.push(Segment::simple(
        "HL",
        &["3", "2", "22", if dependent.is_some() { "1" } else { "0" }],
    ));
    if dependent.is_none() {
        s.push(trn(asked));
    }
    s.push(nm1(
        "IL",
        "1",
        asked.subscriber.last_name.as_deref().unwrap_or("UNKNOWN"),
        asked.subscriber.first_name.as_deref().unwrap_or_default(),
        "MI",
        &asked.member_id,
    ));
    if let Some(r) = member_rejected {
        s.push(aaa(&r.code, &r.follow_up));
        s.extend(dmg(&asked.subscriber));
        return s;
    }
    s.extend(dmg(&asked.subscriber));
    match dependent {
        None => push_member_benefits(&mut s, scenario),
        Some(person) => {
            // 2000D: the patient is a dependent; the benefits are the dependent's.
            s.push(Segment::simple("HL", &["4", "3", "23", "0"]));
            s.push(trn(asked));
            s.push(nm1(
                "03",
                "1",
                person.last_name.as_deref().unwrap_or("UNKNOWN"),
                person.first_name.as_deref().unwrap_or_default(),
                "",
                "",
            ));
            s.extend(dmg(person));
            push_member_benefits(&mut s, scenario);
        }
    }
    s
}

/// DTP*346/347 (2100C/D plan begin and end) and the 2110 loops.
fn push_member_benefits(s: &mut Vec<Segment>, scenario: &Scenario) {
    if let Some(plan) = &scenario.plan {
        s.push(Segment::simple(
            "DTP",
            &["346", "D8", &format_d8(plan.begin)],
        ));
        s.push(Segment::simple("DTP", &["347", "D8", &format_d8(plan.end)]));
    }
    for row in &scenario.benefits {
        s.push(eb(row, scenario));
        for message in &row.messages {
            s.push(Segment::simple("MSG", &[message]));
        }
        if !row.related_entities.is_empty() {
            // LS/LE right after the EB/MSG group (no 2115 III), as payers send carve-outs.
            s.push(Segment::simple("LS", &["2120"]));
            for entity in &row.related_entities {
                s.push(nm1(
                    &entity.entity_code,
                    "2",
                    &entity.name,
                    "",
                    entity.id_qualifier.as_deref().unwrap_or_default(),
                    entity.id.as_deref().unwrap_or_default(),
                ));
                if let Some(phone) = &entity.phone {
                    // PER01 IC information contact; PER03 TE telephone.
                    s.push(Segment::simple("PER", &["IC", "", "TE", phone]));
                }
            }
            s.push(Segment::simple("LE", &["2120"]));
        }
    }
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
        Element::simple(plan.map(|p| p.insurance_type.clone()).unwrap_or_default()),
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

/// TRN*2: the 270's TRN*1 echoed as a referenced transaction trace.
fn trn(asked: &Asked) -> Segment {
    Segment::simple(
        "TRN",
        &[
            "2",
            &asked.trace,
            asked.trace_originator.as_deref().unwrap_or("9MOCKPAYER"),
        ],
    )
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
