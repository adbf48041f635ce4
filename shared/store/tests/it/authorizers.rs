use identity_domain::{JwtAuthorizerSpec, PageRequest};
use identity_store::StoreError;

use crate::support::{Harness, account_a, account_b};

pub fn spec(name: &str) -> JwtAuthorizerSpec {
    JwtAuthorizerSpec {
        name: name.to_owned(),
        description: "Okta users".to_owned(),
        discovery_url: "https://example.okta.com/.well-known/openid-configuration".to_owned(),
        allowed_audiences: vec!["api://my-agent".to_owned()],
        allowed_clients: vec!["client-1".to_owned()],
        allowed_scopes: vec!["agent:invoke".to_owned()],
        required_claims: [("tenant".to_owned(), "acme".to_owned())].into(),
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
