//! Benefits verification: ask the client's payer about IOP and/or PHP, store every attempt,
//! summarize the answer per level of care, and follow a carve-out to the payer that administers
//! behavioral health when the clinic has that payer.
//!
//! The verification row is written `in_progress` before any payer is called and completed
//! afterwards, so whatever the payer does, the attempt is on record.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use futures_util::future::join_all;
use tokio::sync::{Mutex, Semaphore};
use uuid::Uuid;

use crate::config::VerificationSettings;
use crate::domain::benefits::{
    billed_place_of_service, other_coverage_warning, summarize_at, CoverageStatus, LevelSummary,
};
use crate::domain::client::NewClient;
use crate::domain::coverage::NewCoverage;
use crate::domain::eligibility::{
    EligibilityAnswer, Inquiry, InquiryPerson, LevelOfCare, PayerRejection, Program,
};
use crate::domain::fee_schedule::in_force;
use crate::domain::identity::{self, IdentityReport};
use crate::domain::ids::{ClientId, CoverageId, VerificationId};
use crate::domain::organization::Organization;
use crate::domain::payer::{Connection, NewPayer};
use crate::domain::validation::Invalid;
use crate::metrics::Metrics;
use crate::payers::breaker::{Breaker, State as BreakerState};
use crate::payers::{adapter, Attempt, PayerAdapter, PayerError, Transport};
use crate::secrets::SecretKey;
use crate::store::audit::{self, Action, AuditEntry};
use crate::store::payers::Payer;
use crate::store::verifications::{self, Completion, NewExchange, NewVerification, Verification};
use crate::store::{clients, coverages, fee_schedules, organization, payers, Db, StoreError};

/// What staff asked.
#[derive(Debug, Clone)]
pub struct Request {
    pub client_id: ClientId,
    pub coverage_id: CoverageId,
    pub levels: Vec<LevelOfCare>,
    pub program: Program,
    pub service_date: NaiveDate,
    pub force: bool,
    /// The id the new verification gets (a batch fixes it before asking); a new one if `None`.
    pub id: Option<VerificationId>,
}

impl Request {
    fn levels_key(&self) -> String {
        let mut names: Vec<&str> = self.levels.iter().map(|l| l.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.join(",")
    }
}

/// Per payer, in this process: the limit on inquiries in flight and the circuit breaker.
pub struct PayerHealth {
    semaphores: Mutex<HashMap<Uuid, (Arc<Semaphore>, u32)>>,
    breakers: std::sync::Mutex<HashMap<Uuid, Breaker>>,
    threshold: u32,
    cooldown: chrono::Duration,
}

/// What `GET /api/v1/payers/{id}/health` shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HealthReport {
    pub payer_id: Uuid,
    #[serde(flatten)]
    pub breaker: Breaker,
    pub in_flight: u32,
    pub max_concurrent: Option<u32>,
}

impl PayerHealth {
    pub fn new(threshold: u32, cooldown_seconds: u64) -> PayerHealth {
        PayerHealth {
            semaphores: Mutex::default(),
            breakers: std::sync::Mutex::default(),
            threshold,
            cooldown: chrono::Duration::seconds(i64::try_from(cooldown_seconds).unwrap_or(30)),
        }
    }

    async fn limit(&self, payer: Uuid, connection: &Connection) -> Arc<Semaphore> {
        let mut map = self.semaphores.lock().await;
        // A changed limit takes effect for the next verification (a new semaphore).
        let entry = map.entry(payer).or_insert_with(|| {
            (
                Arc::new(Semaphore::new(connection.max_concurrent as usize)),
                connection.max_concurrent,
            )
        });
        if entry.1 != connection.max_concurrent {
            *entry = (
                Arc::new(Semaphore::new(connection.max_concurrent as usize)),
                connection.max_concurrent,
            );
        }
        entry.0.clone()
    }

    fn with_breaker<T>(&self, payer: Uuid, f: impl FnOnce(&mut Breaker) -> T) -> T {
        let mut map = self
            .breakers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let breaker = map
            .entry(payer)
            .or_insert_with(|| Breaker::new(self.threshold, self.cooldown));
        f(breaker)
    }

    /// Every payer asked since the process started, with its circuit's state now.
    pub fn circuits(&self) -> Vec<(Uuid, BreakerState)> {
        let map = self
            .breakers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.iter().map(|(payer, b)| (*payer, b.state)).collect()
    }

    pub async fn report(&self, payer: Uuid, connection: Option<&Connection>) -> HealthReport {
        let breaker = self.with_breaker(payer, |b| b.clone());
        let in_flight = {
            let map = self.semaphores.lock().await;
            map.get(&payer)
                .map(|(semaphore, max)| {
                    max.saturating_sub(u32::try_from(semaphore.available_permits()).unwrap_or(0))
                })
                .unwrap_or(0)
        };
        HealthReport {
            payer_id: payer,
            breaker,
            in_flight,
            max_concurrent: connection.map(|c| c.max_concurrent),
        }
    }
}

/// X12 interchange control numbers (ISA13), reserved from the database a block at a time and
/// handed out from memory. One shared counter row bumped by every verification would make all
/// verifications queue on its lock; a block costs one statement per [`BLOCK`] inquiries. Numbers
/// stay unique across processes (each reserves its own blocks); a restart leaves a gap, which
/// X12 allows — ISA13 must be unique, not contiguous.
pub struct ControlNumbers {
    block: Mutex<(i64, i64)>,
}

impl ControlNumbers {
    /// Numbers reserved per database round trip.
    pub const BLOCK: i64 = 100;

    pub fn new() -> ControlNumbers {
        ControlNumbers {
            block: Mutex::new((1, 0)),
        }
    }

    /// `count` fresh control numbers, each in 1..=999_999_999.
    pub async fn take(&self, db: &Db, count: usize) -> Result<Vec<u32>, StoreError> {
        let mut block = self.block.lock().await;
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            if block.0 > block.1 {
                let last =
                    verifications::reserve_control_numbers(db, "x12_interchange", Self::BLOCK)
                        .await?;
                *block = (last - Self::BLOCK + 1, last);
            }
            let n = block.0;
            block.0 += 1;
            out.push(u32::try_from(n % 999_999_999).unwrap_or(1).max(1));
        }
        Ok(out)
    }
}

impl Default for ControlNumbers {
    fn default() -> Self {
        ControlNumbers::new()
    }
}

/// Who asked, for the audit trail: the verification and its audit row are written together.
#[derive(Debug, Clone)]
pub struct Requester {
    pub user_id: String,
    pub ip: Option<String>,
    /// The API request, or the batch the verification belongs to.
    pub request_id: String,
}

/// The result of [`verify`]: the stored verification, and whether it was a stored answer.
pub struct Outcome {
    pub verification: Verification,
    pub cached: bool,
}

/// Why no verification could be made. (A payer that fails or refuses is not one: that is a
/// verification, stored with its reason.)
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request cannot be sent as the records stand; staff fix the fields named.
    #[error("{0}")]
    Refused(Invalid),
    #[error("the records are inconsistent: {0}")]
    Inconsistent(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Invalid> for VerifyError {
    fn from(invalid: Invalid) -> VerifyError {
        VerifyError::Refused(invalid)
    }
}

fn unprocessable(field: &str, message: &str) -> VerifyError {
    VerifyError::Refused(Invalid::one(field, message))
}

/// The verification service, which the API and the batch worker share: the database, the
/// payers' transport, each payer's in-flight limit and circuit breaker, and the control numbers
/// of the 270s this process sends.
pub struct Verifier {
    db: Db,
    secrets: Arc<SecretKey>,
    settings: VerificationSettings,
    transport: Transport,
    health: Arc<PayerHealth>,
    control_numbers: ControlNumbers,
    metrics: Arc<Metrics>,
}

impl Verifier {
    pub fn new(
        db: Db,
        secrets: Arc<SecretKey>,
        settings: VerificationSettings,
        transport: Transport,
        health: Arc<PayerHealth>,
        metrics: Arc<Metrics>,
    ) -> Verifier {
        Verifier {
            db,
            secrets,
            settings,
            transport,
            health,
            control_numbers: ControlNumbers::new(),
            metrics,
        }
    }

    /// Verifies benefits for `request` on behalf of `who`.
    pub async fn verify(&self, who: &Requester, request: &Request) -> Result<Outcome, VerifyError> {
        run(self, who, request, None).await
    }
}

fn run<'a>(
    state: &'a Verifier,
    who: &'a Requester,
    request: &'a Request,
    carve_out: Option<(VerificationId, Payer)>,
) -> futures_util::future::BoxFuture<'a, Result<Outcome, VerifyError>> {
    Box::pin(async move {
        let db = &state.db;
        // The records the inquiry is built from, read without a transaction: each is read once,
        // and none depends on another's snapshot.
        let mut tx = db.read_each().await?;
        let client = clients::find(&mut tx, request.client_id)
            .await?
            .ok_or(VerifyError::NotFound("client"))?;
        let coverage = coverages::find(&mut tx, request.client_id, request.coverage_id)
            .await?
            .ok_or(VerifyError::NotFound("coverage"))?;
        let (parent_id, payer) = match carve_out {
            Some((parent, payer)) => (Some(parent), payer),
            None => {
                let payer = payers::find(&mut tx, &state.secrets, coverage.data.coverage.payer_id)
                    .await?
                    .ok_or(VerifyError::Inconsistent("the coverage's payer is missing"))?;
                (None, payer)
            }
        };
        let Some(connection) = payer.data.connection.clone() else {
            return Err(unprocessable(
                "coverage_id",
                "the coverage's payer has no eligibility connection; an admin sets it on the payer",
            ));
        };
        let clinic = organization::get(&mut tx).await?.ok_or_else(|| {
            unprocessable(
                "organization",
                "the clinic's NPI and name are not set; an admin sets them at /api/v1/organization",
            )
        })?;
        crate::payers::x12::check_names(&connection, &client.data, &coverage.data.coverage)?;
        let levels_key = request.levels_key();
        if !request.force && parent_id.is_none() {
            let since = Utc::now()
                - chrono::Duration::seconds(
                    i64::try_from(state.settings.cache_seconds).unwrap_or(0),
                );
            if let Some(stored) = verifications::recent_answer(
                &mut tx,
                request.coverage_id,
                request.program.as_str(),
                &levels_key,
                request.service_date,
                since,
            )
            .await?
            {
                tx.commit().await?;
                state
                    .metrics
                    .count_verification(payer.id.as_uuid(), "cached");
                return Ok(Outcome {
                    verification: stored,
                    cached: true,
                });
            }
        }
        // Where the clinic bills each level: facility benefits must be for that place.
        let mut places = Vec::new();
        for level in &request.levels {
            let schedules =
                fee_schedules::of_payer(&mut tx, payer.id, *level, request.program).await?;
            let setup = in_force(&schedules, *level, request.program, request.service_date)
                .map(|s| &s.data.claim);
            places.push((*level, billed_place_of_service(setup)));
        }
        tx.commit().await?;

        // On record before the payer is called.
        let id = request.id.unwrap_or_else(VerificationId::new);
        let codes = connection.codes_for(&request.levels, request.program);
        let per_request = usize::try_from(connection.service_types_per_request)
            .unwrap_or(1)
            .max(1);
        let chunks: Vec<Vec<String>> = codes.chunks(per_request).map(<[String]>::to_vec).collect();
        let new = NewVerification {
            id,
            client_id: request.client_id,
            coverage_id: request.coverage_id,
            payer_id: payer.id,
            parent_id,
            requested_by: who.user_id.clone(),
            program: request.program.as_str().to_string(),
            levels_of_care: levels_key,
            service_date: request.service_date,
        };
        let started_at = verifications::start(db, &new).await?;
        let control_numbers = state.control_numbers.take(db, chunks.len()).await?;
        tracing::info!(verification_id = %id, payer_id = %payer.id, requests = chunks.len(), "verifying benefits");

        let parties = Parties {
            payer: &payer.data,
            clinic: &clinic.organization,
            client: &client.data,
            coverage: &coverage.data.coverage,
        };
        let inquiries = inquiries(
            id,
            &parties,
            &chunks,
            &control_numbers,
            request.service_date,
        );

        let limit = state.health.limit(payer.id.as_uuid(), &connection).await;
        let adapter = adapter(&connection, &state.transport);
        let unreadable_counted = std::sync::atomic::AtomicBool::new(false);
        let results = join_all(inquiries.iter().map(|inquiry| {
            let limit = limit.clone();
            let asking = Asking {
                adapter: adapter.as_ref(),
                health: &state.health,
                payer: payer.id.as_uuid(),
                attempts: state.settings.retry_attempts,
                backoff_ms: state.settings.retry_backoff_ms,
                unreadable_counted: &unreadable_counted,
            };
            async move {
                let _permit = limit.acquire_owned().await.ok();
                asking.ask(inquiry).await
            }
        }))
        .await;

        let protocol = connection.protocol.as_str().to_string();
        let id_text = id.to_string();
        let mut answers = Vec::new();
        let mut failures = Vec::new();
        let mut identities = Vec::new();
        let mut exchanges = Vec::new();
        for (seq, (inquiry, attempts)) in inquiries.iter().zip(results).enumerate() {
            let mut last: Option<Result<EligibilityAnswer, PayerError>> = None;
            let mut identity = None;
            for (n, (attempt, started_at, duration)) in attempts.into_iter().enumerate() {
                let (attempt, report) = about_this_client(inquiry, attempt);
                identity = report;
                let (error_kind, error_detail) = match &attempt.outcome {
                    Err(error) => (Some(error.kind().to_string()), Some(error.to_string())),
                    Ok(_) => (None, None),
                };
                exchanges.push(NewExchange {
                    seq: i64::try_from(seq + 1).unwrap_or(0),
                    attempt: i64::try_from(n + 1).unwrap_or(0),
                    protocol: protocol.clone(),
                    service_types: inquiry.service_types.clone(),
                    request: attempt.request.clone(),
                    http_status: attempt.http_status.map(i64::from),
                    response: attempt.response.clone(),
                    error_kind,
                    error_detail,
                    started_at,
                    duration_ms: i64::try_from(duration.as_millis()).unwrap_or(i64::MAX),
                });
                last = Some(attempt.outcome);
            }
            let label = format!("request {} ({})", seq + 1, inquiry.service_types.join(","));
            match last {
                Some(Ok(answer)) => {
                    identities.extend(identity);
                    answers.push((label, answer));
                }
                Some(Err(error)) => failures.push((label, error)),
                None => {}
            }
        }
        let completion = complete(&answers, &failures, &places, request.program, &identities);
        // The writer is taken once everything to write is ready.
        let mut tx = db.begin().await?;
        verifications::record_exchanges(&mut tx, id, &exchanges).await?;
        let finished_at = verifications::complete(&mut tx, id, &completion).await?;
        audit::record(
            &mut tx,
            &AuditEntry {
                user_id: Some(&who.user_id),
                action: Action::Create,
                entity_type: "verification",
                entity_id: Some(&id_text),
                ip: who.ip.as_deref(),
                request_id: &who.request_id,
            },
        )
        .await?;
        tx.commit().await?;
        state
            .metrics
            .count_verification(payer.id.as_uuid(), &completion.status);
        tracing::info!(verification_id = %id, status = %completion.status, "verification finished");

        let mut verification = verifications::assemble(&new, started_at, &completion, finished_at)?;
        if parent_id.is_none() {
            verification.carve_out_verification_id =
                follow_carve_out(state, who, request, id, &payer, &completion).await?;
        }
        Ok(Outcome {
            verification,
            cached: false,
        })
    })
}

/// Who a verification's inquiries are between and about: the payer asked, the clinic asking,
/// the client, and the coverage the client is asked about under.
#[derive(Debug, Clone, Copy)]
pub struct Parties<'a> {
    pub payer: &'a NewPayer,
    pub clinic: &'a Organization,
    pub client: &'a NewClient,
    pub coverage: &'a NewCoverage,
}

/// The inquiries of one verification: one per group of service types, each with its own
/// control number and a trace naming the verification and the request's place in it, asking
/// about the client as the coverage names them — the policy holder, and the client as its
/// dependent when someone else holds the policy. `control_numbers` holds one number per group.
pub fn inquiries(
    id: VerificationId,
    parties: &Parties<'_>,
    service_types: &[Vec<String>],
    control_numbers: &[u32],
    service_date: NaiveDate,
) -> Vec<Inquiry> {
    let Parties {
        payer,
        clinic,
        client,
        coverage,
    } = *parties;
    let patient = InquiryPerson {
        first_name: client.first_name.to_string(),
        last_name: client.last_name.to_string(),
        date_of_birth: client.date_of_birth,
        sex: Some(client.sex.as_str().to_string()),
    };
    let (subscriber, dependent) = match &coverage.subscriber {
        None => (patient, None),
        Some(holder) => (
            InquiryPerson {
                first_name: holder.first_name.to_string(),
                last_name: holder.last_name.to_string(),
                date_of_birth: holder.date_of_birth,
                sex: holder.sex.map(|s| s.as_str().to_string()),
            },
            Some(patient),
        ),
    };
    // One number per group: `zip` would drop the groups past a shorter list without a word.
    debug_assert_eq!(service_types.len(), control_numbers.len());
    service_types
        .iter()
        .zip(control_numbers)
        .enumerate()
        .map(|(seq, (codes, control))| Inquiry {
            trace: format!("{}-{}", id.as_uuid().simple(), seq + 1),
            control_number: *control,
            payer_name: payer.name.to_string(),
            payer_edi_id: payer.payer_id.as_str().to_string(),
            provider_name: clinic.legal_name.to_string(),
            provider_npi: clinic.npi.as_str().to_string(),
            provider_tax_id: clinic.tax_id.clone(),
            member_id: coverage.member_id.as_str().to_string(),
            group_number: coverage
                .group_number
                .as_ref()
                .map(|g| g.as_str().to_string()),
            subscriber: subscriber.clone(),
            dependent: dependent.clone(),
            service_types: codes.clone(),
            service_date,
        })
        .collect()
}

/// One inquiry's way to the payer: the adapter, the payer's breaker, the retry policy.
struct Asking<'a> {
    adapter: &'a dyn PayerAdapter,
    health: &'a PayerHealth,
    payer: Uuid,
    attempts: u32,
    backoff_ms: u64,
    /// One verification's unreadable answers count once toward the payer's breaker, however
    /// many of its requests came back unreadable.
    unreadable_counted: &'a std::sync::atomic::AtomicBool,
}

impl Asking<'_> {
    /// Asks once, and again after a growing pause while the failure is transient; an open
    /// circuit answers at once without calling the payer.
    async fn ask(&self, inquiry: &Inquiry) -> Vec<(Attempt, chrono::DateTime<Utc>, Duration)> {
        let mut done = Vec::new();
        let attempts = self.attempts.max(1);
        for n in 0..attempts {
            let started_at = crate::store::now();
            let admitted = self.health.with_breaker(self.payer, |b| {
                if b.admit(started_at) {
                    Ok(())
                } else {
                    Err(b.retry_at.map(|at| at.to_rfc3339()).unwrap_or_default())
                }
            });
            if let Err(retry_at) = admitted {
                let attempt = Attempt::failed(String::new(), PayerError::CircuitOpen(retry_at));
                done.push((attempt, started_at, Duration::ZERO));
                break;
            }
            let clock = Instant::now();
            let attempt = self.adapter.inquire(inquiry).await;
            let finished = crate::store::now();
            let counted_before = matches!(attempt.outcome, Err(PayerError::Unparseable(_)))
                && self
                    .unreadable_counted
                    .swap(true, std::sync::atomic::Ordering::Relaxed);
            self.health
                .with_breaker(self.payer, |b| match &attempt.outcome {
                    Err(_) if counted_before => {}
                    Err(error) if error.counts_against_payer() => b.failed(finished, error.kind()),
                    _ => b.succeeded(finished),
                });
            let transient = attempt.is_transient();
            done.push((attempt, started_at, clock.elapsed()));
            if !transient || n + 1 == attempts {
                break;
            }
            let pause = self.backoff_ms.saturating_mul(1 << n.min(3));
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        done
    }
}

/// An answer about someone else is never this client's: it becomes a [`PayerError::Mismatch`]
/// (its raw exchange stays on the attempt, for the record). A matching answer comes with what
/// the payer holds differently about the client. The payer did answer, so its breaker counted
/// the attempt as a response in [`Asking::ask`].
fn about_this_client(inquiry: &Inquiry, mut attempt: Attempt) -> (Attempt, Option<IdentityReport>) {
    let Ok(answer) = &attempt.outcome else {
        return (attempt, None);
    };
    match identity::check(inquiry, answer) {
        Ok(report) => (attempt, Some(report)),
        Err(detail) => {
            attempt.outcome = Err(PayerError::Mismatch(detail));
            (attempt, None)
        }
    }
}

/// Decides the outcome from the answers and failures of every request.
fn complete(
    answers: &[(String, EligibilityAnswer)],
    failures: &[(String, PayerError)],
    places: &[(LevelOfCare, String)],
    program: Program,
    identities: &[IdentityReport],
) -> Completion {
    let mut warnings: Vec<String> = failures
        .iter()
        .map(|(label, error)| format!("{label}: no answer — {error}"))
        .collect();
    // One answer about someone else puts every figure in doubt: nothing of it is shown.
    if let Some((_, mismatch)) = failures
        .iter()
        .find(|(_, e)| matches!(e, PayerError::Mismatch(_)))
    {
        return Completion {
            status: "payer_error".into(),
            error_kind: Some(mismatch.kind().to_string()),
            error_detail: Some(mismatch.to_string()),
            warnings,
            ..Completion::default()
        };
    }
    if answers.is_empty() {
        let (kind, detail) = failures
            .last()
            .map(|(_, e)| (e.kind().to_string(), e.to_string()))
            .unwrap_or_else(|| ("request".into(), "no inquiry was sent".into()));
        return Completion {
            status: "payer_error".into(),
            error_kind: Some(kind),
            error_detail: Some(detail),
            warnings,
            ..Completion::default()
        };
    }
    let merged = merge(answers);
    let has_benefits = !merged.benefits.is_empty();
    if !has_benefits {
        if let Some(rejection) = pick_rejection(&merged.rejections) {
            return Completion {
                status: "rejected".into(),
                rejection_code: Some(rejection.code.clone()),
                rejection_description: Some(rejection.description.clone()),
                follow_up: rejection.follow_up.clone(),
                warnings,
                ..Completion::default()
            };
        }
    }
    for rejection in &merged.rejections {
        warnings.push(format!(
            "the payer rejected part of the inquiry: {} {} ({})",
            rejection.code, rejection.description, rejection.source
        ));
    }
    for note in &merged.notes {
        warnings.push(note.clone());
    }
    let identity = identities
        .iter()
        .find(|r| !r.is_empty())
        .cloned()
        .unwrap_or_default();
    if let Some(id) = &identity.corrected_member_id {
        warnings.push(format!(
            "the payer answered under a corrected member id {id}: update the coverage"
        ));
    }
    for difference in &identity.payer_data {
        warnings.push(format!("the payer's data differs: {difference}"));
    }
    let summaries: Vec<LevelSummary> = places
        .iter()
        .map(|(level, place)| {
            let mut summary = summarize_at(&merged, *level, program, place);
            summary.answered_for = (!identity.is_empty()).then(|| identity.clone());
            summary
        })
        .collect();
    if let Some(first) = summaries.first() {
        for other in &first.other_coverage {
            warnings.push(other_coverage_warning(other));
        }
    }
    let status = if summaries
        .iter()
        .all(|s| s.coverage_status.value == CoverageStatus::Inactive)
    {
        "inactive"
    } else {
        "verified"
    };
    Completion {
        status: status.into(),
        summary: serde_json::to_value(&summaries).ok(),
        warnings,
        ..Completion::default()
    }
}

/// A permanent rejection explains more than a transient one; the first of each kind wins.
fn pick_rejection(rejections: &[PayerRejection]) -> Option<&PayerRejection> {
    rejections
        .iter()
        .find(|r| !r.is_transient())
        .or_else(|| rejections.first())
}

/// One answer from several: rows and rejections side by side, each source prefixed with the
/// request it came from; plan facts from the first request that had them.
fn merge(answers: &[(String, EligibilityAnswer)]) -> EligibilityAnswer {
    let mut merged = EligibilityAnswer::default();
    for (label, answer) in answers {
        let prefix = |source: &str| format!("{label}: {source}");
        if merged.plan_name.is_none() {
            merged.plan_name = answer.plan_name.clone().map(|mut s| {
                s.source = prefix(&s.source);
                s
            });
        }
        if merged.plan_begin.is_none() {
            merged.plan_begin = answer.plan_begin.clone().map(|mut s| {
                s.source = prefix(&s.source);
                s
            });
        }
        if merged.plan_end.is_none() {
            merged.plan_end = answer.plan_end.clone().map(|mut s| {
                s.source = prefix(&s.source);
                s
            });
        }
        merged
            .benefits
            .extend(answer.benefits.iter().cloned().map(|mut b| {
                b.source = prefix(&b.source);
                b
            }));
        merged
            .rejections
            .extend(answer.rejections.iter().cloned().map(|mut r| {
                r.source = prefix(&r.source);
                r
            }));
        for message in &answer.messages {
            if !merged.messages.contains(message) {
                merged.messages.push(message.clone());
            }
        }
        if merged.payer.is_none() {
            merged.payer = answer.payer.clone();
        }
        for note in &answer.notes {
            if !merged.notes.contains(note) {
                merged.notes.push(format!("{label}: {note}"));
            }
        }
    }
    merged
}

/// When the answer names another entity that administers behavioral health and the clinic has
/// that payer (by EDI id) with a connection, verifies again against it and links the two.
async fn follow_carve_out(
    state: &Verifier,
    who: &Requester,
    request: &Request,
    verification_id: VerificationId,
    payer: &Payer,
    completion: &Completion,
) -> Result<Option<VerificationId>, VerifyError> {
    let Some(summary) = &completion.summary else {
        return Ok(None);
    };
    let identifiers: Vec<String> = summary
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|level| {
            level["carve_out"]["identifier"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    let db: &Db = &state.db;
    for identifier in identifiers {
        let mut tx = db.read_each().await?;
        let target = payers::find_by_edi_id(&mut tx, &state.secrets, &identifier).await?;
        tx.commit().await?;
        let Some(target) = target.filter(|t| t.id != payer.id && t.data.connection.is_some())
        else {
            continue;
        };
        let follow = Request {
            force: true,
            id: None,
            ..request.clone()
        };
        let outcome = run(state, who, &follow, Some((verification_id, target))).await?;
        let mut tx = db.begin().await?;
        verifications::link_carve_out(&mut tx, verification_id, outcome.verification.id).await?;
        tx.commit().await?;
        return Ok(Some(outcome.verification.id));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::client::ClientInput;
    use crate::domain::coverage::CoverageInput;
    use crate::domain::ids::PayerId;
    use crate::domain::organization::OrganizationInput;
    use crate::domain::payer::PayerInput;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// The inquiries of verification `id` for a client on a coverage at a clinic, the client's
    /// own policy or, with `subscriber`, someone else's.
    fn ask(
        subscriber: Option<serde_json::Value>,
        id: VerificationId,
        groups: &[Vec<String>],
        control_numbers: &[u32],
    ) -> Vec<Inquiry> {
        let payer = serde_json::from_value::<PayerInput>(json!({
            "name": "Blue Cross Blue Shield of Texas", "payer_id": "84980"
        }))
        .unwrap()
        .parse()
        .unwrap();
        let clinic = serde_json::from_value::<OrganizationInput>(json!({
            "legal_name": "Sunrise Behavioral Health LLC", "npi": "1234567893",
            "tax_id": "12-3456789", "taxonomy_code": "261QM0801X",
            "address": {"line1": "100 Congress Ave", "city": "Austin", "state": "TX",
                        "postal_code": "78701-1234"},
            "phone": "512-555-0100"
        }))
        .unwrap()
        .parse()
        .unwrap();
        let client = serde_json::from_value::<ClientInput>(json!({
            "first_name": "Mai", "last_name": "Nguyen", "date_of_birth": "2009-09-14", "sex": "F"
        }))
        .unwrap()
        .parse(day("2026-12-07"))
        .unwrap();
        let mut coverage = json!({
            "payer_id": PayerId::new().to_string(), "member_id": "MOCK-CARVEOUT",
            "group_number": "GRP-100", "relationship": "self", "priority": "primary"
        });
        if let Some(holder) = subscriber {
            coverage["relationship"] = json!("child");
            coverage["subscriber"] = holder;
        }
        let coverage = serde_json::from_value::<CoverageInput>(coverage)
            .unwrap()
            .parse(day("2026-12-07"))
            .unwrap();
        let parties = Parties {
            payer: &payer,
            clinic: &clinic,
            client: &client,
            coverage: &coverage,
        };
        inquiries(id, &parties, groups, control_numbers, day("2026-12-08"))
    }

    #[test]
    fn one_inquiry_per_group_of_service_types_each_with_its_control_number() {
        let id = VerificationId::new();
        let groups = vec![
            vec!["MH".to_string()],
            vec!["CB".to_string(), "A8".to_string()],
        ];
        let asked = ask(None, id, &groups, &[41, 42]);
        assert_eq!(asked.len(), 2);
        assert_eq!(asked[0].trace, format!("{}-1", id.as_uuid().simple()));
        assert_eq!(asked[1].trace, format!("{}-2", id.as_uuid().simple()));
        assert_eq!((asked[0].control_number, asked[1].control_number), (41, 42));
        assert_eq!(asked[1].service_types, ["CB", "A8"]);
        let first = &asked[0];
        assert_eq!(first.payer_edi_id, "84980");
        assert_eq!(first.provider_npi, "1234567893");
        assert_eq!(first.provider_tax_id, "123456789");
        assert_eq!(first.member_id, "MOCK-CARVEOUT");
        assert_eq!(first.group_number.as_deref(), Some("GRP-100"));
        assert_eq!(first.service_date, day("2026-12-08"));
        // The client holds the policy: asked about as the subscriber, no dependent loop.
        assert_eq!(first.subscriber.last_name, "Nguyen");
        assert_eq!(first.subscriber.date_of_birth, day("2009-09-14"));
        assert_eq!(first.dependent, None);
    }

    #[test]
    fn a_client_on_someone_elses_policy_is_asked_about_as_the_dependent() {
        let holder = json!({"first_name": "Linh", "last_name": "Nguyen",
                            "date_of_birth": "1978-05-20", "sex": "F"});
        let groups = vec![vec!["MH".to_string()]];
        let asked = ask(Some(holder), VerificationId::new(), &groups, &[7]);
        assert_eq!(asked[0].subscriber.first_name, "Linh");
        assert_eq!(asked[0].subscriber.date_of_birth, day("1978-05-20"));
        let dependent = asked[0]
            .dependent
            .as_ref()
            .expect("the client as dependent");
        assert_eq!(dependent.first_name, "Mai");
        assert_eq!(dependent.date_of_birth, day("2009-09-14"));
        assert_eq!(dependent.sex.as_deref(), Some("F"));
    }
}
