//! Cost estimates: admissions asks while the caller is on the phone; billing reads them.
//! Estimates are PHI: each one created or read is audited.

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context::Ctx;
use super::extract::Body;
use crate::domain::dates::parse_service_date;
use crate::domain::eligibility::LevelOfCare;
use crate::domain::estimate::{schedule_days, Schedule, MAX_WEEKS};
use crate::domain::ids::{parse_id, ClientId, EstimateId, VerificationId};
use crate::domain::money::Money;
use crate::domain::role::Role;
use crate::domain::validation::Fields;
use crate::error::ApiError;
use crate::services::estimates::{self as service, EstimateError, Network, Request};
use crate::store::audit::Action;
use crate::store::estimates;
use crate::store::{clients, verifications};

const WRITERS: &[Role] = &[Role::Admissions];
const READERS: &[Role] = &[Role::Admissions, Role::Billing];
/// The most course days one estimate walks (a year of daily attendance).
const MAX_DAYS: usize = 366;

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ScheduleInput {
    start_date: Option<String>,
    days_per_week: Option<i64>,
    weeks: Option<i64>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct EstimateInput {
    verification_id: Option<String>,
    client_id: Option<String>,
    level_of_care: Option<String>,
    network: Option<String>,
    schedule: Option<ScheduleInput>,
    planned_days: Option<Vec<String>>,
    allowed_per_day: Option<String>,
    self_pay: Option<bool>,
    self_pay_rate_per_day: Option<String>,
}

struct Parsed {
    verification_id: Option<Uuid>,
    client_id: Option<Uuid>,
    request: Request,
}

fn parse(input: EstimateInput) -> Result<Parsed, ApiError> {
    let mut fields = Fields::new();
    let verification_id = fields.optional("verification_id", input.verification_id, |raw| {
        parse_id(&raw)
    });
    let client_id = fields.optional("client_id", input.client_id, |raw| parse_id(&raw));
    let level = fields.required("level_of_care", input.level_of_care, |raw| {
        LevelOfCare::parse(&raw)
    });
    let network = fields.optional("network", input.network, |raw| Network::parse(&raw));
    let allowed = fields.optional("allowed_per_day", input.allowed_per_day, |raw| {
        Money::parse(&raw)
    });
    let rate = fields.optional(
        "self_pay_rate_per_day",
        input.self_pay_rate_per_day,
        |raw| Money::parse(&raw),
    );
    let days = match (input.schedule, input.planned_days) {
        (Some(_), Some(_)) => {
            fields.push("schedule", "send a schedule or planned_days, not both");
            None
        }
        (None, None) => {
            fields.push("schedule", "a schedule or planned_days is required");
            None
        }
        (Some(schedule), None) => {
            let start = fields.required("schedule.start_date", schedule.start_date, |raw| {
                parse_service_date(&raw)
            });
            let per_week = fields.required("schedule.days_per_week", schedule.days_per_week, |n| {
                u8::try_from(n)
                    .ok()
                    .filter(|n| (1..=7).contains(n))
                    .ok_or_else(|| "must be 1 to 7".to_string())
            });
            let weeks = fields.required("schedule.weeks", schedule.weeks, |n| {
                u32::try_from(n)
                    .ok()
                    .filter(|n| (1..=MAX_WEEKS).contains(n))
                    .ok_or_else(|| format!("must be 1 to {MAX_WEEKS}"))
            });
            match (start, per_week, weeks) {
                (Some(start_date), Some(days_per_week), Some(weeks)) => fields.check(
                    "schedule",
                    schedule_days(&Schedule {
                        start_date,
                        days_per_week,
                        weeks,
                    }),
                ),
                _ => None,
            }
        }
        (None, Some(planned)) => {
            if planned.is_empty() || planned.len() > MAX_DAYS {
                fields.push("planned_days", format!("must hold 1 to {MAX_DAYS} dates"));
                None
            } else {
                let mut days = Vec::with_capacity(planned.len());
                for (i, raw) in planned.iter().enumerate() {
                    if let Some(day) =
                        fields.check(&format!("planned_days[{i}]"), parse_service_date(raw))
                    {
                        if days.contains(&day) {
                            fields.push(&format!("planned_days[{i}]"), "is already in the list");
                        }
                        days.push(day);
                    }
                }
                Some(days)
            }
        }
    };
    let self_pay = input.self_pay.unwrap_or(false);
    // `Some(None)`: not sent; `None`: sent and refused above (named already).
    let has_verification = !matches!(verification_id, Some(None));
    let has_client = !matches!(client_id, Some(None));
    if !(has_verification || self_pay && has_client) {
        fields.push(
            "verification_id",
            "is required for an insurance estimate (a self-pay estimate may name client_id \
             with self_pay: true instead)",
        );
    }
    let (level_of_care, days) = fields.finish_with(|| Some((level?, days?)))?;
    Ok(Parsed {
        verification_id: verification_id.flatten(),
        client_id: client_id.flatten(),
        request: Request {
            level_of_care,
            network: network.flatten().unwrap_or(Network::In),
            days,
            allowed_per_day: allowed.flatten(),
            self_pay,
            self_pay_rate_per_day: rate.flatten(),
        },
    })
}

fn estimate_error(error: EstimateError) -> ApiError {
    match error {
        EstimateError::Store(e) => e.into(),
        EstimateError::Refused { field, message } => ApiError::validation(field, &message),
    }
}

/// `POST /api/v1/estimates`.
pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let raw: serde_json::Value = body.json()?;
    let input: EstimateInput = super::extract::from_value(raw.clone())?;
    let parsed = parse(input)?;
    let mut tx = ctx.write().await?;
    let verification = match parsed.verification_id {
        Some(id) => Some(
            verifications::find(&mut tx, VerificationId::from_uuid(id))
                .await?
                .ok_or_else(|| ApiError::validation("verification_id", "names no verification"))?,
        ),
        None => None,
    };
    let client_id = match (&verification, parsed.client_id) {
        (Some(v), asked) => {
            let client = v.client_id.as_uuid();
            if asked.is_some_and(|a| a != client) {
                return Err(ApiError::validation(
                    "client_id",
                    "is not the client of the verification",
                ));
            }
            client
        }
        (None, Some(client)) => {
            if clients::find(&mut tx, ClientId::from_uuid(client))
                .await?
                .is_none()
            {
                return Err(ApiError::validation("client_id", "names no client"));
            }
            client
        }
        (None, None) => return Err(ApiError::validation("verification_id", "is required")),
    };
    let answer = service::make(
        &mut tx,
        client_id,
        verification.as_ref(),
        &parsed.request,
        &ctx.state().settings.billing,
        ctx.staff.id,
    )
    .await
    .map_err(estimate_error)?;
    let result = service::keep(&mut tx, &answer, &raw).await?;
    tx.audit(Action::Create, "estimate", answer.id);
    tx.commit().await?;
    tracing::info!(estimate_id = %answer.id, kind = answer.kind, user_id = %ctx.staff.id,
        "estimate made");
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/estimates/{}", answer.id)))
        .json(&result))
}

/// `GET /api/v1/estimates/{id}`: the estimate exactly as it was given.
pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: EstimateId = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let (_, result) = estimates::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("estimate"))?;
    tx.audit(Action::Read, "estimate", id);
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(&result))
}
