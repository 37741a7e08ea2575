//! What every handler and service can reach. Built by `startup`; nothing here depends on how
//! the server is started, so services and routes import this module and never `startup`.

use std::sync::Arc;

use crate::auth::accounts::AccountCache;
use crate::auth::jwt::TokenKeys;
use crate::auth::password::Hashing;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::secrets::SecretKey;
use crate::services::verification::{PayerHealth, Verifier};
use crate::store::audit_queue::AuditQueue;
use crate::store::Db;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    /// Writes the audit rows of reads, many requests' at once.
    pub audits: AuditQueue,
    pub tokens: TokenKeys,
    /// The account check of every authenticated request, kept for a moment.
    pub accounts: AccountCache,
    /// Bounds the password hashes running at once (each holds 19 MiB).
    pub hashing: Hashing,
    /// Seals and opens payer secrets at the store boundary.
    pub secrets: Arc<SecretKey>,
    pub settings: Settings,
    /// The verification service (routes and the batch worker share it).
    pub verifier: Verifier,
    /// Per payer: inquiries in flight and the circuit breaker (the verifier's, shared).
    pub health: Arc<PayerHealth>,
    /// Counters and histograms recorded as the process runs, served at `/metrics`.
    pub metrics: Arc<Metrics>,
}
