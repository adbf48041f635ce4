use std::{sync::Arc, time::Duration};

use identity_domain::{Clock, UnixMillis};
use identity_outbound::OutboundClient;
use jsonwebtoken::{Algorithm, Validation, errors::ErrorKind};
use serde_json::{Map, Value};

use crate::{
    AuthorizerPolicy, JwtError, claims,
    header::{self, Header},
    jwk::VerifyingKey,
    keys::{IssuerKeys, KeySet, Source, millis},
};

/// Tunables of a [`JwtValidator`]; the defaults suit production.
#[derive(Clone, Debug)]
pub struct ValidatorSettings {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default 60 s.
    pub leeway: Duration,
    /// How long fetched keys are used before the discovery document and JWKS are fetched
    /// again. Default 10 minutes.
    pub jwks_ttl: Duration,
    /// Fetches for one issuer are at least this far apart when caused by an unknown `kid` or
    /// after a failure; an unknown `kid` is answered from memory for as long. Default 30 s.
    pub min_refetch_interval: Duration,
    /// How long past the TTL keys keep verifying while the IdP cannot be reached. Default 1 h.
    pub max_stale: Duration,
    /// Longer tokens are refused unparsed. Default 16 KiB.
    pub max_token_bytes: usize,
}

impl Default for ValidatorSettings {
    fn default() -> Self {
        Self {
            leeway: Duration::from_secs(60),
            jwks_ttl: Duration::from_secs(600),
            min_refetch_interval: Duration::from_secs(30),
            max_stale: Duration::from_secs(3600),
            max_token_bytes: 16 * 1024,
        }
    }
}

/// A token that passed every check of a policy.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatedToken {
    /// `iss`, as the discovery document announces it.
    pub issuer: String,
    /// `sub`.
    pub subject: String,
    /// `aud` (empty when absent, as in Cognito access tokens).
    pub audiences: Vec<String>,
    /// `client_id`, else `azp`.
    pub client_id: Option<String>,
    /// `scope` and `scp`, split.
    pub scopes: Vec<String>,
    /// `exp`.
    pub expires_at: UnixMillis,
    /// `iat`, when present.
    pub issued_at: Option<UnixMillis>,
    /// Every claim.
    pub claims: Map<String, Value>,
}

/// The JWT validator: cheap to clone, holding the key caches of every issuer it has seen.
#[derive(Clone, Debug)]
pub struct JwtValidator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: Source,
    /// Key caches by discovery URL. Bounded: an evicted issuer is discovered again.
    issuers: moka::future::Cache<String, Arc<IssuerKeys>>,
}

/// Discovery URLs whose keys are cached at most.
const MAX_ISSUERS: u64 = 4096;

impl JwtValidator {
    /// A validator fetching discovery documents and JWKS through `client` (whose address policy
    /// decides which IdPs are reachable) and reading time from `clock`.
    pub fn new(client: OutboundClient, clock: Arc<dyn Clock>, settings: ValidatorSettings) -> Self {
        let issuers = moka::future::Cache::builder().max_capacity(MAX_ISSUERS).build();
        Self { inner: Arc::new(Inner { source: Source { client, clock, settings }, issuers }) }
    }

    /// Validates `token` (a compact JWS, without `Bearer `) against `policy`.
    pub async fn validate(&self, token: &str, policy: &AuthorizerPolicy) -> Result<ValidatedToken, JwtError> {
        let outcome = self.check(token, policy).await;
        if let Err(error) = &outcome {
            tracing::debug!(discovery_url = %policy.discovery_url, reason = error.reason(), "token refused");
        }
        outcome
    }

    async fn check(&self, token: &str, policy: &AuthorizerPolicy) -> Result<ValidatedToken, JwtError> {
        let source = &self.inner.source;
        let header = header::inspect(token, source.settings.max_token_bytes)?;
        let issuer = self
            .inner
            .issuers
            .get_with_by_ref(&policy.discovery_url, async { Arc::new(IssuerKeys::new(&policy.discovery_url)) })
            .await;
        let mut set = issuer.keys(source).await?;
        let mut candidates = select(&set, &header)?;
        if candidates.is_empty() {
            let Some(kid) = header.kid.as_deref() else {
                return Err(JwtError::UnknownKid);
            };
            set = issuer.refetch_for(source, kid, &set).await?;
            candidates = select(&set, &header)?;
            if candidates.is_empty() {
                issuer.remember_unknown(kid, source.now()).await;
                return Err(JwtError::UnknownKid);
            }
        }
        let claims = verify(token, &candidates, header.alg)?;
        claims::check(claims, &set.issuer, policy, source.now(), millis(source.settings.leeway))
    }
}

/// Keys tried for one token at most: each costs a signature check, so a bad token without a
/// `kid` must not cost one per key of a large JWKS.
const MAX_CANDIDATES: usize = 4;

/// The keys that may verify the token: those with its `kid` (any key, when it names none)
/// that accept its `alg`. Keys with the `kid` but for another algorithm are an error.
fn select(set: &KeySet, header: &Header) -> Result<Vec<Arc<VerifyingKey>>, JwtError> {
    let named: Vec<&Arc<VerifyingKey>> = match &header.kid {
        Some(kid) => set.keys.iter().filter(|key| key.kid.as_deref() == Some(kid.as_str())).collect(),
        None => set.keys.iter().collect(),
    };
    let accepting: Vec<Arc<VerifyingKey>> =
        named.iter().filter(|key| key.accepts(header.alg)).take(MAX_CANDIDATES).map(|key| Arc::clone(key)).collect();
    if accepting.is_empty() && !named.is_empty() {
        return Err(JwtError::AlgNotAllowed);
    }
    Ok(accepting)
}

/// Verifies the signature with jsonwebtoken, pinned to the one algorithm the header names
/// (which every candidate accepts), and returns the claims. Time and audience checks are
/// ours, against the injected clock.
fn verify(token: &str, candidates: &[Arc<VerifyingKey>], alg: Algorithm) -> Result<Map<String, Value>, JwtError> {
    debug_assert!(header::ALLOWED.contains(&alg));
    let mut validation = Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    validation.leeway = 0;
    for key in candidates {
        match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
            Ok(data) => return Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => continue,
            Err(e) => return Err(map_error(e.kind())),
        }
    }
    Err(JwtError::BadSignature)
}

fn map_error(kind: &ErrorKind) -> JwtError {
    match kind {
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::MissingAlgorithm => {
            JwtError::AlgNotAllowed
        }
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            JwtError::Malformed("the claims are not a base64url JSON object")
        }
        // Key and crypto failures, and anything jsonwebtoken may add: the signature did not
        // verify, which is all a caller needs to know.
        _ => JwtError::BadSignature,
    }
}

#[cfg(test)]
mod tests;
