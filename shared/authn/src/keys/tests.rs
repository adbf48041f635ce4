use super::*;

#[test]
fn expected_issuer_strips_the_well_known_part() {
    let cases = [
        ("https://idp.example.com/.well-known/openid-configuration", "https://idp.example.com"),
        ("https://idp.example.com/tenant/.well-known/openid-configuration", "https://idp.example.com/tenant"),
        (
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC/.well-known/openid-configuration",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC",
        ),
        ("https://idp.example.com/.well-known/oauth-authorization-server/tenant", "https://idp.example.com/tenant"),
        ("http://127.0.0.1:9000/.well-known/openid-configuration", "http://127.0.0.1:9000"),
    ];
    for (url, issuer) in cases {
        assert_eq!(expected_issuer(&Url::parse(url).unwrap()).as_deref(), Some(issuer), "{url}");
    }
    assert_eq!(expected_issuer(&Url::parse("https://idp.example.com/keys").unwrap()), None);
}

#[test]
fn durations_convert_to_millis_saturating() {
    assert_eq!(millis(std::time::Duration::from_secs(30)), 30_000);
    assert_eq!(millis(std::time::Duration::MAX), i64::MAX);
}
