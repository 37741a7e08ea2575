//! A parsed 271 ([`Response271`]) read into the protocol-neutral [`EligibilityAnswer`].
//!
//! The patient's loop is read: 2000D when the payer answered for a dependent, else 2000C.
//! Provenance names the loop and the EB's position in it (`271 2110C EB #3`).
//!
//! A 271 may answer for many members at once (a batch); [`answer_for_trace`] finds ours in it
//! by the trace number we sent.

use super::PayerError;
use crate::domain::eligibility::{
    reject_reason, AnsweredFor, AnsweringPayer, BenefitEntry, BenefitKind, EligibilityAnswer,
    EntryDate, EntryReference, NetworkScope, PayerRejection, RelatedEntity, Sourced,
};
use crate::x12::{
    AuthRequired, DateOrRange, EntityName, InNetwork, Member271, Rejection, Response271,
};

fn rejection(rejection: &Rejection) -> Option<PayerRejection> {
    let code = rejection.reason_code.clone()?;
    Some(PayerRejection {
        description: reject_reason(&code).to_string(),
        follow_up: rejection.follow_up_action.clone(),
        source: format!("271 {} AAA", rejection.loop_id),
        code,
    })
}

fn plan_dates(member: &Member271, loop_id: &str, answer: &mut EligibilityAnswer) {
    let find = |qualifier: &str| member.dates.iter().find(|d| d.qualifier == qualifier);
    let source = |qualifier: &str| format!("271 {loop_id} DTP*{qualifier}");
    let start = |d: &DateOrRange| match d {
        DateOrRange::Single(day) | DateOrRange::Range(day, _) => *day,
    };
    let end = |d: &DateOrRange| match d {
        DateOrRange::Single(day) | DateOrRange::Range(_, day) => *day,
    };
    // 346/347 plan begin/end; else a 291 plan range; else 356/357 eligibility begin/end.
    answer.plan_begin = find("346")
        .map(|d| Sourced::new(start(&d.value), source("346")))
        .or_else(|| {
            find("291")
                .filter(|d| matches!(d.value, DateOrRange::Range(..)))
                .map(|d| Sourced::new(start(&d.value), source("291")))
        })
        .or_else(|| find("356").map(|d| Sourced::new(start(&d.value), source("356"))));
    answer.plan_end = find("347")
        .map(|d| Sourced::new(end(&d.value), source("347")))
        .or_else(|| {
            find("291")
                .filter(|d| matches!(d.value, DateOrRange::Range(..)))
                .map(|d| Sourced::new(end(&d.value), source("291")))
        })
        .or_else(|| find("357").map(|d| Sourced::new(end(&d.value), source("357"))));
}

/// An entity's name as staff say it: an organization's as sent, a person's (NM102 `1`) first
/// name first — "MARCUS JONES" for `NM1*P3*1*JONES*MARCUS`, not the last name alone.
fn entity_name(name: &EntityName) -> Option<String> {
    if name.entity_type.as_deref() == Some("1") {
        let parts: Vec<&str> = [
            &name.first,
            &name.middle,
            &name.last_or_organization,
            &name.suffix,
        ]
        .into_iter()
        .filter_map(|part| part.as_deref())
        .collect();
        if !parts.is_empty() {
            return Some(parts.join(" "));
        }
    }
    name.last_or_organization.clone()
}

/// Whom the 271 is about: the patient's traces, name and birth date, the subscriber's member
/// id and the ids the payer says it replaced.
fn answered_for(response: &Response271) -> Option<AnsweredFor> {
    let subscriber = response.subscriber.as_ref()?;
    let (patient, loop_id) = match &response.dependent {
        Some(dependent) => (dependent, "2100D"),
        None => (subscriber, "2100C"),
    };
    let demographics = patient.demographics.as_ref();
    let corrected = |m: &Member271| {
        m.relationship
            .as_ref()
            .is_some_and(|ins| ins.maintenance_reason.as_deref() == Some("25"))
    };
    Some(AnsweredFor {
        traces: patient
            .traces
            .iter()
            .filter(|t| t.trace_type == "2")
            .map(|t| t.reference.clone())
            .collect(),
        member_id: subscriber.name.id.clone(),
        prior_member_ids: [subscriber, patient]
            .iter()
            .flat_map(|m| m.references.iter())
            .filter(|r| r.qualifier == "Q4")
            .map(|r| r.value.clone())
            .collect(),
        first_name: patient.name.first.clone(),
        last_name: patient.name.last_or_organization.clone(),
        birth_date: demographics.and_then(|d| d.birth_date),
        identity_corrected: corrected(subscriber) || corrected(patient),
        source: format!("271 {loop_id}"),
    })
}

/// Reads the answer out of a 271.
pub fn answer(response: &Response271) -> EligibilityAnswer {
    let mut answer = EligibilityAnswer {
        rejections: response
            .rejections()
            .into_iter()
            .filter_map(rejection)
            .collect(),
        payer: Some(AnsweringPayer {
            name: response.source.name.last_or_organization.clone(),
            id: response.source.name.id.clone(),
            phone: response
                .source
                .contacts
                .iter()
                .flat_map(|c| c.numbers.iter())
                .find(|n| n.qualifier == "TE")
                .map(|n| n.number.clone()),
        }),
        answered_for: answered_for(response),
        ..EligibilityAnswer::default()
    };
    let (member, loop_id) = match (&response.dependent, &response.subscriber) {
        (Some(dependent), _) => (Some(dependent), "2110D"),
        (None, subscriber) => (subscriber.as_ref(), "2110C"),
    };
    let Some(member) = member else {
        return answer;
    };
    plan_dates(member, &loop_id.replace("2110", "2100"), &mut answer);
    for (index, eb) in member.benefits.iter().enumerate() {
        let source = format!("271 {loop_id} EB #{}", index + 1);
        let mut entry = BenefitEntry::new(source, BenefitKind::from_code(&eb.info_code));
        entry.coverage_level = eb.coverage_level.clone();
        entry.service_types = eb.service_types.clone();
        entry.plan_description = eb.plan_description.clone();
        entry.time_period = eb.time_period.clone();
        entry.amount = eb.amount;
        entry.percent = eb.percent;
        entry.quantity_qualifier = eb.quantity_qualifier.clone();
        entry.quantity = eb.quantity;
        entry.auth_required = match eb.auth_required {
            Some(AuthRequired::Yes) => Some(true),
            Some(AuthRequired::No) => Some(false),
            Some(AuthRequired::Unknown) | None => None,
        };
        entry.network = NetworkScope::from_code(eb.in_network.map(|n| match n {
            InNetwork::Yes => "Y",
            InNetwork::No => "N",
            InNetwork::NotApplicable => "W",
            InNetwork::Unknown => "U",
        }));
        entry.messages = eb.messages.clone();
        entry.insurance_type = eb.insurance_type.clone();
        entry.places_of_service = eb
            .additional_info
            .iter()
            .filter(|iii| iii.code_list_qualifier.as_deref() == Some("ZZ"))
            .filter_map(|iii| iii.industry_code.clone())
            .collect();
        entry.references = eb
            .references
            .iter()
            .map(|r| EntryReference {
                qualifier: r.qualifier.clone(),
                value: r.value.clone(),
            })
            .collect();
        entry.dates = eb
            .dates
            .iter()
            .map(|d| {
                let (begin, end) = match d.value {
                    DateOrRange::Single(day) => (day, None),
                    DateOrRange::Range(from, to) => (from, Some(to)),
                };
                EntryDate {
                    qualifier: d.qualifier.clone(),
                    begin,
                    end,
                }
            })
            .collect();
        entry.related_entities = eb
            .related_entities
            .iter()
            .map(|entity| RelatedEntity {
                entity_code: Some(entity.name.entity_code.clone()),
                name: entity_name(&entity.name),
                id_qualifier: entity.name.id_qualifier.clone(),
                id: entity.name.id.clone(),
                phone: entity
                    .contacts
                    .iter()
                    .flat_map(|c| c.numbers.iter())
                    .find(|n| n.qualifier == "TE")
                    .map(|n| n.number.clone()),
            })
            .collect();
        // Benefit-level AAAs (2110C/D) are already in `response.rejections()` above.
        answer.benefits.push(entry);
    }
    answer
}

/// Whether the patient's loop of `member` echoes `trace` as a `TRN*2` (the 270's trace; a
/// clearinghouse's own `TRN*1` beside it does not count).
fn echoes(member: &Response271, trace: &str) -> bool {
    member.patient().is_some_and(|patient| {
        patient
            .traces
            .iter()
            .any(|t| t.trace_type == "2" && t.reference.trim() == trace.trim())
    })
}

/// Our answer among the answers one 271 holds (see [`crate::x12::parse_271_batch`]): the member
/// whose patient loop echoes `trace`, the TRN02 of our 270.
///
/// - Exactly one member echoes it: that member's answer, with a note that the others were set
///   aside when there were any.
/// - None does: the only member's answer when there is one (many payers echo no trace; the
///   identity guard then judges whom it is about); otherwise a [`PayerError::Mismatch`], since
///   every answer in it is about someone else.
/// - Several do: a [`PayerError::Mismatch`] too — which of them is this client's cannot be told,
///   and picking one could show another person's benefits.
pub fn answer_for_trace(
    members: &[Response271],
    trace: &str,
) -> Result<EligibilityAnswer, PayerError> {
    let ours: Vec<&Response271> = members.iter().filter(|m| echoes(m, trace)).collect();
    match (ours.as_slice(), members) {
        ([member], _) => {
            let mut answer = answer(member);
            match members.len() - 1 {
                0 => {}
                1 => answer.notes.push(
                    "the payer's answer held 1 other member's answer; it was set aside (not this \
                     inquiry's trace)"
                        .to_string(),
                ),
                others => answer.notes.push(format!(
                    "the payer's answer held {others} other members' answers; they were set aside \
                     (not this inquiry's trace)"
                )),
            }
            Ok(answer)
        }
        ([], [only]) => Ok(answer(only)),
        ([], []) => Err(PayerError::Unparseable("the 271 holds no answer".into())),
        ([], all) => Err(PayerError::Mismatch(format!(
            "the payer's batch answer of {} members holds none with our trace number {trace}",
            all.len()
        ))),
        (several, all) => Err(PayerError::Mismatch(format!(
            "the payer's batch answer of {} members holds {} with our trace number {trace}; which \
             one is this client's cannot be told",
            all.len(),
            several.len()
        ))),
    }
}

#[cfg(test)]
mod realworld;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::benefits::{summarize, CoverageStatus};
    use crate::domain::eligibility::{LevelOfCare, Program};
    use crate::x12::parse_271;

    fn read(fixture: &str) -> EligibilityAnswer {
        answer(&parse_271(fixture.as_bytes()).expect("fixture parses"))
    }

    #[test]
    fn an_active_ppo_271_reads_into_a_php_summary() {
        let answer = read(include_str!("../../fixtures/x12/271_active_ppo.x12"));
        assert_eq!(
            answer.plan_begin.as_ref().unwrap().value.to_string(),
            "2025-01-01"
        );
        assert_eq!(
            answer.plan_begin.as_ref().unwrap().source,
            "271 2100C DTP*346"
        );
        let php = summarize(&answer, LevelOfCare::Php, Program::MentalHealth);
        assert_eq!(php.coverage_status.value, CoverageStatus::Active);
        assert_eq!(php.plan_name.unwrap().value, "GOLD PPO 1500");
        let deductible = &php.in_network.deductible.individual;
        assert_eq!(deductible.total.as_ref().unwrap().value.as_str(), "1500.00");
        assert_eq!(
            deductible.remaining.as_ref().unwrap().value.as_str(),
            "1200.00"
        );
        assert_eq!(deductible.met.as_ref().unwrap().value.as_str(), "300.00");
        assert!(deductible
            .total
            .as_ref()
            .unwrap()
            .source
            .starts_with("271 2110C EB #"));
    }

    #[test]
    fn a_rejection_271_reads_as_the_payers_reason() {
        let answer = read(include_str!(
            "../../fixtures/x12/271_subscriber_not_found.x12"
        ));
        let rejection = &answer.rejections[0];
        assert_eq!(rejection.code, "75");
        assert_eq!(rejection.description, "Subscriber/insured not found");
        assert_eq!(rejection.follow_up.as_deref(), Some("C"));
        assert!(!rejection.is_transient());
        let busy = read(include_str!("../../fixtures/x12/271_payer_unavailable.x12"));
        assert!(busy.rejections.iter().any(|r| r.is_transient()));
    }

    /// The active PPO fixture's answer with the patient's loop echoing `traces` as TRN*2.
    fn member(traces: &[&str]) -> Response271 {
        let mut r = parse_271(include_bytes!("../../fixtures/x12/271_active_ppo.x12")).unwrap();
        r.subscriber.as_mut().unwrap().traces = traces
            .iter()
            .map(|t| crate::x12::Trace {
                trace_type: "2".into(),
                reference: t.to_string(),
                originator_id: Some("1123456789".into()),
                supplemental_id: None,
            })
            .collect();
        r
    }

    fn traces_of(answer: &EligibilityAnswer) -> Vec<String> {
        answer.answered_for.as_ref().unwrap().traces.clone()
    }

    #[test]
    fn ours_is_found_by_trace_and_the_others_set_aside_with_a_note() {
        let batch = [member(&["T-1"]), member(&["T-2"]), member(&["T-3"])];
        let answer = answer_for_trace(&batch, "T-2").unwrap();
        assert_eq!(traces_of(&answer), ["T-2"]);
        assert_eq!(
            answer.notes,
            [
                "the payer's answer held 2 other members' answers; they were set aside (not this \
              inquiry's trace)"
            ]
        );
        assert!(!answer.benefits.is_empty());
        let pair = [member(&["T-1"]), member(&["T-2"])];
        assert_eq!(
            answer_for_trace(&pair, "T-1").unwrap().notes,
            [
                "the payer's answer held 1 other member's answer; it was set aside (not this \
              inquiry's trace)"
            ]
        );
        // A clearinghouse's trace beside ours, and padding, do not hide ours.
        let relayed = [member(&["CLEARING-9", " T-2 "]), member(&["T-3"])];
        assert_eq!(
            traces_of(&answer_for_trace(&relayed, "T-2").unwrap()),
            ["CLEARING-9", " T-2 "]
        );
    }

    #[test]
    fn a_single_answer_needs_no_note_and_no_trace() {
        let ours = answer_for_trace(&[member(&["T-1"])], "T-1").unwrap();
        assert!(ours.notes.is_empty());
        // Not ours, or none echoed: used all the same, for the identity guard to judge.
        for traces in [&["T-9"][..], &[]] {
            let only = answer_for_trace(&[member(traces)], "T-1").unwrap();
            assert!(only.notes.is_empty());
            assert_eq!(traces_of(&only), traces);
        }
    }

    #[test]
    fn a_batch_without_our_trace_or_with_it_twice_is_a_mismatch() {
        let batch = [member(&["T-1"]), member(&[]), member(&["T-3"])];
        let error = answer_for_trace(&batch, "T-2").unwrap_err();
        assert_eq!(
            error,
            PayerError::Mismatch(
                "the payer's batch answer of 3 members holds none with our trace number T-2".into()
            )
        );
        assert_eq!(error.kind(), "mismatch");
        assert!(!error.counts_against_payer() && !error.is_transient());
        let twice = [member(&["T-2"]), member(&["T-2"])];
        assert_eq!(
            answer_for_trace(&twice, "T-2"),
            Err(PayerError::Mismatch(
                "the payer's batch answer of 2 members holds 2 with our trace number T-2; which \
                 one is this client's cannot be told"
                    .into()
            ))
        );
        assert!(matches!(
            answer_for_trace(&[], "T-2"),
            Err(PayerError::Unparseable(_))
        ));
    }

    #[test]
    fn only_a_trn_2_in_the_patients_loop_is_ours() {
        // TRN*1 is the payer's own trace, not an echo of our 270's.
        let mut theirs = member(&["T-2"]);
        theirs.subscriber.as_mut().unwrap().traces[0].trace_type = "1".into();
        let batch = [theirs, member(&["T-3"])];
        assert!(matches!(
            answer_for_trace(&batch, "T-2"),
            Err(PayerError::Mismatch(_))
        ));
        // For a dependent the patient's loop is 2000D: our trace on the subscriber alone is
        // not an answer about the dependent we asked about.
        let mut dependent =
            parse_271(include_bytes!("../../fixtures/x12/271_dependent.x12")).unwrap();
        let moved = std::mem::take(&mut dependent.dependent.as_mut().unwrap().traces);
        dependent.subscriber.as_mut().unwrap().traces = moved;
        let batch = [dependent, member(&["T-3"])];
        assert!(matches!(
            answer_for_trace(&batch, "VOB0504"),
            Err(PayerError::Mismatch(_))
        ));
    }

    #[test]
    fn a_persons_name_reads_first_name_first() {
        let answer = read(&with_pcp("NM1*P3*1*JONES*MARCUS*Q***SV*0202034"));
        let pcp = &answer.benefits[0].related_entities[0];
        assert_eq!(pcp.name.as_deref(), Some("MARCUS Q JONES"));
        let answer = read(&with_pcp("NM1*P3*2*SUNRISE CLINIC*****SV*0202034"));
        let clinic = &answer.benefits[0].related_entities[0];
        assert_eq!(clinic.name.as_deref(), Some("SUNRISE CLINIC"));
    }

    /// A 271 whose one EB (`EB*L`, primary care provider) names the entity `nm1`.
    fn with_pcp(nm1: &str) -> String {
        let body = [
            "BHT*0022*11*VOB0001*20250115*1030",
            "HL*1**20*1",
            "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
            "HL*2*1*21*1",
            "NM1*1P*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893",
            "HL*3*2*22*0",
            "NM1*IL*1*DOE*JANE****MI*W123456789",
            "EB*L",
            "LS*2120",
            nm1,
            "LE*2120",
        ];
        format!(
            "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*SUBMITTERID    *250115*1030*^*00501*000000001*0*P*:~\
             GS*HB*ACMEPAYER*SUBMITTERID*20250115*1030*1*X*005010X279A1~ST*271*0001*005010X279A1~\
             {}~SE*{}*0001~GE*1*1~IEA*1*000000001~",
            body.join("~"),
            body.len() + 2
        )
    }

    #[test]
    fn a_carve_out_271_names_the_administrator() {
        let answer = read(include_str!("../../fixtures/x12/271_carveout.x12"));
        let php = summarize(&answer, LevelOfCare::Php, Program::MentalHealth);
        let carve = php.carve_out.expect("carve-out found");
        assert!(carve.name.is_some(), "{carve:?}");
    }
}
