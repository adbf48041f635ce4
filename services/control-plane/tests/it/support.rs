use std::{net::SocketAddr, time::Duration};

use clap::Parser;
use identity_control_plane::{ServeArgs, create_admin_token, run};
use identity_domain::AccountId;
use identity_proto::v1::{
    access_key_service_client::AccessKeyServiceClient, audit_service_client::AuditServiceClient,
    credential_provider_service_client::CredentialProviderServiceClient,
    jwt_authorizer_service_client::JwtAuthorizerServiceClient, token_vault_service_client::TokenVaultServiceClient,
    workload_identity_service_client::WorkloadIdentityServiceClient,
};
use identity_testkit::{PostgresDb, SqliteDb};
use tokio::sync::oneshot;
use tonic::{
    Status,
    metadata::MetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};
use tonic_types::StatusExt as _;

pub const BOOTSTRAP_TOKEN: &str = "test-bootstrap-admin-token-0123456789";
pub const MASTER_KEYS: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

#[allow(dead_code)]
enum Db {
    Sqlite(SqliteDb),
    Postgres(PostgresDb),
    /// A database the test holds ([`SharedDb`]), which outlives the server.
    Shared,
}

/// A database that several servers use in turn, e.g. across a change of master keys.
pub struct SharedDb {
    pub url: String,
    _db: Db,
}

impl SharedDb {
    pub fn sqlite() -> Self {
        let db = SqliteDb::create();
        Self { url: db.url.clone(), _db: Db::Sqlite(db) }
    }

    pub async fn postgres() -> Option<Self> {
        let db = PostgresDb::create().await?;
        Some(Self { url: db.url.clone(), _db: Db::Postgres(db) })
    }
}

/// A control plane running in this process.
pub struct Server {
    pub addr: SocketAddr,
    args: ServeArgs,
    stop: Option<oneshot::Sender<()>>,
    _db: Db,
}

#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if let Some(token) = &self.0 {
            let value = MetadataValue::try_from(format!("Bearer {token}")).map_err(|_| Status::internal("token"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;

impl Server {
    pub async fn sqlite(extra: &[&str]) -> Self {
        let db = SqliteDb::create();
        Self::start(db.url.clone(), Db::Sqlite(db), extra).await
    }

    pub async fn postgres(extra: &[&str]) -> Option<Self> {
        let db = PostgresDb::create().await?;
        Some(Self::start(db.url.clone(), Db::Postgres(db), extra).await)
    }

    /// A server on `db` with the master key ring `master_keys`.
    pub async fn on_shared(db: &SharedDb, master_keys: &str) -> Self {
        Self::start_with_keys(db.url.clone(), Db::Shared, master_keys, &[]).await
    }

    async fn start(url: String, db: Db, extra: &[&str]) -> Self {
        Self::start_with_keys(url, db, MASTER_KEYS, extra).await
    }

    async fn start_with_keys(url: String, db: Db, master_keys: &str, extra: &[&str]) -> Self {
        let data_dir = tempfile_dir();
        let mut argv = vec![
            "identity-control-plane".to_owned(),
            "--database-url".to_owned(),
            url,
            "--master-keys".to_owned(),
            master_keys.to_owned(),
            "--data-dir".to_owned(),
            data_dir,
            "--bootstrap-admin-token".to_owned(),
            BOOTSTRAP_TOKEN.to_owned(),
            "--public-base-url".to_owned(),
            "https://identity.example.com/".to_owned(),
            "--listen".to_owned(),
            "127.0.0.1:0".to_owned(),
        ];
        argv.extend(extra.iter().map(|s| (*s).to_owned()));
        let args = Cli::parse_from(argv).serve;
        let config = args.resolve().expect("valid test configuration");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            if let Err(e) = run(config, listener, async move { drop(stopped.await) }).await {
                eprintln!("control plane stopped with an error: {e}");
            }
        });
        let server = Self { addr, args, stop: Some(stop), _db: db };
        server.wait_ready().await;
        server
    }

    /// Polls the health service until it answers SERVING.
    async fn wait_ready(&self) {
        for _ in 0..400 {
            if let Ok(channel) = Channel::from_shared(format!("http://{}", self.addr)).expect("uri").connect().await {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let request = tonic_health::pb::HealthCheckRequest { service: String::new() };
                if health.check(request).await.is_ok_and(|r| r.into_inner().status == 1) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("control plane did not become healthy");
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr)).expect("uri").connect().await.expect("connect")
    }

    pub async fn authed(&self, token: Option<&str>) -> Authed {
        InterceptedService::new(self.channel().await, Bearer(token.map(str::to_owned)))
    }

    pub async fn workloads(&self, token: Option<&str>) -> WorkloadIdentityServiceClient<Authed> {
        WorkloadIdentityServiceClient::new(self.authed(token).await)
    }

    pub async fn providers(&self, token: Option<&str>) -> CredentialProviderServiceClient<Authed> {
        CredentialProviderServiceClient::new(self.authed(token).await)
    }

    pub async fn authorizers(&self, token: Option<&str>) -> JwtAuthorizerServiceClient<Authed> {
        JwtAuthorizerServiceClient::new(self.authed(token).await)
    }

    pub async fn access_keys(&self, token: Option<&str>) -> AccessKeyServiceClient<Authed> {
        AccessKeyServiceClient::new(self.authed(token).await)
    }

    pub async fn audit(&self, token: Option<&str>) -> AuditServiceClient<Authed> {
        AuditServiceClient::new(self.authed(token).await)
    }

    pub async fn token_vault(&self, token: Option<&str>) -> TokenVaultServiceClient<Authed> {
        TokenVaultServiceClient::new(self.authed(token).await)
    }

    /// Mints an admin token for another account, as `identity-control-plane create-admin-token` does.
    pub async fn admin_token_for(&self, account: &str) -> String {
        let storage = self.args.storage.resolve().expect("storage config");
        create_admin_token(&storage, &AccountId::parse(account).expect("account"), "test").await.expect("admin token")
    }

    /// Drops the server's Postgres database under it (a database outage); false on SQLite.
    pub async fn drop_postgres_database(&self) -> bool {
        match &self._db {
            Db::Postgres(db) => {
                db.drop_now().await;
                true
            }
            _ => false,
        }
    }

    pub fn database_url(&self) -> &str {
        &self.args.storage.database_url
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn tempfile_dir() -> String {
    let dir = std::env::temp_dir().join(format!("cp-test-{}", identity_testkit::unique_suffix()));
    dir.display().to_string()
}

/// The code, `ErrorInfo.reason` and bad-request fields of a failed call.
pub fn error_of(status: &Status) -> (tonic::Code, String, Vec<String>) {
    let details = status.get_error_details();
    let reason = details.error_info().map(|i| i.reason.clone()).unwrap_or_default();
    let fields =
        details.bad_request().map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect()).unwrap_or_default();
    (status.code(), reason, fields)
}
