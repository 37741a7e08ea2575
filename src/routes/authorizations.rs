//! Prior authorizations: billing records them, corrects them and records their extensions;
//! admissions reads them. Every access is audited, one event per authorization shown.
//!
//! Every write takes the coverage's lock (`coverages::lock`) before it checks for overlapping
//! approvals, so two concurrent writers cannot both pass the check.

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{from_value, merge, page, param, refuse_nulls, Body};
use super::{ok, PageOf};
use crate::domain::authorization::{
    self, AuthorizationInput, AuthorizationStatus, ExtensionInput, NewAuthorization, RevisionError,
    Transition, Window,
};
use crate::domain::billable::{ledger, Ledger};
use crate::domain::eligibility::LevelOfCare;
use crate::domain::ids::{new_id, AuthorizationId, ClientId, CoverageId};
use crate::domain::person::parse_date;
use crate::domain::role::Role;
use crate::domain::validation::FieldError;
use crate::error::ApiError;
use crate::services::attendance;
use crate::state::AppState;
use crate::store::audit::Action;
use crate::store::authorizations::{self, Authorization, AuthorizationFilter};
use crate::store::{clients, coverages, Tx};

const WRITERS: &[Role] = &[Role::Billing];
const READERS: &[Role] = &[Role::Billing, Role::Admissions];
const ENTITY: &str = "authorization";
/// Fields a patch may leave out but not clear.
const REQUIRED: &[&str] = &[
    "client_id",
    "coverage_id",
    "level_of_care",
    "program",
    "authorization_number",
    "start_date",
    "end_date",
    "days_approved",
    "status",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    client_id: Option<String>,
    coverage_id: Option<String>,
    level_of_care: Option<String>,
    status: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

fn filter(q: ListQuery) -> Result<AuthorizationFilter, ApiError> {
    Ok(AuthorizationFilter {
        client_id: param("client_id", q.client_id, ClientId::parse)?,
        coverage_id: param("coverage_id", q.coverage_id, CoverageId::parse)?,
        level_of_care: param("level_of_care", q.level_of_care, LevelOfCare::parse)?,
        status: param("status", q.status, AuthorizationStatus::parse)?,
        active_on: param("active_on", q.active_on, parse_date)?,
    })
}

/// Checks that the client exists and that the coverage is the client's own, and locks the
/// coverage for the rest of the transaction (422 naming the field otherwise).
async fn lock_parties(tx: &mut Tx, terms: &NewAuthorization) -> Result<(), ApiError> {
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
async fn find_locked(tx: &mut Tx, id: AuthorizationId) -> Result<Authorization, ApiError> {
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
async fn refuse_overlap(
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

fn invalid_transition(transition: Transition) -> ApiError {
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

async fn one_with_ledger(
    tx: &mut Tx,
    state: &AppState,
    authorization: Authorization,
) -> Result<WithLedger, ApiError> {
    with_ledgers(tx, state, vec![authorization])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("an authorization went missing")))
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let terms = body.json::<AuthorizationInput>()?.parse_new()?;
    let mut tx = ctx.write().await?;
    lock_parties(&mut tx, &terms).await?;
    let window = Window {
        start: terms.start_date,
        end: terms.end_date,
    };
    refuse_overlap(&mut tx, None, &terms, window).await?;
    let authorization =
        authorizations::insert(&mut tx, AuthorizationId::new(), ctx.staff.id, &terms).await?;
    let id = authorization.id.to_string();
    tx.audit(Action::Create, ENTITY, &id);
    let view = one_with_ledger(&mut tx, ctx.state(), authorization).await?;
    tx.commit().await?;
    tracing::info!(authorization_id = %id, "authorization recorded");
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/authorizations/{id}")))
        .json(&view))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let q: ListQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let filter = filter(q)?;
    let mut tx = ctx.read().await?;
    let (items, total) = authorizations::list(&mut tx, &filter, page).await?;
    tx.audit_all(Action::Read, ENTITY, items.iter().map(|a| a.id));
    let items = with_ledgers(&mut tx, ctx.state(), items).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn list_for_client(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let q: PageQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read().await?;
    clients::find(&mut tx, client_id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let filter = AuthorizationFilter {
        client_id: Some(client_id),
        ..AuthorizationFilter::default()
    };
    let (items, total) = authorizations::list(&mut tx, &filter, page).await?;
    tx.audit_all(Action::Read, ENTITY, items.iter().map(|a| a.id));
    let items = with_ledgers(&mut tx, ctx.state(), items).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: AuthorizationId = ctx.path("id")?;
    let mut tx = ctx.read().await?;
    let authorization = authorizations::find(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound("authorization"))?;
    tx.audit(Action::Read, ENTITY, id);
    let view = one_with_ledger(&mut tx, ctx.state(), authorization).await?;
    tx.commit().await?;
    Ok(ok(&view))
}

/// A JSON merge patch. While pending, every term but the client and coverage may be corrected;
/// once decided, the days and end date move only by extension (`authorization::revise`).
pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: AuthorizationId = ctx.path("id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, REQUIRED)?;
    let mut tx = ctx.write().await?;
    let stored = find_locked(&mut tx, id).await?;
    let current = serde_json::to_value(AuthorizationInput::from(&stored.terms))
        .map_err(ApiError::internal)?;
    let next = from_value::<AuthorizationInput>(merge(current, patch))?.parse()?;
    let terms =
        authorization::revise(&stored.terms, stored.current(), next).map_err(|e| match e {
            RevisionError::Fixed(invalid) => ApiError::from(invalid),
            RevisionError::Transition(transition) => invalid_transition(transition),
        })?;
    let revised = Authorization { terms, ..stored };
    refuse_overlap(&mut tx, Some(revised.id), &revised.terms, revised.window()).await?;
    let updated = authorizations::update(&mut tx, id, &revised.terms)
        .await?
        .ok_or(ApiError::NotFound("authorization"))?;
    tx.audit(Action::Update, ENTITY, id);
    let view = one_with_ledger(&mut tx, ctx.state(), updated).await?;
    tx.commit().await?;
    Ok(ok(&view))
}

/// Records a concurrent review's decision. Answers 201 with the authorization as it now stands.
pub async fn add_extension(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: AuthorizationId = ctx.path("id")?;
    let extension = body.json::<ExtensionInput>()?.parse()?;
    let view = extend(&ctx, id, &extension).await?;
    Ok(HttpResponse::Created().json(&view))
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
