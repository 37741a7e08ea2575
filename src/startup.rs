//! Building and running the application: database, keys, listener, middleware, routes.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpServer};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::auth::jwt::{development_key, TokenKeys};
use crate::config::Settings;
use crate::error::REQUEST_ID;
use crate::payers::Transport;
use crate::routes;
use crate::store::Db;
use crate::verification::{ControlNumbers, PayerHealth};

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub tokens: TokenKeys,
    pub settings: Settings,
    /// The one HTTP client for payers.
    pub transport: Transport,
    /// Per payer: inquiries in flight and the circuit breaker.
    pub health: PayerHealth,
    /// ISA13 numbers for the 270s this process sends.
    pub control_numbers: ControlNumbers,
}

/// How often the server moves SQLite's write-ahead log into the database file.
const CHECKPOINT_PERIOD: std::time::Duration = std::time::Duration::from_secs(1);

pub struct Application {
    port: u16,
    server: Server,
    /// The verification-batch worker and the SQLite checkpoints, stopped with the server.
    worker: tokio::task::JoinHandle<()>,
}

/// Stops a running [`Application`] from outside (tests use it to stop one mid-batch).
pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    worker: tokio::task::AbortHandle,
}

impl Stopper {
    /// Stops at once, as a crash or `kill -9` would: in-flight work is dropped, not finished.
    pub async fn stop_now(self) {
        self.worker.abort();
        self.server.stop(false).await;
    }
}

impl Application {
    /// Connects to and migrates the configured database, then binds the configured address.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let url = settings.database.url.expose_secret().to_string();
        let db = Db::connect(&url, settings.database.max_connections).await?;
        db.migrate().await?;
        Application::build_with_db(settings, db).await
    }

    /// Serves an already-migrated database (tests hand in one per test).
    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Application> {
        let secret = signing_key(&settings)?;
        let tokens = TokenKeys::new(
            &secret,
            &settings.auth.issuer,
            &settings.auth.audience,
            settings.auth.token_ttl_seconds,
        );
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let shutdown_timeout = settings.server.shutdown_timeout_seconds;
        let settings_breaker = (
            settings.verification.breaker_threshold,
            settings.verification.breaker_cooldown_seconds,
        );
        let state = web::Data::new(AppState {
            db,
            tokens,
            settings,
            transport: Transport::new()?,
            health: PayerHealth::new(settings_breaker.0, settings_breaker.1),
            control_numbers: ControlNumbers::new(),
        });
        let checkpoints = state.db.clone().checkpoint_every(CHECKPOINT_PERIOD);
        let worker = tokio::spawn({
            let state = state.clone();
            async move {
                tokio::join!(crate::batch::run(state), checkpoints);
            }
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(request_context))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .listen(listener)?
        // actix-web stops on SIGTERM/SIGINT and lets in-flight requests finish for this long.
        .shutdown_timeout(shutdown_timeout)
        .run();
        tracing::info!(port, "listening");
        Ok(Application {
            port,
            server,
            worker,
        })
    }

    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: self.server.handle(),
            worker: self.worker.abort_handle(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.worker.abort();
        result
    }
}

/// The JWT signing key: configured, or in development generated once and kept beside the
/// database (`<database file>.jwt-key`, or `perdiem.jwt-key` for PostgreSQL).
fn signing_key(settings: &Settings) -> anyhow::Result<SecretString> {
    if let Some(secret) = &settings.auth.jwt_secret {
        return Ok(secret.clone());
    }
    let url = settings.database.url.expose_secret();
    let path = sqlite_path(url)
        .map(|db| PathBuf::from(format!("{}.jwt-key", db.display())))
        .unwrap_or_else(|| PathBuf::from("perdiem.jwt-key"));
    development_key(&path)
}

fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Per request: an id (the caller's `X-Request-Id` when it is a short token, else a new UUID),
/// echoed in the response header and in every problem body; one span with the method, the
/// *route pattern* and, once known, the user id — never the raw path or query, which can carry
/// a client's name or birth date.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        route = %route,
        user_id = tracing::field::Empty,
    );
    let started = Instant::now();
    // Handlers and extractors turn their errors into responses themselves, so an `Err` here is
    // actix's own and is passed on as it is. (The request cannot be cloned to build a response
    // here: routing needs it unshared.)
    let mut response = REQUEST_ID
        .scope(request_id.clone(), next.call(req))
        .instrument(span.clone())
        .await?;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request served"
        );
    });
    Ok(response)
}
