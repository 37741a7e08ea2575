//! The audited request context: who is asking (with roles), in which request, from which peer —
//! and the only way a handler reaches the database, through a transaction that writes the
//! audit of what it read or wrote before the response can leave.
//!
//! A handler takes a [`Ctx`], checks roles with [`Ctx::require`], opens [`Ctx::read`] or
//! [`Ctx::write`], passes the [`Audited`] transaction to the store (it derefs to a
//! [`Tx`]), names what it touched with [`Audited::audit`] / [`Audited::audit_all`], and
//! [`Audited::commit`]s. The audit rows are committed before `commit` returns:
//!
//! - a write's audit rows are in its own transaction, so the write and its audit land together;
//! - a read reads on the read pool, then hands its audit rows to the audit queue
//!   (`store::audit_queue`), which writes those of many requests in one insert, and waits
//!   until they are committed.

use std::fmt::Display;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::str::FromStr;

use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::auth::Staff;
use crate::domain::role::Role;
use crate::error::{current_request_id, ApiError};
use crate::services::verification::Requester;
use crate::state::AppState;
use crate::store::audit::{self, Action, AuditEntry, NewAuditEvent};
use crate::store::Tx;

/// The signed-in staff member's request.
pub struct Ctx {
    state: web::Data<AppState>,
    pub staff: Staff,
    pub request_id: String,
    /// The connecting peer's address. Forwarded-for headers are not trusted: anyone can set
    /// them, and an audit trail must not record a caller-chosen address.
    pub peer: Option<String>,
    req: HttpRequest,
}

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Ctx, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let staff = Staff::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move { Ctx::for_staff(&req, staff.await?) })
    }
}

impl Ctx {
    /// The context of `staff`'s request, however they proved who they are: a bearer token
    /// (the API) or a session cookie (the web app's pages).
    pub fn for_staff(req: &HttpRequest, staff: Staff) -> Result<Ctx, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
        Ok(Ctx {
            state,
            staff,
            request_id: current_request_id(),
            peer: req.peer_addr().map(|addr| addr.ip().to_string()),
            req: req.clone(),
        })
    }

    /// Continues only when the staff member holds one of `allowed` (403 otherwise).
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        self.staff.require(allowed).map(|_| ())
    }

    /// The application's settings, keys and payer machinery. (Its database is reached through
    /// [`Ctx::read`] and [`Ctx::write`].)
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn request(&self) -> &HttpRequest {
        &self.req
    }

    /// A path segment as `T`, typically an entity id such as `ClientId` (400 naming the
    /// segment otherwise).
    pub fn path<T: FromStr<Err = String>>(&self, name: &str) -> Result<T, ApiError> {
        super::extract::path(&self.req, name)
    }

    /// The query string as `T` (400 naming the parameter otherwise).
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        super::extract::query(&self.req)
    }

    /// Who asks, for services that audit their own work (verification).
    pub fn requester(&self) -> Requester {
        Requester {
            user_id: self.staff.id_string(),
            ip: self.peer.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// A transaction that may write.
    pub async fn write(&self) -> Result<Audited<'_>, ApiError> {
        let tx = self.state.db.begin().await?;
        Ok(Audited::new(self, tx, Mode::Write))
    }

    /// A transaction that only reads: every statement sees one state of the database. (Its
    /// audit rows are written all the same, through the audit queue, before `commit` returns.)
    pub async fn read(&self) -> Result<Audited<'_>, ApiError> {
        let tx = self.state.db.begin_read().await?;
        Ok(Audited::new(self, tx, Mode::Read))
    }

    /// Reads without a transaction ([`crate::store::Db::read_each`]), audited like
    /// [`Ctx::read`]: for a record read in one statement, or a page and its total.
    pub async fn read_each(&self) -> Result<Audited<'_>, ApiError> {
        let tx = self.state.db.read_each().await?;
        Ok(Audited::new(self, tx, Mode::Read))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Read,
    Write,
}

/// Accesses to audit: an action on records of one kind.
struct Access {
    action: Action,
    entity_type: &'static str,
    ids: Vec<String>,
}

/// A request's transaction and the accesses it has to audit. Dropped without
/// [`Audited::commit`], it rolls back and audits nothing (its request answers an error).
pub struct Audited<'c> {
    ctx: &'c Ctx,
    tx: Tx,
    mode: Mode,
    accesses: Vec<Access>,
}

impl Deref for Audited<'_> {
    type Target = Tx;

    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for Audited<'_> {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}

impl<'c> Audited<'c> {
    fn new(ctx: &'c Ctx, tx: Tx, mode: Mode) -> Audited<'c> {
        Audited {
            ctx,
            tx,
            mode,
            accesses: Vec::new(),
        }
    }

    /// Audits `action` on one record.
    pub fn audit(&mut self, action: Action, entity_type: &'static str, id: impl Display) {
        self.audit_all(action, entity_type, [id]);
    }

    /// Audits `action` on each of `ids` (a list shown, a file exported): one event per record.
    pub fn audit_all<I>(&mut self, action: Action, entity_type: &'static str, ids: I)
    where
        I: IntoIterator,
        I::Item: Display,
    {
        let ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
        if ids.is_empty() {
            return;
        }
        match self
            .accesses
            .iter_mut()
            .find(|a| a.action == action && a.entity_type == entity_type)
        {
            Some(access) => access.ids.extend(ids),
            None => self.accesses.push(Access {
                action,
                entity_type,
                ids,
            }),
        }
    }

    /// Commits the work and its audit; returns once both are stored.
    pub async fn commit(self) -> Result<(), ApiError> {
        let Audited {
            ctx,
            mut tx,
            mode,
            accesses,
        } = self;
        if mode == Mode::Write {
            record(ctx, &mut tx, &accesses).await?;
            tx.commit().await?;
            return Ok(());
        }
        tx.commit().await?;
        audit_apart(ctx, &accesses).await
    }

    /// Rolls the work back and keeps only the audit: a dry run showed what it would have
    /// written, and showing it is an access.
    pub async fn roll_back_keeping_audit(self) -> Result<(), ApiError> {
        let Audited {
            ctx, tx, accesses, ..
        } = self;
        drop(tx);
        audit_apart(ctx, &accesses).await
    }
}

/// Audits through the audit queue, which writes many requests' rows at once.
async fn audit_apart(ctx: &Ctx, accesses: &[Access]) -> Result<(), ApiError> {
    let user_id = ctx.staff.id_string();
    let rows = accesses
        .iter()
        .flat_map(|access| {
            access.ids.iter().map(|id| NewAuditEvent {
                user_id: Some(user_id.clone()),
                action: access.action,
                entity_type: access.entity_type,
                entity_id: Some(id.clone()),
                ip: ctx.peer.clone(),
                request_id: ctx.request_id.clone(),
            })
        })
        .collect();
    ctx.state.audits.record(rows).await?;
    Ok(())
}

async fn record(ctx: &Ctx, tx: &mut Tx, accesses: &[Access]) -> Result<(), ApiError> {
    let user_id = ctx.staff.id_string();
    for access in accesses {
        audit::record_many(
            tx,
            &AuditEntry {
                user_id: Some(&user_id),
                action: access.action,
                entity_type: access.entity_type,
                entity_id: None,
                ip: ctx.peer.as_deref(),
                request_id: &ctx.request_id,
            },
            &access.ids,
        )
        .await
        .map_err(ApiError::internal)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    /// Files that reach the database without a [`super::Ctx`]: sign-in has no staff member yet
    /// and records its own events, health checks sign nobody in, metrics read only counts (pool
    /// connections, batch items per state), and this module is the way through.
    const OUTSIDE: &[&str] = &["auth.rs", "health.rs", "metrics.rs", "context.rs"];
    /// What a file that reaches the database without the context would have to name.
    const FORBIDDEN: &[&str] = &["store::audit::record", "web::Data<AppState>", "state.db"];
    /// The body extractors read their size limits from the settings, before any handler runs.
    const ALLOWED: &[(&str, &str)] = &[("extract.rs", "web::Data<AppState>")];

    fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    /// Whether `text` names a field or method `db` (`x.db`, `x.db.begin()`, `x().db`).
    fn names_db(text: &str) -> bool {
        text.match_indices(".db").any(|(at, _)| {
            !text[at + 3..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    }

    fn violations(name: &str, text: &str) -> Vec<String> {
        let mut found: Vec<String> = FORBIDDEN
            .iter()
            .filter(|pattern| text.contains(**pattern) && !ALLOWED.contains(&(name, **pattern)))
            .map(|pattern| format!("{name} names `{pattern}`"))
            .collect();
        if names_db(text) {
            found.push(format!("{name} names `.db`"));
        }
        found
    }

    /// So that an unaudited read of client data cannot be written, a handler reaches the
    /// database only through `Ctx`: no other file of `src/routes/` names the pool, the state
    /// as an extractor, or the audit writer.
    #[test]
    fn handlers_reach_the_database_only_through_the_context() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        let found = violations_under(&dir, OUTSIDE);
        assert!(
            found.1 >= 15,
            "only {} handler files found in {dir:?}",
            found.1
        );
        assert!(found.0.is_empty(), "{}", found.0.join("\n"));
    }

    /// The web app's pages likewise: only the session machinery (which has no staff member
    /// until it finds the session), sign-in and the background sweep of ended sessions (no
    /// staff member, no client data) reach the database without a `Ctx`.
    #[test]
    fn pages_reach_the_database_only_through_the_context() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let found = violations_under(&dir, &["page.rs", "signin.rs", "sweep.rs"]);
        assert!(found.1 >= 3, "only {} page files found in {dir:?}", found.1);
        assert!(found.0.is_empty(), "{}", found.0.join("\n"));
    }

    /// The violations in the files under `dir` but those named `outside`, and how many files
    /// were read.
    fn violations_under(dir: &Path, outside: &[&str]) -> (Vec<String>, usize) {
        let mut files = Vec::new();
        sources(dir, &mut files);
        let mut checked = 0;
        let mut found = Vec::new();
        for path in files {
            let name = path.file_name().unwrap().to_str().unwrap();
            if outside.contains(&name) {
                continue;
            }
            found.extend(violations(name, &fs::read_to_string(&path).unwrap()));
            checked += 1;
        }
        (found, checked)
    }

    #[test]
    fn each_way_around_the_context_is_caught() {
        for text in [
            "let mut tx = state.db.begin().await?;",
            "let db = &ctx.state().db;",
            "store::audit::record(&mut tx, &entry)",
            "state: web::Data<AppState>,",
        ] {
            assert!(!violations("claims.rs", text).is_empty(), "{text}");
        }
        assert!(violations("claims.rs", "let debts = dbg!(x.dbname);").is_empty());
        assert!(violations("extract.rs", "req.app_data::<web::Data<AppState>>()").is_empty());
    }
}
