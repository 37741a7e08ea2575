//! The extractors every screen takes: [`Page`] for a view, [`Form`] for a posted form.
//!
//! A `Page` is the signed-in staff member's session turned into the same audited request
//! context the API uses ([`Ctx`]): the page reaches the database only through `page.ctx.read()`
//! or `.write()`, and names what it showed with `tx.audit(..)`. No session, or one that has
//! ended (idle, absolute lifetime, signed out, password changed, deactivated), sends the
//! visitor to sign-in and back. A `Form<T>` is a `Page` whose body carried the session's CSRF
//! token (and whose `Origin`, when given, is ours), parsed into `T`; anything else is refused
//! with a 403 page before the handler runs, so nothing changes.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::http::Method;
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::Duration;
use maud::Markup;
use serde::de::DeserializeOwned;

use super::csrf;
use super::error::WebError;
use super::layout::{self, Chrome};
use super::session::{self, Lifetime, Standing};
use crate::auth::{self, Staff};
use crate::domain::role::Role;
use crate::routes::context::Ctx;
use crate::state::AppState;
use crate::store::{now, web_sessions};

/// A signed-in staff member's page view.
pub struct Page {
    pub ctx: Ctx,
    pub username: String,
    csrf_token: String,
    /// The hash the session is stored under (never the cookie's token itself).
    session_hash: String,
}

impl Page {
    /// Continues only when the staff member holds one of `roles` (a friendly 403 page
    /// otherwise).
    pub fn require(&self, roles: &[Role]) -> Result<(), WebError> {
        self.ctx.require(roles).map_err(|_| WebError::Forbidden)
    }

    /// Whether the staff member holds one of `roles` (to show or leave out an action).
    pub fn may(&self, roles: &[Role]) -> bool {
        self.ctx.require(roles).is_ok()
    }

    /// The hash the session is stored under: what a one-time form key is recorded against.
    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }

    /// The hidden field a form on this page must carry.
    pub fn csrf_field(&self) -> Markup {
        layout::csrf_field(&self.csrf_token)
    }

    /// The page in the shell; `current` is the menu item it belongs to (its `href`).
    pub fn render(&self, current: &str, title: &str, content: Markup) -> HttpResponse {
        self.render_with(actix_web::http::StatusCode::OK, current, title, content)
    }

    /// As [`Page::render`], with another status (a form shown again with its errors is a 422).
    pub fn render_with(
        &self,
        status: actix_web::http::StatusCode,
        current: &str,
        title: &str,
        content: Markup,
    ) -> HttpResponse {
        let chrome = Chrome {
            username: &self.username,
            roles: &self.ctx.staff.roles,
            csrf_token: &self.csrf_token,
            current,
        };
        html(status, layout::page(&chrome, title, content))
    }
}

/// An HTML response.
pub fn html(status: actix_web::http::StatusCode, page: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.into_string())
}

/// After a form: go to `location` (303, so a reload does not send the form again).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

impl FromRequest for Page {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Page, WebError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await })
    }
}

/// A posted form: its page, and its fields parsed into `T` (which ignores the token field).
pub struct Form<T> {
    pub page: Page,
    pub fields: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = WebError;
    type Future = Pin<Box<dyn Future<Output = Result<Form<T>, WebError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let page = signed_in(&req).await?;
            let body = read_form(&req, &mut payload).await?;
            if !same_origin(&req) {
                return Err(WebError::Forged);
            }
            let given = csrf::field(&body, csrf::FIELD);
            if !csrf::matches(&page.csrf_token, given.as_deref()) {
                return Err(WebError::Forged);
            }
            let fields = serde_urlencoded::from_bytes(&body)
                .map_err(|e| WebError::BadRequest(e.to_string()))?;
            Ok(Form { page, fields })
        })
    }
}

/// A signed-in staff member's form body, up to the attendance import's limit
/// (`billing.max_import_bytes`): the attendance CSV travels in a form, and actix's default of
/// 256 KB refused a month of a mid-sized clinic's attendance. Read only once the session is
/// known, so a stranger cannot make the server hold that much.
async fn read_form(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
) -> Result<Bytes, WebError> {
    use futures_util::StreamExt as _;
    let limit = state(req)?.settings.billing.max_import_bytes;
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| WebError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(WebError::BadRequest(format!(
                "the form is larger than the {limit} bytes this server takes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether the request came from a page of this site ([`csrf::same_origin`]).
pub fn same_origin(req: &HttpRequest) -> bool {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|value| value.to_str().unwrap_or("unreadable"))
    };
    let info = req.connection_info();
    csrf::same_origin(
        header("origin"),
        header("sec-fetch-site"),
        info.scheme(),
        info.host(),
    )
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| WebError::internal(anyhow::anyhow!("app state missing")))
}

/// Sessions last as the settings say.
pub fn lifetime(state: &AppState) -> Lifetime {
    let web = &state.settings.web;
    Lifetime {
        idle: Duration::seconds(i64::try_from(web.session_idle_seconds).unwrap_or(1800)),
        absolute: Duration::seconds(i64::try_from(web.session_lifetime_seconds).unwrap_or(43200)),
    }
}

/// The session cookie's token, when the request carries a plausible one.
pub fn session_token(req: &HttpRequest) -> Option<String> {
    req.cookie(session::COOKIE)
        .map(|cookie| cookie.value().to_string())
        .filter(|token| session::plausible(token))
}

async fn signed_in(req: &HttpRequest) -> Result<Page, WebError> {
    let back = || WebError::SignIn {
        next: (req.method() == Method::GET).then(|| req.path().to_string()),
    };
    let state = state(req)?;
    let token = session_token(req).ok_or_else(back)?;
    let hash = session::token_hash(&token);
    let mut tx = state.db.read_each().await?;
    let stored = web_sessions::find(&mut tx, &hash).await?;
    tx.commit().await?;
    let stored = stored.ok_or_else(back)?;
    let at = now();
    let standing = session::standing(lifetime(state), stored.created_at, stored.last_seen_at, at);
    let account = match standing {
        Standing::Expired => Err(auth::Refused::Inactive),
        Standing::Fresh | Standing::Touch => {
            auth::admit(state, stored.user_id.as_uuid(), stored.credentials_version).await?
        }
    };
    let Ok(account) = account else {
        // Ended for good: no later visit with this cookie can revive it.
        let mut tx = state.db.begin().await?;
        web_sessions::delete(&mut tx, &hash).await?;
        tx.commit().await?;
        return Err(back());
    };
    if standing == Standing::Touch {
        let mut tx = state.db.begin().await?;
        web_sessions::touch(&mut tx, &hash, at).await?;
        tx.commit().await?;
    }
    let staff = Staff {
        id: stored.user_id.as_uuid(),
        roles: account.roles,
    };
    tracing::Span::current().record("user_id", tracing::field::display(staff.id));
    Ok(Page {
        ctx: Ctx::for_staff(req, staff)?,
        username: stored.username,
        csrf_token: stored.csrf_token,
        session_hash: hash,
    })
}
