//! Finding a client: by name, record number or birth date, posted (never in the URL: a name
//! or a birth date is PHI) and paged.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::{HOME, READERS};
use crate::store::audit::Action;
use crate::store::clients::{self, Client, ClientSearch};
use crate::store::Page as Rows;
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{Form, Page};

const PER_PAGE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct SearchFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    record: String,
    #[serde(default)]
    date_of_birth: String,
    /// The page of results, from 1.
    page: Option<i64>,
}

/// `GET /clients`.
pub async fn start(page: Page) -> Result<HttpResponse, WebError> {
    page.require(READERS)?;
    let content = screen(&page, &SearchFields::default(), &Errors::none(), None);
    Ok(page.render(HOME, "Verify benefits", content))
}

/// `POST /clients/search`.
pub async fn search(form: Form<SearchFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(READERS)?;
    let mut errors = Errors::none();
    let name = fields.name.trim();
    let record = fields.record.trim();
    let date_of_birth = match fields.date_of_birth.trim() {
        "" => None,
        raw => match format::typed_date(raw) {
            Some(iso) => Some(iso),
            None => {
                errors.push("date_of_birth", format::date_error(raw));
                None
            }
        },
    };
    if name.chars().count() > 60 {
        errors.push("name", "must be at most 60 characters");
    }
    if name.is_empty() && record.is_empty() && fields.date_of_birth.trim().is_empty() {
        errors.push("name", "enter a name, a record number or a birth date");
    }
    if !errors.is_empty() {
        let content = screen(&page, &fields, &errors, None);
        return Ok(page.render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            HOME,
            "Verify benefits",
            content,
        ));
    }
    let number = fields.page.unwrap_or(1).clamp(1, 10_000);
    let criteria = ClientSearch {
        name: (!name.is_empty()).then(|| name.to_string()),
        date_of_birth: date_of_birth.and_then(|iso| iso.parse().ok()),
        external_id: (!record.is_empty()).then(|| record.to_string()),
    };
    let rows = Rows {
        limit: PER_PAGE,
        offset: (number - 1) * PER_PAGE,
    };
    let mut tx = page.ctx.read_each().await?;
    let (found, total) = clients::search(&mut tx, &criteria, rows).await?;
    tx.audit_all(Action::Read, "client", found.iter().map(|c| c.id));
    tx.commit().await?;
    let results = Results {
        found: &found,
        total,
        number,
    };
    let content = screen(&page, &fields, &errors, Some(results));
    Ok(page.render(HOME, "Verify benefits", content))
}

struct Results<'a> {
    found: &'a [Client],
    total: i64,
    number: i64,
}

fn screen(page: &Page, fields: &SearchFields, errors: &Errors, results: Option<Results>) -> Markup {
    let may_enroll = page.may(super::ASKERS);
    html! {
        h1 { "Verify benefits" }
        p.lede { "Find the caller, or enroll them with their insurance, then verify IOP and PHP benefits." }
        div.card {
            h2 { "Find a client" }
            (fields::summary(errors))
            form.stack method="post" action="/clients/search" {
                (page.csrf_field())
                div.fields {
                    (fields::text("name", "Name", &fields.name, errors, Input {
                        hint: Some("First or last name, or its beginning"), ..Input::default() }))
                    (fields::text("record", "Record number", &fields.record, errors, Input::default()))
                    (fields::text("date_of_birth", "Date of birth", &fields.date_of_birth, errors, Input {
                        hint: Some("MM/DD/YYYY"), ..Input::default() }))
                }
                div.actions {
                    button type="submit" { "Find" }
                    @if may_enroll { a.button.secondary href="/clients/new" { "Enroll a new client" } }
                }
            }
        }
        @if let Some(results) = results { (listing(page, fields, &results)) }
    }
}

fn listing(page: &Page, fields: &SearchFields, results: &Results) -> Markup {
    let pages = (results.total + PER_PAGE - 1) / PER_PAGE;
    html! {
        div.card aria-live="polite" {
            h2 { "Clients found" }
            @if results.found.is_empty() {
                p { "No client matches. Check the spelling, or enroll the caller as a new client." }
            } @else {
                p.muted { (results.total) " found" @if pages > 1 { ", page " (results.number) " of " (pages) } "." }
                div.table-wrap {
                    table {
                        thead { tr { th { "Name" } th { "Date of birth" } th { "Record number" } } }
                        tbody {
                            @for client in results.found {
                                tr {
                                    td { a href={ "/clients/" (client.id) } {
                                        (client.data.last_name) ", " (client.data.first_name) } }
                                    td { (format::date(client.data.date_of_birth)) }
                                    td { @if let Some(record) = &client.data.external_id { (record.as_str()) } }
                                }
                            }
                        }
                    }
                }
                @if pages > 1 {
                    div.pager {
                        @if results.number > 1 { (pager(page, fields, results.number - 1, "Previous page")) }
                        @if results.number < pages { (pager(page, fields, results.number + 1, "Next page")) }
                    }
                }
            }
        }
    }
}

/// Another page of the same search, posted again with its criteria.
fn pager(page: &Page, fields: &SearchFields, number: i64, label: &str) -> Markup {
    html! {
        form method="post" action="/clients/search" {
            (page.csrf_field())
            input type="hidden" name="name" value=(fields.name);
            input type="hidden" name="record" value=(fields.record);
            input type="hidden" name="date_of_birth" value=(fields.date_of_birth);
            input type="hidden" name="page" value=(number);
            button.secondary type="submit" { (label) }
        }
    }
}
