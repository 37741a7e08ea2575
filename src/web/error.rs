//! What a page answers when it cannot show what was asked: HTML pages in words, never a
//! problem document or an error dump. A signed-out visit goes to sign-in (and back afterwards).

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maud::html;

use super::layout;
use crate::error::{current_request_id, ApiError};
use crate::telemetry::error_chain;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No session, or one that has ended: sign in, then come back to `next` (a local path).
    #[error("sign-in required")]
    SignIn { next: Option<String> },
    #[error("forbidden")]
    Forbidden,
    /// A form without its session's token, or sent from another site.
    #[error("form refused (CSRF)")]
    Forged,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A request no page of ours sends (a hand-made URL or form).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl WebError {
    pub fn internal(error: impl Into<anyhow::Error>) -> WebError {
        WebError::Internal(error.into())
    }
}

impl From<ApiError> for WebError {
    fn from(error: ApiError) -> WebError {
        match error {
            ApiError::Forbidden => WebError::Forbidden,
            ApiError::NotFound(what) => WebError::NotFound(what),
            ApiError::Unauthorized(_) => WebError::SignIn { next: None },
            ApiError::Malformed { detail, .. } => WebError::BadRequest(detail),
            other => WebError::Internal(other.into()),
        }
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(error: crate::store::StoreError) -> WebError {
        WebError::internal(error)
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::SEE_OTHER,
            WebError::Forbidden | WebError::Forged => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (title, message) = match self {
            WebError::SignIn { next } => {
                let location = match next {
                    Some(next) => format!(
                        "/signin?next={}",
                        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                    ),
                    None => "/signin".to_string(),
                };
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish();
            }
            WebError::Forbidden => (
                "Not available to your role",
                "This page belongs to another team's work, so your account cannot open it. \
                 If you need it, ask an administrator to add the role to your account."
                    .to_string(),
            ),
            WebError::Forged => (
                "The form could not be accepted",
                "For your security, this form was refused: it had expired or did not come from \
                 this site. Nothing was changed. Go back, reload the page and try again."
                    .to_string(),
            ),
            WebError::NotFound(what) => (
                "Not found",
                format!("There is no such {what}. It may have been typed wrong, or removed."),
            ),
            WebError::BadRequest(_) => (
                "That request could not be read",
                "The page sent something we could not read. Go back and try again.".to_string(),
            ),
            WebError::Internal(cause) => {
                tracing::error!(status = status.as_u16(), cause = %error_chain(cause.as_ref()), "page failed");
                (
                    "Something went wrong",
                    format!(
                        "Something went wrong on our side and nothing was shown. Try again in a \
                         moment; if it keeps happening, give support this reference: {}.",
                        current_request_id()
                    ),
                )
            }
        };
        if !matches!(self, WebError::Internal(_)) {
            tracing::debug!(status = status.as_u16(), refused = %self, "page refused");
        }
        let body = layout::bare(
            title,
            html! {
                div.card {
                    h1 { (title) }
                    p { (message) }
                    p { a href="/" { "Go to the start page" } }
                }
            },
        );
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body.into_string())
    }
}
