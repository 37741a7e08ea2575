//! The JSON clearinghouse shape for eligibility that Change Healthcare introduced (and others,
//! e.g. Stedi, copied): a 270 and a 271 as JSON documents. Pure: builds and reads bodies, no I/O.
//!
//! The shape is X12 with names instead of positions, so it maps one to one onto
//! [`BenefitEntry`] rows (domain reference §1.3):
//!
//! | JSON (`benefitsInformation[]`) | X12 |
//! |---|---|
//! | `code` | EB01 |
//! | `coverageLevelCode` | EB02 |
//! | `serviceTypeCodes[]` | EB03 (repeated) |
//! | `insuranceTypeCode` | EB04 |
//! | `planCoverage` | EB05 |
//! | `timeQualifierCode` | EB06 |
//! | `benefitAmount` (decimal string) | EB07 |
//! | `benefitPercent` (decimal fraction string, `"0.2"` = 20 %) | EB08 |
//! | `quantityQualifierCode`, `benefitQuantity` | EB09, EB10 |
//! | `authOrCertIndicator` (`Y`/`N`/`U`) | EB11 |
//! | `inPlanNetworkIndicatorCode` (`Y`/`N`/`W`/`U`) | EB12 |
//! | `additionalInformation[].description` | MSG |
//! | `eligibilityAdditionalInformationList[]` (else the older single `eligibilityAdditionalInformation`) with `codeListQualifierCode` `ZZ` | 2115C `III*ZZ`: `industryCode` is a place of service |
//! | `benefitsAdditionalInformation` (named keys, [`REFERENCE_KEYS`]) | 2110C REF |
//! | `benefitsDateInformation` (named keys, [`DATE_KEYS`]; a date or a range) | 2110C DTP |
//! | `benefitsRelatedEntities[]` | LS*2120 / NM1 / PER / LE*2120 |
//! | `errors[]` (`code`, `description`, `followupAction`) | AAA03, AAA04 |
//!
//! Whom the answer is about ([`AnsweredFor`]) and who answered:
//!
//! | JSON | X12 |
//! |---|---|
//! | `controlNumber`, `subscriberTraceNumbers[]` with `traceTypeCode` `2` | `TRN*2` TRN02 (see [`parse_answer`]) |
//! | `subscriber.memberId` | 2100C NM109 |
//! | `planInformation.priorIdNumber` | 2100C `REF*Q4` |
//! | `dependents[0]` when present, else `subscriber`: `firstName`, `lastName`, `dateOfBirth` | the patient's NM1 and DMG |
//! | `maintenanceReasonCode` `25` on the patient or subscriber | INS04 `25` |
//! | `payer.name`, `payer.payorIdentification` | 2100A NM103, NM109 |
//!
//! `planStatus[]` repeats the EB01 = 1/6 rows (active/inactive per service type); they are
//! read as rows too, so coverage status works even when `benefitsInformation` is empty.
//! Amounts arrive as strings; a number is accepted too and read from its own text
//! (see [`super::wire`]), never through `f64`.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, value::RawValue, Map, Value};

use super::wire::{decimal_from_raw, from_body, parse_date, WireError};
use crate::domain::eligibility::{
    AnsweredFor, AnsweringPayer, BenefitEntry, BenefitKind, EligibilityAnswer, EntryDate,
    EntryReference, Inquiry, InquiryPerson, NetworkScope, PayerRejection, RelatedEntity, Sourced,
};

/// The body of a JSON eligibility request for `inquiry`.
///
/// `controlNumber` must be 9 digits; it is derived from the trace (see [`control_number`]) so
/// the same inquiry always carries the same number and the payer's echo can be matched.
/// Gender is sent only as `M` or `F`, the values the shape accepts.
pub fn request(inquiry: &Inquiry) -> Value {
    let mut subscriber = person(&inquiry.subscriber);
    subscriber.insert("memberId".into(), json!(inquiry.member_id));
    if let Some(group) = &inquiry.group_number {
        subscriber.insert("groupNumber".into(), json!(group));
    }
    let mut body = json!({
        "controlNumber": control_number(&inquiry.trace),
        "tradingPartnerServiceId": inquiry.payer_edi_id,
        "provider": {
            "organizationName": inquiry.provider_name,
            "npi": inquiry.provider_npi,
        },
        "subscriber": subscriber,
        "encounter": {
            "serviceTypeCodes": inquiry.service_types,
            "dateOfService": yyyymmdd(inquiry.service_date),
        },
    });
    if let (Some(dependent), Some(object)) = (&inquiry.dependent, body.as_object_mut()) {
        object.insert("dependents".into(), json!([person(dependent)]));
    }
    body
}

/// Nine digits derived from `trace` (64-bit FNV-1a, folded into 1..=999 999 999). Deterministic,
/// so a retry of the same inquiry sends the same control number.
pub fn control_number(trace: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in trace.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:09}", hash % 999_999_999 + 1)
}

fn person(p: &InquiryPerson) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("firstName".into(), json!(p.first_name));
    out.insert("lastName".into(), json!(p.last_name));
    out.insert("dateOfBirth".into(), json!(yyyymmdd(p.date_of_birth)));
    if let Some(sex @ ("M" | "F")) = p.sex.as_deref() {
        out.insert("gender".into(), json!(sex));
    }
    out
}

fn yyyymmdd(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// AAA04 follow-up action codes and the words the JSON shape sends for them in
/// `followupAction` (domain reference §1.7). Both forms are read.
pub const FOLLOW_UP_ACTIONS: [(&str, &str); 8] = [
    ("C", "Please Correct and Resubmit"),
    ("N", "Resubmission Not Allowed"),
    ("P", "Please Resubmit Original Transaction"),
    ("R", "Resubmission Allowed"),
    ("S", "Do Not Resubmit; Inquiry Initiated to a Third Party"),
    ("W", "Please Wait 30 Days and Resubmit"),
    ("X", "Please Wait 10 Days and Resubmit"),
    ("Y", "Do Not Resubmit; We Will Hand Deliver Your Request"),
];

/// NM101 entity identifier codes of loop 2120 and the words the JSON shape sends for them in
/// `entityIdentifier`. A code (`PR`) is read as is; words not listed are kept as sent.
pub const ENTITY_IDENTIFIERS: [(&str, &str); 16] = [
    ("PR", "Payer"),
    ("PRP", "Primary Payer"),
    ("SEP", "Secondary Payer"),
    ("TTP", "Tertiary Payer"),
    ("P4", "Prior Insurance Carrier"),
    ("2B", "Third-Party Administrator"),
    ("Y2", "Managed Care Organization"),
    ("X3", "Utilization Management Organization"),
    ("VN", "Vendor"),
    ("P3", "Primary Care Provider"),
    ("1P", "Provider"),
    ("FA", "Facility"),
    ("13", "Contracted Service Provider"),
    ("P5", "Plan Sponsor"),
    ("IL", "Insured or Subscriber"),
    ("36", "Employer"),
];

/// 2110C REF01 qualifiers and the keys of `benefitsAdditionalInformation` that carry them.
/// (`medicaidRecepientIdNumber` is spelled as the clearinghouse spells it.)
pub const REFERENCE_KEYS: [(&str, &str); 14] = [
    ("18", "planNumber"),
    ("1L", "policyNumber"),
    ("1W", "memberId"),
    ("49", "familyUnitNumber"),
    ("6P", "groupNumber"),
    ("9F", "referralNumber"),
    ("ALS", "alternativeListId"),
    ("CLI", "coverageListId"),
    ("F6", "hicNumber"),
    ("FO", "drugFormularyNumber"),
    ("G1", "priorAuthorizationNumber"),
    ("IG", "insurancePolicyNumber"),
    ("N6", "planNetworkIdNumber"),
    ("NQ", "medicaidRecepientIdNumber"),
];

/// 2110C DTP01 qualifiers and the keys of `benefitsDateInformation` that carry them.
pub const DATE_KEYS: [(&str, &str); 20] = [
    ("193", "periodStart"),
    ("194", "periodEnd"),
    ("198", "completion"),
    ("290", "coordinationOfBenefits"),
    ("291", "plan"),
    ("292", "benefit"),
    ("295", "primaryCareProvider"),
    ("304", "latestVisitOrConsultation"),
    ("307", "eligibility"),
    ("318", "added"),
    ("346", "planBegin"),
    ("347", "planEnd"),
    ("348", "benefitBegin"),
    ("349", "benefitEnd"),
    ("356", "eligibilityBegin"),
    ("357", "eligibilityEnd"),
    ("435", "admission"),
    ("472", "service"),
    ("636", "dateOfLastUpdate"),
    ("771", "status"),
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    control_number: Option<String>,
    plan_status: Option<Vec<PlanStatus>>,
    plan_date_information: Option<PlanDates>,
    plan_information: Option<PlanInformation>,
    benefits_information: Option<Vec<Benefit>>,
    errors: Option<Vec<ErrorInfo>>,
    subscriber: Option<Member>,
    dependents: Option<Vec<Member>>,
    subscriber_trace_numbers: Option<Vec<TraceNumber>>,
    payer: Option<Payer>,
}

/// The subscriber or a dependent, as the payer has them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    member_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    date_of_birth: Option<String>,
    maintenance_reason_code: Option<String>,
    aaa_errors: Option<Vec<ErrorInfo>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlanInformation {
    prior_id_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceNumber {
    trace_type_code: Option<String>,
    reference_identification: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payer {
    name: Option<String>,
    payor_identification: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlanStatus {
    status_code: Option<String>,
    plan_details: Option<String>,
    service_type_codes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlanDates {
    plan: Option<String>,
    plan_begin: Option<String>,
    plan_end: Option<String>,
    eligibility_begin: Option<String>,
    eligibility_end: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Benefit {
    code: Option<String>,
    coverage_level_code: Option<String>,
    service_type_codes: Option<Vec<String>>,
    plan_coverage: Option<String>,
    time_qualifier_code: Option<String>,
    benefit_amount: Option<Box<RawValue>>,
    benefit_percent: Option<Box<RawValue>>,
    quantity_qualifier_code: Option<String>,
    benefit_quantity: Option<Box<RawValue>>,
    auth_or_cert_indicator: Option<String>,
    in_plan_network_indicator_code: Option<String>,
    insurance_type_code: Option<String>,
    additional_information: Option<Vec<AdditionalInfo>>,
    eligibility_additional_information_list: Option<Vec<IndustryCode>>,
    /// Older responses send one as an object.
    eligibility_additional_information: Option<IndustryCode>,
    benefits_additional_information: Option<Map<String, Value>>,
    benefits_date_information: Option<Map<String, Value>>,
    benefits_related_entities: Option<Vec<Entity>>,
    /// Older responses send one entity as an object.
    benefits_related_entity: Option<Entity>,
}

#[derive(Deserialize)]
struct AdditionalInfo {
    description: Option<String>,
}

/// III01/III02 in the JSON shape.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndustryCode {
    code_list_qualifier_code: Option<String>,
    industry_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entity {
    entity_identifier: Option<String>,
    entity_name: Option<String>,
    entity_identification: Option<String>,
    entity_identification_value: Option<String>,
    contact_information: Option<ContactInformation>,
}

#[derive(Deserialize)]
struct ContactInformation {
    contacts: Option<Vec<Contact>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contact {
    communication_mode: Option<String>,
    communication_number: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorInfo {
    code: Option<String>,
    description: Option<String>,
    followup_action: Option<String>,
}

/// Reads a JSON eligibility response. Never panics; a body that is not JSON or not this shape
/// is a [`WireError`] naming where, never quoting a value.
///
/// `answered_for.traces` holds the control numbers as echoed; [`parse_answer`] translates ours
/// back to the inquiry's trace.
pub fn parse_response(body: &[u8]) -> Result<EligibilityAnswer, WireError> {
    let response: Response = from_body(body)?;
    let mut answer = EligibilityAnswer {
        payer: response.payer.as_ref().map(|p| AnsweringPayer {
            phone: None,
            name: text(&p.name),
            id: text(&p.payor_identification),
        }),
        answered_for: answered_for(&response)?,
        ..EligibilityAnswer::default()
    };

    for (i, status) in response.plan_status.iter().flatten().enumerate() {
        let source = format!("JSON planStatus[{i}]");
        let code = status
            .status_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| WireError::value(format!("{source}.statusCode"), "missing"))?;
        let mut entry = BenefitEntry::new(source, BenefitKind::from_code(code));
        entry.service_types = codes(status.service_type_codes.as_deref());
        entry.plan_description = text(&status.plan_details);
        answer.benefits.push(entry);
    }

    if let Some(dates) = &response.plan_date_information {
        read_plan_dates(dates, &mut answer)?;
    }

    for (i, benefit) in response.benefits_information.iter().flatten().enumerate() {
        answer.benefits.push(read_benefit(i, benefit)?);
    }

    let errors = response
        .errors
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, e)| (format!("JSON errors[{i}]"), e));
    let aaa = response
        .subscriber
        .iter()
        .flat_map(|s| s.aaa_errors.iter().flatten())
        .enumerate()
        .map(|(i, e)| (format!("JSON subscriber.aaaErrors[{i}]"), e));
    for (source, error) in errors.chain(aaa) {
        let rejection = read_error(&source, error)?;
        // The same AAA is often reported both at the top and under the subscriber.
        let seen = answer
            .rejections
            .iter()
            .any(|r| r.code == rejection.code && r.follow_up == rejection.follow_up);
        if !seen {
            answer.rejections.push(rejection);
        }
    }
    Ok(answer)
}

/// Reads the answer to `inquiry`: [`parse_response`], with the echoed control number that is
/// ours (derived from the trace, see [`control_number`]) read as the inquiry's trace, so the
/// identity check compares traces. Any other echo is kept as sent: it names another inquiry.
pub fn parse_answer(body: &[u8], inquiry: &Inquiry) -> Result<EligibilityAnswer, WireError> {
    let mut answer = parse_response(body)?;
    let ours = control_number(&inquiry.trace);
    if let Some(about) = answer.answered_for.as_mut() {
        for trace in &mut about.traces {
            if *trace == ours {
                trace.clone_from(&inquiry.trace);
            }
        }
        about.traces.dedup();
    }
    Ok(answer)
}

/// Whom the answer is about: the echoed control number and traces, the subscriber's member id
/// and prior id, the patient (the first dependent, else the subscriber).
fn answered_for(response: &Response) -> Result<Option<AnsweredFor>, WireError> {
    let subscriber = response.subscriber.as_ref();
    let dependent = response.dependents.as_deref().and_then(<[Member]>::first);
    let (patient, path) = match (dependent, subscriber) {
        (Some(d), _) => (Some(d), "dependents[0]"),
        (None, s) => (s, "subscriber"),
    };
    let mut traces: Vec<String> = text(&response.control_number).into_iter().collect();
    for trace in response.subscriber_trace_numbers.iter().flatten() {
        let referenced = trace.trace_type_code.as_deref().map(str::trim) == Some("2");
        if let (true, Some(value)) = (referenced, text(&trace.reference_identification)) {
            if !traces.contains(&value) {
                traces.push(value);
            }
        }
    }
    let member_id = subscriber.and_then(|s| text(&s.member_id));
    if traces.is_empty() && member_id.is_none() && patient.is_none() {
        return Ok(None);
    }
    let birth_date = patient
        .and_then(|p| text(&p.date_of_birth))
        .map(|d| parse_date(&d).map_err(|r| WireError::value(format!("{path}.dateOfBirth"), r)))
        .transpose()?;
    let corrected = |m: Option<&Member>| {
        m.is_some_and(|m| text(&m.maintenance_reason_code).as_deref() == Some("25"))
    };
    Ok(Some(AnsweredFor {
        traces,
        member_id,
        prior_member_ids: response
            .plan_information
            .as_ref()
            .and_then(|p| text(&p.prior_id_number))
            .into_iter()
            .collect(),
        first_name: patient.and_then(|p| text(&p.first_name)),
        last_name: patient.and_then(|p| text(&p.last_name)),
        birth_date,
        identity_corrected: corrected(patient) || corrected(subscriber),
        source: format!("JSON {path}"),
    }))
}

/// `planBegin`/`planEnd` (each `CCYYMMDD` or `CCYYMMDD-CCYYMMDD`), else `plan` (a range), else
/// the eligibility dates. An explicit end date wins over the end of a range.
fn read_plan_dates(dates: &PlanDates, answer: &mut EligibilityAnswer) -> Result<(), WireError> {
    type Read = (Option<NaiveDate>, Option<NaiveDate>, String);
    let read =
        |name: &str, value: &Option<String>, is_end: bool| -> Result<Option<Read>, WireError> {
            let Some(value) = text(value) else {
                return Ok(None);
            };
            let path = format!("planDateInformation.{name}");
            let (start, end) = date_or_range(&value).map_err(|r| WireError::value(&path, r))?;
            let (begin, end) = if is_end {
                (None, Some(end.unwrap_or(start)))
            } else {
                (Some(start), end)
            };
            Ok(Some((begin, end, format!("JSON {path}"))))
        };
    let plan_begin = read("planBegin", &dates.plan_begin, false)?;
    let plan_end = read("planEnd", &dates.plan_end, true)?;
    let plan = read("plan", &dates.plan, false)?;
    let eligibility_begin = read("eligibilityBegin", &dates.eligibility_begin, false)?;
    let eligibility_end = read("eligibilityEnd", &dates.eligibility_end, true)?;
    answer.plan_begin = [&plan_begin, &plan, &eligibility_begin]
        .into_iter()
        .flatten()
        .find_map(|(begin, _, source)| begin.map(|d| Sourced::new(d, source.clone())));
    answer.plan_end = [
        &plan_end,
        &plan_begin,
        &plan,
        &eligibility_end,
        &eligibility_begin,
    ]
    .into_iter()
    .flatten()
    .find_map(|(_, end, source)| end.map(|d| Sourced::new(d, source.clone())));
    Ok(())
}

/// `CCYYMMDD` or `CCYYMMDD-CCYYMMDD`: the first date and, for a range, the last.
fn date_or_range(value: &str) -> Result<(NaiveDate, Option<NaiveDate>), &'static str> {
    match value.split_once('-') {
        Some((a, b)) => {
            let (start, end) = (parse_date(a)?, parse_date(b)?);
            if end < start {
                return Err("the date range ends before it starts");
            }
            Ok((start, Some(end)))
        }
        None => Ok((parse_date(value)?, None)),
    }
}

fn read_benefit(i: usize, b: &Benefit) -> Result<BenefitEntry, WireError> {
    let path = format!("benefitsInformation[{i}]");
    let code = text(&b.code).ok_or_else(|| WireError::value(format!("{path}.code"), "missing"))?;
    let mut entry = BenefitEntry::new(format!("JSON {path}"), BenefitKind::from_code(&code));
    entry.coverage_level = text(&b.coverage_level_code);
    entry.service_types = codes(b.service_type_codes.as_deref());
    entry.plan_description = text(&b.plan_coverage);
    entry.time_period = text(&b.time_qualifier_code);
    let number = |raw: &Option<Box<RawValue>>, name: &str| -> Result<Option<Decimal>, WireError> {
        raw.as_deref()
            .map(|r| {
                decimal_from_raw(r)
                    .map_err(|reason| WireError::value(format!("{path}.{name}"), reason))
            })
            .transpose()
    };
    entry.amount = number(&b.benefit_amount, "benefitAmount")?;
    // EB08 is already a fraction here (`"0.2"` is 20 %), as in the 271.
    entry.percent = number(&b.benefit_percent, "benefitPercent")?;
    entry.quantity_qualifier = text(&b.quantity_qualifier_code);
    entry.quantity = number(&b.benefit_quantity, "benefitQuantity")?;
    entry.auth_required = match text(&b.auth_or_cert_indicator).as_deref() {
        None | Some("U") => None,
        Some("Y") => Some(true),
        Some("N") => Some(false),
        Some(_) => {
            return Err(WireError::value(
                format!("{path}.authOrCertIndicator"),
                "must be Y, N or U",
            ))
        }
    };
    entry.insurance_type = text(&b.insurance_type_code);
    entry.network = match text(&b.in_plan_network_indicator_code) {
        None => NetworkScope::Unknown,
        Some(code) if matches!(code.as_str(), "Y" | "N" | "W" | "U") => {
            NetworkScope::from_code(Some(&code))
        }
        Some(_) => {
            return Err(WireError::value(
                format!("{path}.inPlanNetworkIndicatorCode"),
                "must be Y, N, W or U",
            ))
        }
    };
    entry.messages = b
        .additional_information
        .iter()
        .flatten()
        .filter_map(|info| text(&info.description))
        .collect();
    // The list supersedes the older single object; a response carrying both repeats itself.
    let places = match (
        &b.eligibility_additional_information_list,
        &b.eligibility_additional_information,
    ) {
        (Some(list), _) => list.iter().collect::<Vec<_>>(),
        (None, single) => single.iter().collect(),
    };
    for info in places {
        let qualifier = text(&info.code_list_qualifier_code);
        if let (Some("ZZ"), Some(code)) = (qualifier.as_deref(), text(&info.industry_code)) {
            if !entry.places_of_service.contains(&code) {
                entry.places_of_service.push(code);
            }
        }
    }
    if let Some(keys) = &b.benefits_additional_information {
        for (qualifier, key) in REFERENCE_KEYS {
            let Some(value) = keys.get(key) else { continue };
            let value = value.as_str().map(str::trim).ok_or_else(|| {
                WireError::value(
                    format!("{path}.benefitsAdditionalInformation.{key}"),
                    "not text",
                )
            })?;
            if !value.is_empty() {
                entry.references.push(EntryReference {
                    qualifier: qualifier.to_string(),
                    value: value.to_string(),
                });
            }
        }
    }
    if let Some(keys) = &b.benefits_date_information {
        for (qualifier, key) in DATE_KEYS {
            let Some(value) = keys.get(key) else { continue };
            let field = format!("{path}.benefitsDateInformation.{key}");
            let value = value
                .as_str()
                .map(str::trim)
                .ok_or_else(|| WireError::value(&field, "not text"))?;
            let (begin, end) = date_or_range(value).map_err(|r| WireError::value(&field, r))?;
            entry.dates.push(EntryDate {
                qualifier: qualifier.to_string(),
                begin,
                end,
            });
        }
    }
    entry.related_entities = b
        .benefits_related_entities
        .iter()
        .flatten()
        .chain(b.benefits_related_entity.as_ref())
        .map(related_entity)
        .collect();
    Ok(entry)
}

fn related_entity(e: &Entity) -> RelatedEntity {
    let phone = e
        .contact_information
        .iter()
        .flat_map(|c| c.contacts.iter().flatten())
        .find(|c| {
            matches!(
                c.communication_mode.as_deref().map(str::trim),
                Some("TE" | "Telephone" | "WP" | "Work Phone Number")
            )
        })
        .and_then(|c| text(&c.communication_number));
    RelatedEntity {
        entity_code: text(&e.entity_identifier).map(|words| entity_code(&words)),
        name: text(&e.entity_name),
        id_qualifier: text(&e.entity_identification),
        id: text(&e.entity_identification_value),
        phone,
    }
}

/// The NM101 code for `entityIdentifier`, which may be a code or its words.
fn entity_code(value: &str) -> String {
    ENTITY_IDENTIFIERS
        .iter()
        .find(|(code, words)| value == *code || value.eq_ignore_ascii_case(words))
        .map_or_else(|| value.to_string(), |(code, _)| (*code).to_string())
}

fn read_error(source: &str, e: &ErrorInfo) -> Result<PayerRejection, WireError> {
    let code =
        text(&e.code).ok_or_else(|| WireError::value(format!("{source}.code"), "missing"))?;
    let follow_up = text(&e.followup_action).map(|action| {
        FOLLOW_UP_ACTIONS
            .iter()
            .find(|(code, words)| action == *code || action.eq_ignore_ascii_case(words))
            .map_or(action.clone(), |(code, _)| (*code).to_string())
    });
    Ok(PayerRejection {
        code,
        description: text(&e.description).unwrap_or_default(),
        follow_up,
        source: source.to_string(),
    })
}

/// A trimmed, non-empty string.
fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn codes(values: Option<&[String]>) -> Vec<String> {
    values
        .unwrap_or_default()
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The FHIR tests' inquiry, asking one service type.
    fn inquiry() -> Inquiry {
        Inquiry {
            service_types: vec!["BB".into()],
            ..crate::payers::fhir_wire::tests::inquiry()
        }
    }

    #[test]
    fn request_has_the_clearinghouse_shape() {
        let body = request(&inquiry());
        let control = body["controlNumber"].as_str().unwrap();
        assert_eq!(control.len(), 9);
        assert!(control.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(control, control_number("VOB-0001"), "deterministic");
        assert_ne!(control, control_number("VOB-0002"));
        assert_eq!(
            body,
            json!({
                "controlNumber": control,
                "tradingPartnerServiceId": "12345",
                "provider": {"organizationName": "SUNRISE BEHAVIORAL HEALTH", "npi": "1234567893"},
                "subscriber": {
                    "memberId": "W123456789", "firstName": "JANE", "lastName": "DOE",
                    "dateOfBirth": "19850312", "gender": "F", "groupNumber": "GRP0042"
                },
                "encounter": {"serviceTypeCodes": ["BB"], "dateOfService": "20261123"}
            })
        );
    }

    #[test]
    fn request_names_a_dependent_and_leaves_out_unknown_gender() {
        let mut q = inquiry();
        q.subscriber.sex = Some("U".into());
        q.group_number = None;
        q.dependent = Some(InquiryPerson {
            first_name: "EMMA".into(),
            last_name: "DOE".into(),
            date_of_birth: NaiveDate::from_ymd_opt(2009, 5, 21).unwrap(),
            sex: None,
        });
        let body = request(&q);
        assert!(body["subscriber"].get("gender").is_none());
        assert!(body["subscriber"].get("groupNumber").is_none());
        assert_eq!(
            body["dependents"],
            json!([{"firstName": "EMMA", "lastName": "DOE", "dateOfBirth": "20090521"}])
        );
    }

    /// An active answer in the clearinghouse shape: plan status, dates, a deductible with a
    /// JSON-number amount, coinsurance with a message, a day limit and a carve-out entity.
    const ACTIVE: &str = include_str!("../../fixtures/json/eligibility_response.json");

    #[test]
    fn benefits_are_read_into_rows_with_their_source() {
        let a = parse_response(ACTIVE.as_bytes()).unwrap();
        assert_eq!(
            a.plan_begin.as_ref().unwrap().value.to_string(),
            "2026-01-01"
        );
        assert_eq!(
            a.plan_end.as_ref().unwrap().source,
            "JSON planDateInformation.planEnd"
        );
        assert_eq!(a.benefits.len(), 7);
        let status = &a.benefits[0];
        assert_eq!(status.kind, BenefitKind::ActiveCoverage);
        assert_eq!(status.source, "JSON planStatus[0]");
        assert_eq!(status.service_types, ["30", "MH"]);
        assert_eq!(status.plan_description.as_deref(), Some("GOLD PPO"));
        let remaining = &a.benefits[3];
        assert_eq!(remaining.source, "JSON benefitsInformation[2]");
        assert_eq!(
            remaining.amount.unwrap().to_string(),
            "900.10",
            "a number keeps its text"
        );
        assert_eq!(remaining.network, NetworkScope::In);
        let coins = &a.benefits[4];
        assert_eq!(coins.percent.unwrap().to_string(), "0.2");
        assert_eq!(coins.auth_required, Some(true));
        assert_eq!(coins.messages, ["PRIOR AUTHORIZATION REQUIRED"]);
        assert_eq!(a.benefits[5].quantity.unwrap().to_string(), "30");
        let carve = &a.benefits[6];
        assert_eq!(carve.kind, BenefitKind::ContactEntity);
        assert_eq!(
            carve.related_entities,
            [RelatedEntity {
                entity_code: Some("PR".into()),
                name: Some("OPTUM BEHAVIORAL HEALTH".into()),
                id_qualifier: Some("PI".into()),
                id: Some("87726".into()),
                phone: Some("8005551234".into()),
            }]
        );
        assert!(a.rejections.is_empty());
    }

    #[test]
    fn errors_become_rejections_once() {
        let body = r#"{"errors": [{"field": "AAA", "code": "72", "description": "Invalid/Missing Subscriber/Insured ID",
                        "followupAction": "Please Correct and Resubmit", "location": "Loop 2100C"}],
                       "subscriber": {"aaaErrors": [{"code": "72", "followupAction": "C"}]}}"#;
        let a = parse_response(body.as_bytes()).unwrap();
        assert_eq!(
            a.rejections,
            [PayerRejection {
                code: "72".into(),
                description: "Invalid/Missing Subscriber/Insured ID".into(),
                follow_up: Some("C".into()),
                source: "JSON errors[0]".into(),
            }]
        );
        assert!(a.benefits.is_empty());
    }

    #[test]
    fn whom_the_answer_is_about_is_read_and_our_control_number_is_our_trace() {
        let q = inquiry();
        let ours = control_number(&q.trace);
        let mut body = json!({
            "controlNumber": ours,
            "subscriber": {
                "memberId": "W123456789", "firstName": "JANE", "lastName": "DOE-SMITH",
                "dateOfBirth": "19850312", "maintenanceTypeCode": "001", "maintenanceReasonCode": "25"
            },
            "subscriberTraceNumbers": [
                {"traceTypeCode": "2", "referenceIdentification": ours,
                 "originatingCompanyIdentifier": "9877281234"},
                {"traceTypeCode": "2", "referenceIdentification": "CH-REF-77"},
                {"traceTypeCode": "1", "referenceIdentification": "PAYER-OWN-1"}
            ],
            "planInformation": {"priorIdNumber": "W000000001"},
            "payer": {"entityIdentifier": "Payer", "name": "ACME HEALTH PLAN",
                      "payorIdentification": "12345"}
        });
        let raw = parse_response(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            raw.answered_for.unwrap().traces,
            [ours.as_str(), "CH-REF-77"],
            "as echoed"
        );
        let a = parse_answer(body.to_string().as_bytes(), &q).unwrap();
        assert_eq!(
            a.answered_for,
            Some(AnsweredFor {
                traces: vec!["VOB-0001".into(), "CH-REF-77".into()],
                member_id: Some("W123456789".into()),
                prior_member_ids: vec!["W000000001".into()],
                first_name: Some("JANE".into()),
                last_name: Some("DOE-SMITH".into()),
                birth_date: NaiveDate::from_ymd_opt(1985, 3, 12),
                identity_corrected: true,
                source: "JSON subscriber".into(),
            })
        );
        assert_eq!(
            a.payer,
            Some(AnsweringPayer {
                phone: None,
                name: Some("ACME HEALTH PLAN".into()),
                id: Some("12345".into()),
            })
        );
        // A dependent is the patient; another inquiry's control number is kept as sent.
        body["dependents"] =
            json!([{"firstName": "EMMA", "lastName": "DOE", "dateOfBirth": "20090521"}]);
        body["controlNumber"] = json!("987654321");
        body["subscriberTraceNumbers"] = json!([]);
        let about = parse_answer(body.to_string().as_bytes(), &q)
            .unwrap()
            .answered_for
            .unwrap();
        assert_eq!(about.traces, ["987654321"]);
        assert_eq!(
            (about.first_name.as_deref(), about.birth_date),
            (Some("EMMA"), NaiveDate::from_ymd_opt(2009, 5, 21))
        );
        assert_eq!(about.source, "JSON dependents[0]");
        // Nobody named, nothing echoed: no identity to check.
        let a = parse_response(br#"{"benefitsInformation": []}"#).unwrap();
        assert_eq!(a.answered_for, None);
        let bad = parse_response(br#"{"subscriber": {"dateOfBirth": "W1234567"}}"#).unwrap_err();
        assert_eq!(
            bad,
            WireError::value("subscriber.dateOfBirth", "not a full date")
        );
    }

    #[test]
    fn places_of_service_references_and_dates_are_read_from_the_clearinghouse_keys() {
        let body = r#"{"benefitsInformation": [
            {"code": "C", "serviceTypeCodes": ["50"], "timeQualifierCode": "23",
             "benefitAmount": "2000", "inPlanNetworkIndicatorCode": "Y",
             "eligibilityAdditionalInformation": {"codeListQualifierCode": "ZZ", "industryCode": "22"},
             "eligibilityAdditionalInformationList": [
                {"codeListQualifierCode": "ZZ", "codeListQualifier": "Mutually Defined",
                 "industryCode": "22", "industry": "Outpatient Hospital"},
                {"codeListQualifierCode": "NI", "industryCode": "01"}]},
            {"code": "A", "serviceTypeCodes": ["98"], "benefitPercent": "0.1",
             "eligibilityAdditionalInformation": {"codeListQualifierCode": "ZZ", "industryCode": "11"}},
            {"code": "R", "serviceTypeCodes": ["30"], "insuranceTypeCode": "MB",
             "benefitsAdditionalInformation": {"insurancePolicyNumber": "1EG4TE5MK73",
                                               "groupNumber": "G1", "somethingElse": "X"},
             "benefitsDateInformation": {"coordinationOfBenefits": "20250101-20261231",
                                         "eligibilityBegin": "20250101"},
             "benefitsRelatedEntities": [{"entityIdentifier": "Primary Payer",
                "entityName": "MEDICARE", "entityIdentification": "PI",
                "entityIdentificationValue": "CMS"}]},
            {"code": "R", "benefitsRelatedEntities": [
                {"entityIdentifier": "Prior Insurance Carrier", "entityName": "OLD PLAN"}]}
        ]}"#;
        let a = parse_response(body.as_bytes()).unwrap();
        assert_eq!(a.benefits[0].places_of_service, ["22"], "the list wins");
        assert_eq!(a.benefits[1].places_of_service, ["11"]);
        let other = &a.benefits[2];
        assert_eq!(other.kind, BenefitKind::OtherPayer);
        assert_eq!(other.insurance_type.as_deref(), Some("MB"));
        let reference = |q: &str, v: &str| EntryReference {
            qualifier: q.into(),
            value: v.into(),
        };
        assert_eq!(
            other.references,
            [reference("6P", "G1"), reference("IG", "1EG4TE5MK73")]
        );
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            other.dates,
            [
                EntryDate {
                    qualifier: "290".into(),
                    begin: day(2025, 1, 1),
                    end: Some(day(2026, 12, 31)),
                },
                EntryDate {
                    qualifier: "356".into(),
                    begin: day(2025, 1, 1),
                    end: None,
                },
            ]
        );
        assert_eq!(
            other.related_entities[0].entity_code.as_deref(),
            Some("PRP")
        );
        assert_eq!(
            a.benefits[3].related_entities[0].entity_code.as_deref(),
            Some("P4")
        );
        assert!(a.benefits[3].service_types.is_empty());

        let bad = [
            (
                r#"{"benefitsInformation": [{"code": "R", "benefitsDateInformation": {"coordinationOfBenefits": "W1234567-W7654321"}}]}"#,
                WireError::value(
                    "benefitsInformation[0].benefitsDateInformation.coordinationOfBenefits",
                    "not a full date",
                ),
            ),
            (
                r#"{"benefitsInformation": [{"code": "R", "benefitsAdditionalInformation": {"insurancePolicyNumber": 12345}}]}"#,
                WireError::value(
                    "benefitsInformation[0].benefitsAdditionalInformation.insurancePolicyNumber",
                    "not text",
                ),
            ),
        ];
        for (body, expected) in bad {
            let err = parse_response(body.as_bytes()).unwrap_err();
            assert_eq!(err, expected);
            assert!(!err.to_string().contains("W123"), "{err}");
        }
    }

    #[test]
    fn plan_ranges_and_eligibility_dates_fill_missing_plan_dates() {
        let a =
            parse_response(br#"{"planDateInformation": {"plan": "20260101-20261231"}}"#).unwrap();
        assert_eq!(a.plan_begin.unwrap().value.to_string(), "2026-01-01");
        assert_eq!(a.plan_end.unwrap().value.to_string(), "2026-12-31");
        let a = parse_response(br#"{"planDateInformation": {"eligibilityBegin": "20250601"}}"#)
            .unwrap();
        assert_eq!(
            a.plan_begin.unwrap().source,
            "JSON planDateInformation.eligibilityBegin"
        );
        assert!(a.plan_end.is_none());
    }

    #[test]
    fn bad_bodies_are_wire_errors_without_member_data() {
        let cases: [(&[u8], WireError); 6] = [
            (b"", WireError::Truncated),
            (
                br#"{"benefitsInformation": [{"code": "C", "benefitAmount": "W123456789"}]}"#,
                WireError::value(
                    "benefitsInformation[0].benefitAmount",
                    "not a decimal number",
                ),
            ),
            (
                br#"{"benefitsInformation": [{"code": "C", "authOrCertIndicator": "W123"}]}"#,
                WireError::value(
                    "benefitsInformation[0].authOrCertIndicator",
                    "must be Y, N or U",
                ),
            ),
            (
                br#"{"benefitsInformation": {"code": "W123456789"}}"#,
                WireError::Shape {
                    path: "benefitsInformation".into(),
                    reason: "the member has the wrong JSON type",
                },
            ),
            (
                br#"{"planDateInformation": {"planBegin": "W1234567"}}"#,
                WireError::value("planDateInformation.planBegin", "not a full date"),
            ),
            (
                br#"{"benefitsInformation": [{"benefitAmount": "1"}]}"#,
                WireError::value("benefitsInformation[0].code", "missing"),
            ),
        ];
        for (body, expected) in cases {
            let err = parse_response(body).unwrap_err();
            assert_eq!(err, expected);
            assert!(!err.to_string().contains("W123"), "{err}");
        }
        assert!(matches!(
            parse_response(b"<html>"),
            Err(WireError::Syntax { .. })
        ));
        assert!(matches!(
            parse_response(b"[]"),
            Err(WireError::Shape { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_bytes(body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_response(&body);
        }

        #[test]
        fn never_panics_on_any_prefix(cut in 0usize..2000) {
            let body = ACTIVE.as_bytes();
            let _ = parse_response(body.get(..cut.min(body.len())).unwrap());
        }
    }
}
