//! A user disconnects: their grants (and unfinished authorization sessions) leave the database in
//! one transaction with its audit record, which also raises the account's grant generation so
//! that every data plane drops what it cached of them (always: a user who only exchanged tokens
//! has no grant rows, but has exchanged tokens cached under that generation). The deleted grants
//! come back opened, for the caller to revoke at their providers after the commit: a provider
//! that fails to revoke never keeps a grant alive here.

use identity_crypto::{SealContext, audit_user_hash};
use identity_domain::{AccountId, AuditEntry};
use sqlx::{Any, Row as _, Transaction};
use zeroize::Zeroizing;

use crate::{CacheScope, Result, Store};

/// Which of a user's grants [`Store::delete_user_grants`] removes.
#[derive(Clone, Copy, Debug)]
pub struct UserGrantFilter<'a> {
    pub account: &'a AccountId,
    pub user_id: &'a str,
    /// Only this provider's grants: (id, name); all providers when `None`.
    pub provider: Option<(&'a str, &'a str)>,
    /// Only the grants held for this workload identity: (id, name); all when `None`.
    pub workload: Option<(&'a str, &'a str)>,
}

/// A deleted grant.
#[derive(Debug)]
pub struct DeletedGrant {
    pub workload_id: String,
    pub provider_id: String,
    pub scopes_key: String,
    /// The grant as the data plane stored it; `None` when it could not be opened (it is deleted
    /// all the same, only not revoked).
    pub plain: Option<Zeroizing<Vec<u8>>>,
    /// The user still has other grants of the same provider (for other workload identities):
    /// revoking this one could end their consent for the whole client at some vendors.
    pub provider_still_granted: bool,
}

impl Store {
    /// Deletes the user's grants and sessions selected by `filter`, recording
    /// `DeleteUserTokens` in the same transaction. Returns the deleted grants, opened.
    pub async fn delete_user_grants(&self, filter: UserGrantFilter<'_>) -> Result<Vec<DeletedGrant>> {
        let account = filter.account;
        let provider_id = filter.provider.map(|p| p.0).unwrap_or_default();
        let workload_id = filter.workload.map(|w| w.0).unwrap_or_default();
        let mut tx = self.begin_write(account).await?;
        let rows = sqlx::query(
            "DELETE FROM oauth_grants WHERE account_id = $1 AND user_id = $2 \
             AND ($3 = '' OR provider_id = $3) AND ($4 = '' OR workload_id = $4) \
             RETURNING grant_id, workload_id, provider_id, scopes_key, sealed",
        )
        .bind(account.as_str())
        .bind(filter.user_id)
        .bind(provider_id)
        .bind(workload_id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM oauth_sessions WHERE account_id = $1 AND user_id = $2 \
             AND ($3 = '' OR provider_id = $3) AND ($4 = '' OR workload_id = $4)",
        )
        .bind(account.as_str())
        .bind(filter.user_id)
        .bind(provider_id)
        .bind(workload_id)
        .execute(&mut *tx)
        .await?;
        let mut event = AuditEntry::success("DeleteUserTokens");
        event.user_hash = audit_user_hash(account.as_str(), filter.user_id);
        event.provider_name = filter.provider.map(|p| p.1.to_owned()).unwrap_or_default();
        event.workload_name = filter.workload.map(|w| w.1.to_owned()).unwrap_or_default();
        event.resource_arn = self.audit_arns().token_vault(account);
        let still_granted: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT provider_id FROM oauth_grants WHERE account_id = $1 AND user_id = $2")
                .bind(account.as_str())
                .bind(filter.user_id)
                .fetch_all(&mut *tx)
                .await?;
        self.append_audit(&mut tx, account, event).await?;
        self.bump_cache_generation(&mut tx, account, CacheScope::Grants).await?;
        tx.commit().await?;

        let mut deleted = Vec::with_capacity(rows.len());
        for row in rows {
            let grant_id: String = row.try_get("grant_id")?;
            let sealed: Vec<u8> = row.try_get("sealed")?;
            let context =
                SealContext { account: account.as_str(), table: "oauth_grants", record: &grant_id, field: "grant" };
            let plain = match self.open_bytes(&context, account, &sealed).await {
                Ok(plain) => Some(plain),
                Err(e) => {
                    tracing::warn!(error = %e, "a deleted grant could not be opened; it is not revoked at its provider");
                    None
                }
            };
            let provider_id: String = row.try_get("provider_id")?;
            deleted.push(DeletedGrant {
                workload_id: row.try_get("workload_id")?,
                provider_still_granted: still_granted.contains(&provider_id),
                provider_id,
                scopes_key: row.try_get("scopes_key")?,
                plain,
            });
        }
        Ok(deleted)
    }
}

/// Whose grants [`Store::delete_grants_of`] deletes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum GrantOwner<'a> {
    /// A credential provider's, by id.
    Provider(&'a str),
    /// A workload identity's, by id.
    Workload(&'a str),
}

impl Store {
    /// Deletes every user's grants and sessions of a provider or workload identity that `tx`
    /// deletes (they would otherwise outlive it, out of DeleteUserTokens' reach), raising the
    /// grant generation when grants went. Call it last, just before commit.
    pub(crate) async fn delete_grants_of(
        &self,
        tx: &mut Transaction<'static, Any>,
        account: &AccountId,
        owner: GrantOwner<'_>,
    ) -> Result<u64> {
        let (column, id) = match owner {
            GrantOwner::Provider(id) => ("provider_id", id),
            GrantOwner::Workload(id) => ("workload_id", id),
        };
        let grants = sqlx::query(&format!("DELETE FROM oauth_grants WHERE account_id = $1 AND {column} = $2"))
            .bind(account.as_str())
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        sqlx::query(&format!("DELETE FROM oauth_sessions WHERE account_id = $1 AND {column} = $2"))
            .bind(account.as_str())
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if grants > 0 {
            self.bump_cache_generation(tx, account, CacheScope::Grants).await?;
        }
        Ok(grants)
    }
}

/// The prefix of every cache key of `account`'s grants.
pub fn grant_cache_prefix(account: &AccountId) -> String {
    format!("grant:{account}:")
}

impl crate::GrantKey<'_> {
    /// The key the data planes cache this grant under. The entry carries the account's grant
    /// generation, so a disconnect (which raises it) reaches their caches even when nobody can
    /// delete the key from Redis; the control plane deletes it too, so Redis keeps nothing.
    pub fn cache_key(&self) -> String {
        let id = format!("{}|{}|{}|{}", self.workload_id, self.user_id, self.provider_id, self.scopes_key);
        format!("{}{}", grant_cache_prefix(self.account), identity_crypto::sha256_hex(id.as_bytes()))
    }
}
