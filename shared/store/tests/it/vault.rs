//! Token-vault key rotation: re-wrapping data keys under a new master key, and rotating an
//! account's data key, online.

use std::sync::Arc;

use identity_crypto::{DataKey, MasterKeyRing};
use identity_domain::{AccountId, ProviderStatus, Quotas};
use identity_store::{NewSigningKey, Store, StoreOptions};

use crate::{
    providers::{api_key, raw_pool},
    support::{Harness, T0, account_a, account_b},
};

/// A store on the harness's database with its own master key ring.
async fn store_with(h: &Harness, ring: &[&str]) -> Store {
    Store::connect(StoreOptions {
        url: h.url.clone(),
        keyring: Arc::new(MasterKeyRing::parse(&ring.join(",")).unwrap()),
        clock: h.clock.clone(),
        quotas: Quotas::default(),
        max_connections: 5,
    })
    .await
    .unwrap()
}

fn entry(id: &str) -> String {
    MasterKeyRing::generate_entry(id).unwrap().to_string()
}

async fn add_signing_key(store: &Store, account: &AccountId, kid: &str) {
    let key = NewSigningKey { kid, pkcs8: b"private-pkcs8", public_x: "x", public_y: "y" };
    store.rotate_signing_key(account, T0, key).await.unwrap();
}

/// Data-key versions in the headers of `account`'s stored ciphertexts, read with raw SQL.
async fn stored_versions(h: &Harness, account: &AccountId) -> Vec<u32> {
    let pool = raw_pool(h).await;
    let mut versions = Vec::new();
    for sql in [
        "SELECT secret FROM credential_providers WHERE account_id = $1",
        "SELECT private_key FROM signing_keys WHERE account_id = $1",
    ] {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(sql).bind(account.as_str()).fetch_all(&pool).await.unwrap();
        versions.extend(rows.iter().map(|c| DataKey::version_of(c).unwrap()));
    }
    versions
}

pub async fn rewrap_frees_the_old_master_key(h: Harness) {
    let (k1, k2) = (entry("k1"), entry("k2"));
    let old = store_with(&h, &[&k1]).await;
    let (a, b) = (account_a(), account_b());
    old.create_credential_provider(&a, api_key("GitHub", "key-a"), ProviderStatus::Active).await.unwrap();
    old.create_credential_provider(&b, api_key("GitHub", "key-b"), ProviderStatus::Active).await.unwrap();
    add_signing_key(&old, &a, "kid-a").await;

    // The operator appends k2 and restarts: k2 is current, k1 still wraps both accounts' keys.
    let both = store_with(&h, &[&k1, &k2]).await;
    let status = both.vault_status(&a).await.unwrap();
    assert_eq!(status.current_key_id, "k2");
    let ids: Vec<_> = status.keys.iter().map(|k| (k.key_id.as_str(), k.current, k.retirable)).collect();
    assert_eq!(ids, [("k1", false, false), ("k2", true, false)]);
    assert_eq!((status.keys[0].account_data_keys, status.keys[0].account_ciphertexts), (1, 2));
    assert_eq!(status.keys[0].all_data_keys, 2);

    assert_eq!(both.rewrap_data_keys().await.unwrap(), 2);
    assert_eq!(both.rewrap_data_keys().await.unwrap(), 0, "nothing is left to re-wrap");
    let status = both.vault_status(&a).await.unwrap();
    let k1_status = &status.keys[0];
    assert_eq!((k1_status.account_data_keys, k1_status.all_data_keys, k1_status.retirable), (0, 0, true));
    assert_eq!((status.keys[1].account_data_keys, status.keys[1].account_ciphertexts), (1, 2));
    assert_eq!(status.data_keys[0].master_key_id, "k2");
    assert!(status.last_modified.is_some());

    // The store that re-wrapped still reads everything (its cached keys are unchanged)...
    assert_eq!(both.credential_provider_secret(&a, "GitHub").await.unwrap().expose(), "key-a");
    // ...and so does one whose ring no longer has k1.
    let new = store_with(&h, &[&k2]).await;
    assert_eq!(new.credential_provider_secret(&a, "GitHub").await.unwrap().expose(), "key-a");
    assert_eq!(new.credential_provider_secret(&b, "GitHub").await.unwrap().expose(), "key-b");
    assert_eq!(new.latest_signing_key(&a).await.unwrap().unwrap().pkcs8.as_slice(), b"private-pkcs8");

    // Each account's log records the re-wrap of its key.
    for account in [&a, &b] {
        let events = new.list_audit_events(account, &Default::default(), 0, 100).await.unwrap().items;
        assert_eq!(events.iter().filter(|e| e.entry.event_name == "RewrapDataKey").count(), 1);
        assert!(new.verify_audit_chain(account).await.unwrap().first_broken.is_none());
    }
}

pub async fn data_key_rotation_reencrypts_every_ciphertext(h: Harness) {
    let k1 = entry("k1");
    let store = store_with(&h, &[&k1]).await;
    let (a, b) = (account_a(), account_b());
    for name in ["p1", "p2", "p3"] {
        let spec = api_key(name, &format!("secret-{name}"));
        store.create_credential_provider(&a, spec, ProviderStatus::Active).await.unwrap();
    }
    add_signing_key(&store, &a, "kid-a").await;
    store.create_credential_provider(&b, api_key("p1", "secret-b"), ProviderStatus::Active).await.unwrap();

    let rotation = store.rotate_account_data_key(&a).await.unwrap();
    assert_eq!((rotation.version, rotation.reencrypted), (2, 4));
    assert_eq!(stored_versions(&h, &a).await, [2, 2, 2, 2]);
    assert_eq!(stored_versions(&h, &b).await, [1], "other accounts are untouched");

    // Readable through the rotating store and through a fresh one (no cached keys).
    let fresh = store_with(&h, &[&k1]).await;
    for reader in [&store, &fresh] {
        for name in ["p1", "p2", "p3"] {
            assert_eq!(reader.credential_provider_secret(&a, name).await.unwrap().expose(), format!("secret-{name}"));
        }
        assert_eq!(reader.latest_signing_key(&a).await.unwrap().unwrap().pkcs8.as_slice(), b"private-pkcs8");
        assert_eq!(reader.credential_provider_secret(&b, "p1").await.unwrap().expose(), "secret-b");
    }

    // The old data key is kept but protects nothing; new secrets use the new one.
    let status = store.vault_status(&a).await.unwrap();
    let keys: Vec<_> = status.data_keys.iter().map(|k| (k.version, k.current, k.ciphertexts)).collect();
    assert_eq!(keys, [(1, false, 0), (2, true, 4)]);
    assert_eq!(status.current_data_key(), Some(2));
    fresh.create_credential_provider(&a, api_key("p4", "secret-p4"), ProviderStatus::Active).await.unwrap();
    assert_eq!(stored_versions(&h, &a).await, [2, 2, 2, 2, 2]);
    let events = store.list_audit_events(&a, &Default::default(), 0, 100).await.unwrap().items;
    assert_eq!(events.iter().filter(|e| e.entry.event_name == "RotateDataKey").count(), 1);
}

pub async fn rotation_concurrent_with_writes_loses_nothing(h: Harness) {
    const PROVIDERS: usize = 8;
    const ROUNDS: usize = 6;
    let k1 = entry("k1");
    let store = store_with(&h, &[&k1]).await;
    let a = account_a();
    for i in 0..PROVIDERS {
        store
            .create_credential_provider(&a, api_key(&format!("p{i}"), "initial"), ProviderStatus::Active)
            .await
            .unwrap();
    }
    // Writers update every provider's secret while the data key rotates twice.
    let writers: Vec<_> = (0..PROVIDERS)
        .map(|i| {
            let (store, a) = (store.clone(), a.clone());
            tokio::spawn(async move {
                for round in 0..ROUNDS {
                    let spec = api_key(&format!("p{i}"), &format!("p{i}-round-{round}"));
                    store.update_credential_provider(&a, spec, ProviderStatus::Active).await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let first = store.rotate_account_data_key(&a).await.unwrap();
    let second = store.rotate_account_data_key(&a).await.unwrap();
    assert_eq!((first.version, second.version), (2, 3));
    for writer in writers {
        writer.await.unwrap();
    }
    // No update was overwritten by a re-encryption, and nothing is left under an old key.
    let fresh = store_with(&h, &[&k1]).await;
    for i in 0..PROVIDERS {
        let secret = fresh.credential_provider_secret(&a, &format!("p{i}")).await.unwrap();
        assert_eq!(secret.expose(), format!("p{i}-round-{}", ROUNDS - 1));
    }
    assert!(stored_versions(&h, &a).await.iter().all(|v| *v == 3));
}
