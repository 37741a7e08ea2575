//! A parsed 271 ([`Response271`]) read into the protocol-neutral [`EligibilityAnswer`].
//!
//! The patient's loop is read: 2000D when the payer answered for a dependent, else 2000C.
//! Provenance names the loop and the EB's position in it (`271 2110C EB #3`).

use crate::domain::eligibility::{
    reject_reason, AnsweredFor, AnsweringPayer, BenefitEntry, BenefitKind, EligibilityAnswer,
    EntryDate, EntryReference, NetworkScope, PayerRejection, RelatedEntity, Sourced,
};
use crate::x12::{AuthRequired, DateOrRange, InNetwork, Member271, Rejection, Response271};

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
                name: entity.name.last_or_organization.clone(),
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

    #[test]
    fn a_carve_out_271_names_the_administrator() {
        let answer = read(include_str!("../../fixtures/x12/271_carveout.x12"));
        let php = summarize(&answer, LevelOfCare::Php, Program::MentalHealth);
        let carve = php.carve_out.expect("carve-out found");
        assert!(carve.name.is_some(), "{carve:?}");
    }
}
