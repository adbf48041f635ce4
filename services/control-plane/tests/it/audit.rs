use identity_crypto::ChainVerifier;
use identity_domain::{AuditEntry, AuditOutcome, AuditRecord};
use identity_proto::v1 as pb;
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, Server, error_of};

const API_KEY: &str = "ghp_auditMustNeverSeeThis0123456789";

fn api_key_provider(name: &str) -> pb::CreateCredentialProviderRequest {
    pb::CreateCredentialProviderRequest {
        name: name.to_owned(),
        credential_provider_vendor: 0,
        config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput {
                api_key: API_KEY.to_owned(),
                header_name: "Authorization".to_owned(),
                vendor: "github".to_owned(),
            },
        )),
        tags: Default::default(),
    }
}

/// The wire event as the domain record it was hashed from.
fn record(e: &pb::AuditEvent) -> AuditRecord {
    let time = e.event_time.unwrap();
    AuditRecord {
        account_id: e.account_id.clone(),
        sequence: e.sequence_number as u64,
        event_id: e.event_id.clone(),
        event_time: time.seconds * 1_000 + i64::from(time.nanos / 1_000_000),
        principal: e.principal.clone(),
        trace_id: e.trace_id.clone(),
        entry: AuditEntry {
            event_name: e.event_name.clone(),
            access_key_id: e.access_key_id.clone(),
            workload_name: e.workload_name.clone(),
            provider_name: e.credential_provider_name.clone(),
            user_hash: e.user_hash.clone(),
            resource_arn: e.resource_arn.clone(),
            oauth2_flow: e.oauth2_flow.clone(),
            scopes: e.scopes.clone(),
            outcome: AuditOutcome::Success,
            error_reason: e.error_reason.clone(),
        },
        previous_hash: e.previous_hash.clone(),
        hash: e.hash.clone(),
    }
}

async fn mutations_are_audited(server: Server) {
    let token_b = server.admin_token_for("222222222222").await;
    let mut workloads = server.workloads(Some(BOOTSTRAP_TOKEN)).await;
    let mut providers = server.providers(Some(BOOTSTRAP_TOKEN)).await;
    let mut keys = server.access_keys(Some(BOOTSTRAP_TOKEN)).await;
    workloads
        .create_workload_identity(pb::CreateWorkloadIdentityRequest {
            name: "agent-a".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    providers.create_credential_provider(api_key_provider("github")).await.unwrap();
    let key = keys.create_access_key(pb::CreateAccessKeyRequest::default()).await.unwrap().into_inner();
    let key_id = key.access_key.unwrap().access_key_id;
    providers
        .delete_credential_provider(pb::DeleteCredentialProviderRequest { name: "github".to_owned() })
        .await
        .unwrap();
    // Refused and failed calls change nothing and record nothing; reads record nothing.
    let err = workloads
        .create_workload_identity(pb::CreateWorkloadIdentityRequest {
            name: "agent-a".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    workloads.list_workload_identities(pb::ListWorkloadIdentitiesRequest::default()).await.unwrap();
    // B's change goes to B's log.
    server
        .workloads(Some(&token_b))
        .await
        .create_workload_identity(pb::CreateWorkloadIdentityRequest {
            name: "agent-b".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();

    let mut audit = server.audit(Some(BOOTSTRAP_TOKEN)).await;
    let events = audit.list_audit_events(pb::ListAuditEventsRequest::default()).await.unwrap().into_inner();
    assert!(events.next_token.is_empty());
    let summary: Vec<_> = events
        .audit_events
        .iter()
        .map(|e| {
            (
                e.sequence_number,
                e.event_name.as_str(),
                e.principal.as_str(),
                e.workload_name.as_str(),
                e.credential_provider_name.as_str(),
                e.account_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "CreateWorkloadIdentity", "admin:bootstrap", "agent-a", "", "000000000000"),
            (2, "CreateCredentialProvider", "admin:bootstrap", "", "github", "000000000000"),
            (3, "CreateAccessKey", "admin:bootstrap", "", "", "000000000000"),
            (4, "DeleteCredentialProvider", "admin:bootstrap", "", "github", "000000000000"),
        ]
    );
    assert_eq!(events.audit_events[2].access_key_id, key_id);
    assert_eq!(
        events.audit_events[0].resource_arn,
        "arn:aws:bedrock-agentcore:us-east-1:000000000000:workload-identity-directory/default/workload-identity/agent-a"
    );
    for e in &events.audit_events {
        assert_eq!(e.outcome, pb::AuditEventOutcome::Success as i32);
        assert!(!format!("{e:?}").contains(API_KEY));
        assert!(!format!("{e:?}").contains(&key.secret_access_key));
    }
    // A client recomputes the chain from what the API returns.
    let mut verifier = ChainVerifier::new();
    assert!(events.audit_events.iter().all(|e| verifier.push(&record(e))));
    assert_eq!(verifier.finish().checked, 4);

    // Filters and pages.
    let by_provider = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            credential_provider_name: "github".to_owned(),
            max_results: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_provider.audit_events.iter().map(|e| e.sequence_number).collect::<Vec<_>>(), [2]);
    let next = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            credential_provider_name: "github".to_owned(),
            max_results: 1,
            next_token: by_provider.next_token,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(next.audit_events.iter().map(|e| e.sequence_number).collect::<Vec<_>>(), [4]);
    let by_name = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            event_name: "CreateAccessKey".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_name.audit_events.len(), 1);
    let later = audit
        .list_audit_events(pb::ListAuditEventsRequest {
            start_time: Some(prost_types::Timestamp { seconds: 4_000_000_000, nanos: 0 }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(later.audit_events.is_empty());
    let err = audit
        .list_audit_events(pb::ListAuditEventsRequest { max_results: 1_001, ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(error_of(&err).2, ["max_results"]);

    // B sees exactly its own event.
    let in_b =
        server.audit(Some(&token_b)).await.list_audit_events(pb::ListAuditEventsRequest::default()).await.unwrap();
    let in_b = in_b.into_inner().audit_events;
    assert_eq!(
        in_b.iter().map(|e| (e.sequence_number, e.event_name.as_str(), e.account_id.as_str())).collect::<Vec<_>>(),
        [(1, "CreateAdminToken", "222222222222"), (2, "CreateWorkloadIdentity", "222222222222")]
    );
    assert_eq!(in_b[0].principal, "system:create-admin-token");
    assert_eq!(in_b[1].principal, "admin:test");

    // Without credentials: nothing.
    let err = server.audit(None).await.list_audit_events(pb::ListAuditEventsRequest::default()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn mutations_are_audited_on_sqlite() {
    mutations_are_audited(Server::sqlite(&[]).await).await;
}

#[tokio::test]
async fn mutations_are_audited_on_postgres() {
    if let Some(server) = Server::postgres(&[]).await {
        mutations_are_audited(server).await;
    }
}
