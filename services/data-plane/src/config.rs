//! The data plane's settings: each a flag and an environment variable, turned by the pure
//! [`ServeArgs::resolve`] into a validated [`Config`].

use std::net::SocketAddr;

use identity_server::config::{ConfigError, StorageArgs, StorageConfig, parse_networks};

/// `identity-data-plane` settings.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,

    /// Address of the vending gRPC API.
    #[arg(long, env = "DATA_PLANE_LISTEN", default_value = "127.0.0.1:50052")]
    pub listen: SocketAddr,

    /// Address of the HTTP listener (OAuth endpoints, JWKS, health, metrics).
    #[arg(long, env = "DATA_PLANE_HTTP_LISTEN", default_value = "127.0.0.1:8080")]
    pub http_listen: SocketAddr,

    /// Externally visible base URL of the HTTP listener.
    #[arg(long, env = "PUBLIC_BASE_URL", default_value = "http://127.0.0.1:8080")]
    pub public_base_url: String,

    /// CIDRs that calls to providers, discovery and JWKS URLs may reach although private or
    /// loopback, comma-separated (link-local addresses are refused always).
    #[arg(long, env = "OUTBOUND_ALLOWED_NETWORKS", default_value = "")]
    pub outbound_allowed_networks: String,

    /// Redis for the shared cache (`redis://…`, `rediss://…`); unset: an in-process cache.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key this deployment writes.
    #[arg(long, env = "REDIS_KEY_PREFIX", default_value = "agentcore-identity:")]
    pub redis_key_prefix: String,

    /// Lifetime of workload access tokens, in seconds (60 to 3600).
    #[arg(long, env = "WORKLOAD_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub workload_access_token_ttl: u64,

    /// On SIGTERM, seconds to keep serving while not ready (so load balancers move away) before
    /// the listeners stop accepting.
    #[arg(long, env = "SHUTDOWN_DELAY", default_value_t = 0)]
    pub shutdown_delay: u64,

    /// Seconds in-flight requests may take to finish once the listeners stopped accepting.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value_t = 20)]
    pub shutdown_timeout: u64,

    /// A user's OAuth2 token is refreshed when it has fewer than this many seconds to live.
    #[arg(long, env = "TOKEN_REFRESH_MARGIN", default_value_t = 60)]
    pub token_refresh_margin: u64,

    /// How often each account's token-signing key rotates, in seconds (at least 300).
    #[arg(long, env = "SIGNING_KEY_ROTATION", default_value_t = 86_400)]
    pub signing_key_rotation: u64,
}

/// Validated data-plane settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Database and keys.
    pub storage: StorageConfig,
    /// gRPC address.
    pub listen: SocketAddr,
    /// HTTP address.
    pub http_listen: SocketAddr,
    /// Public base URL, without a trailing slash.
    pub public_base_url: String,
    /// Networks outbound calls may reach although not public.
    pub outbound_allowed_networks: Vec<ipnet::IpNet>,
    /// Redis URL, or `None` for the in-process cache.
    pub redis_url: Option<String>,
    /// Prefix of Redis keys.
    pub redis_key_prefix: String,
    /// Lifetime of workload access tokens.
    pub workload_access_token_ttl: std::time::Duration,
    /// Signing key rotation period.
    pub signing_key_rotation: std::time::Duration,
    /// Refresh users' tokens with less than this to live.
    pub token_refresh_margin: std::time::Duration,
    /// Not-ready period before the listeners stop on SIGTERM.
    pub shutdown_delay: std::time::Duration,
    /// Longest drain of in-flight requests.
    pub shutdown_timeout: std::time::Duration,
}

impl ServeArgs {
    /// Validates the settings.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        let storage = self.storage.resolve()?;
        let base = url::Url::parse(&self.public_base_url).map_err(|e| ConfigError(format!("PUBLIC_BASE_URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.query().is_some() || base.fragment().is_some() {
            return Err(ConfigError("PUBLIC_BASE_URL must be an http(s) URL without query or fragment".to_owned()));
        }
        if self.listen == self.http_listen {
            return Err(ConfigError("DATA_PLANE_LISTEN and DATA_PLANE_HTTP_LISTEN must differ".to_owned()));
        }
        if !(60..=3600).contains(&self.workload_access_token_ttl) {
            return Err(ConfigError("WORKLOAD_ACCESS_TOKEN_TTL must be between 60 and 3600 seconds".to_owned()));
        }
        if self.signing_key_rotation < 300 {
            return Err(ConfigError("SIGNING_KEY_ROTATION must be at least 300 seconds".to_owned()));
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError("REDIS_URL must start with redis:// or rediss://".to_owned()));
        }
        Ok(Config {
            storage,
            listen: self.listen,
            http_listen: self.http_listen,
            public_base_url: base.as_str().trim_end_matches('/').to_owned(),
            outbound_allowed_networks: parse_networks(&self.outbound_allowed_networks)?,
            redis_url: self.redis_url.clone(),
            redis_key_prefix: self.redis_key_prefix.clone(),
            workload_access_token_ttl: std::time::Duration::from_secs(self.workload_access_token_ttl),
            signing_key_rotation: std::time::Duration::from_secs(self.signing_key_rotation),
            token_refresh_margin: std::time::Duration::from_secs(self.token_refresh_margin),
            shutdown_delay: std::time::Duration::from_secs(self.shutdown_delay),
            shutdown_timeout: std::time::Duration::from_secs(self.shutdown_timeout),
        })
    }
}
