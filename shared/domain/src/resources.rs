//! The resources the control plane manages, as specs (what a caller asks for, validated) and
//! records (what is stored). Secrets appear only in specs, as [`SecretString`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AccountId, SecretString, UnixMillis, Vendor};

/// Per-account limits (the seed's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quotas {
    /// OAuth2 credential providers per account.
    pub oauth2_providers: u32,
    /// API-key credential providers per account.
    pub api_key_providers: u32,
    /// Workload identities per account.
    pub workload_identities: u32,
    /// JWT authorizers per account.
    pub jwt_authorizers: u32,
    /// Access keys per account.
    pub access_keys: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            oauth2_providers: 100,
            api_key_providers: 50,
            workload_identities: 100,
            jwt_authorizers: 50,
            access_keys: 100,
        }
    }
}

/// What kind of workload an identity stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkloadIdentityType {
    /// An AI agent acting for users.
    Agent,
    /// A tool or MCP server an agent calls.
    Tool,
    /// Any other automated workload.
    Service,
}

impl WorkloadIdentityType {
    /// Stored and displayed form: `AGENT`, `TOOL`, `SERVICE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "AGENT",
            Self::Tool => "TOOL",
            Self::Service => "SERVICE",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Agent, Self::Tool, Self::Service].into_iter().find(|t| t.as_str() == value)
    }
}

/// Agent-specific attributes of a workload identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadAttributes {
    /// ARN of the agent runtime the identity runs as; empty when none.
    pub agent_runtime_arn: String,
    /// Capabilities such as `crm`, `email`, `calendar`.
    pub capabilities: Vec<String>,
}

/// The caller-supplied part of a workload identity (create and update alike).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadIdentitySpec {
    /// Unique name within the account.
    pub name: String,
    /// Free-form description.
    pub description: String,
    /// Kind of workload.
    pub kind: WorkloadIdentityType,
    /// Agent attributes.
    pub attributes: WorkloadAttributes,
    /// Where OAuth2 flows may return to.
    pub allowed_return_urls: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Names of the authorizers (JWT or custom) whose tokens `GetWorkloadAccessTokenForJwt`
    /// accepts for this workload, tried in this order. Empty: the account default, which is
    /// every JWT authorizer of the account (custom authorizers only when attached).
    pub authorizers: Vec<String>,
}

/// Most authorizers one workload identity may name.
pub const MAX_WORKLOAD_AUTHORIZERS: usize = 10;

/// A stored workload identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadIdentity {
    /// Service-assigned id.
    pub id: String,
    /// Owning account.
    pub account: AccountId,
    /// Everything the caller supplied.
    pub spec: WorkloadIdentitySpec,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Last change.
    pub updated_at: UnixMillis,
}

/// OAuth2 or API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderType {
    /// OAuth2 client.
    Oauth2,
    /// Static API key.
    ApiKey,
}

impl ProviderType {
    /// Stored and displayed form: `oauth2`, `api_key` (the CLI's `--type` values).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Oauth2 => "oauth2",
            Self::ApiKey => "api_key",
        }
    }

    /// Parses the stored form.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Oauth2, Self::ApiKey].into_iter().find(|t| t.as_str() == value)
    }
}

/// Lifecycle of a credential provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderStatus {
    /// Waiting for its discovery document.
    Creating,
    /// Usable.
    Active,
    /// Set-up failed, with the reason.
    Failed(String),
}

impl ProviderStatus {
    /// `CREATING`, `ACTIVE` or `FAILED`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Creating => "CREATING",
            Self::Active => "ACTIVE",
            Self::Failed(_) => "FAILED",
        }
    }
}

/// RFC 8414 authorization server metadata: the endpoints a provider uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationServerMetadata {
    /// Issuer identifier.
    pub issuer: String,
    /// Authorization endpoint.
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// Supported response types.
    #[serde(default)]
    pub response_types: Vec<String>,
    /// Supported token endpoint client authentication methods.
    #[serde(default)]
    pub token_endpoint_auth_methods: Vec<String>,
}

/// Where a provider's endpoints come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oauth2Discovery {
    /// Discovery URL, when endpoints are discovered.
    pub discovery_url: Option<String>,
    /// Endpoints in force: explicit, from the vendor catalog, or discovered.
    pub metadata: Option<AuthorizationServerMetadata>,
}

/// Non-secret OAuth2 settings of a provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oauth2Config {
    /// Vendor whose quirks apply.
    pub vendor: Vendor,
    /// Client id at the vendor.
    pub client_id: String,
    /// Endpoints.
    pub discovery: Oauth2Discovery,
    /// Vendor tenant, empty when not applicable.
    pub tenant: String,
    /// Scopes used when a caller names none.
    pub default_scopes: Vec<String>,
    /// On-behalf-of token exchange (RFC 8693); `None`: not supported by this provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_exchange: Option<Box<TokenExchangeConfig>>,
}

/// RFC 8693 `urn:ietf:params:oauth:token-type:jwt`, the default subject token type.
pub const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
/// RFC 8693 `urn:ietf:params:oauth:token-type:access_token`.
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
/// RFC 8693 `urn:ietf:params:oauth:token-type:id_token`.
pub const TOKEN_TYPE_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";

/// The actor token sent with a token exchange.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorToken {
    /// None.
    #[default]
    None,
    /// The workload's own client-credentials token from the same provider.
    M2m,
}

/// How a provider exchanges a user's token for a downstream token (RFC 8693).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenExchangeConfig {
    /// `subject_token_type` of the user's token (one of the `TOKEN_TYPE_*` URNs).
    pub subject_token_type: String,
    /// `requested_token_type`, if any.
    #[serde(default)]
    pub requested_token_type: Option<String>,
    /// Audiences requested when the caller names none.
    #[serde(default)]
    pub default_audiences: Vec<String>,
    /// Resource indicators requested when the caller names none.
    #[serde(default)]
    pub default_resources: Vec<String>,
    /// Actor token sent along.
    #[serde(default)]
    pub actor_token: ActorToken,
    /// Scopes of the actor token; the provider's default scopes when empty.
    #[serde(default)]
    pub actor_token_scopes: Vec<String>,
}

/// Non-secret API-key settings of a provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyConfig {
    /// Header the key is meant for.
    pub header_name: String,
    /// Free-form vendor label.
    pub vendor: String,
}

/// A provider's non-secret configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderConfig {
    /// OAuth2 client.
    Oauth2(Oauth2Config),
    /// API key.
    ApiKey(ApiKeyConfig),
}

impl ProviderConfig {
    /// OAuth2 or API key.
    pub fn provider_type(&self) -> ProviderType {
        match self {
            Self::Oauth2(_) => ProviderType::Oauth2,
            Self::ApiKey(_) => ProviderType::ApiKey,
        }
    }
}

/// The caller-supplied part of a credential provider. On update an empty `secret` keeps the
/// stored one.
#[derive(Clone, Debug)]
pub struct ProviderSpec {
    /// Unique name within the account.
    pub name: String,
    /// Non-secret settings.
    pub config: ProviderConfig,
    /// The client secret or API key.
    pub secret: SecretString,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// A stored credential provider, without its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialProvider {
    /// Service-assigned id, used in the callback URL.
    pub id: String,
    /// Owning account.
    pub account: AccountId,
    /// Unique name within the account.
    pub name: String,
    /// Non-secret settings.
    pub config: ProviderConfig,
    /// Lifecycle status.
    pub status: ProviderStatus,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Last change.
    pub updated_at: UnixMillis,
}

/// The caller-supplied part of a JWT authorizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtAuthorizerSpec {
    /// Unique name within the account.
    pub name: String,
    /// Free-form description.
    pub description: String,
    /// OIDC discovery URL.
    pub discovery_url: String,
    /// Accepted `aud` values.
    pub allowed_audiences: Vec<String>,
    /// Accepted `client_id` / `azp` values.
    pub allowed_clients: Vec<String>,
    /// Scopes of which a token must carry one.
    pub allowed_scopes: Vec<String>,
    /// Claims a token must carry with exactly these values.
    pub required_claims: BTreeMap<String, String>,
    /// When set, this is a custom authorizer: the operator's endpoint decides, and the JWT
    /// settings above (discovery URL, audiences, clients, scopes, claims) are empty.
    pub custom: Option<CustomAuthorizerConfig>,
}

/// A custom authorizer's settings: the operator's endpoint that receives a presented token
/// (HTTP POST, JSON) and answers allow, with the claims to use, or deny.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAuthorizerConfig {
    /// `https://…` (or `http://` on a loopback address, for a sidecar).
    pub endpoint_url: String,
    /// How long to wait for an answer, in milliseconds; past it the token is refused.
    pub timeout_ms: u32,
    /// Header carrying the shared secret (stored sealed, never returned); empty when none.
    pub secret_header_name: String,
}

impl CustomAuthorizerConfig {
    /// Timeout used when a request gives none.
    pub const DEFAULT_TIMEOUT_MS: u32 = 2_000;
    /// Shortest timeout allowed.
    pub const MIN_TIMEOUT_MS: u32 = 100;
    /// Longest timeout allowed.
    pub const MAX_TIMEOUT_MS: u32 = 10_000;
}

impl JwtAuthorizerSpec {
    /// Whether this is a custom authorizer (its endpoint decides) rather than an OIDC one.
    pub fn is_custom(&self) -> bool {
        self.custom.is_some()
    }

    /// Whether the authorizer keeps a shared secret: a custom authorizer with a secret header.
    pub fn needs_secret(&self) -> bool {
        self.custom.as_ref().is_some_and(|c| !c.secret_header_name.is_empty())
    }
}

/// A stored JWT authorizer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtAuthorizer {
    /// Service-assigned id.
    pub id: String,
    /// Owning account.
    pub account: AccountId,
    /// Everything the caller supplied.
    pub spec: JwtAuthorizerSpec,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Last change.
    pub updated_at: UnixMillis,
}

/// A new access key: its public id and the hash of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccessKey {
    /// Public id.
    pub access_key_id: String,
    /// Hex SHA-256 of the secret; the secret itself is never stored.
    pub secret_hash: String,
    /// Free-form description.
    pub description: String,
    /// Workload identities it may act for; empty means all.
    pub allowed_workload_names: Vec<String>,
}

/// A stored access key (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    /// Public id.
    pub access_key_id: String,
    /// Owning account.
    pub account: AccountId,
    /// Free-form description.
    pub description: String,
    /// Workload identities it may act for; empty means all.
    pub allowed_workload_names: Vec<String>,
    /// Creation time.
    pub created_at: UnixMillis,
}
