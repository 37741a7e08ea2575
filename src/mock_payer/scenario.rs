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

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Deserialize;

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
    /// EB03, written repeated (`30^MH^BB`).
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
    /// EB05; on a plan-level active row the plan name is used when this is absent.
    #[serde(default)]
    pub plan_description: Option<String>,
    /// MSG.
    #[serde(default)]
    pub messages: Vec<String>,
    /// LS*2120 … LE*2120.
    #[serde(default)]
    pub related_entities: Vec<Entity>,
}

/// A 2120C benefit-related entity (NM1 + PER).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    /// NM101 (`PR` payer, `Y2` managed care organization, `X3` utilization management, …).
    pub entity_code: String,
    pub name: String,
    /// NM108 (`PI` payer id).
    pub id_qualifier: Option<String>,
    pub id: Option<String>,
    /// PER TE.
    pub phone: Option<String>,
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

impl Scenario {
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
            if row.service_types.is_empty() {
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
        let asked = super::inquiry::Asked::example(&self.member_id);
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
