use identity_proto::v1 as pb;
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, Server, error_of};

async fn cross_account_isolation(server: Server) {
    let token_b = server.admin_token_for("222222222222").await;
    let mut a = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    let mut b = server.workloads(Some(&token_b)).await;
    a.create_workload_identity(pb::CreateWorkloadIdentityRequest { name: "agent-a".to_owned(), ..Default::default() })
        .await
        .unwrap();
    let created_b = b
        .create_workload_identity(pb::CreateWorkloadIdentityRequest {
            name: "agent-b".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .workload_identity
        .unwrap();
    assert!(created_b.workload_identity_arn.contains(":222222222222:"), "{}", created_b.workload_identity_arn);

    // B sees only its own; A's identity is "not found", never its data.
    let listed = b.list_workload_identities(pb::ListWorkloadIdentitiesRequest::default()).await.unwrap().into_inner();
    assert_eq!(listed.workload_identities.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(), ["agent-b"]);
    let err = b.get_workload_identity(pb::GetWorkloadIdentityRequest { name: "agent-a".to_owned() }).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);
    let err =
        b.delete_workload_identity(pb::DeleteWorkloadIdentityRequest { name: "agent-a".to_owned() }).await.unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);
    let err = b
        .update_workload_identity(pb::UpdateWorkloadIdentityRequest {
            name: "agent-a".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);
    // A's identity is intact.
    a.get_workload_identity(pb::GetWorkloadIdentityRequest { name: "agent-a".to_owned() }).await.unwrap();

    // Access keys follow the same rule.
    let mut keys_a = server.access_keys(Some(BOOTSTRAP_TOKEN)).await;
    let key =
        keys_a.create_access_key(pb::CreateAccessKeyRequest::default()).await.unwrap().into_inner().access_key.unwrap();
    let mut keys_b = server.access_keys(Some(&token_b)).await;
    assert!(
        keys_b
            .list_access_keys(pb::ListAccessKeysRequest::default())
            .await
            .unwrap()
            .into_inner()
            .access_keys
            .is_empty()
    );
    let err = keys_b
        .delete_access_key(pb::DeleteAccessKeyRequest { access_key_id: key.access_key_id.clone() })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).0, Code::NotFound);
}

#[tokio::test]
async fn accounts_are_isolated_on_sqlite() {
    cross_account_isolation(Server::sqlite(&[]).await).await;
}

#[tokio::test]
async fn accounts_are_isolated_on_postgres() {
    if let Some(server) = Server::postgres(&[]).await {
        cross_account_isolation(server).await;
    }
}

#[tokio::test]
async fn pagination_walks_every_page() {
    let server = Server::sqlite(&[]).await;
    let mut client = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    for i in 0..5 {
        client
            .create_workload_identity(pb::CreateWorkloadIdentityRequest {
                name: format!("agent-{i}"),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let (mut names, mut token) = (Vec::new(), String::new());
    loop {
        let page = client
            .list_workload_identities(pb::ListWorkloadIdentitiesRequest { max_results: 2, next_token: token })
            .await
            .unwrap()
            .into_inner();
        names.extend(page.workload_identities.into_iter().map(|w| w.name));
        if page.next_token.is_empty() {
            break;
        }
        token = page.next_token;
    }
    assert_eq!(names, ["agent-0", "agent-1", "agent-2", "agent-3", "agent-4"]);
}
