//! Building 837 claims: institutional (837I, 005010X223A2) and professional (837P,
//! 005010X222A1).
//!
//! One interchange, one functional group (`GS01=HC`), one transaction set holding the claims
//! of one or more subscribers, each with its own payer. Hierarchy written:
//!
//! ```text
//! ST BHT*0019*00*<batch>*<date>*<time>*CH
//! 1000A NM1*41 submitter  PER*IC          1000B NM1*40 receiver
//! 2000A HL*1**20*1  [PRV*BI*PXC]  2010AA NM1*85 N3 N4 REF*EI
//! for each subscriber, in the order given:
//!   2000B HL*n*1*22*0|1  SBR  2010BA NM1*IL [N3 N4] DMG  2010BB NM1*PR
//!     [2000C HL*n+1*n*23*0 PAT  2010CA NM1*QC [N3 N4] DMG]   (patient is not the subscriber)
//!     2300 CLM  (837I: DTP*434 CL1)  [REF*G1] [REF*F8]
//!          837I: HI*ABK [HI*ABF…] [HI*BG…]   837P: HI*ABK[*ABF…] (one segment)
//!          [2310A NM1*71 attending (837I) | 2310B NM1*82 rendering (837P)]
//!          2400 LX  SV2 (837I) | SV1 (837P)  DTP*472  REF*6R
//! SE
//! ```
//!
//! Every line carries its line item control number in `REF*6R`, which the payer echoes in the
//! 835 (2110 `REF*6R`) so each payment is posted to the line it pays. Its place is the order of
//! both guides' loop 2400: after the DTPs (837I: LX, SV2, PWK, DTP*472, REF*6R; 837P: LX, SV1,
//! … DTP*472 …, QTY, MEA, CN1, REF*9B, REF*9D, REF*G1, REF*6R, …).
//!
//! An 837I line without a procedure code is written with its revenue code alone
//! (`SV2*0905**250*UN*1`): SV202 is situational on the 837I, needed only when a HCPCS code
//! describes the service. The 837P has no revenue code, so SV101 always carries one.
//!
//! HL01 numbers the HLs 1, 2, 3 … in the order written; a 2000B's HL02 is `1`, a 2000C's is its
//! 2000B's HL01. HL04 is `1` on the 2000A, `1` on a 2000B with a 2000C under it, else `0`.
//! A subscriber with two dependent patients is given as two [`SubscriberClaims837`] (two 2000B
//! loops), which the guides allow.
//!
//! # Claim frequency
//!
//! CLM05-3 comes from [`Claim837::frequency`] on both forms: `1` original, `2`/`3`/`4` the
//! first/continuing/last interim claim of a long stay, `7` replacement, `8` void. On the 837I CLM05-1 is digits 2–3 of the type of bill and the type of bill's last
//! digit is ignored. A replacement or a void carries the payer's claim control number of the
//! claim it replaces in `REF*F8`, written right after `REF*G1` (the order of both guides:
//! 4N, 9F, G1, F8, …).
//!
//! # Amounts
//!
//! Money is `rust_decimal::Decimal`, never a float. Charges (`CLM02`, `SV203`, `SV102`) and
//! quantities (`SV205`, `SV104`) are written in the X12 `R` format: rounded to cents
//! (banker's rounding is never reached because a charge with more than two decimals is refused),
//! trailing zeros and a trailing point dropped: `250`, `250.5`, `333.33`. `CLM02` is computed as
//! the sum of the lines, so it always balances.
//!
//! # Text
//!
//! Free text — person and organization names (NM103/NM104 of every loop), address lines
//! (N301/N302), city (N401) and the submitter's contact name (PER02) — is cleaned with
//! [`clean_text`](super::writer::clean_text) before anything is checked: every delimiter of the
//! active set and every control character becomes a space, letters are uppercased and Latin
//! letters lose their diacritics (`José Núñez` → `JOSE NUNEZ`, `ß` → `SS`: the one
//! transliteration of `domain::names`), any other non-ASCII character becomes a space, runs of
//! spaces collapse and the ends are trimmed. A person's name that would lose a character that
//! way is refused before the file is built (`claim_files`). Lengths are checked on the cleaned text; a required
//! name or address line that cleans to nothing is refused with [`X12Error::InvalidInput`]
//! naming the element, and an optional one (first name, second address line) is left out.
//!
//! Identifiers and codes — member id, NPI, tax id, payer and submitter ids, group number,
//! patient control number, prior authorization, original claim reference, codes — are never
//! changed: one holding a delimiter or a character outside printable ASCII is refused with
//! [`X12Error::UnsafeText`] naming the field.
//!
//! # Reading back
//!
//! [`read_sent_837`] reads an 837 perdiem wrote back into what its acknowledgments name: each
//! transaction set's ISA13, GS06 and ST02, its form (by GS08) and the CLM01 of each of its
//! claims. A TA1 names the interchange and a 999 the group and set, never the claims.

use std::fmt::Write as _;

use arrayvec::ArrayVec;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::envelope::Interchange;
use super::error::X12Error;
use super::values::{format_d8, push_d8};
use super::writer::{
    check_len, check_text, clean_text, write_groups, Body, Envelope, Group, SegmentWriter,
    TransactionKind, WrittenBody,
};
use super::Delimiters;

/// A service line's procedure modifiers, at most (SV202-3..6, SV101-3..6).
const MAX_MODIFIERS: usize = 4;

/// GS01/ST01/GS08 of an 837I.
pub const KIND_837I: TransactionKind = TransactionKind {
    functional_id: "HC",
    transaction_set_id: "837",
    version: "005010X223A2",
};

/// GS01/ST01/GS08 of an 837P.
pub const KIND_837P: TransactionKind = TransactionKind {
    functional_id: "HC",
    transaction_set_id: "837",
    version: "005010X222A1",
};

/// Institutional (UB-04, 837I) or professional (CMS-1500, 837P).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimForm837 {
    Institutional,
    Professional,
}

impl ClaimForm837 {
    pub fn kind(self) -> TransactionKind {
        match self {
            ClaimForm837::Institutional => KIND_837I,
            ClaimForm837::Professional => KIND_837P,
        }
    }
}

/// DMG03.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Female,
    Male,
    Unknown,
}

impl Sex {
    fn code(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
            Sex::Unknown => "U",
        }
    }
}

/// N3/N4. `zip` is 5 or 9 digits (the billing provider's must be 9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address837 {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// Two-letter state code.
    pub state: String,
    pub zip: String,
}

/// 1000A — who sends the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitter837 {
    /// NM103, 1–60 characters.
    pub name: String,
    /// NM109 (qualifier `46`), 2–80 characters.
    pub id: String,
    /// PER02 contact name.
    pub contact_name: String,
    /// PER04 with qualifier `TE`, digits only.
    pub phone: String,
}

/// 1000B — the payer or clearinghouse receiving the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver837 {
    /// NM103, 1–60 characters.
    pub name: String,
    /// NM109 (qualifier `46`), 2–80 characters.
    pub id: String,
}

/// 2000A/2010AA — the clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingProvider837 {
    pub name: String,
    /// 10 digits.
    pub npi: String,
    /// REF*EI: the 9-digit employer identification number, no dash.
    pub tax_id: String,
    /// PRV*BI*PXC, 10 characters, when known.
    pub taxonomy: Option<String>,
    pub address: Address837,
}

/// The patient when the patient is not the subscriber (2000C/2010CA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient837 {
    /// PAT01 individual relationship code: `01` spouse, `19` child, `20` employee, `21`
    /// unknown, `39` organ donor, `40` cadaver donor, `53` life partner, `G8` other.
    pub relationship: String,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    /// 2010CA N3/N4: required by both guides; `None` is refused by [`build_837`].
    pub address: Option<Address837>,
}

/// 2000B/2010BA — the policy holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber837 {
    /// SBR01: `P` primary, `S` secondary, `T` tertiary.
    pub responsibility: String,
    /// SBR03 group number.
    pub group_number: Option<String>,
    /// SBR09 claim filing indicator (`CI` commercial, `MB` Medicare B, `MC` Medicaid, …).
    pub claim_filing_indicator: String,
    pub last_name: String,
    pub first_name: String,
    /// NM109 with qualifier `MI`.
    pub member_id: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub address: Option<Address837>,
    /// `None` when the patient is the subscriber (SBR02 = `18`).
    pub patient: Option<Patient837>,
}

/// 2010BB — the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer837 {
    pub name: String,
    /// NM109 with qualifier `PI`.
    pub id: String,
}

/// An individual provider (attending on 837I, rendering on 837P).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPerson837 {
    pub last_name: String,
    pub first_name: String,
    /// 10 digits.
    pub npi: String,
}

/// Where the claim was provided: the type of bill (837I) or the place of service (837P).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facility837 {
    /// 837I: the 4-digit type of bill (`0131`); CLM05-1 = digits 2–3 (`13`). Its last digit
    /// is ignored: CLM05-3 is [`Claim837::frequency`].
    TypeOfBill(String),
    /// 837P: the 2-digit place of service (`57`); CLM05-1.
    PlaceOfService(String),
}

/// CLM05-3, the claim frequency type code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimFrequency {
    /// `1`: an original claim.
    Original,
    /// `2`, `3`, `4`: an interim claim of a long stay — first, continuing, last.
    FirstInterim,
    ContinuingInterim,
    LastInterim,
    /// `7`: replaces the claim the payer knows as `original_reference` (REF*F8, 1–50
    /// characters, the payer claim control number from its 835 CLP07).
    Replacement {
        original_reference: String,
    },
    /// `8`: voids (cancels) the claim the payer knows as `original_reference` (REF*F8).
    Void {
        original_reference: String,
    },
}

impl ClaimFrequency {
    /// The CLM05-3 code: `1`, `2`, `3`, `4`, `7` or `8`.
    pub fn code(&self) -> &'static str {
        match self {
            ClaimFrequency::Original => "1",
            ClaimFrequency::FirstInterim => "2",
            ClaimFrequency::ContinuingInterim => "3",
            ClaimFrequency::LastInterim => "4",
            ClaimFrequency::Replacement { .. } => "7",
            ClaimFrequency::Void { .. } => "8",
        }
    }

    /// The payer claim control number written in REF*F8, for a replacement or a void.
    pub fn original_reference(&self) -> Option<&str> {
        match self {
            ClaimFrequency::Original
            | ClaimFrequency::FirstInterim
            | ClaimFrequency::ContinuingInterim
            | ClaimFrequency::LastInterim => None,
            ClaimFrequency::Replacement { original_reference }
            | ClaimFrequency::Void { original_reference } => Some(original_reference),
        }
    }
}

/// CL1 (837I only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institutional837 {
    /// CL101 admission type, when known.
    pub admission_type: Option<String>,
    /// CL102 point of origin, when known.
    pub admission_source: Option<String>,
    /// CL103 patient discharge status (`01` discharged home, `30` still patient).
    pub discharge_status: String,
    /// HI*BG condition codes (`92` IOP, `41` PHP).
    pub condition_codes: Vec<String>,
}

/// One service line (2400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line837 {
    /// SV201 4-digit revenue code; required on the 837I, refused on the 837P.
    pub revenue_code: Option<String>,
    /// HCPCS/CPT code (`S9480`, `H0015`) of SV202/SV101: optional on the 837I, required on
    /// the 837P.
    pub procedure_code: Option<String>,
    /// Up to 4 two-character modifiers, written after the procedure code (so only with one).
    pub modifiers: Vec<String>,
    /// Line charge, at most two decimals, not negative.
    pub charge: Decimal,
    /// Units (SV204/SV103 `UN`), positive.
    pub units: Decimal,
    /// DTP*472 date of service.
    pub service_date: NaiveDate,
    /// REF*6R line item control number, 1–50 characters, unique among the lines we send
    /// ([`crate::domain::claim::line_control_number`]).
    pub control_number: String,
}

/// One claim (2300).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim837 {
    /// CLM01 patient control number, 1–38 characters (echoed in the 835 CLP01).
    pub patient_control_number: String,
    pub facility: Facility837,
    /// CLM05-3, and REF*F8 for a replacement or a void.
    pub frequency: ClaimFrequency,
    /// DTP*434 statement period (837I; ignored on the 837P).
    pub statement_from: NaiveDate,
    pub statement_through: NaiveDate,
    /// CL1 and condition codes; required on the 837I, refused on the 837P.
    pub institutional: Option<Institutional837>,
    /// REF*G1.
    pub prior_authorization: Option<String>,
    /// ICD-10-CM, with or without the dot (written without: `F33.2` → `F332`).
    pub principal_diagnosis: String,
    /// At most 11 on the 837P (12 diagnoses in all), 24 on the 837I.
    pub other_diagnoses: Vec<String>,
    /// NM1*71 (837I attending) or NM1*82 (837P rendering), when it differs from the billing
    /// provider.
    pub provider: Option<ProviderPerson837>,
    pub lines: Vec<Line837>,
}

/// One subscriber (2000B, with its 2000C when the patient is someone else), the payer billed
/// for them (2010BB) and their claims (2300).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberClaims837 {
    pub subscriber: Subscriber837,
    pub payer: Payer837,
    /// One or more claims, all of the batch's `form`.
    pub claims: Vec<Claim837>,
}

/// Everything needed to write one 837 interchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch837 {
    pub envelope: Envelope,
    /// The form of every claim of the batch.
    pub form: ClaimForm837,
    /// BHT03, 1–50 characters.
    pub batch_reference: String,
    pub submitter: Submitter837,
    pub receiver: Receiver837,
    pub billing_provider: BillingProvider837,
    /// One or more subscribers, written in this order (possibly for different payers).
    pub subscribers: Vec<SubscriberClaims837>,
}

/// Writes the 837 interchange (ISA … IEA).
pub fn build_837(batch: &Batch837) -> Result<String, X12Error> {
    build_837_groups(vec![batch.clone()])
}

/// Writes one interchange with one functional group per batch (an 837I group and an 837P
/// group, say). The ISA comes from the first batch's envelope; each batch brings its own GS06
/// and ST02 in its envelope's control numbers. All batches must share the interchange's
/// sender, receiver and delimiters.
pub fn build_837_groups(batches: Vec<Batch837>) -> Result<String, X12Error> {
    let Some(first) = batches.first() else {
        return Err(invalid(
            "batches",
            "an interchange holds at least one batch",
        ));
    };
    let same = |b: &Batch837| {
        b.envelope.sender == first.envelope.sender
            && b.envelope.receiver == first.envelope.receiver
            && b.envelope.delimiters == first.envelope.delimiters
    };
    if !batches.iter().all(same) {
        return Err(invalid(
            "batches",
            "every group of an interchange has the same sender, receiver and delimiters",
        ));
    }
    let envelope = first.envelope.clone();
    let written = batches
        .into_iter()
        .map(|b| {
            let head = (b.form.kind(), b.envelope.control_numbers);
            body_837(b).map(|body| (head, body))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let groups: Vec<Group> = written
        .iter()
        .map(|((kind, numbers), body)| Group {
            kind: *kind,
            group_control: numbers.group,
            transaction_set_control: numbers.transaction_set,
            body: Body::Written(body),
        })
        .collect();
    write_groups(&envelope, &groups)
}

/// One transaction set of an 837 perdiem wrote, by the numbers its acknowledgments name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent837Set {
    /// ISA13.
    pub interchange_control_number: String,
    /// GS06.
    pub group_control_number: String,
    /// ST02.
    pub set_control_number: String,
    /// By GS08: `005010X223A2` institutional, `005010X222A1` professional.
    pub form: ClaimForm837,
    /// CLM01 of each claim of the set, in file order.
    pub claim_numbers: Vec<String>,
}

/// Every transaction set of an 837 interchange perdiem wrote, with its control numbers and
/// its claims' CLM01s. The envelope is checked whole (counts, trailers, control numbers of 1–9
/// digits); a group of another guide or a set other than an 837 is an error.
pub fn read_sent_837(input: &[u8]) -> Result<Vec<Sent837Set>, X12Error> {
    let parsed = Interchange::parse(input)?;
    let mut sets = Vec::new();
    for group in &parsed.groups {
        let form = if group.header.version == KIND_837I.version {
            ClaimForm837::Institutional
        } else if group.header.version == KIND_837P.version {
            ClaimForm837::Professional
        } else {
            return Err(X12Error::UnsupportedVersion {
                element: "GS08",
                found: group.header.version.chars().take(12).collect(),
                expected: "005010X223A2 or 005010X222A1",
            });
        };
        for set in &group.transaction_sets {
            if set.id != "837" {
                return Err(X12Error::UnexpectedTransaction {
                    expected: "837",
                    found: set.id.chars().take(3).collect(),
                });
            }
            sets.push(Sent837Set {
                interchange_control_number: parsed.header.control_number.clone(),
                group_control_number: group.header.control_number.clone(),
                set_control_number: set.control_number.clone(),
                form,
                claim_numbers: set
                    .segments
                    .iter()
                    .filter(|s| s.id() == "CLM")
                    .filter_map(|s| s.value(1))
                    .map(str::to_owned)
                    .collect(),
            });
        }
    }
    Ok(sets)
}

impl From<&crate::domain::person::Address> for Address837 {
    /// The postal code's dash, if any, is dropped (`62701-1234` → `627011234`).
    fn from(a: &crate::domain::person::Address) -> Address837 {
        Address837 {
            line1: a.line1.as_str().to_owned(),
            line2: a.line2.as_ref().map(|l| l.as_str().to_owned()),
            city: a.city.as_str().to_owned(),
            state: a.state.clone(),
            zip: a.postal_code.replace('-', ""),
        }
    }
}

impl From<&crate::domain::organization::Organization> for BillingProvider837 {
    /// The clinic as billing provider (2010AA), with its taxonomy in PRV*BI.
    fn from(o: &crate::domain::organization::Organization) -> BillingProvider837 {
        BillingProvider837 {
            name: o.legal_name.as_str().to_owned(),
            npi: o.npi.as_str().to_owned(),
            tax_id: o.tax_id.clone(),
            taxonomy: Some(o.taxonomy_code.clone()),
            address: Address837::from(&o.address),
        }
    }
}

impl Claim837 {
    /// The 2300/2400 loops of a claim from the claim builder's draft.
    ///
    /// `frequency` is CLM05-3 on both forms (the draft's type of bill's last digit is
    /// ignored). `discharge_status` is CL103 (837I only; ignored on the 837P). A line without
    /// a HCPCS code is an 837I line with its revenue code alone; the 837P refuses it.
    pub fn from_draft(
        draft: &crate::domain::claim::DraftClaim,
        patient_control_number: String,
        frequency: ClaimFrequency,
        discharge_status: &str,
        provider: Option<ProviderPerson837>,
    ) -> Result<Claim837, X12Error> {
        use crate::domain::fee_schedule::ClaimSetup;
        let (facility, institutional) = match &draft.claim {
            ClaimSetup::Institutional {
                type_of_bill,
                condition_codes,
            } => (
                Facility837::TypeOfBill(type_of_bill.as_str().to_owned()),
                Some(Institutional837 {
                    admission_type: None,
                    admission_source: None,
                    discharge_status: discharge_status.to_owned(),
                    condition_codes: condition_codes
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect(),
                }),
            ),
            ClaimSetup::Professional { place_of_service } => (
                Facility837::PlaceOfService(place_of_service.as_str().to_owned()),
                None,
            ),
        };
        let professional = institutional.is_none();
        let mut lines = Vec::with_capacity(draft.lines.len());
        for (i, l) in draft.lines.iter().enumerate() {
            let line_number = u32::try_from(i + 1).unwrap_or(u32::MAX);
            lines.push(Line837 {
                revenue_code: (!professional).then(|| l.revenue_code.as_str().to_owned()),
                procedure_code: l.hcpcs.as_ref().map(|h| h.as_str().to_owned()),
                modifiers: l.modifiers.iter().map(|m| m.as_str().to_owned()).collect(),
                charge: l.charge,
                units: Decimal::from(l.units),
                service_date: l.date,
                control_number: crate::domain::claim::line_control_number(
                    &patient_control_number,
                    line_number,
                ),
            });
        }
        Ok(Claim837 {
            patient_control_number,
            facility,
            frequency,
            statement_from: draft.statement_from,
            statement_through: draft.statement_through,
            institutional,
            prior_authorization: draft
                .authorization_number
                .as_ref()
                .map(|a| a.as_str().to_owned()),
            principal_diagnosis: draft.principal_diagnosis.without_dot(),
            other_diagnoses: draft
                .other_diagnoses
                .iter()
                .map(|d| d.without_dot())
                .collect(),
            provider,
            lines,
        })
    }
}

/// `R` format of a money amount or quantity: `250`, `250.5`, `333.33`.
pub fn format_amount(value: Decimal) -> String {
    let mut out = String::new();
    push_amount(&mut out, value);
    out
}

/// [`format_amount`] into a reused buffer (cleared first).
fn push_amount(out: &mut String, value: Decimal) {
    out.clear();
    let value = value.normalize();
    if value.is_zero() {
        out.push('0');
    } else {
        // Writing into a String cannot fail.
        let _ = write!(out, "{value}");
    }
}

/// The segments between ST and SE, after cleaning free text and checking every input.
pub fn body_837(batch: Batch837) -> Result<WrittenBody, X12Error> {
    let d = batch.envelope.delimiters;
    let b = &cleaned(batch, &d);
    check_inputs(b)?;
    let mut w = SegmentWriter::with_capacity(d, body_bytes(b));
    let ts = b.envelope.timestamp;
    let (date, time) = (
        ts.format("%Y%m%d").to_string(),
        ts.format("%H%M").to_string(),
    );
    w.segment(
        "BHT",
        &[
            &["0019"],
            &["00"],
            &[&b.batch_reference],
            &[&date],
            &[&time],
            &["CH"],
        ],
    )?;
    // 1000A submitter, 1000B receiver.
    nm1(
        &mut w,
        "41",
        "2",
        &b.submitter.name,
        "",
        "46",
        &b.submitter.id,
    )?;
    w.segment(
        "PER",
        &[
            &["IC"],
            &[&b.submitter.contact_name],
            &["TE"],
            &[&b.submitter.phone],
        ],
    )?;
    nm1(
        &mut w,
        "40",
        "2",
        &b.receiver.name,
        "",
        "46",
        &b.receiver.id,
    )?;
    // 2000A billing provider.
    w.segment("HL", &[&["1"], &[], &["20"], &["1"]])?;
    let bp = &b.billing_provider;
    if let Some(t) = &bp.taxonomy {
        w.segment("PRV", &[&["BI"], &["PXC"], &[t]])?;
    }
    nm1(&mut w, "85", "2", &bp.name, "", "XX", &bp.npi)?;
    address(&mut w, &bp.address)?;
    w.segment("REF", &[&["EI"], &[&bp.tax_id]])?;
    let mut numbers = Numbers::default();
    let mut hl = 1u32;
    for group in &b.subscribers {
        // 2000B subscriber, child of the billing provider.
        hl += 1;
        let subscriber_hl = hl.to_string();
        let sub = &group.subscriber;
        let self_patient = sub.patient.is_none();
        let child = if self_patient { "0" } else { "1" };
        w.segment("HL", &[&[&subscriber_hl], &["1"], &["22"], &[child]])?;
        let relationship = if self_patient { "18" } else { "" };
        let group_number = sub.group_number.as_deref().unwrap_or("");
        w.segment(
            "SBR",
            &[
                &[&sub.responsibility],
                &[relationship],
                &[group_number],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[&sub.claim_filing_indicator],
            ],
        )?;
        nm1(
            &mut w,
            "IL",
            "1",
            &sub.last_name,
            &sub.first_name,
            "MI",
            &sub.member_id,
        )?;
        if let Some(a) = &sub.address {
            address(&mut w, a)?;
        }
        dmg(&mut w, sub.birth_date, sub.sex)?;
        nm1(
            &mut w,
            "PR",
            "2",
            &group.payer.name,
            "",
            "PI",
            &group.payer.id,
        )?;
        // 2000C patient, child of this subscriber.
        if let Some(p) = &sub.patient {
            hl += 1;
            w.segment(
                "HL",
                &[&[&hl.to_string()], &[&subscriber_hl], &["23"], &["0"]],
            )?;
            w.segment("PAT", &[&[&p.relationship]])?;
            nm1(&mut w, "QC", "1", &p.last_name, &p.first_name, "", "")?;
            if let Some(a) = &p.address {
                address(&mut w, a)?;
            }
            dmg(&mut w, p.birth_date, p.sex)?;
        }
        for claim in &group.claims {
            write_claim(&mut w, b.form, claim, &mut numbers)?;
        }
    }
    Ok(w.finish())
}

/// An upper estimate of the body's length, so its text is allocated once: a service line
/// (LX, SV2 or SV1, DTP*472, REF*6R) is under 140 bytes, a claim's own segments under 400 plus its
/// diagnoses and codes, a subscriber's loops under 800.
fn body_bytes(b: &Batch837) -> usize {
    let claims = b.subscribers.iter().flat_map(|s| &s.claims);
    let per_claim: usize = claims
        .map(|c| {
            let codes = c.other_diagnoses.len()
                + c.institutional
                    .as_ref()
                    .map_or(0, |i| i.condition_codes.len());
            400 + 16 * codes + 140 * c.lines.len()
        })
        .sum();
    1_024 + 800 * b.subscribers.len() + per_claim
}

/// `b` with every free-text value passed through [`clean_text`]; an optional value that
/// cleans to nothing becomes absent (first names are written empty).
fn cleaned(mut b: Batch837, d: &Delimiters) -> Batch837 {
    let text = |v: &mut String| *v = clean_text(v, d);
    let address = |a: &mut Address837| {
        text(&mut a.line1);
        a.line2 = a
            .line2
            .as_deref()
            .map(|l| clean_text(l, d))
            .filter(|l| !l.is_empty());
        text(&mut a.city);
    };
    text(&mut b.submitter.name);
    text(&mut b.submitter.contact_name);
    text(&mut b.receiver.name);
    text(&mut b.billing_provider.name);
    address(&mut b.billing_provider.address);
    for group in &mut b.subscribers {
        let sub = &mut group.subscriber;
        text(&mut sub.last_name);
        text(&mut sub.first_name);
        sub.address.iter_mut().for_each(address);
        if let Some(p) = &mut sub.patient {
            text(&mut p.last_name);
            text(&mut p.first_name);
            p.address.iter_mut().for_each(address);
        }
        text(&mut group.payer.name);
        for claim in &mut group.claims {
            if let Some(p) = &mut claim.provider {
                text(&mut p.last_name);
                text(&mut p.first_name);
            }
        }
    }
    b
}

/// Reused buffers for the numbers and dates of each service line (100,000 lines a file).
#[derive(Default)]
struct Numbers {
    line: String,
    charge: String,
    units: String,
    date: String,
}

fn write_claim(
    w: &mut SegmentWriter,
    form: ClaimForm837,
    c: &Claim837,
    n: &mut Numbers,
) -> Result<(), X12Error> {
    let total: Decimal = c.lines.iter().map(|l| l.charge).sum();
    let total = format_amount(total);
    // CLM05-3 is the claim's frequency; a type of bill's own last digit is ignored.
    let frequency = c.frequency.code();
    let (facility, qualifier) = match &c.facility {
        Facility837::TypeOfBill(tob) => (tob.get(1..3).unwrap_or_default(), "A"),
        Facility837::PlaceOfService(code) => (code.as_str(), "B"),
    };
    // CLM06 provider signature on file: required on the 837P, not used on the 837I.
    // CLM07 `A` assigned, CLM08 `Y` benefits assigned, CLM09 `Y` release of information.
    let clm06 = match form {
        ClaimForm837::Institutional => "",
        ClaimForm837::Professional => "Y",
    };
    w.segment(
        "CLM",
        &[
            &[&c.patient_control_number],
            &[&total],
            &[],
            &[],
            &[facility, qualifier, frequency],
            &[clm06],
            &["A"],
            &["Y"],
            &["Y"],
        ],
    )?;
    if let (ClaimForm837::Institutional, Some(inst)) = (form, &c.institutional) {
        let period = format!(
            "{}-{}",
            format_d8(c.statement_from),
            format_d8(c.statement_through)
        );
        w.segment("DTP", &[&["434"], &["RD8"], &[&period]])?;
        w.segment(
            "CL1",
            &[
                &[inst.admission_type.as_deref().unwrap_or("")],
                &[inst.admission_source.as_deref().unwrap_or("")],
                &[&inst.discharge_status],
            ],
        )?;
    }
    // REF order in 2300, both guides: 4N, (F5, EW,) 9F, G1, F8, …
    if let Some(auth) = &c.prior_authorization {
        w.segment("REF", &[&["G1"], &[auth]])?;
    }
    if let Some(original) = c.frequency.original_reference() {
        w.segment("REF", &[&["F8"], &[original]])?;
    }
    let principal = icd(&c.principal_diagnosis);
    let others: Vec<String> = c.other_diagnoses.iter().map(|dx| icd(dx)).collect();
    let others: Vec<[&str; 2]> = others.iter().map(|dx| ["ABF", dx.as_str()]).collect();
    let others: Vec<&[&str]> = others.iter().map(|e| &e[..]).collect();
    let principal: [&str; 2] = ["ABK", &principal];
    match form {
        // 837I: HI*ABK alone, then HI segments of up to 12 ABF each.
        ClaimForm837::Institutional => {
            w.segment("HI", &[&principal])?;
            for chunk in others.chunks(12) {
                w.segment("HI", chunk)?;
            }
        }
        // 837P: one HI, ABK in HI01 and up to 11 ABF in HI02-HI12.
        ClaimForm837::Professional => {
            let elements: Vec<&[&str]> = std::iter::once(&principal[..])
                .chain(others.iter().copied())
                .collect();
            w.segment("HI", &elements)?;
        }
    }
    if let Some(inst) = &c.institutional {
        let codes: Vec<[&str; 2]> = inst
            .condition_codes
            .iter()
            .map(|cc| ["BG", cc.as_str()])
            .collect();
        let codes: Vec<&[&str]> = codes.iter().map(|e| &e[..]).collect();
        for chunk in codes.chunks(12) {
            w.segment("HI", chunk)?;
        }
    }
    if let Some(p) = &c.provider {
        let entity = match form {
            ClaimForm837::Institutional => "71",
            ClaimForm837::Professional => "82",
        };
        nm1(w, entity, "1", &p.last_name, &p.first_name, "XX", &p.npi)?;
    }
    for (i, line) in c.lines.iter().enumerate() {
        n.line.clear();
        write!(n.line, "{}", i + 1).map_err(|_| invalid("LX01", "could not be written"))?;
        w.segment("LX", &[&[&n.line]])?;
        // SV202/SV101: `HC:code[:modifier…]`, or nothing on an 837I line priced by its
        // revenue code alone (checked: no modifiers then).
        let mut procedure: ArrayVec<&str, { 2 + MAX_MODIFIERS }> = ArrayVec::new();
        if let Some(code) = &line.procedure_code {
            procedure.push("HC");
            procedure.push(code);
            for modifier in &line.modifiers {
                procedure
                    .try_push(modifier)
                    .map_err(|_| invalid("modifiers", "at most four a line"))?;
            }
        }
        push_amount(&mut n.charge, line.charge);
        push_amount(&mut n.units, line.units);
        match form {
            ClaimForm837::Institutional => w.segment(
                "SV2",
                &[
                    &[line.revenue_code.as_deref().unwrap_or("")],
                    &procedure,
                    &[&n.charge],
                    &["UN"],
                    &[&n.units],
                ],
            )?,
            // SV107: diagnosis pointer 1 (the principal diagnosis).
            ClaimForm837::Professional => w.segment(
                "SV1",
                &[
                    &procedure,
                    &[&n.charge],
                    &["UN"],
                    &[&n.units],
                    &[],
                    &[],
                    &["1"],
                ],
            )?,
        }
        n.date.clear();
        push_d8(&mut n.date, line.service_date);
        w.segment("DTP", &[&["472"], &["D8"], &[&n.date]])?;
        w.segment("REF", &[&["6R"], &[&line.control_number]])?;
    }
    Ok(())
}

/// ICD-10-CM as HI carries it: no dot.
fn icd(code: &str) -> String {
    code.replace('.', "")
}

fn nm1(
    w: &mut SegmentWriter,
    entity: &str,
    kind: &str,
    last: &str,
    first: &str,
    id_qualifier: &str,
    id: &str,
) -> Result<(), X12Error> {
    w.segment(
        "NM1",
        &[
            &[entity],
            &[kind],
            &[last],
            &[first],
            &[],
            &[],
            &[],
            &[id_qualifier],
            &[id],
        ],
    )
}

fn address(w: &mut SegmentWriter, a: &Address837) -> Result<(), X12Error> {
    w.segment("N3", &[&[&a.line1], &[a.line2.as_deref().unwrap_or("")]])?;
    w.segment("N4", &[&[&a.city], &[&a.state], &[&a.zip]])
}

fn dmg(w: &mut SegmentWriter, birth: NaiveDate, sex: Sex) -> Result<(), X12Error> {
    let birth = format_d8(birth);
    w.segment("DMG", &[&["D8"], &[&birth], &[sex.code()]])
}

fn invalid(field: &'static str, reason: &'static str) -> X12Error {
    X12Error::InvalidInput { field, reason }
}

fn digits(field: &'static str, value: &str, n: usize) -> Result<(), X12Error> {
    if value.len() != n || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(field, "has the wrong number of digits"));
    }
    Ok(())
}

fn code(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), X12Error> {
    check_len(field, value, min, max)?;
    if !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid(field, "must be letters or digits"));
    }
    Ok(())
}

/// A required free-text value after cleaning: `min..=max` characters, with a clear reason
/// when cleaning left nothing.
fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), X12Error> {
    if value.is_empty() && min > 0 {
        return Err(invalid(
            field,
            "is empty (after replacing delimiters and control characters)",
        ));
    }
    check_len(field, value, min, max)
}

/// An identifier, never cleaned: `min..=max` characters, no delimiter, printable ASCII.
fn identifier(
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
    d: &Delimiters,
) -> Result<(), X12Error> {
    check_text(field, value, d)?;
    check_len(field, value, min, max)
}

fn check_address(prefix: &'static str, a: &Address837, zip9: bool) -> Result<(), X12Error> {
    text(prefix, &a.line1, 1, 55)?;
    if let Some(l2) = &a.line2 {
        text(prefix, l2, 1, 55)?;
    }
    text(prefix, &a.city, 2, 30)?;
    code(prefix, &a.state, 2, 2)?;
    let zip_ok = a.zip.bytes().all(|b| b.is_ascii_digit())
        && (a.zip.len() == 9 || (!zip9 && a.zip.len() == 5));
    if !zip_ok {
        return Err(invalid(
            prefix,
            "ZIP must be 9 digits (5 or 9 for patients)",
        ));
    }
    Ok(())
}

/// Checks the (already cleaned) batch.
fn check_inputs(b: &Batch837) -> Result<(), X12Error> {
    let d = &b.envelope.delimiters;
    identifier("batch_reference (BHT03)", &b.batch_reference, 1, 50, d)?;
    text("submitter.name (NM103)", &b.submitter.name, 1, 60)?;
    identifier("submitter.id (NM109)", &b.submitter.id, 2, 80, d)?;
    text(
        "submitter.contact_name (PER02)",
        &b.submitter.contact_name,
        1,
        60,
    )?;
    if b.submitter.phone.len() < 10 || !b.submitter.phone.bytes().all(|c| c.is_ascii_digit()) {
        return Err(invalid(
            "submitter.phone (PER04)",
            "must be 10 or more digits",
        ));
    }
    text("receiver.name (NM103)", &b.receiver.name, 1, 60)?;
    identifier("receiver.id (NM109)", &b.receiver.id, 2, 80, d)?;
    let bp = &b.billing_provider;
    text("billing_provider.name (NM103)", &bp.name, 1, 60)?;
    digits("billing_provider.npi (NM109)", &bp.npi, 10)?;
    digits("billing_provider.tax_id (REF02)", &bp.tax_id, 9)?;
    if let Some(t) = &bp.taxonomy {
        code("billing_provider.taxonomy (PRV03)", t, 10, 10)?;
    }
    check_address("billing_provider.address (N3/N4)", &bp.address, true)?;
    if b.subscribers.is_empty() {
        return Err(invalid("subscribers", "at least one subscriber is needed"));
    }
    for group in &b.subscribers {
        check_subscriber(b.form, group, d)?;
    }
    Ok(())
}

fn check_subscriber(
    form: ClaimForm837,
    group: &SubscriberClaims837,
    d: &Delimiters,
) -> Result<(), X12Error> {
    let sub = &group.subscriber;
    if !matches!(sub.responsibility.as_str(), "P" | "S" | "T") {
        return Err(invalid(
            "subscriber.responsibility (SBR01)",
            "must be P, S or T",
        ));
    }
    if let Some(g) = &sub.group_number {
        identifier("subscriber.group_number (SBR03)", g, 1, 50, d)?;
    }
    code(
        "subscriber.claim_filing_indicator (SBR09)",
        &sub.claim_filing_indicator,
        1,
        2,
    )?;
    text("subscriber.last_name (NM103)", &sub.last_name, 1, 60)?;
    text("subscriber.first_name (NM104)", &sub.first_name, 0, 35)?;
    identifier("subscriber.member_id (NM109)", &sub.member_id, 2, 80, d)?;
    if let Some(a) = &sub.address {
        check_address("subscriber.address (N3/N4)", a, false)?;
    }
    if let Some(p) = &sub.patient {
        code("patient.relationship (PAT01)", &p.relationship, 2, 2)?;
        text("patient.last_name (NM103)", &p.last_name, 1, 60)?;
        text("patient.first_name (NM104)", &p.first_name, 0, 35)?;
        // 2010CA N3/N4 are required by both guides.
        let Some(a) = &p.address else {
            return Err(invalid(
                "patient.address (N3/N4)",
                "is required for a patient who is not the subscriber",
            ));
        };
        check_address("patient.address (N3/N4)", a, false)?;
    }
    text("payer.name (NM103)", &group.payer.name, 1, 60)?;
    identifier("payer.id (NM109)", &group.payer.id, 2, 80, d)?;
    if group.claims.is_empty() {
        return Err(invalid(
            "subscribers.claims",
            "at least one claim per subscriber is needed",
        ));
    }
    for c in &group.claims {
        check_claim(form, c, d)?;
    }
    Ok(())
}

fn check_claim(form: ClaimForm837, c: &Claim837, d: &Delimiters) -> Result<(), X12Error> {
    identifier(
        "claim.patient_control_number (CLM01)",
        &c.patient_control_number,
        1,
        38,
        d,
    )?;
    if let Some(original) = c.frequency.original_reference() {
        identifier(
            "claim.frequency original_reference (REF*F8)",
            original,
            1,
            50,
            d,
        )?;
    }
    match (&c.facility, form) {
        (Facility837::TypeOfBill(tob), ClaimForm837::Institutional) => {
            digits("claim.facility type of bill (CLM05)", tob, 4)?;
        }
        (Facility837::PlaceOfService(pos), ClaimForm837::Professional) => {
            digits("claim.facility place of service (CLM05-1)", pos, 2)?;
        }
        _ => {
            return Err(invalid(
                "claim.facility (CLM05)",
                "type of bill on 837I, place of service on 837P",
            ))
        }
    }
    match (form, &c.institutional) {
        (ClaimForm837::Institutional, Some(inst)) => {
            code(
                "claim.institutional.discharge_status (CL103)",
                &inst.discharge_status,
                1,
                2,
            )?;
            for v in [&inst.admission_type, &inst.admission_source]
                .into_iter()
                .flatten()
            {
                code("claim.institutional (CL101/CL102)", v, 1, 2)?;
            }
            for cc in &inst.condition_codes {
                code("claim.institutional.condition_codes (HI*BG)", cc, 1, 30)?;
            }
        }
        (ClaimForm837::Institutional, None) => {
            return Err(invalid("claim.institutional (CL1)", "required on the 837I"))
        }
        (ClaimForm837::Professional, Some(_)) => {
            return Err(invalid("claim.institutional (CL1)", "not used on the 837P"))
        }
        (ClaimForm837::Professional, None) => {}
    }
    if c.statement_through < c.statement_from {
        return Err(invalid(
            "claim.statement period (DTP*434)",
            "ends before it starts",
        ));
    }
    if let Some(a) = &c.prior_authorization {
        identifier("claim.prior_authorization (REF*G1)", a, 1, 50, d)?;
    }
    code(
        "claim.principal_diagnosis (HI ABK)",
        &icd(&c.principal_diagnosis),
        3,
        7,
    )?;
    let max_other = match form {
        ClaimForm837::Institutional => 24,
        ClaimForm837::Professional => 11,
    };
    if c.other_diagnoses.len() > max_other {
        return Err(invalid(
            "claim.other_diagnoses (HI ABF)",
            "too many diagnoses",
        ));
    }
    for dx in &c.other_diagnoses {
        code("claim.other_diagnoses (HI ABF)", &icd(dx), 3, 7)?;
    }
    if let Some(p) = &c.provider {
        text("claim.provider.last_name (NM103)", &p.last_name, 1, 60)?;
        text("claim.provider.first_name (NM104)", &p.first_name, 0, 35)?;
        digits("claim.provider.npi (NM109)", &p.npi, 10)?;
    }
    if c.lines.is_empty() || c.lines.len() > 999 {
        return Err(invalid("claim.lines", "must hold 1 to 999 lines"));
    }
    for l in &c.lines {
        match (form, &l.revenue_code) {
            (ClaimForm837::Institutional, Some(rc)) => digits("line.revenue_code (SV201)", rc, 4)?,
            (ClaimForm837::Institutional, None) => {
                return Err(invalid("line.revenue_code (SV201)", "required on the 837I"))
            }
            (ClaimForm837::Professional, Some(_)) => {
                return Err(invalid("line.revenue_code", "not used on the 837P"))
            }
            (ClaimForm837::Professional, None) => {}
        }
        match (form, &l.procedure_code) {
            (_, Some(procedure)) => code("line.procedure_code (SV2/SV1 HC)", procedure, 5, 5)?,
            (ClaimForm837::Professional, None) => {
                return Err(invalid(
                    "line.procedure_code (SV101)",
                    "required on the 837P",
                ))
            }
            (ClaimForm837::Institutional, None) if !l.modifiers.is_empty() => {
                return Err(invalid(
                    "line.modifiers (SV202)",
                    "need a procedure code to follow",
                ))
            }
            (ClaimForm837::Institutional, None) => {}
        }
        if l.modifiers.len() > 4 {
            return Err(invalid("line.modifiers", "at most 4"));
        }
        for m in &l.modifiers {
            code("line.modifiers", m, 2, 2)?;
        }
        if l.charge.is_sign_negative() || l.charge.round_dp(2) != l.charge {
            return Err(invalid(
                "line.charge",
                "must be non-negative with at most 2 decimals",
            ));
        }
        if l.units <= Decimal::ZERO {
            return Err(invalid("line.units", "must be positive"));
        }
        identifier("line.control_number (REF*6R)", &l.control_number, 1, 50, d)?;
        if l.service_date < c.statement_from || l.service_date > c.statement_through {
            return Err(invalid(
                "line.service_date (DTP*472)",
                "outside the statement period",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x12::delimiters::Delimiters;
    use crate::x12::envelope::Usage;
    use crate::x12::writer::{ControlNumbers, PartyId};

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, d).unwrap()
    }

    fn envelope(n: u32) -> Envelope {
        Envelope {
            sender: PartyId {
                qualifier: "ZZ".into(),
                id: "SUBMITTERID".into(),
            },
            receiver: PartyId {
                qualifier: "ZZ".into(),
                id: "ACMEPAYER".into(),
            },
            application_sender: None,
            application_receiver: None,
            usage: Usage::Production,
            ack_requested: false,
            control_numbers: ControlNumbers {
                interchange: n,
                group: n,
                transaction_set: 1,
            },
            timestamp: date(2, 1).and_hms_opt(10, 30, 0).unwrap(),
            delimiters: Delimiters::STANDARD,
        }
    }

    fn line(revenue_code: Option<&str>, code: &str, charge: Decimal, day: u32) -> Line837 {
        Line837 {
            revenue_code: revenue_code.map(str::to_owned),
            procedure_code: Some(code.into()),
            modifiers: vec![],
            charge,
            units: dec("1"),
            service_date: date(1, day),
            control_number: format!("PCN0001-{day}"),
        }
    }

    fn batch(form: ClaimForm837) -> Batch837 {
        let institutional = form == ClaimForm837::Institutional;
        let (facility, inst, lines, provider) = if institutional {
            (
                Facility837::TypeOfBill("0131".into()),
                Some(Institutional837 {
                    admission_type: Some("3".into()),
                    admission_source: Some("1".into()),
                    discharge_status: "01".into(),
                    condition_codes: vec!["92".into()],
                }),
                vec![
                    line(Some("0905"), "S9480", dec("250.00"), 20),
                    line(Some("0905"), "S9480", dec("250.00"), 21),
                    line(Some("0905"), "S9480", dec("333.33"), 22),
                ],
                ProviderPerson837 {
                    last_name: "SMITH".into(),
                    first_name: "ANNA".into(),
                    npi: "1245319599".into(),
                },
            )
        } else {
            (
                Facility837::PlaceOfService("57".into()),
                None,
                vec![
                    line(None, "H0015", dec("250"), 20),
                    line(None, "H0015", dec("250.50"), 21),
                    line(None, "H0015", dec("250"), 22),
                ],
                ProviderPerson837 {
                    last_name: "JONES".into(),
                    first_name: "MARK".into(),
                    npi: "1679576722".into(),
                },
            )
        };
        Batch837 {
            envelope: envelope(if institutional { 201 } else { 202 }),
            form,
            batch_reference: "BATCH0201".into(),
            submitter: Submitter837 {
                name: "SUNRISE BEHAVIORAL HEALTH".into(),
                id: "SUBMITTERID".into(),
                contact_name: "BILLING OFFICE".into(),
                phone: "5555550100".into(),
            },
            receiver: Receiver837 {
                name: "ACME HEALTH PLAN".into(),
                id: "ACMEPAYER".into(),
            },
            billing_provider: BillingProvider837 {
                name: "SUNRISE BEHAVIORAL HEALTH".into(),
                npi: "1234567893".into(),
                tax_id: "123456789".into(),
                taxonomy: Some("324500000X".into()),
                address: Address837 {
                    line1: "100 MAIN ST".into(),
                    line2: None,
                    city: "SPRINGFIELD".into(),
                    state: "IL".into(),
                    zip: "627011234".into(),
                },
            },
            subscribers: vec![SubscriberClaims837 {
                subscriber: Subscriber837 {
                    responsibility: "P".into(),
                    group_number: Some("GRP001".into()),
                    claim_filing_indicator: "CI".into(),
                    last_name: "DOE".into(),
                    first_name: "JANE".into(),
                    member_id: "W123456789".into(),
                    birth_date: NaiveDate::from_ymd_opt(1985, 3, 12).unwrap(),
                    sex: Sex::Female,
                    address: Some(Address837 {
                        line1: "5 ELM ST".into(),
                        line2: None,
                        city: "SPRINGFIELD".into(),
                        state: "IL".into(),
                        zip: "62702".into(),
                    }),
                    patient: None,
                },
                payer: Payer837 {
                    name: "ACME HEALTH PLAN".into(),
                    id: "12345".into(),
                },
                claims: vec![Claim837 {
                    patient_control_number: "PCN0001".into(),
                    facility,
                    frequency: ClaimFrequency::Original,
                    statement_from: date(1, 20),
                    statement_through: date(1, 22),
                    institutional: inst,
                    prior_authorization: Some("AUTH123456".into()),
                    principal_diagnosis: "F33.2".into(),
                    other_diagnoses: vec!["F41.1".into(), "F10.20".into()],
                    provider: Some(provider),
                    lines,
                }],
            }],
        }
    }

    fn segments(x12: &str) -> Vec<&str> {
        x12.split('~').filter(|s| !s.is_empty()).collect()
    }

    fn oracle_accepts(name: &str, x12: &str) {
        let Some((ok, report)) = crate::oracles::check("x12-check", name, x12) else {
            return;
        };
        assert!(ok, "x12-check refused {name}:\n{report}\n{x12}");
    }

    #[test]
    fn a_written_837_reads_back_into_its_control_numbers_and_claims() {
        let institutional = batch(ClaimForm837::Institutional);
        let mut professional = batch(ClaimForm837::Professional);
        professional.envelope.control_numbers.transaction_set = 2;
        let numbers = |b: &Batch837| -> Vec<String> {
            b.subscribers
                .iter()
                .flat_map(|s| s.claims.iter().map(|c| c.patient_control_number.clone()))
                .collect()
        };
        let (claims_i, claims_p) = (numbers(&institutional), numbers(&professional));
        let text = build_837_groups(vec![institutional, professional]).unwrap();
        let sets = read_sent_837(text.as_bytes()).unwrap();
        assert_eq!(
            sets,
            vec![
                Sent837Set {
                    interchange_control_number: "000000201".into(),
                    group_control_number: "201".into(),
                    set_control_number: "0001".into(),
                    form: ClaimForm837::Institutional,
                    claim_numbers: claims_i,
                },
                Sent837Set {
                    interchange_control_number: "000000201".into(),
                    group_control_number: "202".into(),
                    set_control_number: "0002".into(),
                    form: ClaimForm837::Professional,
                    claim_numbers: claims_p,
                },
            ]
        );
        assert!(!sets[0].claim_numbers.is_empty());

        // Not an 837 of ours: another guide, or no interchange at all.
        let other_guide = text.replace("005010X222A1", "005010X221A1");
        assert!(matches!(
            read_sent_837(other_guide.as_bytes()),
            Err(X12Error::UnsupportedVersion { .. })
        ));
        assert!(read_sent_837(b"not x12").is_err());
    }

    #[test]
    fn institutional_837_has_the_claim_segments_and_passes_the_oracle() {
        let x12 = build_837(&batch(ClaimForm837::Institutional)).unwrap();
        let s = segments(&x12);
        assert!(s.contains(&"GS*HC*SUBMITTERID*ACMEPAYER*20250201*1030*201*X*005010X223A2"));
        assert!(s.contains(&"ST*837*0001*005010X223A2"));
        // 250 + 250 + 333.33
        assert!(s.contains(&"CLM*PCN0001*833.33***13:A:1**A*Y*Y"));
        assert!(s.contains(&"DTP*434*RD8*20250120-20250122"));
        assert!(s.contains(&"CL1*3*1*01"));
        assert!(s.contains(&"REF*G1*AUTH123456"));
        assert!(s.contains(&"HI*ABK:F332"));
        assert!(s.contains(&"HI*ABF:F411*ABF:F1020"));
        assert!(s.contains(&"HI*BG:92"));
        assert!(s.contains(&"NM1*71*1*SMITH*ANNA****XX*1245319599"));
        let st = s.iter().position(|x| x.starts_with("ST*")).unwrap();
        let se = s.iter().position(|x| x.starts_with("SE*")).unwrap();
        // Loop 2400 in the 005010X223A2 order, REF*6R after DTP*472, up to the SE.
        let lx = s.iter().position(|x| *x == "LX*1").unwrap();
        assert_eq!(
            s[lx..se],
            [
                "LX*1",
                "SV2*0905*HC:S9480*250*UN*1",
                "DTP*472*D8*20250120",
                "REF*6R*PCN0001-20",
                "LX*2",
                "SV2*0905*HC:S9480*250*UN*1",
                "DTP*472*D8*20250121",
                "REF*6R*PCN0001-21",
                "LX*3",
                "SV2*0905*HC:S9480*333.33*UN*1",
                "DTP*472*D8*20250122",
                "REF*6R*PCN0001-22",
            ]
        );
        assert_eq!(s[se], format!("SE*{}*0001", se - st + 1));
        oracle_accepts("claim837i.x12", &x12);
    }

    #[test]
    fn professional_837_has_the_claim_segments_and_passes_the_oracle() {
        let x12 = build_837(&batch(ClaimForm837::Professional)).unwrap();
        let s = segments(&x12);
        assert!(s.contains(&"GS*HC*SUBMITTERID*ACMEPAYER*20250201*1030*202*X*005010X222A1"));
        assert!(s.contains(&"CLM*PCN0001*750.5***57:B:1*Y*A*Y*Y"));
        assert!(s.contains(&"REF*G1*AUTH123456"));
        assert!(s.contains(&"HI*ABK:F332*ABF:F411*ABF:F1020"));
        assert!(s.contains(&"NM1*82*1*JONES*MARK****XX*1679576722"));
        assert!(!x12.contains("CL1*") && !x12.contains("DTP*434") && !x12.contains("SV2*"));
        let lx = s.iter().position(|x| *x == "LX*1").unwrap();
        let se = s.iter().position(|x| x.starts_with("SE*")).unwrap();
        // Loop 2400 in the 005010X222A1 order, REF*6R after DTP*472, up to the SE.
        assert_eq!(
            s[lx..se],
            [
                "LX*1",
                "SV1*HC:H0015*250*UN*1***1",
                "DTP*472*D8*20250120",
                "REF*6R*PCN0001-20",
                "LX*2",
                "SV1*HC:H0015*250.5*UN*1***1",
                "DTP*472*D8*20250121",
                "REF*6R*PCN0001-21",
                "LX*3",
                "SV1*HC:H0015*250*UN*1***1",
                "DTP*472*D8*20250122",
                "REF*6R*PCN0001-22",
            ]
        );
        oracle_accepts("claim837p.x12", &x12);
    }

    #[test]
    fn a_dependent_patient_gets_loop_2000c_and_passes_the_oracle() {
        for form in [ClaimForm837::Institutional, ClaimForm837::Professional] {
            let mut b = batch(form);
            b.subscribers[0].subscriber.patient = Some(Patient837 {
                relationship: "19".into(),
                last_name: "DOE".into(),
                first_name: "SAM".into(),
                birth_date: NaiveDate::from_ymd_opt(2010, 6, 1).unwrap(),
                sex: Sex::Male,
                address: b.subscribers[0].subscriber.address.clone(),
            });
            let x12 = build_837(&b).unwrap();
            let s = segments(&x12);
            assert!(s.contains(&"HL*2*1*22*1"));
            assert!(s.contains(&"SBR*P**GRP001******CI"));
            assert!(s.contains(&"HL*3*2*23*0"));
            assert!(s.contains(&"PAT*19"));
            assert!(s.contains(&"NM1*QC*1*DOE*SAM"));
            oracle_accepts("claim837dep.x12", &x12);
        }
    }

    #[test]
    fn two_claims_share_one_subscriber_loop_and_pass_the_oracle() {
        for form in [ClaimForm837::Institutional, ClaimForm837::Professional] {
            let mut b = batch(form);
            let mut second = b.subscribers[0].claims[0].clone();
            second.patient_control_number = "PCN0002".into();
            second.lines.truncate(1);
            b.subscribers[0].claims.push(second);
            let x12 = build_837(&b).unwrap();
            let s = segments(&x12);
            let clms: Vec<&str> = s.iter().copied().filter(|x| x.starts_with("CLM")).collect();
            assert_eq!(clms.len(), 2);
            assert!(clms[1].starts_with("CLM*PCN0002*250*"));
            assert_eq!(s.iter().filter(|x| x.starts_with("HL*")).count(), 2);
            oracle_accepts("claim837two.x12", &x12);
        }
    }

    #[test]
    fn a_draft_claim_becomes_an_837i_and_an_837p_the_oracle_accepts() {
        use crate::domain::claim::{ClaimLine, DraftClaim};
        use crate::domain::eligibility::{LevelOfCare, Program};
        use crate::domain::episode::Icd10;
        use crate::domain::fee_schedule::{
            ClaimSetup, ConditionCode, Hcpcs, PlaceOfService, RevenueCode, TypeOfBill,
        };
        let day = |d: u32| ClaimLine {
            date: date(1, d),
            service_index: None,
            program: Program::MentalHealth,
            revenue_code: RevenueCode::parse("0905".into()).unwrap(),
            hcpcs: Some(Hcpcs::parse("S9480".into()).unwrap()),
            modifiers: vec![],
            units: 1,
            charge: dec("250.00"),
            expected: None,
        };
        let mut draft = DraftClaim {
            client_id: uuid::Uuid::nil(),
            coverage_id: uuid::Uuid::nil(),
            payer_id: uuid::Uuid::nil(),
            level_of_care: LevelOfCare::Iop,
            authorization_id: None,
            authorization_number: Some(
                crate::domain::authorization::PayerReference::parse("AUTH9".into()).unwrap(),
            ),
            period_from: date(1, 20),
            period_through: date(1, 26),
            statement_from: date(1, 20),
            statement_through: date(1, 22),
            claim: ClaimSetup::Institutional {
                type_of_bill: TypeOfBill::parse("0131".into()).unwrap(),
                condition_codes: vec![ConditionCode::parse("92".into()).unwrap()],
            },
            principal_diagnosis: Icd10::parse("F33.2".into()).unwrap(),
            other_diagnoses: vec![Icd10::parse("F41.1".into()).unwrap()],
            lines: vec![day(20), day(21), day(22)],
            total_charge: dec("750.00"),
            expected_reimbursement: None,
            warnings: Vec::new(),
        };
        let mut b = batch(ClaimForm837::Institutional);
        b.subscribers[0].claims =
            vec![
                Claim837::from_draft(&draft, "PCN9".into(), ClaimFrequency::Original, "01", None)
                    .unwrap(),
            ];
        let x12 = build_837(&b).unwrap();
        let s = segments(&x12);
        assert!(s.contains(&"CLM*PCN9*750***13:A:1**A*Y*Y"));
        assert!(s.contains(&"REF*G1*AUTH9"));
        let control: Vec<&str> = s
            .iter()
            .copied()
            .filter(|x| x.starts_with("REF*6R"))
            .collect();
        assert_eq!(control, ["REF*6R*PCN9-1", "REF*6R*PCN9-2", "REF*6R*PCN9-3"]);
        assert!(s.contains(&"HI*ABK:F332"));
        assert!(s.contains(&"HI*ABF:F411"));
        assert!(s.contains(&"HI*BG:92"));
        oracle_accepts("draft837i.x12", &x12);

        draft.claim = ClaimSetup::Professional {
            place_of_service: PlaceOfService::parse("57".into()).unwrap(),
        };
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].claims =
            vec![
                Claim837::from_draft(&draft, "PCN9".into(), ClaimFrequency::Original, "01", None)
                    .unwrap(),
            ];
        let x12 = build_837(&b).unwrap();
        assert!(segments(&x12).contains(&"CLM*PCN9*750***57:B:1*Y*A*Y*Y"));
        oracle_accepts("draft837p.x12", &x12);
        let void = ClaimFrequency::Void {
            original_reference: "PAYER77".into(),
        };
        b.subscribers[0].claims =
            vec![Claim837::from_draft(&draft, "PCN9".into(), void, "01", None).unwrap()];
        let x12 = build_837(&b).unwrap();
        let s = segments(&x12);
        assert!(s.contains(&"CLM*PCN9*750***57:B:8*Y*A*Y*Y"));
        assert!(s.contains(&"REF*F8*PAYER77"));
        oracle_accepts("draft837pvoid.x12", &x12);

        // Without a HCPCS code the 837P has nothing for SV101; the 837I writes the revenue
        // code alone.
        draft.lines[0].hcpcs = None;
        b.subscribers[0].claims =
            vec![
                Claim837::from_draft(&draft, "PCN9".into(), ClaimFrequency::Original, "01", None)
                    .unwrap(),
            ];
        assert_eq!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "line.procedure_code (SV101)",
                reason: "required on the 837P"
            })
        );
        draft.claim = ClaimSetup::Institutional {
            type_of_bill: TypeOfBill::parse("0131".into()).unwrap(),
            condition_codes: vec![],
        };
        let mut b = batch(ClaimForm837::Institutional);
        b.subscribers[0].claims =
            vec![
                Claim837::from_draft(&draft, "PCN9".into(), ClaimFrequency::Original, "01", None)
                    .unwrap(),
            ];
        let x12 = build_837(&b).unwrap();
        assert!(segments(&x12).contains(&"SV2*0905**250*UN*1"));
        oracle_accepts("draft837i-revenue-code-only.x12", &x12);
    }

    #[test]
    fn an_837i_line_without_a_procedure_code_has_its_revenue_code_alone_and_passes_the_oracle() {
        let mut b = batch(ClaimForm837::Institutional);
        for line in &mut b.subscribers[0].claims[0].lines {
            line.procedure_code = None;
        }
        let x12 = build_837(&b).unwrap();
        let lines: Vec<&str> = segments(&x12)
            .into_iter()
            .filter(|x| x.starts_with("SV2"))
            .collect();
        assert_eq!(
            lines,
            [
                "SV2*0905**250*UN*1",
                "SV2*0905**250*UN*1",
                "SV2*0905**333.33*UN*1"
            ]
        );
        oracle_accepts("revenue-code-only837i.x12", &x12);

        // Modifiers follow a procedure code; without one there is nowhere to write them.
        b.subscribers[0].claims[0].lines[0].modifiers = vec!["HQ".into()];
        assert_eq!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "line.modifiers (SV202)",
                reason: "need a procedure code to follow"
            })
        );
    }

    fn subscriber(last: &str, first: &str, member_id: &str) -> Subscriber837 {
        Subscriber837 {
            responsibility: "P".into(),
            group_number: None,
            claim_filing_indicator: "CI".into(),
            last_name: last.into(),
            first_name: first.into(),
            member_id: member_id.into(),
            birth_date: NaiveDate::from_ymd_opt(1970, 7, 4).unwrap(),
            sex: Sex::Male,
            address: None,
            patient: None,
        }
    }

    /// Three subscribers for two payers: DOE (self, ACME), ROE with the patient SAM ROE (OTHER)
    /// and POE (self, ACME, two claims).
    fn three_subscribers(form: ClaimForm837) -> Batch837 {
        let mut b = batch(form);
        let claim = b.subscribers[0].claims[0].clone();
        let mut roe = subscriber("ROE", "RICHARD", "R555");
        roe.patient = Some(Patient837 {
            relationship: "19".into(),
            last_name: "ROE".into(),
            first_name: "SAM".into(),
            birth_date: NaiveDate::from_ymd_opt(2011, 2, 3).unwrap(),
            sex: Sex::Male,
            address: b.subscribers[0].subscriber.address.clone(),
        });
        let other = Payer837 {
            name: "OTHER HEALTH".into(),
            id: "67890".into(),
        };
        let acme = b.subscribers[0].payer.clone();
        let with_pcn = |pcn: &str| Claim837 {
            patient_control_number: pcn.into(),
            ..claim.clone()
        };
        b.subscribers.push(SubscriberClaims837 {
            subscriber: roe,
            payer: other,
            claims: vec![with_pcn("PCN0002")],
        });
        b.subscribers.push(SubscriberClaims837 {
            subscriber: subscriber("POE", "PAT", "P777"),
            payer: acme,
            claims: vec![with_pcn("PCN0003"), with_pcn("PCN0004")],
        });
        b
    }

    #[test]
    fn three_subscribers_for_two_payers_share_one_transaction_and_pass_the_oracle() {
        for form in [ClaimForm837::Institutional, ClaimForm837::Professional] {
            let x12 = build_837(&three_subscribers(form)).unwrap();
            let s = segments(&x12);
            let hls: Vec<&str> = s.iter().copied().filter(|x| x.starts_with("HL*")).collect();
            assert_eq!(
                hls,
                [
                    "HL*1**20*1",
                    "HL*2*1*22*0",
                    "HL*3*1*22*1",
                    "HL*4*3*23*0",
                    "HL*5*1*22*0"
                ]
            );
            // Each subscriber's loop holds its payer and its claims, in order.
            let order: Vec<&str> = s
                .iter()
                .copied()
                .filter(|x| {
                    ["HL*", "SBR*", "NM1*IL", "NM1*PR", "NM1*QC", "CLM*"]
                        .iter()
                        .any(|p| x.starts_with(p))
                })
                .map(|x| x.get(..x.len().min(12)).unwrap())
                .collect();
            assert_eq!(
                order,
                [
                    "HL*1**20*1",
                    "HL*2*1*22*0",
                    "SBR*P*18*GRP",
                    "NM1*IL*1*DOE",
                    "NM1*PR*2*ACM",
                    "CLM*PCN0001*",
                    "HL*3*1*22*1",
                    "SBR*P*******",
                    "NM1*IL*1*ROE",
                    "NM1*PR*2*OTH",
                    "HL*4*3*23*0",
                    "NM1*QC*1*ROE",
                    "CLM*PCN0002*",
                    "HL*5*1*22*0",
                    "SBR*P*18****",
                    "NM1*IL*1*POE",
                    "NM1*PR*2*ACM",
                    "CLM*PCN0003*",
                    "CLM*PCN0004*",
                ]
            );
            assert!(s.contains(&"NM1*PR*2*OTHER HEALTH*****PI*67890"));
            let st = s.iter().position(|x| x.starts_with("ST*")).unwrap();
            let se = s.iter().position(|x| x.starts_with("SE*")).unwrap();
            assert_eq!(s[se], format!("SE*{}*0001", se - st + 1));
            oracle_accepts("claim837multi.x12", &x12);
        }
    }

    #[test]
    fn a_patient_without_an_address_is_refused() {
        let mut b = three_subscribers(ClaimForm837::Institutional);
        b.subscribers[1]
            .subscriber
            .patient
            .as_mut()
            .unwrap()
            .address = None;
        assert!(matches!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "patient.address (N3/N4)",
                ..
            })
        ));
    }

    #[test]
    fn every_subscriber_needs_a_claim() {
        let mut b = three_subscribers(ClaimForm837::Professional);
        b.subscribers[1].claims.clear();
        assert!(matches!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "subscribers.claims",
                ..
            })
        ));
    }

    #[test]
    fn interim_claims_carry_their_frequency_without_ref_f8_and_pass_the_oracle() {
        for (frequency, code) in [
            (ClaimFrequency::FirstInterim, "2"),
            (ClaimFrequency::ContinuingInterim, "3"),
            (ClaimFrequency::LastInterim, "4"),
        ] {
            let mut b = batch(ClaimForm837::Institutional);
            b.subscribers[0].claims[0].frequency = frequency;
            let x12 = build_837(&b).unwrap();
            let s = segments(&x12);
            let clm05 = format!("CLM*PCN0001*833.33***13:A:{code}*");
            assert!(s.iter().any(|x| x.starts_with(&clm05)), "{clm05}\n{x12}");
            assert!(!s.iter().any(|x| x.starts_with("REF*F8")));
            oracle_accepts(&format!("claim837interim{code}.x12"), &x12);
        }
    }

    #[test]
    fn void_and_replacement_claims_carry_clm05_3_and_ref_f8_and_pass_the_oracle() {
        for form in [ClaimForm837::Institutional, ClaimForm837::Professional] {
            for (frequency, code) in [
                (
                    ClaimFrequency::Replacement {
                        original_reference: "PAYERCLM0001".into(),
                    },
                    "7",
                ),
                (
                    ClaimFrequency::Void {
                        original_reference: "PAYERCLM0001".into(),
                    },
                    "8",
                ),
            ] {
                let mut b = batch(form);
                b.subscribers[0].claims[0].frequency = frequency;
                let x12 = build_837(&b).unwrap();
                let s = segments(&x12);
                let clm05 = match form {
                    ClaimForm837::Institutional => format!("CLM*PCN0001*833.33***13:A:{code}*"),
                    ClaimForm837::Professional => format!("CLM*PCN0001*750.5***57:B:{code}*"),
                };
                assert!(s.iter().any(|x| x.starts_with(&clm05)), "{clm05}\n{x12}");
                // REF*F8 right after REF*G1, as both guides order them.
                let g1 = s.iter().position(|x| *x == "REF*G1*AUTH123456").unwrap();
                assert_eq!(s[g1 + 1], "REF*F8*PAYERCLM0001");
                oracle_accepts(&format!("claim837freq{code}.x12"), &x12);

                // Without a prior authorization REF*F8 stands alone, before the HI.
                b.subscribers[0].claims[0].prior_authorization = None;
                let x12 = build_837(&b).unwrap();
                let s = segments(&x12);
                let f8 = s.iter().position(|x| *x == "REF*F8*PAYERCLM0001").unwrap();
                assert!(s[f8 + 1].starts_with("HI*ABK"));
                oracle_accepts(&format!("claim837freq{code}noauth.x12"), &x12);
            }
            // An original claim has no REF*F8.
            let x12 = build_837(&batch(form)).unwrap();
            assert!(!x12.contains("REF*F8"));
        }
    }

    #[test]
    fn the_837i_frequency_comes_from_the_claim_not_the_type_of_bill() {
        let mut b = batch(ClaimForm837::Institutional);
        b.subscribers[0].claims[0].facility = Facility837::TypeOfBill("0137".into());
        let x12 = build_837(&b).unwrap();
        assert!(segments(&x12).contains(&"CLM*PCN0001*833.33***13:A:1**A*Y*Y"));
        assert!(!x12.contains("REF*F8"));
    }

    #[test]
    fn a_bad_original_reference_is_refused_naming_the_element() {
        for bad in ["", "PAYER*1", "A".repeat(51).as_str()] {
            let mut b = batch(ClaimForm837::Professional);
            b.subscribers[0].claims[0].frequency = ClaimFrequency::Void {
                original_reference: bad.into(),
            };
            match build_837(&b) {
                Err(X12Error::InvalidInput { field, .. }) => {
                    assert_eq!(field, "claim.frequency original_reference (REF*F8)")
                }
                Err(X12Error::UnsafeText { field, .. }) => {
                    assert_eq!(field, "claim.frequency original_reference (REF*F8)")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn free_text_with_delimiters_is_cleaned_and_the_file_passes_the_oracle() {
        for form in [ClaimForm837::Institutional, ClaimForm837::Professional] {
            let clean = build_837(&batch(form)).unwrap();
            let mut b = batch(form);
            b.submitter.contact_name = "BILLING:OFFICE~".into();
            b.billing_provider.name = "SUNRISE*BEHAVIORAL^HEALTH".into();
            b.billing_provider.address.line1 = "100 MAIN ST~".into();
            let g = &mut b.subscribers[0];
            g.subscriber.last_name = "DOE*SMITH~".into();
            g.subscriber.first_name = " JA:NE^ ".into();
            let a = g.subscriber.address.as_mut().unwrap();
            a.line1 = "5 ELM ST*APT~2".into();
            a.line2 = Some("*~".into());
            a.city = "SPRING:FIELD".into();
            g.payer.name = "ACME^HEALTH\tPLAN".into();
            g.subscriber.patient = Some(Patient837 {
                relationship: "19".into(),
                last_name: "NÚÑEZ-DOE".into(),
                first_name: "JOSÉ\n".into(),
                birth_date: NaiveDate::from_ymd_opt(2010, 6, 1).unwrap(),
                sex: Sex::Male,
                address: Some(Address837 {
                    line1: "7 OAK AVE~".into(),
                    line2: None,
                    city: "SPRINGFIELD".into(),
                    state: "IL".into(),
                    zip: "62702".into(),
                }),
            });
            g.claims[0].provider.as_mut().unwrap().last_name = "O\u{2019}NEIL*".into();
            let x12 = build_837(&b).unwrap();
            let s = segments(&x12);
            assert!(s.contains(&"PER*IC*BILLING OFFICE*TE*5555550100"), "{x12}");
            assert!(s.contains(&"NM1*85*2*SUNRISE BEHAVIORAL HEALTH*****XX*1234567893"));
            assert!(s.contains(&"N3*100 MAIN ST"));
            assert!(s.contains(&"NM1*IL*1*DOE SMITH*JA NE****MI*W123456789"));
            assert!(s.contains(&"N3*5 ELM ST APT 2"));
            assert!(s.contains(&"N4*SPRING FIELD*IL*62702"));
            assert!(s.contains(&"NM1*PR*2*ACME HEALTH PLAN*****PI*12345"));
            assert!(s.contains(&"NM1*QC*1*NUNEZ-DOE*JOSE"));
            assert!(s
                .iter()
                .any(|x| x.starts_with("NM1*71*1*O'NEIL*") || x.starts_with("NM1*82*1*O'NEIL*")));
            assert!(s.contains(&"N3*7 OAK AVE"));
            // Same shape as the clean batch, plus the 2000C loop (HL PAT NM1 N3 N4 DMG).
            assert_eq!(s.len(), segments(&clean).len() + 6);
            oracle_accepts("claim837cleaned.x12", &x12);
        }
    }

    #[test]
    fn a_required_name_that_cleans_to_nothing_is_refused_naming_the_element() {
        let mut b = batch(ClaimForm837::Institutional);
        b.subscribers[0].subscriber.last_name = " *~:^ ".into();
        assert!(matches!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "subscriber.last_name (NM103)",
                ..
            })
        ));
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].payer.name = "\u{674e}".into();
        assert!(matches!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "payer.name (NM103)",
                ..
            })
        ));
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].claims[0]
            .provider
            .as_mut()
            .unwrap()
            .last_name = "^".into();
        assert!(matches!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "claim.provider.last_name (NM103)",
                ..
            })
        ));
        // An optional first name that cleans to nothing is left out.
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].subscriber.first_name = "*".into();
        let x12 = build_837(&b).unwrap();
        assert!(segments(&x12).contains(&"NM1*IL*1*DOE*****MI*W123456789"));
    }

    #[test]
    fn an_identifier_with_a_delimiter_is_refused_naming_the_element() {
        type Edit = fn(&mut Batch837);
        let cases: [(&str, Edit); 8] = [
            ("subscriber.member_id (NM109)", |b| {
                b.subscribers[0].subscriber.member_id = "W123*456".into()
            }),
            ("subscriber.group_number (SBR03)", |b| {
                b.subscribers[0].subscriber.group_number = Some("GRP~1".into())
            }),
            ("payer.id (NM109)", |b| {
                b.subscribers[0].payer.id = "12:345".into()
            }),
            ("submitter.id (NM109)", |b| b.submitter.id = "SUB^ID".into()),
            ("claim.patient_control_number (CLM01)", |b| {
                b.subscribers[0].claims[0].patient_control_number = "PCN*1".into()
            }),
            ("claim.prior_authorization (REF*G1)", |b| {
                b.subscribers[0].claims[0].prior_authorization = Some("AU~TH".into())
            }),
            ("batch_reference (BHT03)", |b| {
                b.batch_reference = "B*1".into()
            }),
            ("line.control_number (REF*6R)", |b| {
                b.subscribers[0].claims[0].lines[1].control_number = "PCN0001~2".into()
            }),
        ];
        for (expected, edit) in cases {
            let mut b = batch(ClaimForm837::Professional);
            edit(&mut b);
            match build_837(&b) {
                Err(X12Error::UnsafeText {
                    field,
                    problem: crate::x12::TextProblem::Delimiter(_),
                }) => assert_eq!(field, expected),
                other => panic!("{expected}: {other:?}"),
            }
        }
        // Non-ASCII in an identifier is refused too, not transliterated.
        let mut b = batch(ClaimForm837::Institutional);
        b.subscribers[0].subscriber.member_id = "WÉ123".into();
        assert!(matches!(
            build_837(&b),
            Err(X12Error::UnsafeText { field, .. }) if field == "subscriber.member_id (NM109)"
        ));
    }

    fn messy_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let c = prop_oneof![
            4 => proptest::char::range('A', 'Z'),
            2 => Just(' '),
            1 => proptest::sample::select(vec![
                '*', '~', ':', '^', '|', '{', '>', '\n', '\r', '\t', '\u{0}', '\u{1f}', '\u{7f}',
                '\u{a0}', 'É', 'ß', 'Æ', '\u{2019}', '\u{2026}', '\u{674e}', '\u{1F600}'
            ]),
            1 => any::<char>(),
        ];
        proptest::collection::vec(c, 0..40).prop_map(String::from_iter)
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 256, ..Default::default() })]
        #[test]
        fn arbitrary_names_never_break_the_segment_structure(
            last in messy_text(),
            first in messy_text(),
            line1 in messy_text(),
            city in messy_text(),
            payer in messy_text(),
            pipes in proptest::bool::ANY,
            form_i in proptest::bool::ANY,
        ) {
            let form = if form_i { ClaimForm837::Institutional } else { ClaimForm837::Professional };
            let mut b = batch(form);
            if pipes {
                b.envelope.delimiters = Delimiters::new('|', '{', '>', '\n').unwrap();
            }
            let expected = build_837(&b).unwrap();
            let t = b.envelope.delimiters.segment();
            let g = &mut b.subscribers[0];
            g.subscriber.last_name = last;
            g.subscriber.first_name = first;
            let a = g.subscriber.address.as_mut().unwrap();
            a.line1 = line1;
            a.city = city;
            g.payer.name = payer;
            match build_837(&b) {
                Ok(x12) => {
                    proptest::prop_assert_eq!(x12.matches(t).count(), expected.matches(t).count());
                    let parsed = crate::x12::tokenize(x12.as_bytes()).unwrap();
                    let ids: Vec<&str> = parsed.segments.iter().map(|s| s.id()).collect();
                    let expected_parsed = crate::x12::tokenize(expected.as_bytes()).unwrap();
                    let expected_ids: Vec<&str> =
                        expected_parsed.segments.iter().map(|s| s.id()).collect();
                    proptest::prop_assert_eq!(ids, expected_ids);
                    let il = parsed
                        .segments
                        .iter()
                        .find(|s| s.id() == "NM1" && s.element(1).map(|e| e.as_str()) == Some("IL"))
                        .unwrap();
                    // NM1*IL keeps its member id in NM109 whatever the names held.
                    proptest::prop_assert_eq!(il.element(9).map(|e| e.as_str()), Some("W123456789"));
                }
                // Names that clean to nothing (or grow too long) are refused, never written.
                Err(X12Error::InvalidInput { .. }) => {}
                Err(other) => proptest::prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn inputs_of_the_wrong_form_or_shape_are_refused() {
        let mut b = batch(ClaimForm837::Institutional);
        b.subscribers[0].claims[0].institutional = None;
        assert!(build_837(&b).is_err());
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].claims[0].facility = Facility837::TypeOfBill("0131".into());
        let mut b2 = batch(ClaimForm837::Institutional);
        b2.subscribers[0].claims[0].facility = Facility837::PlaceOfService("57".into());
        assert!(build_837(&b2).is_err());
        assert!(build_837(&b).is_err());
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].claims[0].lines[0].charge = dec("1.005");
        assert!(build_837(&b).is_err());
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].claims[0].lines[0].service_date = date(1, 25);
        assert!(build_837(&b).is_err());
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers[0].claims.clear();
        assert_eq!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "subscribers.claims",
                reason: "at least one claim per subscriber is needed"
            })
        );
        let mut b = batch(ClaimForm837::Professional);
        b.subscribers.clear();
        assert!(matches!(
            build_837(&b),
            Err(X12Error::InvalidInput {
                field: "subscribers",
                ..
            })
        ));
        let mut b = batch(ClaimForm837::Institutional);
        b.billing_provider.address.zip = "62701".into();
        assert!(build_837(&b).is_err());
        for bad in [String::new(), "L".repeat(51)] {
            let mut b = batch(ClaimForm837::Professional);
            b.subscribers[0].claims[0].lines[0].control_number = bad;
            assert!(matches!(
                build_837(&b),
                Err(X12Error::InvalidInput {
                    field: "line.control_number (REF*6R)",
                    ..
                })
            ));
        }
    }

    #[test]
    fn amounts_are_written_in_r_format() {
        assert_eq!(format_amount(dec("250.00")), "250");
        assert_eq!(format_amount(dec("250.50")), "250.5");
        assert_eq!(format_amount(dec("333.33")), "333.33");
        assert_eq!(format_amount(dec("0.00")), "0");
    }
}
