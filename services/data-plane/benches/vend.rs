//! The vend-path benchmark of DESIGN "Performance" (`make bench`; not part of `make test`).
//!
//! One load generator (64 requests in flight over 4 HTTP/2 connections, 2 s of warm-up, then
//! `BENCH_SECONDS`, default 10, of measurement) drives, in turn: a trivial tonic server answering
//! `GetApiKeyCredential` with a constant; the real data plane in-process on a prepared SQLite
//! store with the in-process cache; and the same data plane with Redis (`TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`; skipped when unreachable), there once more with the per-account rate
//! limit on (as by default; far above the load) to show what counting each call in Redis costs.
//! Other scenarios run with the limit off. Only cached vends are measured: the first
//! vend of each kind fills the cache before the warm-up. The figures are reported against the
//! targets; falling short does not fail the run (it is a measurement).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{Json, Router, routing::post};
use clap::Parser;
use identity_crypto::{MasterKeyRing, sha256_hex};
use identity_data_plane::{Config, Listeners, ServeArgs, run};
use identity_domain::{
    AccountId, ApiKeyConfig, AuthorizationServerMetadata, NewAccessKey, Oauth2Config, Oauth2Discovery, ProviderConfig,
    ProviderSpec, ProviderStatus, Quotas, SecretString, Vendor, WorkloadAttributes, WorkloadIdentitySpec,
    WorkloadIdentityType,
};
use identity_proto::v1::{
    self as pb,
    identity_data_service_client::IdentityDataServiceClient,
    identity_data_service_server::{IdentityDataService, IdentityDataServiceServer},
};
use identity_server::SystemClock;
use identity_store::{Store, StoreOptions};
use identity_testkit::SqliteDb;
use tokio::{net::TcpListener, sync::oneshot};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{
    Request, Response, Status,
    metadata::MetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

const MASTER_KEYS: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";
const API_KEY: &str = "ghp_benchmark-api-key-0123456789";
const IN_FLIGHT: usize = 64;
const CONNECTIONS: usize = 4;
const WARM_UP: Duration = Duration::from_secs(2);
const P99_TARGET_MS: f64 = 2.0;

// ---------------------------------------------------------------------------------------------
// The trivial server: a constant API key, nothing else.

struct Trivial;

#[tonic::async_trait]
impl IdentityDataService for Trivial {
    async fn get_workload_access_token(
        &self,
        _: Request<pb::GetWorkloadAccessTokenRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn get_workload_access_token_for_jwt(
        &self,
        _: Request<pb::GetWorkloadAccessTokenForJwtRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenForJwtResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn get_workload_access_token_for_user_id(
        &self,
        _: Request<pb::GetWorkloadAccessTokenForUserIdRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenForUserIdResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn get_resource_oauth2_access_token(
        &self,
        _: Request<pb::GetResourceOauth2AccessTokenRequest>,
    ) -> Result<Response<pb::GetResourceOauth2AccessTokenResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn get_api_key_credential(
        &self,
        _: Request<pb::GetApiKeyCredentialRequest>,
    ) -> Result<Response<pb::GetApiKeyCredentialResponse>, Status> {
        Ok(Response::new(pb::GetApiKeyCredentialResponse {
            api_key: API_KEY.to_owned(),
            header_name: "Authorization".to_owned(),
        }))
    }
    async fn complete_resource_token_auth(
        &self,
        _: Request<pb::CompleteResourceTokenAuthRequest>,
    ) -> Result<Response<pb::CompleteResourceTokenAuthResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn get_authorization_url(
        &self,
        _: Request<pb::GetAuthorizationUrlRequest>,
    ) -> Result<Response<pb::GetAuthorizationUrlResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn complete_authorization(
        &self,
        _: Request<pb::CompleteAuthorizationRequest>,
    ) -> Result<Response<pb::CompleteAuthorizationResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn refresh_token(
        &self,
        _: Request<pb::RefreshTokenRequest>,
    ) -> Result<Response<pb::RefreshTokenResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
    async fn validate_token(
        &self,
        _: Request<pb::ValidateTokenRequest>,
    ) -> Result<Response<pb::ValidateTokenResponse>, Status> {
        Err(Status::unimplemented("trivial"))
    }
}

async fn start_trivial() -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(IdentityDataServiceServer::new(Trivial))
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async move { drop(stopped.await) }),
    );
    (addr, stop)
}

// ---------------------------------------------------------------------------------------------
// The real data plane on a prepared store.

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn config(db: &SqliteDb, extra: &[&str]) -> Config {
    let mut argv = vec!["identity-data-plane", "--database-url", &db.url, "--master-keys", MASTER_KEYS];
    argv.extend_from_slice(&["--outbound-allowed-networks", "127.0.0.0/8"]);
    // The benchmark measures the vend path, not the per-account rate limit, unless a scenario
    // turns the limit on to show what counting costs.
    if !extra.contains(&"--rate-limit-per-second") {
        argv.extend_from_slice(&["--rate-limit-per-second", "0"]);
    }
    argv.extend_from_slice(extra);
    Cli::parse_from(argv).serve.resolve().unwrap()
}

struct Plane {
    grpc: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), identity_data_plane::RunError>>,
}

impl Plane {
    async fn start(config: Config) -> Self {
        let listeners = Listeners {
            grpc: TcpListener::bind("127.0.0.1:0").await.unwrap(),
            http: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        };
        let grpc = listeners.grpc.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(config, listeners, async move { drop(stopped.await) }));
        for _ in 0..400 {
            if let Ok(channel) = connect(grpc).await {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let request = tonic_health::pb::HealthCheckRequest { service: String::new() };
                if health.check(request).await.is_ok_and(|r| r.into_inner().status == 1) {
                    return Self { grpc, stop, task };
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the data plane did not become healthy");
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// What the benchmark vends: one account, one workload, an API-key provider, an access key and an
/// M2M OAuth2 provider whose token endpoint is a tiny HTTP server on loopback.
struct Prepared {
    db: SqliteDb,
    access_key: String,
}

async fn prepare() -> Prepared {
    let token_endpoint = token_endpoint().await;
    let db = SqliteDb::create();
    let store = Store::connect(StoreOptions {
        url: db.url.clone(),
        keyring: Arc::new(MasterKeyRing::parse(MASTER_KEYS).unwrap()),
        clock: Arc::new(SystemClock),
        quotas: Quotas::default(),
        max_connections: 2,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let account = AccountId::parse("111111111111").unwrap();
    let workload = WorkloadIdentitySpec {
        name: "bench-agent".to_owned(),
        description: String::new(),
        kind: WorkloadIdentityType::Agent,
        attributes: WorkloadAttributes::default(),
        allowed_return_urls: vec![],
        tags: Default::default(),
        authorizers: vec![],
    };
    store.create_workload_identity(&account, workload).await.unwrap();
    let api_key = ProviderSpec {
        name: "ApiKeyProvider".to_owned(),
        config: ProviderConfig::ApiKey(ApiKeyConfig {
            header_name: "Authorization".to_owned(),
            vendor: "github".to_owned(),
        }),
        secret: SecretString::new(API_KEY.to_owned()),
        tags: Default::default(),
    };
    store.create_credential_provider(&account, api_key, ProviderStatus::Active).await.unwrap();
    let m2m = ProviderSpec {
        name: "M2mProvider".to_owned(),
        config: ProviderConfig::Oauth2(Oauth2Config {
            vendor: Vendor::CustomOauth2,
            client_id: "bench-client".to_owned(),
            discovery: Oauth2Discovery {
                discovery_url: None,
                metadata: Some(AuthorizationServerMetadata {
                    issuer: format!("http://{token_endpoint}"),
                    authorization_endpoint: format!("http://{token_endpoint}/authorize"),
                    token_endpoint: format!("http://{token_endpoint}/token"),
                    ..Default::default()
                }),
            },
            tenant: String::new(),
            default_scopes: vec!["backend:read".to_owned()],
            token_exchange: None,
        }),
        secret: SecretString::new("bench-secret".to_owned()),
        tags: Default::default(),
    };
    store.create_credential_provider(&account, m2m, ProviderStatus::Active).await.unwrap();
    let (id, secret) = ("AKIABENCHBENCHBENCHB", "secret-of-the-benchmark");
    let key = NewAccessKey {
        access_key_id: id.to_owned(),
        secret_hash: sha256_hex(secret.as_bytes()),
        description: String::new(),
        allowed_workload_names: vec![],
    };
    store.create_access_key(&account, key).await.unwrap();
    store.close().await;
    Prepared { db, access_key: format!("{id}:{secret}") }
}

/// A client-credentials token endpoint answering every request with a one-hour token.
async fn token_endpoint() -> SocketAddr {
    async fn token() -> Json<serde_json::Value> {
        Json(serde_json::json!({"access_token": "m2m-bench-token", "token_type": "Bearer", "expires_in": 3600}))
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, Router::new().route("/token", post(token))).await });
    addr
}

// ---------------------------------------------------------------------------------------------
// The load generator, the same for every target.

#[derive(Clone)]
struct Bearer(MetadataValue<tonic::metadata::Ascii>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

type Client = IdentityDataServiceClient<InterceptedService<Channel, Bearer>>;

async fn connect(addr: SocketAddr) -> Result<Channel, tonic::transport::Error> {
    Channel::from_shared(format!("http://{addr}")).unwrap().connect().await
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    ApiKey,
    M2m,
}

async fn call(client: &mut Client, kind: Kind, wat: &str) -> Result<(), Status> {
    match kind {
        Kind::ApiKey => {
            use pb::get_api_key_credential_request::CredentialProvider as P;
            let request = pb::GetApiKeyCredentialRequest {
                workload_identity_token: wat.to_owned(),
                credential_provider: Some(P::ResourceCredentialProviderName("ApiKeyProvider".to_owned())),
            };
            let reply = client.get_api_key_credential(request).await?.into_inner();
            assert_eq!(reply.api_key, API_KEY);
        }
        Kind::M2m => {
            use pb::get_resource_oauth2_access_token_request::CredentialProvider as P;
            let request = pb::GetResourceOauth2AccessTokenRequest {
                workload_identity_token: wat.to_owned(),
                credential_provider: Some(P::ResourceCredentialProviderName("M2mProvider".to_owned())),
                oauth2_flow: pb::Oauth2Flow::M2m as i32,
                ..Default::default()
            };
            let reply = client.get_resource_oauth2_access_token(request).await?.into_inner();
            assert_eq!(reply.access_token, "m2m-bench-token");
        }
    }
    Ok(())
}

struct Figures {
    throughput: f64,
    p50_ms: f64,
    p99_ms: f64,
    requests: usize,
    errors: usize,
}

#[allow(clippy::disallowed_methods, reason = "latency measurement needs the monotonic clock")]
async fn load(addr: SocketAddr, credential: &str, kind: Kind, wat: &str, measure: Duration) -> Figures {
    let bearer = Bearer(MetadataValue::try_from(format!("Bearer {credential}")).unwrap());
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        let channel = connect(addr).await.unwrap();
        clients.push(IdentityDataServiceClient::new(InterceptedService::new(channel, bearer.clone())));
    }
    // The first call fills the cache; only cached vends are measured.
    call(&mut clients[0].clone(), kind, wat).await.unwrap();

    let start = Instant::now();
    let (measure_from, until) = (start + WARM_UP, start + WARM_UP + measure);
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|i| {
            let (mut client, wat) = (clients[i % CONNECTIONS].clone(), wat.to_owned());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::with_capacity(1 << 16), 0usize);
                loop {
                    let sent = Instant::now();
                    if sent >= until {
                        break;
                    }
                    let result = call(&mut client, kind, &wat).await;
                    let done = Instant::now();
                    // A request counts when it completes inside the measured window.
                    if sent >= measure_from && done <= until {
                        match result {
                            Ok(()) => latencies.push(done.duration_since(sent).as_nanos() as u64),
                            Err(_) => errors += 1,
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(f64::NAN, |ns| *ns as f64 / 1e6)
    };
    Figures {
        throughput: latencies.len() as f64 / measure.as_secs_f64(),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        requests: latencies.len(),
        errors,
    }
}

async fn mint_wat(addr: SocketAddr, credential: &str) -> String {
    let bearer = Bearer(MetadataValue::try_from(format!("Bearer {credential}")).unwrap());
    let mut client = IdentityDataServiceClient::new(InterceptedService::new(connect(addr).await.unwrap(), bearer));
    let request = pb::GetWorkloadAccessTokenRequest { workload_name: "bench-agent".to_owned() };
    client.get_workload_access_token(request).await.unwrap().into_inner().workload_access_token
}

// ---------------------------------------------------------------------------------------------

struct Row {
    name: &'static str,
    figures: Figures,
    /// Throughput ratio to the trivial server that meets the target, if any.
    target: Option<f64>,
}

async fn bench(measure: Duration) -> Vec<Row> {
    let prepared = prepare().await;
    let mut rows = Vec::new();
    let note =
        |name: &str| eprintln!("running: {name} ({}s warm-up, {}s measured)…", WARM_UP.as_secs(), measure.as_secs());

    let (trivial, stop) = start_trivial().await;
    note("trivial tonic server");
    let figures = load(trivial, &prepared.access_key, Kind::ApiKey, "a-workload-access-token", measure).await;
    rows.push(Row { name: "trivial tonic server (constant reply)", figures, target: None });
    let _ = stop.send(());

    let plane = Plane::start(config(&prepared.db, &[])).await;
    // One WAT for every scenario: both data planes read the same store and signing keys.
    let wat = mint_wat(plane.grpc, &prepared.access_key).await;
    note("API-key vend, in-process cache");
    let figures = load(plane.grpc, &prepared.access_key, Kind::ApiKey, &wat, measure).await;
    rows.push(Row { name: "API-key vend, in-process cache", figures, target: Some(0.6) });
    note("M2M vend, in-process cache");
    let figures = load(plane.grpc, &prepared.access_key, Kind::M2m, &wat, measure).await;
    rows.push(Row { name: "M2M token vend, in-process cache", figures, target: Some(0.6) });
    plane.stop().await;

    let redis_url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| identity_testkit::DEFAULT_REDIS_URL.to_owned());
    if redis_reachable(&redis_url).await {
        let prefix = format!("bench:{}:", identity_testkit::unique_suffix());
        let plane =
            Plane::start(config(&prepared.db, &["--redis-url", &redis_url, "--redis-key-prefix", &prefix])).await;
        note("API-key vend, Redis");
        let figures = load(plane.grpc, &prepared.access_key, Kind::ApiKey, &wat, measure).await;
        rows.push(Row { name: "API-key vend, Redis cache", figures, target: Some(0.35) });
        note("M2M vend, Redis");
        let figures = load(plane.grpc, &prepared.access_key, Kind::M2m, &wat, measure).await;
        rows.push(Row { name: "M2M token vend, Redis cache", figures, target: Some(0.35) });
        plane.stop().await;
        // The default configuration counts every call in Redis (RATE_LIMIT_PER_SECOND): the same
        // API-key vends with the limit on, set far above what this load reaches so that nothing
        // is throttled (a throttled call would count as an error), show what the count costs.
        let flags = ["--redis-url", &redis_url, "--redis-key-prefix", &prefix, "--rate-limit-per-second", "1000000000"];
        let plane = Plane::start(config(&prepared.db, &flags)).await;
        note("API-key vend, Redis, rate limit on");
        let figures = load(plane.grpc, &prepared.access_key, Kind::ApiKey, &wat, measure).await;
        rows.push(Row { name: "API-key vend, Redis, rate limit on", figures, target: Some(0.35) });
        plane.stop().await;
        forget_keys(&redis_url, &prefix).await;
    } else {
        println!("SKIPPED: the Redis scenarios: {redis_url} did not answer PING");
    }
    rows
}

async fn redis_reachable(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else { return false };
    let ping = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(tokio::time::timeout(Duration::from_secs(2), ping).await, Ok(Ok(_)))
}

/// Removes the benchmark's keys from the shared Redis.
async fn forget_keys(url: &str, prefix: &str) {
    let Ok(client) = redis::Client::open(url) else { return };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return };
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap_or_default();
    if !keys.is_empty() {
        let _: Result<(), _> = redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
    }
}

fn report(rows: &[Row], measure: Duration) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "vend path: {IN_FLIGHT} requests in flight over {CONNECTIONS} HTTP/2 connections, {}s warm-up, {}s measured; \
         servers and load generator share this machine ({cores} cores)",
        WARM_UP.as_secs(),
        measure.as_secs()
    );
    println!();
    println!(
        "{:<40} {:>10} {:>9} {:>9} {:>7} {:>8}   target",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "ratio"
    );
    let baseline = rows.first().map_or(f64::NAN, |r| r.figures.throughput);
    for row in rows {
        let f = &row.figures;
        let ratio = f.throughput / baseline;
        let verdict = match row.target {
            None => "baseline".to_owned(),
            Some(target) => {
                let mark = |ok: bool| if ok { "PASS" } else { "BELOW" };
                format!(
                    "ratio ≥ {target}: {}; p99 < {P99_TARGET_MS} ms: {}",
                    mark(ratio >= target),
                    mark(f.p99_ms < P99_TARGET_MS)
                )
            }
        };
        println!(
            "{:<40} {:>10.0} {:>9.3} {:>9.3} {:>7} {:>8.2}   {verdict}",
            row.name, f.throughput, f.p50_ms, f.p99_ms, f.errors, ratio
        );
        if f.requests == 0 {
            println!("  (no request completed in the measured window)");
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter or other flags are ignored.
    let seconds = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(10).max(1);
    let measure = Duration::from_secs(seconds);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let rows = runtime.block_on(bench(measure));
    report(&rows, measure);
}
