use jsonwebtoken::DecodingKey;

use super::*;

fn key(kid: &str, algorithms: &[Algorithm]) -> Arc<VerifyingKey> {
    Arc::new(VerifyingKey {
        kid: Some(kid.to_owned()),
        algorithms: algorithms.to_vec(),
        key: DecodingKey::from_ed_components("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap(),
    })
}

fn set(keys: Vec<Arc<VerifyingKey>>) -> KeySet {
    KeySet { issuer: "https://idp".into(), jwks_uri: url::Url::parse("https://idp/jwks").unwrap(), keys, fetched_at: 0 }
}

#[test]
fn keys_are_selected_by_kid_and_must_accept_the_alg() {
    let set = set(vec![key("rsa", &[Algorithm::RS256]), key("ec", &[Algorithm::ES256])]);
    let header = |alg, kid: Option<&str>| Header { alg, kid: kid.map(str::to_owned) };
    let found = select(&set, &header(Algorithm::RS256, Some("rsa"))).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kid.as_deref(), Some("rsa"));
    assert!(select(&set, &header(Algorithm::RS256, Some("other"))).unwrap().is_empty());
    assert_eq!(select(&set, &header(Algorithm::PS256, Some("rsa"))).unwrap_err(), JwtError::AlgNotAllowed);
    assert_eq!(select(&set, &header(Algorithm::RS256, Some("ec"))).unwrap_err(), JwtError::AlgNotAllowed);
    // Without a kid, every key accepting the alg is a candidate.
    assert_eq!(select(&set, &header(Algorithm::ES256, None)).unwrap()[0].kid.as_deref(), Some("ec"));
    assert_eq!(select(&set, &header(Algorithm::EdDSA, None)).unwrap_err(), JwtError::AlgNotAllowed);
}

#[test]
fn default_settings_are_the_documented_ones() {
    let settings = ValidatorSettings::default();
    assert_eq!(settings.leeway, Duration::from_secs(60));
    assert_eq!(settings.jwks_ttl, Duration::from_secs(600));
    assert_eq!(settings.min_refetch_interval, Duration::from_secs(30));
    assert_eq!(settings.max_token_bytes, 16 * 1024);
}

#[test]
fn reasons_are_stable() {
    let reasons: Vec<&str> = [
        JwtError::Expired,
        JwtError::NotYetValid,
        JwtError::BadIssuer,
        JwtError::BadAudience,
        JwtError::ClientNotAllowed,
        JwtError::MissingScope,
        JwtError::MissingClaim("x".into()),
        JwtError::UnknownKid,
        JwtError::BadSignature,
        JwtError::AlgNotAllowed,
        JwtError::Malformed("x"),
        JwtError::TooLarge { max: 1 },
        JwtError::CritUnsupported,
        JwtError::DiscoveryFailed("x".into()),
        JwtError::JwksUnavailable("x".into()),
    ]
    .iter()
    .map(JwtError::reason)
    .collect();
    assert_eq!(
        reasons,
        [
            "expired",
            "not_yet_valid",
            "bad_issuer",
            "bad_audience",
            "client_not_allowed",
            "missing_scope",
            "missing_claim",
            "unknown_kid",
            "bad_signature",
            "alg_not_allowed",
            "malformed",
            "too_large",
            "crit_unsupported",
            "discovery_failed",
            "jwks_unavailable",
        ]
    );
}

#[test]
fn a_token_without_kid_is_tried_against_a_few_keys_only() {
    let keys = (0..10).map(|i| key(&format!("k{i}"), &[Algorithm::ES256])).collect();
    let found = select(&set(keys), &Header { alg: Algorithm::ES256, kid: None }).unwrap();
    assert_eq!(found.len(), MAX_CANDIDATES);
}
