//! USER_FEDERATION end to end against the real oidc-provider: the authorize endpoint, the
//! provider's login, the callback with PKCE, session binding, and the vend that follows.

use std::net::SocketAddr;

use identity_domain::{
    AuthorizationServerMetadata, Oauth2Config, Oauth2Discovery, ProviderConfig, ProviderSpec, ProviderStatus,
    SecretString, Vendor, WorkloadAttributes, WorkloadIdentitySpec, WorkloadIdentityType,
};
use identity_proto::v1::{
    self as pb, get_resource_oauth2_access_token_request::CredentialProvider, user_identifier::Identifier,
};
use identity_testkit::{
    SqliteDb,
    idp::{IdpClient, IdpConfig, TestIdp},
};
use tonic::Code;

use crate::support::{DataPlane, access_key, account_a, config, error_of, open_store};

const RETURN_URL: &str = "https://app.example.com/oauth/done";
const WEB_APP: (&str, &str) = ("web-app", "web-app-secret-3f1c");

struct World {
    idp: TestIdp,
    plane: DataPlane,
    /// More replicas on the same database (and cache, when given one).
    others: Vec<DataPlane>,
    key: String,
    db: SqliteDb,
}

async fn world() -> Option<World> {
    world_with(None, &[], 0).await
}

/// The IdP issuing access tokens living `ttl` seconds; `replicas` more data planes with `extra` flags.
async fn world_with(ttl: Option<u64>, extra: &[&str], replicas: usize) -> Option<World> {
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let a = account_a();
    for name in ["agent-x", "agent-y"] {
        let spec = WorkloadIdentitySpec {
            name: name.to_owned(),
            description: String::new(),
            kind: WorkloadIdentityType::Agent,
            attributes: WorkloadAttributes::default(),
            allowed_return_urls: vec![RETURN_URL.to_owned()],
            tags: Default::default(),
            authorizers: vec![],
        };
        store.create_workload_identity(&a, spec).await.unwrap();
    }
    let spec = |metadata: AuthorizationServerMetadata, secret: &str| ProviderSpec {
        name: "Idp".to_owned(),
        config: ProviderConfig::Oauth2(Oauth2Config {
            vendor: Vendor::CustomOauth2,
            client_id: WEB_APP.0.to_owned(),
            discovery: Oauth2Discovery { discovery_url: None, metadata: Some(metadata) },
            tenant: String::new(),
            default_scopes: vec!["read".to_owned()],
            token_exchange: None,
        }),
        secret: SecretString::new(secret.to_owned()),
        tags: Default::default(),
    };
    // The provider's id is in the callback URL the IdP must know: create it, then start the IdP.
    let placeholder = AuthorizationServerMetadata {
        issuer: "http://127.0.0.1:9".to_owned(),
        authorization_endpoint: "http://127.0.0.1:9/auth".to_owned(),
        token_endpoint: "http://127.0.0.1:9/token".to_owned(),
        ..Default::default()
    };
    let provider =
        store.create_credential_provider(&a, spec(placeholder, WEB_APP.1), ProviderStatus::Active).await.unwrap();
    let http_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http: SocketAddr = http_listener.local_addr().unwrap();
    let callback = format!("http://{http}/identities/oauth2/callback/{}", provider.id);
    let idp = TestIdp::start(IdpConfig {
        clients: vec![IdpClient::web_app(WEB_APP.0, WEB_APP.1, &callback)],
        access_token_ttl_secs: ttl,
        ..IdpConfig::default()
    })
    .await?;
    let metadata = AuthorizationServerMetadata {
        issuer: idp.issuer().to_owned(),
        authorization_endpoint: idp.authorization_endpoint(),
        token_endpoint: idp.token_endpoint(),
        ..Default::default()
    };
    store.update_credential_provider(&a, spec(metadata, ""), ProviderStatus::Active).await.unwrap();
    let key = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    let public = format!("http://{http}");
    let mut flags = vec!["--outbound-allowed-networks", "127.0.0.0/8", "--public-base-url", &public];
    flags.extend_from_slice(extra);
    let plane = DataPlane::start_on(config(&db, &flags), http_listener).await;
    let mut others = Vec::new();
    for _ in 0..replicas {
        others.push(DataPlane::start(config(&db, &flags)).await);
    }
    Some(World { idp, plane, others, key, db })
}

async fn wat(w: &World, workload: &str, user: &str) -> String {
    let request =
        pb::GetWorkloadAccessTokenForUserIdRequest { workload_name: workload.to_owned(), user_id: user.to_owned() };
    w.plane
        .client(Some(&w.key))
        .await
        .get_workload_access_token_for_user_id(request)
        .await
        .unwrap()
        .into_inner()
        .workload_access_token
}

async fn user_token(
    w: &World,
    wat: &str,
    return_url: &str,
) -> Result<pb::GetResourceOauth2AccessTokenResponse, tonic::Status> {
    let request = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Idp".to_owned())),
        scopes: vec!["read".to_owned()],
        oauth2_flow: pb::Oauth2Flow::UserFederation as i32,
        resource_oauth2_return_url: return_url.to_owned(),
        custom_parameters: [("ui_locales".to_owned(), "en".to_owned())].into(),
        ..Default::default()
    };
    w.plane.client(Some(&w.key)).await.get_resource_oauth2_access_token(request).await.map(|r| r.into_inner())
}

async fn complete(w: &World, session_uri: &str, user: &str) -> Result<(), tonic::Status> {
    let request = pb::CompleteResourceTokenAuthRequest {
        user_identifier: Some(pb::UserIdentifier { identifier: Some(Identifier::UserId(user.to_owned())) }),
        session_uri: session_uri.to_owned(),
    };
    w.plane.client(Some(&w.key)).await.complete_resource_token_auth(request).await.map(|_| ())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn location(response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    response.headers().get("location").unwrap().to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_legged_flow_with_pkce_and_session_binding() {
    let Some(w) = world().await else { return };
    let alice = wat(&w, "agent-x", "alice").await;

    // No grant yet: an authorization URL on this service and a session, never a token.
    let started = user_token(&w, &alice, RETURN_URL).await.unwrap();
    assert!(started.access_token.is_empty());
    assert!(started.session_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert_eq!(started.session_status, pb::SessionStatus::InProgress as i32);
    assert!(
        started.authorization_url.contains("/identities/oauth2/authorize?request_uri="),
        "{}",
        started.authorization_url
    );

    // The authorize endpoint sends the browser to the IdP with PKCE S256, a state and the custom parameter.
    let http = no_redirects();
    let to_idp = location(&http.get(&started.authorization_url).send().await.unwrap());
    let idp_url = url::Url::parse(&to_idp).unwrap();
    let query: std::collections::HashMap<_, _> = idp_url.query_pairs().into_owned().collect();
    assert_eq!(query.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert_eq!(query.get("code_challenge").map(String::len), Some(43));
    assert!(query.get("state").is_some_and(|s| s.len() >= 32));
    assert_eq!(query.get("ui_locales").map(String::as_str), Some("en"));
    // The authorization URL is single-use.
    assert_eq!(http.get(&started.authorization_url).send().await.unwrap().status(), 400);

    // Alice logs in at the IdP; it calls back; the callback exchanges the code (the IdP requires
    // PKCE, so this succeeds only with the right verifier) and returns to the app.
    let callback = w.idp.authorize_as(&to_idp, "alice").await;
    let back = location(&http.get(&callback).send().await.unwrap());
    assert!(back.starts_with(RETURN_URL) && back.contains("session_uri="), "{back}");
    assert!(!back.contains("error="), "{back}");
    assert_eq!(w.idp.counters().await.token.get("authorization_code"), Some(&1));
    // Replaying the callback (the same state) fails.
    assert_eq!(http.get(&callback).send().await.unwrap().status(), 400);
    assert_eq!(w.idp.counters().await.token.get("authorization_code"), Some(&1), "a replay never reaches the IdP");

    // Until alice completes, no token is vended to anyone.
    assert!(user_token(&w, &alice, RETURN_URL).await.unwrap().access_token.is_empty());
    // A key limited to another workload is refused before the session is used up.
    let other_key = access_key(&open_store(&w.db).await, &account_a(), "AKIAYYYYYYYYYYYYYYYY", &["agent-y"]).await;
    let request = pb::CompleteResourceTokenAuthRequest {
        user_identifier: Some(pb::UserIdentifier { identifier: Some(Identifier::UserId("alice".to_owned())) }),
        session_uri: started.session_uri.clone(),
    };
    let err = w.plane.client(Some(&other_key)).await.complete_resource_token_auth(request).await.unwrap_err();
    assert_eq!((error_of(&err).0, error_of(&err).1.as_str()), (Code::PermissionDenied, "AccessDeniedException"));
    assert!(
        user_token(&w, &alice, RETURN_URL).await.unwrap().access_token.is_empty(),
        "the refused call must not have completed the session"
    );
    // Session binding: bob cannot complete alice's session.
    let err = complete(&w, &started.session_uri, "bob").await.unwrap_err();
    assert_eq!((error_of(&err).0, error_of(&err).1.as_str()), (Code::PermissionDenied, "AccessDeniedException"));
    assert!(err.message().contains("another user"), "{}", err.message());
    complete(&w, &started.session_uri, "alice").await.unwrap();

    let vended = user_token(&w, &alice, RETURN_URL).await.unwrap();
    assert!(!vended.access_token.is_empty() && vended.authorization_url.is_empty());
    assert!(vended.expires_in > 0 && vended.expires_at.is_some() && !vended.token_type.is_empty());
    let claims: serde_json::Value = {
        use base64::Engine as _;
        let payload = vended.access_token.split('.').nth(1).unwrap();
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    };
    assert_eq!(claims["sub"], "alice", "the IdP issued it for alice");

    // force_authentication starts a new flow although a usable grant exists.
    let forced_request = || pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: alice.clone(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Idp".to_owned())),
        scopes: vec!["read".to_owned()],
        oauth2_flow: pb::Oauth2Flow::UserFederation as i32,
        resource_oauth2_return_url: RETURN_URL.to_owned(),
        force_authentication: Some(true),
        ..Default::default()
    };
    let forced = w
        .plane
        .client(Some(&w.key))
        .await
        .get_resource_oauth2_access_token(forced_request())
        .await
        .unwrap()
        .into_inner();
    assert!(forced.access_token.is_empty() && !forced.authorization_url.is_empty());
    assert_ne!(forced.session_uri, started.session_uri);
    // This time alice refuses at the IdP: it calls back with an error, which goes to the app.
    let callback_of = async |authorization_url: &str, answer: &[(&str, &str)]| {
        let to_idp = url::Url::parse(&location(&http.get(authorization_url).send().await.unwrap())).unwrap();
        let query: std::collections::HashMap<_, _> = to_idp.query_pairs().into_owned().collect();
        let mut callback = url::Url::parse(&query["redirect_uri"]).unwrap();
        callback.query_pairs_mut().append_pair("state", &query["state"]).extend_pairs(answer);
        location(&http.get(callback.as_str()).send().await.unwrap())
    };
    let back = callback_of(&forced.authorization_url, &[("error", "access_denied")]).await;
    assert!(back.starts_with(RETURN_URL) && back.contains("error=access_denied"), "{back}");
    // And then a code the IdP does not know: the exchange fails.
    let again = w.plane.client(Some(&w.key)).await.get_resource_oauth2_access_token(forced_request()).await.unwrap();
    let back = callback_of(&again.into_inner().authorization_url, &[("code", "not-a-code")]).await;
    assert!(back.starts_with(RETURN_URL) && back.contains("error=invalid_grant"), "{back}");

    // Each return from the IdP is in the audit log, for alice (by hash); the replay is not.
    let store = open_store(&w.db).await;
    let callbacks = crate::audit::events_named(&store, &account_a(), "OAuth2Callback", 3).await;
    let alice_hash = identity_crypto::audit_user_hash("111111111111", "alice");
    let seen: Vec<_> = callbacks
        .iter()
        .map(|e| {
            let x = &e.entry;
            assert_eq!(
                (e.principal.as_str(), x.workload_name.as_str(), x.provider_name.as_str(), x.user_hash.as_str()),
                (format!("user:{alice_hash}").as_str(), "agent-x", "Idp", alice_hash.as_str())
            );
            assert_eq!(
                (x.oauth2_flow.as_str(), x.scopes.as_slice()),
                ("USER_FEDERATION", ["read".to_owned()].as_slice())
            );
            (x.outcome, x.error_reason.as_str())
        })
        .collect();
    use identity_domain::AuditOutcome::{Denied, Failure, Success};
    assert_eq!(
        seen,
        [(Success, ""), (Denied, "AuthorizationFailed:access_denied"), (Failure, "AuthorizationFailed:invalid_grant")]
    );

    // Bob's WAT, and alice's WAT for another workload, never reach alice's grant.
    let bob = wat(&w, "agent-x", "bob").await;
    assert!(user_token(&w, &bob, RETURN_URL).await.unwrap().access_token.is_empty());
    let alice_y = wat(&w, "agent-y", "alice").await;
    assert!(user_token(&w, &alice_y, RETURN_URL).await.unwrap().access_token.is_empty());

    // The database holds the grant sealed.
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&w.db.url).await.unwrap();
    let mut dump: Vec<u8> = Vec::new();
    for table in ["oauth_grants", "oauth_sessions"] {
        for row in sqlx::query(&format!("SELECT * FROM {table}")).fetch_all(&pool).await.unwrap() {
            use sqlx::Row as _;
            for i in 0..row.len() {
                if let Ok(text) = row.try_get::<String, _>(i) {
                    dump.extend(text.into_bytes());
                } else if let Ok(bytes) = row.try_get::<Vec<u8>, _>(i) {
                    dump.extend(bytes);
                }
            }
        }
    }
    assert!(!dump.is_empty());
    assert!(
        !dump.windows(vended.access_token.len()).any(|w| w == vended.access_token.as_bytes()),
        "plaintext token in the database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_urls_outside_the_allow_list_are_refused() {
    let Some(w) = world().await else { return };
    let alice = wat(&w, "agent-x", "alice").await;
    for url in ["https://evil.example.com/steal", ""] {
        let err = user_token(&w, &alice, url).await.unwrap_err();
        assert_eq!(error_of(&err).1, "ValidationException", "{url}");
    }
    // A WAT without a user cannot start a user flow.
    let anonymous = w
        .plane
        .client(Some(&w.key))
        .await
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    assert_eq!(error_of(&user_token(&w, &anonymous, RETURN_URL).await.unwrap_err()).1, "ValidationException");
    let err = complete(&w, "urn:ietf:params:oauth:request_uri:nope", "alice").await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
}

/// Completes alice's authorization for agent-x and returns her WAT.
async fn authorized_alice(w: &World) -> String {
    let alice = wat(w, "agent-x", "alice").await;
    let started = user_token(w, &alice, RETURN_URL).await.unwrap();
    let http = no_redirects();
    let to_idp = location(&http.get(&started.authorization_url).send().await.unwrap());
    let callback = w.idp.authorize_as(&to_idp, "alice").await;
    location(&http.get(&callback).send().await.unwrap());
    complete(w, &started.session_uri, "alice").await.unwrap();
    alice
}

async fn user_token_via(plane: &DataPlane, key: &str, wat: &str) -> Result<String, tonic::Status> {
    user_token_on(plane.client(Some(key)).await, wat).await
}

type DataClient = pb::identity_data_service_client::IdentityDataServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, crate::support::Bearer>,
>;

async fn user_token_on(mut client: DataClient, wat: &str) -> Result<String, tonic::Status> {
    let request = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Idp".to_owned())),
        scopes: vec!["read".to_owned()],
        oauth2_flow: pb::Oauth2Flow::UserFederation as i32,
        resource_oauth2_return_url: RETURN_URL.to_owned(),
        ..Default::default()
    };
    client.get_resource_oauth2_access_token(request).await.map(|r| r.into_inner().access_token)
}

/// With refresh-token rotation on at the IdP, 200 concurrent callers on two replicas sharing
/// Redis, all on one expiring grant, cause exactly one refresh and all get the same new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_callers_on_two_replicas_refresh_once() {
    let Some(redis) = identity_testkit::redis_url().await else { return };
    let prefix = format!("refresh-test:{}:", identity_testkit::unique_suffix());
    // Tokens live 120 s and are refreshed with under 115 s left: 5 s after issuance.
    let flags = ["--redis-url", &redis, "--redis-key-prefix", &prefix, "--token-refresh-margin", "115"];
    let Some(w) = world_with(Some(120), &flags, 1).await else { return };
    let alice = authorized_alice(&w).await;
    let first = user_token_via(&w.plane, &w.key, &alice).await.unwrap();
    assert!(!first.is_empty());
    assert_eq!(w.idp.counters().await.token.get("refresh_token"), None);
    // The refreshed token lives long, so that however slowly the 200 calls run on a loaded
    // machine, a second refresh can only come from a broken single flight.
    w.idp.set_access_token_ttl(3600).await;

    // Let the grant come within the refresh margin.
    tokio::time::sleep(std::time::Duration::from_millis(5_300)).await;
    // One connection per replica, as a real client would keep (200 new ones would only load
    // the machine).
    let clients = [w.plane.client(Some(&w.key)).await, w.others[0].client(Some(&w.key)).await];
    let callers: Vec<_> = (0..200).map(|i| user_token_on(clients[i % 2].clone(), &alice)).collect();
    let tokens = futures_join_all(callers).await;
    let distinct: std::collections::BTreeSet<_> = tokens.iter().map(|t| t.as_ref().unwrap().clone()).collect();
    assert_eq!(distinct.len(), 1, "every caller got the same token");
    assert_ne!(distinct.first().unwrap(), &first, "a new token");
    assert_eq!(w.idp.counters().await.token.get("refresh_token"), Some(&1), "exactly one refresh at the IdP");

    // RefreshToken forces one more, with the rotated refresh token (the old one is spent).
    let request = pb::RefreshTokenRequest {
        workload_identity_token: alice.clone(),
        credential_provider: Some(pb::refresh_token_request::CredentialProvider::ResourceCredentialProviderName(
            "Idp".to_owned(),
        )),
        scopes: vec!["read".to_owned()],
    };
    let forced = w.others[0].client(Some(&w.key)).await.refresh_token(request).await.unwrap().into_inner();
    assert!(!distinct.contains(&forced.access_token));
    assert!(forced.expires_in > 0);
    assert_eq!(w.idp.counters().await.token.get("refresh_token"), Some(&2));

    // Both refreshes are in the audit log, for alice (as a hash) and the workload.
    let store = open_store(&w.db).await;
    let refreshes = crate::audit::events_named(&store, &account_a(), "RefreshUserToken", 2).await;
    let alice_hash = identity_crypto::audit_user_hash("111111111111", "alice");
    for e in &refreshes {
        let x = &e.entry;
        assert_eq!(
            (x.workload_name.as_str(), x.provider_name.as_str(), x.user_hash.as_str()),
            ("agent-x", "Idp", alice_hash.as_str())
        );
        assert_eq!((x.outcome, x.oauth2_flow.as_str()), (identity_domain::AuditOutcome::Success, "USER_FEDERATION"));
    }
    // The forced refresh comes right before its RefreshToken call: a call's events are queued
    // and written together. The first refresh was queued by either replica, and the other's
    // queue may be written later, so it is not always the first of the two in the log.
    let forced = crate::audit::events_named(&store, &account_a(), "RefreshToken", 1).await;
    assert!(
        refreshes.iter().any(|e| e.sequence + 1 == forced[0].sequence),
        "the forced refresh is not just before its RefreshToken call: {refreshes:#?} {forced:#?}"
    );
}

async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut set = Vec::with_capacity(futures.len());
    for future in futures {
        set.push(future);
    }
    let mut results = Vec::with_capacity(set.len());
    let joined = futures::future::join_all(set).await;
    results.extend(joined);
    results
}

/// A provider that is down when a grant needs refreshing: TokenRefreshFailed with the cause,
/// and the stored grant untouched (the next attempt can still refresh it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_against_a_provider_that_is_down_leaves_the_grant_alone() {
    let Some(w) = world_with(Some(120), &["--token-refresh-margin", "115"], 0).await else { return };
    let alice = authorized_alice(&w).await;
    user_token_via(&w.plane, &w.key, &alice).await.unwrap();
    let World { idp, plane, key, db, others: _ } = w;
    drop(idp);
    tokio::time::sleep(std::time::Duration::from_millis(5_300)).await;

    let err = user_token_via(&plane, &key, &alice).await.unwrap_err();
    let (code, reason, metadata) = error_of(&err);
    assert_eq!((code, reason.as_str()), (Code::Unavailable, "TokenRefreshFailed"));
    assert_eq!(metadata.get("provider_error").map(String::as_str), Some("provider_unreachable"));

    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&db.url).await.unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM oauth_grants").fetch_all(&pool).await.unwrap();
    assert_eq!(versions, [1], "the grant is still there, unchanged");

    // The failed refresh is audited with the cause, before the vend it failed.
    let store = open_store(&db).await;
    let refresh = crate::audit::events_named(&store, &account_a(), "RefreshUserToken", 1).await;
    let x = &refresh[0].entry;
    assert_eq!(
        (x.outcome, x.error_reason.as_str()),
        (identity_domain::AuditOutcome::Failure, "TokenRefreshFailed:provider_unreachable")
    );
    assert_eq!((x.workload_name.as_str(), x.provider_name.as_str()), ("agent-x", "Idp"));
    let vends = crate::audit::events_named(&store, &account_a(), "GetResourceOauth2AccessToken", 3).await;
    let failed = vends.last().unwrap();
    assert_eq!((failed.sequence, failed.entry.error_reason.as_str()), (refresh[0].sequence + 1, "TokenRefreshFailed"));
    // The session's completion names the workload and the user it bound.
    let completed = crate::audit::events_named(&store, &account_a(), "CompleteResourceTokenAuth", 1).await;
    let alice_hash = identity_crypto::audit_user_hash("111111111111", "alice");
    assert_eq!(
        (completed[0].entry.workload_name.as_str(), completed[0].entry.user_hash.as_str()),
        ("agent-x", alice_hash.as_str())
    );
}

/// A TCP proxy in front of the IdP that, while closed, passes requests on but holds the IdP's
/// answers, and counts the requests that came while it was closed.
struct Gate {
    addr: SocketAddr,
    open: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    held: std::sync::Arc<tokio::sync::watch::Sender<usize>>,
}

impl Gate {
    async fn start(upstream: SocketAddr) -> Gate {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = std::sync::Arc::new(tokio::sync::watch::channel(true).0);
        let held = std::sync::Arc::new(tokio::sync::watch::channel(0).0);
        let (gate_open, gate_held) = (open.clone(), held.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { continue };
                let ((mut from_client, mut to_client), (mut from_server, mut to_server)) =
                    (client.into_split(), server.into_split());
                let (open, held) = (gate_open.clone(), gate_held.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0; 16 * 1024];
                    while let Ok(n @ 1..) = from_client.read(&mut buf).await {
                        if !*open.borrow() {
                            held.send_modify(|held| *held += 1);
                        }
                        if to_server.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
                let mut open = gate_open.subscribe();
                tokio::spawn(async move {
                    let mut buf = vec![0; 16 * 1024];
                    while let Ok(n @ 1..) = from_server.read(&mut buf).await {
                        if open.wait_for(|open| *open).await.is_err() || to_client.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Gate { addr, open, held }
    }

    /// Waits until a request has come while the gate was closed.
    async fn held_one(&self) {
        let mut held = self.held.subscribe();
        tokio::time::timeout(std::time::Duration::from_secs(10), held.wait_for(|held| *held > 0))
            .await
            .expect("no request reached the closed gate")
            .unwrap();
    }
}

/// Sends the data plane's token requests for the provider through `gate`.
async fn token_requests_through(w: &World, gate: &Gate) {
    let store = open_store(&w.db).await;
    let provider = store.get_credential_provider(&account_a(), "Idp").await.unwrap();
    let ProviderConfig::Oauth2(mut config) = provider.config else { panic!("an OAuth2 provider") };
    let metadata = config.discovery.metadata.as_mut().unwrap();
    let mut endpoint = url::Url::parse(&metadata.token_endpoint).unwrap();
    endpoint.set_port(Some(gate.addr.port())).unwrap();
    metadata.token_endpoint = endpoint.to_string();
    let spec = ProviderSpec {
        name: provider.name,
        config: ProviderConfig::Oauth2(config),
        secret: SecretString::new(String::new()),
        tags: provider.tags,
    };
    store.update_credential_provider(&account_a(), spec, ProviderStatus::Active).await.unwrap();
}

/// REQUEST_TIMEOUT drops a call while its refresh waits for the IdP's answer (held by the test's
/// gate for as long as it likes, so the timeout is 3 s: the calls before it must not hit it). The IdP has
/// rotated the refresh token by then (spent the old one), so the refresh goes on without the
/// call and stores the new one: the next call is served from it, with no second refresh (and
/// no new authorization).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_outlives_the_call_that_started_it() {
    let flags = ["--token-refresh-margin", "115", "--request-timeout", "3"];
    let Some(w) = world_with(Some(120), &flags, 0).await else { return };
    let idp = url::Url::parse(&w.idp.token_endpoint()).unwrap();
    let gate = Gate::start(SocketAddr::new([127, 0, 0, 1].into(), idp.port().unwrap())).await;
    token_requests_through(&w, &gate).await;
    let alice = authorized_alice(&w).await;
    let first = user_token_via(&w.plane, &w.key, &alice).await.unwrap();
    w.idp.set_access_token_ttl(3600).await;
    // Let the grant come within the refresh margin.
    tokio::time::sleep(std::time::Duration::from_millis(5_300)).await;

    gate.open.send_replace(false);
    let err = user_token_via(&w.plane, &w.key, &alice).await.unwrap_err();
    assert_eq!(error_of(&err).1, "RequestTimeoutException");
    gate.held_one().await;
    gate.open.send_replace(true);

    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&w.db.url).await.unwrap();
    let mut versions = Vec::new();
    for _ in 0..200 {
        versions = sqlx::query_scalar::<_, i64>("SELECT version FROM oauth_grants").fetch_all(&pool).await.unwrap();
        if versions != [1] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(versions, [2], "the refreshed grant is stored");
    let next = user_token_via(&w.plane, &w.key, &alice).await.unwrap();
    assert_ne!(next, first);
    assert_eq!(w.idp.counters().await.token.get("refresh_token"), Some(&1), "one refresh at the IdP");
}
