use std::{
    collections::HashMap,
    net::SocketAddr,
    process::{Child, Command},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use identity_proto::v1::{self as pb, get_api_key_credential_request::CredentialProvider};
use identity_testkit::{PostgresDb, process::Ports, redis_url, unique_suffix};
use tonic::{metadata::MetadataValue, transport::Channel};

use crate::support::{bin_dir, start_serving};

const MASTER_KEYS: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";
const ADMIN: &str = "rolling-test-admin-token-0123456789";
const API_KEY: &str = "rolling-api-key-value";

fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {token}")).unwrap());
    request
}

fn command(binary: &str, env: &[(&str, String)]) -> Command {
    let mut command = Command::new(bin_dir().join(binary));
    command.env_clear().env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// One data-plane instance: its addresses (gRPC, HTTP) once started, and process.
struct Instance {
    addrs: Option<[SocketAddr; 2]>,
    env: Vec<(&'static str, String)>,
    child: Option<Child>,
}

impl Instance {
    /// Starts on fresh ports the first time, and at the same addresses after that.
    async fn start(&mut self) {
        let ports = self.addrs.map_or(Ports::Fresh, Ports::Fixed);
        let started = start_serving("a data plane", ports, None, |[grpc, http]: &[SocketAddr; 2]| {
            let mut command = command("identity-data-plane", &self.env);
            command.env("DATA_PLANE_LISTEN", grpc.to_string()).env("DATA_PLANE_HTTP_LISTEN", http.to_string());
            command
        })
        .await;
        (self.addrs, self.child) = (Some(started.addrs), Some(started.child));
    }

    fn grpc(&self) -> SocketAddr {
        self.addrs.unwrap()[0]
    }

    fn http(&self) -> SocketAddr {
        self.addrs.unwrap()[1]
    }

    /// SIGTERM, then wait for exit 0.
    async fn stop(&mut self) {
        let mut child = self.child.take().unwrap();
        assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
        for _ in 0..1000 {
            if let Some(status) = child.try_wait().unwrap() {
                assert_eq!(status.code(), Some(0), "{status:?}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("instance did not exit");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Two data planes on one Postgres and one Redis, restarted one at a time under load, the way a
/// Kubernetes rolling update does (a load balancer routes only to instances whose /readyz is
/// 200): no request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_of_two_data_planes_loses_no_request() {
    let Some(db) = PostgresDb::create().await else { return };
    let Some(redis) = redis_url().await else { return };
    let common = vec![("DATABASE_URL", db.url.clone()), ("IDENTITY_MASTER_KEYS", MASTER_KEYS.to_owned())];
    let mut control_env = common.clone();
    control_env.push(("IDENTITY_BOOTSTRAP_ADMIN_TOKEN", ADMIN.to_owned()));
    let started = start_serving("the control plane", Ports::Fresh, None, |[control]: &[SocketAddr; 1]| {
        let mut command = command("identity-control-plane", &control_env);
        command.env("CONTROL_PLANE_LISTEN", control.to_string());
        command
    })
    .await;
    let ([control], _control_plane) = (started.addrs, Guard(started.child));

    let channel = Channel::from_shared(format!("http://{control}")).unwrap().connect().await.unwrap();
    pb::workload_identity_service_client::WorkloadIdentityServiceClient::new(channel.clone())
        .create_workload_identity(authed(
            pb::CreateWorkloadIdentityRequest { name: "agent".to_owned(), ..Default::default() },
            ADMIN,
        ))
        .await
        .unwrap();
    let provider = pb::CreateCredentialProviderRequest {
        name: "Service".to_owned(),
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput { api_key: API_KEY.to_owned(), ..Default::default() },
        )),
        ..Default::default()
    };
    pb::credential_provider_service_client::CredentialProviderServiceClient::new(channel.clone())
        .create_credential_provider(authed(provider, ADMIN))
        .await
        .unwrap();
    let created = pb::access_key_service_client::AccessKeyServiceClient::new(channel)
        .create_access_key(authed(pb::CreateAccessKeyRequest::default(), ADMIN))
        .await
        .unwrap()
        .into_inner();
    let key = format!("{}:{}", created.access_key.unwrap().access_key_id, created.secret_access_key);

    let prefix = format!("rolling:{}:", unique_suffix());
    let mut instances: Vec<Instance> = (0..2)
        .map(|_| {
            let mut env = common.clone();
            env.extend([
                ("REDIS_URL", redis.clone()),
                ("REDIS_KEY_PREFIX", prefix.clone()),
                // The load below is one account's, faster than the default rate limit.
                ("RATE_LIMIT_PER_SECOND", "0".to_owned()),
                // Long enough for the balancer below (which polls every 50 ms) to move away.
                ("SHUTDOWN_DELAY", "3".to_owned()),
            ]);
            Instance { addrs: None, env, child: None }
        })
        .collect();
    for instance in &mut instances {
        instance.start().await;
    }

    // The balancer: the set of instances whose /readyz answers 200, refreshed every 50 ms.
    let ready: Arc<Mutex<Vec<SocketAddr>>> = Arc::new(Mutex::new(instances.iter().map(Instance::grpc).collect()));
    let probes: HashMap<SocketAddr, SocketAddr> = instances.iter().map(|i| (i.grpc(), i.http())).collect();
    let running = Arc::new(AtomicBool::new(true));
    let balancer = {
        let (ready, running) = (ready.clone(), running.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::builder().timeout(Duration::from_millis(200)).build().unwrap();
            while running.load(Ordering::SeqCst) {
                let mut up = Vec::new();
                for (grpc, probe) in &probes {
                    if http.get(format!("http://{probe}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
                        up.push(*grpc);
                    }
                }
                *ready.lock().unwrap() = up;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    // The load: workers mint a WAT and vend the API key, over and over, each call on a fresh
    // connection to a ready instance.
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(Mutex::new(Vec::<String>::new())));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (ready, running, ok, failed, key) =
                (ready.clone(), running.clone(), ok.clone(), failed.clone(), key.clone());
            tokio::spawn(async move {
                let mut n = 0usize;
                while running.load(Ordering::SeqCst) {
                    n += 1;
                    let target = {
                        let up = ready.lock().unwrap();
                        if up.is_empty() { None } else { Some(up[(w + n) % up.len()]) }
                    };
                    let Some(target) = target else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    };
                    match vend(target, &key).await {
                        Ok(()) => {
                            ok.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => failed.lock().unwrap().push(format!("{target}: {e}")),
                    }
                }
            })
        })
        .collect();

    let served_before = |ok: &AtomicU64| ok.load(Ordering::SeqCst);
    let mut last = 0;
    for instance in &mut instances {
        // Some traffic, then restart this instance.
        while served_before(&ok) < last + 50 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        instance.stop().await;
        instance.start().await;
        last = served_before(&ok);
    }
    while served_before(&ok) < last + 50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.store(false, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    balancer.await.unwrap();
    let failed = failed.lock().unwrap().clone();
    assert!(
        failed.is_empty(),
        "{} of {} requests failed: {:?}",
        failed.len(),
        ok.load(Ordering::SeqCst),
        &failed[..failed.len().min(5)]
    );
    assert!(ok.load(Ordering::SeqCst) >= 150);
}

/// Kills the process when the test ends, passed or not.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn vend(target: SocketAddr, key: &str) -> Result<(), String> {
    let channel = Channel::from_shared(format!("http://{target}"))
        .unwrap()
        .connect()
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut client = pb::identity_data_service_client::IdentityDataServiceClient::new(channel);
    let wat = client
        .get_workload_access_token(authed(pb::GetWorkloadAccessTokenRequest { workload_name: "agent".to_owned() }, key))
        .await
        .map_err(|e| format!("mint: {e}"))?
        .into_inner()
        .workload_access_token;
    let request = pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat,
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Service".to_owned())),
    };
    let vended =
        client.get_api_key_credential(authed(request, key)).await.map_err(|e| format!("vend: {e}"))?.into_inner();
    if vended.api_key == API_KEY { Ok(()) } else { Err("wrong key".to_owned()) }
}
