//! Typed element values: X12 dates (`D8`, `RD8`), times, and `R` decimals.
//!
//! Each parser returns a short reason on failure; the caller adds the segment position.

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A date or an inclusive date range (`DTP02` = `D8` or `RD8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrRange {
    /// `D8`: CCYYMMDD.
    Single(NaiveDate),
    /// `RD8`: CCYYMMDD-CCYYMMDD, start first.
    Range(NaiveDate, NaiveDate),
}

impl DateOrRange {
    /// The `DTP02` format qualifier for this value.
    pub fn qualifier(&self) -> &'static str {
        match self {
            DateOrRange::Single(_) => "D8",
            DateOrRange::Range(..) => "RD8",
        }
    }

    /// The `DTP03` text for this value.
    pub fn to_x12(&self) -> String {
        match self {
            DateOrRange::Single(d) => format_d8(*d),
            DateOrRange::Range(a, b) => format!("{}-{}", format_d8(*a), format_d8(*b)),
        }
    }

    /// Reads a `DTP02`/`DTP03` pair.
    pub fn parse(qualifier: &str, value: &str) -> Result<Self, &'static str> {
        match qualifier {
            "D8" => parse_d8(value).map(DateOrRange::Single),
            "RD8" => {
                let (a, b) = value
                    .split_once('-')
                    .ok_or("RD8 date range must be CCYYMMDD-CCYYMMDD")?;
                let (start, end) = (parse_d8(a)?, parse_d8(b)?);
                if end < start {
                    return Err("RD8 date range ends before it starts");
                }
                Ok(DateOrRange::Range(start, end))
            }
            _ => Err("date format qualifier must be D8 or RD8"),
        }
    }
}

/// A CCYYMMDD date as the payer sent it, and the calendar date it names when it names one.
///
/// Remittances and acknowledgments carry dates that are none (`20002316` as a payment date)
/// or placeholders (`10010101`). Refusing a whole 835 for its payment date would hide every
/// payment in it, so the readers keep the text, set `date` to `None` and record a
/// [`Warning`](super::error::Warning).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SentDate {
    /// The element as sent.
    pub text: String,
    /// The date, when the text is a valid CCYYMMDD.
    pub date: Option<NaiveDate>,
}

impl SentDate {
    /// Reads CCYYMMDD, keeping the text whatever it holds.
    pub fn read(text: &str) -> Self {
        SentDate {
            text: text.to_owned(),
            date: parse_d8(text).ok(),
        }
    }
}

/// A `D8` date or `RD8` range as sent (DTP02/DTP03), and what it names when it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SentPeriod {
    /// DTP02 `D8` or `RD8`.
    pub format: String,
    /// DTP03 as sent.
    pub text: String,
    /// The date or range, when the text is valid for its format.
    pub value: Option<DateOrRange>,
}

impl SentPeriod {
    /// Reads a DTP02/DTP03 pair, keeping the text whatever it holds.
    pub fn read(format: &str, text: &str) -> Self {
        SentPeriod {
            format: format.to_owned(),
            text: text.to_owned(),
            value: DateOrRange::parse(format, text).ok(),
        }
    }
}

/// CCYYMMDD.
pub fn format_d8(date: NaiveDate) -> String {
    let mut out = String::with_capacity(8);
    push_d8(&mut out, date);
    out
}

/// Appends CCYYMMDD (chrono's `format` parses its pattern on every call; a file writes a
/// date per service line).
pub fn push_d8(out: &mut String, date: NaiveDate) {
    use chrono::Datelike;
    // Writing into a String cannot fail.
    let _ = write!(
        out,
        "{:04}{:02}{:02}",
        date.year(),
        date.month(),
        date.day()
    );
}

/// Parses CCYYMMDD.
pub fn parse_d8(value: &str) -> Result<NaiveDate, &'static str> {
    let digits: &[u8; 8] = value
        .as_bytes()
        .try_into()
        .map_err(|_| "date must be CCYYMMDD")?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err("date must be CCYYMMDD");
    }
    // Read by hand: chrono's format-string parser costs more than the rest of a 271 segment.
    let [y0, y1, y2, y3, m0, m1, d0, d1] = digits.map(|b| u32::from(b - b'0'));
    let year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
    NaiveDate::from_ymd_opt(
        i32::try_from(year).map_err(|_| "not a calendar date")?,
        m0 * 10 + m1,
        d0 * 10 + d1,
    )
    .ok_or("not a calendar date")
}

/// Parses an X12 time: HHMM, HHMMSS, HHMMSSD or HHMMSSDD (tenths / hundredths of a second).
pub fn parse_time(value: &str) -> Result<NaiveTime, &'static str> {
    const REASON: &str = "time must be HHMM, HHMMSS, HHMMSSD or HHMMSSDD";
    if !matches!(value.len(), 4 | 6 | 7 | 8) || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(REASON);
    }
    let num = |range: std::ops::Range<usize>| -> Result<u32, &'static str> {
        value.get(range).and_then(|s| s.parse().ok()).ok_or(REASON)
    };
    let (h, m) = (num(0..2)?, num(2..4)?);
    let s = if value.len() >= 6 { num(4..6)? } else { 0 };
    let milli = match value.len() {
        7 => num(6..7)? * 100,
        8 => num(6..8)? * 10,
        _ => 0,
    };
    NaiveTime::from_hms_milli_opt(h, m, s, milli).ok_or("not a valid time of day")
}

/// Parses an X12 `R` (decimal number) value: optional minus sign, digits, at most one decimal
/// point, at least one digit (`1500`, `.2`, `-5.25`). No exponent, plus sign or separators.
pub fn parse_decimal(value: &str) -> Result<Decimal, &'static str> {
    const REASON: &str = "not an X12 decimal number";
    let (negative, digits) = match value.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, value),
    };
    let mut seen_point = false;
    let mut count = 0u32;
    let mut scale = 0u32;
    let mut mantissa = 0u64;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                count += 1;
                scale += u32::from(seen_point);
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(REASON),
        }
    }
    if count == 0 {
        return Err(REASON);
    }
    if count <= 18 {
        // Up to 18 digits the mantissa fits in 64 bits: built directly, the same value, scale
        // and sign as `Decimal::from_str` gives (checked in the tests), without its generality.
        let low = u32::try_from(mantissa & u64::from(u32::MAX)).unwrap_or_default();
        let middle = u32::try_from(mantissa >> 32).unwrap_or_default();
        return Ok(Decimal::from_parts(low, middle, 0, negative, scale));
    }
    Decimal::from_str(value).map_err(|_| "decimal number out of range")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates() {
        assert_eq!(
            DateOrRange::parse("D8", "20250120"),
            Ok(DateOrRange::Single(d(2025, 1, 20)))
        );
        assert_eq!(
            DateOrRange::parse("RD8", "20250101-20251231"),
            Ok(DateOrRange::Range(d(2025, 1, 1), d(2025, 12, 31)))
        );
        assert!(DateOrRange::parse("RD8", "20251231-20250101").is_err());
        assert!(DateOrRange::parse("RD8", "20250101").is_err());
        assert!(DateOrRange::parse("D8", "20250230").is_err());
        assert!(DateOrRange::parse("D8", "2025012").is_err());
        assert!(DateOrRange::parse("D8", "+2025012").is_err());
        assert!(DateOrRange::parse("DT", "202501201030").is_err());
        let r = DateOrRange::Range(d(2025, 1, 1), d(2025, 1, 31));
        assert_eq!(
            (r.qualifier(), r.to_x12().as_str()),
            ("RD8", "20250101-20250131")
        );
    }

    #[test]
    fn d8_reads_like_chrono() {
        let chrono = |v: &str| {
            if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err("date must be CCYYMMDD");
            }
            NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| "not a calendar date")
        };
        let mut cases: Vec<String> = [
            "",
            "2025011",
            "202501155",
            "2025-1-1",
            "+2025011",
            "2025011a",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for year in [
            "0000", "0001", "1900", "2000", "2024", "2025", "2100", "9999",
        ] {
            for month in 0..=13 {
                for day in 0..=32 {
                    cases.push(format!("{year}{month:02}{day:02}"));
                }
            }
        }
        for case in cases {
            assert_eq!(parse_d8(&case), chrono(&case), "{case}");
        }
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time("1030"),
            Ok(NaiveTime::from_hms_opt(10, 30, 0).unwrap())
        );
        assert_eq!(
            parse_time("103005"),
            Ok(NaiveTime::from_hms_opt(10, 30, 5).unwrap())
        );
        assert_eq!(
            parse_time("1030051"),
            Ok(NaiveTime::from_hms_milli_opt(10, 30, 5, 100).unwrap())
        );
        assert_eq!(
            parse_time("10300512"),
            Ok(NaiveTime::from_hms_milli_opt(10, 30, 5, 120).unwrap())
        );
        for bad in ["", "103", "2460", "1060", "10:30", "１０３０", "103005123"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(".2"), Ok(Decimal::new(2, 1)));
        assert_eq!(parse_decimal("1500"), Ok(Decimal::new(1500, 0)));
        assert_eq!(parse_decimal("-5.25"), Ok(Decimal::new(-525, 2)));
        assert_eq!(parse_decimal("25."), Ok(Decimal::new(25, 0)));
        for bad in [
            "", "-", ".", "1e5", "+5", "1_000", "1,000", "1.2.3", "$5", " 5", "NaN",
        ] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
        assert!(parse_decimal("99999999999999999999999999999999").is_err());
    }

    #[test]
    fn decimals_are_built_as_from_str_builds_them() {
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "0.0",
            "-0.00",
            "00",
            "007",
            "25.",
            "-25.",
            ".2",
            "-.2",
            "1500",
            "2650.50",
            "0.000001",
            "123456789012345678",
            "-123456789012345678",
            "12345678901234567.8",
            ".123456789012345678",
            "999999999999999999",
            "1234567890123456789",
            "4294967296",
            "4294967295",
            "18446744073709551615",
            "79228162514264337593543950335",
            "0.1234567890123456789012345678",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 0..2000u64 {
            let n = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (i % 60);
            let text = n.to_string();
            let point = (i as usize * 7) % (text.len() + 1);
            cases.push(text.clone());
            cases.push(format!("-{text}"));
            cases.push(format!("{}.{}", &text[..point], &text[point..]));
        }
        for case in cases {
            let ours = parse_decimal(&case);
            let theirs = Decimal::from_str(&case);
            match (ours, theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a.serialize(), b.serialize(), "{case}"),
                (Err(_), Err(_)) => {}
                (a, b) => panic!("{case}: {a:?} vs {b:?}"),
            }
        }
    }
}
