use super::*;

#[test]
fn only_the_default_vault_exists() {
    assert_eq!(vault_id("").ok(), Some("default"));
    assert_eq!(vault_id("default").ok(), Some("default"));
    assert!(matches!(vault_id("other"), Err(ServiceError::Store(StoreError::NotFound { .. }))));
}

#[test]
fn rewrap_targets_only_the_current_key() {
    let ring = ["k1".to_owned(), "k2".to_owned()];
    assert!(check_target(None, &ring, "k2").is_ok());
    assert!(check_target(Some(""), &ring, "k2").is_ok());
    assert!(check_target(Some("k2"), &ring, "k2").is_ok());
    let Err(ServiceError::Precondition(older)) = check_target(Some("k1"), &ring, "k2") else {
        panic!("an older key of the ring is refused")
    };
    assert!(older.contains("ring's last key ('k2') is current"), "{older}");
    let Err(ServiceError::Precondition(missing)) = check_target(Some("k9"), &ring, "k2") else {
        panic!("a key outside the ring is refused")
    };
    assert!(missing.contains("not in the master key ring"), "{missing}");
}
