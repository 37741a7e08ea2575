//! Verification batches: admissions (or a nightly job signed in as admissions) asks for many
//! verifications at once; the worker answers them in the background.

use std::collections::HashMap;

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::context::Ctx;
use super::extract::Body;
use super::ok;
use crate::domain::dates::parse_service_date;
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::{BatchId, ClientId, CoverageId};
use crate::domain::role::Role;
use crate::domain::validation::Fields;
use crate::error::ApiError;
use crate::payers::breaker::State;
use crate::state::AppState;
use crate::store::audit::Action;
use crate::store::batches::{self, Batch, Item, NewItem};

use crate::services::batch::{start, MAX_ITEMS};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchInput {
    items: Option<Vec<ItemInput>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemInput {
    client_id: Option<String>,
    coverage_id: Option<String>,
    levels_of_care: Option<Vec<String>>,
    program: Option<String>,
    service_date: Option<String>,
    force: Option<bool>,
}

fn parse_item(item: ItemInput, fields: &mut Fields) -> Option<NewItem> {
    let client_id = fields.required("client_id", item.client_id, |raw| ClientId::parse(&raw));
    let coverage_id = fields.required("coverage_id", item.coverage_id, |raw| {
        CoverageId::parse(&raw)
    });
    let levels = fields.required("levels_of_care", item.levels_of_care, |raw| {
        if raw.is_empty() {
            return Err("must name IOP, PHP or both".to_string());
        }
        let mut levels: Vec<&str> = Vec::new();
        for name in &raw {
            let level = LevelOfCare::parse(name)?;
            if levels.contains(&level.as_str()) {
                return Err(format!("names {name} twice"));
            }
            levels.push(level.as_str());
        }
        levels.sort_unstable();
        Ok(levels.join(","))
    });
    let program = fields.required("program", item.program, |raw| {
        Program::parse(&raw).map(|p| p.as_str().to_string())
    });
    let service_date = fields.optional("service_date", item.service_date, |raw| {
        parse_service_date(&raw)
    });
    Some(NewItem {
        client_id: client_id?,
        coverage_id: coverage_id?,
        levels_of_care: levels?,
        program: program?,
        service_date: service_date?.unwrap_or_else(|| Utc::now().date_naive()),
        force: item.force.unwrap_or(false),
    })
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(&[Role::Admissions])?;
    let input: BatchInput = body.json()?;
    let mut fields = Fields::new();
    let items = fields.required("items", input.items, |items| {
        if items.is_empty() || items.len() > MAX_ITEMS {
            Err(format!("must hold 1 to {MAX_ITEMS} items"))
        } else {
            Ok(items)
        }
    });
    fields.finish()?;
    let mut parsed = Vec::new();
    let mut all = Fields::new();
    for (index, item) in items.unwrap_or_default().into_iter().enumerate() {
        let mut fields = Fields::nested(&format!("items[{index}]"));
        let new = parse_item(item, &mut fields);
        if let Err(invalid) = fields.finish() {
            all.absorb(invalid);
        }
        parsed.extend(new);
    }
    all.finish()?;
    let mut tx = ctx.write().await?;
    let (batch, items) = start(&mut tx, &ctx.staff.id_string(), &parsed).await?;
    let id = batch.id;
    tx.audit(Action::Create, "verification_batch", id);
    tx.commit().await?;
    let json = progress(ctx.state(), batch, items).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/verification-batches/{id}"),
        ))
        .json(json))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(&[Role::Admin, Role::Admissions, Role::Billing])?;
    let id: BatchId = ctx.path("id")?;
    let mut tx = ctx.read().await?;
    let (batch, items) = batches::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("verification batch"))?;
    tx.audit(Action::Read, "verification_batch", id);
    tx.commit().await?;
    Ok(ok(&progress(ctx.state(), batch, items).await?))
}

/// The batch and its items as the API shows them: each waiting item with when its payer is
/// next probed, as far as this instance's breaker knows (`null` when it does not: the circuit
/// is closed here, or a probe is under way).
async fn progress(state: &AppState, batch: Batch, items: Vec<Item>) -> Result<Value, ApiError> {
    let mut json: Value = serde_json::to_value(batch).map_err(ApiError::internal)?;
    let mut shown = Vec::with_capacity(items.len());
    let mut next_probes: HashMap<Uuid, Option<DateTime<Utc>>> = HashMap::new();
    for item in items {
        let payer = item
            .payer_id
            .as_deref()
            .and_then(|p| Uuid::parse_str(p).ok());
        let next_probe_at = match payer.filter(|_| item.status == "waiting") {
            Some(payer) => match next_probes.get(&payer) {
                Some(at) => *at,
                None => {
                    let breaker = state.health.report(payer, None).await.breaker;
                    let at = breaker.retry_at.filter(|_| breaker.state == State::Open);
                    next_probes.insert(payer, at);
                    at
                }
            },
            None => None,
        };
        let mut item = serde_json::to_value(item).map_err(ApiError::internal)?;
        item["next_probe_at"] = serde_json::to_value(next_probe_at).map_err(ApiError::internal)?;
        shown.push(item);
    }
    json["items"] = Value::Array(shown);
    Ok(json)
}
