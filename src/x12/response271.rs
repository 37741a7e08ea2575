//! Reading a 271 eligibility response (005010X279A1) into a typed tree.
//!
//! ```text
//! BHT*0022*11
//! 2000A HL*20 [AAA]  2100A NM1 (payer) [PER..3] [AAA..9]
//! 2000B HL*21        2100B NM1 (provider) [REF..9] [N3] [N4] [AAA..9] [PRV]
//! 2000C HL*22 [TRN..3]  2100C NM1*IL [REF] [N3] [N4] [AAA] [PRV] [DMG] [INS] [HI] [DTP..9] [MPI]
//!       2110C EB [HSD..9] [REF..9] [DTP..20] [AAA..9] [MSG..10]
//!             2115C III ...   LS*2120  2120C NM1 [N3] [N4] [PER..3] [PRV] ...  LE*2120
//! 2000D HL*23 (same as 2000C, NM1*03)
//! ```
//!
//! The tree is faithful, not interpreted: codes stay as sent, amounts and percents are
//! `Decimal`s exactly as written (EB08 `.2` is the fraction 0.2), and anything not sent is
//! `None`. What a row *means* (base vs remaining deductible, ...) is a later layer's job.
//!
//! Tolerances, because real payers send them and they are legal X12:
//! * EB03 repeated (`30^MH^BB`) — read as a list of service types.
//! * `LS*2120 … LE*2120` directly after EB/MSG (without a 2115 III) — the entities belong to
//!   the preceding EB, as do those that follow a III.
//! * Within a loop the optional segments may come in any order.
//!
//! * The envelope as files arrive: a byte-order mark, whitespace before the ISA, line breaks
//!   after segment terminators (see [`tokenize`](super::segment::tokenize)); GS08
//!   `005010X279` without the `A1` errata suffix.
//!
//! Two readers:
//! * [`parse_271`] — one transaction set with one answer (the real-time case, and the fast
//!   path). Several transaction sets, information sources, receivers, subscribers or dependents
//!   are an [`X12Error::Unsupported`] there, never a silent drop.
//! * [`parse_271_batch`] — every answer of an interchange that may hold many (a batch 271):
//!   one [`Response271`] per member, each with the envelope, source and receiver it came under.
//!
//! Refused by version, naming it: ISA12 other than `00501` (4010, 6020) and GS08 other than
//! 005010X279(A1).

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::common::At;
use super::common::{
    Address, Contact, EntityName, ProviderInfo, QualifiedDate, Reference, Rejection, Trace,
};
use super::envelope::{walk, EnvelopeVisitor, GroupHeader, InterchangeHeader, SetHeader};
use super::error::X12Error;
use super::loops271::{read_member, read_receiver, read_source, Cursor, Level};
use super::segment::{ids, InlineSegments, SegmentSink};
use super::values::{parse_d8, parse_time, DateOrRange};

/// A parsed 271: envelope data, the information source and receiver, and the subscriber and
/// dependent loops with their benefits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response271 {
    /// ISA fields (sender, receiver, ISA13, usage).
    pub interchange: InterchangeHeader,
    /// GS fields (GS06, GS08).
    pub group: GroupHeader,
    /// ST02.
    pub transaction_set_control_number: String,
    /// ST03.
    pub implementation_reference: Option<String>,
    /// BHT02 transaction set purpose (`11` response, `06` confirmation).
    pub purpose_code: String,
    /// BHT03: echoes the 270's BHT03 when the payer sends it.
    pub reference: Option<String>,
    /// BHT04 + BHT05.
    pub created: NaiveDateTime,
    /// 2000A/2100A.
    pub source: Source271,
    /// 2000B/2100B; absent when the payer stops at 2000A (e.g. AAA*N**42).
    pub receiver: Option<Receiver271>,
    /// 2000C/2100C/2110C.
    pub subscriber: Option<Member271>,
    /// 2000D/2100D/2110D, present when the patient is a dependent.
    pub dependent: Option<Member271>,
}

impl Response271 {
    /// The patient's loop: the dependent when present, otherwise the subscriber.
    pub fn patient(&self) -> Option<&Member271> {
        self.dependent.as_ref().or(self.subscriber.as_ref())
    }

    /// Every AAA in the response, outermost loop first; each knows its loop.
    pub fn rejections(&self) -> Vec<&Rejection> {
        let mut all: Vec<&Rejection> = self.source.rejections.iter().collect();
        if let Some(r) = &self.receiver {
            all.extend(&r.rejections);
        }
        for m in [&self.subscriber, &self.dependent].into_iter().flatten() {
            all.extend(&m.rejections);
            for b in &m.benefits {
                all.extend(&b.rejections);
            }
        }
        all
    }
}

/// 2000A/2100A — the payer answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source271 {
    /// NM1 (2100A).
    pub name: EntityName,
    /// PER (2100A).
    pub contacts: Vec<Contact>,
    /// AAA at 2000A (before the NM1) and 2100A (after it); see `Rejection::loop_id`.
    pub rejections: Vec<Rejection>,
}

/// 2000B/2100B — the provider the payer answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver271 {
    pub name: EntityName,
    pub references: Vec<Reference>,
    pub address: Option<Address>,
    pub rejections: Vec<Rejection>,
    pub provider: Option<ProviderInfo>,
}

/// 2000C+2100C+2110C (subscriber) or 2000D+2100D+2110D (dependent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member271 {
    /// TRN (2000C/D): the 270's trace echoed as `TRN*2`, plus any the payer adds as `TRN*1`.
    pub traces: Vec<Trace>,
    /// NM1*IL (subscriber) or NM1*03 (dependent).
    pub name: EntityName,
    /// REF (2100C/D): plan, group, other ids.
    pub references: Vec<Reference>,
    /// N3/N4.
    pub address: Option<Address>,
    /// AAA (2100C/D): e.g. `AAA*N**75*C` subscriber not found.
    pub rejections: Vec<Rejection>,
    /// PRV.
    pub provider: Option<ProviderInfo>,
    /// DMG.
    pub demographics: Option<Demographics>,
    /// INS.
    pub relationship: Option<InsuredRelationship>,
    /// HI composites, in order.
    pub diagnoses: Vec<DiagnosisCode>,
    /// DTP (2100C/D): plan, eligibility, ... dates.
    pub dates: Vec<QualifiedDate>,
    /// MPI.
    pub military: Option<MilitaryInfo>,
    /// 2110C/D, in the order sent.
    pub benefits: Vec<Benefit>,
}

/// DMG — birth date and gender as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demographics {
    /// DMG02 (DMG01 = `D8`).
    pub birth_date: Option<NaiveDate>,
    /// DMG03 `F`, `M` or `U`.
    pub gender: Option<String>,
}

/// INS — relationship to the subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsuredRelationship {
    /// INS01 `Y` subscriber, `N` dependent.
    pub insured_indicator: String,
    /// INS02 individual relationship code (`18` self, `01` spouse, `19` child, ...).
    pub relationship_code: String,
    /// INS03 maintenance type (`001` change).
    pub maintenance_type: Option<String>,
    /// INS04 maintenance reason (`25` change in identifying data elements).
    pub maintenance_reason: Option<String>,
    /// INS17 birth sequence number.
    pub birth_sequence: Option<String>,
}

/// One HI composite: qualifier (`ABK`, `ABF`, ...) and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagnosisCode {
    pub qualifier: String,
    pub code: String,
}

/// MPI — military personnel information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilitaryInfo {
    /// MPI01 information status.
    pub status: Option<String>,
    /// MPI02 employment status.
    pub employment_status: Option<String>,
    /// MPI03 government service affiliation.
    pub affiliation: Option<String>,
    /// MPI04 description.
    pub description: Option<String>,
    /// MPI05 military service rank.
    pub rank: Option<String>,
    /// MPI06/MPI07.
    pub date: Option<DateOrRange>,
}

/// EB11 — authorization or certification required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthRequired {
    /// `Y`
    Yes,
    /// `N`
    No,
    /// `U`
    Unknown,
}

/// EB12 — in plan network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InNetwork {
    /// `Y` in-network benefits.
    Yes,
    /// `N` out-of-network benefits.
    No,
    /// `W` not applicable: the row applies to both.
    NotApplicable,
    /// `U` unknown.
    Unknown,
}

/// EB13 — the procedure a benefit applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureCode {
    /// EB13-1 product/service id qualifier (`HC` HCPCS/CPT, `AD`, `CJ`, `ID`, `IV`, `N4`, `ZZ`).
    pub qualifier: String,
    /// EB13-2.
    pub code: String,
    /// EB13-3..EB13-6, the modifiers sent.
    pub modifiers: Vec<String>,
    /// EB13-8, end of a procedure code range.
    pub range_end: Option<String>,
}

/// HSD — a benefit delivery pattern ("30 days per year", "1 visit per week").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPattern {
    /// HSD01 quantity qualifier (`DY`, `FL`, `HS`, `MN`, `VS`).
    pub quantity_qualifier: Option<String>,
    /// HSD02.
    pub quantity: Option<Decimal>,
    /// HSD03 unit (`DA`, `MO`, `VS`, `WK`, `YR`).
    pub unit: Option<String>,
    /// HSD04 sample selection modulus.
    pub modulus: Option<Decimal>,
    /// HSD05 time period qualifier (codes as EB06).
    pub time_period: Option<String>,
    /// HSD06 number of periods.
    pub period_count: Option<Decimal>,
    /// HSD07 delivery frequency code.
    pub frequency: Option<String>,
    /// HSD08 delivery pattern time code.
    pub pattern_time: Option<String>,
}

/// III (2115) — additional information for a benefit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdditionalInfo {
    /// III01 code list qualifier (`GR`, `NI`, `ZZ`).
    pub code_list_qualifier: Option<String>,
    /// III02 industry code (for `ZZ`, a place of service code).
    pub industry_code: Option<String>,
    /// III03 code category (`44` nature of injury).
    pub code_category: Option<String>,
    /// III04 free text.
    pub description: Option<String>,
}

/// 2120 — a benefit-related entity between `LS*2120` and `LE*2120` (for a carve-out, the
/// behavioral-health administrator to ask instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelatedEntity {
    pub name: EntityName,
    pub address: Option<Address>,
    pub contacts: Vec<Contact>,
    pub provider: Option<ProviderInfo>,
}

/// One EB (2110C/2110D) with everything that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benefit {
    /// EB01 eligibility or benefit information code (`1` active, `6` inactive, `A` co-insurance,
    /// `B` co-payment, `C` deductible, `F` limitations, `G` out of pocket, `U` contact entity, ...).
    pub info_code: String,
    /// EB02 coverage level (`IND`, `FAM`, ...).
    pub coverage_level: Option<String>,
    /// EB03 — repeatable service type codes, in order.
    pub service_types: Vec<String>,
    /// EB04 insurance type.
    pub insurance_type: Option<String>,
    /// EB05 plan coverage description (the plan name on the EB03=30 row, per CORE 154).
    pub plan_description: Option<String>,
    /// EB06 time period qualifier (`23` calendar year, `29` remaining, `27` visit, `7` day, ...).
    pub time_period: Option<String>,
    /// EB07 monetary amount.
    pub amount: Option<Decimal>,
    /// EB08 percent as a decimal fraction (`.2` = 20 %).
    pub percent: Option<Decimal>,
    /// EB09 quantity qualifier (`VS` visits, `DY` days, ...).
    pub quantity_qualifier: Option<String>,
    /// EB10 quantity.
    pub quantity: Option<Decimal>,
    /// EB11.
    pub auth_required: Option<AuthRequired>,
    /// EB12.
    pub in_network: Option<InNetwork>,
    /// EB13.
    pub procedure: Option<ProcedureCode>,
    /// EB14 diagnosis code pointers (1-based positions in the HI of the inquiry).
    pub diagnosis_pointers: Vec<u8>,
    /// HSD.
    pub delivery: Vec<DeliveryPattern>,
    /// REF.
    pub references: Vec<Reference>,
    /// DTP (2110C/D): benefit, plan, eligibility dates.
    pub dates: Vec<QualifiedDate>,
    /// AAA (2110C/D).
    pub rejections: Vec<Rejection>,
    /// MSG01 free text, in order.
    pub messages: Vec<String>,
    /// III (2115C/D).
    pub additional_info: Vec<AdditionalInfo>,
    /// 2120C/D entities.
    pub related_entities: Vec<RelatedEntity>,
}

/// What a single-set 271 needs of the envelope, and what would make it a batch.
#[derive(Default)]
struct OneSet<'a> {
    groups: usize,
    /// The first group's GS.
    group: Option<GroupHeader>,
    /// The first group's first set.
    set: Option<SetHeader<'a>>,
    /// First segment number of the first group's second set.
    second_set: Option<usize>,
    /// First segment number of the second group's first set.
    second_group_set: Option<usize>,
}

impl<'a> EnvelopeVisitor<'a> for OneSet<'a> {
    fn group(&mut self, header: GroupHeader) {
        self.groups += 1;
        if self.groups == 1 {
            self.group = Some(header);
        }
    }

    fn set(&mut self, set: SetHeader<'a>) {
        match self.groups {
            1 if self.set.is_none() => self.set = Some(set),
            1 => {
                self.second_set.get_or_insert(set.first_segment_number);
            }
            2 => {
                self.second_group_set
                    .get_or_insert(set.first_segment_number);
            }
            _ => {}
        }
    }
}

/// Parses a 271 interchange holding one answer: one transaction set, one subscriber and at most
/// one dependent. Checks the envelope first (see
/// [`Interchange::parse`](super::envelope::Interchange::parse)). A batch is an
/// [`X12Error::Unsupported`] here; read it with [`parse_271_batch`]. Never panics, whatever the
/// input.
pub fn parse_271(input: &[u8]) -> Result<Response271, X12Error> {
    let mut segments = InlineSegments::new();
    let mut envelope = OneSet::default();
    let (_, interchange) = walk(input, &mut segments, &mut envelope)?;
    let Some(group) = envelope.group else {
        return Err(X12Error::UnexpectedEnd {
            expected: "a functional group (GS)",
        });
    };
    if envelope.groups > 1 {
        return Err(X12Error::Unsupported {
            segment: envelope.second_group_set.unwrap_or(0),
            what: "more than one functional group",
        });
    }
    let Some(set) = envelope.set else {
        return Err(X12Error::UnexpectedEnd {
            expected: "a transaction set (ST)",
        });
    };
    if let Some(first_segment_number) = envelope.second_set {
        return Err(X12Error::Unsupported {
            segment: first_segment_number.saturating_sub(1),
            what: "more than one transaction set",
        });
    }
    check_271(&set, &group)?;

    // The only set's body, read in place.
    let mut c = Cursor {
        segments: segments
            .as_slice()
            .get(set.body.clone())
            .unwrap_or_default(),
        next: 0,
        first_number: set.first_segment_number,
    };
    let head = read_head(&mut c)?;
    c.expect_hl("20")?;
    let source = read_source(&mut c)?;
    // Built here and filled in place: the tree is large, and moving it costs.
    let mut response = Response271 {
        interchange,
        group,
        transaction_set_control_number: set.control_number.to_owned(),
        implementation_reference: set.implementation_reference.map(str::to_owned),
        purpose_code: head.purpose_code,
        reference: head.reference,
        created: head.created,
        source,
        receiver: None,
        subscriber: None,
        dependent: None,
    };
    if c.take_hl("21")?.is_some() {
        read_receiver(&mut c, &mut response.receiver)?;
        if c.take_hl("22")?.is_some() {
            read_member(&mut c, Level::Subscriber, &mut response.subscriber)?;
            if c.take_hl("23")?.is_some() {
                read_member(&mut c, Level::Dependent, &mut response.dependent)?;
            }
        }
    }
    if let Some(at) = c.next() {
        // A level seen again means a batch 271; anything else is out of place.
        let repeated = match (at.seg.tag(), at.seg.value(3)) {
            (ids::HL, Some("20")) => true,
            (ids::HL, Some("21")) => response.receiver.is_some(),
            (ids::HL, Some("22")) => response.subscriber.is_some(),
            (ids::HL, Some("23")) => response.dependent.is_some(),
            _ => false,
        };
        return Err(if repeated {
            X12Error::Unsupported {
                segment: at.number,
                what: "more than one information source, receiver, subscriber or dependent (batch 271)",
            }
        } else {
            out_of_place(&at)
        });
    }

    Ok(response)
}

/// The ST01 must be 271 and the group's GS08 the 271's implementation guide.
fn check_271(set: &SetHeader<'_>, group: &GroupHeader) -> Result<(), X12Error> {
    if set.id != "271" {
        return Err(X12Error::UnexpectedTransaction {
            expected: "271",
            found: set.id.chars().take(3).collect(),
        });
    }
    // 005010X279 is the guide before its errata (A1); the loops this reader knows are the same.
    if !group.version.starts_with("005010X279") {
        return Err(X12Error::UnsupportedVersion {
            element: "GS08",
            found: group.version.chars().take(12).collect(),
            expected: "005010X279A1",
        });
    }
    Ok(())
}

/// BHT of a 271.
struct Head {
    purpose_code: String,
    reference: Option<String>,
    created: NaiveDateTime,
}

fn read_head(c: &mut Cursor<'_>) -> Result<Head, X12Error> {
    // BHT — BHT01 0022 is the hierarchical structure of 270/271.
    let bht = c.require(ids::BHT, "BHT")?;
    if bht.seg.value(1) != Some("0022") {
        return Err(bht.bad(1, "hierarchical structure code must be 0022"));
    }
    let purpose_code = bht.req(2)?;
    let reference = bht.opt(3);
    let date = parse_d8(&bht.req(4)?).map_err(|r| bht.bad(4, r))?;
    let time = parse_time(&bht.req(5)?).map_err(|r| bht.bad(5, r))?;
    Ok(Head {
        purpose_code,
        reference,
        created: date.and_time(time),
    })
}

fn out_of_place(at: &At<'_>) -> X12Error {
    X12Error::UnexpectedSegment {
        segment: at.number,
        id: at.id().to_owned(),
        expected: "a segment of the current loop, or the next HL level (20, 21, 22, 23 in order)",
    }
}

/// Every group and transaction set of an interchange, in order.
#[derive(Default)]
struct AllSets<'a> {
    groups: Vec<GroupHeader>,
    /// Each set with the index of its group in `groups`.
    sets: Vec<(usize, SetHeader<'a>)>,
}

impl<'a> EnvelopeVisitor<'a> for AllSets<'a> {
    fn group(&mut self, header: GroupHeader) {
        self.groups.push(header);
    }

    fn set(&mut self, set: SetHeader<'a>) {
        self.sets.push((self.groups.len().saturating_sub(1), set));
    }
}

/// Parses a 271 interchange that may answer for many members at once (a batch 271: several
/// groups, transaction sets, information sources, receivers, subscribers or dependents), giving
/// one [`Response271`] per member, in the order sent.
///
/// Each holds exactly one subscriber and at most one dependent, with copies of the envelope,
/// BHT, source and receiver it came under, so it reads like the single answer it would have
/// been. A subscriber with dependents gives one response per dependent (the patients; each
/// carries the subscriber); a subscriber without, one response. A source or receiver answered
/// without any member below it (`AAA*N**42` at 2000A, `AAA*Y**50` at 2100B) gives one response
/// with no subscriber. For an interchange with one answer the result is exactly
/// `vec![parse_271(input)?]`.
///
/// The envelope is checked whole first: one broken set refuses the interchange, since its
/// counts and control numbers no longer vouch for any of it. Never panics, whatever the input.
pub fn parse_271_batch(input: &[u8]) -> Result<Vec<Response271>, X12Error> {
    let mut segments = Vec::new();
    let mut envelope = AllSets::default();
    let (_, interchange) = walk(input, &mut segments, &mut envelope)?;
    if envelope.groups.is_empty() {
        return Err(X12Error::UnexpectedEnd {
            expected: "a functional group (GS)",
        });
    }
    if envelope.sets.is_empty() {
        return Err(X12Error::UnexpectedEnd {
            expected: "a transaction set (ST)",
        });
    }
    let mut members = Vec::new();
    for (group_index, set) in &envelope.sets {
        let Some(group) = envelope.groups.get(*group_index) else {
            continue;
        };
        check_271(set, group)?;
        let mut c = Cursor {
            segments: segments.get(set.body.clone()).unwrap_or_default(),
            next: 0,
            first_number: set.first_segment_number,
        };
        let head = read_head(&mut c)?;
        let answer = |source: &Source271,
                      receiver: Option<Receiver271>,
                      subscriber: Option<Member271>,
                      dependent: Option<Member271>| Response271 {
            interchange: interchange.clone(),
            group: group.clone(),
            transaction_set_control_number: set.control_number.to_owned(),
            implementation_reference: set.implementation_reference.map(str::to_owned),
            purpose_code: head.purpose_code.clone(),
            reference: head.reference.clone(),
            created: head.created,
            source: source.clone(),
            receiver,
            subscriber,
            dependent,
        };
        // 2000A, repeated: each source with its receivers, their subscribers and dependents.
        loop {
            c.expect_hl("20")?;
            let source = read_source(&mut c)?;
            let mut receivers = 0;
            while c.take_hl("21")?.is_some() {
                receivers += 1;
                let mut receiver = None;
                read_receiver(&mut c, &mut receiver)?;
                let mut subscribers = 0;
                while c.take_hl("22")?.is_some() {
                    subscribers += 1;
                    let mut subscriber = None;
                    read_member(&mut c, Level::Subscriber, &mut subscriber)?;
                    let mut dependents = 0;
                    while c.take_hl("23")?.is_some() {
                        dependents += 1;
                        let mut dependent = None;
                        read_member(&mut c, Level::Dependent, &mut dependent)?;
                        members.push(answer(
                            &source,
                            receiver.clone(),
                            subscriber.clone(),
                            dependent,
                        ));
                    }
                    if dependents == 0 {
                        members.push(answer(&source, receiver.clone(), subscriber, None));
                    }
                }
                if subscribers == 0 {
                    members.push(answer(&source, receiver, None, None));
                }
            }
            if receivers == 0 {
                members.push(answer(&source, None, None, None));
            }
            match c.peek() {
                None => break,
                Some(at) if at.seg.tag() == ids::HL && at.seg.value(3) == Some("20") => {}
                Some(at) => return Err(out_of_place(&at)),
            }
        }
    }
    Ok(members)
}
