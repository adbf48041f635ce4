use super::*;

fn control(raw: &str) -> Result<String, CliError> {
    normalize_endpoint("--endpoint", DEFAULT_ENDPOINT, raw)
}

#[test]
fn a_bare_host_and_port_gets_http() {
    assert_eq!(control("127.0.0.1:50051").unwrap(), "http://127.0.0.1:50051");
    assert_eq!(control(" http://cp.internal:8080 ").unwrap(), "http://cp.internal:8080");
    assert_eq!(control(" ").unwrap(), DEFAULT_ENDPOINT);
    assert!(matches!(control("https://cp:443"), Err(CliError::Usage(_))));
    assert!(matches!(control("http://bad host:1"), Err(CliError::Usage(_))));
    assert!(matches!(control("ftp://cp:21"), Err(CliError::Usage(_))));
}

#[test]
fn the_data_endpoint_is_normalised_the_same_way_with_its_own_default_and_flag() {
    let data = |raw: &str| normalize_endpoint("--data-endpoint", DEFAULT_DATA_ENDPOINT, raw);
    assert_eq!(data("dp:50052").unwrap(), "http://dp:50052");
    assert_eq!(data("").unwrap(), "http://127.0.0.1:50052");
    let err = data("ftp://dp:21").unwrap_err();
    assert_eq!(err.to_string(), "--data-endpoint ftp://dp:21: the scheme must be http");
}

#[test]
fn the_interceptor_adds_a_sensitive_bearer_header() {
    let token: Secret = "s3cret".parse().unwrap();
    let mut auth = BearerAuth::new(Some(&token)).unwrap();
    let request = auth.call(Request::new(())).unwrap();
    let header = request.metadata().get("authorization").unwrap();
    assert_eq!(header.to_str().unwrap(), "Bearer s3cret");
    assert!(header.is_sensitive());
    assert!(!format!("{auth:?}").contains("s3cret"));
}

#[test]
fn no_token_means_no_header() {
    let mut auth = BearerAuth::new(None).unwrap();
    let request = auth.call(Request::new(())).unwrap();
    assert!(request.metadata().get("authorization").is_none());
    let blank: Secret = "  ".parse().unwrap();
    let mut auth = BearerAuth::new(Some(&blank)).unwrap();
    assert!(auth.call(Request::new(())).unwrap().metadata().get("authorization").is_none());
}

#[test]
fn a_token_that_cannot_be_a_header_is_refused_without_echoing_it() {
    let token: Secret = "bad\ntoken".parse().unwrap();
    let err = BearerAuth::new(Some(&token)).unwrap_err();
    assert!(matches!(err, CliError::Usage(_)));
    assert!(!err.to_string().contains("bad"));
}

fn access_key(raw: Option<&str>) -> Result<BearerAuth, CliError> {
    let secret: Option<Secret> = raw.map(|raw| raw.parse().unwrap());
    BearerAuth::access_key(secret.as_ref())
}

#[test]
fn an_access_key_is_sent_as_a_sensitive_bearer_header() {
    let mut auth = access_key(Some(" AKIAEXAMPLE:key-secret-value\n")).unwrap();
    let request = auth.call(Request::new(())).unwrap();
    let header = request.metadata().get("authorization").unwrap();
    assert_eq!(header.to_str().unwrap(), "Bearer AKIAEXAMPLE:key-secret-value");
    assert!(header.is_sensitive());
    assert!(!format!("{auth:?}").contains("key-secret-value"));
}

#[test]
fn a_missing_access_key_is_a_usage_error_that_says_how_to_give_one() {
    for missing in [None, Some(""), Some("   ")] {
        let err = access_key(missing).unwrap_err();
        assert!(matches!(err, CliError::Usage(_)), "{err:?}");
        assert!(err.to_string().contains("--access-key"), "{err}");
        assert!(err.to_string().contains("AGENTCORE_IDENTITY_ACCESS_KEY"), "{err}");
    }
}

#[test]
fn a_malformed_access_key_is_refused_without_echoing_it() {
    for malformed in ["no-colon-secret", ":only-secret", "AKIAONLYID:", "AKIA:bad\nsecret"] {
        let err = access_key(Some(malformed)).unwrap_err();
        assert!(matches!(err, CliError::Usage(_)), "{err:?}");
        let shown = err.to_string();
        // Only the placeholder names appear, never a part of the value.
        for part in ["secret", "no-colon", "AKIAONLYID", "bad"] {
            assert!(!shown.contains(part), "{shown}");
        }
    }
}

#[test]
fn the_data_connection_needs_an_access_key_but_not_the_admin_token() {
    let err = DataConnection::new("dp:50052", None).unwrap_err();
    assert!(matches!(err, CliError::Usage(_)));
    let key: Secret = "AKIA1:s".parse().unwrap();
    let conn = DataConnection::new("dp:50052", Some(&key)).unwrap();
    let shown = format!("{conn:?}");
    assert!(shown.contains("data plane") && shown.contains("http://dp:50052") && !shown.contains("AKIA1:s"), "{shown}");
    let err = DataConnection::new("https://dp:443", Some(&key)).unwrap_err();
    assert!(err.to_string().starts_with("--data-endpoint https://dp:443: TLS"), "{err}");
}
