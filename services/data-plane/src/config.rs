//! The data plane's settings: each a flag and an environment variable, turned by the pure
//! [`ServeArgs::resolve`] into a validated [`Config`].

use std::net::SocketAddr;

use identity_server::{
    Hardening, HardeningArgs,
    config::{ConfigError, StorageArgs, StorageConfig, parse_networks},
};

/// `identity-data-plane` settings.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,

    #[command(flatten)]
    pub hardening: HardeningArgs,

    /// Calls per second each account may make to IdentityDataService, across all replicas when
    /// REDIS_URL is set (else per process); more are refused with RESOURCE_EXHAUSTED
    /// (ThrottlingException) and a retry delay. 0: no limit.
    #[arg(long, env = "RATE_LIMIT_PER_SECOND", default_value_t = 100)]
    pub rate_limit_per_second: u32,

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

    /// Most audit events held in memory while they wait for the database (about 1 KB each):
    /// what a database outage can absorb before AUDIT_QUEUE_FULL applies.
    #[arg(long, env = "AUDIT_QUEUE_CAPACITY", default_value_t = 50_000)]
    pub audit_queue_capacity: usize,

    /// When the audit queue is full: `fail` refuses calls with UNAVAILABLE, so nothing is vended
    /// unaudited; `drop` serves them and drops their audit events (counted and logged).
    #[arg(long, env = "AUDIT_QUEUE_FULL", default_value = "fail")]
    pub audit_queue_full: String,

    /// Milliseconds an audit event waits for others to be written with it (10 to 1000).
    #[arg(long, env = "AUDIT_FLUSH_INTERVAL_MS", default_value_t = 200)]
    pub audit_flush_interval_ms: u64,
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
    /// The audit queue of vends' events.
    pub audit: AuditSettings,
    /// Refresh users' tokens with less than this to live.
    pub token_refresh_margin: std::time::Duration,
    /// Not-ready period before the listeners stop on SIGTERM.
    pub shutdown_delay: std::time::Duration,
    /// Longest drain of in-flight requests.
    pub shutdown_timeout: std::time::Duration,
    /// Message sizes, request timeout, concurrency limit.
    pub hardening: Hardening,
    /// Calls per account per second; 0: no limit.
    pub rate_limit_per_second: u32,
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
        if !(1..=10_000_000).contains(&self.audit_queue_capacity) {
            return Err(ConfigError("AUDIT_QUEUE_CAPACITY must be between 1 and 10000000 events".to_owned()));
        }
        let when_full = match self.audit_queue_full.as_str() {
            "fail" => WhenAuditQueueFull::Fail,
            "drop" => WhenAuditQueueFull::Drop,
            other => return Err(ConfigError(format!("AUDIT_QUEUE_FULL must be `fail` or `drop`, not `{other}`"))),
        };
        if !(10..=1000).contains(&self.audit_flush_interval_ms) {
            return Err(ConfigError("AUDIT_FLUSH_INTERVAL_MS must be between 10 and 1000".to_owned()));
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
            audit: AuditSettings {
                capacity: self.audit_queue_capacity,
                when_full,
                flush_interval: std::time::Duration::from_millis(self.audit_flush_interval_ms),
            },
            token_refresh_margin: std::time::Duration::from_secs(self.token_refresh_margin),
            shutdown_delay: std::time::Duration::from_secs(self.shutdown_delay),
            shutdown_timeout: std::time::Duration::from_secs(self.shutdown_timeout),
            hardening: self.hardening.resolve()?,
            rate_limit_per_second: self.rate_limit_per_second,
        })
    }
}

/// The audit queue: calls' events wait in it for the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditSettings {
    /// Most events held (queued, being written, or reserved by calls running).
    pub capacity: usize,
    /// What a call meets when there is no room for its events.
    pub when_full: WhenAuditQueueFull,
    /// How long an event waits for others to be written with it.
    pub flush_interval: std::time::Duration,
}

/// What happens to a call when the audit queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenAuditQueueFull {
    /// Refuse it (`UNAVAILABLE`): nothing is vended unaudited.
    Fail,
    /// Serve it and drop its events.
    Drop,
}
