//! Bearer-token authentication as a tower layer. It resolves `authorization: Bearer …` to a typed
//! principal through an [`Authenticator`] and puts the principal in the request extensions, where
//! handlers take it as the first step of authorization. Health and reflection stay open, so that
//! probes and `grpcurl list` need no credentials; they reveal only the public API.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use futures::future::BoxFuture;
use http::{Request, Response};
use tower::{Layer, Service};

use crate::status;

/// Why a caller was not authenticated. The message is shown to the caller: it never echoes the
/// presented credential.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No usable credential was presented, or it is not valid.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Checking the credential failed for a reason of ours (database down).
    #[error("credential check failed: {0}")]
    Unavailable(String),
}

/// Resolves a bearer token to a principal.
pub trait Authenticator: Send + Sync + 'static {
    /// The typed principal handlers receive.
    type Principal: Clone + Send + Sync + 'static;

    /// Checks `token` (the text after `Bearer `), presented for a call to `path`.
    fn authenticate(&self, token: String, path: &str) -> BoxFuture<'static, Result<Self::Principal, AuthError>>;
}

/// The bearer token of a request's `authorization` header.
pub fn bearer_token(headers: &http::HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::Unauthenticated("missing authorization: Bearer <token>"))?;
    let value = value.to_str().map_err(|_| AuthError::Unauthenticated("malformed authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(AuthError::Unauthenticated("authorization must be a Bearer token"))?
        .trim();
    if token.is_empty() || token.len() > 4096 {
        return Err(AuthError::Unauthenticated("malformed bearer token"));
    }
    Ok(token)
}

/// Paths served without authentication.
fn is_open(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.") || path.starts_with("/grpc.reflection.")
}

/// Adds [`AuthService`] around a service.
pub struct AuthLayer<A> {
    authenticator: Arc<A>,
}

impl<A> AuthLayer<A> {
    /// A layer authenticating with `authenticator`.
    pub fn new(authenticator: Arc<A>) -> Self {
        Self { authenticator }
    }
}

impl<A> Clone for AuthLayer<A> {
    fn clone(&self) -> Self {
        Self { authenticator: self.authenticator.clone() }
    }
}

impl<A> std::fmt::Debug for AuthLayer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthLayer")
    }
}

impl<S, A> Layer<S> for AuthLayer<A> {
    type Service = AuthService<S, A>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { inner, authenticator: self.authenticator.clone() }
    }
}

/// Authenticates each request before passing it on; answers `UNAUTHENTICATED` itself otherwise.
pub struct AuthService<S, A> {
    inner: S,
    authenticator: Arc<A>,
}

impl<S: Clone, A> Clone for AuthService<S, A> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), authenticator: self.authenticator.clone() }
    }
}

impl<S, A> std::fmt::Debug for AuthService<S, A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthService")
    }
}

impl<S, A, B, R> Service<Request<B>> for AuthService<S, A>
where
    S: Service<Request<B>, Response = Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    A: Authenticator,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // Call the instance that was polled ready, leaving a fresh clone in its place
        // (https://docs.rs/tower/latest/tower/trait.Service.html#be-careful-when-cloning-inner-services).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if is_open(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        let token = bearer_token(request.headers()).map(str::to_owned);
        let authenticator = self.authenticator.clone();
        Box::pin(async move {
            let outcome = match token {
                Ok(token) => authenticator.authenticate(token, request.uri().path()).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(principal) => {
                    request.extensions_mut().insert(principal);
                    inner.call(request).await
                }
                Err(AuthError::Unauthenticated(why)) => {
                    tracing::debug!(path = request.uri().path(), reason = why, "unauthenticated call refused");
                    Ok(status::unauthenticated(why).into_http())
                }
                Err(AuthError::Unavailable(cause)) => Ok(status::unavailable(&cause).into_http()),
            }
        })
    }
}
