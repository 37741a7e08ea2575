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
//! - A per-day payer's day whose schedule states no charge per day is left out with
//!   `no_charge_per_day` (naming the schedule by level, program and start): judgement — a
//!   0.00 line would read as a free day to the payer, and an error would block the other days.
//!   A per-service payer's schedule never needs one (its lines are priced by the catalog).
//! - Per-service payers (`claim_style: per_service`, Medicare and payers that follow it,
//!   domain reference §4.2): each catalog-coded service of a billed day is its own line — the
//!   catalog entry in force that day gives the revenue code, HCPCS, modifiers and the charge
//!   per unit (× units), dated with the day. The fee schedule still gives the claim its form,
//!   type of bill and condition codes (its per-day charge and HCPCS are not used), and the
//!   claim carries condition code 41 (PHP) or 92 (IOP) exactly once whether or not the
//!   schedule lists it. Free-text services are not billed (they have no code). A day whose
//!   services cannot all be priced is left out whole (`service_not_in_catalog`), and a day
//!   with no coded service at all is left out with `no_services`: judgement — billing part
//!   of a day, or a day with no line, would misstate what was furnished.
//! - A per-service day's expected amount is the day's rate, which the caller supplies
//!   ([`Facts::expected_per_day`], the seam for the payer's day rates), carried on the day's
//!   first line (its other lines 0.00); a day below the payer's minimum of services expects
//!   0.00 (no day rate is paid for it); without a rate it is not known (`None`).
//! - A day's program comes from its authorization. A day without one (a payer that needs no
//!   authorization) is priced by the payer's only schedule in force at its level of care; when
//!   the payer has one per program, the day cannot be priced and is left out with
//!   `no_fee_schedule`.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::authorization::PayerReference;
use std::collections::{HashMap, HashSet};

use super::attendance::Service;
use super::billable::{Reason, Warning};
use super::eligibility::{LevelOfCare, Program};
use super::episode::{episode_on, Icd10, NewEpisode};
use super::fee_schedule::{
    in_force, ClaimSetup, ConditionCode, Hcpcs, Modifier, NewFeeSchedule, RevenueCode,
};
use super::money::to_cents;
use super::service_code::{self, NewServiceCode};

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
    /// The billable verdict's warnings (`fewer_services`).
    pub warnings: Vec<Warning>,
    /// The day's services (a per-service payer bills each catalog code on a line).
    pub services: Vec<Service>,
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
    /// Payers billed per service (`claim_style: per_service`); the others per day.
    pub per_service_payers: HashSet<Uuid>,
    /// The service catalog entries of the codes on the days (per-service lines).
    pub catalog: Vec<NewServiceCode>,
    /// The expected amount of a per-service day that meets the payer's minimum, by client
    /// and date, when the caller knows it (the payer's day rate for 3 or 4+ services). A
    /// day absent here has no known expected amount. This is the seam for day rates.
    pub expected_per_day: HashMap<(Uuid, NaiveDate), Decimal>,
}

/// The line item control number of a claim's line (837 2400 `REF*6R`), which a payer echoes
/// in its 835 (2110 `REF*6R`) so a payment can be posted to the line it pays: the claim number
/// and the line number, `PD00000042-3`.
///
/// Why these two: a claim line has no id of its own (it is the claim's line number), the claim
/// number is never reused, and a replacement or void claim takes a new number, so its lines
/// are new lines with new control numbers while the replaced claim's keep theirs. At most 32
/// characters (`PD` and 19 digits, a dash, 10 digits): under REF02's 50.
///
/// A claim without a number yet (a dry run) has no control numbers: the empty string.
pub fn line_control_number(claim_number: &str, line_number: u32) -> String {
    if claim_number.is_empty() {
        return String::new();
    }
    format!("{claim_number}-{line_number}")
}

/// Whether a claim whose lines carry these service positions ([`ClaimLine::service_index`])
/// is a per-service claim — one line per service of a day, paid by the day (Medicare's APC,
/// domain reference §4.3) — the one test of it once a claim exists. SQL says the same with
/// `service_index IS NOT NULL` (store::remittance_reports).
///
/// Why the lines and not the payer's `billing.claim_style`: the style may change after a claim
/// is billed, but the claim's lines, its remittance and the reports on them stay what was
/// billed — a per-service claim is paid, and must be read, day by day whatever the payer's
/// rules say today. Generation (which makes claims) reads the payer's style instead.
pub fn is_per_service(service_indexes: impl IntoIterator<Item = Option<u32>>) -> bool {
    service_indexes.into_iter().any(|index| index.is_some())
}

/// One line: one day of service, or one service of a day for a per-service payer (837I 2400
/// SV2 / 837P SV1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimLine {
    pub date: NaiveDate,
    /// The position of the billed service among the day's services (per-service lines);
    /// `None` for a per-day line. The schema keeps one live line per (day, service).
    pub service_index: Option<u32>,
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
    /// What billing should know about its days (`fewer_services`), in date order.
    pub warnings: Vec<DayWarning>,
}

impl DraftClaim {
    /// The part of this draft that bills the days from `from` through `to` (both included):
    /// those lines and warnings, the statement period of their first and last day, the totals
    /// summed again. The billing period, setup and diagnoses stay the draft's. Used to cut a
    /// late day out of an interim draft (`domain::interim::split_around_billed`).
    pub fn days_between(&self, from: NaiveDate, to: NaiveDate) -> DraftClaim {
        let inside = |date: NaiveDate| from <= date && date <= to;
        let lines: Vec<ClaimLine> = self
            .lines
            .iter()
            .filter(|l| inside(l.date))
            .cloned()
            .collect();
        DraftClaim {
            statement_from: lines.first().map_or(from, |l| l.date),
            statement_through: lines.last().map_or(to, |l| l.date),
            total_charge: to_cents(lines.iter().map(|l| l.charge).sum()),
            expected_reimbursement: lines
                .iter()
                .map(|l| l.expected)
                .sum::<Option<Decimal>>()
                .map(to_cents),
            warnings: self
                .warnings
                .iter()
                .filter(|w| inside(w.date))
                .cloned()
                .collect(),
            lines,
            ..self.clone()
        }
    }
}

/// A warning of one billed day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DayWarning {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub warning: Warning,
}

/// Why an attended day in range is on no new claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeftOutReason {
    /// The billable verdict's own reason, passed through.
    NotBillable(Reason),
    /// No schedule in force for the payer, level of care and program on the date.
    NoFeeSchedule,
    /// A per-day payer's schedule in force on the date states no charge per day, so the day
    /// has no charge to bill; named by what identifies the schedule (no id in the terms).
    NoChargePerDay {
        level_of_care: LevelOfCare,
        program: Program,
        effective_from: NaiveDate,
    },
    /// No episode of care covers the date.
    NoEpisode,
    /// The day is already on a live claim.
    AlreadyBilled { claim_id: Uuid },
    /// A per-service payer's day with no catalog-coded service to bill.
    NoServices,
    /// A per-service payer's day with a service code that has no catalog entry in force on
    /// the date (the catalog changed after the day was recorded).
    ServiceNotInCatalog { code: String },
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
            LeftOutReason::NotBillable(Reason::FewerServices { .. }) => "fewer_services",
            LeftOutReason::NoFeeSchedule => "no_fee_schedule",
            LeftOutReason::NoChargePerDay { .. } => "no_charge_per_day",
            LeftOutReason::NoEpisode => "no_episode",
            LeftOutReason::AlreadyBilled { .. } => "already_billed",
            LeftOutReason::NoServices => "no_services",
            LeftOutReason::ServiceNotInCatalog { .. } => "service_not_in_catalog",
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
    warnings: Vec<DayWarning>,
}

/// A per-service claim's setup: the schedule's, with condition code 41 (PHP) or 92 (IOP)
/// exactly once (domain reference §3.4, §4.2), first when the schedule did not list it.
fn per_service_setup(setup: &ClaimSetup, level: LevelOfCare) -> ClaimSetup {
    match setup {
        ClaimSetup::Institutional {
            type_of_bill,
            condition_codes,
        } => {
            let code = match level {
                LevelOfCare::Php => "41",
                LevelOfCare::Iop => "92",
            };
            let mut codes = condition_codes.clone();
            if !codes.iter().any(|c| c.as_str() == code) {
                if let Ok(code) = ConditionCode::parse(code.to_string()) {
                    codes.insert(0, code);
                }
            }
            ClaimSetup::Institutional {
                type_of_bill: type_of_bill.clone(),
                condition_codes: codes,
            }
        }
        // judgement: condition codes are 837I only; a per-service payer billed on an 837P
        // keeps its place of service.
        professional => professional.clone(),
    }
}

/// The lines of a per-service day: one per catalog-coded service, priced by the entry in
/// force on the day; or why the day cannot be billed.
fn service_lines(
    day: &AssessedDay,
    program: Program,
    facts: &Facts,
) -> Result<Vec<ClaimLine>, LeftOutReason> {
    let below_minimum = day
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::FewerServices { .. }));
    let day_expected = if below_minimum {
        Some(Decimal::ZERO)
    } else {
        facts
            .expected_per_day
            .get(&(day.client_id, day.date))
            .copied()
    };
    let mut lines = Vec::new();
    for (index, service) in day.services.iter().enumerate() {
        let Some((code, units)) = service.coded() else {
            continue;
        };
        let entry = service_code::in_force(&facts.catalog, code, day.date).ok_or_else(|| {
            LeftOutReason::ServiceNotInCatalog {
                code: code.as_str().to_string(),
            }
        })?;
        let units = units.get();
        lines.push(ClaimLine {
            date: day.date,
            service_index: u32::try_from(index).ok(),
            program,
            revenue_code: entry.revenue_code.clone(),
            hcpcs: Some(entry.hcpcs.clone()),
            modifiers: entry.modifiers.clone(),
            units,
            charge: to_cents(entry.charge.amount() * Decimal::from(units)),
            // The day's amount on its first line, 0.00 on the others.
            expected: if lines.is_empty() {
                day_expected
            } else {
                day_expected.map(|_| Decimal::ZERO)
            },
        });
    }
    if lines.is_empty() {
        return Err(LeftOutReason::NoServices);
    }
    Ok(lines)
}

/// Why a per-day payer's day under `schedule`, which states no charge per day, is left out.
fn no_charge_per_day(schedule: &NewFeeSchedule) -> LeftOutReason {
    LeftOutReason::NoChargePerDay {
        level_of_care: schedule.level_of_care,
        program: schedule.program,
        effective_from: schedule.period.from,
    }
}

/// Builds the draft claims for the days in the request's range. Days outside the range are
/// ignored; every day inside is either on exactly one line or in `left_out`.
pub fn build(days: &[AssessedDay], facts: &Facts, request: &ClaimRequest) -> Built {
    let mut in_range: Vec<&AssessedDay> =
        days.iter().filter(|d| request.contains(d.date)).collect();
    in_range.sort_by_key(|d| (d.client_id, d.date, d.level_of_care.as_str()));

    let mut setups: Vec<ClaimSetup> = Vec::new();
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    // The group the last day went to: consecutive days mostly share one (a client's days come
    // in date order), and looking each up in the map was a fifth of the build.
    let mut current: Option<(Key, Group)> = None;
    let mut left_out = Vec::new();
    let no_episodes = Vec::new();
    // The schedules of the last payer seen, kept while days of that payer follow.
    let mut payer_schedules: Vec<&NewFeeSchedule> = Vec::new();
    let mut schedules_of: Option<Uuid> = None;

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

        if schedules_of != Some(payer_id) {
            payer_schedules.clear();
            payer_schedules.extend(
                facts
                    .fee_schedules
                    .iter()
                    .filter(|s| s.payer_id == payer_id),
            );
            schedules_of = Some(payer_id);
        }
        let schedule = match day.program {
            Some(program) => in_force(&payer_schedules, day.level_of_care, program, day.date),
            // No authorization names the program: the payer's only schedule in force at this
            // level prices the day; with one per program, it cannot be told which.
            None => {
                let mut found = [Program::MentalHealth, Program::SubstanceUse]
                    .into_iter()
                    .filter_map(|p| in_force(&payer_schedules, day.level_of_care, p, day.date));
                match (found.next(), found.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        }
        .copied();
        let episodes = facts.episodes.get(&day.client_id).unwrap_or(&no_episodes);
        let episode = episode_on(episodes, day.date);
        let per_service = facts.per_service_payers.contains(&payer_id);
        // A per-day line is the schedule's charge: without one the day is left out, never
        // billed at 0.00 (a per-service payer's lines are priced by the catalog instead).
        let no_charge = schedule
            .filter(|s| !per_service && s.charge_per_day.is_none())
            .map(no_charge_per_day);
        let (Some(schedule), Some(episode), None) = (schedule, episode, &no_charge) else {
            let mut reasons = Vec::new();
            if schedule.is_none() {
                reasons.push(LeftOutReason::NoFeeSchedule);
            }
            reasons.extend(no_charge);
            if episode.is_none() {
                reasons.push(LeftOutReason::NoEpisode);
            }
            left_out.push(leave(reasons));
            continue;
        };

        let lines = if per_service {
            match service_lines(day, schedule.program, facts) {
                Ok(lines) => lines,
                Err(reason) => {
                    left_out.push(leave(vec![reason]));
                    continue;
                }
            }
        } else {
            let Some(charge_per_day) = schedule.charge_per_day else {
                // Refused above already; kept here so no path bills the day at 0.00.
                left_out.push(leave(vec![no_charge_per_day(schedule)]));
                continue;
            };
            let units = 1u32;
            vec![ClaimLine {
                date: day.date,
                service_index: None,
                program: schedule.program,
                revenue_code: schedule.revenue_code.clone(),
                hcpcs: schedule.hcpcs.clone(),
                modifiers: schedule.modifiers.clone(),
                units,
                charge: to_cents(charge_per_day.amount() * Decimal::from(units)),
                expected: schedule
                    .allowed_per_day
                    .map(|allowed| to_cents(allowed.amount() * Decimal::from(units))),
            }]
        };
        let claim_setup = if per_service {
            per_service_setup(&schedule.claim, day.level_of_care)
        } else {
            schedule.claim.clone()
        };
        let setup = match setups.iter().position(|s| *s == claim_setup) {
            Some(index) => index,
            None => {
                setups.push(claim_setup);
                setups.len() - 1
            }
        };
        let warnings = day.warnings.iter().map(|w| DayWarning {
            date: day.date,
            warning: w.clone(),
        });
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
        match &mut current {
            Some((last, group)) if *last == key => {
                group.lines.extend(lines);
                group.warnings.extend(warnings);
            }
            _ => {
                if let Some((last, group)) = current.take() {
                    add_to(&mut groups, last, group);
                }
                let group = Group {
                    payer_id,
                    level_of_care: day.level_of_care,
                    authorization,
                    period,
                    episode,
                    lines,
                    warnings: warnings.collect(),
                };
                current = Some((key, group));
            }
        }
    }
    if let Some((last, group)) = current.take() {
        add_to(&mut groups, last, group);
    }

    let claims = groups
        .into_iter()
        .map(|((client_id, coverage_id, .., setup), group)| {
            finish(client_id, coverage_id, &setups[setup], group, request)
        })
        .collect();
    Built { claims, left_out }
}

/// A run of days of one group: a new group as the run's first day makes it, or more lines
/// for the group an earlier day made.
fn add_to<'a>(groups: &mut BTreeMap<Key, Group<'a>>, key: Key, run: Group<'a>) {
    match groups.entry(key) {
        std::collections::btree_map::Entry::Vacant(slot) => {
            slot.insert(run);
        }
        std::collections::btree_map::Entry::Occupied(mut group) => {
            group.get_mut().lines.extend(run.lines);
            group.get_mut().warnings.extend(run.warnings);
        }
    }
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
    group.warnings.sort_by_key(|w| w.date);
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
        warnings: group.warnings,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::fee_schedule::{FeeScheduleInput, PlaceOfService};

    const CLIENT: Uuid = Uuid::from_u128(0xC1);
    const COVERAGE: Uuid = Uuid::from_u128(0xC0);
    const PAYER: Uuid = Uuid::from_u128(0xFA);
    const AUTH_A: Uuid = Uuid::from_u128(0xA1);
    const AUTH_B: Uuid = Uuid::from_u128(0xB2);
    const OLD_CLAIM: Uuid = Uuid::from_u128(0xCC);

    fn date(raw: &str) -> NaiveDate {
        NaiveDate::from_str(raw).unwrap()
    }

    fn d(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap()
    }

    fn institutional(charge: &str, allowed: Option<&str>) -> FeeScheduleInput {
        FeeScheduleInput {
            payer_id: Some(PAYER.to_string()),
            level_of_care: Some("IOP".into()),
            program: Some("mental_health".into()),
            revenue_code: Some("0905".into()),
            hcpcs: Some("S9480".into()),
            modifiers: Some(vec!["HQ".into()]),
            charge_per_day: Some(charge.into()),
            allowed_per_day: allowed.map(Into::into),
            effective_from: Some("2026-01-01".into()),
            type_of_bill: Some("0131".into()),
            condition_codes: Some(vec!["92".into()]),
            ..FeeScheduleInput::default()
        }
    }

    fn professional(charge: &str) -> FeeScheduleInput {
        FeeScheduleInput {
            claim_form: Some("837P".into()),
            type_of_bill: None,
            condition_codes: None,
            place_of_service: Some("57".into()),
            hcpcs: Some("H0015".into()),
            revenue_code: Some("0906".into()),
            ..institutional(charge, None)
        }
    }

    fn episode(admission: &str, discharge: Option<&str>) -> NewEpisode {
        NewEpisode {
            admission_date: date(admission),
            discharge_date: discharge.map(date),
            discharge_status: None,
            principal_diagnosis: Icd10::parse("F33.1".into()).unwrap(),
            other_diagnoses: vec![Icd10::parse("F41.1".into()).unwrap()],
            level_of_care_history: Vec::new(),
            referral_source: None,
            notes: None,
        }
    }

    fn facts(schedules: Vec<FeeScheduleInput>) -> Facts {
        Facts {
            fee_schedules: schedules.into_iter().map(|s| s.parse().unwrap()).collect(),
            episodes: BTreeMap::from([(CLIENT, vec![episode("2026-10-15", None)])]),
            ..Facts::default()
        }
    }

    fn auth(id: Uuid, number: &str) -> Option<AuthorizationRef> {
        Some(AuthorizationRef {
            id,
            number: Some(PayerReference::parse(number.into()).unwrap()),
        })
    }

    fn billable(day: &str) -> AssessedDay {
        AssessedDay {
            client_id: CLIENT,
            date: date(day),
            level_of_care: LevelOfCare::Iop,
            program: Some(Program::MentalHealth),
            coverage_id: Some(COVERAGE),
            payer_id: Some(PAYER),
            authorization: auth(AUTH_A, "AUTH-1"),
            billable: true,
            reasons: Vec::new(),
            warnings: Vec::new(),
            services: Vec::new(),
            on_claim: None,
        }
    }

    fn not_billable(day: &str, reason: Reason) -> AssessedDay {
        AssessedDay {
            billable: false,
            reasons: vec![reason],
            ..billable(day)
        }
    }

    fn november(period: BillingPeriod) -> ClaimRequest {
        ClaimRequest {
            period,
            from_date: Some(date("2026-11-01")),
            through_date: date("2026-11-30"),
        }
    }

    fn dates(claim: &DraftClaim) -> Vec<String> {
        claim.lines.iter().map(|l| l.date.to_string()).collect()
    }

    fn codes(left: &LeftOut) -> Vec<&'static str> {
        left.reasons.iter().map(LeftOutReason::code).collect()
    }

    /// November 2026 for one client: six billable days, a short day, a day already billed,
    /// two days beyond the approved days, a day after the schedule ends, a day before range.
    fn mixed_month() -> Vec<AssessedDay> {
        let mut already = billable("2026-11-09");
        already.on_claim = Some(OLD_CLAIM);
        vec![
            billable("2026-11-11"), // out of order on purpose
            billable("2026-10-30"), // before the range: ignored
            billable("2026-11-02"),
            billable("2026-11-03"),
            billable("2026-11-04"),
            billable("2026-11-05"),
            not_billable(
                "2026-11-06",
                Reason::BelowMinimumMinutes {
                    minutes: 120,
                    minimum: 180,
                    message: "short".into(),
                },
            ),
            already,
            billable("2026-11-10"),
            not_billable(
                "2026-11-23",
                Reason::BeyondApprovedDays {
                    authorization_id: AUTH_A,
                    days_approved: 8,
                    message: "beyond".into(),
                },
            ),
            not_billable(
                "2026-11-24",
                Reason::NoApprovedAuthorization {
                    message: "none".into(),
                },
            ),
            billable("2026-11-25"),
        ]
    }

    fn mixed_facts() -> Facts {
        let mut schedule = institutional("250.00", Some("180.55"));
        schedule.effective_to = Some("2026-11-24".into());
        facts(vec![schedule])
    }

    #[test]
    fn a_mixed_month_bills_exactly_the_billable_days_to_the_cent() {
        let built = build(
            &mixed_month(),
            &mixed_facts(),
            &november(BillingPeriod::Month),
        );

        assert_eq!(built.claims.len(), 1);
        let claim = &built.claims[0];
        assert_eq!(
            dates(claim),
            [
                "2026-11-02",
                "2026-11-03",
                "2026-11-04",
                "2026-11-05",
                "2026-11-10",
                "2026-11-11"
            ]
        );
        // 6 days × 250.00 = 1500.00; 6 × 180.55 = 1083.30.
        assert_eq!(claim.total_charge.to_string(), "1500.00");
        assert_eq!(
            claim
                .expected_reimbursement
                .map(|e| e.to_string())
                .as_deref(),
            Some("1083.30")
        );
        for line in &claim.lines {
            assert_eq!(line.units, 1);
            assert_eq!(line.charge.to_string(), "250.00");
            assert_eq!(line.expected, Some(d("180.55")));
            assert_eq!(line.revenue_code.as_str(), "0905");
            assert_eq!(line.hcpcs.as_ref().map(Hcpcs::as_str), Some("S9480"));
            assert_eq!(line.modifiers.len(), 1);
        }
        assert_eq!(claim.statement_from, date("2026-11-02"));
        assert_eq!(claim.statement_through, date("2026-11-11"));
        assert_eq!(claim.period_from, date("2026-11-01"));
        assert_eq!(claim.period_through, date("2026-11-30"));
        assert_eq!(claim.authorization_id, Some(AUTH_A));
        assert_eq!(
            claim
                .authorization_number
                .as_ref()
                .map(PayerReference::as_str),
            Some("AUTH-1")
        );
        assert_eq!(claim.principal_diagnosis.as_str(), "F33.1");
        assert_eq!(claim.other_diagnoses.len(), 1);
        assert_eq!((claim.client_id, claim.coverage_id), (CLIENT, COVERAGE));
        assert_eq!(claim.payer_id, PAYER);

        let left: Vec<(String, Vec<&str>)> = built
            .left_out
            .iter()
            .map(|l| (l.date.to_string(), codes(l)))
            .collect();
        assert_eq!(
            left,
            [
                ("2026-11-06".to_string(), vec!["below_minimum_minutes"]),
                ("2026-11-09".to_string(), vec!["already_billed"]),
                ("2026-11-23".to_string(), vec!["beyond_approved_days"]),
                ("2026-11-24".to_string(), vec!["no_approved_authorization"]),
                ("2026-11-25".to_string(), vec!["no_fee_schedule"]),
            ]
        );
        assert_eq!(
            built.left_out[1].reasons,
            [LeftOutReason::AlreadyBilled {
                claim_id: OLD_CLAIM
            }]
        );
    }

    #[test]
    fn the_days_between_two_dates_are_a_draft_of_their_own_to_the_cent() {
        let built = build(
            &mixed_month(),
            &mixed_facts(),
            &november(BillingPeriod::Month),
        );
        let mut claim = built.claims[0].clone();
        claim.warnings = ["2026-11-03", "2026-11-10"]
            .iter()
            .map(|day| DayWarning {
                date: date(day),
                warning: Warning::FewerServices {
                    services: 2,
                    minimum: 3,
                    message: "two".into(),
                },
            })
            .collect();
        let part = claim.days_between(date("2026-11-04"), date("2026-11-30"));
        assert_eq!(
            dates(&part),
            ["2026-11-04", "2026-11-05", "2026-11-10", "2026-11-11"]
        );
        assert_eq!(
            (part.statement_from, part.statement_through),
            (date("2026-11-04"), date("2026-11-11"))
        );
        // 4 × 250.00 and 4 × 180.55.
        assert_eq!(part.total_charge.to_string(), "1000.00");
        assert_eq!(part.expected_reimbursement, Some(d("722.20")));
        assert_eq!(part.warnings.len(), 1);
        assert_eq!(part.warnings[0].date, date("2026-11-10"));
        // What identifies the claim stays the draft's.
        assert_eq!(
            (part.period_from, part.period_through, part.authorization_id),
            (
                claim.period_from,
                claim.period_through,
                claim.authorization_id
            )
        );
        // The whole period gives the draft back.
        assert_eq!(
            claim.days_between(claim.statement_from, claim.statement_through),
            claim
        );
    }

    #[test]
    fn a_line_control_number_is_the_claim_number_and_the_line_number() {
        assert_eq!(line_control_number("PD00000042", 3), "PD00000042-3");
        assert_ne!(
            line_control_number("PD00000042", 1),
            line_control_number("PD00000043", 1),
            "a replacement claim's lines are new lines"
        );
        assert_eq!(line_control_number("", 1), "", "a dry run has no numbers");
        let longest = line_control_number(&format!("PD{}", i64::MAX), u32::MAX);
        assert!(longest.len() <= 50, "{longest}: REF02 holds 50");
    }

    #[test]
    fn weeks_split_what_a_month_keeps_together() {
        let built = build(
            &mixed_month(),
            &mixed_facts(),
            &november(BillingPeriod::Week),
        );
        let claims: Vec<(String, String, Vec<String>, String)> = built
            .claims
            .iter()
            .map(|c| {
                (
                    c.period_from.to_string(),
                    c.period_through.to_string(),
                    dates(c),
                    c.total_charge.to_string(),
                )
            })
            .collect();
        assert_eq!(
            claims,
            [
                (
                    "2026-11-02".into(),
                    "2026-11-08".into(),
                    vec![
                        "2026-11-02".into(),
                        "2026-11-03".into(),
                        "2026-11-04".into(),
                        "2026-11-05".into()
                    ],
                    "1000.00".into()
                ),
                (
                    "2026-11-09".into(),
                    "2026-11-15".into(),
                    vec!["2026-11-10".into(), "2026-11-11".into()],
                    "500.00".into()
                ),
            ]
        );
        let range = build(
            &mixed_month(),
            &mixed_facts(),
            &november(BillingPeriod::Range),
        );
        assert_eq!(range.claims.len(), 1);
        assert_eq!(range.claims[0].lines.len(), 6);
    }

    #[test]
    fn an_iso_week_runs_monday_to_sunday_across_a_month_end() {
        let days = [
            billable("2026-11-29"),
            billable("2026-11-30"),
            billable("2026-12-01"),
        ];
        let request = ClaimRequest {
            period: BillingPeriod::Week,
            from_date: None,
            through_date: date("2026-12-31"),
        };
        let built = build(&days, &facts(vec![institutional("100", None)]), &request);
        // 2026-11-29 is a Sunday; the 30th a Monday.
        assert_eq!(built.claims.len(), 2);
        assert_eq!(dates(&built.claims[0]), ["2026-11-29"]);
        assert_eq!(dates(&built.claims[1]), ["2026-11-30", "2026-12-01"]);
        let month = build(
            &days,
            &facts(vec![institutional("100", None)]),
            &ClaimRequest {
                period: BillingPeriod::Month,
                ..request
            },
        );
        assert_eq!(month.claims.len(), 2);
        assert_eq!(month.claims[1].period_through, date("2026-12-31"));
    }

    #[test]
    fn two_authorizations_make_two_claims_with_their_numbers() {
        let mut days = vec![billable("2026-11-02"), billable("2026-11-03")];
        for day in ["2026-11-04", "2026-11-05"] {
            days.push(AssessedDay {
                authorization: auth(AUTH_B, "AUTH-2"),
                ..billable(day)
            });
        }
        let built = build(
            &days,
            &facts(vec![institutional("250", None)]),
            &november(BillingPeriod::Month),
        );
        let numbers: Vec<(Vec<String>, Option<&str>)> = built
            .claims
            .iter()
            .map(|c| {
                (
                    dates(c),
                    c.authorization_number.as_ref().map(PayerReference::as_str),
                )
            })
            .collect();
        assert_eq!(
            numbers,
            [
                (
                    vec!["2026-11-02".into(), "2026-11-03".into()],
                    Some("AUTH-1")
                ),
                (
                    vec!["2026-11-04".into(), "2026-11-05".into()],
                    Some("AUTH-2")
                ),
            ]
        );
    }

    #[test]
    fn each_form_carries_its_own_fields_and_a_change_of_form_splits_the_claim() {
        let mut until = institutional("250", None);
        until.effective_to = Some("2026-11-15".into());
        let mut from = professional("200");
        from.program = Some("mental_health".into());
        from.effective_from = Some("2026-11-16".into());
        let days = [
            billable("2026-11-13"),
            billable("2026-11-16"),
            billable("2026-11-17"),
        ];
        let built = build(
            &days,
            &facts(vec![until, from]),
            &november(BillingPeriod::Month),
        );
        assert_eq!(built.claims.len(), 2);
        let first = &built.claims[0];
        let ClaimSetup::Institutional {
            type_of_bill,
            condition_codes,
        } = &first.claim
        else {
            panic!("837I first")
        };
        assert_eq!(type_of_bill.as_str(), "0131");
        assert_eq!(condition_codes[0].as_str(), "92");
        assert_eq!(dates(first), ["2026-11-13"]);
        let second = &built.claims[1];
        assert_eq!(
            second.claim,
            ClaimSetup::Professional {
                place_of_service: PlaceOfService::parse("57".into()).unwrap()
            }
        );
        assert_eq!(dates(second), ["2026-11-16", "2026-11-17"]);
        assert_eq!(second.total_charge.to_string(), "400.00");
        assert_eq!(second.lines[0].hcpcs.as_ref().unwrap().as_str(), "H0015");
        assert_eq!(second.lines[0].revenue_code.as_str(), "0906");
    }

    #[test]
    fn money_is_exact_and_expected_is_unknown_without_an_allowed_amount() {
        let days = [
            billable("2026-11-02"),
            billable("2026-11-03"),
            billable("2026-11-04"),
        ];
        let built = build(
            &days,
            &facts(vec![institutional("333.33", None)]),
            &november(BillingPeriod::Month),
        );
        assert_eq!(built.claims[0].total_charge.to_string(), "999.99");
        assert_eq!(built.claims[0].expected_reimbursement, None);
    }

    #[test]
    fn a_day_outside_every_episode_or_program_is_left_out_with_each_reason() {
        let mut facts = facts(vec![institutional("250", None)]);
        facts.episodes =
            BTreeMap::from([(CLIENT, vec![episode("2026-11-01", Some("2026-11-03"))])]);
        let unknown_program = AssessedDay {
            program: None,
            ..billable("2026-11-05")
        };
        let days = [
            billable("2026-11-03"),
            billable("2026-11-04"),
            unknown_program,
        ];
        let built = build(&days, &facts, &november(BillingPeriod::Month));
        assert_eq!(dates(&built.claims[0]), ["2026-11-03"]);
        let left: Vec<Vec<&str>> = built.left_out.iter().map(codes).collect();
        // The program unknown, the payer's only schedule prices the day: only the episode lacks.
        assert_eq!(left, [vec!["no_episode"], vec!["no_episode"]]);
        let other_client = AssessedDay {
            client_id: Uuid::from_u128(0xD0),
            ..billable("2026-11-03")
        };
        let built = build(&[other_client], &facts, &november(BillingPeriod::Month));
        assert_eq!(codes(&built.left_out[0]), ["no_episode"]);
    }

    #[test]
    fn a_day_of_unknown_program_is_priced_only_when_one_schedule_can_price_it() {
        let unknown = AssessedDay {
            program: None,
            ..billable("2026-11-05")
        };
        let only = facts(vec![institutional("250", None)]);
        let built = build(
            std::slice::from_ref(&unknown),
            &only,
            &november(BillingPeriod::Month),
        );
        assert_eq!(built.claims[0].lines[0].program, Program::MentalHealth);
        let mut substance = institutional("300", None);
        substance.program = Some("substance_use".into());
        let both = facts(vec![institutional("250", None), substance]);
        let built = build(&[unknown], &both, &november(BillingPeriod::Month));
        assert!(built.claims.is_empty());
        assert_eq!(codes(&built.left_out[0]), ["no_fee_schedule"]);
    }

    #[test]
    fn output_is_ordered_by_client_then_level() {
        let second = Uuid::from_u128(0xC2);
        let mut facts = facts(vec![
            institutional("250", None),
            FeeScheduleInput {
                level_of_care: Some("PHP".into()),
                revenue_code: Some("0912".into()),
                hcpcs: Some("H0035".into()),
                ..institutional("400", None)
            },
        ]);
        facts
            .episodes
            .insert(second, vec![episode("2026-10-01", None)]);
        let days = [
            AssessedDay {
                client_id: second,
                ..billable("2026-11-02")
            },
            AssessedDay {
                level_of_care: LevelOfCare::Php,
                ..billable("2026-11-03")
            },
            billable("2026-11-02"),
        ];
        let built = build(&days, &facts, &november(BillingPeriod::Month));
        let order: Vec<(Uuid, &str)> = built
            .claims
            .iter()
            .map(|c| (c.client_id, c.level_of_care.as_str()))
            .collect();
        assert_eq!(order, [(CLIENT, "IOP"), (CLIENT, "PHP"), (second, "IOP")]);
        assert_eq!(built.claims[1].total_charge.to_string(), "400.00");
    }

    /// A day of November 2026 with random attributes: (day of month, billable, already billed,
    /// authorization 0/1/2, charge in cents).
    fn arbitrary_days() -> impl Strategy<Value = (Vec<(u32, bool, bool, u8)>, i64)> {
        (
            proptest::collection::btree_map(
                1u32..=30,
                (any::<bool>(), any::<bool>(), 0u8..3),
                0..30,
            )
            .prop_map(|m| m.into_iter().map(|(k, (a, b, c))| (k, a, b, c)).collect()),
            1i64..10_000_000,
        )
    }

    fn allowed_cents() -> impl Strategy<Value = Option<i64>> {
        proptest::option::of(0i64..10_000_000)
    }

    proptest! {
        #[test]
        fn every_billable_day_is_on_exactly_one_line_and_totals_add_up(
            (spec, cents) in arbitrary_days(),
            weekly in any::<bool>(),
            allowed in allowed_cents(),
        ) {
            let days: Vec<AssessedDay> = spec
                .iter()
                .map(|&(day, is_billable, on_claim, authorization)| {
                    let date = NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
                    AssessedDay {
                        date,
                        billable: is_billable,
                        reasons: if is_billable {
                            Vec::new()
                        } else {
                            vec![Reason::NoApprovedAuthorization { message: "none".into() }]
                        },
                        on_claim: on_claim.then_some(OLD_CLAIM),
                        authorization: match authorization {
                            0 => None,
                            1 => auth(AUTH_A, "AUTH-1"),
                            _ => auth(AUTH_B, "AUTH-2"),
                        },
                        ..billable("2026-11-01")
                    }
                })
                .collect();
            let charge = crate::domain::money::from_minor_units(cents).to_string();
            let period = if weekly { BillingPeriod::Week } else { BillingPeriod::Month };
            let allowed = allowed.map(|c| crate::domain::money::from_minor_units(c).to_string());
            let schedule = institutional(&charge, allowed.as_deref());
            let built = build(&days, &facts(vec![schedule]), &november(period));

            let mut billed: Vec<NaiveDate> = Vec::new();
            for claim in &built.claims {
                let sum: Decimal = claim.lines.iter().map(|l| l.charge).sum();
                prop_assert_eq!(claim.total_charge, sum);
                let expected: Option<Decimal> = claim.lines.iter().map(|l| l.expected).sum();
                prop_assert_eq!(claim.expected_reimbursement, expected);
                prop_assert_eq!(claim.expected_reimbursement.is_some(), allowed.is_some());
                prop_assert!(claim.lines.windows(2).all(|w| w[0].date <= w[1].date));
                billed.extend(claim.lines.iter().map(|l| l.date));
            }
            let mut expected: Vec<NaiveDate> = days
                .iter()
                .filter(|d| d.billable && d.on_claim.is_none())
                .map(|d| d.date)
                .collect();
            expected.sort();
            billed.sort();
            prop_assert_eq!(&billed, &expected, "each billable day once, nothing else");
            let mut all: Vec<NaiveDate> = billed.clone();
            all.extend(built.left_out.iter().map(|l| l.date));
            all.sort();
            let mut every: Vec<NaiveDate> = days.iter().map(|d| d.date).collect();
            every.sort();
            prop_assert_eq!(all, every, "every day is billed or left out, once");
        }
    }
}
