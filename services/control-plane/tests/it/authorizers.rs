//! Authorizer attachment and custom authorizers on the control plane, on SQLite and Postgres:
//! workload identities name authorizers that exist, an attached authorizer cannot be deleted,
//! and a custom authorizer's settings are validated and its shared secret never returned.

use identity_proto::v1 as pb;
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, Server, error_of};

const SHARED_SECRET: &str = "the-shared-secret-of-the-custom-authorizer";

fn oidc(name: &str) -> pb::CreateJwtAuthorizerRequest {
    pb::CreateJwtAuthorizerRequest {
        name: name.to_owned(),
        discovery_url: "https://idp.example.com/.well-known/openid-configuration".to_owned(),
        allowed_audiences: vec!["api".to_owned()],
        ..Default::default()
    }
}

fn custom(name: &str, header: &str, secret: &str) -> pb::CreateJwtAuthorizerRequest {
    pb::CreateJwtAuthorizerRequest {
        name: name.to_owned(),
        custom: Some(pb::CustomAuthorizerConfig {
            endpoint_url: "https://authz.example.com/check".to_owned(),
            timeout_ms: 0,
            secret_header_name: header.to_owned(),
        }),
        custom_secret: secret.to_owned(),
        ..Default::default()
    }
}

fn workload(name: &str, authorizers: &[&str]) -> pb::CreateWorkloadIdentityRequest {
    pb::CreateWorkloadIdentityRequest {
        name: name.to_owned(),
        authorizer_names: authorizers.iter().map(|a| (*a).to_owned()).collect(),
        ..Default::default()
    }
}

async fn attachment(server: Server) {
    let mut authorizers = server.authorizers(Some(BOOTSTRAP_TOKEN)).await;
    let mut workloads = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    authorizers.create_jwt_authorizer(oidc("okta")).await.unwrap();
    authorizers.create_jwt_authorizer(custom("mine", "", "")).await.unwrap();

    // Names are validated, then checked to exist in the caller's account.
    let err = workloads.create_workload_identity(workload("agent", &["okta", "bad name", "okta"])).await.unwrap_err();
    assert_eq!(
        error_of(&err),
        (
            Code::InvalidArgument,
            "ValidationException".to_owned(),
            vec!["authorizer_names[1]".to_owned(), "authorizer_names[2]".to_owned()]
        )
    );
    let err = workloads.create_workload_identity(workload("agent", &["okta", "missing"])).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);
    assert!(err.message().contains("'missing'"), "{}", err.message());
    let other_account = server.admin_token_for("123456789012").await;
    let err = server
        .workloads(Some(&other_account))
        .await
        .create_workload_identity(workload("agent", &["okta"]))
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound, "another account's authorizer is not there");

    let created = workloads
        .create_workload_identity(workload("agent", &["mine", "okta"]))
        .await
        .unwrap()
        .into_inner()
        .workload_identity
        .unwrap();
    assert_eq!(created.authorizer_names, ["mine", "okta"]);
    let got = workloads
        .get_workload_identity(pb::GetWorkloadIdentityRequest { name: "agent".to_owned() })
        .await
        .unwrap()
        .into_inner()
        .workload_identity
        .unwrap();
    assert_eq!(got.authorizer_names, ["mine", "okta"]);

    // Deleting an attached authorizer is refused, naming the workload.
    let err = authorizers
        .delete_jwt_authorizer(pb::DeleteJwtAuthorizerRequest { name: "okta".to_owned() })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, Code::FailedPrecondition);
    assert_eq!(error_of(&err).1, "ConflictException");
    assert!(err.message().contains("agent"), "{}", err.message());

    // Updating the workload replaces its list; the empty list is the account default.
    let update = pb::UpdateWorkloadIdentityRequest {
        name: "agent".to_owned(),
        authorizer_names: vec!["mine".to_owned()],
        ..Default::default()
    };
    let updated = workloads.update_workload_identity(update).await.unwrap().into_inner().workload_identity.unwrap();
    assert_eq!(updated.authorizer_names, ["mine"]);
    authorizers.delete_jwt_authorizer(pb::DeleteJwtAuthorizerRequest { name: "okta".to_owned() }).await.unwrap();
    let update = pb::UpdateWorkloadIdentityRequest { name: "agent".to_owned(), ..Default::default() };
    let updated = workloads.update_workload_identity(update).await.unwrap().into_inner().workload_identity.unwrap();
    assert!(updated.authorizer_names.is_empty());
    authorizers.delete_jwt_authorizer(pb::DeleteJwtAuthorizerRequest { name: "mine".to_owned() }).await.unwrap();
}

async fn custom_authorizers(server: Server) {
    let mut authorizers = server.authorizers(Some(BOOTSTRAP_TOKEN)).await;

    // OIDC settings on a custom authorizer, a bad endpoint, timeout and header.
    let mut bad = custom("mine", "Host", "");
    bad.discovery_url = "https://idp.example.com/.well-known/openid-configuration".to_owned();
    bad.allowed_clients = vec!["c".to_owned()];
    let config = bad.custom.as_mut().unwrap();
    config.endpoint_url = "http://authz.example.com/check".to_owned();
    config.timeout_ms = 60_000;
    let err = authorizers.create_jwt_authorizer(bad).await.unwrap_err();
    assert_eq!(
        error_of(&err).2,
        ["discovery_url", "allowed_clients", "custom.endpoint_url", "custom.timeout_ms", "custom.secret_header_name"]
    );
    // A secret needs a header and the header a secret; an OIDC authorizer has none.
    let err = authorizers.create_jwt_authorizer(custom("mine", "", SHARED_SECRET)).await.unwrap_err();
    assert_eq!(error_of(&err).2, ["custom_secret"]);
    let err = authorizers.create_jwt_authorizer(custom("mine", "x-authz-secret", "")).await.unwrap_err();
    assert_eq!(error_of(&err).2, ["custom_secret"]);
    let mut oidc_with_secret = oidc("okta");
    oidc_with_secret.custom_secret = SHARED_SECRET.to_owned();
    let err = authorizers.create_jwt_authorizer(oidc_with_secret).await.unwrap_err();
    assert_eq!(error_of(&err).2, ["custom_secret"]);

    let created = authorizers
        .create_jwt_authorizer(custom("mine", "x-authz-secret", SHARED_SECRET))
        .await
        .unwrap()
        .into_inner()
        .jwt_authorizer
        .unwrap();
    let config = created.custom.clone().unwrap();
    assert_eq!(
        (config.endpoint_url.as_str(), config.timeout_ms, config.secret_header_name.as_str()),
        ("https://authz.example.com/check", 2_000, "x-authz-secret")
    );
    assert!(created.discovery_url.is_empty());
    let listed = authorizers.list_jwt_authorizers(pb::ListJwtAuthorizersRequest::default()).await.unwrap();
    assert!(!format!("{listed:?}").contains(SHARED_SECRET), "the secret is never returned");
    assert!(!format!("{created:?}").contains(SHARED_SECRET));

    // An update without a secret keeps the stored one.
    let c = custom("mine", "x-authz-secret", "");
    let update = pb::UpdateJwtAuthorizerRequest { name: c.name, custom: c.custom, ..Default::default() };
    authorizers.update_jwt_authorizer(update).await.unwrap();
    // Dropping the header drops the secret; setting it again then needs a new secret.
    let c = custom("mine", "", "");
    let update = pb::UpdateJwtAuthorizerRequest { name: c.name, custom: c.custom, ..Default::default() };
    authorizers.update_jwt_authorizer(update).await.unwrap();
    let c = custom("mine", "x-authz-secret", "");
    let update = pb::UpdateJwtAuthorizerRequest { name: c.name, custom: c.custom, ..Default::default() };
    let err = authorizers.update_jwt_authorizer(update).await.unwrap_err();
    assert_eq!(error_of(&err).2, ["custom_secret"]);
}

#[tokio::test]
async fn workloads_attach_existing_authorizers_sqlite() {
    attachment(Server::sqlite(&[]).await).await;
}

#[tokio::test]
async fn workloads_attach_existing_authorizers_postgres() {
    if let Some(server) = Server::postgres(&[]).await {
        attachment(server).await;
    }
}

#[tokio::test]
async fn custom_authorizers_are_validated_and_keep_their_secret_sqlite() {
    custom_authorizers(Server::sqlite(&[]).await).await;
}

#[tokio::test]
async fn custom_authorizers_are_validated_and_keep_their_secret_postgres() {
    if let Some(server) = Server::postgres(&[]).await {
        custom_authorizers(server).await;
    }
}
