//! The claim builder: from assessed attended days to draft per-diem claims (domain reference
//! §0 "Claim unit", §9). Pure: callers load the facts, this decides; nothing here does I/O.
//!
//! What this module owns:
//! - which attended days in the requested range become claim lines, and why the others are
//!   left out ([`LeftOutReason`]);
//! - how lines are grouped into claims: one claim per client × coverage × level of care ×
//!   authorization × billing period ([`BillingPeriod`]), further split so that a claim never
//!   mixes claim forms (or form-level codes) and never spans two episodes of care;
//! - the line and claim amounts, computed in `Decimal` and rounded only by
//!   [`to_cents`](super::money::to_cents).
//!
//! Decisions:
//! - One line per attended day, one unit (UN*1 / SV104), dated with the day (DTP*472).
//! - A claim takes its form, type of bill or place of service and condition codes from the
//!   schedules of its lines. When schedules inside one group differ in any of these (a new
//!   contract from mid-month, say), the group is **split** into one claim per setup, never
//!   left out: the days are billable and each claim is consistent.
//! - The diagnoses come from the episode covering the first line. Because an episode can end
//!   and another start inside one billing period, the group is also split by episode, so the
//!   diagnoses of a claim hold for all its lines.
//! - `expected_reimbursement` is `None` as soon as one line lacks an allowed amount: a partial
//!   sum would understate what the payer owes and read as a complete figure.
//! - A day already on a live claim is reported `already_billed` whatever its verdict; a day
//!   that is not billable keeps the billable reasons as given; a billable day without a fee
//!   schedule or an episode reports each of those it lacks.
//! - A day whose program is unknown cannot be priced (schedules are per program), so it is
//!   left out with `no_fee_schedule`.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::authorization::PayerReference;
use super::billable::Reason;
use super::eligibility::{LevelOfCare, Program};
use super::episode::{episode_on, Icd10, NewEpisode};
use super::fee_schedule::{in_force, ClaimSetup, Hcpcs, Modifier, NewFeeSchedule, RevenueCode};
use super::money::to_cents;

/// The authorization a day is billed under: its record and the payer's number (2300 REF*G1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRef {
    pub id: Uuid,
    pub number: Option<PayerReference>,
}

/// One attended day with its billable verdict (see [`super::billable::assess`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessedDay {
    pub client_id: Uuid,
    pub date: NaiveDate,
    pub level_of_care: LevelOfCare,
    pub program: Option<Program>,
    pub coverage_id: Option<Uuid>,
    /// The payer record of the coverage (matches [`NewFeeSchedule::payer_id`]).
    pub payer_id: Option<Uuid>,
    pub authorization: Option<AuthorizationRef>,
    pub billable: bool,
    pub reasons: Vec<Reason>,
    /// The live claim the day is already on, if any.
    pub on_claim: Option<Uuid>,
}

/// How billed days are cut into claims over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingPeriod {
    /// ISO week, Monday through Sunday.
    Week,
    /// Calendar month.
    Month,
    /// The whole requested range on one claim.
    Range,
}

impl BillingPeriod {
    pub fn parse(raw: &str) -> Result<BillingPeriod, String> {
        match raw {
            "week" => Ok(BillingPeriod::Week),
            "month" => Ok(BillingPeriod::Month),
            "range" => Ok(BillingPeriod::Range),
            _ => Err("must be week, month or range".into()),
        }
    }

    /// The first and last day of the period holding `date`, inside the request's range.
    fn bounds(self, date: NaiveDate, request: &ClaimRequest) -> (NaiveDate, NaiveDate) {
        match self {
            BillingPeriod::Week => {
                let monday =
                    date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                (monday, monday + Duration::days(6))
            }
            BillingPeriod::Month => {
                let first = date.with_day(1).unwrap_or(date);
                let next = if first.month() == 12 {
                    NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
                };
                (first, next.map_or(date, |n| n - Duration::days(1)))
            }
            BillingPeriod::Range => (
                request.from_date.unwrap_or(NaiveDate::MIN),
                request.through_date,
            ),
        }
    }
}

/// What to bill: the period rule and the range of service dates (both ends included; no
/// start means every earlier day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRequest {
    pub period: BillingPeriod,
    pub from_date: Option<NaiveDate>,
    pub through_date: NaiveDate,
}

impl ClaimRequest {
    fn contains(&self, date: NaiveDate) -> bool {
        self.from_date.is_none_or(|from| from <= date) && date <= self.through_date
    }
}

/// The facts the builder needs besides the days.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Fee schedules of every payer involved (each names its payer).
    pub fee_schedules: Vec<NewFeeSchedule>,
    /// Episodes of care per client.
    pub episodes: BTreeMap<Uuid, Vec<NewEpisode>>,
}

/// One line: one day of service (837I 2400 SV2 / 837P SV1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    pub date: NaiveDate,
    pub program: Program,
    pub revenue_code: RevenueCode,
    pub hcpcs: Option<Hcpcs>,
    pub modifiers: Vec<Modifier>,
    pub units: u32,
    /// charge_per_day × units (SV203 / SV102).
    pub charge: Decimal,
    /// allowed_per_day × units, when the schedule states an allowed amount.
    pub expected: Option<Decimal>,
}

/// A claim ready to be stored and later written as an 837.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftClaim {
    pub client_id: Uuid,
    pub coverage_id: Uuid,
    pub payer_id: Uuid,
    pub level_of_care: LevelOfCare,
    pub authorization_id: Option<Uuid>,
    /// 2300 REF*G1.
    pub authorization_number: Option<PayerReference>,
    /// The billing period the claim belongs to (clipped to the request for `range`).
    pub period_from: NaiveDate,
    pub period_through: NaiveDate,
    /// Statement covers period (837I DTP*434): first to last line date.
    pub statement_from: NaiveDate,
    pub statement_through: NaiveDate,
    /// Form, and type of bill + condition codes (837I) or place of service (837P).
    pub claim: ClaimSetup,
    /// 2300 HI*ABK and HI*ABF.
    pub principal_diagnosis: Icd10,
    pub other_diagnoses: Vec<Icd10>,
    /// In date order.
    pub lines: Vec<ClaimLine>,
    /// CLM02 = Σ line charges.
    pub total_charge: Decimal,
    /// Σ line expected amounts; `None` when any line has no allowed amount.
    pub expected_reimbursement: Option<Decimal>,
}

/// Why an attended day in range is on no new claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeftOutReason {
    /// The billable verdict's own reason, passed through.
    NotBillable(Reason),
    /// No schedule in force for the payer, level of care and program on the date.
    NoFeeSchedule,
    /// No episode of care covers the date.
    NoEpisode,
    /// The day is already on a live claim.
    AlreadyBilled { claim_id: Uuid },
}

impl LeftOutReason {
    pub fn code(&self) -> &'static str {
        match self {
            LeftOutReason::NotBillable(Reason::BelowMinimumMinutes { .. }) => {
                "below_minimum_minutes"
            }
            LeftOutReason::NotBillable(Reason::NoCoverage { .. }) => "no_coverage",
            LeftOutReason::NotBillable(Reason::NoApprovedAuthorization { .. }) => {
                "no_approved_authorization"
            }
            LeftOutReason::NotBillable(Reason::BeyondApprovedDays { .. }) => "beyond_approved_days",
            LeftOutReason::NoFeeSchedule => "no_fee_schedule",
            LeftOutReason::NoEpisode => "no_episode",
            LeftOutReason::AlreadyBilled { .. } => "already_billed",
        }
    }
}

/// An attended day in range that was not billed, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub client_id: Uuid,
    pub date: NaiveDate,
    pub level_of_care: LevelOfCare,
    pub reasons: Vec<LeftOutReason>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Built {
    pub claims: Vec<DraftClaim>,
    pub left_out: Vec<LeftOut>,
}

/// The grouping key, in output order: client, coverage, level, period start, then the splits.
type Key = (
    Uuid,
    Uuid,
    &'static str,
    NaiveDate,
    Option<Uuid>,
    NaiveDate,
    usize,
);

struct Group<'a> {
    payer_id: Uuid,
    level_of_care: LevelOfCare,
    authorization: Option<&'a AuthorizationRef>,
    period: (NaiveDate, NaiveDate),
    episode: &'a NewEpisode,
    lines: Vec<ClaimLine>,
}

/// Builds the draft claims for the days in the request's range. Days outside the range are
/// ignored; every day inside is either on exactly one line or in `left_out`.
pub fn build(days: &[AssessedDay], facts: &Facts, request: &ClaimRequest) -> Built {
    let mut in_range: Vec<&AssessedDay> =
        days.iter().filter(|d| request.contains(d.date)).collect();
    in_range.sort_by_key(|d| (d.client_id, d.date, d.level_of_care.as_str()));

    let mut setups: Vec<&ClaimSetup> = Vec::new();
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    let mut left_out = Vec::new();
    let no_episodes = Vec::new();

    for day in in_range {
        let leave = |reasons| LeftOut {
            client_id: day.client_id,
            date: day.date,
            level_of_care: day.level_of_care,
            reasons,
        };
        if let Some(claim_id) = day.on_claim {
            left_out.push(leave(vec![LeftOutReason::AlreadyBilled { claim_id }]));
            continue;
        }
        let (Some(coverage_id), Some(payer_id), true) =
            (day.coverage_id, day.payer_id, day.billable)
        else {
            let mut reasons: Vec<_> = day
                .reasons
                .iter()
                .cloned()
                .map(LeftOutReason::NotBillable)
                .collect();
            if reasons.is_empty() {
                // Billable but with no coverage to bill: say so rather than drop the day.
                reasons.push(LeftOutReason::NotBillable(Reason::NoCoverage {
                    message: "no coverage to bill on this date".into(),
                }));
            }
            left_out.push(leave(reasons));
            continue;
        };

        let payer_schedules: Vec<&NewFeeSchedule> = facts
            .fee_schedules
            .iter()
            .filter(|s| s.payer_id == payer_id)
            .collect();
        let schedule = day.program.and_then(|program| {
            in_force(&payer_schedules, day.level_of_care, program, day.date).copied()
        });
        let episodes = facts.episodes.get(&day.client_id).unwrap_or(&no_episodes);
        let episode = episode_on(episodes, day.date);
        let (Some(schedule), Some(episode)) = (schedule, episode) else {
            let mut reasons = Vec::new();
            if schedule.is_none() {
                reasons.push(LeftOutReason::NoFeeSchedule);
            }
            if episode.is_none() {
                reasons.push(LeftOutReason::NoEpisode);
            }
            left_out.push(leave(reasons));
            continue;
        };

        let setup = match setups.iter().position(|s| **s == schedule.claim) {
            Some(index) => index,
            None => {
                setups.push(&schedule.claim);
                setups.len() - 1
            }
        };
        let period = request.period.bounds(day.date, request);
        let authorization = day.authorization.as_ref();
        let key = (
            day.client_id,
            coverage_id,
            day.level_of_care.as_str(),
            period.0,
            authorization.map(|a| a.id),
            episode.admission_date,
            setup,
        );
        let units = 1u32;
        let line = ClaimLine {
            date: day.date,
            program: schedule.program,
            revenue_code: schedule.revenue_code.clone(),
            hcpcs: schedule.hcpcs.clone(),
            modifiers: schedule.modifiers.clone(),
            units,
            charge: to_cents(schedule.charge_per_day.amount() * Decimal::from(units)),
            expected: schedule
                .allowed_per_day
                .map(|allowed| to_cents(allowed.amount() * Decimal::from(units))),
        };
        groups
            .entry(key)
            .or_insert_with(|| Group {
                payer_id,
                level_of_care: day.level_of_care,
                authorization,
                period,
                episode,
                lines: Vec::new(),
            })
            .lines
            .push(line);
    }

    let claims = groups
        .into_iter()
        .map(|((client_id, coverage_id, .., setup), group)| {
            finish(client_id, coverage_id, setups[setup], group, request)
        })
        .collect();
    Built { claims, left_out }
}

fn finish(
    client_id: Uuid,
    coverage_id: Uuid,
    setup: &ClaimSetup,
    mut group: Group,
    request: &ClaimRequest,
) -> DraftClaim {
    // Days arrive in date order already; the sort keeps that true whatever the caller did.
    group.lines.sort_by_key(|line| line.date);
    let statement_from = group.lines.first().map_or(group.period.0, |l| l.date);
    let statement_through = group.lines.last().map_or(group.period.1, |l| l.date);
    let total_charge = to_cents(group.lines.iter().map(|l| l.charge).sum());
    let expected_reimbursement = group
        .lines
        .iter()
        .map(|l| l.expected)
        .sum::<Option<Decimal>>()
        .map(to_cents);
    let (period_from, period_through) = match request.period {
        BillingPeriod::Range => (
            request.from_date.unwrap_or(statement_from),
            request.through_date,
        ),
        _ => group.period,
    };
    DraftClaim {
        client_id,
        coverage_id,
        payer_id: group.payer_id,
        level_of_care: group.level_of_care,
        authorization_id: group.authorization.map(|a| a.id),
        authorization_number: group.authorization.and_then(|a| a.number.clone()),
        period_from,
        period_through,
        statement_from,
        statement_through,
        claim: setup.clone(),
        principal_diagnosis: group.episode.principal_diagnosis.clone(),
        other_diagnoses: group.episode.other_diagnoses.clone(),
        lines: group.lines,
        total_charge,
        expected_reimbursement,
    }
}
