//! Outbound: payers reached over HTTP, one adapter per protocol behind [`PayerAdapter`], all
//! speaking the domain's [`crate::domain::eligibility`] types to the rest of the app.
//!
//! Wire formats are private to their adapter. What leaves this module is an [`Attempt`]: what
//! was sent, what came back (raw, for the record), and either the answer or a [`PayerError`].

pub mod breaker;
pub mod core_soap;
pub mod fhir_wire;
pub mod json_http;
pub mod json_wire;
pub mod transport;
pub mod wire;
pub mod x12;
pub mod x12_map;

use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::domain::eligibility::{EligibilityAnswer, Inquiry};
use crate::domain::payer::{Connection, Protocol};

pub use transport::Transport;

/// Why a payer gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum PayerError {
    #[error("no answer within {0} s")]
    Timeout(u32),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("the payer answered HTTP {0}")]
    HttpStatus(u16),
    /// The envelope (CORE `ErrorCode`) said the request was not accepted.
    #[error("the payer refused the envelope: {0}")]
    Envelope(String),
    #[error("the answer could not be read: {0}")]
    Unparseable(String),
    #[error("the request could not be built: {0}")]
    Request(String),
    #[error("authentication with the payer failed: {0}")]
    Auth(String),
    /// The payer answered our 270 with a 999 or TA1 acknowledgment instead of a 271: it could
    /// not process what we sent (or took it and sent nothing more). The detail is the
    /// acknowledgment's summary, naming the segment, element or interchange note at fault.
    #[error("{0}")]
    Acknowledgment(String),
    /// The answer is about another person than we asked about (another inquiry's trace, another
    /// member id, or a name or birth date that differs without our trace and id to vouch for
    /// it). The detail names the field. Not the payer's ill health, and asking again gets the
    /// same answer.
    #[error("the answer is not about this client: {0}")]
    Mismatch(String),
    /// The payer failed repeatedly; inquiries fail fast until the cool-down ends.
    #[error("the payer failed repeatedly; not asked again before {0}")]
    CircuitOpen(String),
}

impl PayerError {
    /// Worth trying again shortly: the payer may answer next time.
    pub fn is_transient(&self) -> bool {
        match self {
            PayerError::Timeout(_) | PayerError::Connect(_) => true,
            PayerError::HttpStatus(status) => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            PayerError::Timeout(_) => "timeout",
            PayerError::Connect(_) => "connect",
            PayerError::HttpStatus(_) => "http_status",
            PayerError::Envelope(_) => "envelope",
            PayerError::Unparseable(_) => "unparseable",
            PayerError::Request(_) => "request",
            PayerError::Auth(_) => "auth",
            PayerError::CircuitOpen(_) => "circuit_open",
            PayerError::Acknowledgment(_) => "acknowledgment",
            PayerError::Mismatch(_) => "mismatch",
        }
    }

    /// Whether this failure says the payer is unwell (it counts toward opening the circuit).
    /// A refused request or envelope is ours to fix, not the payer's health; so is a 999 or TA1
    /// rejection (it names what was wrong in our 270), and sending the same 270 again gets the
    /// same rejection, so it is not transient either. An HTTP 4xx other than 408 and 429 is a
    /// request the payer could not take, or our credentials: ours too.
    pub fn counts_against_payer(&self) -> bool {
        match self {
            PayerError::Timeout(_) | PayerError::Connect(_) | PayerError::Unparseable(_) => true,
            PayerError::HttpStatus(status) => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }
}

/// One HTTP exchange with a payer.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// What was sent (the X12 interchange, the JSON or FHIR document).
    pub request: String,
    pub http_status: Option<u16>,
    /// The raw body that came back, if any.
    pub response: Option<String>,
    pub outcome: Result<EligibilityAnswer, PayerError>,
}

impl Attempt {
    pub fn failed(request: String, error: PayerError) -> Attempt {
        Attempt {
            request,
            http_status: None,
            response: None,
            outcome: Err(error),
        }
    }

    /// Transient at the payer: a transport failure worth retrying, or an answer that is only a
    /// "cannot answer now" rejection (AAA 42/80).
    pub fn is_transient(&self) -> bool {
        match &self.outcome {
            Err(error) => error.is_transient(),
            Ok(answer) => {
                answer.benefits.is_empty()
                    && !answer.rejections.is_empty()
                    && answer.rejections.iter().all(|r| r.is_transient())
            }
        }
    }
}

/// A payer's raw answer as text for the record. Text that is valid UTF-8 without NUL bytes is
/// kept as it is; anything else (binary garbage, a stray NUL — which PostgreSQL TEXT refuses) is
/// kept whole as `base64:` followed by the base64 of the bytes, so nothing is lost or altered.
pub fn raw_body(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => text.to_string(),
        _ => {
            use base64::Engine;
            format!(
                "base64:{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        }
    }
}

/// One protocol's way of asking a payer about eligibility.
pub trait PayerAdapter: Send + Sync {
    fn inquire<'a>(&'a self, inquiry: &'a Inquiry) -> BoxFuture<'a, Attempt>;
}

/// The adapter for a payer's configured protocol.
pub fn adapter(connection: &Connection, transport: &Transport) -> Box<dyn PayerAdapter> {
    match connection.protocol {
        Protocol::X12 => Box::new(x12::X12Adapter::new(connection.clone(), transport.clone())),
        Protocol::Json => Box::new(json_http::JsonAdapter::new(
            connection.clone(),
            transport.clone(),
            json_http::Flavor::Clearinghouse,
        )),
        Protocol::Fhir => Box::new(json_http::JsonAdapter::new(
            connection.clone(),
            transport.clone(),
            json_http::Flavor::Fhir,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{raw_body, PayerError};

    #[test]
    fn only_the_payers_own_failures_count_against_its_health() {
        for unwell in [
            PayerError::Timeout(10),
            PayerError::Connect("refused".into()),
            PayerError::Unparseable("garbage".into()),
            PayerError::HttpStatus(500),
            PayerError::HttpStatus(503),
            PayerError::HttpStatus(429),
            PayerError::HttpStatus(408),
        ] {
            assert!(unwell.counts_against_payer(), "{unwell:?}");
        }
        for ours in [
            PayerError::HttpStatus(400),
            PayerError::HttpStatus(401),
            PayerError::HttpStatus(403),
            PayerError::HttpStatus(404),
            PayerError::Envelope("PayloadIllegal".into()),
            PayerError::Request("no NPI".into()),
            PayerError::Auth("bad client secret".into()),
            PayerError::Acknowledgment("999 R".into()),
            PayerError::Mismatch("member id".into()),
        ] {
            assert!(!ours.counts_against_payer(), "{ours:?}");
        }
    }

    #[test]
    fn raw_bodies_are_kept_exactly() {
        assert_eq!(raw_body(b"ISA*00*~"), "ISA*00*~");
        assert_eq!(raw_body(b"a\0b"), "base64:YQBi");
        assert_eq!(raw_body(&[0xff, 0xfe]), "base64://4=");
    }
}
