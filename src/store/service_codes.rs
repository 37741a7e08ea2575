//! The service catalog (clinic terms, not PHI). Charges are stored as integer cents; rows are
//! parsed again through the API's rules on the way out.

use chrono::{DateTime, NaiveDate, Utc};

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Stored, Tx};
use crate::domain::ids::ServiceCodeId;
use crate::domain::money::Money;
use crate::domain::service_code::{NewServiceCode, ServiceCode, ServiceCodeInput};

pub type ServiceCodeEntry = Stored<NewServiceCode, ServiceCodeId>;

const ENTITY: &str = "service code";

#[derive(sqlx::FromRow)]
struct ServiceCodeRow {
    id: ServiceCodeId,
    code: String,
    description: String,
    revenue_code: String,
    hcpcs: String,
    modifiers: String,
    charge_cents: i64,
    counts_toward_day: bool,
    effective_from: NaiveDate,
    effective_to: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ServiceCodeRow {
    fn parse(self) -> StoreResult<ServiceCodeEntry> {
        let corrupt = |e: String| StoreError::corrupt(ENTITY, e);
        let data = ServiceCodeInput {
            code: Some(self.code),
            description: Some(self.description),
            revenue_code: Some(self.revenue_code),
            hcpcs: Some(self.hcpcs),
            modifiers: Some(
                serde_json::from_str(&self.modifiers).map_err(|e| corrupt(e.to_string()))?,
            ),
            charge: Some(
                Money::from_minor_units(self.charge_cents)
                    .map_err(|e| corrupt(e.to_string()))?
                    .to_string(),
            ),
            counts_toward_day: Some(self.counts_toward_day),
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

const COLUMNS: &str = "id, code, description, revenue_code, hcpcs, modifiers, charge_cents, \
    counts_toward_day, effective_from, effective_to, created_at, updated_at";

fn modifiers(terms: &NewServiceCode) -> StoreResult<String> {
    let codes: Vec<&str> = terms.modifiers.iter().map(|m| m.as_str()).collect();
    serde_json::to_string(&codes).map_err(|e| StoreError::corrupt(ENTITY, e))
}

/// Makes catalog writers take turns until this transaction ends, so two writers of one code
/// cannot both find its period free. SQLite's writers already take turns (`BEGIN IMMEDIATE`);
/// on PostgreSQL a transaction-scoped advisory lock does it.
pub async fn lock_for_writing(tx: &mut Tx) -> StoreResult<()> {
    if let Tx::Postgres(transaction) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7431028)")
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

pub async fn insert(
    tx: &mut Tx,
    id: ServiceCodeId,
    terms: &NewServiceCode,
) -> StoreResult<ServiceCodeEntry> {
    let at = now();
    let modifiers = modifiers(terms)?;
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO service_codes (id, code, description, revenue_code, hcpcs, modifiers,
            charge_cents, counts_toward_day, effective_from, effective_to, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
    )
    .bind(id)
    .bind(terms.code.as_str())
    .bind(terms.description.as_str())
    .bind(terms.revenue_code.as_str())
    .bind(terms.hcpcs.as_str())
    .bind(&modifiers)
    .bind(terms.charge.minor_units())
    .bind(terms.counts_toward_day)
    .bind(terms.period.from)
    .bind(terms.period.to)
    .bind(at)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(Stored::from_parts(id, terms.clone(), at, at))
}

pub async fn find(tx: &mut Tx, id: ServiceCodeId) -> StoreResult<Option<ServiceCodeEntry>> {
    let sql = format!("SELECT {COLUMNS} FROM service_codes WHERE id = $1");
    let row: Option<ServiceCodeRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(ServiceCodeRow::parse).transpose()
}

/// Stores new terms. The code is not a column it writes: it is fixed for an entry's life.
pub async fn update(
    tx: &mut Tx,
    id: ServiceCodeId,
    terms: &NewServiceCode,
) -> StoreResult<Option<ServiceCodeEntry>> {
    let modifiers = modifiers(terms)?;
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE service_codes SET description = $2, revenue_code = $3, hcpcs = $4,
            modifiers = $5, charge_cents = $6, counts_toward_day = $7, effective_from = $8,
            effective_to = $9, updated_at = $10
         WHERE id = $1"
    )
    .bind(id)
    .bind(terms.description.as_str())
    .bind(terms.revenue_code.as_str())
    .bind(terms.hcpcs.as_str())
    .bind(&modifiers)
    .bind(terms.charge.minor_units())
    .bind(terms.counts_toward_day)
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
pub struct ServiceCodeFilter {
    pub code: Option<ServiceCode>,
    /// A day inside the effective period (an open end runs forever).
    pub active_on: Option<NaiveDate>,
}

/// Entries matching `filter`, by code, the latest start first within a code.
pub async fn list(
    tx: &mut Tx,
    filter: &ServiceCodeFilter,
    page: Page,
) -> StoreResult<(Vec<ServiceCodeEntry>, i64)> {
    let condition = "WHERE ($1 IS NULL OR code = $1)
           AND ($2 IS NULL OR (effective_from <= $2
                AND (effective_to IS NULL OR effective_to >= $2)))";
    let code = filter.code.as_ref().map(ServiceCode::as_str);
    let (rows, total) = page_of!(
        tx,
        ServiceCodeRow,
        COLUMNS,
        format!("FROM service_codes {condition}"),
        "code, effective_from DESC, id",
        page,
        [code, filter.active_on]
    );
    let items = rows
        .into_iter()
        .map(ServiceCodeRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((items, total))
}

/// Every entry of these codes, the earliest first: what a new period must not overlap, and
/// what attendance and claim generation look charges up in.
pub async fn of_codes(tx: &mut Tx, codes: &[ServiceCode]) -> StoreResult<Vec<ServiceCodeEntry>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let texts: Vec<String> = codes
        .iter()
        .map(|c| c.as_str().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM service_codes WHERE code IN ({{ids}})
         ORDER BY code, effective_from, id"
    );
    let rows: Vec<ServiceCodeRow> = super::attendance::rows_for(tx, &sql, &texts).await?;
    rows.into_iter().map(ServiceCodeRow::parse).collect()
}
