//! A client's coverages: same roles as clients, audited the same way.

use actix_web::HttpResponse;
use chrono::Utc;
use serde::Deserialize;

use super::clients::{READERS, WRITERS};
use super::context::Ctx;
use super::extract::{from_value, merge, page, Body};
use super::{created, ok, PageOf};
use crate::domain::coverage::{CoverageInput, NewCoverage};
use crate::domain::ids::{ClientId, CoverageId};
use crate::domain::validation::FieldError;
use crate::error::ApiError;
use crate::store::audit::Action;
use crate::store::{clients, coverages, payers, Tx};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Parses a coverage and checks that its payer exists (a 422 on `payer_id` if not).
async fn parse(tx: &mut Tx, input: CoverageInput) -> Result<NewCoverage, ApiError> {
    let coverage = input.parse(Utc::now().date_naive())?;
    if !payers::exists(tx, coverage.payer_id).await? {
        return Err(ApiError::Validation(vec![FieldError::new(
            "payer_id",
            "names no payer; create the payer first",
        )]));
    }
    Ok(coverage)
}

async fn client_exists(tx: &mut Tx, client_id: ClientId) -> Result<(), ApiError> {
    clients::find(tx, client_id)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound("client"))
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let input: CoverageInput = body.json()?;
    let mut tx = ctx.write().await?;
    client_exists(&mut tx, client_id).await?;
    let coverage = parse(&mut tx, input).await?;
    let coverage = coverages::insert(&mut tx, CoverageId::new(), client_id, &coverage).await?;
    tx.audit(Action::Create, "coverage", coverage.id);
    tx.commit().await?;
    Ok(created(&coverage))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read_each().await?;
    client_exists(&mut tx, client_id).await?;
    let (items, total) = coverages::list(&mut tx, client_id, page).await?;
    tx.audit_all(Action::Read, "coverage", items.iter().map(|c| c.id));
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let id: CoverageId = ctx.path("coverage_id")?;
    let mut tx = ctx.read_each().await?;
    let coverage = coverages::find(&mut tx, client_id, id)
        .await?
        .ok_or(ApiError::NotFound("coverage"))?;
    tx.audit(Action::Read, "coverage", id);
    tx.commit().await?;
    Ok(ok(&coverage))
}

pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let id: CoverageId = ctx.path("coverage_id")?;
    let patch = body.object()?;
    let mut tx = ctx.write().await?;
    let current = coverages::find(&mut tx, client_id, id)
        .await?
        .ok_or(ApiError::NotFound("coverage"))?;
    let current = serde_json::to_value(CoverageInput::from(&current.data.coverage))
        .map_err(ApiError::internal)?;
    let coverage = parse(&mut tx, from_value(merge(current, patch))?).await?;
    let coverage = coverages::update(&mut tx, client_id, id, &coverage)
        .await?
        .ok_or(ApiError::NotFound("coverage"))?;
    tx.audit(Action::Update, "coverage", id);
    tx.commit().await?;
    Ok(ok(&coverage))
}
