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
//! - a read on SQLite reads on the read pool, then commits its audit rows through the writer
//!   (grouped with the other requests' writes); on PostgreSQL they go in the read's own
//!   transaction.

use std::fmt::Display;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::auth::Staff;
use crate::domain::role::Role;
use crate::error::{current_request_id, ApiError};
use crate::services::verification::Requester;
use crate::state::AppState;
use crate::store::audit::{self, Action, AuditEntry};
use crate::store::{Db, Tx};

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
        Box::pin(async move {
            let staff = staff.await?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
            Ok(Ctx {
                state,
                staff,
                request_id: current_request_id(),
                peer: req.peer_addr().map(|addr| addr.ip().to_string()),
                req,
            })
        })
    }
}

impl Ctx {
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

    /// A path segment that must be an id (400 naming it otherwise).
    pub fn path_id(&self, name: &str) -> Result<String, ApiError> {
        super::extract::path_id(&self.req, name)
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

    /// A transaction that only reads (its audit rows are written all the same).
    pub async fn read(&self) -> Result<Audited<'_>, ApiError> {
        let tx = match &self.state.db {
            Db::Sqlite(_) => self.state.db.begin_read().await?,
            // One transaction for the read and its audit: the fewest round trips.
            Db::Postgres(_) => self.state.db.begin().await?,
        };
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
        let in_same_transaction = mode == Mode::Write || matches!(tx, Tx::Postgres(_));
        if in_same_transaction {
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

async fn audit_apart(ctx: &Ctx, accesses: &[Access]) -> Result<(), ApiError> {
    if accesses.is_empty() {
        return Ok(());
    }
    let mut tx = ctx.state.db.begin().await?;
    record(ctx, &mut tx, accesses).await?;
    tx.commit().await?;
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
