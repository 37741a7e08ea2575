//! Fee schedules: billing records and changes them; admissions reads them (estimates use the
//! contracted amount). Contract terms, not PHI: no audit events; writes log the ids.
//!
//! Every write locks the payer row (`payers::lock`) before it checks for overlapping periods,
//! so two concurrent writers cannot both pass the check.

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{from_value, merge, page, param, refuse_nulls, Body};
use super::{ok, PageOf};
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::fee_schedule::{self, FeeScheduleInput, NewFeeSchedule};
use crate::domain::ids::{FeeScheduleId, PayerId};
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::fee_schedules::{self, FeeSchedule, FeeScheduleFilter};
use crate::store::{payers, Tx};

const WRITERS: &[Role] = &[Role::Billing];
const READERS: &[Role] = &[Role::Billing, Role::Admissions];
/// Fields a patch may leave out but not clear.
const REQUIRED: &[&str] = &[
    "payer_id",
    "level_of_care",
    "program",
    "revenue_code",
    "effective_from",
    "claim_form",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    payer_id: Option<String>,
    level_of_care: Option<String>,
    program: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn filter(q: ListQuery) -> Result<FeeScheduleFilter, ApiError> {
    Ok(FeeScheduleFilter {
        payer_id: param("payer_id", q.payer_id, PayerId::parse)?,
        level_of_care: param("level_of_care", q.level_of_care, LevelOfCare::parse)?,
        program: param("program", q.program, Program::parse)?,
        active_on: param("active_on", q.active_on, parse_date)?,
    })
}

/// Checks that the payer exists (422 naming `payer_id` otherwise) and locks it for the rest of
/// the transaction.
async fn lock_payer(tx: &mut Tx, payer_id: Uuid) -> Result<(), ApiError> {
    if payers::lock(tx, PayerId::from_uuid(payer_id)).await? {
        Ok(())
    } else {
        Err(ApiError::validation("payer_id", "names no payer"))
    }
}

/// Refuses `terms` when another schedule of the payer at the same level of care and program
/// shares a day with it (409 naming that one).
async fn refuse_overlap(
    tx: &mut Tx,
    itself: Option<FeeScheduleId>,
    terms: &NewFeeSchedule,
) -> Result<(), ApiError> {
    let payer = PayerId::from_uuid(terms.payer_id);
    let schedules = fee_schedules::of_payer(tx, payer, terms.level_of_care, terms.program).await?;
    let others = schedules.iter().filter(|s| Some(s.id) != itself);
    match fee_schedule::first_overlap(others, terms) {
        Some(other) => Err(overlap(other, terms)),
        None => Ok(()),
    }
}

fn shown(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "open-ended".to_string(), |d| d.to_string())
}

fn overlap(other: &FeeSchedule, terms: &NewFeeSchedule) -> ApiError {
    let theirs = other.data.period;
    let members = match json!({
        "conflicting_fee_schedule": {
            "id": other.id,
            "payer_id": other.data.payer_id,
            "level_of_care": other.data.level_of_care,
            "program": other.data.program,
            "effective_from": theirs.from,
            "effective_to": theirs.to,
        }
    }) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    ApiError::StateConflict {
        kind: "fee-schedule-overlap",
        title: "Fee schedule overlaps another",
        detail: format!(
            "Fee schedule {} is in force from {} to {} for this payer at {} {}, which overlaps \
             {} to {}. One schedule prices a day: end the other one with effective_to, or \
             correct these dates.",
            other.id,
            theirs.from,
            shown(theirs.to),
            terms.level_of_care.as_str(),
            terms.program.as_str(),
            terms.period.from,
            shown(terms.period.to),
        ),
        members,
    }
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let terms = body.json::<FeeScheduleInput>()?.parse()?;
    let mut tx = ctx.write().await?;
    lock_payer(&mut tx, terms.payer_id).await?;
    refuse_overlap(&mut tx, None, &terms).await?;
    let schedule = fee_schedules::insert(&mut tx, FeeScheduleId::new(), &terms).await?;
    tx.commit().await?;
    let id = schedule.id;
    tracing::info!(fee_schedule_id = %id, payer_id = %terms.payer_id, user_id = %ctx.staff.id,
        "fee schedule recorded");
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/fee-schedules/{id}")))
        .json(&schedule))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = filter(q)?;
    let mut tx = ctx.read_each().await?;
    let (items, total) = fee_schedules::list(&mut tx, &filter, page).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: FeeScheduleId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let schedule = fee_schedules::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("fee schedule"))?;
    tx.commit().await?;
    Ok(ok(&schedule))
}

/// A JSON merge patch. The payer, level of care and program are fixed; the new period is
/// checked for overlap as on creation.
pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: FeeScheduleId = ctx.path("id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, REQUIRED)?;
    let mut tx = ctx.write().await?;
    let found = fee_schedules::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("fee schedule"))?;
    lock_payer(&mut tx, found.data.payer_id).await?;
    // Read again under the lock: what is checked is what no other writer can change.
    let stored = fee_schedules::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("fee schedule"))?;
    let current =
        serde_json::to_value(FeeScheduleInput::from(&stored.data)).map_err(ApiError::internal)?;
    let next = from_value::<FeeScheduleInput>(merge(current, patch))?.parse()?;
    fee_schedule::fixed_changes(&stored.data, &next)?;
    refuse_overlap(&mut tx, Some(stored.id), &next).await?;
    let updated = fee_schedules::update(&mut tx, id, &next)
        .await?
        .ok_or(ApiError::NotFound("fee schedule"))?;
    tx.commit().await?;
    tracing::info!(fee_schedule_id = %id, user_id = %ctx.staff.id, "fee schedule changed");
    Ok(ok(&updated))
}
