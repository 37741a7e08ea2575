//! Outbound: payers reached over HTTP, one adapter per protocol, all speaking the domain's
//! [`crate::domain::eligibility`] types to the rest of the app.

pub mod x12_map;
