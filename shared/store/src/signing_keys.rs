//! Per-account keys that sign workload access tokens. Private keys are sealed with the account's
//! data key; public points are in clear for the JWKS.

use identity_crypto::SealContext;
use identity_domain::AccountId;
use sqlx::{Row as _, any::AnyRow};
use zeroize::Zeroizing;

use crate::{Result, Store, StoreError};

const TABLE: &str = "signing_keys";

/// The public half of a signing key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// Key id (the JWT header's `kid`).
    pub kid: String,
    /// Account whose tokens it signs.
    pub account: AccountId,
    /// P-256 public point, x coordinate, base64url.
    pub public_x: String,
    /// P-256 public point, y coordinate, base64url.
    pub public_y: String,
    /// When it was created.
    pub created_at: i64,
}

/// A signing key with its private half (PKCS#8 DER), zeroed on drop.
pub struct SigningKeyMaterial {
    /// The public half.
    pub record: SigningKeyRecord,
    /// PKCS#8 DER of the private key.
    pub pkcs8: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for SigningKeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyMaterial").field("record", &self.record).finish_non_exhaustive()
    }
}

/// A key to store: its id, private key and public point.
#[derive(Debug)]
pub struct NewSigningKey<'a> {
    /// Key id.
    pub kid: &'a str,
    /// PKCS#8 DER of the private key.
    pub pkcs8: &'a [u8],
    /// Public x, base64url.
    pub public_x: &'a str,
    /// Public y, base64url.
    pub public_y: &'a str,
}

fn seal_context<'a>(account: &'a AccountId, kid: &'a str) -> SealContext<'a> {
    SealContext { account: account.as_str(), table: TABLE, record: kid, field: "private_key" }
}

fn record(row: &AnyRow) -> Result<SigningKeyRecord> {
    let account: String = row.try_get("account_id")?;
    Ok(SigningKeyRecord {
        kid: row.try_get("kid")?,
        account: AccountId::parse(&account).map_err(StoreError::Corrupt)?,
        public_x: row.try_get("public_x")?,
        public_y: row.try_get("public_y")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    async fn open_signing_key(&self, row: &AnyRow) -> Result<SigningKeyMaterial> {
        let record = record(row)?;
        let sealed: Vec<u8> = row.try_get("private_key")?;
        let pkcs8 = self.open_bytes(&seal_context(&record.account, &record.kid), &record.account, &sealed).await?;
        Ok(SigningKeyMaterial { record, pkcs8 })
    }

    /// The account's newest signing key, with its private half.
    pub async fn latest_signing_key(&self, account: &AccountId) -> Result<Option<SigningKeyMaterial>> {
        let row = sqlx::query(&format!(
            "SELECT * FROM {TABLE} WHERE account_id = $1 ORDER BY created_at DESC, kid DESC LIMIT 1"
        ))
        .bind(account.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(self.open_signing_key(&row).await?)),
            None => Ok(None),
        }
    }

    /// Stores `key` as the account's newest signing key unless one created at or after
    /// `fresh_since` already exists (another replica rotated first); returns the newest either way.
    pub async fn rotate_signing_key(
        &self,
        account: &AccountId,
        fresh_since: i64,
        key: NewSigningKey<'_>,
    ) -> Result<SigningKeyMaterial> {
        let mut tx = self.begin_write(account).await?;
        let newest = sqlx::query(&format!(
            "SELECT * FROM {TABLE} WHERE account_id = $1 AND created_at >= $2 ORDER BY created_at DESC, kid DESC LIMIT 1"
        ))
        .bind(account.as_str())
        .bind(fresh_since)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = newest {
            tx.commit().await?;
            return self.open_signing_key(&row).await;
        }
        let data_key = self.current_data_key(&mut tx, account).await?;
        let sealed = data_key.seal(&seal_context(account, key.kid), key.pkcs8)?;
        let now = self.now();
        sqlx::query(&format!(
            "INSERT INTO {TABLE} (kid, account_id, private_key, public_x, public_y, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(key.kid)
        .bind(account.as_str())
        .bind(sealed)
        .bind(key.public_x)
        .bind(key.public_y)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let record = SigningKeyRecord {
            kid: key.kid.to_owned(),
            account: account.clone(),
            public_x: key.public_x.to_owned(),
            public_y: key.public_y.to_owned(),
            created_at: now,
        };
        Ok(SigningKeyMaterial { record, pkcs8: Zeroizing::new(key.pkcs8.to_vec()) })
    }

    /// The public half of one key, in any account.
    pub async fn signing_key(&self, kid: &str) -> Result<Option<SigningKeyRecord>> {
        let row =
            sqlx::query(&format!("SELECT kid, account_id, public_x, public_y, created_at FROM {TABLE} WHERE kid = $1"))
                .bind(kid)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(record).transpose()
    }

    /// Public halves of every key created at or after `since` (the JWKS).
    pub async fn public_signing_keys(&self, since: i64) -> Result<Vec<SigningKeyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT kid, account_id, public_x, public_y, created_at FROM {TABLE} WHERE created_at >= $1 ORDER BY created_at, kid"
        ))
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(record).collect()
    }
}
