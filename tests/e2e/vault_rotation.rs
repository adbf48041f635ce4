//! Master-key rotation under load, as an operator does it: data written under a ring of k1; every
//! process restarted with k2 appended; two data planes on one Postgres and one Redis vend API keys
//! and M2M tokens without pause (and the control plane keeps creating providers) while
//! `RotateTokenVaultKey` re-wraps every data key under k2 and rotates the account's data key. No
//! vend fails, `GetTokenVault` then shows nothing under k1, and a data plane whose ring holds k2
//! alone reads everything.

use std::{
    net::SocketAddr,
    process::{Child, Command},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, routing::post};
use identity_proto::v1::{self as pb, get_api_key_credential_request, get_resource_oauth2_access_token_request};
use identity_testkit::{PostgresDb, process::Ports, redis_url, unique_suffix};
use tonic::{metadata::MetadataValue, transport::Channel};

use crate::support::{bin_dir, start_serving};

const K1: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";
const K2: &str = "k2:f3CTMdHLnnhErTHEzETFWkgawwNeeFrqhYPPYu5w5GE=";
const ADMIN: &str = "vault-rotation-admin-token-0123456789";
/// API-key providers written before the rotation (`Key-0`…), each vended under load.
const KEYS: usize = 4;
const M2M_TOKEN: &str = "m2m-token-from-backend";

fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {token}")).unwrap());
    request
}

fn api_key_of(name: &str) -> String {
    format!("api-key-of-{name}")
}

/// A process killed when the test ends, passed or not.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn command(binary: &str, env: &[(&str, String)]) -> Command {
    let mut command = Command::new(bin_dir().join(binary));
    command.env_clear().env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

struct Stack {
    db: PostgresDb,
    redis: String,
    prefix: String,
    token_endpoint: SocketAddr,
}

impl Stack {
    async fn control_plane(&self, ring: &str) -> (Process, Channel) {
        let started = start_serving("a control plane", Ports::Fresh, None, |[addr]: &[SocketAddr; 1]| {
            let env = [
                ("DATABASE_URL", self.db.url.clone()),
                ("IDENTITY_MASTER_KEYS", ring.to_owned()),
                ("CONTROL_PLANE_LISTEN", addr.to_string()),
                ("IDENTITY_BOOTSTRAP_ADMIN_TOKEN", ADMIN.to_owned()),
            ];
            command("identity-control-plane", &env)
        })
        .await;
        let [addr] = started.addrs;
        (Process(started.child), Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap())
    }

    /// A data plane with `ring`, on the shared Redis under `prefix`.
    async fn data_plane(&self, ring: &str, prefix: &str) -> (Process, SocketAddr) {
        let started = start_serving("a data plane", Ports::Fresh, None, |[grpc, http]: &[SocketAddr; 2]| {
            let env = [
                ("DATABASE_URL", self.db.url.clone()),
                ("IDENTITY_MASTER_KEYS", ring.to_owned()),
                ("DATA_PLANE_LISTEN", grpc.to_string()),
                ("DATA_PLANE_HTTP_LISTEN", http.to_string()),
                ("REDIS_URL", self.redis.clone()),
                ("REDIS_KEY_PREFIX", prefix.to_owned()),
                ("OUTBOUND_ALLOWED_NETWORKS", "127.0.0.0/8".to_owned()),
                // The load below is one account's, faster than the default rate limit.
                ("RATE_LIMIT_PER_SECOND", "0".to_owned()),
            ];
            command("identity-data-plane", &env)
        })
        .await;
        (Process(started.child), started.addrs[0])
    }
}

/// A token endpoint for the `Backend` provider's client credentials.
async fn token_endpoint() -> SocketAddr {
    let router = Router::new().route(
        "/token",
        post(|| async {
            Json(serde_json::json!({"access_token": M2M_TOKEN, "token_type": "Bearer", "expires_in": 3600}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn create_api_key_provider(channel: &Channel, name: &str) -> Result<(), tonic::Status> {
    let request = pb::CreateCredentialProviderRequest {
        name: name.to_owned(),
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput { api_key: api_key_of(name), ..Default::default() },
        )),
        ..Default::default()
    };
    pb::credential_provider_service_client::CredentialProviderServiceClient::new(channel.clone())
        .create_credential_provider(authed(request, ADMIN))
        .await
        .map(drop)
}

/// What the account holds before the rotation: a workload, API keys, an M2M provider, an access key.
async fn write_account(channel: &Channel, token_endpoint: SocketAddr) -> String {
    pb::workload_identity_service_client::WorkloadIdentityServiceClient::new(channel.clone())
        .create_workload_identity(authed(
            pb::CreateWorkloadIdentityRequest { name: "agent".to_owned(), ..Default::default() },
            ADMIN,
        ))
        .await
        .unwrap();
    for i in 0..KEYS {
        create_api_key_provider(channel, &format!("Key-{i}")).await.unwrap();
    }
    let issuer = format!("http://{token_endpoint}");
    let backend = pb::CreateCredentialProviderRequest {
        name: "Backend".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(
            pb::Oauth2ProviderConfigInput {
                client_id: "backend-client".to_owned(),
                client_secret: "backend-client-secret".to_owned(),
                oauth_discovery: Some(pb::Oauth2Discovery {
                    discovery_url: String::new(),
                    authorization_server_metadata: Some(pb::Oauth2AuthorizationServerMetadata {
                        issuer: issuer.clone(),
                        authorization_endpoint: format!("{issuer}/authorize"),
                        token_endpoint: format!("{issuer}/token"),
                        ..Default::default()
                    }),
                }),
                default_scopes: vec!["backend:read".to_owned()],
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    pb::credential_provider_service_client::CredentialProviderServiceClient::new(channel.clone())
        .create_credential_provider(authed(backend, ADMIN))
        .await
        .unwrap();
    let created = pb::access_key_service_client::AccessKeyServiceClient::new(channel.clone())
        .create_access_key(authed(pb::CreateAccessKeyRequest::default(), ADMIN))
        .await
        .unwrap()
        .into_inner();
    format!("{}:{}", created.access_key.unwrap().access_key_id, created.secret_access_key)
}

/// A WAT, then the API key of `provider` and (with `m2m`) the Backend's M2M token.
async fn vend(target: SocketAddr, key: &str, provider: &str, m2m: bool) -> Result<(), String> {
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
        workload_identity_token: wat.clone(),
        credential_provider: Some(get_api_key_credential_request::CredentialProvider::ResourceCredentialProviderName(
            provider.to_owned(),
        )),
    };
    let vended = client.get_api_key_credential(authed(request, key)).await.map_err(|e| format!("{provider}: {e}"))?;
    if vended.into_inner().api_key != api_key_of(provider) {
        return Err(format!("{provider}: wrong key"));
    }
    if m2m {
        let request = pb::GetResourceOauth2AccessTokenRequest {
            workload_identity_token: wat,
            credential_provider: Some(
                get_resource_oauth2_access_token_request::CredentialProvider::ResourceCredentialProviderName(
                    "Backend".to_owned(),
                ),
            ),
            oauth2_flow: pb::Oauth2Flow::M2m as i32,
            ..Default::default()
        };
        let vended =
            client.get_resource_oauth2_access_token(authed(request, key)).await.map_err(|e| format!("m2m: {e}"))?;
        if vended.into_inner().access_token != M2M_TOKEN {
            return Err("m2m: wrong token".to_owned());
        }
    }
    Ok(())
}

async fn vault(channel: &Channel) -> pb::GetTokenVaultResponse {
    pb::token_vault_service_client::TokenVaultServiceClient::new(channel.clone())
        .get_token_vault(authed(pb::GetTokenVaultRequest::default(), ADMIN))
        .await
        .unwrap()
        .into_inner()
}

fn key_counts(vault: &pb::GetTokenVaultResponse, id: &str) -> (i64, i64, bool) {
    let key = vault.keys.iter().find(|k| k.key_id == id).unwrap_or_else(|| panic!("no key {id} in {vault:?}"));
    (key.data_key_count, key.ciphertext_count, key.retirable)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_key_rotation_under_load_loses_no_vend_and_retires_the_old_key() {
    let Some(db) = PostgresDb::create().await else { return };
    let Some(redis) = redis_url().await else { return };
    let stack = Stack {
        db,
        redis,
        prefix: format!("vault-rotation:{}:", unique_suffix()),
        token_endpoint: token_endpoint().await,
    };

    // Written under k1 alone.
    let key = {
        let (_control, channel) = stack.control_plane(K1).await;
        write_account(&channel, stack.token_endpoint).await
    };

    // Every process restarted with k2 appended (current); k1 still wraps the account's data key.
    let both = format!("{K1},{K2}");
    let (_control, control) = stack.control_plane(&both).await;
    let (data_keys, ciphertexts, retirable) = key_counts(&vault(&control).await, "k1");
    assert!(data_keys == 1 && ciphertexts > KEYS as i64 && !retirable, "k1 protects the account before the rotation");
    let (_a, a) = stack.data_plane(&both, &stack.prefix).await;
    let (_b, b) = stack.data_plane(&both, &stack.prefix).await;

    // The load: vends on both instances, and a writer creating providers and vending each once.
    let running = Arc::new(AtomicBool::new(true));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(Mutex::new(Vec::<String>::new())));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (running, ok, failed, key) = (running.clone(), ok.clone(), failed.clone(), key.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while running.load(Ordering::SeqCst) {
                    n += 1;
                    let target = if (w + n) % 2 == 0 { a } else { b };
                    match vend(target, &key, &format!("Key-{}", n % KEYS), true).await {
                        Ok(()) => ok.fetch_add(1, Ordering::SeqCst),
                        Err(e) => {
                            failed.lock().unwrap().push(format!("{target}: {e}"));
                            0
                        }
                    };
                }
            })
        })
        .collect();
    let writer = {
        let (running, failed, key, control) = (running.clone(), failed.clone(), key.clone(), control.clone());
        tokio::spawn(async move {
            let mut created = Vec::new();
            // Up to the account's quota of API-key providers, less those written before.
            while running.load(Ordering::SeqCst) && created.len() < 40 {
                let name = format!("New-{}", created.len());
                let outcome = match create_api_key_provider(&control, &name).await {
                    Ok(()) => vend(if created.len() % 2 == 0 { a } else { b }, &key, &name, false).await,
                    Err(e) => Err(format!("create {name}: {e}")),
                };
                if let Err(e) = outcome {
                    failed.lock().unwrap().push(e);
                }
                created.push(name);
            }
            created
        })
    };
    let served = || ok.load(Ordering::SeqCst);
    // Bounded: if vends stop succeeding the test fails, naming the failures, rather than hang.
    let served_at_least = async |n: u64| {
        let wait = async {
            while served() < n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        if tokio::time::timeout(Duration::from_secs(60), wait).await.is_err() {
            panic!("only {} vends served in 60 s; failures: {:?}", served(), failed.lock().unwrap());
        }
    };
    served_at_least(100).await;
    // Re-wrap under k2, and rotate the data key three times over (each re-encrypting every
    // ciphertext of the account), while the load goes on.
    let mut vaults = pb::token_vault_service_client::TokenVaultServiceClient::new(control.clone());
    for round in 0..3 {
        let request = pb::RotateTokenVaultKeyRequest {
            key_id: Some("k2".to_owned()),
            rotate_data_key: true,
            ..Default::default()
        };
        let rotated = vaults.rotate_token_vault_key(authed(request, ADMIN)).await.unwrap().into_inner();
        assert_eq!(rotated.current_key_id, "k2");
        assert_eq!(rotated.current_data_key_id, format!("v{}", round + 2));
        assert!(rotated.reencrypted_count > KEYS as i64 && (round > 0 || rotated.rewrapped_count == 1), "{rotated:?}");
    }
    served_at_least(served() + 100).await;
    running.store(false, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    let created = writer.await.unwrap();
    let failed = failed.lock().unwrap().clone();
    assert!(failed.is_empty(), "{} vends failed of {}: {:?}", failed.len(), served(), &failed[..failed.len().min(5)]);

    // Nothing is left under k1: it may leave the ring.
    let status = vault(&control).await;
    assert_eq!(status.current_key_id, "k2");
    assert_eq!(key_counts(&status, "k1"), (0, 0, true), "{status:?}");
    assert!(status.data_keys.iter().all(|k| k.wrapping_key_id == "k2"), "{status:?}");

    // A data plane whose ring holds k2 alone, on a fresh cache prefix (so it reads the
    // database), serves every provider, old and new, and mints WATs with the stored signing key.
    let (_c, c) = stack.data_plane(K2, &format!("{}fresh:", stack.prefix)).await;
    for i in 0..KEYS {
        vend(c, &key, &format!("Key-{i}"), i == 0).await.unwrap();
    }
    for name in &created {
        vend(c, &key, name, false).await.unwrap();
    }
}
