//! The payers as the clinic connects to them: protocol and endpoint, which kind of credentials
//! is kept (never the secret itself), and the circuit breaker's state as this instance sees it,
//! so an admin can tell a payer that is down from one that is misconfigured.

use actix_web::HttpResponse;
use maud::{html, Markup};

use super::ADMINS;
use crate::domain::payer::{Credentials, NewPayer};
use crate::payers::breaker::State;
use crate::services::verification::HealthReport;
use crate::store::payers;
use crate::store::Page as Rows;
use crate::web::error::WebError;
use crate::web::format;
use crate::web::page::Page;

const HOME: &str = "/admin/payers";

/// `GET /admin/payers`.
pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ADMINS)?;
    let state = page.ctx.state();
    let mut tx = page.ctx.read_each().await?;
    let all = Rows {
        limit: 500,
        offset: 0,
    };
    let (payers, _) = payers::list(&mut tx, &state.secrets, None, all).await?;
    tx.commit().await?;
    let mut shown = Vec::with_capacity(payers.len());
    for payer in &payers {
        let health = state
            .health
            .report(payer.id.as_uuid(), payer.data.connection.as_ref())
            .await;
        shown.push((&payer.data, health));
    }
    let content = html! {
        h1 { "Payers" }
        p.lede { "How perdiem reaches each payer, and whether it is answering." }
        @if shown.is_empty() {
            p.notice.warn { "No payer is set up yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th { "Payer" } th { "Payer id" } th { "Connection" } th { "Credentials" } th { "Answering" } } }
                    tbody {
                        @for (payer, health) in &shown {
                            tr {
                                td { (payer.name) }
                                td { code { (payer.payer_id.as_str()) } }
                                td { (connection(payer)) }
                                td { (credentials(payer)) }
                                td { (circuit(health)) }
                            }
                        }
                    }
                }
            }
        }
        p.muted { "Credentials are kept encrypted and never shown; set or replace them with PATCH /api/v1/payers/{id}." }
    };
    Ok(page.render(HOME, "Payers", content))
}

fn connection(payer: &NewPayer) -> Markup {
    html! {
        @match &payer.connection {
            None => span.muted { "not connected (claims only)" },
            Some(c) => {
                (c.protocol.as_str().to_uppercase()) br;
                span.muted { (c.endpoint_url) }
            }
        }
    }
}

/// Which kind of credentials is kept: whether a secret is set, never the secret.
fn credentials(payer: &NewPayer) -> &'static str {
    match payer.connection.as_ref().map(|c| &c.credentials) {
        None | Some(Credentials::None) => "none",
        Some(Credentials::Basic { .. }) => "username and password (set)",
        Some(Credentials::Bearer { .. }) => "bearer token (set)",
        Some(Credentials::OAuth2ClientCredentials { .. }) => "OAuth client secret (set)",
    }
}

fn circuit(health: &HealthReport) -> Markup {
    let breaker = &health.breaker;
    html! {
        @match breaker.state {
            State::Closed => span.chip.ok { "Answering" },
            State::HalfOpen => span.chip.warn { "Trying again" },
            State::Open => span.chip.bad { "Paused after failures" },
        }
        @if let Some(at) = breaker.retry_at.filter(|_| breaker.state == State::Open) {
            br; span.muted { "next try " (format::date_time(at)) }
        }
        @if let (Some(failure), true) = (&breaker.last_failure, breaker.consecutive_failures > 0) {
            br; span.muted { (breaker.consecutive_failures) " failed in a row: " (failure) }
        }
        @if health.in_flight > 0 { br; span.muted { (health.in_flight) " asking now" } }
    }
}
