use identity_proto::v1 as pb;
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, Server, error_of};

fn workload(name: &str) -> pb::CreateWorkloadIdentityRequest {
    pb::CreateWorkloadIdentityRequest {
        name: name.to_owned(),
        description: "Identity for customer support agent".to_owned(),
        r#type: pb::WorkloadIdentityType::Agent as i32,
        attributes: Some(pb::WorkloadIdentityAttributes {
            agent_runtime_arn: "arn:aws:bedrock-agentcore:us-east-1:000000000000:runtime/support".to_owned(),
            capabilities: vec!["crm".to_owned(), "email".to_owned(), "calendar".to_owned()],
        }),
        allowed_resource_oauth2_return_urls: vec!["https://app.example.com/done".to_owned()],
        tags: [("team".to_owned(), "support".to_owned())].into(),
        authorizer_names: vec![],
    }
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let server = Server::sqlite(&[]).await;
    for token in [None, Some("wrong-token"), Some("")] {
        let err = server
            .workloads(token)
            .await
            .list_workload_identities(pb::ListWorkloadIdentitiesRequest::default())
            .await
            .unwrap_err();
        assert_eq!(error_of(&err).0, Code::Unauthenticated, "{token:?}");
        assert_eq!(error_of(&err).1, "UnauthorizedException");
        assert!(!err.message().contains("wrong-token"), "the presented token is never echoed");
    }
    // Every service is behind the layer, not only one of them.
    let err = server.access_keys(None).await.list_access_keys(pb::ListAccessKeysRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = server
        .authorizers(None)
        .await
        .list_jwt_authorizers(pb::ListJwtAuthorizersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let err = server
        .providers(None)
        .await
        .list_credential_providers(pb::ListCredentialProvidersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn workload_identity_round_trip_conflict_and_not_found() {
    let server = Server::sqlite(&[]).await;
    let mut client = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    let created = client.create_workload_identity(workload("CustomerSupportAgent")).await.unwrap().into_inner();
    let created = created.workload_identity.unwrap();
    assert_eq!(
        created.workload_identity_arn,
        "arn:aws:bedrock-agentcore:us-east-1:000000000000:workload-identity-directory/default/workload-identity/CustomerSupportAgent"
    );
    assert_eq!(created.attributes.as_ref().unwrap().capabilities, ["crm", "email", "calendar"]);
    let got = client
        .get_workload_identity(pb::GetWorkloadIdentityRequest { name: "CustomerSupportAgent".to_owned() })
        .await
        .unwrap();
    assert_eq!(got.into_inner().workload_identity.unwrap(), created);

    let err = client.create_workload_identity(workload("CustomerSupportAgent")).await.unwrap_err();
    assert_eq!(error_of(&err), (Code::AlreadyExists, "ConflictException".to_owned(), vec![]));

    // Update with an unspecified type keeps the type; other fields are replaced.
    let update = pb::UpdateWorkloadIdentityRequest {
        name: "CustomerSupportAgent".to_owned(),
        description: "changed".to_owned(),
        r#type: 0,
        attributes: None,
        allowed_resource_oauth2_return_urls: vec![],
        tags: Default::default(),
        authorizer_names: vec![],
    };
    let updated = client.update_workload_identity(update).await.unwrap().into_inner().workload_identity.unwrap();
    assert_eq!((updated.description.as_str(), updated.r#type), ("changed", pb::WorkloadIdentityType::Agent as i32));
    assert!(updated.allowed_resource_oauth2_return_urls.is_empty());

    client
        .delete_workload_identity(pb::DeleteWorkloadIdentityRequest { name: "CustomerSupportAgent".to_owned() })
        .await
        .unwrap();
    for err in [
        client
            .get_workload_identity(pb::GetWorkloadIdentityRequest { name: "CustomerSupportAgent".to_owned() })
            .await
            .unwrap_err(),
        client
            .delete_workload_identity(pb::DeleteWorkloadIdentityRequest { name: "CustomerSupportAgent".to_owned() })
            .await
            .unwrap_err(),
    ] {
        assert_eq!(error_of(&err), (Code::NotFound, "ResourceNotFoundException".to_owned(), vec![]));
    }
}

#[tokio::test]
async fn invalid_requests_name_every_bad_field() {
    let server = Server::sqlite(&[]).await;
    let mut client = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    let mut bad = workload("no spaces allowed");
    bad.allowed_resource_oauth2_return_urls = vec!["not a url".to_owned()];
    bad.r#type = 99;
    let err = client.create_workload_identity(bad).await.unwrap_err();
    let (code, reason, fields) = error_of(&err);
    assert_eq!((code, reason.as_str()), (Code::InvalidArgument, "ValidationException"));
    assert_eq!(fields, ["name", "type", "allowed_resource_oauth2_return_urls[0]"]);

    let err = client
        .list_workload_identities(pb::ListWorkloadIdentitiesRequest { max_results: 500, next_token: String::new() })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).2, ["max_results"]);
    let err = client
        .list_workload_identities(pb::ListWorkloadIdentitiesRequest { max_results: 0, next_token: "forged".to_owned() })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).2, ["next_token"]);

    let mut authorizers = server.authorizers(Some(BOOTSTRAP_TOKEN)).await;
    let err = authorizers
        .create_jwt_authorizer(pb::CreateJwtAuthorizerRequest {
            name: "okta".to_owned(),
            discovery_url: "https://example.okta.com/oauth2/default".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).2, ["discovery_url", "allowed_audiences"]);
}

#[tokio::test]
async fn quotas_answer_service_quota_exceeded() {
    let server = Server::sqlite(&["--quota-api-key-providers", "1", "--quota-workload-identities", "1"]).await;
    let mut providers = server.providers(Some(BOOTSTRAP_TOKEN)).await;
    let key = |name: &str| pb::CreateCredentialProviderRequest {
        name: name.to_owned(),
        credential_provider_vendor: 0,
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput { api_key: "k".to_owned(), ..Default::default() },
        )),
        tags: Default::default(),
    };
    providers.create_credential_provider(key("first")).await.unwrap();
    let err = providers.create_credential_provider(key("second")).await.unwrap_err();
    assert_eq!(error_of(&err), (Code::ResourceExhausted, "ServiceQuotaExceededException".to_owned(), vec![]));

    let mut workloads = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    workloads.create_workload_identity(workload("agent-1")).await.unwrap();
    let err = workloads.create_workload_identity(workload("agent-2")).await.unwrap_err();
    assert_eq!(error_of(&err).1, "ServiceQuotaExceededException");
}

#[tokio::test]
async fn changing_a_providers_type_is_refused() {
    let server = Server::sqlite(&[]).await;
    let mut providers = server.providers(Some(BOOTSTRAP_TOKEN)).await;
    providers
        .create_credential_provider(pb::CreateCredentialProviderRequest {
            name: "GitHub".to_owned(),
            config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
                pb::ApiKeyProviderConfigInput { api_key: "k".to_owned(), ..Default::default() },
            )),
            ..Default::default()
        })
        .await
        .unwrap();
    let err = providers
        .update_credential_provider(pb::UpdateCredentialProviderRequest {
            name: "GitHub".to_owned(),
            credential_provider_vendor: pb::CredentialProviderVendor::GithubOauth2 as i32,
            config: Some(pb::update_credential_provider_request::Config::Oauth2ProviderConfigInput(
                pb::Oauth2ProviderConfigInput { client_id: "id".to_owned(), ..Default::default() },
            )),
            tags: Default::default(),
        })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, Code::FailedPrecondition);
    assert!(err.message().contains("type cannot change"), "{}", err.message());
}
