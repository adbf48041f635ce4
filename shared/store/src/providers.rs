use identity_crypto::SealContext;
use identity_domain::{
    AccountId, AuditEntry, AuditOutcome, AuthorizationServerMetadata, CredentialProvider, Page, PageRequest,
    ProviderConfig, ProviderSpec, ProviderStatus, ProviderType, SecretString,
};
use sqlx::{Row as _, any::AnyRow};

use crate::{
    Result, Store, StoreError, check_quota, new_id,
    rows::{from_json, split_page, to_json},
};

const KIND: &str = "credential provider";
const TABLE: &str = "credential_providers";
const COLUMNS: &str =
    "id, account_id, name, provider_type, config, status, failure_reason, tags, version, created_at, updated_at";

fn seal_context<'a>(account: &'a AccountId, id: &'a str) -> SealContext<'a> {
    SealContext { account: account.as_str(), table: TABLE, record: id, field: "secret" }
}

fn decode(row: &AnyRow) -> Result<(CredentialProvider, i64)> {
    let account: String = row.try_get("account_id")?;
    let status: String = row.try_get("status")?;
    let status = match status.as_str() {
        "CREATING" => ProviderStatus::Creating,
        "ACTIVE" => ProviderStatus::Active,
        "FAILED" => ProviderStatus::Failed(row.try_get("failure_reason")?),
        other => return Err(StoreError::Corrupt(format!("provider status {other}"))),
    };
    let provider = CredentialProvider {
        id: row.try_get("id")?,
        account: AccountId::parse(&account).map_err(StoreError::Corrupt)?,
        name: row.try_get("name")?,
        config: from_json(row, "config")?,
        status,
        tags: from_json(row, "tags")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    };
    Ok((provider, row.try_get("version")?))
}

fn failure_reason(status: &ProviderStatus) -> &str {
    match status {
        ProviderStatus::Failed(reason) => reason,
        _ => "",
    }
}

impl Store {
    fn provider_event(&self, event_name: &str, account: &AccountId, name: &str, kind: ProviderType) -> AuditEntry {
        let arns = self.audit_arns();
        AuditEntry {
            provider_name: name.to_owned(),
            resource_arn: match kind {
                ProviderType::Oauth2 => arns.oauth2_provider(account, name),
                ProviderType::ApiKey => arns.api_key_provider(account, name),
            },
            ..AuditEntry::success(event_name)
        }
    }

    /// Creates a credential provider (quota-checked per type), sealing its secret.
    pub async fn create_credential_provider(
        &self,
        account: &AccountId,
        spec: ProviderSpec,
        status: ProviderStatus,
    ) -> Result<CredentialProvider> {
        let provider_type = spec.config.provider_type();
        let (kind, limit) = match provider_type {
            ProviderType::Oauth2 => ("OAuth2 credential providers", self.quotas.oauth2_providers),
            ProviderType::ApiKey => ("API-key credential providers", self.quotas.api_key_providers),
        };
        let mut tx = self.begin_write(account).await?;
        check_quota(
            &mut tx,
            "SELECT COUNT(*) FROM credential_providers WHERE account_id = $1 AND provider_type = $2",
            &[account.as_str(), provider_type.as_str()],
            kind,
            limit,
        )
        .await?;
        let key = self.current_data_key(&mut tx, account).await?;
        let now = self.now();
        let id = new_id("cp-")?;
        let secret = key.seal(&seal_context(account, &id), spec.secret.expose().as_bytes())?;
        sqlx::query(&format!(
            "INSERT INTO {TABLE} ({COLUMNS}, secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10)"
        ))
        .bind(&id)
        .bind(account.as_str())
        .bind(&spec.name)
        .bind(provider_type.as_str())
        .bind(to_json(&spec.config)?)
        .bind(status.as_str())
        .bind(failure_reason(&status))
        .bind(to_json(&spec.tags)?)
        .bind(now)
        .bind(secret)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::conflict_on_unique(e, KIND, &spec.name))?;
        self.append_audit(
            &mut tx,
            account,
            self.provider_event("CreateCredentialProvider", account, &spec.name, provider_type),
        )
        .await?;
        tx.commit().await?;
        Ok(CredentialProvider {
            id,
            account: account.clone(),
            name: spec.name,
            config: spec.config,
            status,
            tags: spec.tags,
            created_at: now,
            updated_at: now,
        })
    }

    /// One credential provider by name (without its secret).
    pub async fn get_credential_provider(&self, account: &AccountId, name: &str) -> Result<CredentialProvider> {
        Ok(self.provider_row(account, name).await?.0)
    }

    /// One credential provider by name and its version (bumped on every change).
    pub async fn get_credential_provider_versioned(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<(CredentialProvider, i64)> {
        self.provider_row(account, name).await
    }

    async fn provider_row(&self, account: &AccountId, name: &str) -> Result<(CredentialProvider, i64)> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND name = $2"))
            .bind(account.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: KIND, name: name.to_owned() })?;
        decode(&row)
    }

    /// A provider's secret (client secret or API key), opened. Only the data plane needs this.
    pub async fn credential_provider_secret(&self, account: &AccountId, name: &str) -> Result<SecretString> {
        let row = sqlx::query(&format!("SELECT id, secret FROM {TABLE} WHERE account_id = $1 AND name = $2"))
            .bind(account.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: KIND, name: name.to_owned() })?;
        let id: String = row.try_get("id")?;
        let sealed: Vec<u8> = row.try_get("secret")?;
        self.open_secret(&seal_context(account, &id), account, &sealed).await
    }

    /// A provider and its sealed secret, as stored: what the data plane caches (ciphertext only).
    pub async fn credential_provider_sealed(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<(CredentialProvider, Vec<u8>)> {
        let row = sqlx::query(&format!("SELECT {COLUMNS}, secret FROM {TABLE} WHERE account_id = $1 AND name = $2"))
            .bind(account.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: KIND, name: name.to_owned() })?;
        Ok((decode(&row)?.0, row.try_get("secret")?))
    }

    /// Like [`Store::credential_provider_sealed`], by id (grants name their provider by id).
    pub async fn credential_provider_sealed_by_id(
        &self,
        account: &AccountId,
        id: &str,
    ) -> Result<Option<(CredentialProvider, Vec<u8>)>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS}, secret FROM {TABLE} WHERE account_id = $1 AND id = $2"))
            .bind(account.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((decode(&row)?.0, row.try_get("secret")?))).transpose()
    }

    /// Opens a sealed secret of provider `provider_id`, as returned by
    /// [`Store::credential_provider_sealed`] (and perhaps cached since).
    pub async fn open_provider_secret(
        &self,
        account: &AccountId,
        provider_id: &str,
        sealed: &[u8],
    ) -> Result<SecretString> {
        self.open_secret(&seal_context(account, provider_id), account, sealed).await
    }

    /// Replaces a provider's configuration, tags and status; an empty `spec.secret` keeps the
    /// stored secret. The provider's type must not change (the caller checks).
    pub async fn update_credential_provider(
        &self,
        account: &AccountId,
        spec: ProviderSpec,
        status: ProviderStatus,
    ) -> Result<CredentialProvider> {
        let mut tx = self.begin_write(account).await?;
        let id: String = sqlx::query_scalar(&format!("SELECT id FROM {TABLE} WHERE account_id = $1 AND name = $2"))
            .bind(account.as_str())
            .bind(&spec.name)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: KIND, name: spec.name.clone() })?;
        let now = self.now();
        let row = if spec.secret.is_empty() {
            sqlx::query(&format!(
                "UPDATE {TABLE} SET config = $2, status = $3, failure_reason = $4, tags = $5, version = version + 1, updated_at = $6 \
                 WHERE id = $1 RETURNING {COLUMNS}"
            ))
            .bind(&id)
            .bind(to_json(&spec.config)?)
            .bind(status.as_str())
            .bind(failure_reason(&status))
            .bind(to_json(&spec.tags)?)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        } else {
            let key = self.current_data_key(&mut tx, account).await?;
            let secret = key.seal(&seal_context(account, &id), spec.secret.expose().as_bytes())?;
            sqlx::query(&format!(
                "UPDATE {TABLE} SET config = $2, status = $3, failure_reason = $4, tags = $5, version = version + 1, updated_at = $6, \
                 secret = $7 WHERE id = $1 RETURNING {COLUMNS}"
            ))
            .bind(&id)
            .bind(to_json(&spec.config)?)
            .bind(status.as_str())
            .bind(failure_reason(&status))
            .bind(to_json(&spec.tags)?)
            .bind(now)
            .bind(secret)
            .fetch_one(&mut *tx)
            .await?
        };
        let provider = decode(&row)?.0;
        let provider_type = provider.config.provider_type();
        self.append_audit(
            &mut tx,
            account,
            self.provider_event("UpdateCredentialProvider", account, &provider.name, provider_type),
        )
        .await?;
        self.bump_cache_generation(&mut tx, account, crate::CacheScope::Config).await?;
        tx.commit().await?;
        Ok(provider)
    }

    /// Records the outcome of discovery for a provider, unless it changed since `version` (a
    /// newer update then owns the status). Returns whether the outcome was recorded.
    pub async fn complete_provider_discovery(
        &self,
        account: &AccountId,
        id: &str,
        version: i64,
        outcome: std::result::Result<AuthorizationServerMetadata, String>,
    ) -> Result<bool> {
        let mut tx = self.begin_write(account).await?;
        let Some(row) =
            sqlx::query(&format!("SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND id = $2 AND version = $3"))
                .bind(account.as_str())
                .bind(id)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(false);
        };
        let (mut provider, _) = decode(&row)?;
        let status = match outcome {
            Ok(metadata) => {
                if let ProviderConfig::Oauth2(config) = &mut provider.config {
                    config.discovery.metadata = Some(metadata);
                }
                ProviderStatus::Active
            }
            Err(reason) => ProviderStatus::Failed(reason),
        };
        sqlx::query(&format!(
            "UPDATE {TABLE} SET config = $2, status = $3, failure_reason = $4, version = version + 1, updated_at = $5 WHERE id = $1"
        ))
        .bind(id)
        .bind(to_json(&provider.config)?)
        .bind(status.as_str())
        .bind(failure_reason(&status))
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        let mut event =
            self.provider_event("CompleteProviderDiscovery", account, &provider.name, provider.config.provider_type());
        if let ProviderStatus::Failed(_) = status {
            // The failure text may quote the remote server; the record keeps only a reason code.
            event.outcome = AuditOutcome::Failure;
            event.error_reason = "DISCOVERY_FAILED".to_owned();
        }
        self.append_audit(&mut tx, account, event).await?;
        self.bump_cache_generation(&mut tx, account, crate::CacheScope::Config).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Providers still waiting for discovery, across accounts (resumed after a restart).
    pub async fn pending_discoveries(&self) -> Result<Vec<(CredentialProvider, i64)>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {TABLE} WHERE status = 'CREATING'"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Deletes a credential provider, with its users' grants and authorization sessions.
    pub async fn delete_credential_provider(&self, account: &AccountId, name: &str) -> Result<()> {
        let mut tx = self.begin_write(account).await?;
        let deleted: Option<(String, String)> = sqlx::query_as(&format!(
            "DELETE FROM {TABLE} WHERE account_id = $1 AND name = $2 RETURNING id, provider_type"
        ))
        .bind(account.as_str())
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, provider_type) = deleted.ok_or_else(|| StoreError::NotFound { kind: KIND, name: name.to_owned() })?;
        let provider_type = ProviderType::parse(&provider_type)
            .ok_or_else(|| StoreError::Corrupt(format!("provider type {provider_type}")))?;
        self.append_audit(
            &mut tx,
            account,
            self.provider_event("DeleteCredentialProvider", account, name, provider_type),
        )
        .await?;
        self.bump_cache_generation(&mut tx, account, crate::CacheScope::Config).await?;
        // Its users' grants (sealed refresh tokens) and sessions go with it; they are not revoked.
        self.delete_grants_of(&mut tx, account, crate::user_disconnect::GrantOwner::Provider(&id)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page of the account's providers, in name order.
    pub async fn list_credential_providers(
        &self,
        account: &AccountId,
        page: &PageRequest,
    ) -> Result<Page<CredentialProvider>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {TABLE} WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3"
        ))
        .bind(account.as_str())
        .bind(page.after.clone().unwrap_or_default())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(|r| decode(r).map(|(p, _)| p)).collect::<Result<Vec<_>>>()?;
        Ok(split_page(items, page.limit, |p| p.name.clone()))
    }
}
