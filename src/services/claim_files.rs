//! 837 files from stored claims: one interchange, one functional group per claim form (837I,
//! 837P), one 2000B subscriber loop per coverage with its claims. The writing itself is the
//! pure [`crate::x12::claim837`]; this module gathers the parties and the numbers.
//!
//! - **Control numbers** (ISA13, GS06, ST02) come from persisted counters taken inside the
//!   caller's transaction, and every file is stored with its interchange number (UNIQUE): a
//!   number is never used twice.
//! - **Who sends, who receives**: the interchange goes to one receiver. A payer's connection
//!   may name its trading-partner ids (`sender_id`, `receiver_id`); otherwise the sender is
//!   the clinic's submitter id (or its NPI) and the receiver the payer's EDI id. Claims for
//!   different receivers go in different files.
//! - **Text**: names and addresses are cleaned by the writer's documented rule (delimiters and
//!   control characters become spaces, Latin letters are spelled without their diacritics and
//!   uppercased); identifiers holding a delimiter are refused, naming the element. A person's
//!   name the writer could not spell whole (stored before names were checked at entry) is
//!   refused first, naming its field, rather than sent with letters missing.
//! - A voided or replaced claim is not sent again; its void or replacement claim is.
//! - Every line carries its line item control number in `REF*6R`
//!   ([`line_control_number`]: the claim number and the line number), which the payer echoes
//!   in the 835 so each payment posts to its line.

use std::collections::HashMap;

use chrono::Utc;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::claim::line_control_number;
use crate::domain::claim_status::{ClaimStatus, Frequency};
use crate::domain::coverage::{Priority, Relationship};
use crate::domain::ids::{new_id, ClientId, CoverageId, PayerId};
use crate::domain::names::{check_client_names, check_x12_names};
use crate::domain::organization::Organization;
use crate::domain::person::Sex;
use crate::domain::validation::{FieldError, Invalid};
use crate::secrets::SecretKey;
use crate::services::claims::original_reference;
use crate::store::claims::{self, ClaimRecord};
use crate::store::coverages::{self, Coverage};
use crate::store::payers::{self, Payer};
use crate::store::{clients, organization, StoreError, Tx};
use crate::x12::claim837::{
    build_837_groups, Address837, Batch837, BillingProvider837, Claim837, ClaimForm837,
    ClaimFrequency, Facility837, Institutional837, Line837, Patient837, Payer837,
    ProviderPerson837, Receiver837, Sex as Sex837, Submitter837, Subscriber837,
    SubscriberClaims837,
};
use crate::x12::{ControlNumbers, Delimiters, Envelope, PartyId, Usage, X12Error};

/// The largest X12 control number; counters wrap around past it.
const MAX_CONTROL: i64 = 999_999_999;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A claim id that names no claim (its index in the request).
    #[error("claim_ids[{0}] names no claim")]
    UnknownClaim(usize),
    /// A claim that is not sent in its status.
    #[error("claim {claim_number} is {}: send its void or replacement claim instead", status.as_str())]
    NotSendable {
        claim_id: Uuid,
        claim_number: String,
        status: ClaimStatus,
    },
    /// Set-up missing or inconsistent, with the field to fix.
    #[error("{detail}")]
    Setup { field: String, detail: String },
    /// The writer refused a value (a delimiter in an identifier, a length).
    #[error(transparent)]
    X12(#[from] X12Error),
    /// People's names X12 cannot carry (stored before names were checked where they are
    /// entered), each with its field.
    #[error("{0}")]
    Names(Invalid),
}

/// A written 837 interchange.
#[derive(Debug, Clone)]
pub struct ClaimFile {
    pub id: Uuid,
    pub interchange_control_number: i64,
    pub claim_ids: Vec<Uuid>,
    pub content: String,
}

fn control(n: i64) -> u32 {
    u32::try_from((n - 1).rem_euclid(MAX_CONTROL) + 1).unwrap_or(1)
}

fn sex(s: Sex) -> Sex837 {
    match s {
        Sex::F => Sex837::Female,
        Sex::M => Sex837::Male,
        Sex::U => Sex837::Unknown,
    }
}

fn setup(field: &str, detail: impl Into<String>) -> FileError {
    FileError::Setup {
        field: field.to_string(),
        detail: detail.into(),
    }
}

fn form_of(claim: &ClaimRecord) -> ClaimForm837 {
    if claim.claim_form == "837P" {
        ClaimForm837::Professional
    } else {
        ClaimForm837::Institutional
    }
}

/// The form as `claim_file_sets.functional_form` names it.
pub(crate) fn form_name(form: ClaimForm837) -> &'static str {
    match form {
        ClaimForm837::Professional => "837P",
        ClaimForm837::Institutional => "837I",
    }
}

/// The facts of one claim's subscriber loop.
struct Parties {
    coverage: Coverage,
    payer: Payer,
    client: crate::store::clients::Client,
}

/// Why the names of the people of one subscriber loop — the policy holder (2010BA) and the
/// patient (2010CA) — cannot be sent, each naming its field. Cleaned by the writer, a name in
/// another script would lose its letters and bill for somebody else.
fn unsendable_names(p: &Parties, claim_number: &str) -> Vec<FieldError> {
    let client = &p.client.data;
    let c = &p.coverage.data.coverage;
    // As in `subscriber_of`: the holder is written only when the client is not the subscriber.
    let holder = match (c.relationship, &c.subscriber) {
        (Relationship::Subscriber, _) | (_, None) => None,
        (_, Some(holder)) => Some(holder),
    };
    check_client_names(client, holder)
        .err()
        .map_or_else(Vec::new, |invalid| {
            invalid
                .0
                .into_iter()
                .map(|e| FieldError::new(e.field, format!("claim {claim_number}: {}", e.message)))
                .collect()
        })
}

/// The clinic's people on the claims: the clinician (2310A/2310B, NM104 35 and NM103 60
/// characters) and the billing contact (1000A PER02, 60).
fn unsendable_clinic_names(org: &Organization) -> Vec<FieldError> {
    let mut names = Vec::new();
    if let Some(c) = &org.attending_provider {
        names.push((
            "organization.attending_provider.first_name",
            c.first_name.as_str(),
            35,
        ));
        names.push((
            "organization.attending_provider.last_name",
            c.last_name.as_str(),
            60,
        ));
    }
    if let Some(contact) = &org.billing_contact_name {
        names.push(("organization.billing_contact_name", contact.as_str(), 60));
    }
    check_x12_names(&names)
        .err()
        .map_or_else(Vec::new, |invalid| invalid.0)
}

/// The parties of every claim's subscriber loop, by coverage, in three reads.
async fn parties(
    tx: &mut Tx,
    secrets: &SecretKey,
    claims: &[&ClaimRecord],
) -> Result<HashMap<Uuid, Parties>, FileError> {
    let missing = |what: &'static str| StoreError::corrupt("claim", format!("its {what} is gone"));
    let mut coverage_ids: Vec<CoverageId> = claims
        .iter()
        .map(|c| CoverageId::from_uuid(c.coverage_id))
        .collect();
    coverage_ids.sort();
    coverage_ids.dedup();
    let coverages = coverages::find_many(tx, &coverage_ids).await?;
    let mut client_ids: Vec<ClientId> = coverages.iter().map(|c| c.data.client_id).collect();
    client_ids.sort();
    client_ids.dedup();
    let clients: HashMap<ClientId, crate::store::clients::Client> =
        clients::find_many(tx, &client_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    let mut payers_by_id: HashMap<PayerId, Payer> = HashMap::new();
    for coverage in &coverages {
        let id = coverage.data.coverage.payer_id;
        if let std::collections::hash_map::Entry::Vacant(slot) = payers_by_id.entry(id) {
            let payer = payers::find(tx, secrets, id)
                .await?
                .ok_or_else(|| missing("payer"))?;
            slot.insert(payer);
        }
    }
    let mut out = HashMap::new();
    for coverage in coverages {
        let client = clients
            .get(&coverage.data.client_id)
            .cloned()
            .ok_or_else(|| missing("client"))?;
        let payer = payers_by_id
            .get(&coverage.data.coverage.payer_id)
            .cloned()
            .ok_or_else(|| missing("payer"))?;
        out.insert(
            coverage.id.as_uuid(),
            Parties {
                coverage,
                payer,
                client,
            },
        );
    }
    Ok(out)
}

fn subscriber_of(p: &Parties) -> Result<Subscriber837, FileError> {
    let c = &p.coverage.data.coverage;
    let client = &p.client.data;
    let responsibility = match c.priority {
        Priority::Primary => "P",
        Priority::Secondary => "S",
        Priority::Tertiary => "T",
    };
    let client_address = client.address.as_ref().map(Address837::from);
    let (last_name, first_name, birth_date, holder_sex, address, patient) =
        match (c.relationship, &c.subscriber) {
            (Relationship::Subscriber, _) | (_, None) => (
                client.last_name.as_str().to_string(),
                client.first_name.as_str().to_string(),
                client.date_of_birth,
                sex(client.sex),
                client_address,
                None,
            ),
            (relationship, Some(holder)) => {
                let code = match relationship {
                    Relationship::Spouse => "01",
                    Relationship::Child => "19",
                    _ => "G8",
                };
                let Some(address) = client_address else {
                    return Err(setup(
                        "client.address",
                        format!(
                            "client {} is not the policy holder, so the claim needs the client's \
                         address (2010CA N3/N4): record it on the client",
                            p.client.id
                        ),
                    ));
                };
                (
                    holder.last_name.as_str().to_string(),
                    holder.first_name.as_str().to_string(),
                    holder.date_of_birth,
                    holder.sex.map_or(Sex837::Unknown, sex),
                    None,
                    Some(Patient837 {
                        relationship: code.to_string(),
                        last_name: client.last_name.as_str().to_string(),
                        first_name: client.first_name.as_str().to_string(),
                        birth_date: client.date_of_birth,
                        sex: sex(client.sex),
                        address: Some(address),
                    }),
                )
            }
        };
    Ok(Subscriber837 {
        responsibility: responsibility.to_string(),
        group_number: c.group_number.as_ref().map(|g| g.as_str().to_string()),
        claim_filing_indicator: p
            .payer
            .data
            .billing
            .claim_filing_indicator
            .as_str()
            .to_string(),
        last_name,
        first_name,
        member_id: c.member_id.as_str().to_string(),
        birth_date,
        sex: holder_sex,
        address,
        patient,
    })
}

fn claim_of(
    claim: &ClaimRecord,
    original: Option<&ClaimRecord>,
    provider: Option<&ProviderPerson837>,
) -> Result<Claim837, FileError> {
    let reference = || {
        original
            .map(original_reference)
            .ok_or_else(|| StoreError::corrupt("claim", "its original claim is gone"))
    };
    let frequency = match claim.frequency {
        Frequency::Original => ClaimFrequency::Original,
        Frequency::FirstInterim => ClaimFrequency::FirstInterim,
        Frequency::ContinuingInterim => ClaimFrequency::ContinuingInterim,
        Frequency::LastInterim => ClaimFrequency::LastInterim,
        Frequency::Replacement => ClaimFrequency::Replacement {
            original_reference: reference()?,
        },
        Frequency::Void => ClaimFrequency::Void {
            original_reference: reference()?,
        },
    };
    let professional = claim.claim_form == "837P";
    let (facility, institutional) = if professional {
        let pos = claim.place_of_service.clone().ok_or_else(|| {
            StoreError::corrupt("claim", "an 837P claim without place of service")
        })?;
        (Facility837::PlaceOfService(pos), None)
    } else {
        let tob = claim
            .type_of_bill
            .clone()
            .ok_or_else(|| StoreError::corrupt("claim", "an 837I claim without type of bill"))?;
        (
            Facility837::TypeOfBill(tob),
            Some(Institutional837 {
                admission_type: None,
                admission_source: None,
                discharge_status: claim.discharge_status.clone(),
                condition_codes: claim.condition_codes.clone(),
            }),
        )
    };
    let mut lines = Vec::new();
    for line in claim.lines.iter().flatten() {
        // An 837I line may go by its revenue code alone; an 837P line has only SV101. Fee
        // schedules refuse an 837P without HCPCS, so only a claim from before that rule lands
        // here.
        if professional && line.hcpcs.is_none() {
            return Err(setup(
                "fee_schedule.hcpcs",
                format!(
                    "claim {} is an 837P with a line without a HCPCS code; give the fee \
                     schedule one and replace or regenerate the claim",
                    claim.claim_number
                ),
            ));
        }
        lines.push(Line837 {
            revenue_code: (!professional).then(|| line.revenue_code.clone()),
            procedure_code: line.hcpcs.clone(),
            modifiers: line.modifiers.clone(),
            charge: line.charge.amount(),
            units: Decimal::from(line.units),
            service_date: line.service_date,
            control_number: line_control_number(&claim.claim_number, line.line_number),
        });
    }
    Ok(Claim837 {
        patient_control_number: claim.claim_number.clone(),
        facility,
        frequency,
        statement_from: claim.statement_from,
        statement_through: claim.statement_through,
        institutional,
        prior_authorization: claim.authorization_number.clone(),
        principal_diagnosis: claim.principal_diagnosis.clone(),
        other_diagnoses: claim.other_diagnoses.clone(),
        provider: provider.cloned(),
        lines,
    })
}

/// Writes one 837 interchange for `ids` (in that order), stores it and returns it.
pub async fn produce(
    tx: &mut Tx,
    secrets: &SecretKey,
    ids: &[Uuid],
    user: Uuid,
) -> Result<ClaimFile, FileError> {
    let found = claims::find_many(tx, ids).await?;
    let by_id: HashMap<Uuid, &ClaimRecord> = found.iter().map(|c| (c.id, c)).collect();
    let mut ordered = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let claim = by_id.get(id).ok_or(FileError::UnknownClaim(i))?;
        if matches!(claim.status, ClaimStatus::Void | ClaimStatus::Replaced) {
            return Err(FileError::NotSendable {
                claim_id: claim.id,
                claim_number: claim.claim_number.clone(),
                status: claim.status,
            });
        }
        ordered.push(*claim);
    }
    let originals: Vec<Uuid> = ordered.iter().filter_map(|c| c.original_claim_id).collect();
    let originals: HashMap<Uuid, ClaimRecord> = claims::find_many(tx, &originals)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let org = organization::get(tx).await?.ok_or_else(|| {
        setup(
            "organization",
            "the clinic is not set up: PUT /api/v1/organization (the billing provider) first",
        )
    })?;
    let org = org.organization;
    let mut unsendable = unsendable_clinic_names(&org);
    let provider = org.attending_provider.as_ref().map(|c| ProviderPerson837 {
        last_name: c.last_name.as_str().to_string(),
        first_name: c.first_name.as_str().to_string(),
        npi: c.npi.as_str().to_string(),
    });

    // One subscriber loop per coverage, in the order claims were asked for.
    let mut forms: Vec<(ClaimForm837, Vec<(Uuid, SubscriberClaims837)>)> = Vec::new();
    let mut partners: Option<(String, String, String)> = None;
    let cache = parties(tx, secrets, &ordered).await?;
    for claim in &ordered {
        let p = cache
            .get(&claim.coverage_id)
            .ok_or_else(|| StoreError::corrupt("claim", "parties not loaded"))?;
        let connection = p.payer.data.connection.as_ref();
        let sender = connection
            .and_then(|c| c.sender_id.clone())
            .unwrap_or_else(|| org.submitter().to_string());
        let receiver = connection
            .and_then(|c| c.receiver_id.clone())
            .unwrap_or_else(|| p.payer.data.payer_id.as_str().to_string());
        let name = p.payer.data.name.as_str().to_string();
        match &partners {
            None => partners = Some((sender, receiver, name)),
            Some((s, r, _)) if *s == sender && *r == receiver => {}
            Some((s, r, _)) => {
                return Err(setup(
                    "claim_ids",
                    format!(
                        "the claims go to different receivers ({s} → {r}, and {sender} → \
                         {receiver} for claim {}): make one file per receiver",
                        claim.claim_number
                    ),
                ))
            }
        }
        let form = form_of(claim);
        let written = claim_of(
            claim,
            claim.original_claim_id.and_then(|o| originals.get(&o)),
            provider.as_ref(),
        )?;
        let position = match forms.iter().position(|(f, _)| *f == form) {
            Some(i) => i,
            None => {
                forms.push((form, Vec::new()));
                forms.len() - 1
            }
        };
        let subscribers = &mut forms[position].1;
        match subscribers
            .iter_mut()
            .find(|(coverage, _)| *coverage == claim.coverage_id)
        {
            Some((_, loop_)) => loop_.claims.push(written),
            None => {
                unsendable.extend(unsendable_names(p, &claim.claim_number));
                subscribers.push((
                    claim.coverage_id,
                    SubscriberClaims837 {
                        subscriber: subscriber_of(p)?,
                        payer: Payer837 {
                            name: p.payer.data.name.as_str().to_string(),
                            id: p.payer.data.payer_id.as_str().to_string(),
                        },
                        claims: vec![written],
                    },
                ))
            }
        }
    }
    if !unsendable.is_empty() {
        return Err(FileError::Names(Invalid(unsendable)));
    }
    let Some((sender, receiver, payer_name)) = partners else {
        return Err(setup("claim_ids", "name at least one claim"));
    };
    let same_payer = ordered.iter().all(|c| c.payer_id == ordered[0].payer_id);
    let receiver_name = if same_payer {
        payer_name
    } else {
        receiver.clone()
    };

    let form_order: Vec<ClaimForm837> = forms.iter().map(|(f, _)| *f).collect();
    let groups = i64::try_from(forms.len()).unwrap_or(1);
    let interchange = claims::take_numbers(tx, "isa13", 1).await?;
    let first_group = claims::take_numbers(tx, "gs06", groups).await?;
    let first_set = claims::take_numbers(tx, "st02", groups).await?;
    let file_id = new_id();
    let timestamp = Utc::now().naive_utc();
    let mut batches = Vec::with_capacity(forms.len());
    for (i, (form, subscribers)) in forms.into_iter().enumerate() {
        let offset = i64::try_from(i).unwrap_or(0);
        batches.push(Batch837 {
            envelope: Envelope {
                sender: PartyId {
                    qualifier: "ZZ".into(),
                    id: sender.clone(),
                },
                receiver: PartyId {
                    qualifier: "ZZ".into(),
                    id: receiver.clone(),
                },
                application_sender: None,
                application_receiver: None,
                usage: Usage::Production,
                ack_requested: false,
                control_numbers: ControlNumbers {
                    interchange: control(interchange),
                    group: control(first_group + offset),
                    transaction_set: control(first_set + offset),
                },
                timestamp,
                delimiters: Delimiters::STANDARD,
            },
            form,
            batch_reference: file_id.simple().to_string(),
            submitter: Submitter837 {
                name: org.legal_name.as_str().to_string(),
                id: org.submitter().to_string(),
                contact_name: org.contact().to_string(),
                phone: org.phone.as_str().to_string(),
            },
            receiver: Receiver837 {
                name: receiver_name.clone(),
                id: receiver.clone(),
            },
            billing_provider: BillingProvider837::from(&org),
            subscribers: subscribers.into_iter().map(|(_, s)| s).collect(),
        });
    }
    let content = build_837_groups(batches)?;
    let claim_ids: Vec<Uuid> = ordered.iter().map(|c| c.id).collect();
    claims::insert_file(tx, file_id, interchange, &claim_ids, &content, user).await?;
    // A TA1 names the file by ISA13 and a 999 each set by GS06 and ST02: keep which claims
    // went under which numbers, so their acknowledgments find them.
    let sets: Vec<claims::FileSet> = ordered
        .iter()
        .map(|claim| {
            let offset = form_order
                .iter()
                .position(|f| *f == form_of(claim))
                .and_then(|i| i64::try_from(i).ok())
                .unwrap_or(0);
            claims::FileSet {
                claim_id: claim.id,
                interchange_control_number: i64::from(control(interchange)),
                group_control_number: i64::from(control(first_group + offset)),
                set_control_number: i64::from(control(first_set + offset)),
                functional_form: form_name(form_of(claim)),
            }
        })
        .collect();
    claims::insert_file_sets(tx, file_id, &sets).await?;
    Ok(ClaimFile {
        id: file_id,
        interchange_control_number: interchange,
        claim_ids,
        content,
    })
}
