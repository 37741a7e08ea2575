//! What the JSON adapters (`json_wire`, `fhir_wire`) share: the error for a body that cannot be
//! read, and reading amounts exactly.
//!
//! # Amounts, exactly
//!
//! Money must never pass through `f64` (house rule: `rust_decimal` everywhere). The JSON
//! clearinghouse shape sends amounts as strings (`"1500.00"`), but FHIR R4 sends `Money.value`
//! and `unsignedInt` as JSON numbers, and plain `serde_json` turns a number into an `f64` before
//! our code sees it. Rather than switch on serde_json's `arbitrary_precision` for the whole
//! binary (a feature that changes how *every* crate using serde_json sees numbers), the wire
//! structs hold amounts as `Box<RawValue>` (serde_json's `raw_value` feature, additive and
//! local): the number's own text, which `decimal_from_raw` reads with `rust_decimal`.
//!
//! # No member data in errors
//!
//! A [`WireError`] names where the body went wrong (a JSON path of member *names* and indices,
//! or a line and column) and a fixed reason. It never quotes a value: serde's own messages do
//! (`invalid type: string "W123456789"`), so they are classified, not forwarded. Errors can
//! therefore be logged and stored with a failed verification.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// Why a payer's JSON body could not be read into an answer. Safe to log: it holds no value
/// from the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Not JSON: where the parser stopped.
    #[error("the body is not valid JSON (line {line}, column {column})")]
    Syntax { line: usize, column: usize },
    /// JSON that stops in the middle (a truncated body).
    #[error("the body ends in the middle of a JSON value (truncated?)")]
    Truncated,
    /// JSON, but not the expected shape: a member has the wrong type or a required one is
    /// missing.
    #[error("unexpected JSON shape at `{path}`: {reason}")]
    Shape { path: String, reason: &'static str },
    /// A member of the right JSON type whose value cannot be read (a bad date, amount or code).
    #[error("invalid value at `{path}`: {reason}")]
    Value { path: String, reason: &'static str },
    /// A well-formed body that carries no answer (another resource type, a queued outcome).
    #[error("no eligibility answer in the body: {0}")]
    NoAnswer(&'static str),
}

impl WireError {
    pub(crate) fn value(path: impl Into<String>, reason: &'static str) -> WireError {
        WireError::Value {
            path: path.into(),
            reason,
        }
    }
}

/// Deserializes `body` into `T`, mapping failures to a [`WireError`] that carries the JSON path
/// and a fixed reason, never the offending value.
pub(crate) fn from_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, WireError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = parsed.map_err(|error| {
        let path = error.path().to_string();
        classify(error.inner(), path)
    })?;
    // Trailing data after the value (two bodies glued together) is as bad as a broken one.
    de.end()
        .map_err(|error| classify(&error, String::from(".")))?;
    Ok(value)
}

fn classify(error: &serde_json::Error, path: String) -> WireError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => WireError::Truncated,
        Category::Syntax | Category::Io => WireError::Syntax {
            line: error.line(),
            column: error.column(),
        },
        Category::Data => {
            // serde's message quotes the value; keep only what kind of problem it was.
            let message = error.to_string();
            let reason = if message.starts_with("missing field") {
                "a required member is missing"
            } else if message.starts_with("invalid type") {
                "the member has the wrong JSON type"
            } else if message.starts_with("invalid length") {
                "the array has the wrong length"
            } else {
                "the member has a value that is not allowed"
            };
            WireError::Shape { path, reason }
        }
    }
}

/// Reads an amount, percent or count exactly from a JSON number or a JSON string holding a
/// decimal (`1500`, `1500.00`, `"0.2"`, `".2"`, `1.5e3`). Refuses anything else, including
/// numbers with more digits than a `Decimal` holds (no silent rounding).
pub(crate) fn decimal_from_raw(raw: &RawValue) -> Result<Decimal, &'static str> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        let inner: String = serde_json::from_str(text).map_err(|_| "not a readable JSON string")?;
        return decimal_from_text(inner.trim());
    }
    if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return decimal_from_text(text);
    }
    Err("not a number or a decimal string")
}

/// A decimal in plain (`-12.50`, `.2`) or JSON exponent (`1.5e3`) notation.
fn decimal_from_text(text: &str) -> Result<Decimal, &'static str> {
    const REASON: &str = "not a decimal number";
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (
            text.get(..at).ok_or(REASON)?,
            Some(text.get(at + 1..).ok_or(REASON)?),
        ),
        None => (text, None),
    };
    let digits = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let mut points = 0;
    let mut any_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => any_digit = true,
            b'.' => points += 1,
            _ => return Err(REASON),
        }
    }
    if !any_digit || points > 1 {
        return Err(REASON);
    }
    let value = Decimal::from_str_exact(mantissa).map_err(|_| "too many digits for a decimal")?;
    let Some(exponent) = exponent else {
        return Ok(value);
    };
    let exponent: i64 = exponent.parse().map_err(|_| REASON)?;
    if exponent.unsigned_abs() > 40 {
        return Err("exponent out of range");
    }
    // Scale by powers of ten without leaving decimal arithmetic.
    let mut scaled = value;
    let ten = Decimal::TEN;
    for _ in 0..exponent.unsigned_abs() {
        scaled = if exponent > 0 {
            scaled.checked_mul(ten)
        } else {
            scaled.checked_div(ten)
        }
        .ok_or("exponent out of range")?;
    }
    Ok(scaled.normalize())
}

/// Parses a decimal held in a JSON string (used where the value is already a `String`).
pub(crate) fn decimal_from_str(text: &str) -> Result<Decimal, &'static str> {
    decimal_from_text(text.trim())
}

/// A whole number of units (FHIR `unsignedInt`), exactly.
pub(crate) fn count_from_raw(raw: &RawValue) -> Result<Decimal, &'static str> {
    let value = decimal_from_raw(raw)?;
    if value.is_sign_negative() || value.fract() != Decimal::ZERO {
        return Err("not a whole, non-negative number");
    }
    Ok(value.normalize())
}

/// `CCYYMMDD` (the JSON clearinghouse shape) or `CCYY-MM-DD` (FHIR `date`; a `dateTime` is cut
/// to its date).
pub(crate) fn parse_date(text: &str) -> Result<chrono::NaiveDate, &'static str> {
    let text = text.trim();
    let (value, format) = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        (text, "%Y%m%d")
    } else {
        (text.get(..10).ok_or("not a full date")?, "%Y-%m-%d")
    };
    chrono::NaiveDate::parse_from_str(value, format).map_err(|_| "not a calendar date")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    #[test]
    fn numbers_and_strings_are_read_exactly() {
        for (input, expected) in [
            ("1500.00", "1500.00"),
            ("\"1500.00\"", "1500.00"),
            ("\".2\"", "0.2"),
            ("0.1", "0.1"),
            ("123456789012345678.99", "123456789012345678.99"),
            ("1.5e3", "1500"),
            ("25E-2", "0.25"),
            ("-12.5", "-12.5"),
        ] {
            assert_eq!(
                decimal_from_raw(&raw(input)).unwrap().to_string(),
                expected,
                "{input}"
            );
        }
        for bad in [
            "true",
            "null",
            "{}",
            "\"$1,500\"",
            "\"1_000\"",
            "\"\"",
            "\"1.2.3\"",
            "\"1e999\"",
            "\"12345678901234567890123456789012345\"",
        ] {
            assert!(decimal_from_raw(&raw(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_are_whole() {
        assert_eq!(count_from_raw(&raw("30")).unwrap().to_string(), "30");
        assert_eq!(count_from_raw(&raw("30.0")).unwrap().to_string(), "30");
        assert!(count_from_raw(&raw("2.5")).is_err());
        assert!(count_from_raw(&raw("-1")).is_err());
    }

    #[test]
    fn dates_in_both_forms() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(parse_date("20260131"), Ok(d));
        assert_eq!(parse_date("2026-01-31"), Ok(d));
        assert_eq!(parse_date("2026-01-31T00:00:00Z"), Ok(d));
        assert!(parse_date("20261331").is_err());
        assert!(parse_date("2026").is_err());
        assert!(parse_date("").is_err());
    }

    #[test]
    fn errors_never_quote_values() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            member: Vec<Inner>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            flag: bool,
        }
        let err = from_body::<Body>(br#"{"member":[{"flag":"W123456789"}]}"#).unwrap_err();
        assert_eq!(
            err,
            WireError::Shape {
                path: "member[0].flag".into(),
                reason: "the member has the wrong JSON type"
            }
        );
        assert!(!err.to_string().contains("W123"));
        assert_eq!(
            from_body::<Body>(br#"{"member":[{"fl"#).unwrap_err(),
            WireError::Truncated
        );
        assert!(matches!(
            from_body::<Body>(b"\x00garbage").unwrap_err(),
            WireError::Syntax { .. }
        ));
        assert!(matches!(
            from_body::<Body>(br#"{"member":[]} {}"#).unwrap_err(),
            WireError::Syntax { .. }
        ));
    }
}
