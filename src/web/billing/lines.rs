//! A claim's lines grouped by day, its day warnings and the reasons days were left out, in the
//! words of a billing specialist: shared by the claim's page and the generation preview.
//!
//! A per-day claim has one line a day; a per-service claim (a Medicare-style payer, issue 17)
//! has one line per service, so a day holds several (revenue code, HCPCS, units, charge) and
//! the day, not the line, is what the payer pays: grouping by day shows what each day bills.
//! The API's answers carry stable codes beside messages written for logs and API clients
//! (ISO dates, claim ids); the pages word them here from the codes, with claim numbers.

use std::collections::HashMap;

use chrono::NaiveDate;
use maud::{html, Markup};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::store::claims::{ClaimRecord, LineRecord};
use crate::web::format;

/// One line of a claim, from the store or from the generation's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub date: NaiveDate,
    pub revenue_code: String,
    pub hcpcs: Option<String>,
    pub modifiers: Vec<String>,
    pub units: u32,
    pub charge: Decimal,
    pub expected: Option<Decimal>,
}

impl Line {
    pub fn of_record(line: &LineRecord) -> Line {
        Line {
            date: line.service_date,
            revenue_code: line.revenue_code.clone(),
            hcpcs: line.hcpcs.clone(),
            modifiers: line.modifiers.clone(),
            units: line.units,
            charge: line.charge.amount(),
            expected: line.expected.map(|m| m.amount()),
        }
    }

    /// A line of the API's claim JSON; `None` when it is not one.
    pub fn of_json(line: &Value) -> Option<Line> {
        let decimal = |v: &Value| v.as_str().and_then(|s| s.parse::<Decimal>().ok());
        Some(Line {
            date: line["service_date"].as_str()?.parse().ok()?,
            revenue_code: line["revenue_code"].as_str()?.to_string(),
            hcpcs: line["hcpcs"].as_str().map(str::to_string),
            modifiers: line["modifiers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect(),
            // The API always states the units; a line without them is not read as one unit.
            units: line["units"].as_u64().and_then(|u| u32::try_from(u).ok())?,
            charge: decimal(&line["charge"])?,
            expected: decimal(&line["expected"]),
        })
    }
}

/// A day's warning: the day, and what billing should know of it.
#[derive(Debug, Clone, PartialEq)]
pub struct DayWarning {
    pub date: NaiveDate,
    pub words: String,
}

impl DayWarning {
    pub fn of_record(claim: &ClaimRecord) -> Vec<DayWarning> {
        claim
            .warnings
            .iter()
            .filter_map(|w| serde_json::to_value(w).ok())
            .filter_map(|w| DayWarning::of_json(&w))
            .collect()
    }

    /// A warning of the API's claim JSON (`{date, code, …, message}`).
    pub fn of_json(warning: &Value) -> Option<DayWarning> {
        let date = warning["date"].as_str()?.parse().ok()?;
        Some(DayWarning {
            date,
            words: warning_words(warning),
        })
    }
}

/// A warning in words, from its code; an unknown code keeps the API's message.
pub fn warning_words(warning: &Value) -> String {
    match warning["code"].as_str() {
        Some("fewer_services") => {
            let services = warning["services"].as_u64().unwrap_or(0);
            let minimum = warning["minimum"].as_u64().unwrap_or(0);
            format!(
                "Only {services} qualifying service{} this day; the payer pays a day of {minimum} \
                 or more. The day is billed line by line as furnished, expecting $0.00.",
                if services == 1 { "" } else { "s" }
            )
        }
        _ => format::iso_dates(warning["message"].as_str().unwrap_or("")),
    }
}

/// The lines by day, in date order (lines keep their order within a day).
pub fn by_day(lines: &[Line]) -> Vec<(NaiveDate, Vec<&Line>)> {
    let mut days: Vec<(NaiveDate, Vec<&Line>)> = Vec::new();
    let mut sorted: Vec<&Line> = lines.iter().collect();
    sorted.sort_by_key(|l| l.date);
    for line in sorted {
        match days.last_mut() {
            Some((date, day)) if *date == line.date => day.push(line),
            _ => days.push((line.date, vec![line])),
        }
    }
    days
}

/// The lines grouped by day: a row per day with its total, then a row per line; a day with a
/// warning says it under the day. `id` names the table (a page may show several).
pub fn table(id: &str, lines: &[Line], warnings: &[DayWarning]) -> Markup {
    let days = by_day(lines);
    let several = days.iter().any(|(_, day)| day.len() > 1);
    html! {
        div.table-wrap {
            table.claim-lines id=(id) {
                caption.sr-only { "Claim lines by day of service" }
                thead { tr {
                    th scope="col" { "Day" } th scope="col" { "Revenue code" } th scope="col" { "HCPCS" }
                    th.num scope="col" { "Units" } th.num scope="col" { "Charge" } th.num scope="col" { "Expected" }
                } }
                @for (date, day) in &days {
                    tbody.day {
                        @if several {
                            @let charge: Decimal = day.iter().map(|l| l.charge).sum();
                            @let expected: Option<Decimal> = day.iter().map(|l| l.expected).sum();
                            tr.day-total {
                                th scope="rowgroup" { (format::date(*date)) }
                                td colspan="2" { (day.len()) " lines" }
                                td.num { (day.iter().map(|l| l.units).sum::<u32>()) }
                                td.num { (format::money(charge)) }
                                td.num { (expected.map_or("not known".to_string(), format::money)) }
                            }
                        }
                        @for line in day {
                            tr {
                                @if several { td { span.sr-only { (format::date(*date)) } } }
                                @else { th scope="row" { (format::date(*date)) } }
                                td { (line.revenue_code) }
                                td {
                                    (line.hcpcs.as_deref().unwrap_or("—"))
                                    @for modifier in &line.modifiers { " " (modifier) }
                                }
                                td.num { (line.units) }
                                td.num { (format::money(line.charge)) }
                                td.num { (line.expected.map_or("not known".to_string(), format::money)) }
                            }
                        }
                        @for warning in warnings.iter().filter(|w| w.date == *date) {
                            tr.day-warning { td colspan="6" { span.chip.warn { "Warning" } " " (warning.words) } }
                        }
                    }
                }
            }
        }
    }
}

/// The warnings of a claim as a short list (for a row of claims).
pub fn warning_list(warnings: &[DayWarning]) -> Markup {
    html! {
        @if !warnings.is_empty() {
            ul.warnings {
                @for warning in warnings {
                    li { strong { (format::date(warning.date)) ": " } (warning.words) }
                }
            }
        }
    }
}

/// What a page knows of a claim a reason names: its number (none yet on a preview) and its
/// statement period.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRef {
    pub number: Option<String>,
    pub from: NaiveDate,
    pub through: NaiveDate,
}

impl ClaimRef {
    fn words(&self) -> String {
        let period = format!(
            "{} – {}",
            format::date(self.from),
            format::date(self.through)
        );
        match &self.number {
            Some(number) if !number.is_empty() => format!("claim {number} ({period})"),
            _ => format!("the claim for {period} in this generation"),
        }
    }
}

/// Why a day was left out, in words, from the reason's code (`{code, message, claim_id?}`);
/// `claims` holds the claims the reasons may name. A code without words of its own keeps the
/// API's message, with its dates as the pages write them.
pub fn reason_words(reason: &Value, claims: &HashMap<Uuid, ClaimRef>) -> String {
    let named = reason["claim_id"]
        .as_str()
        .and_then(|id| id.parse::<Uuid>().ok())
        .and_then(|id| claims.get(&id));
    let claim = || named.map_or_else(|| "an earlier claim".to_string(), ClaimRef::words);
    match reason["code"].as_str().unwrap_or("") {
        "held_until_previous_sent" => format!(
            "Held: interim bills go to the payer one at a time, and the previous one, {}, has not \
             been sent yet. Send it (or mark it sent), then generate again.",
            claim()
        ),
        "overlaps_billed_period" => format!(
            "Already billed: {} covers some of these days. Void or replace it to bill them \
             differently.",
            claim()
        ),
        "out_of_sequence" => format!(
            "Out of order: {} bills later days of this stay, and interim bills go in date order.",
            claim()
        ),
        "stay_billed_to_discharge" => format!(
            "The stay is billed through discharge on {}. Replace that claim to change it.",
            claim()
        ),
        "no_discharge_status" => "The client was discharged, but the episode has no discharge \
             status (patient status). Record it on the episode, then generate again."
            .to_string(),
        "outside_stay" => "These days fall outside the episode's stay (before the admission or \
             after the discharge). Check the episode's dates."
            .to_string(),
        "empty_period" => "The statement period ends before it starts.".to_string(),
        "already_billed" => format!("Already billed on {}.", claim()),
        _ => format::iso_dates(reason["message"].as_str().unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(date: &str, hcpcs: &str, charge: &str) -> Line {
        Line {
            date: date.parse().unwrap(),
            revenue_code: "0915".into(),
            hcpcs: Some(hcpcs.into()),
            modifiers: vec![],
            units: 1,
            charge: charge.parse().unwrap(),
            expected: None,
        }
    }

    #[test]
    fn lines_are_grouped_by_day_in_date_order_keeping_their_order_within_a_day() {
        let lines = [
            line("2026-03-03", "G0410", "210.00"),
            line("2026-03-02", "G0410", "420.00"),
            line("2026-03-03", "90837", "300.00"),
        ];
        let days = by_day(&lines);
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].0.to_string(), "2026-03-02");
        let second: Vec<_> = days[1].1.iter().map(|l| l.hcpcs.clone().unwrap()).collect();
        assert_eq!(second, ["G0410", "90837"]);
    }

    #[test]
    fn a_claim_line_of_the_api_is_read_with_its_exact_money() {
        let parsed = Line::of_json(&json!({"service_date": "2026-03-02", "revenue_code": "0915",
            "hcpcs": "G0410", "modifiers": ["HQ"], "units": 2, "charge": "420.00", "expected": null}))
        .unwrap();
        assert_eq!(parsed.charge, Decimal::new(42000, 2));
        assert_eq!(parsed.modifiers, ["HQ"]);
        assert_eq!(parsed.units, 2);
        assert_eq!(parsed.expected, None);
        assert!(Line::of_json(&json!({"service_date": "2026-03-02"})).is_none());
        let without_units = json!({"service_date": "2026-03-02", "revenue_code": "0915",
            "charge": "420.00"});
        assert!(Line::of_json(&without_units).is_none());
    }

    #[test]
    fn a_short_day_is_worded_for_billing() {
        let words = warning_words(&json!({"date": "2026-03-04", "code": "fewer_services",
            "services": 2, "minimum": 3, "message": "2 qualifying services on 2026-03-04"}));
        assert!(
            words.starts_with("Only 2 qualifying services this day"),
            "{words}"
        );
        assert!(words.contains("3 or more"), "{words}");
        let one = warning_words(&json!({"code": "fewer_services", "services": 1, "minimum": 3}));
        assert!(
            one.starts_with("Only 1 qualifying service this day"),
            "{one}"
        );
        let unknown = warning_words(&json!({"code": "new_kind", "message": "on 2026-03-04"}));
        assert_eq!(unknown, "on 03/04/2026");
    }

    #[test]
    fn interim_reasons_name_the_claim_by_its_number_and_period() {
        let id = Uuid::new_v4();
        let claims = HashMap::from([(
            id,
            ClaimRef {
                number: Some("PD00000012".into()),
                from: "2026-03-02".parse().unwrap(),
                through: "2026-03-31".parse().unwrap(),
            },
        )]);
        let held = reason_words(
            &json!({"code": "held_until_previous_sent", "claim_id": id.to_string(),
                    "message": format!("held: the previous interim claim {id} has not been sent yet")}),
            &claims,
        );
        assert!(
            held.contains("claim PD00000012 (03/02/2026 – 03/31/2026)"),
            "{held}"
        );
        assert!(!held.contains(&id.to_string()), "no raw id: {held}");
        let draft = HashMap::from([(
            id,
            ClaimRef {
                number: None,
                ..claims[&id].clone()
            },
        )]);
        let overlap = reason_words(
            &json!({"code": "overlaps_billed_period", "claim_id": id.to_string()}),
            &draft,
        );
        assert!(
            overlap.contains("the claim for 03/02/2026 – 03/31/2026 in this generation"),
            "{overlap}"
        );
        let unknown_claim = reason_words(&json!({"code": "held_until_previous_sent"}), &claims);
        assert!(
            unknown_claim.contains("an earlier claim"),
            "{unknown_claim}"
        );
        let other = reason_words(
            &json!({"code": "below_minimum_minutes", "message": "120 minutes on 2026-03-04"}),
            &claims,
        );
        assert_eq!(other, "120 minutes on 03/04/2026");
    }
}
