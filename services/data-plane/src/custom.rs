//! Custom authorizers: an operator's endpoint decides whether a presented token is good.
//!
//! The data plane POSTs `{"token", "accountId", "workloadName", "authorizerName"}` as JSON (with
//! the shared secret in the configured header, when there is one) through the outbound client,
//! so `OUTBOUND_ALLOWED_NETWORKS` applies, and expects HTTP 2xx with `{"allow": true,
//! "claims": {"sub": …}}` or `{"allow": false}`. Everything else fails closed: a deny, no answer
//! within the authorizer's timeout, a refused address, a non-2xx status, a body that is not such
//! JSON or is over the outbound body limit, a missing or unusable `sub`, an `exp` in the past.
//! Each is `InvalidToken` with its own check (see [`CustomError::check`]), except an endpoint out
//! of service (timeout, unreachable, 5xx), which is `IdpUnavailable`, retryable, like a JWT
//! authorizer's unreachable identity provider.
//!
//! Allowed answers are cached in this process for at most [`ANSWER_TTL`] and never past the
//! answer's `exp`, keyed by a SHA-256 over the account, the authorizer (id and last change), the
//! workload and the token: the token itself is never stored, cached or logged. Denials and
//! failures are not cached.

use std::{sync::Arc, time::Duration};

use identity_authn::ValidatedToken;
use identity_domain::{AccountId, JwtAuthorizer, UnixMillis};
use identity_outbound::{OutboundClient, OutboundError};
use serde_json::{Map, Value, json};

/// Longest an allowed answer is reused.
pub const ANSWER_TTL: Duration = Duration::from_secs(30);
/// Longest `sub` accepted from an endpoint, in bytes.
const MAX_SUBJECT_BYTES: usize = 512;

/// Why a custom authorizer did not accept a token. Nothing here holds any part of the token or
/// of the endpoint's body.
#[derive(Debug, thiserror::Error)]
pub enum CustomError {
    /// The endpoint answered deny.
    #[error("the custom authorizer denied the token")]
    Denied,
    /// No answer within the authorizer's timeout.
    #[error("the custom authorizer did not answer within {0} ms")]
    TimedOut(u32),
    /// The outbound policy refuses the endpoint's address.
    #[error("the custom authorizer's endpoint is not an address the data plane may call")]
    Forbidden,
    /// Connecting or reading failed.
    #[error("the custom authorizer's endpoint could not be reached")]
    Unreachable,
    /// A status other than 2xx.
    #[error("the custom authorizer answered HTTP {0}")]
    Status(u16),
    /// The body is larger than the outbound limit.
    #[error("the custom authorizer's answer is too large")]
    TooLarge,
    /// The body is not an answer (`what` says which part is wrong).
    #[error("the custom authorizer's answer is unusable: {0}")]
    BadAnswer(&'static str),
    /// The answer's `exp` has passed.
    #[error("the custom authorizer's answer has expired")]
    Expired,
    /// The authorizer names a secret header but has no stored secret.
    #[error("the custom authorizer is misconfigured (its shared secret is missing)")]
    Misconfigured,
    /// Reading the shared secret failed (not the token's fault).
    #[error(transparent)]
    Store(#[from] identity_store::StoreError),
}

impl CustomError {
    /// The `check` reported in `ErrorInfo.metadata`.
    pub fn check(&self) -> &'static str {
        match self {
            Self::Denied => "custom_denied",
            Self::TimedOut(_) => "custom_timeout",
            Self::Forbidden => "custom_endpoint_forbidden",
            Self::Unreachable => "custom_unreachable",
            Self::Status(_) => "custom_bad_status",
            Self::TooLarge => "custom_response_too_large",
            Self::BadAnswer(_) => "custom_bad_response",
            Self::Expired => "custom_expired",
            Self::Misconfigured => "custom_misconfigured",
            Self::Store(_) => "internal",
        }
    }

    /// Whether the endpoint was out of service (no answer in time, unreachable, HTTP 5xx):
    /// nothing is known about the token, and the caller may retry. Denials, unusable answers
    /// and configuration problems are not.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::TimedOut(_) | Self::Unreachable => true,
            Self::Status(status) => *status >= 500,
            Self::Denied
            | Self::Forbidden
            | Self::TooLarge
            | Self::BadAnswer(_)
            | Self::Expired
            | Self::Misconfigured
            | Self::Store(_) => false,
        }
    }
}

/// An allowed answer, as used and cached.
#[derive(Clone, Debug)]
pub struct Allowed {
    /// `sub` of the answer's claims.
    pub subject: String,
    /// The answer's claims.
    pub claims: Map<String, Value>,
    /// The claims' `exp`, when given.
    pub expires_at: Option<UnixMillis>,
    /// Until when this answer is reused: [`ANSWER_TTL`] after it came, or `exp` if sooner.
    pub reuse_until: UnixMillis,
}

impl Allowed {
    /// The answer as a validated token (for `ValidateToken`): registered claims are read when
    /// the endpoint gave them; without `exp`, the answer is good until it would leave the cache.
    pub fn to_validated(&self) -> ValidatedToken {
        let text = |name: &str| self.claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let list = |value: Option<&Value>| match value {
            Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        ValidatedToken {
            issuer: text("iss").unwrap_or_default(),
            subject: self.subject.clone(),
            audiences: list(self.claims.get("aud")),
            client_id: text("client_id").or_else(|| text("azp")),
            scopes: list(self.claims.get("scope").or_else(|| self.claims.get("scp"))),
            expires_at: self.expires_at.unwrap_or(self.reuse_until),
            issued_at: self.claims.get("iat").and_then(Value::as_i64).map(|s| s.saturating_mul(1000)),
            claims: self.claims.clone(),
        }
    }
}

/// Calls custom authorizers and remembers their allowed answers briefly.
#[derive(Debug)]
pub struct CustomAuthorizers {
    outbound: OutboundClient,
    answers: moka::future::Cache<[u8; 32], Arc<Allowed>>,
}

/// Who is asking, sent to the endpoint with the token.
#[derive(Clone, Copy, Debug)]
pub struct Asker<'a> {
    /// The caller's account.
    pub account: &'a AccountId,
    /// The workload the token is presented for, when there is one.
    pub workload: Option<&'a str>,
}

impl CustomAuthorizers {
    /// Calls go through `outbound` (its address policy and body limit apply).
    pub fn new(outbound: OutboundClient) -> Self {
        Self {
            outbound,
            answers: moka::future::Cache::builder().max_capacity(100_000).time_to_live(ANSWER_TTL).build(),
        }
    }

    /// The cache key: SHA-256 over the account, the authorizer as last changed, the workload and
    /// the token, each length-prefixed so that no two inputs share an encoding.
    fn key(asker: Asker<'_>, authorizer: &JwtAuthorizer, token: &str) -> [u8; 32] {
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        let updated = authorizer.updated_at.to_string();
        for part in [asker.account.as_str(), &authorizer.id, &updated, asker.workload.unwrap_or(""), token] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part.as_bytes());
        }
        let mut key = [0; 32];
        key.copy_from_slice(context.finish().as_ref());
        key
    }

    /// Asks `authorizer` (a custom one: the caller checked) about `token`, or reuses its recent
    /// allowed answer. Its shared secret, when it has one, is read from `store` on a cache miss.
    pub async fn decide(
        &self,
        asker: Asker<'_>,
        authorizer: &JwtAuthorizer,
        store: &identity_store::Store,
        token: &str,
        now: UnixMillis,
    ) -> Result<Arc<Allowed>, CustomError> {
        let config = authorizer.spec.custom.as_ref().ok_or(CustomError::Misconfigured)?;
        let key = Self::key(asker, authorizer, token);
        if let Some(allowed) = self.answers.get(&key).await {
            if allowed.reuse_until > now {
                return Ok(allowed);
            }
            self.answers.invalidate(&key).await;
        }
        let url = url::Url::parse(&config.endpoint_url).map_err(|_| CustomError::Misconfigured)?;
        let secret = match config.secret_header_name.as_str() {
            "" => None,
            _ => store.custom_authorizer_secret(asker.account, &authorizer.spec.name).await?,
        };
        let headers: Vec<(&str, &str)> = match (config.secret_header_name.as_str(), &secret) {
            ("", _) => Vec::new(),
            (name, Some(secret)) => vec![(name, secret.expose())],
            (_, None) => return Err(CustomError::Misconfigured),
        };
        let body = json!({
            "token": token,
            "accountId": asker.account.as_str(),
            "workloadName": asker.workload,
            "authorizerName": authorizer.spec.name,
        });
        let timeout = Duration::from_millis(u64::from(config.timeout_ms));
        let response = self.outbound.post_json(&url, &body, &headers, timeout).await.map_err(|e| match e {
            OutboundError::TimedOut(_) => CustomError::TimedOut(config.timeout_ms),
            OutboundError::Forbidden(_) | OutboundError::Url(_) => CustomError::Forbidden,
            OutboundError::TooLarge(_) => CustomError::TooLarge,
            OutboundError::Transport { .. } | OutboundError::BadResponse(_) => CustomError::Unreachable,
        })?;
        if !(200..300).contains(&response.status) {
            return Err(CustomError::Status(response.status));
        }
        let allowed = Arc::new(read_answer(&response.body, now)?);
        self.answers.insert(key, allowed.clone()).await;
        Ok(allowed)
    }
}

/// Reads an endpoint's 2xx body: `{"allow": true, "claims": {"sub": …}}` or `{"allow": false}`.
fn read_answer(body: &[u8], now: UnixMillis) -> Result<Allowed, CustomError> {
    let Ok(Value::Object(mut answer)) = serde_json::from_slice::<Value>(body) else {
        return Err(CustomError::BadAnswer("not a JSON object"));
    };
    match answer.get("allow") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => return Err(CustomError::Denied),
        _ => return Err(CustomError::BadAnswer("`allow` must be true or false")),
    }
    let Some(Value::Object(claims)) = answer.remove("claims") else {
        return Err(CustomError::BadAnswer("an allow needs a `claims` object"));
    };
    let subject = match claims.get("sub") {
        Some(Value::String(sub))
            if !sub.is_empty() && sub.len() <= MAX_SUBJECT_BYTES && !sub.chars().any(char::is_control) =>
        {
            sub.clone()
        }
        _ => return Err(CustomError::BadAnswer("`claims.sub` must be a non-empty string of at most 512 bytes")),
    };
    let expires_at = match claims.get("exp") {
        None => None,
        Some(exp) => {
            let seconds = exp.as_i64().ok_or(CustomError::BadAnswer("`claims.exp` must be an integer"))?;
            Some(seconds.saturating_mul(1000))
        }
    };
    if expires_at.is_some_and(|exp| exp <= now) {
        return Err(CustomError::Expired);
    }
    let ttl = ANSWER_TTL.as_millis() as i64;
    let reuse_until = expires_at.map_or(now + ttl, |exp| exp.min(now + ttl));
    Ok(Allowed { subject, claims, expires_at, reuse_until })
}

#[cfg(test)]
mod tests;
