//! `GET /billing/clients/{id}?month=YYYY-MM`: one client as billing sees them — each
//! authorization's ledger (approved, used, remaining, beyond approved, its extensions, and a
//! form to record the next one) and a month of attendance, each day billable or not with why.
//! Ledgers come from `services::authorizations::with_ledgers` (as the API's), verdicts from
//! `services::attendance`, so the screen and `GET /api/v1/…` agree.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;

use super::{refused, BILLING, HOME};
use crate::domain::authorization::ExtensionInput;
use crate::domain::ids::{AuthorizationId, ClientId};
use crate::services::attendance::{self as service, Calendar};
use crate::services::authorizations::{extend, with_ledgers, WithLedger};
use crate::store::audit::Action;
use crate::store::authorizations::{self, AuthorizationFilter};
use crate::store::clients::{self, Client};
use crate::store::Page as Rows;
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{see_other, Form, Page};

#[derive(Deserialize, Default)]
pub struct MonthQuery {
    #[serde(default)]
    month: String,
}

struct Record {
    client: Client,
    authorizations: Vec<WithLedger>,
    calendar: Calendar,
    month: NaiveDate,
}

/// The first day of `raw` (`2026-03`), of the latest attended month, or of this month.
fn month_of(raw: &str, latest: Option<NaiveDate>) -> NaiveDate {
    NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
        .ok()
        .or_else(|| latest.and_then(|d| d.with_day(1)))
        .unwrap_or_else(|| {
            let today = Utc::now().date_naive();
            today.with_day(1).unwrap_or(today)
        })
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first)
}

async fn read(page: &Page, id: ClientId, month: &str) -> Result<Record, WebError> {
    let mut tx = page.ctx.read().await?;
    let client = clients::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("client"))?;
    let filter = AuthorizationFilter {
        client_id: Some(id),
        ..AuthorizationFilter::default()
    };
    let all = Rows {
        limit: 100,
        offset: 0,
    };
    let (items, _) = authorizations::list(&mut tx, &filter, all).await?;
    tx.audit(Action::Read, "client", id);
    tx.audit_all(Action::Read, "authorization", items.iter().map(|a| a.id));
    let authorizations = with_ledgers(&mut tx, page.ctx.state(), items).await?;
    let uuid = id.as_uuid();
    let windows = service::windows(&service::authorizations_of(&mut tx, &[uuid]).await?);
    let minimums = service::minimums(&page.ctx.state().settings.billing);
    let facts = service::assess_clients(&mut tx, &[uuid], &windows, &minimums).await?;
    let latest = facts
        .get(&uuid)
        .and_then(|f| f.records.iter().map(|r| r.day.service_date).max());
    let first = month_of(month, latest);
    let last = next_month(first) - Duration::days(1);
    let calendar = service::calendar(uuid, facts.get(&uuid), Some(first), Some(last), &minimums);
    tx.audit(Action::Read, "attendance", id);
    tx.commit().await?;
    Ok(Record {
        client,
        authorizations,
        calendar,
        month: first,
    })
}

fn title(client: &Client) -> String {
    format!("{} {}", client.data.first_name, client.data.last_name)
}

pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(BILLING)?;
    let id: ClientId = page.ctx.path("id")?;
    let query: MonthQuery = page.ctx.query()?;
    let record = read(&page, id, &query.month).await?;
    let content = screen(&page, &record, None);
    Ok(page.render(HOME, &title(&record.client), content))
}

#[derive(Deserialize, Default)]
pub struct ExtensionFields {
    #[serde(default)]
    effective_date: String,
    #[serde(default)]
    days_added: String,
    #[serde(default)]
    new_end_date: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    notes: String,
}

impl ExtensionFields {
    /// The extension as the API's body states it; what cannot be read stays as typed, so the
    /// API's parser names its field.
    fn input(&self, errors: &mut Errors) -> Option<ExtensionInput> {
        let text = |raw: &str| Some(raw.trim().to_string()).filter(|t| !t.is_empty());
        let date = |raw: &str| text(raw).map(|t| format::typed_date(&t).unwrap_or(t));
        let days_added = match self.days_added.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(days) => Some(days),
                Err(_) => {
                    errors.push("days_added", "enter a whole number of days");
                    return None;
                }
            },
        };
        let input = json!({
            "effective_date": date(&self.effective_date),
            "days_added": days_added,
            "new_end_date": date(&self.new_end_date),
            "reference": text(&self.reference),
            "notes": text(&self.notes),
        });
        serde_json::from_value(input).ok()
    }
}

/// `POST /billing/authorizations/{id}/extensions`: a concurrent review's decision.
pub async fn add_extension(form: Form<ExtensionFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(BILLING)?;
    let id: AuthorizationId = page.ctx.path("id")?;
    let client = {
        let mut tx = page.ctx.read().await?;
        let found = authorizations::find(&mut tx, id).await?;
        tx.commit().await?;
        found
            .ok_or(WebError::NotFound("authorization"))?
            .terms
            .client_id
    };
    let mut errors = Errors::none();
    if let Some(input) = fields.input(&mut errors) {
        let parsed = input.parse().map_err(crate::error::ApiError::from);
        let result = match parsed {
            Ok(extension) => extend(&page.ctx, id, &extension).await.map(|_| ()),
            Err(error) => Err(error),
        };
        match result {
            Ok(()) => return Ok(see_other(&format!("/billing/clients/{client}"))),
            Err(error) => refused(error, &mut errors)?,
        }
    }
    let record = read(&page, ClientId::from_uuid(client), "").await?;
    let content = screen(&page, &record, Some((id, &fields, &errors)));
    Ok(page.render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        HOME,
        &title(&record.client),
        content,
    ))
}

type Refused<'a> = Option<(AuthorizationId, &'a ExtensionFields, &'a Errors)>;

fn screen(page: &Page, record: &Record, refused: Refused<'_>) -> Markup {
    html! {
        p { a href=(HOME) { "← Billing desk" } }
        h1 { (title(&record.client)) }
        p.muted { "Born " (format::date(record.client.data.date_of_birth))
            @if let Some(mrn) = &record.client.data.external_id { " · record " (mrn.as_str()) } }
        h2 { "Authorizations" }
        @if record.authorizations.is_empty() {
            p.notice.warn { "No authorization is on file: attended days cannot be billed." }
        }
        @for item in &record.authorizations {
            (authorization(page, item, refused))
        }
        (calendar(record))
    }
}

fn authorization(page: &Page, item: &WithLedger, refused: Refused<'_>) -> Markup {
    let a = &item.authorization;
    let terms = &a.terms;
    let now = a.current();
    let number = terms.authorization_number.as_str();
    let mine = refused.filter(|(id, _, _)| *id == a.id);
    let empty = ExtensionFields::default();
    let none = Errors::none();
    let (fields, errors) = mine.map_or((&empty, &none), |(_, f, e)| (f, e));
    html! {
        section.card aria-labelledby={ "auth-" (a.id) } {
            h3 id={ "auth-" (a.id) } { (terms.level_of_care.as_str()) " · " (number) " "
                span class={ "chip " (if terms.status.is_active() { "ok" } else { "neutral" }) } { (super::status_words(terms.status.as_str())) } }
            dl.facts {
                dt { "Window" } dd { (format::date(terms.start_date)) " – " (format::date(now.end_date)) }
                @if let Some(review) = terms.next_review_date { dt { "Next review" } dd { (format::date(review)) } }
                @if let Some(ledger) = &item.ledger {
                    dt { "Approved" } dd { (ledger.days_approved) " days" }
                    dt { "Used" } dd { (ledger.days_used) " days" }
                    dt { "Remaining" } dd.ledger-remaining { (ledger.days_remaining) " days" }
                    @if !ledger.days_beyond_approved.is_empty() {
                        dt { "Beyond approved" } dd { span.chip.bad { (ledger.days_beyond_approved.len()) " days" } " " (super::desk::dates(&ledger.days_beyond_approved)) }
                    }
                }
            }
            @if !a.extensions.is_empty() {
                div.table-wrap {
                    table {
                        caption { "Extensions" }
                        thead { tr { th { "Decided" } th.num { "Days added" } th { "New end" } th { "Reference" } } }
                        tbody {
                            @for recorded in &a.extensions {
                                @let e = &recorded.extension;
                                tr {
                                    td { (format::date(e.effective_date)) }
                                    td.num { (e.days_added) }
                                    td { @if let Some(end) = e.new_end_date { (format::date(end)) } }
                                    td { @if let Some(r) = &e.reference { (r.as_str()) } }
                                }
                            }
                        }
                    }
                }
            }
            @if terms.status.is_active() {
                details open[mine.is_some()] {
                    summary { "Record an extension" span.sr-only { " of " (number) } }
                    (fields::summary(errors))
                    @for (field, message) in errors.all() {
                        @if !["effective_date", "days_added", "new_end_date", "reference", "notes"].contains(&field) {
                            p.notice.bad role="alert" { (message) }
                        }
                    }
                    form.stack method="post" action={ "/billing/authorizations/" (a.id) "/extensions" } {
                        (page.csrf_field())
                        div.fields {
                            (fields::text("effective_date", "Decided on", &fields.effective_date, errors,
                                Input { required: true, hint: Some("MM/DD/YYYY"), ..Default::default() }))
                            (fields::text("days_added", "Days added", &fields.days_added, errors,
                                Input { hint: Some("0 when only the end date moves"), ..Default::default() }))
                            (fields::text("new_end_date", "New end date", &fields.new_end_date, errors,
                                Input { optional: true, hint: Some("MM/DD/YYYY"), ..Default::default() }))
                            (fields::text("reference", "Payer's reference", &fields.reference, errors,
                                Input { optional: true, ..Default::default() }))
                        }
                        div.actions { button type="submit" { "Record the extension" } }
                    }
                }
            }
        }
    }
}

fn calendar(record: &Record) -> Markup {
    let first = record.month;
    let previous = first
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(first);
    let next = next_month(first);
    let mut by_day: HashMap<NaiveDate, Vec<&service::AssessedRecord>> = HashMap::new();
    for day in &record.calendar.days {
        by_day
            .entry(day.record.day.service_date)
            .or_default()
            .push(day);
    }
    // Monday of the first week, through the Sunday of the last.
    let start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let last = next - Duration::days(1);
    let mut weeks: Vec<Vec<NaiveDate>> = Vec::new();
    let mut day = start;
    while day <= last {
        weeks.push((0..7).map(|i| day + Duration::days(i)).collect());
        day += Duration::days(7);
    }
    let client = record.client.id;
    html! {
        section.card aria-labelledby="attendance" {
            h2 id="attendance" { "Attendance, " (first.format("%B %Y").to_string()) }
            nav.pager aria-label="Months" {
                a href={ "/billing/clients/" (client) "?month=" (previous.format("%Y-%m").to_string()) } { "← " (previous.format("%B").to_string()) }
                a href={ "/billing/clients/" (client) "?month=" (next.format("%Y-%m").to_string()) } { (next.format("%B").to_string()) " →" }
            }
            @if record.calendar.days.is_empty() { p.muted { "No attendance recorded this month." } }
            div.table-wrap {
                table.calendar {
                    thead { tr { @for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] { th scope="col" { (name) } } } }
                    tbody {
                        @for week in &weeks {
                            tr {
                                @for day in week {
                                    @if day.month() != first.month() {
                                        td.outside {}
                                    } @else {
                                        td id={ "day-" (day.format("%Y-%m-%d").to_string()) } {
                                            span.day-number { (day.day()) }
                                            @for attended in by_day.get(day).map(Vec::as_slice).unwrap_or_default() {
                                                div.attended {
                                                    (attended.record.day.level_of_care.as_str()) " · " (attended.record.day.minutes.get()) " min "
                                                    @if attended.assessment.billable {
                                                        span.chip.ok { "Billable" }
                                                    } @else {
                                                        span.chip.bad { "Not billable" }
                                                        @for reason in &attended.assessment.reasons {
                                                            span.reason { (reason_text(reason)) }
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
                }
            }
            @for week in &record.calendar.weeks {
                @if let Some(warning) = &week.warning {
                    p.notice.warn { "Week of " (format::date(week.week_start)) ": " (warning) }
                }
            }
        }
    }
}

fn reason_text(reason: &crate::domain::billable::Reason) -> String {
    use crate::domain::billable::Reason;
    let message = match reason {
        Reason::BelowMinimumMinutes { message, .. }
        | Reason::NoCoverage { message }
        | Reason::NoApprovedAuthorization { message }
        | Reason::BeyondApprovedDays { message, .. }
        | Reason::FewerServices { message, .. } => message,
    };
    format::iso_dates(message)
}
