use super::*;

const CTX: SealContext<'static> =
    SealContext { account: "000000000000", table: "credential_providers", record: "cp-1", field: "secret" };

#[test]
fn seal_then_open_round_trips() -> Result<(), CryptoError> {
    let (key, _) = DataKey::generate(3)?;
    let sealed = key.seal(&CTX, b"client-secret")?;
    assert_eq!(DataKey::version_of(&sealed)?, 3);
    assert_eq!(key.open(&CTX, &sealed)?.as_slice(), b"client-secret");
    Ok(())
}

#[test]
fn nonces_differ_per_seal() -> Result<(), CryptoError> {
    let (key, _) = DataKey::generate(1)?;
    assert_ne!(key.seal(&CTX, b"x")?, key.seal(&CTX, b"x")?);
    Ok(())
}

#[test]
fn ciphertext_is_bound_to_its_context() -> Result<(), CryptoError> {
    let (key, _) = DataKey::generate(1)?;
    let sealed = key.seal(&CTX, b"secret")?;
    for other in [
        SealContext { account: "111111111111", ..CTX },
        SealContext { record: "cp-2", ..CTX },
        SealContext { field: "other", ..CTX },
        SealContext { table: "grants", ..CTX },
    ] {
        assert!(matches!(key.open(&other, &sealed), Err(CryptoError::Open)));
    }
    Ok(())
}

#[test]
fn tampering_is_detected() -> Result<(), CryptoError> {
    let (key, _) = DataKey::generate(1)?;
    let mut sealed = key.seal(&CTX, b"secret")?;
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    assert!(matches!(key.open(&CTX, &sealed), Err(CryptoError::Open)));
    assert!(matches!(key.open(&CTX, &sealed[..10]), Err(CryptoError::Malformed)));
    Ok(())
}

#[test]
fn another_key_cannot_open() -> Result<(), CryptoError> {
    let (a, _) = DataKey::generate(1)?;
    let (b, _) = DataKey::generate(1)?;
    assert!(matches!(b.open(&CTX, &a.seal(&CTX, b"secret")?), Err(CryptoError::Open)));
    Ok(())
}
