//! The keys of one issuer: OIDC discovery, the JWKS cached for a TTL, refetched on an unknown
//! `kid` at most once per interval, and unknown `kid`s remembered for as long.
//!
//! One fetch runs at a time per issuer (a mutex held across it), so concurrent requests that
//! all miss wait for that fetch and reuse its result instead of starting their own.

use std::sync::{Arc, PoisonError, RwLock};

use identity_domain::{Clock, UnixMillis, Violations};
use identity_outbound::OutboundClient;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::{JwtError, ValidatorSettings, jwk::VerifyingKey};

/// What fetching needs: the guarded HTTP client, the clock and the settings.
#[derive(Debug)]
pub(crate) struct Source {
    pub client: OutboundClient,
    pub clock: Arc<dyn Clock>,
    pub settings: ValidatorSettings,
}

impl Source {
    pub fn now(&self) -> UnixMillis {
        self.clock.now_millis()
    }
}

/// One successful fetch of an issuer's keys.
#[derive(Debug)]
pub(crate) struct KeySet {
    /// The issuer the discovery document announced; tokens' `iss` must equal it.
    pub issuer: String,
    pub jwks_uri: Url,
    pub keys: Vec<Arc<VerifyingKey>>,
    pub fetched_at: UnixMillis,
}

/// The cache of one discovery URL.
#[derive(Debug)]
pub(crate) struct IssuerKeys {
    discovery_url: String,
    current: RwLock<Option<Arc<KeySet>>>,
    fetch: tokio::sync::Mutex<FetchState>,
    /// `kid`s that a fetch did not find, with when: answered without a fetch for an interval.
    unknown_kids: moka::future::Cache<String, UnixMillis>,
}

#[derive(Debug, Default)]
struct FetchState {
    last_attempt: Option<UnixMillis>,
    last_error: Option<JwtError>,
}

/// Bytes of `kid`s the negative cache holds at most (a `kid` is as long as a token allows).
const UNKNOWN_KIDS_BYTES: u64 = 1 << 20;

impl IssuerKeys {
    pub fn new(discovery_url: &str) -> Self {
        Self {
            discovery_url: discovery_url.to_owned(),
            current: RwLock::new(None),
            fetch: tokio::sync::Mutex::new(FetchState::default()),
            unknown_kids: moka::future::Cache::builder()
                .weigher(|kid: &String, _| u32::try_from(kid.len()).unwrap_or(u32::MAX).saturating_add(32))
                .max_capacity(UNKNOWN_KIDS_BYTES)
                .build(),
        }
    }

    fn snapshot(&self) -> Option<Arc<KeySet>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn store(&self, set: Arc<KeySet>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(set);
    }

    /// The issuer's keys: cached, or discovered and fetched when missing or older than the TTL.
    /// While the IdP cannot be reached, keys fetched earlier keep serving for `max_stale` past
    /// the TTL; failed attempts are retried at most once per `min_refetch_interval`.
    pub async fn keys(&self, source: &Source) -> Result<Arc<KeySet>, JwtError> {
        let ttl = millis(source.settings.jwks_ttl);
        let fresh = |set: &KeySet, now: UnixMillis| now.saturating_sub(set.fetched_at) < ttl;
        if let Some(set) = self.snapshot()
            && fresh(&set, source.now())
        {
            return Ok(set);
        }
        let mut state = self.fetch.lock().await;
        let now = source.now();
        let cached = self.snapshot();
        if let Some(set) = &cached
            && fresh(set, now)
        {
            return Ok(set.clone());
        }
        if state.attempted_within(now, millis(source.settings.min_refetch_interval)) {
            let error = state.last_error.clone().unwrap_or_else(|| JwtError::JwksUnavailable("retrying later".into()));
            return self.stale_or(source, cached, now, error);
        }
        state.last_attempt = Some(now);
        let fetched = async {
            let (issuer, jwks_uri) = self.discover(source).await?;
            let keys = fetch_jwks(source, &jwks_uri).await?;
            Ok::<_, JwtError>(Arc::new(KeySet { issuer, jwks_uri, keys, fetched_at: now }))
        };
        match fetched.await {
            Ok(set) => {
                state.last_error = None;
                self.store(set.clone());
                Ok(set)
            }
            Err(error) => {
                tracing::warn!(discovery_url = %self.discovery_url, reason = error.reason(), %error, "cannot fetch the issuer's keys");
                state.last_error = Some(error.clone());
                self.stale_or(source, cached, now, error)
            }
        }
    }

    fn stale_or(
        &self,
        source: &Source,
        cached: Option<Arc<KeySet>>,
        now: UnixMillis,
        error: JwtError,
    ) -> Result<Arc<KeySet>, JwtError> {
        let limit = millis(source.settings.jwks_ttl).saturating_add(millis(source.settings.max_stale));
        match cached {
            Some(set) if now.saturating_sub(set.fetched_at) < limit => Ok(set),
            _ => Err(error),
        }
    }

    /// Called when `kid` is not in `seen`: the keys to look in again, refetched unless a fetch
    /// happened within `min_refetch_interval` (or `kid` was found unknown that recently, which
    /// is [`JwtError::UnknownKid`] at once).
    pub async fn refetch_for(&self, source: &Source, kid: &str, seen: &Arc<KeySet>) -> Result<Arc<KeySet>, JwtError> {
        let interval = millis(source.settings.min_refetch_interval);
        if self.unknown_kids.get(kid).await.is_some_and(|at| source.now().saturating_sub(at) < interval) {
            return Err(JwtError::UnknownKid);
        }
        let mut state = self.fetch.lock().await;
        let now = source.now();
        if let Some(set) = self.snapshot()
            && !Arc::ptr_eq(&set, seen)
        {
            return Ok(set); // Another request fetched while this one waited.
        }
        if state.attempted_within(now, interval) {
            return Ok(seen.clone());
        }
        state.last_attempt = Some(now);
        match fetch_jwks(source, &seen.jwks_uri).await {
            Ok(keys) => {
                state.last_error = None;
                let set = Arc::new(KeySet {
                    issuer: seen.issuer.clone(),
                    jwks_uri: seen.jwks_uri.clone(),
                    keys,
                    fetched_at: now,
                });
                self.store(set.clone());
                Ok(set)
            }
            Err(error) => {
                tracing::warn!(discovery_url = %self.discovery_url, reason = error.reason(), %error, "cannot refetch the issuer's keys");
                state.last_error = Some(error);
                Ok(seen.clone())
            }
        }
    }

    /// Remembers that `kid` is not among the issuer's keys as of now.
    pub async fn remember_unknown(&self, kid: &str, now: UnixMillis) {
        self.unknown_kids.insert(kid.to_owned(), now).await;
    }

    /// Fetches the discovery document: its `issuer` must be the one the URL implies, and its
    /// `jwks_uri` an https URL (http on loopback only).
    async fn discover(&self, source: &Source) -> Result<(String, Url), JwtError> {
        #[derive(Deserialize)]
        struct Document {
            issuer: Option<String>,
            jwks_uri: Option<String>,
        }
        let failed = |why: String| JwtError::DiscoveryFailed(why);
        let url = Url::parse(&self.discovery_url).map_err(|_| failed("the discovery URL is not a URL".into()))?;
        let expected =
            expected_issuer(&url).ok_or_else(|| failed("the discovery URL has no well-known path".into()))?;
        let document: Document = source.client.get_json(&url).await.map_err(|e| failed(e.to_string()))?;
        let issuer = document.issuer.ok_or_else(|| failed("the discovery document has no issuer".into()))?;
        if issuer.trim_end_matches('/') != expected.trim_end_matches('/') {
            return Err(failed(format!("the discovery document's issuer {issuer} does not match its URL")));
        }
        let jwks_uri = document.jwks_uri.ok_or_else(|| failed("the discovery document has no jwks_uri".into()))?;
        let mut violations = Violations::default();
        let jwks_uri = violations
            .endpoint_url("jwks_uri", &jwks_uri)
            .ok_or_else(|| failed("the discovery document's jwks_uri is not an https URL".into()))?;
        Ok((issuer, jwks_uri))
    }
}

impl FetchState {
    fn attempted_within(&self, now: UnixMillis, interval: i64) -> bool {
        self.last_attempt.is_some_and(|at| now.saturating_sub(at) < interval)
    }
}

async fn fetch_jwks(source: &Source, jwks_uri: &Url) -> Result<Vec<Arc<VerifyingKey>>, JwtError> {
    let document: Value =
        source.client.get_json(jwks_uri).await.map_err(|e| JwtError::JwksUnavailable(e.to_string()))?;
    let keys = crate::jwk::parse_jwks(document).map_err(|why| JwtError::JwksUnavailable(why.to_owned()))?;
    Ok(keys.into_iter().map(Arc::new).collect())
}

/// The issuer a discovery URL must announce: the URL without its well-known part (OIDC
/// Discovery §4; RFC 8414 §3 inserts the well-known segment before the issuer's path).
fn expected_issuer(url: &Url) -> Option<String> {
    let (origin, path) = (url.origin().ascii_serialization(), url.path());
    if let Some(prefix) = path.strip_suffix("/.well-known/openid-configuration") {
        return Some(format!("{origin}{prefix}"));
    }
    ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
        .iter()
        .find_map(|well_known| path.strip_prefix(well_known))
        .map(|rest| format!("{origin}{rest}"))
}

pub(crate) fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
