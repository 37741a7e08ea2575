//! Reading a 277CA health care claim acknowledgment (005010X214): which of the claims we sent
//! the payer (or a clearinghouse on its way) took into adjudication, and which it sent back.
//!
//! ```text
//! ST*277 BHT*0085*08
//! 2000A HL*20  2100A NM1*PR|AY  2200A TRN*1 DTP*050 DTP*009          information source
//! 2000B HL*21  2100B NM1*41     2200B TRN*2 STC.. [QTY*90] [QTY*AA]
//!                                     [AMT*YU] [AMT*YY]                information receiver (us)
//! 2000C HL*19  2100C NM1*85     2200C TRN*1 STC.. [REF] [QTY*QA] [QTY*QC]
//!                                     [AMT*YU] [AMT*YY]                billing provider
//! 2000D HL*PT  2100D NM1*QC     2200D TRN*2 STC.. [REF*1K] [REF*D9] [REF*BLT] [DTP*472]
//!                                     2220D SVC STC [REF*FJ] [REF*XZ] [DTP*472]   claim, lines
//! SE
//! ```
//!
//! # What the codes say
//!
//! **STC01** (and STC10, STC11) is a composite: the status category (code source 507), the
//! status code (source 508: *what* — `20` accepted for processing, `21` missing or invalid
//! information, `562` entity's NPI, `85` ... ), and the entity it is about (`85` billing
//! provider, `QC` patient, `IL` subscriber, `PR` payer, `41` submitter). The categories a 277CA
//! uses:
//!
//! | category | meaning | rejection |
//! |---|---|---|
//! | `A0` | forwarded to another entity | no |
//! | `A1` | received (not yet accepted for adjudication) | no |
//! | `A2` | accepted into the adjudication system | no |
//! | `A3` | returned as unprocessable | yes |
//! | `A4` | not found | yes: it is not in adjudication |
//! | `A5` | split (the payer made several claims of it) | no |
//! | `A6` | rejected for missing information | yes |
//! | `A7` | rejected for invalid information | yes |
//! | `A8` | rejected for relational field in error | yes |
//!
//! A category outside this list refuses the file: whether a claim was rejected must never be
//! guessed. STC02 is the status date, STC03 the action (`WQ` accept, `U` reject), STC04 the
//! total charge of the claim (or of the batch or provider at 2200B/2200C), STC12 free text.
//!
//! A status at the receiver (2200B) or billing provider (2200C) level applies to every claim
//! beneath it: a billing provider rejected for its NPI rejects all its claims, which then may
//! carry no STC of their own. [`AcknowledgedClaim::statuses`] gives them together.
//!
//! At the claim level TRN02 is our CLM01 (the patient control number), REF*1K the payer's
//! claim control number, REF*D9 a clearinghouse's trace, REF*BLT the institutional bill type.
//!
//! # Tolerated, because real payers send it
//!
//! * The envelope as files arrive and several transaction sets in one interchange; GS08
//!   `005010X214` with or without an errata suffix.
//! * A level without its STC (the guide requires one at 2200C; eMedNY omits it).
//! * Dates that are no calendar dates, kept as sent with a warning; placeholders such as
//!   `10010101` are read as the date they name.
//! * A composite written with another separator than ISA16, split on it with a warning.
//! * The optional segments of a level in any order.
//!
//! Refused: a broken envelope, ST01 other than 277, GS08 of another guide (a 277 claim status
//! response is 005010X212), HL levels out of order or unknown, a claim without its TRN, unknown
//! status categories, segments out of place.

use rust_decimal::Decimal;

use super::common::{
    code_list, At, EntityName, QualifiedAmount, QualifiedQuantity, Reference, Trace,
};
use super::envelope::{read_sets, GroupHeader, InterchangeHeader, SetKind, TransactionSet};
use super::error::{Warning, X12Error};
use super::loops271::Cursor;
use super::remit835::{service_code, ServiceCode};
use super::segment::ids;
use super::values::{SentDate, SentPeriod};

/// The segment ids only the 277CA reader looks for.
mod seg {
    use crate::x12::segment::tag;

    pub const AMT: u32 = tag("AMT");
    pub const QTY: u32 = tag("QTY");
    pub const STC: u32 = tag("STC");
    pub const SVC: u32 = tag("SVC");
}

/// A 277CA interchange: its ISA and every acknowledgment in it, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange277 {
    /// ISA fields (sender, receiver, ISA13, usage).
    pub interchange: InterchangeHeader,
    /// One per ST … SE, across all groups.
    pub acknowledgments: Vec<ClaimAcknowledgment>,
}

impl Interchange277 {
    /// Every claim acknowledged, with the statuses that apply to it, in order.
    pub fn claims(&self) -> impl Iterator<Item = AcknowledgedClaim<'_>> {
        self.acknowledgments
            .iter()
            .flat_map(ClaimAcknowledgment::claims)
    }

    /// Every warning of every acknowledgment, in order.
    pub fn warnings(&self) -> impl Iterator<Item = &Warning> {
        self.acknowledgments.iter().flat_map(|a| &a.warnings)
    }
}

/// One 277CA transaction set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimAcknowledgment {
    /// The GS it came under (GS06 is `group.control_number`).
    pub group: GroupHeader,
    /// ST02.
    pub transaction_set_control_number: String,
    /// BHT03, the sender's reference for this acknowledgment.
    pub reference: String,
    /// BHT04 creation date.
    pub created_date: SentDate,
    /// BHT05 creation time (HHMM[SS[D[D]]]) as sent.
    pub created_time: Option<String>,
    /// 2000A loops, each with what is below it.
    pub sources: Vec<Source277>,
    /// What was read although it is not as the guide says.
    pub warnings: Vec<Warning>,
}

impl ClaimAcknowledgment {
    /// Every claim, with the receiver and billing provider it came under.
    pub fn claims(&self) -> impl Iterator<Item = AcknowledgedClaim<'_>> {
        self.sources.iter().flat_map(|s| {
            s.receivers.iter().flat_map(|receiver| {
                receiver.providers.iter().flat_map(move |provider| {
                    provider.claims.iter().map(move |claim| AcknowledgedClaim {
                        receiver,
                        provider,
                        claim,
                    })
                })
            })
        })
    }
}

/// 2000A–2200A — who acknowledges: the payer (`PR`) or a clearinghouse (`AY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source277 {
    /// NM1.
    pub name: EntityName,
    /// TRN*1, the source's own trace of the acknowledgment.
    pub trace: Option<Trace>,
    /// DTP (`050` received, `009` processed).
    pub dates: Vec<PeriodReference>,
    /// 2000B loops.
    pub receivers: Vec<Receiver277>,
}

impl Source277 {
    /// DTP*050, the day the source received our file.
    pub fn received(&self) -> Option<&SentPeriod> {
        period_of(&self.dates, "050")
    }

    /// DTP*009, the day it processed it.
    pub fn processed(&self) -> Option<&SentPeriod> {
        period_of(&self.dates, "009")
    }
}

/// 2000B–2200B — the information receiver: the submitter, us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver277 {
    /// NM1*41.
    pub name: EntityName,
    /// TRN*2: our trace of the batch (BHT03 of our 837).
    pub trace: Option<Trace>,
    /// STC of the whole batch.
    pub statuses: Vec<StatusReport>,
    /// QTY*90 accepted, QTY*AA rejected claims.
    pub quantities: Vec<QualifiedQuantity>,
    /// AMT*YU accepted, AMT*YY rejected charges.
    pub amounts: Vec<QualifiedAmount>,
    /// 2000C loops.
    pub providers: Vec<Provider277>,
}

/// 2000C–2200C — a billing provider and the claims acknowledged for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider277 {
    /// NM1*85.
    pub name: EntityName,
    /// TRN*1, the provider-level trace.
    pub trace: Option<Trace>,
    /// STC that apply to every claim of this provider below.
    pub statuses: Vec<StatusReport>,
    /// REF (`TJ` tax id, `0B` state license, `G2` provider commercial number ...).
    pub references: Vec<Reference>,
    /// QTY*QA accepted, QTY*QC rejected claims.
    pub quantities: Vec<QualifiedQuantity>,
    /// AMT*YU accepted, AMT*YY rejected charges.
    pub amounts: Vec<QualifiedAmount>,
    /// 2000D loops.
    pub claims: Vec<Claim277>,
}

/// 2000D–2220D — one claim of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim277 {
    /// Segment number of the claim's HL.
    pub segment: usize,
    /// NM1*QC, the patient.
    pub patient: EntityName,
    /// TRN02, our CLM01.
    pub patient_control_number: String,
    /// STC of the claim.
    pub statuses: Vec<StatusReport>,
    /// REF*1K, the payer's claim control number.
    pub payer_claim_control_number: Option<String>,
    /// REF*D9, a clearinghouse's trace number.
    pub clearinghouse_trace: Option<String>,
    /// REF*BLT, the institutional bill type.
    pub bill_type: Option<String>,
    /// Other REF (`EA` medical record number ...).
    pub references: Vec<Reference>,
    /// DTP*472, the claim's service date or period.
    pub service_date: Option<SentPeriod>,
    /// 2220D lines, when the payer acknowledges lines one by one.
    pub lines: Vec<Line277>,
}

/// 2220D — one service line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line277 {
    /// Segment number of the SVC.
    pub segment: usize,
    /// SVC01.
    pub service: ServiceCode,
    /// SVC02 line charge.
    pub charge: Decimal,
    /// SVC04 revenue code.
    pub revenue_code: Option<String>,
    /// SVC07 units of service.
    pub units: Option<Decimal>,
    /// STC of the line.
    pub statuses: Vec<StatusReport>,
    /// REF*FJ, our line item control number.
    pub line_item_control_number: Option<String>,
    /// Other REF (`XZ` prescription number).
    pub references: Vec<Reference>,
    /// DTP*472.
    pub service_date: Option<SentPeriod>,
}

code_list! {
    /// STC01-1 — the claim status category of a 277CA (code source 507).
    StatusCategory {
        Forwarded = "A0", "acknowledgement/forwarded: the claim has been forwarded to another entity";
        Received = "A1", "acknowledgement/receipt: the claim has been received (not yet accepted for adjudication)";
        Accepted = "A2", "acknowledgement/acceptance into adjudication system";
        ReturnedUnprocessable = "A3", "acknowledgement/returned as unprocessable claim";
        NotFound = "A4", "acknowledgement/not found";
        Split = "A5", "acknowledgement/split claim";
        RejectedMissingInformation = "A6", "acknowledgement/rejected for missing information";
        RejectedInvalidInformation = "A7", "acknowledgement/rejected for invalid information";
        RejectedRelationalField = "A8", "acknowledgement/rejected for relational field in error";
    }
}

impl StatusCategory {
    /// The claim did not enter adjudication and must be corrected and sent again: returned,
    /// not found or rejected (`A3`, `A4`, `A6`, `A7`, `A8`).
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            StatusCategory::ReturnedUnprocessable
                | StatusCategory::NotFound
                | StatusCategory::RejectedMissingInformation
                | StatusCategory::RejectedInvalidInformation
                | StatusCategory::RejectedRelationalField
        )
    }
}

/// One STC01/STC10/STC11 composite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCode {
    /// Component 1.
    pub category: StatusCategory,
    /// Component 2, the claim status code (code source 508).
    pub status: String,
    /// Component 3, the entity the status is about (`85`, `QC`, `IL`, `PR`, `41` ...).
    pub entity: Option<String>,
    /// Component 4, a code list qualifier (`RX` NCPDP reject code) for component 2.
    pub code_list: Option<String>,
}

/// STC — a status at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// Segment number of the STC.
    pub segment: usize,
    /// STC01, then STC10 and STC11 when sent.
    pub codes: Vec<StatusCode>,
    /// STC02 status information effective date.
    pub date: Option<SentDate>,
    /// STC03 `WQ` accept, `U` reject.
    pub action: Option<String>,
    /// STC04 total submitted charges (claim, line, or the level's total).
    pub amount: Option<Decimal>,
    /// STC12 free-form message text.
    pub message: Option<String>,
}

impl StatusReport {
    /// Any of its codes is in a rejection category.
    pub fn is_rejection(&self) -> bool {
        self.codes.iter().any(|c| c.category.is_rejection())
    }
}

/// DTP — a date or period with its qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodReference {
    /// DTP01 (`050` received, `009` processed, `472` service).
    pub qualifier: String,
    /// DTP02/DTP03.
    pub period: SentPeriod,
}

/// A claim with the receiver and billing provider it came under: what a poster needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcknowledgedClaim<'a> {
    pub receiver: &'a Receiver277,
    pub provider: &'a Provider277,
    pub claim: &'a Claim277,
}

impl<'a> AcknowledgedClaim<'a> {
    /// TRN02 at 2200D, our CLM01.
    pub fn patient_control_number(&self) -> &'a str {
        &self.claim.patient_control_number
    }

    /// REF*1K.
    pub fn payer_claim_control_number(&self) -> Option<&'a str> {
        self.claim.payer_claim_control_number.as_deref()
    }

    /// Every status that applies to the claim: the batch's (2200B), the billing provider's
    /// (2200C), then the claim's own (2200D).
    pub fn statuses(&self) -> impl Iterator<Item = &'a StatusReport> {
        self.receiver
            .statuses
            .iter()
            .chain(&self.provider.statuses)
            .chain(&self.claim.statuses)
    }

    /// Some status that applies to the claim rejects it.
    pub fn is_rejected(&self) -> bool {
        self.statuses().any(StatusReport::is_rejection)
    }

    /// STC04 of the claim's first status that states one: the total charge acknowledged.
    pub fn charge(&self) -> Option<Decimal> {
        self.claim.statuses.iter().find_map(|s| s.amount)
    }
}

fn period_of<'a>(dates: &'a [PeriodReference], qualifier: &str) -> Option<&'a SentPeriod> {
    dates
        .iter()
        .find(|d| d.qualifier == qualifier)
        .map(|d| &d.period)
}

// ---------------------------------------------------------------- reading

/// Parses a 277CA interchange: every transaction set of every group, each a
/// [`ClaimAcknowledgment`]. The envelope is checked whole first, as for every reader here.
/// Never panics, whatever the input.
pub fn parse_277ca(input: &[u8]) -> Result<Interchange277, X12Error> {
    let kind = SetKind {
        id: "277",
        version_prefix: "005010X214",
        version: "005010X214",
    };
    let (interchange, acknowledgments) = read_sets(input, kind, read_acknowledgment)?;
    Ok(Interchange277 {
        interchange,
        acknowledgments,
    })
}

fn read_acknowledgment(
    group: &GroupHeader,
    set: &TransactionSet<'_>,
) -> Result<ClaimAcknowledgment, X12Error> {
    let mut c = Cursor {
        segments: &set.segments,
        next: 0,
        first_number: set.first_segment_number,
    };
    let mut warnings = Vec::new();
    // BHT — BHT01 0085 is the hierarchical structure of the 277 (source, receiver, provider,
    // patient).
    let bht = c.require(ids::BHT, "BHT")?;
    if bht.seg.value(1) != Some("0085") {
        return Err(bht.bad(1, "hierarchical structure code must be 0085"));
    }
    let reference = bht.req(3)?;
    let created_date = bht
        .sent_date(4, &mut warnings)
        .ok_or_else(|| bht.bad(4, "required element is missing"))?;
    let created_time = bht.opt(5);

    let mut sources = Vec::new();
    loop {
        c.expect_hl("20")?;
        let mut source = read_source(&mut c, &mut warnings)?;
        while c.take_hl("21")?.is_some() {
            let mut receiver = read_receiver(&mut c, &mut warnings)?;
            while c.take_hl("19")?.is_some() {
                let mut provider = read_provider(&mut c, &mut warnings)?;
                while let Some(hl) = c.take_hl("PT")? {
                    provider
                        .claims
                        .push(read_claim(&hl, &mut c, &mut warnings)?);
                }
                receiver.providers.push(provider);
            }
            source.receivers.push(receiver);
        }
        sources.push(source);
        match c.peek() {
            None => break,
            Some(at) if at.seg.tag() == ids::HL && at.seg.value(3) == Some("20") => {}
            Some(at) => return Err(out_of_place(&at)),
        }
    }
    Ok(ClaimAcknowledgment {
        group: group.clone(),
        transaction_set_control_number: set.control_number.clone(),
        reference,
        created_date,
        created_time,
        sources,
        warnings,
    })
}

fn out_of_place(at: &At<'_>) -> X12Error {
    X12Error::UnexpectedSegment {
        segment: at.number,
        id: at.id().to_owned(),
        expected: "a segment of the current level, or the next HL (20, 21, 19, PT in order)",
    }
}

fn repeated(at: &At<'_>) -> X12Error {
    X12Error::UnexpectedSegment {
        segment: at.number,
        id: at.id().to_owned(),
        expected: "at most one of this segment in the loop",
    }
}

/// A TRN, which a level may carry once.
fn take_trace(at: &At<'_>, slot: &mut Option<Trace>) -> Result<(), X12Error> {
    if slot.is_some() {
        return Err(repeated(at));
    }
    *slot = Some(at.trn()?);
    Ok(())
}

fn read_source(c: &mut Cursor<'_>, warnings: &mut Vec<Warning>) -> Result<Source277, X12Error> {
    let name = c
        .require(ids::NM1, "NM1 information source name (2100A)")?
        .nm1()?;
    let mut source = Source277 {
        name,
        trace: None,
        dates: Vec::new(),
        receivers: Vec::new(),
    };
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::TRN => take_trace(&at, &mut source.trace)?,
            ids::DTP => source.dates.push(read_dtp(&at, warnings)?),
            _ => break,
        }
        c.next += 1;
    }
    Ok(source)
}

fn read_receiver(c: &mut Cursor<'_>, warnings: &mut Vec<Warning>) -> Result<Receiver277, X12Error> {
    let name = c
        .require(ids::NM1, "NM1 information receiver name (2100B)")?
        .nm1()?;
    let mut receiver = Receiver277 {
        name,
        trace: None,
        statuses: Vec::new(),
        quantities: Vec::new(),
        amounts: Vec::new(),
        providers: Vec::new(),
    };
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::TRN => take_trace(&at, &mut receiver.trace)?,
            seg::STC => receiver.statuses.push(read_stc(&at, warnings)?),
            seg::QTY => receiver.quantities.push(at.qty()?),
            seg::AMT => receiver.amounts.push(at.amt()?),
            _ => break,
        }
        c.next += 1;
    }
    Ok(receiver)
}

fn read_provider(c: &mut Cursor<'_>, warnings: &mut Vec<Warning>) -> Result<Provider277, X12Error> {
    let name = c
        .require(ids::NM1, "NM1 billing provider name (2100C)")?
        .nm1()?;
    let mut provider = Provider277 {
        name,
        trace: None,
        statuses: Vec::new(),
        references: Vec::new(),
        quantities: Vec::new(),
        amounts: Vec::new(),
        claims: Vec::new(),
    };
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::TRN => take_trace(&at, &mut provider.trace)?,
            seg::STC => provider.statuses.push(read_stc(&at, warnings)?),
            ids::REF => provider.references.push(at.reference()?),
            seg::QTY => provider.quantities.push(at.qty()?),
            seg::AMT => provider.amounts.push(at.amt()?),
            _ => break,
        }
        c.next += 1;
    }
    Ok(provider)
}

/// 2000D after its HL: the patient, the claim's trace, statuses and references, then lines.
fn read_claim(
    hl: &At<'_>,
    c: &mut Cursor<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Claim277, X12Error> {
    let patient = c.require(ids::NM1, "NM1 patient name (2100D)")?.nm1()?;
    let mut trace = None;
    let mut claim = Claim277 {
        segment: hl.number,
        patient,
        patient_control_number: String::new(),
        statuses: Vec::new(),
        payer_claim_control_number: None,
        clearinghouse_trace: None,
        bill_type: None,
        references: Vec::new(),
        service_date: None,
        lines: Vec::new(),
    };
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::TRN => take_trace(&at, &mut trace)?,
            seg::STC => claim.statuses.push(read_stc(&at, warnings)?),
            ids::REF => {
                let reference = at.reference()?;
                let slot = match reference.qualifier.as_str() {
                    "1K" => &mut claim.payer_claim_control_number,
                    "D9" => &mut claim.clearinghouse_trace,
                    "BLT" => &mut claim.bill_type,
                    _ => {
                        claim.references.push(reference);
                        c.next += 1;
                        continue;
                    }
                };
                if slot.is_some() {
                    return Err(repeated(&at));
                }
                *slot = Some(reference.value);
            }
            ids::DTP => {
                let dtp = read_dtp(&at, warnings)?;
                if claim.service_date.is_some() {
                    return Err(repeated(&at));
                }
                claim.service_date = Some(dtp.period);
            }
            _ => break,
        }
        c.next += 1;
    }
    claim.patient_control_number = match trace {
        Some(trace) => trace.reference,
        None => {
            return Err(X12Error::MissingSegment {
                segment: hl.number,
                loop_id: "2200D",
                expected: "TRN (the patient control number)",
            })
        }
    };
    while let Some(at) = c.peek() {
        if at.seg.tag() != seg::SVC {
            break;
        }
        c.next += 1;
        claim.lines.push(read_line(&at, c, warnings)?);
    }
    Ok(claim)
}

fn read_line(
    svc: &At<'_>,
    c: &mut Cursor<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Line277, X12Error> {
    let mut line = Line277 {
        segment: svc.number,
        service: service_code(svc, 1, warnings)?
            .ok_or_else(|| svc.bad(1, "required element is missing"))?,
        charge: svc.req_money(2)?,
        revenue_code: svc.opt(4),
        units: svc.money(7)?,
        statuses: Vec::new(),
        line_item_control_number: None,
        references: Vec::new(),
        service_date: None,
    };
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            seg::STC => line.statuses.push(read_stc(&at, warnings)?),
            ids::REF => {
                let reference = at.reference()?;
                if reference.qualifier == "FJ" {
                    if line.line_item_control_number.is_some() {
                        return Err(repeated(&at));
                    }
                    line.line_item_control_number = Some(reference.value);
                } else {
                    line.references.push(reference);
                }
            }
            ids::DTP => {
                let dtp = read_dtp(&at, warnings)?;
                if line.service_date.is_some() {
                    return Err(repeated(&at));
                }
                line.service_date = Some(dtp.period);
            }
            _ => break,
        }
        c.next += 1;
    }
    Ok(line)
}

fn read_stc(at: &At<'_>, warnings: &mut Vec<Warning>) -> Result<StatusReport, X12Error> {
    let mut codes = Vec::new();
    for n in [1, 10, 11] {
        let Some(parts) = at.composite(n, warnings) else {
            if n == 1 {
                return Err(at.bad(1, "required element is missing"));
            }
            continue;
        };
        let part = |i: usize| {
            parts
                .get(i)
                .filter(|p| !p.is_empty())
                .map(|p| (*p).to_owned())
        };
        let category = part(0).ok_or_else(|| at.bad(n, "status category code is missing"))?;
        codes.push(StatusCode {
            category: StatusCategory::parse(&category).ok_or_else(|| at.unknown(n, &category))?,
            status: part(1).ok_or_else(|| at.bad(n, "status code is missing"))?,
            entity: part(2),
            code_list: part(3),
        });
    }
    Ok(StatusReport {
        segment: at.number,
        codes,
        date: at.sent_date(2, warnings),
        action: at.opt(3),
        amount: at.money(4)?,
        message: at.opt(12),
    })
}

fn read_dtp(at: &At<'_>, warnings: &mut Vec<Warning>) -> Result<PeriodReference, X12Error> {
    let qualifier = at.req(1)?;
    let period = SentPeriod::read(&at.req(2)?, &at.req(3)?);
    if period.value.is_none() {
        warnings.push(at.warning(3, "not a D8 date or RD8 range; kept as sent"));
    }
    Ok(PeriodReference { qualifier, period })
}

#[cfg(test)]
mod tests;
