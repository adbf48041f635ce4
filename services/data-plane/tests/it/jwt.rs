//! User JWTs against a real OpenID Provider (oidc-provider, started by the test kit; skipped when
//! not installed, `make tools` installs it): `GetWorkloadAccessTokenForJwt` binds the token's
//! user into the WAT, `ValidateToken` returns its claims, and refused tokens are `InvalidToken`
//! with the failed check.

use std::collections::BTreeMap;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_domain::JwtAuthorizerSpec;
use identity_proto::v1 as pb;
use identity_store::Store;
use identity_testkit::{
    SqliteDb,
    idp::{IdpClient, IdpConfig, TestIdp},
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{DataPlane, access_key, account_a, account_b, config, error_of, open_store, workload};

const SERVICE: (&str, &str) = ("svc", "svc-secret");
const UNCONFIGURED: (&str, &str) = ("other", "other-secret");
const WEB_APP: (&str, &str) = ("web", "web-secret");
const CALLBACK: &str = "http://127.0.0.1:9/callback";
const LOOPBACK: [&str; 2] = ["--outbound-allowed-networks", "127.0.0.0/8"];

struct World {
    idp: TestIdp,
    plane: DataPlane,
    /// Account A's key for every workload.
    key: String,
    /// Account A's key limited to `agent-x`.
    key_x_only: String,
    /// Account B's key (an account without JWT authorizers).
    key_b: String,
    db: SqliteDb,
}

async fn authorizer(store: &Store, name: &str, discovery_url: &str, clients: &[&str], audience: &str) {
    let spec = JwtAuthorizerSpec {
        name: name.to_owned(),
        description: String::new(),
        discovery_url: discovery_url.to_owned(),
        allowed_audiences: vec![audience.to_owned()],
        allowed_clients: clients.iter().map(|c| (*c).to_owned()).collect(),
        allowed_scopes: vec!["read".to_owned()],
        required_claims: BTreeMap::new(),
        custom: None,
    };
    store.create_jwt_authorizer(&account_a(), spec).await.unwrap();
}

/// Account A trusts the IdP through three authorizers, tried in name order: `a-strict` (a client
/// no token has), `b-main` (the service and the web app) and `c-down` (an IdP that is not there).
async fn world() -> Option<World> {
    let idp = TestIdp::start(IdpConfig {
        clients: vec![
            IdpClient::service(SERVICE.0, SERVICE.1),
            IdpClient::service(UNCONFIGURED.0, UNCONFIGURED.1),
            IdpClient::web_app(WEB_APP.0, WEB_APP.1, CALLBACK),
        ],
        ..IdpConfig::default()
    })
    .await?;
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let (a, b) = (account_a(), account_b());
    workload(&store, &a, "agent-x").await;
    workload(&store, &a, "agent-y").await;
    workload(&store, &b, "agent-b").await;
    authorizer(&store, "a-strict", &idp.discovery_url(), &["nobody"], idp.resource()).await;
    authorizer(&store, "b-main", &idp.discovery_url(), &[SERVICE.0, WEB_APP.0], idp.resource()).await;
    authorizer(&store, "c-down", "http://127.0.0.1:9/.well-known/openid-configuration", &[SERVICE.0], "api").await;
    let key = access_key(&store, &a, "AKIAAAAAAAAAAAAAAAAA", &[]).await;
    let key_x_only = access_key(&store, &a, "AKIAXXXXXXXXXXXXXXXX", &["agent-x"]).await;
    let key_b = access_key(&store, &b, "AKIABBBBBBBBBBBBBBBB", &[]).await;
    store.close().await;
    let plane = DataPlane::start(config(&db, &LOOPBACK)).await;
    Some(World { idp, plane, key, key_x_only, key_b, db })
}

async fn wat_for_jwt(w: &World, key: &str, workload: &str, token: &str) -> Result<String, tonic::Status> {
    let request =
        pb::GetWorkloadAccessTokenForJwtRequest { workload_name: workload.to_owned(), user_token: token.to_owned() };
    w.plane
        .client(Some(key))
        .await
        .get_workload_access_token_for_jwt(request)
        .await
        .map(|r| r.into_inner().workload_access_token)
}

async fn validate(
    plane: &DataPlane,
    key: &str,
    token: &str,
    workload: Option<&str>,
    authorizer: Option<&str>,
) -> Result<pb::ValidateTokenResponse, tonic::Status> {
    let request = pb::ValidateTokenRequest {
        token: token.to_owned(),
        workload_name: workload.map(str::to_owned),
        authorizer_name: authorizer.map(str::to_owned),
    };
    plane.client(Some(key)).await.validate_token(request).await.map(|r| r.into_inner())
}

/// The claims of a WAT, verified with the data plane's published JWKS.
async fn wat_claims(w: &World, wat: &str) -> Value {
    let jwks: JwkSet =
        reqwest::get(format!("http://{}/.well-known/jwks.json", w.plane.http)).await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(wat).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("the signing key is published");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["agentcore-identity:workload"]);
    jsonwebtoken::decode::<Value>(wat, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap().claims
}

/// Asserts `InvalidToken` (UNAUTHENTICATED) with `check`, and that the message does not echo the token.
fn assert_refused(status: &tonic::Status, check: &str, token: &str) {
    let (code, reason, metadata) = error_of(status);
    assert_eq!((code, reason.as_str()), (Code::Unauthenticated, "InvalidToken"), "{status:?}");
    assert_eq!(metadata.get("check").map(String::as_str), Some(check), "{status:?}");
    assert!(!status.message().contains(token), "the token is echoed");
    // Not even its signature.
    if let Some(signature) = token.rsplit('.').next().filter(|s| s.len() > 16) {
        assert!(!status.message().contains(signature));
    }
}

#[tokio::test]
async fn a_user_jwt_from_the_idp_is_bound_into_the_wat() {
    let Some(w) = world().await else { return };
    let token = w.idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    let wat = wat_for_jwt(&w, &w.key, "agent-x", &token).await.unwrap();
    let claims = wat_claims(&w, &wat).await;
    let user = format!("{}#{}", w.idp.issuer(), SERVICE.0);
    assert_eq!(
        (claims["sub"].as_str(), claims["acct"].as_str(), claims["uid"].as_str()),
        (Some("agent-x"), Some("111111111111"), Some(user.as_str()))
    );
    // The IdP's token lives 300 s, less than the WAT's 900 s: the WAT expires with it.
    let payload = token.split('.').nth(1).unwrap();
    let user_claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["exp"], user_claims["exp"], "a WAT never outlives its user's token");
    // Also when the user token's `exp` is not an integer (a NumericDate may have a fraction).
    let exp = user_claims["iat"].as_f64().unwrap() + 120.5;
    let fractional = w
        .idp
        .mint(json!({"aud": w.idp.resource(), "client_id": SERVICE.0, "scope": "read", "exp": exp}), json!({}))
        .await;
    let capped = wat_claims(&w, &wat_for_jwt(&w, &w.key, "agent-x", &fractional).await.unwrap()).await;
    assert!(capped["exp"].as_f64().unwrap() <= exp, "the WAT outlives a fractional exp: {capped}");

    // A user who logged in at the IdP (authorization code with PKCE).
    let verifier = "a-code-verifier-of-at-least-forty-three-characters-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()));
    let authorize = format!(
        "{}?client_id={}&response_type=code&scope=read&state=s1&code_challenge={challenge}\
         &code_challenge_method=S256&redirect_uri={}",
        w.idp.authorization_endpoint(),
        WEB_APP.0,
        "http%3A%2F%2F127.0.0.1%3A9%2Fcallback",
    );
    let callback = url::Url::parse(&w.idp.authorize_as(&authorize, "alice").await).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ];
    let (status, body) = w.idp.token_request(WEB_APP.0, WEB_APP.1, &form).await;
    assert!(status.is_success(), "{body}");
    let alice = body["access_token"].as_str().unwrap();
    let wat = wat_for_jwt(&w, &w.key_x_only, "agent-x", alice).await.unwrap();
    let expected = format!("{}#alice", w.idp.issuer());
    assert_eq!(wat_claims(&w, &wat).await["uid"].as_str(), Some(expected.as_str()));

    // The WAT works like any other: it vends (here: the provider is missing, so NOT_FOUND, not
    // an invalid-WAT error).
    let request = pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat,
        credential_provider: Some(
            pb::get_api_key_credential_request::CredentialProvider::ResourceCredentialProviderName(
                "Missing".to_owned(),
            ),
        ),
    };
    let err = w.plane.client(Some(&w.key)).await.get_api_key_credential(request).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ProviderNotFound");
}

#[tokio::test]
async fn refused_user_jwts_are_invalid_token_with_the_check() {
    let Some(w) = world().await else { return };
    // A client no authorizer allows: every authorizer that could read it said so (c-down's IdP
    // being unreachable does not hide that).
    let other = w.idp.client_credentials(UNCONFIGURED.0, UNCONFIGURED.1, "read").await;
    let err = wat_for_jwt(&w, &w.key, "agent-x", &other).await.unwrap_err();
    assert_refused(&err, "client_not_allowed", &other);

    // Expired long ago (signed by the IdP's own key).
    let expired = w
        .idp
        .mint(
            json!({"aud": w.idp.resource(), "client_id": SERVICE.0, "scope": "read", "iat": 999_990_000, "exp": 1_000_000_000}),
            json!({}),
        )
        .await;
    let err = wat_for_jwt(&w, &w.key, "agent-x", &expired).await.unwrap_err();
    assert_refused(&err, "expired", &expired);

    // Not a JWT at all; a JWT with its signature swapped.
    let err = wat_for_jwt(&w, &w.key, "agent-x", "not-a-jwt").await.unwrap_err();
    assert_refused(&err, "malformed", "not-a-jwt");
    let good = w.idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    let forged = format!("{}.{}", good.rsplit_once('.').unwrap().0, other.rsplit_once('.').unwrap().1);
    let err = wat_for_jwt(&w, &w.key, "agent-x", &forged).await.unwrap_err();
    assert_refused(&err, "bad_signature", &forged);

    // An empty token is a validation error.
    let err = wat_for_jwt(&w, &w.key, "agent-x", "").await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException");

    // The caller's rights come first: a key limited to agent-x, an unknown workload.
    let err = wat_for_jwt(&w, &w.key_x_only, "agent-y", &good).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::PermissionDenied);
    let err = wat_for_jwt(&w, &w.key, "agent-missing", &good).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);

    // An account without authorizers accepts no user JWT.
    let err = wat_for_jwt(&w, &w.key_b, "agent-b", &good).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::FailedPrecondition, "{err:?}");
}

#[tokio::test]
async fn validate_token_returns_the_verified_claims() {
    use prost_types::value::Kind;
    let Some(w) = world().await else { return };
    let token = w.idp.client_credentials(SERVICE.0, SERVICE.1, "read write").await;
    let validated = validate(&w.plane, &w.key, &token, None, None).await.unwrap();
    assert_eq!(validated.authorizer_name, "b-main", "the first authorizer in name order that accepts it");
    assert_eq!(
        (validated.subject.as_str(), validated.issuer.as_str(), validated.client_id.as_str()),
        (SERVICE.0, w.idp.issuer(), SERVICE.0)
    );
    assert_eq!(validated.audiences, [w.idp.resource()]);
    assert_eq!(validated.scopes, ["read", "write"]);
    let (expires_at, issued_at) = (validated.expires_at.unwrap(), validated.issued_at.unwrap());
    assert_eq!(expires_at.seconds - issued_at.seconds, 300);
    let claims = validated.claims.unwrap().fields;
    assert_eq!(claims["sub"].kind, Some(Kind::StringValue(SERVICE.0.to_owned())));
    assert_eq!(claims["iss"].kind, Some(Kind::StringValue(w.idp.issuer().to_owned())));
    assert_eq!(claims["exp"].kind, Some(Kind::NumberValue(expires_at.seconds as f64)));

    // As a workload the caller may act for; with a named authorizer.
    let named = validate(&w.plane, &w.key_x_only, &token, Some("agent-x"), Some("b-main")).await.unwrap();
    assert_eq!(named.authorizer_name, "b-main");

    // The named authorizer is the only one tried.
    let err = validate(&w.plane, &w.key, &token, None, Some("a-strict")).await.unwrap_err();
    assert_refused(&err, "client_not_allowed", &token);
    let err = validate(&w.plane, &w.key, &token, None, Some("missing")).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);
    // An unreachable IdP is UNAVAILABLE, not the token's fault.
    let err = validate(&w.plane, &w.key, &token, None, Some("c-down")).await.unwrap_err();
    let (code, _, metadata) = error_of(&err);
    assert_eq!((code, metadata.get("check").map(String::as_str)), (Code::Unavailable, Some("discovery_failed")));

    // A workload the key may not act for.
    let err = validate(&w.plane, &w.key_x_only, &token, Some("agent-y"), None).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::PermissionDenied);
    // Garbage and expired tokens.
    let err = validate(&w.plane, &w.key, "e30.e30.e30", None, None).await.unwrap_err();
    assert_refused(&err, "malformed", "e30.e30.e30");
    let expired = w
        .idp
        .mint(
            json!({"aud": w.idp.resource(), "client_id": SERVICE.0, "scope": "read", "exp": 1_000_000_000}),
            json!({}),
        )
        .await;
    let err = validate(&w.plane, &w.key, &expired, None, None).await.unwrap_err();
    assert_refused(&err, "expired", &expired);
    // Callers need an access key.
    let request = pb::ValidateTokenRequest { token: token.clone(), ..Default::default() };
    let err = w.plane.client(None).await.validate_token(request).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn idps_outside_the_allowed_networks_are_not_fetched() {
    let Some(w) = world().await else { return };
    // The same store, served by a data plane that may not reach loopback.
    let plane = DataPlane::start(config(&w.db, &[])).await;
    let token = w.idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    let before = w.idp.counters().await;
    let err = validate(&plane, &w.key, &token, None, Some("b-main")).await.unwrap_err();
    let (code, _, metadata) = error_of(&err);
    assert_eq!((code, metadata.get("check").map(String::as_str)), (Code::Unavailable, Some("discovery_failed")));
    assert_eq!(w.idp.counters().await.discovery, before.discovery, "the request never left");
    plane.stop().await;
}

#[tokio::test]
async fn a_workload_accepts_only_tokens_its_own_authorizers_accept() {
    let Some(w) = world().await else { return };
    let store = open_store(&w.db).await;
    // `d-other` accepts the `other` client's tokens, which every other authorizer refuses;
    // agent-y trusts `d-other` alone, agent-x the account default (every JWT authorizer).
    authorizer(&store, "d-other", &w.idp.discovery_url(), &[UNCONFIGURED.0], w.idp.resource()).await;
    let mut spec = store.get_workload_identity(&account_a(), "agent-y").await.unwrap().spec;
    spec.authorizers = vec!["d-other".to_owned()];
    store.update_workload_identity(&account_a(), spec).await.unwrap();
    store.close().await;
    let service = w.idp.client_credentials(SERVICE.0, SERVICE.1, "read").await;
    let other = w.idp.client_credentials(UNCONFIGURED.0, UNCONFIGURED.1, "read").await;

    // Only b-main accepts the service's token: agent-x takes it, agent-y refuses it, although
    // the token is valid and the account trusts its issuer.
    wat_for_jwt(&w, &w.key, "agent-x", &service).await.unwrap();
    let err = wat_for_jwt(&w, &w.key, "agent-y", &service).await.unwrap_err();
    assert_refused(&err, "client_not_allowed", &service);
    let wat = wat_for_jwt(&w, &w.key, "agent-y", &other).await.unwrap();
    let user = format!("{}#{}", w.idp.issuer(), UNCONFIGURED.0);
    assert_eq!(wat_claims(&w, &wat).await["uid"].as_str(), Some(user.as_str()));

    // ValidateToken for a workload narrows the same way; naming an authorizer still wins.
    let err = validate(&w.plane, &w.key, &service, Some("agent-y"), None).await.unwrap_err();
    assert_refused(&err, "client_not_allowed", &service);
    let validated = validate(&w.plane, &w.key, &other, Some("agent-y"), None).await.unwrap();
    assert_eq!(validated.authorizer_name, "d-other");
    let named = validate(&w.plane, &w.key, &service, Some("agent-y"), Some("b-main")).await.unwrap();
    assert_eq!(named.authorizer_name, "b-main");
}
