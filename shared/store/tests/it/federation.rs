use identity_domain::{ProviderStatus, SecretString};
use identity_store::{GRANTS_PER_USER_AND_PROVIDER, GrantKey, OauthSession, SessionStatus, StoreError};

use crate::{
    providers::oauth2,
    support::{Harness, T0, account_a},
    workloads::spec,
};

/// Walks a session through the whole flow, as the data plane does, and completes it.
pub async fn authorize(h: &Harness, session: &OauthSession, scopes_key: &str) -> Result<(), StoreError> {
    h.store.create_oauth_session(session, &SecretString::new("pkce-verifier".to_owned())).await.unwrap();
    let state = format!("state-hash-{}", session.session_id);
    assert!(h.store.redirect_oauth_session(&session.session_id, &state).await.unwrap());
    let (taken, verifier) = h.store.take_oauth_callback(&state, &session.provider_id).await.unwrap().unwrap();
    assert_eq!((taken.status, verifier.expose()), (SessionStatus::Redirected, "pkce-verifier"));
    // The state is single-use.
    assert!(h.store.take_oauth_callback(&state, &session.provider_id).await.unwrap().is_none());
    h.store.finish_oauth_callback(session, Ok(format!("grant-of-{scopes_key}").as_bytes())).await.unwrap();
    h.store.complete_oauth_session(session, scopes_key).await
}

pub async fn grants_per_user_and_provider_are_capped(h: Harness) {
    let a = account_a();
    let workload = h.store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    let provider =
        h.store.create_credential_provider(&a, oauth2("Idp", "secret"), ProviderStatus::Active).await.unwrap();
    let session = |id: String, user: &str| OauthSession {
        session_id: id,
        account: a.clone(),
        workload_id: workload.id.clone(),
        workload_name: workload.spec.name.clone(),
        user_id: user.to_owned(),
        provider_id: provider.id.clone(),
        provider_name: provider.name.clone(),
        scopes: vec!["read".to_owned()],
        return_url: "https://app.example.com/done".to_owned(),
        custom_params: Default::default(),
        code_challenge: "challenge".to_owned(),
        status: SessionStatus::Pending,
        failure: String::new(),
        expires_at: T0 + 600_000,
    };
    let limit = GRANTS_PER_USER_AND_PROVIDER;
    for i in 0..limit {
        authorize(&h, &session(format!("alice-{i}"), "alice"), &format!("scopes-{i}")).await.unwrap();
    }
    // The eleventh scope set of the same user at the same provider is refused...
    let err = authorize(&h, &session("alice-extra".to_owned(), "alice"), "scopes-extra").await.unwrap_err();
    assert!(matches!(err, StoreError::QuotaExceeded { limit: 10, .. }), "{err}");
    // ...re-authorizing an existing one replaces it instead of counting twice...
    authorize(&h, &session("alice-again".to_owned(), "alice"), "scopes-3").await.unwrap();
    let key = GrantKey {
        account: &a,
        workload_id: &workload.id,
        user_id: "alice",
        provider_id: &provider.id,
        scopes_key: "scopes-3",
    };
    let (version, grant) = h.store.user_grant(&key).await.unwrap().unwrap();
    assert_eq!((version, grant.as_slice()), (1, &b"grant-of-scopes-3"[..]));
    // ...and another user has a quota of their own.
    authorize(&h, &session("bob-0".to_owned(), "bob"), "scopes-0").await.unwrap();
}

pub async fn grant_versions_fence_refreshes(h: Harness) {
    let a = account_a();
    let workload = h.store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    let provider =
        h.store.create_credential_provider(&a, oauth2("Idp", "secret"), ProviderStatus::Active).await.unwrap();
    let session = OauthSession {
        session_id: "s1".to_owned(),
        account: a.clone(),
        workload_id: workload.id.clone(),
        workload_name: workload.spec.name.clone(),
        user_id: "alice".to_owned(),
        provider_id: provider.id.clone(),
        provider_name: provider.name.clone(),
        scopes: vec![],
        return_url: "https://app.example.com/done".to_owned(),
        custom_params: Default::default(),
        code_challenge: "challenge".to_owned(),
        status: SessionStatus::Pending,
        failure: String::new(),
        expires_at: T0 + 600_000,
    };
    authorize(&h, &session, "k").await.unwrap();
    let key = GrantKey {
        account: &a,
        workload_id: &workload.id,
        user_id: "alice",
        provider_id: &provider.id,
        scopes_key: "k",
    };
    // Two refreshes raced from version 1: only the first is stored.
    assert!(h.store.replace_user_grant(&key, 1, b"refreshed-first").await.unwrap());
    assert!(!h.store.replace_user_grant(&key, 1, b"refreshed-second").await.unwrap());
    let (version, grant) = h.store.user_grant(&key).await.unwrap().unwrap();
    assert_eq!((version, grant.as_slice()), (2, &b"refreshed-first"[..]));
    // A drop fenced on a stale version does nothing; on the current one it removes the grant.
    assert!(!h.store.drop_user_grant(&key, 1).await.unwrap());
    assert!(h.store.drop_user_grant(&key, 2).await.unwrap());
    assert!(h.store.user_grant(&key).await.unwrap().is_none());
}
