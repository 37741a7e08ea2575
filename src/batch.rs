//! The background worker of verification batches.
//!
//! It takes pending items oldest first, claims each (fixing its verification id before the
//! payer is asked), and runs the verification like a person would; the payer's own concurrency
//! limit and circuit breaker apply as for any verification.
//!
//! Several instances may share a database: a claimed item is leased to this worker (an id of
//! its own, new at each start) and the lease is renewed while the worker lives. Items whose
//! lease lapsed (a stopped process, this one's previous run included) are settled from their
//! verification (see `store::batches::recover`), at start and then periodically, so a restart
//! resumes the batch with no item lost or asked twice, and no instance settles an item another
//! live instance is running.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use actix_web::web;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::new_id;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::batches::{self, Item, Lease};
use crate::verification::{self, Request, Requester};

/// Items worked at once across all batches (each payer's own limit applies inside).
const IN_FLIGHT: usize = 16;
const IDLE_PAUSE: Duration = Duration::from_millis(200);

/// Works batches until the task is dropped, keeping its leases and settling lapsed ones.
pub async fn run(state: web::Data<AppState>) {
    let owner = new_id().to_string();
    let lease = Duration::from_secs(state.settings.verification.batch_lease_seconds);
    tokio::join!(
        keep_leases(&state, &owner, lease),
        work_batches(&state, &owner, lease)
    );
}

/// The lease of `owner`'s items ends `lease` from now.
fn lease_from_now(owner: &str, lease: Duration) -> Lease<'_> {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    Lease {
        owner,
        until: Utc::now() + lease,
    }
}

/// Every third of a lease: renews this worker's leases, then settles running items whose
/// lease lapsed (first at start: what a stopped process left running).
async fn keep_leases(state: &AppState, owner: &str, lease: Duration) {
    loop {
        let renewed = async {
            let mut tx = state.db.begin().await?;
            batches::renew(&mut tx, lease_from_now(owner, lease)).await?;
            tx.commit().await?;
            Ok::<_, anyhow::Error>(())
        };
        if let Err(error) = renewed.await {
            tracing::warn!(cause = %error, "could not renew batch item leases");
        }
        match recover(state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                items = n,
                "resumed verification batch items whose worker stopped"
            ),
            Err(error) => tracing::error!(cause = %error, "could not recover batch items"),
        }
        tokio::time::sleep(lease / 3).await;
    }
}

async fn work_batches(state: &web::Data<AppState>, owner: &str, lease: Duration) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    // Items in flight belong to this task: when it is stopped, they stop with it (as they would
    // in a crash), and once their lease lapses the next start, or another instance, settles
    // them.
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        let available = slots.available_permits();
        let items = if available == 0 {
            Vec::new()
        } else {
            next(state, i64::try_from(available).unwrap_or(1)).await
        };
        if items.is_empty() {
            tokio::time::sleep(IDLE_PAUSE).await;
            continue;
        }
        for item in items {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let verification_id = new_id();
            let leased = lease_from_now(owner, lease);
            if !claim(state, &item, &verification_id.to_string(), leased).await {
                continue;
            }
            let state = state.clone();
            let owner = owner.to_string();
            in_flight.spawn(async move {
                work(&state, item, verification_id, &owner).await;
                drop(permit);
            });
        }
    }
}

async fn recover(state: &AppState) -> anyhow::Result<u64> {
    let mut tx = state.db.begin().await?;
    let n = batches::recover(&mut tx, Utc::now()).await?;
    tx.commit().await?;
    Ok(n)
}

async fn next(state: &AppState, limit: i64) -> Vec<Item> {
    let found = async {
        let mut tx = state.db.begin_read().await?;
        let items = batches::pending(&mut tx, limit).await?;
        tx.commit().await?;
        Ok::<_, anyhow::Error>(items)
    };
    found.await.unwrap_or_else(|error| {
        tracing::error!(cause = %error, "could not read pending batch items");
        Vec::new()
    })
}

async fn claim(state: &AppState, item: &Item, verification_id: &str, lease: Lease<'_>) -> bool {
    let claimed = async {
        let mut tx = state.db.begin().await?;
        let claimed = batches::claim(&mut tx, &item.id, verification_id, lease).await?;
        tx.commit().await?;
        Ok::<_, anyhow::Error>(claimed)
    };
    claimed.await.unwrap_or(false)
}

async fn work(state: &AppState, item: Item, verification_id: uuid::Uuid, owner: &str) {
    let levels: Result<Vec<LevelOfCare>, String> = item
        .levels_of_care
        .iter()
        .map(|l| LevelOfCare::parse(l))
        .collect();
    let outcome = match (levels, Program::parse(&item.program)) {
        (Ok(levels), Ok(program)) => {
            let request = Request {
                client_id: item.client_id.clone(),
                coverage_id: item.coverage_id.clone(),
                levels,
                program,
                service_date: item.service_date,
                force: item.force,
                id: Some(verification_id),
            };
            let who = Requester {
                user_id: item.requested_by.clone(),
                ip: None,
                request_id: format!("batch {}", item.batch_id),
            };
            verification::verify(state, &who, &request)
                .await
                .map(|outcome| outcome.verification.id)
                .map_err(|error| match error {
                    // Staff fix what a refusal names (a name X12 cannot carry), as with a 422.
                    ApiError::Validation(errors) => errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                })
        }
        _ => Err("the stored item does not parse".to_string()),
    };
    // Recording the outcome must not be lost to a database error (a busy pool, a lock, an
    // outage): it is tried until it is recorded, the pause doubling up to 10 s. Meanwhile the
    // item stays leased to this worker; if the process stops, the lease lapses and another
    // start settles the item from its verification.
    for attempt in 0u32.. {
        let finished = async {
            let mut tx = state.db.begin().await?;
            let held = match &outcome {
                Ok(id) => batches::finish(&mut tx, &item.id, Some(id), None, Some(owner)).await?,
                Err(why) => {
                    batches::finish(&mut tx, &item.id, None, Some(why), Some(owner)).await?
                }
            };
            tx.commit().await?;
            if !held {
                // This worker's lease lapsed (it lost the database for a while) and the item was
                // settled without it; what was settled stands.
                tracing::warn!(item = %item.id, "a batch item's lease lapsed before its outcome was recorded");
            }
            // Closing the batch is checked only after this item's outcome is committed: two
            // items finishing at once would otherwise each see the other still running, and
            // neither would close it. The last commit's check sees every item finished.
            let mut tx = state.db.begin().await?;
            batches::close_if_finished(&mut tx, &item.batch_id).await?;
            tx.commit().await?;
            Ok::<_, anyhow::Error>(())
        };
        match finished.await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(cause = %error, attempt, "could not record a batch item's outcome yet");
                let pause = 200u64.saturating_mul(1 << attempt.min(6)).min(10_000);
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
    }
}
