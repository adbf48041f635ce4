//! OAuth2 `M2M` vending: the client credentials grant at the provider, cached (sealed with the
//! account's data key) until shortly before expiry. Scopes are part of the cache key; a cache
//! hit costs no database or provider round trip.

use std::time::Duration;

use identity_crypto::{SealContext, sha256_hex};
use identity_domain::{AccountId, ProviderConfig, ProviderStatus, SecretString};
use identity_oauth::ClientCredentials;
use serde::{Deserialize, Serialize};

use crate::{error::DataError, vend::DataContext};

/// A cached token is handed out only while it has at least this long to live.
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// How long a token without expiry is cached before it is fetched again.
const NON_EXPIRING_CACHE: Duration = Duration::from_secs(3600);

/// A vended access token.
#[derive(Debug)]
pub struct Vended {
    pub access_token: SecretString,
    pub token_type: String,
    /// Milliseconds since the epoch; `None` when the token does not expire.
    pub expires_at: Option<i64>,
    pub scopes: Vec<String>,
}

impl Vended {
    /// Whole seconds the token has left at `now` (0 for tokens without expiry, as on the wire).
    pub fn seconds_left(&self, now: i64) -> i64 {
        self.expires_at.map(|at| (at - now).max(0) / 1000).unwrap_or_default()
    }
}

#[derive(Serialize, Deserialize)]
struct Cached {
    access_token: String,
    token_type: String,
    expires_at: Option<i64>,
    scopes: Vec<String>,
}

fn seal_context<'a>(account: &'a AccountId, key: &'a str) -> SealContext<'a> {
    SealContext { account: account.as_str(), table: "cache", record: key, field: "m2m" }
}

/// Sorted, deduplicated (scopes, audiences, resources): the same set always makes the same
/// cache key.
pub(crate) fn normalized(items: &[String]) -> Vec<String> {
    let mut items = items.to_vec();
    items.sort();
    items.dedup();
    items
}

impl DataContext {
    /// The workload's own token at `provider_name` for `scopes` (the provider's defaults when empty).
    pub async fn m2m_token(
        &self,
        account: &AccountId,
        provider_name: &str,
        scopes: &[String],
    ) -> Result<Vended, DataError> {
        let scopes = normalized(scopes);
        // The account's config generation is part of the key: a token fetched before the
        // provider was changed or deleted is not read again (see generations.rs).
        let generation = self.generations.config(account);
        let key = format!("m2m:{account}:{generation}:{provider_name}:{}", sha256_hex(scopes.join(" ").as_bytes()));
        let now = self.clock.now_millis();
        if let Some(hit) = self.cached_m2m(account, &key).await
            && hit.expires_at.is_none_or(|at| at - now > EXPIRY_MARGIN.as_millis() as i64)
        {
            return Ok(hit);
        }

        let (provider, sealed) = match self.store.credential_provider_sealed(account, provider_name).await {
            Err(identity_store::StoreError::NotFound { .. }) => {
                return Err(DataError::ProviderNotFound(format!(
                    "OAuth2 credential provider '{provider_name}' not found"
                )));
            }
            other => other?,
        };
        let ProviderConfig::Oauth2(config) = &provider.config else {
            return Err(DataError::ProviderNotFound(format!("'{provider_name}' is not an OAuth2 credential provider")));
        };
        if provider.status != ProviderStatus::Active {
            return Err(DataError::ProviderNotReady(format!(
                "credential provider '{provider_name}' is {}",
                provider.status.as_str()
            )));
        }
        let endpoint = config.discovery.metadata.as_ref().map(|m| m.token_endpoint.clone()).unwrap_or_default();
        let secret = self.store.open_provider_secret(account, &provider.id, &sealed).await?;
        let requested = if scopes.is_empty() { config.default_scopes.clone() } else { scopes.clone() };
        let client = ClientCredentials { client_id: &config.client_id, client_secret: secret.expose() };
        let grant = self
            .tokens
            .client_credentials(&endpoint, config.vendor, client, &requested)
            .await
            .map_err(|e| DataError::AuthorizationFailed { code: e.code().to_owned(), message: e.to_string() })?;
        Ok(self.vend_and_cache(account, &key, grant, requested).await)
    }

    /// What `grant` vends (its scopes, else the `requested` ones), cached sealed under `key`
    /// until shortly before it expires.
    pub(crate) async fn vend_and_cache(
        &self,
        account: &AccountId,
        key: &str,
        grant: identity_oauth::TokenGrant,
        requested: Vec<String>,
    ) -> Vended {
        let now = self.clock.now_millis();
        let vended = Vended {
            expires_at: grant.expires_in.map(|s| now + s as i64 * 1000),
            scopes: grant.scopes.unwrap_or(requested),
            token_type: grant.token_type,
            access_token: grant.access_token,
        };
        let ttl = match grant.expires_in {
            Some(seconds) => Duration::from_secs(seconds).saturating_sub(EXPIRY_MARGIN),
            None => NON_EXPIRING_CACHE,
        };
        if !ttl.is_zero() {
            self.cache_m2m(account, key, &vended, ttl).await;
        }
        vended
    }

    pub(crate) async fn cached_m2m(&self, account: &AccountId, key: &str) -> Option<Vended> {
        let sealed = match self.cache.get(key).await {
            Ok(hit) => hit?,
            Err(e) => {
                tracing::warn!(error = %e, "cache unavailable, asking the provider");
                return None;
            }
        };
        let plain = self.store.open_for_account(account, &seal_context(account, key), &sealed).await.ok()?;
        let cached: Cached = serde_json::from_slice(&plain).ok()?;
        Some(Vended {
            access_token: SecretString::new(cached.access_token),
            token_type: cached.token_type,
            expires_at: cached.expires_at,
            scopes: cached.scopes,
        })
    }

    pub(crate) async fn cache_m2m(&self, account: &AccountId, key: &str, vended: &Vended, ttl: Duration) {
        let cached = Cached {
            access_token: vended.access_token.expose().to_owned(),
            token_type: vended.token_type.clone(),
            expires_at: vended.expires_at,
            scopes: vended.scopes.clone(),
        };
        let Ok(plain) = serde_json::to_vec(&cached).map(zeroize::Zeroizing::new) else { return };
        match self.store.seal_for_account(account, &seal_context(account, key), &plain).await {
            Ok(sealed) => {
                if let Err(e) = self.cache.set(key, &sealed, ttl).await {
                    tracing::warn!(error = %e, "cache unavailable, not caching");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot seal the token for the cache"),
        }
    }
}
