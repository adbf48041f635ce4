//! A fake audit service: a three-event log, hash-chained as the store writes it, served a page
//! at a time; optionally with one event altered after the fact.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use identity_crypto::audit_hash;
use identity_domain::{AuditEntry, AuditRecord};
use identity_proto::v1::{
    AuditEvent, AuditEventOutcome, ListAuditEventsRequest, ListAuditEventsResponse,
    audit_service_server::{AuditService, AuditServiceServer},
};
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

use super::authorize;

/// 2026-01-01T00:00:00Z in milliseconds.
const T0: i64 = 1_767_225_600_000;

fn log() -> Vec<AuditEvent> {
    let mut previous = String::new();
    let entries = [
        AuditEntry {
            workload_name: "agent-1".to_owned(),
            resource_arn: "arn:aws:bedrock-agentcore:us-east-1:000000000000:workload-identity-directory/default/workload-identity/agent-1".to_owned(),
            ..AuditEntry::success("CreateWorkloadIdentity")
        },
        AuditEntry {
            provider_name: "github".to_owned(),
            resource_arn: "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/apikeycredentialprovider/github".to_owned(),
            ..AuditEntry::success("CreateCredentialProvider")
        },
        AuditEntry { access_key_id: "AKIAFAKEFAKEFAKEFAKE".to_owned(), ..AuditEntry::success("CreateAccessKey") },
    ];
    entries
        .into_iter()
        .zip(1_u64..)
        .map(|(entry, sequence)| {
            let mut record = AuditRecord {
                account_id: "000000000000".to_owned(),
                sequence,
                event_id: format!("ev-{sequence}"),
                event_time: T0 + 1_000 * sequence as i64,
                principal: "admin:bootstrap".to_owned(),
                trace_id: String::new(),
                entry,
                previous_hash: previous.clone(),
                hash: String::new(),
            };
            record.hash = audit_hash(&record);
            previous.clone_from(&record.hash);
            AuditEvent {
                event_id: record.event_id,
                sequence_number: sequence as i64,
                event_time: Some(prost_types::Timestamp { seconds: record.event_time / 1_000, nanos: 0 }),
                event_name: record.entry.event_name,
                account_id: record.account_id,
                principal: record.principal,
                access_key_id: record.entry.access_key_id,
                workload_name: record.entry.workload_name,
                credential_provider_name: record.entry.provider_name,
                resource_arn: record.entry.resource_arn,
                outcome: AuditEventOutcome::Success.into(),
                previous_hash: record.previous_hash,
                hash: record.hash,
                ..Default::default()
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
struct FakeAudit {
    events: Vec<AuditEvent>,
    seen: Arc<Mutex<Vec<ListAuditEventsRequest>>>,
}

/// Starts the fake; with `tamper`, event 2's principal was changed after it was written.
pub async fn start(tamper: bool) -> (SocketAddr, Arc<Mutex<Vec<ListAuditEventsRequest>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut events = log();
    if tamper {
        events[1].principal = "admin:someone-else".to_owned();
    }
    let fake = FakeAudit { events, seen: Arc::default() };
    let seen = fake.seen.clone();
    let router = tonic::transport::Server::builder().add_service(AuditServiceServer::new(fake));
    tokio::spawn(router.serve_with_incoming(TcpIncoming::from(listener)));
    (address, seen)
}

#[tonic::async_trait]
impl AuditService for FakeAudit {
    /// Filters by event name only; pages of `max_results` but at most two (so that clients must
    /// follow tokens), the token being the next index.
    async fn list_audit_events(
        &self,
        request: Request<ListAuditEventsRequest>,
    ) -> Result<Response<ListAuditEventsResponse>, Status> {
        authorize(&request)?;
        let request = request.into_inner();
        self.seen.lock().unwrap().push(request.clone());
        let matching: Vec<_> = self
            .events
            .iter()
            .filter(|e| request.event_name.is_empty() || e.event_name == request.event_name)
            .cloned()
            .collect();
        let start: usize = if request.next_token.is_empty() { 0 } else { request.next_token.parse().unwrap() };
        let end = (start + request.max_results.min(2) as usize).min(matching.len());
        let next_token = if end < matching.len() { end.to_string() } else { String::new() };
        Ok(Response::new(ListAuditEventsResponse { audit_events: matching[start..end].to_vec(), next_token }))
    }
}
