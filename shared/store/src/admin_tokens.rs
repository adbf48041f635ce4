use identity_domain::AccountId;

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
        tx.commit().await?;
        Ok(())
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
