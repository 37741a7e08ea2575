//! Day rates (contract terms, not PHI). Amounts are stored as integer cents; rows are parsed
//! again through the API's rules on the way out.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::day_rate::{DayRateInput, NewDayRate, Tier};
use crate::domain::eligibility::LevelOfCare;
use crate::domain::ids::{DayRateId, PayerId};
use crate::domain::money::Money;

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Stored, Tx};

pub type DayRate = Stored<NewDayRate, DayRateId>;

const ENTITY: &str = "day rate";

#[derive(sqlx::FromRow)]
struct DayRateRow {
    id: DayRateId,
    payer_id: String,
    level_of_care: String,
    services: String,
    amount_cents: i64,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl DayRateRow {
    fn parse(self) -> StoreResult<DayRate> {
        let amount = Money::from_minor_units(self.amount_cents)
            .map_err(|e| StoreError::corrupt(ENTITY, e))?;
        let data = DayRateInput {
            payer_id: Some(self.payer_id),
            level_of_care: Some(self.level_of_care),
            services: Some(self.services),
            amount: Some(amount.to_string()),
            effective_from: Some(self.effective_from.to_string()),
            effective_to: self.effective_to.map(|d| d.to_string()),
        }
        .parse()
        .map_err(|e| StoreError::corrupt(ENTITY, e))?;
        Ok(Stored::from_parts(
            self.id,
            data,
            self.created_at,
            self.updated_at,
        ))
    }
}

const COLUMNS: &str = "id, payer_id, level_of_care, services, amount_cents, effective_from, \
    effective_to, created_at, updated_at";

pub async fn insert(tx: &mut Tx, id: DayRateId, terms: &NewDayRate) -> StoreResult<DayRate> {
    let at = now();
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO day_rates (id, payer_id, level_of_care, services, amount_cents,
            effective_from, effective_to, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
    )
    .bind(id)
    .bind(terms.payer_id.to_string())
    .bind(terms.level_of_care.as_str())
    .bind(terms.services.as_str())
    .bind(terms.amount.minor_units())
    .bind(terms.period.from)
    .bind(terms.period.to)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Stored::from_parts(id, terms.clone(), at, at))
}

pub async fn find(tx: &mut Tx, id: DayRateId) -> StoreResult<Option<DayRate>> {
    let sql = format!("SELECT {COLUMNS} FROM day_rates WHERE id = $1");
    let row: Option<DayRateRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(DayRateRow::parse).transpose()
}

/// Stores new terms. The payer, level of care and tier are not columns it writes: they are
/// fixed for a rate's life.
pub async fn update(
    tx: &mut Tx,
    id: DayRateId,
    terms: &NewDayRate,
) -> StoreResult<Option<DayRate>> {
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE day_rates SET amount_cents = $2, effective_from = $3, effective_to = $4,
            updated_at = $5
         WHERE id = $1"
    )
    .bind(id)
    .bind(terms.amount.minor_units())
    .bind(terms.period.from)
    .bind(terms.period.to)
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    find(tx, id).await
}

/// Criteria of a listing; every one given must match.
#[derive(Debug, Default, Clone)]
pub struct DayRateFilter {
    pub payer_id: Option<PayerId>,
    pub level_of_care: Option<LevelOfCare>,
    pub services: Option<Tier>,
    /// A day inside the effective period (an open end runs forever).
    pub active_on: Option<NaiveDate>,
}

/// Day rates matching `filter`, the latest start first.
pub async fn list(
    tx: &mut Tx,
    filter: &DayRateFilter,
    page: Page,
) -> StoreResult<(Vec<DayRate>, i64)> {
    let condition = "WHERE ($1 IS NULL OR payer_id = $1)
           AND ($2 IS NULL OR level_of_care = $2)
           AND ($3 IS NULL OR services = $3)
           AND ($4 IS NULL OR (effective_from <= $4
                AND (effective_to IS NULL OR effective_to >= $4)))";
    let level = filter.level_of_care.map(LevelOfCare::as_str);
    let services = filter.services.map(Tier::as_str);
    let (rows, total) = page_of!(
        tx,
        DayRateRow,
        COLUMNS,
        format!("FROM day_rates {condition}"),
        "effective_from DESC, created_at DESC, id DESC",
        page,
        [filter.payer_id, level, services, filter.active_on]
    );
    let items = rows
        .into_iter()
        .map(DayRateRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((items, total))
}

/// Every rate of a payer, the earliest first: what a new period must not overlap (the caller
/// keeps the level and tier it checks), and what
/// [`expected_for_day`](crate::domain::day_rate::expected_for_day) and the estimate read.
pub async fn of_payer(tx: &mut Tx, payer_id: PayerId) -> StoreResult<Vec<DayRate>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM day_rates WHERE payer_id = $1
         ORDER BY effective_from, id"
    );
    let rows: Vec<DayRateRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(payer_id)
        .fetch_all(conn)
        .await)?;
    rows.into_iter().map(DayRateRow::parse).collect()
}
