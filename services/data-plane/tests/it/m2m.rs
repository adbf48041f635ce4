//! M2M against a token endpoint on loopback that counts its calls: fast checks of caching,
//! scopes in the cache key, expiry and provider errors. (The real-IdP scenario is in `idp.rs`.)

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{Form, Json, Router, extract::State, http::HeaderMap, routing::post};
use identity_domain::{
    AuthorizationServerMetadata, Oauth2Config, Oauth2Discovery, ProviderConfig, ProviderSpec, ProviderStatus,
    SecretString, Vendor,
};
use identity_proto::v1::{self as pb, get_resource_oauth2_access_token_request::CredentialProvider};
use identity_testkit::SqliteDb;
use serde_json::json;
use tonic::Code;

use crate::support::{DataPlane, access_key, account_a, config, error_of, open_store, workload};

#[derive(Clone)]
struct Endpoint {
    calls: Arc<AtomicU64>,
    expires_in: u64,
}

async fn token(
    State(endpoint): State<Endpoint>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> (axum::http::StatusCode, Json<serde_json::Value>) {
    let n = endpoint.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let basic = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    // "m2m-client:m2m-secret", as RFC 6749 §2.3.1 Basic.
    if basic != "Basic bTJtLWNsaWVudDptMm0tc2VjcmV0" {
        return (axum::http::StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"})));
    }
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(field("grant_type"), "client_credentials");
    (
        axum::http::StatusCode::OK,
        Json(
            json!({"access_token": format!("m2m-token-{n}"), "token_type": "Bearer", "expires_in": endpoint.expires_in, "scope": field("scope")}),
        ),
    )
}

async fn token_endpoint(expires_in: u64) -> (SocketAddr, Arc<AtomicU64>) {
    let calls = Arc::new(AtomicU64::new(0));
    let router = Router::new()
        .route("/token", post(token))
        .route("/garbage", post(|| async { "<html>upstream proxy error</html>" }))
        .with_state(Endpoint { calls: calls.clone(), expires_in });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (addr, calls)
}

struct World {
    plane: DataPlane,
    key: String,
    wat: String,
    calls: Arc<AtomicU64>,
    _db: SqliteDb,
}

async fn world(expires_in: u64, secret: &str, allow_loopback: bool) -> World {
    world_at("/token", expires_in, secret, allow_loopback).await
}

async fn world_at(path: &str, expires_in: u64, secret: &str, allow_loopback: bool) -> World {
    let (addr, calls) = token_endpoint(expires_in).await;
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    let spec = ProviderSpec {
        name: "Backend".to_owned(),
        config: ProviderConfig::Oauth2(Oauth2Config {
            vendor: Vendor::CustomOauth2,
            client_id: "m2m-client".to_owned(),
            discovery: Oauth2Discovery {
                discovery_url: None,
                metadata: Some(AuthorizationServerMetadata {
                    issuer: format!("http://{addr}"),
                    authorization_endpoint: format!("http://{addr}/authorize"),
                    token_endpoint: format!("http://{addr}{path}"),
                    ..Default::default()
                }),
            },
            tenant: String::new(),
            default_scopes: vec!["backend:read".to_owned()],
            token_exchange: None,
        }),
        secret: SecretString::new(secret.to_owned()),
        tags: Default::default(),
    };
    store.create_credential_provider(&a, spec, ProviderStatus::Active).await.unwrap();
    let key = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    let extra: &[&str] = if allow_loopback { &["--outbound-allowed-networks", "127.0.0.0/8"] } else { &[] };
    let plane = DataPlane::start(config(&db, extra)).await;
    let wat = plane
        .client(Some(&key))
        .await
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    World { plane, key, wat, calls, _db: db }
}

async fn m2m(w: &World, scopes: &[&str]) -> Result<pb::GetResourceOauth2AccessTokenResponse, tonic::Status> {
    let request = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: w.wat.clone(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Backend".to_owned())),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        oauth2_flow: pb::Oauth2Flow::M2m as i32,
        ..Default::default()
    };
    w.plane.client(Some(&w.key)).await.get_resource_oauth2_access_token(request).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn m2m_tokens_are_cached_per_scope_set() {
    let w = world(3600, "m2m-secret", true).await;
    let first = m2m(&w, &["backend:read"]).await.unwrap();
    assert_eq!((first.access_token.as_str(), first.token_type.as_str()), ("m2m-token-1", "Bearer"));
    assert!((3500..=3600).contains(&first.expires_in), "{}", first.expires_in);
    assert!(first.expires_at.is_some() && first.authorization_url.is_empty());
    assert_eq!(first.scopes, ["backend:read"]);
    // The same scopes (in any order, repeated) come from the cache: the endpoint is not called again.
    assert_eq!(m2m(&w, &["backend:read", "backend:read"]).await.unwrap().access_token, "m2m-token-1");
    assert_eq!(w.calls.load(Ordering::SeqCst), 1);
    // Other scopes are another token.
    assert_eq!(m2m(&w, &["backend:write", "backend:read"]).await.unwrap().access_token, "m2m-token-2");
    assert_eq!(m2m(&w, &["backend:read", "backend:write"]).await.unwrap().access_token, "m2m-token-2");
    assert_eq!(w.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_expiring_token_is_fetched_again() {
    // 61 s of life minus the 60 s margin: cached for one second.
    let w = world(61, "m2m-secret", true).await;
    assert_eq!(m2m(&w, &[]).await.unwrap().access_token, "m2m-token-1");
    for _ in 0..100 {
        if m2m(&w, &[]).await.unwrap().access_token != "m2m-token-1" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the token was not refetched after it neared expiry");
}

#[tokio::test]
async fn provider_refusals_are_authorization_failed_with_the_provider_code() {
    let w = world(3600, "wrong-secret", true).await;
    let err = m2m(&w, &[]).await.unwrap_err();
    let (code, reason, metadata) = error_of(&err);
    assert_eq!((code, reason.as_str()), (Code::FailedPrecondition, "AuthorizationFailed"));
    assert_eq!(metadata.get("provider_error").map(String::as_str), Some("invalid_client"));
    assert!(!err.message().contains("wrong-secret"));
}

#[tokio::test]
async fn loopback_providers_are_refused_unless_allowed() {
    let w = world(3600, "m2m-secret", false).await;
    let err = m2m(&w, &[]).await.unwrap_err();
    assert_eq!(error_of(&err).2.get("provider_error").map(String::as_str), Some("provider_unreachable"));
    assert_eq!(w.calls.load(Ordering::SeqCst), 0, "the request never left");
}

#[tokio::test]
async fn the_flow_must_be_named() {
    let w = world(3600, "m2m-secret", true).await;
    let request = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: w.wat.clone(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Backend".to_owned())),
        ..Default::default()
    };
    let err = w.plane.client(Some(&w.key)).await.get_resource_oauth2_access_token(request).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");
}

#[tokio::test]
async fn a_provider_answering_garbage_is_authorization_failed() {
    let w = world_at("/garbage", 3600, "m2m-secret", true).await;
    let err = m2m(&w, &[]).await.unwrap_err();
    let (code, reason, metadata) = error_of(&err);
    assert_eq!((code, reason.as_str()), (Code::FailedPrecondition, "AuthorizationFailed"));
    assert_eq!(metadata.get("provider_error").map(String::as_str), Some("invalid_response"));
    assert!(!err.message().contains("upstream proxy"), "the provider's body is not echoed");
}
