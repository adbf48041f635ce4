//! Against a real OpenID Provider (oidc-provider, started by the test kit): tokens from its
//! token endpoint and from its test mint, and its key rotation.

use std::{collections::BTreeMap, sync::Arc};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_authn::{AuthorizerPolicy, JwtError, JwtValidator};
use identity_domain::ManualClock;
use identity_testkit::idp::{IdpClient, IdpConfig, TestIdp};
use serde_json::{Value, json};

use crate::support::validator;

const SERVICE: (&str, &str) = ("svc", "svc-secret");
const WEB_APP: (&str, &str) = ("web", "web-secret");
const CALLBACK: &str = "http://127.0.0.1:9/callback";

async fn idp() -> Option<TestIdp> {
    TestIdp::start(IdpConfig {
        clients: vec![IdpClient::service(SERVICE.0, SERVICE.1), IdpClient::web_app(WEB_APP.0, WEB_APP.1, CALLBACK)],
        ..IdpConfig::default()
    })
    .await
}

fn policy(idp: &TestIdp) -> AuthorizerPolicy {
    AuthorizerPolicy {
        discovery_url: idp.discovery_url(),
        allowed_audiences: vec![idp.resource().to_owned()],
        allowed_clients: vec![SERVICE.0.to_owned(), WEB_APP.0.to_owned()],
        allowed_scopes: vec!["read".to_owned()],
        required_claims: BTreeMap::new(),
    }
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A clock reading the IdP's time, taken from a token it issued (`iat`).
fn clock_at_issue(token: &str) -> Arc<ManualClock> {
    Arc::new(ManualClock::new(claims_of(token)["iat"].as_i64().unwrap() * 1000))
}

fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn with_kid(token: &str, kid: &str) -> String {
    let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": kid});
    let (_, rest) = token.split_once('.').unwrap();
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[tokio::test]
async fn a_client_credentials_token_from_the_token_endpoint_is_accepted() {
    let Some(idp) = idp().await else { return };
    let token = idp.client_credentials(SERVICE.0, SERVICE.1, "read write").await;
    let validator = validator(&clock_at_issue(&token));
    let before = idp.counters().await;
    let validated = validator.validate(&token, &policy(&idp)).await.unwrap();
    assert_eq!(validated.issuer, idp.issuer());
    assert_eq!(validated.subject, SERVICE.0);
    assert_eq!(validated.client_id.as_deref(), Some(SERVICE.0));
    assert_eq!(validated.audiences, [idp.resource()]);
    assert_eq!(validated.scopes, ["read", "write"]);
    validator.validate(&token, &policy(&idp)).await.unwrap();
    let after = idp.counters().await;
    assert_eq!((after.discovery - before.discovery, after.jwks - before.jwks), (1, 1), "one fetch each, then cached");
    assert_eq!(after.token.get("client_credentials"), Some(&1));
}

#[tokio::test]
async fn a_token_without_the_required_scope_from_the_token_endpoint_is_refused() {
    let Some(idp) = idp().await else { return };
    let token = idp.client_credentials(SERVICE.0, SERVICE.1, "write").await;
    let err = validator(&clock_at_issue(&token)).validate(&token, &policy(&idp)).await.unwrap_err();
    assert_eq!(err, JwtError::MissingScope);
}

#[tokio::test]
async fn a_user_token_from_the_authorization_code_flow_is_accepted() {
    let Some(idp) = idp().await else { return };
    let verifier = "a-code-verifier-of-at-least-forty-three-characters-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()));
    let authorize = format!(
        "{}?client_id={}&response_type=code&scope=read&state=s1&code_challenge={challenge}\
         &code_challenge_method=S256&redirect_uri={}",
        idp.authorization_endpoint(),
        WEB_APP.0,
        "http%3A%2F%2F127.0.0.1%3A9%2Fcallback",
    );
    let callback = url::Url::parse(&idp.authorize_as(&authorize, "alice").await).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ];
    let (status, body) = idp.token_request(WEB_APP.0, WEB_APP.1, &form).await;
    assert!(status.is_success(), "{body}");
    let token = body["access_token"].as_str().unwrap();
    let validated = validator(&clock_at_issue(token)).validate(token, &policy(&idp)).await.unwrap();
    assert_eq!(validated.subject, "alice");
    assert_eq!(validated.client_id.as_deref(), Some(WEB_APP.0));
}

#[tokio::test]
async fn a_minted_token_is_accepted_and_a_pinned_key_refuses_another_alg() {
    let Some(idp) = idp().await else { return };
    let claims = json!({"aud": idp.resource(), "client_id": SERVICE.0, "scope": "read", "tenant": "acme"});
    let token = idp.mint(claims.clone(), json!({})).await;
    let validator = validator(&clock_at_issue(&token));
    let required = AuthorizerPolicy { required_claims: [("tenant".into(), "acme".into())].into(), ..policy(&idp) };
    assert_eq!(validator.validate(&token, &required).await.unwrap().subject, "test-user");
    // The IdP's keys name `alg: RS256`: a PS256 signature by the same key is refused.
    let ps256 = idp.mint(claims.clone(), json!({"alg": "PS256"})).await;
    assert_eq!(validator.validate(&ps256, &policy(&idp)).await.unwrap_err(), JwtError::AlgNotAllowed);
    let none = idp.mint(claims, json!({"alg": "none"})).await;
    assert_eq!(validator.validate(&none, &policy(&idp)).await.unwrap_err(), JwtError::AlgNotAllowed);
}

#[tokio::test]
async fn after_a_key_rotation_the_new_kid_is_accepted_after_exactly_one_jwks_refetch() {
    let Some(idp) = idp().await else { return };
    let before = idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    let clock = clock_at_issue(&before);
    let validator = validator(&clock);
    validator.validate(&before, &policy(&idp)).await.unwrap();
    assert_eq!(idp.counters().await.jwks, 1);

    let new_kid = idp.rotate_keys(false).await;
    let after = idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    assert_eq!(kid_of(&after), new_kid, "the IdP signs with the new key");
    clock.advance(30_000); // A refetch may follow the initial fetch after the interval.
    let validated = validator.validate(&after, &policy(&idp)).await.unwrap();
    assert_eq!(validated.client_id.as_deref(), Some(SERVICE.0));
    assert_eq!(idp.counters().await.jwks, 2, "exactly one refetch");
    // Both keys now validate without further fetches; the old one is still published.
    validator.validate(&after, &policy(&idp)).await.unwrap();
    validator.validate(&before, &policy(&idp)).await.unwrap();
    assert_eq!(idp.counters().await.jwks, 2);
}

#[tokio::test]
async fn a_key_dropped_by_the_idp_stops_validating() {
    let Some(idp) = idp().await else { return };
    let before = idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    let clock = clock_at_issue(&before);
    let validator = validator(&clock);
    validator.validate(&before, &policy(&idp)).await.unwrap();
    idp.rotate_keys(true).await;
    let after = idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    clock.advance(30_000);
    validator.validate(&after, &policy(&idp)).await.unwrap();
    assert_eq!(validator.validate(&before, &policy(&idp)).await.unwrap_err(), JwtError::UnknownKid);
    assert_eq!(idp.counters().await.jwks, 2);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_fetches_the_idp_s_jwks_at_most_once_per_interval() {
    let Some(idp) = idp().await else { return };
    let token = idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    let clock = clock_at_issue(&token);
    let validator: JwtValidator = validator(&clock);
    validator.validate(&token, &policy(&idp)).await.unwrap();
    clock.advance(30_000);
    let policy = policy(&idp);
    let forged = |range: std::ops::Range<usize>| -> Vec<String> {
        range.map(|i| with_kid(&token, &format!("bogus-{i}"))).collect()
    };
    // A thousand at once, then a thousand more one after another, every kid different.
    let concurrent = forged(0..1000);
    let results = futures::future::join_all(concurrent.iter().map(|t| validator.validate(t, &policy))).await;
    assert!(results.iter().all(|r| r == &Err(JwtError::UnknownKid)));
    for token in &forged(1000..2000) {
        assert_eq!(validator.validate(token, &policy).await.unwrap_err(), JwtError::UnknownKid);
    }
    let fetches = idp.counters().await.jwks;
    eprintln!("oidc-provider JWKS fetches: 1 initial + {} for 2,000 unknown kids", fetches - 1);
    assert_eq!(fetches, 2, "one initial fetch and one refetch");
}
