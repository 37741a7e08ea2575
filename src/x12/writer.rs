//! Writing segments and the ISA/GS/ST … SE/GE/IEA envelope around one transaction set.
//!
//! # Text safety
//!
//! X12 has no escape mechanism: a delimiter inside a value silently splits it and corrupts
//! the interchange (a name containing `*` shifts every later element; one containing `~` ends
//! the segment early). So every value written goes through [`check_text`], which refuses text
//! containing any of the four delimiters, or any character outside printable ASCII. Callers
//! get an [`X12Error::UnsafeText`] naming the element (`NM103`), never a mangled interchange.
//! [`check_text`] is for identifiers and codes (member ids, NPIs, control numbers), where a
//! changed character would change the meaning.
//!
//! Free text (person and organization names, address lines, city, contact name) is instead
//! passed through [`clean_text`] by the transaction builders before it is checked: the rule is
//!
//! 1. every delimiter of the *active* set (element, component, repetition, segment terminator)
//!    and every control or white-space character becomes a space;
//! 2. every other character is spelled in the X12 basic character set by the one
//!    transliteration, [`crate::domain::names::spell`]: letters uppercased, Latin letters
//!    without their diacritics (`é` → `E`, `ß` → `SS`, `Æ` → `AE`, `ł` → `L`), typographic
//!    punctuation as ASCII (`’` → `'`, `–` → `-`);
//! 3. printable ASCII outside the basic set (`#`, `@`, `%`: the extended set) is kept, and
//!    anything else (other scripts, symbols, emoji) becomes a space;
//! 4. runs of spaces collapse to one, and the ends are trimmed.
//!
//! Step 3 drops what cannot be spelled, so a person's name must not reach a builder with such a
//! character: where a name is entered it is refused, and a name stored before that rule is
//! refused by [`crate::domain::names::check_x12_names`] before a 270 or an 837 is built.
//!
//! The result always passes [`check_text`]. It may be empty; a builder then refuses a
//! required value with [`X12Error::InvalidInput`] naming the element.
//!
//! # Counts and control numbers
//!
//! The caller supplies the control numbers (ISA13, GS06, ST02) because they must be unique per
//! trading partner and are stored for audit. The writer computes the counts: `SE01` = segments
//! from ST to SE inclusive, `GE01` = transaction sets in the group, `IEA01` = groups.

use chrono::NaiveDateTime;

use super::delimiters::{Delimiters, ISA_LEN};
use super::envelope::Usage;
use super::error::{TextProblem, X12Error};
use super::segment::Segment;
use crate::domain::names;

/// Largest value of a 9-digit control number (ISA13, GS06, ST02).
pub const MAX_CONTROL_NUMBER: u32 = 999_999_999;

/// Refuses `value` if it contains any of the four delimiters or a character outside printable
/// ASCII (`0x20..=0x7E`). `field` names the element in the error (`"NM103"`).
pub fn check_text(field: &str, value: &str, delimiters: &Delimiters) -> Result<(), X12Error> {
    for c in value.chars() {
        if delimiters.is_delimiter(c) {
            return Err(X12Error::UnsafeText {
                field: field.to_owned(),
                problem: TextProblem::Delimiter(c),
            });
        }
        if !(' '..='~').contains(&c) {
            return Err(X12Error::UnsafeText {
                field: field.to_owned(),
                problem: TextProblem::NotPrintableAscii,
            });
        }
    }
    Ok(())
}

/// Cleans free text so it can be written into an element: see the rule in the
/// [module documentation](self). Pure and idempotent; the result passes [`check_text`] with the
/// same `delimiters`.
///
/// ```
/// # use perdiem::x12::{clean_text, Delimiters};
/// let d = Delimiters::STANDARD;
/// assert_eq!(clean_text("  O'Brien*Smith~ ^Jr: ", &d), "O'BRIEN SMITH JR");
/// assert_eq!(clean_text("José Müller\tÆbø", &d), "JOSE MULLER AEBO");
/// assert_eq!(clean_text("Suite #4", &d), "SUITE #4");
/// assert_eq!(clean_text("李*~", &d), "");
/// ```
pub fn clean_text(value: &str, delimiters: &Delimiters) -> String {
    let mut mapped = String::with_capacity(value.len());
    let mut spelled = String::new();
    for c in value.chars() {
        spelled.clear();
        if delimiters.is_delimiter(c) || c.is_control() || c.is_whitespace() {
            spelled.push(' ');
        } else if names::spell(c, &mut spelled).is_err() {
            // Printable ASCII outside the basic set (`#`, `@`, `%`) is the extended set, which
            // addresses use and payers read; anything else has no spelling.
            spelled.push(if (' '..='~').contains(&c) { c } else { ' ' });
        }
        // A spelling may itself be a delimiter of an unusual set (`!`, `/`, `=`).
        mapped.extend(
            spelled
                .chars()
                .map(|s| if delimiters.is_delimiter(s) { ' ' } else { s }),
        );
    }
    let mut out = String::with_capacity(mapped.len());
    for word in mapped.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Appends `segment` and its terminator to `out`.
///
/// Every component is checked with [`check_text`]. Trailing empty elements, trailing empty
/// components and empty repetitions are not written (X12 forbids trailing separators).
/// The ISA cannot be written this way: it is fixed width and is produced by
/// [`write_interchange`].
pub fn write_segment(
    out: &mut String,
    segment: &Segment,
    delimiters: &Delimiters,
) -> Result<(), X12Error> {
    let id = segment.id();
    check_segment_id(id)?;
    // Written straight into `out`; on a refusal what was written of this segment is taken
    // back.
    let start = out.len();
    let used = segment
        .elements()
        .iter()
        .rposition(|e| !e.is_empty())
        .map_or(0, |p| p + 1);
    out.push_str(id);
    for (i, element) in segment.elements().iter().take(used).enumerate() {
        out.push(delimiters.element());
        let mut first = true;
        for repetition in element.repetitions() {
            if repetition.iter().all(String::is_empty) {
                continue;
            }
            if !first {
                out.push(delimiters.repetition());
            }
            first = false;
            if let Err(e) = push_components(out, repetition, delimiters) {
                out.truncate(start);
                return Err(element_named(e, id, i));
            }
        }
    }
    out.push(delimiters.segment());
    Ok(())
}

fn check_segment_id(id: &str) -> Result<(), X12Error> {
    let id_ok = (2..=3).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && id != "ISA";
    if !id_ok {
        return Err(X12Error::InvalidInput {
            field: "segment id",
            reason: "must be 2-3 upper-case letters or digits, not ISA",
        });
    }
    Ok(())
}

/// Appends one repetition's components, trailing empty ones dropped, each checked with
/// [`check_text`].
fn push_components<S: AsRef<str>>(
    out: &mut String,
    components: &[S],
    delimiters: &Delimiters,
) -> Result<(), X12Error> {
    let used = components
        .iter()
        .rposition(|c| !c.as_ref().is_empty())
        .map_or(0, |p| p + 1);
    for (j, c) in components.iter().take(used).enumerate() {
        let c = c.as_ref();
        check_text("", c, delimiters)?;
        if j > 0 {
            out.push(delimiters.component());
        }
        out.push_str(c);
    }
    Ok(())
}

/// Names the element (`NM103`) in a text refusal.
fn element_named(e: X12Error, id: &str, index: usize) -> X12Error {
    match e {
        X12Error::UnsafeText { problem, .. } => X12Error::UnsafeText {
            field: format!("{id}{:02}", index + 1),
            problem,
        },
        other => other,
    }
}

/// Writes a transaction set's body straight into text, one segment at a time, with the rules
/// of [`write_segment`] (every component checked, trailing empties dropped). A body of
/// hundreds of thousands of segments (an 837 of 5,000 claims) spent most of its time
/// allocating a [`Segment`] and its strings per segment; this writes no intermediate value.
#[derive(Debug)]
pub struct SegmentWriter {
    out: String,
    delimiters: Delimiters,
    segments: usize,
}

/// A transaction set's body written by a [`SegmentWriter`]: checked text and its segment count.
#[derive(Debug, Clone)]
pub struct WrittenBody {
    text: String,
    segments: usize,
    delimiters: Delimiters,
}

impl WrittenBody {
    /// The segments, each with its terminator.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn segments(&self) -> usize {
        self.segments
    }
}

impl SegmentWriter {
    pub fn new(delimiters: Delimiters) -> Self {
        SegmentWriter::with_capacity(delimiters, 0)
    }

    /// A writer whose text has room for `bytes` before it grows: a body of megabytes grown by
    /// doubling touches twice its size in fresh memory and copies itself along the way.
    pub fn with_capacity(delimiters: Delimiters, bytes: usize) -> Self {
        SegmentWriter {
            out: String::with_capacity(bytes),
            delimiters,
            segments: 0,
        }
    }

    /// Appends one segment: each element is given as its components (a simple element is one
    /// component; `&[]` or `&[""]` is an element not used). Envelope segments are refused: the
    /// interchange writer puts them around the body.
    pub fn segment(&mut self, id: &str, elements: &[&[&str]]) -> Result<(), X12Error> {
        check_segment_id(id)?;
        if matches!(id, "ST" | "SE" | "GS" | "GE" | "IEA") {
            return Err(ENVELOPE_IN_BODY);
        }
        let d = &self.delimiters;
        let out = &mut self.out;
        let start = out.len();
        let used = elements
            .iter()
            .rposition(|e| e.iter().any(|c| !c.is_empty()))
            .map_or(0, |p| p + 1);
        out.push_str(id);
        for (i, components) in elements.iter().take(used).enumerate() {
            out.push(d.element());
            if let Err(e) = push_components(out, components, d) {
                out.truncate(start);
                return Err(element_named(e, id, i));
            }
        }
        out.push(d.segment());
        self.segments += 1;
        Ok(())
    }

    pub fn finish(self) -> WrittenBody {
        WrittenBody {
            text: self.out,
            segments: self.segments,
            delimiters: self.delimiters,
        }
    }
}

const ENVELOPE_IN_BODY: X12Error = X12Error::InvalidInput {
    field: "body",
    reason: "envelope segments are written by the writer",
};

/// An interchange partner's id and its qualifier (ISA05/ISA06, ISA07/ISA08).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyId {
    /// Two characters, e.g. `ZZ` mutually defined, `30` federal tax id.
    pub qualifier: String,
    /// 1–15 characters; padded with spaces to 15 in the ISA.
    pub id: String,
}

/// Caller-assigned control numbers, each 1..=999 999 999.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlNumbers {
    /// ISA13, echoed in IEA02; written as 9 zero-padded digits.
    pub interchange: u32,
    /// GS06, echoed in GE02.
    pub group: u32,
    /// ST02, echoed in SE02; written with at least 4 digits (`0001`).
    pub transaction_set: u32,
}

/// Everything the ISA and GS need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub sender: PartyId,
    pub receiver: PartyId,
    /// GS02; the ISA06 id when `None` (the usual arrangement with payers and clearinghouses).
    pub application_sender: Option<String>,
    /// GS03; the ISA08 id when `None`.
    pub application_receiver: Option<String>,
    /// ISA15.
    pub usage: Usage,
    /// ISA14: ask for a TA1 interchange acknowledgment.
    pub ack_requested: bool,
    pub control_numbers: ControlNumbers,
    /// ISA09/ISA10 and GS04/GS05.
    pub timestamp: NaiveDateTime,
    pub delimiters: Delimiters,
}

/// What goes into GS01/GS08 and ST01/ST03 (for example `HS`, `005010X279A1`, `270`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionKind {
    /// GS01 functional identifier code (`HS` 270, `HB` 271, `HC` 837, `HP` 835).
    pub functional_id: &'static str,
    /// ST01 transaction set identifier (`270`).
    pub transaction_set_id: &'static str,
    /// GS08 and ST03 implementation convention reference (`005010X279A1`).
    pub version: &'static str,
}

impl TransactionKind {
    /// ST03, the implementation convention reference: the version, except for the 835, whose
    /// guide (005010X221A1) marks ST03 "not used" and names its version in GS08 alone.
    fn st03(&self) -> &'static str {
        if self.transaction_set_id == "835" {
            ""
        } else {
            self.version
        }
    }
}

/// Writes `ISA GS ST <body> SE GE IEA` with one group holding one transaction set.
///
/// `body` is every segment between ST and SE. SE01, GE01 and IEA01 are computed.
pub fn write_interchange(
    envelope: &Envelope,
    kind: TransactionKind,
    body: &[Segment],
) -> Result<String, X12Error> {
    let cn = envelope.control_numbers;
    write_groups(
        envelope,
        &[Group {
            kind,
            group_control: cn.group,
            transaction_set_control: cn.transaction_set,
            body: Body::Segments(body),
        }],
    )
}

/// One functional group of an interchange, holding one transaction set.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a> {
    pub kind: TransactionKind,
    /// GS06, echoed in GE02.
    pub group_control: u32,
    /// ST02, echoed in SE02.
    pub transaction_set_control: u32,
    /// Every segment between ST and SE.
    pub body: Body<'a>,
}

/// A transaction set's body: segments, or text a [`SegmentWriter`] already wrote.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Segments(&'a [Segment]),
    Written(&'a WrittenBody),
}

/// Writes `ISA (GS ST <body> SE GE)… IEA`: one interchange holding `groups` (at least one),
/// each with one transaction set. Only ISA13 is taken from `envelope.control_numbers`; each
/// group brings its own GS06 and ST02.
pub fn write_groups(envelope: &Envelope, groups: &[Group<'_>]) -> Result<String, X12Error> {
    let d = &envelope.delimiters;
    let cn = envelope.control_numbers;
    check_control_number("ISA13 interchange control number", cn.interchange)?;
    if groups.is_empty() {
        return Err(X12Error::InvalidInput {
            field: "groups",
            reason: "an interchange holds at least one functional group",
        });
    }
    let mut out = isa(envelope)?;
    // Room for the written bodies and every envelope segment, so a body of megabytes is copied
    // in once.
    let written: usize = groups
        .iter()
        .map(|g| match g.body {
            Body::Written(body) => body.text.len(),
            Body::Segments(_) => 0,
        })
        .sum();
    out.reserve(written + 256 * groups.len() + 64);
    let gs_sender = envelope
        .application_sender
        .as_deref()
        .unwrap_or(&envelope.sender.id);
    let gs_receiver = envelope
        .application_receiver
        .as_deref()
        .unwrap_or(&envelope.receiver.id);
    check_len("GS02 application sender code", gs_sender, 2, 15)?;
    check_len("GS03 application receiver code", gs_receiver, 2, 15)?;
    let date = envelope.timestamp.format("%Y%m%d").to_string();
    let time = envelope.timestamp.format("%H%M").to_string();
    for group in groups {
        check_control_number("GS06 group control number", group.group_control)?;
        check_control_number(
            "ST02 transaction set control number",
            group.transaction_set_control,
        )?;
        let st02 = format!("{:04}", group.transaction_set_control);
        let gs06 = group.group_control.to_string();
        let kind = group.kind;
        // GS07 `X`: responsible agency is Accredited Standards Committee X12.
        let gs = [
            kind.functional_id,
            gs_sender,
            gs_receiver,
            &date,
            &time,
            &gs06,
            "X",
            kind.version,
        ];
        write_segment(&mut out, &Segment::simple("GS", &gs), d)?;
        write_segment(
            &mut out,
            &Segment::simple("ST", &[kind.transaction_set_id, &st02, kind.st03()]),
            d,
        )?;
        let segments = match group.body {
            Body::Segments(body) => {
                for segment in body {
                    if matches!(segment.id(), "ST" | "SE" | "GS" | "GE" | "IEA") {
                        return Err(ENVELOPE_IN_BODY);
                    }
                    write_segment(&mut out, segment, d)?;
                }
                body.len()
            }
            Body::Written(body) => {
                if body.delimiters != *d {
                    return Err(X12Error::InvalidInput {
                        field: "body",
                        reason: "was written with other delimiters than the interchange's",
                    });
                }
                out.push_str(&body.text);
                body.segments
            }
        };
        // SE01 counts every segment of the transaction set, ST and SE included.
        let se01 = (segments + 2).to_string();
        write_segment(&mut out, &Segment::simple("SE", &[&se01, &st02]), d)?;
        write_segment(&mut out, &Segment::simple("GE", &["1", &gs06]), d)?;
    }
    write_segment(
        &mut out,
        &Segment::simple(
            "IEA",
            &[&groups.len().to_string(), &format!("{:09}", cn.interchange)],
        ),
        d,
    )?;
    Ok(out)
}

/// Writes `ISA TA1 IEA`: an interchange acknowledgment, which holds no functional group
/// (IEA01 = 0). Only ISA13 is taken from `envelope.control_numbers`.
pub fn write_ta1(envelope: &Envelope, ta1: &Segment) -> Result<String, X12Error> {
    let d = &envelope.delimiters;
    let interchange = envelope.control_numbers.interchange;
    check_control_number("ISA13 interchange control number", interchange)?;
    if ta1.id() != "TA1" {
        return Err(X12Error::InvalidInput {
            field: "segment id",
            reason: "an interchange acknowledgment holds a TA1",
        });
    }
    let mut out = isa(envelope)?;
    write_segment(&mut out, ta1, d)?;
    let iea02 = format!("{interchange:09}");
    write_segment(&mut out, &Segment::simple("IEA", &["0", &iea02]), d)?;
    Ok(out)
}

/// The fixed-width ISA (106 characters with its terminator).
fn isa(envelope: &Envelope) -> Result<String, X12Error> {
    let d = &envelope.delimiters;
    for (field, party) in [
        ("ISA05/ISA06 sender", &envelope.sender),
        ("ISA07/ISA08 receiver", &envelope.receiver),
    ] {
        if party.qualifier.len() != 2 || !party.qualifier.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(X12Error::InvalidInput {
                field,
                reason: "qualifier must be 2 letters or digits",
            });
        }
        check_len(field, &party.id, 1, 15)?;
        if party.id.starts_with(' ') || party.id.ends_with(' ') {
            return Err(X12Error::InvalidInput {
                field,
                reason: "id must not start or end with a space",
            });
        }
    }
    let e = d.element();
    let fields: [String; 16] = [
        // ISA01-ISA04: no authorization or security information.
        "00".into(),
        " ".repeat(10),
        "00".into(),
        " ".repeat(10),
        envelope.sender.qualifier.clone(),
        format!("{:<15}", envelope.sender.id),
        envelope.receiver.qualifier.clone(),
        format!("{:<15}", envelope.receiver.id),
        envelope.timestamp.format("%y%m%d").to_string(),
        envelope.timestamp.format("%H%M").to_string(),
        d.repetition().to_string(),
        // ISA12: interchange control version 00501 (5010).
        "00501".into(),
        format!("{:09}", envelope.control_numbers.interchange),
        if envelope.ack_requested { "1" } else { "0" }.into(),
        envelope.usage.code().into(),
        d.component().to_string(),
    ];
    let mut out = String::from("ISA");
    for (i, f) in fields.iter().enumerate() {
        // ISA11 and ISA16 carry delimiters by design; everything else is checked.
        if i != 10 && i != 15 {
            check_text(&format!("ISA{:02}", i + 1), f, d)?;
        }
        out.push(e);
        out.push_str(f);
    }
    out.push(d.segment());
    if out.len() != ISA_LEN {
        return Err(X12Error::InvalidInput {
            field: "ISA",
            reason: "does not come to 106 characters",
        });
    }
    Ok(out)
}

fn check_control_number(field: &'static str, n: u32) -> Result<(), X12Error> {
    if n == 0 || n > MAX_CONTROL_NUMBER {
        return Err(X12Error::InvalidInput {
            field,
            reason: "must be 1..=999999999",
        });
    }
    Ok(())
}

/// Checks that `value` is `min..=max` characters long.
pub(crate) fn check_len(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), X12Error> {
    let n = value.chars().count();
    if n < min || n > max {
        let reason = if n < min {
            "is too short"
        } else {
            "is too long"
        };
        return Err(X12Error::InvalidInput { field, reason });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x12::segment::Element;
    use chrono::NaiveDate;

    fn envelope() -> Envelope {
        Envelope {
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
            timestamp: NaiveDate::from_ymd_opt(2025, 1, 15)
                .unwrap()
                .and_hms_opt(10, 30, 0)
                .unwrap(),
            delimiters: Delimiters::STANDARD,
        }
    }

    const KIND: TransactionKind = TransactionKind {
        functional_id: "HS",
        transaction_set_id: "270",
        version: "005010X279A1",
    };

    #[test]
    fn check_text_refuses_each_delimiter_and_control_characters() {
        let d = Delimiters::STANDARD;
        assert!(check_text("NM103", "O'BRIEN-SMITH & SONS, INC.", &d).is_ok());
        for bad in ["A*B", "A^B", "A:B", "A~B"] {
            let err = check_text("NM103", bad, &d).unwrap_err();
            assert!(
                matches!(
                    err,
                    X12Error::UnsafeText {
                        problem: TextProblem::Delimiter(_),
                        ..
                    }
                ),
                "{bad}"
            );
        }
        for bad in ["A\nB", "A\tB", "JOSÉ"] {
            assert_eq!(
                check_text("NM103", bad, &d),
                Err(X12Error::UnsafeText {
                    field: "NM103".into(),
                    problem: TextProblem::NotPrintableAscii
                })
            );
        }
        // With other delimiters, `*` is ordinary text and `|` is not.
        let pipes = Delimiters::new('|', '{', '>', '\n').unwrap();
        assert!(check_text("NM103", "A*B:C~", &pipes).is_ok());
        assert!(check_text("NM103", "A|B", &pipes).is_err());
    }

    #[test]
    fn clean_text_replaces_delimiters_and_control_characters_and_collapses_spaces() {
        let d = Delimiters::STANDARD;
        assert_eq!(clean_text("DOE*SMITH", &d), "DOE SMITH");
        assert_eq!(clean_text("  A~B:C^D  ", &d), "A B C D");
        assert_eq!(clean_text("A\r\n\tB\u{0}C\u{7f}D", &d), "A B C D");
        assert_eq!(clean_text("A * * B", &d), "A B");
        assert_eq!(
            clean_text("O'BRIEN-SMITH & SONS, INC.", &d),
            "O'BRIEN-SMITH & SONS, INC."
        );
        // Latin letters lose their marks and are uppercased; other scripts and symbols become
        // spaces; the extended set's ASCII punctuation stays.
        assert_eq!(clean_text("JOSÉ NÚÑEZ", &d), "JOSE NUNEZ");
        assert_eq!(clean_text("Straße Œuvre Łódź", &d), "STRASSE OEUVRE LODZ");
        assert_eq!(
            clean_text("O\u{2019}Neil \u{2013} Apt\u{2026}", &d),
            "O'NEIL - APT..."
        );
        assert_eq!(clean_text("Anna 李 Smith 😀", &d), "ANNA SMITH");
        assert_eq!(
            clean_text("100 Main St #4 c/o J@ne", &d),
            "100 MAIN ST #4 C/O J@NE"
        );
        assert_eq!(clean_text("*~:^ \n", &d), "");
        // The active set decides: with `|` as element separator, `*` is ordinary text.
        let pipes = Delimiters::new('|', '{', '>', '\n').unwrap();
        assert_eq!(clean_text("A*B|C{D>E\nF", &pipes), "A*B C D E F");
        for s in ["JOSÉ*~", "a\u{2019}b", "x|y"] {
            let once = clean_text(s, &pipes);
            assert_eq!(clean_text(&once, &pipes), once);
            assert!(check_text("NM103", &once, &pipes).is_ok());
        }
    }

    proptest::proptest! {
        /// The writers' cleaning and the name rule spell a sendable name the same way, so what
        /// staff are told is sent is what is sent.
        #[test]
        fn clean_text_spells_a_sendable_name_as_the_name_rule_does(
            name in "[A-Za-zÀ-ÖØ-öø-ſ \\-'’.]{1,40}"
        ) {
            let d = Delimiters::STANDARD;
            let spelled = names::to_x12_basic(&name).unwrap();
            proptest::prop_assert_eq!(clean_text(&name, &d), spelled.clone());
            proptest::prop_assert!(check_text("NM103", &spelled, &d).is_ok());
        }
    }

    #[test]
    fn write_segment_drops_trailing_empties_and_joins_repetitions() {
        let d = Delimiters::STANDARD;
        let mut out = String::new();
        let nm1 = Segment::simple(
            "NM1",
            &["PR", "2", "ACME", "", "", "", "", "PI", "12345", "", ""],
        );
        write_segment(&mut out, &nm1, &d).unwrap();
        let eq = Segment::new(
            "EQ",
            vec![
                Element::repeated(["30", "MH", ""]),
                Element::composite(["HC", "S9480", ""]),
            ],
        );
        write_segment(&mut out, &eq, &d).unwrap();
        assert_eq!(out, "NM1*PR*2*ACME*****PI*12345~EQ*30^MH*HC:S9480~");
        let bad = Segment::simple("NM1", &["PR", "2", "ACME*HEALTH"]);
        assert_eq!(
            write_segment(&mut out, &bad, &d),
            Err(X12Error::UnsafeText {
                field: "NM103".into(),
                problem: TextProblem::Delimiter('*')
            })
        );
        assert!(write_segment(&mut out, &Segment::simple("ISA", &["00"]), &d).is_err());
        assert!(write_segment(&mut out, &Segment::simple("nm1", &["00"]), &d).is_err());
    }

    #[test]
    fn the_segment_writer_writes_what_write_segment_writes_and_refuses_the_same() {
        let d = Delimiters::STANDARD;
        let mut w = SegmentWriter::new(d);
        w.segment(
            "NM1",
            &[
                &["PR"],
                &["2"],
                &["ACME"],
                &[""],
                &[],
                &[],
                &[],
                &["PI"],
                &["12345"],
                &[],
            ],
        )
        .unwrap();
        w.segment("SV2", &[&["0905"], &["HC", "S9480", ""], &["250"]])
            .unwrap();
        // A refused segment leaves nothing behind and is not counted.
        assert_eq!(
            w.segment("NM1", &[&["PR"], &["2"], &["ACME:HEALTH"]]),
            Err(X12Error::UnsafeText {
                field: "NM103".into(),
                problem: TextProblem::Delimiter(':')
            })
        );
        for id in ["ISA", "nm1", "ST", "SE", "GS", "GE", "IEA"] {
            assert!(w.segment(id, &[&["1"]]).is_err(), "{id}");
        }
        let body = w.finish();
        assert_eq!(body.segments(), 2);
        assert_eq!(
            body.as_str(),
            "NM1*PR*2*ACME*****PI*12345~SV2*0905*HC:S9480*250~"
        );

        // In an interchange: counted in SE01 like segments, and only with its own delimiters.
        let mut expected = String::new();
        for segment in [
            Segment::simple("NM1", &["PR", "2", "ACME", "", "", "", "", "PI", "12345"]),
            Segment::new(
                "SV2",
                vec![
                    Element::simple("0905"),
                    Element::composite(["HC", "S9480"]),
                    Element::simple("250"),
                ],
            ),
        ] {
            write_segment(&mut expected, &segment, &d).unwrap();
        }
        assert_eq!(body.as_str(), expected);
        let group = |body| Group {
            kind: TransactionKind {
                functional_id: "HC",
                transaction_set_id: "837",
                version: "005010X223A2",
            },
            group_control: 7,
            transaction_set_control: 7,
            body,
        };
        let written = write_groups(&envelope(), &[group(Body::Written(&body))]).unwrap();
        assert!(written.contains("~SE*4*0007~"), "{written}");
        let other = Delimiters::new('*', '^', ':', '\n').unwrap();
        let mut w = SegmentWriter::new(other);
        w.segment("LX", &[&["1"]]).unwrap();
        assert!(write_groups(&envelope(), &[group(Body::Written(&w.finish()))]).is_err());
    }

    #[test]
    fn envelope_counts_and_pads() {
        let body = [Segment::simple(
            "BHT",
            &["0022", "13", "X", "20250115", "1030"],
        )];
        let text = write_interchange(&envelope(), KIND, &body).unwrap();
        let segments: Vec<&str> = text.split_terminator('~').collect();
        assert_eq!(
            segments,
            [
                "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*ACMEPAYER      *250115*1030*^*00501*000000101*0*P*:",
                "GS*HS*SUBMITTERID*ACMEPAYER*20250115*1030*101*X*005010X279A1",
                "ST*270*0001*005010X279A1",
                "BHT*0022*13*X*20250115*1030",
                "SE*3*0001",
                "GE*1*101",
                "IEA*1*000000101",
            ]
        );
        assert_eq!(segments[0].len() + 1, ISA_LEN);
    }

    #[test]
    fn an_835_names_its_version_in_gs08_alone() {
        let kind = TransactionKind {
            functional_id: "HP",
            transaction_set_id: "835",
            version: "005010X221A1",
        };
        let body = [Segment::simple("LX", &["1"])];
        let text = write_interchange(&envelope(), kind, &body).unwrap();
        let segments: Vec<&str> = text.split_terminator('~').collect();
        assert_eq!(
            segments[1],
            "GS*HP*SUBMITTERID*ACMEPAYER*20250115*1030*101*X*005010X221A1"
        );
        assert_eq!(segments[2], "ST*835*0001");
    }

    #[test]
    fn envelope_refuses_bad_ids_and_control_numbers() {
        let mut e = envelope();
        e.sender.id = "A-SIXTEEN-CHARS!".into();
        assert!(write_interchange(&e, KIND, &[]).is_err());
        let mut e = envelope();
        e.receiver.qualifier = "Z".into();
        assert!(write_interchange(&e, KIND, &[]).is_err());
        let mut e = envelope();
        e.sender.id = "SUB*ID".into();
        assert!(matches!(
            write_interchange(&e, KIND, &[]),
            Err(X12Error::UnsafeText { .. })
        ));
        let mut e = envelope();
        e.control_numbers.interchange = 1_000_000_000;
        assert!(write_interchange(&e, KIND, &[]).is_err());
        let mut e = envelope();
        e.control_numbers.transaction_set = 0;
        assert!(write_interchange(&e, KIND, &[]).is_err());
        let mut e = envelope();
        e.application_sender = Some("X".into());
        assert!(write_interchange(&e, KIND, &[]).is_err());
        assert!(
            write_interchange(&envelope(), KIND, &[Segment::simple("SE", &["1", "0001"])]).is_err()
        );
    }
}
