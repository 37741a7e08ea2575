//! Signing in and out of the web app, under the API's rules (`services::sign_in`): the same
//! accounts, lockout, throttle, hashing queue and audit. A sign-in opens a server-side session
//! (`store::web_sessions`); signing out deletes it.

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use secrecy::SecretString;
use serde::Deserialize;

use super::error::WebError;
use super::layout;
use super::page::{self, html, Form};
use super::session;
use crate::error::current_request_id;
use crate::services::sign_in::{self, Attempted, SignInError};
use crate::state::AppState;
use crate::store::{now, web_sessions};

/// Where a sign-in may send the browser afterwards: a path of this site only (no scheme, no
/// host, no `//evil.example`, no backslash tricks), without its query.
pub fn local_path(next: &str) -> Option<&str> {
    let path = next.split(['?', '#']).next()?;
    let local = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.len() <= 512
        && path.chars().all(|c| c.is_ascii_graphic());
    (local && path != "/signin").then_some(path)
}

fn next_of(req: &HttpRequest) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(key, _)| key == "next")
        .and_then(|(_, value)| local_path(&value).map(str::to_string))
}

/// `GET /signin`.
pub async fn form(req: HttpRequest) -> HttpResponse {
    let note = next_of(&req).map(|_| "Please sign in to continue.");
    html(
        StatusCode::OK,
        sign_in_page(next_of(&req).as_deref(), "", note, None),
    )
}

fn sign_in_page(
    next: Option<&str>,
    username: &str,
    note: Option<&str>,
    error: Option<&str>,
) -> Markup {
    layout::bare(
        "Sign in",
        html! {
            div.signin {
                div.card {
                    h1 { "Sign in" }
                    @if let Some(note) = note { p.notice { (note) } }
                    @if let Some(error) = error {
                        div.notice.bad role="alert" id="signin-error" { (error) }
                    }
                    form.stack method="post" action="/signin" {
                        @if let Some(next) = next {
                            input type="hidden" name="next" value=(next);
                        }
                        div.field {
                            label for="username" { "Username" }
                            input type="text" id="username" name="username" value=(username)
                                autocomplete="username" required autofocus[username.is_empty()];
                        }
                        div.field {
                            label for="password" { "Password" }
                            input type="password" id="password" name="password"
                                autocomplete="current-password" required autofocus[!username.is_empty()];
                        }
                        div.actions { button type="submit" { "Sign in" } }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize)]
struct SignInFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

/// `POST /signin`.
pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, WebError> {
    // No session yet, so no token to check: a sign-in posted from another site is refused by
    // its Origin (and SameSite=Strict keeps other sites from riding the session afterwards).
    if !page::same_origin(&req) {
        return Err(WebError::Forged);
    }
    let fields: SignInFields =
        serde_urlencoded::from_bytes(&body).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let next = fields.next.as_deref().and_then(local_path);
    let username = fields.username.trim();
    let again = |status: StatusCode, error: &str| {
        html(status, sign_in_page(next, username, None, Some(error)))
    };
    if username.is_empty() || fields.password.is_empty() {
        return Ok(again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your username and your password.",
        ));
    }
    if username.chars().count() > 256 || fields.password.chars().count() > 1024 {
        return Ok(again(
            StatusCode::UNAUTHORIZED,
            "The username or password is wrong.",
        ));
    }
    let request_id = current_request_id();
    let ip = req.peer_addr().map(|addr| addr.ip().to_string());
    let from = Attempted {
        ip: ip.as_deref(),
        request_id: &request_id,
    };
    let password = SecretString::from(fields.password);
    let account = match sign_in::sign_in(&state, username, password, &from).await {
        Ok(account) => account,
        Err(SignInError::Invalid) => {
            return Ok(again(
                StatusCode::UNAUTHORIZED,
                "The username or password is wrong.",
            ))
        }
        Err(SignInError::Locked {
            retry_after_seconds,
        }) => {
            return Ok(again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed attempts for this username. Try again in \
                     {retry_after_seconds} seconds, or ask an administrator."
                ),
            ))
        }
        Err(SignInError::Busy { .. }) => {
            return Ok(again(
                StatusCode::SERVICE_UNAVAILABLE,
                "Many people are signing in at this moment. Try again in a second.",
            ))
        }
        Err(SignInError::Store(error)) => return Err(WebError::internal(error)),
        Err(SignInError::Internal(error)) => return Err(WebError::Internal(error)),
    };

    let token = session::random_token();
    let csrf_token = session::random_token();
    let lifetime = page::lifetime(&state);
    let at = now();
    let mut tx = state.db.begin().await?;
    // Ended sessions go as new ones begin: the table holds only live ones and the recent past.
    web_sessions::delete_expired(&mut tx, at, at - lifetime.idle).await?;
    web_sessions::insert(
        &mut tx,
        &web_sessions::NewSession {
            token_hash: &session::token_hash(&token),
            user_id: account.id,
            credentials_version: account.credentials_version,
            csrf_token: &csrf_token,
            created_at: at,
            expires_at: at + lifetime.absolute,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next.unwrap_or("/")))
        .insert_header((
            header::SET_COOKIE,
            session::cookie(&token, secure(&state, &req)),
        ))
        .finish())
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /signout`: ends the session (its row is deleted, so the cookie is worthless even if
/// kept) and removes the cookie.
pub async fn sign_out(
    state: web::Data<AppState>,
    req: HttpRequest,
    // Checked for its CSRF token by the extractor: no other site can sign a person out.
    _form: Form<NoFields>,
) -> Result<HttpResponse, WebError> {
    if let Some(token) = page::session_token(&req) {
        let mut tx = state.db.begin().await?;
        web_sessions::delete(&mut tx, &session::token_hash(&token)).await?;
        tx.commit().await?;
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/signin"))
        .insert_header((header::SET_COOKIE, session::removal(secure(&state, &req))))
        .finish())
}

/// Whether the cookie must be `Secure`: the request came over HTTPS, or the settings say the
/// app is served over HTTPS behind a proxy.
fn secure(state: &AppState, req: &HttpRequest) -> bool {
    state.settings.web.secure_cookies || req.connection_info().scheme() == "https"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/clients/abc"), Some("/clients/abc"));
        assert_eq!(local_path("/clients?name=Ana"), Some("/clients"));
        assert_eq!(local_path("https://evil.example/"), None);
        assert_eq!(local_path("//evil.example/"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(local_path("clients"), None);
        assert_eq!(local_path("/signin"), None);
        assert_eq!(local_path("/a b"), None);
    }
}
