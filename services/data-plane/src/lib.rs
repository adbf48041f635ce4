//! The data plane: credential vending over gRPC (`IdentityDataService`), plus an HTTP listener
//! for the OAuth2 authorize and callback endpoints, the JWKS and health. It reads the store the
//! control plane writes and never migrates it.
//!
//! It vends workload access tokens (for a workload, a user id, or a user JWT validated by the
//! account's JWT authorizers), API keys, M2M tokens and users' tokens (the service-hosted and
//! app-hosted 3-legged flows, with refresh); token exchange answers `UNIMPLEMENTED` until it lands.

mod app_hosted;
mod auth;
pub mod config;
mod error;
mod federation;
mod http;
mod jwt;
mod m2m;
mod refresh;
mod vend;
mod wat;

use std::future::Future;
use std::sync::Arc;

use identity_cache::{Cache, MemoryCache, RedisCache};
use identity_domain::Arns;
use identity_proto::v1::identity_data_service_server::IdentityDataServiceServer;
use identity_server::{AuthLayer, Shutdown, SystemClock, config::ConfigError};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

pub use config::{Config, ServeArgs};

use crate::{
    auth::AccessKeyAuthenticator,
    vend::{DataContext, IdentityData},
    wat::WatIssuer,
};

/// The services this binary lists through reflection.
pub const SERVICES: [&str; 1] = ["agentcore.identity.v1.IdentityDataService"];

/// Why the data plane stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad configuration, found at start-up.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database is unusable (e.g. not migrated).
    #[error("database: {0}")]
    Store(#[from] identity_store::StoreError),
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Serve(#[from] tonic::transport::Error),
    /// The HTTP server failed.
    #[error("HTTP server: {0}")]
    Http(#[from] std::io::Error),
    /// Reflection could not be built from the descriptor set.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// The two listeners the data plane serves.
#[derive(Debug)]
pub struct Listeners {
    /// gRPC.
    pub grpc: TcpListener,
    /// HTTP.
    pub http: TcpListener,
}

/// Serves the data plane until `shutdown` resolves.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let clock: Arc<dyn identity_domain::Clock> = Arc::new(SystemClock);
    let store = config.storage.open(clock.clone(), Default::default()).await?;
    store.check_migrated().await?;
    let cache: Arc<dyn Cache> = match &config.redis_url {
        Some(url) => Arc::new(
            RedisCache::connect(url, &config.redis_key_prefix)
                .await
                .map_err(|e| ConfigError(format!("REDIS_URL: {e}")))?,
        ),
        None => Arc::new(MemoryCache::new(100_000)),
    };
    let outbound = identity_outbound::OutboundClient::new(
        identity_outbound::AddressPolicy::new(config.outbound_allowed_networks.clone()),
        identity_outbound::Limits::default(),
    )
    .map_err(|e| ConfigError(e.to_string()))?;
    let wat = WatIssuer::new(
        store.clone(),
        clock.clone(),
        config.public_base_url.clone(),
        config.workload_access_token_ttl,
        config.signing_key_rotation,
    );
    let ctx = Arc::new(DataContext {
        store: store.clone(),
        cache,
        wat,
        arns: Arns::new(config.storage.region.clone()),
        // User JWTs' discovery documents and JWKS go through the same outbound policy
        // (OUTBOUND_ALLOWED_NETWORKS) as token requests.
        jwt: identity_authn::JwtValidator::new(
            outbound.clone(),
            clock.clone(),
            identity_authn::ValidatorSettings::default(),
        ),
        public_base_url: config.public_base_url.clone(),
        provider_settings: moka::future::Cache::builder()
            .max_capacity(10_000)
            .time_to_live(vend::PROVIDER_CACHE_TTL)
            .build(),
        refresh_gates: moka::future::Cache::builder()
            .max_capacity(100_000)
            .time_to_idle(std::time::Duration::from_secs(60))
            .build(),
        refresh_margin: config.token_refresh_margin,
        tokens: identity_oauth::TokenClient::new(outbound),
        clock,
    });
    let authenticator = Arc::new(AccessKeyAuthenticator::new(store.clone()));

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter.set_service_status("", tonic_health::ServingStatus::Serving).await;
    for service in SERVICES {
        health_reporter.set_service_status(service, tonic_health::ServingStatus::Serving).await;
    }
    // On the signal: not ready first, then stop accepting, then a bounded drain.
    let shutdown = Shutdown::start(shutdown, health_reporter, &SERVICES, config.shutdown_delay);
    let (reflection, reflection_v1alpha) = identity_server::reflection(&SERVICES)?;

    tracing::info!(
        grpc = %listeners.grpc.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        http = %listeners.http.local_addr().map(|a| a.to_string()).unwrap_or_default(),
        backend = config.storage.backend.name(),
        "data plane listening"
    );
    let grpc = tonic::transport::Server::builder()
        // Callers are authenticated (access key) before any handler runs; health and
        // reflection pass through.
        .layer(AuthLayer::new(authenticator))
        .add_service(health)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(IdentityDataServiceServer::new(IdentityData(ctx.clone())))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listeners.grpc), shutdown.stopped());
    let http =
        axum::serve(listeners.http, http::router(ctx, shutdown.clone())).with_graceful_shutdown(shutdown.stopped());
    if let Some((grpc, http)) = shutdown.bounded(async { tokio::join!(grpc, http) }, config.shutdown_timeout).await {
        grpc?;
        http?;
    }
    store.close().await;
    tracing::info!("data plane stopped");
    Ok(())
}
