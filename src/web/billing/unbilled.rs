//! `GET /billing/unbilled?through=`: what is attended and on no live claim, per client and
//! payer — the billable days priced as a generation would, the days held behind an unsent
//! interim claim, the others with why
//! (`services::claims::unbilled`, as `GET /api/v1/reports/unbilled`).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::{NaiveDate, Utc};
use maud::html;
use serde::Deserialize;

use super::{BILLING, HOME};
use crate::services::claims::unbilled;
use crate::store::audit::Action;
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::Page;

const TITLE: &str = "Unbilled report";

#[derive(Deserialize, Default)]
pub struct Through {
    #[serde(default)]
    through: String,
}

pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(BILLING)?;
    let query: Through = page.ctx.query()?;
    let mut errors = Errors::none();
    let typed = query.through.trim();
    let through: NaiveDate = match typed {
        "" => Utc::now().date_naive(),
        raw => match format::typed_date(raw).and_then(|iso| iso.parse().ok()) {
            Some(day) => day,
            None => {
                errors.push("through", format::date_error(raw));
                Utc::now().date_naive()
            }
        },
    };
    let shown = if typed.is_empty() {
        format::date(through)
    } else {
        typed.to_string()
    };
    let mut tx = page.ctx.read().await?;
    let report = unbilled(&mut tx, through, &page.ctx.state().settings.billing)
        .await
        .map_err(WebError::internal)?;
    tx.audit_all(
        Action::Read,
        "attendance",
        report.clients.iter().map(|c| c.client_id),
    );
    tx.commit().await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let content = html! {
        p { a href=(HOME) { "← Billing desk" } }
        h1 { (TITLE) }
        form.card method="get" action="/billing/unbilled" aria-label="Report date" {
            div.fields {
                (fields::text("through", "Attended through", &shown, &errors,
                    Input { hint: Some("MM/DD/YYYY"), ..Default::default() }))
            }
            div.actions { button.secondary type="submit" { "Show" } }
        }
        div.card {
            dl.facts id="unbilled-totals" {
                dt { "Through" } dd { (format::date(report.through)) }
                dt { "Billable days not yet billed" } dd { (report.totals.unbilled_days) }
                dt { "Their charges" } dd { (format::money(report.totals.unbilled_charge.amount())) }
                dt { "Days that cannot be billed" } dd { (report.totals.not_billable_days) }
                dt { "Days held for an earlier claim" } dd { (report.totals.held_days) " (" (format::money(report.totals.held_charge.amount())) ")" }
            }
        }
        @if report.clients.is_empty() {
            p.notice.ok { "Every attended day through this date is on a claim." }
        } @else {
            div.table-wrap {
                table id="unbilled" {
                    thead { tr { th { "Client" } th { "Payer" } th.num { "Days to bill" } th.num { "Charges" } th.num { "Expected" } th { "Cannot be billed" } th { "Held" } } }
                    tbody {
                        @for client in &report.clients {
                            @for row in &client.payers {
                                tr {
                                    td { a href={ "/billing/clients/" (client.client_id) } { (client.client_name) } }
                                    td { (row.payer_name.as_deref().unwrap_or("No coverage")) }
                                    td.num { (row.unbilled_dates.len()) }
                                    td.num { (format::money(row.unbilled_charge.amount())) }
                                    td.num { @match row.unbilled_expected { Some(expected) => (format::money(expected.amount())), None => span.muted { "unknown" } } }
                                    td {
                                        @if row.not_billable.is_empty() { span.muted { "none" } }
                                        @for day in &row.not_billable {
                                            div {
                                                (format::date(day.date)) " " (day.level_of_care.as_str()) ": "
                                                (format::iso_dates(&day.reasons.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; ")))
                                            }
                                        }
                                    }
                                    td {
                                        @if row.held.is_empty() { span.muted { "none" } }
                                        @for day in &row.held {
                                            div {
                                                (format::date(day.date)) " " (day.level_of_care.as_str()) ": "
                                                (day.reasons.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; "))
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page.render_with(status, HOME, TITLE, content))
}
