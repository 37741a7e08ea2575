//! `POST /api/v1/auth/token`: username and password for a bearer token. The rules of signing
//! in are `services::sign_in`'s, shared with the web app's sign-in form.

use actix_web::{web, HttpRequest, HttpResponse};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::extract::Body;
use crate::domain::validation::Fields;
use crate::error::{current_request_id, ApiError};
use crate::services::sign_in::{self, Attempted, SignInError};
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    username: Option<String>,
    password: Option<String>,
}

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

    let request_id = current_request_id();
    let ip = peer_ip(&req);
    let from = Attempted {
        ip: ip.as_deref(),
        request_id: &request_id,
    };
    let account = sign_in::sign_in(&state, &username, SecretString::from(secret), &from)
        .await
        .map_err(refusal)?;
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

fn refusal(error: SignInError) -> ApiError {
    match error {
        SignInError::Locked {
            retry_after_seconds,
        } => ApiError::TooManyRequests {
            retry_after_seconds,
        },
        SignInError::Busy {
            retry_after_seconds,
        } => ApiError::Busy {
            retry_after_seconds,
        },
        SignInError::Invalid => ApiError::InvalidCredentials,
        SignInError::Store(error) => ApiError::internal(error),
        SignInError::Internal(error) => ApiError::Internal(error),
    }
}

/// The address of the connecting peer. Forwarded-for headers are not trusted: anyone can set
/// them, and an audit trail must not record a caller-chosen address. (Signed-in requests get
/// theirs from [`super::context::Ctx`]; a sign-in has no staff member yet.)
fn peer_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|addr| addr.ip().to_string())
}
