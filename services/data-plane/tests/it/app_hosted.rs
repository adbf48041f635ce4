//! USER_FEDERATION with the app hosting the callback (GetAuthorizationUrl + CompleteAuthorization)
//! against the real oidc-provider: the provider URL with PKCE S256 and the state, the allow-list,
//! single-use states, binding to the workload and user, and the grant shared with the
//! service-hosted flow.

use std::collections::HashMap;

use identity_domain::{
    AuthorizationServerMetadata, Oauth2Config, Oauth2Discovery, ProviderConfig, ProviderSpec, ProviderStatus,
    SecretString, Vendor, WorkloadAttributes, WorkloadIdentitySpec, WorkloadIdentityType,
};
use identity_proto::v1 as pb;
use identity_testkit::{
    SqliteDb,
    idp::{IdpClient, IdpConfig, TestIdp},
};
use tonic::Code;

use crate::support::{DataPlane, access_key, account_a, config, error_of, open_store};

/// The app's callback, registered at the IdP and allowed for the workloads.
const APP_CB: &str = "https://app.example.com/oauth/cb";
/// Also allowed for the workloads (and registered at the IdP), but not the flow's.
const APP_CB_2: &str = "https://app.example.com/oauth/other";
const WEB_APP: (&str, &str) = ("web-app", "web-app-secret-3f1c");

struct World {
    idp: TestIdp,
    plane: DataPlane,
    key: String,
    _db: SqliteDb,
}

async fn world() -> Option<World> {
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let a = account_a();
    for name in ["agent-x", "agent-y"] {
        let spec = WorkloadIdentitySpec {
            name: name.to_owned(),
            description: String::new(),
            kind: WorkloadIdentityType::Agent,
            attributes: WorkloadAttributes::default(),
            allowed_return_urls: vec![APP_CB.to_owned(), APP_CB_2.to_owned()],
            tags: Default::default(),
            authorizers: vec![],
        };
        store.create_workload_identity(&a, spec).await.unwrap();
    }
    let mut client = IdpClient::web_app(WEB_APP.0, WEB_APP.1, APP_CB);
    client.redirect_uris.push(APP_CB_2.to_owned());
    let idp = TestIdp::start(IdpConfig { clients: vec![client], ..IdpConfig::default() }).await?;
    let spec = ProviderSpec {
        name: "Idp".to_owned(),
        config: ProviderConfig::Oauth2(Oauth2Config {
            vendor: Vendor::CustomOauth2,
            client_id: WEB_APP.0.to_owned(),
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
        secret: SecretString::new(WEB_APP.1.to_owned()),
        tags: Default::default(),
    };
    store.create_credential_provider(&a, spec, ProviderStatus::Active).await.unwrap();
    let key = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    let plane = DataPlane::start(config(&db, &["--outbound-allowed-networks", "127.0.0.0/8"])).await;
    Some(World { idp, plane, key, _db: db })
}

async fn wat(w: &World, workload: &str, user: Option<&str>) -> String {
    let mut client = w.plane.client(Some(&w.key)).await;
    match user {
        Some(user) => {
            let request = pb::GetWorkloadAccessTokenForUserIdRequest {
                workload_name: workload.to_owned(),
                user_id: user.to_owned(),
            };
            client.get_workload_access_token_for_user_id(request).await.unwrap().into_inner().workload_access_token
        }
        None => {
            let request = pb::GetWorkloadAccessTokenRequest { workload_name: workload.to_owned() };
            client.get_workload_access_token(request).await.unwrap().into_inner().workload_access_token
        }
    }
}

async fn start(
    w: &World,
    wat: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<pb::GetAuthorizationUrlResponse, tonic::Status> {
    let request = pb::GetAuthorizationUrlRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(
            pb::get_authorization_url_request::CredentialProvider::ResourceCredentialProviderName("Idp".to_owned()),
        ),
        redirect_uri: redirect_uri.to_owned(),
        scopes: vec!["read".to_owned()],
        state: state.to_owned(),
        custom_parameters: [("ui_locales".to_owned(), "en".to_owned())].into(),
    };
    w.plane.client(Some(&w.key)).await.get_authorization_url(request).await.map(|r| r.into_inner())
}

async fn finish(
    w: &World,
    wat: &str,
    code: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<pb::CompleteAuthorizationResponse, tonic::Status> {
    let request = pb::CompleteAuthorizationRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(
            pb::complete_authorization_request::CredentialProvider::ResourceCredentialProviderName("Idp".to_owned()),
        ),
        code: code.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: state.to_owned(),
    };
    w.plane.client(Some(&w.key)).await.complete_authorization(request).await.map(|r| r.into_inner())
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

fn sub_of(jwt: &str) -> String {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_hosted_flow_with_server_side_pkce() {
    let Some(w) = world().await else { return };
    let alice = wat(&w, "agent-x", Some("alice")).await;

    // The provider's own authorize URL, with the app's callback, PKCE S256 and the state.
    let started = start(&w, &alice, APP_CB, "").await.unwrap();
    assert!(started.authorization_url.starts_with(&w.idp.authorization_endpoint()), "{}", started.authorization_url);
    assert!(started.state.len() >= 32);
    assert!(started.session_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert!(started.session_expires_at.is_some());
    let query = query_of(&started.authorization_url);
    assert_eq!(query.get("redirect_uri").map(String::as_str), Some(APP_CB));
    assert_eq!(query.get("state"), Some(&started.state));
    assert_eq!(query.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert_eq!(query.get("code_challenge").map(String::len), Some(43));
    assert_eq!(query.get("ui_locales").map(String::as_str), Some("en"));
    assert!(!query.contains_key("code_verifier"), "the verifier stays in the service");

    // Alice logs in; the IdP sends her browser to the app with the code and the state.
    let back = w.idp.authorize_as(&started.authorization_url, "alice").await;
    assert!(back.starts_with(APP_CB), "{back}");
    let back = query_of(&back);
    assert_eq!(back.get("state"), Some(&started.state));
    let code = back.get("code").unwrap().clone();

    // Binding: bob, and alice on another workload, cannot complete it (nor use up the state).
    let bob = wat(&w, "agent-x", Some("bob")).await;
    let alice_y = wat(&w, "agent-y", Some("alice")).await;
    for other in [&bob, &alice_y] {
        let err = finish(&w, other, &code, APP_CB, &started.state).await.unwrap_err();
        assert_eq!((error_of(&err).0, error_of(&err).1.as_str()), (Code::PermissionDenied, "AccessDeniedException"));
        assert!(err.message().contains("another user/workload"), "{}", err.message());
    }
    // The redirect URI must be the flow's, even another allowed one.
    let err = finish(&w, &alice, &code, APP_CB_2, &started.state).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");
    // Nor can the service's own callback take this flow's session, even given the input of its
    // domain-separated state hash (which only the service-hosted callback would hash as is).
    let store = open_store(&w._db).await;
    let provider = store.get_credential_provider(&account_a(), "Idp").await.unwrap();
    let mut forged =
        url::Url::parse(&format!("http://{}/identities/oauth2/callback/{}", w.plane.http, provider.id)).unwrap();
    let input = format!("app-hosted\n{}\n{}", provider.id, started.state);
    forged.query_pairs_mut().append_pair("state", &input).append_pair("error", "access_denied");
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(w.idp.counters().await.token.get("authorization_code"), None, "nothing reached the IdP yet");

    // Alice completes: the IdP accepts the code only with the right verifier (PKCE is required).
    let done = finish(&w, &alice, &code, APP_CB, &started.state).await.unwrap();
    assert_eq!(sub_of(&done.access_token), "alice");
    assert!(done.expires_in > 0 && done.expires_at.is_some() && !done.token_type.is_empty());
    assert_eq!(w.idp.counters().await.token.get("authorization_code"), Some(&1));

    // The state is single-use: a replay never reaches the IdP.
    let err = finish(&w, &alice, &code, APP_CB, &started.state).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains("unknown, expired or already used state"), "{}", err.message());
    assert_eq!(w.idp.counters().await.token.get("authorization_code"), Some(&1));

    // The grant is alice's, shared with the service-hosted flow.
    let request = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: alice.clone(),
        credential_provider: Some(
            pb::get_resource_oauth2_access_token_request::CredentialProvider::ResourceCredentialProviderName(
                "Idp".to_owned(),
            ),
        ),
        scopes: vec!["read".to_owned()],
        oauth2_flow: pb::Oauth2Flow::UserFederation as i32,
        resource_oauth2_return_url: APP_CB.to_owned(),
        ..Default::default()
    };
    let vended = w.plane.client(Some(&w.key)).await.get_resource_oauth2_access_token(request).await.unwrap();
    assert_eq!(vended.into_inner().access_token, done.access_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_hosted_refusals() {
    let Some(w) = world().await else { return };
    let alice = wat(&w, "agent-x", Some("alice")).await;

    // Redirect URIs outside the allow-list, WATs without a user, and bad states are refused.
    for url in ["https://evil.example.com/steal", "https://app.example.com/oauth/cb/", ""] {
        let err = start(&w, &alice, url, "").await.unwrap_err();
        assert_eq!(error_of(&err).1, "ValidationException", "{url}");
    }
    let anonymous = wat(&w, "agent-x", None).await;
    assert_eq!(error_of(&start(&w, &anonymous, APP_CB, "").await.unwrap_err()).1, "ValidationException");
    for state in ["has space", "a&b=c", &"s".repeat(513)] {
        assert_eq!(error_of(&start(&w, &alice, APP_CB, state).await.unwrap_err()).1, "ValidationException");
    }

    // A caller's state is used as given, once.
    let started = start(&w, &alice, APP_CB, "app-state_1.x~").await.unwrap();
    assert_eq!(started.state, "app-state_1.x~");
    assert_eq!(query_of(&started.authorization_url).get("state"), Some(&started.state));
    let err = start(&w, &alice, APP_CB, "app-state_1.x~").await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");

    // A code the provider refuses: AuthorizationFailed with its error, and the state is used up.
    let err = finish(&w, &alice, "not-a-code", APP_CB, &started.state).await.unwrap_err();
    let (code, reason, metadata) = error_of(&err);
    assert_eq!((code, reason.as_str()), (Code::FailedPrecondition, "AuthorizationFailed"));
    assert_eq!(metadata.get("provider_error").map(String::as_str), Some("invalid_grant"));
    let err = finish(&w, &alice, "not-a-code", APP_CB, &started.state).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound);

    // Unknown states, and a WAT without a user, cannot complete anything.
    assert_eq!(finish(&w, &alice, "c", APP_CB, "never-issued").await.unwrap_err().code(), Code::NotFound);
    assert_eq!(error_of(&finish(&w, &anonymous, "c", APP_CB, "s").await.unwrap_err()).1, "ValidationException");
}
