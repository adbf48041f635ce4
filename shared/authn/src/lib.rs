//! Inbound authentication: the one JWT validator, used wherever a user or admin token from an
//! OIDC identity provider is accepted.
//!
//! [`JwtValidator::validate`] checks a compact JWS against an [`AuthorizerPolicy`] (a stored JWT
//! authorizer): the token's size before anything is parsed; its header (`crit` refused,
//! asymmetric algorithms only, `alg` matched to the key found by `kid`); the signature, with
//! keys from the issuer's JWKS found through OIDC discovery; then `iss`, `exp`, `nbf`, `iat`
//! (with a small leeway, against an injected [`Clock`](identity_domain::Clock)), audience or
//! client, scopes and required claims. Every failure is a [`JwtError`] whose
//! [`reason`](JwtError::reason) names the check, never the token.
//!
//! Keys are cached per discovery URL for a TTL. An unknown `kid` refetches the JWKS at most once
//! per `min_refetch_interval` and is then remembered as unknown for as long, so a flood of made-up
//! `kid`s costs the IdP at most one request per interval. Discovery documents and JWKS are
//! fetched through [`identity_outbound::OutboundClient`], so the SSRF policy applies to them.

mod claims;
mod error;
mod header;
mod jwk;
mod keys;
mod policy;
mod validator;

pub use error::JwtError;
pub use policy::AuthorizerPolicy;
pub use validator::{JwtValidator, ValidatedToken, ValidatorSettings};
