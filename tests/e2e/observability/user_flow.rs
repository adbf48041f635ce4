//! The observability test's `USER_FEDERATION` part: an OAuth2 provider backed by the real test
//! IdP (oidc-provider), the browser's round trip through the data plane's authorize and callback
//! endpoints, and the vend that follows; so that the authorization code and the user's tokens
//! are among the secrets searched for.

use identity_proto::v1::{self as pb, get_resource_oauth2_access_token_request::CredentialProvider};
use identity_testkit::idp::{IdpClient, IdpConfig, TestIdp};
use tonic::transport::Channel;

use super::{ADMIN, USER, capture::authed};

/// Where the user's browser returns (allowed on the workload identity).
pub const RETURN_URL: &str = "https://app.example.com/oauth/done";
/// The web application's credentials at the IdP.
pub const WEB_CLIENT: (&str, &str) = ("observability-web-app", "observability-web-secret-92be71");
/// The provider's name.
pub const PROVIDER: &str = "Idp";

/// What the flow produced that must never be seen again.
#[derive(Debug)]
pub struct UserSecrets {
    /// The authorization code the IdP sent the browser back with.
    pub code: String,
    /// The user's access token, as vended.
    pub access_token: String,
    /// The refresh token the IdP issued with it, read from the vault.
    pub refresh_token: String,
}

fn provider(metadata: pb::Oauth2AuthorizationServerMetadata) -> pb::Oauth2ProviderConfigInput {
    pb::Oauth2ProviderConfigInput {
        client_id: WEB_CLIENT.0.to_owned(),
        client_secret: WEB_CLIENT.1.to_owned(),
        oauth_discovery: Some(pb::Oauth2Discovery {
            authorization_server_metadata: Some(metadata),
            ..Default::default()
        }),
        default_scopes: vec!["read".to_owned()],
        ..Default::default()
    }
}

fn config(metadata: pb::Oauth2AuthorizationServerMetadata) -> Option<pb::create_credential_provider_request::Config> {
    Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(provider(metadata)))
}

/// Creates the provider, then starts the IdP with the provider's callback URL registered, then
/// points the provider at the IdP. `None` when the IdP cannot run here (reported by the testkit:
/// a failure on CI).
pub async fn provision(control: Channel) -> Option<TestIdp> {
    let mut providers = pb::credential_provider_service_client::CredentialProviderServiceClient::new(control);
    let placeholder = pb::Oauth2AuthorizationServerMetadata {
        issuer: "http://127.0.0.1:9".to_owned(),
        authorization_endpoint: "http://127.0.0.1:9/auth".to_owned(),
        token_endpoint: "http://127.0.0.1:9/token".to_owned(),
        ..Default::default()
    };
    let create = pb::CreateCredentialProviderRequest {
        name: PROVIDER.to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: config(placeholder),
        ..Default::default()
    };
    let created = providers.create_credential_provider(authed(create, ADMIN, None)).await.unwrap().into_inner();
    let callback = created.credential_provider.unwrap().callback_url;
    let idp = TestIdp::start(IdpConfig {
        clients: vec![IdpClient::web_app(WEB_CLIENT.0, WEB_CLIENT.1, &callback)],
        ..IdpConfig::default()
    })
    .await?;
    let metadata = pb::Oauth2AuthorizationServerMetadata {
        issuer: idp.issuer().to_owned(),
        authorization_endpoint: idp.authorization_endpoint(),
        token_endpoint: idp.token_endpoint(),
        ..Default::default()
    };
    let update = pb::UpdateCredentialProviderRequest {
        name: PROVIDER.to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::update_credential_provider_request::Config::Oauth2ProviderConfigInput(provider(metadata))),
        ..Default::default()
    };
    providers.update_credential_provider(authed(update, ADMIN, None)).await.unwrap();
    Some(idp)
}

fn user_token_request(wat: &str) -> pb::GetResourceOauth2AccessTokenRequest {
    pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName(PROVIDER.to_owned())),
        scopes: vec!["read".to_owned()],
        oauth2_flow: pb::Oauth2Flow::UserFederation as i32,
        resource_oauth2_return_url: RETURN_URL.to_owned(),
        ..Default::default()
    }
}

fn location(response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The service-hosted 3-legged flow for [`USER`], from the first vend (an authorization URL) to
/// the second (the user's token): 2 `GetResourceOauth2AccessToken` calls, 1
/// `CompleteResourceTokenAuth`, the authorize and callback endpoints once each.
pub async fn run(
    idp: &TestIdp,
    data: Channel,
    key: &str,
    user_wat: &str,
    db: &identity_testkit::PostgresDb,
) -> UserSecrets {
    let mut client = pb::identity_data_service_client::IdentityDataServiceClient::new(data);
    let started =
        client.get_resource_oauth2_access_token(authed(user_token_request(user_wat), key, None)).await.unwrap();
    let started = started.into_inner();
    assert!(started.access_token.is_empty() && !started.authorization_url.is_empty(), "{started:?}");

    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let to_idp = location(&browser.get(&started.authorization_url).send().await.unwrap());
    let callback = idp.authorize_as(&to_idp, USER).await;
    let code = url::Url::parse(&callback)
        .unwrap()
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no code in {callback}"));
    let back = location(&browser.get(&callback).send().await.unwrap());
    assert!(back.starts_with(RETURN_URL), "{back}");

    let complete = pb::CompleteResourceTokenAuthRequest {
        user_identifier: Some(pb::UserIdentifier {
            identifier: Some(pb::user_identifier::Identifier::UserId(USER.to_owned())),
        }),
        session_uri: started.session_uri.clone(),
    };
    client.complete_resource_token_auth(authed(complete, key, None)).await.unwrap();
    let vended =
        client.get_resource_oauth2_access_token(authed(user_token_request(user_wat), key, None)).await.unwrap();
    let access_token = vended.into_inner().access_token;
    assert!(!access_token.is_empty());
    UserSecrets { code, access_token, refresh_token: stored_refresh_token(db).await }
}

/// The refresh token in [`USER`]'s grant, opened with the vault's keys.
async fn stored_refresh_token(db: &identity_testkit::PostgresDb) -> String {
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let (workload_id, provider_id, scopes_key): (String, String, String) =
        sqlx::query_as("SELECT workload_id, provider_id, scopes_key FROM oauth_grants WHERE user_id = $1")
            .bind(USER)
            .fetch_one(&pool)
            .await
            .expect("the user's grant");
    pool.close().await;
    let store = identity_store::Store::connect(identity_store::StoreOptions {
        url: db.url.clone(),
        keyring: std::sync::Arc::new(identity_crypto::MasterKeyRing::parse(super::MASTER_KEYS).unwrap()),
        clock: std::sync::Arc::new(identity_domain::ManualClock::new(0)),
        quotas: identity_domain::Quotas::default(),
        max_connections: 1,
    })
    .await
    .unwrap();
    let account = identity_domain::AccountId::default_account();
    let key = identity_store::GrantKey {
        account: &account,
        workload_id: &workload_id,
        user_id: USER,
        provider_id: &provider_id,
        scopes_key: &scopes_key,
    };
    let (_, plain) = store.user_grant(&key).await.unwrap().expect("the user's grant");
    store.close().await;
    let grant: identity_domain::StoredGrant = serde_json::from_slice(&plain).unwrap();
    grant.refresh_token.expect("the IdP issued a refresh token").expose().to_owned()
}
