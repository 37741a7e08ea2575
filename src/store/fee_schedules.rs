//! Fee schedules (contract terms, not PHI). Amounts are stored as integer cents; rows are parsed
//! again through the API's rules on the way out.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::ids::{FeeScheduleId, PayerId};

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Stored, Tx};
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::fee_schedule::{ClaimSetup, FeeScheduleInput, NewFeeSchedule};
use crate::domain::money::Money;

pub type FeeSchedule = Stored<NewFeeSchedule, FeeScheduleId>;

const ENTITY: &str = "fee schedule";

#[derive(sqlx::FromRow)]
struct FeeScheduleRow {
    id: FeeScheduleId,
    payer_id: String,
    level_of_care: String,
    program: String,
    revenue_code: String,
    hcpcs: Option<String>,
    modifiers: String,
    /// NULL since migration 0034: the schedule states no charge per day.
    charge_per_day_cents: Option<i64>,
    allowed_per_day_cents: Option<i64>,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    claim_form: String,
    place_of_service: Option<String>,
    type_of_bill: Option<String>,
    condition_codes: String,
    notes: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn money_text(cents: i64) -> StoreResult<String> {
    Money::from_minor_units(cents)
        .map(|money| money.to_string())
        .map_err(|e| StoreError::corrupt(ENTITY, e))
}

fn code_list(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(ENTITY, e))
}

impl FeeScheduleRow {
    fn parse(self) -> StoreResult<FeeSchedule> {
        let data = FeeScheduleInput {
            payer_id: Some(self.payer_id),
            level_of_care: Some(self.level_of_care),
            program: Some(self.program),
            revenue_code: Some(self.revenue_code),
            hcpcs: self.hcpcs,
            modifiers: Some(code_list(&self.modifiers)?),
            charge_per_day: self.charge_per_day_cents.map(money_text).transpose()?,
            allowed_per_day: self.allowed_per_day_cents.map(money_text).transpose()?,
            effective_from: Some(self.effective_from.to_string()),
            effective_to: self.effective_to.map(|d| d.to_string()),
            claim_form: Some(self.claim_form),
            place_of_service: self.place_of_service,
            type_of_bill: self.type_of_bill,
            condition_codes: Some(code_list(&self.condition_codes)?),
            notes: self.notes,
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

const COLUMNS: &str = "id, payer_id, level_of_care, program, revenue_code, hcpcs, modifiers, \
    charge_per_day_cents, allowed_per_day_cents, effective_from, effective_to, claim_form, \
    place_of_service, type_of_bill, condition_codes, notes, created_at, updated_at";

/// The columns a write sets, in the order of [`bind_terms`]'s parameters.
struct Columns {
    modifiers: String,
    place_of_service: Option<String>,
    type_of_bill: Option<String>,
    condition_codes: String,
}

fn columns(terms: &NewFeeSchedule) -> StoreResult<Columns> {
    let json = |codes: Vec<&str>| {
        serde_json::to_string(&codes).map_err(|e| StoreError::corrupt(ENTITY, e))
    };
    let modifiers = json(terms.modifiers.iter().map(|m| m.as_str()).collect())?;
    Ok(match &terms.claim {
        ClaimSetup::Institutional {
            type_of_bill,
            condition_codes,
        } => Columns {
            modifiers,
            place_of_service: None,
            type_of_bill: Some(type_of_bill.as_str().to_string()),
            condition_codes: json(condition_codes.iter().map(|c| c.as_str()).collect())?,
        },
        ClaimSetup::Professional { place_of_service } => Columns {
            modifiers,
            place_of_service: Some(place_of_service.as_str().to_string()),
            type_of_bill: None,
            condition_codes: "[]".to_string(),
        },
    })
}

pub async fn insert(
    tx: &mut Tx,
    id: FeeScheduleId,
    terms: &NewFeeSchedule,
) -> StoreResult<FeeSchedule> {
    let at = now();
    let c = columns(terms)?;
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO fee_schedules (id, payer_id, level_of_care, program, revenue_code, hcpcs,
            modifiers, charge_per_day_cents, allowed_per_day_cents, effective_from, effective_to,
            claim_form, place_of_service, type_of_bill, condition_codes, notes, created_at,
            updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)"
    )
    .bind(id.to_string())
    .bind(terms.payer_id.to_string())
    .bind(terms.level_of_care.as_str())
    .bind(terms.program.as_str())
    .bind(terms.revenue_code.as_str())
    .bind(terms.hcpcs.as_ref().map(|h| h.as_str()))
    .bind(&c.modifiers)
    .bind(terms.charge_per_day.map(Money::minor_units))
    .bind(terms.allowed_per_day.map(Money::minor_units))
    .bind(terms.period.from)
    .bind(terms.period.to)
    .bind(terms.claim.form().as_str())
    .bind(&c.place_of_service)
    .bind(&c.type_of_bill)
    .bind(&c.condition_codes)
    .bind(terms.notes.as_ref().map(|n| n.as_str()))
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Stored::from_parts(id, terms.clone(), at, at))
}

pub async fn find(tx: &mut Tx, id: FeeScheduleId) -> StoreResult<Option<FeeSchedule>> {
    let sql = format!("SELECT {COLUMNS} FROM fee_schedules WHERE id = $1");
    let row: Option<FeeScheduleRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(FeeScheduleRow::parse).transpose()
}

/// Stores new terms. The payer, level of care and program are not columns it writes: they
/// are fixed for a schedule's life.
pub async fn update(
    tx: &mut Tx,
    id: FeeScheduleId,
    terms: &NewFeeSchedule,
) -> StoreResult<Option<FeeSchedule>> {
    let c = columns(terms)?;
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE fee_schedules SET revenue_code = $2, hcpcs = $3, modifiers = $4,
            charge_per_day_cents = $5, allowed_per_day_cents = $6, effective_from = $7,
            effective_to = $8, claim_form = $9, place_of_service = $10, type_of_bill = $11,
            condition_codes = $12, notes = $13, updated_at = $14
         WHERE id = $1"
    )
    .bind(id)
    .bind(terms.revenue_code.as_str())
    .bind(terms.hcpcs.as_ref().map(|h| h.as_str()))
    .bind(&c.modifiers)
    .bind(terms.charge_per_day.map(Money::minor_units))
    .bind(terms.allowed_per_day.map(Money::minor_units))
    .bind(terms.period.from)
    .bind(terms.period.to)
    .bind(terms.claim.form().as_str())
    .bind(&c.place_of_service)
    .bind(&c.type_of_bill)
    .bind(&c.condition_codes)
    .bind(terms.notes.as_ref().map(|n| n.as_str()))
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
pub struct FeeScheduleFilter {
    pub payer_id: Option<PayerId>,
    pub level_of_care: Option<LevelOfCare>,
    pub program: Option<Program>,
    /// A day inside the effective period (an open end runs forever).
    pub active_on: Option<NaiveDate>,
}

/// Fee schedules matching `filter`, the latest start first.
pub async fn list(
    tx: &mut Tx,
    filter: &FeeScheduleFilter,
    page: Page,
) -> StoreResult<(Vec<FeeSchedule>, i64)> {
    let condition = "WHERE ($1 IS NULL OR payer_id = $1)
           AND ($2 IS NULL OR level_of_care = $2)
           AND ($3 IS NULL OR program = $3)
           AND ($4 IS NULL OR (effective_from <= $4
                AND (effective_to IS NULL OR effective_to >= $4)))";
    let level = filter.level_of_care.map(LevelOfCare::as_str);
    let program = filter.program.map(Program::as_str);
    let (rows, total) = page_of!(
        tx,
        FeeScheduleRow,
        COLUMNS,
        format!("FROM fee_schedules {condition}"),
        "effective_from DESC, created_at DESC, id DESC",
        page,
        [filter.payer_id, level, program, filter.active_on]
    );
    let items = rows
        .into_iter()
        .map(FeeScheduleRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((items, total))
}

/// Every schedule of a payer at one level of care and program, the earliest first: what a new
/// period must not overlap, and what [`in_force`](crate::domain::fee_schedule::in_force) reads.
pub async fn of_payer(
    tx: &mut Tx,
    payer_id: PayerId,
    level: LevelOfCare,
    program: Program,
) -> StoreResult<Vec<FeeSchedule>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM fee_schedules
         WHERE payer_id = $1 AND level_of_care = $2 AND program = $3
         ORDER BY effective_from, id"
    );
    let rows: Vec<FeeScheduleRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(payer_id)
        .bind(level.as_str())
        .bind(program.as_str())
        .fetch_all(conn)
        .await)?;
    rows.into_iter().map(FeeScheduleRow::parse).collect()
}

/// Every schedule of these payers (claim generation).
pub async fn of_payers(tx: &mut Tx, payer_ids: &[Uuid]) -> StoreResult<Vec<FeeSchedule>> {
    let sql = format!("SELECT {COLUMNS} FROM fee_schedules WHERE payer_id IN ({{ids}})");
    let rows: Vec<FeeScheduleRow> =
        super::attendance::rows_for(tx, &sql, &super::attendance::texts(payer_ids)).await?;
    rows.into_iter().map(FeeScheduleRow::parse).collect()
}
