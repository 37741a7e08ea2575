//! SQLite's single writer: one connection, a fair in-process queue, group commit.
//!
//! SQLite allows one writer at a time. With a pool of writers, concurrent requests each took
//! `BEGIN IMMEDIATE` and the losers slept in the busy handler, polling the file lock; every
//! request also paid its own `COMMIT`. Here writes queue in process instead (a FIFO mutex over
//! the one connection) and share transactions:
//!
//! - The first writer of a group opens `BEGIN IMMEDIATE`. Each writer works inside its own
//!   `SAVEPOINT`, so one request's rollback (a 409, a failed check, a dropped future) undoes only
//!   its own statements, never another's in the same group.
//! - A writer that finishes releases its savepoint and joins the group. If nobody is queued for
//!   the connection, or the group is [`MAX_GROUP`] strong, or its first member has waited
//!   [`MAX_GROUP_WAIT`], it commits the group; otherwise it hands the connection to the next in
//!   the queue, who will.
//! - Staff requests do not wait for background work to join their commit. Work run through
//!   [`in_background`] (the verification batch worker) is background: a request's writer
//!   counts only the *requests* queued behind it when it decides whether to hand over, so with
//!   only batch writes queued it commits at once. Measured before this rule, a staff read's
//!   audit rows waited out [`MAX_GROUP_WAIT`] behind a running batch's writes, the whole of its
//!   p99 (scripts/bench-http). Background writers still gather into groups among themselves and
//!   behind requests. The queue itself stays first come, first served. Either way it answers only once the `COMMIT` that holds its work has
//!   returned: "stored" means committed, under the connection's `synchronous` setting.
//! - If the `COMMIT` fails, every member of the group gets the error; none was answered before.
//!
//! A member's answer can wait for the writer that follows it (at most one holder's time beyond
//! [`MAX_GROUP_WAIT`]); a long write such as a claims generation delays the short ones queued
//! behind it either way, since SQLite has one writer.
//!
//! Reads do not come here: they use the read pool, which WAL lets run beside the writer and
//! which only sees committed data.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row, SqliteConnection};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use super::{StoreError, StoreResult};

/// The most writers one `COMMIT` waits for.
pub const MAX_GROUP: usize = 128;
/// The longest the first member of a group waits for others to join while writers are queued.
pub const MAX_GROUP_WAIT: Duration = Duration::from_millis(4);
/// How long a member waits for the group's committer before it commits the group itself (the
/// writer it handed over to may have been cancelled while queued).
const HANDOVER_PATIENCE: Duration = Duration::from_millis(25);

/// The longest [`Writer::restart_log`] waits for readers of the log's older pages; writes
/// queue meanwhile. Reads are milliseconds; a long export outlasting it only defers the
/// restart to the next checkpoint.
pub const RESTART_PATIENCE: Duration = Duration::from_millis(250);
/// SQLite's busy handler within one try of [`Writer::restart_log`]: it sleeps 1, 2, 5 ms…
/// between its own polls, so a short timeout and another try wait less for a reader.
const RESTART_TRY: Duration = Duration::from_millis(3);

/// Upper bounds of the commit-size histogram's buckets (members per `COMMIT`).
pub const GROUP_SIZE_BUCKETS: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

type Waiter = oneshot::Sender<Result<(), String>>;

tokio::task_local! {
    /// Set for the duration of background work; see [`in_background`].
    static BACKGROUND: ();
}

/// Runs `work` as background work: its writes never hold a staff request's commit open (see
/// the module's documentation). Tasks it spawns are not background unless wrapped too.
pub async fn in_background<F: Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

fn is_background() -> bool {
    BACKGROUND.try_with(|_| ()).is_ok()
}

struct Slot {
    conn: SqliteConnection,
    /// A group transaction is open.
    in_group: bool,
    /// When the group's first member joined it.
    group_since: Option<Instant>,
    /// Members whose savepoint is released, waiting for the group's `COMMIT`.
    members: Vec<Waiter>,
    /// A writer was dropped inside its savepoint: roll it back before anyone goes on.
    abandoned: bool,
}

/// Counters the metrics endpoint reads.
#[derive(Default)]
pub struct WriterStats {
    /// Writers waiting for the connection now.
    pub queued: AtomicUsize,
    /// Of those, the ones not run in the background ([`in_background`]).
    pub queued_requests: AtomicUsize,
    pub commits: AtomicU64,
    pub committed_members: AtomicU64,
    /// Commits by group size: `GROUP_SIZE_BUCKETS[i]` is the upper bound of bucket `i`
    /// (not cumulative).
    pub group_sizes: [AtomicU64; GROUP_SIZE_BUCKETS.len()],
}

impl WriterStats {
    fn observe_commit(&self, members: usize) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.committed_members
            .fetch_add(members as u64, Ordering::Relaxed);
        let bucket = GROUP_SIZE_BUCKETS
            .iter()
            .position(|bound| members <= *bound)
            .unwrap_or(GROUP_SIZE_BUCKETS.len() - 1);
        self.group_sizes[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

/// The one writing connection of a SQLite database.
pub struct Writer {
    connection: Arc<Mutex<Slot>>,
    stats: Arc<WriterStats>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("queued", &self.stats.queued.load(Ordering::Relaxed))
            .finish()
    }
}

/// Counts a writer in the queue for as long as it waits (also when its future is dropped).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn enter(count: &'a AtomicUsize) -> Queued<'a> {
        count.fetch_add(1, Ordering::SeqCst);
        Queued(count)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Writer {
    pub async fn open(options: &SqliteConnectOptions) -> StoreResult<Writer> {
        let conn = SqliteConnection::connect_with(options).await?;
        Ok(Writer {
            connection: Arc::new(Mutex::new(Slot {
                conn,
                in_group: false,
                group_since: None,
                members: Vec::new(),
                abandoned: false,
            })),
            stats: Arc::new(WriterStats::default()),
        })
    }

    pub fn stats(&self) -> &Arc<WriterStats> {
        &self.stats
    }

    /// Waits for the connection, then opens this writer's savepoint (and the group's
    /// transaction when none is open).
    pub async fn begin(&self) -> StoreResult<WriteTx> {
        let background = is_background();
        let mut held = {
            let _queued = Queued::enter(&self.stats.queued);
            let _request = (!background).then(|| Queued::enter(&self.stats.queued_requests));
            Arc::clone(&self.connection).lock_owned().await
        };
        settle_abandoned(&mut held).await?;
        if !held.in_group {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut held.conn)
                .await?;
            held.in_group = true;
        }
        sqlx::query("SAVEPOINT request")
            .execute(&mut held.conn)
            .await?;
        held.abandoned = true;
        Ok(WriteTx {
            held: Some(held),
            stats: Arc::clone(&self.stats),
            connection: Arc::clone(&self.connection),
            background,
        })
    }

    /// Copies the whole write-ahead log into the database and restarts the log from its
    /// beginning (`wal_checkpoint(RESTART)`), as a turn on the writing connection: writes
    /// queue behind it as behind any writer, and SQLite's write lock is this connection's own.
    /// It waits (at most [`RESTART_PATIENCE`]) for readers still reading older pages of the
    /// log; readers that start meanwhile read the database file, since nothing new is written.
    /// The next write then starts the log over, and the file is cut back to
    /// `journal_size_limit`. Returns whether the log was restarted (not when a reader outlasted
    /// the wait: the next checkpoint tries again) and how long writes waited.
    ///
    /// Each try is one hand-off to the connection's thread, the busy timeout set and reset
    /// around the checkpoint in the same batch: on a loaded machine every hand-off can wait
    /// for a CPU, and writes wait with it. `RESTART` rather than `TRUNCATE`: cutting the file
    /// to nothing and syncing it doubled the pause.
    pub async fn restart_log(&self) -> StoreResult<(bool, Duration)> {
        let mut held = {
            let _queued = Queued::enter(&self.stats.queued);
            Arc::clone(&self.connection).lock_owned().await
        };
        let paused = Instant::now();
        settle_abandoned(&mut held).await?;
        if held.in_group {
            finish_group(&mut held, &self.stats).await;
        }
        let restore = format!("PRAGMA busy_timeout = {}", super::BUSY_TIMEOUT.as_millis());
        let attempt = format!(
            "PRAGMA busy_timeout = {}; PRAGMA wal_checkpoint(RESTART); {restore}",
            RESTART_TRY.as_millis()
        );
        loop {
            // Every statement of the batch answers a row; the checkpoint's has three columns
            // (busy, frames in the log, frames copied).
            let tried = sqlx::query(&attempt)
                .fetch_all(&mut held.conn)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .find(|row| row.len() == 3)
                        .map(|row| row.try_get::<i64, _>(0))
                        .transpose()
                });
            match tried {
                Ok(Some(0)) => return Ok((true, paused.elapsed())),
                Ok(_) if paused.elapsed() >= RESTART_PATIENCE => {
                    return Ok((false, paused.elapsed()))
                }
                Ok(_) => {}
                Err(error) => {
                    // The batch stopped at the checkpoint: the timeout may still be the try's.
                    sqlx::query(&restore).execute(&mut held.conn).await?;
                    return Err(error.into());
                }
            }
        }
    }

    /// Closes the connection, committing a group still open.
    pub async fn close(&self) {
        let mut held = self.connection.lock().await;
        if settle_abandoned(&mut held).await.is_ok() && held.in_group {
            finish_group(&mut held, &self.stats).await;
        }
    }
}

/// One writer's turn on the connection, inside its savepoint. Dropped without
/// [`WriteTx::commit`], its statements are rolled back and the rest of the group is unharmed.
pub struct WriteTx {
    held: Option<OwnedMutexGuard<Slot>>,
    stats: Arc<WriterStats>,
    connection: Arc<Mutex<Slot>>,
    /// Run in the background: only then do queued background writers count as someone to
    /// hand the group over to.
    background: bool,
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.held.as_ref().expect("held until commit or drop").conn
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.held.as_mut().expect("held until commit or drop").conn
    }
}

impl WriteTx {
    /// Keeps this writer's work and returns once the group transaction holding it committed.
    pub async fn commit(mut self) -> StoreResult<()> {
        let mut held = self.held.take().expect("held until commit or drop");
        if let Err(error) = sqlx::query("RELEASE request").execute(&mut held.conn).await {
            // Still inside the savepoint: the next holder (or the drop) rolls it back.
            self.held = Some(held);
            return Err(error.into());
        }
        held.abandoned = false;
        let (done, mut answer) = oneshot::channel();
        if held.members.is_empty() {
            held.group_since = Some(Instant::now());
        }
        held.members.push(done);
        let waiting = if self.background {
            &self.stats.queued
        } else {
            &self.stats.queued_requests
        };
        let nobody_waits = waiting.load(Ordering::SeqCst) == 0;
        let full = held.members.len() >= MAX_GROUP;
        let waited = held
            .group_since
            .is_some_and(|since| since.elapsed() >= MAX_GROUP_WAIT);
        if nobody_waits || full || waited {
            finish_group(&mut held, &self.stats).await;
        }
        drop(held);
        loop {
            match tokio::time::timeout(HANDOVER_PATIENCE, &mut answer).await {
                Ok(Ok(outcome)) => return outcome.map_err(group_failed),
                Ok(Err(_)) => return Err(group_failed("the writer stopped".into())),
                Err(_) => {
                    // Whoever we handed over to has not committed yet: a long write, or a
                    // writer cancelled in the queue. Commit the group ourselves when we can.
                    let mut held = Arc::clone(&self.connection).lock_owned().await;
                    if settle_abandoned(&mut held).await.is_ok()
                        && held.in_group
                        && !held.members.is_empty()
                    {
                        finish_group(&mut held, &self.stats).await;
                    }
                }
            }
        }
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        let Some(mut held) = self.held.take() else {
            return;
        };
        let stats = Arc::clone(&self.stats);
        // Roll back now rather than at the next writer's turn: members already released may be
        // waiting for this writer to commit their group.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // With nobody queued, nobody else would end the group (or the empty
                // transaction, which holds SQLite's write lock against other processes).
                if settle_abandoned(&mut held).await.is_ok()
                    && held.in_group
                    && stats.queued.load(Ordering::SeqCst) == 0
                {
                    finish_group(&mut held, &stats).await;
                }
            });
        }
    }
}

fn group_failed(cause: String) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "the write was not committed: {cause}"
    )))
}

/// Rolls back the savepoint of a writer dropped inside it. If even that fails the whole group
/// is rolled back and its members told.
async fn settle_abandoned(held: &mut Slot) -> StoreResult<()> {
    if !held.abandoned {
        return Ok(());
    }
    let undone = sqlx::query("ROLLBACK TO request; RELEASE request")
        .execute(&mut held.conn)
        .await;
    held.abandoned = false;
    if let Err(error) = undone {
        tracing::error!(cause = %error, "rolling back an abandoned write failed; the group is rolled back");
        let _ = sqlx::query("ROLLBACK").execute(&mut held.conn).await;
        held.in_group = false;
        held.group_since = None;
        let cause = error.to_string();
        for member in held.members.drain(..) {
            let _ = member.send(Err(cause.clone()));
        }
        return Err(error.into());
    }
    Ok(())
}

/// Commits the open group and answers every member.
async fn finish_group(held: &mut Slot, stats: &WriterStats) {
    let outcome = if held.in_group {
        sqlx::query("COMMIT").execute(&mut held.conn).await
    } else {
        Ok(Default::default())
    };
    let outcome = match outcome {
        Ok(_) => {
            stats.observe_commit(held.members.len());
            Ok(())
        }
        Err(error) => {
            tracing::error!(cause = %error, members = held.members.len(), "a group commit failed");
            // SQLite may have rolled back already; a second rollback then only reports so.
            let _ = sqlx::query("ROLLBACK").execute(&mut held.conn).await;
            Err(error.to_string())
        }
    };
    held.in_group = false;
    held.group_since = None;
    for member in held.members.drain(..) {
        let _ = member.send(outcome.clone());
    }
}
