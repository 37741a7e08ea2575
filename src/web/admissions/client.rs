//! A client's page: who they are, their coverages, the verify-benefits form and the history of
//! their verifications. Its `POST` runs a verification through the same service as the API
//! (`services::verification::Verifier`) while the form shows that it is in progress.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;

use super::{ASKERS, HOME, READERS};
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::{ClientId, CoverageId, PayerId};
use crate::services::verification::{Request, VerifyError};
use crate::store::audit::Action;
use crate::store::clients::{self, Client};
use crate::store::coverages::{self, Coverage};
use crate::store::verifications::{self, Verification};
use crate::store::{payers, Page as Rows, Tx};
use crate::web::error::WebError;
use crate::web::fields::Errors;
use crate::web::format;
use crate::web::page::{see_other, Form, Page};

use super::enroll::{coverage_fields, payer_choices, CoverageFields};

/// The most recent verifications shown on the client's page.
const HISTORY: i64 = 25;

/// What the page shows, read in one audited pass.
struct Record {
    client: Client,
    coverages: Vec<Coverage>,
    history: Vec<Verification>,
    payer_names: HashMap<PayerId, String>,
}

async fn read(page: &Page, id: ClientId) -> Result<Record, WebError> {
    let mut tx = page.ctx.read().await?;
    let client = clients::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("client"))?;
    let all = Rows {
        limit: 50,
        offset: 0,
    };
    let (coverages, _) = coverages::list(&mut tx, id, all).await?;
    let recent = Rows {
        limit: HISTORY,
        offset: 0,
    };
    let (history, _) = verifications::list_for_client(&mut tx, id, recent).await?;
    let payer_ids = coverages
        .iter()
        .map(|c| c.data.coverage.payer_id)
        .chain(history.iter().map(|v| v.payer_id));
    let payer_names = payer_names(&mut tx, page, payer_ids).await?;
    tx.audit(Action::Read, "client", id);
    tx.audit_all(Action::Read, "coverage", coverages.iter().map(|c| c.id));
    tx.audit_all(Action::Read, "verification", history.iter().map(|v| &v.id));
    tx.commit().await?;
    Ok(Record {
        client,
        coverages,
        history,
        payer_names,
    })
}

/// The names of the payers `ids`, each read once.
pub async fn payer_names(
    tx: &mut Tx,
    page: &Page,
    ids: impl Iterator<Item = PayerId>,
) -> Result<HashMap<PayerId, String>, WebError> {
    let mut names = HashMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        let payer = payers::find(tx, &page.ctx.state().secrets, id).await?;
        let name = payer.map_or_else(|| "Unknown payer".to_string(), |p| p.data.name.to_string());
        names.insert(id, name);
    }
    Ok(names)
}

/// `GET /clients/{id}`.
pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(READERS)?;
    let id: ClientId = page.ctx.path("id")?;
    let record = read(&page, id).await?;
    let title = title(&record.client);
    let adding = Adding::blank(&page, &record).await?;
    let content = screen(
        &page,
        &record,
        &VerifyFields::default(),
        &Errors::none(),
        &adding,
    );
    Ok(page.render(HOME, &title, content))
}

/// The "Add a coverage" form as the page shows it: the enrollment form's insurance fields,
/// for staff who enroll.
struct Adding {
    fields: CoverageFields,
    errors: Errors,
    payers: Vec<(String, String)>,
}

impl Adding {
    /// An empty form (primary when the client has no coverage yet, secondary otherwise).
    async fn blank(page: &Page, record: &Record) -> Result<Adding, WebError> {
        let priority = if record.coverages.is_empty() {
            "primary"
        } else {
            "secondary"
        };
        Adding::with(page, CoverageFields::blank(priority), Errors::none()).await
    }

    async fn with(page: &Page, fields: CoverageFields, errors: Errors) -> Result<Adding, WebError> {
        let payers = if page.may(ASKERS) {
            payer_choices(page).await?
        } else {
            Vec::new()
        };
        Ok(Adding {
            fields,
            errors,
            payers,
        })
    }
}

/// `POST /clients/{id}/coverages`: a coverage added to a client on file, parsed and stored as
/// the API's `POST /clients/{id}/coverages` does (`CoverageInput`, the payer must exist).
pub async fn add_coverage(form: Form<CoverageFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ASKERS)?;
    let client_id: ClientId = page.ctx.path("id")?;
    let mut errors = Errors::none();
    if let Some(coverage) = fields.parse(&mut errors) {
        let mut tx = page.ctx.write().await?;
        if clients::find(&mut tx, client_id).await?.is_none() {
            return Err(WebError::NotFound("client"));
        }
        if payers::exists(&mut tx, coverage.payer_id).await? {
            let stored =
                coverages::insert(&mut tx, CoverageId::new(), client_id, &coverage).await?;
            tx.audit(Action::Create, "coverage", stored.id);
            tx.commit().await?;
            tracing::info!(client_id = %client_id, coverage_id = %stored.id, "coverage added from the web app");
            return Ok(see_other(&format!("/clients/{client_id}#insurance")));
        }
        drop(tx);
        errors.push("payer_id", "choose a payer from the list");
    }
    let record = read(&page, client_id).await?;
    let title = title(&record.client);
    let adding = Adding::with(&page, fields, errors).await?;
    let content = screen(
        &page,
        &record,
        &VerifyFields::default(),
        &Errors::none(),
        &adding,
    );
    Ok(page.render_with(StatusCode::UNPROCESSABLE_ENTITY, HOME, &title, content))
}

#[derive(Deserialize, Default)]
pub struct VerifyFields {
    #[serde(default)]
    coverage_id: String,
    iop: Option<String>,
    php: Option<String>,
    #[serde(default)]
    program: String,
    #[serde(default)]
    service_date: String,
    /// Ask the payer even when it answered the same question a short while ago.
    fresh: Option<String>,
}

/// `POST /clients/{id}/verify`.
pub async fn verify(form: Form<VerifyFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ASKERS)?;
    let client_id: ClientId = page.ctx.path("id")?;
    let mut errors = Errors::none();
    if let Some(request) = parse(client_id, &fields, &mut errors) {
        let verifier = &page.ctx.state().verifier;
        match verifier.verify(&page.ctx.requester(), &request).await {
            Ok(outcome) => {
                // A new verification was audited with its completion; a stored answer is a read.
                if outcome.cached {
                    let mut tx = page.ctx.write().await?;
                    tx.audit(Action::Read, "verification", outcome.verification.id);
                    tx.commit().await?;
                }
                let id = outcome.verification.id;
                return Ok(see_other(&format!("/verifications/{id}")));
            }
            // The records cannot be sent as they stand (no connection, no clinic record):
            // said beside the form, as the API says it in its 422.
            Err(VerifyError::Refused(invalid)) => errors.absorb(None, invalid),
            Err(VerifyError::NotFound(what)) => return Err(WebError::NotFound(what)),
            Err(VerifyError::Store(error)) => return Err(error.into()),
            Err(error @ VerifyError::Inconsistent(_)) => return Err(WebError::internal(error)),
        }
    }
    let record = read(&page, client_id).await?;
    let title = title(&record.client);
    let adding = Adding::blank(&page, &record).await?;
    let content = screen(&page, &record, &fields, &errors, &adding);
    Ok(page.render_with(StatusCode::UNPROCESSABLE_ENTITY, HOME, &title, content))
}

fn parse(client_id: ClientId, fields: &VerifyFields, errors: &mut Errors) -> Option<Request> {
    let coverage_id = CoverageId::parse(&fields.coverage_id)
        .map_err(|_| errors.push("coverage_id", "choose the coverage to verify"))
        .ok();
    let mut levels = Vec::new();
    if fields.iop.is_some() {
        levels.push(LevelOfCare::Iop);
    }
    if fields.php.is_some() {
        levels.push(LevelOfCare::Php);
    }
    if levels.is_empty() {
        errors.push("levels", "choose IOP, PHP or both");
    }
    let program = Program::parse(&fields.program)
        .map_err(|_| errors.push("program", "choose mental health or substance use"))
        .ok();
    let today = Utc::now().date_naive();
    let service_date = match fields.service_date.trim() {
        "" => Some(today),
        raw => format::typed_date(raw)
            .and_then(|iso| iso.parse().ok())
            .or_else(|| {
                errors.push("service_date", format::date_error(raw));
                None
            }),
    };
    Some(Request {
        client_id,
        coverage_id: coverage_id?,
        levels: (!levels.is_empty()).then_some(levels)?,
        program: program?,
        service_date: service_date?,
        force: fields.fresh.is_some(),
        id: None,
    })
}

fn title(client: &Client) -> String {
    format!("{} {}", client.data.first_name, client.data.last_name)
}

/// The chip of a verification's status, and its words.
pub fn status_chip(status: &str) -> Markup {
    let (class, words) = match status {
        "verified" => ("ok", "Active"),
        "inactive" => ("bad", "Inactive"),
        "rejected" => ("warn", "Rejected by payer"),
        "payer_error" => ("bad", "No answer from payer"),
        "in_progress" => ("neutral", "In progress"),
        _ => ("neutral", "Unknown"),
    };
    html! { span class={ "chip " (class) } { (words) } }
}

fn screen(
    page: &Page,
    record: &Record,
    fields: &VerifyFields,
    errors: &Errors,
    adding: &Adding,
) -> Markup {
    let client = &record.client;
    let data = &client.data;
    html! {
        p { a href=(HOME) { "← Find another client" } }
        h1 { (data.first_name) " " (data.last_name) }
        div.card {
            dl.facts {
                dt { "Date of birth" } dd { (format::date(data.date_of_birth)) }
                dt { "Sex" } dd { (sex_words(data.sex.as_str())) }
                @if let Some(record) = &data.external_id { dt { "Record number" } dd { (record.as_str()) } }
                @if let Some(phone) = &data.phone { dt { "Phone" } dd { (format::phone(phone.as_str())) } }
            }
        }
        h2 id="insurance" { "Insurance" }
        @if record.coverages.is_empty() {
            p.notice.warn { "No insurance is on file for this client." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th { "Payer" } th { "Member id" } th { "Group" } th { "Plan" } th { "Order" } th { "Holder" } } }
                    tbody {
                        @for coverage in &record.coverages {
                            @let c = &coverage.data.coverage;
                            tr {
                                td { (record.payer_names.get(&c.payer_id).map_or("", String::as_str)) }
                                td { (c.member_id.as_str()) }
                                td { @if let Some(group) = &c.group_number { (group.as_str()) } }
                                td { @if let Some(plan) = &c.plan_name { (plan) } }
                                td { (c.priority.as_str()) }
                                td { (c.relationship.as_str()) }
                            }
                        }
                    }
                }
            }
        }
        @if page.may(ASKERS) && !record.coverages.is_empty() {
            (verify_form(page, record, fields, errors))
        }
        @if page.may(ASKERS) {
            (add_coverage_form(page, record, adding))
        }
        h2 { "Verification history" }
        @if record.history.is_empty() {
            p.muted { "No verification yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th { "When" } th { "Payer" } th { "Levels" } th { "Program" } th { "Result" } th { span.sr-only { "Open" } } } }
                    tbody {
                        @for v in &record.history {
                            tr {
                                td { (format::date_time(v.started_at)) }
                                td { (record.payer_names.get(&v.payer_id).map_or("", String::as_str)) }
                                td { (v.levels_of_care.join(" and ")) }
                                td { (program_words(&v.program)) }
                                td { (status_chip(&v.status)) }
                                td { a href={ "/verifications/" (v.id) } { "Open" span.sr-only { " the verification of " (format::date_time(v.started_at)) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn sex_words(code: &str) -> &'static str {
    match code {
        "F" => "Female",
        "M" => "Male",
        _ => "Unknown",
    }
}

pub fn program_words(program: &str) -> &'static str {
    match program {
        "mental_health" => "Mental health",
        "substance_use" => "Substance use",
        _ => "Other",
    }
}

fn verify_form(page: &Page, record: &Record, fields: &VerifyFields, errors: &Errors) -> Markup {
    let fresh = fields.coverage_id.is_empty() && fields.program.is_empty();
    let first = record
        .coverages
        .first()
        .map(|c| c.id.to_string())
        .unwrap_or_default();
    let chosen = if fresh {
        first.as_str()
    } else {
        fields.coverage_id.as_str()
    };
    let iop = fresh || fields.iop.is_some();
    let php = fresh || fields.php.is_some();
    let program = if fresh {
        "mental_health"
    } else {
        fields.program.as_str()
    };
    html! {
        div.card {
            h2 id="verify" { "Verify benefits" }
            (crate::web::fields::summary(errors))
            @if let Some(error) = errors.of("coverage_id") { p.notice.bad role="alert" { (error) } }
            form.stack method="post" action={ "/clients/" (record.client.id) "/verify" }
                data-busy="Asking the payer… this usually takes a few seconds." {
                (page.csrf_field())
                fieldset {
                    legend { "Coverage" }
                    div.choices {
                        @for coverage in &record.coverages {
                            @let c = &coverage.data.coverage;
                            @let value = coverage.id.to_string();
                            label {
                                input type="radio" name="coverage_id" value=(value) checked[value == chosen];
                                (record.payer_names.get(&c.payer_id).map_or("", String::as_str)) " · " (c.member_id.as_str())
                            }
                        }
                    }
                }
                div.fields {
                    fieldset {
                        legend { "Levels of care" }
                        div.choices {
                            label { input type="checkbox" name="iop" value="on" checked[iop]; "IOP" }
                            label { input type="checkbox" name="php" value="on" checked[php]; "PHP" }
                        }
                        @if let Some(error) = errors.of("levels") { span.field-error { (error) } }
                    }
                    fieldset {
                        legend { "Program" }
                        div.choices {
                            label { input type="radio" name="program" value="mental_health" checked[program == "mental_health"]; "Mental health" }
                            label { input type="radio" name="program" value="substance_use" checked[program == "substance_use"]; "Substance use" }
                        }
                        @if let Some(error) = errors.of("program") { span.field-error { (error) } }
                    }
                    (crate::web::fields::text("service_date", "Date of service", &fields.service_date, errors,
                        crate::web::fields::Input { hint: Some("MM/DD/YYYY; today when empty"), ..Default::default() }))
                }
                div.choices {
                    label {
                        input type="checkbox" name="fresh" value="on" checked[fields.fresh.is_some()];
                        "Ask the payer again, even if it answered the same question in the last few hours"
                    }
                }
                div.actions {
                    button type="submit" { "Verify with the payer" }
                    span.busy-status data-busy-status hidden role="status" {}
                }
            }
        }
    }
}

/// "Add a coverage": folded away unless the client has none yet or the form came back refused.
fn add_coverage_form(page: &Page, record: &Record, adding: &Adding) -> Markup {
    let open = record.coverages.is_empty() || !adding.errors.is_empty();
    html! {
        details.card id="add-coverage" open[open] {
            summary { h2.summary-title { "Add a coverage" } }
            (crate::web::fields::summary(&adding.errors))
            form.stack method="post" action={ "/clients/" (record.client.id) "/coverages" } {
                (page.csrf_field())
                (coverage_fields(&adding.fields, &adding.payers, &adding.errors))
                div.actions {
                    button type="submit" { "Add the coverage" }
                }
            }
        }
    }
}
