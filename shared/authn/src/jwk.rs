//! Verification keys from a JWKS document.
//!
//! Each key is read on its own, and one that is not a usable signature-verification key (an
//! encryption key, a symmetric `oct` key, an unknown curve, a bad encoding) is skipped rather
//! than failing the set: IdPs publish such keys beside their signing keys.

use std::fmt;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use crate::header;

const RSA_ALGS: [Algorithm; 6] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512];

/// One key of an issuer: its `kid`, the algorithms it may verify and the key itself.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    pub kid: Option<String>,
    /// The algorithms a token signed with this key may name: the JWK's `alg` when it has one,
    /// otherwise those of its key type (and curve).
    pub algorithms: Vec<Algorithm>,
    pub key: DecodingKey,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey").field("kid", &self.kid).field("algorithms", &self.algorithms).finish()
    }
}

impl VerifyingKey {
    /// Whether a token whose header names `alg` may be verified with this key.
    pub fn accepts(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<Value>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    alg: Option<String>,
    key_ops: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// The usable keys of a JWKS document; an error when it is not a JWKS at all.
pub(crate) fn parse_jwks(document: Value) -> Result<Vec<VerifyingKey>, &'static str> {
    let set: JwkSet = serde_json::from_value(document).map_err(|_| "the document is not a JWKS")?;
    Ok(set.keys.into_iter().filter_map(|key| serde_json::from_value(key).ok().and_then(verifying_key)).collect())
}

fn verifying_key(jwk: Jwk) -> Option<VerifyingKey> {
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    if jwk.key_ops.as_ref().is_some_and(|ops| !ops.iter().any(|op| op == "verify")) {
        return None;
    }
    let (family, key) = match jwk.kty.as_str() {
        "RSA" => (RSA_ALGS.to_vec(), DecodingKey::from_rsa_components(jwk.n.as_deref()?, jwk.e.as_deref()?).ok()?),
        "EC" => {
            let (alg, len) = match jwk.crv.as_deref()? {
                "P-256" => (Algorithm::ES256, 32),
                "P-384" => (Algorithm::ES384, 48),
                _ => return None,
            };
            let (x, y) = (jwk.x.as_deref()?, jwk.y.as_deref()?);
            if decoded_len(x)? != len || decoded_len(y)? != len {
                return None;
            }
            (vec![alg], DecodingKey::from_ec_components(x, y).ok()?)
        }
        "OKP" if jwk.crv.as_deref() == Some("Ed25519") => {
            let x = jwk.x.as_deref()?;
            if decoded_len(x)? != 32 {
                return None;
            }
            (vec![Algorithm::EdDSA], DecodingKey::from_ed_components(x).ok()?)
        }
        // `oct` keys are never used: verifying HMAC with a published key verifies nothing.
        _ => return None,
    };
    let algorithms = match jwk.alg.as_deref() {
        None => family,
        // A key pinned to an algorithm verifies that one only, and only if it fits the key.
        Some(name) => vec![header::algorithm(name).filter(|alg| family.contains(alg))?],
    };
    Some(VerifyingKey { kid: jwk.kid, algorithms, key })
}

fn decoded_len(value: &str) -> Option<usize> {
    URL_SAFE_NO_PAD.decode(value).ok().map(|bytes| bytes.len())
}

#[cfg(test)]
mod tests;
