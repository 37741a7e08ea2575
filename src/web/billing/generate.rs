//! Claim generation in two steps: `POST /billing/generate/preview` runs the API's dry run
//! (claims, lines, days left out and why; nothing stored), and its confirm button posts the
//! same request to `POST /billing/generate` with an idempotency key made when the preview was
//! shown — the API's own key rules (`routes::idempotency`), so a double submit or a reload
//! shows the first generation again instead of billing twice.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::{Datelike, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::lines::{self, ClaimRef, DayWarning, Line};
use super::{name_of, other_errors, refused, BILLING, HOME};
use crate::routes::idempotency::Keyed;
use crate::services::claim_actions::{generate_once, parse_generation, OPERATION_GENERATE};
use crate::services::claims::Generation;
use crate::store::attendance as days_store;
use crate::store::audit::Action;
use crate::store::claims as claims_store;
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{Form, Page};

const TITLE: &str = "Generate claims";

#[derive(Deserialize, Default, Clone)]
pub struct GenerateFields {
    #[serde(default)]
    from_date: String,
    #[serde(default)]
    through_date: String,
    #[serde(default)]
    period: String,
    /// The confirm step's idempotency key (set when the preview was shown).
    #[serde(default)]
    key: String,
}

impl GenerateFields {
    /// The request as the API's body says it; a date typed wrong stays as typed, so that the
    /// API's parser names its field.
    fn request(&self) -> Value {
        let date = |raw: &str| match raw.trim() {
            "" => Value::Null,
            raw => Value::String(format::typed_date(raw).unwrap_or_else(|| raw.to_string())),
        };
        json!({
            "from_date": date(&self.from_date),
            "through_date": date(&self.through_date),
            "period": self.period,
        })
    }
}

/// `GET /billing/generate`: last month, by month, unless changed.
pub async fn form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(BILLING)?;
    let today = Utc::now().date_naive();
    let first = today.with_day(1).unwrap_or(today);
    let last_month_end = first.pred_opt().unwrap_or(first);
    let last_month = last_month_end.with_day(1).unwrap_or(last_month_end);
    let fields = GenerateFields {
        from_date: format::date(last_month),
        through_date: format::date(last_month_end),
        period: "month".into(),
        key: String::new(),
    };
    Ok(page.render(HOME, TITLE, screen(&page, &fields, &Errors::none(), None)))
}

/// What the API answers for this form, or the form's errors.
async fn run(
    page: &Page,
    fields: &GenerateFields,
    dry_run: bool,
    errors: &mut Errors,
) -> Result<Option<Shown>, WebError> {
    let request = fields.request();
    let generation: Generation = match parse_generation(request.clone()) {
        Ok(generation) => generation,
        Err(error) => {
            refused(error, errors)?;
            return Ok(None);
        }
    };
    let keyed = if dry_run {
        None
    } else {
        Some(Keyed::given(
            "key",
            &fields.key,
            OPERATION_GENERATE,
            &request,
        )?)
    };
    match generate_once(&page.ctx, &generation, dry_run, keyed).await {
        Ok(answer) => {
            let body: Value = serde_json::from_str(&answer.body).map_err(WebError::internal)?;
            let (names, claims) = names(page, &body).await?;
            Ok(Some(Shown {
                body,
                names,
                claims,
                replayed: answer.replayed,
            }))
        }
        Err(error) => {
            refused(error, errors)?;
            Ok(None)
        }
    }
}

/// The names of the clients an answer shows (whose claims the generation already audited
/// as read or created; their names are read with them), and the claims its reasons name: the
/// answer's own, and earlier ones read here (audited as read).
async fn names(
    page: &Page,
    body: &Value,
) -> Result<(HashMap<Uuid, String>, HashMap<Uuid, ClaimRef>), WebError> {
    let mut ids: Vec<Uuid> = ["claims", "left_out"]
        .iter()
        .flat_map(|list| body[list].as_array().into_iter().flatten())
        .filter_map(|item| item["client_id"].as_str()?.parse().ok())
        .collect();
    ids.sort();
    ids.dedup();
    let mut refs: HashMap<Uuid, ClaimRef> = body["claims"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|claim| Some((claim["id"].as_str()?.parse().ok()?, claim_ref(claim)?)))
        .collect();
    let mut named: Vec<Uuid> = body["left_out"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|day| day["reasons"].as_array().into_iter().flatten())
        .filter_map(|reason| reason["claim_id"].as_str()?.parse().ok())
        .filter(|id| !refs.contains_key(id))
        .collect();
    named.sort();
    named.dedup();
    let mut tx = page.ctx.read().await?;
    let names = days_store::client_names(&mut tx, &ids).await?;
    let earlier = claims_store::find_many(&mut tx, &named).await?;
    tx.audit_all(Action::Read, "client", &ids);
    tx.audit_all(Action::Read, "claim", earlier.iter().map(|c| c.id));
    tx.commit().await?;
    refs.extend(earlier.iter().map(|c| {
        (
            c.id,
            ClaimRef {
                number: Some(c.claim_number.clone()),
                from: c.statement_from,
                through: c.statement_through,
            },
        )
    }));
    Ok((names, refs))
}

/// A claim of the answer as its reasons name it (no number yet on a dry run).
fn claim_ref(claim: &Value) -> Option<ClaimRef> {
    Some(ClaimRef {
        number: claim["claim_number"].as_str().map(str::to_string),
        from: claim["statement_from"].as_str()?.parse().ok()?,
        through: claim["statement_through"].as_str()?.parse().ok()?,
    })
}

struct Shown {
    body: Value,
    names: HashMap<Uuid, String>,
    claims: HashMap<Uuid, ClaimRef>,
    replayed: bool,
}

/// `POST /billing/generate/preview`: the dry run.
pub async fn preview(form: Form<GenerateFields>) -> Result<HttpResponse, WebError> {
    let Form { page, mut fields } = form;
    page.require(BILLING)?;
    let mut errors = Errors::none();
    let shown = run(&page, &fields, true, &mut errors).await?;
    fields.key = Uuid::new_v4().to_string();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let content = screen(&page, &fields, &errors, shown.as_ref());
    Ok(page.render_with(status, HOME, "Claims preview", content))
}

/// `POST /billing/generate`: the confirm step.
pub async fn confirm(form: Form<GenerateFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(BILLING)?;
    let mut errors = Errors::none();
    let shown = run(&page, &fields, false, &mut errors).await?;
    let Some(shown) = shown else {
        let content = screen(&page, &fields, &errors, None);
        return Ok(page.render_with(StatusCode::UNPROCESSABLE_ENTITY, HOME, TITLE, content));
    };
    let content = html! {
        p { a href=(HOME) { "← Billing desk" } }
        h1 { "Claims generated" }
        @if shown.replayed {
            p.notice.warn role="status" { "This generation was already confirmed; nothing was billed again. Here is what it made." }
        }
        (answer(&shown))
        p.actions { a.button href="/billing/claims" { "Open the claims" } }
    };
    Ok(page.render(HOME, "Claims generated", content))
}

fn screen(page: &Page, fields: &GenerateFields, errors: &Errors, shown: Option<&Shown>) -> Markup {
    let periods = [
        ("month".to_string(), "A claim a month".to_string()),
        ("week".to_string(), "A claim a week".to_string()),
        (
            "range".to_string(),
            "One claim for the whole range".to_string(),
        ),
    ];
    html! {
        p { a href=(HOME) { "← Billing desk" } }
        h1 { @if shown.is_some() { "Claims preview" } @else { (TITLE) } }
        div.card {
            h2 { "What to bill" }
            (fields::summary(errors))
            (other_errors(errors, &["from_date", "through_date", "period"]))
            form.stack method="post" action="/billing/generate/preview" data-busy="Working out the claims…" {
                (page.csrf_field())
                div.fields {
                    (fields::text("from_date", "Attended from", &fields.from_date, errors,
                        Input { hint: Some("MM/DD/YYYY; every unbilled day before when empty"), ..Default::default() }))
                    (fields::text("through_date", "Through", &fields.through_date, errors,
                        Input { required: true, hint: Some("MM/DD/YYYY"), ..Default::default() }))
                    (fields::select("period", "Claims by", &periods, &fields.period, errors, true))
                }
                div.actions {
                    button type="submit" class=[shown.is_some().then_some("secondary")] { "Preview the claims" }
                    span.busy-status data-busy-status hidden role="status" {}
                }
            }
        }
        @if let Some(shown) = shown {
            (answer(shown))
            @let claims = shown.body["summary"]["claims"].as_u64().unwrap_or(0);
            div.card {
                h2 { "Confirm" }
                @if claims == 0 {
                    p { "Nothing to bill in this range." }
                } @else {
                    p { "Nothing is billed until you confirm. Confirming twice bills once." }
                    form method="post" action="/billing/generate" data-busy="Generating…" {
                        (page.csrf_field())
                        input type="hidden" name="from_date" value=(fields.from_date);
                        input type="hidden" name="through_date" value=(fields.through_date);
                        input type="hidden" name="period" value=(fields.period);
                        input type="hidden" name="key" value=(fields.key);
                        div.actions {
                            button type="submit" id="confirm-generate" { "Generate " (claims) @if claims == 1 { " claim" } @else { " claims" } }
                            span.busy-status data-busy-status hidden role="status" {}
                        }
                    }
                }
            }
        }
    }
}

/// The API's answer in words: the totals, the claims, the days left out and why.
fn answer(shown: &Shown) -> Markup {
    let body = &shown.body;
    let summary = &body["summary"];
    let money = |v: &Value| {
        v.as_str()
            .and_then(format::money_text)
            .unwrap_or_else(|| "unknown".into())
    };
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let date = |v: &Value| format::date_text(v.as_str().unwrap_or(""));
    let client = |v: &Value| {
        let id = v["client_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or_default();
        name_of(&shown.names, id).to_string()
    };
    let empty = Vec::new();
    html! {
        div.card {
            h2 { "Totals" }
            dl.facts id="generation-summary" {
                dt { "Claims" } dd { (summary["claims"]) }
                dt { "Lines" } dd { (summary["lines"]) }
                dt { "Days left out" } dd { (summary["days_left_out"]) }
                dt { "Charges" } dd { (money(&summary["total_charge"])) }
                dt { "Expected" } dd { (money(&summary["expected_reimbursement"])) }
            }
        }
        @let claims = body["claims"].as_array().unwrap_or(&empty);
        @if !claims.is_empty() {
            h2 { "Claims" }
            div.table-wrap {
                table id="generated-claims" {
                    thead { tr { th { "Claim" } th { "Client" } th { "Level" } th { "Statement" } th.num { "Lines" } th.num { "Charge" } th.num { "Expected" } } }
                    tbody {
                        @for claim in claims {
                            tr {
                                td { @if text(&claim["claim_number"]).is_empty() { span.muted { "on confirm" } } @else { (text(&claim["claim_number"])) } }
                                td { (client(claim)) }
                                td { (text(&claim["level_of_care"])) }
                                td { (date(&claim["statement_from"])) " – " (date(&claim["statement_through"])) }
                                td.num { (claim["line_count"]) }
                                td.num { (money(&claim["total_charge"])) }
                                td.num { (money(&claim["expected_reimbursement"])) }
                            }
                        }
                    }
                }
            }
        }
        @let detailed = claims.iter().filter(|c| c["lines"].is_array()).count();
        @if detailed > 0 {
            h2 { "Lines by day" }
            @for (n, claim) in claims.iter().filter(|c| c["lines"].is_array()).enumerate() {
                @let claim_lines: Vec<Line> = claim["lines"].as_array().unwrap_or(&empty).iter().filter_map(Line::of_json).collect();
                @let warnings: Vec<DayWarning> = claim["warnings"].as_array().unwrap_or(&empty).iter().filter_map(DayWarning::of_json).collect();
                details.claim-detail open[detailed <= 3] {
                    summary {
                        (client(claim)) ", " (date(&claim["statement_from"])) " – " (date(&claim["statement_through"]))
                        ": " (claim_lines.len()) " lines on " (lines::by_day(&claim_lines).len()) " days"
                        @if !warnings.is_empty() { " " span.chip.warn { (warnings.len()) @if warnings.len() == 1 { " warning" } @else { " warnings" } } }
                    }
                    (lines::warning_list(&warnings))
                    (lines::table(&format!("generated-lines-{}", n + 1), &claim_lines, &warnings))
                }
            }
        }
        @let left_out = body["left_out"].as_array().unwrap_or(&empty);
        @if !left_out.is_empty() {
            h2 { "Days left out" }
            div.table-wrap {
                table id="left-out" {
                    thead { tr { th { "Day" } th { "Client" } th { "Level" } th { "Why" } } }
                    tbody {
                        @for day in left_out {
                            tr {
                                td { (date(&day["date"])) }
                                td { (client(day)) }
                                td { (text(&day["level_of_care"])) }
                                td {
                                    @for reason in day["reasons"].as_array().unwrap_or(&empty) {
                                        div { (lines::reason_words(reason, &shown.claims)) }
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
