//! Attendance days (PHI: callers audit every access) and the facts a batch of rows is checked
//! against: which clients exist, their coverages, their stored days.
//!
//! Written in bulk: an import of tens of thousands of rows costs a handful of statements per
//! few hundred rows, not a round trip per row.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Tx};
use crate::domain::attendance::{AttendedDay, Minutes, Service, ServiceInput, StoredDay};
use crate::domain::billable::CoverageSpan;
use crate::domain::eligibility::LevelOfCare;
use crate::domain::payer::{BillingRules, BillingRulesInput};
use crate::domain::text::SafeText;

/// Rows per multi-row statement: 12 columns × 400 stays far below the bind limits of both
/// SQLite (32766) and PostgreSQL (65535).
pub(crate) const CHUNK: usize = 400;

/// An attended day as the API shows it (before the billable verdict is added).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceRecord {
    pub id: Uuid,
    pub client_id: Uuid,
    #[serde(flatten)]
    pub day: AttendedDay,
    /// The claim the day is billed on, if any; such a day cannot change.
    pub claim_id: Option<String>,
    pub recorded_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AttendanceRow {
    id: String,
    client_id: String,
    service_date: NaiveDate,
    level_of_care: String,
    minutes: i32,
    start_time: Option<String>,
    end_time: Option<String>,
    services: String,
    source: Option<String>,
    claim_id: Option<String>,
    recorded_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("attendance", detail)
}

fn uuid(raw: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw).map_err(corrupt)
}

fn time(raw: Option<String>) -> StoreResult<Option<NaiveTime>> {
    raw.map(|t| NaiveTime::parse_from_str(&t, "%H:%M").map_err(corrupt))
        .transpose()
}

impl AttendanceRow {
    fn parse(self) -> StoreResult<AttendanceRecord> {
        // Names (strings) and, since issue 17, catalog codes with units (objects); rows
        // written before hold names only.
        let services: Vec<ServiceInput> = serde_json::from_str(&self.services).map_err(corrupt)?;
        let day = AttendedDay {
            service_date: self.service_date,
            level_of_care: LevelOfCare::parse(&self.level_of_care).map_err(corrupt)?,
            minutes: Minutes::parse(i64::from(self.minutes)).map_err(corrupt)?,
            start_time: time(self.start_time)?,
            end_time: time(self.end_time)?,
            services: services
                .into_iter()
                .map(|s| Service::parse(s).map_err(corrupt))
                .collect::<StoreResult<_>>()?,
            source: self
                .source
                .map(|s| SafeText::parse(&s, 40).map_err(corrupt))
                .transpose()?,
        };
        Ok(AttendanceRecord {
            id: uuid(&self.id)?,
            client_id: uuid(&self.client_id)?,
            day,
            claim_id: self.claim_id,
            recorded_by: uuid(&self.recorded_by)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str = "id, client_id, service_date, level_of_care, minutes, start_time, end_time, \
    services, source, (SELECT l.claim_id FROM claim_lines l \
        WHERE l.attendance_id = attendance.id AND l.live AND l.day_head) AS claim_id, \
    recorded_by, created_at, updated_at";

/// `$from, $from+1, …` for `count` binds.
pub(crate) fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The placeholders of a statement whose only binds are these `count`, in order: `$1, …, $n`
/// on PostgreSQL, anonymous `?, …, ?` on SQLite. SQLite keeps `$n` as a *name*, found by a
/// linear search of the statement's names when it is parsed and again when each value is
/// bound, so a list of thousands cost time quadratic in its length (a fifth of an 837 file's
/// export, benches/claims.rs). Only for statements with no other binds: the driver numbers
/// anonymous values by their position among all of the statement's placeholders.
pub(crate) fn list_placeholders(tx: &Tx, count: usize) -> String {
    match tx {
        Tx::Sqlite(_) => anonymous(count),
        Tx::Postgres(_) => placeholders(1, count),
    }
}

/// `?, ?, …` for `count` binds (SQLite; see [`list_placeholders`]).
pub(crate) fn anonymous(count: usize) -> String {
    let mut text = String::with_capacity(count * 3);
    for i in 0..count {
        text.push_str(if i == 0 { "?" } else { ", ?" });
    }
    text
}

/// Serializes attendance writers. SQLite transactions already are (`BEGIN IMMEDIATE`); on
/// PostgreSQL two imports touching the same days would otherwise both see them free.
pub async fn lock_for_writing(tx: &mut Tx) -> StoreResult<()> {
    if let Tx::Postgres(transaction) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7431001)")
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// The rows `sql` selects for every id in `ids`, a chunk of ids at a time: `sql` holds `{ids}`
/// where the chunk's placeholders go (`… WHERE id IN ({ids})`).
pub(crate) async fn rows_for<R>(tx: &mut Tx, sql: &str, ids: &[String]) -> StoreResult<Vec<R>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let mut all = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = sql.replace("{ids}", &list_placeholders(tx, chunk.len()));
        let rows: Vec<R> = with_tx!(tx, |conn| {
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            query.fetch_all(conn).await
        })?;
        all.extend(rows);
    }
    Ok(all)
}

/// Like [`rows_for`] for a query selecting two text columns, but each row is handed to `each`
/// as it arrives, borrowed from the driver's row: packed rows of megabytes in all are neither
/// copied into strings nor held at once, and SQLite steps the next rows meanwhile.
pub(crate) async fn for_each_text_pair<F>(
    tx: &mut Tx,
    sql: &str,
    ids: &[String],
    mut each: F,
) -> StoreResult<()>
where
    F: FnMut(&str, &str) -> StoreResult<()>,
{
    use futures_util::TryStreamExt as _;
    use sqlx::Row as _;
    for chunk in ids.chunks(CHUNK) {
        let sql = sql.replace("{ids}", &list_placeholders(tx, chunk.len()));
        with_tx!(tx, |conn| {
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            let mut rows = query.fetch(conn);
            while let Some(row) = rows.try_next().await? {
                each(row.try_get(0)?, row.try_get(1)?)?;
            }
        });
    }
    Ok(())
}

pub(crate) fn texts(ids: &[Uuid]) -> Vec<String> {
    ids.iter().map(Uuid::to_string).collect()
}

/// Which of `ids` are clients.
pub async fn existing_clients(tx: &mut Tx, ids: &[Uuid]) -> StoreResult<HashSet<Uuid>> {
    let rows: Vec<(String,)> = rows_for(
        tx,
        "SELECT id FROM clients WHERE id IN ({ids})",
        &texts(ids),
    )
    .await?;
    rows.iter().map(|(id,)| uuid(id)).collect()
}

/// The clients with these EHR record numbers, by record number.
pub async fn clients_by_external_id(
    tx: &mut Tx,
    external_ids: &[&str],
) -> StoreResult<HashMap<String, Uuid>> {
    let ids: Vec<String> = external_ids.iter().map(|id| id.to_string()).collect();
    let rows: Vec<(String, String)> = rows_for(
        tx,
        "SELECT external_id, id FROM clients WHERE external_id IN ({ids})",
        &ids,
    )
    .await?;
    rows.into_iter()
        .map(|(external, id)| Ok((external, uuid(&id)?)))
        .collect()
}

#[derive(sqlx::FromRow)]
struct SpanRow {
    client_id: String,
    id: String,
    payer_id: String,
    payer_name: String,
    priority: String,
    effective_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    billing: Option<String>,
}

/// Every coverage of these clients with its payer's billing rules, by client.
pub async fn coverage_spans(
    tx: &mut Tx,
    client_ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, Vec<CoverageSpan>>> {
    let mut spans: HashMap<Uuid, Vec<CoverageSpan>> = HashMap::new();
    let rows: Vec<SpanRow> = rows_for(
        tx,
        "SELECT c.client_id, c.id, c.payer_id, p.name AS payer_name, c.priority, c.effective_date,
                c.end_date, p.billing
         FROM coverages c JOIN payers p ON p.id = c.payer_id
         WHERE c.client_id IN ({ids})",
        &texts(client_ids),
    )
    .await?;
    for row in rows {
        let rules = match row.billing {
            None => BillingRules::default(),
            Some(text) => serde_json::from_str::<BillingRulesInput>(&text)
                .map_err(corrupt)?
                .parse()
                .map_err(corrupt)?,
        };
        let rank = match row.priority.as_str() {
            "primary" => 1,
            "secondary" => 2,
            _ => 3,
        };
        spans
            .entry(uuid(&row.client_id)?)
            .or_default()
            .push(CoverageSpan {
                id: uuid(&row.id)?,
                payer_id: uuid(&row.payer_id)?,
                payer_name: row.payer_name,
                rank,
                effective_date: row.effective_date,
                end_date: row.end_date,
                rules,
            });
    }
    Ok(spans)
}

/// For each coverage of these clients, the levels of care its latest verification found not
/// covered (the payer marked the service type non-covered), with that verification's id.
pub async fn levels_not_covered(
    tx: &mut Tx,
    client_ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, (Uuid, Vec<LevelOfCare>)>> {
    let mut latest: HashMap<Uuid, (DateTime<Utc>, Uuid, Vec<LevelOfCare>)> = HashMap::new();
    let rows: Vec<(String, String, DateTime<Utc>, Option<String>)> = rows_for(
        tx,
        "SELECT coverage_id, id, started_at, summary FROM verifications
         WHERE status = 'verified' AND client_id IN ({ids})",
        &texts(client_ids),
    )
    .await?;
    for (coverage_id, id, started_at, summary) in rows {
        let coverage_id = uuid(&coverage_id)?;
        if latest
            .get(&coverage_id)
            .is_some_and(|(at, _, _)| *at >= started_at)
        {
            continue;
        }
        let levels: Vec<serde_json::Value> = summary
            .map(|s| serde_json::from_str(&s).map_err(corrupt))
            .transpose()?
            .unwrap_or_default();
        let not_covered = levels
            .iter()
            .filter(|level| level["service_covered"]["value"] == serde_json::json!(false))
            .filter_map(|level| level["level_of_care"].as_str())
            .filter_map(|level| LevelOfCare::parse(level).ok())
            .collect();
        latest.insert(coverage_id, (started_at, uuid(&id)?, not_covered));
    }
    Ok(latest
        .into_iter()
        .map(|(coverage, (_, verification, levels))| (coverage, (verification, levels)))
        .collect())
}

/// The stored days of these clients between `from` and `to` (inclusive), by client and date.
pub async fn stored_days(
    tx: &mut Tx,
    client_ids: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<HashMap<(Uuid, NaiveDate), StoredDay>> {
    let mut days = HashMap::new();
    for chunk in client_ids.chunks(CHUNK) {
        // The range's two binds come first, so SQLite's may be anonymous too.
        let (range, ids) = match tx {
            Tx::Sqlite(_) => (
                "service_date >= ? AND service_date <= ?",
                anonymous(chunk.len()),
            ),
            Tx::Postgres(_) => (
                "service_date >= $1 AND service_date <= $2",
                placeholders(3, chunk.len()),
            ),
        };
        let sql =
            format!("SELECT {COLUMNS} FROM attendance WHERE {range} AND client_id IN ({ids})");
        let rows: Vec<AttendanceRow> = with_tx!(tx, |conn| {
            let mut query = sqlx::query_as(&sql).bind(from).bind(to);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            query.fetch_all(conn).await
        })?;
        for row in rows {
            let record = row.parse()?;
            days.insert(
                (record.client_id, record.day.service_date),
                StoredDay {
                    id: record.id,
                    day: record.day,
                    claim_id: record.claim_id,
                },
            );
        }
    }
    Ok(days)
}

fn services_json(day: &AttendedDay) -> StoreResult<String> {
    // Names as strings, codes as `{"code", "units"}` objects: the wire form.
    serde_json::to_string(&day.services).map_err(corrupt)
}

fn hhmm(time: Option<NaiveTime>) -> Option<String> {
    time.map(|t| t.format("%H:%M").to_string())
}

/// A new day to store.
pub struct NewDay<'a> {
    pub id: Uuid,
    pub client_id: Uuid,
    pub day: &'a AttendedDay,
}

/// Rows per insert statement. The rows travel as one JSON document per statement, not as
/// bind parameters: binding costs grow faster than linearly with their number in the driver,
/// and one parameter per statement keeps a 100,000-row import to a few statements.
const INSERT_CHUNK: usize = 5_000;

/// Inserts new days (none of which may exist yet: callers decided that under the write lock).
pub async fn insert_days(tx: &mut Tx, days: &[NewDay<'_>], recorded_by: Uuid) -> StoreResult<()> {
    let at = now();
    let recorded_by = recorded_by.to_string();
    for chunk in days.chunks(INSERT_CHUNK) {
        let rows: Vec<serde_json::Value> = chunk
            .iter()
            .map(|new| {
                Ok(serde_json::json!({
                    "id": new.id.to_string(),
                    "client_id": new.client_id.to_string(),
                    "service_date": new.day.service_date.to_string(),
                    "level_of_care": new.day.level_of_care.as_str(),
                    "minutes": new.day.minutes.get(),
                    "start_time": hhmm(new.day.start_time),
                    "end_time": hhmm(new.day.end_time),
                    "services": services_json(new.day)?,
                    "source": new.day.source.as_ref().map(SafeText::as_str),
                }))
            })
            .collect::<StoreResult<_>>()?;
        let document = serde_json::Value::Array(rows).to_string();
        match tx {
            Tx::Sqlite(transaction) => {
                sqlx::query(
                    "INSERT INTO attendance (id, client_id, service_date, level_of_care, minutes,
                        start_time, end_time, services, source, recorded_by, created_at,
                        updated_at)
                     SELECT json_extract(value, '$.id'), json_extract(value, '$.client_id'),
                        json_extract(value, '$.service_date'),
                        json_extract(value, '$.level_of_care'), json_extract(value, '$.minutes'),
                        json_extract(value, '$.start_time'), json_extract(value, '$.end_time'),
                        json_extract(value, '$.services'), json_extract(value, '$.source'),
                        $2, $3, $3
                     FROM json_each($1)",
                )
                .bind(&document)
                .bind(&recorded_by)
                .bind(at)
                .execute(&mut **transaction)
                .await?;
            }
            Tx::Postgres(transaction) => {
                sqlx::query(
                    "INSERT INTO attendance (id, client_id, service_date, level_of_care, minutes,
                        start_time, end_time, services, source, recorded_by, created_at,
                        updated_at)
                     SELECT r.id, r.client_id, r.service_date, r.level_of_care, r.minutes,
                        r.start_time, r.end_time, r.services, r.source, $2, $3, $3
                     FROM jsonb_to_recordset($1::jsonb) AS r(id TEXT, client_id TEXT,
                        service_date DATE, level_of_care TEXT, minutes INTEGER, start_time TEXT,
                        end_time TEXT, services TEXT, source TEXT)",
                )
                .bind(&document)
                .bind(&recorded_by)
                .bind(at)
                .execute(&mut **transaction)
                .await?;
            }
        }
    }
    Ok(())
}

/// Overwrites stored days with new values (`replace`); days on a claim are never touched.
/// Like [`insert_days`], a chunk of rows travels as one JSON document.
pub async fn replace_days(
    tx: &mut Tx,
    days: &[(Uuid, &AttendedDay)],
    recorded_by: Uuid,
) -> StoreResult<()> {
    let at = now();
    let recorded_by = recorded_by.to_string();
    for chunk in days.chunks(INSERT_CHUNK) {
        let rows: Vec<serde_json::Value> = chunk
            .iter()
            .map(|(id, day)| {
                Ok(serde_json::json!({
                    "id": id.to_string(),
                    "level_of_care": day.level_of_care.as_str(),
                    "minutes": day.minutes.get(),
                    "start_time": hhmm(day.start_time),
                    "end_time": hhmm(day.end_time),
                    "services": services_json(day)?,
                    "source": day.source.as_ref().map(SafeText::as_str),
                }))
            })
            .collect::<StoreResult<_>>()?;
        let document = serde_json::Value::Array(rows).to_string();
        match tx {
            Tx::Sqlite(transaction) => {
                sqlx::query(
                    "UPDATE attendance SET level_of_care = json_extract(r.value, '$.level_of_care'),
                        minutes = json_extract(r.value, '$.minutes'),
                        start_time = json_extract(r.value, '$.start_time'),
                        end_time = json_extract(r.value, '$.end_time'),
                        services = json_extract(r.value, '$.services'),
                        source = json_extract(r.value, '$.source'),
                        recorded_by = $2, updated_at = $3
                     FROM json_each($1) AS r
                     WHERE attendance.id = json_extract(r.value, '$.id')
                       AND NOT EXISTS (SELECT 1 FROM claim_lines l
                           WHERE l.attendance_id = attendance.id AND l.live)",
                )
                .bind(&document)
                .bind(&recorded_by)
                .bind(at)
                .execute(&mut **transaction)
                .await?;
            }
            Tx::Postgres(transaction) => {
                sqlx::query(
                    "UPDATE attendance SET level_of_care = r.level_of_care, minutes = r.minutes,
                        start_time = r.start_time, end_time = r.end_time, services = r.services,
                        source = r.source, recorded_by = $2, updated_at = $3
                     FROM jsonb_to_recordset($1::jsonb) AS r(id TEXT, level_of_care TEXT,
                        minutes INTEGER, start_time TEXT, end_time TEXT, services TEXT,
                        source TEXT)
                     WHERE attendance.id = r.id AND NOT EXISTS (SELECT 1 FROM claim_lines l
                         WHERE l.attendance_id = attendance.id AND l.live)",
                )
                .bind(&document)
                .bind(&recorded_by)
                .bind(at)
                .execute(&mut **transaction)
                .await?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AttendanceFilter {
    pub client_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub level_of_care: Option<LevelOfCare>,
}

/// Days matching every given criterion, by date then client.
pub async fn list(
    tx: &mut Tx,
    filter: &AttendanceFilter,
    page: Page,
) -> StoreResult<(Vec<AttendanceRecord>, i64)> {
    let conditions = "WHERE ($1 IS NULL OR client_id = $1) AND ($2 IS NULL OR service_date >= $2)
        AND ($3 IS NULL OR service_date <= $3) AND ($4 IS NULL OR level_of_care = $4)";
    let client = filter.client_id.map(|id| id.to_string());
    let level = filter.level_of_care.map(LevelOfCare::as_str);
    let (rows, total) = page_of!(
        tx,
        AttendanceRow,
        COLUMNS,
        format!("FROM attendance {conditions}"),
        "service_date, client_id",
        page,
        [&client, filter.from, filter.to, level]
    );
    let records = rows
        .into_iter()
        .map(AttendanceRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((records, total))
}

/// Every day of these clients, by date (what the billable verdict and the ledger are derived
/// from: a day's verdict depends on the days before it).
pub async fn for_clients(tx: &mut Tx, client_ids: &[Uuid]) -> StoreResult<Vec<AttendanceRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM attendance WHERE client_id IN ({{ids}})");
    let rows: Vec<AttendanceRow> = rows_for(tx, &sql, &texts(client_ids)).await?;
    let mut records = rows
        .into_iter()
        .map(AttendanceRow::parse)
        .collect::<StoreResult<Vec<_>>>()?;
    // By date across chunks, as each chunk's query cannot order the whole.
    records.sort_by_key(|r| (r.day.service_date, r.client_id));
    Ok(records)
}

/// Clients with attendance on or after `from`.
pub async fn clients_attending_since(tx: &mut Tx, from: NaiveDate) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<String> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT DISTINCT client_id FROM attendance WHERE service_date >= $1"
    )
    .bind(from)
    .fetch_all(conn)
    .await)?;
    ids.iter().map(|id| uuid(id)).collect()
}

/// "Last, First" of these clients, for lists staff act on.
pub async fn client_names(tx: &mut Tx, ids: &[Uuid]) -> StoreResult<HashMap<Uuid, String>> {
    let rows: Vec<(String, String, String)> = rows_for(
        tx,
        "SELECT id, last_name, first_name FROM clients WHERE id IN ({ids})",
        &texts(ids),
    )
    .await?;
    rows.into_iter()
        .map(|(id, last, first)| Ok((uuid(&id)?, format!("{last}, {first}"))))
        .collect()
}
