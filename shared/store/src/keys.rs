//! Accounts' data keys: created on an account's first secret, stored wrapped by the master key
//! ring, and kept unwrapped in memory once used (they are needed on every seal and open).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use identity_crypto::{DataKey, MasterKeyRing, SealContext, WrappedDataKey};
use identity_domain::{AccountId, SecretString};
use sqlx::{Any, Row as _, Transaction};

use crate::{Result, Store, StoreError};

type KeyCache = HashMap<(AccountId, u32), Arc<DataKey>>;

/// The master key ring and the unwrapped data keys seen so far.
#[derive(Debug)]
pub(crate) struct DataKeys {
    pub(crate) ring: Arc<MasterKeyRing>,
    cache: RwLock<KeyCache>,
    /// Newest data key per account seen by `current_data_key`.
    current: RwLock<HashMap<AccountId, Arc<DataKey>>>,
}

impl DataKeys {
    pub(crate) fn new(ring: Arc<MasterKeyRing>) -> Self {
        Self { ring, cache: RwLock::new(HashMap::new()), current: RwLock::new(HashMap::new()) }
    }

    fn cached(&self, account: &AccountId, version: u32) -> Option<Arc<DataKey>> {
        self.cache.read().ok()?.get(&(account.clone(), version)).cloned()
    }

    /// The account's current data key, if this process has used it.
    fn current(&self, account: &AccountId) -> Option<Arc<DataKey>> {
        self.current.read().ok()?.get(account).cloned()
    }

    fn remember(&self, account: &AccountId, key: DataKey) -> Arc<DataKey> {
        let key = Arc::new(key);
        if let Ok(mut cache) = self.cache.write() {
            cache.insert((account.clone(), key.version()), key.clone());
        }
        key
    }

    fn set_current(&self, account: &AccountId, key: &Arc<DataKey>) {
        if let Ok(mut current) = self.current.write() {
            current.insert(account.clone(), key.clone());
        }
    }

    fn unwrap_row(
        &self,
        account: &AccountId,
        version: i64,
        master_key_id: String,
        wrapped: Vec<u8>,
    ) -> Result<Arc<DataKey>> {
        let version = u32::try_from(version).map_err(|_| StoreError::Corrupt("data key version".to_owned()))?;
        if let Some(key) = self.cached(account, version) {
            return Ok(key);
        }
        let key = self.ring.unwrap(account.as_str(), version, &WrappedDataKey { master_key_id, bytes: wrapped })?;
        Ok(self.remember(account, key))
    }
}

impl Store {
    /// The account's current data key, created (inside the caller's write transaction, which
    /// holds the account lock) if the account has none yet.
    pub(crate) async fn current_data_key(
        &self,
        tx: &mut Transaction<'static, Any>,
        account: &AccountId,
    ) -> Result<Arc<DataKey>> {
        let row = sqlx::query("SELECT version, master_key_id, wrapped_key FROM data_keys WHERE account_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(account.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = row {
            let key = self.keys.unwrap_row(account, row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)?;
            self.keys.set_current(account, &key);
            return Ok(key);
        }
        let (key, raw) = DataKey::generate(1)?;
        let wrapped = self.keys.ring.wrap(account.as_str(), 1, &raw)?;
        sqlx::query("INSERT INTO data_keys (account_id, version, master_key_id, wrapped_key, created_at) VALUES ($1, 1, $2, $3, $4)")
            .bind(account.as_str())
            .bind(&wrapped.master_key_id)
            .bind(&wrapped.bytes)
            .bind(self.now())
            .execute(&mut **tx)
            .await?;
        // Not remembered yet: the transaction may still roll back, and a remembered key that was
        // never stored would seal what no one can open. The next read loads it once committed.
        Ok(Arc::new(key))
    }

    /// The data key that sealed `ciphertext`.
    async fn data_key_for(&self, account: &AccountId, ciphertext: &[u8]) -> Result<Arc<DataKey>> {
        let version = DataKey::version_of(ciphertext)?;
        if let Some(key) = self.keys.cached(account, version) {
            return Ok(key);
        }
        let row =
            sqlx::query("SELECT master_key_id, wrapped_key FROM data_keys WHERE account_id = $1 AND version = $2")
                .bind(account.as_str())
                .bind(i64::from(version))
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("data key v{version} of the account is missing")))?;
        self.keys.unwrap_row(account, i64::from(version), row.try_get(0)?, row.try_get(1)?)
    }

    /// Opens a stored secret.
    pub(crate) async fn open_secret(
        &self,
        context: &SealContext<'_>,
        account: &AccountId,
        ciphertext: &[u8],
    ) -> Result<SecretString> {
        let plain = self.open_bytes(context, account, ciphertext).await?;
        let text =
            String::from_utf8(plain.to_vec()).map_err(|_| StoreError::Corrupt("secret is not UTF-8".to_owned()))?;
        Ok(SecretString::new(text))
    }

    /// Seals `plaintext` with the account's current data key (created if the account has none),
    /// for values kept outside the database, such as cache entries.
    pub async fn seal_for_account(
        &self,
        account: &AccountId,
        context: &SealContext<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let key = match self.keys.current(account) {
            Some(key) => key,
            None => {
                let mut tx = self.begin_write(account).await?;
                let key = self.current_data_key(&mut tx, account).await?;
                tx.commit().await?;
                self.keys.set_current(account, &key);
                key
            }
        };
        Ok(key.seal(context, plaintext)?)
    }

    /// Opens what [`Store::seal_for_account`] sealed.
    pub async fn open_for_account(
        &self,
        account: &AccountId,
        context: &SealContext<'_>,
        ciphertext: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        self.open_bytes(context, account, ciphertext).await
    }

    /// Opens stored secret bytes.
    pub(crate) async fn open_bytes(
        &self,
        context: &SealContext<'_>,
        account: &AccountId,
        ciphertext: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let key = self.data_key_for(account, ciphertext).await?;
        Ok(key.open(context, ciphertext)?)
    }
}
