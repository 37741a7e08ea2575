//! Payer records: everyone signed in reads them, admins write them.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::extract::{from_value, merge, page, path_id, query, Body};
use super::{audit, created, ok, unique_conflict, PageOf};
use crate::auth::Staff;
use crate::domain::ids::new_id;
use crate::domain::payer::{NewPayer, PayerInput};
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::audit::Action;
use crate::store::payers;

const WRITERS: &[Role] = &[Role::Admin];
const READERS: &[Role] = &Role::ALL;
const TAKEN: &str = "Another payer already has this EDI payer id.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    name: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn parse(input: PayerInput) -> Result<NewPayer, ApiError> {
    Ok(input.parse()?)
}

pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    staff.require(WRITERS)?;
    let payer = parse(body.json()?)?;
    let mut tx = state.db.begin().await?;
    let payer = payers::insert(&mut tx, &state.secrets, new_id(), &payer)
        .await
        .map_err(unique_conflict("payer_id", TAKEN))?;
    audit(
        &mut tx,
        &staff,
        &req,
        Action::Create,
        "payer",
        &payer.id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(created(&payer))
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
    let mut tx = state.db.begin_read().await?;
    let (items, total) = payers::list(&mut tx, &state.secrets, q.name.as_deref(), page).await?;
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
    let mut tx = state.db.begin_read().await?;
    let payer = payers::find(&mut tx, &state.secrets, &id)
        .await?
        .ok_or(ApiError::NotFound("payer"))?;
    tx.commit().await?;
    Ok(ok(&payer))
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
    let current = payers::find(&mut tx, &state.secrets, &id)
        .await?
        .ok_or(ApiError::NotFound("payer"))?;
    let current =
        serde_json::to_value(PayerInput::from(&current.data)).map_err(ApiError::internal)?;
    let payer = parse(from_value(merge(current, patch))?)?;
    let payer = payers::update(&mut tx, &state.secrets, &id, &payer)
        .await
        .map_err(unique_conflict("payer_id", TAKEN))?
        .ok_or(ApiError::NotFound("payer"))?;
    audit(&mut tx, &staff, &req, Action::Update, "payer", &id).await?;
    tx.commit().await?;
    Ok(ok(&payer))
}

/// `GET /api/v1/payers/{id}/health`: the payer's circuit breaker and inquiries in flight, as
/// this instance sees them.
pub async fn health(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let id = path_id(&req, "id")?;
    let mut tx = state.db.begin_read().await?;
    let payer = payers::find(&mut tx, &state.secrets, &id)
        .await?
        .ok_or(ApiError::NotFound("payer"))?;
    tx.commit().await?;
    let report = state
        .health
        .report(payer.id, payer.data.connection.as_ref())
        .await;
    Ok(ok(&report))
}
