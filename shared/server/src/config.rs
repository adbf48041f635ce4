//! Settings both binaries share: where the database is, the master key ring, the region.
//! Every setting is a flag and an environment variable (clap's `env`), listed by `--help`;
//! secret values are never echoed there. [`StorageArgs::resolve`] is the pure step that turns
//! them into a typed, validated [`StorageConfig`]; [`StorageConfig::open`] acts on it.

use std::{path::PathBuf, sync::Arc};

use identity_crypto::MasterKeyRing;
use identity_domain::{Clock, Quotas};
use identity_store::{Backend, Store, StoreOptions};

/// A configuration problem, reported at start-up with a non-zero exit.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Storage and key settings.
#[derive(clap::Args, Clone, Debug)]
pub struct StorageArgs {
    /// Database URL: `postgres://…` (production) or `sqlite://PATH` (embedded default).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://./data/identity.db", hide_env_values = true)]
    pub database_url: String,

    /// Largest number of pooled database connections.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// Key-encryption key ring: `ID:BASE64` pairs of 32-byte keys, comma-separated; the last is
    /// current. Required with Postgres (or IDENTITY_MASTER_KEY_FILE).
    #[arg(long, env = "IDENTITY_MASTER_KEYS", hide_env_values = true)]
    pub master_keys: Option<String>,

    /// File holding the key ring, one `ID:BASE64` pair per line.
    #[arg(long, env = "IDENTITY_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,

    /// Directory for what the embedded mode generates on first start (`master.keys`,
    /// `admin-token`), each mode 0600.
    #[arg(long, env = "IDENTITY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Region named in ARNs.
    #[arg(long, env = "IDENTITY_REGION", default_value = identity_domain::DEFAULT_REGION)]
    pub region: String,
}

/// Where the master key ring comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRingSource {
    /// `IDENTITY_MASTER_KEYS`.
    Inline(String),
    /// `IDENTITY_MASTER_KEY_FILE`.
    File(PathBuf),
    /// Embedded mode only: generated on first start at this path.
    Generated(PathBuf),
}

/// Validated storage settings.
#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// Database URL.
    pub database_url: String,
    /// Which database it names.
    pub backend: Backend,
    /// Pool size.
    pub max_connections: u32,
    /// Where the key ring comes from.
    pub keyring: KeyRingSource,
    /// Directory for generated files.
    pub data_dir: PathBuf,
    /// Region named in ARNs.
    pub region: String,
}

impl StorageArgs {
    /// Validates the settings without touching the file system or network.
    pub fn resolve(&self) -> Result<StorageConfig, ConfigError> {
        let backend = Backend::of_url(&self.database_url).map_err(|e| ConfigError(format!("DATABASE_URL: {e}")))?;
        let keyring = match (&self.master_keys, &self.master_key_file) {
            (Some(_), Some(_)) => {
                return Err(ConfigError("set IDENTITY_MASTER_KEYS or IDENTITY_MASTER_KEY_FILE, not both".to_owned()));
            }
            (Some(keys), None) => {
                // Parse now so that a malformed ring fails at start-up.
                MasterKeyRing::parse(keys).map_err(|e| ConfigError(format!("IDENTITY_MASTER_KEYS: {e}")))?;
                KeyRingSource::Inline(keys.clone())
            }
            (None, Some(file)) => KeyRingSource::File(file.clone()),
            (None, None) if backend == Backend::Sqlite => KeyRingSource::Generated(self.data_dir.join("master.keys")),
            (None, None) => {
                return Err(ConfigError(
                    "IDENTITY_MASTER_KEYS or IDENTITY_MASTER_KEY_FILE is required with Postgres \
                     (only the embedded SQLite mode generates a key ring)"
                        .to_owned(),
                ));
            }
        };
        let region_ok = !self.region.is_empty()
            && self.region.len() <= 32
            && self.region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(ConfigError("IDENTITY_REGION must be a region name such as us-east-1".to_owned()));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError("DATABASE_MAX_CONNECTIONS must be at least 1".to_owned()));
        }
        Ok(StorageConfig {
            database_url: self.database_url.clone(),
            backend,
            max_connections: self.database_max_connections,
            keyring,
            data_dir: self.data_dir.clone(),
            region: self.region.clone(),
        })
    }
}

impl StorageConfig {
    /// Loads the key ring (generating it in embedded mode, with a warning) and connects.
    pub async fn open(&self, clock: Arc<dyn Clock>, quotas: Quotas) -> Result<Store, ConfigError> {
        let keyring = match &self.keyring {
            KeyRingSource::Inline(keys) => {
                MasterKeyRing::parse(keys).map_err(|e| ConfigError(format!("IDENTITY_MASTER_KEYS: {e}")))?
            }
            KeyRingSource::File(path) => {
                MasterKeyRing::load_file(path).map_err(|e| ConfigError(format!("IDENTITY_MASTER_KEY_FILE: {e}")))?
            }
            KeyRingSource::Generated(path) => {
                let (ring, created) =
                    MasterKeyRing::load_or_create_file(path).map_err(|e| ConfigError(e.to_string()))?;
                if created {
                    tracing::warn!(path = %path.display(), "generated a master key ring for the embedded mode; back it up, or set IDENTITY_MASTER_KEYS");
                } else {
                    tracing::warn!(path = %path.display(), "using the embedded mode's generated master key ring");
                }
                ring
            }
        };
        Store::connect(StoreOptions {
            url: self.database_url.clone(),
            keyring: Arc::new(keyring),
            clock,
            quotas,
            max_connections: self.max_connections,
        })
        .await
        .map_err(|e| ConfigError(format!("cannot open the database: {e}")))
    }
}

/// Parses `OUTBOUND_ALLOWED_NETWORKS`-style CIDR lists.
pub fn parse_networks(value: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|cidr| {
            cidr.parse::<ipnet::IpNet>().or_else(|_| cidr.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)).map_err(
                |_| ConfigError(format!("OUTBOUND_ALLOWED_NETWORKS: '{cidr}' is not a CIDR such as 10.0.0.0/8")),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests;
