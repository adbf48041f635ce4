//! The command line, as clap sees it. Everything here is syntax: values are checked against
//! each other (which flags go with which provider type, say) where the requests are built, in
//! `commands`, so the rules live next to the request they protect.

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::secret::Secret;

/// Where the control plane listens when neither `--endpoint` nor the environment says.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:50051";
/// Where the data plane listens when neither `--data-endpoint` nor the environment says.
pub const DEFAULT_DATA_ENDPOINT: &str = "http://127.0.0.1:50052";

/// `agentcore`: administer a self-hosted AgentCore Identity control plane, and fetch workload
/// access tokens and API keys from its data plane.
#[derive(Debug, Parser)]
#[command(name = "agentcore", version, about, propagate_version = true)]
pub struct Cli {
    /// Options that every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The service to administer.
    #[command(subcommand)]
    pub service: Service,
}

/// Options that every command accepts, before or after the subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Control-plane gRPC endpoint; a bare `host:port` means `http://host:port`.
    #[arg(long, global = true, env = "AGENTCORE_IDENTITY_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    pub endpoint: String,
    /// Admin token, sent as `authorization: Bearer <token>` on every control-plane call.
    // The value is never shown: `hide_env_values` keeps it out of `--help`, and `Secret`
    // keeps it out of `Debug`.
    #[arg(long, global = true, env = "AGENTCORE_IDENTITY_TOKEN", hide_env_values = true)]
    pub token: Option<Secret>,
    /// Data-plane gRPC endpoint, for get-workload-access-token, get-api-key, get-token and
    /// complete-auth; a bare `host:port` means `http://host:port`.
    #[arg(long, global = true, env = "AGENTCORE_IDENTITY_DATA_ENDPOINT", default_value = DEFAULT_DATA_ENDPOINT)]
    pub data_endpoint: String,
    /// Access key for the data plane, `ACCESS_KEY_ID:SECRET_ACCESS_KEY` (from create-access-key),
    /// sent as `authorization: Bearer <key>` on data-plane calls only.
    // Never shown, like the admin token.
    #[arg(
        long,
        global = true,
        env = "AGENTCORE_IDENTITY_ACCESS_KEY",
        hide_env_values = true,
        value_name = "ID:SECRET"
    )]
    pub access_key: Option<Secret>,
    /// Output format.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for lists, `key: value` lines for one resource.
    Table,
    /// JSON with camelCase keys, for scripts.
    Json,
}

/// The services the binary administers.
#[derive(Debug, Subcommand)]
pub enum Service {
    /// AgentCore Identity: credential providers, workload identities, access keys, JWT
    /// authorizers; workload access tokens and API keys from the data plane.
    #[command(subcommand)]
    Identity(IdentityCommand),
}

/// `agentcore identity …`.
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Create an outbound credential provider (an OAuth2 client or an API key).
    CreateCredentialProvider(CreateProviderArgs),
    /// List credential providers.
    ListProviders,
    /// Show one credential provider (never its secret).
    GetCredentialProvider(NameArg),
    /// Delete a credential provider and every grant held for it.
    DeleteCredentialProvider(NameArg),
    /// Create a workload identity for an agent, tool or service.
    CreateWorkloadIdentity(CreateWorkloadArgs),
    /// Change a workload identity's description or trusted authorizers (other fields are kept).
    UpdateWorkloadIdentity(UpdateWorkloadArgs),
    /// Show one workload identity.
    GetWorkloadIdentity(NameArg),
    /// List workload identities.
    ListWorkloadIdentities,
    /// Delete a workload identity.
    DeleteWorkloadIdentity(NameArg),
    /// Create an access key; its secret is printed once and cannot be retrieved later.
    CreateAccessKey(CreateAccessKeyArgs),
    /// List access keys (never their secrets).
    ListAccessKeys,
    /// Delete an access key; callers using it are refused from then on.
    DeleteAccessKey(AccessKeyIdArg),
    /// Accept users' JWTs from an OIDC issuer (creates a JWT authorizer).
    SetupAwsJwt(SetupJwtArgs),
    /// Accept users' JWTs from an Amazon Cognito user pool (creates a JWT authorizer).
    SetupCognito(SetupCognitoArgs),
    /// Let your own endpoint decide which user tokens are good (creates a custom authorizer).
    SetupCustomAuthorizer(SetupCustomArgs),
    /// Show one JWT authorizer.
    GetJwtAuthorizer(NameArg),
    /// List JWT authorizers.
    #[command(visible_alias = "list-aws-jwt")]
    ListJwtAuthorizers,
    /// Delete a JWT authorizer.
    DeleteJwtAuthorizer(NameArg),
    /// Get a workload access token for a workload identity, optionally bound to a user
    /// (data plane; needs --access-key).
    GetWorkloadAccessToken(WorkloadTokenArgs),
    /// Get the API key of an API-key credential provider, as a workload (data plane; needs
    /// --access-key). Mints a workload access token first unless one is given.
    GetApiKey(GetApiKeyArgs),
    /// Get an OAuth2 access token from an OAuth2 credential provider, as a workload (data plane;
    /// needs --access-key): client credentials (m2m), or for a user (user-federation), which
    /// returns an authorization URL the first time. Mints a workload access token first unless
    /// one is given.
    GetToken(GetTokenArgs),
    /// Finish a user-federation authorization started by get-token, once the user has
    /// authorized at the provider (data plane; needs --access-key).
    CompleteAuth(CompleteAuthArgs),
    /// List the account's audit events, oldest first; `audit verify` checks their hash chain.
    Audit(AuditArgs),
    /// Show the token vault's master keys: which is current, what each still protects, and
    /// which may leave the master key ring.
    GetTokenVault,
    /// Re-wrap every data key under the master key ring's current (last) key, online; optionally
    /// rotate the account's data key too, re-encrypting its stored secrets.
    RotateVaultKey(RotateVaultKeyArgs),
    /// Disconnect a user: delete their OAuth2 grants (of every provider and workload identity,
    /// or of one), revoking them at the provider where it supports revocation, and drop them
    /// from every cache; the next vend for the user starts a new authorization.
    DisconnectUser(DisconnectUserArgs),
}

/// `disconnect-user`.
#[derive(Debug, Args)]
pub struct DisconnectUserArgs {
    /// The user id bound in workload access tokens: the given user id, `ISSUER#SUBJECT` for a
    /// user JWT, or `custom:AUTHORIZER#SUBJECT` for a token a custom authorizer allowed.
    #[arg(long)]
    pub user_id: String,
    /// Only the grants of this OAuth2 credential provider (name or ARN).
    #[arg(long)]
    pub provider: Option<String>,
    /// Only the grants held for this workload identity.
    #[arg(long)]
    pub workload_identity: Option<String>,
}

/// `rotate-vault-key`.
#[derive(Debug, Args)]
pub struct RotateVaultKeyArgs {
    /// Master key to re-wrap under; it must be the ring's current (last listed) key. Defaults to it.
    #[arg(long)]
    pub key_id: Option<String>,
    /// Also create a new data key for the account and re-encrypt its stored secrets with it.
    #[arg(long)]
    pub rotate_data_key: bool,
}

/// A command that addresses one resource by name.
#[derive(Debug, Args)]
pub struct NameArg {
    /// Name of the resource.
    #[arg(long)]
    pub name: String,
}

/// What kind of credential a provider vends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProviderKind {
    /// An OAuth2 client registered at a vendor or any OAuth2/OIDC server.
    Oauth2,
    /// A static API key.
    #[value(name = "api_key", alias = "api-key", alias = "apikey")]
    ApiKey,
}

/// `create-credential-provider`.
#[derive(Debug, Args)]
pub struct CreateProviderArgs {
    /// Provider name: 1 to 128 of `[a-zA-Z0-9_-]`.
    #[arg(long)]
    pub name: String,
    /// oauth2 or api_key.
    #[arg(long = "type", value_enum)]
    pub kind: ProviderKind,
    /// OAuth2: a vendor (salesforce, slack, github, google, microsoft, okta, … or custom,
    /// the default; AgentCore names such as SalesforceOauth2 work too). API key: a free label.
    #[arg(long)]
    pub vendor: Option<String>,
    /// OAuth2 client id registered at the vendor.
    #[arg(long)]
    pub client_id: Option<String>,
    /// OAuth2 client secret registered at the vendor.
    #[arg(long)]
    pub client_secret: Option<Secret>,
    /// The API key (api_key providers).
    #[arg(long)]
    pub api_key: Option<Secret>,
    /// OIDC or OAuth2 discovery URL (custom providers, or to override a vendor's).
    #[arg(long)]
    pub discovery_url: Option<String>,
    /// Authorization endpoint (with --token-url, instead of --discovery-url).
    #[arg(long, requires = "token_url")]
    pub authorize_url: Option<String>,
    /// Token endpoint (with --authorize-url).
    #[arg(long, requires = "authorize_url")]
    pub token_url: Option<String>,
    /// Issuer of explicit endpoints; defaults to the scheme and host of --authorize-url.
    #[arg(long, requires = "authorize_url")]
    pub issuer: Option<String>,
    /// Vendor tenant: Microsoft directory id, Okta or Auth0 domain, Zendesk subdomain, Salesforce My Domain.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Header the API key is meant for, e.g. X-API-Key (api_key providers).
    #[arg(long)]
    pub header_name: Option<String>,
    /// Scopes requested when a caller asks for none, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// A tag, `key=value`; repeat for more.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tags: Vec<(String, String)>,
    /// On-behalf-of token exchange settings (OAuth2 providers).
    #[command(flatten)]
    pub token_exchange: TokenExchangeArgs,
}

/// `create-credential-provider`, OAuth2: on-behalf-of token exchange (RFC 8693) settings.
#[derive(Debug, Args)]
pub struct TokenExchangeArgs {
    /// Support ON_BEHALF_OF_TOKEN_EXCHANGE (RFC 8693) at this provider's token endpoint.
    #[arg(long)]
    pub token_exchange: bool,
    /// subject_token_type of the user's token (default urn:ietf:params:oauth:token-type:jwt).
    #[arg(long, value_name = "URN", requires = "token_exchange")]
    pub subject_token_type: Option<String>,
    /// Audiences requested when get-token names none, comma separated.
    #[arg(long, value_delimiter = ',', requires = "token_exchange")]
    pub token_exchange_audiences: Vec<String>,
    /// Resource indicators requested when get-token names none, comma separated.
    #[arg(long, value_delimiter = ',', requires = "token_exchange")]
    pub token_exchange_resources: Vec<String>,
    /// Send the workload's own M2M token from this provider as the actor_token.
    #[arg(long, requires = "token_exchange")]
    pub actor_token_m2m: bool,
    /// Scopes of that actor token, comma separated (the provider's default scopes when absent).
    #[arg(long, value_delimiter = ',', requires = "actor_token_m2m")]
    pub actor_token_scopes: Vec<String>,
}

/// What a workload identity stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WorkloadKind {
    /// An AI agent acting for users.
    Agent,
    /// A tool or MCP server that an agent calls.
    Tool,
    /// Any other automated workload.
    Service,
}

/// `create-workload-identity`.
#[derive(Debug, Args)]
pub struct CreateWorkloadArgs {
    /// Identity name: 3 to 255 of `[A-Za-z0-9_.-]`.
    #[arg(long)]
    pub name: String,
    /// Free-form description.
    #[arg(long)]
    pub description: Option<String>,
    /// What the workload is; the service treats an absent type as agent.
    #[arg(long = "type", value_enum)]
    pub kind: Option<WorkloadKind>,
    /// ARN of the agent runtime this identity runs as.
    #[arg(long)]
    pub agent_runtime_arn: Option<String>,
    /// Capabilities of the agent, comma separated (e.g. crm,email).
    #[arg(long, value_delimiter = ',')]
    pub capabilities: Vec<String>,
    /// URLs the OAuth2 flows may return the user's browser to, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub return_urls: Vec<String>,
    /// A tag, `key=value`; repeat for more.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub tags: Vec<(String, String)>,
    /// Authorizers (JWT or custom) whose user tokens this workload accepts, comma separated, in
    /// the order they are tried; none means the account's JWT authorizers.
    #[arg(long = "authorizer", value_delimiter = ',')]
    pub authorizers: Vec<String>,
}

/// `update-workload-identity`: only what is given changes.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("change").required(true).multiple(true).args(["description", "authorizers", "no_authorizers"]))]
pub struct UpdateWorkloadArgs {
    /// Name of the workload identity.
    #[arg(long)]
    pub name: String,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// Authorizers this workload trusts from now on, comma separated, in the order they are tried.
    #[arg(long = "authorizer", value_delimiter = ',', conflicts_with = "no_authorizers")]
    pub authorizers: Option<Vec<String>>,
    /// Trust the account default again (every JWT authorizer of the account).
    #[arg(long)]
    pub no_authorizers: bool,
}

/// `create-access-key`.
#[derive(Debug, Args)]
pub struct CreateAccessKeyArgs {
    /// Free-form description.
    #[arg(long)]
    pub description: Option<String>,
    /// Workload identities the key may act for, comma separated; none means all.
    #[arg(long, value_delimiter = ',')]
    pub workload_names: Vec<String>,
}

/// `audit`: filters for the listing, or a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// What to do instead of listing.
    #[command(subcommand)]
    pub action: Option<AuditAction>,
    /// Only events at or after this time (RFC 3339, e.g. `2026-01-01T00:00:00Z`).
    #[arg(long, value_parser = parse_rfc3339)]
    pub start_time: Option<prost_types::Timestamp>,
    /// Only events before this time (RFC 3339).
    #[arg(long, value_parser = parse_rfc3339)]
    pub end_time: Option<prost_types::Timestamp>,
    /// Only events of this operation, e.g. `CreateWorkloadIdentity`.
    #[arg(long)]
    pub event_name: Option<String>,
    /// Only events involving this workload identity.
    #[arg(long)]
    pub workload_name: Option<String>,
    /// Only events involving this credential provider.
    #[arg(long)]
    pub provider_name: Option<String>,
    /// Only events involving this user id.
    #[arg(long)]
    pub user_id: Option<String>,
    /// Print at most this many events (all when absent).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_results: Option<u32>,
}

/// `audit …` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Recompute the account's audit hash chain from every event: exit 0 when intact, 1 naming
    /// the first broken event. Events cut off the end of the log cannot be detected.
    Verify,
}

/// An RFC 3339 time as a protobuf timestamp.
fn parse_rfc3339(value: &str) -> Result<prost_types::Timestamp, String> {
    let time = humantime::parse_rfc3339_weak(value).map_err(|e| format!("not an RFC 3339 time: {e}"))?;
    let since = time.duration_since(std::time::SystemTime::UNIX_EPOCH).map_err(|_| "before 1970".to_owned())?;
    let seconds = i64::try_from(since.as_secs()).map_err(|_| "too far in the future".to_owned())?;
    Ok(prost_types::Timestamp { seconds, nanos: since.subsec_nanos() as i32 })
}

/// `delete-access-key`.
#[derive(Debug, Args)]
pub struct AccessKeyIdArg {
    /// Id of the access key (`AKIA…`).
    #[arg(long)]
    pub access_key_id: String,
}

/// `setup-aws-jwt`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("accepted").required(true).multiple(true).args(["audience", "client_id"]))]
pub struct SetupJwtArgs {
    /// Name of the JWT authorizer.
    #[arg(long, default_value = "default")]
    pub name: String,
    /// Workload identity to attach the authorizer to (the seed's `--gateway-id` is accepted for
    /// it): from then on that workload accepts only its attached authorizers' tokens.
    #[arg(long, visible_alias = "gateway-id")]
    pub workload_identity: Option<String>,
    /// OIDC discovery URL, ending in `/.well-known/openid-configuration`.
    #[arg(long)]
    pub discovery_url: String,
    /// Accepted `aud` values, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub audience: Vec<String>,
    /// Accepted `client_id` / `azp` values, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub client_id: Vec<String>,
    /// Scopes of which a token must carry at least one, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// A claim a token must carry with exactly this value, `claim=value`; repeat for more.
    #[arg(long = "required-claim", value_name = "CLAIM=VALUE", value_parser = parse_key_value)]
    pub required_claims: Vec<(String, String)>,
    /// Free-form description.
    #[arg(long)]
    pub description: Option<String>,
}

/// `setup-custom-authorizer`.
#[derive(Debug, Args)]
pub struct SetupCustomArgs {
    /// Name of the authorizer.
    #[arg(long)]
    pub name: String,
    /// The endpoint that receives each token (HTTPS POST, JSON); http only to a loopback address.
    #[arg(long)]
    pub endpoint_url: String,
    /// How long to wait for its answer, 100 to 10,000 milliseconds.
    #[arg(long, default_value_t = 2_000)]
    pub timeout_ms: i32,
    /// Header that carries the shared secret to the endpoint.
    #[arg(long, requires = "secret")]
    pub secret_header: Option<String>,
    /// The shared secret (stored encrypted, never shown again).
    #[arg(long, env = "AGENTCORE_CUSTOM_AUTHORIZER_SECRET", hide_env_values = true, requires = "secret_header")]
    pub secret: Option<Secret>,
    /// Workload identity to attach the authorizer to.
    #[arg(long)]
    pub workload_identity: Option<String>,
    /// Free-form description.
    #[arg(long)]
    pub description: Option<String>,
}

/// `setup-cognito`.
#[derive(Debug, Args)]
pub struct SetupCognitoArgs {
    /// Name of the JWT authorizer.
    #[arg(long, default_value = "cognito")]
    pub name: String,
    /// Cognito user pool id, e.g. us-east-1_AbCdEfGhI.
    #[arg(long)]
    pub user_pool_id: String,
    /// App client id whose tokens are accepted.
    #[arg(long)]
    pub client_id: String,
    /// AWS region of the pool; defaults to the region the pool id starts with.
    #[arg(long)]
    pub region: Option<String>,
}

/// `get-workload-access-token`.
#[derive(Debug, Args)]
pub struct WorkloadTokenArgs {
    /// Workload identity the token is for.
    #[arg(long)]
    pub workload_name: String,
    /// Bind the token to this user id (as known to the calling application).
    #[arg(long)]
    pub user_id: Option<String>,
    /// Print only the token, for `WAT=$(agentcore identity get-workload-access-token …)`.
    #[arg(long)]
    pub token_only: bool,
}

/// `get-api-key`: the provider by name or ARN, and the workload as a token or as a name (and user)
/// to mint one for.
#[derive(Debug, Args)]
#[command(group = ArgGroup::new("provider").required(true).args(["name", "arn"]))]
#[command(group = ArgGroup::new("workload").required(true).args(["workload_access_token", "workload_name"]))]
pub struct GetApiKeyArgs {
    /// Name of the API-key credential provider.
    #[arg(long)]
    pub name: Option<String>,
    /// ARN of the API-key credential provider (instead of --name).
    #[arg(long)]
    pub arn: Option<String>,
    /// A workload access token from get-workload-access-token.
    #[arg(long, value_name = "WAT")]
    pub workload_access_token: Option<Secret>,
    /// Workload identity to mint a workload access token for (instead of --workload-access-token).
    #[arg(long)]
    pub workload_name: Option<String>,
    /// Bind the minted token to this user id (with --workload-name).
    #[arg(long, conflicts_with = "workload_access_token")]
    pub user_id: Option<String>,
    /// Print only the API key, for `KEY=$(agentcore identity get-api-key …)`.
    #[arg(long)]
    pub value_only: bool,
}

/// The OAuth2 flow of `get-token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TokenFlow {
    /// Client credentials, for the workload itself (M2M).
    #[value(name = "m2m", alias = "M2M")]
    M2m,
    /// Authorization code on behalf of the workload access token's user (USER_FEDERATION).
    #[value(name = "user-federation", alias = "user_federation", alias = "USER_FEDERATION")]
    UserFederation,
    /// RFC 8693 token exchange of the user JWT the workload access token was minted from
    /// (ON_BEHALF_OF_TOKEN_EXCHANGE).
    #[value(name = "token-exchange", alias = "on-behalf-of-token-exchange", alias = "ON_BEHALF_OF_TOKEN_EXCHANGE")]
    TokenExchange,
}

/// `get-token`: the provider by name or ARN, the flow, and the workload as a token or as a name
/// (and user) to mint one for.
#[derive(Debug, Args)]
#[command(group = ArgGroup::new("provider").required(true).args(["name", "arn"]))]
#[command(group = ArgGroup::new("workload").required(true).args(["workload_access_token", "workload_name"]))]
pub struct GetTokenArgs {
    /// Name of the OAuth2 credential provider.
    #[arg(long)]
    pub name: Option<String>,
    /// ARN of the OAuth2 credential provider (instead of --name).
    #[arg(long)]
    pub arn: Option<String>,
    /// OAuth2 flow: m2m (client credentials), user-federation (for the token's user) or
    /// token-exchange (of the user JWT the token was minted from).
    #[arg(long, value_enum, default_value_t = TokenFlow::M2m)]
    pub flow: TokenFlow,
    /// Audiences to request (token-exchange), comma separated; the provider's defaults when absent.
    #[arg(long = "audience", value_delimiter = ',')]
    pub audiences: Vec<String>,
    /// RFC 8707 resource indicators to request (token-exchange), comma separated.
    #[arg(long = "resource", value_delimiter = ',')]
    pub resources: Vec<String>,
    /// Scopes to request, comma separated; the provider's defaults when absent.
    #[arg(long, value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Where the user's browser goes after authorizing (user-federation); one of the workload
    /// identity's return URLs.
    #[arg(long, value_name = "URL")]
    pub return_url: Option<String>,
    /// Start a new authorization even if the user already has a usable grant (user-federation).
    #[arg(long)]
    pub force_authentication: bool,
    /// An extra parameter for the provider's authorize request, `key=value` (user-federation);
    /// repeat for more.
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,
    /// A workload access token from get-workload-access-token.
    #[arg(long, value_name = "WAT")]
    pub workload_access_token: Option<Secret>,
    /// Workload identity to mint a workload access token for (instead of --workload-access-token).
    #[arg(long)]
    pub workload_name: Option<String>,
    /// Bind the minted token to this user id (with --workload-name; needed for user-federation).
    #[arg(long, conflicts_with = "workload_access_token")]
    pub user_id: Option<String>,
    /// Mint the workload access token from this user JWT (with --workload-name). Token-exchange
    /// needs a workload access token minted from a user JWT: this, or such a token given with
    /// --workload-access-token.
    #[arg(long, value_name = "JWT", conflicts_with_all = ["workload_access_token", "user_id"])]
    pub user_token: Option<Secret>,
    /// Print only the access token, for `TOKEN=$(agentcore identity get-token …)`.
    #[arg(long)]
    pub value_only: bool,
}

/// `complete-auth`: the session and the user who started it.
#[derive(Debug, Args)]
#[command(group = ArgGroup::new("user").required(true).args(["user_id", "user_token"]))]
pub struct CompleteAuthArgs {
    /// Session URI printed by get-token (`urn:ietf:params:oauth:request_uri:…`).
    #[arg(long, value_name = "URN")]
    pub session_uri: String,
    /// The user id the session's workload access token was minted for.
    #[arg(long)]
    pub user_id: Option<String>,
    /// The user JWT the session's workload access token was minted with (instead of --user-id).
    #[arg(long, value_name = "JWT")]
    pub user_token: Option<Secret>,
}

/// Parses `key=value`, splitting at the first `=`; the key must not be empty.
pub fn parse_key_value(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.to_owned())),
        Some(_) => Err(format!("'{raw}' has an empty key; expected KEY=VALUE")),
        None => Err(format!("'{raw}' has no '='; expected KEY=VALUE")),
    }
}

#[cfg(test)]
mod tests;
