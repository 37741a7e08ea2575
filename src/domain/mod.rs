//! Pure domain types and rules: no actix, no sqlx, no reqwest.
//!
//! Every type here parses, it does not validate: a value of the type cannot be a bad one. Wire
//! inputs (`*Input`) are plain optional fields; their `parse` gathers every field error.

pub mod acknowledgment;
pub mod adjustment_codes;
pub mod attendance;
pub mod authorization;
pub mod benefits;
pub mod billable;
pub mod claim;
pub mod claim_status;
pub mod client;
pub mod coverage;
pub mod dates;
pub mod day_rate;
pub mod eligibility;
pub mod episode;
pub mod estimate;
pub mod fee_schedule;
pub mod identity;
pub mod ids;
pub mod interim;
pub mod money;
pub mod names;
pub mod organization;
pub mod patterns;
pub mod payer;
pub mod person;
pub mod remittance;
pub mod remittance_reports;
pub mod role;
pub mod service_code;
pub mod text;
pub mod user;
pub mod validation;

pub use validation::{FieldError, Fields, Invalid};
