//! Reading an [`EligibilityAnswer`] for one level of care: the benefit summary admissions staff
//! read to the caller.
//!
//! Rules (domain reference §1.5, "How payers answer"):
//! - a row counts for the level when one of its service types is in
//!   [`service_types`]`(level, program)`; among several, the most specific service type wins,
//!   and a row stating the network exactly wins over one saying "both" (EB12 `W`) or nothing;
//! - EB06 tells what an amount is: `29`/`33` remaining, `24` met so far, any other period (or
//!   none) the plan's total. Met is derived from total − remaining (and remaining from
//!   total − met) only when the payer gave the other two; the source says so;
//! - nothing is guessed: what the payer did not say stays `None`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::eligibility::{
    AnsweringPayer, AppliesVia, BenefitEntry, BenefitKind, EligibilityAnswer, LevelOfCare,
    MoneyText, NetworkScope, Program, RelatedEntity, Sourced,
};
use super::fee_schedule::ClaimSetup;
use super::identity::IdentityReport;
use super::money::to_cents;

type Money = Sourced<MoneyText>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    Active,
    Inactive,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YesNoUnknown {
    Yes,
    No,
    Unknown,
}

/// A deductible or out-of-pocket accumulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Accumulator {
    pub total: Option<Money>,
    pub met: Option<Money>,
    pub remaining: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Tiers {
    pub individual: Accumulator,
    pub family: Accumulator,
}

/// What the copay is charged per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopayPer {
    Day,
    Visit,
    Admission,
    /// The payer stated an amount but no period.
    Unspecified,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Copay {
    pub amount: String,
    pub per: CopayPer,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_via: Option<AppliesVia>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Limit {
    pub total: Option<Sourced<String>>,
    pub remaining: Option<Sourced<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkBenefits {
    pub deductible: Tiers,
    pub out_of_pocket: Tiers,
    pub copay: Option<Copay>,
    /// Percent the patient pays, e.g. `"20"`.
    pub coinsurance_percent: Option<Sourced<String>>,
    pub day_limit: Limit,
    pub visit_limit: Limit,
    pub prior_authorization: Sourced<YesNoUnknown>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarveOut {
    pub name: Option<String>,
    /// NM101 of the entity (`PR`, `VN`, `Y2`, `X3`); absent when read from a message.
    #[serde(default)]
    pub entity_code: Option<String>,
    pub id_qualifier: Option<String>,
    pub identifier: Option<String>,
    pub phone: Option<String>,
    /// The step whose service types named it (`level`, `program`, `facility`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_via: Option<AppliesVia>,
    pub source: String,
}

/// Someone the answer names to call — member services, a primary care provider, a plan
/// sponsor — who is not the level's carve-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: Option<String>,
    pub entity_code: Option<String>,
    /// The entity code in words (`payer`, `vendor`, `primary care provider`, …).
    pub role: String,
    pub id_qualifier: Option<String>,
    pub identifier: Option<String>,
    pub phone: Option<String>,
    /// What the payer named it for, in words.
    pub purpose: String,
    /// The entity is the payer that answered (its own member-services line).
    pub is_payer: bool,
    pub source: String,
}

/// The order another payer of the member's pays in, from its 2120 entity code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtherPayerOrder {
    /// PRP
    Primary,
    /// SEP
    Secondary,
    /// TTP
    Tertiary,
    /// P4: the member's prior insurance carrier.
    Prior,
    /// The payer named another payer without saying its order.
    Unknown,
}

impl OtherPayerOrder {
    fn from_entity_code(code: Option<&str>) -> OtherPayerOrder {
        match code {
            Some("PRP") => OtherPayerOrder::Primary,
            Some("SEP") => OtherPayerOrder::Secondary,
            Some("TTP") => OtherPayerOrder::Tertiary,
            Some("P4") => OtherPayerOrder::Prior,
            _ => OtherPayerOrder::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OtherPayerOrder::Primary => "primary",
            OtherPayerOrder::Secondary => "secondary",
            OtherPayerOrder::Tertiary => "tertiary",
            OtherPayerOrder::Prior => "prior",
            OtherPayerOrder::Unknown => "order not stated",
        }
    }
}

/// Another payer the member has, as this payer reports it (`EB*R`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherCoverage {
    pub name: Option<String>,
    pub entity_code: Option<String>,
    pub order: OtherPayerOrder,
    pub id_qualifier: Option<String>,
    pub identifier: Option<String>,
    pub phone: Option<String>,
    /// EB04 (`MB` Medicare Part B, `MA` Medicare Part A, `MC` Medicaid, …).
    pub insurance_type: Option<String>,
    /// REF `IG`/`1W`/`0F`/`NQ` on the row.
    pub policy_number: Option<String>,
    /// REF `6P`/`1L`.
    pub group_number: Option<String>,
    /// REF `18`.
    pub plan_number: Option<String>,
    /// ISO dates from the row's DTP (coordination of benefits, else eligibility).
    pub begin: Option<String>,
    pub end: Option<String>,
    pub messages: Vec<String>,
    pub source: String,
}

/// A figure chosen from the facility or plan step: not stated for behavioral health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneralFigure {
    /// The figure's path in the summary, e.g. `in_network.deductible.individual`.
    pub figure: String,
    pub applies_via: AppliesVia,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelSummary {
    pub level_of_care: LevelOfCare,
    pub program: Program,
    pub service_types: Vec<String>,
    pub coverage_status: Sourced<CoverageStatus>,
    /// Whether the plan covers this level at all: `false` when the payer marks its service type
    /// non-covered, `true` when it reports coverage for it specifically, `None` otherwise.
    pub service_covered: Option<Sourced<bool>>,
    pub plan_name: Option<Sourced<String>>,
    pub plan_begin: Option<Sourced<String>>,
    pub plan_end: Option<Sourced<String>>,
    /// The place of service facility benefits were read for (see [`billed_place_of_service`]).
    #[serde(default)]
    pub place_of_service: String,
    pub in_network: NetworkBenefits,
    pub out_of_network: NetworkBenefits,
    /// Figures the payer stated for the facility or the plan, not for behavioral health:
    /// staff confirm them before quoting.
    #[serde(default)]
    pub general_figures: Vec<GeneralFigure>,
    pub carve_out: Option<CarveOut>,
    /// Who else the answer names to call, and what for.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// The member's other payers, as this payer reports them.
    #[serde(default)]
    pub other_coverage: Vec<OtherCoverage>,
    pub messages: Vec<String>,
    /// What the payer holds differently about the client it answered for (a corrected member
    /// id, a name or birth date spelled otherwise); set by the verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_for: Option<IdentityReport>,
}

/// The steps of the selection rule for a level of care in a program, most specific first
/// (README "Benefits verification"):
///
/// | step | MH IOP | MH PHP | SUD IOP / PHP |
/// |---|---|---|---|
/// | level | A8, CH, CF | BB | CJ |
/// | program | MH | MH | AI, AJ, AK |
/// | facility | 50, 47 | 50, 47 | 50, 47 |
/// | plan | 30 | 30 | 30 |
///
/// Within a step the codes are in order of preference (50 hospital outpatient before 47
/// hospital). A row with no service type speaks for the plan, as `30` does.
pub fn selection_steps(
    level: LevelOfCare,
    program: Program,
) -> [(AppliesVia, &'static [&'static str]); 4] {
    let (level_codes, program_codes): (&'static [&'static str], &'static [&'static str]) =
        match (level, program) {
            (LevelOfCare::Iop, Program::MentalHealth) => (&["A8", "CH", "CF"], &["MH"]),
            (LevelOfCare::Php, Program::MentalHealth) => (&["BB"], &["MH"]),
            // No PHP-only substance-use code exists: CJ (outpatient) answers for both.
            (_, Program::SubstanceUse) => (&["CJ"], &["AI", "AJ", "AK"]),
        };
    [
        (AppliesVia::Level, level_codes),
        (AppliesVia::Program, program_codes),
        (AppliesVia::Facility, &["50", "47"]),
        (AppliesVia::Plan, &["30"]),
    ]
}

/// The place of service the clinic bills a level of care at, which a facility benefit must
/// match: from the fee schedule's type of bill for an 837I (013x hospital outpatient → 22,
/// 076x community mental health center → 53, 085x critical access hospital → 22) or its place
/// of service for an 837P; 22 when the payer has no fee schedule for the level.
pub fn billed_place_of_service(setup: Option<&ClaimSetup>) -> String {
    match setup {
        Some(ClaimSetup::Professional { place_of_service }) => place_of_service.as_str().into(),
        Some(ClaimSetup::Institutional { type_of_bill, .. })
            if type_of_bill
                .as_str()
                .trim_start_matches('0')
                .starts_with("76") =>
        {
            "53".into()
        }
        _ => "22".into(),
    }
}

/// What a summary is read for: the level, the program and where the clinic bills it.
#[derive(Debug, Clone)]
pub struct Reading<'a> {
    steps: [(AppliesVia, &'static [&'static str]); 4],
    place: &'a str,
}

/// How well a row fits, compared field by field (lower is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Fit {
    step: AppliesVia,
    network: usize,
    place: usize,
    setting: usize,
    code: usize,
}

impl Fit {
    /// Two rows that may share one accumulator: the same step, network, place and setting.
    fn same_kind(&self, other: &Fit) -> bool {
        (self.step, self.network, self.place, self.setting)
            == (other.step, other.network, other.place, other.setting)
    }
}

impl Reading<'_> {
    /// The step and the code's position in it; `None` when no service type of the row is in
    /// the rule.
    fn step(&self, entry: &BenefitEntry) -> Option<(AppliesVia, usize)> {
        let find = |code: &str| {
            self.steps.iter().find_map(|(via, wanted)| {
                wanted.iter().position(|w| *w == code).map(|at| (*via, at))
            })
        };
        // A row with no service type speaks for the plan, as 30 does.
        if entry.service_types.is_empty() {
            return find("30");
        }
        entry
            .service_types
            .iter()
            .filter_map(|code| find(code))
            .min()
    }

    /// 0: limited to the place the clinic bills; 1: not limited; 2: limited to other places;
    /// `None`: limited to the office (11) — a professional figure, never a facility's.
    fn place(&self, entry: &BenefitEntry) -> Option<usize> {
        let places = &entry.places_of_service;
        if places.is_empty() {
            Some(1)
        } else if places.iter().any(|p| p == self.place) {
            Some(0)
        } else if places.iter().all(|p| p == "11") {
            None
        } else {
            Some(2)
        }
    }

    fn fit(&self, entry: &BenefitEntry, network: NetworkScope) -> Option<Fit> {
        let (step, code) = self.step(entry)?;
        Some(Fit {
            step,
            network: network_rank(entry, network)?,
            place: self.place(entry)?,
            setting: setting_rank(entry),
            code,
        })
    }
}

/// 0: the payer's message says FACILITY; 1: says neither; 2: says PROFESSIONAL.
fn setting_rank(entry: &BenefitEntry) -> usize {
    let says = |word: &str| {
        entry.messages.iter().any(|m| {
            m.to_ascii_uppercase()
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|w| w == word)
        })
    };
    if says("FACILITY") {
        0
    } else if says("PROFESSIONAL") {
        2
    } else {
        1
    }
}

fn network_rank(entry: &BenefitEntry, network: NetworkScope) -> Option<usize> {
    match entry.network {
        scope if scope == network => Some(0),
        NetworkScope::Both => Some(1),
        NetworkScope::Unknown => Some(2),
        _ => None,
    }
}

/// The best row of `kind` for this network, passing `accept`, and how it fits.
fn best<'a>(
    entries: &'a [BenefitEntry],
    reading: &Reading<'_>,
    network: NetworkScope,
    kind: &BenefitKind,
    accept: impl Fn(&BenefitEntry) -> bool,
) -> Option<(&'a BenefitEntry, Fit)> {
    entries
        .iter()
        .filter(|e| &e.kind == kind && accept(e))
        .filter_map(|e| Some((e, reading.fit(e, network)?)))
        .min_by_key(|(_, fit)| *fit)
}

fn is_remaining(entry: &BenefitEntry) -> bool {
    matches!(entry.time_period.as_deref(), Some("29" | "33"))
}

fn is_met(entry: &BenefitEntry) -> bool {
    entry.time_period.as_deref() == Some("24")
}

fn is_total(entry: &BenefitEntry) -> bool {
    !is_remaining(entry) && !is_met(entry)
}

fn level_is(entry: &BenefitEntry, level: &str) -> bool {
    match entry.coverage_level.as_deref() {
        Some(stated) => stated == level,
        // A row that names no coverage level is the individual's.
        None => level == "IND",
    }
}

fn money(entry: &BenefitEntry, via: AppliesVia) -> Option<Money> {
    entry
        .amount
        .map(|amount| Sourced::new(MoneyText::new(amount), entry.source.clone()).via(Some(via)))
}

/// One deductible or out-of-pocket accumulator. Its total, met and remaining come from rows of
/// one kind — the same step, network, place and setting as the best row — never a level total
/// beside a plan remaining.
fn accumulator(
    entries: &[BenefitEntry],
    reading: &Reading<'_>,
    network: NetworkScope,
    kind: &BenefitKind,
    level: &str,
) -> Accumulator {
    let usable = |e: &BenefitEntry| level_is(e, level) && e.amount.is_some();
    let Some((_, anchor)) = best(entries, reading, network, kind, usable) else {
        return Accumulator::default();
    };
    let via = anchor.step;
    let pick = |test: fn(&BenefitEntry) -> bool| {
        entries
            .iter()
            .filter(|e| &e.kind == kind && usable(e) && test(e))
            .filter_map(|e| Some((e, reading.fit(e, network)?)))
            .filter(|(_, fit)| fit.same_kind(&anchor))
            .min_by_key(|(_, fit)| *fit)
            .map(|(e, _)| e)
    };
    let total = pick(is_total);
    let met = pick(is_met);
    let remaining = pick(is_remaining);
    let derived = |a: &BenefitEntry, b: &BenefitEntry, value: Decimal, how: &str| {
        Sourced::new(
            MoneyText::new(value),
            format!("derived: {how} ({}; {})", a.source, b.source),
        )
        .via(Some(via))
    };
    let met_money = match (met, total, remaining) {
        (Some(met), _, _) => money(met, via),
        (None, Some(t), Some(r)) => match (t.amount, r.amount) {
            (Some(ta), Some(ra)) => Some(derived(t, r, ta - ra, "total − remaining")),
            _ => None,
        },
        _ => None,
    };
    let remaining_money = match (remaining, total, met) {
        (Some(r), _, _) => money(r, via),
        (None, Some(t), Some(m)) => match (t.amount, m.amount) {
            (Some(ta), Some(ma)) => {
                Some(derived(t, m, (ta - ma).max(Decimal::ZERO), "total − met"))
            }
            _ => None,
        },
        _ => None,
    };
    Accumulator {
        total: total.and_then(|t| money(t, via)),
        met: met_money,
        remaining: remaining_money,
    }
}

fn copay(entries: &[BenefitEntry], reading: &Reading<'_>, network: NetworkScope) -> Option<Copay> {
    let (entry, fit) = best(entries, reading, network, &BenefitKind::CoPayment, |e| {
        e.amount.is_some()
    })?;
    let per = match entry.time_period.as_deref() {
        Some("7" | "13") => CopayPer::Day,
        Some("27") => CopayPer::Visit,
        Some("36") => CopayPer::Admission,
        _ => CopayPer::Unspecified,
    };
    Some(Copay {
        amount: to_cents(entry.amount?).to_string(),
        per,
        source: entry.source.clone(),
        applies_via: Some(fit.step),
    })
}

fn coinsurance(
    entries: &[BenefitEntry],
    reading: &Reading<'_>,
    network: NetworkScope,
) -> Option<Sourced<String>> {
    let (entry, fit) = best(entries, reading, network, &BenefitKind::CoInsurance, |e| {
        e.percent.is_some()
    })?;
    let percent = (entry.percent? * Decimal::ONE_HUNDRED).normalize();
    Some(Sourced::new(percent.to_string(), entry.source.clone()).via(Some(fit.step)))
}

fn limit(
    entries: &[BenefitEntry],
    reading: &Reading<'_>,
    network: NetworkScope,
    unit: &str,
) -> Limit {
    let pick = |remaining: bool| {
        best(entries, reading, network, &BenefitKind::Limitations, |e| {
            e.quantity_qualifier.as_deref() == Some(unit)
                && e.quantity.is_some()
                && is_remaining(e) == remaining
        })
        .and_then(|(e, fit)| {
            e.quantity.map(|q| {
                Sourced::new(q.normalize().to_string(), e.source.clone()).via(Some(fit.step))
            })
        })
    };
    Limit {
        total: pick(false),
        remaining: pick(true),
    }
}

fn mentions_prior_auth(text: &str) -> Option<bool> {
    let upper = text.to_ascii_uppercase();
    let about_auth = upper.contains("PRIOR AUTH")
        || upper.contains("PRE-AUTH")
        || upper.contains("PREAUTH")
        || upper.contains("PRECERT")
        || upper.contains("PRE-CERT");
    if !about_auth {
        return None;
    }
    let denied = upper.contains("NOT REQUIRED") || upper.contains("NO PRIOR AUTH");
    Some(!denied)
}

fn prior_authorization(
    entries: &[BenefitEntry],
    reading: &Reading<'_>,
    network: NetworkScope,
) -> Sourced<YesNoUnknown> {
    let flagged = entries
        .iter()
        .filter(|e| e.auth_required.is_some())
        .filter_map(|e| Some((e, reading.fit(e, network)?)))
        .min_by_key(|(_, fit)| *fit);
    if let Some((entry, fit)) = flagged {
        let value = if entry.auth_required == Some(true) {
            YesNoUnknown::Yes
        } else {
            YesNoUnknown::No
        };
        return Sourced::new(value, format!("{} (EB11)", entry.source)).via(Some(fit.step));
    }
    let said = entries
        .iter()
        .filter_map(|e| Some((e, reading.fit(e, network)?)))
        .flat_map(|(e, fit)| e.messages.iter().map(move |m| (fit, e, m)))
        .filter_map(|(fit, e, m)| mentions_prior_auth(m).map(|yes| (fit, e, m, yes)))
        .min_by_key(|(fit, ..)| *fit);
    match said {
        Some((fit, entry, message, yes)) => Sourced::new(
            if yes {
                YesNoUnknown::Yes
            } else {
                YesNoUnknown::No
            },
            format!("{} (MSG \"{message}\")", entry.source),
        )
        .via(Some(fit.step)),
        None => Sourced::new(YesNoUnknown::Unknown, "not stated by the payer"),
    }
}

fn network_benefits(
    entries: &[BenefitEntry],
    reading: &Reading<'_>,
    network: NetworkScope,
) -> NetworkBenefits {
    let tiers = |kind: BenefitKind| Tiers {
        individual: accumulator(entries, reading, network, &kind, "IND"),
        family: accumulator(entries, reading, network, &kind, "FAM"),
    };
    NetworkBenefits {
        deductible: tiers(BenefitKind::Deductible),
        out_of_pocket: tiers(BenefitKind::OutOfPocket),
        copay: copay(entries, reading, network),
        coinsurance_percent: coinsurance(entries, reading, network),
        day_limit: limit(entries, reading, network, "DY"),
        visit_limit: limit(entries, reading, network, "VS"),
        prior_authorization: prior_authorization(entries, reading, network),
    }
}

fn coverage_status(answer: &EligibilityAnswer, reading: &Reading<'_>) -> Sourced<CoverageStatus> {
    if !answer.rejections.is_empty() {
        return Sourced::new(CoverageStatus::Unknown, "the payer rejected the inquiry");
    }
    // A plan-level row (30 among its service types, or none) decides, and says so; a more
    // specific row only when the payer gave no plan-level one.
    answer
        .benefits
        .iter()
        .filter(|e| matches!(e.kind, BenefitKind::ActiveCoverage | BenefitKind::Inactive))
        .filter_map(|e| {
            let plan = e.service_types.is_empty() || e.service_types.iter().any(|s| s == "30");
            if plan {
                return Some((0, AppliesVia::Plan, e));
            }
            reading.step(e).map(|(step, _)| (1, step, e))
        })
        .min_by_key(|(rank, step, _)| (*rank, *step))
        .map(|(_, step, e)| {
            let status = if e.kind == BenefitKind::ActiveCoverage {
                CoverageStatus::Active
            } else {
                CoverageStatus::Inactive
            };
            Sourced::new(status, e.source.clone()).via(Some(step))
        })
        .unwrap_or_else(|| Sourced::new(CoverageStatus::Unknown, "no coverage status returned"))
}

/// Whether the level itself is covered: only rows of the level and program steps say so.
fn service_covered(entries: &[BenefitEntry], reading: &Reading<'_>) -> Option<Sourced<bool>> {
    entries
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                BenefitKind::NonCovered | BenefitKind::ActiveCoverage | BenefitKind::Inactive
            )
        })
        .filter_map(|e| Some((reading.step(e)?, e)))
        .filter(|((step, _), e)| step.is_behavioral() && !e.service_types.is_empty())
        .min_by_key(|(rank, _)| *rank)
        .map(|((step, _), e)| {
            Sourced::new(e.kind == BenefitKind::ActiveCoverage, e.source.clone()).via(Some(step))
        })
}

/// NM101 codes of an entity that may administer benefits for the payer: payer, vendor,
/// managed care organization, utilization management — in that order of preference.
const ADMINISTRATORS: [&str; 4] = ["PR", "Y2", "VN", "X3"];

/// NM101 codes of another payer of the member's (EB*R): primary, secondary, tertiary payer,
/// prior carrier.
const OTHER_PAYERS: [&str; 4] = ["PRP", "SEP", "TTP", "P4"];

/// Whether `entity` is the payer that answered (by id, else by name).
fn is_answering_payer(entity: &RelatedEntity, payer: Option<&AnsweringPayer>) -> bool {
    let Some(payer) = payer else {
        return false;
    };
    if let (Some(a), Some(b)) = (&entity.id, &payer.id) {
        return a.trim().eq_ignore_ascii_case(b.trim());
    }
    match (&entity.name, &payer.name) {
        (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        _ => false,
    }
}

fn entity_role(code: Option<&str>) -> &'static str {
    match code.unwrap_or_default() {
        "PR" => "payer",
        "VN" => "vendor",
        "Y2" => "managed care organization",
        "X3" => "utilization management organization",
        "P3" => "primary care provider",
        "P5" => "plan sponsor",
        "1P" => "provider",
        "PRP" => "primary payer",
        "SEP" => "secondary payer",
        "TTP" => "tertiary payer",
        "P4" => "prior insurance carrier",
        "GP" => "gateway provider",
        "IL" => "insured",
        _ => "entity",
    }
}

/// What a row with an entity is for, in words.
fn contact_purpose(entry: &BenefitEntry) -> String {
    let what = match &entry.kind {
        BenefitKind::ContactEntity => "contact for eligibility or benefit information",
        BenefitKind::OtherSource => "holds the benefit information",
        BenefitKind::ActiveCoverage => "named on the active coverage",
        BenefitKind::NonCovered => "named on a non-covered benefit",
        BenefitKind::OtherPayer => "other payer",
        BenefitKind::Other(code) if code == "L" => "primary care provider",
        BenefitKind::Other(code) if code == "N" => "services restricted to this provider",
        _ => "named on a benefit",
    };
    if entry.service_types.is_empty() {
        format!("{what} (all services)")
    } else {
        format!("{what} (service types {})", entry.service_types.join(", "))
    }
}

/// Who administers behavioral health for this level when it is not the payer: an `EB*U` or
/// `EB*W` whose service types are behavioral (the level's or program's) or facility ones,
/// naming a payer, vendor, MCO or UM organization that is not the payer itself; else a
/// message saying "… ADMINISTERED BY …".
fn carve_out(answer: &EligibilityAnswer, reading: &Reading<'_>) -> Option<CarveOut> {
    let payer = answer.payer.as_ref();
    let from_entity = answer
        .benefits
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                BenefitKind::ContactEntity | BenefitKind::OtherSource
            )
        })
        .filter_map(|e| {
            let (step, _) = reading.step(e)?;
            if e.service_types.is_empty() || step == AppliesVia::Plan {
                return None;
            }
            let (preference, entity) = e
                .related_entities
                .iter()
                .filter(|entity| !is_answering_payer(entity, payer))
                .filter_map(|entity| {
                    let code = entity.entity_code.as_deref()?;
                    Some((ADMINISTRATORS.iter().position(|c| *c == code)?, entity))
                })
                .min_by_key(|(preference, _)| *preference)?;
            Some(((step, preference), e, entity))
        })
        .min_by_key(|(rank, ..)| *rank);
    if let Some(((step, _), entry, entity)) = from_entity {
        let RelatedEntity {
            name,
            id_qualifier,
            id,
            phone,
            entity_code,
        } = entity.clone();
        return Some(CarveOut {
            name,
            entity_code,
            id_qualifier,
            identifier: id,
            phone,
            applies_via: Some(step),
            source: format!("{} (related entity)", entry.source),
        });
    }
    let messages = answer
        .benefits
        .iter()
        .filter(|e| reading.step(e).is_some())
        .flat_map(|e| e.messages.iter().map(move |m| (m, e.source.clone())))
        .chain(
            answer
                .messages
                .iter()
                .map(|m| (m, "payer message".to_string())),
        );
    for (message, source) in messages {
        if let Some(carve) = carve_out_from_message(message) {
            return Some(CarveOut {
                source: format!("{source} (MSG \"{message}\")"),
                ..carve
            });
        }
    }
    None
}

/// Every entity the answer names that is neither this level's carve-out nor another payer of
/// the member's: who to call, and what for.
fn contacts(answer: &EligibilityAnswer, carve: Option<&CarveOut>) -> Vec<Contact> {
    let payer = answer.payer.as_ref();
    let mut out: Vec<Contact> = Vec::new();
    // The payer's own number (X12 2100A PER) comes first: it is who staff call by default.
    if let Some(own) = payer.filter(|p| p.phone.is_some()) {
        out.push(Contact {
            name: own.name.clone(),
            entity_code: Some("PR".into()),
            role: entity_role(Some("PR")).to_string(),
            id_qualifier: None,
            identifier: own.id.clone(),
            phone: own.phone.clone(),
            purpose: "the payer's own contact".into(),
            is_payer: true,
            source: "payer (information source)".into(),
        });
    }
    for entry in &answer.benefits {
        for entity in &entry.related_entities {
            let code = entity.entity_code.as_deref();
            if entry.kind == BenefitKind::OtherPayer
                && code.is_some_and(|c| OTHER_PAYERS.contains(&c) || c == "PR")
            {
                continue;
            }
            // The carve-out named again on another row (FHIR gives one item per service type;
            // some payers repeat the EB*U per code) is still the carve-out, not a contact.
            let is_carve = carve.is_some_and(|c| {
                c.entity_code.is_some() && c.name == entity.name && c.identifier == entity.id
            });
            if is_carve {
                continue;
            }
            let contact = Contact {
                name: entity.name.clone(),
                entity_code: entity.entity_code.clone(),
                role: entity_role(code).to_string(),
                id_qualifier: entity.id_qualifier.clone(),
                identifier: entity.id.clone(),
                phone: entity.phone.clone(),
                purpose: contact_purpose(entry),
                is_payer: is_answering_payer(entity, payer),
                source: format!("{} (related entity)", entry.source),
            };
            // The same entity named on several rows is one contact (the first purpose, and a
            // phone from whichever row gave one).
            match out
                .iter_mut()
                .find(|c| c.name == contact.name && c.identifier == contact.identifier)
            {
                Some(seen) => {
                    if seen.phone.is_none() {
                        seen.phone = contact.phone;
                    }
                }
                None => out.push(contact),
            }
        }
    }
    out
}

/// The member's other payers (`EB*R`): who, in which order, under which ids and dates.
pub fn other_coverage(answer: &EligibilityAnswer) -> Vec<OtherCoverage> {
    let mut out = Vec::new();
    for entry in answer
        .benefits
        .iter()
        .filter(|e| e.kind == BenefitKind::OtherPayer)
    {
        let reference = |qualifiers: &[&str]| {
            entry
                .references
                .iter()
                .find(|r| qualifiers.contains(&r.qualifier.as_str()))
                .map(|r| r.value.clone())
        };
        // COB (290), else eligibility (346/356 begin, 347/357 end), else plan (291).
        let date = |qualifiers: &[&str]| {
            qualifiers
                .iter()
                .find_map(|q| entry.dates.iter().find(|d| d.qualifier == *q))
        };
        let span = date(&["290", "291", "292", "307"]);
        let begin = span
            .map(|d| d.begin)
            .or_else(|| date(&["346", "356"]).map(|d| d.begin));
        let end = span
            .and_then(|d| d.end)
            .or_else(|| date(&["347", "357"]).map(|d| d.begin));
        let entities: Vec<&RelatedEntity> = entry
            .related_entities
            .iter()
            .filter(|e| {
                e.entity_code
                    .as_deref()
                    .is_some_and(|c| OTHER_PAYERS.contains(&c) || c == "PR")
            })
            .collect();
        let base = OtherCoverage {
            // EB05 names the other plan when no entity does.
            name: entry.plan_description.clone(),
            entity_code: None,
            order: OtherPayerOrder::Unknown,
            id_qualifier: None,
            identifier: None,
            phone: None,
            insurance_type: entry.insurance_type.clone(),
            policy_number: reference(&["IG", "1W", "0F", "NQ"]),
            group_number: reference(&["6P", "1L"]),
            plan_number: reference(&["18"]),
            begin: begin.map(|d| d.to_string()),
            end: end.map(|d| d.to_string()),
            messages: entry.messages.clone(),
            source: entry.source.clone(),
        };
        // Several requests each answer the same EB*R: one payer is listed once.
        let mut push = |other: OtherCoverage| {
            let same = |o: &OtherCoverage| {
                (&o.name, &o.identifier, o.order, &o.policy_number, &o.begin)
                    == (
                        &other.name,
                        &other.identifier,
                        other.order,
                        &other.policy_number,
                        &other.begin,
                    )
            };
            if !out.iter().any(same) {
                out.push(other);
            }
        };
        if entities.is_empty() {
            push(base);
            continue;
        }
        for entity in entities {
            push(OtherCoverage {
                name: entity.name.clone().or_else(|| base.name.clone()),
                entity_code: entity.entity_code.clone(),
                order: OtherPayerOrder::from_entity_code(entity.entity_code.as_deref()),
                id_qualifier: entity.id_qualifier.clone(),
                identifier: entity.id.clone(),
                phone: entity.phone.clone(),
                source: format!("{} (related entity)", entry.source),
                ..base.clone()
            });
        }
    }
    out
}

/// The warning staff read when the member has another payer: billing order depends on it.
pub fn other_coverage_warning(other: &OtherCoverage) -> String {
    let name = other.name.as_deref().unwrap_or("another payer");
    match other.order {
        OtherPayerOrder::Primary | OtherPayerOrder::Unknown => format!(
            "the payer reports other coverage with {name} ({}): this coverage may not be \
             primary — confirm the billing order before billing",
            other.order.as_str()
        ),
        OtherPayerOrder::Secondary | OtherPayerOrder::Tertiary => format!(
            "the payer reports {name} as the {} payer: bill this coverage first",
            other.order.as_str()
        ),
        // An EB*R is other coverage the payer knows of; a carrier it calls prior may still be
        // in force (eMedNY reports Medicare this way), so the billing order is confirmed too.
        OtherPayerOrder::Prior => format!(
            "the payer reports other coverage with {name} (prior carrier): confirm whether it \
             is still in force and the billing order before billing"
        ),
    }
}

/// Recognises "… ADMINISTERED BY <NAME> [PHONE]" / "… MANAGED BY …" / "CONTACT <NAME> …" in a
/// payer message about behavioral health.
fn carve_out_from_message(message: &str) -> Option<CarveOut> {
    let upper = message.to_ascii_uppercase();
    let about_bh = ["BEHAVIORAL", "MENTAL HEALTH", "SUBSTANCE", "PSYCH", "CARVE"]
        .iter()
        .any(|w| upper.contains(w));
    let marker = ["ADMINISTERED BY ", "MANAGED BY ", "CONTACT "]
        .iter()
        .find_map(|m| upper.find(m).map(|at| at + m.len()))?;
    if !about_bh {
        return None;
    }
    let rest = message.get(marker..)?.trim();
    let digits_at = rest.find(|c: char| c.is_ascii_digit() || c == '(');
    let (name, phone) = match digits_at {
        Some(at) => (rest.get(..at)?, Some(rest.get(at..)?)),
        None => (rest, None),
    };
    let name = name
        .trim()
        .trim_end_matches([',', '.', ':', '-', ' '])
        .trim_end_matches(" AT")
        .trim_end_matches(" at")
        .trim();
    // "ADMINISTERED BY SEPARATE VENDOR" names nobody.
    let vague = [
        "SEPARATE VENDOR",
        "A SEPARATE VENDOR",
        "ANOTHER VENDOR",
        "VENDOR",
    ];
    if vague.iter().any(|v| name.eq_ignore_ascii_case(v)) {
        return None;
    }
    let phone = phone.map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
    Some(CarveOut {
        name: (!name.is_empty()).then(|| name.to_string()),
        entity_code: None,
        id_qualifier: None,
        identifier: None,
        phone: phone.filter(|p| p.len() >= 10),
        applies_via: None,
        source: String::new(),
    })
}

/// The figures of a summary that come from the facility or plan steps: the payer did not state
/// them for behavioral health, so staff confirm them before quoting.
fn general_figures(
    in_network: &NetworkBenefits,
    out_of_network: &NetworkBenefits,
) -> Vec<GeneralFigure> {
    let mut out = Vec::new();
    for (network, benefits) in [
        ("in_network", in_network),
        ("out_of_network", out_of_network),
    ] {
        let mut note = |figure: &str, via: Option<AppliesVia>| {
            if let Some(via) = via.filter(|v| !v.is_behavioral()) {
                out.push(GeneralFigure {
                    figure: format!("{network}.{figure}"),
                    applies_via: via,
                });
            }
        };
        for (name, tiers) in [
            ("deductible", &benefits.deductible),
            ("out_of_pocket", &benefits.out_of_pocket),
        ] {
            for (tier, acc) in [("individual", &tiers.individual), ("family", &tiers.family)] {
                let via = [&acc.total, &acc.met, &acc.remaining]
                    .into_iter()
                    .flatten()
                    .find_map(|m| m.applies_via);
                note(&format!("{name}.{tier}"), via);
            }
        }
        note("copay", benefits.copay.as_ref().and_then(|c| c.applies_via));
        note(
            "coinsurance_percent",
            benefits
                .coinsurance_percent
                .as_ref()
                .and_then(|c| c.applies_via),
        );
        for (name, limit) in [
            ("day_limit", &benefits.day_limit),
            ("visit_limit", &benefits.visit_limit),
        ] {
            let via = [&limit.total, &limit.remaining]
                .into_iter()
                .flatten()
                .find_map(|m| m.applies_via);
            note(name, via);
        }
        note(
            "prior_authorization",
            benefits.prior_authorization.applies_via,
        );
    }
    out
}

/// The benefit summary of `answer` for one level of care in one program, billed at outpatient
/// hospital (22).
pub fn summarize(answer: &EligibilityAnswer, level: LevelOfCare, program: Program) -> LevelSummary {
    summarize_at(answer, level, program, "22")
}

/// The benefit summary of `answer` for one level of care in one program, billed at `place`
/// (see [`billed_place_of_service`]).
pub fn summarize_at(
    answer: &EligibilityAnswer,
    level: LevelOfCare,
    program: Program,
    place: &str,
) -> LevelSummary {
    let reading = Reading {
        steps: selection_steps(level, program),
        place,
    };
    let entries = &answer.benefits;
    let mut messages: Vec<String> = entries
        .iter()
        .filter(|e| reading.step(e).is_some())
        .flat_map(|e| e.messages.iter().cloned())
        .chain(answer.messages.iter().cloned())
        .collect();
    messages.dedup();
    // The plan name: the answer's, else EB05 on the plan-level active row (CORE 154).
    let plan_name = answer.plan_name.clone().or_else(|| {
        entries
            .iter()
            .filter(|e| e.kind == BenefitKind::ActiveCoverage)
            .filter(|e| e.service_types.is_empty() || e.service_types.iter().any(|s| s == "30"))
            .find_map(|e| {
                e.plan_description
                    .clone()
                    .map(|name| Sourced::new(name, format!("{} (EB05)", e.source)))
            })
    });
    let date = |d: &Option<Sourced<chrono::NaiveDate>>| {
        d.as_ref()
            .map(|d| Sourced::new(d.value.to_string(), d.source.clone()))
    };
    let in_network = network_benefits(entries, &reading, NetworkScope::In);
    let out_of_network = network_benefits(entries, &reading, NetworkScope::Out);
    let carve = carve_out(answer, &reading);
    let contacts = contacts(answer, carve.as_ref());
    LevelSummary {
        level_of_care: level,
        program,
        service_types: reading
            .steps
            .iter()
            .flat_map(|(_, codes)| codes.iter().map(|c| c.to_string()))
            .collect(),
        place_of_service: place.to_string(),
        coverage_status: coverage_status(answer, &reading),
        service_covered: service_covered(entries, &reading),
        plan_name,
        plan_begin: date(&answer.plan_begin),
        plan_end: date(&answer.plan_end),
        general_figures: general_figures(&in_network, &out_of_network),
        in_network,
        out_of_network,
        carve_out: carve,
        contacts,
        other_coverage: other_coverage(answer),
        messages,
        answered_for: None,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::eligibility::BenefitEntry;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    struct Row(BenefitEntry);

    fn row(n: usize, code: &str, stcs: &[&str]) -> Row {
        let mut entry = BenefitEntry::new(format!("EB #{n}"), BenefitKind::from_code(code));
        entry.service_types = stcs.iter().map(|s| s.to_string()).collect();
        Row(entry)
    }

    impl Row {
        fn level(mut self, level: &str) -> Row {
            self.0.coverage_level = Some(level.into());
            self
        }
        fn period(mut self, period: &str) -> Row {
            self.0.time_period = Some(period.into());
            self
        }
        fn amount(mut self, amount: &str) -> Row {
            self.0.amount = Some(d(amount));
            self
        }
        fn percent(mut self, percent: &str) -> Row {
            self.0.percent = Some(d(percent));
            self
        }
        fn quantity(mut self, qualifier: &str, quantity: &str) -> Row {
            self.0.quantity_qualifier = Some(qualifier.into());
            self.0.quantity = Some(d(quantity));
            self
        }
        fn network(mut self, code: &str) -> Row {
            self.0.network = NetworkScope::from_code(Some(code));
            self
        }
        fn auth(mut self, required: bool) -> Row {
            self.0.auth_required = Some(required);
            self
        }
        fn message(mut self, text: &str) -> Row {
            self.0.messages.push(text.into());
            self
        }
        fn entity(mut self, name: &str, id: &str, phone: &str) -> Row {
            self.0.related_entities.push(RelatedEntity {
                entity_code: Some("PR".into()),
                name: Some(name.into()),
                id_qualifier: Some("PI".into()),
                id: Some(id.into()),
                phone: Some(phone.into()),
            });
            self
        }
        fn plan(mut self, name: &str) -> Row {
            self.0.plan_description = Some(name.into());
            self
        }
        fn place(mut self, code: &str) -> Row {
            self.0.places_of_service.push(code.into());
            self
        }
        fn related(mut self, code: &str, name: &str, id: Option<&str>, phone: Option<&str>) -> Row {
            self.0.related_entities.push(RelatedEntity {
                entity_code: Some(code.into()),
                name: Some(name.into()),
                id_qualifier: id.map(|_| "PI".into()),
                id: id.map(Into::into),
                phone: phone.map(Into::into),
            });
            self
        }
    }

    fn acc_text(acc: &Accumulator) -> (Option<&str>, Option<&str>, Option<&str>) {
        (text(&acc.total), text(&acc.met), text(&acc.remaining))
    }

    fn via(money: &Option<Money>) -> Option<AppliesVia> {
        money.as_ref().and_then(|m| m.applies_via)
    }

    /// A commercial answer with no behavioral figures: facility outpatient (50, III 22,
    /// FACILITY) beside professional office (98, III 11, PROFESSIONAL) and the plan's (30).
    fn facility_only() -> EligibilityAnswer {
        answer(vec![
            row(1, "1", &["30"]).plan("BLUE PPO"),
            row(2, "1", &["MH"]).network("W"),
            row(3, "C", &["50", "47"])
                .period("23")
                .amount("2000")
                .network("Y")
                .place("22")
                .message("FACILITY"),
            row(4, "C", &["50", "47"])
                .period("29")
                .amount("1500")
                .network("Y")
                .place("22")
                .message("FACILITY"),
            row(5, "C", &["98"])
                .period("23")
                .amount("500")
                .network("Y")
                .place("11")
                .message("PROFESSIONAL"),
            row(6, "C", &["98"])
                .period("29")
                .amount("100")
                .network("Y")
                .place("11")
                .message("PROFESSIONAL"),
            row(7, "C", &["30"])
                .period("23")
                .amount("3000")
                .network("Y"),
            row(8, "C", &["30"])
                .period("29")
                .amount("2500")
                .network("Y"),
            row(9, "G", &["30"])
                .period("23")
                .amount("6000")
                .network("Y"),
            row(10, "G", &["30"])
                .period("29")
                .amount("4000")
                .network("Y"),
            row(11, "A", &["47"])
                .percent("0.3")
                .network("Y")
                .place("11"),
            row(12, "A", &["47"])
                .percent("0.2")
                .network("Y")
                .place("22")
                .message("FACILITY"),
            row(13, "A", &["47"])
                .percent("0.25")
                .network("Y")
                .message("PROFESSIONAL"),
        ])
    }

    fn answer(rows: Vec<Row>) -> EligibilityAnswer {
        EligibilityAnswer {
            benefits: rows.into_iter().map(|r| r.0).collect(),
            ..EligibilityAnswer::default()
        }
    }

    fn php(answer: &EligibilityAnswer) -> LevelSummary {
        summarize(answer, LevelOfCare::Php, Program::MentalHealth)
    }

    fn iop(answer: &EligibilityAnswer) -> LevelSummary {
        summarize(answer, LevelOfCare::Iop, Program::MentalHealth)
    }

    fn text(money: &Option<Money>) -> Option<&str> {
        money.as_ref().map(|m| m.value.as_str())
    }

    #[test]
    fn deductibles_split_by_tier_and_network_and_met_is_derived() {
        let a = answer(vec![
            row(1, "1", &["30"]).plan("GOLD PPO"),
            row(2, "C", &["30"])
                .level("IND")
                .period("23")
                .amount("1500")
                .network("Y"),
            row(3, "C", &["30"])
                .level("IND")
                .period("29")
                .amount("900")
                .network("Y"),
            row(4, "C", &["30"])
                .level("FAM")
                .period("23")
                .amount("3000")
                .network("Y"),
            row(5, "C", &["30"])
                .level("FAM")
                .period("24")
                .amount("450.5")
                .network("Y"),
            row(6, "C", &["30"])
                .level("IND")
                .period("23")
                .amount("3000")
                .network("N"),
        ]);
        let s = php(&a);
        assert_eq!(s.coverage_status.value, CoverageStatus::Active);
        assert_eq!(s.plan_name.as_ref().unwrap().value, "GOLD PPO");
        let ind = &s.in_network.deductible.individual;
        assert_eq!(text(&ind.total), Some("1500.00"));
        assert_eq!(text(&ind.remaining), Some("900.00"));
        assert_eq!(text(&ind.met), Some("600.00"));
        assert!(ind
            .met
            .as_ref()
            .unwrap()
            .source
            .starts_with("derived: total − remaining"));
        let fam = &s.in_network.deductible.family;
        assert_eq!(text(&fam.met), Some("450.50"));
        assert_eq!(text(&fam.remaining), Some("2549.50"));
        let out = &s.out_of_network.deductible.individual;
        assert_eq!(text(&out.total), Some("3000.00"));
        assert_eq!(out.remaining, None, "never guessed");
        assert_eq!(out.met, None);
        assert_eq!(s.out_of_network.out_of_pocket, Tiers::default());
    }

    #[test]
    fn the_most_specific_service_type_wins() {
        let a = answer(vec![
            row(1, "1", &["30"]),
            row(2, "B", &["MH"]).period("27").amount("40").network("Y"),
            row(3, "B", &["BB"]).period("7").amount("75").network("Y"),
            row(4, "A", &["30"]).percent(".2").network("Y"),
            row(5, "A", &["BB", "A8"]).percent("0.1").network("W"),
        ]);
        let p = php(&a);
        let copay = p.in_network.copay.unwrap();
        assert_eq!((copay.amount.as_str(), copay.per), ("75.00", CopayPer::Day));
        assert_eq!(p.in_network.coinsurance_percent.unwrap().value, "10");
        let i = iop(&a);
        let copay = i.in_network.copay.unwrap();
        assert_eq!(
            (copay.amount.as_str(), copay.per),
            ("40.00", CopayPer::Visit)
        );
        assert_eq!(i.in_network.coinsurance_percent.unwrap().value, "10");
        // Out of network only the "both" row applies.
        assert_eq!(p.out_of_network.coinsurance_percent.unwrap().value, "10");
        assert_eq!(p.out_of_network.copay, None);
    }

    #[test]
    fn php_not_covered_while_iop_is() {
        let a = answer(vec![
            row(1, "1", &["30"]),
            row(2, "I", &["BB"]),
            row(3, "1", &["A8"]),
        ]);
        assert!(!php(&a).service_covered.unwrap().value);
        assert!(iop(&a).service_covered.unwrap().value);
        let plain = answer(vec![row(1, "1", &["30"])]);
        assert_eq!(php(&plain).service_covered, None);
    }

    #[test]
    fn prior_authorization_from_eb11_then_messages_else_unknown() {
        let flagged = answer(vec![
            row(1, "1", &["30"]),
            row(2, "1", &["BB"]).auth(true).network("Y"),
        ]);
        assert_eq!(
            php(&flagged).in_network.prior_authorization.value,
            YesNoUnknown::Yes
        );
        let said = answer(vec![
            row(1, "1", &["30", "MH"]).message("PRIOR AUTHORIZATION REQUIRED FOR PHP")
        ]);
        let auth = php(&said).in_network.prior_authorization;
        assert_eq!(auth.value, YesNoUnknown::Yes);
        assert!(auth.source.contains("MSG"));
        let not = answer(vec![
            row(1, "1", &["30"]).message("Prior authorization not required")
        ]);
        assert_eq!(
            php(&not).in_network.prior_authorization.value,
            YesNoUnknown::No
        );
        let silent = answer(vec![row(1, "1", &["30"])]);
        assert_eq!(
            php(&silent).in_network.prior_authorization.value,
            YesNoUnknown::Unknown
        );
    }

    #[test]
    fn limits_read_days_and_visits_total_and_remaining() {
        let a = answer(vec![
            row(1, "F", &["BB"]).quantity("DY", "30").period("23"),
            row(2, "F", &["BB"]).quantity("DY", "12").period("29"),
            row(3, "F", &["A8"]).quantity("VS", "20").period("23"),
        ]);
        let p = php(&a);
        assert_eq!(p.in_network.day_limit.total.unwrap().value, "30");
        assert_eq!(p.in_network.day_limit.remaining.unwrap().value, "12");
        assert_eq!(p.in_network.visit_limit, Limit::default());
        assert_eq!(iop(&a).in_network.visit_limit.total.unwrap().value, "20");
    }

    #[test]
    fn out_of_pocket_met_reads_as_zero_remaining() {
        let a = answer(vec![
            row(1, "G", &["30"])
                .level("IND")
                .period("23")
                .amount("6000")
                .network("Y"),
            row(2, "G", &["30"])
                .level("IND")
                .period("29")
                .amount("0")
                .network("Y"),
        ]);
        let oop = php(&a).in_network.out_of_pocket.individual;
        assert_eq!(text(&oop.remaining), Some("0.00"));
        assert_eq!(text(&oop.met), Some("6000.00"));
    }

    #[test]
    fn carve_outs_come_from_related_entities_or_messages() {
        let entity = answer(vec![
            row(1, "1", &["30"]),
            row(2, "U", &["MH", "BB"]).entity("OPTUM BEHAVIORAL HEALTH", "87726", "8005551234"),
        ]);
        let carve = php(&entity).carve_out.unwrap();
        assert_eq!(carve.name.as_deref(), Some("OPTUM BEHAVIORAL HEALTH"));
        assert_eq!(carve.identifier.as_deref(), Some("87726"));
        assert_eq!(carve.phone.as_deref(), Some("8005551234"));
        let message = answer(vec![row(1, "1", &["30"]).message(
            "BEHAVIORAL HEALTH ADMINISTERED BY CARELON BEHAVIORAL HEALTH 800-555-0199",
        )]);
        let carve = php(&message).carve_out.unwrap();
        assert_eq!(carve.name.as_deref(), Some("CARELON BEHAVIORAL HEALTH"));
        assert_eq!(carve.phone.as_deref(), Some("8005550199"));
        assert_eq!(carve.identifier, None);
        assert_eq!(php(&answer(vec![row(1, "1", &["30"])])).carve_out, None);
    }

    #[test]
    fn status_is_never_guessed() {
        let inactive = answer(vec![row(1, "6", &["30"])]);
        assert_eq!(
            php(&inactive).coverage_status.value,
            CoverageStatus::Inactive
        );
        let empty = answer(vec![]);
        assert_eq!(php(&empty).coverage_status.value, CoverageStatus::Unknown);
        let mut rejected = answer(vec![row(1, "1", &["30"])]);
        rejected
            .rejections
            .push(crate::domain::eligibility::PayerRejection {
                code: "75".into(),
                description: "Subscriber/insured not found".into(),
                follow_up: Some("C".into()),
                source: "271 2100C AAA".into(),
            });
        assert_eq!(
            php(&rejected).coverage_status.value,
            CoverageStatus::Unknown
        );
        // Only a substance-use row: the mental-health PHP summary does not borrow it.
        let sud = answer(vec![row(1, "B", &["AI"]).amount("50").period("7")]);
        assert_eq!(php(&sud).in_network.copay, None);
        let sud_php = summarize(&sud, LevelOfCare::Php, Program::SubstanceUse);
        assert_eq!(sud_php.in_network.copay.unwrap().amount, "50.00");
    }

    #[test]
    fn facility_figures_stand_in_when_the_payer_states_none_for_behavioral_health() {
        let s = php(&facility_only());
        assert_eq!(s.coverage_status.value, CoverageStatus::Active);
        assert_eq!(s.coverage_status.applies_via, Some(AppliesVia::Plan));
        let covered = s.service_covered.unwrap();
        assert!(covered.value);
        assert_eq!(covered.applies_via, Some(AppliesVia::Program));
        let ded = &s.in_network.deductible.individual;
        assert_eq!(
            acc_text(ded),
            (Some("2000.00"), Some("500.00"), Some("1500.00"))
        );
        assert_eq!(via(&ded.total), Some(AppliesVia::Facility));
        assert_eq!(via(&ded.remaining), Some(AppliesVia::Facility));
        assert_eq!(ded.total.as_ref().unwrap().source, "EB #3");
        // The out-of-pocket is stated only for the plan.
        let oop = &s.in_network.out_of_pocket.individual;
        assert_eq!(
            acc_text(oop),
            (Some("6000.00"), Some("2000.00"), Some("4000.00"))
        );
        assert_eq!(via(&oop.total), Some(AppliesVia::Plan));
        // III 22 + FACILITY beats no place + PROFESSIONAL; the office row is never read.
        let coins = s.in_network.coinsurance_percent.unwrap();
        assert_eq!(
            (coins.value.as_str(), coins.source.as_str()),
            ("20", "EB #12")
        );
        assert_eq!(coins.applies_via, Some(AppliesVia::Facility));
        assert_eq!(
            s.general_figures,
            vec![
                GeneralFigure {
                    figure: "in_network.deductible.individual".into(),
                    applies_via: AppliesVia::Facility
                },
                GeneralFigure {
                    figure: "in_network.out_of_pocket.individual".into(),
                    applies_via: AppliesVia::Plan
                },
                GeneralFigure {
                    figure: "in_network.coinsurance_percent".into(),
                    applies_via: AppliesVia::Facility
                },
            ]
        );
    }

    #[test]
    fn an_estimate_on_facility_or_plan_figures_says_so() {
        let s = php(&facility_only());
        let (_, assumptions) =
            crate::domain::estimate::from_network_benefits(&s.in_network, None, None);
        assert!(assumptions
            .iter()
            .any(|a| a.starts_with("deductible is the facility's outpatient benefit")));
        assert!(assumptions
            .iter()
            .any(|a| a.starts_with("out-of-pocket maximum is the plan-level benefit")));
        let specific = answer(vec![row(1, "C", &["BB"])
            .period("23")
            .amount("900")
            .network("Y")]);
        let (_, assumptions) =
            crate::domain::estimate::from_network_benefits(&php(&specific).in_network, None, None);
        assert!(!assumptions.iter().any(|a| a.contains("behavioral health")));
    }

    #[test]
    fn an_office_figure_is_never_a_facility_one() {
        let a = answer(vec![
            row(1, "C", &["30"])
                .period("23")
                .amount("500")
                .network("Y")
                .place("11"),
            row(2, "B", &["MH"])
                .period("27")
                .amount("30")
                .network("Y")
                .place("11"),
        ]);
        let s = iop(&a);
        assert_eq!(s.in_network.deductible.individual, Accumulator::default());
        assert_eq!(s.in_network.copay, None);
    }

    #[test]
    fn the_place_the_clinic_bills_decides_between_facility_rows() {
        let a = answer(vec![
            row(1, "B", &["50"])
                .period("7")
                .amount("100")
                .network("Y")
                .place("22"),
            row(2, "B", &["50"])
                .period("7")
                .amount("60")
                .network("Y")
                .place("53"),
        ]);
        let hospital = summarize_at(&a, LevelOfCare::Php, Program::MentalHealth, "22");
        assert_eq!(hospital.in_network.copay.unwrap().amount, "100.00");
        let cmhc = summarize_at(&a, LevelOfCare::Php, Program::MentalHealth, "53");
        let copay = cmhc.in_network.copay.unwrap();
        assert_eq!(
            (copay.amount.as_str(), copay.applies_via),
            ("60.00", Some(AppliesVia::Facility))
        );
        use crate::domain::fee_schedule::{PlaceOfService, TypeOfBill};
        let bill = |code: &str| ClaimSetup::Institutional {
            type_of_bill: TypeOfBill::parse(code.into()).unwrap(),
            condition_codes: vec![],
        };
        assert_eq!(billed_place_of_service(Some(&bill("0761"))), "53");
        assert_eq!(billed_place_of_service(Some(&bill("0131"))), "22");
        assert_eq!(billed_place_of_service(Some(&bill("0851"))), "22");
        let professional = ClaimSetup::Professional {
            place_of_service: PlaceOfService::parse("52".into()).unwrap(),
        };
        assert_eq!(billed_place_of_service(Some(&professional)), "52");
        assert_eq!(billed_place_of_service(None), "22");
    }

    #[test]
    fn an_accumulator_never_mixes_steps() {
        // A level total and only a plan remaining: the remaining is not the level's.
        let a = answer(vec![
            row(1, "C", &["BB"])
                .period("23")
                .amount("1000")
                .network("Y"),
            row(2, "C", &["30"]).period("29").amount("200").network("Y"),
        ]);
        let ded = php(&a).in_network.deductible.individual;
        assert_eq!(acc_text(&ded), (Some("1000.00"), None, None));
        assert_eq!(via(&ded.total), Some(AppliesVia::Level));
        // Substance use reads CJ as its level, for PHP too.
        let sud = answer(vec![
            row(1, "B", &["CJ"]).period("7").amount("45").network("Y"),
            row(2, "B", &["AI"]).period("7").amount("80").network("Y"),
        ]);
        let copay = summarize(&sud, LevelOfCare::Php, Program::SubstanceUse)
            .in_network
            .copay
            .unwrap();
        assert_eq!(
            (copay.amount.as_str(), copay.applies_via),
            ("45.00", Some(AppliesVia::Level))
        );
    }

    #[test]
    fn a_vendor_on_behavioral_service_types_is_the_carve_out_and_member_services_a_contact() {
        let mut a = answer(vec![
            row(1, "1", &["30"]),
            row(2, "U", &["MH", "BB"]).related(
                "VN",
                "MINDWELL BEHAVIORAL",
                Some("MW001"),
                Some("8005550111"),
            ),
            row(3, "U", &[]).related("PR", "ACME HEALTH PLAN", Some("12345"), Some("8005550100")),
            row(4, "U", &["A8"]).related("PR", "ACME HEALTH PLAN", Some("12345"), None),
            row(5, "L", &["30"]).related("P3", "DR PRIMARY", None, Some("8005550199")),
        ]);
        a.payer = Some(AnsweringPayer {
            name: Some("ACME HEALTH PLAN".into()),
            id: Some("12345".into()),
            phone: None,
        });
        let p = php(&a);
        let carve = p.carve_out.clone().unwrap();
        assert_eq!(carve.name.as_deref(), Some("MINDWELL BEHAVIORAL"));
        assert_eq!(carve.entity_code.as_deref(), Some("VN"));
        assert_eq!(carve.applies_via, Some(AppliesVia::Level));
        let names: Vec<(&str, bool)> = p
            .contacts
            .iter()
            .map(|c| (c.name.as_deref().unwrap(), c.is_payer))
            .collect();
        assert_eq!(names, [("ACME HEALTH PLAN", true), ("DR PRIMARY", false)]);
        assert_eq!(p.contacts[0].phone.as_deref(), Some("8005550100"));
        assert_eq!(
            p.contacts[0].purpose,
            "contact for eligibility or benefit information (all services)"
        );
        assert_eq!(p.contacts[1].role, "primary care provider");
        // IOP: the vendor row does not list A8, and the A8 row names the payer itself.
        let i = iop(&a);
        let carve = i.carve_out.unwrap();
        assert_eq!(carve.name.as_deref(), Some("MINDWELL BEHAVIORAL"));
        assert_eq!(carve.applies_via, Some(AppliesVia::Program));
        // Without a behavioral service type nobody is a carve-out.
        let general = answer(vec![row(1, "U", &[]).related(
            "VN",
            "SOME VENDOR",
            Some("V1"),
            None,
        )]);
        let g = php(&general);
        assert_eq!(g.carve_out, None);
        assert_eq!(g.contacts.len(), 1);
        // "Administered by separate vendor" names nobody.
        let vague = answer(vec![row(1, "U", &["MH"])
            .message("BEHAVIORAL HEALTH BENEFITS ADMINISTERED BY SEPARATE VENDOR")]);
        assert_eq!(php(&vague).carve_out, None);
    }

    #[test]
    fn another_payer_is_other_coverage_with_its_order_ids_and_dates() {
        let mut r = row(3, "R", &["30"]).related("PRP", "MEDICARE", Some("MCARE"), None);
        r.0.insurance_type = Some("MB".into());
        r.0.references
            .push(crate::domain::eligibility::EntryReference {
                qualifier: "IG".into(),
                value: "1EG4TE5MK73".into(),
            });
        r.0.dates.push(crate::domain::eligibility::EntryDate {
            qualifier: "290".into(),
            begin: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            end: Some(chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
        });
        let a = answer(vec![row(1, "1", &["30"]), r]);
        let s = php(&a);
        assert_eq!(s.other_coverage.len(), 1);
        let other = &s.other_coverage[0];
        assert_eq!(other.name.as_deref(), Some("MEDICARE"));
        assert_eq!(other.order, OtherPayerOrder::Primary);
        assert_eq!(other.insurance_type.as_deref(), Some("MB"));
        assert_eq!(other.policy_number.as_deref(), Some("1EG4TE5MK73"));
        assert_eq!(other.begin.as_deref(), Some("2026-01-01"));
        assert_eq!(other.end.as_deref(), Some("2026-12-31"));
        assert!(s.contacts.is_empty(), "another payer is not a contact");
        assert!(other_coverage_warning(other).contains("may not be primary"));
        let secondary = OtherCoverage {
            order: OtherPayerOrder::Secondary,
            ..other.clone()
        };
        assert!(other_coverage_warning(&secondary).contains("bill this coverage first"));
    }
}
