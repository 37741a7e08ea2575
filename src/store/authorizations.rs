//! Prior authorizations and their extensions (PHI: callers audit every access).
//!
//! The payer's initial decision is stored as entered, and each extension (concurrent review)
//! as a row of its own, in the order recorded; nothing here updates an extension or deletes
//! anything. The current figures are derived from both by
//! [`domain::authorization::current`](crate::domain::authorization::current), and the
//! `active_on` filter applies the same rule in SQL ([`CURRENT_END`]).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::domain::ids::{AuthorizationId, ClientId, CoverageId};

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Tx};
use crate::domain::authorization::{
    self, AuthorizationInput, AuthorizationStatus, Extension, ExtensionInput, Figures,
    NewAuthorization, Window,
};
use crate::domain::eligibility::{LevelOfCare, Program};

/// An authorization with its extensions, as the API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorization {
    pub id: AuthorizationId,
    /// The terms with the initial decision.
    pub terms: NewAuthorization,
    /// In the order recorded.
    pub extensions: Vec<RecordedExtension>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Authorization {
    /// The figures in force: the initial decision plus every extension.
    pub fn current(&self) -> Figures {
        authorization::current(
            self.terms.initial(),
            self.extensions.iter().map(|recorded| &recorded.extension),
        )
    }

    /// The days it covers now.
    pub fn window(&self) -> Window {
        Window {
            start: self.terms.start_date,
            end: self.current().end_date,
        }
    }
}

/// The wire shape: the current `days_approved` and `end_date` at the top, the initial decision
/// under `initial`, and the extensions that lead from one to the other.
impl Serialize for Authorization {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            id: AuthorizationId,
            client_id: Uuid,
            coverage_id: Uuid,
            level_of_care: LevelOfCare,
            program: Program,
            authorization_number: &'a str,
            status: AuthorizationStatus,
            start_date: NaiveDate,
            end_date: NaiveDate,
            days_approved: u32,
            initial: Figures,
            extensions: &'a [RecordedExtension],
            next_review_date: Option<NaiveDate>,
            care_manager_name: Option<&'a str>,
            care_manager_phone: Option<&'a str>,
            notes: Option<&'a str>,
            created_by: Uuid,
            created_at: DateTime<Utc>,
            updated_at: DateTime<Utc>,
        }
        let terms = &self.terms;
        let current = self.current();
        Wire {
            id: self.id,
            client_id: terms.client_id,
            coverage_id: terms.coverage_id,
            level_of_care: terms.level_of_care,
            program: terms.program,
            authorization_number: terms.authorization_number.as_str(),
            status: terms.status,
            start_date: terms.start_date,
            end_date: current.end_date,
            days_approved: current.days_approved,
            initial: terms.initial(),
            extensions: &self.extensions,
            next_review_date: terms.next_review_date,
            care_manager_name: terms.care_manager_name.as_ref().map(|n| n.as_str()),
            care_manager_phone: terms.care_manager_phone.as_ref().map(|p| p.as_str()),
            notes: terms.notes.as_ref().map(|n| n.as_str()),
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
        .serialize(serializer)
    }
}

/// An extension as recorded: by whom and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedExtension {
    pub id: Uuid,
    #[serde(flatten)]
    pub extension: Extension,
    pub recorded_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AuthorizationRow {
    id: String,
    client_id: String,
    coverage_id: String,
    level_of_care: String,
    program: String,
    authorization_number: String,
    start_date: NaiveDate,
    end_date: NaiveDate,
    days_approved: i64,
    status: String,
    next_review_date: Option<NaiveDate>,
    care_manager_name: Option<String>,
    care_manager_phone: Option<String>,
    notes: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn uuid(entity: &'static str, raw: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw).map_err(|e| StoreError::corrupt(entity, e))
}

impl AuthorizationRow {
    /// Parsed again through the API's rules: a corrupt row is an error, not an authorization
    /// that could not have been entered.
    fn parse(self, extensions: Vec<RecordedExtension>) -> StoreResult<Authorization> {
        let terms = AuthorizationInput {
            client_id: Some(self.client_id),
            coverage_id: Some(self.coverage_id),
            level_of_care: Some(self.level_of_care),
            program: Some(self.program),
            authorization_number: Some(self.authorization_number),
            start_date: Some(self.start_date.to_string()),
            end_date: Some(self.end_date.to_string()),
            days_approved: Some(self.days_approved),
            status: Some(self.status),
            next_review_date: self.next_review_date.map(|d| d.to_string()),
            care_manager_name: self.care_manager_name,
            care_manager_phone: self.care_manager_phone,
            notes: self.notes,
        }
        .parse()
        .map_err(|e| StoreError::corrupt("authorization", e))?;
        Ok(Authorization {
            id: AuthorizationId::parse(&self.id)
                .map_err(|e| StoreError::corrupt("authorization", e))?,
            terms,
            extensions,
            created_by: uuid("authorization", &self.created_by)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ExtensionRow {
    id: String,
    authorization_id: String,
    effective_date: NaiveDate,
    reference: Option<String>,
    days_added: i64,
    new_end_date: Option<NaiveDate>,
    notes: Option<String>,
    recorded_by: String,
    created_at: DateTime<Utc>,
}

impl ExtensionRow {
    fn parse(self) -> StoreResult<(String, RecordedExtension)> {
        let extension = ExtensionInput {
            effective_date: Some(self.effective_date.to_string()),
            reference: self.reference,
            days_added: Some(self.days_added),
            new_end_date: self.new_end_date.map(|d| d.to_string()),
            notes: self.notes,
        }
        .parse()
        .map_err(|e| StoreError::corrupt("authorization extension", e))?;
        let recorded = RecordedExtension {
            id: uuid("authorization extension", &self.id)?,
            extension,
            recorded_by: uuid("authorization extension", &self.recorded_by)?,
            created_at: self.created_at,
        };
        Ok((self.authorization_id, recorded))
    }
}

const COLUMNS: &str = "a.id, a.client_id, a.coverage_id, a.level_of_care, a.program, \
    a.authorization_number, a.start_date, a.end_date, a.days_approved, a.status, \
    a.next_review_date, a.care_manager_name, a.care_manager_phone, a.notes, a.created_by, \
    a.created_at, a.updated_at";

/// The current end date of the authorization `a`, in SQL: the new end date of the latest
/// extension that gave one, else the initial end date (the rule of `authorization::current`).
pub const CURRENT_END: &str = "COALESCE((SELECT e.new_end_date FROM authorization_extensions e
        WHERE e.authorization_id = a.id AND e.new_end_date IS NOT NULL
        ORDER BY e.created_at DESC, e.id DESC LIMIT 1), a.end_date)";

/// The extensions of the given authorizations, each list in the order recorded.
async fn extensions_of(
    tx: &mut Tx,
    ids: &[String],
) -> StoreResult<HashMap<String, Vec<RecordedExtension>>> {
    let mut by_authorization: HashMap<String, Vec<RecordedExtension>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_authorization);
    }
    let sql = format!(
        "SELECT id, authorization_id, effective_date, reference, days_added, new_end_date, notes,
                recorded_by, created_at
         FROM authorization_extensions WHERE authorization_id IN ({})
         ORDER BY created_at, id",
        super::attendance::list_placeholders(tx, ids.len())
    );
    let rows: Vec<ExtensionRow> = with_tx!(tx, |conn| {
        let mut query = sqlx::query_as(&sql);
        for id in ids {
            query = query.bind(id);
        }
        query.fetch_all(conn).await
    })?;
    for row in rows {
        let (authorization_id, extension) = row.parse()?;
        by_authorization
            .entry(authorization_id)
            .or_default()
            .push(extension);
    }
    Ok(by_authorization)
}

/// Rows with their extensions, in the rows' order.
async fn assemble(tx: &mut Tx, rows: Vec<AuthorizationRow>) -> StoreResult<Vec<Authorization>> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    let mut extensions = extensions_of(tx, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let own = extensions.remove(&row.id).unwrap_or_default();
            row.parse(own)
        })
        .collect()
}

pub async fn insert(
    tx: &mut Tx,
    id: AuthorizationId,
    created_by: Uuid,
    terms: &NewAuthorization,
) -> StoreResult<Authorization> {
    let at = now();
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO authorizations (id, client_id, coverage_id, level_of_care, program,
            authorization_number, start_date, end_date, days_approved, status, next_review_date,
            care_manager_name, care_manager_phone, notes, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)"
    )
    .bind(id)
    .bind(terms.client_id.to_string())
    .bind(terms.coverage_id.to_string())
    .bind(terms.level_of_care.as_str())
    .bind(terms.program.as_str())
    .bind(terms.authorization_number.as_str())
    .bind(terms.start_date)
    .bind(terms.end_date)
    .bind(i64::from(terms.days_approved))
    .bind(terms.status.as_str())
    .bind(terms.next_review_date)
    .bind(terms.care_manager_name.as_ref().map(|n| n.as_str()))
    .bind(terms.care_manager_phone.as_ref().map(|p| p.as_str()))
    .bind(terms.notes.as_ref().map(|n| n.as_str()))
    .bind(created_by.to_string())
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Authorization {
        id,
        terms: terms.clone(),
        extensions: Vec::new(),
        created_by,
        created_at: at,
        updated_at: at,
    })
}

pub async fn find(tx: &mut Tx, id: AuthorizationId) -> StoreResult<Option<Authorization>> {
    let sql = format!("SELECT {COLUMNS} FROM authorizations a WHERE a.id = $1");
    let row: Option<AuthorizationRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(assemble(tx, row.into_iter().collect()).await?.pop())
}

/// Criteria of a listing; every one given must match.
#[derive(Debug, Default, Clone)]
pub struct AuthorizationFilter {
    pub client_id: Option<ClientId>,
    pub coverage_id: Option<CoverageId>,
    pub level_of_care: Option<LevelOfCare>,
    pub status: Option<AuthorizationStatus>,
    /// A day inside the current window (start date to current end date, both included).
    pub active_on: Option<NaiveDate>,
}

/// Authorizations matching `filter`, the latest start first.
pub async fn list(
    tx: &mut Tx,
    filter: &AuthorizationFilter,
    page: Page,
) -> StoreResult<(Vec<Authorization>, i64)> {
    let condition = format!(
        "WHERE ($1 IS NULL OR a.client_id = $1)
           AND ($2 IS NULL OR a.coverage_id = $2)
           AND ($3 IS NULL OR a.level_of_care = $3)
           AND ($4 IS NULL OR a.status = $4)
           AND ($5 IS NULL OR (a.start_date <= $5 AND {CURRENT_END} >= $5))"
    );
    let level = filter.level_of_care.map(LevelOfCare::as_str);
    let status = filter.status.map(AuthorizationStatus::as_str);
    let (rows, total) = page_of!(
        tx,
        AuthorizationRow,
        COLUMNS,
        format!("FROM authorizations a {condition}"),
        "a.start_date DESC, a.created_at DESC, a.id DESC",
        page,
        [
            filter.client_id,
            filter.coverage_id,
            level,
            status,
            filter.active_on
        ]
    );
    Ok((assemble(tx, rows).await?, total))
}

/// The approved and partially approved authorizations of a client's coverage at one level of
/// care: the ones a window at that level must not overlap.
pub async fn active_at_level(
    tx: &mut Tx,
    client_id: ClientId,
    coverage_id: CoverageId,
    level: LevelOfCare,
) -> StoreResult<Vec<Authorization>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM authorizations a
         WHERE a.client_id = $1 AND a.coverage_id = $2 AND a.level_of_care = $3
           AND a.status IN ('approved', 'partially_approved')
         ORDER BY a.start_date, a.id"
    );
    let rows: Vec<AuthorizationRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(client_id)
        .bind(coverage_id)
        .bind(level.as_str())
        .fetch_all(conn)
        .await)?;
    assemble(tx, rows).await
}

/// Stores corrected terms. The client and the coverage are not columns it writes.
pub async fn update(
    tx: &mut Tx,
    id: AuthorizationId,
    terms: &NewAuthorization,
) -> StoreResult<Option<Authorization>> {
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE authorizations SET level_of_care = $2, program = $3, authorization_number = $4,
            start_date = $5, end_date = $6, days_approved = $7, status = $8,
            next_review_date = $9, care_manager_name = $10, care_manager_phone = $11,
            notes = $12, updated_at = $13
         WHERE id = $1"
    )
    .bind(id)
    .bind(terms.level_of_care.as_str())
    .bind(terms.program.as_str())
    .bind(terms.authorization_number.as_str())
    .bind(terms.start_date)
    .bind(terms.end_date)
    .bind(i64::from(terms.days_approved))
    .bind(terms.status.as_str())
    .bind(terms.next_review_date)
    .bind(terms.care_manager_name.as_ref().map(|n| n.as_str()))
    .bind(terms.care_manager_phone.as_ref().map(|p| p.as_str()))
    .bind(terms.notes.as_ref().map(|n| n.as_str()))
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    find(tx, id).await
}

/// Records an extension after the existing ones, and marks the authorization updated (its
/// current figures changed). The initial decision is left as it is.
pub async fn add_extension(
    tx: &mut Tx,
    id: Uuid,
    authorization_id: AuthorizationId,
    recorded_by: Uuid,
    extension: &Extension,
) -> StoreResult<Option<Authorization>> {
    let at = now();
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE authorizations SET updated_at = $2 WHERE id = $1"
    )
    .bind(authorization_id)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO authorization_extensions (id, authorization_id, effective_date, reference,
            days_added, new_end_date, notes, recorded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(id.to_string())
    .bind(authorization_id)
    .bind(extension.effective_date)
    .bind(extension.reference.as_ref().map(|r| r.as_str()))
    .bind(i64::from(extension.days_added))
    .bind(extension.new_end_date)
    .bind(extension.notes.as_ref().map(|n| n.as_str()))
    .bind(recorded_by.to_string())
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    find(tx, authorization_id).await
}

/// Every authorization of these clients that ever authorized days (approved, partially
/// approved, or since expired), with extensions: what the ledger is derived from.
pub async fn authorizing_for_clients(
    tx: &mut Tx,
    client_ids: &[Uuid],
) -> StoreResult<Vec<Authorization>> {
    let mut all = Vec::new();
    for chunk in client_ids.chunks(400) {
        let sql = format!(
            "SELECT {COLUMNS} FROM authorizations a
             WHERE a.status IN ('approved', 'partially_approved', 'expired')
               AND a.client_id IN ({})
             ORDER BY a.start_date, a.id",
            super::attendance::list_placeholders(tx, chunk.len())
        );
        let rows: Vec<AuthorizationRow> = with_tx!(tx, |conn| {
            let mut query = sqlx::query_as(&sql);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            query.fetch_all(conn).await
        })?;
        all.extend(assemble(tx, rows).await?);
    }
    Ok(all)
}

/// Clients holding an approved or partially approved authorization that has not ended by
/// `today` (its end date, or an extension's, today or later).
pub async fn clients_with_authorization_in_force(
    tx: &mut Tx,
    today: NaiveDate,
) -> StoreResult<Vec<Uuid>> {
    // An extension only ever moves the end date later (the service checks it), so an
    // authorization is in force while its own end date or an extension's is today or later.
    let ids: Vec<String> = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT DISTINCT a.client_id FROM authorizations a
         WHERE a.status IN ('approved', 'partially_approved')
           AND (a.end_date >= $1 OR EXISTS (
                SELECT 1 FROM authorization_extensions e
                WHERE e.authorization_id = a.id AND e.new_end_date >= $1))"
    )
    .bind(today)
    .fetch_all(conn)
    .await)?;
    ids.iter().map(|id| uuid("authorization", id)).collect()
}
