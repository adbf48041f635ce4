//! A deployment beyond one machine, in this process: the control plane (its `run`) and data-plane
//! replicas on one Postgres and one Redis, driven through the control plane's gRPC API as an
//! operator would.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use clap::Parser;
use identity_crypto::MasterKeyRing;
use identity_proto::v1 as pb;
use identity_server::SystemClock;
use identity_store::{Store, StoreOptions};
use identity_testkit::{PostgresDb, redis_url, unique_suffix};
use tokio::{net::TcpListener, sync::oneshot};
use tonic::{Request, metadata::MetadataValue, transport::Channel};

use crate::support::{DataPlane, MASTER_KEYS};

pub const ADMIN: &str = "cluster-test-admin-token-0123456789";

#[derive(Parser)]
struct DataPlaneCli {
    #[command(flatten)]
    serve: identity_data_plane::ServeArgs,
}

#[derive(Parser)]
struct ControlPlaneCli {
    #[command(flatten)]
    serve: identity_control_plane::ServeArgs,
}

pub struct Cluster {
    pub planes: Vec<DataPlane>,
    /// The store the planes share (for looking at what is stored).
    pub store: Store,
    /// A Redis connection and the deployment's key prefix (the planes use Redis only when
    /// started with it).
    pub redis: redis::aio::MultiplexedConnection,
    pub prefix: String,
    control: SocketAddr,
    stop_control: Option<oneshot::Sender<()>>,
    _db: PostgresDb,
}

impl Cluster {
    /// `replicas` data planes; the first serves HTTP on `http` when given (so that the public base
    /// URL, which both planes announce, names it). None without Postgres or Redis (outside CI).
    pub async fn start(replicas: usize, http: Option<TcpListener>) -> Option<Self> {
        Self::start_with(replicas, http, true).await
    }

    /// Like [`Cluster::start`]; without `shared_cache` every plane keeps its cache in process.
    pub async fn start_with(replicas: usize, http: Option<TcpListener>, shared_cache: bool) -> Option<Self> {
        let db = PostgresDb::create().await?;
        let redis_url = redis_url().await?;
        let prefix = format!("cluster:{}:", unique_suffix());
        let http = match http {
            Some(listener) => listener,
            None => TcpListener::bind("127.0.0.1:0").await.unwrap(),
        };
        let public = format!("http://{}", http.local_addr().unwrap());
        let mut shared = vec![
            "--database-url",
            &db.url,
            "--master-keys",
            MASTER_KEYS,
            "--outbound-allowed-networks",
            "127.0.0.0/8",
            "--public-base-url",
            &public,
        ];
        if shared_cache {
            shared.extend_from_slice(&["--redis-url", &redis_url, "--redis-key-prefix", &prefix]);
        }

        let mut argv = vec!["identity-control-plane", "--bootstrap-admin-token", ADMIN, "--listen", "127.0.0.1:0"];
        argv.extend_from_slice(&shared);
        let config = ControlPlaneCli::parse_from(argv).serve.resolve().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let control = listener.local_addr().unwrap();
        let (stop_control, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            if let Err(e) = identity_control_plane::run(config, listener, async move { drop(stopped.await) }).await {
                eprintln!("control plane stopped with an error: {e}");
            }
        });
        // The control plane migrates; the data planes refuse an unmigrated database.
        let store = open_store(&db.url).await;

        let mut argv = vec!["identity-data-plane", "--rate-limit-per-second", "0"];
        argv.extend_from_slice(&shared);
        let mut planes =
            vec![DataPlane::start_on(DataPlaneCli::parse_from(&argv).serve.resolve().unwrap(), http).await];
        for _ in 1..replicas {
            planes.push(DataPlane::start(DataPlaneCli::parse_from(&argv).serve.resolve().unwrap()).await);
        }
        let redis = redis::Client::open(redis_url).unwrap().get_multiplexed_async_connection().await.unwrap();
        Some(Self { planes, store, redis, prefix, control, stop_control: Some(stop_control), _db: db })
    }

    pub async fn control(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.control)).unwrap().connect().await.unwrap()
    }

    /// The Redis keys of this deployment matching `pattern` (after the prefix).
    pub async fn redis_keys(&self, pattern: &str) -> Vec<String> {
        redis::cmd("KEYS").arg(format!("{}{pattern}", self.prefix)).query_async(&mut self.redis.clone()).await.unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(stop) = self.stop_control.take() {
            let _ = stop.send(());
        }
    }
}

/// Polls the database until the control plane has migrated it, then opens it.
async fn open_store(url: &str) -> Store {
    for _ in 0..400 {
        let store = Store::connect(StoreOptions {
            url: url.to_owned(),
            keyring: Arc::new(MasterKeyRing::parse(MASTER_KEYS).unwrap()),
            clock: Arc::new(SystemClock),
            quotas: Default::default(),
            max_connections: 2,
        })
        .await
        .unwrap();
        if store.check_migrated().await.is_ok() {
            return store;
        }
        store.close().await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the control plane did not migrate the database");
}

/// `message` with the admin token.
pub fn admin<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {ADMIN}")).unwrap());
    request
}

/// Polls `check` until it holds and returns how long that took, failing the test once `limit`
/// has passed.
pub async fn within<F, Fut>(limit: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = tokio::time::Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Creates an API-key provider through the control plane.
pub async fn create_api_key_provider(c: &Cluster, name: &str, key: &str) {
    let request = pb::CreateCredentialProviderRequest {
        name: name.to_owned(),
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput { api_key: key.to_owned(), ..Default::default() },
        )),
        ..Default::default()
    };
    pb::credential_provider_service_client::CredentialProviderServiceClient::new(c.control().await)
        .create_credential_provider(admin(request))
        .await
        .unwrap();
}

/// Creates a workload identity through the control plane.
pub async fn create_workload(c: &Cluster, name: &str, return_urls: &[&str]) {
    let request = pb::CreateWorkloadIdentityRequest {
        name: name.to_owned(),
        allowed_resource_oauth2_return_urls: return_urls.iter().map(|u| (*u).to_owned()).collect(),
        ..Default::default()
    };
    pb::workload_identity_service_client::WorkloadIdentityServiceClient::new(c.control().await)
        .create_workload_identity(admin(request))
        .await
        .unwrap();
}

/// Creates an access key through the control plane; returns `id:secret` and the id.
pub async fn create_access_key(c: &Cluster) -> (String, String) {
    let created = pb::access_key_service_client::AccessKeyServiceClient::new(c.control().await)
        .create_access_key(admin(pb::CreateAccessKeyRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let id = created.access_key.unwrap().access_key_id;
    (format!("{id}:{}", created.secret_access_key), id)
}
