use serde_json::json;

use super::*;

fn b64(len: usize) -> String {
    URL_SAFE_NO_PAD.encode(vec![0xc1; len])
}

fn rsa(extra: Value) -> Value {
    let mut key = json!({"kty": "RSA", "kid": "r", "n": b64(256), "e": "AQAB"});
    key.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    key
}

fn parse_one(key: Value) -> Option<VerifyingKey> {
    let mut keys = parse_jwks(json!({"keys": [key]})).unwrap();
    assert!(keys.len() <= 1);
    keys.pop()
}

#[test]
fn an_rsa_key_without_alg_verifies_the_rsa_family_only() {
    let key = parse_one(rsa(json!({}))).unwrap();
    assert_eq!(key.kid.as_deref(), Some("r"));
    assert_eq!(key.algorithms, RSA_ALGS);
    assert!(!key.accepts(Algorithm::ES256) && !key.accepts(Algorithm::HS256) && !key.accepts(Algorithm::EdDSA));
}

#[test]
fn a_key_pinned_to_an_alg_verifies_that_alg_only() {
    let key = parse_one(rsa(json!({"alg": "RS256", "use": "sig", "key_ops": ["verify"]}))).unwrap();
    assert_eq!(key.algorithms, [Algorithm::RS256]);
    assert!(!key.accepts(Algorithm::PS256));
    // An alg that does not fit the key type, or that is not accepted at all, disables the key.
    for alg in ["ES256", "HS256", "none", "RSA-OAEP"] {
        assert!(parse_one(rsa(json!({"alg": alg}))).is_none(), "{alg}");
    }
}

#[test]
fn encryption_and_symmetric_keys_are_skipped() {
    assert!(parse_one(rsa(json!({"use": "enc"}))).is_none());
    assert!(parse_one(rsa(json!({"key_ops": ["encrypt", "wrapKey"]}))).is_none());
    assert!(parse_one(json!({"kty": "oct", "kid": "h", "k": b64(32), "alg": "HS256"})).is_none());
    assert!(parse_one(json!({"kty": "RSA", "kid": "no-modulus", "e": "AQAB"})).is_none());
}

#[test]
fn ec_and_okp_keys_verify_their_curve_s_algorithm() {
    let p256 = parse_one(json!({"kty": "EC", "crv": "P-256", "x": b64(32), "y": b64(32)})).unwrap();
    assert_eq!(p256.algorithms, [Algorithm::ES256]);
    let p384 = parse_one(json!({"kty": "EC", "crv": "P-384", "x": b64(48), "y": b64(48)})).unwrap();
    assert_eq!(p384.algorithms, [Algorithm::ES384]);
    let ed = parse_one(json!({"kty": "OKP", "crv": "Ed25519", "x": b64(32)})).unwrap();
    assert_eq!(ed.algorithms, [Algorithm::EdDSA]);
    // A P-256 key claiming ES384, unsupported curves, and coordinates of the wrong size.
    assert!(parse_one(json!({"kty": "EC", "crv": "P-256", "alg": "ES384", "x": b64(32), "y": b64(32)})).is_none());
    assert!(parse_one(json!({"kty": "EC", "crv": "P-521", "x": b64(66), "y": b64(66)})).is_none());
    assert!(parse_one(json!({"kty": "EC", "crv": "P-256", "x": b64(31), "y": b64(32)})).is_none());
    assert!(parse_one(json!({"kty": "OKP", "crv": "X25519", "x": b64(32)})).is_none());
    assert!(parse_one(json!({"kty": "OKP", "crv": "Ed25519", "x": b64(57)})).is_none());
}

#[test]
fn one_bad_key_does_not_spoil_the_set_but_a_non_jwks_is_an_error() {
    let keys = parse_jwks(json!({"keys": [{"kty": 1}, "junk", rsa(json!({}))]})).unwrap();
    assert_eq!(keys.len(), 1);
    assert!(parse_jwks(json!({"kid": "x"})).is_err());
    assert!(parse_jwks(json!([rsa(json!({}))])).is_err());
    assert!(parse_jwks(json!({"keys": []})).unwrap().is_empty());
}
