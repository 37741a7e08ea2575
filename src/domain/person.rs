//! What identifies and reaches a person: names, birth date, sex, address, phone, e-mail.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::names::{parse_person_name, NameRule};
use super::patterns::{matching, EMAIL_RE, PHONE_RE, POSTAL_CODE_RE, STATE_RE};
use super::text::SafeText;
use super::validation::{Fields, Invalid};

/// 2100C NM104 allows 35 characters for a first name, NM103 60 for a last name.
pub const FIRST_NAME_MAX: usize = 35;
pub const LAST_NAME_MAX: usize = 60;

pub fn parse_first_name(raw: String, rule: NameRule) -> Result<SafeText, String> {
    parse_person_name(&raw, FIRST_NAME_MAX, rule)
}

pub fn parse_last_name(raw: String, rule: NameRule) -> Result<SafeText, String> {
    parse_person_name(&raw, LAST_NAME_MAX, rule)
}

/// A calendar date in ISO 8601 form (`YYYY-MM-DD`), nothing looser.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    if raw.len() != 10 {
        return Err("must be a date as YYYY-MM-DD".into());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "must be a date as YYYY-MM-DD".into())
}

/// A birth date: a real date, not after `today`, not before 1900.
pub fn parse_birth_date(raw: String, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = parse_date(&raw)?;
    if date > today {
        return Err("must not be in the future".into());
    }
    if date < NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid constant date") {
        return Err("must not be before 1900-01-01".into());
    }
    Ok(date)
}

/// Administrative sex as X12 DMG03 carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    F,
    M,
    U,
}

impl Sex {
    pub fn parse(raw: String) -> Result<Sex, String> {
        match raw.as_str() {
            "F" => Ok(Sex::F),
            "M" => Ok(Sex::M),
            "U" => Ok(Sex::U),
            _ => Err("must be F, M or U".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::F => "F",
            Sex::M => "M",
            Sex::U => "U",
        }
    }
}

/// A US phone number, kept as its ten digits whatever punctuation it was typed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: String) -> Result<Phone, String> {
        let raw = matching(raw, &PHONE_RE, "must be a 10-digit US phone number")?;
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let digits = match digits.strip_prefix('1') {
            Some(rest) if digits.len() == 11 => rest.to_string(),
            _ => digits,
        };
        Ok(Phone(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Deliberately loose: one `@`, something before it, a dotted domain after it, no spaces.
    /// Whether the mailbox exists is not knowable here.
    pub fn parse(raw: String) -> Result<Email, String> {
        if raw.chars().count() > 254 {
            return Err("must be at most 254 characters".into());
        }
        matching(raw, &EMAIL_RE, "must be an e-mail address").map(Email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A US postal address, sized for X12 N3 (55) and N4 (city 30, state 2, ZIP 5 or 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub line1: SafeText,
    pub line2: Option<SafeText>,
    pub city: SafeText,
    pub state: String,
    pub postal_code: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
}

impl AddressInput {
    pub fn parse(self) -> Result<Address, Invalid> {
        let mut fields = Fields::new();
        let line1 = fields.required("line1", self.line1, |v| SafeText::parse(&v, 55));
        let line2 = fields.optional("line2", self.line2, |v| SafeText::parse(&v, 55));
        let city = fields.required("city", self.city, |v| SafeText::parse(&v, 30));
        let state = fields.required("state", self.state, |v| {
            matching(v, &STATE_RE, "must be a two-letter state code in capitals")
        });
        let postal_code = fields.required("postal_code", self.postal_code, parse_zip);
        fields.finish_with(|| {
            let (line1, line2, city, state, postal_code) =
                (line1?, line2?, city?, state?, postal_code?);
            Some(Address {
                line1,
                line2,
                city,
                state,
                postal_code,
            })
        })
    }
}

impl From<&Address> for AddressInput {
    fn from(address: &Address) -> AddressInput {
        AddressInput {
            line1: Some(address.line1.to_string()),
            line2: address.line2.as_ref().map(ToString::to_string),
            city: Some(address.city.to_string()),
            state: Some(address.state.clone()),
            postal_code: Some(address.postal_code.clone()),
        }
    }
}

/// ZIP or ZIP+4, stored as 5 or 9 digits (N403 takes either).
fn parse_zip(raw: String) -> Result<String, String> {
    let raw = matching(
        raw,
        &POSTAL_CODE_RE,
        "must be a ZIP code: 5 digits, or 9 as ZIP+4",
    )?;
    Ok(raw.replace('-', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn birth_dates_in_the_future_or_malformed_are_refused() {
        assert!(parse_birth_date("2026-11-24".into(), today()).is_err());
        assert!(parse_birth_date("1899-12-31".into(), today()).is_err());
        assert!(parse_birth_date("1990-02-30".into(), today()).is_err());
        assert!(parse_birth_date("1990-2-3".into(), today()).is_err());
        assert_eq!(
            parse_birth_date("1990-02-03".into(), today()).unwrap(),
            NaiveDate::from_ymd_opt(1990, 2, 3).unwrap()
        );
    }

    #[test]
    fn phones_keep_their_ten_digits() {
        assert_eq!(
            Phone::parse("(555) 123-4567".into()).unwrap().as_str(),
            "5551234567"
        );
        assert_eq!(
            Phone::parse("+1 555.123.4567".into()).unwrap().as_str(),
            "5551234567"
        );
        assert!(Phone::parse("555-1234".into()).is_err());
        assert!(Phone::parse("555-123-4567 ext 2".into()).is_err());
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("a.b@clinic.org".into()).is_ok());
        for bad in ["a@b", "@b.org", "a b@c.org", "a@@b.org", "a@b."] {
            assert!(Email::parse(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_report_each_bad_part() {
        let invalid = AddressInput {
            line1: Some("1 Main St".into()),
            line2: None,
            city: None,
            state: Some("ca".into()),
            postal_code: Some("9021".into()),
        }
        .parse()
        .unwrap_err();
        let fields: Vec<_> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["city", "state", "postal_code"]);
    }

    #[test]
    fn zip_plus_four_is_stored_as_nine_digits() {
        assert_eq!(parse_zip("90210-1234".into()).unwrap(), "902101234");
        assert_eq!(parse_zip("90210".into()).unwrap(), "90210");
        assert!(parse_zip("9021-01234".into()).is_err());
        assert!(parse_zip("90210-".into()).is_err());
    }
}
