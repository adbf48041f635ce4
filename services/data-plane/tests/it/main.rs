//! The data plane served in-process (the binary's `run`) on a store prepared the way the control
//! plane writes it, driven by a generated gRPC client: caller authentication, workload access
//! tokens and their JWKS, API-key vending, isolation between workloads and accounts, and user
//! JWTs validated by JWT authorizers against a real OpenID Provider.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod app_hosted;
mod audit;
mod cluster;
mod custom;
mod disconnect;
mod exchange;
mod federation;
mod jwt;
mod lifecycle;
mod m2m;
mod propagation;
mod rate_limit;
mod resilience;
mod support;
mod vending;
