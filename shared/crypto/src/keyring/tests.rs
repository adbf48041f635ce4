use super::*;
use crate::SealContext;

fn ring(ids: &[&str]) -> Result<MasterKeyRing, CryptoError> {
    let mut spec = Vec::new();
    for id in ids {
        spec.push(MasterKeyRing::generate_entry(id)?.to_string());
    }
    MasterKeyRing::parse(&spec.join(","))
}

#[test]
fn last_key_is_current() -> Result<(), CryptoError> {
    let ring = ring(&["k1", "k2"])?;
    assert_eq!(ring.key_ids(), ["k1", "k2"]);
    assert_eq!(ring.current_id(), "k2");
    Ok(())
}

#[test]
fn bad_specs_are_refused_without_echoing_keys() {
    for (spec, why) in [
        ("", "no keys given"),
        ("k1", "entry 1 is not of the form ID:BASE64"),
        ("k1:!!!", "entry 1 is not valid base64"),
        ("k1:AAAA", "entry 1 is not a 32-byte key"),
        ("bad id:AAAA", "entry 1 has an id"),
    ] {
        let err = MasterKeyRing::parse(spec).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(why), "{spec:?}: {err}");
    }
    let key = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let err = MasterKeyRing::parse(&format!("{key},{key}")).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("repeats"), "{err}");
    assert!(!err.contains("AAAA"));
}

#[test]
fn wrapped_data_key_survives_rotation_of_the_ring() -> Result<(), CryptoError> {
    let old = ring(&["k1"])?;
    let (key, raw) = DataKey::generate(1)?;
    let wrapped = old.wrap("000000000000", 1, &raw)?;
    assert_eq!(wrapped.master_key_id, "k1");
    let ctx = SealContext { account: "000000000000", table: "t", record: "r", field: "f" };
    let sealed = key.seal(&ctx, b"secret")?;

    let unwrapped = old.unwrap("000000000000", 1, &wrapped)?;
    assert_eq!(unwrapped.open(&ctx, &sealed)?.as_slice(), b"secret");

    // Binding: another account or version cannot unwrap it.
    assert!(matches!(old.unwrap("111111111111", 1, &wrapped), Err(CryptoError::Open)));
    assert!(matches!(old.unwrap("000000000000", 2, &wrapped), Err(CryptoError::Open)));

    // A ring without the key names the missing key id.
    let other = ring(&["k9"])?;
    assert!(matches!(other.unwrap("000000000000", 1, &wrapped), Err(CryptoError::UnknownKey(id)) if id == "k1"));
    Ok(())
}

#[test]
fn key_file_is_created_once_with_private_mode() -> Result<(), Box<dyn std::error::Error>> {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = std::env::temp_dir().join(format!("keyring-test-{}", crate::random_token(8)?));
    let path = dir.join("master.keys");
    let (first, created) = MasterKeyRing::load_or_create_file(&path)?;
    assert!(created);
    assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
    let (second, created_again) = MasterKeyRing::load_or_create_file(&path)?;
    assert!(!created_again);
    // Same key: what one wraps the other unwraps.
    let (_, raw) = DataKey::generate(1)?;
    second.unwrap("000000000000", 1, &first.wrap("000000000000", 1, &raw)?)?;
    fs::remove_dir_all(dir)?;
    Ok(())
}

#[test]
fn rewrap_moves_a_data_key_to_the_current_key_unchanged() -> Result<(), CryptoError> {
    let old = ring(&["k1"])?;
    let k1 = old.key_ids()[0].to_owned();
    let (key, raw) = DataKey::generate(3)?;
    let wrapped = old.wrap("111111111111", 3, &raw)?;
    let context = SealContext { account: "111111111111", table: "t", record: "r", field: "f" };
    let sealed = key.seal(&context, b"secret")?;

    // The operator appends k2: the ring re-wraps under it, and a ring without k1 still opens.
    let both = MasterKeyRing { keys: old.keys.into_iter().chain(ring(&["k2"])?.keys).collect() };
    let rewrapped = both.rewrap("111111111111", 3, &wrapped)?;
    assert_eq!(rewrapped.master_key_id, "k2");
    assert_ne!(rewrapped.master_key_id, k1);
    let only_k2 = MasterKeyRing { keys: both.keys.into_iter().filter(|k| k.id == "k2").collect() };
    let reopened = only_k2.unwrap("111111111111", 3, &rewrapped)?;
    assert_eq!(reopened.open(&context, &sealed)?.as_slice(), b"secret");
    // The rewrapped key is bound to its account and version like any other.
    assert!(only_k2.unwrap("222222222222", 3, &rewrapped).is_err());
    Ok(())
}
