use identity_proto::v1::{self as pb, get_api_key_credential_request::CredentialProvider};
use identity_testkit::SqliteDb;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use tonic::Code;

use crate::support::{
    DataPlane, GITHUB_KEY, access_key, account_a, account_b, api_key_provider, config, error_of, open_store, workload,
};

struct World {
    plane: DataPlane,
    /// Account A's key for every workload.
    key_a: String,
    /// Account A's key limited to `agent-x`.
    key_x_only: String,
    /// Account B's key.
    key_b: String,
    _db: SqliteDb,
}

async fn world(extra: &[&str]) -> World {
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let (a, b) = (account_a(), account_b());
    workload(&store, &a, "agent-x").await;
    workload(&store, &a, "agent-y").await;
    workload(&store, &b, "agent-b").await;
    api_key_provider(&store, &a, "GitHubProvider", GITHUB_KEY).await;
    api_key_provider(&store, &b, "GitHubProvider", "key-of-account-b").await;
    let key_a = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    let key_x_only = access_key(&store, &a, "AKIAXXXXXXXXXXXXXXXX", &["agent-x"]).await;
    let key_b = access_key(&store, &b, "AKIABBBBBBBBBBBBBBBB", &[]).await;
    let plane = DataPlane::start(config(&db, extra)).await;
    World { plane, key_a, key_x_only, key_b, _db: db }
}

async fn wat(world: &World, key: &str, workload: &str, user: Option<&str>) -> Result<String, tonic::Status> {
    let mut client = world.plane.client(Some(key)).await;
    match user {
        Some(user) => client
            .get_workload_access_token_for_user_id(pb::GetWorkloadAccessTokenForUserIdRequest {
                workload_name: workload.to_owned(),
                user_id: user.to_owned(),
            })
            .await
            .map(|r| r.into_inner().workload_access_token),
        None => client
            .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: workload.to_owned() })
            .await
            .map(|r| r.into_inner().workload_access_token),
    }
}

async fn vend(
    world: &World,
    key: &str,
    token: &str,
    provider: CredentialProvider,
) -> Result<pb::GetApiKeyCredentialResponse, tonic::Status> {
    let request = pb::GetApiKeyCredentialRequest {
        workload_identity_token: token.to_owned(),
        credential_provider: Some(provider),
    };
    world.plane.client(Some(key)).await.get_api_key_credential(request).await.map(|r| r.into_inner())
}

fn by_name(name: &str) -> CredentialProvider {
    CredentialProvider::ResourceCredentialProviderName(name.to_owned())
}

#[tokio::test]
async fn callers_need_a_valid_access_key() {
    let w = world(&[]).await;
    for credential in
        [None, Some("no-colon"), Some("AKIAAAAAAAAAAAAAAAAA:wrong-secret"), Some("AKIAZZZZZZZZZZZZZZZZ:secret")]
    {
        let err = wat(&w, credential.unwrap_or(""), "agent-x", None).await;
        let err = match credential {
            None => w
                .plane
                .client(None)
                .await
                .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
                .await
                .unwrap_err(),
            Some(_) => err.unwrap_err(),
        };
        assert_eq!(error_of(&err).0, Code::Unauthenticated, "{credential:?}");
        assert!(!err.message().contains("wrong-secret"));
    }
}

#[tokio::test]
async fn workload_access_tokens_verify_with_the_published_jwks() {
    let w = world(&[]).await;
    let response = w
        .plane
        .client(Some(&w.key_a))
        .await
        .get_workload_access_token_for_user_id(pb::GetWorkloadAccessTokenForUserIdRequest {
            workload_name: "agent-x".to_owned(),
            user_id: "user-a".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.expires_in, 900);
    assert!(response.expires_at.is_some());

    let jwks: JwkSet =
        reqwest::get(format!("http://{}/.well-known/jwks.json", w.plane.http)).await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(&response.workload_access_token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256, "asymmetric");
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("the signing key is published");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["agentcore-identity:workload"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &response.workload_access_token,
        &DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(
        (claims["acct"].as_str(), claims["sub"].as_str(), claims["uid"].as_str()),
        (Some("111111111111"), Some("agent-x"), Some("user-a"))
    );
}

#[tokio::test]
async fn api_keys_are_vended_to_a_valid_wat_of_the_same_account() {
    let w = world(&[]).await;
    let token = wat(&w, &w.key_a, "agent-x", None).await.unwrap();
    let vended = vend(&w, &w.key_a, &token, by_name("GitHubProvider")).await.unwrap();
    assert_eq!((vended.api_key.as_str(), vended.header_name.as_str()), (GITHUB_KEY, "Authorization"));
    // By ARN as well; twice, so the second answer comes from the cache.
    let arn = CredentialProvider::CredentialProviderArn(
        "arn:aws:bedrock-agentcore:us-east-1:111111111111:token-vault/default/apikeycredentialprovider/GitHubProvider"
            .to_owned(),
    );
    for _ in 0..2 {
        assert_eq!(vend(&w, &w.key_a, &token, arn.clone()).await.unwrap().api_key, GITHUB_KEY);
    }
    let err = vend(&w, &w.key_a, &token, by_name("Missing")).await.unwrap_err();
    assert_eq!((error_of(&err).0, error_of(&err).1.as_str()), (Code::NotFound, "ProviderNotFound"));
    let other_account_arn = CredentialProvider::CredentialProviderArn(
        "arn:aws:bedrock-agentcore:us-east-1:222222222222:token-vault/default/apikeycredentialprovider/GitHubProvider"
            .to_owned(),
    );
    let err = vend(&w, &w.key_a, &token, other_account_arn).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");
}

#[tokio::test]
async fn limited_keys_act_only_for_their_workloads() {
    let w = world(&[]).await;
    assert!(wat(&w, &w.key_x_only, "agent-x", None).await.is_ok());
    let err = wat(&w, &w.key_x_only, "agent-y", None).await.unwrap_err();
    assert_eq!((error_of(&err).0, error_of(&err).1.as_str()), (Code::PermissionDenied, "AccessDeniedException"));
    // A WAT of agent-y (minted with the unrestricted key) does not help the limited key either.
    let token_y = wat(&w, &w.key_a, "agent-y", None).await.unwrap();
    let err = vend(&w, &w.key_x_only, &token_y, by_name("GitHubProvider")).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::PermissionDenied);
}

#[tokio::test]
async fn accounts_never_cross() {
    let w = world(&[]).await;
    // B's key cannot mint for A's workload: for B it does not exist.
    let err = wat(&w, &w.key_b, "agent-x", None).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);
    // A's WAT presented with B's key is refused, and never yields either account's key.
    let token_a = wat(&w, &w.key_a, "agent-x", None).await.unwrap();
    let err = vend(&w, &w.key_b, &token_a, by_name("GitHubProvider")).await.unwrap_err();
    assert_eq!((error_of(&err).0, error_of(&err).1.as_str()), (Code::PermissionDenied, "AccessDeniedException"));
    let token_b = wat(&w, &w.key_b, "agent-b", None).await.unwrap();
    assert_eq!(vend(&w, &w.key_b, &token_b, by_name("GitHubProvider")).await.unwrap().api_key, "key-of-account-b");
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_invalid() {
    let w = world(&[]).await;
    let token = wat(&w, &w.key_a, "agent-x", Some("user-a")).await.unwrap();
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    for bad in ["", "garbage", forged.as_str()] {
        let err = vend(&w, &w.key_a, bad, by_name("GitHubProvider")).await.unwrap_err();
        let (code, reason, metadata) = error_of(&err);
        assert_eq!((code, reason.as_str()), (Code::Unauthenticated, "InvalidToken"), "{bad}");
        assert!(metadata.contains_key("check"));
        assert!(bad.is_empty() || !err.message().contains(bad), "the token is never echoed");
    }
}

#[tokio::test]
async fn redis_holds_only_ciphertext() {
    let Some(url) = identity_testkit::redis_url().await else { return };
    let prefix = format!("dp-test:{}:", identity_testkit::unique_suffix());
    let w = world(&["--redis-url", &url, "--redis-key-prefix", &prefix]).await;
    let token = wat(&w, &w.key_a, "agent-x", None).await.unwrap();
    assert_eq!(vend(&w, &w.key_a, &token, by_name("GitHubProvider")).await.unwrap().api_key, GITHUB_KEY);

    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap();
    assert!(!keys.is_empty(), "the vend was cached in Redis");
    for key in keys {
        let value: Vec<u8> = redis::cmd("GET").arg(&key).query_async(&mut conn).await.unwrap();
        assert!(
            !value.windows(GITHUB_KEY.len()).any(|w| w == GITHUB_KEY.as_bytes()),
            "plaintext key in Redis under {key}"
        );
    }
}
