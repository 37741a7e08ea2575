//! Building a 270 eligibility inquiry (005010X279A1).
//!
//! Hierarchy written (HL04 = 1 when a child HL follows):
//!
//! ```text
//! ST BHT*0022*13
//! 2000A HL*1**20*1  2100A NM1*PR*2*<payer>*****PI*<payer id>
//! 2000B HL*2*1*21*1 2100B NM1*1P*2*<provider>*****XX*<NPI>
//! 2000C HL*3*2*22*0|1 [TRN] 2100C NM1*IL*1*<last>*<first>****MI*<member id> [DMG] [DTP*291] [2110C EQ]
//! 2000D HL*4*3*23*0 TRN     2100D NM1*03*1*<last>*<first> [DMG] [DTP*291] 2110D EQ
//! SE
//! ```
//!
//! Several service type codes go either into one repeated EQ01 or into one EQ per code; see
//! [`ServiceTypeLayout`].
//!
//! The patient's loop carries the trace number, the service date and the EQ: 2000C when the
//! patient is the subscriber, otherwise 2000D (and then 2000C has no EQ).
//!
//! Names (NM103/NM104 of every loop) are cleaned by the writer's rule
//! ([`clean_text`](super::writer::clean_text)) before they are checked: the X12 spelling of
//! `José Núñez` is `JOSE NUNEZ`. Whether a person's name can be sent at all is decided before
//! the 270 is built (`domain::names::check_x12_names`): this builder never refuses a name for
//! its letters, and a name cleaned to nothing is refused as too short.

use chrono::NaiveDate;

use super::error::X12Error;
use super::segment::{Element, Segment};
use super::values::{format_d8, DateOrRange};
use super::writer::{check_len, clean_text, write_interchange, Envelope, TransactionKind};

/// GS01/ST01/GS08 of a 270.
pub const KIND_270: TransactionKind = TransactionKind {
    functional_id: "HS",
    transaction_set_id: "270",
    version: "005010X279A1",
};

/// DMG03 on a 270: the X279A1 270 allows only `F` and `M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Female,
    Male,
}

impl Gender {
    fn code(self) -> &'static str {
        match self {
            Gender::Female => "F",
            Gender::Male => "M",
        }
    }
}

/// 2100A — the payer asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationSource {
    /// NM103, 1–60 characters.
    pub payer_name: String,
    /// NM109 with qualifier `PI` (payer's EDI id), 2–80 characters.
    pub payer_id: String,
}

/// 2100B — the provider asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationReceiver {
    /// NM103 organization name, 1–60 characters.
    pub name: String,
    /// NM109 with qualifier `XX`: the 10-digit NPI (check-digit validation belongs to the
    /// domain's `Npi` type; here only the form is checked).
    pub npi: String,
}

/// 2100C — the subscriber (policy holder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber270 {
    /// NM103, 1–60 characters.
    pub last_name: String,
    /// NM104, up to 35 characters; left out when empty.
    pub first_name: String,
    /// NM109 with qualifier `MI`, 2–80 characters.
    pub member_id: String,
    /// DMG02; DMG is written only when the birth date is known.
    pub birth_date: Option<NaiveDate>,
    /// DMG03.
    pub gender: Option<Gender>,
}

/// 2100D — the patient when the patient is not the subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependent270 {
    /// NM103, 1–60 characters.
    pub last_name: String,
    /// NM104, up to 35 characters; left out when empty.
    pub first_name: String,
    /// DMG02.
    pub birth_date: Option<NaiveDate>,
    /// DMG03.
    pub gender: Option<Gender>,
}

/// How several service type codes are written.
///
/// With one code both layouts write the same `EQ*<code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceTypeLayout {
    /// One EQ whose EQ01 repeats the codes with the repetition separator (`EQ*30^MH^BB`), one
    /// 2110C/D loop. Legal 005010 (EQ01 repeats up to 99 times), but the pyx12 oracle does not
    /// implement repetition and reports EQ01 as too long.
    Repeated,
    /// One EQ, i.e. one 2110C/D loop, per code (`EQ*30~EQ*MH~EQ*BB`). Also legal (2110 repeats
    /// up to 99 times) and accepted by the oracle.
    OneEqPerCode,
}

/// TRN*1 — our trace number, echoed by the payer as TRN*2 in the 271.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceNumber {
    /// TRN02, 1–50 characters, unique per inquiry.
    pub reference: String,
    /// TRN03: exactly 10 characters, `1` followed by the 9-digit EIN of the originator.
    pub originator_id: String,
}

/// Everything needed to write one 270.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiry270 {
    pub envelope: Envelope,
    /// BHT03 submitter transaction identifier, 1–50 characters. BHT04/BHT05 are the envelope
    /// timestamp.
    pub reference: String,
    pub source: InformationSource,
    pub receiver: InformationReceiver,
    pub subscriber: Subscriber270,
    /// Present when the patient is not the subscriber (adds loop 2000D).
    pub dependent: Option<Dependent270>,
    pub trace: TraceNumber,
    /// DTP*291 in the patient's 2100 loop (`D8` or `RD8`).
    pub service_date: Option<DateOrRange>,
    /// EQ01 service type codes; 1–99 codes of 1–2 characters (`30`, `MH`, `BB`). Payers often
    /// answer only the first; see the domain notes on one STC per request.
    pub service_types: Vec<String>,
    /// How to write more than one code.
    pub service_type_layout: ServiceTypeLayout,
}

/// Writes the 270 interchange (ISA … IEA).
pub fn build_270(inquiry: &Inquiry270) -> Result<String, X12Error> {
    write_interchange(&inquiry.envelope, KIND_270, &body_270(inquiry)?)
}

/// The segments between ST and SE, after cleaning the names and checking every input.
pub fn body_270(q: &Inquiry270) -> Result<Vec<Segment>, X12Error> {
    let q = &cleaned(q.clone());
    check_inputs(q)?;
    let ts = q.envelope.timestamp;
    let date = ts.format("%Y%m%d").to_string();
    let time = ts.format("%H%M").to_string();
    let has_dependent = q.dependent.is_some();
    let mut s = Vec::with_capacity(16);

    // BHT01 0022 information source/receiver/subscriber/dependent; BHT02 13 request.
    s.push(Segment::simple(
        "BHT",
        &["0022", "13", &q.reference, &date, &time],
    ));
    // 2000A information source; it always has the receiver as child.
    s.push(Segment::simple("HL", &["1", "", "20", "1"]));
    s.push(nm1(
        "PR",
        "2",
        &q.source.payer_name,
        "",
        "PI",
        &q.source.payer_id,
    ));
    // 2000B information receiver (provider), child: the subscriber.
    s.push(Segment::simple("HL", &["2", "1", "21", "1"]));
    s.push(nm1("1P", "2", &q.receiver.name, "", "XX", &q.receiver.npi));
    // 2000C subscriber; HL04 = 1 only when a dependent loop follows.
    s.push(Segment::simple(
        "HL",
        &["3", "2", "22", if has_dependent { "1" } else { "0" }],
    ));
    let sub = &q.subscriber;
    if !has_dependent {
        s.push(trn(&q.trace));
    }
    s.push(nm1(
        "IL",
        "1",
        &sub.last_name,
        &sub.first_name,
        "MI",
        &sub.member_id,
    ));
    if let Some(dmg) = dmg(sub.birth_date, sub.gender) {
        s.push(dmg);
    }
    match &q.dependent {
        None => {
            push_patient_tail(&mut s, q);
        }
        Some(dep) => {
            // 2000D dependent: the patient; HL04 = 0, nothing below it.
            s.push(Segment::simple("HL", &["4", "3", "23", "0"]));
            s.push(trn(&q.trace));
            // 2100D has no id: the member id belongs to the subscriber.
            s.push(nm1("03", "1", &dep.last_name, &dep.first_name, "", ""));
            if let Some(dmg) = dmg(dep.birth_date, dep.gender) {
                s.push(dmg);
            }
            push_patient_tail(&mut s, q);
        }
    }
    Ok(s)
}

/// `q` with every name passed through [`clean_text`]: spelled in the X12 basic character set
/// (`José Núñez` is sent as `JOSE NUNEZ`), delimiters made spaces. Lengths are checked after.
fn cleaned(mut q: Inquiry270) -> Inquiry270 {
    let d = q.envelope.delimiters;
    let text = |v: &mut String| *v = clean_text(v, &d);
    text(&mut q.source.payer_name);
    text(&mut q.receiver.name);
    text(&mut q.subscriber.last_name);
    text(&mut q.subscriber.first_name);
    if let Some(dep) = &mut q.dependent {
        text(&mut dep.last_name);
        text(&mut dep.first_name);
    }
    q
}

/// DTP*291 (2100C/2100D) and the EQ (2110C/2110D) of the patient's loop.
fn push_patient_tail(s: &mut Vec<Segment>, q: &Inquiry270) {
    if let Some(date) = &q.service_date {
        s.push(Segment::simple(
            "DTP",
            &["291", date.qualifier(), &date.to_x12()],
        ));
    }
    match q.service_type_layout {
        // 2110C/D EQ01 — service type codes, repeatable with the repetition separator (ISA11).
        ServiceTypeLayout::Repeated => {
            s.push(Segment::new(
                "EQ",
                vec![Element::repeated(q.service_types.iter().cloned())],
            ));
        }
        // One 2110C/D loop per code.
        ServiceTypeLayout::OneEqPerCode => {
            s.extend(
                q.service_types
                    .iter()
                    .map(|code| Segment::simple("EQ", &[code])),
            );
        }
    }
}

/// NM1: NM101 entity code, NM102 `1` person / `2` organization, NM103 last or organization
/// name, NM104 first name, NM108 id qualifier, NM109 id. NM105-NM107 are not sent.
fn nm1(entity: &str, kind: &str, last: &str, first: &str, id_qualifier: &str, id: &str) -> Segment {
    Segment::simple(
        "NM1",
        &[entity, kind, last, first, "", "", "", id_qualifier, id],
    )
}

/// TRN*1: trace type 1 (current transaction), our number, our originator id.
fn trn(t: &TraceNumber) -> Segment {
    Segment::simple("TRN", &["1", &t.reference, &t.originator_id])
}

/// `DMG*D8*<birth date>*<gender>`, only with a known birth date (DMG02 carries the segment).
fn dmg(birth_date: Option<NaiveDate>, gender: Option<Gender>) -> Option<Segment> {
    let birth = format_d8(birth_date?);
    Some(Segment::simple(
        "DMG",
        &["D8", &birth, gender.map_or("", Gender::code)],
    ))
}

fn check_inputs(q: &Inquiry270) -> Result<(), X12Error> {
    check_len("reference (BHT03)", &q.reference, 1, 50)?;
    check_len("source.payer_name (NM103)", &q.source.payer_name, 1, 60)?;
    check_len("source.payer_id (NM109)", &q.source.payer_id, 2, 80)?;
    check_len("receiver.name (NM103)", &q.receiver.name, 1, 60)?;
    if q.receiver.npi.len() != 10 || !q.receiver.npi.bytes().all(|b| b.is_ascii_digit()) {
        return Err(X12Error::InvalidInput {
            field: "receiver.npi (NM109)",
            reason: "must be 10 digits",
        });
    }
    check_len(
        "subscriber.last_name (NM103)",
        &q.subscriber.last_name,
        1,
        60,
    )?;
    check_len(
        "subscriber.first_name (NM104)",
        &q.subscriber.first_name,
        0,
        35,
    )?;
    check_len(
        "subscriber.member_id (NM109)",
        &q.subscriber.member_id,
        2,
        80,
    )?;
    if let Some(dep) = &q.dependent {
        check_len("dependent.last_name (NM103)", &dep.last_name, 1, 60)?;
        check_len("dependent.first_name (NM104)", &dep.first_name, 0, 35)?;
    }
    check_len("trace.reference (TRN02)", &q.trace.reference, 1, 50)?;
    if q.trace.originator_id.len() != 10
        || !q
            .trace
            .originator_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
    {
        return Err(X12Error::InvalidInput {
            field: "trace.originator_id (TRN03)",
            reason: "must be 10 letters or digits (1 + EIN)",
        });
    }
    if q.service_types.is_empty() || q.service_types.len() > 99 {
        return Err(X12Error::InvalidInput {
            field: "service_types (EQ01)",
            reason: "must hold 1 to 99 codes",
        });
    }
    for code in &q.service_types {
        let ok = (1..=2).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !ok {
            return Err(X12Error::InvalidInput {
                field: "service_types (EQ01)",
                reason: "each code must be 1-2 upper-case letters or digits",
            });
        }
    }
    Ok(())
}
