//! Acknowledgments (TA1, 999, 277CA): the files as received, what each said of every claim it
//! reached or named, and the lookups that match them to our 837 files and claims. PHI (the
//! claims' clients): callers audit every access.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::attendance::{rows_for, texts};
use super::{with_tx, Page, StoreError, StoreResult, Tx};
use crate::domain::acknowledgment::{OurClaim, Reference};
use crate::domain::claim_status::ClaimStatus;

const ENTITY: &str = "acknowledgment";

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(ENTITY, detail)
}

fn uuid(raw: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw).map_err(corrupt)
}

fn status(raw: &str) -> StoreResult<ClaimStatus> {
    ClaimStatus::parse(raw).map_err(corrupt)
}

/// One claim of one of our files: which interchange, group and set carried it.
pub struct FileSetRow {
    pub claim_id: Uuid,
    pub interchange: i64,
    pub group: i64,
    pub set: i64,
}

/// The claims the files' interchanges, groups and sets named by `references` carried.
pub async fn file_sets(tx: &mut Tx, references: &[Reference]) -> StoreResult<Vec<FileSetRow>> {
    let mut interchanges: Vec<i64> = Vec::new();
    let mut groups: Vec<i64> = Vec::new();
    for reference in references {
        match reference {
            Reference::Interchange(n) => interchanges.push(*n),
            Reference::Set { group, .. } | Reference::Group(group) => groups.push(*group),
            Reference::Claim(_) | Reference::NotOurs(_) => {}
        }
    }
    interchanges.sort_unstable();
    interchanges.dedup();
    groups.sort_unstable();
    groups.dedup();
    let mut rows: Vec<(String, i64, i64, i64)> = Vec::new();
    // An acknowledgment names one interchange or one group or two: a query each.
    for (column, numbers) in [
        ("interchange_control_number", &interchanges),
        ("group_control_number", &groups),
    ] {
        let sql = format!(
            "SELECT claim_id, interchange_control_number, group_control_number,
                set_control_number
             FROM claim_file_sets WHERE {column} = $1"
        );
        for n in numbers {
            let found: Vec<(String, i64, i64, i64)> = with_tx!(tx, |conn| sqlx::query_as(&sql)
                .bind(*n)
                .fetch_all(conn)
                .await)?;
            rows.extend(found);
        }
    }
    rows.into_iter()
        .map(|(claim, interchange, group, set)| {
            Ok(FileSetRow {
                claim_id: uuid(&claim)?,
                interchange,
                group,
                set,
            })
        })
        .collect()
}

/// Our claims by id and by claim number (CLM01), with their status.
pub async fn our_claims(
    tx: &mut Tx,
    ids: &[Uuid],
    numbers: &[String],
) -> StoreResult<Vec<OurClaim>> {
    let mut rows: Vec<(String, String, String, String)> = rows_for(
        tx,
        "SELECT id, client_id, claim_number, status FROM claims WHERE id IN ({ids})",
        &texts(ids),
    )
    .await?;
    rows.extend(
        rows_for::<(String, String, String, String)>(
            tx,
            "SELECT id, client_id, claim_number, status FROM claims
             WHERE claim_number IN ({ids})",
            numbers,
        )
        .await?,
    );
    let mut seen = HashMap::new();
    for (id, client, number, raw_status) in rows {
        let claim = OurClaim {
            id: uuid(&id)?,
            client_id: uuid(&client)?,
            claim_number: number,
            status: status(&raw_status)?,
        };
        seen.entry(claim.id).or_insert(claim);
    }
    Ok(seen.into_values().collect())
}

/// An acknowledgment as kept.
pub struct NewAcknowledgment<'a> {
    pub id: Uuid,
    pub kind: &'static str,
    pub content: &'a str,
    pub summary: &'a serde_json::Value,
    pub user: Uuid,
    pub at: DateTime<Utc>,
}

/// What it said of one claim, or of one thing it named that is not ours (`claim_id` None).
pub struct NewAckClaim<'a> {
    pub claim_id: Option<Uuid>,
    pub patient_control_number: Option<&'a str>,
    pub reference: &'a str,
    pub outcome: Option<&'static str>,
    pub status_before: Option<ClaimStatus>,
    pub status_after: Option<ClaimStatus>,
    pub detail: &'a str,
}

pub async fn insert(
    tx: &mut Tx,
    ack: &NewAcknowledgment<'_>,
    claims: &[NewAckClaim<'_>],
) -> StoreResult<()> {
    let summary = ack.summary.to_string();
    with_tx!(tx, |conn| sqlx::query(
        "INSERT INTO acknowledgments (id, kind, content, summary, received_by, received_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(ack.id.to_string())
    .bind(ack.kind)
    .bind(ack.content)
    .bind(&summary)
    .bind(ack.user.to_string())
    .bind(ack.at)
    .execute(conn)
    .await
    .map(|_| ()))?;
    for (position, claim) in claims.iter().enumerate() {
        let position = i64::try_from(position).map_err(corrupt)?;
        with_tx!(tx, |conn| sqlx::query(
            "INSERT INTO acknowledgment_claims (id, acknowledgment_id, position, claim_id,
                patient_control_number, reference, outcome, status_before, status_after, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
        .bind(crate::domain::ids::new_id().to_string())
        .bind(ack.id.to_string())
        .bind(position)
        .bind(claim.claim_id.map(|id| id.to_string()))
        .bind(claim.patient_control_number)
        .bind(claim.reference)
        .bind(claim.outcome)
        .bind(claim.status_before.map(ClaimStatus::as_str))
        .bind(claim.status_after.map(ClaimStatus::as_str))
        .bind(claim.detail)
        .execute(conn)
        .await
        .map(|_| ()))?;
    }
    Ok(())
}

/// An acknowledgment as listed.
#[derive(Debug, Clone, Serialize)]
pub struct AcknowledgmentSummary {
    pub id: Uuid,
    pub kind: String,
    pub summary: serde_json::Value,
    pub received_by: Uuid,
    pub received_at: DateTime<Utc>,
}

type SummaryRow = (String, String, String, String, DateTime<Utc>);

const SUMMARY: &str = "SELECT id, kind, summary, received_by, received_at FROM acknowledgments";

fn summary((id, kind, summary, by, at): SummaryRow) -> StoreResult<AcknowledgmentSummary> {
    Ok(AcknowledgmentSummary {
        id: uuid(&id)?,
        kind,
        summary: serde_json::from_str(&summary).map_err(corrupt)?,
        received_by: uuid(&by)?,
        received_at: at,
    })
}

/// Newest first.
pub async fn list(tx: &mut Tx, page: Page) -> StoreResult<(Vec<AcknowledgmentSummary>, i64)> {
    let sql = format!("{SUMMARY} ORDER BY received_at DESC, id LIMIT $1 OFFSET $2");
    let rows: Vec<SummaryRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(conn)
        .await)?;
    let total: i64 = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM acknowledgments"
    )
    .fetch_one(conn)
    .await)?;
    let items = rows.into_iter().map(summary).collect::<StoreResult<_>>()?;
    Ok((items, total))
}

pub async fn find(tx: &mut Tx, id: Uuid) -> StoreResult<Option<AcknowledgmentSummary>> {
    let sql = format!("{SUMMARY} WHERE id = $1");
    let row: Option<SummaryRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id.to_string())
        .fetch_optional(conn)
        .await)?;
    row.map(summary).transpose()
}

/// What an acknowledgment said of one claim of ours.
#[derive(Debug, Clone, Serialize)]
pub struct AckClaimRecord {
    pub claim_id: Uuid,
    pub claim_number: String,
    #[serde(skip)]
    pub client_id: Uuid,
    pub reference: String,
    pub outcome: Option<String>,
    pub status_before: ClaimStatus,
    pub status_after: ClaimStatus,
    pub moved: bool,
    pub detail: String,
}

/// Something it named that is not ours.
#[derive(Debug, Clone, Serialize)]
pub struct UnmatchedRecord {
    pub reference: String,
    pub patient_control_number: Option<String>,
    pub outcome: Option<String>,
    pub detail: String,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    claim_id: Option<String>,
    claim_number: Option<String>,
    client_id: Option<String>,
    patient_control_number: Option<String>,
    reference: String,
    outcome: Option<String>,
    status_before: Option<String>,
    status_after: Option<String>,
    detail: String,
}

/// The claims acknowledgment `id` reached and what it named that is not ours, in its order.
pub async fn claims_of(
    tx: &mut Tx,
    id: Uuid,
) -> StoreResult<(Vec<AckClaimRecord>, Vec<UnmatchedRecord>)> {
    let rows: Vec<ClaimRow> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT a.claim_id, c.claim_number, c.client_id, a.patient_control_number, a.reference,
            a.outcome, a.status_before, a.status_after, a.detail
         FROM acknowledgment_claims a LEFT JOIN claims c ON c.id = a.claim_id
         WHERE a.acknowledgment_id = $1 ORDER BY a.position"
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await)?;
    let mut claims = Vec::new();
    let mut unmatched = Vec::new();
    for row in rows {
        match (
            row.claim_id,
            row.claim_number,
            row.client_id,
            row.status_before,
            row.status_after,
        ) {
            (Some(claim), Some(number), Some(client), Some(before), Some(after)) => {
                let (before, after) = (status(&before)?, status(&after)?);
                claims.push(AckClaimRecord {
                    claim_id: uuid(&claim)?,
                    claim_number: number,
                    client_id: uuid(&client)?,
                    reference: row.reference,
                    outcome: row.outcome,
                    status_before: before,
                    status_after: after,
                    moved: before != after,
                    detail: row.detail,
                });
            }
            (None, ..) => unmatched.push(UnmatchedRecord {
                reference: row.reference,
                patient_control_number: row.patient_control_number,
                outcome: row.outcome,
                detail: row.detail,
            }),
            _ => return Err(corrupt("a matched claim row without its claim or statuses")),
        }
    }
    Ok((claims, unmatched))
}
