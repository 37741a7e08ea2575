//! Money: `rust_decimal::Decimal` everywhere, never a float.
//!
//! The one rounding rule: amounts are rounded to whole cents, half away from zero (the way
//! people round money on paper: 0.005 → 0.01, −0.005 → −0.01), by [`to_cents`], and nowhere else.
//! Storage keeps integer cents ([`to_minor_units`]); JSON and X12 carry decimal strings.
//!
//! The one parsing rule for amounts staff enter is [`Money::parse`]: a decimal string with at
//! most two places, never negative, at most 99,999,999.99. It refuses what would need rounding
//! (`12.345`) rather than round it: a price typed with a third decimal is a typo, not a request.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

use super::patterns::AMOUNT_RE;

/// The largest amount [`Money`] holds, in cents: 99,999,999.99.
pub const MAX_CENTS: i64 = 9_999_999_999;

/// Rounds to cents (half away from zero) and fixes the scale at two places, so
/// `1500` prints as `1500.00`.
pub fn to_cents(amount: Decimal) -> Decimal {
    let mut rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// Integer cents for storage, after rounding by [`to_cents`]. `None` if it does not fit an i64.
pub fn to_minor_units(amount: Decimal) -> Option<i64> {
    let cents = to_cents(amount) * Decimal::ONE_HUNDRED;
    i64::try_from(cents.normalize()).ok()
}

/// Decimal dollars from stored cents.
pub fn from_minor_units(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Signed integer cents as the API shows an amount that may be negative (a payer's reversal,
/// an adjustment taken back): `-12.50`. Exact: no rounding is involved.
pub fn signed_text(cents: i64) -> String {
    format!("{:.2}", from_minor_units(cents))
}

/// An amount of money as staff enter it: whole cents, from 0 to 99,999,999.99. Serialises as a
/// decimal string with two places (`"1250.00"`); stored as integer cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money {
    cents: i64,
}

impl Money {
    pub const ZERO: Money = Money { cents: 0 };

    const RULE: &'static str = "must be an amount in dollars written as a string, with at most \
        two decimal places, from 0 to 99999999.99 (e.g. \"1250.00\")";

    pub fn parse(raw: &str) -> Result<Money, String> {
        if !AMOUNT_RE.is_match(raw) {
            return Err(Money::RULE.into());
        }
        let amount = Decimal::from_str(raw).map_err(|_| Money::RULE.to_string())?;
        // The pattern allows two places at most, so to_cents does not round here; it only fixes
        // the scale.
        let cents = to_minor_units(amount).ok_or_else(|| Money::RULE.to_string())?;
        Money::from_minor_units(cents)
    }

    /// An amount read back from storage, held to the same range.
    pub fn from_minor_units(cents: i64) -> Result<Money, String> {
        if (0..=MAX_CENTS).contains(&cents) {
            Ok(Money { cents })
        } else {
            Err(Money::RULE.into())
        }
    }

    pub fn minor_units(self) -> i64 {
        self.cents
    }

    pub fn amount(self) -> Decimal {
        from_minor_units(self.cents)
    }

    pub fn is_zero(self) -> bool {
        self.cents == 0
    }
}

impl fmt::Display for Money {
    /// What [`to_cents`] of the amount prints, from the integer cents (never negative): a
    /// generation's answer prints 100,000 of them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.cents / 100, self.cents % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn signed_cents_print_exactly_with_their_sign() {
        assert_eq!(signed_text(-1250), "-12.50");
        assert_eq!(signed_text(5), "0.05");
        assert_eq!(signed_text(0), "0.00");
        assert_eq!(signed_text(-1), "-0.01");
    }

    #[test]
    fn rounds_half_away_from_zero_to_two_places() {
        assert_eq!(to_cents(d("1500")).to_string(), "1500.00");
        assert_eq!(to_cents(d("0.005")).to_string(), "0.01");
        assert_eq!(to_cents(d("0.004")).to_string(), "0.00");
        assert_eq!(to_cents(d("-0.005")).to_string(), "-0.01");
        assert_eq!(to_cents(d("2.675")).to_string(), "2.68");
    }

    #[test]
    fn what_is_written_matches_the_published_money_pattern() {
        let re = &crate::domain::patterns::MONEY_RE;
        for amount in ["0", "1500", "-3.5", "2.675", "1234567.891"] {
            let text = to_cents(d(amount)).to_string();
            assert!(re.is_match(&text), "{text}");
        }
    }

    #[test]
    fn money_prints_as_its_decimal_amount_does() {
        for cents in [
            0,
            1,
            9,
            10,
            99,
            100,
            101,
            33_333,
            150_000,
            MAX_CENTS - 1,
            MAX_CENTS,
        ] {
            let money = Money::from_minor_units(cents).unwrap();
            assert_eq!(money.to_string(), to_cents(money.amount()).to_string());
        }
    }

    #[test]
    fn cents_round_trip() {
        assert_eq!(to_minor_units(d("1250.005")), Some(125001));
        assert_eq!(from_minor_units(125001).to_string(), "1250.01");
    }

    #[test]
    fn money_parses_exactly_and_prints_two_places() {
        for (raw, shown) in [
            ("1250.00", "1250.00"),
            ("1250", "1250.00"),
            ("0.10", "0.10"),
            ("0.1", "0.10"),
            ("0", "0.00"),
            ("99999999.99", "99999999.99"),
        ] {
            let money = Money::parse(raw).unwrap();
            assert_eq!(money.to_string(), shown, "{raw}");
            assert_eq!(serde_json::to_value(money).unwrap(), shown);
            assert_eq!(Money::from_minor_units(money.minor_units()), Ok(money));
            assert!(crate::domain::patterns::MONEY_RE.is_match(shown));
        }
        assert_eq!(Money::parse("0.10").unwrap().amount(), d("0.1"));
        assert_eq!(
            Money::parse("99999999.99").unwrap().minor_units(),
            MAX_CENTS
        );
    }

    #[test]
    fn money_refuses_what_it_would_have_to_round_or_guess() {
        for raw in [
            "12.345",
            "-1.00",
            "abc",
            "",
            " 1",
            "1 ",
            "1.",
            ".5",
            "1e3",
            "1,000.00",
            "+1",
            "100000000",
            "100000000.00",
            "0x10",
            "NaN",
        ] {
            assert!(Money::parse(raw).is_err(), "{raw:?}");
        }
        assert!(Money::from_minor_units(-1).is_err());
        assert!(Money::from_minor_units(MAX_CENTS + 1).is_err());
    }
}
