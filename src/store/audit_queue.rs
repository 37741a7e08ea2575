//! The audit rows of reads, written together.
//!
//! Every read of client data is audited before it is answered. Writing each read's rows in a
//! transaction of its own cost a transaction per request (on SQLite a turn of the one writer,
//! on PostgreSQL a commit and its flush). Here reads hand their rows to one task, which writes
//! whatever has gathered meanwhile as one multi-row insert in one transaction, then answers
//! each: a read is still answered only after its rows are committed.
//!
//! Writes keep their audit rows in their own transaction (`routes::context`), so that a write
//! and its audit land together or not at all.

use tokio::sync::{mpsc, oneshot};

use super::audit::{self, NewAuditEvent};
use super::{Db, StoreError, StoreResult};

/// The most rows one insert takes; more wait for the next.
const MAX_ROWS: usize = 4_000;

struct Job {
    rows: Vec<NewAuditEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The queue of read audits. Cheap to clone; the task stops when the last clone is dropped.
#[derive(Clone)]
pub struct AuditQueue {
    jobs: mpsc::UnboundedSender<Job>,
}

impl AuditQueue {
    /// Starts the writing task on the current runtime.
    pub fn start(db: Db) -> AuditQueue {
        let (jobs, waiting) = mpsc::unbounded_channel();
        tokio::spawn(run(db, waiting));
        AuditQueue { jobs }
    }

    /// Returns once `rows` are committed.
    pub async fn record(&self, rows: Vec<NewAuditEvent>) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, outcome) = oneshot::channel();
        self.jobs
            .send(Job { rows, done })
            .map_err(|_| stopped("the audit queue has stopped"))?;
        outcome
            .await
            .map_err(|_| stopped("the audit queue stopped before writing"))?
            .map_err(|cause| stopped(&format!("the audit rows were not stored: {cause}")))
    }
}

fn stopped(detail: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(detail.to_string()))
}

async fn run(db: Db, mut waiting: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = waiting.recv().await {
        let mut rows = first.rows.len();
        let mut jobs = vec![first];
        while rows < MAX_ROWS {
            match waiting.try_recv() {
                Ok(job) => {
                    rows += job.rows.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let outcome = write(&db, &jobs).await.map_err(|error| {
            tracing::error!(cause = %error, requests = jobs.len(), "writing read audits failed");
            error.to_string()
        });
        for job in jobs {
            let _ = job.done.send(outcome.clone());
        }
    }
}

async fn write(db: &Db, jobs: &[Job]) -> StoreResult<()> {
    let rows: Vec<&NewAuditEvent> = jobs.iter().flat_map(|job| &job.rows).collect();
    let mut tx = db.begin().await?;
    audit::record_rows(&mut tx, &rows).await?;
    tx.commit().await
}
