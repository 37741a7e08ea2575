//! The cost estimate (issue 14, screen 3): from a verification, a schedule (start date, days per
//! week, weeks) or chosen days become the day-by-day table and totals, patient and plan, low and
//! high where the payer left a figure unknown; or, for self-pay, the good-faith estimate. The
//! arithmetic is the API's (`services::estimates`); each estimate is kept as the API keeps it
//! and shown from what was kept (`GET /estimates/{id}`), printable for the chart.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::NaiveDate;
use maud::{html, Markup};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ASKERS, HOME, READERS};
use crate::domain::dates::check_service_date;
use crate::domain::eligibility::LevelOfCare;
use crate::domain::estimate::{schedule_days, Schedule, MAX_WEEKS};
use crate::domain::ids::{EstimateId, VerificationId};
use crate::domain::money::Money;
use crate::services::estimates::{self as service, EstimateError, Network, Request};
use crate::store::audit::Action;
use crate::store::clients::{self, Client};
use crate::store::estimates;
use crate::store::verifications::{self, Verification};
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{see_other, Form, Page};

/// The most chosen days one estimate takes, as the API.
const MAX_DAYS: usize = 366;

#[derive(Deserialize, Default)]
pub struct EstimateFields {
    #[serde(default)]
    level_of_care: String,
    #[serde(default)]
    network: String,
    /// `schedule` or `days`.
    #[serde(default)]
    plan: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    days_per_week: String,
    #[serde(default)]
    weeks: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    allowed_per_day: String,
    self_pay: Option<String>,
    #[serde(default)]
    self_pay_rate_per_day: String,
}

/// `GET /verifications/{id}/estimate`: the form.
pub async fn form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ASKERS)?;
    let (verification, client) = read_verification(&page).await?;
    let first = verification
        .levels_of_care
        .first()
        .cloned()
        .unwrap_or_default();
    let fields = EstimateFields {
        level_of_care: first,
        network: "in".into(),
        plan: "schedule".into(),
        days_per_week: "5".into(),
        weeks: "4".into(),
        self_pay: (verification.status == "inactive").then(|| "on".into()),
        ..EstimateFields::default()
    };
    let content = form_screen(&page, &verification, &client, &fields, &Errors::none());
    Ok(page.render(HOME, "Estimate the cost", content))
}

/// `POST /verifications/{id}/estimate`: makes and keeps the estimate, then shows it.
pub async fn submit(form: Form<EstimateFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ASKERS)?;
    let id: VerificationId = page.ctx.path("id")?;
    let mut errors = Errors::none();
    let parsed = parse(&fields, &mut errors);
    if let Some((request, asked)) = parsed {
        let mut tx = page.ctx.write().await?;
        let verification = verifications::find(&mut tx, id)
            .await?
            .ok_or(WebError::NotFound("verification"))?;
        let asked = with_verification(asked, id);
        let made = service::make(
            &mut tx,
            verification.client_id.as_uuid(),
            Some(&verification),
            &request,
            &page.ctx.state().settings.billing,
            page.ctx.staff.id,
        )
        .await;
        match made {
            Ok(answer) => {
                service::keep(&mut tx, &answer, &asked).await?;
                tx.audit(Action::Read, "verification", id);
                tx.audit(Action::Create, "estimate", answer.id);
                tx.commit().await?;
                return Ok(see_other(&format!("/estimates/{}", answer.id)));
            }
            Err(EstimateError::Store(error)) => return Err(error.into()),
            Err(EstimateError::Refused { field, message }) => {
                tx.commit().await?;
                errors.push(form_field(field), message);
            }
        }
    }
    let (verification, client) = read_verification(&page).await?;
    let content = form_screen(&page, &verification, &client, &fields, &errors);
    Ok(page.render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        HOME,
        "Estimate the cost",
        content,
    ))
}

/// The service names the API's fields; the form has its own for some.
fn form_field(field: &str) -> &str {
    match field {
        "verification_id" => "level_of_care",
        other => other,
    }
}

fn with_verification(mut asked: Value, id: VerificationId) -> Value {
    asked["verification_id"] = json!(id.to_string());
    asked
}

/// The request, and the same request in the API's JSON shape (kept with the estimate).
fn parse(fields: &EstimateFields, errors: &mut Errors) -> Option<(Request, Value)> {
    let level = LevelOfCare::parse(&fields.level_of_care)
        .map_err(|_| errors.push("level_of_care", "choose IOP or PHP"))
        .ok();
    let network = Network::parse(&fields.network)
        .map_err(|_| errors.push("network", "choose in or out of network"))
        .ok();
    let money = |errors: &mut Errors, name: &str, raw: &str| -> Option<Option<Money>> {
        match raw.trim().trim_start_matches('$').replace(',', "").as_str() {
            "" => Some(None),
            typed => Money::parse(typed)
                .map(Some)
                .map_err(|_| errors.push(name, "enter an amount such as 450.00"))
                .ok(),
        }
    };
    let allowed = money(errors, "allowed_per_day", &fields.allowed_per_day);
    let rate = money(
        errors,
        "self_pay_rate_per_day",
        &fields.self_pay_rate_per_day,
    );
    let mut asked = json!({});
    let days = if fields.plan == "days" {
        let days = chosen_days(&fields.days, errors);
        if let Some(days) = &days {
            asked["planned_days"] = json!(days.iter().map(|d| d.to_string()).collect::<Vec<_>>());
        }
        days
    } else {
        let start = service_date(&fields.start_date, "start_date", errors);
        let per_week = fields
            .days_per_week
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=7).contains(n))
            .or_else(|| {
                errors.push("days_per_week", "enter 1 to 7");
                None
            });
        let weeks = fields
            .weeks
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_WEEKS).contains(n))
            .or_else(|| {
                errors.push("weeks", format!("enter 1 to {MAX_WEEKS}"));
                None
            });
        let schedule = Schedule {
            start_date: start?,
            days_per_week: per_week?,
            weeks: weeks?,
        };
        asked["schedule"] = json!({
            "start_date": schedule.start_date.to_string(),
            "days_per_week": schedule.days_per_week,
            "weeks": schedule.weeks,
        });
        schedule_days(&schedule)
            .map_err(|message| errors.push("start_date", message))
            .ok()
    };
    let self_pay = fields.self_pay.is_some();
    let (level, network, days, allowed, rate) = (level?, network?, days?, allowed?, rate?);
    asked["level_of_care"] = json!(level.as_str());
    asked["network"] = json!(fields.network);
    asked["self_pay"] = json!(self_pay);
    if let Some(allowed) = &allowed {
        asked["allowed_per_day"] = json!(allowed.amount().to_string());
    }
    if let Some(rate) = &rate {
        asked["self_pay_rate_per_day"] = json!(rate.amount().to_string());
    }
    let request = Request {
        level_of_care: level,
        network,
        days,
        allowed_per_day: allowed,
        self_pay,
        self_pay_rate_per_day: rate,
    };
    Some((request, asked))
}

fn service_date(raw: &str, name: &str, errors: &mut Errors) -> Option<NaiveDate> {
    let parsed = format::typed_date(raw.trim())
        .and_then(|iso| iso.parse::<NaiveDate>().ok())
        .ok_or_else(|| format::date_error(raw).to_string())
        .and_then(check_service_date);
    parsed.map_err(|message| errors.push(name, message)).ok()
}

/// Dates typed one a line or separated by commas or spaces, each once.
fn chosen_days(raw: &str, errors: &mut Errors) -> Option<Vec<NaiveDate>> {
    let typed: Vec<&str> = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .collect();
    if typed.is_empty() || typed.len() > MAX_DAYS {
        errors.push("days", format!("enter 1 to {MAX_DAYS} dates"));
        return None;
    }
    let mut days = Vec::with_capacity(typed.len());
    for part in typed {
        let day = service_date(part, "days", errors)?;
        if days.contains(&day) {
            errors.push(
                "days",
                format!("{} is in the list twice", format::date(day)),
            );
            return None;
        }
        days.push(day);
    }
    days.sort();
    Some(days)
}

async fn read_verification(page: &Page) -> Result<(Verification, Client), WebError> {
    let id: VerificationId = page.ctx.path("id")?;
    let mut tx = page.ctx.read().await?;
    let verification = verifications::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("verification"))?;
    let client = clients::find(&mut tx, verification.client_id)
        .await?
        .ok_or(WebError::NotFound("client"))?;
    tx.audit(Action::Read, "verification", id);
    tx.audit(Action::Read, "client", client.id);
    tx.commit().await?;
    Ok((verification, client))
}

fn name_of(client: &Client) -> String {
    format!("{} {}", client.data.first_name, client.data.last_name)
}

fn form_screen(
    page: &Page,
    verification: &Verification,
    client: &Client,
    fields: &EstimateFields,
    errors: &Errors,
) -> Markup {
    let plan_days = fields.plan == "days";
    html! {
        p { a href={ "/verifications/" (verification.id) } { "← Benefits of " (name_of(client)) } }
        h1 { "Estimate the cost for " (name_of(client)) }
        p.lede { "From the benefits verified on " (format::date_time(verification.started_at)) "." }
        @if verification.status != "verified" {
            p.notice.warn { "This verification did not find active coverage: only a self-pay good-faith estimate can be made from it." }
        }
        (fields::summary(errors))
        form.stack.estimate-form method="post" action={ "/verifications/" (verification.id) "/estimate" } {
            (page.csrf_field())
            div.card {
                h2 { "Care" }
                div.fields {
                    fieldset {
                        legend { "Level of care" }
                        div.choices {
                            @for level in &verification.levels_of_care {
                                label { input type="radio" name="level_of_care" value=(level) checked[*level == fields.level_of_care]; (level) }
                            }
                        }
                        @if let Some(error) = errors.of("level_of_care") { span.field-error { (error) } }
                    }
                    fieldset {
                        legend { "Network" }
                        div.choices {
                            label { input type="radio" name="network" value="in" checked[fields.network != "out"]; "In network" }
                            label { input type="radio" name="network" value="out" checked[fields.network == "out"]; "Out of network" }
                        }
                    }
                    (fields::text("allowed_per_day", "Allowed per day", &fields.allowed_per_day, errors, Input {
                        optional: true, hint: Some("from the payer's fee schedule when empty"), ..Input::default() }))
                }
            }
            div.card {
                h2 { "Schedule" }
                fieldset {
                    legend.sr-only { "How the days are given" }
                    div.choices {
                        label { input type="radio" name="plan" value="schedule" checked[!plan_days]; "A weekly schedule" }
                        label { input type="radio" name="plan" value="days" checked[plan_days]; "Chosen days" }
                    }
                }
                div.fields {
                    (fields::text("start_date", "Start date", &fields.start_date, errors, Input {
                        hint: Some("MM/DD/YYYY"), ..Input::default() }))
                    (fields::text("days_per_week", "Days per week", &fields.days_per_week, errors, Input {
                        hint: Some("1 to 7, weekdays first"), ..Input::default() }))
                    (fields::text("weeks", "Weeks", &fields.weeks, errors, Input {
                        hint: Some("1 to 104"), ..Input::default() }))
                }
                div.field {
                    label for="f-days" { "Or the chosen days" }
                    textarea id="f-days" name="days" rows="3" aria-describedby="f-days-hint"
                        aria-invalid=[errors.of("days").map(|_| "true")] { (fields.days) }
                    span.hint id="f-days-hint" { "MM/DD/YYYY, one a line or separated by commas; used when “Chosen days” is picked" }
                    @if let Some(error) = errors.of("days") { span.field-error { (error) } }
                }
            }
            div.card {
                h2 { "Self-pay" }
                div.choices {
                    label {
                        input type="checkbox" name="self_pay" value="on" checked[fields.self_pay.is_some()];
                        "The client pays for themself: make the good-faith estimate"
                    }
                }
                div.fields {
                    (fields::text("self_pay_rate_per_day", "Self-pay rate per day", &fields.self_pay_rate_per_day, errors, Input {
                        optional: true, hint: Some("the clinic's rate when empty"), ..Input::default() }))
                }
            }
            div.actions { button type="submit" { "Estimate" } }
        }
    }
}

// ------------------------------------------------------------------------------------------
// The kept estimate, read back in the API's JSON shape (`openapi.yaml`'s `Estimate`).

#[derive(Deserialize)]
struct Kept {
    id: String,
    verification_id: Option<String>,
    kind: String,
    level_of_care: String,
    network: Option<String>,
    allowed_per_day: Option<Decimal>,
    estimate: Option<KeptEstimate>,
    good_faith_estimate: Option<KeptGfe>,
    #[serde(default)]
    notes: Vec<String>,
    created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Deserialize)]
struct KeptEstimate {
    days: Vec<KeptDay>,
    totals: KeptTotals,
    #[serde(default)]
    unknown: Vec<String>,
    #[serde(default)]
    assumptions: Vec<String>,
}

#[derive(Deserialize)]
struct KeptDay {
    date: NaiveDate,
    allowed: Decimal,
    /// With a per-service payer's day rates: the high scenario's allowed amount.
    #[serde(default)]
    allowed_high: Option<Decimal>,
    low: KeptShare,
    high: Option<KeptShare>,
    beyond_day_limit: bool,
    after_plan_year_reset: bool,
}

#[derive(Deserialize)]
struct KeptTotals {
    allowed: Decimal,
    #[serde(default)]
    allowed_high: Option<Decimal>,
    low: KeptShare,
    high: Option<KeptShare>,
}

#[derive(Deserialize, Clone, Copy)]
struct KeptShare {
    deductible: Decimal,
    copay: Decimal,
    coinsurance: Decimal,
    not_covered: Decimal,
    patient: Decimal,
    plan: Decimal,
}

#[derive(Deserialize)]
struct KeptGfe {
    line_items: Vec<KeptGfeLine>,
    total: Decimal,
    disclaimer: String,
}

#[derive(Deserialize)]
struct KeptGfeLine {
    service: String,
    days: usize,
    charge_per_day: Decimal,
    total: Decimal,
    dates: Vec<NaiveDate>,
}

/// `GET /estimates/{id}`: the estimate as it was given.
pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(READERS)?;
    let id: EstimateId = page.ctx.path("id")?;
    let mut tx = page.ctx.read().await?;
    let (client_id, result) = estimates::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("estimate"))?;
    let client = clients::find(&mut tx, client_id)
        .await?
        .ok_or(WebError::NotFound("client"))?;
    tx.audit(Action::Read, "estimate", id);
    tx.audit(Action::Read, "client", client_id);
    tx.commit().await?;
    // Kept by this application; a result that no longer reads is a corrupt row.
    let kept: Kept = serde_json::from_value(result)
        .map_err(|e| WebError::internal(anyhow::anyhow!("estimate {id} result: {e}")))?;
    let title = format!("Estimate for {}", name_of(&client));
    let content = estimate_screen(&kept, &client, &title);
    Ok(page.render(HOME, &title, content))
}

/// A low amount, or "low – high" when the two scenarios differ.
fn range(low: Decimal, high: Option<Decimal>) -> String {
    match high {
        Some(high) if high != low => format!("{} – {}", format::money(low), format::money(high)),
        _ => format::money(low),
    }
}

/// Which way an amount moves when an unknown figure has no bound.
#[derive(Clone, Copy)]
enum Unbounded {
    /// Known, or bounded: the range says it all.
    No,
    /// What the client pays can only grow.
    More,
    /// What the plan pays can only shrink.
    Less,
}

/// As [`range`], saying "or more" / "up to" when the high scenario has no bound.
fn open_range(low: Decimal, high: Option<Decimal>, unbounded: Unbounded) -> String {
    match (high, unbounded) {
        (None, Unbounded::More) => format!("{} or more", format::money(low)),
        (None, Unbounded::Less) => format!("up to {}", format::money(low)),
        _ => range(low, high),
    }
}

fn figure_words(figure: &str) -> String {
    match figure {
        "deductible_remaining" => "the deductible remaining".into(),
        "deductible_total" => "the deductible".into(),
        "coinsurance" => "the coinsurance".into(),
        "out_of_pocket_remaining" => "the out-of-pocket remaining".into(),
        "out_of_pocket_total" => "the out-of-pocket maximum".into(),
        "day_rate_four_plus" => "a day rate for 4 or more services (none is recorded)".into(),
        other => other.replace('_', " "),
    }
}

fn estimate_screen(kept: &Kept, client: &Client, title: &str) -> Markup {
    let level = &kept.level_of_care;
    html! {
        div.estimate {
            div.actions {
                @if let Some(verification) = &kept.verification_id {
                    a.button.secondary href={ "/verifications/" (verification) "/estimate" } { "Another estimate" }
                    a href={ "/verifications/" (verification) } { "← The benefits" }
                }
                button type="button" data-print { "Print" }
            }
            h1 { (title) }
            div.card {
                dl.facts.wide {
                    dt { "Client" } dd { (name_of(client)) }
                    dt { "Date of birth" } dd { (format::date(client.data.date_of_birth)) }
                    dt { "Level of care" } dd { (level) }
                    dt { "Kind" } dd { @if kept.kind == "insurance" { "Insurance estimate" } @else { "Self-pay good-faith estimate" } }
                    @if let Some(network) = &kept.network {
                        dt { "Network" } dd { @if network == "out" { "Out of network" } @else { "In network" } }
                    }
                    @if let Some(allowed) = kept.allowed_per_day {
                        dt { "Allowed per day" } dd { (format::money(allowed)) }
                    }
                    dt { "Made" } dd { (format::date_time(kept.created_at)) }
                    dt { "Reference" } dd { code { (kept.id) } }
                }
            }
            @if !kept.notes.is_empty() {
                div.notice.warn { ul { @for note in &kept.notes { li { (note) } } } }
            }
            @if let Some(estimate) = &kept.estimate { (insurance(estimate)) }
            @if let Some(gfe) = &kept.good_faith_estimate { (good_faith(gfe)) }
        }
    }
}

fn insurance(estimate: &KeptEstimate) -> Markup {
    let totals = &estimate.totals;
    let high = totals.high;
    let (more, less) = if estimate.unknown.is_empty() {
        (Unbounded::No, Unbounded::No)
    } else {
        (Unbounded::More, Unbounded::Less)
    };
    html! {
        div.grid-2 {
            div.card.total {
                h2 { "The client pays" }
                p.big { (open_range(totals.low.patient, high.map(|h| h.patient), more)) }
                p.muted { "over " (estimate.days.len()) " days" }
            }
            div.card.total {
                h2 { "The plan pays" }
                p.big { (open_range(totals.low.plan, high.map(|h| h.plan), less)) }
                p.muted { "of " (range(totals.allowed, totals.allowed_high)) " allowed" }
            }
        }
        @if !estimate.unknown.is_empty() {
            div.notice.warn {
                "The payer did not state "
                (estimate.unknown.iter().map(|f| figure_words(f)).collect::<Vec<_>>().join(", "))
                ": the low figures assume the most favourable value for the client, who may pay more."
            }
        }
        h2 { "Day by day" }
        div.table-wrap {
            table.estimate-days {
                thead { tr {
                    th { "Date" } th.num { "Allowed" } th.num { "Deductible" } th.num { "Copay" }
                    th.num { "Coinsurance" } th.num { "Not covered" } th.num { "Client pays" } th.num { "Plan pays" }
                } }
                tbody {
                    @for day in &estimate.days {
                        tr {
                            td {
                                (format::date(day.date))
                                @if day.beyond_day_limit { " " span.chip.bad { "beyond day limit" } }
                                @if day.after_plan_year_reset { " " span.chip.warn { "new plan year" } }
                            }
                            td.num { (range(day.allowed, day.allowed_high)) }
                            td.num { (range(day.low.deductible, day.high.map(|h| h.deductible))) }
                            td.num { (range(day.low.copay, day.high.map(|h| h.copay))) }
                            td.num { (range(day.low.coinsurance, day.high.map(|h| h.coinsurance))) }
                            td.num { (range(day.low.not_covered, day.high.map(|h| h.not_covered))) }
                            td.num { strong { (open_range(day.low.patient, day.high.map(|h| h.patient), more)) } }
                            td.num { (open_range(day.low.plan, day.high.map(|h| h.plan), less)) }
                        }
                    }
                }
                tfoot {
                    tr {
                        th scope="row" { "Total" }
                        td.num { (range(totals.allowed, totals.allowed_high)) }
                        td.num { (range(totals.low.deductible, high.map(|h| h.deductible))) }
                        td.num { (range(totals.low.copay, high.map(|h| h.copay))) }
                        td.num { (range(totals.low.coinsurance, high.map(|h| h.coinsurance))) }
                        td.num { (range(totals.low.not_covered, high.map(|h| h.not_covered))) }
                        td.num { strong { (open_range(totals.low.patient, high.map(|h| h.patient), more)) } }
                        td.num { (open_range(totals.low.plan, high.map(|h| h.plan), less)) }
                    }
                }
            }
        }
        @if !estimate.assumptions.is_empty() {
            div.card {
                h2 { "What this estimate assumes" }
                ul { @for assumption in &estimate.assumptions { li { (assumption) } } }
            }
        }
        p.muted { "An estimate from the benefits the payer reported, not a guarantee of payment." }
    }
}

fn good_faith(gfe: &KeptGfe) -> Markup {
    html! {
        div.card.total {
            h2 { "Good-faith estimate" }
            p.big { (format::money(gfe.total)) }
        }
        div.table-wrap {
            table {
                thead { tr { th { "Service" } th { "Dates" } th.num { "Days" } th.num { "Per day" } th.num { "Total" } } }
                tbody {
                    @for line in &gfe.line_items {
                        tr {
                            td { (line.service) }
                            td {
                                @if let (Some(first), Some(last)) = (line.dates.first(), line.dates.last()) {
                                    (format::date(*first)) " – " (format::date(*last))
                                }
                            }
                            td.num { (line.days) }
                            td.num { (format::money(line.charge_per_day)) }
                            td.num { (format::money(line.total)) }
                        }
                    }
                }
            }
        }
        div.card { p { (gfe.disclaimer) } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unbounded_figure_reads_as_or_more_for_the_client_and_up_to_for_the_plan() {
        let low = Decimal::new(64000, 2);
        assert_eq!(open_range(low, None, Unbounded::More), "$640.00 or more");
        assert_eq!(open_range(low, None, Unbounded::Less), "up to $640.00");
        assert_eq!(open_range(low, None, Unbounded::No), "$640.00");
        let high = Some(Decimal::new(90000, 2));
        assert_eq!(open_range(low, high, Unbounded::More), "$640.00 – $900.00");
        assert_eq!(range(low, Some(low)), "$640.00");
    }

    #[test]
    fn chosen_days_are_read_in_any_separator_once_each() {
        let mut errors = Errors::none();
        let days = chosen_days("11/24/2026, 11/23/2026\n11/25/2026", &mut errors).unwrap();
        assert_eq!(days.first().unwrap().to_string(), "2026-11-23");
        assert_eq!(days.len(), 3);
        assert!(chosen_days("11/23/2026 11/23/2026", &mut errors).is_none());
        assert!(errors.of("days").unwrap().contains("twice"));
        let mut errors = Errors::none();
        assert!(chosen_days("  ", &mut errors).is_none());
        assert!(errors.of("days").is_some());
    }
}
