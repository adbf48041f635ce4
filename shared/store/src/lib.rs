//! The one storage interface of the service, on Postgres (production) and SQLite (the embedded
//! default), both through sqlx's `Any` driver so that every query is written once.
//!
//! Every write runs in a transaction that first locks the account's row, which serialises the
//! account's quota checks and data-key creation across replicas. Secrets (client secrets, API
//! keys) are sealed with the account's data key before they reach a query, and only ciphertext
//! is ever stored. Every mutation appends a hash-chained audit record in its own transaction
//! (see [`AuditContext`] and [`Store::verify_audit_chain`]).

mod access_keys;
mod admin_tokens;
mod audit;
mod authorizers;
mod error;
mod generations;
mod keys;
mod migrate;
mod providers;
mod rows;
mod signing_keys;
mod user_disconnect;
mod user_federation;
mod vault;
mod workloads;

use std::sync::Arc;

use identity_crypto::MasterKeyRing;
use identity_domain::{Clock, Quotas};
use sqlx::{
    Any, AnyPool, Executor as _, Transaction,
    any::{AnyConnectOptions, AnyPoolOptions},
};

pub use audit::{AuditContext, QueuedAuditEvent};
pub use error::StoreError;
pub use generations::{CacheGenerations, CacheScope};
pub use identity_crypto::{ChainBreak, ChainBreakReason, VerifyReport};
pub use migrate::Backend;
pub use signing_keys::{NewSigningKey, SigningKeyMaterial, SigningKeyRecord};
pub use user_disconnect::{DeletedGrant, UserGrantFilter, grant_cache_prefix};
pub use user_federation::{GRANTS_PER_USER_AND_PROVIDER, GrantKey, OauthSession, SessionStatus};
pub use vault::{DataKeyRotation, DataKeyStatus, VaultKeyStatus, VaultStatus};

use keys::DataKeys;

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The service's storage: resources, secrets (sealed), admin tokens and access keys.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    keys: Arc<DataKeys>,
    clock: Arc<dyn Clock>,
    quotas: Quotas,
    /// Who the changes made through this handle are recorded as made by.
    audit: Arc<AuditContext>,
}

/// How to open a [`Store`].
#[derive(Debug)]
pub struct StoreOptions {
    /// `postgres://…` or `sqlite://…` (the SQLite file and its directory are created if missing).
    pub url: String,
    /// Key-encryption keys for the accounts' data keys.
    pub keyring: Arc<MasterKeyRing>,
    /// Source of "now" for timestamps.
    pub clock: Arc<dyn Clock>,
    /// Per-account limits.
    pub quotas: Quotas,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

impl Store {
    /// Connects (creating an SQLite database file if needed). Does not migrate.
    pub async fn connect(options: StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(&options.url)?;
        let url = backend.prepare_url(&options.url)?;
        let connect: AnyConnectOptions = url.parse().map_err(StoreError::Database)?;
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed during a write; the busy timeout makes
                        // concurrent writers queue instead of failing.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await?;
        Ok(Self {
            pool,
            backend,
            keys: Arc::new(DataKeys::new(options.keyring)),
            clock: options.clock,
            quotas: options.quotas,
            audit: Arc::new(AuditContext::default()),
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The per-account limits in force.
    pub fn quotas(&self) -> Quotas {
        self.quotas
    }

    /// Whether the database answers (for readiness probes).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Starts a write transaction for `account`: creates the account row if needed and locks it.
    async fn begin_write(&self, account: &identity_domain::AccountId) -> Result<Transaction<'static, Any>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO accounts (account_id, created_at, write_serial) VALUES ($1, $2, 0) ON CONFLICT (account_id) DO NOTHING")
            .bind(account.as_str())
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE accounts SET write_serial = write_serial + 1 WHERE account_id = $1")
            .bind(account.as_str())
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// Runs `count` and fails with `QuotaExceeded` when `count >= limit`.
async fn check_quota(
    tx: &mut Transaction<'static, Any>,
    sql: &str,
    binds: &[&str],
    kind: &'static str,
    limit: u32,
) -> Result<()> {
    let mut query = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        query = query.bind(*b);
    }
    let count = query.fetch_one(&mut **tx).await?;
    if count >= i64::from(limit) {
        return Err(StoreError::QuotaExceeded { kind, limit });
    }
    Ok(())
}

/// A fresh id: `prefix` and 24 hex digits.
fn new_id(prefix: &str) -> Result<String> {
    let bytes = identity_crypto::random_bytes(12)?;
    Ok(format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}
