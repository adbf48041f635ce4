//! Key caching: TTL, refetch on an unknown `kid` (rate-limited, negative cache), removed keys,
//! discovery checks and IdP outages.

use identity_authn::{JwtError, JwtValidator, ValidatorSettings};
use identity_outbound::{AddressPolicy, Limits, OutboundClient};
use serde_json::json;

use crate::support::{FakeIdp, NOW_SECS, Signer, clock, validator};

const TTL_MS: i64 = 600_000;
const INTERVAL_MS: i64 = 30_000;

#[tokio::test]
async fn keys_are_cached_for_the_ttl_then_fetched_again() {
    let key = Signer::rsa("k1");
    let idp = FakeIdp::start("", &[&key]).await;
    let clock = clock();
    let validator = validator(&clock);
    let token = key.token(&idp.claims(json!({"exp": NOW_SECS + 3600})));
    for _ in 0..10 {
        validator.validate(&token, &idp.policy()).await.unwrap();
    }
    assert_eq!((idp.discovery_fetches(), idp.jwks_fetches()), (1, 1));
    clock.advance(TTL_MS);
    validator.validate(&token, &idp.policy()).await.unwrap();
    assert_eq!((idp.discovery_fetches(), idp.jwks_fetches()), (2, 2), "discovery and JWKS are refreshed");
}

#[tokio::test]
async fn concurrent_first_requests_share_one_fetch() {
    let key = Signer::rsa("k1");
    let idp = FakeIdp::start("", &[&key]).await;
    let validator = validator(&clock());
    let token = key.token(&idp.claims(json!({})));
    let policy = idp.policy();
    let results = futures::future::join_all((0..50).map(|_| validator.validate(&token, &policy))).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!((idp.discovery_fetches(), idp.jwks_fetches()), (1, 1));
}

#[tokio::test]
async fn a_new_kid_is_found_after_one_refetch() {
    let (old, new) = (Signer::rsa("old"), Signer::p256("new"));
    let idp = FakeIdp::start("", &[&old]).await;
    let clock = clock();
    let validator = validator(&clock);
    validator.validate(&old.token(&idp.claims(json!({}))), &idp.policy()).await.unwrap();
    idp.publish(&[&new, &old]);
    clock.advance(INTERVAL_MS);
    let claims = idp.claims(json!({"iat": NOW_SECS + 30, "exp": NOW_SECS + 330}));
    validator.validate(&new.token(&claims), &idp.policy()).await.unwrap();
    assert_eq!(idp.jwks_fetches(), 2);
    validator.validate(&old.token(&claims), &idp.policy()).await.unwrap();
    assert_eq!(idp.jwks_fetches(), 2, "no fetch for known keys");
}

#[tokio::test]
async fn a_flood_of_unknown_kids_costs_at_most_one_fetch_per_interval() {
    let key = Signer::rsa("k1");
    let idp = FakeIdp::start("", &[&key]).await;
    let clock = clock();
    let validator = validator(&clock);
    let claims = idp.claims(json!({"exp": NOW_SECS + 3600}));
    validator.validate(&key.token(&claims), &idp.policy()).await.unwrap();
    clock.advance(INTERVAL_MS); // The first bogus kid may refetch.
    let bogus = |i: usize| key.token_with(&json!({"alg": "RS256", "kid": format!("bogus-{i}")}), &claims);
    let tokens: Vec<String> = (0..1000).map(bogus).collect();
    for token in &tokens {
        assert_eq!(validator.validate(token, &idp.policy()).await.unwrap_err(), JwtError::UnknownKid);
    }
    let sequential = idp.jwks_fetches() - 1;
    let policy = idp.policy();
    clock.advance(INTERVAL_MS);
    let tokens: Vec<String> = (1000..2000).map(bogus).collect();
    let results = futures::future::join_all(tokens.iter().map(|t| validator.validate(t, &policy))).await;
    assert!(results.iter().all(|r| r == &Err(JwtError::UnknownKid)));
    let concurrent = idp.jwks_fetches() - 1 - sequential;
    eprintln!("JWKS fetches for 1,000 unknown kids: {sequential} sequential, {concurrent} concurrent");
    assert_eq!((sequential, concurrent), (1, 1), "one refetch per interval, however many kids");
    // The same bogus kids again are answered from the negative cache; a known kid still works.
    clock.advance(1_000);
    assert_eq!(validator.validate(&tokens[0], &policy).await.unwrap_err(), JwtError::UnknownKid);
    validator.validate(&key.token(&claims), &policy).await.unwrap();
    assert_eq!(idp.jwks_fetches(), 3);
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_stops_validating_after_the_ttl() {
    let (kept, removed) = (Signer::rsa("kept"), Signer::p256("removed"));
    let idp = FakeIdp::start("", &[&kept, &removed]).await;
    let clock = clock();
    let validator = validator(&clock);
    let claims = idp.claims(json!({"exp": NOW_SECS + 3600}));
    validator.validate(&removed.token(&claims), &idp.policy()).await.unwrap();
    idp.publish(&[&kept]);
    clock.advance(TTL_MS);
    assert_eq!(validator.validate(&removed.token(&claims), &idp.policy()).await.unwrap_err(), JwtError::UnknownKid);
    validator.validate(&kept.token(&claims), &idp.policy()).await.unwrap();
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_stops_validating_after_a_refetch() {
    let (kept, removed, added) = (Signer::rsa("kept"), Signer::p256("removed"), Signer::ed25519("added"));
    let idp = FakeIdp::start("", &[&kept, &removed]).await;
    let clock = clock();
    let validator = validator(&clock);
    let claims = idp.claims(json!({"exp": NOW_SECS + 3600}));
    validator.validate(&removed.token(&claims), &idp.policy()).await.unwrap();
    idp.publish(&[&added, &kept]);
    clock.advance(INTERVAL_MS);
    // A token with the new kid makes the validator refetch, which drops the removed key.
    validator.validate(&added.token(&claims), &idp.policy()).await.unwrap();
    assert_eq!(validator.validate(&removed.token(&claims), &idp.policy()).await.unwrap_err(), JwtError::UnknownKid);
    assert_eq!(idp.jwks_fetches(), 2);
}

#[tokio::test]
async fn the_discovery_document_must_announce_the_url_s_issuer() {
    let key = Signer::rsa("k1");
    let idp = FakeIdp::start("", &[&key]).await;
    idp.announce_issuer("https://evil.example.com");
    let clock = clock();
    let validator = validator(&clock);
    let token = key.token(&idp.claims(json!({})));
    let err = validator.validate(&token, &idp.policy()).await.unwrap_err();
    assert!(matches!(&err, JwtError::DiscoveryFailed(why) if why.contains("does not match")), "{err}");
    assert_eq!(idp.jwks_fetches(), 0);
    // The failure is remembered for the interval: refused requests do not hammer the IdP.
    for _ in 0..100 {
        assert_eq!(validator.validate(&token, &idp.policy()).await.unwrap_err(), err);
    }
    assert_eq!(idp.discovery_fetches(), 1);
    clock.advance(INTERVAL_MS);
    assert_eq!(validator.validate(&token, &idp.policy()).await.unwrap_err(), err);
    assert_eq!(idp.discovery_fetches(), 2);
}

#[tokio::test]
async fn discovery_goes_through_the_outbound_address_policy() {
    let key = Signer::rsa("k1");
    let idp = FakeIdp::start("", &[&key]).await;
    // The default policy refuses loopback: the IdP must not be called at all.
    let client = OutboundClient::new(AddressPolicy::default(), Limits::default()).unwrap();
    let validator = JwtValidator::new(client, clock(), ValidatorSettings::default());
    let err = validator.validate(&key.token(&idp.claims(json!({}))), &idp.policy()).await.unwrap_err();
    assert_eq!(err.reason(), "discovery_failed");
    assert!(err.is_unavailable());
    assert_eq!(idp.discovery_fetches(), 0);
}

#[tokio::test]
async fn an_unreachable_idp_fails_closed() {
    let key = Signer::rsa("k1");
    let policy = identity_authn::AuthorizerPolicy {
        discovery_url: format!("http://{}/.well-known/openid-configuration", identity_testkit::free_addr()),
        allowed_audiences: vec!["api".into()],
        ..Default::default()
    };
    let validator = validator(&clock());
    let err = validator.validate(&key.token(&json!({})), &policy).await.unwrap_err();
    assert_eq!(err.reason(), "discovery_failed", "{err}");
}

#[tokio::test]
async fn during_a_jwks_outage_cached_keys_serve_for_max_stale_then_fail_closed() {
    let key = Signer::rsa("k1");
    let idp = FakeIdp::start("", &[&key]).await;
    let clock = clock();
    let validator = validator(&clock);
    let claims = idp.claims(json!({"exp": NOW_SECS + 10 * 3600}));
    let token = key.token(&claims);
    validator.validate(&token, &idp.policy()).await.unwrap();
    idp.set_jwks_down(true);
    clock.advance(TTL_MS);
    validator.validate(&token, &idp.policy()).await.expect("stale keys serve while the IdP is down");
    let fetches = idp.jwks_fetches();
    for _ in 0..100 {
        validator.validate(&token, &idp.policy()).await.unwrap();
    }
    assert_eq!(idp.jwks_fetches(), fetches, "a failed fetch is not retried within the interval");
    clock.advance(3600 * 1000);
    let err = validator.validate(&token, &idp.policy()).await.unwrap_err();
    assert_eq!(err.reason(), "jwks_unavailable", "{err}");
    idp.set_jwks_down(false);
    clock.advance(INTERVAL_MS);
    validator.validate(&token, &idp.policy()).await.expect("recovers with the IdP");
}

#[tokio::test]
async fn validators_are_cheap_clones_sharing_their_caches() {
    let key = Signer::rsa("k1");
    let idp = FakeIdp::start("", &[&key]).await;
    let validator = validator(&clock());
    let token = key.token(&idp.claims(json!({})));
    let clones: Vec<JwtValidator> = (0..4).map(|_| validator.clone()).collect();
    for clone in &clones {
        clone.validate(&token, &idp.policy()).await.unwrap();
    }
    assert_eq!(idp.jwks_fetches(), 1);
}
