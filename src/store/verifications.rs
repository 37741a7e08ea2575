//! Benefits verifications and every exchange with the payer behind them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::ids::{ClientId, CoverageId, PayerId, VerificationId};

use super::{now, page_of, with_tx, Db, Page, StoreError, StoreResult, Tx};

/// What a verification was asked.
#[derive(Debug, Clone)]
pub struct NewVerification {
    pub id: VerificationId,
    pub client_id: ClientId,
    pub coverage_id: CoverageId,
    pub payer_id: PayerId,
    pub parent_id: Option<VerificationId>,
    pub requested_by: String,
    pub program: String,
    /// Sorted and comma-joined, e.g. `IOP,PHP`.
    pub levels_of_care: String,
    pub service_date: NaiveDate,
}

/// How a verification ended.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    pub status: String,
    pub rejection_code: Option<String>,
    pub rejection_description: Option<String>,
    pub follow_up: Option<String>,
    pub error_kind: Option<String>,
    pub error_detail: Option<String>,
    pub summary: Option<Value>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewExchange {
    pub seq: i64,
    pub attempt: i64,
    pub protocol: String,
    pub service_types: Vec<String>,
    pub request: String,
    pub http_status: Option<i64>,
    pub response: Option<String>,
    pub error_kind: Option<String>,
    pub error_detail: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Exchange {
    pub seq: i64,
    pub attempt: i64,
    pub protocol: String,
    pub service_types: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub http_status: Option<i64>,
    pub error_kind: Option<String>,
    pub error_detail: Option<String>,
    pub request: String,
    pub response: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Verification {
    pub id: VerificationId,
    pub client_id: ClientId,
    pub coverage_id: CoverageId,
    pub payer_id: PayerId,
    pub parent_verification_id: Option<VerificationId>,
    pub requested_by: String,
    pub program: String,
    pub levels_of_care: Vec<String>,
    pub service_date: NaiveDate,
    pub status: String,
    pub rejection: Option<Value>,
    pub error: Option<Value>,
    pub levels: Value,
    pub warnings: Vec<String>,
    pub carve_out_verification_id: Option<VerificationId>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct VerificationRow {
    id: VerificationId,
    client_id: ClientId,
    coverage_id: CoverageId,
    payer_id: PayerId,
    parent_id: Option<VerificationId>,
    requested_by: String,
    program: String,
    levels_of_care: String,
    service_date: NaiveDate,
    status: String,
    rejection_code: Option<String>,
    rejection_description: Option<String>,
    follow_up: Option<String>,
    error_kind: Option<String>,
    error_detail: Option<String>,
    summary: Option<String>,
    warnings: Option<String>,
    carve_out_verification_id: Option<VerificationId>,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl VerificationRow {
    fn parse(self) -> StoreResult<Verification> {
        let json = |text: Option<String>, default: Value| -> StoreResult<Value> {
            text.map(|t| serde_json::from_str(&t))
                .transpose()
                .map(|v| v.unwrap_or(default))
                .map_err(|e| StoreError::corrupt("verification", e))
        };
        let levels = json(self.summary, Value::Array(Vec::new()))?;
        let warnings = json(self.warnings, Value::Array(Vec::new()))?;
        let warnings = serde_json::from_value(warnings)
            .map_err(|e| StoreError::corrupt("verification warnings", e))?;
        let rejection = self.rejection_code.map(|code| {
            let follow_up_description = self
                .follow_up
                .as_deref()
                .map(crate::domain::eligibility::follow_up_action);
            serde_json::json!({
                "code": code,
                "description": self.rejection_description,
                "follow_up": self.follow_up,
                "follow_up_description": follow_up_description,
            })
        });
        let error = self
            .error_kind
            .map(|kind| serde_json::json!({"kind": kind, "detail": self.error_detail}));
        Ok(Verification {
            id: self.id,
            client_id: self.client_id,
            coverage_id: self.coverage_id,
            payer_id: self.payer_id,
            parent_verification_id: self.parent_id,
            requested_by: self.requested_by,
            program: self.program,
            levels_of_care: self.levels_of_care.split(',').map(str::to_string).collect(),
            service_date: self.service_date,
            status: self.status,
            rejection,
            error,
            levels,
            warnings,
            carve_out_verification_id: self.carve_out_verification_id,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }
}

const COLUMNS: &str = "id, client_id, coverage_id, payer_id, parent_id, requested_by, program, \
    levels_of_care, service_date, status, rejection_code, rejection_description, follow_up, \
    error_kind, error_detail, summary, warnings, carve_out_verification_id, started_at, \
    finished_at";

/// Records a verification as `in_progress`, before any payer is called, in its own
/// transaction (committed before the payer is asked). Returns the time it started, as stored.
pub async fn start(db: &Db, new: &NewVerification) -> StoreResult<DateTime<Utc>> {
    let started_at = now();
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, |conn| sqlx::query(
        "INSERT INTO verifications (id, client_id, coverage_id, payer_id, parent_id, requested_by,
            program, levels_of_care, service_date, status, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'in_progress', $10)"
    )
    .bind(new.id)
    .bind(new.client_id)
    .bind(new.coverage_id)
    .bind(new.payer_id)
    .bind(new.parent_id)
    .bind(&new.requested_by)
    .bind(&new.program)
    .bind(&new.levels_of_care)
    .bind(new.service_date)
    .bind(started_at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    tx.commit().await?;
    Ok(started_at)
}

/// Records a verification's exchanges in one statement (per 500 on SQLite's bind limit).
pub async fn record_exchanges(
    tx: &mut Tx,
    verification_id: VerificationId,
    exchanges: &[NewExchange],
) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO verification_exchanges (id, verification_id, seq, attempt, \
        protocol, service_types, request, http_status, response, error_kind, error_detail, \
        started_at, duration_ms) ";
    macro_rules! insert {
        ($db:ty, $conn:expr, $chunk:expr) => {{
            let mut query = sqlx::QueryBuilder::<$db>::new(SQL);
            query.push_values($chunk, |mut row, e| {
                row.push_bind(Uuid::now_v7().to_string())
                    .push_bind(verification_id)
                    .push_bind(e.seq)
                    .push_bind(e.attempt)
                    .push_bind(&e.protocol)
                    .push_bind(e.service_types.join(","))
                    .push_bind(&e.request)
                    .push_bind(e.http_status)
                    .push_bind(&e.response)
                    .push_bind(&e.error_kind)
                    .push_bind(&e.error_detail)
                    .push_bind(e.started_at)
                    .push_bind(e.duration_ms);
            });
            query.build().execute($conn).await?;
        }};
    }
    for chunk in exchanges.chunks(500) {
        match tx {
            Tx::Sqlite(transaction) => insert!(sqlx::Sqlite, &mut **transaction, chunk),
            Tx::Postgres(transaction) => insert!(sqlx::Postgres, &mut **transaction, chunk),
        }
    }
    Ok(())
}

/// Records how a verification ended; returns the time it finished, as stored.
pub async fn complete(
    tx: &mut Tx,
    id: VerificationId,
    c: &Completion,
) -> StoreResult<DateTime<Utc>> {
    let finished_at = now();
    let summary = c
        .summary
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::corrupt("verification", e))?;
    let warnings =
        serde_json::to_string(&c.warnings).map_err(|e| StoreError::corrupt("verification", e))?;
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE verifications SET status = $2, rejection_code = $3, rejection_description = $4,
            follow_up = $5, error_kind = $6, error_detail = $7, summary = $8, warnings = $9,
            finished_at = $10
         WHERE id = $1"
    )
    .bind(id)
    .bind(&c.status)
    .bind(&c.rejection_code)
    .bind(&c.rejection_description)
    .bind(&c.follow_up)
    .bind(&c.error_kind)
    .bind(&c.error_detail)
    .bind(&summary)
    .bind(&warnings)
    .bind(finished_at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(finished_at)
}

/// The verification as [`find`] would read it back after [`start`] and [`complete`], built
/// from what was written, so answering the request needs no second read.
pub fn assemble(
    new: &NewVerification,
    started_at: DateTime<Utc>,
    c: &Completion,
    finished_at: DateTime<Utc>,
) -> StoreResult<Verification> {
    let json = |value: &Value| {
        serde_json::to_string(value).map_err(|e| StoreError::corrupt("verification", e))
    };
    VerificationRow {
        id: new.id,
        client_id: new.client_id,
        coverage_id: new.coverage_id,
        payer_id: new.payer_id,
        parent_id: new.parent_id,
        requested_by: new.requested_by.clone(),
        program: new.program.clone(),
        levels_of_care: new.levels_of_care.clone(),
        service_date: new.service_date,
        status: c.status.clone(),
        rejection_code: c.rejection_code.clone(),
        rejection_description: c.rejection_description.clone(),
        follow_up: c.follow_up.clone(),
        error_kind: c.error_kind.clone(),
        error_detail: c.error_detail.clone(),
        summary: c.summary.as_ref().map(json).transpose()?,
        warnings: Some(
            serde_json::to_string(&c.warnings)
                .map_err(|e| StoreError::corrupt("verification", e))?,
        ),
        carve_out_verification_id: None,
        started_at,
        finished_at: Some(finished_at),
    }
    .parse()
}

pub async fn link_carve_out(
    tx: &mut Tx,
    id: VerificationId,
    follow_up_id: VerificationId,
) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE verifications SET carve_out_verification_id = $2 WHERE id = $1"
    )
    .bind(id)
    .bind(follow_up_id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn find(tx: &mut Tx, id: VerificationId) -> StoreResult<Option<Verification>> {
    let sql = format!("SELECT {COLUMNS} FROM verifications WHERE id = $1");
    let row: Option<VerificationRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(VerificationRow::parse).transpose()
}

/// The newest finished verification asking the same thing since `since`, if it ended with an
/// answer from the payer (verified or inactive) — errors and rejections are asked again.
pub async fn recent_answer(
    tx: &mut Tx,
    coverage_id: CoverageId,
    program: &str,
    levels_of_care: &str,
    service_date: NaiveDate,
    since: DateTime<Utc>,
) -> StoreResult<Option<Verification>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM verifications
         WHERE coverage_id = $1 AND program = $2 AND levels_of_care = $3 AND service_date = $4
           AND parent_id IS NULL AND status IN ('verified', 'inactive') AND started_at >= $5
         ORDER BY started_at DESC, id DESC LIMIT 1"
    );
    let row: Option<VerificationRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(coverage_id)
        .bind(program)
        .bind(levels_of_care)
        .bind(service_date)
        .bind(since)
        .fetch_optional(conn)
        .await)?;
    row.map(VerificationRow::parse).transpose()
}

pub async fn list_for_client(
    tx: &mut Tx,
    client_id: ClientId,
    page: Page,
) -> StoreResult<(Vec<Verification>, i64)> {
    let (rows, total) = page_of!(
        tx,
        VerificationRow,
        COLUMNS,
        "FROM verifications WHERE client_id = $1",
        "started_at DESC, id DESC",
        page,
        [client_id]
    );
    let items = rows
        .into_iter()
        .map(VerificationRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((items, total))
}

#[derive(sqlx::FromRow)]
struct ExchangeRow {
    seq: i64,
    attempt: i64,
    protocol: String,
    service_types: String,
    request: String,
    http_status: Option<i64>,
    response: Option<String>,
    error_kind: Option<String>,
    error_detail: Option<String>,
    started_at: DateTime<Utc>,
    duration_ms: i64,
}

pub async fn exchanges(tx: &mut Tx, verification_id: VerificationId) -> StoreResult<Vec<Exchange>> {
    let rows: Vec<ExchangeRow> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT seq, attempt, protocol, service_types, request, http_status, response,
                error_kind, error_detail, started_at, duration_ms
         FROM verification_exchanges WHERE verification_id = $1 ORDER BY seq, attempt"
    )
    .bind(verification_id)
    .fetch_all(conn)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|r| Exchange {
            seq: r.seq,
            attempt: r.attempt,
            protocol: r.protocol,
            service_types: r.service_types.split(',').map(str::to_string).collect(),
            started_at: r.started_at,
            duration_ms: r.duration_ms,
            http_status: r.http_status,
            error_kind: r.error_kind,
            error_detail: r.error_detail,
            request: r.request,
            response: r.response,
        })
        .collect())
}

/// Reserves the next `count` values of a named counter (1, 2, …) in one statement and returns
/// the last of them; the block is `last - count + 1 ..= last`. Its own short transaction, so the
/// counter row is locked only for the statement, not for a whole verification.
pub async fn reserve_control_numbers(db: &Db, name: &str, count: i64) -> StoreResult<i64> {
    let mut tx = db.begin().await?;
    let value: i64 = with_tx!(&mut tx, |conn| sqlx::query_scalar(
        "INSERT INTO control_numbers (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = control_numbers.value + $2
         RETURNING value"
    )
    .bind(name)
    .bind(count)
    .fetch_one(conn)
    .await)?;
    tx.commit().await?;
    Ok(value)
}
