//! Dates of service and coverage, and the earliest one perdiem takes.
//!
//! Why a floor at all: no payer takes a claim or an eligibility inquiry for a day that old
//! (timely filing is counted in months), so an earlier date is a slip of the year — `0026` or
//! `1926` for 2026. Caught at entry it is a 422 naming the field; let through, it priced and
//! billed a day of the year 0000, whose 837 no validator accepts (an X12 `D8` date is a real
//! `CCYYMMDD`). Birth dates have their own floor, 1900 ([`super::person::parse_birth_date`]).

use chrono::NaiveDate;

use super::person::parse_date;

/// The first day a date of service or coverage may be.
pub const FIRST_SERVICE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => panic!("2000-01-01 is a calendar date"),
};

/// A date of service or coverage (an attended day, an authorization's window, a fee
/// schedule's effective dates, ...) as `YYYY-MM-DD`, not before [`FIRST_SERVICE_DATE`].
pub fn parse_service_date(raw: &str) -> Result<NaiveDate, String> {
    check_service_date(parse_date(raw)?)
}

/// The floor of [`parse_service_date`], for a date read in another form (an EHR's
/// `MM/DD/YYYY`) or computed from one.
pub fn check_service_date(date: NaiveDate) -> Result<NaiveDate, String> {
    if date < FIRST_SERVICE_DATE {
        return Err(format!(
            "must not be before {FIRST_SERVICE_DATE}; check the year"
        ));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_before_2000_are_refused_and_the_first_day_is_taken() {
        for early in ["0000-03-02", "0026-03-02", "1899-12-31", "1999-12-31"] {
            let refused = parse_service_date(early).unwrap_err();
            assert!(refused.contains("2000-01-01"), "{early}: {refused}");
        }
        assert_eq!(parse_service_date("2000-01-01"), Ok(FIRST_SERVICE_DATE));
        assert!(parse_service_date("2026-02-30").is_err());
    }
}
