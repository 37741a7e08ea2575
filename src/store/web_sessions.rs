//! The web app's sign-in sessions (migration 0027): keyed by the hash of the cookie's token.

use chrono::{DateTime, Utc};

use super::{with_tx, StoreResult, Tx};
use crate::domain::ids::UserId;

/// A session as stored, with the staff member's username for the page header.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredSession {
    pub user_id: UserId,
    pub username: String,
    pub credentials_version: i64,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub credentials_version: i64,
    pub csrf_token: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, session: &NewSession<'_>) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO web_sessions (token_hash, user_id, credentials_version, csrf_token,
                                   created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6)"
    )
    .bind(session.token_hash)
    .bind(session.user_id)
    .bind(session.credentials_version)
    .bind(session.csrf_token)
    .bind(session.created_at)
    .bind(session.expires_at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn find(tx: &mut Tx, token_hash: &str) -> StoreResult<Option<StoredSession>> {
    let row = with_tx!(tx, |conn| sqlx::query_as::<_, StoredSession>(
        "SELECT s.user_id, u.username, s.credentials_version, s.csrf_token, s.created_at,
                s.last_seen_at, s.expires_at
         FROM web_sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await)?;
    Ok(row)
}

/// Marks the session seen at `at`.
pub async fn touch(tx: &mut Tx, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE web_sessions SET last_seen_at = $2 WHERE token_hash = $1"
    )
    .bind(token_hash)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, token_hash: &str) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "DELETE FROM web_sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Deletes the sessions past their absolute end or idle since before `idle_before`.
pub async fn delete_expired(
    tx: &mut Tx,
    now: DateTime<Utc>,
    idle_before: DateTime<Utc>,
) -> StoreResult<u64> {
    let deleted = with_tx!(tx, |conn| sqlx::query(
        "DELETE FROM web_sessions WHERE expires_at <= $1 OR last_seen_at <= $2"
    )
    .bind(now)
    .bind(idle_before)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(deleted)
}
