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
//! character sets), tolerates CR/LF line breaks after each segment terminator and trailing
//! whitespace after the last one.

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

/// How many element separators a [`SegmentRef`] indexes inline: enough for every element of
/// the 270/271 segments (INS17, the ISA's 16); elements past that are found by scanning on.
const INDEXED: usize = 20;

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
    pub(crate) fn index(text: &'a str, delimiters: &Delimiters) -> Self {
        let element = delimiters.element_byte();
        let mut separators = [0u16; INDEXED];
        let mut indexed = 0;
        let mut complete = true;
        for (i, &b) in text.as_bytes().iter().enumerate() {
            if b == element {
                match (separators.get_mut(indexed), u16::try_from(i)) {
                    (Some(slot), Ok(offset)) => {
                        *slot = offset;
                        indexed += 1;
                    }
                    _ => {
                        complete = false;
                        break;
                    }
                }
            }
        }
        let mut seg = SegmentRef {
            text,
            separators,
            indexed: u8::try_from(indexed).unwrap_or(u8::MAX),
            complete,
            repetition: delimiters.repetition_byte(),
            component: delimiters.component_byte(),
            element,
        };
        if seg.id() == "ISA" {
            // ISA11 and ISA16 hold the separators themselves; never split the ISA.
            seg.repetition = element;
            seg.component = element;
        }
        seg
    }

    /// Segment identifier (`NM1`, `EB`, ...).
    pub fn id(&self) -> &'a str {
        let end = self.separator(0).unwrap_or(self.text.len());
        self.text.get(..end).unwrap_or_default()
    }

    /// The segment as sent, without its terminator.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// Byte offset in `text` of separator `k` (from 0; separator `k` opens element `k + 1`).
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

    fn element_ref(&self, text: &'a str) -> ElementRef<'a> {
        ElementRef {
            text,
            repetition: self.repetition,
            component: self.component,
        }
    }

    /// Element `n`, counted from 1 as in the standard (`EB03` is `element(3)`).
    pub fn element(&self, n: usize) -> Option<ElementRef<'a>> {
        let start = self.separator(n.checked_sub(1)?)? + 1;
        let end = self.separator(n).unwrap_or(self.text.len());
        self.text.get(start..end).map(|t| self.element_ref(t))
    }

    /// All elements, element 1 first.
    pub fn elements(&self) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        let seg = *self;
        self.text
            .split(char::from(self.element))
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
    pub fn value(&self, n: usize) -> Option<&'a str> {
        self.element(n).map(|e| e.value()).filter(|v| !v.is_empty())
    }

    /// Component `c` (from 1) of the first repetition of element `n`; `None` if absent or empty.
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
        let first = self
            .text
            .split(char::from(self.repetition))
            .next()
            .unwrap_or_default();
        first.split(char::from(self.component))
    }

    /// Every repetition, each an element of one repetition.
    pub fn repetitions(&self) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        let (repetition, component) = (self.repetition, self.component);
        self.text
            .split(char::from(repetition))
            .map(move |text| ElementRef {
                text,
                repetition,
                component,
            })
    }

    /// True when no repetition has any non-empty component.
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

/// Cuts an interchange into segments. Leading whitespace is skipped; the interchange must then
/// start with a well-formed 106-character ISA, which defines the delimiters.
pub fn tokenize(input: &[u8]) -> Result<Tokenized<'_>, X12Error> {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or(X12Error::Empty)?;
    let data = input.get(start..).ok_or(X12Error::Empty)?;
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

    let mut segments = Vec::with_capacity(data.iter().filter(|&&b| b == terminator).count());
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
        let Some(len) = memchr::memchr(terminator, rest) else {
            return Err(X12Error::Unterminated { offset });
        };
        if number == 1 && len + 1 != ISA_LEN {
            return Err(X12Error::Isa {
                reason: "the ISA must be exactly 106 characters",
            });
        }
        check_bytes(
            rest.get(..len).unwrap_or_default(),
            &delimiters,
            number,
            offset,
        )?;
        let raw = text.get(pos..pos + len).ok_or(X12Error::InvalidByte {
            offset,
            segment: number,
            byte: rest.first().copied().unwrap_or_default(),
        })?;
        let segment = SegmentRef::index(raw, &delimiters);
        let id = segment.id();
        let id_ok = (2..=3).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && id.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        if !id_ok {
            return Err(X12Error::BadSegmentId {
                segment: number,
                offset,
            });
        }
        segments.push(segment);
        pos += len + 1;
    }
    Ok(Tokenized {
        delimiters,
        segments,
    })
}

/// A segment must be non-empty and hold only printable ASCII and delimiters.
fn check_bytes(raw: &[u8], d: &Delimiters, number: usize, offset: usize) -> Result<(), X12Error> {
    if raw.is_empty() {
        return Err(X12Error::EmptySegment {
            segment: number,
            offset,
        });
    }
    let printable = |b: u8| (0x20..=0x7E).contains(&b);
    // The common case, all printable, in one branch-free pass.
    if raw.iter().fold(true, |all, &b| all & printable(b)) {
        return Ok(());
    }
    for (i, &b) in raw.iter().enumerate() {
        if !printable(b) && !d.is_delimiter_byte(b) {
            return Err(X12Error::InvalidByte {
                offset: offset + i,
                segment: number,
                byte: b,
            });
        }
    }
    Ok(())
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
