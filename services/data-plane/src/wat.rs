//! Workload access tokens (WATs): short-lived ES256 JWTs that bind an account, a workload
//! identity and, where given, a user. Each account signs with its own key, rotated on a period
//! and published (with the keys still able to verify live tokens) at `/.well-known/jwks.json`.

use std::{collections::HashMap, sync::Arc, time::Duration};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_domain::{AccountId, Clock, WorkloadIdentity};
use identity_store::{NewSigningKey, SigningKeyRecord, Store, StoreError};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use moka::future::Cache;
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _},
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// `aud` of every WAT: only this service accepts them.
pub const WAT_AUDIENCE: &str = "agentcore-identity:workload";
/// Largest WAT accepted before parsing: room for a sealed user JWT of the validator's largest
/// size (16 KiB), base64 twice over.
pub(crate) const MAX_TOKEN_BYTES: usize = 32 * 1024;
/// Clock skew tolerated between replicas.
const LEEWAY_SECS: i64 = 5;

/// What a WAT asserts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatClaims {
    /// This service's public base URL.
    pub iss: String,
    /// Workload identity name.
    pub sub: String,
    /// [`WAT_AUDIENCE`].
    pub aud: String,
    /// Account id.
    pub acct: String,
    /// Workload identity id (a re-created identity of the same name is another workload).
    pub wid: String,
    /// User the workload acts for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The user's JWT this WAT was minted from, sealed with the account's data key (base64url),
    /// for token exchange; never in clear. See `exchange.rs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stk: Option<String>,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expires at (seconds).
    pub exp: i64,
    /// Token id.
    pub jti: String,
}

/// Why a WAT was refused (the reason is shown; the token never is).
#[derive(Debug, thiserror::Error)]
pub enum WatError {
    /// Not a token this service issued, or tampered with, or expired.
    #[error("workload access token {0}")]
    Invalid(&'static str),
    /// The store failed while looking up keys.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Key material could not be generated or used.
    #[error("signing key: {0}")]
    Key(String),
}

struct CurrentKey {
    kid: String,
    created_at: i64,
    encoding: EncodingKey,
}

/// Mints and verifies WATs.
pub struct WatIssuer {
    store: Store,
    clock: Arc<dyn Clock>,
    issuer: String,
    ttl: Duration,
    rotation: Duration,
    current: RwLock<HashMap<AccountId, Arc<CurrentKey>>>,
    /// Public keys by kid; `None` remembers an unknown kid for a moment.
    public: Cache<String, Option<Arc<(AccountId, DecodingKey)>>>,
    /// Claims of WATs whose signature verified, by the token's SHA-256, for
    /// [`VERIFIED_CACHE_TTL`]: a signature check costs far more than the rest of a cached vend.
    /// Expiry is still checked on every use.
    verified: Cache<[u8; 32], Arc<WatClaims>>,
}

/// How long a verified WAT's claims are remembered.
const VERIFIED_CACHE_TTL: Duration = Duration::from_secs(60);
/// Bytes of tokens whose claims are remembered (a WAT carrying a sealed user token is large).
const VERIFIED_CACHE_BYTES: u64 = 64 * 1024 * 1024;

impl std::fmt::Debug for WatIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatIssuer").field("issuer", &self.issuer).field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

fn key_error(e: impl std::fmt::Display) -> WatError {
    WatError::Key(e.to_string())
}

impl WatIssuer {
    /// WATs valid for `ttl`, signed with per-account keys rotated every `rotation`.
    pub fn new(store: Store, clock: Arc<dyn Clock>, issuer: String, ttl: Duration, rotation: Duration) -> Self {
        Self {
            store,
            clock,
            issuer,
            ttl,
            rotation,
            current: RwLock::new(HashMap::new()),
            public: Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(60)).build(),
            verified: Cache::builder()
                .weigher(|_, claims: &Arc<WatClaims>| {
                    let sealed = claims.stk.as_ref().map_or(0, String::len);
                    u32::try_from(256 + sealed).unwrap_or(u32::MAX)
                })
                .max_capacity(VERIFIED_CACHE_BYTES)
                .time_to_live(VERIFIED_CACHE_TTL)
                .build(),
        }
    }

    /// Lifetime of the WATs minted.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The account's current signing key, rotating it when older than the period.
    async fn signing_key(&self, account: &AccountId) -> Result<Arc<CurrentKey>, WatError> {
        let now = self.clock.now_millis();
        let fresh_since = now - self.rotation.as_millis() as i64;
        if let Some(key) = self.current.read().await.get(account).filter(|k| k.created_at >= fresh_since) {
            return Ok(key.clone());
        }
        let mut current = self.current.write().await;
        if let Some(key) = current.get(account).filter(|k| k.created_at >= fresh_since) {
            return Ok(key.clone());
        }
        let material = match self.store.latest_signing_key(account).await? {
            Some(latest) if latest.record.created_at >= fresh_since => latest,
            _ => {
                let rng = SystemRandom::new();
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(key_error)?;
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                    .map_err(key_error)?;
                let point = pair.public_key().as_ref();
                let (x, y) = (URL_SAFE_NO_PAD.encode(&point[1..33]), URL_SAFE_NO_PAD.encode(&point[33..65]));
                let kid = identity_crypto::random_token(12).map_err(key_error)?;
                let new = NewSigningKey { kid: &kid, pkcs8: pkcs8.as_ref(), public_x: &x, public_y: &y };
                // Another replica may have rotated meanwhile; the store hands back its key then.
                self.store.rotate_signing_key(account, fresh_since, new).await?
            }
        };
        let key = Arc::new(CurrentKey {
            kid: material.record.kid.clone(),
            created_at: material.record.created_at,
            encoding: EncodingKey::from_ec_der(&material.pkcs8),
        });
        current.insert(account.clone(), key.clone());
        Ok(key)
    }

    /// Mints a WAT for `workload`, acting for `user` when given. Returns the token and its
    /// expiry (milliseconds since the epoch).
    pub async fn mint(&self, workload: &WorkloadIdentity, user: Option<&str>) -> Result<(String, i64), WatError> {
        self.mint_with_subject(workload, user, None, None).await
    }

    /// [`Self::mint`], carrying `sealed_subject` (the user's sealed JWT) as the `stk` claim, and
    /// expiring no later than `not_after` (ms since the epoch: the user token's own expiry), so a
    /// WAT never outlives the token that vouched for its user.
    pub async fn mint_with_subject(
        &self,
        workload: &WorkloadIdentity,
        user: Option<&str>,
        sealed_subject: Option<String>,
        not_after: Option<i64>,
    ) -> Result<(String, i64), WatError> {
        crate::audit::note_workload(&workload.spec.name, user);
        crate::vend::record_workload(&workload.account, &workload.spec.name, user);
        let key = self.signing_key(&workload.account).await?;
        let now = self.clock.now_millis() / 1000;
        let exp = not_after.map_or(i64::MAX, |ms| ms.div_euclid(1000)).min(now + self.ttl.as_secs() as i64);
        let claims = WatClaims {
            iss: self.issuer.clone(),
            sub: workload.spec.name.clone(),
            aud: WAT_AUDIENCE.to_owned(),
            acct: workload.account.to_string(),
            wid: workload.id.clone(),
            uid: user.map(str::to_owned),
            stk: sealed_subject,
            iat: now,
            exp,
            jti: identity_crypto::random_token(12).map_err(key_error)?,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(key.kid.clone());
        header.typ = Some("wat+jwt".to_owned());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(key_error)?;
        Ok((token, exp * 1000))
    }

    async fn public_key(&self, kid: &str) -> Result<Option<Arc<(AccountId, DecodingKey)>>, WatError> {
        if let Some(known) = self.public.get(kid).await {
            return Ok(known);
        }
        let found = self.store.signing_key(kid).await?.map(|record| {
            let decoding = DecodingKey::from_ec_components(&record.public_x, &record.public_y).map_err(key_error)?;
            Ok::<_, WatError>(Arc::new((record.account, decoding)))
        });
        let found = found.transpose()?;
        self.public.insert(kid.to_owned(), found.clone()).await;
        Ok(found)
    }

    /// Verifies a WAT: size, ES256 signature by a key of ours, issuer, audience, expiry.
    pub async fn verify(&self, token: &str) -> Result<Arc<WatClaims>, WatError> {
        if token.is_empty() {
            return Err(WatError::Invalid("is missing"));
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(WatError::Invalid("is too large"));
        }
        let digest = identity_crypto::sha256(token.as_bytes());
        let claims = match self.verified.get(&digest).await {
            Some(claims) => claims,
            None => {
                let claims = Arc::new(self.verify_signature(token).await?);
                self.verified.insert(digest, claims.clone()).await;
                claims
            }
        };
        let now = self.clock.now_millis() / 1000;
        if claims.exp + LEEWAY_SECS < now {
            return Err(WatError::Invalid("has expired"));
        }
        if claims.iat - LEEWAY_SECS > now {
            return Err(WatError::Invalid("is issued in the future"));
        }
        Ok(claims)
    }

    /// The claims of `token` once its header, signature, issuer, audience and account check out
    /// (not its times: [`Self::verify`] checks those on every use).
    async fn verify_signature(&self, token: &str) -> Result<WatClaims, WatError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| WatError::Invalid("is malformed"))?;
        if header.alg != Algorithm::ES256 {
            return Err(WatError::Invalid("has an unexpected algorithm"));
        }
        let kid = header.kid.ok_or(WatError::Invalid("names no key"))?;
        let key = self.public_key(&kid).await?.ok_or(WatError::Invalid("is signed by an unknown key"))?;
        let mut validation = Validation::new(Algorithm::ES256);
        // Times are checked by `verify`, on every use, against the injected clock.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        validation.set_audience(&[WAT_AUDIENCE]);
        validation.set_issuer(&[&self.issuer]);
        let claims = jsonwebtoken::decode::<WatClaims>(token, &key.1, &validation)
            .map_err(|_| WatError::Invalid("failed verification"))?
            .claims;
        if claims.acct != key.0.as_str() {
            return Err(WatError::Invalid("names another account than its key"));
        }
        Ok(claims)
    }

    /// The JWKS: every key that may still verify a live WAT.
    pub async fn jwks(&self) -> Result<serde_json::Value, WatError> {
        let since = self.clock.now_millis() - (self.rotation + self.ttl).as_millis() as i64 - LEEWAY_SECS * 1000;
        let keys: Vec<_> = self.store.public_signing_keys(since).await?.into_iter().map(jwk).collect();
        Ok(serde_json::json!({ "keys": keys }))
    }
}

fn jwk(record: SigningKeyRecord) -> serde_json::Value {
    serde_json::json!({
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
        "kid": record.kid,
        "x": record.public_x,
        "y": record.public_y,
    })
}

#[cfg(test)]
mod tests;
