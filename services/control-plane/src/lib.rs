//! The control plane: the admin gRPC API, the only writer of workload identities, credential
//! providers, JWT authorizers and access keys. [`run`] serves it on a bound listener until
//! `shutdown` resolves; `main.rs` only parses settings and calls it, and tests do the same.

pub mod admin_jwt;
mod auth;
pub mod config;
mod convert;
mod disconnect;
mod discovery;
mod error;
mod services;

use std::{future::Future, path::Path, sync::Arc};

use identity_authn::{JwtValidator, ValidatorSettings};
use identity_crypto::{random_token, sha256_hex};
use identity_domain::{AccountId, Arns};
use identity_outbound::{AddressPolicy, Limits, OutboundClient};
use identity_proto::v1::{
    access_key_service_server::AccessKeyServiceServer, audit_service_server::AuditServiceServer,
    credential_provider_service_server::CredentialProviderServiceServer,
    jwt_authorizer_service_server::JwtAuthorizerServiceServer, token_vault_service_server::TokenVaultServiceServer,
    workload_identity_service_server::WorkloadIdentityServiceServer,
};
use identity_server::{AuthLayer, SystemClock, config::ConfigError};
use identity_store::{AuditContext, Backend, Store};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

pub use config::{Config, ServeArgs};

use crate::{
    admin_jwt::AdminJwt,
    auth::AdminAuthenticator,
    discovery::Discovery,
    services::{AccessKeys, Audit, Authorizers, Context, Providers, TokenVault, Workloads},
};

/// The services this binary serves (and lists through reflection).
pub const SERVICES: [&str; 6] = [
    "agentcore.identity.v1.WorkloadIdentityService",
    "agentcore.identity.v1.CredentialProviderService",
    "agentcore.identity.v1.JwtAuthorizerService",
    "agentcore.identity.v1.AccessKeyService",
    "agentcore.identity.v1.AuditService",
    "agentcore.identity.v1.TokenVaultService",
];

/// How often readiness checks the database.
const READINESS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Why the control plane stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad configuration, found at start-up.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database refused to migrate.
    #[error("database: {0}")]
    Store(#[from] identity_store::StoreError),
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Serve(#[from] tonic::transport::Error),
    /// Reflection could not be built from the descriptor set.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Opens the store and applies pending migrations (`identity-control-plane migrate`).
pub async fn migrate(config: &identity_server::config::StorageConfig) -> Result<(), RunError> {
    let store = config.open(Arc::new(SystemClock), Default::default()).await?;
    store.migrate().await?;
    store.close().await;
    Ok(())
}

/// Stores a new admin token for `account` and returns it (`identity-control-plane create-admin-token`).
pub async fn create_admin_token(
    config: &identity_server::config::StorageConfig,
    account: &AccountId,
    name: &str,
) -> Result<String, RunError> {
    let store = config.open(Arc::new(SystemClock), Default::default()).await?;
    store.migrate().await?;
    let token = random_token(32).map_err(|e| ConfigError(e.to_string()))?;
    store
        .acting_as(AuditContext::system("create-admin-token", Arns::new(config.region.clone())))
        .create_admin_token(account, name, &sha256_hex(token.as_bytes()))
        .await?;
    store.close().await;
    Ok(token)
}

/// The bootstrap token's hash: configured, or (embedded mode) read from or generated into
/// `DATA_DIR/admin-token`.
fn bootstrap_hash(config: &Config) -> Result<Option<String>, RunError> {
    if let Some(token) = &config.bootstrap_admin_token {
        return Ok(Some(sha256_hex(token.expose().as_bytes())));
    }
    if config.storage.backend != Backend::Sqlite {
        tracing::warn!(
            "no IDENTITY_BOOTSTRAP_ADMIN_TOKEN: only admin tokens from `identity-control-plane create-admin-token` are accepted"
        );
        return Ok(None);
    }
    let path = config.storage.data_dir.join("admin-token");
    let token = identity_crypto::load_or_create_secret_file(&path, || random_token(32))
        .map_err(|e| ConfigError(e.to_string()))?;
    tracing::warn!(path = %Path::new(&path).display(), "embedded mode: the admin token for the default account is in this file");
    Ok(Some(sha256_hex(token.trim().as_bytes())))
}

/// Serves the control plane on `listener` until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let store: Store = config.storage.open(Arc::new(SystemClock), config.quotas).await?;
    store.migrate().await?;
    let bootstrap = bootstrap_hash(&config)?;

    let outbound = OutboundClient::new(AddressPolicy::new(config.outbound_allowed_networks.clone()), Limits::default())
        .map_err(|e| ConfigError(e.to_string()))?;
    let arns = Arns::new(config.storage.region.clone());
    // Admin JWTs' discovery documents and JWKS go through the same outbound policy.
    let admin_jwt = config.admin_jwt.clone().map(|settings| {
        let validator = JwtValidator::new(outbound.clone(), Arc::new(SystemClock), ValidatorSettings::default());
        AdminJwt::new(settings, validator)
    });
    // DeleteUserTokens deletes cached grants from the data planes' Redis, when they share one.
    // Connected on first use: a Redis outage never keeps the control plane from starting (the
    // data planes' grant generation drops what could not be deleted).
    let redis = match &config.redis_url {
        Some(url) => Some(
            identity_cache::RedisCache::connect_lazy(url, &config.redis_key_prefix)
                .map_err(|e| ConfigError(format!("REDIS_URL: {e}")))?,
        ),
        None => None,
    };
    let disconnect = disconnect::Disconnect::new(outbound.clone(), redis);
    let discovery = Discovery::new(store.acting_as(AuditContext::system("discovery", arns.clone())), outbound);
    let resumed = discovery.resume().await?;
    if resumed > 0 {
        tracing::info!(resumed, "resumed unfinished provider discoveries");
    }

    let ctx = Arc::new(Context {
        store: store.clone(),
        arns,
        public_base_url: config.public_base_url.clone(),
        discovery,
        disconnect,
    });
    let (health_reporter, health) = tonic_health::server::health_reporter();
    for service in SERVICES {
        health_reporter.set_service_status(service, tonic_health::ServingStatus::Serving).await;
    }
    // On the signal: not ready first, then stop accepting, then a bounded drain.
    let shutdown =
        identity_server::Shutdown::start(shutdown, health_reporter.clone(), &SERVICES, config.shutdown_delay);
    // Readiness follows the database: the control plane is useless without it.
    let probe = store.clone();
    shutdown.watch_readiness(health_reporter, &SERVICES, READINESS_INTERVAL, move || {
        let probe = probe.clone();
        async move { probe.ping().await.is_ok() }
    });
    let (reflection, reflection_v1alpha) = identity_server::reflection(&SERVICES)?;
    let authenticator = Arc::new(AdminAuthenticator::new(store.clone(), bootstrap, admin_jwt));

    tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), backend = config.storage.backend.name(), "control plane listening");
    let hardening = &config.hardening;
    let server = tonic::transport::Server::builder()
        // Tracing and metrics outermost: shed and unauthenticated calls are traced and counted too.
        .layer(identity_server::ObserveLayer)
        // Load shedding outside authentication: an excess request costs no credential check.
        .layer(hardening.admission())
        // Authentication wraps every service: a principal is in the extensions before any handler
        // runs, and health and reflection pass through unauthenticated.
        .layer(AuthLayer::new(authenticator))
        // The request timeout inside authentication: it bounds the handler's work.
        .layer(hardening.deadline())
        .add_service(health)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(hardening.limit(WorkloadIdentityServiceServer::new(Workloads(ctx.clone()))))
        .add_service(hardening.limit(CredentialProviderServiceServer::new(Providers(ctx.clone()))))
        .add_service(hardening.limit(JwtAuthorizerServiceServer::new(Authorizers(ctx.clone()))))
        .add_service(hardening.limit(AccessKeyServiceServer::new(AccessKeys(ctx.clone()))))
        .add_service(hardening.limit(AuditServiceServer::new(Audit(ctx.clone()))))
        .add_service(hardening.limit(TokenVaultServiceServer::new(TokenVault(ctx))))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown.stopped());
    let metrics = serve_metrics(config.metrics_listen, shutdown.stopped()).await?;
    if let Some(served) = shutdown.bounded(server, config.shutdown_timeout).await {
        served?;
    }
    metrics.abort();
    store.close().await;
    tracing::info!("control plane stopped");
    Ok(())
}

/// Serves `/metrics` on `address` (CONTROL_PLANE_METRICS_LISTEN), if set, until `stopped`.
async fn serve_metrics(
    address: Option<std::net::SocketAddr>,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> Result<tokio::task::JoinHandle<()>, RunError> {
    let Some(address) = address else { return Ok(tokio::spawn(async {})) };
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| ConfigError(format!("cannot listen on {address} (CONTROL_PLANE_METRICS_LISTEN): {e}")))?;
    tracing::info!(%address, "serving metrics");
    Ok(tokio::spawn(async move {
        let served = axum::serve(listener, identity_server::metrics_router()).with_graceful_shutdown(stopped).await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "metrics listener failed");
        }
    }))
}
