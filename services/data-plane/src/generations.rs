//! How control-plane changes reach this replica's caches: the accounts' cache generations
//! (`identity_store::CacheGenerations`), polled from the database every [`POLL_INTERVAL`].
//!
//! - Everything cached from a provider, a workload identity or an access key (API-key
//!   ciphertext and M2M tokens in the shared cache, provider settings, workload liveness and
//!   checked access keys in process) carries the account's config generation in its key or
//!   value: once this replica has seen a newer generation, an older entry is never read again
//!   and expires on its own. Replicas sharing Redis agree on the key because they read the
//!   generation from the same database.
//! - Users' grants carry the account's grant generation in their cache entry (exchanged tokens
//!   in their key), so a disconnect reaches every replica's cache even when whoever deleted the
//!   grants could not reach Redis; when an account's grant generation rises, this replica also drops the
//!   account's grants from its in-process cache, to free them.
//!
//! A change is thus honoured within one poll (plus the query's time) of its commit, with or
//! without Redis, and a cache hit still costs no database round trip. A replica that cannot
//! reach the database keeps its last generations: then only the entries' TTLs bound staleness.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use identity_cache::MemoryCache;
use identity_domain::AccountId;
use identity_store::{CacheGenerations, Store, StoreError};

/// How often the generations are polled (one indexed query).
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The generations this replica has seen, by account.
#[derive(Debug, Default)]
pub struct Generations {
    known: RwLock<HashMap<AccountId, (i64, i64)>>,
    /// The largest epoch seen: every change up to it is applied.
    epoch: AtomicI64,
}

impl Generations {
    /// The account's config generation (0 until its first invalidating change).
    pub fn config(&self, account: &AccountId) -> i64 {
        self.read(account).0
    }

    /// The account's grant generation.
    pub fn grants(&self, account: &AccountId) -> i64 {
        self.read(account).1
    }

    /// The largest epoch seen. A value read from the database after this was taken is stale
    /// only if its account's generation later rises above it.
    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn read(&self, account: &AccountId) -> (i64, i64) {
        let known = self.known.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        known.get(account).copied().unwrap_or_default()
    }

    /// Reads the changes since the last poll and applies them; returns the accounts whose grant
    /// generation rose.
    pub async fn poll(&self, store: &Store) -> Result<Vec<AccountId>, StoreError> {
        let changed = store.cache_generations_since(self.epoch()).await?;
        let mut grants_changed = Vec::new();
        if let Some(last) = changed.last() {
            let mut known = self.known.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            for CacheGenerations { account, config, grants, .. } in &changed {
                let (_, grants_before) = known.insert(account.clone(), (*config, *grants)).unwrap_or_default();
                if grants_before != *grants {
                    grants_changed.push(account.clone());
                }
            }
            // Published after the generations, so a reader that sees the epoch sees them too.
            self.epoch.fetch_max(last.epoch, Ordering::AcqRel);
        }
        Ok(grants_changed)
    }

    /// Polls every [`POLL_INTERVAL`] until the task is dropped, dropping a changed account's
    /// grants from `local` (the in-process cache, when there is no Redis).
    pub fn spawn(self: Arc<Self>, store: Store, local: Option<MemoryCache>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(POLL_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let failing = AtomicBool::new(false);
            loop {
                ticks.tick().await;
                match self.poll(&store).await {
                    Ok(changed) => {
                        if failing.swap(false, Ordering::Relaxed) {
                            tracing::info!("cache generations are polled again");
                        }
                        if let Some(local) = &local {
                            for account in changed {
                                local.invalidate_prefix(&crate::refresh::grant_cache_prefix(&account));
                            }
                        }
                    }
                    Err(e) => {
                        if !failing.swap(true, Ordering::Relaxed) {
                            tracing::warn!(error = %e, "cannot poll cache generations; cached entries now expire by TTL only");
                        }
                    }
                }
            }
        })
    }
}

impl crate::vend::DataContext {
    /// Whether the workload identity a WAT names (`name`, with id `id`) still exists: a deleted
    /// one's WATs are refused once this replica has polled the deletion. Remembered per config
    /// generation, so a hit costs no database round trip.
    pub(crate) async fn workload_exists(
        &self,
        account: &AccountId,
        name: &str,
        id: &str,
    ) -> Result<bool, crate::error::DataError> {
        let key = (account.clone(), self.generations.config(account), id.to_owned());
        if let Some(exists) = self.live_workloads.get(&key).await {
            return Ok(exists);
        }
        let exists = match self.store.get_workload_identity(account, name).await {
            Ok(workload) => workload.id == id,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        self.live_workloads.insert(key, exists).await;
        Ok(exists)
    }
}

#[cfg(test)]
mod tests;
