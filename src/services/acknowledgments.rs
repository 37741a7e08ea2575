//! Receiving an acknowledgment of our 837 files (TA1, 999 or 277CA): read it, find the claims
//! it names ([`crate::domain::acknowledgment`] says how), move them, and keep the file with what
//! it said of each claim.
//!
//! - The file is kept whenever it reads, even when it names nothing of ours: what it named is
//!   listed as unmatched, never refused.
//! - The claims it moves move together, through [`claims::move_claims`] (a few statements for
//!   a file of thousands), each only from the status it was read in; the claim events carry the
//!   acknowledgment's words as their note, and a 277CA's payer claim number (REF*1K) is kept
//!   on the claim. A claim the acknowledgment reaches but does not move (already further
//!   along) is recorded all the same, with its status before and after.
//! - A TA1 or 999 naming an interchange, group or set of a file written before the file sets
//!   were kept (migration 0026) finds it all the same: those files' numbers are read from the
//!   files themselves the first time one is needed, and kept.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::domain::acknowledgment::{self as ack, Known, Reference};
use crate::domain::ids::new_id;
use crate::services::claim_files::form_name;
use crate::store::acknowledgments::{
    self as store, AckClaimRecord, NewAckClaim, NewAcknowledgment, UnmatchedRecord,
};
use crate::store::{claims, now, StoreError, Tx};
use crate::x12::X12Error;

#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// The file is not a readable TA1, 999 or 277CA.
    #[error("the file is not a readable TA1, 999 or 277CA: {0}")]
    Unreadable(X12Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An acknowledgment with what it said of each claim.
#[derive(Debug, Clone, Serialize)]
pub struct AcknowledgmentDetail {
    pub id: Uuid,
    pub kind: String,
    pub summary: serde_json::Value,
    pub received_by: Uuid,
    pub received_at: DateTime<Utc>,
    pub claims: Vec<AckClaimRecord>,
    pub unmatched: Vec<UnmatchedRecord>,
}

impl AcknowledgmentDetail {
    /// The clients whose claims it reached (for the audit).
    pub fn clients(&self) -> BTreeSet<Uuid> {
        self.claims.iter().map(|c| c.client_id).collect()
    }
}

/// What the store knows of the references: our claims and the files' sets that carried them.
/// Files written before their sets were kept (migration 0026) have none: when the
/// acknowledgment names an interchange, group or set no row holds, the sets of those files are
/// read from the files themselves and kept ([`record_older_file_sets`]), and looked up again.
async fn known(tx: &mut Tx, said: &[ack::Statement]) -> Result<Known, StoreError> {
    let references: Vec<Reference> = said.iter().map(|s| s.reference.clone()).collect();
    let known = known_of(tx, &references).await?;
    if !references.iter().any(|r| known.names_unknown_file(r)) {
        return Ok(known);
    }
    if record_older_file_sets(tx).await? == 0 {
        return Ok(known);
    }
    known_of(tx, &references).await
}

async fn known_of(tx: &mut Tx, references: &[Reference]) -> Result<Known, StoreError> {
    let sets = store::file_sets(tx, references).await?;
    let numbers: Vec<String> = references
        .iter()
        .filter_map(|r| match r {
            Reference::Claim(number) => Some(number.clone()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ids: Vec<Uuid> = sets
        .iter()
        .map(|s| s.claim_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut known = Known::default();
    for claim in store::our_claims(tx, &ids, &numbers).await? {
        known.by_number.insert(claim.claim_number.clone(), claim.id);
        known.claims.insert(claim.id, claim);
    }
    for s in sets {
        for list in [
            known.by_interchange.entry(s.interchange).or_default(),
            known.by_group.entry(s.group).or_default(),
            known.by_set.entry((s.group, s.set)).or_default(),
        ] {
            if !list.contains(&s.claim_id) {
                list.push(s.claim_id);
            }
        }
    }
    Ok(known)
}

/// Reads the interchange, group and set control numbers and the claims of every stored 837
/// file that has no file-set rows (those written before migration 0026) from the file itself,
/// and keeps them, so that this and later acknowledgments of those files match. Done once: a
/// file whose rows are kept is not read again. A file that does not read back (it always
/// should: perdiem wrote it) is noted as unreadable, so that it is not read again at every
/// acknowledgment that names an unknown number, and logged by id. Returns the rows kept.
async fn record_older_file_sets(tx: &mut Tx) -> Result<usize, StoreError> {
    let mut kept = 0;
    for file_id in claims::files_without_sets(tx).await? {
        let Some(file) = claims::sent_file(tx, file_id).await? else {
            continue;
        };
        let sent = match ack::sent_claims(file.content.as_bytes(), &file.claims) {
            Ok(sent) => sent,
            Err(error) => {
                tracing::warn!(file_id = %file_id, cause = %error,
                    "a stored claim file does not read back: its acknowledgments cannot match it");
                claims::note_unreadable_file(tx, file_id, &error.to_string()).await?;
                continue;
            }
        };
        let sets: Vec<claims::FileSet> = sent
            .iter()
            .map(|c| claims::FileSet {
                claim_id: c.claim_id,
                interchange_control_number: c.interchange,
                group_control_number: c.group,
                set_control_number: c.set,
                functional_form: form_name(c.form),
            })
            .collect();
        claims::insert_file_sets(tx, file_id, &sets).await?;
        kept += sets.len();
    }
    if kept > 0 {
        tracing::info!(
            rows = kept,
            "file sets of claim files written before they were kept"
        );
    }
    Ok(kept)
}

/// Reads, matches, moves and keeps `content`.
pub async fn receive(
    tx: &mut Tx,
    content: &[u8],
    user: Uuid,
) -> Result<AcknowledgmentDetail, AckError> {
    let file = ack::read(content).map_err(AckError::Unreadable)?;
    let said = ack::statements(&file);
    let known = known(tx, &said).await?;
    let judgement = ack::judge(&said, &known);

    let at = now();
    // One pass for every claim it moves (a 277CA for a 5,000-claim file is a few statements,
    // not one UPDATE and one INSERT per claim).
    let moves: Vec<claims::StatusMove<'_>> = judgement
        .claims
        .iter()
        .filter_map(|outcome| {
            Some(claims::StatusMove {
                claim_id: outcome.claim.id,
                from: outcome.claim.status,
                to: outcome.move_to?,
                payer_claim_number: outcome.payer_claim_number.as_deref(),
                note: outcome.detail.clone(),
            })
        })
        .collect();
    let moved = claims::move_claims(tx, &moves, user, at).await?;

    // Every claim it reached is recorded, moved or not (already further along, or changed
    // since it was read), with its status before and after.
    let claims_out: Vec<AckClaimRecord> = judgement
        .claims
        .iter()
        .map(|outcome| {
            let before = outcome.claim.status;
            let after = match outcome.move_to {
                Some(to) if moved.contains(&outcome.claim.id) => to,
                _ => before,
            };
            AckClaimRecord {
                claim_id: outcome.claim.id,
                claim_number: outcome.claim.claim_number.clone(),
                client_id: outcome.claim.client_id,
                reference: outcome.reference.clone(),
                outcome: outcome.outcome.map(|o| ack::outcome_name(o).to_string()),
                status_before: before,
                status_after: after,
                moved: before != after,
                detail: outcome.detail.clone(),
            }
        })
        .collect();
    let unmatched: Vec<UnmatchedRecord> = judgement
        .unmatched
        .iter()
        .map(|u| UnmatchedRecord {
            reference: u.reference.clone(),
            patient_control_number: u.patient_control_number.clone(),
            outcome: u.outcome.map(|o| ack::outcome_name(o).to_string()),
            detail: u.detail.clone(),
        })
        .collect();

    let count = |outcome: &str| {
        claims_out
            .iter()
            .filter(|c| c.outcome.as_deref() == Some(outcome))
            .count()
    };
    let summary = json!({
        "control_number": file.control_number(),
        "claims": claims_out.len(),
        "moved": claims_out.iter().filter(|c| c.moved).count(),
        "received": count("received"),
        "accepted": count("accepted"),
        "rejected": count("rejected"),
        "unmatched": unmatched.len(),
    });
    let id = new_id();
    let text = String::from_utf8_lossy(content);
    let kind = file.kind().as_str();
    let mut rows: Vec<NewAckClaim<'_>> = claims_out
        .iter()
        .map(|c| NewAckClaim {
            claim_id: Some(c.claim_id),
            patient_control_number: Some(&c.claim_number),
            reference: &c.reference,
            outcome: c
                .outcome
                .as_deref()
                .and_then(ack::parse_outcome)
                .map(ack::outcome_name),
            status_before: Some(c.status_before),
            status_after: Some(c.status_after),
            detail: &c.detail,
        })
        .collect();
    rows.extend(unmatched.iter().map(|u| {
        NewAckClaim {
            claim_id: None,
            patient_control_number: u.patient_control_number.as_deref(),
            reference: &u.reference,
            outcome: u
                .outcome
                .as_deref()
                .and_then(ack::parse_outcome)
                .map(ack::outcome_name),
            status_before: None,
            status_after: None,
            detail: &u.detail,
        }
    }));
    store::insert(
        tx,
        &NewAcknowledgment {
            id,
            kind,
            content: &text,
            summary: &summary,
            user,
            at,
        },
        &rows,
    )
    .await?;
    Ok(AcknowledgmentDetail {
        id,
        kind: kind.to_string(),
        summary,
        received_by: user,
        received_at: at,
        claims: claims_out,
        unmatched,
    })
}

/// Acknowledgment `id` with its claims, if there is one.
pub async fn find(tx: &mut Tx, id: Uuid) -> Result<Option<AcknowledgmentDetail>, StoreError> {
    let Some(found) = store::find(tx, id).await? else {
        return Ok(None);
    };
    let (claims, unmatched) = store::claims_of(tx, id).await?;
    Ok(Some(AcknowledgmentDetail {
        id: found.id,
        kind: found.kind,
        summary: found.summary,
        received_by: found.received_by,
        received_at: found.received_at,
        claims,
        unmatched,
    }))
}
