//! Who may call the control plane: holders of an admin token, either the configured bootstrap
//! token (default account) or a token stored (hashed) in the database for some account.

use futures::future::BoxFuture;
use identity_crypto::sha256_hex;
use identity_domain::AccountId;
use identity_server::{AuthError, Authenticator};
use identity_store::Store;
use tonic::Request;

use crate::error::ServiceError;

/// An authenticated admin: everything it sees and changes belongs to `account`.
#[derive(Clone, Debug)]
pub struct AdminPrincipal {
    /// The account the principal administers.
    pub account: AccountId,
    /// Who it is, as audit records name it: `admin:bootstrap` or `admin:<token name>`.
    pub name: String,
}

/// The principal the authentication layer attached to a request: the first step of every handler.
pub fn admin<T>(request: &Request<T>) -> Result<AdminPrincipal, ServiceError> {
    request.extensions().get::<AdminPrincipal>().cloned().ok_or(ServiceError::Unauthenticated)
}

/// Checks admin tokens against the bootstrap token and the database.
#[derive(Debug)]
pub struct AdminAuthenticator {
    bootstrap_hash: Option<String>,
    store: Store,
}

impl AdminAuthenticator {
    /// Accepts tokens stored in `store`, and `bootstrap_hash` (SHA-256 of the bootstrap token).
    pub fn new(store: Store, bootstrap_hash: Option<String>) -> Self {
        Self { bootstrap_hash, store }
    }
}

impl Authenticator for AdminAuthenticator {
    type Principal = AdminPrincipal;

    fn authenticate(&self, token: String) -> BoxFuture<'static, Result<AdminPrincipal, AuthError>> {
        let hash = sha256_hex(token.as_bytes());
        if self.bootstrap_hash.as_deref() == Some(hash.as_str()) {
            return Box::pin(async {
                Ok(AdminPrincipal { account: AccountId::default_account(), name: "admin:bootstrap".to_owned() })
            });
        }
        let store = self.store.clone();
        Box::pin(async move {
            match store.admin_token(&hash).await {
                Ok(Some((account, name))) => Ok(AdminPrincipal { account, name: format!("admin:{name}") }),
                Ok(None) => Err(AuthError::Unauthenticated("invalid admin token")),
                Err(e) => Err(AuthError::Unavailable(e.to_string())),
            }
        })
    }
}
