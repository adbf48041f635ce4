use identity_domain::{
    ApiKeyConfig, AuditOutcome, AuthorizationServerMetadata, Oauth2Config, Oauth2Discovery, ProviderConfig,
    ProviderSpec, ProviderStatus, Quotas, SecretString, Vendor,
};
use identity_store::StoreError;
use sqlx::{Row as _, any::AnyPoolOptions};

use crate::support::{Harness, account_a, account_b};

const CLIENT_SECRET: &str = "sf-client-secret-4f9a1c77d2";
const API_KEY: &str = "ghp_liveApiKey0123456789abcdef";

pub fn oauth2(name: &str, secret: &str) -> ProviderSpec {
    ProviderSpec {
        name: name.to_owned(),
        config: ProviderConfig::Oauth2(Oauth2Config {
            vendor: Vendor::SalesforceOauth2,
            client_id: "sf-client".to_owned(),
            discovery: Oauth2Discovery::default(),
            tenant: String::new(),
            default_scopes: vec!["api".to_owned()],
            token_exchange: None,
        }),
        secret: SecretString::new(secret.to_owned()),
        tags: Default::default(),
    }
}

pub fn api_key(name: &str, key: &str) -> ProviderSpec {
    ProviderSpec {
        name: name.to_owned(),
        config: ProviderConfig::ApiKey(ApiKeyConfig {
            header_name: "X-API-Key".to_owned(),
            vendor: "github".to_owned(),
        }),
        secret: SecretString::new(key.to_owned()),
        tags: Default::default(),
    }
}

pub async fn raw_pool(h: &Harness) -> sqlx::AnyPool {
    AnyPoolOptions::new().max_connections(1).connect(&h.url).await.unwrap()
}

pub async fn secrets_round_trip_sealed(h: Harness) {
    let a = account_a();
    let p = h
        .store
        .create_credential_provider(&a, oauth2("Salesforce", CLIENT_SECRET), ProviderStatus::Active)
        .await
        .unwrap();
    assert!(p.id.starts_with("cp-"));
    h.store.create_credential_provider(&a, api_key("GitHub", API_KEY), ProviderStatus::Active).await.unwrap();
    assert_eq!(h.store.credential_provider_secret(&a, "Salesforce").await.unwrap().expose(), CLIENT_SECRET);
    assert_eq!(h.store.credential_provider_secret(&a, "GitHub").await.unwrap().expose(), API_KEY);
    assert_eq!(h.store.get_credential_provider(&a, "Salesforce").await.unwrap(), p);
    assert!(matches!(
        h.store.credential_provider_secret(&account_b(), "GitHub").await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn raw_rows_hold_no_plaintext(h: Harness) {
    let a = account_a();
    h.store.create_credential_provider(&a, oauth2("Salesforce", CLIENT_SECRET), ProviderStatus::Active).await.unwrap();
    h.store.create_credential_provider(&a, api_key("GitHub", API_KEY), ProviderStatus::Active).await.unwrap();
    let pool = raw_pool(&h).await;
    let mut dump = Vec::new();
    for row in
        sqlx::query("SELECT id, name, config, tags, secret FROM credential_providers").fetch_all(&pool).await.unwrap()
    {
        for column in ["id", "name", "config", "tags"] {
            dump.extend_from_slice(row.try_get::<String, _>(column).unwrap().as_bytes());
        }
        dump.extend(row.try_get::<Vec<u8>, _>("secret").unwrap());
    }
    for row in sqlx::query("SELECT master_key_id, wrapped_key FROM data_keys").fetch_all(&pool).await.unwrap() {
        dump.extend_from_slice(row.try_get::<String, _>(0).unwrap().as_bytes());
        dump.extend(row.try_get::<Vec<u8>, _>(1).unwrap());
    }
    assert!(dump.windows(5).any(|w| w == b"sf-cl"), "the dump holds the rows (client id is not secret)");
    for secret in [CLIENT_SECRET, API_KEY] {
        assert!(
            !dump.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "plaintext {secret} found in the database"
        );
    }
}

pub async fn ciphertext_moved_to_another_row_fails(h: Harness) {
    let a = account_a();
    h.store.create_credential_provider(&a, api_key("victim", API_KEY), ProviderStatus::Active).await.unwrap();
    h.store.create_credential_provider(&a, api_key("attacker", "attacker-key"), ProviderStatus::Active).await.unwrap();
    let pool = raw_pool(&h).await;
    let stolen: Vec<u8> = sqlx::query_scalar("SELECT secret FROM credential_providers WHERE name = 'victim'")
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE credential_providers SET secret = $1 WHERE name = 'attacker'")
        .bind(stolen)
        .execute(&pool)
        .await
        .unwrap();
    let err = h.store.credential_provider_secret(&a, "attacker").await.unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err}");
}

pub async fn update_keeps_or_rotates_secret(h: Harness) {
    let a = account_a();
    h.store.create_credential_provider(&a, api_key("GitHub", API_KEY), ProviderStatus::Active).await.unwrap();
    h.clock.advance(5);
    let mut keep = api_key("GitHub", "");
    keep.tags.insert("rotated".to_owned(), "no".to_owned());
    let updated = h.store.update_credential_provider(&a, keep, ProviderStatus::Active).await.unwrap();
    assert_eq!(updated.tags.get("rotated").map(String::as_str), Some("no"));
    assert_eq!(h.store.credential_provider_secret(&a, "GitHub").await.unwrap().expose(), API_KEY);
    h.store.update_credential_provider(&a, api_key("GitHub", "ghp_rotated"), ProviderStatus::Active).await.unwrap();
    assert_eq!(h.store.credential_provider_secret(&a, "GitHub").await.unwrap().expose(), "ghp_rotated");
    assert!(matches!(
        h.store.update_credential_provider(&a, api_key("missing", ""), ProviderStatus::Active).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn discovery_outcome_respects_version(h: Harness) {
    let a = account_a();
    let mut spec = oauth2("Custom", CLIENT_SECRET);
    if let ProviderConfig::Oauth2(c) = &mut spec.config {
        c.vendor = Vendor::CustomOauth2;
        c.discovery.discovery_url = Some("https://idp.example.com/.well-known/openid-configuration".to_owned());
    }
    h.store.create_credential_provider(&a, spec.clone(), ProviderStatus::Creating).await.unwrap();
    let (provider, version) = h.store.get_credential_provider_versioned(&a, "Custom").await.unwrap();
    assert_eq!(h.store.pending_discoveries().await.unwrap().len(), 1);
    let metadata = AuthorizationServerMetadata {
        issuer: "https://idp.example.com".to_owned(),
        authorization_endpoint: "https://idp.example.com/auth".to_owned(),
        token_endpoint: "https://idp.example.com/token".to_owned(),
        ..Default::default()
    };

    // A stale outcome (the provider changed meanwhile) is dropped.
    assert!(!h.store.complete_provider_discovery(&a, &provider.id, version + 1, Ok(metadata.clone())).await.unwrap());
    assert!(h.store.complete_provider_discovery(&a, &provider.id, version, Ok(metadata.clone())).await.unwrap());
    let done = h.store.get_credential_provider(&a, "Custom").await.unwrap();
    assert_eq!(done.status, ProviderStatus::Active);
    let ProviderConfig::Oauth2(config) = done.config else { panic!("not oauth2") };
    assert_eq!(config.discovery.metadata, Some(metadata));
    assert!(h.store.pending_discoveries().await.unwrap().is_empty());
    // The secret is untouched by discovery.
    assert_eq!(h.store.credential_provider_secret(&a, "Custom").await.unwrap().expose(), CLIENT_SECRET);

    // A failure is recorded with its reason.
    h.store.update_credential_provider(&a, spec, ProviderStatus::Creating).await.unwrap();
    let (_, version) = h.store.get_credential_provider_versioned(&a, "Custom").await.unwrap();
    h.store.complete_provider_discovery(&a, &provider.id, version, Err("issuer mismatch".to_owned())).await.unwrap();
    let failed = h.store.get_credential_provider(&a, "Custom").await.unwrap();
    assert_eq!(failed.status, ProviderStatus::Failed("issuer mismatch".to_owned()));

    // Recorded outcomes are audited (the stale one is not); a failure keeps only a reason code.
    let events = h.store.list_audit_events(&a, &Default::default(), 0, 100).await.unwrap().items;
    let outcomes: Vec<_> =
        events.iter().map(|e| (e.entry.event_name.as_str(), e.entry.outcome, e.entry.error_reason.as_str())).collect();
    assert_eq!(
        outcomes,
        [
            ("CreateCredentialProvider", AuditOutcome::Success, ""),
            ("CompleteProviderDiscovery", AuditOutcome::Success, ""),
            ("UpdateCredentialProvider", AuditOutcome::Success, ""),
            ("CompleteProviderDiscovery", AuditOutcome::Failure, "DISCOVERY_FAILED"),
        ]
    );
}

pub async fn quotas_are_per_type(h: Harness) {
    let store = h.with_quotas(Quotas { oauth2_providers: 1, api_key_providers: 1, ..Quotas::default() }).await;
    let a = account_a();
    store.create_credential_provider(&a, oauth2("o1", "s"), ProviderStatus::Active).await.unwrap();
    store.create_credential_provider(&a, api_key("k1", "s"), ProviderStatus::Active).await.unwrap();
    let err = store.create_credential_provider(&a, oauth2("o2", "s"), ProviderStatus::Active).await.unwrap_err();
    assert!(matches!(err, StoreError::QuotaExceeded { kind: "OAuth2 credential providers", limit: 1 }), "{err}");
    let err = store.create_credential_provider(&a, api_key("k2", "s"), ProviderStatus::Active).await.unwrap_err();
    assert!(matches!(err, StoreError::QuotaExceeded { kind: "API-key credential providers", limit: 1 }), "{err}");
    assert!(matches!(
        store.create_credential_provider(&a, api_key("k1", "s"), ProviderStatus::Active).await,
        Err(StoreError::QuotaExceeded { .. })
    ));
}

/// Token-exchange settings live in the provider's JSON config: no migration, and rows written
/// before they existed read as "not configured".
pub async fn token_exchange_settings_round_trip(h: Harness) {
    let a = account_a();
    let mut spec = oauth2("Exchanging", CLIENT_SECRET);
    if let ProviderConfig::Oauth2(config) = &mut spec.config {
        config.token_exchange = Some(Box::new(identity_domain::TokenExchangeConfig {
            subject_token_type: identity_domain::TOKEN_TYPE_JWT.to_owned(),
            requested_token_type: Some(identity_domain::TOKEN_TYPE_ACCESS_TOKEN.to_owned()),
            default_audiences: vec!["https://api.example.com".to_owned()],
            default_resources: vec!["https://api.example.com/v1".to_owned()],
            actor_token: identity_domain::ActorToken::M2m,
            actor_token_scopes: vec!["agent".to_owned()],
        }));
    }
    let created = h.store.create_credential_provider(&a, spec.clone(), ProviderStatus::Active).await.unwrap();
    assert_eq!(created.config, spec.config);
    assert_eq!(h.store.get_credential_provider(&a, "Exchanging").await.unwrap().config, spec.config);
    let plain = h.store.create_credential_provider(&a, oauth2("Plain", CLIENT_SECRET), ProviderStatus::Active).await;
    let ProviderConfig::Oauth2(config) = plain.unwrap().config else { panic!("not oauth2") };
    assert_eq!(config.token_exchange, None);
}
