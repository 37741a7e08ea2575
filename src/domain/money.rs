//! Money: `rust_decimal::Decimal` everywhere, never a float.
//!
//! The one rounding rule: amounts are rounded to whole cents, half away from zero (the way
//! people round money on paper: 0.005 → 0.01, −0.005 → −0.01), by [`to_cents`], and nowhere else.
//! Storage keeps integer cents ([`to_minor_units`]); JSON and X12 carry decimal strings.

use rust_decimal::{Decimal, RoundingStrategy};

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

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
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
    fn cents_round_trip() {
        assert_eq!(to_minor_units(d("1250.005")), Some(125001));
        assert_eq!(from_minor_units(125001).to_string(), "1250.01");
    }
}
