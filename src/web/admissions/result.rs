//! A verification's result (`GET /verifications/{id}`): IOP and PHP side by side, what to do
//! next when the payer refused or did not answer, and the printable VOB for the chart
//! (`GET /verifications/{id}/print`).

use actix_web::HttpResponse;
use maud::{html, Markup};
use serde_json::Value;

use super::client::{payer_names, program_words, status_chip};
use super::figures;
use super::{HOME, READERS};
use crate::domain::benefits::LevelSummary;
use crate::domain::ids::{UserId, VerificationId};
use crate::store::audit::Action;
use crate::store::clients::{self, Client};
use crate::store::coverages::{self, Coverage};
use crate::store::organization::{self, StoredOrganization};
use crate::store::users;
use crate::store::verifications::{self, Verification};
use crate::web::error::WebError;
use crate::web::format;
use crate::web::page::Page;

/// Everything one verification's pages show, read in one audited pass.
struct Shown {
    verification: Verification,
    levels: Vec<LevelSummary>,
    client: Client,
    coverage: Option<Coverage>,
    payer: String,
    staff: String,
    clinic: Option<StoredOrganization>,
}

async fn read(page: &Page) -> Result<Shown, WebError> {
    page.require(READERS)?;
    let id: VerificationId = page.ctx.path("id")?;
    let mut tx = page.ctx.read().await?;
    let verification = verifications::find(&mut tx, id)
        .await?
        .ok_or(WebError::NotFound("verification"))?;
    let client = clients::find(&mut tx, verification.client_id)
        .await?
        .ok_or(WebError::NotFound("client"))?;
    let coverage =
        coverages::find(&mut tx, verification.client_id, verification.coverage_id).await?;
    let payer = payer_names(&mut tx, page, std::iter::once(verification.payer_id))
        .await?
        .remove(&verification.payer_id)
        .unwrap_or_default();
    let staff = match UserId::parse(&verification.requested_by) {
        Ok(user) => users::find(&mut tx, user).await?.map(|u| u.username),
        Err(_) => None,
    }
    .unwrap_or_else(|| "a batch".to_string());
    let clinic = organization::get(&mut tx).await?;
    tx.audit(Action::Read, "verification", id);
    tx.audit(Action::Read, "client", client.id);
    if let Some(coverage) = &coverage {
        tx.audit(Action::Read, "coverage", coverage.id);
    }
    tx.commit().await?;
    // Stored by this application; a summary that no longer reads is a corrupt row.
    let levels: Vec<LevelSummary> = serde_json::from_value(verification.levels.clone())
        .map_err(|e| WebError::internal(anyhow::anyhow!("verification {id} summary: {e}")))?;
    Ok(Shown {
        verification,
        levels,
        client,
        coverage,
        payer,
        staff,
        clinic,
    })
}

/// `GET /verifications/{id}`.
pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    let shown = read(&page).await?;
    let v = &shown.verification;
    let name = format!(
        "{} {}",
        shown.client.data.first_name, shown.client.data.last_name
    );
    let content = html! {
        p.no-print { a href={ "/clients/" (v.client_id) } { "← " (name) } }
        h1 { "Benefits of " (name) }
        (facts(&shown))
        (next_step_notice(v))
        @if !v.warnings.is_empty() {
            div.notice.warn {
                p { strong { "Read with care:" } }
                ul { @for warning in &v.warnings { li { (warning) } } }
            }
        }
        @if !shown.levels.is_empty() {
            div.grid-2 { @for level in &shown.levels { (figures::level(level)) } }
        }
        div.actions.no-print {
            a.button href={ "/verifications/" (v.id) "/print" } { "Print VOB" }
            @if page.may(super::ASKERS) {
                a.button.secondary href={ "/verifications/" (v.id) "/estimate" } { "Estimate the cost" }
            }
            a.button.secondary href={ "/clients/" (v.client_id) "#verify" } { "Verify again" }
        }
    };
    Ok(page.render(HOME, &format!("Benefits of {name}"), content))
}

/// `GET /verifications/{id}/print`: the verification of benefits for the chart, on one sheet.
pub async fn print(page: Page) -> Result<HttpResponse, WebError> {
    let shown = read(&page).await?;
    let v = &shown.verification;
    let client = &shown.client.data;
    let content = html! {
        div.vob {
            div.actions.no-print {
                button type="button" data-print { "Print" }
                a.button.secondary href={ "/verifications/" (v.id) } { "Back to the result" }
            }
            header.vob-head {
                @match &shown.clinic {
                    Some(clinic) => {
                        @let org = &clinic.organization;
                        p.vob-clinic { strong { (org.legal_name) } }
                        p.muted {
                            (org.address.line1) ", " (org.address.city) ", " (org.address.state) " " (org.address.postal_code)
                            " · " (format::phone(org.phone.as_str())) " · NPI " (org.npi.as_str())
                        }
                    }
                    None => p.muted { "Clinic record not set up" },
                }
                h1 { "Verification of benefits" }
            }
            (facts(&shown))
            p { strong { "Client: " } (client.first_name) " " (client.last_name) ", born " (format::date(client.date_of_birth)) }
            (next_step_notice(v))
            @if !shown.levels.is_empty() { (figures::vob(&shown.levels)) }
            p.muted { "Benefits quoted by the payer are not a guarantee of payment." }
        }
    };
    Ok(page.render(HOME, "Verification of benefits", content))
}

fn facts(shown: &Shown) -> Markup {
    let v = &shown.verification;
    let at = v.finished_at.unwrap_or(v.started_at);
    html! {
        div.card {
            dl.facts.wide {
                dt { "Result" } dd { (status_chip(&v.status)) }
                dt { "Payer" } dd { (shown.payer) }
                @if let Some(coverage) = &shown.coverage {
                    @let c = &coverage.data.coverage;
                    dt { "Member id" } dd { (c.member_id.as_str()) }
                    @if let Some(group) = &c.group_number { dt { "Group" } dd { (group.as_str()) } }
                }
                dt { "Asked for" } dd { (v.levels_of_care.join(" and ")) ", " (program_words(&v.program).to_lowercase()) ", date of service " (format::date(v.service_date)) }
                dt { "Verified" } dd { (format::date_time(at)) " by " (shown.staff) }
                dt { "Reference" } dd { code { (v.id) } }
            }
        }
    }
}

fn next_step_notice(v: &Verification) -> Markup {
    match next_step(&v.status, v.rejection.as_ref(), v.error.as_ref()) {
        None => html! {},
        Some(step) => html! {
            div.notice.bad role="alert" id="next-step" {
                p { strong { (step.what) } }
                p { (step.next) }
            }
        },
    }
}

/// What happened and what to do next, in words, for an answer that carries no benefits.
#[derive(Debug, PartialEq, Eq)]
pub struct NextStep {
    pub what: String,
    pub next: &'static str,
}

const CHECK_ID: &str =
    "Check the member id on the caller's card (every letter, digit and prefix), \
    correct the coverage, then verify again.";
const CHECK_PERSON: &str =
    "Check the client's name and date of birth, and the member id, exactly as \
    on the card; when the client is not the policy holder, check the holder's details too. Then \
    verify again, or call the payer.";
const TRY_LATER: &str =
    "Try again in a few minutes. If it keeps failing, call the payer and verify \
    by phone.";
const ADMIN: &str = "Ask an administrator to check this payer's connection; meanwhile call the \
    payer and verify by phone.";

pub fn next_step(
    status: &str,
    rejection: Option<&Value>,
    error: Option<&Value>,
) -> Option<NextStep> {
    let text = |value: Option<&Value>, key: &str| {
        value
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match status {
        "inactive" => Some(NextStep {
            what: "The payer says this plan is not active on the date of service.".into(),
            next: "Ask the caller for newer or other insurance, or discuss self-pay.",
        }),
        "rejected" => {
            let code = text(rejection, "code");
            let description = text(rejection, "description");
            let next = match code.as_str() {
                "72" | "74" => CHECK_ID,
                "56" | "57" | "58" | "60" | "62" | "64" | "65" | "67" | "71" | "73" | "75"
                | "76" => CHECK_PERSON,
                "42" | "80" | "79" => TRY_LATER,
                "41" | "43" | "44" | "45" | "47" | "48" | "49" | "50" | "51" | "52" => ADMIN,
                _ => "Read the payer's reason above; if it is unclear, call the payer.",
            };
            Some(NextStep {
                what: format!("The payer refused the inquiry: {description} (code {code})."),
                next,
            })
        }
        "payer_error" => {
            let kind = text(error, "kind");
            let (what, next) = match kind.as_str() {
                "auth" => ("The payer did not accept our credentials.", ADMIN),
                "mismatch" => (
                    "The payer answered about someone else, so none of it is shown.",
                    CHECK_PERSON,
                ),
                "acknowledgment" | "request" | "envelope" => {
                    ("The payer could not read our inquiry.", CHECK_PERSON)
                }
                _ => (
                    "The payer did not answer in time, or not in a form we could read.",
                    TRY_LATER,
                ),
            };
            Some(NextStep {
                what: what.into(),
                next,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rejected_member_id_says_to_check_the_card() {
        let step = next_step(
            "rejected",
            Some(&json!({"code": "72", "description": "Invalid/Missing Subscriber/Insured ID"})),
            None,
        )
        .unwrap();
        assert!(step.what.contains("Invalid/Missing Subscriber/Insured ID"));
        assert_eq!(step.next, CHECK_ID);
        let busy = next_step("rejected", Some(&json!({"code": "42"})), None).unwrap();
        assert_eq!(busy.next, TRY_LATER);
    }

    #[test]
    fn a_payer_that_did_not_answer_says_to_try_later_or_call() {
        let step = next_step("payer_error", None, Some(&json!({"kind": "timeout"}))).unwrap();
        assert_eq!(step.next, TRY_LATER);
        let auth = next_step("payer_error", None, Some(&json!({"kind": "auth"}))).unwrap();
        assert_eq!(auth.next, ADMIN);
        assert!(next_step("verified", None, None).is_none());
        assert!(next_step("inactive", None, None).is_some());
    }
}
