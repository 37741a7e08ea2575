//! The mock payer: a payer simulator for tests and the demo, speaking the three protocols perdiem
//! sends inquiries in, from scenario data keyed by member id.
//!
//! | route | protocol |
//! |---|---|
//! | `POST /x12` | CAQH CORE connectivity vC2.2.0 envelope around a 270 → 271: multipart, or SOAP 1.2 when the content type is `application/soap+xml` (answered in the form asked) |
//! | `POST /json` | the JSON clearinghouse shape (`payers::json_wire`) |
//! | `POST /fhir/CoverageEligibilityRequest` | FHIR R4 (`payers::fhir_wire`) |
//! | `POST /remittances/835?scenario=…&payee_npi=…&payee_name=…[&trace=…][&receiver_id=…]` | a JSON list of claims as perdiem's `GET /api/v1/claims/{id}` shows them → the 835 remittance the payer sends for them (`application/edi-x12`) |
//!
//! Every response carries `X-Mock-Response: true`, so nobody mistakes it for a payer's. The
//! answer depends only on the member id (an unknown one is "subscriber not found", AAA 75);
//! all rows are returned whatever service types were asked, as many payers do. A scenario's
//! fault (latency, HTTP 500, no answer, garbage, truncated, a 999 or TA1 rejection) applies on
//! every protocol, to every request or to the first `first_calls` naming the member (a payer
//! that recovers). A 270 that cannot be read is answered as a payer would: with a 999 naming the
//! segment and element at fault. A scenario may also answer about someone else (`answer_as`),
//! add a clearinghouse's trace, lay its 271 out with a byte-order mark and line breaks, or answer
//! in a batch beside other members; `scenario.rs` tabulates what each protocol can say.
//!
//! Started with [`BasicCredentials`] ([`start_with`]), it asks for them as a payer does: in the
//! `Authorization: Basic` header of multipart, JSON and FHIR requests, and in the WS-Security
//! UsernameToken of a SOAP envelope (PasswordText), answering anything else with HTTP 401 (a
//! SOAP `Sender` fault with subcode `wsse:FailedAuthentication` for SOAP). Refused requests name
//! nobody and are not counted.
//!
//! Remittances are asked for, as a test or the demo needs them: `POST /remittances/835` takes
//! the claims perdiem billed (the JSON its API shows for each) and answers the 835 a payer would
//! send for them under the named scenario — paid in full, contractual write-off with deductible
//! and coinsurance, one line or every line denied for a missing authorization, half paid, a
//! reversal, forwarded to a secondary, or with a provider-level recovery or interest. The
//! payee's NPI and name are query parameters (perdiem's claim JSON does not carry the billing
//! provider); `trace` sets TRN02 (otherwise `MOCKEFT` and a sequence number) and `receiver_id`
//! the interchange receiver and REF*EV (otherwise the payee's NPI, and no REF*EV). Every amount
//! balances: see `remittance.rs`. A request it cannot read is answered HTTP 400, a scenario the
//! claims cannot pay (the `plb` recovery exceeds what they pay) HTTP 422, each with the reason
//! in plain text.
//!
//! | file | owns |
//! |---|---|
//! | `scenario.rs` | the scenario data and its loading |
//! | `inquiry.rs` | reading what was asked from a 270, a JSON or a FHIR request |
//! | `core_envelope.rs` | the CORE multipart envelope, its checks and error codes (both forms) |
//! | `render_x12.rs`, `render_json.rs`, `render_fhir.rs` | a scenario as each protocol's answer |
//! | `render_ack.rs` | the 999 and TA1 sent instead of a 271 |
//! | `remittance.rs` | the 835 for billed claims under a remittance scenario (`paid_in_full`, `denied`, `reversal`, …) |
//! | `server.rs` | routes, faults, request counts |
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use perdiem::mock_payer::{start, Scenarios};
//! let scenarios = Scenarios::bundled().expect("the bundled scenarios load");
//! let payer = start(scenarios, "127.0.0.1", 0).await?;
//! let url = payer.url("/x12");
//! // … post 270s to `url` …
//! assert_eq!(payer.requests_for("MOCK-COPAY"), 0);
//! payer.stop().await;
//! # Ok(()) }
//! ```

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

pub mod core_envelope;
pub mod inquiry;
pub mod remittance;
pub mod render_ack;
pub mod render_fhir;
pub mod render_json;
pub mod render_x12;
pub mod scenario;
mod server;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use tokio::sync::watch;

pub use scenario::{Fault, FaultKind, Scenario, ScenarioError, Scenarios};
pub use server::{DEFAULT_LATENCY, NO_ANSWER_FOR};

use server::State;

/// The routes, for [`MockPayer::url`].
pub const X12_PATH: &str = "/x12";
pub const JSON_PATH: &str = "/json";
pub const FHIR_PATH: &str = "/fhir/CoverageEligibilityRequest";
pub const REMITTANCE_835_PATH: &str = "/remittances/835";
/// The largest claim list `POST /remittances/835` reads, in bytes.
const REMITTANCE_BODY_LIMIT: usize = 256 << 20;

/// A running mock payer. Stop it with [`MockPayer::stop`]; dropped without it, it runs until
/// the runtime that spawned it ends.
pub struct MockPayer {
    /// The port it listens on (the one the OS picked when started with port 0).
    pub port: u16,
    host: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// The username and password a mock payer started with [`start_with`] asks every request for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub username: String,
    pub password: String,
}

/// Starts the mock payer on `host:port` (port 0 picks a free port) and returns once it listens.
/// Works inside `#[tokio::test]`: the server runs on a spawned task with its own worker thread.
pub async fn start(scenarios: Scenarios, host: &str, port: u16) -> std::io::Result<MockPayer> {
    start_with(scenarios, host, port, None).await
}

/// [`start`], asking every request for `credentials` when there are some.
pub async fn start_with(
    scenarios: Scenarios,
    host: &str,
    port: u16,
    credentials: Option<BasicCredentials>,
) -> std::io::Result<MockPayer> {
    let listener = std::net::TcpListener::bind((host, port))?;
    let port = listener.local_addr()?.port();
    let (shutdown, stopping) = watch::channel(false);
    let state = Arc::new(State::new(scenarios, stopping, credentials));
    let data = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(DefaultHeaders::new().add(("X-Mock-Response", "true")))
            .route(X12_PATH, web::post().to(server::x12))
            .route(JSON_PATH, web::post().to(server::json_route))
            .route(FHIR_PATH, web::post().to(server::fhir_route))
            .service(
                web::resource(REMITTANCE_835_PATH)
                    // A month of a large clinic's claims as JSON is tens of megabytes.
                    .app_data(web::PayloadConfig::new(REMITTANCE_BODY_LIMIT))
                    .route(web::post().to(server::remittance_835)),
            )
    })
    // One worker is plenty for tests and leaves the CPU to the code under test.
    .workers(1)
    // The owner stops it (`stop`, or the binary's signal handling), not actix's own handlers.
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    Ok(MockPayer {
        port,
        host: host.to_string(),
        state,
        handle,
        shutdown,
        task,
    })
}

impl MockPayer {
    /// The URL of `path` (e.g. [`X12_PATH`]) on this server.
    pub fn url(&self, path: &str) -> String {
        let host = match self.host.as_str() {
            "0.0.0.0" => "127.0.0.1".to_string(),
            "::" => "[::1]".to_string(),
            h if h.contains(':') => format!("[{h}]"),
            h => h.to_string(),
        };
        format!("http://{host}:{}{path}", self.port)
    }

    /// How many requests named `member_id`, on all protocols together (envelope errors,
    /// unreadable requests and refused credentials name nobody and are not counted).
    pub fn requests_for(&self, member_id: &str) -> usize {
        let counts = self
            .state
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.get(member_id).copied().unwrap_or(0)
    }

    /// Stops the server: requests held by the `timeout` fault end at once, others finish.
    pub async fn stop(self) {
        // Ignored error: no receiver left means no request is waiting.
        let _ = self.shutdown.send(true);
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}
