//! Settings: compiled-in defaults, then an optional file, then environment variables
//! (`PERDIEM__SECTION__KEY`, plus the conventional `DATABASE_URL`).
//!
//! Secrets are `SecretString`s: their `Debug` prints `[REDACTED]`, so a settings dump in a log
//! or a panic message never carries the JWT key, the secrets key or a database password.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::secrets::SecretKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub verification: VerificationSettings,
    pub billing: BillingSettings,
    pub web: WebSettings,
    /// Absent from the defaults: its one setting has no default value.
    #[serde(default)]
    pub secrets: SecretsSettings,
}

/// The key that seals payer credentials at rest (see `crate::secrets`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretsSettings {
    /// Base64 of 32 bytes. Optional in development (generated and kept beside the database),
    /// required in production. Losing it means re-entering every payer's credentials.
    pub key: Option<SecretString>,
}

/// The staff web app's sessions.
#[derive(Debug, Clone, Deserialize)]
pub struct WebSettings {
    /// Seconds without a page view after which a session ends.
    pub session_idle_seconds: u64,
    /// Seconds after sign-in after which a session ends, however active.
    pub session_lifetime_seconds: u64,
    /// Marks the session cookie `Secure` even when the request reached us over plain HTTP
    /// (behind a proxy that ends TLS). Requests that arrive over HTTPS get it regardless.
    pub secure_cookies: bool,
}

/// When an attended day is billable, unless the payer's own rules say otherwise
/// (`billing` on the payer record). There is no national standard for the daily minimum.
#[derive(Debug, Clone, Deserialize)]
pub struct BillingSettings {
    /// Minimum minutes of therapeutic services for a billable IOP day.
    pub iop_minimum_minutes: u32,
    /// Minimum minutes for a billable PHP day.
    pub php_minimum_minutes: u32,
    /// Weekly minimums, reported as warnings on the week (Medicare: IOP 9 h, PHP 20 h).
    pub iop_weekly_minimum_minutes: u32,
    pub php_weekly_minimum_minutes: u32,
    /// Largest attendance CSV accepted by the import, in bytes.
    pub max_import_bytes: usize,
    /// Largest X12 file accepted by `POST /remittances` and `/acknowledgments`, in bytes.
    pub max_remittance_bytes: usize,
    /// The clinic's self-pay rate per day (good-faith estimates), as a decimal string.
    pub self_pay_iop_per_day: String,
    pub self_pay_php_per_day: String,
    /// The disclaimer every good-faith estimate carries (45 CFR 149.610).
    pub good_faith_disclaimer: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VerificationSettings {
    /// A verification asking the same as one younger than this is answered from the stored one
    /// (unless the request says `force`).
    pub cache_seconds: u64,
    /// Attempts per inquiry when the payer fails transiently (timeout, 5xx, AAA 42/80).
    pub retry_attempts: u32,
    /// First pause between attempts; it doubles each time, capped at 8× this.
    pub retry_backoff_ms: u64,
    /// Consecutive failures of a payer that open its circuit (inquiries then fail fast).
    pub breaker_threshold: u32,
    /// Seconds an open circuit waits before letting one probe through.
    pub breaker_cooldown_seconds: u64,
    /// Seconds a batch item stays leased to the worker running it without a renewal (renewed
    /// every third of this). Another instance, or this one restarted, takes over a running
    /// item only after its lease lapses.
    pub batch_lease_seconds: u64,
    /// Seconds a batch item waits for its payer's open circuit to close, counted from when it
    /// first started waiting; past it the item fails with the reason.
    pub batch_wait_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Largest request body accepted, in bytes; larger bodies get a 413.
    pub max_body_bytes: usize,
    /// Seconds a graceful shutdown (SIGTERM) waits for in-flight requests.
    pub shutdown_timeout_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; the scheme picks the backend. May carry a password.
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 signing key. Optional in development (generated and kept beside the database),
    /// required in production.
    pub jwt_secret: Option<SecretString>,
    pub issuer: String,
    pub audience: String,
    pub token_ttl_seconds: u64,
    /// Failed logins for one username within `login_window_seconds` before it is locked.
    pub login_max_failures: u32,
    pub login_window_seconds: u64,
    pub login_lockout_seconds: u64,
    /// Password hashes (sign-in checks, new passwords) run at once; each holds 19 MiB while it
    /// runs. Absent: the number of cores, beyond which hashes only queue for the CPU anyway.
    pub password_hashes_at_once: Option<usize>,
    /// Sign-ins that may wait for a hash beyond those running; more are answered 503 with
    /// `Retry-After`. Absent: four times the hashes at once.
    pub password_hash_queue: Option<usize>,
}

impl AuthSettings {
    pub fn hashes_at_once(&self) -> usize {
        self.password_hashes_at_once.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
    }

    pub fn hash_queue(&self) -> usize {
        self.password_hash_queue
            .unwrap_or_else(|| self.hashes_at_once().saturating_mul(4))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    /// `pretty` for people, `json` for log shippers.
    pub format: LogFormat,
    /// A tracing `EnvFilter` directive, e.g. `info` or `perdiem=debug,info`.
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

const DEFAULTS: &str = r#"
environment = "development"

[server]
host = "127.0.0.1"
port = 8080
max_body_bytes = 4194304
shutdown_timeout_seconds = 30

[database]
url = "sqlite://perdiem.db"
max_connections = 10

[auth]
issuer = "perdiem"
audience = "perdiem-api"
token_ttl_seconds = 3600
login_max_failures = 5
login_window_seconds = 900
login_lockout_seconds = 300

[log]
format = "pretty"
level = "info"

[verification]
cache_seconds = 14400
retry_attempts = 3
retry_backoff_ms = 200
breaker_threshold = 5
breaker_cooldown_seconds = 30
batch_lease_seconds = 60
batch_wait_seconds = 7200

[web]
session_idle_seconds = 1800
session_lifetime_seconds = 43200
secure_cookies = false

[billing]
iop_minimum_minutes = 180
php_minimum_minutes = 300
iop_weekly_minimum_minutes = 540
php_weekly_minimum_minutes = 1200
max_import_bytes = 33554432
max_remittance_bytes = 16777216
self_pay_iop_per_day = "650.00"
self_pay_php_per_day = "1100.00"
good_faith_disclaimer = "This Good Faith Estimate shows the costs of items and services that are reasonably expected for your health care needs for an item or service. The estimate is based on information known at the time the estimate was created. It does not include any unknown or unexpected costs that may arise during treatment. You could be charged more if complications or special circumstances occur. If this happens, federal law allows you to dispute (appeal) the bill. If you are billed for more than this Good Faith Estimate, you have the right to dispute the bill. You may contact the health care provider or facility listed to let them know the billed charges are higher than the Good Faith Estimate. You can ask them to update the bill to match the Good Faith Estimate, ask to negotiate the bill, or ask if there is financial assistance available. You may also start a dispute resolution process with the U.S. Department of Health and Human Services (HHS). If you choose to use the dispute resolution process, you must start the dispute process within 120 calendar days (about 4 months) of the date on the original bill. For questions or more information about your right to a Good Faith Estimate or the dispute process, visit www.cms.gov/nosurprises or call 1-800-985-3059. Keep a copy of this Good Faith Estimate in a safe place or take pictures of it. You may need it if you are billed a higher amount."
"#;

impl Settings {
    /// The compiled-in defaults alone, ignoring files and the environment (tests start here).
    pub fn defaults() -> Settings {
        config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .expect("the compiled-in defaults are valid")
    }

    /// Loads defaults, then `file` (or `$PERDIEM_CONFIG`, or `perdiem.toml` when it exists), then
    /// the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let file: Option<PathBuf> = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("PERDIEM_CONFIG").map(PathBuf::from))
            .or_else(|| {
                let default = PathBuf::from("perdiem.toml");
                default.exists().then_some(default)
            });
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("PERDIEM")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.auth.password_hashes_at_once == Some(0) {
            anyhow::bail!(
                "PERDIEM__AUTH__PASSWORD_HASHES_AT_ONCE (auth.password_hashes_at_once) must be at \
                 least 1"
            );
        }
        // Renewed every third of it: under 3 s the renewals would outrun the database.
        if self.verification.batch_lease_seconds < 3 {
            anyhow::bail!(
                "PERDIEM__VERIFICATION__BATCH_LEASE_SECONDS (verification.batch_lease_seconds) \
                 must be at least 3"
            );
        }
        if let Some(key) = &self.secrets.key {
            SecretKey::from_base64(key.expose_secret())
                .map_err(|e| anyhow::anyhow!("PERDIEM__SECRETS__KEY (secrets.key) {e}"))?;
        }
        if self.environment == Environment::Production {
            match &self.auth.jwt_secret {
                None => anyhow::bail!(
                    "PERDIEM__AUTH__JWT_SECRET is required when PERDIEM__ENVIRONMENT=production"
                ),
                Some(secret) if secret.expose_secret().len() < 32 => {
                    anyhow::bail!("the JWT secret must be at least 32 characters long")
                }
                Some(_) => {}
            }
        }
        if self.environment == Environment::Production && self.secrets.key.is_none() {
            anyhow::bail!(
                "PERDIEM__SECRETS__KEY is required when PERDIEM__ENVIRONMENT=production \
                 (base64 of 32 bytes, e.g. `openssl rand -base64 32`)"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_redacts_secrets() {
        let mut settings = Settings::defaults();
        settings.database.url = SecretString::from("postgres://app:hunter2@db/perdiem");
        settings.auth.jwt_secret = Some(SecretString::from("very-secret-signing-key"));
        settings.secrets.key = Some(SecretString::from(KEY));
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(!shown.contains(KEY), "{shown}");
    }

    #[test]
    fn defaults_listen_on_loopback_with_sqlite() {
        let settings = Settings::defaults();
        assert_eq!(settings.server.host, "127.0.0.1");
        assert_eq!(settings.server.port, 8080);
        assert!(settings
            .database
            .url
            .expose_secret()
            .starts_with("sqlite://"));
        assert!(settings.check().is_ok());
    }

    /// Base64 of 32 bytes.
    const KEY: &str = "qkpaJfZ0LE2hFN7I0cO9Gm5vXx3sQ8bT1uYrW4eA6dM=";

    #[test]
    fn a_batch_lease_under_three_seconds_is_refused() {
        let mut settings = Settings::defaults();
        assert_eq!(settings.verification.batch_lease_seconds, 60);
        settings.verification.batch_lease_seconds = 2;
        let refused = settings.check().unwrap_err().to_string();
        assert!(refused.contains("batch_lease_seconds"), "{refused}");
        settings.verification.batch_lease_seconds = 3;
        assert!(settings.check().is_ok());
    }

    #[test]
    fn password_hashes_default_to_the_cores_and_a_queue_four_times_that() {
        let mut settings = Settings::defaults();
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(settings.auth.hashes_at_once(), cores);
        assert_eq!(settings.auth.hash_queue(), 4 * cores);
        settings.auth.password_hashes_at_once = Some(3);
        assert_eq!(settings.auth.hash_queue(), 12);
        settings.auth.password_hash_queue = Some(0);
        assert_eq!(settings.auth.hash_queue(), 0);
        settings.auth.password_hashes_at_once = Some(0);
        let refused = settings.check().unwrap_err().to_string();
        assert!(refused.contains("password_hashes_at_once"), "{refused}");
    }

    #[test]
    fn production_requires_an_explicit_jwt_secret() {
        let mut settings = Settings::defaults();
        settings.environment = Environment::Production;
        settings.secrets.key = Some(SecretString::from(KEY));
        assert!(settings.check().is_err());
        settings.auth.jwt_secret = Some(SecretString::from("x".repeat(40)));
        assert!(settings.check().is_ok());
    }

    #[test]
    fn production_requires_an_explicit_secrets_key() {
        let mut settings = Settings::defaults();
        settings.environment = Environment::Production;
        settings.auth.jwt_secret = Some(SecretString::from("x".repeat(40)));
        let refused = settings.check().unwrap_err().to_string();
        assert!(refused.contains("PERDIEM__SECRETS__KEY"), "{refused}");
        settings.secrets.key = Some(SecretString::from(KEY));
        assert!(settings.check().is_ok());
    }

    #[test]
    fn a_secrets_key_of_another_length_is_refused_naming_the_setting() {
        let mut settings = Settings::defaults();
        // 24 bytes: an AES-192 key, not ours.
        settings.secrets.key = Some(SecretString::from("qkpaJfZ0LE2hFN7I0cO9Gm5vXx3sQ8bT"));
        let refused = settings.check().unwrap_err().to_string();
        assert!(refused.contains("PERDIEM__SECRETS__KEY"), "{refused}");
        assert!(refused.contains("32 bytes"), "{refused}");
        assert!(!refused.contains("qkpa"), "{refused}");
    }
}
