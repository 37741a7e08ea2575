//! `GET /billing`: the billing desk's start, what must be acted on before a day is lost
//! (`services::alerts`, as `GET /api/v1/alerts` with its default horizon), and the way to the
//! month-end work.

use actix_web::HttpResponse;
use chrono::Utc;
use maud::html;

use super::{BILLING, HOME};
use crate::services::alerts::{current, AlertKind, Horizon};
use crate::store::audit::Action;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::page::Page;

/// The API's default horizon: a week ahead, three days left, three days to a review, a
/// quarter back.
const HORIZON: Horizon = Horizon {
    ending_within_days: 7,
    days_left_at_most: 3,
    review_within_days: 3,
    lookback_days: 90,
};

fn kind_chip(kind: AlertKind) -> maud::Markup {
    let (class, words) = match kind {
        AlertKind::AuthorizationEnding => ("warn", "Authorization ending"),
        AlertKind::FewDaysLeft => ("warn", "Few days left"),
        AlertKind::ReviewDue => ("warn", "Review due"),
        AlertKind::UnauthorizedDays => ("bad", "Unauthorized days"),
        AlertKind::BeyondApprovedDays => ("bad", "Days beyond approved"),
    };
    html! { span class={ "chip " (class) } { (words) } }
}

pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(BILLING)?;
    let today = Utc::now().date_naive();
    let mut tx = page.ctx.read().await?;
    let items = current(&mut tx, &page.ctx.state().settings.billing, today, &HORIZON).await?;
    let mut named: Vec<_> = items.iter().map(|a| a.client_id).collect();
    named.sort();
    named.dedup();
    tx.audit_all(Action::Read, "alerts", named);
    tx.commit().await?;
    let content = html! {
        h1 { "Billing desk" }
        p.lede { "What needs you before a billable day is lost, and the month-end work." }
        nav.card aria-label="Billing work" {
            ul.tiles {
                li { a href="/billing/attendance" { "Import attendance" } span.muted { " a CSV from the EHR" } }
                li { a href="/billing/generate" { "Generate claims" } span.muted { " preview first, then confirm" } }
                li { a href="/billing/claims" { "Claims" } span.muted { " statuses, void, replace, 837 files" } }
                li { a href="/billing/unbilled" { "Unbilled report" } span.muted { " attended and not yet on a claim" } }
            }
        }
        h2 { "Alerts" }
        @if items.is_empty() {
            p.notice.ok { "Nothing needs attention: no authorization is ending or running out, no review is due and every attended day is authorized." }
        } @else {
            div.table-wrap {
                table {
                    caption.sr-only { "Alerts as of " (format::date(today)) }
                    thead { tr { th { "Alert" } th { "Client" } th { "Level" } th { "Authorization" } th { "Dates" } th { "What it means" } } }
                    tbody {
                        @for alert in &items {
                            tr {
                                td { (kind_chip(alert.kind)) }
                                td { a href={ "/billing/clients/" (alert.client_id) } { (alert.client_name) } }
                                td { (alert.level_of_care.as_str()) }
                                td { @if let Some(number) = &alert.authorization_number { (number) } }
                                td { (dates(&alert.dates)) }
                                td { (format::iso_dates(&alert.message)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page.render(HOME, "Billing desk", content))
}

/// Dates as a short list: a few shown, the rest counted.
pub fn dates(days: &[chrono::NaiveDate]) -> String {
    const SHOWN: usize = 4;
    let mut text: Vec<String> = days.iter().take(SHOWN).map(|d| format::date(*d)).collect();
    if days.len() > SHOWN {
        text.push(format!("and {} more", days.len() - SHOWN));
    }
    text.join(", ")
}
