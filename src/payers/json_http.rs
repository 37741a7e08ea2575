//! The two JSON-over-HTTP protocols: the clearinghouse eligibility shape ([`super::json_wire`])
//! and FHIR R4 ([`super::fhir_wire`]). Both POST one document and read one back; only the
//! document and its media type differ.

use chrono::Utc;
use futures_util::future::BoxFuture;

use super::transport::{classify, Transport};
use super::{fhir_wire, json_wire, Attempt, PayerAdapter, PayerError};
use crate::domain::eligibility::Inquiry;
use crate::domain::payer::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Clearinghouse,
    Fhir,
}

pub struct JsonAdapter {
    connection: Connection,
    transport: Transport,
    flavor: Flavor,
}

impl JsonAdapter {
    pub fn new(connection: Connection, transport: Transport, flavor: Flavor) -> JsonAdapter {
        JsonAdapter {
            connection,
            transport,
            flavor,
        }
    }

    fn media_type(&self) -> &'static str {
        match self.flavor {
            Flavor::Clearinghouse => "application/json",
            Flavor::Fhir => "application/fhir+json",
        }
    }
}

impl PayerAdapter for JsonAdapter {
    fn inquire<'a>(&'a self, inquiry: &'a Inquiry) -> BoxFuture<'a, Attempt> {
        Box::pin(async move {
            let document = match self.flavor {
                Flavor::Clearinghouse => json_wire::request(inquiry),
                Flavor::Fhir => fhir_wire::request(inquiry, Utc::now()),
            };
            let text = match serde_json::to_string(&document) {
                Ok(text) => text,
                Err(e) => {
                    return Attempt::failed(String::new(), PayerError::Request(e.to_string()))
                }
            };
            let timeout = self.connection.timeout_seconds;
            let request = match self.transport.post(&self.connection).await {
                Ok(request) => request
                    .header(reqwest::header::CONTENT_TYPE, self.media_type())
                    .header(reqwest::header::ACCEPT, self.media_type())
                    .body(text.clone()),
                Err(error) => return Attempt::failed(text, error),
            };
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => return Attempt::failed(text, classify(&error, timeout)),
            };
            let status = response.status().as_u16();
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(error) => {
                    let mut attempt = Attempt::failed(text, classify(&error, timeout));
                    attempt.http_status = Some(status);
                    return attempt;
                }
            };
            let outcome = if (200..300).contains(&status) {
                let parsed = match self.flavor {
                    Flavor::Clearinghouse => json_wire::parse_answer(&body, inquiry),
                    Flavor::Fhir => fhir_wire::parse_response(&body),
                };
                parsed.map_err(|e| PayerError::Unparseable(e.to_string()))
            } else {
                Err(PayerError::HttpStatus(status))
            };
            Attempt {
                request: text,
                http_status: Some(status),
                response: Some(super::raw_body(&body)),
                outcome,
            }
        })
    }
}
