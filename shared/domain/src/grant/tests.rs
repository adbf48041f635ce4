use super::*;

const ACCESS: &str = "access-token-that-must-not-print";
const REFRESH: &str = "refresh-token-that-must-not-print";

/// A grant as the data plane has always stored it (its former `federation::Grant`, serialized
/// with serde_json): the fields in this order, tokens as plain strings.
fn stored_today() -> String {
    format!(
        r#"{{"access_token":"{ACCESS}","token_type":"Bearer","expires_at":1700000000123,"refresh_token":"{REFRESH}","scopes":["openid","profile"]}}"#
    )
}

#[test]
fn reads_what_is_stored_and_writes_it_back_byte_for_byte() {
    let json = stored_today();
    let grant: StoredGrant = serde_json::from_str(&json).unwrap();
    assert_eq!(grant.access_token.expose(), ACCESS);
    assert_eq!(grant.token_type, "Bearer");
    assert_eq!(grant.expires_at, Some(1_700_000_000_123));
    assert_eq!(grant.refresh_token.as_ref().map(SecretString::expose), Some(REFRESH));
    assert_eq!(grant.scopes, ["openid", "profile"]);
    assert_eq!(serde_json::to_string(&grant).unwrap(), json);
}

#[test]
fn no_expiry_and_no_refresh_token_are_null() {
    let json = r#"{"access_token":"a","token_type":"Bearer","expires_at":null,"refresh_token":null,"scopes":[]}"#;
    let grant: StoredGrant = serde_json::from_str(json).unwrap();
    assert_eq!(grant.expires_at, None);
    assert!(grant.refresh_token.is_none());
    assert!(grant.scopes.is_empty());
    assert_eq!(serde_json::to_string(&grant).unwrap(), json);
}

#[test]
fn tokens_needing_escapes_round_trip() {
    let grant = StoredGrant {
        access_token: SecretString::new("a\"b\\c/é\u{1}".to_owned()),
        token_type: "Bearer".to_owned(),
        expires_at: None,
        refresh_token: Some(SecretString::new("r\nß".to_owned())),
        scopes: vec![],
    };
    let json = serde_json::to_string(&grant).unwrap();
    let plain = serde_json::json!({
        "access_token": "a\"b\\c/é\u{1}",
        "token_type": "Bearer",
        "expires_at": null,
        "refresh_token": "r\nß",
        "scopes": [],
    });
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap(), plain);
    let back: StoredGrant = serde_json::from_str(&json).unwrap();
    assert_eq!(back.access_token, grant.access_token);
    assert_eq!(back.refresh_token, grant.refresh_token);
}

#[test]
fn absent_optional_fields_read_as_none_and_unknown_fields_are_ignored() {
    let json = r#"{"access_token":"a","token_type":"Bearer","scopes":["x"],"added_later":1}"#;
    let grant: StoredGrant = serde_json::from_str(json).unwrap();
    assert_eq!(grant.expires_at, None);
    assert!(grant.refresh_token.is_none());
}

#[test]
fn required_fields_are_required() {
    for json in [
        r#"{"token_type":"Bearer","expires_at":null,"refresh_token":null,"scopes":[]}"#,
        r#"{"access_token":"a","expires_at":null,"refresh_token":null,"scopes":[]}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_at":null,"refresh_token":null}"#,
        r#"{"access_token":null,"token_type":"Bearer","expires_at":null,"refresh_token":null,"scopes":[]}"#,
    ] {
        assert!(serde_json::from_str::<StoredGrant>(json).is_err(), "{json}");
    }
}

#[test]
fn debug_never_shows_a_token() {
    let grant: StoredGrant = serde_json::from_str(&stored_today()).unwrap();
    for shown in [format!("{grant:?}"), format!("{grant:#?}")] {
        assert!(!shown.contains(ACCESS), "{shown}");
        assert!(!shown.contains(REFRESH), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
        assert!(shown.contains("Bearer"), "{shown}");
    }
}
