//! A coverage: the client's membership in a payer's plan, as the caller reads it off the card.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ids::PayerId;
use super::names::NameRule;
use super::patterns::{matching, GROUP_NUMBER_RE, MEMBER_ID_RE};
use super::person::{parse_birth_date, parse_date, parse_first_name, parse_last_name, Sex};

/// The earliest date a policy's effective or end date can have.
const FIRST_POLICY_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => panic!("1900-01-01 is a date"),
};
use super::text::SafeText;
use super::validation::{Fields, Invalid};

/// The subscriber's member id (2100C NM109, 2–80 characters). Payers reject punctuation other
/// than `-`, so anything else is refused here rather than at the payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct MemberId(String);

impl MemberId {
    pub fn parse(raw: String) -> Result<MemberId, String> {
        if raw.is_empty() {
            return Err("must not be empty".into());
        }
        matching(
            raw,
            &MEMBER_ID_RE,
            "must be 2 to 80 letters, digits or '-' (payers reject other characters)",
        )
        .map(MemberId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The group or policy number (REF*6P, 1–50 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct GroupNumber(String);

impl GroupNumber {
    pub fn parse(raw: String) -> Result<GroupNumber, String> {
        matching(
            raw,
            &GROUP_NUMBER_RE,
            "must be 1 to 50 letters, digits or '-'",
        )
        .map(GroupNumber)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The client's relationship to the subscriber (the policy holder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    #[serde(rename = "self")]
    Subscriber,
    Spouse,
    Child,
    Other,
}

impl Relationship {
    pub fn parse(raw: String) -> Result<Relationship, String> {
        match raw.as_str() {
            "self" => Ok(Relationship::Subscriber),
            "spouse" => Ok(Relationship::Spouse),
            "child" => Ok(Relationship::Child),
            "other" => Ok(Relationship::Other),
            _ => Err("must be self, spouse, child or other".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Subscriber => "self",
            Relationship::Spouse => "spouse",
            Relationship::Child => "child",
            Relationship::Other => "other",
        }
    }
}

/// Coordination-of-benefits order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Primary,
    Secondary,
    Tertiary,
}

impl Priority {
    pub fn parse(raw: String) -> Result<Priority, String> {
        match raw.as_str() {
            "primary" => Ok(Priority::Primary),
            "secondary" => Ok(Priority::Secondary),
            "tertiary" => Ok(Priority::Tertiary),
            _ => Err("must be primary, secondary or tertiary".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Primary => "primary",
            Priority::Secondary => "secondary",
            Priority::Tertiary => "tertiary",
        }
    }
}

/// The policy holder when that is not the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    pub first_name: SafeText,
    pub last_name: SafeText,
    pub date_of_birth: NaiveDate,
    pub sex: Option<Sex>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
}

impl SubscriberInput {
    fn parse(self, today: NaiveDate, rule: NameRule) -> Result<Subscriber, Invalid> {
        let mut fields = Fields::new();
        let first_name = fields.required("first_name", self.first_name, |raw| {
            parse_first_name(raw, rule)
        });
        let last_name = fields.required("last_name", self.last_name, |raw| {
            parse_last_name(raw, rule)
        });
        let date_of_birth = fields.required("date_of_birth", self.date_of_birth, |raw| {
            parse_birth_date(raw, today)
        });
        let sex = fields.optional("sex", self.sex, Sex::parse);
        fields.finish_with(|| {
            let (first_name, last_name, date_of_birth, sex) =
                (first_name?, last_name?, date_of_birth?, sex?);
            Some(Subscriber {
                first_name,
                last_name,
                date_of_birth,
                sex,
            })
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCoverage {
    /// The payer record (not the EDI payer id).
    pub payer_id: PayerId,
    pub member_id: MemberId,
    pub group_number: Option<GroupNumber>,
    pub plan_name: Option<SafeText>,
    pub relationship: Relationship,
    pub subscriber: Option<Subscriber>,
    pub priority: Priority,
    pub effective_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageInput {
    pub payer_id: Option<String>,
    pub member_id: Option<String>,
    pub group_number: Option<String>,
    pub plan_name: Option<String>,
    pub relationship: Option<String>,
    pub subscriber: Option<SubscriberInput>,
    pub priority: Option<String>,
    pub effective_date: Option<String>,
    pub end_date: Option<String>,
}

impl CoverageInput {
    /// A coverage as staff send it: the policy holder's name must be sendable in X12.
    pub fn parse(self, today: NaiveDate) -> Result<NewCoverage, Invalid> {
        self.parse_under(today, NameRule::Entered)
    }

    /// A coverage read back from the database, the holder's name taken as stored.
    pub fn parse_stored(self, today: NaiveDate) -> Result<NewCoverage, Invalid> {
        self.parse_under(today, NameRule::Stored)
    }

    fn parse_under(self, today: NaiveDate, rule: NameRule) -> Result<NewCoverage, Invalid> {
        let mut fields = Fields::new();
        let payer_id = fields.required("payer_id", self.payer_id, |raw| PayerId::parse(&raw));
        let member_id = fields.required("member_id", self.member_id, MemberId::parse);
        let group_number = fields.optional("group_number", self.group_number, GroupNumber::parse);
        let plan_name =
            fields.optional("plan_name", self.plan_name, |raw| SafeText::parse(&raw, 60));
        let relationship = fields.required("relationship", self.relationship, Relationship::parse);
        let priority = fields.required("priority", self.priority, Priority::parse);
        // A policy can be older than any day we bill (Medicare since 1998), and a stored one
        // must stay readable: its dates only bound the days it covers, which the service-date
        // floor guards. Only a date no policy can have (before 1900, year 0000) is refused.
        let policy_date = |raw: String| {
            let date = parse_date(&raw)?;
            if date < FIRST_POLICY_DATE {
                return Err(format!(
                    "must not be before {FIRST_POLICY_DATE}; check the year"
                ));
            }
            Ok(date)
        };
        let effective_date = fields.optional("effective_date", self.effective_date, policy_date);
        let end_date = fields.optional("end_date", self.end_date, policy_date);
        if let (Some(Some(start)), Some(Some(end))) = (effective_date, end_date) {
            if end < start {
                fields.push("end_date", "must not be before effective_date");
            }
        }
        let subscriber = match (relationship, self.subscriber) {
            (Some(Relationship::Subscriber), None) => Some(None),
            (Some(Relationship::Subscriber), Some(_)) => {
                fields.push(
                    "subscriber",
                    "must be omitted when relationship is self (the client is the subscriber)",
                );
                None
            }
            (Some(_), None) => {
                fields.push(
                    "subscriber",
                    "is required when the client is not the subscriber",
                );
                None
            }
            (_, Some(input)) => match input.parse(today, rule) {
                Ok(subscriber) => Some(Some(subscriber)),
                Err(invalid) => {
                    fields.absorb_under("subscriber", invalid);
                    None
                }
            },
            (None, None) => None,
        };
        fields.finish_with(|| {
            let (
                payer_id,
                member_id,
                group_number,
                plan_name,
                relationship,
                subscriber,
                priority,
                effective_date,
                end_date,
            ) = (
                payer_id?,
                member_id?,
                group_number?,
                plan_name?,
                relationship?,
                subscriber?,
                priority?,
                effective_date?,
                end_date?,
            );
            Some(NewCoverage {
                payer_id,
                member_id,
                group_number,
                plan_name,
                relationship,
                subscriber,
                priority,
                effective_date,
                end_date,
            })
        })
    }
}

impl From<&NewCoverage> for CoverageInput {
    fn from(coverage: &NewCoverage) -> CoverageInput {
        CoverageInput {
            payer_id: Some(coverage.payer_id.to_string()),
            member_id: Some(coverage.member_id.as_str().to_string()),
            group_number: coverage
                .group_number
                .as_ref()
                .map(|g| g.as_str().to_string()),
            plan_name: coverage.plan_name.as_ref().map(ToString::to_string),
            relationship: Some(coverage.relationship.as_str().to_string()),
            subscriber: coverage.subscriber.as_ref().map(|s| SubscriberInput {
                first_name: Some(s.first_name.to_string()),
                last_name: Some(s.last_name.to_string()),
                date_of_birth: Some(s.date_of_birth.to_string()),
                sex: s.sex.map(|sex| sex.as_str().to_string()),
            }),
            priority: Some(coverage.priority.as_str().to_string()),
            effective_date: coverage.effective_date.map(|d| d.to_string()),
            end_date: coverage.end_date.map(|d| d.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn valid() -> CoverageInput {
        CoverageInput {
            payer_id: Some("0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10".into()),
            member_id: Some("XYZ123456789".into()),
            relationship: Some("self".into()),
            priority: Some("primary".into()),
            effective_date: Some("2026-01-01".into()),
            end_date: Some("2026-12-31".into()),
            ..CoverageInput::default()
        }
    }

    fn bad_fields(input: CoverageInput) -> Vec<String> {
        input
            .parse(today())
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_self_coverage_parses_and_round_trips() {
        let coverage = valid().parse(today()).unwrap();
        assert_eq!(coverage.relationship, Relationship::Subscriber);
        let again = CoverageInput::from(&coverage).parse(today()).unwrap();
        assert_eq!(coverage, again);
    }

    #[test]
    fn member_ids_payers_would_reject_are_refused() {
        for bad in ["", "A", "ABC 123", "ABC*123", "ABC/123"] {
            let mut input = valid();
            input.member_id = Some(bad.into());
            assert_eq!(bad_fields(input), ["member_id"], "{bad:?}");
        }
    }

    #[test]
    fn an_end_date_before_the_start_is_refused() {
        let mut input = valid();
        input.end_date = Some("2025-12-31".into());
        assert_eq!(bad_fields(input), ["end_date"]);
    }

    #[test]
    fn a_dependent_needs_the_subscriber_and_a_self_coverage_must_not_name_one() {
        let mut child = valid();
        child.relationship = Some("child".into());
        assert_eq!(bad_fields(child.clone()), ["subscriber"]);
        child.subscriber = Some(SubscriberInput {
            first_name: Some("Maria".into()),
            last_name: Some("Lopez".into()),
            date_of_birth: Some("2099-01-01".into()),
            sex: None,
        });
        assert_eq!(bad_fields(child), ["subscriber.date_of_birth"]);

        let mut own = valid();
        own.subscriber = Some(SubscriberInput::default());
        assert_eq!(bad_fields(own), ["subscriber"]);
    }
}
