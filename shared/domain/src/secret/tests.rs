use super::*;

const VALUE: &str = "s3cr3t-value-that-must-not-print";

#[derive(Debug)]
#[allow(dead_code)]
struct Holder {
    name: &'static str,
    secret: SecretString,
    maybe: Option<SecretString>,
}

#[test]
fn debug_and_display_redact_in_every_form() {
    let secret = SecretString::new(VALUE.to_owned());
    for shown in [
        format!("{secret}"),
        format!("{secret:?}"),
        format!("{secret:#?}"),
        format!("{secret:>40}"),
        secret.to_string(),
        format!("{:?}", Holder { name: "x", secret: secret.clone(), maybe: Some(secret.clone()) }),
        format!("{:#?}", vec![secret.clone()]),
    ] {
        assert!(!shown.contains(VALUE), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }
    assert_eq!(secret.expose(), VALUE);
}

#[test]
fn converting_from_a_string_keeps_it_secret() {
    let secret: SecretString = VALUE.to_owned().into();
    assert_eq!(format!("{secret:?}"), "[REDACTED]");
    assert!(!secret.is_empty());
}
