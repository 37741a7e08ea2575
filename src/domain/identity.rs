//! Is a payer's answer about the person we asked about?
//!
//! A clearinghouse may relay another provider's answer, a batch may hold other members, and a
//! payer may answer for a member it matched loosely. Nothing in an answer is believed before
//! [`check`] has compared whom it is about with whom we asked about (issue 13, point 4):
//!
//! - when the payer echoes traces (X12 `TRN*2` in the patient's loop), one must be ours; a
//!   clearinghouse may add its own beside it;
//! - the member id must be ours, or the payer's corrected id must come with ours as the prior
//!   id (X12 `REF*Q4`) — a match, reported as the corrected member id;
//! - names and birth dates are compared after the transliteration we send names in (case,
//!   spaces, hyphens, apostrophes ignored). A difference is the payer's data, reported, when our
//!   trace and member id both matched or the payer says it changed identifying data (X12 INS04
//!   `25`); otherwise it is a mismatch.

use serde::{Deserialize, Serialize};

use super::eligibility::{AnsweredFor, EligibilityAnswer, Inquiry};
use super::names::comparable;

/// What the payer holds differently from us about a person it did answer for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityReport {
    /// The payer's member id when it replaced ours (`REF*Q4` held ours).
    pub corrected_member_id: Option<String>,
    /// Names or birth dates the payer has differently, in words.
    pub payer_data: Vec<String>,
}

impl IdentityReport {
    pub fn is_empty(&self) -> bool {
        self.corrected_member_id.is_none() && self.payer_data.is_empty()
    }
}

fn same_id(a: &str, b: &str) -> bool {
    let plain = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .flat_map(char::to_uppercase)
            .collect()
    };
    plain(a) == plain(b)
}

/// Compares whom `answer` is about with whom `inquiry` asked about. `Err` names the field that
/// differs; the answer must then not be used.
pub fn check(inquiry: &Inquiry, answer: &EligibilityAnswer) -> Result<IdentityReport, String> {
    let Some(about) = &answer.answered_for else {
        return Ok(IdentityReport::default());
    };
    let mut report = IdentityReport::default();
    let trace_matched = match about.traces.as_slice() {
        [] => false,
        traces if traces.iter().any(|t| t.trim() == inquiry.trace) => true,
        traces => {
            return Err(format!(
                "trace number: the answer ({}) carries {}, not ours ({}) — it answers another \
                 inquiry",
                about.source,
                traces.join(", "),
                inquiry.trace
            ))
        }
    };
    let id_matched = match &about.member_id {
        None => false,
        Some(theirs) if same_id(theirs, &inquiry.member_id) => true,
        Some(theirs) => {
            if about
                .prior_member_ids
                .iter()
                .any(|prior| same_id(prior, &inquiry.member_id))
            {
                report.corrected_member_id = Some(theirs.clone());
                true
            } else {
                return Err(format!(
                    "member id: the payer answered for member {theirs}, we asked about {} ({})",
                    inquiry.member_id, about.source
                ));
            }
        }
    };
    let tolerated = (trace_matched && id_matched) || about.identity_corrected;
    let patient = inquiry.dependent.as_ref().unwrap_or(&inquiry.subscriber);
    let mut differences = Vec::new();
    compare_name(
        "last name",
        &patient.last_name,
        about.last_name.as_deref(),
        &mut differences,
    );
    compare_name(
        "first name",
        &patient.first_name,
        about.first_name.as_deref(),
        &mut differences,
    );
    if let Some(theirs) = about.birth_date {
        if theirs != patient.date_of_birth {
            differences.push((
                "birth date",
                format!(
                    "the payer has the birth date as {theirs}, we sent {}",
                    patient.date_of_birth
                ),
            ));
        }
    }
    if let Some((field, detail)) = differences.first() {
        if !tolerated {
            return Err(format!(
                "{field}: {detail} ({}), and the answer does not carry both our trace number and \
                 our member id",
                about.source
            ));
        }
    }
    report.payer_data = differences
        .into_iter()
        .map(|(_, detail)| reason(detail, about))
        .collect();
    Ok(report)
}

fn reason(detail: String, about: &AnsweredFor) -> String {
    if about.identity_corrected {
        format!("{detail} (the payer says it changed identifying data)")
    } else {
        detail
    }
}

fn compare_name(
    field: &'static str,
    ours: &str,
    theirs: Option<&str>,
    out: &mut Vec<(&'static str, String)>,
) {
    let Some(theirs) = theirs.filter(|t| !t.trim().is_empty()) else {
        return;
    };
    if comparable(ours) != comparable(theirs) {
        out.push((
            field,
            format!("the payer has the {field} as {theirs}, we sent {ours}"),
        ));
    }
}
