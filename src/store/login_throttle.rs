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

/// Whether a sign-in attempt may have its password checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Checked it may be; it already counts as a failure until [`clear`] says otherwise.
    Reserved,
    /// The username is locked: its allowance is spent, by failures or by attempts still being
    /// checked.
    Refused { retry_after_seconds: u64 },
}

/// Takes one attempt from the username's allowance before its password is checked, in one
/// statement, so that attempts at once (on any instance) cannot all read "not locked" and all be
/// checked: within a window at most `max_failures` attempts are ever checked. The attempt counts
/// as a failure from here on (a success clears the count), and the one that uses up the
/// allowance locks the username at once, even while it is still being checked.
pub async fn reserve(
    tx: &mut Tx,
    username: &str,
    at: DateTime<Utc>,
    policy: ThrottlePolicy,
) -> StoreResult<Attempt> {
    let max = i64::from(policy.max_failures.max(1));
    let until = at + policy.lockout;
    // A row whose window has passed, or whose lock has ended, starts a new count. The WHERE
    // clause refuses a locked username and a spent allowance; it then updates no row and
    // returns none.
    let reserved: Option<i64> = with_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO login_throttle (username, failures, window_started_at, locked_until)
         VALUES ($1, 1, $2, CASE WHEN 1 >= $5 THEN $4 END)
         ON CONFLICT (username) DO UPDATE SET
           failures = CASE
             WHEN login_throttle.window_started_at < $3 OR login_throttle.locked_until <= $2
             THEN 1 ELSE login_throttle.failures + 1 END,
           window_started_at = CASE
             WHEN login_throttle.window_started_at < $3 OR login_throttle.locked_until <= $2
             THEN $2 ELSE login_throttle.window_started_at END,
           locked_until = CASE
             WHEN (CASE
                     WHEN login_throttle.window_started_at < $3 OR login_throttle.locked_until <= $2
                     THEN 1 ELSE login_throttle.failures + 1 END) >= $5
             THEN $4 END
         WHERE (login_throttle.locked_until IS NULL OR login_throttle.locked_until <= $2)
           AND (login_throttle.window_started_at < $3 OR login_throttle.locked_until <= $2
                OR login_throttle.failures < $5)
         RETURNING failures"
    )
    .bind(username)
    .bind(at)
    .bind(at - policy.window)
    .bind(until)
    .bind(max)
    .fetch_optional(conn)
    .await)?;
    if reserved.is_some() {
        return Ok(Attempt::Reserved);
    }
    let row: Option<(Option<DateTime<Utc>>, DateTime<Utc>)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT locked_until, window_started_at FROM login_throttle WHERE username = $1"
    )
    .bind(username)
    .fetch_optional(conn)
    .await)?;
    // Locked, as a rule. A spent allowance without a lock (the maximum lowered since) waits for
    // its window to end.
    let retry_after_seconds = row
        .and_then(|(locked_until, window_started_at)| {
            locked_until
                .and_then(|until| seconds_left(until, at))
                .or_else(|| seconds_left(window_started_at + policy.window, at))
        })
        .unwrap_or(1);
    Ok(Attempt::Refused {
        retry_after_seconds,
    })
}

/// A successful sign-in forgets earlier failures, its own reserved attempt among them.
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
