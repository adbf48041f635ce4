//! Who may call the control plane: holders of an admin token, either the configured bootstrap
//! token (default account) or a token stored (hashed) in the database for some account, and,
//! when configured, holders of a JWT from the operators' IdP ([`crate::admin_jwt`]).

use std::sync::Arc;

use futures::future::BoxFuture;
use identity_crypto::sha256_hex;
use identity_domain::AccountId;
use identity_server::{AuthError, Authenticator};
use identity_store::Store;
use tonic::Request;

use crate::{admin_jwt::AdminJwt, error::ServiceError};

/// An authenticated admin: everything it sees and changes belongs to `account`.
#[derive(Clone, Debug)]
pub struct AdminPrincipal {
    /// The account the principal administers.
    pub account: AccountId,
    /// Who it is, as audit records name it: `admin:bootstrap`, `admin:<token name>`, or
    /// `jwt:<sub>` for an admin JWT.
    pub name: String,
}

/// The principal the authentication layer attached to a request: the first step of every handler.
pub fn admin<T>(request: &Request<T>) -> Result<AdminPrincipal, ServiceError> {
    let principal = request.extensions().get::<AdminPrincipal>().cloned().ok_or(ServiceError::Unauthenticated)?;
    identity_telemetry::request::record_account(principal.account.as_str());
    Ok(principal)
}

/// Checks admin tokens against the bootstrap token and the database, and admin JWTs.
#[derive(Debug)]
pub struct AdminAuthenticator {
    bootstrap_hash: Option<String>,
    store: Store,
    jwt: Option<Arc<AdminJwt>>,
}

impl AdminAuthenticator {
    /// Accepts tokens stored in `store`, `bootstrap_hash` (SHA-256 of the bootstrap token) and,
    /// with `jwt`, admin JWTs.
    pub fn new(store: Store, bootstrap_hash: Option<String>, jwt: Option<AdminJwt>) -> Self {
        Self { bootstrap_hash, store, jwt: jwt.map(Arc::new) }
    }
}

impl Authenticator for AdminAuthenticator {
    type Principal = AdminPrincipal;

    fn authenticate(&self, token: String, _path: &str) -> BoxFuture<'static, Result<AdminPrincipal, AuthError>> {
        let hash = sha256_hex(token.as_bytes());
        if self.bootstrap_hash.as_deref() == Some(hash.as_str()) {
            return Box::pin(async {
                Ok(AdminPrincipal { account: AccountId::default_account(), name: "admin:bootstrap".to_owned() })
            });
        }
        // Stored admin tokens are base64url, without dots: a three-part token is a JWT, when
        // those are accepted.
        if let Some(jwt) = self.jwt.clone().filter(|_| AdminJwt::looks_like_jwt(&token)) {
            return Box::pin(async move {
                let (account, name) = jwt.authenticate(&token).await?;
                Ok(AdminPrincipal { account, name })
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
