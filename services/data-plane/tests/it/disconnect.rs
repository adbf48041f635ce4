//! A user disconnects (`DeleteUserTokens` on the control plane): the grant is revoked at the real
//! OpenID Provider (its revocation endpoint from the provider's discovery document), gone from
//! the database and from the replicas' Redis, recorded, and the next vend on every replica starts
//! a new authorization.

use identity_crypto::sha256_hex;
use identity_domain::AccountId;
use identity_proto::v1::{
    self as pb, get_resource_oauth2_access_token_request::CredentialProvider, user_identifier::Identifier,
};
use identity_store::{GrantKey, UserGrantFilter};
use identity_testkit::idp::{IdpClient, IdpConfig, TestIdp};

use crate::{
    cluster::{Cluster, admin, create_access_key, create_workload, within},
    support::DataPlane,
};

const RETURN_URL: &str = "https://app.example.com/oauth/done";
const WEB_APP: (&str, &str) = ("web-app", "web-app-secret-3f1c");

fn oauth2_config(discovery: pb::Oauth2Discovery, secret: &str) -> pb::Oauth2ProviderConfigInput {
    pb::Oauth2ProviderConfigInput {
        client_id: WEB_APP.0.to_owned(),
        client_secret: secret.to_owned(),
        oauth_discovery: Some(discovery),
        default_scopes: vec!["read".to_owned()],
        ..Default::default()
    }
}

async fn vend(plane: &DataPlane, key: &str, user: &str) -> pb::GetResourceOauth2AccessTokenResponse {
    let request =
        pb::GetWorkloadAccessTokenForUserIdRequest { workload_name: "agent".to_owned(), user_id: user.to_owned() };
    let wat = plane
        .client(Some(key))
        .await
        .get_workload_access_token_for_user_id(request)
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    let request = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: wat,
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Idp".to_owned())),
        scopes: vec!["read".to_owned()],
        oauth2_flow: pb::Oauth2Flow::UserFederation as i32,
        resource_oauth2_return_url: RETURN_URL.to_owned(),
        ..Default::default()
    };
    plane.client(Some(key)).await.get_resource_oauth2_access_token(request).await.unwrap().into_inner()
}

/// Whether the IdP still takes `token` (RFC 7662 introspection as the client).
async fn active_at_idp(idp: &TestIdp, token: &str) -> bool {
    let response = reqwest::Client::new()
        .post(format!("{}/token/introspection", idp.issuer()))
        .basic_auth(WEB_APP.0, Some(WEB_APP.1))
        .form(&[("token", token), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json::<serde_json::Value>().await.unwrap()["active"] == serde_json::Value::Bool(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disconnect_revokes_and_removes_the_grant_everywhere() {
    disconnect(true, Via::ControlPlane).await;
}

/// Replicas with in-process caches: no Redis to delete from, the replicas drop the grant
/// themselves once they poll the account's grant generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disconnect_reaches_in_process_caches() {
    disconnect(false, Via::ControlPlane).await;
}

/// Replicas on Redis, the grants deleted by something that never touches Redis (a control
/// plane that cannot reach it): the grant cached in Redis is not served once the replicas poll
/// the account's grant generation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn disconnect_reaches_redis_without_the_control_plane_deleting_keys() {
    disconnect(true, Via::StoreOnly).await;
}

/// Who disconnects the user.
#[derive(Clone, Copy, PartialEq)]
enum Via {
    /// `DeleteUserTokens` on the control plane (revokes at the IdP, deletes the keys in Redis).
    ControlPlane,
    /// The store's `delete_user_grants` alone.
    StoreOnly,
}

async fn disconnect(shared_cache: bool, via: Via) {
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let Some(c) = Cluster::start_with(2, Some(http), shared_cache).await else { return };
    let account = AccountId::default_account();
    create_workload(&c, "agent", &[RETURN_URL]).await;
    let (key, _) = create_access_key(&c).await;
    let mut providers = pb::credential_provider_service_client::CredentialProviderServiceClient::new(c.control().await);

    // The callback URL names the provider's id: create it, start the IdP knowing it, then point
    // the provider at the IdP's discovery document (which names its revocation endpoint).
    let placeholder = pb::Oauth2Discovery {
        discovery_url: String::new(),
        authorization_server_metadata: Some(pb::Oauth2AuthorizationServerMetadata {
            issuer: "http://127.0.0.1:9".to_owned(),
            authorization_endpoint: "http://127.0.0.1:9/auth".to_owned(),
            token_endpoint: "http://127.0.0.1:9/token".to_owned(),
            ..Default::default()
        }),
    };
    let create = pb::CreateCredentialProviderRequest {
        name: "Idp".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(oauth2_config(
            placeholder,
            WEB_APP.1,
        ))),
        tags: Default::default(),
    };
    let provider =
        providers.create_credential_provider(admin(create)).await.unwrap().into_inner().credential_provider.unwrap();
    let Some(idp) = TestIdp::start(IdpConfig {
        clients: vec![IdpClient::web_app(WEB_APP.0, WEB_APP.1, &provider.callback_url)],
        ..IdpConfig::default()
    })
    .await
    else {
        return;
    };
    let discovered = pb::Oauth2Discovery { discovery_url: idp.discovery_url(), authorization_server_metadata: None };
    let update = pb::UpdateCredentialProviderRequest {
        name: "Idp".to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::update_credential_provider_request::Config::Oauth2ProviderConfigInput(oauth2_config(
            discovered, "",
        ))),
        tags: Default::default(),
    };
    providers.update_credential_provider(admin(update)).await.unwrap();
    within(std::time::Duration::from_secs(10), "discovery of the IdP", || async {
        let get = pb::GetCredentialProviderRequest { name: "Idp".to_owned() };
        let found = providers.clone().get_credential_provider(admin(get)).await.unwrap().into_inner();
        found.credential_provider.unwrap().status == pb::CredentialProviderStatus::Active as i32
    })
    .await;

    // Alice authorizes once; both replicas then vend her token (from the grant cached in Redis).
    let plane = &c.planes[0];
    let started = within(std::time::Duration::from_secs(3), "the discovered provider on the replica", || async {
        vend(plane, &key, "alice").await.authorization_url.contains("/identities/oauth2/authorize")
    })
    .await;
    assert!(started < std::time::Duration::from_secs(3));
    let started = vend(plane, &key, "alice").await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let location = |r: reqwest::Response| r.headers().get("location").unwrap().to_str().unwrap().to_owned();
    let to_idp = location(http.get(&started.authorization_url).send().await.unwrap());
    let callback = idp.authorize_as(&to_idp, "alice").await;
    let back = location(http.get(&callback).send().await.unwrap());
    assert!(back.starts_with(RETURN_URL) && !back.contains("error="), "{back}");
    let complete = pb::CompleteResourceTokenAuthRequest {
        user_identifier: Some(pb::UserIdentifier { identifier: Some(Identifier::UserId("alice".to_owned())) }),
        session_uri: started.session_uri.clone(),
    };
    plane.client(Some(&key)).await.complete_resource_token_auth(complete).await.unwrap();
    for plane in &c.planes {
        assert!(!vend(plane, &key, "alice").await.access_token.is_empty());
    }

    // What is held for her: the grant (with a live refresh token) in the database and in Redis.
    let workload = c.store.get_workload_identity(&account, "agent").await.unwrap();
    let scopes_key = sha256_hex(b"read");
    let grant = GrantKey {
        account: &account,
        workload_id: &workload.id,
        user_id: "alice",
        provider_id: &provider.credential_provider_id,
        scopes_key: &scopes_key,
    };
    let (_, stored) = c.store.user_grant(&grant).await.unwrap().expect("alice's grant");
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    let refresh_token = stored["refresh_token"].as_str().expect("a refresh token").to_owned();
    assert!(active_at_idp(&idp, &refresh_token).await);
    let cached = c.redis_keys(&grant.cache_key()).await;
    assert_eq!(cached.len(), usize::from(shared_cache), "alice's grant is cached in Redis, if used");

    if via == Via::StoreOnly {
        let filter = UserGrantFilter { account: &account, user_id: "alice", provider: None, workload: None };
        assert_eq!(c.store.delete_user_grants(filter).await.unwrap().len(), 1);
        assert_eq!(c.redis_keys(&grant.cache_key()).await, cached, "Redis is left alone");
        let took = within(std::time::Duration::from_secs(2), "a new authorization on every replica", || async {
            let mut all = true;
            for plane in &c.planes {
                let next = vend(plane, &key, "alice").await;
                all &= next.access_token.is_empty() && next.authorization_url.contains("/identities/oauth2/authorize");
            }
            all
        })
        .await;
        eprintln!("a disconnect without Redis reached both replicas after {took:?}");
        return;
    }

    // She disconnects.
    let disconnect = pb::DeleteUserTokensRequest {
        user_id: "alice".to_owned(),
        credential_provider: Some(pb::delete_user_tokens_request::CredentialProvider::ResourceCredentialProviderName(
            "Idp".to_owned(),
        )),
        ..Default::default()
    };
    let done = pb::token_vault_service_client::TokenVaultServiceClient::new(c.control().await)
        .delete_user_tokens(admin(disconnect))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((done.deleted_count, done.revoked_count), (1, 1));

    // Revoked at the IdP, gone from the database and Redis, recorded.
    assert!(!active_at_idp(&idp, &refresh_token).await, "the refresh token is revoked");
    assert!(c.store.user_grant(&grant).await.unwrap().is_none());
    assert!(c.redis_keys(&grant.cache_key()).await.is_empty(), "Redis holds nothing of alice's grant");
    let events = c.store.list_audit_events(&account, &Default::default(), 0, 1_000).await.unwrap().items;
    let event = events.iter().find(|e| e.entry.event_name == "DeleteUserTokens").expect("an audit event");
    assert_eq!(event.entry.provider_name, "Idp");
    assert!(!event.entry.user_hash.is_empty() && !event.entry.user_hash.contains("alice"));

    // The next vend, on every replica, starts a new authorization once it has polled the
    // account's grant generation (every 500 ms), with or without Redis.
    let new_authorization = || async {
        let mut all = true;
        for plane in &c.planes {
            let next = vend(plane, &key, "alice").await;
            all &= next.access_token.is_empty() && next.authorization_url.contains("/identities/oauth2/authorize");
        }
        all
    };
    let took =
        within(std::time::Duration::from_secs(2), "a new authorization on every replica", new_authorization).await;
    eprintln!("disconnect reached both replicas' caches (shared: {shared_cache}) after {took:?}");
    assert!(c.redis_keys(&grant.cache_key()).await.is_empty(), "nothing was cached again");
}
