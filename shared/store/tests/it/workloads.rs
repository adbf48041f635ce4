use identity_domain::{PageRequest, Quotas, WorkloadAttributes, WorkloadIdentitySpec, WorkloadIdentityType};
use identity_store::StoreError;

use crate::support::{Harness, T0, account_a, account_b};

pub fn spec(name: &str) -> WorkloadIdentitySpec {
    WorkloadIdentitySpec {
        name: name.to_owned(),
        description: "Identity for customer support agent".to_owned(),
        kind: WorkloadIdentityType::Agent,
        attributes: WorkloadAttributes {
            agent_runtime_arn: "arn:aws:bedrock-agentcore:us-east-1:111111111111:runtime/support".to_owned(),
            capabilities: vec!["crm".to_owned(), "email".to_owned(), "calendar".to_owned()],
        },
        allowed_return_urls: vec!["https://app.example.com/oauth/done".to_owned()],
        tags: [("team".to_owned(), "support".to_owned())].into(),
        authorizers: vec![],
    }
}

pub async fn round_trip(h: Harness) {
    let created = h.store.create_workload_identity(&account_a(), spec("CustomerSupportAgent")).await.unwrap();
    assert!(created.id.starts_with("wi-") && created.id.len() == 27, "{}", created.id);
    assert_eq!((created.created_at, created.updated_at), (T0, T0));
    let got = h.store.get_workload_identity(&account_a(), "CustomerSupportAgent").await.unwrap();
    assert_eq!(got, created);

    h.clock.advance(1_000);
    let mut changed = spec("CustomerSupportAgent");
    changed.description = "changed".to_owned();
    changed.kind = WorkloadIdentityType::Tool;
    changed.allowed_return_urls = vec![];
    let updated = h.store.update_workload_identity(&account_a(), changed.clone()).await.unwrap();
    assert_eq!(updated.spec, changed);
    assert_eq!((updated.id.as_str(), updated.created_at, updated.updated_at), (created.id.as_str(), T0, T0 + 1_000));

    h.store.delete_workload_identity(&account_a(), "CustomerSupportAgent").await.unwrap();
    assert!(matches!(
        h.store.get_workload_identity(&account_a(), "CustomerSupportAgent").await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn duplicates_conflict(h: Harness) {
    h.store.create_workload_identity(&account_a(), spec("agent-1")).await.unwrap();
    let err = h.store.create_workload_identity(&account_a(), spec("agent-1")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { kind: "workload identity", ref name } if name == "agent-1"), "{err}");
    // The same name in another account is another identity.
    h.store.create_workload_identity(&account_b(), spec("agent-1")).await.unwrap();
}

pub async fn missing_is_not_found(h: Harness) {
    let a = account_a();
    assert!(matches!(h.store.get_workload_identity(&a, "nope").await, Err(StoreError::NotFound { .. })));
    assert!(matches!(h.store.update_workload_identity(&a, spec("nope")).await, Err(StoreError::NotFound { .. })));
    assert!(matches!(h.store.delete_workload_identity(&a, "nope").await, Err(StoreError::NotFound { .. })));
}

pub async fn pagination_visits_every_item_once(h: Harness) {
    for i in (0..7).rev() {
        h.store.create_workload_identity(&account_a(), spec(&format!("agent-{i}"))).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::from_wire(3, "").unwrap();
    loop {
        let result = h.store.list_workload_identities(&account_a(), &page).await.unwrap();
        assert!(result.items.len() <= 3);
        seen.extend(result.items.iter().map(|w| w.spec.name.clone()));
        let token = result.next_token();
        if token.is_empty() {
            break;
        }
        page = PageRequest::from_wire(3, &token).unwrap();
    }
    let expected: Vec<_> = (0..7).map(|i| format!("agent-{i}")).collect();
    assert_eq!(seen, expected);
}

pub async fn accounts_are_isolated(h: Harness) {
    h.store.create_workload_identity(&account_a(), spec("only-in-a")).await.unwrap();
    let b = account_b();
    assert!(matches!(h.store.get_workload_identity(&b, "only-in-a").await, Err(StoreError::NotFound { .. })));
    assert!(matches!(h.store.delete_workload_identity(&b, "only-in-a").await, Err(StoreError::NotFound { .. })));
    assert!(matches!(h.store.update_workload_identity(&b, spec("only-in-a")).await, Err(StoreError::NotFound { .. })));
    let listed = h.store.list_workload_identities(&b, &PageRequest::from_wire(0, "").unwrap()).await.unwrap();
    assert!(listed.items.is_empty());
    // A's identity survived B's attempts.
    h.store.get_workload_identity(&account_a(), "only-in-a").await.unwrap();
}

pub async fn quota_is_enforced(h: Harness) {
    let store = h.with_quotas(Quotas { workload_identities: 2, ..Quotas::default() }).await;
    store.create_workload_identity(&account_a(), spec("agent-1")).await.unwrap();
    store.create_workload_identity(&account_a(), spec("agent-2")).await.unwrap();
    let err = store.create_workload_identity(&account_a(), spec("agent-3")).await.unwrap_err();
    assert!(matches!(err, StoreError::QuotaExceeded { limit: 2, .. }), "{err}");
    // Quotas are per account.
    store.create_workload_identity(&account_b(), spec("agent-1")).await.unwrap();
    // Deleting frees a slot.
    store.delete_workload_identity(&account_a(), "agent-1").await.unwrap();
    store.create_workload_identity(&account_a(), spec("agent-3")).await.unwrap();
}
