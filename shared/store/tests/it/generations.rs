use identity_domain::{AuditFilter, ProviderStatus};
use identity_store::{CacheGenerations, GrantKey, OauthSession, SessionStatus, UserGrantFilter};

use crate::{
    access_keys::key,
    federation::authorize,
    providers::{api_key, oauth2},
    support::{Harness, T0, account_a, account_b},
    workloads::spec,
};

/// The generations of `account` polled after `since`, if it changed.
async fn changed(h: &Harness, since: i64, account: &identity_domain::AccountId) -> Option<CacheGenerations> {
    h.store.cache_generations_since(since).await.unwrap().into_iter().find(|g| &g.account == account)
}

pub async fn invalidating_changes_raise_the_config_generation(h: Harness) {
    let (a, b) = (account_a(), account_b());
    h.store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    h.store.create_workload_identity(&b, spec("agent-1")).await.unwrap();
    h.store.create_credential_provider(&a, api_key("github", "k1"), ProviderStatus::Active).await.unwrap();
    h.store.create_access_key(&a, key("AKIAAAAAAAAAAAAAAAAA", &[])).await.unwrap();
    // Creating things invalidates nothing cached.
    assert!(h.store.cache_generations_since(0).await.unwrap().is_empty());

    let mut last = 0;
    let mut generation = 0;
    for step in 0..4 {
        match step {
            0 => drop(
                h.store.update_credential_provider(&a, api_key("github", "k2"), ProviderStatus::Active).await.unwrap(),
            ),
            1 => drop(h.store.update_workload_identity(&a, spec("agent-1")).await.unwrap()),
            2 => h.store.delete_access_key(&a, "AKIAAAAAAAAAAAAAAAAA").await.unwrap(),
            _ => h.store.delete_credential_provider(&a, "github").await.unwrap(),
        }
        let seen = changed(&h, last, &a).await.unwrap_or_else(|| panic!("step {step} raised no generation"));
        assert!(seen.config > generation, "step {step}: {seen:?}");
        assert_eq!((seen.epoch, seen.grants), (seen.config, 0));
        // Nothing else changed since, and the other account never did.
        assert!(h.store.cache_generations_since(seen.epoch).await.unwrap().is_empty());
        assert!(changed(&h, 0, &b).await.is_none());
        (last, generation) = (seen.epoch, seen.config);
    }
    h.store.delete_workload_identity(&b, "agent-1").await.unwrap();
    let polled = h.store.cache_generations_since(last).await.unwrap();
    assert_eq!(polled.iter().map(|g| &g.account).collect::<Vec<_>>(), [&b]);
}

pub async fn deleting_user_grants_removes_only_theirs(h: Harness) {
    let a = account_a();
    let workload = h.store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    let idp = h.store.create_credential_provider(&a, oauth2("Idp", "s"), ProviderStatus::Active).await.unwrap();
    let other = h.store.create_credential_provider(&a, oauth2("Other", "s"), ProviderStatus::Active).await.unwrap();
    let session = |id: &str, user: &str, provider: &identity_domain::CredentialProvider| OauthSession {
        session_id: id.to_owned(),
        account: a.clone(),
        workload_id: workload.id.clone(),
        workload_name: workload.spec.name.clone(),
        user_id: user.to_owned(),
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
    authorize(&h, &session("s1", "alice", &idp), "k1").await.unwrap();
    authorize(&h, &session("s2", "alice", &idp), "k2").await.unwrap();
    authorize(&h, &session("s3", "alice", &other), "k1").await.unwrap();
    authorize(&h, &session("s4", "bob", &idp), "k1").await.unwrap();
    let grant = |user: &'static str, provider: &'static str, scopes: &'static str| {
        let (a, w) = (a.clone(), workload.id.clone());
        let store = h.store.clone();
        async move {
            let key =
                GrantKey { account: &a, workload_id: &w, user_id: user, provider_id: provider, scopes_key: scopes };
            store.user_grant(&key).await.unwrap().is_some()
        }
    };
    let (idp_id, other_id): (&'static str, &'static str) =
        (Box::leak(idp.id.clone().into_boxed_str()), Box::leak(other.id.clone().into_boxed_str()));

    let deleted = h
        .store
        .delete_user_grants(UserGrantFilter {
            account: &a,
            user_id: "alice",
            provider: Some((&idp.id, &idp.name)),
            workload: None,
        })
        .await
        .unwrap();
    let mut scopes: Vec<_> = deleted.iter().map(|d| d.scopes_key.as_str()).collect();
    scopes.sort();
    assert_eq!(scopes, ["k1", "k2"]);
    assert!(deleted.iter().all(|d| d.provider_id == idp.id && d.workload_id == workload.id));
    assert_eq!(
        deleted[0].plain.as_deref().map(Vec::as_slice),
        Some(format!("grant-of-{}", deleted[0].scopes_key).as_bytes())
    );
    assert!(!grant("alice", idp_id, "k1").await && !grant("alice", idp_id, "k2").await);
    // Other providers' and other users' grants stay.
    assert!(grant("alice", other_id, "k1").await && grant("bob", idp_id, "k1").await);
    // The grant generation rose (and not the config generation).
    let seen = changed(&h, 0, &a).await.unwrap();
    assert!(seen.grants > 0 && seen.config == 0, "{seen:?}");

    // Recorded, with the user hashed.
    let events = h.store.list_audit_events(&a, &AuditFilter::default(), 0, 100).await.unwrap();
    let event = events.items.iter().find(|e| e.entry.event_name == "DeleteUserTokens").unwrap();
    assert_eq!(event.entry.provider_name, "Idp");
    assert!(!event.entry.user_hash.is_empty() && event.entry.user_hash != "alice");

    // Nothing left to delete: nothing deleted, the generation raised all the same (exchanged
    // tokens are cached under it, without grant rows).
    let again = h
        .store
        .delete_user_grants(UserGrantFilter {
            account: &a,
            user_id: "alice",
            provider: Some((&idp.id, "Idp")),
            workload: None,
        })
        .await
        .unwrap();
    assert!(again.is_empty());
    assert!(changed(&h, seen.epoch, &a).await.is_some_and(|g| g.grants > seen.grants));
}
