//! The application's services: the work behind the handlers (and the batch worker), each owning
//! one capability. They take the [`crate::state::AppState`] or a store transaction, never an
//! HTTP request.

pub mod acknowledgments;
pub mod alerts;
pub mod attendance;
pub mod batch;
pub mod claim_files;
pub mod claims;
pub mod estimates;
pub mod remittances;
pub mod roster;
pub mod sign_in;
pub mod verification;
