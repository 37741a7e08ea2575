//! The application's services: the work behind the handlers (and the batch worker), each owning
//! one capability, shared by the API's routes and the web app's pages (which depend on services,
//! never on routes). They take the [`crate::state::AppState`], a store transaction, or — where
//! they audit what they read and write — the request's audited context
//! ([`crate::routes::context::Ctx`], [`crate::routes::context::Audited`]); never an HTTP request
//! itself.

pub mod acknowledgments;
pub mod alerts;
pub mod attendance;
pub mod authorizations;
pub mod batch;
pub mod claim_actions;
pub mod claim_files;
pub mod claims;
pub mod estimates;
pub mod payers;
pub mod remittances;
pub mod roster;
pub mod sign_in;
pub mod verification;
