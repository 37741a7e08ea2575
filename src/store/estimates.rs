//! Cost estimates, kept as answered (PHI: callers audit every access).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::{with_tx, StoreError, StoreResult, Tx};

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("estimate", detail)
}

/// An estimate to keep.
pub struct NewEstimate<'a> {
    pub id: Uuid,
    pub client_id: Uuid,
    pub verification_id: Option<Uuid>,
    pub kind: &'a str,
    pub level_of_care: &'a str,
    pub request: &'a Value,
    pub result: &'a Value,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, estimate: &NewEstimate<'_>) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO estimates (id, client_id, verification_id, kind, level_of_care, request,
            result, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(estimate.id.to_string())
    .bind(estimate.client_id.to_string())
    .bind(estimate.verification_id.map(|v| v.to_string()))
    .bind(estimate.kind)
    .bind(estimate.level_of_care)
    .bind(estimate.request.to_string())
    .bind(estimate.result.to_string())
    .bind(estimate.created_by.to_string())
    .bind(estimate.created_at)
    .execute(conn)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// The estimate as it was answered, and whose it is.
pub async fn find(tx: &mut Tx, id: Uuid) -> StoreResult<Option<(Uuid, Value)>> {
    let row: Option<(String, String)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT client_id, result FROM estimates WHERE id = $1"
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await)?;
    row.map(|(client, result)| {
        Ok((
            Uuid::parse_str(&client).map_err(corrupt)?,
            serde_json::from_str(&result).map_err(corrupt)?,
        ))
    })
    .transpose()
}
