//! The staff web app: server-rendered HTML (maud) at `/`, beside the bearer-only API at
//! `/api/v1`. Pages sign in with the same accounts and rules as the API, keep a server-side
//! session (`session`, `store::web_sessions`), refuse forged forms (`csrf`), and reach the
//! database only through the API's audited request context (`page::Page` holds a `Ctx`).
//!
//! How to add a screen:
//! - a handler `async fn(page: Page) -> Result<HttpResponse, WebError>` (or `form: Form<T>` for
//!   a POST, whose CSRF token is checked before the handler runs) in a module of its own;
//! - first line `page.require(ROLES)?`; then `page.ctx.read_each()` / `.read()` / `.write()`,
//!   `tx.audit(..)` for every client record shown, `tx.commit()`;
//! - `page.render("/menu/href", "Title", html! { .. })`, with `(page.csrf_field())` in every
//!   `<form method="post">`; inputs through `fields` (label, hint, error beside the field);
//!   a refused form is rendered again with `fields::Errors` (422), a successful POST answers
//!   `page::see_other(path)`;
//! - register the route in [`configure`], and the menu entry in `layout::MENU`.
//!
//! Every response here gets the security headers of [`security_headers`]; errors are HTML pages
//! (`error::WebError`), never problem documents.

pub mod admin;
pub mod admissions;
pub mod assets;
pub mod billing;
pub mod csrf;
pub mod error;
pub mod fields;
pub mod format;
pub mod home;
pub mod layout;
pub mod page;
pub mod session;
pub mod signin;
pub mod sweep;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpRequest, HttpResponse};

use error::WebError;

/// The policy of every page: only our own script, style and forms; no framing; no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// Registers the web app's routes. Call after the API's, so that `/api/…`, `/health` and the
/// other API paths keep their own handlers.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("")
            .wrap(from_fn(security_headers))
            .route("/", web::get().to(home::home))
            .route("/signin", web::get().to(signin::form))
            .route("/signin", web::post().to(signin::submit))
            .route("/signout", web::post().to(signin::sign_out))
            .route("/assets/{file}", web::get().to(assets::serve))
            .route("/clients", web::get().to(admissions::find::start))
            .route("/clients/search", web::post().to(admissions::find::search))
            .route("/clients/new", web::get().to(admissions::enroll::form))
            .route("/clients/new", web::post().to(admissions::enroll::submit))
            .route("/clients/{id}", web::get().to(admissions::client::show))
            .route(
                "/clients/{id}/coverages",
                web::post().to(admissions::client::add_coverage),
            )
            .route(
                "/clients/{id}/verify",
                web::post().to(admissions::client::verify),
            )
            .route(
                "/verifications/{id}",
                web::get().to(admissions::result::show),
            )
            .route(
                "/verifications/{id}/print",
                web::get().to(admissions::result::print),
            )
            .route(
                "/verifications/{id}/estimate",
                web::get().to(admissions::estimate::form),
            )
            .route(
                "/verifications/{id}/estimate",
                web::post().to(admissions::estimate::submit),
            )
            .route("/estimates/{id}", web::get().to(admissions::estimate::show))
            .route("/batches", web::get().to(admissions::batch::form))
            .route("/batches", web::post().to(admissions::batch::submit))
            .route("/batches/{id}", web::get().to(admissions::batch::show))
            .route(
                "/batches/{id}/progress",
                web::get().to(admissions::batch::progress),
            )
            .route("/admin/clinic", web::get().to(admin::clinic::clinic))
            .route("/admin/staff", web::get().to(admin::staff::list))
            .route("/admin/staff", web::post().to(admin::staff::create))
            .route("/admin/staff/{id}", web::get().to(admin::staff::show))
            .route("/admin/staff/{id}", web::post().to(admin::staff::update))
            .route(
                "/admin/staff/{id}/standing",
                web::post().to(admin::staff::standing),
            )
            .route("/admin/audit", web::get().to(admin::audit_log::list))
            .route("/admin/payers", web::get().to(admin::payers::list))
            .route("/admin/payers", web::post().to(admin::payers::create))
            .route("/admin/payers/{id}", web::get().to(admin::payers::show))
            .route("/admin/payers/{id}", web::post().to(admin::payers::update))
            .route("/billing", web::get().to(billing::desk::show))
            .route(
                "/billing/attendance",
                web::get().to(billing::attendance::form),
            )
            .route(
                "/billing/attendance",
                web::post().to(billing::attendance::submit),
            )
            .route("/billing/generate", web::get().to(billing::generate::form))
            .route(
                "/billing/generate/preview",
                web::post().to(billing::generate::preview),
            )
            .route(
                "/billing/generate",
                web::post().to(billing::generate::confirm),
            )
            .route("/billing/claims", web::get().to(billing::claims::list))
            .route("/billing/claims/{id}", web::get().to(billing::claim::show))
            .route(
                "/billing/claims/{id}/status",
                web::post().to(billing::claims::change_status),
            )
            .route(
                "/billing/claims/{id}/void",
                web::post().to(billing::claims::void),
            )
            .route(
                "/billing/claims/{id}/replace",
                web::post().to(billing::claims::replace),
            )
            .route(
                "/billing/claims/{id}/837",
                web::post().to(billing::claims::download),
            )
            .route("/billing/unbilled", web::get().to(billing::unbilled::show))
            .route(
                "/billing/clients/{id}",
                web::get().to(billing::client::show),
            )
            .route(
                "/billing/authorizations/{id}/extensions",
                web::post().to(billing::client::add_extension),
            )
            .default_service(web::to(not_found)),
    );
}

/// An unknown path: under `/api/` the API's problem document, elsewhere a page.
async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    if req.path().starts_with("/api/") {
        return Err(crate::routes::not_found().await.unwrap_err().into());
    }
    Err(WebError::NotFound("page").into())
}

/// The headers of every web response: the CSP, no sniffing, no referrer (a URL holds ids of
/// clients), no framing, and pages not stored by the browser or a proxy (assets say otherwise).
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(response)
}
