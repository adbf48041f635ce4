use identity_domain::{
    AccountId, AuditEntry, Page, PageRequest, WorkloadIdentity, WorkloadIdentitySpec, WorkloadIdentityType,
};
use sqlx::{Any, Row as _, Transaction, any::AnyRow};

use crate::{
    Result, Store, StoreError, check_quota, new_id,
    rows::{from_json, split_page, to_json},
};

const KIND: &str = "workload identity";
const COLUMNS: &str =
    "id, account_id, name, description, kind, attributes, return_urls, tags, authorizers, created_at, updated_at";

fn decode(row: &AnyRow) -> Result<WorkloadIdentity> {
    let kind: String = row.try_get("kind")?;
    let account: String = row.try_get("account_id")?;
    Ok(WorkloadIdentity {
        id: row.try_get("id")?,
        account: AccountId::parse(&account).map_err(StoreError::Corrupt)?,
        spec: WorkloadIdentitySpec {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            kind: WorkloadIdentityType::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("workload kind {kind}")))?,
            attributes: from_json(row, "attributes")?,
            allowed_return_urls: from_json(row, "return_urls")?,
            tags: from_json(row, "tags")?,
            authorizers: from_json(row, "authorizers")?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    fn workload_event(&self, event_name: &str, account: &AccountId, name: &str) -> AuditEntry {
        AuditEntry {
            workload_name: name.to_owned(),
            resource_arn: self.audit_arns().workload_identity(account, name),
            ..AuditEntry::success(event_name)
        }
    }

    /// Fails with `NotFound` unless every authorizer `spec` names exists in the account (checked
    /// under the account lock, so a concurrent delete cannot slip between check and write).
    async fn check_authorizers_exist(
        &self,
        tx: &mut Transaction<'static, Any>,
        account: &AccountId,
        spec: &WorkloadIdentitySpec,
    ) -> Result<()> {
        if spec.authorizers.is_empty() {
            return Ok(());
        }
        let existing: Vec<String> = sqlx::query_scalar("SELECT name FROM jwt_authorizers WHERE account_id = $1")
            .bind(account.as_str())
            .fetch_all(&mut **tx)
            .await?;
        match spec.authorizers.iter().find(|name| !existing.contains(name)) {
            Some(missing) => Err(StoreError::NotFound { kind: crate::authorizers::KIND, name: missing.clone() }),
            None => Ok(()),
        }
    }

    /// The names of the account's workload identities that name authorizer `authorizer`, sorted.
    pub(crate) async fn workloads_naming(
        &self,
        tx: &mut Transaction<'static, Any>,
        account: &AccountId,
        authorizer: &str,
    ) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT name, authorizers FROM workload_identities WHERE account_id = $1 ORDER BY name")
            .bind(account.as_str())
            .fetch_all(&mut **tx)
            .await?;
        let mut names = Vec::new();
        for row in &rows {
            let attached: Vec<String> = from_json(row, "authorizers")?;
            if attached.iter().any(|a| a == authorizer) {
                names.push(row.try_get("name")?);
            }
        }
        Ok(names)
    }

    /// Creates a workload identity (quota-checked).
    pub async fn create_workload_identity(
        &self,
        account: &AccountId,
        spec: WorkloadIdentitySpec,
    ) -> Result<WorkloadIdentity> {
        let mut tx = self.begin_write(account).await?;
        check_quota(
            &mut tx,
            "SELECT COUNT(*) FROM workload_identities WHERE account_id = $1",
            &[account.as_str()],
            "workload identities",
            self.quotas.workload_identities,
        )
        .await?;
        self.check_authorizers_exist(&mut tx, account, &spec).await?;
        let now = self.now();
        let identity =
            WorkloadIdentity { id: new_id("wi-")?, account: account.clone(), spec, created_at: now, updated_at: now };
        sqlx::query(&format!(
            "INSERT INTO workload_identities ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&identity.id)
        .bind(account.as_str())
        .bind(&identity.spec.name)
        .bind(&identity.spec.description)
        .bind(identity.spec.kind.as_str())
        .bind(to_json(&identity.spec.attributes)?)
        .bind(to_json(&identity.spec.allowed_return_urls)?)
        .bind(to_json(&identity.spec.tags)?)
        .bind(to_json(&identity.spec.authorizers)?)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::conflict_on_unique(e, KIND, &identity.spec.name))?;
        self.append_audit(
            &mut tx,
            account,
            self.workload_event("CreateWorkloadIdentity", account, &identity.spec.name),
        )
        .await?;
        tx.commit().await?;
        Ok(identity)
    }

    /// One workload identity by name.
    pub async fn get_workload_identity(&self, account: &AccountId, name: &str) -> Result<WorkloadIdentity> {
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM workload_identities WHERE account_id = $1 AND name = $2"))
                .bind(account.as_str())
                .bind(name)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::NotFound { kind: KIND, name: name.to_owned() })?;
        decode(&row)
    }

    /// Replaces a workload identity's mutable fields (`spec.name` names it).
    pub async fn update_workload_identity(
        &self,
        account: &AccountId,
        spec: WorkloadIdentitySpec,
    ) -> Result<WorkloadIdentity> {
        let mut tx = self.begin_write(account).await?;
        self.check_authorizers_exist(&mut tx, account, &spec).await?;
        let now = self.now();
        let row = sqlx::query(&format!(
            "UPDATE workload_identities SET description = $3, kind = $4, attributes = $5, return_urls = $6, tags = $7, updated_at = $8, \
             authorizers = $9 WHERE account_id = $1 AND name = $2 RETURNING {COLUMNS}"
        ))
        .bind(account.as_str())
        .bind(&spec.name)
        .bind(&spec.description)
        .bind(spec.kind.as_str())
        .bind(to_json(&spec.attributes)?)
        .bind(to_json(&spec.allowed_return_urls)?)
        .bind(to_json(&spec.tags)?)
        .bind(now)
        .bind(to_json(&spec.authorizers)?)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { kind: KIND, name: spec.name.clone() })?;
        let identity = decode(&row)?;
        self.append_audit(
            &mut tx,
            account,
            self.workload_event("UpdateWorkloadIdentity", account, &identity.spec.name),
        )
        .await?;
        self.bump_cache_generation(&mut tx, account, crate::CacheScope::Config).await?;
        tx.commit().await?;
        Ok(identity)
    }

    /// Deletes a workload identity, with its users' grants and authorization sessions.
    pub async fn delete_workload_identity(&self, account: &AccountId, name: &str) -> Result<()> {
        let mut tx = self.begin_write(account).await?;
        let deleted: Option<String> =
            sqlx::query_scalar("DELETE FROM workload_identities WHERE account_id = $1 AND name = $2 RETURNING id")
                .bind(account.as_str())
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(id) = deleted else {
            return Err(StoreError::NotFound { kind: KIND, name: name.to_owned() });
        };
        self.append_audit(&mut tx, account, self.workload_event("DeleteWorkloadIdentity", account, name)).await?;
        self.bump_cache_generation(&mut tx, account, crate::CacheScope::Config).await?;
        // Its users' grants (sealed refresh tokens) and sessions go with it; they are not revoked.
        self.delete_grants_of(&mut tx, account, crate::user_disconnect::GrantOwner::Workload(&id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of the account's workload identities, in name order.
    pub async fn list_workload_identities(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<WorkloadIdentity>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM workload_identities WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3"
        ))
        .bind(account.as_str())
        .bind(page.after.clone().unwrap_or_default())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        Ok(split_page(items, page.limit, |w| w.spec.name.clone()))
    }
}
