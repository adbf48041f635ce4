use super::*;

#[test]
fn a_bare_host_and_port_gets_http() {
    assert_eq!(normalize_endpoint("127.0.0.1:50051").unwrap(), "http://127.0.0.1:50051");
    assert_eq!(normalize_endpoint(" http://cp.internal:8080 ").unwrap(), "http://cp.internal:8080");
    assert_eq!(normalize_endpoint(" ").unwrap(), DEFAULT_ENDPOINT);
    assert!(matches!(normalize_endpoint("https://cp:443"), Err(CliError::Usage(_))));
    assert!(matches!(normalize_endpoint("http://bad host:1"), Err(CliError::Usage(_))));
    assert!(matches!(normalize_endpoint("ftp://cp:21"), Err(CliError::Usage(_))));
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
