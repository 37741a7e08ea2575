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

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::eligibility::InquiryPerson;

    fn inquiry() -> Inquiry {
        Inquiry {
            trace: "abc-1".into(),
            control_number: 1,
            payer_name: "ACME".into(),
            payer_edi_id: "12345".into(),
            provider_name: "CLINIC".into(),
            provider_npi: "1234567893".into(),
            provider_tax_id: "123456789".into(),
            member_id: "W123456789".into(),
            group_number: None,
            subscriber: InquiryPerson {
                first_name: "José".into(),
                last_name: "Núñez-O’Brien".into(),
                date_of_birth: NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(),
                sex: Some("M".into()),
            },
            dependent: None,
            service_types: vec!["30".into()],
            service_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        }
    }

    fn about(traces: &[&str], member: &str) -> EligibilityAnswer {
        EligibilityAnswer {
            answered_for: Some(AnsweredFor {
                traces: traces.iter().map(|t| t.to_string()).collect(),
                member_id: Some(member.into()),
                prior_member_ids: vec![],
                first_name: Some("JOSE".into()),
                last_name: Some("NUNEZ OBRIEN".into()),
                birth_date: NaiveDate::from_ymd_opt(1985, 3, 12),
                identity_corrected: false,
                source: "271 2100C".into(),
            }),
            ..EligibilityAnswer::default()
        }
    }

    fn with(mut answer: EligibilityAnswer, f: impl FnOnce(&mut AnsweredFor)) -> EligibilityAnswer {
        f(answer.answered_for.as_mut().unwrap());
        answer
    }

    #[test]
    fn our_answer_matches_after_transliteration_and_beside_a_clearinghouse_trace() {
        let report = check(&inquiry(), &about(&["CH-999", "abc-1"], "w123456789")).unwrap();
        assert!(report.is_empty(), "{report:?}");
        // No trace echoed at all: the id and the names decide.
        assert!(check(&inquiry(), &about(&[], "W123456789")).is_ok());
        // An answer that names nobody cannot be compared.
        assert!(check(&inquiry(), &EligibilityAnswer::default()).is_ok());
    }

    #[test]
    fn another_inquirys_trace_or_member_is_a_mismatch_naming_the_field() {
        let err = check(&inquiry(), &about(&["xyz-9"], "W123456789")).unwrap_err();
        assert!(err.starts_with("trace number"), "{err}");
        let err = check(&inquiry(), &about(&["abc-1"], "W999")).unwrap_err();
        assert!(err.starts_with("member id"), "{err}");
        assert!(err.contains("W999") && err.contains("W123456789"), "{err}");
    }

    #[test]
    fn a_corrected_member_id_with_ours_as_the_prior_id_is_a_match() {
        let answer = with(about(&["abc-1"], "NEW42"), |a| {
            a.prior_member_ids = vec!["W123456789".into()]
        });
        let report = check(&inquiry(), &answer).unwrap();
        assert_eq!(report.corrected_member_id.as_deref(), Some("NEW42"));
    }

    #[test]
    fn a_name_or_birth_date_that_differs_is_the_payers_data_only_with_our_trace_and_id() {
        let differs = |a: &mut AnsweredFor| {
            a.last_name = Some("NUNES".into());
            a.birth_date = NaiveDate::from_ymd_opt(1985, 3, 21);
        };
        let vouched = with(about(&["abc-1"], "W123456789"), differs);
        let report = check(&inquiry(), &vouched).unwrap();
        assert_eq!(report.payer_data.len(), 2, "{report:?}");
        assert!(report.payer_data[0].contains("NUNES"));
        // Without our trace, a different name is someone else.
        let unvouched = with(about(&[], "W123456789"), differs);
        let err = check(&inquiry(), &unvouched).unwrap_err();
        assert!(err.starts_with("last name"), "{err}");
        // Unless the payer says it changed identifying data (INS04 25).
        let corrected = with(about(&[], "W123456789"), |a| {
            differs(a);
            a.identity_corrected = true;
        });
        let report = check(&inquiry(), &corrected).unwrap();
        assert!(report.payer_data[0].contains("changed identifying data"));
    }
}
