use identity_domain::{NewAccessKey, PageRequest};
use identity_store::StoreError;

use crate::{
    support::{Harness, account_a, account_b},
    workloads::spec,
};

pub fn key(id: &str, workloads: &[&str]) -> NewAccessKey {
    NewAccessKey {
        access_key_id: id.to_owned(),
        secret_hash: format!("hash-of-{id}"),
        description: "agent runtime".to_owned(),
        allowed_workload_names: workloads.iter().map(|w| (*w).to_owned()).collect(),
    }
}

pub async fn lifecycle(h: Harness) {
    let a = account_a();
    // Limiting a key to a workload that does not exist is refused.
    let err = h.store.create_access_key(&a, key("AKIAAAAAAAAAAAAAAAAA", &["ghost"])).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { kind: "workload identity", .. }), "{err}");

    h.store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    let created = h.store.create_access_key(&a, key("AKIAAAAAAAAAAAAAAAAA", &["agent-1"])).await.unwrap();
    h.store.create_access_key(&a, key("AKIABBBBBBBBBBBBBBBB", &[])).await.unwrap();

    let (found, hash) = h.store.find_access_key("AKIAAAAAAAAAAAAAAAAA").await.unwrap().unwrap();
    assert_eq!((found, hash.as_str()), (created.clone(), "hash-of-AKIAAAAAAAAAAAAAAAAA"));
    assert!(h.store.find_access_key("AKIACCCCCCCCCCCCCCCC").await.unwrap().is_none());

    let listed = h.store.list_access_keys(&a, &PageRequest::from_wire(1, "").unwrap()).await.unwrap();
    assert_eq!(listed.items, vec![created]);
    assert!(!listed.next_token().is_empty());
    assert!(
        h.store.list_access_keys(&account_b(), &PageRequest::from_wire(0, "").unwrap()).await.unwrap().items.is_empty()
    );

    // Another account cannot delete it.
    assert!(matches!(
        h.store.delete_access_key(&account_b(), "AKIAAAAAAAAAAAAAAAAA").await,
        Err(StoreError::NotFound { .. })
    ));
    h.store.delete_access_key(&a, "AKIAAAAAAAAAAAAAAAAA").await.unwrap();
    assert!(h.store.find_access_key("AKIAAAAAAAAAAAAAAAAA").await.unwrap().is_none());
}
