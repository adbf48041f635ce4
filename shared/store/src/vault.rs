//! The token vault's keys: what the master key ring and each account's data keys protect, and
//! their online rotation.
//!
//! Two rotations, both online (vends and writes go on throughout, and nothing is unreadable at
//! any moment):
//!
//! - Re-wrapping ([`Store::rewrap_data_keys`]) moves every data key, of every account, under the
//!   ring's current master key. The master key ring is global, so this is an operator-level action
//!   whatever account asks for it. A data key's material does not change, only its wrapping, so
//!   every ciphertext stays readable, and the unwrapped keys cached in memory stay valid. Each row
//!   is updated in its own short transaction under its account's lock. Once no data key is wrapped
//!   by a master key, that key may leave the ring ([`VaultStatus`] says when).
//! - Rotating an account's data key ([`Store::rotate_account_data_key`]) adds version N+1 and then
//!   re-encrypts the account's ciphertexts under it, row by row, each with a compare-and-swap on
//!   the ciphertext read, so a concurrent update is never overwritten. Older data-key rows are
//!   kept: caches and other replicas may still hold ciphertexts sealed under them. It runs inline,
//!   bounded by the account's size.

use std::collections::BTreeMap;

use identity_crypto::{DataKey, SealContext, WrappedDataKey};
use identity_domain::{AccountId, AuditEntry};
use sqlx::Row as _;

use crate::{Result, Store, StoreError};

/// The stored ciphertexts data keys protect, as (table, id column, ciphertext column, seal-context
/// field); each is sealed for (account, table, id, field), as the table's own module seals it.
/// A new table of ciphertexts belongs here, or rotation would leave it under older data keys
/// (still readable, as those are kept, but not counted).
const CIPHERTEXTS: &[(&str, &str, &str, &str)] = &[
    ("credential_providers", "id", "secret", "secret"),
    ("jwt_authorizers", "id", "secret", "secret"),
    ("signing_keys", "kid", "private_key", "private_key"),
    ("oauth_sessions", "session_id", "pkce_verifier", "pkce_verifier"),
    ("oauth_sessions", "session_id", "grant_sealed", "grant"),
    ("oauth_grants", "grant_id", "sealed", "grant"),
];

/// Audit event names of vault-key changes (the first is also the rotation's own record).
const ROTATE_DATA_KEY: &str = "RotateDataKey";
const REWRAP_DATA_KEY: &str = "RewrapDataKey";

/// One master key, as the vault uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultKeyStatus {
    /// Id in the master key ring.
    pub key_id: String,
    /// Whether it is the ring's current key (the last listed).
    pub current: bool,
    /// Whether the ring holds it (a data key wrapped by a key missing from the ring is unreadable).
    pub in_ring: bool,
    /// The account's data keys it wraps.
    pub account_data_keys: i64,
    /// The account's ciphertexts sealed under data keys it wraps.
    pub account_ciphertexts: i64,
    /// Data keys it wraps, across every account.
    pub all_data_keys: i64,
    /// Whether it may leave the ring: it is not current and wraps no data key of any account.
    pub retirable: bool,
}

/// One of the account's data keys (never its material).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataKeyStatus {
    /// Version, recorded in the header of every ciphertext it seals.
    pub version: u32,
    /// Master key wrapping it.
    pub master_key_id: String,
    /// Whether new secrets of the account are sealed with it (the newest version).
    pub current: bool,
    /// Stored ciphertexts sealed with it.
    pub ciphertexts: i64,
    /// When it was created.
    pub created_at: i64,
}

/// What [`Store::vault_status`] reports for an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultStatus {
    /// The ring's keys in ring order, then any key the database names that the ring lacks.
    pub keys: Vec<VaultKeyStatus>,
    /// Id of the ring's current key.
    pub current_key_id: String,
    /// The account's data keys, oldest first.
    pub data_keys: Vec<DataKeyStatus>,
    /// When the account's vault keys last changed (a data key created, re-wrapped or rotated).
    pub last_modified: Option<i64>,
}

impl VaultStatus {
    /// The account's current data key version, if it has any.
    pub fn current_data_key(&self) -> Option<u32> {
        self.data_keys.iter().map(|k| k.version).max()
    }
}

/// What [`Store::rotate_account_data_key`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataKeyRotation {
    /// The new data key's version.
    pub version: u32,
    /// Ciphertexts re-encrypted under it.
    pub reencrypted: u64,
}

fn version(value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt("data key version".to_owned()))
}

impl Store {
    /// The ring's key ids, oldest first, and the current one.
    pub fn master_key_ids(&self) -> (Vec<String>, String) {
        let ring = &self.keys.ring;
        (ring.key_ids().into_iter().map(str::to_owned).collect(), ring.current_id().to_owned())
    }

    /// How many of `account`'s ciphertexts each of its data-key versions seals.
    async fn ciphertexts_per_version(&self, account: &AccountId) -> Result<BTreeMap<u32, i64>> {
        let mut counts = BTreeMap::new();
        for (table, _, column, _) in CIPHERTEXTS {
            // The header (format byte and 4-byte version) is enough; the body stays in the database.
            let headers: Vec<Vec<u8>> = sqlx::query_scalar(&format!(
                "SELECT SUBSTR({column}, 1, 5) FROM {table} WHERE account_id = $1 AND {column} IS NOT NULL"
            ))
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            for header in headers {
                let version = header
                    .get(1..5)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(u32::from_be_bytes)
                    .ok_or_else(|| StoreError::Corrupt(format!("{table}.{column} has no header")))?;
                *counts.entry(version).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    /// The master keys and `account`'s data keys, and what each protects. Data-key counts per
    /// master key are given for the account and ring-wide; a key is retirable only when no data
    /// key of any account needs it.
    pub async fn vault_status(&self, account: &AccountId) -> Result<VaultStatus> {
        let (ring_ids, current_key_id) = self.master_key_ids();
        let per_version = self.ciphertexts_per_version(account).await?;
        let rows = sqlx::query(
            "SELECT version, master_key_id, created_at FROM data_keys WHERE account_id = $1 ORDER BY version",
        )
        .bind(account.as_str())
        .fetch_all(&self.pool)
        .await?;
        let newest = rows.iter().map(|r| r.try_get::<i64, _>(0)).collect::<Result<Vec<_>, _>>()?.into_iter().max();
        let mut data_keys = Vec::with_capacity(rows.len());
        for row in &rows {
            let v = version(row.try_get(0)?)?;
            data_keys.push(DataKeyStatus {
                version: v,
                master_key_id: row.try_get(1)?,
                current: Some(i64::from(v)) == newest,
                ciphertexts: per_version.get(&v).copied().unwrap_or(0),
                created_at: row.try_get(2)?,
            });
        }
        let global: Vec<(String, i64)> = sqlx::query_as(
            "SELECT master_key_id, COUNT(*) FROM data_keys GROUP BY master_key_id ORDER BY master_key_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut ids = ring_ids.clone();
        ids.extend(global.iter().map(|(id, _)| id.clone()).filter(|id| !ring_ids.contains(id)));
        let keys = ids
            .into_iter()
            .map(|key_id| {
                let mine = data_keys.iter().filter(|k| k.master_key_id == key_id);
                let all_data_keys = global.iter().find(|(id, _)| *id == key_id).map_or(0, |(_, n)| *n);
                let current = key_id == current_key_id;
                VaultKeyStatus {
                    in_ring: ring_ids.contains(&key_id),
                    current,
                    account_data_keys: mine.clone().count() as i64,
                    account_ciphertexts: mine.map(|k| k.ciphertexts).sum(),
                    all_data_keys,
                    retirable: !current && all_data_keys == 0,
                    key_id,
                }
            })
            .collect();
        let last_event: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(event_time) FROM audit_events WHERE account_id = $1 AND event_name IN ($2, $3)",
        )
        .bind(account.as_str())
        .bind(ROTATE_DATA_KEY)
        .bind(REWRAP_DATA_KEY)
        .fetch_one(&self.pool)
        .await?;
        let last_created = data_keys.iter().map(|k| k.created_at).max();
        Ok(VaultStatus { keys, current_key_id, data_keys, last_modified: last_event.max(last_created) })
    }

    /// Re-wraps every data key, of every account, not yet wrapped by the ring's current master
    /// key; returns how many were re-wrapped. Each is one short transaction under its account's
    /// lock that records a `RewrapDataKey` event in that account's log.
    #[tracing::instrument(skip_all)]
    pub async fn rewrap_data_keys(&self) -> Result<u64> {
        let target = self.keys.ring.current_id().to_owned();
        let pending: Vec<(String, i64)> = sqlx::query_as(
            "SELECT account_id, version FROM data_keys WHERE master_key_id <> $1 ORDER BY account_id, version",
        )
        .bind(&target)
        .fetch_all(&self.pool)
        .await?;
        let mut rewrapped = 0;
        for (account, v) in pending {
            let account = AccountId::parse(&account).map_err(StoreError::Corrupt)?;
            let mut tx = self.begin_write(&account).await?;
            // Read again under the lock: another replica may have re-wrapped it meanwhile.
            let row =
                sqlx::query("SELECT master_key_id, wrapped_key FROM data_keys WHERE account_id = $1 AND version = $2")
                    .bind(account.as_str())
                    .bind(v)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(row) = row else { continue };
            let wrapped = WrappedDataKey { master_key_id: row.try_get(0)?, bytes: row.try_get(1)? };
            if wrapped.master_key_id == target {
                continue;
            }
            let new = self.keys.ring.rewrap(account.as_str(), version(v)?, &wrapped)?;
            sqlx::query(
                "UPDATE data_keys SET master_key_id = $3, wrapped_key = $4 WHERE account_id = $1 AND version = $2",
            )
            .bind(account.as_str())
            .bind(v)
            .bind(&new.master_key_id)
            .bind(&new.bytes)
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry {
                resource_arn: self.audit_arns().token_vault(&account),
                ..AuditEntry::success(REWRAP_DATA_KEY)
            };
            self.append_audit(&mut tx, &account, entry).await?;
            tx.commit().await?;
            rewrapped += 1;
        }
        tracing::info!(rewrapped, master_key_id = %target, "data keys re-wrapped");
        Ok(rewrapped)
    }

    /// Creates `account`'s next data key (wrapped by the ring's current master key), then
    /// re-encrypts every ciphertext of the account sealed under an older one.
    #[tracing::instrument(skip_all, fields(account = %account))]
    pub async fn rotate_account_data_key(&self, account: &AccountId) -> Result<DataKeyRotation> {
        let mut tx = self.begin_write(account).await?;
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM data_keys WHERE account_id = $1")
            .bind(account.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let next = version(newest.unwrap_or(0))?
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("data key version overflow".to_owned()))?;
        let (key, raw) = DataKey::generate(next)?;
        let wrapped = self.keys.ring.wrap(account.as_str(), next, &raw)?;
        sqlx::query("INSERT INTO data_keys (account_id, version, master_key_id, wrapped_key, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(account.as_str())
            .bind(i64::from(next))
            .bind(&wrapped.master_key_id)
            .bind(&wrapped.bytes)
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
        let entry =
            AuditEntry { resource_arn: self.audit_arns().token_vault(account), ..AuditEntry::success(ROTATE_DATA_KEY) };
        self.append_audit(&mut tx, account, entry).await?;
        tx.commit().await?;
        // From here on, every write transaction of the account seals under `next` (it reads the
        // newest data key under the account lock), so only older rows need re-encrypting.
        let mut reencrypted = 0;
        for (table, id_column, column, field) in CIPHERTEXTS {
            let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(&format!(
                "SELECT {id_column}, {column} FROM {table} WHERE account_id = $1 AND {column} IS NOT NULL"
            ))
            .bind(account.as_str())
            .fetch_all(&self.pool)
            .await?;
            for (id, old) in rows {
                if DataKey::version_of(&old)? >= next {
                    continue;
                }
                let context = SealContext { account: account.as_str(), table, record: &id, field };
                let plain = self.open_bytes(&context, account, &old).await?;
                let sealed = key.seal(&context, &plain)?;
                let mut tx = self.begin_write(account).await?;
                // Compare-and-swap: a row changed since it was read keeps its newer value.
                let swapped = sqlx::query(&format!(
                    "UPDATE {table} SET {column} = $3 WHERE account_id = $1 AND {id_column} = $2 AND {column} = $4"
                ))
                .bind(account.as_str())
                .bind(&id)
                .bind(&sealed)
                .bind(&old)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                reencrypted += swapped;
            }
        }
        tracing::info!(version = next, reencrypted, "data key rotated");
        Ok(DataKeyRotation { version: next, reencrypted })
    }
}
