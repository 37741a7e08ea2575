//! The billing desk (issue 14, screen 5): what to act on now, a client's authorizations and
//! attendance, the attendance import, claim generation, the claims and the unbilled report.
//! Every page reaches the data through the same service functions as the API's endpoints
//! (`services::claim_actions`, `services::attendance`, `services::authorizations`, …), so a
//! screen and its endpoint cannot disagree.

pub mod attendance;
pub mod claim;
pub mod claims;
pub mod client;
pub mod desk;
pub mod generate;
pub mod lines;
pub mod unbilled;

use std::collections::HashMap;

use maud::{html, Markup};
use uuid::Uuid;

use crate::domain::role::Role;
use crate::error::ApiError;
use crate::web::error::WebError;
use crate::web::fields::Errors;

/// Billing staff only, as the API's billing endpoints.
pub const BILLING: &[Role] = &[Role::Billing];

/// The menu item the billing screens belong to.
pub const HOME: &str = "/billing";

/// A refusal the staff member can act on goes beside the form (`errors`); anything else is
/// the error page.
pub fn refused(error: ApiError, errors: &mut Errors) -> Result<(), WebError> {
    match error {
        ApiError::Validation(found) => found
            .into_iter()
            .for_each(|e| errors.push(&e.field, e.message)),
        ApiError::Malformed { errors: found, .. } if !found.is_empty() => found
            .into_iter()
            .for_each(|e| errors.push(&e.field, e.message)),
        ApiError::Conflict { detail, field } => errors.push(&field, detail),
        ApiError::StateConflict { detail, .. } => errors.push("claim", detail),
        ApiError::RowsRefused { errors: found, .. } => found
            .into_iter()
            .for_each(|e| errors.push(&e.field, e.message)),
        other => return Err(other.into()),
    }
    Ok(())
}

/// The errors of `errors` no field of the form shows, as one notice.
pub fn other_errors(errors: &Errors, shown: &[&str]) -> Markup {
    let rest: Vec<&str> = errors
        .all()
        .filter(|(field, _)| !shown.contains(field))
        .map(|(_, message)| message)
        .collect();
    html! {
        @if !rest.is_empty() {
            div.notice.bad role="alert" {
                @for message in rest { p { (message) } }
            }
        }
    }
}

/// A client's name, or a neutral word when it is not known.
pub fn name_of(names: &HashMap<Uuid, String>, id: Uuid) -> &str {
    names.get(&id).map_or("(unknown client)", String::as_str)
}

/// A claim status in the words billing staff use, as a chip.
pub fn claim_chip(status: &str) -> Markup {
    let class = match status {
        "paid" | "accepted" | "forwarded" => "ok",
        "rejected" | "denied" => "bad",
        "partially_paid" | "void" | "replaced" => "warn",
        _ => "neutral",
    };
    html! { span class={ "chip " (class) } { (status_words(status)) } }
}

pub fn status_words(status: &str) -> String {
    let words = status.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}
