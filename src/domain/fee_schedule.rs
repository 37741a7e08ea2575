//! Fee schedules: what the clinic bills a payer for one day of IOP or PHP in a program, and
//! how that day is coded on the claim (domain reference §2, §3).
//!
//! What this module owns:
//! - the codes a per-diem line carries: the revenue code (837I SV201, e.g. 0905 psychiatric
//!   IOP, 0906 chemical-dependency IOP, 0912/0913 PHP), the HCPCS code (S9480, H0015, S0201,
//!   H0035 …) and its modifiers;
//! - the billed charge and the contracted (allowed) amount per day, as [`Money`]; both may be
//!   absent. A per-service payer's schedule (issue 17) needs no charge per day: its lines are
//!   priced by the service catalog. A per-day payer's day under a schedule without one is not
//!   billed (the claim builder leaves it out with `no_charge_per_day`), never at 0.00;
//! - the claim form and what only that form carries ([`ClaimSetup`]): an institutional claim
//!   (837I) has a type of bill and condition codes; a professional one (837P) a place of
//!   service and a procedure code on every line;
//! - the effective period ([`Period`], `to` open-ended = forever) and the rule that two
//!   schedules for one payer, level of care and program never share a day ([`first_overlap`]);
//! - the lookup the claim generator and the cost estimate use ([`in_force`]).
//!
//! Fee schedules are contract terms, not PHI: nothing here names a client.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

use super::dates::parse_service_date;
use super::eligibility::{LevelOfCare, Program};
use super::ids::parse_id;
use super::money::Money;
use super::patterns::{
    matching, CONDITION_CODE_RE, HCPCS_RE, MODIFIER_RE, PLACE_OF_SERVICE_RE, REVENUE_CODE_RE,
    TYPE_OF_BILL_RE,
};
use super::text::Note;
use super::validation::{Fields, Invalid};

pub const NOTES_MAX: usize = 2000;
/// SV202/SV101 carry up to four modifiers after the procedure code.
pub const MAX_MODIFIERS: usize = 4;
/// Two HI segments of twelve BG condition codes each (UB-04 has room for eleven on paper).
pub const MAX_CONDITION_CODES: usize = 24;

macro_rules! code {
    ($(#[$doc:meta])* $name:ident, $re:ident, $message:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: String) -> Result<$name, String> {
                matching(raw, &$re, $message).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

code!(
    /// A UB-04 revenue code (FL42; 837I SV201).
    RevenueCode,
    REVENUE_CODE_RE,
    "must be 4 digits, e.g. 0905"
);
code!(
    /// A HCPCS Level II or CPT code (SV202-2, SV101-2).
    Hcpcs,
    HCPCS_RE,
    "must be a capital letter and 4 digits (e.g. S9480) or 5 digits"
);
code!(
    /// A procedure modifier.
    Modifier,
    MODIFIER_RE,
    "must be 2 capital letters or digits"
);
code!(
    /// A NUBC condition code (837I 2300 HI*BG), e.g. 92 (IOP) or 41 (PHP).
    ConditionCode,
    CONDITION_CODE_RE,
    "must be 2 capital letters or digits"
);
code!(
    /// A CMS place of service code (837P CLM05-1), e.g. 52 psychiatric facility–partial
    /// hospitalization, 57 non-residential substance abuse treatment facility.
    PlaceOfService,
    PLACE_OF_SERVICE_RE,
    "must be 2 digits, e.g. 57"
);

/// A UB-04 type of bill (FL4): the leading 0, the facility type, the care type and the
/// frequency (e.g. `0131`: hospital outpatient, admit through discharge). Kept with four
/// digits; `131` is read as `0131`. An 837I sends the middle two digits in CLM05-1 and the
/// last in CLM05-3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TypeOfBill(String);

impl TypeOfBill {
    pub fn parse(raw: String) -> Result<TypeOfBill, String> {
        let raw = matching(
            raw,
            &TYPE_OF_BILL_RE,
            "must be 4 digits starting with 0 (e.g. 0131) or 3 digits (e.g. 131)",
        )?;
        Ok(TypeOfBill(if raw.len() == 3 {
            format!("0{raw}")
        } else {
            raw
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The claim a schedule's days are billed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimForm {
    /// Institutional (UB-04 / 837I, 005010X223A2): facility claims, the default.
    #[serde(rename = "837I")]
    Institutional,
    /// Professional (CMS-1500 / 837P, 005010X222A1): some payers take IOP this way.
    #[serde(rename = "837P")]
    Professional,
}

impl ClaimForm {
    pub fn parse(raw: &str) -> Result<ClaimForm, String> {
        match raw {
            "837I" => Ok(ClaimForm::Institutional),
            "837P" => Ok(ClaimForm::Professional),
            _ => Err("must be 837I or 837P".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimForm::Institutional => "837I",
            ClaimForm::Professional => "837P",
        }
    }
}

/// What only one claim form carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimSetup {
    /// 837I: the type of bill (CLM05) and the condition codes (HI*BG).
    Institutional {
        type_of_bill: TypeOfBill,
        condition_codes: Vec<ConditionCode>,
    },
    /// 837P: the place of service (CLM05-1).
    Professional { place_of_service: PlaceOfService },
}

impl ClaimSetup {
    pub fn form(&self) -> ClaimForm {
        match self {
            ClaimSetup::Institutional { .. } => ClaimForm::Institutional,
            ClaimSetup::Professional { .. } => ClaimForm::Professional,
        }
    }
}

/// The days a schedule is in force: from `from`, through `to` (both included), or for good
/// when `to` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Period {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|to| date <= to)
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        let ends_after = |period: &Period, date: NaiveDate| period.to.is_none_or(|to| to >= date);
        ends_after(self, other.from) && ends_after(other, self.from)
    }
}

/// A fee schedule's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeeSchedule {
    /// The payer record (not the EDI payer id).
    pub payer_id: Uuid,
    pub level_of_care: LevelOfCare,
    pub program: Program,
    pub revenue_code: RevenueCode,
    pub hcpcs: Option<Hcpcs>,
    pub modifiers: Vec<Modifier>,
    /// The billed charge per day (SV203 / SV102), above 0 when stated. `None`: the schedule
    /// states none — what a per-service payer's schedule does, whose claims price each
    /// service from the catalog; a per-day payer's days under it cannot be billed.
    pub charge_per_day: Option<Money>,
    /// The contracted amount per day, when the contract states one. It may exceed the charge.
    pub allowed_per_day: Option<Money>,
    pub period: Period,
    pub claim: ClaimSetup,
    pub notes: Option<Note>,
}

impl AsRef<NewFeeSchedule> for NewFeeSchedule {
    fn as_ref(&self) -> &NewFeeSchedule {
        self
    }
}

impl NewFeeSchedule {
    /// Whether this schedule prices a day of `level` in `program` on `date`.
    pub fn applies(&self, level: LevelOfCare, program: Program, date: NaiveDate) -> bool {
        self.level_of_care == level && self.program == program && self.period.contains(date)
    }

    /// Whether this schedule and `other` price the same kind of day (payer, level, program)
    /// on a shared day.
    pub fn overlaps(&self, other: &NewFeeSchedule) -> bool {
        self.payer_id == other.payer_id
            && self.level_of_care == other.level_of_care
            && self.program == other.program
            && self.period.overlaps(&other.period)
    }
}

/// The schedule of one payer in force for a day of `level` in `program` on `date`, if any.
/// The no-overlap rule leaves at most one; should stored data ever hold two, the one that
/// started last wins (the newer contract), so the answer does not depend on their order.
pub fn in_force<S: AsRef<NewFeeSchedule>>(
    schedules: &[S],
    level: LevelOfCare,
    program: Program,
    date: NaiveDate,
) -> Option<&S> {
    schedules
        .iter()
        .filter(|s| s.as_ref().applies(level, program, date))
        .max_by_key(|s| s.as_ref().period.from)
}

/// The first of `others` that shares a day with `candidate` for the same payer, level of care
/// and program: the one that refuses it.
pub fn first_overlap<'a, S: AsRef<NewFeeSchedule> + 'a>(
    others: impl IntoIterator<Item = &'a S>,
    candidate: &NewFeeSchedule,
) -> Option<&'a S> {
    others
        .into_iter()
        .find(|other| other.as_ref().overlaps(candidate))
}

/// The wire shape (and, through [`FeeScheduleInput`], the stored one).
impl Serialize for NewFeeSchedule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            payer_id: Uuid,
            level_of_care: LevelOfCare,
            program: Program,
            revenue_code: &'a RevenueCode,
            hcpcs: Option<&'a Hcpcs>,
            modifiers: &'a [Modifier],
            charge_per_day: Option<Money>,
            allowed_per_day: Option<Money>,
            effective_from: NaiveDate,
            effective_to: Option<NaiveDate>,
            claim_form: ClaimForm,
            place_of_service: Option<&'a PlaceOfService>,
            type_of_bill: Option<&'a TypeOfBill>,
            condition_codes: &'a [ConditionCode],
            notes: Option<&'a str>,
        }
        let (place_of_service, type_of_bill, condition_codes) = match &self.claim {
            ClaimSetup::Institutional {
                type_of_bill,
                condition_codes,
            } => (None, Some(type_of_bill), condition_codes.as_slice()),
            ClaimSetup::Professional { place_of_service } => {
                (Some(place_of_service), None, &[][..])
            }
        };
        Wire {
            payer_id: self.payer_id,
            level_of_care: self.level_of_care,
            program: self.program,
            revenue_code: &self.revenue_code,
            hcpcs: self.hcpcs.as_ref(),
            modifiers: &self.modifiers,
            charge_per_day: self.charge_per_day,
            allowed_per_day: self.allowed_per_day,
            effective_from: self.period.from,
            effective_to: self.period.to,
            claim_form: self.claim.form(),
            place_of_service,
            type_of_bill,
            condition_codes,
            notes: self.notes.as_ref().map(Note::as_str),
        }
        .serialize(serializer)
    }
}

/// A fee schedule as it arrives on the wire (and as a PATCH is merged onto). Amounts are
/// strings; a JSON number is refused by its type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeScheduleInput {
    pub payer_id: Option<String>,
    pub level_of_care: Option<String>,
    pub program: Option<String>,
    pub revenue_code: Option<String>,
    pub hcpcs: Option<String>,
    pub modifiers: Option<Vec<String>>,
    pub charge_per_day: Option<String>,
    pub allowed_per_day: Option<String>,
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
    pub claim_form: Option<String>,
    pub place_of_service: Option<String>,
    pub type_of_bill: Option<String>,
    pub condition_codes: Option<Vec<String>>,
    pub notes: Option<String>,
}

/// A list of codes: at most `max`, each parsed, none twice. Item errors are named
/// `field[i]`.
fn codes<T: PartialEq + Eq + std::hash::Hash + Clone>(
    fields: &mut Fields,
    field: &str,
    raw: Option<Vec<String>>,
    max: usize,
    parse: impl Fn(String) -> Result<T, String>,
) -> Option<Vec<T>> {
    let raw = raw.unwrap_or_default();
    let mut ok = true;
    if raw.len() > max {
        fields.push(field, format!("must hold at most {max} codes"));
        ok = false;
    }
    let mut parsed = Vec::with_capacity(raw.len());
    let mut seen = HashSet::new();
    for (i, item) in raw.into_iter().enumerate() {
        match parse(item) {
            Ok(code) if !seen.insert(code.clone()) => {
                fields.push(&format!("{field}[{i}]"), "is listed twice");
                ok = false;
            }
            Ok(code) => parsed.push(code),
            Err(message) => {
                fields.push(&format!("{field}[{i}]"), message);
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

impl FeeScheduleInput {
    /// The rules of the fields and between them. Whether the payer exists needs the database;
    /// the caller checks it.
    pub fn parse(self) -> Result<NewFeeSchedule, Invalid> {
        let mut fields = Fields::new();
        let payer_id = fields.required("payer_id", self.payer_id, |raw| parse_id(&raw));
        let level_of_care = fields.required("level_of_care", self.level_of_care, |raw| {
            LevelOfCare::parse(&raw)
        });
        let program = fields.required("program", self.program, |raw| Program::parse(&raw));
        let revenue_code = fields.required("revenue_code", self.revenue_code, RevenueCode::parse);
        let hcpcs = fields.optional("hcpcs", self.hcpcs, Hcpcs::parse);
        let modifiers = codes(
            &mut fields,
            "modifiers",
            self.modifiers,
            MAX_MODIFIERS,
            Modifier::parse,
        );
        let charge_per_day = fields.optional("charge_per_day", self.charge_per_day, charge);
        let allowed_per_day = fields.optional("allowed_per_day", self.allowed_per_day, |raw| {
            Money::parse(&raw)
        });
        let effective_from = fields.required("effective_from", self.effective_from, |raw| {
            parse_service_date(&raw)
        });
        let effective_to = fields.optional("effective_to", self.effective_to, |raw| {
            parse_service_date(&raw)
        });
        // 837I unless said otherwise: IOP and PHP are facility services first.
        let claim_form = match self.claim_form {
            None => Some(ClaimForm::Institutional),
            Some(raw) => fields.check("claim_form", ClaimForm::parse(&raw)),
        };
        let condition_codes = codes(
            &mut fields,
            "condition_codes",
            self.condition_codes,
            MAX_CONDITION_CODES,
            ConditionCode::parse,
        );
        let notes = fields.optional("notes", self.notes, |raw| Note::parse(&raw, NOTES_MAX));
        if let (Some(from), Some(Some(to))) = (effective_from, effective_to) {
            if to < from {
                fields.push("effective_to", "must not be before effective_from");
            }
        }
        if let (Some(None), Some(modifiers)) = (&hcpcs, &modifiers) {
            if !modifiers.is_empty() {
                fields.push(
                    "modifiers",
                    "must be empty without hcpcs (modifiers follow the procedure code in \
                     SV202/SV101)",
                );
            }
        }
        let claim = match claim_form {
            Some(ClaimForm::Institutional) => {
                if self.place_of_service.is_some() {
                    fields.push(
                        "place_of_service",
                        "must be absent when claim_form is 837I (an institutional claim \
                         carries the type of bill instead)",
                    );
                }
                let type_of_bill = match self.type_of_bill {
                    None => {
                        fields.push(
                            "type_of_bill",
                            "is required when claim_form is 837I (e.g. 0131 hospital \
                             outpatient, 0761 CMHC, 0891 other special facility)",
                        );
                        None
                    }
                    Some(raw) => fields.check("type_of_bill", TypeOfBill::parse(raw)),
                };
                type_of_bill
                    .zip(condition_codes)
                    .map(
                        |(type_of_bill, condition_codes)| ClaimSetup::Institutional {
                            type_of_bill,
                            condition_codes,
                        },
                    )
            }
            Some(ClaimForm::Professional) => {
                if self.type_of_bill.is_some() {
                    fields.push(
                        "type_of_bill",
                        "must be absent when claim_form is 837P (a professional claim has no \
                         type of bill)",
                    );
                }
                if condition_codes
                    .as_ref()
                    .is_some_and(|codes| !codes.is_empty())
                {
                    fields.push(
                        "condition_codes",
                        "must be empty when claim_form is 837P (condition codes are 837I only)",
                    );
                }
                if let Some(None) = hcpcs {
                    fields.push(
                        "hcpcs",
                        "is required when claim_form is 837P (every professional line carries \
                         a procedure code in SV101)",
                    );
                }
                match self.place_of_service {
                    None => {
                        fields.push(
                            "place_of_service",
                            "is required when claim_form is 837P (e.g. 52, 53, 57)",
                        );
                        None
                    }
                    Some(raw) => fields
                        .check("place_of_service", PlaceOfService::parse(raw))
                        .map(|place_of_service| ClaimSetup::Professional { place_of_service }),
                }
            }
            None => None,
        };
        fields.finish_with(|| {
            let (
                payer_id,
                level_of_care,
                program,
                revenue_code,
                hcpcs,
                modifiers,
                charge_per_day,
                allowed_per_day,
                from,
                to,
                claim,
                notes,
            ) = (
                payer_id?,
                level_of_care?,
                program?,
                revenue_code?,
                hcpcs?,
                modifiers?,
                charge_per_day?,
                allowed_per_day?,
                effective_from?,
                effective_to?,
                claim?,
                notes?,
            );
            Some(NewFeeSchedule {
                payer_id,
                level_of_care,
                program,
                revenue_code,
                hcpcs,
                modifiers,
                charge_per_day,
                allowed_per_day,
                period: Period { from, to },
                claim,
                notes,
            })
        })
    }
}

fn strings<T>(codes: &[T], text: impl Fn(&T) -> &str) -> Option<Vec<String>> {
    Some(codes.iter().map(|code| text(code).to_string()).collect())
}

impl From<&NewFeeSchedule> for FeeScheduleInput {
    fn from(terms: &NewFeeSchedule) -> FeeScheduleInput {
        let (place_of_service, type_of_bill, condition_codes) = match &terms.claim {
            ClaimSetup::Institutional {
                type_of_bill,
                condition_codes,
            } => (
                None,
                Some(type_of_bill.as_str().to_string()),
                strings(condition_codes, ConditionCode::as_str),
            ),
            ClaimSetup::Professional { place_of_service } => (
                Some(place_of_service.as_str().to_string()),
                None,
                Some(Vec::new()),
            ),
        };
        FeeScheduleInput {
            payer_id: Some(terms.payer_id.to_string()),
            level_of_care: Some(terms.level_of_care.as_str().to_string()),
            program: Some(terms.program.as_str().to_string()),
            revenue_code: Some(terms.revenue_code.as_str().to_string()),
            hcpcs: terms.hcpcs.as_ref().map(|h| h.as_str().to_string()),
            modifiers: strings(&terms.modifiers, Modifier::as_str),
            charge_per_day: terms.charge_per_day.map(|m| m.to_string()),
            allowed_per_day: terms.allowed_per_day.map(|m| m.to_string()),
            effective_from: Some(terms.period.from.to_string()),
            effective_to: terms.period.to.map(|d| d.to_string()),
            claim_form: Some(terms.claim.form().as_str().to_string()),
            place_of_service,
            type_of_bill,
            condition_codes,
            notes: terms.notes.as_ref().map(|n| n.as_str().to_string()),
        }
    }
}

/// Terms a schedule keeps for life: what it prices. A different payer, level or program is a
/// different schedule.
pub fn fixed_changes(stored: &NewFeeSchedule, next: &NewFeeSchedule) -> Result<(), Invalid> {
    let mut fields = Fields::new();
    let message = "is fixed once the fee schedule is created; end this one with effective_to \
                   and create another";
    if stored.payer_id != next.payer_id {
        fields.push("payer_id", message);
    }
    if stored.level_of_care != next.level_of_care {
        fields.push("level_of_care", message);
    }
    if stored.program != next.program {
        fields.push("program", message);
    }
    fields.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::parse_date;

    fn date(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    fn valid() -> FeeScheduleInput {
        FeeScheduleInput {
            payer_id: Some("0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10".into()),
            level_of_care: Some("IOP".into()),
            program: Some("mental_health".into()),
            revenue_code: Some("0905".into()),
            hcpcs: Some("S9480".into()),
            charge_per_day: Some("1250.00".into()),
            effective_from: Some("2026-01-01".into()),
            type_of_bill: Some("0131".into()),
            ..FeeScheduleInput::default()
        }
    }

    fn bad_fields(result: Result<NewFeeSchedule, Invalid>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    fn professional() -> FeeScheduleInput {
        FeeScheduleInput {
            claim_form: Some("837P".into()),
            type_of_bill: None,
            place_of_service: Some("57".into()),
            hcpcs: Some("H0015".into()),
            program: Some("substance_use".into()),
            revenue_code: Some("0906".into()),
            ..valid()
        }
    }

    #[test]
    fn a_fee_schedule_parses_with_defaults_and_round_trips() {
        let mut input = valid();
        input.modifiers = Some(vec!["HQ".into(), "U1".into()]);
        input.allowed_per_day = Some("980.5".into());
        input.condition_codes = Some(vec!["92".into()]);
        input.effective_to = Some("2026-12-31".into());
        input.notes = Some("2026 contract, amendment 3".into());
        let schedule = input.parse().unwrap();
        assert_eq!(schedule.claim.form(), ClaimForm::Institutional);
        assert_eq!(schedule.charge_per_day.unwrap().to_string(), "1250.00");
        assert_eq!(schedule.allowed_per_day.unwrap().to_string(), "980.50");
        let again = FeeScheduleInput::from(&schedule).parse().unwrap();
        assert_eq!(again, schedule);

        let professional = professional().parse().unwrap();
        assert_eq!(
            professional.claim,
            ClaimSetup::Professional {
                place_of_service: PlaceOfService("57".into())
            }
        );
        assert_eq!(
            FeeScheduleInput::from(&professional).parse().unwrap(),
            professional
        );
        let wire = serde_json::to_value(&professional).unwrap();
        assert_eq!(wire["claim_form"], "837P");
        assert_eq!(wire["type_of_bill"], serde_json::Value::Null);
        assert_eq!(wire["condition_codes"], serde_json::json!([]));
        assert_eq!(wire["charge_per_day"], "1250.00");
    }

    #[test]
    fn a_three_digit_type_of_bill_gets_its_leading_zero() {
        let mut input = valid();
        input.type_of_bill = Some("131".into());
        let ClaimSetup::Institutional { type_of_bill, .. } = input.parse().unwrap().claim else {
            panic!("837I by default")
        };
        assert_eq!(type_of_bill.as_str(), "0131");
        for bad in ["1131", "13", "01311", "013A", " 131"] {
            assert!(TypeOfBill::parse(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_missing_field_is_named() {
        assert_eq!(
            bad_fields(FeeScheduleInput::default().parse()),
            [
                "payer_id",
                "level_of_care",
                "program",
                "revenue_code",
                "effective_from",
                "type_of_bill"
            ]
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Change = fn(&mut FeeScheduleInput);
        let cases: Vec<(Change, &str)> = vec![
            (|i| i.payer_id = Some("42".into()), "payer_id"),
            (|i| i.level_of_care = Some("RTC".into()), "level_of_care"),
            (|i| i.program = Some("eating_disorder".into()), "program"),
            (|i| i.revenue_code = Some("905".into()), "revenue_code"),
            (|i| i.revenue_code = Some("09O5".into()), "revenue_code"),
            (|i| i.hcpcs = Some("S948".into()), "hcpcs"),
            (|i| i.hcpcs = Some("s9480".into()), "hcpcs"),
            (|i| i.hcpcs = Some("SS480".into()), "hcpcs"),
            (
                |i| i.modifiers = Some(vec!["HQ".into(), "H".into()]),
                "modifiers[1]",
            ),
            (
                |i| i.modifiers = Some(vec!["HQ".into(), "HQ".into()]),
                "modifiers[1]",
            ),
            (
                |i| {
                    i.modifiers = Some(vec![
                        "U1".into(),
                        "U2".into(),
                        "U3".into(),
                        "U4".into(),
                        "U5".into(),
                    ])
                },
                "modifiers",
            ),
            (
                |i| i.charge_per_day = Some("12.345".into()),
                "charge_per_day",
            ),
            (
                |i| i.charge_per_day = Some("-1.00".into()),
                "charge_per_day",
            ),
            (|i| i.charge_per_day = Some("abc".into()), "charge_per_day"),
            (|i| i.charge_per_day = Some("0.00".into()), "charge_per_day"),
            (
                |i| i.charge_per_day = Some("100000000.00".into()),
                "charge_per_day",
            ),
            (
                |i| i.allowed_per_day = Some("-0.01".into()),
                "allowed_per_day",
            ),
            (
                |i| i.effective_from = Some("2026-1-1".into()),
                "effective_from",
            ),
            (
                |i| i.effective_to = Some("2025-12-31".into()),
                "effective_to",
            ),
            (|i| i.claim_form = Some("UB04".into()), "claim_form"),
            (
                |i| i.place_of_service = Some("57".into()),
                "place_of_service",
            ),
            (|i| i.type_of_bill = Some("13".into()), "type_of_bill"),
            (|i| i.type_of_bill = None, "type_of_bill"),
            (
                |i| i.condition_codes = Some(vec!["9".into()]),
                "condition_codes[0]",
            ),
            (
                |i| i.condition_codes = Some(vec!["41".into(); 25]),
                "condition_codes",
            ),
            (|i| i.notes = Some("x".repeat(2001)), "notes"),
        ];
        for (change, field) in cases {
            let mut input = valid();
            change(&mut input);
            let fields = bad_fields(input.parse());
            assert!(
                fields.iter().any(|f| f == field),
                "{field} should be named: {fields:?}"
            );
            assert!(
                fields
                    .iter()
                    .all(|f| f.starts_with(field.split('[').next().unwrap())),
                "only {field} should be named: {fields:?}"
            );
        }
    }

    #[test]
    fn a_professional_claim_needs_a_place_of_service_and_no_institutional_codes() {
        let mut missing = professional();
        missing.place_of_service = None;
        assert_eq!(bad_fields(missing.parse()), ["place_of_service"]);

        let mut institutional_codes = professional();
        institutional_codes.type_of_bill = Some("0131".into());
        institutional_codes.condition_codes = Some(vec!["92".into()]);
        assert_eq!(
            bad_fields(institutional_codes.parse()),
            ["type_of_bill", "condition_codes"]
        );

        let mut no_procedure = professional();
        no_procedure.hcpcs = None;
        assert_eq!(bad_fields(no_procedure.parse()), ["hcpcs"]);

        let mut bad_place = professional();
        bad_place.place_of_service = Some("5A".into());
        assert_eq!(bad_fields(bad_place.parse()), ["place_of_service"]);
    }

    #[test]
    fn an_institutional_schedule_may_go_by_its_revenue_code_alone_but_without_modifiers() {
        let mut revenue_code_only = valid();
        revenue_code_only.hcpcs = None;
        assert_eq!(revenue_code_only.clone().parse().unwrap().hcpcs, None);

        revenue_code_only.modifiers = Some(vec!["HQ".into()]);
        assert_eq!(bad_fields(revenue_code_only.parse()), ["modifiers"]);
    }

    #[test]
    fn the_charge_per_day_and_the_hcpcs_may_be_absent_and_stay_absent() {
        let mut per_service = valid();
        per_service.charge_per_day = None;
        per_service.hcpcs = None;
        per_service.allowed_per_day = Some("400.00".into());
        let schedule = per_service.parse().unwrap();
        assert_eq!(schedule.charge_per_day, None);
        assert_eq!(schedule.hcpcs, None);
        let wire = serde_json::to_value(&schedule).unwrap();
        assert_eq!(wire["charge_per_day"], serde_json::Value::Null);
        assert_eq!(FeeScheduleInput::from(&schedule).parse().unwrap(), schedule);
        // Stated, it is still above 0.
        let mut zero = valid();
        zero.charge_per_day = Some("0.00".into());
        assert_eq!(bad_fields(zero.parse()), ["charge_per_day"]);
    }

    #[test]
    fn allowed_may_be_zero_or_above_the_charge() {
        for allowed in ["0", "0.00", "1500.00"] {
            let mut input = valid();
            input.allowed_per_day = Some(allowed.into());
            assert!(input.parse().is_ok(), "{allowed}");
        }
    }

    fn schedule(level: &str, program: &str, from: &str, to: Option<&str>) -> NewFeeSchedule {
        let mut input = valid();
        input.level_of_care = Some(level.into());
        input.program = Some(program.into());
        input.effective_from = Some(from.into());
        input.effective_to = to.map(Into::into);
        input.parse().unwrap()
    }

    #[test]
    fn the_schedule_in_force_is_found_at_its_boundaries_and_not_in_a_gap() {
        let schedules = [
            schedule("IOP", "mental_health", "2025-01-01", Some("2025-12-31")),
            schedule("IOP", "mental_health", "2026-02-01", None),
            schedule("PHP", "mental_health", "2025-01-01", None),
            schedule("IOP", "substance_use", "2025-06-01", Some("2025-06-30")),
        ];
        let find = |level, program, day: &str| {
            in_force(&schedules, level, program, date(day)).map(|s| s.period.from.to_string())
        };
        use LevelOfCare::*;
        use Program::*;
        assert_eq!(
            find(Iop, MentalHealth, "2024-12-31"),
            None,
            "before the first"
        );
        assert_eq!(
            find(Iop, MentalHealth, "2025-01-01").as_deref(),
            Some("2025-01-01"),
            "first day"
        );
        assert_eq!(
            find(Iop, MentalHealth, "2025-12-31").as_deref(),
            Some("2025-01-01"),
            "last day"
        );
        assert_eq!(find(Iop, MentalHealth, "2026-01-15"), None, "the gap");
        assert_eq!(
            find(Iop, MentalHealth, "2026-02-01").as_deref(),
            Some("2026-02-01")
        );
        assert_eq!(
            find(Iop, MentalHealth, "2099-12-31").as_deref(),
            Some("2026-02-01"),
            "open end"
        );
        assert_eq!(
            find(Php, MentalHealth, "2026-01-15").as_deref(),
            Some("2025-01-01"),
            "another level has its own"
        );
        assert_eq!(
            find(Iop, SubstanceUse, "2025-06-30").as_deref(),
            Some("2025-06-01")
        );
        assert_eq!(find(Iop, SubstanceUse, "2025-07-01"), None);
        assert_eq!(find(Php, SubstanceUse, "2025-06-15"), None);
        let none: [NewFeeSchedule; 0] = [];
        assert!(in_force(&none, Iop, MentalHealth, date("2025-06-15")).is_none());
    }

    #[test]
    fn periods_overlap_when_they_share_a_day_and_open_ends_run_forever() {
        let period = |from: &str, to: Option<&str>| Period {
            from: date(from),
            to: to.map(date),
        };
        let year = period("2026-01-01", Some("2026-12-31"));
        assert!(year.overlaps(&period("2026-12-31", None)));
        assert!(year.overlaps(&period("2025-01-01", Some("2026-01-01"))));
        assert!(!year.overlaps(&period("2027-01-01", None)), "adjacent");
        assert!(
            !year.overlaps(&period("2025-01-01", Some("2025-12-31"))),
            "adjacent"
        );
        assert!(period("2020-01-01", None).overlaps(&period("2030-01-01", None)));
        assert!(!period("2030-01-01", None).overlaps(&year));
        assert!(period("2026-06-01", None).overlaps(&year));
    }

    #[test]
    fn only_the_same_payer_level_and_program_conflict() {
        let a = schedule("IOP", "mental_health", "2026-01-01", None);
        let php = schedule("PHP", "mental_health", "2026-01-01", None);
        let sud = schedule("IOP", "substance_use", "2026-01-01", None);
        let mut other_payer = a.clone();
        other_payer.payer_id = Uuid::nil();
        let later = schedule("IOP", "mental_health", "2027-01-01", None);
        let stored = [php, sud, other_payer];
        assert!(first_overlap(&stored, &a).is_none());
        let stored = [later.clone()];
        assert_eq!(first_overlap(&stored, &a), Some(&later));
    }

    #[test]
    fn payer_level_and_program_are_fixed() {
        let stored = valid().parse().unwrap();
        let mut next = stored.clone();
        next.charge_per_day = Some(Money::parse("1300").unwrap());
        next.period.to = Some(date("2026-06-30"));
        assert!(fixed_changes(&stored, &next).is_ok());
        next.level_of_care = LevelOfCare::Php;
        next.program = Program::SubstanceUse;
        let fields: Vec<String> = fixed_changes(&stored, &next)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["level_of_care", "program"]);
    }
}
