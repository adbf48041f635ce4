//! The HTTP listener: liveness, readiness and the JWKS of workload access tokens; the OAuth2
//! endpoints and metrics join it later.

use std::sync::Arc;

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};

use identity_server::Shutdown;

use crate::vend::DataContext;

/// State of the HTTP handlers.
#[derive(Clone)]
struct HttpState {
    ctx: Arc<DataContext>,
    shutdown: Shutdown,
}

/// Routes of the HTTP listener.
pub fn router(ctx: Arc<DataContext>, shutdown: Shutdown) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/.well-known/jwks.json", get(jwks))
        .with_state(HttpState { ctx, shutdown })
}

/// Ready when the database answers and no shutdown is under way.
async fn ready(State(state): State<HttpState>) -> (StatusCode, &'static str) {
    if state.shutdown.draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match state.ctx.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// The public keys that verify live workload access tokens.
async fn jwks(State(state): State<HttpState>) -> axum::response::Response {
    match state.ctx.wat.jwks().await {
        Ok(keys) => ([(axum::http::header::CACHE_CONTROL, "public, max-age=300")], Json(keys)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot list signing keys");
            (StatusCode::SERVICE_UNAVAILABLE, "signing keys unavailable").into_response()
        }
    }
}
