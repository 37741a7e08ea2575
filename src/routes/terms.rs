//! Dated terms — fee schedules, day rates and the service catalog: billing records and changes
//! them; admissions reads them (estimates and claims price from them). Contract and clinic
//! terms, not PHI: no audit events; writes log the ids.
//!
//! The three share one life, so they share these handlers. Each record is in force over a
//! period, and two records that would price the same day must never share one. Every write
//! therefore takes a lock first ([`Terms::lock`]: the payer's row, or the catalog's writer lock)
//! and only then reads what the new period must not overlap, so two concurrent writers cannot
//! both pass the check. A change is a JSON merge patch over the stored terms; what a record
//! prices (the payer, level of care, program, tier or code) is fixed for its life.

use std::fmt::Display;
use std::str::FromStr;

use actix_web::http::header::LOCATION;
use actix_web::HttpResponse;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::context::Ctx;
use super::extract::{from_value, merge, refuse_nulls, Body};
use super::{endpoint, ok, Endpoint, PageOf};
use crate::domain::ids::PayerId;
use crate::domain::role::Role;
use crate::domain::validation::Invalid;
use crate::error::ApiError;
use crate::store::{payers, Page, StoreResult, Stored, Tx};

const WRITERS: &[Role] = &[Role::Billing];
const READERS: &[Role] = &[Role::Billing, Role::Admissions];

/// One kind of dated terms: its names, its rules and its storage.
pub(super) trait Terms: 'static {
    /// What billing staff call one ("fee schedule"): the 404's subject and the log's `terms`.
    const NAME: &'static str;
    /// Where they are listed and recorded.
    const COLLECTION: &'static str;
    /// Where one record is read and changed: `{COLLECTION}/{id}`.
    const RECORD: &'static str;
    /// Fields a patch may leave out but not clear.
    const REQUIRED: &'static [&'static str];

    type Id: Copy + PartialEq + Display + Serialize + FromStr<Err = String> + 'static;
    /// The request's shape; also what a stored record is turned back into for a patch.
    type Input: Serialize + DeserializeOwned + for<'a> From<&'a Self::New>;
    /// Terms that passed every rule.
    type New: Serialize + 'static;
    /// A listing's criteria.
    type Filter;

    fn new_id() -> Self::Id;
    fn parse(input: Self::Input) -> Result<Self::New, Invalid>;
    /// The listing's criteria and page, from the query string (400 naming the parameter).
    fn criteria(ctx: &Ctx) -> Result<(Self::Filter, Page), ApiError>;
    /// Refuses a change of what the record prices.
    fn fixed_changes(stored: &Self::New, next: &Self::New) -> Result<(), Invalid>;
    /// The first of `others` that shares a day with `terms` (the domain's rule).
    fn first_overlap<'a>(
        others: Vec<&'a Record<Self>>,
        terms: &Self::New,
    ) -> Option<&'a Record<Self>>;
    /// The 409 that names `other`, the record `terms` would overlap.
    fn overlap(other: &Record<Self>, terms: &Self::New) -> ApiError;

    /// The write lock taken before the overlap check.
    async fn lock(tx: &mut Tx, terms: &Self::New) -> Result<(), ApiError>;
    /// Every stored record `terms` could overlap (a superset is fine; it is filtered).
    async fn neighbours(tx: &mut Tx, terms: &Self::New) -> StoreResult<Vec<Record<Self>>>;
    async fn insert(tx: &mut Tx, id: Self::Id, terms: &Self::New) -> StoreResult<Record<Self>>;
    async fn find(tx: &mut Tx, id: Self::Id) -> StoreResult<Option<Record<Self>>>;
    async fn update(
        tx: &mut Tx,
        id: Self::Id,
        terms: &Self::New,
    ) -> StoreResult<Option<Record<Self>>>;
    async fn list(
        tx: &mut Tx,
        filter: &Self::Filter,
        page: Page,
    ) -> StoreResult<(Vec<Record<Self>>, i64)>;
}

/// The four endpoints of a kind of terms, at its own paths.
pub(super) fn endpoints<T: Terms>() -> [Endpoint; 4] {
    use actix_web::http::Method as M;
    [
        endpoint(M::POST, T::COLLECTION, create::<T>),
        endpoint(M::GET, T::COLLECTION, list::<T>),
        endpoint(M::GET, T::RECORD, get::<T>),
        endpoint(M::PATCH, T::RECORD, update::<T>),
    ]
}

/// A stored record of `T`.
pub(super) type Record<T> = Stored<<T as Terms>::New, <T as Terms>::Id>;

/// A period's end as the 409's detail says it.
pub(super) fn shown(date: Option<chrono::NaiveDate>) -> String {
    date.map_or_else(|| "open-ended".to_string(), |d| d.to_string())
}

/// The 409 for an overlap: `member` (e.g. `conflicting_fee_schedule`) holds `conflicting`, the
/// record that refuses the new period.
pub(super) fn conflict(
    kind: &'static str,
    title: &'static str,
    member: &str,
    conflicting: Value,
    detail: String,
) -> ApiError {
    let mut members = serde_json::Map::new();
    members.insert(member.to_string(), conflicting);
    ApiError::StateConflict {
        kind,
        title,
        detail,
        members,
    }
}

/// The lock of terms priced for one payer: checks that the payer exists (422 naming
/// `payer_id` otherwise) and locks its row for the rest of the transaction.
pub(super) async fn lock_payer(tx: &mut Tx, payer_id: Uuid) -> Result<(), ApiError> {
    if payers::lock(tx, PayerId::from_uuid(payer_id)).await? {
        Ok(())
    } else {
        Err(ApiError::validation("payer_id", "names no payer"))
    }
}

/// Refuses `terms` when a record other than `itself` shares a day with it.
async fn refuse_overlap<T: Terms>(
    tx: &mut Tx,
    itself: Option<T::Id>,
    terms: &T::New,
) -> Result<(), ApiError> {
    let neighbours = T::neighbours(tx, terms).await?;
    let others = neighbours.iter().filter(|n| Some(n.id) != itself).collect();
    match T::first_overlap(others, terms) {
        Some(other) => Err(T::overlap(other, terms)),
        None => Ok(()),
    }
}

fn not_found<T: Terms>() -> ApiError {
    ApiError::NotFound(T::NAME)
}

pub(super) async fn create<T: Terms>(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let terms = T::parse(body.json::<T::Input>()?)?;
    let mut tx = ctx.write().await?;
    T::lock(&mut tx, &terms).await?;
    refuse_overlap::<T>(&mut tx, None, &terms).await?;
    let record = T::insert(&mut tx, T::new_id(), &terms).await?;
    tx.commit().await?;
    let id = record.id;
    tracing::info!(terms = T::NAME, id = %id, user_id = %ctx.staff.id, "terms recorded");
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("{}/{id}", T::COLLECTION)))
        .json(&record))
}

pub(super) async fn list<T: Terms>(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let (filter, page) = T::criteria(&ctx)?;
    let mut tx = ctx.read_each().await?;
    let (items, total) = T::list(&mut tx, &filter, page).await?;
    tx.commit().await?;
    Ok(ok(&PageOf::new(items, total, page)))
}

pub(super) async fn get<T: Terms>(ctx: Ctx) -> Result<HttpResponse, ApiError> {
    ctx.require(READERS)?;
    let id: T::Id = ctx.path("id")?;
    let mut tx = ctx.read_each().await?;
    let record = T::find(&mut tx, id).await?.ok_or_else(not_found::<T>)?;
    tx.commit().await?;
    Ok(ok(&record))
}

/// A JSON merge patch over the stored terms; the new period is checked for overlap as on
/// creation.
pub(super) async fn update<T: Terms>(ctx: Ctx, body: Body) -> Result<HttpResponse, ApiError> {
    ctx.require(WRITERS)?;
    let id: T::Id = ctx.path("id")?;
    let patch = body.object()?;
    refuse_nulls(&patch, T::REQUIRED)?;
    let mut tx = ctx.write().await?;
    // The lock may depend on the record (its payer): find it, lock, then read it again under
    // the lock, so what is checked is what no other writer can change.
    let found = T::find(&mut tx, id).await?.ok_or_else(not_found::<T>)?;
    T::lock(&mut tx, &found.data).await?;
    let stored = T::find(&mut tx, id).await?.ok_or_else(not_found::<T>)?;
    let current = serde_json::to_value(T::Input::from(&stored.data)).map_err(ApiError::internal)?;
    let next = T::parse(from_value::<T::Input>(merge(current, patch))?)?;
    T::fixed_changes(&stored.data, &next)?;
    refuse_overlap::<T>(&mut tx, Some(id), &next).await?;
    let updated = T::update(&mut tx, id, &next)
        .await?
        .ok_or_else(not_found::<T>)?;
    tx.commit().await?;
    tracing::info!(terms = T::NAME, id = %id, user_id = %ctx.staff.id, "terms changed");
    Ok(ok(&updated))
}
