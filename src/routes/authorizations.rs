//! Prior authorizations: billing records them, corrects them and records their extensions;
//! admissions reads them. Every access is audited, one event per authorization shown. The write
//! rules (locks, overlaps, extensions) and the ledgers are `services::authorizations`'.

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::Deserialize;

use super::context::Ctx;
use super::extract::{from_value, merge, page, param, refuse_nulls, Body};
use super::{ok, PageOf};
use crate::domain::authorization::{
    self, AuthorizationInput, AuthorizationStatus, ExtensionInput, RevisionError, Window,
};
use crate::domain::eligibility::LevelOfCare;
use crate::domain::ids::{AuthorizationId, ClientId, CoverageId};
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::services::authorizations::{
    extend, find_locked, invalid_transition, lock_parties, one_with_ledger, refuse_overlap,
    with_ledgers,
};
use crate::store::audit::Action;
use crate::store::authorizations::{self, Authorization, AuthorizationFilter};
use crate::store::clients;

const WRITERS: &[Role] = &[Role::Billing];
const READERS: &[Role] = &[Role::Billing, Role::Admissions];
const ENTITY: &str = "authorization";
/// Fields a patch may leave out but not clear.
const REQUIRED: &[&str] = &[
    "client_id",
    "coverage_id",
    "level_of_care",
    "program",
    "authorization_number",
    "start_date",
    "end_date",
    "days_approved",
    "status",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    client_id: Option<String>,
    coverage_id: Option<String>,
    level_of_care: Option<String>,
    status: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

fn filter(q: ListQuery) -> Result<AuthorizationFilter, ApiError> {
    Ok(AuthorizationFilter {
        client_id: param("client_id", q.client_id, ClientId::parse)?,
        coverage_id: param("coverage_id", q.coverage_id, CoverageId::parse)?,
        level_of_care: param("level_of_care", q.level_of_care, LevelOfCare::parse)?,
        status: param("status", q.status, AuthorizationStatus::parse)?,
        active_on: param("active_on", q.active_on, parse_date)?,
    })
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let terms = body.json::<AuthorizationInput>()?.parse_new()?;
    let mut tx = ctx.write().await?;
    lock_parties(&mut tx, &terms).await?;
    let window = Window {
        start: terms.start_date,
        end: terms.end_date,
    };
    refuse_overlap(&mut tx, None, &terms, window).await?;
    let authorization =
        authorizations::insert(&mut tx, AuthorizationId::new(), ctx.staff.id, &terms).await?;
    let id = authorization.id.to_string();
    tx.audit(Action::Create, ENTITY, &id);
    let view = one_with_ledger(&mut tx, ctx.state(), authorization).await?;
    tx.commit().await?;
    tracing::info!(authorization_id = %id, "authorization recorded");
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/authorizations/{id}")))
        .json(&view))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = filter(q)?;
    let mut tx = ctx.read().await?;
    let (items, total) = authorizations::list(&mut tx, &filter, page).await?;
    tx.audit_all(Action::Read, ENTITY, items.iter().map(|a| a.id));
    let items = with_ledgers(&mut tx, ctx.state(), items).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn list_for_client(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let q: PageQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read().await?;
    clients::find(&mut tx, client_id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let filter = AuthorizationFilter {
        client_id: Some(client_id),
        ..AuthorizationFilter::default()
    };
    let (items, total) = authorizations::list(&mut tx, &filter, page).await?;
    tx.audit_all(Action::Read, ENTITY, items.iter().map(|a| a.id));
    let items = with_ledgers(&mut tx, ctx.state(), items).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: AuthorizationId = ctx.path("id")?;
    let mut tx = ctx.read().await?;
    let authorization = authorizations::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("authorization"))?;
    tx.audit(Action::Read, ENTITY, id);
    let view = one_with_ledger(&mut tx, ctx.state(), authorization).await?;
    tx.commit().await?;
    Ok(ok(&view))
}

/// A JSON merge patch. While pending, every term but the client and coverage may be corrected;
/// once decided, the days and end date move only by extension (`authorization::revise`).
pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: AuthorizationId = ctx.path("id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, REQUIRED)?;
    let mut tx = ctx.write().await?;
    let stored = find_locked(&mut tx, id).await?;
    let current = serde_json::to_value(AuthorizationInput::from(&stored.terms))
        .map_err(ApiError::internal)?;
    let next = from_value::<AuthorizationInput>(merge(current, patch))?.parse()?;
    let terms =
        authorization::revise(&stored.terms, stored.current(), next).map_err(|e| match e {
            RevisionError::Fixed(invalid) => ApiError::from(invalid),
            RevisionError::Transition(transition) => invalid_transition(transition),
        })?;
    let revised = Authorization { terms, ..stored };
    refuse_overlap(&mut tx, Some(revised.id), &revised.terms, revised.window()).await?;
    let updated = authorizations::update(&mut tx, id, &revised.terms)
        .await?
        .ok_or(ApiError::NotFound("authorization"))?;
    tx.audit(Action::Update, ENTITY, id);
    let view = one_with_ledger(&mut tx, ctx.state(), updated).await?;
    tx.commit().await?;
    Ok(ok(&view))
}

/// Records a concurrent review's decision. Answers 201 with the authorization as it now stands.
pub async fn add_extension(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: AuthorizationId = ctx.path("id")?;
    let extension = body.json::<ExtensionInput>()?.parse()?;
    let view = extend(&ctx, id, &extension).await?;
    Ok(HttpResponse::Created().json(&view))
}
