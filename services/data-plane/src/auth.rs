//! Who may call the data plane: holders of an account access key, presented as
//! `authorization: Bearer ACCESS_KEY_ID:SECRET_ACCESS_KEY`. Results are cached for a moment by
//! the hash of the presented credential (the secret itself is never kept), so a hot caller pays
//! no database round trip. A key deleted on the control plane stops working as soon as this
//! replica has polled its account's new config generation (see generations.rs), and within
//! [`CREDENTIAL_CACHE_TTL`] in any case.
//!
//! A wrong secret for an existing key is a refusal in that key's account, and audited there
//! ([`EdgeAudit::bad_secret`], sampled); an unknown key reaches no account and is only logged.

use std::{sync::Arc, time::Duration};

use futures::future::BoxFuture;
use identity_crypto::{sha256, sha256_hex};
use identity_domain::AccountId;
use identity_server::{AuthError, Authenticator};
use identity_store::Store;
use moka::future::Cache;

use crate::{audit::EdgeAudit, generations::Generations};

/// How long a checked credential (valid or not) is remembered.
pub const CREDENTIAL_CACHE_TTL: Duration = Duration::from_secs(2);

/// An authenticated data-plane caller.
#[derive(Clone, Debug)]
pub struct CallerPrincipal {
    /// The account the key belongs to; the caller reaches nothing else.
    pub account: AccountId,
    /// The key's public id (for audit).
    pub access_key_id: String,
    /// Workload identities the key may act for; empty means all of the account's.
    pub allowed_workloads: Arc<[String]>,
}

impl CallerPrincipal {
    /// Whether the key may act for `workload`.
    pub fn may_act_for(&self, workload: &str) -> bool {
        self.allowed_workloads.is_empty() || self.allowed_workloads.iter().any(|w| w == workload)
    }
}

/// Checks access keys against the store, remembering outcomes briefly.
#[derive(Debug)]
pub struct AccessKeyAuthenticator {
    store: Store,
    /// Outcomes by credential hash, with the generation epoch seen before the database was read.
    checked: Cache<[u8; 32], (i64, Option<CallerPrincipal>)>,
    generations: Arc<Generations>,
    audit: Arc<EdgeAudit>,
}

impl AccessKeyAuthenticator {
    /// Authenticates against `store`, recording wrong secrets for known keys in `audit`.
    pub fn new(store: Store, generations: Arc<Generations>, audit: Arc<EdgeAudit>) -> Self {
        Self {
            store,
            checked: Cache::builder().max_capacity(100_000).time_to_live(CREDENTIAL_CACHE_TTL).build(),
            generations,
            audit,
        }
    }
}

impl Authenticator for AccessKeyAuthenticator {
    type Principal = CallerPrincipal;

    fn authenticate(&self, token: String, path: &str) -> BoxFuture<'static, Result<CallerPrincipal, AuthError>> {
        let store = self.store.clone();
        let checked = self.checked.clone();
        let generations = self.generations.clone();
        let audit = self.audit.clone();
        let rpc = crate::audit::rpc_name(path);
        Box::pin(async move {
            let Some((id, secret)) = token.split_once(':') else {
                return Err(AuthError::Unauthenticated("expected Bearer ACCESS_KEY_ID:SECRET_ACCESS_KEY"));
            };
            let fingerprint = sha256(token.as_bytes());
            match checked.get(&fingerprint).await {
                // Valid until its account's config generation rises above what was seen before
                // the key was read (a deleted key, among other changes).
                Some((seen, Some(principal))) if generations.config(&principal.account) <= seen => {
                    return Ok(principal);
                }
                Some((_, None)) => return Err(AuthError::Unauthenticated("invalid access key")),
                _ => {}
            }
            let seen = generations.epoch();
            let found = store.find_access_key(id).await.map_err(|e| AuthError::Unavailable(e.to_string()))?;
            let principal = match found {
                Some((key, hash)) if hash == sha256_hex(secret.as_bytes()) => Some(CallerPrincipal {
                    account: key.account,
                    access_key_id: key.access_key_id,
                    allowed_workloads: key.allowed_workload_names.into(),
                }),
                Some((key, _)) => {
                    audit.bad_secret(&key.account, &key.access_key_id, rpc).await;
                    None
                }
                None => None,
            };
            checked.insert(fingerprint, (seen, principal.clone())).await;
            principal.ok_or(AuthError::Unauthenticated("invalid access key"))
        })
    }
}
