//! Reading the acknowledgments a payer sends instead of a 271 when it will not answer our 270,
//! and in answer to every 837 we send: the 999 implementation acknowledgment (005010X231A1)
//! and the TA1 interchange acknowledgment. A 999 acknowledges one functional group of ours
//! (AK101 `HS` for 270s, `HC` for 837s) and each transaction set in it (AK2, with its own
//! IK5 status); [`Ack999::status_of`] finds a set's status by its ST02.
//!
//! ```text
//! 999:  ISA GS*FA ST*999 AK1
//!         2000 AK2 (the set acknowledged)
//!              2100 IK3 (a segment in error) [CTX..10]
//!                   2110 IK4 (an element in error) [CTX..10]
//!              IK5 (the set's status)
//!       AK9 (the group's status) SE GE IEA
//! TA1:  ISA TA1 IEA      (IEA01 = 0: the interchange holds no group)
//! ```
//!
//! CTX segments are read past, not kept: they repeat business identifiers of the 270 (trace
//! numbers, the trigger segment) that add nothing to what went wrong. IK404 (the bad value as
//! we sent it) is kept in the tree but never put in [`Acknowledgment::summary`], which ends up
//! in logs and the stored error detail: it may be a member id or a birth date.

use super::ack_codes;
use super::common::At;
use super::envelope::{
    check_control, check_count, read_isa, unexpected, Interchange, InterchangeHeader,
};
use super::error::X12Error;
use super::loops271::Cursor;
use super::segment::{ids, tokenize, SegmentRef};

/// A payer's acknowledgment of our interchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acknowledgment {
    /// A 999: the interchange was read, the transaction sets in it checked.
    Implementation(Ack999),
    /// A TA1: the interchange envelope itself was judged.
    Interchange(Ta1),
}

/// IK501 / AK901 — whether the set or group was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckStatus {
    /// `A`
    Accepted,
    /// `E` accepted, but errors were noted.
    AcceptedWithErrors,
    /// `P` (AK901 only) some sets of the group were accepted, some rejected.
    PartiallyAccepted,
    /// `R`
    Rejected,
    /// `M` rejected: message authentication code failed.
    RejectedAuthentication,
    /// `W` rejected: assurance failed validity tests.
    RejectedValidity,
    /// `X` rejected: the content after decryption could not be analyzed.
    RejectedDecryption,
}

impl AckStatus {
    fn parse(code: &str) -> Option<AckStatus> {
        Some(match code {
            "A" => AckStatus::Accepted,
            "E" => AckStatus::AcceptedWithErrors,
            "P" => AckStatus::PartiallyAccepted,
            "R" => AckStatus::Rejected,
            "M" => AckStatus::RejectedAuthentication,
            "W" => AckStatus::RejectedValidity,
            "X" => AckStatus::RejectedDecryption,
            _ => return None,
        })
    }

    /// The code as sent.
    pub fn code(&self) -> &'static str {
        match self {
            AckStatus::Accepted => "A",
            AckStatus::AcceptedWithErrors => "E",
            AckStatus::PartiallyAccepted => "P",
            AckStatus::Rejected => "R",
            AckStatus::RejectedAuthentication => "M",
            AckStatus::RejectedValidity => "W",
            AckStatus::RejectedDecryption => "X",
        }
    }

    /// Whether what was acknowledged goes on to be processed (a partially accepted group
    /// lost at least one set).
    pub fn is_accepted(&self) -> bool {
        matches!(self, AckStatus::Accepted | AckStatus::AcceptedWithErrors)
    }
}

/// A parsed 999.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack999 {
    /// The 999's own ISA.
    pub interchange: InterchangeHeader,
    /// AK101: functional id of the group acknowledged (`HS` for 270s, `HC` for 837s).
    pub functional_id: String,
    /// AK102: that group's GS06.
    pub group_control_number: String,
    /// AK103: that group's GS08.
    pub version: Option<String>,
    /// 2000 AK2 loops, in order.
    pub transactions: Vec<TransactionAck>,
    /// AK901.
    pub status: AckStatus,
    /// AK902/AK903/AK904: sets included, received, accepted.
    pub sets_included: Option<u32>,
    pub sets_received: Option<u32>,
    pub sets_accepted: Option<u32>,
    /// AK905–AK909: why the group failed ([`ack_codes::group_error`]).
    pub group_errors: Vec<String>,
}

impl Ack999 {
    /// IK501 for the transaction set whose ST02 was `control_number` (AK202), when the 999
    /// acknowledges it.
    pub fn status_of(&self, control_number: &str) -> Option<AckStatus> {
        self.transactions
            .iter()
            .find(|t| t.control_number == control_number)
            .map(|t| t.status)
    }
}

/// 2000 — one transaction set acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionAck {
    /// AK201 (`270`, `837`).
    pub set_id: String,
    /// AK202: the set's ST02.
    pub control_number: String,
    /// AK203: the set's ST03.
    pub implementation_reference: Option<String>,
    /// 2100 IK3 loops.
    pub segment_errors: Vec<SegmentError>,
    /// IK501.
    pub status: AckStatus,
    /// IK502–IK506 ([`ack_codes::transaction_error`]).
    pub errors: Vec<String>,
}

/// IK3 — a segment of our set in error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentError {
    /// IK301.
    pub segment_id: String,
    /// IK302: position in the set, the ST being 1.
    pub position: u32,
    /// IK303 (`2100C`).
    pub loop_id: Option<String>,
    /// IK304 ([`ack_codes::segment_error`]); absent when only its elements are in error.
    pub code: Option<String>,
    /// 2110 IK4 loops.
    pub element_errors: Vec<ElementError>,
}

/// IK4 — an element of that segment in error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementError {
    /// IK401-1: element position in the segment.
    pub position: u32,
    /// IK401-2: component position in a composite.
    pub component: Option<u32>,
    /// IK401-3: repetition position.
    pub repetition: Option<u32>,
    /// IK402: data element reference number (`67` identification code).
    pub reference: Option<String>,
    /// IK403 ([`ack_codes::element_error`]).
    pub code: String,
    /// IK404: the value as we sent it. May be PHI: never logged, never summarized.
    pub bad_value: Option<String>,
}

/// TA104 — the interchange's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ta1Code {
    /// `A`
    Accepted,
    /// `E` accepted, errors noted.
    AcceptedWithErrors,
    /// `R`
    Rejected,
}

impl Ta1Code {
    /// The code as sent.
    pub fn code(&self) -> &'static str {
        match self {
            Ta1Code::Accepted => "A",
            Ta1Code::AcceptedWithErrors => "E",
            Ta1Code::Rejected => "R",
        }
    }
}

/// A parsed TA1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ta1 {
    /// The TA1's own ISA.
    pub interchange: InterchangeHeader,
    /// TA101: our ISA13, echoed.
    pub control_number: String,
    /// TA102 YYMMDD and TA103 HHMM of our interchange, as sent.
    pub date: String,
    pub time: String,
    /// TA104.
    pub code: Ta1Code,
    /// TA105 ([`ack_codes::interchange_note`]).
    pub note: String,
}

/// Parses a 999 or a TA1 interchange. Checks the envelope as every reader here does. Never
/// panics, whatever the input.
pub fn parse_acknowledgment(input: &[u8]) -> Result<Acknowledgment, X12Error> {
    let tokenized = tokenize(input)?;
    // A TA1 sits right after the ISA, where a GS would otherwise be.
    if tokenized.segments.get(1).map(|s| s.tag()) == Some(ids::TA1) {
        return read_ta1(&tokenized.segments).map(Acknowledgment::Interchange);
    }
    // Read again through the envelope checks: an acknowledgment is a few hundred bytes.
    read_999(input).map(Acknowledgment::Implementation)
}

fn read_ta1(segments: &[SegmentRef<'_>]) -> Result<Ta1, X12Error> {
    let Some(isa) = segments.first() else {
        return Err(X12Error::Empty);
    };
    let interchange = read_isa(isa)?;
    let Some(seg) = segments.get(1) else {
        return Err(X12Error::UnexpectedEnd { expected: "TA1" });
    };
    let ta1 = At { seg, number: 2 };
    let digits = |n: usize, len: usize| -> Result<String, X12Error> {
        let v = ta1.req(n)?;
        if v.len() == len && v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(v)
        } else {
            Err(ta1.bad(n, "wrong length or not digits"))
        }
    };
    let control_number = digits(1, 9)?;
    let date = digits(2, 6)?;
    let time = digits(3, 4)?;
    let code = match ta1.req(4)?.as_str() {
        "A" => Ta1Code::Accepted,
        "E" => Ta1Code::AcceptedWithErrors,
        "R" => Ta1Code::Rejected,
        _ => return Err(ta1.bad(4, "acknowledgment code must be A, E or R")),
    };
    let note = digits(5, 3)?;
    let Some(iea) = segments.get(2) else {
        return Err(X12Error::UnexpectedEnd { expected: "IEA" });
    };
    if iea.tag() != ids::IEA {
        // A second TA1, or groups after it: not an answer to one real-time 270.
        return Err(unexpected(iea, 3, "IEA after the TA1"));
    }
    check_count(iea, 3, 1, "IEA01", 0)?;
    check_control(iea, 3, 2, "IEA02", "ISA13", &interchange.control_number)?;
    if let Some(extra) = segments.get(3) {
        return Err(unexpected(extra, 4, "nothing after IEA"));
    }
    Ok(Ta1 {
        interchange,
        control_number,
        date,
        time,
        code,
        note,
    })
}

fn read_999(input: &[u8]) -> Result<Ack999, X12Error> {
    let parsed = Interchange::parse(input)?;
    let mut sets = parsed.groups.iter().flat_map(|g| &g.transaction_sets);
    let Some(set) = sets.next() else {
        return Err(X12Error::UnexpectedEnd {
            expected: "a transaction set (ST)",
        });
    };
    if let Some(second) = sets.next() {
        return Err(X12Error::Unsupported {
            segment: second.first_segment_number.saturating_sub(1),
            what: "more than one transaction set",
        });
    }
    if set.id != "999" {
        return Err(X12Error::UnexpectedTransaction {
            expected: "999",
            found: set.id.chars().take(3).collect(),
        });
    }
    let mut c = Cursor {
        segments: &set.segments,
        next: 0,
        first_number: set.first_segment_number,
    };
    let ak1 = c.require(ids::AK1, "AK1")?;
    let functional_id = ak1.req(1)?;
    let group_control_number = ak1.req(2)?;
    let version = ak1.opt(3);
    let mut transactions = Vec::new();
    while c.peek_id() == Some(ids::AK2) {
        transactions.push(read_transaction(&mut c)?);
    }
    let ak9 = c.require(ids::AK9, "AK2 or AK9")?;
    let status = AckStatus::parse(&ak9.req(1)?)
        .ok_or_else(|| ak9.bad(1, "status must be A, E, M, P, R, W or X"))?;
    let ack = Ack999 {
        interchange: parsed.header.clone(),
        functional_id,
        group_control_number,
        version,
        transactions,
        status,
        sets_included: number(&ak9, 2)?,
        sets_received: number(&ak9, 3)?,
        sets_accepted: number(&ak9, 4)?,
        group_errors: (5..=9).filter_map(|n| ak9.opt(n)).collect(),
    };
    if let Some(at) = c.next() {
        return Err(unexpected(at.seg, at.number, "SE after AK9"));
    }
    Ok(ack)
}

fn read_transaction(c: &mut Cursor<'_>) -> Result<TransactionAck, X12Error> {
    let ak2 = c.require(ids::AK2, "AK2")?;
    let set_id = ak2.req(1)?;
    let control_number = ak2.req(2)?;
    let implementation_reference = ak2.opt(3);
    let mut segment_errors = Vec::new();
    while c.peek_id() == Some(ids::IK3) {
        let ik3 = c.require(ids::IK3, "IK3")?;
        let mut error = SegmentError {
            segment_id: ik3.req(1)?,
            position: number(&ik3, 2)?.ok_or_else(|| ik3.bad(2, "required element is missing"))?,
            loop_id: ik3.opt(3),
            code: ik3.opt(4),
            element_errors: Vec::new(),
        };
        skip_context(c);
        while c.peek_id() == Some(ids::IK4) {
            let ik4 = c.require(ids::IK4, "IK4")?;
            let position = |k: usize| -> Result<Option<u32>, X12Error> {
                ik4.seg
                    .component(1, k)
                    .map(|v| parse_number(v).ok_or_else(|| ik4.bad(1, "position must be a number")))
                    .transpose()
            };
            error.element_errors.push(ElementError {
                position: position(1)?.ok_or_else(|| ik4.bad(1, "required element is missing"))?,
                component: position(2)?,
                repetition: position(3)?,
                reference: ik4.opt(2),
                code: ik4.req(3)?,
                bad_value: ik4.opt(4),
            });
            skip_context(c);
        }
        segment_errors.push(error);
    }
    let ik5 = c.require(ids::IK5, "IK3 or IK5")?;
    let status = AckStatus::parse(&ik5.req(1)?)
        .filter(|s| *s != AckStatus::PartiallyAccepted)
        .ok_or_else(|| ik5.bad(1, "status must be A, E, M, R, W or X"))?;
    Ok(TransactionAck {
        set_id,
        control_number,
        implementation_reference,
        segment_errors,
        status,
        errors: (2..=6).filter_map(|n| ik5.opt(n)).collect(),
    })
}

fn skip_context(c: &mut Cursor<'_>) {
    while c.peek_id() == Some(ids::CTX) {
        c.next();
    }
}

/// An X12 `N0` count or position of at most 10 digits.
fn parse_number(v: &str) -> Option<u32> {
    if v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn number(at: &At<'_>, n: usize) -> Result<Option<u32>, X12Error> {
    at.seg
        .value(n)
        .map(|v| parse_number(v).ok_or_else(|| at.bad(n, "must be a number")))
        .transpose()
}

impl Acknowledgment {
    /// Whether the payer took our 270 in (a 999 `A`/`E`, a TA1 `A`/`E`). Even then no 271 came.
    pub fn is_accepted(&self) -> bool {
        match self {
            Acknowledgment::Implementation(ack) => {
                ack.status.is_accepted() && ack.transactions.iter().all(|t| t.status.is_accepted())
            }
            Acknowledgment::Interchange(ta1) => ta1.code != Ta1Code::Rejected,
        }
    }

    /// One line for staff: what was rejected and where, in the standard's words. Names
    /// segment ids, positions, loops and codes only (no element values), so it may be logged.
    pub fn summary(&self) -> String {
        match self {
            Acknowledgment::Implementation(ack) => summarize_999(ack),
            Acknowledgment::Interchange(ta1) => summarize_ta1(ta1),
        }
    }
}

fn described(code: &str, describe: fn(&str) -> Option<&'static str>) -> String {
    match describe(code) {
        Some(text) => text.to_string(),
        None => format!("error code {code}"),
    }
}

fn summarize_999(ack: &Ack999) -> String {
    let subject = ack
        .transactions
        .first()
        .map_or_else(|| "the group".to_string(), |t| format!("the {}", t.set_id));
    let mut problems: Vec<String> = Vec::new();
    for t in &ack.transactions {
        for s in &t.segment_errors {
            let place = match &s.loop_id {
                Some(l) => format!("{} (segment {}, loop {l})", s.segment_id, s.position),
                None => format!("{} (segment {})", s.segment_id, s.position),
            };
            if s.element_errors.is_empty() {
                let what = s.code.as_deref().map_or_else(
                    || "in error".to_string(),
                    |c| described(c, ack_codes::segment_error),
                );
                problems.push(format!("{place}: {what}"));
            }
            for e in &s.element_errors {
                let mut element = format!("{}{:02}", s.segment_id, e.position);
                if let Some(component) = e.component {
                    element.push_str(&format!("-{component}"));
                }
                let what = described(&e.code, ack_codes::element_error);
                problems.push(format!("{place}: {what} in {element}"));
            }
        }
        if t.segment_errors.is_empty() {
            problems.extend(
                t.errors
                    .iter()
                    .map(|c| described(c, ack_codes::transaction_error)),
            );
        }
    }
    problems.extend(
        ack.group_errors
            .iter()
            .map(|c| described(c, ack_codes::group_error)),
    );
    // Only a 270 is owed an answer (a 271) that the acknowledgment stands in for; an 837's
    // acknowledgment is the answer expected.
    let answers_270 = ack
        .transactions
        .first()
        .map_or(ack.functional_id == "HS", |t| t.set_id == "270");
    let no_271 = if answers_270 { " but sent no 271" } else { "" };
    let verdict = match ack.status {
        AckStatus::Accepted => {
            return format!("the payer accepted {subject} (999 A){no_271}");
        }
        AckStatus::AcceptedWithErrors => {
            format!("the payer accepted {subject} with errors noted (999 E){no_271}")
        }
        AckStatus::PartiallyAccepted => format!("the payer rejected part of {subject} (999 P)"),
        _ => format!("the payer rejected {subject} (999 {})", ack.status.code()),
    };
    if problems.is_empty() {
        verdict
    } else {
        format!("{verdict}: {}", problems.join("; "))
    }
}

fn summarize_ta1(ta1: &Ta1) -> String {
    let note = described(&ta1.note, ack_codes::interchange_note);
    match ta1.code {
        Ta1Code::Accepted => format!(
            "the payer accepted interchange {} (TA1 A) but sent no 271",
            ta1.control_number
        ),
        Ta1Code::AcceptedWithErrors => format!(
            "the payer accepted interchange {} with errors (TA1 E, note {}: {note}) but sent no 271",
            ta1.control_number, ta1.note
        ),
        Ta1Code::Rejected => format!(
            "the payer rejected interchange {} (TA1 R, note {}): {note}",
            ta1.control_number, ta1.note
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REJECTED: &str = include_str!("../../fixtures/x12/999_rejected.x12");
    const ACCEPTED: &str = include_str!("../../fixtures/x12/999_accepted.x12");
    const TA1_REJECTED: &str = include_str!("../../fixtures/x12/ta1_rejected.x12");

    /// A fixture on one line, so segments can be edited by their text.
    fn flat(fixture: &str) -> String {
        fixture.replace('\n', "")
    }

    fn ack999(text: &str) -> Ack999 {
        match parse_acknowledgment(text.as_bytes()).unwrap() {
            Acknowledgment::Implementation(ack) => ack,
            other => panic!("not a 999: {other:?}"),
        }
    }

    #[test]
    fn a_rejected_999_names_each_segment_and_element() {
        let ack = ack999(REJECTED);
        assert_eq!(ack.interchange.control_number, "000000905");
        assert_eq!(
            (
                ack.functional_id.as_str(),
                ack.group_control_number.as_str()
            ),
            ("HS", "42")
        );
        assert_eq!(ack.version.as_deref(), Some("005010X279A1"));
        assert_eq!(ack.status, AckStatus::Rejected);
        assert_eq!(
            (ack.sets_included, ack.sets_received, ack.sets_accepted),
            (Some(1), Some(1), Some(0))
        );
        let [t] = ack.transactions.as_slice() else {
            panic!("one AK2: {ack:?}")
        };
        assert_eq!(
            (t.set_id.as_str(), t.control_number.as_str()),
            ("270", "0001")
        );
        assert_eq!(t.status, AckStatus::Rejected);
        assert_eq!(t.errors, ["5"]);
        assert_eq!(
            t.segment_errors,
            [
                SegmentError {
                    segment_id: "NM1".into(),
                    position: 9,
                    loop_id: Some("2100C".into()),
                    code: Some("8".into()),
                    element_errors: vec![ElementError {
                        position: 9,
                        component: None,
                        repetition: None,
                        reference: Some("67".into()),
                        code: "1".into(),
                        bad_value: None,
                    }],
                },
                SegmentError {
                    segment_id: "DMG".into(),
                    position: 10,
                    loop_id: Some("2100C".into()),
                    code: Some("8".into()),
                    element_errors: vec![ElementError {
                        position: 2,
                        component: None,
                        repetition: None,
                        reference: Some("1251".into()),
                        code: "8".into(),
                        bad_value: Some("19781320".into()),
                    }],
                },
            ]
        );
        let acknowledgment = Acknowledgment::Implementation(ack);
        assert!(!acknowledgment.is_accepted());
        let summary = acknowledgment.summary();
        assert_eq!(
            summary,
            "the payer rejected the 270 (999 R): NM1 (segment 9, loop 2100C): required data \
             element missing in NM109; DMG (segment 10, loop 2100C): invalid date in DMG02"
        );
        assert!(!summary.contains("19781320"), "the bad value stays out");
    }

    #[test]
    fn an_accepted_999_says_no_271_came() {
        let ack = Acknowledgment::Implementation(ack999(ACCEPTED));
        assert!(ack.is_accepted());
        assert_eq!(
            ack.summary(),
            "the payer accepted the 270 (999 A) but sent no 271"
        );
    }

    #[test]
    fn a_rejected_ta1_names_its_note() {
        let Acknowledgment::Interchange(ta1) =
            parse_acknowledgment(TA1_REJECTED.as_bytes()).unwrap()
        else {
            panic!("not a TA1")
        };
        assert_eq!(ta1.control_number, "000000044");
        assert_eq!((ta1.date.as_str(), ta1.time.as_str()), ("261123", "1029"));
        assert_eq!(ta1.code, Ta1Code::Rejected);
        assert_eq!(ta1.note, "006");
        assert_eq!(ta1.interchange.control_number, "000000907");
        let ack = Acknowledgment::Interchange(ta1);
        assert!(!ack.is_accepted());
        assert_eq!(
            ack.summary(),
            "the payer rejected interchange 000000044 (TA1 R, note 006): invalid interchange sender id"
        );
    }

    #[test]
    fn accepted_with_errors_still_says_no_271_came() {
        let ta1 = flat(TA1_REJECTED);
        for (code, said) in [
            (
                "A*000",
                "accepted interchange 000000044 (TA1 A) but sent no 271",
            ),
            (
                "E*014",
                "accepted interchange 000000044 with errors (TA1 E, note 014: invalid \
                 interchange date value) but sent no 271",
            ),
        ] {
            let ack = parse_acknowledgment(ta1.replace("R*006", code).as_bytes()).unwrap();
            assert!(ack.is_accepted(), "{code}");
            assert_eq!(ack.summary(), format!("the payer {said}"));
        }
        let noted = flat(REJECTED)
            .replace("IK5*R*5~", "IK5*E~")
            .replace("AK9*R*1*1*0~", "AK9*E*1*1*1~");
        let ack = Acknowledgment::Implementation(ack999(&noted));
        assert!(ack.is_accepted());
        assert!(ack.summary().starts_with(
            "the payer accepted the 270 with errors noted (999 E) but sent no 271: NM1 (segment 9"
        ));
    }

    #[test]
    fn segment_and_set_level_errors_are_described_and_unknown_codes_shown() {
        let text = flat(REJECTED)
            .replace("IK3*NM1*9*2100C*8~IK4*9*67*1~", "IK3*HL*7**I7~")
            .replace(
                "IK3*DMG*10*2100C*8~CTX*SITUATIONAL TRIGGER*DMG*10*2100C*2~IK4*2*1251*8*19781320~",
                "IK3*EQ*12*2110C~IK4*1:2*1365*Z9~",
            )
            .replace("SE*11*", "SE*9*");
        assert_eq!(
            Acknowledgment::Implementation(ack999(&text)).summary(),
            "the payer rejected the 270 (999 R): HL (segment 7): implementation loop occurs \
             under minimum times; EQ (segment 12, loop 2110C): error code Z9 in EQ01-2"
        );
        let set_only = flat(ACCEPTED)
            .replace("IK5*A~", "IK5*R*4~")
            .replace("AK9*A*1*1*1~", "AK9*R*1*1*0*5~");
        assert_eq!(
            Acknowledgment::Implementation(ack999(&set_only)).summary(),
            "the payer rejected the 270 (999 R): number of included segments does not match \
             actual count; number of included transaction sets does not match actual count"
        );
    }

    #[test]
    fn a_999_of_an_837_group_gives_each_sets_status_and_owes_no_271() {
        let text = flat(ACCEPTED)
            .replace("AK1*HS*", "AK1*HC*")
            .replace(
                "AK2*270*0001*005010X279A1~IK5*A~",
                "AK2*837*0001~IK5*A~AK2*837*0002~IK5*R*5~",
            )
            .replace("AK9*A*1*1*1~", "AK9*P*2*2*1~")
            .replace("SE*6*", "SE*8*");
        let ack = ack999(&text);
        assert_eq!(ack.functional_id, "HC");
        assert_eq!(ack.status_of("0001"), Some(AckStatus::Accepted));
        assert_eq!(ack.status_of("0002"), Some(AckStatus::Rejected));
        assert_eq!(ack.status_of("0003"), None);
        let ack = Acknowledgment::Implementation(ack);
        assert!(!ack.is_accepted());
        assert_eq!(
            ack.summary(),
            "the payer rejected part of the 837 (999 P): one or more segments in error"
        );
        let accepted = text
            .replace("IK5*R*5~", "IK5*A~")
            .replace("AK9*P*2*2*1~", "AK9*A*2*2*2~");
        assert_eq!(
            Acknowledgment::Implementation(ack999(&accepted)).summary(),
            "the payer accepted the 837 (999 A)"
        );
    }

    #[test]
    fn broken_acknowledgments_are_errors() {
        let (rejected, accepted, ta1) = (flat(REJECTED), flat(ACCEPTED), flat(TA1_REJECTED));
        let cases = [
            // IK5 missing.
            rejected.replace("IK5*R*5~", "").replace("SE*11*", "SE*10*"),
            // A status that is not one.
            accepted.replace("AK9*A*", "AK9*Q*"),
            // P is a group status only.
            accepted.replace("IK5*A~", "IK5*P~"),
            // IK302 is a number.
            rejected.replace("IK3*NM1*9*", "IK3*NM1*X*"),
            // Segments after AK9.
            accepted
                .replace("AK9*A*1*1*1~", "AK9*A*1*1*1~AK1*HS*1~")
                .replace("SE*6*", "SE*7*"),
            // A 271 is no acknowledgment.
            include_str!("../../fixtures/x12/271_active_ppo.x12").to_string(),
            // TA1 fields have fixed forms, and the interchange holds no group.
            ta1.replace("*R*006~", "*R*6~"),
            ta1.replace("*R*006~", "*Q*006~"),
            ta1.replace("IEA*0*", "IEA*1*"),
            ta1.replace("IEA*0*000000907", "IEA*0*000000908"),
            ta1.replace("TA1*000000044*", "TA1*44*"),
            ta1.replace("006~", "006~TA1*000000044*261123*1029*R*006~"),
            ta1.replace("IEA*0*000000907~", ""),
        ];
        // Each edit is a real change of the fixture.
        assert!(cases
            .iter()
            .all(|c| ![rejected.as_str(), accepted.as_str(), ta1.as_str()].contains(&c.as_str())));
        for text in cases {
            assert!(parse_acknowledgment(text.as_bytes()).is_err(), "{text}");
        }
    }
}
