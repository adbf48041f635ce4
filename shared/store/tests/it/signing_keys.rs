use identity_store::NewSigningKey;

use crate::support::{Harness, T0, account_a, account_b};

fn key<'a>(kid: &'a str, pkcs8: &'a [u8]) -> NewSigningKey<'a> {
    NewSigningKey { kid, pkcs8, public_x: "x-coordinate", public_y: "y-coordinate" }
}

pub async fn signing_keys_rotate_once_and_stay_sealed(h: Harness) {
    let a = account_a();
    assert!(h.store.latest_signing_key(&a).await.unwrap().is_none());
    let first = h.store.rotate_signing_key(&a, T0, key("kid-1", b"private-pkcs8-one")).await.unwrap();
    assert_eq!((first.record.kid.as_str(), first.pkcs8.as_slice()), ("kid-1", &b"private-pkcs8-one"[..]));

    // A second replica racing to rotate within the same period gets the first one's key.
    let raced = h.store.rotate_signing_key(&a, T0, key("kid-2", b"private-pkcs8-two")).await.unwrap();
    assert_eq!(raced.record.kid, "kid-1");

    h.clock.advance(60_000);
    let second = h.store.rotate_signing_key(&a, T0 + 60_000, key("kid-3", b"private-pkcs8-three")).await.unwrap();
    assert_eq!(second.record.kid, "kid-3");
    assert_eq!(h.store.latest_signing_key(&a).await.unwrap().unwrap().pkcs8.as_slice(), b"private-pkcs8-three");

    h.store.rotate_signing_key(&account_b(), T0, key("kid-b", b"private-pkcs8-b")).await.unwrap();
    let public: Vec<_> = h.store.public_signing_keys(T0).await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(public.len(), 3);
    let recent: Vec<_> = h.store.public_signing_keys(T0 + 1).await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(recent, ["kid-3", "kid-b"], "kid-1 is older than the cut-off");
    assert_eq!(h.store.signing_key("kid-b").await.unwrap().unwrap().account, account_b());

    // The private halves are sealed.
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&h.url).await.unwrap();
    let sealed: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT private_key FROM signing_keys").fetch_all(&pool).await.unwrap();
    assert_eq!(sealed.len(), 3);
    assert!(sealed.iter().all(|s| !s.windows(12).any(|w| w == b"private-pkcs")));
}
