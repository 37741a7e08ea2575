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
//!
//! # Payer outages
//!
//! An item whose payer's circuit is open is not asked and not failed: it waits (`waiting`)
//! until the circuit closes. The worker looks at the payer's breaker (`state.health`) before it
//! claims an item, rather than letting the verification find the circuit open: that way a
//! waiting item stores no verification that asked nobody and holds no lease, and the payer is
//! not asked. When the cool-down ends, the item that has waited longest is claimed as the
//! probe, alone (the breaker lets one inquiry through); if the payer answers, the circuit
//! closes and the waiting items go back to pending; if not, the circuit opens again and they
//! keep waiting. An item already claimed whose verification found the circuit open (it opened
//! while the item was in flight) waits too; that verification stays on record as it is, since
//! it may hold the failed calls that opened the circuit. An item that has waited
//! `verification.batch_wait_seconds` since it first started waiting fails with the reason.
//!
//! The breaker is this instance's (as every verification's is): another instance whose circuit
//! for the payer is closed resumes the waiting items and finds out for itself.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use actix_web::web;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::{new_id, BatchId, VerificationId};
use crate::payers::breaker::{self, Breaker};
use crate::services::verification::{Request, Requester, VerifyError};
use crate::state::AppState;
use crate::store::batches::{self, Batch, Item, Lease, NewItem};
use crate::store::verifications::Verification;
use crate::store::writer::in_background;
use crate::store::{StoreError, StoreResult, Tx};

/// The most items one batch may hold (the API's and the web app's batches alike).
pub const MAX_ITEMS: usize = 10_000;

/// Starts a batch of `items` for staff member `requested_by`, in the caller's transaction (the
/// caller audits it and commits): the API's `POST /verification-batches` and the web app's
/// list of tomorrow's assessments both start theirs here. The worker takes the items once the
/// transaction commits.
pub async fn start(
    tx: &mut Tx,
    requested_by: &str,
    items: &[NewItem],
) -> StoreResult<(Batch, Vec<Item>)> {
    let id = BatchId::new();
    batches::insert(tx, id, requested_by, items).await?;
    batches::find(tx, id)
        .await?
        .ok_or_else(|| StoreError::corrupt("verification batch", "vanished once inserted"))
}

/// Items worked at once across all batches (each payer's own limit applies inside).
const IN_FLIGHT: usize = 16;
const IDLE_PAUSE: Duration = Duration::from_millis(200);

/// Works batches until the task is dropped, keeping its leases and settling lapsed ones.
pub async fn run(state: web::Data<AppState>) {
    let owner = new_id().to_string();
    let lease = Duration::from_secs(state.settings.verification.batch_lease_seconds);
    // Background work: a staff request's commit never waits for the batch's writes.
    in_background(async {
        tokio::join!(
            keep_leases(&state, &owner, lease),
            work_batches(&state, &owner, lease)
        )
    })
    .await;
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
    let probing = Probing::default();
    // Items in flight belong to this task: when it is stopped, they stop with it (as they would
    // in a crash), and once their lease lapses the next start, or another instance, settles
    // them.
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        let mut worker = Worker {
            state,
            owner,
            lease,
            slots: &slots,
            probing: &probing,
            in_flight: &mut in_flight,
        };
        if let Err(error) = worker.tend_waiting().await {
            tracing::error!(cause = %error, "could not tend waiting batch items");
        }
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
            let payer = payer_of(&item);
            let gate = match payer {
                Some(payer) => worker.gate(payer).await,
                None => Gate::Ask,
            };
            if gate == Gate::Wait {
                worker.wait(&item).await;
                continue;
            }
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let probe = payer.filter(|_| gate == Gate::Probe);
            worker.launch(item, permit, Claim::Pending, probe).await;
        }
    }
}

/// What the worker does with an item, from its payer's circuit as this instance knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Ask,
    /// The cool-down is over and no probe is under way: this item goes, alone.
    Probe,
    Wait,
}

fn gate(breaker: &Breaker, now: DateTime<Utc>, probing: bool) -> Gate {
    match breaker.state {
        breaker::State::Closed => Gate::Ask,
        // A probe (a batch item's or someone's verification) is deciding.
        breaker::State::HalfOpen => Gate::Wait,
        breaker::State::Open if !probing && breaker.retry_at.is_some_and(|at| now >= at) => {
            Gate::Probe
        }
        breaker::State::Open => Gate::Wait,
    }
}

/// Why an item that waited too long failed, in words staff can act on.
fn expiry_reason(breaker: &Breaker, waited: Duration) -> String {
    let failures = breaker.consecutive_failures;
    format!(
        "the payer's circuit stayed open for {} ({failures} consecutive failure{}: {}); not asked",
        span(waited),
        if failures == 1 { "" } else { "s" },
        breaker.last_failure.as_deref().unwrap_or("no answer"),
    )
}

/// `7200 s` as `2 h`, `5400 s` as `90 min`: the largest whole unit.
fn span(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn payer_of(item: &Item) -> Option<Uuid> {
    item.payer_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// Payers whose probe this worker has under way: between the claim and the probe's inquiry
/// the circuit still reads "open, cool-down over", and without this every item looking at it
/// in that moment would go as a probe too.
#[derive(Clone, Default)]
struct Probing(Arc<std::sync::Mutex<HashSet<Uuid>>>);

impl Probing {
    fn payers(&self) -> std::sync::MutexGuard<'_, HashSet<Uuid>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn contains(&self, payer: Uuid) -> bool {
        self.payers().contains(&payer)
    }

    /// Marks `payer` probed until the returned guard is dropped (when the probe's item is
    /// settled, or its task ends any other way).
    fn start(&self, payer: Uuid) -> ProbeUnderWay {
        self.payers().insert(payer);
        ProbeUnderWay {
            probing: self.clone(),
            payer,
        }
    }
}

struct ProbeUnderWay {
    probing: Probing,
    payer: Uuid,
}

impl Drop for ProbeUnderWay {
    fn drop(&mut self) {
        self.probing.payers().remove(&self.payer);
    }
}

/// Where a claimed item comes from.
#[derive(Debug, Clone, Copy)]
enum Claim {
    Pending,
    /// A waiting item, claimed as its payer's probe.
    Waiting,
}

/// One turn of the worker's loop: what it needs to claim, start and park items.
struct Worker<'a> {
    state: &'a web::Data<AppState>,
    owner: &'a str,
    lease: Duration,
    slots: &'a Arc<Semaphore>,
    probing: &'a Probing,
    in_flight: &'a mut JoinSet<()>,
}

impl Worker<'_> {
    async fn breaker(&self, payer: Uuid) -> Breaker {
        self.state.health.report(payer, None).await.breaker
    }

    async fn gate(&self, payer: Uuid) -> Gate {
        let breaker = self.breaker(payer).await;
        gate(&breaker, Utc::now(), self.probing.contains(payer))
    }

    /// Claims `item` and works it on a task of its own; `probe` names the payer it probes.
    async fn launch(
        &mut self,
        item: Item,
        permit: OwnedSemaphorePermit,
        from: Claim,
        probe: Option<Uuid>,
    ) {
        let verification_id = VerificationId::new();
        let leased = lease_from_now(self.owner, self.lease);
        if !claim(self.state, &item, verification_id, leased, from).await {
            return;
        }
        let probe = probe.map(|payer| self.probing.start(payer));
        if probe.is_some() {
            tracing::info!(item = %item.id, payer_id = ?item.payer_id, "probing a payer whose circuit is open with a waiting batch item");
        }
        let state = self.state.clone();
        let owner = self.owner.to_string();
        self.in_flight.spawn(in_background(async move {
            work(&state, item, verification_id, &owner).await;
            drop(probe);
            drop(permit);
        }));
    }

    /// Sets a pending item waiting for its payer, unasked.
    async fn wait(&self, item: &Item) {
        let waited = async {
            let mut tx = self.state.db.begin().await?;
            batches::wait(&mut tx, &item.id, Utc::now()).await?;
            tx.commit().await?;
            Ok::<_, anyhow::Error>(())
        };
        if let Err(error) = waited.await {
            tracing::error!(cause = %error, item = %item.id, "could not set a batch item waiting");
        }
    }

    /// For each payer items wait for: resumes them once its circuit is closed; otherwise fails
    /// those past their deadline and, at the end of the cool-down, sends one as the probe.
    async fn tend_waiting(&mut self) -> anyhow::Result<()> {
        let mut tx = self.state.db.begin_read().await?;
        let payers = batches::waiting_payers(&mut tx).await?;
        tx.commit().await?;
        for payer in payers {
            let Some(id) = payer.as_deref().and_then(|p| Uuid::parse_str(p).ok()) else {
                // No payer's circuit holds it back: asked, it fails as its verification does.
                self.resume(payer.as_deref(), None).await?;
                continue;
            };
            let payer = id.to_string();
            let breaker = self.breaker(id).await;
            match gate(&breaker, Utc::now(), self.probing.contains(id)) {
                Gate::Ask => self.resume(Some(&payer), Some(id)).await?,
                decision => {
                    self.expire(&payer, &breaker).await?;
                    if decision == Gate::Probe {
                        self.probe(&payer, id).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn resume(&self, payer: Option<&str>, id: Option<Uuid>) -> anyhow::Result<()> {
        let mut tx = self.state.db.begin().await?;
        let resumed = batches::resume(&mut tx, payer, Utc::now()).await?;
        tx.commit().await?;
        if resumed > 0 {
            tracing::info!(items = resumed, payer_id = ?id, "batch items resume: the payer's circuit is closed");
        }
        Ok(())
    }

    async fn expire(&self, payer: &str, breaker: &Breaker) -> anyhow::Result<()> {
        let waited = Duration::from_secs(self.state.settings.verification.batch_wait_seconds);
        let now = Utc::now();
        // A wait too long to subtract from now is one no item has reached.
        let Some(since) = chrono::Duration::from_std(waited)
            .ok()
            .and_then(|waited| now.checked_sub_signed(waited))
        else {
            return Ok(());
        };
        let reason = expiry_reason(breaker, waited);
        let mut tx = self.state.db.begin().await?;
        let expired = batches::expire(&mut tx, payer, since, &reason, now).await?;
        tx.commit().await?;
        // As for a finished item: closing is checked once the items' outcome is committed.
        for batch_id in &expired {
            let mut tx = self.state.db.begin().await?;
            batches::close_if_finished(&mut tx, *batch_id).await?;
            tx.commit().await?;
        }
        if !expired.is_empty() {
            tracing::warn!(payer_id = %payer, batches = expired.len(), "batch items failed: their payer's circuit stayed open past the wait");
        }
        Ok(())
    }

    async fn probe(&mut self, payer: &str, id: Uuid) -> anyhow::Result<()> {
        // With every slot busy the probe goes at a later turn; the circuit stays as it is.
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            return Ok(());
        };
        let mut tx = self.state.db.begin_read().await?;
        let item = batches::first_waiting(&mut tx, payer).await?;
        tx.commit().await?;
        if let Some(item) = item {
            self.launch(item, permit, Claim::Waiting, Some(id)).await;
        }
        Ok(())
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

async fn claim(
    state: &AppState,
    item: &Item,
    verification_id: VerificationId,
    lease: Lease<'_>,
    from: Claim,
) -> bool {
    let claimed = async {
        let mut tx = state.db.begin().await?;
        let claimed = match from {
            Claim::Pending => batches::claim(&mut tx, &item.id, verification_id, lease).await?,
            Claim::Waiting => {
                batches::claim_waiting(&mut tx, &item.id, verification_id, lease).await?
            }
        };
        tx.commit().await?;
        Ok::<_, anyhow::Error>(claimed)
    };
    claimed.await.unwrap_or(false)
}

/// How a worked item ends.
enum Settled {
    /// By the verification that answers it (whatever its outcome).
    Answered(VerificationId),
    /// It could not be verified at all, for this reason.
    Failed(String),
    /// Its verification found the payer's circuit open (it opened while the item was in
    /// flight): the item waits for the circuit to close.
    Waiting,
}

/// A verification that stopped at its payer's open circuit: nothing it holds answers the item.
fn found_circuit_open(verification: &Verification) -> bool {
    verification.status == "payer_error"
        && verification
            .error
            .as_ref()
            .and_then(|error| error["kind"].as_str())
            == Some(batches::CIRCUIT_OPEN)
}

async fn work(state: &AppState, item: Item, verification_id: VerificationId, owner: &str) {
    let levels: Result<Vec<LevelOfCare>, String> = item
        .levels_of_care
        .iter()
        .map(|l| LevelOfCare::parse(l))
        .collect();
    let outcome = match (levels, Program::parse(&item.program)) {
        (Ok(levels), Ok(program)) => {
            let request = Request {
                client_id: item.client_id,
                coverage_id: item.coverage_id,
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
            match state.verifier.verify(&who, &request).await {
                Ok(outcome) if found_circuit_open(&outcome.verification) => Settled::Waiting,
                Ok(outcome) => Settled::Answered(outcome.verification.id),
                // Staff fix what a refusal names (a name X12 cannot carry), as with a 422.
                Err(VerifyError::Refused(invalid)) => Settled::Failed(
                    invalid
                        .0
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Err(error) => Settled::Failed(error.to_string()),
            }
        }
        _ => Settled::Failed("the stored item does not parse".to_string()),
    };
    // Recording the outcome must not be lost to a database error (a busy pool, a lock, an
    // outage): it is tried until it is recorded, the pause doubling up to 10 s. Meanwhile the
    // item stays leased to this worker; if the process stops, the lease lapses and another
    // start settles the item from its verification.
    for attempt in 0u32.. {
        let finished = async {
            let mut tx = state.db.begin().await?;
            let held = match &outcome {
                Settled::Answered(id) => {
                    batches::finish(&mut tx, &item.id, Some(*id), None, Some(owner)).await?
                }
                Settled::Failed(why) => {
                    batches::finish(&mut tx, &item.id, None, Some(why), Some(owner)).await?
                }
                Settled::Waiting => {
                    batches::wait_held(&mut tx, &item.id, Utc::now(), owner).await?
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
            batches::close_if_finished(&mut tx, item.batch_id).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn opened_at_zero(failures: u32) -> Breaker {
        let mut b = Breaker::new(failures, chrono::Duration::seconds(30));
        for _ in 0..failures {
            b.failed(t(0), "timeout");
        }
        b
    }

    #[test]
    fn items_wait_while_the_circuit_is_open_and_one_goes_as_the_probe() {
        let closed = Breaker::new(5, chrono::Duration::seconds(30));
        assert_eq!(gate(&closed, t(0), false), Gate::Ask);
        let mut b = opened_at_zero(5);
        assert_eq!(gate(&b, t(29), false), Gate::Wait, "cooling down");
        assert_eq!(gate(&b, t(30), false), Gate::Probe, "the cool-down is over");
        assert_eq!(
            gate(&b, t(30), true),
            Gate::Wait,
            "this worker's probe is under way"
        );
        assert!(b.admit(t(31)));
        assert_eq!(
            gate(&b, t(31), false),
            Gate::Wait,
            "someone's probe is deciding"
        );
        b.succeeded(t(32));
        assert_eq!(gate(&b, t(32), false), Gate::Ask);
    }

    #[test]
    fn the_reason_an_item_failed_waiting_names_the_wait_and_the_failures() {
        assert_eq!(
            expiry_reason(&opened_at_zero(5), Duration::from_secs(7200)),
            "the payer's circuit stayed open for 2 h (5 consecutive failures: timeout); not asked"
        );
        assert_eq!(
            expiry_reason(&opened_at_zero(1), Duration::from_secs(1)),
            "the payer's circuit stayed open for 1 s (1 consecutive failure: timeout); not asked"
        );
        assert_eq!(span(Duration::from_secs(5400)), "90 min");
        assert_eq!(span(Duration::from_secs(90)), "90 s");
    }
}
