//! The background worker of verification batches.
//!
//! It takes pending items oldest first, claims each (fixing its verification id before the
//! payer is asked), and runs the verification like a person would; the payer's own concurrency
//! limit and circuit breaker apply as for any verification. At start, items a stopped process
//! left running are settled from their verification (see `store::batches::recover`), so a
//! restart resumes the batch with no item lost or asked twice.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::new_id;
use crate::startup::AppState;
use crate::store::batches::{self, Item};
use crate::verification::{self, Request, Requester};

/// Items worked at once across all batches (each payer's own limit applies inside).
const IN_FLIGHT: usize = 16;
const IDLE_PAUSE: Duration = Duration::from_millis(200);

/// Settles what a stopped process left running, then works batches until the task is dropped.
pub async fn run(state: web::Data<AppState>) {
    match recover(&state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(items = n, "resumed verification batch items left running"),
        Err(error) => tracing::error!(cause = %error, "could not recover batch items"),
    }
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    // Items in flight belong to this task: when it is stopped, they stop with it (as they would
    // in a crash), and the next start settles them.
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        let available = slots.available_permits();
        let items = if available == 0 {
            Vec::new()
        } else {
            next(&state, i64::try_from(available).unwrap_or(1)).await
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
            if !claim(&state, &item, &verification_id.to_string()).await {
                continue;
            }
            let state = state.clone();
            in_flight.spawn(async move {
                work(&state, item, verification_id).await;
                drop(permit);
            });
        }
    }
}

async fn recover(state: &AppState) -> anyhow::Result<u64> {
    let mut tx = state.db.begin().await?;
    let n = batches::recover(&mut tx).await?;
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

async fn claim(state: &AppState, item: &Item, verification_id: &str) -> bool {
    let claimed = async {
        let mut tx = state.db.begin().await?;
        let claimed = batches::claim(&mut tx, &item.id, verification_id).await?;
        tx.commit().await?;
        Ok::<_, anyhow::Error>(claimed)
    };
    claimed.await.unwrap_or(false)
}

async fn work(state: &AppState, item: Item, verification_id: uuid::Uuid) {
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
                .map_err(|error| error.to_string())
        }
        _ => Err("the stored item does not parse".to_string()),
    };
    // Recording the outcome must not be lost to a momentary database error (a busy pool, a
    // lock): it is tried a few times before the item is left for the next start to settle.
    for attempt in 0..5u32 {
        let finished = async {
            let mut tx = state.db.begin().await?;
            match &outcome {
                Ok(id) => batches::finish(&mut tx, &item.id, Some(id), None).await?,
                Err(why) => batches::finish(&mut tx, &item.id, None, Some(why)).await?,
            }
            tx.commit().await?;
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
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
        }
    }
    tracing::error!(item = %item.id, "a batch item's outcome is left for the next start to settle");
}
