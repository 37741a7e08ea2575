//! Building and running the application: database, keys, listener, middleware, routes.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpServer};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::auth::accounts::AccountCache;
use crate::auth::jwt::TokenKeys;
use crate::auth::password::Hashing;
use crate::config::Settings;
use crate::error::REQUEST_ID;
use crate::key_file::development_key;
use crate::metrics::Metrics;
use crate::payers::Transport;
use crate::routes;
use crate::secrets::SecretKey;
use crate::services::verification::{PayerHealth, Verifier};
pub use crate::state::AppState;
use crate::store::audit_queue::AuditQueue;
use crate::store::{payers, Db};

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
        let secrets = secret_key(&settings)?;
        migrate(&db, &secrets).await?;
        Application::serve(settings, db, secrets).await
    }

    /// Serves an already-migrated database (tests hand in one per test).
    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Application> {
        let secrets = secret_key(&settings)?;
        Application::serve(settings, db, secrets).await
    }

    async fn serve(settings: Settings, db: Db, secrets: SecretKey) -> anyhow::Result<Application> {
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
        let hashing = Hashing::new(settings.auth.hashes_at_once(), settings.auth.hash_queue());
        let secrets = Arc::new(secrets);
        let health = Arc::new(PayerHealth::new(settings_breaker.0, settings_breaker.1));
        let metrics = Arc::new(Metrics::new());
        let verifier = Verifier::new(
            db.clone(),
            secrets.clone(),
            settings.verification.clone(),
            Transport::new()?,
            health.clone(),
            metrics.clone(),
        );
        let audits = AuditQueue::start(db.clone());
        let state = web::Data::new(AppState {
            db,
            audits,
            tokens,
            accounts: AccountCache::new(),
            hashing,
            secrets,
            settings,
            verifier,
            health,
            metrics,
        });
        let checkpoints = state.db.clone().checkpoint_every(CHECKPOINT_PERIOD);
        let worker = tokio::spawn({
            let state = state.clone();
            async move {
                tokio::join!(
                    crate::services::batch::run(state.clone()),
                    crate::web::sweep::run(state),
                    checkpoints
                );
            }
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(request_context))
                .configure(routes::configure)
                // After the API: the web app's scope takes every path the API does not.
                .configure(crate::web::configure)
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

/// Brings the database up to date: the migrations, then the sealing of payer secrets stored in
/// the clear before they were sealed (one transaction; a no-op once done).
pub async fn migrate(db: &Db, secrets: &SecretKey) -> anyhow::Result<()> {
    db.migrate().await?;
    let mut tx = db.begin().await?;
    let sealed = payers::seal_stored_secrets(&mut tx, secrets).await?;
    tx.commit().await?;
    if sealed > 0 {
        tracing::info!(sealed, "payer secrets stored in the clear are now sealed");
    }
    Ok(())
}

/// The JWT signing key: configured, or in development generated once and kept beside the
/// database (`<database file>.jwt-key`, or `perdiem.jwt-key` for PostgreSQL).
fn signing_key(settings: &Settings) -> anyhow::Result<SecretString> {
    if let Some(secret) = &settings.auth.jwt_secret {
        return Ok(secret.clone());
    }
    let path = beside_database(settings, "jwt-key");
    let key = development_key(&path, 64)?;
    if key.expose_secret().len() < 32 {
        anyhow::bail!(
            "{} holds a signing key shorter than 32 characters; delete it to have one generated",
            path.display()
        );
    }
    Ok(key)
}

/// The key that seals payer secrets: `secrets.key`, or in development one generated once and
/// kept beside the database (`<database file>.secrets-key`, or `perdiem.secrets-key` for
/// PostgreSQL). Whoever holds it and a copy of the database holds the payer credentials, so it
/// must not travel with the database's backups; whoever loses it must re-enter them.
pub fn secret_key(settings: &Settings) -> anyhow::Result<SecretKey> {
    if let Some(key) = &settings.secrets.key {
        return SecretKey::from_base64(key.expose_secret())
            .map_err(|e| anyhow::anyhow!("PERDIEM__SECRETS__KEY (secrets.key) {e}"));
    }
    let path = beside_database(settings, "secrets-key");
    let key = development_key(&path, 32)?;
    SecretKey::from_base64(key.expose_secret())
        .map_err(|e| anyhow::anyhow!("the secrets key in {} {e}", path.display()))
}

/// `<database file>.<suffix>` for SQLite, `perdiem.<suffix>` in the working directory otherwise.
fn beside_database(settings: &Settings, suffix: &str) -> PathBuf {
    let url = settings.database.url.expose_secret();
    sqlite_path(url)
        .map(|db| PathBuf::from(format!("{}.{suffix}", db.display())))
        .unwrap_or_else(|| PathBuf::from(format!("perdiem.{suffix}")))
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
/// a client's name or birth date; and the request's count and duration in the metrics, under
/// the same pattern.
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
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    let method = crate::metrics::method_label(req.method().as_str());
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
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    if let Some(metrics) = metrics {
        metrics.observe_request(method, &route, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = elapsed.as_millis() as u64,
            "request served"
        );
    });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_on(db: &std::path::Path) -> Settings {
        let mut settings = Settings::defaults();
        settings.database.url = SecretString::from(format!("sqlite://{}", db.display()));
        settings
    }

    #[test]
    fn without_a_configured_key_one_is_kept_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings_on(&dir.path().join("clinic.db"));
        let sealed = secret_key(&settings)
            .unwrap()
            .seal("secret", "payer:1:token");
        let kept = dir.path().join("clinic.db.secrets-key");
        assert!(kept.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&kept).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The next start reads the same key: what the first sealed still opens.
        let opened = secret_key(&settings)
            .unwrap()
            .unseal(&sealed, "payer:1:token")
            .unwrap();
        assert_eq!(opened.expose_secret(), "secret");
    }

    #[test]
    fn a_configured_key_is_used_and_no_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = settings_on(&dir.path().join("clinic.db"));
        let encoded = "qkpaJfZ0LE2hFN7I0cO9Gm5vXx3sQ8bT1uYrW4eA6dM=";
        settings.secrets.key = Some(SecretString::from(encoded));
        let sealed = secret_key(&settings)
            .unwrap()
            .seal("secret", "payer:1:token");
        let configured = SecretKey::from_base64(encoded).unwrap();
        assert!(configured.unseal(&sealed, "payer:1:token").is_ok());
        assert!(!dir.path().join("clinic.db.secrets-key").exists());
    }

    #[test]
    fn a_configured_key_of_the_wrong_length_is_refused_naming_the_setting() {
        let mut settings = Settings::defaults();
        settings.secrets.key = Some(SecretString::from("c2hvcnQ="));
        let refused = secret_key(&settings).unwrap_err().to_string();
        assert!(refused.contains("PERDIEM__SECRETS__KEY"), "{refused}");
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings_on(&dir.path().join("clinic.db"));
        let kept = dir.path().join("clinic.db.secrets-key");
        std::fs::write(&kept, "c2hvcnQ=").unwrap();
        let refused = secret_key(&settings).unwrap_err().to_string();
        assert!(refused.contains("clinic.db.secrets-key"), "{refused}");
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "c2hvcnQ=");
    }
}
