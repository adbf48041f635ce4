use std::collections::BTreeMap;

use serde_json::json;

use super::*;

const ISSUER: &str = "https://idp.example.com";
const NOW: UnixMillis = 1_700_000_000_000;
const LEEWAY: i64 = 60_000;

fn policy() -> AuthorizerPolicy {
    AuthorizerPolicy {
        discovery_url: format!("{ISSUER}/.well-known/openid-configuration"),
        allowed_audiences: vec!["api".to_owned()],
        ..AuthorizerPolicy::default()
    }
}

fn claims(extra: Value) -> Map<String, Value> {
    let mut claims = json!({"iss": ISSUER, "sub": "alice", "aud": "api", "iat": NOW / 1000, "exp": NOW / 1000 + 300})
        .as_object()
        .unwrap()
        .clone();
    for (name, value) in extra.as_object().unwrap() {
        if value.is_null() {
            claims.remove(name);
        } else {
            claims.insert(name.clone(), value.clone());
        }
    }
    claims
}

fn check_with(policy: &AuthorizerPolicy, extra: Value) -> Result<ValidatedToken, JwtError> {
    check(claims(extra), ISSUER, policy, NOW, LEEWAY)
}

#[test]
fn a_valid_token_is_read_out() {
    let token =
        check_with(&policy(), json!({"scope": "read write", "client_id": "app", "exp": 1_700_000_300.5})).unwrap();
    assert_eq!(token.issuer, ISSUER);
    assert_eq!(token.subject, "alice");
    assert_eq!(token.audiences, ["api"]);
    assert_eq!(token.client_id.as_deref(), Some("app"));
    assert_eq!(token.scopes, ["read", "write"]);
    assert_eq!(token.expires_at, 1_700_000_300_500);
    assert_eq!(token.issued_at, Some(NOW));
    assert_eq!(token.claims["sub"], "alice");
}

#[test]
fn times_are_checked_with_the_leeway() {
    let secs = NOW / 1000;
    assert!(check_with(&policy(), json!({"exp": secs - 59})).is_ok(), "within the leeway");
    assert_eq!(check_with(&policy(), json!({"exp": secs - 60})).unwrap_err(), JwtError::Expired);
    assert_eq!(check_with(&policy(), json!({"exp": null})).unwrap_err(), JwtError::MissingClaim("exp".into()));
    assert!(check_with(&policy(), json!({"nbf": secs + 60})).is_ok());
    assert_eq!(check_with(&policy(), json!({"nbf": secs + 61})).unwrap_err(), JwtError::NotYetValid);
    assert_eq!(check_with(&policy(), json!({"iat": secs + 61})).unwrap_err(), JwtError::NotYetValid);
    assert_eq!(check_with(&policy(), json!({"exp": "tomorrow"})).unwrap_err().reason(), "malformed");
    assert_eq!(check(claims(json!({})), ISSUER, &policy(), NOW, 0).unwrap().subject, "alice");
}

#[test]
fn the_issuer_must_be_the_discovered_one_exactly() {
    for iss in [json!("https://evil.example.com"), json!(format!("{ISSUER}/")), json!(null), json!(["x"])] {
        assert_eq!(check_with(&policy(), json!({"iss": iss})).unwrap_err(), JwtError::BadIssuer, "{iss}");
    }
}

#[test]
fn audiences_clients_and_both() {
    let audiences = policy();
    let clients = AuthorizerPolicy { allowed_audiences: vec![], allowed_clients: vec!["app".into()], ..policy() };
    let both = AuthorizerPolicy { allowed_clients: vec!["app".into()], ..policy() };
    let neither = AuthorizerPolicy { allowed_audiences: vec![], ..policy() };
    let no_aud = |extra: Value| {
        let mut extra = extra;
        extra["aud"] = Value::Null;
        extra
    };

    assert!(check_with(&audiences, json!({"aud": ["other", "api"]})).is_ok());
    assert_eq!(check_with(&audiences, json!({"aud": "other"})).unwrap_err(), JwtError::BadAudience);
    assert_eq!(check_with(&audiences, no_aud(json!({"client_id": "app"}))).unwrap_err(), JwtError::BadAudience);

    assert!(check_with(&clients, no_aud(json!({"client_id": "app"}))).is_ok());
    assert!(check_with(&clients, json!({"azp": "app"})).is_ok());
    assert_eq!(check_with(&clients, json!({"client_id": "evil"})).unwrap_err(), JwtError::ClientNotAllowed);
    assert_eq!(check_with(&clients, json!({})).unwrap_err(), JwtError::ClientNotAllowed);
    assert_eq!(
        check_with(&clients, json!({"client_id": "app", "azp": "evil"})).unwrap_err(),
        JwtError::ClientNotAllowed
    );

    // Cognito: ID tokens carry `aud`, access tokens `client_id` and no `aud`.
    assert!(check_with(&both, json!({"aud": "api"})).is_ok());
    assert!(check_with(&both, no_aud(json!({"client_id": "app"}))).is_ok());
    assert_eq!(check_with(&both, json!({"aud": "api", "client_id": "evil"})).unwrap_err(), JwtError::ClientNotAllowed);
    assert_eq!(check_with(&both, json!({"aud": "other", "client_id": "app"})).unwrap_err(), JwtError::BadAudience);
    assert_eq!(check_with(&both, no_aud(json!({}))).unwrap_err(), JwtError::ClientNotAllowed);

    assert_eq!(check_with(&neither, json!({})).unwrap_err(), JwtError::BadAudience);
    assert_eq!(check_with(&audiences, json!({"aud": 5})).unwrap_err().reason(), "malformed");
}

#[test]
fn one_allowed_scope_is_enough_from_scope_or_scp() {
    let policy = AuthorizerPolicy { allowed_scopes: vec!["admin".into(), "write".into()], ..policy() };
    assert!(check_with(&policy, json!({"scope": "read write"})).is_ok());
    assert!(check_with(&policy, json!({"scp": ["read", "admin"]})).is_ok());
    assert!(check_with(&policy, json!({"scp": "admin"})).is_ok());
    assert_eq!(check_with(&policy, json!({"scope": "read"})).unwrap_err(), JwtError::MissingScope);
    assert_eq!(check_with(&policy, json!({"scope": "writer"})).unwrap_err(), JwtError::MissingScope);
    assert_eq!(check_with(&policy, json!({})).unwrap_err(), JwtError::MissingScope);
}

#[test]
fn required_claims_need_exact_values() {
    let required = BTreeMap::from([("tenant".to_owned(), "acme".to_owned()), ("admin".to_owned(), "true".to_owned())]);
    let policy = AuthorizerPolicy { required_claims: required, ..policy() };
    assert!(check_with(&policy, json!({"tenant": "acme", "admin": true})).is_ok());
    assert!(check_with(&policy, json!({"tenant": "acme", "admin": "true"})).is_ok());
    for (extra, missing) in [
        (json!({"admin": true}), "tenant"),
        (json!({"tenant": "acme-corp", "admin": true}), "tenant"),
        (json!({"tenant": ["acme"], "admin": true}), "tenant"),
        (json!({"tenant": "acme", "admin": false}), "admin"),
    ] {
        assert_eq!(check_with(&policy, extra).unwrap_err(), JwtError::MissingClaim(missing.into()));
    }
}

#[test]
fn a_subject_is_required() {
    assert_eq!(check_with(&policy(), json!({"sub": null})).unwrap_err(), JwtError::MissingClaim("sub".into()));
    assert_eq!(check_with(&policy(), json!({"sub": ""})).unwrap_err(), JwtError::MissingClaim("sub".into()));
}
