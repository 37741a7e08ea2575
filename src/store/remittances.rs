//! Remittances (835): the files as received, each transaction set with its claims, lines,
//! adjustments and provider adjustments, and what they add up to per claim and per client.
//! PHI (the claims' clients): callers audit every access.
//!
//! Rows go in as multi-row INSERTs ([`super::rows`]), thousands of rows a statement.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::attendance::rows_for;
use super::rows::{insert_rows, maybe_text, text, Value};
use super::{with_tx, Page, StoreError, StoreResult, Tx};
use crate::domain::claim::is_per_service;
use crate::domain::claim_status::ClaimStatus;
use crate::domain::ids::new_id;
use crate::domain::money::signed_text;
use crate::domain::remittance::{AdjustmentPosting, Imbalance, OurClaim, OurLine, Posting};

const ENTITY: &str = "remittance";

fn corrupt(detail: impl std::fmt::Display) -> StoreError {
    StoreError::corrupt(ENTITY, detail)
}

fn uuid(raw: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(raw).map_err(corrupt)
}

/// One CAS as stored on its claim's or line's row (migration 0036): group, reason, amount in
/// integer cents, quantity. A row keeps an array of them in file order rather than a row each:
/// a large 835 has a hundred thousand, and nothing refers to one alone.
pub(crate) type StoredAdjustment = (String, String, i64, Option<String>);

fn adjustments_json(adjustments: &[AdjustmentPosting]) -> StoreResult<String> {
    let stored: Vec<(&str, &str, i64, Option<&str>)> = adjustments
        .iter()
        .map(|a| {
            (
                a.group,
                a.reason.as_str(),
                a.amount_cents,
                a.quantity.as_deref(),
            )
        })
        .collect();
    serde_json::to_string(&stored).map_err(corrupt)
}

/// The adjustments of a claim's or line's `adjustments` column.
pub(crate) fn stored_adjustments(raw: &str) -> StoreResult<Vec<StoredAdjustment>> {
    serde_json::from_str(raw).map_err(corrupt)
}

fn adjustment_records(raw: &str) -> StoreResult<Vec<AdjustmentRecord>> {
    Ok(stored_adjustments(raw)?
        .into_iter()
        .map(|(group, reason, cents, quantity)| AdjustmentRecord {
            group,
            reason,
            amount: signed_text(cents),
            quantity,
        })
        .collect())
}

/// Keeps an 835 file as received; returns its id.
pub async fn insert_file(
    tx: &mut Tx,
    content: &str,
    interchange_control_number: &str,
    user: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = new_id();
    insert_rows(
        tx,
        "remittance_files (id, content, interchange_control_number, received_by, received_at)",
        vec![vec![
            text(id.to_string()),
            text(content),
            text(interchange_control_number),
            text(user.to_string()),
            Value::Time(at),
        ]],
    )
    .await?;
    Ok(id)
}

/// Makes remittance postings take turns until this transaction ends, so two uploads of the same
/// payment at once cannot both find it unposted. SQLite's writers already take turns; on
/// PostgreSQL a transaction-scoped advisory lock (835, the transaction set's id) does it.
pub async fn lock_for_posting(tx: &mut Tx) -> StoreResult<()> {
    if let Tx::Postgres(transaction) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(835)")
            .execute(&mut **transaction)
            .await?;
    }
    Ok(())
}

/// The remittance that posted this payment (payer and trace number), if one did.
pub async fn posted(
    tx: &mut Tx,
    payer_identifier: &str,
    trace_number: &str,
) -> StoreResult<Option<Uuid>> {
    let row: Option<(String,)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT id FROM remittances
         WHERE payer_identifier = $1 AND trace_number = $2 AND status = 'posted'"
    )
    .bind(payer_identifier)
    .bind(trace_number)
    .fetch_optional(conn)
    .await)?;
    row.map(|(id,)| uuid(&id)).transpose()
}

/// How a set was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemittanceStatus {
    Posted,
    Unbalanced,
    Duplicate,
}

impl RemittanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RemittanceStatus::Posted => "posted",
            RemittanceStatus::Unbalanced => "unbalanced",
            RemittanceStatus::Duplicate => "duplicate",
        }
    }

    fn parse(raw: &str) -> StoreResult<RemittanceStatus> {
        Ok(match raw {
            "posted" => RemittanceStatus::Posted,
            "unbalanced" => RemittanceStatus::Unbalanced,
            "duplicate" => RemittanceStatus::Duplicate,
            other => return Err(corrupt(format!("unknown status {other:?}"))),
        })
    }
}

/// Stores one set as `status`, with every claim, line and adjustment (whatever the status:
/// an unbalanced set is kept whole for staff to see). Returns its id.
pub async fn insert(
    tx: &mut Tx,
    file_id: Uuid,
    posting: &Posting,
    status: RemittanceStatus,
    duplicate_of: Option<Uuid>,
    at: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = new_id();
    let imbalances = serde_json::to_string(&posting.imbalances).map_err(corrupt)?;
    insert_rows(
        tx,
        "remittances (id, file_id, set_control_number, payer_name, payer_identifier, \
         trace_number, payment_cents, credit_debit, payment_method, payment_date, payee_name, \
         payee_id, status, imbalances, duplicate_of, created_at)",
        vec![vec![
            text(id.to_string()),
            text(file_id.to_string()),
            text(posting.set_control_number.as_str()),
            text(posting.payer_name.as_str()),
            text(posting.payer_identifier.as_str()),
            text(posting.trace_number.as_str()),
            Value::Int(Some(posting.payment_cents)),
            text(posting.credit_debit),
            text(posting.payment_method),
            Value::Date(posting.payment_date),
            text(posting.payee_name.as_str()),
            maybe_text(posting.payee_id.as_deref()),
            text(status.as_str()),
            text(imbalances),
            maybe_text(duplicate_of.map(|d| d.to_string())),
            Value::Time(at),
        ]],
    )
    .await?;

    let mut claims = Vec::with_capacity(posting.claims.len());
    let mut lines = Vec::new();
    for c in &posting.claims {
        let claim_position = i64::from(c.position);
        claims.push(vec![
            text(id.to_string()),
            Value::Int(Some(claim_position)),
            maybe_text(c.claim_id.map(|i| i.to_string())),
            text(c.patient_control_number.as_str()),
            text(c.status_code.as_str()),
            Value::Int(Some(c.charge_cents)),
            Value::Int(Some(c.paid_cents)),
            Value::Int(c.patient_responsibility_cents),
            maybe_text(c.payer_claim_number.as_deref()),
            maybe_text(c.crossover_name.as_deref()),
            maybe_text(c.crossover_id.as_deref()),
            maybe_text(c.status_before.map(ClaimStatus::as_str)),
            maybe_text(c.status_after.map(ClaimStatus::as_str)),
            text(adjustments_json(&c.adjustments)?),
        ]);
        for l in &c.lines {
            let matched = l.line_number.and(c.claim_id);
            lines.push(vec![
                text(id.to_string()),
                Value::Int(Some(claim_position)),
                Value::Int(Some(i64::from(l.position))),
                maybe_text(matched.map(|i| i.to_string())),
                Value::Int(l.line_number.filter(|_| matched.is_some()).map(i64::from)),
                text(l.procedure.as_str()),
                maybe_text(l.revenue_code.as_deref()),
                maybe_text(l.submitted_procedure.as_deref()),
                Value::Date(l.service_date),
                Value::Int(Some(l.charge_cents)),
                Value::Int(Some(l.paid_cents)),
                Value::Int(l.allowed_cents),
                text(l.units.as_str()),
                maybe_text(l.line_control_number.as_deref()),
                text(serde_json::to_string(&l.remark_codes).map_err(corrupt)?),
                text(adjustments_json(&l.adjustments)?),
            ]);
        }
    }
    insert_rows(
        tx,
        "remittance_claims (remittance_id, position, claim_id, patient_control_number, \
         status_code, charge_cents, paid_cents, patient_responsibility_cents, payer_claim_number, \
         crossover_name, crossover_id, status_before, status_after, adjustments)",
        claims,
    )
    .await?;
    insert_rows(
        tx,
        "remittance_lines (remittance_id, claim_position, position, claim_id, line_number, \
         procedure, revenue_code, submitted_procedure, service_date, charge_cents, paid_cents, \
         allowed_cents, units, line_control_number, remark_codes, adjustments)",
        lines,
    )
    .await?;
    let plb = posting
        .provider_adjustments
        .iter()
        .zip(1_i64..)
        .map(|(p, position)| {
            vec![
                text(id.to_string()),
                Value::Int(Some(position)),
                text(p.provider_id.as_str()),
                Value::Date(p.fiscal_period_date),
                text(p.reason_code.as_str()),
                maybe_text(p.reference.as_deref()),
                Value::Int(Some(p.amount_cents)),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "provider_adjustments (remittance_id, position, provider_id, fiscal_period_date, \
         reason_code, \
         reference, amount_cents)",
        plb,
    )
    .await?;
    Ok(id)
}

/// Our claims with these claim numbers (CLM01), with their lines, by claim number.
pub async fn our_claims(
    tx: &mut Tx,
    claim_numbers: &[String],
) -> StoreResult<HashMap<String, OurClaim>> {
    let claims: Vec<(String, String, String, String, Option<i64>)> = rows_for(
        tx,
        "SELECT id, client_id, claim_number, status, expected_reimbursement_cents FROM claims
         WHERE claim_number IN ({ids})",
        claim_numbers,
    )
    .await?;
    let ids: Vec<Uuid> = claims
        .iter()
        .map(|(id, ..)| uuid(id))
        .collect::<StoreResult<_>>()?;
    // Packed, one row per claim: 50,000 lines read as rows cost the driver per row.
    let mut lines = super::claims::lines_of(tx, &ids).await?;
    claims
        .into_iter()
        .map(|(id, client_id, claim_number, status, expected_cents)| {
            let lines = lines.remove(&uuid(&id)?).unwrap_or_default();
            Ok((
                claim_number.clone(),
                OurClaim {
                    id: uuid(&id)?,
                    client_id: uuid(&client_id)?,
                    claim_number,
                    status: ClaimStatus::parse(&status).map_err(corrupt)?,
                    expected_cents,
                    per_service: is_per_service(lines.iter().map(|l| l.service_index)),
                    lines: lines
                        .into_iter()
                        .map(|l| OurLine {
                            line_number: l.line_number,
                            service_date: l.service_date,
                            revenue_code: l.revenue_code,
                            hcpcs: l.hcpcs,
                            modifiers: l.modifiers,
                        })
                        .collect(),
                },
            ))
        })
        .collect()
}

/// A remittance as listed.
#[derive(Debug, Clone, Serialize)]
pub struct RemittanceSummary {
    pub id: Uuid,
    pub file_id: Uuid,
    pub set_control_number: String,
    pub payer_name: String,
    pub payer_identifier: String,
    pub trace_number: String,
    pub payment: String,
    pub credit_debit: String,
    pub payment_method: String,
    pub payment_date: Option<NaiveDate>,
    pub payee_name: String,
    pub payee_id: Option<String>,
    pub status: RemittanceStatus,
    pub imbalances: Vec<Imbalance>,
    pub duplicate_of: Option<Uuid>,
    pub claim_count: i64,
    pub unmatched_claims: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    file_id: String,
    set_control_number: String,
    payer_name: String,
    payer_identifier: String,
    trace_number: String,
    payment_cents: i64,
    credit_debit: String,
    payment_method: String,
    payment_date: Option<NaiveDate>,
    payee_name: String,
    payee_id: Option<String>,
    status: String,
    imbalances: String,
    duplicate_of: Option<String>,
    claim_count: i64,
    unmatched_claims: i64,
    created_at: DateTime<Utc>,
}

const SUMMARY: &str = "SELECT r.id, r.file_id, r.set_control_number, r.payer_name,
        r.payer_identifier, r.trace_number, r.payment_cents, r.credit_debit, r.payment_method,
        r.payment_date, r.payee_name, r.payee_id, r.status, r.imbalances, r.duplicate_of,
        (SELECT COUNT(*) FROM remittance_claims c WHERE c.remittance_id = r.id) AS claim_count,
        (SELECT COUNT(*) FROM remittance_claims c WHERE c.remittance_id = r.id
            AND c.claim_id IS NULL) AS unmatched_claims,
        r.created_at
     FROM remittances r";

fn summary(row: SummaryRow) -> StoreResult<RemittanceSummary> {
    Ok(RemittanceSummary {
        id: uuid(&row.id)?,
        file_id: uuid(&row.file_id)?,
        set_control_number: row.set_control_number,
        payer_name: row.payer_name,
        payer_identifier: row.payer_identifier,
        trace_number: row.trace_number,
        payment: signed_text(row.payment_cents),
        credit_debit: row.credit_debit,
        payment_method: row.payment_method,
        payment_date: row.payment_date,
        payee_name: row.payee_name,
        payee_id: row.payee_id,
        status: RemittanceStatus::parse(&row.status)?,
        imbalances: serde_json::from_str(&row.imbalances).map_err(corrupt)?,
        duplicate_of: row.duplicate_of.as_deref().map(uuid).transpose()?,
        claim_count: row.claim_count,
        unmatched_claims: row.unmatched_claims,
        created_at: row.created_at,
    })
}

/// A page of remittances, newest first, and the total.
pub async fn list(tx: &mut Tx, page: Page) -> StoreResult<(Vec<RemittanceSummary>, i64)> {
    let sql = format!("{SUMMARY} ORDER BY r.created_at DESC, r.id LIMIT $1 OFFSET $2");
    let rows: Vec<SummaryRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(conn)
        .await)?;
    let total: i64 = with_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM remittances"
    )
    .fetch_one(conn)
    .await)?;
    let items = rows.into_iter().map(summary).collect::<StoreResult<_>>()?;
    Ok((items, total))
}

pub async fn summary_of(tx: &mut Tx, id: Uuid) -> StoreResult<Option<RemittanceSummary>> {
    let sql = format!("{SUMMARY} WHERE r.id = $1");
    let row: Option<SummaryRow> = with_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(id.to_string())
        .fetch_optional(conn)
        .await)?;
    row.map(summary).transpose()
}

/// A CAS as shown.
#[derive(Debug, Clone, Serialize)]
pub struct AdjustmentRecord {
    pub group: String,
    pub reason: String,
    pub amount: String,
    pub quantity: Option<String>,
}

/// An SVC as shown.
#[derive(Debug, Clone, Serialize)]
pub struct LineRecord {
    pub position: i64,
    pub claim_id: Option<Uuid>,
    pub line_number: Option<i64>,
    pub procedure: String,
    pub revenue_code: Option<String>,
    pub submitted_procedure: Option<String>,
    pub service_date: Option<NaiveDate>,
    pub charge: String,
    pub paid: String,
    pub allowed: Option<String>,
    pub units: String,
    pub line_control_number: Option<String>,
    pub remark_codes: Vec<String>,
    pub adjustments: Vec<AdjustmentRecord>,
}

/// A CLP as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRecord {
    pub position: i64,
    pub claim_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub patient_control_number: String,
    pub status_code: String,
    pub charge: String,
    pub paid: String,
    pub patient_responsibility: Option<String>,
    pub payer_claim_number: Option<String>,
    pub crossover_name: Option<String>,
    pub crossover_id: Option<String>,
    pub status_before: Option<String>,
    pub status_after: Option<String>,
    pub adjustments: Vec<AdjustmentRecord>,
    pub lines: Vec<LineRecord>,
}

/// A PLB as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderAdjustmentRecord {
    pub provider_id: String,
    pub fiscal_period_date: Option<NaiveDate>,
    pub reason_code: String,
    pub reference: Option<String>,
    pub amount: String,
}

type ClaimRow = (
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

type LineRow = (
    i64,
    i64,
    Option<String>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
    i64,
    i64,
    Option<i64>,
    String,
    Option<String>,
    String,
    String,
);

/// provider id, fiscal period date, reason, reference, cents.
type ProviderAdjustmentRow = (String, Option<NaiveDate>, String, Option<String>, i64);

/// The claims (with lines and adjustments) of remittance `id`, in file order. `where_claim`
/// narrows them to one claim of ours.
pub async fn claims_of(
    tx: &mut Tx,
    id: Uuid,
    where_claim: Option<Uuid>,
) -> StoreResult<Vec<ClaimRecord>> {
    let claim_filter = if where_claim.is_some() {
        " AND c.claim_id = $2"
    } else {
        ""
    };
    let sql = format!(
        "SELECT c.position, c.claim_id, k.client_id, c.patient_control_number,
            c.status_code, c.charge_cents, c.paid_cents, c.patient_responsibility_cents,
            c.payer_claim_number, c.crossover_name, c.crossover_id, c.status_before,
            c.status_after, c.adjustments
         FROM remittance_claims c LEFT JOIN claims k ON k.id = c.claim_id
         WHERE c.remittance_id = $1{claim_filter} ORDER BY c.position"
    );
    let rows: Vec<ClaimRow> = with_tx!(tx, |conn| {
        let mut query = sqlx::query_as(&sql).bind(id.to_string());
        if let Some(claim) = where_claim {
            query = query.bind(claim.to_string());
        }
        query.fetch_all(conn).await
    })?;
    // The lines of the claims read (all of the remittance's, or one claim's).
    let line_filter = if where_claim.is_some() {
        " AND l.claim_position IN (SELECT c.position FROM remittance_claims c
            WHERE c.remittance_id = $1 AND c.claim_id = $2)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT l.claim_position, l.position, l.claim_id, l.line_number, l.procedure,
            l.revenue_code, l.submitted_procedure, l.service_date, l.charge_cents, l.paid_cents,
            l.allowed_cents, l.units, l.line_control_number, l.remark_codes, l.adjustments
         FROM remittance_lines l
         WHERE l.remittance_id = $1{line_filter} ORDER BY l.claim_position, l.position"
    );
    let lines: Vec<LineRow> = with_tx!(tx, |conn| {
        let mut query = sqlx::query_as(&sql).bind(id.to_string());
        if let Some(claim) = where_claim {
            query = query.bind(claim.to_string());
        }
        query.fetch_all(conn).await
    })?;
    let mut lines_by_claim: HashMap<i64, Vec<LineRecord>> = HashMap::new();
    for (
        claim_position,
        position,
        claim_id,
        line_number,
        procedure,
        revenue_code,
        submitted_procedure,
        service_date,
        charge,
        paid,
        allowed,
        units,
        line_control_number,
        remark_codes,
        adjustments,
    ) in lines
    {
        lines_by_claim
            .entry(claim_position)
            .or_default()
            .push(LineRecord {
                position,
                claim_id: claim_id.as_deref().map(uuid).transpose()?,
                line_number,
                procedure,
                revenue_code,
                submitted_procedure,
                service_date,
                charge: signed_text(charge),
                paid: signed_text(paid),
                allowed: allowed.map(signed_text),
                units,
                line_control_number,
                remark_codes: serde_json::from_str(&remark_codes).map_err(corrupt)?,
                adjustments: adjustment_records(&adjustments)?,
            });
    }
    rows.into_iter()
        .map(
            |(
                position,
                claim_id,
                client_id,
                patient_control_number,
                status_code,
                charge,
                paid,
                patient_responsibility,
                payer_claim_number,
                crossover_name,
                crossover_id,
                status_before,
                status_after,
                adjustments,
            )| {
                Ok(ClaimRecord {
                    position,
                    claim_id: claim_id.as_deref().map(uuid).transpose()?,
                    client_id: client_id.as_deref().map(uuid).transpose()?,
                    patient_control_number,
                    status_code,
                    charge: signed_text(charge),
                    paid: signed_text(paid),
                    patient_responsibility: patient_responsibility.map(signed_text),
                    payer_claim_number,
                    crossover_name,
                    crossover_id,
                    status_before,
                    status_after,
                    adjustments: adjustment_records(&adjustments)?,
                    lines: lines_by_claim.remove(&position).unwrap_or_default(),
                })
            },
        )
        .collect()
}

/// The PLB adjustments of remittance `id`.
pub async fn provider_adjustments(
    tx: &mut Tx,
    id: Uuid,
) -> StoreResult<Vec<ProviderAdjustmentRecord>> {
    let rows: Vec<ProviderAdjustmentRow> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT provider_id, fiscal_period_date, reason_code, reference, amount_cents
             FROM provider_adjustments WHERE remittance_id = $1 ORDER BY position"
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await)?;
    Ok(rows
        .into_iter()
        .map(
            |(provider_id, fiscal_period_date, reason_code, reference, cents)| {
                ProviderAdjustmentRecord {
                    provider_id,
                    fiscal_period_date,
                    reason_code,
                    reference,
                    amount: signed_text(cents),
                }
            },
        )
        .collect())
}

/// What posted remittances add up to for one claim, in integer cents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimMoney {
    pub paid_cents: i64,
    /// Σ CAS by group (`CO`, `OA`, `PI`, `PR`), claim and line level.
    pub adjusted_cents: HashMap<String, i64>,
    /// Σ PR by reason (`1` deductible, `2` coinsurance, `3` copay, ...).
    pub patient_cents: HashMap<String, i64>,
    /// The remittances (posted) that named the claim, oldest first.
    pub remittances: Vec<Uuid>,
}

/// [`ClaimMoney`] of one claim from the remittances that posted.
pub async fn claim_money(tx: &mut Tx, claim_id: Uuid) -> StoreResult<ClaimMoney> {
    // One row per posting of the claim: its payment, its claim-level adjustments, and its
    // lines' adjustments (each line's array, in line order).
    let rows: Vec<(String, i64, String, Option<String>)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT r.id, c.paid_cents, c.adjustments,
            (SELECT string_agg(l.adjustments, ' ') FROM remittance_lines l
             WHERE l.remittance_id = c.remittance_id AND l.claim_position = c.position)
         FROM remittance_claims c
         JOIN remittances r ON r.id = c.remittance_id
         WHERE c.claim_id = $1 AND r.status = 'posted' ORDER BY r.created_at, c.position"
    )
    .bind(claim_id.to_string())
    .fetch_all(conn)
    .await)?;
    let mut money = ClaimMoney::default();
    for (remittance, cents, claim_adjustments, line_adjustments) in rows {
        money.paid_cents += cents;
        let remittance = uuid(&remittance)?;
        if !money.remittances.contains(&remittance) {
            money.remittances.push(remittance);
        }
        for (group, reason, cents, _) in every_adjustment(&claim_adjustments, line_adjustments)? {
            if group == "PR" {
                *money.patient_cents.entry(reason).or_default() += cents;
            }
            *money.adjusted_cents.entry(group).or_default() += cents;
        }
    }
    Ok(money)
}

/// A claim's own adjustments and its lines' (their arrays joined by spaces), in one list.
fn every_adjustment(
    claim_adjustments: &str,
    line_adjustments: Option<String>,
) -> StoreResult<Vec<StoredAdjustment>> {
    let mut all = stored_adjustments(claim_adjustments)?;
    let line_adjustments = line_adjustments.unwrap_or_default();
    let lines =
        serde_json::Deserializer::from_str(&line_adjustments).into_iter::<Vec<StoredAdjustment>>();
    for line in lines {
        all.extend(line.map_err(corrupt)?);
    }
    Ok(all)
}

/// Σ patient responsibility (PR) per reason code over a client's posted remittances, by reason.
pub async fn client_patient_share(tx: &mut Tx, client_id: Uuid) -> StoreResult<Vec<(String, i64)>> {
    let rows: Vec<(String, Option<String>)> = with_tx!(tx, |conn| sqlx::query_as(
        "SELECT c.adjustments,
            (SELECT string_agg(l.adjustments, ' ') FROM remittance_lines l
             WHERE l.remittance_id = c.remittance_id AND l.claim_position = c.position)
         FROM remittance_claims c
         JOIN remittances r ON r.id = c.remittance_id
         JOIN claims k ON k.id = c.claim_id
         WHERE k.client_id = $1 AND r.status = 'posted'"
    )
    .bind(client_id.to_string())
    .fetch_all(conn)
    .await)?;
    let mut share: BTreeMap<String, i64> = BTreeMap::new();
    for (claim_adjustments, line_adjustments) in rows {
        for (group, reason, cents, _) in every_adjustment(&claim_adjustments, line_adjustments)? {
            if group == "PR" {
                *share.entry(reason).or_default() += cents;
            }
        }
    }
    Ok(share.into_iter().collect())
}
