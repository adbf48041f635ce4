//! ON_BEHALF_OF_TOKEN_EXCHANGE end to end against the real oidc-provider, extended with an
//! RFC 8693 grant (`tests/idp/server.js`): the user's JWT travels sealed in the WAT, is exchanged
//! with the workload's own M2M token as the actor, and the downstream token is cached; the IdP's
//! refusals come back as `AuthorizationFailed` with its error code.

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_domain::{
    ActorToken, AuthorizationServerMetadata, JwtAuthorizerSpec, Oauth2Config, Oauth2Discovery, ProviderConfig,
    ProviderSpec, ProviderStatus, SecretString, TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT, TokenExchangeConfig, Vendor,
};
use identity_oauth::TOKEN_EXCHANGE_GRANT;
use identity_proto::v1::{self as pb, get_resource_oauth2_access_token_request::CredentialProvider};
use identity_testkit::{
    SqliteDb,
    idp::{IdpClient, IdpConfig, TestIdp},
};
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{DataPlane, access_key, account_a, config, error_of, open_store, workload};

/// The provider's client at the IdP: client credentials (the actor token) and token exchange.
const EXCHANGER: (&str, &str) = ("exchanger", "exchanger-secret-9d2e");
/// The client the users' JWTs were issued to (the one the JWT authorizer accepts).
const USER_APP: &str = "user-app";
const DOWNSTREAM: &str = "https://downstream.example/api";

struct World {
    idp: TestIdp,
    plane: DataPlane,
    key: String,
    _db: SqliteDb,
}

/// Providers at the same IdP: `Downstream` exchanges with the M2M actor token, `Plain` without
/// an actor, `NoExchange` is not configured for token exchange.
async fn world() -> Option<World> {
    let exchanger = IdpClient {
        grant_types: vec!["client_credentials".to_owned(), TOKEN_EXCHANGE_GRANT.to_owned()],
        ..IdpClient::service(EXCHANGER.0, EXCHANGER.1)
    };
    let idp = TestIdp::start(IdpConfig { clients: vec![exchanger], ..IdpConfig::default() }).await?;
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let a = account_a();
    workload(&store, &a, "agent-x").await;
    let authorizer = JwtAuthorizerSpec {
        name: "users".to_owned(),
        description: String::new(),
        discovery_url: idp.discovery_url(),
        allowed_audiences: vec![idp.resource().to_owned()],
        allowed_clients: vec![USER_APP.to_owned()],
        allowed_scopes: vec!["read".to_owned()],
        required_claims: BTreeMap::new(),
        custom: None,
    };
    store.create_jwt_authorizer(&a, authorizer).await.unwrap();
    let exchange = |actor_token| {
        Box::new(TokenExchangeConfig {
            subject_token_type: TOKEN_TYPE_JWT.to_owned(),
            requested_token_type: Some(TOKEN_TYPE_ACCESS_TOKEN.to_owned()),
            default_audiences: vec![DOWNSTREAM.to_owned()],
            default_resources: vec![],
            actor_token,
            actor_token_scopes: if actor_token == ActorToken::M2m { vec!["write".to_owned()] } else { vec![] },
        })
    };
    let providers = [
        ("Downstream", Some(exchange(ActorToken::M2m))),
        ("Plain", Some(exchange(ActorToken::None))),
        ("NoExchange", None),
    ];
    for (name, token_exchange) in providers {
        let spec = ProviderSpec {
            name: name.to_owned(),
            config: ProviderConfig::Oauth2(Oauth2Config {
                vendor: Vendor::CustomOauth2,
                client_id: EXCHANGER.0.to_owned(),
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
                token_exchange,
            }),
            secret: SecretString::new(EXCHANGER.1.to_owned()),
            tags: Default::default(),
        };
        store.create_credential_provider(&a, spec, ProviderStatus::Active).await.unwrap();
    }
    let key = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    store.close().await;
    let plane = DataPlane::start(config(&db, &["--outbound-allowed-networks", "127.0.0.0/8"])).await;
    Some(World { idp, plane, key, _db: db })
}

/// A user JWT from the IdP for `user` (with `extra` claims), and a WAT minted from it.
async fn user_wat(w: &World, user: &str, extra: Value) -> (String, String) {
    let mut claims = json!({"sub": user, "aud": w.idp.resource(), "client_id": USER_APP, "scope": "read"});
    claims.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let jwt = w.idp.mint(claims, json!({})).await;
    let request =
        pb::GetWorkloadAccessTokenForJwtRequest { workload_name: "agent-x".to_owned(), user_token: jwt.clone() };
    let wat = w
        .plane
        .client(Some(&w.key))
        .await
        .get_workload_access_token_for_jwt(request)
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    (jwt, wat)
}

async fn exchange(
    w: &World,
    wat: &str,
    provider: &str,
    audiences: &[&str],
) -> Result<pb::GetResourceOauth2AccessTokenResponse, tonic::Status> {
    let request = pb::GetResourceOauth2AccessTokenRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName(provider.to_owned())),
        oauth2_flow: pb::Oauth2Flow::OnBehalfOfTokenExchange as i32,
        audiences: audiences.iter().map(|a| (*a).to_owned()).collect(),
        ..Default::default()
    };
    w.plane.client(Some(&w.key)).await.get_resource_oauth2_access_token(request).await.map(|r| r.into_inner())
}

fn claims_of(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn exchanges(w: &World) -> (u64, u64) {
    let counters = w.idp.counters().await;
    let count = |grant: &str| counters.token.get(grant).copied().unwrap_or(0);
    (count(TOKEN_EXCHANGE_GRANT), count("client_credentials"))
}

#[tokio::test]
async fn the_users_token_is_exchanged_with_the_workload_as_actor_and_cached() {
    let Some(w) = world().await else { return };
    let (jwt, wat) = user_wat(&w, "alice", json!({})).await;
    // The WAT carries the user's JWT sealed, never in clear.
    let wat_claims = claims_of(&wat);
    let sealed = wat_claims["stk"].as_str().expect("a sealed subject token");
    let signature = jwt.rsplit('.').next().unwrap();
    assert!(!wat.contains(signature) && !sealed.contains(signature));
    assert!(!String::from_utf8_lossy(&URL_SAFE_NO_PAD.decode(sealed).unwrap()).contains(signature));

    let vended = exchange(&w, &wat, "Downstream", &[]).await.unwrap();
    assert_eq!(vended.token_type, "Bearer");
    assert!((250..=300).contains(&vended.expires_in), "{}", vended.expires_in);
    assert_eq!(vended.scopes, ["read"]);
    let token = claims_of(&vended.access_token);
    assert_eq!(token["sub"], "alice", "{token}");
    assert_eq!(token["act"]["sub"], EXCHANGER.0, "the workload's M2M token was the actor: {token}");
    assert_eq!(token["aud"], json!([DOWNSTREAM]), "the provider's default audience: {token}");
    assert_eq!(token["scope"], "read");
    assert_eq!(exchanges(&w).await, (1, 1));

    // Another WAT of the same user: the cached token, and the IdP is not asked again.
    let (_, again) = user_wat(&w, "alice", json!({})).await;
    assert_eq!(exchange(&w, &again, "Downstream", &[]).await.unwrap().access_token, vended.access_token);
    assert_eq!(exchanges(&w).await, (1, 1));

    // A WAT for the same user id, asserted by the caller instead of proven by a JWT, gets nothing.
    let request = pb::GetWorkloadAccessTokenForUserIdRequest {
        workload_name: "agent-x".to_owned(),
        user_id: format!("{}#alice", w.idp.issuer()),
    };
    let by_id = w.plane.client(Some(&w.key)).await.get_workload_access_token_for_user_id(request).await.unwrap();
    assert_eq!(claims_of(&by_id.get_ref().workload_access_token)["uid"], wat_claims["uid"], "the same user");
    let err = exchange(&w, &by_id.into_inner().workload_access_token, "Downstream", &[]).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");

    // Another audience is another token (the actor token comes from the M2M cache).
    let other = exchange(&w, &wat, "Downstream", &["https://other.example"]).await.unwrap();
    assert_eq!(claims_of(&other.access_token)["aud"], json!(["https://other.example"]));
    // Another user is another token, exchanged for that user.
    let (_, bob) = user_wat(&w, "bob", json!({})).await;
    let bobs = exchange(&w, &bob, "Downstream", &[]).await.unwrap();
    assert_eq!(claims_of(&bobs.access_token)["sub"], "bob");
    assert_ne!(bobs.access_token, vended.access_token);
    assert_eq!(exchanges(&w).await, (3, 1));

    // Without an actor configured, none is sent.
    let plain = exchange(&w, &wat, "Plain", &[]).await.unwrap();
    let token = claims_of(&plain.access_token);
    assert_eq!((&token["sub"], token.get("act")), (&json!("alice"), None), "{token}");
    assert_eq!(exchanges(&w).await, (4, 1));
}

#[tokio::test]
async fn a_refused_subject_token_is_authorization_failed_with_the_providers_code() {
    let Some(w) = world().await else { return };
    // The user's token lets only another party act for them (RFC 8693 `may_act`).
    let (jwt, wat) = user_wat(&w, "carol", json!({"may_act": {"sub": "someone-else"}})).await;
    let err = exchange(&w, &wat, "Downstream", &[]).await.unwrap_err();
    let (code, reason, metadata) = error_of(&err);
    assert_eq!((code, reason.as_str()), (Code::FailedPrecondition, "AuthorizationFailed"), "{err:?}");
    assert_eq!(metadata.get("provider_error").map(String::as_str), Some("invalid_grant"));
    let echoed = format!("{err:?}");
    for secret in [jwt.as_str(), wat.as_str(), EXCHANGER.1] {
        let tail = &secret[secret.len().saturating_sub(24)..];
        assert!(!echoed.contains(tail), "the error echoes a token or secret: {echoed}");
    }
    // A refusal is not cached: the next attempt asks the IdP again.
    assert!(exchange(&w, &wat, "Downstream", &[]).await.is_err());
    assert_eq!(exchanges(&w).await.0, 2);
}

#[tokio::test]
async fn exchange_needs_a_wat_from_a_user_jwt_and_a_provider_configured_for_it() {
    let Some(w) = world().await else { return };
    let client = || async { w.plane.client(Some(&w.key)).await };
    let request =
        pb::GetWorkloadAccessTokenForUserIdRequest { workload_name: "agent-x".to_owned(), user_id: "alice".to_owned() };
    let by_id = client().await.get_workload_access_token_for_user_id(request).await.unwrap().into_inner();
    let err = exchange(&w, &by_id.workload_access_token, "Downstream", &[]).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");
    assert!(
        err.message().contains("workload_identity_token") || format!("{err:?}").contains("workload_identity_token")
    );

    let (_, wat) = user_wat(&w, "alice", json!({})).await;
    let err = exchange(&w, &wat, "NoExchange", &[]).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");
    let err = exchange(&w, &wat, "Downstream", &["has space"]).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");
    assert_eq!(exchanges(&w).await, (0, 0), "nothing reached the IdP");
}

/// A provider deleted and re-created under the same name while this replica still holds the old
/// one's settings (until it polls the account's generations): the exchange is refused as
/// not found, or served with the new provider's settings, never an internal error from pairing
/// the old provider with the new one's secret.
#[tokio::test]
async fn a_provider_recreated_under_the_same_name_is_never_an_internal_error() {
    let Some(w) = world().await else { return };
    let (_, wat) = user_wat(&w, "alice", json!({})).await;
    exchange(&w, &wat, "Plain", &[]).await.unwrap();
    let store = open_store(&w._db).await;
    let a = account_a();
    for round in 0..3 {
        let old = store.get_credential_provider(&a, "Plain").await.unwrap();
        let secret = SecretString::new(EXCHANGER.1.to_owned());
        let spec = ProviderSpec { name: old.name, config: old.config, secret, tags: old.tags };
        store.delete_credential_provider(&a, "Plain").await.unwrap();
        store.create_credential_provider(&a, spec, ProviderStatus::Active).await.unwrap();
        // Another audience each time: not served from the cache of exchanged tokens.
        let audience = format!("https://round-{round}.example");
        match exchange(&w, &wat, "Plain", &[audience.as_str()]).await {
            Ok(vended) => assert_eq!(claims_of(&vended.access_token)["aud"], json!([audience])),
            Err(err) => assert_eq!(error_of(&err).1, "ProviderNotFound", "round {round}: {err:?}"),
        }
    }
    store.close().await;
}
