//! Posting a remittance: what each claim and line of an 835 transaction set means for the
//! claims perdiem sent, matched and checked before anything is stored. Pure: the service loads
//! our claims and stores the [`Posting`].
//!
//! - **Claims** match by CLP01, our CLM01 (the claim number). A CLP naming no claim of ours is
//!   kept and listed as unmatched, never dropped.
//! - **Lines** match by REF*6R, the line item control number our 837 sent
//!   ([`crate::domain::claim::line_control_number`]); a payer that does not echo it is matched
//!   by service date, revenue code and the procedure we sent (SVC06 when the payer paid another
//!   code, else SVC01), each of our lines at most once. A line matching none is unmatched.
//! - **Amounts** are exact: an amount with more than two decimal places refuses the file rather
//!   than be rounded (storage is integer cents).
//! - **Balancing** is checked, never assumed (the reader's [`x12::Imbalance`]s): a set that
//!   does not balance is kept and flagged with each difference and its place, and posts nothing.
//! - **Outcome** per claim ([`Remitted`]): CLP02 22 reverses an earlier posting; 19, 20, 21 and
//!   23 forward the claim to another payer; CLP02 4 denies it, and so does a payment of zero
//!   where every line (or, without lines, the claim) is adjusted by CO, OA or PI only. A claim
//!   paid something is partially paid when a line of it was denied that way, or when the
//!   payer's allowed amount (paid + patient responsibility) falls short of the contract's
//!   expected reimbursement; otherwise it is paid (in full: what the payer owed, it paid).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::claim::line_control_number;
use super::claim_status::{ClaimStatus, Remitted};
use super::money::to_minor_units;
use crate::x12::remit835 as x12;

/// One of our claims as posting needs it.
#[derive(Debug, Clone)]
pub struct OurClaim {
    pub id: Uuid,
    pub client_id: Uuid,
    pub claim_number: String,
    pub status: ClaimStatus,
    /// What the contract says the payer should allow, when every line's schedule says it.
    pub expected_cents: Option<i64>,
    /// A per-service claim ([`super::claim::is_per_service`]): paid by the day, so a line is
    /// judged with its day.
    pub per_service: bool,
    pub lines: Vec<OurLine>,
}

/// One of our claim lines as posting needs it.
#[derive(Debug, Clone)]
pub struct OurLine {
    pub line_number: u32,
    pub service_date: NaiveDate,
    pub revenue_code: String,
    pub hcpcs: Option<String>,
    pub modifiers: Vec<String>,
}

/// Why a set cannot be read into a posting at all (the file is refused with this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingError {
    /// Where, in the 835 (`CLP 'PD00000042' (segment 14)`).
    pub place: String,
    pub reason: String,
}

impl std::fmt::Display for PostingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.reason)
    }
}

/// One 835 transaction set, ready to store.
#[derive(Debug, Clone, Serialize)]
pub struct Posting {
    pub set_control_number: String,
    pub payer_name: String,
    pub payer_identifier: String,
    pub trace_number: String,
    pub payment_cents: i64,
    pub credit_debit: &'static str,
    pub payment_method: &'static str,
    pub payment_date: Option<NaiveDate>,
    pub payee_name: String,
    pub payee_id: Option<String>,
    pub imbalances: Vec<Imbalance>,
    pub claims: Vec<ClaimPosting>,
    pub provider_adjustments: Vec<ProviderAdjustmentPosting>,
}

impl Posting {
    pub fn balances(&self) -> bool {
        self.imbalances.is_empty()
    }
}

/// A balancing rule the figures break, with the amounts as exact decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Imbalance {
    pub place: String,
    pub expected: String,
    pub actual: String,
    pub difference: String,
}

/// One CLP.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimPosting {
    pub position: u32,
    /// Our claim, when CLP01 names one.
    pub claim_id: Option<Uuid>,
    pub patient_control_number: String,
    pub status_code: String,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub patient_responsibility_cents: Option<i64>,
    pub payer_claim_number: Option<String>,
    pub crossover_name: Option<String>,
    pub crossover_id: Option<String>,
    pub outcome: Remitted,
    /// The claim's status now and where this posting takes it (`None`: it stays, and when
    /// `status_before` is set, the claim could not take a payment in its status).
    pub status_before: Option<ClaimStatus>,
    pub status_after: Option<ClaimStatus>,
    pub adjustments: Vec<AdjustmentPosting>,
    pub lines: Vec<LinePosting>,
}

/// One SVC.
#[derive(Debug, Clone, Serialize)]
pub struct LinePosting {
    pub position: u32,
    /// Our line, when matched (its claim is the CLP's).
    pub line_number: Option<u32>,
    pub procedure: String,
    pub revenue_code: Option<String>,
    pub submitted_procedure: Option<String>,
    pub service_date: Option<NaiveDate>,
    pub charge_cents: i64,
    pub paid_cents: i64,
    pub allowed_cents: Option<i64>,
    pub units: String,
    pub line_control_number: Option<String>,
    pub remark_codes: Vec<String>,
    pub adjustments: Vec<AdjustmentPosting>,
}

impl LinePosting {
    /// Paid nothing, and nothing of it left to the patient: the payer refused it.
    pub fn is_denied(&self) -> bool {
        self.paid_cents == 0
            && self.charge_cents != 0
            && !self.adjustments.is_empty()
            && self.adjustments.iter().all(|a| a.group != "PR")
    }
}

/// One CAS triplet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdjustmentPosting {
    pub group: &'static str,
    pub reason: String,
    pub amount_cents: i64,
    pub quantity: Option<String>,
}

/// One PLB adjustment.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderAdjustmentPosting {
    pub provider_id: String,
    pub fiscal_period_date: Option<NaiveDate>,
    pub reason_code: String,
    pub reference: Option<String>,
    pub amount_cents: i64,
}

/// The claims and lines of `set`, matched to `ours` (by claim number) and checked.
pub fn post(
    set: &x12::Remittance,
    ours: &HashMap<String, OurClaim>,
) -> Result<Posting, PostingError> {
    let payment_cents = cents(set.payment.amount, || {
        format!("BPR (segment {})", set.payment.segment)
    })?;
    let mut claims = Vec::new();
    for (i, clp) in set.claims().enumerate() {
        let ours = ours.get(&clp.patient_control_number);
        claims.push(claim_posting(position(i), clp, ours)?);
    }
    let mut provider_adjustments = Vec::new();
    for plb in &set.provider_adjustments {
        provider_adjustments.push(ProviderAdjustmentPosting {
            provider_id: plb.provider_id.clone(),
            fiscal_period_date: plb.fiscal_period_end.date,
            reason_code: plb.reason.clone(),
            reference: plb.reference.clone(),
            amount_cents: cents(plb.amount, || format!("PLB (segment {})", plb.segment))?,
        });
    }
    let imbalances = set
        .imbalances()
        .into_iter()
        .map(|i| Imbalance {
            place: i.place,
            expected: format!("{:.2}", i.expected),
            actual: format!("{:.2}", i.actual),
            difference: format!("{:.2}", i.difference),
        })
        .collect();
    Ok(Posting {
        set_control_number: set.transaction_set_control_number.clone(),
        payer_name: set.payer.name.clone(),
        // TRN03 is required; a payer that leaves it out is named by its id, else its name.
        payer_identifier: set
            .trace
            .originator_id
            .clone()
            .or_else(|| set.payer.id.clone())
            .unwrap_or_else(|| set.payer.name.clone()),
        trace_number: set.trace.reference.clone(),
        payment_cents,
        credit_debit: set.payment.credit_debit.code(),
        payment_method: set.payment.method.code(),
        payment_date: set.payment.date.as_ref().and_then(|d| d.date),
        payee_name: set.payee.name.clone(),
        payee_id: set.payee.id.clone(),
        imbalances,
        claims,
        provider_adjustments,
    })
}

fn position(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// Whole cents of an 835 amount; more places than two refuse the file (never rounded).
fn cents(amount: Decimal, place: impl FnOnce() -> String) -> Result<i64, PostingError> {
    if amount.round_dp(2) != amount {
        return Err(PostingError {
            place: place(),
            reason: format!("the amount {amount} has more than two decimal places"),
        });
    }
    to_minor_units(amount).ok_or_else(|| PostingError {
        place: place(),
        reason: format!("the amount {amount} is too large"),
    })
}

fn adjustments(cas: &[x12::Adjustment]) -> Result<Vec<AdjustmentPosting>, PostingError> {
    cas.iter()
        .map(|a| {
            Ok(AdjustmentPosting {
                group: a.group.code(),
                reason: a.reason.clone(),
                amount_cents: cents(a.amount, || format!("CAS (segment {})", a.segment))?,
                quantity: a.quantity.map(|q| q.normalize().to_string()),
            })
        })
        .collect()
}

fn code_text(code: &x12::ServiceCode) -> String {
    let mut text = format!("{}:{}", code.qualifier, code.code);
    for m in &code.modifiers {
        text.push(':');
        text.push_str(m);
    }
    text
}

fn claim_posting(
    position: u32,
    clp: &x12::ClaimPayment,
    ours: Option<&OurClaim>,
) -> Result<ClaimPosting, PostingError> {
    let place = || {
        format!(
            "CLP '{}' (segment {})",
            clp.patient_control_number, clp.segment
        )
    };
    let charge_cents = cents(clp.charge, place)?;
    let paid_cents = cents(clp.paid, place)?;
    let patient_responsibility_cents = clp
        .patient_responsibility
        .map(|d| cents(d, place))
        .transpose()?;
    let mut taken: Vec<bool> = ours.map_or_else(Vec::new, |c| vec![false; c.lines.len()]);
    let mut lines = Vec::with_capacity(clp.lines.len());
    for (i, svc) in clp.lines.iter().enumerate() {
        let place = || format!("SVC (segment {})", svc.segment);
        let service_date = svc
            .dates
            .iter()
            .find(|d| d.qualifier == "472" || d.qualifier == "150")
            .and_then(|d| d.date.date);
        let matched = ours.and_then(|claim| match_line(claim, svc, service_date, &mut taken));
        lines.push(LinePosting {
            position: self::position(i),
            line_number: matched,
            procedure: code_text(&svc.procedure),
            revenue_code: svc
                .revenue_code
                .clone()
                .or_else(|| (svc.procedure.qualifier == "NU").then(|| svc.procedure.code.clone())),
            submitted_procedure: svc.submitted_procedure.as_ref().map(code_text),
            service_date,
            charge_cents: cents(svc.charge, place)?,
            paid_cents: cents(svc.paid, place)?,
            allowed_cents: svc.allowed.map(|d| cents(d, place)).transpose()?,
            units: svc.units.normalize().to_string(),
            line_control_number: svc.line_item_control_number.clone(),
            remark_codes: svc
                .remarks
                .iter()
                .filter(|r| r.qualifier == "HE")
                .map(|r| r.code.clone())
                .collect(),
            adjustments: adjustments(&svc.adjustments)?,
        });
    }
    let claim_adjustments = adjustments(&clp.adjustments)?;
    let outcome = outcome(clp, paid_cents, &claim_adjustments, &lines, ours);
    let status_before = ours.map(|c| c.status);
    let status_after = status_before.and_then(|s| s.remitted(outcome));
    let crossover = clp.crossover_carrier.as_ref();
    Ok(ClaimPosting {
        position,
        claim_id: ours.map(|c| c.id),
        patient_control_number: clp.patient_control_number.clone(),
        status_code: clp.status.code().to_string(),
        charge_cents,
        paid_cents,
        patient_responsibility_cents,
        payer_claim_number: clp.payer_claim_control_number.clone(),
        crossover_name: crossover.and_then(|n| n.last_or_organization.clone()),
        crossover_id: crossover.and_then(|n| n.id.clone()),
        outcome,
        status_before,
        status_after,
        adjustments: claim_adjustments,
        lines,
    })
}

/// Our line this SVC pays: by REF*6R, else by date, revenue code and the code we sent.
fn match_line(
    claim: &OurClaim,
    svc: &x12::ServicePayment,
    service_date: Option<NaiveDate>,
    taken: &mut [bool],
) -> Option<u32> {
    let by_control = svc.line_item_control_number.as_deref().and_then(|sent| {
        claim
            .lines
            .iter()
            .position(|l| line_control_number(&claim.claim_number, l.line_number) == sent)
    });
    let index = by_control.or_else(|| {
        let sent = svc.submitted_procedure.as_ref().unwrap_or(&svc.procedure);
        let revenue = svc
            .revenue_code
            .as_deref()
            .or((sent.qualifier == "NU").then_some(sent.code.as_str()));
        claim.lines.iter().enumerate().position(|(i, l)| {
            !taken[i]
                && Some(l.service_date) == service_date
                && revenue.is_none_or(|r| r == l.revenue_code)
                && match sent.qualifier.as_str() {
                    "HC" => {
                        l.hcpcs.as_deref() == Some(sent.code.as_str())
                            && sent.modifiers == l.modifiers
                    }
                    "NU" => sent.code == l.revenue_code,
                    _ => false,
                }
        })
    })?;
    if taken[index] {
        return None;
    }
    taken[index] = true;
    Some(claim.lines[index].line_number)
}

fn outcome(
    clp: &x12::ClaimPayment,
    paid_cents: i64,
    claim_adjustments: &[AdjustmentPosting],
    lines: &[LinePosting],
    ours: Option<&OurClaim>,
) -> Remitted {
    if clp.status.is_reversal() {
        return Remitted::Reversed;
    }
    if clp.status.is_forwarded() {
        return Remitted::Forwarded;
    }
    if clp.status == x12::ClaimStatus::Denied {
        return Remitted::Denied;
    }
    let refused = |adjustments: &[AdjustmentPosting]| {
        !adjustments.is_empty() && adjustments.iter().all(|a| a.group != "PR")
    };
    if paid_cents == 0 {
        let denied = if lines.is_empty() {
            refused(claim_adjustments)
        } else {
            lines.iter().all(LinePosting::is_denied)
        };
        if denied {
            return Remitted::Denied;
        }
    }
    let a_line_denied = if ours.is_some_and(|c| c.per_service) {
        // The payer pays the day, often on one line with the others packaged at 0.00
        // (CO-97): a line is refused only when its whole day was paid nothing.
        let day_paid = |date: Option<NaiveDate>| -> i64 {
            lines
                .iter()
                .filter(|l| l.service_date == date)
                .map(|l| l.paid_cents)
                .sum()
        };
        lines
            .iter()
            .any(|l| l.is_denied() && day_paid(l.service_date) == 0)
    } else {
        lines.iter().any(LinePosting::is_denied)
    };
    let allowed = paid_cents + clp_patient_share(lines, claim_adjustments);
    let short_of_contract = ours
        .and_then(|c| c.expected_cents)
        .is_some_and(|expected| allowed < expected);
    if a_line_denied || short_of_contract {
        Remitted::PartiallyPaid
    } else {
        Remitted::PaidInFull
    }
}

/// Σ PR adjustments of the claim and its lines: what the payer left to the patient.
fn clp_patient_share(lines: &[LinePosting], claim_adjustments: &[AdjustmentPosting]) -> i64 {
    claim_adjustments
        .iter()
        .chain(lines.iter().flat_map(|l| &l.adjustments))
        .filter(|a| a.group == "PR")
        .map(|a| a.amount_cents)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x12::parse_835;

    /// One set paying claim `PD00000001` (two lines) and naming `PD99999999`, which is not ours.
    fn file(clp_paid: &str, lines: &[&str], bpr: &str) -> String {
        let mut segments = vec![
            "ISA*00*          *00*          *ZZ*MOCKPAYER      *ZZ*1234567893     *260410*0900*^*00501*000000401*0*P*:".to_string(),
            "GS*HP*MOCKPAYER*1234567893*20260410*0900*401*X*005010X221A1".into(),
            "ST*835*0001".into(),
            format!("BPR*I*{bpr}*C*ACH*CCP*01*011000015*DA*123456*1999999999**01*021000021*DA*987654*20260412"),
            "TRN*1*EFT0001*1999999999".into(),
            "N1*PR*MOCK HEALTH PLAN".into(),
            "N3*PO BOX 1000".into(),
            "N4*HARTFORD*CT*06101".into(),
            "PER*BL*EDI SUPPORT*TE*8005550199".into(),
            "N1*PE*SUNRISE*XX*1234567893".into(),
            "LX*1".into(),
            format!("CLP*PD00000001*1*600*{clp_paid}**12*MOCK-1*13*1"),
        ];
        segments.extend(lines.iter().flat_map(|l| l.split('~')).map(str::to_string));
        segments.push("CLP*PD99999999*1*10*10**12*MOCK-2*13*1".into());
        let count = segments.len() - 2 + 1;
        segments.push(format!("SE*{count}*0001"));
        segments.push("GE*1*401".into());
        segments.push("IEA*1*000000401".into());
        segments.join("~") + "~"
    }

    fn ours(status: ClaimStatus, expected_cents: Option<i64>) -> HashMap<String, OurClaim> {
        let line = |n: u32, day: u32| OurLine {
            line_number: n,
            service_date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            revenue_code: "0905".into(),
            hcpcs: Some("S9480".into()),
            modifiers: vec![],
        };
        let claim = OurClaim {
            id: Uuid::nil(),
            client_id: Uuid::nil(),
            claim_number: "PD00000001".into(),
            status,
            expected_cents,
            per_service: false,
            lines: vec![line(1, 2), line(2, 3)],
        };
        HashMap::from([(claim.claim_number.clone(), claim)])
    }

    fn posting(text: &str, ours: &HashMap<String, OurClaim>) -> Result<Posting, PostingError> {
        let interchange = parse_835(text.as_bytes()).unwrap();
        post(&interchange.remittances[0], ours)
    }

    const PAID_1: &str = "SVC*HC:S9480*300*300*0905*1~DTM*472*20260302~REF*6R*PD00000001-1";

    #[test]
    fn lines_match_by_their_control_number_else_by_day_revenue_code_and_procedure() {
        // The second line has no REF*6R: matched by 2026-03-03, 0905 and HC:S9480.
        let text = file(
            "600",
            &[PAID_1, "SVC*HC:S9480*300*300*0905*1~DTM*472*20260303"],
            "610",
        );
        let p = posting(&text, &ours(ClaimStatus::Submitted, None)).unwrap();
        assert!(p.balances(), "{:?}", p.imbalances);
        let claim = &p.claims[0];
        assert_eq!(claim.claim_id, Some(Uuid::nil()));
        let matched: Vec<Option<u32>> = claim.lines.iter().map(|l| l.line_number).collect();
        assert_eq!(matched, vec![Some(1), Some(2)]);
        assert_eq!(claim.outcome, Remitted::PaidInFull);
        assert_eq!(claim.status_after, Some(ClaimStatus::Paid));
        // Not ours: kept, unmatched.
        assert_eq!(p.claims[1].claim_id, None);
        assert_eq!(p.claims[1].status_after, None);
    }

    #[test]
    fn a_line_on_a_day_we_did_not_bill_is_unmatched_and_a_line_is_matched_once() {
        let text = file(
            "600",
            &[PAID_1, "SVC*HC:S9480*300*300*0905*1~DTM*472*20260302"],
            "610",
        );
        let p = posting(&text, &ours(ClaimStatus::Submitted, None)).unwrap();
        let matched: Vec<Option<u32>> = p.claims[0].lines.iter().map(|l| l.line_number).collect();
        assert_eq!(matched, vec![Some(1), None]);
    }

    #[test]
    fn a_zero_payment_with_only_co_is_denied_and_one_denied_line_makes_it_partial() {
        let denied = "SVC*HC:S9480*300*0*0905*1~DTM*472*20260303~CAS*CO*197*300";
        let text = file("300", &[PAID_1, denied], "310");
        let p = posting(&text, &ours(ClaimStatus::Accepted, None)).unwrap();
        assert!(p.balances(), "{:?}", p.imbalances);
        assert!(p.claims[0].lines[1].is_denied());
        assert_eq!(p.claims[0].outcome, Remitted::PartiallyPaid);

        let both = "SVC*HC:S9480*300*0*0905*1~DTM*472*20260302~CAS*CO*197*300";
        let text = file("0", &[both, denied], "10");
        let p = posting(&text, &ours(ClaimStatus::Accepted, None)).unwrap();
        assert_eq!(p.claims[0].outcome, Remitted::Denied);
        assert_eq!(p.claims[0].status_after, Some(ClaimStatus::Denied));

        // Nothing paid but all of it the patient's (deductible): adjudicated, not denied.
        let deductible = "SVC*HC:S9480*300*0*0905*1~DTM*472*20260302~CAS*PR*1*300";
        let deductible2 = "SVC*HC:S9480*300*0*0905*1~DTM*472*20260303~CAS*PR*1*300";
        let text = file("0", &[deductible, deductible2], "10");
        let p = posting(&text, &ours(ClaimStatus::Accepted, None)).unwrap();
        assert_eq!(p.claims[0].outcome, Remitted::PaidInFull);
    }

    #[test]
    fn a_per_service_claims_packaged_line_does_not_make_it_partial_but_an_unpaid_day_does() {
        let mut claims = ours(ClaimStatus::Submitted, None);
        let claim = claims.values_mut().next().unwrap();
        claim.per_service = true;
        claim.lines.insert(
            1,
            OurLine {
                line_number: 2,
                service_date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                revenue_code: "0905".into(),
                hcpcs: Some("S9480".into()),
                modifiers: vec![],
            },
        );
        claim.lines[2].line_number = 3;
        // 2 March: the day paid on line 1, line 2 packaged into it (CO-97) at 0.00.
        let packaged =
            "SVC*HC:S9480*150*0*0905*1~DTM*472*20260302~CAS*CO*97*150~REF*6R*PD00000001-2";
        let day_3_paid = "SVC*HC:S9480*150*150*0905*1~DTM*472*20260303~REF*6R*PD00000001-3";
        let text = file("450", &[PAID_1, packaged, day_3_paid], "460");
        let p = posting(&text, &claims).unwrap();
        assert!(p.balances(), "{:?}", p.imbalances);
        assert!(
            p.claims[0].lines[1].is_denied(),
            "alone, the line reads as refused"
        );
        assert_eq!(p.claims[0].outcome, Remitted::PaidInFull);
        // The same lines on a per-day claim: one line refused, the claim partly paid.
        claims.values_mut().next().unwrap().per_service = false;
        let p = posting(&text, &claims).unwrap();
        assert_eq!(p.claims[0].outcome, Remitted::PartiallyPaid);
        // 3 March paid nothing at all: that day is refused, the claim partly paid.
        claims.values_mut().next().unwrap().per_service = true;
        let day_3_denied =
            "SVC*HC:S9480*150*0*0905*1~DTM*472*20260303~CAS*CO*197*150~REF*6R*PD00000001-3";
        let text = file("300", &[PAID_1, packaged, day_3_denied], "310");
        let p = posting(&text, &claims).unwrap();
        assert!(p.balances(), "{:?}", p.imbalances);
        assert_eq!(p.claims[0].outcome, Remitted::PartiallyPaid);
    }

    #[test]
    fn paid_below_the_contract_is_partial() {
        let half = |day: &str, n: u32| {
            format!("SVC*HC:S9480*300*150*0905*1~DTM*472*202603{day}~CAS*CO*45*150~REF*6R*PD00000001-{n}")
        };
        let (one, two) = (half("02", 1), half("03", 2));
        let text = file("300", &[&one, &two], "310");
        let contract = Some(2 * 25_010);
        let p = posting(&text, &ours(ClaimStatus::Submitted, contract)).unwrap();
        assert_eq!(p.claims[0].outcome, Remitted::PartiallyPaid);
        // Without a contracted amount there is nothing to fall short of.
        let p = posting(&text, &ours(ClaimStatus::Submitted, None)).unwrap();
        assert_eq!(p.claims[0].outcome, Remitted::PaidInFull);
    }

    #[test]
    fn an_unbalanced_set_says_where_and_by_how_much() {
        let text = file(
            "600",
            &[PAID_1, "SVC*HC:S9480*300*300*0905*1~DTM*472*20260303"],
            "600.01",
        );
        let p = posting(&text, &ours(ClaimStatus::Submitted, None)).unwrap();
        assert!(!p.balances());
        assert_eq!(p.imbalances.len(), 1, "{:?}", p.imbalances);
        assert_eq!(p.imbalances[0].actual, "600.01");
        assert_eq!(p.imbalances[0].expected, "610.00");
        assert_eq!(p.imbalances[0].difference, "-9.99");
    }

    #[test]
    fn an_amount_with_a_third_decimal_is_refused_not_rounded() {
        let text = file(
            "600.005",
            &[PAID_1, "SVC*HC:S9480*300*300.005*0905*1~DTM*472*20260303"],
            "610.005",
        );
        let refused = posting(&text, &ours(ClaimStatus::Submitted, None)).unwrap_err();
        assert!(
            refused.reason.contains("more than two decimal places"),
            "{refused}"
        );
    }

    #[test]
    fn a_claim_never_sent_takes_no_status_from_a_remittance() {
        let text = file(
            "600",
            &[PAID_1, "SVC*HC:S9480*300*300*0905*1~DTM*472*20260303"],
            "610",
        );
        let p = posting(&text, &ours(ClaimStatus::Void, None)).unwrap();
        assert_eq!(p.claims[0].status_before, Some(ClaimStatus::Void));
        assert_eq!(p.claims[0].status_after, None);
    }
}
