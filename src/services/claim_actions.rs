//! Claim work as staff do it, audited, shared by the API's claim endpoints and the web app's
//! billing pages: a generation (dry run, or stored with an idempotency key so a retry answers
//! the first result), a status move along the lifecycle, void and replace, and an 837 file.
//! Each runs in its own audited transaction of the request's context.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::authorization::PayerReference;
use crate::domain::claim::{BillingPeriod, ClaimRequest};
use crate::domain::claim_status::{refusal, ClaimStatus};
use crate::domain::dates::parse_service_date;
use crate::domain::ids::{parse_id, ClientId, PayerId};
use crate::domain::money::signed_text;
use crate::domain::text::Note;
use crate::domain::validation::Fields;
use crate::error::{from_value, ApiError};
use crate::routes::context::Ctx;
use crate::routes::idempotency::Keyed;
use crate::services::claim_files::{self, FileError};
use crate::services::claims::{self as claims_service, GenerateError, Generation, UndoError};
use crate::store::audit::Action;
use crate::store::claims::{self, ClaimEvent, ClaimRecord};
use crate::store::{attendance as days_store, clients, payers, remittances, Tx};

pub const OPERATION_GENERATE: &str = "claims.generate";

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct GenerateInput {
    through_date: Option<String>,
    from_date: Option<String>,
    period: Option<String>,
    payer_id: Option<String>,
    client_id: Option<String>,
}

impl GenerateInput {
    fn parse(self) -> Result<Generation, ApiError> {
        let mut fields = Fields::new();
        let through = fields.required("through_date", self.through_date, |raw| {
            parse_service_date(&raw)
        });
        let from = fields.optional("from_date", self.from_date, |raw| parse_service_date(&raw));
        let period = fields.required("period", self.period, |raw| BillingPeriod::parse(&raw));
        let payer = fields.optional("payer_id", self.payer_id, |raw| parse_id(&raw));
        let client = fields.optional("client_id", self.client_id, |raw| parse_id(&raw));
        if let (Some(through), Some(Some(from))) = (through, from) {
            if from > through {
                fields.push("from_date", "must be on or before through_date");
            }
        }
        Ok(fields.finish_with(|| {
            Some(Generation {
                request: ClaimRequest {
                    period: period?,
                    from_date: from?,
                    through_date: through?,
                },
                payer_id: payer?,
                client_id: client?,
            })
        })?)
    }
}

pub fn generate_error(error: GenerateError) -> ApiError {
    match error {
        GenerateError::Store(e) if e.is_unique_violation() => ApiError::StateConflict {
            kind: "already-billed",
            title: "A day is already on a live claim",
            detail: "Another generation billed some of these days at the same time; nothing \
                     was stored. Generate again: the days already billed are left out."
                .into(),
            members: serde_json::Map::new(),
        },
        GenerateError::Store(e) => e.into(),
        GenerateError::Amount(detail) => ApiError::validation("fee_schedule", &detail),
    }
}

/// Who a generation's answer shows: the clients of its claims and of its days left out.
#[derive(Deserialize)]
struct Shown {
    #[serde(default)]
    claims: Vec<ShownClient>,
    #[serde(default)]
    left_out: Vec<ShownClient>,
}

#[derive(Deserialize)]
struct ShownClient {
    client_id: Uuid,
}

/// The clients a kept generation answer shows, each once, in order. An answer that cannot be
/// read is an error rather than a replay nobody audited.
fn clients_shown(answer: &str) -> Result<Vec<Uuid>, ApiError> {
    let shown: Shown = serde_json::from_str(answer).map_err(ApiError::internal)?;
    let mut seen = std::collections::HashSet::new();
    Ok(shown
        .claims
        .iter()
        .chain(&shown.left_out)
        .map(|c| c.client_id)
        .filter(|c| seen.insert(*c))
        .collect())
}

/// A generation's answer: its status and JSON body, and whether it is a kept one sent again.
pub struct GenerationAnswer {
    pub status: StatusCode,
    pub body: String,
    pub replayed: bool,
}

impl GenerationAnswer {
    /// The API's response: the JSON body, marked when it is a replay.
    pub fn response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if self.replayed {
            response.insert_header(("Idempotency-Replayed", "true"));
        }
        response.body(self.body)
    }
}

/// A generation as the API's body states it (the web app's form says the same), parsed; the
/// errors name the body's fields.
pub fn parse_generation(raw: Value) -> Result<Generation, ApiError> {
    from_value::<GenerateInput>(raw)?.parse()
}

/// Runs one generation (the API's and the web app's): on a dry run nothing is stored; with a
/// key, a retry by the same user gets the first answer again instead of billing twice.
pub async fn generate_once(
    ctx: &Ctx,
    generation: &Generation,
    dry_run: bool,
    keyed: Option<Keyed>,
) -> Result<GenerationAnswer, ApiError> {
    // A dry run stores nothing, so it has nothing to replay: the key (checked all the same)
    // only guards writes.
    let keyed = keyed.filter(|_| !dry_run);
    let user = ctx.staff.id;

    let mut tx = ctx.write().await?;
    // The attendance writers' lock first: a retry waits for the first attempt to finish and
    // then finds its answer.
    days_store::lock_for_writing(&mut tx).await?;
    if let Some(keyed) = &keyed {
        if let Some(replay) = keyed.kept(&mut tx, user).await? {
            // The first answer's claims, shown again.
            tx.audit_all(Action::Read, "claims", clients_shown(replay.body())?);
            tx.commit().await?;
            return Ok(GenerationAnswer {
                status: replay.status()?,
                body: replay.body().to_string(),
                replayed: true,
            });
        }
    }
    refuse_unknown(&mut tx, generation).await?;
    let billing = &ctx.state().settings.billing;
    let generated = claims_service::generate(&mut tx, generation, billing, dry_run, user)
        .await
        .map_err(generate_error)?;
    let status = if generated.claims.is_empty() || dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    if dry_run {
        // Nothing is stored, but what would be is shown: a read of each client's claims.
        tx.audit_all(
            Action::Read,
            "claims",
            claims_service::clients_touched(&generated),
        );
        tx.roll_back_keeping_audit().await?;
        let body = claims_service::to_json(&generated).map_err(ApiError::internal)?;
        return Ok(GenerationAnswer {
            status,
            body,
            replayed: false,
        });
    }
    let billed: std::collections::HashSet<Uuid> =
        generated.claims.iter().map(|c| c.client_id).collect();
    let (created, read): (Vec<Uuid>, Vec<Uuid>) = claims_service::clients_touched(&generated)
        .into_iter()
        .partition(|client| billed.contains(client));
    // The answer is written on a blocking thread while the claims are stored: 100,000 lines
    // make a 29 MB answer, and storing them mostly waits for SQLite's own thread.
    let generated = std::sync::Arc::new(generated);
    let answer = tokio::task::spawn_blocking({
        let generated = generated.clone();
        move || claims_service::to_json(&generated)
    });
    claims_service::store(&mut tx, &generated, user)
        .await
        .map_err(|e| generate_error(e.into()))?;
    tx.audit_all(Action::Create, "claims", created);
    tx.audit_all(Action::Read, "claims", read);
    let body = answer
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    if let Some(keyed) = keyed {
        keyed.keep(&mut tx, user, status, &body).await?;
    }
    tx.commit().await?;
    tracing::info!(claims = generated.summary.claims, lines = generated.summary.lines,
        left_out = generated.summary.days_left_out, user_id = %user, "claims generated");
    Ok(GenerationAnswer {
        status,
        body,
        replayed: false,
    })
}

/// A client or payer named in the request must exist (422 naming the field).
async fn refuse_unknown(tx: &mut Tx, generation: &Generation) -> Result<(), ApiError> {
    if let Some(client) = generation.client_id {
        if clients::find(tx, ClientId::from_uuid(client))
            .await?
            .is_none()
        {
            return Err(ApiError::validation("client_id", "names no client"));
        }
    }
    if let Some(payer) = generation.payer_id {
        if !payers::exists(tx, PayerId::from_uuid(payer)).await? {
            return Err(ApiError::validation("payer_id", "names no payer"));
        }
    }
    Ok(())
}

/// One claim with its lines, its status history, the claims that void or replace it, and what
/// payers' remittances said of it.
#[derive(Serialize)]
pub struct ClaimDetail {
    #[serde(flatten)]
    claim: ClaimRecord,
    history: Vec<ClaimEvent>,
    replaced_or_voided_by: Vec<Uuid>,
    payments: Payments,
}

/// The claim's money from posted remittances (amounts as decimal strings; a reversal's
/// negative amounts are netted in).
#[derive(Serialize)]
struct Payments {
    paid: String,
    /// Σ CAS by group: `CO` contractual, `OA` other, `PI` payer initiated, `PR` patient.
    adjustments: std::collections::BTreeMap<String, String>,
    /// Σ PR by reason code (`1` deductible, `2` coinsurance, `3` copay, ...).
    patient_responsibility: std::collections::BTreeMap<String, String>,
    patient_responsibility_total: String,
    /// What the payer has neither paid, adjusted nor left to the patient: the charge until a
    /// remittance arrives, zero once fully adjudicated.
    payer_balance: String,
    remittances: Vec<Uuid>,
}

fn payments_of(charge: &crate::domain::money::Money, money: remittances::ClaimMoney) -> Payments {
    let adjusted: i64 = money.adjusted_cents.values().sum();
    let patient: i64 = money.patient_cents.values().sum();
    Payments {
        paid: signed_text(money.paid_cents),
        adjustments: money
            .adjusted_cents
            .into_iter()
            .map(|(group, cents)| (group, signed_text(cents)))
            .collect(),
        patient_responsibility: money
            .patient_cents
            .into_iter()
            .map(|(reason, cents)| (reason, signed_text(cents)))
            .collect(),
        patient_responsibility_total: signed_text(patient),
        payer_balance: signed_text(charge.minor_units() - money.paid_cents - adjusted),
        remittances: money.remittances,
    }
}

pub async fn claim_in(tx: &mut Tx, id: Uuid) -> Result<ClaimRecord, ApiError> {
    claims::find(tx, id)
        .await?
        .ok_or(ApiError::NotFound("claim"))
}

pub async fn detail(tx: &mut Tx, claim: ClaimRecord) -> Result<ClaimDetail, ApiError> {
    let history = claims::events(tx, claim.id).await?;
    let replaced_or_voided_by = claims::successors(tx, claim.id).await?;
    let payments = payments_of(
        &claim.total_charge,
        remittances::claim_money(tx, claim.id).await?,
    );
    Ok(ClaimDetail {
        claim,
        history,
        replaced_or_voided_by,
        payments,
    })
}

pub fn refused(claim: &ClaimRecord, detail: String) -> ApiError {
    let mut members = serde_json::Map::new();
    members.insert("claim_id".into(), Value::String(claim.id.to_string()));
    members.insert(
        "claim_status".into(),
        Value::String(claim.status.as_str().to_string()),
    );
    ApiError::StateConflict {
        kind: "claim-status",
        title: "Not allowed in the claim's status",
        detail,
        members,
    }
}

/// One move of claim `id` to `to` along the lifecycle graph (the API's and the web app's).
pub async fn move_claim(
    ctx: &Ctx,
    id: Uuid,
    to: ClaimStatus,
    payer_claim_number: Option<&PayerReference>,
    note: Option<&Note>,
) -> Result<ClaimDetail, ApiError> {
    let payer_claim_number = payer_claim_number.map(PayerReference::as_str);
    let mut tx = ctx.write().await?;
    let claim = claim_in(&mut tx, id).await?;
    if !claim.status.next().contains(&to) {
        let detail = if matches!(to, ClaimStatus::Void | ClaimStatus::Replaced) {
            format!(
                "use POST /api/v1/claims/{}/{} to make a claim {}",
                claim.id,
                if to == ClaimStatus::Void {
                    "void"
                } else {
                    "replace"
                },
                to.as_str()
            )
        } else {
            refusal(claim.status, to)
        };
        return Err(refused(&claim, detail));
    }
    let moved = claims::set_status(
        &mut tx,
        claim.id,
        claim.status,
        to,
        payer_claim_number,
        note.map(Note::as_str),
        ctx.staff.id,
    )
    .await?;
    if !moved {
        return Err(refused(
            &claim,
            "the claim changed meanwhile; read it again".into(),
        ));
    }
    let now_claim = claims::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("claim"))?;
    let shown = detail(&mut tx, now_claim).await?;
    tx.audit(Action::Update, "claim", id);
    tx.commit().await?;
    tracing::info!(claim_id = %id, status = to.as_str(), user_id = %ctx.staff.id,
        "claim status changed");
    Ok(shown)
}

fn undo_error(claim: &ClaimRecord, error: UndoError) -> ApiError {
    match error {
        UndoError::Refused(detail) => refused(claim, detail),
        UndoError::Generate(e) => generate_error(e),
    }
}

/// Voids claim `id`, or replaces it with a corrected claim (the API's and the web app's).
pub async fn undo_claim(
    ctx: &Ctx,
    id: Uuid,
    note: Option<&Note>,
    replace: bool,
) -> Result<claims_service::Undone, ApiError> {
    let note = note.map(Note::as_str);
    let user = ctx.staff.id;
    let mut tx = ctx.write().await?;
    let claim = claim_in(&mut tx, id).await?;
    let shown = claim.clone();
    let undone = if replace {
        let billing = &ctx.state().settings.billing;
        claims_service::replace(&mut tx, claim, billing, note, user).await
    } else {
        claims_service::void(&mut tx, claim, note, user).await
    }
    .map_err(|e| undo_error(&shown, e))?;
    tx.audit(Action::Update, "claim", shown.id);
    if let Some(successor) = &undone.successor {
        tx.audit(Action::Create, "claim", successor.id);
    }
    tx.commit().await?;
    tracing::info!(claim_id = %shown.id, replace, user_id = %user, "claim undone");
    Ok(undone)
}

fn file_error(error: FileError) -> ApiError {
    match error {
        FileError::Store(e) => e.into(),
        FileError::UnknownClaim(i) => {
            ApiError::validation(&format!("claim_ids[{i}]"), "names no claim")
        }
        FileError::NotSendable {
            claim_id,
            claim_number,
            status,
        } => {
            let mut members = serde_json::Map::new();
            members.insert("claim_id".into(), Value::String(claim_id.to_string()));
            members.insert(
                "claim_status".into(),
                Value::String(status.as_str().to_string()),
            );
            ApiError::StateConflict {
                kind: "claim-status",
                title: "Not allowed in the claim's status",
                detail: format!(
                    "Claim {claim_number} is {}: it is not sent again; send its void or \
                     replacement claim instead.",
                    status.as_str()
                ),
                members,
            }
        }
        FileError::Setup { field, detail } => ApiError::validation(&field, &detail),
        FileError::X12(e) => ApiError::validation("x12", &e.to_string()),
        FileError::Names(invalid) => invalid.into(),
    }
}

/// Writes, stores and answers one 837 interchange, and audits the export of each claim.
pub async fn export(ctx: &Ctx, ids: &[Uuid]) -> Result<HttpResponse, ApiError> {
    let user = ctx.staff.id;
    let mut tx = ctx.write().await?;
    let file = claim_files::produce(&mut tx, &ctx.state().secrets, ids, user)
        .await
        .map_err(file_error)?;
    tx.audit_all(Action::Export, "claim", &file.claim_ids);
    tx.commit().await?;
    tracing::info!(claim_file_id = %file.id, claims = file.claim_ids.len(),
        interchange = file.interchange_control_number, user_id = %user, "837 file written");
    Ok(HttpResponse::Ok()
        .content_type("application/edi-x12")
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"claims-{:09}.837\"",
                file.interchange_control_number
            ),
        ))
        .insert_header(("X-Claim-File-Id", file.id.to_string()))
        .insert_header((
            "X-Interchange-Control-Number",
            file.interchange_control_number.to_string(),
        ))
        .body(file.content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_answer_shows_the_clients_of_its_claims_and_days_left_out_once_each() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let answer = serde_json::json!({
            "dry_run": false,
            "claims": [{"client_id": a, "id": Uuid::from_u128(9)}, {"client_id": a}],
            "left_out": [{"client_id": b, "date": "2026-03-23"}, {"client_id": a}],
        });
        assert_eq!(clients_shown(&answer.to_string()).unwrap(), [a, b]);
    }

    #[test]
    fn a_kept_answer_without_claims_shows_nobody_and_an_unreadable_one_is_an_error() {
        let nothing = r#"{"dry_run":false,"claims":[],"left_out":[]}"#;
        assert!(clients_shown(nothing).unwrap().is_empty());
        assert!(clients_shown(r#"{"summary":{}}"#).unwrap().is_empty());
        assert!(clients_shown("not json").is_err());
        assert!(clients_shown(r#"{"claims":[{"client_id":"x"}]}"#).is_err());
    }
}
