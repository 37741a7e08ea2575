//! Clients: admissions staff write them, admissions and billing read them. Every access is
//! audited, one event per client shown.

use actix_web::HttpResponse;
use chrono::Utc;
use serde::Deserialize;

use super::context::Ctx;
use super::extract::{from_value, merge, page, Body};
use super::{created, ok, unique_conflict, PageOf};
use crate::domain::client::{ClientInput, NewClient};
use crate::domain::ids::ClientId;
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::audit::Action;
use crate::store::clients::{self, ClientSearch};

pub const WRITERS: &[Role] = &[Role::Admissions];
pub const READERS: &[Role] = &[Role::Admissions, Role::Billing];
const TAKEN: &str = "Another client already has this external id.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    name: Option<String>,
    date_of_birth: Option<String>,
    external_id: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn parse(input: ClientInput) -> Result<NewClient, ApiError> {
    Ok(input.parse(Utc::now().date_naive())?)
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let client = parse(body.json()?)?;
    let mut tx = ctx.write().await?;
    let client = clients::insert(&mut tx, ClientId::new(), &client)
        .await
        .map_err(unique_conflict("external_id", TAKEN))?;
    tx.audit(Action::Create, "client", client.id);
    tx.commit().await?;
    tracing::info!(client_id = %client.id, "client created");
    Ok(created(&client))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    if q.name.as_ref().is_some_and(|n| n.chars().count() > 60) {
        return Err(ApiError::malformed("name", "must be at most 60 characters"));
    }
    let date_of_birth = q
        .date_of_birth
        .map(|raw| parse_date(&raw).map_err(|m| ApiError::malformed("date_of_birth", m)))
        .transpose()?;
    let search = ClientSearch {
        name: q.name,
        date_of_birth,
        external_id: q.external_id,
    };
    let mut tx = ctx.read_each().await?;
    let (items, total) = clients::search(&mut tx, &search, page).await?;
    tx.audit_all(Action::Read, "client", items.iter().map(|c| c.id));
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: ClientId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let client = clients::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    tx.audit(Action::Read, "client", id);
    tx.commit().await?;
    Ok(ok(&client))
}

pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: ClientId = ctx.path("id")?;
    let patch = body.object()?;
    let mut tx = ctx.write().await?;
    let current = clients::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let current =
        serde_json::to_value(ClientInput::from(&current.data)).map_err(ApiError::internal)?;
    let client = parse(from_value(merge(current, patch))?)?;
    let client = clients::update(&mut tx, id, &client)
        .await
        .map_err(unique_conflict("external_id", TAKEN))?
        .ok_or(ApiError::NotFound("client"))?;
    tx.audit(Action::Update, "client", id);
    tx.commit().await?;
    Ok(ok(&client))
}
