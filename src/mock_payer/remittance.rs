//! Remittances: the 835 (005010X221A1) the mock payer sends for claims perdiem billed, under a
//! named scenario. Pure: claims in (as perdiem's API shows them), X12 text out; `server.rs`
//! serves it at `POST /remittances/835`.
//!
//! ```text
//! ST*835  BPR  TRN*1  [REF*EV]  DTM*405
//! 1000A N1*PR N3 N4 PER*BL          1000B N1*PE*<name>*XX*<NPI>
//! 2000 LX*1
//!   2100 CLP  NM1*QC  [NM1*TT]  DTM*232  DTM*233          (one per claim, in the order given)
//!     2110 SVC  DTM*472  [CAS…]  REF*6R  [AMT*B6]  [LQ*HE]   (one per line)
//! [PLB]
//! SE
//! ```
//!
//! # What is echoed
//!
//! CLP01 is the claim number perdiem sent in CLM01; CLP08/CLP09 its facility code (the type of
//! bill's 2nd–3rd digits, or the place of service) and frequency. Each SVC names the line as
//! perdiem billed it: `HC:<HCPCS>[:modifiers]` with the revenue code in SVC04 for an 837I line
//! with both, `NU:<revenue code>` for an 837I line priced by its revenue code alone,
//! `HC:<HCPCS>[:modifiers]` for an 837P line; `REF*6R` echoes the line item control number.
//! The payer's own claim number (CLP07) is `MOCK-` and the claim number, so a reversal names the
//! payment it reverses. The mock payer does not know the patient: NM1*QC carries no name.
//!
//! # Scenarios
//!
//! | name | CLP02 | lines |
//! |---|---|---|
//! | `paid_in_full` | 1 | paid their charge |
//! | `contractual_deductible_coinsurance` | 1 | allowed 80 % of the charge; CO-45 the rest; the first line PR-1 deductible up to 100.00; PR-2 20 % coinsurance of what the deductible leaves; AMT*B6 allowed |
//! | `one_line_denied_missing_auth` | 1 | the first CO-197 for its whole charge with `LQ*HE*M62`, the others paid in full |
//! | `denied` | 4 | every line CO-197 with `LQ*HE*M62`, nothing paid |
//! | `partial` | 1 | paid half, CO-45 the other half |
//! | `reversal` | 22 | the `paid_in_full` payment with every amount negated, nothing else |
//! | `partial_reversal` | 22 | the `partial` payment with every amount negated, nothing else |
//! | `forwarded` | 19 | paid in full; NM1*TT names the crossover carrier |
//! | `plb` | 1 | paid in full; PLB WO 25.00 (overpayment recovery) lowers the payment |
//! | `plb_interest` | 1 | paid in full; PLB L6 −3.17 (interest) raises it |
//! | `packaged` | 1 | Medicare's per-service way (domain reference §4.3): the first line of each service date paid its charge (the day's payment), the date's other lines CO-97 (packaged into it) for their whole charge, 0.00 paid |
//!
//! # Balancing
//!
//! Every line balances by construction: its payment is its charge less its adjustments
//! (SVC03 = SVC02 − Σ CAS), and a claim's charge and payment are the sums of its lines (CLP04 =
//! CLP03 − Σ CAS, there being no claim-level CAS). CLP05 is the sum of the PR adjustments.
//! BPR02 = Σ CLP04 − Σ PLB. A payment that would come to less than zero is not sent as such:
//! the reversal's negative total is carried forward (PLB `FB`, which brings BPR02 to zero), as
//! the guide has payers do; the `plb` recovery is refused when the claims pay less than it.
//! When nothing is paid, BPR says so: `BPR*H*0*C*NON` (notification only, no payment).
//!
//! Amounts are `Decimal`, rounded only by [`to_cents`] (half away from zero, the house rule).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::domain::money::{to_cents, Money};
use crate::domain::organization::Npi;
use crate::x12::claim837::format_amount;
use crate::x12::values::format_d8;
use crate::x12::writer::{
    check_text, clean_text, write_groups, Body, Envelope, Group as FunctionalGroup, SegmentWriter,
    TransactionKind,
};
use crate::x12::X12Error;

/// GS01/ST01/GS08 of an 835 (ST03 is not used by the guide).
pub const KIND_835: TransactionKind = TransactionKind {
    functional_id: "HP",
    transaction_set_id: "835",
    version: "005010X221A1",
};

/// The mock payer as the 835 names it (1000A), and its bank (BPR07–BPR09).
pub const PAYER_NAME: &str = "MOCK HEALTH PLAN";
const PAYER_ADDRESS: (&str, &str, &str, &str) = ("PO BOX 1000", "HARTFORD", "CT", "06101");
const PAYER_CONTACT: (&str, &str) = ("EDI SUPPORT", "8005550199");
/// TRN03 and BPR10: `1` and the payer's nine-digit tax id.
const PAYER_ORIGINATOR: &str = "1999999999";
/// ABA routing and account numbers of the payer's bank and of the payee's: example values (the
/// routing numbers have valid check digits), for a mock.
const PAYER_BANK: (&str, &str) = ("011000015", "1234567890");
const PAYEE_BANK: (&str, &str) = ("021000021", "9876543210");
/// CLP06: the mock payer's product is a PPO (`12`; the 835 has no `CI`).
const CLAIM_FILING_INDICATOR: &str = "12";
/// NM1*TT in the `forwarded` scenario: the plan the claim was crossed over to.
pub const CROSSOVER_CARRIER: (&str, &str) = ("MOCK SECONDARY PLAN", "MOCKSEC01");
/// The earlier overpayment the `plb` scenario recovers, and how much.
const RECOVERED_CLAIM: &str = "MOCK-OVERPAID-0001";

/// What the payer decided, for every claim of one 835.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemitScenario {
    PaidInFull,
    ContractualDeductibleCoinsurance,
    OneLineDeniedMissingAuth,
    Denied,
    Partial,
    Reversal,
    PartialReversal,
    Forwarded,
    Plb,
    PlbInterest,
    Packaged,
}

impl RemitScenario {
    pub const ALL: [RemitScenario; 11] = [
        RemitScenario::PaidInFull,
        RemitScenario::ContractualDeductibleCoinsurance,
        RemitScenario::OneLineDeniedMissingAuth,
        RemitScenario::Denied,
        RemitScenario::Partial,
        RemitScenario::Reversal,
        RemitScenario::PartialReversal,
        RemitScenario::Forwarded,
        RemitScenario::Plb,
        RemitScenario::PlbInterest,
        RemitScenario::Packaged,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RemitScenario::PaidInFull => "paid_in_full",
            RemitScenario::ContractualDeductibleCoinsurance => "contractual_deductible_coinsurance",
            RemitScenario::OneLineDeniedMissingAuth => "one_line_denied_missing_auth",
            RemitScenario::Denied => "denied",
            RemitScenario::Partial => "partial",
            RemitScenario::Reversal => "reversal",
            RemitScenario::PartialReversal => "partial_reversal",
            RemitScenario::Forwarded => "forwarded",
            RemitScenario::Plb => "plb",
            RemitScenario::PlbInterest => "plb_interest",
            RemitScenario::Packaged => "packaged",
        }
    }

    pub fn parse(raw: &str) -> Result<RemitScenario, String> {
        RemitScenario::ALL
            .into_iter()
            .find(|s| s.name() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = RemitScenario::ALL.iter().map(|s| s.name()).collect();
                format!("must be one of {}", names.join(", "))
            })
    }
}

/// A claim as perdiem's API shows it (`GET /api/v1/claims/{id}`): the fields a payer reads
/// back from the 837. Other fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct ClaimJson {
    pub claim_number: String,
    pub claim_form: String,
    #[serde(default)]
    pub type_of_bill: Option<String>,
    #[serde(default)]
    pub place_of_service: Option<String>,
    pub frequency: String,
    pub statement_from: NaiveDate,
    pub statement_through: NaiveDate,
    pub total_charge: String,
    #[serde(default)]
    pub lines: Option<Vec<LineJson>>,
}

/// A claim line as perdiem's API shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct LineJson {
    pub line_number: u32,
    pub line_control_number: String,
    pub service_date: NaiveDate,
    pub revenue_code: String,
    #[serde(default)]
    pub hcpcs: Option<String>,
    #[serde(default)]
    pub modifiers: Vec<String>,
    pub units: u32,
    pub charge: String,
}

/// Why no 835 could be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemitError {
    /// A claim (or a request field) the payer cannot read, naming where.
    #[error("{field}: {reason}")]
    Unreadable { field: String, reason: String },
    /// The scenario cannot be paid on these claims.
    #[error("{0}")]
    Unpayable(String),
    #[error(transparent)]
    X12(#[from] X12Error),
}

fn unreadable(field: impl Into<String>, reason: impl Into<String>) -> RemitError {
    RemitError::Unreadable {
        field: field.into(),
        reason: reason.into(),
    }
}

/// A billed claim as the payer reads it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledClaim {
    /// CLM01, echoed in CLP01.
    pub patient_control_number: String,
    /// CLP08: the type of bill's 2nd and 3rd digits (837I) or the place of service (837P).
    pub facility: String,
    /// CLP09: `1`, `7` or `8`.
    pub frequency: String,
    pub statement_from: NaiveDate,
    pub statement_through: NaiveDate,
    pub lines: Vec<BilledLine>,
}

/// A billed line as the payer echoes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BilledLine {
    /// REF*6R.
    pub control_number: String,
    pub service_date: NaiveDate,
    /// SVC01: qualifier, code, modifiers.
    pub procedure: Vec<String>,
    /// SVC04: the revenue code of an 837I line billed with a HCPCS code too.
    pub revenue_code: Option<String>,
    pub charge: Decimal,
    pub units: u32,
}

fn digits(raw: &str, n: usize) -> bool {
    raw.len() == n && raw.bytes().all(|b| b.is_ascii_digit())
}

fn code(raw: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl BilledClaim {
    /// Reads claim `index` of the request. Its total must be the sum of its lines, as perdiem
    /// makes it: a claim that does not add up is refused rather than paid on a guess.
    pub fn parse(index: usize, claim: ClaimJson) -> Result<BilledClaim, RemitError> {
        let at = |field: &str| format!("claims[{index}].{field}");
        let number = claim.claim_number;
        if number.is_empty() || number.len() > 38 {
            return Err(unreadable(at("claim_number"), "must be 1 to 38 characters"));
        }
        let institutional = match claim.claim_form.as_str() {
            "837I" => true,
            "837P" => false,
            _ => return Err(unreadable(at("claim_form"), "must be 837I or 837P")),
        };
        let facility = if institutional {
            let tob = claim.type_of_bill.unwrap_or_default();
            match tob.get(1..3) {
                Some(facility) if digits(&tob, 4) => facility.to_string(),
                _ => {
                    return Err(unreadable(
                        at("type_of_bill"),
                        "an 837I claim needs 4 digits",
                    ))
                }
            }
        } else {
            match claim.place_of_service {
                Some(pos) if digits(&pos, 2) => pos,
                _ => {
                    return Err(unreadable(
                        at("place_of_service"),
                        "an 837P claim needs 2 digits",
                    ))
                }
            }
        };
        // 2, 3 and 4 are the interim bills of a long stay (first, continuing, last).
        if !matches!(claim.frequency.as_str(), "1" | "2" | "3" | "4" | "7" | "8") {
            return Err(unreadable(at("frequency"), "must be 1, 2, 3, 4, 7 or 8"));
        }
        if claim.statement_through < claim.statement_from {
            return Err(unreadable(
                at("statement_through"),
                "is before statement_from",
            ));
        }
        let total = Money::parse(&claim.total_charge)
            .map_err(|reason| unreadable(at("total_charge"), reason))?;
        let lines = claim.lines.unwrap_or_default();
        if lines.is_empty() {
            return Err(unreadable(
                at("lines"),
                "a claim needs its lines (as GET /api/v1/claims/{id} shows them)",
            ));
        }
        let mut billed = Vec::with_capacity(lines.len());
        for (j, line) in lines.into_iter().enumerate() {
            billed.push(BilledLine::parse(
                &at(&format!("lines[{j}]")),
                line,
                institutional,
            )?);
        }
        let sum: Decimal = billed.iter().map(|l| l.charge).sum();
        if sum != total.amount() {
            return Err(unreadable(
                at("total_charge"),
                format!("is not the sum of the lines ({sum})"),
            ));
        }
        Ok(BilledClaim {
            patient_control_number: number,
            facility,
            frequency: claim.frequency,
            statement_from: claim.statement_from,
            statement_through: claim.statement_through,
            lines: billed,
        })
    }
}

impl BilledLine {
    fn parse(at: &str, line: LineJson, institutional: bool) -> Result<BilledLine, RemitError> {
        let field = |name: &str| format!("{at}.{name}");
        if line.line_control_number.is_empty() || line.line_control_number.len() > 50 {
            return Err(unreadable(
                field("line_control_number"),
                "must be 1 to 50 characters (perdiem sends it in REF*6R)",
            ));
        }
        if !digits(&line.revenue_code, 4) {
            return Err(unreadable(field("revenue_code"), "must be 4 digits"));
        }
        if let Some(hcpcs) = &line.hcpcs {
            if !code(hcpcs, 5, 5) {
                return Err(unreadable(field("hcpcs"), "must be 5 letters or digits"));
            }
        }
        if line.modifiers.len() > 4 || line.modifiers.iter().any(|m| !code(m, 2, 2)) {
            return Err(unreadable(
                field("modifiers"),
                "at most 4, of 2 letters or digits",
            ));
        }
        if line.units == 0 {
            return Err(unreadable(field("units"), "must be at least 1"));
        }
        let charge =
            Money::parse(&line.charge).map_err(|reason| unreadable(field("charge"), reason))?;
        // What perdiem wrote in SV202/SV101 is named back: the HCPCS code with its modifiers;
        // an 837I line priced by its revenue code alone is named by it (NU).
        let (procedure, revenue_code) = match (&line.hcpcs, institutional) {
            (Some(hcpcs), _) => {
                let mut procedure = vec!["HC".to_string(), hcpcs.clone()];
                procedure.extend(line.modifiers.iter().cloned());
                (procedure, institutional.then(|| line.revenue_code.clone()))
            }
            (None, true) => (vec!["NU".to_string(), line.revenue_code.clone()], None),
            (None, false) => {
                return Err(unreadable(
                    field("hcpcs"),
                    "an 837P line needs a HCPCS code",
                ))
            }
        };
        Ok(BilledLine {
            control_number: line.line_control_number,
            service_date: line.service_date,
            procedure,
            revenue_code,
            charge: charge.amount(),
            units: line.units,
        })
    }
}

/// CAS01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupCode {
    /// Contractual obligation: the provider writes it off.
    Co,
    /// Patient responsibility.
    Pr,
}

impl GroupCode {
    pub fn code(self) -> &'static str {
        match self {
            GroupCode::Co => "CO",
            GroupCode::Pr => "PR",
        }
    }
}

/// One CAS triplet's reason and amount, in its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub group: GroupCode,
    /// The claim adjustment reason code (CARC).
    pub reason: &'static str,
    pub amount: Decimal,
}

/// How one line was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePayment {
    pub charge: Decimal,
    /// The charge less the adjustments, always: the line balances by construction.
    pub paid: Decimal,
    pub adjustments: Vec<Adjustment>,
    /// AMT*B6, when the line was allowed.
    pub allowed: Option<Decimal>,
    /// LQ*HE remark codes (RARC).
    pub remarks: Vec<&'static str>,
    /// SVC05: the units paid for (none on a denied line).
    pub units_paid: u32,
}

impl LinePayment {
    fn new(
        line: &BilledLine,
        adjustments: Vec<Adjustment>,
        allowed: Option<Decimal>,
        remarks: Vec<&'static str>,
    ) -> LinePayment {
        // A zero adjustment says nothing, and the guide does not allow one.
        let adjustments: Vec<Adjustment> = adjustments
            .into_iter()
            .filter(|a| !a.amount.is_zero())
            .collect();
        let paid = line.charge - adjustments.iter().map(|a| a.amount).sum::<Decimal>();
        LinePayment {
            charge: line.charge,
            paid,
            adjustments,
            allowed,
            remarks,
            units_paid: if allowed.is_some() { line.units } else { 0 },
        }
    }

    fn paid_in_full(line: &BilledLine) -> LinePayment {
        LinePayment::new(line, Vec::new(), Some(line.charge), Vec::new())
    }

    /// CO-197, precertification/authorization absent, for the whole charge; RARC M62
    /// (missing/incomplete/invalid treatment authorization code) says what to bring.
    fn denied_missing_auth(line: &BilledLine) -> LinePayment {
        let denial = Adjustment {
            group: GroupCode::Co,
            reason: "197",
            amount: line.charge,
        };
        LinePayment::new(line, vec![denial], None, vec!["M62"])
    }

    /// CO-97, included in the payment for another service of the day, for the whole charge:
    /// nothing paid, nothing allowed.
    fn packaged(line: &BilledLine) -> LinePayment {
        let packaged = Adjustment {
            group: GroupCode::Co,
            reason: "97",
            amount: line.charge,
        };
        LinePayment::new(line, vec![packaged], None, Vec::new())
    }

    /// The same payment undone: every amount negated (005010X221A1 §1.10.2.8: the original
    /// group codes with negated amounts). Units are quantities, not amounts: kept.
    fn negated(&self) -> LinePayment {
        LinePayment {
            charge: -self.charge,
            paid: -self.paid,
            adjustments: self
                .adjustments
                .iter()
                .map(|a| Adjustment {
                    amount: -a.amount,
                    ..a.clone()
                })
                .collect(),
            allowed: self.allowed.map(|a| -a),
            remarks: self.remarks.clone(),
            units_paid: self.units_paid,
        }
    }
}

/// How one claim was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPayment {
    /// CLP02.
    pub status: &'static str,
    pub lines: Vec<LinePayment>,
    /// NM1*TT: the claim was forwarded to this carrier (name, id).
    pub crossover: Option<(&'static str, &'static str)>,
}

impl ClaimPayment {
    pub fn charge(&self) -> Decimal {
        self.lines.iter().map(|l| l.charge).sum()
    }

    pub fn paid(&self) -> Decimal {
        self.lines.iter().map(|l| l.paid).sum()
    }

    /// CLP05: the sum of the PR adjustments.
    pub fn patient_responsibility(&self) -> Decimal {
        self.lines
            .iter()
            .flat_map(|l| &l.adjustments)
            .filter(|a| a.group == GroupCode::Pr)
            .map(|a| a.amount)
            .sum()
    }
}

/// The share of the charge the `contractual_deductible_coinsurance` payer allows: 80 %.
fn allowed_share() -> Decimal {
    Decimal::new(80, 2)
}

/// The deductible still to meet, taken on the first line: 100.00.
fn deductible() -> Decimal {
    Decimal::new(10_000, 2)
}

/// The patient's coinsurance: 20 % of what the deductible leaves.
fn coinsurance_share() -> Decimal {
    Decimal::new(20, 2)
}

/// How the payer pays `claim` under `scenario`.
pub fn adjudicate(claim: &BilledClaim, scenario: RemitScenario) -> ClaimPayment {
    let each = |pay: &dyn Fn(usize, &BilledLine) -> LinePayment| -> Vec<LinePayment> {
        claim
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| pay(i, l))
            .collect()
    };
    let in_full = || each(&|_, l| LinePayment::paid_in_full(l));
    let (status, lines, crossover) = match scenario {
        RemitScenario::PaidInFull | RemitScenario::Plb | RemitScenario::PlbInterest => {
            ("1", in_full(), None)
        }
        RemitScenario::Forwarded => ("19", in_full(), Some(CROSSOVER_CARRIER)),
        // The earlier payment being reversed is the `paid_in_full` one.
        RemitScenario::Reversal => (
            "22",
            in_full().iter().map(LinePayment::negated).collect(),
            None,
        ),
        // Undoes the `partial` payment, as a payer does before paying the claim again.
        RemitScenario::PartialReversal => (
            "22",
            adjudicate(claim, RemitScenario::Partial)
                .lines
                .iter()
                .map(LinePayment::negated)
                .collect(),
            None,
        ),
        RemitScenario::Denied => ("4", each(&|_, l| LinePayment::denied_missing_auth(l)), None),
        // Some lines paid: processed as primary, not denied (CLP02 4 is for a claim denied
        // whole).
        RemitScenario::OneLineDeniedMissingAuth => (
            "1",
            each(&|i, l| {
                if i == 0 {
                    LinePayment::denied_missing_auth(l)
                } else {
                    LinePayment::paid_in_full(l)
                }
            }),
            None,
        ),
        // The day is paid on its first line; a judgement of the mock: a real APC payment is the
        // day's rate, not the line's charge, but the shape (one paid line, the rest packaged
        // at 0.00) is what the denials report must read.
        RemitScenario::Packaged => (
            "1",
            each(&|i, l| {
                let first_of_day = claim
                    .lines
                    .iter()
                    .take(i)
                    .all(|earlier| earlier.service_date != l.service_date);
                if first_of_day {
                    LinePayment::paid_in_full(l)
                } else {
                    LinePayment::packaged(l)
                }
            }),
            None,
        ),
        RemitScenario::Partial => (
            "1",
            each(&|_, l| {
                let paid = to_cents(l.charge * Decimal::new(5, 1));
                let contractual = Adjustment {
                    group: GroupCode::Co,
                    reason: "45",
                    amount: l.charge - paid,
                };
                LinePayment::new(l, vec![contractual], Some(paid), Vec::new())
            }),
            None,
        ),
        RemitScenario::ContractualDeductibleCoinsurance => (
            "1",
            each(&|i, l| {
                let allowed = to_cents(l.charge * allowed_share());
                let deductible = if i == 0 {
                    allowed.min(deductible())
                } else {
                    Decimal::ZERO
                };
                let coinsurance = to_cents((allowed - deductible) * coinsurance_share());
                let adjustments = vec![
                    Adjustment {
                        group: GroupCode::Co,
                        reason: "45",
                        amount: l.charge - allowed,
                    },
                    Adjustment {
                        group: GroupCode::Pr,
                        reason: "1",
                        amount: deductible,
                    },
                    Adjustment {
                        group: GroupCode::Pr,
                        reason: "2",
                        amount: coinsurance,
                    },
                ];
                LinePayment::new(l, adjustments, Some(allowed), Vec::new())
            }),
            None,
        ),
    };
    ClaimPayment {
        status,
        lines,
        crossover,
    }
}

/// One PLB adjustment: reason, reference, amount (positive lowers the payment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAdjustment {
    pub reason: &'static str,
    pub reference: Option<String>,
    pub amount: Decimal,
}

/// The payer's own claim number (CLP07) for a claim number: stable, so a reversal names the
/// payment it undoes.
pub fn payer_claim_number(patient_control_number: &str) -> String {
    format!("MOCK-{patient_control_number}")
}

/// The provider-level adjustments of the scenario, given the claims' payments.
fn provider_adjustments(
    scenario: RemitScenario,
    claims: &[(&BilledClaim, ClaimPayment)],
) -> Result<Vec<ProviderAdjustment>, RemitError> {
    let paid: Decimal = claims.iter().map(|(_, p)| p.paid()).sum();
    let first = claims
        .first()
        .map(|(c, _)| payer_claim_number(&c.patient_control_number));
    Ok(match scenario {
        RemitScenario::Plb => {
            let recovered = Decimal::new(2_500, 2);
            if paid < recovered {
                return Err(RemitError::Unpayable(format!(
                    "the plb scenario recovers {recovered} from the payment, but these claims pay \
                     {paid}"
                )));
            }
            vec![ProviderAdjustment {
                reason: "WO",
                reference: Some(RECOVERED_CLAIM.to_string()),
                amount: recovered,
            }]
        }
        RemitScenario::PlbInterest => vec![ProviderAdjustment {
            reason: "L6",
            reference: first,
            amount: Decimal::new(-317, 2),
        }],
        // A payment cannot be negative: the recouped amount is carried forward to later
        // payments, bringing this one to zero.
        _ if paid < Decimal::ZERO => vec![ProviderAdjustment {
            reason: "FB",
            reference: first,
            amount: paid,
        }],
        _ => Vec::new(),
    })
}

/// The payee (1000B): the billing provider perdiem sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payee {
    pub name: String,
    pub npi: Npi,
}

/// Everything an 835 needs.
#[derive(Debug, Clone)]
pub struct Remittance<'a> {
    /// ISA/GS parties, control numbers, delimiters; its date is the production date (DTM*405)
    /// and the payment's effective date (BPR16).
    pub envelope: Envelope,
    pub payee: Payee,
    /// TRN02, the check or EFT trace number: 1–50 characters.
    pub trace: String,
    /// REF*EV, when the 835 goes to a receiver other than the payee (a clearinghouse).
    pub receiver: Option<String>,
    pub scenario: RemitScenario,
    pub claims: &'a [BilledClaim],
}

/// Writes the 835 interchange (ISA … IEA).
pub fn render_835(r: &Remittance<'_>) -> Result<String, RemitError> {
    let d = r.envelope.delimiters;
    if r.claims.is_empty() {
        return Err(unreadable("claims", "name at least one claim"));
    }
    check_text("trace (TRN02)", &r.trace, &d)?;
    if r.trace.is_empty() || r.trace.len() > 50 {
        return Err(unreadable("trace", "must be 1 to 50 characters"));
    }
    if let Some(receiver) = &r.receiver {
        check_text("receiver (REF*EV)", receiver, &d)?;
    }
    let payee_name = clean_text(&r.payee.name, &d);
    if payee_name.is_empty() || payee_name.len() > 60 {
        return Err(unreadable(
            "payee_name",
            "must be 1 to 60 characters X12 can carry",
        ));
    }
    for claim in r.claims {
        check_text("claim_number (CLP01)", &claim.patient_control_number, &d)?;
        for line in &claim.lines {
            check_text("line_control_number (REF*6R)", &line.control_number, &d)?;
        }
    }
    let paid: Vec<(&BilledClaim, ClaimPayment)> = r
        .claims
        .iter()
        .map(|c| (c, adjudicate(c, r.scenario)))
        .collect();
    let adjustments = provider_adjustments(r.scenario, &paid)?;
    let total = paid.iter().map(|(_, p)| p.paid()).sum::<Decimal>()
        - adjustments.iter().map(|a| a.amount).sum::<Decimal>();

    let date = r.envelope.timestamp.date();
    let today = format_d8(date);
    let mut w = SegmentWriter::new(d);
    let amount = format_amount(total);
    if total.is_zero() {
        // Nothing moves: a notification only, with no payment method.
        w.segment(
            "BPR",
            &[
                &["H"],
                &[&amount],
                &["C"],
                &["NON"],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[],
                &[&today],
            ],
        )?;
    } else {
        // An ACH credit (CCD+ format): the payer's bank and account, its originator id, the
        // payee's bank and account, the effective date.
        w.segment(
            "BPR",
            &[
                &["I"],
                &[&amount],
                &["C"],
                &["ACH"],
                &["CCP"],
                &["01"],
                &[PAYER_BANK.0],
                &["DA"],
                &[PAYER_BANK.1],
                &[PAYER_ORIGINATOR],
                &[],
                &["01"],
                &[PAYEE_BANK.0],
                &["DA"],
                &[PAYEE_BANK.1],
                &[&today],
            ],
        )?;
    }
    w.segment("TRN", &[&["1"], &[&r.trace], &[PAYER_ORIGINATOR]])?;
    if let Some(receiver) = &r.receiver {
        w.segment("REF", &[&["EV"], &[receiver]])?;
    }
    w.segment("DTM", &[&["405"], &[&today]])?;
    // 1000A payer, 1000B payee.
    w.segment("N1", &[&["PR"], &[PAYER_NAME]])?;
    w.segment("N3", &[&[PAYER_ADDRESS.0]])?;
    w.segment(
        "N4",
        &[&[PAYER_ADDRESS.1], &[PAYER_ADDRESS.2], &[PAYER_ADDRESS.3]],
    )?;
    w.segment(
        "PER",
        &[&["BL"], &[PAYER_CONTACT.0], &["TE"], &[PAYER_CONTACT.1]],
    )?;
    w.segment(
        "N1",
        &[&["PE"], &[&payee_name], &["XX"], &[r.payee.npi.as_str()]],
    )?;
    w.segment("LX", &[&["1"]])?;
    for (claim, payment) in &paid {
        write_claim(&mut w, claim, payment)?;
    }
    if !adjustments.is_empty() {
        // PLB02: the end of the provider's fiscal year, taken as the calendar year's.
        let fiscal_end = NaiveDate::from_ymd_opt(date.year(), 12, 31).unwrap_or(date);
        let fiscal_end = format_d8(fiscal_end);
        let amounts: Vec<String> = adjustments
            .iter()
            .map(|a| format_amount(a.amount))
            .collect();
        let ids: Vec<[&str; 2]> = adjustments
            .iter()
            .map(|a| [a.reason, a.reference.as_deref().unwrap_or("")])
            .collect();
        let mut elements: Vec<&[&str]> = Vec::with_capacity(2 + 2 * adjustments.len());
        let npi = [r.payee.npi.as_str()];
        let fiscal = [fiscal_end.as_str()];
        elements.push(&npi);
        elements.push(&fiscal);
        let amounts: Vec<[&str; 1]> = amounts.iter().map(|a| [a.as_str()]).collect();
        for (id, amount) in ids.iter().zip(&amounts) {
            elements.push(id);
            elements.push(amount);
        }
        w.segment("PLB", &elements)?;
    }
    let body = w.finish();
    let numbers = r.envelope.control_numbers;
    Ok(write_groups(
        &r.envelope,
        &[FunctionalGroup {
            kind: KIND_835,
            group_control: numbers.group,
            transaction_set_control: numbers.transaction_set,
            body: Body::Written(&body),
        }],
    )?)
}

/// 2100 and its 2110s.
fn write_claim(
    w: &mut SegmentWriter,
    claim: &BilledClaim,
    payment: &ClaimPayment,
) -> Result<(), X12Error> {
    let charge = format_amount(payment.charge());
    let paid = format_amount(payment.paid());
    let responsibility = payment.patient_responsibility();
    let responsibility = if responsibility.is_zero() {
        String::new()
    } else {
        format_amount(responsibility)
    };
    let payer_number = payer_claim_number(&claim.patient_control_number);
    w.segment(
        "CLP",
        &[
            &[&claim.patient_control_number],
            &[payment.status],
            &[&charge],
            &[&paid],
            &[&responsibility],
            &[CLAIM_FILING_INDICATOR],
            &[&payer_number],
            &[&claim.facility],
            &[&claim.frequency],
        ],
    )?;
    w.segment("NM1", &[&["QC"], &["1"]])?;
    if let Some((name, id)) = payment.crossover {
        w.segment(
            "NM1",
            &[&["TT"], &["2"], &[name], &[], &[], &[], &[], &["PI"], &[id]],
        )?;
    }
    w.segment("DTM", &[&["232"], &[&format_d8(claim.statement_from)]])?;
    w.segment("DTM", &[&["233"], &[&format_d8(claim.statement_through)]])?;
    for (line, pay) in claim.lines.iter().zip(&payment.lines) {
        write_line(w, line, pay)?;
    }
    Ok(())
}

/// 2110: SVC, DTM*472, CAS (one per group, up to six reasons each), REF*6R, AMT*B6, LQ*HE.
fn write_line(w: &mut SegmentWriter, line: &BilledLine, pay: &LinePayment) -> Result<(), X12Error> {
    let procedure: Vec<&str> = line.procedure.iter().map(String::as_str).collect();
    let charge = format_amount(pay.charge);
    let paid = format_amount(pay.paid);
    // SVC05 is needed only when other than one unit was paid, SVC07 only when the units paid
    // differ from those billed.
    let units_paid = pay.units_paid.to_string();
    let units_billed = line.units.to_string();
    let svc05 = if pay.units_paid == 1 { "" } else { &units_paid };
    let svc07 = if pay.units_paid == line.units {
        ""
    } else {
        &units_billed
    };
    w.segment(
        "SVC",
        &[
            &procedure,
            &[&charge],
            &[&paid],
            &[line.revenue_code.as_deref().unwrap_or("")],
            &[svc05],
            &[],
            &[svc07],
        ],
    )?;
    w.segment("DTM", &[&["472"], &[&format_d8(line.service_date)]])?;
    let mut groups: Vec<GroupCode> = Vec::new();
    for a in &pay.adjustments {
        if !groups.contains(&a.group) {
            groups.push(a.group);
        }
    }
    for group in groups {
        let of_group: Vec<&Adjustment> = pay
            .adjustments
            .iter()
            .filter(|a| a.group == group)
            .collect();
        for chunk in of_group.chunks(6) {
            let amounts: Vec<String> = chunk.iter().map(|a| format_amount(a.amount)).collect();
            let mut elements: Vec<[&str; 1]> = vec![[group.code()]];
            for (a, amount) in chunk.iter().zip(&amounts) {
                elements.push([a.reason]);
                elements.push([amount.as_str()]);
                elements.push([""]);
            }
            let elements: Vec<&[&str]> = elements.iter().map(|e| &e[..]).collect();
            w.segment("CAS", &elements)?;
        }
    }
    w.segment("REF", &[&["6R"], &[&line.control_number]])?;
    if let Some(allowed) = pay.allowed {
        w.segment("AMT", &[&["B6"], &[&format_amount(allowed)]])?;
    }
    for remark in &pay.remarks {
        w.segment("LQ", &[&["HE"], &[remark]])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::NaiveDateTime;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    use super::*;
    use crate::x12::{ControlNumbers, Delimiters, PartyId, Usage};

    const NPI: &str = "1234567893";

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// A line as perdiem's API shows it.
    fn line_json(
        claim: &str,
        n: u32,
        day: u32,
        revenue: &str,
        hcpcs: Option<&str>,
        modifiers: &[&str],
        charge: &str,
    ) -> Value {
        json!({
            "line_number": n,
            "line_control_number": format!("{claim}-{n}"),
            "attendance_id": "0b7c8e7e-3f9a-4c1e-9d55-2d7a7f0c1a11",
            "service_date": format!("2026-03-{day:02}"),
            "program": "mental_health",
            "revenue_code": revenue,
            "hcpcs": hcpcs,
            "modifiers": modifiers,
            "units": 1,
            "charge": charge,
            "expected": null,
            "live": true,
        })
    }

    /// A claim as `GET /api/v1/claims/{id}` shows it, with the fields a payer does not read.
    fn claim_json(number: &str, form: &str, lines: Vec<Value>) -> Value {
        let total: Decimal = lines
            .iter()
            .map(|l| dec(l["charge"].as_str().unwrap()))
            .sum();
        let institutional = form == "837I";
        json!({
            "id": "5f0c2a7e-1b8d-4d8e-9a47-6c1f0e9b2d33",
            "claim_number": number,
            "client_id": "8a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "coverage_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
            "payer_id": "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
            "level_of_care": "IOP",
            "authorization_id": null,
            "authorization_number": "PA-7781",
            "period_from": "2026-03-01",
            "period_through": "2026-03-31",
            "statement_from": "2026-03-03",
            "statement_through": "2026-03-05",
            "claim_form": form,
            "type_of_bill": if institutional { json!("0131") } else { Value::Null },
            "place_of_service": if institutional { Value::Null } else { json!("57") },
            "condition_codes": [],
            "principal_diagnosis": "F33.1",
            "other_diagnoses": [],
            "discharge_status": "30",
            "total_charge": format!("{:.2}", total),
            "expected_reimbursement": null,
            "status": "submitted",
            "frequency": "1",
            "original_claim_id": null,
            "payer_claim_number": null,
            "line_count": lines.len(),
            "lines": lines,
            "history": [],
            "replaced_or_voided_by": [],
            "created_by": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b",
            "created_at": "2026-04-01T10:00:00Z",
            "updated_at": "2026-04-01T10:00:00Z",
        })
    }

    /// An 837I claim (two HCPCS lines with their revenue code, one by revenue code alone) and
    /// an 837P claim (HCPCS with a modifier). The charges make every percentage round.
    fn claims_json() -> Vec<Value> {
        vec![
            claim_json(
                "PD00000041",
                "837I",
                vec![
                    line_json("PD00000041", 1, 3, "0905", Some("S9480"), &[], "333.33"),
                    line_json("PD00000041", 2, 4, "0905", Some("S9480"), &[], "333.33"),
                    line_json("PD00000041", 3, 5, "0913", None, &[], "99.99"),
                ],
            ),
            claim_json(
                "PD00000042",
                "837P",
                vec![
                    line_json("PD00000042", 1, 3, "0906", Some("H0015"), &["HQ"], "250.50"),
                    line_json("PD00000042", 2, 4, "0906", Some("H0015"), &["HQ"], "250.50"),
                ],
            ),
        ]
    }

    fn billed(claims: Vec<Value>) -> Result<Vec<BilledClaim>, RemitError> {
        claims
            .into_iter()
            .enumerate()
            .map(|(i, c)| BilledClaim::parse(i, serde_json::from_value(c).unwrap()))
            .collect()
    }

    fn envelope() -> Envelope {
        Envelope {
            sender: PartyId {
                qualifier: "ZZ".into(),
                id: "MOCKPAYER".into(),
            },
            receiver: PartyId {
                qualifier: "ZZ".into(),
                id: NPI.into(),
            },
            application_sender: None,
            application_receiver: None,
            usage: Usage::Production,
            ack_requested: false,
            control_numbers: ControlNumbers {
                interchange: 7,
                group: 7,
                transaction_set: 7,
            },
            timestamp: NaiveDateTime::parse_from_str("2026-04-10 09:30", "%Y-%m-%d %H:%M").unwrap(),
            delimiters: Delimiters::STANDARD,
        }
    }

    fn render(claims: &[BilledClaim], scenario: RemitScenario) -> Result<String, RemitError> {
        render_835(&Remittance {
            envelope: envelope(),
            payee: Payee {
                name: "Sunrise Behavioral Health LLC".into(),
                npi: Npi::parse(NPI.into()).unwrap(),
            },
            trace: "EFT20260410".into(),
            receiver: None,
            scenario,
            claims,
        })
    }

    fn segments(x12: &str) -> Vec<&str> {
        x12.split('~').filter(|s| !s.is_empty()).collect()
    }

    // -----------------------------------------------------------------------------------------
    // An 835 read back from its text alone, to check what the writer's own sums claim.

    #[derive(Debug, Default)]
    struct ReadLine {
        charge: Decimal,
        paid: Decimal,
        /// (group, reason, amount) of every CAS triplet.
        adjustments: Vec<(String, String, Decimal)>,
    }

    #[derive(Debug, Default)]
    struct ReadClaim {
        status: String,
        charge: Decimal,
        paid: Decimal,
        patient_responsibility: Decimal,
        claim_adjustments: Vec<(String, String, Decimal)>,
        lines: Vec<ReadLine>,
    }

    #[derive(Debug, Default)]
    struct ReadRemit {
        payment: Decimal,
        provider_adjustments: Vec<Decimal>,
        claims: Vec<ReadClaim>,
    }

    fn amount(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"))
    }

    fn triplets(elements: &[&str]) -> Vec<(String, String, Decimal)> {
        let group = elements[1].to_string();
        elements[2..]
            .chunks(3)
            .filter(|t| !t[0].is_empty())
            .map(|t| (group.clone(), t[0].to_string(), amount(t[1])))
            .collect()
    }

    fn read(x12: &str) -> ReadRemit {
        let mut remit = ReadRemit::default();
        for segment in segments(x12) {
            let e: Vec<&str> = segment.split('*').collect();
            match e[0] {
                "BPR" => remit.payment = amount(e[2]),
                "CLP" => remit.claims.push(ReadClaim {
                    status: e[2].to_string(),
                    charge: amount(e[3]),
                    paid: amount(e[4]),
                    patient_responsibility: e
                        .get(5)
                        .filter(|v| !v.is_empty())
                        .map_or(Decimal::ZERO, |v| amount(v)),
                    ..ReadClaim::default()
                }),
                "SVC" => remit.claims.last_mut().unwrap().lines.push(ReadLine {
                    charge: amount(e[2]),
                    paid: amount(e[3]),
                    adjustments: Vec::new(),
                }),
                "CAS" => {
                    let claim = remit.claims.last_mut().unwrap();
                    match claim.lines.last_mut() {
                        Some(line) => line.adjustments.extend(triplets(&e)),
                        None => claim.claim_adjustments.extend(triplets(&e)),
                    }
                }
                "PLB" => remit
                    .provider_adjustments
                    .extend(e[3..].chunks(2).map(|pair| amount(pair[1]))),
                _ => {}
            }
        }
        remit
    }

    /// The 835 balancing rules, checked on the text: SVC02 − Σ line CAS = SVC03; CLP03 = Σ
    /// SVC02; CLP03 − Σ CAS (claim and lines) = CLP04; CLP05 = Σ PR; BPR02 = Σ CLP04 − Σ PLB.
    fn assert_balances(x12: &str) {
        let remit = read(x12);
        assert!(!remit.claims.is_empty(), "{x12}");
        for claim in &remit.claims {
            let mut all_adjustments = claim.claim_adjustments.clone();
            for line in &claim.lines {
                let adjusted: Decimal = line.adjustments.iter().map(|a| a.2).sum();
                assert_eq!(line.charge - adjusted, line.paid, "line {line:?}\n{x12}");
                all_adjustments.extend(line.adjustments.iter().cloned());
            }
            let billed: Decimal = claim.lines.iter().map(|l| l.charge).sum();
            assert_eq!(claim.charge, billed, "{x12}");
            let adjusted: Decimal = all_adjustments.iter().map(|a| a.2).sum();
            assert_eq!(claim.charge - adjusted, claim.paid, "{x12}");
            let patient: Decimal = all_adjustments
                .iter()
                .filter(|a| a.0 == "PR")
                .map(|a| a.2)
                .sum();
            assert_eq!(claim.patient_responsibility, patient, "{x12}");
            assert!(all_adjustments.iter().all(|a| !a.2.is_zero()), "{x12}");
        }
        let paid: Decimal = remit.claims.iter().map(|c| c.paid).sum();
        let provider: Decimal = remit.provider_adjustments.iter().sum();
        assert_eq!(remit.payment, paid - provider, "{x12}");
        assert!(remit.payment >= Decimal::ZERO, "{x12}");
    }

    // -----------------------------------------------------------------------------------------

    #[test]
    fn every_scenario_passes_the_x12_oracle() {
        let claims = billed(claims_json()).unwrap();
        let written: Vec<(String, String)> = RemitScenario::ALL
            .iter()
            .map(|s| (format!("{}.835", s.name()), render(&claims, *s).unwrap()))
            .collect();
        let Some(check) = crate::oracles::script("x12-check") else {
            return;
        };
        let dir = std::env::temp_dir().join(format!("perdiem-835-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let files: Vec<std::path::PathBuf> = written
            .iter()
            .map(|(name, text)| {
                let path = dir.join(name);
                std::fs::write(&path, text).unwrap();
                path
            })
            .collect();
        let out = std::process::Command::new(check)
            .args(&files)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        let report = String::from_utf8_lossy(&out.stdout);
        for (name, text) in &written {
            assert!(
                report.contains(&format!("{name}: OK")),
                "x12-check refused {name}:\n{report}\n{text}"
            );
        }
        assert!(out.status.success(), "{report}");
    }

    #[test]
    fn every_scenario_balances_to_the_cent() {
        let claims = billed(claims_json()).unwrap();
        for scenario in RemitScenario::ALL {
            let x12 = render(&claims, scenario).unwrap();
            assert_balances(&x12);
            let statuses: Vec<String> = read(&x12).claims.into_iter().map(|c| c.status).collect();
            let expected = match scenario {
                RemitScenario::Denied => "4",
                RemitScenario::Reversal | RemitScenario::PartialReversal => "22",
                RemitScenario::Forwarded => "19",
                _ => "1",
            };
            assert_eq!(statuses, [expected, expected], "{}", scenario.name());
        }
    }

    #[test]
    fn paid_in_full_echoes_what_perdiem_billed() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::PaidInFull).unwrap();
        let s = segments(&x12);
        assert!(s[0].starts_with("ISA*00*          *00*          *ZZ*MOCKPAYER      *ZZ*1234567893     *260410*0930*^*00501*000000007*0*P*:"));
        assert_eq!(
            s[1],
            "GS*HP*MOCKPAYER*1234567893*20260410*0930*7*X*005010X221A1"
        );
        assert_eq!(s[2], "ST*835*0007");
        // 766.65 + 501 = 1267.65, by ACH to the payee's account, effective the production date.
        assert_eq!(
            s[3],
            "BPR*I*1267.65*C*ACH*CCP*01*011000015*DA*1234567890*1999999999**01*021000021*DA*9876543210*20260410"
        );
        assert_eq!(s[4], "TRN*1*EFT20260410*1999999999");
        assert_eq!(s[5], "DTM*405*20260410");
        assert!(s.contains(&"N1*PR*MOCK HEALTH PLAN"));
        assert!(s.contains(&"PER*BL*EDI SUPPORT*TE*8005550199"));
        assert!(s.contains(&"N1*PE*SUNRISE BEHAVIORAL HEALTH LLC*XX*1234567893"));
        let claim = s
            .iter()
            .position(|x| x.starts_with("CLP*PD00000041"))
            .unwrap();
        assert_eq!(
            s[claim..claim + 17],
            [
                "CLP*PD00000041*1*766.65*766.65**12*MOCK-PD00000041*13*1",
                "NM1*QC*1",
                "DTM*232*20260303",
                "DTM*233*20260305",
                "SVC*HC:S9480*333.33*333.33*0905",
                "DTM*472*20260303",
                "REF*6R*PD00000041-1",
                "AMT*B6*333.33",
                "SVC*HC:S9480*333.33*333.33*0905",
                "DTM*472*20260304",
                "REF*6R*PD00000041-2",
                "AMT*B6*333.33",
                "SVC*NU:0913*99.99*99.99",
                "DTM*472*20260305",
                "REF*6R*PD00000041-3",
                "AMT*B6*99.99",
                "CLP*PD00000042*1*501*501**12*MOCK-PD00000042*57*1",
            ]
        );
        assert!(s.contains(&"SVC*HC:H0015:HQ*250.5*250.5"));
        assert!(s.contains(&"REF*6R*PD00000042-2"));
        assert!(!x12.contains("PLB*") && !x12.contains("CAS*"));
        let se = s.iter().position(|x| x.starts_with("SE*")).unwrap();
        assert_eq!(s[se], format!("SE*{}*0007", se - 2 + 1));
    }

    #[test]
    fn contractual_deductible_and_coinsurance_are_figured_line_by_line() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::ContractualDeductibleCoinsurance).unwrap();
        let s = segments(&x12);
        let first = s
            .iter()
            .position(|x| x.starts_with("CLP*PD00000041"))
            .unwrap();
        // Line 1: allowed 80 % of 333.33 = 266.664 → 266.66; CO-45 66.67; deductible 100.00;
        // coinsurance 20 % of 166.66 = 33.332 → 33.33; paid 133.33.
        // Line 2: allowed 266.66; coinsurance 20 % of 266.66 = 53.332 → 53.33; paid 213.33.
        // Line 3: allowed 80 % of 99.99 = 79.992 → 79.99; CO-45 20.00; coinsurance 15.998 →
        // 16.00; paid 63.99. Patient: 100 + 33.33 + 53.33 + 16 = 202.66.
        assert_eq!(
            s[first..first + 22],
            [
                "CLP*PD00000041*1*766.65*410.65*202.66*12*MOCK-PD00000041*13*1",
                "NM1*QC*1",
                "DTM*232*20260303",
                "DTM*233*20260305",
                "SVC*HC:S9480*333.33*133.33*0905",
                "DTM*472*20260303",
                "CAS*CO*45*66.67",
                "CAS*PR*1*100**2*33.33",
                "REF*6R*PD00000041-1",
                "AMT*B6*266.66",
                "SVC*HC:S9480*333.33*213.33*0905",
                "DTM*472*20260304",
                "CAS*CO*45*66.67",
                "CAS*PR*2*53.33",
                "REF*6R*PD00000041-2",
                "AMT*B6*266.66",
                "SVC*NU:0913*99.99*63.99",
                "DTM*472*20260305",
                "CAS*CO*45*20",
                "CAS*PR*2*16",
                "REF*6R*PD00000041-3",
                "AMT*B6*79.99",
            ]
        );
        // 837P: allowed 200.40 a line; the first meets the deductible: 100 + 20 % of 100.40
        // (20.08) → paid 80.32; the second 20 % of 200.40 (40.08) → paid 160.32.
        assert!(s.contains(&"CLP*PD00000042*1*501*240.64*160.16*12*MOCK-PD00000042*57*1"));
        assert!(s.contains(&"CAS*PR*1*100**2*20.08"));
        assert!(s.contains(&"CAS*PR*2*40.08"));
        assert!(s[3].starts_with("BPR*I*651.29*C*ACH*"));
    }

    #[test]
    fn a_denied_line_says_why_and_the_others_are_paid() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::OneLineDeniedMissingAuth).unwrap();
        let s = segments(&x12);
        let first = s
            .iter()
            .position(|x| x.starts_with("CLP*PD00000041"))
            .unwrap();
        assert_eq!(
            s[first..first + 10],
            [
                "CLP*PD00000041*1*766.65*433.32**12*MOCK-PD00000041*13*1",
                "NM1*QC*1",
                "DTM*232*20260303",
                "DTM*233*20260305",
                // No unit paid of the one billed.
                "SVC*HC:S9480*333.33*0*0905*0**1",
                "DTM*472*20260303",
                "CAS*CO*197*333.33",
                "REF*6R*PD00000041-1",
                "LQ*HE*M62",
                "SVC*HC:S9480*333.33*333.33*0905",
            ]
        );
        assert!(s.contains(&"CLP*PD00000042*1*501*250.5**12*MOCK-PD00000042*57*1"));
        assert!(s[3].starts_with("BPR*I*683.82*C*ACH*"));
    }

    #[test]
    fn a_denied_claim_pays_nothing_and_the_835_is_a_notification() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::Denied).unwrap();
        let s = segments(&x12);
        assert_eq!(s[3], "BPR*H*0*C*NON************20260410");
        assert!(s.contains(&"CLP*PD00000041*4*766.65*0**12*MOCK-PD00000041*13*1"));
        assert!(s.contains(&"CLP*PD00000042*4*501*0**12*MOCK-PD00000042*57*1"));
        assert_eq!(x12.matches("CAS*CO*197*").count(), 5);
        assert_eq!(x12.matches("LQ*HE*M62").count(), 5);
        assert!(!x12.contains("AMT*B6"));
    }

    #[test]
    fn partial_pays_half_rounded_half_away_from_zero() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::Partial).unwrap();
        let s = segments(&x12);
        // 333.33 / 2 = 166.665 → 166.67; 99.99 / 2 = 49.995 → 50.00; 250.50 / 2 = 125.25.
        assert!(s.contains(&"SVC*HC:S9480*333.33*166.67*0905"));
        assert!(s.contains(&"CAS*CO*45*166.66"));
        assert!(s.contains(&"SVC*NU:0913*99.99*50"));
        assert!(s.contains(&"CAS*CO*45*49.99"));
        assert!(s.contains(&"SVC*HC:H0015:HQ*250.5*125.25"));
        assert!(s.contains(&"CLP*PD00000041*1*766.65*383.34**12*MOCK-PD00000041*13*1"));
        assert!(s[3].starts_with("BPR*I*633.84*C*ACH*"));
    }

    #[test]
    fn a_reversal_negates_the_earlier_payment_and_carries_the_balance_forward() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::Reversal).unwrap();
        let s = segments(&x12);
        assert_eq!(s[3], "BPR*H*0*C*NON************20260410");
        let first = s
            .iter()
            .position(|x| x.starts_with("CLP*PD00000041"))
            .unwrap();
        assert_eq!(
            s[first..first + 8],
            [
                "CLP*PD00000041*22*-766.65*-766.65**12*MOCK-PD00000041*13*1",
                "NM1*QC*1",
                "DTM*232*20260303",
                "DTM*233*20260305",
                "SVC*HC:S9480*-333.33*-333.33*0905",
                "DTM*472*20260303",
                "REF*6R*PD00000041-1",
                "AMT*B6*-333.33",
            ]
        );
        assert!(s.contains(&"CLP*PD00000042*22*-501*-501**12*MOCK-PD00000042*57*1"));
        // Nothing is paid in this 835: the 1267.65 recouped is carried forward.
        assert!(s.contains(&"PLB*1234567893*20261231*FB:MOCK-PD00000041*-1267.65"));
        assert_eq!(x12.matches("CLP*").count(), 2, "nothing but the reversals");
    }

    #[test]
    fn a_forwarded_claim_names_the_crossover_carrier() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::Forwarded).unwrap();
        let s = segments(&x12);
        let first = s
            .iter()
            .position(|x| x.starts_with("CLP*PD00000041"))
            .unwrap();
        assert_eq!(
            s[first..first + 3],
            [
                "CLP*PD00000041*19*766.65*766.65**12*MOCK-PD00000041*13*1",
                "NM1*QC*1",
                "NM1*TT*2*MOCK SECONDARY PLAN*****PI*MOCKSEC01",
            ]
        );
    }

    #[test]
    fn provider_level_adjustments_move_the_payment_away_from_the_claims_total() {
        let claims = billed(claims_json()).unwrap();
        let x12 = render(&claims, RemitScenario::Plb).unwrap();
        let s = segments(&x12);
        assert!(s[3].starts_with("BPR*I*1242.65*C*ACH*"), "{}", s[3]);
        assert!(s.contains(&"PLB*1234567893*20261231*WO:MOCK-OVERPAID-0001*25"));
        let x12 = render(&claims, RemitScenario::PlbInterest).unwrap();
        let s = segments(&x12);
        assert!(s[3].starts_with("BPR*I*1270.82*C*ACH*"), "{}", s[3]);
        assert!(s.contains(&"PLB*1234567893*20261231*L6:MOCK-PD00000041*-3.17"));
        // A recovery larger than the payment cannot be sent as a negative payment.
        let small = billed(vec![claim_json(
            "PD00000050",
            "837P",
            vec![line_json(
                "PD00000050",
                1,
                3,
                "0906",
                Some("H0015"),
                &[],
                "20.00",
            )],
        )])
        .unwrap();
        assert!(matches!(
            render(&small, RemitScenario::Plb),
            Err(RemitError::Unpayable(_))
        ));
    }

    #[test]
    fn claims_the_payer_cannot_read_are_refused_naming_the_field() {
        let refused = |edit: &dyn Fn(&mut Value)| {
            let mut claims = claims_json();
            edit(&mut claims[1]);
            match billed(claims) {
                Err(RemitError::Unreadable { field, .. }) => field,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            refused(&|c| c["lines"][1]["hcpcs"] = Value::Null),
            "claims[1].lines[1].hcpcs"
        );
        assert_eq!(
            refused(&|c| c["total_charge"] = json!("500.00")),
            "claims[1].total_charge"
        );
        assert_eq!(refused(&|c| c["lines"] = Value::Null), "claims[1].lines");
        assert_eq!(
            refused(&|c| c["lines"][0]["line_control_number"] = json!("")),
            "claims[1].lines[0].line_control_number"
        );
        assert_eq!(
            refused(&|c| c["lines"][0]["charge"] = json!("-5.00")),
            "claims[1].lines[0].charge"
        );
        assert_eq!(
            refused(&|c| c["claim_form"] = json!("UB04")),
            "claims[1].claim_form"
        );
        assert_eq!(
            refused(&|c| c["place_of_service"] = Value::Null),
            "claims[1].place_of_service"
        );
        // A control number holding a delimiter cannot be echoed.
        let mut claims = claims_json();
        claims[0]["lines"][0]["line_control_number"] = json!("PD1*1");
        let claims = billed(claims).unwrap();
        assert!(matches!(
            render(&claims, RemitScenario::PaidInFull),
            Err(RemitError::X12(X12Error::UnsafeText { .. }))
        ));
        assert!(render(&[], RemitScenario::PaidInFull).is_err());
    }

    #[test]
    fn scenarios_are_named() {
        for scenario in RemitScenario::ALL {
            assert_eq!(RemitScenario::parse(scenario.name()), Ok(scenario));
        }
        let refused = RemitScenario::parse("paid").unwrap_err();
        assert!(refused.contains("paid_in_full") && refused.contains("plb_interest"));
    }

    fn scenario() -> impl Strategy<Value = RemitScenario> {
        proptest::sample::select(RemitScenario::ALL.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
        /// Whatever the charges, every scenario's 835 balances on its text.
        #[test]
        fn any_charges_balance_in_every_scenario(
            cents in proptest::collection::vec(0i64..5_000_000, 1..6),
            institutional in any::<bool>(),
            scenario in scenario(),
        ) {
            let form = if institutional { "837I" } else { "837P" };
            let lines: Vec<Value> = cents
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let n = u32::try_from(i + 1).unwrap();
                    let charge = format!("{:.2}", Decimal::new(*c, 2));
                    line_json("PD00000077", n, 3 + n, "0905", Some("S9480"), &[], &charge)
                })
                .collect();
            let claims = billed(vec![claim_json("PD00000077", form, lines)]).unwrap();
            match render(&claims, scenario) {
                Ok(x12) => {
                    assert_balances(&x12);
                    let remit = read(&x12);
                    for line in remit.claims.iter().flat_map(|c| &c.lines) {
                        // Only a reversal pays back; no other line pays more than it charged.
                        if matches!(
                            scenario,
                            RemitScenario::Reversal | RemitScenario::PartialReversal
                        ) {
                            prop_assert!(line.paid <= Decimal::ZERO);
                        } else {
                            prop_assert!(line.paid >= Decimal::ZERO && line.paid <= line.charge);
                        }
                    }
                }
                Err(RemitError::Unpayable(_)) => {
                    let total: i64 = cents.iter().sum();
                    prop_assert!(scenario == RemitScenario::Plb && total < 2_500);
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}
