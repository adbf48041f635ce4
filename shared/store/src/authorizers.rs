use identity_domain::{AccountId, AuditEntry, JwtAuthorizer, JwtAuthorizerSpec, Page, PageRequest};
use sqlx::{Row as _, any::AnyRow};

use crate::{
    Result, Store, StoreError, check_quota, new_id,
    rows::{from_json, split_page, to_json},
};

const KIND: &str = "JWT authorizer";
const COLUMNS: &str = "id, account_id, name, description, discovery_url, allowed_audiences, allowed_clients, allowed_scopes, \
                       required_claims, created_at, updated_at";

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
        sqlx::query(&format!(
            "INSERT INTO jwt_authorizers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"
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
        .bind(now)
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
        let mut tx = self.begin_write(account).await?;
        let row = sqlx::query(&format!(
            "UPDATE jwt_authorizers SET description = $3, discovery_url = $4, allowed_audiences = $5, allowed_clients = $6, \
             allowed_scopes = $7, required_claims = $8, updated_at = $9 WHERE account_id = $1 AND name = $2 RETURNING {COLUMNS}"
        ))
        .bind(account.as_str())
        .bind(&spec.name)
        .bind(&spec.description)
        .bind(&spec.discovery_url)
        .bind(to_json(&spec.allowed_audiences)?)
        .bind(to_json(&spec.allowed_clients)?)
        .bind(to_json(&spec.allowed_scopes)?)
        .bind(to_json(&spec.required_claims)?)
        .bind(self.now())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound { kind: KIND, name: spec.name.clone() })?;
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
