//! Three-legged OAuth2 (USER_FEDERATION): sessions and users' grants.
//!
//! A session moves PENDING → REDIRECTED (the user was sent to the provider with a fresh state)
//! → EXCHANGING (the callback took the state: single use) → AUTHORIZED (the code was exchanged;
//! the grant waits, sealed, for the user who started the flow) → COMPLETED (that user confirmed
//! with CompleteResourceTokenAuth; the grant is now the user's), or FAILED. Every transition is a
//! compare-and-set on the status, so replays and races fail instead of acting twice.

use std::collections::BTreeMap;

use identity_crypto::SealContext;
use identity_domain::{AccountId, SecretString};
use sqlx::{Row as _, any::AnyRow};
use zeroize::Zeroizing;

use crate::{
    Result, Store, StoreError,
    rows::{from_json, to_json},
};

const SESSIONS: &str = "oauth_sessions";
const GRANTS: &str = "oauth_grants";
/// The seed's quota: OAuth tokens per user per provider.
pub const GRANTS_PER_USER_AND_PROVIDER: i64 = 10;

/// Where a session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    /// Created; the user has not visited the authorization URL.
    Pending,
    /// The user was sent to the provider.
    Redirected,
    /// The provider called back; the code is being exchanged.
    Exchanging,
    /// The code was exchanged; waiting for CompleteResourceTokenAuth.
    Authorized,
    /// The grant belongs to the user.
    Completed,
    /// The flow failed.
    Failed,
}

impl SessionStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Redirected => "REDIRECTED",
            Self::Exchanging => "EXCHANGING",
            Self::Authorized => "AUTHORIZED",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }

    fn parse(value: &str) -> Result<Self> {
        [Self::Pending, Self::Redirected, Self::Exchanging, Self::Authorized, Self::Completed, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == value)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {value}")))
    }
}

/// A session as stored (its secrets stay sealed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OauthSession {
    pub session_id: String,
    pub account: AccountId,
    pub workload_id: String,
    pub workload_name: String,
    pub user_id: String,
    pub provider_id: String,
    pub provider_name: String,
    pub scopes: Vec<String>,
    pub return_url: String,
    pub custom_params: BTreeMap<String, String>,
    pub code_challenge: String,
    pub status: SessionStatus,
    pub failure: String,
    pub expires_at: i64,
}

const COLUMNS: &str = "session_id, account_id, workload_id, workload_name, user_id, provider_id, provider_name, scopes, \
                       return_url, custom_params, code_challenge, status, failure, expires_at";

fn decode(row: &AnyRow) -> Result<OauthSession> {
    let account: String = row.try_get("account_id")?;
    let status: String = row.try_get("status")?;
    Ok(OauthSession {
        session_id: row.try_get("session_id")?,
        account: AccountId::parse(&account).map_err(StoreError::Corrupt)?,
        workload_id: row.try_get("workload_id")?,
        workload_name: row.try_get("workload_name")?,
        user_id: row.try_get("user_id")?,
        provider_id: row.try_get("provider_id")?,
        provider_name: row.try_get("provider_name")?,
        scopes: from_json(row, "scopes")?,
        return_url: row.try_get("return_url")?,
        custom_params: from_json(row, "custom_params")?,
        code_challenge: row.try_get("code_challenge")?,
        status: SessionStatus::parse(&status)?,
        failure: row.try_get("failure")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn seal<'a>(account: &'a AccountId, table: &'a str, record: &'a str, field: &'a str) -> SealContext<'a> {
    SealContext { account: account.as_str(), table, record, field }
}

impl Store {
    /// Stores a new PENDING session with its sealed PKCE verifier.
    pub async fn create_oauth_session(&self, session: &OauthSession, pkce_verifier: &SecretString) -> Result<()> {
        let account = &session.account;
        let mut tx = self.begin_write(account).await?;
        let key = self.current_data_key(&mut tx, account).await?;
        let sealed = key
            .seal(&seal(account, SESSIONS, &session.session_id, "pkce_verifier"), pkce_verifier.expose().as_bytes())?;
        sqlx::query(&format!(
            "INSERT INTO {SESSIONS} ({COLUMNS}, pkce_verifier, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(&session.session_id)
        .bind(account.as_str())
        .bind(&session.workload_id)
        .bind(&session.workload_name)
        .bind(&session.user_id)
        .bind(&session.provider_id)
        .bind(&session.provider_name)
        .bind(to_json(&session.scopes)?)
        .bind(&session.return_url)
        .bind(to_json(&session.custom_params)?)
        .bind(&session.code_challenge)
        .bind(SessionStatus::Pending.as_str())
        .bind("")
        .bind(session.expires_at)
        .bind(sealed)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A session by id, in any account (the authorize endpoint has only the id).
    pub async fn oauth_session(&self, session_id: &str) -> Result<Option<OauthSession>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {SESSIONS} WHERE session_id = $1"))
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    /// PENDING → REDIRECTED with the hash of a fresh state, unless expired or already used.
    pub async fn redirect_oauth_session(&self, session_id: &str, state_hash: &str) -> Result<bool> {
        let done = sqlx::query(&format!(
            "UPDATE {SESSIONS} SET status = 'REDIRECTED', state_hash = $2 WHERE session_id = $1 AND status = 'PENDING' AND expires_at > $3"
        ))
        .bind(session_id)
        .bind(state_hash)
        .bind(self.now())
        .execute(&self.pool)
        .await
        // The state hash is unique: a state already given to another session is refused.
        .map_err(|e| StoreError::conflict_on_unique(e, "OAuth state", session_id))?
        .rows_affected();
        Ok(done == 1)
    }

    /// The session holding `state_hash` at `provider_id`, read only (the state is not used up).
    pub async fn oauth_session_by_state(&self, state_hash: &str, provider_id: &str) -> Result<Option<OauthSession>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {SESSIONS} WHERE state_hash = $1 AND provider_id = $2"))
            .bind(state_hash)
            .bind(provider_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    /// REDIRECTED → EXCHANGING for the session holding `state_hash` at `provider_id`: the state
    /// is used up here. Returns the session and its PKCE verifier.
    pub async fn take_oauth_callback(
        &self,
        state_hash: &str,
        provider_id: &str,
    ) -> Result<Option<(OauthSession, SecretString)>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, pkce_verifier FROM {SESSIONS} WHERE state_hash = $1 AND provider_id = $2"
        ))
        .bind(state_hash)
        .bind(provider_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = decode(&row)?;
        let taken = sqlx::query(&format!(
            "UPDATE {SESSIONS} SET status = 'EXCHANGING' WHERE session_id = $1 AND status = 'REDIRECTED' AND expires_at > $2"
        ))
        .bind(&session.session_id)
        .bind(self.now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        if taken != 1 {
            return Ok(None);
        }
        let sealed: Vec<u8> = row.try_get("pkce_verifier")?;
        let verifier = self
            .open_secret(
                &seal(&session.account, SESSIONS, &session.session_id, "pkce_verifier"),
                &session.account,
                &sealed,
            )
            .await?;
        Ok(Some((session, verifier)))
    }

    /// EXCHANGING → AUTHORIZED with the grant (sealed), or → FAILED with `failure`.
    pub async fn finish_oauth_callback(
        &self,
        session: &OauthSession,
        outcome: std::result::Result<&[u8], &str>,
    ) -> Result<()> {
        let account = &session.account;
        match outcome {
            Ok(grant) => {
                let sealed = self
                    .seal_for_account(account, &seal(account, SESSIONS, &session.session_id, "grant"), grant)
                    .await?;
                sqlx::query(&format!(
                    "UPDATE {SESSIONS} SET status = 'AUTHORIZED', grant_sealed = $2 WHERE session_id = $1 AND status = 'EXCHANGING'"
                ))
                .bind(&session.session_id)
                .bind(sealed)
                .execute(&self.pool)
                .await?;
            }
            Err(failure) => {
                sqlx::query(&format!("UPDATE {SESSIONS} SET status = 'FAILED', failure = $2 WHERE session_id = $1 AND status = 'EXCHANGING'"))
                    .bind(&session.session_id)
                    .bind(failure)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// AUTHORIZED → COMPLETED: the grant becomes the user's (replacing an older one for the same
    /// workload, provider and scope set), within the quota of grants per user and provider.
    pub async fn complete_oauth_session(&self, session: &OauthSession, scopes_key: &str) -> Result<()> {
        let account = &session.account;
        let mut tx = self.begin_write(account).await?;
        let row = sqlx::query(&format!("SELECT status, grant_sealed FROM {SESSIONS} WHERE session_id = $1"))
            .bind(&session.session_id)
            .fetch_one(&mut *tx)
            .await?;
        let status: String = row.try_get("status")?;
        if status != "AUTHORIZED" {
            return Err(StoreError::NotFound { kind: "authorized session", name: session.session_id.clone() });
        }
        let sealed: Vec<u8> = row.try_get("grant_sealed")?;
        let grant = self.open_bytes(&seal(account, SESSIONS, &session.session_id, "grant"), account, &sealed).await?;
        let others: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {GRANTS} WHERE account_id = $1 AND user_id = $2 AND provider_id = $3 \
             AND NOT (workload_id = $4 AND scopes_key = $5)"
        ))
        .bind(account.as_str())
        .bind(&session.user_id)
        .bind(&session.provider_id)
        .bind(&session.workload_id)
        .bind(scopes_key)
        .fetch_one(&mut *tx)
        .await?;
        if others >= GRANTS_PER_USER_AND_PROVIDER {
            return Err(StoreError::QuotaExceeded {
                kind: "OAuth tokens for this user and provider",
                limit: GRANTS_PER_USER_AND_PROVIDER as u32,
            });
        }
        let grant_id = crate::new_id("gr-")?;
        let key = self.current_data_key(&mut tx, account).await?;
        let resealed = key.seal(&seal(account, GRANTS, &grant_id, "grant"), &grant)?;
        let now = self.now();
        sqlx::query(&format!(
            "DELETE FROM {GRANTS} WHERE account_id = $1 AND workload_id = $2 AND user_id = $3 AND provider_id = $4 AND scopes_key = $5"
        ))
        .bind(account.as_str())
        .bind(&session.workload_id)
        .bind(&session.user_id)
        .bind(&session.provider_id)
        .bind(scopes_key)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "INSERT INTO {GRANTS} (account_id, workload_id, user_id, provider_id, scopes_key, grant_id, sealed, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)"
        ))
        .bind(account.as_str())
        .bind(&session.workload_id)
        .bind(&session.user_id)
        .bind(&session.provider_id)
        .bind(scopes_key)
        .bind(&grant_id)
        .bind(resealed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!("UPDATE {SESSIONS} SET status = 'COMPLETED', grant_sealed = NULL WHERE session_id = $1"))
            .bind(&session.session_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's grant for (workload, provider, scope set), opened, with its version.
    pub async fn user_grant(&self, key: &GrantKey<'_>) -> Result<Option<(i64, Zeroizing<Vec<u8>>)>> {
        let row = sqlx::query(&format!(
            "SELECT grant_id, sealed, version FROM {GRANTS} \
             WHERE account_id = $1 AND workload_id = $2 AND user_id = $3 AND provider_id = $4 AND scopes_key = $5"
        ))
        .bind(key.account.as_str())
        .bind(key.workload_id)
        .bind(key.user_id)
        .bind(key.provider_id)
        .bind(key.scopes_key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let grant_id: String = row.try_get("grant_id")?;
        let sealed: Vec<u8> = row.try_get("sealed")?;
        let version: i64 = row.try_get("version")?;
        let plain = self.open_bytes(&seal(key.account, GRANTS, &grant_id, "grant"), key.account, &sealed).await?;
        Ok(Some((version, plain)))
    }

    /// Replaces the grant if it is still at `version` (a refresh that lost a race writes
    /// nothing). Returns whether it was replaced.
    pub async fn replace_user_grant(&self, key: &GrantKey<'_>, version: i64, plain: &[u8]) -> Result<bool> {
        let mut tx = self.begin_write(key.account).await?;
        let grant_id: Option<String> = sqlx::query_scalar(&format!(
            "SELECT grant_id FROM {GRANTS} WHERE account_id = $1 AND workload_id = $2 AND user_id = $3 AND provider_id = $4 \
             AND scopes_key = $5 AND version = $6"
        ))
        .bind(key.account.as_str())
        .bind(key.workload_id)
        .bind(key.user_id)
        .bind(key.provider_id)
        .bind(key.scopes_key)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(grant_id) = grant_id else { return Ok(false) };
        let data_key = self.current_data_key(&mut tx, key.account).await?;
        let sealed = data_key.seal(&seal(key.account, GRANTS, &grant_id, "grant"), plain)?;
        sqlx::query(&format!(
            "UPDATE {GRANTS} SET sealed = $2, version = version + 1, updated_at = $3 WHERE grant_id = $1"
        ))
        .bind(&grant_id)
        .bind(sealed)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes the grant if it is still at `version`: the provider refused its refresh token,
    /// and the user must authorize again. Returns whether it was removed.
    pub async fn drop_user_grant(&self, key: &GrantKey<'_>, version: i64) -> Result<bool> {
        let removed = sqlx::query(&format!(
            "DELETE FROM {GRANTS} WHERE account_id = $1 AND workload_id = $2 AND user_id = $3 AND provider_id = $4 \
             AND scopes_key = $5 AND version = $6"
        ))
        .bind(key.account.as_str())
        .bind(key.workload_id)
        .bind(key.user_id)
        .bind(key.provider_id)
        .bind(key.scopes_key)
        .bind(version)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(removed == 1)
    }
}

/// Which grant: one per (account, workload, user, provider, scope set).
#[derive(Clone, Copy, Debug)]
pub struct GrantKey<'a> {
    pub account: &'a AccountId,
    pub workload_id: &'a str,
    pub user_id: &'a str,
    pub provider_id: &'a str,
    pub scopes_key: &'a str,
}
