//! Cost estimates, kept as answered (PHI: callers audit every access).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::ids::{ClientId, EstimateId, VerificationId};

use super::{with_tx, StoreError, StoreResult, Tx};

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("estimate", detail)
}

/// An estimate to keep.
pub struct NewEstimate<'a> {
    pub id: EstimateId,
    pub client_id: ClientId,
    pub verification_id: Option<VerificationId>,
    pub kind: &'a str,
    pub level_of_care: &'a str,
    pub request: &'a Value,
    pub result: &'a Value,
    pub created_by: uuid::Uuid,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, estimate: &NewEstimate<'_>) -> StoreResult<()> {
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO estimates (id, client_id, verification_id, kind, level_of_care, request,
            result, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(estimate.id)
    .bind(estimate.client_id)
    .bind(estimate.verification_id)
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
pub async fn find(tx: &mut Tx, id: EstimateId) -> StoreResult<Option<(ClientId, Value)>> {
    let row: Option<(ClientId, String)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT client_id, result FROM estimates WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(conn)
    .await)?;
    row.map(|(client, result)| Ok((client, serde_json::from_str(&result).map_err(corrupt)?)))
        .transpose()
}
