//! The service catalog: billing records and changes entries; admissions reads them (as fee
//! schedules). Clinic terms, not PHI: no audit events; writes log the ids.
//!
//! Every write takes the catalog's writer lock (`service_codes::lock_for_writing`) before it
//! checks for overlapping periods, so two concurrent writers cannot both pass the check.

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::{json, Value};

use super::context::Ctx;
use super::extract::{from_value, merge, page, param, refuse_nulls, Body};
use super::{ok, PageOf};
use crate::domain::ids::ServiceCodeId;
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::domain::service_code::{self, NewServiceCode, ServiceCode, ServiceCodeInput};
use crate::error::ApiError;
use crate::store::service_codes::{self, ServiceCodeEntry, ServiceCodeFilter};
use crate::store::Tx;

const WRITERS: &[Role] = &[Role::Billing];
const READERS: &[Role] = &[Role::Billing, Role::Admissions];
/// Fields a patch may leave out but not clear.
const REQUIRED: &[&str] = &[
    "code",
    "description",
    "revenue_code",
    "hcpcs",
    "charge",
    "counts_toward_day",
    "effective_from",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    code: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn filter(q: ListQuery) -> Result<ServiceCodeFilter, ApiError> {
    Ok(ServiceCodeFilter {
        code: param("code", q.code, |raw| ServiceCode::parse(raw.to_string()))?,
        active_on: param("active_on", q.active_on, parse_date)?,
    })
}

/// Refuses `terms` when another entry of the same code shares a day with it (409 naming that
/// one).
async fn refuse_overlap(
    tx: &mut Tx,
    itself: Option<ServiceCodeId>,
    terms: &NewServiceCode,
) -> Result<(), ApiError> {
    let entries = service_codes::of_codes(tx, std::slice::from_ref(&terms.code)).await?;
    let others = entries.iter().filter(|e| Some(e.id) != itself);
    match service_code::first_overlap(others, terms) {
        Some(other) => Err(overlap(other, terms)),
        None => Ok(()),
    }
}

fn shown(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "open-ended".to_string(), |d| d.to_string())
}

fn overlap(other: &ServiceCodeEntry, terms: &NewServiceCode) -> ApiError {
    let theirs = other.data.period;
    let members = match json!({
        "conflicting_service_code": {
            "id": other.id,
            "code": other.data.code,
            "effective_from": theirs.from,
            "effective_to": theirs.to,
        }
    }) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    ApiError::StateConflict {
        kind: "service-code-overlap",
        title: "Service code entry overlaps another",
        detail: format!(
            "Entry {} of {} is in force from {} to {}, which overlaps {} to {}. One entry \
             prices a service on a day: end the other one with effective_to (the day before \
             this one starts), or correct these dates.",
            other.id,
            terms.code,
            theirs.from,
            shown(theirs.to),
            terms.period.from,
            shown(terms.period.to),
        ),
        members,
    }
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let terms = body.json::<ServiceCodeInput>()?.parse()?;
    let mut tx = ctx.write().await?;
    service_codes::lock_for_writing(&mut tx).await?;
    refuse_overlap(&mut tx, None, &terms).await?;
    let entry = service_codes::insert(&mut tx, ServiceCodeId::new(), &terms).await?;
    tx.commit().await?;
    let id = entry.id;
    tracing::info!(service_code_id = %id, user_id = %ctx.staff.id, "service code recorded");
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/service-codes/{id}")))
        .json(&entry))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = filter(q)?;
    let mut tx = ctx.read_each().await?;
    let (items, total) = service_codes::list(&mut tx, &filter, page).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: ServiceCodeId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let entry = service_codes::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("service code"))?;
    tx.commit().await?;
    Ok(ok(&entry))
}

/// A JSON merge patch. The code is fixed; the new period is checked for overlap as on
/// creation.
pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: ServiceCodeId = ctx.path("id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, REQUIRED)?;
    let mut tx = ctx.write().await?;
    service_codes::lock_for_writing(&mut tx).await?;
    let stored = service_codes::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("service code"))?;
    let current =
        serde_json::to_value(ServiceCodeInput::from(&stored.data)).map_err(ApiError::internal)?;
    let next = from_value::<ServiceCodeInput>(merge(current, patch))?.parse()?;
    service_code::fixed_changes(&stored.data, &next)?;
    refuse_overlap(&mut tx, Some(stored.id), &next).await?;
    let updated = service_codes::update(&mut tx, id, &next)
        .await?
        .ok_or(ApiError::NotFound("service code"))?;
    tx.commit().await?;
    tracing::info!(service_code_id = %id, user_id = %ctx.staff.id, "service code changed");
    Ok(ok(&updated))
}
