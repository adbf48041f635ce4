use std::{
    net::SocketAddr,
    process::{Child, Command},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, extract::State, routing::post};
use identity_proto::v1::{self as pb, get_resource_oauth2_access_token_request::CredentialProvider};
use identity_testkit::process::Ports;
use serde_json::json;
use tokio::sync::watch;
use tonic::{metadata::MetadataValue, transport::Channel};

use crate::support::{bin_dir, start_serving};

const MASTER_KEYS: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";
const ADMIN: &str = "shutdown-test-admin-token-0123456789";
const IN_FLIGHT: usize = 6;

/// A token endpoint that holds every request until released: requests are provably in flight.
#[derive(Clone)]
struct Gate {
    arrived: Arc<AtomicUsize>,
    open: watch::Receiver<bool>,
}

async fn held_token(State(gate): State<Gate>, body: String) -> Json<serde_json::Value> {
    gate.arrived.fetch_add(1, Ordering::SeqCst);
    let mut open = gate.open.clone();
    let _ = open.wait_for(|open| *open).await;
    let scope = url_scope(&body);
    Json(
        json!({"access_token": format!("token-for-{scope}"), "token_type": "Bearer", "expires_in": 3600, "scope": scope}),
    )
}

fn url_scope(body: &str) -> String {
    body.split('&').find_map(|kv| kv.strip_prefix("scope=")).unwrap_or_default().to_owned()
}

async fn gated_endpoint() -> (SocketAddr, Arc<AtomicUsize>, watch::Sender<bool>) {
    let (release, open) = watch::channel(false);
    let arrived = Arc::new(AtomicUsize::new(0));
    let router = Router::new().route("/token", post(held_token)).with_state(Gate { arrived: arrived.clone(), open });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, arrived, release)
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(binary: &str, dir: &std::path::Path, env: &[(&str, String)]) -> Command {
    let mut command = Command::new(bin_dir().join(binary));
    command.current_dir(dir).env_clear().env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {token}")).unwrap());
    request
}

/// SIGTERM mid-stream: every request already accepted completes, readiness turned not-ready
/// first, and the process exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_and_exits_zero() {
    let (idp, arrived, release) = gated_endpoint().await;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/identity.db", dir.path().display());
    let common = [("DATABASE_URL", db), ("IDENTITY_MASTER_KEYS", MASTER_KEYS.to_owned())];
    let mut control_env = common.to_vec();
    control_env.push(("IDENTITY_BOOTSTRAP_ADMIN_TOKEN", ADMIN.to_owned()));
    let started = start_serving("the control plane", Ports::Fresh, None, |[control]: &[SocketAddr; 1]| {
        let mut command = command("identity-control-plane", dir.path(), &control_env);
        command.env("CONTROL_PLANE_LISTEN", control.to_string());
        command
    })
    .await;
    let ([control], _control) = (started.addrs, Proc(started.child));

    // A workload, a provider whose token endpoint is the gate, an access key.
    let channel = Channel::from_shared(format!("http://{control}")).unwrap().connect().await.unwrap();
    let mut workloads = pb::workload_identity_service_client::WorkloadIdentityServiceClient::new(channel.clone());
    workloads
        .create_workload_identity(authed(
            pb::CreateWorkloadIdentityRequest { name: "agent".to_owned(), ..Default::default() },
            ADMIN,
        ))
        .await
        .unwrap();
    let mut providers = pb::credential_provider_service_client::CredentialProviderServiceClient::new(channel.clone());
    let metadata = pb::Oauth2AuthorizationServerMetadata {
        issuer: format!("http://{idp}"),
        authorization_endpoint: format!("http://{idp}/authorize"),
        token_endpoint: format!("http://{idp}/token"),
        ..Default::default()
    };
    let provider = pb::CreateCredentialProviderRequest {
        name: "Backend".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(
            pb::Oauth2ProviderConfigInput {
                client_id: "client".to_owned(),
                client_secret: "secret".to_owned(),
                oauth_discovery: Some(pb::Oauth2Discovery {
                    discovery_url: String::new(),
                    authorization_server_metadata: Some(metadata),
                }),
                ..Default::default()
            },
        )),
        tags: Default::default(),
    };
    providers.create_credential_provider(authed(provider, ADMIN)).await.unwrap();
    let mut keys = pb::access_key_service_client::AccessKeyServiceClient::new(channel);
    let created =
        keys.create_access_key(authed(pb::CreateAccessKeyRequest::default(), ADMIN)).await.unwrap().into_inner();
    let key = format!("{}:{}", created.access_key.unwrap().access_key_id, created.secret_access_key);

    let mut data_env = common.to_vec();
    data_env.extend([("OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8".to_owned()), ("SHUTDOWN_DELAY", "3".to_owned())]);
    let started = start_serving("the data plane", Ports::Fresh, None, |[data, http]: &[SocketAddr; 2]| {
        let mut command = command("identity-data-plane", dir.path(), &data_env);
        command.env("DATA_PLANE_LISTEN", data.to_string()).env("DATA_PLANE_HTTP_LISTEN", http.to_string());
        command
    })
    .await;
    let ([data, http], mut data_plane) = (started.addrs, Proc(started.child));
    let channel = Channel::from_shared(format!("http://{data}")).unwrap().connect().await.unwrap();
    let mut client = pb::identity_data_service_client::IdentityDataServiceClient::new(channel);
    let wat = client
        .get_workload_access_token(authed(
            pb::GetWorkloadAccessTokenRequest { workload_name: "agent".to_owned() },
            &key,
        ))
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;

    // Requests in flight: each has reached the provider and waits there.
    let requests: Vec<_> = (0..IN_FLIGHT)
        .map(|i| {
            let (mut client, key, wat) = (client.clone(), key.clone(), wat.clone());
            tokio::spawn(async move {
                let request = pb::GetResourceOauth2AccessTokenRequest {
                    workload_identity_token: wat,
                    credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Backend".to_owned())),
                    scopes: vec![format!("scope-{i}")],
                    oauth2_flow: pb::Oauth2Flow::M2m as i32,
                    ..Default::default()
                };
                client
                    .get_resource_oauth2_access_token(authed(request, &key))
                    .await
                    .map(|r| r.into_inner().access_token)
            })
        })
        .collect();
    for _ in 0..400 {
        if arrived.load(Ordering::SeqCst) == IN_FLIGHT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(arrived.load(Ordering::SeqCst), IN_FLIGHT, "every request reached the provider");

    let pid = data_plane.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());

    // Readiness turns not-ready first, while requests are still in flight.
    let mut not_ready = false;
    for _ in 0..200 {
        if reqwest::get(format!("http://{http}/readyz")).await.is_ok_and(|r| r.status() == 503) {
            not_ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(not_ready, "/readyz did not turn 503 after SIGTERM");
    assert_eq!(arrived.load(Ordering::SeqCst), IN_FLIGHT);

    // Let the provider answer: every accepted request completes successfully.
    release.send(true).unwrap();
    for (i, request) in requests.into_iter().enumerate() {
        let token = request.await.unwrap().unwrap_or_else(|e| panic!("request {i} failed after SIGTERM: {e}"));
        assert_eq!(token, format!("token-for-scope-{i}"));
    }

    // The process exits 0, within the bounded drain.
    let mut status = None;
    for _ in 0..600 {
        if let Some(exit) = data_plane.0.try_wait().unwrap() {
            status = Some(exit);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = status.expect("the data plane did not exit after draining");
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(tokio::net::TcpStream::connect(data).await.is_err(), "nothing listens any more");
}
