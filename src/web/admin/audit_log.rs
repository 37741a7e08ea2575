//! The audit log: who read or changed which record, when and from where, newest first, filtered
//! by staff member, action, record id and dates. The filters are ids, codes and dates, never a
//! name, so they may sit in the query string (a bookmarkable, reloadable search).

use std::collections::HashMap;

use actix_web::HttpResponse;
use chrono::{DateTime, Days, NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::ADMINS;
use crate::store::audit::{self, Action, AuditEvent, AuditFilter};
use crate::store::users;
use crate::store::Page as Rows;
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::Page;

const HOME: &str = "/admin/audit";
const PER_PAGE: i64 = 50;
const ACTIONS: [Action; 6] = Action::ALL;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<i64>,
}

/// `GET /admin/audit`.
pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ADMINS)?;
    let filters: Filters = page.ctx.query()?;
    let mut errors = Errors::none();
    let filter = parse(&filters, &mut errors);
    let number = filters.page.unwrap_or(1).max(1);
    let rows = Rows {
        limit: PER_PAGE,
        offset: (number - 1) * PER_PAGE,
    };
    let mut tx = page.ctx.read_each().await?;
    let (staff, _) = users::list(
        &mut tx,
        Rows {
            limit: 500,
            offset: 0,
        },
    )
    .await?;
    let (events, total) = match &filter {
        Some(filter) => audit::list(&mut tx, filter, rows).await?,
        None => (Vec::new(), 0),
    };
    tx.commit().await?;
    let names: HashMap<String, String> = staff
        .into_iter()
        .map(|user| (user.id.to_string(), user.username))
        .collect();
    let content = screen(&filters, &errors, &names, &events, total, number);
    Ok(page.render(HOME, "Audit log", content))
}

/// The filter the form asks for; `None` when a field does not parse (said beside it).
fn parse(filters: &Filters, errors: &mut Errors) -> Option<AuditFilter> {
    let present = |raw: &str| {
        Some(raw.trim())
            .filter(|raw| !raw.is_empty())
            .map(String::from)
    };
    let action = match filters.action.as_str() {
        "" => Some(None),
        raw => Action::parse(raw).map(Some).or_else(|| {
            errors.push("action", "choose an action from the list");
            None
        }),
    };
    let mut day = |name: &str, raw: &str| -> Option<Option<NaiveDate>> {
        match raw.trim() {
            "" => Some(None),
            typed => format::typed_date(typed)
                .and_then(|iso| iso.parse().ok())
                .map(Some)
                .or_else(|| {
                    errors.push(name, format::date_error(typed));
                    None
                }),
        }
    };
    let from = day("from", &filters.from);
    let to = day("to", &filters.to);
    Some(AuditFilter {
        entity_id: present(&filters.entity_id),
        user_id: present(&filters.user_id),
        action: action?,
        from: from?.map(start_of),
        // "To 12/05/2026" includes that whole day.
        to: to?
            .and_then(|day| day.checked_add_days(Days::new(1)))
            .map(start_of),
    })
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

fn action_words(action: Action) -> &'static str {
    match action {
        Action::Read => "Read",
        Action::Create => "Created",
        Action::Update => "Changed",
        Action::Export => "Exported",
        Action::Login => "Signed in",
        Action::LoginFailed => "Sign-in refused",
    }
}

fn screen(
    filters: &Filters,
    errors: &Errors,
    names: &HashMap<String, String>,
    events: &[AuditEvent],
    total: i64,
    number: i64,
) -> Markup {
    let mut staff: Vec<(String, String)> = names
        .iter()
        .map(|(id, name)| (id.clone(), name.clone()))
        .collect();
    staff.sort_by(|a, b| a.1.cmp(&b.1));
    let actions: Vec<(String, String)> = ACTIONS
        .iter()
        .map(|a| (a.as_str().to_string(), action_words(*a).to_string()))
        .collect();
    let pages = (total + PER_PAGE - 1) / PER_PAGE;
    let date_hint = Input {
        hint: Some("MM/DD/YYYY"),
        ..Input::default()
    };
    html! {
        h1 { "Audit log" }
        p.lede { "Every read and change of client records, accounts and payers, newest first." }
        div.card {
            form.stack method="get" action=(HOME) {
                div.fields {
                    (fields::select("user_id", "Staff member", &staff, &filters.user_id, errors, false))
                    (fields::select("action", "Action", &actions, &filters.action, errors, false))
                    (fields::text("entity_id", "Record id", &filters.entity_id, errors, Input {
                        hint: Some("the id of a client, verification, claim…"), ..Input::default() }))
                    (fields::text("from", "From", &filters.from, errors, date_hint))
                    (fields::text("to", "To", &filters.to, errors, date_hint))
                }
                div.actions {
                    button type="submit" { "Show" }
                    a href=(HOME) { "Clear the filters" }
                }
            }
        }
        @if errors.is_empty() {
            p role="status" {
                @if total == 1 { "1 event" } @else { (total) " events" }
                @if pages > 1 { " · page " (number) " of " (pages) }
            }
        }
        @if !events.is_empty() {
            div.table-wrap {
                table {
                    thead { tr { th { "When" } th { "Staff member" } th { "Action" } th { "Record" } th { "Record id" } th { "From" } } }
                    tbody {
                        @for event in events {
                            tr {
                                td { (format::date_time(event.occurred_at)) }
                                td {
                                    @match event.user_id.as_ref() {
                                        Some(id) => (names.get(id).map_or(id.as_str(), String::as_str)),
                                        None => span.muted { "nobody signed in" },
                                    }
                                }
                                td { (action_words(event.action)) }
                                td { (event.entity_type.replace('_', " ")) }
                                td { code { (event.entity_id.as_deref().unwrap_or("")) } }
                                td { (event.ip.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if number > 1 { a.button.secondary href=(page_link(filters, number - 1)) { "Previous page" } }
                @if number < pages { a.button.secondary href=(page_link(filters, number + 1)) { "Next page" } }
            }
        }
    }
}

fn page_link(filters: &Filters, number: i64) -> String {
    let query = serde_urlencoded::to_string([
        ("user_id", filters.user_id.as_str()),
        ("action", filters.action.as_str()),
        ("entity_id", filters.entity_id.as_str()),
        ("from", filters.from.as_str()),
        ("to", filters.to.as_str()),
        ("page", &number.to_string()),
    ])
    .unwrap_or_default();
    format!("{HOME}?{query}")
}
