//! Forged, tampered and out-of-policy tokens against keys made here: each must be refused with
//! the reason naming the failed check.

use identity_authn::{JwtError, JwtValidator, ValidatedToken};
use ring::hmac;
use serde_json::{Value, json};

use crate::support::{FakeIdp, NOW_SECS, Signer, b64, clock, forged, validator};

struct Setup {
    idp: FakeIdp,
    rsa: Signer,
    validator: JwtValidator,
}

async fn setup() -> Setup {
    let rsa = Signer::rsa("rsa-1");
    let idp = FakeIdp::start("", &[&rsa]).await;
    Setup { idp, rsa, validator: validator(&clock()) }
}

impl Setup {
    async fn validate(&self, token: &str) -> Result<ValidatedToken, JwtError> {
        self.validator.validate(token, &self.idp.policy()).await
    }

    /// Validates a token signed with the RSA key whose claims are the defaults plus `extra`.
    async fn claims(&self, extra: Value) -> Result<ValidatedToken, JwtError> {
        self.validate(&self.rsa.token(&self.idp.claims(extra))).await
    }
}

#[tokio::test]
async fn a_valid_token_is_accepted_with_each_key_type() {
    let (rsa, ec, ed) = (Signer::rsa("rsa-1"), Signer::p256("ec-1"), Signer::ed25519("ed-1"));
    let idp = FakeIdp::start("", &[&rsa, &ec, &ed]).await;
    let validator = validator(&clock());
    let claims = idp.claims(json!({"client_id": "app"}));
    for token in [
        rsa.token(&claims),
        rsa.token_with(&json!({"alg": "PS256", "kid": "rsa-1"}), &claims),
        rsa.token_with(&json!({"alg": "RS512", "kid": "rsa-1"}), &claims),
        ec.token(&claims),
        ed.token(&claims),
    ] {
        let validated = validator.validate(&token, &idp.policy()).await.unwrap();
        assert_eq!(validated.subject, "alice");
        assert_eq!(validated.issuer, idp.issuer());
        assert_eq!(validated.audiences, [crate::support::AUDIENCE]);
        assert_eq!(validated.client_id.as_deref(), Some("app"));
        assert_eq!(validated.scopes, ["read"]);
        assert_eq!(validated.expires_at, (NOW_SECS + 300) * 1000);
    }
    assert_eq!((idp.discovery_fetches(), idp.jwks_fetches()), (1, 1), "keys are fetched once and cached");
}

#[tokio::test]
async fn alg_none_is_refused() {
    let s = setup().await;
    let claims = s.idp.claims(json!({}));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let unsigned = forged(&json!({"alg": alg, "kid": "rsa-1"}), &claims, b"");
        assert_eq!(s.validate(&unsigned).await.unwrap_err(), JwtError::AlgNotAllowed, "{alg}");
        // The same with a real RSA signature appended changes nothing.
        let signed = s.rsa.token(&claims);
        let with_sig = format!("{}{}", unsigned, signed.rsplit('.').next().unwrap());
        assert_eq!(s.validate(&with_sig).await.unwrap_err(), JwtError::AlgNotAllowed, "{alg}");
    }
}

#[tokio::test]
async fn hs256_keyed_with_the_published_rsa_key_is_refused() {
    let s = setup().await;
    let claims = s.idp.claims(json!({}));
    // The classic confusion: an HMAC "signature" keyed with what the JWKS publishes.
    let published =
        [s.rsa.public_der(), s.rsa.jwk().to_string().into_bytes(), s.rsa.jwk()["n"].to_string().into_bytes()];
    for (alg, hmac_alg) in [("HS256", hmac::HMAC_SHA256), ("HS384", hmac::HMAC_SHA384), ("HS512", hmac::HMAC_SHA512)] {
        for secret in &published {
            let header = json!({"alg": alg, "typ": "JWT", "kid": "rsa-1"});
            let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
            let tag = hmac::sign(&hmac::Key::new(hmac_alg, secret), input.as_bytes());
            let token = format!("{input}.{}", b64(tag.as_ref()));
            assert_eq!(s.validate(&token).await.unwrap_err(), JwtError::AlgNotAllowed, "{alg}");
        }
    }
}

#[tokio::test]
async fn header_alg_must_match_the_key_type_and_alg() {
    let (rsa, ec) = (Signer::rsa("rsa-1"), Signer::p256("ec-1"));
    let idp = FakeIdp::start("", &[&ec]).await;
    let mut pinned = rsa.jwk();
    pinned["alg"] = json!("RS256");
    let mut keys = vec![pinned, ec.jwk()];
    keys[1]["alg"] = json!("ES256");
    idp.publish_raw(keys);
    let validator = validator(&clock());
    let claims = idp.claims(json!({}));
    let refused = [
        rsa.token_with(&json!({"alg": "PS256", "kid": "rsa-1"}), &claims), // key pinned to RS256
        rsa.token_with(&json!({"alg": "RS256", "kid": "ec-1"}), &claims),  // RSA alg, EC key
        ec.token_with(&json!({"alg": "ES384", "kid": "ec-1"}), &claims),   // P-256 key
        ec.token_with(&json!({"alg": "EdDSA", "kid": "ec-1"}), &claims),
    ];
    for token in refused {
        assert_eq!(validator.validate(&token, &idp.policy()).await.unwrap_err(), JwtError::AlgNotAllowed);
    }
    assert!(validator.validate(&rsa.token(&claims), &idp.policy()).await.is_ok());
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let s = setup().await;
    let token = s.rsa.token(&s.idp.claims(json!({})));
    let (input, signature) = token.rsplit_once('.').unwrap();
    let (header, _) = input.split_once('.').unwrap();
    // Claims swapped after signing.
    let escalated =
        format!("{header}.{}.{signature}", b64(s.idp.claims(json!({"sub": "admin"})).to_string().as_bytes()));
    assert_eq!(s.validate(&escalated).await.unwrap_err(), JwtError::BadSignature);
    // Signed by another key that claims the published key's kid.
    let impostor = Signer::p256("rsa-1").token_with(&json!({"alg": "RS256", "kid": "rsa-1"}), &s.idp.claims(json!({})));
    let (impostor_input, _) = impostor.rsplit_once('.').unwrap();
    let forged_sig = format!("{impostor_input}.{}", b64(&[7u8; 256]));
    assert_eq!(s.validate(&forged_sig).await.unwrap_err(), JwtError::BadSignature);
    // A truncated signature (cut at a base64 block boundary, so it still decodes).
    let truncated = format!("{input}.{}", &signature[..128]);
    assert_eq!(s.validate(&truncated).await.unwrap_err(), JwtError::BadSignature);
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let s = setup().await;
    assert_eq!(s.claims(json!({"exp": NOW_SECS - 61, "iat": NOW_SECS - 400})).await.unwrap_err(), JwtError::Expired);
    assert!(s.claims(json!({"exp": NOW_SECS - 30})).await.is_ok(), "within the 60 s leeway");
    assert_eq!(s.claims(json!({"exp": null})).await.unwrap_err(), JwtError::MissingClaim("exp".into()));
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let s = setup().await;
    assert_eq!(s.claims(json!({"nbf": NOW_SECS + 120})).await.unwrap_err(), JwtError::NotYetValid);
    assert_eq!(s.claims(json!({"iat": NOW_SECS + 120})).await.unwrap_err(), JwtError::NotYetValid);
    assert!(s.claims(json!({"nbf": NOW_SECS + 30})).await.is_ok(), "within the 60 s leeway");
}

#[tokio::test]
async fn a_wrong_issuer_is_refused() {
    let s = setup().await;
    for iss in [json!("https://evil.example.com"), json!(format!("{}/", s.idp.issuer())), Value::Null] {
        assert_eq!(s.claims(json!({"iss": iss})).await.unwrap_err(), JwtError::BadIssuer, "{iss}");
    }
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    let s = setup().await;
    assert_eq!(s.claims(json!({"aud": "api://other"})).await.unwrap_err(), JwtError::BadAudience);
    assert_eq!(s.claims(json!({"aud": ["a", "b"]})).await.unwrap_err(), JwtError::BadAudience);
    assert_eq!(s.claims(json!({"aud": null})).await.unwrap_err(), JwtError::BadAudience);
}

#[tokio::test]
async fn a_client_not_allowed_is_refused() {
    let s = setup().await;
    let policy = identity_authn::AuthorizerPolicy {
        allowed_audiences: Vec::new(),
        allowed_clients: vec!["app".into()],
        ..s.idp.policy()
    };
    let token = |client: &str| s.rsa.token(&s.idp.claims(json!({"client_id": client})));
    assert!(s.validator.validate(&token("app"), &policy).await.is_ok());
    assert_eq!(s.validator.validate(&token("evil"), &policy).await.unwrap_err(), JwtError::ClientNotAllowed);
}

#[tokio::test]
async fn a_missing_required_scope_is_refused() {
    let s = setup().await;
    let policy = identity_authn::AuthorizerPolicy { allowed_scopes: vec!["admin".into()], ..s.idp.policy() };
    let token = |scope: &str| s.rsa.token(&s.idp.claims(json!({"scope": scope})));
    assert_eq!(s.validator.validate(&token("read write"), &policy).await.unwrap_err(), JwtError::MissingScope);
    assert!(s.validator.validate(&token("read admin"), &policy).await.is_ok());
}

#[tokio::test]
async fn a_missing_required_claim_is_refused() {
    let s = setup().await;
    let required = [("tenant".to_owned(), "acme".to_owned())].into();
    let policy = identity_authn::AuthorizerPolicy { required_claims: required, ..s.idp.policy() };
    let token = |extra| s.rsa.token(&s.idp.claims(extra));
    let missing = JwtError::MissingClaim("tenant".into());
    assert_eq!(s.validator.validate(&token(json!({})), &policy).await.unwrap_err(), missing);
    assert_eq!(s.validator.validate(&token(json!({"tenant": "other"})), &policy).await.unwrap_err(), missing);
    assert!(s.validator.validate(&token(json!({"tenant": "acme"})), &policy).await.is_ok());
}

#[tokio::test]
async fn an_unknown_kid_is_refused() {
    let s = setup().await;
    let token = s.rsa.token_with(&json!({"alg": "RS256", "kid": "nobody"}), &s.idp.claims(json!({})));
    assert_eq!(s.validate(&token).await.unwrap_err(), JwtError::UnknownKid);
}

#[tokio::test]
async fn an_oversized_token_is_refused_unparsed() {
    let s = setup().await;
    let token = s.rsa.token(&s.idp.claims(json!({"padding": "x".repeat(16 * 1024)})));
    assert_eq!(s.validate(&token).await.unwrap_err(), JwtError::TooLarge { max: 16 * 1024 });
    assert_eq!(s.validate(&"a".repeat(1 << 20)).await.unwrap_err().reason(), "too_large");
    assert_eq!(s.idp.discovery_fetches(), 0, "nothing was fetched for it");
}

#[tokio::test]
async fn malformed_segments_are_refused() {
    let s = setup().await;
    let token = s.rsa.token(&s.idp.claims(json!({})));
    let parts: Vec<&str> = token.split('.').collect();
    let not_json = b64(b"not json");
    let array = b64(b"[1]");
    let cases = [
        String::new(),
        "Bearer x.y.z".to_owned(),
        parts[..2].join("."),
        format!("{token}.{}", parts[2]),
        format!("{}.{}.{}", parts[0], not_json, parts[2]),
        format!("{}.{}.{}", parts[0], array, parts[2]),
        format!("{}.{}.{}", not_json, parts[1], parts[2]),
        format!("{}.{}=.{}", parts[0], parts[1], parts[2]),
        format!("{}.{}.", parts[0], parts[1]),
    ];
    for case in cases {
        let err = s.validate(&case).await.unwrap_err();
        // Claims that are not JSON fail at signature check or parsing; either way, refused.
        assert!(matches!(err.reason(), "malformed" | "bad_signature"), "{case:?}: {err}");
    }
}

#[tokio::test]
async fn an_unknown_crit_header_is_refused() {
    let s = setup().await;
    let claims = s.idp.claims(json!({}));
    let token = s.rsa.token_with(&json!({"alg": "RS256", "kid": "rsa-1", "crit": ["exp"], "exp": 1}), &claims);
    assert_eq!(s.validate(&token).await.unwrap_err(), JwtError::CritUnsupported);
    let b64_off = s.rsa.token_with(&json!({"alg": "RS256", "kid": "rsa-1", "crit": ["b64"], "b64": false}), &claims);
    assert_eq!(s.validate(&b64_off).await.unwrap_err(), JwtError::CritUnsupported);
}

#[tokio::test]
async fn errors_never_echo_the_token() {
    let s = setup().await;
    let claims = s.idp.claims(json!({"exp": NOW_SECS - 3600, "secret": "s3cr3t-value"}));
    let token = s.rsa.token(&claims);
    let err = s.validate(&token).await.unwrap_err();
    let text = format!("{err} {err:?}");
    for part in token.split('.') {
        assert!(!text.contains(part), "{text}");
    }
    assert!(!text.contains("s3cr3t"), "{text}");
}
