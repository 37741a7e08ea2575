//! Whether an attended day is billable, and the authorization ledger that falls out of it.
//!
//! A rule, not a guess. A day is billable when all of these hold:
//! 1. it has at least the minimum minutes for its level of care (the payer's own minimum when
//!    its billing rules set one, else the configured default) — or, for a payer billed per
//!    service (`claim_style: per_service`, Medicare and payers that follow it), at least its
//!    minimum of qualifying services (`minimum_services_per_day`, default 3) instead of
//!    minutes: a day below it is billed with a `fewer_services` warning (`days_below_minimum:
//!    bill`, the default) or left out with that reason (`leave_out`);
//! 2. a coverage of the client is in force on the date (the highest-priority one is billed);
//! 3. when that payer requires prior authorization: an approved (or partially approved)
//!    authorization for the client, that coverage and that level of care covers the date, and
//!    the day is within the days it approved.
//!
//! Days consume an authorization in date order: the first `days_approved` qualifying days in
//! its window are its *used* days, later ones are *beyond approved*. Days that fail (1) or (2)
//! consume nothing. Everything here is pure: callers load the facts, this decides.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;
use uuid::Uuid;

use super::attendance::Service;
use super::eligibility::LevelOfCare;
use super::payer::{BillingRules, ClaimStyle, DaysBelowMinimum};
use super::service_code::{in_force, NewServiceCode};

/// The clinic's defaults (configuration `[billing]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minimums {
    pub iop_daily: u32,
    pub php_daily: u32,
    pub iop_weekly: u32,
    pub php_weekly: u32,
}

impl Minimums {
    pub fn daily(&self, level: LevelOfCare, rules: &BillingRules) -> u32 {
        match level {
            LevelOfCare::Iop => rules.iop_minimum_minutes.unwrap_or(self.iop_daily),
            LevelOfCare::Php => rules.php_minimum_minutes.unwrap_or(self.php_daily),
        }
    }

    pub fn weekly(&self, level: LevelOfCare) -> u32 {
        match level {
            LevelOfCare::Iop => self.iop_weekly,
            LevelOfCare::Php => self.php_weekly,
        }
    }
}

/// A coverage of the client with its dates and its payer's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageSpan {
    pub id: Uuid,
    /// The payer record the coverage bills.
    pub payer_id: Uuid,
    pub payer_name: String,
    /// 1 primary, 2 secondary, 3 tertiary: the lowest in force is billed.
    pub rank: u8,
    pub effective_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub rules: BillingRules,
}

impl CoverageSpan {
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.effective_date.is_none_or(|from| from <= date)
            && self.end_date.is_none_or(|to| date <= to)
    }
}

/// The coverage billed for a day: the highest-priority one in force on it.
pub fn billed_coverage(coverages: &[CoverageSpan], date: NaiveDate) -> Option<&CoverageSpan> {
    coverages
        .iter()
        .filter(|c| c.in_force(date))
        .min_by_key(|c| (c.rank, c.id))
}

/// An authorization as the ledger needs it: current figures (extensions included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationWindow {
    pub id: Uuid,
    pub number: String,
    pub coverage_id: Uuid,
    pub level_of_care: LevelOfCare,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub days_approved: u32,
    /// `approved` or `partially_approved`; others authorize nothing.
    pub approved: bool,
}

impl AuthorizationWindow {
    fn covers(&self, coverage: Uuid, level: LevelOfCare, date: NaiveDate) -> bool {
        self.approved
            && self.coverage_id == coverage
            && self.level_of_care == level
            && self.start_date <= date
            && date <= self.end_date
    }
}

/// One attended day of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub level_of_care: LevelOfCare,
    pub minutes: u32,
    /// Its qualifying services ([`qualifying_services`]): what a per-service payer counts.
    pub services: u32,
}

/// The services of a day that count toward a per-service payer's minimum: the units of each
/// catalog code whose entry in force on `date` counts toward the day (two units of G0410 are
/// two services). judgement: free-text names do not count — nothing says what they were or
/// whether they are billable, and they are not billed on a per-service claim; a code with no
/// entry in force (refused on entry, but the catalog may change after) does not count either.
pub fn qualifying_services<S: AsRef<NewServiceCode>>(
    services: &[Service],
    catalog: &[S],
    date: NaiveDate,
) -> u32 {
    services
        .iter()
        .filter_map(Service::coded)
        .filter(|(code, _)| {
            in_force(catalog, code, date).is_some_and(|e| e.as_ref().counts_toward_day)
        })
        .map(|(_, units)| units.get())
        .sum()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    BelowMinimumMinutes {
        minutes: u32,
        minimum: u32,
        message: String,
    },
    NoCoverage {
        message: String,
    },
    NoApprovedAuthorization {
        message: String,
    },
    BeyondApprovedDays {
        authorization_id: Uuid,
        days_approved: u32,
        message: String,
    },
    /// A per-service payer's day below its minimum of services, when the payer leaves such
    /// days out (`days_below_minimum: leave_out`).
    FewerServices {
        services: u32,
        minimum: u32,
        message: String,
    },
}

/// Something billing should know about a billable day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Warning {
    /// A per-service payer's day below its minimum of services, billed anyway (`bill`, the
    /// default): Medicare expects every service furnished to be reported, and pays no day
    /// rate for it.
    FewerServices {
        services: u32,
        minimum: u32,
        message: String,
    },
}

fn fewer_services_message(day: &Day, minimum: u32) -> String {
    format!(
        "{} qualifying service{} on {}, below the payer's minimum of {minimum} a day",
        day.services,
        if day.services == 1 { "" } else { "s" },
        day.date
    )
}

/// The verdict on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub billable: bool,
    pub reasons: Vec<Reason>,
    /// Set on billable days only: what billing should know (e.g. `fewer_services`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// The coverage the day would be billed to.
    pub coverage_id: Option<Uuid>,
    /// The authorization whose window holds the day (used or beyond).
    pub authorization_id: Option<Uuid>,
}

/// Assesses every day of one client (`days` in any order; the answer is in the same order).
pub fn assess(
    days: &[Day],
    coverages: &[CoverageSpan],
    authorizations: &[AuthorizationWindow],
    minimums: &Minimums,
) -> Vec<Assessment> {
    let mut order: Vec<usize> = (0..days.len()).collect();
    order.sort_by_key(|&i| days.get(i).map(|d| d.date));
    let mut used: BTreeMap<Uuid, u32> = BTreeMap::new();
    let mut out: Vec<Option<Assessment>> = vec![None; days.len()];
    for i in order {
        let Some(day) = days.get(i) else { continue };
        let mut reasons = Vec::new();
        let coverage = billed_coverage(coverages, day.date);
        let rules = coverage.map(|c| c.rules).unwrap_or_default();
        let mut warnings = Vec::new();
        let long_enough = match rules.claim_style {
            ClaimStyle::PerDay => {
                let minimum = minimums.daily(day.level_of_care, &rules);
                let long_enough = day.minutes >= minimum;
                if !long_enough {
                    reasons.push(Reason::BelowMinimumMinutes {
                        minutes: day.minutes,
                        minimum,
                        message: format!(
                            "{} minutes is below the {minimum}-minute minimum for {} day",
                            day.minutes,
                            match day.level_of_care {
                                LevelOfCare::Iop => "an IOP",
                                LevelOfCare::Php => "a PHP",
                            }
                        ),
                    });
                }
                long_enough
            }
            // judgement: services replace minutes for these payers (their day is defined by
            // the services furnished, 42 CFR 419 APCs 5851–5864), so a day's minutes are not
            // checked; the weekly hours still are (`weeks`).
            ClaimStyle::PerService => {
                let minimum = rules.minimum_services_per_day;
                if day.services >= minimum {
                    true
                } else {
                    let message = fewer_services_message(day, minimum);
                    match rules.days_below_minimum {
                        DaysBelowMinimum::Bill => {
                            warnings.push(Warning::FewerServices {
                                services: day.services,
                                minimum,
                                message,
                            });
                            // Billed, so it uses an authorized day like any billed day.
                            true
                        }
                        DaysBelowMinimum::LeaveOut => {
                            reasons.push(Reason::FewerServices {
                                services: day.services,
                                minimum,
                                message,
                            });
                            false
                        }
                    }
                }
            }
        };
        let mut authorization_id = None;
        match coverage {
            None => reasons.push(Reason::NoCoverage {
                message: format!("no coverage of the client is in force on {}", day.date),
            }),
            Some(coverage) => {
                let window = authorizations
                    .iter()
                    .find(|a| a.covers(coverage.id, day.level_of_care, day.date));
                match window {
                    Some(window) => {
                        authorization_id = Some(window.id);
                        if long_enough {
                            let count = used.entry(window.id).or_insert(0);
                            *count += 1;
                            if *count > window.days_approved
                                && coverage.rules.authorization_required
                            {
                                reasons.push(Reason::BeyondApprovedDays {
                                    authorization_id: window.id,
                                    days_approved: window.days_approved,
                                    message: format!(
                                        "authorization {} approved {} days; this is attended \
                                         day {} in its window",
                                        window.number, window.days_approved, count
                                    ),
                                });
                            }
                        }
                    }
                    None if coverage.rules.authorization_required => {
                        reasons.push(Reason::NoApprovedAuthorization {
                            message: format!(
                                "{} requires prior authorization and no approved {} \
                                 authorization covers {}",
                                coverage.payer_name,
                                day.level_of_care.as_str(),
                                day.date
                            ),
                        })
                    }
                    None => {}
                }
            }
        }
        if let Some(slot) = out.get_mut(i) {
            let billable = reasons.is_empty();
            *slot = Some(Assessment {
                billable,
                reasons,
                warnings: if billable { warnings } else { Vec::new() },
                coverage_id: coverage.map(|c| c.id),
                authorization_id,
            });
        }
    }
    out.into_iter().flatten().collect()
}

/// What an authorization has used, derived from the assessed days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ledger {
    pub days_approved: u32,
    pub days_used: u32,
    pub days_remaining: u32,
    /// Billable days it paid for, in date order.
    pub used_days: Vec<NaiveDate>,
    /// Qualifying days in its window past what it approved.
    pub days_beyond_approved: Vec<NaiveDate>,
}

/// The ledger of `window` from the client's assessed days: the qualifying days in its window
/// (long enough, at its level, on its coverage) in date order; the first `days_approved` are
/// used, the rest are beyond what was approved.
pub fn ledger(window: &AuthorizationWindow, days: &[Day], assessed: &[Assessment]) -> Ledger {
    let mut qualifying: Vec<NaiveDate> = days
        .iter()
        .zip(assessed)
        .filter(|(_, verdict)| verdict.authorization_id == Some(window.id))
        .filter(|(_, verdict)| {
            !verdict.reasons.iter().any(|r| {
                matches!(
                    r,
                    Reason::BelowMinimumMinutes { .. } | Reason::FewerServices { .. }
                )
            })
        })
        .map(|(day, _)| day.date)
        .collect();
    qualifying.sort();
    let approved = usize::try_from(window.days_approved).unwrap_or(usize::MAX);
    let beyond = qualifying.split_off(approved.min(qualifying.len()));
    let days_used = u32::try_from(qualifying.len()).unwrap_or(u32::MAX);
    Ledger {
        days_approved: window.days_approved,
        days_used,
        days_remaining: window.days_approved.saturating_sub(days_used),
        used_days: qualifying,
        days_beyond_approved: beyond,
    }
}

/// One ISO week (Monday first) of one level of care, against the weekly minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    pub week_start: NaiveDate,
    pub level_of_care: LevelOfCare,
    pub days: u32,
    pub minutes: u32,
    pub minimum_minutes: u32,
    /// Set when the week falls short of the weekly minimum: a warning, not a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

pub fn weeks(days: &[Day], minimums: &Minimums) -> Vec<Week> {
    let mut by_week: BTreeMap<(NaiveDate, &'static str), (LevelOfCare, u32, u32)> = BTreeMap::new();
    for day in days {
        let monday =
            day.date - Duration::days(i64::from(day.date.weekday().num_days_from_monday()));
        let entry = by_week
            .entry((monday, day.level_of_care.as_str()))
            .or_insert((day.level_of_care, 0, 0));
        entry.1 += 1;
        entry.2 += day.minutes;
    }
    by_week
        .into_iter()
        .map(|((week_start, _), (level, days, minutes))| {
            let minimum = minimums.weekly(level);
            Week {
                week_start,
                level_of_care: level,
                days,
                minutes,
                minimum_minutes: minimum,
                warning: (minutes < minimum).then(|| {
                    format!(
                        "{} minutes of {} in the week of {week_start}, below the weekly minimum \
                         of {minimum} ({} hours)",
                        minutes,
                        level.as_str(),
                        minimum / 60
                    )
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    const MINIMUMS: Minimums = Minimums {
        iop_daily: 180,
        php_daily: 300,
        iop_weekly: 540,
        php_weekly: 1200,
    };

    fn coverage(rules: BillingRules) -> CoverageSpan {
        CoverageSpan {
            payer_id: Uuid::from_u128(0x9A),
            id: Uuid::from_u128(1),
            payer_name: "Acme Health".into(),
            rank: 1,
            effective_date: Some(d(1)),
            end_date: Some(d(31)),
            rules,
        }
    }

    fn auth(id: u128, level: LevelOfCare, from: u32, to: u32, days: u32) -> AuthorizationWindow {
        AuthorizationWindow {
            id: Uuid::from_u128(id),
            number: format!("AUTH-{id}"),
            coverage_id: Uuid::from_u128(1),
            level_of_care: level,
            start_date: d(from),
            end_date: d(to),
            days_approved: days,
            approved: true,
        }
    }

    fn php(day: u32, minutes: u32) -> Day {
        Day {
            date: d(day),
            level_of_care: LevelOfCare::Php,
            minutes,
            services: 0,
        }
    }

    fn codes(a: &Assessment) -> Vec<&'static str> {
        a.reasons
            .iter()
            .map(|r| match r {
                Reason::BelowMinimumMinutes { .. } => "below_minimum_minutes",
                Reason::NoCoverage { .. } => "no_coverage",
                Reason::NoApprovedAuthorization { .. } => "no_approved_authorization",
                Reason::BeyondApprovedDays { .. } => "beyond_approved_days",
                Reason::FewerServices { .. } => "fewer_services",
            })
            .collect()
    }

    #[test]
    fn days_consume_the_authorization_in_date_order() {
        // Sent out of order on purpose; a short day consumes nothing.
        let days = [
            php(5, 330),
            php(2, 330),
            php(3, 120),
            php(4, 330),
            php(6, 330),
        ];
        let window = auth(9, LevelOfCare::Php, 1, 10, 2);
        let assessed = assess(
            &days,
            &[coverage(BillingRules::default())],
            std::slice::from_ref(&window),
            &MINIMUMS,
        );
        let got: Vec<Vec<&str>> = assessed.iter().map(codes).collect();
        assert_eq!(
            got,
            [
                vec!["beyond_approved_days"],
                vec![],
                vec!["below_minimum_minutes"],
                vec![],
                vec!["beyond_approved_days"],
            ]
        );
        let Reason::BelowMinimumMinutes { message, .. } = &assessed[2].reasons[0] else {
            panic!("{:?}", assessed[2].reasons)
        };
        assert_eq!(
            message,
            "120 minutes is below the 300-minute minimum for a PHP day"
        );
        let iop = Day {
            level_of_care: LevelOfCare::Iop,
            ..php(3, 60)
        };
        let short = assess(&[iop], &[coverage(BillingRules::default())], &[], &MINIMUMS);
        assert!(
            matches!(&short[0].reasons[..], [Reason::BelowMinimumMinutes { message, .. }, ..]
                if message.ends_with("minimum for an IOP day")),
            "{:?}",
            short[0].reasons
        );
        let ledger = ledger(&window, &days, &assessed);
        assert_eq!(ledger.used_days, [d(2), d(4)]);
        assert_eq!(ledger.days_beyond_approved, [d(5), d(6)]);
        assert_eq!((ledger.days_used, ledger.days_remaining), (2, 0));
    }

    #[test]
    fn without_an_authorization_a_day_is_not_billable_when_the_payer_requires_one() {
        let days = [php(2, 330)];
        let required = assess(&days, &[coverage(BillingRules::default())], &[], &MINIMUMS);
        assert_eq!(codes(&required[0]), ["no_approved_authorization"]);
        let not_required = BillingRules {
            authorization_required: false,
            ..BillingRules::default()
        };
        let free = assess(&days, &[coverage(not_required)], &[], &MINIMUMS);
        assert!(free[0].billable);
        // A step-down: the IOP authorization does not cover PHP days.
        let iop_only = assess(
            &days,
            &[coverage(BillingRules::default())],
            &[auth(3, LevelOfCare::Iop, 1, 31, 20)],
            &MINIMUMS,
        );
        assert_eq!(codes(&iop_only[0]), ["no_approved_authorization"]);
    }

    #[test]
    fn the_payer_minimum_wins_over_the_default_and_coverage_dates_count() {
        let days = [
            php(2, 250),
            Day {
                date: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                ..php(1, 330)
            },
        ];
        let rules = BillingRules {
            php_minimum_minutes: Some(240),
            authorization_required: false,
            ..BillingRules::default()
        };
        let assessed = assess(&days, &[coverage(rules)], &[], &MINIMUMS);
        assert!(assessed[0].billable, "{:?}", assessed[0]);
        assert_eq!(codes(&assessed[1]), ["no_coverage"]);
    }

    fn per_service(days_below_minimum: DaysBelowMinimum) -> BillingRules {
        BillingRules {
            claim_style: ClaimStyle::PerService,
            days_below_minimum,
            authorization_required: false,
            ..BillingRules::default()
        }
    }

    fn with_services(day: u32, services: u32) -> Day {
        // Short on minutes on purpose: a per-service payer does not count them.
        Day {
            services,
            ..php(day, 60)
        }
    }

    #[test]
    fn a_per_service_payer_counts_services_not_minutes() {
        let days = [
            with_services(2, 2),
            with_services(3, 3),
            with_services(4, 5),
            with_services(5, 0),
        ];
        let billed = assess(
            &days,
            &[coverage(per_service(DaysBelowMinimum::Bill))],
            &[],
            &MINIMUMS,
        );
        assert!(billed.iter().all(|a| a.billable && a.reasons.is_empty()));
        let warned: Vec<(u32, u32)> = billed
            .iter()
            .map(|a| match a.warnings.as_slice() {
                [Warning::FewerServices {
                    services, minimum, ..
                }] => (*services, *minimum),
                [] => (99, 99),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(warned, [(2, 3), (99, 99), (99, 99), (0, 3)]);
        let Warning::FewerServices { message, .. } = &billed[0].warnings[0];
        assert!(message.contains("2 qualifying services") && message.contains("minimum of 3"));

        let left_out = assess(
            &days,
            &[coverage(per_service(DaysBelowMinimum::LeaveOut))],
            &[],
            &MINIMUMS,
        );
        let got: Vec<Vec<&str>> = left_out.iter().map(codes).collect();
        assert_eq!(
            got,
            [
                vec!["fewer_services"],
                vec![],
                vec![],
                vec!["fewer_services"]
            ]
        );
        assert!(left_out.iter().all(|a| a.warnings.is_empty()));

        // A payer's own minimum.
        let four = BillingRules {
            minimum_services_per_day: 4,
            ..per_service(DaysBelowMinimum::LeaveOut)
        };
        let got: Vec<bool> = assess(&days, &[coverage(four)], &[], &MINIMUMS)
            .iter()
            .map(|a| a.billable)
            .collect();
        assert_eq!(got, [false, false, true, false]);
    }

    #[test]
    fn left_out_short_days_use_no_authorized_day_and_billed_ones_do() {
        let days = [with_services(2, 2), with_services(3, 3)];
        let window = auth(9, LevelOfCare::Php, 1, 10, 5);
        let required = |rule| BillingRules {
            authorization_required: true,
            ..per_service(rule)
        };
        for (rule, used) in [
            (DaysBelowMinimum::Bill, vec![d(2), d(3)]),
            (DaysBelowMinimum::LeaveOut, vec![d(3)]),
        ] {
            let assessed = assess(
                &days,
                &[coverage(required(rule))],
                std::slice::from_ref(&window),
                &MINIMUMS,
            );
            assert_eq!(ledger(&window, &days, &assessed).used_days, used);
        }
    }

    #[test]
    fn qualifying_services_are_units_of_counting_codes_in_force() {
        use crate::domain::attendance::{CodedInput, ServiceInput};
        use crate::domain::service_code::ServiceCodeInput;
        let entry = |code: &str, counts: bool, to: Option<&str>| {
            ServiceCodeInput {
                code: Some(code.into()),
                description: Some("x".into()),
                revenue_code: Some("0915".into()),
                hcpcs: Some(code.into()),
                charge: Some("10".into()),
                counts_toward_day: Some(counts),
                effective_from: Some("2026-03-01".into()),
                effective_to: to.map(Into::into),
                ..ServiceCodeInput::default()
            }
            .parse()
            .unwrap()
        };
        let catalog = [
            entry("G0410", true, None),
            entry("99211", false, None),
            entry("G0176", true, Some("2026-03-03")),
        ];
        let coded = |code: &str, units: i64| {
            Service::parse(ServiceInput::Coded(CodedInput {
                code: code.into(),
                units: Some(units),
            }))
            .unwrap()
        };
        let services = [
            coded("G0410", 2),
            coded("99211", 1),
            coded("G0176", 1),
            Service::parse("group therapy".into()).unwrap(),
        ];
        assert_eq!(qualifying_services(&services, &catalog, d(3)), 3);
        assert_eq!(
            qualifying_services(&services, &catalog, d(4)),
            2,
            "G0176 ended on the 3rd"
        );
    }

    #[test]
    fn weeks_below_the_weekly_minimum_carry_a_warning() {
        // 2026-03-02 is a Monday.
        let days = [
            php(2, 330),
            php(3, 330),
            php(4, 330),
            php(9, 330),
            php(10, 330),
            php(11, 330),
            php(12, 330),
        ];
        let weeks = weeks(&days, &MINIMUMS);
        assert_eq!(weeks.len(), 2);
        assert_eq!((weeks[0].week_start, weeks[0].minutes), (d(2), 990));
        assert!(weeks[0].warning.is_some());
        assert_eq!((weeks[1].week_start, weeks[1].minutes), (d(9), 1320));
        assert!(weeks[1].warning.is_none());
    }
}
