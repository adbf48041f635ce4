use identity_domain::{ProviderConfig, ProviderStatus, Vendor};
use identity_proto::v1 as pb;

use super::*;

fn oauth2(
    vendor: pb::CredentialProviderVendor,
    input: pb::Oauth2ProviderConfigInput,
) -> pb::CreateCredentialProviderRequest {
    pb::CreateCredentialProviderRequest {
        name: "Provider".to_owned(),
        credential_provider_vendor: vendor as i32,
        config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(input)),
        tags: Default::default(),
    }
}

fn client() -> pb::Oauth2ProviderConfigInput {
    pb::Oauth2ProviderConfigInput {
        client_id: "id".to_owned(),
        client_secret: "secret".to_owned(),
        ..Default::default()
    }
}

fn fields(result: Result<ProviderRequest, Vec<identity_domain::FieldViolation>>) -> Vec<String> {
    result.err().unwrap_or_default().into_iter().map(|v| v.field).collect()
}

#[test]
fn catalog_vendors_get_their_endpoints_and_start_active() {
    let request = ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::GoogleOauth2, client())).unwrap();
    assert_eq!(request.status, ProviderStatus::Active);
    let ProviderConfig::Oauth2(config) = request.spec.config else { panic!("not oauth2") };
    assert_eq!(config.vendor, Vendor::GoogleOauth2);
    let metadata = config.discovery.metadata.unwrap();
    assert_eq!(metadata.token_endpoint, "https://oauth2.googleapis.com/token");
    assert_eq!(metadata.issuer, "https://accounts.google.com");
}

#[test]
fn tenant_vendors_need_their_tenant() {
    let err = fields(ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::OktaOauth2, client())));
    assert_eq!(err, ["oauth2_provider_config_input.tenant"]);
    let input = pb::Oauth2ProviderConfigInput { tenant: "acme.okta.com".to_owned(), ..client() };
    let request = ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::OktaOauth2, input)).unwrap();
    let ProviderConfig::Oauth2(config) = request.spec.config else { panic!("not oauth2") };
    assert_eq!(config.discovery.metadata.unwrap().authorization_endpoint, "https://acme.okta.com/oauth2/v1/authorize");
    // Microsoft defaults to the `common` tenant.
    let request = ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::MicrosoftOauth2, client())).unwrap();
    let ProviderConfig::Oauth2(config) = request.spec.config else { panic!("not oauth2") };
    assert!(config.discovery.metadata.unwrap().token_endpoint.contains("/common/oauth2/v2.0/token"));
}

#[test]
fn custom_providers_need_endpoints_and_discovery_starts_creating() {
    let err = fields(ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::CustomOauth2, client())));
    assert_eq!(err, ["oauth2_provider_config_input.oauth_discovery"]);

    let discovered = pb::Oauth2ProviderConfigInput {
        oauth_discovery: Some(pb::Oauth2Discovery {
            discovery_url: "https://idp.example.com/.well-known/openid-configuration".to_owned(),
            authorization_server_metadata: None,
        }),
        ..client()
    };
    let request = ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::CustomOauth2, discovered)).unwrap();
    assert_eq!(request.status, ProviderStatus::Creating);

    let explicit = pb::Oauth2ProviderConfigInput {
        oauth_discovery: Some(pb::Oauth2Discovery {
            discovery_url: String::new(),
            authorization_server_metadata: Some(pb::Oauth2AuthorizationServerMetadata {
                issuer: "https://api.example.com".to_owned(),
                authorization_endpoint: "http://api.example.com/oauth/authorize".to_owned(),
                token_endpoint: "https://api.example.com/oauth/token".to_owned(),
                ..Default::default()
            }),
        }),
        ..client()
    };
    let err = fields(ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::CustomOauth2, explicit)));
    assert_eq!(
        err,
        ["oauth2_provider_config_input.oauth_discovery.authorization_server_metadata.authorization_endpoint"]
    );
}

#[test]
fn every_problem_is_reported_and_no_secret_is_echoed() {
    let request = pb::CreateCredentialProviderRequest {
        name: "bad name".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::SlackOauth2 as i32,
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput {
                api_key: String::new(),
                header_name: "Bad Header".to_owned(),
                vendor: String::new(),
            },
        )),
        tags: Default::default(),
    };
    let violations = ProviderRequest::try_from(request).err().unwrap_or_default();
    let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "credential_provider_vendor",
            "api_key_provider_config_input.api_key",
            "api_key_provider_config_input.header_name"
        ]
    );

    let secret = "super-secret-client-secret-value";
    let long_id = pb::Oauth2ProviderConfigInput {
        client_id: "x".repeat(300),
        client_secret: secret.to_owned(),
        ..Default::default()
    };
    let violations = ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::GoogleOauth2, long_id))
        .err()
        .unwrap_or_default();
    assert!(!violations.is_empty());
    assert!(violations.iter().all(|v| !v.description.contains(secret)));
}

#[test]
fn missing_config_is_named() {
    let request = pb::CreateCredentialProviderRequest { name: "p".to_owned(), ..Default::default() };
    assert_eq!(fields(ProviderRequest::try_from(request)), ["config"]);
}

#[test]
fn update_may_omit_the_secret_but_create_may_not() {
    let without_secret = pb::Oauth2ProviderConfigInput { client_secret: String::new(), ..client() };
    let err =
        fields(ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::GithubOauth2, without_secret.clone())));
    assert_eq!(err, ["oauth2_provider_config_input.client_secret"]);
    let update = pb::UpdateCredentialProviderRequest {
        name: "Provider".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::GithubOauth2 as i32,
        config: Some(pb::update_credential_provider_request::Config::Oauth2ProviderConfigInput(without_secret)),
        tags: Default::default(),
    };
    let request = ProviderRequest::try_from(update).unwrap();
    assert!(request.spec.secret.is_empty());
}

#[test]
fn workload_type_unspecified_is_reported_as_such() {
    let request = pb::CreateWorkloadIdentityRequest { name: "agent-1".to_owned(), ..Default::default() };
    let converted = WorkloadRequest::try_from(request).unwrap();
    assert_eq!(converted.kind, None);
    assert_eq!(converted.spec.kind, identity_domain::WorkloadIdentityType::Agent);
    let bad = pb::CreateWorkloadIdentityRequest { name: "agent-1".to_owned(), r#type: 42, ..Default::default() };
    assert_eq!(WorkloadRequest::try_from(bad).err().unwrap_or_default()[0].field, "type");
}

#[test]
fn timestamps_convert_exactly() {
    assert_eq!(timestamp(1_767_225_600_123), prost_types::Timestamp { seconds: 1_767_225_600, nanos: 123_000_000 });
}

#[test]
fn audit_listing_defaults_and_bounds() {
    let request = AuditListRequest::try_from(pb::ListAuditEventsRequest::default()).unwrap();
    assert_eq!((request.limit, request.after, request.filter), (100, 0, identity_domain::AuditFilter::default()));

    let request = AuditListRequest::try_from(pb::ListAuditEventsRequest {
        start_time: Some(prost_types::Timestamp { seconds: 1_767_225_600, nanos: 250_000_000 }),
        outcome: pb::AuditEventOutcome::Failure as i32,
        max_results: 1_000,
        next_token: identity_domain::Page::<()> { items: vec![], next_after: Some("42".to_owned()) }.next_token(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(request.filter.start_time, Some(1_767_225_600_250));
    assert_eq!(request.filter.outcome, Some(identity_domain::AuditOutcome::Failure));
    assert_eq!((request.limit, request.after), (1_000, 42));

    let err = AuditListRequest::try_from(pb::ListAuditEventsRequest {
        start_time: Some(prost_types::Timestamp { seconds: 20, nanos: 0 }),
        end_time: Some(prost_types::Timestamp { seconds: 10, nanos: 0 }),
        outcome: 9,
        max_results: 1_001,
        next_token: "not-a-token".to_owned(),
        ..Default::default()
    })
    .unwrap_err();
    let fields: Vec<_> = err.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["end_time", "outcome", "max_results", "next_token"]);
}

#[test]
fn token_exchange_settings_are_checked_and_round_trip() {
    let exchange = pb::Oauth2TokenExchangeConfig {
        default_audiences: vec!["https://api.example.com".to_owned()],
        default_resources: vec!["https://api.example.com/v1".to_owned()],
        actor_token: pb::TokenExchangeActorToken::M2m as i32,
        actor_token_scopes: vec!["agent".to_owned()],
        ..Default::default()
    };
    let input = pb::Oauth2ProviderConfigInput { token_exchange: Some(exchange.clone()), ..client() };
    let request = ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::GoogleOauth2, input)).unwrap();
    let ProviderConfig::Oauth2(config) = &request.spec.config else { panic!("not oauth2") };
    let stored = config.token_exchange.as_deref().unwrap();
    assert_eq!(stored.subject_token_type, identity_domain::TOKEN_TYPE_JWT, "the default subject token type");
    assert_eq!(stored.actor_token, identity_domain::ActorToken::M2m);
    let provider = identity_domain::CredentialProvider {
        id: "p1".to_owned(),
        account: identity_domain::AccountId::parse("111111111111").unwrap(),
        name: "Provider".to_owned(),
        config: request.spec.config,
        status: ProviderStatus::Active,
        tags: Default::default(),
        created_at: 0,
        updated_at: 0,
    };
    let wire = provider_to_wire(&identity_domain::Arns::new("us-east-1".to_owned()), "https://id.example", provider);
    let out = wire.oauth2_provider_config_output.unwrap().token_exchange.unwrap();
    assert_eq!(
        out,
        pb::Oauth2TokenExchangeConfig { subject_token_type: identity_domain::TOKEN_TYPE_JWT.to_owned(), ..exchange }
    );

    let bad = pb::Oauth2TokenExchangeConfig {
        subject_token_type: "urn:example:saml".to_owned(),
        requested_token_type: "bearer".to_owned(),
        default_audiences: vec!["has space".to_owned()],
        default_resources: vec!["no-scheme".to_owned(), "https://api.example.com/#frag".to_owned()],
        actor_token: 9,
        actor_token_scopes: vec!["agent".to_owned()],
    };
    let input = pb::Oauth2ProviderConfigInput { token_exchange: Some(bad), ..client() };
    let err = fields(ProviderRequest::try_from(oauth2(pb::CredentialProviderVendor::GoogleOauth2, input)));
    let p = "oauth2_provider_config_input.token_exchange";
    let expected: Vec<String> = [
        "subject_token_type",
        "requested_token_type",
        "default_audiences[0]",
        "default_resources[0]",
        "default_resources[1]",
        "actor_token",
        "actor_token_scopes",
    ]
    .iter()
    .map(|f| format!("{p}.{f}"))
    .collect();
    assert_eq!(err, expected);
}

#[test]
fn a_custom_authorizer_secret_is_limited_in_characters_not_bytes() {
    let request = |secret: String| pb::CreateJwtAuthorizerRequest {
        name: "custom".to_owned(),
        custom: Some(pb::CustomAuthorizerConfig {
            endpoint_url: "https://authz.example.com/check".to_owned(),
            timeout_ms: 0,
            secret_header_name: "x-shared-secret".to_owned(),
        }),
        custom_secret: secret,
        ..Default::default()
    };
    // 4,096 two-byte characters: 8,192 bytes, within the limit the message states.
    assert!(AuthorizerRequest::try_from(request("é".repeat(4096))).is_ok());
    let err = AuthorizerRequest::try_from(request("é".repeat(4097))).unwrap_err();
    assert_eq!(err[0].field, "custom_secret");
    assert!(err[0].description.contains("4,096 characters"), "{err:?}");
}
