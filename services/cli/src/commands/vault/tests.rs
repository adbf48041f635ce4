use super::*;
use crate::{args::IdentityCommand, commands::tests::identity};

fn rotate_args(argv: &[&str]) -> RotateVaultKeyArgs {
    let IdentityCommand::RotateVaultKey(args) = identity(argv) else { panic!("not rotate-vault-key") };
    args
}

#[test]
fn rotate_defaults_to_the_current_key_and_no_data_key_rotation() {
    let request = build_rotate_request(rotate_args(&["rotate-vault-key"]));
    assert_eq!((request.key_id, request.rotate_data_key), (None, false));
    let request = build_rotate_request(rotate_args(&["rotate-vault-key", "--key-id", " k2 ", "--rotate-data-key"]));
    assert_eq!((request.key_id.as_deref(), request.rotate_data_key), (Some("k2"), true));
    let request = build_rotate_request(rotate_args(&["rotate-vault-key", "--key-id", ""]));
    assert_eq!(request.key_id, None, "a blank key id means the current key");
}

#[test]
fn the_table_has_a_row_per_master_key() {
    let keys = [
        TokenVaultKey { key_id: "k1".into(), retirable: true, ..Default::default() },
        TokenVaultKey {
            key_id: "k2".into(),
            current: true,
            data_key_count: 2,
            ciphertext_count: 7,
            ..Default::default()
        },
    ];
    let rendered = keys_table(&keys).render();
    let rows: Vec<Vec<&str>> = rendered.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(
        rows,
        [
            vec!["KEY_ID", "CURRENT", "DATA_KEYS", "CIPHERTEXTS", "RETIRABLE"],
            vec!["k1", "no", "0", "0", "yes"],
            vec!["k2", "yes", "2", "7", "no"],
        ]
    );
}

#[test]
fn json_carries_flags_and_counts_as_json_values() {
    let vault = GetTokenVaultResponse {
        token_vault_id: "default".into(),
        current_key_id: "k2".into(),
        keys: vec![TokenVaultKey { key_id: "k2".into(), current: true, data_key_count: 1, ..Default::default() }],
        ..Default::default()
    };
    let json: serde_json::Value = serde_json::from_str(&vault_record(&vault).to_json().unwrap()).unwrap();
    assert_eq!(json["keys"][0]["current"], true);
    assert_eq!(json["keys"][0]["dataKeyCount"], 1);
    assert_eq!(json["currentKeyId"], "k2");
}
