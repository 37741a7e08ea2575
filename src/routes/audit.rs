//! `GET /api/v1/audit` (admin): the access log, filtered and paged.

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::context::Ctx;
use super::extract::page;
use super::{ok, PageOf};
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::audit::{self, Action, AuditFilter};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    entity_id: Option<String>,
    user_id: Option<String>,
    action: Option<Action>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// An RFC 3339 instant (`2026-11-23T09:30:00Z`).
fn instant(field: &str, raw: Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|raw| {
        DateTime::parse_from_rfc3339(&raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::malformed(field, "must be an RFC 3339 date-time"))
    })
    .transpose()
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(&[Role::Admin])?;
    let q: AuditQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = AuditFilter {
        entity_id: q.entity_id,
        user_id: q.user_id,
        action: q.action,
        from: instant("from", q.from)?,
        to: instant("to", q.to)?,
    };
    let mut tx = ctx.read_each().await?;
    let (items, total) = audit::list(&mut tx, &filter, page).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}
