//! A client's episodes of care: admissions and billing both record, correct and read them.
//! PHI: every access is audited (entity `episode`), one event per episode shown.
//!
//! Every write locks the client row (`clients::lock`) before it checks for overlapping
//! episodes, so two concurrent writers cannot both pass the check.

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::context::Ctx;
use super::extract::{from_value, merge, page, refuse_nulls, Body};
use super::{ok, PageOf};
use crate::domain::episode::{self, EpisodeInput, NewEpisode};
use crate::domain::ids::{ClientId, EpisodeId};
use crate::domain::role::Role;
use crate::error::ApiError;
use crate::store::audit::Action;
use crate::store::episodes::{self, Episode};
use crate::store::{clients, Tx};

const WRITERS: &[Role] = &[Role::Admissions, Role::Billing];
const READERS: &[Role] = &[Role::Admissions, Role::Billing];
const ENTITY: &str = "episode";
/// Fields a patch may leave out but not clear.
const REQUIRED: &[&str] = &["admission_date", "principal_diagnosis"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageQuery {
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Checks that the client exists (404 otherwise) and locks it for the rest of the transaction.
async fn lock_client(tx: &mut Tx, client_id: ClientId) -> Result<(), ApiError> {
    if clients::lock(tx, client_id).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound("client"))
    }
}

/// Refuses `terms` when another episode of the client shares a day with it (409 naming it).
async fn refuse_overlap(
    tx: &mut Tx,
    client_id: ClientId,
    itself: Option<EpisodeId>,
    terms: &NewEpisode,
) -> Result<(), ApiError> {
    let all = episodes::of_client(tx, client_id).await?;
    let others = all.iter().filter(|e| Some(e.id) != itself);
    match episode::first_overlap(others, terms) {
        Some(other) => Err(overlap(other, terms)),
        None => Ok(()),
    }
}

fn shown(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "ongoing".to_string(), |d| d.to_string())
}

fn overlap(other: &Episode, terms: &NewEpisode) -> ApiError {
    let theirs = other.data.episode.span();
    let members = match json!({
        "conflicting_episode": {
            "id": other.id,
            "admission_date": theirs.from,
            "discharge_date": theirs.to,
        }
    }) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    ApiError::StateConflict {
        kind: "episode-overlap",
        title: "Episode overlaps another",
        detail: format!(
            "Episode {} of this client runs from {} to {}, which overlaps {} to {}. A client is \
             in one episode of care at a time: discharge the other one first, or correct these \
             dates.",
            other.id,
            theirs.from,
            shown(theirs.to),
            terms.admission_date,
            shown(terms.discharge_date),
        ),
        members,
    }
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

pub async fn create(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let input: EpisodeInput = body.json()?;
    let mut tx = ctx.write().await?;
    lock_client(&mut tx, client_id).await?;
    let terms = input.parse(today())?;
    refuse_overlap(&mut tx, client_id, None, &terms).await?;
    let episode = episodes::insert(&mut tx, EpisodeId::new(), client_id, &terms).await?;
    let id = episode.id;
    tx.audit(Action::Create, ENTITY, id);
    tx.commit().await?;
    tracing::info!(episode_id = %id, client_id = %client_id, "episode recorded");
    Ok(HttpResponse::Created()
        .insert_header((
            LOCATION,
            format!("/api/v1/clients/{client_id}/episodes/{id}"),
        ))
        .json(&episode))
}

pub async fn list(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let q: PageQuery = ctx.query()?;
    let page = page(q.limit, q.offset)?;
    let mut tx = ctx.read_each().await?;
    clients::find(&mut tx, client_id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let (items, total) = episodes::list(&mut tx, client_id, page).await?;
    tx.audit_all(Action::Read, ENTITY, items.iter().map(|e| e.id));
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub async fn get(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let id: EpisodeId = ctx.path("episode_id")?;
    let mut tx = ctx.read_each().await?;
    let episode = episodes::find(&mut tx, client_id, id)
        .await?
        .ok_or(ApiError::NotFound("episode"))?;
    tx.audit(Action::Read, ENTITY, id);
    tx.commit().await?;
    Ok(ok(&episode))
}

/// A JSON merge patch; the merged episode obeys the rules of a new one, and its dates are
/// checked for overlap with the client's other episodes.
pub async fn update(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let client_id: ClientId = ctx.path("id")?;
    let id: EpisodeId = ctx.path("episode_id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, REQUIRED)?;
    let mut tx = ctx.write().await?;
    lock_client(&mut tx, client_id).await?;
    let stored = episodes::find(&mut tx, client_id, id)
        .await?
        .ok_or(ApiError::NotFound("episode"))?;
    let current = serde_json::to_value(EpisodeInput::from(&stored.data.episode))
        .map_err(ApiError::internal)?;
    let next = from_value::<EpisodeInput>(merge(current, patch))?.parse(today())?;
    refuse_overlap(&mut tx, client_id, Some(stored.id), &next).await?;
    let updated = episodes::update(&mut tx, client_id, id, &next)
        .await?
        .ok_or(ApiError::NotFound("episode"))?;
    tx.audit(Action::Update, ENTITY, id);
    tx.commit().await?;
    tracing::info!(episode_id = %id, client_id = %client_id, "episode changed");
    Ok(ok(&updated))
}
