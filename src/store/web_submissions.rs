//! The web app's one-time submission keys of the batch upload form (migration 0035): which
//! batch a session's form started, by the hash of the key the form carried.

use chrono::{DateTime, Utc};

use super::{with_tx, StoreResult, Tx};
use crate::domain::ids::BatchId;

/// The batch the form with `key_hash`, shown to session `session_hash`, started (if any).
pub async fn batch_of(
    tx: &mut Tx,
    session_hash: &str,
    key_hash: &str,
) -> StoreResult<Option<BatchId>> {
    let id = with_tx!(tx, |conn| sqlx::query_scalar::<_, BatchId>(
        "SELECT batch_id FROM web_batch_submissions WHERE session_hash = $1 AND key_hash = $2"
    )
    .bind(session_hash)
    .bind(key_hash)
    .fetch_optional(conn)
    .await)?;
    Ok(id)
}

/// Records that the form with `key_hash` started `batch_id`, unless another post of the same
/// form already did: `false` then, and nothing is written. On PostgreSQL a concurrent post's
/// uncommitted row makes this wait for that post's transaction to end (never the other way
/// round), so the answer is final.
pub async fn claim(
    tx: &mut Tx,
    session_hash: &str,
    key_hash: &str,
    batch_id: BatchId,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let inserted = with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO web_batch_submissions (session_hash, key_hash, batch_id, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (session_hash, key_hash) DO NOTHING"
    )
    .bind(session_hash)
    .bind(key_hash)
    .bind(batch_id)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(inserted == 1)
}

/// Deletes the keys recorded before `before`.
pub async fn delete_before(tx: &mut Tx, before: DateTime<Utc>) -> StoreResult<u64> {
    let deleted = with_tx!(tx, |conn| sqlx::query(
        "DELETE FROM web_batch_submissions WHERE created_at < $1"
    )
    .bind(before)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(deleted)
}
