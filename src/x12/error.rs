//! The one error type of the X12 module.
//!
//! Positions are reported as a 1-based *segment number* within the interchange (the ISA is
//! segment 1) and, for tokenizer errors, a 0-based byte offset. Messages name segment ids,
//! element positions and envelope control numbers only: they never echo element values, so an
//! error can be logged without leaking PHI (names, member ids, birth dates).

use thiserror::Error;

/// Why a piece of text cannot be written into an X12 element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// The text contains one of the interchange's four delimiters.
    Delimiter(char),
    /// The text contains a character outside printable ASCII (the X12 basic and extended
    /// character sets are ASCII; control characters would be read back as garbage).
    NotPrintableAscii,
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextProblem::Delimiter(c) => write!(f, "contains the delimiter {c:?}"),
            TextProblem::NotPrintableAscii => {
                f.write_str("contains a character outside printable ASCII")
            }
        }
    }
}

/// Everything that can go wrong reading or writing X12.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum X12Error {
    /// Nothing but whitespace was given.
    #[error("the interchange is empty")]
    Empty,

    /// The ISA is missing, truncated or not in its fixed-width 106-character form.
    #[error("invalid ISA interchange header: {reason}")]
    Isa { reason: &'static str },

    /// A version this module does not read: ISA12 other than `00501` (only 5010 interchanges
    /// carry a repetition separator in ISA11, and 4010 or 6020 loops differ), or a 271's GS08
    /// other than 005010X279(A1). `found` is the envelope code as sent, never member data.
    #[error("unsupported version {found:?} in {element}; expected {expected}")]
    UnsupportedVersion {
        element: &'static str,
        found: String,
        expected: &'static str,
    },

    /// A byte that is neither printable ASCII nor one of the delimiters.
    #[error("invalid byte 0x{byte:02X} at offset {offset} (segment {segment})")]
    InvalidByte {
        offset: usize,
        segment: usize,
        byte: u8,
    },

    /// A segment whose identifier is not 2–3 upper-case letters or digits.
    #[error("segment {segment} at offset {offset} has an invalid segment identifier")]
    BadSegmentId { segment: usize, offset: usize },

    /// Two segment terminators with nothing between them.
    #[error("segment {segment} at offset {offset} is empty")]
    EmptySegment { segment: usize, offset: usize },

    /// Data after the last segment terminator (a truncated interchange).
    #[error("data from offset {offset} is not closed by a segment terminator")]
    Unterminated { offset: usize },

    /// A segment that the structure does not allow at this point.
    #[error("segment {segment} ({id}) is not allowed here; expected {expected}")]
    UnexpectedSegment {
        segment: usize,
        id: String,
        expected: &'static str,
    },

    /// The segments ran out while a structure was still open.
    #[error("the interchange ends early; expected {expected}")]
    UnexpectedEnd { expected: &'static str },

    /// An element is missing, has the wrong form, or holds a code outside its list.
    #[error("segment {segment} ({id}{element:02}): {reason}")]
    BadElement {
        segment: usize,
        id: String,
        element: usize,
        reason: &'static str,
    },

    /// A trailer control number differs from its header (IEA02/ISA13, GE02/GS06, SE02/ST02).
    #[error("segment {segment}: {trailer} {found:?} does not match {header} {expected:?}")]
    ControlNumberMismatch {
        segment: usize,
        trailer: &'static str,
        header: &'static str,
        expected: String,
        found: String,
    },

    /// A trailer count differs from the actual count (SE01, GE01, IEA01).
    #[error("segment {segment}: {element} says {declared}, actual count is {actual}")]
    CountMismatch {
        segment: usize,
        element: &'static str,
        declared: String,
        actual: usize,
    },

    /// A code outside the list the implementation guide allows for an element whose meaning
    /// the reader must know (835 CLP02 claim status, CAS01 adjustment group, BPR04 payment
    /// method; 277CA STC01-1 status category). `code` is what was sent, cut to 4 characters:
    /// a code, never member data.
    #[error("segment {segment} ({id}{element:02}): unknown code {code:?}")]
    UnknownCode {
        segment: usize,
        id: String,
        element: usize,
        code: String,
    },

    /// A loop without a segment it cannot do without (an 835 without its TRN, a 277CA claim
    /// without the TRN that carries our patient control number). `segment` is where the loop
    /// begins.
    #[error("loop {loop_id} at segment {segment} has no {expected}")]
    MissingSegment {
        segment: usize,
        loop_id: &'static str,
        expected: &'static str,
    },

    /// The transaction set is not the one asked for (for example a 999 where a 271 was expected).
    #[error("expected transaction set {expected}, found {found:?}")]
    UnexpectedTransaction {
        expected: &'static str,
        found: String,
    },

    /// Legal X12 a reader does not handle (for example a batch 271 given to `parse_271`, which
    /// reads one answer; `parse_271_batch` reads them all).
    #[error("unsupported structure at segment {segment}: {what}")]
    Unsupported { segment: usize, what: &'static str },

    /// A value given to a builder is out of range or of the wrong form.
    #[error("{field}: {reason}")]
    InvalidInput {
        field: &'static str,
        reason: &'static str,
    },

    /// Text that cannot be written into an element without corrupting the interchange.
    #[error("{field} {problem}")]
    UnsafeText { field: String, problem: TextProblem },
}

/// Something a reader took in although it is not as the implementation guide says (a payment
/// date that is no calendar date, a composite split on another separator than ISA16). The
/// file is still read; the warning says where, so staff can look. Like [`X12Error`], it names
/// positions and never echoes element values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Segment number in the interchange (the ISA is 1).
    pub segment: usize,
    /// Segment id (`BPR`).
    pub id: String,
    /// Element position (16 for BPR16); `None` when the warning is about the whole segment.
    pub element: Option<usize>,
    /// What is off and what the reader did about it.
    pub what: &'static str,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.element {
            Some(n) => write!(
                f,
                "segment {} ({}{n:02}): {}",
                self.segment, self.id, self.what
            ),
            None => write!(f, "segment {} ({}): {}", self.segment, self.id, self.what),
        }
    }
}
