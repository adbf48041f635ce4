use super::*;

fn errors(f: impl FnOnce(&mut Violations)) -> Vec<String> {
    let mut v = Violations::default();
    f(&mut v);
    v.finish().err().unwrap_or_default().into_iter().map(|v| v.description).collect()
}

#[test]
fn workload_names_follow_agentcore_pattern() {
    assert!(errors(|v| v.workload_name("name", "Customer.Support_Agent-1")).is_empty());
    assert_eq!(errors(|v| v.workload_name("name", "ab")), ["must be 3 to 255 characters long"]);
    assert_eq!(errors(|v| v.workload_name("name", "")), ["is required"]);
    assert_eq!(errors(|v| v.workload_name("name", "has space")).len(), 1);
    assert_eq!(errors(|v| v.workload_name("name", &"a".repeat(256))).len(), 1);
}

#[test]
fn provider_names_refuse_dots() {
    assert!(errors(|v| v.resource_name("name", "Salesforce_Provider-1")).is_empty());
    assert_eq!(errors(|v| v.resource_name("name", "a.b")).len(), 1);
    assert_eq!(errors(|v| v.resource_name("name", &"a".repeat(129))).len(), 1);
}

#[test]
fn endpoint_urls_need_https_except_loopback() {
    assert!(errors(|v| drop(v.endpoint_url("u", "https://idp.example.com/token"))).is_empty());
    assert!(errors(|v| drop(v.endpoint_url("u", "http://127.0.0.1:9000/token"))).is_empty());
    assert!(errors(|v| drop(v.endpoint_url("u", "http://localhost/token"))).is_empty());
    assert_eq!(errors(|v| drop(v.endpoint_url("u", "http://idp.example.com/token"))).len(), 1);
    assert_eq!(errors(|v| drop(v.endpoint_url("u", "ftp://idp.example.com"))).len(), 1);
    assert_eq!(errors(|v| drop(v.endpoint_url("u", "https://user:pw@idp.example.com"))).len(), 1);
    assert_eq!(errors(|v| drop(v.endpoint_url("u", "not a url"))).len(), 1);
}

#[test]
fn discovery_urls_need_well_known_suffix() {
    assert!(errors(|v| v.discovery_url("u", "https://idp.example.com/.well-known/openid-configuration")).is_empty());
    assert!(
        errors(|v| v.discovery_url("u", "https://idp.example.com/.well-known/oauth-authorization-server/tenant"))
            .is_empty()
    );
    assert_eq!(errors(|v| v.discovery_url("u", "https://idp.example.com/openid")).len(), 1);
    assert!(
        errors(|v| v.oidc_discovery_url(
            "u",
            "https://cognito-idp.us-east-1.amazonaws.com/pool/.well-known/openid-configuration"
        ))
        .is_empty()
    );
    assert_eq!(
        errors(|v| v.oidc_discovery_url("u", "https://idp.example.com/.well-known/oauth-authorization-server")).len(),
        1
    );
}

#[test]
fn return_urls_accept_custom_schemes() {
    assert!(errors(|v| v.return_url("u", "https://app.example.com/done")).is_empty());
    assert!(errors(|v| v.return_url("u", "myapp:callback")).is_empty());
    assert_eq!(errors(|v| v.return_url("u", "no-scheme")).len(), 1);
    assert_eq!(errors(|v| v.return_url("u", "https://a b")).len(), 1);
}

#[test]
fn tags_are_bounded() {
    let mut tags = BTreeMap::new();
    tags.insert("team".to_owned(), "support".to_owned());
    assert!(errors(|v| v.tags("tags", &tags)).is_empty());
    tags.insert("bad<key>".to_owned(), String::new());
    assert_eq!(errors(|v| v.tags("tags", &tags)).len(), 1);
    let many: BTreeMap<_, _> = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(errors(|v| v.tags("tags", &many)).len(), 1);
}

#[test]
fn every_violation_is_reported_at_once() {
    let mut v = Violations::default();
    v.workload_name("name", "x");
    v.description("description", &"d".repeat(4097));
    v.token_list("capabilities", &["crm".to_owned(), "has space".to_owned()], 50, 64);
    let fields: Vec<_> = v.finish().err().unwrap_or_default().into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["name", "description", "capabilities[1]"]);
}
