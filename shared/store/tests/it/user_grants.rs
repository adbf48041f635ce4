//! Users' grants around DeleteUserTokens and the deletion of what they belong to.

use identity_domain::{AccountId, CredentialProvider, ProviderStatus, WorkloadIdentity};
use identity_store::{OauthSession, SessionStatus, UserGrantFilter};
use sqlx::Row as _;

use crate::{
    federation::authorize,
    providers::{oauth2, raw_pool},
    support::{Harness, T0, account_a},
    workloads::spec,
};

fn session(id: &str, user: &str, workload: &WorkloadIdentity, provider: &CredentialProvider) -> OauthSession {
    OauthSession {
        session_id: id.to_owned(),
        account: account_a(),
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
    }
}

/// The rows of `table` (oauth_grants or oauth_sessions) whose `column` is `id`.
async fn rows(h: &Harness, table: &str, column: &str, id: &str) -> i64 {
    let pool = raw_pool(h).await;
    sqlx::query(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn grant_generation(h: &Harness, account: &AccountId) -> i64 {
    h.store
        .cache_generations_since(0)
        .await
        .unwrap()
        .into_iter()
        .find(|g| &g.account == account)
        .map_or(0, |g| g.grants)
}

/// A user who only exchanged tokens (ON_BEHALF_OF_TOKEN_EXCHANGE) has no grant rows, but the
/// data planes cache their exchanged tokens under the grant generation: it rises all the same.
pub async fn disconnecting_without_grants_raises_the_grant_generation(h: Harness) {
    let a = account_a();
    let before = grant_generation(&h, &a).await;
    let filter = UserGrantFilter { account: &a, user_id: "alice", provider: None, workload: None };
    assert!(h.store.delete_user_grants(filter).await.unwrap().is_empty());
    let after = grant_generation(&h, &a).await;
    assert!(after > before, "{before} -> {after}");
    assert!(h.store.delete_user_grants(filter).await.unwrap().is_empty());
    assert!(grant_generation(&h, &a).await > after);
}

/// A deleted grant says whether the user still holds another grant of its provider (for another
/// workload identity), whose consent revoking this one could end.
pub async fn deleted_grants_tell_whether_the_provider_is_still_granted(h: Harness) {
    let a = account_a();
    let one = h.store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    let two = h.store.create_workload_identity(&a, spec("agent-2")).await.unwrap();
    let idp = h.store.create_credential_provider(&a, oauth2("Idp", "s"), ProviderStatus::Active).await.unwrap();
    let other = h.store.create_credential_provider(&a, oauth2("Other", "s"), ProviderStatus::Active).await.unwrap();
    authorize(&h, &session("s1", "alice", &one, &idp), "k1").await.unwrap();
    authorize(&h, &session("s2", "alice", &two, &idp), "k1").await.unwrap();
    authorize(&h, &session("s3", "alice", &one, &other), "k1").await.unwrap();
    authorize(&h, &session("s4", "bob", &two, &other), "k1").await.unwrap();

    // agent-1's grants: Idp is still granted to agent-2, Other no longer (bob's does not count).
    fn filter<'a>(account: &'a AccountId, workload: &'a WorkloadIdentity) -> UserGrantFilter<'a> {
        let workload = Some((workload.id.as_str(), workload.spec.name.as_str()));
        UserGrantFilter { account, user_id: "alice", provider: None, workload }
    }
    let deleted = h.store.delete_user_grants(filter(&a, &one)).await.unwrap();
    let mut seen: Vec<_> = deleted.iter().map(|d| (d.provider_id.as_str(), d.provider_still_granted)).collect();
    seen.sort();
    let mut expected = vec![(idp.id.as_str(), true), (other.id.as_str(), false)];
    expected.sort();
    assert_eq!(seen, expected);

    // agent-2's: the last of Idp.
    let deleted = h.store.delete_user_grants(filter(&a, &two)).await.unwrap();
    let seen: Vec<_> = deleted.iter().map(|d| (d.provider_id.as_str(), d.provider_still_granted)).collect();
    assert_eq!(seen, [(idp.id.as_str(), false)]);
}

/// Deleting a provider or a workload identity deletes its users' grants and sessions with it
/// (they would otherwise stay, sealed refresh tokens included, out of DeleteUserTokens' reach).
pub async fn deleting_a_provider_or_workload_deletes_its_grants(h: Harness) {
    let a = account_a();
    let one = h.store.create_workload_identity(&a, spec("agent-1")).await.unwrap();
    let two = h.store.create_workload_identity(&a, spec("agent-2")).await.unwrap();
    let idp = h.store.create_credential_provider(&a, oauth2("Idp", "s"), ProviderStatus::Active).await.unwrap();
    let other = h.store.create_credential_provider(&a, oauth2("Other", "s"), ProviderStatus::Active).await.unwrap();
    authorize(&h, &session("s1", "alice", &one, &idp), "k1").await.unwrap();
    authorize(&h, &session("s2", "alice", &two, &other), "k1").await.unwrap();
    authorize(&h, &session("s3", "alice", &one, &other), "k1").await.unwrap();
    let pending = |id: &str, w: &WorkloadIdentity, p: &CredentialProvider| session(id, "bob", w, p);
    let verifier = identity_domain::SecretString::new("verifier".to_owned());
    h.store.create_oauth_session(&pending("p1", &two, &idp), &verifier).await.unwrap();
    h.store.create_oauth_session(&pending("p2", &two, &other), &verifier).await.unwrap();
    assert_eq!(rows(&h, "oauth_grants", "provider_id", &idp.id).await, 1);
    assert_eq!(rows(&h, "oauth_sessions", "provider_id", &idp.id).await, 2);

    let generation = grant_generation(&h, &a).await;
    h.store.delete_credential_provider(&a, "Idp").await.unwrap();
    assert_eq!(rows(&h, "oauth_grants", "provider_id", &idp.id).await, 0);
    assert_eq!(rows(&h, "oauth_sessions", "provider_id", &idp.id).await, 0);
    assert!(grant_generation(&h, &a).await > generation, "the data planes drop the cached grants");
    // The other provider's stay.
    assert_eq!(rows(&h, "oauth_grants", "provider_id", &other.id).await, 2);

    h.store.delete_workload_identity(&a, "agent-2").await.unwrap();
    assert_eq!(rows(&h, "oauth_grants", "workload_id", &two.id).await, 0);
    assert_eq!(rows(&h, "oauth_sessions", "workload_id", &two.id).await, 0);
    assert_eq!(rows(&h, "oauth_grants", "workload_id", &one.id).await, 1);
    assert!(h.store.oauth_session("s3").await.unwrap().is_some());
}

/// DeleteUserTokens' selections are indexed (migration 7).
pub async fn user_grant_lookups_are_indexed(h: Harness) {
    let pool = raw_pool(&h).await;
    let query = if h.url.starts_with("sqlite") {
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('oauth_grants_user', 'oauth_sessions_user')"
    } else {
        "SELECT indexname::text FROM pg_indexes WHERE indexname IN ('oauth_grants_user', 'oauth_sessions_user')"
    };
    let mut names: Vec<String> =
        sqlx::query(query).fetch_all(&pool).await.unwrap().iter().map(|r| r.try_get(0).unwrap()).collect();
    names.sort();
    assert_eq!(names, ["oauth_grants_user", "oauth_sessions_user"]);
}
