use identity_domain::{AccessKey, AccountId, AuditEntry, NewAccessKey, Page, PageRequest};
use sqlx::{Row as _, any::AnyRow};

use crate::{
    Result, Store, StoreError, check_quota,
    rows::{from_json, split_page, to_json},
};

const KIND: &str = "access key";
const COLUMNS: &str = "access_key_id, account_id, description, allowed_workloads, created_at";

fn decode(row: &AnyRow) -> Result<AccessKey> {
    let account: String = row.try_get("account_id")?;
    Ok(AccessKey {
        access_key_id: row.try_get("access_key_id")?,
        account: AccountId::parse(&account).map_err(StoreError::Corrupt)?,
        description: row.try_get("description")?,
        allowed_workload_names: from_json(row, "allowed_workloads")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Access keys have no ARN: their records name the key by id (never its secret).
fn access_key_event(event_name: &str, access_key_id: &str) -> AuditEntry {
    AuditEntry { access_key_id: access_key_id.to_owned(), ..AuditEntry::success(event_name) }
}

impl Store {
    /// Stores a new access key (quota-checked). Every workload it is limited to must exist.
    pub async fn create_access_key(&self, account: &AccountId, key: NewAccessKey) -> Result<AccessKey> {
        let mut tx = self.begin_write(account).await?;
        check_quota(
            &mut tx,
            "SELECT COUNT(*) FROM access_keys WHERE account_id = $1",
            &[account.as_str()],
            "access keys",
            self.quotas.access_keys,
        )
        .await?;
        for name in &key.allowed_workload_names {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM workload_identities WHERE account_id = $1 AND name = $2")
                    .bind(account.as_str())
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::NotFound { kind: "workload identity", name: name.clone() });
            }
        }
        let now = self.now();
        sqlx::query(&format!("INSERT INTO access_keys ({COLUMNS}, secret_hash) VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(&key.access_key_id)
            .bind(account.as_str())
            .bind(&key.description)
            .bind(to_json(&key.allowed_workload_names)?)
            .bind(now)
            .bind(&key.secret_hash)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::conflict_on_unique(e, KIND, &key.access_key_id))?;
        self.append_audit(&mut tx, account, access_key_event("CreateAccessKey", &key.access_key_id)).await?;
        tx.commit().await?;
        Ok(AccessKey {
            access_key_id: key.access_key_id,
            account: account.clone(),
            description: key.description,
            allowed_workload_names: key.allowed_workload_names,
            created_at: now,
        })
    }

    /// An access key and the hash of its secret, by id, in any account (callers present only
    /// the id; the account follows from it).
    pub async fn find_access_key(&self, access_key_id: &str) -> Result<Option<(AccessKey, String)>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS}, secret_hash FROM access_keys WHERE access_key_id = $1"))
            .bind(access_key_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((decode(&row)?, row.try_get("secret_hash")?))).transpose()
    }

    /// Deletes an access key of the account.
    pub async fn delete_access_key(&self, account: &AccountId, access_key_id: &str) -> Result<()> {
        let mut tx = self.begin_write(account).await?;
        let deleted = sqlx::query("DELETE FROM access_keys WHERE account_id = $1 AND access_key_id = $2")
            .bind(account.as_str())
            .bind(access_key_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound { kind: KIND, name: access_key_id.to_owned() });
        }
        self.append_audit(&mut tx, account, access_key_event("DeleteAccessKey", access_key_id)).await?;
        self.bump_cache_generation(&mut tx, account, crate::CacheScope::Config).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of the account's access keys, ordered by id.
    pub async fn list_access_keys(&self, account: &AccountId, page: &PageRequest) -> Result<Page<AccessKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM access_keys WHERE account_id = $1 AND access_key_id > $2 ORDER BY access_key_id LIMIT $3"
        ))
        .bind(account.as_str())
        .bind(page.after.clone().unwrap_or_default())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        Ok(split_page(items, page.limit, |k| k.access_key_id.clone()))
    }
}
