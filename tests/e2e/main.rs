//! End-to-end scenarios: the built binaries started as processes on free loopback ports (as
//! `make run` starts them), driven by the real CLI, grpcurl and a generated Python client.
//!
//! Needs `cargo build --workspace --bins` first (`make test` does it) and, for the grpcurl and
//! Python parts, the tool virtualenv `make test` prepares (`AGENTCORE_TEST_VENV`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit_trail;
mod authorizers;
mod config_errors;
mod observability;
mod python_client;
mod quickstart;
mod rolling;
mod shutdown;
mod support;
mod vault_rotation;
