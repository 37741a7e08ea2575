//! `GET /api/v1/alerts`: what billing must act on now (see [`crate::services::alerts`]). Each client
//! named in the answer is audited as a read (entity `alerts`, id = the client's id).

use actix_web::HttpResponse;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context::Ctx;
use super::ok;
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::services::alerts::{current, Alert, Horizon};
use crate::store::audit::Action;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertQuery {
    ending_within_days: Option<u32>,
    days_left_at_most: Option<u32>,
    review_within_days: Option<u32>,
    lookback_days: Option<u32>,
}

#[derive(Serialize)]
struct Alerts {
    as_of: NaiveDate,
    horizon: Horizon,
    items: Vec<Alert>,
}

fn bounded(name: &str, value: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let value = value.unwrap_or(default);
    if value > max {
        return Err(ApiError::malformed(
            name,
            format!("must be between 0 and {max}"),
        ));
    }
    Ok(value)
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(&[Role::Billing])?;
    let q: AlertQuery = ctx.query()?;
    let horizon = Horizon {
        ending_within_days: bounded("ending_within_days", q.ending_within_days, 7, 365)?,
        days_left_at_most: bounded("days_left_at_most", q.days_left_at_most, 3, 365)?,
        review_within_days: bounded("review_within_days", q.review_within_days, 3, 365)?,
        lookback_days: bounded("lookback_days", q.lookback_days, 90, 730)?,
    };
    if horizon.lookback_days == 0 {
        return Err(ApiError::malformed(
            "lookback_days",
            "must be between 1 and 730",
        ));
    }
    let today = Utc::now().date_naive();
    let mut tx = ctx.read().await?;
    let items = current(&mut tx, &ctx.state().settings.billing, today, &horizon).await?;
    let mut named: Vec<Uuid> = items.iter().map(|a| a.client_id).collect();
    named.sort();
    named.dedup();
    tx.audit_all(Action::Read, "alerts", named);
    tx.commit().await?;
    Ok(ok(&Alerts {
        as_of: today,
        horizon,
        items,
    }))
}
