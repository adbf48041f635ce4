//! Integration tests of the JWT validator: forged and out-of-policy tokens and key caching
//! against a small discovery + JWKS server with keys made here, Cognito-shaped tokens, and
//! tokens from a real OpenID Provider (oidc-provider on loopback, via the test kit).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attacks;
mod cache;
mod cognito;
mod oidc_provider;
mod support;
