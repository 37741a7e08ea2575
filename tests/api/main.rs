//! One integration-test binary: every test spawns the real app on a random port with a fresh
//! database (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set).

mod helpers;

mod acknowledgments;
mod attendance;
mod audit;
mod auth;
mod authorizations;
mod batches;
mod browser;
mod browser_flows;
mod claims;
mod cli;
mod clients;
mod contract;
mod core_soap;
mod coverages;
mod dates;
mod episodes;
mod errors;
mod estimates;
mod fee_schedules;
mod group_commit;
mod ledger;
mod login_limits;
mod logs;
mod metrics;
mod names;
mod organization;
mod payer_secrets;
mod payers;
mod per_service;
mod real_answers;
mod remittances;
mod reports;
mod scenarios;
mod store;
mod users;
mod verifications;
mod web_admin;
mod web_admissions;
mod web_billing;
mod web_estimates;
mod web_pages;
mod web_support;
