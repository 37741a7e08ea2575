//! Claim generation and the claim lifecycle, over the store. The decisions are pure and live
//! elsewhere: which days become which lines in [`crate::domain::claim::build`], which status
//! moves are allowed in [`crate::domain::claim_status`]. This module loads the facts, asks,
//! and writes the answer in the caller's transaction.
//!
//! Concurrency: generation takes the attendance writers' lock first (a PostgreSQL advisory
//! lock; SQLite write transactions are serialized anyway), so attendance cannot change under
//! it and two generations run one after the other. The partial UNIQUE index on live claim
//! lines is the last word: whatever the code does, a day cannot be on two live claims.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::config::BillingSettings;
use crate::domain::billable::{assess, qualifying_services, Day};
use crate::domain::claim::{
    build, line_control_number, AssessedDay, AuthorizationRef, ClaimRequest, DraftClaim, Facts,
    LeftOut, LeftOutReason,
};
use crate::domain::claim_status::{ClaimStatus, Frequency};
use crate::domain::day_rate::{expected_for_day, NewDayRate};
use crate::domain::episode::{episode_on, NewEpisode, STILL_PATIENT};
use crate::domain::fee_schedule::{ClaimForm, ClaimSetup};
use crate::domain::ids::{new_id, ClaimId, PayerId};
use crate::domain::interim::{self, BillFrequency, Billed, NextBill, Refusal, Sequenced, Stay};
use crate::domain::money::Money;
use crate::domain::payer::ClaimStyle;
use crate::domain::service_code::{NewServiceCode, ServiceCode};
use crate::services::attendance::{authorizations_of, minimums, windows};
use crate::store::claims::{self, ClaimRecord, LineRecord, NewClaim, SequencedClaim};
use crate::store::{
    attendance as days_store, day_rates, episodes, fee_schedules, now, service_codes, StoreError,
    Tx,
};

/// What to generate: the builder's request and the optional narrowing to one payer or client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    pub request: ClaimRequest,
    pub payer_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
}

/// Why a day is left out, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOutReasonView {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOutView {
    pub client_id: Uuid,
    pub attendance_id: Option<Uuid>,
    pub date: NaiveDate,
    pub level_of_care: crate::domain::eligibility::LevelOfCare,
    pub reasons: Vec<LeftOutReasonView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub claims: usize,
    pub lines: usize,
    pub days_left_out: usize,
    pub total_charge: Money,
    /// Null when a claim's expected reimbursement is unknown.
    pub expected_reimbursement: Option<Money>,
}

/// The answer to a generation: the claims made (or that would be, on a dry run) and every
/// attended day in range that is on none of them, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generated {
    pub dry_run: bool,
    pub summary: Summary,
    pub claims: Vec<ClaimRecord>,
    pub left_out: Vec<LeftOutView>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An amount that does not fit the money type (a schedule × units beyond 99,999,999.99).
    #[error("{0}")]
    Amount(String),
}

fn reason_view(reason: &LeftOutReason) -> LeftOutReasonView {
    use crate::domain::billable::Reason;
    let (message, claim_id) = match reason {
        LeftOutReason::NotBillable(r) => (
            match r {
                Reason::BelowMinimumMinutes { message, .. }
                | Reason::NoCoverage { message }
                | Reason::NoApprovedAuthorization { message }
                | Reason::BeyondApprovedDays { message, .. }
                | Reason::FewerServices { message, .. } => message.clone(),
            },
            None,
        ),
        LeftOutReason::NoFeeSchedule => (
            "no fee schedule of the payer is in force for this level of care and program on \
             this date"
                .to_string(),
            None,
        ),
        LeftOutReason::NoChargePerDay {
            level_of_care,
            program,
            effective_from,
        } => (
            format!(
                "the payer's fee schedule for {} {} in force from {effective_from} states no \
                 charge per day, and this payer is billed per day: add the charge to bill the day",
                level_of_care.as_str(),
                program.as_str()
            ),
            None,
        ),
        LeftOutReason::NoEpisode => (
            "no episode of care covers this date (the claim needs its diagnoses)".to_string(),
            None,
        ),
        LeftOutReason::AlreadyBilled { claim_id } => (
            "already billed on a live claim".to_string(),
            Some(*claim_id),
        ),
        LeftOutReason::NoServices => (
            "the payer is billed per service and the day lists no service catalog code".to_string(),
            None,
        ),
        LeftOutReason::ServiceNotInCatalog { code } => (
            format!("{code} has no service catalog entry in force on this date"),
            None,
        ),
    };
    LeftOutReasonView {
        code: reason.code(),
        message,
        claim_id,
    }
}

/// The facts a generation (or a replacement) builds from, for a set of clients.
struct Loaded {
    days: Vec<AssessedDay>,
    attendance_ids: AttendanceIds,
    facts: Facts,
    payer_names: HashMap<Uuid, String>,
}

/// The stored id of every attended day loaded, in (client, date) order. Searched rather than
/// hashed: 100,000 days make a table of megabytes, and probing it at random was most of the
/// time spent writing a generation's records (a claim's lines are one client's, in date order).
struct AttendanceIds(Vec<(Uuid, NaiveDate, Uuid)>);

impl AttendanceIds {
    fn new(mut days: Vec<(Uuid, NaiveDate, Uuid)>) -> AttendanceIds {
        // A client has one day per date; loaded in this order already, so this only checks.
        days.sort_unstable_by_key(|(client, date, _)| (*client, *date));
        AttendanceIds(days)
    }

    /// One client's days, in date order.
    fn of_client(&self, client: Uuid) -> &[(Uuid, NaiveDate, Uuid)] {
        let start = self.0.partition_point(|(c, _, _)| *c < client);
        let len = self.0[start..].partition_point(|(c, _, _)| *c == client);
        &self.0[start..start + len]
    }

    /// The id of the day on `date` among one client's days.
    fn on(days: &[(Uuid, NaiveDate, Uuid)], date: NaiveDate) -> Option<Uuid> {
        days.binary_search_by_key(&date, |(_, d, _)| *d)
            .ok()
            .map(|i| days[i].2)
    }

    fn get(&self, client: Uuid, date: NaiveDate) -> Option<Uuid> {
        AttendanceIds::on(self.of_client(client), date)
    }
}

/// Loads and assesses every attended day of `clients` (their whole history: authorizations
/// count days in date order), and the fee schedules and episodes a claim needs.
async fn load(
    tx: &mut Tx,
    clients: &[Uuid],
    settings: &BillingSettings,
) -> Result<Loaded, StoreError> {
    let authorizations = authorizations_of(tx, clients).await?;
    let program_of: HashMap<Uuid, _> = authorizations
        .values()
        .flatten()
        .map(|(a, _)| {
            (
                a.id.as_uuid(),
                (a.terms.program, a.terms.authorization_number.clone()),
            )
        })
        .collect();
    let windows = windows(&authorizations);
    let spans = days_store::coverage_spans(tx, clients).await?;
    let payer_of: HashMap<Uuid, Uuid> = spans
        .values()
        .flatten()
        .map(|span| (span.id, span.payer_id))
        .collect();
    let payer_names: HashMap<Uuid, String> = spans
        .values()
        .flatten()
        .map(|span| (span.payer_id, span.payer_name.clone()))
        .collect();
    let per_service_payers: HashSet<Uuid> = spans
        .values()
        .flatten()
        .filter(|span| span.rules.claim_style == ClaimStyle::PerService)
        .map(|span| span.payer_id)
        .collect();
    // The billing rules of each coverage: a per-service payer's minimum of services prices
    // its days as the billable rule counts them.
    let rules_of: HashMap<Uuid, crate::domain::payer::BillingRules> = spans
        .values()
        .flatten()
        .map(|span| (span.id, span.rules))
        .collect();
    let mut day_rates: HashMap<Uuid, Vec<NewDayRate>> = HashMap::new();
    for payer in &per_service_payers {
        let rates = day_rates::of_payer(tx, PayerId::from_uuid(*payer)).await?;
        day_rates.insert(*payer, rates.into_iter().map(|r| r.data).collect());
    }
    let mut expected_per_day = HashMap::new();
    let minimums = minimums(settings);
    let stored = claims::billing_days(tx, clients).await?;
    // The catalog entries of every code on those days: the services a per-service payer
    // counts, and (for its claims) what each line is coded and charged.
    let codes: Vec<ServiceCode> = stored
        .iter()
        .flat_map(|d| d.services.iter().filter_map(|s| s.coded()))
        .map(|(code, _)| code.clone())
        .collect();
    let catalog: Vec<NewServiceCode> = service_codes::of_codes(tx, &codes)
        .await?
        .into_iter()
        .map(|e| e.data)
        .collect();

    let mut days = Vec::with_capacity(stored.len());
    let mut attendance_ids = Vec::with_capacity(stored.len());
    for client_days in stored.chunk_by(|a, b| a.client_id == b.client_id) {
        let Some(client) = client_days.first().map(|d| d.client_id) else {
            continue;
        };
        let coverages = spans.get(&client).map(Vec::as_slice).unwrap_or_default();
        let client_windows = windows.get(&client).map(Vec::as_slice).unwrap_or_default();
        let plain: Vec<Day> = client_days
            .iter()
            .map(|d| Day {
                date: d.date,
                level_of_care: d.level_of_care,
                minutes: d.minutes,
                services: qualifying_services(&d.services, &catalog, d.date),
            })
            .collect();
        let assessments = assess(&plain, coverages, client_windows, &minimums);
        for ((record, assessment), day) in client_days.iter().zip(assessments).zip(&plain) {
            attendance_ids.push((client, record.date, record.id));
            let program = assessment
                .authorization_id
                .and_then(|id| program_of.get(&id));
            let payer_id = assessment
                .coverage_id
                .and_then(|c| payer_of.get(&c).copied());
            // A per-service day's expected amount: the day rate of its tier, counted with the
            // very figure the billable rule counted (`day.services`). Absent when not known.
            if let (Some(rates), Some(rules)) = (
                payer_id.and_then(|p| day_rates.get(&p)),
                assessment.coverage_id.and_then(|c| rules_of.get(&c)),
            ) {
                if let Some(amount) = expected_for_day(
                    rates,
                    record.level_of_care,
                    record.date,
                    day.services,
                    rules.minimum_services_per_day,
                ) {
                    expected_per_day.insert((client, record.date), amount);
                }
            }
            days.push(AssessedDay {
                client_id: client,
                date: record.date,
                level_of_care: record.level_of_care,
                program: program.map(|(program, _)| *program),
                coverage_id: assessment.coverage_id,
                payer_id,
                authorization: assessment.authorization_id.and_then(|id| {
                    program.map(|(_, number)| AuthorizationRef {
                        id,
                        number: Some(number.clone()),
                    })
                }),
                billable: assessment.billable,
                reasons: assessment.reasons,
                warnings: assessment.warnings,
                // Only a per-service payer's claim reads them.
                services: if per_service_payers.contains(&payer_id.unwrap_or_default()) {
                    record.services.clone()
                } else {
                    Vec::new()
                },
                on_claim: record.claim_id,
            });
        }
    }
    let mut payers: Vec<Uuid> = payer_of.values().copied().collect();
    payers.sort();
    payers.dedup();
    let fee_schedules = fee_schedules::of_payers(tx, &payers)
        .await?
        .into_iter()
        .map(|s| s.data)
        .collect();
    let mut by_client: BTreeMap<Uuid, Vec<NewEpisode>> = BTreeMap::new();
    for episode in episodes::for_clients(tx, clients).await? {
        by_client
            .entry(episode.data.client_id.as_uuid())
            .or_default()
            .push(episode.data.episode);
    }
    Ok(Loaded {
        days,
        attendance_ids: AttendanceIds::new(attendance_ids),
        facts: Facts {
            fee_schedules,
            episodes: by_client,
            per_service_payers,
            catalog,
            expected_per_day,
        },
        payer_names,
    })
}

/// CL103: the discharge status of the episode the claim's last day falls in, once it has
/// ended by then; `30` (still a patient) otherwise.
fn discharge_status(episodes: Option<&Vec<NewEpisode>>, through: NaiveDate) -> String {
    episodes
        .and_then(|list| episode_on(list, through))
        .and_then(|e| match (e.discharge_date, &e.discharge_status) {
            (Some(discharged), Some(status)) if discharged <= through => {
                Some(status.as_str().to_string())
            }
            _ => None,
        })
        .unwrap_or_else(|| STILL_PATIENT.to_string())
}

fn money(amount: rust_decimal::Decimal) -> Result<Money, GenerateError> {
    let cents = crate::domain::money::to_minor_units(amount)
        .ok_or_else(|| GenerateError::Amount(format!("{amount} does not fit an amount")))?;
    Money::from_minor_units(cents).map_err(GenerateError::Amount)
}

/// [`money`] of the amount last asked again when it comes again: a claim's lines mostly
/// repeat one schedule's amounts, and rounding each was a tenth of writing the records.
#[derive(Default)]
struct LastAmount(Option<(rust_decimal::Decimal, Money)>);

impl LastAmount {
    fn money(&mut self, amount: rust_decimal::Decimal) -> Result<Money, GenerateError> {
        match self.0 {
            Some((last, money)) if last == amount => Ok(money),
            _ => {
                let converted = money(amount)?;
                self.0 = Some((amount, converted));
                Ok(converted)
            }
        }
    }
}

/// What a stored claim adds to a draft.
struct Header {
    id: Uuid,
    claim_number: String,
    discharge_status: String,
    frequency: Frequency,
    original_claim_id: Option<Uuid>,
    created_by: Uuid,
}

/// A record for a draft: what will be stored, with its lines.
fn record_of(
    draft: &DraftClaim,
    header: Header,
    attendance_ids: &AttendanceIds,
) -> Result<ClaimRecord, GenerateError> {
    let Header {
        id,
        claim_number,
        discharge_status,
        frequency,
        original_claim_id,
        created_by,
    } = header;
    let mut lines = Vec::with_capacity(draft.lines.len());
    let days = attendance_ids.of_client(draft.client_id);
    let (mut charges, mut expected) = (LastAmount::default(), LastAmount::default());
    for (i, line) in draft.lines.iter().enumerate() {
        let attendance_id = AttendanceIds::on(days, line.date).ok_or_else(|| {
            GenerateError::Store(StoreError::corrupt(
                "attendance",
                "a claim line has no attended day",
            ))
        })?;
        let line_number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        lines.push(LineRecord {
            line_number,
            line_control_number: line_control_number(&claim_number, line_number),
            attendance_id,
            service_date: line.date,
            program: line.program,
            revenue_code: line.revenue_code.as_str().to_string(),
            hcpcs: line.hcpcs.as_ref().map(|h| h.as_str().to_string()),
            modifiers: line
                .modifiers
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
            units: line.units,
            charge: charges.money(line.charge)?,
            expected: line.expected.map(|e| expected.money(e)).transpose()?,
            live: true,
            service_index: line.service_index,
        });
    }
    let (claim_form, type_of_bill, place_of_service, condition_codes) = match &draft.claim {
        ClaimSetup::Institutional {
            type_of_bill,
            condition_codes,
        } => (
            ClaimForm::Institutional,
            Some(type_of_bill.as_str().to_string()),
            None,
            condition_codes
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
        ),
        ClaimSetup::Professional { place_of_service } => (
            ClaimForm::Professional,
            None,
            Some(place_of_service.as_str().to_string()),
            Vec::new(),
        ),
    };
    let at = now();
    Ok(ClaimRecord {
        id,
        claim_number,
        client_id: draft.client_id,
        coverage_id: draft.coverage_id,
        payer_id: draft.payer_id,
        level_of_care: draft.level_of_care,
        authorization_id: draft.authorization_id,
        authorization_number: draft
            .authorization_number
            .as_ref()
            .map(|n| n.as_str().to_string()),
        period_from: draft.period_from,
        period_through: draft.period_through,
        statement_from: draft.statement_from,
        statement_through: draft.statement_through,
        claim_form: claim_form.as_str().to_string(),
        type_of_bill,
        place_of_service,
        condition_codes,
        principal_diagnosis: draft.principal_diagnosis.as_str().to_string(),
        other_diagnoses: draft
            .other_diagnoses
            .iter()
            .map(|d| d.as_str().to_string())
            .collect(),
        discharge_status,
        total_charge: money(draft.total_charge)?,
        expected_reimbursement: draft.expected_reimbursement.map(money).transpose()?,
        status: ClaimStatus::Draft,
        frequency,
        original_claim_id,
        payer_claim_number: None,
        line_count: u32::try_from(lines.len()).unwrap_or(u32::MAX),
        warnings: draft.warnings.clone(),
        lines: Some(lines),
        created_by,
        created_at: at,
        updated_at: at,
    })
}

/// Whether a draft goes out as one of its episode's interim bills (issue 17): the 837I
/// claims of a per-service (Medicare-style) payer, which bills a long PHP or IOP stay in
/// sequence. judgement: a `per_day` payer keeps frequency 1 on every claim and the discharge
/// status of [`discharge_status`], as before — commercial per-diem contracts are billed as
/// independent originals, and nothing in their rules asks for a sequence.
fn billed_in_sequence(draft: &DraftClaim, per_service_payers: &HashSet<Uuid>) -> bool {
    per_service_payers.contains(&draft.payer_id)
        && matches!(draft.claim, ClaimSetup::Institutional { .. })
}

/// The stored frequency of a sequenced bill.
fn frequency_of(bill: BillFrequency) -> Frequency {
    match bill {
        BillFrequency::AdmitThroughDischarge => Frequency::Original,
        BillFrequency::FirstInterim => Frequency::FirstInterim,
        BillFrequency::ContinuingInterim => Frequency::ContinuingInterim,
        BillFrequency::LastInterim => Frequency::LastInterim,
        BillFrequency::Replacement => Frequency::Replacement,
    }
}

/// The live claims of one payer that bill days of the episode (`stay`), as the sequence reads
/// them. judgement: "sent" is [`ClaimStatus::payer_has_it`] — submitted or any later status
/// the payer gave it (received, accepted, paid, partially paid, denied, forwarded). A draft,
/// ready or rejected claim has not reached the payer, so the next interim waits for it.
fn billed_of(claims: Option<&Vec<SequencedClaim>>, payer_id: Uuid, stay: &Stay) -> Vec<Billed> {
    claims
        .into_iter()
        .flatten()
        .filter(|c| c.payer_id == payer_id)
        .filter(|c| {
            c.statement_through >= stay.admission
                && stay.discharge.is_none_or(|d| c.statement_from <= d)
        })
        .filter_map(|c| {
            let frequency = match c.frequency {
                Frequency::Original => BillFrequency::AdmitThroughDischarge,
                Frequency::FirstInterim => BillFrequency::FirstInterim,
                Frequency::ContinuingInterim => BillFrequency::ContinuingInterim,
                Frequency::LastInterim => BillFrequency::LastInterim,
                Frequency::Replacement => BillFrequency::Replacement,
                Frequency::Void => return None,
            };
            Some(Billed {
                claim_id: ClaimId::from_uuid(c.id),
                from: c.statement_from,
                through: c.statement_through,
                frequency,
                sent: c.status.payer_has_it(),
            })
        })
        .collect()
}

/// The claim a refusal names, for the answer's `claim_id`.
fn refused_by(refusal: &Refusal) -> Option<Uuid> {
    match refusal {
        Refusal::Overlaps { claim_id, .. }
        | Refusal::OutOfSequence { claim_id, .. }
        | Refusal::StayBilledToDischarge { claim_id }
        | Refusal::HeldUntilSent { claim_id }
        | Refusal::NothingToReplace { claim_id }
        | Refusal::ReplacementPeriodDiffers { claim_id, .. } => Some(claim_id.as_uuid()),
        Refusal::EmptyPeriod | Refusal::OutsideStay { .. } | Refusal::NoDischargeStatus { .. } => {
            None
        }
    }
}

/// The days of a draft the sequence refused, each left out with the refusal.
fn refused_days(
    draft: &DraftClaim,
    refusal: &Refusal,
    attendance_ids: &AttendanceIds,
) -> Vec<LeftOutView> {
    let mut dates: Vec<NaiveDate> = draft.lines.iter().map(|l| l.date).collect();
    dates.dedup();
    dates
        .into_iter()
        .map(|date| LeftOutView {
            client_id: draft.client_id,
            attendance_id: attendance_ids.get(draft.client_id, date),
            date,
            level_of_care: draft.level_of_care,
            reasons: vec![LeftOutReasonView {
                code: refusal.code(),
                message: refusal.message(),
                claim_id: refused_by(refusal),
            }],
        })
        .collect()
}

/// Puts a sequenced bill's frequency on the record: CLM05-3, the type of bill's last digit
/// and the patient status (CL103).
fn apply_sequence(record: &mut ClaimRecord, sequenced: &Sequenced) {
    record.frequency = frequency_of(sequenced.frequency);
    record.discharge_status = sequenced.patient_status.as_str().to_string();
    record.type_of_bill =
        record
            .type_of_bill
            .take()
            .map(
                |tob| match crate::domain::fee_schedule::TypeOfBill::parse(tob.clone()) {
                    Ok(parsed) => sequenced.frequency.on(&parsed).as_str().to_string(),
                    Err(_) => tob,
                },
            );
}

/// A draft of a build with the id its claim will have and the interim decision on it
/// (`None`: not billed in sequence; `Some(Err)`: its days cannot go out now).
struct Decided {
    draft: DraftClaim,
    id: Uuid,
    decision: Option<Result<Sequenced, Refusal>>,
}

/// Decides, for each draft billed in sequence, its frequency and patient status or why it
/// cannot go out now, by [`interim::sequence_run`] over the drafts and the live claims already
/// billed. First a draft is cut around the billed periods of its stay
/// ([`interim::split_around_billed`]): a late day inside one is a part of its own, refused
/// `overlaps_billed_period` naming the claim to replace, and the other days are sequenced
/// without it. Drafts not billed in sequence (per-day payers) pass through whole.
fn sequence_drafts(
    drafts: Vec<DraftClaim>,
    facts: &Facts,
    live: &HashMap<Uuid, Vec<SequencedClaim>>,
) -> Vec<Decided> {
    let mut decided = Vec::with_capacity(drafts.len());
    let mut pending = Vec::new();
    let mut of_pending = Vec::new();
    for draft in drafts {
        let stay = if billed_in_sequence(&draft, &facts.per_service_payers) {
            facts
                .episodes
                .get(&draft.client_id)
                .and_then(|list| episode_on(list, draft.statement_through))
                .map(Stay::of)
        } else {
            None
        };
        let Some(stay) = stay else {
            decided.push(Decided {
                draft,
                id: new_id(),
                decision: None,
            });
            continue;
        };
        let billed = billed_of(live.get(&draft.client_id), draft.payer_id, &stay);
        let dates: Vec<NaiveDate> = draft.lines.iter().map(|l| l.date).collect();
        let pieces = interim::split_around_billed(&dates, &billed);
        // Most drafts touch no billed period: they are sequenced whole, not copied.
        let parts: Vec<(DraftClaim, Option<Refusal>)> = if matches!(pieces.as_slice(), [piece] if piece.late.is_none())
        {
            vec![(draft, None)]
        } else {
            pieces
                .into_iter()
                .map(|p| (draft.days_between(p.from, p.through), p.late))
                .collect()
        };
        for (part, late) in parts {
            let id = new_id();
            if let Some(late) = late {
                decided.push(Decided {
                    draft: part,
                    id,
                    decision: Some(Err(late)),
                });
                continue;
            }
            pending.push(interim::Pending {
                client_id: part.client_id,
                payer_id: part.payer_id,
                stay: stay.clone(),
                claim_id: ClaimId::from_uuid(id),
                from: part.statement_from,
                through: part.statement_through,
            });
            of_pending.push(decided.len());
            decided.push(Decided {
                draft: part,
                id,
                decision: None,
            });
        }
    }
    let results = interim::sequence_run(&pending, |p| {
        billed_of(live.get(&p.client_id), p.payer_id, &p.stay)
    });
    for (i, result) in of_pending.into_iter().zip(results) {
        if let Some(slot) = decided.get_mut(i) {
            slot.decision = Some(result);
        }
    }
    decided
}

/// The interim decision of each draft of a build (see [`sequence_drafts`]), reading the live
/// claims of the clients it bills in sequence: what generation applies, and what the unbilled
/// report shows, so the two never disagree about a held or late day.
async fn sequence_built(
    tx: &mut Tx,
    drafts: Vec<DraftClaim>,
    facts: &Facts,
) -> Result<Vec<Decided>, StoreError> {
    let sequenced_clients: Vec<Uuid> = drafts
        .iter()
        .filter(|d| billed_in_sequence(d, &facts.per_service_payers))
        .map(|d| d.client_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let live = if sequenced_clients.is_empty() {
        HashMap::new()
    } else {
        claims::live_claims_of(tx, &sequenced_clients).await?
    };
    Ok(sequence_drafts(drafts, facts, &live))
}

/// `PD` and the sequence number, zero-padded: short enough for every payer's CLM01 (20).
fn claim_number(n: i64) -> String {
    format!("PD{n:08}")
}

fn left_out_view(left: &LeftOut, attendance_ids: &AttendanceIds) -> LeftOutView {
    LeftOutView {
        client_id: left.client_id,
        attendance_id: attendance_ids.get(left.client_id, left.date),
        date: left.date,
        level_of_care: left.level_of_care,
        reasons: left.reasons.iter().map(reason_view).collect(),
    }
}

fn summarize(claims: &[ClaimRecord], left_out: usize) -> Result<Summary, GenerateError> {
    let total: rust_decimal::Decimal = claims.iter().map(|c| c.total_charge.amount()).sum();
    let expected: Option<rust_decimal::Decimal> = claims
        .iter()
        .map(|c| c.expected_reimbursement.map(Money::amount))
        .sum();
    Ok(Summary {
        claims: claims.len(),
        lines: claims.iter().map(|c| c.line_count as usize).sum(),
        days_left_out: left_out,
        total_charge: money(total)?,
        expected_reimbursement: expected.map(money).transpose()?,
    })
}

/// Makes claims for every billable attended day in range that is on no live claim; [`store`]
/// writes them. Their claim numbers are taken here, in the caller's transaction. On a dry run
/// nothing is written (the caller rolls back) and the claims carry no number.
pub async fn generate(
    tx: &mut Tx,
    generation: &Generation,
    settings: &BillingSettings,
    dry_run: bool,
    user: Uuid,
) -> Result<Generated, GenerateError> {
    days_store::lock_for_writing(tx).await?;
    let request = &generation.request;
    let clients = match generation.client_id {
        Some(client) => vec![client],
        None => claims::clients_attending(tx, request.from_date, request.through_date).await?,
    };
    let mut loaded = load(tx, &clients, settings).await?;
    if let Some(payer) = generation.payer_id {
        loaded.days.retain(|d| d.payer_id == Some(payer));
    }
    let built = build(&loaded.days, &loaded.facts, request);
    let decided = sequence_built(tx, built.claims, &loaded.facts).await?;
    let made = decided
        .iter()
        .filter(|d| !matches!(d.decision, Some(Err(_))))
        .count();

    let first = if dry_run || made == 0 {
        0
    } else {
        let count = i64::try_from(made).unwrap_or(i64::MAX);
        claims::take_numbers(tx, "claim_number", count).await?
    };
    let mut records = Vec::with_capacity(made);
    let mut refused = Vec::new();
    for Decided {
        draft,
        id,
        decision,
    } in &decided
    {
        let sequenced = match decision {
            Some(Err(refusal)) => {
                refused.extend(refused_days(draft, refusal, &loaded.attendance_ids));
                continue;
            }
            Some(Ok(sequenced)) => Some(sequenced),
            None => None,
        };
        let number = if dry_run {
            String::new()
        } else {
            claim_number(first + i64::try_from(records.len()).unwrap_or(0))
        };
        let header = Header {
            id: *id,
            claim_number: number,
            discharge_status: discharge_status(
                loaded.facts.episodes.get(&draft.client_id),
                draft.statement_through,
            ),
            frequency: Frequency::Original,
            original_claim_id: None,
            created_by: user,
        };
        let mut record = record_of(draft, header, &loaded.attendance_ids)?;
        if let Some(sequenced) = sequenced {
            apply_sequence(&mut record, sequenced);
        }
        records.push(record);
    }
    let left_out: Vec<LeftOutView> = built
        .left_out
        .iter()
        .map(|l| left_out_view(l, &loaded.attendance_ids))
        .chain(refused)
        .collect();
    Ok(Generated {
        dry_run,
        summary: summarize(&records, left_out.len())?,
        claims: records,
        left_out,
    })
}

/// The answer's JSON, written into a buffer sized for it up front: 100,000 lines make about
/// 29 MB, and growing a buffer by doubling to that size touched twice the memory and copied
/// it (fresh pages are costly to fault in; benches/claims.rs).
pub fn to_json(generated: &Generated) -> serde_json::Result<String> {
    let lines: usize = generated
        .claims
        .iter()
        .map(|c| c.lines.as_ref().map_or(0, Vec::len))
        .sum();
    let estimate = lines * ANSWER_BYTES_PER_LINE
        + generated.claims.len() * ANSWER_BYTES_PER_CLAIM
        + generated.left_out.len() * ANSWER_BYTES_PER_LEFT_OUT
        + 1024;
    let mut buffer = Vec::with_capacity(estimate);
    serde_json::to_writer(&mut buffer, generated)?;
    // serde_json writes UTF-8 only; the check costs a few milliseconds on 29 MB.
    String::from_utf8(buffer).map_err(|e| serde_json::Error::io(std::io::Error::other(e)))
}

/// Upper estimates of the answer's bytes (a line is about 290, a claim without its lines about
/// 1,000, a day left out about 280 with one reason).
const ANSWER_BYTES_PER_LINE: usize = 320;
const ANSWER_BYTES_PER_CLAIM: usize = 1_200;
const ANSWER_BYTES_PER_LEFT_OUT: usize = 320;

/// Stores the claims [`generate`] made, with their creation events (nothing for a dry run).
pub async fn store(tx: &mut Tx, generated: &Generated, user: Uuid) -> Result<(), StoreError> {
    if generated.dry_run || generated.claims.is_empty() {
        return Ok(());
    }
    let new: Vec<NewClaim> = generated
        .claims
        .iter()
        .map(|r| NewClaim {
            record: r,
            lines: r.lines.as_deref().unwrap_or_default(),
        })
        .collect();
    claims::insert(tx, &new).await?;
    let ids: Vec<Uuid> = generated.claims.iter().map(|r| r.id).collect();
    claims::record_created(tx, &ids, user).await
}

/// The clients whose claims a generation wrote or looked at (for the audit).
pub fn clients_touched(generated: &Generated) -> Vec<Uuid> {
    let mut seen: HashSet<Uuid> = HashSet::new();
    generated
        .claims
        .iter()
        .map(|c| c.client_id)
        .chain(generated.left_out.iter().map(|l| l.client_id))
        .filter(|c| seen.insert(*c))
        .collect()
}

/// What a void or replacement did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Undone {
    /// The claim voided or replaced, as it is now.
    pub claim: ClaimRecord,
    /// The void claim (frequency 8) or replacement (frequency 7) to send, if one is needed.
    pub successor: Option<ClaimRecord>,
    /// Days of the original that the replacement no longer bills, with why.
    pub left_out: Vec<LeftOutView>,
}

#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error(transparent)]
    Generate(#[from] GenerateError),
    #[error("{0}")]
    Refused(String),
}

impl From<StoreError> for UndoError {
    fn from(e: StoreError) -> UndoError {
        UndoError::Generate(GenerateError::Store(e))
    }
}

/// The reference a void or replacement sends in REF*F8: the payer's claim number when known,
/// else ours.
pub fn original_reference(original: &ClaimRecord) -> String {
    original
        .payer_claim_number
        .clone()
        .unwrap_or_else(|| original.claim_number.clone())
}

/// Takes a claim out of billing as `to` (void or replaced): its days are released under the
/// attendance writers' lock, and the status moves only if no one moved it meanwhile.
async fn retire(
    tx: &mut Tx,
    original: &ClaimRecord,
    to: ClaimStatus,
    note: Option<&str>,
    user: Uuid,
) -> Result<(), UndoError> {
    days_store::lock_for_writing(tx).await?;
    claims::release(tx, original.id).await?;
    let moved = claims::set_status(tx, original.id, original.status, to, None, note, user).await?;
    if !moved {
        return Err(UndoError::Refused(
            "the claim changed meanwhile; read it again".into(),
        ));
    }
    Ok(())
}

/// Voids a claim: its days are released. When the payer has the claim, a void claim
/// (frequency 8, the same lines, none of them live) is made to be sent.
pub async fn void(
    tx: &mut Tx,
    original: ClaimRecord,
    note: Option<&str>,
    user: Uuid,
) -> Result<Undone, UndoError> {
    if !original.status.can_void() {
        return Err(UndoError::Refused(format!(
            "a {} claim cannot be voided",
            original.status.as_str()
        )));
    }
    if original.frequency == Frequency::Void && original.status.payer_has_it() {
        return Err(UndoError::Refused(
            "this void claim has reached the payer; it cannot be voided in turn".into(),
        ));
    }
    retire(tx, &original, ClaimStatus::Void, note, user).await?;
    let successor = if original.status.payer_has_it() {
        let number = claim_number(claims::take_numbers(tx, "claim_number", 1).await?);
        let at = now();
        let lines: Vec<LineRecord> = original
            .lines
            .clone()
            .unwrap_or_default()
            .into_iter()
            // The void claim's lines are its own, under its own number.
            .map(|l| LineRecord {
                live: false,
                line_control_number: line_control_number(&number, l.line_number),
                ..l
            })
            .collect();
        let record = ClaimRecord {
            id: new_id(),
            claim_number: number,
            status: ClaimStatus::Draft,
            frequency: Frequency::Void,
            original_claim_id: Some(original.id),
            payer_claim_number: None,
            lines: Some(lines),
            created_by: user,
            created_at: at,
            updated_at: at,
            ..original.clone()
        };
        claims::insert(
            tx,
            &[NewClaim {
                record: &record,
                lines: record.lines.as_deref().unwrap_or_default(),
            }],
        )
        .await?;
        claims::record_created(tx, &[record.id], user).await?;
        Some(record)
    } else {
        None
    };
    let claim = claims::find(tx, original.id)
        .await?
        .ok_or_else(|| StoreError::corrupt("claim", "vanished while voided"))?;
    Ok(Undone {
        claim,
        successor,
        left_out: Vec::new(),
    })
}

/// Replaces a claim the payer has: its days are assessed again with today's facts (fee
/// schedule, episode, authorization) and billed on one replacement claim (frequency 7) that
/// refers to the original. Days no longer billable are released and reported.
pub async fn replace(
    tx: &mut Tx,
    original: ClaimRecord,
    settings: &BillingSettings,
    note: Option<&str>,
    user: Uuid,
) -> Result<Undone, UndoError> {
    if original.frequency == Frequency::Void {
        return Err(UndoError::Refused(
            "a void claim is not replaced; bill the days again with a new generation".into(),
        ));
    }
    if !original.status.can_replace() {
        return Err(UndoError::Refused(format!(
            "only a claim the payer has (submitted, accepted, paid or denied) is replaced; this \
             one is {} — void it and generate again instead",
            original.status.as_str()
        )));
    }
    // Read before the original is retired: a replacement is sequenced among the live claims,
    // the original included.
    let live = claims::live_claims_of(tx, &[original.client_id]).await?;
    retire(tx, &original, ClaimStatus::Replaced, note, user).await?;
    let mut loaded = load(tx, &[original.client_id], settings).await?;
    let dates: HashSet<NaiveDate> = original
        .lines
        .iter()
        .flatten()
        .map(|l| l.service_date)
        .collect();
    // An interim bill's replacement also takes the days recorded late inside its period and
    // on no live claim: generation refuses them (`overlaps_billed_period`) and sends staff
    // here, because Medicare takes a late service on a replacement of the period's claim
    // (frequency 7), not on a claim of its own. A per-day payer's replacement re-bills the
    // original's days only, as before.
    let in_sequence = loaded.facts.per_service_payers.contains(&original.payer_id)
        && original.claim_form == "837I";
    let late = |d: &AssessedDay| {
        in_sequence
            && d.on_claim.is_none()
            && original.statement_from <= d.date
            && d.date <= original.statement_through
    };
    loaded.days.retain(|d| {
        (dates.contains(&d.date) || late(d)) && d.coverage_id == Some(original.coverage_id)
    });
    let request = ClaimRequest {
        period: crate::domain::claim::BillingPeriod::Range,
        from_date: Some(original.statement_from),
        through_date: original.statement_through,
    };
    let built = build(&loaded.days, &loaded.facts, &request);
    let [draft] = built.claims.as_slice() else {
        let detail = if built.claims.is_empty() {
            "none of the claim's days is billable any more: void the claim instead".to_string()
        } else {
            "the claim's days no longer fit one claim (their fee schedules or episodes differ): \
             void the claim and generate again"
                .to_string()
        };
        return Err(UndoError::Refused(detail));
    };
    let number = claim_number(claims::take_numbers(tx, "claim_number", 1).await?);
    let header = Header {
        id: new_id(),
        claim_number: number,
        discharge_status: discharge_status(
            loaded.facts.episodes.get(&draft.client_id),
            draft.statement_through,
        ),
        frequency: Frequency::Replacement,
        original_claim_id: Some(original.id),
        created_by: user,
    };
    let mut record = record_of(draft, header, &loaded.attendance_ids)?;
    if billed_in_sequence(draft, &loaded.facts.per_service_payers) {
        let episode = loaded
            .facts
            .episodes
            .get(&draft.client_id)
            .and_then(|list| episode_on(list, original.statement_through));
        if let Some(episode) = episode {
            let stay = Stay::of(episode);
            let billed = billed_of(live.get(&original.client_id), original.payer_id, &stay);
            let sequenced = interim::sequence(
                &stay,
                &billed,
                NextBill::Replacement {
                    of: ClaimId::from_uuid(original.id),
                    from: original.statement_from,
                    through: original.statement_through,
                },
            )
            .map_err(|refusal| UndoError::Refused(refusal.message()))?;
            apply_sequence(&mut record, &sequenced);
            // A replacement bills the same statement period as the claim it replaces (FL6),
            // even when a day of it is no longer billable.
            record.statement_from = original.statement_from;
            record.statement_through = original.statement_through;
        }
    }
    claims::insert(
        tx,
        &[NewClaim {
            record: &record,
            lines: record.lines.as_deref().unwrap_or_default(),
        }],
    )
    .await?;
    claims::record_created(tx, &[record.id], user).await?;
    let claim = claims::find(tx, original.id)
        .await?
        .ok_or_else(|| StoreError::corrupt("claim", "vanished while replaced"))?;
    Ok(Undone {
        claim,
        successor: Some(record),
        left_out: built
            .left_out
            .iter()
            .map(|l| left_out_view(l, &loaded.attendance_ids))
            .collect(),
    })
}

/// A day attended and not billable, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotBillableDay {
    pub attendance_id: Option<Uuid>,
    pub date: NaiveDate,
    pub level_of_care: crate::domain::eligibility::LevelOfCare,
    pub reasons: Vec<LeftOutReasonView>,
}

/// What is owed by one payer for one client and not yet billed, and what will not be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayerUnbilled {
    /// Null for days no coverage was in force.
    pub payer_id: Option<Uuid>,
    pub payer_name: Option<String>,
    /// Billable days on no live claim, in date order.
    pub unbilled_dates: Vec<NaiveDate>,
    pub unbilled_charge: Money,
    /// Null when a schedule has no contracted amount.
    pub unbilled_expected: Option<Money>,
    pub not_billable: Vec<NotBillableDay>,
    /// Billable days a generation would hold now (`held_until_previous_sent`: a per-service
    /// payer's next interim bill waits until the stay's previous claim is sent), with the
    /// reason naming that claim. Not in `unbilled_dates`: they cannot be billed yet.
    pub held: Vec<NotBillableDay>,
    /// What the held days would be charged.
    pub held_charge: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientUnbilled {
    pub client_id: Uuid,
    pub client_name: String,
    pub payers: Vec<PayerUnbilled>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnbilledTotals {
    pub unbilled_days: usize,
    pub unbilled_charge: Money,
    pub not_billable_days: usize,
    pub held_days: usize,
    pub held_charge: Money,
}

/// The unbilled report: every attended day through a date that is on no live claim — the
/// billable ones priced as a generation would price them, the others with their reasons —
/// per client and payer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unbilled {
    pub through: NaiveDate,
    pub totals: UnbilledTotals,
    pub clients: Vec<ClientUnbilled>,
}

/// Builds the unbilled report as a dry-run generation of everything through `through` (one
/// range) would, interim sequencing included: nothing is written.
pub async fn unbilled(
    tx: &mut Tx,
    through: NaiveDate,
    settings: &BillingSettings,
) -> Result<Unbilled, GenerateError> {
    use rust_decimal::Decimal;
    let clients = claims::clients_attending(tx, None, through).await?;
    let loaded = load(tx, &clients, settings).await?;
    let request = ClaimRequest {
        period: crate::domain::claim::BillingPeriod::Range,
        from_date: None,
        through_date: through,
    };
    let built = build(&loaded.days, &loaded.facts, &request);
    // The same interim rule as a generation: a draft the sequence refuses is not billable now,
    // and a late day inside a billed period is cut out of its draft there too.
    let decided = sequence_built(tx, built.claims, &loaded.facts).await?;
    let payer_of: HashMap<(Uuid, NaiveDate), Option<Uuid>> = loaded
        .days
        .iter()
        .map(|d| ((d.client_id, d.date), d.payer_id))
        .collect();
    type Key = (Uuid, Option<Uuid>);
    /// A row's amounts while they add up: unbilled charge, expected (`None` once one is
    /// unknown), held charge.
    struct Sums(Decimal, Option<Decimal>, Decimal);
    let mut rows: BTreeMap<Key, (PayerUnbilled, Sums)> = BTreeMap::new();
    fn row_of<'a>(
        rows: &'a mut BTreeMap<Key, (PayerUnbilled, Sums)>,
        key: Key,
        payer_names: &HashMap<Uuid, String>,
    ) -> &'a mut (PayerUnbilled, Sums) {
        rows.entry(key).or_insert_with(|| {
            (
                PayerUnbilled {
                    payer_id: key.1,
                    payer_name: key.1.and_then(|p| payer_names.get(&p).cloned()),
                    unbilled_dates: Vec::new(),
                    unbilled_charge: Money::ZERO,
                    unbilled_expected: Some(Money::ZERO),
                    not_billable: Vec::new(),
                    held: Vec::new(),
                    held_charge: Money::ZERO,
                },
                Sums(Decimal::ZERO, Some(Decimal::ZERO), Decimal::ZERO),
            )
        })
    }
    let day_of = |left: LeftOutView| NotBillableDay {
        attendance_id: left.attendance_id,
        date: left.date,
        level_of_care: left.level_of_care,
        reasons: left.reasons,
    };
    let (mut total, mut held_total) = (Decimal::ZERO, Decimal::ZERO);
    let (mut unbilled_days, mut held_days, mut not_billable_days) = (0, 0, 0);
    for Decided {
        draft: claim,
        decision,
        ..
    } in &decided
    {
        let (row, sums) = row_of(
            &mut rows,
            (claim.client_id, Some(claim.payer_id)),
            &loaded.payer_names,
        );
        match decision {
            Some(Err(refusal)) => {
                let days: Vec<NotBillableDay> =
                    refused_days(claim, refusal, &loaded.attendance_ids)
                        .into_iter()
                        .map(day_of)
                        .collect();
                if matches!(refusal, Refusal::HeldUntilSent { .. }) {
                    held_days += days.len();
                    row.held.extend(days);
                    sums.2 += claim.total_charge;
                    held_total += claim.total_charge;
                } else {
                    not_billable_days += days.len();
                    row.not_billable.extend(days);
                }
            }
            _ => {
                // A per-service claim has a line per service: a day's date once.
                let mut dates: Vec<NaiveDate> = claim.lines.iter().map(|l| l.date).collect();
                dates.dedup();
                unbilled_days += dates.len();
                row.unbilled_dates.extend(dates);
                sums.0 += claim.total_charge;
                sums.1 = sums.1.zip(claim.expected_reimbursement).map(|(a, b)| a + b);
                total += claim.total_charge;
            }
        }
    }
    for left in &built.left_out {
        if left
            .reasons
            .iter()
            .any(|r| matches!(r, LeftOutReason::AlreadyBilled { .. }))
        {
            continue;
        }
        let payer = payer_of
            .get(&(left.client_id, left.date))
            .copied()
            .flatten();
        row_of(&mut rows, (left.client_id, payer), &loaded.payer_names)
            .0
            .not_billable
            .push(day_of(left_out_view(left, &loaded.attendance_ids)));
        not_billable_days += 1;
    }
    let mut ids: Vec<Uuid> = rows.keys().map(|(client, _)| *client).collect();
    ids.dedup();
    let names = days_store::client_names(tx, &ids).await?;
    let mut clients: Vec<ClientUnbilled> = Vec::new();
    for ((client, _), (mut row, Sums(charge, expected, held))) in rows {
        row.unbilled_dates.sort();
        row.not_billable.sort_by_key(|d| d.date);
        row.held.sort_by_key(|d| d.date);
        row.unbilled_charge = money(charge)?;
        row.unbilled_expected = expected.map(money).transpose()?;
        row.held_charge = money(held)?;
        match clients.last_mut() {
            Some(last) if last.client_id == client => last.payers.push(row),
            _ => clients.push(ClientUnbilled {
                client_id: client,
                client_name: names.get(&client).cloned().unwrap_or_default(),
                payers: vec![row],
            }),
        }
    }
    Ok(Unbilled {
        through,
        totals: UnbilledTotals {
            unbilled_days,
            unbilled_charge: money(total)?,
            not_billable_days,
            held_days,
            held_charge: money(held_total)?,
        },
        clients,
    })
}
