//! What billing staff must act on before a day is lost: authorizations running out (by date or
//! by days), concurrent reviews due, attended days no approved authorization covers, and days
//! attended beyond what was approved. Pure: built from the authorizations and the assessed
//! days the caller loaded.

use std::collections::BTreeMap;
use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

use crate::config::BillingSettings;
use crate::domain::billable::{ledger, AuthorizationWindow, Reason};
use crate::domain::eligibility::LevelOfCare;
use crate::services::attendance::{self as service, ClientFacts};
use crate::store::authorizations::{self, Authorization};
use crate::store::{attendance as days_store, StoreResult, Tx};

/// How far ahead and back the alerts look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Horizon {
    /// Authorizations whose current end date is within this many days.
    pub ending_within_days: u32,
    /// Authorizations with at most this many days left.
    pub days_left_at_most: u32,
    /// Reviews due within this many days (overdue ones always).
    pub review_within_days: u32,
    /// Attended days this far back are checked.
    pub lookback_days: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    AuthorizationEnding,
    FewDaysLeft,
    ReviewDue,
    UnauthorizedDays,
    BeyondApprovedDays,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub client_id: Uuid,
    pub client_name: String,
    pub level_of_care: LevelOfCare,
    pub authorization_id: Option<Uuid>,
    pub authorization_number: Option<String>,
    /// The dates it is about: the end date, the review date, or the attended days.
    pub dates: Vec<NaiveDate>,
    pub message: String,
}

/// One client's part of the picture.
pub struct ClientPicture<'a> {
    pub client_id: Uuid,
    pub name: &'a str,
    pub authorizations: &'a [(Authorization, AuthorizationWindow)],
    pub facts: Option<&'a ClientFacts>,
}

/// Today's alerts over every client with an authorization in force or attendance in the
/// lookback: the facts loaded in `tx`, then [`alerts`]. The caller audits the clients named.
pub async fn current(
    tx: &mut Tx,
    settings: &BillingSettings,
    today: NaiveDate,
    horizon: &Horizon,
) -> StoreResult<Vec<Alert>> {
    let since = today - Duration::days(i64::from(horizon.lookback_days));
    // Authorizations that ended raise no alert of their own (see `alerts`), and the days
    // attended under them come in with `clients_attending_since`: looking only at those in
    // force keeps a clinic's years of ended authorizations out of every page view (the billing
    // desk took 349 ms with 10,000 ended ones, benches/pages.rs).
    let mut clients: Vec<Uuid> =
        authorizations::clients_with_authorization_in_force(tx, today).await?;
    clients.extend(days_store::clients_attending_since(tx, since).await?);
    clients.sort();
    clients.dedup();
    let held = service::authorizations_of(tx, &clients).await?;
    let minimums = service::minimums(settings);
    let facts = service::assess_clients(tx, &clients, &service::windows(&held), &minimums).await?;
    let names = days_store::client_names(tx, &clients).await?;
    let pictures: Vec<ClientPicture<'_>> = clients
        .iter()
        .map(|client| ClientPicture {
            client_id: *client,
            name: names.get(client).map(String::as_str).unwrap_or(""),
            authorizations: held.get(client).map(Vec::as_slice).unwrap_or_default(),
            facts: facts.get(client),
        })
        .collect();
    Ok(alerts(&pictures, today, horizon))
}

pub fn alerts(clients: &[ClientPicture<'_>], today: NaiveDate, horizon: &Horizon) -> Vec<Alert> {
    let mut out = Vec::new();
    let since = today - Duration::days(i64::from(horizon.lookback_days));
    for client in clients {
        let alert =
            |kind, level, authorization: Option<&AuthorizationWindow>, dates, message| Alert {
                kind,
                client_id: client.client_id,
                client_name: client.name.to_string(),
                level_of_care: level,
                authorization_id: authorization.map(|a| a.id),
                authorization_number: authorization.map(|a| a.number.clone()),
                dates,
                message,
            };
        for (authorization, window) in client.authorizations {
            if !authorization.terms.status.is_active() || window.end_date < today {
                continue;
            }
            let level = window.level_of_care;
            let until_end = (window.end_date - today).num_days();
            if until_end <= i64::from(horizon.ending_within_days) {
                out.push(alert(
                    AlertKind::AuthorizationEnding,
                    level,
                    Some(window),
                    vec![window.end_date],
                    format!(
                        "authorization {} ends on {} (in {until_end} days); request a concurrent \
                         review or plan the discharge or step-down",
                        window.number, window.end_date
                    ),
                ));
            }
            let used = match client.facts {
                Some(f) => ledger(window, &f.days, &f.assessments),
                None => ledger(window, &[], &[]),
            };
            if used.days_remaining <= horizon.days_left_at_most {
                out.push(alert(
                    AlertKind::FewDaysLeft,
                    level,
                    Some(window),
                    vec![window.start_date, window.end_date],
                    format!(
                        "authorization {} has {} of {} days left",
                        window.number, used.days_remaining, used.days_approved
                    ),
                ));
            }
            if let Some(review) = authorization.terms.next_review_date {
                if review <= today + Duration::days(i64::from(horizon.review_within_days)) {
                    let when = if review < today { "was due" } else { "is due" };
                    out.push(alert(
                        AlertKind::ReviewDue,
                        level,
                        Some(window),
                        vec![review],
                        format!(
                            "the concurrent review of authorization {} {when} on {review}",
                            window.number
                        ),
                    ));
                }
            }
        }
        let Some(facts) = client.facts else { continue };
        // Days not covered, by level; days beyond, by authorization. Billed days are settled.
        let mut unauthorized: BTreeMap<&'static str, (LevelOfCare, Vec<NaiveDate>)> =
            BTreeMap::new();
        let mut beyond: HashMap<Uuid, Vec<NaiveDate>> = HashMap::new();
        for (record, verdict) in facts.records.iter().zip(&facts.assessments) {
            let date = record.day.service_date;
            if date < since || record.claim_id.is_some() {
                continue;
            }
            for reason in &verdict.reasons {
                match reason {
                    Reason::NoApprovedAuthorization { .. } => {
                        let level = record.day.level_of_care;
                        unauthorized
                            .entry(level.as_str())
                            .or_insert((level, Vec::new()))
                            .1
                            .push(date);
                    }
                    Reason::BeyondApprovedDays {
                        authorization_id, ..
                    } => beyond.entry(*authorization_id).or_default().push(date),
                    _ => {}
                }
            }
        }
        for (_, (level, mut dates)) in unauthorized {
            dates.sort();
            let count = dates.len();
            out.push(alert(
                AlertKind::UnauthorizedDays,
                level,
                None,
                dates,
                format!(
                    "{count} attended {} day(s) are not covered by an approved authorization; \
                     request a retro-authorization or record the one the payer gave",
                    level.as_str()
                ),
            ));
        }
        for (_, window) in client.authorizations {
            if let Some(mut dates) = beyond.remove(&window.id) {
                dates.sort();
                out.push(alert(
                    AlertKind::BeyondApprovedDays,
                    window.level_of_care,
                    Some(window),
                    dates.clone(),
                    format!(
                        "{} day(s) attended beyond the {} days authorization {} approved; \
                         request more days",
                        dates.len(),
                        window.days_approved,
                        window.number
                    ),
                ));
            }
        }
    }
    out.sort_by(|a, b| {
        (a.kind, &a.client_name, a.client_id, &a.dates).cmp(&(
            b.kind,
            &b.client_name,
            b.client_id,
            &b.dates,
        ))
    });
    out
}
