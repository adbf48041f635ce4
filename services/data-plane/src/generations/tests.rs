use std::sync::Arc;

use identity_crypto::MasterKeyRing;
use identity_domain::{ManualClock, Quotas, WorkloadAttributes, WorkloadIdentitySpec, WorkloadIdentityType};
use identity_store::StoreOptions;
use identity_testkit::SqliteDb;

use super::*;

fn spec(name: &str) -> WorkloadIdentitySpec {
    WorkloadIdentitySpec {
        name: name.to_owned(),
        description: String::new(),
        kind: WorkloadIdentityType::Agent,
        attributes: WorkloadAttributes::default(),
        allowed_return_urls: vec![],
        tags: Default::default(),
        authorizers: vec![],
    }
}

#[tokio::test]
async fn polls_apply_each_accounts_changes_once() {
    let db = SqliteDb::create();
    let store = Store::connect(StoreOptions {
        url: db.url.clone(),
        keyring: Arc::new(MasterKeyRing::parse(&MasterKeyRing::generate_entry("k1").unwrap()).unwrap()),
        clock: Arc::new(ManualClock::new(1_767_225_600_000)),
        quotas: Quotas::default(),
        max_connections: 2,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let (a, b) = (AccountId::parse("111111111111").unwrap(), AccountId::parse("222222222222").unwrap());
    store.create_workload_identity(&a, spec("x")).await.unwrap();
    store.create_workload_identity(&b, spec("x")).await.unwrap();

    let generations = Generations::default();
    assert!(generations.poll(&store).await.unwrap().is_empty());
    assert_eq!((generations.config(&a), generations.epoch()), (0, 0));

    // A config change: a's config generation rises to the new epoch; no grants changed.
    store.update_workload_identity(&a, spec("x")).await.unwrap();
    assert!(generations.poll(&store).await.unwrap().is_empty());
    let first = generations.config(&a);
    assert!(first > 0 && generations.epoch() == first && generations.config(&b) == 0);
    // Nothing new: nothing changes.
    assert!(generations.poll(&store).await.unwrap().is_empty());
    assert_eq!(generations.epoch(), first);

    // A user of b disconnects (even with no grant rows: exchanged tokens are cached under the
    // grant generation too), then a workload of b is deleted: b's grants are reported changed
    // once, and both of b's generations rise.
    let filter = identity_store::UserGrantFilter { account: &b, user_id: "alice", provider: None, workload: None };
    assert!(store.delete_user_grants(filter).await.unwrap().is_empty());
    store.delete_workload_identity(&b, "x").await.unwrap();
    assert_eq!(generations.poll(&store).await.unwrap(), std::slice::from_ref(&b));
    assert!(generations.config(&b) > first && generations.grants(&b) > 0);
    assert!(generations.poll(&store).await.unwrap().is_empty(), "reported once");
    assert_eq!(generations.config(&a), first, "a is untouched");
}
