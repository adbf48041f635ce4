use identity_proto::v1::{ApiKeyProviderConfigOutput, CredentialProviderStatus, Oauth2ProviderConfigOutput};

use super::*;
use crate::{args::IdentityCommand, commands::tests::identity};

fn build(argv: &[&str]) -> Result<CreateCredentialProviderRequest, CliError> {
    let argv: Vec<&str> = ["create-credential-provider"].into_iter().chain(argv.iter().copied()).collect();
    let IdentityCommand::CreateCredentialProvider(args) = identity(&argv) else { panic!("not a create") };
    build_create_request(args)
}

fn oauth2(request: &CreateCredentialProviderRequest) -> &Oauth2ProviderConfigInput {
    match &request.config {
        Some(Config::Oauth2ProviderConfigInput(config)) => config,
        other => panic!("expected an OAuth2 config, got {other:?}"),
    }
}

fn usage_message(result: Result<CreateCredentialProviderRequest, CliError>) -> String {
    match result {
        Err(CliError::Usage(message)) => message,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

const SECRET: [&str; 4] = ["--client-id", "cid", "--client-secret", "csecret"];

#[test]
fn a_catalog_vendor_needs_no_endpoints() {
    let argv = [&["--name", "SalesforceProvider", "--type", "oauth2", "--vendor", "salesforce"][..], &SECRET].concat();
    let request = build(&argv).unwrap();
    assert_eq!(request.name, "SalesforceProvider");
    assert_eq!(request.credential_provider_vendor, i32::from(CredentialProviderVendor::SalesforceOauth2));
    let config = oauth2(&request);
    assert_eq!((config.client_id.as_str(), config.client_secret.as_str()), ("cid", "csecret"));
    assert_eq!(config.oauth_discovery, None);
}

#[test]
fn oauth2_without_a_vendor_is_custom_and_the_issuer_defaults_to_the_authorize_origin() {
    let argv = [
        &["--name", "CustomAPI", "--type", "oauth2", "--scopes", "read, write,"][..],
        &["--authorize-url", "https://api.example.com:8443/oauth/authorize"],
        &["--token-url", "https://api.example.com:8443/oauth/token", "--tenant", " t "],
        &SECRET,
    ]
    .concat();
    let request = build(&argv).unwrap();
    assert_eq!(request.credential_provider_vendor, i32::from(CredentialProviderVendor::CustomOauth2));
    let config = oauth2(&request);
    assert_eq!(config.default_scopes, ["read", "write"]);
    assert_eq!(config.tenant, "t");
    let discovery = config.oauth_discovery.as_ref().unwrap();
    assert_eq!(discovery.discovery_url, "");
    let metadata = discovery.authorization_server_metadata.as_ref().unwrap();
    assert_eq!(metadata.issuer, "https://api.example.com:8443");
    assert_eq!(metadata.authorization_endpoint, "https://api.example.com:8443/oauth/authorize");
    assert_eq!(metadata.token_endpoint, "https://api.example.com:8443/oauth/token");
}

#[test]
fn an_explicit_issuer_wins_and_a_discovery_url_is_passed_through() {
    let argv = [
        &["--name", "c", "--type", "oauth2", "--issuer", "https://issuer.example"][..],
        &["--authorize-url", "https://a.example/authorize", "--token-url", "https://a.example/token"],
        &SECRET,
    ]
    .concat();
    let request = build(&argv).unwrap();
    let discovery = oauth2(&request).oauth_discovery.as_ref().unwrap();
    assert_eq!(discovery.authorization_server_metadata.as_ref().unwrap().issuer, "https://issuer.example");

    let url = "https://idp.example/.well-known/openid-configuration";
    let argv = [&["--name", "c", "--type", "oauth2", "--discovery-url", url][..], &SECRET].concat();
    let request = build(&argv).unwrap();
    let discovery = oauth2(&request).oauth_discovery.as_ref().unwrap();
    assert_eq!((discovery.discovery_url.as_str(), discovery.authorization_server_metadata.as_ref()), (url, None));
}

#[test]
fn a_custom_provider_without_endpoints_is_refused() {
    let argv = [&["--name", "c", "--type", "oauth2"][..], &SECRET].concat();
    assert_eq!(
        usage_message(build(&argv)),
        "a custom OAuth2 provider needs --discovery-url, or --authorize-url and --token-url"
    );
    let argv = [&["--name", "c", "--type", "oauth2", "--vendor", "CustomOauth2"][..], &SECRET].concat();
    assert!(usage_message(build(&argv)).starts_with("a custom OAuth2 provider needs"));
}

#[test]
fn discovery_and_explicit_endpoints_are_exclusive() {
    let argv = [
        &["--name", "c", "--type", "oauth2", "--discovery-url", "https://i/.well-known/openid-configuration"][..],
        &["--authorize-url", "https://i/a", "--token-url", "https://i/t"],
        &SECRET,
    ]
    .concat();
    assert!(usage_message(build(&argv)).contains("not both"));
}

#[test]
fn malformed_urls_and_missing_client_credentials_are_refused() {
    let argv = [
        &["--name", "c", "--type", "oauth2", "--authorize-url", "not a url", "--token-url", "https://i/t"][..],
        &SECRET,
    ]
    .concat();
    assert!(usage_message(build(&argv)).starts_with("--authorize-url 'not a url' is not a URL"));
    let argv = ["--name", "c", "--type", "oauth2", "--vendor", "github", "--client-id", "cid"];
    assert_eq!(usage_message(build(&argv)), "--client-secret is required with --type oauth2");
    let argv = ["--name", "c", "--type", "oauth2", "--vendor", "github", "--client-secret", "s"];
    assert_eq!(usage_message(build(&argv)), "--client-id is required with --type oauth2");
}

#[test]
fn an_api_key_provider_takes_a_free_vendor_label() {
    let argv = ["--name", "GitHubProvider", "--type", "api_key", "--vendor", "github", "--api-key", "ghp_x"];
    let request = build(&[&argv[..], &["--header-name", "X-API-Key", "--tag", "team=a"]].concat()).unwrap();
    assert_eq!(request.credential_provider_vendor, i32::from(CredentialProviderVendor::Unspecified));
    assert_eq!(request.tags.get("team").map(String::as_str), Some("a"));
    let Some(Config::ApiKeyProviderConfigInput(config)) = request.config else { panic!("not an API key") };
    assert_eq!(config.api_key, "ghp_x");
    assert_eq!(config.vendor, "github");
    assert_eq!(config.header_name, "X-API-Key");
}

#[test]
fn flags_of_the_other_type_are_refused() {
    let argv = ["--name", "k", "--type", "api_key", "--api-key", "x", "--client-id", "cid"];
    assert_eq!(usage_message(build(&argv)), "--client-id does not apply to --type api_key");
    assert_eq!(
        usage_message(build(&["--name", "k", "--type", "api_key"])),
        "--api-key is required with --type api_key"
    );
    let argv = [&["--name", "c", "--type", "oauth2", "--vendor", "slack", "--api-key", "x"][..], &SECRET].concat();
    assert_eq!(usage_message(build(&argv)), "--api-key does not apply to --type oauth2");
}

fn provider(
    name: &str,
    kind: CredentialProviderType,
    vendor: CredentialProviderVendor,
    label: &str,
) -> CredentialProvider {
    let api_key = kind == CredentialProviderType::ApiKey;
    CredentialProvider {
        name: name.to_owned(),
        credential_provider_arn: format!(
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/x/{name}"
        ),
        credential_provider_type: kind.into(),
        credential_provider_vendor: vendor.into(),
        status: CredentialProviderStatus::Active.into(),
        callback_url: if api_key { String::new() } else { format!("https://id.example/callback/{name}") },
        oauth2_provider_config_output: (!api_key).then(|| Oauth2ProviderConfigOutput {
            client_id: "cid".to_owned(),
            default_scopes: vec!["api".to_owned()],
            ..Default::default()
        }),
        api_key_provider_config_output: api_key
            .then(|| ApiKeyProviderConfigOutput { header_name: String::new(), vendor: label.to_owned() }),
        ..Default::default()
    }
}

#[test]
fn the_providers_table_matches_the_seed_columns() {
    let providers = [
        provider("SalesforceProvider", CredentialProviderType::Oauth2, CredentialProviderVendor::SalesforceOauth2, ""),
        provider("GitHubProvider", CredentialProviderType::ApiKey, CredentialProviderVendor::Unspecified, "github"),
        provider("CustomAPI", CredentialProviderType::Oauth2, CredentialProviderVendor::CustomOauth2, ""),
        provider("Unlabelled", CredentialProviderType::ApiKey, CredentialProviderVendor::Unspecified, ""),
    ];
    assert_eq!(
        providers_table(&providers).render(),
        "NAME                TYPE     VENDOR      STATUS\n\
         SalesforceProvider  oauth2   salesforce  ACTIVE\n\
         GitHubProvider      api_key  github      ACTIVE\n\
         CustomAPI           oauth2   custom      ACTIVE\n\
         Unlabelled          api_key  -           ACTIVE\n"
    );
}

#[test]
fn provider_json_carries_the_callback_url_and_short_names() {
    let p =
        provider("SalesforceProvider", CredentialProviderType::Oauth2, CredentialProviderVendor::SalesforceOauth2, "");
    let json: serde_json::Value = serde_json::from_str(&provider_record(&p).to_json().unwrap()).unwrap();
    assert_eq!(json["name"], "SalesforceProvider");
    assert_eq!(json["credentialProviderType"], "oauth2");
    assert_eq!(json["vendor"], "salesforce");
    assert_eq!(json["status"], "ACTIVE");
    assert_eq!(json["callbackUrl"], "https://id.example/callback/SalesforceProvider");
    assert_eq!(json["oauth2ProviderConfig"]["clientId"], "cid");
    assert_eq!(json["oauth2ProviderConfig"]["defaultScopes"], serde_json::json!(["api"]));
    assert!(json.get("apiKeyProviderConfig").is_none());
}

#[test]
fn token_exchange_flags_become_the_providers_settings() {
    let base = [&["--name", "Okta", "--type", "oauth2", "--vendor", "okta", "--tenant", "acme.okta.com"][..], &SECRET];
    assert_eq!(oauth2(&build(&base.concat()).unwrap()).token_exchange, None, "off unless asked for");
    let flags = [
        "--token-exchange",
        "--token-exchange-audiences",
        "https://api.example, https://other.example",
        "--token-exchange-resources",
        "https://api.example/v1",
        "--actor-token-m2m",
        "--actor-token-scopes",
        "agent",
    ];
    let request = build(&[&base.concat()[..], &flags].concat()).unwrap();
    let exchange = oauth2(&request).token_exchange.clone().unwrap();
    assert_eq!(exchange.default_audiences, ["https://api.example", "https://other.example"]);
    assert_eq!(exchange.default_resources, ["https://api.example/v1"]);
    assert_eq!(exchange.actor_token, i32::from(TokenExchangeActorToken::M2m));
    assert_eq!(exchange.subject_token_type, "");
    assert_eq!(exchange.actor_token_scopes, ["agent"]);
    let printed = provider_record(&CredentialProvider {
        oauth2_provider_config_output: Some(Oauth2ProviderConfigOutput {
            token_exchange: Some(exchange),
            ..Default::default()
        }),
        ..Default::default()
    })
    .render(OutputFormat::Json)
    .unwrap();
    assert!(printed.contains("\"actorToken\": \"M2M\"") || printed.contains("\"actorToken\":\"M2M\""), "{printed}");

    let api_key = build(&["--name", "K", "--type", "api_key", "--api-key", "k", "--token-exchange"]);
    assert!(usage_message(api_key).contains("--token-exchange"));
}
