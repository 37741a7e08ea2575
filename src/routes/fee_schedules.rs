//! Fee schedules (the contracted per-diem price of a level of care and program), as
//! [`Terms`](super::terms): every write locks the payer row (`payers::lock`) before it checks
//! for overlapping periods.

use serde::Deserialize;
use serde_json::json;

use super::context::Ctx;
use super::extract::{page, param};
use super::terms::{conflict, lock_payer, shown, Record, Terms};
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::fee_schedule::{FeeScheduleInput, NewFeeSchedule};
use crate::domain::ids::{FeeScheduleId, PayerId};
use crate::domain::person::parse_date;
use crate::domain::validation::Invalid;
use crate::error::ApiError;
use crate::store::fee_schedules::{self, FeeScheduleFilter};
use crate::store::{Page, StoreResult, Tx};

pub struct FeeSchedules;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    payer_id: Option<String>,
    level_of_care: Option<String>,
    program: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl Terms for FeeSchedules {
    const NAME: &'static str = "fee schedule";
    const COLLECTION: &'static str = "/api/v1/fee-schedules";
    const RECORD: &'static str = "/api/v1/fee-schedules/{id}";
    const REQUIRED: &'static [&'static str] = &[
        "payer_id",
        "level_of_care",
        "program",
        "revenue_code",
        "effective_from",
        "claim_form",
    ];

    type Id = FeeScheduleId;
    type Input = FeeScheduleInput;
    type New = NewFeeSchedule;
    type Filter = FeeScheduleFilter;

    fn new_id() -> FeeScheduleId {
        FeeScheduleId::new()
    }

    fn parse(input: FeeScheduleInput) -> Result<NewFeeSchedule, Invalid> {
        input.parse()
    }

    fn criteria(ctx: &Ctx) -> Result<(FeeScheduleFilter, Page), ApiError> {
        let q: ListQuery = ctx.query()?;
        let page = page(q.limit, q.offset)?;
        let filter = FeeScheduleFilter {
            payer_id: param("payer_id", q.payer_id, PayerId::parse)?,
            level_of_care: param("level_of_care", q.level_of_care, LevelOfCare::parse)?,
            program: param("program", q.program, Program::parse)?,
            active_on: param("active_on", q.active_on, parse_date)?,
        };
        Ok((filter, page))
    }

    fn fixed_changes(stored: &NewFeeSchedule, next: &NewFeeSchedule) -> Result<(), Invalid> {
        crate::domain::fee_schedule::fixed_changes(stored, next)
    }

    fn first_overlap<'a>(
        others: Vec<&'a Record<Self>>,
        terms: &NewFeeSchedule,
    ) -> Option<&'a Record<Self>> {
        crate::domain::fee_schedule::first_overlap(others, terms)
    }

    fn overlap(other: &Record<Self>, terms: &NewFeeSchedule) -> ApiError {
        let theirs = other.data.period;
        conflict(
            "fee-schedule-overlap",
            "Fee schedule overlaps another",
            "conflicting_fee_schedule",
            json!({
                "id": other.id,
                "payer_id": other.data.payer_id,
                "level_of_care": other.data.level_of_care,
                "program": other.data.program,
                "effective_from": theirs.from,
                "effective_to": theirs.to,
            }),
            format!(
                "Fee schedule {} is in force from {} to {} for this payer at {} {}, which \
                 overlaps {} to {}. One schedule prices a day: end the other one with \
                 effective_to, or correct these dates.",
                other.id,
                theirs.from,
                shown(theirs.to),
                terms.level_of_care.as_str(),
                terms.program.as_str(),
                terms.period.from,
                shown(terms.period.to),
            ),
        )
    }

    async fn lock(tx: &mut Tx, terms: &NewFeeSchedule) -> Result<(), ApiError> {
        lock_payer(tx, terms.payer_id).await
    }

    /// The payer's schedules at the same level of care and program.
    async fn neighbours(tx: &mut Tx, terms: &NewFeeSchedule) -> StoreResult<Vec<Record<Self>>> {
        let payer = PayerId::from_uuid(terms.payer_id);
        fee_schedules::of_payer(tx, payer, terms.level_of_care, terms.program).await
    }

    async fn insert(
        tx: &mut Tx,
        id: FeeScheduleId,
        terms: &NewFeeSchedule,
    ) -> StoreResult<Record<Self>> {
        fee_schedules::insert(tx, id, terms).await
    }

    async fn find(tx: &mut Tx, id: FeeScheduleId) -> StoreResult<Option<Record<Self>>> {
        fee_schedules::find(tx, id).await
    }

    async fn update(
        tx: &mut Tx,
        id: FeeScheduleId,
        terms: &NewFeeSchedule,
    ) -> StoreResult<Option<Record<Self>>> {
        fee_schedules::update(tx, id, terms).await
    }

    async fn list(
        tx: &mut Tx,
        filter: &FeeScheduleFilter,
        page: Page,
    ) -> StoreResult<(Vec<Record<Self>>, i64)> {
        fee_schedules::list(tx, filter, page).await
    }
}
