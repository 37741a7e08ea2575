//! A scenario as a FHIR R4 `CoverageEligibilityResponse` (what
//! `payers::fhir_wire::parse_response` reads; the mapping table is in that module's docs).
//!
//! X12 rows become `insurance[0].item[]`, one item per service type, because a FHIR category is
//! one concept (several codings would be translations of one code, not a list):
//! - the plan-level status row (EB01 1–8 on STC 30) becomes `inforce`; its other service
//!   types become covered items (`excluded: false`);
//! - `I` rows become `excluded: true` items; `U` and `W` rows items whose `provider` names the
//!   entity, with its NM101 code and phone on a contained `PractitionerRole` (an item without a
//!   category when the row names no service type);
//! - `R` rows (other payers) become further `insurance[]` entries, each with a contained
//!   `Coverage` (order, type, identifiers, period) paid by a contained `Organization`;
//! - a row's places of service become `item.modifier` codings (CMS place-of-service codes);
//! - a `C`/`G` total (EB06 other than 24/29) is paired with its remaining (29) or met (24) row
//!   of the same tier, network and service types into `allowedMoney`/`usedMoney`
//!   (used = total − remaining); `F` days/visits likewise into `allowed`/`usedUnsignedInt`;
//! - `A` percents become whole `copay-percent`s (0.2 → 20), `B` amounts `copay`.
//!
//! Money is written as JSON numbers from the decimal's own text (a `RawValue`), never via f64.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, value::RawValue, Map, Value};

use super::inquiry::{Asked, Person};
use super::render_x12::{entity_name, is_plan_row};
use super::scenario::{BenefitRow, Entity, Scenario};
use crate::payers::fhir_wire::{
    BENEFIT_NETWORK_SYSTEM, BENEFIT_TERM_SYSTEM, BENEFIT_TYPE_SYSTEM, BENEFIT_UNIT_SYSTEM,
    ENTITY_CODE_SYSTEM, FOLLOW_UP_SYSTEM, IDENTIFIER_TYPE_SYSTEM, ID_QUALIFIER_SYSTEM,
    INSURANCE_TYPE_SYSTEM, PAYER_ID_SYSTEM, PLACE_OF_SERVICE_SYSTEM, REFERENCE_QUALIFIER_SYSTEM,
    REJECT_REASON_SYSTEM, STC_SYSTEM, TRACE_SYSTEM,
};

/// A decimal written as a JSON number with exactly its own digits.
struct JsonDecimal(Decimal);

impl Serialize for JsonDecimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[derive(Serialize)]
struct MoneyOut {
    value: JsonDecimal,
    currency: &'static str,
}

fn money(amount: Decimal) -> MoneyOut {
    MoneyOut {
        value: JsonDecimal(amount),
        currency: "USD",
    }
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct BenefitOut {
    #[serde(rename = "type")]
    kind: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_unsigned_int: Option<JsonDecimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_string: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_money: Option<MoneyOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    used_unsigned_int: Option<JsonDecimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    used_money: Option<MoneyOut>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct ItemOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    modifier: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    excluded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    term: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    benefit: Vec<BenefitOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_required: Option<bool>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InsuranceOut {
    coverage: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    inforce: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    benefit_period: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    item: Vec<ItemOut>,
}

#[derive(Serialize)]
struct ResponseOut {
    #[serde(flatten)]
    head: Map<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    insurance: Vec<InsuranceOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    error: Vec<Value>,
}

/// The `CoverageEligibilityResponse` answering `asked`, as JSON bytes.
pub fn render_fhir(
    scenario: &Scenario,
    asked: &Asked,
    created: DateTime<Utc>,
) -> Result<Vec<u8>, serde_json::Error> {
    let echo = scenario.echo(asked);
    let (payer_name, payer_id) = asked.answering_payer();
    let mut contained = vec![patient(&echo.patient)];
    contained.push(json!({
        "resourceType": "Organization",
        "id": "insurer",
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": payer_id}],
        "name": payer_name,
    }));
    let inforce = scenario
        .benefits
        .iter()
        .find(|row| is_plan_row(row))
        .map(|row| matches!(row.code.as_str(), "1" | "2" | "3" | "4" | "5"));
    let mut coverage = json!({
        "resourceType": "Coverage",
        "id": "coverage",
        "status": if inforce == Some(false) { "cancelled" } else { "active" },
        "subscriberId": echo.member_id,
        "beneficiary": {"reference": "#patient"},
        "payor": [{"reference": "#insurer"}],
    });
    if let Some(prior) = &echo.prior_member_id {
        // The member id the payer replaced (the 271's REF*Q4): an identifier no longer valid.
        set(
            &mut coverage,
            "identifier",
            json!([{
                "use": "old",
                "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "MB"}]},
                "value": prior,
            }]),
        );
    }
    contained.push(coverage);

    let mut insurance = Vec::new();
    let mut error = Vec::new();
    match &scenario.reject {
        Some(reject) => {
            error.push(json!({"code": {
                "coding": [
                    {"system": REJECT_REASON_SYSTEM, "code": reject.code, "display": reject.description},
                    {"system": FOLLOW_UP_SYSTEM, "code": reject.follow_up},
                ],
                "text": reject.description,
            }}));
        }
        None => {
            let mut coverage = json!({"reference": "#coverage"});
            if let Some(plan) = &scenario.plan {
                set(&mut coverage, "display", json!(plan.name));
            }
            let benefit_period = scenario.plan.as_ref().map(|plan| {
                json!({
                    "start": plan.begin.format("%Y-%m-%d").to_string(),
                    "end": plan.end.format("%Y-%m-%d").to_string(),
                })
            });
            insurance.push(InsuranceOut {
                coverage,
                inforce,
                benefit_period,
                item: items(scenario, asked, &mut contained),
            });
            insurance.extend(other_payers(scenario, &mut contained));
        }
    }

    let mut head = Map::new();
    head.insert("resourceType".into(), json!("CoverageEligibilityResponse"));
    head.insert("contained".into(), json!(contained));
    head.insert("status".into(), json!("active"));
    head.insert("purpose".into(), json!(["benefits"]));
    head.insert("patient".into(), json!({"reference": "#patient"}));
    if let Some(date) = asked.service_date {
        head.insert(
            "servicedDate".into(),
            json!(date.format("%Y-%m-%d").to_string()),
        );
    }
    head.insert(
        "created".into(),
        json!(created.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    // The request, by its trace: the mock keeps no resources to reference.
    head.insert(
        "request".into(),
        json!({"identifier": {"system": TRACE_SYSTEM, "value": echo.trace}}),
    );
    head.insert(
        "outcome".into(),
        json!(if error.is_empty() {
            "complete"
        } else {
            "error"
        }),
    );
    head.insert("insurer".into(), json!({"reference": "#insurer"}));
    serde_json::to_vec(&ResponseOut {
        head,
        insurance,
        error,
    })
}

fn patient(person: &Person) -> Value {
    let mut patient = json!({"resourceType": "Patient", "id": "patient"});
    let mut name = Map::new();
    if let Some(last) = &person.last_name {
        name.insert("family".into(), json!(last));
    }
    if let Some(first) = &person.first_name {
        name.insert("given".into(), json!([first]));
    }
    if !name.is_empty() {
        set(&mut patient, "name", json!([name]));
    }
    if let Some(birth) = person.birth_date {
        set(
            &mut patient,
            "birthDate",
            json!(birth.format("%Y-%m-%d").to_string()),
        );
    }
    let gender = match person.gender.as_deref() {
        Some("F") => Some("female"),
        Some("M") => Some("male"),
        Some(_) => Some("unknown"),
        None => None,
    };
    if let Some(gender) = gender {
        set(&mut patient, "gender", json!(gender));
    }
    patient
}

fn coding(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system, "code": code}]})
}

/// The item fields every row shares: category, places of service, network, unit,
/// authorization, description. `stc` is `None` for a row that names no service type.
fn item_for(row: &BenefitRow, stc: Option<&str>) -> ItemOut {
    ItemOut {
        category: stc.map(|stc| coding(STC_SYSTEM, stc)),
        modifier: row
            .places_of_service
            .iter()
            .map(|place| coding(PLACE_OF_SERVICE_SYSTEM, place))
            .collect(),
        network: match row.network.as_deref() {
            Some("Y") => Some(coding(BENEFIT_NETWORK_SYSTEM, "in")),
            Some("N") => Some(coding(BENEFIT_NETWORK_SYSTEM, "out")),
            // W (both) and U have no benefit-network code: no network stated.
            _ => None,
        },
        unit: match row.coverage_level.as_deref() {
            Some("IND") => Some(coding(BENEFIT_UNIT_SYSTEM, "individual")),
            Some("FAM") => Some(coding(BENEFIT_UNIT_SYSTEM, "family")),
            _ => None,
        },
        authorization_required: row.auth_required,
        description: (!row.messages.is_empty()).then(|| row.messages.join("; ")),
        ..ItemOut::default()
    }
}

/// EB06 → benefit term (`visit` for 27 is not in R4's example list; see fhir_wire).
fn term(period: Option<&str>) -> Option<Value> {
    let code = match period? {
        "22" | "23" => "annual",
        "7" => "day",
        "27" => "visit",
        "32" => "lifetime",
        _ => return None,
    };
    Some(coding(BENEFIT_TERM_SYSTEM, code))
}

fn benefit_type(code: &str) -> Value {
    coding(BENEFIT_TYPE_SYSTEM, code)
}

fn is_total(row: &BenefitRow) -> bool {
    !matches!(row.time_period.as_deref(), Some("24" | "29"))
}

/// The row of the same kind, tier, network and service types as `total` with EB06 `period`.
fn partner<'a>(rows: &'a [BenefitRow], total: &BenefitRow, period: &str) -> Option<&'a BenefitRow> {
    rows.iter().find(|r| {
        r.code == total.code
            && r.coverage_level == total.coverage_level
            && r.network == total.network
            && r.service_types == total.service_types
            && r.places_of_service == total.places_of_service
            && r.quantity_qualifier == total.quantity_qualifier
            && r.time_period.as_deref() == Some(period)
    })
}

fn items(scenario: &Scenario, asked: &Asked, contained: &mut Vec<Value>) -> Vec<ItemOut> {
    let rows = scenario.benefits.as_slice();
    let mut items = Vec::new();
    for (n, row) in rows.iter().enumerate() {
        let stcs = row.service_types.iter().map(|s| Some(s.as_str()));
        match row.code.as_str() {
            "1" | "2" | "3" | "4" | "5" => {
                for stc in stcs {
                    if stc == Some("30") {
                        // Said by `inforce`; only its text or flag needs an item.
                        if !row.messages.is_empty() || row.auth_required.is_some() {
                            items.push(item_for(row, stc));
                        }
                        continue;
                    }
                    items.push(ItemOut {
                        excluded: Some(false),
                        ..item_for(row, stc)
                    });
                }
            }
            // Inactive is `inforce: false` (FHIR has no per-category inactive); only its text
            // needs an item.
            "6" | "7" | "8" if !row.messages.is_empty() => items.push(item_for(row, Some("30"))),
            "I" => items.extend(stcs.map(|stc| ItemOut {
                excluded: Some(true),
                ..item_for(row, stc)
            })),
            "U" | "W" => {
                let provider = row
                    .related_entities
                    .first()
                    .map(|entity| provider(entity, asked, n, contained));
                // A contact for every service: one item without a category.
                let stcs: Vec<Option<&str>> = if row.service_types.is_empty() {
                    vec![None]
                } else {
                    stcs.collect()
                };
                items.extend(stcs.into_iter().map(|stc| ItemOut {
                    provider: provider.clone(),
                    ..item_for(row, stc)
                }));
            }
            "B" => {
                let Some(amount) = row.amount else { continue };
                items.extend(stcs.map(|stc| ItemOut {
                    term: term(row.time_period.as_deref()),
                    benefit: vec![BenefitOut {
                        kind: benefit_type("copay"),
                        allowed_money: Some(money(amount)),
                        ..BenefitOut::default()
                    }],
                    ..item_for(row, stc)
                }));
            }
            "A" => {
                let Some(percent) = row.percent else { continue };
                // FHIR states whole percents: EB08 0.2 is 20.
                let whole = (percent * Decimal::ONE_HUNDRED).normalize();
                let (int, string) = if whole.fract().is_zero() {
                    (Some(whole), None)
                } else {
                    (None, Some(whole.to_string()))
                };
                items.extend(stcs.map(|stc| ItemOut {
                    term: term(row.time_period.as_deref()),
                    benefit: vec![BenefitOut {
                        kind: benefit_type("copay-percent"),
                        allowed_unsigned_int: int.map(JsonDecimal),
                        allowed_string: string.clone(),
                        ..BenefitOut::default()
                    }],
                    ..item_for(row, stc)
                }));
            }
            "C" | "G" if is_total(row) => {
                let Some(total) = row.amount else { continue };
                let used = match (partner(rows, row, "24"), partner(rows, row, "29")) {
                    (Some(met), _) => met.amount,
                    (None, Some(remaining)) => remaining.amount.map(|left| total - left),
                    (None, None) => None,
                };
                let kind = if row.code == "C" {
                    "deductible"
                } else {
                    "out-of-pocket"
                };
                items.extend(stcs.map(|stc| ItemOut {
                    term: term(row.time_period.as_deref()),
                    benefit: vec![BenefitOut {
                        kind: benefit_type(kind),
                        allowed_money: Some(money(total)),
                        used_money: used.map(money),
                        ..BenefitOut::default()
                    }],
                    ..item_for(row, stc)
                }));
            }
            "F" if is_total(row) => {
                let kind = match row.quantity_qualifier.as_deref() {
                    Some("VS") => "visit",
                    Some("DY") => "room",
                    _ => continue,
                };
                let Some(total) = row.quantity else { continue };
                let used = partner(rows, row, "29")
                    .and_then(|remaining| remaining.quantity)
                    .map(|left| (total - left).max(Decimal::ZERO));
                items.extend(stcs.map(|stc| ItemOut {
                    term: term(row.time_period.as_deref()),
                    benefit: vec![BenefitOut {
                        kind: benefit_type(kind),
                        allowed_unsigned_int: Some(JsonDecimal(total.normalize())),
                        used_unsigned_int: used.map(|u| JsonDecimal(u.normalize())),
                        ..BenefitOut::default()
                    }],
                    ..item_for(row, stc)
                }));
            }
            // Remaining/met rows were folded into their totals above; other EB01 codes have
            // no FHIR benefit type and are left out.
            _ => {}
        }
    }
    items
}

/// `item.provider` for a 2120 entity: a reference to a contained `PractitionerRole` holding its
/// NM101 code and phone, with its name and id on the reference.
fn provider(entity: &Entity, asked: &Asked, n: usize, contained: &mut Vec<Value>) -> Value {
    let id = format!("entity-{n}");
    let mut role = json!({
        "resourceType": "PractitionerRole",
        "id": id,
        "code": [coding(ENTITY_CODE_SYSTEM, &entity.entity_code)],
    });
    if let Some(phone) = &entity.phone {
        set(
            &mut role,
            "telecom",
            json!([{"system": "phone", "value": phone}]),
        );
    }
    contained.push(role);
    let (name, qualifier, value) = entity_name(entity, asked);
    let mut provider = json!({"reference": format!("#{id}"), "display": name});
    if !value.is_empty() {
        set(&mut provider, "identifier", identifier(qualifier, value));
    }
    provider
}

/// An NM108/NM109 id: an EDI payer id (`PI`) in its own system, another with its qualifier as
/// the identifier's type.
fn identifier(qualifier: &str, value: &str) -> Value {
    if qualifier == "PI" {
        json!({"system": PAYER_ID_SYSTEM, "value": value})
    } else if qualifier.is_empty() {
        json!({"value": value})
    } else {
        json!({"type": coding(ID_QUALIFIER_SYSTEM, qualifier), "value": value})
    }
}

/// The member's other payers (`R` rows): an `insurance[]` each, whose contained `Coverage` is
/// paid by a contained `Organization`. `Coverage.order` says primary, secondary or tertiary; a
/// prior carrier's coverage is `cancelled`.
fn other_payers(scenario: &Scenario, contained: &mut Vec<Value>) -> Vec<InsuranceOut> {
    let mut out = Vec::new();
    for (n, row) in scenario.benefits.iter().enumerate() {
        if row.code != "R" {
            continue;
        }
        let entity = row.related_entities.first();
        let code = entity.map_or("PR", |e| e.entity_code.as_str());
        let payer_id = format!("other-payer-{n}");
        let mut organization = json!({
            "resourceType": "Organization",
            "id": payer_id,
            "name": entity.and_then(|e| e.name.clone()).unwrap_or_else(|| "OTHER PAYER".into()),
        });
        if let Some(entity) = entity {
            if let Some(id) = &entity.id {
                let qualifier = entity.id_qualifier.as_deref().unwrap_or_default();
                set(
                    &mut organization,
                    "identifier",
                    json!([identifier(qualifier, id)]),
                );
            }
            if let Some(phone) = &entity.phone {
                set(
                    &mut organization,
                    "telecom",
                    json!([{"system": "phone", "value": phone}]),
                );
            }
        }
        contained.push(organization);
        let coverage_id = format!("other-coverage-{n}");
        let mut coverage = json!({
            "resourceType": "Coverage",
            "id": coverage_id,
            "status": if code == "P4" { "cancelled" } else { "active" },
            "beneficiary": {"reference": "#patient"},
            "payor": [{"reference": format!("#{payer_id}")}],
        });
        if let Some(kind) = &row.insurance_type {
            set(&mut coverage, "type", coding(INSURANCE_TYPE_SYSTEM, kind));
        }
        if !row.references.is_empty() {
            let identifiers: Vec<Value> = row
                .references
                .iter()
                .map(|r| {
                    json!({
                        "type": coding(REFERENCE_QUALIFIER_SYSTEM, &r.qualifier),
                        "value": r.value,
                    })
                })
                .collect();
            set(&mut coverage, "identifier", json!(identifiers));
        }
        // One period per coverage: the coordination-of-benefits dates when given.
        let date = row
            .dates
            .iter()
            .find(|d| d.qualifier == "290")
            .or(row.dates.first());
        if let Some(date) = date {
            let mut period = json!({"start": date.begin.format("%Y-%m-%d").to_string()});
            if let Some(end) = date.end {
                set(
                    &mut period,
                    "end",
                    json!(end.format("%Y-%m-%d").to_string()),
                );
            }
            set(&mut coverage, "period", period);
        }
        let order = match code {
            "PRP" => Some(1),
            "SEP" => Some(2),
            "TTP" => Some(3),
            _ => None,
        };
        if let Some(order) = order {
            set(&mut coverage, "order", json!(order));
        }
        contained.push(coverage);
        out.push(InsuranceOut {
            coverage: json!({"reference": format!("#{coverage_id}")}),
            inforce: None,
            benefit_period: None,
            item: Vec::new(),
        });
    }
    out
}

/// Sets `key` on a JSON object (a no-op on anything else, which the builders never pass).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}
