//! Admin JWTs from a configured issuer (the real OpenID Provider on loopback): a valid one
//! administers the account its claim names; one failing any check is UNAUTHENTICATED, and the
//! answer never holds the token.

use identity_proto::v1 as pb;
use identity_testkit::idp::{IdpConfig, TestIdp};
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, Server, error_of};

const AUDIENCE: &str = "identity-admin";
const ACCOUNT: &str = "123456789012";
const SCOPE: &str = "identity:admin";

async fn server_trusting(idp: &TestIdp) -> Server {
    let url = idp.discovery_url();
    Server::sqlite(&[
        "--admin-jwt-discovery-url",
        &url,
        "--admin-jwt-audiences",
        AUDIENCE,
        "--admin-jwt-scopes",
        SCOPE,
        "--outbound-allowed-networks",
        "127.0.0.0/8",
    ])
    .await
}

/// An admin JWT signed by `idp`: `extra` adds to (or, with `null`, removes) the claims of a
/// valid one.
async fn admin_jwt(idp: &TestIdp, extra: Value) -> String {
    let mut claims = json!({"sub": "ops@example.com", "aud": AUDIENCE, "account_id": ACCOUNT, "scope": SCOPE});
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    idp.mint(claims, json!({})).await
}

fn workload(name: &str) -> pb::CreateWorkloadIdentityRequest {
    pb::CreateWorkloadIdentityRequest { name: name.to_owned(), ..Default::default() }
}

async fn names(server: &Server, token: &str) -> Vec<String> {
    let listed = server
        .workloads(Some(token))
        .await
        .list_workload_identities(pb::ListWorkloadIdentitiesRequest::default())
        .await
        .unwrap()
        .into_inner();
    listed.workload_identities.into_iter().map(|w| w.name).collect()
}

#[tokio::test]
async fn a_valid_admin_jwt_administers_the_account_its_claim_names() {
    let Some(idp) = TestIdp::start(IdpConfig::default()).await else { return };
    let server = server_trusting(&idp).await;
    let token = admin_jwt(&idp, json!({})).await;

    let created = server
        .workloads(Some(&token))
        .await
        .create_workload_identity(workload("jwt-made"))
        .await
        .unwrap()
        .into_inner()
        .workload_identity
        .unwrap();
    assert!(created.workload_identity_arn.contains(&format!(":{ACCOUNT}:")), "{}", created.workload_identity_arn);
    assert_eq!(names(&server, &token).await, ["jwt-made"]);
    // Scoped: the default account (bootstrap token) does not see it, another account's admin
    // token does not either, and that account's admin token sees it.
    assert!(names(&server, BOOTSTRAP_TOKEN).await.is_empty());
    let other = server.admin_token_for("222222222222").await;
    assert!(names(&server, &other).await.is_empty());
    let same = server.admin_token_for(ACCOUNT).await;
    assert_eq!(names(&server, &same).await, ["jwt-made"]);
    // Admin tokens keep working beside JWTs.
    server.workloads(Some(BOOTSTRAP_TOKEN)).await.create_workload_identity(workload("token-made")).await.unwrap();
}

#[tokio::test]
async fn admin_jwts_failing_a_check_are_unauthenticated_and_never_echoed() {
    let Some(idp) = TestIdp::start(IdpConfig::default()).await else { return };
    let Some(stranger) = TestIdp::start(IdpConfig::default()).await else { return };
    let server = server_trusting(&idp).await;
    let cases = [
        ("wrong audience", admin_jwt(&idp, json!({"aud": "some-other-api"})).await, "audience"),
        ("expired", admin_jwt(&idp, json!({"iat": 1_000_000_000, "exp": 1_000_000_300})).await, "expired"),
        ("other issuer claimed", admin_jwt(&idp, json!({"iss": "https://evil.example.com"})).await, "issuer"),
        ("signed by another IdP", admin_jwt(&stranger, json!({})).await, "sign"),
        ("without the admin scope", admin_jwt(&idp, json!({"scope": "openid profile"})).await, "scope"),
        ("no account claim", admin_jwt(&idp, json!({"account_id": null})).await, "account"),
        ("not an account id", admin_jwt(&idp, json!({"account_id": "root"})).await, "account"),
    ];
    for (case, token, says) in cases {
        let err = server.workloads(Some(&token)).await.create_workload_identity(workload("nope")).await.unwrap_err();
        let (code, reason, _) = error_of(&err);
        assert_eq!((code, reason.as_str()), (Code::Unauthenticated, "UnauthorizedException"), "{case}: {err:?}");
        assert!(err.message().contains(says), "{case}: {}", err.message());
        let answer = format!("{} {} {:?}", err.message(), String::from_utf8_lossy(err.details()), err.metadata());
        for part in token.split('.') {
            assert!(!answer.contains(part), "{case}: the answer holds part of the token");
        }
    }
    assert!(names(&server, BOOTSTRAP_TOKEN).await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn without_an_admin_issuer_a_jwt_is_just_an_invalid_admin_token() {
    let Some(idp) = TestIdp::start(IdpConfig::default()).await else { return };
    let server = Server::sqlite(&[]).await;
    let token = admin_jwt(&idp, json!({})).await;
    let err = server.workloads(Some(&token)).await.create_workload_identity(workload("nope")).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(err.message(), "invalid admin token");
}

#[tokio::test]
async fn with_the_admin_issuer_unreachable_jwts_are_unavailable_and_admin_tokens_still_work() {
    // A port nothing listens on: discovery fails.
    let url = format!("http://{}/.well-known/openid-configuration", identity_testkit::free_addr());
    let server = Server::sqlite(&[
        "--admin-jwt-discovery-url",
        &url,
        "--admin-jwt-audiences",
        AUDIENCE,
        "--admin-jwt-scopes",
        SCOPE,
        "--outbound-allowed-networks",
        "127.0.0.0/8",
    ])
    .await;
    // Well-formed (RS256, a kid), so that only the issuer's keys can decide.
    let token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.\
                 eyJzdWIiOiJvcHMiLCJhdWQiOiJpZGVudGl0eS1hZG1pbiIsImFjY291bnRfaWQiOiIxMjM0NTY3ODkwMTIifQ.\
                 c2lnbmF0dXJl";
    let err = server.workloads(Some(token)).await.create_workload_identity(workload("nope")).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::Unavailable, "{err:?}");
    assert!(!err.message().contains(token.split('.').nth(1).unwrap()));
    server.workloads(Some(BOOTSTRAP_TOKEN)).await.create_workload_identity(workload("still-works")).await.unwrap();
}
