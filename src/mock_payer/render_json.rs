//! A scenario in the JSON clearinghouse shape (what `payers::json_wire::parse_response` reads):
//! X12 codes with names, amounts as decimal strings, rejections in `errors[]`.

use serde_json::{json, Map, Value};

use super::inquiry::{Asked, Person};
use super::render_x12::{is_plan_row, DEFAULT_PAYER_NAME};
use super::scenario::{BenefitRow, Entity, RejectLoop, Scenario};
use crate::payers::json_wire::{ENTITY_IDENTIFIERS, FOLLOW_UP_ACTIONS};

/// The JSON answer to `asked`.
pub fn render_json(scenario: &Scenario, asked: &Asked) -> Value {
    let mut body = Map::new();
    body.insert("meta".into(), json!({"applicationMode": "mock"}));
    body.insert("controlNumber".into(), json!(asked.trace));
    if let Some(id) = &asked.payer_id {
        body.insert("tradingPartnerServiceId".into(), json!(id));
    }
    body.insert(
        "provider".into(),
        json!({"providerName": asked.provider_name, "npi": asked.provider_npi}),
    );
    let mut subscriber = person(&asked.subscriber);
    subscriber.insert("memberId".into(), json!(asked.member_id));
    body.insert("subscriber".into(), Value::Object(subscriber));
    if let Some(dependent) = &asked.dependent {
        body.insert("dependents".into(), json!([person(dependent)]));
    }
    body.insert(
        "payer".into(),
        json!({
            "name": asked.payer_name.as_deref().unwrap_or(DEFAULT_PAYER_NAME),
            "payorIdentification": asked.payer_id,
        }),
    );
    if let Some(reject) = &scenario.reject {
        let follow_up = FOLLOW_UP_ACTIONS
            .iter()
            .find(|(code, _)| *code == reject.follow_up)
            .map_or(reject.follow_up.as_str(), |(_, words)| words);
        let location = match reject.loop_id {
            RejectLoop::Source => "Loop 2100A",
            RejectLoop::Subscriber => "Loop 2100C",
        };
        body.insert(
            "errors".into(),
            json!([{
                "field": "AAA",
                "code": reject.code,
                "description": reject.description,
                "followupAction": follow_up,
                "location": location,
            }]),
        );
        return Value::Object(body);
    }
    if let Some(plan) = &scenario.plan {
        body.insert(
            "planDateInformation".into(),
            json!({
                "planBegin": plan.begin.format("%Y%m%d").to_string(),
                "planEnd": plan.end.format("%Y%m%d").to_string(),
            }),
        );
    }
    // planStatus repeats the plan-level status rows, as the clearinghouse does.
    let status: Vec<Value> = scenario
        .benefits
        .iter()
        .filter(|row| is_plan_row(row))
        .map(|row| {
            json!({
                "statusCode": row.code,
                "status": eb01_name(&row.code),
                "planDetails": row.plan_description.clone()
                    .or_else(|| scenario.plan.as_ref().map(|p| p.name.clone())),
                "serviceTypeCodes": row.service_types,
            })
        })
        .collect();
    body.insert("planStatus".into(), json!(status));
    let benefits: Vec<Value> = scenario
        .benefits
        .iter()
        .map(|row| benefit(row, scenario))
        .collect();
    body.insert("benefitsInformation".into(), json!(benefits));
    Value::Object(body)
}

fn person(p: &Person) -> Map<String, Value> {
    let mut out = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            out.insert(key.into(), json!(value));
        }
    };
    put("firstName", p.first_name.clone());
    put("lastName", p.last_name.clone());
    put(
        "dateOfBirth",
        p.birth_date.map(|d| d.format("%Y%m%d").to_string()),
    );
    put("gender", p.gender.clone());
    out
}

fn benefit(row: &BenefitRow, scenario: &Scenario) -> Value {
    let mut b = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            b.insert(key.into(), value);
        }
    };
    put("code", json!(row.code));
    put("name", json!(eb01_name(&row.code)));
    put("coverageLevelCode", json!(row.coverage_level));
    put("serviceTypeCodes", json!(row.service_types));
    let plan = scenario.plan.as_ref().filter(|_| is_plan_row(row));
    put("insuranceTypeCode", json!(plan.map(|p| &p.insurance_type)));
    put(
        "planCoverage",
        json!(row.plan_description.as_ref().or(plan.map(|p| &p.name))),
    );
    put("timeQualifierCode", json!(row.time_period));
    // Amounts travel as decimal strings.
    put("benefitAmount", json!(row.amount.map(|a| a.to_string())));
    put("benefitPercent", json!(row.percent.map(|p| p.to_string())));
    put("quantityQualifierCode", json!(row.quantity_qualifier));
    put(
        "benefitQuantity",
        json!(row.quantity.map(|q| q.to_string())),
    );
    put(
        "authOrCertIndicator",
        json!(row.auth_required.map(|yes| if yes { "Y" } else { "N" })),
    );
    put("inPlanNetworkIndicatorCode", json!(row.network));
    if !row.messages.is_empty() {
        let info: Vec<Value> = row
            .messages
            .iter()
            .map(|m| json!({"description": m}))
            .collect();
        put("additionalInformation", json!(info));
    }
    if !row.related_entities.is_empty() {
        let entities: Vec<Value> = row.related_entities.iter().map(entity).collect();
        put("benefitsRelatedEntities", json!(entities));
    }
    Value::Object(b)
}

fn entity(e: &Entity) -> Value {
    let identifier = ENTITY_IDENTIFIERS
        .iter()
        .find(|(code, _)| *code == e.entity_code)
        .map_or(e.entity_code.as_str(), |(_, words)| words);
    let mut out = json!({
        "entityIdentifier": identifier,
        "entityType": "Non-Person Entity",
        "entityName": e.name,
        "entityIdentification": e.id_qualifier,
        "entityIdentificationValue": e.id,
    });
    if let Some(phone) = &e.phone {
        set(
            &mut out,
            "contactInformation",
            json!({
                "contacts": [{"communicationMode": "Telephone", "communicationNumber": phone}]
            }),
        );
    }
    out
}

/// EB01 names, for people reading the JSON (the parser reads the code).
fn eb01_name(code: &str) -> &'static str {
    match code {
        "1" => "Active Coverage",
        "6" => "Inactive",
        "A" => "Co-Insurance",
        "B" => "Co-Payment",
        "C" => "Deductible",
        "F" => "Limitations",
        "G" => "Out of Pocket (Stop Loss)",
        "I" => "Non-Covered",
        "U" => "Contact Following Entity for Eligibility or Benefit Information",
        _ => "Other",
    }
}

/// Sets `key` on a JSON object (a no-op on anything else, which the builders never pass).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}
