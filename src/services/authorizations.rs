//! Prior authorizations' write rules and ledgers, shared by the API's handlers and the web
//! app's billing pages: the parties' checks and the coverage's lock, the refusal of an
//! overlapping approval, extensions, and each authorization's ledger derived from attendance.
//!
//! Every write takes the coverage's lock (`coverages::lock`) before it checks for overlapping
//! approvals, so two concurrent writers cannot both pass the check.

use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::domain::authorization::{
    self, AuthorizationStatus, NewAuthorization, Transition, Window,
};
use crate::domain::billable::{ledger, Ledger};
use crate::domain::ids::{new_id, AuthorizationId, ClientId, CoverageId};
use crate::domain::validation::FieldError;
use crate::error::ApiError;
use crate::routes::context::Ctx;
use crate::services::attendance;
use crate::state::AppState;
use crate::store::audit::Action;
use crate::store::authorizations::{self, Authorization};
use crate::store::{clients, coverages, Tx};

const ENTITY: &str = "authorization";

/// Checks that the client exists and that the coverage is the client's own, and locks the
/// coverage for the rest of the transaction (422 naming the field otherwise).
pub async fn lock_parties(tx: &mut Tx, terms: &NewAuthorization) -> Result<(), ApiError> {
    let client_id = ClientId::from_uuid(terms.client_id);
    let mut errors = Vec::new();
    if clients::find(tx, client_id).await?.is_none() {
        errors.push(FieldError::new("client_id", "names no client"));
    }
    match coverages::lock(tx, CoverageId::from_uuid(terms.coverage_id)).await? {
        None => errors.push(FieldError::new("coverage_id", "names no coverage")),
        Some(owner) if owner != client_id && errors.is_empty() => errors.push(FieldError::new(
            "coverage_id",
            "is a coverage of another client; an authorization is for the client's own coverage",
        )),
        Some(_) => {}
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The stored authorization, read after its coverage is locked: what a writer checks, no
/// other writer can change before it commits.
pub async fn find_locked(tx: &mut Tx, id: AuthorizationId) -> Result<Authorization, ApiError> {
    let found = authorizations::find(tx, id)
        .await?
        .ok_or(ApiError::NotFound("authorization"))?;
    coverages::lock(tx, CoverageId::from_uuid(found.terms.coverage_id)).await?;
    authorizations::find(tx, id)
        .await?
        .ok_or(ApiError::NotFound("authorization"))
}

/// Refuses an approved (or partially approved) `window` when another approval for the same
/// client, coverage and level of care covers one of its days (409 naming that one).
pub async fn refuse_overlap(
    tx: &mut Tx,
    itself: Option<AuthorizationId>,
    terms: &NewAuthorization,
    window: Window,
) -> Result<(), ApiError> {
    if !terms.status.is_active() {
        return Ok(());
    }
    let others = authorizations::active_at_level(
        tx,
        ClientId::from_uuid(terms.client_id),
        CoverageId::from_uuid(terms.coverage_id),
        terms.level_of_care,
    )
    .await?;
    match others
        .iter()
        .find(|other| Some(other.id) != itself && other.window().overlaps(&window))
    {
        Some(other) => Err(overlap(other, window)),
        None => Ok(()),
    }
}

fn members(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn overlap(other: &Authorization, window: Window) -> ApiError {
    let theirs = other.window();
    let terms = &other.terms;
    let number = terms.authorization_number.as_str();
    ApiError::StateConflict {
        kind: "authorization-overlap",
        title: "Authorization overlaps another",
        detail: format!(
            "Authorization {number} (id {}, {}) already covers {} to {} at {} for this client \
             and coverage, which overlaps {} to {}. Two approvals at one level of care must \
             not share a day: correct the dates, or let the other one expire first.",
            other.id,
            terms.status.as_str(),
            theirs.start,
            theirs.end,
            terms.level_of_care.as_str(),
            window.start,
            window.end,
        ),
        members: members(json!({
            "conflicting_authorization": {
                "id": other.id,
                "authorization_number": number,
                "status": terms.status,
                "level_of_care": terms.level_of_care,
                "start_date": theirs.start,
                "end_date": theirs.end,
            }
        })),
    }
}

pub fn invalid_transition(transition: Transition) -> ApiError {
    ApiError::StateConflict {
        kind: "invalid-transition",
        title: "Status change not allowed",
        detail: transition.explain(),
        members: members(json!({"from": transition.from, "to": transition.to})),
    }
}

/// An authorization with its ledger: days used (billable attended days in its window at its
/// level, in date order), days remaining and the days themselves, derived from attendance on
/// every read. `null` for a pending or denied authorization, which authorizes nothing.
#[derive(Serialize)]
pub struct WithLedger {
    #[serde(flatten)]
    pub authorization: Authorization,
    pub ledger: Option<Ledger>,
}

/// `items` with their ledgers (the API's and the web app's).
pub async fn with_ledgers(
    tx: &mut Tx,
    state: &AppState,
    items: Vec<Authorization>,
) -> Result<Vec<WithLedger>, ApiError> {
    let mut clients: Vec<Uuid> = items.iter().map(|a| a.terms.client_id).collect();
    clients.sort();
    clients.dedup();
    let windows = attendance::windows(&attendance::authorizations_of(tx, &clients).await?);
    let minimums = attendance::minimums(&state.settings.billing);
    let facts = attendance::assess_clients(tx, &clients, &windows, &minimums).await?;
    Ok(items
        .into_iter()
        .map(|authorization| {
            let authorizing = authorization.terms.status.is_active()
                || authorization.terms.status == AuthorizationStatus::Expired;
            let ledger = authorizing.then(|| {
                let window = attendance::window_of(&authorization);
                match facts.get(&authorization.terms.client_id) {
                    Some(f) => ledger(&window, &f.days, &f.assessments),
                    None => ledger(&window, &[], &[]),
                }
            });
            WithLedger {
                authorization,
                ledger,
            }
        })
        .collect())
}

pub async fn one_with_ledger(
    tx: &mut Tx,
    state: &AppState,
    authorization: Authorization,
) -> Result<WithLedger, ApiError> {
    with_ledgers(tx, state, vec![authorization])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an authorization went missing")))
}

/// Records `extension` on authorization `id` (the API's and the web app's); the
/// authorization as it now stands.
pub async fn extend(
    ctx: &Ctx,
    id: AuthorizationId,
    extension: &authorization::Extension,
) -> Result<WithLedger, ApiError> {
    let mut tx = ctx.write().await?;
    let stored = find_locked(&mut tx, id).await?;
    let status = stored.terms.status;
    if !status.is_active() {
        return Err(ApiError::conflict(
            "status",
            format!(
                "Extensions are recorded only on an approved or partially approved \
                 authorization; this one is {}.",
                status.as_str()
            ),
        ));
    }
    let now = stored.current();
    extension.continues(now)?;
    if let (true, Some(end)) = (extension.moves_end(now), extension.new_end_date) {
        let window = Window {
            start: stored.terms.start_date,
            end,
        };
        refuse_overlap(&mut tx, Some(stored.id), &stored.terms, window).await?;
    }
    let updated = authorizations::add_extension(&mut tx, new_id(), id, ctx.staff.id, extension)
        .await?
        .ok_or(ApiError::NotFound("authorization"))?;
    tx.audit(Action::Update, ENTITY, id);
    let view = one_with_ledger(&mut tx, ctx.state(), updated).await?;
    tx.commit().await?;
    tracing::info!(authorization_id = %id, "authorization extended");
    Ok(view)
}
