//! Authentication and authorization: passwords, tokens, and the extractor every protected
//! handler takes.

pub mod accounts;
pub mod jwt;
pub mod password;

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use uuid::Uuid;

use crate::domain::role::Role;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::users::Access;

/// The signed-in staff member of a request. Built only from a valid, unexpired token of an
/// account that still exists, is still active and has not changed its password since; its roles
/// are those both in the token and on the account, so removing a role takes effect before the
/// token expires. The account is checked through [`accounts::AccountCache`]: changes made in this
/// process apply to the next request, changes made elsewhere within a second.
#[derive(Debug, Clone)]
pub struct Staff {
    pub id: Uuid,
    pub roles: Vec<Role>,
}

impl Staff {
    /// Continues only when the staff member holds one of `allowed` (403 otherwise).
    pub fn require(&self, allowed: &[Role]) -> Result<&Staff, ApiError> {
        if self.roles.iter().any(|role| allowed.contains(role)) {
            Ok(self)
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn id_string(&self) -> String {
        self.id.to_string()
    }
}

/// Why a signed-in account may not act now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Deactivated, or gone.
    Inactive,
    /// The password changed after the token was issued or the session began.
    CredentialsChanged,
}

/// The account check every signed-in request makes, by bearer token or by web session alike:
/// still active, and under the credentials version it signed in with. The account's current
/// roles come back with it. Checked through [`accounts::AccountCache`], so a change made in this
/// process applies to the next request and one made elsewhere within its bound.
pub async fn admit(
    state: &AppState,
    id: Uuid,
    credentials_version: i64,
) -> Result<Result<Access, Refused>, ApiError> {
    let Some(account) = state
        .accounts
        .access(&state.db, id)
        .await
        .map_err(ApiError::internal)?
        .filter(|account| account.active)
    else {
        return Ok(Err(Refused::Inactive));
    };
    if account.credentials_version != credentials_version {
        return Ok(Err(Refused::CredentialsChanged));
    }
    Ok(Ok(account))
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Staff, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
            let header = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .ok_or(ApiError::Unauthorized("A bearer token is required."))?;
            let token = header
                .to_str()
                .ok()
                .and_then(|value| {
                    value
                        .strip_prefix("Bearer ")
                        .or_else(|| value.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or(ApiError::Unauthorized(
                    "The Authorization header must be 'Bearer <token>'.",
                ))?;
            let claims = state
                .tokens
                .verify(token)
                .map_err(|_| ApiError::Unauthorized("The token is invalid or has expired."))?;
            let id = claims.sub_id().ok_or(ApiError::Unauthorized(
                "The token is invalid or has expired.",
            ))?;
            let account = match admit(state, id, claims.cv).await? {
                Ok(account) => account,
                Err(Refused::Inactive) => {
                    return Err(ApiError::Unauthorized("The account is not active."))
                }
                Err(Refused::CredentialsChanged) => {
                    return Err(ApiError::Unauthorized(
                        "The password was changed after this token was issued; sign in again.",
                    ))
                }
            };
            let roles = claims
                .roles
                .into_iter()
                .filter(|role| account.roles.contains(role))
                .collect();
            tracing::Span::current().record("user_id", tracing::field::display(id));
            Ok(Staff { id, roles })
        })
    }
}
