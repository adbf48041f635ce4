//! The data plane: credential vending over gRPC (`IdentityDataService`), plus an HTTP listener
//! for the OAuth2 authorize and callback endpoints, the JWKS and health. It reads the store the
//! control plane writes and never migrates it.
//!
//! It vends workload access tokens (for a workload, a user id, or a user token validated by the
//! workload's JWT or custom authorizers), API keys, M2M tokens and users' tokens (the service-hosted and
//! app-hosted 3-legged flows, with refresh) and, for a WAT minted from a user JWT, downstream tokens
//! by RFC 8693 token exchange.

mod app_hosted;
mod audit;
mod auth;
mod cache_metrics;
pub mod config;
mod custom;
mod error;
mod exchange;
mod federation;
mod generations;
mod http;
mod jwt;
mod m2m;
mod rate_limit;
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
    // The in-process cache is kept apart too when it is the cache: only this process can drop
    // entries from it (see generations.rs).
    let (cache, local): (Arc<dyn Cache>, Option<MemoryCache>) = match &config.redis_url {
        Some(url) => (
            Arc::new(
                RedisCache::connect(url, &config.redis_key_prefix)
                    .await
                    .map_err(|e| ConfigError(format!("REDIS_URL: {e}")))?,
            ),
            None,
        ),
        None => {
            let memory = MemoryCache::new(100_000);
            (Arc::new(memory.clone()), Some(memory))
        }
    };
    // Control-plane changes reach the caches through the accounts' generations: known before
    // the first request, then polled.
    let generations = Arc::new(generations::Generations::default());
    generations.poll(&store).await?;
    let poller = generations.clone().spawn(store.clone(), local);
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
        cache: cache_metrics::counted(cache),
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
        live_workloads: moka::future::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(vend::WORKLOAD_CACHE_TTL)
            .build(),
        generations: generations.clone(),
        refresh_gates: moka::future::Cache::builder()
            .max_capacity(100_000)
            .time_to_idle(std::time::Duration::from_secs(60))
            .build(),
        refresh_margin: config.token_refresh_margin,
        // Custom authorizers' endpoints too.
        custom: custom::CustomAuthorizers::new(outbound.clone()),
        tokens: identity_oauth::TokenClient::new(outbound),
        clock,
    });
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
    // Every vend, refusal and refresh goes to the audit log through this queue.
    let audit = audit::AuditLog::start(store.clone(), config.audit);
    // Refusals made in front of the service (throttled, a wrong secret for a known key) too.
    let edge_audit = Arc::new(audit::EdgeAudit::new(audit.clone(), ctx.clock.clone()));
    let authenticator = Arc::new(AccessKeyAuthenticator::new(store.clone(), generations, edge_audit.clone()));
    let rate_limit = rate_limit::RateLimitLayer::new(
        Arc::new(rate_limit::RateLimiter::new(config.rate_limit_per_second, ctx.cache.clone(), ctx.clock.clone())),
        edge_audit.clone(),
    );
    let grpc = tonic::transport::Server::builder()
        // Tracing and metrics outermost: shed, unauthenticated and throttled calls are traced
        // and counted too.
        .layer(identity_server::ObserveLayer)
        // Load shedding outside authentication: an excess request costs no credential check.
        .layer(config.hardening.admission())
        // Callers are authenticated (access key) before any handler runs; health and
        // reflection pass through.
        .layer(AuthLayer::new(authenticator))
        // The per-account rate limit needs the authenticated account, and is decided before
        // any work is done for the call.
        .layer(rate_limit)
        // The request timeout inside authentication: it bounds the handler's work.
        .layer(config.hardening.deadline())
        .add_service(health)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(
            config
                .hardening
                .limit(IdentityDataServiceServer::new(audit::Audited::new(IdentityData(ctx.clone()), audit.clone()))),
        )
        .serve_with_incoming_shutdown(TcpListenerStream::new(listeners.grpc), shutdown.stopped());
    let http = axum::serve(listeners.http, config.hardening.http(http::router(ctx, shutdown.clone(), edge_audit)))
        .with_graceful_shutdown(shutdown.stopped());
    let served = shutdown.bounded(async { tokio::join!(grpc, http) }, config.shutdown_timeout).await;
    // The audit events of the calls served are written before the process exits.
    audit.close(config.shutdown_timeout).await;
    poller.abort();
    store.close().await;
    if let Some((grpc, http)) = served {
        grpc?;
        http?;
    }
    tracing::info!("data plane stopped");
    Ok(())
}
