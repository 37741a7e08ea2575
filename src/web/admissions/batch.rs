//! Tomorrow's assessments (issue 14, screen 4): a list of callers uploaded or pasted as CSV
//! (`roster`), each matched to a client and coverage on file or entered as new ones
//! (`services::roster`), then verified together in a batch started by the same service as the
//! API's `POST /verification-batches` (`services::batch::start`), which the background worker
//! answers. The batch's page shows a progress bar, refreshed by `app.js` from the
//! [`progress`] fragment (or by its refresh link without script), then a status chip per
//! caller opening that verification's result.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::{Duration, NaiveDate, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::client::{payer_names, program_words};
use super::roster::{self, Line, Roster};
use super::{ASKERS, READERS};
use crate::domain::dates::check_service_date;
use crate::domain::ids::{BatchId, ClientId, CoverageId, PayerId};
use crate::routes::context::Audited;
use crate::services::batch::{start, MAX_ITEMS};
use crate::services::roster::{match_or_create, Caller, Found, Matched, Payers};
use crate::store::audit::Action;
use crate::store::batches::{self, Batch, Item, NewItem};
use crate::store::clients::{self, Client};
use crate::store::coverages::{self, Coverage};
use crate::store::{now, payers, web_submissions, Page as Rows};
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{html as fragment, see_other, Form, Page};
use crate::web::session;

/// The menu item of these screens.
pub const HOME: &str = "/batches";
const TITLE: &str = "Tomorrow's assessments";
/// How many recent batches the upload page lists.
const RECENT: i64 = 10;
/// How often the batch page's script asks for the progress, in seconds.
const POLL_SECONDS: u32 = 2;

#[derive(Deserialize, Default)]
pub struct ListFields {
    #[serde(default)]
    csv: String,
    #[serde(default)]
    service_date: String,
    /// Ask the payers even when they answered the same question a short while ago.
    fresh: Option<String>,
    /// The one-time key rendered with the form: a second post of the same form leads to the
    /// batch the first one started (see [`submit`]).
    #[serde(default)]
    submission: String,
}

/// `GET /batches`.
pub async fn form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ASKERS)?;
    let recent = recent(&page).await?;
    let fields = ListFields {
        service_date: format::date(tomorrow()),
        submission: session::random_token(),
        ..ListFields::default()
    };
    let content = upload_screen(&page, &fields, &Errors::none(), &[], &recent);
    Ok(page.render(HOME, TITLE, content))
}

fn tomorrow() -> NaiveDate {
    Utc::now().date_naive() + Duration::days(1)
}

/// A line of the list that was not verified, and why.
struct Refused<'a> {
    number: u64,
    text: &'a str,
    reason: String,
}

/// `POST /batches`: role → read the list → match or enter each caller → start the batch,
/// record the form's one-time key and audit it all in one transaction → the batch's page, with
/// the lines not verified.
///
/// The same form posted again (a double click, a reload of this answer) answers 303 to the
/// batch the first post started, and starts nothing. The key is recorded in the batch's own
/// transaction, by a unique insert: the first writer wins and the other reads the winner and
/// rolls its own work back. No lock or second transaction is held around the batch's start:
/// on SQLite a second writer would wait for the one connection this transaction holds.
///
/// The first answer is the batch's page itself rather than a redirect, because the lines not
/// verified (with their text, which is PHI) are shown once and kept nowhere; the page's script
/// then puts the batch's own address in the address bar, so a reload asks for that page.
pub async fn submit(form: Form<ListFields>) -> Result<HttpResponse, WebError> {
    let Form { page, mut fields } = form;
    page.require(ASKERS)?;
    let today = Utc::now().date_naive();
    let mut errors = Errors::none();
    let list = read_list(&fields, today, &mut errors);
    let key = submission_key(&fields.submission);
    if key.is_none() {
        errors.push(
            "csv",
            "this form was out of date and nothing was started: check the list and send it again",
        );
    }
    let (Some((service_date, roster)), Some(key)) = (list, key) else {
        return refused(&page, &mut fields, &errors, &[]).await;
    };
    let (callers, lines): (Vec<Caller>, Vec<&Line>) = roster
        .lines
        .iter()
        .filter_map(|line| line.caller.clone().ok().map(|caller| (caller, line)))
        .unzip();
    let mut tx = page.ctx.write().await?;
    // Sent before: SQLite's writers take turns, so this sees a first post even when it has
    // not committed yet; committing this empty write waits for it. On PostgreSQL a first post
    // still running is caught by the unique insert below.
    if let Some(first) = web_submissions::batch_of(&mut tx, page.session_hash(), &key).await? {
        tx.commit().await?;
        return Ok(see_other(&batch_path(first)));
    }
    let (all, _) = payers::list(&mut tx, &page.ctx.state().secrets, None, ALL_PAYERS).await?;
    let answers = match_or_create(&mut tx, &callers, &Payers::new(&all), today).await?;
    let outcome = Outcome::of(&roster, &lines, answers);
    audit_matches(&mut tx, &outcome.matched);
    if outcome.matched.is_empty() {
        // Nothing was created (a refused caller leaves nothing behind); the audit of the
        // records read stands all the same.
        tx.commit().await?;
        errors.push(
            "csv",
            "no line of the list could be verified; each is listed with why",
        );
        return refused(&page, &mut fields, &errors, &outcome.refused).await;
    }
    let items = items(&outcome.matched, service_date, fields.fresh.is_some());
    let (batch, _) = start(&mut tx, &page.ctx.staff.id_string(), &items).await?;
    if !web_submissions::claim(&mut tx, page.session_hash(), &key, batch.id, now()).await? {
        // Another post of this form won while ours ran: its batch is the one; ours (clients
        // entered, batch) rolls back with the transaction, and nothing of it was shown.
        let first = web_submissions::batch_of(&mut tx, page.session_hash(), &key)
            .await?
            .ok_or_else(|| WebError::internal(anyhow::anyhow!("submission key lost its batch")))?;
        drop(tx);
        return Ok(see_other(&batch_path(first)));
    }
    tx.audit(Action::Create, "verification_batch", batch.id);
    tx.commit().await?;
    tracing::info!(batch_id = %batch.id, items = items.len(), "verification batch started from a list");
    let intake = Intake {
        lines: roster.lines.len(),
        matched: &outcome.matched,
        refused: &outcome.refused,
        ignored_columns: &roster.ignored_columns,
    };
    let view = read(&page, batch.id).await?;
    let title = title(&view.batch);
    let content = batch_screen(&page, &view, Some(&intake));
    Ok(page.render(HOME, &title, content))
}

/// The hash a form's one-time key is recorded under, when the form carried a plausible key.
fn submission_key(raw: &str) -> Option<String> {
    session::plausible(raw.trim()).then(|| session::token_hash(raw.trim()))
}

fn batch_path(id: BatchId) -> String {
    format!("{HOME}/{id}")
}

/// Every payer, for the list to name by id or name (the enrollment form's pick list shows
/// the same ones).
const ALL_PAYERS: Rows = Rows {
    limit: 1000,
    offset: 0,
};

/// The date of service (tomorrow when empty) and the list read, or the errors of the form.
fn read_list(
    fields: &ListFields,
    today: NaiveDate,
    errors: &mut Errors,
) -> Option<(NaiveDate, Roster)> {
    let service_date = match fields.service_date.trim() {
        "" => Some(tomorrow()),
        raw => match format::typed_date(raw).and_then(|iso| iso.parse().ok()) {
            None => {
                errors.push("service_date", format::date_error(raw));
                None
            }
            Some(day) => check_service_date(day)
                .map_err(|why| errors.push("service_date", why))
                .ok(),
        },
    };
    let roster = if fields.csv.trim().is_empty() {
        errors.push("csv", "choose the CSV file, or paste its text");
        None
    } else {
        roster::read(&fields.csv, today)
            .map_err(|why| errors.push("csv", why))
            .ok()
    };
    let callers = roster.as_ref().map_or(0, |r| {
        r.lines.iter().filter(|line| line.caller.is_ok()).count()
    });
    if callers > MAX_ITEMS {
        let too_many =
            format!("the list holds {callers} callers; a batch takes at most {MAX_ITEMS}");
        errors.push("csv", too_many);
        return None;
    }
    Some((service_date?, roster?))
}

/// The list's lines sorted out: those matched (with their match), and those not verified
/// (with why: the reader's reason or the match's).
struct Outcome<'r> {
    matched: Vec<(&'r Line, Matched)>,
    refused: Vec<Refused<'r>>,
}

impl<'r> Outcome<'r> {
    /// `answers` are those of the readable `lines`, in their order.
    fn of(
        roster: &'r Roster,
        lines: &[&'r Line],
        answers: Vec<Result<Matched, String>>,
    ) -> Outcome<'r> {
        let mut reasons: HashMap<u64, String> = HashMap::new();
        let mut matched = Vec::new();
        for (line, answer) in lines.iter().zip(answers) {
            match answer {
                Ok(found) => matched.push((*line, found)),
                Err(why) => {
                    reasons.insert(line.number, why);
                }
            }
        }
        let refused = roster
            .lines
            .iter()
            .filter_map(|line| {
                let reason = match &line.caller {
                    Err(why) => why.clone(),
                    Ok(_) => reasons.remove(&line.number)?,
                };
                Some(Refused {
                    number: line.number,
                    text: &line.text,
                    reason,
                })
            })
            .collect();
        Outcome { matched, refused }
    }
}

/// Audits the clients and coverages the list matched (read) or entered (created).
fn audit_matches(tx: &mut Audited<'_>, matched: &[(&Line, Matched)]) {
    for (action, found) in [
        (Action::Create, Found::Created),
        (Action::Read, Found::OnFile),
    ] {
        let clients = matched.iter().filter(|(_, m)| m.client == found);
        tx.audit_all(action, "client", clients.map(|(_, m)| m.client_id));
        let coverages = matched.iter().filter(|(_, m)| m.coverage == found);
        tx.audit_all(action, "coverage", coverages.map(|(_, m)| m.coverage_id));
    }
}

/// The batch's items: each matched caller on `service_date`, as the list asks.
fn items(matched: &[(&Line, Matched)], service_date: NaiveDate, force: bool) -> Vec<NewItem> {
    matched
        .iter()
        .filter_map(|(line, m)| {
            let caller = line.caller.as_ref().ok()?;
            Some(NewItem {
                client_id: m.client_id,
                coverage_id: m.coverage_id,
                levels_of_care: caller.levels_of_care(),
                program: caller.program.as_str().to_string(),
                service_date,
                force,
            })
        })
        .collect()
}

/// The upload form again (422), with its errors and the lines refused, and a new one-time key
/// (nothing was started with the old one).
async fn refused(
    page: &Page,
    fields: &mut ListFields,
    errors: &Errors,
    lines: &[Refused<'_>],
) -> Result<HttpResponse, WebError> {
    fields.submission = session::random_token();
    let recent = recent(page).await?;
    let content = upload_screen(page, fields, errors, lines, &recent);
    Ok(page.render_with(StatusCode::UNPROCESSABLE_ENTITY, HOME, TITLE, content))
}

async fn recent(page: &Page) -> Result<Vec<(Batch, String)>, WebError> {
    let mut tx = page.ctx.read_each().await?;
    let recent = batches::recent(&mut tx, RECENT).await?;
    // Counts and who started each: no client's record is read.
    tx.commit().await?;
    Ok(recent)
}

/// What the list came to, shown once, above its batch.
struct Intake<'a> {
    lines: usize,
    matched: &'a [(&'a Line, Matched)],
    refused: &'a [Refused<'a>],
    ignored_columns: &'a [String],
}

/// A batch with what its page shows of each caller, read in one audited pass.
struct View {
    batch: Batch,
    started_by: String,
    items: Vec<Item>,
    clients: HashMap<ClientId, Client>,
    coverages: HashMap<CoverageId, Coverage>,
    payer_names: HashMap<PayerId, String>,
}

async fn read(page: &Page, id: BatchId) -> Result<View, WebError> {
    let mut tx = page.ctx.read().await?;
    let (batch, items) = batches::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("verification batch"))?;
    let started_by = batches::summary(&mut tx, id)
        .await?
        .map(|(_, username)| username)
        .unwrap_or_default();
    let client_ids: Vec<ClientId> = items.iter().map(|i| i.client_id).collect();
    let coverage_ids: Vec<CoverageId> = items.iter().map(|i| i.coverage_id).collect();
    let clients: HashMap<ClientId, Client> = clients::find_many(&mut tx, &client_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let coverages: HashMap<CoverageId, Coverage> = coverages::find_many(&mut tx, &coverage_ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let payer_names = payer_names(
        &mut tx,
        page,
        coverages.values().map(|c| c.data.coverage.payer_id),
    )
    .await?;
    tx.audit(Action::Read, "verification_batch", id);
    tx.audit_all(Action::Read, "client", clients.keys());
    tx.audit_all(Action::Read, "coverage", coverages.keys());
    tx.audit_all(
        Action::Read,
        "verification",
        items.iter().filter_map(|i| i.verification_id.as_ref()),
    );
    tx.commit().await?;
    Ok(View {
        batch,
        started_by,
        items,
        clients,
        coverages,
        payer_names,
    })
}

/// `GET /batches/{id}`.
pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(READERS)?;
    let id: BatchId = page.ctx.path("id")?;
    let view = read(&page, id).await?;
    let title = title(&view.batch);
    Ok(page.render(HOME, &title, batch_screen(&page, &view, None)))
}

/// `GET /batches/{id}/progress`: the progress bar and counts alone, as an HTML fragment for
/// the batch page's script. It reads the counts only, no client's record.
pub async fn progress(page: Page) -> Result<HttpResponse, WebError> {
    page.require(READERS)?;
    let id: BatchId = page.ctx.path("id")?;
    let mut tx = page.ctx.read_each().await?;
    let summary = batches::summary(&mut tx, id).await?;
    tx.commit().await?;
    let (batch, _) = summary.ok_or(WebError::NotFound("verification batch"))?;
    Ok(fragment(StatusCode::OK, progress_inner(&batch)))
}

fn title(batch: &Batch) -> String {
    format!(
        "Verification batch of {}",
        format::date_time(batch.created_at)
    )
}

/// How a caller's verification stands, in the words and colour of its chip.
fn chip(item: &Item) -> (&'static str, &'static str) {
    match (item.status.as_str(), item.outcome.as_deref()) {
        ("pending" | "running", _) => ("neutral", "Pending"),
        ("waiting", _) => ("neutral", "Pending (payer unavailable)"),
        ("done", Some("verified")) => ("ok", "Active"),
        ("done", Some("inactive")) => ("bad", "Inactive"),
        ("done", Some("rejected")) => ("warn", "Rejected"),
        ("done", Some("in_progress")) => ("neutral", "Pending"),
        _ => ("bad", "Failed"),
    }
}

fn finished(batch: &Batch) -> bool {
    batch.finished_at.is_some()
}

/// The progress bar and its counts: inside the element the script refreshes (the page) and
/// the fragment it fetches.
fn progress_inner(batch: &Batch) -> Markup {
    let answered = batch.done + batch.failed;
    let asking = batch.pending + batch.running;
    html! {
        div.progress-line data-finished[finished(batch)] {
            progress id="batch-bar" max=(batch.total) value=(answered)
                aria-label="Callers answered" { (answered) " of " (batch.total) }
            span.progress-count { strong { (answered) " of " (batch.total) } " answered" }
        }
        p.muted id="batch-counts" {
            @if finished(batch) {
                "Finished " @if let Some(at) = batch.finished_at { (format::date_time(at)) } ". "
            } @else {
                (asking) " with the payers"
                @if batch.waiting > 0 { ", " (batch.waiting) " waiting for a payer that is not answering" }
                ". "
            }
            (batch.done) " answered by the payer"
            @if batch.failed > 0 { ", " (batch.failed) " could not be asked" }
            "."
        }
    }
}

fn batch_screen(page: &Page, view: &View, intake: Option<&Intake<'_>>) -> Markup {
    let batch = &view.batch;
    let back = if page.may(ASKERS) { HOME } else { super::HOME };
    html! {
        p { a href=(back) { "← " @if page.may(ASKERS) { (TITLE) } @else { "Verify benefits" } } }
        // The answer to the posted list: its address bar shows the batch's own page (app.js).
        h1 data-address=[intake.map(|_| batch_path(batch.id))] { (title(batch)) }
        p.lede {
            "Started by " (view.started_by) "; " (batch.total) " callers"
            @if let [day] = service_days(&view.items).as_slice() { "; date of service " (format::date(*day)) }
            "."
        }
        @if let Some(intake) = intake { (intake_notice(intake)) }
        div.card {
            h2 { "Progress" }
            @if finished(batch) {
                div id="batch-progress" { (progress_inner(batch)) }
            } @else {
                div id="batch-progress" aria-live="polite"
                    data-poll={ "/batches/" (batch.id) "/progress" } data-poll-seconds=(POLL_SECONDS)
                    data-poll-done={ "/batches/" (batch.id) } {
                    (progress_inner(batch))
                }
                p.no-print { a href={ "/batches/" (batch.id) } { "Refresh the results" } }
            }
        }
        h2 { "Callers" }
        div.table-wrap {
            table id="batch-results" {
                thead { tr {
                    th.num { "#" } th { "Caller" } th { "Date of birth" } th { "Payer" } th { "Member id" }
                    th { "Levels" } th { "Program" } th { "Result" }
                } }
                tbody {
                    @for item in &view.items { (result_row(view, item)) }
                }
            }
        }
    }
}

/// The dates of service the batch asks about (one, for a list).
fn service_days(items: &[Item]) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = items.iter().map(|i| i.service_date).collect();
    days.sort_unstable();
    days.dedup();
    days
}

fn result_row(view: &View, item: &Item) -> Markup {
    let client = view.clients.get(&item.client_id);
    let coverage = view.coverages.get(&item.coverage_id);
    let name = client.map_or_else(
        || "Client not found".to_string(),
        |c| format!("{} {}", c.data.first_name, c.data.last_name),
    );
    let (class, words) = chip(item);
    let answered = matches!(item.status.as_str(), "done" | "failed");
    html! {
        tr id={ "item-" (item.seq) } {
            td.num { (item.seq) }
            td { a href={ "/clients/" (item.client_id) } { (name) } }
            td { @if let Some(c) = client { (format::date(c.data.date_of_birth)) } }
            td { @if let Some(c) = coverage {
                (view.payer_names.get(&c.data.coverage.payer_id).map_or("", String::as_str))
            } }
            td { @if let Some(c) = coverage { (c.data.coverage.member_id.as_str()) } }
            td { (item.levels_of_care.join(" and ")) }
            td { (program_words(&item.program)) }
            td {
                @match (&item.verification_id, answered) {
                    (Some(id), true) => {
                        a.chip-link href={ "/verifications/" (id) } {
                            span class={ "chip " (class) } { (words) }
                            span.sr-only { ": open the result for " (name) }
                        }
                    }
                    _ => { span class={ "chip " (class) } { (words) } }
                }
                @if let Some(error) = &item.error { span.reason { (error) } }
            }
        }
    }
}

fn intake_notice(intake: &Intake<'_>) -> Markup {
    let count = |f: &dyn Fn(&Matched) -> bool| intake.matched.iter().filter(|(_, m)| f(m)).count();
    let on_file = count(&|m| m.client == Found::OnFile && m.coverage == Found::OnFile);
    let new_clients = count(&|m| m.client == Found::Created);
    let new_coverages = count(&|m| m.client == Found::OnFile && m.coverage == Found::Created);
    let class = if intake.refused.is_empty() {
        "ok"
    } else {
        "warn"
    };
    html! {
        div class={ "notice " (class) } role="status" id="intake-outcome" {
            (intake.lines) " callers listed: " (on_file) " matched to a client and coverage on file, "
            (new_clients) " entered as new clients, " (new_coverages) " new coverages for clients on file; "
            (intake.refused.len()) " not verified."
            @if !intake.ignored_columns.is_empty() {
                " Columns ignored: " (intake.ignored_columns.join(", ")) "."
            }
        }
        @if new_clients + new_coverages > 0 {
            p.muted {
                "New clients were entered as their own policy holder, with sex unknown: correct either on the client's page when the caller says otherwise."
            }
        }
        (refused_table(intake.refused))
    }
}

fn refused_table(lines: &[Refused<'_>]) -> Markup {
    html! {
        @if !lines.is_empty() {
            div.card {
                h2 { "Lines not verified" }
                p.muted { "Fix these lines and upload them again, or verify these callers from their own page." }
                div.table-wrap {
                    table id="refused-lines" {
                        thead { tr { th.num { "Line" } th { "As it reads" } th { "Why" } } }
                        tbody {
                            @for line in lines {
                                tr id={ "line-" (line.number) } {
                                    td.num { (line.number) }
                                    td { code { (line.text) } }
                                    td { (line.reason) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn upload_screen(
    page: &Page,
    fields: &ListFields,
    errors: &Errors,
    refused: &[Refused<'_>],
    recent: &[(Batch, String)],
) -> Markup {
    let error = errors.of("csv");
    html! {
        h1 { (TITLE) }
        p.lede { "Verify everyone on tomorrow's list at once, then open each caller's result." }
        (refused_table(refused))
        div.card {
            h2 { "The list" }
            p.muted {
                "A first line naming the columns, then one caller a line: "
                strong { "first name, last name, birth date, payer, member id" }
                "; optionally " strong { "levels" } " (IOP, PHP or both; both when empty) and "
                strong { "program" } " (mental health when empty, or substance use). "
                "Birth dates as MM/DD/YYYY; the payer by its name in the payer list or its payer id."
            }
            p.muted {
                "Each caller is matched to the client with the same name and birth date, and to their coverage "
                "with the same payer and member id. A caller not on file is entered as a new client, "
                "taken as their own policy holder (relationship self) with sex unknown. Two clients with the "
                "same name and birth date are not guessed between: that line is left for you."
            }
            form.stack method="post" action=(HOME) data-busy="Matching the list and starting the batch…" {
                (page.csrf_field())
                input type="hidden" name="submission" value=(fields.submission);
                div.field {
                    label for="f-file" { "CSV file" }
                    input type="file" id="f-file" accept=".csv,text/csv,text/plain" data-fill="#f-csv" aria-describedby="f-file-hint";
                    span.hint id="f-file-hint" { "Its text appears below, where it can also be pasted." }
                }
                div.field {
                    label for="f-csv" { "CSV text" }
                    textarea id="f-csv" name="csv" rows="8" spellcheck="false"
                        aria-invalid=[error.map(|_| "true")]
                        aria-describedby=[error.map(|_| "f-csv-error")] { (fields.csv) }
                    @if let Some(error) = error { span.field-error id="f-csv-error" role="alert" { (error) } }
                }
                div.fields {
                    (fields::text("service_date", "Date of service", &fields.service_date, errors,
                        Input { hint: Some("MM/DD/YYYY; tomorrow when empty"), ..Input::default() }))
                }
                div.choices {
                    label {
                        input type="checkbox" name="fresh" value="on" checked[fields.fresh.is_some()];
                        "Ask the payers again, even if they answered the same question in the last few hours"
                    }
                }
                div.actions {
                    button type="submit" { "Verify everyone" }
                    span.busy-status data-busy-status hidden role="status" {}
                }
            }
        }
        h2 { "Recent batches" }
        @if recent.is_empty() {
            p.muted { "No batch yet." }
        } @else {
            div.table-wrap {
                table id="recent-batches" {
                    thead { tr { th { "Started" } th { "By" } th.num { "Callers" } th { "Progress" } th { span.sr-only { "Open" } } } }
                    tbody {
                        @for (batch, by) in recent {
                            tr {
                                td { (format::date_time(batch.created_at)) }
                                td { (by) }
                                td.num { (batch.total) }
                                td {
                                    @if finished(batch) { span.chip.ok { "Finished" } }
                                    @else { span.chip.neutral { "Running" } }
                                    " " (batch.done + batch.failed) " of " (batch.total) " answered"
                                }
                                td { a href={ "/batches/" (batch.id) } { "Open" span.sr-only { " the batch of " (format::date_time(batch.created_at)) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}
