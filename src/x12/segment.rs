//! Segments, elements and the tokenizer that cuts an interchange into them.
//!
//! An element holds one or more *repetitions* (split on ISA11), each of one or more
//! *components* (split on ISA16). A simple element is one repetition of one component. The ISA
//! itself is never split below the element level: ISA11 and ISA16 *are* the separators.
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

/// An interchange cut into segments, with the delimiters read from its ISA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized {
    pub delimiters: Delimiters,
    /// Every segment from ISA to IEA; the segment number used in errors is the index + 1.
    pub segments: Vec<Segment>,
}

/// Cuts an interchange into segments. Leading whitespace is skipped; the interchange must then
/// start with a well-formed 106-character ISA, which defines the delimiters.
pub fn tokenize(input: &[u8]) -> Result<Tokenized, X12Error> {
    let start = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or(X12Error::Empty)?;
    let data = input.get(start..).ok_or(X12Error::Empty)?;
    let delimiters = Delimiters::from_isa(data)?;

    let mut segments = Vec::new();
    let mut pos = 0;
    loop {
        // Line breaks after a terminator are layout, not data.
        while matches!(data.get(pos), Some(&b) if (b == b'\r' || b == b'\n') && b != delimiters.segment_byte())
        {
            pos += 1;
        }
        let rest = data.get(pos..).unwrap_or_default();
        // Trailing whitespace (blank lines, padding) after the last terminator is not a segment.
        if rest.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        let number = segments.len() + 1;
        let Some(len) = rest.iter().position(|&b| b == delimiters.segment_byte()) else {
            return Err(X12Error::Unterminated {
                offset: start + pos,
            });
        };
        let raw = rest.get(..len).unwrap_or_default();
        if number == 1 && len + 1 != ISA_LEN {
            return Err(X12Error::Isa {
                reason: "the ISA must be exactly 106 characters",
            });
        }
        segments.push(split_segment(raw, &delimiters, number, start + pos)?);
        pos += len + 1;
    }
    Ok(Tokenized {
        delimiters,
        segments,
    })
}

fn split_segment(
    raw: &[u8],
    d: &Delimiters,
    number: usize,
    offset: usize,
) -> Result<Segment, X12Error> {
    if raw.is_empty() {
        return Err(X12Error::EmptySegment {
            segment: number,
            offset,
        });
    }
    for (i, &b) in raw.iter().enumerate() {
        let printable = (0x20..=0x7E).contains(&b);
        if !printable && !d.is_delimiter_byte(b) {
            return Err(X12Error::InvalidByte {
                offset: offset + i,
                segment: number,
                byte: b,
            });
        }
    }
    // Only printable ASCII and ASCII delimiters remain, so every byte is one char.
    let text: String = raw.iter().map(|&b| char::from(b)).collect();
    let mut parts = text.split(d.element());
    let id = parts.next().unwrap_or_default();
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
    let is_isa = id == "ISA";
    let elements = parts
        .map(|e| {
            if is_isa {
                // ISA11 and ISA16 hold the separators themselves; never split the ISA.
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
    Ok(Segment {
        id: id.to_owned(),
        elements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*ACMEPAYER      *250115*1030*^*00501*000000101*0*P*:~";

    fn ids(t: &Tokenized) -> Vec<&str> {
        t.segments.iter().map(Segment::id).collect()
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
            .iter()
            .map(|r| r[0].as_str())
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
}
