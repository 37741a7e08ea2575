//! `GET /billing/claims/{id}`: one claim as billing checks it before it goes out — who, which
//! payer, the statement period and bill type, its lines grouped by day (a per-service claim has
//! several a day), the warnings of its days in words, and what can be done to it next.

use actix_web::HttpResponse;
use maud::{html, Markup};
use uuid::Uuid;

use super::claims::{actions, frequency_words, PATH};
use super::lines::{self, DayWarning, Line};
use super::{claim_chip, name_of, BILLING, HOME};
use crate::domain::ids::{ClaimId, PayerId};
use crate::store::attendance as days_store;
use crate::store::audit::Action;
use crate::store::claims::{self, ClaimRecord};
use crate::web::admissions::client::payer_names;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::page::Page;

pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(BILLING)?;
    let id: Uuid = page.ctx.path::<ClaimId>("id")?.into();
    let mut tx = page.ctx.read().await?;
    let claim = claims::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("claim"))?;
    let names = days_store::client_names(&mut tx, &[claim.client_id]).await?;
    let payer = PayerId::from_uuid(claim.payer_id);
    let payers = payer_names(&mut tx, &page, std::iter::once(payer)).await?;
    tx.audit(Action::Read, "claim", claim.id);
    tx.audit(Action::Read, "client", claim.client_id);
    tx.commit().await?;
    let client = name_of(&names, claim.client_id).to_string();
    let payer = payers.get(&payer).map_or("", String::as_str);
    let title = format!("Claim {}", claim.claim_number);
    let content = screen(&page, &claim, &client, payer);
    Ok(page.render(PATH, &title, content))
}

fn screen(page: &Page, claim: &ClaimRecord, client: &str, payer: &str) -> Markup {
    let lines: Vec<Line> = claim.lines.iter().flatten().map(Line::of_record).collect();
    let warnings = DayWarning::of_record(claim);
    let days = lines::by_day(&lines).len();
    html! {
        p { a href=(PATH) { "← Claims" } " · " a href=(HOME) { "Billing desk" } }
        h1 { "Claim " (claim.claim_number) }
        p.lede {
            a href={ "/billing/clients/" (claim.client_id) } { (client) } ", " (payer) ", "
            (claim.level_of_care.as_str()) ", " (format::date(claim.statement_from)) " – "
            (format::date(claim.statement_through)) ". " (claim_chip(claim.status.as_str()))
        }
        div.card {
            h2 { "The claim" }
            dl.facts id="claim-facts" {
                dt { "Charge" } dd { (format::money(claim.total_charge.amount())) }
                dt { "Expected" } dd { (claim.expected_reimbursement.map_or("not known".to_string(), |m| format::money(m.amount()))) }
                dt { "Days billed" } dd { (days) " (" (lines.len()) " lines)" }
                @if let Some(tob) = &claim.type_of_bill { dt { "Type of bill" } dd { (tob) } }
                @if let Some(kind) = frequency_words(claim) { dt { "Frequency" } dd { (kind) } }
                @if !claim.condition_codes.is_empty() { dt { "Condition codes" } dd { (claim.condition_codes.join(", ")) } }
                dt { "Patient status" } dd { (claim.discharge_status) }
                @if let Some(number) = &claim.authorization_number { dt { "Authorization" } dd { (number) } }
                @if let Some(number) = &claim.payer_claim_number { dt { "Payer's claim number" } dd { (number) } }
            }
        }
        @if !warnings.is_empty() {
            div.notice.warn role="status" id="claim-warnings" {
                p { strong { "Before it goes out:" } }
                (lines::warning_list(&warnings))
            }
        }
        h2 { "Lines by day" }
        (lines::table("claim-lines", &lines, &warnings))
        h2 { "Next" }
        (actions(page, claim))
    }
}
