//! Receiving an 835: read it, check it is the clinic's, match every claim and line, keep every
//! transaction set, and post those that balance and were not posted before.
//!
//! - The file is kept whole ([`remittances::insert_file`]) before anything else, so what a payer
//!   sent is never lost, even when nothing in it posts.
//! - A set whose payee (N1*PE) is neither the clinic's NPI nor its tax id refuses the file: it
//!   is someone else's money.
//! - A set already posted (same payer, TRN03, and trace number, TRN02) is kept as a duplicate
//!   naming the first posting and moves nothing. A set that does not balance is kept as
//!   unbalanced, with each difference, and moves nothing; a corrected copy posts.
//! - Posting moves each matched claim by [`ClaimStatus::remitted`], with an event naming the
//!   payment, and keeps the payer's claim number (CLP07) on the claim for later corrections.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use uuid::Uuid;

use crate::domain::money::signed_text;
use crate::domain::organization::Organization;
use crate::domain::remittance::{self, PostingError};
use crate::store::remittances::{self, RemittanceStatus};
use crate::store::{claims, now, StoreError, Tx};
use crate::x12::{self, X12Error};

#[derive(Debug, thiserror::Error)]
pub enum RemitError {
    /// The file is not a readable 835.
    #[error("the file is not a readable 835: {0}")]
    Unreadable(X12Error),
    /// A set pays someone other than the clinic.
    #[error("{0}")]
    NotOurPayee(String),
    /// An amount that cannot be stored exactly.
    #[error("{0}")]
    Amount(PostingError),
    /// The clinic is not set up, so the payee cannot be checked.
    #[error("the clinic is not set up: PUT /api/v1/organization first")]
    NoOrganization,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What became of one transaction set.
#[derive(Debug, Clone, Serialize)]
pub struct ReceivedSet {
    pub id: Uuid,
    pub status: RemittanceStatus,
    pub duplicate_of: Option<Uuid>,
    pub set_control_number: String,
    pub payer_name: String,
    pub trace_number: String,
    pub payment: String,
    pub claims: usize,
    pub claims_posted: usize,
    /// CLP01s naming no claim of ours.
    pub unmatched_claims: Vec<String>,
    /// Lines (CLP01 and SVC position) matching none of the claim's lines.
    pub unmatched_lines: Vec<String>,
    /// Claims of ours that cannot take a payment in their status (never sent, voided, ...).
    pub claims_not_moved: Vec<String>,
    pub imbalances: Vec<remittance::Imbalance>,
}

/// The answer to one 835 file.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub file_id: Uuid,
    pub remittances: Vec<ReceivedSet>,
    /// What was read although it is not as the guide says.
    pub warnings: Vec<String>,
    /// The clients whose claims the file named (for the audit).
    #[serde(skip)]
    pub clients: BTreeSet<Uuid>,
}

impl Received {
    pub fn posted_any(&self) -> bool {
        self.remittances
            .iter()
            .any(|r| r.status != RemittanceStatus::Duplicate)
    }
}

/// Reads, keeps and posts `content`.
pub async fn receive(
    tx: &mut Tx,
    content: &[u8],
    org: Option<&Organization>,
    user: Uuid,
) -> Result<Received, RemitError> {
    let interchange = x12::parse_835(content).map_err(RemitError::Unreadable)?;
    let org = org.ok_or(RemitError::NoOrganization)?;
    for set in &interchange.remittances {
        let ours = set.payee.npi() == Some(org.npi.as_str())
            || set.payee.tax_id() == Some(org.tax_id.as_str());
        if !ours {
            return Err(RemitError::NotOurPayee(format!(
                "transaction set {} pays {} ({}), which is not this clinic (NPI {}, tax id {})",
                set.transaction_set_control_number,
                set.payee.name,
                set.payee
                    .id
                    .as_deref()
                    .map(|id| format!("{} {id}", set.payee.id_qualifier.as_deref().unwrap_or("id")))
                    .unwrap_or_else(|| "no id".into()),
                org.npi.as_str(),
                org.tax_id
            )));
        }
    }
    let numbers: Vec<String> = interchange
        .claims()
        .map(|c| c.patient_control_number.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ours = remittances::our_claims(tx, &numbers).await?;
    let postings = interchange
        .remittances
        .iter()
        .map(|set| remittance::post(set, &ours))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RemitError::Amount)?;

    remittances::lock_for_posting(tx).await?;
    let at = now();
    let text = String::from_utf8_lossy(content);
    let file_id = remittances::insert_file(
        tx,
        &text,
        &interchange.interchange.control_number.to_string(),
        user,
        at,
    )
    .await?;
    let clients_of: HashMap<Uuid, Uuid> = ours.values().map(|c| (c.id, c.client_id)).collect();
    let mut received = Received {
        file_id,
        remittances: Vec::with_capacity(postings.len()),
        warnings: interchange.warnings().map(ToString::to_string).collect(),
        clients: BTreeSet::new(),
    };
    // A file may carry the same payment twice: the second is a duplicate of the first.
    let mut posted_here: HashMap<(String, String), Uuid> = HashMap::new();
    for posting in postings {
        let key = (
            posting.payer_identifier.clone(),
            posting.trace_number.clone(),
        );
        let earlier = match posted_here.get(&key) {
            Some(id) => Some(*id),
            None => remittances::posted(tx, &key.0, &key.1).await?,
        };
        let status = if earlier.is_some() {
            RemittanceStatus::Duplicate
        } else if posting.balances() {
            RemittanceStatus::Posted
        } else {
            RemittanceStatus::Unbalanced
        };
        let id = remittances::insert(tx, file_id, &posting, status, earlier, at).await?;
        let mut claims_posted = 0;
        let mut claims_not_moved = Vec::new();
        if status == RemittanceStatus::Posted {
            posted_here.insert(key, id);
            let moves: Vec<claims::StatusMove> = posting
                .claims
                .iter()
                .filter_map(|claim| {
                    Some(claims::StatusMove {
                        claim_id: claim.claim_id?,
                        from: claim.status_before?,
                        to: claim.status_after?,
                        payer_claim_number: claim.payer_claim_number.as_deref(),
                        note: format!(
                            "835 {} trace {}: CLP02 {}, paid {}",
                            posting.payer_name,
                            posting.trace_number,
                            claim.status_code,
                            signed_text(claim.paid_cents)
                        ),
                    })
                })
                .collect();
            let moved = claims::move_claims(tx, &moves, user, at).await?;
            claims_posted = moved.len();
            // Ours, but not moved: its status cannot take a payment, or it changed meanwhile.
            claims_not_moved = posting
                .claims
                .iter()
                .filter(|c| c.claim_id.is_some_and(|id| !moved.contains(&id)))
                .map(|c| c.patient_control_number.clone())
                .collect();
        }
        for claim in posting.claims.iter().filter_map(|c| c.claim_id) {
            if let Some(client) = clients_of.get(&claim) {
                received.clients.insert(*client);
            }
        }
        received.remittances.push(ReceivedSet {
            id,
            status,
            duplicate_of: earlier,
            set_control_number: posting.set_control_number.clone(),
            payer_name: posting.payer_name.clone(),
            trace_number: posting.trace_number.clone(),
            payment: signed_text(posting.payment_cents),
            claims: posting.claims.len(),
            claims_posted,
            unmatched_claims: posting
                .claims
                .iter()
                .filter(|c| c.claim_id.is_none())
                .map(|c| c.patient_control_number.clone())
                .collect(),
            unmatched_lines: posting
                .claims
                .iter()
                .filter(|c| c.claim_id.is_some())
                .flat_map(|c| {
                    c.lines
                        .iter()
                        .filter(|l| l.line_number.is_none())
                        .map(move |l| format!("{} line {}", c.patient_control_number, l.position))
                })
                .collect(),
            claims_not_moved,
            imbalances: posting.imbalances.clone(),
        });
    }
    Ok(received)
}
