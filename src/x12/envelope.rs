//! Reading the ISA/GS/ST … SE/GE/IEA envelope and checking its counts and control numbers.
//!
//! [`Interchange::parse`] tokenizes an interchange, checks the ISA's fixed fields, and splits
//! it into functional groups and transaction sets, refusing any mismatch: `IEA01` = number of
//! groups, `IEA02` = `ISA13`, `GE01` = number of transaction sets, `GE02` = `GS06`,
//! `SE01` = segments from ST to SE inclusive, `SE02` = `ST02`.

use std::ops::Range;

use chrono::{NaiveDate, NaiveTime};

use super::delimiters::{Delimiters, ISA_VERSION};
use super::error::X12Error;
use super::segment::{ids, tokenize_into, SegmentRef, SegmentSink};
use super::values::{parse_d8, parse_time};

/// ISA15 usage indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Usage {
    /// `T`
    Test,
    /// `P`
    Production,
}

impl Usage {
    /// The ISA15 code.
    pub fn code(&self) -> &'static str {
        match self {
            Usage::Test => "T",
            Usage::Production => "P",
        }
    }
}

/// The ISA, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterchangeHeader {
    /// ISA05.
    pub sender_qualifier: String,
    /// ISA06 without its padding.
    pub sender_id: String,
    /// ISA07.
    pub receiver_qualifier: String,
    /// ISA08 without its padding.
    pub receiver_id: String,
    /// ISA09 YYMMDD as sent (the ISA carries no century; GS04 has the full date).
    pub date: String,
    /// ISA10 HHMM as sent.
    pub time: String,
    /// ISA13, nine digits.
    pub control_number: String,
    /// ISA14 = `1`.
    pub ack_requested: bool,
    /// ISA15.
    pub usage: Usage,
}

/// The GS of a functional group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupHeader {
    /// GS01 (`HB` for a 271).
    pub functional_id: String,
    /// GS02.
    pub application_sender: String,
    /// GS03.
    pub application_receiver: String,
    /// GS04.
    pub date: NaiveDate,
    /// GS05.
    pub time: NaiveTime,
    /// GS06.
    pub control_number: String,
    /// GS08 (`005010X279A1`).
    pub version: String,
}

/// One ST … SE transaction set; its segments borrow the interchange's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSet<'a> {
    /// ST01 (`271`).
    pub id: String,
    /// ST02.
    pub control_number: String,
    /// ST03, when sent.
    pub implementation_reference: Option<String>,
    /// The segments between ST and SE.
    pub segments: Vec<SegmentRef<'a>>,
    /// Segment number (within the interchange, ISA = 1) of `segments[0]`, for error positions.
    pub first_segment_number: usize,
}

/// One GS … GE functional group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionalGroup<'a> {
    pub header: GroupHeader,
    pub transaction_sets: Vec<TransactionSet<'a>>,
}

/// A whole interchange whose envelope has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange<'a> {
    pub delimiters: Delimiters,
    pub header: InterchangeHeader,
    pub groups: Vec<FunctionalGroup<'a>>,
}

/// Every transaction set of every group of `input`, each read by `read` after its ST01 and
/// the group's GS08 are checked against `kind`, with the interchange's header: what the 835
/// and 277CA readers share. The envelope is checked whole first (see [`Interchange::parse`]).
pub fn read_sets<T>(
    input: &[u8],
    kind: SetKind,
    mut read: impl FnMut(&GroupHeader, &TransactionSet<'_>) -> Result<T, X12Error>,
) -> Result<(InterchangeHeader, Vec<T>), X12Error> {
    let parsed = Interchange::parse(input)?;
    if parsed.groups.is_empty() {
        return Err(X12Error::UnexpectedEnd {
            expected: "a functional group (GS)",
        });
    }
    let mut sets = Vec::new();
    for group in &parsed.groups {
        for set in &group.transaction_sets {
            kind.check(set, &group.header)?;
            sets.push(read(&group.header, set)?);
        }
    }
    if sets.is_empty() {
        return Err(X12Error::UnexpectedEnd {
            expected: "a transaction set (ST)",
        });
    }
    Ok((parsed.header, sets))
}

/// What a reader accepts: its ST01, and the GS08 prefix shared by the guide and its errata.
#[derive(Debug, Clone, Copy)]
pub struct SetKind {
    pub id: &'static str,
    pub version_prefix: &'static str,
    pub version: &'static str,
}

impl SetKind {
    fn check(&self, set: &TransactionSet<'_>, group: &GroupHeader) -> Result<(), X12Error> {
        if set.id != self.id {
            return Err(X12Error::UnexpectedTransaction {
                expected: self.id,
                found: set.id.chars().take(3).collect(),
            });
        }
        if !group.version.starts_with(self.version_prefix) {
            return Err(X12Error::UnsupportedVersion {
                element: "GS08",
                found: group.version.chars().take(12).collect(),
                expected: self.version,
            });
        }
        Ok(())
    }
}

impl<'a> Interchange<'a> {
    /// Tokenizes `input` and checks the envelope. Never panics.
    pub fn parse(input: &'a [u8]) -> Result<Self, X12Error> {
        let mut segments = Vec::new();
        let mut collect = Collect {
            groups: Vec::new(),
            bodies: Vec::new(),
        };
        let (delimiters, header) = walk(input, &mut segments, &mut collect)?;
        let mut groups = collect.groups;
        hand_out_bodies(&mut groups, &collect.bodies, segments);
        Ok(Interchange {
            delimiters,
            header,
            groups,
        })
    }
}

/// The ST of a transaction set whose SE checked out, as read (nothing copied).
#[derive(Debug, Clone)]
pub(crate) struct SetHeader<'a> {
    /// ST01.
    pub id: &'a str,
    /// ST02.
    pub control_number: &'a str,
    /// ST03.
    pub implementation_reference: Option<&'a str>,
    /// Segment number of the first segment after the ST.
    pub first_segment_number: usize,
    /// Index range of the body (between ST and SE) in the tokenized segments.
    pub body: Range<usize>,
}

/// What [`walk`] reports, in the interchange's order: each group's GS, then each of its sets.
pub(crate) trait EnvelopeVisitor<'a> {
    fn group(&mut self, header: GroupHeader);
    fn set(&mut self, set: SetHeader<'a>);
}

/// Builds [`Interchange::groups`]; the sets' segments are handed out afterwards.
struct Collect<'a> {
    groups: Vec<FunctionalGroup<'a>>,
    bodies: Vec<Range<usize>>,
}

impl<'a> EnvelopeVisitor<'a> for Collect<'a> {
    fn group(&mut self, header: GroupHeader) {
        self.groups.push(FunctionalGroup {
            header,
            transaction_sets: Vec::new(),
        });
    }

    fn set(&mut self, set: SetHeader<'a>) {
        if let Some(group) = self.groups.last_mut() {
            group.transaction_sets.push(TransactionSet {
                id: set.id.to_owned(),
                control_number: set.control_number.to_owned(),
                implementation_reference: set.implementation_reference.map(str::to_owned),
                segments: Vec::new(),
                first_segment_number: set.first_segment_number,
            });
            self.bodies.push(set.body);
        }
    }
}

/// Tokenizes `input` into `segments` and checks the envelope (what [`Interchange::parse`]
/// does), reporting groups and sets to `visitor`; returns the delimiters and the ISA.
pub(crate) fn walk<'a>(
    input: &'a [u8],
    segments: &mut impl SegmentSink<'a>,
    visitor: &mut impl EnvelopeVisitor<'a>,
) -> Result<(Delimiters, InterchangeHeader), X12Error> {
    let delimiters = tokenize_into(input, segments)?;
    let segments = segments.as_slice();
    let Some(isa) = segments.first() else {
        return Err(X12Error::Empty);
    };
    let header = read_isa(isa)?;

    let mut groups = 0;
    let mut i = 1; // index into `segments`; segment number is i + 1
    loop {
        let Some(seg) = segments.get(i) else {
            return Err(X12Error::UnexpectedEnd {
                expected: "GS or IEA",
            });
        };
        match seg.tag() {
            ids::GS => {
                i = read_group(segments, i, visitor)?;
                groups += 1;
            }
            ids::IEA => {
                let number = i + 1;
                check_count(seg, number, 1, "IEA01", groups)?;
                check_control(seg, number, 2, "IEA02", "ISA13", &header.control_number)?;
                if let Some(extra) = segments.get(i + 1) {
                    return Err(unexpected(extra, i + 2, "nothing after IEA"));
                }
                return Ok((delimiters, header));
            }
            _ => return Err(unexpected(seg, i + 1, "GS or IEA")),
        }
    }
}

/// Gives each transaction set its body: the tokenized segments themselves when there is only
/// one set (the usual case, no copy), a copy of its range otherwise.
fn hand_out_bodies<'a>(
    groups: &mut [FunctionalGroup<'a>],
    bodies: &[Range<usize>],
    mut segments: Vec<SegmentRef<'a>>,
) {
    let mut sets = groups
        .iter_mut()
        .flat_map(|g| g.transaction_sets.iter_mut());
    if let [body] = bodies {
        if let Some(set) = sets.next() {
            segments.truncate(body.end);
            segments.drain(..body.start.min(segments.len()));
            set.segments = segments;
        }
        return;
    }
    for (set, body) in sets.zip(bodies) {
        set.segments = segments.get(body.clone()).unwrap_or_default().to_vec();
    }
}

pub(crate) fn read_isa(isa: &SegmentRef<'_>) -> Result<InterchangeHeader, X12Error> {
    // ISA elements are never split: each is its whole text.
    let raw = |n: usize| isa.element(n).map(|e| e.as_str()).unwrap_or("");
    let bad = |reason: &'static str| X12Error::Isa { reason };
    if isa.element_count() != 16 {
        return Err(bad("the ISA must have 16 elements"));
    }
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let qualifier = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !qualifier(raw(5)) || !qualifier(raw(7)) {
        return Err(bad("ISA05/ISA07 must be 2-character id qualifiers"));
    }
    if raw(6).trim().is_empty() || raw(8).trim().is_empty() {
        return Err(bad("ISA06/ISA08 must not be blank"));
    }
    if !digits(raw(9), 6) || !digits(raw(10), 4) {
        return Err(bad("ISA09/ISA10 must be YYMMDD and HHMM"));
    }
    if raw(12) != ISA_VERSION {
        return Err(X12Error::UnsupportedVersion {
            element: "ISA12",
            found: raw(12).to_owned(),
            expected: ISA_VERSION,
        });
    }
    if !digits(raw(13), 9) {
        return Err(bad("ISA13 must be 9 digits"));
    }
    let ack_requested = match raw(14) {
        "0" => false,
        "1" => true,
        _ => return Err(bad("ISA14 must be 0 or 1")),
    };
    let usage = match raw(15) {
        "P" => Usage::Production,
        "T" => Usage::Test,
        _ => return Err(bad("ISA15 must be P or T")),
    };
    Ok(InterchangeHeader {
        sender_qualifier: raw(5).to_owned(),
        sender_id: raw(6).trim_end().to_owned(),
        receiver_qualifier: raw(7).to_owned(),
        receiver_id: raw(8).trim_end().to_owned(),
        date: raw(9).to_owned(),
        time: raw(10).to_owned(),
        control_number: raw(13).to_owned(),
        ack_requested,
        usage,
    })
}

/// Reads the group starting at `segments[start]` (a GS), reporting it and its sets to
/// `visitor`; returns the index after its GE.
fn read_group<'a>(
    segments: &[SegmentRef<'a>],
    start: usize,
    visitor: &mut impl EnvelopeVisitor<'a>,
) -> Result<usize, X12Error> {
    let Some(gs) = segments.get(start) else {
        return Err(X12Error::UnexpectedEnd { expected: "GS" });
    };
    let number = start + 1;
    let required = |n: usize| -> Result<&str, X12Error> {
        gs.value(n)
            .ok_or_else(|| bad_element(gs, number, n, "required element is missing"))
    };
    let header = GroupHeader {
        functional_id: required(1)?.to_owned(),
        application_sender: required(2)?.to_owned(),
        application_receiver: required(3)?.to_owned(),
        date: parse_d8(required(4)?).map_err(|r| bad_element(gs, number, 4, r))?,
        time: parse_time(required(5)?).map_err(|r| bad_element(gs, number, 5, r))?,
        control_number: control_number(gs, number, 6)?,
        version: required(8)?.to_owned(),
    };
    let control = gs.value(6).unwrap_or_default();
    visitor.group(header);
    let mut sets = 0;
    let mut i = start + 1;
    loop {
        let Some(seg) = segments.get(i) else {
            return Err(X12Error::UnexpectedEnd {
                expected: "ST or GE",
            });
        };
        match seg.tag() {
            ids::ST => {
                let (set, next) = read_transaction_set(segments, i)?;
                visitor.set(set);
                sets += 1;
                i = next;
            }
            ids::GE => {
                check_count(seg, i + 1, 1, "GE01", sets)?;
                check_control(seg, i + 1, 2, "GE02", "GS06", control)?;
                return Ok(i + 1);
            }
            _ => return Err(unexpected(seg, i + 1, "ST or GE")),
        }
    }
}

/// Reads the transaction set starting at `segments[start]` (an ST); returns its header (with
/// the index range of its body) and the index after its SE.
fn read_transaction_set<'a>(
    segments: &[SegmentRef<'a>],
    start: usize,
) -> Result<(SetHeader<'a>, usize), X12Error> {
    let Some(st) = segments.get(start) else {
        return Err(X12Error::UnexpectedEnd { expected: "ST" });
    };
    let number = start + 1;
    let id = st
        .value(1)
        .ok_or_else(|| bad_element(st, number, 1, "required element is missing"))?;
    let control = st
        .value(2)
        .ok_or_else(|| bad_element(st, number, 2, "required element is missing"))?;
    let mut i = start + 1;
    loop {
        let Some(seg) = segments.get(i) else {
            return Err(X12Error::UnexpectedEnd { expected: "SE" });
        };
        match seg.tag() {
            ids::SE => {
                // SE01 counts ST and SE themselves.
                check_count(seg, i + 1, 1, "SE01", i - start + 1)?;
                check_control(seg, i + 1, 2, "SE02", "ST02", control)?;
                let set = SetHeader {
                    id,
                    control_number: control,
                    implementation_reference: st.value(3),
                    first_segment_number: number + 1,
                    body: start + 1..i,
                };
                return Ok((set, i + 1));
            }
            ids::ST | ids::GE | ids::GS | ids::IEA | ids::ISA => {
                return Err(unexpected(
                    seg,
                    i + 1,
                    "SE before the next envelope segment",
                ))
            }
            _ => i += 1,
        }
    }
}

fn control_number(seg: &SegmentRef<'_>, number: usize, n: usize) -> Result<String, X12Error> {
    let v = seg
        .value(n)
        .ok_or_else(|| bad_element(seg, number, n, "control number is missing"))?;
    if v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_element(
            seg,
            number,
            n,
            "control number must be 1-9 digits",
        ));
    }
    Ok(v.to_owned())
}

pub(crate) fn check_count(
    seg: &SegmentRef<'_>,
    number: usize,
    n: usize,
    element: &'static str,
    actual: usize,
) -> Result<(), X12Error> {
    let declared = seg
        .value(n)
        .ok_or_else(|| bad_element(seg, number, n, "count is missing"))?;
    if declared.len() > 10 || !declared.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_element(seg, number, n, "count must be digits"));
    }
    if declared.parse::<usize>().ok() != Some(actual) {
        return Err(X12Error::CountMismatch {
            segment: number,
            element,
            declared: declared.to_owned(),
            actual,
        });
    }
    Ok(())
}

pub(crate) fn check_control(
    seg: &SegmentRef<'_>,
    number: usize,
    n: usize,
    trailer: &'static str,
    header: &'static str,
    expected: &str,
) -> Result<(), X12Error> {
    let found = seg.value(n).unwrap_or("");
    if found != expected {
        return Err(X12Error::ControlNumberMismatch {
            segment: number,
            trailer,
            header,
            expected: expected.to_owned(),
            found: found.chars().take(9).collect(),
        });
    }
    Ok(())
}

pub(crate) fn bad_element(
    seg: &SegmentRef<'_>,
    number: usize,
    element: usize,
    reason: &'static str,
) -> X12Error {
    X12Error::BadElement {
        segment: number,
        id: seg.id().to_owned(),
        element,
        reason,
    }
}

pub(crate) fn unexpected(seg: &SegmentRef<'_>, number: usize, expected: &'static str) -> X12Error {
    X12Error::UnexpectedSegment {
        segment: number,
        id: seg.id().to_owned(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*SUBMITTERID    *250115*1030*^*00501*000000101*0*P*:~";

    fn interchange(body: &str) -> String {
        format!("{ISA}{body}")
    }

    #[test]
    fn reads_a_minimal_envelope() {
        let x = interchange("GS*HB*ACMEPAYER*SUBMITTERID*20250115*1030*101*X*005010X279A1~ST*271*0001*005010X279A1~BHT*0022*11~SE*3*0001~GE*1*101~IEA*1*000000101~");
        let i = Interchange::parse(x.as_bytes()).unwrap();
        assert_eq!(i.header.sender_id, "ACMEPAYER");
        assert_eq!(i.header.receiver_id, "SUBMITTERID");
        assert_eq!(i.header.control_number, "000000101");
        assert_eq!(i.header.usage, Usage::Production);
        assert!(!i.header.ack_requested);
        assert_eq!(i.groups.len(), 1);
        let g = &i.groups[0];
        assert_eq!(g.header.functional_id, "HB");
        assert_eq!(g.header.control_number, "101");
        assert_eq!(g.header.date, NaiveDate::from_ymd_opt(2025, 1, 15).unwrap());
        let set = &g.transaction_sets[0];
        assert_eq!(
            (set.id.as_str(), set.control_number.as_str()),
            ("271", "0001")
        );
        assert_eq!(set.segments.len(), 1);
        assert_eq!(set.first_segment_number, 4);
    }

    #[test]
    fn counts_and_control_numbers_must_match() {
        let ok =
            "GS*HB*A*B*20250115*1030*101*X*V~ST*271*0001~BHT~SE*3*0001~GE*1*101~IEA*1*000000101~";
        assert!(Interchange::parse(interchange(ok).as_bytes()).is_ok());
        let cases = [
            (ok.replace("SE*3*", "SE*4*"), "SE01"),
            (ok.replace("SE*3*0001", "SE*3*0002"), "SE02"),
            (ok.replace("GE*1*", "GE*2*"), "GE01"),
            (ok.replace("GE*1*101", "GE*1*102"), "GE02"),
            (ok.replace("IEA*1*", "IEA*2*"), "IEA01"),
            (ok.replace("IEA*1*000000101", "IEA*1*000000102"), "IEA02"),
        ];
        for (text, element) in cases {
            let err = Interchange::parse(interchange(&text).as_bytes()).unwrap_err();
            let named = match &err {
                X12Error::CountMismatch { element, .. } => *element,
                X12Error::ControlNumberMismatch { trailer, .. } => *trailer,
                other => panic!("{element}: {other:?}"),
            };
            assert_eq!(named, element);
        }
    }

    #[test]
    fn structure_errors() {
        let missing_se =
            "GS*HB*A*B*20250115*1030*101*X*V~ST*271*0001~BHT~GE*1*101~IEA*1*000000101~";
        assert!(matches!(
            Interchange::parse(interchange(missing_se).as_bytes()),
            Err(X12Error::UnexpectedSegment { segment: 5, .. })
        ));
        let no_iea = "GS*HB*A*B*20250115*1030*101*X*V~ST*271*0001~SE*2*0001~GE*1*101~";
        assert_eq!(
            Interchange::parse(interchange(no_iea).as_bytes()),
            Err(X12Error::UnexpectedEnd {
                expected: "GS or IEA"
            })
        );
        let after_iea = "IEA*0*000000101~GS*HB~";
        assert!(Interchange::parse(interchange(after_iea).as_bytes()).is_err());
        let version = ISA.replace("00501", "00401");
        assert_eq!(
            Interchange::parse(format!("{version}IEA*0*000000101~").as_bytes()),
            Err(X12Error::UnsupportedVersion {
                element: "ISA12",
                found: "00401".into(),
                expected: "00501"
            })
        );
        let usage = ISA.replace("*P*:", "*X*:");
        assert!(Interchange::parse(format!("{usage}IEA*0*000000101~").as_bytes()).is_err());
        let bad_date = "GS*HB*A*B*20251315*1030*101*X*V~GE*0*101~IEA*1*000000101~";
        assert!(matches!(
            Interchange::parse(interchange(bad_date).as_bytes()),
            Err(X12Error::BadElement {
                segment: 2,
                element: 4,
                ..
            })
        ));
        assert!(Interchange::parse(interchange("IEA*0*000000101~").as_bytes()).is_ok());
    }
}
