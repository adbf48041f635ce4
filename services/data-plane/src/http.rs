//! The HTTP listener: liveness, readiness, the JWKS of workload access tokens, the OAuth2
//! authorize and callback endpoints, and Prometheus metrics (`/metrics`).

use std::sync::Arc;

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};

use identity_server::Shutdown;

use crate::{audit::EdgeAudit, federation::Callback, vend::DataContext};

/// State of the HTTP handlers.
#[derive(Clone)]
struct HttpState {
    ctx: Arc<DataContext>,
    shutdown: Shutdown,
    audit: Arc<EdgeAudit>,
}

/// Routes of the HTTP listener; the OAuth2 callbacks are recorded in `audit`.
pub fn router(ctx: Arc<DataContext>, shutdown: Shutdown, audit: Arc<EdgeAudit>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/identities/oauth2/authorize", get(authorize))
        .route("/identities/oauth2/callback/{provider_id}", get(callback))
        .merge(identity_server::metrics_router())
        // A span and a count per request, on the matched routes only (their patterns are the labels).
        .route_layer(axum::middleware::from_fn(identity_server::observe::trace_http))
        .with_state(HttpState { ctx, shutdown, audit })
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

/// Query of the authorize endpoint.
#[derive(serde::Deserialize)]
struct AuthorizeQuery {
    request_uri: String,
}

/// Sends the browser to the provider (single-use: a second visit is refused).
async fn authorize(
    State(state): State<HttpState>,
    axum::extract::Query(query): axum::extract::Query<AuthorizeQuery>,
) -> axum::response::Response {
    match state.ctx.authorize_redirect(&query.request_uri).await {
        Ok(url) => axum::response::Redirect::to(&url).into_response(),
        Err(why) => (StatusCode::BAD_REQUEST, format!("cannot start authorization: {why}")).into_response(),
    }
}

/// Query of the provider's callback (RFC 6749 §4.1.2).
#[derive(serde::Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// Exchanges the code and returns the browser to the app. The work runs in a task of its own, so
/// that a request dropped half-way (timeout, shutdown, a browser gone) cannot use up the state
/// and leave no audit event.
async fn callback(
    State(state): State<HttpState>,
    axum::extract::Path(provider_id): axum::extract::Path<String>,
    axum::extract::Query(query): axum::extract::Query<CallbackQuery>,
) -> axum::response::Response {
    // States this service hands out are URL-safe base64; anything else (the app-hosted flow's
    // domain-separated hash input, say) is not one of ours.
    let ours = |s: &String| {
        !s.is_empty() && s.len() <= 512 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let Some(flow_state) = query.state.filter(ours) else {
        return (StatusCode::BAD_REQUEST, "the provider's answer has no valid state").into_response();
    };
    let HttpState { ctx, audit, .. } = state;
    let work = async move {
        let callback = ctx.callback(&provider_id, &flow_state, query.code.as_deref(), query.error.as_deref()).await;
        if let Ok(callback) = &callback {
            audit.callback(callback);
        }
        callback
    };
    match tokio::spawn(tracing::Instrument::in_current_span(work)).await {
        Ok(Ok(Callback { return_url: Ok(url), .. })) => axum::response::Redirect::to(&url).into_response(),
        Ok(Ok(Callback { return_url: Err(why), .. }) | Err(why)) => {
            tracing::info!(reason = %why, "OAuth2 callback refused");
            (StatusCode::BAD_REQUEST, format!("cannot complete authorization: {why}")).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "OAuth2 callback task failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot complete authorization").into_response()
        }
    }
}
