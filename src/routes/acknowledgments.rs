//! Acknowledgments of our 837 files (TA1, 999, 277CA): receiving one moves the claims it names;
//! reading them back. Billing staff only; they name claims, so reads and writes are audited per
//! client like claims.

use actix_web::HttpResponse;
use serde::Deserialize;
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{page, X12Body};
use super::{ok, PageOf};
use crate::domain::ids::AcknowledgmentId;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::services::acknowledgments::{self as service, AckError};
use crate::store::acknowledgments;
use crate::store::audit::Action;

const BILLING: &[Role] = &[Role::Billing];

fn ack_error(error: AckError) -> ApiError {
    match error {
        AckError::Unreadable(e) => ApiError::validation("body", &e.to_string()),
        AckError::Store(e) => e.into(),
    }
}

/// `POST /api/v1/acknowledgments`: a TA1, 999 or 277CA, kept, matched and applied.
pub async fn receive(ctx: Ctx, body: X12Body) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let content = body.bytes()?;
    let user = ctx.staff.id;
    let mut tx = ctx.write().await?;
    let received = service::receive(&mut tx, &content, user)
        .await
        .map_err(ack_error)?;
    tx.audit(Action::Create, "acknowledgment", received.id);
    tx.audit_all(Action::Update, "claims", received.clients());
    tx.commit().await?;
    tracing::info!(acknowledgment_id = %received.id, kind = %received.kind,
        claims = received.claims.len(), unmatched = received.unmatched.len(),
        user_id = %user, "acknowledgment received");
    Ok(HttpResponse::Created().json(&received))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/v1/acknowledgments`: newest first.
pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read().await?;
    let (items, total) = acknowledgments::list(&mut tx, page).await?;
    tx.audit_all(Action::Read, "acknowledgment", items.iter().map(|a| a.id));
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

/// `GET /api/v1/acknowledgments/{id}`: with what it said of each claim.
pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let id = Uuid::from(ctx.path::<AcknowledgmentId>("id")?);
    let mut tx = ctx.read().await?;
    let found = service::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("acknowledgment"))?;
    tx.audit(Action::Read, "acknowledgment", id);
    tx.audit_all(Action::Read, "claims", found.clients());
    tx.commit().await?;
    Ok(ok(&found))
}
