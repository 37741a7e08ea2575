//! The append-only access audit. This module has no update and no delete, on purpose.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Tx};
use crate::domain::ids::new_id;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    Export,
    Login,
    LoginFailed,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Export => "export",
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
        }
    }

    /// Every action, in the order lists show them.
    pub const ALL: [Action; 6] = [
        Action::Read,
        Action::Create,
        Action::Update,
        Action::Export,
        Action::Login,
        Action::LoginFailed,
    ];

    pub fn parse(raw: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == raw)
    }
}

/// Who did what to which record, from where, in which request.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub user_id: Option<&'a str>,
    pub action: Action,
    pub entity_type: &'static str,
    pub entity_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub request_id: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub user_id: Option<String>,
    pub action: Action,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: String,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    occurred_at: DateTime<Utc>,
    user_id: Option<String>,
    action: String,
    entity_type: String,
    entity_id: Option<String>,
    ip: Option<String>,
    request_id: String,
}

impl AuditRow {
    fn parse(self) -> StoreResult<AuditEvent> {
        let action = Action::parse(&self.action)
            .ok_or_else(|| StoreError::corrupt("audit event", "unknown action"))?;
        Ok(AuditEvent {
            id: self.id,
            occurred_at: self.occurred_at,
            user_id: self.user_id,
            action,
            entity_type: self.entity_type,
            entity_id: self.entity_id,
            ip: self.ip,
            request_id: self.request_id,
        })
    }
}

pub async fn record(tx: &mut Tx, entry: &AuditEntry<'_>) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO audit_events (id, occurred_at, user_id, action, entity_type, entity_id, ip,
            request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(new_id().to_string())
    .bind(now())
    .bind(entry.user_id)
    .bind(entry.action.as_str())
    .bind(entry.entity_type)
    .bind(entry.entity_id)
    .bind(entry.ip)
    .bind(entry.request_id)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Records the same access to many records (a list shown, a file exported) in a few
/// statements: one event per id, as [`record`] would write them.
pub async fn record_many(
    tx: &mut Tx,
    entry: &AuditEntry<'_>,
    entity_ids: &[String],
) -> StoreResult<()> {
    let rows: Vec<NewAuditEvent> = entity_ids
        .iter()
        .map(|id| NewAuditEvent {
            user_id: entry.user_id.map(str::to_string),
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: Some(id.clone()),
            ip: entry.ip.map(str::to_string),
            request_id: entry.request_id.to_string(),
        })
        .collect();
    record_rows(tx, &rows.iter().collect::<Vec<_>>()).await
}

/// One event to write, owning its values (rows travel between requests and the audit queue).
#[derive(Debug, Clone)]
pub struct NewAuditEvent {
    pub user_id: Option<String>,
    pub action: Action,
    pub entity_type: &'static str,
    pub entity_id: Option<String>,
    pub ip: Option<String>,
    pub request_id: String,
}

/// Writes `rows` in as few statements as the backends allow.
pub async fn record_rows(tx: &mut Tx, rows: &[&NewAuditEvent]) -> StoreResult<()> {
    const SQL: &str = "INSERT INTO audit_events (id, occurred_at, user_id, action, entity_type, \
        entity_id, ip, request_id) ";
    // Eight binds an event: 1,000 stay under every backend's limit.
    const ROWS: usize = 1_000;
    let at = now();
    macro_rules! insert {
        ($db:ty, $conn:expr, $chunk:expr) => {{
            let mut query = sqlx::QueryBuilder::<$db>::new(SQL);
            query.push_values($chunk, |mut row, event| {
                row.push_bind(new_id().to_string())
                    .push_bind(at)
                    .push_bind(event.user_id.as_deref())
                    .push_bind(event.action.as_str())
                    .push_bind(event.entity_type)
                    .push_bind(event.entity_id.as_deref())
                    .push_bind(event.ip.as_deref())
                    .push_bind(event.request_id.as_str());
            });
            query.build().execute($conn).await?;
        }};
    }
    for chunk in rows.chunks(ROWS) {
        match tx {
            Tx::Sqlite(transaction) => insert!(sqlx::Sqlite, &mut **transaction, chunk),
            Tx::Postgres(transaction) => insert!(sqlx::Postgres, &mut **transaction, chunk),
        }
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity_id: Option<String>,
    pub user_id: Option<String>,
    pub action: Option<Action>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Events matching every given criterion, newest first. `from` is inclusive, `to` exclusive.
pub async fn list(
    tx: &mut Tx,
    filter: &AuditFilter,
    page: Page,
) -> StoreResult<(Vec<AuditEvent>, i64)> {
    let condition = "WHERE ($1 IS NULL OR entity_id = $1)
                       AND ($2 IS NULL OR user_id = $2)
                       AND ($3 IS NULL OR action = $3)
                       AND ($4 IS NULL OR occurred_at >= $4)
                       AND ($5 IS NULL OR occurred_at < $5)";
    let action = filter.action.map(Action::as_str);
    let (rows, total) = page_of!(
        tx,
        AuditRow,
        "id, occurred_at, user_id, action, entity_type, entity_id, ip, request_id",
        format!("FROM audit_events {condition}"),
        "occurred_at DESC, id DESC",
        page,
        [
            &filter.entity_id,
            &filter.user_id,
            action,
            filter.from,
            filter.to
        ]
    );
    let events = rows
        .into_iter()
        .map(AuditRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((events, total))
}
