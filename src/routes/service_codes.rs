//! The service catalog (what each per-service code is billed as and charged), as
//! [`Terms`](super::terms): every write takes the catalog's writer lock
//! (`service_codes::lock_for_writing`) before it checks for overlapping periods.

use serde::Deserialize;
use serde_json::json;

use super::context::Ctx;
use super::extract::{page, param};
use super::terms::{conflict, shown, Record, Terms};
use crate::domain::ids::ServiceCodeId;
use crate::domain::person::parse_date;
use crate::domain::service_code::{NewServiceCode, ServiceCode, ServiceCodeInput};
use crate::domain::validation::Invalid;
use crate::error::ApiError;
use crate::store::service_codes::{self, ServiceCodeFilter};
use crate::store::{Page, StoreResult, Tx};

pub struct ServiceCodes;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    code: Option<String>,
    active_on: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl Terms for ServiceCodes {
    const NAME: &'static str = "service code";
    const COLLECTION: &'static str = "/api/v1/service-codes";
    const RECORD: &'static str = "/api/v1/service-codes/{id}";
    const REQUIRED: &'static [&'static str] = &[
        "code",
        "description",
        "revenue_code",
        "hcpcs",
        "charge",
        "counts_toward_day",
        "effective_from",
    ];

    type Id = ServiceCodeId;
    type Input = ServiceCodeInput;
    type New = NewServiceCode;
    type Filter = ServiceCodeFilter;

    fn new_id() -> ServiceCodeId {
        ServiceCodeId::new()
    }

    fn parse(input: ServiceCodeInput) -> Result<NewServiceCode, Invalid> {
        input.parse()
    }

    fn criteria(ctx: &Ctx) -> Result<(ServiceCodeFilter, Page), ApiError> {
        let q: ListQuery = ctx.query()?;
        let page = page(q.limit, q.offset)?;
        let filter = ServiceCodeFilter {
            code: param("code", q.code, |raw| ServiceCode::parse(raw.to_string()))?,
            active_on: param("active_on", q.active_on, parse_date)?,
        };
        Ok((filter, page))
    }

    fn fixed_changes(stored: &NewServiceCode, next: &NewServiceCode) -> Result<(), Invalid> {
        crate::domain::service_code::fixed_changes(stored, next)
    }

    fn first_overlap<'a>(
        others: Vec<&'a Record<Self>>,
        terms: &NewServiceCode,
    ) -> Option<&'a Record<Self>> {
        crate::domain::service_code::first_overlap(others, terms)
    }

    fn overlap(other: &Record<Self>, terms: &NewServiceCode) -> ApiError {
        let theirs = other.data.period;
        conflict(
            "service-code-overlap",
            "Service code entry overlaps another",
            "conflicting_service_code",
            json!({
                "id": other.id,
                "code": other.data.code,
                "effective_from": theirs.from,
                "effective_to": theirs.to,
            }),
            format!(
                "Entry {} of {} is in force from {} to {}, which overlaps {} to {}. One entry \
                 prices a service on a day: end the other one with effective_to (the day \
                 before this one starts), or correct these dates.",
                other.id,
                terms.code,
                theirs.from,
                shown(theirs.to),
                terms.period.from,
                shown(terms.period.to),
            ),
        )
    }

    /// One lock for the whole catalog: an entry's code is not a row to lock before it exists.
    async fn lock(tx: &mut Tx, _terms: &NewServiceCode) -> Result<(), ApiError> {
        Ok(service_codes::lock_for_writing(tx).await?)
    }

    /// The entries of the same code.
    async fn neighbours(tx: &mut Tx, terms: &NewServiceCode) -> StoreResult<Vec<Record<Self>>> {
        service_codes::of_codes(tx, std::slice::from_ref(&terms.code)).await
    }

    async fn insert(
        tx: &mut Tx,
        id: ServiceCodeId,
        terms: &NewServiceCode,
    ) -> StoreResult<Record<Self>> {
        service_codes::insert(tx, id, terms).await
    }

    async fn find(tx: &mut Tx, id: ServiceCodeId) -> StoreResult<Option<Record<Self>>> {
        service_codes::find(tx, id).await
    }

    async fn update(
        tx: &mut Tx,
        id: ServiceCodeId,
        terms: &NewServiceCode,
    ) -> StoreResult<Option<Record<Self>>> {
        service_codes::update(tx, id, terms).await
    }

    async fn list(
        tx: &mut Tx,
        filter: &ServiceCodeFilter,
        page: Page,
    ) -> StoreResult<(Vec<Record<Self>>, i64)> {
        service_codes::list(tx, filter, page).await
    }
}
