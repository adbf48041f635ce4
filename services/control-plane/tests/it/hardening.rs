//! Request hardening as served: a message over MAX_MESSAGE_BYTES is refused before it is
//! decoded (the timeout and load shedding are tested on the layers, in identity-server); an
//! unreachable Redis does not keep the control plane from starting.

use identity_proto::v1 as pb;
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, Server};

#[tokio::test]
async fn a_message_over_the_limit_is_refused_with_out_of_range() {
    let server = Server::sqlite(&["--max-message-bytes", "16384"]).await;
    let mut client = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    let oversized = pb::CreateWorkloadIdentityRequest {
        name: "too-big".to_owned(),
        description: "x".repeat(20_000),
        ..Default::default()
    };
    let err = client.create_workload_identity(oversized).await.unwrap_err();
    assert_eq!(err.code(), Code::OutOfRange, "{err:?}");
    assert!(err.message().contains("message length too large"), "{}", err.message());
    // Nothing was created, and a request within the limit is served.
    let fits = pb::CreateWorkloadIdentityRequest { name: "fits".to_owned(), ..Default::default() };
    client.create_workload_identity(fits).await.unwrap();
    let listed = client.list_workload_identities(pb::ListWorkloadIdentitiesRequest::default()).await.unwrap();
    let names: Vec<_> = listed.into_inner().workload_identities.into_iter().map(|w| w.name).collect();
    assert_eq!(names, ["fits"]);
}

#[tokio::test]
async fn with_redis_down_the_control_plane_starts_and_serves() {
    // Nothing listens there: Redis is only where DeleteUserTokens removes cached grants (its
    // deletes with Redis down are in disconnect.rs).
    let url = format!("redis://{}", identity_testkit::free_addr());
    let server = Server::sqlite(&["--redis-url", &url]).await;
    let deleted = server
        .token_vault(Some(BOOTSTRAP_TOKEN))
        .await
        .delete_user_tokens(pb::DeleteUserTokensRequest { user_id: "alice".to_owned(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.deleted_count, 0);
}
