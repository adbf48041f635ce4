use std::sync::Arc;

use identity_crypto::MasterKeyRing;
use identity_domain::{ManualClock, Quotas, WorkloadAttributes, WorkloadIdentitySpec, WorkloadIdentityType};
use identity_store::StoreOptions;
use identity_testkit::SqliteDb;
use jsonwebtoken::jwk::JwkSet;

use super::*;

const T0: i64 = 1_767_225_600_000;

struct Fixture {
    issuer: WatIssuer,
    clock: Arc<ManualClock>,
    workload: WorkloadIdentity,
    store: Store,
    _db: SqliteDb,
}

async fn fixture() -> Fixture {
    let db = SqliteDb::create();
    let clock = Arc::new(ManualClock::new(T0));
    let keyring = Arc::new(MasterKeyRing::parse(&MasterKeyRing::generate_entry("k1").unwrap()).unwrap());
    let store = Store::connect(StoreOptions {
        url: db.url.clone(),
        keyring,
        clock: clock.clone(),
        quotas: Quotas::default(),
        max_connections: 2,
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let account = AccountId::parse("111111111111").unwrap();
    let spec = WorkloadIdentitySpec {
        name: "support-agent".to_owned(),
        description: String::new(),
        kind: WorkloadIdentityType::Agent,
        attributes: WorkloadAttributes::default(),
        allowed_return_urls: vec![],
        tags: Default::default(),
        authorizers: vec![],
    };
    let workload = store.create_workload_identity(&account, spec).await.unwrap();
    let issuer = WatIssuer::new(
        store.clone(),
        clock.clone(),
        "https://identity.example.com".to_owned(),
        Duration::from_secs(900),
        Duration::from_secs(3600),
    );
    Fixture { issuer, clock, workload, store, _db: db }
}

#[tokio::test]
async fn minted_tokens_verify_and_carry_their_binding() {
    let f = fixture().await;
    let (token, exp) = f.issuer.mint(&f.workload, Some("user-a")).await.unwrap();
    assert_eq!(exp, T0 + 900_000);
    let claims = f.issuer.verify(&token).await.unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.acct.as_str(), claims.uid.as_deref()),
        ("support-agent", "111111111111", Some("user-a"))
    );
    assert_eq!(claims.wid, f.workload.id);
    let (anonymous, _) = f.issuer.mint(&f.workload, None).await.unwrap();
    assert_eq!(f.issuer.verify(&anonymous).await.unwrap().uid, None);
}

#[tokio::test]
async fn tampered_foreign_and_expired_tokens_fail() {
    let f = fixture().await;
    let (token, _) = f.issuer.mint(&f.workload, Some("user-a")).await.unwrap();

    // Swap the payload for one naming another user: the signature no longer matches.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["uid"] = "user-b".into();
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    assert!(matches!(f.issuer.verify(&parts.join(".")).await, Err(WatError::Invalid("failed verification"))));

    for bad in ["", "not-a-jwt", "a.b.c"] {
        assert!(matches!(f.issuer.verify(bad).await, Err(WatError::Invalid(_))), "{bad}");
    }
    let too_large = "x".repeat(MAX_TOKEN_BYTES + 1);
    assert!(matches!(f.issuer.verify(&too_large).await, Err(WatError::Invalid("is too large"))));

    // Another deployment (other issuer URL, same database) does not accept it.
    let other = WatIssuer::new(
        f.store.clone(),
        f.clock.clone(),
        "https://other.example.com".to_owned(),
        Duration::from_secs(900),
        Duration::from_secs(3600),
    );
    assert!(matches!(other.verify(&token).await, Err(WatError::Invalid("failed verification"))));

    // Verified once (and so remembered), it still expires on time.
    f.issuer.verify(&token).await.unwrap();
    f.clock.advance(900_000 + 6_000);
    assert!(matches!(f.issuer.verify(&token).await, Err(WatError::Invalid("has expired"))));
}

#[tokio::test]
async fn keys_rotate_and_the_jwks_keeps_what_live_tokens_need() {
    let f = fixture().await;
    let (before, _) = f.issuer.mint(&f.workload, None).await.unwrap();
    let first_kid = jsonwebtoken::decode_header(&before).unwrap().kid.unwrap();

    f.clock.advance(3_600_000 + 1);
    let (after, _) = f.issuer.mint(&f.workload, None).await.unwrap();
    let second_kid = jsonwebtoken::decode_header(&after).unwrap().kid.unwrap();
    assert_ne!(first_kid, second_kid, "the key rotated after its period");

    // Both verify with nothing but the published JWKS.
    let jwks: JwkSet = serde_json::from_value(f.issuer.jwks().await.unwrap()).unwrap();
    for token in [&before, &after] {
        let kid = jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
        let jwk = jwks.find(&kid).expect("published");
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&[WAT_AUDIENCE]);
        validation.validate_exp = false;
        jsonwebtoken::decode::<WatClaims>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap();
    }

    // Once no token signed by the old key can be alive, the JWKS drops it.
    f.clock.advance(900_000 + 10_000);
    let jwks: JwkSet = serde_json::from_value(f.issuer.jwks().await.unwrap()).unwrap();
    assert!(jwks.find(&first_kid).is_none());
    assert!(jwks.find(&second_kid).is_some());
}

#[tokio::test]
async fn a_sealed_subject_token_rides_along_and_is_signed() {
    let f = fixture().await;
    let sealed = "c2VhbGVkLXVzZXItand0".to_owned();
    let (token, _) = f.issuer.mint_with_subject(&f.workload, Some("user-a"), Some(sealed.clone()), None).await.unwrap();
    assert_eq!(f.issuer.verify(&token).await.unwrap().stk, Some(sealed));
    let (plain, _) = f.issuer.mint(&f.workload, Some("user-a")).await.unwrap();
    assert_eq!(f.issuer.verify(&plain).await.unwrap().stk, None);

    // Another sealed token in the payload breaks the signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["stk"] = "b3RoZXI".into();
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    assert!(matches!(f.issuer.verify(&parts.join(".")).await, Err(WatError::Invalid("failed verification"))));
}
