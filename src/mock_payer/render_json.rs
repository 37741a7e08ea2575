//! A scenario in the JSON clearinghouse shape (what `payers::json_wire::parse_response` reads):
//! X12 codes with names, amounts as decimal strings, rejections in `errors[]`. Whom the answer
//! is about travels as the clearinghouse sends it: `controlNumber` and `subscriberTraceNumbers`
//! echo the request's control number, `subscriber` (and `dependents`) the people,
//! `planInformation.priorIdNumber` a replaced member id (the 271's `REF*Q4`).

use serde_json::{json, Map, Value};

use super::inquiry::{Asked, Person};
use super::render_x12::{entity_name, is_plan_row};
use super::scenario::{BenefitRow, Entity, RejectLoop, Scenario};
use crate::payers::json_wire::{DATE_KEYS, ENTITY_IDENTIFIERS, FOLLOW_UP_ACTIONS, REFERENCE_KEYS};

/// The JSON answer to `asked`.
pub fn render_json(scenario: &Scenario, asked: &Asked) -> Value {
    let echo = scenario.echo(asked);
    let mut body = Map::new();
    body.insert("meta".into(), json!({"applicationMode": "mock"}));
    body.insert("controlNumber".into(), json!(echo.trace));
    if let Some(id) = &asked.payer_id {
        body.insert("tradingPartnerServiceId".into(), json!(id));
    }
    body.insert(
        "provider".into(),
        json!({"providerName": asked.provider_name, "npi": asked.provider_npi}),
    );
    // The patient as the payer has them; with a dependent, the subscriber as asked.
    let (subscriber_person, dependent) = match &asked.dependent {
        Some(_) => (asked.subscriber.clone(), Some(echo.patient.clone())),
        None => (echo.patient.clone(), None),
    };
    let corrected = |person: &mut Map<String, Value>| {
        if echo.identity_corrected {
            // INS03 001 change, INS04 25 change in identifying data elements.
            person.insert("maintenanceTypeCode".into(), json!("001"));
            person.insert("maintenanceReasonCode".into(), json!("25"));
        }
    };
    let mut subscriber = person(&subscriber_person);
    subscriber.insert("memberId".into(), json!(echo.member_id));
    if dependent.is_none() {
        corrected(&mut subscriber);
    }
    body.insert("subscriber".into(), Value::Object(subscriber));
    if let Some(dependent) = &dependent {
        let mut dependent = person(dependent);
        corrected(&mut dependent);
        body.insert("dependents".into(), json!([dependent]));
    }
    // TRN*2 as the clearinghouse relays it: ours (the request's control number), then theirs.
    let mut traces = vec![json!({
        "traceTypeCode": "2",
        "traceType": "Referenced Transaction Trace Numbers",
        "referenceIdentification": echo.trace,
        "originatingCompanyIdentifier": "9MOCKPAYER",
    })];
    if let Some(theirs) = &scenario.clearinghouse_trace {
        traces.push(json!({
            "traceTypeCode": "2",
            "traceType": "Referenced Transaction Trace Numbers",
            "referenceIdentification": theirs,
            "originatingCompanyIdentifier": "9CLEARHOUS",
        }));
    }
    body.insert("subscriberTraceNumbers".into(), json!(traces));
    if let Some(prior) = &echo.prior_member_id {
        body.insert("planInformation".into(), json!({"priorIdNumber": prior}));
    }
    let (payer_name, payer_id) = asked.answering_payer();
    body.insert(
        "payer".into(),
        json!({
            "entityIdentifier": "Payer",
            "entityType": "Non-Person Entity",
            "name": payer_name,
            "payorIdentification": payer_id,
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
        .map(|row| benefit(row, scenario, asked))
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

fn benefit(row: &BenefitRow, scenario: &Scenario, asked: &Asked) -> Value {
    let mut b = Map::new();
    let mut put = |key: &str, value: Value| {
        if !value.is_null() {
            b.insert(key.into(), value);
        }
    };
    put("code", json!(row.code));
    put("name", json!(eb01_name(&row.code)));
    put("coverageLevelCode", json!(row.coverage_level));
    if !row.service_types.is_empty() {
        put("serviceTypeCodes", json!(row.service_types));
    }
    let plan = scenario.plan.as_ref().filter(|_| is_plan_row(row));
    put(
        "insuranceTypeCode",
        json!(row
            .insurance_type
            .as_ref()
            .or(plan.map(|p| &p.insurance_type))),
    );
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
    if !row.places_of_service.is_empty() {
        // 2115C III*ZZ: the clearinghouse's list of facility type (place of service) codes.
        let places: Vec<Value> = row
            .places_of_service
            .iter()
            .map(|place| {
                json!({
                    "codeListQualifierCode": "ZZ",
                    "codeListQualifier": "Mutually Defined",
                    "industryCode": place,
                })
            })
            .collect();
        put("eligibilityAdditionalInformationList", json!(places));
    }
    if !row.references.is_empty() {
        let mut references = Map::new();
        for reference in &row.references {
            let key = REFERENCE_KEYS
                .iter()
                .find(|(qualifier, _)| *qualifier == reference.qualifier)
                .map(|(_, key)| *key);
            // A REF01 the shape has no key for cannot travel in it.
            if let Some(key) = key {
                references.insert(key.into(), json!(reference.value));
            }
        }
        put("benefitsAdditionalInformation", Value::Object(references));
    }
    if !row.dates.is_empty() {
        let mut dates = Map::new();
        for date in &row.dates {
            let key = DATE_KEYS
                .iter()
                .find(|(qualifier, _)| *qualifier == date.qualifier)
                .map(|(_, key)| *key);
            let text = match date.end {
                Some(end) => format!("{}-{}", yyyymmdd(date.begin), yyyymmdd(end)),
                None => yyyymmdd(date.begin),
            };
            if let Some(key) = key {
                dates.insert(key.into(), json!(text));
            }
        }
        put("benefitsDateInformation", Value::Object(dates));
    }
    if !row.related_entities.is_empty() {
        let entities: Vec<Value> = row
            .related_entities
            .iter()
            .map(|e| entity(e, asked))
            .collect();
        put("benefitsRelatedEntities", json!(entities));
    }
    Value::Object(b)
}

fn yyyymmdd(date: chrono::NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

fn entity(e: &Entity, asked: &Asked) -> Value {
    let identifier = ENTITY_IDENTIFIERS
        .iter()
        .find(|(code, _)| *code == e.entity_code)
        .map_or(e.entity_code.as_str(), |(_, words)| words);
    let (name, qualifier, id) = entity_name(e, asked);
    let some = |text: &str| (!text.is_empty()).then(|| text.to_string());
    let mut out = json!({
        "entityIdentifier": identifier,
        "entityType": "Non-Person Entity",
        "entityName": name,
        "entityIdentification": some(qualifier),
        "entityIdentificationValue": some(id),
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
        "R" => "Other or Additional Payor",
        "U" => "Contact Following Entity for Eligibility or Benefit Information",
        "W" => "Other Source of Data",
        _ => "Other",
    }
}

/// Sets `key` on a JSON object (a no-op on anything else, which the builders never pass).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}
