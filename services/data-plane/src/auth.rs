//! Who may call the data plane: holders of an account access key, presented as
//! `authorization: Bearer ACCESS_KEY_ID:SECRET_ACCESS_KEY`. Results are cached for a moment by
//! the hash of the presented credential (the secret itself is never kept), so a hot caller pays
//! no database round trip; a deleted key stops working within that moment.

use std::{sync::Arc, time::Duration};

use futures::future::BoxFuture;
use identity_crypto::sha256_hex;
use identity_domain::AccountId;
use identity_server::{AuthError, Authenticator};
use identity_store::Store;
use moka::future::Cache;

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
    checked: Cache<String, Option<CallerPrincipal>>,
}

impl AccessKeyAuthenticator {
    /// Authenticates against `store`.
    pub fn new(store: Store) -> Self {
        Self { store, checked: Cache::builder().max_capacity(100_000).time_to_live(CREDENTIAL_CACHE_TTL).build() }
    }
}

impl Authenticator for AccessKeyAuthenticator {
    type Principal = CallerPrincipal;

    fn authenticate(&self, token: String) -> BoxFuture<'static, Result<CallerPrincipal, AuthError>> {
        let store = self.store.clone();
        let checked = self.checked.clone();
        Box::pin(async move {
            let Some((id, secret)) = token.split_once(':') else {
                return Err(AuthError::Unauthenticated("expected Bearer ACCESS_KEY_ID:SECRET_ACCESS_KEY"));
            };
            let fingerprint = sha256_hex(token.as_bytes());
            if let Some(known) = checked.get(&fingerprint).await {
                return known.ok_or(AuthError::Unauthenticated("invalid access key"));
            }
            let found = store.find_access_key(id).await.map_err(|e| AuthError::Unavailable(e.to_string()))?;
            let principal =
                found.filter(|(_, hash)| *hash == sha256_hex(secret.as_bytes())).map(|(key, _)| CallerPrincipal {
                    account: key.account,
                    access_key_id: key.access_key_id,
                    allowed_workloads: key.allowed_workload_names.into(),
                });
            checked.insert(fingerprint, principal.clone()).await;
            principal.ok_or(AuthError::Unauthenticated("invalid access key"))
        })
    }
}
