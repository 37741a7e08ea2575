//! How the web app writes money, dates and times: `$1,250.50`, `12/05/2026`, `12/05/2026 2:05 PM`
//! (US style, as the clinics' other tools write them). Money comes as a `Decimal` and is rounded
//! only by `domain::money`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::domain::money::to_cents;

/// `$1,250.50`; negative amounts as `−$75.00` (a minus sign, not a hyphen, for screen readers
/// and print alike).
pub fn money(amount: Decimal) -> String {
    let cents = to_cents(amount);
    let text = cents.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if cents.is_sign_negative() && !cents.is_zero() {
        "\u{2212}"
    } else {
        ""
    };
    format!("{sign}${}.{fraction}", group_thousands(whole))
}

/// A decimal string as the API carries it (`"1250.00"`) written as [`money`]; `None` when it is
/// not a number.
pub fn money_text(raw: &str) -> Option<String> {
    raw.parse::<Decimal>().ok().map(money)
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `12/05/2026`.
pub fn date(day: NaiveDate) -> String {
    day.format("%m/%d/%Y").to_string()
}

/// An ISO date (`2026-12-05`) as [`date`]; anything else as it came.
pub fn date_text(raw: &str) -> String {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(date)
        .unwrap_or_else(|_| raw.to_string())
}

/// A sentence of the API's (an alert, a reason, a warning) with each ISO date in it
/// (`2026-12-05`) written as the pages write dates (`12/05/2026`). The API's messages keep ISO
/// dates, as its JSON does; a page shows them the way its staff read dates everywhere else.
/// Only a whole date is rewritten: not part of a longer number or an id.
pub fn iso_dates(text: &str) -> String {
    const LEN: usize = "2026-12-05".len();
    let bytes = text.as_bytes();
    let part_of_word = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + LEN <= bytes.len() {
        let candidate = &bytes[i..i + LEN];
        let shaped = candidate.iter().enumerate().all(|(k, b)| match k {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
        let alone = (i == 0 || !part_of_word(bytes[i - 1]))
            && bytes.get(i + LEN).is_none_or(|b| !part_of_word(*b));
        if shaped && alone {
            if let Ok(day) = NaiveDate::parse_from_str(&text[i..i + LEN], "%Y-%m-%d") {
                out.push_str(&text[copied..i]);
                out.push_str(&date(day));
                i += LEN;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// A date as staff type it, `12/05/2026` (or `12/5/2026`, or ISO `2026-12-05`), as the ISO text
/// the domain parsers read; `None` when it is neither.
pub fn typed_date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%m/%d/%Y")
        .ok()
        .filter(|_| raw.len() >= 8 && raw.rsplit('/').next().is_some_and(|y| y.len() == 4))
        .or_else(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .map(|day| day.format("%Y-%m-%d").to_string())
}

/// Why a form refuses `raw` as a date: typed as MM/DD/YYYY but a day the calendar does not
/// have (04/31, 13/45), or not typed that way at all. Saying only "enter the date as
/// MM/DD/YYYY" to someone who did left them looking for a typo that was not there.
pub fn date_error(raw: &str) -> &'static str {
    let parts: Vec<&str> = raw.trim().split('/').collect();
    let shaped = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts[2].len() == 4;
    if shaped {
        "not a day on the calendar; enter the date as MM/DD/YYYY"
    } else {
        "enter the date as MM/DD/YYYY"
    }
}

/// `12/05/2026 2:05 PM UTC`: stored times are UTC, and saying so beats a silent guess.
pub fn date_time(at: DateTime<Utc>) -> String {
    at.format("%m/%d/%Y %-I:%M %p UTC").to_string()
}

/// A percentage as the payer states it (`"20"`, `"12.5"`) → `20%`, `12.5%`.
pub fn percent(raw: &str) -> String {
    match raw.parse::<Decimal>() {
        Ok(value) => format!("{}%", value.normalize()),
        Err(_) => format!("{raw}%"),
    }
}

/// A US phone number of ten digits as `(800) 555-1234`; anything else as it came.
pub fn phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix('1')
        .filter(|rest| rest.len() == 10)
        .unwrap_or(&digits);
    if digits.len() == 10 {
        format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        raw.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates_in_a_sentence_are_written_as_the_pages_write_dates() {
        use super::iso_dates;
        assert_eq!(
            iso_dates("authorization AUTH-1 ends on 2026-12-05 (3 days left)"),
            "authorization AUTH-1 ends on 12/05/2026 (3 days left)"
        );
        assert_eq!(
            iso_dates("2026-03-02 to 2026-03-31."),
            "03/02/2026 to 03/31/2026."
        );
        // Not a calendar day, part of a longer token, or nothing to do: as it came.
        for same in [
            "on 2026-02-30",
            "x2026-03-02",
            "claim 0194f1d2-2026-03-02",
            "12026-03-021",
            "no date here",
            "é 2026-03",
        ] {
            assert_eq!(iso_dates(same), same);
        }
        assert_eq!(iso_dates("é 2026-03-02 ü"), "é 03/02/2026 ü");
    }

    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    #[test]
    fn a_date_typed_right_but_not_on_the_calendar_is_told_apart() {
        assert_eq!(
            date_error("04/31/1988"),
            "not a day on the calendar; enter the date as MM/DD/YYYY"
        );
        assert_eq!(
            date_error("13/45/2026").split(';').next(),
            Some("not a day on the calendar")
        );
        assert_eq!(date_error("1988-04-31x"), "enter the date as MM/DD/YYYY");
        assert_eq!(date_error("4/12/88"), "enter the date as MM/DD/YYYY");
        assert_eq!(date_error("April 12"), "enter the date as MM/DD/YYYY");
    }

    fn d(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap()
    }

    #[test]
    fn money_has_a_dollar_sign_thousands_commas_and_cents() {
        assert_eq!(money(d("1250.5")), "$1,250.50");
        assert_eq!(money(d("0")), "$0.00");
        assert_eq!(money(d("999.999")), "$1,000.00");
        assert_eq!(money(d("1234567.89")), "$1,234,567.89");
        assert_eq!(money(d("100")), "$100.00");
        assert_eq!(money(d("-75")), "\u{2212}$75.00");
        assert_eq!(money(d("-0.001")), "$0.00");
    }

    #[test]
    fn money_text_reads_the_apis_decimal_strings() {
        assert_eq!(money_text("900.00").as_deref(), Some("$900.00"));
        assert_eq!(money_text("not money"), None);
    }

    #[test]
    fn dates_are_month_day_year() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(date(day), "12/05/2026");
        assert_eq!(date_text("2026-01-31"), "01/31/2026");
        assert_eq!(date_text("soon"), "soon");
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 14, 5, 0).unwrap();
        assert_eq!(date_time(at), "12/05/2026 2:05 PM UTC");
    }

    #[test]
    fn typed_dates_are_read_as_us_or_iso_dates() {
        assert_eq!(typed_date("04/12/1988").as_deref(), Some("1988-04-12"));
        assert_eq!(typed_date(" 4/2/1988 ").as_deref(), Some("1988-04-02"));
        assert_eq!(typed_date("1988-04-12").as_deref(), Some("1988-04-12"));
        assert_eq!(typed_date("04/12/88"), None);
        assert_eq!(typed_date("13/12/1988"), None);
        assert_eq!(typed_date("yesterday"), None);
    }

    #[test]
    fn percents_and_phones_read_as_people_write_them() {
        assert_eq!(percent("20"), "20%");
        assert_eq!(percent("12.50"), "12.5%");
        assert_eq!(phone("8005551234"), "(800) 555-1234");
        assert_eq!(phone("1-800-555-1234"), "(800) 555-1234");
        assert_eq!(phone("ext 12"), "ext 12");
    }
}
