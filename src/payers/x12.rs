//! X12 005010X279A1 over the CAQH CORE connectivity rule (vC2.2.0; domain reference §8a), in
//! the envelope the payer's connection names: HTTP MIME multipart (the 270 as the `Payload`
//! field of a `multipart/form-data` POST with the envelope's metadata beside it, the 271 back the
//! same way) or SOAP 1.2 ([`super::core_soap`]). Both carry the same fields, and what they carry
//! is read by one function, [`read_payload`].

use chrono::Utc;
use futures_util::future::BoxFuture;

use super::core_soap::{self, Soap, UsernameToken};
use super::transport::{classify, Transport};
use super::{x12_map, Attempt, PayerAdapter, PayerError};
use crate::domain::client::NewClient;
use crate::domain::coverage::NewCoverage;
use crate::domain::eligibility::{EligibilityAnswer, Inquiry, InquiryPerson};
use crate::domain::names::check_client_names;
use crate::domain::payer::{Connection, CoreEnvelope, Credentials, Protocol};
use crate::domain::Invalid;
use crate::x12::{
    build_270, parse_271_batch, parse_acknowledgment, ControlNumbers, DateOrRange, Delimiters,
    Dependent270, Envelope, Gender, InformationReceiver, InformationSource, Inquiry270, PartyId,
    ServiceTypeLayout, Subscriber270, TraceNumber, Usage,
};

pub const REQUEST_PAYLOAD_TYPE: &str = "X12_270_Request_005010X279A1";
pub const RESPONSE_PAYLOAD_TYPE: &str = "X12_271_Response_005010X279A1";
/// The CORE `PayloadType` of a 999 answering a 270 the payer could not accept.
pub const ACK_999_PAYLOAD_TYPE: &str = "X12_999_Response_005010X231A1";
/// The CORE `PayloadType` of a TA1 (the rule's own spelling: `00501`, not `005010`).
pub const TA1_PAYLOAD_TYPE: &str = "X12_TA1_Response_00501X231A1";
pub const CORE_RULE_VERSION: &str = "2.2.0";

pub struct X12Adapter {
    connection: Connection,
    transport: Transport,
}

impl X12Adapter {
    pub fn new(connection: Connection, transport: Transport) -> X12Adapter {
        X12Adapter {
            connection,
            transport,
        }
    }

    fn sender(&self) -> String {
        self.connection
            .sender_id
            .clone()
            .unwrap_or_else(|| "PERDIEM".to_string())
    }

    /// The SOAP envelope to send, and the one to keep for the record: the same but for the
    /// password, masked.
    fn soap_request(&self, fields: &[(&'static str, String)]) -> (String, String) {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let token = match &self.connection.credentials {
            Credentials::Basic { username, password } => {
                Some(UsernameToken::new(username, password))
            }
            _ => None,
        };
        let message = core_soap::Message::RealTimeRequest;
        let sent = core_soap::write(message, &fields, token.as_ref());
        let masked = token.as_ref().map(UsernameToken::masked);
        (sent, core_soap::write(message, &fields, masked.as_ref()))
    }

    fn receiver(&self, inquiry: &Inquiry) -> String {
        self.connection
            .receiver_id
            .clone()
            .unwrap_or_else(|| inquiry.payer_edi_id.chars().take(15).collect::<String>())
    }
}

/// Refuses, naming each field, a client's or policy holder's name that a 270 cannot carry when
/// `connection` speaks X12: one stored before names were checked where they are entered (in
/// Cyrillic, say). Sent with its letters dropped, the inquiry would ask about somebody else;
/// JSON and FHIR carry names as stored, so nothing is refused for them.
pub fn check_names(
    connection: &Connection,
    client: &NewClient,
    coverage: &NewCoverage,
) -> Result<(), Invalid> {
    if connection.protocol != Protocol::X12 {
        return Ok(());
    }
    check_client_names(client, coverage.subscriber.as_ref())
}

fn gender(person: &InquiryPerson) -> Option<Gender> {
    match person.sex.as_deref() {
        Some("F") => Some(Gender::Female),
        Some("M") => Some(Gender::Male),
        // The X279A1 270 has no code for unknown: DMG03 is left out.
        _ => None,
    }
}

/// The 270 for an inquiry.
pub fn build_request(
    inquiry: &Inquiry,
    sender: &str,
    receiver: &str,
) -> Result<String, PayerError> {
    let control = inquiry.control_number.clamp(1, 999_999_999);
    let subscriber = &inquiry.subscriber;
    let request = Inquiry270 {
        envelope: Envelope {
            sender: PartyId {
                qualifier: "ZZ".into(),
                id: sender.to_string(),
            },
            receiver: PartyId {
                qualifier: "ZZ".into(),
                id: receiver.to_string(),
            },
            application_sender: None,
            application_receiver: None,
            usage: Usage::Production,
            ack_requested: false,
            control_numbers: ControlNumbers {
                interchange: control,
                group: control,
                transaction_set: 1,
            },
            timestamp: Utc::now().naive_utc(),
            delimiters: Delimiters::STANDARD,
        },
        reference: inquiry.trace.chars().take(50).collect(),
        source: InformationSource {
            payer_name: inquiry.payer_name.clone(),
            payer_id: inquiry.payer_edi_id.clone(),
        },
        receiver: InformationReceiver {
            name: inquiry.provider_name.clone(),
            npi: inquiry.provider_npi.clone(),
        },
        subscriber: Subscriber270 {
            last_name: subscriber.last_name.clone(),
            first_name: subscriber.first_name.clone(),
            member_id: inquiry.member_id.clone(),
            birth_date: Some(subscriber.date_of_birth),
            gender: gender(subscriber),
        },
        dependent: inquiry.dependent.as_ref().map(|patient| Dependent270 {
            last_name: patient.last_name.clone(),
            first_name: patient.first_name.clone(),
            birth_date: Some(patient.date_of_birth),
            gender: gender(patient),
        }),
        trace: TraceNumber {
            reference: inquiry.trace.chars().take(50).collect(),
            // TRN03: "1" followed by the originator's EIN.
            originator_id: format!("1{}", inquiry.provider_tax_id),
        },
        service_date: Some(DateOrRange::Single(inquiry.service_date)),
        service_types: inquiry.service_types.clone(),
        // One EQ per code: legal 005010 and what the oracle accepts (it has no repetition).
        service_type_layout: ServiceTypeLayout::OneEqPerCode,
    };
    build_270(&request).map_err(|e| PayerError::Request(e.to_string()))
}

/// The named fields of a `multipart/form-data` body.
async fn form_fields(
    content_type: &str,
    body: bytes::Bytes,
) -> Result<Vec<(String, String)>, PayerError> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| PayerError::Unparseable("the answer is not multipart/form-data".into()))?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| PayerError::Unparseable(format!("bad multipart answer: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let text = field
            .text()
            .await
            .map_err(|e| PayerError::Unparseable(format!("bad multipart field: {e}")))?;
        fields.push((name, text));
    }
    Ok(fields)
}

/// Reads a CORE multipart answer (HTTP 2xx); see [`read_envelope`]. Of a batch 271, the
/// member answering `inquiry` is read, found by its trace.
pub async fn read_response(
    content_type: &str,
    body: bytes::Bytes,
    inquiry: &Inquiry,
) -> Result<EligibilityAnswer, PayerError> {
    let fields = form_fields(content_type, body).await?;
    read_envelope(
        |name| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, value)| value.as_str())
        },
        inquiry,
    )
}

/// Reads a CORE SOAP answer. Its HTTP status keeps the meaning it has in the multipart form (a
/// 401 is our credentials, a 5xx the payer's health), except that a fault the payer blames on
/// our message (SOAP 1.2 `Sender`, sent with 400, or with 500 by older toolkits) is an envelope
/// refusal with the fault's reason, like a non-`Success` `ErrorCode`.
pub fn read_soap_response(
    status: u16,
    body: &[u8],
    inquiry: &Inquiry,
) -> Result<EligibilityAnswer, PayerError> {
    let success = (200..300).contains(&status);
    if !success && status != 400 && status != 500 {
        return Err(PayerError::HttpStatus(status));
    }
    match core_soap::read(body) {
        Ok(Soap::Fault(fault)) if success || status == 400 || fault.is_senders() => {
            Err(PayerError::Envelope(fault.to_string()))
        }
        Ok(Soap::Envelope(envelope)) if success => {
            read_envelope(|name| envelope.field(name), inquiry)
        }
        Err(reason) if success => Err(PayerError::Unparseable(reason)),
        _ => Err(PayerError::HttpStatus(status)),
    }
}

/// Reads a CORE envelope answer, whichever form carried it (`field` gives each field's value):
/// its `ErrorCode` must be `Success`, and then its `Payload` is read by [`read_payload`].
fn read_envelope<'a>(
    field: impl Fn(&str) -> Option<&'a str>,
    inquiry: &Inquiry,
) -> Result<EligibilityAnswer, PayerError> {
    let code = field("ErrorCode").unwrap_or("Success");
    if code != "Success" {
        let message = field("ErrorMessage").unwrap_or("");
        return Err(PayerError::Envelope(
            format!("{code} {message}").trim().to_string(),
        ));
    }
    let payload_type = field("PayloadType")
        .ok_or_else(|| PayerError::Unparseable("no PayloadType in the answer".into()))?;
    read_payload(payload_type, field("Payload"), inquiry)
}

/// The answer in an accepted envelope, from its `PayloadType` and `Payload`: a 271. A 999 or TA1
/// in its place (by `PayloadType` or by content) fails the attempt as
/// [`PayerError::Acknowledgment`], accepted or not: either way there is no 271 to read.
pub fn read_payload(
    payload_type: &str,
    payload: Option<&str>,
    inquiry: &Inquiry,
) -> Result<EligibilityAnswer, PayerError> {
    if matches!(payload_type, ACK_999_PAYLOAD_TYPE | TA1_PAYLOAD_TYPE) {
        let payload =
            payload.ok_or_else(|| PayerError::Unparseable("no Payload in the answer".into()))?;
        return Err(match parse_acknowledgment(payload.as_bytes()) {
            Ok(ack) => PayerError::Acknowledgment(ack.summary()),
            Err(e) => PayerError::Unparseable(format!("the {payload_type} payload: {e}")),
        });
    }
    if payload_type != RESPONSE_PAYLOAD_TYPE {
        // Some payers label a 999 or TA1 as something else: what it is decides, not its label.
        return Err(payload.and_then(acknowledgment).unwrap_or_else(|| {
            PayerError::Envelope(format!("expected a 271, the payer sent {payload_type}"))
        }));
    }
    let payload =
        payload.ok_or_else(|| PayerError::Unparseable("no Payload in the answer".into()))?;
    // A batch 271 answers other members too: ours is found by the trace we sent.
    match parse_271_batch(payload.as_bytes()) {
        Ok(members) => x12_map::answer_for_trace(&members, &inquiry.trace),
        // A 999 or TA1 sent as a 271: read only once the 271 reading failed, so a real 271
        // costs nothing more.
        Err(e) => {
            Err(acknowledgment(payload).unwrap_or_else(|| PayerError::Unparseable(e.to_string())))
        }
    }
}

/// The failure a payload that is in fact a 999 or TA1 stands for; `None` when it is not one.
fn acknowledgment(payload: &str) -> Option<PayerError> {
    parse_acknowledgment(payload.as_bytes())
        .ok()
        .map(|ack| PayerError::Acknowledgment(ack.summary()))
}

/// The CORE envelope's fields for a real-time 270, in the rule's order: the same in both forms.
fn request_fields(sender: String, receiver: String, payload: &str) -> [(&'static str, String); 8] {
    [
        ("PayloadType", REQUEST_PAYLOAD_TYPE.to_string()),
        ("ProcessingMode", "RealTime".to_string()),
        ("PayloadID", uuid::Uuid::new_v4().to_string()),
        (
            "TimeStamp",
            Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
        ("SenderID", sender),
        ("ReceiverID", receiver),
        ("CORERuleVersion", CORE_RULE_VERSION.to_string()),
        ("Payload", payload.to_string()),
    ]
}

/// A `multipart/form-data` body (RFC 7578) of text fields, built whole, so that it goes with its
/// length in one buffer: `reqwest::multipart::Form` streams each part as several chunks. Measured
/// with scripts/bench-http's verification CPU, alternating binaries: about 7 % less CPU per
/// verification in perdiem (and about as much less in the mock payer that reads it).
fn form_data<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)]) -> (String, Vec<u8>) {
    // A random boundary, as reqwest's: 32 hex digits cannot occur in an X12 payload by chance.
    let boundary = uuid::Uuid::new_v4().simple().to_string();
    let mut body = Vec::with_capacity(
        fields
            .iter()
            .map(|(n, v)| n.as_ref().len() + v.as_ref().len() + 90)
            .sum::<usize>()
            + 40,
    );
    for (name, value) in fields {
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        body.extend_from_slice(name.as_ref().as_bytes());
        body.extend_from_slice(b"\"\r\n\r\n");
        body.extend_from_slice(value.as_ref().as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl PayerAdapter for X12Adapter {
    fn inquire<'a>(&'a self, inquiry: &'a Inquiry) -> BoxFuture<'a, Attempt> {
        Box::pin(async move {
            let sender = self.sender();
            let receiver = self.receiver(inquiry);
            let payload = match build_request(inquiry, &sender, &receiver) {
                Ok(payload) => payload,
                Err(error) => return Attempt::failed(String::new(), error),
            };
            let fields = request_fields(sender, receiver, &payload);
            let envelope = self.connection.envelope.unwrap_or_default();
            let timeout = self.connection.timeout_seconds;
            let (request, record) = match envelope {
                CoreEnvelope::Multipart => {
                    let (content_type, body) = form_data(&fields);
                    match self.transport.post(&self.connection).await {
                        Ok(request) => (
                            request
                                .header(reqwest::header::CONTENT_TYPE, content_type)
                                .body(body),
                            payload,
                        ),
                        Err(error) => return Attempt::failed(payload, error),
                    }
                }
                CoreEnvelope::Soap => {
                    let (sent, record) = self.soap_request(&fields);
                    match self
                        .transport
                        .post_with_basic_in_message(&self.connection)
                        .await
                    {
                        Ok(request) => (
                            request
                                .header(reqwest::header::CONTENT_TYPE, core_soap::CONTENT_TYPE)
                                .body(sent),
                            record,
                        ),
                        Err(error) => return Attempt::failed(record, error),
                    }
                }
            };
            let response = match request.send().await {
                Ok(response) => response,
                Err(error) => return Attempt::failed(record, classify(&error, timeout)),
            };
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(error) => {
                    let mut attempt = Attempt::failed(record, classify(&error, timeout));
                    attempt.http_status = Some(status);
                    return attempt;
                }
            };
            let raw = super::raw_body(&body);
            let outcome = match envelope {
                CoreEnvelope::Soap => read_soap_response(status, &body, inquiry),
                CoreEnvelope::Multipart if (200..300).contains(&status) => {
                    read_response(&content_type, body, inquiry).await
                }
                CoreEnvelope::Multipart => Err(PayerError::HttpStatus(status)),
            };
            Attempt {
                request: record,
                http_status: Some(status),
                response: Some(raw),
                outcome,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::eligibility::EligibilityAnswer;

    /// The form built whole reads back, field by field and in order, as the one reqwest built
    /// (the mock payer and CORE servers read it with a multipart parser like this one).
    #[tokio::test]
    async fn a_form_built_whole_reads_back_field_by_field() {
        let payload = build_request(&inquiry(true), "SENDER", "RECEIVER").unwrap();
        let fields = request_fields("SENDER".into(), "RECEIVER".into(), &payload);
        let (content_type, body) = form_data(&fields);
        assert!(content_type.starts_with("multipart/form-data; boundary="));
        let read = form_fields(&content_type, bytes::Bytes::from(body))
            .await
            .unwrap();
        let sent: Vec<(String, String)> = fields
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        assert_eq!(read, sent);
        assert_eq!(read[7], ("Payload".to_string(), payload));
    }

    fn inquiry(dependent: bool) -> Inquiry {
        let person = |first: &str, born: (i32, u32, u32), sex: &str| InquiryPerson {
            first_name: first.into(),
            last_name: "O'Neil".into(),
            date_of_birth: NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(),
            sex: Some(sex.into()),
        };
        Inquiry {
            trace: "0194f1d26a4e7c1b9a532d2f5c9e8a10-2".into(),
            control_number: 42,
            payer_name: "Blue Cross Blue Shield of Texas".into(),
            payer_edi_id: "84980".into(),
            provider_name: "Sunrise Behavioral Health LLC".into(),
            provider_npi: "1234567893".into(),
            provider_tax_id: "123456789".into(),
            member_id: "XYZ987654321".into(),
            group_number: None,
            subscriber: person("Linh", (1978, 5, 20), "F"),
            dependent: dependent.then(|| person("Casey", (2007, 9, 2), "U")),
            service_types: vec!["BB".into()],
            service_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        }
    }

    #[test]
    fn the_270s_we_send_pass_the_x12_oracle() {
        for dependent in [false, true] {
            let x12 = build_request(&inquiry(dependent), "CLINIC01", "84980").unwrap();
            assert!(x12.starts_with("ISA*00*"));
            assert!(x12.contains("~EQ*BB~"), "{x12}");
            assert!(
                x12.contains("TRN*1*0194f1d26a4e7c1b9a532d2f5c9e8a10-2*1123456789"),
                "{x12}"
            );
            if let Some((ok, report)) = crate::oracles::check("x12-check", "inquiry.x12", &x12) {
                assert!(ok, "dependent={dependent}: {report}\n{x12}");
            }
        }
    }

    #[test]
    fn an_unknown_sex_is_left_out_of_the_270() {
        let x12 = build_request(&inquiry(true), "CLINIC01", "84980").unwrap();
        // The dependent (sex U) gets a DMG without DMG03; the subscriber keeps F.
        assert!(x12.contains("DMG*D8*19780520*F~"), "{x12}");
        assert!(x12.contains("DMG*D8*20070902~"), "{x12}");
    }

    async fn answer(payload_type: &str, payload: &str) -> Result<(), PayerError> {
        let (content_type, body) = crate::mock_payer::core_envelope::form_body(&[
            ("PayloadType", payload_type),
            ("ErrorCode", "Success"),
            ("Payload", payload),
        ]);
        read_response(&content_type, body.into(), &inquiry(false))
            .await
            .map(|_| ())
    }

    const REJECTED_999: &str = include_str!("../../fixtures/x12/999_rejected.x12");
    const ACCEPTED_999: &str = include_str!("../../fixtures/x12/999_accepted.x12");
    const REJECTED_TA1: &str = include_str!("../../fixtures/x12/ta1_rejected.x12");
    const ACTIVE_271: &str = include_str!("../../fixtures/x12/271_active_ppo.x12");

    fn acknowledged(result: Result<(), PayerError>) -> String {
        match result {
            Err(error @ PayerError::Acknowledgment(_)) => {
                assert_eq!(error.kind(), "acknowledgment");
                assert!(!error.is_transient(), "the same 270 gets the same answer");
                assert!(!error.counts_against_payer(), "our 270 is at fault");
                error.to_string()
            }
            other => panic!("not an acknowledgment: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_999_or_ta1_fails_the_attempt_with_its_summary() {
        let detail = acknowledged(answer(ACK_999_PAYLOAD_TYPE, REJECTED_999).await);
        assert!(detail.starts_with("the payer rejected the 270"), "{detail}");
        assert!(
            detail.contains("required data element missing in NM109"),
            "{detail}"
        );
        let detail = acknowledged(answer(TA1_PAYLOAD_TYPE, REJECTED_TA1).await);
        assert!(detail.contains("note 006"), "{detail}");
        assert!(detail.contains("invalid interchange sender id"), "{detail}");
        let detail = acknowledged(answer(ACK_999_PAYLOAD_TYPE, ACCEPTED_999).await);
        assert!(detail.contains("accepted the 270"), "{detail}");
        assert!(detail.contains("sent no 271"), "{detail}");
    }

    #[tokio::test]
    async fn an_acknowledgment_is_known_by_its_content_whatever_its_label() {
        let detail = acknowledged(answer(RESPONSE_PAYLOAD_TYPE, REJECTED_999).await);
        assert!(detail.contains("NM109"), "{detail}");
        let detail = acknowledged(answer("X12_999_Response", REJECTED_TA1).await);
        assert!(detail.contains("TA1 R"), "{detail}");
    }

    fn soap_answer(status: u16, fields: &[(&str, &str)]) -> Result<(), PayerError> {
        let xml = core_soap::write(core_soap::Message::RealTimeResponse, fields, None);
        read_soap_response(status, xml.as_bytes(), &inquiry(false)).map(|_| ())
    }

    #[tokio::test]
    async fn the_soap_form_carries_the_same_answers_as_the_multipart_form() {
        let cases = [
            (RESPONSE_PAYLOAD_TYPE, ACTIVE_271),
            (ACK_999_PAYLOAD_TYPE, REJECTED_999),
            (TA1_PAYLOAD_TYPE, REJECTED_TA1),
            (ACK_999_PAYLOAD_TYPE, ACCEPTED_999),
            (RESPONSE_PAYLOAD_TYPE, REJECTED_999),
            (RESPONSE_PAYLOAD_TYPE, "ISA*garbage~"),
            ("X12_277_Response_005010X212", ACTIVE_271),
        ];
        for (payload_type, payload) in cases {
            let multipart = answer(payload_type, payload).await;
            let soap = soap_answer(
                200,
                &[
                    ("PayloadType", payload_type),
                    ("ErrorCode", "Success"),
                    ("Payload", payload),
                ],
            );
            assert_eq!(soap, multipart, "{payload_type}");
        }
    }

    #[test]
    fn a_soap_error_code_or_sender_fault_is_an_envelope_refusal() {
        assert_eq!(
            soap_answer(
                200,
                &[
                    ("PayloadType", "CoreEnvelopeError"),
                    ("ErrorCode", "VersionMismatch"),
                    ("ErrorMessage", "CORERuleVersion must be 2.2.0"),
                ]
            ),
            Err(PayerError::Envelope(
                "VersionMismatch CORERuleVersion must be 2.2.0".into()
            ))
        );
        for status in [200, 400, 500] {
            let fault = core_soap::write_fault("Sender", None, "Payload is not X12");
            assert_eq!(
                read_soap_response(status, fault.as_bytes(), &inquiry(false)).map(|_| ()),
                Err(PayerError::Envelope(
                    "SOAP fault Sender: Payload is not X12".into()
                )),
                "{status}"
            );
        }
    }

    #[test]
    fn the_http_status_of_a_soap_answer_keeps_its_meaning() {
        // The payer's own trouble stays a 5xx: retried, and counted toward its circuit.
        let down = core_soap::write_fault("Receiver", None, "back end unavailable");
        assert_eq!(
            read_soap_response(500, down.as_bytes(), &inquiry(false)).map(|_| ()),
            Err(PayerError::HttpStatus(500))
        );
        // A refused password is a 401 in either form, whatever fault comes with it.
        let refused = core_soap::write_fault("Sender", Some("FailedAuthentication"), "no");
        assert_eq!(
            read_soap_response(401, refused.as_bytes(), &inquiry(false)).map(|_| ()),
            Err(PayerError::HttpStatus(401))
        );
        assert_eq!(
            read_soap_response(503, b"<html>busy</html>", &inquiry(false)).map(|_| ()),
            Err(PayerError::HttpStatus(503))
        );
        assert_eq!(
            read_soap_response(400, b"Bad Request", &inquiry(false)).map(|_| ()),
            Err(PayerError::HttpStatus(400))
        );
        assert!(matches!(
            read_soap_response(200, b"\x00\x1b<html>Gateway", &inquiry(false)),
            Err(PayerError::Unparseable(_))
        ));
    }

    /// Our answer in a 271 payload, for an inquiry with `trace`.
    async fn read(payload: &str, trace: &str) -> Result<EligibilityAnswer, PayerError> {
        let (content_type, body) = crate::mock_payer::core_envelope::form_body(&[
            ("PayloadType", RESPONSE_PAYLOAD_TYPE),
            ("ErrorCode", "Success"),
            ("Payload", payload),
        ]);
        let mut inquiry = inquiry(false);
        inquiry.trace = trace.into();
        read_response(&content_type, body.into(), &inquiry).await
    }

    #[tokio::test]
    async fn a_271_as_files_arrive_reads_like_a_plain_one() {
        let plain = read(ACTIVE_271, "VOB0501").await.unwrap();
        let crlf = ACTIVE_271.replace('\n', "\r\n");
        for payload in [format!("\u{FEFF}{crlf}"), format!("\r\n\r\n{crlf}")] {
            assert_eq!(read(&payload, "VOB0501").await.as_ref(), Ok(&plain));
        }
    }

    #[tokio::test]
    async fn from_a_batch_271_ours_is_read_by_its_trace() {
        const BATCH: &str =
            include_str!("../../fixtures/realworld/271/kartik_gainwell_271_redacted_batch.edi");
        let ours = read(BATCH, "TRACE000077").await.unwrap();
        let about = ours.answered_for.as_ref().unwrap();
        assert_eq!(
            (about.traces.as_slice(), about.member_id.as_deref()),
            (&["TRACE000077".to_string()][..], Some("SUB000077"))
        );
        assert_eq!(
            ours.notes,
            [
                "the payer's answer held 152 other members' answers; they were set aside (not \
              this inquiry's trace)"
            ]
        );
        assert_eq!(
            read(BATCH, "0194f1d26a4e7c1b9a532d2f5c9e8a10-2").await,
            Err(PayerError::Mismatch(
                "the payer's batch answer of 153 members holds none with our trace number \
                 0194f1d26a4e7c1b9a532d2f5c9e8a10-2"
                    .into()
            ))
        );
    }

    #[tokio::test]
    async fn other_answers_keep_their_kinds() {
        assert!(answer(RESPONSE_PAYLOAD_TYPE, ACTIVE_271).await.is_ok());
        assert!(matches!(
            answer(ACK_999_PAYLOAD_TYPE, "ISA*garbage~").await,
            Err(PayerError::Unparseable(_))
        ));
        assert!(matches!(
            answer(RESPONSE_PAYLOAD_TYPE, "ISA*garbage~").await,
            Err(PayerError::Unparseable(_))
        ));
        assert_eq!(
            answer("X12_277_Response_005010X212", ACTIVE_271).await,
            Err(PayerError::Envelope(
                "expected a 271, the payer sent X12_277_Response_005010X212".into()
            ))
        );
    }
}
