//! Runs the built `agentcore` binary: against nothing (connection errors, usage errors, help)
//! and against an in-process fake control plane (tables, JSON, paging, status errors, tokens)
//! and data plane (access keys, workload access tokens, API keys).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod audit;
mod cli;
mod data;
mod fake;
mod offline;
mod online;
mod token;
mod vault;
