//! Reports on what payers' posted remittances (835) did to the lines perdiem billed, for
//! billing staff. Pure: the store hands over every posting of a matched line, this module nets
//! them and does the arithmetic, in `Decimal` and to the cent.
//!
//! - **Netting.** A line may be posted more than once: a reversal (CLP02 22) repeats an earlier
//!   posting with its amounts negated, a correction or a supplemental payment adds to it. The
//!   reports look at the line's net: Σ paid, Σ payer's allowed and Σ each adjustment (group and
//!   reason) over every posted remittance, so a reversed payment cancels its original. The
//!   remittance a line row names is its latest posting.
//! - **Underpayments.** A line paid something (net paid > 0) is compared with the contract: the
//!   fee schedule in force on the line's service date for the claim's payer, level of care and
//!   program, its allowed amount per day × the line's units — not the `expected` stored on the
//!   line when it was billed, which a later contract change leaves behind. The payer's allowed
//!   amount is AMT*B6 (2110, 005010X221A1) when the posting sent it, else paid + the line's
//!   patient responsibility (PR), posting by posting. The shortfall is contract − payer's allowed
//!   when positive. A line without a schedule, or whose schedule states no allowed amount, cannot
//!   be compared: it is counted, not guessed.
//! - **Denials.** A line is denied when the payer paid nothing (net paid 0) and adjusted it under
//!   CO, OA or PI; it is partly denied when it was paid but an adjustment's reason is not a
//!   contractual or informational one (a reason whose next step is writing the amount off or
//!   nothing; an unknown code counts as a denial — nothing is guessed away). In both, CO-45 (the
//!   charge exceeds the fee schedule: the contract working as agreed) and PR (the patient's
//!   share) are never denials. Each denying adjustment goes under its group and CARC.
//!   A line of a per-service claim ([`Contract::ServiceOfDay`]) is judged with its day (the
//!   claim's lines of that service date), because the payer pays the day, not the line: "paid
//!   nothing" is said of the day, so such a line is fully denied only when its whole day was
//!   paid nothing, and on a paid day only a non-contractual reason denies (part of) it. The
//!   0.00 lines Medicare packages into the day's APC (`CAS*CO*97`, included in the payment for
//!   another service) are therefore not denials; a day paid nothing is denied line by line.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use uuid::Uuid;

use super::adjustment_codes::{carc, group_name, rarc, NextStep};
use super::money::to_cents;

fn cents<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&to_cents(*amount))
}

/// Our claim line a posting was matched to, with what the reports show of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OurLine {
    pub claim_id: Uuid,
    pub claim_number: String,
    pub client_id: Uuid,
    pub line_number: u32,
    pub service_date: NaiveDate,
    pub payer_id: Uuid,
    pub payer_name: String,
    pub units: u32,
}

/// What the contract says the payer allows for a line's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// No fee schedule of the claim's payer, level of care and program covers the service date.
    NoSchedule,
    /// The schedule in force states no allowed amount.
    NoAllowedAmount,
    AllowedPerDay(Decimal),
    /// A line of a per-service claim (issue 17): the payer pays its day, not the line, so the
    /// line is compared as part of its day ([`day_underpayments`]). The amount is what the
    /// line expected when billed — the day's rate on the day's first line, 0.00 on the others
    /// — or `None` when the day's rate was not known.
    ServiceOfDay(Option<Decimal>),
}

/// The remittance a posting came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remittance {
    pub id: Uuid,
    pub trace_number: String,
    pub posted_at: DateTime<Utc>,
}

/// One CAS triplet of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    pub group: String,
    pub reason: String,
    pub amount: Decimal,
}

/// One SVC of a posted remittance, matched to one of our lines.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePosting {
    pub line: OurLine,
    pub contract: Contract,
    pub remittance: Remittance,
    pub paid: Decimal,
    /// AMT*B6, when sent.
    pub allowed: Option<Decimal>,
    pub adjustments: Vec<Adjustment>,
    /// LQ*HE.
    pub remark_codes: Vec<String>,
}

impl LinePosting {
    /// AMT*B6, else what the payer paid plus what it left to the patient: both are the payer's
    /// allowed amount for the line (005010X221A1, 2110 AMT).
    fn payer_allowed(&self) -> Decimal {
        self.allowed.unwrap_or_else(|| {
            self.paid
                + self
                    .adjustments
                    .iter()
                    .filter(|a| a.group == "PR")
                    .map(|a| a.amount)
                    .sum::<Decimal>()
        })
    }
}

/// One of our lines after every posting of it.
#[derive(Debug, Clone, PartialEq)]
pub struct NetLine {
    pub line: OurLine,
    pub contract: Contract,
    /// The latest posting's remittance.
    pub remittance: Remittance,
    pub paid: Decimal,
    pub payer_allowed: Decimal,
    /// Σ amount per (group, reason), zero sums dropped.
    pub adjustments: BTreeMap<(String, String), Decimal>,
    pub remark_codes: BTreeSet<String>,
}

/// Nets the postings of each line (see the module docs); lines come out in service date,
/// claim number and line number order.
pub fn net(postings: Vec<LinePosting>) -> Vec<NetLine> {
    let mut postings = postings;
    postings.sort_by(|a, b| {
        (a.remittance.posted_at, a.remittance.id).cmp(&(b.remittance.posted_at, b.remittance.id))
    });
    let mut lines: HashMap<(Uuid, u32), NetLine> = HashMap::new();
    for posting in postings {
        let key = (posting.line.claim_id, posting.line.line_number);
        let payer_allowed = posting.payer_allowed();
        let net = lines.entry(key).or_insert_with(|| NetLine {
            line: posting.line.clone(),
            contract: posting.contract,
            remittance: posting.remittance.clone(),
            paid: Decimal::ZERO,
            payer_allowed: Decimal::ZERO,
            adjustments: BTreeMap::new(),
            remark_codes: BTreeSet::new(),
        });
        net.remittance = posting.remittance;
        net.paid += posting.paid;
        net.payer_allowed += payer_allowed;
        for a in posting.adjustments {
            *net.adjustments.entry((a.group, a.reason)).or_default() += a.amount;
        }
        net.remark_codes.extend(posting.remark_codes);
    }
    let mut lines: Vec<NetLine> = lines
        .into_values()
        .map(|mut l| {
            l.adjustments.retain(|_, amount| !amount.is_zero());
            l
        })
        .collect();
    lines.sort_by(|a, b| {
        (
            a.line.service_date,
            &a.line.claim_number,
            a.line.line_number,
        )
            .cmp(&(
                b.line.service_date,
                &b.line.claim_number,
                b.line.line_number,
            ))
    });
    lines
}

// ---------------------------------------------------------------------------------------------
// Underpayments

/// A paid line the payer allowed less than the contract says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Underpayment {
    pub claim_id: Uuid,
    pub claim_number: String,
    pub client_id: Uuid,
    pub line_number: u32,
    pub service_date: NaiveDate,
    pub payer_id: Uuid,
    pub payer_name: String,
    pub units: u32,
    #[serde(serialize_with = "cents")]
    pub contract_allowed: Decimal,
    #[serde(serialize_with = "cents")]
    pub payer_allowed: Decimal,
    #[serde(serialize_with = "cents")]
    pub paid: Decimal,
    #[serde(serialize_with = "cents")]
    pub shortfall: Decimal,
    pub remittance_id: Uuid,
    pub trace_number: String,
}

/// One payer's underpaid lines, summed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayerShortfall {
    pub payer_id: Uuid,
    pub payer_name: String,
    /// Underpaid lines.
    pub lines: u64,
    #[serde(serialize_with = "cents")]
    pub shortfall: Decimal,
    /// Paid lines that could not be compared (no schedule, or no allowed amount in it).
    pub not_comparable: u64,
    /// Underpaid days of per-service claims (their shortfall is in `shortfall`).
    pub days: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Underpayments {
    pub lines: Vec<Underpayment>,
    /// Per payer, by name.
    pub payers: Vec<PayerShortfall>,
    #[serde(serialize_with = "cents")]
    pub total_shortfall: Decimal,
    /// Paid lines compared with their contract, underpaid or not.
    pub lines_compared: u64,
    /// Paid lines whose date has no schedule, or whose schedule states no allowed amount.
    pub not_comparable: u64,
    /// Underpaid days of per-service claims, compared as a whole with the day's rate.
    pub days: Vec<DayUnderpayment>,
    /// Paid days of per-service claims compared with their day rate, underpaid or not.
    pub days_compared: u64,
    /// Paid days of per-service claims whose expected amount is not known.
    pub days_not_comparable: u64,
}

fn payer_row<'a>(
    payers: &'a mut BTreeMap<(String, Uuid), PayerShortfall>,
    line: &OurLine,
) -> &'a mut PayerShortfall {
    payers
        .entry((line.payer_name.clone(), line.payer_id))
        .or_insert_with(|| PayerShortfall {
            payer_id: line.payer_id,
            payer_name: line.payer_name.clone(),
            lines: 0,
            shortfall: Decimal::ZERO,
            not_comparable: 0,
            days: 0,
        })
}

/// The underpaid lines among `lines` (netted), with totals per payer. Lines of per-service
/// claims ([`Contract::ServiceOfDay`]) are compared day by day ([`day_underpayments`]), the
/// day expected the sum of its lines' expected amounts: a payer that pays the day's APC on one
/// line and 0.00 on the others has underpaid none of them line by line.
pub fn underpayments(lines: &[NetLine]) -> Underpayments {
    let (of_days, per_line): (Vec<&NetLine>, Vec<&NetLine>) = lines
        .iter()
        .partition(|l| matches!(l.contract, Contract::ServiceOfDay(_)));
    let mut report = Underpayments {
        lines: Vec::new(),
        payers: Vec::new(),
        total_shortfall: Decimal::ZERO,
        lines_compared: 0,
        not_comparable: 0,
        days: Vec::new(),
        days_compared: 0,
        days_not_comparable: 0,
    };
    let mut payers: BTreeMap<(String, Uuid), PayerShortfall> = BTreeMap::new();
    // Denied lines belong to the denials report; a fully reversed line was not paid.
    for net in per_line.into_iter().filter(|l| l.paid > Decimal::ZERO) {
        let line = &net.line;
        let payer = payer_row(&mut payers, line);
        let Contract::AllowedPerDay(per_day) = net.contract else {
            report.not_comparable += 1;
            payer.not_comparable += 1;
            continue;
        };
        report.lines_compared += 1;
        let contract_allowed = to_cents(per_day * Decimal::from(line.units));
        let shortfall = contract_allowed - net.payer_allowed;
        if shortfall <= Decimal::ZERO {
            continue;
        }
        payer.lines += 1;
        payer.shortfall += shortfall;
        report.total_shortfall += shortfall;
        report.lines.push(Underpayment {
            claim_id: line.claim_id,
            claim_number: line.claim_number.clone(),
            client_id: line.client_id,
            line_number: line.line_number,
            service_date: line.service_date,
            payer_id: line.payer_id,
            payer_name: line.payer_name.clone(),
            units: line.units,
            contract_allowed,
            payer_allowed: net.payer_allowed,
            paid: net.paid,
            shortfall,
            remittance_id: net.remittance.id,
            trace_number: net.remittance.trace_number.clone(),
        });
    }
    let mut expected: HashMap<(Uuid, NaiveDate), Option<Decimal>> = HashMap::new();
    for net in &of_days {
        let Contract::ServiceOfDay(amount) = net.contract else {
            continue;
        };
        let day = expected
            .entry((net.line.claim_id, net.line.service_date))
            .or_insert(Some(Decimal::ZERO));
        *day = day.zip(amount).map(|(a, b)| a + b);
    }
    let of_days: Vec<NetLine> = of_days.into_iter().cloned().collect();
    let days = day_underpayments(&of_days, &expected);
    for day in &days.days {
        let payer = payers
            .entry((day.payer_name.clone(), day.payer_id))
            .or_insert_with(|| PayerShortfall {
                payer_id: day.payer_id,
                payer_name: day.payer_name.clone(),
                lines: 0,
                shortfall: Decimal::ZERO,
                not_comparable: 0,
                days: 0,
            });
        payer.days += 1;
        payer.shortfall += day.shortfall;
    }
    report.total_shortfall += days.total_shortfall;
    report.days = days.days;
    report.days_compared = days.days_compared;
    report.days_not_comparable = days.not_comparable;
    report.payers = payers.into_values().collect();
    report
}

// ---------------------------------------------------------------------------------------------
// Underpayments of per-service payers, per day

/// A day of a per-service payer's claim (issue 17) whose lines the payer allowed less, in
/// all, than the day rate says: such a payer pays the day (Medicare's per-diem APC, domain
/// reference §4.3), usually on one of its lines with the others packaged at 0.00, so the
/// comparison is of the day's sum, never line by line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayUnderpayment {
    pub claim_id: Uuid,
    pub claim_number: String,
    pub client_id: Uuid,
    pub service_date: NaiveDate,
    pub payer_id: Uuid,
    pub payer_name: String,
    /// The day's lines.
    pub lines: u32,
    /// What the day rates say ([`super::day_rate::expected_for_day`]).
    #[serde(serialize_with = "cents")]
    pub expected: Decimal,
    /// Σ the payer's allowed amount of the day's lines.
    #[serde(serialize_with = "cents")]
    pub payer_allowed: Decimal,
    #[serde(serialize_with = "cents")]
    pub paid: Decimal,
    #[serde(serialize_with = "cents")]
    pub shortfall: Decimal,
    /// The latest remittance that posted one of the day's lines.
    pub remittance_id: Uuid,
    pub trace_number: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayUnderpayments {
    pub days: Vec<DayUnderpayment>,
    #[serde(serialize_with = "cents")]
    pub total_shortfall: Decimal,
    /// Paid days compared with their day rate, underpaid or not.
    pub days_compared: u64,
    /// Paid days whose expected amount is not known (no day rate in force, or not given).
    pub not_comparable: u64,
}

/// The underpaid days among `lines` (netted lines of per-service payers' claims), each day
/// being the lines of one claim on one service date. `expected` gives a day's expected amount
/// by (claim, date): `Some(None)` or absent is not known, and the day is counted, not guessed.
/// A day the payer paid nothing on (net) is a denial, not an underpayment, as for lines; a day
/// below the payer's minimum is expected 0.00, so paying it nothing is no shortfall either.
pub fn day_underpayments(
    lines: &[NetLine],
    expected: &HashMap<(Uuid, NaiveDate), Option<Decimal>>,
) -> DayUnderpayments {
    let mut days: BTreeMap<(NaiveDate, String, Uuid), Vec<&NetLine>> = BTreeMap::new();
    for net in lines {
        let line = &net.line;
        days.entry((line.service_date, line.claim_number.clone(), line.claim_id))
            .or_default()
            .push(net);
    }
    let mut report = DayUnderpayments {
        days: Vec::new(),
        total_shortfall: Decimal::ZERO,
        days_compared: 0,
        not_comparable: 0,
    };
    for ((date, claim_number, claim_id), day) in days {
        let paid: Decimal = day.iter().map(|l| l.paid).sum();
        if paid <= Decimal::ZERO {
            continue;
        }
        let Some(Some(expected)) = expected.get(&(claim_id, date)).copied() else {
            report.not_comparable += 1;
            continue;
        };
        report.days_compared += 1;
        let payer_allowed: Decimal = day.iter().map(|l| l.payer_allowed).sum();
        let shortfall = to_cents(expected) - payer_allowed;
        if shortfall <= Decimal::ZERO {
            continue;
        }
        let latest = day
            .iter()
            .max_by_key(|l| (l.remittance.posted_at, l.remittance.id))
            .map(|l| &l.remittance);
        let (Some(first), Some(latest)) = (day.first(), latest) else {
            continue;
        };
        report.total_shortfall += shortfall;
        report.days.push(DayUnderpayment {
            claim_id,
            claim_number,
            client_id: first.line.client_id,
            service_date: date,
            payer_id: first.line.payer_id,
            payer_name: first.line.payer_name.clone(),
            lines: u32::try_from(day.len()).unwrap_or(u32::MAX),
            expected: to_cents(expected),
            payer_allowed,
            paid,
            shortfall,
            remittance_id: latest.id,
            trace_number: latest.trace_number.clone(),
        });
    }
    report
}

// ---------------------------------------------------------------------------------------------
// Denials

/// Whether an adjustment of a line denies (part of) it — the rule in the module docs.
fn denies(group: &str, reason: &str, amount: Decimal, line_paid: Decimal) -> bool {
    if amount <= Decimal::ZERO || group == "PR" || (group == "CO" && reason == "45") {
        return false;
    }
    if line_paid <= Decimal::ZERO {
        return true;
    }
    !matches!(
        carc(reason).map(|c| c.next_step),
        Some(NextStep::WriteOff | NextStep::Informational)
    )
}

/// A remark code with its words (`None` when the table does not know it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remark {
    pub code: String,
    pub description: Option<&'static str>,
}

/// A line denied (in part) for one reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeniedLine {
    pub claim_id: Uuid,
    pub claim_number: String,
    pub client_id: Uuid,
    pub line_number: u32,
    pub service_date: NaiveDate,
    pub payer_id: Uuid,
    pub payer_name: String,
    /// What this reason took off the line.
    #[serde(serialize_with = "cents")]
    pub amount: Decimal,
    /// Paid nothing (else partly denied); for a line of a per-service claim, its day was.
    pub fully_denied: bool,
    pub remark_codes: Vec<String>,
    pub remittance_id: Uuid,
    pub trace_number: String,
}

/// The lines denied for one group code and CARC.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DenialReason {
    pub group_code: String,
    pub group: Option<&'static str>,
    pub reason_code: String,
    pub description: Option<&'static str>,
    pub next_step: Option<&'static str>,
    pub line_count: u64,
    #[serde(serialize_with = "cents")]
    pub amount: Decimal,
    /// Every RARC sent with these lines.
    pub remarks: Vec<Remark>,
    pub lines: Vec<DeniedLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Denials {
    /// Largest amount first.
    pub reasons: Vec<DenialReason>,
    /// Lines with at least one denial.
    pub line_count: u64,
    #[serde(serialize_with = "cents")]
    pub total: Decimal,
}

/// What the payer paid for the unit a line is paid as: the line itself, or for a line of a
/// per-service claim its day, Σ the net paid of the claim's lines on that date (module docs).
fn paid_for(lines: &[NetLine]) -> impl Fn(&NetLine) -> Decimal {
    let mut days: HashMap<(Uuid, NaiveDate), Decimal> = HashMap::new();
    for net in lines {
        if matches!(net.contract, Contract::ServiceOfDay(_)) {
            *days
                .entry((net.line.claim_id, net.line.service_date))
                .or_default() += net.paid;
        }
    }
    move |net| match net.contract {
        Contract::ServiceOfDay(_) => days
            .get(&(net.line.claim_id, net.line.service_date))
            .copied()
            .unwrap_or(net.paid),
        _ => net.paid,
    }
}

/// The denied and partly denied lines among `lines` (netted), by group code and CARC.
pub fn denials(lines: &[NetLine]) -> Denials {
    let mut reasons: BTreeMap<(String, String), DenialReason> = BTreeMap::new();
    let mut denied_lines = 0;
    let mut total = Decimal::ZERO;
    let paid_for = paid_for(lines);
    for net in lines {
        let mut any = false;
        let paid = paid_for(net);
        for ((group, reason), amount) in &net.adjustments {
            if !denies(group, reason, *amount, paid) {
                continue;
            }
            any = true;
            total += *amount;
            let known = carc(reason);
            let entry = reasons
                .entry((group.clone(), reason.clone()))
                .or_insert_with(|| DenialReason {
                    group_code: group.clone(),
                    group: group_name(group),
                    reason_code: reason.clone(),
                    description: known.map(|c| c.description),
                    next_step: known.map(|c| c.next_step.in_words()),
                    line_count: 0,
                    amount: Decimal::ZERO,
                    remarks: Vec::new(),
                    lines: Vec::new(),
                });
            entry.line_count += 1;
            entry.amount += *amount;
            for code in &net.remark_codes {
                if !entry.remarks.iter().any(|r| &r.code == code) {
                    entry.remarks.push(Remark {
                        code: code.clone(),
                        description: rarc(code),
                    });
                }
            }
            let line = &net.line;
            entry.lines.push(DeniedLine {
                claim_id: line.claim_id,
                claim_number: line.claim_number.clone(),
                client_id: line.client_id,
                line_number: line.line_number,
                service_date: line.service_date,
                payer_id: line.payer_id,
                payer_name: line.payer_name.clone(),
                amount: *amount,
                fully_denied: paid <= Decimal::ZERO,
                remark_codes: net.remark_codes.iter().cloned().collect(),
                remittance_id: net.remittance.id,
                trace_number: net.remittance.trace_number.clone(),
            });
        }
        if any {
            denied_lines += 1;
        }
    }
    let mut reasons: Vec<DenialReason> = reasons
        .into_values()
        .map(|mut r| {
            r.remarks.sort_by(|a, b| a.code.cmp(&b.code));
            r
        })
        .collect();
    reasons.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then_with(|| (&a.group_code, &a.reason_code).cmp(&(&b.group_code, &b.reason_code)))
    });
    Denials {
        reasons,
        line_count: denied_lines,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn line(claim: u128, number: u32) -> OurLine {
        OurLine {
            claim_id: Uuid::from_u128(claim),
            claim_number: format!("PD{claim:08}"),
            client_id: Uuid::from_u128(100 + claim),
            line_number: number,
            service_date: NaiveDate::from_ymd_opt(2026, 3, 2 + number).unwrap(),
            payer_id: Uuid::from_u128(7),
            payer_name: "MOCK HEALTH PLAN".into(),
            units: 1,
        }
    }

    fn remittance(n: u128, minute: u32) -> Remittance {
        Remittance {
            id: Uuid::from_u128(1000 + n),
            trace_number: format!("EFT{n:04}"),
            posted_at: DateTime::from_timestamp(1_775_000_000 + i64::from(minute) * 60, 0).unwrap(),
        }
    }

    fn adj(group: &str, reason: &str, amount: &str) -> Adjustment {
        Adjustment {
            group: group.into(),
            reason: reason.into(),
            amount: dec(amount),
        }
    }

    fn posting(
        line: OurLine,
        remit: Remittance,
        paid: &str,
        allowed: Option<&str>,
        adjustments: Vec<Adjustment>,
    ) -> LinePosting {
        LinePosting {
            line,
            contract: Contract::AllowedPerDay(dec("250.10")),
            remittance: remit,
            paid: dec(paid),
            allowed: allowed.map(dec),
            adjustments,
            remark_codes: Vec::new(),
        }
    }

    fn half_paid(claim: u128, number: u32, remit: Remittance) -> LinePosting {
        posting(
            line(claim, number),
            remit,
            "166.67",
            Some("166.67"),
            vec![adj("CO", "45", "166.66")],
        )
    }

    /// A line of claim 1 on `day` of March 2026, numbered `number`.
    fn service(number: u32, day: u32) -> OurLine {
        OurLine {
            service_date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
            ..line(1, number)
        }
    }

    fn march(day: u32) -> (Uuid, NaiveDate) {
        (
            Uuid::from_u128(1),
            NaiveDate::from_ymd_opt(2026, 3, day).unwrap(),
        )
    }

    #[test]
    fn a_per_service_day_is_compared_as_a_whole_with_its_day_rate() {
        let remit = remittance(1, 0);
        // 3 March: four services, the APC paid on the first line (allowed 360.00 of the 4+
        // rate 370.20), the others packaged at 0.00. 4 March: three services paid at the 3
        // rate in full (260.15). 5 March: two services, expected 0.00, paid 0.00. 6 March: no
        // day rate known. 9 March: paid, then reversed.
        let packaged = |number, day| {
            posting(
                service(number, day),
                remit.clone(),
                "0",
                Some("0"),
                vec![adj("CO", "97", "120.00")],
            )
        };
        let mut postings = vec![
            posting(
                service(1, 3),
                remit.clone(),
                "288.00",
                Some("360.00"),
                vec![adj("PR", "2", "72.00")],
            ),
            packaged(2, 3),
            packaged(3, 3),
            packaged(4, 3),
            posting(
                service(5, 4),
                remit.clone(),
                "208.12",
                None,
                vec![adj("PR", "2", "52.03")],
            ),
            packaged(6, 4),
            packaged(7, 4),
            packaged(8, 5),
            packaged(9, 5),
            posting(
                service(10, 6),
                remit.clone(),
                "100.00",
                Some("100.00"),
                vec![],
            ),
            posting(
                service(11, 9),
                remit.clone(),
                "100.00",
                Some("100.00"),
                vec![],
            ),
        ];
        postings.push(posting(
            service(11, 9),
            remittance(2, 5),
            "-100.00",
            Some("-100.00"),
            vec![],
        ));
        let lines = net(postings);
        let expected: HashMap<(Uuid, NaiveDate), Option<Decimal>> = [
            (march(3), Some(dec("370.20"))),
            (march(4), Some(dec("260.15"))),
            (march(5), Some(dec("0.00"))),
            (march(6), None),
            (march(9), Some(dec("260.15"))),
        ]
        .into_iter()
        .collect();
        let report = day_underpayments(&lines, &expected);
        assert_eq!(report.days.len(), 1, "{report:#?}");
        let day = &report.days[0];
        assert_eq!(day.service_date, march(3).1);
        assert_eq!(day.lines, 4);
        assert_eq!(day.expected, dec("370.20"));
        assert_eq!(day.payer_allowed, dec("360.00"));
        assert_eq!(day.paid, dec("288.00"));
        assert_eq!(day.shortfall, dec("10.20"));
        assert_eq!(report.total_shortfall, dec("10.20"));
        // 3 and 4 March compared; 6 March not comparable; 5 and 9 March paid nothing (net).
        assert_eq!(report.days_compared, 2);
        assert_eq!(report.not_comparable, 1);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["days"][0]["shortfall"], "10.20");
        assert_eq!(json["days"][0]["expected"], "370.20");
        // Line by line, the packaged lines would each have looked underpaid against a per-day
        // figure; per day they are not.
        assert!(report.days.iter().all(|d| d.service_date != march(4).1));
    }

    #[test]
    fn a_packaged_line_of_a_paid_per_service_day_is_no_denial_but_an_unpaid_day_is() {
        let remit = remittance(1, 0);
        let of_day = |number, day, paid: &str, adjustments| LinePosting {
            contract: Contract::ServiceOfDay(None),
            ..posting(service(number, day), remit.clone(), paid, None, adjustments)
        };
        let lines = net(vec![
            // 3 March: the APC on the first line; the others packaged (CO-97) at 0.00.
            of_day(1, 3, "370.20", vec![adj("CO", "45", "49.80")]),
            of_day(2, 3, "0", vec![adj("CO", "97", "300.00")]),
            of_day(3, 3, "0", vec![adj("CO", "97", "275.50")]),
            // 4 March: paid, but one line refused as not medically necessary: partly denied.
            of_day(4, 4, "260.15", vec![adj("CO", "45", "159.85")]),
            of_day(5, 4, "0", vec![adj("CO", "50", "95.25")]),
            // 5 March: the whole day paid nothing: each line denied in full.
            of_day(6, 5, "0", vec![adj("CO", "97", "210.00")]),
            of_day(7, 5, "0", vec![adj("CO", "197", "300.00")]),
        ]);
        let report = denials(&lines);
        let denied: Vec<(u32, &str, &str, bool)> = report
            .reasons
            .iter()
            .flat_map(|r| {
                r.lines.iter().map(move |l| {
                    (
                        l.line_number,
                        r.group_code.as_str(),
                        r.reason_code.as_str(),
                        l.fully_denied,
                    )
                })
            })
            .collect();
        assert_eq!(
            denied,
            [
                (7, "CO", "197", true),
                (6, "CO", "97", true),
                (5, "CO", "50", false),
            ]
        );
        assert_eq!(report.line_count, 3);
        assert_eq!(report.total, dec("605.25"));
        // The same 0.00 CO-97 line on a per-day claim is a denial: its line is its unit.
        let per_day = net(vec![posting(
            line(9, 1),
            remit.clone(),
            "0",
            None,
            vec![adj("CO", "97", "300.00")],
        )]);
        assert_eq!(denials(&per_day).line_count, 1);
    }

    #[test]
    fn the_underpayment_report_compares_a_per_service_claims_lines_as_days() {
        let remit = remittance(1, 0);
        // A per-service line expects the day's rate on its first line, 0.00 on the others.
        let of_day = |number, day, expected: Option<&str>, paid: &str| LinePosting {
            contract: Contract::ServiceOfDay(expected.map(dec)),
            ..posting(
                service(number, day),
                remit.clone(),
                paid,
                Some(paid),
                vec![],
            )
        };
        let lines = net(vec![
            // 3 March: the APC (370.20) paid on the first line, the others 0.00: paid in full.
            of_day(1, 3, Some("370.20"), "370.20"),
            of_day(2, 3, Some("0.00"), "0"),
            of_day(3, 3, Some("0.00"), "0"),
            // 4 March: 260.15 expected, 250.00 allowed in all, over two lines.
            of_day(4, 4, Some("260.15"), "200.00"),
            of_day(5, 4, Some("0.00"), "50.00"),
            // 5 March: billed without a known rate.
            of_day(6, 5, None, "100.00"),
            of_day(7, 5, Some("0.00"), "0"),
            // A per-day payer's line, as before.
            half_paid(2, 1, remit.clone()),
        ]);
        let report = underpayments(&lines);
        assert_eq!(report.lines.len(), 1, "{report:#?}");
        assert_eq!(report.lines[0].claim_id, Uuid::from_u128(2));
        assert_eq!(report.lines_compared, 1);
        assert_eq!(report.days.len(), 1);
        assert_eq!(report.days[0].service_date, march(4).1);
        assert_eq!(report.days[0].expected, dec("260.15"));
        assert_eq!(report.days[0].payer_allowed, dec("250.00"));
        assert_eq!(report.days[0].shortfall, dec("10.15"));
        assert_eq!(report.days_compared, 2);
        assert_eq!(report.days_not_comparable, 1);
        assert_eq!(report.total_shortfall, dec("93.58"));
        assert_eq!(report.payers.len(), 1);
        assert_eq!(report.payers[0].lines, 1);
        assert_eq!(report.payers[0].days, 1);
        assert_eq!(report.payers[0].shortfall, dec("93.58"));
    }

    #[test]
    fn a_line_paid_half_of_its_charge_is_short_of_the_contract_to_the_cent() {
        let lines = net(vec![
            half_paid(1, 1, remittance(1, 0)),
            half_paid(1, 2, remittance(1, 0)),
        ]);
        let report = underpayments(&lines);
        assert_eq!(report.lines.len(), 2);
        let first = &report.lines[0];
        assert_eq!(first.contract_allowed, dec("250.10"));
        assert_eq!(first.payer_allowed, dec("166.67"));
        assert_eq!(first.paid, dec("166.67"));
        assert_eq!(first.shortfall, dec("83.43"));
        assert_eq!(first.trace_number, "EFT0001");
        assert_eq!(report.total_shortfall, dec("166.86"));
        assert_eq!(report.payers.len(), 1);
        assert_eq!(report.payers[0].lines, 2);
        assert_eq!(report.payers[0].shortfall, dec("166.86"));
        assert_eq!(report.lines_compared, 2);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["lines"][0]["shortfall"], "83.43");
        assert_eq!(json["total_shortfall"], "166.86");
    }

    #[test]
    fn the_contract_is_per_day_times_units_and_a_line_allowed_at_or_above_it_is_not_short() {
        let mut two_days = line(1, 1);
        two_days.units = 2;
        let lines = net(vec![
            posting(two_days, remittance(1, 0), "500.00", Some("500.20"), vec![]),
            posting(
                line(2, 1),
                remittance(1, 0),
                "333.33",
                Some("333.33"),
                vec![],
            ),
        ]);
        let report = underpayments(&lines);
        assert!(report.lines.is_empty(), "{report:?}");
        assert_eq!(report.lines_compared, 2);
        assert_eq!(report.total_shortfall, Decimal::ZERO);

        let mut two_days = line(3, 1);
        two_days.units = 2;
        let short = net(vec![posting(
            two_days,
            remittance(1, 0),
            "500.00",
            Some("500.00"),
            vec![],
        )]);
        assert_eq!(underpayments(&short).lines[0].shortfall, dec("0.20"));
    }

    #[test]
    fn without_amt_b6_the_payers_allowed_is_paid_plus_the_patients_share() {
        // 150.00 paid + 60.10 coinsurance + 40.00 copay = 250.10: at contract.
        let at_contract = posting(
            line(1, 1),
            remittance(1, 0),
            "150.00",
            None,
            vec![
                adj("CO", "45", "83.23"),
                adj("PR", "2", "60.10"),
                adj("PR", "3", "40.00"),
            ],
        );
        // 150.00 + 50.00 = 200.00: 50.10 short.
        let short = posting(
            line(2, 1),
            remittance(1, 0),
            "150.00",
            None,
            vec![adj("CO", "45", "133.33"), adj("PR", "2", "50.00")],
        );
        let report = underpayments(&net(vec![at_contract, short]));
        assert_eq!(report.lines.len(), 1);
        assert_eq!(report.lines[0].claim_id, Uuid::from_u128(2));
        assert_eq!(report.lines[0].payer_allowed, dec("200.00"));
        assert_eq!(report.lines[0].shortfall, dec("50.10"));
    }

    #[test]
    fn a_reversed_underpayment_cancels_and_a_repayment_at_contract_leaves_nothing_short() {
        let paid = half_paid(1, 1, remittance(1, 0));
        let mut reversal = half_paid(1, 1, remittance(2, 5));
        reversal.paid = -reversal.paid;
        reversal.allowed = reversal.allowed.map(|a| -a);
        for a in &mut reversal.adjustments {
            a.amount = -a.amount;
        }
        let lines = net(vec![reversal.clone(), paid.clone()]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].paid, Decimal::ZERO);
        assert!(lines[0].adjustments.is_empty(), "the CO-45 nets to nothing");
        assert_eq!(lines[0].remittance.trace_number, "EFT0002", "the latest");
        let report = underpayments(&lines);
        assert!(report.lines.is_empty());
        assert_eq!(report.lines_compared, 0, "a reversed line was not paid");

        let repaid = posting(
            line(1, 1),
            remittance(3, 10),
            "250.10",
            Some("250.10"),
            vec![adj("CO", "45", "83.23")],
        );
        let report = underpayments(&net(vec![paid.clone(), reversal, repaid]));
        assert!(report.lines.is_empty(), "{report:?}");
        assert_eq!(report.lines_compared, 1);

        // A supplemental payment adds to the first one.
        let supplement = posting(
            line(1, 1),
            remittance(4, 20),
            "50.00",
            Some("50.00"),
            vec![],
        );
        let report = underpayments(&net(vec![paid, supplement]));
        assert_eq!(report.lines[0].paid, dec("216.67"));
        assert_eq!(report.lines[0].shortfall, dec("33.43"));
        assert_eq!(report.lines[0].trace_number, "EFT0004");
    }

    #[test]
    fn lines_without_an_allowed_amount_in_their_schedule_are_counted_not_compared() {
        let mut no_amount = half_paid(1, 1, remittance(1, 0));
        no_amount.contract = Contract::NoAllowedAmount;
        let mut no_schedule = half_paid(2, 1, remittance(1, 0));
        no_schedule.contract = Contract::NoSchedule;
        let report = underpayments(&net(vec![
            no_amount,
            no_schedule,
            half_paid(3, 1, remittance(1, 0)),
        ]));
        assert_eq!(report.lines.len(), 1);
        assert_eq!(report.not_comparable, 2);
        assert_eq!(report.payers[0].not_comparable, 2);
        assert_eq!(report.lines_compared, 1);
    }

    #[test]
    fn denied_lines_are_not_underpayments_and_totals_are_per_payer() {
        let denied = posting(
            line(1, 1),
            remittance(1, 0),
            "0",
            None,
            vec![adj("CO", "197", "333.33")],
        );
        let mut other_payer = half_paid(2, 1, remittance(2, 0));
        other_payer.line.payer_id = Uuid::from_u128(8);
        other_payer.line.payer_name = "ACME CARE".into();
        let report = underpayments(&net(vec![
            denied,
            other_payer,
            half_paid(3, 1, remittance(1, 0)),
            half_paid(3, 2, remittance(1, 0)),
        ]));
        assert_eq!(report.lines.len(), 3);
        let totals: Vec<(&str, u64, Decimal)> = report
            .payers
            .iter()
            .map(|p| (p.payer_name.as_str(), p.lines, p.shortfall))
            .collect();
        assert_eq!(
            totals,
            [
                ("ACME CARE", 1, dec("83.43")),
                ("MOCK HEALTH PLAN", 2, dec("166.86"))
            ]
        );
    }

    fn denied_for_auth(claim: u128, number: u32) -> LinePosting {
        let mut p = posting(
            line(claim, number),
            remittance(1, 0),
            "0",
            None,
            vec![adj("CO", "197", "333.33")],
        );
        p.remark_codes = vec!["M62".into()];
        p
    }

    #[test]
    fn a_line_denied_for_missing_authorization_is_under_co_197_with_its_words_and_remark() {
        let report = denials(&net(vec![
            denied_for_auth(1, 1),
            denied_for_auth(1, 2),
            posting(
                line(2, 1),
                remittance(1, 0),
                "333.33",
                Some("333.33"),
                vec![],
            ),
        ]));
        assert_eq!(report.reasons.len(), 1);
        let reason = &report.reasons[0];
        assert_eq!(
            (reason.group_code.as_str(), reason.reason_code.as_str()),
            ("CO", "197")
        );
        assert_eq!(reason.description, carc("197").map(|c| c.description));
        assert_eq!(
            reason.next_step,
            Some(NextStep::AppealWithAuthorization.in_words())
        );
        assert_eq!(reason.line_count, 2);
        assert_eq!(reason.amount, dec("666.66"));
        assert_eq!(
            reason.remarks,
            [Remark {
                code: "M62".into(),
                description: rarc("M62"),
            }]
        );
        assert!(reason.remarks[0].description.is_some());
        assert!(reason.lines.iter().all(|l| l.fully_denied));
        assert_eq!(report.line_count, 2);
        assert_eq!(report.total, dec("666.66"));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["reasons"][0]["amount"], "666.66");
        assert_eq!(json["reasons"][0]["lines"][0]["amount"], "333.33");
    }

    #[test]
    fn contractual_reductions_and_the_patients_share_are_not_denials() {
        let report = denials(&net(vec![
            half_paid(1, 1, remittance(1, 0)),
            posting(
                line(2, 1),
                remittance(1, 0),
                "146.66",
                Some("266.66"),
                vec![
                    adj("CO", "45", "66.67"),
                    adj("PR", "1", "100.00"),
                    adj("PR", "2", "20.00"),
                ],
            ),
            // Paid nothing, all of it the deductible: the patient owes it, the payer denied
            // nothing.
            posting(
                line(3, 1),
                remittance(1, 0),
                "0",
                None,
                vec![adj("CO", "45", "83.23"), adj("PR", "1", "250.10")],
            ),
            // A retired contractual code on a paid line.
            posting(
                line(4, 1),
                remittance(1, 0),
                "250.10",
                None,
                vec![adj("CO", "A2", "83.23")],
            ),
        ]));
        assert!(report.reasons.is_empty(), "{report:?}");
        assert_eq!(report.line_count, 0);
    }

    #[test]
    fn a_paid_line_with_a_denial_reason_is_partly_denied_and_an_unknown_code_is_shown_as_sent() {
        let report = denials(&net(vec![
            posting(
                line(1, 1),
                remittance(1, 0),
                "200.00",
                None,
                vec![adj("CO", "45", "33.33"), adj("OA", "119", "100.00")],
            ),
            posting(
                line(2, 1),
                remittance(1, 0),
                "0",
                None,
                vec![adj("PI", "ZZ9", "333.33")],
            ),
        ]));
        let found: Vec<(&str, &str, Decimal, bool)> = report
            .reasons
            .iter()
            .map(|r| {
                (
                    r.group_code.as_str(),
                    r.reason_code.as_str(),
                    r.amount,
                    r.lines[0].fully_denied,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("PI", "ZZ9", dec("333.33"), true),
                ("OA", "119", dec("100.00"), false)
            ]
        );
        assert_eq!(report.reasons[0].description, None);
        assert_eq!(report.reasons[0].next_step, None);
        assert_eq!(report.reasons[0].group, group_name("PI"));
        assert!(report.reasons[1].description.is_some());
    }

    #[test]
    fn a_reversed_denial_is_gone() {
        let denied = denied_for_auth(1, 1);
        let mut reversal = denied.clone();
        reversal.remittance = remittance(2, 5);
        for a in &mut reversal.adjustments {
            a.amount = -a.amount;
        }
        let report = denials(&net(vec![denied, reversal]));
        assert!(report.reasons.is_empty(), "{report:?}");
    }

    proptest! {
        /// Whatever the postings, a line is never both underpaid and denied in full, shortfalls
        /// are positive and add up to the totals, and a posting with its reversal changes
        /// nothing.
        #[test]
        fn totals_add_up_and_a_reversal_pair_changes_nothing(
            lines in proptest::collection::vec(
                (0i64..60_000, proptest::option::of(0i64..60_000), 0i64..30_000, 1u32..3,
                 prop_oneof![Just("45"), Just("197"), Just("23"), Just("X1")]),
                1..12),
        ) {
            let postings: Vec<LinePosting> = lines
                .iter()
                .enumerate()
                .map(|(i, (paid, allowed, adjusted, units, reason))| {
                    let mut l = line(i as u128 + 1, 1);
                    l.units = *units;
                    LinePosting {
                        line: l,
                        contract: Contract::AllowedPerDay(Decimal::new(25_010, 2)),
                        remittance: remittance(1, 0),
                        paid: Decimal::new(*paid, 2),
                        allowed: allowed.map(|a| Decimal::new(a, 2)),
                        adjustments: vec![Adjustment {
                            group: "CO".into(),
                            reason: (*reason).into(),
                            amount: Decimal::new(*adjusted, 2),
                        }],
                        remark_codes: Vec::new(),
                    }
                })
                .collect();
            let report = underpayments(&net(postings.clone()));
            let sum: Decimal = report.lines.iter().map(|l| l.shortfall).sum();
            prop_assert_eq!(sum, report.total_shortfall);
            let per_payer: Decimal = report.payers.iter().map(|p| p.shortfall).sum();
            prop_assert_eq!(per_payer, report.total_shortfall);
            prop_assert!(report.lines.iter().all(|l| l.shortfall > Decimal::ZERO));
            prop_assert!(report.lines.iter().all(|l| l.shortfall == l.contract_allowed - l.payer_allowed));
            let denied = denials(&net(postings.clone()));
            for r in &denied.reasons {
                prop_assert!(r.reason_code != "45");
                for l in &r.lines {
                    prop_assert!(!(l.fully_denied && report.lines.iter().any(|u| u.claim_id == l.claim_id)));
                }
            }

            let mut with_reversals = postings.clone();
            for p in &postings {
                let mut undo = p.clone();
                undo.remittance = remittance(2, 5);
                undo.paid = -undo.paid;
                undo.allowed = undo.allowed.map(|a| -a);
                for a in &mut undo.adjustments {
                    a.amount = -a.amount;
                }
                with_reversals.push(undo);
            }
            let undone = net(with_reversals);
            prop_assert!(underpayments(&undone).lines.is_empty());
            prop_assert!(denials(&undone).reasons.is_empty());
        }
    }
}
