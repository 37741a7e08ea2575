//! Verification batches and their items.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::ids::{BatchId, ClientId, CoverageId, VerificationId};

use super::{now, with_tx, Db, StoreError, StoreResult, Tx};

#[derive(Debug, Clone)]
pub struct NewItem {
    pub client_id: ClientId,
    pub coverage_id: CoverageId,
    pub levels_of_care: String,
    pub program: String,
    pub service_date: NaiveDate,
    pub force: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Item {
    #[serde(skip)]
    pub id: String,
    #[serde(skip)]
    pub batch_id: BatchId,
    pub seq: i64,
    pub client_id: ClientId,
    pub coverage_id: CoverageId,
    pub levels_of_care: Vec<String>,
    pub program: String,
    pub service_date: NaiveDate,
    #[serde(skip)]
    pub force: bool,
    #[serde(skip)]
    pub requested_by: String,
    pub status: String,
    pub verification_id: Option<VerificationId>,
    pub error: Option<String>,
    /// The verification's own outcome (verified, inactive, rejected, payer_error).
    pub outcome: Option<String>,
    /// When the item first waited for its payer's circuit to close (kept once it resumes).
    pub waiting_since: Option<DateTime<Utc>>,
    /// The payer of its coverage; `None` when the coverage is not the client's (or is gone).
    #[serde(skip)]
    pub payer_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Batch {
    pub id: BatchId,
    pub requested_by: String,
    pub total: i64,
    pub pending: i64,
    pub running: i64,
    pub waiting: i64,
    pub done: i64,
    pub failed: i64,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    tx: &mut Tx,
    id: BatchId,
    requested_by: &str,
    items: &[NewItem],
) -> StoreResult<()> {
    let at = now();
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    with_tx!(tx, |conn| {
        sqlx::query(
        "INSERT INTO verification_batches (id, requested_by, total, created_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(id)
    .bind(requested_by)
    .bind(total)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    for (seq, item) in items.iter().enumerate() {
        with_tx!(tx, |conn| sqlx::query(
            "INSERT INTO verification_batch_items (id, batch_id, seq, client_id, coverage_id,
                levels_of_care, program, service_date, force, status, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)"
        )
        .bind(Uuid::now_v7().to_string())
        .bind(id)
        .bind(i64::try_from(seq + 1).unwrap_or(i64::MAX))
        .bind(item.client_id)
        .bind(item.coverage_id)
        .bind(&item.levels_of_care)
        .bind(&item.program)
        .bind(item.service_date)
        .bind(item.force)
        .bind(at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: String,
    batch_id: BatchId,
    seq: i64,
    client_id: ClientId,
    coverage_id: CoverageId,
    levels_of_care: String,
    program: String,
    service_date: NaiveDate,
    force: bool,
    requested_by: String,
    status: String,
    verification_id: Option<VerificationId>,
    error: Option<String>,
    outcome: Option<String>,
    waiting_since: Option<DateTime<Utc>>,
    payer_id: Option<String>,
}

impl From<ItemRow> for Item {
    fn from(r: ItemRow) -> Item {
        Item {
            id: r.id,
            batch_id: r.batch_id,
            seq: r.seq,
            client_id: r.client_id,
            coverage_id: r.coverage_id,
            levels_of_care: r.levels_of_care.split(',').map(str::to_string).collect(),
            program: r.program,
            service_date: r.service_date,
            force: r.force,
            requested_by: r.requested_by,
            status: r.status,
            verification_id: r.verification_id,
            error: r.error,
            outcome: r.outcome,
            waiting_since: r.waiting_since,
            payer_id: r.payer_id,
        }
    }
}

const ITEM_COLUMNS: &str = "i.id, i.batch_id, i.seq, i.client_id, i.coverage_id, \
    i.levels_of_care, i.program, i.service_date, i.force, b.requested_by, i.status, \
    i.verification_id, i.error, v.status AS outcome, i.waiting_since, c.payer_id";

/// Items with their batch, verification and payer (through the client's coverage).
const ITEMS: &str = "verification_batch_items i
    JOIN verification_batches b ON b.id = i.batch_id
    LEFT JOIN verifications v ON v.id = i.verification_id
    LEFT JOIN coverages c ON c.id = i.coverage_id AND c.client_id = i.client_id";

/// The payer of the item being updated, for statements on `verification_batch_items` itself.
const PAYER_OF_ITEM: &str = "(SELECT c.payer_id FROM coverages c
    WHERE c.id = verification_batch_items.coverage_id
      AND c.client_id = verification_batch_items.client_id)";

/// Up to `limit` pending items, oldest batch and lowest position first.
pub async fn pending(tx: &mut Tx, limit: i64) -> StoreResult<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEMS}
         WHERE i.status = 'pending' ORDER BY i.batch_id, i.seq LIMIT $1"
    );
    let rows: Vec<ItemRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(limit)
        .fetch_all(conn)
        .await)?;
    Ok(rows.into_iter().map(Item::from).collect())
}

/// Who holds a running item, and until when (see migration 0021).
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub until: DateTime<Utc>,
}

/// Claims a pending item for this worker, leased to it, and fixes the id its verification will
/// have. `false` when another worker claimed it first.
pub async fn claim(
    tx: &mut Tx,
    item_id: &str,
    verification_id: VerificationId,
    lease: Lease<'_>,
) -> StoreResult<bool> {
    claim_from(tx, "pending", item_id, verification_id, lease).await
}

/// Claims a waiting item as the probe of its payer's circuit (see `crate::services::batch`), as
/// [`claim`] does a pending one. `false` when it no longer waits.
pub async fn claim_waiting(
    tx: &mut Tx,
    item_id: &str,
    verification_id: VerificationId,
    lease: Lease<'_>,
) -> StoreResult<bool> {
    claim_from(tx, "waiting", item_id, verification_id, lease).await
}

async fn claim_from(
    tx: &mut Tx,
    status: &str,
    item_id: &str,
    verification_id: VerificationId,
    lease: Lease<'_>,
) -> StoreResult<bool> {
    let claimed = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE verification_batch_items SET status = 'running', verification_id = $2,
                updated_at = $3, lease_owner = $4, lease_until = $5
             WHERE id = $1 AND status = $6",
        )
        .bind(item_id)
        .bind(verification_id)
        .bind(now())
        .bind(lease.owner)
        .bind(lease.until)
        .bind(status)
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(claimed == 1)
}

/// Sets a pending item waiting for its payer's circuit to close, unasked. `false` when it is no
/// longer pending (another worker claimed it).
pub async fn wait(tx: &mut Tx, item_id: &str, at: DateTime<Utc>) -> StoreResult<bool> {
    to_waiting(tx, item_id, at, "pending", None).await
}

/// Sets a running item `owner` holds waiting: its verification found the payer's circuit open.
/// The item lets go of that verification (which stays on record as it is): the one that
/// answers the item is asked once the circuit closes. `false` when `owner`'s lease lapsed and
/// the item was settled without it.
pub async fn wait_held(
    tx: &mut Tx,
    item_id: &str,
    at: DateTime<Utc>,
    owner: &str,
) -> StoreResult<bool> {
    to_waiting(tx, item_id, at, "running", Some(owner)).await
}

async fn to_waiting(
    tx: &mut Tx,
    item_id: &str,
    at: DateTime<Utc>,
    status: &str,
    owner: Option<&str>,
) -> StoreResult<bool> {
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE verification_batch_items SET status = 'waiting', verification_id = NULL,
            waiting_since = COALESCE(waiting_since, $2), updated_at = $2, lease_owner = NULL,
            lease_until = NULL
         WHERE id = $1 AND status = $3 AND ($4 IS NULL OR lease_owner = $4)"
    )
    .bind(item_id)
    .bind(at)
    .bind(status)
    .bind(owner)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// The payers items wait for, each once; `None` for items whose coverage is not (or no longer)
/// the client's, which no circuit holds back.
pub async fn waiting_payers(tx: &mut Tx) -> StoreResult<Vec<Option<String>>> {
    let rows: Vec<(Option<String>,)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT DISTINCT c.payer_id FROM verification_batch_items i
         LEFT JOIN coverages c ON c.id = i.coverage_id AND c.client_id = i.client_id
         WHERE i.status = 'waiting'"
    )
    .fetch_all(conn)
    .await)?;
    Ok(rows.into_iter().map(|(payer,)| payer).collect())
}

/// The item that has waited longest for `payer_id` (the next probe), if any.
pub async fn first_waiting(tx: &mut Tx, payer_id: &str) -> StoreResult<Option<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEMS}
         WHERE i.status = 'waiting' AND c.payer_id = $1
         ORDER BY i.waiting_since, i.batch_id, i.seq LIMIT 1"
    );
    let row: Option<ItemRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(payer_id)
        .fetch_optional(conn)
        .await)?;
    Ok(row.map(Item::from))
}

/// Puts the items waiting for `payer_id` (`None`: for no payer) back to pending, keeping when
/// they first waited; returns how many.
pub async fn resume(tx: &mut Tx, payer_id: Option<&str>, at: DateTime<Utc>) -> StoreResult<u64> {
    let sql = format!(
        "UPDATE verification_batch_items SET status = 'pending', updated_at = $2
         WHERE status = 'waiting' AND COALESCE({PAYER_OF_ITEM}, '') = COALESCE($1, '')"
    );
    Ok(with_tx!(tx, |conn| sqlx::query(&sql)
        .bind(payer_id)
        .bind(at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?)
}

/// Fails the items that have waited for `payer_id` since before `waited_since`, with `reason`
/// as their error; returns the batches they belong to (each once), for closing.
pub async fn expire(
    tx: &mut Tx,
    payer_id: &str,
    waited_since: DateTime<Utc>,
    reason: &str,
    at: DateTime<Utc>,
) -> StoreResult<Vec<BatchId>> {
    let sql = format!(
        "UPDATE verification_batch_items SET status = 'failed', error = $3, updated_at = $4
         WHERE status = 'waiting' AND waiting_since < $2 AND {PAYER_OF_ITEM} = $1
         RETURNING batch_id"
    );
    let rows: Vec<(BatchId,)> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(payer_id)
        .bind(waited_since)
        .bind(reason)
        .bind(at)
        .fetch_all(conn)
        .await)?;
    let mut batches: Vec<BatchId> = rows.into_iter().map(|(batch,)| batch).collect();
    batches.sort_unstable();
    batches.dedup();
    Ok(batches)
}

/// Extends every lease `lease.owner` holds on a running item to `lease.until`; returns how many.
pub async fn renew(tx: &mut Tx, lease: Lease<'_>) -> StoreResult<u64> {
    Ok(with_tx!(tx, |conn| sqlx::query(
        "UPDATE verification_batch_items SET lease_until = $2
         WHERE lease_owner = $1 AND status = 'running'"
    )
    .bind(lease.owner)
    .bind(lease.until)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?)
}

/// Completes an item: with the verification that answers it (which may be an earlier, stored
/// one), or with the reason it could not be verified at all. With an `owner`, only while that
/// worker still holds the item: `false` when its lease lapsed and the item was settled or
/// taken by another worker, whose outcome stands.
pub async fn finish(
    tx: &mut Tx,
    item_id: &str,
    verification_id: Option<VerificationId>,
    error: Option<&str>,
    owner: Option<&str>,
) -> StoreResult<bool> {
    let status = if error.is_some() { "failed" } else { "done" };
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE verification_batch_items SET status = $2, error = $3, updated_at = $4,
            verification_id = COALESCE($5, verification_id), lease_owner = NULL,
            lease_until = NULL
         WHERE id = $1 AND ($6 IS NULL OR (lease_owner = $6 AND status = 'running'))"
    )
    .bind(item_id)
    .bind(status)
    .bind(error)
    .bind(now())
    .bind(verification_id)
    .bind(owner)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(done == 1)
}

/// Items left `running` by a worker whose lease lapsed before `at` (a process that stopped, or
/// lost its database): items another live worker holds are left alone, and so are waiting
/// items (nobody runs them). Each is settled from its verification: a finished one completes
/// the item as it is (never asked twice), unless it found its payer's circuit open — then the
/// item waits, as its worker would have set it; one that never finished is marked interrupted
/// and the item goes back to pending with no verification.
pub async fn recover(tx: &mut Tx, at: DateTime<Utc>) -> StoreResult<u64> {
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT i.id, i.verification_id, v.status, v.error_kind FROM verification_batch_items i
         LEFT JOIN verifications v ON v.id = i.verification_id
         WHERE i.status = 'running' AND (i.lease_until IS NULL OR i.lease_until < $1)"
    )
    .bind(at)
    .fetch_all(conn)
    .await)?;
    let mut recovered = 0;
    for (item_id, verification_id, status, error_kind) in rows {
        match (status.as_deref(), error_kind.as_deref()) {
            (Some("in_progress"), _) => {
                let verification_id = verification_id.unwrap_or_default();
                with_tx!(tx, |conn| {
                    sqlx::query(
                    "UPDATE verifications SET status = 'payer_error', error_kind = 'interrupted',
                        error_detail = 'the service stopped while the payer was being asked; the batch asked again',
                        finished_at = $2
                     WHERE id = $1"
                )
                .bind(&verification_id)
                .bind(now())
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
                })?;
                reset(tx, &item_id).await?;
            }
            (Some("payer_error"), Some(CIRCUIT_OPEN)) => {
                to_waiting(tx, &item_id, now(), "running", None).await?;
            }
            (Some(_), _) => {
                finish(tx, &item_id, None, None, None).await?;
            }
            (None, _) => reset(tx, &item_id).await?,
        }
        recovered += 1;
    }
    Ok(recovered)
}

/// The error kind of a verification that found its payer's circuit open and asked nothing more
/// (`PayerError::CircuitOpen`).
pub const CIRCUIT_OPEN: &str = "circuit_open";

async fn reset(tx: &mut Tx, item_id: &str) -> StoreResult<()> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE verification_batch_items SET status = 'pending', verification_id = NULL,
            updated_at = $2, lease_owner = NULL, lease_until = NULL
         WHERE id = $1",
        )
        .bind(item_id)
        .bind(now())
        .execute(conn)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Marks the batch finished once no item is pending, running or waiting.
pub async fn close_if_finished(tx: &mut Tx, batch_id: BatchId) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE verification_batches SET finished_at = $2
         WHERE id = $1 AND finished_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM verification_batch_items
            WHERE batch_id = $1 AND status IN ('pending', 'running', 'waiting'))"
    )
    .bind(batch_id)
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The states an item can be in (the CHECK of migration 0022).
pub const ITEM_STATES: [&str; 5] = ["pending", "running", "waiting", "done", "failed"];

/// How many items are in each state, every state of [`ITEM_STATES`] listed (zero when none is),
/// then any other state found. One statement, outside any transaction.
pub async fn count_by_state(db: &Db) -> StoreResult<Vec<(String, i64)>> {
    let mut tx = db.read_each().await?;
    let rows: Vec<(String, i64)> = with_tx!(&mut tx, |conn| sqlx::query_as(
        "SELECT status, COUNT(*) FROM verification_batch_items GROUP BY status"
    )
    .fetch_all(conn)
    .await)?;
    drop(tx);
    let mut counts: Vec<(String, i64)> = ITEM_STATES
        .iter()
        .map(|state| (state.to_string(), 0))
        .collect();
    for (state, n) in rows {
        match counts.iter_mut().find(|(s, _)| *s == state) {
            Some((_, count)) => *count = n,
            None => counts.push((state, n)),
        }
    }
    Ok(counts)
}

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: BatchId,
    requested_by: String,
    total: i64,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

pub async fn find(tx: &mut Tx, id: BatchId) -> StoreResult<Option<(Batch, Vec<Item>)>> {
    let row: Option<BatchRow> = with_tx!(tx, |conn| {
        sqlx::query_as(
        "SELECT id, requested_by, total, created_at, finished_at FROM verification_batches WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(conn)
    .await
    })?;
    let Some(row) = row else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEMS}
         WHERE i.batch_id = $1 ORDER BY i.seq"
    );
    let rows: Vec<ItemRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_all(conn)
        .await)?;
    let items: Vec<Item> = rows.into_iter().map(Item::from).collect();
    let count = |status: &str| {
        i64::try_from(items.iter().filter(|i| i.status == status).count()).unwrap_or(i64::MAX)
    };
    let batch = Batch {
        id: row.id,
        requested_by: row.requested_by,
        total: row.total,
        pending: count("pending"),
        running: count("running"),
        waiting: count("waiting"),
        done: count("done"),
        failed: count("failed"),
        created_at: row.created_at,
        finished_at: row.finished_at,
    };
    if batch.total != i64::try_from(items.len()).unwrap_or(i64::MAX) {
        return Err(StoreError::corrupt(
            "verification batch",
            "item count differs from total",
        ));
    }
    Ok(Some((batch, items)))
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: BatchId,
    requested_by: String,
    username: String,
    total: i64,
    pending: i64,
    running: i64,
    waiting: i64,
    done: i64,
    failed: i64,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl SummaryRow {
    fn split(self) -> (Batch, String) {
        let batch = Batch {
            id: self.id,
            requested_by: self.requested_by,
            total: self.total,
            pending: self.pending,
            running: self.running,
            waiting: self.waiting,
            done: self.done,
            failed: self.failed,
            created_at: self.created_at,
            finished_at: self.finished_at,
        };
        (batch, self.username)
    }
}

/// A batch's counts by state, with the username of who started it, from `verification_batches`
/// `b` joined to its items `i` and `users` `u` (grouped by the batch).
const SUMMARY: &str = "SELECT b.id, b.requested_by, u.username, b.total,
        SUM(CASE WHEN i.status = 'pending' THEN 1 ELSE 0 END) AS pending,
        SUM(CASE WHEN i.status = 'running' THEN 1 ELSE 0 END) AS running,
        SUM(CASE WHEN i.status = 'waiting' THEN 1 ELSE 0 END) AS waiting,
        SUM(CASE WHEN i.status = 'done' THEN 1 ELSE 0 END) AS done,
        SUM(CASE WHEN i.status = 'failed' THEN 1 ELSE 0 END) AS failed,
        b.created_at, b.finished_at
    FROM verification_batches b
    JOIN users u ON u.id = b.requested_by
    JOIN verification_batch_items i ON i.batch_id = b.id";

const SUMMARY_GROUP: &str =
    "GROUP BY b.id, b.requested_by, u.username, b.total, b.created_at, b.finished_at";

/// A batch's progress (its counts by state) and who started it, without its items: what a
/// progress bar polls, reading no client's record.
pub async fn summary(tx: &mut Tx, id: BatchId) -> StoreResult<Option<(Batch, String)>> {
    let sql = format!("{SUMMARY} WHERE b.id = $1 {SUMMARY_GROUP}");
    let row: Option<SummaryRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(row.map(SummaryRow::split))
}

/// The `limit` most recent batches, newest first, each with its progress and who started it.
pub async fn recent(tx: &mut Tx, limit: i64) -> StoreResult<Vec<(Batch, String)>> {
    let sql = format!(
        "{SUMMARY} WHERE b.id IN (SELECT id FROM verification_batches
                                  ORDER BY created_at DESC, id DESC LIMIT $1)
         {SUMMARY_GROUP} ORDER BY b.created_at DESC, b.id DESC"
    );
    let rows: Vec<SummaryRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(limit)
        .fetch_all(conn)
        .await)?;
    Ok(rows.into_iter().map(SummaryRow::split).collect())
}
