//! M2M against the real oidc-provider through Redis (cached, sealed, refetched after expiry),
//! and vending through a Redis outage: the data plane falls back to the database and uses the
//! cache again once Redis is back.

use std::{
    net::SocketAddr,
    process::{Child, Command},
    time::Duration,
};

use identity_domain::{
    AuthorizationServerMetadata, Oauth2Config, Oauth2Discovery, ProviderConfig, ProviderSpec, ProviderStatus,
    SecretString, Vendor,
};
use identity_proto::v1::{self as pb, get_resource_oauth2_access_token_request::CredentialProvider};
use identity_testkit::{
    SqliteDb,
    idp::{IdpClient, IdpConfig, TestIdp},
    process::{self, Ports},
};

use crate::support::{DataPlane, GITHUB_KEY, access_key, account_a, api_key_provider, config, open_store, workload};

async fn wat(plane: &DataPlane, key: &str) -> String {
    plane
        .client(Some(key))
        .await
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token
}

async fn redis_values(url: &str, prefix: &str) -> Vec<Vec<u8>> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap();
    let mut values = Vec::new();
    for key in keys {
        if let Ok(value) = redis::cmd("GET").arg(&key).query_async::<Vec<u8>>(&mut conn).await {
            values.push(value);
        }
    }
    values
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m2m_against_the_idp_is_cached_sealed_and_refetched_after_expiry() {
    let Some(redis) = identity_testkit::redis_url().await else { return };
    // 65 s tokens, handed out until a minute before expiry: cached for five seconds.
    let Some(idp) = TestIdp::start(IdpConfig {
        clients: vec![IdpClient::service("svc", "svc-secret-8d2a")],
        access_token_ttl_secs: Some(65),
        ..IdpConfig::default()
    })
    .await
    else {
        return;
    };
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    let spec = ProviderSpec {
        name: "Idp".to_owned(),
        config: ProviderConfig::Oauth2(Oauth2Config {
            vendor: Vendor::CustomOauth2,
            client_id: "svc".to_owned(),
            discovery: Oauth2Discovery {
                discovery_url: None,
                metadata: Some(AuthorizationServerMetadata {
                    issuer: idp.issuer().to_owned(),
                    authorization_endpoint: idp.authorization_endpoint(),
                    token_endpoint: idp.token_endpoint(),
                    ..Default::default()
                }),
            },
            tenant: String::new(),
            default_scopes: vec!["read".to_owned()],
            token_exchange: None,
        }),
        secret: SecretString::new("svc-secret-8d2a".to_owned()),
        tags: Default::default(),
    };
    store.create_credential_provider(&a, spec, ProviderStatus::Active).await.unwrap();
    let key = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    let prefix = format!("m2m-idp:{}:", identity_testkit::unique_suffix());
    let plane = DataPlane::start(config(
        &db,
        &["--outbound-allowed-networks", "127.0.0.0/8", "--redis-url", &redis, "--redis-key-prefix", &prefix],
    ))
    .await;
    let wat = wat(&plane, &key).await;
    let vend = || {
        let request = pb::GetResourceOauth2AccessTokenRequest {
            workload_identity_token: wat.clone(),
            credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Idp".to_owned())),
            oauth2_flow: pb::Oauth2Flow::M2m as i32,
            ..Default::default()
        };
        let plane = &plane;
        let key = key.clone();
        async move { plane.client(Some(&key)).await.get_resource_oauth2_access_token(request).await.unwrap().into_inner() }
    };

    let first = vend().await;
    assert_eq!(first.token_type, "Bearer");
    assert!(first.expires_in > 0 && first.expires_at.is_some());
    assert_eq!(vend().await.access_token, first.access_token, "the second call is served from the cache");
    assert_eq!(idp.counters().await.token.get("client_credentials"), Some(&1), "the IdP saw one request");

    // Redis holds the token sealed, never in clear.
    let values = redis_values(&redis, &prefix).await;
    assert!(!values.is_empty());
    for value in &values {
        assert!(
            !value.windows(first.access_token.len()).any(|w| w == first.access_token.as_bytes()),
            "plaintext token in Redis"
        );
    }

    // Near expiry, the token is fetched again.
    for _ in 0..300 {
        if vend().await.access_token != first.access_token {
            assert_eq!(idp.counters().await.token.get("client_credentials"), Some(&2));
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the M2M token was not refetched near its expiry");
}

/// A Redis server of this test's own, on a free port.
struct PrivateRedis {
    addr: SocketAddr,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts redis-server on `ports` and waits until it answers PING; `None` (after
    /// `skip_or_fail`) when there is no redis-server to run.
    async fn start(ports: Ports<1>) -> Option<Self> {
        if let Err(e) = Command::new("redis-server").arg("--version").output() {
            identity_testkit::skip_or_fail("redis-server (to stop and restart Redis)", &e.to_string());
            return None;
        }
        let command = |[addr]: &[SocketAddr; 1]| {
            let (mut command, port) = (Command::new("redis-server"), addr.port().to_string());
            command.args(["--bind", "127.0.0.1", "--port", &port, "--save", "", "--appendonly", "no"]);
            command
        };
        let started = process::start("redis-server", ports, None, command, async |[addr]: &[SocketAddr; 1]| {
            let Ok(client) = redis::Client::open(format!("redis://{addr}")) else { return false };
            let Ok(mut conn) = client.get_multiplexed_async_connection().await else { return false };
            redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
        })
        .await;
        let [addr] = started.addrs;
        Some(Self { addr, child: Some(started.child) })
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vends_survive_a_redis_outage_and_use_the_cache_again_after() {
    let Some(mut redis) = PrivateRedis::start(Ports::Fresh).await else { return };
    let addr = redis.addr;
    let url = format!("redis://{addr}");
    let prefix = "outage:";

    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    api_key_provider(&store, &a, "GitHubProvider", GITHUB_KEY).await;
    let key = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    let plane = DataPlane::start(config(&db, &["--redis-url", &url, "--redis-key-prefix", prefix])).await;
    let token = wat(&plane, &key).await;
    let vend = || async {
        let request = pb::GetApiKeyCredentialRequest {
            workload_identity_token: token.clone(),
            credential_provider: Some(
                pb::get_api_key_credential_request::CredentialProvider::ResourceCredentialProviderName(
                    "GitHubProvider".to_owned(),
                ),
            ),
        };
        plane.client(Some(&key)).await.get_api_key_credential(request).await.map(|r| r.into_inner().api_key)
    };

    assert_eq!(vend().await.unwrap(), GITHUB_KEY);
    assert_eq!(redis_values(&url, prefix).await.len(), 1, "the vend was cached in Redis");

    // Redis goes away: vends keep succeeding from the database.
    redis.kill();
    for _ in 0..5 {
        assert_eq!(vend().await.unwrap(), GITHUB_KEY);
    }

    // Redis comes back (empty): the cache is used again.
    // At the same address: the data plane reconnects to the URL it was given.
    let _restarted = PrivateRedis::start(Ports::Fixed([addr])).await.unwrap();
    for _ in 0..200 {
        assert_eq!(vend().await.unwrap(), GITHUB_KEY);
        if !redis_values(&url, prefix).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the cache was not used again after Redis returned");
}
