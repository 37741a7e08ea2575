//! Failed sign-ins per username (see migration 0002 for why this lives in the database).

use chrono::{DateTime, Duration, Utc};

use super::{with_tx, StoreResult, Tx};

/// How many failures lock a username, over what window, for how long.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub lockout: Duration,
}

/// When the username is locked until `now`, the seconds left (rounded up, at least 1).
pub async fn locked_for(
    tx: &mut Tx,
    username: &str,
    at: DateTime<Utc>,
) -> StoreResult<Option<u64>> {
    let until: Option<Option<DateTime<Utc>>> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT locked_until FROM login_throttle WHERE username = $1"
    )
    .bind(username)
    .fetch_optional(conn)
    .await)?;
    Ok(until.flatten().and_then(|until| seconds_left(until, at)))
}

fn seconds_left(until: DateTime<Utc>, at: DateTime<Utc>) -> Option<u64> {
    let left = until - at;
    if left <= Duration::zero() {
        return None;
    }
    let whole = left.num_seconds();
    let rounded = if left > Duration::seconds(whole) {
        whole + 1
    } else {
        whole
    };
    Some(u64::try_from(rounded.max(1)).unwrap_or(1))
}

/// Counts one failure atomically (one upsert, so concurrent failures are all counted) and locks
/// the username once the count within the window reaches the policy's maximum. Returns the
/// seconds of lock now in force, if any.
pub async fn record_failure(
    tx: &mut Tx,
    username: &str,
    at: DateTime<Utc>,
    policy: ThrottlePolicy,
) -> StoreResult<Option<u64>> {
    let window_start = at - policy.window;
    let failures: i64 = with_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO login_throttle (username, failures, window_started_at, locked_until)
         VALUES ($1, 1, $2, NULL)
         ON CONFLICT (username) DO UPDATE SET
           failures = CASE WHEN login_throttle.window_started_at < $3
                           THEN 1 ELSE login_throttle.failures + 1 END,
           window_started_at = CASE WHEN login_throttle.window_started_at < $3
                           THEN $2 ELSE login_throttle.window_started_at END
         RETURNING failures"
    )
    .bind(username)
    .bind(at)
    .bind(window_start)
    .fetch_one(conn)
    .await)?;
    if failures < i64::from(policy.max_failures) {
        return Ok(None);
    }
    let until = at + policy.lockout;
    // The lock starts a fresh window: after it expires the user has the full count again.
    with_tx!(tx, |conn| sqlx::query(
        "UPDATE login_throttle SET locked_until = $2, failures = 0, window_started_at = $3
         WHERE username = $1"
    )
    .bind(username)
    .bind(until)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(seconds_left(until, at))
}

/// A successful sign-in forgets earlier failures.
pub async fn clear(tx: &mut Tx, username: &str) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "DELETE FROM login_throttle WHERE username = $1"
    )
    .bind(username)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_left_rounds_up_and_ends_at_zero() {
        let at = Utc::now();
        assert_eq!(seconds_left(at + Duration::milliseconds(1500), at), Some(2));
        assert_eq!(seconds_left(at + Duration::seconds(300), at), Some(300));
        assert_eq!(seconds_left(at, at), None);
        assert_eq!(seconds_left(at - Duration::seconds(1), at), None);
    }
}
