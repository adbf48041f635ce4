//! The HTTP listener: health and readiness for now; the OAuth2 endpoints, JWKS and metrics join
//! it with the vending issue.

use axum::{Router, extract::State, http::StatusCode, routing::get};
use identity_store::Store;

/// Routes of the HTTP listener.
pub fn router(store: Store) -> Router {
    Router::new().route("/healthz", get(|| async { "ok" })).route("/readyz", get(ready)).with_state(store)
}

/// Ready when the database answers.
async fn ready(State(store): State<Store>) -> (StatusCode, &'static str) {
    match store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
