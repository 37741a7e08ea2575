//! Segments, elements and the tokenizer that cuts an interchange into them.
//!
//! An element holds one or more *repetitions* (split on ISA11), each of one or more
//! *components* (split on ISA16). A simple element is one repetition of one component. The ISA
//! itself is never split below the element level: ISA11 and ISA16 *are* the separators.
//!
//! Two shapes of segment:
//! * [`SegmentRef`] is what the tokenizer reads: a view into the input, nothing copied. It
//!   knows where its first elements start; repetitions and components are split only when
//!   asked for ([`ElementRef`]).
//! * [`Segment`]/[`Element`] are owned, built by the writer side (270s, the mock payer's 271s).
//!
//! The tokenizer accepts any byte sequence and either returns segments or an [`X12Error`]; it
//! never panics. It accepts only printable ASCII inside segments (the X12 basic and extended
//! character sets), tolerates whitespace and a UTF-8 byte-order mark before the ISA, CR/LF, LF
//! or CR line breaks after each segment terminator and trailing whitespace after the last one.
//!
//! It reads each segment once, eight bytes at a time as one integer: exact byte masks give the
//! terminator, the element separators (whose offsets are kept in the segment), the elements
//! holding a repetition or component separator, and any byte that is not allowed. The input
//! is checked to be text once; segments are `&str` slices of it (no `unsafe`).

use super::delimiters::{Delimiters, ISA_LEN};
use super::error::X12Error;

/// One data element: one or more repetitions, each a list of one or more components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    repetitions: Vec<Vec<String>>,
}

impl Element {
    /// A simple element holding `value`.
    pub fn simple(value: impl Into<String>) -> Self {
        Element {
            repetitions: vec![vec![value.into()]],
        }
    }

    /// An empty (not used) element.
    pub fn empty() -> Self {
        Element::simple(String::new())
    }

    /// A composite element (`HC:S9480`), written with the component separator.
    pub fn composite<S: Into<String>>(components: impl IntoIterator<Item = S>) -> Self {
        let components: Vec<String> = components.into_iter().map(Into::into).collect();
        if components.is_empty() {
            return Element::empty();
        }
        Element {
            repetitions: vec![components],
        }
    }

    /// A repeated simple element (`30^MH^BB`), written with the repetition separator.
    pub fn repeated<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        let repetitions: Vec<Vec<String>> = values.into_iter().map(|v| vec![v.into()]).collect();
        if repetitions.is_empty() {
            return Element::empty();
        }
        Element { repetitions }
    }

    /// The first component of the first repetition (`""` when the element is empty).
    pub fn value(&self) -> &str {
        self.repetitions
            .first()
            .and_then(|r| r.first())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The components of the first repetition.
    pub fn components(&self) -> &[String] {
        self.repetitions.first().map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every repetition, each a list of components.
    pub fn repetitions(&self) -> &[Vec<String>] {
        &self.repetitions
    }

    /// True when no repetition has any non-empty component.
    pub fn is_empty(&self) -> bool {
        self.repetitions
            .iter()
            .all(|r| r.iter().all(String::is_empty))
    }
}

impl From<&str> for Element {
    fn from(value: &str) -> Self {
        Element::simple(value)
    }
}

impl From<String> for Element {
    fn from(value: String) -> Self {
        Element::simple(value)
    }
}

/// One segment: its identifier and its elements (element 1 is the first after the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    id: String,
    elements: Vec<Element>,
}

impl Segment {
    /// A segment with the given id and elements.
    pub fn new(id: impl Into<String>, elements: Vec<Element>) -> Self {
        Segment {
            id: id.into(),
            elements,
        }
    }

    /// A segment whose elements are all simple; `""` marks an element that is not used.
    pub fn simple(id: &str, values: &[&str]) -> Self {
        Segment::new(id, values.iter().map(|v| Element::simple(*v)).collect())
    }

    /// Segment identifier (`NM1`, `EB`, ...).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// All elements, element 1 first.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// Element `n`, counted from 1 as in the standard (`EB03` is `element(3)`).
    pub fn element(&self, n: usize) -> Option<&Element> {
        self.elements.get(n.checked_sub(1)?)
    }

    /// The simple value of element `n`; `None` if absent or empty.
    pub fn value(&self, n: usize) -> Option<&str> {
        self.element(n)
            .map(Element::value)
            .filter(|v| !v.is_empty())
    }

    /// Component `c` (from 1) of the first repetition of element `n`; `None` if absent or empty.
    pub fn component(&self, n: usize, c: usize) -> Option<&str> {
        self.element(n)?
            .components()
            .get(c.checked_sub(1)?)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// How many element separators a [`SegmentRef`] indexes inline: enough to find every element
/// of the 270/271 segments directly (up to INS17; the ISA has 16). Elements past the index are
/// found by scanning on from its last separator.
const INDEXED: usize = 17;

/// One segment as read from an interchange: a view into the input.
///
/// Element `n` (from 1) is found in constant time for the first [`INDEXED`] elements; its
/// repetitions and components are split only when asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SegmentRef<'a> {
    /// The segment without its terminator, id included.
    text: &'a str,
    /// Byte offsets in `text` of the first `indexed` element separators.
    separators: [u16; INDEXED],
    indexed: u8,
    /// True when `separators` holds every separator of the segment.
    complete: bool,
    /// Bit `n` is set when element `n` (below 32) holds a repetition or component separator;
    /// the value of an element whose bit is clear is its whole text.
    split: u32,
    /// The id as a [`tag`].
    tag: u32,
    /// Repetition and component separators of this segment's elements. The ISA is never split
    /// below the element level: for it both are the element separator, which no element holds.
    repetition: u8,
    component: u8,
    element: u8,
}

impl std::fmt::Debug for SegmentRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SegmentRef").field(&self.text).finish()
    }
}

impl<'a> SegmentRef<'a> {
    /// Indexes `text` (one segment, without its terminator). The ISA's elements are kept whole.
    #[cfg(test)]
    pub(crate) fn index(text: &'a str, delimiters: &Delimiters) -> Self {
        let mut seg = BLANK_SEGMENT;
        let scan = Scan::segment(text.as_bytes(), delimiters, &mut seg.separators);
        seg.fill(text, &scan, delimiters);
        seg
    }

    /// Sets everything but the separators, which [`Scan::segment`] wrote in place.
    fn fill(&mut self, text: &'a str, scan: &Scan, delimiters: &Delimiters) {
        let element = delimiters.element_byte();
        let (repetition, component) = if scan.is_isa(text.as_bytes()) {
            // ISA11 and ISA16 hold the separators themselves; never split the ISA.
            (element, element)
        } else {
            (delimiters.repetition_byte(), delimiters.component_byte())
        };
        self.text = text;
        self.indexed = scan.indexed;
        self.complete = scan.complete;
        self.split = if repetition == element { 0 } else { scan.split };
        self.tag = text.get(..scan.id_len).map_or(0, tag);
        self.repetition = repetition;
        self.component = component;
        self.element = element;
    }

    /// Segment identifier (`NM1`, `EB`, ...).
    #[inline]
    pub fn id(&self) -> &'a str {
        let end = self.separator(0).unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or_default()
    }

    /// The id as a [`tag`] (0 when it is not 2-3 characters long): `seg.tag() == ids::EB`.
    #[inline]
    pub(crate) fn tag(&self) -> u32 {
        self.tag
    }

    /// The segment as sent, without its terminator.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// Byte offset in `text` of separator `k` (from 0; separator `k` opens element `k + 1`).
    #[inline]
    fn separator(&self, k: usize) -> Option<usize> {
        let indexed = usize::from(self.indexed);
        if k < indexed {
            return self.separators.get(k).map(|&p| usize::from(p));
        }
        if self.complete {
            return None;
        }
        // Past the index: count on from the last indexed separator.
        let from = match indexed.checked_sub(1) {
            Some(last) => usize::from(*self.separators.get(last)?) + 1,
            None => 0,
        };
        self.text
            .as_bytes()
            .get(from..)?
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == self.element)
            .nth(k - indexed)
            .map(|(i, _)| from + i)
    }

    #[inline]
    fn element_ref(&self, text: &'a str) -> ElementRef<'a> {
        ElementRef {
            text,
            repetition: self.repetition,
            component: self.component,
        }
    }

    /// Element `n`, counted from 1 as in the standard (`EB03` is `element(3)`).
    #[inline]
    pub fn element(&self, n: usize) -> Option<ElementRef<'a>> {
        self.element_text(n).map(|t| self.element_ref(t))
    }

    /// The text of element `n`.
    #[inline]
    fn element_text(&self, n: usize) -> Option<&'a str> {
        let indexed = usize::from(self.indexed);
        let start = match n.checked_sub(1) {
            Some(k) if k < indexed => usize::from(*self.separators.get(k)?) + 1,
            Some(_) if self.complete => return None,
            Some(_) => return self.element_far(n),
            None => return None,
        };
        if n < indexed {
            let end = usize::from(*self.separators.get(n)?);
            self.text.get(start..end)
        } else if self.complete {
            self.text.get(start..)
        } else {
            self.element_far(n)
        }
    }

    /// The text of element `n` when its end is not indexed.
    #[cold]
    fn element_far(&self, n: usize) -> Option<&'a str> {
        let start = self.separator(n.checked_sub(1)?)? + 1;
        let end = self.separator(n).unwrap_or(self.text.len());
        self.text.get(start..end)
    }

    /// All elements, element 1 first.
    pub fn elements(&self) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        let seg = *self;
        SplitByte::new(self.text, self.element)
            .skip(1)
            .map(move |t| seg.element_ref(t))
    }

    /// How many elements the segment has (trailing empty ones included).
    pub fn element_count(&self) -> usize {
        if self.complete {
            usize::from(self.indexed)
        } else {
            self.text.bytes().filter(|&b| b == self.element).count()
        }
    }

    /// The simple value of element `n`; `None` if absent or empty.
    #[inline]
    pub fn value(&self, n: usize) -> Option<&'a str> {
        let text = self.element_text(n)?;
        let whole = n < 32 && self.split & (1 << n) == 0;
        let value = if whole {
            text
        } else {
            self.element_ref(text).value()
        };
        Some(value).filter(|v| !v.is_empty())
    }

    /// Component `c` (from 1) of the first repetition of element `n`; `None` if absent or empty.
    #[inline]
    pub fn component(&self, n: usize, c: usize) -> Option<&'a str> {
        self.element(n)?
            .components()
            .nth(c.checked_sub(1)?)
            .filter(|v| !v.is_empty())
    }

    /// An owned copy, split into repetitions and components.
    pub fn to_segment(&self) -> Segment {
        Segment {
            id: self.id().to_owned(),
            elements: self.elements().map(|e| e.to_element()).collect(),
        }
    }
}

/// A segment id of 2-3 characters packed into a number, so that comparing ids is comparing
/// numbers; 0 for anything else.
pub(crate) const fn tag(id: &str) -> u32 {
    match id.as_bytes() {
        [a, b] => u32::from_le_bytes([*a, *b, 0, 0]),
        [a, b, c] => u32::from_le_bytes([*a, *b, *c, 0]),
        _ => 0,
    }
}

/// The ids the readers look for, as [`tag`]s.
pub(crate) mod ids {
    use super::tag;

    pub const AAA: u32 = tag("AAA");
    pub const AK1: u32 = tag("AK1");
    pub const AK2: u32 = tag("AK2");
    pub const AK9: u32 = tag("AK9");
    pub const CTX: u32 = tag("CTX");
    pub const BHT: u32 = tag("BHT");
    pub const DMG: u32 = tag("DMG");
    pub const DTP: u32 = tag("DTP");
    pub const EB: u32 = tag("EB");
    pub const GE: u32 = tag("GE");
    pub const GS: u32 = tag("GS");
    pub const HI: u32 = tag("HI");
    pub const HL: u32 = tag("HL");
    pub const HSD: u32 = tag("HSD");
    pub const IEA: u32 = tag("IEA");
    pub const III: u32 = tag("III");
    pub const IK3: u32 = tag("IK3");
    pub const IK4: u32 = tag("IK4");
    pub const IK5: u32 = tag("IK5");
    pub const INS: u32 = tag("INS");
    pub const ISA: u32 = tag("ISA");
    pub const LE: u32 = tag("LE");
    pub const LS: u32 = tag("LS");
    pub const MPI: u32 = tag("MPI");
    pub const MSG: u32 = tag("MSG");
    pub const N3: u32 = tag("N3");
    pub const N4: u32 = tag("N4");
    pub const NM1: u32 = tag("NM1");
    pub const PER: u32 = tag("PER");
    pub const PRV: u32 = tag("PRV");
    pub const REF: u32 = tag("REF");
    pub const SE: u32 = tag("SE");
    pub const ST: u32 = tag("ST");
    pub const TA1: u32 = tag("TA1");
    pub const TRN: u32 = tag("TRN");
}

/// Splits text on one ASCII byte, as `str::split` does with a char but without the setup
/// of a searcher, which costs more than the split on the short texts of X12 elements.
struct SplitByte<'a> {
    rest: Option<&'a str>,
    separator: u8,
}

impl<'a> SplitByte<'a> {
    fn new(text: &'a str, separator: u8) -> Self {
        SplitByte {
            rest: Some(text),
            separator,
        }
    }
}

impl<'a> Iterator for SplitByte<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == self.separator) {
            Some(i) => {
                // The separator is ASCII: both sides are whole characters.
                self.rest = rest.get(i + 1..);
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// A segment slot before the tokenizer fills it in.
const BLANK_SEGMENT: SegmentRef<'static> = SegmentRef {
    text: "",
    separators: [0; INDEXED],
    indexed: 0,
    complete: true,
    split: 0,
    tag: 0,
    repetition: 0,
    component: 0,
    element: 0,
};

/// One element of a [`SegmentRef`]: a view, split into repetitions and components on demand.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ElementRef<'a> {
    text: &'a str,
    repetition: u8,
    component: u8,
}

impl std::fmt::Debug for ElementRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ElementRef").field(&self.text).finish()
    }
}

impl<'a> ElementRef<'a> {
    /// The element as sent, separators included.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The first component of the first repetition (`""` when the element is empty).
    #[inline]
    pub fn value(&self) -> &'a str {
        let end = self
            .text
            .bytes()
            .position(|b| b == self.repetition || b == self.component)
            .unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or_default()
    }

    /// The components of the first repetition.
    pub fn components(&self) -> impl Iterator<Item = &'a str> + 'a {
        let end = self
            .text
            .bytes()
            .position(|b| b == self.repetition)
            .unwrap_or(self.text.len());
        SplitByte::new(self.text.get(..end).unwrap_or_default(), self.component)
    }

    /// Every repetition, each an element of one repetition.
    pub fn repetitions(&self) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        let (repetition, component) = (self.repetition, self.component);
        SplitByte::new(self.text, repetition).map(move |text| ElementRef {
            text,
            repetition,
            component,
        })
    }

    /// True when no repetition has any non-empty component.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.text
            .bytes()
            .all(|b| b == self.repetition || b == self.component)
    }

    /// An owned copy.
    pub fn to_element(&self) -> Element {
        Element {
            repetitions: self
                .repetitions()
                .map(|r| r.components().map(str::to_owned).collect())
                .collect(),
        }
    }
}

/// An interchange cut into segments, with the delimiters read from its ISA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized<'a> {
    pub delimiters: Delimiters,
    /// Every segment from ISA to IEA; the segment number used in errors is the index + 1.
    pub segments: Vec<SegmentRef<'a>>,
}

/// Cuts an interchange into segments. Leading whitespace and a UTF-8 byte-order mark are
/// skipped; the interchange must then start with a well-formed 106-character ISA, which defines
/// the delimiters.
pub fn tokenize(input: &[u8]) -> Result<Tokenized<'_>, X12Error> {
    let mut segments = Vec::new();
    let delimiters = tokenize_into(input, &mut segments)?;
    Ok(Tokenized {
        delimiters,
        segments,
    })
}

/// Where the tokenizer puts the segments it reads.
pub(crate) trait SegmentSink<'a> {
    /// Called once the delimiters are known, before the first segment.
    fn prepare(&mut self, data: &[u8], terminator: u8);
    /// A new last segment, blank, for the tokenizer to fill in place.
    fn blank(&mut self) -> &mut SegmentRef<'a>;
    fn len(&self) -> usize;
    fn as_slice(&self) -> &[SegmentRef<'a>];
}

impl<'a> SegmentSink<'a> for Vec<SegmentRef<'a>> {
    fn prepare(&mut self, data: &[u8], terminator: u8) {
        self.reserve_exact(memchr::memchr_iter(terminator, data).count());
    }

    fn blank(&mut self) -> &mut SegmentRef<'a> {
        self.push_mut(BLANK_SEGMENT)
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn as_slice(&self) -> &[SegmentRef<'a>] {
        self
    }
}

/// How many segments [`InlineSegments`] holds before it moves to the heap: a usual 271 has
/// 10 to 60.
const INLINE_SEGMENTS: usize = 64;

/// Segments held in place (on the stack) while they are few, on the heap past that: reading
/// a usual 271 then needs no allocation for its segments.
pub(crate) struct InlineSegments<'a> {
    inline: arrayvec::ArrayVec<SegmentRef<'a>, INLINE_SEGMENTS>,
    heap: Vec<SegmentRef<'a>>,
}

impl InlineSegments<'_> {
    pub(crate) fn new() -> Self {
        InlineSegments {
            inline: arrayvec::ArrayVec::new(),
            heap: Vec::new(),
        }
    }
}

impl<'a> SegmentSink<'a> for InlineSegments<'a> {
    fn prepare(&mut self, _data: &[u8], _terminator: u8) {}

    fn blank(&mut self) -> &mut SegmentRef<'a> {
        if self.heap.is_empty() && self.inline.is_full() {
            // Past the inline room: everything moves to the heap.
            self.heap.reserve(INLINE_SEGMENTS * 2);
            self.heap.extend(self.inline.drain(..));
        }
        if self.heap.is_empty() && self.inline.try_push(BLANK_SEGMENT).is_ok() {
            if let Some(slot) = self.inline.last_mut() {
                return slot;
            }
        }
        self.heap.push_mut(BLANK_SEGMENT)
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn as_slice(&self) -> &[SegmentRef<'a>] {
        if self.heap.is_empty() {
            &self.inline
        } else {
            &self.heap
        }
    }
}

/// Tokenizes `input` into `segments`; returns the delimiters.
pub(crate) fn tokenize_into<'a>(
    input: &'a [u8],
    segments: &mut impl SegmentSink<'a>,
) -> Result<Delimiters, X12Error> {
    let start = interchange_start(input);
    if start == input.len() {
        return Err(X12Error::Empty);
    }
    let data = input.get(start..).unwrap_or_default();
    let delimiters = Delimiters::from_isa(data)?;
    let terminator = delimiters.segment_byte();
    // Every segment is checked to be ASCII before it is read as text, and only ASCII line
    // breaks and whitespace lie between segments, so the segments all lie in the valid prefix.
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(e) => {
            std::str::from_utf8(data.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default()
        }
    };

    segments.prepare(data, terminator);
    let mut pos = 0;
    loop {
        // Line breaks after a terminator are layout, not data.
        while matches!(data.get(pos), Some(&b) if (b == b'\r' || b == b'\n') && b != terminator) {
            pos += 1;
        }
        let rest = data.get(pos..).unwrap_or_default();
        // Trailing whitespace (blank lines, padding) after the last terminator is not a segment.
        if rest.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        let number = segments.len() + 1;
        let offset = start + pos;
        // Filled in place: a segment is written once, where it stays.
        let slot = segments.blank();
        let scan = Scan::segment(rest, &delimiters, &mut slot.separators);
        let Some(len) = scan.len else {
            return Err(X12Error::Unterminated { offset });
        };
        if number == 1 && len + 1 != ISA_LEN {
            return Err(X12Error::Isa {
                reason: "the ISA must be exactly 106 characters",
            });
        }
        if len == 0 {
            return Err(X12Error::EmptySegment {
                segment: number,
                offset,
            });
        }
        if let Some(i) = scan.invalid {
            return Err(X12Error::InvalidByte {
                offset: offset + i,
                segment: number,
                byte: rest.get(i).copied().unwrap_or_default(),
            });
        }
        let raw = text
            .get(pos..pos + len)
            .ok_or_else(|| X12Error::InvalidByte {
                offset,
                segment: number,
                byte: rest.first().copied().unwrap_or_default(),
            })?;
        if !scan.id_ok(raw.as_bytes()) {
            return Err(X12Error::BadSegmentId {
                segment: number,
                offset,
            });
        }
        slot.fill(raw, &scan, &delimiters);
        pos += len + 1;
    }
    Ok(delimiters)
}

/// The UTF-8 byte-order mark, which Windows tools write at the start of a text file.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Where the ISA should begin: after any whitespace and UTF-8 byte-order marks. Payers and
/// clearinghouses save 271s with editors and export tools that add both; neither is data.
fn interchange_start(input: &[u8]) -> usize {
    let mut start = 0;
    loop {
        let rest = input.get(start..).unwrap_or_default();
        if rest.starts_with(BYTE_ORDER_MARK) {
            start += BYTE_ORDER_MARK.len();
        } else if rest.first().is_some_and(u8::is_ascii_whitespace) {
            start += 1;
        } else {
            return start;
        }
    }
}

/// The tokenizer reads this many bytes at a time, as one integer.
type Word = u64;
const WORD: usize = std::mem::size_of::<Word>();

/// `byte` in every byte of a word.
const fn splat(byte: u8) -> Word {
    Word::from_ne_bytes([byte; WORD])
}

const LOW7: Word = splat(0x7F);
const HIGH: Word = !LOW7;

/// The high bit of each byte of the result is set where that byte of `x` is zero (exact: no
/// carry crosses a byte).
fn zero_bytes(x: Word) -> Word {
    !(((x & LOW7) + LOW7) | x) & HIGH
}

/// Nonzero when some byte of `x` is zero (exact as a test; which bits are set is not).
fn may_hold_zero(x: Word) -> Word {
    x.wrapping_sub(splat(0x01)) & !x & HIGH
}

/// Writes the offset `at` of separator number `seen` to the index, if it has room for it and
/// it is not `capped`.
#[inline(always)]
fn index_separator(separators: &mut [u16; INDEXED], seen: usize, capped: usize, at: usize) {
    if seen < capped {
        if let Some(slot) = separators.get_mut(seen) {
            *slot = u16::try_from(at).unwrap_or(u16::MAX);
        }
    }
}

/// The high bit of each byte of the result is set where that byte of `w` is outside printable
/// ASCII `0x20..=0x7E` (exact).
fn unprintable_bytes(w: Word) -> Word {
    let low = w & LOW7;
    let below_space = !(low + splat(0x60)) & HIGH;
    let delete = (low + splat(0x01)) & HIGH;
    (w & HIGH) | below_space | delete
}

/// One pass over a segment, eight bytes at a time: where it ends, where its first element
/// separators are, and its first byte that is neither printable ASCII nor a delimiter.
struct Scan {
    /// Length up to the terminator; `None` when there is none.
    len: Option<usize>,
    /// How many separators were written to the index.
    indexed: u8,
    /// Length of the id: up to the first separator (`usize::MAX` when that lies past 64 KiB).
    id_len: usize,
    /// True when `separators` holds every separator before the terminator.
    complete: bool,
    /// Offset of the first byte that is neither printable ASCII nor a delimiter.
    invalid: Option<usize>,
    /// Bit `n` is set when element `n` (below 32) holds a repetition or component separator
    /// (elements from 32 on are not tracked).
    split: u32,
}

impl Scan {
    /// Scans `bytes` up to the first segment terminator (or the end).
    #[inline]
    /// The offsets of the first element separators go to `separators`.
    fn segment(bytes: &[u8], d: &Delimiters, separators: &mut [u16; INDEXED]) -> Scan {
        let terminators = splat(d.segment_byte());
        let elements = splat(d.element_byte());
        let repetitions = splat(d.repetition_byte());
        let components = splat(d.component_byte());
        let mut split = 0u32;
        let mut seen = 0;
        // Separators from this one on are not indexed: their offsets might not fit in 16 bits.
        let mut capped = usize::MAX;
        let mut invalid = None;
        let mut len = None;
        let mut base = 0;
        while base < bytes.len() {
            let word = match bytes.get(base..base + WORD) {
                Some(chunk) => Word::from_le_bytes(chunk.try_into().unwrap_or([0; WORD])),
                None => {
                    // The last, short word is padded with a byte that is printable and no
                    // delimiter (delimiters are never letters); the padding lies past the end
                    // and is never reported.
                    let mut last = [b'A'; WORD];
                    for (slot, &b) in last.iter_mut().zip(bytes.get(base..).unwrap_or_default()) {
                        *slot = b;
                    }
                    Word::from_le_bytes(last)
                }
            };
            let ends = zero_bytes(word ^ terminators);
            // The bytes before the terminator: the bits below its lowest marker (all of them,
            // without a branch, when there is none: 0 - 1).
            let before = (ends & ends.wrapping_neg()).wrapping_sub(1);
            if base + WORD > usize::from(u16::MAX) {
                capped = capped.min(seen);
            }
            let found = zero_bytes(word ^ elements) & before;
            // Repetition and component separators are rare: looked for exactly only when a
            // cheap test says the word may hold one.
            if may_hold_zero(word ^ repetitions) | may_hold_zero(word ^ components) == 0 {
                let mut rest = found;
                while rest != 0 {
                    let at = base + (rest.trailing_zeros() / 8) as usize;
                    index_separator(separators, seen, capped, at);
                    seen += 1;
                    rest &= rest - 1;
                }
            } else {
                let subs =
                    (zero_bytes(word ^ repetitions) | zero_bytes(word ^ components)) & before;
                // In order: element separators, and repetition or component separators marking
                // the element they fall in (its number is the count of separators so far).
                let mut events = found | subs;
                while events != 0 {
                    let bit = events & events.wrapping_neg();
                    if found & bit != 0 {
                        let at = base + (bit.trailing_zeros() / 8) as usize;
                        index_separator(separators, seen, capped, at);
                        seen += 1;
                    } else if seen < 32 {
                        split |= 1 << seen;
                    }
                    events &= events - 1;
                }
            }
            let mut unprintable = unprintable_bytes(word) & before;
            // Rare: a delimiter outside printable ASCII, or a byte that is not allowed.
            while unprintable != 0 && invalid.is_none() {
                let at = (unprintable.trailing_zeros() / 8) as usize;
                let byte = word.to_le_bytes().get(at).copied().unwrap_or_default();
                if !d.is_delimiter_byte(byte) {
                    invalid = Some(base + at);
                }
                unprintable &= unprintable - 1;
            }
            if ends != 0 {
                len = Some(base + (ends.trailing_zeros() / 8) as usize);
                break;
            }
            base += WORD;
        }
        let indexed = seen.min(INDEXED).min(capped);
        let id_len = match separators.first() {
            Some(&first) if indexed > 0 => usize::from(first),
            // Nothing indexed: no separator at all, or the first lies past 64 KiB.
            _ if seen == 0 => len.unwrap_or(bytes.len()),
            _ => usize::MAX,
        };
        Scan {
            len,
            id_len,
            indexed: u8::try_from(indexed).unwrap_or(u8::MAX),
            complete: indexed == seen,
            invalid,
            split,
        }
    }

    fn is_isa(&self, segment: &[u8]) -> bool {
        self.id_len == 3 && segment.starts_with(b"ISA")
    }

    /// The id must be 2-3 upper-case letters or digits, starting with a letter.
    fn id_ok(&self, segment: &[u8]) -> bool {
        let other = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit();
        match segment.get(..self.id_len) {
            Some([first, second]) => first.is_ascii_uppercase() && other(second),
            Some([first, second, third]) => {
                first.is_ascii_uppercase() && other(second) && other(third)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*ACMEPAYER      *250115*1030*^*00501*000000101*0*P*:~";

    fn ids<'a>(t: &Tokenized<'a>) -> Vec<&'a str> {
        t.segments.iter().map(SegmentRef::id).collect()
    }

    #[test]
    fn splits_elements_repetitions_and_components() {
        let text =
            format!("{ISA}GS*HB*A*B~EB*1*IND*30^MH^BB*PR*********HC:S9480:HK~IEA*1*000000101~");
        let t = tokenize(text.as_bytes()).unwrap();
        assert_eq!(ids(&t), ["ISA", "GS", "EB", "IEA"]);
        let eb = &t.segments[2];
        let stc: Vec<&str> = eb
            .element(3)
            .unwrap()
            .repetitions()
            .map(|r| r.value())
            .collect();
        assert_eq!(stc, ["30", "MH", "BB"]);
        assert_eq!(eb.value(3), Some("30"));
        assert_eq!(eb.value(5), None);
        assert_eq!(eb.component(13, 1), Some("HC"));
        assert_eq!(eb.component(13, 3), Some("HK"));
        assert_eq!(eb.component(13, 4), None);
        assert_eq!(eb.value(0), None);
        assert_eq!(eb.value(99), None);
        // The ISA keeps its separators as plain values.
        assert_eq!(t.segments[0].value(11), Some("^"));
        assert_eq!(t.segments[0].value(16), Some(":"));
    }

    #[test]
    fn line_breaks_after_terminators_are_skipped() {
        let text = format!("\r\n{ISA}\r\nGS*HB*A*B~\nIEA*1*000000101~\r\n\r\n");
        let t = tokenize(text.as_bytes()).unwrap();
        assert_eq!(ids(&t), ["ISA", "GS", "IEA"]);
        // A lone CR (old Mac line ends, some mainframe exports) is layout too.
        let cr = format!("{ISA}\rGS*HB*A*B~\rIEA*1*000000101~\r");
        assert_eq!(ids(&tokenize(cr.as_bytes()).unwrap()), ["ISA", "GS", "IEA"]);
    }

    #[test]
    fn a_byte_order_mark_and_whitespace_before_the_isa_are_skipped() {
        const BOM: &str = "\u{FEFF}";
        for lead in [
            BOM.to_string(),
            format!("{BOM}\r\n"),
            format!("\r\n \t{BOM}"),
            "\n\n  ".to_string(),
        ] {
            let text = format!("{lead}{ISA}\r\nGS*HB*A*B~\r\nIEA*1*000000101~\r\n");
            let t = tokenize(text.as_bytes()).unwrap_or_else(|e| panic!("{lead:?}: {e}"));
            assert_eq!(ids(&t), ["ISA", "GS", "IEA"], "{lead:?}");
            assert_eq!(t.delimiters, Delimiters::STANDARD);
        }
        // Only a mark before the ISA is layout: inside a segment it is a byte out of place.
        let inside = format!("{ISA}GS*HB*A{BOM}*B~IEA*1*000000101~");
        assert!(matches!(
            tokenize(inside.as_bytes()),
            Err(X12Error::InvalidByte {
                segment: 2,
                byte: 0xEF,
                ..
            })
        ));
        // A mark and nothing else is an empty interchange.
        assert_eq!(tokenize(BOM.as_bytes()), Err(X12Error::Empty));
        assert_eq!(
            tokenize(format!("{BOM}\r\n").as_bytes()),
            Err(X12Error::Empty)
        );
    }

    #[test]
    fn newline_can_be_the_terminator() {
        let isa = ISA.replace('*', "|").replace('~', "\n");
        let text = format!("{isa}GS|HB|A|B\nIEA|1|000000101\n");
        let t = tokenize(text.as_bytes()).unwrap();
        assert_eq!(ids(&t), ["ISA", "GS", "IEA"]);
        assert_eq!(t.delimiters.segment(), '\n');
    }

    #[test]
    fn control_characters_can_be_delimiters() {
        let isa = ISA
            .replace('*', "\x1d")
            .replace('^', "\x1e")
            .replace(':', "\x1f")
            .replace('~', "\n");
        let text =
            format!("{isa}EB\x1d1\x1dIND\x1d30\x1eMH\x1d\x1dHC\x1fS9480\nIEA\x1d1\x1d000000101\n");
        let t = tokenize(text.as_bytes()).unwrap();
        assert_eq!(ids(&t), ["ISA", "EB", "IEA"]);
        let eb = &t.segments[1];
        assert_eq!(eb.value(3), Some("30"));
        let stc: Vec<&str> = eb
            .element(3)
            .unwrap()
            .repetitions()
            .map(|r| r.value())
            .collect();
        assert_eq!(stc, ["30", "MH"]);
        assert_eq!(eb.component(5, 2), Some("S9480"));
        assert_eq!(t.segments[0].value(11), Some("\x1e"));
        // A control character that is no delimiter is still refused.
        let bad = text.replace("IND", "I\x01D");
        assert!(matches!(
            tokenize(bad.as_bytes()),
            Err(X12Error::InvalidByte {
                segment: 2,
                byte: 1,
                ..
            })
        ));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(tokenize(b""), Err(X12Error::Empty));
        assert_eq!(tokenize(b" \r\n "), Err(X12Error::Empty));
        assert!(matches!(tokenize(b"GS*HB~"), Err(X12Error::Isa { .. })));
        let truncated = format!("{ISA}GS*HB*A");
        assert_eq!(
            tokenize(truncated.as_bytes()),
            Err(X12Error::Unterminated { offset: 106 })
        );
        let non_ascii = format!("{ISA}NM1*IL*1*JOSÉ~");
        assert!(matches!(
            tokenize(non_ascii.as_bytes()),
            Err(X12Error::InvalidByte { segment: 2, .. })
        ));
        let tab = format!("{ISA}NM1*IL\t~");
        assert!(matches!(
            tokenize(tab.as_bytes()),
            Err(X12Error::InvalidByte { .. })
        ));
        let empty = format!("{ISA}GS*HB~~");
        assert!(matches!(
            tokenize(empty.as_bytes()),
            Err(X12Error::EmptySegment { segment: 3, .. })
        ));
        let bad_id = format!("{ISA}gs*HB~");
        assert!(matches!(
            tokenize(bad_id.as_bytes()),
            Err(X12Error::BadSegmentId { segment: 2, .. })
        ));
        let long_id = format!("{ISA}ABCD*HB~");
        assert!(matches!(
            tokenize(long_id.as_bytes()),
            Err(X12Error::BadSegmentId { .. })
        ));
    }

    #[test]
    fn element_helpers() {
        assert!(Element::empty().is_empty());
        assert!(Element::repeated(Vec::<String>::new()).is_empty());
        assert!(Element::composite(Vec::<String>::new()).is_empty());
        assert_eq!(
            Element::composite(["HC", "S9480"]).components(),
            ["HC", "S9480"]
        );
        assert_eq!(Element::repeated(["30", "MH"]).repetitions().len(), 2);
        assert_eq!(Segment::simple("HL", &["1", "", "20", "1"]).value(2), None);
    }

    /// The splitting the tokenizer did before segments became views: every element split into
    /// repetitions and components up front, the ISA kept whole.
    fn split_eagerly(text: &str, d: &Delimiters) -> Segment {
        let mut parts = text.split(d.element());
        let id = parts.next().unwrap();
        let elements = parts
            .map(|e| {
                if id == "ISA" {
                    Element::simple(e)
                } else {
                    Element {
                        repetitions: e
                            .split(d.repetition())
                            .map(|r| r.split(d.component()).map(str::to_owned).collect())
                            .collect(),
                    }
                }
            })
            .collect();
        Segment::new(id, elements)
    }

    fn same_as_eager(text: &str) {
        let d = Delimiters::STANDARD;
        let view = SegmentRef::index(text, &d);
        let eager = split_eagerly(text, &d);
        assert_eq!(view.id(), eager.id());
        assert_eq!(view.as_str(), text);
        assert_eq!(view.to_segment(), eager, "{text}");
        assert_eq!(view.element_count(), eager.elements().len(), "{text}");
        assert_eq!(view.elements().count(), eager.elements().len(), "{text}");
        for n in 0..eager.elements().len() + 3 {
            assert_eq!(view.value(n), eager.value(n), "{text} element {n}");
            assert_eq!(
                view.element(n).map(|e| e.is_empty()),
                eager.element(n).map(Element::is_empty),
                "{text} element {n}"
            );
            for c in 0..5 {
                assert_eq!(
                    view.component(n, c),
                    eager.component(n, c),
                    "{text} {n}-{c}"
                );
            }
        }
    }

    #[test]
    fn views_read_like_the_eager_split() {
        same_as_eager(ISA.trim_end_matches('~'));
        same_as_eager("EB*1*IND*30^MH^BB*PR*********HC:S9480:HK");
        same_as_eager("EB*1*IND*30^MH^^*PR*:**^:*:^HC:::HK:^**");
        same_as_eager("SE");
        same_as_eager("SE*");
        same_as_eager("SE**");
        // Past the inline index: INS17 and beyond.
        let many: Vec<String> = (1..=45).map(|i| format!("V{i}:C{i}^R{i}")).collect();
        same_as_eager(&format!("INS*{}", many.join("*")));
        same_as_eager(&format!("INS*{}*", many.join("*")));
        let empties = "*".repeat(INDEXED + 3);
        same_as_eager(&format!("INS{empties}X"));
        same_as_eager(&format!("INS{}", "*".repeat(INDEXED)));
        same_as_eager(&format!("INS{}", "*".repeat(INDEXED - 1)));
    }

    #[test]
    fn elements_past_64_kib_are_found() {
        let long = "A".repeat(70_000);
        same_as_eager(&format!("MSG*{long}*B*C:D"));
        same_as_eager(&format!("MSG{long}*B*C:D"));
        let text = format!("{ISA}GS*HB*{long}*B~IEA*1*000000101~");
        let t = tokenize(text.as_bytes()).unwrap();
        assert_eq!(t.segments[1].value(3), Some("B"));
        assert_eq!(t.segments[1].element_count(), 3);
    }

    proptest::proptest! {
        #[test]
        fn any_segment_reads_like_the_eager_split(
            body in proptest::string::string_regex("[A-Z0-9 *^:]{0,120}").unwrap()
        ) {
            same_as_eager(&format!("EB*{body}"));
        }
    }
}
