//! Payer records: everyone signed in reads them, admins write them.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::context::Ctx;
use super::extract::{from_value, merge, page, Body};
use super::{created, ok, PageOf};
use crate::domain::ids::PayerId;
use crate::domain::payer::PayerInput;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::services::payers::{add, change};
use crate::store::payers;

const WRITERS: &[Role] = &[Role::Admin];
const READERS: &[Role] = &Role::ALL;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    name: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let input: PayerInput = body.json()?;
    let mut tx = ctx.write().await?;
    let payer = add(&mut tx, &ctx.state().secrets, input).await?;
    tx.commit().await?;
    Ok(created(&payer))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    if q.name.as_ref().is_some_and(|n| n.chars().count() > 60) {
        return Err(ApiError::malformed("name", "must be at most 60 characters"));
    }
    let mut tx = ctx.read_each().await?;
    let secrets = &ctx.state().secrets;
    let (items, total) = payers::list(&mut tx, secrets, q.name.as_deref(), page).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: PayerId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let payer = payers::find(&mut tx, &ctx.state().secrets, id)
        .await?
        .ok_or(ApiError::NotFound("payer"))?;
    tx.commit().await?;
    Ok(ok(&payer))
}

pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: PayerId = ctx.path("id")?;
    let patch = body.object()?;
    let secrets = &ctx.state().secrets;
    let mut tx = ctx.write().await?;
    let payer = change(&mut tx, secrets, id, |current| {
        // A shallow merge: a `connection` sent replaces the stored one whole, except that a
        // secret it leaves out is kept when the kind of credentials is unchanged.
        let stored = serde_json::to_value(&current).map_err(ApiError::internal)?;
        let next: PayerInput = from_value(merge(stored, patch))?;
        Ok(next.keeping_secrets(current))
    })
    .await?;
    tx.commit().await?;
    Ok(ok(&payer))
}

/// `GET /api/v1/payers/{id}/health`: the payer's circuit breaker and inquiries in flight, as
/// this instance sees them.
pub async fn health(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: PayerId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let payer = payers::find(&mut tx, &ctx.state().secrets, id)
        .await?
        .ok_or(ApiError::NotFound("payer"))?;
    tx.commit().await?;
    let report = ctx
        .state()
        .health
        .report(payer.id.as_uuid(), payer.data.connection.as_ref())
        .await;
    Ok(ok(&report))
}
