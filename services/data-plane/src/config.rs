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
        Ok(Config {
            storage,
            listen: self.listen,
            http_listen: self.http_listen,
            public_base_url: base.as_str().trim_end_matches('/').to_owned(),
            outbound_allowed_networks: parse_networks(&self.outbound_allowed_networks)?,
        })
    }
}
