//! One level of care's benefits as admissions reads them to the caller: coverage and plan, the
//! in- and out-of-network figures side by side, limits, prior authorization, who else to call,
//! other coverage and the payer's own words. Every figure can show where it came from (a
//! `<details>` with the segment it was read from); what the payer did not say reads "not
//! stated by payer" — never a blank, never a guess. Pure: a `LevelSummary` in, HTML out.

use maud::{html, Markup};
use rust_decimal::Decimal;

use crate::domain::benefits::{
    Accumulator, CopayPer, CoverageStatus, LevelSummary, Limit, NetworkBenefits, YesNoUnknown,
};
use crate::domain::eligibility::{AppliesVia, Sourced};
use crate::web::format;

pub const NOT_STATED: &str = "not stated by payer";

fn not_stated() -> Markup {
    html! { span.not-stated { (NOT_STATED) } }
}

/// Where a figure came from, shown on demand.
fn source(source: &str, via: Option<AppliesVia>) -> Markup {
    html! {
        details.source {
            summary { "Source" }
            @if let Some(via) = via.filter(|v| !v.is_behavioral()) {
                p { "Stated for the " (via.as_str()) ", not for behavioral health: confirm before quoting." }
            }
            code { (source) }
        }
    }
}

fn sourced_text<T>(figure: &Sourced<T>, words: impl Fn(&T) -> String) -> Markup {
    html! { span.figure-value { (words(&figure.value)) } (source(&figure.source, figure.applies_via)) }
}

/// The met share of an accumulator in steps of 5 % (a CSS class: the CSP forbids inline
/// widths); `None` without both a total and a met figure, or with a zero total.
pub fn met_share(total: Decimal, met: Decimal) -> Option<u32> {
    if total <= Decimal::ZERO {
        return None;
    }
    let twentieths = (met * Decimal::from(20) / total).round();
    let steps = twentieths.clamp(Decimal::ZERO, Decimal::from(20));
    u32::try_from(steps.mantissa()).ok().map(|s| s * 5)
}

fn amount(figure: &Option<Sourced<crate::domain::eligibility::MoneyText>>) -> Option<Decimal> {
    figure.as_ref().and_then(|f| f.value.as_str().parse().ok())
}

fn money(figure: &Sourced<crate::domain::eligibility::MoneyText>) -> String {
    format::money_text(figure.value.as_str()).unwrap_or_else(|| figure.value.as_str().to_string())
}

/// A deductible or out-of-pocket cell: remaining first (what the caller will still pay), the
/// bar of what is met, then met and total.
fn accumulator(id: &str, what: &str, acc: &Accumulator) -> Markup {
    if acc.total.is_none() && acc.met.is_none() && acc.remaining.is_none() {
        return not_stated();
    }
    let share = amount(&acc.total)
        .zip(amount(&acc.met))
        .and_then(|(t, m)| met_share(t, m));
    html! {
        div.accum {
            @if let Some(remaining) = &acc.remaining {
                span { strong.figure-value id={ (id) "-remaining" } { (money(remaining)) } " remaining" }
            } @else {
                span { "Remaining " (not_stated()) }
            }
            @if let Some(share) = share {
                div.bar aria-hidden="true" { span class={ "w" (share) } {} }
                span.sr-only { (share) "% of the " (what) " met" }
            }
            span.bar-text {
                @match &acc.met { Some(met) => { (money(met)) " met" }, None => { "met " (not_stated()) } }
                " of "
                @match &acc.total { Some(total) => { span id={ (id) "-total" } { (money(total)) } }, None => { "a total " (not_stated()) } }
            }
            details.source {
                summary { "Source" }
                @for (label, figure) in [("Total", &acc.total), ("Met", &acc.met), ("Remaining", &acc.remaining)] {
                    @if let Some(figure) = figure {
                        p { strong { (label) ": " } code { (figure.source) }
                            @if let Some(via) = figure.applies_via.filter(|v| !v.is_behavioral()) {
                                " (stated for the " (via.as_str()) ", not for behavioral health: confirm before quoting)"
                            }
                        }
                    }
                }
            }
        }
    }
}

fn copay(id: &str, network: &NetworkBenefits) -> Markup {
    match &network.copay {
        None => not_stated(),
        Some(copay) => {
            let per = match copay.per {
                CopayPer::Day => " per day",
                CopayPer::Visit => " per visit",
                CopayPer::Admission => " per admission",
                CopayPer::Unspecified => "",
            };
            let shown = format::money_text(&copay.amount).unwrap_or_else(|| copay.amount.clone());
            html! {
                span.figure-value id=(id) { (shown) } (per)
                (source(&copay.source, copay.applies_via))
            }
        }
    }
}

fn coinsurance(network: &NetworkBenefits) -> Markup {
    match &network.coinsurance_percent {
        None => not_stated(),
        Some(figure) => sourced_text(figure, |p| {
            format!("{} (the plan pays the rest)", format::percent(p))
        }),
    }
}

fn limit(limit: &Limit, unit: &str) -> Markup {
    if limit.total.is_none() && limit.remaining.is_none() {
        return not_stated();
    }
    html! {
        @if let Some(total) = &limit.total { span.figure-value { (total.value) " " (unit) } " a year" (source(&total.source, total.applies_via)) }
        @if let Some(remaining) = &limit.remaining { span.figure-value { (remaining.value) " " (unit) " left" } (source(&remaining.source, remaining.applies_via)) }
    }
}

fn prior_authorization(figure: &Sourced<YesNoUnknown>) -> Markup {
    match figure.value {
        YesNoUnknown::Unknown => not_stated(),
        YesNoUnknown::Yes => sourced_text(figure, |_| "Required".into()),
        YesNoUnknown::No => sourced_text(figure, |_| "Not required".into()),
    }
}

fn status_words(status: CoverageStatus) -> (&'static str, &'static str) {
    match status {
        CoverageStatus::Active => ("ok", "Active"),
        CoverageStatus::Inactive => ("bad", "Inactive"),
        CoverageStatus::Unknown => ("neutral", "Not stated by payer"),
    }
}

/// How one row of the figures table writes a network's cell, given the cell's element id.
type Cell = fn(&str, &NetworkBenefits) -> Markup;

/// One level of care's card.
pub fn level(summary: &LevelSummary) -> Markup {
    let name = summary.level_of_care.as_str();
    let (class, words) = status_words(summary.coverage_status.value);
    let program = super::client::program_words(summary.program.as_str());
    let rows: [(&str, &str, Cell); 9] = [
        ("Deductible, individual", "ded-ind", |id, n| {
            accumulator(id, "deductible", &n.deductible.individual)
        }),
        ("Deductible, family", "ded-fam", |id, n| {
            accumulator(id, "family deductible", &n.deductible.family)
        }),
        ("Out-of-pocket, individual", "oop-ind", |id, n| {
            accumulator(id, "out-of-pocket maximum", &n.out_of_pocket.individual)
        }),
        ("Out-of-pocket, family", "oop-fam", |id, n| {
            accumulator(id, "family out-of-pocket maximum", &n.out_of_pocket.family)
        }),
        ("Copay", "copay", copay),
        ("Coinsurance", "coins", |_, n| coinsurance(n)),
        ("Day limit", "days", |_, n| limit(&n.day_limit, "days")),
        ("Visit limit", "visits", |_, n| {
            limit(&n.visit_limit, "visits")
        }),
        ("Prior authorization", "auth", |_, n| {
            prior_authorization(&n.prior_authorization)
        }),
    ];
    html! {
        section.card.level aria-labelledby={ "level-" (name) } {
            h2 id={ "level-" (name) } { (name) " · " (program) }
            dl.facts {
                dt { "Coverage" }
                dd { span class={ "chip " (class) } id={ (name) "-status" } { (words) } (source(&summary.coverage_status.source, None)) }
                dt { "Plan" }
                dd { @match &summary.plan_name { Some(plan) => (sourced_text(plan, String::clone)), None => (not_stated()) } }
                dt { "Plan year" }
                dd {
                    @match (&summary.plan_begin, &summary.plan_end) {
                        (None, None) => (not_stated()),
                        (begin, end) => {
                            @match begin { Some(b) => (format::date_text(&b.value)), None => "start not stated" }
                            " to "
                            @match end { Some(e) => (format::date_text(&e.value)), None => "end not stated" }
                        }
                    }
                }
                dt { (name) " covered" }
                dd {
                    @match &summary.service_covered {
                        Some(covered) => (sourced_text(covered, |c| if *c { "Yes".into() } else { "No: the plan does not cover this level".into() })),
                        None => (not_stated()),
                    }
                }
            }
            div.table-wrap {
                table.figures {
                    thead { tr { th scope="col" { span.sr-only { "Figure" } } th scope="col" { "In network" } th scope="col" { "Out of network" } } }
                    tbody {
                        @for (label, key, cell) in &rows {
                            tr {
                                th scope="row" { (label) }
                                td { (cell(&format!("{name}-in-{key}"), &summary.in_network)) }
                                td { (cell(&format!("{name}-out-{key}"), &summary.out_of_network)) }
                            }
                        }
                    }
                }
            }
            (others(summary))
        }
    }
}

/// Carve-out, contacts, other coverage, general figures and the payer's messages.
fn others(summary: &LevelSummary) -> Markup {
    html! {
        h3 { "Carve-out" }
        @match &summary.carve_out {
            None => p { "None stated: the payer manages this benefit itself." },
            Some(carve) => div.notice.warn {
                strong { "Behavioral health is managed by " (carve.name.as_deref().unwrap_or("another administrator")) "." }
                @if let Some(phone) = &carve.phone { " Call " strong { (format::phone(phone)) } "." }
                @if let Some(id) = &carve.identifier { " Payer id " (id) "." }
                " Verify benefits with them."
                (source(&carve.source, carve.applies_via))
            },
        }
        @if !summary.contacts.is_empty() {
            h3 { "Contacts" }
            ul {
                @for contact in &summary.contacts {
                    li {
                        (contact.name.as_deref().unwrap_or(&contact.role)) " (" (contact.role) "), " (contact.purpose)
                        @if let Some(phone) = &contact.phone { ": " strong { (format::phone(phone)) } }
                        (source(&contact.source, None))
                    }
                }
            }
        }
        h3 { "Other coverage" }
        @if summary.other_coverage.is_empty() {
            p { (not_stated()) }
        } @else {
            ul {
                @for other in &summary.other_coverage {
                    li {
                        strong { (other.name.as_deref().unwrap_or("Another payer")) } ", " (other.order.as_str())
                        @if let Some(policy) = &other.policy_number { ", policy " (policy) }
                        @if let Some(begin) = &other.begin { ", from " (format::date_text(begin)) }
                        @if let Some(end) = &other.end { " to " (format::date_text(end)) }
                        (source(&other.source, None))
                    }
                }
            }
        }
        @if !summary.general_figures.is_empty() {
            p.notice.warn {
                "Some figures above were stated for the facility or the whole plan, not for behavioral health: confirm them with the payer before quoting."
            }
        }
        @if let Some(report) = summary.answered_for.as_ref().filter(|r| !r.is_empty()) {
            div.notice.warn {
                @if let Some(id) = &report.corrected_member_id { p { "The payer answered under member id " strong { (id) } ": update the coverage." } }
                @for difference in &report.payer_data { p { (difference) } }
            }
        }
        h3 { "Payer's messages" }
        @if summary.messages.is_empty() {
            p.muted { "None." }
        } @else {
            ul { @for message in &summary.messages { li { (message) } } }
        }
    }
}

/// A figure as one line of text, for the printed VOB (no bars, no sources: the chart copy
/// names the verification's reference, where the sources are).
fn accumulator_text(acc: &Accumulator) -> String {
    let part = |figure: &Option<Sourced<crate::domain::eligibility::MoneyText>>| {
        figure.as_ref().map(money)
    };
    match (part(&acc.remaining), part(&acc.total), part(&acc.met)) {
        (None, None, None) => NOT_STATED.to_string(),
        (Some(left), Some(total), _) => format!("{left} left of {total}"),
        (Some(left), None, _) => format!("{left} left"),
        (None, Some(total), Some(met)) => format!("{met} met of {total}"),
        (None, Some(total), None) => format!("{total}, remaining not stated"),
        (None, None, Some(met)) => format!("{met} met"),
    }
}

fn network_text(row: &str, n: &NetworkBenefits) -> String {
    let stated = |value: Option<String>| value.unwrap_or_else(|| NOT_STATED.to_string());
    match row {
        "ded-ind" => accumulator_text(&n.deductible.individual),
        "ded-fam" => accumulator_text(&n.deductible.family),
        "oop-ind" => accumulator_text(&n.out_of_pocket.individual),
        "oop-fam" => accumulator_text(&n.out_of_pocket.family),
        "copay" => stated(n.copay.as_ref().map(|c| {
            let amount = format::money_text(&c.amount).unwrap_or_else(|| c.amount.clone());
            match c.per {
                CopayPer::Day => format!("{amount} per day"),
                CopayPer::Visit => format!("{amount} per visit"),
                CopayPer::Admission => format!("{amount} per admission"),
                CopayPer::Unspecified => amount,
            }
        })),
        "coins" => stated(
            n.coinsurance_percent
                .as_ref()
                .map(|p| format::percent(&p.value)),
        ),
        "days" | "visits" => {
            let limit = if row == "days" {
                &n.day_limit
            } else {
                &n.visit_limit
            };
            match (&limit.total, &limit.remaining) {
                (None, None) => NOT_STATED.to_string(),
                (Some(t), Some(r)) => format!("{} ({} left)", t.value, r.value),
                (Some(t), None) => t.value.clone(),
                (None, Some(r)) => format!("{} left", r.value),
            }
        }
        _ => match n.prior_authorization.value {
            YesNoUnknown::Yes => "Required".to_string(),
            YesNoUnknown::No => "Not required".to_string(),
            YesNoUnknown::Unknown => NOT_STATED.to_string(),
        },
    }
}

const PRINTED_ROWS: [(&str, &str); 9] = [
    ("Deductible, individual", "ded-ind"),
    ("Deductible, family", "ded-fam"),
    ("Out-of-pocket, individual", "oop-ind"),
    ("Out-of-pocket, family", "oop-fam"),
    ("Copay", "copay"),
    ("Coinsurance", "coins"),
    ("Day limit", "days"),
    ("Visit limit", "visits"),
    ("Prior authorization", "auth"),
];

/// The printed VOB's figures: one table, each level's in- and out-of-network side by side,
/// then who else to call, other coverage and the payer's messages.
pub fn vob(levels: &[LevelSummary]) -> Markup {
    let mut messages: Vec<&str> = levels
        .iter()
        .flat_map(|l| l.messages.iter().map(String::as_str))
        .collect();
    messages.sort_unstable();
    messages.dedup();
    html! {
        div.table-wrap {
            table.vob-figures {
                thead {
                    tr {
                        th scope="col" { span.sr-only { "Figure" } }
                        @for level in levels {
                            th scope="col" id={ "vob-" (level.level_of_care.as_str()) "-in" } { (level.level_of_care.as_str()) " in network" }
                            th scope="col" { (level.level_of_care.as_str()) " out of network" }
                        }
                    }
                }
                tbody {
                    tr {
                        th scope="row" { "Coverage" }
                        @for level in levels {
                            td colspan="2" {
                                (status_words(level.coverage_status.value).1)
                                @if let Some(plan) = &level.plan_name { ", " (plan.value) }
                                @if let (Some(begin), Some(end)) = (&level.plan_begin, &level.plan_end) {
                                    ", " (format::date_text(&begin.value)) " to " (format::date_text(&end.value))
                                }
                                @if let Some(covered) = &level.service_covered { @if !covered.value { ". Not covered for " (level.level_of_care.as_str()) } }
                            }
                        }
                    }
                    @for (label, key) in PRINTED_ROWS {
                        tr {
                            th scope="row" { (label) }
                            @for level in levels {
                                td { (network_text(key, &level.in_network)) }
                                td { (network_text(key, &level.out_of_network)) }
                            }
                        }
                    }
                }
            }
        }
        @for level in levels {
            @if let Some(carve) = &level.carve_out {
                p { strong { (level.level_of_care.as_str()) " carve-out: " }
                    (carve.name.as_deref().unwrap_or("another administrator"))
                    @if let Some(phone) = &carve.phone { ", " (format::phone(phone)) } }
            }
            @for contact in &level.contacts {
                p { strong { (level.level_of_care.as_str()) " contact: " }
                    (contact.name.as_deref().unwrap_or(&contact.role)) " (" (contact.purpose) ")"
                    @if let Some(phone) = &contact.phone { ", " (format::phone(phone)) } }
            }
            @for other in &level.other_coverage {
                p { strong { "Other coverage: " } (other.name.as_deref().unwrap_or("another payer")) ", " (other.order.as_str()) }
            }
        }
        @if levels.iter().all(|l| l.other_coverage.is_empty()) {
            p { strong { "Other coverage: " } (NOT_STATED) }
        }
        @if !messages.is_empty() {
            p { strong { "Payer's messages: " } (messages.join("; ")) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap()
    }

    #[test]
    fn the_met_share_is_rounded_to_steps_of_five_percent() {
        assert_eq!(met_share(d("1500.00"), d("600.00")), Some(40));
        assert_eq!(met_share(d("1500.00"), d("0")), Some(0));
        assert_eq!(met_share(d("1500.00"), d("1500.00")), Some(100));
        assert_eq!(met_share(d("1500.00"), d("2000.00")), Some(100));
        assert_eq!(met_share(d("3000.00"), d("100.00")), Some(5));
        assert_eq!(met_share(d("0"), d("0")), None);
    }

    #[test]
    fn what_the_payer_did_not_say_reads_not_stated() {
        let html = accumulator("x", "deductible", &Accumulator::default()).into_string();
        assert!(html.contains(NOT_STATED), "{html}");
        assert_eq!(accumulator_text(&Accumulator::default()), NOT_STATED);
    }

    #[test]
    fn a_printed_accumulator_says_what_is_left_of_what() {
        let figure = |raw: &str| {
            Some(Sourced::new(
                crate::domain::eligibility::MoneyText::new(d(raw)),
                "EB*C",
            ))
        };
        let acc = Accumulator {
            total: figure("1000"),
            met: figure("600"),
            remaining: figure("400"),
        };
        assert_eq!(accumulator_text(&acc), "$400.00 left of $1,000.00");
        let html = accumulator("IOP-in-ded-ind", "deductible", &acc).into_string();
        assert!(
            html.contains(r#"id="IOP-in-ded-ind-remaining">$400.00<"#),
            "{html}"
        );
        assert!(html.contains(r#"class="w60""#), "{html}");
    }
}
