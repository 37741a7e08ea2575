//! Reports on posted remittances for billing staff: lines paid below the contract
//! (underpayments) and lines the payer refused (denials). The rules are in
//! [`crate::domain::remittance_reports`]. The reports show claims: a read of "claims" is
//! audited per client shown.

use actix_web::HttpResponse;
use chrono::{Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context::Ctx;
use super::extract::param;
use super::ok;
use crate::domain::ids::{parse_id, PayerId};
use crate::domain::person::parse_date;
use crate::domain::remittance_reports::{self as report, Denials, NetLine, Underpayments};
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::audit::Action;
use crate::store::{payers, remittance_reports};

const BILLING: &[Role] = &[Role::Billing];

/// How far back a report looks when `from` is not given: a year of service dates covers the
/// appeal windows payers allow (90 to 365 days), so nothing still worth chasing is left out.
const DEFAULT_MONTHS: u32 = 12;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    payer_id: Option<String>,
}

/// The service dates and payer a report covers.
#[derive(Serialize)]
struct Period {
    from: NaiveDate,
    to: NaiveDate,
    payer_id: Option<Uuid>,
}

/// `to` defaults to today, `from` to [`DEFAULT_MONTHS`] before `to`.
fn period(q: ReportQuery) -> Result<Period, ApiError> {
    let to = param("to", q.to, parse_date)?.unwrap_or_else(|| Utc::now().date_naive());
    let from = match param("from", q.from, parse_date)? {
        Some(from) => from,
        None => to
            .checked_sub_months(Months::new(DEFAULT_MONTHS))
            .unwrap_or(NaiveDate::MIN),
    };
    if from > to {
        return Err(ApiError::validation("from", "must be on or before to"));
    }
    Ok(Period {
        from,
        to,
        payer_id: param("payer_id", q.payer_id, parse_id)?,
    })
}

#[derive(Serialize)]
struct Report<T: Serialize> {
    #[serde(flatten)]
    period: Period,
    #[serde(flatten)]
    report: T,
}

/// Reads the netted lines of the period, builds the report with `build`, and audits a read of
/// the claims of every client it shows (`shown`).
async fn answer<T: Serialize>(
    ctx: Ctx,
    build: impl FnOnce(&[NetLine]) -> T,
    shown: impl Fn(&T) -> Vec<Uuid>,
) -> Result<HttpResponse, ApiError> {
    ctx.require(BILLING)?;
    let period = period(ctx.query()?)?;
    let mut tx = ctx.read().await?;
    if let Some(payer) = period.payer_id {
        if !payers::exists(&mut tx, PayerId::from_uuid(payer)).await? {
            return Err(ApiError::validation("payer_id", "names no payer"));
        }
    }
    let postings =
        remittance_reports::line_postings(&mut tx, period.from, period.to, period.payer_id).await?;
    let report = build(&report::net(postings));
    let mut clients = shown(&report);
    clients.sort();
    clients.dedup();
    tx.audit_all(Action::Read, "claims", clients);
    tx.commit().await?;
    Ok(ok(&Report { period, report }))
}

/// `GET /api/v1/reports/underpayments?from=&to=&payer_id=`: paid lines whose payer allowed
/// less than the fee schedule in force on the service date, with totals per payer.
pub async fn underpayments(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    answer(ctx, report::underpayments, |r: &Underpayments| {
        r.lines
            .iter()
            .map(|l| l.client_id)
            .chain(r.days.iter().map(|d| d.client_id))
            .collect()
    })
    .await
}

/// `GET /api/v1/reports/denials?from=&to=&payer_id=`: denied and partly denied lines by group
/// code and CARC, with what to do next.
pub async fn denials(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    answer(ctx, report::denials, |r: &Denials| {
        r.reasons
            .iter()
            .flat_map(|reason| reason.lines.iter().map(|l| l.client_id))
            .collect()
    })
    .await
}
