//! The payers as the clinic connects to them: protocol and endpoint, which kind of credentials
//! is kept (never the secret itself), and the circuit breaker's state as this instance sees it,
//! so an admin can tell a payer that is down from one that is misconfigured. An admin adds a
//! payer and edits one here; the credentials' secrets are write-only: never rendered back, and a
//! secret left blank on an edit keeps the stored one (when the kind of credentials is unchanged).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup};
use serde::Deserialize;

use super::ADMINS;
use crate::domain::ids::PayerId;
use crate::domain::payer::{
    BillingRulesInput, ConnectionInput, Credentials, CredentialsInput, NewPayer, PayerInput,
    FILING_INDICATORS,
};
use crate::domain::validation::Invalid;
use crate::error::ApiError;
use crate::payers::breaker::State;
use crate::services::payers as service;
use crate::services::verification::HealthReport;
use crate::store::payers;
use crate::store::Page as Rows;
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{see_other, Form, Page};

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
    let content = list_screen(&page, &payers, &PayerFields::blank(), &Errors::none()).await;
    Ok(page.render(HOME, "Payers", content))
}

async fn list_screen(
    page: &Page,
    payers: &[payers::Payer],
    fields: &PayerFields,
    errors: &Errors,
) -> Markup {
    let state = page.ctx.state();
    let mut shown = Vec::with_capacity(payers.len());
    for payer in payers {
        let health = state
            .health
            .report(payer.id.as_uuid(), payer.data.connection.as_ref())
            .await;
        shown.push((payer, health));
    }
    html! {
        h1 { "Payers" }
        p.lede { "How perdiem reaches each payer, and whether it is answering." }
        @if shown.is_empty() {
            p.notice.warn { "No payer is set up yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th { "Payer" } th { "Payer id" } th { "Connection" } th { "Credentials" } th { "Answering" } th { span.sr-only { "Edit" } } } }
                    tbody {
                        @for (stored, health) in &shown {
                            @let payer = &stored.data;
                            tr {
                                td { (payer.name) }
                                td { code { (payer.payer_id.as_str()) } }
                                td { (connection(payer)) }
                                td { (credentials(payer)) }
                                td { (circuit(health)) }
                                td { a href={ (HOME) "/" (stored.id) } { "Edit" span.sr-only { " " (payer.name) } } }
                            }
                        }
                    }
                }
            }
        }
        p.muted { "Credentials are kept encrypted and never shown; set or replace them in a payer's Edit form." }
        div.card {
            h2 id="add" { "Add a payer" }
            (fields::summary(errors))
            form.stack method="post" action=(HOME) {
                (page.csrf_field())
                (payer_form(fields, errors, false))
                div.actions { button type="submit" { "Add the payer" } }
            }
        }
    }
}

/// `POST /admin/payers`: adds a payer.
pub async fn create(form: Form<PayerFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ADMINS)?;
    let mut errors = Errors::none();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(input) = fields.input(&mut errors) {
        let mut tx = page.ctx.write().await?;
        match service::add(&mut tx, &page.ctx.state().secrets, input).await {
            Ok(payer) => {
                tx.commit().await?;
                return Ok(see_other(&format!("{HOME}/{}", payer.id)));
            }
            Err(error) => status = refused(error, &mut errors)?,
        }
    }
    let state = page.ctx.state();
    let mut tx = page.ctx.read_each().await?;
    let all = Rows {
        limit: 500,
        offset: 0,
    };
    let (payers, _) = payers::list(&mut tx, &state.secrets, None, all).await?;
    tx.commit().await?;
    let content = list_screen(&page, &payers, &fields, &errors).await;
    Ok(page.render_with(status, HOME, "Payers", content))
}

/// `GET /admin/payers/{id}`: the edit form of one payer, secrets blank.
pub async fn show(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ADMINS)?;
    let payer = read_one(&page).await?;
    let fields = PayerFields::of(&payer.data);
    let content = edit_screen(&page, &payer, &fields, &Errors::none());
    Ok(page.render(HOME, payer.data.name.as_str(), content))
}

/// `POST /admin/payers/{id}`: the whole form replaces the payer, except that a secret left blank
/// keeps the stored one when the kind of credentials is unchanged.
pub async fn update(form: Form<PayerFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ADMINS)?;
    let id: PayerId = page.ctx.path("id")?;
    let mut errors = Errors::none();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(input) = fields.input(&mut errors) {
        let mut tx = page.ctx.write().await?;
        let edit = |current: PayerInput| Ok(input.keeping_secrets(current));
        match service::change(&mut tx, &page.ctx.state().secrets, id, edit).await {
            Ok(_) => {
                tx.commit().await?;
                return Ok(see_other(&format!("{HOME}/{id}")));
            }
            Err(error) => status = refused(error, &mut errors)?,
        }
    }
    let payer = read_one(&page).await?;
    let content = edit_screen(&page, &payer, &fields, &errors);
    Ok(page.render_with(status, HOME, payer.data.name.as_str(), content))
}

/// A refusal the form shows beside its fields, with its status (422, or 409 for a taken EDI
/// payer id); any other error is the page's.
fn refused(error: ApiError, errors: &mut Errors) -> Result<StatusCode, WebError> {
    match error {
        ApiError::Validation(invalid) => {
            errors.absorb(None, Invalid(invalid));
            Ok(StatusCode::UNPROCESSABLE_ENTITY)
        }
        ApiError::Conflict { detail, field } => {
            errors.push(&field, detail);
            Ok(StatusCode::CONFLICT)
        }
        other => Err(other.into()),
    }
}

async fn read_one(page: &Page) -> Result<payers::Payer, WebError> {
    let id: PayerId = page.ctx.path("id")?;
    let mut tx = page.ctx.read_each().await?;
    let payer = payers::find(&mut tx, &page.ctx.state().secrets, id)
        .await?
        .ok_or(WebError::NotFound("payer"))?;
    tx.commit().await?;
    Ok(payer)
}

/// The payer form as posted: every field a string, named as the parser reports its errors
/// (`connection.credentials.password`), so each error lands beside its input.
#[derive(Deserialize, Default)]
pub struct PayerFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    payer_id: String,
    #[serde(default, rename = "billing.iop_minimum_minutes")]
    iop_minimum_minutes: String,
    #[serde(default, rename = "billing.php_minimum_minutes")]
    php_minimum_minutes: String,
    #[serde(rename = "billing.authorization_required")]
    authorization_required: Option<String>,
    #[serde(default, rename = "billing.claim_filing_indicator")]
    claim_filing_indicator: String,
    #[serde(default, rename = "billing.claim_style")]
    claim_style: String,
    #[serde(default, rename = "billing.minimum_services_per_day")]
    minimum_services_per_day: String,
    #[serde(default, rename = "billing.days_below_minimum")]
    days_below_minimum: String,
    /// Blank: not connected (claims only); on an edit this removes the connection.
    #[serde(default, rename = "connection.protocol")]
    protocol: String,
    #[serde(default, rename = "connection.endpoint_url")]
    endpoint_url: String,
    #[serde(default, rename = "connection.timeout_seconds")]
    timeout_seconds: String,
    #[serde(default, rename = "connection.max_concurrent")]
    max_concurrent: String,
    #[serde(default, rename = "connection.service_types_per_request")]
    service_types_per_request: String,
    /// Codes separated by spaces or commas.
    #[serde(default, rename = "connection.service_types")]
    service_types: String,
    #[serde(default, rename = "connection.sender_id")]
    sender_id: String,
    #[serde(default, rename = "connection.receiver_id")]
    receiver_id: String,
    #[serde(default, rename = "connection.envelope")]
    envelope: String,
    #[serde(default, rename = "connection.credentials.kind")]
    kind: String,
    #[serde(default, rename = "connection.credentials.username")]
    username: String,
    #[serde(default, rename = "connection.credentials.password")]
    password: String,
    #[serde(default, rename = "connection.credentials.token")]
    token: String,
    #[serde(default, rename = "connection.credentials.token_url")]
    token_url: String,
    #[serde(default, rename = "connection.credentials.client_id")]
    client_id: String,
    #[serde(default, rename = "connection.credentials.client_secret")]
    client_secret: String,
    #[serde(default, rename = "connection.credentials.scope")]
    scope: String,
}

fn given(raw: &str) -> Option<String> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.to_string())
}

/// A secret as typed (not trimmed: spaces may belong to it); blank is "not given".
fn secret(raw: &str) -> Option<String> {
    (!raw.is_empty()).then(|| raw.to_string())
}

impl PayerFields {
    /// The add form: the parser's defaults preselected (authorization required, CI, per day).
    fn blank() -> PayerFields {
        PayerFields {
            authorization_required: Some("on".to_string()),
            claim_filing_indicator: "CI".to_string(),
            claim_style: "per_day".to_string(),
            days_below_minimum: "bill".to_string(),
            kind: "none".to_string(),
            ..PayerFields::default()
        }
    }

    /// The form as the parser's input; `None` when a number is not a number (said beside it).
    fn input(&self, errors: &mut Errors) -> Option<PayerInput> {
        let before = errors.fields();
        let mut number = |name: &str, raw: &str| match given(raw) {
            None => None,
            Some(raw) => raw
                .parse::<i64>()
                .map_err(|_| errors.push(name, "must be a whole number"))
                .ok(),
        };
        let billing = BillingRulesInput {
            iop_minimum_minutes: number("billing.iop_minimum_minutes", &self.iop_minimum_minutes),
            php_minimum_minutes: number("billing.php_minimum_minutes", &self.php_minimum_minutes),
            authorization_required: Some(self.authorization_required.is_some()),
            claim_filing_indicator: given(&self.claim_filing_indicator),
            claim_style: given(&self.claim_style),
            minimum_services_per_day: number(
                "billing.minimum_services_per_day",
                &self.minimum_services_per_day,
            ),
            days_below_minimum: given(&self.days_below_minimum),
        };
        let connection = given(&self.protocol).map(|protocol| {
            let kind = given(&self.kind).unwrap_or_else(|| "none".to_string());
            // Only the fields of the chosen kind: the parser refuses the others.
            let uses = |k: &str| kind == k;
            let oauth = uses("oauth2_client_credentials");
            let credentials = CredentialsInput {
                username: given(&self.username).filter(|_| uses("basic")),
                password: secret(&self.password).filter(|_| uses("basic")),
                token: secret(&self.token).filter(|_| uses("bearer")),
                token_url: given(&self.token_url).filter(|_| oauth),
                client_id: given(&self.client_id).filter(|_| oauth),
                client_secret: secret(&self.client_secret).filter(|_| oauth),
                scope: given(&self.scope).filter(|_| oauth),
                kind: Some(kind),
            };
            let codes: Vec<String> = self
                .service_types
                .split([',', ' '])
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            ConnectionInput {
                protocol: Some(protocol),
                endpoint_url: given(&self.endpoint_url),
                credentials: Some(credentials),
                timeout_seconds: number("connection.timeout_seconds", &self.timeout_seconds),
                max_concurrent: number("connection.max_concurrent", &self.max_concurrent),
                service_types_per_request: number(
                    "connection.service_types_per_request",
                    &self.service_types_per_request,
                ),
                service_types: (!codes.is_empty()).then_some(codes),
                sender_id: given(&self.sender_id),
                receiver_id: given(&self.receiver_id),
                envelope: given(&self.envelope),
            }
        });
        let input = PayerInput {
            name: given(&self.name),
            payer_id: given(&self.payer_id),
            connection,
            billing: Some(billing),
        };
        (errors.fields() == before).then_some(input)
    }

    /// The stored payer as the edit form shows it: every secret blank, always.
    fn of(payer: &NewPayer) -> PayerFields {
        let input = PayerInput::from(payer);
        let text = |v: Option<String>| v.unwrap_or_default();
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let billing = input.billing.unwrap_or_default();
        let connection = input.connection.unwrap_or_default();
        let credentials = connection.credentials.unwrap_or_default();
        PayerFields {
            name: text(input.name),
            payer_id: text(input.payer_id),
            iop_minimum_minutes: num(billing.iop_minimum_minutes),
            php_minimum_minutes: num(billing.php_minimum_minutes),
            authorization_required: billing
                .authorization_required
                .unwrap_or(true)
                .then(|| "on".to_string()),
            claim_filing_indicator: text(billing.claim_filing_indicator),
            claim_style: text(billing.claim_style),
            minimum_services_per_day: num(billing.minimum_services_per_day),
            days_below_minimum: text(billing.days_below_minimum),
            protocol: text(connection.protocol),
            endpoint_url: text(connection.endpoint_url),
            timeout_seconds: num(connection.timeout_seconds),
            max_concurrent: num(connection.max_concurrent),
            service_types_per_request: num(connection.service_types_per_request),
            service_types: connection.service_types.unwrap_or_default().join(" "),
            sender_id: text(connection.sender_id),
            receiver_id: text(connection.receiver_id),
            envelope: text(connection.envelope),
            kind: text(credentials.kind),
            username: text(credentials.username),
            token_url: text(credentials.token_url),
            client_id: text(credentials.client_id),
            scope: text(credentials.scope),
            password: String::new(),
            token: String::new(),
            client_secret: String::new(),
        }
    }
}

fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect()
}

fn edit_screen(
    page: &Page,
    payer: &payers::Payer,
    fields: &PayerFields,
    errors: &Errors,
) -> Markup {
    html! {
        p { a href=(HOME) { "← All payers" } }
        h1 { (payer.data.name) }
        (fields::summary(errors))
        div.card {
            form.stack method="post" action={ (HOME) "/" (payer.id) } {
                (page.csrf_field())
                (payer_form(fields, errors, true))
                div.actions { button type="submit" { "Save changes" } }
            }
        }
    }
}

/// The fields of a payer. Secret inputs are always rendered empty (`value=""`): what was stored
/// or typed is never sent back to the browser.
fn payer_form(fields: &PayerFields, errors: &Errors, editing: bool) -> Markup {
    let keep = editing.then_some("leave blank to keep the stored secret (same kind only)");
    let filing: Vec<(String, String)> = FILING_INDICATORS
        .iter()
        .map(|c| (c.to_string(), c.to_string()))
        .collect();
    let text = |name: &str, label: &str, value: &str, hint: Option<&str>| {
        fields::text(
            name,
            label,
            value,
            errors,
            Input {
                optional: true,
                hint,
                ..Input::default()
            },
        )
    };
    let password = |name: &str, label: &str| {
        fields::text(
            name,
            label,
            "",
            errors,
            Input {
                kind: Some("password"),
                optional: true,
                autocomplete: Some("new-password"),
                hint: keep,
                ..Input::default()
            },
        )
    };
    html! {
        div.fields {
            (fields::text("name", "Name", &fields.name, errors, Input { required: true, ..Input::default() }))
            (fields::text("payer_id", "EDI payer id", &fields.payer_id, errors, Input {
                required: true, hint: Some("2100A NM109, as the clearinghouse lists it"), ..Input::default() }))
        }
        fieldset {
            legend { "Billing rules" }
            div.fields {
                (text("billing.iop_minimum_minutes", "IOP minimum minutes", &fields.iop_minimum_minutes, Some("blank: the clinic's default")))
                (text("billing.php_minimum_minutes", "PHP minimum minutes", &fields.php_minimum_minutes, Some("blank: the clinic's default")))
                (fields::select("billing.claim_filing_indicator", "Claim filing indicator (SBR09)", &filing, &fields.claim_filing_indicator, errors, false))
                (fields::select("billing.claim_style", "Claim style", &options(&[("per_day", "One line per day"), ("per_service", "One line per service")]), &fields.claim_style, errors, false))
                (text("billing.minimum_services_per_day", "Minimum services per day", &fields.minimum_services_per_day, Some("per-service claims; blank: 3")))
                (fields::select("billing.days_below_minimum", "Days below the minimum", &options(&[("bill", "Bill them"), ("leave_out", "Leave them out")]), &fields.days_below_minimum, errors, false))
            }
            label {
                input type="checkbox" name="billing.authorization_required" value="on" checked[fields.authorization_required.is_some()];
                " Authorization required"
            }
        }
        fieldset {
            legend { "Connection" }
            div.fields {
                (fields::select("connection.protocol", "Protocol", &options(&[("x12", "X12 270/271"), ("json", "JSON"), ("fhir", "FHIR")]), &fields.protocol, errors, false))
                (text("connection.endpoint_url", "Endpoint URL", &fields.endpoint_url, None))
                (text("connection.timeout_seconds", "Timeout (seconds)", &fields.timeout_seconds, Some("blank: 30")))
                (text("connection.max_concurrent", "Inquiries at once", &fields.max_concurrent, Some("blank: 4")))
                (text("connection.service_types_per_request", "Service types per request", &fields.service_types_per_request, Some("blank: 1")))
                (text("connection.service_types", "Service types answered", &fields.service_types, Some("codes separated by spaces; blank: all")))
                (text("connection.sender_id", "Sender id (ISA06)", &fields.sender_id, None))
                (text("connection.receiver_id", "Receiver id (ISA08)", &fields.receiver_id, None))
                (fields::select("connection.envelope", "CORE envelope (X12 only)", &options(&[("multipart", "Multipart"), ("soap", "SOAP")]), &fields.envelope, errors, false))
            }
            p.muted { "Protocol “Choose…” means not connected (claims only): on an edit it removes the connection and its credentials." }
        }
        fieldset {
            legend { "Credentials" }
            div.fields {
                (fields::select("connection.credentials.kind", "Kind", &options(&[("none", "None"), ("basic", "Username and password"), ("bearer", "Bearer token"), ("oauth2_client_credentials", "OAuth client credentials")]), &fields.kind, errors, false))
                (text("connection.credentials.username", "Username (basic)", &fields.username, None))
                (password("connection.credentials.password", "Password (basic)"))
                (password("connection.credentials.token", "Token (bearer)"))
                (text("connection.credentials.token_url", "Token URL (OAuth)", &fields.token_url, None))
                (text("connection.credentials.client_id", "Client id (OAuth)", &fields.client_id, None))
                (password("connection.credentials.client_secret", "Client secret (OAuth)"))
                (text("connection.credentials.scope", "Scope (OAuth)", &fields.scope, None))
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> PayerFields {
        PayerFields {
            name: "Acme Health".into(),
            payer_id: "ACME1".into(),
            protocol: "json".into(),
            endpoint_url: "http://127.0.0.1:9/e".into(),
            kind: "bearer".into(),
            token: token.into(),
            password: "not-for-bearer".into(),
            ..PayerFields::blank()
        }
    }

    #[test]
    fn a_blank_secret_keeps_the_stored_one_only_for_the_same_kind() {
        let mut errors = Errors::none();
        let stored = bearer("stored-token").input(&mut errors).unwrap();
        let blank = bearer("").input(&mut errors).unwrap();
        let kept = blank.clone().keeping_secrets(stored.clone());
        let credentials = |i: &PayerInput| i.connection.clone().unwrap().credentials.unwrap();
        assert_eq!(credentials(&kept).token.as_deref(), Some("stored-token"));
        // Only the chosen kind's fields are sent: the password typed for bearer is dropped.
        assert_eq!(credentials(&kept).password, None);
        let typed = bearer("new-token")
            .input(&mut errors)
            .unwrap()
            .keeping_secrets(stored.clone());
        assert_eq!(credentials(&typed).token.as_deref(), Some("new-token"));
        let basic = PayerFields {
            kind: "basic".into(),
            username: "clinic".into(),
            password: String::new(),
            ..bearer("")
        };
        let other = basic.input(&mut errors).unwrap().keeping_secrets(stored);
        assert_eq!(
            credentials(&other).password,
            None,
            "a new kind keeps nothing"
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn a_number_that_is_not_one_is_refused_beside_its_field() {
        let mut errors = Errors::none();
        let fields = PayerFields {
            timeout_seconds: "soon".into(),
            ..bearer("t")
        };
        assert!(fields.input(&mut errors).is_none());
        assert_eq!(
            errors.of("connection.timeout_seconds"),
            Some("must be a whole number")
        );
    }

    #[test]
    fn no_protocol_means_no_connection() {
        let mut errors = Errors::none();
        let fields = PayerFields {
            protocol: String::new(),
            ..bearer("t")
        };
        assert!(fields.input(&mut errors).unwrap().connection.is_none());
    }
}
