use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;

use super::*;

fn token(header: serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let payload = URL_SAFE_NO_PAD.encode(json!({"sub": "alice"}).to_string());
    format!("{header}.{payload}.c2ln")
}

#[test]
fn accepts_each_asymmetric_algorithm_and_reads_the_kid() {
    for name in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"] {
        let header = inspect(&token(json!({"alg": name, "kid": "k1", "typ": "at+jwt"})), 16_384).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k1"), "{name}");
        assert_eq!(Some(header.alg), algorithm(name));
    }
    assert_eq!(inspect(&token(json!({"alg": "ES256"})), 16_384).unwrap().kid, None);
}

#[test]
fn refuses_none_hmac_and_unknown_algorithms() {
    for name in ["none", "None", "NONE", "HS256", "HS384", "HS512", "ES512", "RSA-OAEP", "", "rs256"] {
        let err = inspect(&token(json!({"alg": name, "kid": "k1"})), 16_384).unwrap_err();
        assert_eq!(err, JwtError::AlgNotAllowed, "{name}");
    }
    assert_eq!(inspect(&token(json!({"alg": ["RS256"]})), 16_384).unwrap_err(), JwtError::AlgNotAllowed);
    assert_eq!(inspect(&token(json!({"kid": "k1"})), 16_384).unwrap_err().reason(), "malformed");
}

#[test]
fn none_is_refused_even_with_an_empty_signature() {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string());
    let err = inspect(&format!("{header}.e30."), 16_384).unwrap_err();
    assert_eq!(err, JwtError::AlgNotAllowed);
}

#[test]
fn refuses_any_crit_header() {
    for crit in [json!(["exp"]), json!(["b64"]), json!([]), json!("x")] {
        let err = inspect(&token(json!({"alg": "RS256", "crit": crit, "b64": false})), 16_384).unwrap_err();
        assert_eq!(err, JwtError::CritUnsupported);
    }
}

#[test]
fn checks_size_before_parsing() {
    let long = format!("{}.{}.{}", "a".repeat(100), "b".repeat(100), "c".repeat(100));
    assert_eq!(inspect(&long, 200).unwrap_err(), JwtError::TooLarge { max: 200 });
    // At the cap exactly, the token is parsed (and here found malformed).
    assert_eq!(inspect(&"x".repeat(200), 200).unwrap_err().reason(), "malformed");
}

#[test]
fn refuses_malformed_shapes() {
    let good = token(json!({"alg": "RS256"}));
    let (header, rest) = good.split_once('.').unwrap();
    let cases = [
        String::new(),
        "abc".to_owned(),
        "a.b".to_owned(),
        format!("{good}.extra"),
        format!(".{rest}"),
        format!("{header}..c2ln"),
        format!("{header}=.{rest}"),
        format!("!!!.{rest}"),
        format!("{}.{rest}", URL_SAFE_NO_PAD.encode("not json")),
        format!("{}.{rest}", URL_SAFE_NO_PAD.encode("[1,2]")),
        format!("{header}.e30"),
        format!("{header}.e30."),
        format!("{header}.e3+0.c2ln"),
        format!("{header}.e30.c2l/"),
        format!("{}.{rest}", URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": 7}).to_string())),
    ];
    for case in cases {
        let err = inspect(&case, 16_384).unwrap_err();
        assert_eq!(err.reason(), "malformed", "{case:?}: {err}");
        assert!(!err.to_string().contains(&case) || case.is_empty(), "the error must not echo the token");
    }
}
