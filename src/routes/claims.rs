//! Claims: generation from attendance, reading, status changes, void and replace. Billing
//! staff only. Claims are PHI: reads and writes are audited per claim (generation per client).

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{page, param, Body};
use super::idempotency::Keyed;
use super::{ok, PageOf};
use crate::domain::authorization::PayerReference;
use crate::domain::claim_status::ClaimStatus;
use crate::domain::eligibility::LevelOfCare;
use crate::domain::ids::{parse_id, ClaimId};
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::domain::text::Note;
use crate::domain::validation::Fields;
use crate::error::ApiError;
use crate::services::claim_actions::{
    claim_in, detail, export, generate_error, generate_once, move_claim, parse_generation,
    undo_claim, OPERATION_GENERATE,
};
use crate::services::claims as service;
use crate::store::audit::Action;
use crate::store::claims::{self, ClaimFilter};

const BILLING: &[Role] = &[Role::Billing];
/// The longest note a status change, void or replacement keeps.
const NOTE_CHARS: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateQuery {
    dry_run: Option<bool>,
}

/// `POST /api/v1/claims/generate`: bills every billable attended day in range not yet on a
/// live claim. `?dry_run=true` answers the same without storing anything. A repeated
/// `Idempotency-Key` (24 h, per user) returns the first answer; with another body, 422.
pub async fn generate(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: GenerateQuery = ctx.query()?;
    let dry_run = q.dry_run.unwrap_or(false);
    let raw: Value = body.json()?;
    let generation = parse_generation(raw.clone())?;
    let keyed = Keyed::of(ctx.request(), OPERATION_GENERATE, &raw)?;
    let answer = generate_once(&ctx, &generation, dry_run, keyed).await?;
    Ok(answer.response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    client_id: Option<String>,
    payer_id: Option<String>,
    status: Option<String>,
    level_of_care: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = ClaimFilter {
        client_id: param("client_id", q.client_id, parse_id)?,
        payer_id: param("payer_id", q.payer_id, parse_id)?,
        status: param("status", q.status, ClaimStatus::parse)?,
        level_of_care: param("level_of_care", q.level_of_care, LevelOfCare::parse)?,
        from: param("from", q.from, parse_date)?,
        to: param("to", q.to, parse_date)?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(ApiError::validation("from", "must be on or before to"));
        }
    }
    let mut tx = ctx.read().await?;
    let (items, total) = claims::list(&mut tx, &filter, page).await?;
    tx.audit_all(Action::Read, "claim", items.iter().map(|c| c.id));
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

/// The claim id in the path. (The claims store still takes bare UUIDs: it is being reworked
/// for speed, and takes `ClaimId` once that settles.)
fn claim_id(ctx: &Ctx) -> Result<Uuid, ApiError> {
    ctx.path::<ClaimId>("id").map(Uuid::from)
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let id = claim_id(&ctx)?;
    let mut tx = ctx.read().await?;
    let claim = claim_in(&mut tx, id).await?;
    let shown = detail(&mut tx, claim).await?;
    tx.audit(Action::Read, "claim", id);
    tx.commit().await?;
    Ok(ok(&shown))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusInput {
    status: Option<String>,
    payer_claim_number: Option<String>,
    note: Option<String>,
}

fn note_of(raw: Option<String>) -> Result<Option<Note>, ApiError> {
    raw.map(|raw| Note::parse(&raw, NOTE_CHARS).map_err(|m| ApiError::validation("note", &m)))
        .transpose()
}

/// `POST /api/v1/claims/{id}/status`: one move along the lifecycle graph.
pub async fn change_status(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let input: StatusInput = body.json()?;
    let mut fields = Fields::new();
    let to = fields.required("status", input.status, |raw| ClaimStatus::parse(&raw));
    let payer_claim_number = fields.optional(
        "payer_claim_number",
        input.payer_claim_number,
        PayerReference::parse,
    );
    let note = fields.optional("note", input.note, |raw| Note::parse(&raw, NOTE_CHARS));
    let (to, note) = fields.finish_with(|| Some((to?, note?)))?;
    let payer_claim_number = payer_claim_number.flatten();
    let id = claim_id(&ctx)?;
    let shown = move_claim(&ctx, id, to, payer_claim_number.as_ref(), note.as_ref()).await?;
    Ok(ok(&shown))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UndoInput {
    note: Option<String>,
}

async fn undo(ctx: Ctx, body: Body, replace: bool) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let input: UndoInput = body.json_or_default()?;
    let note = note_of(input.note)?;
    let id = claim_id(&ctx)?;
    let undone = undo_claim(&ctx, id, note.as_ref(), replace).await?;
    let mut response = match &undone.successor {
        Some(successor) => {
            let mut r = HttpResponse::Created();
            r.insert_header((LOCATION, format!("/api/v1/claims/{}", successor.id)));
            r
        }
        None => HttpResponse::Ok(),
    };
    Ok(response.json(&undone))
}

/// `POST /api/v1/claims/{id}/void`.
pub async fn void(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    undo(ctx, body, false).await
}

/// `POST /api/v1/claims/{id}/replace`.
pub async fn replace(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    undo(ctx, body, true).await
}

/// `GET /api/v1/claims/{id}/x12`: the claim as an 837 interchange of its own. Every call
/// writes a new interchange with new control numbers, and keeps it.
pub async fn x12_one(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let id = claim_id(&ctx)?;
    let result = export(&ctx, &[id]).await;
    match result {
        Err(ApiError::Validation(errors)) if errors.iter().any(|e| e.field == "claim_ids[0]") => {
            Err(ApiError::NotFound("claim"))
        }
        other => other,
    }
}

/// At most this many claims go in one file.
const MAX_FILE_CLAIMS: usize = 5_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileInput {
    claim_ids: Option<Vec<String>>,
}

/// `POST /api/v1/claims/x12`: many claims as one interchange, one functional group per form.
pub async fn x12_many(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let input: FileInput = body.json()?;
    let raw = input
        .claim_ids
        .ok_or_else(|| ApiError::validation("claim_ids", "is required"))?;
    if raw.is_empty() || raw.len() > MAX_FILE_CLAIMS {
        return Err(ApiError::validation(
            "claim_ids",
            &format!("must name 1 to {MAX_FILE_CLAIMS} claims"),
        ));
    }
    let mut fields = Fields::new();
    let mut ids = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::new();
    for (i, id) in raw.into_iter().enumerate() {
        if let Some(id) = fields.check(&format!("claim_ids[{i}]"), parse_id(&id)) {
            if !seen.insert(id) {
                fields.push(
                    &format!("claim_ids[{i}]"),
                    "names a claim already in the list",
                );
            }
            ids.push(id);
        }
    }
    fields.finish()?;
    export(&ctx, &ids).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnbilledQuery {
    through: Option<String>,
}

/// `GET /api/v1/reports/unbilled?through=`: what is attended and not on a live claim, per
/// client and payer — billable days priced, the others with their reasons. Nothing is written
/// but the audit (one read per client shown).
pub async fn unbilled(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: UnbilledQuery = ctx.query()?;
    let through = param("through", q.through, parse_date)?
        .ok_or_else(|| ApiError::malformed("through", "is required (YYYY-MM-DD)"))?;
    let mut tx = ctx.read().await?;
    let report = service::unbilled(&mut tx, through, &ctx.state().settings.billing)
        .await
        .map_err(generate_error)?;
    tx.audit_all(
        Action::Read,
        "attendance",
        report.clients.iter().map(|c| c.client_id),
    );
    tx.commit().await?;
    Ok(ok(&report))
}
