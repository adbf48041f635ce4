//! The control plane served in-process on a loopback port (the same `run` as the binary) and
//! driven by generated gRPC clients: authentication, accounts, errors, quotas, secrets,
//! discovery, reflection, on SQLite and on Postgres.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod admin_jwt;
mod audit;
mod authorizers;
mod disconnect;
mod discovery;
mod errors;
mod hardening;
mod reflection;
mod secrets;
mod support;
mod token_vault;
