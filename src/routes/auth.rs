//! `POST /api/v1/auth/token`: username and password for a bearer token.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::extract::Body;
use crate::auth::password::Admitted;
use crate::domain::validation::Fields;
use crate::error::{current_request_id, ApiError};
use crate::state::AppState;
use crate::store::audit::{self, Action, AuditEntry};
use crate::store::login_throttle::{self, Attempt, ThrottlePolicy};
use crate::store::{now, users};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    username: Option<String>,
    password: Option<String>,
}

/// What a sign-in turned away for load is told to wait: a check takes tens of milliseconds, so
/// the queue has turned over well within a second.
const BUSY_RETRY_AFTER_SECONDS: u64 = 1;

fn bounded(max: usize) -> impl Fn(String) -> Result<String, String> {
    move |raw| {
        let chars = raw.chars().count();
        if chars == 0 || chars > max {
            Err(format!("must be 1 to {max} characters"))
        } else {
            Ok(raw)
        }
    }
}

pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let input: TokenRequest = body.json()?;
    let mut fields = Fields::new();
    let username = fields.required("username", input.username, bounded(256));
    let secret = fields.required("password", input.password, bounded(1024));
    let (username, secret) = fields.finish_with(|| Some((username?, secret?)))?;
    let secret = SecretString::from(secret);

    // A locked username is refused before it takes a place in the hashing queue.
    let mut tx = state.db.begin_read().await?;
    if let Some(retry_after_seconds) = login_throttle::locked_for(&mut tx, &username, now()).await?
    {
        return Err(ApiError::TooManyRequests {
            retry_after_seconds,
        });
    }
    let account = users::find_by_username(&mut tx, &username).await?;
    tx.commit().await?;

    let admitted = take_attempt(&state, &username).await?;
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let matches = admitted
        .verify(secret, stored)
        .await
        .map_err(ApiError::internal)?;
    let account = account.filter(|a| matches && a.active && account_known(a));

    let request_id = current_request_id();
    let ip = peer_ip(&req);
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
                ip: ip.as_deref(),
                request_id: &request_id,
            },
        )
        .await?;
        tx.commit().await?;
        return Err(ApiError::InvalidCredentials);
    };
    login_throttle::clear(&mut tx, &username).await?;
    let user_id = account.id.to_string();
    audit::record(
        &mut tx,
        &AuditEntry {
            user_id: Some(&user_id),
            action: Action::Login,
            entity_type: "user",
            entity_id: Some(&user_id),
            ip: ip.as_deref(),
            request_id: &request_id,
        },
    )
    .await?;
    tx.commit().await?;

    let token = state
        .tokens
        .issue(
            account.id.as_uuid(),
            &account.roles,
            account.credentials_version,
        )
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": state.tokens.ttl_seconds(),
    })))
}

/// A place in the hashing queue, then one of the username's attempts. In this order: a sign-in
/// turned away for load (503) was neither checked nor counted.
async fn take_attempt(state: &AppState, username: &str) -> Result<Admitted, ApiError> {
    let admitted = state.hashing.admit().map_err(|_| ApiError::Busy {
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
        } => Err(ApiError::TooManyRequests {
            retry_after_seconds,
        }),
    }
}

/// An account with no role can do nothing; refusing its sign-in says so early.
fn account_known(account: &users::User) -> bool {
    !account.roles.is_empty()
}

/// The address of the connecting peer. Forwarded-for headers are not trusted: anyone can set
/// them, and an audit trail must not record a caller-chosen address. (Signed-in requests get
/// theirs from [`super::context::Ctx`]; a sign-in has no staff member yet.)
fn peer_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|addr| addr.ip().to_string())
}
