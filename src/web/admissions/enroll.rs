//! Enrolling a caller: the client and their coverage in one form, parsed by the same domain
//! parsers as the API (`ClientInput`, `CoverageInput`), stored in one audited transaction. A
//! refused form comes back with what was typed and each error beside its field.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;

use super::{ASKERS, HOME};
use crate::domain::client::{ClientInput, NewClient};
use crate::domain::coverage::{CoverageInput, NewCoverage, SubscriberInput};
use crate::domain::ids::{ClientId, CoverageId};
use crate::store::audit::Action;
use crate::store::{clients, coverages, payers, Page as Rows};
use crate::web::error::WebError;
use crate::web::fields::{self, Errors, Input};
use crate::web::format;
use crate::web::page::{see_other, Form, Page};

/// The form as typed; every field kept as text so a refused form shows it again.
#[derive(Deserialize, Default)]
pub struct EnrollFields {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    external_id: String,
    #[serde(flatten)]
    coverage: CoverageFields,
}

/// The insurance fields as typed, shared by enrollment and a client's "Add a coverage" form:
/// the same inputs, the same parser (`CoverageInput`), the same errors beside the same fields.
#[derive(Deserialize, Default)]
pub struct CoverageFields {
    #[serde(default)]
    payer_id: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    group_number: String,
    #[serde(default)]
    plan_name: String,
    #[serde(default)]
    relationship: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    effective_date: String,
    #[serde(default, rename = "subscriber.first_name")]
    subscriber_first_name: String,
    #[serde(default, rename = "subscriber.last_name")]
    subscriber_last_name: String,
    #[serde(default, rename = "subscriber.date_of_birth")]
    subscriber_date_of_birth: String,
    #[serde(default, rename = "subscriber.sex")]
    subscriber_sex: String,
}

impl CoverageFields {
    /// An empty form: the client is the holder, and the plan is `priority` in the order of
    /// benefits.
    pub fn blank(priority: &str) -> CoverageFields {
        CoverageFields {
            relationship: "self".into(),
            priority: priority.into(),
            ..CoverageFields::default()
        }
    }

    /// The fields as the domain parser reads them; a date typed in neither accepted form is
    /// an error of this page's (and is sent on, so the parser does not also call it missing).
    fn input(&self, errors: &mut Errors) -> CoverageInput {
        let effective_date = typed_date(errors, "effective_date", &self.effective_date);
        let subscriber_date_of_birth = typed_date(
            errors,
            "subscriber.date_of_birth",
            &self.subscriber_date_of_birth,
        );
        let subscriber_given = [
            &self.subscriber_first_name,
            &self.subscriber_last_name,
            &self.subscriber_date_of_birth,
            &self.subscriber_sex,
        ]
        .iter()
        .any(|raw| !raw.trim().is_empty());
        // The holder's fields are read only when the client is not the holder: typed and then
        // switched back to "self", they are not an error.
        let subscriber =
            (self.relationship != "self" && subscriber_given).then(|| SubscriberInput {
                first_name: optional(&self.subscriber_first_name),
                last_name: optional(&self.subscriber_last_name),
                date_of_birth: subscriber_date_of_birth,
                sex: optional(&self.subscriber_sex),
            });
        CoverageInput {
            payer_id: optional(&self.payer_id),
            member_id: optional(&self.member_id),
            group_number: optional(&self.group_number),
            plan_name: optional(&self.plan_name),
            relationship: optional(&self.relationship),
            subscriber,
            priority: optional(&self.priority),
            effective_date,
            end_date: None,
        }
    }

    /// The coverage, or the errors of every field (with those already in `errors`).
    pub fn parse(&self, errors: &mut Errors) -> Option<NewCoverage> {
        let input = self.input(errors);
        match input.parse(Utc::now().date_naive()) {
            Ok(coverage) if errors.is_empty() => Some(coverage),
            Ok(_) => None,
            Err(invalid) => {
                errors.absorb(None, invalid);
                None
            }
        }
    }
}

fn optional(raw: &str) -> Option<String> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.to_string())
}

/// A date as typed, as ISO text for the parser; a date typed otherwise is an error beside
/// `name` (and sent on as typed, so the parser does not also call a required date missing).
fn typed_date(errors: &mut Errors, name: &str, raw: &str) -> Option<String> {
    match raw.trim() {
        "" => None,
        typed => format::typed_date(typed).or_else(|| {
            errors.push(name, format::date_error(typed));
            Some(typed.to_string())
        }),
    }
}

/// `GET /clients/new`.
pub async fn form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(ASKERS)?;
    let payers = payer_choices(&page).await?;
    let fields = EnrollFields {
        coverage: CoverageFields::blank("primary"),
        ..EnrollFields::default()
    };
    Ok(page.render(
        HOME,
        "Enroll a client",
        screen(&page, &fields, &payers, &Errors::none()),
    ))
}

/// `POST /clients/new`.
pub async fn submit(form: Form<EnrollFields>) -> Result<HttpResponse, WebError> {
    let Form { page, fields } = form;
    page.require(ASKERS)?;
    let mut errors = Errors::none();
    let Some((client, coverage)) = parse(&fields, &mut errors) else {
        return refused(&page, &fields, &errors).await;
    };
    let mut tx = page.ctx.write().await?;
    if !payers::exists(&mut tx, coverage.payer_id).await? {
        drop(tx);
        errors.push("payer_id", "choose a payer from the list");
        return refused(&page, &fields, &errors).await;
    }
    let client = match clients::insert(&mut tx, ClientId::new(), &client).await {
        Ok(client) => client,
        Err(error) if error.is_unique_violation() => {
            drop(tx);
            let taken = "another client already has this record number";
            errors.push("external_id", taken);
            return refused(&page, &fields, &errors).await;
        }
        Err(error) => return Err(error.into()),
    };
    let coverage = coverages::insert(&mut tx, CoverageId::new(), client.id, &coverage).await?;
    tx.audit(Action::Create, "client", client.id);
    tx.audit(Action::Create, "coverage", coverage.id);
    tx.commit().await?;
    tracing::info!(client_id = %client.id, "client enrolled from the web app");
    Ok(see_other(&format!("/clients/{}", client.id)))
}

/// The form again, with what was typed and each error beside its field.
async fn refused(
    page: &Page,
    fields: &EnrollFields,
    errors: &Errors,
) -> Result<HttpResponse, WebError> {
    let payers = payer_choices(page).await?;
    Ok(page.render_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        HOME,
        "Enroll a client",
        screen(page, fields, &payers, errors),
    ))
}

/// The client and the coverage, or the errors of both (every field's, not the first only).
fn parse(fields: &EnrollFields, errors: &mut Errors) -> Option<(NewClient, NewCoverage)> {
    let today = Utc::now().date_naive();
    let date_of_birth = typed_date(errors, "date_of_birth", &fields.date_of_birth);
    let client = ClientInput {
        first_name: optional(&fields.first_name),
        last_name: optional(&fields.last_name),
        date_of_birth,
        sex: optional(&fields.sex),
        address: None,
        phone: optional(&fields.phone),
        email: None,
        external_id: optional(&fields.external_id),
    }
    .parse(today);
    let coverage = fields.coverage.input(errors).parse(today);
    match (client, coverage) {
        (Ok(client), Ok(coverage)) if errors.is_empty() => Some((client, coverage)),
        (client, coverage) => {
            if let Err(invalid) = client {
                errors.absorb(None, invalid);
            }
            if let Err(invalid) = coverage {
                errors.absorb(None, invalid);
            }
            None
        }
    }
}

/// The payers to pick from, by name.
pub async fn payer_choices(page: &Page) -> Result<Vec<(String, String)>, WebError> {
    let mut tx = page.ctx.read_each().await?;
    let (list, _) = payers::list(
        &mut tx,
        &page.ctx.state().secrets,
        None,
        Rows {
            limit: 500,
            offset: 0,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(list
        .into_iter()
        .map(|payer| (payer.id.to_string(), payer.data.name.to_string()))
        .collect())
}

fn choices(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(value, label)| (value.to_string(), label.to_string()))
        .collect()
}

fn screen(page: &Page, f: &EnrollFields, payers: &[(String, String)], errors: &Errors) -> Markup {
    let required = Input {
        required: true,
        ..Input::default()
    };
    let optional = Input {
        optional: true,
        ..Input::default()
    };
    let date = |hint| Input {
        hint: Some(hint),
        ..optional
    };
    let sexes = choices(&[("F", "Female"), ("M", "Male"), ("U", "Unknown")]);
    html! {
        h1 { "Enroll a client" }
        p.lede { "The caller and the insurance on their card. Everything here can be corrected later." }
        (fields::summary(errors))
        form.stack method="post" action="/clients/new" {
            (page.csrf_field())
            div.card {
                h2 { "The client" }
                div.fields {
                    (fields::text("first_name", "First name", &f.first_name, errors, Input { autocomplete: Some("off"), ..required }))
                    (fields::text("last_name", "Last name", &f.last_name, errors, Input { autocomplete: Some("off"), ..required }))
                    (fields::text("date_of_birth", "Date of birth", &f.date_of_birth, errors, Input { required: true, optional: false, ..date("MM/DD/YYYY") }))
                    (fields::select("sex", "Sex", &sexes, &f.sex, errors, true))
                    (fields::text("phone", "Phone", &f.phone, errors, Input { kind: Some("tel"), ..optional }))
                    (fields::text("external_id", "Record number", &f.external_id, errors, optional))
                }
            }
            div.card {
                h2 { "Insurance" }
                (coverage_fields(&f.coverage, payers, errors))
            }
            div.actions {
                button type="submit" { "Enroll" }
                a.button.secondary href=(HOME) { "Cancel" }
            }
        }
    }
}

/// The insurance inputs (payer pick list, member id, group, plan, relationship, order of
/// benefits, effective date, and the holder when it is not the client), each with its error.
pub fn coverage_fields(f: &CoverageFields, payers: &[(String, String)], errors: &Errors) -> Markup {
    let required = Input {
        required: true,
        ..Input::default()
    };
    let optional = Input {
        optional: true,
        ..Input::default()
    };
    let sexes = choices(&[("F", "Female"), ("M", "Male"), ("U", "Unknown")]);
    let relationships = choices(&[
        ("self", "Self"),
        ("spouse", "Spouse"),
        ("child", "Child"),
        ("other", "Other"),
    ]);
    let priorities = choices(&[
        ("primary", "Primary"),
        ("secondary", "Secondary"),
        ("tertiary", "Tertiary"),
    ]);
    html! {
        div.fields {
            (fields::select("payer_id", "Payer", payers, &f.payer_id, errors, true))
            (fields::text("member_id", "Member id", &f.member_id, errors, Input { hint: Some("As printed on the card"), ..required }))
            (fields::text("group_number", "Group number", &f.group_number, errors, optional))
            (fields::text("plan_name", "Plan name", &f.plan_name, errors, optional))
            (fields::select("relationship", "Relationship to the holder", &relationships, &f.relationship, errors, true))
            (fields::select("priority", "Order of benefits", &priorities, &f.priority, errors, true))
            (fields::text("effective_date", "Effective date", &f.effective_date, errors, Input { hint: Some("MM/DD/YYYY"), ..optional }))
        }
        fieldset {
            legend { "Policy holder, when it is not the client" }
            @if let Some(error) = errors.of("subscriber") { p.field-error { (error) } }
            div.fields {
                (fields::text("subscriber.first_name", "Holder's first name", &f.subscriber_first_name, errors, Input::default()))
                (fields::text("subscriber.last_name", "Holder's last name", &f.subscriber_last_name, errors, Input::default()))
                (fields::text("subscriber.date_of_birth", "Holder's date of birth", &f.subscriber_date_of_birth, errors, Input { hint: Some("MM/DD/YYYY"), ..Input::default() }))
                (fields::select("subscriber.sex", "Holder's sex", &sexes, &f.subscriber_sex, errors, false))
            }
        }
    }
}
