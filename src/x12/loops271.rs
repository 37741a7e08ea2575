//! The loop readers behind [`parse_271`](super::response271::parse_271): a cursor over the
//! segments of one transaction set, and one function per 271 loop (2000A/2100A, 2000B/2100B,
//! 2000C-D/2100C-D, 2110C-D with its 2115 and 2120 children).

use super::common::{Address, At};
use super::error::X12Error;
use super::response271::{
    AdditionalInfo, AuthRequired, Benefit, DeliveryPattern, Demographics, DiagnosisCode, InNetwork,
    InsuredRelationship, Member271, MilitaryInfo, ProcedureCode, Receiver271, RelatedEntity,
    Source271,
};
use super::segment::{ids, SegmentRef};
use super::values::parse_d8;

/// Walks the segments of one transaction set, remembering their interchange positions.
pub(super) struct Cursor<'a> {
    pub(super) segments: &'a [SegmentRef<'a>],
    pub(super) next: usize,
    pub(super) first_number: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn peek(&self) -> Option<At<'a>> {
        self.segments.get(self.next).map(|seg| At {
            seg,
            number: self.first_number + self.next,
        })
    }

    pub(super) fn peek_id(&self) -> Option<u32> {
        self.peek().map(|a| a.seg.tag())
    }

    pub(super) fn next(&mut self) -> Option<At<'a>> {
        let at = self.peek()?;
        self.next += 1;
        Some(at)
    }

    /// The next segment, which must be `id` (an [`ids`] tag).
    pub(super) fn require(&mut self, id: u32, expected: &'static str) -> Result<At<'a>, X12Error> {
        match self.next() {
            Some(at) if at.seg.tag() == id => Ok(at),
            Some(at) => Err(X12Error::UnexpectedSegment {
                segment: at.number,
                id: at.id().to_owned(),
                expected,
            }),
            None => Err(X12Error::UnexpectedEnd { expected }),
        }
    }

    /// An HL with HL03 = `level`, which must come next.
    pub(super) fn expect_hl(&mut self, level: &'static str) -> Result<At<'a>, X12Error> {
        match self.take_hl(level)? {
            Some(at) => Ok(at),
            None => match self.peek() {
                Some(at) => Err(X12Error::UnexpectedSegment {
                    segment: at.number,
                    id: at.id().to_owned(),
                    expected: "HL of the information source (HL03 = 20)",
                }),
                None => Err(X12Error::UnexpectedEnd {
                    expected: "HL of the information source (HL03 = 20)",
                }),
            },
        }
    }

    /// Consumes the next segment if it is an HL with HL03 = `level`.
    pub(super) fn take_hl(&mut self, level: &'static str) -> Result<Option<At<'a>>, X12Error> {
        let Some(at) = self.peek() else {
            return Ok(None);
        };
        if at.seg.tag() != ids::HL || at.seg.value(3) != Some(level) {
            return Ok(None);
        }
        at.req(1)?;
        self.next += 1;
        Ok(Some(at))
    }
}

/// The single-use segments of a loop.
#[derive(Clone, Copy)]
enum Once {
    N3 = 1,
    N4 = 1 << 1,
    Prv = 1 << 2,
    Dmg = 1 << 3,
    Ins = 1 << 4,
    Hi = 1 << 5,
    Mpi = 1 << 6,
}

/// Tracks the single-use segments of a loop, so a repeated one is reported, not overwritten.
#[derive(Default)]
struct Seen(u8);

impl Seen {
    fn once(&mut self, at: &At<'_>, segment: Once) -> Result<(), X12Error> {
        let bit = segment as u8;
        if self.0 & bit != 0 {
            return Err(X12Error::UnexpectedSegment {
                segment: at.number,
                id: at.id().to_owned(),
                expected: "at most one of this segment in the loop",
            });
        }
        self.0 |= bit;
        Ok(())
    }
}

pub(super) fn read_source(c: &mut Cursor<'_>) -> Result<Source271, X12Error> {
    let mut rejections = Vec::new();
    // 2000A AAA: the payer could not process at all (e.g. 42 unable to respond now).
    while c.peek_id() == Some(ids::AAA) {
        if let Some(at) = c.next() {
            rejections.push(at.aaa("2000A")?);
        }
    }
    let name = c
        .require(ids::NM1, "NM1 information source name (2100A)")?
        .nm1()?;
    let mut contacts = Vec::new();
    loop {
        match c.peek_id() {
            Some(ids::PER) => contacts.push(next_or_end(c)?.per()?),
            Some(ids::AAA) => rejections.push(next_or_end(c)?.aaa("2100A")?),
            _ => break,
        }
    }
    Ok(Source271 {
        name,
        contacts,
        rejections,
    })
}

/// Reads 2100B into `out` (filled in place, like the members).
pub(super) fn read_receiver(
    c: &mut Cursor<'_>,
    out: &mut Option<Receiver271>,
) -> Result<(), X12Error> {
    let name = c
        .require(ids::NM1, "NM1 information receiver name (2100B)")?
        .nm1()?;
    let r = out.insert(Receiver271 {
        name,
        references: Vec::new(),
        address: None,
        rejections: Vec::new(),
        provider: None,
    });
    let mut seen = Seen::default();
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::REF => r.references.push(at.reference()?),
            ids::N3 => {
                seen.once(&at, Once::N3)?;
                at.n3(r.address.get_or_insert_with(Address::default))?;
            }
            ids::N4 => {
                seen.once(&at, Once::N4)?;
                at.n4(r.address.get_or_insert_with(Address::default))?;
            }
            ids::AAA => r.rejections.push(at.aaa("2100B")?),
            ids::PRV => {
                seen.once(&at, Once::Prv)?;
                r.provider = Some(at.prv()?);
            }
            _ => break,
        }
        c.next += 1;
    }
    Ok(())
}

#[derive(Clone, Copy)]
pub(super) enum Level {
    Subscriber,
    Dependent,
}

impl Level {
    fn name_loop(self) -> &'static str {
        match self {
            Level::Subscriber => "2100C",
            Level::Dependent => "2100D",
        }
    }

    fn benefit_loop(self) -> &'static str {
        match self {
            Level::Subscriber => "2110C",
            Level::Dependent => "2110D",
        }
    }
}

/// Reads a 2000C/D member into `out` (filled in place: a Member271 is large).
pub(super) fn read_member(
    c: &mut Cursor<'_>,
    level: Level,
    out: &mut Option<Member271>,
) -> Result<(), X12Error> {
    let mut traces = Vec::new();
    while c.peek_id() == Some(ids::TRN) {
        traces.push(next_or_end(c)?.trn()?);
    }
    let (entity, expected) = match level {
        Level::Subscriber => ("IL", "NM1 subscriber name (2100C)"),
        Level::Dependent => ("03", "NM1 dependent name (2100D)"),
    };
    let nm1 = c.require(ids::NM1, expected)?;
    if nm1.seg.value(1) != Some(entity) {
        return Err(nm1.bad(1, "entity identifier code must be IL (2100C) or 03 (2100D)"));
    }
    let name = nm1.nm1()?;
    let m = out.insert(Member271 {
        traces,
        name,
        references: Vec::new(),
        address: None,
        rejections: Vec::new(),
        provider: None,
        demographics: None,
        relationship: None,
        diagnoses: Vec::new(),
        dates: Vec::new(),
        military: None,
        benefits: Vec::new(),
    });
    let mut seen = Seen::default();
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::REF => m.references.push(at.reference()?),
            ids::N3 => {
                seen.once(&at, Once::N3)?;
                at.n3(m.address.get_or_insert_with(Address::default))?;
            }
            ids::N4 => {
                seen.once(&at, Once::N4)?;
                at.n4(m.address.get_or_insert_with(Address::default))?;
            }
            ids::AAA => m.rejections.push(at.aaa(level.name_loop())?),
            ids::PRV => {
                seen.once(&at, Once::Prv)?;
                m.provider = Some(at.prv()?);
            }
            ids::DMG => {
                seen.once(&at, Once::Dmg)?;
                m.demographics = Some(dmg(&at)?);
            }
            ids::INS => {
                seen.once(&at, Once::Ins)?;
                m.relationship = Some(InsuredRelationship {
                    insured_indicator: at.req(1)?,
                    relationship_code: at.req(2)?,
                    maintenance_type: at.opt(3),
                    maintenance_reason: at.opt(4),
                    birth_sequence: at.opt(17),
                });
            }
            ids::HI => {
                seen.once(&at, Once::Hi)?;
                m.diagnoses = hi(&at)?;
            }
            ids::DTP => m.dates.push(at.dtp()?),
            ids::MPI => {
                seen.once(&at, Once::Mpi)?;
                m.military = Some(MilitaryInfo {
                    status: at.opt(1),
                    employment_status: at.opt(2),
                    affiliation: at.opt(3),
                    description: at.opt(4),
                    rank: at.opt(5),
                    date: at.date_pair(6)?,
                });
            }
            _ => break,
        }
        c.next += 1;
    }
    // Room for every EB of this member at once (a Benefit is large; growing would copy them).
    let ebs = c
        .segments
        .get(c.next..)
        .unwrap_or_default()
        .iter()
        .take_while(|s| s.tag() != ids::HL)
        .filter(|s| s.tag() == ids::EB)
        .count();
    m.benefits.reserve_exact(ebs);
    while c.peek_id() == Some(ids::EB) {
        let eb = next_or_end(c)?;
        read_benefit(c, eb, level, &mut m.benefits)?;
    }
    Ok(())
}

fn dmg(at: &At<'_>) -> Result<Demographics, X12Error> {
    let birth_date = match at.seg.value(2) {
        None => None,
        Some(v) => {
            // DMG01 D8: the only format the 271 allows for a birth date.
            if at.seg.value(1) != Some("D8") {
                return Err(at.bad(1, "date format qualifier must be D8"));
            }
            Some(parse_d8(v).map_err(|r| at.bad(2, r))?)
        }
    };
    Ok(Demographics {
        birth_date,
        gender: at.opt(3),
    })
}

/// HI01..HI08, each `qualifier:code`.
fn hi(at: &At<'_>) -> Result<Vec<DiagnosisCode>, X12Error> {
    let mut codes = Vec::new();
    for (i, element) in at.seg.elements().enumerate() {
        if element.is_empty() {
            continue;
        }
        let mut parts = element.components();
        let mut part = || parts.next().filter(|v| !v.is_empty());
        match (part(), part()) {
            (Some(qualifier), Some(code)) => codes.push(DiagnosisCode {
                qualifier: qualifier.to_owned(),
                code: code.to_owned(),
            }),
            _ => return Err(at.bad(i + 1, "diagnosis composite needs a qualifier and a code")),
        }
    }
    Ok(codes)
}

/// Reads the EB at `eb` and everything after it that belongs to it, up to the next EB, HL or
/// segment of another loop.
fn read_benefit(
    c: &mut Cursor<'_>,
    eb: At<'_>,
    level: Level,
    into: &mut Vec<Benefit>,
) -> Result<(), X12Error> {
    // Pushed blank and filled in place: a Benefit is large, and moving it costs. (On an error
    // the whole response is dropped, this half-filled benefit with it.)
    let b = into.push_mut(blank_benefit());
    b.info_code = eb.req(1)?;
    b.coverage_level = eb.opt(2);
    // 2110C EB03 — repeatable service type codes.
    b.service_types = eb
        .seg
        .element(3)
        .map(|e| {
            e.repetitions()
                .map(|r| r.value())
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    b.insurance_type = eb.opt(4);
    b.plan_description = eb.opt(5);
    b.time_period = eb.opt(6);
    b.amount = eb.decimal(7)?;
    // EB08 is a fraction: `.2` means 20 %. Kept as sent.
    b.percent = eb.decimal(8)?;
    b.quantity_qualifier = eb.opt(9);
    b.quantity = eb.decimal(10)?;
    b.auth_required = match eb.seg.value(11) {
        None => None,
        Some("Y") => Some(AuthRequired::Yes),
        Some("N") => Some(AuthRequired::No),
        Some("U") => Some(AuthRequired::Unknown),
        Some(_) => return Err(eb.bad(11, "authorization indicator must be Y, N or U")),
    };
    b.in_network = match eb.seg.value(12) {
        None => None,
        Some("Y") => Some(InNetwork::Yes),
        Some("N") => Some(InNetwork::No),
        Some("W") => Some(InNetwork::NotApplicable),
        Some("U") => Some(InNetwork::Unknown),
        Some(_) => return Err(eb.bad(12, "in-plan-network indicator must be Y, N, W or U")),
    };
    b.procedure = procedure(&eb)?;
    b.diagnosis_pointers = diagnosis_pointers(&eb)?;
    while let Some(at) = c.peek() {
        match at.seg.tag() {
            ids::HSD => b.delivery.push(DeliveryPattern {
                quantity_qualifier: at.opt(1),
                quantity: at.decimal(2)?,
                unit: at.opt(3),
                modulus: at.decimal(4)?,
                time_period: at.opt(5),
                period_count: at.decimal(6)?,
                frequency: at.opt(7),
                pattern_time: at.opt(8),
            }),
            ids::REF => b.references.push(at.reference()?),
            ids::DTP => b.dates.push(at.dtp()?),
            ids::AAA => b.rejections.push(at.aaa(level.benefit_loop())?),
            ids::MSG => b.messages.push(at.req(1)?),
            ids::III => b.additional_info.push(AdditionalInfo {
                code_list_qualifier: at.opt(1),
                industry_code: at.opt(2),
                code_category: at.opt(3),
                description: at.opt(4),
            }),
            ids::LS => {
                c.next += 1;
                read_related_entities(c, &at, &mut b.related_entities)?;
                continue;
            }
            _ => break,
        }
        c.next += 1;
    }
    Ok(())
}

/// A benefit with nothing read yet.
fn blank_benefit() -> Benefit {
    Benefit {
        info_code: String::new(),
        coverage_level: None,
        service_types: Vec::new(),
        insurance_type: None,
        plan_description: None,
        time_period: None,
        amount: None,
        percent: None,
        quantity_qualifier: None,
        quantity: None,
        auth_required: None,
        in_network: None,
        procedure: None,
        diagnosis_pointers: Vec::new(),
        delivery: Vec::new(),
        references: Vec::new(),
        dates: Vec::new(),
        rejections: Vec::new(),
        messages: Vec::new(),
        additional_info: Vec::new(),
        related_entities: Vec::new(),
    }
}

/// EB14: pointers to the inquiry's diagnoses, each a positive number.
fn diagnosis_pointers(eb: &At<'_>) -> Result<Vec<u8>, X12Error> {
    let mut pointers = Vec::new();
    if let Some(element) = eb.seg.element(14) {
        for p in element.components().filter(|p| !p.is_empty()) {
            let pointer =
                p.parse::<u8>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    eb.bad(14, "diagnosis code pointer must be a positive number")
                })?;
            pointers.push(pointer);
        }
    }
    Ok(pointers)
}

fn procedure(eb: &At<'_>) -> Result<Option<ProcedureCode>, X12Error> {
    let Some(element) = eb.seg.element(13).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let mut components = [None; 8];
    for (slot, c) in components.iter_mut().zip(element.components()) {
        *slot = Some(c).filter(|v| !v.is_empty());
    }
    let comp = |i: usize| components.get(i).copied().flatten().map(str::to_owned);
    let (Some(qualifier), Some(code)) = (comp(0), comp(1)) else {
        return Err(eb.bad(13, "procedure composite needs a qualifier and a code"));
    };
    Ok(Some(ProcedureCode {
        qualifier,
        code,
        modifiers: (2..6).filter_map(comp).collect(),
        range_end: comp(7),
    }))
}

/// `LS*2120` (already consumed, at `ls`) … `LE*2120`: NM1 groups with their N3/N4/PER/PRV.
fn read_related_entities(
    c: &mut Cursor<'_>,
    ls: &At<'_>,
    into: &mut Vec<RelatedEntity>,
) -> Result<(), X12Error> {
    const EXPECTED: &str = "NM1, N3, N4, PER, PRV or LE*2120 inside LS*2120";
    let loop_id = ls.req(1)?;
    if loop_id != "2120" {
        return Err(ls.bad(1, "loop identifier must be 2120"));
    }
    let mut current: Option<(RelatedEntity, Seen)> = None;
    loop {
        let Some(at) = c.next() else {
            return Err(X12Error::UnexpectedEnd {
                expected: "LE*2120 closing LS*2120",
            });
        };
        if at.seg.tag() == ids::LE {
            if at.seg.value(1) != Some(loop_id.as_str()) {
                return Err(at.bad(1, "LE01 must repeat LS01 (2120)"));
            }
            into.extend(current.map(|(e, _)| e));
            return Ok(());
        }
        if at.seg.tag() == ids::NM1 {
            into.extend(current.take().map(|(e, _)| e));
            let entity = RelatedEntity {
                name: at.nm1()?,
                address: None,
                contacts: Vec::new(),
                provider: None,
            };
            current = Some((entity, Seen::default()));
            continue;
        }
        let Some((entity, seen)) = current.as_mut() else {
            return Err(X12Error::UnexpectedSegment {
                segment: at.number,
                id: at.id().to_owned(),
                expected: EXPECTED,
            });
        };
        match at.seg.tag() {
            ids::N3 => {
                seen.once(&at, Once::N3)?;
                at.n3(entity.address.get_or_insert_with(Address::default))?;
            }
            ids::N4 => {
                seen.once(&at, Once::N4)?;
                at.n4(entity.address.get_or_insert_with(Address::default))?;
            }
            ids::PER => entity.contacts.push(at.per()?),
            ids::PRV => {
                seen.once(&at, Once::Prv)?;
                entity.provider = Some(at.prv()?);
            }
            _ => {
                return Err(X12Error::UnexpectedSegment {
                    segment: at.number,
                    id: at.id().to_owned(),
                    expected: EXPECTED,
                })
            }
        }
    }
}

fn next_or_end<'a>(c: &mut Cursor<'a>) -> Result<At<'a>, X12Error> {
    c.next().ok_or(X12Error::UnexpectedEnd {
        expected: "a segment",
    })
}
