//! Clients: admissions staff write them, admissions and billing read them. Every access is
//! audited, one event per client shown.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use super::extract::{from_value, merge, page, path_id, query, Body};
use super::{audit, created, ok, unique_conflict, PageOf};
use crate::auth::Staff;
use crate::domain::client::{ClientInput, NewClient};
use crate::domain::ids::new_id;
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::state::AppState;
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

pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    staff.require(WRITERS)?;
    let client = parse(body.json()?)?;
    let mut tx = state.db.begin().await?;
    let client = clients::insert(&mut tx, new_id(), &client)
        .await
        .map_err(unique_conflict("external_id", TAKEN))?;
    audit(
        &mut tx,
        &staff,
        &req,
        Action::Create,
        "client",
        &client.id.to_string(),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(client_id = %client.id, "client created");
    Ok(created(&client))
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let q: ListQuery = query(&req)?;
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
    let mut tx = state.db.begin().await?;
    let (items, total) = clients::search(&mut tx, &search, page).await?;
    for client in &items {
        audit(
            &mut tx,
            &staff,
            &req,
            Action::Read,
            "client",
            &client.id.to_string(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let id = path_id(&req, "id")?;
    let mut tx = state.db.begin().await?;
    let client = clients::find(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    audit(&mut tx, &staff, &req, Action::Read, "client", &id).await?;
    tx.commit().await?;
    Ok(ok(&client))
}

pub async fn update(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    staff.require(WRITERS)?;
    let id = path_id(&req, "id")?;
    let patch = body.object()?;
    let mut tx = state.db.begin().await?;
    let current = clients::find(&mut tx, &id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let current =
        serde_json::to_value(ClientInput::from(&current.data)).map_err(ApiError::internal)?;
    let client = parse(from_value(merge(current, patch))?)?;
    let client = clients::update(&mut tx, &id, &client)
        .await
        .map_err(unique_conflict("external_id", TAKEN))?
        .ok_or(ApiError::NotFound("client"))?;
    audit(&mut tx, &staff, &req, Action::Update, "client", &id).await?;
    tx.commit().await?;
    Ok(ok(&client))
}
