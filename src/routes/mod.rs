//! HTTP handlers: extract -> parse to domain -> call store -> map to response.
//!
//! [`endpoints`] is the one route table: the app is configured from it, and a test holds it
//! equal to the paths and methods of `openapi.yaml`.

mod acknowledgments;
mod alerts;
pub(crate) mod attendance;
mod audit;
mod auth;
pub(crate) mod authorizations;
mod batches;
pub(crate) mod claims;
mod clients;
pub mod context;
mod coverages;
mod day_rates;
mod episodes;
mod estimates;
pub mod extract;
mod fee_schedules;
mod health;
pub(crate) mod idempotency;
mod metrics;
mod organization;
pub(crate) mod payers;
mod remittances;
mod reports;
mod service_codes;
mod terms;
mod users;
mod verifications;

use actix_web::http::Method;
use actix_web::{web, Handler, HttpResponse, Responder, Route};
use serde::Serialize;

use crate::error::ApiError;
use crate::store::{Page, StoreError};
use day_rates::DayRates;
use fee_schedules::FeeSchedules;
use service_codes::ServiceCodes;

pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    route: Route,
}

fn endpoint<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Endpoint {
        route: web::method(method.clone()).to(handler),
        method,
        path,
    }
}

pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    let table = vec![
        endpoint(M::GET, "/health", health::health),
        endpoint(M::GET, "/ready", health::ready),
        endpoint(M::GET, "/openapi.yaml", health::openapi),
        endpoint(M::GET, "/metrics", metrics::metrics),
        endpoint(M::POST, "/api/v1/auth/token", auth::token),
        endpoint(M::POST, "/api/v1/users", users::create),
        endpoint(M::GET, "/api/v1/users", users::list),
        endpoint(M::GET, "/api/v1/users/{id}", users::get),
        endpoint(M::PATCH, "/api/v1/users/{id}", users::update),
        endpoint(M::POST, "/api/v1/payers", payers::create),
        endpoint(M::GET, "/api/v1/payers", payers::list),
        endpoint(M::GET, "/api/v1/payers/{id}", payers::get),
        endpoint(M::PATCH, "/api/v1/payers/{id}", payers::update),
        endpoint(M::GET, "/api/v1/payers/{id}/health", payers::health),
        endpoint(M::POST, "/api/v1/clients", clients::create),
        endpoint(M::GET, "/api/v1/clients", clients::list),
        endpoint(M::GET, "/api/v1/clients/{id}", clients::get),
        endpoint(M::PATCH, "/api/v1/clients/{id}", clients::update),
        endpoint(M::POST, "/api/v1/clients/{id}/coverages", coverages::create),
        endpoint(M::GET, "/api/v1/clients/{id}/coverages", coverages::list),
        endpoint(
            M::GET,
            "/api/v1/clients/{id}/coverages/{coverage_id}",
            coverages::get,
        ),
        endpoint(
            M::PATCH,
            "/api/v1/clients/{id}/coverages/{coverage_id}",
            coverages::update,
        ),
        endpoint(M::POST, "/api/v1/clients/{id}/episodes", episodes::create),
        endpoint(M::GET, "/api/v1/clients/{id}/episodes", episodes::list),
        endpoint(
            M::GET,
            "/api/v1/clients/{id}/episodes/{episode_id}",
            episodes::get,
        ),
        endpoint(
            M::PATCH,
            "/api/v1/clients/{id}/episodes/{episode_id}",
            episodes::update,
        ),
        endpoint(M::GET, "/api/v1/audit", audit::list),
        endpoint(M::GET, "/api/v1/organization", organization::get),
        endpoint(M::PUT, "/api/v1/organization", organization::put),
        endpoint(M::POST, "/api/v1/verifications", verifications::create),
        endpoint(M::GET, "/api/v1/verifications/{id}", verifications::get),
        endpoint(M::POST, "/api/v1/verification-batches", batches::create),
        endpoint(M::GET, "/api/v1/verification-batches/{id}", batches::get),
        endpoint(
            M::GET,
            "/api/v1/clients/{id}/verifications",
            verifications::list_for_client,
        ),
        endpoint(M::POST, "/api/v1/attendance", attendance::record),
        endpoint(M::GET, "/api/v1/attendance", attendance::list),
        endpoint(M::POST, "/api/v1/attendance/import", attendance::import),
        endpoint(
            M::GET,
            "/api/v1/clients/{id}/attendance",
            attendance::for_client,
        ),
        endpoint(M::POST, "/api/v1/authorizations", authorizations::create),
        endpoint(M::GET, "/api/v1/authorizations", authorizations::list),
        endpoint(M::GET, "/api/v1/authorizations/{id}", authorizations::get),
        endpoint(
            M::PATCH,
            "/api/v1/authorizations/{id}",
            authorizations::update,
        ),
        endpoint(
            M::POST,
            "/api/v1/authorizations/{id}/extensions",
            authorizations::add_extension,
        ),
        endpoint(
            M::GET,
            "/api/v1/clients/{id}/authorizations",
            authorizations::list_for_client,
        ),
        endpoint(M::GET, "/api/v1/alerts", alerts::list),
        endpoint(M::POST, "/api/v1/claims/generate", claims::generate),
        // Before `/api/v1/claims/{id}`, which would otherwise take `x12` for an id.
        endpoint(M::POST, "/api/v1/claims/x12", claims::x12_many),
        endpoint(M::GET, "/api/v1/claims", claims::list),
        endpoint(M::GET, "/api/v1/claims/{id}", claims::get),
        endpoint(M::POST, "/api/v1/claims/{id}/status", claims::change_status),
        endpoint(M::POST, "/api/v1/claims/{id}/void", claims::void),
        endpoint(M::POST, "/api/v1/claims/{id}/replace", claims::replace),
        endpoint(M::GET, "/api/v1/claims/{id}/x12", claims::x12_one),
        endpoint(M::GET, "/api/v1/reports/unbilled", claims::unbilled),
        endpoint(
            M::GET,
            "/api/v1/reports/underpayments",
            reports::underpayments,
        ),
        endpoint(M::GET, "/api/v1/reports/denials", reports::denials),
        endpoint(M::POST, "/api/v1/remittances", remittances::receive),
        endpoint(M::GET, "/api/v1/remittances", remittances::list),
        endpoint(M::GET, "/api/v1/remittances/{id}", remittances::get),
        endpoint(M::GET, "/api/v1/clients/{id}/balance", remittances::balance),
        endpoint(M::POST, "/api/v1/acknowledgments", acknowledgments::receive),
        endpoint(M::GET, "/api/v1/acknowledgments", acknowledgments::list),
        endpoint(M::GET, "/api/v1/acknowledgments/{id}", acknowledgments::get),
        endpoint(M::POST, "/api/v1/estimates", estimates::create),
        endpoint(M::GET, "/api/v1/estimates/{id}", estimates::get),
    ];
    // Their paths come from each kind's `Terms::COLLECTION`, the one place they are written.
    table
        .into_iter()
        .chain(terms::endpoints::<FeeSchedules>())
        .chain(terms::endpoints::<DayRates>())
        .chain(terms::endpoints::<ServiceCodes>())
        .collect()
}

/// Registers the table: one resource per path, so a known path with an unknown method answers
/// 405 (as a problem) rather than 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut by_path: Vec<(&'static str, Vec<Endpoint>)> = Vec::new();
    for endpoint in endpoints() {
        match by_path.iter_mut().find(|(path, _)| *path == endpoint.path) {
            Some((_, endpoints)) => endpoints.push(endpoint),
            None => by_path.push((endpoint.path, vec![endpoint])),
        }
    }
    for (path, endpoints) in by_path {
        let allow: Vec<&str> = endpoints.iter().map(|e| e.method.as_str()).collect();
        let allow = allow.join(", ");
        let mut resource = web::resource(path);
        for endpoint in endpoints {
            resource = resource.route(endpoint.route);
        }
        let refuse = move || {
            let allow = allow.clone();
            async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) }
        };
        cfg.service(resource.default_service(web::to(refuse)));
    }
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("resource at this path"))
}

/// A page of a listing, as every list endpoint returns it.
#[derive(Serialize)]
pub struct PageOf<T: Serialize> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

impl<T: Serialize> PageOf<T> {
    pub fn new(items: Vec<T>, total: i64, page: Page) -> PageOf<T> {
        PageOf {
            items,
            total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        ApiError::internal(error)
    }
}

pub use crate::error::unique_conflict;

pub fn created<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Created().json(body)
}

pub fn ok<T: Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok().json(body)
}
