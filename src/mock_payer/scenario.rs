//! Scenarios: what the mock payer answers for a member id, as data
//! (`fixtures/mock-payer/scenarios.json`).
//!
//! A scenario is protocol-neutral and written in X12 terms (EB01 codes, EB06 periods, EB12
//! network), because the 271 is the richest of the three answers; the JSON and FHIR renderers
//! translate the same rows. Amounts and percents are decimal strings (`"1500.00"`, `"0.2"`),
//! never JSON numbers, so no float ever touches them.
//!
//! The file is an object keyed by member id; each value repeats its `member_id`, and loading
//! checks the two agree, so a copied scenario cannot silently answer for the wrong member.
//!
//! # What each protocol can say
//!
//! | scenario field | X12 271 | JSON clearinghouse | FHIR R4 |
//! |---|---|---|---|
//! | row `places_of_service` | 2115C `III*ZZ*22` | `eligibilityAdditionalInformationList[]` (`ZZ`, `industryCode`) | `item.modifier` (CMS place-of-service codes) |
//! | row `references` | 2110C `REF` | `benefitsAdditionalInformation` (named keys, e.g. `IG` `insurancePolicyNumber`) | other payers only: `Coverage.identifier` typed by REF01 |
//! | row `dates` | 2110C `DTP` (`D8`/`RD8`) | `benefitsDateInformation` (named keys, e.g. `290` `coordinationOfBenefits`) | other payers only: `Coverage.period`, read back as DTP `290` |
//! | row `insurance_type` | EB04 | `insuranceTypeCode` | other payers only: `Coverage.type` |
//! | entity `entity_code` | 2120C NM101 (`PR`, `VN`, `Y2`, `X3`, `PRP`, `SEP`, `TTP`, `P4` …) | `entityIdentifier` in words | `PractitionerRole.code` on `item.provider`; for `EB*R`, `Coverage.order` (1 `PRP`, 2 `SEP`, 3 `TTP`; a cancelled coverage is `P4`) |
//! | entity `answering_payer` | NM1 with the 2100A payer's own name and id | the response `payer`'s name and id | the `insurer`'s name and id |
//! | `EB*R` rows (other payer) | EB with LS/NM1/PER/LE | `code` `R` with `benefitsRelatedEntities` | another `insurance[]` whose contained `Coverage` has another `payor`; its service types and messages are not carried |
//! | `EB*W` rows | EB01 `W` | `code` `W` | an item with a `provider`, read back as `U` (FHIR has one kind of contact) |
//! | `answer_as.member_id` | 2100C NM109 | `subscriber.memberId` | `Coverage.subscriberId` |
//! | `answer_as.prior_member_id` | 2100C `REF*Q4` with the asked id | `planInformation.priorIdNumber` | `Coverage.identifier` with `use` `old` |
//! | `answer_as` names, `birth_date` | the patient's NM1 and DMG | `subscriber` / `dependents[0]` | the contained `Patient` |
//! | `answer_as.trace` | `TRN*2` TRN02 instead of ours | `controlNumber` and `subscriberTraceNumbers` | `request.identifier` |
//! | `answer_as.identity_corrected` | `INS*Y*18*001*25` (2100C; `INS*N*G8*001*25` in 2100D) | `maintenanceTypeCode` `001`, `maintenanceReasonCode` `25` on the patient | cannot be said: FHIR has no such flag |
//! | `clearinghouse_trace` | a second `TRN*2` beside ours | a second `subscriberTraceNumbers[]` | cannot be said: `request` holds one identifier |
//! | `x12_format` | byte-order mark, CR/LF or LF after each segment | not applicable | not applicable |
//! | `batch_with` | other members' 2000C loops in the same 271, ours among them | cannot be said: one member per answer | cannot be said: one patient per response |
//!
//! Where a protocol cannot say something, its answer is the ordinary one for the member (the
//! batch's other members are left out, the identity is echoed as asked for the parts the
//! protocol has no place for).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::inquiry::{Asked, Person};
use crate::x12::{ControlNumbers, Delimiters, Envelope, PartyId, Usage};

/// The bundled scenarios, compiled in so tests and the demo need no file.
pub(crate) const BUNDLED: &str = include_str!("../../fixtures/mock-payer/scenarios.json");

/// All scenarios, by member id.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenarios {
    by_member: BTreeMap<String, Scenario>,
}

/// What the payer says about one member.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub member_id: String,
    /// What the scenario shows, for people reading the fixture and the demo.
    pub description: String,
    #[serde(default)]
    pub plan: Option<Plan>,
    #[serde(default)]
    pub benefits: Vec<BenefitRow>,
    /// The payer refuses the inquiry (an AAA) instead of answering it.
    #[serde(default)]
    pub reject: Option<Reject>,
    /// Something goes wrong on the wire, on every protocol.
    #[serde(default)]
    pub fault: Option<Fault>,
    /// The payer answers about someone else, or about the member under corrected data.
    #[serde(default)]
    pub answer_as: Option<AnswerAs>,
    /// A clearinghouse's own `TRN*2` trace, written beside ours.
    #[serde(default)]
    pub clearinghouse_trace: Option<String>,
    /// How the 271's bytes are laid out, as real payers send them.
    #[serde(default)]
    pub x12_format: Option<X12Format>,
    /// Other members answered in the same 271 (a batch answer).
    #[serde(default)]
    pub batch_with: Option<BatchWith>,
}

/// Whom the answer says it is about, where it differs from what was asked. Absent fields are
/// echoed as asked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AnswerAs {
    /// The member id answered for instead of the asked one.
    #[serde(default)]
    pub member_id: Option<String>,
    /// The asked member id is written as the prior id (`REF*Q4`) the payer replaced with
    /// `member_id`.
    #[serde(default)]
    pub prior_member_id: bool,
    /// The patient's names and birth date as the payer has them.
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// A trace from another inquiry, echoed instead of ours.
    #[serde(default)]
    pub trace: Option<String>,
    /// The payer says it changed identifying data (INS03 `001`, INS04 `25`).
    #[serde(default)]
    pub identity_corrected: bool,
}

/// The layout of the 271's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct X12Format {
    /// A UTF-8 byte-order mark before `ISA`.
    #[serde(default)]
    pub byte_order_mark: bool,
    /// A line break after each segment terminator.
    #[serde(default)]
    pub line_ending: Option<LineEnding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LineEnding {
    #[serde(rename = "crlf")]
    CrLf,
    #[serde(rename = "lf")]
    Lf,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::CrLf => "\r\n",
            LineEnding::Lf => "\n",
        }
    }
}

/// Other members' loops in the same 271.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchWith {
    /// How many other members (1–9). Each is answered as inactive, so reading the wrong loop
    /// shows.
    pub members: usize,
    /// Where our loop comes among all of them, from 0 (first) to `members` (last).
    pub ours_at: usize,
}

/// The plan: its name (EB05 on the STC 30 row, CORE 154), dates (DTP*346/347) and EB04.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub name: String,
    pub begin: NaiveDate,
    pub end: NaiveDate,
    /// EB04 insurance type (`PR` PPO, `HM` HMO, `C1` commercial, …), written on the plan rows.
    pub insurance_type: String,
}

/// One EB row (2110C) in X12 terms.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitRow {
    /// EB01.
    pub code: String,
    /// EB03, written repeated (`30^MH^BB`). Empty only on `U`, `W` and `R` rows: a contact or
    /// another payer for every service.
    #[serde(default)]
    pub service_types: Vec<String>,
    /// EB02.
    #[serde(default)]
    pub coverage_level: Option<String>,
    /// EB06.
    #[serde(default)]
    pub time_period: Option<String>,
    /// EB07, a decimal string.
    #[serde(default)]
    pub amount: Option<Decimal>,
    /// EB08, a decimal fraction string (`"0.2"` = 20 %).
    #[serde(default)]
    pub percent: Option<Decimal>,
    /// EB09.
    #[serde(default)]
    pub quantity_qualifier: Option<String>,
    /// EB10, a decimal string.
    #[serde(default)]
    pub quantity: Option<Decimal>,
    /// EB11.
    #[serde(default)]
    pub auth_required: Option<bool>,
    /// EB12: `Y`, `N`, `W` or `U`.
    #[serde(default)]
    pub network: Option<String>,
    /// EB04; on a plan-level status row the plan's insurance type is used when this is absent.
    #[serde(default)]
    pub insurance_type: Option<String>,
    /// EB05; on a plan-level active row the plan name is used when this is absent.
    #[serde(default)]
    pub plan_description: Option<String>,
    /// 2110C REF (`IG` insurance policy number, `18` plan number, `6P` group number, …).
    #[serde(default)]
    pub references: Vec<RowReference>,
    /// 2110C DTP (`290` coordination of benefits, `346` plan begin, …).
    #[serde(default)]
    pub dates: Vec<RowDate>,
    /// MSG.
    #[serde(default)]
    pub messages: Vec<String>,
    /// 2115C `III*ZZ`: the places of service the row is limited to (`22` outpatient hospital,
    /// `11` office, `53` community mental health center).
    #[serde(default)]
    pub places_of_service: Vec<String>,
    /// LS*2120 … LE*2120.
    #[serde(default)]
    pub related_entities: Vec<Entity>,
}

/// A REF on a benefit row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowReference {
    /// REF01.
    pub qualifier: String,
    /// REF02.
    pub value: String,
}

/// A DTP on a benefit row: one date (`D8`) or a range (`RD8`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowDate {
    /// DTP01.
    pub qualifier: String,
    pub begin: NaiveDate,
    #[serde(default)]
    pub end: Option<NaiveDate>,
}

/// A 2120C benefit-related entity (NM1 + PER).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// NM101 (`PR` payer, `VN` vendor, `Y2` managed care organization, `X3` utilization
    /// management, `PRP`/`SEP`/`TTP` primary/secondary/tertiary payer, `P4` prior carrier, …).
    pub entity_code: String,
    /// Required unless `answering_payer`.
    #[serde(default)]
    pub name: Option<String>,
    /// NM108 (`PI` payer id, `SV` service provider number, …).
    #[serde(default)]
    pub id_qualifier: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    /// PER TE.
    #[serde(default)]
    pub phone: Option<String>,
    /// The entity is the answering payer itself (its member-services line): written with the
    /// payer's own name and id (`PI`), whatever payer id the inquiry was sent to.
    #[serde(default)]
    pub answering_payer: bool,
}

/// An AAA rejection.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    /// AAA03 (`72`, `75`, `42`, …).
    pub code: String,
    pub description: String,
    /// AAA04 (`C`, `R`, …).
    pub follow_up: String,
    /// Where the AAA goes: 2100A (the payer cannot answer at all) or 2100C (the subscriber).
    #[serde(rename = "loop")]
    pub loop_id: RejectLoop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RejectLoop {
    #[serde(rename = "2100A")]
    Source,
    #[serde(rename = "2100C")]
    Subscriber,
}

impl RejectLoop {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectLoop::Source => "2100A",
            RejectLoop::Subscriber => "2100C",
        }
    }
}

/// A fault on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    /// For `latency`: how long to wait before the normal answer (300 ms when absent).
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Only the first this many requests naming the member meet the fault; later ones are
    /// answered normally, as by a payer that recovers from an outage. Every request when absent.
    #[serde(default)]
    pub first_calls: Option<u32>,
}

impl Fault {
    /// Whether the `nth` request naming the member (1 for the first) meets the fault.
    pub fn applies_to(&self, nth: usize) -> bool {
        self.first_calls
            .is_none_or(|first| usize::try_from(first).is_ok_and(|first| nth <= first))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FaultKind {
    /// Wait `latency_ms`, then answer normally.
    #[serde(rename = "latency")]
    Latency,
    /// HTTP 500 with a plain-text body.
    #[serde(rename = "http_500")]
    Http500,
    /// No answer: hold the request for [`super::NO_ANSWER_FOR`] or until the server stops.
    #[serde(rename = "timeout")]
    Timeout,
    /// HTTP 200 with bytes that are neither the protocol's envelope nor its payload.
    #[serde(rename = "garbage")]
    Garbage,
    /// The answer cut in the middle: for X12 the 271 inside a well-formed CORE envelope is cut
    /// mid-segment; for JSON and FHIR the body is cut mid-document.
    #[serde(rename = "truncated")]
    Truncated,
    /// X12: a 999 rejecting the 270 (2100C NM109 fails the payer's member id format check)
    /// instead of a 271. JSON and FHIR have no acknowledgment: their request is refused as
    /// unreadable (HTTP 400 in the protocol's error shape).
    #[serde(rename = "reject_999")]
    Reject999,
    /// X12: a TA1 rejecting the interchange (TA105 006, invalid interchange sender id) instead
    /// of a 271; JSON and FHIR as for `reject_999`.
    #[serde(rename = "reject_ta1")]
    RejectTa1,
}

/// Why scenarios could not be loaded. Names the member id and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read the scenario file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the scenario file is not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("scenario {member_id}: {reason}")]
    Invalid { member_id: String, reason: String },
}

impl Scenarios {
    /// The scenarios of `fixtures/mock-payer/scenarios.json`, as compiled in.
    pub fn bundled() -> Result<Scenarios, ScenarioError> {
        Scenarios::parse(BUNDLED)
    }

    /// Reads and checks a scenario file.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenarios, ScenarioError> {
        Scenarios::parse(&std::fs::read_to_string(path)?)
    }

    /// Reads and checks scenario JSON: keys equal `member_id`s, codes are X12-shaped, and each
    /// scenario renders as a 271 (so its text holds no X12 delimiter).
    pub fn parse(json: &str) -> Result<Scenarios, ScenarioError> {
        let by_member: BTreeMap<String, Scenario> = serde_json::from_str(json)?;
        for (key, scenario) in &by_member {
            let invalid = |reason: String| ScenarioError::Invalid {
                member_id: key.clone(),
                reason,
            };
            if key != &scenario.member_id {
                return Err(invalid(format!(
                    "keyed as {key} but member_id is {}",
                    scenario.member_id
                )));
            }
            scenario.check().map_err(invalid)?;
        }
        Ok(Scenarios { by_member })
    }

    /// The scenario for `member_id`, if any.
    pub fn get(&self, member_id: &str) -> Option<&Scenario> {
        self.by_member.get(member_id)
    }

    /// Every scenario, by member id.
    pub fn iter(&self) -> impl Iterator<Item = &Scenario> {
        self.by_member.values()
    }

    /// The answer for `member_id`: its scenario, or "subscriber not found" (AAA 75) for an
    /// unknown member, as a payer would answer.
    pub fn answer_for(&self, member_id: &str) -> Scenario {
        self.get(member_id)
            .cloned()
            .unwrap_or_else(|| Scenario::not_found(member_id))
    }
}

/// Whom an answer says it is about: what was asked, with the scenario's `answer_as` over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    pub trace: String,
    pub member_id: String,
    /// The asked member id, when the payer says it replaced it with `member_id`.
    pub prior_member_id: Option<String>,
    /// The patient as the payer has them: the dependent when the inquiry named one.
    pub patient: Person,
    pub identity_corrected: bool,
}

impl Scenario {
    /// Whom this scenario's answer to `asked` is about.
    pub fn echo(&self, asked: &Asked) -> Echo {
        let answer_as = self.answer_as.clone().unwrap_or_default();
        let mut patient = asked.patient().clone();
        if let Some(first) = answer_as.first_name {
            patient.first_name = Some(first);
        }
        if let Some(last) = answer_as.last_name {
            patient.last_name = Some(last);
        }
        if let Some(birth) = answer_as.birth_date {
            patient.birth_date = Some(birth);
        }
        Echo {
            trace: answer_as.trace.unwrap_or_else(|| asked.trace.clone()),
            prior_member_id: (answer_as.prior_member_id && answer_as.member_id.is_some())
                .then(|| asked.member_id.clone()),
            member_id: answer_as
                .member_id
                .unwrap_or_else(|| asked.member_id.clone()),
            patient,
            identity_corrected: answer_as.identity_corrected,
        }
    }

    /// AAA*N**75*C at 2100C: the payer does not know the member.
    pub fn not_found(member_id: &str) -> Scenario {
        Scenario {
            member_id: member_id.to_string(),
            description: "unknown member id: subscriber not found".into(),
            plan: None,
            benefits: Vec::new(),
            reject: Some(Reject {
                code: "75".into(),
                description: "Subscriber/Insured Not Found".into(),
                follow_up: "C".into(),
                loop_id: RejectLoop::Subscriber,
            }),
            fault: None,
            answer_as: None,
            clearinghouse_trace: None,
            x12_format: None,
            batch_with: None,
        }
    }

    fn check(&self) -> Result<(), String> {
        let code = |what: &str, value: &str, max: usize| {
            let ok = (1..=max).contains(&value.len())
                && value
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if ok {
                Ok(())
            } else {
                Err(format!("{what} {value:?} is not an X12 code"))
            }
        };
        for (i, row) in self.benefits.iter().enumerate() {
            code(&format!("benefits[{i}].code"), &row.code, 2)?;
            if row.service_types.is_empty() && !matches!(row.code.as_str(), "U" | "W" | "R") {
                return Err(format!("benefits[{i}] names no service type"));
            }
            for stc in &row.service_types {
                code(&format!("benefits[{i}].service_types"), stc, 2)?;
            }
            if let Some(network) = &row.network {
                if !matches!(network.as_str(), "Y" | "N" | "W" | "U") {
                    return Err(format!("benefits[{i}].network must be Y, N, W or U"));
                }
            }
            if let Some(kind) = &row.insurance_type {
                code(&format!("benefits[{i}].insurance_type"), kind, 3)?;
            }
            for place in &row.places_of_service {
                let two_digits = place.len() == 2 && place.bytes().all(|b| b.is_ascii_digit());
                if !two_digits {
                    return Err(format!(
                        "benefits[{i}].places_of_service: {place:?} is not a two-digit place of \
                         service code"
                    ));
                }
            }
            for reference in &row.references {
                code(
                    &format!("benefits[{i}].references"),
                    &reference.qualifier,
                    3,
                )?;
            }
            for date in &row.dates {
                code(&format!("benefits[{i}].dates"), &date.qualifier, 3)?;
                if date.end.is_some_and(|end| end < date.begin) {
                    return Err(format!(
                        "benefits[{i}].dates: a range ends before it begins"
                    ));
                }
            }
            for entity in &row.related_entities {
                code(
                    &format!("benefits[{i}].related_entities"),
                    &entity.entity_code,
                    3,
                )?;
                if entity.name.is_none() && !entity.answering_payer {
                    return Err(format!(
                        "benefits[{i}].related_entities: an entity needs a name unless it is the \
                         answering payer"
                    ));
                }
            }
        }
        if let Some(batch) = &self.batch_with {
            if !(1..=9).contains(&batch.members) || batch.ours_at > batch.members {
                return Err(
                    "batch_with: members must be 1 to 9 and ours_at at most members".into(),
                );
            }
        }
        let as_asked = AnswerAs::default();
        let answer_as = self.answer_as.as_ref().unwrap_or(&as_asked);
        if answer_as.prior_member_id && answer_as.member_id.is_none() {
            return Err("answer_as.prior_member_id needs the corrected answer_as.member_id".into());
        }
        if let Some(reject) = &self.reject {
            code("reject.code", &reject.code, 2)?;
            code("reject.follow_up", &reject.follow_up, 1)?;
        }
        if self.fault.is_some_and(|f| f.first_calls == Some(0)) {
            return Err("fault.first_calls must be at least 1 (left out: every call)".into());
        }
        if let Some(plan) = &self.plan {
            if plan.end < plan.begin {
                return Err("plan ends before it begins".into());
            }
        }
        // Rendering is the real check: it refuses text holding an X12 delimiter.
        let asked = Asked::example(&self.member_id);
        super::render_x12::render_271(self, &asked, &check_envelope())
            .map(|_| ())
            .map_err(|e| format!("does not render as a 271: {e}"))
    }
}

fn check_envelope() -> Envelope {
    Envelope {
        sender: PartyId {
            qualifier: "ZZ".into(),
            id: "MOCKPAYER".into(),
        },
        receiver: PartyId {
            qualifier: "ZZ".into(),
            id: "SUBMITTER".into(),
        },
        application_sender: None,
        application_receiver: None,
        usage: Usage::Test,
        ack_requested: false,
        control_numbers: ControlNumbers {
            interchange: 1,
            group: 1,
            transaction_set: 1,
        },
        timestamp: NaiveDateTime::default(),
        delimiters: Delimiters::STANDARD,
    }
}
