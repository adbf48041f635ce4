use identity_crypto::SealContext;
use identity_domain::{
    AccountId, AuditEntry, CustomAuthorizerConfig, FieldViolation, JwtAuthorizer, JwtAuthorizerSpec, Page, PageRequest,
    SecretString,
};
use sqlx::{Any, Row as _, Transaction, any::AnyRow};

use crate::{
    Result, Store, StoreError, check_quota, new_id,
    rows::{from_json, split_page, to_json},
};

pub(crate) const KIND: &str = "JWT authorizer";
const TABLE: &str = "jwt_authorizers";
const COLUMNS: &str = "id, account_id, name, description, discovery_url, allowed_audiences, allowed_clients, allowed_scopes, \
                       required_claims, custom_config, created_at, updated_at";

fn seal_context<'a>(account: &'a AccountId, id: &'a str) -> SealContext<'a> {
    SealContext { account: account.as_str(), table: TABLE, record: id, field: "secret" }
}

/// The stored form of a custom authorizer's settings (NULL for an OIDC authorizer).
fn custom_json(spec: &JwtAuthorizerSpec) -> Result<Option<String>> {
    spec.custom.as_ref().map(to_json).transpose()
}

fn decode(row: &AnyRow) -> Result<JwtAuthorizer> {
    let account: String = row.try_get("account_id")?;
    Ok(JwtAuthorizer {
        id: row.try_get("id")?,
        account: AccountId::parse(&account).map_err(StoreError::Corrupt)?,
        spec: JwtAuthorizerSpec {
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            discovery_url: row.try_get("discovery_url")?,
            allowed_audiences: from_json(row, "allowed_audiences")?,
            allowed_clients: from_json(row, "allowed_clients")?,
            allowed_scopes: from_json(row, "allowed_scopes")?,
            required_claims: from_json(row, "required_claims")?,
            custom: row
                .try_get::<Option<String>, _>("custom_config")?
                .map(|text| serde_json::from_str::<CustomAuthorizerConfig>(&text))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("column custom_config: {e}")))?,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    fn authorizer_event(&self, event_name: &str, account: &AccountId, name: &str) -> AuditEntry {
        AuditEntry { resource_arn: self.audit_arns().jwt_authorizer(account, name), ..AuditEntry::success(event_name) }
    }

    /// Creates a JWT authorizer (quota-checked).
    pub async fn create_jwt_authorizer(&self, account: &AccountId, spec: JwtAuthorizerSpec) -> Result<JwtAuthorizer> {
        self.create_authorizer(account, spec, None).await
    }

    /// Creates an authorizer (quota-checked, custom ones counted with JWT ones), sealing a custom
    /// authorizer's shared secret; `secret` is ignored unless the spec names a secret header.
    pub async fn create_authorizer(
        &self,
        account: &AccountId,
        spec: JwtAuthorizerSpec,
        secret: Option<&SecretString>,
    ) -> Result<JwtAuthorizer> {
        let mut tx = self.begin_write(account).await?;
        check_quota(
            &mut tx,
            "SELECT COUNT(*) FROM jwt_authorizers WHERE account_id = $1",
            &[account.as_str()],
            "JWT authorizers",
            self.quotas.jwt_authorizers,
        )
        .await?;
        let now = self.now();
        let authorizer =
            JwtAuthorizer { id: new_id("ja-")?, account: account.clone(), spec, created_at: now, updated_at: now };
        let s = &authorizer.spec;
        let sealed = self.seal_authorizer_secret(&mut tx, account, &authorizer.id, s, secret).await?;
        sqlx::query(&format!(
            "INSERT INTO jwt_authorizers ({COLUMNS}, secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)"
        ))
        .bind(&authorizer.id)
        .bind(account.as_str())
        .bind(&s.name)
        .bind(&s.description)
        .bind(&s.discovery_url)
        .bind(to_json(&s.allowed_audiences)?)
        .bind(to_json(&s.allowed_clients)?)
        .bind(to_json(&s.allowed_scopes)?)
        .bind(to_json(&s.required_claims)?)
        .bind(custom_json(s)?)
        .bind(now)
        .bind(sealed)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::conflict_on_unique(e, KIND, &s.name))?;
        self.append_audit(&mut tx, account, self.authorizer_event("CreateJwtAuthorizer", account, &s.name)).await?;
        tx.commit().await?;
        Ok(authorizer)
    }

    /// One JWT authorizer by name.
    pub async fn get_jwt_authorizer(&self, account: &AccountId, name: &str) -> Result<JwtAuthorizer> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jwt_authorizers WHERE account_id = $1 AND name = $2"))
            .bind(account.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: KIND, name: name.to_owned() })?;
        decode(&row)
    }

    /// Replaces a JWT authorizer's settings (`spec.name` names it).
    pub async fn update_jwt_authorizer(&self, account: &AccountId, spec: JwtAuthorizerSpec) -> Result<JwtAuthorizer> {
        self.update_authorizer(account, spec, None).await
    }

    /// Replaces an authorizer's settings (`spec.name` names it). A custom authorizer's secret is
    /// replaced by `secret` when given, kept when not, and dropped when the spec names no secret
    /// header (or is not custom).
    pub async fn update_authorizer(
        &self,
        account: &AccountId,
        spec: JwtAuthorizerSpec,
        secret: Option<&SecretString>,
    ) -> Result<JwtAuthorizer> {
        let mut tx = self.begin_write(account).await?;
        let row = sqlx::query("SELECT id, secret FROM jwt_authorizers WHERE account_id = $1 AND name = $2")
            .bind(account.as_str())
            .bind(&spec.name)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: KIND, name: spec.name.clone() })?;
        let id: String = row.try_get("id")?;
        let stored = row.try_get::<Option<Vec<u8>>, _>("secret")?.is_some();
        let sealed = self.seal_authorizer_secret(&mut tx, account, &id, &spec, secret).await?;
        // $11: whether to keep the stored secret (a custom authorizer with a secret header and no
        // new secret given). There must be one; the account lock held by this transaction keeps
        // a concurrent update from dropping it before commit.
        let keep = spec.needs_secret() && sealed.is_none();
        if keep && !stored {
            return Err(StoreError::Invalid(vec![FieldViolation {
                field: "custom_secret".to_owned(),
                description: "required when custom.secret_header_name is set".to_owned(),
            }]));
        }
        let row = sqlx::query(&format!(
            "UPDATE jwt_authorizers SET description = $2, discovery_url = $3, allowed_audiences = $4, allowed_clients = $5, \
             allowed_scopes = $6, required_claims = $7, custom_config = $8, updated_at = $9, \
             secret = CASE WHEN $11 THEN secret ELSE $10 END WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .bind(&id)
        .bind(&spec.description)
        .bind(&spec.discovery_url)
        .bind(to_json(&spec.allowed_audiences)?)
        .bind(to_json(&spec.allowed_clients)?)
        .bind(to_json(&spec.allowed_scopes)?)
        .bind(to_json(&spec.required_claims)?)
        .bind(custom_json(&spec)?)
        .bind(self.now())
        .bind(sealed)
        .bind(keep)
        .fetch_one(&mut *tx)
        .await?;
        let authorizer = decode(&row)?;
        self.append_audit(
            &mut tx,
            account,
            self.authorizer_event("UpdateJwtAuthorizer", account, &authorizer.spec.name),
        )
        .await?;
        tx.commit().await?;
        Ok(authorizer)
    }

    /// Deletes a JWT authorizer.
    pub async fn delete_jwt_authorizer(&self, account: &AccountId, name: &str) -> Result<()> {
        let mut tx = self.begin_write(account).await?;
        // Refused while attached: a workload would otherwise silently fall back to the account
        // default. The account lock held by this transaction keeps the check true until commit.
        let used_by = self.workloads_naming(&mut tx, account, name).await?;
        if !used_by.is_empty() {
            return Err(StoreError::InUse { kind: KIND, name: name.to_owned(), used_by });
        }
        let deleted = sqlx::query("DELETE FROM jwt_authorizers WHERE account_id = $1 AND name = $2")
            .bind(account.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(StoreError::NotFound { kind: KIND, name: name.to_owned() });
        }
        self.append_audit(&mut tx, account, self.authorizer_event("DeleteJwtAuthorizer", account, name)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A custom authorizer's shared secret, opened (`None` when it has none). Only the data plane
    /// (and the control plane's own checks) need this; it is never returned by the API.
    pub async fn custom_authorizer_secret(&self, account: &AccountId, name: &str) -> Result<Option<SecretString>> {
        let row = sqlx::query("SELECT id, secret FROM jwt_authorizers WHERE account_id = $1 AND name = $2")
            .bind(account.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound { kind: KIND, name: name.to_owned() })?;
        let id: String = row.try_get("id")?;
        match row.try_get::<Option<Vec<u8>>, _>("secret")? {
            Some(sealed) => Ok(Some(self.open_secret(&seal_context(account, &id), account, &sealed).await?)),
            None => Ok(None),
        }
    }

    /// `secret` sealed for authorizer `id`, when the spec keeps one and a non-empty one is given.
    async fn seal_authorizer_secret(
        &self,
        tx: &mut Transaction<'static, Any>,
        account: &AccountId,
        id: &str,
        spec: &JwtAuthorizerSpec,
        secret: Option<&SecretString>,
    ) -> Result<Option<Vec<u8>>> {
        match secret.filter(|s| spec.needs_secret() && !s.is_empty()) {
            Some(secret) => {
                let key = self.current_data_key(tx, account).await?;
                Ok(Some(key.seal(&seal_context(account, id), secret.expose().as_bytes())?))
            }
            None => Ok(None),
        }
    }

    /// A page of the account's JWT authorizers, in name order.
    pub async fn list_jwt_authorizers(&self, account: &AccountId, page: &PageRequest) -> Result<Page<JwtAuthorizer>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM jwt_authorizers WHERE account_id = $1 AND name > $2 ORDER BY name LIMIT $3"
        ))
        .bind(account.as_str())
        .bind(page.after.clone().unwrap_or_default())
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        Ok(split_page(items, page.limit, |a| a.spec.name.clone()))
    }
}
