//! The checks made before any key is looked up: size, shape and the JOSE header.
//!
//! jsonwebtoken parses headers leniently (unknown parameters and `crit` are ignored), so the
//! header is decoded here first and refused when it asks for anything not understood.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use crate::JwtError;

/// The accepted algorithms: asymmetric only. HMAC is never accepted, as its key would be the
/// published one, and `none` is not an algorithm.
pub(crate) const ALLOWED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// An accepted algorithm by its JOSE name.
pub(crate) fn algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        _ => return None,
    })
}

/// The header of a token that passed the pre-signature checks.
#[derive(Debug)]
pub(crate) struct Header {
    pub alg: Algorithm,
    pub kid: Option<String>,
}

/// Checks the token's size and shape and decodes its header. Runs before any key lookup or
/// signature check, so nothing here costs the IdP a request.
pub(crate) fn inspect(token: &str, max_bytes: usize) -> Result<Header, JwtError> {
    if token.len() > max_bytes {
        return Err(JwtError::TooLarge { max: max_bytes });
    }
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (segments.next(), segments.next(), segments.next(), segments.next())
    else {
        return Err(JwtError::Malformed("not three dot-separated segments"));
    };
    if header.is_empty() || payload.is_empty() {
        return Err(JwtError::Malformed("empty segment"));
    }
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| JwtError::Malformed("header is not base64url"))?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed("header is not a JSON object"))?;
    if header.contains_key("crit") {
        return Err(JwtError::CritUnsupported);
    }
    let alg = match header.get("alg") {
        Some(Value::String(name)) => algorithm(name).ok_or(JwtError::AlgNotAllowed)?,
        Some(_) => return Err(JwtError::AlgNotAllowed),
        None => return Err(JwtError::Malformed("header has no alg")),
    };
    let kid = match header.get("kid") {
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(JwtError::Malformed("kid is not a string")),
        None => None,
    };
    if signature.is_empty() {
        return Err(JwtError::Malformed("empty signature"));
    }
    // jsonwebtoken decodes these itself; checking here keeps the error a format error.
    for segment in [payload, signature] {
        if !segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(JwtError::Malformed("segment is not base64url"));
        }
    }
    Ok(Header { alg, kid })
}

#[cfg(test)]
mod tests;
