//! Reading requests into typed values, with every failure as a problem naming its field.
//!
//! Only [`super::context::Ctx`] (through [`crate::auth::Staff`]) is an actix extractor that can
//! fail. Bodies, queries and path ids are read *inside* the handler, after the role check: actix
//! polls a handler's extractors side by side, so a failing body extractor could otherwise answer
//! 422 to a caller who is not even signed in.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::validation::FieldError;
pub use crate::error::from_value;
use crate::error::{field_of, ApiError};
use crate::state::AppState;
use crate::store::Page;

/// A request body read up to the size limit. Reading never fails the extraction; the outcome is
/// kept until the handler asks for it.
pub struct Body(Result<Bytes, ApiError>);

impl FromRequest for Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Body, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.settings.server.max_body_bytes)
            .unwrap_or(1 << 20);
        let declares_json = declares_json(req);
        let read = read_payload(req, payload, limit);
        Box::pin(async move {
            let buffer = match read.await {
                Ok(buffer) => buffer,
                Err(error) => return Ok(Body(Err(error))),
            };
            // A body must say it is JSON; an empty one may say nothing (it is refused later as
            // missing, which is the more useful answer).
            let is_json = declares_json.unwrap_or(buffer.is_empty());
            Ok(Body(if is_json {
                Ok(buffer)
            } else {
                Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                })
            }))
        })
    }
}

/// Reads a request body up to `limit` bytes (a declared larger length is refused unread).
fn read_payload(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
    limit: usize,
) -> impl Future<Output = Result<Bytes, ApiError>> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        if declared.is_some_and(|length| length > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        let mut buffer = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|error| ApiError::malformed("body", error.to_string()))?;
            if buffer.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            buffer.extend_from_slice(&chunk);
        }
        Ok(buffer.freeze())
    }
}

/// A `text/csv` body (attendance import), up to `billing.max_import_bytes`. Like [`Body`], the
/// outcome waits for the handler, after the role check.
pub struct CsvBody(Result<Bytes, ApiError>);

impl FromRequest for CsvBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<CsvBody, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.settings.billing.max_import_bytes)
            .unwrap_or(1 << 25);
        let is_csv = essence(req).is_some_and(|e| e == "text/csv");
        let read = read_payload(req, payload, limit);
        Box::pin(async move {
            if !is_csv {
                return Ok(CsvBody(Err(ApiError::UnsupportedMediaType {
                    expected: "text/csv",
                })));
            }
            Ok(CsvBody(read.await))
        })
    }
}

impl CsvBody {
    /// The file's bytes; an empty file is a 422 (it lacks the header row).
    pub fn bytes(self) -> Result<Bytes, ApiError> {
        let bytes = self.0?;
        if bytes.is_empty() {
            return Err(ApiError::validation(
                "body",
                "the file is empty; a header row and one line per attended day are required",
            ));
        }
        Ok(bytes)
    }
}

/// An X12 body (an 835, a 999, a TA1, a 277CA), `application/edi-x12` or `text/plain`, up to
/// `billing.max_remittance_bytes` (16 MiB by default, above the API's general limit: a month's
/// remittance from a large payer is several megabytes). Like [`Body`], the outcome waits for
/// the handler, after the role check.
pub struct X12Body(Result<Bytes, ApiError>);

impl FromRequest for X12Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<X12Body, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.settings.billing.max_remittance_bytes)
            .unwrap_or(1 << 24);
        let is_x12 = essence(req).is_some_and(|e| e == "application/edi-x12" || e == "text/plain");
        let read = read_payload(req, payload, limit);
        Box::pin(async move {
            if !is_x12 {
                return Ok(X12Body(Err(ApiError::UnsupportedMediaType {
                    expected: "application/edi-x12",
                })));
            }
            Ok(X12Body(read.await))
        })
    }
}

impl X12Body {
    /// The file's bytes; an empty body is a 422.
    pub fn bytes(self) -> Result<Bytes, ApiError> {
        let bytes = self.0?;
        if bytes.is_empty() {
            return Err(ApiError::validation(
                "body",
                "the body is empty; send the X12 file as it came from the payer",
            ));
        }
        Ok(bytes)
    }
}

/// The declared content type without parameters, lower-cased.
fn essence(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?;
    Some(
        value
            .to_str()
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default(),
    )
}

/// Whether the declared content type is JSON: `application/json` or any `application/*+json`
/// (e.g. `merge-patch+json`). `None` when no content type was sent.
fn declares_json(req: &HttpRequest) -> Option<bool> {
    let essence = essence(req)?;
    Some(
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json")),
    )
}

impl Body {
    /// The body as JSON of shape `T`. Bad JSON syntax is a 400; JSON of the wrong shape (a wrong
    /// type, an unknown field) is a 422 naming the field.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        let value = self.value()?;
        from_value(value)
    }

    /// Like [`Body::json`], for operations whose body is optional: no body is `T::default()`.
    pub fn json_or_default<T: DeserializeOwned + Default>(self) -> Result<T, ApiError> {
        if matches!(&self.0, Ok(bytes) if bytes.is_empty()) {
            return Ok(T::default());
        }
        self.json()
    }

    /// The body as a JSON object (for merge patches).
    pub fn object(self) -> Result<serde_json::Map<String, Value>, ApiError> {
        match self.value()? {
            Value::Object(map) => Ok(map),
            _ => Err(ApiError::Validation(vec![FieldError::new(
                "body",
                "must be a JSON object",
            )])),
        }
    }

    fn value(self) -> Result<Value, ApiError> {
        let bytes = self.0?;
        if bytes.is_empty() {
            return Err(ApiError::malformed("body", "a JSON body is required"));
        }
        serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| ApiError::malformed("body", format!("is not valid JSON: {e}")))
    }
}

/// Reads the query string into `T` (which should deny unknown fields); any problem is a 400
/// naming the parameter.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let parser = form_urlencoded::parse(req.query_string().as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(parser);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let message = error.inner().to_string();
        let field = field_of(&error.path().to_string(), &message, "query");
        ApiError::malformed(&field, message)
    })
}

/// Paging parameters: `limit` 1–200 (default 50), `offset` 0–1,000,000 (default 0).
/// A query parameter read with `parse`; a bad one is a 400 naming it.
pub fn param<T>(
    name: &str,
    raw: Option<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, ApiError> {
    raw.map(|raw| parse(&raw).map_err(|message| ApiError::malformed(name, message)))
        .transpose()
}

pub fn page(limit: Option<i64>, offset: Option<i64>) -> Result<Page, ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::malformed("limit", "must be between 1 and 200"));
    }
    let offset = offset.unwrap_or(0);
    if !(0..=1_000_000).contains(&offset) {
        return Err(ApiError::malformed(
            "offset",
            "must be between 0 and 1000000",
        ));
    }
    Ok(Page { limit, offset })
}

/// A path segment as `T` (an entity id, say), refused with a 400 naming the segment.
pub fn path<T: std::str::FromStr<Err = String>>(
    req: &HttpRequest,
    name: &str,
) -> Result<T, ApiError> {
    let raw = req.match_info().get(name).unwrap_or_default();
    raw.parse()
        .map_err(|message| ApiError::malformed(name, message))
}

/// Refuses `null` for patch fields that cannot be cleared.
pub fn refuse_nulls(
    patch: &serde_json::Map<String, Value>,
    fields: &[&str],
) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = fields
        .iter()
        .filter(|field| patch.get(**field).is_some_and(Value::is_null))
        .map(|field| FieldError::new(*field, "must not be null"))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A JSON merge patch (RFC 7386) applied one level deep: each member of `patch` replaces the
/// member of `current` (nested objects such as `address` are replaced whole, as the contract
/// says), and `null` clears it.
pub fn merge(current: Value, patch: serde_json::Map<String, Value>) -> Value {
    let mut merged = match current {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    for (key, value) in patch {
        merged.insert(key, value);
    }
    Value::Object(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_named_by_their_own_name() {
        assert_eq!(
            field_of(".", "unknown field `nam`, expected one of", "query"),
            "nam"
        );
        assert_eq!(
            field_of("address", "unknown field `zip`, expected one of", "body"),
            "address.zip"
        );
        assert_eq!(
            field_of(
                "address.zip",
                "unknown field `zip`, expected one of",
                "body"
            ),
            "address.zip"
        );
        assert_eq!(
            field_of("limit", "invalid digit found in string", "query"),
            "limit"
        );
    }

    #[test]
    fn merging_replaces_members_and_null_clears() {
        let current = serde_json::json!({"a": 1, "b": {"c": 2}, "d": 3});
        let patch = serde_json::json!({"b": {"e": 4}, "d": null});
        let Value::Object(patch) = patch else {
            unreachable!()
        };
        assert_eq!(
            merge(current, patch),
            serde_json::json!({"a": 1, "b": {"e": 4}, "d": null})
        );
    }
}
