//! Cost estimates for a planned IOP or PHP course: from a stored verification's benefits (the
//! arithmetic is the pure [`crate::domain::estimate`]), or a good-faith estimate at the
//! clinic's self-pay rate when there is no coverage to bill. The answer is kept as given.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::config::BillingSettings;
use crate::domain::benefits::{CoverageStatus, LevelSummary};
use crate::domain::day_rate::{self, Tier};
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::estimate::{
    estimate, estimate_range, from_network_benefits, good_faith_estimate, Allowed, Estimate,
    GoodFaithEstimate, SelfPayService,
};
use crate::domain::fee_schedule::in_force;
use crate::domain::ids::{DayRateId, EstimateId, FeeScheduleId, PayerId, VerificationId};
use crate::domain::money::Money;
use crate::domain::payer::ClaimStyle;
use crate::store::verifications::Verification;
use crate::store::{day_rates, fee_schedules, payers, StoreError, Tx};

/// In or out of the plan's network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    In,
    Out,
}

impl Network {
    pub fn parse(raw: &str) -> Result<Network, String> {
        match raw {
            "in" => Ok(Network::In),
            "out" => Ok(Network::Out),
            _ => Err("must be in or out".into()),
        }
    }
}

/// What was asked, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub level_of_care: LevelOfCare,
    pub network: Network,
    pub days: Vec<NaiveDate>,
    pub allowed_per_day: Option<Money>,
    pub self_pay: bool,
    pub self_pay_rate_per_day: Option<Money>,
}

/// Where the allowed amount per day came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum AllowedSource {
    Request,
    FeeSchedule {
        fee_schedule_id: FeeScheduleId,
    },
    /// A per-service payer's day rates: the `3` rate for the low figures, the `4+` rate for
    /// the high ones, each in force on its day.
    DayRates {
        day_rate_ids: Vec<DayRateId>,
    },
}

/// The allowed amount per day the estimate walks.
enum Pricing {
    /// One amount every day, in both scenarios.
    Flat(Money, AllowedSource),
    /// Per day, a low and a high amount (a per-service payer's day rates).
    Range(Vec<(NaiveDate, Allowed)>, AllowedSource),
}

/// An estimate as answered and kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub id: EstimateId,
    pub client_id: Uuid,
    pub verification_id: Option<VerificationId>,
    pub kind: &'static str,
    pub level_of_care: LevelOfCare,
    pub program: Option<Program>,
    pub network: Option<Network>,
    /// One amount a day, when the estimate had one (not with day rates: each day then shows
    /// its own low and high allowed amount).
    pub allowed_per_day: Option<Money>,
    pub allowed_source: Option<AllowedSource>,
    /// The insurance estimate: the per-day ledger, totals, unknown figures and assumptions.
    pub estimate: Option<Estimate>,
    /// The self-pay good-faith estimate.
    pub good_faith_estimate: Option<GoodFaithEstimate>,
    /// Why this kind of estimate, and what else was taken for granted here.
    pub notes: Vec<String>,
    pub created_by: Uuid,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A request the facts do not allow, with the field to fix.
    #[error("{message}")]
    Refused {
        field: &'static str,
        message: String,
    },
}

fn refused(field: &'static str, message: impl Into<String>) -> EstimateError {
    EstimateError::Refused {
        field,
        message: message.into(),
    }
}

fn date_of(text: Option<&crate::domain::eligibility::Sourced<String>>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(&t.value, "%Y-%m-%d").ok())
}

/// The level's benefit summary of a verification, when it asked for that level.
fn summary_of(
    verification: &Verification,
    level: LevelOfCare,
) -> Result<Option<LevelSummary>, EstimateError> {
    let levels: Vec<LevelSummary> = serde_json::from_value(verification.levels.clone())
        .map_err(|e| StoreError::corrupt("verification", e))?;
    Ok(levels.into_iter().find(|l| l.level_of_care == level))
}

fn self_pay_rate(
    settings: &BillingSettings,
    level: LevelOfCare,
    asked: Option<Money>,
) -> Result<Money, EstimateError> {
    if let Some(rate) = asked {
        return Ok(rate);
    }
    let configured = match level {
        LevelOfCare::Iop => &settings.self_pay_iop_per_day,
        LevelOfCare::Php => &settings.self_pay_php_per_day,
    };
    Money::parse(configured)
        .map_err(|e| StoreError::corrupt("configuration billing.self_pay_*_per_day", e).into())
}

/// The contracted amount of the payer's fee schedule in force on the first day (a per-day
/// payer), or a refusal asking for `allowed_per_day`.
async fn fee_schedule_pricing(
    tx: &mut Tx,
    payer: PayerId,
    request: &Request,
    summary: &LevelSummary,
) -> Result<Pricing, EstimateError> {
    let schedules = fee_schedules::of_payers(tx, &[payer.as_uuid()]).await?;
    let first = request.days.iter().min().copied();
    let found =
        first.and_then(|day| in_force(&schedules, request.level_of_care, summary.program, day));
    match found.and_then(|s| s.data.allowed_per_day.map(|a| (a, s.id))) {
        Some((allowed, id)) => Ok(Pricing::Flat(
            allowed,
            AllowedSource::FeeSchedule {
                fee_schedule_id: id,
            },
        )),
        None => Err(refused(
            "allowed_per_day",
            format!(
                "is needed: the payer has no fee schedule with a contracted amount for {} {} on \
                 the first day; send the allowed amount per day",
                request.level_of_care.as_str(),
                summary.program.as_str()
            ),
        )),
    }
}

/// A per-service payer's day rates in force on each day: the `3` rate as the low allowed
/// amount, the `4+` rate as the high one (domain reference §4.3; the rule for the
/// estimate). A day without a `4+` rate leaves the high figures unknown (the estimate lists
/// it); a day without a `3` rate has no low figure to give, so the estimate is refused as it
/// is for a per-day payer without a contracted amount: record the rate or send
/// `allowed_per_day`.
async fn day_rate_pricing(
    tx: &mut Tx,
    payer: PayerId,
    request: &Request,
) -> Result<Pricing, EstimateError> {
    let rates = day_rates::of_payer(tx, payer).await?;
    let level = request.level_of_care;
    let mut days = Vec::with_capacity(request.days.len());
    let mut used: Vec<DayRateId> = Vec::new();
    for day in &request.days {
        let Some(three) = day_rate::in_force(&rates, level, Tier::Three, *day) else {
            return Err(refused(
                "allowed_per_day",
                format!(
                    "is needed: the payer is billed per service and has no day rate for {} days \
                     with 3 services in force on {day}; record one, or send the allowed amount \
                     per day",
                    level.as_str()
                ),
            ));
        };
        let four = day_rate::in_force(&rates, level, Tier::FourPlus, *day);
        for id in std::iter::once(three.id).chain(four.map(|r| r.id)) {
            if !used.contains(&id) {
                used.push(id);
            }
        }
        days.push((
            *day,
            Allowed {
                low: three.data.amount.amount(),
                high: four.map(|r| r.data.amount.amount()),
            },
        ));
    }
    Ok(Pricing::Range(
        days,
        AllowedSource::DayRates { day_rate_ids: used },
    ))
}

/// Builds the estimate. `verification` is `None` for a self-pay estimate of a client without
/// one. Nothing is written here; the caller keeps the answer.
pub async fn make(
    tx: &mut Tx,
    client_id: Uuid,
    verification: Option<&Verification>,
    request: &Request,
    settings: &BillingSettings,
    user: Uuid,
) -> Result<Answer, EstimateError> {
    let mut notes = Vec::new();
    let verification_id = verification.map(|v| v.id);
    let summary = match verification {
        Some(v) => summary_of(v, request.level_of_care)?,
        None => None,
    };
    let inactive = summary
        .as_ref()
        .is_some_and(|s| s.coverage_status.value == CoverageStatus::Inactive)
        || verification.is_some_and(|v| v.status == "inactive");
    let mut answer = Answer {
        id: EstimateId::new(),
        client_id,
        verification_id,
        kind: "self_pay",
        level_of_care: request.level_of_care,
        program: verification.and_then(|v| Program::parse(&v.program).ok()),
        network: None,
        allowed_per_day: None,
        allowed_source: None,
        estimate: None,
        good_faith_estimate: None,
        notes: Vec::new(),
        created_by: user,
        created_at: crate::store::now(),
    };

    if request.self_pay || inactive || verification.is_none() {
        if inactive && !request.self_pay {
            notes.push(
                "the verification found the coverage inactive: this is a self-pay good-faith \
                 estimate"
                    .to_string(),
            );
        }
        let rate = self_pay_rate(
            settings,
            request.level_of_care,
            request.self_pay_rate_per_day,
        )?;
        let gfe = good_faith_estimate(
            &[SelfPayService {
                level_of_care: request.level_of_care,
                dates: request.days.clone(),
                rate_per_day: rate.amount(),
            }],
            &settings.good_faith_disclaimer,
        )
        .map_err(|m| refused("self_pay_rate_per_day", m))?;
        answer.good_faith_estimate = Some(gfe);
        answer.notes = notes;
        return Ok(answer);
    }

    let Some(verification) = verification else {
        return Err(refused("verification_id", "is required"));
    };
    if verification.status != "verified" {
        return Err(refused(
            "verification_id",
            format!(
                "names a verification that ended {}: verify the benefits again first",
                verification.status
            ),
        ));
    }
    let Some(summary) = summary else {
        return Err(refused(
            "level_of_care",
            format!(
                "the verification did not ask about {}; verify that level of care first",
                request.level_of_care.as_str()
            ),
        ));
    };
    if summary.service_covered.as_ref().is_some_and(|c| !c.value) {
        notes.push(format!(
            "the payer marked {} as not covered: every day is likely patient-paid",
            request.level_of_care.as_str()
        ));
    }
    let pricing = match request.allowed_per_day {
        Some(allowed) => Pricing::Flat(allowed, AllowedSource::Request),
        None => {
            let payer = verification.payer_id;
            let rules = payers::billing_rules(tx, payer).await?.unwrap_or_default();
            match rules.claim_style {
                ClaimStyle::PerService => {
                    notes.push(format!(
                        "the payer pays a {} day by its number of services: the low figures take \
                         its day rate for 3 services, the high ones its rate for 4 or more",
                        request.level_of_care.as_str()
                    ));
                    day_rate_pricing(tx, payer, request).await?
                }
                ClaimStyle::PerDay => fee_schedule_pricing(tx, payer, request, &summary).await?,
            }
        }
    };
    let benefits = match request.network {
        Network::In => &summary.in_network,
        Network::Out => &summary.out_of_network,
    };
    let (terms, mut assumptions) = from_network_benefits(
        benefits,
        date_of(summary.plan_begin.as_ref()),
        date_of(summary.plan_end.as_ref()),
    );
    let (allowed, source, walked) = match pricing {
        Pricing::Flat(allowed, source) => (
            Some(allowed),
            source,
            estimate(allowed.amount(), &request.days, &terms),
        ),
        Pricing::Range(days, source) => (None, source, estimate_range(&days, &terms)),
    };
    let mut walked = walked.map_err(|m| refused("verification_id", m))?;
    assumptions.append(&mut walked.assumptions);
    walked.assumptions = assumptions;
    answer.kind = "insurance";
    answer.program = Some(summary.program);
    answer.network = Some(request.network);
    answer.allowed_per_day = allowed;
    answer.allowed_source = Some(source);
    answer.estimate = Some(walked);
    answer.notes = notes;
    Ok(answer)
}

/// Keeps `answer` as given, with the request that asked for it (the API's JSON body, or the
/// web form's fields in the same shape); returns the kept result, the estimate's JSON shape.
pub async fn keep(
    tx: &mut Tx,
    answer: &Answer,
    request: &serde_json::Value,
) -> Result<serde_json::Value, StoreError> {
    let result = serde_json::to_value(answer).map_err(|e| StoreError::corrupt("estimate", e))?;
    crate::store::estimates::insert(
        tx,
        &crate::store::estimates::NewEstimate {
            id: answer.id,
            client_id: crate::domain::ids::ClientId::from_uuid(answer.client_id),
            verification_id: answer.verification_id,
            kind: answer.kind,
            level_of_care: answer.level_of_care.as_str(),
            request,
            result: &result,
            created_by: answer.created_by,
            created_at: answer.created_at,
        },
    )
    .await?;
    Ok(result)
}
