use super::*;

const URL: &str = "https://idp.example.com/.well-known/openid-configuration";

fn args(discovery_url: Option<&str>) -> AdminJwtArgs {
    AdminJwtArgs { admin_jwt_discovery_url: discovery_url.map(str::to_owned), ..AdminJwtArgs::default() }
}

#[test]
fn unset_means_admin_tokens_only() {
    assert_eq!(args(None).resolve().unwrap(), None);
}

#[test]
fn a_discovery_url_with_an_audience_reads_the_account_from_account_id() {
    let config = AdminJwtArgs {
        admin_jwt_audiences: "identity-admin, other".to_owned(),
        admin_jwt_scopes: "identity:admin".to_owned(),
        ..args(Some(URL))
    }
    .resolve()
    .unwrap()
    .unwrap();
    assert_eq!(config.policy.discovery_url, URL);
    assert_eq!(config.policy.allowed_audiences, ["identity-admin", "other"]);
    assert!(config.policy.allowed_clients.is_empty());
    assert_eq!(config.account, AccountSource::Claim("account_id".to_owned()));
}

#[test]
fn a_fixed_account_replaces_the_claim() {
    let config = AdminJwtArgs {
        admin_jwt_clients: "ops-console".to_owned(),
        admin_jwt_account: Some("123456789012".to_owned()),
        ..args(Some(URL))
    }
    .resolve()
    .unwrap()
    .unwrap();
    assert_eq!(config.account, AccountSource::Fixed(AccountId::parse("123456789012").unwrap()));
}

#[test]
fn bad_settings_fail_at_start_up_with_the_variable_named() {
    let with_audience = || AdminJwtArgs {
        admin_jwt_audiences: "identity-admin".to_owned(),
        admin_jwt_scopes: "identity:admin".to_owned(),
        ..args(Some(URL))
    };
    let at = |url: &str| AdminJwtArgs { admin_jwt_discovery_url: Some(url.to_owned()), ..with_audience() };
    for (bad, named) in [
        (args(Some(URL)), "ADMIN_JWT_AUDIENCES or ADMIN_JWT_CLIENTS"),
        (at("ftp://idp/x"), "ADMIN_JWT_DISCOVERY_URL"),
        (at("not a url"), "ADMIN_JWT_DISCOVERY_URL"),
        // The rule of JWT authorizers' discovery URLs: https, http only to loopback, the OIDC path.
        (at("http://idp.example.com/.well-known/openid-configuration"), "ADMIN_JWT_DISCOVERY_URL must be an https URL"),
        (at("https://idp.example.com/"), "ADMIN_JWT_DISCOVERY_URL must end with /.well-known/openid-configuration"),
        (at("https://idp.example.com/.well-known/openid-configuration?x=1"), "ADMIN_JWT_DISCOVERY_URL must end"),
        (at("https://u:p@idp.example.com/.well-known/openid-configuration"), "ADMIN_JWT_DISCOVERY_URL must not carry"),
        (AdminJwtArgs { admin_jwt_scopes: String::new(), ..with_audience() }, "ADMIN_JWT_SCOPES is required"),
        (AdminJwtArgs { admin_jwt_audiences: "x".to_owned(), ..args(None) }, "need ADMIN_JWT_DISCOVERY_URL"),
        (AdminJwtArgs { admin_jwt_account: Some("42".to_owned()), ..with_audience() }, "ADMIN_JWT_ACCOUNT"),
        (
            AdminJwtArgs {
                admin_jwt_account: Some("123456789012".to_owned()),
                admin_jwt_account_claim: Some("tenant".to_owned()),
                ..with_audience()
            },
            "not both",
        ),
        (AdminJwtArgs { admin_jwt_account_claim: Some(" ".to_owned()), ..with_audience() }, "ADMIN_JWT_ACCOUNT_CLAIM"),
    ] {
        let err = bad.resolve().unwrap_err().to_string();
        assert!(err.contains(named), "{bad:?}: {err}");
    }
}

#[test]
fn only_three_part_tokens_are_taken_for_jwts() {
    assert!(AdminJwt::looks_like_jwt("aaa.bbb.ccc"));
    assert!(!AdminJwt::looks_like_jwt("Zm9vYmFyYmF6cXV4cXV1eA"));
    assert!(!AdminJwt::looks_like_jwt("a.b"));
}

#[test]
fn a_fixed_account_needs_no_scope_and_loopback_http_is_accepted() {
    let config = AdminJwtArgs {
        admin_jwt_audiences: "identity-admin".to_owned(),
        admin_jwt_account: Some("123456789012".to_owned()),
        ..args(Some("http://127.0.0.1:8080/realms/ops/.well-known/openid-configuration"))
    }
    .resolve()
    .unwrap()
    .unwrap();
    assert!(config.policy.allowed_scopes.is_empty());
}

#[test]
fn an_unreachable_issuer_is_unavailable_and_a_failed_check_unauthenticated() {
    for unavailable in [JwtError::DiscoveryFailed("down".into()), JwtError::JwksUnavailable("down".into())] {
        assert!(matches!(refusal(&unavailable), AuthError::Unavailable(_)), "{unavailable:?}");
    }
    assert!(matches!(refusal(&JwtError::BadAudience), AuthError::Unauthenticated(m) if m.contains("audience")));
}
