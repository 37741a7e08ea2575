//! Day rates: billing records and changes them; admissions reads them (estimates for
//! per-service payers use them). Contract terms, not PHI: no audit events; writes log the ids.
//!
//! Every write locks the payer row (`payers::lock`) before it checks for overlapping periods,
//! so two concurrent writers cannot both pass the check (as for fee schedules).

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{from_value, merge, page, param, refuse_nulls, Body};
use super::{ok, PageOf};
use crate::domain::day_rate::{self, DayRateInput, NewDayRate, Tier};
use crate::domain::eligibility::LevelOfCare;
use crate::domain::ids::{DayRateId, PayerId};
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::day_rates::{self, DayRate, DayRateFilter};
use crate::store::{payers, Tx};

const WRITERS: &[Role] = &[Role::Billing];
const READERS: &[Role] = &[Role::Billing, Role::Admissions];
/// Fields a patch may leave out but not clear.
const REQUIRED: &[&str] = &[
    "payer_id",
    "level_of_care",
    "services",
    "amount",
    "effective_from",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    payer_id: Option<String>,
    level_of_care: Option<String>,
    services: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn filter(q: ListQuery) -> Result<DayRateFilter, ApiError> {
    Ok(DayRateFilter {
        payer_id: param("payer_id", q.payer_id, PayerId::parse)?,
        level_of_care: param("level_of_care", q.level_of_care, LevelOfCare::parse)?,
        services: param("services", q.services, Tier::parse)?,
        active_on: param("active_on", q.active_on, parse_date)?,
    })
}

/// Checks that the payer exists (422 naming `payer_id` otherwise, as for fee schedules) and
/// locks it for the rest of the transaction.
async fn lock_payer(tx: &mut Tx, payer_id: Uuid) -> Result<(), ApiError> {
    if payers::lock(tx, PayerId::from_uuid(payer_id)).await? {
        Ok(())
    } else {
        Err(ApiError::validation("payer_id", "names no payer"))
    }
}

/// Refuses `terms` when another rate of the payer at the same level of care and tier shares a
/// day with it (409 naming that one).
async fn refuse_overlap(
    tx: &mut Tx,
    itself: Option<DayRateId>,
    terms: &NewDayRate,
) -> Result<(), ApiError> {
    let rates = day_rates::of_payer(tx, PayerId::from_uuid(terms.payer_id)).await?;
    let others = rates.iter().filter(|r| Some(r.id) != itself);
    match day_rate::first_overlap(others, terms) {
        Some(other) => Err(overlap(other, terms)),
        None => Ok(()),
    }
}

fn shown(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "open-ended".to_string(), |d| d.to_string())
}

fn overlap(other: &DayRate, terms: &NewDayRate) -> ApiError {
    let theirs = other.data.period;
    let members = match json!({
        "conflicting_day_rate": {
            "id": other.id,
            "payer_id": other.data.payer_id,
            "level_of_care": other.data.level_of_care,
            "services": other.data.services,
            "effective_from": theirs.from,
            "effective_to": theirs.to,
        }
    }) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    ApiError::StateConflict {
        kind: "day-rate-overlap",
        title: "Day rate overlaps another",
        detail: format!(
            "Day rate {} is in force from {} to {} for this payer's {} days with {} services, \
             which overlaps {} to {}. One rate prices a day: end the other one with \
             effective_to, or correct these dates.",
            other.id,
            theirs.from,
            shown(theirs.to),
            terms.level_of_care.as_str(),
            terms.services.as_str(),
            terms.period.from,
            shown(terms.period.to),
        ),
        members,
    }
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let terms = body.json::<DayRateInput>()?.parse()?;
    let mut tx = ctx.write().await?;
    lock_payer(&mut tx, terms.payer_id).await?;
    refuse_overlap(&mut tx, None, &terms).await?;
    let rate = day_rates::insert(&mut tx, DayRateId::new(), &terms).await?;
    tx.commit().await?;
    let id = rate.id;
    tracing::info!(day_rate_id = %id, payer_id = %terms.payer_id, user_id = %ctx.staff.id,
        "day rate recorded");
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/day-rates/{id}")))
        .json(&rate))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = filter(q)?;
    let mut tx = ctx.read_each().await?;
    let (items, total) = day_rates::list(&mut tx, &filter, page).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: DayRateId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let rate = day_rates::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("day rate"))?;
    tx.commit().await?;
    Ok(ok(&rate))
}

/// A JSON merge patch. The payer, level of care and tier are fixed; the new period is checked
/// for overlap as on creation.
pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: DayRateId = ctx.path("id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, REQUIRED)?;
    let mut tx = ctx.write().await?;
    let found = day_rates::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("day rate"))?;
    lock_payer(&mut tx, found.data.payer_id).await?;
    // Read again under the lock: what is checked is what no other writer can change.
    let stored = day_rates::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("day rate"))?;
    let current =
        serde_json::to_value(DayRateInput::from(&stored.data)).map_err(ApiError::internal)?;
    let next = from_value::<DayRateInput>(merge(current, patch))?.parse()?;
    day_rate::fixed_changes(&stored.data, &next)?;
    refuse_overlap(&mut tx, Some(stored.id), &next).await?;
    let updated = day_rates::update(&mut tx, id, &next)
        .await?
        .ok_or(ApiError::NotFound("day rate"))?;
    tx.commit().await?;
    tracing::info!(day_rate_id = %id, user_id = %ctx.staff.id, "day rate changed");
    Ok(ok(&updated))
}
