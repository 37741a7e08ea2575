//! The admissions screens (issue 14, screens 1 to 4): find or enroll a client, verify IOP/PHP
//! benefits with the payer, read the result side by side, print the VOB, estimate, and verify
//! tomorrow's list of callers in one batch.

pub mod batch;
pub mod client;
pub mod enroll;
pub mod estimate;
pub mod figures;
pub mod find;
pub mod result;
pub mod roster;

use crate::domain::role::Role;

/// Who reads clients and their verifications (billing reads what admissions found).
pub const READERS: &[Role] = &[Role::Admissions, Role::Billing];
/// Who enrolls clients and asks payers.
pub const ASKERS: &[Role] = &[Role::Admissions];

/// The menu item the admissions screens belong to.
pub const HOME: &str = "/clients";
