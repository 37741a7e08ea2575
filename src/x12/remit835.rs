//! Reading an 835 health care claim payment/advice (005010X221A1): what a payer paid, for which
//! claims and service lines, and why the rest was not paid.
//!
//! ```text
//! ST*835 BPR TRN [CUR] [REF*EV] [REF*F2] [DTM*405]            payment, trace, production date
//! 1000A N1*PR [N3] [N4] [REF..4] [PER*CX] PER*BL [PER*IC]      payer
//! 1000B N1*PE [N3] [N4] [REF..n] [RDM]                         payee
//! 2000  LX [TS3] [TS2]                                         header number, provider summary
//!       2100 CLP [CAS..99] NM1*QC [NM1*IL] [NM1*74] [NM1*82] [NM1*TT] [NM1*PR] [NM1*GB]
//!                [MIA] [MOA] [REF..n] [DTM*232] [DTM*233] [DTM*036] [DTM*050] [PER..] [AMT..] [QTY..]
//!            2110 SVC [DTM*472 | DTM*150 DTM*151] [CAS..99] [REF*6R] [REF..n] [AMT*B6] [AMT..]
//!                     [QTY..] [LQ*HE | LQ*RX ..]
//! PLB..n                                                       provider adjustments
//! SE
//! ```
//!
//! # What the codes say
//!
//! **BPR** — the money. BPR01 handling (`I` remittance information only: a zero payment or a
//! payment sent separately; `C` payment with the remittance; `D` payment only; `H` notification
//! only; `P` prenotification; `U` split payment and remittance; `X` handling party's option),
//! BPR02 the total actual provider payment, BPR03 `C` credit or `D` debit, BPR04 how it moves
//! (`ACH`, `CHK` check, `FWT` wire, `BOP` financial institution option, `NON` no payment), BPR16
//! the check issue or EFT effective date. TRN02 is the check or EFT trace number that ties the
//! remittance to the bank deposit; TRN03 the payer's originating company id.
//!
//! **CLP02** — the claim's status: `1`/`2`/`3` processed as primary/secondary/tertiary, `4`
//! denied, `19`/`20`/`21` processed as primary/secondary/tertiary and forwarded to another payer
//! (named in NM1*TT, the crossover carrier), `22` reversal of a previous payment (its amounts
//! carry the opposite sign of the payment they reverse), `23` not our claim, forwarded, `25`
//! predetermination pricing only, no payment. Any other code refuses the file: a status we
//! cannot name cannot be posted.
//!
//! **CAS** — why the charge was not paid in full: a group, then up to six (reason, amount,
//! quantity) triplets. Groups: `CO` contractual obligation (written off, not billed to the
//! patient), `PR` patient responsibility (billed to the patient: CARC `1` deductible, `2`
//! coinsurance, `3` copay), `OA` other adjustment (`23`: what a prior payer paid), `PI` payer
//! initiated reduction. The reason is a CARC (`45` charge exceeds the fee schedule, `16` lacks
//! information, `29` timely filing, `197` authorization absent ...), kept as sent. A negative
//! amount gives money back to the charge.
//!
//! **PLB** — adjustments to the provider, not to any claim: PLB03 a reason (`WO` overpayment
//! recovery, `L6` interest, `FB` forwarding balance, `72` authorized return, `CV` capital
//! passthrough, `J1` nonreimbursable, `IR` IRS withholding ...) with an optional reference (the
//! claim an offset comes from), PLB04 the amount. A positive amount *reduces* the payment.
//!
//! **Balancing**, as the implementation guide requires and [`Remittance::imbalances`] checks:
//! per line `SVC02 − Σ line CAS = SVC03`; per claim `CLP03 − Σ CAS = CLP04`, the CAS of the claim
//! and of its lines (claim-level CAS only when the claim has no lines); per set
//! `BPR02 = Σ CLP04 − Σ PLB04`. An imbalance is reported with its place and exact difference,
//! never corrected.
//!
//! # Tolerated, because real payers send it
//!
//! * The envelope as files arrive (byte-order mark, line breaks) and several transaction sets
//!   in one interchange, each a [`Remittance`]; GS08 `005010X221` without the errata suffix.
//! * BPR16 missing or not a calendar date (`20002316`): the text is kept and a [`Warning`]
//!   recorded. So for every other date (DTM, TS3, PLB02).
//! * A composite written with another separator than ISA16 (`SVC*HC>99213` under ISA16 `:`),
//!   split on it with a warning.
//! * A CLP before any LX: read under a header without a number, with a warning.
//! * The optional segments of a loop in any order.
//!
//! Refused, as the 271 reader refuses them: a broken envelope (SE01/SE02, GE, IEA counts and
//! control numbers — an SE02 that does not match ST02 means the set cannot be vouched for, so
//! none of its payments are read), ISA12 other than `00501`, GS08 other than 005010X221(A1),
//! unknown CLP02, CAS01, BPR01/03/04 codes, amounts that are not X12 decimals, segments out of
//! place. Errors name the segment position and never echo element values.

use rust_decimal::Decimal;

use super::common::{
    code_list, Address, At, Contact, EntityName, QualifiedAmount, QualifiedQuantity, Reference,
    Trace,
};
use super::envelope::{read_sets, GroupHeader, InterchangeHeader, SetKind, TransactionSet};
use super::error::{Warning, X12Error};
use super::loops271::Cursor;
use super::segment::ids;
use super::values::SentDate;

/// The segment ids only the 835 reader looks for.
mod seg {
    use crate::x12::segment::tag;

    pub const AMT: u32 = tag("AMT");
    pub const BPR: u32 = tag("BPR");
    pub const CAS: u32 = tag("CAS");
    pub const CLP: u32 = tag("CLP");
    pub const CUR: u32 = tag("CUR");
    pub const DTM: u32 = tag("DTM");
    pub const LQ: u32 = tag("LQ");
    pub const LX: u32 = tag("LX");
    pub const MIA: u32 = tag("MIA");
    pub const MOA: u32 = tag("MOA");
    pub const N1: u32 = tag("N1");
    pub const PLB: u32 = tag("PLB");
    pub const QTY: u32 = tag("QTY");
    pub const RDM: u32 = tag("RDM");
    pub const SVC: u32 = tag("SVC");
    pub const TS2: u32 = tag("TS2");
    pub const TS3: u32 = tag("TS3");
}

/// An 835 interchange: its ISA and every remittance in it, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange835 {
    /// ISA fields (sender, receiver, ISA13, usage).
    pub interchange: InterchangeHeader,
    /// One per ST … SE, across all groups.
    pub remittances: Vec<Remittance>,
}

impl Interchange835 {
    /// Every claim of every remittance, in order.
    pub fn claims(&self) -> impl Iterator<Item = &ClaimPayment> {
        self.remittances.iter().flat_map(Remittance::claims)
    }

    /// Every warning of every remittance, in order.
    pub fn warnings(&self) -> impl Iterator<Item = &Warning> {
        self.remittances.iter().flat_map(|r| &r.warnings)
    }
}

/// One 835 transaction set: one payment (or notice of none) to one payee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remittance {
    /// The GS it came under (GS06 is `group.control_number`).
    pub group: GroupHeader,
    /// ST02.
    pub transaction_set_control_number: String,
    /// BPR.
    pub payment: Payment,
    /// TRN: TRN02 the check or EFT trace number, TRN03 the payer's originating company id.
    pub trace: Trace,
    /// CUR02, the currency of every amount, sent only when it is not US dollars (`CAD`).
    pub currency: Option<String>,
    /// Header REF (`EV` receiver identification, `F2` version identification).
    pub references: Vec<Reference>,
    /// DTM*405, the date the payer's system produced the remittance.
    pub production_date: Option<SentDate>,
    /// 1000A.
    pub payer: Payer835,
    /// 1000B.
    pub payee: Payee835,
    /// 2000 LX loops with their claims.
    pub headers: Vec<ClaimHeader>,
    /// PLB, one per adjustment (a PLB segment with three reasons gives three).
    pub provider_adjustments: Vec<ProviderAdjustment>,
    /// What was read although it is not as the guide says.
    pub warnings: Vec<Warning>,
}

code_list! {
    /// BPR01 — what the remittance carries.
    Handling {
        PaymentWithRemittance = "C", "payment accompanies remittance advice";
        PaymentOnly = "D", "make payment only";
        NotificationOnly = "H", "notification only";
        RemittanceOnly = "I", "remittance information only";
        Prenotification = "P", "prenotification of future transfers";
        SplitPaymentAndRemittance = "U", "split payment and remittance";
        HandlingPartysOption = "X", "handling party's option to split payment and remittance";
    }
}

code_list! {
    /// BPR03 — which way the money moves.
    CreditDebit {
        Credit = "C", "credit";
        Debit = "D", "debit";
    }
}

code_list! {
    /// BPR04 — how the money moves.
    PaymentMethod {
        Ach = "ACH", "automated clearing house (ACH)";
        FinancialInstitutionOption = "BOP", "financial institution option";
        Check = "CHK", "check";
        Wire = "FWT", "federal reserve funds/wire transfer - nonrepetitive";
        NoPayment = "NON", "non-payment data";
    }
}

/// BPR — the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Segment number of the BPR, for [`Imbalance::place`].
    pub segment: usize,
    /// BPR01.
    pub handling: Handling,
    /// BPR02 total actual provider payment amount.
    pub amount: Decimal,
    /// BPR03.
    pub credit_debit: CreditDebit,
    /// BPR04.
    pub method: PaymentMethod,
    /// BPR05 payment format (`CCP` cash concentration/disbursement plus addenda, `CTX`).
    pub format: Option<String>,
    /// BPR10 originating company identifier (`1` + the payer's EIN, usually TRN03 too).
    pub originating_company_id: Option<String>,
    /// BPR16 check issue or EFT effective date; `None` when not sent (a warning says so).
    pub date: Option<SentDate>,
}

/// 1000A — the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer835 {
    /// N102.
    pub name: String,
    /// N103 (`XV` CMS plan id), when sent.
    pub id_qualifier: Option<String>,
    /// N104.
    pub id: Option<String>,
    /// N3/N4.
    pub address: Option<Address>,
    /// REF (`2U` payer identification number, `EO` submitter id, `HI` health industry number,
    /// `NF` NAIC code).
    pub references: Vec<Reference>,
    /// PER (`CX` claims contact, `BL` technical contact, `IC` website).
    pub contacts: Vec<Contact>,
}

impl Payer835 {
    /// REF*2U, the payer identification number (when N1 carries no id).
    pub fn additional_id(&self) -> Option<&str> {
        reference(&self.references, "2U")
    }
}

/// 1000B — the payee: the provider paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee835 {
    /// N102.
    pub name: String,
    /// N103 `XX` NPI, `FI` federal tax id, `XV` CMS plan id.
    pub id_qualifier: Option<String>,
    /// N104.
    pub id: Option<String>,
    /// N3/N4.
    pub address: Option<Address>,
    /// REF (`TJ` federal tax id, `PQ` payee id, `0B` state license, `D3` NCPDP number).
    pub references: Vec<Reference>,
}

impl Payee835 {
    /// N104 when N103 is `XX`.
    pub fn npi(&self) -> Option<&str> {
        match self.id_qualifier.as_deref() {
            Some("XX") => self.id.as_deref(),
            _ => None,
        }
    }

    /// REF*TJ, or N104 when N103 is `FI`.
    pub fn tax_id(&self) -> Option<&str> {
        reference(&self.references, "TJ").or(match self.id_qualifier.as_deref() {
            Some("FI") => self.id.as_deref(),
            _ => None,
        })
    }
}

/// 2000 — an LX header and the claims under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimHeader {
    /// LX01; `None` for claims sent before any LX.
    pub number: Option<String>,
    /// TS3, the provider summary some payers (Medicare Part A) send per facility and period.
    pub provider_summary: Option<ProviderSummary>,
    /// 2100 CLP loops.
    pub claims: Vec<ClaimPayment>,
}

/// TS3 — provider summary information. TS2 (supplemental summary) is read past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSummary {
    /// TS301 provider identifier (the NPI).
    pub provider_id: String,
    /// TS302 facility type code.
    pub facility_code: String,
    /// TS303 last day of the provider's fiscal year.
    pub fiscal_period_end: Option<SentDate>,
    /// TS304 number of claims.
    pub claim_count: Option<Decimal>,
    /// TS305 total reported charges.
    pub total_charge: Option<Decimal>,
}

code_list! {
    /// CLP02 — what the payer did with the claim.
    ClaimStatus {
        ProcessedAsPrimary = "1", "processed as primary";
        ProcessedAsSecondary = "2", "processed as secondary";
        ProcessedAsTertiary = "3", "processed as tertiary";
        Denied = "4", "denied";
        PrimaryForwarded = "19", "processed as primary, forwarded to additional payer(s)";
        SecondaryForwarded = "20", "processed as secondary, forwarded to additional payer(s)";
        TertiaryForwarded = "21", "processed as tertiary, forwarded to additional payer(s)";
        Reversal = "22", "reversal of previous payment";
        NotOurClaim = "23", "not our claim, forwarded to additional payer(s)";
        Predetermination = "25", "predetermination pricing only - no payment";
    }
}

impl ClaimStatus {
    /// The payer sent the claim on to another payer (named in NM1*TT when it says which).
    pub fn is_forwarded(&self) -> bool {
        matches!(
            self,
            ClaimStatus::PrimaryForwarded
                | ClaimStatus::SecondaryForwarded
                | ClaimStatus::TertiaryForwarded
                | ClaimStatus::NotOurClaim
        )
    }

    /// The claim takes back an earlier payment: its amounts carry the opposite sign.
    pub fn is_reversal(&self) -> bool {
        *self == ClaimStatus::Reversal
    }
}

code_list! {
    /// CAS01 — who carries an adjustment (the 5010 list; `CR` was retired with 4010).
    AdjustmentGroup {
        ContractualObligation = "CO", "contractual obligations";
        OtherAdjustment = "OA", "other adjustments";
        PayerInitiatedReduction = "PI", "payer initiated reductions";
        PatientResponsibility = "PR", "patient responsibility";
    }
}

/// One CAS triplet with its group: an amount of the charge not paid, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// Segment number of the CAS.
    pub segment: usize,
    /// CAS01.
    pub group: AdjustmentGroup,
    /// CAS02/05/08/11/14/17 claim adjustment reason code (CARC).
    pub reason: String,
    /// CAS03/06/09/12/15/18.
    pub amount: Decimal,
    /// CAS04/07/10/13/16/19 units adjusted, when sent.
    pub quantity: Option<Decimal>,
}

/// DTM — a date with its qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateReference {
    /// DTM01 (`232`/`233` statement from/to, `036` coverage expiration, `050` received,
    /// `472` service, `150`/`151` service period start/end, `405` production).
    pub qualifier: String,
    /// DTM02.
    pub date: SentDate,
}

/// MIA — inpatient adjudication information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InpatientAdjudication {
    /// MIA01 covered days or visits.
    pub covered_days: Decimal,
    /// MIA03 lifetime psychiatric days.
    pub lifetime_psychiatric_days: Option<Decimal>,
    /// MIA04 claim DRG amount.
    pub drg_amount: Option<Decimal>,
    /// MIA05, MIA20–MIA23 claim payment remark codes (RARC), in order.
    pub remark_codes: Vec<String>,
}

/// MOA — outpatient adjudication information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutpatientAdjudication {
    /// MOA01 reimbursement rate (a fraction).
    pub reimbursement_rate: Option<Decimal>,
    /// MOA02 HCPCS payable amount.
    pub hcpcs_payable: Option<Decimal>,
    /// MOA03–MOA07 claim payment remark codes (RARC), in order.
    pub remark_codes: Vec<String>,
    /// MOA08 end-stage renal disease payment amount.
    pub esrd_payment: Option<Decimal>,
    /// MOA09 professional component amount billed but not payable.
    pub professional_component_not_payable: Option<Decimal>,
}

/// 2100 — one claim as the payer adjudicated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPayment {
    /// Segment number of the CLP, for [`Imbalance::place`].
    pub segment: usize,
    /// CLP01, our CLM01.
    pub patient_control_number: String,
    /// CLP02.
    pub status: ClaimStatus,
    /// CLP03 total claim charge.
    pub charge: Decimal,
    /// CLP04 claim payment amount.
    pub paid: Decimal,
    /// CLP05 patient responsibility.
    pub patient_responsibility: Option<Decimal>,
    /// CLP06 claim filing indicator (`12` PPO, `13` POS, `14` EPO, `15` indemnity, `16` HMO
    /// Medicare risk, `CI` commercial, `MA`/`MB` Medicare A/B, `MC` Medicaid, `HM` HMO ...).
    pub filing_indicator: Option<String>,
    /// CLP07 payer claim control number (REF*F8 on a replacement or void claim).
    pub payer_claim_control_number: Option<String>,
    /// CLP08 facility type code (the 2nd and 3rd digit of the type of bill, or the place of
    /// service).
    pub facility_code: Option<String>,
    /// CLP09 claim frequency code (`1` original, `7` replacement, `8` void).
    pub frequency: Option<String>,
    /// Claim-level CAS, one entry per triplet.
    pub adjustments: Vec<Adjustment>,
    /// NM1*QC.
    pub patient: Option<EntityName>,
    /// NM1*IL, when the insured is not the patient.
    pub insured: Option<EntityName>,
    /// NM1*74, the name or id the payer corrected.
    pub corrected_patient: Option<EntityName>,
    /// NM1*82, the rendering provider.
    pub rendering_provider: Option<EntityName>,
    /// NM1*TT, the payer the claim was forwarded to.
    pub crossover_carrier: Option<EntityName>,
    /// NM1*PR, the payer that should have been billed first.
    pub corrected_priority_payer: Option<EntityName>,
    /// NM1*GB, another subscriber.
    pub other_subscriber: Option<EntityName>,
    /// MIA.
    pub inpatient: Option<InpatientAdjudication>,
    /// MOA.
    pub outpatient: Option<OutpatientAdjudication>,
    /// REF (`EA` medical record, `F8` original reference, `1L` group, `CE` class of contract,
    /// `G1` prior authorization, `9A`/`9C` repriced ids ...).
    pub references: Vec<Reference>,
    /// DTM (`232`/`233` statement period, `036` coverage expiration, `050` received).
    pub dates: Vec<DateReference>,
    /// PER*CX.
    pub contacts: Vec<Contact>,
    /// AMT (`AU` coverage amount, `D8` discount, `DY` per day limit, `F5` patient paid,
    /// `I` interest, `NL` negative ledger balance, `T` tax, `T2` total claim before taxes ...).
    pub amounts: Vec<QualifiedAmount>,
    /// QTY (`CA` covered actual, `CD` co-insured actual, `LA` lifetime reserve, `OU` outlier
    /// days, `PS` prescription, `VS` visits, `ZK`..`ZN` federal/state days ...).
    pub quantities: Vec<QualifiedQuantity>,
    /// 2110 SVC loops.
    pub lines: Vec<ServicePayment>,
}

/// SVC01 or SVC06 — a procedure, revenue or drug code with its qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCode {
    /// Component 1: `HC` HCPCS/CPT, `NU` revenue code, `AD` dental, `N4` NDC, `ER`, `HP`,
    /// `IV`, `WK`.
    pub qualifier: String,
    /// Component 2.
    pub code: String,
    /// Components 3–6, those sent.
    pub modifiers: Vec<String>,
    /// Component 7.
    pub description: Option<String>,
}

/// LQ — a remark on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remark {
    /// LQ01 `HE` remittance advice remark code (RARC), `RX` NCPDP reject/payment code.
    pub qualifier: String,
    /// LQ02.
    pub code: String,
}

/// 2110 — one service line as the payer adjudicated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePayment {
    /// Segment number of the SVC, for [`Imbalance::place`].
    pub segment: usize,
    /// SVC01, the code adjudicated.
    pub procedure: ServiceCode,
    /// SVC02 line item charge.
    pub charge: Decimal,
    /// SVC03 line item provider payment.
    pub paid: Decimal,
    /// SVC04 NUBC revenue code.
    pub revenue_code: Option<String>,
    /// SVC05 units of service paid; 1 when not sent, as the guide says.
    pub units: Decimal,
    /// SVC06, the code we sent, when the payer adjudicated another one.
    pub submitted_procedure: Option<ServiceCode>,
    /// SVC07 units we sent, when the payer paid another number.
    pub original_units: Option<Decimal>,
    /// DTM (`472` service date, or `150`/`151` period start/end).
    pub dates: Vec<DateReference>,
    /// Line-level CAS, one entry per triplet.
    pub adjustments: Vec<Adjustment>,
    /// REF*6R, our line item control number (the 837's REF*6R).
    pub line_item_control_number: Option<String>,
    /// Other REF (`1B`, `HPI` rendering provider ids, `G1` prior authorization, `LU` location ...).
    pub references: Vec<Reference>,
    /// AMT*B6, the allowed amount.
    pub allowed: Option<Decimal>,
    /// Other AMT (`KH` late filing reduction, `T` tax, `T2` total before taxes, `ZK`..`ZO`).
    pub amounts: Vec<QualifiedAmount>,
    /// QTY (`ZK`..`ZO` federal/state units).
    pub quantities: Vec<QualifiedQuantity>,
    /// LQ.
    pub remarks: Vec<Remark>,
}

/// One PLB adjustment: money moved to or from the provider outside any claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAdjustment {
    /// Segment number of the PLB.
    pub segment: usize,
    /// PLB01 provider identifier (the NPI or tax id of the payee).
    pub provider_id: String,
    /// PLB02 last day of the provider's fiscal period.
    pub fiscal_period_end: SentDate,
    /// PLB03-1 (and 05-1, 07-1 ...) adjustment reason code.
    pub reason: String,
    /// PLB03-2 reference identification (for `WO`/`FB`, the claim or account it concerns).
    pub reference: Option<String>,
    /// PLB04 (06, 08 ...). Positive reduces the payment, negative adds to it.
    pub amount: Decimal,
}

/// A balancing rule the figures break, where, and by how much exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imbalance {
    /// Where, in the billing office's words and with the segment number:
    /// `CLP 'PCN123' line 2 (SVC at segment 34)`.
    pub place: String,
    /// What the other figures make the stated one: `SVC02 − Σ CAS`, `CLP03 − Σ CAS`, or
    /// `Σ CLP04 − Σ PLB04`.
    pub expected: Decimal,
    /// The figure as sent: SVC03, CLP04 or BPR02.
    pub actual: Decimal,
    /// `actual − expected`.
    pub difference: Decimal,
}

impl Imbalance {
    /// `None` when the figures agree.
    fn check(place: impl FnOnce() -> String, expected: Decimal, actual: Decimal) -> Option<Self> {
        (expected != actual).then(|| Imbalance {
            place: place(),
            expected,
            actual,
            difference: actual - expected,
        })
    }
}

/// Σ of the amounts. Each has at most 18 digits (see [`At::money`]), so a sum cannot leave
/// `Decimal`'s range for any file that fits in memory.
fn total(amounts: impl Iterator<Item = Decimal>) -> Decimal {
    amounts.sum()
}

impl ServicePayment {
    /// Σ of the line's CAS amounts.
    pub fn adjustment_total(&self) -> Decimal {
        total(self.adjustments.iter().map(|a| a.amount))
    }

    /// DTM*472, or DTM*150, the first day of service.
    pub fn service_date(&self) -> Option<&SentDate> {
        date_of(&self.dates, "472").or_else(|| date_of(&self.dates, "150"))
    }
}

impl ClaimPayment {
    /// Σ of the claim-level CAS amounts.
    pub fn claim_adjustment_total(&self) -> Decimal {
        total(self.adjustments.iter().map(|a| a.amount))
    }

    /// Σ of the CAS amounts of all lines.
    pub fn line_adjustment_total(&self) -> Decimal {
        total(self.lines.iter().map(ServicePayment::adjustment_total))
    }

    /// Every adjustment of the claim, claim level first, then each line's.
    pub fn all_adjustments(&self) -> impl Iterator<Item = &Adjustment> {
        self.adjustments
            .iter()
            .chain(self.lines.iter().flat_map(|l| &l.adjustments))
    }

    /// DTM*232, the first day of the statement period.
    pub fn statement_from(&self) -> Option<&SentDate> {
        date_of(&self.dates, "232")
    }

    /// DTM*233, the last day of the statement period.
    pub fn statement_to(&self) -> Option<&SentDate> {
        date_of(&self.dates, "233")
    }

    /// The payer the claim went on to, when the payer says (NM1*TT).
    pub fn forwarded_to(&self) -> Option<&EntityName> {
        self.crossover_carrier.as_ref()
    }

    /// The lines whose figures do not balance (`SVC02 − Σ CAS ≠ SVC03`), then the claim
    /// (`CLP03 − Σ CAS ≠ CLP04`, counting the CAS of the lines when there are lines).
    pub fn imbalances(&self) -> Vec<Imbalance> {
        let mut found = Vec::new();
        for (index, line) in self.lines.iter().enumerate() {
            found.extend(Imbalance::check(
                || {
                    format!(
                        "CLP '{}' line {} (SVC at segment {})",
                        self.patient_control_number,
                        index + 1,
                        line.segment
                    )
                },
                line.charge - line.adjustment_total(),
                line.paid,
            ));
        }
        found.extend(Imbalance::check(
            || {
                format!(
                    "CLP '{}' (segment {})",
                    self.patient_control_number, self.segment
                )
            },
            self.charge - self.claim_adjustment_total() - self.line_adjustment_total(),
            self.paid,
        ));
        found
    }
}

impl Remittance {
    /// Every claim, across the LX headers, in order.
    pub fn claims(&self) -> impl Iterator<Item = &ClaimPayment> {
        self.headers.iter().flat_map(|h| &h.claims)
    }

    /// Σ CLP04.
    pub fn claims_paid_total(&self) -> Decimal {
        total(self.claims().map(|c| c.paid))
    }

    /// Σ PLB amounts (positive: taken from the payment).
    pub fn provider_adjustment_total(&self) -> Decimal {
        total(self.provider_adjustments.iter().map(|a| a.amount))
    }

    /// Every balancing rule the remittance breaks: each claim's lines and the claim, in order,
    /// then the payment (`BPR02 = Σ CLP04 − Σ PLB04`). Empty when it balances.
    pub fn imbalances(&self) -> Vec<Imbalance> {
        let mut found: Vec<Imbalance> = self.claims().flat_map(ClaimPayment::imbalances).collect();
        found.extend(Imbalance::check(
            || {
                format!(
                    "transaction set {} (BPR at segment {})",
                    self.transaction_set_control_number, self.payment.segment
                )
            },
            self.claims_paid_total() - self.provider_adjustment_total(),
            self.payment.amount,
        ));
        found
    }
}

fn reference<'a>(references: &'a [Reference], qualifier: &str) -> Option<&'a str> {
    references
        .iter()
        .find(|r| r.qualifier == qualifier)
        .map(|r| r.value.as_str())
}

fn date_of<'a>(dates: &'a [DateReference], qualifier: &str) -> Option<&'a SentDate> {
    dates
        .iter()
        .find(|d| d.qualifier == qualifier)
        .map(|d| &d.date)
}

// ---------------------------------------------------------------- reading

/// Parses an 835 interchange: every transaction set of every group, each a [`Remittance`].
///
/// The envelope is checked whole first, as for the 271 (see
/// [`Interchange::parse`](super::envelope::Interchange::parse)): one broken count or control
/// number refuses the interchange. Never panics, whatever the input.
pub fn parse_835(input: &[u8]) -> Result<Interchange835, X12Error> {
    // 005010X221 is the guide before its errata (A1); the loops read here are the same.
    let kind = SetKind {
        id: "835",
        version_prefix: "005010X221",
        version: "005010X221A1",
    };
    let (interchange, remittances) = read_sets(input, kind, read_remittance)?;
    Ok(Interchange835 {
        interchange,
        remittances,
    })
}

fn read_remittance(group: &GroupHeader, set: &TransactionSet<'_>) -> Result<Remittance, X12Error> {
    let mut c = Cursor {
        segments: &set.segments,
        next: 0,
        first_number: set.first_segment_number,
    };
    let mut warnings = Vec::new();
    let bpr = c.require(seg::BPR, "BPR (financial information)")?;
    let payment = read_bpr(&bpr, &mut warnings)?;

    let mut trace = None;
    let mut currency = None;
    let mut references = Vec::new();
    let mut production_date = None;
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::TRN => {
                if trace.is_some() {
                    return Err(repeated(&at));
                }
                trace = Some(at.trn()?);
            }
            seg::CUR => {
                if currency.is_some() {
                    return Err(repeated(&at));
                }
                currency = Some(at.req(2)?);
            }
            ids::REF => references.push(at.reference()?),
            seg::DTM => {
                let dtm = read_dtm(&at, &mut warnings)?;
                if dtm.qualifier != "405" {
                    return Err(at.bad(1, "the 835 header carries only DTM*405 (production date)"));
                }
                if production_date.is_some() {
                    return Err(repeated(&at));
                }
                production_date = Some(dtm.date);
            }
            _ => break,
        }
        c.next += 1;
    }
    let trace = trace.ok_or(X12Error::MissingSegment {
        segment: payment.segment,
        loop_id: "header",
        expected: "TRN (check or EFT trace number)",
    })?;
    let payer = read_payer(&mut c)?;
    let payee = read_payee(&mut c)?;

    let mut headers = Vec::new();
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            seg::LX => {
                c.next += 1;
                headers.push(read_header(&at, &mut c, &mut warnings)?);
            }
            seg::CLP => {
                warnings.push(at.warning(
                    None,
                    "claim without an LX header; read under a header without a number",
                ));
                let mut header = ClaimHeader {
                    number: None,
                    provider_summary: None,
                    claims: Vec::new(),
                };
                read_claims(&mut c, &mut header, &mut warnings)?;
                headers.push(header);
            }
            seg::PLB => break,
            _ => {
                return Err(out_of_place(
                    &at,
                    "a segment of the claim or line, LX, CLP, PLB or SE",
                ))
            }
        }
    }
    let mut provider_adjustments = Vec::new();
    while let Some(at) = c.next() {
        if at.seg.tag() != seg::PLB {
            return Err(out_of_place(&at, "PLB or SE"));
        }
        read_plb(&at, &mut provider_adjustments, &mut warnings)?;
    }
    Ok(Remittance {
        group: group.clone(),
        transaction_set_control_number: set.control_number.clone(),
        payment,
        trace,
        currency,
        references,
        production_date,
        payer,
        payee,
        headers,
        provider_adjustments,
        warnings,
    })
}

fn read_bpr(bpr: &At<'_>, warnings: &mut Vec<Warning>) -> Result<Payment, X12Error> {
    let date = bpr.sent_date(16, warnings);
    if date.is_none() {
        warnings.push(bpr.warning(16, "the payment date is missing"));
    }
    Ok(Payment {
        segment: bpr.number,
        handling: bpr.code(1, Handling::parse)?,
        amount: bpr.req_money(2)?,
        credit_debit: bpr.code(3, CreditDebit::parse)?,
        method: bpr.code(4, PaymentMethod::parse)?,
        format: bpr.opt(5),
        originating_company_id: bpr.opt(10),
        date,
    })
}

fn read_payer(c: &mut Cursor<'_>) -> Result<Payer835, X12Error> {
    let n1 = c.require(seg::N1, "N1*PR payer identification (1000A)")?;
    if n1.seg.value(1) != Some("PR") {
        return Err(n1.bad(1, "the first N1 must name the payer (N1*PR)"));
    }
    let mut payer = Payer835 {
        name: n1.req(2)?,
        id_qualifier: n1.opt(3),
        id: n1.opt(4),
        address: None,
        references: Vec::new(),
        contacts: Vec::new(),
    };
    let mut seen = Seen::default();
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::N3 => {
                seen.once(&at, Once::N3)?;
                at.n3(payer.address.get_or_insert_with(Address::default))?;
            }
            ids::N4 => {
                seen.once(&at, Once::N4)?;
                at.n4(payer.address.get_or_insert_with(Address::default))?;
            }
            ids::REF => payer.references.push(at.reference()?),
            ids::PER => payer.contacts.push(at.per()?),
            _ => break,
        }
        c.next += 1;
    }
    Ok(payer)
}

fn read_payee(c: &mut Cursor<'_>) -> Result<Payee835, X12Error> {
    let n1 = c.require(seg::N1, "N1*PE payee identification (1000B)")?;
    if n1.seg.value(1) != Some("PE") {
        return Err(n1.bad(1, "the second N1 must name the payee (N1*PE)"));
    }
    let mut payee = Payee835 {
        name: n1.req(2)?,
        id_qualifier: n1.opt(3),
        id: n1.opt(4),
        address: None,
        references: Vec::new(),
    };
    let mut seen = Seen::default();
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::N3 => {
                seen.once(&at, Once::N3)?;
                at.n3(payee.address.get_or_insert_with(Address::default))?;
            }
            ids::N4 => {
                seen.once(&at, Once::N4)?;
                at.n4(payee.address.get_or_insert_with(Address::default))?;
            }
            ids::REF => payee.references.push(at.reference()?),
            // RDM: how the payee gets remittances on paper or by e-mail; nothing to post.
            seg::RDM => seen.once(&at, Once::Rdm)?,
            _ => break,
        }
        c.next += 1;
    }
    Ok(payee)
}

/// 2000, after its LX: the provider summary, then the claims.
fn read_header(
    lx: &At<'_>,
    c: &mut Cursor<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<ClaimHeader, X12Error> {
    let mut header = ClaimHeader {
        number: Some(lx.req(1)?),
        provider_summary: None,
        claims: Vec::new(),
    };
    let mut seen = Seen::default();
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            seg::TS3 => {
                seen.once(&at, Once::Ts3)?;
                header.provider_summary = Some(ProviderSummary {
                    provider_id: at.req(1)?,
                    facility_code: at.req(2)?,
                    fiscal_period_end: at.sent_date(3, warnings),
                    claim_count: at.money(4)?,
                    total_charge: at.money(5)?,
                });
            }
            // TS2: Medicare Part A DRG and outlier totals, which no posting uses.
            seg::TS2 => seen.once(&at, Once::Ts2)?,
            _ => break,
        }
        c.next += 1;
    }
    read_claims(c, &mut header, warnings)?;
    Ok(header)
}

fn read_claims(
    c: &mut Cursor<'_>,
    header: &mut ClaimHeader,
    warnings: &mut Vec<Warning>,
) -> Result<(), X12Error> {
    while let Some(at) = c.peek() {
        if at.seg.tag() != seg::CLP {
            break;
        }
        c.next += 1;
        header.claims.push(read_claim(&at, c, warnings)?);
    }
    Ok(())
}

/// 2100, after its CLP: the claim-level segments in any order, then the lines.
fn read_claim(
    clp: &At<'_>,
    c: &mut Cursor<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<ClaimPayment, X12Error> {
    let mut claim = ClaimPayment {
        segment: clp.number,
        patient_control_number: clp.req(1)?,
        status: clp.code(2, ClaimStatus::parse)?,
        charge: clp.req_money(3)?,
        paid: clp.req_money(4)?,
        patient_responsibility: clp.money(5)?,
        filing_indicator: clp.opt(6),
        payer_claim_control_number: clp.opt(7),
        facility_code: clp.opt(8),
        frequency: clp.opt(9),
        adjustments: Vec::new(),
        patient: None,
        insured: None,
        corrected_patient: None,
        rendering_provider: None,
        crossover_carrier: None,
        corrected_priority_payer: None,
        other_subscriber: None,
        inpatient: None,
        outpatient: None,
        references: Vec::new(),
        dates: Vec::new(),
        contacts: Vec::new(),
        amounts: Vec::new(),
        quantities: Vec::new(),
        lines: Vec::new(),
    };
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            seg::CAS => read_cas(&at, &mut claim.adjustments)?,
            ids::NM1 => {
                let name = at.nm1()?;
                let slot = match name.entity_code.as_str() {
                    "QC" => &mut claim.patient,
                    "IL" => &mut claim.insured,
                    "74" => &mut claim.corrected_patient,
                    "82" => &mut claim.rendering_provider,
                    "TT" => &mut claim.crossover_carrier,
                    "PR" => &mut claim.corrected_priority_payer,
                    "GB" => &mut claim.other_subscriber,
                    other => return Err(at.unknown(1, other)),
                };
                if slot.is_some() {
                    return Err(repeated(&at));
                }
                *slot = Some(name);
            }
            seg::MIA => {
                if claim.inpatient.is_some() {
                    return Err(repeated(&at));
                }
                claim.inpatient = Some(InpatientAdjudication {
                    covered_days: at.req_money(1)?,
                    lifetime_psychiatric_days: at.money(3)?,
                    drg_amount: at.money(4)?,
                    remark_codes: [5, 20, 21, 22, 23]
                        .iter()
                        .filter_map(|&n| at.opt(n))
                        .collect(),
                });
            }
            seg::MOA => {
                if claim.outpatient.is_some() {
                    return Err(repeated(&at));
                }
                claim.outpatient = Some(OutpatientAdjudication {
                    reimbursement_rate: at.money(1)?,
                    hcpcs_payable: at.money(2)?,
                    remark_codes: (3..=7).filter_map(|n| at.opt(n)).collect(),
                    esrd_payment: at.money(8)?,
                    professional_component_not_payable: at.money(9)?,
                });
            }
            ids::REF => claim.references.push(at.reference()?),
            seg::DTM => claim.dates.push(read_dtm(&at, warnings)?),
            ids::PER => claim.contacts.push(at.per()?),
            seg::AMT => claim.amounts.push(at.amt()?),
            seg::QTY => claim.quantities.push(at.qty()?),
            _ => break,
        }
        c.next += 1;
    }
    while let Some(at) = c.peek() {
        if at.seg.tag() != seg::SVC {
            break;
        }
        c.next += 1;
        claim.lines.push(read_line(&at, c, warnings)?);
    }
    Ok(claim)
}

/// 2110, after its SVC.
fn read_line(
    svc: &At<'_>,
    c: &mut Cursor<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<ServicePayment, X12Error> {
    let mut line = ServicePayment {
        segment: svc.number,
        procedure: service_code(svc, 1, warnings)?
            .ok_or_else(|| svc.bad(1, "required element is missing"))?,
        charge: svc.req_money(2)?,
        paid: svc.req_money(3)?,
        revenue_code: svc.opt(4),
        // SVC05 is sent only when the units paid are not one.
        units: svc.money(5)?.unwrap_or(Decimal::ONE),
        submitted_procedure: service_code(svc, 6, warnings)?,
        original_units: svc.money(7)?,
        dates: Vec::new(),
        adjustments: Vec::new(),
        line_item_control_number: None,
        references: Vec::new(),
        allowed: None,
        amounts: Vec::new(),
        quantities: Vec::new(),
        remarks: Vec::new(),
    };
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            seg::DTM => line.dates.push(read_dtm(&at, warnings)?),
            seg::CAS => read_cas(&at, &mut line.adjustments)?,
            ids::REF => {
                let reference = at.reference()?;
                if reference.qualifier == "6R" {
                    if line.line_item_control_number.is_some() {
                        return Err(repeated(&at));
                    }
                    line.line_item_control_number = Some(reference.value);
                } else {
                    line.references.push(reference);
                }
            }
            seg::AMT => {
                let amount = at.amt()?;
                if amount.qualifier == "B6" {
                    if line.allowed.is_some() {
                        return Err(repeated(&at));
                    }
                    line.allowed = Some(amount.amount);
                } else {
                    line.amounts.push(amount);
                }
            }
            seg::QTY => line.quantities.push(at.qty()?),
            seg::LQ => line.remarks.push(Remark {
                qualifier: at.req(1)?,
                code: at.req(2)?,
            }),
            _ => break,
        }
        c.next += 1;
    }
    Ok(line)
}

/// SVC01 or SVC06.
pub(super) fn service_code(
    at: &At<'_>,
    n: usize,
    warnings: &mut Vec<Warning>,
) -> Result<Option<ServiceCode>, X12Error> {
    let Some(parts) = at.composite(n, warnings) else {
        return Ok(None);
    };
    let part = |i: usize| {
        parts
            .get(i)
            .filter(|p| !p.is_empty())
            .map(|p| (*p).to_owned())
    };
    Ok(Some(ServiceCode {
        qualifier: part(0)
            .ok_or_else(|| at.bad(n, "product or service id qualifier is missing"))?,
        code: part(1).ok_or_else(|| at.bad(n, "procedure code is missing"))?,
        modifiers: (2..6).filter_map(part).collect(),
        description: part(6),
    }))
}

/// CAS: its group, then each (reason, amount, quantity) triplet sent.
fn read_cas(at: &At<'_>, out: &mut Vec<Adjustment>) -> Result<(), X12Error> {
    let group = at.code(1, AdjustmentGroup::parse)?;
    let before = out.len();
    for k in 0..6 {
        let (r, a, q) = (2 + 3 * k, 3 + 3 * k, 4 + 3 * k);
        let quantity = at.money(q)?;
        match (at.opt(r), at.money(a)?) {
            (Some(reason), Some(amount)) => out.push(Adjustment {
                segment: at.number,
                group,
                reason,
                amount,
                quantity,
            }),
            (None, None) if quantity.is_none() => {}
            (None, _) => return Err(at.bad(r, "adjustment reason code is missing")),
            (Some(_), None) => return Err(at.bad(a, "adjustment amount is missing")),
        }
    }
    if out.len() == before {
        return Err(at.bad(2, "required element is missing"));
    }
    Ok(())
}

fn read_dtm(at: &At<'_>, warnings: &mut Vec<Warning>) -> Result<DateReference, X12Error> {
    Ok(DateReference {
        qualifier: at.req(1)?,
        date: at
            .sent_date(2, warnings)
            .ok_or_else(|| at.bad(2, "required element is missing"))?,
    })
}

/// PLB: one [`ProviderAdjustment`] per (reason, amount) pair sent.
fn read_plb(
    at: &At<'_>,
    out: &mut Vec<ProviderAdjustment>,
    warnings: &mut Vec<Warning>,
) -> Result<(), X12Error> {
    let provider_id = at.req(1)?;
    let fiscal_period_end = at
        .sent_date(2, warnings)
        .ok_or_else(|| at.bad(2, "required element is missing"))?;
    let before = out.len();
    for k in 0..6 {
        let (r, a) = (3 + 2 * k, 4 + 2 * k);
        match (at.composite(r, warnings), at.money(a)?) {
            (Some(parts), Some(amount)) => {
                let part = |i: usize| {
                    parts
                        .get(i)
                        .filter(|p| !p.is_empty())
                        .map(|p| (*p).to_owned())
                };
                out.push(ProviderAdjustment {
                    segment: at.number,
                    provider_id: provider_id.clone(),
                    fiscal_period_end: fiscal_period_end.clone(),
                    reason: part(0)
                        .ok_or_else(|| at.bad(r, "adjustment reason code is missing"))?,
                    reference: part(1),
                    amount,
                });
            }
            (None, None) => {}
            (None, Some(_)) => return Err(at.bad(r, "adjustment reason code is missing")),
            (Some(_), None) => return Err(at.bad(a, "adjustment amount is missing")),
        }
    }
    if out.len() == before {
        return Err(at.bad(3, "required element is missing"));
    }
    Ok(())
}

/// The single-use segments of a loop.
#[derive(Clone, Copy)]
enum Once {
    N3 = 1,
    N4 = 1 << 1,
    Rdm = 1 << 2,
    Ts3 = 1 << 3,
    Ts2 = 1 << 4,
}

/// Tracks the single-use segments of a loop, so a repeated one is reported, not overwritten.
#[derive(Default)]
struct Seen(u8);

impl Seen {
    fn once(&mut self, at: &At<'_>, segment: Once) -> Result<(), X12Error> {
        let bit = segment as u8;
        if self.0 & bit != 0 {
            return Err(repeated(at));
        }
        self.0 |= bit;
        Ok(())
    }
}

fn repeated(at: &At<'_>) -> X12Error {
    X12Error::UnexpectedSegment {
        segment: at.number,
        id: at.id().to_owned(),
        expected: "at most one of this segment in the loop",
    }
}

fn out_of_place(at: &At<'_>, expected: &'static str) -> X12Error {
    X12Error::UnexpectedSegment {
        segment: at.number,
        id: at.id().to_owned(),
        expected,
    }
}

#[cfg(test)]
mod tests;
