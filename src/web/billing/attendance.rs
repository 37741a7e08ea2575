//! `GET|POST /billing/attendance`: an EHR's attendance export imported as the API imports it
//! (`services::attendance::import_file`, not atomic): the good lines are stored, and each refused
//! line is shown beside its own text with why.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::{other_errors, refused, BILLING, HOME};
use crate::services::attendance::import_file;
use crate::services::attendance::Report;
use crate::web::error::WebError;
use crate::web::fields::Errors;
use crate::web::page::{Form, Page};

const TITLE: &str = "Import attendance";

#[derive(Deserialize, Default)]
pub struct ImportFields {
    #[serde(default)]
    csv: String,
    replace: Option<String>,
}

pub async fn form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(BILLING)?;
    let content = screen(&page, &ImportFields::default(), &Errors::none(), None);
    Ok(page.render(HOME, TITLE, content))
}

pub async fn submit(form: Form<ImportFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(BILLING)?;
    let mut errors = Errors::none();
    if fields.csv.trim().is_empty() {
        errors.push("csv", "choose the CSV file, or paste its text");
    } else {
        match import_file(
            &page.ctx,
            fields.csv.as_bytes(),
            fields.replace.is_some(),
            false,
        )
        .await
        {
            Ok(report) => {
                let content = screen(&page, &fields, &errors, Some(&report));
                return Ok(page.render(HOME, TITLE, content));
            }
            Err(error) => refused(error, &mut errors)?,
        }
    }
    // The file as a whole could not be read (no header, no client column): said beside it.
    let mut shown = Errors::none();
    for (_, message) in errors.all() {
        shown.push("csv", message);
    }
    let content = screen(&page, &fields, &shown, None);
    Ok(page.render_with(StatusCode::UNPROCESSABLE_ENTITY, HOME, TITLE, content))
}

fn screen(page: &Page, fields: &ImportFields, errors: &Errors, report: Option<&Report>) -> Markup {
    let error = errors.of("csv");
    html! {
        p { a href=(HOME) { "← Billing desk" } }
        h1 { (TITLE) }
        @if let Some(report) = report { (outcome(report, &fields.csv)) }
        div.card {
            h2 { @if report.is_some() { "Import another file" } @else { "The EHR's export" } }
            p.muted {
                "A header line, then one line a day: " code { "external_id" } " (the EHR's record number) or "
                code { "client_id" } ", " code { "service_date" } ", " code { "level_of_care" } " (IOP or PHP), "
                code { "minutes" } "; optional " code { "start_time" } ", " code { "end_time" } ", "
                code { "services" } ". Other columns are ignored."
            }
            (other_errors(errors, &["csv"]))
            form.stack method="post" action="/billing/attendance" data-busy="Importing…" {
                (page.csrf_field())
                div.field {
                    label for="f-file" { "CSV file" }
                    input type="file" id="f-file" accept=".csv,text/csv" data-fill="#f-csv" aria-describedby="f-file-hint";
                    span.hint id="f-file-hint" { "Its text appears below, where it can also be pasted." }
                }
                div.field {
                    label for="f-csv" { "CSV text" }
                    textarea id="f-csv" name="csv" rows="8" spellcheck="false"
                        aria-invalid=[error.map(|_| "true")]
                        aria-describedby=[error.map(|_| "f-csv-error")] { (fields.csv) }
                    @if let Some(error) = error { span.field-error id="f-csv-error" { (error) } }
                }
                div.choices {
                    label { input type="checkbox" name="replace" value="on" checked[fields.replace.is_some()];
                        "Replace days already recorded with this file's minutes (days on a claim never change)" }
                }
                div.actions {
                    button type="submit" { "Import" }
                    span.busy-status data-busy-status hidden role="status" {}
                }
            }
        }
    }
}

/// What the import did, and every refused line beside its text.
fn outcome(report: &Report, csv: &str) -> Markup {
    let lines: Vec<&str> = csv.lines().collect();
    let text_of = |line: u64| {
        usize::try_from(line)
            .ok()
            .and_then(|n| lines.get(n.saturating_sub(1)))
            .copied()
            .unwrap_or("")
    };
    let class = if report.rejected == 0 { "ok" } else { "warn" };
    html! {
        div class={ "notice " (class) } role="status" id="import-outcome" {
            (report.received) " lines read: " (report.created) " recorded, " (report.replaced) " replaced, "
            (report.unchanged) " already recorded, " (report.rejected) " refused."
            @if !report.ignored_columns.is_empty() {
                " Columns ignored: " (report.ignored_columns.join(", ")) "."
            }
        }
        @if !report.errors.is_empty() {
            div.card {
                h2 { "Refused lines" }
                p.muted { "Fix these lines in the file and import it again; the lines already recorded are not recorded twice." }
                div.table-wrap {
                    table id="refused-lines" {
                        thead { tr { th.num { "Line" } th { "As it reads" } th { "Field" } th { "Why it was refused" } } }
                        tbody {
                            @for error in &report.errors {
                                @let line = error.line.unwrap_or(0);
                                tr id={ "line-" (line) } {
                                    td.num { (line) }
                                    td { code { (text_of(line)) } }
                                    td { (error.problem.field) }
                                    td { (error.problem.message) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
