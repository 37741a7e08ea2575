//! Benefits verifications: admissions asks while the caller is on the phone; billing and
//! admins read them, with the raw payer exchanges.

use actix_web::HttpResponse;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;

use super::context::Ctx;
use super::extract::{page, Body};
use super::{ok, PageOf};
use crate::domain::dates::parse_service_date;
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::{ClientId, CoverageId, VerificationId};
use crate::domain::role::Role;
use crate::domain::validation::Fields;
use crate::error::ApiError;
use crate::services::verification::Request;
use crate::store::audit::Action;
use crate::store::{clients, verifications};

const ASKERS: &[Role] = &[Role::Admissions];
const READERS: &[Role] = &[Role::Admin, Role::Admissions, Role::Billing];
/// Who sees the raw exchanges (they hold the full payer answer, member ids included).
const RAW_READERS: &[Role] = &[Role::Admin, Role::Billing];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerificationInput {
    client_id: Option<String>,
    coverage_id: Option<String>,
    levels_of_care: Option<Vec<String>>,
    program: Option<String>,
    service_date: Option<String>,
    force: Option<bool>,
}

fn parse_levels(raw: Vec<String>) -> Result<Vec<LevelOfCare>, String> {
    if raw.is_empty() {
        return Err("must name IOP, PHP or both".into());
    }
    let mut levels = Vec::new();
    for name in raw {
        let level = LevelOfCare::parse(&name)?;
        if levels.contains(&level) {
            return Err(format!("names {name} twice"));
        }
        levels.push(level);
    }
    Ok(levels)
}

fn parse(input: VerificationInput) -> Result<Request, ApiError> {
    let mut fields = Fields::new();
    let client_id = fields.required("client_id", input.client_id, |raw| ClientId::parse(&raw));
    let coverage_id = fields.required("coverage_id", input.coverage_id, |raw| {
        CoverageId::parse(&raw)
    });
    let levels = fields.required("levels_of_care", input.levels_of_care, parse_levels);
    let program = fields.required("program", input.program, |raw| Program::parse(&raw));
    let service_date = fields.optional("service_date", input.service_date, |raw| {
        parse_service_date(&raw)
    });
    Ok(fields.finish_with(|| {
        Some(Request {
            client_id: client_id?,
            coverage_id: coverage_id?,
            levels: levels?,
            program: program?,
            service_date: service_date?.unwrap_or_else(|| Utc::now().date_naive()),
            force: input.force.unwrap_or(false),
            id: None,
        })
    })?)
}

fn body(verification: &verifications::Verification, cached: bool) -> Result<Value, ApiError> {
    let mut value = serde_json::to_value(verification).map_err(ApiError::internal)?;
    value["cached"] = Value::Bool(cached);
    Ok(value)
}

pub async fn create(ctx: Ctx, body_in: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(ASKERS)?;
    let request = parse(body_in.json()?)?;
    let outcome = ctx
        .state()
        .verifier
        .verify(&ctx.requester(), &request)
        .await?;
    // A new verification was audited with its completion; a stored answer is a read.
    if outcome.cached {
        let mut tx = ctx.write().await?;
        tx.audit(Action::Read, "verification", outcome.verification.id);
        tx.commit().await?;
    }
    let json = body(&outcome.verification, outcome.cached)?;
    Ok(if outcome.cached {
        HttpResponse::Ok().json(json)
    } else {
        HttpResponse::Created().json(json)
    })
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: VerificationId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let verification = verifications::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("verification"))?;
    let mut json = body(&verification, false)?;
    if ctx.require(RAW_READERS).is_ok() {
        let exchanges = verifications::exchanges(&mut tx, id).await?;
        json["exchanges"] = serde_json::to_value(exchanges).map_err(ApiError::internal)?;
    }
    tx.audit(Action::Read, "verification", id);
    tx.commit().await?;
    Ok(ok(&json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

pub async fn list_for_client(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(&[Role::Admissions, Role::Billing])?;
    let client_id: ClientId = ctx.path("id")?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read_each().await?;
    clients::find(&mut tx, client_id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let (items, total) = verifications::list_for_client(&mut tx, client_id, page).await?;
    tx.audit_all(Action::Read, "verification", items.iter().map(|v| &v.id));
    tx.commit().await?;
    let items = items
        .iter()
        .map(|v| body(v, false))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(&PageOf::new(items, total, page)))
}
