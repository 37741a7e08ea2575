//! `GET /billing/claims`: the claims with filters (status, statement dates), each with its day
//! warnings (a per-service day below the payer's minimum) and what can be done to it next — a
//! status change, void, replace, its 837 file — through the same service functions as the API
//! (`services::claim_actions`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::lines::{self, DayWarning};
use super::{claim_chip, name_of, refused, status_words, BILLING, HOME};
use crate::domain::claim_status::ClaimStatus;
use crate::domain::ids::{ClaimId, PayerId};
use crate::services::claim_actions::{export, move_claim, undo_claim};
use crate::store::audit::Action;
use crate::store::claims::{self, ClaimFilter, ClaimRecord};
use crate::store::{attendance as days_store, Page as Rows};
use crate::web::admissions::client::payer_names;
use crate::web::error::WebError;
use crate::web::fields::Errors;
use crate::web::format;
use crate::web::page::{see_other, Form, Page};

pub(super) const PATH: &str = "/billing/claims";
const PAGE_SIZE: i64 = 50;
const STATUSES: &[ClaimStatus] = &crate::domain::claim_status::ALL;

/// The filters, in the query string (no PHI: a status and dates).
#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    offset: i64,
}

struct Listed {
    claims: Vec<ClaimRecord>,
    total: i64,
    names: HashMap<Uuid, String>,
    payers: HashMap<PayerId, String>,
}

async fn read(page: &Page, filter: &ClaimFilter, offset: i64) -> Result<Listed, WebError> {
    let mut tx = page.ctx.read().await?;
    let rows = Rows {
        limit: PAGE_SIZE,
        offset: offset.max(0),
    };
    let (claims, total) = claims::list(&mut tx, filter, rows).await?;
    let mut clients: Vec<Uuid> = claims.iter().map(|c| c.client_id).collect();
    clients.sort();
    clients.dedup();
    let names = days_store::client_names(&mut tx, &clients).await?;
    let payers = payer_names(
        &mut tx,
        page,
        claims.iter().map(|c| PayerId::from_uuid(c.payer_id)),
    )
    .await?;
    tx.audit_all(Action::Read, "claim", claims.iter().map(|c| c.id));
    tx.commit().await?;
    Ok(Listed {
        claims,
        total,
        names,
        payers,
    })
}

fn filter_of(filters: &Filters, errors: &mut Errors) -> ClaimFilter {
    let date = |name: &str, raw: &str, errors: &mut Errors| match raw.trim() {
        "" => None,
        raw => format::typed_date(raw)
            .and_then(|iso| iso.parse().ok())
            .or_else(|| {
                errors.push(name, format::date_error(raw));
                None
            }),
    };
    ClaimFilter {
        status: ClaimStatus::parse(&filters.status).ok(),
        from: date("from", &filters.from, errors),
        to: date("to", &filters.to, errors),
        ..ClaimFilter::default()
    }
}

pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    page.require(BILLING)?;
    let filters: Filters = page.ctx.query()?;
    show(&page, &filters, Errors::none(), StatusCode::OK).await
}

async fn show(
    page: &Page,
    filters: &Filters,
    mut errors: Errors,
    status: StatusCode,
) -> Result<HttpResponse, WebError> {
    let filter = filter_of(filters, &mut errors);
    let listed = read(page, &filter, filters.offset).await?;
    let content = screen(page, filters, &errors, &listed);
    Ok(page.render_with(status, PATH, "Claims", content))
}

/// A status change names the new status; void, replace and the 837 file post nothing but
/// their token.
#[derive(Deserialize)]
pub struct ActionFields {
    #[serde(default)]
    status: String,
}

fn claim_id(page: &Page) -> Result<Uuid, WebError> {
    Ok(page.ctx.path::<ClaimId>("id")?.into())
}

/// After an action: the list again, or the list with why it was refused (409).
async fn after(page: Page, errors: Errors) -> Result<HttpResponse, WebError> {
    if errors.is_empty() {
        return Ok(see_other(PATH));
    }
    show(&page, &Filters::default(), errors, StatusCode::CONFLICT).await
}

/// `POST /billing/claims/{id}/status`.
pub async fn change_status(form: Form<ActionFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(BILLING)?;
    let id = claim_id(&page)?;
    let mut errors = Errors::none();
    match ClaimStatus::parse(&fields.status) {
        Err(message) => errors.push("status", message),
        Ok(to) => {
            if let Err(error) = move_claim(&page.ctx, id, to, None, None).await {
                refused(error, &mut errors)?;
            }
        }
    }
    after(page, errors).await
}

async fn undo(form: Form<ActionFields>, replace: bool) -> Result<HttpResponse, WebError> {
    let Form { page, .. } = form;
    page.require(BILLING)?;
    let id = claim_id(&page)?;
    let mut errors = Errors::none();
    if let Err(error) = undo_claim(&page.ctx, id, None, replace).await {
        refused(error, &mut errors)?;
    }
    after(page, errors).await
}

/// `POST /billing/claims/{id}/void`.
pub async fn void(form: Form<ActionFields>) -> Result<HttpResponse, WebError> {
    undo(form, false).await
}

/// `POST /billing/claims/{id}/replace`.
pub async fn replace(form: Form<ActionFields>) -> Result<HttpResponse, WebError> {
    undo(form, true).await
}

/// `POST /billing/claims/{id}/837`: the claim as a new 837 interchange (a POST: each one takes
/// new control numbers and is kept), downloaded as a file.
pub async fn download(form: Form<ActionFields>) -> Result<HttpResponse, WebError> {
    let Form { page, .. } = form;
    page.require(BILLING)?;
    let id = claim_id(&page)?;
    match export(&page.ctx, &[id]).await {
        Ok(file) => Ok(file),
        Err(error) => {
            let mut errors = Errors::none();
            refused(error, &mut errors)?;
            after(page, errors).await
        }
    }
}

fn screen(page: &Page, filters: &Filters, errors: &Errors, listed: &Listed) -> Markup {
    let shown_to = filters.offset.max(0) + i64::try_from(listed.claims.len()).unwrap_or(0);
    html! {
        p { a href=(HOME) { "← Billing desk" } }
        h1 { "Claims" }
        @for (field, message) in errors.all() {
            @if field != "from" && field != "to" { p.notice.bad role="alert" { (message) } }
        }
        form.card method="get" action=(PATH) aria-label="Filter the claims" {
            div.fields {
                div.field {
                    label for="f-status" { "Status" }
                    select id="f-status" name="status" {
                        option value="" { "Any status" }
                        @for status in STATUSES {
                            option value=(status.as_str()) selected[filters.status == status.as_str()] { (status_words(status.as_str())) }
                        }
                    }
                }
                (crate::web::fields::text("from", "Statement through on or after", &filters.from, errors,
                    crate::web::fields::Input { hint: Some("MM/DD/YYYY"), ..Default::default() }))
                (crate::web::fields::text("to", "Statement from on or before", &filters.to, errors,
                    crate::web::fields::Input { hint: Some("MM/DD/YYYY"), ..Default::default() }))
            }
            div.actions { button.secondary type="submit" { "Filter" } }
        }
        @if listed.claims.is_empty() {
            p.muted { "No claim matches." }
        } @else {
            p.muted { "Claims " (filters.offset.max(0) + 1) " to " (shown_to) " of " (listed.total) "." }
            div.table-wrap {
                table id="claims" {
                    thead { tr { th { "Claim" } th { "Client" } th { "Payer" } th { "Level" } th { "Statement" } th.num { "Charge" } th { "Status" } th { "Actions" } } }
                    tbody {
                        @for claim in &listed.claims {
                            tr id={ "claim-" (claim.claim_number) } {
                                td {
                                    a href={ (PATH) "/" (claim.id) } { (claim.claim_number) }
                                    @if let Some(kind) = frequency_words(claim) { br; span.muted { (kind) } }
                                }
                                td { a href={ "/billing/clients/" (claim.client_id) } { (name_of(&listed.names, claim.client_id)) } }
                                td { (listed.payers.get(&PayerId::from_uuid(claim.payer_id)).map_or("", String::as_str)) }
                                td { (claim.level_of_care.as_str()) }
                                td { (format::date(claim.statement_from)) " – " (format::date(claim.statement_through)) }
                                td.num { (format::money(claim.total_charge.amount())) }
                                td {
                                    (claim_chip(claim.status.as_str()))
                                    @let warnings = DayWarning::of_record(claim);
                                    @if !warnings.is_empty() {
                                        br;
                                        span.chip.warn {
                                            (warnings.len()) @if warnings.len() == 1 { " warning" } @else { " warnings" }
                                        }
                                        (lines::warning_list(&warnings))
                                    }
                                }
                                td { (actions(page, claim)) }
                            }
                        }
                    }
                }
            }
            (pager(filters, listed.total))
        }
    }
}

pub(super) fn frequency_words(claim: &ClaimRecord) -> Option<&'static str> {
    match claim.frequency.code() {
        "2" => Some("interim, first"),
        "3" => Some("interim, continuing"),
        "4" => Some("interim, last"),
        "7" => Some("replacement"),
        "8" => Some("void"),
        _ => None,
    }
}

pub(super) fn actions(page: &Page, claim: &ClaimRecord) -> Markup {
    let base = format!("{PATH}/{}", claim.id);
    let number = &claim.claim_number;
    let retired = matches!(claim.status, ClaimStatus::Void | ClaimStatus::Replaced);
    html! {
        div.row-actions {
            @if !retired {
                form method="post" action={ (base) "/837" } {
                    (page.csrf_field())
                    button.secondary type="submit" { "837 file" span.sr-only { " of claim " (number) } }
                }
            }
            @if !claim.status.next().is_empty() {
                form.inline method="post" action={ (base) "/status" } {
                    (page.csrf_field())
                    label.sr-only for={ "status-" (number) } { "New status of claim " (number) }
                    select id={ "status-" (number) } name="status" {
                        @for next in claim.status.next() { option value=(next.as_str()) { (status_words(next.as_str())) } }
                    }
                    button.secondary type="submit" { "Set" span.sr-only { " the status of claim " (number) } }
                }
            }
            // As the lifecycle allows: a replacement only of what the payer holds.
            @if claim.status.can_replace() && claim.frequency.code() != "8" {
                form method="post" action={ (base) "/replace" } data-confirm={ "Replace claim " (number) " with a corrected claim from today's records?" } {
                    (page.csrf_field())
                    button.secondary type="submit" { "Replace" span.sr-only { " claim " (number) } }
                }
            }
            @if claim.status.can_void() && !(claim.frequency.code() == "8" && claim.status.payer_has_it()) {
                form method="post" action={ (base) "/void" } data-confirm={ "Void claim " (number) "? Its days can then be billed again." } {
                    (page.csrf_field())
                    button.secondary type="submit" { "Void" span.sr-only { " claim " (number) } }
                }
            }
        }
    }
}

fn pager(filters: &Filters, total: i64) -> Markup {
    let offset = filters.offset.max(0);
    let link = |offset: i64| {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("status", &filters.status)
            .append_pair("from", &filters.from)
            .append_pair("to", &filters.to)
            .append_pair("offset", &offset.to_string())
            .finish();
        format!("{PATH}?{query}")
    };
    html! {
        nav.pager aria-label="Pages of claims" {
            @if offset > 0 { a href=(link((offset - PAGE_SIZE).max(0))) { "← Previous" } }
            @if offset + PAGE_SIZE < total { a href=(link(offset + PAGE_SIZE)) { "Next →" } }
        }
    }
}
