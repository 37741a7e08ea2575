//! Day rates: what a payer that pays a PHP or IOP day by its number of services pays for that
//! day — Medicare's per-diem APCs and the payers that follow them (domain reference §4.3): one
//! rate for a day with 3 services, another for a day with 4 or more.
//!
//! What this module owns:
//! - a day rate's terms ([`NewDayRate`]): payer, level of care, service tier ([`Tier`]: `3` or
//!   `4+`), the amount as [`Money`] and the effective [`Period`] (shared with fee schedules);
//! - the rule that two rates of one payer, level of care and tier never share a day
//!   ([`first_overlap`]) and the lookup of the rate in force ([`in_force`]);
//! - what a per-service day is expected to be paid ([`expected_for_day`]) and what a claim's
//!   days add up to ([`expected_for_claim`]). These take plain dates, counts and rates, so the
//!   claim builder, the estimate and the underpayment comparison can all call them.
//!
//! Day rates are contract terms, not PHI: nothing here names a client.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

use super::dates::parse_service_date;
use super::eligibility::LevelOfCare;
use super::fee_schedule::Period;
use super::ids::parse_id;
use super::money::{to_cents, Money};
use super::validation::{Fields, Invalid};

/// The services at or above which a day is paid at the `4+` rate (Medicare's second APC).
pub const FOUR_PLUS: u32 = 4;

/// Which of the two per-diem APCs a rate is: a day with 3 services, or with 4 or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// `"3"`: a day paid with the minimum up to 3 services.
    Three,
    /// `"4+"`: a day with 4 or more services.
    FourPlus,
}

impl Tier {
    pub fn parse(raw: &str) -> Result<Tier, String> {
        match raw {
            "3" => Ok(Tier::Three),
            "4+" => Ok(Tier::FourPlus),
            _ => Err("must be \"3\" (a day with 3 services) or \"4+\" (4 or more)".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Three => "3",
            Tier::FourPlus => "4+",
        }
    }
}

impl Serialize for Tier {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A day rate's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDayRate {
    /// The payer record (not the EDI payer id).
    pub payer_id: Uuid,
    pub level_of_care: LevelOfCare,
    pub services: Tier,
    /// What the payer pays for such a day (never zero: a day below the payer's minimum is
    /// 0.00 by rule, not by a rate).
    pub amount: Money,
    pub period: Period,
}

impl AsRef<NewDayRate> for NewDayRate {
    fn as_ref(&self) -> &NewDayRate {
        self
    }
}

impl NewDayRate {
    /// Whether this rate prices a day of `level` in `tier` on `date`.
    pub fn applies(&self, level: LevelOfCare, tier: Tier, date: NaiveDate) -> bool {
        self.level_of_care == level && self.services == tier && self.period.contains(date)
    }

    /// Whether this rate and `other` price the same kind of day (payer, level, tier) on a
    /// shared day.
    pub fn overlaps(&self, other: &NewDayRate) -> bool {
        self.payer_id == other.payer_id
            && self.level_of_care == other.level_of_care
            && self.services == other.services
            && self.period.overlaps(&other.period)
    }
}

/// The rate among `rates` (one payer's) in force for a day of `level` in `tier` on `date`, if
/// any. The no-overlap rule leaves at most one; should stored data ever hold two, the one that
/// started last wins (the newer contract), so the answer does not depend on their order.
pub fn in_force<R: AsRef<NewDayRate>>(
    rates: &[R],
    level: LevelOfCare,
    tier: Tier,
    date: NaiveDate,
) -> Option<&R> {
    rates
        .iter()
        .filter(|r| r.as_ref().applies(level, tier, date))
        .max_by_key(|r| r.as_ref().period.from)
}

/// The first of `others` that shares a day with `candidate` for the same payer, level of care
/// and tier: the one that refuses it.
pub fn first_overlap<'a, R: AsRef<NewDayRate> + 'a>(
    others: impl IntoIterator<Item = &'a R>,
    candidate: &NewDayRate,
) -> Option<&'a R> {
    others
        .into_iter()
        .find(|other| other.as_ref().overlaps(candidate))
}

/// The tier a day with `services` qualifying services is paid in, under the payer's
/// `minimum_services_per_day`; `None` when the day is below the minimum (paid nothing).
///
/// judgement: a payer may set its minimum below 3 (say 2). Medicare has no rate for a 2-service
/// day; Noridian describes APC 5851 as IOP "up to three" services a day (domain reference
/// §4.3), so a day at or above the payer's minimum with fewer than 4 services is paid the `3`
/// rate. A payer that sets a minimum above 4 pays nothing below it, even for a 4-service day.
pub fn tier_for(services: u32, minimum: u32) -> Option<Tier> {
    if services < minimum {
        None
    } else if services >= FOUR_PLUS {
        Some(Tier::FourPlus)
    } else {
        Some(Tier::Three)
    }
}

/// What a per-service day of `level` on `date` with `services` qualifying services is expected
/// to be paid, from `rates` (one payer's day rates) and the payer's `minimum` services per day:
/// - below the minimum: 0.00 (known without any rate: such a day is not paid);
/// - at the minimum and up to 3 services: the `3` rate in force that day;
/// - 4 or more: the `4+` rate in force that day.
///
/// `None` when the rate the day needs is not in force: the claim then says "not known" rather
/// than a wrong figure (the `3` rate is never used for a `4+` day or the other way round).
pub fn expected_for_day<R: AsRef<NewDayRate>>(
    rates: &[R],
    level: LevelOfCare,
    date: NaiveDate,
    services: u32,
    minimum: u32,
) -> Option<Decimal> {
    match tier_for(services, minimum) {
        None => Some(to_cents(Decimal::ZERO)),
        Some(tier) => in_force(rates, level, tier, date).map(|r| r.as_ref().amount.amount()),
    }
}

/// A claim's expected amount: the sum of its days' [`expected_for_day`], each day given as its
/// date and its number of qualifying services. `None` as soon as one day's is not known — a
/// partial sum would read as an underpayment that is not one.
pub fn expected_for_claim<R: AsRef<NewDayRate>>(
    rates: &[R],
    level: LevelOfCare,
    days: &[(NaiveDate, u32)],
    minimum: u32,
) -> Option<Decimal> {
    days.iter()
        .map(|(date, services)| expected_for_day(rates, level, *date, *services, minimum))
        .sum::<Option<Decimal>>()
        .map(to_cents)
}

/// The wire shape (and, through [`DayRateInput`], the stored one).
impl Serialize for NewDayRate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire {
            payer_id: Uuid,
            level_of_care: LevelOfCare,
            services: Tier,
            amount: Money,
            effective_from: NaiveDate,
            effective_to: Option<NaiveDate>,
        }
        Wire {
            payer_id: self.payer_id,
            level_of_care: self.level_of_care,
            services: self.services,
            amount: self.amount,
            effective_from: self.period.from,
            effective_to: self.period.to,
        }
        .serialize(serializer)
    }
}

/// A day rate as it arrives on the wire (and as a PATCH is merged onto). The amount is a
/// string; a JSON number is refused by its type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayRateInput {
    pub payer_id: Option<String>,
    pub level_of_care: Option<String>,
    pub services: Option<String>,
    pub amount: Option<String>,
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
}

fn amount(raw: String) -> Result<Money, String> {
    let money = Money::parse(&raw)?;
    if money.is_zero() {
        return Err(
            "must be greater than 0 (a day below the payer's minimum is paid 0.00 \
                    without a rate)"
                .into(),
        );
    }
    Ok(money)
}

impl DayRateInput {
    /// The rules of the fields and between them. Whether the payer exists needs the database;
    /// the caller checks it.
    pub fn parse(self) -> Result<NewDayRate, Invalid> {
        let mut fields = Fields::new();
        let payer_id = fields.required("payer_id", self.payer_id, |raw| parse_id(&raw));
        let level_of_care = fields.required("level_of_care", self.level_of_care, |raw| {
            LevelOfCare::parse(&raw)
        });
        let services = fields.required("services", self.services, |raw| Tier::parse(&raw));
        let amount = fields.required("amount", self.amount, amount);
        let effective_from = fields.required("effective_from", self.effective_from, |raw| {
            parse_service_date(&raw)
        });
        let effective_to = fields.optional("effective_to", self.effective_to, |raw| {
            parse_service_date(&raw)
        });
        if let (Some(from), Some(Some(to))) = (effective_from, effective_to) {
            if to < from {
                fields.push("effective_to", "must not be before effective_from");
            }
        }
        fields.finish_with(|| {
            Some(NewDayRate {
                payer_id: payer_id?,
                level_of_care: level_of_care?,
                services: services?,
                amount: amount?,
                period: Period {
                    from: effective_from?,
                    to: effective_to?,
                },
            })
        })
    }
}

impl From<&NewDayRate> for DayRateInput {
    fn from(terms: &NewDayRate) -> DayRateInput {
        DayRateInput {
            payer_id: Some(terms.payer_id.to_string()),
            level_of_care: Some(terms.level_of_care.as_str().to_string()),
            services: Some(terms.services.as_str().to_string()),
            amount: Some(terms.amount.to_string()),
            effective_from: Some(terms.period.from.to_string()),
            effective_to: terms.period.to.map(|d| d.to_string()),
        }
    }
}

/// Terms a rate keeps for life: what it prices. A different payer, level or tier is a
/// different rate.
pub fn fixed_changes(stored: &NewDayRate, next: &NewDayRate) -> Result<(), Invalid> {
    let mut fields = Fields::new();
    let message = "is fixed once the day rate is created; end this one with effective_to and \
                   create another";
    if stored.payer_id != next.payer_id {
        fields.push("payer_id", message);
    }
    if stored.level_of_care != next.level_of_care {
        fields.push("level_of_care", message);
    }
    if stored.services != next.services {
        fields.push("services", message);
    }
    fields.finish()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::person::parse_date;

    fn date(raw: &str) -> NaiveDate {
        parse_date(raw).unwrap()
    }

    fn d(raw: &str) -> Decimal {
        Decimal::from_str(raw).unwrap()
    }

    fn valid() -> DayRateInput {
        DayRateInput {
            payer_id: Some("0194f1d2-6a4e-7c1b-9a53-2d2f5c9e8a10".into()),
            level_of_care: Some("PHP".into()),
            services: Some("3".into()),
            amount: Some("260.15".into()),
            effective_from: Some("2026-01-01".into()),
            effective_to: None,
        }
    }

    fn rate(level: &str, tier: &str, amount: &str, from: &str, to: Option<&str>) -> NewDayRate {
        DayRateInput {
            level_of_care: Some(level.into()),
            services: Some(tier.into()),
            amount: Some(amount.into()),
            effective_from: Some(from.into()),
            effective_to: to.map(Into::into),
            ..valid()
        }
        .parse()
        .unwrap()
    }

    fn bad_fields(result: Result<NewDayRate, Invalid>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_day_rate_parses_serialises_and_round_trips() {
        let mut input = valid();
        input.services = Some("4+".into());
        input.amount = Some("370.5".into());
        input.effective_to = Some("2026-12-31".into());
        let parsed = input.parse().unwrap();
        assert_eq!(parsed.services, Tier::FourPlus);
        assert_eq!(parsed.amount.to_string(), "370.50");
        assert_eq!(DayRateInput::from(&parsed).parse().unwrap(), parsed);
        let wire = serde_json::to_value(&parsed).unwrap();
        assert_eq!(wire["services"], "4+");
        assert_eq!(wire["amount"], "370.50");
        assert_eq!(wire["level_of_care"], "PHP");
        assert_eq!(wire["effective_to"], "2026-12-31");
    }

    #[test]
    fn every_missing_field_is_named() {
        assert_eq!(
            bad_fields(DayRateInput::default().parse()),
            [
                "payer_id",
                "level_of_care",
                "services",
                "amount",
                "effective_from"
            ]
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Change = fn(&mut DayRateInput);
        let cases: Vec<(Change, &str)> = vec![
            (|i| i.payer_id = Some("42".into()), "payer_id"),
            (|i| i.level_of_care = Some("RTC".into()), "level_of_care"),
            (|i| i.services = Some("4".into()), "services"),
            (|i| i.services = Some("2".into()), "services"),
            (|i| i.services = Some("3+".into()), "services"),
            (|i| i.amount = Some("12.345".into()), "amount"),
            (|i| i.amount = Some("-1.00".into()), "amount"),
            (|i| i.amount = Some("0.00".into()), "amount"),
            (|i| i.amount = Some("100000000.00".into()), "amount"),
            (
                |i| i.effective_from = Some("2026-1-1".into()),
                "effective_from",
            ),
            (
                |i| i.effective_to = Some("2025-12-31".into()),
                "effective_to",
            ),
        ];
        for (change, field) in cases {
            let mut input = valid();
            change(&mut input);
            assert_eq!(bad_fields(input.parse()), [field]);
        }
    }

    #[test]
    fn only_the_same_payer_level_and_tier_conflict() {
        let a = rate("PHP", "3", "260.00", "2026-01-01", None);
        let four = rate("PHP", "4+", "370.00", "2026-01-01", None);
        let iop = rate("IOP", "3", "100.00", "2026-01-01", None);
        let mut other_payer = a.clone();
        other_payer.payer_id = Uuid::nil();
        let stored = [four, iop, other_payer];
        assert!(first_overlap(&stored, &a).is_none());
        let later = rate("PHP", "3", "270.00", "2027-01-01", None);
        let stored = [later.clone()];
        assert_eq!(first_overlap(&stored, &a), Some(&later));
        let before = rate("PHP", "3", "250.00", "2025-01-01", Some("2025-12-31"));
        assert!(first_overlap(&[before], &a).is_none(), "adjacent");
    }

    #[test]
    fn payer_level_and_tier_are_fixed() {
        let stored = valid().parse().unwrap();
        let mut next = stored.clone();
        next.amount = Money::parse("270").unwrap();
        next.period.to = Some(date("2026-06-30"));
        assert!(fixed_changes(&stored, &next).is_ok());
        next.level_of_care = LevelOfCare::Iop;
        next.services = Tier::FourPlus;
        let fields: Vec<String> = fixed_changes(&stored, &next)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["level_of_care", "services"]);
    }

    #[test]
    fn the_tier_follows_the_count_and_the_payers_minimum() {
        // Medicare's minimum of 3.
        assert_eq!(tier_for(0, 3), None);
        assert_eq!(tier_for(2, 3), None);
        assert_eq!(tier_for(3, 3), Some(Tier::Three));
        assert_eq!(tier_for(4, 3), Some(Tier::FourPlus));
        assert_eq!(tier_for(9, 3), Some(Tier::FourPlus));
        // judgement: a payer's minimum of 2 pays a 2-service day at the 3 rate.
        assert_eq!(tier_for(1, 2), None);
        assert_eq!(tier_for(2, 2), Some(Tier::Three));
        assert_eq!(tier_for(1, 1), Some(Tier::Three));
        // A minimum above 4 leaves a 4-service day unpaid.
        assert_eq!(tier_for(4, 5), None);
        assert_eq!(tier_for(5, 5), Some(Tier::FourPlus));
    }

    fn php_rates() -> Vec<NewDayRate> {
        vec![
            rate("PHP", "3", "260.15", "2026-01-01", Some("2026-03-15")),
            rate("PHP", "3", "265.40", "2026-03-16", None),
            rate("PHP", "4+", "370.20", "2026-01-01", None),
            rate("IOP", "3", "101.00", "2026-01-01", None),
        ]
    }

    #[test]
    fn a_day_is_expected_at_its_tiers_rate_zero_below_the_minimum_and_unknown_without_a_rate() {
        let rates = php_rates();
        let php = |day: &str, services: u32| {
            expected_for_day(&rates, LevelOfCare::Php, date(day), services, 3)
        };
        assert_eq!(php("2026-03-02", 2), Some(d("0.00")));
        assert_eq!(php("2026-03-02", 2).unwrap().to_string(), "0.00");
        assert_eq!(php("2026-03-02", 3), Some(d("260.15")));
        assert_eq!(php("2026-03-02", 4), Some(d("370.20")));
        assert_eq!(php("2026-03-02", 7), Some(d("370.20")));
        // Before any rate: a day that needs one is not known; a day below the minimum is.
        assert_eq!(php("2025-12-31", 3), None);
        assert_eq!(php("2025-12-31", 4), None);
        assert_eq!(php("2025-12-31", 1), Some(d("0.00")));
        // IOP has a 3 rate and no 4+ rate: the 3 rate is not taken for a 4-service day.
        let iop =
            |services| expected_for_day(&rates, LevelOfCare::Iop, date("2026-03-02"), services, 3);
        assert_eq!(iop(3), Some(d("101.00")));
        assert_eq!(iop(4), None);
        // A payer's minimum of 2.
        let two = expected_for_day(&rates, LevelOfCare::Php, date("2026-03-02"), 2, 2);
        assert_eq!(two, Some(d("260.15")));
    }

    #[test]
    fn a_claims_expected_amount_sums_its_days_across_a_rate_change_mid_month() {
        let rates = php_rates();
        // March 2026: the 3 rate changes on the 16th.
        let days = [
            (date("2026-03-02"), 2), // below the minimum: 0.00
            (date("2026-03-03"), 3), // 260.15
            (date("2026-03-13"), 4), // 370.20
            (date("2026-03-15"), 3), // 260.15 (last day of the old rate)
            (date("2026-03-16"), 3), // 265.40 (first day of the new one)
            (date("2026-03-30"), 5), // 370.20
        ];
        let total = expected_for_claim(&rates, LevelOfCare::Php, &days, 3).unwrap();
        assert_eq!(total, d("1526.10"));
        assert_eq!(total.to_string(), "1526.10");
        // One day without its rate makes the claim's figure unknown, not smaller.
        let mut with_unknown = days.to_vec();
        with_unknown.push((date("2025-12-31"), 3));
        assert_eq!(
            expected_for_claim(&rates, LevelOfCare::Php, &with_unknown, 3),
            None
        );
        // No days: nothing expected.
        assert_eq!(
            expected_for_claim(&rates, LevelOfCare::Php, &[], 3).map(|t| t.to_string()),
            Some("0.00".to_string())
        );
        // Only days below the minimum: known to be 0.00 even with no rates at all.
        let none: [NewDayRate; 0] = [];
        assert_eq!(
            expected_for_claim(&none, LevelOfCare::Php, &[(date("2026-03-02"), 1)], 3),
            Some(d("0"))
        );
    }

    #[test]
    fn the_rate_in_force_is_found_at_its_boundaries() {
        let rates = php_rates();
        let find = |tier, day: &str| {
            in_force(&rates, LevelOfCare::Php, tier, date(day)).map(|r| r.amount.to_string())
        };
        assert_eq!(find(Tier::Three, "2025-12-31"), None);
        assert_eq!(find(Tier::Three, "2026-01-01").as_deref(), Some("260.15"));
        assert_eq!(find(Tier::Three, "2026-03-15").as_deref(), Some("260.15"));
        assert_eq!(find(Tier::Three, "2026-03-16").as_deref(), Some("265.40"));
        assert_eq!(find(Tier::Three, "2099-01-01").as_deref(), Some("265.40"));
        assert_eq!(
            find(Tier::FourPlus, "2026-03-15").as_deref(),
            Some("370.20")
        );
    }
}
