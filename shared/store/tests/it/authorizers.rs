use identity_domain::{CustomAuthorizerConfig, JwtAuthorizerSpec, PageRequest, SecretString};
use identity_store::StoreError;
use sqlx::Row as _;

use crate::{
    providers::raw_pool,
    support::{Harness, account_a, account_b},
    workloads,
};

const SHARED_SECRET: &str = "custom-authorizer-shared-secret-0123";

pub fn spec(name: &str) -> JwtAuthorizerSpec {
    JwtAuthorizerSpec {
        name: name.to_owned(),
        description: "Okta users".to_owned(),
        discovery_url: "https://example.okta.com/.well-known/openid-configuration".to_owned(),
        allowed_audiences: vec!["api://my-agent".to_owned()],
        allowed_clients: vec!["client-1".to_owned()],
        allowed_scopes: vec!["agent:invoke".to_owned()],
        required_claims: [("tenant".to_owned(), "acme".to_owned())].into(),
        custom: None,
    }
}

pub async fn authorizer_round_trip(h: Harness) {
    let created = h.store.create_jwt_authorizer(&account_a(), spec("okta")).await.unwrap();
    assert!(created.id.starts_with("ja-"));
    assert_eq!(h.store.get_jwt_authorizer(&account_a(), "okta").await.unwrap(), created);
    assert!(matches!(
        h.store.create_jwt_authorizer(&account_a(), spec("okta")).await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(h.store.get_jwt_authorizer(&account_b(), "okta").await, Err(StoreError::NotFound { .. })));

    let mut changed = spec("okta");
    changed.allowed_audiences = vec![];
    changed.required_claims.clear();
    let updated = h.store.update_jwt_authorizer(&account_a(), changed.clone()).await.unwrap();
    assert_eq!(updated.spec, changed);

    let listed = h.store.list_jwt_authorizers(&account_a(), &PageRequest::from_wire(0, "").unwrap()).await.unwrap();
    assert_eq!(listed.items, vec![updated]);
    h.store.delete_jwt_authorizer(&account_a(), "okta").await.unwrap();
    assert!(matches!(h.store.delete_jwt_authorizer(&account_a(), "okta").await, Err(StoreError::NotFound { .. })));
}

pub fn custom_spec(name: &str, secret_header: &str) -> JwtAuthorizerSpec {
    JwtAuthorizerSpec {
        name: name.to_owned(),
        description: "the operator's own check".to_owned(),
        discovery_url: String::new(),
        allowed_audiences: vec![],
        allowed_clients: vec![],
        allowed_scopes: vec![],
        required_claims: Default::default(),
        custom: Some(CustomAuthorizerConfig {
            endpoint_url: "https://authz.example.com/check".to_owned(),
            timeout_ms: 1_500,
            secret_header_name: secret_header.to_owned(),
        }),
    }
}

pub async fn workloads_name_existing_authorizers_and_pin_them(h: Harness) {
    let (a, b) = (account_a(), account_b());
    h.store.create_jwt_authorizer(&a, spec("okta")).await.unwrap();
    h.store.create_authorizer(&a, custom_spec("mine", ""), None).await.unwrap();

    // Every name must exist in the workload's own account.
    let mut wl = workloads::spec("agent");
    wl.authorizers = vec!["okta".to_owned(), "missing".to_owned()];
    let err = h.store.create_workload_identity(&a, wl.clone()).await.unwrap_err();
    assert!(matches!(&err, StoreError::NotFound { kind: "JWT authorizer", name } if name == "missing"), "{err}");
    wl.authorizers = vec!["okta".to_owned()];
    let err = h.store.create_workload_identity(&b, wl.clone()).await.unwrap_err();
    assert!(matches!(&err, StoreError::NotFound { name, .. } if name == "okta"), "{err}");

    wl.authorizers = vec!["mine".to_owned(), "okta".to_owned()];
    let created = h.store.create_workload_identity(&a, wl.clone()).await.unwrap();
    assert_eq!(created.spec.authorizers, ["mine", "okta"], "the order is kept");
    assert_eq!(h.store.get_workload_identity(&a, "agent").await.unwrap(), created);
    let mut other = workloads::spec("other");
    other.authorizers = vec!["okta".to_owned()];
    h.store.create_workload_identity(&a, other).await.unwrap();

    // An attached authorizer cannot be deleted; the error names who holds it.
    let err = h.store.delete_jwt_authorizer(&a, "okta").await.unwrap_err();
    assert!(
        matches!(&err, StoreError::InUse { name, used_by, .. } if name == "okta" && used_by == &["agent", "other"]),
        "{err}"
    );
    assert!(h.store.get_jwt_authorizer(&a, "okta").await.is_ok());
    let err = h
        .store
        .update_workload_identity(&a, {
            let mut s = wl.clone();
            s.authorizers.push("gone".to_owned());
            s
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");

    // Detached (update to the account default, delete the other), it can go.
    wl.authorizers = vec!["mine".to_owned()];
    h.store.update_workload_identity(&a, wl.clone()).await.unwrap();
    h.store.delete_workload_identity(&a, "other").await.unwrap();
    h.store.delete_jwt_authorizer(&a, "okta").await.unwrap();
    let err = h.store.delete_jwt_authorizer(&a, "mine").await.unwrap_err();
    assert!(matches!(err, StoreError::InUse { .. }), "{err}");
    assert_eq!(h.store.get_workload_identity(&a, "agent").await.unwrap().spec.authorizers, ["mine"]);
}

pub async fn custom_authorizer_secrets_are_sealed_kept_and_dropped(h: Harness) {
    let a = account_a();
    let secret = SecretString::new(SHARED_SECRET.to_owned());
    let created = h.store.create_authorizer(&a, custom_spec("mine", "x-authz-secret"), Some(&secret)).await.unwrap();
    assert_eq!(created.spec, custom_spec("mine", "x-authz-secret"));
    assert_eq!(h.store.get_jwt_authorizer(&a, "mine").await.unwrap(), created);
    let opened = h.store.custom_authorizer_secret(&a, "mine").await.unwrap().unwrap();
    assert_eq!(opened.expose(), SHARED_SECRET);

    // Only ciphertext in the database.
    let pool = raw_pool(&h).await;
    let row = sqlx::query("SELECT custom_config, secret FROM jwt_authorizers WHERE name = 'mine'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut dump = row.try_get::<String, _>(0).unwrap().into_bytes();
    dump.extend(row.try_get::<Vec<u8>, _>(1).unwrap());
    assert!(dump.windows(13).any(|w| w == b"authz.example"), "the dump holds the row");
    assert!(!dump.windows(SHARED_SECRET.len()).any(|w| w == SHARED_SECRET.as_bytes()), "plaintext secret stored");

    // No new secret keeps the stored one; a new one replaces it; no header drops it.
    let mut changed = custom_spec("mine", "x-authz-secret");
    changed.custom.as_mut().unwrap().timeout_ms = 3_000;
    let updated = h.store.update_authorizer(&a, changed.clone(), None).await.unwrap();
    assert_eq!(updated.spec, changed);
    assert_eq!(h.store.custom_authorizer_secret(&a, "mine").await.unwrap().unwrap().expose(), SHARED_SECRET);
    let rotated = SecretString::new("rotated-secret-value".to_owned());
    h.store.update_authorizer(&a, changed, Some(&rotated)).await.unwrap();
    assert_eq!(h.store.custom_authorizer_secret(&a, "mine").await.unwrap().unwrap().expose(), "rotated-secret-value");
    h.store.update_authorizer(&a, custom_spec("mine", ""), Some(&rotated)).await.unwrap();
    assert!(h.store.custom_authorizer_secret(&a, "mine").await.unwrap().is_none());
    // Naming a header again without a secret would keep one there is none of: refused, unchanged.
    let err = h.store.update_authorizer(&a, custom_spec("mine", "x-authz-secret"), None).await.unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(v) if v[0].field == "custom_secret"), "{err}");
    assert_eq!(h.store.get_jwt_authorizer(&a, "mine").await.unwrap().spec, custom_spec("mine", ""));

    // An OIDC authorizer has none; turning the custom one back into an OIDC one clears `custom`.
    h.store.create_jwt_authorizer(&a, spec("okta")).await.unwrap();
    assert!(h.store.custom_authorizer_secret(&a, "okta").await.unwrap().is_none());
    let oidc = h.store.update_authorizer(&a, spec("mine"), Some(&rotated)).await.unwrap();
    assert_eq!(oidc.spec, spec("mine"));
    assert!(h.store.custom_authorizer_secret(&a, "mine").await.unwrap().is_none());
    assert!(matches!(h.store.custom_authorizer_secret(&a, "nope").await, Err(StoreError::NotFound { .. })));
}

pub async fn custom_authorizer_secrets_follow_data_key_rotation(h: Harness) {
    let a = account_a();
    let secret = SecretString::new(SHARED_SECRET.to_owned());
    h.store.create_authorizer(&a, custom_spec("mine", "x-authz-secret"), Some(&secret)).await.unwrap();
    let rotation = h.store.rotate_account_data_key(&a).await.unwrap();
    assert_eq!((rotation.version, rotation.reencrypted), (2, 1));
    assert_eq!(h.store.custom_authorizer_secret(&a, "mine").await.unwrap().unwrap().expose(), SHARED_SECRET);
    let status = h.store.vault_status(&a).await.unwrap();
    let keys: Vec<_> = status.data_keys.iter().map(|k| (k.version, k.ciphertexts)).collect();
    assert_eq!(keys, [(1, 0), (2, 1)], "the old data key protects nothing any more");
}
