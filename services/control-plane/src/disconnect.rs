//! A user disconnects (`DeleteUserTokens`): their grants leave the database (with the audit
//! record, in one transaction), then the data planes' Redis, then are revoked at their providers
//! (RFC 7009) where the vendor catalog or the provider's discovery document names a revocation
//! endpoint. Deleting comes first: a provider that cannot revoke never keeps a grant alive here,
//! it only costs a "not revoked" in the answer and a log line (without the token).
//!
//! Revocations run concurrently within [`REVOCATION_BUDGET`] in all, well under the request
//! timeout; each provider is looked up (and a custom provider's discovery document read) once
//! per call. A grant whose provider the user still holds another grant of (for another workload
//! identity) is not revoked: some vendors (Google) revoke the whole consent given to the client,
//! which would break the grants that remain.
//!
//! Data planes without Redis drop the grants from their in-process caches when they poll the
//! account's raised grant generation (see the data plane's `generations.rs`).

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use identity_cache::RedisCache;
use identity_domain::{AccountId, CredentialProvider, ProviderConfig, StoredGrant, TenantRule};
use identity_oauth::{ClientCredentials, TokenClient, TokenTypeHint};
use identity_outbound::OutboundClient;
use identity_store::{DeletedGrant, GrantKey, Store, UserGrantFilter};

use crate::error::ServiceError;

/// A data plane that read a grant just before it was deleted may still write it to Redis; the
/// keys are deleted again after this long (well over a cache-filling read).
const SECOND_DELETE_AFTER: Duration = Duration::from_secs(3);

/// How long a disconnect waits for its revocations, in all (one unreachable provider alone takes
/// the outbound timeout, 10 s). What has not finished by then is reported as not revoked. This
/// fits the default REQUEST_TIMEOUT (30 s); one set under about 6 s can cut the call short
/// after its deletes committed, leaving the revocations undone.
const REVOCATION_BUDGET: Duration = Duration::from_secs(5);

/// Deletes and revokes users' grants.
#[derive(Clone, Debug)]
pub struct Disconnect {
    tokens: TokenClient,
    outbound: OutboundClient,
    redis: Option<RedisCache>,
}

/// What a disconnect did.
#[derive(Debug, Default)]
pub struct Disconnected {
    pub deleted: u64,
    pub revoked: u64,
}

impl Disconnect {
    /// Revokes through `outbound`; deletes cached grants from `redis` when the data planes share one.
    pub fn new(outbound: OutboundClient, redis: Option<RedisCache>) -> Self {
        Self { tokens: TokenClient::new(outbound.clone()), outbound, redis }
    }

    /// Disconnects `user_id` from `provider` (or every provider), for `workload` (id and name)
    /// or every workload identity.
    pub async fn disconnect(
        &self,
        store: &Store,
        account: &AccountId,
        user_id: &str,
        provider: Option<&CredentialProvider>,
        workload: Option<(&str, &str)>,
    ) -> Result<Disconnected, ServiceError> {
        let filter = UserGrantFilter {
            account,
            user_id,
            provider: provider.map(|p| (p.id.as_str(), p.name.as_str())),
            workload,
        };
        let deleted = store.delete_user_grants(filter).await?;
        self.forget_cached(account, user_id, &deleted).await;
        let mut by_provider: BTreeMap<&str, Vec<&DeletedGrant>> = BTreeMap::new();
        let mut still_granted = 0;
        for grant in &deleted {
            if grant.provider_still_granted {
                still_granted += 1;
            } else {
                by_provider.entry(grant.provider_id.as_str()).or_default().push(grant);
            }
        }
        let revoked = AtomicU64::new(0);
        let revocations = futures::future::join_all(
            by_provider
                .into_iter()
                .map(|(provider_id, grants)| self.revoke_at(store, account, provider_id, grants, &revoked)),
        );
        let finished = tokio::time::timeout(REVOCATION_BUDGET, revocations).await.is_ok();
        if !finished {
            tracing::warn!(
                budget_ms = REVOCATION_BUDGET.as_millis() as u64,
                "revocations unfinished within the budget are reported as not revoked; the grants are deleted all the same"
            );
        }
        let revoked = revoked.load(Ordering::Relaxed);
        tracing::info!(
            account = %account,
            deleted = deleted.len(),
            revoked,
            still_granted,
            "user's grants deleted; those whose provider the user still holds another grant of are not revoked"
        );
        Ok(Disconnected { deleted: deleted.len() as u64, revoked })
    }

    /// Deletes the grants' keys from Redis now and once more a little later.
    async fn forget_cached(&self, account: &AccountId, user_id: &str, deleted: &[DeletedGrant]) {
        let Some(redis) = &self.redis else { return };
        let keys: Vec<String> = deleted
            .iter()
            .map(|g| {
                GrantKey {
                    account,
                    workload_id: &g.workload_id,
                    user_id,
                    provider_id: &g.provider_id,
                    scopes_key: &g.scopes_key,
                }
                .cache_key()
            })
            .collect();
        if keys.is_empty() {
            return;
        }
        delete_all(redis, &keys).await;
        let redis = redis.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SECOND_DELETE_AFTER).await;
            delete_all(&redis, &keys).await;
        });
    }

    /// Revokes `grants` (all of one provider) at that provider, concurrently, counting in
    /// `revoked` those the provider confirmed.
    async fn revoke_at(
        &self,
        store: &Store,
        account: &AccountId,
        provider_id: &str,
        grants: Vec<&DeletedGrant>,
        revoked: &AtomicU64,
    ) {
        let (provider, sealed) = match store.credential_provider_sealed_by_id(account, provider_id).await {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the grants' provider; not revoked");
                return;
            }
        };
        let ProviderConfig::Oauth2(config) = &provider.config else { return };
        let Some(endpoint) = self.revocation_endpoint(&provider).await else {
            tracing::info!(provider = %provider.name, "the provider has no revocation endpoint; grants deleted only");
            return;
        };
        let secret = match store.open_provider_secret(account, &provider.id, &sealed).await {
            Ok(secret) => secret,
            Err(e) => {
                tracing::warn!(error = %e, provider = %provider.name, "cannot open the client secret; not revoked");
                return;
            }
        };
        let client = ClientCredentials { client_id: &config.client_id, client_secret: secret.expose() };
        let revocations = grants.into_iter().map(|grant| async {
            let Some(plain) = &grant.plain else { return };
            let Ok(tokens) = serde_json::from_slice::<StoredGrant>(plain) else {
                tracing::warn!("a deleted grant is not in the expected form; not revoked");
                return;
            };
            // The grant as the data plane stored it; only its tokens matter here.
            let (token, hint) = match &tokens.refresh_token {
                Some(refresh) => (refresh.expose(), TokenTypeHint::RefreshToken),
                None => (tokens.access_token.expose(), TokenTypeHint::AccessToken),
            };
            match self.tokens.revoke(&endpoint, config.vendor, client, token, hint).await {
                Ok(()) => {
                    revoked.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::warn!(provider = %provider.name, code = e.code(), "revocation failed; the grant is deleted all the same");
                }
            }
        });
        futures::future::join_all(revocations).await;
    }

    /// The vendor's revocation endpoint, or a custom provider's from its discovery document.
    async fn revocation_endpoint(&self, provider: &CredentialProvider) -> Option<String> {
        let ProviderConfig::Oauth2(config) = &provider.config else { return None };
        let tenant = match (config.tenant.as_str(), config.vendor.tenant_rule()) {
            ("", TenantRule::Optional(default)) => default,
            (tenant, _) => tenant,
        };
        if let Some(endpoint) = config.vendor.revocation_endpoint(tenant) {
            return Some(endpoint);
        }
        let url = url::Url::parse(config.discovery.discovery_url.as_deref()?).ok()?;
        match self.outbound.get_json::<serde_json::Value>(&url).await {
            Ok(document) => {
                let endpoint = document.get("revocation_endpoint")?.as_str()?.to_owned();
                let mut v = identity_domain::Violations::default();
                v.endpoint_url("revocation_endpoint", &endpoint);
                v.finish().ok().map(|()| endpoint)
            }
            Err(e) => {
                tracing::warn!(provider = %provider.name, error = %e, "cannot read the discovery document for its revocation endpoint");
                None
            }
        }
    }
}

/// One round trip, so an unreachable Redis costs the call one timeout, not one per grant.
async fn delete_all(redis: &RedisCache, keys: &[String]) {
    if let Err(e) = redis.delete_many(keys).await {
        tracing::warn!(error = %e, "cannot delete cached grants from Redis; the data planes ignore them once they see the raised grant generation");
    }
}
