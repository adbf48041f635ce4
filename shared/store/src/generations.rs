//! Cache generations: how a change made on the control plane reaches every data plane's caches
//! within a poll interval, with or without Redis.
//!
//! A mutation of what the data planes cache (a provider's settings or secret, a workload identity,
//! an access key) raises its account's `config_generation` in the mutation's own transaction; the
//! data planes put that generation in the keys of everything they cache from those, so an entry
//! written before the change is never read again and expires on its own. Deleting users' grants
//! raises `grant_generation` instead, so that a disconnect does not also throw away the account's
//! M2M tokens and API keys. Both values are drawn from one global epoch, and a data plane asks
//! only for the accounts whose `changed_epoch` rose since its last poll (one indexed query).
//!
//! The epoch's row is taken last in the transaction and held until commit, so epochs commit in
//! order: when a poller sees epoch N, every change with a smaller epoch is already visible.

use identity_domain::AccountId;
use sqlx::{Any, Row as _, Transaction};

use crate::{Result, Store, StoreError};

/// Which of an account's cache generations a change raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheScope {
    /// Providers, workload identities, access keys.
    Config,
    /// Users' grants.
    Grants,
}

/// An account's cache generations, as polled by the data planes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheGenerations {
    /// The account.
    pub account: AccountId,
    /// Raised by changes to providers, workload identities and access keys.
    pub config: i64,
    /// Raised when users' grants are deleted.
    pub grants: i64,
    /// The larger of the two: the epoch of the account's latest change.
    pub epoch: i64,
}

impl Store {
    /// Raises `account`'s generation for `scope` inside `tx` (which `begin_write` opened). Call it
    /// last, just before commit: it holds the global epoch's lock until the transaction ends.
    pub(crate) async fn bump_cache_generation(
        &self,
        tx: &mut Transaction<'static, Any>,
        account: &AccountId,
        scope: CacheScope,
    ) -> Result<i64> {
        let epoch: i64 = sqlx::query_scalar("UPDATE cache_epoch SET value = value + 1 WHERE id = 1 RETURNING value")
            .fetch_one(&mut **tx)
            .await?;
        let column = match scope {
            CacheScope::Config => "config_generation",
            CacheScope::Grants => "grant_generation",
        };
        sqlx::query(&format!("UPDATE accounts SET {column} = $1, changed_epoch = $1 WHERE account_id = $2"))
            .bind(epoch)
            .bind(account.as_str())
            .execute(&mut **tx)
            .await?;
        Ok(epoch)
    }

    /// The generations of every account changed after `epoch` (0: every account ever changed),
    /// in epoch order.
    pub async fn cache_generations_since(&self, epoch: i64) -> Result<Vec<CacheGenerations>> {
        let rows = sqlx::query(
            "SELECT account_id, config_generation, grant_generation, changed_epoch FROM accounts \
             WHERE changed_epoch > $1 ORDER BY changed_epoch",
        )
        .bind(epoch)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let account: String = row.try_get("account_id")?;
                Ok(CacheGenerations {
                    account: AccountId::parse(&account).map_err(StoreError::Corrupt)?,
                    config: row.try_get("config_generation")?,
                    grants: row.try_get("grant_generation")?,
                    epoch: row.try_get("changed_epoch")?,
                })
            })
            .collect()
    }
}
