//! `Idempotency-Key` on a write: a retry by the same user within 24 hours gets the first
//! answer again (marked `Idempotency-Replayed: true`) instead of doing the write twice; the
//! same key with another request is refused (422). The answers are kept by the store, in the
//! write's own transaction, so a kept answer exists exactly when its write does.
//!
//! A replayed answer shows again what the first one showed: the caller audits it like a read.

use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use chrono::{Duration, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::patterns::IDEMPOTENCY_KEY_RE;
use crate::error::ApiError;
use crate::store::claims::{self as store, KeptAnswer};
use crate::store::Tx;

const HEADER: &str = "Idempotency-Key";
/// How long the first answer to a key is returned for a retry.
const KEY_HOURS: i64 = 24;

/// A write sent with an `Idempotency-Key`.
pub struct Keyed {
    operation: &'static str,
    key: String,
    /// The request body, serialised the one way `serde_json` does: a retry must send the same.
    request: String,
}

/// A kept first answer, to send again.
pub struct Replay(KeptAnswer);

impl Keyed {
    /// The key `req` sends for `operation` with body `request`; `None` when it sends none.
    /// A malformed key is a 400 naming the header.
    pub fn of(
        req: &HttpRequest,
        operation: &'static str,
        request: &Value,
    ) -> Result<Option<Keyed>, ApiError> {
        let Some(value) = req.headers().get(HEADER) else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| IDEMPOTENCY_KEY_RE.is_match(k))
            .ok_or_else(|| {
                ApiError::malformed(HEADER, "must be 1 to 255 visible ASCII characters")
            })?;
        Ok(Some(Keyed {
            operation,
            key: key.to_string(),
            request: request.to_string(),
        }))
    }

    /// A key a web form carries (a hidden field set when the form was shown), under the same
    /// rules as the header's.
    pub fn given(
        field: &str,
        key: &str,
        operation: &'static str,
        request: &Value,
    ) -> Result<Keyed, ApiError> {
        if !IDEMPOTENCY_KEY_RE.is_match(key) {
            return Err(ApiError::malformed(
                field,
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Keyed {
            operation,
            key: key.to_string(),
            request: request.to_string(),
        })
    }

    /// The answer `user` was given for this key in the last 24 hours, if any. The key used
    /// with another request is a 422.
    pub async fn kept(&self, tx: &mut Tx, user: Uuid) -> Result<Option<Replay>, ApiError> {
        let since = Utc::now() - Duration::hours(KEY_HOURS);
        let Some(answer) = store::kept_answer(tx, user, self.operation, &self.key, since).await?
        else {
            return Ok(None);
        };
        if answer.request != self.request {
            return Err(ApiError::validation(
                HEADER,
                "was used with another request body in the last 24 hours; use a new key for a \
                 new request",
            ));
        }
        Ok(Some(Replay(answer)))
    }

    /// Keeps `response`, answered with `status`, as the answer to this key (in `tx`, the
    /// write's own transaction).
    pub async fn keep(
        self,
        tx: &mut Tx,
        user: Uuid,
        status: StatusCode,
        response: &str,
    ) -> Result<(), ApiError> {
        let answer = KeptAnswer {
            request: self.request,
            status_code: status.as_u16(),
            response: response.to_string(),
        };
        store::keep_answer(tx, user, self.operation, &self.key, &answer).await?;
        Ok(())
    }
}

impl Replay {
    /// The kept JSON body.
    pub fn body(&self) -> &str {
        &self.0.response
    }

    /// The kept status.
    pub fn status(&self) -> Result<StatusCode, ApiError> {
        StatusCode::from_u16(self.0.status_code).map_err(ApiError::internal)
    }
}
