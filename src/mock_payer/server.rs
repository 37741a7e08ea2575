//! The HTTP side: one actix-web app serving the three protocols, applying each scenario's
//! fault, and counting requests per member id.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use actix_web::http::header::{ContentType, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::json;
use tokio::sync::watch;

use super::core_envelope::{
    self, CoreRequest, EnvelopeError, CORE_RULE_VERSION, PAYLOAD_TYPE_271, PAYLOAD_TYPE_999,
    PAYLOAD_TYPE_ERROR, PAYLOAD_TYPE_TA1, PROCESSING_MODE, SUCCESS,
};
use super::inquiry::{self, Asked, Unreadable};
use super::remittance::{
    render_835, BilledClaim, ClaimJson, Payee, RemitError, RemitScenario, Remittance,
};
use super::render_ack::{member_id_refused, render_999, render_ta1};
use super::render_fhir::render_fhir;
use super::render_json::render_json;
use super::render_x12::render_271;
use super::scenario::{FaultKind, Scenario, Scenarios};
use super::BasicCredentials;
use crate::domain::organization::Npi;
use crate::payers::core_soap::{self, Soap};
use crate::x12::{ControlNumbers, Delimiters, Envelope, Interchange, PartyId, Usage};

/// How long the `timeout` fault holds a request: longer than any sane client timeout (CORE
/// asks clients to wait 60 s at most). The server's shutdown ends it early.
pub const NO_ANSWER_FOR: Duration = Duration::from_secs(120);
/// The `latency` fault's wait when the scenario names none.
pub const DEFAULT_LATENCY: Duration = Duration::from_millis(300);

/// What every request handler shares.
pub(crate) struct State {
    pub(crate) scenarios: Scenarios,
    pub(crate) counts: Mutex<HashMap<String, usize>>,
    control: AtomicU32,
    shutdown: watch::Receiver<bool>,
    credentials: Option<BasicCredentials>,
}

impl State {
    pub(crate) fn new(
        scenarios: Scenarios,
        shutdown: watch::Receiver<bool>,
        credentials: Option<BasicCredentials>,
    ) -> State {
        State {
            scenarios,
            counts: Mutex::new(HashMap::new()),
            control: AtomicU32::new(0),
            shutdown,
            credentials,
        }
    }

    /// The 401 for a request without the configured credentials in its `Authorization: Basic`
    /// header; `None` when it may go on (or no credentials are configured).
    fn refuse_basic(&self, request: &HttpRequest) -> Option<HttpResponse> {
        let expected = self.credentials.as_ref()?;
        let sent = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|encoded| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()
            })
            .and_then(|decoded| String::from_utf8(decoded).ok());
        let matches = sent.as_deref().and_then(|s| s.split_once(':'))
            == Some((expected.username.as_str(), expected.password.as_str()));
        (!matches).then(|| {
            HttpResponse::Unauthorized()
                .insert_header(("WWW-Authenticate", "Basic realm=\"mock payer\""))
                .content_type(ContentType::plaintext())
                .body("mock payer: wrong or missing credentials")
        })
    }

    /// Counts the request and returns the answer for the member, without its fault once the
    /// fault's `first_calls` are spent.
    fn record(&self, member_id: &str) -> Scenario {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = counts.entry(member_id.to_string()).or_insert(0);
        *count += 1;
        let mut scenario = self.scenarios.answer_for(member_id);
        scenario.fault = scenario.fault.filter(|fault| fault.applies_to(*count));
        scenario
    }

    /// ISA13/GS06/ST02 of the next 271: 1, 2, 3, … wrapping within 9 digits.
    fn next_control_number(&self) -> u32 {
        self.control.fetch_add(1, Ordering::Relaxed) % 999_999_999 + 1
    }
}

/// The CORE envelope a 270 came in; its answer goes back in the same one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Multipart,
    Soap,
}

/// A SOAP answer's content type (the request's `action` names the operation; an answer needs
/// none).
const SOAP_ANSWER: &str = "application/soap+xml; charset=utf-8";

#[derive(Clone, Copy)]
enum Protocol {
    X12(Form),
    Json,
    Fhir,
}

impl Protocol {
    fn content_type(self) -> &'static str {
        match self {
            // The real boundary is unknown to a client reading garbage; any will do.
            Protocol::X12(Form::Multipart) => "multipart/form-data; boundary=mock-payer-garbage",
            Protocol::X12(Form::Soap) => SOAP_ANSWER,
            Protocol::Json => "application/json",
            Protocol::Fhir => "application/fhir+json",
        }
    }
}

/// Applies the scenario's fault before the answer: waits (latency), or answers instead of the
/// payer (HTTP 500, garbage, or nothing until the timeout or shutdown). `None`: go on and
/// answer (a truncated answer is cut after rendering).
async fn fault(state: &State, scenario: &Scenario, protocol: Protocol) -> Option<HttpResponse> {
    let fault = scenario.fault?;
    match fault.kind {
        FaultKind::Latency => {
            let wait = fault
                .latency_ms
                .map_or(DEFAULT_LATENCY, Duration::from_millis);
            tokio::time::sleep(wait).await;
            None
        }
        FaultKind::Http500 => Some(
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body("mock payer: internal server error"),
        ),
        FaultKind::Timeout => {
            let mut shutdown = state.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(NO_ANSWER_FOR) => {}
                // Either the flag is raised or the sender is gone: the server is stopping.
                _ = shutdown.wait_for(|stopping| *stopping) => {}
            }
            Some(
                HttpResponse::ServiceUnavailable()
                    .content_type(ContentType::plaintext())
                    .body("mock payer: no answer"),
            )
        }
        FaultKind::Garbage => Some(
            HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, protocol.content_type()))
                .body(&b"\x00\x1b\xff\xfe<html><body>Gateway says: \x80\x81 }{ ISA*"[..]),
        ),
        FaultKind::Truncated => None,
        // X12 answers these with an acknowledgment (in `x12`); the JSON and FHIR protocols have
        // none, and refuse the request the way they refuse one they cannot read.
        FaultKind::Reject999 | FaultKind::RejectTa1 => match protocol {
            Protocol::X12(_) => None,
            Protocol::Json => Some(HttpResponse::BadRequest().json(json!({
                "errors": [{"code": "400", "description": "the payer refused the request"}]
            }))),
            Protocol::Fhir => Some(
                HttpResponse::BadRequest()
                    .insert_header((CONTENT_TYPE, Protocol::Fhir.content_type()))
                    .body(
                        json!({
                            "resourceType": "OperationOutcome",
                            "issue": [{"severity": "error", "code": "invalid",
                                       "diagnostics": "the payer refused the request"}]
                        })
                        .to_string(),
                    ),
            ),
        },
    }
}

fn truncated(scenario: &Scenario) -> bool {
    scenario.fault.map(|f| f.kind) == Some(FaultKind::Truncated)
}

/// Cuts `bytes` about halfway, never right after a segment terminator (so a 271 ends in the
/// middle of a segment).
fn cut(bytes: &[u8], terminator: Option<u8>) -> Vec<u8> {
    let mut at = bytes.len() / 2;
    while at > 0 && at < bytes.len() && terminator.is_some_and(|t| bytes.get(at - 1) == Some(&t)) {
        at += 1;
    }
    bytes.get(..at).unwrap_or_default().to_vec()
}

/// `POST /x12`: a CORE 270 in, a CORE 271 out, in the envelope it came in: SOAP 1.2 when the
/// content type is `application/soap+xml`, multipart otherwise.
pub(crate) async fn x12(
    state: web::Data<State>,
    request: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let form = if core_soap::is_soap(&content_type) {
        Form::Soap
    } else {
        Form::Multipart
    };
    let fields = match form {
        Form::Soap => match soap_request(&state, &body) {
            Ok(fields) => fields,
            Err(refusal) => return refusal.response(),
        },
        Form::Multipart => {
            if let Some(refused) = state.refuse_basic(&request) {
                return refused;
            }
            match core_envelope::read_form(&content_type, body).await {
                Ok(fields) => fields,
                Err(_) => {
                    return HttpResponse::BadRequest()
                        .content_type(ContentType::plaintext())
                        .body("expected a CORE multipart/form-data or SOAP 1.2 envelope")
                }
            }
        }
    };
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let envelope_error = |error: EnvelopeError| {
        let message = error.message();
        core_response(
            form,
            &[
                ("PayloadType", PAYLOAD_TYPE_ERROR),
                ("ProcessingMode", PROCESSING_MODE),
                ("PayloadID", field("PayloadID")),
                ("TimeStamp", &now()),
                ("SenderID", field("ReceiverID")),
                ("ReceiverID", field("SenderID")),
                ("CORERuleVersion", CORE_RULE_VERSION),
                ("ErrorCode", error.code()),
                ("ErrorMessage", &message),
            ],
        )
    };
    let core = match core_envelope::check(&fields) {
        Ok(core) => core,
        Err(error) => return envelope_error(error),
    };
    let interchange = match Interchange::parse(core.payload.as_bytes()) {
        Ok(interchange) => interchange,
        Err(_) => {
            return envelope_error(EnvelopeError::PayloadIllegal(
                "not a readable X12 interchange",
            ))
        }
    };
    let envelope = reply_envelope(&interchange, state.next_control_number());
    let acknowledged = |payload_type: &str, ack: Result<String, _>| match ack {
        Ok(ack) => payload_response(form, &core, payload_type, &ack),
        Err(_) => HttpResponse::InternalServerError()
            .content_type(ContentType::plaintext())
            .body("mock payer: the acknowledgment cannot be written"),
    };
    let asked = match inquiry::from_270(&interchange) {
        Ok(asked) => asked,
        Err(Unreadable::NotOne270(reason)) => {
            return envelope_error(EnvelopeError::PayloadIllegal(reason))
        }
        Err(Unreadable::Segment(bad)) => {
            return acknowledged(PAYLOAD_TYPE_999, render_999(&interchange, &bad, &envelope))
        }
    };
    let scenario = state.record(&asked.member_id);
    if let Some(response) = fault(&state, &scenario, Protocol::X12(form)).await {
        return response;
    }
    match scenario.fault.map(|f| f.kind) {
        Some(FaultKind::Reject999) => {
            let bad = member_id_refused(&interchange);
            return acknowledged(PAYLOAD_TYPE_999, render_999(&interchange, &bad, &envelope));
        }
        Some(FaultKind::RejectTa1) => {
            // TA105 006: invalid interchange sender id.
            return acknowledged(PAYLOAD_TYPE_TA1, render_ta1(&interchange, "006", &envelope));
        }
        _ => {}
    }
    let Ok(x12) = render_271(&scenario, &asked, &envelope) else {
        return HttpResponse::InternalServerError()
            .content_type(ContentType::plaintext())
            .body("mock payer: the scenario cannot be written as a 271");
    };
    let payload = if truncated(&scenario) {
        let terminator = u8::try_from(interchange.delimiters.segment()).ok();
        let cut_bytes = cut(x12.as_bytes(), terminator);
        String::from_utf8_lossy(&cut_bytes).into_owned()
    } else {
        x12
    };
    payload_response(form, &core, PAYLOAD_TYPE_271, &payload)
}

/// Why a SOAP request was refused before its envelope was checked, answered as a `Sender`
/// fault: HTTP 400, or 401 for wrong or missing credentials.
struct SoapRefusal {
    status: StatusCode,
    subcode: Option<&'static str>,
    reason: String,
}

impl SoapRefusal {
    fn bad_request(reason: impl Into<String>) -> SoapRefusal {
        SoapRefusal {
            status: StatusCode::BAD_REQUEST,
            subcode: None,
            reason: reason.into(),
        }
    }

    fn response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .insert_header((CONTENT_TYPE, SOAP_ANSWER))
            .body(core_soap::write_fault("Sender", self.subcode, &self.reason))
    }
}

/// The fields of a SOAP 1.2 CORE request, by name (the last wins on repeats, as in a form),
/// once its UsernameToken holds the configured credentials.
fn soap_request(state: &State, body: &[u8]) -> Result<BTreeMap<String, String>, SoapRefusal> {
    let envelope = match core_soap::read(body).map_err(SoapRefusal::bad_request)? {
        Soap::Envelope(envelope) if envelope.message == core_soap::Message::RealTimeRequest => {
            envelope
        }
        _ => {
            return Err(SoapRefusal::bad_request(
                "expected a COREEnvelopeRealTimeRequest",
            ))
        }
    };
    if let Some(expected) = &state.credentials {
        let known = envelope
            .token
            .as_ref()
            .is_some_and(|token| token.matches(&expected.username, &expected.password));
        if !known {
            // WS-Security 1.0 §12: the fault for a token that does not authenticate.
            return Err(SoapRefusal {
                status: StatusCode::UNAUTHORIZED,
                subcode: Some("FailedAuthentication"),
                reason: "The security token could not be authenticated or authorized".into(),
            });
        }
    }
    Ok(envelope.fields.into_iter().collect())
}

/// An accepted envelope carrying the payer's answer: a 271, or a 999 or TA1 in its place.
fn payload_response(
    form: Form,
    core: &CoreRequest,
    payload_type: &str,
    payload: &str,
) -> HttpResponse {
    core_response(
        form,
        &[
            ("PayloadType", payload_type),
            ("ProcessingMode", PROCESSING_MODE),
            ("PayloadID", &core.payload_id),
            ("TimeStamp", &now()),
            // The payer answers: the roles swap.
            ("SenderID", &core.receiver_id),
            ("ReceiverID", &core.sender_id),
            ("CORERuleVersion", CORE_RULE_VERSION),
            ("ErrorCode", SUCCESS),
            ("ErrorMessage", ""),
            ("Payload", payload),
        ],
    )
}

/// A CORE answer: HTTP 200 whatever its `ErrorCode`, as the rule has it, in the request's form.
fn core_response(form: Form, fields: &[(&str, &str)]) -> HttpResponse {
    let (content_type, body) = match form {
        Form::Multipart => core_envelope::form_body(fields),
        Form::Soap => {
            let xml = core_soap::write(core_soap::Message::RealTimeResponse, fields, None);
            (SOAP_ANSWER.to_string(), xml.into_bytes())
        }
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .body(body)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The 271's ISA/GS: the 270's parties swapped, its delimiters and usage indicator kept.
fn reply_envelope(inquiry: &Interchange<'_>, control: u32) -> Envelope {
    let header = &inquiry.header;
    let group = inquiry.groups.first().map(|g| &g.header);
    Envelope {
        sender: PartyId {
            qualifier: header.receiver_qualifier.clone(),
            id: header.receiver_id.clone(),
        },
        receiver: PartyId {
            qualifier: header.sender_qualifier.clone(),
            id: header.sender_id.clone(),
        },
        application_sender: group.map(|g| g.application_receiver.clone()),
        application_receiver: group.map(|g| g.application_sender.clone()),
        usage: header.usage,
        ack_requested: false,
        control_numbers: ControlNumbers {
            interchange: control,
            group: control,
            transaction_set: control,
        },
        timestamp: Utc::now().naive_utc(),
        delimiters: inquiry.delimiters,
    }
}

/// `POST /json`: the JSON clearinghouse request in, its response out. Rejections are answers
/// (HTTP 200 with `errors[]`); only an unreadable request is a 400.
pub(crate) async fn json_route(
    state: web::Data<State>,
    request: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    if let Some(refused) = state.refuse_basic(&request) {
        return refused;
    }
    let asked = match inquiry::from_json(&body) {
        Ok(asked) => asked,
        Err(reason) => {
            return HttpResponse::BadRequest().json(json!({
                "errors": [{"code": "400", "description": reason}]
            }))
        }
    };
    answer_json(&state, asked, Protocol::Json).await
}

/// `POST /fhir/CoverageEligibilityRequest`: a FHIR request in, a `CoverageEligibilityResponse`
/// out; rejections are `outcome: error` with `error[]`, an unreadable request a 400
/// `OperationOutcome`.
pub(crate) async fn fhir_route(
    state: web::Data<State>,
    request: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    if let Some(refused) = state.refuse_basic(&request) {
        return refused;
    }
    let asked =
        match inquiry::from_fhir(&body) {
            Ok(asked) => asked,
            Err(reason) => return HttpResponse::BadRequest()
                .insert_header((CONTENT_TYPE, Protocol::Fhir.content_type()))
                .body(
                    json!({
                        "resourceType": "OperationOutcome",
                        "issue": [{"severity": "error", "code": "invalid", "diagnostics": reason}]
                    })
                    .to_string(),
                ),
        };
    answer_json(&state, asked, Protocol::Fhir).await
}

async fn answer_json(state: &State, asked: Asked, protocol: Protocol) -> HttpResponse {
    let scenario = state.record(&asked.member_id);
    if let Some(response) = fault(state, &scenario, protocol).await {
        return response;
    }
    let body = match protocol {
        Protocol::Fhir => render_fhir(&scenario, &asked, Utc::now()),
        Protocol::Json | Protocol::X12(_) => serde_json::to_vec(&render_json(&scenario, &asked)),
    };
    let Ok(body) = body else {
        return HttpResponse::InternalServerError()
            .content_type(ContentType::plaintext())
            .body("mock payer: the answer cannot be written");
    };
    let body = if truncated(&scenario) {
        cut(&body, None)
    } else {
        body
    };
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, protocol.content_type()))
        .body(body)
}

/// The query of `POST /remittances/835`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RemittanceQuery {
    scenario: Option<String>,
    payee_npi: Option<String>,
    payee_name: Option<String>,
    trace: Option<String>,
    receiver_id: Option<String>,
}

fn plain(status: StatusCode, reason: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::plaintext())
        .body(format!("mock payer: {}", reason.into()))
}

/// Reads the request's query and claims into what [`render_835`] needs, or says what is wrong.
fn remittance_request(
    query: &str,
    body: &[u8],
) -> Result<(Vec<BilledClaim>, RemittanceQuery, RemitScenario, Payee), String> {
    let q: RemittanceQuery =
        serde_urlencoded::from_str(query).map_err(|e| format!("query: {e}"))?;
    let scenario = RemitScenario::parse(q.scenario.as_deref().unwrap_or_default())
        .map_err(|reason| format!("scenario: {reason}"))?;
    let npi = Npi::parse(q.payee_npi.clone().unwrap_or_default())
        .map_err(|reason| format!("payee_npi: {reason} (the billing provider's NPI)"))?;
    let name = q
        .payee_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .ok_or("payee_name: required (the billing provider's name)")?;
    let claims: Vec<ClaimJson> = serde_json::from_slice(body).map_err(|e| {
        format!("body: a JSON list of claims as GET /api/v1/claims/{{id}} shows them: {e}")
    })?;
    let claims = claims
        .into_iter()
        .enumerate()
        .map(|(i, c)| BilledClaim::parse(i, c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    Ok((claims, q, scenario, Payee { name, npi }))
}

/// `POST /remittances/835`: the 835 the payer sends for the claims in the body under the
/// query's scenario (see `remittance.rs`).
pub(crate) async fn remittance_835(
    state: web::Data<State>,
    request: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    if let Some(refused) = state.refuse_basic(&request) {
        return refused;
    }
    let (claims, query, scenario, payee) = match remittance_request(request.query_string(), &body) {
        Ok(read) => read,
        Err(reason) => return plain(StatusCode::BAD_REQUEST, reason),
    };
    let control = state.next_control_number();
    let receiver = query
        .receiver_id
        .clone()
        .unwrap_or_else(|| payee.npi.as_str().to_string());
    let envelope = Envelope {
        sender: PartyId {
            qualifier: "ZZ".into(),
            id: "MOCKPAYER".into(),
        },
        receiver: PartyId {
            qualifier: "ZZ".into(),
            id: receiver,
        },
        application_sender: None,
        application_receiver: None,
        usage: Usage::Production,
        ack_requested: false,
        control_numbers: ControlNumbers {
            interchange: control,
            group: control,
            transaction_set: control,
        },
        timestamp: Utc::now().naive_utc(),
        delimiters: Delimiters::STANDARD,
    };
    let remittance = Remittance {
        envelope,
        payee,
        trace: query
            .trace
            .clone()
            .unwrap_or_else(|| format!("MOCKEFT{control:09}")),
        receiver: query.receiver_id.clone(),
        scenario,
        claims: &claims,
    };
    match render_835(&remittance) {
        Ok(x12) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "application/edi-x12"))
            .body(x12),
        Err(RemitError::Unpayable(reason)) => plain(StatusCode::UNPROCESSABLE_ENTITY, reason),
        Err(e) => plain(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cut_never_ends_on_a_terminator() {
        assert_eq!(cut(b"AB~CD~", Some(b'~')), b"AB~C");
        assert_eq!(cut(b"ABCDEF", Some(b'~')), b"ABC");
        assert_eq!(cut(b"{\"a\":1}", None), b"{\"a");
        assert_eq!(cut(b"", Some(b'~')), b"");
    }
}
