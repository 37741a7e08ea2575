//! The CAQH CORE connectivity envelope (rule vC2.2.0): how a 270 arrives and a 271 leaves
//! (domain reference §8a). Its fields, checks and error codes are the same in both of the rule's
//! forms; the HTTP MIME multipart form is read and written here, the SOAP 1.2 form by
//! [`crate::payers::core_soap`].
//!
//! Request fields: `PayloadType` (`X12_270_Request_005010X279A1`), `ProcessingMode`
//! (`RealTime`), `PayloadID`, `TimeStamp` (ISO 8601 UTC), `SenderID`, `ReceiverID`,
//! `CORERuleVersion` (`2.2.0`), `Payload` (the interchange). The response carries the same
//! metadata (PayloadID echoed, SenderID/ReceiverID swapped), `ErrorCode` and `ErrorMessage`.
//!
//! An envelope problem is still answered with HTTP 200 and an envelope in the request's form,
//! per CORE, with `PayloadType` `CoreEnvelopeError`, no `Payload`, and one of these `ErrorCode`s
//! (the rule's full list was not available: these names follow its `<Field>Illegal` pattern and
//! are the mock's choice, UNVERIFIED):
//!
//! | ErrorCode | when |
//! |---|---|
//! | `MissingField` | a required field is absent or empty (`ErrorMessage` names it) |
//! | `PayloadTypeIllegal` | `PayloadType` is not `X12_270_Request_005010X279A1` |
//! | `ProcessingModeIllegal` | `ProcessingMode` is not `RealTime` (batch is not simulated) |
//! | `TimeStampIllegal` | `TimeStamp` is not an RFC 3339 / ISO 8601 date-time |
//! | `VersionMismatch` | `CORERuleVersion` is not `2.2.0` |
//! | `PayloadIllegal` | the payload is not one 270 interchange (no ISA, bad envelope, other set) |
//!
//! A readable interchange holding a 270 the payer cannot read is no envelope error: it is
//! answered with `ErrorCode` `Success`, `PayloadType` [`PAYLOAD_TYPE_999`] and a 999 naming the
//! segment and element at fault, as a real payer does. The `reject_ta1` fault answers
//! [`PAYLOAD_TYPE_TA1`].

use std::collections::BTreeMap;

use actix_web::web::Bytes;

pub const PAYLOAD_TYPE_270: &str = "X12_270_Request_005010X279A1";
pub const PAYLOAD_TYPE_271: &str = "X12_271_Response_005010X279A1";
pub const PAYLOAD_TYPE_999: &str = "X12_999_Response_005010X231A1";
/// The rule's own spelling (`00501`, not `005010`).
pub const PAYLOAD_TYPE_TA1: &str = "X12_TA1_Response_00501X231A1";
/// The response `PayloadType` of an envelope error.
pub const PAYLOAD_TYPE_ERROR: &str = "CoreEnvelopeError";
pub const PROCESSING_MODE: &str = "RealTime";
pub const CORE_RULE_VERSION: &str = "2.2.0";
pub const SUCCESS: &str = "Success";

/// The fields every real-time request must carry, in the rule's order.
pub const REQUIRED_FIELDS: [&str; 8] = [
    "PayloadType",
    "ProcessingMode",
    "PayloadID",
    "TimeStamp",
    "SenderID",
    "ReceiverID",
    "CORERuleVersion",
    "Payload",
];

/// A checked real-time request envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreRequest {
    pub payload_id: String,
    pub sender_id: String,
    pub receiver_id: String,
    pub payload: String,
}

/// Why an envelope was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeError {
    Missing(&'static str),
    PayloadTypeIllegal,
    ProcessingModeIllegal,
    TimeStampIllegal,
    VersionMismatch,
    PayloadIllegal(&'static str),
}

impl EnvelopeError {
    /// The `ErrorCode` sent back.
    pub fn code(&self) -> &'static str {
        match self {
            EnvelopeError::Missing(_) => "MissingField",
            EnvelopeError::PayloadTypeIllegal => "PayloadTypeIllegal",
            EnvelopeError::ProcessingModeIllegal => "ProcessingModeIllegal",
            EnvelopeError::TimeStampIllegal => "TimeStampIllegal",
            EnvelopeError::VersionMismatch => "VersionMismatch",
            EnvelopeError::PayloadIllegal(_) => "PayloadIllegal",
        }
    }

    /// The `ErrorMessage` sent back.
    pub fn message(&self) -> String {
        match self {
            EnvelopeError::Missing(field) => format!("{field} is required"),
            EnvelopeError::PayloadTypeIllegal => {
                format!("PayloadType must be {PAYLOAD_TYPE_270}")
            }
            EnvelopeError::ProcessingModeIllegal => {
                format!("ProcessingMode must be {PROCESSING_MODE}")
            }
            EnvelopeError::TimeStampIllegal => "TimeStamp must be an ISO 8601 date-time".into(),
            EnvelopeError::VersionMismatch => {
                format!("CORERuleVersion must be {CORE_RULE_VERSION}")
            }
            EnvelopeError::PayloadIllegal(reason) => format!("Payload: {reason}"),
        }
    }
}

/// The form fields of a `multipart/form-data` body, by name (the last wins on repeats).
pub async fn read_form(
    content_type: &str,
    body: Bytes,
) -> Result<BTreeMap<String, String>, &'static str> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| "not multipart/form-data")?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = BTreeMap::new();
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|_| "malformed multipart body")?;
        let Some(field) = field else {
            return Ok(fields);
        };
        let name = field.name().map(str::to_string);
        let text = field
            .text()
            .await
            .map_err(|_| "malformed multipart field")?;
        if let Some(name) = name {
            fields.insert(name, text);
        }
    }
}

/// Checks a real-time 270 envelope.
pub fn check(fields: &BTreeMap<String, String>) -> Result<CoreRequest, EnvelopeError> {
    for name in REQUIRED_FIELDS {
        if fields.get(name).is_none_or(|v| v.trim().is_empty()) {
            return Err(EnvelopeError::Missing(name));
        }
    }
    let field = |name: &str| fields.get(name).map(|v| v.trim()).unwrap_or_default();
    if field("PayloadType") != PAYLOAD_TYPE_270 {
        return Err(EnvelopeError::PayloadTypeIllegal);
    }
    if field("ProcessingMode") != PROCESSING_MODE {
        return Err(EnvelopeError::ProcessingModeIllegal);
    }
    if chrono::DateTime::parse_from_rfc3339(field("TimeStamp")).is_err() {
        return Err(EnvelopeError::TimeStampIllegal);
    }
    if field("CORERuleVersion") != CORE_RULE_VERSION {
        return Err(EnvelopeError::VersionMismatch);
    }
    Ok(CoreRequest {
        payload_id: field("PayloadID").to_string(),
        sender_id: field("SenderID").to_string(),
        receiver_id: field("ReceiverID").to_string(),
        payload: fields.get("Payload").cloned().unwrap_or_default(),
    })
}

/// A `multipart/form-data` body of text fields: the content type (with its boundary) and the
/// bytes.
pub fn form_body(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = format!("mock-payer-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
