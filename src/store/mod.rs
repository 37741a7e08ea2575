//! Persistence: the only module that knows SQL.
//!
//! One query set serves SQLite (the embedded default) and PostgreSQL (production). [`Db`] is an
//! enum over the two concrete pools, picked by the URL scheme; [`with_tx!`] runs the same SQL
//! text (with `$1` placeholders, which SQLite accepts) on whichever backend the transaction
//! belongs to. Handlers own the transaction: they `begin`, call store functions with `&mut Tx`,
//! and `commit`, so a write and its audit event land together or not at all.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, SqliteConnection, SqlitePool, Transaction};

use read_pool::{ReadConn, ReadPool};
use writer::{WriteTx, Writer};

pub mod acknowledgments;
pub mod attendance;
pub mod audit;
pub mod audit_queue;
pub mod authorizations;
pub mod batches;
pub mod claims;
pub mod clients;
pub mod coverages;
pub mod day_rates;
pub mod episodes;
pub mod estimates;
pub mod fee_schedules;
pub mod ids;
pub mod login_throttle;
pub mod organization;
pub mod payers;
pub mod read_pool;
pub mod remittance_reports;
pub mod remittances;
mod rows;
pub mod service_codes;
pub mod users;
pub mod verifications;
pub mod web_sessions;
pub mod web_submissions;
pub mod writer;

/// The migrations both backends run, in `migrations/`.
static SHARED: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
/// Where the backends need different SQL for one change (SQLite cannot alter a CHECK
/// constraint: it rebuilds the table), each has its own file under the same version number in
/// `migrations/sqlite/` and `migrations/postgres/`. A database only ever runs one backend's set,
/// so the checksums sqlx keeps stay consistent.
static SQLITE_ONLY: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_ONLY: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The shared migrations and one backend's own, in version order.
#[derive(Debug)]
struct Migrations(Vec<sqlx::migrate::Migration>);

impl Migrations {
    fn of(own: &sqlx::migrate::Migrator) -> Migrations {
        let mut all: Vec<_> = SHARED.iter().chain(own.iter()).cloned().collect();
        all.sort_by_key(|m| m.version);
        Migrations(all)
    }
}

impl<'s> sqlx::migrate::MigrationSource<'s> for Migrations {
    fn resolve(
        self,
    ) -> futures_util::future::BoxFuture<
        's,
        Result<Vec<sqlx::migrate::Migration>, sqlx::error::BoxDynError>,
    > {
        Box::pin(async move { Ok(self.0) })
    }
}

/// Runs one expression on the concrete connection of a [`Tx`]; `$conn` is bound to a
/// `&mut SqliteConnection` or `&mut PgConnection`, so the same query text serves both.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::store::Tx::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}
pub use with_tx;

/// One page of a listing and how many rows it has in all, as `(Vec<Row>, i64)`: `SELECT
/// {columns} {from} ORDER BY {order} LIMIT … OFFSET …` and `SELECT COUNT(*) {from}`, where
/// `from` is the `FROM … WHERE …` both share and `values` are bound to both as `$1`, `$2`, …
/// (the page's limit and offset follow them). Written once so the two statements cannot drift
/// apart — a value bound to one and not the other. Each value expression is evaluated twice:
/// pass plain fields or references.
macro_rules! page_of {
    ($tx:expr, $row:ty, $columns:expr, $from:expr, $order:expr, $page:expr,
     [$($value:expr),* $(,)?]) => {{
        let from = $from;
        let values = <[&str]>::len(&[$(stringify!($value)),*]);
        let sql = format!(
            "SELECT {} {from} ORDER BY {} LIMIT ${} OFFSET ${}",
            $columns,
            $order,
            values + 1,
            values + 2
        );
        let rows: Vec<$row> = $crate::with_tx!($tx, |conn| sqlx::query_as(&sql)
            $(.bind($value))*
            .bind($page.limit)
            .bind($page.offset)
            .fetch_all(conn)
            .await)?;
        let count = format!("SELECT COUNT(*) {from}");
        let total: i64 = $crate::with_tx!($tx, |conn| sqlx::query_scalar(&count)
            $(.bind($value))*
            .fetch_one(conn)
            .await)?;
        (rows, total)
    }};
}
pub(crate) use page_of;

/// Runs one statement on the pool of a [`Db`], outside any explicit transaction and outside
/// the writer and the read pool: for tests and tools that reach into the database directly.
/// The service reads through [`Db::read_each`] and [`Db::begin_read`], and writes through
/// [`Db::begin`].
#[macro_export]
macro_rules! with_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite(sqlite) => {
                let $pool = sqlite.pool();
                $body
            }
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub use with_db;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A stored row that no longer parses into its domain type: reported, never a panic.
    #[error("a stored {entity} row does not parse: {detail}")]
    Corrupt {
        entity: &'static str,
        detail: String,
    },
}

impl StoreError {
    pub fn corrupt(entity: &'static str, detail: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            entity,
            detail: detail.to_string(),
        }
    }

    /// True for a UNIQUE violation, recognised by kind (SQLite names no constraint).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(error) => error
                .as_database_error()
                .is_some_and(|db| db.is_unique_violation()),
            StoreError::Corrupt { .. } => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PgPool),
}

/// A SQLite database: read connections (see `read_pool`) and the one [`Writer`] for writes
/// (see `writer`).
#[derive(Clone, Debug)]
pub struct SqliteDb {
    /// Where the read connections come from; also used as it is by the few statements that are
    /// neither a request's read nor a write (see [`MAINTENANCE_CONNECTIONS`]).
    pool: SqlitePool,
    reads: ReadPool,
    writer: std::sync::Arc<Writer>,
    /// The database's page size in bytes, read when it was opened.
    page_size: u64,
}

/// Connections of a SQLite database's pool beyond the reads' own, for the statements run on
/// the pool itself (migrations, checkpoints, `/ready`): they never wait for every read to
/// end.
const MAINTENANCE_CONNECTIONS: u32 = 2;

/// How long a SQLite statement waits for a lock another connection holds (another process's
/// write, or a checkpoint's).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The write-ahead log's bound: past it the background checkpoint restarts the log (see
/// [`Db::checkpoint_within`]), and a log that restarts is cut back to it. The background
/// checkpoint runs every second, so the file can pass the bound by a second's writes.
pub const WAL_LIMIT_BYTES: u64 = 256 * 1024 * 1024;
/// Passive checkpoints before a restart, at most, to shorten what the restart copies.
const MAX_TAIL_ROUNDS: usize = 4;
/// A tail short enough to copy while writes wait (frames written during the last passive one).
const SHORT_TAIL_FRAMES: i64 = 256;

impl SqliteDb {
    /// The database's sqlx pool. (Statements run on it outside a transaction; requests read
    /// through [`Db::read_each`] and [`Db::begin_read`], and write through [`Db::begin`].)
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    async fn open(options: SqliteConnectOptions, max_connections: u32) -> anyhow::Result<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections + MAINTENANCE_CONNECTIONS)
            // A local file needs no liveness check: the check was a statement, so a hand-off to
            // the connection's thread and back, before every use.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let writer = Writer::open(&options).await?;
        // Fixed once the file exists; a new file has the default, which nothing here changes.
        let (page_size,): (i64,) = sqlx::query_as("PRAGMA page_size").fetch_one(&pool).await?;
        Ok(SqliteDb {
            reads: ReadPool::new(pool.clone(), max_connections),
            pool,
            writer: std::sync::Arc::new(writer),
            page_size: u64::try_from(page_size).unwrap_or(4096),
        })
    }
}

/// A pool's connections at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSizes {
    pub idle: u32,
    pub in_use: u32,
    pub max: u32,
}

pub enum Tx {
    Sqlite(SqliteTx),
    Postgres(PgTx),
}

/// A PostgreSQL transaction, or a pooled connection whose statements each commit on their own
/// (see [`Db::read_each`]). Both are a connection to the queries.
pub enum PgTx {
    Transaction(Transaction<'static, Postgres>),
    Each(sqlx::pool::PoolConnection<Postgres>),
}

impl std::ops::Deref for PgTx {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &sqlx::PgConnection {
        match self {
            PgTx::Transaction(tx) => tx,
            PgTx::Each(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for PgTx {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        match self {
            PgTx::Transaction(tx) => &mut *tx,
            PgTx::Each(conn) => &mut *conn,
        }
    }
}

/// A SQLite transaction: a deferred one on a read connection, or a writer's turn on the one
/// writing connection. Both are a connection to the queries.
pub enum SqliteTx {
    /// A read connection inside a deferred transaction (see [`Db::begin_read`]).
    Read(ReadConn),
    /// A read connection without a transaction (see [`Db::read_each`]).
    Each(ReadConn),
    Write(WriteTx),
}

impl std::ops::Deref for SqliteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            SqliteTx::Read(tx) => tx,
            SqliteTx::Each(conn) => conn,
            SqliteTx::Write(tx) => tx,
        }
    }
}

impl std::ops::DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            SqliteTx::Read(tx) => &mut *tx,
            SqliteTx::Each(conn) => &mut *conn,
            SqliteTx::Write(tx) => &mut *tx,
        }
    }
}

impl Db {
    /// Opens a pool for `url` (`sqlite://…` or `postgres://…`). A SQLite file is created when it
    /// does not exist.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT)
                // In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the
                // process loses nothing and the file never corrupts; only a power loss can undo
                // the last commits. FULL made every write wait for a disk flush, and writers
                // queue behind each other on SQLite (see README, Databases).
                .synchronous(SqliteSynchronous::Normal)
                // Commits do not checkpoint: the server checkpoints in the background
                // (`checkpoint`). A commit that crossed the 1,000-page threshold copied the whole
                // log into the database before answering (about 65 ms after a generation of
                // 100,000 claim lines, benches/claims.rs). A command that exits checkpoints when
                // its last connection closes.
                .pragma("wal_autocheckpoint", "0")
                // Statement journals (each request's savepoint) and the temporary B-trees of
                // sorts and `IN` lists stay in memory instead of spilling to temporary files
                // past 64 KiB: the claims bench, alternated, 0.952 s → 0.918 s median, and its
                // spread 0.91–1.01 s → 0.91–0.94 s (benches/claims.rs).
                .pragma("temp_store", "memory")
                // A log that restarts after a burst is cut back to the bound instead of keeping
                // its largest size on disk.
                .pragma("journal_size_limit", WAL_LIMIT_BYTES.to_string());
            Ok(Db::Sqlite(SqliteDb::open(options, max_connections).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            Db::connect_postgres(options, max_connections).await
        } else {
            anyhow::bail!("the database URL must start with sqlite: or postgres:")
        }
    }

    pub async fn connect_postgres(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> anyhow::Result<Db> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Db::Postgres(pool))
    }

    /// A new pool on the same database, as a restarted process would open. (Connections are
    /// bound to the runtime that opened them; a pool outlives an actix server only this way.)
    pub async fn reopen(&self, max_connections: u32) -> anyhow::Result<Db> {
        Ok(match self {
            Db::Sqlite(sqlite) => Db::Sqlite(
                SqliteDb::open((*sqlite.pool.connect_options()).clone(), max_connections).await?,
            ),
            Db::Postgres(pool) => {
                Db::connect_postgres((*pool.connect_options()).clone(), max_connections).await?
            }
        })
    }

    /// SQLite: copies the write-ahead log into the database file as far as no reader still
    /// needs it, without waiting for or blocking anyone (`PASSIVE`); past [`WAL_LIMIT_BYTES`]
    /// the log is also restarted (see [`Writer::restart_log`]). PostgreSQL: nothing to do.
    pub async fn checkpoint(&self) -> StoreResult<()> {
        self.checkpoint_within(WAL_LIMIT_BYTES).await.map(|_| ())
    }

    /// [`Db::checkpoint`] with the log's bound in bytes; true when the log was restarted.
    ///
    /// Why a bound: the log restarts from its beginning only when a write begins while no
    /// reader still reads from it. Under steady reads with writes between them (every audited
    /// read writes its audit row) some reader always does, so a `PASSIVE` checkpoint copies
    /// the pages but the file grows without end: 90 MB/s under the audited-read benchmark.
    pub async fn checkpoint_within(&self, limit_bytes: u64) -> StoreResult<bool> {
        let Db::Sqlite(sqlite) = self else {
            return Ok(false);
        };
        // (busy, frames in the log, frames copied); -1 frames when not in WAL mode.
        let (_, frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&sqlite.pool)
            .await?;
        // A frame is a page and its 24-byte header.
        let log_bytes = u64::try_from(frames).unwrap_or(0) * (sqlite.page_size + 24);
        if log_bytes <= limit_bytes {
            return Ok(false);
        }
        // What the restart copies, it copies while writes wait: the frames written while the
        // last passive checkpoint ran. Passive checkpoints again (nobody waits for them) until
        // that tail is short, so the pause is.
        let mut before = frames;
        for _ in 0..MAX_TAIL_ROUNDS {
            let (_, now, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&sqlite.pool)
                .await?;
            let tail = now - before;
            before = now;
            if tail <= SHORT_TAIL_FRAMES {
                break;
            }
        }
        let (restarted, paused) = sqlite.writer.restart_log().await?;
        let paused_ms = paused.as_secs_f64() * 1000.0;
        if restarted {
            tracing::info!(
                log_bytes,
                paused_ms,
                "SQLite's write-ahead log passed its bound: copied and restarted"
            );
        } else {
            tracing::warn!(
                log_bytes,
                paused_ms,
                "SQLite's write-ahead log passed its bound, but a long read outlasted the wait; \
                 the next checkpoint tries again"
            );
        }
        Ok(restarted)
    }

    /// Checkpoints every `period` for as long as the task runs (the server runs it beside its
    /// batch worker). A failed checkpoint is logged and tried again next time: the log only
    /// grows meanwhile.
    pub async fn checkpoint_every(self, period: Duration) {
        if matches!(self, Db::Postgres(_)) {
            return;
        }
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = self.checkpoint().await {
                tracing::warn!(cause = %error, "SQLite checkpoint failed");
            }
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(sqlite) => {
                let migrator = sqlx::migrate::Migrator::new(Migrations::of(&SQLITE_ONLY)).await?;
                migrator.run(&sqlite.pool).await?
            }
            Db::Postgres(pool) => {
                let migrator = sqlx::migrate::Migrator::new(Migrations::of(&POSTGRES_ONLY)).await?;
                migrator.run(pool).await?
            }
        }
        Ok(())
    }

    /// Starts a transaction that may write. On SQLite it is a turn of the one writer (queued in
    /// process, in its own savepoint, committed with its group: see `writer`), so read-then-write
    /// transactions never fail with SQLITE_BUSY and never sleep on the file lock. Do not begin
    /// another while holding one: the second would wait for the first forever.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Sqlite(sqlite) => Tx::Sqlite(SqliteTx::Write(sqlite.writer.begin().await?)),
            Db::Postgres(pool) => Tx::Postgres(PgTx::Transaction(pool.begin().await?)),
        })
    }

    /// Starts a transaction that only reads. On SQLite it is a deferred `BEGIN`, which takes no
    /// write lock, so reads do not queue behind writers.
    pub async fn begin_read(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Sqlite(sqlite) => Tx::Sqlite(SqliteTx::Read(sqlite.reads.begin().await?)),
            Db::Postgres(pool) => Tx::Postgres(PgTx::Transaction(pool.begin().await?)),
        })
    }

    /// A connection for reads whose statements each see the database as committed when that
    /// statement runs, with no transaction around them: it saves the `BEGIN` and `COMMIT` round
    /// trips, which on SQLite are each a hand-off to the connection's thread. For a read of one
    /// statement, or of several whose agreement does not matter (a page and its total); a read
    /// that must see one state across statements takes [`Db::begin_read`].
    pub async fn read_each(&self) -> StoreResult<Tx> {
        Ok(match self {
            Db::Sqlite(sqlite) => Tx::Sqlite(SqliteTx::Each(sqlite.reads.acquire().await?)),
            Db::Postgres(pool) => Tx::Postgres(PgTx::Each(pool.acquire().await?)),
        })
    }

    /// Checks that the database answers (for `/ready`).
    pub async fn ping(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(sqlite) => sqlx::query("SELECT 1")
                .execute(&sqlite.pool)
                .await
                .map(|_| ())?,
            Db::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ())?,
        };
        Ok(())
    }

    /// The pool's connections now: idle, in use, and the most it opens (for the metrics).
    pub fn pool_sizes(&self) -> PoolSizes {
        let (size, idle, max) = match self {
            Db::Sqlite(sqlite) => return sqlite.reads.sizes(),
            Db::Postgres(pool) => (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            ),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        PoolSizes {
            idle,
            // `size` and `num_idle` are read one after the other, so a connection can move
            // between them: never report fewer than none in use.
            in_use: size.saturating_sub(idle),
            max,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => {
                sqlite.writer.close().await;
                sqlite.reads.close();
                sqlite.pool.close().await
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(SqliteTx::Read(conn)) => conn.commit().await?,
            Tx::Sqlite(SqliteTx::Each(_)) | Tx::Postgres(PgTx::Each(_)) => {}
            Tx::Sqlite(SqliteTx::Write(tx)) => tx.commit().await?,
            Tx::Postgres(PgTx::Transaction(tx)) => tx.commit().await?,
        }
        Ok(())
    }
}

/// A page of a listing.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_prefix(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 1);
    for c in raw.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The time a row is written, truncated to microseconds: PostgreSQL keeps no more, and a value
/// read back must equal the one returned from the write.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}

/// A stored entity: its id and timestamps around the domain value. Serialises flat, as the
/// API returns it. `I` is the entity's id type (`ClientId`, …).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stored<T, I> {
    pub id: I,
    #[serde(flatten)]
    pub data: T,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl<T, I> AsRef<T> for Stored<T, I> {
    fn as_ref(&self) -> &T {
        &self.data
    }
}

impl<T, I> Stored<T, I> {
    pub fn from_parts(
        id: I,
        data: T,
        created_at: chrono::DateTime<chrono::Utc>,
        updated_at: chrono::DateTime<chrono::Utc>,
    ) -> Stored<T, I> {
        Stored {
            id,
            data,
            created_at,
            updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0024 rebuilds `claims` on SQLite: the claims, their lines and events (and a
    /// replacement's reference to its original) come through whole, the new statuses are
    /// allowed, and the foreign keys still hold afterwards.
    #[tokio::test]
    async fn the_sqlite_claims_rebuild_keeps_every_row_and_reference() {
        let (_dir, db) = sqlite_file().await;
        let Db::Sqlite(sqlite) = &db else {
            unreachable!()
        };
        migrate_before(&db, 24).await;
        let at = "2026-03-01T09:00:00+00:00";
        let setup = format!(
            "{}
             INSERT INTO attendance (id, client_id, service_date, level_of_care, minutes,
                services, recorded_by, created_at, updated_at)
                VALUES ('a', 'c', '2026-03-02', 'IOP', 190, '[]', 'u', '{at}', '{at}');
             INSERT INTO claims (id, claim_number, client_id, coverage_id, payer_id,
                level_of_care, period_from, period_through, statement_from, statement_through,
                claim_form, condition_codes, principal_diagnosis, other_diagnoses,
                discharge_status, total_charge_cents, status, frequency, original_claim_id,
                created_by, created_at, updated_at)
                VALUES
                ('k1', 'PD1', 'c', 'v', 'p', 'IOP', '2026-03-01', '2026-03-31', '2026-03-02',
                 '2026-03-02', '837I', '[]', 'F33.1', '[]', '30', 33333, 'replaced', '1',
                 NULL, 'u', '{at}', '{at}'),
                ('k2', 'PD2', 'c', 'v', 'p', 'IOP', '2026-03-01', '2026-03-31', '2026-03-02',
                 '2026-03-02', '837I', '[]', 'F33.1', '[]', '30', 33333, 'submitted', '7',
                 'k1', 'u', '{at}', '{at}');
             INSERT INTO claim_lines (claim_id, line_number, attendance_id, service_date,
                program, revenue_code, modifiers, units, charge_cents, live)
                VALUES ('k1', 1, 'a', '2026-03-02', 'mental_health', '0905', '[]', 1, 33333, 0),
                       ('k2', 1, 'a', '2026-03-02', 'mental_health', '0905', '[]', 1, 33333, 1);
             INSERT INTO claim_events (id, claim_id, to_status, user_id, at)
                VALUES ('e1', 'k1', 'draft', 'u', '{at}'), ('e2', 'k2', 'draft', 'u', '{at}');",
            a_covered_client("c", at)
        );
        sqlx::raw_sql(&setup).execute(&sqlite.pool).await.unwrap();

        db.migrate().await.unwrap();

        let claims: Vec<(String, String, Option<String>)> =
            sqlx::query_as("SELECT id, status, original_claim_id FROM claims ORDER BY id")
                .fetch_all(&sqlite.pool)
                .await
                .unwrap();
        assert_eq!(
            claims,
            vec![
                ("k1".into(), "replaced".into(), None),
                ("k2".into(), "submitted".into(), Some("k1".into())),
            ]
        );
        let counts: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM claim_lines), (SELECT COUNT(*) FROM claim_events)",
        )
        .fetch_one(&sqlite.pool)
        .await
        .unwrap();
        assert_eq!(counts, (2, 2));
        let problems: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
            .fetch_all(&sqlite.pool)
            .await
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let mut tx = db.begin().await.unwrap();
        with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE claims SET status = 'partially_paid' WHERE id = 'k2'"
        )
        .execute(conn)
        .await
        .map(|_| ()))
        .unwrap();
        let orphan = with_tx!(&mut tx, |conn| sqlx::query(
            "INSERT INTO claim_lines (claim_id, line_number, attendance_id, service_date,
                program, revenue_code, modifiers, units, charge_cents, live)
             VALUES ('nope', 1, 'a', '2026-03-02', 'mental_health', '0905', '[]', 1, 1, 0)"
        )
        .execute(conn)
        .await
        .map(|_| ()));
        assert!(orphan.is_err(), "foreign keys hold after the rebuild");
        let bogus = with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE claims SET status = 'bogus' WHERE id = 'k1'"
        )
        .execute(conn)
        .await
        .map(|_| ()));
        assert!(bogus.is_err(), "the new check still checks");
    }

    /// Migration 0034 rebuilds `fee_schedules` on SQLite so the charge per day may be NULL:
    /// the schedules stored before keep their charge and every other column, the index is
    /// back, a NULL charge is taken and a stated one is still above 0.
    #[tokio::test]
    async fn the_sqlite_fee_schedules_rebuild_keeps_every_charge_and_lets_it_be_null() {
        let (_dir, db) = sqlite_file().await;
        let Db::Sqlite(sqlite) = &db else {
            unreachable!()
        };
        migrate_before(&db, 34).await;
        let at = "2026-03-01T09:00:00+00:00";
        let schedule = |id: &str, charge: &str| {
            format!(
                "INSERT INTO fee_schedules (id, payer_id, level_of_care, program, revenue_code,
                    hcpcs, modifiers, charge_per_day_cents, allowed_per_day_cents,
                    effective_from, effective_to, claim_form, place_of_service, type_of_bill,
                    condition_codes, notes, created_at, updated_at)
                 VALUES ('{id}', 'p', 'IOP', 'mental_health', '0905', 'S9480', '[\"HQ\"]',
                    {charge}, 87500, '2026-01-01', '2026-12-31', '837I', NULL, '0131',
                    '[\"92\"]', 'contract', '{at}', '{at}')"
            )
        };
        let setup = format!(
            "INSERT INTO payers (id, name, payer_id, created_at, updated_at)
                VALUES ('p', 'Payer', 'P1', '{at}', '{at}');
             {};",
            schedule("f1", "125000")
        );
        sqlx::raw_sql(&setup).execute(&sqlite.pool).await.unwrap();

        db.migrate().await.unwrap();

        type Row = (
            String,
            Option<i64>,
            Option<i64>,
            String,
            String,
            Option<String>,
        );
        let kept: Vec<Row> = sqlx::query_as(
            "SELECT id, charge_per_day_cents, allowed_per_day_cents, modifiers, type_of_bill,
                notes FROM fee_schedules",
        )
        .fetch_all(&sqlite.pool)
        .await
        .unwrap();
        assert_eq!(
            kept,
            vec![(
                "f1".into(),
                Some(125000),
                Some(87500),
                "[\"HQ\"]".into(),
                "0131".into(),
                Some("contract".into())
            )]
        );
        let index: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fee_schedules'
                AND name = 'fee_schedules_payer_level_program'",
        )
        .fetch_all(&sqlite.pool)
        .await
        .unwrap();
        assert_eq!(index.len(), 1);
        let problems: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
            .fetch_all(&sqlite.pool)
            .await
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let mut tx = db.begin().await.unwrap();
        let none = schedule("f2", "NULL");
        let null_charge = with_tx!(&mut tx, |conn| sqlx::query(&none)
            .execute(conn)
            .await
            .map(|_| ()));
        assert!(null_charge.is_ok(), "{null_charge:?}");
        let zero = schedule("f3", "0");
        let zero_charge = with_tx!(&mut tx, |conn| sqlx::query(&zero)
            .execute(conn)
            .await
            .map(|_| ()));
        assert!(zero_charge.is_err(), "a stated charge is still above 0");
        let orphan = schedule("f4", "100").replace("'p', 'IOP'", "'nope', 'IOP'");
        let orphan = with_tx!(&mut tx, |conn| sqlx::query(&orphan)
            .execute(conn)
            .await
            .map(|_| ()));
        assert!(
            orphan.is_err(),
            "the payer's foreign key holds after the rebuild"
        );
    }

    /// Migration 0037 keeps "a day is on at most one live claim" on the claim lines (each marks
    /// whether it heads its day on its claim) and drops `claim_days`: existing lines are marked,
    /// and a second live claim of a day, per-day or per-service, is refused as before. On
    /// SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.
    #[tokio::test]
    async fn the_0037_day_heads_keep_a_day_on_one_live_claim() {
        on_each_backend(|db| Box::pin(check_0037(db))).await;
    }

    async fn check_0037(db: &Db) {
        migrate_before(db, 37).await;
        let at = "2026-03-01T09:00:00+00:00";
        let claim = |id: &str, status: &str, original: &str| {
            let frequency = if original == "NULL" { "1" } else { "7" };
            format!(
                "('{id}', 'N{id}', 'c', 'v', 'p', 'IOP', '2026-03-01', '2026-03-31',
                  '2026-03-02', '2026-03-03', '837I', '[]', 'F33.1', '[]', '30', 66666,
                  '{status}', '{frequency}', {original}, 'u', '{at}', '{at}')"
            )
        };
        let line = |claim: &str, n: u32, day: &str, live: bool, service: &str| {
            format!(
                "('{claim}', {n}, '{day}', '2026-03-02', 'mental_health', '0905', '[]', 1,
                  33333, {live}, {service})"
            )
        };
        let setup = format!(
            "{}
             INSERT INTO attendance (id, client_id, service_date, level_of_care, minutes,
                services, recorded_by, created_at, updated_at)
                VALUES ('a', 'c', '2026-03-02', 'IOP', 190, '[]', 'u', '{at}', '{at}'),
                       ('b', 'c', '2026-03-03', 'IOP', 190, '[]', 'u', '{at}', '{at}'),
                       ('d', 'c', '2026-03-04', 'IOP', 190, '[]', 'u', '{at}', '{at}');
             INSERT INTO claims (id, claim_number, client_id, coverage_id, payer_id,
                level_of_care, period_from, period_through, statement_from, statement_through,
                claim_form, condition_codes, principal_diagnosis, other_diagnoses,
                discharge_status, total_charge_cents, status, frequency, original_claim_id,
                created_by, created_at, updated_at)
                VALUES {}, {}, {};
             INSERT INTO claim_lines (claim_id, line_number, attendance_id, service_date,
                program, revenue_code, modifiers, units, charge_cents, live, service_index)
                VALUES {}, {}, {}, {}, {}, {};
             INSERT INTO claim_days (claim_id, attendance_id, live)
                VALUES ('k1', 'a', FALSE), ('k1', 'b', FALSE), ('k2', 'a', TRUE),
                       ('k2', 'b', TRUE), ('s1', 'd', TRUE);",
            a_covered_client("c", at),
            claim("k1", "replaced", "NULL"),
            claim("k2", "submitted", "'k1'"),
            claim("s1", "submitted", "NULL"),
            line("k1", 1, "a", false, "NULL"),
            line("k1", 2, "b", false, "NULL"),
            line("k2", 1, "a", true, "NULL"),
            line("k2", 2, "b", true, "NULL"),
            line("s1", 1, "d", true, "0"),
            line("s1", 2, "d", true, "1"),
        );
        raw(db, &setup).await.unwrap();

        db.migrate().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        let heads: Vec<(String, i64, bool)> = with_tx!(&mut tx, |conn| sqlx::query_as(
            "SELECT claim_id, CAST(line_number AS BIGINT), day_head FROM claim_lines
             ORDER BY claim_id, line_number"
        )
        .fetch_all(conn)
        .await)
        .unwrap();
        let head = |c: &str, n: i64, h: bool| (c.to_string(), n, h);
        assert_eq!(
            heads,
            vec![
                head("k1", 1, true),
                head("k1", 2, true),
                head("k2", 1, true),
                head("k2", 2, true),
                head("s1", 1, true),
                head("s1", 2, false),
            ]
        );
        // Each statement in a savepoint of its own, so a refused one leaves the rest usable.
        async fn refused(tx: &mut Tx, sql: &str) -> bool {
            let outcome = with_tx!(&mut *tx, |conn| {
                sqlx::query("SAVEPOINT t")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                let outcome = sqlx::query(sql).execute(&mut *conn).await.map(|_| ());
                let end = if outcome.is_err() {
                    "ROLLBACK TO SAVEPOINT t"
                } else {
                    "RELEASE SAVEPOINT t"
                };
                sqlx::query(end).execute(&mut *conn).await.unwrap();
                outcome
            });
            outcome.is_err_and(|e| StoreError::Database(e).is_unique_violation())
        }
        let insert = |claim: &str, n: u32, day: &str, service: &str, head: bool| {
            format!(
                "INSERT INTO claim_lines (claim_id, line_number, attendance_id, service_date,
                    program, revenue_code, modifiers, units, charge_cents, live, service_index,
                    day_head)
                 VALUES ('{claim}', {n}, '{day}', '2026-03-02', 'mental_health', '0905', '[]',
                    1, 33333, TRUE, {service}, {head})"
            )
        };
        assert!(
            refused(&mut tx, &insert("k1", 3, "a", "NULL", true)).await,
            "a per-day line on a day already on a live claim"
        );
        assert!(
            refused(&mut tx, &insert("k1", 3, "d", "NULL", true)).await,
            "a per-day line on a day a per-service claim bills"
        );
        assert!(
            refused(&mut tx, &insert("k1", 3, "a", "2", true)).await,
            "a per-service claim's day already on a per-day claim"
        );
        assert!(
            refused(&mut tx, &insert("s1", 3, "d", "1", false)).await,
            "a service entry on two live lines"
        );
        assert!(
            !refused(&mut tx, &insert("s1", 3, "d", "2", false)).await,
            "another service of the same day on the same claim"
        );
        let released = with_tx!(&mut tx, |conn| sqlx::query(
            "UPDATE claim_lines SET live = FALSE WHERE claim_id = 'k2'"
        )
        .execute(conn)
        .await
        .map(|_| ()));
        assert!(released.is_ok());
        assert!(
            !refused(&mut tx, &insert("k1", 3, "a", "NULL", true)).await,
            "a released day bills again"
        );
        let tables: Vec<(String,)> = match db {
            Db::Sqlite(_) => with_tx!(&mut tx, |conn| sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE name = 'claim_days'"
            )
            .fetch_all(conn)
            .await),
            Db::Postgres(_) => with_tx!(&mut tx, |conn| sqlx::query_as(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_name = 'claim_days' AND table_schema = current_schema()"
            )
            .fetch_all(conn)
            .await),
        }
        .unwrap();
        assert!(tables.is_empty(), "{tables:?}");
    }

    /// Runs every migration before `version` (shared and the backend's own).
    async fn migrate_before(db: &Db, version: i64) {
        let own = match db {
            Db::Sqlite(_) => &SQLITE_ONLY,
            Db::Postgres(_) => &POSTGRES_ONLY,
        };
        let before = Migrations(
            Migrations::of(own)
                .0
                .into_iter()
                .filter(|m| m.version < version)
                .collect(),
        );
        let migrator = sqlx::migrate::Migrator::new(before).await.unwrap();
        match db {
            Db::Sqlite(sqlite) => migrator.run(&sqlite.pool).await.unwrap(),
            Db::Postgres(pool) => migrator.run(pool).await.unwrap(),
        }
    }

    /// A fresh SQLite database in a temporary folder (kept as long as the folder is).
    async fn sqlite_file() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        (dir, db)
    }

    /// Runs `check` on a fresh SQLite file, and on a fresh PostgreSQL schema too when
    /// TEST_DATABASE_URL is set.
    async fn on_each_backend<F>(check: F)
    where
        F: for<'a> Fn(&'a Db) -> futures_util::future::BoxFuture<'a, ()>,
    {
        let (_dir, db) = sqlite_file().await;
        check(&db).await;
        db.close().await;
        let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
            return;
        };
        if url.is_empty() {
            return;
        }
        let base = PgConnectOptions::from_str(&url).unwrap();
        let admin = Db::connect_postgres(base.clone(), 1).await.unwrap();
        let schema = format!(
            "perdiem_t_{}_{}",
            chrono::Utc::now().timestamp(),
            uuid::Uuid::new_v4().simple()
        );
        raw(&admin, &format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap();
        let db = Db::connect_postgres(base.options([("search_path", schema.as_str())]), 2)
            .await
            .unwrap();
        check(&db).await;
        db.close().await;
        raw(&admin, &format!("DROP SCHEMA {schema} CASCADE"))
            .await
            .unwrap();
    }

    /// A connection of `tx`, which is SQLite's.
    fn sqlite_conn(tx: &mut Tx) -> &mut sqlx::SqliteConnection {
        match tx {
            Tx::Sqlite(tx) => tx,
            Tx::Postgres(_) => unreachable!("a SQLite database"),
        }
    }

    /// `count` rows of 4,000 bytes into `t`, each in its own write.
    async fn write_rows(db: &Db, count: usize) {
        for _ in 0..count {
            let mut tx = db.begin().await.unwrap();
            sqlx::query("INSERT INTO t (body) VALUES (?)")
                .bind(vec![7u8; 4000])
                .execute(sqlite_conn(&mut tx))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    }

    /// A log that no checkpoint could restart (a reader held it the whole time) grows past its
    /// bound; the bounded checkpoint then restarts it while reads keep coming, so later writes
    /// reuse the file instead of growing it, and every row written is still there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_restarts_past_its_bound_while_reads_go_on() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;

        let (dir, db) = sqlite_file().await;
        let log = dir.path().join("m.db-wal");
        raw(&db, "CREATE TABLE t (body BLOB NOT NULL)")
            .await
            .unwrap();
        let log_bytes = || std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);

        let mut held = db.begin_read().await.unwrap();
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(sqlite_conn(&mut held))
            .await
            .unwrap();
        const ROWS: usize = 400;
        write_rows(&db, ROWS).await;
        // Within the bound nothing more than a passive checkpoint happens.
        assert!(!db.checkpoint_within(u64::MAX).await.unwrap());
        let grown = log_bytes();
        assert!(
            grown > 2 * 1024 * 1024,
            "the log holds the writes: {grown} bytes"
        );
        held.commit().await.unwrap();

        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (db, stop, reads) = (db.clone(), Arc::clone(&stop), Arc::clone(&reads));
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let mut tx = db.begin_read().await.unwrap();
                        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
                            .fetch_one(sqlite_conn(&mut tx))
                            .await
                            .unwrap();
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        tx.commit().await.unwrap();
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        while reads.load(Ordering::Relaxed) < 10 {
            tokio::task::yield_now().await;
        }
        assert!(
            db.checkpoint_within(1024 * 1024).await.unwrap(),
            "past the bound the log is restarted"
        );
        write_rows(&db, ROWS / 4).await;
        let after = log_bytes();
        assert!(
            after <= grown,
            "writes after the restart reuse the log from its beginning: {after} > {grown} bytes"
        );
        // The restart's own busy timeout does not stay on the writing connection.
        let mut tx = db.begin().await.unwrap();
        let waits: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(sqlite_conn(&mut tx))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(u128::try_from(waits).unwrap(), BUSY_TIMEOUT.as_millis());
        stop.store(true, Ordering::Relaxed);
        for reader in readers {
            reader.await.unwrap();
        }
        // Writes go on after it, and nothing was lost.
        let mut tx = db.begin().await.unwrap();
        sqlx::query("INSERT INTO t (body) VALUES (x'00')")
            .execute(sqlite_conn(&mut tx))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.read_each().await.unwrap();
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
            .fetch_one(sqlite_conn(&mut tx))
            .await
            .unwrap();
        assert_eq!(rows, i64::try_from(ROWS + ROWS / 4).unwrap() + 1);
        drop(tx);
        db.close().await;
    }

    /// A billing user `u`, a payer `p` and the client `client` covered by it (coverage `v`),
    /// as SQL for a migration test's setup.
    fn a_covered_client(client: &str, at: &str) -> String {
        format!(
            "INSERT INTO users (id, username, password_hash, active, created_at, updated_at)
                VALUES ('u', 'billing', 'x', TRUE, '{at}', '{at}');
             INSERT INTO payers (id, name, payer_id, created_at, updated_at)
                VALUES ('p', 'Payer', 'P1', '{at}', '{at}');
             INSERT INTO clients (id, first_name, last_name, date_of_birth, sex, created_at,
                updated_at) VALUES ('{client}', 'Ana', 'Diaz', '1990-01-01', 'F', '{at}', '{at}');
             INSERT INTO coverages (id, client_id, payer_id, member_id, relationship, priority,
                created_at, updated_at)
                VALUES ('v', '{client}', 'p', 'M1', 'self', 'primary', '{at}', '{at}');"
        )
    }

    async fn raw(db: &Db, sql: &str) -> Result<(), sqlx::Error> {
        match db {
            Db::Sqlite(sqlite) => sqlx::raw_sql(sql).execute(&sqlite.pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        }
    }

    /// Migration 0036 keeps a remittance's CAS on its claim's and lines' rows and keys them by
    /// position: every claim, line and adjustment comes through (in file order, to the cent),
    /// the readers add them up as before, and the foreign keys still hold. On SQLite, and on
    /// PostgreSQL too when TEST_DATABASE_URL is set.
    #[tokio::test]
    async fn the_0036_remittance_rebuild_keeps_every_adjustment_in_order() {
        on_each_backend(|db| Box::pin(check_0036(db))).await;
    }

    async fn check_0036(db: &Db) {
        use super::remittances::{claim_money, claims_of, client_patient_share};
        migrate_before(db, 36).await;
        let at = "2026-03-01T09:00:00+00:00";
        let (client, claim, remittance) = (
            "00000000-0000-0000-0000-00000000000c",
            "00000000-0000-0000-0000-0000000000c2",
            "00000000-0000-0000-0000-0000000000a1",
        );
        let setup = format!(
            "{}
             INSERT INTO attendance (id, client_id, service_date, level_of_care, minutes,
                services, recorded_by, created_at, updated_at)
                VALUES ('a', '{client}', '2026-03-02', 'IOP', 190, '[]', 'u', '{at}', '{at}');
             INSERT INTO claims (id, claim_number, client_id, coverage_id, payer_id,
                level_of_care, period_from, period_through, statement_from, statement_through,
                claim_form, condition_codes, principal_diagnosis, other_diagnoses,
                discharge_status, total_charge_cents, status, frequency, original_claim_id,
                created_by, created_at, updated_at)
                VALUES ('{claim}', 'PD2', '{client}', 'v', 'p', 'IOP', '2026-03-01',
                 '2026-03-31', '2026-03-02', '2026-03-02', '837I', '[]', 'F33.1', '[]', '30',
                 33333, 'paid', '1', NULL, 'u', '{at}', '{at}');
             INSERT INTO claim_lines (claim_id, line_number, attendance_id, service_date,
                program, revenue_code, modifiers, units, charge_cents, live)
                VALUES ('{claim}', 1, 'a', '2026-03-02', 'mental_health', '0905', '[]', 1, 33333,
                 TRUE);
             INSERT INTO remittance_files (id, content, interchange_control_number, received_by,
                received_at) VALUES ('f', 'ISA', '1', 'u', '{at}');
             INSERT INTO remittances (id, file_id, set_control_number, payer_name,
                payer_identifier, trace_number, payment_cents, credit_debit, payment_method,
                payment_date, payee_name, payee_id, status, imbalances, duplicate_of, created_at)
                VALUES ('{remittance}', 'f', '0001', 'Payer', 'P1', 'T1', 30100, 'C', 'ACH',
                 '2026-03-10', 'Clinic', '1234567893', 'posted', '[]', NULL, '{at}');
             INSERT INTO remittance_claims (id, remittance_id, position, claim_id,
                patient_control_number, status_code, charge_cents, paid_cents,
                patient_responsibility_cents, payer_claim_number, crossover_name, crossover_id,
                status_before, status_after)
                VALUES ('rc1', '{remittance}', 1, '{claim}', 'PD2', '1', 33333, 30000, 833,
                    'PCN9', NULL, NULL, 'submitted', 'paid'),
                ('rc2', '{remittance}', 2, NULL, 'XX9', '1', 100, 100, NULL, NULL, NULL, NULL,
                    NULL, NULL);
             INSERT INTO remittance_lines (id, remittance_claim_id, position, claim_id,
                line_number, procedure, revenue_code, submitted_procedure, service_date,
                charge_cents, paid_cents, allowed_cents, units, line_control_number,
                remark_codes)
                VALUES ('rl1', 'rc1', 1, '{claim}', 1, 'NU:0905', '0905', NULL, '2026-03-02',
                    33333, 30000, 31000, '1', 'PD2-1', '[\"N130\"]'),
                ('rl2', 'rc2', 1, NULL, NULL, 'NU:0905', '0905', NULL, NULL, 100, 100, NULL,
                    '1', NULL, '[]');
             INSERT INTO remittance_adjustments (remittance_claim_id, position,
                remittance_line_id, group_code, reason_code, amount_cents, quantity)
                VALUES ('rc1', 1, NULL, 'OA', '23', -500, NULL),
                ('rc1', 3, 'rl1', 'PR', '2', 2333, NULL),
                ('rc1', 2, 'rl1', 'CO', '45', 2000, '1'),
                ('rc1', 4, 'rl1', 'PR', '1', -1500, NULL);",
            a_covered_client(client, at)
        );
        raw(db, &setup).await.unwrap();

        db.migrate().await.unwrap();

        let id = |s: &str| uuid::Uuid::parse_str(s).unwrap();
        let mut tx = db.begin().await.unwrap();
        let claims = claims_of(&mut tx, id(remittance), None).await.unwrap();
        assert_eq!(claims.len(), 2);
        let adjustments = |a: &[super::remittances::AdjustmentRecord]| {
            a.iter()
                .map(|a| {
                    format!(
                        "{}-{} {} {}",
                        a.group,
                        a.reason,
                        a.amount,
                        a.quantity.as_deref().unwrap_or("-")
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(claims[0].claim_id, Some(id(claim)));
        assert_eq!(claims[0].client_id, Some(id(client)));
        assert_eq!(claims[0].paid, "300.00");
        assert_eq!(adjustments(&claims[0].adjustments), ["OA-23 -5.00 -"]);
        assert_eq!(claims[0].lines.len(), 1);
        let line = &claims[0].lines[0];
        assert_eq!(
            (
                line.line_number,
                line.allowed.as_deref(),
                line.remark_codes.clone()
            ),
            (Some(1), Some("310.00"), vec!["N130".to_string()])
        );
        assert_eq!(
            adjustments(&line.adjustments),
            ["CO-45 20.00 1", "PR-2 23.33 -", "PR-1 -15.00 -"]
        );
        assert_eq!(claims[1].patient_control_number, "XX9");
        assert!(claims[1].adjustments.is_empty());
        assert_eq!(claims[1].lines.len(), 1);
        assert!(claims[1].lines[0].adjustments.is_empty());
        let one = claims_of(&mut tx, id(remittance), Some(id(claim)))
            .await
            .unwrap();
        assert_eq!((one.len(), one[0].lines.len()), (1, 1));

        let money = claim_money(&mut tx, id(claim)).await.unwrap();
        assert_eq!(money.paid_cents, 30000);
        assert_eq!(
            money.adjusted_cents,
            [
                ("OA".to_string(), -500),
                ("CO".into(), 2000),
                ("PR".into(), 833)
            ]
            .into()
        );
        assert_eq!(
            money.patient_cents,
            [("1".to_string(), -1500), ("2".into(), 2333)].into()
        );
        assert_eq!(money.remittances, vec![id(remittance)]);
        assert_eq!(
            client_patient_share(&mut tx, id(client)).await.unwrap(),
            vec![("1".to_string(), -1500), ("2".to_string(), 2333)]
        );
        // A line of a claim the remittance does not have is refused.
        let orphan = with_tx!(&mut tx, |conn| sqlx::query(
            "INSERT INTO remittance_lines (remittance_id, claim_position, position, procedure,
                charge_cents, paid_cents, units, remark_codes, adjustments)
             VALUES ($1, 3, 1, 'NU:0905', 1, 1, '1', '[]', '[]')"
        )
        .bind(remittance)
        .execute(conn)
        .await
        .map(|_| ()));
        assert!(orphan.is_err(), "foreign keys hold after the rebuild");
        drop(tx);
        if let Db::Sqlite(sqlite) = db {
            let problems: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
                .fetch_all(&sqlite.pool)
                .await
                .unwrap();
            assert!(problems.is_empty(), "{problems:?}");
        }
    }
}
