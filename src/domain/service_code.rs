//! The service catalog (the clinic's charge master): what one service of a program day is
//! called, how it is coded on a per-service claim line and what the clinic charges for it
//! (domain reference §3.1, §3.2, §4.2).
//!
//! What this module owns:
//! - [`ServiceCode`], the clinic's code of a service, shaped as HCPCS Level II (a letter and
//!   four digits, G0410) or CPT (five digits, 90837), and the test of whether a piece of text
//!   is shaped like one ([`looks_like_code`]);
//! - an entry's terms ([`NewServiceCode`]): the revenue code, HCPCS and modifiers of its claim
//!   line, its charge per unit, whether it counts toward the day's minimum of services, and
//!   the period it is in force ([`Period`], shared with fee schedules);
//! - the rule that two entries of one code never share a day ([`first_overlap`]) and the
//!   lookup the attendance check and the claim builder use ([`in_force`]).
//!
//! A charge that changes mid-month is a new entry from that day, with the old one ended the
//! day before. Catalog entries are clinic terms, not PHI.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};

use super::dates::parse_service_date;
use super::fee_schedule::{Hcpcs, Modifier, Period, RevenueCode, MAX_MODIFIERS};
use super::money::Money;
use super::patterns::{matching, HCPCS_RE};
use super::text::SafeText;
use super::validation::{Fields, Invalid};

pub const DESCRIPTION_MAX: usize = 120;

/// The clinic's code of a service: a capital letter and four digits (G0410) or five digits
/// (90837), the shapes of HCPCS Level II and CPT codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ServiceCode(String);

impl ServiceCode {
    pub fn parse(raw: String) -> Result<ServiceCode, String> {
        matching(
            raw,
            &HCPCS_RE,
            "must be a capital letter and 4 digits (e.g. G0410) or 5 digits (e.g. 90837)",
        )
        .map(ServiceCode)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `raw` (trimmed) is shaped like a service code — a letter and four digits, or five
/// digits — in either case. Attendance treats such an entry as a code, anything else as a
/// free-text name.
pub fn looks_like_code(raw: &str) -> bool {
    let raw = raw.trim().as_bytes();
    match raw {
        [first, rest @ ..] if raw.len() == 5 => {
            (first.is_ascii_alphabetic() || first.is_ascii_digit())
                && rest.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// A catalog entry's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewServiceCode {
    pub code: ServiceCode,
    pub description: SafeText,
    /// The UB-04 revenue code of the service's line (837I SV201), e.g. 0915 group therapy.
    pub revenue_code: RevenueCode,
    /// The procedure code of the line (SV202-2); often the code itself.
    pub hcpcs: Hcpcs,
    pub modifiers: Vec<Modifier>,
    /// The billed charge for one unit (SV203 is this times the units).
    pub charge: Money,
    /// Whether a unit counts toward the payer's minimum of services per day. A service that
    /// does not (e.g. a brief check-in) is still billed on its own line.
    pub counts_toward_day: bool,
    pub period: Period,
}

impl AsRef<NewServiceCode> for NewServiceCode {
    fn as_ref(&self) -> &NewServiceCode {
        self
    }
}

impl NewServiceCode {
    pub fn overlaps(&self, other: &NewServiceCode) -> bool {
        self.code == other.code && self.period.overlaps(&other.period)
    }
}

/// The entry of `code` in force on `date`, if any. The no-overlap rule leaves at most one;
/// should stored data ever hold two, the one that started last wins.
pub fn in_force<'a, S: AsRef<NewServiceCode>>(
    entries: &'a [S],
    code: &ServiceCode,
    date: NaiveDate,
) -> Option<&'a S> {
    entries
        .iter()
        .filter(|e| &e.as_ref().code == code && e.as_ref().period.contains(date))
        .max_by_key(|e| e.as_ref().period.from)
}

/// The first of `others` of the same code that shares a day with `candidate`.
pub fn first_overlap<'a, S: AsRef<NewServiceCode> + 'a>(
    others: impl IntoIterator<Item = &'a S>,
    candidate: &NewServiceCode,
) -> Option<&'a S> {
    others
        .into_iter()
        .find(|other| other.as_ref().overlaps(candidate))
}

/// The wire shape (and, through [`ServiceCodeInput`], the stored one).
impl Serialize for NewServiceCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            code: &'a ServiceCode,
            description: &'a str,
            revenue_code: &'a RevenueCode,
            hcpcs: &'a Hcpcs,
            modifiers: &'a [Modifier],
            charge: Money,
            counts_toward_day: bool,
            effective_from: NaiveDate,
            effective_to: Option<NaiveDate>,
        }
        Wire {
            code: &self.code,
            description: self.description.as_str(),
            revenue_code: &self.revenue_code,
            hcpcs: &self.hcpcs,
            modifiers: &self.modifiers,
            charge: self.charge,
            counts_toward_day: self.counts_toward_day,
            effective_from: self.period.from,
            effective_to: self.period.to,
        }
        .serialize(serializer)
    }
}

/// A catalog entry as it arrives on the wire (and as a PATCH is merged onto).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCodeInput {
    pub code: Option<String>,
    pub description: Option<String>,
    pub revenue_code: Option<String>,
    pub hcpcs: Option<String>,
    pub modifiers: Option<Vec<String>>,
    pub charge: Option<String>,
    pub counts_toward_day: Option<bool>,
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
}

fn modifiers(fields: &mut Fields, raw: Option<Vec<String>>) -> Option<Vec<Modifier>> {
    let raw = raw.unwrap_or_default();
    let mut ok = true;
    if raw.len() > MAX_MODIFIERS {
        fields.push(
            "modifiers",
            format!("must hold at most {MAX_MODIFIERS} codes"),
        );
        ok = false;
    }
    let mut parsed: Vec<Modifier> = Vec::with_capacity(raw.len());
    for (i, item) in raw.into_iter().enumerate() {
        match Modifier::parse(item) {
            Ok(m) if parsed.contains(&m) => {
                fields.push(&format!("modifiers[{i}]"), "is listed twice");
                ok = false;
            }
            Ok(m) => parsed.push(m),
            Err(message) => {
                fields.push(&format!("modifiers[{i}]"), message);
                ok = false;
            }
        }
    }
    ok.then_some(parsed)
}

fn charge(raw: String) -> Result<Money, String> {
    let money = Money::parse(&raw)?;
    if money.is_zero() {
        return Err("must be greater than 0".into());
    }
    Ok(money)
}

impl ServiceCodeInput {
    pub fn parse(self) -> Result<NewServiceCode, Invalid> {
        let mut fields = Fields::new();
        let code = fields.required("code", self.code, ServiceCode::parse);
        let description = fields.required("description", self.description, |raw| {
            SafeText::parse(&raw, DESCRIPTION_MAX)
        });
        let revenue_code = fields.required("revenue_code", self.revenue_code, RevenueCode::parse);
        let hcpcs = fields.required("hcpcs", self.hcpcs, Hcpcs::parse);
        let modifiers = modifiers(&mut fields, self.modifiers);
        let charge = fields.required("charge", self.charge, charge);
        let effective_from = fields.required("effective_from", self.effective_from, |raw| {
            parse_service_date(&raw)
        });
        let effective_to = fields.optional("effective_to", self.effective_to, |raw| {
            parse_service_date(&raw)
        });
        if let (Some(from), Some(Some(to))) = (effective_from, effective_to) {
            if to < from {
                fields.push("effective_to", "must not be before effective_from");
            }
        }
        fields.finish_with(|| {
            Some(NewServiceCode {
                code: code?,
                description: description?,
                revenue_code: revenue_code?,
                hcpcs: hcpcs?,
                modifiers: modifiers?,
                charge: charge?,
                counts_toward_day: self.counts_toward_day.unwrap_or(true),
                period: Period {
                    from: effective_from?,
                    to: effective_to?,
                },
            })
        })
    }
}

impl From<&NewServiceCode> for ServiceCodeInput {
    fn from(terms: &NewServiceCode) -> ServiceCodeInput {
        ServiceCodeInput {
            code: Some(terms.code.as_str().to_string()),
            description: Some(terms.description.as_str().to_string()),
            revenue_code: Some(terms.revenue_code.as_str().to_string()),
            hcpcs: Some(terms.hcpcs.as_str().to_string()),
            modifiers: Some(
                terms
                    .modifiers
                    .iter()
                    .map(|m| m.as_str().to_string())
                    .collect(),
            ),
            charge: Some(terms.charge.to_string()),
            counts_toward_day: Some(terms.counts_toward_day),
            effective_from: Some(terms.period.from.to_string()),
            effective_to: terms.period.to.map(|d| d.to_string()),
        }
    }
}

/// The code an entry is for is fixed: another code is another entry.
pub fn fixed_changes(stored: &NewServiceCode, next: &NewServiceCode) -> Result<(), Invalid> {
    if stored.code != next.code {
        return Err(Invalid::one(
            "code",
            "is fixed once the entry is created; end this one with effective_to and create \
             another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::parse_date;

    fn date(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    fn valid() -> ServiceCodeInput {
        ServiceCodeInput {
            code: Some("G0410".into()),
            description: Some("Group psychotherapy, PHP/IOP".into()),
            revenue_code: Some("0915".into()),
            hcpcs: Some("G0410".into()),
            charge: Some("210.00".into()),
            effective_from: Some("2026-03-01".into()),
            ..ServiceCodeInput::default()
        }
    }

    fn bad_fields(result: Result<NewServiceCode, Invalid>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_entry_parses_with_defaults_and_round_trips() {
        let entry = valid().parse().unwrap();
        assert!(entry.counts_toward_day, "counts by default");
        assert_eq!(entry.charge.to_string(), "210.00");
        assert_eq!(entry.period.to, None);
        let mut input = valid();
        input.modifiers = Some(vec!["PN".into()]);
        input.counts_toward_day = Some(false);
        input.effective_to = Some("2026-03-15".into());
        let entry = input.parse().unwrap();
        assert_eq!(ServiceCodeInput::from(&entry).parse().unwrap(), entry);
        let wire = serde_json::to_value(&entry).unwrap();
        assert_eq!(wire["charge"], "210.00");
        assert_eq!(wire["counts_toward_day"], false);
        assert_eq!(wire["modifiers"], serde_json::json!(["PN"]));
    }

    #[test]
    fn every_missing_field_is_named() {
        assert_eq!(
            bad_fields(ServiceCodeInput::default().parse()),
            [
                "code",
                "description",
                "revenue_code",
                "hcpcs",
                "charge",
                "effective_from"
            ]
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Change = fn(&mut ServiceCodeInput);
        let cases: Vec<(Change, &str)> = vec![
            (|i| i.code = Some("G041".into()), "code"),
            (|i| i.code = Some("g0410".into()), "code"),
            (|i| i.code = Some("GG410".into()), "code"),
            (|i| i.description = Some(" ".into()), "description"),
            (|i| i.description = Some("a*b".into()), "description"),
            (|i| i.revenue_code = Some("915".into()), "revenue_code"),
            (|i| i.hcpcs = Some("908370".into()), "hcpcs"),
            (|i| i.modifiers = Some(vec!["P".into()]), "modifiers[0]"),
            (
                |i| i.modifiers = Some(vec!["PN".into(), "PN".into()]),
                "modifiers[1]",
            ),
            (|i| i.modifiers = Some(vec!["U1".into(); 5]), "modifiers"),
            (|i| i.charge = Some("0".into()), "charge"),
            (|i| i.charge = Some("1.005".into()), "charge"),
            (|i| i.charge = Some("-5".into()), "charge"),
            (
                |i| i.effective_from = Some("03/01/2026".into()),
                "effective_from",
            ),
            (
                |i| i.effective_to = Some("2026-02-28".into()),
                "effective_to",
            ),
        ];
        for (change, field) in cases {
            let mut input = valid();
            change(&mut input);
            let fields = bad_fields(input.parse());
            assert!(fields.iter().any(|f| f == field), "{field}: {fields:?}");
        }
    }

    #[test]
    fn code_shapes_are_told_from_names() {
        for code in ["G0410", "90837", " g0410 ", "H0035"] {
            assert!(looks_like_code(code), "{code}");
        }
        for name in ["group therapy", "G041", "G04100", "GG410", "9083A", ""] {
            assert!(!looks_like_code(name), "{name}");
        }
    }

    fn entry(code: &str, from: &str, to: Option<&str>) -> NewServiceCode {
        let mut input = valid();
        input.code = Some(code.into());
        input.effective_from = Some(from.into());
        input.effective_to = to.map(Into::into);
        input.parse().unwrap()
    }

    #[test]
    fn a_charge_changed_mid_month_is_found_on_each_side_of_the_change() {
        let mut later = entry("G0410", "2026-03-16", None);
        later.charge = Money::parse("225.00").unwrap();
        let entries = [
            entry("G0410", "2026-03-01", Some("2026-03-15")),
            later,
            entry("90837", "2026-03-01", None),
        ];
        let code = ServiceCode::parse("G0410".into()).unwrap();
        let charge = |day: &str| in_force(&entries, &code, date(day)).map(|e| e.charge.to_string());
        assert_eq!(charge("2026-02-28"), None);
        assert_eq!(charge("2026-03-15").as_deref(), Some("210.00"));
        assert_eq!(charge("2026-03-16").as_deref(), Some("225.00"));
        assert_eq!(charge("2027-01-01").as_deref(), Some("225.00"));
    }

    #[test]
    fn only_entries_of_the_same_code_conflict() {
        let stored = [
            entry("90837", "2026-03-01", None),
            entry("G0410", "2026-01-01", Some("2026-02-28")),
        ];
        assert!(first_overlap(&stored, &entry("G0410", "2026-03-01", None)).is_none());
        let found = first_overlap(&stored, &entry("G0410", "2026-02-28", None));
        assert_eq!(found.map(|e| e.period.from), Some(date("2026-01-01")));
    }

    #[test]
    fn the_code_is_fixed() {
        let stored = valid().parse().unwrap();
        let mut next = stored.clone();
        next.charge = Money::parse("300").unwrap();
        assert!(fixed_changes(&stored, &next).is_ok());
        next.code = ServiceCode::parse("90837".into()).unwrap();
        assert!(fixed_changes(&stored, &next).is_err());
    }
}
