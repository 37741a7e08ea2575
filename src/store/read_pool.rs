//! SQLite's read connections, kept by perdiem rather than lent by sqlx's pool.
//!
//! sqlx's pool tests every connection given back to it with a ping, and on SQLite a ping is a
//! message to the connection's own thread and an answer back: one more pair of thread switches
//! for every read, as many as the read's own statement costs (a profile of the audited
//! `GET /clients/{id}`: the ping was about 4 % of the server's CPU, and its hand-offs more).
//! A local file needs no such test. So the connections the reads use are taken from sqlx's pool
//! once, as they are first needed, and never given back: a request borrows one from the idle
//! list here and returns it by dropping it.
//!
//! A connection whose holder was dropped inside a read transaction (a cancelled request, an
//! error before `commit`) is rolled back before anyone else gets it, so no snapshot outlives
//! its request and holds back the checkpoint. Statements on a connection run in the order they
//! were sent, so a statement cut off by a dropped future ends before the next holder's starts.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{PoolSizes, StoreResult};

/// The read connections of a SQLite database, at most `max` of them.
#[derive(Debug, Clone)]
pub struct ReadPool {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Idle {
    connections: Vec<PoolConnection<Sqlite>>,
    /// Closing: connections coming back go to `source`, which closes them.
    closed: bool,
}

#[derive(Debug)]
struct Inner {
    /// Where connections come from (opened with the database's settings).
    source: SqlitePool,
    idle: Mutex<Idle>,
    permits: Arc<Semaphore>,
    max: u32,
}

impl ReadPool {
    /// Reads on at most `max` connections of `source`, leaving the rest of `source` to its
    /// other users (migrations, checkpoints).
    pub fn new(source: SqlitePool, max: u32) -> ReadPool {
        ReadPool {
            inner: Arc::new(Inner {
                source,
                idle: Mutex::new(Idle::default()),
                permits: Arc::new(Semaphore::new(max as usize)),
                max,
            }),
        }
    }

    /// A connection for reads, once one is free.
    pub async fn acquire(&self) -> StoreResult<ReadConn> {
        let permit = Arc::clone(&self.inner.permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let idle = self.inner.idle().connections.pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.inner.source.acquire().await?,
        };
        Ok(ReadConn {
            conn: Some(conn),
            in_transaction: false,
            home: Arc::clone(&self.inner),
            permit: Some(permit),
        })
    }

    /// A connection inside a deferred transaction: its statements see one state of the
    /// database, and it takes no write lock.
    pub async fn begin(&self) -> StoreResult<ReadConn> {
        let mut conn = self.acquire().await?;
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        conn.in_transaction = true;
        Ok(conn)
    }

    /// The connections now: idle, in use, and the most there will be.
    pub fn sizes(&self) -> PoolSizes {
        let max = self.inner.max;
        let in_use = max.saturating_sub(self.inner.permits.available_permits() as u32);
        let idle = u32::try_from(self.inner.idle().connections.len()).unwrap_or(u32::MAX);
        PoolSizes { idle, in_use, max }
    }

    /// Gives the connections back to `source`, now and as they come back, so that it can
    /// close (`SqlitePool::close` waits for every connection it lent).
    pub fn close(&self) {
        let mut idle = self.inner.idle();
        idle.closed = true;
        idle.connections.clear();
    }
}

impl Inner {
    fn idle(&self) -> std::sync::MutexGuard<'_, Idle> {
        // A panic while the list was held leaves a list, still valid.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `conn` for the next loan, unless the pool is closing.
    fn give_back(&self, conn: PoolConnection<Sqlite>) {
        let mut idle = self.idle();
        if !idle.closed {
            idle.connections.push(conn);
        }
    }
}

/// A read connection on loan; dropping it gives it back.
pub struct ReadConn {
    conn: Option<PoolConnection<Sqlite>>,
    /// Inside [`ReadPool::begin`]'s transaction, not yet committed.
    in_transaction: bool,
    home: Arc<Inner>,
    /// Given back with the connection (after the rollback, when one is needed).
    permit: Option<OwnedSemaphorePermit>,
}

impl ReadConn {
    /// Ends the read transaction (nothing to keep: it only read).
    pub async fn commit(mut self) -> StoreResult<()> {
        if self.in_transaction {
            sqlx::query("COMMIT").execute(&mut *self).await?;
            self.in_transaction = false;
        }
        Ok(())
    }
}

impl Deref for ReadConn {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().expect("held until dropped")
    }
}

impl DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if !self.in_transaction {
            self.home.give_back(conn);
            return;
        }
        // Roll back before the connection is lent again; its permit stays taken meanwhile, so
        // the pool never lends more than its size.
        let home = Arc::clone(&self.home);
        let permit = self.permit.take();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    match sqlx::query("ROLLBACK").execute(&mut *conn).await {
                        Ok(_) => home.give_back(conn),
                        // Dropped here, the connection goes back to sqlx's pool, which tests
                        // it; a new one is taken when needed.
                        Err(error) => {
                            tracing::warn!(cause = %error, "rolling back a read failed")
                        }
                    }
                    drop(permit);
                });
            }
            // No runtime (the process is ending): let the connection go.
            Err(_) => drop(conn),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    use super::*;

    async fn pool_on(dir: &tempfile::TempDir, max: u32) -> (SqlitePool, ReadPool) {
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("reads.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let source = SqlitePoolOptions::new()
            .max_connections(max + 1)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE days (n INTEGER)")
            .execute(&source)
            .await
            .unwrap();
        (source.clone(), ReadPool::new(source, max))
    }

    async fn count(conn: &mut SqliteConnection) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM days")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_read_transaction_dropped_open_is_rolled_back_before_the_next_loan() {
        let dir = tempfile::tempdir().unwrap();
        let (source, reads) = pool_on(&dir, 1).await;
        let mut first = reads.begin().await.unwrap();
        assert_eq!(count(&mut first).await, 0);
        drop(first);
        sqlx::query("INSERT INTO days VALUES (1)")
            .execute(&source)
            .await
            .unwrap();
        // The one connection again: inside the old snapshot it would still count none.
        let mut next = reads.acquire().await.unwrap();
        assert_eq!(count(&mut next).await, 1);
        drop(next);
        let again = reads.begin().await.unwrap();
        again.commit().await.unwrap();
        assert_eq!(
            reads.sizes().idle,
            1,
            "one connection, given back each time"
        );
    }

    #[tokio::test]
    async fn no_more_than_its_size_are_lent_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (_source, reads) = pool_on(&dir, 2).await;
        let one = reads.acquire().await.unwrap();
        let _two = reads.acquire().await.unwrap();
        assert_eq!(
            reads.sizes(),
            PoolSizes {
                idle: 0,
                in_use: 2,
                max: 2
            }
        );
        let third = reads.acquire();
        tokio::pin!(third);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), &mut third)
                .await
                .is_err(),
            "a third waits while two are lent"
        );
        drop(one);
        let _three = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("given the connection that came back")
            .unwrap();
    }

    #[tokio::test]
    async fn closing_gives_every_connection_back_to_the_pool_as_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let (source, reads) = pool_on(&dir, 2).await;
        drop(reads.acquire().await.unwrap());
        let lent = reads.acquire().await.unwrap();
        reads.close();
        let closing = tokio::spawn(async move { source.close().await });
        drop(lent);
        tokio::time::timeout(Duration::from_secs(5), closing)
            .await
            .expect("sqlx's pool closed once the lent connection came back")
            .unwrap();
        assert!(reads.acquire().await.is_err(), "no loans once closed");
    }
}
