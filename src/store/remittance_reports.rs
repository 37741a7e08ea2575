//! What the remittance reports read: every posting of our claim lines by a posted remittance,
//! with the fee schedule in force on the line's service date. PHI (the claims' clients): callers
//! audit what they show.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::remittances::stored_adjustments;
use super::{with_tx, StoreError, StoreResult, Tx};
use crate::domain::money::from_minor_units;
use crate::domain::remittance_reports::{Adjustment, Contract, LinePosting, OurLine, Remittance};

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt("remittance", detail)
}

fn uuid(raw: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw).map_err(corrupt)
}

#[derive(sqlx::FromRow)]
struct PostingRow {
    claim_position: i64,
    line_position: i64,
    claim_id: String,
    claim_number: String,
    client_id: String,
    line_number: i64,
    service_date: NaiveDate,
    payer_id: String,
    payer_name: String,
    units: i64,
    remittance_id: String,
    trace_number: String,
    posted_at: DateTime<Utc>,
    paid_cents: i64,
    allowed_cents: Option<i64>,
    remark_codes: String,
    adjustments: String,
    schedule_id: Option<String>,
    allowed_per_day_cents: Option<i64>,
    /// Set on the lines of a per-service claim (one line per service of a day).
    per_service: bool,
    expected_cents: Option<i64>,
}

/// A line with a `service_index` is a per-service claim's (migration 0028; the SQL form of
/// [`crate::domain::claim::is_per_service`]).
/// Only `posted` remittances carry money: an unbalanced or duplicate set posted nothing. The fee
/// schedule joined is the one of the claim's payer, level of care and the line's program whose
/// period holds the service date (periods do not overlap: routes/fee_schedules checks it).
const POSTINGS: &str = "SELECT l.claim_position, l.position AS line_position, k.id AS claim_id,
        k.claim_number,
        k.client_id, CAST(cl.line_number AS BIGINT) AS line_number, cl.service_date,
        k.payer_id, p.name AS payer_name, CAST(cl.units AS BIGINT) AS units,
        r.id AS remittance_id, r.trace_number, r.created_at AS posted_at, l.paid_cents,
        l.allowed_cents, l.remark_codes, l.adjustments, f.id AS schedule_id, f.allowed_per_day_cents,
        (cl.service_index IS NOT NULL) AS per_service, cl.expected_cents
     FROM remittance_lines l
     JOIN remittances r ON r.id = l.remittance_id
     JOIN claim_lines cl ON cl.claim_id = l.claim_id AND cl.line_number = l.line_number
     JOIN claims k ON k.id = cl.claim_id
     JOIN payers p ON p.id = k.payer_id
     LEFT JOIN fee_schedules f ON f.payer_id = k.payer_id
        AND f.level_of_care = k.level_of_care AND f.program = cl.program
        AND f.effective_from <= cl.service_date
        AND (f.effective_to IS NULL OR f.effective_to >= cl.service_date)
     WHERE r.status = 'posted' AND cl.service_date >= $1 AND cl.service_date <= $2";

/// Every posting of a claim line whose service date is in `from..=to` (of `payer`'s claims
/// when given), oldest first, with its line adjustments (claim-level adjustments name no line
/// of ours).
pub async fn line_postings(
    tx: &mut Tx,
    from: NaiveDate,
    to: NaiveDate,
    payer: Option<Uuid>,
) -> StoreResult<Vec<LinePosting>> {
    let sql = match payer {
        Some(_) => format!("{POSTINGS} AND k.payer_id = $3 ORDER BY r.created_at, r.id, l.claim_position, l.position"),
        None => format!("{POSTINGS} ORDER BY r.created_at, r.id, l.claim_position, l.position"),
    };
    let rows: Vec<PostingRow> = with_tx!(tx, |conn| {
        let mut query = sqlx::query_as(&sql).bind(from).bind(to);
        if let Some(payer) = payer {
            query = query.bind(payer.to_string());
        }
        query.fetch_all(conn).await
    })?;
    let mut seen = HashSet::new();
    let mut postings = Vec::with_capacity(rows.len());
    for row in rows {
        // Overlapping schedules would repeat a line; the overlap check keeps them out, and a
        // line counts once whatever the data.
        if !seen.insert((
            row.remittance_id.clone(),
            row.claim_position,
            row.line_position,
        )) {
            continue;
        }
        // A per-service claim's line is paid as part of its day: what it expected when billed
        // (the day's rate on the day's first line) is its part of the day's figure.
        let contract = match (row.schedule_id, row.allowed_per_day_cents) {
            _ if row.per_service => {
                Contract::ServiceOfDay(row.expected_cents.map(from_minor_units))
            }
            (None, _) => Contract::NoSchedule,
            (Some(_), None) => Contract::NoAllowedAmount,
            (Some(_), Some(cents)) => Contract::AllowedPerDay(from_minor_units(cents)),
        };
        postings.push(LinePosting {
            line: OurLine {
                claim_id: uuid(&row.claim_id)?,
                claim_number: row.claim_number,
                client_id: uuid(&row.client_id)?,
                line_number: u32::try_from(row.line_number).map_err(corrupt)?,
                service_date: row.service_date,
                payer_id: uuid(&row.payer_id)?,
                payer_name: row.payer_name,
                units: u32::try_from(row.units).map_err(corrupt)?,
            },
            contract,
            remittance: Remittance {
                id: uuid(&row.remittance_id)?,
                trace_number: row.trace_number,
                posted_at: row.posted_at,
            },
            paid: from_minor_units(row.paid_cents),
            allowed: row.allowed_cents.map(from_minor_units),
            adjustments: stored_adjustments(&row.adjustments)?
                .into_iter()
                .map(|(group, reason, cents, _)| Adjustment {
                    group,
                    reason,
                    amount: from_minor_units(cents),
                })
                .collect(),
            remark_codes: serde_json::from_str(&row.remark_codes).map_err(corrupt)?,
        });
    }
    Ok(postings)
}
