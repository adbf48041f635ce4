//! Cognito-shaped tokens: the issuer has a path (the user pool), access tokens carry
//! `client_id` and no `aud`, ID tokens carry the app client as `aud`.

use std::collections::BTreeMap;

use identity_authn::{AuthorizerPolicy, JwtError};
use identity_domain::JwtAuthorizerSpec;
use serde_json::json;

use crate::support::{FakeIdp, NOW_SECS, Signer, clock, validator};

const POOL: &str = "/us-east-1_AbCdEfGhI";
const APP_CLIENT: &str = "1example23456789";

/// What `agentcore identity setup-cognito` stores: the app client as audience and as client.
fn setup_cognito(idp: &FakeIdp) -> AuthorizerPolicy {
    let spec = JwtAuthorizerSpec {
        name: "cognito".into(),
        description: String::new(),
        discovery_url: idp.discovery_url(),
        allowed_audiences: vec![APP_CLIENT.into()],
        allowed_clients: vec![APP_CLIENT.into()],
        allowed_scopes: Vec::new(),
        required_claims: BTreeMap::new(),
        custom: None,
    };
    AuthorizerPolicy::from(&spec)
}

fn access_token_claims(idp: &FakeIdp, client_id: &str) -> serde_json::Value {
    json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "iss": idp.issuer(),
        "client_id": client_id,
        "origin_jti": "f0e0d0c0",
        "event_id": "0c1d2e3f",
        "token_use": "access",
        "scope": "openid email",
        "auth_time": NOW_SECS - 10,
        "exp": NOW_SECS + 3600,
        "iat": NOW_SECS - 10,
        "jti": "a1b2c3",
        "username": "alice",
    })
}

#[tokio::test]
async fn a_cognito_access_token_is_accepted_through_allowed_clients() {
    let key = Signer::rsa("cognito-1");
    let idp = FakeIdp::start(POOL, &[&key]).await;
    assert!(idp.issuer().ends_with(POOL));
    let validated = validator(&clock())
        .validate(&key.token(&access_token_claims(&idp, APP_CLIENT)), &setup_cognito(&idp))
        .await
        .unwrap();
    assert!(validated.audiences.is_empty());
    assert_eq!(validated.client_id.as_deref(), Some(APP_CLIENT));
    assert_eq!(validated.scopes, ["openid", "email"]);
    assert_eq!(validated.claims["username"], "alice");
}

#[tokio::test]
async fn a_cognito_access_token_of_another_app_client_is_refused() {
    let key = Signer::rsa("cognito-1");
    let idp = FakeIdp::start(POOL, &[&key]).await;
    let err = validator(&clock())
        .validate(&key.token(&access_token_claims(&idp, "another-app")), &setup_cognito(&idp))
        .await
        .unwrap_err();
    assert_eq!(err, JwtError::ClientNotAllowed);
}

#[tokio::test]
async fn a_cognito_id_token_is_accepted_through_allowed_audiences() {
    let key = Signer::rsa("cognito-1");
    let idp = FakeIdp::start(POOL, &[&key]).await;
    let mut claims = access_token_claims(&idp, APP_CLIENT);
    let claims = claims.as_object_mut().unwrap();
    claims.remove("client_id");
    claims.insert("aud".into(), json!(APP_CLIENT));
    claims.insert("token_use".into(), json!("id"));
    let validator = validator(&clock());
    let validated = validator.validate(&key.token(&json!(claims)), &setup_cognito(&idp)).await.unwrap();
    assert_eq!(validated.audiences, [APP_CLIENT]);
    claims.insert("aud".into(), json!("another-app"));
    let err = validator.validate(&key.token(&json!(claims)), &setup_cognito(&idp)).await.unwrap_err();
    assert_eq!(err, JwtError::BadAudience);
}

#[tokio::test]
async fn a_policy_keeps_every_field_of_the_authorizer() {
    let spec = JwtAuthorizerSpec {
        name: "n".into(),
        description: "d".into(),
        discovery_url: "https://idp.example.com/.well-known/openid-configuration".into(),
        allowed_audiences: vec!["a".into()],
        allowed_clients: vec!["c".into()],
        allowed_scopes: vec!["s".into()],
        required_claims: [("k".to_owned(), "v".to_owned())].into(),
        custom: None,
    };
    let policy = AuthorizerPolicy::from(&spec);
    assert_eq!(policy.discovery_url, spec.discovery_url);
    assert_eq!(policy.allowed_audiences, spec.allowed_audiences);
    assert_eq!(policy.allowed_clients, spec.allowed_clients);
    assert_eq!(policy.allowed_scopes, spec.allowed_scopes);
    assert_eq!(policy.required_claims, spec.required_claims);
}
