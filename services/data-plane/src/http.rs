//! The HTTP listener: liveness, readiness and the JWKS of workload access tokens; the OAuth2
//! endpoints and metrics join it later.

use std::sync::Arc;

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};

use crate::vend::DataContext;

/// Routes of the HTTP listener.
pub fn router(ctx: Arc<DataContext>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(ctx)
}

/// Ready when the database answers.
async fn ready(State(ctx): State<Arc<DataContext>>) -> (StatusCode, &'static str) {
    match ctx.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// The public keys that verify live workload access tokens.
async fn jwks(State(ctx): State<Arc<DataContext>>) -> axum::response::Response {
    match ctx.wat.jwks().await {
        Ok(keys) => ([(axum::http::header::CACHE_CONTROL, "public, max-age=300")], Json(keys)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot list signing keys");
            (StatusCode::SERVICE_UNAVAILABLE, "signing keys unavailable").into_response()
        }
    }
}
