//! Day rates (the Medicare-style APC rate of a day by its tier of services), as
//! [`Terms`](super::terms): every write locks the payer row (`payers::lock`) before it checks
//! for overlapping periods.

use serde::Deserialize;
use serde_json::json;

use super::context::Ctx;
use super::extract::{page, param};
use super::terms::{conflict, lock_payer, shown, Record, Terms};
use crate::domain::day_rate::{DayRateInput, NewDayRate, Tier};
use crate::domain::eligibility::LevelOfCare;
use crate::domain::ids::{DayRateId, PayerId};
use crate::domain::person::parse_date;
use crate::domain::validation::Invalid;
use crate::error::ApiError;
use crate::store::day_rates::{self, DayRateFilter};
use crate::store::{Page, StoreResult, Tx};

pub struct DayRates;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    payer_id: Option<String>,
    level_of_care: Option<String>,
    services: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl Terms for DayRates {
    const NAME: &'static str = "day rate";
    const COLLECTION: &'static str = "/api/v1/day-rates";
    const RECORD: &'static str = "/api/v1/day-rates/{id}";
    const REQUIRED: &'static [&'static str] = &[
        "payer_id",
        "level_of_care",
        "services",
        "amount",
        "effective_from",
    ];

    type Id = DayRateId;
    type Input = DayRateInput;
    type New = NewDayRate;
    type Filter = DayRateFilter;

    fn new_id() -> DayRateId {
        DayRateId::new()
    }

    fn parse(input: DayRateInput) -> Result<NewDayRate, Invalid> {
        input.parse()
    }

    fn criteria(ctx: &Ctx) -> Result<(DayRateFilter, Page), ApiError> {
        let q: ListQuery = ctx.query()?;
        let page = page(q.limit, q.offset)?;
        let filter = DayRateFilter {
            payer_id: param("payer_id", q.payer_id, PayerId::parse)?,
            level_of_care: param("level_of_care", q.level_of_care, LevelOfCare::parse)?,
            services: param("services", q.services, Tier::parse)?,
            active_on: param("active_on", q.active_on, parse_date)?,
        };
        Ok((filter, page))
    }

    fn fixed_changes(stored: &NewDayRate, next: &NewDayRate) -> Result<(), Invalid> {
        crate::domain::day_rate::fixed_changes(stored, next)
    }

    fn first_overlap<'a>(
        others: Vec<&'a Record<Self>>,
        terms: &NewDayRate,
    ) -> Option<&'a Record<Self>> {
        crate::domain::day_rate::first_overlap(others, terms)
    }

    fn overlap(other: &Record<Self>, terms: &NewDayRate) -> ApiError {
        let theirs = other.data.period;
        conflict(
            "day-rate-overlap",
            "Day rate overlaps another",
            "conflicting_day_rate",
            json!({
                "id": other.id,
                "payer_id": other.data.payer_id,
                "level_of_care": other.data.level_of_care,
                "services": other.data.services,
                "effective_from": theirs.from,
                "effective_to": theirs.to,
            }),
            format!(
                "Day rate {} is in force from {} to {} for this payer's {} days with {} \
                 services, which overlaps {} to {}. One rate prices a day: end the other one \
                 with effective_to, or correct these dates.",
                other.id,
                theirs.from,
                shown(theirs.to),
                terms.level_of_care.as_str(),
                terms.services.as_str(),
                terms.period.from,
                shown(terms.period.to),
            ),
        )
    }

    async fn lock(tx: &mut Tx, terms: &NewDayRate) -> Result<(), ApiError> {
        lock_payer(tx, terms.payer_id).await
    }

    /// Every rate of the payer; the level and tier are left to [`Terms::first_overlap`].
    async fn neighbours(tx: &mut Tx, terms: &NewDayRate) -> StoreResult<Vec<Record<Self>>> {
        day_rates::of_payer(tx, PayerId::from_uuid(terms.payer_id)).await
    }

    async fn insert(tx: &mut Tx, id: DayRateId, terms: &NewDayRate) -> StoreResult<Record<Self>> {
        day_rates::insert(tx, id, terms).await
    }

    async fn find(tx: &mut Tx, id: DayRateId) -> StoreResult<Option<Record<Self>>> {
        day_rates::find(tx, id).await
    }

    async fn update(
        tx: &mut Tx,
        id: DayRateId,
        terms: &NewDayRate,
    ) -> StoreResult<Option<Record<Self>>> {
        day_rates::update(tx, id, terms).await
    }

    async fn list(
        tx: &mut Tx,
        filter: &DayRateFilter,
        page: Page,
    ) -> StoreResult<(Vec<Record<Self>>, i64)> {
        day_rates::list(tx, filter, page).await
    }
}
