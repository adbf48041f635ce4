//! Custom authorizers against an endpoint served by the test on loopback: one token allowed, one
//! denied, one never answered (only the first gets a WAT; the last is retryable), answers cached,
//! failures closed with their own check, custom authorizers used only where attached, and the
//! endpoint subject to the outbound address policy.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Json, Router, http::HeaderMap, routing::post};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_domain::{CustomAuthorizerConfig, JwtAuthorizerSpec, SecretString};
use identity_proto::v1 as pb;
use identity_testkit::SqliteDb;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{DataPlane, access_key, account_a, config, error_of, open_store};

const SECRET: &str = "shared-secret-between-data-plane-and-endpoint";
const ALLOW: &str = "opaque-token-the-endpoint-allows";
const DENY: &str = "opaque-token-the-endpoint-denies";
const SLOW: &str = "opaque-token-the-endpoint-never-answers-in-time";
const LOOPBACK: [&str; 2] = ["--outbound-allowed-networks", "127.0.0.0/8"];

/// What the endpoint saw.
#[derive(Default)]
struct Calls {
    /// Calls per token.
    per_token: HashMap<String, usize>,
    /// The shared secret of each call.
    secrets: Vec<String>,
}

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Calls>>);

impl Seen {
    fn calls(&self, token: &str) -> usize {
        self.0.lock().unwrap().per_token.get(token).copied().unwrap_or(0)
    }

    fn secrets(&self) -> Vec<String> {
        self.0.lock().unwrap().secrets.clone()
    }
}

async fn endpoint(seen: Seen) -> SocketAddr {
    let router = Router::new().route(
        "/check",
        post(move |headers: HeaderMap, Json(request): Json<Value>| {
            let seen = seen.clone();
            async move {
                let token = request["token"].as_str().unwrap_or_default().to_owned();
                {
                    let mut seen = seen.0.lock().unwrap();
                    *seen.per_token.entry(token.clone()).or_default() += 1;
                    let secret = headers.get("x-authz-secret").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    seen.secrets.push(secret.to_owned());
                }
                match token.as_str() {
                    ALLOW => (
                        axum::http::StatusCode::OK,
                        json!({"allow": true, "claims": {
                            "sub": "alice",
                            "department": "support",
                            "workload": request["workloadName"],
                        }})
                        .to_string(),
                    ),
                    DENY => (axum::http::StatusCode::OK, json!({"allow": false}).to_string()),
                    SLOW => {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        (axum::http::StatusCode::OK, json!({"allow": true, "claims": {"sub": "late"}}).to_string())
                    }
                    "outage" => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "{}".to_owned()),
                    "refusal" => (axum::http::StatusCode::FORBIDDEN, "{}".to_owned()),
                    "garbage" => (axum::http::StatusCode::OK, "<html>allow</html>".to_owned()),
                    "huge" => (axum::http::StatusCode::OK, format!("{{\"pad\": \"{}\"}}", "x".repeat(400 * 1024))),
                    large if large.starts_with("large-") => {
                        (axum::http::StatusCode::OK, json!({"allow": true, "claims": {"sub": "bulky"}}).to_string())
                    }
                    _ => (axum::http::StatusCode::OK, json!({"allow": false}).to_string()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

struct World {
    seen: Seen,
    db: SqliteDb,
    key: String,
}

/// Account A: custom authorizer `corp` (2 s timeout, shared secret) attached to `agent-c`;
/// `agent-d` names no authorizer (the account default, which has no JWT authorizer).
async fn world() -> World {
    let seen = Seen::default();
    let addr = endpoint(seen.clone()).await;
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let a = account_a();
    let spec = JwtAuthorizerSpec {
        name: "corp".to_owned(),
        description: String::new(),
        discovery_url: String::new(),
        allowed_audiences: vec![],
        allowed_clients: vec![],
        allowed_scopes: vec![],
        required_claims: Default::default(),
        custom: Some(CustomAuthorizerConfig {
            endpoint_url: format!("http://{addr}/check"),
            timeout_ms: 2_000,
            secret_header_name: "x-authz-secret".to_owned(),
        }),
    };
    store.create_authorizer(&a, spec, Some(&SecretString::new(SECRET.to_owned()))).await.unwrap();
    crate::support::workload(&store, &a, "agent-d").await;
    crate::support::workload(&store, &a, "agent-c").await;
    let mut attached = store.get_workload_identity(&a, "agent-c").await.unwrap().spec;
    attached.authorizers = vec!["corp".to_owned()];
    store.update_workload_identity(&a, attached).await.unwrap();
    let key = access_key(&store, &a, "AKIACCCCCCCCCCCCCCCC", &[]).await;
    store.close().await;
    World { seen, db, key }
}

async fn wat_for(plane: &DataPlane, key: &str, workload: &str, token: &str) -> Result<String, tonic::Status> {
    let request =
        pb::GetWorkloadAccessTokenForJwtRequest { workload_name: workload.to_owned(), user_token: token.to_owned() };
    plane
        .client(Some(key))
        .await
        .get_workload_access_token_for_jwt(request)
        .await
        .map(|r| r.into_inner().workload_access_token)
}

/// The WAT's claims (its signature is checked by the JWT tests; here only the binding matters).
fn claims_of(wat: &str) -> Value {
    let payload = wat.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn assert_refused(status: &tonic::Status, check: &str, token: &str) {
    let (code, reason, metadata) = error_of(status);
    assert_eq!((code, reason.as_str()), (Code::Unauthenticated, "InvalidToken"), "{status:?}");
    assert_eq!(metadata.get("check").map(String::as_str), Some(check), "{status:?}");
    assert!(!status.message().contains(token), "the token is echoed: {status:?}");
}

/// The endpoint was out of service: retryable, nothing said about the token.
fn assert_unavailable(status: &tonic::Status, check: &str, token: &str) {
    let (code, reason, metadata) = error_of(status);
    assert_eq!((code, reason.as_str()), (Code::Unavailable, "ServiceUnavailableException"), "{status:?}");
    assert_eq!(metadata.get("check").map(String::as_str), Some(check), "{status:?}");
    assert_eq!(metadata.get("authorizer").map(String::as_str), Some("corp"), "{status:?}");
    assert!(!status.message().contains(token), "the token is echoed: {status:?}");
}

#[tokio::test]
async fn a_custom_authorizer_allows_one_token_denies_another_and_times_out_on_a_third() {
    let w = world().await;
    let plane = DataPlane::start(config(&w.db, &LOOPBACK)).await;

    let wat = wat_for(&plane, &w.key, "agent-c", ALLOW).await.unwrap();
    let claims = claims_of(&wat);
    assert_eq!((claims["sub"].as_str(), claims["uid"].as_str()), (Some("agent-c"), Some("custom:corp#alice")));
    let err = wat_for(&plane, &w.key, "agent-c", DENY).await.unwrap_err();
    assert_refused(&err, "custom_denied", DENY);
    let err = wat_for(&plane, &w.key, "agent-c", SLOW).await.unwrap_err();
    assert_unavailable(&err, "custom_timeout", SLOW);
    assert_eq!((w.seen.calls(ALLOW), w.seen.calls(DENY), w.seen.calls(SLOW)), (1, 1, 1));
    assert!(w.seen.secrets().iter().all(|s| s == SECRET), "every call carries the shared secret");

    // The allowed answer is reused: a second WAT without asking the endpoint again.
    let again = wat_for(&plane, &w.key, "agent-c", ALLOW).await.unwrap();
    assert_eq!(claims_of(&again)["uid"].as_str(), Some("custom:corp#alice"));
    assert_eq!(w.seen.calls(ALLOW), 1, "the second call was served from the cache");
    // Denials are not cached.
    wat_for(&plane, &w.key, "agent-c", DENY).await.unwrap_err();
    assert_eq!(w.seen.calls(DENY), 2);

    // A workload that is not attached never reaches the endpoint: the account default holds
    // JWT authorizers only (here none).
    let err = wat_for(&plane, &w.key, "agent-d", ALLOW).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::FailedPrecondition, "{err:?}");
    assert_eq!(w.seen.calls(ALLOW), 1);

    // ValidateToken names the authorizer (or the workload) and returns the endpoint's claims.
    let request = pb::ValidateTokenRequest {
        token: ALLOW.to_owned(),
        workload_name: None,
        authorizer_name: Some("corp".to_owned()),
    };
    let validated = plane.client(Some(&w.key)).await.validate_token(request).await.unwrap().into_inner();
    assert_eq!((validated.subject.as_str(), validated.authorizer_name.as_str()), ("alice", "corp"));
    let fields = validated.claims.unwrap().fields;
    assert_eq!(fields["department"].kind, Some(prost_types::value::Kind::StringValue("support".to_owned())));
    let request = pb::ValidateTokenRequest {
        token: DENY.to_owned(),
        workload_name: Some("agent-c".to_owned()),
        authorizer_name: None,
    };
    let err = plane.client(Some(&w.key)).await.validate_token(request).await.unwrap_err();
    assert_refused(&err, "custom_denied", DENY);
    plane.stop().await;
}

#[tokio::test]
async fn unusable_answers_fail_closed_with_their_own_check() {
    let w = world().await;
    let plane = DataPlane::start(config(&w.db, &LOOPBACK)).await;
    for (token, check) in
        [("refusal", "custom_bad_status"), ("garbage", "custom_bad_response"), ("huge", "custom_response_too_large")]
    {
        let err = wat_for(&plane, &w.key, "agent-c", token).await.unwrap_err();
        assert_refused(&err, check, token);
    }
    // A 5xx is an outage, not an answer about the token.
    let err = wat_for(&plane, &w.key, "agent-c", "outage").await.unwrap_err();
    assert_unavailable(&err, "custom_bad_status", "outage");
    plane.stop().await;
}

/// A custom authorizer may allow tokens larger than any JWT; one too large to travel sealed in a
/// WAT is refused at mint time, rather than giving a WAT every later call refuses as too large.
#[tokio::test]
async fn a_user_token_too_large_for_a_wat_is_refused_when_minting() {
    use tonic_types::StatusExt as _;
    let w = world().await;
    let plane = DataPlane::start(config(&w.db, &LOOPBACK)).await;
    let large = format!("large-{}", "x".repeat(20 * 1024));
    let err = wat_for(&plane, &w.key, "agent-c", &large).await.unwrap_err();
    assert_eq!((err.code(), error_of(&err).1.as_str()), (Code::InvalidArgument, "ValidationException"), "{err:?}");
    let violations = err.get_error_details().bad_request().map(|b| b.field_violations.clone()).unwrap_or_default();
    assert!(violations.iter().any(|v| v.field == "user_token"), "{err:?}");
    assert!(!err.message().contains(&large[..64]), "the token is echoed");
    assert_eq!(w.seen.calls(&large), 1, "asked, then found too large once sealed");
    // One that cannot fit whatever the seal is refused before the authorizer is asked.
    let larger = format!("larger-{}", "x".repeat(30 * 1024));
    let err = wat_for(&plane, &w.key, "agent-c", &larger).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ValidationException", "{err:?}");
    assert_eq!(w.seen.calls(&larger), 0);

    // One that fits makes a WAT the data plane takes back.
    let fits = format!("large-{}", "x".repeat(8 * 1024));
    let wat = wat_for(&plane, &w.key, "agent-c", &fits).await.unwrap();
    let request = pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat,
        credential_provider: Some(
            pb::get_api_key_credential_request::CredentialProvider::ResourceCredentialProviderName(
                "Missing".to_owned(),
            ),
        ),
    };
    let err = plane.client(Some(&w.key)).await.get_api_key_credential(request).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ProviderNotFound", "{err:?}");
    plane.stop().await;
}

#[tokio::test]
async fn custom_authorizer_endpoints_obey_the_outbound_policy() {
    let w = world().await;
    // The same store, served by a data plane that may not reach loopback.
    let plane = DataPlane::start(config(&w.db, &[])).await;
    let err = wat_for(&plane, &w.key, "agent-c", ALLOW).await.unwrap_err();
    assert_refused(&err, "custom_endpoint_forbidden", ALLOW);
    assert_eq!(w.seen.calls(ALLOW), 0, "the request never left");
    plane.stop().await;
}

#[tokio::test]
async fn complete_resource_token_auth_checks_a_user_token_with_the_session_workloads_authorizers() {
    use identity_store::{OauthSession, SessionStatus};
    let w = world().await;
    let store = open_store(&w.db).await;
    let workload = store.get_workload_identity(&account_a(), "agent-c").await.unwrap();
    // s-gone and s-stale were started by workload identities since deleted (s-stale's name now
    // belongs to another identity).
    for (id, user, workload_id, workload_name) in [
        ("s-alice", "custom:corp#alice", workload.id.as_str(), "agent-c"),
        ("s-bob", "custom:corp#bob", &workload.id, "agent-c"),
        ("s-gone", "custom:corp#alice", "wi-deleted", "agent-gone"),
        ("s-stale", "custom:corp#alice", "wi-deleted", "agent-c"),
    ] {
        let session = OauthSession {
            session_id: id.to_owned(),
            account: account_a(),
            workload_id: workload_id.to_owned(),
            workload_name: workload_name.to_owned(),
            user_id: user.to_owned(),
            provider_id: "cp-000000000000000000000000".to_owned(),
            provider_name: "crm".to_owned(),
            scopes: vec![],
            return_url: "https://app.example.com/done".to_owned(),
            custom_params: Default::default(),
            code_challenge: "challenge".to_owned(),
            status: SessionStatus::Pending,
            failure: String::new(),
            expires_at: i64::MAX / 2,
        };
        store.create_oauth_session(&session, &SecretString::new("verifier".to_owned())).await.unwrap();
    }
    store.close().await;
    let plane = DataPlane::start(config(&w.db, &LOOPBACK)).await;
    let complete = |session: &str, token: &str| {
        let request = pb::CompleteResourceTokenAuthRequest {
            user_identifier: Some(pb::UserIdentifier {
                identifier: Some(pb::user_identifier::Identifier::UserToken(token.to_owned())),
            }),
            session_uri: format!("urn:ietf:params:oauth:request_uri:{session}"),
        };
        let plane = &plane;
        let key = w.key.clone();
        async move { plane.client(Some(&key)).await.complete_resource_token_auth(request).await }
    };

    // agent-c trusts `corp` (the account default has no authorizer at all): alice's token is
    // allowed, so alice's session goes on to its state check (the user has not authorized yet)...
    let err = complete("s-alice", ALLOW).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert!(err.message().contains("not finished authorizing"), "{err:?}");
    // ...while bob's session is someone else's, and a denied token goes nowhere.
    let err = complete("s-bob", ALLOW).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let err = complete("s-alice", DENY).await.unwrap_err();
    assert_refused(&err, "custom_denied", DENY);
    // A session whose workload identity is gone is refused, its token not checked by anyone
    // else's authorizers (here: the account default, or the new agent-c's).
    for session in ["s-gone", "s-stale"] {
        let err = complete(session, ALLOW).await.unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{session}: {err:?}");
        assert!(err.message().contains("no longer exists"), "{session}: {err:?}");
    }
    plane.stop().await;
}
