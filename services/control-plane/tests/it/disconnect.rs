//! DeleteUserTokens' revocations: concurrent within a budget, one discovery read per provider,
//! and not when the user still holds another grant of the provider (whose consent some vendors
//! revoke as a whole). The grants are written to the store as the data plane does at a callback.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, routing::get, routing::post};
use identity_crypto::MasterKeyRing;
use identity_domain::{AccountId, Quotas, SecretString, StoredGrant};
use identity_proto::v1::{self as pb, delete_user_tokens_request::CredentialProvider as P};
use identity_store::{OauthSession, SessionStatus, Store, StoreOptions};
use serde_json::json;
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, MASTER_KEYS, Server, error_of};

/// What the provider's server saw: discovery reads and revocation requests.
#[derive(Default)]
struct Seen {
    discovery: AtomicUsize,
    revocations: AtomicUsize,
}

/// An OAuth server on loopback whose revocation endpoint confirms the token `fast-refresh` and
/// never answers for any other.
async fn provider_server(seen: Arc<Seen>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let discovery_seen = seen.clone();
    let router = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                discovery_seen.discovery.fetch_add(1, Ordering::SeqCst);
                async move {
                    Json(json!({
                        "issuer": format!("http://{addr}"),
                        "authorization_endpoint": format!("http://{addr}/auth"),
                        "token_endpoint": format!("http://{addr}/token"),
                        "revocation_endpoint": format!("http://{addr}/revoke"),
                        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                    }))
                }
            }),
        )
        .route(
            "/revoke",
            post(move |body: String| {
                seen.revocations.fetch_add(1, Ordering::SeqCst);
                async move {
                    if !body.contains("token=fast-refresh") {
                        std::future::pending::<()>().await;
                    }
                }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// A control plane with a custom provider `Idp` at `addr` and workload identities agent-1 and
/// agent-2, and a store on its database.
async fn setup(addr: std::net::SocketAddr) -> (Server, Store, String) {
    setup_with(addr, &[]).await
}

/// [`setup`] with more control-plane flags.
async fn setup_with(addr: std::net::SocketAddr, extra: &[&str]) -> (Server, Store, String) {
    let server = Server::sqlite(&[&["--outbound-allowed-networks", "127.0.0.0/8"], extra].concat()).await;
    let mut workloads = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    for name in ["agent-1", "agent-2"] {
        let create = pb::CreateWorkloadIdentityRequest { name: name.to_owned(), ..Default::default() };
        workloads.create_workload_identity(create).await.unwrap();
    }
    let mut providers = server.providers(Some(BOOTSTRAP_TOKEN)).await;
    let create = pb::CreateCredentialProviderRequest {
        name: "Idp".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(
            pb::Oauth2ProviderConfigInput {
                client_id: "client".to_owned(),
                client_secret: "secret".to_owned(),
                oauth_discovery: Some(pb::Oauth2Discovery {
                    discovery_url: format!("http://{addr}/.well-known/openid-configuration"),
                    authorization_server_metadata: None,
                }),
                ..Default::default()
            },
        )),
        tags: Default::default(),
    };
    let provider = providers.create_credential_provider(create).await.unwrap().into_inner().credential_provider;
    let provider_id = provider.unwrap().credential_provider_id;
    let mut active = false;
    for _ in 0..400 {
        let get = pb::GetCredentialProviderRequest { name: "Idp".to_owned() };
        let found = providers.get_credential_provider(get).await.unwrap().into_inner().credential_provider.unwrap();
        if found.status == pb::CredentialProviderStatus::Active as i32 {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(active, "the provider's discovery did not finish");
    let store = Store::connect(StoreOptions {
        url: server.database_url().to_owned(),
        keyring: Arc::new(MasterKeyRing::parse(MASTER_KEYS).unwrap()),
        clock: Arc::new(identity_server::SystemClock),
        quotas: Quotas::default(),
        max_connections: 2,
    })
    .await
    .unwrap();
    (server, store, provider_id)
}

/// Stores alice's grant for `workload` at the provider, holding `refresh_token`.
async fn grant(store: &Store, provider_id: &str, workload: &str, scopes_key: &str, refresh_token: &str) {
    let account = AccountId::default_account();
    let identity = store.get_workload_identity(&account, workload).await.unwrap();
    let session = OauthSession {
        session_id: format!("session-{workload}-{scopes_key}"),
        account: account.clone(),
        workload_id: identity.id.clone(),
        workload_name: workload.to_owned(),
        user_id: "alice".to_owned(),
        provider_id: provider_id.to_owned(),
        provider_name: "Idp".to_owned(),
        scopes: vec![],
        return_url: "https://app.example.com/done".to_owned(),
        custom_params: Default::default(),
        code_challenge: "challenge".to_owned(),
        status: SessionStatus::Pending,
        failure: String::new(),
        expires_at: i64::MAX / 2,
    };
    store.create_oauth_session(&session, &SecretString::new("verifier".to_owned())).await.unwrap();
    let state = format!("state-{}", session.session_id);
    assert!(store.redirect_oauth_session(&session.session_id, &state).await.unwrap());
    store.take_oauth_callback(&state, provider_id).await.unwrap().unwrap();
    let stored = StoredGrant {
        access_token: SecretString::new("access".to_owned()),
        token_type: "Bearer".to_owned(),
        expires_at: None,
        refresh_token: Some(SecretString::new(refresh_token.to_owned())),
        scopes: vec![],
    };
    let plain = serde_json::to_vec(&stored).unwrap();
    store.finish_oauth_callback(&session, Ok(&plain)).await.unwrap();
    store.complete_oauth_session(&session, scopes_key).await.unwrap();
}

fn for_alice(workload: Option<&str>) -> pb::DeleteUserTokensRequest {
    pb::DeleteUserTokensRequest {
        user_id: "alice".to_owned(),
        credential_provider: Some(P::ResourceCredentialProviderName("Idp".to_owned())),
        workload_name: workload.map(str::to_owned),
        ..Default::default()
    }
}

/// Two grants whose revocation never answers and one that is confirmed: the call returns after
/// the revocation budget (5 s), not after each unreachable revocation's outbound timeout (10 s)
/// in turn, with every grant deleted and only the confirmed one counted as revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_revocations_do_not_hold_the_call() {
    let seen = Arc::new(Seen::default());
    let (server, store, provider_id) = setup(provider_server(seen.clone()).await).await;
    grant(&store, &provider_id, "agent-1", "k1", "slow-refresh-1").await;
    grant(&store, &provider_id, "agent-1", "k2", "slow-refresh-2").await;
    grant(&store, &provider_id, "agent-2", "k1", "fast-refresh").await;
    let discovered = seen.discovery.load(Ordering::SeqCst);

    #[allow(clippy::disallowed_methods)] // measures the call's duration, the point of this test
    let started = std::time::Instant::now();
    let done = server.token_vault(Some(BOOTSTRAP_TOKEN)).await.delete_user_tokens(for_alice(None)).await;
    let took = started.elapsed();
    let done = done.unwrap().into_inner();
    assert_eq!((done.deleted_count, done.revoked_count), (3, 1));
    // All three revocations were under way at once, after one read of the discovery document.
    assert_eq!(seen.revocations.load(Ordering::SeqCst), 3);
    assert_eq!(seen.discovery.load(Ordering::SeqCst) - discovered, 1);
    assert!(took < Duration::from_secs(9), "took {took:?}");
    eprintln!("DeleteUserTokens with two unanswered revocations took {took:?}");
}

/// With Redis unreachable (nothing listens at its address), the grants are still deleted and
/// revoked: the cached copies are left to the raised grant generation, and the unreachable Redis
/// costs the call one attempt, not one per grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_grants_are_still_deleted_and_revoked() {
    let seen = Arc::new(Seen::default());
    let redis = format!("redis://{}", identity_testkit::free_addr());
    let (server, store, provider_id) = setup_with(provider_server(seen.clone()).await, &["--redis-url", &redis]).await;
    grant(&store, &provider_id, "agent-1", "k1", "fast-refresh").await;
    grant(&store, &provider_id, "agent-1", "k2", "fast-refresh-2").await;
    let done = server.token_vault(Some(BOOTSTRAP_TOKEN)).await.delete_user_tokens(for_alice(None)).await;
    let done = done.unwrap().into_inner();
    assert_eq!((done.deleted_count, done.revoked_count), (2, 2));
    let again = server.token_vault(Some(BOOTSTRAP_TOKEN)).await.delete_user_tokens(for_alice(None)).await;
    assert_eq!(again.unwrap().into_inner().deleted_count, 0, "nothing of alice's is left");
}

/// Revoking one workload identity's grant could end the user's consent for the provider's client
/// as a whole (Google does): while another grant of the provider remains, nothing is revoked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_still_shared_by_another_workload_is_not_revoked() {
    let seen = Arc::new(Seen::default());
    let (server, store, provider_id) = setup(provider_server(seen.clone()).await).await;
    grant(&store, &provider_id, "agent-1", "k1", "fast-refresh").await;
    grant(&store, &provider_id, "agent-2", "k1", "fast-refresh").await;
    let mut vault = server.token_vault(Some(BOOTSTRAP_TOKEN)).await;

    let done = vault.delete_user_tokens(for_alice(Some("agent-1"))).await.unwrap().into_inner();
    assert_eq!((done.deleted_count, done.revoked_count), (1, 0));
    assert_eq!(seen.revocations.load(Ordering::SeqCst), 0, "agent-2's grant still needs the consent");

    let done = vault.delete_user_tokens(for_alice(Some("agent-2"))).await.unwrap().into_inner();
    assert_eq!((done.deleted_count, done.revoked_count), (1, 1));
    assert_eq!(seen.revocations.load(Ordering::SeqCst), 1);
}

/// An API key provider holds no users' tokens: naming it is refused, by name as by ARN.
#[tokio::test]
async fn an_api_key_provider_is_refused() {
    let server = Server::sqlite(&[]).await;
    let create = pb::CreateCredentialProviderRequest {
        name: "GitHub".to_owned(),
        credential_provider_vendor: 0,
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput {
                api_key: "ghp_0123456789abcdef".to_owned(),
                header_name: "Authorization".to_owned(),
                vendor: "github".to_owned(),
            },
        )),
        tags: Default::default(),
    };
    server.providers(Some(BOOTSTRAP_TOKEN)).await.create_credential_provider(create).await.unwrap();
    let mut vault = server.token_vault(Some(BOOTSTRAP_TOKEN)).await;
    let mut request = for_alice(None);
    request.credential_provider = Some(P::ResourceCredentialProviderName("GitHub".to_owned()));
    let refused = vault.delete_user_tokens(request).await.unwrap_err();
    let (code, _, fields) = error_of(&refused);
    assert_eq!((code, fields), (Code::InvalidArgument, vec!["resource_credential_provider_name".to_owned()]));
    assert!(refused.message().contains("API key"), "{refused:?}");
}
