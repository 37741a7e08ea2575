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
    service_types, BenefitEntry, BenefitKind, EligibilityAnswer, LevelOfCare, MoneyText,
    NetworkScope, Program, RelatedEntity, Sourced,
};
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
    pub id_qualifier: Option<String>,
    pub identifier: Option<String>,
    pub phone: Option<String>,
    pub source: String,
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
    pub in_network: NetworkBenefits,
    pub out_of_network: NetworkBenefits,
    pub carve_out: Option<CarveOut>,
    pub messages: Vec<String>,
}

/// Where a row stands among the level's service types: lower is more specific. Rows without
/// any service type speak for the plan, as `30` does.
fn specificity(entry: &BenefitEntry, wanted: &[&str]) -> Option<usize> {
    if entry.service_types.is_empty() {
        return wanted.iter().position(|code| *code == "30");
    }
    entry
        .service_types
        .iter()
        .filter_map(|code| wanted.iter().position(|w| w == code))
        .min()
}

fn network_rank(entry: &BenefitEntry, network: NetworkScope) -> Option<usize> {
    match entry.network {
        scope if scope == network => Some(0),
        NetworkScope::Both => Some(1),
        NetworkScope::Unknown => Some(2),
        _ => None,
    }
}

/// The best row of `kind` for this network among `wanted` service types, passing `accept`.
fn best<'a>(
    entries: &'a [BenefitEntry],
    wanted: &[&str],
    network: NetworkScope,
    kind: &BenefitKind,
    accept: impl Fn(&BenefitEntry) -> bool,
) -> Option<&'a BenefitEntry> {
    entries
        .iter()
        .filter(|e| &e.kind == kind && accept(e))
        .filter_map(|e| Some(((specificity(e, wanted)?, network_rank(e, network)?), e)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, e)| e)
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

fn money(entry: &BenefitEntry) -> Option<Money> {
    entry
        .amount
        .map(|amount| Sourced::new(MoneyText::new(amount), entry.source.clone()))
}

fn accumulator(
    entries: &[BenefitEntry],
    wanted: &[&str],
    network: NetworkScope,
    kind: &BenefitKind,
    level: &str,
) -> Accumulator {
    let pick = |test: fn(&BenefitEntry) -> bool| {
        best(entries, wanted, network, kind, |e| {
            level_is(e, level) && e.amount.is_some() && test(e)
        })
    };
    let total = pick(is_total);
    let met = pick(is_met);
    let remaining = pick(is_remaining);
    let derived = |a: &BenefitEntry, b: &BenefitEntry, value: Decimal, how: &str| {
        Sourced::new(
            MoneyText::new(value),
            format!("derived: {how} ({}; {})", a.source, b.source),
        )
    };
    let met_money = match (met, total, remaining) {
        (Some(met), _, _) => money(met),
        (None, Some(t), Some(r)) => match (t.amount, r.amount) {
            (Some(ta), Some(ra)) => Some(derived(t, r, ta - ra, "total − remaining")),
            _ => None,
        },
        _ => None,
    };
    let remaining_money = match (remaining, total, met) {
        (Some(r), _, _) => money(r),
        (None, Some(t), Some(m)) => match (t.amount, m.amount) {
            (Some(ta), Some(ma)) => {
                Some(derived(t, m, (ta - ma).max(Decimal::ZERO), "total − met"))
            }
            _ => None,
        },
        _ => None,
    };
    Accumulator {
        total: total.and_then(money),
        met: met_money,
        remaining: remaining_money,
    }
}

fn copay(entries: &[BenefitEntry], wanted: &[&str], network: NetworkScope) -> Option<Copay> {
    let entry = best(entries, wanted, network, &BenefitKind::CoPayment, |e| {
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
    })
}

fn coinsurance(
    entries: &[BenefitEntry],
    wanted: &[&str],
    network: NetworkScope,
) -> Option<Sourced<String>> {
    let entry = best(entries, wanted, network, &BenefitKind::CoInsurance, |e| {
        e.percent.is_some()
    })?;
    let percent = (entry.percent? * Decimal::ONE_HUNDRED).normalize();
    Some(Sourced::new(percent.to_string(), entry.source.clone()))
}

fn limit(entries: &[BenefitEntry], wanted: &[&str], network: NetworkScope, unit: &str) -> Limit {
    let pick = |remaining: bool| {
        best(entries, wanted, network, &BenefitKind::Limitations, |e| {
            e.quantity_qualifier.as_deref() == Some(unit)
                && e.quantity.is_some()
                && is_remaining(e) == remaining
        })
        .and_then(|e| {
            e.quantity
                .map(|q| Sourced::new(q.normalize().to_string(), e.source.clone()))
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
        || upper.contains("PRECERT");
    if !about_auth {
        return None;
    }
    let denied = upper.contains("NOT REQUIRED") || upper.contains("NO PRIOR AUTH");
    Some(!denied)
}

fn prior_authorization(
    entries: &[BenefitEntry],
    wanted: &[&str],
    network: NetworkScope,
) -> Sourced<YesNoUnknown> {
    let flagged = entries
        .iter()
        .filter(|e| e.auth_required.is_some())
        .filter_map(|e| Some(((specificity(e, wanted)?, network_rank(e, network)?), e)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, e)| e);
    if let Some(entry) = flagged {
        let value = if entry.auth_required == Some(true) {
            YesNoUnknown::Yes
        } else {
            YesNoUnknown::No
        };
        return Sourced::new(value, format!("{} (EB11)", entry.source));
    }
    let said = entries
        .iter()
        .filter_map(|e| Some(((specificity(e, wanted)?, network_rank(e, network)?), e)))
        .flat_map(|(rank, e)| e.messages.iter().map(move |m| (rank, e, m)))
        .filter_map(|(rank, e, m)| mentions_prior_auth(m).map(|yes| (rank, e, m, yes)))
        .min_by_key(|(rank, ..)| *rank);
    match said {
        Some((_, entry, message, yes)) => Sourced::new(
            if yes {
                YesNoUnknown::Yes
            } else {
                YesNoUnknown::No
            },
            format!("{} (MSG \"{message}\")", entry.source),
        ),
        None => Sourced::new(YesNoUnknown::Unknown, "not stated by the payer"),
    }
}

fn network_benefits(
    entries: &[BenefitEntry],
    wanted: &[&str],
    network: NetworkScope,
) -> NetworkBenefits {
    let tiers = |kind: BenefitKind| Tiers {
        individual: accumulator(entries, wanted, network, &kind, "IND"),
        family: accumulator(entries, wanted, network, &kind, "FAM"),
    };
    NetworkBenefits {
        deductible: tiers(BenefitKind::Deductible),
        out_of_pocket: tiers(BenefitKind::OutOfPocket),
        copay: copay(entries, wanted, network),
        coinsurance_percent: coinsurance(entries, wanted, network),
        day_limit: limit(entries, wanted, network, "DY"),
        visit_limit: limit(entries, wanted, network, "VS"),
        prior_authorization: prior_authorization(entries, wanted, network),
    }
}

fn coverage_status(answer: &EligibilityAnswer, wanted: &[&str]) -> Sourced<CoverageStatus> {
    if !answer.rejections.is_empty() {
        return Sourced::new(CoverageStatus::Unknown, "the payer rejected the inquiry");
    }
    // The plan-level row (30, or no service type) decides; a level-specific row only when the
    // payer gave no plan-level one.
    let plan = wanted.len() - 1;
    answer
        .benefits
        .iter()
        .filter(|e| matches!(e.kind, BenefitKind::ActiveCoverage | BenefitKind::Inactive))
        .filter_map(|e| specificity(e, wanted).map(|rank| (usize::from(rank != plan), e)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, e)| {
            let status = if e.kind == BenefitKind::ActiveCoverage {
                CoverageStatus::Active
            } else {
                CoverageStatus::Inactive
            };
            Sourced::new(status, e.source.clone())
        })
        .unwrap_or_else(|| Sourced::new(CoverageStatus::Unknown, "no coverage status returned"))
}

fn service_covered(entries: &[BenefitEntry], wanted: &[&str]) -> Option<Sourced<bool>> {
    let specific = &wanted[..wanted.len() - 1];
    entries
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                BenefitKind::NonCovered | BenefitKind::ActiveCoverage
            ) || (e.kind == BenefitKind::Inactive)
        })
        .filter_map(|e| {
            let rank = e
                .service_types
                .iter()
                .filter_map(|code| specific.iter().position(|w| w == code))
                .min()?;
            Some((rank, e))
        })
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, e)| Sourced::new(e.kind == BenefitKind::ActiveCoverage, e.source.clone()))
}

fn carve_out(answer: &EligibilityAnswer, wanted: &[&str]) -> Option<CarveOut> {
    let from_entity = answer
        .benefits
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                BenefitKind::ContactEntity | BenefitKind::ActiveCoverage
            ) && !e.related_entities.is_empty()
        })
        .filter_map(|e| specificity(e, wanted).map(|rank| (rank, e)))
        .min_by_key(|(rank, _)| *rank)
        .and_then(|(_, e)| e.related_entities.first().map(|entity| (e, entity)));
    if let Some((entry, entity)) = from_entity {
        let RelatedEntity {
            name,
            id_qualifier,
            id,
            phone,
            ..
        } = entity.clone();
        return Some(CarveOut {
            name,
            id_qualifier,
            identifier: id,
            phone,
            source: format!("{} (related entity)", entry.source),
        });
    }
    let messages = answer
        .benefits
        .iter()
        .filter(|e| specificity(e, wanted).is_some())
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
    let phone = phone.map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>());
    Some(CarveOut {
        name: (!name.is_empty()).then(|| name.to_string()),
        id_qualifier: None,
        identifier: None,
        phone: phone.filter(|p| p.len() >= 10),
        source: String::new(),
    })
}

/// The benefit summary of `answer` for one level of care in one program.
pub fn summarize(answer: &EligibilityAnswer, level: LevelOfCare, program: Program) -> LevelSummary {
    let wanted = service_types(level, program);
    let entries = &answer.benefits;
    let mut messages: Vec<String> = entries
        .iter()
        .filter(|e| specificity(e, wanted).is_some())
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
    LevelSummary {
        level_of_care: level,
        program,
        service_types: wanted.iter().map(|s| s.to_string()).collect(),
        coverage_status: coverage_status(answer, wanted),
        service_covered: service_covered(entries, wanted),
        plan_name,
        plan_begin: date(&answer.plan_begin),
        plan_end: date(&answer.plan_end),
        in_network: network_benefits(entries, wanted, NetworkScope::In),
        out_of_network: network_benefits(entries, wanted, NetworkScope::Out),
        carve_out: carve_out(answer, wanted),
        messages,
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
}
