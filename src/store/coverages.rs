//! Coverages: a client's plan memberships (PHI: callers audit every access).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{now, page_of, with_tx, Page, StoreError, StoreResult, Stored, Tx};
use crate::domain::coverage::{CoverageInput, NewCoverage, SubscriberInput};
use crate::domain::ids::{ClientId, CoverageId};

/// A coverage with the client it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientCoverage {
    pub client_id: ClientId,
    #[serde(flatten)]
    pub coverage: NewCoverage,
}

pub type Coverage = Stored<ClientCoverage, CoverageId>;

#[derive(sqlx::FromRow)]
struct CoverageRow {
    id: CoverageId,
    client_id: ClientId,
    payer_id: String,
    member_id: String,
    group_number: Option<String>,
    plan_name: Option<String>,
    relationship: String,
    subscriber_first_name: Option<String>,
    subscriber_last_name: Option<String>,
    subscriber_date_of_birth: Option<NaiveDate>,
    subscriber_sex: Option<String>,
    priority: String,
    effective_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl CoverageRow {
    fn parse(self) -> StoreResult<Coverage> {
        let subscriber = self
            .subscriber_last_name
            .is_some()
            .then(|| SubscriberInput {
                first_name: self.subscriber_first_name,
                last_name: self.subscriber_last_name,
                date_of_birth: self.subscriber_date_of_birth.map(|d| d.to_string()),
                sex: self.subscriber_sex,
            });
        let coverage = CoverageInput {
            payer_id: Some(self.payer_id),
            member_id: Some(self.member_id),
            group_number: self.group_number,
            plan_name: self.plan_name,
            relationship: Some(self.relationship),
            subscriber,
            priority: Some(self.priority),
            effective_date: self.effective_date.map(|d| d.to_string()),
            end_date: self.end_date.map(|d| d.to_string()),
        }
        .parse_stored(Utc::now().date_naive())
        .map_err(|e| StoreError::corrupt("coverage", e))?;
        Ok(Stored::from_parts(
            self.id,
            ClientCoverage {
                client_id: self.client_id,
                coverage,
            },
            self.created_at,
            self.updated_at,
        ))
    }
}

const COLUMNS: &str = "id, client_id, payer_id, member_id, group_number, plan_name, relationship, \
    subscriber_first_name, subscriber_last_name, subscriber_date_of_birth, subscriber_sex, \
    priority, effective_date, end_date, created_at, updated_at";

pub async fn insert(
    tx: &mut Tx,
    id: CoverageId,
    client_id: ClientId,
    coverage: &NewCoverage,
) -> StoreResult<Coverage> {
    let at = now();
    let subscriber = coverage.subscriber.as_ref();
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO coverages (id, client_id, payer_id, member_id, group_number, plan_name,
            relationship, subscriber_first_name, subscriber_last_name, subscriber_date_of_birth,
            subscriber_sex, priority, effective_date, end_date, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)"
    )
    .bind(id)
    .bind(client_id)
    .bind(coverage.payer_id.to_string())
    .bind(coverage.member_id.as_str())
    .bind(coverage.group_number.as_ref().map(|g| g.as_str()))
    .bind(coverage.plan_name.as_ref().map(|p| p.as_str()))
    .bind(coverage.relationship.as_str())
    .bind(subscriber.map(|s| s.first_name.as_str()))
    .bind(subscriber.map(|s| s.last_name.as_str()))
    .bind(subscriber.map(|s| s.date_of_birth))
    .bind(subscriber.and_then(|s| s.sex).map(|sex| sex.as_str()))
    .bind(coverage.priority.as_str())
    .bind(coverage.effective_date)
    .bind(coverage.end_date)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    let data = ClientCoverage {
        client_id,
        coverage: coverage.clone(),
    };
    Ok(Stored::from_parts(id, data, at, at))
}

pub async fn find(
    tx: &mut Tx,
    client_id: ClientId,
    id: CoverageId,
) -> StoreResult<Option<Coverage>> {
    let sql = format!("SELECT {COLUMNS} FROM coverages WHERE client_id = $1 AND id = $2");
    let row: Option<CoverageRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(client_id)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(CoverageRow::parse).transpose()
}

/// These coverages (unknown ids are left out), in no particular order.
pub async fn find_many(tx: &mut Tx, ids: &[CoverageId]) -> StoreResult<Vec<Coverage>> {
    let sql = format!("SELECT {COLUMNS} FROM coverages WHERE id IN ({{ids}})");
    let rows: Vec<CoverageRow> = super::attendance::rows_for(
        tx,
        &sql,
        &ids.iter().map(CoverageId::to_string).collect::<Vec<_>>(),
    )
    .await?;
    rows.into_iter().map(CoverageRow::parse).collect()
}

/// Every coverage of these clients (index `coverages_client_id`), in no particular order.
pub async fn of_clients(tx: &mut Tx, clients: &[ClientId]) -> StoreResult<Vec<Coverage>> {
    let sql = format!("SELECT {COLUMNS} FROM coverages WHERE client_id IN ({{ids}})");
    let rows: Vec<CoverageRow> = super::attendance::rows_for(
        tx,
        &sql,
        &clients.iter().map(ClientId::to_string).collect::<Vec<_>>(),
    )
    .await?;
    rows.into_iter().map(CoverageRow::parse).collect()
}

pub async fn list(
    tx: &mut Tx,
    client_id: ClientId,
    page: Page,
) -> StoreResult<(Vec<Coverage>, i64)> {
    // Coordination-of-benefits order first, so the primary plan leads.
    let (rows, total) = page_of!(
        tx,
        CoverageRow,
        COLUMNS,
        "FROM coverages WHERE client_id = $1",
        "CASE priority WHEN 'primary' THEN 1 WHEN 'secondary' THEN 2 ELSE 3 END, created_at, id",
        page,
        [client_id]
    );
    let coverages = rows
        .into_iter()
        .map(CoverageRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((coverages, total))
}

pub async fn update(
    tx: &mut Tx,
    client_id: ClientId,
    id: CoverageId,
    coverage: &NewCoverage,
) -> StoreResult<Option<Coverage>> {
    let subscriber = coverage.subscriber.as_ref();
    let done = with_tx!(tx, |conn| sqlx::query(
        "UPDATE coverages SET payer_id = $3, member_id = $4, group_number = $5, plan_name = $6,
            relationship = $7, subscriber_first_name = $8, subscriber_last_name = $9,
            subscriber_date_of_birth = $10, subscriber_sex = $11, priority = $12,
            effective_date = $13, end_date = $14, updated_at = $15
         WHERE client_id = $1 AND id = $2"
    )
    .bind(client_id)
    .bind(id)
    .bind(coverage.payer_id.to_string())
    .bind(coverage.member_id.as_str())
    .bind(coverage.group_number.as_ref().map(|g| g.as_str()))
    .bind(coverage.plan_name.as_ref().map(|p| p.as_str()))
    .bind(coverage.relationship.as_str())
    .bind(subscriber.map(|s| s.first_name.as_str()))
    .bind(subscriber.map(|s| s.last_name.as_str()))
    .bind(subscriber.map(|s| s.date_of_birth))
    .bind(subscriber.and_then(|s| s.sex).map(|sex| sex.as_str()))
    .bind(coverage.priority.as_str())
    .bind(coverage.effective_date)
    .bind(coverage.end_date)
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    if done == 0 {
        return Ok(None);
    }
    find(tx, client_id, id).await
}

/// Locks the coverage for the rest of the transaction and returns the client it belongs to.
///
/// A coverage's authorizations are checked against each other (no two approved windows at a
/// level of care may overlap), so every write to them takes this lock before it checks: two
/// concurrent writers queue here instead of both passing. PostgreSQL needs `FOR UPDATE`; a
/// SQLite transaction already holds the database's write lock (`BEGIN IMMEDIATE`, see
/// [`Db::begin`](super::Db::begin)), and SQLite has no `FOR UPDATE`.
pub async fn lock(tx: &mut Tx, id: CoverageId) -> StoreResult<Option<ClientId>> {
    let client_id = match tx {
        Tx::Postgres(transaction) => {
            sqlx::query_scalar("SELECT client_id FROM coverages WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
        Tx::Sqlite(transaction) => {
            sqlx::query_scalar("SELECT client_id FROM coverages WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
    };
    Ok(client_id)
}
