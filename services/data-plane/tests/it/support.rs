use std::{net::SocketAddr, sync::Arc, time::Duration};

use clap::Parser;
use identity_crypto::{MasterKeyRing, sha256_hex};
use identity_data_plane::{Config, Listeners, ServeArgs, run};
use identity_domain::{
    AccountId, ApiKeyConfig, NewAccessKey, ProviderConfig, ProviderSpec, ProviderStatus, Quotas, SecretString,
    WorkloadAttributes, WorkloadIdentitySpec, WorkloadIdentityType,
};
use identity_proto::v1::identity_data_service_client::IdentityDataServiceClient;
use identity_server::SystemClock;
use identity_store::{Store, StoreOptions};
use identity_testkit::SqliteDb;
use tokio::{net::TcpListener, sync::oneshot};
use tonic::{
    Status,
    metadata::MetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

pub const MASTER_KEYS: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";
pub const GITHUB_KEY: &str = "ghp_vended-api-key-0123456789";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

pub fn config(db: &SqliteDb, extra: &[&str]) -> Config {
    let mut argv = vec!["identity-data-plane", "--database-url", &db.url, "--master-keys", MASTER_KEYS];
    // Tests fire calls faster than the default per-account rate limit; the rate-limit tests
    // set their own.
    if !extra.contains(&"--rate-limit-per-second") {
        argv.extend_from_slice(&["--rate-limit-per-second", "0"]);
    }
    argv.extend_from_slice(extra);
    Cli::parse_from(argv).serve.resolve().unwrap()
}

pub async fn open_store(db: &SqliteDb) -> Store {
    let keyring = Arc::new(MasterKeyRing::parse(MASTER_KEYS).unwrap());
    let store = Store::connect(StoreOptions {
        url: db.url.clone(),
        keyring,
        clock: Arc::new(SystemClock),
        quotas: Quotas::default(),
        max_connections: 2,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    store
}

pub fn account_a() -> AccountId {
    AccountId::parse("111111111111").unwrap()
}

pub fn account_b() -> AccountId {
    AccountId::parse("222222222222").unwrap()
}

/// An access key `id:secret` stored the way the control plane stores it.
pub async fn access_key(store: &Store, account: &AccountId, id: &str, workloads: &[&str]) -> String {
    let secret = format!("secret-of-{id}");
    store
        .create_access_key(
            account,
            NewAccessKey {
                access_key_id: id.to_owned(),
                secret_hash: sha256_hex(secret.as_bytes()),
                description: String::new(),
                allowed_workload_names: workloads.iter().map(|w| (*w).to_owned()).collect(),
            },
        )
        .await
        .unwrap();
    format!("{id}:{secret}")
}

pub async fn workload(store: &Store, account: &AccountId, name: &str) {
    let spec = WorkloadIdentitySpec {
        name: name.to_owned(),
        description: String::new(),
        kind: WorkloadIdentityType::Agent,
        attributes: WorkloadAttributes::default(),
        allowed_return_urls: vec![],
        tags: Default::default(),
        authorizers: vec![],
    };
    store.create_workload_identity(account, spec).await.unwrap();
}

pub async fn api_key_provider(store: &Store, account: &AccountId, name: &str, key: &str) {
    let spec = ProviderSpec {
        name: name.to_owned(),
        config: ProviderConfig::ApiKey(ApiKeyConfig {
            header_name: "Authorization".to_owned(),
            vendor: "github".to_owned(),
        }),
        secret: SecretString::new(key.to_owned()),
        tags: Default::default(),
    };
    store.create_credential_provider(account, spec, ProviderStatus::Active).await.unwrap();
}

/// A data plane running in this process.
pub struct DataPlane {
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), identity_data_plane::RunError>>>,
}

impl DataPlane {
    pub async fn start(config: Config) -> Self {
        Self::start_on(config, TcpListener::bind("127.0.0.1:0").await.unwrap()).await
    }

    /// Starts with an HTTP listener bound beforehand (so that PUBLIC_BASE_URL can name its port,
    /// with no window in which another test could take it).
    pub async fn start_on(config: Config, http: TcpListener) -> Self {
        let listeners = Listeners { grpc: TcpListener::bind("127.0.0.1:0").await.unwrap(), http };
        let (grpc, http) = (listeners.grpc.local_addr().unwrap(), listeners.http.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(config, listeners, async move { drop(stopped.await) }));
        let plane = Self { grpc, http, stop: Some(stop), task: Some(task) };
        plane.wait_serving().await;
        plane
    }

    async fn wait_serving(&self) {
        for _ in 0..400 {
            if let Ok(channel) = Channel::from_shared(format!("http://{}", self.grpc)).unwrap().connect().await {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let request = tonic_health::pb::HealthCheckRequest { service: String::new() };
                if health.check(request).await.is_ok_and(|r| r.into_inner().status == 1) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("data plane did not become healthy");
    }

    pub async fn client(
        &self,
        credential: Option<&str>,
    ) -> IdentityDataServiceClient<InterceptedService<Channel, Bearer>> {
        let channel = Channel::from_shared(format!("http://{}", self.grpc)).unwrap().connect().await.unwrap();
        IdentityDataServiceClient::new(InterceptedService::new(channel, Bearer(credential.map(str::to_owned))))
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

impl Drop for DataPlane {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if let Some(token) = &self.0 {
            request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {token}")).unwrap());
        }
        Ok(request)
    }
}

/// Code, `ErrorInfo.reason` and its metadata of a failed call.
pub fn error_of(status: &Status) -> (tonic::Code, String, std::collections::HashMap<String, String>) {
    use tonic_types::StatusExt as _;
    let details = status.get_error_details();
    match details.error_info() {
        Some(info) => (status.code(), info.reason.clone(), info.metadata.clone()),
        None => (status.code(), String::new(), Default::default()),
    }
}
