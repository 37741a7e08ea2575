//! What a payer's (or clearinghouse's) acknowledgment of our 837 files says of each claim, and
//! where it takes them. Pure: the service reads the file, looks up what it names and stores the
//! moves.
//!
//! ```text
//! TA1    TA101 = our ISA13          → every claim of that file
//!        TA104 R → rejected (TA105 in words); A, E → received
//! 999    AK102 = our GS06, AK202 = our ST02 → every claim of that transaction set
//!        IK501 A, E → received (E keeps its errors in words); R, M, W, X → rejected, naming
//!        each IK3 segment and position and each IK4 element with their errors in words
//!        AK9 without AK2 loops → every set of the group, by AK901 (P moves nothing: which sets
//!        were lost is not said)
//! 277CA  2200D TRN02 = our CLM01    → that claim
//!        A0, A1 → received; A2 → accepted; A3, A4, A6, A7, A8 → rejected; A5 (split) →
//!        received, with a note
//! ```
//!
//! **The most serious status wins.** A 277CA claim has the statuses of its batch (2200B), its
//! billing provider (2200C) and its own (2200D); a claim may also be named twice. Rejection
//! outranks acceptance, which outranks receipt: a billing provider rejected for its NPI rejects
//! every claim beneath it even when a claim says it was received, and a receipt of the batch
//! does not hide a claim's acceptance. Line statuses (2220D) do not move the claim: a payer
//! rejecting the claim says so at 2200D.
//!
//! Where the claim then goes is [`ClaimStatus::acknowledged`]'s rule: an acknowledgment never
//! undoes a later stage, and one that moves nothing is still recorded against the claim.
//! Whatever names nothing of ours is listed as unmatched, never refused.

use std::collections::HashMap;
use std::fmt;

use uuid::Uuid;

use super::claim_status::{Acknowledged, ClaimStatus};
use crate::x12::{ack_codes, claim_status_codes};
use crate::x12::{
    parse_277ca, parse_acknowledgment, read_sent_837, tokenize, Ack999, AckStatus,
    AcknowledgedClaim, Acknowledgment, ClaimForm837, Interchange277, StatusCode, StatusReport, Ta1,
    Ta1Code, X12Error,
};

/// Which acknowledgment a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ta1,
    Implementation999,
    ClaimAcknowledgment277,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ta1 => "TA1",
            Kind::Implementation999 => "999",
            Kind::ClaimAcknowledgment277 => "277CA",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        [
            Kind::Ta1,
            Kind::Implementation999,
            Kind::ClaimAcknowledgment277,
        ]
        .into_iter()
        .find(|k| k.as_str() == raw)
    }
}

/// An acknowledgment file as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckFile {
    Interchange(Ta1),
    Implementation(Ack999),
    Claims(Interchange277),
}

impl AckFile {
    pub fn kind(&self) -> Kind {
        match self {
            AckFile::Interchange(_) => Kind::Ta1,
            AckFile::Implementation(_) => Kind::Implementation999,
            AckFile::Claims(_) => Kind::ClaimAcknowledgment277,
        }
    }

    /// The acknowledgment's own ISA13.
    pub fn control_number(&self) -> String {
        match self {
            AckFile::Interchange(t) => t.interchange.control_number.to_string(),
            AckFile::Implementation(a) => a.interchange.control_number.to_string(),
            AckFile::Claims(c) => c.interchange.control_number.to_string(),
        }
    }
}

/// Reads a TA1, a 999 or a 277CA, telling them apart by what follows the ISA (a TA1) or by
/// ST01; the error is the reader's of the kind the file claims to be.
pub fn read(content: &[u8]) -> Result<AckFile, X12Error> {
    let is_277 = {
        let tokenized = tokenize(content)?;
        let st01 = tokenized
            .segments
            .iter()
            .find(|s| s.id() == "ST")
            .and_then(|s| s.value(1));
        st01 == Some("277")
    };
    if is_277 {
        return parse_277ca(content).map(AckFile::Claims);
    }
    Ok(match parse_acknowledgment(content)? {
        Acknowledgment::Interchange(ta1) => AckFile::Interchange(ta1),
        Acknowledgment::Implementation(ack) => AckFile::Implementation(ack),
    })
}

/// What an acknowledgment names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// TA101: our ISA13.
    Interchange(i64),
    /// AK102 and AK202: our GS06 and ST02.
    Set { group: i64, set: i64 },
    /// AK102 of a 999 without AK2 loops: every set of our group.
    Group(i64),
    /// 277CA 2200D TRN02: our CLM01.
    Claim(String),
    /// Something that cannot be ours (a control number that is no number, a group of 270s),
    /// in words.
    NotOurs(String),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Interchange(n) => write!(f, "interchange {n:09}"),
            Reference::Set { group, set } => write!(f, "group {group} set {set:04}"),
            Reference::Group(n) => write!(f, "group {n}"),
            Reference::Claim(number) => write!(f, "claim {number}"),
            Reference::NotOurs(what) => f.write_str(what),
        }
    }
}

/// One thing the acknowledgment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub reference: Reference,
    /// `None` when it says nothing that moves a claim (a 277CA claim without a status, a
    /// partially accepted group whose sets are not named).
    pub outcome: Option<Acknowledged>,
    /// In words, naming the codes: goes into the claim's history.
    pub detail: String,
    /// 277CA REF*1K.
    pub payer_claim_number: Option<String>,
}

/// Every statement of the file, in the order it makes them.
pub fn statements(file: &AckFile) -> Vec<Statement> {
    match file {
        AckFile::Interchange(ta1) => vec![ta1_statement(ta1)],
        AckFile::Implementation(ack) => ack999_statements(ack),
        AckFile::Claims(interchange) => interchange.claims().map(claim_statement).collect(),
    }
}

/// An X12 control number (up to 9 digits) as we store it.
fn control_number(raw: &str) -> Option<i64> {
    if raw.is_empty() || raw.len() > 9 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

fn described(code: &str, words: fn(&str) -> Option<&'static str>) -> String {
    match words(code) {
        Some(w) => format!("{w} ({code})"),
        None => format!("code {code}"),
    }
}

fn ta1_statement(ta1: &Ta1) -> Statement {
    let reference = control_number(&ta1.control_number)
        .map(Reference::Interchange)
        .unwrap_or_else(|| Reference::NotOurs(format!("interchange {}", ta1.control_number)));
    let note = described(&ta1.note, ack_codes::interchange_note);
    let (outcome, detail) = match ta1.code {
        Ta1Code::Accepted => (
            Acknowledged::Received,
            format!("TA1: interchange {} accepted", ta1.control_number),
        ),
        Ta1Code::AcceptedWithErrors => (
            Acknowledged::Received,
            format!(
                "TA1: interchange {} accepted with errors: {note}",
                ta1.control_number
            ),
        ),
        Ta1Code::Rejected => (
            Acknowledged::Rejected,
            format!("TA1: interchange {} rejected: {note}", ta1.control_number),
        ),
    };
    Statement {
        reference,
        outcome: Some(outcome),
        detail,
        payer_claim_number: None,
    }
}

fn status_outcome(status: AckStatus) -> Option<Acknowledged> {
    match status {
        AckStatus::Accepted | AckStatus::AcceptedWithErrors => Some(Acknowledged::Received),
        AckStatus::PartiallyAccepted => None,
        AckStatus::Rejected
        | AckStatus::RejectedAuthentication
        | AckStatus::RejectedValidity
        | AckStatus::RejectedDecryption => Some(Acknowledged::Rejected),
    }
}

fn status_words(status: AckStatus) -> &'static str {
    match status {
        AckStatus::Accepted => "accepted",
        AckStatus::AcceptedWithErrors => "accepted with errors",
        AckStatus::PartiallyAccepted => "partially accepted",
        AckStatus::Rejected => "rejected",
        AckStatus::RejectedAuthentication => "rejected: message authentication code failed",
        AckStatus::RejectedValidity => "rejected: assurance failed validity tests",
        AckStatus::RejectedDecryption => "rejected: content after decryption could not be analyzed",
    }
}

/// Each IK3 (and its IK4s), then the IK5 errors, in words: `segment NM1 at position 17 (loop
/// 2010BA), element NM109: required data element missing (1)`. Never the bad value (IK404).
fn set_problems(t: &crate::x12::TransactionAck) -> Vec<String> {
    let mut problems = Vec::new();
    for s in &t.segment_errors {
        let place = match &s.loop_id {
            Some(l) => format!(
                "segment {} at position {} (loop {l})",
                s.segment_id, s.position
            ),
            None => format!("segment {} at position {}", s.segment_id, s.position),
        };
        if let Some(code) = &s.code {
            if s.element_errors.is_empty() || code != "8" {
                problems.push(format!(
                    "{place}: {}",
                    described(code, ack_codes::segment_error)
                ));
            }
        } else if s.element_errors.is_empty() {
            problems.push(format!("{place}: in error"));
        }
        for e in &s.element_errors {
            let mut element = format!("{}{:02}", s.segment_id, e.position);
            if let Some(component) = e.component {
                element.push_str(&format!("-{component}"));
            }
            problems.push(format!(
                "{place}, element {element}: {}",
                described(&e.code, ack_codes::element_error)
            ));
        }
    }
    problems.extend(
        t.errors
            .iter()
            .map(|c| described(c, ack_codes::transaction_error)),
    );
    problems
}

fn ack999_statements(ack: &Ack999) -> Vec<Statement> {
    // AK101 HS is a group of 270s: its numbers are not our claim files'.
    let group = match (
        ack.functional_id.as_str(),
        control_number(&ack.group_control_number),
    ) {
        ("HC", Some(n)) => Ok(n),
        ("HC", None) => Err(format!("group {}", ack.group_control_number)),
        (other, _) => Err(format!(
            "group {} of functional id {other} (not claims)",
            ack.group_control_number
        )),
    };
    if ack.transactions.is_empty() {
        let group_errors: Vec<String> = ack
            .group_errors
            .iter()
            .map(|c| described(c, ack_codes::group_error))
            .collect();
        let outcome = status_outcome(ack.status);
        let mut detail = format!(
            "999: group {} {} (AK9 {})",
            ack.group_control_number,
            status_words(ack.status),
            ack.status.code()
        );
        if !group_errors.is_empty() {
            detail.push_str(&format!(": {}", group_errors.join("; ")));
        }
        if outcome.is_none() {
            detail.push_str(", without naming its sets: nothing moved");
        }
        return vec![Statement {
            reference: group.map_or_else(Reference::NotOurs, Reference::Group),
            outcome,
            detail,
            payer_claim_number: None,
        }];
    }
    ack.transactions
        .iter()
        .map(|t| {
            let reference = match (&group, control_number(&t.control_number)) {
                (Ok(group), Some(set)) => Reference::Set { group: *group, set },
                (Ok(_), None) => Reference::NotOurs(format!(
                    "group {} set {}",
                    ack.group_control_number, t.control_number
                )),
                (Err(group), _) => Reference::NotOurs(format!("{group} set {}", t.control_number)),
            };
            let problems = set_problems(t);
            let mut detail = format!(
                "999: transaction set {} {} (IK5 {})",
                t.control_number,
                status_words(t.status),
                t.status.code()
            );
            if !problems.is_empty() {
                detail.push_str(&format!(": {}", problems.join("; ")));
            }
            Statement {
                reference,
                outcome: status_outcome(t.status),
                detail,
                payer_claim_number: None,
            }
        })
        .collect()
}

/// STC01-1 → what it says of the claim. A5 (split): the payer took the claim in as several,
/// so it was received; the remittances will say the rest.
fn category_outcome(code: &StatusCode) -> Acknowledged {
    use crate::x12::StatusCategory as C;
    match code.category {
        C::Forwarded | C::Received | C::Split => Acknowledged::Received,
        C::Accepted => Acknowledged::Accepted,
        C::ReturnedUnprocessable
        | C::NotFound
        | C::RejectedMissingInformation
        | C::RejectedInvalidInformation
        | C::RejectedRelationalField => Acknowledged::Rejected,
    }
}

/// One STC composite in words: its category, what it says (list 508) and of whom (element
/// 98), e.g. `A7 acknowledgement/rejected for invalid information: status entity's national
/// provider identifier (NPI) (562), entity billing provider (85)`.
fn code_words(code: &StatusCode) -> String {
    let mut out = format!(
        "{} {}: status {}",
        code.category.code(),
        code.category.description(),
        described(&code.status, claim_status_codes::status_code)
    );
    if let Some(entity) = &code.entity {
        out.push_str(&format!(
            ", entity {}",
            described(entity, claim_status_codes::entity)
        ));
    }
    if code.category == crate::x12::StatusCategory::Split {
        out.push_str(" (the payer split the claim; each part is remitted on its own)");
    }
    out
}

fn report_words(level: &str, report: &StatusReport) -> Vec<String> {
    report
        .codes
        .iter()
        .map(|c| {
            let mut words = format!("{level}{}", code_words(c));
            if let Some(message) = &report.message {
                words.push_str(&format!(" — {message}"));
            }
            words
        })
        .collect()
}

fn claim_statement(ack: AcknowledgedClaim<'_>) -> Statement {
    let outcome = ack
        .statuses()
        .flat_map(|s| &s.codes)
        .map(category_outcome)
        .max_by_key(|o| severity(*o));
    let mut words: Vec<String> = Vec::new();
    for s in &ack.receiver.statuses {
        words.extend(report_words("batch: ", s));
    }
    for s in &ack.provider.statuses {
        words.extend(report_words("billing provider: ", s));
    }
    for s in &ack.claim.statuses {
        words.extend(report_words("", s));
    }
    let detail = if words.is_empty() {
        "277CA: no status for this claim".to_string()
    } else {
        format!("277CA: {}", words.join("; "))
    };
    Statement {
        reference: Reference::Claim(ack.patient_control_number().to_string()),
        outcome,
        detail,
        payer_claim_number: ack.payer_claim_control_number().map(str::to_string),
    }
}

/// Rejection over acceptance over receipt.
pub fn severity(outcome: Acknowledged) -> u8 {
    match outcome {
        Acknowledged::Received => 0,
        Acknowledged::Accepted => 1,
        Acknowledged::Rejected => 2,
    }
}

/// The outcome as the API and the store name it.
pub fn outcome_name(outcome: Acknowledged) -> &'static str {
    match outcome {
        Acknowledged::Received => "received",
        Acknowledged::Accepted => "accepted",
        Acknowledged::Rejected => "rejected",
    }
}

pub fn parse_outcome(raw: &str) -> Option<Acknowledged> {
    [
        Acknowledged::Received,
        Acknowledged::Accepted,
        Acknowledged::Rejected,
    ]
    .into_iter()
    .find(|o| outcome_name(*o) == raw)
}

/// One claim of one of our 837 files, by the numbers its TA1 and 999 name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentClaim {
    pub claim_id: Uuid,
    /// ISA13.
    pub interchange: i64,
    /// GS06.
    pub group: i64,
    /// ST02.
    pub set: i64,
    pub form: ClaimForm837,
}

/// The claims of a stored 837 file by the numbers its acknowledgments name, read back from the
/// file itself: for a file kept before perdiem recorded them beside it. Each CLM01 is matched
/// to the file's own claims by claim number (`claims`); one not among them is left out.
pub fn sent_claims(
    content: &[u8],
    claims: &HashMap<String, Uuid>,
) -> Result<Vec<SentClaim>, X12Error> {
    let mut sent = Vec::new();
    for set in read_sent_837(content)? {
        // The envelope reader allows only control numbers of 1–9 digits, which always read.
        let (Some(interchange), Some(group), Some(number)) = (
            control_number(&set.interchange_control_number),
            control_number(&set.group_control_number),
            control_number(&set.set_control_number),
        ) else {
            continue;
        };
        for claim_number in &set.claim_numbers {
            if let Some(id) = claims.get(claim_number) {
                sent.push(SentClaim {
                    claim_id: *id,
                    interchange,
                    group,
                    set: number,
                    form: set.form,
                });
            }
        }
    }
    Ok(sent)
}

/// A claim of ours an acknowledgment may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurClaim {
    pub id: Uuid,
    pub client_id: Uuid,
    pub claim_number: String,
    pub status: ClaimStatus,
}

/// What the store found for the references: our claims, and which of them each interchange,
/// group and set of our files carried.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub claims: HashMap<Uuid, OurClaim>,
    pub by_number: HashMap<String, Uuid>,
    pub by_interchange: HashMap<i64, Vec<Uuid>>,
    pub by_group: HashMap<i64, Vec<Uuid>>,
    pub by_set: HashMap<(i64, i64), Vec<Uuid>>,
}

impl Known {
    /// Whether `reference` names an interchange, group or set of an 837 file that no file-set
    /// row of ours holds: a file written before they were kept (migration 0026), or not ours.
    pub fn names_unknown_file(&self, reference: &Reference) -> bool {
        match reference {
            Reference::Interchange(n) => !self.by_interchange.contains_key(n),
            Reference::Set { group, set } => !self.by_set.contains_key(&(*group, *set)),
            Reference::Group(n) => !self.by_group.contains_key(n),
            Reference::Claim(_) | Reference::NotOurs(_) => false,
        }
    }

    /// The claims a reference reaches, in the order the files carried them.
    fn reached(&self, reference: &Reference) -> Vec<Uuid> {
        let ids = match reference {
            Reference::Interchange(n) => self.by_interchange.get(n).cloned(),
            Reference::Set { group, set } => self.by_set.get(&(*group, *set)).cloned(),
            Reference::Group(n) => self.by_group.get(n).cloned(),
            Reference::Claim(number) => self.by_number.get(number).map(|id| vec![*id]),
            Reference::NotOurs(_) => None,
        };
        ids.unwrap_or_default()
            .into_iter()
            .filter(|id| self.claims.contains_key(id))
            .collect()
    }
}

/// What an acknowledgment does to one claim of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimOutcome {
    pub claim: OurClaim,
    /// What named it (of several, the one whose outcome won).
    pub reference: String,
    pub outcome: Option<Acknowledged>,
    /// Where [`ClaimStatus::acknowledged`] takes it; `None` when it stays.
    pub move_to: Option<ClaimStatus>,
    pub detail: String,
    pub payer_claim_number: Option<String>,
}

/// Something the acknowledgment named that is not ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub reference: String,
    /// The 277CA's TRN02, when it named a claim.
    pub patient_control_number: Option<String>,
    pub outcome: Option<Acknowledged>,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgement {
    pub claims: Vec<ClaimOutcome>,
    pub unmatched: Vec<Unmatched>,
}

/// Applies the statements to the claims they reach: per claim the most serious outcome wins
/// (its statements' details kept together), and the claim moves where
/// [`ClaimStatus::acknowledged`] says.
pub fn judge(statements: &[Statement], known: &Known) -> Judgement {
    let mut judgement = Judgement::default();
    let mut order: Vec<Uuid> = Vec::new();
    let mut said: HashMap<Uuid, Vec<&Statement>> = HashMap::new();
    for statement in statements {
        let reached = known.reached(&statement.reference);
        if reached.is_empty() {
            judgement.unmatched.push(Unmatched {
                reference: statement.reference.to_string(),
                patient_control_number: match &statement.reference {
                    Reference::Claim(number) => Some(number.clone()),
                    _ => None,
                },
                outcome: statement.outcome,
                detail: statement.detail.clone(),
            });
            continue;
        }
        for id in reached {
            let entry = said.entry(id).or_default();
            if entry.is_empty() {
                order.push(id);
            }
            entry.push(statement);
        }
    }
    for id in order {
        let (Some(claim), Some(statements)) = (known.claims.get(&id), said.get(&id)) else {
            continue;
        };
        let outcome = statements
            .iter()
            .filter_map(|s| s.outcome)
            .max_by_key(|o| severity(*o));
        let winners: Vec<&&Statement> =
            statements.iter().filter(|s| s.outcome == outcome).collect();
        let detail = winners
            .iter()
            .map(|s| s.detail.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let reference = winners
            .first()
            .map(|s| s.reference.to_string())
            .unwrap_or_default();
        judgement.claims.push(ClaimOutcome {
            claim: claim.clone(),
            reference,
            outcome,
            move_to: outcome.and_then(|o| claim.status.acknowledged(o)),
            detail,
            payer_claim_number: statements.iter().find_map(|s| s.payer_claim_number.clone()),
        });
    }
    judgement
}

#[cfg(test)]
mod tests {
    use super::*;

    const REJECTED_999: &str = include_str!("../../fixtures/x12/999_rejected.x12");
    const ACCEPTED_999: &str = include_str!("../../fixtures/x12/999_accepted.x12");
    const TA1_REJECTED: &str = include_str!("../../fixtures/x12/ta1_rejected.x12");
    const MIXED_277: &str = include_str!("../../fixtures/x12/277ca_mixed.x12");

    fn read_text(text: &str) -> AckFile {
        read(text.as_bytes()).unwrap()
    }

    /// The fixture's 999 made to acknowledge group 42 of 837s (`HC`).
    fn as_claims_999(text: &str) -> String {
        text.replace("AK1*HS*", "AK1*HC*")
            .replace("AK2*270*", "AK2*837*")
            .replace("005010X279A1", "005010X223A2")
    }

    fn claim(n: u8, status: ClaimStatus) -> OurClaim {
        OurClaim {
            id: Uuid::from_u128(u128::from(n)),
            client_id: Uuid::from_u128(1000),
            claim_number: format!("PD{n}"),
            status,
        }
    }

    fn known(claims: &[OurClaim]) -> Known {
        let mut k = Known::default();
        for c in claims {
            k.claims.insert(c.id, c.clone());
            k.by_number.insert(c.claim_number.clone(), c.id);
        }
        k
    }

    #[test]
    fn each_file_is_read_as_its_kind() {
        assert_eq!(read_text(TA1_REJECTED).kind(), Kind::Ta1);
        assert_eq!(read_text(ACCEPTED_999).kind(), Kind::Implementation999);
        assert_eq!(read_text(MIXED_277).kind(), Kind::ClaimAcknowledgment277);
        for kind in [
            Kind::Ta1,
            Kind::Implementation999,
            Kind::ClaimAcknowledgment277,
        ] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn an_unreadable_file_is_the_readers_error() {
        assert!(read(b"hello").is_err());
        let not_ack = ACCEPTED_999.replace("ST*999*", "ST*998*");
        assert!(matches!(
            read(not_ack.as_bytes()),
            Err(X12Error::UnexpectedTransaction { .. })
        ));
        let broken_277 = MIXED_277.replace("005010X214", "005010X212");
        assert!(read(broken_277.as_bytes()).is_err());
    }

    #[test]
    fn a_rejecting_ta1_rejects_every_claim_of_the_interchange_in_words() {
        let file = read_text(TA1_REJECTED);
        let AckFile::Interchange(ta1) = &file else {
            panic!("not a TA1");
        };
        let said = statements(&file);
        let number = control_number(&ta1.control_number).unwrap();
        assert_eq!(said[0].reference, Reference::Interchange(number));
        assert_eq!(said[0].outcome, Some(Acknowledged::Rejected));
        let words = ack_codes::interchange_note(&ta1.note).unwrap();
        assert!(said[0].detail.contains(words), "{}", said[0].detail);

        let (a, b, c) = (
            claim(1, ClaimStatus::Submitted),
            claim(2, ClaimStatus::Received),
            claim(3, ClaimStatus::Paid),
        );
        let mut k = known(&[a.clone(), b.clone(), c.clone()]);
        k.by_interchange.insert(number, vec![a.id, b.id, c.id]);
        let j = judge(&said, &k);
        let moves: Vec<_> = j.claims.iter().map(|c| c.move_to).collect();
        assert_eq!(
            moves,
            [
                Some(ClaimStatus::Rejected),
                Some(ClaimStatus::Rejected),
                None
            ],
            "a paid claim stays paid"
        );
        assert!(j.unmatched.is_empty());
    }

    #[test]
    fn an_accepting_ta1_marks_claims_received() {
        let text = TA1_REJECTED.replacen("*R*", "*A*", 1);
        let said = statements(&read_text(&text));
        assert_eq!(said[0].outcome, Some(Acknowledged::Received));
    }

    #[test]
    fn a_rejected_999_set_names_each_segment_and_element_in_words() {
        let said = statements(&read_text(&as_claims_999(REJECTED_999)));
        assert_eq!(said.len(), 1);
        assert_eq!(said[0].reference, Reference::Set { group: 42, set: 1 });
        assert_eq!(said[0].outcome, Some(Acknowledged::Rejected));
        let d = &said[0].detail;
        assert!(
            d.contains(
                "segment NM1 at position 9 (loop 2100C), element NM109: required data element missing (1)"
            ),
            "{d}"
        );
        assert!(
            d.contains("segment DMG at position 10 (loop 2100C), element DMG02: invalid date (8)"),
            "{d}"
        );
        assert!(d.contains("one or more segments in error (5)"), "{d}");
        // IK404 (the bad value as sent) may be a birth date: never in the words.
        assert!(!d.contains("19781320"), "{d}");
    }

    #[test]
    fn an_accepted_999_set_is_received_and_errors_are_kept_in_words() {
        let said = statements(&read_text(&as_claims_999(ACCEPTED_999)));
        assert!(said
            .iter()
            .all(|s| s.outcome == Some(Acknowledged::Received)));
        let with_errors = as_claims_999(REJECTED_999)
            .replace("IK5*R*5", "IK5*E*5")
            .replace("AK9*R*1*1*0", "AK9*E*1*1*1");
        let said = statements(&read_text(&with_errors));
        assert_eq!(said[0].outcome, Some(Acknowledged::Received));
        assert!(said[0].detail.contains("accepted with errors"));
        assert!(said[0].detail.contains("required data element missing"));
    }

    #[test]
    fn a_999_of_270s_names_nothing_of_ours() {
        let said = statements(&read_text(REJECTED_999));
        assert!(matches!(said[0].reference, Reference::NotOurs(_)));
        let mut k = known(&[claim(1, ClaimStatus::Submitted)]);
        k.by_set.insert((42, 1), vec![Uuid::from_u128(1)]);
        let j = judge(&said, &k);
        assert!(j.claims.is_empty());
        assert_eq!(j.unmatched.len(), 1);
    }

    /// A 999 of our group 42 of 837Is with no AK2 loop, its AK9 as given.
    fn group_only(ak9: &str) -> String {
        let isa = ACCEPTED_999.lines().next().unwrap();
        format!(
            "{isa}\nGS*FA*ACMEPAYER*SUBMITTERID*20261123*1030*906*X*005010X231A1~\n\
             ST*999*0001*005010X231A1~\nAK1*HC*42*005010X223A2~\n{ak9}~\nSE*4*0001~\n\
             GE*1*906~\nIEA*1*000000906~\n"
        )
    }

    #[test]
    fn a_group_rejected_without_sets_rejects_every_set_of_the_group() {
        let said = statements(&read_text(&group_only("AK9*R*1*1*0*2")));
        assert_eq!(said[0].reference, Reference::Group(42));
        assert_eq!(said[0].outcome, Some(Acknowledged::Rejected));
        assert!(said[0]
            .detail
            .contains("functional group version not supported (2)"));
        let (a, b) = (
            claim(1, ClaimStatus::Submitted),
            claim(2, ClaimStatus::Submitted),
        );
        let mut k = known(&[a.clone(), b.clone()]);
        k.by_group.insert(42, vec![a.id, b.id]);
        let j = judge(&said, &k);
        assert_eq!(j.claims.len(), 2);
        assert!(j
            .claims
            .iter()
            .all(|c| c.move_to == Some(ClaimStatus::Rejected)));

        let partial = statements(&read_text(&group_only("AK9*P*2*2*1")));
        assert_eq!(partial[0].outcome, None, "which set was lost is not said");
        let j = judge(&partial, &k);
        assert!(j.claims.iter().all(|c| c.move_to.is_none()));
    }

    #[test]
    fn a_277ca_moves_each_claim_by_its_most_serious_status() {
        let said = statements(&read_text(MIXED_277));
        assert_eq!(said.len(), 2);
        // PCN0001: batch and provider received it (A1), the claim was accepted (A2).
        assert_eq!(said[0].reference, Reference::Claim("PCN0001".into()));
        assert_eq!(said[0].outcome, Some(Acknowledged::Accepted));
        assert_eq!(said[0].payer_claim_number.as_deref(), Some("PAYERCLM1"));
        // PCN0002: rejected (A7, A6, A8), in words.
        assert_eq!(said[1].outcome, Some(Acknowledged::Rejected));
        let d = &said[1].detail;
        assert!(
            d.contains("A7 acknowledgement/rejected for invalid information: status entity's national provider identifier (NPI) (562), entity billing provider (85)"),
            "{d}"
        );
        assert!(
            d.contains("A6 acknowledgement/rejected for missing information: status entity's tax id (128), entity patient (QC)"),
            "{d}"
        );
        assert!(
            d.contains("status procedure code for services rendered (454)"),
            "{d}"
        );

        let (a, b) = (
            claim(1, ClaimStatus::Submitted),
            claim(2, ClaimStatus::Received),
        );
        let mut k = known(&[a.clone(), b.clone()]);
        k.by_number.insert("PCN0001".into(), a.id);
        k.by_number.insert("PCN0002".into(), b.id);
        let j = judge(&said, &k);
        assert_eq!(j.claims[0].move_to, Some(ClaimStatus::Accepted));
        assert_eq!(j.claims[1].move_to, Some(ClaimStatus::Rejected));
    }

    #[test]
    fn a_status_or_entity_code_without_words_shows_as_its_code() {
        let text = MIXED_277.replace("A6:128:QC", "A6:9999:ZZ");
        let said = statements(&read_text(&text));
        let d = &said[1].detail;
        assert!(d.contains("status code 9999, entity code ZZ"), "{d}");
    }

    #[test]
    fn a_provider_level_rejection_rejects_every_claim_beneath_it() {
        let text = MIXED_277.replace("STC*A1:19:85**WQ*1550~", "STC*A3:562:85**U*1550~");
        let said = statements(&read_text(&text));
        assert!(said
            .iter()
            .all(|s| s.outcome == Some(Acknowledged::Rejected)));
        assert!(said[0]
            .detail
            .contains("billing provider: A3 acknowledgement/returned as unprocessable claim"));
    }

    #[test]
    fn a_split_claim_is_received_with_a_note() {
        let text = MIXED_277
            .replace("STC*A1:19:PR*20250202*WQ*1550~", "STC*A1:19:PR~")
            .replace("STC*A2:20*20250202*WQ*1250~", "STC*A5:20*20250202*WQ*1250~");
        let said = statements(&read_text(&text));
        assert_eq!(said[0].outcome, Some(Acknowledged::Received));
        assert!(said[0].detail.contains("the payer split the claim"));
    }

    #[test]
    fn an_unknown_claim_is_unmatched_with_what_was_said() {
        let said = statements(&read_text(MIXED_277));
        let j = judge(&said, &Known::default());
        assert!(j.claims.is_empty());
        assert_eq!(j.unmatched.len(), 2);
        assert_eq!(
            j.unmatched[0].patient_control_number.as_deref(),
            Some("PCN0001")
        );
        assert_eq!(j.unmatched[1].outcome, Some(Acknowledged::Rejected));
    }

    #[test]
    fn a_claim_named_twice_takes_the_most_serious_and_keeps_both_words() {
        let a = claim(1, ClaimStatus::Submitted);
        let k = known(std::slice::from_ref(&a));
        let say = |outcome, detail: &str| Statement {
            reference: Reference::Claim("PD1".into()),
            outcome: Some(outcome),
            detail: detail.into(),
            payer_claim_number: None,
        };
        let said = [
            say(Acknowledged::Accepted, "accepted here"),
            say(Acknowledged::Rejected, "rejected there"),
            say(Acknowledged::Received, "received"),
        ];
        let j = judge(&said, &k);
        assert_eq!(j.claims.len(), 1);
        assert_eq!(j.claims[0].outcome, Some(Acknowledged::Rejected));
        assert_eq!(j.claims[0].detail, "rejected there");
        assert_eq!(j.claims[0].move_to, Some(ClaimStatus::Rejected));
    }

    #[test]
    fn a_receipt_after_acceptance_moves_nothing_but_is_kept() {
        let a = claim(1, ClaimStatus::Accepted);
        let said = [Statement {
            reference: Reference::Claim("PD1".into()),
            outcome: Some(Acknowledged::Received),
            detail: "277CA: A1".into(),
            payer_claim_number: None,
        }];
        let j = judge(&said, &known(&[a]));
        assert_eq!(j.claims.len(), 1);
        assert_eq!(j.claims[0].move_to, None);
    }

    /// A stored 837 interchange (ISA13 77) with an 837I group (GS06 12, ST02 0012) of two
    /// claims and an 837P group (GS06 13, ST02 0013) of one.
    fn stored_837() -> String {
        let isa = "ISA*00*          *00*          *ZZ*SUBMITTERID    *ZZ*ACMEPAYER      \
                   *250202*0800*^*00501*000000077*0*P*:~";
        let group = |gs06: u32, version: &str, claims: &[&str]| {
            let mut body = vec![format!("BHT*0019*00*B{gs06}*20250202*0800*CH")];
            body.extend(
                claims
                    .iter()
                    .map(|c| format!("CLM*{c}*100***13:A:1**A*Y*Y")),
            );
            format!(
                "GS*HC*SUBMITTERID*ACMEPAYER*20250202*0800*{gs06}*X*{version}~\
                 ST*837*{gs06:04}*{version}~{}~SE*{}*{gs06:04}~GE*1*{gs06}~",
                body.join("~"),
                body.len() + 2
            )
        };
        format!(
            "{isa}{}{}IEA*2*000000077~",
            group(12, "005010X223A2", &["PD1", "PD2"]),
            group(13, "005010X222A1", &["PD3"])
        )
    }

    #[test]
    fn a_stored_837_names_its_claims_by_interchange_group_and_set() {
        let ours: HashMap<String, Uuid> = [1_u8, 3]
            .into_iter()
            .map(|n| (format!("PD{n}"), Uuid::from_u128(u128::from(n))))
            .collect();
        let sent = sent_claims(stored_837().as_bytes(), &ours).unwrap();
        let claim = |n: u8, group, form| SentClaim {
            claim_id: Uuid::from_u128(u128::from(n)),
            interchange: 77,
            group,
            set: group,
            form,
        };
        assert_eq!(
            sent,
            vec![
                claim(1, 12, ClaimForm837::Institutional),
                claim(3, 13, ClaimForm837::Professional),
            ],
            "PD2 is not among the file's claims: left out"
        );
        assert!(sent_claims(b"ISA*garbage", &ours).is_err());
    }

    #[test]
    fn a_file_number_no_file_set_holds_is_unknown() {
        let mut k = Known::default();
        k.by_interchange.insert(77, vec![]);
        k.by_group.insert(12, vec![]);
        k.by_set.insert((12, 12), vec![]);
        for known in [
            Reference::Interchange(77),
            Reference::Group(12),
            Reference::Set { group: 12, set: 12 },
            Reference::Claim("PD9".into()),
            Reference::NotOurs("group 12 of functional id HS".into()),
        ] {
            assert!(!k.names_unknown_file(&known), "{known}");
        }
        for unknown in [
            Reference::Interchange(78),
            Reference::Group(13),
            Reference::Set { group: 12, set: 13 },
        ] {
            assert!(k.names_unknown_file(&unknown), "{unknown}");
        }
    }

    #[test]
    fn control_numbers_are_digits_only() {
        assert_eq!(control_number("000000905"), Some(905));
        assert_eq!(control_number("0001"), Some(1));
        assert_eq!(control_number(""), None);
        assert_eq!(control_number("12A"), None);
        assert_eq!(control_number("1234567890"), None);
    }
}
