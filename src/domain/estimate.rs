//! Patient cost estimates for a planned IOP or PHP course, day by day, and the self-pay good
//! faith estimate (No Surprises Act, 45 CFR 149.610).
//!
//! Pure: no I/O. The service fills [`PlanTerms`] (for one network) from the verified benefit
//! summary with [`from_network_benefits`], picks the course days ([`schedule_days`] or explicit
//! dates) and calls [`estimate`].
//!
//! # The rules (domain reference §5, "Patient responsibility")
//!
//! Days are walked in date order (duplicates count once: one unit per date of service). For each
//! covered day with allowed amount `A`, following [`CopayRule`]:
//! - copay: the per-day copay, at most `A`;
//! - deductible: `min(remaining deductible, what is left of A)`; with a family deductible
//!   (embedded) the remaining that binds is the smaller of the individual's and the family's;
//! - coinsurance: `to_cents(rest × percent / 100)` on what is left after copay and deductible;
//! - the day's patient share is filled in the order the rule applies its parts, up to the
//!   remaining out-of-pocket maximum (the smaller of individual and family); once that reaches
//!   zero the plan pays 100 %;
//! - the accumulators (deductible, out-of-pocket, days) are updated after each day.
//!
//! Days beyond the plan's remaining day limit are not covered: the patient pays the whole allowed
//! amount (`not_covered`), and those days count toward neither deductible nor out-of-pocket
//! (non-covered services do not, §5 [S47]). When the plan year ends inside the course, the
//! deductible, the out-of-pocket maximum and the day limit start again from their totals on the
//! first day of the new year (the next year ends twelve months later).
//!
//! Rounding: amounts taken in are rounded to cents once by [`to_cents`]; the only computed
//! fraction, coinsurance, is rounded by [`to_cents`] once per day; everything else is sums and
//! minima of cents, so `patient + plan = allowed` holds exactly on every day and in total
//! (`plan = allowed − patient`, after rounding).
//!
//! # Unknown figures: a range, never a silent zero
//!
//! Every estimate carries two scenarios, `low` and `high`, for the patient share. An unknown
//! figure the estimate needs is resolved in the patient's favour for `low` and against for
//! `high`, within what is known:
//! - remaining deductible unknown: `low` assumes it is already met (zero remaining); `high`
//!   assumes the whole total remains when the total is known;
//! - remaining deductible with no known total: `high` is unknown (`None`) from the first day that
//!   needs it until a plan-year reset restores a known total;
//! - coinsurance unknown: `low` assumes 0 %; `high` is unknown (`None`) on the days that need it
//!   (and after them in that plan year, since the accumulators are then unknown);
//! - the out-of-pocket maximum is the exception: an unreported remainder is taken as the whole
//!   total in **both** scenarios (no cap when no total either), and flagged in `unknown` with an
//!   assumption saying the client may pay less if part of it is met. Assuming it already
//!   reached would make every `low` zero — a bound nobody can quote to a caller.
//!
//! The bounds hold for the course totals, but for the out-of-pocket caveat above. Each day shows how its scenario unfolds; a single day
//! of the true bill may fall outside that day's pair (meeting the cap sooner in one scenario
//! moves later days), never the total. When everything is known, `low == high`. A figure the
//! payer did not report but that has a natural reading (no copay, no day limit, no family
//! accumulator, no plan-year end) is read that way and said so in `assumptions`.

use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::benefits::{Accumulator, CopayPer, Limit, NetworkBenefits};
use super::eligibility::{AppliesVia, LevelOfCare, MoneyText, Sourced};
use super::money::to_cents;

/// The longest course [`schedule_days`] expands: two years of weeks.
pub const MAX_WEEKS: u32 = 104;

fn cents<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&to_cents(*amount))
}

fn some_cents<S: Serializer>(amount: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
    match amount {
        Some(amount) => cents(amount, serializer),
        None => serializer.serialize_none(),
    }
}

// ---------------------------------------------------------------------------------------------
// Course days

/// A weekly schedule: `days_per_week` days in each of `weeks` seven-day windows starting on
/// `start_date`. Within a window the days are taken Monday to Friday first, then Saturday, then
/// Sunday: 5 days is Mon–Fri, 6 adds Saturday, 7 adds Sunday, 3 is Mon–Wed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub start_date: NaiveDate,
    /// 1..=7.
    pub days_per_week: u8,
    /// 1..=[`MAX_WEEKS`].
    pub weeks: u32,
}

/// The planned dates of a [`Schedule`], in order. A window that starts mid-week wraps: starting
/// on a Wednesday at 5 days a week gives Wed, Thu, Fri, Mon, Tue.
pub fn schedule_days(schedule: &Schedule) -> Result<Vec<NaiveDate>, String> {
    if !(1..=7).contains(&schedule.days_per_week) {
        return Err("days_per_week must be from 1 to 7".into());
    }
    if !(1..=MAX_WEEKS).contains(&schedule.weeks) {
        return Err(format!("weeks must be from 1 to {MAX_WEEKS}"));
    }
    let total_days = u64::from(schedule.weeks) * 7;
    let days = (0..total_days)
        .filter_map(|offset| schedule.start_date.checked_add_days(Days::new(offset)))
        .filter(|date| date.weekday().num_days_from_monday() < u32::from(schedule.days_per_week))
        .collect();
    Ok(days)
}

// ---------------------------------------------------------------------------------------------
// Plan terms

/// How the copay combines with deductible and coinsurance (plan-specific, §5 step 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopayRule {
    /// The copay first, then the deductible and coinsurance on the rest of the allowed amount
    /// (the order of domain reference §5).
    #[default]
    CopayThenDeductible,
    /// The copay alone: no deductible and no coinsurance on days that carry a copay.
    CopayInstead,
    /// The deductible first; the copay applies only once the deductible is met (which may be
    /// on the same day, to what is left of it), then coinsurance on whatever remains.
    CopayAfterDeductible,
}

/// What a copay is charged per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopayBasis {
    /// Every covered day (one visit per day for IOP and PHP).
    Day,
    /// Once, on the first covered day of the course (a per-admission copay).
    Course,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CopayTerm {
    #[serde(serialize_with = "cents")]
    pub amount: Decimal,
    pub per: CopayBasis,
}

/// An accumulator as the payer reported it: `None` is not reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tier {
    pub remaining: Option<Decimal>,
    pub total: Option<Decimal>,
}

/// Days the plan still covers this plan year, and how many a plan year allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DayLimit {
    pub remaining: Option<u32>,
    pub total: Option<u32>,
}

/// The plan terms for one network, as the estimate reads them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PlanTerms {
    pub deductible: Tier,
    /// `None`: no family deductible reported; the individual's is used.
    pub family_deductible: Option<Tier>,
    pub out_of_pocket: Tier,
    /// `None`: no family out-of-pocket maximum reported; the individual's is used.
    pub family_out_of_pocket: Option<Tier>,
    /// `None`: the plan charges no copay for this level of care.
    pub copay: Option<CopayTerm>,
    pub copay_rule: CopayRule,
    /// Percent the patient pays, e.g. `20`. `None`: unknown.
    pub coinsurance_percent: Option<Decimal>,
    /// Both `None`: no day limit.
    pub day_limit: DayLimit,
    /// The last day of the current plan year. `None`: no reset inside the course.
    pub plan_year_end: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------------------------
// The estimate

/// A figure the estimate needed and the payer did not report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    DeductibleRemaining,
    DeductibleTotal,
    Coinsurance,
    OutOfPocketRemaining,
    OutOfPocketTotal,
    /// A per-service payer's rate for a day with 4 or more services (the high allowed amount).
    DayRateFourPlus,
}

/// How an amount splits between patient and plan. `deductible + copay + coinsurance +
/// not_covered = patient`; `patient + plan = allowed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Share {
    #[serde(serialize_with = "cents")]
    pub deductible: Decimal,
    #[serde(serialize_with = "cents")]
    pub copay: Decimal,
    #[serde(serialize_with = "cents")]
    pub coinsurance: Decimal,
    /// The whole allowed amount of a day beyond the day limit.
    #[serde(serialize_with = "cents")]
    pub not_covered: Decimal,
    #[serde(serialize_with = "cents")]
    pub patient: Decimal,
    #[serde(serialize_with = "cents")]
    pub plan: Decimal,
    /// The remaining out-of-pocket maximum is zero after this day (in totals: after the last).
    pub oop_max_reached: bool,
}

impl Share {
    /// Every amount at two places (`0` prints as `0.00`); the values are cents already, so
    /// [`to_cents`] does not round here.
    fn scaled(self) -> Share {
        Share {
            deductible: to_cents(self.deductible),
            copay: to_cents(self.copay),
            coinsurance: to_cents(self.coinsurance),
            not_covered: to_cents(self.not_covered),
            patient: to_cents(self.patient),
            plan: to_cents(self.plan),
            oop_max_reached: self.oop_max_reached,
        }
    }

    fn add(&mut self, other: &Share) {
        self.deductible += other.deductible;
        self.copay += other.copay;
        self.coinsurance += other.coinsurance;
        self.not_covered += other.not_covered;
        self.patient += other.patient;
        self.plan += other.plan;
        self.oop_max_reached = other.oop_max_reached;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstimateDay {
    pub date: NaiveDate,
    /// The allowed amount of the day (of the `low` scenario when the scenarios differ).
    #[serde(serialize_with = "cents")]
    pub allowed: Decimal,
    /// Only in an estimate whose scenarios take different allowed amounts ([`estimate_range`]):
    /// the `high` scenario's, when known.
    #[serde(serialize_with = "some_cents", skip_serializing_if = "Option::is_none")]
    pub allowed_high: Option<Decimal>,
    /// The patient-favourable scenario.
    pub low: Share,
    /// The other scenario; `None` when it depends on a figure with no known bound.
    pub high: Option<Share>,
    pub beyond_day_limit: bool,
    /// The day falls in a plan year after the one the benefits were reported for.
    pub after_plan_year_reset: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EstimateTotals {
    #[serde(serialize_with = "cents")]
    pub allowed: Decimal,
    /// As on each day: the `high` scenario's total allowed, when every day's is known.
    #[serde(serialize_with = "some_cents", skip_serializing_if = "Option::is_none")]
    pub allowed_high: Option<Decimal>,
    pub low: Share,
    /// `None` when any day's `high` is.
    pub high: Option<Share>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    pub days: Vec<EstimateDay>,
    pub totals: EstimateTotals,
    /// The figures the estimate needed and did not have (the reason `low` and `high` differ).
    pub unknown: Vec<Figure>,
    /// In plain words, what the estimate took for granted.
    pub assumptions: Vec<String>,
}

/// Which scenario a walk computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Low,
    High,
}

/// The remaining of an individual tier and an optional family tier, for one bound. For `Low`
/// an unknown remaining is zero; for `High` it is the total, and `None` when no tier bounds it.
fn remaining(individual: &Tier, family: Option<&Tier>, bound: Bound) -> Option<Decimal> {
    let one = |tier: &Tier| match (tier.remaining, bound) {
        (Some(r), _) => Some(r),
        (None, Bound::Low) => Some(Decimal::ZERO),
        (None, Bound::High) => tier.total,
    };
    min_known(one(individual), family.and_then(one))
}

/// The out-of-pocket maximum a walk caps the patient share with, in both scenarios: the
/// remaining figure, else the whole total, else no cap. Assuming an unreported remainder is
/// already reached would make every low figure zero — a bound nobody can quote a caller — so
/// an unknown remainder is taken as untouched and flagged instead.
fn oop_remaining(individual: &Tier, family: Option<&Tier>) -> Option<Decimal> {
    let one = |tier: &Tier| tier.remaining.or(tier.total);
    min_known(one(individual), family.and_then(one))
}

/// The out-of-pocket maximum a new plan year starts with: the total, else no cap.
fn oop_reset_to(individual: &Tier, family: Option<&Tier>) -> Option<Decimal> {
    min_known(individual.total, family.and_then(|t| t.total))
}

/// The figure a tier starts a new plan year with.
fn reset_to(individual: &Tier, family: Option<&Tier>, bound: Bound) -> Option<Decimal> {
    let one = |tier: &Tier| match (tier.total, bound) {
        (Some(t), _) => Some(t),
        (None, Bound::Low) => Some(Decimal::ZERO),
        (None, Bound::High) => None,
    };
    min_known(one(individual), family.and_then(one))
}

fn min_known(a: Option<Decimal>, b: Option<Decimal>) -> Option<Decimal> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// One scenario's running state.
struct Walk<'a> {
    terms: &'a PlanTerms,
    bound: Bound,
    /// `None`: unknown (only in `High`).
    deductible: Option<Decimal>,
    /// `None`: not capped.
    out_of_pocket: Option<Decimal>,
    /// `None`: unknown (only in `High`).
    coinsurance: Option<Decimal>,
    /// `None`: no limit.
    days_left: Option<u32>,
    /// Once a day needed an unknown figure, the accumulators are unknown until a reset.
    lost: bool,
    course_copay_charged: bool,
}

impl Walk<'_> {
    fn new(terms: &PlanTerms, bound: Bound) -> Walk<'_> {
        let coinsurance = match (terms.coinsurance_percent, bound) {
            (Some(p), _) => Some(p),
            (None, Bound::Low) => Some(Decimal::ZERO),
            (None, Bound::High) => None,
        };
        Walk {
            terms,
            bound,
            deductible: remaining(&terms.deductible, terms.family_deductible.as_ref(), bound),
            out_of_pocket: oop_remaining(&terms.out_of_pocket, terms.family_out_of_pocket.as_ref()),
            coinsurance,
            days_left: terms.day_limit.remaining.or(terms.day_limit.total),
            lost: false,
            course_copay_charged: false,
        }
    }

    fn reset(&mut self) {
        let t = self.terms;
        self.deductible = reset_to(&t.deductible, t.family_deductible.as_ref(), self.bound);
        self.out_of_pocket = oop_reset_to(&t.out_of_pocket, t.family_out_of_pocket.as_ref());
        self.days_left = t.day_limit.total;
        self.lost = false;
    }

    fn copay(&mut self, limit: Decimal) -> Decimal {
        let Some(copay) = self.terms.copay else {
            return Decimal::ZERO;
        };
        if copay.per == CopayBasis::Course {
            if self.course_copay_charged {
                return Decimal::ZERO;
            }
            self.course_copay_charged = true;
        }
        copay.amount.min(limit)
    }

    fn coinsurance_on(&self, rest: Decimal) -> Option<Decimal> {
        if rest.is_zero() {
            return Some(Decimal::ZERO);
        }
        self.coinsurance
            .map(|p| to_cents(rest * p / Decimal::ONE_HUNDRED))
    }

    /// The day's share of `allowed`, or `None` when it needs an unknown figure. An unknown
    /// allowed amount (`None`) makes the day and the accumulators after it unknown until a
    /// plan-year reset, as an unknown coinsurance does.
    fn day(&mut self, allowed: Option<Decimal>) -> Option<Share> {
        let Some(a) = allowed else {
            self.days_left = self.days_left.map(|d| d.saturating_sub(1));
            self.lost = true;
            return None;
        };
        if self.days_left == Some(0) {
            return Some(Share {
                not_covered: a,
                patient: a,
                oop_max_reached: self.out_of_pocket == Some(Decimal::ZERO),
                ..Share::default()
            });
        }
        self.days_left = self.days_left.map(|d| d - 1);
        if self.out_of_pocket == Some(Decimal::ZERO) {
            // Plan pays 100 %; the copay of a per-course basis is not charged either.
            return Some(Share {
                plan: a,
                oop_max_reached: true,
                ..Share::default()
            });
        }
        if self.lost {
            return None;
        }
        // A plan without a copay has nothing to put instead of the deductible.
        let rule = match (self.terms.copay_rule, self.terms.copay) {
            (CopayRule::CopayInstead, None) => CopayRule::CopayThenDeductible,
            (rule, _) => rule,
        };
        // The parts in the order the rule applies them: (deductible, copay, coinsurance).
        let parts = match rule {
            CopayRule::CopayInstead => Some((Decimal::ZERO, self.copay(a), Decimal::ZERO)),
            CopayRule::CopayThenDeductible => {
                let copay = self.copay(a);
                let rest = a - copay;
                let deductible = if rest.is_zero() {
                    Some(Decimal::ZERO)
                } else {
                    self.deductible.map(|d| d.min(rest))
                };
                deductible.and_then(|d| self.coinsurance_on(rest - d).map(|c| (d, copay, c)))
            }
            CopayRule::CopayAfterDeductible => {
                let deductible = if a.is_zero() {
                    Some(Decimal::ZERO)
                } else {
                    self.deductible.map(|d| d.min(a))
                };
                match deductible {
                    None => None,
                    Some(d) => {
                        let met = self.deductible.is_none_or(|left| left == d);
                        let copay = if met {
                            self.copay(a - d)
                        } else {
                            Decimal::ZERO
                        };
                        self.coinsurance_on(a - d - copay).map(|c| (d, copay, c))
                    }
                }
            }
        };
        let Some((deductible, copay, coinsurance)) = parts else {
            self.lost = true;
            return None;
        };
        // Fill up to the remaining out-of-pocket maximum, in the order the parts apply.
        let mut left = self.out_of_pocket;
        let mut take = |amount: Decimal| match left.as_mut() {
            None => amount,
            Some(room) => {
                let taken = amount.min(*room);
                *room -= taken;
                taken
            }
        };
        let (deductible, copay, coinsurance) = match rule {
            CopayRule::CopayAfterDeductible => {
                let d = take(deductible);
                let c = take(copay);
                (d, c, take(coinsurance))
            }
            _ => {
                let c = take(copay);
                let d = take(deductible);
                (d, c, take(coinsurance))
            }
        };
        let patient = deductible + copay + coinsurance;
        self.deductible = self.deductible.map(|d| d - deductible);
        self.out_of_pocket = left;
        Some(Share {
            deductible,
            copay,
            coinsurance,
            not_covered: Decimal::ZERO,
            patient,
            plan: a - patient,
            oop_max_reached: self.out_of_pocket == Some(Decimal::ZERO),
        })
    }
}

fn check_amount(name: &str, amount: Option<Decimal>, problems: &mut Vec<String>) {
    if amount.is_some_and(|a| a.is_sign_negative() && !a.is_zero()) {
        problems.push(format!("{name} must not be negative"));
    }
}

fn validate(allowed: &[Decimal], terms: &PlanTerms) -> Result<(), String> {
    let mut problems = Vec::new();
    if allowed.iter().any(|a| a.is_sign_negative() && !a.is_zero()) {
        problems.push("allowed_per_day must not be negative".to_string());
    }
    let tiers = [
        ("deductible", Some(&terms.deductible)),
        ("family_deductible", terms.family_deductible.as_ref()),
        ("out_of_pocket", Some(&terms.out_of_pocket)),
        ("family_out_of_pocket", terms.family_out_of_pocket.as_ref()),
    ];
    for (name, tier) in tiers {
        if let Some(tier) = tier {
            check_amount(&format!("{name}.remaining"), tier.remaining, &mut problems);
            check_amount(&format!("{name}.total"), tier.total, &mut problems);
        }
    }
    check_amount("copay", terms.copay.map(|c| c.amount), &mut problems);
    if let Some(p) = terms.coinsurance_percent {
        if p.is_sign_negative() && !p.is_zero() || p > Decimal::ONE_HUNDRED {
            problems.push("coinsurance_percent must be from 0 to 100".into());
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Amounts taken in, rounded to cents once.
fn in_cents(terms: &PlanTerms) -> PlanTerms {
    let tier = |t: &Tier| Tier {
        remaining: t.remaining.map(to_cents),
        total: t.total.map(to_cents),
    };
    PlanTerms {
        deductible: tier(&terms.deductible),
        family_deductible: terms.family_deductible.as_ref().map(tier),
        out_of_pocket: tier(&terms.out_of_pocket),
        family_out_of_pocket: terms.family_out_of_pocket.as_ref().map(tier),
        copay: terms.copay.map(|c| CopayTerm {
            amount: to_cents(c.amount),
            per: c.per,
        }),
        ..terms.clone()
    }
}

/// The allowed amount of one day in each scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowed {
    /// The `low` scenario's.
    pub low: Decimal,
    /// The `high` scenario's; `None` when not known (the day's `high` is then unknown).
    pub high: Option<Decimal>,
}

/// The patient cost estimate of a course: `allowed_per_day` on each of `days` (any order;
/// a date given twice counts once) under `terms`. Errors name negative amounts or a coinsurance
/// outside 0–100 %.
pub fn estimate(
    allowed_per_day: Decimal,
    days: &[NaiveDate],
    terms: &PlanTerms,
) -> Result<Estimate, String> {
    let allowed = Allowed {
        low: allowed_per_day,
        high: Some(allowed_per_day),
    };
    let days: Vec<(NaiveDate, Allowed)> = days.iter().map(|day| (*day, allowed)).collect();
    walk(&days, terms, false)
}

/// The estimate of a course whose allowed amount per day is itself a range: each day's `low`
/// scenario takes `Allowed::low`, its `high` scenario `Allowed::high` — a per-service payer's
/// 3-service and 4+ day rates in force that day (domain reference §4.3), so a rate that changes
/// inside the course changes the days after it. The other rules are [`estimate`]'s. A day
/// whose high allowed amount is unknown has no `high` (nor do the days after it in that plan
/// year) and lists [`Figure::DayRateFourPlus`] in `unknown`. A date given twice counts once,
/// with the amounts given first.
pub fn estimate_range(
    days: &[(NaiveDate, Allowed)],
    terms: &PlanTerms,
) -> Result<Estimate, String> {
    walk(days, terms, true)
}

fn walk(days: &[(NaiveDate, Allowed)], terms: &PlanTerms, range: bool) -> Result<Estimate, String> {
    let amounts: Vec<Decimal> = days
        .iter()
        .flat_map(|(_, a)| [Some(a.low), a.high])
        .flatten()
        .collect();
    validate(&amounts, terms)?;
    let terms = in_cents(terms);
    let mut dates = days.to_vec();
    // Stable: of a date given twice, the first one given is kept.
    dates.sort_by_key(|(date, _)| *date);
    let given = dates.len();
    dates.dedup_by_key(|(date, _)| *date);

    let mut low = Walk::new(&terms, Bound::Low);
    let mut high = Walk::new(&terms, Bound::High);
    let mut year_end = terms.plan_year_end;
    let mut reset_on: Option<NaiveDate> = None;
    let mut out = Vec::with_capacity(dates.len());
    let mut total_low = Share::default();
    let mut total_high = Some(Share::default());
    let mut allowed_low = Decimal::ZERO;
    let mut allowed_high = Some(Decimal::ZERO);
    for (date, allowed) in dates {
        let (a_low, a_high) = (to_cents(allowed.low), allowed.high.map(to_cents));
        let mut crossed = false;
        while let Some(end) = year_end.filter(|end| date > *end) {
            year_end = end.checked_add_months(Months::new(12));
            crossed = true;
        }
        if crossed {
            low.reset();
            high.reset();
            reset_on.get_or_insert(date);
        }
        let beyond = low.days_left == Some(0);
        let day_low = low.day(Some(a_low)).unwrap_or_default();
        let day_high = high.day(a_high);
        total_low.add(&day_low);
        total_high = match (total_high, &day_high) {
            (Some(mut t), Some(d)) => {
                t.add(d);
                Some(t)
            }
            _ => None,
        };
        allowed_low += a_low;
        allowed_high = allowed_high.zip(a_high).map(|(sum, a)| sum + a);
        out.push(EstimateDay {
            date,
            allowed: a_low,
            allowed_high: if range { a_high } else { None },
            low: day_low.scaled(),
            high: day_high.map(Share::scaled),
            beyond_day_limit: beyond,
            after_plan_year_reset: reset_on.is_some(),
        });
    }
    let (mut unknown, mut assumptions) = explain(&terms, &out, reset_on);
    let without_high = out
        .iter()
        .filter(|d| range && d.allowed_high.is_none())
        .count();
    if without_high > 0 {
        unknown.push(Figure::DayRateFourPlus);
        assumptions.push(format!(
            "{without_high} day(s) without a 4+ services day rate in force: the high figures \
             from the first of them are unknown"
        ));
    }
    if given > out.len() {
        assumptions.push(format!(
            "{} duplicate date(s) counted once: one unit per date of service",
            given - out.len()
        ));
    }
    let totals = EstimateTotals {
        allowed: to_cents(allowed_low),
        allowed_high: if range {
            allowed_high.map(to_cents)
        } else {
            None
        },
        low: total_low.scaled(),
        high: total_high.map(Share::scaled),
    };
    Ok(Estimate {
        days: out,
        totals,
        unknown,
        assumptions,
    })
}

/// The unknown figures the estimate needed and the assumptions it made, in plain words.
fn explain(
    terms: &PlanTerms,
    days: &[EstimateDay],
    reset_on: Option<NaiveDate>,
) -> (Vec<Figure>, Vec<String>) {
    let mut unknown = Vec::new();
    let mut said = Vec::new();
    let money = |d: Decimal| format!("${}", to_cents(d));
    let uses_deductible = terms.copay_rule != CopayRule::CopayInstead || terms.copay.is_none();
    let uses_coinsurance = uses_deductible;

    match terms.copay {
        None => said.push("no copay reported: none applied".to_string()),
        Some(copay) => {
            let per = match copay.per {
                CopayBasis::Day => "per day",
                CopayBasis::Course => "once, on the first covered day",
            };
            said.push(format!("copay of {} charged {per}", money(copay.amount)));
            said.push(
                match terms.copay_rule {
                    CopayRule::CopayThenDeductible => {
                        "copay applied before the deductible; deductible and coinsurance on the rest"
                    }
                    CopayRule::CopayInstead => {
                        "copay instead of deductible and coinsurance"
                    }
                    CopayRule::CopayAfterDeductible => {
                        "copay applied only once the deductible is met"
                    }
                }
                .to_string(),
            );
        }
    }

    if uses_deductible {
        let ded = &terms.deductible;
        if terms.family_deductible.is_none() {
            said.push("family deductible not reported; individual used".into());
        }
        if ded.remaining.is_none() {
            unknown.push(Figure::DeductibleRemaining);
            if ded.total.is_none() {
                unknown.push(Figure::DeductibleTotal);
            }
            match ded.total {
                Some(total) => said.push(format!(
                    "remaining deductible not reported: the low figures assume it is met, the \
                     high ones that the whole {} remains",
                    money(total)
                )),
                None => said.push(
                    "remaining deductible not reported and no total known: the low figures \
                     assume it is met, the high ones are unknown"
                        .into(),
                ),
            }
        }
        if reset_on.is_some() && ded.total.is_none() {
            unknown.push(Figure::DeductibleTotal);
        }
        if uses_coinsurance && terms.coinsurance_percent.is_none() {
            unknown.push(Figure::Coinsurance);
            said.push(
                "coinsurance not reported: the low figures assume 0 %, the high ones are unknown"
                    .into(),
            );
        }
    }

    let oop = &terms.out_of_pocket;
    if terms.family_out_of_pocket.is_none() {
        said.push("family out-of-pocket maximum not reported; individual used".into());
    }
    match (oop.remaining, oop.total) {
        (Some(_), _) => {}
        (None, Some(total)) => {
            unknown.push(Figure::OutOfPocketRemaining);
            said.push(format!(
                "remaining out-of-pocket maximum not reported: the whole {} is assumed to \
                 remain (if part of it is met, the client may pay less)",
                money(total)
            ));
        }
        (None, None) => {
            unknown.push(Figure::OutOfPocketRemaining);
            unknown.push(Figure::OutOfPocketTotal);
            said.push(
                "no out-of-pocket maximum reported: the patient share is not capped (if the \
                 client has met a maximum, they may pay less)"
                    .into(),
            );
        }
    }

    match (terms.day_limit.remaining, terms.day_limit.total) {
        (None, None) => said.push("no day limit reported: every day assumed covered".into()),
        (None, Some(total)) => said.push(format!(
            "remaining days not reported: the plan's {total} days a year assumed to remain"
        )),
        _ => {}
    }
    let beyond = days.iter().filter(|d| d.beyond_day_limit).count();
    if beyond > 0 {
        said.push(format!(
            "{beyond} day(s) beyond the day limit: the patient pays the whole allowed amount, \
             which counts toward neither deductible nor out-of-pocket maximum"
        ));
    }

    match (terms.plan_year_end, reset_on) {
        (None, _) => said.push("plan year end not reported: no reset assumed in the course".into()),
        (Some(_), None) => {}
        (Some(end), Some(first)) => {
            let mut line = format!(
                "the plan year ends {end}: deductible, out-of-pocket maximum and day limit start \
                 again from their totals on {first}"
            );
            let mut missing = Vec::new();
            if uses_deductible && terms.deductible.total.is_none() {
                missing.push("deductible");
            }
            if terms.out_of_pocket.total.is_none() {
                missing.push("out-of-pocket maximum");
            }
            if terms.day_limit.total.is_none() && terms.day_limit.remaining.is_some() {
                missing.push("day limit (no limit assumed)");
            }
            if !missing.is_empty() {
                line.push_str(&format!(
                    "; the totals of the {} are not reported, so the figures from then on are \
                     unknown",
                    missing.join(", ")
                ));
            }
            said.push(line);
        }
    }
    if terms.out_of_pocket.total.is_none() && reset_on.is_some() {
        unknown.push(Figure::OutOfPocketTotal);
    }
    unknown.sort_unstable();
    unknown.dedup();
    (unknown, said)
}

// ---------------------------------------------------------------------------------------------
// From the verified benefit summary

fn parse_money(what: &str, text: Option<&str>, assumptions: &mut Vec<String>) -> Option<Decimal> {
    let text = text?;
    match text.parse::<Decimal>() {
        Ok(amount) if !amount.is_sign_negative() || amount.is_zero() => Some(to_cents(amount)),
        _ => {
            assumptions.push(format!(
                "{what} \"{text}\" is not an amount: treated as unknown"
            ));
            None
        }
    }
}

fn tier_from(what: &str, acc: &Accumulator, assumptions: &mut Vec<String>) -> Tier {
    Tier {
        remaining: parse_money(
            &format!("{what} remaining"),
            acc.remaining.as_ref().map(|m| m.value.as_str()),
            assumptions,
        ),
        total: parse_money(
            &format!("{what} total"),
            acc.total.as_ref().map(|m| m.value.as_str()),
            assumptions,
        ),
    }
}

fn days_from(what: &str, text: Option<&str>, assumptions: &mut Vec<String>) -> Option<u32> {
    let text = text?;
    match text.parse::<u32>() {
        Ok(days) => Some(days),
        Err(_) => {
            assumptions.push(format!(
                "{what} \"{text}\" is not a whole number of days: ignored"
            ));
            None
        }
    }
}

fn limit_from(what: &str, limit: &Limit, assumptions: &mut Vec<String>) -> DayLimit {
    DayLimit {
        remaining: days_from(
            &format!("{what} remaining"),
            limit.remaining.as_ref().map(|s| s.value.as_str()),
            assumptions,
        ),
        total: days_from(
            &format!("{what} total"),
            limit.total.as_ref().map(|s| s.value.as_str()),
            assumptions,
        ),
    }
}

/// One assumption per figure the payer stated for the facility or the whole plan rather than
/// for behavioral health: the estimate uses it, and says so, for staff to confirm.
fn general_figures_said(benefits: &NetworkBenefits) -> Vec<String> {
    let via = |sourced: &[Option<&Sourced<MoneyText>>]| {
        sourced
            .iter()
            .flatten()
            .find_map(|m| m.applies_via)
            .filter(|v| !v.is_behavioral())
    };
    let acc = |a: &Accumulator| via(&[a.total.as_ref(), a.met.as_ref(), a.remaining.as_ref()]);
    let figures = [
        ("deductible", acc(&benefits.deductible.individual)),
        ("family deductible", acc(&benefits.deductible.family)),
        (
            "out-of-pocket maximum",
            acc(&benefits.out_of_pocket.individual),
        ),
        (
            "family out-of-pocket maximum",
            acc(&benefits.out_of_pocket.family),
        ),
        (
            "copay",
            benefits
                .copay
                .as_ref()
                .and_then(|c| c.applies_via)
                .filter(|v| !v.is_behavioral()),
        ),
        (
            "coinsurance",
            benefits
                .coinsurance_percent
                .as_ref()
                .and_then(|c| c.applies_via)
                .filter(|v| !v.is_behavioral()),
        ),
    ];
    figures
        .into_iter()
        .filter_map(|(what, via)| {
            let via = via?;
            let whose = match via {
                AppliesVia::Facility => "the facility's outpatient benefit (service type 50 or 47)",
                _ => "the plan-level benefit (service type 30)",
            };
            Some(format!(
                "{what} is {whose}: the payer did not state one for behavioral health; confirm                  it applies to this program"
            ))
        })
        .collect()
}

/// Plan terms for one network from the verified benefit summary, with the assumptions the
/// reading had to make. The copay rule is [`CopayRule::CopayThenDeductible`] (set another on the
/// result when the plan says so). A family tier the payer said nothing about is `None`. Without
/// a plan end, a plan begin gives the end as one year later less a day.
pub fn from_network_benefits(
    benefits: &NetworkBenefits,
    plan_begin: Option<NaiveDate>,
    plan_end: Option<NaiveDate>,
) -> (PlanTerms, Vec<String>) {
    let mut said = general_figures_said(benefits);
    let family = |what: &str, acc: &Accumulator, said: &mut Vec<String>| {
        if acc.total.is_none() && acc.remaining.is_none() {
            None
        } else {
            Some(tier_from(what, acc, said))
        }
    };
    let deductible = tier_from("deductible", &benefits.deductible.individual, &mut said);
    let family_deductible = family("family deductible", &benefits.deductible.family, &mut said);
    let out_of_pocket = tier_from(
        "out-of-pocket maximum",
        &benefits.out_of_pocket.individual,
        &mut said,
    );
    let family_out_of_pocket = family(
        "family out-of-pocket maximum",
        &benefits.out_of_pocket.family,
        &mut said,
    );
    let copay = benefits.copay.as_ref().and_then(|copay| {
        let amount = parse_money("copay", Some(&copay.amount), &mut said)?;
        let per = match copay.per {
            CopayPer::Day => CopayBasis::Day,
            CopayPer::Visit => {
                said.push("copay per visit: one visit per day".into());
                CopayBasis::Day
            }
            CopayPer::Admission => CopayBasis::Course,
            CopayPer::Unspecified => {
                said.push("copay period not reported: charged per day".into());
                CopayBasis::Day
            }
        };
        Some(CopayTerm { amount, per })
    });
    let coinsurance_percent =
        benefits
            .coinsurance_percent
            .as_ref()
            .and_then(|p| match p.value.parse::<Decimal>() {
                Ok(pct) if pct >= Decimal::ZERO && pct <= Decimal::ONE_HUNDRED => Some(pct),
                _ => {
                    said.push(format!(
                        "coinsurance \"{}\" is not a percent: treated as unknown",
                        p.value
                    ));
                    None
                }
            });
    let mut day_limit = limit_from("day limit", &benefits.day_limit, &mut said);
    if day_limit == DayLimit::default() {
        let visits = limit_from("visit limit", &benefits.visit_limit, &mut said);
        if visits != DayLimit::default() {
            said.push("visit limit used as a day limit: one visit per day".into());
            day_limit = visits;
        }
    }
    let plan_year_end = plan_end.or_else(|| {
        let end = plan_begin?
            .checked_add_months(Months::new(12))?
            .pred_opt()?;
        said.push(format!(
            "plan end not reported: the plan year assumed to end {end}, a year after it began"
        ));
        Some(end)
    });
    let terms = PlanTerms {
        deductible,
        family_deductible,
        out_of_pocket,
        family_out_of_pocket,
        copay,
        copay_rule: CopayRule::default(),
        coinsurance_percent,
        day_limit,
        plan_year_end,
    };
    (terms, said)
}

// ---------------------------------------------------------------------------------------------
// Self-pay: the good faith estimate

/// Planned days of one level of care at a self-pay rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfPayService {
    pub level_of_care: LevelOfCare,
    pub dates: Vec<NaiveDate>,
    pub rate_per_day: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GfeLineItem {
    /// e.g. "Intensive outpatient program (IOP), per diem".
    pub service: String,
    pub level_of_care: LevelOfCare,
    /// Expected dates, in order, each once.
    pub dates: Vec<NaiveDate>,
    pub days: usize,
    #[serde(serialize_with = "cents")]
    pub charge_per_day: Decimal,
    #[serde(serialize_with = "cents")]
    pub total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GoodFaithEstimate {
    pub line_items: Vec<GfeLineItem>,
    #[serde(serialize_with = "cents")]
    pub total: Decimal,
    pub disclaimer: String,
}

/// The words of a per diem line for a level of care.
pub fn service_description(level: LevelOfCare) -> &'static str {
    match level {
        LevelOfCare::Iop => "Intensive outpatient program (IOP), per diem",
        LevelOfCare::Php => "Partial hospitalization program (PHP), per diem",
    }
}

/// A good faith estimate for a self-pay patient: one line item per service, days × rate per
/// day (rate rounded to cents), and the caller's disclaimer as given.
pub fn good_faith_estimate(
    services: &[SelfPayService],
    disclaimer: &str,
) -> Result<GoodFaithEstimate, String> {
    let mut line_items = Vec::with_capacity(services.len());
    for service in services {
        if service.rate_per_day.is_sign_negative() && !service.rate_per_day.is_zero() {
            return Err("rate_per_day must not be negative".into());
        }
        let mut dates = service.dates.clone();
        dates.sort_unstable();
        dates.dedup();
        let rate = to_cents(service.rate_per_day);
        let days = dates.len();
        line_items.push(GfeLineItem {
            service: service_description(service.level_of_care).to_string(),
            level_of_care: service.level_of_care,
            dates,
            days,
            charge_per_day: rate,
            total: rate * Decimal::from(days),
        });
    }
    let total = line_items.iter().map(|l| l.total).sum();
    Ok(GoodFaithEstimate {
        line_items,
        total,
        disclaimer: disclaimer.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;
    use crate::domain::benefits::{Copay, Tiers, YesNoUnknown};
    use crate::domain::eligibility::{MoneyText, Sourced};

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn date(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn tier(remaining: Option<&str>, total: Option<&str>) -> Tier {
        Tier {
            remaining: remaining.map(d),
            total: total.map(d),
        }
    }

    /// Mon 2025-01-06 onwards, weekdays only.
    fn weekdays(n: u32) -> Vec<NaiveDate> {
        schedule_days(&Schedule {
            start_date: date(2025, 1, 6),
            days_per_week: 5,
            weeks: n.div_ceil(5),
        })
        .unwrap()
        .into_iter()
        .take(n as usize)
        .collect()
    }

    fn terms() -> PlanTerms {
        PlanTerms {
            deductible: tier(Some("0"), Some("500")),
            out_of_pocket: tier(Some("5000"), Some("6000")),
            coinsurance_percent: Some(d("20")),
            plan_year_end: Some(date(2025, 12, 31)),
            ..PlanTerms::default()
        }
    }

    fn patients(e: &Estimate) -> Vec<String> {
        e.days
            .iter()
            .map(|day| day.low.patient.to_string())
            .collect()
    }

    fn assert_known(e: &Estimate) {
        assert!(e.unknown.is_empty(), "{:?}", e.unknown);
        for day in &e.days {
            assert_eq!(Some(day.low), day.high, "{}", day.date);
        }
        assert_eq!(Some(e.totals.low), e.totals.high);
    }

    #[test]
    fn the_deductible_is_met_mid_course_then_coinsurance_applies() {
        // $200 a day, $500 of the deductible left, 20 % coinsurance:
        // day 1: 200 deductible; day 2: 200 deductible (100 left);
        // day 3: 100 deductible + 20 % of 100 = 20 → 120; days 4–5: 20 % of 200 = 40.
        let t = PlanTerms {
            deductible: tier(Some("500"), Some("1000")),
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(5), &t).unwrap();
        assert_known(&e);
        assert_eq!(
            patients(&e),
            ["200.00", "200.00", "120.00", "40.00", "40.00"]
        );
        let third = &e.days[2].low;
        assert_eq!((third.deductible, third.coinsurance), (d("100"), d("20")));
        assert_eq!(third.plan, d("80"));
        assert_eq!(e.totals.low.patient, d("600"));
        assert_eq!(e.totals.low.deductible, d("500"));
        assert_eq!(e.totals.low.plan, d("400"));
        assert_eq!(e.totals.allowed, d("1000"));
        assert!(e
            .assumptions
            .iter()
            .any(|a| a == "family deductible not reported; individual used"));
        assert!(e
            .assumptions
            .iter()
            .any(|a| a == "no copay reported: none applied"));
    }

    #[test]
    fn an_embedded_family_deductible_binds_when_it_is_smaller() {
        // Individual 500 left, family 150 left: day 1 pays 150 + 20 % of 50 = 160.
        let t = PlanTerms {
            deductible: tier(Some("500"), Some("1000")),
            family_deductible: Some(tier(Some("150"), Some("3000"))),
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(2), &t).unwrap();
        assert_known(&e);
        assert_eq!(patients(&e), ["160.00", "40.00"]);
    }

    #[test]
    fn coinsurance_runs_until_the_out_of_pocket_maximum_is_reached() {
        // $250 a day, deductible met, 20 % = 50 a day, 120 of out-of-pocket left:
        // 50 (70 left), 50 (20 left), 20 (capped, reached), then 0: the plan pays 100 %.
        let t = PlanTerms {
            out_of_pocket: tier(Some("120"), Some("6000")),
            ..terms()
        };
        let e = estimate(d("250"), &weekdays(4), &t).unwrap();
        assert_known(&e);
        assert_eq!(patients(&e), ["50.00", "50.00", "20.00", "0.00"]);
        let flags: Vec<bool> = e.days.iter().map(|x| x.low.oop_max_reached).collect();
        assert_eq!(flags, [false, false, true, true]);
        assert_eq!(e.days[2].low.plan, d("230"));
        assert_eq!(e.days[3].low.plan, d("250"));
        assert_eq!(e.totals.low.patient, d("120"));
        assert_eq!(e.totals.low.plan, d("880"));
    }

    #[test]
    fn a_copay_only_plan_needs_neither_deductible_nor_coinsurance() {
        // $40 a day instead of anything else: 40 + 140 = 180 each day.
        let t = PlanTerms {
            deductible: tier(None, None),
            coinsurance_percent: None,
            copay: Some(CopayTerm {
                amount: d("40"),
                per: CopayBasis::Day,
            }),
            copay_rule: CopayRule::CopayInstead,
            ..terms()
        };
        let e = estimate(d("180"), &weekdays(3), &t).unwrap();
        assert_known(&e);
        assert_eq!(patients(&e), ["40.00", "40.00", "40.00"]);
        assert_eq!(e.totals.low.copay, d("120"));
        assert_eq!(e.totals.low.plan, d("420"));
        assert!(e
            .assumptions
            .iter()
            .any(|a| a == "copay instead of deductible and coinsurance"));
    }

    #[test]
    fn copay_then_deductible_then_coinsurance_on_the_rest() {
        // $200, copay 30, 50 of deductible left, 10 %:
        // day 1: 30 + 50 + 10 % of 120 = 12 → 92 (plan 108); day 2: 30 + 10 % of 170 = 17 → 47.
        let t = PlanTerms {
            deductible: tier(Some("50"), Some("500")),
            coinsurance_percent: Some(d("10")),
            copay: Some(CopayTerm {
                amount: d("30"),
                per: CopayBasis::Day,
            }),
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(2), &t).unwrap();
        assert_known(&e);
        assert_eq!(patients(&e), ["92.00", "47.00"]);
        assert_eq!(e.days[0].low.plan, d("108"));
        assert!(e
            .assumptions
            .iter()
            .any(|a| a.starts_with("copay applied before the deductible")));

        // Rounding, once, half away from zero: $123.45, copay 20, 15 % of 103.45 = 15.5175 →
        // 15.52; patient 35.52, plan 87.93.
        let t = PlanTerms {
            coinsurance_percent: Some(d("15")),
            copay: Some(CopayTerm {
                amount: d("20"),
                per: CopayBasis::Day,
            }),
            ..terms()
        };
        let e = estimate(d("123.45"), &weekdays(1), &t).unwrap();
        assert_eq!(e.days[0].low.coinsurance.to_string(), "15.52");
        assert_eq!(e.days[0].low.plan.to_string(), "87.93");
    }

    #[test]
    fn copay_after_the_deductible_starts_the_day_it_is_met() {
        // $200, 300 of deductible left, copay 25 after it, no coinsurance:
        // day 1: 200 deductible (100 left); day 2: 100 deductible, met, copay 25 → 125;
        // day 3: 25.
        let t = PlanTerms {
            deductible: tier(Some("300"), Some("500")),
            coinsurance_percent: Some(d("0")),
            copay: Some(CopayTerm {
                amount: d("25"),
                per: CopayBasis::Day,
            }),
            copay_rule: CopayRule::CopayAfterDeductible,
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(3), &t).unwrap();
        assert_known(&e);
        assert_eq!(patients(&e), ["200.00", "125.00", "25.00"]);
    }

    #[test]
    fn a_plan_year_ending_inside_the_course_resets_the_accumulators() {
        // $200, deductible met (total 300), 20 %, 100 of out-of-pocket left; year ends Dec 31.
        // Dec 30: 40 (60 left); Dec 31: 40 (20 left, not reached);
        // Jan 2: new year, 300 deductible: 200; Jan 5: 100 + 20 % of 100 = 120.
        let t = PlanTerms {
            deductible: tier(Some("0"), Some("300")),
            out_of_pocket: tier(Some("100"), Some("3000")),
            ..terms()
        };
        let days = [
            date(2026, 1, 5),
            date(2025, 12, 30),
            date(2026, 1, 2),
            date(2025, 12, 31),
        ];
        let e = estimate(d("200"), &days, &t).unwrap();
        assert_known(&e);
        assert_eq!(patients(&e), ["40.00", "40.00", "200.00", "120.00"]);
        let reset: Vec<bool> = e.days.iter().map(|x| x.after_plan_year_reset).collect();
        assert_eq!(reset, [false, false, true, true]);
        assert_eq!(e.days[0].date, date(2025, 12, 30));
        assert_eq!(e.totals.low.patient, d("400"));
        assert_eq!(e.totals.low.plan, d("400"));

        // Totals unknown: after the reset the low figures assume the deductible met and the
        // out-of-pocket uncapped (20 % of 200 = 40), the high ones are unknown.
        let t = PlanTerms {
            deductible: tier(Some("0"), None),
            out_of_pocket: tier(Some("100"), None),
            ..terms()
        };
        let e = estimate(d("200"), &days, &t).unwrap();
        assert_eq!(e.days[1].high.unwrap().patient, d("40"));
        assert_eq!(e.days[2].low.patient, d("40"));
        assert_eq!(e.days[2].high, None);
        assert_eq!(e.totals.high, None);
        assert_eq!(
            e.unknown,
            [Figure::DeductibleTotal, Figure::OutOfPocketTotal]
        );
        assert!(e
            .assumptions
            .iter()
            .any(|a| a.contains("the figures from then on are unknown")));
    }

    #[test]
    fn days_beyond_the_day_limit_are_the_patients_and_flagged() {
        // $100, 2 days left, deductible met, 10 %: 10, 10, then 100 and 100 not covered.
        let t = PlanTerms {
            coinsurance_percent: Some(d("10")),
            day_limit: DayLimit {
                remaining: Some(2),
                total: Some(30),
            },
            ..terms()
        };
        let e = estimate(d("100"), &weekdays(4), &t).unwrap();
        assert_known(&e);
        assert_eq!(patients(&e), ["10.00", "10.00", "100.00", "100.00"]);
        let beyond: Vec<bool> = e.days.iter().map(|x| x.beyond_day_limit).collect();
        assert_eq!(beyond, [false, false, true, true]);
        assert_eq!(e.days[3].low.not_covered, d("100"));
        assert_eq!(e.days[3].low.plan, d("0"));
        assert_eq!(e.totals.low.patient, d("220"));
        assert_eq!(e.totals.low.not_covered, d("200"));
        assert!(e
            .assumptions
            .iter()
            .any(|a| a.starts_with("2 day(s) beyond")));
    }

    #[test]
    fn an_unknown_out_of_pocket_maximum_gives_a_range() {
        // Nothing reported: not capped in either scenario (an unknown remainder is never
        // assumed reached), and flagged: 3 × 40 = 120.
        let t = PlanTerms {
            out_of_pocket: tier(None, None),
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(3), &t).unwrap();
        assert_eq!(e.totals.low.patient, d("120"));
        assert_eq!(e.totals.low.plan, d("480"));
        assert_eq!(e.totals.high.unwrap().patient, d("120"));
        assert_eq!(
            e.unknown,
            [Figure::OutOfPocketRemaining, Figure::OutOfPocketTotal]
        );
        assert!(e
            .assumptions
            .iter()
            .any(|a| a.starts_with("no out-of-pocket maximum reported")));

        // Only the total (60) known: both scenarios are capped by it: 40, 20, 0.
        let t = PlanTerms {
            out_of_pocket: tier(None, Some("60")),
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(3), &t).unwrap();
        let high: Vec<Decimal> = e.days.iter().map(|x| x.high.unwrap().patient).collect();
        assert_eq!(high, [d("40"), d("20"), d("0")]);
        let low: Vec<Decimal> = e.days.iter().map(|x| x.low.patient).collect();
        assert_eq!(low, high);
        assert_eq!(e.unknown, [Figure::OutOfPocketRemaining]);
    }

    #[test]
    fn an_unknown_remaining_deductible_gives_a_range() {
        // Total 300 known: low assumes it met: 40 × 3 = 120; high assumes 300 left:
        // 200, 100 + 20 = 120, 40 → 360.
        let t = PlanTerms {
            deductible: tier(None, Some("300")),
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(3), &t).unwrap();
        assert_eq!(patients(&e), ["40.00", "40.00", "40.00"]);
        let high: Vec<Decimal> = e.days.iter().map(|x| x.high.unwrap().patient).collect();
        assert_eq!(high, [d("200"), d("120"), d("40")]);
        assert_eq!(e.totals.high.unwrap().patient, d("360"));
        assert_eq!(e.unknown, [Figure::DeductibleRemaining]);

        // No total either: the high bound is unknown.
        let t = PlanTerms {
            deductible: tier(None, None),
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(3), &t).unwrap();
        assert_eq!(e.totals.low.patient, d("120"));
        assert!(e.days.iter().all(|x| x.high.is_none()));
        assert_eq!(e.totals.high, None);
        assert_eq!(
            e.unknown,
            [Figure::DeductibleRemaining, Figure::DeductibleTotal]
        );
    }

    #[test]
    fn unknown_coinsurance_leaves_the_high_bound_open() {
        let t = PlanTerms {
            coinsurance_percent: None,
            ..terms()
        };
        let e = estimate(d("200"), &weekdays(2), &t).unwrap();
        assert_eq!(e.totals.low.patient, d("0"));
        assert_eq!(e.totals.high, None);
        assert_eq!(e.unknown, [Figure::Coinsurance]);
    }

    #[test]
    fn a_schedule_takes_weekdays_first_then_saturday_then_sunday() {
        // Wednesday 2025-01-08, 5 days a week, 2 weeks.
        let days = schedule_days(&Schedule {
            start_date: date(2025, 1, 8),
            days_per_week: 5,
            weeks: 2,
        })
        .unwrap();
        let shown: Vec<u32> = days.iter().map(|x| x.day()).collect();
        assert_eq!(shown, [8, 9, 10, 13, 14, 15, 16, 17, 20, 21]);
        let six = schedule_days(&Schedule {
            start_date: date(2025, 1, 6),
            days_per_week: 6,
            weeks: 1,
        })
        .unwrap();
        assert_eq!(six.last(), Some(&date(2025, 1, 11)));
        assert_eq!(six.len(), 6);
        let seven = Schedule {
            start_date: date(2025, 1, 6),
            days_per_week: 7,
            weeks: 3,
        };
        assert_eq!(schedule_days(&seven).unwrap().len(), 21);
        for (per_week, weeks) in [(0, 1), (8, 1), (5, 0), (5, MAX_WEEKS + 1)] {
            let bad = Schedule {
                start_date: date(2025, 1, 6),
                days_per_week: per_week,
                weeks,
            };
            assert!(schedule_days(&bad).is_err());
        }
    }

    #[test]
    fn bad_terms_are_refused() {
        assert!(estimate(d("-1"), &weekdays(1), &terms()).is_err());
        let t = PlanTerms {
            coinsurance_percent: Some(d("120")),
            ..terms()
        };
        assert!(estimate(d("100"), &weekdays(1), &t).is_err());
    }

    #[test]
    fn duplicate_dates_count_once_and_amounts_serialise_with_two_places() {
        let days = [date(2025, 1, 6), date(2025, 1, 6)];
        let e = estimate(d("200"), &days, &terms()).unwrap();
        assert_eq!(e.days.len(), 1);
        assert!(e.assumptions.iter().any(|a| a.starts_with("1 duplicate")));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["days"][0]["date"], "2025-01-06");
        assert_eq!(json["days"][0]["allowed"], "200.00");
        assert_eq!(json["days"][0]["low"]["coinsurance"], "40.00");
        assert_eq!(json["totals"]["high"]["plan"], "160.00");
        assert_eq!(json["unknown"], serde_json::json!([]));
    }

    fn money(amount: &str) -> Option<Sourced<MoneyText>> {
        Some(Sourced::new(MoneyText::new(d(amount)), "EB"))
    }

    #[test]
    fn terms_are_read_from_the_benefit_summary_with_their_assumptions() {
        let benefits = NetworkBenefits {
            deductible: Tiers {
                individual: Accumulator {
                    total: money("1500"),
                    met: money("600"),
                    remaining: money("900"),
                },
                family: Accumulator::default(),
            },
            out_of_pocket: Tiers {
                individual: Accumulator {
                    total: money("6000"),
                    met: None,
                    remaining: None,
                },
                family: Accumulator {
                    total: money("12000"),
                    met: None,
                    remaining: money("11000"),
                },
            },
            copay: Some(Copay {
                amount: "40.00".into(),
                per: CopayPer::Visit,
                source: "EB #3".into(),
                applies_via: None,
            }),
            coinsurance_percent: Some(Sourced::new("20".to_string(), "EB #4")),
            day_limit: Limit::default(),
            visit_limit: Limit {
                total: Some(Sourced::new("30".to_string(), "EB #5")),
                remaining: Some(Sourced::new("12".to_string(), "EB #6")),
            },
            prior_authorization: Sourced::new(YesNoUnknown::Unknown, "not stated"),
        };
        let (t, said) = from_network_benefits(&benefits, Some(date(2025, 7, 1)), None);
        assert_eq!(t.deductible, tier(Some("900"), Some("1500")));
        assert_eq!(t.family_deductible, None);
        assert_eq!(t.out_of_pocket, tier(None, Some("6000")));
        assert_eq!(
            t.family_out_of_pocket,
            Some(tier(Some("11000"), Some("12000")))
        );
        assert_eq!(
            t.copay,
            Some(CopayTerm {
                amount: d("40"),
                per: CopayBasis::Day
            })
        );
        assert_eq!(t.copay_rule, CopayRule::CopayThenDeductible);
        assert_eq!(t.coinsurance_percent, Some(d("20")));
        assert_eq!(
            t.day_limit,
            DayLimit {
                remaining: Some(12),
                total: Some(30)
            }
        );
        assert_eq!(t.plan_year_end, Some(date(2026, 6, 30)));
        assert!(said
            .iter()
            .any(|a| a == "copay per visit: one visit per day"));
        assert!(said
            .iter()
            .any(|a| a.starts_with("visit limit used as a day limit")));
        assert!(said.iter().any(|a| a.starts_with("plan end not reported")));
    }

    /// Medicare Part B style: the whole deductible remains, then 20 % coinsurance, no
    /// out-of-pocket maximum reported.
    fn part_b() -> PlanTerms {
        PlanTerms {
            deductible: tier(Some("257"), Some("257")),
            out_of_pocket: tier(None, None),
            coinsurance_percent: Some(d("20")),
            plan_year_end: Some(date(2025, 12, 31)),
            ..PlanTerms::default()
        }
    }

    fn rated(days: &[(u32, &str, Option<&str>)]) -> Vec<(NaiveDate, Allowed)> {
        days.iter()
            .map(|(day, low, high)| {
                (
                    date(2025, 3, *day),
                    Allowed {
                        low: d(low),
                        high: high.map(d),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_range_of_allowed_amounts_walks_each_scenario_with_its_own_rate() {
        // Low at the 3-service rate 260.15: 257.00 + 20 % of 3.15 (0.63) = 257.63, then
        // 52.03 a day. High at the 4+ rate 370.20: 257.00 + 20 % of 113.20 (22.64) = 279.64,
        // then 74.04 a day.
        let days = rated(&[
            (3, "260.15", Some("370.20")),
            (4, "260.15", Some("370.20")),
            (5, "260.15", Some("370.20")),
        ]);
        let e = estimate_range(&days, &part_b()).unwrap();
        assert_eq!(patients(&e), ["257.63", "52.03", "52.03"]);
        let high: Vec<String> = e
            .days
            .iter()
            .map(|x| x.high.unwrap().patient.to_string())
            .collect();
        assert_eq!(high, ["279.64", "74.04", "74.04"]);
        assert_eq!(e.days[0].low.deductible, d("257"));
        assert_eq!(e.days[0].low.coinsurance, d("0.63"));
        assert_eq!(e.days[0].high.unwrap().coinsurance, d("22.64"));
        assert_eq!(e.totals.allowed, d("780.45"));
        assert_eq!(e.totals.allowed_high, Some(d("1110.60")));
        assert_eq!(e.totals.low.patient, d("361.69"));
        assert_eq!(e.totals.low.plan, d("418.76"));
        let high = e.totals.high.unwrap();
        assert_eq!(high.patient, d("427.72"));
        assert_eq!(high.plan, d("682.88"));
        assert!(!e.unknown.contains(&Figure::DayRateFourPlus));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["days"][0]["allowed"], "260.15");
        assert_eq!(json["days"][0]["allowed_high"], "370.20");
        assert_eq!(json["totals"]["allowed_high"], "1110.60");
        // A plain estimate has no allowed_high at all.
        let plain =
            serde_json::to_value(estimate(d("200"), &weekdays(1), &terms()).unwrap()).unwrap();
        assert!(plain["days"][0].get("allowed_high").is_none());
        assert!(plain["totals"].get("allowed_high").is_none());
    }

    #[test]
    fn a_rate_changed_inside_the_course_prices_the_days_after_it() {
        // The deductible met already: 20 % of each day's rate.
        let t = PlanTerms {
            deductible: tier(Some("0"), Some("257")),
            ..part_b()
        };
        let days = rated(&[
            (14, "260.15", Some("370.20")),
            (17, "265.40", Some("377.55")),
        ]);
        let e = estimate_range(&days, &t).unwrap();
        assert_eq!(patients(&e), ["52.03", "53.08"]);
        assert_eq!(e.days[1].allowed, d("265.40"));
        assert_eq!(e.days[1].allowed_high, Some(d("377.55")));
        assert_eq!(e.days[1].high.unwrap().patient, d("75.51"));
        assert_eq!(e.totals.allowed, d("525.55"));
        assert_eq!(e.totals.high.unwrap().patient, d("149.55"));
    }

    #[test]
    fn a_day_without_a_four_plus_rate_leaves_the_high_figures_unknown_from_it() {
        let days = rated(&[
            (3, "260.15", Some("370.20")),
            (4, "260.15", None),
            (5, "260.15", Some("370.20")),
        ]);
        let e = estimate_range(&days, &part_b()).unwrap();
        assert_eq!(patients(&e), ["257.63", "52.03", "52.03"], "low is whole");
        assert!(e.days[0].high.is_some());
        assert!(e.days[1].high.is_none());
        assert!(
            e.days[2].high.is_none(),
            "the deductible after it is unknown"
        );
        assert_eq!(e.days[1].allowed_high, None);
        assert_eq!(e.totals.high, None);
        assert_eq!(e.totals.allowed_high, None);
        assert!(e.unknown.contains(&Figure::DayRateFourPlus));
        assert!(e
            .assumptions
            .iter()
            .any(|a| a.starts_with("1 day(s) without a 4+ services day rate")));
        let json = serde_json::to_value(&e).unwrap();
        assert!(json["days"][1].get("allowed_high").is_none());
        assert_eq!(
            json["unknown"].as_array().unwrap().last().unwrap(),
            "day_rate_four_plus"
        );
        // A negative amount is refused as in a plain estimate.
        assert!(estimate_range(&rated(&[(3, "-1", Some("2"))]), &part_b()).is_err());
        assert!(estimate_range(&rated(&[(3, "1", Some("-2"))]), &part_b()).is_err());
    }

    #[test]
    fn a_good_faith_estimate_lists_days_times_rate() {
        let services = [
            SelfPayService {
                level_of_care: LevelOfCare::Php,
                dates: weekdays(2),
                rate_per_day: d("800"),
            },
            SelfPayService {
                level_of_care: LevelOfCare::Iop,
                dates: vec![date(2025, 1, 15), date(2025, 1, 13), date(2025, 1, 14)],
                rate_per_day: d("350"),
            },
        ];
        let gfe = good_faith_estimate(&services, "This is an estimate.").unwrap();
        // 2 × 800 = 1600; 3 × 350 = 1050; 2650 in all.
        assert_eq!(gfe.line_items[0].total, d("1600"));
        assert_eq!(
            gfe.line_items[1].service,
            "Intensive outpatient program (IOP), per diem"
        );
        assert_eq!(gfe.line_items[1].dates[0], date(2025, 1, 13));
        assert_eq!(gfe.total, d("2650"));
        let json = serde_json::to_value(&gfe).unwrap();
        assert_eq!(json["total"], "2650.00");
        assert_eq!(json["line_items"][1]["charge_per_day"], "350.00");
        assert_eq!(json["line_items"][1]["level_of_care"], "IOP");
        assert_eq!(json["disclaimer"], "This is an estimate.");
    }

    // -----------------------------------------------------------------------------------------
    // Properties

    fn cents_opt(max: i64) -> impl Strategy<Value = Option<Decimal>> {
        prop::option::of((0..=max).prop_map(|c| Decimal::new(c, 2)))
    }

    fn tier_strategy(max: i64) -> impl Strategy<Value = Tier> {
        (cents_opt(max), cents_opt(max)).prop_map(|(remaining, total)| Tier { remaining, total })
    }

    prop_compose! {
        fn plan_terms()(
            deductible in tier_strategy(300_000),
            family_deductible in prop::option::of(tier_strategy(600_000)),
            out_of_pocket in tier_strategy(600_000),
            family_out_of_pocket in prop::option::of(tier_strategy(1_200_000)),
            copay in prop::option::of((0i64..=30_000, any::<bool>())),
            rule in 0u8..3,
            coinsurance in prop::option::of((0i64..=10_000).prop_map(|c| Decimal::new(c, 2))),
            day_limit in (prop::option::of(0u32..20), prop::option::of(0u32..40)),
            year_end in prop::option::of(0u64..60),
        ) -> PlanTerms {
            PlanTerms {
                deductible,
                family_deductible,
                out_of_pocket,
                family_out_of_pocket,
                copay: copay.map(|(c, daily)| CopayTerm {
                    amount: Decimal::new(c, 2),
                    per: if daily { CopayBasis::Day } else { CopayBasis::Course },
                }),
                copay_rule: match rule {
                    0 => CopayRule::CopayThenDeductible,
                    1 => CopayRule::CopayInstead,
                    _ => CopayRule::CopayAfterDeductible,
                },
                coinsurance_percent: coinsurance,
                day_limit: DayLimit { remaining: day_limit.0, total: day_limit.1 },
                plan_year_end: year_end
                    .and_then(|n| date(2025, 1, 1).checked_add_days(Days::new(n))),
            }
        }
    }

    fn check_share(share: &Share, allowed: Decimal) {
        assert_eq!(share.patient + share.plan, allowed);
        assert!(share.patient >= Decimal::ZERO && share.patient <= allowed);
        assert_eq!(
            share.deductible + share.copay + share.coinsurance + share.not_covered,
            share.patient
        );
        for part in [share.deductible, share.copay, share.coinsurance] {
            assert!(part >= Decimal::ZERO);
        }
        assert_eq!(share.patient.scale(), 2);
    }

    /// The covered patient share per plan year, for one bound (`None` once unknown).
    fn per_year(e: &Estimate, high: bool) -> Vec<Option<Decimal>> {
        let mut years: Vec<Option<Decimal>> = vec![Some(Decimal::ZERO)];
        for day in &e.days {
            let share = if high { day.high } else { Some(day.low) };
            let index = usize::from(day.after_plan_year_reset);
            if years.len() <= index {
                years.push(Some(Decimal::ZERO));
            }
            years[index] = match (years[index], share) {
                (Some(sum), Some(s)) => Some(sum + s.patient - s.not_covered),
                _ => None,
            };
        }
        years
    }

    proptest! {
        #[test]
        fn every_day_balances_and_stays_within_allowed_and_the_cap(
            terms in plan_terms(),
            allowed in (0i64..=200_000).prop_map(|c| Decimal::new(c, 2)),
            start in 0u64..40,
            per_week in 1u8..=7,
            weeks in 1u32..5,
        ) {
            let schedule = Schedule {
                start_date: date(2025, 1, 1).checked_add_days(Days::new(start)).unwrap(),
                days_per_week: per_week,
                weeks,
            };
            let days = schedule_days(&schedule).unwrap();
            let e = estimate(allowed, &days, &terms).unwrap();
            prop_assert_eq!(e.days.len(), days.len());
            for day in &e.days {
                check_share(&day.low, allowed);
                if let Some(high) = &day.high {
                    check_share(high, allowed);
                }
            }
            check_share(&e.totals.low, e.totals.allowed);
            if let Some(high) = &e.totals.high {
                check_share(high, e.totals.allowed);
                prop_assert!(e.totals.low.patient <= high.patient);
            }
            // Within the first plan year the covered patient share never exceeds the remaining
            // out-of-pocket maximum when it is known (individual and, if reported, family).
            let known_cap = min_known(
                terms.out_of_pocket.remaining,
                terms.family_out_of_pocket.and_then(|f| f.remaining),
            );
            if let Some(cap) = known_cap {
                for high in [false, true] {
                    if let Some(Some(first)) = per_year(&e, high).first() {
                        prop_assert!(*first <= cap, "{} > {}", first, cap);
                    }
                }
            }
            let known_total = min_known(
                terms.out_of_pocket.total,
                terms.family_out_of_pocket.and_then(|f| f.total),
            );
            if let Some(cap) = known_total {
                for high in [false, true] {
                    if let Some(Some(later)) = per_year(&e, high).get(1) {
                        prop_assert!(*later <= cap, "{} > {}", later, cap);
                    }
                }
            }
        }
    }
}
