//! Sweeps what the web app keeps only for a while: sessions that ended (idle or past their
//! absolute end) and the batch form's one-time keys (`store::web_submissions`) older than any
//! session can live. Sign-in sweeps the sessions too, but a clinic whose staff stay signed in
//! all day would otherwise keep a night's ended sessions until the next sign-in; so the
//! background worker also sweeps every [`PERIOD`] (and once at start).

use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};

use super::page;
use super::session::Lifetime;
use crate::state::AppState;
use crate::store::writer::in_background;
use crate::store::{now, web_sessions, web_submissions, Db, StoreResult};

/// How often the background sweep runs: cheap (two indexed deletes), and an ended session
/// cannot be used in between anyway (every page view checks its standing).
pub const PERIOD: Duration = Duration::from_secs(5 * 60);

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub submission_keys: u64,
}

/// Sweeps now, then every [`PERIOD`], until the task is dropped. Background work: a staff
/// request's commit never waits for it.
pub async fn run(state: web::Data<AppState>) {
    in_background(async {
        loop {
            match once(&state.db, page::lifetime(&state), now()).await {
                Ok(swept) if swept.sessions + swept.submission_keys > 0 => {
                    tracing::debug!(
                        sessions = swept.sessions,
                        submission_keys = swept.submission_keys,
                        "swept ended web sessions"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(cause = %error, "could not sweep web sessions"),
            }
            tokio::time::sleep(PERIOD).await;
        }
    })
    .await;
}

/// One sweep as of `at`, for sessions that live `lifetime`.
pub async fn once(db: &Db, lifetime: Lifetime, at: DateTime<Utc>) -> StoreResult<Swept> {
    let mut tx = db.begin().await?;
    let sessions = web_sessions::delete_expired(&mut tx, at, at - lifetime.idle).await?;
    // A key is good only with its session's CSRF token, which lives no longer than this.
    let submission_keys = web_submissions::delete_before(&mut tx, at - lifetime.absolute).await?;
    tx.commit().await?;
    Ok(Swept {
        sessions,
        submission_keys,
    })
}
