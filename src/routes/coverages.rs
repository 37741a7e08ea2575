//! A client's coverages: same roles as clients, audited the same way.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;

use super::clients::{READERS, WRITERS};
use super::extract::{from_value, merge, page, path_id, query, Body};
use super::{audit, created, ok, PageOf};
use crate::auth::Staff;
use crate::domain::coverage::{CoverageInput, NewCoverage};
use crate::domain::ids::new_id;
use crate::domain::validation::FieldError;
use crate::error::ApiError;
use crate::state::AppState;
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
    if !payers::exists(tx, &coverage.payer_id.to_string()).await? {
        return Err(ApiError::Validation(vec![FieldError::new(
            "payer_id",
            "names no payer; create the payer first",
        )]));
    }
    Ok(coverage)
}

async fn client_exists(tx: &mut Tx, client_id: &str) -> Result<(), ApiError> {
    clients::find(tx, client_id)
        .await?
        .map(|_| ())
        .ok_or(ApiError::NotFound("client"))
}

pub async fn create(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    staff.require(WRITERS)?;
    let client_id = path_id(&req, "id")?;
    let input: CoverageInput = body.json()?;
    let mut tx = state.db.begin().await?;
    client_exists(&mut tx, &client_id).await?;
    let coverage = parse(&mut tx, input).await?;
    let client_uuid = Uuid::parse_str(&client_id).map_err(ApiError::internal)?;
    let coverage = coverages::insert(&mut tx, new_id(), client_uuid, &coverage).await?;
    audit(
        &mut tx,
        &staff,
        &req,
        Action::Create,
        "coverage",
        &coverage.id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(created(&coverage))
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let client_id = path_id(&req, "id")?;
    let q: ListQuery = query(&req)?;
    let page = page(q.limit, q.offset)?;
    let mut tx = state.db.begin().await?;
    client_exists(&mut tx, &client_id).await?;
    let (items, total) = coverages::list(&mut tx, &client_id, page).await?;
    for coverage in &items {
        audit(
            &mut tx,
            &staff,
            &req,
            Action::Read,
            "coverage",
            &coverage.id.to_string(),
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
    let client_id = path_id(&req, "id")?;
    let id = path_id(&req, "coverage_id")?;
    let mut tx = state.db.begin().await?;
    let coverage = coverages::find(&mut tx, &client_id, &id)
        .await?
        .ok_or(ApiError::NotFound("coverage"))?;
    audit(&mut tx, &staff, &req, Action::Read, "coverage", &id).await?;
    tx.commit().await?;
    Ok(ok(&coverage))
}

pub async fn update(
    state: web::Data<AppState>,
    staff: Staff,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    staff.require(WRITERS)?;
    let client_id = path_id(&req, "id")?;
    let id = path_id(&req, "coverage_id")?;
    let patch = body.object()?;
    let mut tx = state.db.begin().await?;
    let current = coverages::find(&mut tx, &client_id, &id)
        .await?
        .ok_or(ApiError::NotFound("coverage"))?;
    let current = serde_json::to_value(CoverageInput::from(&current.data.coverage))
        .map_err(ApiError::internal)?;
    let coverage = parse(&mut tx, from_value(merge(current, patch))?).await?;
    let coverage = coverages::update(&mut tx, &client_id, &id, &coverage)
        .await?
        .ok_or(ApiError::NotFound("coverage"))?;
    audit(&mut tx, &staff, &req, Action::Update, "coverage", &id).await?;
    tx.commit().await?;
    Ok(ok(&coverage))
}
