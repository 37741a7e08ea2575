//! Claims, their lines and status history, the counters behind claim and control numbers, the
//! produced 837 files, and idempotency keys. PHI: callers audit every access.
//!
//! Claims are written by this service only, from checked drafts; rows are read back as
//! records, with stored text checked where it becomes a typed value.
//!
//! "Never twice" is the schema's job: a partial UNIQUE index allows one live line per attended
//! day (see migration 0015). Bulk writes travel as one JSON document per chunk, like attendance.

use std::borrow::Cow;
use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::attendance::{for_each_text_pair, rows_for, texts};
use super::rows::{insert_rows, text, values_sql, Value, MAX_PARAMETERS};
use super::{now, with_tx, Page, StoreError, StoreResult, Tx};
use crate::domain::attendance::{Service, ServiceInput};
use crate::domain::claim::{line_control_number, DayWarning};
use crate::domain::claim_status::{ClaimStatus, Frequency};
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::new_id;
use crate::domain::money::Money;

const ENTITY: &str = "claim";
const CHUNK: usize = 5_000;
/// Claim lines per INSERT on SQLite: 4 binds a line (and 8 shared) stay far under its 32,766
/// variables; statements of this size let binding keep pace with SQLite.
const SQLITE_ROWS: usize = 2_500;
/// Claims per multi-row INSERT on SQLite (28 binds a claim).
const SQLITE_CLAIM_ROWS: usize = 1_000;

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(ENTITY, detail)
}

fn uuid(raw: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw).map_err(corrupt)
}

fn money(cents: i64) -> StoreResult<Money> {
    Money::from_minor_units(cents).map_err(corrupt)
}

fn list_of(text: &str) -> StoreResult<Vec<String>> {
    // Most lines have no modifiers: skip the parser for them.
    if text == "[]" {
        return Ok(Vec::new());
    }
    serde_json::from_str(text).map_err(corrupt)
}

/// A claim line as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineRecord {
    pub line_number: u32,
    /// 837 `REF*6R`, which the payer echoes in its 835: made from the claim's number by
    /// [`line_control_number`] wherever a line meets its claim, not stored.
    pub line_control_number: String,
    pub attendance_id: Uuid,
    pub service_date: NaiveDate,
    pub program: Program,
    pub revenue_code: String,
    pub hcpcs: Option<String>,
    pub modifiers: Vec<String>,
    pub units: u32,
    pub charge: Money,
    pub expected: Option<Money>,
    /// Whether the line bills its day now (false once the claim is voided or replaced).
    pub live: bool,
    /// The position of the billed service among the day's services (per-service lines);
    /// absent on a per-day line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_index: Option<u32>,
}

/// A claim as stored and shown. `lines` is filled when one claim is read, not in lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimRecord {
    pub id: Uuid,
    pub claim_number: String,
    pub client_id: Uuid,
    pub coverage_id: Uuid,
    pub payer_id: Uuid,
    pub level_of_care: LevelOfCare,
    pub authorization_id: Option<Uuid>,
    pub authorization_number: Option<String>,
    pub period_from: NaiveDate,
    pub period_through: NaiveDate,
    pub statement_from: NaiveDate,
    pub statement_through: NaiveDate,
    pub claim_form: String,
    pub type_of_bill: Option<String>,
    pub place_of_service: Option<String>,
    pub condition_codes: Vec<String>,
    pub principal_diagnosis: String,
    pub other_diagnoses: Vec<String>,
    pub discharge_status: String,
    pub total_charge: Money,
    pub expected_reimbursement: Option<Money>,
    pub status: ClaimStatus,
    pub frequency: Frequency,
    pub original_claim_id: Option<Uuid>,
    pub payer_claim_number: Option<String>,
    pub line_count: u32,
    /// What billing should know about its days (`fewer_services`); absent when nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<DayWarning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineRecord>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: String,
    claim_number: String,
    client_id: String,
    coverage_id: String,
    payer_id: String,
    level_of_care: String,
    authorization_id: Option<String>,
    authorization_number: Option<String>,
    period_from: NaiveDate,
    period_through: NaiveDate,
    statement_from: NaiveDate,
    statement_through: NaiveDate,
    claim_form: String,
    type_of_bill: Option<String>,
    place_of_service: Option<String>,
    condition_codes: String,
    principal_diagnosis: String,
    other_diagnoses: String,
    discharge_status: String,
    total_charge_cents: i64,
    expected_reimbursement_cents: Option<i64>,
    status: String,
    frequency: String,
    original_claim_id: Option<String>,
    payer_claim_number: Option<String>,
    line_count: i64,
    warnings: String,
    created_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ClaimRow {
    fn parse(self) -> StoreResult<ClaimRecord> {
        Ok(ClaimRecord {
            id: uuid(&self.id)?,
            claim_number: self.claim_number,
            client_id: uuid(&self.client_id)?,
            coverage_id: uuid(&self.coverage_id)?,
            payer_id: uuid(&self.payer_id)?,
            level_of_care: LevelOfCare::parse(&self.level_of_care).map_err(corrupt)?,
            authorization_id: self.authorization_id.as_deref().map(uuid).transpose()?,
            authorization_number: self.authorization_number,
            period_from: self.period_from,
            period_through: self.period_through,
            statement_from: self.statement_from,
            statement_through: self.statement_through,
            claim_form: self.claim_form,
            type_of_bill: self.type_of_bill,
            place_of_service: self.place_of_service,
            condition_codes: list_of(&self.condition_codes)?,
            principal_diagnosis: self.principal_diagnosis,
            other_diagnoses: list_of(&self.other_diagnoses)?,
            discharge_status: self.discharge_status,
            total_charge: money(self.total_charge_cents)?,
            expected_reimbursement: self.expected_reimbursement_cents.map(money).transpose()?,
            status: ClaimStatus::parse(&self.status).map_err(corrupt)?,
            frequency: Frequency::parse(&self.frequency).map_err(corrupt)?,
            original_claim_id: self.original_claim_id.as_deref().map(uuid).transpose()?,
            payer_claim_number: self.payer_claim_number,
            line_count: u32::try_from(self.line_count).map_err(corrupt)?,
            warnings: if self.warnings == "[]" {
                Vec::new()
            } else {
                serde_json::from_str(&self.warnings).map_err(corrupt)?
            },
            lines: None,
            created_by: uuid(&self.created_by)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The columns of a [`ClaimRow`], with `line_count` computed by `$count`.
macro_rules! claim_columns {
    ($count:literal) => {
        concat!(
            "c.id, c.claim_number, c.client_id, c.coverage_id, c.payer_id, c.level_of_care, \
            c.authorization_id, c.authorization_number, c.period_from, c.period_through, \
            c.statement_from, c.statement_through, c.claim_form, c.type_of_bill, \
            c.place_of_service, c.condition_codes, c.principal_diagnosis, c.other_diagnoses, \
            c.discharge_status, c.total_charge_cents, c.expected_reimbursement_cents, c.status, \
            c.frequency, c.original_claim_id, c.payer_claim_number, ",
            $count,
            " AS line_count, c.warnings, c.created_by, c.created_at, c.updated_at"
        )
    };
}

const COLUMNS: &str =
    claim_columns!("(SELECT COUNT(*) FROM claim_lines l WHERE l.claim_id = c.id)");
/// For reads that load the lines too and count them there: the correlated count was a third
/// of reading 5,000 claims.
const COLUMNS_LINES_COUNTED_AFTER: &str = claim_columns!("CAST(0 AS BIGINT)");

/// Takes the next `count` values of a named counter and returns the first. The row is
/// updated inside the caller's transaction, so a number handed out is never handed out again.
pub async fn take_numbers(tx: &mut Tx, name: &str, count: i64) -> StoreResult<i64> {
    let last: i64 = with_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO counters (name, value) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET value = counters.value + $2
         RETURNING value"
    )
    .bind(name)
    .bind(count)
    .fetch_one(conn)
    .await)?;
    Ok(last - count + 1)
}

/// PostgreSQL's side of a bulk write whose SQLite side binds rows itself: `sql` runs once per
/// chunk of `rows`, the chunk bound as `$1` (a JSON array). Does nothing on SQLite.
async fn postgres_rows(tx: &mut Tx, sql: &str, rows: Vec<serde_json::Value>) -> StoreResult<()> {
    if let Tx::Postgres(transaction) = tx {
        for chunk in rows.chunks(CHUNK) {
            let document = serde_json::Value::Array(chunk.to_vec()).to_string();
            sqlx::query(sql)
                .bind(&document)
                .execute(&mut **transaction)
                .await?;
        }
    }
    Ok(())
}

/// A claim to store, with its lines (their `live` flag included).
pub struct NewClaim<'a> {
    pub record: &'a ClaimRecord,
    pub lines: &'a [LineRecord],
}

/// Stores claims and their lines. A day that already has a live line makes the whole write
/// fail with a UNIQUE violation.
pub async fn insert(tx: &mut Tx, claims: &[NewClaim<'_>]) -> StoreResult<()> {
    let json = |v: &[String]| serde_json::to_string(v).map_err(corrupt);
    let postgres = matches!(tx, Tx::Postgres(_));
    let mut claim_rows = Vec::with_capacity(claims.len());
    for claim in claims {
        let c = claim.record;
        if postgres {
            claim_rows.push(serde_json::json!({
                "id": c.id.to_string(),
                "claim_number": c.claim_number,
                "client_id": c.client_id.to_string(),
                "coverage_id": c.coverage_id.to_string(),
                "payer_id": c.payer_id.to_string(),
                "level_of_care": c.level_of_care.as_str(),
                "authorization_id": c.authorization_id.map(|id| id.to_string()),
                "authorization_number": c.authorization_number,
                "period_from": c.period_from.to_string(),
                "period_through": c.period_through.to_string(),
                "statement_from": c.statement_from.to_string(),
                "statement_through": c.statement_through.to_string(),
                "claim_form": c.claim_form,
                "type_of_bill": c.type_of_bill,
                "place_of_service": c.place_of_service,
                "condition_codes": json(&c.condition_codes)?,
                "principal_diagnosis": c.principal_diagnosis,
                "other_diagnoses": json(&c.other_diagnoses)?,
                "discharge_status": c.discharge_status,
                "total_charge_cents": c.total_charge.minor_units(),
                "expected_reimbursement_cents": c.expected_reimbursement.map(Money::minor_units),
                "status": c.status.as_str(),
                "frequency": c.frequency.code(),
                "original_claim_id": c.original_claim_id.map(|id| id.to_string()),
                "payer_claim_number": c.payer_claim_number,
                "warnings": json_of(&c.warnings)?,
                "created_by": c.created_by.to_string(),
                "created_at": c.created_at.to_rfc3339(),
            }));
        }
    }
    if let Tx::Sqlite(transaction) = tx {
        let full = SQLITE_CLAIM_ROWS.min(claims.len());
        let full_sql = values_sql(CLAIMS_INSERT, CLAIM_FIELDS, full, true);
        for chunk in claims.chunks(SQLITE_CLAIM_ROWS) {
            let mut texts = Vec::with_capacity(chunk.len());
            for claim in chunk {
                let c = claim.record;
                texts.push((
                    json(&c.condition_codes)?,
                    json(&c.other_diagnoses)?,
                    json_of(&c.warnings)?,
                ));
            }
            let values = sqlite_claim_values(chunk, &texts)?;
            let last_sql;
            let sql = if chunk.len() == full {
                &full_sql
            } else {
                last_sql = values_sql(CLAIMS_INSERT, CLAIM_FIELDS, chunk.len(), true);
                &last_sql
            };
            sqlx::query_with(sql, values)
                .execute(&mut **transaction)
                .await?;
        }
    } else {
        postgres_rows(
            tx,
            "INSERT INTO claims (id, claim_number, client_id, coverage_id, payer_id, level_of_care,
                authorization_id, authorization_number, period_from, period_through, statement_from,
                statement_through, claim_form, type_of_bill, place_of_service, condition_codes,
                principal_diagnosis, other_diagnoses, discharge_status, total_charge_cents,
                expected_reimbursement_cents, status, frequency, original_claim_id,
                payer_claim_number, warnings, created_by, created_at, updated_at)
             SELECT r.id, r.claim_number, r.client_id, r.coverage_id, r.payer_id, r.level_of_care,
                r.authorization_id, r.authorization_number, r.period_from, r.period_through,
                r.statement_from, r.statement_through, r.claim_form, r.type_of_bill,
                r.place_of_service, r.condition_codes, r.principal_diagnosis, r.other_diagnoses,
                r.discharge_status, r.total_charge_cents, r.expected_reimbursement_cents, r.status,
                r.frequency, r.original_claim_id, r.payer_claim_number, r.warnings, r.created_by,
                r.created_at, r.created_at
             FROM jsonb_to_recordset($1::jsonb) AS r(id TEXT, claim_number TEXT, client_id TEXT,
                coverage_id TEXT, payer_id TEXT, level_of_care TEXT, authorization_id TEXT,
                authorization_number TEXT, period_from DATE, period_through DATE,
                statement_from DATE, statement_through DATE, claim_form TEXT, type_of_bill TEXT,
                place_of_service TEXT, condition_codes TEXT, principal_diagnosis TEXT,
                other_diagnoses TEXT, discharge_status TEXT, total_charge_cents BIGINT,
                expected_reimbursement_cents BIGINT, status TEXT, frequency TEXT,
                original_claim_id TEXT, payer_claim_number TEXT, warnings TEXT, created_by TEXT,
                created_at TIMESTAMPTZ)",
            claim_rows,
        )
        .await?;
    }
    match tx {
        // SQLite: bound multi-row VALUES. Reading each row back out of a JSON document costs
        // a JSON parse per column there, which dominated generation time (benches/claims.rs).
        Tx::Sqlite(transaction) => {
            let claim_ids: Vec<String> = claims.iter().map(|c| c.record.id.to_string()).collect();
            let groups = lines_by_shared(claims, &claim_ids)?;
            let statements: Vec<SqliteLines> = groups
                .iter()
                .flat_map(|(shared, modifiers, lines)| {
                    lines.chunks(SQLITE_ROWS).map(move |rows| SqliteLines {
                        shared,
                        modifiers,
                        rows,
                    })
                })
                .collect();
            // Pipelined: the next statement's values are bound on this thread while SQLite's
            // worker thread runs the current one (binding was a third of the write's time).
            // Statements of as many lines have the same text, written and prepared once.
            let mut texts: std::collections::HashMap<usize, String> =
                std::collections::HashMap::new();
            let mut statements = statements.into_iter();
            let mut next = statements.next().map(SqliteLines::values);
            while let Some(current) = next.take() {
                let (rows, values) = current?;
                let sql = texts.entry(rows).or_insert_with(|| sqlite_lines_sql(rows));
                let (written, prepared) = tokio::join!(
                    sqlx::query_with(sql, values).execute(&mut **transaction),
                    async { statements.next().map(SqliteLines::values) }
                );
                written?;
                next = prepared;
            }
        }
        // PostgreSQL: one array a column, unnested. Building and parsing a JSON document of
        // 100,000 lines was most of a generation's storing there (benches/claims.rs).
        Tx::Postgres(transaction) => {
            let lines = PgLines::of(claims)?;
            let count = lines.claim_id.len();
            for start in (0..count).step_by(PG_LINE_ROWS) {
                let rows = start..(start + PG_LINE_ROWS).min(count);
                sqlx::query(
                    "INSERT INTO claim_lines (claim_id, line_number, attendance_id, service_date,
                        program, revenue_code, hcpcs, modifiers, units, charge_cents,
                        expected_cents, live, service_index, day_head)
                     SELECT * FROM UNNEST($1::text[], $2::int[], $3::text[], $4::date[],
                        $5::text[], $6::text[], $7::text[], $8::text[], $9::int[],
                        $10::bigint[], $11::bigint[], $12::bool[], $13::int[], $14::bool[])",
                )
                .bind(&lines.claim_id[rows.clone()])
                .bind(&lines.line_number[rows.clone()])
                .bind(&lines.attendance_id[rows.clone()])
                .bind(&lines.service_date[rows.clone()])
                .bind(&lines.program[rows.clone()])
                .bind(&lines.revenue_code[rows.clone()])
                .bind(&lines.hcpcs[rows.clone()])
                .bind(&lines.modifiers[rows.clone()])
                .bind(&lines.units[rows.clone()])
                .bind(&lines.charge_cents[rows.clone()])
                .bind(&lines.expected_cents[rows.clone()])
                .bind(&lines.live[rows.clone()])
                .bind(&lines.service_index[rows.clone()])
                .bind(&lines.day_head[rows])
                .execute(&mut **transaction)
                .await?;
            }
        }
    }
    Ok(())
}

/// The most claim lines one PostgreSQL statement inserts.
const PG_LINE_ROWS: usize = 20_000;

/// Claim lines as PostgreSQL columns, one array each, in `claim_lines`' order.
#[derive(Default)]
struct PgLines<'a> {
    claim_id: Vec<String>,
    line_number: Vec<i32>,
    attendance_id: Vec<String>,
    service_date: Vec<NaiveDate>,
    program: Vec<&'static str>,
    revenue_code: Vec<&'a str>,
    hcpcs: Vec<Option<&'a str>>,
    modifiers: Vec<String>,
    units: Vec<i32>,
    charge_cents: Vec<i64>,
    expected_cents: Vec<Option<i64>>,
    live: Vec<bool>,
    service_index: Vec<Option<i32>>,
    day_head: Vec<bool>,
}

impl<'a> PgLines<'a> {
    fn of(claims: &'a [NewClaim<'a>]) -> StoreResult<PgLines<'a>> {
        let mut columns = PgLines::default();
        for claim in claims {
            let id = claim.record.id.to_string();
            for (l, day_head) in claim.lines.iter().zip(day_heads(claim.lines)) {
                columns.claim_id.push(id.clone());
                columns
                    .line_number
                    .push(i32::try_from(l.line_number).map_err(corrupt)?);
                columns.attendance_id.push(l.attendance_id.to_string());
                columns.service_date.push(l.service_date);
                columns.program.push(l.program.as_str());
                columns.revenue_code.push(&l.revenue_code);
                columns.hcpcs.push(l.hcpcs.as_deref());
                columns
                    .modifiers
                    .push(serde_json::to_string(&l.modifiers).map_err(corrupt)?);
                columns.units.push(i32::try_from(l.units).map_err(corrupt)?);
                columns.charge_cents.push(l.charge.minor_units());
                columns
                    .expected_cents
                    .push(l.expected.map(Money::minor_units));
                columns.live.push(l.live);
                columns.service_index.push(
                    l.service_index
                        .map(i32::try_from)
                        .transpose()
                        .map_err(corrupt)?,
                );
                columns.day_head.push(day_head);
            }
        }
        Ok(columns)
    }
}

/// A day's warnings as stored (JSON).
fn json_of(warnings: &[DayWarning]) -> StoreResult<String> {
    if warnings.is_empty() {
        return Ok("[]".to_string());
    }
    serde_json::to_string(warnings).map_err(corrupt)
}

/// A value that could not be bound, as the store's error.
fn encoded(result: Result<(), sqlx::error::BoxDynError>) -> StoreResult<()> {
    result.map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))
}

const CLAIMS_INSERT: &str = "INSERT INTO claims (id, claim_number, client_id, coverage_id, \
    payer_id, level_of_care, authorization_id, authorization_number, period_from, \
    period_through, statement_from, statement_through, claim_form, type_of_bill, \
    place_of_service, condition_codes, principal_diagnosis, other_diagnoses, discharge_status, \
    total_charge_cents, expected_reimbursement_cents, status, frequency, original_claim_id, \
    payer_claim_number, warnings, created_by, created_at, updated_at) VALUES ";
const CLAIM_FIELDS: usize = 29;

/// The bound values of one multi-row INSERT of claims for SQLite, in [`CLAIMS_INSERT`]'s
/// order; `texts` holds each claim's condition codes, other diagnoses and warnings as JSON.
fn sqlite_claim_values<'a>(
    chunk: &'a [NewClaim<'a>],
    texts: &'a [(String, String, String)],
) -> StoreResult<sqlx::sqlite::SqliteArguments<'a>> {
    use sqlx::Arguments as _;
    let mut values = sqlx::sqlite::SqliteArguments::default();
    values.reserve(chunk.len() * CLAIM_FIELDS, 0);
    for (claim, (codes, dx, warnings)) in chunk.iter().zip(texts) {
        let c = claim.record;
        encoded(values.add(c.id.to_string()))?;
        encoded(values.add(c.claim_number.as_str()))?;
        encoded(values.add(c.client_id.to_string()))?;
        encoded(values.add(c.coverage_id.to_string()))?;
        encoded(values.add(c.payer_id.to_string()))?;
        encoded(values.add(c.level_of_care.as_str()))?;
        encoded(values.add(c.authorization_id.map(|id| id.to_string())))?;
        encoded(values.add(c.authorization_number.as_deref()))?;
        encoded(values.add(c.period_from))?;
        encoded(values.add(c.period_through))?;
        encoded(values.add(c.statement_from))?;
        encoded(values.add(c.statement_through))?;
        encoded(values.add(c.claim_form.as_str()))?;
        encoded(values.add(c.type_of_bill.as_deref()))?;
        encoded(values.add(c.place_of_service.as_deref()))?;
        encoded(values.add(codes.as_str()))?;
        encoded(values.add(c.principal_diagnosis.as_str()))?;
        encoded(values.add(dx.as_str()))?;
        encoded(values.add(c.discharge_status.as_str()))?;
        encoded(values.add(c.total_charge.minor_units()))?;
        encoded(values.add(c.expected_reimbursement.map(Money::minor_units)))?;
        encoded(values.add(c.status.as_str()))?;
        encoded(values.add(c.frequency.code()))?;
        encoded(values.add(c.original_claim_id.map(|id| id.to_string())))?;
        encoded(values.add(c.payer_claim_number.as_deref()))?;
        encoded(values.add(warnings.as_str()))?;
        encoded(values.add(c.created_by.to_string()))?;
        encoded(values.add(c.created_at))?;
        encoded(values.add(c.updated_at))?;
    }
    Ok(values)
}

/// What the lines priced by one fee schedule share, bound once per SQLite statement rather
/// than once per line: binding (and clearing) every value was a third of SQLite's time.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct SharedLine<'a> {
    program: &'static str,
    revenue_code: &'a str,
    hcpcs: Option<&'a str>,
    modifiers: &'a [String],
    units: u32,
    charge_cents: i64,
    expected_cents: Option<i64>,
    live: bool,
}

/// Lines grouped by what they share (with the modifiers as stored, JSON), each group in the
/// order given, the groups in the order first seen.
type LineGroup<'a> = (SharedLine<'a>, String, Vec<(&'a str, &'a LineRecord, bool)>);

/// Whether each of a claim's lines is the first of its day on the claim (its day's head). A
/// day is on at most one live claim because the schema lets an attended day have one live
/// head line (`claim_lines_one_live_claim_per_day`): a per-day line always heads its day; of a
/// per-service claim's lines of one day, the first does.
fn day_heads(lines: &[LineRecord]) -> Vec<bool> {
    let mut seen = HashSet::with_capacity(lines.len());
    lines.iter().map(|l| seen.insert(l.attendance_id)).collect()
}

fn lines_by_shared<'a>(
    claims: &'a [NewClaim<'a>],
    claim_ids: &'a [String],
) -> StoreResult<Vec<LineGroup<'a>>> {
    let mut groups: Vec<LineGroup<'a>> = Vec::new();
    let mut index: std::collections::HashMap<SharedLine<'a>, usize> =
        std::collections::HashMap::new();
    for (claim, id) in claims.iter().zip(claim_ids) {
        for (l, day_head) in claim.lines.iter().zip(day_heads(claim.lines)) {
            let shared = SharedLine {
                program: l.program.as_str(),
                revenue_code: &l.revenue_code,
                hcpcs: l.hcpcs.as_deref(),
                modifiers: &l.modifiers,
                units: l.units,
                charge_cents: l.charge.minor_units(),
                expected_cents: l.expected.map(Money::minor_units),
                live: l.live,
            };
            let at = match index.get(&shared) {
                Some(at) => *at,
                None => {
                    let modifiers = serde_json::to_string(&l.modifiers).map_err(corrupt)?;
                    groups.push((shared, modifiers, Vec::new()));
                    index.insert(shared, groups.len() - 1);
                    groups.len() - 1
                }
            };
            groups[at].2.push((id.as_str(), l, day_head));
        }
    }
    Ok(groups)
}

/// One SQLite statement's lines: all of one group.
struct SqliteLines<'a> {
    shared: &'a SharedLine<'a>,
    modifiers: &'a str,
    rows: &'a [(&'a str, &'a LineRecord, bool)],
}

impl<'a> SqliteLines<'a> {
    /// The bound values in [`sqlite_lines_sql`]'s order, with the row count. Reserved up
    /// front: a value list of thousands grown by doubling cost more than filling it.
    fn values(self) -> StoreResult<(usize, sqlx::sqlite::SqliteArguments<'a>)> {
        use sqlx::Arguments as _;
        let mut values = sqlx::sqlite::SqliteArguments::default();
        values.reserve(self.rows.len() * 6 + 8, 0);
        for (claim, l, day_head) in self.rows {
            encoded(values.add(*claim))?;
            encoded(values.add(i64::from(l.line_number)))?;
            encoded(values.add(l.attendance_id.to_string()))?;
            // The date as sqlx would bind a NaiveDate (`%F`).
            encoded(values.add(l.service_date.to_string()))?;
            encoded(values.add(l.service_index.map(i64::from)))?;
            encoded(values.add(*day_head))?;
        }
        let s = self.shared;
        encoded(values.add(s.program))?;
        encoded(values.add(s.revenue_code))?;
        encoded(values.add(s.hcpcs))?;
        encoded(values.add(self.modifiers))?;
        encoded(values.add(i64::from(s.units)))?;
        encoded(values.add(s.charge_cents))?;
        encoded(values.add(s.expected_cents))?;
        encoded(values.add(s.live))?;
        Ok((self.rows.len(), values))
    }
}

/// An INSERT of `rows` claim lines for SQLite: six anonymous parameters a line (claim,
/// number, day, date, service index, day head), then the eight values the lines share,
/// numbered after them so that anonymous and numbered parameters agree in SQLite and in sqlx
/// (few named parameters also keep sqlx's per-parameter name lookup short).
fn sqlite_lines_sql(rows: usize) -> String {
    use std::fmt::Write as _;
    const HEAD: &str = "INSERT INTO claim_lines (claim_id, line_number, attendance_id, \
        service_date, program, revenue_code, hcpcs, modifiers, units, charge_cents, \
        expected_cents, live, service_index, day_head) SELECT v.column1, v.column2, v.column3, \
        v.column4, s.program, s.revenue_code, s.hcpcs, s.modifiers, s.units, s.charge_cents, \
        s.expected_cents, s.live, v.column5, v.column6 FROM (VALUES ";
    let mut sql = String::with_capacity(HEAD.len() + rows * 14 + 200);
    sql.push_str(HEAD);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?, ?)");
    }
    let n = rows * 6;
    // Writing into a String cannot fail.
    let _ = write!(
        sql,
        ") AS v CROSS JOIN (SELECT ?{} AS program, ?{} AS revenue_code, ?{} AS hcpcs, \
         ?{} AS modifiers, ?{} AS units, ?{} AS charge_cents, ?{} AS expected_cents, \
         ?{} AS live) AS s",
        n + 1,
        n + 2,
        n + 3,
        n + 4,
        n + 5,
        n + 6,
        n + 7,
        n + 8
    );
    sql
}

/// Stops a claim's lines from billing their days: the days are free to bill again.
pub async fn release(tx: &mut Tx, claim_id: Uuid) -> StoreResult<()> {
    let id = claim_id.to_string();
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE claim_lines SET live = FALSE WHERE claim_id = $1"
    )
    .bind(&id)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

pub async fn find(tx: &mut Tx, id: Uuid) -> StoreResult<Option<ClaimRecord>> {
    let sql = format!("SELECT {COLUMNS_LINES_COUNTED_AFTER} FROM claims c WHERE c.id = $1");
    let row: Option<ClaimRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id.to_string())
        .fetch_optional(conn)
        .await)?;
    let Some(mut claim) = row.map(ClaimRow::parse).transpose()? else {
        return Ok(None);
    };
    let mut lines = lines_of(tx, &[id]).await?;
    attach_lines(&mut claim, lines.remove(&id).unwrap_or_default())?;
    Ok(Some(claim))
}

/// Claims by id, with their lines, in the order asked (unknown ids are left out).
pub async fn find_many(tx: &mut Tx, ids: &[Uuid]) -> StoreResult<Vec<ClaimRecord>> {
    let sql = format!("SELECT {COLUMNS_LINES_COUNTED_AFTER} FROM claims c WHERE c.id IN ({{ids}})");
    let rows: Vec<ClaimRow> = rows_for(tx, &sql, &texts(ids)).await?;
    let mut claims: std::collections::HashMap<Uuid, ClaimRecord> = rows
        .into_iter()
        .map(|row| row.parse().map(|c| (c.id, c)))
        .collect::<StoreResult<_>>()?;
    let mut lines = lines_of(tx, ids).await?;
    let mut found = Vec::with_capacity(claims.len());
    for id in ids {
        if let Some(mut claim) = claims.remove(id) {
            attach_lines(&mut claim, lines.remove(id).unwrap_or_default())?;
            found.push(claim);
        }
    }
    Ok(found)
}

/// A claim read without its line count gets its lines, and their count.
fn attach_lines(claim: &mut ClaimRecord, mut lines: Vec<LineRecord>) -> StoreResult<()> {
    claim.line_count = u32::try_from(lines.len()).map_err(corrupt)?;
    for line in &mut lines {
        line.line_control_number = line_control_number(&claim.claim_number, line.line_number);
    }
    claim.lines = Some(lines);
    Ok(())
}

pub(crate) async fn lines_of(
    tx: &mut Tx,
    claim_ids: &[Uuid],
) -> StoreResult<std::collections::HashMap<Uuid, Vec<LineRecord>>> {
    // One row per claim, its lines as a JSON array: a file of 5,000 claims reads 5,000 rows,
    // not 100,000 (the driver's cost is per row; benches/claims.rs).
    let sql = packed_sql(
        tx,
        "claim_lines",
        "claim_id",
        SQLITE_LINE_FIELDS,
        POSTGRES_LINE_FIELDS,
    );
    let mut by_claim = std::collections::HashMap::with_capacity(claim_ids.len());
    for_each_text_pair(tx, &sql, &texts(claim_ids), |claim, lines| {
        let packed: Vec<PackedLine> = serde_json::from_str(lines).map_err(corrupt)?;
        let mut lines = packed
            .into_iter()
            .map(PackedLine::parse)
            .collect::<StoreResult<Vec<_>>>()?;
        lines.sort_by_key(|l| l.line_number);
        by_claim.insert(uuid(claim)?, lines);
        Ok(())
    })
    .await?;
    Ok(by_claim)
}

/// One row per `key` among `{ids}`: the key and its rows of `table` packed as a JSON array of
/// arrays of the fields (each backend's own JSON functions, hence two field lists).
fn packed_sql(
    tx: &Tx,
    table: &str,
    key: &str,
    sqlite_fields: &str,
    postgres_fields: &str,
) -> String {
    match tx {
        Tx::Sqlite(_) => format!(
            "SELECT {key}, json_group_array(json_array({sqlite_fields}))
             FROM {table} WHERE {key} IN ({{ids}}) GROUP BY {key}"
        ),
        Tx::Postgres(_) => format!(
            "SELECT {key}, json_agg(json_build_array({postgres_fields}))::text
             FROM {table} WHERE {key} IN ({{ids}}) GROUP BY {key}"
        ),
    }
}

/// The line fields [`lines_of`] packs, in [`PackedLine`]'s order. The modifiers travel as the
/// stored JSON text and `live` as 0 or 1, the same on both backends: re-encoding them with
/// `json(...)` per line cost SQLite a third of the read (benches/claims.rs).
const SQLITE_LINE_FIELDS: &str = "line_number, attendance_id, service_date, program, \
    revenue_code, hcpcs, modifiers, units, charge_cents, expected_cents, live, service_index";
const POSTGRES_LINE_FIELDS: &str = "line_number, attendance_id, service_date, program, \
    revenue_code, hcpcs, modifiers, units, charge_cents, expected_cents, live::int, \
    service_index";

/// A claim line as [`lines_of`] packs it.
#[derive(serde::Deserialize)]
struct PackedLine<'a>(
    i64,
    Uuid,
    NaiveDate,
    #[serde(borrow)] Cow<'a, str>,
    String,
    Option<String>,
    #[serde(borrow)] Cow<'a, str>,
    i64,
    i64,
    Option<i64>,
    i64,
    Option<i64>,
);

impl PackedLine<'_> {
    fn parse(self) -> StoreResult<LineRecord> {
        let PackedLine(
            line_number,
            attendance_id,
            service_date,
            program,
            revenue_code,
            hcpcs,
            modifiers,
            units,
            charge_cents,
            expected_cents,
            live,
            service_index,
        ) = self;
        // Most lines have none; their text is always `[]`.
        let modifiers = if modifiers == "[]" {
            Vec::new()
        } else {
            serde_json::from_str(&modifiers).map_err(corrupt)?
        };
        Ok(LineRecord {
            line_number: u32::try_from(line_number).map_err(corrupt)?,
            // Filled by `attach_lines`, which knows the claim's number.
            line_control_number: String::new(),
            attendance_id,
            service_date,
            program: Program::parse(&program).map_err(corrupt)?,
            revenue_code,
            hcpcs,
            modifiers,
            units: u32::try_from(units).map_err(corrupt)?,
            charge: money(charge_cents)?,
            expected: expected_cents.map(money).transpose()?,
            live: live != 0,
            service_index: service_index
                .map(u32::try_from)
                .transpose()
                .map_err(corrupt)?,
        })
    }
}

#[derive(Debug, Default, Clone)]
pub struct ClaimFilter {
    pub client_id: Option<Uuid>,
    pub payer_id: Option<Uuid>,
    pub status: Option<ClaimStatus>,
    pub level_of_care: Option<LevelOfCare>,
    /// Claims whose statement period ends on or after this date.
    pub from: Option<NaiveDate>,
    /// Claims whose statement period starts on or before this date.
    pub to: Option<NaiveDate>,
}

/// A page of claims (without lines), newest service first, and the total matching.
pub async fn list(
    tx: &mut Tx,
    filter: &ClaimFilter,
    page: Page,
) -> StoreResult<(Vec<ClaimRecord>, i64)> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut add = |condition: &str, value: String| {
        binds.push(value);
        conditions.push(condition.replace('?', &format!("${}", binds.len())));
    };
    if let Some(client) = filter.client_id {
        add("c.client_id = ?", client.to_string());
    }
    if let Some(payer) = filter.payer_id {
        add("c.payer_id = ?", payer.to_string());
    }
    if let Some(status) = filter.status {
        add("c.status = ?", status.as_str().to_string());
    }
    if let Some(level) = filter.level_of_care {
        add("c.level_of_care = ?", level.as_str().to_string());
    }
    let dates: Vec<(&str, NaiveDate)> = [
        filter.from.map(|d| ("c.statement_through >= ", d)),
        filter.to.map(|d| ("c.statement_from <= ", d)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut where_sql = conditions.join(" AND ");
    for (i, (condition, _)) in dates.iter().enumerate() {
        if !where_sql.is_empty() {
            where_sql.push_str(" AND ");
        }
        where_sql.push_str(&format!("{condition}${}", binds.len() + i + 1));
    }
    let where_sql = if where_sql.is_empty() {
        String::new()
    } else {
        format!("WHERE {where_sql}")
    };
    let total_sql = format!("SELECT COUNT(*) FROM claims c {where_sql}");
    let n = binds.len() + dates.len();
    let page_sql = format!(
        "SELECT {COLUMNS} FROM claims c {where_sql}
         ORDER BY c.statement_from DESC, c.claim_number DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let total: i64 = with_tx!(tx, |conn| {
        let mut query = sqlx::query_scalar(&total_sql);
        for b in &binds {
            query = query.bind(b);
        }
        for (_, d) in &dates {
            query = query.bind(*d);
        }
        query.fetch_one(conn).await
    })?;
    let rows: Vec<ClaimRow> = with_tx!(tx, |conn| {
        let mut query = sqlx::query_as(&page_sql);
        for b in &binds {
            query = query.bind(b);
        }
        for (_, d) in &dates {
            query = query.bind(*d);
        }
        query
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(conn)
            .await
    })?;
    let claims = rows
        .into_iter()
        .map(ClaimRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((claims, total))
}

/// A claim's move by a remittance or an acknowledgment: from the status it was read in to
/// `to`, with the payer's claim number when the payer gave one and the event's note.
pub struct StatusMove<'a> {
    pub claim_id: Uuid,
    pub from: ClaimStatus,
    pub to: ClaimStatus,
    pub payer_claim_number: Option<&'a str>,
    pub note: String,
}

/// Moves many claims at once, each only if it is still in its `from` status (one UPDATE per
/// few thousand claims, not one per claim: a 277CA or an 835 for a 5,000-claim file would
/// otherwise be 10,000 statements), keeps the payer claim numbers given (never erasing one
/// with none), and records an event for each claim moved, all stamped `at`. Returns the ids
/// moved; a claim left out has changed since it was read.
pub async fn move_claims(
    tx: &mut Tx,
    moves: &[StatusMove<'_>],
    user: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<HashSet<Uuid>> {
    const WIDTH: usize = 4;
    let mut moved = HashSet::with_capacity(moves.len());
    let sqlite = matches!(tx, Tx::Sqlite(_));
    for chunk in moves.chunks(MAX_PARAMETERS / WIDTH) {
        let values = values_sql("", WIDTH, chunk.len(), sqlite);
        // `updated_at` is the one value after the rows: anonymous on SQLite (bound first, as it
        // comes first in the text), numbered after them on PostgreSQL. VALUES columns are
        // column1… on both backends.
        let at_parameter = if sqlite {
            "?".to_string()
        } else {
            format!("${}", chunk.len() * WIDTH + 1)
        };
        let sql = format!(
            "UPDATE claims SET status = v.column3,
                payer_claim_number = COALESCE(v.column4, claims.payer_claim_number),
                updated_at = {at_parameter}
             FROM (VALUES {values}) AS v
             WHERE claims.id = v.column1 AND claims.status = v.column2
             RETURNING claims.id"
        );
        let ids: Vec<(String,)> = with_tx!(tx, |conn| {
            let mut query = sqlx::query_as(&sql);
            if sqlite {
                query = query.bind(at);
            }
            for m in chunk {
                query = query
                    .bind(m.claim_id.to_string())
                    .bind(m.from.as_str())
                    .bind(m.to.as_str())
                    .bind(m.payer_claim_number);
            }
            if !sqlite {
                query = query.bind(at);
            }
            query.fetch_all(conn).await
        })?;
        for (id,) in ids {
            moved.insert(uuid(&id)?);
        }
    }
    let events = moves
        .iter()
        .filter(|m| moved.contains(&m.claim_id))
        .map(|m| {
            vec![
                text(new_id().to_string()),
                text(m.claim_id.to_string()),
                text(m.from.as_str()),
                text(m.to.as_str()),
                text(m.note.as_str()),
                text(user.to_string()),
                Value::Time(at),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "claim_events (id, claim_id, from_status, to_status, note, user_id, at)",
        events,
    )
    .await?;
    Ok(moved)
}

/// Moves a claim from `from` to `to` (only if it is still in `from`: a concurrent change makes
/// this return false) and records the event.
pub async fn set_status(
    tx: &mut Tx,
    claim_id: Uuid,
    from: ClaimStatus,
    to: ClaimStatus,
    payer_claim_number: Option<&str>,
    note: Option<&str>,
    user: Uuid,
) -> StoreResult<bool> {
    let at = now();
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE claims SET status = $3, updated_at = $4,
            payer_claim_number = COALESCE($5, payer_claim_number)
         WHERE id = $1 AND status = $2"
    )
    .bind(claim_id.to_string())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(at)
    .bind(payer_claim_number)
    .execute(conn)
    .await
    .map(|r| r.rows_affected()))?;
    if done != 1 {
        return Ok(false);
    }
    record_event(tx, claim_id, Some(from), to, note, user).await?;
    Ok(true)
}

pub async fn record_event(
    tx: &mut Tx,
    claim_id: Uuid,
    from: Option<ClaimStatus>,
    to: ClaimStatus,
    note: Option<&str>,
    user: Uuid,
) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO claim_events (id, claim_id, from_status, to_status, note, user_id, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(new_id().to_string())
    .bind(claim_id.to_string())
    .bind(from.map(ClaimStatus::as_str))
    .bind(to.as_str())
    .bind(note)
    .bind(user.to_string())
    .bind(now())
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Records the creation of many claims at once (one `draft` event each).
pub async fn record_created(tx: &mut Tx, claim_ids: &[Uuid], user: Uuid) -> StoreResult<()> {
    let at = now().to_rfc3339();
    let user = user.to_string();
    let ids: Vec<(String, String)> = claim_ids
        .iter()
        .map(|id| (new_id().to_string(), id.to_string()))
        .collect();
    let Tx::Sqlite(transaction) = tx else {
        let rows = ids
            .iter()
            .map(|(id, claim_id)| {
                serde_json::json!({
                    "id": id,
                    "claim_id": claim_id,
                    "user_id": user,
                    "at": at,
                })
            })
            .collect();
        return postgres_rows(
            tx,
            "INSERT INTO claim_events (id, claim_id, from_status, to_status, note, user_id, at)
             SELECT r.id, r.claim_id, NULL, 'draft', NULL, r.user_id, r.at
             FROM jsonb_to_recordset($1::jsonb) AS r(id TEXT, claim_id TEXT, user_id TEXT,
                at TIMESTAMPTZ)",
            rows,
        )
        .await;
    };
    // SQLite: two values bound an event and the user and time once a statement (reading each
    // event back out of a JSON document parsed it once per column).
    let mut texts: std::collections::HashMap<usize, String> = std::collections::HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        use sqlx::Arguments as _;
        let mut values = sqlx::sqlite::SqliteArguments::default();
        values.reserve(chunk.len() * 2 + 2, 0);
        for (id, claim_id) in chunk {
            encoded(values.add(id.as_str()))?;
            encoded(values.add(claim_id.as_str()))?;
        }
        encoded(values.add(user.as_str()))?;
        encoded(values.add(at.as_str()))?;
        let sql = texts.entry(chunk.len()).or_insert_with(|| {
            let n = chunk.len() * 2;
            format!(
                "INSERT INTO claim_events (id, claim_id, from_status, to_status, note, user_id, \
                 at) SELECT v.column1, v.column2, NULL, 'draft', NULL, s.user_id, s.at FROM \
                 (VALUES {}) AS v CROSS JOIN (SELECT ?{} AS user_id, ?{} AS at) AS s",
                vec!["(?, ?)"; chunk.len()].join(", "),
                n + 1,
                n + 2
            )
        });
        sqlx::query_with(sql, values)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// A status change as shown in a claim's history.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ClaimEvent {
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub user_id: String,
    pub at: DateTime<Utc>,
}

pub async fn events(tx: &mut Tx, claim_id: Uuid) -> StoreResult<Vec<ClaimEvent>> {
    Ok(with_tx!(tx, |conn| sqlx::query_as(
        "SELECT from_status, to_status, note, user_id, at FROM claim_events
         WHERE claim_id = $1 ORDER BY at, id"
    )
    .bind(claim_id.to_string())
    .fetch_all(conn)
    .await)?)
}

/// A live claim of a client as an episode's interim sequence reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencedClaim {
    pub id: Uuid,
    pub payer_id: Uuid,
    pub statement_from: NaiveDate,
    pub statement_through: NaiveDate,
    pub status: ClaimStatus,
    pub frequency: Frequency,
}

/// The live claims of `client_ids` (neither voided nor replaced, and not themselves void
/// claims), in (client, statement) order, keyed by client.
pub async fn live_claims_of(
    tx: &mut Tx,
    client_ids: &[Uuid],
) -> StoreResult<std::collections::HashMap<Uuid, Vec<SequencedClaim>>> {
    type Row = (String, String, String, NaiveDate, NaiveDate, String, String);
    let sql = "SELECT c.id, c.client_id, c.payer_id, c.statement_from, c.statement_through, \
               c.status, c.frequency FROM claims c WHERE c.client_id IN ({ids}) \
               AND c.status NOT IN ('void', 'replaced') AND c.frequency <> '8' \
               ORDER BY c.client_id, c.statement_from";
    let rows: Vec<Row> = rows_for(tx, sql, &texts(client_ids)).await?;
    let mut by_client: std::collections::HashMap<Uuid, Vec<SequencedClaim>> =
        std::collections::HashMap::new();
    for (id, client, payer, from, through, status, frequency) in rows {
        by_client
            .entry(uuid(&client)?)
            .or_default()
            .push(SequencedClaim {
                id: uuid(&id)?,
                payer_id: uuid(&payer)?,
                statement_from: from,
                statement_through: through,
                status: ClaimStatus::parse(&status).map_err(corrupt)?,
                frequency: Frequency::parse(&frequency).map_err(corrupt)?,
            });
    }
    Ok(by_client)
}

/// The claims that replace or void `claim_id`.
pub async fn successors(tx: &mut Tx, claim_id: Uuid) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<String> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT id FROM claims WHERE original_claim_id = $1 ORDER BY created_at"
    )
    .bind(claim_id.to_string())
    .fetch_all(conn)
    .await)?;
    ids.iter().map(|id| uuid(id)).collect()
}

/// Stores a produced 837 interchange.
pub async fn insert_file(
    tx: &mut Tx,
    id: Uuid,
    interchange_control_number: i64,
    claim_ids: &[Uuid],
    content: &str,
    user: Uuid,
) -> StoreResult<()> {
    let ids = serde_json::to_string(&texts(claim_ids)).map_err(corrupt)?;
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO claim_files (id, interchange_control_number, claim_ids, content,
            created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id.to_string())
    .bind(interchange_control_number)
    .bind(ids)
    .bind(content)
    .bind(user.to_string())
    .bind(now())
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// One claim of a produced file, with the control numbers of the group and set it went in.
pub struct FileSet {
    pub claim_id: Uuid,
    pub interchange_control_number: i64,
    pub group_control_number: i64,
    pub set_control_number: i64,
    /// `837I` or `837P`.
    pub functional_form: &'static str,
}

/// Keeps which group and set of file `file_id` carried each claim, a few hundred rows a
/// statement (a file holds up to 5,000 claims). A row already kept stays as it is: two
/// acknowledgments may read the same file written before these rows were kept (see
/// [`files_without_sets`]) at once.
pub async fn insert_file_sets(tx: &mut Tx, file_id: Uuid, sets: &[FileSet]) -> StoreResult<()> {
    const WIDTH: usize = 6;
    for chunk in sets.chunks(500) {
        let rows = values_sql("", WIDTH, chunk.len(), matches!(tx, Tx::Sqlite(_)));
        let sql = format!(
            "INSERT INTO claim_file_sets (file_id, claim_id, interchange_control_number,
                group_control_number, set_control_number, functional_form)
             VALUES {rows}
             ON CONFLICT (file_id, claim_id) DO NOTHING"
        );
        with_tx!(tx, |conn| {
            let mut query = sqlx::query(&sql);
            for set in chunk {
                query = query
                    .bind(file_id.to_string())
                    .bind(set.claim_id.to_string())
                    .bind(set.interchange_control_number)
                    .bind(set.group_control_number)
                    .bind(set.set_control_number)
                    .bind(set.functional_form);
            }
            query.execute(conn).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// The produced 837 files with no file-set rows (those written before migration 0026 kept
/// them) that have not already failed to read back, oldest first.
pub async fn files_without_sets(tx: &mut Tx) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<String> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT f.id FROM claim_files f
         WHERE NOT EXISTS (SELECT 1 FROM claim_file_sets s WHERE s.file_id = f.id)
           AND NOT EXISTS (SELECT 1 FROM unreadable_claim_files u WHERE u.file_id = f.id)
         ORDER BY f.created_at, f.id"
    )
    .fetch_all(conn)
    .await)?;
    ids.iter().map(|id| uuid(id)).collect()
}

/// Notes that stored file `file_id` did not read back, so that it is not read again; a file
/// noted before counts one more attempt.
pub async fn note_unreadable_file(tx: &mut Tx, file_id: Uuid, failure: &str) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO unreadable_claim_files (file_id, failure, attempts, noted_at)
         VALUES ($1, $2, 1, $3)
         ON CONFLICT (file_id) DO UPDATE SET attempts = unreadable_claim_files.attempts + 1,
             failure = excluded.failure, noted_at = excluded.noted_at"
    )
    .bind(file_id.to_string())
    .bind(failure)
    .bind(now())
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// A produced 837 file as written, with its claims by claim number (CLM01).
pub struct SentFile {
    pub content: String,
    pub claims: std::collections::HashMap<String, Uuid>,
}

pub async fn sent_file(tx: &mut Tx, file_id: Uuid) -> StoreResult<Option<SentFile>> {
    let row: Option<(String, String)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT content, claim_ids FROM claim_files WHERE id = $1"
    )
    .bind(file_id.to_string())
    .fetch_optional(conn)
    .await)?;
    let Some((content, claim_ids)) = row else {
        return Ok(None);
    };
    let claim_ids: Vec<String> = serde_json::from_str(&claim_ids).map_err(corrupt)?;
    let numbers: Vec<(String, String)> = rows_for(
        tx,
        "SELECT id, claim_number FROM claims WHERE id IN ({ids})",
        &claim_ids,
    )
    .await?;
    let claims = numbers
        .into_iter()
        .map(|(id, number)| Ok((number, uuid(&id)?)))
        .collect::<StoreResult<_>>()?;
    Ok(Some(SentFile { content, claims }))
}

/// The first answer given to an idempotency key, if it is younger than `since`.
pub struct KeptAnswer {
    pub request: String,
    pub status_code: u16,
    pub response: String,
}

pub async fn kept_answer(
    tx: &mut Tx,
    user: Uuid,
    operation: &str,
    key: &str,
    since: DateTime<Utc>,
) -> StoreResult<Option<KeptAnswer>> {
    let row: Option<(String, i32, String)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT request, status_code, response FROM idempotency_keys
         WHERE user_id = $1 AND operation = $2 AND idempotency_key = $3 AND created_at >= $4"
    )
    .bind(user.to_string())
    .bind(operation)
    .bind(key)
    .bind(since)
    .fetch_optional(conn)
    .await)?;
    row.map(|(request, status, response)| {
        Ok(KeptAnswer {
            request,
            status_code: u16::try_from(status).map_err(corrupt)?,
            response,
        })
    })
    .transpose()
}

/// Keeps the answer to a key; an expired answer under the same key is replaced.
pub async fn keep_answer(
    tx: &mut Tx,
    user: Uuid,
    operation: &str,
    key: &str,
    answer: &KeptAnswer,
) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO idempotency_keys (user_id, operation, idempotency_key, request,
            status_code, response, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id, operation, idempotency_key) DO UPDATE SET
            request = excluded.request, status_code = excluded.status_code,
            response = excluded.response, created_at = excluded.created_at"
    )
    .bind(user.to_string())
    .bind(operation)
    .bind(key)
    .bind(&answer.request)
    .bind(i32::from(answer.status_code))
    .bind(&answer.response)
    .bind(now())
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Clients with attendance in the range (both ends included; no start: from the beginning).
pub async fn clients_attending(
    tx: &mut Tx,
    from: Option<NaiveDate>,
    through: NaiveDate,
) -> StoreResult<Vec<Uuid>> {
    // No start: every stored day (attendance dates are never before 1900).
    let from = from
        .or_else(|| NaiveDate::from_ymd_opt(1900, 1, 1))
        .unwrap_or(through);
    let ids: Vec<String> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
        "SELECT DISTINCT client_id FROM attendance WHERE service_date >= $1 AND service_date <= $2"
    )
    .bind(from)
    .bind(through)
    .fetch_all(conn)
    .await
    })?;
    ids.iter().map(|id| uuid(id)).collect()
}

/// An attended day as claim generation needs it: no source or timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingDay {
    pub id: Uuid,
    pub client_id: Uuid,
    pub date: NaiveDate,
    pub level_of_care: LevelOfCare,
    pub minutes: u32,
    /// The live claim the day is on.
    pub claim_id: Option<Uuid>,
    /// Its services (catalog codes are billed line by line for per-service payers).
    pub services: Vec<Service>,
}

/// An attended day as [`billing_days`] packs it: id, date, level, minutes, live claim,
/// services (the stored JSON text).
#[derive(serde::Deserialize)]
struct PackedDay<'a>(
    Uuid,
    NaiveDate,
    #[serde(borrow)] Cow<'a, str>,
    i64,
    Option<Uuid>,
    #[serde(borrow)] Cow<'a, str>,
);

/// A day's services from their stored JSON (names, and codes with units since issue 17).
fn services_of(text: &str) -> StoreResult<Vec<Service>> {
    if text == "[]" {
        return Ok(Vec::new());
    }
    let raw: Vec<ServiceInput> = serde_json::from_str(text).map_err(corrupt)?;
    raw.into_iter()
        .map(|s| Service::parse(s).map_err(corrupt))
        .collect()
}

/// Every attended day of these clients (their whole history: authorizations count days in
/// date order), with only what billing needs, by client and date. One row per client, its days
/// packed as JSON, as [`lines_of`] does for the same reason.
pub async fn billing_days(tx: &mut Tx, client_ids: &[Uuid]) -> StoreResult<Vec<BillingDay>> {
    const FIELDS: &str = "id, service_date, level_of_care, minutes, \
        (SELECT l.claim_id FROM claim_lines l \
            WHERE l.attendance_id = attendance.id AND l.live AND l.day_head), \
        services";
    let sql = packed_sql(tx, "attendance", "client_id", FIELDS, FIELDS);
    let mut days = Vec::new();
    for_each_text_pair(tx, &sql, &texts(client_ids), |client, packed| {
        let client_id = uuid(client)?;
        let packed: Vec<PackedDay> = serde_json::from_str(packed).map_err(corrupt)?;
        if days.is_empty() {
            // Room for every client having as many days as the first (up to a million), so
            // that 100,000 days are not grown by doubling, which touched twice their memory.
            days.reserve((packed.len() * client_ids.len()).min(1_000_000));
        }
        for PackedDay(id, date, level, minutes, claim_id, services) in packed {
            days.push(BillingDay {
                id,
                client_id,
                date,
                level_of_care: LevelOfCare::parse(&level).map_err(corrupt)?,
                minutes: u32::try_from(minutes).map_err(corrupt)?,
                claim_id,
                services: services_of(&services)?,
            });
        }
        Ok(())
    })
    .await?;
    // A client has one day per date (UNIQUE), so the unstable sort, which needs no buffer,
    // orders them the same.
    days.sort_unstable_by_key(|d| (d.client_id, d.date));
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: u32, day: Uuid, service_index: Option<u32>) -> LineRecord {
        LineRecord {
            line_number: number,
            line_control_number: String::new(),
            attendance_id: day,
            service_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            program: Program::MentalHealth,
            revenue_code: "0905".into(),
            hcpcs: None,
            modifiers: Vec::new(),
            units: 1,
            charge: Money::from_minor_units(33_333).unwrap(),
            expected: None,
            live: true,
            service_index,
        }
    }

    /// Every per-day line heads its day; of a per-service claim's lines of one day, only the
    /// first does, wherever the day's other lines fall on the claim.
    #[test]
    fn a_day_has_one_head_line_on_a_claim() {
        let (monday, tuesday) = (Uuid::now_v7(), Uuid::now_v7());
        let per_day = [line(1, monday, None), line(2, tuesday, None)];
        assert_eq!(day_heads(&per_day), [true, true]);
        let per_service = [
            line(1, monday, Some(0)),
            line(2, monday, Some(1)),
            line(3, tuesday, Some(0)),
            line(4, monday, Some(2)),
            line(5, tuesday, Some(1)),
        ];
        assert_eq!(day_heads(&per_service), [true, false, true, false, false]);
    }
}
