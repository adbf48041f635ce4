//! Refresh of users' grants, correct across replicas: an in-process single flight in front of a
//! cache lease (Redis when configured, so one refresh per grant at a time across every replica),
//! with the grant's version as the fence in the database. The rotated refresh token is stored
//! before anyone gets the new access token; a response without one keeps the old one; on
//! `invalid_grant` the grant is read again (another replica may have rotated it) before it is
//! dropped, after which the next call starts a new authorization.

use std::{sync::Arc, time::Duration};

use identity_crypto::{SealContext, random_token, sha256_hex};
use identity_domain::{CredentialProvider, ProviderConfig, SecretString, StoredGrant};
use identity_oauth::{ClientCredentials, OAuthError};
use identity_store::GrantKey;

use crate::{error::DataError, vend::DataContext};

/// Longest a grant stays cached (a deleted grant leaves every cache by then at the latest).
const GRANT_CACHE_TTL: Duration = Duration::from_secs(300);

/// A grant as cached.
#[derive(serde::Deserialize)]
struct CachedGrant {
    version: i64,
    generation: i64,
    grant: StoredGrant,
}

#[derive(serde::Serialize)]
struct CachedGrantRef<'a> {
    version: i64,
    generation: i64,
    grant: &'a StoredGrant,
}

/// A grant's cache key. The entry carries the account's grant generation as this replica saw it
/// before reading the grant from the database: once a disconnect raises it (whoever deleted the
/// grants, with or without access to Redis), an entry cached before is never used again, within
/// one poll of the generations. The key itself is not versioned, so that the control plane can
/// delete exactly it, and Redis holds nothing of a disconnected user. generations.rs also drops
/// the in-process entries, to free them.
pub(crate) fn grant_cache_key(key: &GrantKey<'_>) -> String {
    key.cache_key()
}

/// The prefix of the cache keys of `account`'s grants.
pub(crate) fn grant_cache_prefix(account: &identity_domain::AccountId) -> String {
    identity_store::grant_cache_prefix(account)
}

/// How long a refresh may hold the lease before another replica may take over.
const LEASE_TTL: Duration = Duration::from_secs(30);
/// How long a caller waits for another replica's refresh before giving up.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(15);

fn decode(plain: &[u8]) -> Result<StoredGrant, DataError> {
    serde_json::from_slice(plain).map_err(|e| DataError::Internal(format!("stored grant: {e}")))
}

impl DataContext {
    fn fresh(&self, grant: &StoredGrant) -> bool {
        grant.expires_at.is_none_or(|at| at - self.clock.now_millis() > self.refresh_margin.as_millis() as i64)
    }

    /// The grant from the database: the source of truth, and the only one the refresh path reads.
    async fn read_grant(&self, key: &GrantKey<'_>) -> Result<Option<(i64, StoredGrant)>, DataError> {
        match self.store.user_grant(key).await? {
            Some((version, plain)) => Ok(Some((version, decode(&plain)?))),
            None => Ok(None),
        }
    }

    /// The grant from the cache (sealed with the account's data key), else from the database,
    /// which then refills the cache until the token nears expiry.
    async fn cached_grant(&self, key: &GrantKey<'_>) -> Result<Option<(i64, StoredGrant)>, DataError> {
        let generation = self.generations.grants(key.account);
        let cache_key = grant_cache_key(key);
        let context = SealContext { account: key.account.as_str(), table: "cache", record: &cache_key, field: "grant" };
        match self.cache.get(&cache_key).await {
            Ok(Some(sealed)) => {
                if let Ok(plain) = self.store.open_for_account(key.account, &context, &sealed).await
                    && let Ok(cached) = serde_json::from_slice::<CachedGrant>(&plain)
                    && cached.generation >= generation
                {
                    return Ok(Some((cached.version, cached.grant)));
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cache unavailable, reading the database"),
        }
        // Read after the generation was taken: if the grant is deleted meanwhile, it is cached
        // under a generation that is already (or soon) past.
        let found = self.read_grant(key).await?;
        if let Some((version, grant)) = &found {
            self.cache_grant(key, generation, *version, grant).await;
        }
        Ok(found)
    }

    /// Caches a grant while it is fresh (at most [`GRANT_CACHE_TTL`]), under the grant
    /// `generation` taken before it was read or written.
    async fn cache_grant(&self, key: &GrantKey<'_>, generation: i64, version: i64, grant: &StoredGrant) {
        let fresh_for = match grant.expires_at {
            Some(at) => at - self.clock.now_millis() - self.refresh_margin.as_millis() as i64,
            None => GRANT_CACHE_TTL.as_millis() as i64,
        };
        let ttl = Duration::from_millis(fresh_for.clamp(0, GRANT_CACHE_TTL.as_millis() as i64) as u64);
        if ttl.is_zero() {
            return;
        }
        let cache_key = grant_cache_key(key);
        let context = SealContext { account: key.account.as_str(), table: "cache", record: &cache_key, field: "grant" };
        let Ok(plain) = serde_json::to_vec(&CachedGrantRef { version, generation, grant }).map(zeroize::Zeroizing::new)
        else {
            return;
        };
        match self.store.seal_for_account(key.account, &context, &plain).await {
            Ok(sealed) => {
                if let Err(e) = self.cache.set(&cache_key, &sealed, ttl).await {
                    tracing::warn!(error = %e, "cache unavailable, not caching");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot seal the grant for the cache"),
        }
    }

    /// The user's grant, refreshed first when it nears expiry (or always, when `force`).
    /// `None`: the user has to authorize (again).
    pub(crate) async fn usable_grant(
        self: &Arc<Self>,
        key: &GrantKey<'_>,
        provider: &CredentialProvider,
        force: bool,
    ) -> Result<Option<StoredGrant>, DataError> {
        let Some((version, grant)) = self.cached_grant(key).await? else { return Ok(None) };
        if !force && self.fresh(&grant) {
            return Ok(Some(grant));
        }
        if grant.refresh_token.is_none() {
            // Nothing to refresh with: the user authorizes again.
            return Ok(None);
        }
        let lease = format!(
            "lease:grant:{}",
            sha256_hex(
                format!("{}|{}|{}|{}|{}", key.account, key.workload_id, key.user_id, key.provider_id, key.scopes_key)
                    .as_bytes()
            )
        );
        // One refresh per grant at a time in this process...
        let gate = self.refresh_gates.get_with(lease.clone(), async { Arc::new(tokio::sync::Mutex::new(())) }).await;
        let in_process = gate.lock_owned().await;
        // ...and across replicas.
        let owner = random_token(12).map_err(|e| DataError::Internal(e.to_string()))?;
        let mut waited = Duration::ZERO;
        let mut seen = version;
        loop {
            let Some((version, grant)) = self.read_grant(key).await? else { return Ok(None) };
            if (version != seen || !force) && self.fresh(&grant) {
                // Another caller refreshed while this one waited.
                return Ok(Some(grant));
            }
            seen = version;
            match self.cache.acquire(&lease, &owner, LEASE_TTL).await {
                Ok(false) if waited < WAIT_FOR_OTHERS => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                    waited += Duration::from_millis(25);
                }
                Ok(false) => {
                    return Err(DataError::TokenRefreshFailed {
                        code: "refresh_in_progress".to_owned(),
                        message: "another replica is still refreshing this grant; retry".to_owned(),
                    });
                }
                acquired => {
                    if let Err(e) = &acquired {
                        // Without the cache there is no lease: the version check below still
                        // lets only one refresh be stored.
                        tracing::warn!(error = %e, "cache unavailable, refreshing without a lease");
                    }
                    let lease = acquired.is_ok().then_some((lease, owner));
                    let outcome = self.refresh_detached(key, version, grant, provider, in_process, lease).await;
                    // On this (the request's) task: the audit notes are task-local.
                    crate::audit::note_refresh(&provider.name, &outcome);
                    return outcome;
                }
            }
        }
    }

    /// [`Self::refresh_at_provider`] in a task of its own, which finishes even when the caller
    /// goes away (its client disconnects, or REQUEST_TIMEOUT drops the call): a provider that
    /// rotates refresh tokens has spent the old one once it answers, so an answer dropped before
    /// it is stored would lose the grant. The task holds the in-process gate (`in_process`) and
    /// gives back the cache `lease` (lease, owner) once the result is stored.
    async fn refresh_detached(
        self: &Arc<Self>,
        key: &GrantKey<'_>,
        version: i64,
        grant: StoredGrant,
        provider: &CredentialProvider,
        in_process: tokio::sync::OwnedMutexGuard<()>,
        lease: Option<(String, String)>,
    ) -> Result<Option<StoredGrant>, DataError> {
        let context = Arc::clone(self);
        let (account, workload_id, user_id, provider_id, scopes_key) = (
            key.account.clone(),
            key.workload_id.to_owned(),
            key.user_id.to_owned(),
            key.provider_id.to_owned(),
            key.scopes_key.to_owned(),
        );
        let provider = provider.clone();
        let refresh = async move {
            let key = GrantKey {
                account: &account,
                workload_id: &workload_id,
                user_id: &user_id,
                provider_id: &provider_id,
                scopes_key: &scopes_key,
            };
            let outcome = context.refresh_at_provider(&key, version, grant, &provider).await;
            if let Some((lease, owner)) = lease {
                let _ = context.cache.release(&lease, &owner).await;
            }
            drop(in_process);
            outcome
        };
        tokio::spawn(tracing::Instrument::in_current_span(refresh))
            .await
            .map_err(|e| DataError::Internal(format!("grant refresh: {e}")))?
    }

    async fn refresh_at_provider(
        &self,
        key: &GrantKey<'_>,
        version: i64,
        grant: StoredGrant,
        provider: &CredentialProvider,
    ) -> Result<Option<StoredGrant>, DataError> {
        let ProviderConfig::Oauth2(config) = &provider.config else {
            return Err(DataError::Internal("provider type".to_owned()));
        };
        let (_, sealed) = self.store.credential_provider_sealed(key.account, &provider.name).await?;
        let secret = self.store.open_provider_secret(key.account, &provider.id, &sealed).await?;
        let endpoint = config.discovery.metadata.as_ref().map(|m| m.token_endpoint.clone()).unwrap_or_default();
        let client = ClientCredentials { client_id: &config.client_id, client_secret: secret.expose() };
        let refresh_token = grant.refresh_token.as_ref().map_or("", SecretString::expose);
        match self.tokens.refresh(&endpoint, config.vendor, client, refresh_token).await {
            Ok(new) => {
                let now = self.clock.now_millis();
                let updated = StoredGrant {
                    access_token: new.access_token,
                    token_type: new.token_type,
                    expires_at: new.expires_in.map(|s| now + s as i64 * 1000),
                    // No refresh token in the response: the old one stays valid.
                    refresh_token: new.refresh_token.or(grant.refresh_token),
                    scopes: new.scopes.unwrap_or(grant.scopes),
                };
                let plain = zeroize::Zeroizing::new(
                    serde_json::to_vec(&updated).map_err(|e| DataError::Internal(e.to_string()))?,
                );
                // Stored before anyone gets the new access token.
                let generation = self.generations.grants(key.account);
                if self.store.replace_user_grant(key, version, &plain).await? {
                    tracing::info!(provider = %provider.name, "grant refreshed");
                    self.cache_grant(key, generation, version + 1, &updated).await;
                    Ok(Some(updated))
                } else {
                    // Someone else stored a newer grant first (only possible without the lease).
                    Ok(self.read_grant(key).await?.map(|(_, g)| g))
                }
            }
            Err(OAuthError::Provider { error, .. }) if error == "invalid_grant" => {
                // Another replica may have rotated the refresh token meanwhile: read again.
                if let Some((now_version, newer)) = self.read_grant(key).await?
                    && now_version != version
                {
                    return Ok(Some(newer));
                }
                self.store.drop_user_grant(key, version).await?;
                if let Err(e) = self.cache.delete(&grant_cache_key(key)).await {
                    tracing::warn!(error = %e, "cache unavailable; the dropped grant expires from it on its own");
                }
                tracing::warn!(provider = %provider.name, "refresh token refused; the user must authorize again");
                Err(DataError::TokenRefreshFailed {
                    code: error,
                    message: "the provider refused the refresh token; the user must authorize again".to_owned(),
                })
            }
            Err(e) => Err(DataError::TokenRefreshFailed {
                code: e.code().to_owned(),
                message: format!("refresh failed: {e}"),
            }),
        }
    }
}
