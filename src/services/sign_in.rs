//! Signing a staff member in: the one set of rules behind `POST /api/v1/auth/token` and the web
//! app's sign-in form. A locked username is refused before it takes a place in the hashing
//! queue; then a place in the queue (or busy), one attempt from the username's allowance, the
//! password check against the stored hash (or a decoy, so an unknown name costs the same), and
//! the account's state. Every outcome past the lock is audited.

use chrono::Duration;
use secrecy::SecretString;

use crate::auth::password::Admitted;
use crate::state::AppState;
use crate::store::audit::{self, Action, AuditEntry};
use crate::store::login_throttle::{self, Attempt, ThrottlePolicy};
use crate::store::{now, users, StoreError};

/// What a sign-in turned away for load is told to wait: a check takes tens of milliseconds, so
/// the queue has turned over well within a second.
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 1;

/// Where a sign-in came from, for the audit trail.
pub struct Attempted<'a> {
    pub ip: Option<&'a str>,
    pub request_id: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Too many failures for this username: locked for this long.
    #[error("locked")]
    Locked { retry_after_seconds: u64 },
    /// Every place in the hashing queue is taken: neither checked nor counted.
    #[error("busy")]
    Busy { retry_after_seconds: u64 },
    /// Wrong password, unknown username, deactivated account or no role: never said which.
    #[error("invalid credentials")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Checks `username` and `secret`; the account signed in, or why not.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    secret: SecretString,
    from: &Attempted<'_>,
) -> Result<users::User, SignInError> {
    let mut tx = state.db.begin_read().await?;
    if let Some(retry_after_seconds) = login_throttle::locked_for(&mut tx, username, now()).await? {
        return Err(SignInError::Locked {
            retry_after_seconds,
        });
    }
    let account = users::find_by_username(&mut tx, username).await?;
    tx.commit().await?;

    let admitted = take_attempt(state, username).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let matches = admitted.verify(secret, stored).await?;
    let account = account.filter(|a| matches && a.active && !a.roles.is_empty());

    let mut tx = state.db.begin().await?;
    let Some(account) = account else {
        // Counted already, when it was reserved.
        audit::record(
            &mut tx,
            &AuditEntry {
                user_id: None,
                action: Action::LoginFailed,
                entity_type: "user",
                entity_id: None,
                ip: from.ip,
                request_id: from.request_id,
            },
        )
        .await?;
        tx.commit().await?;
        return Err(SignInError::Invalid);
    };
    login_throttle::clear(&mut tx, username).await?;
    let user_id = account.id.to_string();
    audit::record(
        &mut tx,
        &AuditEntry {
            user_id: Some(&user_id),
            action: Action::Login,
            entity_type: "user",
            entity_id: Some(&user_id),
            ip: from.ip,
            request_id: from.request_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// A place in the hashing queue, then one of the username's attempts. In this order: a sign-in
/// turned away for load was neither checked nor counted.
async fn take_attempt(state: &AppState, username: &str) -> Result<Admitted, SignInError> {
    let admitted = state.hashing.admit().map_err(|_| SignInError::Busy {
        retry_after_seconds: BUSY_RETRY_AFTER_SECONDS,
    })?;
    let auth = &state.settings.auth;
    let policy = ThrottlePolicy {
        max_failures: auth.login_max_failures,
        window: Duration::seconds(i64::try_from(auth.login_window_seconds).unwrap_or(900)),
        lockout: Duration::seconds(i64::try_from(auth.login_lockout_seconds).unwrap_or(300)),
    };
    let mut tx = state.db.begin().await?;
    let attempt = login_throttle::reserve(&mut tx, username, now(), policy).await?;
    tx.commit().await?;
    match attempt {
        Attempt::Reserved => Ok(admitted),
        Attempt::Refused {
            retry_after_seconds,
        } => Err(SignInError::Locked {
            retry_after_seconds,
        }),
    }
}
