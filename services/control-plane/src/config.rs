//! The control plane's settings: each a flag and an environment variable, turned by the pure
//! [`ServeArgs::resolve`] into a validated [`Config`] (or a start-up error).

use std::net::SocketAddr;

use identity_domain::{Quotas, SecretString};
use identity_server::{
    Hardening, HardeningArgs,
    config::{ConfigError, StorageArgs, StorageConfig, parse_networks},
};

use crate::admin_jwt::{AdminJwtArgs, AdminJwtConfig};

/// `identity-control-plane [serve]` settings.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,

    #[command(flatten)]
    pub hardening: HardeningArgs,

    #[command(flatten)]
    pub admin_jwt: AdminJwtArgs,

    /// Address of the admin gRPC API.
    #[arg(long, env = "CONTROL_PLANE_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Address of an HTTP listener serving Prometheus metrics at /metrics; unset: none.
    #[arg(long, env = "CONTROL_PLANE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Externally visible base URL of the data plane's HTTP listener; OAuth2 callback URLs are
    /// built on it.
    #[arg(long, env = "PUBLIC_BASE_URL", default_value = "http://127.0.0.1:8080")]
    pub public_base_url: String,

    /// An admin bearer token accepted for the default account (first start, tests, Helm). In
    /// the embedded mode, one is generated under the data directory when this is unset.
    #[arg(long, env = "IDENTITY_BOOTSTRAP_ADMIN_TOKEN", hide_env_values = true)]
    pub bootstrap_admin_token: Option<String>,

    /// CIDRs that discovery calls may reach although private or loopback, comma-separated
    /// (link-local addresses are refused always).
    #[arg(long, env = "OUTBOUND_ALLOWED_NETWORKS", default_value = "")]
    pub outbound_allowed_networks: String,

    /// The data planes' Redis (`redis://…`, `rediss://…`), so that DeleteUserTokens removes the
    /// user's cached grants from it; unset when the data planes use in-process caches.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of the data planes' Redis keys (the same as theirs).
    #[arg(long, env = "REDIS_KEY_PREFIX", default_value = "agentcore-identity:")]
    pub redis_key_prefix: String,

    /// On SIGTERM, seconds to keep serving while not ready before the listener stops accepting.
    #[arg(long, env = "SHUTDOWN_DELAY", default_value_t = 0)]
    pub shutdown_delay: u64,

    /// Seconds in-flight requests may take to finish once the listener stopped accepting.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value_t = 20)]
    pub shutdown_timeout: u64,

    /// OAuth2 credential providers per account.
    #[arg(long, env = "IDENTITY_QUOTA_OAUTH2_PROVIDERS", default_value_t = Quotas::default().oauth2_providers)]
    pub quota_oauth2_providers: u32,

    /// API-key credential providers per account.
    #[arg(long, env = "IDENTITY_QUOTA_API_KEY_PROVIDERS", default_value_t = Quotas::default().api_key_providers)]
    pub quota_api_key_providers: u32,

    /// Workload identities per account.
    #[arg(long, env = "IDENTITY_QUOTA_WORKLOAD_IDENTITIES", default_value_t = Quotas::default().workload_identities)]
    pub quota_workload_identities: u32,

    /// JWT authorizers per account.
    #[arg(long, env = "IDENTITY_QUOTA_JWT_AUTHORIZERS", default_value_t = Quotas::default().jwt_authorizers)]
    pub quota_jwt_authorizers: u32,

    /// Access keys per account.
    #[arg(long, env = "IDENTITY_QUOTA_ACCESS_KEYS", default_value_t = Quotas::default().access_keys)]
    pub quota_access_keys: u32,
}

/// Validated control-plane settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Database and keys.
    pub storage: StorageConfig,
    /// gRPC address.
    pub listen: SocketAddr,
    /// Metrics (HTTP) address, if any.
    pub metrics_listen: Option<SocketAddr>,
    /// Base of callback URLs, without a trailing slash.
    pub public_base_url: String,
    /// Bootstrap admin token, if configured.
    pub bootstrap_admin_token: Option<SecretString>,
    /// Networks discovery may reach although not public.
    pub outbound_allowed_networks: Vec<ipnet::IpNet>,
    /// The data planes' Redis, when they share one.
    pub redis_url: Option<String>,
    /// Prefix of the data planes' Redis keys.
    pub redis_key_prefix: String,
    /// Per-account limits.
    pub quotas: Quotas,
    /// Not-ready period before the listener stops on SIGTERM.
    pub shutdown_delay: std::time::Duration,
    /// Longest drain of in-flight requests.
    pub shutdown_timeout: std::time::Duration,
    /// Message sizes, request timeout, concurrency limit.
    pub hardening: Hardening,
    /// Admin JWTs from the operators' IdP, when accepted.
    pub admin_jwt: Option<AdminJwtConfig>,
}

/// Shortest bootstrap token accepted: it is a bearer credential for the whole default account.
const MIN_TOKEN_LEN: usize = 20;

impl ServeArgs {
    /// Validates the settings.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let storage = self.storage.resolve()?;
        let base = url::Url::parse(&self.public_base_url).map_err(|e| ConfigError(format!("PUBLIC_BASE_URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.query().is_some() || base.fragment().is_some() {
            return Err(ConfigError("PUBLIC_BASE_URL must be an http(s) URL without query or fragment".to_owned()));
        }
        let bootstrap_admin_token = match &self.bootstrap_admin_token {
            Some(token) if token.len() < MIN_TOKEN_LEN || token.chars().any(char::is_whitespace) => {
                return Err(ConfigError(format!(
                    "IDENTITY_BOOTSTRAP_ADMIN_TOKEN must be at least {MIN_TOKEN_LEN} characters without whitespace"
                )));
            }
            Some(token) => Some(SecretString::new(token.clone())),
            None => None,
        };
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError("REDIS_URL must start with redis:// or rediss://".to_owned()));
        }
        Ok(Config {
            storage,
            listen: self.listen,
            metrics_listen: self.metrics_listen,
            public_base_url: base.as_str().trim_end_matches('/').to_owned(),
            bootstrap_admin_token,
            outbound_allowed_networks: parse_networks(&self.outbound_allowed_networks)?,
            redis_url: self.redis_url.clone(),
            redis_key_prefix: self.redis_key_prefix.clone(),
            quotas: Quotas {
                oauth2_providers: self.quota_oauth2_providers,
                api_key_providers: self.quota_api_key_providers,
                workload_identities: self.quota_workload_identities,
                jwt_authorizers: self.quota_jwt_authorizers,
                access_keys: self.quota_access_keys,
            },
            shutdown_delay: std::time::Duration::from_secs(self.shutdown_delay),
            shutdown_timeout: std::time::Duration::from_secs(self.shutdown_timeout),
            hardening: self.hardening.resolve()?,
            admin_jwt: self.admin_jwt.resolve()?,
        })
    }
}

#[cfg(test)]
mod tests;
