use tokio_stream::StreamExt as _;
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

use crate::support::Server;

#[tokio::test]
async fn reflection_lists_every_control_plane_service_without_credentials() {
    let server = Server::sqlite(&[]).await;
    let mut client = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client.server_reflection_info(tokio_stream::once(request)).await.unwrap().into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected response")
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "agentcore.identity.v1.AccessKeyService",
            "agentcore.identity.v1.AuditService",
            "agentcore.identity.v1.CredentialProviderService",
            "agentcore.identity.v1.JwtAuthorizerService",
            "agentcore.identity.v1.TokenVaultService",
            "agentcore.identity.v1.WorkloadIdentityService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
        ]
    );
}

/// Readiness follows the database: when it goes away, health turns NOT_SERVING.
#[tokio::test]
async fn health_turns_not_serving_when_the_database_goes_away() {
    let Some(server) = Server::postgres(&[]).await else { return };
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    let check = tonic_health::pb::HealthCheckRequest { service: String::new() };
    let serving = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
    assert_eq!(health.check(check.clone()).await.unwrap().into_inner().status, serving);
    assert!(server.drop_postgres_database().await);
    for _ in 0..200 {
        if health.check(check.clone()).await.unwrap().into_inner().status != serving {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("health still SERVING 10 s after the database went away");
}
