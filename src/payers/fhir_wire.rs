//! FHIR R4 eligibility: a `CoverageEligibilityRequest` out, a `CoverageEligibilityResponse` in
//! (domain reference §7; HL7 FHIR v4.0.1). Pure: builds and reads JSON, no I/O.
//!
//! # The request
//!
//! One self-contained resource: the patient, the insurer, the provider and the coverage are
//! `contained` resources referenced as `#id`, so the payer needs no prior resources of ours.
//! Service types travel as X12 service type codes in `item[].category` with the system
//! [`STC_SYSTEM`], as CARIN/Da Vinci implementations do; R4's own `ex-benefitcategory` list
//! holds only a sample of them.
//!
//! # The response, as X12 rows
//!
//! | FHIR | row |
//! |---|---|
//! | `insurance[].inforce` | EB01 `1`/`6` for STC `30` |
//! | `insurance[].benefitPeriod` | plan begin/end |
//! | `insurance[].coverage.display` | plan name |
//! | `item.category` | EB03 |
//! | `item.network` `in`/`out` | EB12 `Y`/`N` |
//! | `item.unit` `individual`/`family` | EB02 `IND`/`FAM` |
//! | `item.term` `annual`/`day`/`visit`/`lifetime` | EB06 `23`/`7`/`27`/`32` |
//! | `item.excluded` `true`/`false` | EB01 `I` / `1` for the category |
//! | `item.authorizationRequired` | EB11 |
//! | `item.description` | MSG |
//! | `item.provider` (display, identifier, contained `PractitionerRole`: `code` with [`ENTITY_CODE_SYSTEM`], `telecom`) | EB01 `U` with a 2120 entity: NM101 from the role's code (else `PR` for an EDI payer id), NM108 `PI` for a [`PAYER_ID_SYSTEM`] identifier, else the identifier's `type` coded with [`ID_QUALIFIER_SYSTEM`] |
//! | `item.modifier` coded with [`PLACE_OF_SERVICE_SYSTEM`] (CMS place-of-service codes) | 2115C `III*ZZ`: the places of service the item is limited to |
//! | another `insurance[]` whose contained `Coverage` names another `payor` than the `insurer` | EB01 `R` (other payer): the payor `Organization` as the 2120 entity (NM101 from `Coverage.order` 1/2/3 → `PRP`/`SEP`/`TTP`, a `cancelled` coverage → `P4`, else `PR`), `Coverage.type` coded with [`INSURANCE_TYPE_SYSTEM`] → EB04, `Coverage.identifier` typed with [`REFERENCE_QUALIFIER_SYSTEM`] → REF, `Coverage.period` → DTP `290`; its items are not read as this plan's |
//! | benefit `deductible` / `out-of-pocket` | EB01 `C` / `G`: `allowedMoney` total, `usedMoney` met (EB06 `24`) |
//! | benefit `copay` | EB01 `B`, `allowedMoney` |
//! | benefit `copay-percent` | EB01 `A`, `allowedUnsignedInt` percent → fraction (20 → 0.2) |
//! | benefit `visit` / `room` | EB01 `F` with EB09 `VS` / `DY`: allowed total, allowed − used remaining (EB06 `29`) |
//! | `error[].code` | AAA03 (and AAA04 when a coding with [`FOLLOW_UP_SYSTEM`] is present) |
//!
//! The description (MSG) goes on the first row an item yields and on the other rows of the same
//! benefit (a total and what was used of it are one benefit), so a `FACILITY` or
//! `PROFESSIONAL` setting holds for both.
//!
//! Whom the answer is about and who answered:
//!
//! | FHIR | X12 |
//! |---|---|
//! | `request.identifier` ([`TRACE_SYSTEM`]) | `TRN*2` TRN02 |
//! | this plan's contained `Coverage.subscriberId` | 2100C NM109 |
//! | that `Coverage.identifier` with `use` `old` | 2100C `REF*Q4` |
//! | the contained `Patient` the response's `patient` references: `name[0]`, `birthDate` | the patient's NM1 and DMG |
//! | the `insurer` (a contained `Organization`'s `name` and [`PAYER_ID_SYSTEM`] identifier, else the reference's display and identifier) | 2100A NM103, NM109 |
//!
//! FHIR has no place for the payer's "identifying data changed" flag (INS04 `25`): it is never
//! set from a FHIR answer.
//! `out-of-pocket` is not in R4's example benefit-type list (`benefit-type` is an *example*
//! binding, so other codes are allowed); it is used here with the same system, as the
//! X12-to-FHIR mapping has no standard code for EB01 `G` (domain reference §7, UNVERIFIED).
//!
//! Money and counts are JSON numbers in FHIR; they are read from their own text
//! (`RawValue`, see [`super::wire`]), never through `f64`.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, value::RawValue, Value};

use super::wire::{
    count_from_raw, decimal_from_raw, decimal_from_str, from_body, parse_date, WireError,
};
use crate::domain::eligibility::{
    AnsweredFor, AnsweringPayer, BenefitEntry, BenefitKind, EligibilityAnswer, EntryDate,
    EntryReference, Inquiry, InquiryPerson, NetworkScope, PayerRejection, RelatedEntity, Sourced,
};

/// X12 service type codes as a FHIR code system (CARIN/Da Vinci usage).
pub const STC_SYSTEM: &str = "https://x12.org/codes/service-type-codes";
/// R4's example benefit categories; its codes are X12 service type codes too.
pub const BENEFIT_CATEGORY_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/ex-benefitcategory";
pub const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
pub const BENEFIT_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/benefit-type";
pub const BENEFIT_NETWORK_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/benefit-network";
pub const BENEFIT_UNIT_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/benefit-unit";
pub const BENEFIT_TERM_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/benefit-term";
pub const SUBSCRIBER_RELATIONSHIP_SYSTEM: &str =
    "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
pub const COVERAGE_CLASS_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/coverage-class";
/// EDI payer ids (2100A NM109). No national naming system exists for them, so this one is
/// perdiem's own.
pub const PAYER_ID_SYSTEM: &str = "urn:perdiem:x12-payer-id";
/// Our trace for an inquiry (the X12 TRN02 equivalent), perdiem's own naming system.
pub const TRACE_SYSTEM: &str = "urn:perdiem:eligibility-trace";
/// AAA03 reject reason codes when a payer speaks X12 codes in `error[].code`.
pub const REJECT_REASON_SYSTEM: &str = "urn:perdiem:x12-reject-reason";
/// AAA04 follow-up action codes, as an extra coding of `error[].code`.
pub const FOLLOW_UP_SYSTEM: &str = "urn:perdiem:x12-follow-up-action";
/// CMS place-of-service codes (HL7 terminology's external code system for them).
pub const PLACE_OF_SERVICE_SYSTEM: &str =
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
/// X12 entity identifier codes (NM101: `PR`, `VN`, `Y2`, …) on a contained `PractitionerRole`.
pub const ENTITY_CODE_SYSTEM: &str = "urn:perdiem:x12-entity-identifier-code";
/// X12 identification code qualifiers (NM108: `SV`, `XX`, …) as an identifier's `type`.
pub const ID_QUALIFIER_SYSTEM: &str = "urn:perdiem:x12-id-code-qualifier";
/// X12 insurance type codes (EB04: `MB`, `MC`, …) as another coverage's `type`.
pub const INSURANCE_TYPE_SYSTEM: &str = "urn:perdiem:x12-insurance-type";
/// X12 reference identification qualifiers (REF01: `IG`, `6P`, …) as an identifier's `type`.
pub const REFERENCE_QUALIFIER_SYSTEM: &str = "urn:perdiem:x12-reference-qualifier";
/// HL7 v2 identifier types (`MB` member number).
pub const IDENTIFIER_TYPE_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

/// A `CoverageEligibilityRequest` asking for the benefits of `inquiry`'s service types.
pub fn request(inquiry: &Inquiry, created: DateTime<Utc>) -> Value {
    let patient = inquiry.dependent.as_ref().unwrap_or(&inquiry.subscriber);
    let mut contained = vec![patient_resource("patient", patient)];
    let mut coverage = json!({
        "resourceType": "Coverage",
        "id": "coverage",
        "status": "active",
        "subscriberId": inquiry.member_id,
        "beneficiary": {"reference": "#patient"},
        "payor": [{"reference": "#insurer"}],
    });
    if inquiry.dependent.is_some() {
        // The policy holder is another person than the patient (X12 loop 2000D).
        contained.push(patient_resource("subscriber", &inquiry.subscriber));
        set(
            &mut coverage,
            "subscriber",
            json!({"reference": "#subscriber"}),
        );
    } else {
        set(
            &mut coverage,
            "subscriber",
            json!({"reference": "#patient"}),
        );
        set(
            &mut coverage,
            "relationship",
            json!({"coding": [{
            "system": SUBSCRIBER_RELATIONSHIP_SYSTEM, "code": "self"}]}),
        );
    }
    if let Some(group) = &inquiry.group_number {
        set(
            &mut coverage,
            "class",
            json!([{
                "type": {"coding": [{"system": COVERAGE_CLASS_SYSTEM, "code": "group"}]},
                "value": group,
            }]),
        );
    }
    contained.push(json!({
        "resourceType": "Organization",
        "id": "insurer",
        "identifier": [{"system": PAYER_ID_SYSTEM, "value": inquiry.payer_edi_id}],
        "name": inquiry.payer_name,
    }));
    contained.push(json!({
        "resourceType": "Organization",
        "id": "provider",
        "identifier": [{"system": NPI_SYSTEM, "value": inquiry.provider_npi}],
        "name": inquiry.provider_name,
    }));
    contained.push(coverage);
    let items: Vec<Value> = inquiry
        .service_types
        .iter()
        .map(|code| json!({"category": {"coding": [{"system": STC_SYSTEM, "code": code}]}}))
        .collect();
    json!({
        "resourceType": "CoverageEligibilityRequest",
        "contained": contained,
        "identifier": [{"system": TRACE_SYSTEM, "value": inquiry.trace}],
        "status": "active",
        "purpose": ["benefits"],
        "patient": {"reference": "#patient"},
        "servicedDate": inquiry.service_date.format("%Y-%m-%d").to_string(),
        "created": created.to_rfc3339_opts(SecondsFormat::Secs, true),
        "provider": {"reference": "#provider"},
        "insurer": {"reference": "#insurer"},
        "insurance": [{"focal": true, "coverage": {"reference": "#coverage"}}],
        "item": items,
    })
}

fn patient_resource(id: &str, person: &InquiryPerson) -> Value {
    let mut name = json!({"family": person.last_name});
    if !person.first_name.is_empty() {
        set(&mut name, "given", json!([person.first_name]));
    }
    let mut patient = json!({
        "resourceType": "Patient",
        "id": id,
        "name": [name],
        "birthDate": person.date_of_birth.format("%Y-%m-%d").to_string(),
    });
    // FHIR administrative gender from X12 DMG03.
    let gender = match person.sex.as_deref() {
        Some("F") => Some("female"),
        Some("M") => Some("male"),
        Some("U") => Some("unknown"),
        _ => None,
    };
    if let Some(gender) = gender {
        set(&mut patient, "gender", json!(gender));
    }
    patient
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    resource_type: Option<String>,
    outcome: Option<String>,
    /// Kept raw: each resource type gives its fields other JSON types (`name` is text on an
    /// Organization, a list on a Patient), so each is read as its own type once found.
    contained: Option<Vec<Box<RawValue>>>,
    patient: Option<Reference>,
    request: Option<Reference>,
    insurer: Option<Reference>,
    insurance: Option<Vec<Insurance>>,
    error: Option<Vec<ErrorComponent>>,
}

/// A contained resource's type and id, to find it by reference.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContainedHead {
    resource_type: Option<String>,
    id: Option<String>,
}

/// What is read from a contained `Organization` or `PractitionerRole`.
#[derive(Deserialize, Default)]
struct Party {
    name: Option<String>,
    identifier: Option<Vec<Identifier>>,
    telecom: Option<Vec<ContactPoint>>,
    code: Option<Vec<CodeableConcept>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PatientResource {
    name: Option<Vec<HumanName>>,
    birth_date: Option<String>,
}

#[derive(Deserialize)]
struct HumanName {
    family: Option<String>,
    given: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CoverageResource {
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<CodeableConcept>,
    subscriber_id: Option<String>,
    identifier: Option<Vec<Identifier>>,
    period: Option<Period>,
    payor: Option<Vec<Reference>>,
    order: Option<Value>,
}

/// The contained resources, found by their local id (`#id`).
struct Contained<'a> {
    resources: Vec<(ContainedHead, &'a RawValue)>,
}

impl<'a> Contained<'a> {
    fn new(raw: &'a [Box<RawValue>]) -> Result<Contained<'a>, WireError> {
        let resources = raw
            .iter()
            .enumerate()
            .map(|(i, raw)| Ok((read_contained(raw, i)?, raw.as_ref())))
            .collect::<Result<_, WireError>>()?;
        Ok(Contained { resources })
    }

    /// The contained resource `reference` points to (`#id`), read as `T`.
    fn resolve<T: serde::de::DeserializeOwned>(
        &self,
        reference: Option<&Reference>,
        resource_type: &str,
    ) -> Result<Option<T>, WireError> {
        let Some(id) = reference
            .and_then(|r| r.reference.as_deref())
            .and_then(|r| r.trim().strip_prefix('#'))
        else {
            return Ok(None);
        };
        self.find(resource_type, |head| head.id.as_deref() == Some(id))
    }

    /// The first contained resource of `resource_type` passing `test`, read as `T`.
    fn find<T: serde::de::DeserializeOwned>(
        &self,
        resource_type: &str,
        test: impl Fn(&ContainedHead) -> bool,
    ) -> Result<Option<T>, WireError> {
        for (i, (head, raw)) in self.resources.iter().enumerate() {
            if head.resource_type.as_deref() == Some(resource_type) && test(head) {
                return read_contained(raw, i).map(Some);
            }
        }
        Ok(None)
    }
}

/// A contained resource read as `T`; errors name `contained[i]` and the path inside it.
fn read_contained<T: serde::de::DeserializeOwned>(
    raw: &RawValue,
    i: usize,
) -> Result<T, WireError> {
    from_body(raw.get().as_bytes()).map_err(|error| match error {
        WireError::Shape { path, reason } => WireError::Shape {
            path: format!("contained[{i}].{path}"),
            reason,
        },
        WireError::Value { path, reason } => WireError::Value {
            path: format!("contained[{i}].{path}"),
            reason,
        },
        other => other,
    })
}

#[derive(Deserialize)]
struct ContactPoint {
    system: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Insurance {
    coverage: Option<Reference>,
    inforce: Option<bool>,
    benefit_period: Option<Period>,
    item: Option<Vec<Item>>,
}

#[derive(Deserialize)]
struct Period {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
struct Reference {
    reference: Option<String>,
    identifier: Option<Identifier>,
    display: Option<String>,
}

#[derive(Deserialize)]
struct Identifier {
    #[serde(rename = "use")]
    usage: Option<String>,
    #[serde(rename = "type")]
    kind: Option<CodeableConcept>,
    system: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    category: Option<CodeableConcept>,
    modifier: Option<Vec<CodeableConcept>>,
    provider: Option<Reference>,
    excluded: Option<bool>,
    description: Option<String>,
    network: Option<CodeableConcept>,
    unit: Option<CodeableConcept>,
    term: Option<CodeableConcept>,
    benefit: Option<Vec<Benefit>>,
    authorization_required: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Benefit {
    #[serde(rename = "type")]
    kind: Option<CodeableConcept>,
    allowed_unsigned_int: Option<Box<RawValue>>,
    allowed_string: Option<String>,
    allowed_money: Option<Money>,
    used_unsigned_int: Option<Box<RawValue>>,
    used_money: Option<Money>,
}

#[derive(Deserialize)]
struct Money {
    value: Option<Box<RawValue>>,
    currency: Option<String>,
}

#[derive(Deserialize)]
struct CodeableConcept {
    coding: Option<Vec<Coding>>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Coding {
    system: Option<String>,
    code: Option<String>,
    display: Option<String>,
}

#[derive(Deserialize)]
struct ErrorComponent {
    code: Option<CodeableConcept>,
}

impl CodeableConcept {
    /// The code of the first coding from one of `systems` (a coding without a system counts).
    fn code_in(&self, systems: &[&str]) -> Option<&str> {
        self.coding
            .iter()
            .flatten()
            .filter(|c| c.system.as_deref().is_none_or(|s| systems.contains(&s)))
            .find_map(|c| c.code.as_deref().map(str::trim).filter(|c| !c.is_empty()))
    }

    /// The code of the first coding from exactly `system` (a coding without a system does not
    /// count).
    fn code_from(&self, system: &str) -> Option<&str> {
        self.coding
            .iter()
            .flatten()
            .filter(|c| c.system.as_deref() == Some(system))
            .find_map(|c| c.code.as_deref().map(str::trim).filter(|c| !c.is_empty()))
    }
}

/// Reads a `CoverageEligibilityResponse`. Never panics; a body that is not one is a
/// [`WireError`] naming where, never quoting a value.
pub fn parse_response(body: &[u8]) -> Result<EligibilityAnswer, WireError> {
    let response: Response = from_body(body)?;
    match response.resource_type.as_deref() {
        Some("CoverageEligibilityResponse") => {}
        Some("OperationOutcome") => {
            return Err(WireError::NoAnswer(
                "the server sent an OperationOutcome, not a CoverageEligibilityResponse",
            ))
        }
        _ => {
            return Err(WireError::value(
                "resourceType",
                "must be CoverageEligibilityResponse",
            ))
        }
    }
    let errors = response.error.as_deref().unwrap_or_default();
    match response.outcome.as_deref() {
        Some("complete" | "partial") => {}
        Some("error") if !errors.is_empty() => {}
        Some("error") => {
            return Err(WireError::NoAnswer(
                "outcome is error but no error is given",
            ))
        }
        Some("queued") => return Err(WireError::NoAnswer("outcome is queued: no answer yet")),
        Some(_) => {
            return Err(WireError::value(
                "outcome",
                "must be queued, complete, error or partial",
            ))
        }
        None => return Err(WireError::value("outcome", "missing")),
    }

    let contained = Contained::new(response.contained.as_deref().unwrap_or_default())?;
    let insurer = response.insurer.as_ref();
    let mut answer = EligibilityAnswer {
        payer: answering_payer(insurer, &contained)?,
        ..EligibilityAnswer::default()
    };
    for (i, error) in errors.iter().enumerate() {
        answer.rejections.push(read_error(i, error)?);
    }
    // Which insurances are this plan's and which another payer's, by their coverage's payor.
    let mut ours = None;
    for (i, insurance) in response.insurance.iter().flatten().enumerate() {
        let coverage: Option<CoverageResource> =
            contained.resolve(insurance.coverage.as_ref(), "Coverage")?;
        match coverage {
            Some(coverage) if is_other_payer(&coverage, insurer) => {
                answer.benefits.push(other_payer(i, &coverage, &contained)?);
            }
            coverage => {
                if ours.is_none() {
                    ours = coverage;
                }
                read_insurance(i, insurance, &contained, &mut answer)?;
            }
        }
    }
    if ours.is_none() {
        // No insurance (a rejection): the contained coverage of this insurer is the one asked
        // about.
        for (i, (head, raw)) in contained.resources.iter().enumerate() {
            if head.resource_type.as_deref() != Some("Coverage") {
                continue;
            }
            let coverage: CoverageResource = read_contained(raw, i)?;
            if !is_other_payer(&coverage, insurer) {
                ours = Some(coverage);
                break;
            }
        }
    }
    answer.answered_for = answered_for(&response, ours.as_ref(), &contained)?;
    Ok(answer)
}

/// The payer that answered: the contained organization the `insurer` references, else what
/// the reference itself says.
fn answering_payer(
    insurer: Option<&Reference>,
    contained: &Contained<'_>,
) -> Result<Option<AnsweringPayer>, WireError> {
    let Some(insurer) = insurer else {
        return Ok(None);
    };
    let organization: Party = contained
        .resolve(Some(insurer), "Organization")?
        .unwrap_or_default();
    let id = payer_id(organization.identifier.as_deref().unwrap_or_default())
        .or_else(|| insurer.identifier.as_ref().and_then(|i| text(&i.value)));
    Ok(Some(AnsweringPayer {
        phone: None,
        name: text(&organization.name).or_else(|| text(&insurer.display)),
        id,
    }))
}

/// An EDI payer id among `identifiers` (else the first identifier's value).
fn payer_id(identifiers: &[Identifier]) -> Option<String> {
    identifiers
        .iter()
        .find(|i| i.system.as_deref() == Some(PAYER_ID_SYSTEM))
        .or_else(|| identifiers.first())
        .and_then(|i| text(&i.value))
}

/// Whether `coverage` is paid by someone other than the responding `insurer`: it names payors
/// and each is known to differ from the insurer (by reference, else identifier, else name). A
/// payor that cannot be compared is taken for the insurer.
fn is_other_payer(coverage: &CoverageResource, insurer: Option<&Reference>) -> bool {
    let payors = coverage.payor.as_deref().unwrap_or_default();
    let Some(insurer) = insurer else {
        return false;
    };
    let differs = |payor: &Reference| {
        let by = |a: Option<String>, b: Option<String>| match (a, b) {
            (Some(a), Some(b)) => Some(a != b),
            _ => None,
        };
        by(text(&payor.reference), text(&insurer.reference))
            .or_else(|| {
                by(
                    payor.identifier.as_ref().and_then(|i| text(&i.value)),
                    insurer.identifier.as_ref().and_then(|i| text(&i.value)),
                )
            })
            .or_else(|| by(text(&payor.display), text(&insurer.display)))
            .unwrap_or(false)
    };
    !payors.is_empty() && payors.iter().all(differs)
}

/// Another payer of the member's, as an X12 `EB*R` row with its 2120 entity, REF and DTP.
fn other_payer(
    i: usize,
    coverage: &CoverageResource,
    contained: &Contained<'_>,
) -> Result<BenefitEntry, WireError> {
    let path = format!("insurance[{i}]");
    let mut entry = BenefitEntry::new(format!("FHIR {path}"), BenefitKind::OtherPayer);
    entry.insurance_type = coverage
        .kind
        .as_ref()
        .and_then(|k| k.code_from(INSURANCE_TYPE_SYSTEM))
        .map(str::to_string);
    for identifier in coverage.identifier.iter().flatten() {
        let qualifier = identifier
            .kind
            .as_ref()
            .and_then(|k| k.code_from(REFERENCE_QUALIFIER_SYSTEM));
        if let (Some(qualifier), Some(value)) = (qualifier, text(&identifier.value)) {
            entry.references.push(EntryReference {
                qualifier: qualifier.to_string(),
                value,
            });
        }
    }
    if let Some(period) = &coverage.period {
        let date = |name: &str, value: &Option<String>| {
            text(value)
                .map(|v| {
                    parse_date(&v).map_err(|r| {
                        WireError::value(format!("{path}.coverage Coverage.period.{name}"), r)
                    })
                })
                .transpose()
        };
        if let Some(begin) = date("start", &period.start)? {
            // One period per coverage: read as the coordination-of-benefits dates (DTP 290).
            entry.dates.push(EntryDate {
                qualifier: "290".into(),
                begin,
                end: date("end", &period.end)?,
            });
        }
    }
    let payor = coverage.payor.as_deref().unwrap_or_default().first();
    let organization: Party = contained
        .resolve(payor, "Organization")?
        .unwrap_or_default();
    let identifiers = organization.identifier.as_deref().unwrap_or_default();
    // An EDI payer id, else another id with its NM108 qualifier as its type.
    let (id_qualifier, id) = match identifiers
        .iter()
        .find(|i| i.system.as_deref() == Some(PAYER_ID_SYSTEM))
    {
        Some(payer_id) => (Some("PI".to_string()), text(&payer_id.value)),
        None => identifiers.first().map_or((None, None), |i| {
            (
                i.kind
                    .as_ref()
                    .and_then(|k| k.code_from(ID_QUALIFIER_SYSTEM))
                    .map(str::to_string),
                text(&i.value),
            )
        }),
    };
    // PRP/SEP/TTP by the coverage's order; an ended coverage is a prior carrier.
    let entity_code = match (coverage.status.as_deref(), coverage.order.as_ref()) {
        (Some("cancelled"), _) => "P4",
        (_, Some(order)) => match order.as_u64() {
            Some(1) => "PRP",
            Some(2) => "SEP",
            Some(3) => "TTP",
            _ => "PR",
        },
        _ => "PR",
    };
    entry.related_entities.push(RelatedEntity {
        entity_code: Some(entity_code.into()),
        name: text(&organization.name).or_else(|| payor.and_then(|p| text(&p.display))),
        id_qualifier,
        id,
        phone: phone(organization.telecom.as_deref()),
    });
    Ok(entry)
}

/// Whom the answer is about: the echoed trace, this plan's coverage, the patient.
fn answered_for(
    response: &Response,
    coverage: Option<&CoverageResource>,
    contained: &Contained<'_>,
) -> Result<Option<AnsweredFor>, WireError> {
    let traces: Vec<String> = response
        .request
        .as_ref()
        .and_then(|r| r.identifier.as_ref())
        .filter(|i| i.system.as_deref().is_none_or(|s| s == TRACE_SYSTEM))
        .and_then(|i| text(&i.value))
        .into_iter()
        .collect();
    let patient: Option<PatientResource> =
        contained.resolve(response.patient.as_ref(), "Patient")?;
    let member_id = coverage.and_then(|c| text(&c.subscriber_id));
    if traces.is_empty() && member_id.is_none() && patient.is_none() {
        return Ok(None);
    }
    let name = patient
        .as_ref()
        .and_then(|p| p.name.as_deref())
        .and_then(<[HumanName]>::first);
    let birth_date = patient
        .as_ref()
        .and_then(|p| text(&p.birth_date))
        .map(|d| parse_date(&d).map_err(|r| WireError::value("patient Patient.birthDate", r)))
        .transpose()?;
    Ok(Some(AnsweredFor {
        traces,
        member_id,
        prior_member_ids: coverage
            .and_then(|c| c.identifier.as_deref())
            .unwrap_or_default()
            .iter()
            .filter(|i| i.usage.as_deref() == Some("old"))
            .filter_map(|i| text(&i.value))
            .collect(),
        first_name: name
            .and_then(|n| n.given.as_deref())
            .and_then(<[String]>::first)
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty()),
        last_name: name.and_then(|n| text(&n.family)),
        birth_date,
        identity_corrected: false,
        source: "FHIR patient and coverage".into(),
    }))
}

fn phone(telecom: Option<&[ContactPoint]>) -> Option<String> {
    telecom
        .unwrap_or_default()
        .iter()
        .find(|t| t.system.as_deref() == Some("phone"))
        .and_then(|t| text(&t.value))
}

fn read_error(i: usize, error: &ErrorComponent) -> Result<PayerRejection, WireError> {
    let path = format!("error[{i}].code");
    let concept = error
        .code
        .as_ref()
        .ok_or_else(|| WireError::value(&path, "missing"))?;
    let codings = concept.coding.as_deref().unwrap_or_default();
    // The reject reason: a coding from the X12 reason system, else the first coding that is
    // not the follow-up action.
    let reason = codings
        .iter()
        .find(|c| c.system.as_deref() == Some(REJECT_REASON_SYSTEM))
        .or_else(|| {
            codings
                .iter()
                .find(|c| c.system.as_deref() != Some(FOLLOW_UP_SYSTEM))
        });
    let code = reason
        .and_then(|c| c.code.as_deref())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| WireError::value(&path, "no coding with a code"))?;
    let follow_up = codings
        .iter()
        .find(|c| c.system.as_deref() == Some(FOLLOW_UP_SYSTEM))
        .and_then(|c| text(&c.code));
    let description = text(&concept.text)
        .or_else(|| reason.and_then(|c| text(&c.display)))
        .unwrap_or_default();
    Ok(PayerRejection {
        code: code.to_string(),
        description,
        follow_up,
        source: format!("FHIR error[{i}]"),
    })
}

fn read_insurance(
    i: usize,
    insurance: &Insurance,
    contained: &Contained<'_>,
    answer: &mut EligibilityAnswer,
) -> Result<(), WireError> {
    let path = format!("insurance[{i}]");
    let plan_name = insurance.coverage.as_ref().and_then(|c| text(&c.display));
    if let (Some(name), None) = (&plan_name, &answer.plan_name) {
        answer.plan_name = Some(Sourced::new(
            name.clone(),
            format!("FHIR {path}.coverage.display"),
        ));
    }
    if let Some(inforce) = insurance.inforce {
        // `inforce` is the plan's status: the X12 EB01 1/6 row for STC 30.
        let kind = if inforce {
            BenefitKind::ActiveCoverage
        } else {
            BenefitKind::Inactive
        };
        let mut entry = BenefitEntry::new(format!("FHIR {path}.inforce"), kind);
        entry.service_types = vec!["30".into()];
        entry.plan_description = plan_name;
        answer.benefits.push(entry);
    }
    if let Some(period) = &insurance.benefit_period {
        for (name, value) in [("start", &period.start), ("end", &period.end)] {
            let Some(value) = text(value) else {
                continue;
            };
            let field = format!("{path}.benefitPeriod.{name}");
            let date = parse_date(&value).map_err(|r| WireError::value(&field, r))?;
            let slot = if name == "start" {
                &mut answer.plan_begin
            } else {
                &mut answer.plan_end
            };
            if slot.is_none() {
                *slot = Some(Sourced::new(date, format!("FHIR {field}")));
            }
        }
    }
    for (j, item) in insurance.item.iter().flatten().enumerate() {
        let item_path = format!("{path}.item[{j}]");
        answer
            .benefits
            .extend(read_item(&item_path, item, contained)?);
    }
    Ok(())
}

/// The rows of one `item`: a status row (carve-out contact, excluded, covered, or a plain
/// description) and one or two rows per benefit, all sharing the item's category, places of
/// service, network, unit, term and authorization flag. The description goes on the first row
/// and the other rows of its benefit.
fn read_item(
    path: &str,
    item: &Item,
    contained: &Contained<'_>,
) -> Result<Vec<BenefitEntry>, WireError> {
    let service_types = match &item.category {
        None => Vec::new(),
        Some(category) => match category.code_in(&[STC_SYSTEM, BENEFIT_CATEGORY_SYSTEM]) {
            Some(code) => vec![code.to_string()],
            // A category from another system: kept visibly, so it matches no X12 code and is
            // not mistaken for the plan-level (no category) row.
            None => vec![category_label(category)],
        },
    };
    let mut places_of_service: Vec<String> = Vec::new();
    for modifier in item.modifier.iter().flatten() {
        if let Some(place) = modifier.code_from(PLACE_OF_SERVICE_SYSTEM) {
            if !places_of_service.iter().any(|p| p == place) {
                places_of_service.push(place.to_string());
            }
        }
    }
    let network = match item
        .network
        .as_ref()
        .and_then(|n| n.code_in(&[BENEFIT_NETWORK_SYSTEM]))
    {
        Some("in") => NetworkScope::In,
        Some("out") => NetworkScope::Out,
        _ => NetworkScope::Unknown,
    };
    let coverage_level = match item
        .unit
        .as_ref()
        .and_then(|u| u.code_in(&[BENEFIT_UNIT_SYSTEM]))
    {
        Some("individual") => Some("IND".to_string()),
        Some("family") => Some("FAM".to_string()),
        _ => None,
    };
    // EB06 from the benefit term; `visit` is not in R4's example list but is what EB06 27 means.
    let term = match item
        .term
        .as_ref()
        .and_then(|t| t.code_in(&[BENEFIT_TERM_SYSTEM]))
    {
        Some("annual") => Some("23".to_string()),
        Some("day") => Some("7".to_string()),
        Some("visit") => Some("27".to_string()),
        Some("lifetime") => Some("32".to_string()),
        _ => None,
    };
    let row = |source: String, kind: BenefitKind| {
        let mut entry = BenefitEntry::new(source, kind);
        entry.service_types = service_types.clone();
        entry.places_of_service = places_of_service.clone();
        entry.network = network;
        entry.coverage_level = coverage_level.clone();
        entry.auth_required = item.authorization_required;
        entry
    };

    // Rows in groups: one group per status row and per benefit.
    let mut groups: Vec<Vec<BenefitEntry>> = Vec::new();
    if let Some(provider) = &item.provider {
        let mut entry = row(format!("FHIR {path}.provider"), BenefitKind::ContactEntity);
        entry
            .related_entities
            .push(related_entity(provider, contained)?);
        groups.push(vec![entry]);
    }
    match item.excluded {
        Some(true) => groups.push(vec![row(
            format!("FHIR {path}.excluded"),
            BenefitKind::NonCovered,
        )]),
        Some(false) => groups.push(vec![row(
            format!("FHIR {path}.excluded"),
            BenefitKind::ActiveCoverage,
        )]),
        None => {}
    }
    for (k, benefit) in item.benefit.iter().flatten().enumerate() {
        let benefit_path = format!("{path}.benefit[{k}]");
        let mut rows = Vec::new();
        read_benefit(&benefit_path, benefit, term.as_deref(), &row, &mut rows)?;
        groups.push(rows);
    }
    groups.retain(|g| !g.is_empty());
    let description = text(&item.description);
    if groups.is_empty() && (description.is_some() || item.authorization_required.is_some()) {
        // EB01 D, benefit description: text (or an authorization flag) with no figure.
        groups.push(vec![row(
            format!("FHIR {path}"),
            BenefitKind::from_code("D"),
        )]);
    }
    if let (Some(description), Some(first)) = (description, groups.first_mut()) {
        for entry in first {
            entry.messages.push(description.clone());
        }
    }
    Ok(groups.into_iter().flatten().collect())
}

fn read_benefit(
    path: &str,
    benefit: &Benefit,
    term: Option<&str>,
    row: &impl Fn(String, BenefitKind) -> BenefitEntry,
    rows: &mut Vec<BenefitEntry>,
) -> Result<(), WireError> {
    let code = benefit
        .kind
        .as_ref()
        .and_then(|t| t.code_in(&[BENEFIT_TYPE_SYSTEM]))
        .ok_or_else(|| WireError::value(format!("{path}.type"), "no benefit type code"))?;
    let money = |m: &Option<Money>, name: &str| -> Result<Option<Decimal>, WireError> {
        let Some(m) = m else {
            return Ok(None);
        };
        let field = format!("{path}.{name}");
        if m.currency.as_deref().is_some_and(|c| c != "USD") {
            return Err(WireError::value(&field, "currency must be USD"));
        }
        let raw = m
            .value
            .as_deref()
            .ok_or_else(|| WireError::value(&field, "no value"))?;
        decimal_from_raw(raw)
            .map(Some)
            .map_err(|r| WireError::value(format!("{field}.value"), r))
    };
    let count = |raw: &Option<Box<RawValue>>, name: &str| -> Result<Option<Decimal>, WireError> {
        raw.as_deref()
            .map(|r| {
                count_from_raw(r)
                    .map_err(|reason| WireError::value(format!("{path}.{name}"), reason))
            })
            .transpose()
    };
    match code {
        "deductible" | "out-of-pocket" => {
            let kind = if code == "deductible" {
                BenefitKind::Deductible
            } else {
                BenefitKind::OutOfPocket
            };
            if let Some(total) = money(&benefit.allowed_money, "allowedMoney")? {
                let mut entry = row(format!("FHIR {path}.allowedMoney"), kind.clone());
                entry.time_period = term.map(str::to_string);
                entry.amount = Some(total);
                rows.push(entry);
            }
            if let Some(met) = money(&benefit.used_money, "usedMoney")? {
                // EB06 24: year to date, the amount met so far.
                let mut entry = row(format!("FHIR {path}.usedMoney"), kind);
                entry.time_period = Some("24".into());
                entry.amount = Some(met);
                rows.push(entry);
            }
        }
        "copay" => {
            if let Some(amount) = money(&benefit.allowed_money, "allowedMoney")? {
                let mut entry = row(format!("FHIR {path}"), BenefitKind::CoPayment);
                entry.time_period = term.map(str::to_string);
                entry.amount = Some(amount);
                rows.push(entry);
            }
        }
        "copay-percent" => {
            let percent = match (&benefit.allowed_unsigned_int, &benefit.allowed_string) {
                (Some(_), _) => count(&benefit.allowed_unsigned_int, "allowedUnsignedInt")?,
                (None, Some(s)) => Some(
                    decimal_from_str(s)
                        .map_err(|r| WireError::value(format!("{path}.allowedString"), r))?,
                ),
                (None, None) => None,
            };
            if let Some(percent) = percent {
                // FHIR states whole percents (20); EB08 is a fraction (0.2).
                let mut entry = row(format!("FHIR {path}"), BenefitKind::CoInsurance);
                entry.time_period = term.map(str::to_string);
                entry.percent = Some((percent / Decimal::ONE_HUNDRED).normalize());
                rows.push(entry);
            }
        }
        "visit" | "room" => {
            let qualifier = if code == "visit" { "VS" } else { "DY" };
            let allowed = count(&benefit.allowed_unsigned_int, "allowedUnsignedInt")?;
            let used = count(&benefit.used_unsigned_int, "usedUnsignedInt")?;
            if let Some(allowed) = allowed {
                let mut entry = row(format!("FHIR {path}"), BenefitKind::Limitations);
                entry.time_period = term.map(str::to_string);
                entry.quantity_qualifier = Some(qualifier.into());
                entry.quantity = Some(allowed);
                rows.push(entry);
                if let Some(used) = used {
                    // EB06 29: what is left, derived from allowed − used.
                    let mut entry = row(
                        format!("FHIR {path} (allowed − used)"),
                        BenefitKind::Limitations,
                    );
                    entry.time_period = Some("29".into());
                    entry.quantity_qualifier = Some(qualifier.into());
                    entry.quantity = Some((allowed - used).max(Decimal::ZERO));
                    rows.push(entry);
                }
            }
            // Used without allowed says nothing about a limit; it is not turned into one.
        }
        other => {
            // Kept, so nothing the payer said disappears, but read by nothing downstream.
            rows.push(row(
                format!("FHIR {path}"),
                BenefitKind::Other(format!("FHIR benefit {other}")),
            ));
        }
    }
    Ok(())
}

/// An entity named on an item: its name and id from the reference; its NM101 code and phone
/// from the contained role the reference points to, if any.
fn related_entity(
    provider: &Reference,
    contained: &Contained<'_>,
) -> Result<RelatedEntity, WireError> {
    let role: Party = contained
        .resolve(Some(provider), "PractitionerRole")?
        .unwrap_or_default();
    let identifier = provider.identifier.as_ref();
    let is_payer_id = identifier.and_then(|i| i.system.as_deref()) == Some(PAYER_ID_SYSTEM);
    let stated_code = role
        .code
        .iter()
        .flatten()
        .find_map(|c| c.code_from(ENTITY_CODE_SYSTEM))
        .map(str::to_string);
    let qualifier = if is_payer_id {
        Some("PI".to_string())
    } else {
        identifier
            .and_then(|i| i.kind.as_ref())
            .and_then(|k| k.code_from(ID_QUALIFIER_SYSTEM))
            .map(str::to_string)
    };
    Ok(RelatedEntity {
        // Without a stated code, an EDI payer id marks a payer (NM101 PR), as in loop 2120C.
        entity_code: stated_code.or_else(|| is_payer_id.then(|| "PR".to_string())),
        name: text(&provider.display),
        id_qualifier: qualifier,
        id: identifier.and_then(|i| text(&i.value)),
        phone: phone(role.telecom.as_deref()),
    })
}

fn category_label(category: &CodeableConcept) -> String {
    let coding = category.coding.iter().flatten().next();
    match coding {
        Some(c) => format!(
            "{}|{}",
            c.system.as_deref().unwrap_or_default(),
            c.code.as_deref().unwrap_or_default()
        ),
        None => format!("text|{}", category.text.as_deref().unwrap_or_default()),
    }
}

fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Sets `key` on a JSON object (a no-op on anything else, which the builders never pass).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    /// Runs `fhir-check` (../shared/oracles) on `resources`, one temp file each. `None`, with a
    /// note, when the oracle is not installed on this machine; under CI (`CI` set) a missing
    /// oracle fails the test instead, since there it must run.
    pub(crate) fn fhir_check(resources: &[(String, Value)]) -> Option<(bool, String)> {
        let check = oracle_path()?;
        let dir = std::env::temp_dir().join(format!(
            "perdiem-fhir-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let files: Vec<std::path::PathBuf> = resources
            .iter()
            .map(|(name, value)| {
                let path = dir.join(format!("{name}.json"));
                std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
                path
            })
            .collect();
        let out = std::process::Command::new(check)
            .args(&files)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        eprintln!("fhir-check:\n{report}");
        Some((out.status.success(), report))
    }

    fn oracle_path() -> Option<std::path::PathBuf> {
        crate::oracles::script("fhir-check")
    }

    pub(crate) fn inquiry() -> Inquiry {
        Inquiry {
            trace: "VOB-0001".into(),
            control_number: 7001,
            payer_name: "ACME HEALTH PLAN".into(),
            payer_edi_id: "12345".into(),
            provider_name: "SUNRISE BEHAVIORAL HEALTH".into(),
            provider_npi: "1234567893".into(),
            provider_tax_id: "123456789".into(),
            member_id: "W123456789".into(),
            group_number: Some("GRP0042".into()),
            subscriber: InquiryPerson {
                first_name: "JANE".into(),
                last_name: "DOE".into(),
                date_of_birth: NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(),
                sex: Some("F".into()),
            },
            dependent: None,
            service_types: vec!["BB".into(), "A8".into()],
            service_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        }
    }

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 30, 0).unwrap()
    }

    fn dependent_inquiry() -> Inquiry {
        let mut q = inquiry();
        q.group_number = None;
        q.dependent = Some(InquiryPerson {
            first_name: "EMMA".into(),
            last_name: "DOE".into(),
            date_of_birth: NaiveDate::from_ymd_opt(2009, 5, 21).unwrap(),
            sex: None,
        });
        q
    }

    #[test]
    fn request_references_its_contained_resources() {
        let body = request(&inquiry(), created());
        assert_eq!(body["resourceType"], "CoverageEligibilityRequest");
        assert_eq!(body["status"], "active");
        assert_eq!(body["purpose"], json!(["benefits"]));
        assert_eq!(body["created"], "2026-11-23T10:30:00Z");
        assert_eq!(body["servicedDate"], "2026-11-23");
        assert_eq!(body["identifier"][0]["value"], "VOB-0001");
        let contained = body["contained"].as_array().unwrap();
        let find = |id: &str| {
            contained
                .iter()
                .find(|r| r["id"] == id)
                .unwrap_or_else(|| panic!("#{id}"))
        };
        for field in ["patient", "provider", "insurer"] {
            let reference = body[field]["reference"].as_str().unwrap();
            find(reference.trim_start_matches('#'));
        }
        let coverage = find("coverage");
        assert_eq!(coverage["subscriberId"], "W123456789");
        assert_eq!(coverage["beneficiary"]["reference"], "#patient");
        assert_eq!(coverage["payor"][0]["reference"], "#insurer");
        assert_eq!(coverage["class"][0]["value"], "GRP0042");
        assert_eq!(find("patient")["gender"], "female");
        assert_eq!(find("patient")["birthDate"], "1985-03-12");
        assert_eq!(find("insurer")["identifier"][0]["value"], "12345");
        assert_eq!(find("provider")["identifier"][0]["system"], NPI_SYSTEM);
        assert_eq!(
            body["insurance"],
            json!([{"focal": true, "coverage": {"reference": "#coverage"}}])
        );
        let codes: Vec<&str> = body["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert_eq!(i["category"]["coding"][0]["system"], STC_SYSTEM);
                i["category"]["coding"][0]["code"].as_str().unwrap()
            })
            .collect();
        assert_eq!(codes, ["BB", "A8"]);

        let dependent = request(&dependent_inquiry(), created());
        let contained = dependent["contained"].as_array().unwrap();
        let patient = contained.iter().find(|r| r["id"] == "patient").unwrap();
        assert_eq!(patient["name"][0]["given"], json!(["EMMA"]));
        assert!(patient.get("gender").is_none());
        let coverage = contained.iter().find(|r| r["id"] == "coverage").unwrap();
        assert_eq!(coverage["subscriber"]["reference"], "#subscriber");
    }

    #[test]
    fn requests_pass_the_fhir_oracle() {
        let resources = vec![
            ("request".to_string(), request(&inquiry(), created())),
            (
                "request-dependent".to_string(),
                request(&dependent_inquiry(), created()),
            ),
            (
                "response-sample".to_string(),
                serde_json::from_str(SAMPLE).unwrap(),
            ),
            (
                "response-other-coverage".to_string(),
                response_with_other_coverage(),
            ),
        ];
        if let Some((ok, report)) = fhir_check(&resources) {
            assert!(ok, "{report}");
        }
    }

    /// A response touching every mapping the parser knows (a carve-out, covered, excluded,
    /// deductible, out-of-pocket, copay, coinsurance and day-limit benefits).
    pub(crate) const SAMPLE: &str =
        include_str!("../../fixtures/fhir/coverage_eligibility_response.json");

    /// Source, kind, EB06, the figure, the first service type.
    type Row = (
        String,
        BenefitKind,
        Option<String>,
        Option<String>,
        Option<String>,
    );

    #[test]
    fn a_response_becomes_rows_in_x12_terms() {
        let a = parse_response(SAMPLE.as_bytes()).unwrap();
        assert_eq!(a.plan_name.as_ref().unwrap().value, "GOLD PPO");
        assert_eq!(
            a.plan_begin.as_ref().unwrap().value.to_string(),
            "2026-01-01"
        );
        assert_eq!(
            a.plan_end.as_ref().unwrap().source,
            "FHIR insurance[0].benefitPeriod.end"
        );
        let summary: Vec<Row> = a
            .benefits
            .iter()
            .map(|e| {
                (
                    e.source.clone(),
                    e.kind.clone(),
                    e.time_period.clone(),
                    e.amount.or(e.percent).or(e.quantity).map(|d| d.to_string()),
                    e.service_types.first().cloned(),
                )
            })
            .collect();
        let row = |source: &str,
                   kind: BenefitKind,
                   period: Option<&str>,
                   figure: Option<&str>,
                   stc: &str| {
            (
                source.to_string(),
                kind,
                period.map(str::to_string),
                figure.map(str::to_string),
                Some(stc.to_string()),
            )
        };
        use BenefitKind::*;
        let i = "FHIR insurance[0]";
        assert_eq!(
            summary,
            [
                row(&format!("{i}.inforce"), ActiveCoverage, None, None, "30"),
                row(
                    &format!("{i}.item[0].benefit[0].allowedMoney"),
                    Deductible,
                    Some("23"),
                    Some("1500.00"),
                    "30"
                ),
                row(
                    &format!("{i}.item[0].benefit[0].usedMoney"),
                    Deductible,
                    Some("24"),
                    Some("600.10"),
                    "30"
                ),
                row(
                    &format!("{i}.item[0].benefit[1].allowedMoney"),
                    OutOfPocket,
                    Some("23"),
                    Some("6000"),
                    "30"
                ),
                row(
                    &format!("{i}.item[0].benefit[1].usedMoney"),
                    OutOfPocket,
                    Some("24"),
                    Some("6000"),
                    "30"
                ),
                row(
                    &format!("{i}.item[1].excluded"),
                    ActiveCoverage,
                    None,
                    None,
                    "BB"
                ),
                row(
                    &format!("{i}.item[1].benefit[0]"),
                    CoPayment,
                    Some("7"),
                    Some("75"),
                    "BB"
                ),
                row(
                    &format!("{i}.item[1].benefit[1]"),
                    CoInsurance,
                    Some("7"),
                    Some("0.2"),
                    "BB"
                ),
                row(
                    &format!("{i}.item[1].benefit[2]"),
                    Limitations,
                    Some("7"),
                    Some("30"),
                    "BB"
                ),
                row(
                    &format!("{i}.item[1].benefit[2] (allowed − used)"),
                    Limitations,
                    Some("29"),
                    Some("18"),
                    "BB"
                ),
                row(
                    &format!("{i}.item[2].excluded"),
                    NonCovered,
                    None,
                    None,
                    "A8"
                ),
                row(
                    &format!("{i}.item[3].provider"),
                    ContactEntity,
                    None,
                    None,
                    "MH"
                ),
            ]
        );
        let deductible = &a.benefits[1];
        assert_eq!(deductible.network, NetworkScope::In);
        assert_eq!(deductible.coverage_level.as_deref(), Some("IND"));
        let bb = &a.benefits[5];
        assert_eq!(bb.auth_required, Some(true));
        assert_eq!(bb.messages, ["PRIOR AUTHORIZATION REQUIRED"]);
        assert_eq!(a.benefits[6].auth_required, Some(true));
        assert!(
            a.benefits[6].messages.is_empty(),
            "the description goes on the first row only"
        );
        assert_eq!(a.benefits[8].quantity_qualifier.as_deref(), Some("DY"));
        let carve = &a.benefits[11];
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
        assert_eq!(
            carve.messages,
            ["BEHAVIORAL HEALTH ADMINISTERED BY OPTUM BEHAVIORAL HEALTH 800-555-1234"]
        );
    }

    /// A response with this plan's coverage, another payer's, a facility item limited to
    /// outpatient hospital and a vendor named on an item.
    fn response_with_other_coverage() -> Value {
        let coding =
            |system: &str, code: &str| json!({"coding": [{"system": system, "code": code}]});
        json!({
            "resourceType": "CoverageEligibilityResponse", "status": "active",
            "purpose": ["benefits"], "created": "2026-11-23T10:30:05Z", "outcome": "complete",
            "patient": {"reference": "#patient"},
            "request": {"identifier": {"system": TRACE_SYSTEM, "value": "VOB-0001"}},
            "insurer": {"reference": "#insurer"},
            "contained": [
                {"resourceType": "Patient", "id": "patient",
                 "name": [{"family": "DOE", "given": ["JANE", "Q"]}], "birthDate": "1985-03-12"},
                {"resourceType": "Organization", "id": "insurer", "name": "ACME HEALTH PLAN",
                 "identifier": [{"system": PAYER_ID_SYSTEM, "value": "12345"}]},
                {"resourceType": "Coverage", "id": "coverage", "status": "active",
                 "subscriberId": "W900000002",
                 "identifier": [{"use": "old", "value": "W123456789"},
                                {"use": "official", "value": "W900000002"}],
                 "beneficiary": {"reference": "#patient"}, "payor": [{"reference": "#insurer"}]},
                {"resourceType": "Organization", "id": "medicare", "name": "MEDICARE",
                 "identifier": [{"system": PAYER_ID_SYSTEM, "value": "CMS"}],
                 "telecom": [{"system": "phone", "value": "8006334227"}]},
                {"resourceType": "Coverage", "id": "medicare-coverage", "status": "active",
                 "type": coding(INSURANCE_TYPE_SYSTEM, "MB"),
                 "identifier": [{"type": coding(REFERENCE_QUALIFIER_SYSTEM, "IG"),
                                 "value": "1EG4TE5MK73"}],
                 "beneficiary": {"reference": "#patient"},
                 "period": {"start": "2025-01-01", "end": "2026-12-31"},
                 "payor": [{"reference": "#medicare"}], "order": 1},
                {"resourceType": "Organization", "id": "old-plan", "name": "OLD PLAN"},
                {"resourceType": "Coverage", "id": "old-coverage", "status": "cancelled",
                 "beneficiary": {"reference": "#patient"}, "payor": [{"reference": "#old-plan"}]},
                {"resourceType": "PractitionerRole", "id": "vendor",
                 "code": [coding(ENTITY_CODE_SYSTEM, "VN")],
                 "telecom": [{"system": "phone", "value": "8005557788"}]}
            ],
            "insurance": [
                {"coverage": {"reference": "#coverage", "display": "GOLD PPO"}, "inforce": true,
                 "item": [
                    {"category": coding(STC_SYSTEM, "50"),
                     "modifier": [coding(PLACE_OF_SERVICE_SYSTEM, "22"), coding("urn:other", "XX")],
                     "network": coding(BENEFIT_NETWORK_SYSTEM, "in"),
                     "unit": coding(BENEFIT_UNIT_SYSTEM, "individual"),
                     "term": coding(BENEFIT_TERM_SYSTEM, "annual"),
                     "description": "FACILITY",
                     "benefit": [
                        {"type": coding(BENEFIT_TYPE_SYSTEM, "deductible"),
                         "allowedMoney": {"value": 2000, "currency": "USD"},
                         "usedMoney": {"value": 750, "currency": "USD"}},
                        {"type": coding(BENEFIT_TYPE_SYSTEM, "copay-percent"),
                         "allowedUnsignedInt": 20}]},
                    {"category": coding(STC_SYSTEM, "MH"),
                     "provider": {"reference": "#vendor", "display": "MOCK BEHAVIORAL VENDOR",
                                  "identifier": {"type": coding(ID_QUALIFIER_SYSTEM, "SV"),
                                                 "value": "BHV12345"}}}]},
                {"coverage": {"reference": "#medicare-coverage", "display": "NOT OUR PLAN"},
                 "inforce": false,
                 "item": [{"category": coding(STC_SYSTEM, "30"), "excluded": true}]},
                {"coverage": {"reference": "#old-coverage"}}
            ]
        })
    }

    #[test]
    fn other_payers_places_of_service_and_whom_the_answer_is_about_are_read() {
        let a = parse_response(response_with_other_coverage().to_string().as_bytes()).unwrap();
        assert_eq!(
            a.payer,
            Some(AnsweringPayer {
                phone: None,
                name: Some("ACME HEALTH PLAN".into()),
                id: Some("12345".into()),
            })
        );
        assert_eq!(
            a.answered_for,
            Some(AnsweredFor {
                traces: vec!["VOB-0001".into()],
                member_id: Some("W900000002".into()),
                prior_member_ids: vec!["W123456789".into()],
                first_name: Some("JANE".into()),
                last_name: Some("DOE".into()),
                birth_date: NaiveDate::from_ymd_opt(1985, 3, 12),
                identity_corrected: false,
                source: "FHIR patient and coverage".into(),
            })
        );
        // Another payer's coverage says nothing about this plan's name or status.
        assert_eq!(a.plan_name.as_ref().unwrap().value, "GOLD PPO");
        assert!(!a
            .benefits
            .iter()
            .any(|e| e.kind == BenefitKind::Inactive || e.kind == BenefitKind::NonCovered));
        let rows: Vec<&BenefitEntry> = a
            .benefits
            .iter()
            .filter(|e| e.service_types == ["50"])
            .collect();
        assert_eq!(rows.len(), 3, "{rows:?}");
        for row in &rows {
            assert_eq!(row.places_of_service, ["22"]);
        }
        // The description holds for both rows of the deductible, not for the coinsurance.
        assert_eq!(rows[0].messages, ["FACILITY"]);
        assert_eq!(
            (rows[1].time_period.as_deref(), rows[1].messages.as_slice()),
            (Some("24"), ["FACILITY".to_string()].as_slice())
        );
        assert!(rows[2].messages.is_empty());
        let vendor = a
            .benefits
            .iter()
            .find(|e| e.kind == BenefitKind::ContactEntity)
            .unwrap();
        assert_eq!(
            vendor.related_entities,
            [RelatedEntity {
                entity_code: Some("VN".into()),
                name: Some("MOCK BEHAVIORAL VENDOR".into()),
                id_qualifier: Some("SV".into()),
                id: Some("BHV12345".into()),
                phone: Some("8005557788".into()),
            }]
        );
        let others: Vec<&BenefitEntry> = a
            .benefits
            .iter()
            .filter(|e| e.kind == BenefitKind::OtherPayer)
            .collect();
        let [medicare, prior] = others.as_slice() else {
            panic!("{others:?}")
        };
        assert_eq!(medicare.source, "FHIR insurance[1]");
        assert_eq!(medicare.insurance_type.as_deref(), Some("MB"));
        assert_eq!(
            medicare.references,
            [EntryReference {
                qualifier: "IG".into(),
                value: "1EG4TE5MK73".into(),
            }]
        );
        assert_eq!(
            medicare.dates,
            [EntryDate {
                qualifier: "290".into(),
                begin: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                end: NaiveDate::from_ymd_opt(2026, 12, 31),
            }]
        );
        assert_eq!(
            medicare.related_entities,
            [RelatedEntity {
                entity_code: Some("PRP".into()),
                name: Some("MEDICARE".into()),
                id_qualifier: Some("PI".into()),
                id: Some("CMS".into()),
                phone: Some("8006334227".into()),
            }]
        );
        assert_eq!(
            prior.related_entities[0].entity_code.as_deref(),
            Some("P4"),
            "a cancelled coverage is a prior carrier"
        );
    }

    #[test]
    fn a_payor_that_cannot_be_told_apart_from_the_insurer_is_the_insurer() {
        let mut body = response_with_other_coverage();
        // The insurer named only by display: the coverages' payors cannot be compared with it.
        body["insurer"] = json!({"display": "ACME"});
        let a = parse_response(body.to_string().as_bytes()).unwrap();
        assert!(!a.benefits.iter().any(|e| e.kind == BenefitKind::OtherPayer));
        assert_eq!(
            a.payer,
            Some(AnsweringPayer {
                phone: None,
                name: Some("ACME".into()),
                id: None,
            })
        );
        // A contained resource of the right type but the wrong shape names where, not what.
        let mut body = response_with_other_coverage();
        body["contained"][2]["subscriberId"] = json!(["W123456789"]);
        let err = parse_response(body.to_string().as_bytes()).unwrap_err();
        assert!(
            matches!(&err, WireError::Shape { path, .. } if path == "contained[2].subscriberId"),
            "{err:?}"
        );
        assert!(!err.to_string().contains("W123"));
    }

    #[test]
    fn errors_become_rejections() {
        let body = json!({
            "resourceType": "CoverageEligibilityResponse", "status": "active", "purpose": ["benefits"],
            "patient": {"display": "p"}, "created": "2026-11-23T10:30:05Z",
            "request": {"display": "r"}, "insurer": {"display": "i"}, "outcome": "error",
            "error": [{"code": {"coding": [
                {"system": REJECT_REASON_SYSTEM, "code": "75", "display": "Subscriber/Insured Not Found"},
                {"system": FOLLOW_UP_SYSTEM, "code": "C"}]}}]
        });
        let a = parse_response(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            a.rejections,
            [PayerRejection {
                code: "75".into(),
                description: "Subscriber/Insured Not Found".into(),
                follow_up: Some("C".into()),
                source: "FHIR error[0]".into(),
            }]
        );
        assert!(a.benefits.is_empty());
    }

    #[test]
    fn bodies_without_an_answer_are_wire_errors() {
        let base = |outcome: &str| {
            json!({"resourceType": "CoverageEligibilityResponse", "outcome": outcome}).to_string()
        };
        assert_eq!(
            parse_response(base("queued").as_bytes()),
            Err(WireError::NoAnswer("outcome is queued: no answer yet"))
        );
        assert!(matches!(
            parse_response(base("error").as_bytes()),
            Err(WireError::NoAnswer(_))
        ));
        assert!(matches!(
            parse_response(br#"{"resourceType": "OperationOutcome", "issue": []}"#),
            Err(WireError::NoAnswer(_))
        ));
        assert!(matches!(
            parse_response(br#"{"resourceType": "Patient"}"#),
            Err(WireError::Value { .. })
        ));
        let bad_money = SAMPLE.replace("1500.00", "\"W123456789\"");
        let err = parse_response(bad_money.as_bytes()).unwrap_err();
        assert_eq!(
            err,
            WireError::value(
                "insurance[0].item[0].benefit[0].allowedMoney.value",
                "not a decimal number"
            )
        );
        assert!(!err.to_string().contains("W123"));
        let float_count =
            SAMPLE.replace("\"allowedUnsignedInt\": 20", "\"allowedUnsignedInt\": 20.5");
        assert!(matches!(
            parse_response(float_count.as_bytes()),
            Err(WireError::Value { .. })
        ));
        assert!(matches!(
            parse_response(&SAMPLE.as_bytes()[..SAMPLE.len() / 2]),
            Err(WireError::Truncated)
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_bytes(body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse_response(&body);
        }

        #[test]
        fn never_panics_on_any_prefix(cut in 0usize..5000) {
            let body = SAMPLE.as_bytes();
            let _ = parse_response(body.get(..cut.min(body.len())).unwrap());
        }
    }
}
