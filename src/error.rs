//! The one API error type, rendered as RFC 9457 `application/problem+json`.
//!
//! Every 4xx/5xx the service sends goes through [`ApiError`]: handler errors, extractor failures
//! (bad JSON, bad query, bad path), unknown routes and methods. A 5xx body says nothing internal;
//! the log gets the full cause chain under the same request id that the body and the
//! `X-Request-Id` header carry.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::validation::{FieldError, Invalid};
use crate::telemetry::error_chain;

pub const PROBLEM_JSON: &str = "application/problem+json";

tokio::task_local! {
    /// The id of the request being served, set by the request middleware for the whole handling
    /// of one request, so that error bodies built deep inside can carry it.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "none".to_string())
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body parsed as JSON but some fields are not acceptable (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The request could not be read: bad JSON syntax, bad query or path parameter (400).
    #[error("malformed request: {detail}")]
    Malformed {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// `allow` lists the methods the path does support (RFC 9110 requires it on a 405).
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {detail}")]
    Conflict { detail: String, field: String },
    /// A request at odds with the state of a resource, with a problem type of its own
    /// (`urn:perdiem:problem:<kind>`) and extension members saying what it is at odds with
    /// (RFC 9457 §3.2), 409. The detail stays out of the log line: it may quote a record.
    #[error("conflict ({kind})")]
    StateConflict {
        kind: &'static str,
        title: &'static str,
        detail: String,
        members: serde_json::Map<String, serde_json::Value>,
    },
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// `expected` names the media type the endpoint takes.
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    /// An all-or-nothing batch in which some rows were refused: nothing was stored. 409 when
    /// every refusal is a conflict with stored data, else 422.
    #[error("batch refused: {detail}")]
    RowsRefused {
        conflict: bool,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    /// Too many requests of a costly kind in progress (sign-ins waiting for a password hash):
    /// 503, try again shortly. Not the caller's fault, so not a 429.
    #[error("busy")]
    Busy { retry_after_seconds: u64 },
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn internal(error: impl Into<anyhow::Error>) -> ApiError {
        ApiError::Internal(error.into())
    }

    pub fn malformed(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::Malformed {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError::new(field, message)],
        }
    }

    /// A 422 naming one field.
    pub fn validation(field: &str, message: &str) -> ApiError {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError::Conflict {
            detail: detail.into(),
            field: field.to_string(),
        }
    }

    /// Stable slug of the problem `type` (`urn:perdiem:problem:<slug>`).
    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation(_) => ("validation-error", "Invalid request fields"),
            ApiError::Malformed { .. } => ("malformed-request", "Malformed request"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::InvalidCredentials => ("invalid-credentials", "Invalid credentials"),
            ApiError::Forbidden => ("forbidden", "Not permitted"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict { .. } => ("conflict", "Conflict"),
            ApiError::StateConflict { kind, title, .. } => (*kind, *title),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType { .. } => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::RowsRefused { .. } => ("rows-refused", "Rows refused; nothing was stored"),
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            ApiError::Busy { .. } => ("busy", "Too busy"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("Some fields are not acceptable: {}.", fields.join(", "))
            }
            ApiError::Malformed { detail, .. } => detail.clone(),
            ApiError::Unauthorized(why) => (*why).to_string(),
            ApiError::InvalidCredentials => "The username or password is wrong.".to_string(),
            ApiError::Forbidden => "Your role does not allow this action.".to_string(),
            ApiError::NotFound(what) => format!("No such {what}."),
            ApiError::MethodNotAllowed { allow } => {
                format!("This method is not supported on this path; it supports {allow}.")
            }
            ApiError::Conflict { detail, .. } | ApiError::StateConflict { detail, .. } => {
                detail.clone()
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("The request body is larger than the limit of {limit} bytes.")
            }
            ApiError::UnsupportedMediaType { expected } => {
                format!("The request body must be sent as {expected}.")
            }
            ApiError::RowsRefused { detail, .. } => detail.clone(),
            ApiError::TooManyRequests {
                retry_after_seconds,
            } => format!("Too many failed attempts; try again in {retry_after_seconds} seconds."),
            ApiError::Busy {
                retry_after_seconds,
            } => format!(
                "Too many sign-ins are being checked at once; try again in {retry_after_seconds} \
                 seconds."
            ),
            ApiError::Unavailable(_) => "The service cannot serve requests right now.".into(),
            ApiError::Internal(_) => {
                "Something went wrong on our side; quote the request id when reporting it.".into()
            }
        }
    }

    fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            ApiError::Validation(errors)
            | ApiError::Malformed { errors, .. }
            | ApiError::RowsRefused { errors, .. } => Some(errors.clone()),
            ApiError::Conflict { detail, field } => {
                Some(vec![FieldError::new(field.clone(), detail.clone())])
            }
            _ => None,
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> ApiError {
        ApiError::Validation(invalid.0)
    }
}

impl From<crate::services::verification::VerifyError> for ApiError {
    fn from(error: crate::services::verification::VerifyError) -> ApiError {
        use crate::services::verification::VerifyError;
        match error {
            VerifyError::NotFound(what) => ApiError::NotFound(what),
            VerifyError::Refused(invalid) => invalid.into(),
            VerifyError::Store(error) => ApiError::internal(error),
            error @ VerifyError::Inconsistent(_) => ApiError::internal(error),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> ApiError {
        ApiError::Internal(error.into())
    }
}

#[derive(Serialize)]
struct Problem {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError>>,
    /// Extension members of the problem type (none for most).
    #[serde(flatten)]
    members: serde_json::Map<String, serde_json::Value>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Malformed { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::StateConflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RowsRefused { conflict: true, .. } => StatusCode::CONFLICT,
            ApiError::RowsRefused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(status = status.as_u16(), cause = %error_chain(cause.as_ref()), "request failed");
            }
            _ => tracing::debug!(status = status.as_u16(), problem = %self, "request refused"),
        }
        let (slug, title) = self.slug_and_title();
        let problem = Problem {
            kind: format!("urn:perdiem:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail: self.detail(),
            request_id: current_request_id(),
            errors: self.field_errors(),
            members: match self {
                ApiError::StateConflict { members, .. } => members.clone(),
                _ => serde_json::Map::new(),
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            ApiError::Unauthorized(_) | ApiError::InvalidCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"perdiem\""));
            }
            ApiError::TooManyRequests {
                retry_after_seconds,
            }
            | ApiError::Busy {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.clone()));
            }
            _ => {}
        }
        response.body(serde_json::to_vec(&problem).unwrap_or_default())
    }
}

/// Deserialises `value` into `T`, turning a shape error into a 422 that names the field.
pub fn from_value<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "body",
            "must be a JSON object",
        )]));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let message = error.inner().to_string();
        let field = field_of(&error.path().to_string(), &message, "body");
        ApiError::Validation(vec![FieldError::new(field, message)])
    })
}

/// The field a serde error is about: its path, or for an unknown field the field's own name.
pub(crate) fn field_of(path: &str, message: &str, whole: &str) -> String {
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next());
    match (path, unknown) {
        (".", Some(name)) => name.to_string(),
        (".", None) => whole.to_string(),
        (path, Some(name)) if !path.ends_with(name) => format!("{path}.{name}"),
        (path, _) => path.to_string(),
    }
}

/// A store error as the answer to a write: a unique violation is a 409 naming `field` with
/// `detail`, anything else a 500.
pub fn unique_conflict<'a>(
    field: &'a str,
    detail: &'a str,
) -> impl FnOnce(crate::store::StoreError) -> ApiError + 'a {
    move |error| {
        if error.is_unique_violation() {
            ApiError::conflict(field, detail)
        } else {
            ApiError::internal(error)
        }
    }
}
