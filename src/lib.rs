//! perdiem: benefits verification, prior authorizations, attendance and per-diem claims for
//! intensive outpatient (IOP) and partial hospitalization (PHP) behavioral-health programs.
//!
//! Data flows one way: `routes -> (domain, store)`; `domain` depends on nothing of ours.

pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod key_file;
pub mod metrics;
pub mod mock_payer;
/// Test support (the external validators); public so integration tests can use it.
#[doc(hidden)]
pub mod oracles;
pub mod payers;
pub mod routes;
pub mod secrets;
pub mod services;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod x12;
