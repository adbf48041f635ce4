//! `create-credential-provider`, `list-providers`, `get-credential-provider`,
//! `delete-credential-provider`.

use identity_proto::v1::{
    ApiKeyProviderConfigInput, CreateCredentialProviderRequest, CredentialProvider, CredentialProviderType,
    CredentialProviderVendor, DeleteCredentialProviderRequest, GetCredentialProviderRequest,
    ListCredentialProvidersRequest, Oauth2AuthorizationServerMetadata, Oauth2Discovery, Oauth2ProviderConfigInput,
    Oauth2TokenExchangeConfig, TokenExchangeActorToken, create_credential_provider_request::Config,
};
use url::Url;

use super::{
    Outcome, all_pages, clean_list, deleted, key_values,
    vendor::{parse_vendor, status_name, type_name, vendor_name},
};
use crate::{
    args::{CreateProviderArgs, OutputFormat, ProviderKind, TokenExchangeArgs},
    client::Connection,
    error::CliError,
    output::{Record, Table, render_list},
    secret::Secret,
};

/// Builds the create request, refusing flags that do not belong to the provider's type and
/// custom OAuth2 providers without endpoints.
pub fn build_create_request(args: CreateProviderArgs) -> Result<CreateCredentialProviderRequest, CliError> {
    let CreateProviderArgs {
        name,
        kind,
        vendor,
        client_id,
        client_secret,
        api_key,
        discovery_url,
        authorize_url,
        token_url,
        issuer,
        tenant,
        header_name,
        scopes,
        tags,
        token_exchange,
    } = args;
    let tags = key_values("--tag", tags)?;
    match kind {
        ProviderKind::Oauth2 => {
            refuse("--api-key", "oauth2", api_key.is_some())?;
            refuse("--header-name", "oauth2", header_name.is_some())?;
            let vendor = match vendor {
                Some(raw) => parse_vendor(&raw)?,
                None => CredentialProviderVendor::CustomOauth2,
            };
            let client_id = required("--client-id", "oauth2", client_id)?;
            let client_secret = required_secret("--client-secret", client_secret)?;
            let oauth_discovery = discovery(vendor, discovery_url, authorize_url, token_url, issuer)?;
            let config = Oauth2ProviderConfigInput {
                client_id,
                client_secret,
                oauth_discovery,
                tenant: tenant.map(|t| t.trim().to_owned()).unwrap_or_default(),
                default_scopes: clean_list(scopes),
                token_exchange: token_exchange_input(token_exchange),
            };
            Ok(CreateCredentialProviderRequest {
                name,
                credential_provider_vendor: vendor.into(),
                config: Some(Config::Oauth2ProviderConfigInput(config)),
                tags,
            })
        }
        ProviderKind::ApiKey => {
            refuse("--client-id", "api_key", client_id.is_some())?;
            refuse("--client-secret", "api_key", client_secret.is_some())?;
            refuse("--discovery-url", "api_key", discovery_url.is_some())?;
            refuse("--authorize-url", "api_key", authorize_url.is_some())?;
            refuse("--token-url", "api_key", token_url.is_some())?;
            refuse("--issuer", "api_key", issuer.is_some())?;
            refuse("--tenant", "api_key", tenant.is_some())?;
            refuse("--scopes", "api_key", !scopes.is_empty())?;
            refuse("--token-exchange", "api_key", token_exchange.token_exchange)?;
            let api_key = match api_key {
                Some(key) if !key.expose().is_empty() => key.into_inner(),
                _ => return Err(CliError::usage("--api-key is required with --type api_key")),
            };
            let config = ApiKeyProviderConfigInput {
                api_key,
                header_name: header_name.map(|h| h.trim().to_owned()).unwrap_or_default(),
                vendor: vendor.map(|v| v.trim().to_owned()).unwrap_or_default(),
            };
            Ok(CreateCredentialProviderRequest {
                name,
                credential_provider_vendor: CredentialProviderVendor::Unspecified.into(),
                config: Some(Config::ApiKeyProviderConfigInput(config)),
                tags,
            })
        }
    }
}

/// Where the OAuth2 endpoints come from: a discovery URL, or explicit endpoints whose issuer
/// defaults to the authorization endpoint's origin. A custom provider must have one of the two;
/// for a catalog vendor they are optional overrides.
fn discovery(
    vendor: CredentialProviderVendor,
    discovery_url: Option<String>,
    authorize_url: Option<String>,
    token_url: Option<String>,
    issuer: Option<String>,
) -> Result<Option<Oauth2Discovery>, CliError> {
    match (discovery_url, authorize_url, token_url) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err(CliError::usage("give either --discovery-url or --authorize-url with --token-url, not both"))
        }
        (Some(discovery_url), None, None) => {
            if issuer.is_some() {
                return Err(CliError::usage("--issuer goes with --authorize-url and --token-url"));
            }
            parse_url("--discovery-url", &discovery_url)?;
            Ok(Some(Oauth2Discovery { discovery_url, authorization_server_metadata: None }))
        }
        (None, Some(authorize_url), Some(token_url)) => {
            let authorize = parse_url("--authorize-url", &authorize_url)?;
            parse_url("--token-url", &token_url)?;
            let issuer = match issuer {
                Some(issuer) => {
                    parse_url("--issuer", &issuer)?;
                    issuer
                }
                None => authorize.origin().ascii_serialization(),
            };
            let metadata = Oauth2AuthorizationServerMetadata {
                issuer,
                authorization_endpoint: authorize_url,
                token_endpoint: token_url,
                response_types: Vec::new(),
                token_endpoint_auth_methods: Vec::new(),
            };
            Ok(Some(Oauth2Discovery { discovery_url: String::new(), authorization_server_metadata: Some(metadata) }))
        }
        (None, Some(_), None) => Err(CliError::usage("--authorize-url needs --token-url")),
        (None, None, Some(_)) => Err(CliError::usage("--token-url needs --authorize-url")),
        (None, None, None) if vendor == CredentialProviderVendor::CustomOauth2 => {
            Err(CliError::usage("a custom OAuth2 provider needs --discovery-url, or --authorize-url and --token-url"))
        }
        (None, None, None) if issuer.is_some() => {
            Err(CliError::usage("--issuer goes with --authorize-url and --token-url"))
        }
        (None, None, None) => Ok(None),
    }
}

/// Checks that a flag holds an absolute http(s) URL.
fn parse_url(flag: &str, raw: &str) -> Result<Url, CliError> {
    let url = Url::parse(raw).map_err(|err| CliError::usage(format!("{flag} '{raw}' is not a URL: {err}")))?;
    match url.scheme() {
        "https" | "http" if url.host().is_some() => Ok(url),
        _ => Err(CliError::usage(format!("{flag} '{raw}' must be an http(s) URL with a host"))),
    }
}

/// The token-exchange settings, when `--token-exchange` is given (the service checks the values).
fn token_exchange_input(args: TokenExchangeArgs) -> Option<Oauth2TokenExchangeConfig> {
    let TokenExchangeArgs {
        token_exchange,
        subject_token_type,
        token_exchange_audiences,
        token_exchange_resources,
        actor_token_m2m,
        actor_token_scopes,
    } = args;
    token_exchange.then(|| Oauth2TokenExchangeConfig {
        subject_token_type: subject_token_type.map(|t| t.trim().to_owned()).unwrap_or_default(),
        requested_token_type: String::new(),
        default_audiences: clean_list(token_exchange_audiences),
        default_resources: clean_list(token_exchange_resources),
        actor_token: if actor_token_m2m { TokenExchangeActorToken::M2m } else { TokenExchangeActorToken::None }.into(),
        actor_token_scopes: clean_list(actor_token_scopes),
    })
}

fn refuse(flag: &str, kind: &str, present: bool) -> Result<(), CliError> {
    if present { Err(CliError::usage(format!("{flag} does not apply to --type {kind}"))) } else { Ok(()) }
}

fn required(flag: &str, kind: &str, value: Option<String>) -> Result<String, CliError> {
    match value.map(|v| v.trim().to_owned()) {
        Some(value) if !value.is_empty() => Ok(value),
        _ => Err(CliError::usage(format!("{flag} is required with --type {kind}"))),
    }
}

fn required_secret(flag: &str, value: Option<Secret>) -> Result<String, CliError> {
    match value {
        Some(secret) if !secret.expose().is_empty() => Ok(secret.into_inner()),
        _ => Err(CliError::usage(format!("{flag} is required with --type oauth2"))),
    }
}

/// The vendor column: the OAuth2 vendor's short name, or an API key's free-form label.
fn vendor_column(provider: &CredentialProvider) -> String {
    match CredentialProviderType::try_from(provider.credential_provider_type) {
        Ok(CredentialProviderType::ApiKey) => {
            provider.api_key_provider_config_output.as_ref().map(|c| c.vendor.clone()).unwrap_or_default()
        }
        _ => vendor_name(provider.credential_provider_vendor),
    }
}

/// A provider as shown by `get` and `create` (and each element of `list --output json`).
pub fn provider_record(provider: &CredentialProvider) -> Record {
    let oauth2 = provider.oauth2_provider_config_output.as_ref().map(|config| {
        let discovery = config.oauth_discovery.as_ref();
        let metadata = discovery.and_then(|d| d.authorization_server_metadata.as_ref()).map(|m| {
            Record::new()
                .text("issuer", &m.issuer)
                .text("authorizationEndpoint", &m.authorization_endpoint)
                .text("tokenEndpoint", &m.token_endpoint)
                .list("responseTypes", &m.response_types)
                .list("tokenEndpointAuthMethods", &m.token_endpoint_auth_methods)
        });
        Record::new()
            .text("clientId", &config.client_id)
            .text_if_set("tenant", &config.tenant)
            .list("defaultScopes", &config.default_scopes)
            .text_if_set("discoveryUrl", discovery.map_or("", |d| d.discovery_url.as_str()))
            .object("authorizationServerMetadata", metadata)
            .object("tokenExchange", config.token_exchange.as_ref().map(token_exchange_record))
    });
    let api_key = provider.api_key_provider_config_output.as_ref().map(|config| {
        Record::new().text_if_set("headerName", &config.header_name).text_if_set("vendor", &config.vendor)
    });
    Record::new()
        .text("name", &provider.name)
        .text("credentialProviderId", &provider.credential_provider_id)
        .text("credentialProviderArn", &provider.credential_provider_arn)
        .text("credentialProviderType", type_name(provider.credential_provider_type))
        .text_if_set("vendor", &vendor_column(provider))
        .text("status", status_name(provider.status))
        .text_if_set("failureReason", &provider.failure_reason)
        .text_if_set("callbackUrl", &provider.callback_url)
        .object("oauth2ProviderConfig", oauth2)
        .object("apiKeyProviderConfig", api_key)
        .map("tags", &provider.tags)
        .time("createdTime", provider.created_time.as_ref())
        .time("lastUpdatedTime", provider.last_updated_time.as_ref())
}

fn token_exchange_record(config: &Oauth2TokenExchangeConfig) -> Record {
    let actor = if config.actor_token == i32::from(TokenExchangeActorToken::M2m) { "M2M" } else { "NONE" };
    Record::new()
        .text("subjectTokenType", &config.subject_token_type)
        .text_if_set("requestedTokenType", &config.requested_token_type)
        .list("defaultAudiences", &config.default_audiences)
        .list("defaultResources", &config.default_resources)
        .text("actorToken", actor)
        .list("actorTokenScopes", &config.actor_token_scopes)
}

/// The `list-providers` table: `NAME TYPE VENDOR STATUS`.
pub fn providers_table(providers: &[CredentialProvider]) -> Table {
    let mut table = Table::new(&["NAME", "TYPE", "VENDOR", "STATUS"]);
    for provider in providers {
        table.row(vec![
            provider.name.clone(),
            type_name(provider.credential_provider_type),
            vendor_column(provider),
            status_name(provider.status),
        ]);
    }
    table
}

/// The reply's provider, or an error if the server sent none.
fn returned(provider: Option<CredentialProvider>) -> Result<CredentialProvider, CliError> {
    provider.ok_or_else(|| CliError::Output("the control plane returned no credential provider".to_owned()))
}

pub async fn create(conn: &Connection, format: OutputFormat, args: CreateProviderArgs) -> Result<Outcome, CliError> {
    let request = build_create_request(args)?;
    let mut client = conn.providers().await?;
    let reply = client.create_credential_provider(request).await.map_err(|s| conn.error(s))?.into_inner();
    let provider = returned(reply.credential_provider)?;
    let notice = (format == OutputFormat::Table && !provider.callback_url.is_empty())
        .then(|| format!("Register this redirect URI at the vendor: {}\n", provider.callback_url));
    Ok(Outcome { stdout: provider_record(&provider).render(format)?, notice })
}

pub async fn get(conn: &Connection, format: OutputFormat, name: String) -> Result<Outcome, CliError> {
    let mut client = conn.providers().await?;
    let request = GetCredentialProviderRequest { name };
    let reply = client.get_credential_provider(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(provider_record(&returned(reply.credential_provider)?).render(format)?))
}

pub async fn list(conn: &Connection, format: OutputFormat) -> Result<Outcome, CliError> {
    let client = conn.providers().await?;
    let providers = all_pages(|next_token| {
        let mut client = client.clone();
        async move {
            let request = ListCredentialProvidersRequest { max_results: 100, next_token };
            let reply = client.list_credential_providers(request).await?.into_inner();
            Ok((reply.credential_providers, reply.next_token))
        }
    })
    .await
    .map_err(|s| conn.error(s))?;
    let records = providers.iter().map(provider_record).collect();
    Ok(Outcome::print(render_list(format, "credentialProviders", &providers_table(&providers), records)?))
}

pub async fn delete(conn: &Connection, format: OutputFormat, name: String) -> Result<Outcome, CliError> {
    let mut client = conn.providers().await?;
    let request = DeleteCredentialProviderRequest { name: name.clone() };
    client.delete_credential_provider(request).await.map_err(|s| conn.error(s))?;
    Ok(deleted(format, "credential provider", &name))
}

#[cfg(test)]
mod tests;
