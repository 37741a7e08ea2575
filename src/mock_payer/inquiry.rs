//! What was asked: the parts of an incoming 270, JSON or FHIR request the mock needs to find
//! the scenario (the member id) and to echo back (trace, names, payer, provider), read the way a
//! payer reads them. Every reader is total: a malformed request is an `Err` with a fixed reason.

use chrono::NaiveDate;
use serde_json::Value;

use super::render_x12::{DEFAULT_PAYER_ID, DEFAULT_PAYER_NAME};
use crate::payers::fhir_wire::STC_SYSTEM;
use crate::x12::values::parse_d8;
use crate::x12::{Interchange, SegmentRef};

/// One person named in a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// X12 DMG03 form: `F`, `M` or `U`.
    pub gender: Option<String>,
}

/// The inquiry as the payer read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// TRN02 (X12), `controlNumber` (JSON), `identifier` (FHIR): echoed in the answer.
    pub trace: String,
    /// TRN03, echoed in `TRN*2`.
    pub trace_originator: Option<String>,
    /// BHT03 of the 270, echoed in the 271's BHT03.
    pub reference: Option<String>,
    pub payer_name: Option<String>,
    pub payer_id: Option<String>,
    pub provider_name: Option<String>,
    pub provider_npi: Option<String>,
    /// 2100C NM109, `subscriber.memberId`, `Coverage.subscriberId`.
    pub member_id: String,
    pub subscriber: Person,
    /// The patient when not the subscriber (2000D).
    pub dependent: Option<Person>,
    pub service_types: Vec<String>,
    pub service_date: Option<NaiveDate>,
}

impl Asked {
    /// A plain inquiry for `member_id`, used to check that scenarios render.
    pub fn example(member_id: &str) -> Asked {
        Asked {
            trace: "MOCK-TRACE-1".into(),
            trace_originator: Some("1234567890".into()),
            reference: Some("MOCK-REF-1".into()),
            payer_name: Some("MOCK HEALTH PLAN".into()),
            payer_id: Some("MOCKPAYER".into()),
            provider_name: Some("SUNRISE BEHAVIORAL HEALTH".into()),
            provider_npi: Some("1234567893".into()),
            member_id: member_id.to_string(),
            subscriber: Person {
                first_name: Some("JANE".into()),
                last_name: Some("DOE".into()),
                birth_date: NaiveDate::from_ymd_opt(1985, 3, 12),
                gender: Some("F".into()),
            },
            dependent: None,
            service_types: vec!["30".into()],
            service_date: NaiveDate::from_ymd_opt(2026, 11, 23),
        }
    }

    /// The patient: the dependent when there is one, else the subscriber.
    pub fn patient(&self) -> &Person {
        self.dependent.as_ref().unwrap_or(&self.subscriber)
    }

    /// The answering payer's name and id: as the inquiry named it, else the mock's own (a JSON
    /// request names only the payer id).
    pub fn answering_payer(&self) -> (&str, &str) {
        (
            self.payer_name.as_deref().unwrap_or(DEFAULT_PAYER_NAME),
            self.payer_id.as_deref().unwrap_or(DEFAULT_PAYER_ID),
        )
    }
}

/// Why a 270 could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The payload is not one 270 (another transaction set, several sets or groups): there is
    /// no 270 for a 999 to speak of, so the envelope is refused instead.
    NotOne270(&'static str),
    /// A 270 with a segment the payer cannot read: what its 999 reports.
    Segment(BadSegment),
}

/// The segment of a 270 a 999 names (IK3), with its element at fault (IK4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSegment {
    /// What is wrong, for people reading the mock's tests.
    pub reason: &'static str,
    /// IK301.
    pub id: &'static str,
    /// IK302: position in the set, the ST being 1.
    pub position: u32,
    /// IK303.
    pub loop_id: Option<&'static str>,
    /// IK304 (`8` data element errors, `3` required segment missing, `2` unexpected segment).
    pub code: &'static str,
    pub element: Option<BadElement>,
}

/// IK4: an element of the segment at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadElement {
    /// IK401.
    pub position: u32,
    /// IK402 data element reference number.
    pub reference: &'static str,
    /// IK403 (`1` required element missing, `7` invalid code value, `8` invalid date).
    pub code: &'static str,
}

/// A segment whose element `position` is in error (IK304 `8`).
fn element_error(
    reason: &'static str,
    id: &'static str,
    position: u32,
    loop_id: Option<&'static str>,
    element: BadElement,
) -> Unreadable {
    Unreadable::Segment(BadSegment {
        reason,
        id,
        position,
        loop_id,
        code: "8",
        element: Some(element),
    })
}

/// The 2000 loop (HL) and the 2100 loop (names) of a hierarchical level (HL03).
fn loops(level: &str) -> (Option<&'static str>, Option<&'static str>) {
    match level {
        "20" => (Some("2000A"), Some("2100A")),
        "21" => (Some("2000B"), Some("2100B")),
        "22" => (Some("2000C"), Some("2100C")),
        "23" => (Some("2000D"), Some("2100D")),
        _ => (None, None),
    }
}

/// Reads a 270 (005010X279A1) that has already passed the envelope checks.
pub fn from_270(interchange: &Interchange<'_>) -> Result<Asked, Unreadable> {
    let mut groups = interchange.groups.iter();
    let set = match (groups.next(), groups.next()) {
        (Some(group), None) => match group.transaction_sets.as_slice() {
            [set] => set,
            _ => {
                return Err(Unreadable::NotOne270(
                    "the 270 must hold exactly one transaction set",
                ))
            }
        },
        _ => {
            return Err(Unreadable::NotOne270(
                "the 270 must hold exactly one functional group",
            ))
        }
    };
    if set.id != "270" {
        return Err(Unreadable::NotOne270("the payload is not a 270"));
    }
    let mut asked = Asked {
        trace: String::new(),
        trace_originator: None,
        reference: None,
        payer_name: None,
        payer_id: None,
        provider_name: None,
        provider_npi: None,
        member_id: String::new(),
        subscriber: Person::default(),
        dependent: None,
        service_types: Vec::new(),
        service_date: None,
    };
    // HL03 of the current level: 20 source, 21 receiver, 22 subscriber, 23 dependent.
    let mut level = "";
    // Positions (ST = 1) of the subscriber's HL, NM1*IL and TRN, for a 999 naming them.
    let (mut subscriber_hl, mut member_nm1, mut trn) = (None, None, None);
    for (position, seg) in (2u32..).zip(&set.segments) {
        let v = |n: usize| value(seg, n);
        let (hl_loop, name_loop) = loops(level);
        match seg.id() {
            "BHT" => asked.reference = v(3),
            "HL" => {
                level = match seg.value(3) {
                    Some("20") => "20",
                    Some("21") => "21",
                    Some("22") => {
                        subscriber_hl = Some(position);
                        "22"
                    }
                    Some("23") => {
                        asked.dependent = Some(Person::default());
                        "23"
                    }
                    // HL03 is element 735, hierarchical level code.
                    _ => {
                        return Err(element_error(
                            "HL03 must be 20, 21, 22 or 23",
                            "HL",
                            position,
                            None,
                            BadElement {
                                position: 3,
                                reference: "735",
                                code: "7",
                            },
                        ))
                    }
                }
            }
            "NM1" => match (level, seg.value(1)) {
                ("20", _) => {
                    asked.payer_name = v(3);
                    asked.payer_id = v(9);
                }
                ("21", _) => {
                    asked.provider_name = v(3);
                    asked.provider_npi = (seg.value(8) == Some("XX")).then(|| v(9)).flatten();
                }
                ("22", Some("IL")) => {
                    member_nm1 = Some(position);
                    asked.member_id = v(9).unwrap_or_default();
                    asked.subscriber.last_name = v(3);
                    asked.subscriber.first_name = v(4);
                }
                ("23", Some("03")) => {
                    if let Some(dependent) = asked.dependent.as_mut() {
                        dependent.last_name = v(3);
                        dependent.first_name = v(4);
                    }
                }
                // NM101 is element 98, entity identifier code: IL in 2100C, 03 in 2100D.
                ("22" | "23", _) => {
                    return Err(element_error(
                        "NM101 must be IL in 2100C and 03 in 2100D",
                        "NM1",
                        position,
                        name_loop,
                        BadElement {
                            position: 1,
                            reference: "98",
                            code: "7",
                        },
                    ))
                }
                _ => {
                    return Err(Unreadable::Segment(BadSegment {
                        reason: "NM1 before any HL",
                        id: "NM1",
                        position,
                        loop_id: None,
                        code: "2",
                        element: None,
                    }))
                }
            },
            "TRN" => {
                trn = Some((position, hl_loop));
                asked.trace = v(2).unwrap_or_default();
                asked.trace_originator = v(3);
            }
            "DMG" => {
                let person = match (level, asked.dependent.as_mut()) {
                    ("23", Some(dependent)) => dependent,
                    _ => &mut asked.subscriber,
                };
                // DMG02 (and DTP03 below) is element 1251, date time period.
                person.birth_date = match v(2) {
                    Some(date) => Some(parse_d8(&date).map_err(|_| {
                        element_error(
                            "DMG02 is not a date",
                            "DMG",
                            position,
                            name_loop,
                            BadElement {
                                position: 2,
                                reference: "1251",
                                code: "8",
                            },
                        )
                    })?),
                    None => None,
                };
                person.gender = v(3);
            }
            "DTP" if seg.value(1) == Some("291") => {
                // D8, or the first date of an RD8 range.
                let text = v(3).unwrap_or_default();
                let first = text.split('-').next().unwrap_or_default();
                asked.service_date = Some(parse_d8(first).map_err(|_| {
                    element_error(
                        "DTP*291 is not a date",
                        "DTP",
                        position,
                        name_loop,
                        BadElement {
                            position: 3,
                            reference: "1251",
                            code: "8",
                        },
                    )
                })?);
            }
            "EQ" => {
                // EQ01 repeats service type codes (`30^MH^BB`); one EQ per code is also legal.
                let codes = seg.element(1).into_iter().flat_map(|e| e.repetitions());
                asked.service_types.extend(
                    codes
                        .map(|r| r.value())
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned),
                );
            }
            _ => {}
        }
    }
    // A segment that is missing is reported where it was due: after the subscriber's HL.
    let due = subscriber_hl.map_or(2, |hl| hl + 1);
    if asked.member_id.is_empty() {
        return Err(match member_nm1 {
            // NM109 is element 67, identification code.
            Some(position) => element_error(
                "the 270 names no subscriber member id (2100C NM109)",
                "NM1",
                position,
                Some("2100C"),
                BadElement {
                    position: 9,
                    reference: "67",
                    code: "1",
                },
            ),
            None => Unreadable::Segment(BadSegment {
                reason: "the 270 has no subscriber name (2100C NM1*IL)",
                id: "NM1",
                position: due,
                loop_id: Some("2100C"),
                code: "3",
                element: None,
            }),
        });
    }
    if asked.trace.is_empty() {
        return Err(match trn {
            // TRN02 is element 127, reference identification.
            Some((position, loop_id)) => element_error(
                "the 270 carries no trace number (TRN02)",
                "TRN",
                position,
                loop_id,
                BadElement {
                    position: 2,
                    reference: "127",
                    code: "1",
                },
            ),
            None => Unreadable::Segment(BadSegment {
                reason: "the 270 carries no trace number (TRN)",
                id: "TRN",
                position: due,
                loop_id: Some("2000C"),
                code: "3",
                element: None,
            }),
        });
    }
    Ok(asked)
}

fn value(seg: &SegmentRef<'_>, n: usize) -> Option<String> {
    seg.value(n)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Reads the JSON clearinghouse request (`payers::json_wire::request`'s shape).
pub fn from_json(body: &[u8]) -> Result<Asked, &'static str> {
    let json: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON")?;
    let subscriber = json.get("subscriber").ok_or("subscriber is missing")?;
    let member_id = str_at(subscriber, "memberId").ok_or("subscriber.memberId is missing")?;
    let person = |p: &Value| -> Result<Person, &'static str> {
        Ok(Person {
            first_name: str_at(p, "firstName"),
            last_name: str_at(p, "lastName"),
            birth_date: str_at(p, "dateOfBirth")
                .map(|d| parse_d8(&d).map_err(|_| "dateOfBirth must be CCYYMMDD"))
                .transpose()?,
            gender: str_at(p, "gender"),
        })
    };
    let dependent = json
        .get("dependents")
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .map(person)
        .transpose()?;
    let encounter = json.get("encounter");
    Ok(Asked {
        trace: str_at(&json, "controlNumber").ok_or("controlNumber is missing")?,
        trace_originator: None,
        reference: None,
        payer_name: None,
        payer_id: str_at(&json, "tradingPartnerServiceId"),
        provider_name: json
            .get("provider")
            .and_then(|p| str_at(p, "organizationName")),
        provider_npi: json.get("provider").and_then(|p| str_at(p, "npi")),
        member_id,
        subscriber: person(subscriber)?,
        dependent,
        service_types: encounter
            .and_then(|e| e.get("serviceTypeCodes"))
            .and_then(Value::as_array)
            .map(|codes| {
                codes
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        service_date: encounter
            .and_then(|e| str_at(e, "dateOfService"))
            .map(|d| parse_d8(&d).map_err(|_| "dateOfService must be CCYYMMDD"))
            .transpose()?,
    })
}

/// Reads a FHIR `CoverageEligibilityRequest` (`payers::fhir_wire::request`'s shape): the member
/// id is the contained `Coverage.subscriberId`.
pub fn from_fhir(body: &[u8]) -> Result<Asked, &'static str> {
    let json: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON")?;
    if json.get("resourceType").and_then(Value::as_str) != Some("CoverageEligibilityRequest") {
        return Err("the body is not a CoverageEligibilityRequest");
    }
    let contained = json
        .get("contained")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let resolve = |reference: Option<&Value>| -> Option<&Value> {
        let id = reference?.get("reference")?.as_str()?.strip_prefix('#')?;
        contained
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
    };
    let coverage = contained
        .iter()
        .find(|r| r.get("resourceType").and_then(Value::as_str) == Some("Coverage"))
        .ok_or("no contained Coverage")?;
    let member_id = str_at(coverage, "subscriberId").ok_or("Coverage.subscriberId is missing")?;
    let patient_ref = json.get("patient").and_then(|p| p.get("reference"));
    let subscriber_ref = coverage.get("subscriber").and_then(|s| s.get("reference"));
    let patient = resolve(json.get("patient"))
        .map(fhir_person)
        .unwrap_or_default();
    let (subscriber, dependent) = match (patient_ref, subscriber_ref) {
        (Some(p), Some(s)) if p != s => (
            resolve(coverage.get("subscriber"))
                .map(fhir_person)
                .unwrap_or_default(),
            Some(patient),
        ),
        _ => (patient, None),
    };
    let insurer = resolve(json.get("insurer"));
    let provider = resolve(json.get("provider"));
    let identifier_value = |r: Option<&Value>| {
        r?.get("identifier")?
            .as_array()?
            .iter()
            .find_map(|i| str_at(i, "value"))
    };
    let service_types = json
        .get("item")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|item| item.get("category")?.get("coding")?.as_array())
        .flatten()
        .filter(|c| c.get("system").and_then(Value::as_str) == Some(STC_SYSTEM))
        .filter_map(|c| str_at(c, "code"))
        .collect();
    Ok(Asked {
        trace: identifier_value(Some(&json)).ok_or("identifier (the trace) is missing")?,
        trace_originator: None,
        reference: None,
        payer_name: insurer.and_then(|i| str_at(i, "name")),
        payer_id: identifier_value(insurer),
        provider_name: provider.and_then(|p| str_at(p, "name")),
        provider_npi: identifier_value(provider),
        member_id,
        subscriber,
        dependent,
        service_types,
        service_date: str_at(&json, "servicedDate")
            .map(|d| {
                NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| "servicedDate is not a date")
            })
            .transpose()?,
    })
}

fn fhir_person(patient: &Value) -> Person {
    let name = patient
        .get("name")
        .and_then(Value::as_array)
        .and_then(|n| n.first());
    Person {
        first_name: name
            .and_then(|n| n.get("given"))
            .and_then(Value::as_array)
            .and_then(|g| g.first())
            .and_then(Value::as_str)
            .map(str::to_string),
        last_name: name.and_then(|n| str_at(n, "family")),
        birth_date: str_at(patient, "birthDate")
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
        gender: match patient.get("gender").and_then(Value::as_str) {
            Some("female") => Some("F".into()),
            Some("male") => Some("M".into()),
            Some(_) => Some("U".into()),
            None => None,
        },
    }
}

fn str_at(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
