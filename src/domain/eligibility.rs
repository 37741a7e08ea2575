//! What a payer said about a member's benefits, whatever the protocol, and what it means for an
//! IOP or PHP course.
//!
//! Adapters (X12 271, JSON clearinghouse, FHIR) translate their wire format into an
//! [`EligibilityAnswer`]: the plan facts and a flat list of [`BenefitEntry`] rows in X12 terms
//! (EB01 info code, EB03 service types, EB06 period, EB12 network, …), each with the place it
//! came from. [`summarize`] then reads those rows for one level of care and program. It never
//! guesses: a figure the payer did not state is `None`, and every figure names its source.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Intensive outpatient or partial hospitalization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LevelOfCare {
    #[serde(rename = "IOP")]
    Iop,
    #[serde(rename = "PHP")]
    Php,
}

impl LevelOfCare {
    pub fn parse(raw: &str) -> Result<LevelOfCare, String> {
        match raw {
            "IOP" => Ok(LevelOfCare::Iop),
            "PHP" => Ok(LevelOfCare::Php),
            _ => Err("must be IOP or PHP".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LevelOfCare::Iop => "IOP",
            LevelOfCare::Php => "PHP",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Program {
    MentalHealth,
    SubstanceUse,
}

impl Program {
    pub fn parse(raw: &str) -> Result<Program, String> {
        match raw {
            "mental_health" => Ok(Program::MentalHealth),
            "substance_use" => Ok(Program::SubstanceUse),
            _ => Err("must be mental_health or substance_use".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Program::MentalHealth => "mental_health",
            Program::SubstanceUse => "substance_use",
        }
    }
}

/// The service type codes that answer for a level of care in a program, most specific first.
/// There is no IOP service type in 005010; payers answer IOP under outpatient psychiatric or
/// facility codes, PHP under BB (domain reference §1.5). The plan-wide `30` comes last: it is
/// what payers fall back to, and what carries the plan's coverage status.
pub fn service_types(level: LevelOfCare, program: Program) -> &'static [&'static str] {
    match (level, program) {
        (LevelOfCare::Php, Program::MentalHealth) => &["BB", "A7", "MH", "30"],
        (LevelOfCare::Iop, Program::MentalHealth) => &["A8", "CH", "CF", "MH", "30"],
        (LevelOfCare::Php, Program::SubstanceUse) | (LevelOfCare::Iop, Program::SubstanceUse) => {
            &["AI", "CJ", "AJ", "AK", "30"]
        }
    }
}

/// EB01, the kind of a benefit row (the codes perdiem reads; others are kept as `Other`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenefitKind {
    /// 1–5: active coverage (of some kind).
    ActiveCoverage,
    /// 6–8: inactive.
    Inactive,
    /// A
    CoInsurance,
    /// B
    CoPayment,
    /// C
    Deductible,
    /// G: out of pocket (stop loss).
    OutOfPocket,
    /// F
    Limitations,
    /// I
    NonCovered,
    /// U: contact the following entity for eligibility or benefit information.
    ContactEntity,
    /// R: other or additional payer (the member has other coverage).
    OtherPayer,
    /// W: other source of data (the entity that holds the benefit information).
    OtherSource,
    Other(String),
}

impl BenefitKind {
    /// Reads an X12 EB01 code (the JSON shape carries the same codes).
    pub fn from_code(code: &str) -> BenefitKind {
        match code {
            "1" | "2" | "3" | "4" | "5" => BenefitKind::ActiveCoverage,
            "6" | "7" | "8" => BenefitKind::Inactive,
            "A" => BenefitKind::CoInsurance,
            "B" => BenefitKind::CoPayment,
            "C" => BenefitKind::Deductible,
            "G" => BenefitKind::OutOfPocket,
            "F" => BenefitKind::Limitations,
            "I" => BenefitKind::NonCovered,
            "U" => BenefitKind::ContactEntity,
            "R" => BenefitKind::OtherPayer,
            "W" => BenefitKind::OtherSource,
            other => BenefitKind::Other(other.to_string()),
        }
    }
}

/// EB12: whether a row is about in-network or out-of-network care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkScope {
    /// Y
    In,
    /// N
    Out,
    /// W: not applicable — the row holds for both.
    Both,
    /// U, or not stated.
    Unknown,
}

impl NetworkScope {
    pub fn from_code(code: Option<&str>) -> NetworkScope {
        match code {
            Some("Y") => NetworkScope::In,
            Some("N") => NetworkScope::Out,
            Some("W") => NetworkScope::Both,
            _ => NetworkScope::Unknown,
        }
    }
}

/// Another entity named on a benefit (2120C/D, or `benefitsRelatedEntities`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedEntity {
    /// NM101, e.g. `PR` payer, `Y2` managed care organization, `VN` vendor.
    pub entity_code: Option<String>,
    pub name: Option<String>,
    /// NM108/NM109, e.g. `PI` and a payer id.
    pub id_qualifier: Option<String>,
    pub id: Option<String>,
    pub phone: Option<String>,
}

/// A reference attached to a benefit row (X12 2110C REF: `18` plan number, `6P` group number,
/// `IG` insurance policy number, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryReference {
    pub qualifier: String,
    pub value: String,
}

/// A date attached to a benefit row (X12 2110C DTP: `290` coordination of benefits, `346` plan
/// begin, `291` plan, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryDate {
    pub qualifier: String,
    pub begin: NaiveDate,
    /// The end of a range; `None` for a single date.
    pub end: Option<NaiveDate>,
}

/// The payer that answered (X12 2100A, JSON `payer`, FHIR `insurer`): a 2120 entity naming it
/// is the payer itself, not a carve-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AnsweringPayer {
    pub name: Option<String>,
    /// The payer's id as it gave it (2100A NM109, e.g. a `PI` payer id).
    pub id: Option<String>,
    /// The phone the payer gives for itself (2100A PER `TE`), for staff to call.
    pub phone: Option<String>,
}

/// Whom the payer says its answer is about, as it echoed them: compared with what we asked
/// before anything in the answer is believed (see `domain::identity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct AnsweredFor {
    /// The traces echoed in the patient's loop (X12 `TRN*2` TRN02, JSON `controlNumber`
    /// translated back to our trace by the adapter, FHIR `request`/`identifier`). Empty when the
    /// payer echoed none.
    pub traces: Vec<String>,
    /// The member id the payer answered for (2100C NM109, JSON `subscriber.memberId`, FHIR
    /// the coverage's `subscriberId`).
    pub member_id: Option<String>,
    /// Ids the payer says it replaced with `member_id` (X12 2100C `REF*Q4` prior identifier).
    pub prior_member_ids: Vec<String>,
    /// The patient (the dependent when the answer is about one).
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    /// The payer says it changed identifying data (X12 INS03 `001`, INS04 `25`).
    pub identity_corrected: bool,
    /// Where this was read, e.g. `271 2100C`.
    pub source: String,
}

/// One benefit row, in X12 terms, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenefitEntry {
    /// Provenance: the segment or JSON/FHIR path, e.g. `271 EB #4 (segment 23)`.
    pub source: String,
    pub kind: BenefitKind,
    /// EB02: IND, FAM, …
    pub coverage_level: Option<String>,
    /// EB03 (may repeat).
    pub service_types: Vec<String>,
    /// EB05: plan coverage description.
    pub plan_description: Option<String>,
    /// EB06: `23` calendar year, `29` remaining, `24` year to date, `7` day, `27` visit …
    pub time_period: Option<String>,
    /// EB07
    pub amount: Option<Decimal>,
    /// EB08, a fraction (`0.2` is 20 %).
    pub percent: Option<Decimal>,
    /// EB09: DY days, VS visits, …
    pub quantity_qualifier: Option<String>,
    /// EB10
    pub quantity: Option<Decimal>,
    /// EB11: Some(true) Y, Some(false) N, None U or absent.
    pub auth_required: Option<bool>,
    pub network: NetworkScope,
    /// MSG texts attached to the row.
    pub messages: Vec<String>,
    pub related_entities: Vec<RelatedEntity>,
    /// Places of service the row is limited to (X12 2115C `III*ZZ*22`; `22` outpatient
    /// hospital, `11` office, `53` community mental health center, …). Empty: not limited.
    pub places_of_service: Vec<String>,
    /// EB04 insurance type (`MB` Medicare Part B, `MC` Medicaid, …).
    pub insurance_type: Option<String>,
    /// REF on the row (2110C).
    pub references: Vec<EntryReference>,
    /// DTP on the row (2110C).
    pub dates: Vec<EntryDate>,
}

impl BenefitEntry {
    /// An empty row of `kind` from `source`, to be filled in by an adapter.
    pub fn new(source: impl Into<String>, kind: BenefitKind) -> BenefitEntry {
        BenefitEntry {
            source: source.into(),
            kind,
            coverage_level: None,
            service_types: Vec::new(),
            plan_description: None,
            time_period: None,
            amount: None,
            percent: None,
            quantity_qualifier: None,
            quantity: None,
            auth_required: None,
            network: NetworkScope::Unknown,
            messages: Vec::new(),
            related_entities: Vec::new(),
            places_of_service: Vec::new(),
            insurance_type: None,
            references: Vec::new(),
            dates: Vec::new(),
        }
    }
}

/// A payer's refusal of the inquiry (X12 AAA, JSON `errors[]`, FHIR `error`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayerRejection {
    /// AAA03, e.g. `72` invalid member id, `75` subscriber not found, `42` unable to respond.
    pub code: String,
    pub description: String,
    /// AAA04, e.g. `C` correct and resubmit.
    pub follow_up: Option<String>,
    pub source: String,
}

impl PayerRejection {
    /// Codes worth asking again for later (the payer could not answer now).
    pub fn is_transient(&self) -> bool {
        matches!(self.code.as_str(), "42" | "80")
    }
}

/// The protocol-neutral answer to one inquiry.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EligibilityAnswer {
    pub plan_name: Option<Sourced<String>>,
    pub plan_begin: Option<Sourced<NaiveDate>>,
    pub plan_end: Option<Sourced<NaiveDate>>,
    pub benefits: Vec<BenefitEntry>,
    pub rejections: Vec<PayerRejection>,
    /// Free text the payer attached outside any benefit row.
    pub messages: Vec<String>,
    /// The payer that answered, when the answer names it.
    pub payer: Option<AnsweringPayer>,
    /// Whom the answer is about, as the payer echoed it; `None` when the protocol's answer
    /// names nobody.
    pub answered_for: Option<AnsweredFor>,
    /// What the adapter set aside to reach this answer (e.g. the other members of a batch
    /// 271), for the verification's warnings.
    pub notes: Vec<String>,
}

/// A figure and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
    /// Which step of the selection rule chose the row (see `domain::benefits`); absent for
    /// figures that are not chosen among service types (plan dates, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_via: Option<AppliesVia>,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: impl Into<String>) -> Sourced<T> {
        Sourced {
            value,
            source: source.into(),
            applies_via: None,
        }
    }

    pub fn via(mut self, step: Option<AppliesVia>) -> Sourced<T> {
        self.applies_via = step;
        self
    }
}

/// The step of the selection rule that chose a figure, most specific first (issue 13, README
/// "Benefits verification"): the level of care's own service type, the program's (mental
/// health or substance use), the facility's outpatient benefit, the plan's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliesVia {
    Level,
    Program,
    Facility,
    Plan,
}

impl AppliesVia {
    /// Whether the figure was stated for behavioral health itself; facility and plan figures
    /// are the payer's general ones, for staff to confirm.
    pub fn is_behavioral(self) -> bool {
        matches!(self, AppliesVia::Level | AppliesVia::Program)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AppliesVia::Level => "level",
            AppliesVia::Program => "program",
            AppliesVia::Facility => "facility",
            AppliesVia::Plan => "plan",
        }
    }
}

/// Money travels as a decimal string with two places (`"1500.00"`).
pub type Money = Sourced<MoneyText>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MoneyText(String);

impl MoneyText {
    pub fn new(amount: Decimal) -> MoneyText {
        MoneyText(crate::domain::money::to_cents(amount).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person named in an inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InquiryPerson {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    /// `F`, `M` or `U` (X12 DMG03).
    pub sex: Option<String>,
}

/// One eligibility inquiry, protocol-neutral: what every adapter sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inquiry {
    /// Our id for this attempt; X12 TRN02 / JSON `controlNumber` / FHIR identifier.
    pub trace: String,
    /// A number never used before for this sender (X12 ISA13/GS06), from a stored counter.
    pub control_number: u32,
    pub payer_name: String,
    /// The EDI payer id (2100A NM109, JSON `tradingPartnerServiceId`).
    pub payer_edi_id: String,
    /// The clinic (information receiver, 2100B).
    pub provider_name: String,
    pub provider_npi: String,
    /// The clinic's EIN (nine digits): X12 TRN03 is `1` followed by it.
    pub provider_tax_id: String,
    pub member_id: String,
    pub group_number: Option<String>,
    /// The policy holder.
    pub subscriber: InquiryPerson,
    /// The patient when not the subscriber (loop 2000D).
    pub dependent: Option<InquiryPerson>,
    /// Service type codes to ask about (most payers answer one per request).
    pub service_types: Vec<String>,
    pub service_date: NaiveDate,
}

/// The 005010 meaning of an AAA03 reject reason (domain reference §1.7), for staff to read.
pub fn reject_reason(code: &str) -> &'static str {
    match code {
        "04" => "Authorized quantity exceeded",
        "15" => "Required application data missing",
        "33" => "Input errors",
        "35" => "Out of network",
        "41" => "Authorization/access restrictions",
        "42" => "Unable to respond at current time",
        "43" => "Invalid/missing provider identification",
        "44" => "Invalid/missing provider name",
        "45" => "Invalid/missing provider specialty",
        "46" => "Invalid/missing provider phone number",
        "47" => "Invalid/missing provider state",
        "48" => "Invalid/missing referring provider identification number",
        "49" => "Provider is not primary care physician",
        "50" => "Provider ineligible for inquiries",
        "51" => "Provider not on file",
        "52" => "Service dates not within provider plan enrollment",
        "53" => "Inquired benefit inconsistent with provider type",
        "54" => "Inappropriate product/service ID qualifier",
        "55" => "Inappropriate product/service ID",
        "56" => "Inappropriate date",
        "57" => "Invalid/missing date(s) of service",
        "58" => "Invalid/missing date of birth",
        "60" => "Date of birth follows date(s) of service",
        "61" => "Date of death precedes date(s) of service",
        "62" => "Date of service not within allowable inquiry period",
        "63" => "Date of service in future",
        "64" => "Invalid/missing patient ID",
        "65" => "Invalid/missing patient name",
        "66" => "Invalid/missing patient gender code",
        "67" => "Patient not found",
        "68" => "Duplicate patient ID number",
        "69" => "Inconsistent with patient's age",
        "70" => "Inconsistent with patient's gender",
        "71" => "Patient birth date does not match that for the patient on the database",
        "72" => "Invalid/missing subscriber/insured ID",
        "73" => "Invalid/missing subscriber/insured name",
        "74" => "Invalid/missing subscriber/insured gender code",
        "75" => "Subscriber/insured not found",
        "76" => "Duplicate subscriber/insured ID number",
        "77" => "Subscriber found, patient not found",
        "78" => "Subscriber/insured not in group/plan identified",
        "79" => "Invalid participant identification",
        "80" => "No response received - transaction terminated",
        "97" => "Invalid or missing provider address",
        "98" => "Experimental service or procedure",
        "AA" => "Authorization number not found",
        "AE" => "Requires primary care physician authorization",
        "AF" => "Invalid/missing diagnosis code(s)",
        "AG" => "Invalid/missing procedure code(s)",
        "AO" => "Additional patient condition information required",
        "CI" => "Certification information does not match patient",
        "E8" => "Requires medical review",
        "IA" => "Invalid authorization number format",
        "MA" => "Missing authorization number",
        "T4" => "Payer name or identifier missing",
        _ => "Rejected by the payer (code not in the 005010 list)",
    }
}

/// What staff should do about an AAA04 follow-up action code.
pub fn follow_up_action(code: &str) -> &'static str {
    match code {
        "C" => "Please correct and resubmit",
        "N" => "Resubmission not allowed",
        "P" => "Please resubmit original transaction",
        "R" => "Resubmission allowed",
        "S" => "Do not resubmit; inquiry initiated to a third party",
        "W" => "Please wait 30 days and resubmit",
        "X" => "Please wait 10 days and resubmit",
        "Y" => "Do not resubmit; we will hand over your request shortly",
        _ => "Unknown follow-up action",
    }
}
