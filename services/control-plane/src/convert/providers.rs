use std::collections::HashMap;

use identity_domain::{
    ActorToken, ApiKeyConfig, Arns, AuthorizationServerMetadata, CredentialProvider, FieldViolation, Oauth2Config,
    Oauth2Discovery, ProviderConfig, ProviderSpec, ProviderStatus, SecretString, TOKEN_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT, TenantRule, TokenExchangeConfig, Vendor, Violations,
};
use identity_proto::v1 as pb;

use super::{tags, timestamp, wire_tags};

/// A validated create or update request, and the status it starts in: CREATING while a
/// discovery URL is to be fetched, ACTIVE otherwise.
#[derive(Debug)]
pub struct ProviderRequest {
    pub spec: ProviderSpec,
    pub status: ProviderStatus,
}

fn vendor_from_wire(v: &mut Violations, value: i32) -> Option<Vendor> {
    use pb::CredentialProviderVendor as W;
    let vendor = match W::try_from(value) {
        Ok(W::Unspecified) => return None,
        Ok(W::CustomOauth2) => Vendor::CustomOauth2,
        Ok(W::GoogleOauth2) => Vendor::GoogleOauth2,
        Ok(W::GithubOauth2) => Vendor::GithubOauth2,
        Ok(W::SlackOauth2) => Vendor::SlackOauth2,
        Ok(W::SalesforceOauth2) => Vendor::SalesforceOauth2,
        Ok(W::MicrosoftOauth2) => Vendor::MicrosoftOauth2,
        Ok(W::OktaOauth2) => Vendor::OktaOauth2,
        Ok(W::TwitchOauth2) => Vendor::TwitchOauth2,
        Ok(W::LinkedinOauth2) => Vendor::LinkedinOauth2,
        Ok(W::RedditOauth2) => Vendor::RedditOauth2,
        Ok(W::SpotifyOauth2) => Vendor::SpotifyOauth2,
        Ok(W::ZendeskOauth2) => Vendor::ZendeskOauth2,
        Ok(W::AtlassianOauth2) => Vendor::AtlassianOauth2,
        Ok(W::DropboxOauth2) => Vendor::DropboxOauth2,
        Ok(W::Auth0Oauth2) => Vendor::Auth0Oauth2,
        Err(_) => {
            v.add("credential_provider_vendor", format!("unknown vendor {value}"));
            return None;
        }
    };
    Some(vendor)
}

fn vendor_to_wire(vendor: Vendor) -> pb::CredentialProviderVendor {
    use pb::CredentialProviderVendor as W;
    match vendor {
        Vendor::CustomOauth2 => W::CustomOauth2,
        Vendor::GoogleOauth2 => W::GoogleOauth2,
        Vendor::GithubOauth2 => W::GithubOauth2,
        Vendor::SlackOauth2 => W::SlackOauth2,
        Vendor::SalesforceOauth2 => W::SalesforceOauth2,
        Vendor::MicrosoftOauth2 => W::MicrosoftOauth2,
        Vendor::OktaOauth2 => W::OktaOauth2,
        Vendor::TwitchOauth2 => W::TwitchOauth2,
        Vendor::LinkedinOauth2 => W::LinkedinOauth2,
        Vendor::RedditOauth2 => W::RedditOauth2,
        Vendor::SpotifyOauth2 => W::SpotifyOauth2,
        Vendor::ZendeskOauth2 => W::ZendeskOauth2,
        Vendor::AtlassianOauth2 => W::AtlassianOauth2,
        Vendor::DropboxOauth2 => W::DropboxOauth2,
        Vendor::Auth0Oauth2 => W::Auth0Oauth2,
    }
}

/// Explicit metadata, checked field by field.
fn metadata(
    v: &mut Violations,
    prefix: &str,
    metadata: pb::Oauth2AuthorizationServerMetadata,
) -> AuthorizationServerMetadata {
    let pb::Oauth2AuthorizationServerMetadata {
        issuer,
        authorization_endpoint,
        token_endpoint,
        response_types,
        token_endpoint_auth_methods,
    } = metadata;
    v.endpoint_url(&format!("{prefix}.issuer"), &issuer);
    v.endpoint_url(&format!("{prefix}.authorization_endpoint"), &authorization_endpoint);
    v.endpoint_url(&format!("{prefix}.token_endpoint"), &token_endpoint);
    v.token_list(&format!("{prefix}.response_types"), &response_types, 20, 64);
    v.token_list(&format!("{prefix}.token_endpoint_auth_methods"), &token_endpoint_auth_methods, 20, 64);
    AuthorizationServerMetadata {
        issuer,
        authorization_endpoint,
        token_endpoint,
        response_types,
        token_endpoint_auth_methods,
    }
}

/// OAuth2 settings: the endpoints come from an explicit discovery URL (fetched later), from
/// explicit metadata, or from the vendor catalog; custom providers must give one of the first two.
fn oauth2(
    v: &mut Violations,
    vendor: Option<Vendor>,
    input: pb::Oauth2ProviderConfigInput,
    creating: bool,
) -> (ProviderConfig, SecretString, ProviderStatus) {
    const P: &str = "oauth2_provider_config_input";
    let pb::Oauth2ProviderConfigInput {
        client_id,
        client_secret,
        oauth_discovery,
        tenant,
        default_scopes,
        token_exchange,
    } = input;
    let token_exchange =
        token_exchange.map(|input| Box::new(token_exchange_from_wire(v, &format!("{P}.token_exchange"), input)));
    let vendor = vendor.unwrap_or_else(|| {
        v.add("credential_provider_vendor", "is required for OAuth2 providers");
        Vendor::CustomOauth2
    });
    v.required(&format!("{P}.client_id"), &client_id, 256);
    if creating || !client_secret.is_empty() {
        v.required(&format!("{P}.client_secret"), &client_secret, 2048);
    }
    v.token_list(&format!("{P}.default_scopes"), &default_scopes, 100, 256);

    let pb::Oauth2Discovery { discovery_url, authorization_server_metadata } = oauth_discovery.unwrap_or_default();
    let mut discovery = Oauth2Discovery::default();
    match (discovery_url.is_empty(), authorization_server_metadata) {
        (false, Some(_)) => {
            v.add(format!("{P}.oauth_discovery"), "give discovery_url or authorization_server_metadata, not both")
        }
        (false, None) => {
            v.discovery_url(&format!("{P}.oauth_discovery.discovery_url"), &discovery_url);
            discovery.discovery_url = Some(discovery_url);
        }
        (true, Some(explicit)) => {
            discovery.metadata =
                Some(metadata(v, &format!("{P}.oauth_discovery.authorization_server_metadata"), explicit));
        }
        (true, None) => {
            let tenant_value = match vendor.tenant_rule() {
                TenantRule::None => String::new(),
                TenantRule::Optional(default) if tenant.is_empty() => default.to_owned(),
                TenantRule::Optional(_) | TenantRule::Required => tenant.clone(),
            };
            if vendor.tenant_rule() == TenantRule::Required && tenant.is_empty() {
                v.add(format!("{P}.tenant"), format!("is required for {vendor} (the vendor's domain)"));
            }
            match vendor.endpoints(&tenant_value) {
                Some((authorization_endpoint, token_endpoint)) => {
                    let issuer = url::Url::parse(&authorization_endpoint)
                        .map(|u| u.origin().ascii_serialization())
                        .unwrap_or_default();
                    discovery.metadata =
                        Some(AuthorizationServerMetadata { issuer, authorization_endpoint, token_endpoint, ..Default::default() });
                }
                None => v.add(
                    format!("{P}.oauth_discovery"),
                    "custom providers need a discovery_url or authorization_server_metadata (issuer, authorization and token endpoints)",
                ),
            }
        }
    }
    if !tenant.is_empty() {
        if vendor.tenant_rule() == TenantRule::None {
            v.add(format!("{P}.tenant"), format!("does not apply to {vendor}"));
        } else {
            v.tenant(&format!("{P}.tenant"), &tenant);
        }
    }
    let status = if discovery.discovery_url.is_some() { ProviderStatus::Creating } else { ProviderStatus::Active };
    let config =
        ProviderConfig::Oauth2(Oauth2Config { vendor, client_id, discovery, tenant, default_scopes, token_exchange });
    (config, SecretString::new(client_secret), status)
}

/// Token exchange settings (RFC 8693): known token types, bounded audiences and resource
/// indicators, actor-token scopes only with an actor token.
fn token_exchange_from_wire(
    v: &mut Violations,
    prefix: &str,
    input: pb::Oauth2TokenExchangeConfig,
) -> TokenExchangeConfig {
    use pb::TokenExchangeActorToken as W;
    let pb::Oauth2TokenExchangeConfig {
        subject_token_type,
        requested_token_type,
        default_audiences,
        default_resources,
        actor_token,
        actor_token_scopes,
    } = input;
    const TYPES: [&str; 3] = [TOKEN_TYPE_JWT, TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_ID_TOKEN];
    let subject_token_type = if subject_token_type.is_empty() { TOKEN_TYPE_JWT.to_owned() } else { subject_token_type };
    if !TYPES.contains(&subject_token_type.as_str()) {
        v.add(format!("{prefix}.subject_token_type"), format!("must be one of {}", TYPES.join(", ")));
    }
    if !requested_token_type.is_empty() && !TYPES.contains(&requested_token_type.as_str()) {
        v.add(format!("{prefix}.requested_token_type"), format!("must be empty or one of {}", TYPES.join(", ")));
    }
    v.token_list(&format!("{prefix}.default_audiences"), &default_audiences, 10, 256);
    v.resource_indicators(&format!("{prefix}.default_resources"), &default_resources, 10);
    v.token_list(&format!("{prefix}.actor_token_scopes"), &actor_token_scopes, 100, 256);
    let actor_token = match W::try_from(actor_token) {
        Ok(W::Unspecified | W::None) => ActorToken::None,
        Ok(W::M2m) => ActorToken::M2m,
        Err(_) => {
            v.add(format!("{prefix}.actor_token"), format!("unknown actor token {actor_token}"));
            ActorToken::None
        }
    };
    if actor_token == ActorToken::None && !actor_token_scopes.is_empty() {
        v.add(format!("{prefix}.actor_token_scopes"), "applies only with actor_token M2M");
    }
    TokenExchangeConfig {
        subject_token_type,
        requested_token_type: (!requested_token_type.is_empty()).then_some(requested_token_type),
        default_audiences,
        default_resources,
        actor_token,
        actor_token_scopes,
    }
}

fn token_exchange_to_wire(config: TokenExchangeConfig) -> pb::Oauth2TokenExchangeConfig {
    let TokenExchangeConfig {
        subject_token_type,
        requested_token_type,
        default_audiences,
        default_resources,
        actor_token,
        actor_token_scopes,
    } = config;
    let actor_token = match actor_token {
        ActorToken::None => pb::TokenExchangeActorToken::None,
        ActorToken::M2m => pb::TokenExchangeActorToken::M2m,
    };
    pb::Oauth2TokenExchangeConfig {
        subject_token_type,
        requested_token_type: requested_token_type.unwrap_or_default(),
        default_audiences,
        default_resources,
        actor_token: actor_token as i32,
        actor_token_scopes,
    }
}

fn api_key(
    v: &mut Violations,
    vendor: Option<Vendor>,
    input: pb::ApiKeyProviderConfigInput,
    creating: bool,
) -> (ProviderConfig, SecretString, ProviderStatus) {
    const P: &str = "api_key_provider_config_input";
    let pb::ApiKeyProviderConfigInput { api_key, header_name, vendor: label } = input;
    if vendor.is_some() {
        v.add(
            "credential_provider_vendor",
            "applies to OAuth2 providers only; label API keys with api_key_provider_config_input.vendor",
        );
    }
    if creating || !api_key.is_empty() {
        v.required(&format!("{P}.api_key"), &api_key, 65_536);
    }
    if !header_name.is_empty() {
        v.header_name(&format!("{P}.header_name"), &header_name);
    }
    if !label.is_empty() {
        v.tenant(&format!("{P}.vendor"), &label);
    }
    (
        ProviderConfig::ApiKey(ApiKeyConfig { header_name, vendor: label }),
        SecretString::new(api_key),
        ProviderStatus::Active,
    )
}

fn build(
    name: String,
    vendor_value: i32,
    config: Option<pb::create_credential_provider_request::Config>,
    wire_tags: HashMap<String, String>,
    creating: bool,
) -> Result<ProviderRequest, Vec<FieldViolation>> {
    use pb::create_credential_provider_request::Config as C;
    let mut v = Violations::default();
    v.resource_name("name", &name);
    let vendor = vendor_from_wire(&mut v, vendor_value);
    let tags = tags(&mut v, "tags", wire_tags);
    let (config, secret, status) = match config {
        Some(C::Oauth2ProviderConfigInput(input)) => oauth2(&mut v, vendor, input, creating),
        Some(C::ApiKeyProviderConfigInput(input)) => api_key(&mut v, vendor, input, creating),
        None => {
            v.add("config", "one of oauth2_provider_config_input or api_key_provider_config_input is required");
            return Err(v.finish().err().unwrap_or_default());
        }
    };
    v.finish()?;
    Ok(ProviderRequest { spec: ProviderSpec { name, config, secret, tags }, status })
}

impl TryFrom<pb::CreateCredentialProviderRequest> for ProviderRequest {
    type Error = Vec<FieldViolation>;

    fn try_from(request: pb::CreateCredentialProviderRequest) -> Result<Self, Self::Error> {
        let pb::CreateCredentialProviderRequest { name, credential_provider_vendor, config, tags } = request;
        build(name, credential_provider_vendor, config, tags, true)
    }
}

impl TryFrom<pb::UpdateCredentialProviderRequest> for ProviderRequest {
    type Error = Vec<FieldViolation>;

    fn try_from(request: pb::UpdateCredentialProviderRequest) -> Result<Self, Self::Error> {
        use pb::{create_credential_provider_request::Config as C, update_credential_provider_request::Config as U};
        let pb::UpdateCredentialProviderRequest { name, credential_provider_vendor, config, tags } = request;
        let config = config.map(|c| match c {
            U::Oauth2ProviderConfigInput(input) => C::Oauth2ProviderConfigInput(input),
            U::ApiKeyProviderConfigInput(input) => C::ApiKeyProviderConfigInput(input),
        });
        build(name, credential_provider_vendor, config, tags, false)
    }
}

/// A stored provider on the wire: never its secret; its callback URL when OAuth2.
pub fn provider_to_wire(arns: &Arns, public_base_url: &str, provider: CredentialProvider) -> pb::CredentialProvider {
    let CredentialProvider { id, account, name, config, status, tags, created_at, updated_at } = provider;
    let (status, failure_reason) = match status {
        ProviderStatus::Creating => (pb::CredentialProviderStatus::Creating, String::new()),
        ProviderStatus::Active => (pb::CredentialProviderStatus::Active, String::new()),
        ProviderStatus::Failed(reason) => (pb::CredentialProviderStatus::Failed, reason),
    };
    let mut wire = pb::CredentialProvider {
        callback_url: String::new(),
        failure_reason,
        status: status as i32,
        tags: wire_tags(&tags),
        created_time: Some(timestamp(created_at)),
        last_updated_time: Some(timestamp(updated_at)),
        ..Default::default()
    };
    match config {
        ProviderConfig::Oauth2(Oauth2Config {
            vendor,
            client_id,
            discovery,
            tenant,
            default_scopes,
            token_exchange,
        }) => {
            wire.credential_provider_arn = arns.oauth2_provider(&account, &name);
            wire.credential_provider_type = pb::CredentialProviderType::Oauth2 as i32;
            wire.credential_provider_vendor = vendor_to_wire(vendor) as i32;
            wire.callback_url = format!("{public_base_url}/identities/oauth2/callback/{id}");
            let Oauth2Discovery { discovery_url, metadata } = discovery;
            wire.oauth2_provider_config_output = Some(pb::Oauth2ProviderConfigOutput {
                client_id,
                oauth_discovery: Some(pb::Oauth2Discovery {
                    discovery_url: discovery_url.unwrap_or_default(),
                    authorization_server_metadata: metadata.map(|m| pb::Oauth2AuthorizationServerMetadata {
                        issuer: m.issuer,
                        authorization_endpoint: m.authorization_endpoint,
                        token_endpoint: m.token_endpoint,
                        response_types: m.response_types,
                        token_endpoint_auth_methods: m.token_endpoint_auth_methods,
                    }),
                }),
                tenant,
                default_scopes,
                token_exchange: token_exchange.map(|config| token_exchange_to_wire(*config)),
            });
        }
        ProviderConfig::ApiKey(ApiKeyConfig { header_name, vendor }) => {
            wire.credential_provider_arn = arns.api_key_provider(&account, &name);
            wire.credential_provider_type = pb::CredentialProviderType::ApiKey as i32;
            wire.api_key_provider_config_output = Some(pb::ApiKeyProviderConfigOutput { header_name, vendor });
        }
    }
    wire.credential_provider_id = id;
    wire.name = name;
    wire
}
