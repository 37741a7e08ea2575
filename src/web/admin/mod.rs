//! Admin screens (issue 14, screen 6): the clinic record, staff accounts, payers and the audit
//! log. Only admins open them; anyone else gets the friendly 403 page.

pub mod audit_log;
pub mod clinic;
pub mod payers;
pub mod staff;

use crate::domain::role::Role;

pub const ADMINS: &[Role] = &[Role::Admin];
