use identity_domain::{AccountId, AuditEntry};

use sqlx::Row as _;

use crate::{Result, Store, StoreError};

impl Store {
    /// Records an admin API token for `account` by the SHA-256 of the token.
    pub async fn create_admin_token(&self, account: &AccountId, name: &str, token_hash: &str) -> Result<()> {
        let mut tx = self.begin_write(account).await?;
        sqlx::query("INSERT INTO admin_tokens (token_hash, account_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(account.as_str())
            .bind(name)
            .bind(self.now())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::conflict_on_unique(e, "admin token", name))?;
        // The token's name is not a resource of the API; the record says that one was created.
        self.append_audit(&mut tx, account, AuditEntry::success("CreateAdminToken")).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account and name of an admin token (given by its SHA-256), if any.
    pub async fn admin_token(&self, token_hash: &str) -> Result<Option<(AccountId, String)>> {
        let row = sqlx::query("SELECT account_id, name FROM admin_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let account: String = row.try_get("account_id")?;
            Ok((AccountId::parse(&account).map_err(StoreError::Corrupt)?, row.try_get("name")?))
        })
        .transpose()
    }

    /// The account an admin token (given by its SHA-256) belongs to, if any.
    pub async fn admin_token_account(&self, token_hash: &str) -> Result<Option<AccountId>> {
        let account: Option<String> = sqlx::query_scalar("SELECT account_id FROM admin_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        account.map(|a| AccountId::parse(&a).map_err(StoreError::Corrupt)).transpose()
    }
}
