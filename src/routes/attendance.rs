//! Attendance: batches of rows (JSON) or an EHR's CSV export in, days with their billable
//! verdict out. Billing staff only. Attendance is audited per client and request (entity
//! `attendance`, id = the client's id): a batch touching 300 clients writes 300 events.

use std::collections::HashMap;

use actix_web::HttpResponse;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{from_value, page, Body, CsvBody};
use super::{ok, PageOf};
use crate::domain::attendance::{AttendanceInput, RowProblem, MAX_BATCH_ROWS};
use crate::domain::eligibility::LevelOfCare;
use crate::domain::ids::ClientId;
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::services::attendance::{self as service, finish, import_file, Locator, Row};
use crate::store::attendance::{self as days_store, AttendanceFilter};
use crate::store::audit::Action;
use crate::store::{clients, Tx};

const BILLING: &[Role] = &[Role::Billing];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchInput {
    rows: Option<Vec<Value>>,
    replace: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchQuery {
    atomic: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    atomic: Option<bool>,
    replace: Option<bool>,
}

/// One JSON row: its shape (types, unknown fields) and its values are row problems, never a
/// failure of the whole batch.
fn json_row(index: usize, value: Value, today: NaiveDate) -> Row {
    let parsed = match from_value::<AttendanceInput>(value) {
        Ok(input) => input.parse(today, false),
        Err(ApiError::Validation(errors)) => Err(errors
            .into_iter()
            .map(|e| {
                RowProblem::invalid(if e.field == "body" { "row" } else { &e.field }, e.message)
            })
            .collect()),
        Err(other) => Err(vec![RowProblem::invalid("row", other.to_string())]),
    };
    Row {
        at: Locator::Row(index),
        parsed,
    }
}

pub async fn record(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: BatchQuery = ctx.query()?;
    let input: BatchInput = body.json()?;
    let rows = input
        .rows
        .ok_or_else(|| ApiError::validation("rows", "is required"))?;
    if rows.is_empty() {
        return Err(ApiError::validation("rows", "must hold at least one row"));
    }
    if rows.len() > MAX_BATCH_ROWS {
        return Err(ApiError::validation(
            "rows",
            &format!(
                "must hold at most {MAX_BATCH_ROWS} rows; split the batch or use the CSV import"
            ),
        ));
    }
    let today = Utc::now().date_naive();
    let rows: Vec<Row> = rows
        .into_iter()
        .enumerate()
        .map(|(i, value)| json_row(i, value, today))
        .collect();
    let atomic = q.atomic.unwrap_or(false);
    let mut tx = ctx.write().await?;
    let recorded = service::record(
        &mut tx,
        rows,
        input.replace.unwrap_or(false),
        atomic,
        ctx.staff.id,
    )
    .await?;
    Ok(ok(&finish(tx, recorded, atomic).await?))
}

pub async fn import(ctx: Ctx, body: CsvBody) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: ImportQuery = ctx.query()?;
    let bytes = body.bytes()?;
    let atomic = q.atomic.unwrap_or(false);
    let report = import_file(&ctx, &bytes, q.replace.unwrap_or(false), atomic).await?;
    Ok(ok(&report))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    client_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    level_of_care: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

fn date_param(name: &str, raw: Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    raw.map(|d| parse_date(&d).map_err(|m| ApiError::malformed(name, m)))
        .transpose()
}

fn range(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<(), ApiError> {
    match (from, to) {
        // Well-formed, but a range no day falls in: a rule of the pair, hence 422.
        (Some(from), Some(to)) if to < from => {
            Err(ApiError::validation("to", "must not be before from"))
        }
        _ => Ok(()),
    }
}

/// Authorization windows by client.
async fn windows(
    tx: &mut Tx,
    clients: &[Uuid],
) -> Result<HashMap<Uuid, Vec<crate::domain::billable::AuthorizationWindow>>, ApiError> {
    Ok(service::windows(
        &service::authorizations_of(tx, clients).await?,
    ))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = AttendanceFilter {
        client_id: q
            .client_id
            .map(|id| {
                Uuid::parse_str(&id).map_err(|_| ApiError::malformed("client_id", "must be a UUID"))
            })
            .transpose()?,
        from: date_param("from", q.from)?,
        to: date_param("to", q.to)?,
        level_of_care: q
            .level_of_care
            .map(|l| LevelOfCare::parse(&l).map_err(|m| ApiError::malformed("level_of_care", m)))
            .transpose()?,
    };
    range(filter.from, filter.to)?;
    let mut tx = ctx.read().await?;
    let (records, total) = days_store::list(&mut tx, &filter, page).await?;
    let mut clients: Vec<Uuid> = records.iter().map(|r| r.client_id).collect();
    clients.sort();
    clients.dedup();
    let windows = windows(&mut tx, &clients).await?;
    let minimums = service::minimums(&ctx.state().settings.billing);
    let facts = service::assess_clients(&mut tx, &clients, &windows, &minimums).await?;
    tx.audit_all(Action::Read, "attendance", &clients);
    tx.commit().await?;
    let items = service::verdicts_for(records, &facts);
    Ok(ok(&PageOf::new(items, total, page)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarQuery {
    from: Option<String>,
    to: Option<String>,
}

pub async fn for_client(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let client_id: ClientId = ctx.path("id")?;
    let q: CalendarQuery = ctx.query()?;
    let from = date_param("from", q.from)?;
    let to = date_param("to", q.to)?;
    range(from, to)?;
    let mut tx = ctx.read().await?;
    clients::find(&mut tx, client_id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let client = client_id.as_uuid();
    let windows = windows(&mut tx, &[client]).await?;
    let minimums = service::minimums(&ctx.state().settings.billing);
    let facts = service::assess_clients(&mut tx, &[client], &windows, &minimums).await?;
    tx.audit(Action::Read, "attendance", client_id);
    tx.commit().await?;
    Ok(ok(&service::calendar(
        client,
        facts.get(&client),
        from,
        to,
        &minimums,
    )))
}
