//! The four delimiters of an interchange and the fixed-width ISA layout they are read from.
//!
//! In 5010 the ISA announces every delimiter by position: the element separator is the 4th
//! character, the repetition separator is ISA11, the component separator is ISA16 and the
//! segment terminator is the character right after ISA16 (the 106th, index 105).

use super::error::X12Error;

/// Length of the ISA segment including its terminator.
pub const ISA_LEN: usize = 106;

/// Widths of ISA01..ISA16; every ISA element is fixed width.
pub const ISA_WIDTHS: [usize; 16] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

/// Byte offset of the element separator in front of each of ISA01..ISA16
/// (3, then each previous offset + 1 + the previous element's width; checked in the tests).
const ISA_SEPARATOR_OFFSETS: [usize; 16] = [
    3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103,
];

/// Byte range of ISA`n` (1-based `n`) inside the 106-byte ISA.
pub fn isa_element_range(n: usize) -> Option<std::ops::Range<usize>> {
    let i = n.checked_sub(1)?;
    let width = *ISA_WIDTHS.get(i)?;
    let start = ISA_SEPARATOR_OFFSETS.get(i)? + 1;
    Some(start..start + width)
}

/// Offset of ISA11, the repetition separator (5010).
const REPETITION_OFFSET: usize = 82;
/// Offset of ISA16, the component element separator.
const COMPONENT_OFFSET: usize = 104;
/// Offset of the segment terminator: the character right after ISA16.
const TERMINATOR_OFFSET: usize = 105;

/// The element, repetition and component separators and the segment terminator.
///
/// Every delimiter is an ASCII character that is not a letter, digit or space, and the four are
/// distinct. Only the segment terminator may be CR or LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    element: u8,
    repetition: u8,
    component: u8,
    segment: u8,
}

impl Default for Delimiters {
    fn default() -> Self {
        Self::STANDARD
    }
}

impl Delimiters {
    /// `*` `^` `:` `~`, what most health-care trading partners use.
    pub const STANDARD: Delimiters = Delimiters {
        element: b'*',
        repetition: b'^',
        component: b':',
        segment: b'~',
    };

    /// Checks and builds a delimiter set.
    pub fn new(
        element: char,
        repetition: char,
        component: char,
        segment: char,
    ) -> Result<Self, X12Error> {
        let byte = |c: char, may_be_line_break: bool| -> Result<u8, X12Error> {
            let b = u8::try_from(u32::from(c)).map_err(|_| X12Error::Isa {
                reason: "a delimiter must be an ASCII character",
            })?;
            check_delimiter_byte(b, may_be_line_break)?;
            Ok(b)
        };
        let d = Delimiters {
            element: byte(element, false)?,
            repetition: byte(repetition, false)?,
            component: byte(component, false)?,
            segment: byte(segment, true)?,
        };
        d.check_distinct()?;
        Ok(d)
    }

    /// Reads the delimiters from the start of an interchange and checks the ISA's fixed layout:
    /// 106 characters, `ISA`, and the element separator at every element boundary and nowhere
    /// else.
    pub fn from_isa(input: &[u8]) -> Result<Self, X12Error> {
        let Some(isa) = input
            .get(..ISA_LEN)
            .and_then(|isa| <&[u8; ISA_LEN]>::try_from(isa).ok())
        else {
            return Err(X12Error::Isa {
                reason: "shorter than the fixed 106 characters (truncated?)",
            });
        };
        if !isa.starts_with(b"ISA") {
            return Err(X12Error::Isa {
                reason: "the interchange does not start with ISA",
            });
        }
        // Constant offsets inside the fixed-size ISA.
        let element = isa[3];
        check_delimiter_byte(element, false)?;
        // Fixed width: the separator must sit exactly at each of the 16 boundaries and appear
        // nowhere inside an element (a shorter or longer ISA06/ISA08 shifts every boundary).
        for &offset in &ISA_SEPARATOR_OFFSETS {
            if isa.get(offset) != Some(&element) {
                return Err(X12Error::Isa {
                    reason: "element separator not at a fixed ISA position (ISA elements must be padded to width)",
                });
            }
        }
        let separators = isa.iter().filter(|&&b| b == element).count();
        if separators != ISA_SEPARATOR_OFFSETS.len() {
            return Err(X12Error::Isa {
                reason: "ISA elements must not contain the element separator",
            });
        }
        // The version before ISA11: a 4010 ISA11 is the standards identifier (`U`), not a
        // repetition separator, and "not 5010" is the reason to give for it.
        check_version(isa)?;
        let d = Delimiters {
            element,
            repetition: isa[REPETITION_OFFSET],
            component: isa[COMPONENT_OFFSET],
            segment: isa[TERMINATOR_OFFSET],
        };
        check_delimiter_byte(d.repetition, false)?;
        check_delimiter_byte(d.component, false)?;
        check_delimiter_byte(d.segment, true)?;
        d.check_distinct()?;
        Ok(d)
    }

    /// Element separator (ISA byte 4).
    pub fn element(&self) -> char {
        char::from(self.element)
    }

    /// Repetition separator (ISA11).
    pub fn repetition(&self) -> char {
        char::from(self.repetition)
    }

    /// Component element separator (ISA16).
    pub fn component(&self) -> char {
        char::from(self.component)
    }

    /// Segment terminator (ISA byte 106).
    pub fn segment(&self) -> char {
        char::from(self.segment)
    }

    pub(crate) fn segment_byte(&self) -> u8 {
        self.segment
    }

    pub(crate) fn element_byte(&self) -> u8 {
        self.element
    }

    pub(crate) fn repetition_byte(&self) -> u8 {
        self.repetition
    }

    pub(crate) fn component_byte(&self) -> u8 {
        self.component
    }

    /// True if `c` is one of the four delimiters.
    pub fn is_delimiter(&self, c: char) -> bool {
        u8::try_from(u32::from(c))
            .map(|b| self.is_delimiter_byte(b))
            .unwrap_or(false)
    }

    pub(crate) fn is_delimiter_byte(&self, b: u8) -> bool {
        b == self.element || b == self.repetition || b == self.component || b == self.segment
    }

    fn check_distinct(&self) -> Result<(), X12Error> {
        let all = [self.element, self.repetition, self.component, self.segment];
        for (i, a) in all.iter().enumerate() {
            if all.iter().skip(i + 1).any(|b| b == a) {
                return Err(X12Error::Isa {
                    reason: "the four delimiters must be distinct",
                });
            }
        }
        Ok(())
    }
}

/// The only interchange control version (ISA12) read here.
pub const ISA_VERSION: &str = "00501";

/// ISA12 must be `00501`; the error names what was sent (printable ASCII only).
fn check_version(isa: &[u8; ISA_LEN]) -> Result<(), X12Error> {
    let version = isa_element_range(12)
        .and_then(|range| isa.get(range))
        .unwrap_or_default();
    if version == ISA_VERSION.as_bytes() {
        return Ok(());
    }
    Err(X12Error::UnsupportedVersion {
        element: "ISA12",
        found: version
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() {
                    char::from(b)
                } else {
                    '?'
                }
            })
            .collect(),
        expected: ISA_VERSION,
    })
}

fn check_delimiter_byte(b: u8, may_be_line_break: bool) -> Result<(), X12Error> {
    if !b.is_ascii() || b.is_ascii_alphanumeric() || b == b' ' {
        return Err(X12Error::Isa {
            reason: "a delimiter must be ASCII and not a letter, digit or space",
        });
    }
    if (b == b'\r' || b == b'\n') && !may_be_line_break {
        return Err(X12Error::Isa {
            reason: "only the segment terminator may be CR or LF",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*ACMEPAYER      *250115*1030*^*00501*000000101*0*P*:~";

    #[test]
    fn isa_layout_is_106_characters() {
        assert_eq!(ISA.len(), ISA_LEN);
        let mut offset = 3;
        for (i, w) in ISA_WIDTHS.iter().enumerate() {
            assert_eq!(ISA_SEPARATOR_OFFSETS[i], offset);
            offset += 1 + w;
        }
        assert_eq!(offset, TERMINATOR_OFFSET);
        assert_eq!(REPETITION_OFFSET, 82);
        assert_eq!(COMPONENT_OFFSET, 104);
        assert_eq!(TERMINATOR_OFFSET, 105);
        assert_eq!(isa_element_range(6), Some(35..50));
        assert_eq!(isa_element_range(13), Some(90..99));
        assert_eq!(isa_element_range(0), None);
        assert_eq!(isa_element_range(17), None);
    }

    #[test]
    fn standard_delimiters_are_read_from_the_isa() {
        let d = Delimiters::from_isa(ISA.as_bytes()).unwrap();
        assert_eq!(d, Delimiters::STANDARD);
        assert_eq!(
            (d.element(), d.repetition(), d.component(), d.segment()),
            ('*', '^', ':', '~')
        );
    }

    #[test]
    fn other_delimiters_are_read_by_position() {
        let isa = ISA
            .replace('*', "|")
            .replace('^', "{")
            .replace(':', ">")
            .replace('~', "\n");
        let d = Delimiters::from_isa(isa.as_bytes()).unwrap();
        assert_eq!(
            (d.element(), d.repetition(), d.component(), d.segment()),
            ('|', '{', '>', '\n')
        );
    }

    #[test]
    fn an_unpadded_isa_is_refused() {
        let short = ISA.replace("SUBMITTERID    ", "SUBMITTERID");
        assert!(matches!(
            Delimiters::from_isa(short.as_bytes()),
            Err(X12Error::Isa { .. })
        ));
        let padded_more = format!(
            "{}~",
            ISA.replace("SUBMITTERID    ", "SUBMITTERID     ")
                .trim_end_matches('~')
        );
        assert!(Delimiters::from_isa(padded_more.as_bytes()).is_err());
    }

    #[test]
    fn truncated_and_odd_isas_are_refused() {
        assert!(Delimiters::from_isa(b"").is_err());
        assert!(Delimiters::from_isa(&ISA.as_bytes()[..105]).is_err());
        assert!(Delimiters::from_isa(ISA.replace("ISA", "GS*").as_bytes()).is_err());
        // Repetition separator equal to the component separator.
        let same = ISA.replace("*^*", "*:*");
        assert!(Delimiters::from_isa(same.as_bytes()).is_err());
        // A letter as terminator.
        let letter = ISA.replace(":~", ":A");
        assert!(Delimiters::from_isa(letter.as_bytes()).is_err());
    }

    #[test]
    fn another_version_is_refused_by_name_before_its_isa11_is_read() {
        // 4010: ISA11 is the standards identifier `U`, which is no delimiter.
        let v4010 = ISA.replace("*^*00501*", "*U*00401*");
        assert_eq!(
            Delimiters::from_isa(v4010.as_bytes()),
            Err(X12Error::UnsupportedVersion {
                element: "ISA12",
                found: "00401".into(),
                expected: "00501",
            })
        );
        let v6020 = ISA.replace("*00501*", "*00602*");
        let err = Delimiters::from_isa(v6020.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported version \"00602\" in ISA12; expected 00501"
        );
        // What is not printable is not echoed.
        let odd = ISA.replace("*00501*", "*0\u{7}501*");
        assert!(matches!(
            Delimiters::from_isa(odd.as_bytes()),
            Err(X12Error::UnsupportedVersion { found, .. }) if found == "0?501"
        ));
    }

    #[test]
    fn new_checks_each_delimiter() {
        assert!(Delimiters::new('*', '^', ':', '~').is_ok());
        assert!(Delimiters::new('*', '^', ':', '\n').is_ok());
        assert!(Delimiters::new('\n', '^', ':', '~').is_err());
        assert!(Delimiters::new('*', '*', ':', '~').is_err());
        assert!(Delimiters::new('*', '^', 'é', '~').is_err());
        assert!(Delimiters::new('*', '^', ' ', '~').is_err());
        let d = Delimiters::STANDARD;
        assert!(
            d.is_delimiter('~')
                && d.is_delimiter(':')
                && !d.is_delimiter('A')
                && !d.is_delimiter('é')
        );
    }
}
