use std::sync::Arc;

use identity_crypto::MasterKeyRing;
use identity_domain::{Quotas, WorkloadAttributes, WorkloadIdentitySpec, WorkloadIdentityType};
use identity_store::{Store, StoreError, StoreOptions};

use crate::support::{Harness, account_a, account_b};

pub async fn migrations_are_idempotent_and_checked(h: Harness) {
    h.store.migrate().await.unwrap();
    h.store.check_migrated().await.unwrap();

    // A database nobody migrated is refused with a message naming the fix.
    let fresh = identity_testkit::SqliteDb::create();
    let keyring = Arc::new(MasterKeyRing::parse(&MasterKeyRing::generate_entry("k1").unwrap()).unwrap());
    let store = Store::connect(StoreOptions {
        url: fresh.url.clone(),
        keyring,
        clock: h.clock.clone(),
        quotas: Quotas::default(),
        max_connections: 1,
    })
    .await
    .unwrap();
    let err = store.check_migrated().await.unwrap_err();
    assert!(matches!(err, StoreError::NotMigrated { found: 0, needed: 7 }), "{err}");
    assert!(err.to_string().contains("identity-control-plane migrate"));
}

pub async fn admin_tokens_resolve_to_their_account(h: Harness) {
    h.store.create_admin_token(&account_a(), "ops", "hash-a").await.unwrap();
    h.store.create_admin_token(&account_b(), "ops", "hash-b").await.unwrap();
    assert_eq!(h.store.admin_token_account("hash-a").await.unwrap(), Some(account_a()));
    assert_eq!(h.store.admin_token_account("hash-b").await.unwrap(), Some(account_b()));
    assert_eq!(h.store.admin_token_account("hash-c").await.unwrap(), None);
}

pub async fn quota_holds_under_concurrent_creates(h: Harness) {
    let store = h.with_quotas(Quotas { workload_identities: 5, ..Quotas::default() }).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_workload_identity(
                        &account_a(),
                        WorkloadIdentitySpec {
                            name: format!("agent-{i:02}"),
                            description: String::new(),
                            kind: WorkloadIdentityType::Agent,
                            attributes: WorkloadAttributes::default(),
                            allowed_return_urls: vec![],
                            tags: Default::default(),
                            authorizers: vec![],
                        },
                    )
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::QuotaExceeded { limit: 5, .. }) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(created, 5);
}

pub async fn values_sealed_for_the_cache_open_only_in_their_context(h: Harness) {
    use identity_crypto::SealContext;
    let ctx = |record| SealContext { account: "111111111111", table: "cache", record, field: "m2m" };
    // A fresh account gets its data key on first use.
    let sealed = h.store.seal_for_account(&account_a(), &ctx("k1"), b"access-token").await.unwrap();
    assert!(!sealed.windows(12).any(|w| w == b"access-token"));
    assert_eq!(h.store.open_for_account(&account_a(), &ctx("k1"), &sealed).await.unwrap().as_slice(), b"access-token");
    assert!(h.store.open_for_account(&account_a(), &ctx("k2"), &sealed).await.is_err());
    assert!(h.store.open_for_account(&account_b(), &ctx("k1"), &sealed).await.is_err());
    // Secrets stored afterwards share the same data key (one per account).
    let again = h.store.seal_for_account(&account_a(), &ctx("k3"), b"x").await.unwrap();
    assert_eq!(
        identity_crypto::DataKey::version_of(&again).unwrap(),
        identity_crypto::DataKey::version_of(&sealed).unwrap()
    );
}
