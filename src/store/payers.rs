//! Payer records.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{like_prefix, now, with_tx, Page, StoreError, StoreResult, Stored, Tx};
use crate::domain::payer::{BillingRulesInput, ConnectionInput, NewPayer, PayerInput};

pub type Payer = Stored<NewPayer>;

#[derive(sqlx::FromRow)]
struct PayerRow {
    id: String,
    name: String,
    payer_id: String,
    connection: Option<String>,
    billing: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl PayerRow {
    fn parse(self) -> StoreResult<Payer> {
        let connection = self
            .connection
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| StoreError::corrupt("payer connection", e))?;
        let billing = self
            .billing
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| StoreError::corrupt("payer billing rules", e))?;
        let data = PayerInput {
            name: Some(self.name),
            payer_id: Some(self.payer_id),
            connection,
            billing,
        }
        .parse()
        .map_err(|e| StoreError::corrupt("payer", e))?;
        Stored::new("payer", &self.id, data, self.created_at, self.updated_at)
    }
}

const COLUMNS: &str = "id, name, payer_id, connection, billing, created_at, updated_at";

/// The stored form of the connection (secrets included; see migration 0008).
fn connection_json(payer: &NewPayer) -> StoreResult<Option<String>> {
    payer
        .connection
        .as_ref()
        .map(|c| serde_json::to_string(&ConnectionInput::from(c)))
        .transpose()
        .map_err(|e| StoreError::corrupt("payer connection", e))
}

fn billing_json(payer: &NewPayer) -> StoreResult<String> {
    serde_json::to_string(&BillingRulesInput::from(&payer.billing))
        .map_err(|e| StoreError::corrupt("payer billing rules", e))
}

pub async fn insert(tx: &mut Tx, id: Uuid, payer: &NewPayer) -> StoreResult<Payer> {
    let at = now();
    let connection = connection_json(payer)?;
    let billing = billing_json(payer)?;
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO payers (id, name, payer_id, connection, billing, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)"
    )
    .bind(id.to_string())
    .bind(payer.name.as_str())
    .bind(payer.payer_id.as_str())
    .bind(&connection)
    .bind(&billing)
    .bind(at)
    .execute(conn)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Stored::from_parts(id, payer.clone(), at, at))
}

pub async fn find(tx: &mut Tx, id: &str) -> StoreResult<Option<Payer>> {
    let sql = format!("SELECT {COLUMNS} FROM payers WHERE id = $1");
    let row: Option<PayerRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    row.map(PayerRow::parse).transpose()
}

/// Lists payers, optionally those whose name contains `name` (any case).
pub async fn list(tx: &mut Tx, name: Option<&str>, page: Page) -> StoreResult<(Vec<Payer>, i64)> {
    let pattern = name.map(|n| format!("%{}", like_prefix(n)));
    let filter = "WHERE ($1 IS NULL OR lower(name) LIKE $1 ESCAPE '\\')";
    let sql = format!("SELECT {COLUMNS} FROM payers {filter} ORDER BY name, id LIMIT $2 OFFSET $3");
    let rows: Vec<PayerRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(&pattern)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(conn)
        .await)?;
    let count = format!("SELECT COUNT(*) FROM payers {filter}");
    let total: i64 = with_tx!(tx, |conn| sqlx::query_scalar(&count)
        .bind(&pattern)
        .fetch_one(conn)
        .await)?;
    let payers = rows
        .into_iter()
        .map(PayerRow::parse)
        .collect::<StoreResult<_>>()?;
    Ok((payers, total))
}

pub async fn update(tx: &mut Tx, id: &str, payer: &NewPayer) -> StoreResult<Option<Payer>> {
    let connection = connection_json(payer)?;
    let billing = billing_json(payer)?;
    let done = with_tx!(tx, |conn| {
        sqlx::query(
        "UPDATE payers SET name = $2, payer_id = $3, connection = $4, billing = $5, updated_at = $6
         WHERE id = $1"
    )
    .bind(id)
    .bind(payer.name.as_str())
    .bind(payer.payer_id.as_str())
    .bind(&connection)
    .bind(&billing)
    .bind(now())
    .execute(conn)
    .await
    .map(|done| done.rows_affected())
    })?;
    if done == 0 {
        return Ok(None);
    }
    find(tx, id).await
}

/// The payer with this EDI payer id, if the clinic has it (to follow a carve-out).
pub async fn find_by_edi_id(tx: &mut Tx, edi_id: &str) -> StoreResult<Option<Payer>> {
    let sql = format!("SELECT {COLUMNS} FROM payers WHERE payer_id = $1");
    let row: Option<PayerRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(edi_id)
        .fetch_optional(conn)
        .await)?;
    row.map(PayerRow::parse).transpose()
}

/// Whether the payer exists, locking its row for the rest of the transaction on PostgreSQL
/// (SQLite transactions already hold the write lock from `BEGIN IMMEDIATE`). Writers of a
/// payer's fee schedules take it before they check for overlaps, so two cannot both pass.
pub async fn lock(tx: &mut Tx, id: &str) -> StoreResult<bool> {
    let found: Option<String> = match tx {
        Tx::Postgres(transaction) => {
            sqlx::query_scalar("SELECT id FROM payers WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
        Tx::Sqlite(transaction) => {
            sqlx::query_scalar("SELECT id FROM payers WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **transaction)
                .await?
        }
    };
    Ok(found.is_some())
}
