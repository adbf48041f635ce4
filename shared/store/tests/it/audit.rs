use identity_domain::{AccountId, Arns, AuditEntry, AuditFilter, AuditOutcome, AuditRecord, ProviderStatus};
use identity_store::{AuditContext, ChainBreak, ChainBreakReason, QueuedAuditEvent, Store, StoreError};

use crate::{
    access_keys::key,
    authorizers,
    providers::{api_key, raw_pool},
    support::{Harness, T0, account_a, account_b},
    workloads::spec,
};

const API_KEY: &str = "ghp_auditMustNeverSeeThis0123456789";

fn as_ops(h: &Harness) -> Store {
    h.store.acting_as(AuditContext::new("admin:ops", Arns::new("us-east-1")))
}

async fn all(store: &Store, account: &AccountId) -> Vec<AuditRecord> {
    store.list_audit_events(account, &AuditFilter::default(), 0, 1_000).await.unwrap().items
}

/// Five mutations in `account`, one millisecond apart.
async fn five_mutations(h: &Harness, account: &AccountId) {
    let store = as_ops(h);
    store.create_workload_identity(account, spec("agent-1")).await.unwrap();
    h.clock.advance(1);
    store.create_credential_provider(account, api_key("github", API_KEY), ProviderStatus::Active).await.unwrap();
    h.clock.advance(1);
    store.update_workload_identity(account, spec("agent-1")).await.unwrap();
    h.clock.advance(1);
    store.delete_credential_provider(account, "github").await.unwrap();
    h.clock.advance(1);
    store.delete_workload_identity(account, "agent-1").await.unwrap();
}

pub async fn mutations_append_exactly_their_events(h: Harness) {
    let a = account_a();
    let store = as_ops(&h);
    store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    store.create_credential_provider(&a, api_key("github", API_KEY), ProviderStatus::Active).await.unwrap();
    store.update_workload_identity(&a, spec("agent-1")).await.unwrap();
    store.create_jwt_authorizer(&a, authorizers::spec("okta")).await.unwrap();
    store.create_access_key(&a, key("AKIAAAAAAAAAAAAAAAAA", &["agent-1"])).await.unwrap();
    store.delete_access_key(&a, "AKIAAAAAAAAAAAAAAAAA").await.unwrap();
    store.delete_credential_provider(&a, "github").await.unwrap();
    // Failed changes roll back with their record.
    assert!(matches!(store.create_workload_identity(&a, spec("agent-1")).await, Err(StoreError::Conflict { .. })));
    assert!(matches!(store.delete_jwt_authorizer(&a, "nope").await, Err(StoreError::NotFound { .. })));
    // A store nobody named an actor for records `system`.
    h.store.create_admin_token(&a, "ops", "hash-a").await.unwrap();

    let events = all(&h.store, &a).await;
    let summary: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.sequence,
                e.entry.event_name.as_str(),
                e.principal.as_str(),
                e.entry.workload_name.as_str(),
                e.entry.provider_name.as_str(),
                e.entry.access_key_id.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "CreateWorkloadIdentity", "admin:ops", "agent-1", "", ""),
            (2, "CreateCredentialProvider", "admin:ops", "", "github", ""),
            (3, "UpdateWorkloadIdentity", "admin:ops", "agent-1", "", ""),
            (4, "CreateJwtAuthorizer", "admin:ops", "", "", ""),
            (5, "CreateAccessKey", "admin:ops", "", "", "AKIAAAAAAAAAAAAAAAAA"),
            (6, "DeleteAccessKey", "admin:ops", "", "", "AKIAAAAAAAAAAAAAAAAA"),
            (7, "DeleteCredentialProvider", "admin:ops", "", "github", ""),
            (8, "CreateAdminToken", "system", "", "", ""),
        ]
    );
    assert_eq!(
        events[0].entry.resource_arn,
        "arn:aws:bedrock-agentcore:us-east-1:111111111111:workload-identity-directory/default/workload-identity/agent-1"
    );
    assert_eq!(
        events[6].entry.resource_arn,
        "arn:aws:bedrock-agentcore:us-east-1:111111111111:token-vault/default/apikeycredentialprovider/github"
    );
    assert_eq!(events[3].entry.resource_arn, "arn:aws:bedrock-agentcore:us-east-1:111111111111:jwt-authorizer/okta");
    for e in &events {
        assert_eq!((e.account_id.as_str(), e.event_time, e.entry.outcome), ("111111111111", T0, AuditOutcome::Success));
        assert!(e.event_id.starts_with("ev-"));
        assert!(!format!("{e:?}").contains(API_KEY), "a secret reached the audit log: {e:?}");
    }
    assert_eq!(events[0].previous_hash, "");
    assert!(events.windows(2).all(|w| w[1].previous_hash == w[0].hash));
    let report = h.store.verify_audit_chain(&a).await.unwrap();
    assert_eq!((report.checked, report.first_broken), (8, None));

    // No column of any stored row holds the secret.
    let pool = raw_pool(&h).await;
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT principal || event_name || workload_name || provider_name || resource_arn || scopes || error_reason FROM audit_events",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(rows.iter().all(|r| !r.contains(API_KEY)));
}

pub async fn tampering_is_detected(h: Harness) {
    let (a, b) = (account_a(), account_b());
    five_mutations(&h, &a).await;
    five_mutations(&h, &b).await;
    let pool = raw_pool(&h).await;

    // An altered field breaks that record's hash.
    sqlx::query("UPDATE audit_events SET principal = 'admin:someone-else' WHERE account_id = $1 AND sequence = 3")
        .bind(a.as_str())
        .execute(&pool)
        .await
        .unwrap();
    let report = h.store.verify_audit_chain(&a).await.unwrap();
    assert_eq!(report.first_broken, Some(ChainBreak { sequence: 3, reason: ChainBreakReason::HashMismatch }));
    assert_eq!(report.checked, 3);

    // A deleted record leaves a gap before the next one.
    sqlx::query("DELETE FROM audit_events WHERE account_id = $1 AND sequence = 2")
        .bind(b.as_str())
        .execute(&pool)
        .await
        .unwrap();
    let report = h.store.verify_audit_chain(&b).await.unwrap();
    assert_eq!(report.first_broken, Some(ChainBreak { sequence: 3, reason: ChainBreakReason::SequenceGap }));

    // An account nobody touched verifies; a cut-off tail is, as documented, not detectable.
    let other = AccountId::parse("333333333333").unwrap();
    five_mutations(&h, &other).await;
    sqlx::query("DELETE FROM audit_events WHERE account_id = $1 AND sequence = 5")
        .bind(other.as_str())
        .execute(&pool)
        .await
        .unwrap();
    let report = h.store.verify_audit_chain(&other).await.unwrap();
    assert_eq!((report.checked, report.first_broken), (4, None));

    // Appending after a cut-off tail continues from what is there: still a valid chain.
    as_ops(&h).create_workload_identity(&other, spec("agent-2")).await.unwrap();
    let report = h.store.verify_audit_chain(&other).await.unwrap();
    assert_eq!((report.checked, report.first_broken), (5, None));
}

pub async fn listing_is_per_account_filtered_and_paged(h: Harness) {
    let (a, b) = (account_a(), account_b());
    five_mutations(&h, &a).await;
    as_ops(&h).create_workload_identity(&b, spec("only-in-b")).await.unwrap();

    let in_b = all(&h.store, &b).await;
    assert_eq!(in_b.len(), 1);
    assert_eq!((in_b[0].sequence, in_b[0].entry.workload_name.as_str()), (1, "only-in-b"));
    assert!(
        all(&h.store, &a).await.iter().all(|e| e.account_id == "111111111111" && e.entry.workload_name != "only-in-b")
    );
    let none = AccountId::parse("333333333333").unwrap();
    assert!(all(&h.store, &none).await.is_empty());
    assert_eq!(h.store.verify_audit_chain(&none).await.unwrap().checked, 0);

    let names = |records: Vec<AuditRecord>| records.into_iter().map(|e| e.sequence).collect::<Vec<_>>();
    let list = |filter: AuditFilter| {
        let store = h.store.clone();
        let a = a.clone();
        async move { store.list_audit_events(&a, &filter, 0, 100).await.unwrap().items }
    };
    assert_eq!(names(list(AuditFilter { workload_name: "agent-1".into(), ..Default::default() }).await), [1, 3, 5]);
    assert_eq!(names(list(AuditFilter { provider_name: "github".into(), ..Default::default() }).await), [2, 4]);
    assert_eq!(
        names(list(AuditFilter { event_name: "DeleteCredentialProvider".into(), ..Default::default() }).await),
        [4]
    );
    // Events are 1 ms apart from T0: [start, end).
    assert_eq!(
        names(list(AuditFilter { start_time: Some(T0 + 1), end_time: Some(T0 + 3), ..Default::default() }).await),
        [2, 3]
    );
    assert_eq!(names(list(AuditFilter { outcome: Some(AuditOutcome::Failure), ..Default::default() }).await), [0; 0]);
    assert_eq!(names(list(AuditFilter { user_hash: "nobody".into(), ..Default::default() }).await), [0; 0]);

    // Pages of two visit every event once, in order.
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = h.store.list_audit_events(&a, &AuditFilter::default(), after, 2).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|e| e.sequence));
        match page.next_after {
            Some(next) => after = next.parse().unwrap(),
            None => break,
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
}

fn vend(workload: &str, outcome: AuditOutcome, reason: &str) -> AuditEntry {
    AuditEntry {
        access_key_id: "AKIAVENDVENDVENDVEND".to_owned(),
        workload_name: workload.to_owned(),
        provider_name: "github".to_owned(),
        user_hash: identity_crypto::audit_user_hash("111111111111", "alice"),
        oauth2_flow: "M2M".to_owned(),
        scopes: vec!["repo".to_owned(), "read:user".to_owned()],
        outcome,
        error_reason: reason.to_owned(),
        ..AuditEntry::success("GetResourceOauth2AccessToken")
    }
}

fn queued(time: i64, entry: AuditEntry) -> QueuedAuditEvent {
    QueuedAuditEvent::new(
        time,
        "access-key:AKIAVENDVENDVENDVEND".to_owned(),
        "0af7651916cd43dd8448eb211c80319c".to_owned(),
        entry,
    )
    .unwrap()
}

pub async fn queued_events_join_the_chain_once_and_tampering_shows(h: Harness) {
    let (a, b) = (account_a(), account_b());
    let store = as_ops(&h);
    store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    // Vends that happened before they were written keep their own time.
    let batch = [
        queued(T0 - 20, vend("agent-1", AuditOutcome::Success, "")),
        queued(T0 - 10, vend("agent-2", AuditOutcome::Denied, "AccessDeniedException")),
    ];
    assert_eq!(h.store.append_audit_events(&a, &batch).await.unwrap(), 2);
    // A retried batch that had committed is recognised and not written twice.
    assert_eq!(h.store.append_audit_events(&a, &batch).await.unwrap(), 0);
    assert_eq!(h.store.append_audit_events(&a, &[]).await.unwrap(), 0);
    store.create_credential_provider(&a, api_key("github", API_KEY), ProviderStatus::Active).await.unwrap();
    assert_eq!(
        h.store.append_audit_events(&b, &[queued(T0, vend("agent-b", AuditOutcome::Success, ""))]).await.unwrap(),
        1
    );

    let events = all(&h.store, &a).await;
    let summary: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.sequence,
                e.entry.event_name.as_str(),
                e.principal.as_str(),
                e.event_time,
                e.entry.workload_name.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "CreateWorkloadIdentity", "admin:ops", T0, "agent-1"),
            (2, "GetResourceOauth2AccessToken", "access-key:AKIAVENDVENDVENDVEND", T0 - 20, "agent-1"),
            (3, "GetResourceOauth2AccessToken", "access-key:AKIAVENDVENDVENDVEND", T0 - 10, "agent-2"),
            (4, "CreateCredentialProvider", "admin:ops", T0, ""),
        ]
    );
    assert_eq!(events[1].event_id, batch[0].event_id);
    assert_eq!(events[1].entry, batch[0].entry);
    assert_eq!(events[2].entry.error_reason, "AccessDeniedException");
    assert_eq!(events[2].trace_id, "0af7651916cd43dd8448eb211c80319c");
    let denied = h
        .store
        .list_audit_events(&a, &AuditFilter { outcome: Some(AuditOutcome::Denied), ..Default::default() }, 0, 10)
        .await
        .unwrap();
    assert_eq!(denied.items.iter().map(|e| e.sequence).collect::<Vec<_>>(), [3]);
    let in_b = all(&h.store, &b).await;
    assert_eq!(in_b.iter().map(|e| (e.sequence, e.entry.workload_name.as_str())).collect::<Vec<_>>(), [(1, "agent-b")]);
    // A large batch is written several rows to a statement, in order, on one chain.
    let many: Vec<_> =
        (0..120).map(|i| queued(T0 + i, vend(&format!("agent-{i}"), AuditOutcome::Success, ""))).collect();
    assert_eq!(h.store.append_audit_events(&b, &many).await.unwrap(), 120);
    let in_b = all(&h.store, &b).await;
    assert_eq!(in_b.len(), 121);
    for (i, event) in in_b[1..].iter().enumerate() {
        assert_eq!((event.sequence, event.event_id.as_str()), (i as u64 + 2, many[i].event_id.as_str()));
        assert_eq!(event.entry, many[i].entry);
    }
    assert_eq!(
        h.store.verify_audit_chain(&b).await.unwrap(),
        identity_store::VerifyReport { checked: 121, first_broken: None }
    );
    assert_eq!(
        h.store.verify_audit_chain(&a).await.unwrap(),
        identity_store::VerifyReport { checked: 4, first_broken: None }
    );

    // A vend's event turned from a refusal into a success is found.
    let pool = raw_pool(&h).await;
    sqlx::query(
        "UPDATE audit_events SET outcome = 'SUCCESS', error_reason = '' WHERE account_id = $1 AND sequence = 3",
    )
    .bind(a.as_str())
    .execute(&pool)
    .await
    .unwrap();
    let report = h.store.verify_audit_chain(&a).await.unwrap();
    assert_eq!(report.first_broken, Some(ChainBreak { sequence: 3, reason: ChainBreakReason::HashMismatch }));
    // And a deleted one leaves a gap.
    sqlx::query("DELETE FROM audit_events WHERE account_id = $1 AND sequence = 2")
        .bind(a.as_str())
        .execute(&pool)
        .await
        .unwrap();
    let report = h.store.verify_audit_chain(&a).await.unwrap();
    assert_eq!(report.first_broken, Some(ChainBreak { sequence: 3, reason: ChainBreakReason::SequenceGap }));
}
