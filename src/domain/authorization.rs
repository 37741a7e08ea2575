//! Prior authorizations: a payer's approval of days at one level of care (IOP or PHP) over a
//! date range, and the concurrent reviews that extend it (domain reference §5 and §9).
//!
//! What this module owns:
//! - parsing an authorization and an extension from the wire ([`AuthorizationInput`],
//!   [`ExtensionInput`]), every field error at once;
//! - the status machine ([`AuthorizationStatus::change_to`]): `pending` becomes `approved`,
//!   `partially_approved` or `denied`; an approval (whole or partial) becomes `expired`;
//!   `denied` and `expired` are final;
//! - which terms may still be corrected ([`revise`]): while pending, all but the client and the
//!   coverage; once the payer has decided, the days and the end date change only through an
//!   extension (a concurrent review), and the other terms not at all;
//! - the current figures ([`current`]): the initial days plus every extension's days, and the
//!   latest extension's new end date (or the initial one). The initial decision and the
//!   extensions are history, never rewritten; the current figures are always derived from them;
//! - the overlap rule ([`Window::overlaps`]): two approved or partially approved authorizations
//!   for the same client, coverage and level of care must not cover the same day, or a day of
//!   attendance could be billed against either. A step-down from PHP to IOP is a new
//!   authorization at the other level and never conflicts.
//!
//! Days used and days remaining are deliberately absent. They are derived from attendance —
//! the billable attended days at this level inside the current window, and the current days
//! approved less those — which the next change (attendance and its ledger) adds, together with
//! the `days_used`, `days_remaining` and `used_days` members of the authorization. Until that
//! ledger exists the API does not show them at all, rather than show a figure that would look
//! real and be wrong.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::dates::parse_service_date;
use super::eligibility::{LevelOfCare, Program};
use super::ids::parse_id;
use super::patterns::{matching, PAYER_REFERENCE_RE};
use super::person::Phone;
use super::text::{Note, SafeText};
use super::validation::{FieldError, Fields, Invalid};

/// The most days one decision (the initial one, or one extension) may grant: far above any
/// real IOP or PHP authorization, low enough to catch a slip of the keyboard.
pub const MAX_DAYS: u32 = 1000;
pub const NOTES_MAX: usize = 2000;
/// A person's name as X12 NM103 carries it (60 characters).
pub const CARE_MANAGER_NAME_MAX: usize = 60;

/// A payer's reference number: the authorization number (sent in 2300 REF*G1 on claims) or the
/// number of a concurrent review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PayerReference(String);

impl PayerReference {
    pub fn parse(raw: String) -> Result<PayerReference, String> {
        matching(
            raw,
            &PAYER_REFERENCE_RE,
            "must be 1 to 50 printable characters, without leading or trailing spaces and \
             without * ~ : ^ | (reserved by X12)",
        )
        .map(PayerReference)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationStatus {
    /// Requested; the payer has not decided. The terms may still be corrected.
    Pending,
    Approved,
    /// Approved for less than was asked (fewer days, a shorter window).
    PartiallyApproved,
    Denied,
    /// An approval that no longer applies.
    Expired,
}

impl AuthorizationStatus {
    pub const ALL: [AuthorizationStatus; 5] = [
        AuthorizationStatus::Pending,
        AuthorizationStatus::Approved,
        AuthorizationStatus::PartiallyApproved,
        AuthorizationStatus::Denied,
        AuthorizationStatus::Expired,
    ];

    pub fn parse(raw: &str) -> Result<AuthorizationStatus, String> {
        AuthorizationStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| {
                "must be pending, approved, partially_approved, denied or expired".to_string()
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationStatus::Pending => "pending",
            AuthorizationStatus::Approved => "approved",
            AuthorizationStatus::PartiallyApproved => "partially_approved",
            AuthorizationStatus::Denied => "denied",
            AuthorizationStatus::Expired => "expired",
        }
    }

    /// Approved in whole or in part: its days may be billed, it may be extended, and its window
    /// must not overlap another's.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            AuthorizationStatus::Approved | AuthorizationStatus::PartiallyApproved
        )
    }

    /// The statuses this one may become.
    pub fn next(self) -> &'static [AuthorizationStatus] {
        use AuthorizationStatus::*;
        match self {
            Pending => &[Approved, PartiallyApproved, Denied],
            Approved | PartiallyApproved => &[Expired],
            Denied | Expired => &[],
        }
    }

    /// Whether this status may become `to`. Staying the same is no change (a merge patch may
    /// repeat the status it read).
    pub fn change_to(self, to: AuthorizationStatus) -> Result<(), Transition> {
        if self == to || self.next().contains(&to) {
            Ok(())
        } else {
            Err(Transition { from: self, to })
        }
    }
}

/// A status change the machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: AuthorizationStatus,
    pub to: AuthorizationStatus,
}

impl Transition {
    pub fn explain(&self) -> String {
        let (from, to) = (self.from.as_str(), self.to.as_str());
        match self.from.next() {
            [] => format!("An authorization that is {from} is final; it cannot become {to}."),
            next => {
                let next: Vec<&str> = next.iter().map(|s| s.as_str()).collect();
                format!(
                    "An authorization that is {from} can become {}, not {to}.",
                    next.join(" or ")
                )
            }
        }
    }
}

/// The days an authorization covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Window {
    pub fn overlaps(&self, other: &Window) -> bool {
        self.start <= other.end && other.start <= self.end
    }
}

/// What the payer has granted: a number of days, to be used by a last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub days_approved: u32,
    pub end_date: NaiveDate,
}

/// The figures in force: the initial decision, then every extension in the order it was
/// recorded — its days added, and its new end date when it gave one.
pub fn current<'a>(
    initial: Figures,
    extensions: impl IntoIterator<Item = &'a Extension>,
) -> Figures {
    extensions
        .into_iter()
        .fold(initial, |figures, extension| Figures {
            // Each decision grants at most MAX_DAYS; no count of reviews reaches u32::MAX days.
            days_approved: figures.days_approved.saturating_add(extension.days_added),
            end_date: extension.new_end_date.unwrap_or(figures.end_date),
        })
}

/// An authorization's terms as recorded. `days_approved` and `end_date` are the payer's
/// initial decision; see [`current`] for the figures in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuthorization {
    pub client_id: Uuid,
    pub coverage_id: Uuid,
    pub level_of_care: LevelOfCare,
    pub program: Program,
    pub authorization_number: PayerReference,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub days_approved: u32,
    pub status: AuthorizationStatus,
    pub next_review_date: Option<NaiveDate>,
    pub care_manager_name: Option<SafeText>,
    pub care_manager_phone: Option<Phone>,
    pub notes: Option<Note>,
}

impl NewAuthorization {
    pub fn initial(&self) -> Figures {
        Figures {
            days_approved: self.days_approved,
            end_date: self.end_date,
        }
    }
}

/// An authorization as it arrives on the wire (and as a PATCH is merged onto).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationInput {
    pub client_id: Option<String>,
    pub coverage_id: Option<String>,
    pub level_of_care: Option<String>,
    pub program: Option<String>,
    pub authorization_number: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub days_approved: Option<i64>,
    pub status: Option<String>,
    pub next_review_date: Option<String>,
    pub care_manager_name: Option<String>,
    pub care_manager_phone: Option<String>,
    pub notes: Option<String>,
}

fn parse_days(raw: i64) -> Result<u32, String> {
    u32::try_from(raw)
        .ok()
        .filter(|days| *days <= MAX_DAYS)
        .ok_or_else(|| format!("must be a whole number of days from 0 to {MAX_DAYS}"))
}

impl AuthorizationInput {
    /// The rules of the fields and between them. Whether the client and the coverage exist and
    /// belong together needs the database; the caller checks it.
    pub fn parse(self) -> Result<NewAuthorization, Invalid> {
        let mut fields = Fields::new();
        let id = |raw: String| parse_id(&raw);
        let client_id = fields.required("client_id", self.client_id, id);
        let coverage_id = fields.required("coverage_id", self.coverage_id, id);
        let level_of_care = fields.required("level_of_care", self.level_of_care, |raw| {
            LevelOfCare::parse(&raw)
        });
        let program = fields.required("program", self.program, |raw| Program::parse(&raw));
        let authorization_number = fields.required(
            "authorization_number",
            self.authorization_number,
            PayerReference::parse,
        );
        let start_date = fields.required("start_date", self.start_date, |raw| {
            parse_service_date(&raw)
        });
        let end_date = fields.required("end_date", self.end_date, |raw| parse_service_date(&raw));
        let days_approved = fields.required("days_approved", self.days_approved, parse_days);
        let status = fields.required("status", self.status, |raw| {
            AuthorizationStatus::parse(&raw)
        });
        let next_review_date = fields.optional("next_review_date", self.next_review_date, |raw| {
            parse_service_date(&raw)
        });
        let care_manager_name =
            fields.optional("care_manager_name", self.care_manager_name, |raw| {
                SafeText::parse(&raw, CARE_MANAGER_NAME_MAX)
            });
        let care_manager_phone =
            fields.optional("care_manager_phone", self.care_manager_phone, Phone::parse);
        let notes = fields.optional("notes", self.notes, |raw| Note::parse(&raw, NOTES_MAX));
        if let (Some(start), Some(end)) = (start_date, end_date) {
            if end < start {
                fields.push("end_date", "must not be before start_date");
            }
        }
        if let (Some(start), Some(Some(review))) = (start_date, next_review_date) {
            if review < start {
                fields.push("next_review_date", "must not be before start_date");
            }
        }
        if let (Some(0), Some(status)) = (days_approved, status) {
            if status.is_active() {
                fields.push(
                    "days_approved",
                    format!("must be at least 1 when the status is {}", status.as_str()),
                );
            }
        }
        fields.finish_with(|| {
            let (
                client_id,
                coverage_id,
                level_of_care,
                program,
                authorization_number,
                start_date,
                end_date,
                days_approved,
                status,
                next_review_date,
                care_manager_name,
                care_manager_phone,
                notes,
            ) = (
                client_id?,
                coverage_id?,
                level_of_care?,
                program?,
                authorization_number?,
                start_date?,
                end_date?,
                days_approved?,
                status?,
                next_review_date?,
                care_manager_name?,
                care_manager_phone?,
                notes?,
            );
            Some(NewAuthorization {
                client_id,
                coverage_id,
                level_of_care,
                program,
                authorization_number,
                start_date,
                end_date,
                days_approved,
                status,
                next_review_date,
                care_manager_name,
                care_manager_phone,
                notes,
            })
        })
    }

    /// [`parse`](Self::parse) for an authorization being recorded: it starts as the request
    /// or as the payer's decision, never as `expired` (which only an approval becomes).
    pub fn parse_new(self) -> Result<NewAuthorization, Invalid> {
        let expired = self.status.as_deref() == Some(AuthorizationStatus::Expired.as_str());
        match (self.parse(), expired) {
            (parsed, false) => parsed,
            (parsed, true) => {
                let mut errors = parsed.err().map(|invalid| invalid.0).unwrap_or_default();
                errors.push(FieldError::new(
                    "status",
                    "must be pending, approved, partially_approved or denied for a new \
                     authorization (only an approval becomes expired)",
                ));
                Err(Invalid(errors))
            }
        }
    }
}

impl From<&NewAuthorization> for AuthorizationInput {
    fn from(terms: &NewAuthorization) -> AuthorizationInput {
        AuthorizationInput {
            client_id: Some(terms.client_id.to_string()),
            coverage_id: Some(terms.coverage_id.to_string()),
            level_of_care: Some(terms.level_of_care.as_str().to_string()),
            program: Some(terms.program.as_str().to_string()),
            authorization_number: Some(terms.authorization_number.as_str().to_string()),
            start_date: Some(terms.start_date.to_string()),
            end_date: Some(terms.end_date.to_string()),
            days_approved: Some(i64::from(terms.days_approved)),
            status: Some(terms.status.as_str().to_string()),
            next_review_date: terms.next_review_date.map(|d| d.to_string()),
            care_manager_name: terms.care_manager_name.as_ref().map(ToString::to_string),
            care_manager_phone: terms
                .care_manager_phone
                .as_ref()
                .map(|p| p.as_str().to_string()),
            notes: terms.notes.as_ref().map(|n| n.as_str().to_string()),
        }
    }
}

/// Why a correction of a stored authorization is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionError {
    /// Terms that may no longer change (a 422 naming each).
    Fixed(Invalid),
    /// A status change the machine does not allow (a 409).
    Transition(Transition),
}

/// Checks `next` — the stored authorization `stored` with a patch merged in — and returns the
/// terms to store.
///
/// The client and the coverage never change. While the authorization is pending, every other
/// term may be corrected. Once the payer has decided, the level of care, program and start
/// date are fixed, and the days and the end date move only by an extension. A patch may repeat
/// a fixed value as the API shows it — `days_approved` and `end_date` either as first decided
/// or as currently in force (`now`) — and that is no change: the initial decision is kept.
pub fn revise(
    stored: &NewAuthorization,
    now: Figures,
    next: NewAuthorization,
) -> Result<NewAuthorization, RevisionError> {
    let mut fields = Fields::new();
    if next.client_id != stored.client_id {
        fields.push(
            "client_id",
            "cannot be changed: an authorization stays with the client it was recorded for",
        );
    }
    if next.coverage_id != stored.coverage_id {
        fields.push(
            "coverage_id",
            "cannot be changed: record a new authorization for the other coverage",
        );
    }
    let decided = stored.status != AuthorizationStatus::Pending;
    if decided {
        let status = stored.status.as_str();
        let fixed = format!(
            "cannot be changed once the payer has decided (status {status}); record a new \
             authorization instead"
        );
        for (field, changed) in [
            ("level_of_care", next.level_of_care != stored.level_of_care),
            ("program", next.program != stored.program),
            ("start_date", next.start_date != stored.start_date),
        ] {
            if changed {
                fields.push(field, fixed.clone());
            }
        }
        let extend = if stored.status.is_active() {
            format!(
                "cannot be changed once the authorization is {status}: record an extension \
                 (POST /api/v1/authorizations/{{id}}/extensions) to add days or move the end date"
            )
        } else {
            format!("cannot be changed once the payer has decided (status {status})")
        };
        let days = next.days_approved;
        if days != stored.days_approved && days != now.days_approved {
            fields.push("days_approved", extend.clone());
        }
        if next.end_date != stored.end_date && next.end_date != now.end_date {
            fields.push("end_date", extend);
        }
    }
    fields.finish().map_err(RevisionError::Fixed)?;
    stored
        .status
        .change_to(next.status)
        .map_err(RevisionError::Transition)?;
    Ok(if decided {
        NewAuthorization {
            days_approved: stored.days_approved,
            end_date: stored.end_date,
            ..next
        }
    } else {
        next
    })
}

/// A concurrent review's decision: more days, a later end date, or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    /// The day the payer decided.
    pub effective_date: NaiveDate,
    /// The payer's number for the review, when it gave one.
    pub reference: Option<PayerReference>,
    pub days_added: u32,
    pub new_end_date: Option<NaiveDate>,
    pub notes: Option<Note>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionInput {
    pub effective_date: Option<String>,
    pub reference: Option<String>,
    pub days_added: Option<i64>,
    pub new_end_date: Option<String>,
    pub notes: Option<String>,
}

impl ExtensionInput {
    /// The extension's own rules; [`Extension::continues`] adds the one that needs the
    /// authorization.
    pub fn parse(self) -> Result<Extension, Invalid> {
        let mut fields = Fields::new();
        let effective_date = fields.required("effective_date", self.effective_date, |raw| {
            parse_service_date(&raw)
        });
        let reference = fields.optional("reference", self.reference, PayerReference::parse);
        let days_added = fields
            .optional("days_added", self.days_added, parse_days)
            .map(|days| days.unwrap_or(0));
        let new_end_date = fields.optional("new_end_date", self.new_end_date, |raw| {
            parse_service_date(&raw)
        });
        let notes = fields.optional("notes", self.notes, |raw| Note::parse(&raw, NOTES_MAX));
        if let (Some(0), Some(None)) = (days_added, new_end_date) {
            fields.push(
                "days_added",
                "must be at least 1 when no new_end_date is given: an extension adds days, \
                 moves the end date, or both",
            );
        }
        fields.finish_with(|| {
            let (effective_date, reference, days_added, new_end_date, notes) = (
                effective_date?,
                reference?,
                days_added?,
                new_end_date?,
                notes?,
            );
            Some(Extension {
                effective_date,
                reference,
                days_added,
                new_end_date,
                notes,
            })
        })
    }
}

impl From<&Extension> for ExtensionInput {
    fn from(extension: &Extension) -> ExtensionInput {
        ExtensionInput {
            effective_date: Some(extension.effective_date.to_string()),
            reference: extension.reference.as_ref().map(|r| r.as_str().to_string()),
            days_added: Some(i64::from(extension.days_added)),
            new_end_date: extension.new_end_date.map(|d| d.to_string()),
            notes: extension.notes.as_ref().map(|n| n.as_str().to_string()),
        }
    }
}

impl Extension {
    /// An extension continues the authorization as it stands (`now`): its new end date, when
    /// it gives one, is not before the current end date.
    pub fn continues(&self, now: Figures) -> Result<(), Invalid> {
        match self.new_end_date {
            Some(end) if end < now.end_date => Err(Invalid::one(
                "new_end_date",
                format!("must not be before the current end date, {}", now.end_date),
            )),
            _ => Ok(()),
        }
    }

    /// Whether this extension moves the end date later than `now` (and so needs the overlap
    /// check).
    pub fn moves_end(&self, now: Figures) -> bool {
        self.new_end_date.is_some_and(|end| end > now.end_date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::parse_date;

    fn date(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    fn valid() -> AuthorizationInput {
        AuthorizationInput {
            client_id: Some("0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10".into()),
            coverage_id: Some("0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a11".into()),
            level_of_care: Some("PHP".into()),
            program: Some("mental_health".into()),
            authorization_number: Some("AUTH-2026-0042".into()),
            start_date: Some("2026-03-02".into()),
            end_date: Some("2026-03-13".into()),
            days_approved: Some(10),
            status: Some("approved".into()),
            ..AuthorizationInput::default()
        }
    }

    fn bad_fields(result: Result<NewAuthorization, Invalid>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    fn extension(days_added: u32, new_end_date: Option<&str>) -> Extension {
        Extension {
            effective_date: date("2026-03-10"),
            reference: None,
            days_added,
            new_end_date: new_end_date.map(date),
            notes: None,
        }
    }

    #[test]
    fn an_authorization_parses_and_round_trips() {
        let mut input = valid();
        input.care_manager_name = Some(" Dana Whitfield ".into());
        input.care_manager_phone = Some("1 (512) 555-0100".into());
        input.next_review_date = Some("2026-03-09".into());
        input.notes = Some("Reviewer asked for the\nweekly progress note.".into());
        let authorization = input.parse_new().unwrap();
        assert_eq!(authorization.level_of_care, LevelOfCare::Php);
        assert_eq!(
            authorization.care_manager_name.as_ref().unwrap().as_str(),
            "Dana Whitfield"
        );
        assert_eq!(
            authorization.care_manager_phone.as_ref().unwrap().as_str(),
            "5125550100"
        );
        let again = AuthorizationInput::from(&authorization).parse().unwrap();
        assert_eq!(again, authorization);
    }

    #[test]
    fn every_missing_field_is_named() {
        assert_eq!(
            bad_fields(AuthorizationInput::default().parse()),
            [
                "client_id",
                "coverage_id",
                "level_of_care",
                "program",
                "authorization_number",
                "start_date",
                "end_date",
                "days_approved",
                "status"
            ]
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Change = fn(&mut AuthorizationInput);
        let cases: Vec<(Change, &str)> = vec![
            (|i| i.client_id = Some("42".into()), "client_id"),
            (|i| i.level_of_care = Some("RTC".into()), "level_of_care"),
            (|i| i.program = Some("eating_disorder".into()), "program"),
            (
                |i| i.authorization_number = Some("A*1".into()),
                "authorization_number",
            ),
            (
                |i| i.authorization_number = Some(" A1".into()),
                "authorization_number",
            ),
            (
                |i| i.authorization_number = Some("A".repeat(51)),
                "authorization_number",
            ),
            (|i| i.start_date = Some("2026-3-2".into()), "start_date"),
            (|i| i.end_date = Some("2026-03-01".into()), "end_date"),
            (|i| i.days_approved = Some(-1), "days_approved"),
            (|i| i.days_approved = Some(1001), "days_approved"),
            (|i| i.days_approved = Some(0), "days_approved"),
            (|i| i.status = Some("granted".into()), "status"),
            (
                |i| i.next_review_date = Some("2026-03-01".into()),
                "next_review_date",
            ),
            (
                |i| i.care_manager_name = Some("A^B".into()),
                "care_manager_name",
            ),
            (
                |i| i.care_manager_phone = Some("555-01".into()),
                "care_manager_phone",
            ),
            (|i| i.notes = Some("x".repeat(2001)), "notes"),
        ];
        for (change, field) in cases {
            let mut input = valid();
            change(&mut input);
            assert_eq!(bad_fields(input.parse()), [field]);
        }
    }

    #[test]
    fn authorization_numbers_take_printable_text_without_x12_separators() {
        for good in ["A1", "PA 2026/00042-B", "#12.x(3)", &"9".repeat(50)] {
            assert!(PayerReference::parse(good.to_string()).is_ok(), "{good}");
        }
        for bad in [
            "", " A1", "A1 ", "A*1", "A~1", "A:1", "A^1", "A|1", "A\t1", "Ä1",
        ] {
            assert!(PayerReference::parse(bad.to_string()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn zero_days_is_only_for_a_request_or_a_denial() {
        for status in ["pending", "denied"] {
            let mut input = valid();
            input.status = Some(status.into());
            input.days_approved = Some(0);
            assert_eq!(input.parse().unwrap().days_approved, 0);
        }
    }

    #[test]
    fn a_new_authorization_is_not_expired() {
        let mut input = valid();
        input.status = Some("expired".into());
        assert!(input.clone().parse().is_ok(), "a stored one may be");
        assert_eq!(bad_fields(input.clone().parse_new()), ["status"]);
        input.program = None;
        assert_eq!(bad_fields(input.parse_new()), ["program", "status"]);
    }

    #[test]
    fn the_status_machine_allows_only_its_steps() {
        use AuthorizationStatus::*;
        let allowed = [
            (Pending, Approved),
            (Pending, PartiallyApproved),
            (Pending, Denied),
            (Approved, Expired),
            (PartiallyApproved, Expired),
        ];
        for from in AuthorizationStatus::ALL {
            for to in AuthorizationStatus::ALL {
                let ok = from == to || allowed.contains(&(from, to));
                assert_eq!(from.change_to(to).is_ok(), ok, "{from:?} -> {to:?}");
            }
        }
        let final_ = Denied.change_to(Approved).unwrap_err().explain();
        assert_eq!(
            final_,
            "An authorization that is denied is final; it cannot become approved."
        );
        let explained = Approved.change_to(Pending).unwrap_err().explain();
        assert_eq!(
            explained,
            "An authorization that is approved can become expired, not pending."
        );
    }

    #[test]
    fn current_figures_add_the_days_and_take_the_latest_end_date() {
        let initial = Figures {
            days_approved: 10,
            end_date: date("2026-03-13"),
        };
        assert_eq!(current(initial, &[]), initial);
        let reviews = [
            extension(5, Some("2026-03-20")),
            extension(3, None),
            extension(0, Some("2026-03-27")),
        ];
        assert_eq!(
            current(initial, &reviews[..1]),
            Figures {
                days_approved: 15,
                end_date: date("2026-03-20")
            }
        );
        assert_eq!(
            current(initial, &reviews),
            Figures {
                days_approved: 18,
                end_date: date("2026-03-27")
            }
        );
    }

    #[test]
    fn an_extension_adds_days_or_moves_the_end_and_never_back() {
        let parsed = ExtensionInput {
            effective_date: Some("2026-03-10".into()),
            new_end_date: Some("2026-03-20".into()),
            ..ExtensionInput::default()
        }
        .parse()
        .unwrap();
        assert_eq!(parsed.days_added, 0);
        let again = ExtensionInput::from(&parsed).parse().unwrap();
        assert_eq!(again, parsed);

        let nothing = ExtensionInput {
            effective_date: Some("2026-03-10".into()),
            days_added: Some(0),
            ..ExtensionInput::default()
        };
        let fields: Vec<String> = nothing
            .parse()
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["days_added"]);
        let missing = ExtensionInput::default().parse().unwrap_err();
        assert_eq!(missing.0[0].field, "effective_date");

        let now = Figures {
            days_approved: 10,
            end_date: date("2026-03-13"),
        };
        assert!(extension(0, Some("2026-03-13")).continues(now).is_ok());
        assert!(!extension(0, Some("2026-03-13")).moves_end(now));
        assert!(extension(0, Some("2026-03-14")).moves_end(now));
        let back = extension(2, Some("2026-03-12")).continues(now).unwrap_err();
        assert_eq!(back.0[0].field, "new_end_date");
    }

    #[test]
    fn windows_overlap_when_they_share_a_day() {
        let window = |a: &str, b: &str| Window {
            start: date(a),
            end: date(b),
        };
        let march = window("2026-03-01", "2026-03-14");
        assert!(march.overlaps(&window("2026-03-14", "2026-03-20")));
        assert!(march.overlaps(&window("2026-02-01", "2026-03-01")));
        assert!(march.overlaps(&window("2026-03-05", "2026-03-06")));
        assert!(!march.overlaps(&window("2026-03-15", "2026-03-20")));
        assert!(!march.overlaps(&window("2026-02-01", "2026-02-28")));
    }

    fn stored(status: &str) -> NewAuthorization {
        let mut input = valid();
        input.status = Some(status.into());
        input.parse().unwrap()
    }

    #[test]
    fn a_pending_authorization_may_be_corrected_and_then_decided() {
        let pending = stored("pending");
        let mut next = pending.clone();
        next.days_approved = 8;
        next.end_date = date("2026-03-11");
        next.level_of_care = LevelOfCare::Iop;
        next.status = AuthorizationStatus::PartiallyApproved;
        assert_eq!(revise(&pending, pending.initial(), next.clone()), Ok(next));
    }

    #[test]
    fn a_decided_authorizations_days_and_end_change_only_by_extension() {
        let approved = stored("approved");
        let now = current(approved.initial(), &[extension(5, Some("2026-03-20"))]);
        let mut next = approved.clone();
        next.days_approved = 12;
        next.end_date = date("2026-03-31");
        next.start_date = date("2026-03-03");
        let Err(RevisionError::Fixed(invalid)) = revise(&approved, now, next) else {
            panic!("a decided authorization's terms are fixed")
        };
        let fields: Vec<&str> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["start_date", "days_approved", "end_date"]);
        assert!(invalid.0[1].message.contains("record an extension"));

        // Repeating the figures the API shows is no change, and the initial ones are kept.
        let mut echoed = approved.clone();
        echoed.days_approved = now.days_approved;
        echoed.end_date = now.end_date;
        echoed.notes = Some(Note::parse("seen", 10).unwrap());
        let kept = revise(&approved, now, echoed).unwrap();
        assert_eq!(kept.initial(), approved.initial());
        assert!(kept.notes.is_some());
    }

    #[test]
    fn the_client_and_coverage_never_change_and_transitions_are_checked() {
        let pending = stored("pending");
        let mut next = pending.clone();
        next.coverage_id = Uuid::nil();
        let Err(RevisionError::Fixed(invalid)) = revise(&pending, pending.initial(), next) else {
            panic!("the coverage is fixed")
        };
        assert_eq!(invalid.0[0].field, "coverage_id");

        let denied = stored("denied");
        let mut next = denied.clone();
        next.status = AuthorizationStatus::Approved;
        assert_eq!(
            revise(&denied, denied.initial(), next),
            Err(RevisionError::Transition(Transition {
                from: AuthorizationStatus::Denied,
                to: AuthorizationStatus::Approved
            }))
        );
    }
}
