use super::*;

const NOW: UnixMillis = 1_800_000_000_000;

fn answer(body: Value) -> Result<Allowed, CustomError> {
    read_answer(body.to_string().as_bytes(), NOW)
}

#[test]
fn an_allow_carries_its_subject_and_is_reused_at_most_the_ttl() {
    let allowed = answer(json!({"allow": true, "claims": {"sub": "alice", "role": "admin"}})).unwrap();
    assert_eq!(allowed.subject, "alice");
    assert_eq!(allowed.claims["role"], "admin");
    assert_eq!((allowed.expires_at, allowed.reuse_until), (None, NOW + 30_000));
}

#[test]
fn an_allow_is_never_reused_past_its_exp() {
    let exp = NOW / 1000 + 10;
    let allowed = answer(json!({"allow": true, "claims": {"sub": "a", "exp": exp}})).unwrap();
    assert_eq!((allowed.expires_at, allowed.reuse_until), (Some(exp * 1000), exp * 1000));
    let later = NOW / 1000 + 3600;
    assert_eq!(answer(json!({"allow": true, "claims": {"sub": "a", "exp": later}})).unwrap().reuse_until, NOW + 30_000);
    let past = NOW / 1000 - 1;
    assert!(matches!(answer(json!({"allow": true, "claims": {"sub": "a", "exp": past}})), Err(CustomError::Expired)));
}

#[test]
fn denials_and_unusable_answers_fail_closed() {
    assert!(matches!(answer(json!({"allow": false})), Err(CustomError::Denied)));
    assert!(matches!(answer(json!({"allow": false, "claims": {"sub": "a"}})), Err(CustomError::Denied)));
    for bad in [
        json!({"allow": "yes", "claims": {"sub": "a"}}),
        json!({"claims": {"sub": "a"}}),
        json!({"allow": true}),
        json!({"allow": true, "claims": {}}),
        json!({"allow": true, "claims": {"sub": ""}}),
        json!({"allow": true, "claims": {"sub": 7}}),
        json!({"allow": true, "claims": {"sub": "a\nb"}}),
        json!({"allow": true, "claims": {"sub": "x".repeat(513)}}),
        json!({"allow": true, "claims": {"sub": "a", "exp": "soon"}}),
        json!([true]),
    ] {
        assert!(matches!(answer(bad.clone()), Err(CustomError::BadAnswer(_))), "{bad}");
    }
    assert!(matches!(read_answer(b"not json", NOW), Err(CustomError::BadAnswer(_))));
}

#[test]
fn every_failure_has_its_own_check() {
    let all = [
        CustomError::Denied,
        CustomError::TimedOut(1),
        CustomError::Forbidden,
        CustomError::Unreachable,
        CustomError::Status(500),
        CustomError::TooLarge,
        CustomError::BadAnswer("x"),
        CustomError::Expired,
        CustomError::Misconfigured,
    ];
    let checks: std::collections::BTreeSet<_> = all.iter().map(CustomError::check).collect();
    assert_eq!(checks.len(), all.len());
}

#[test]
fn only_an_endpoint_out_of_service_is_unavailable() {
    let out = [CustomError::TimedOut(1), CustomError::Unreachable, CustomError::Status(500), CustomError::Status(503)];
    assert!(out.iter().all(CustomError::is_unavailable));
    let answered = [
        CustomError::Denied,
        CustomError::Forbidden,
        CustomError::Status(403),
        CustomError::TooLarge,
        CustomError::BadAnswer("x"),
        CustomError::Expired,
        CustomError::Misconfigured,
    ];
    assert!(!answered.iter().any(CustomError::is_unavailable));
}

#[test]
fn answers_convert_to_validated_tokens() {
    let exp = NOW / 1000 + 10;
    let allowed = answer(json!({"allow": true, "claims": {
        "sub": "a", "iss": "corp", "aud": ["x"], "scope": "read write", "azp": "app", "exp": exp, "iat": exp - 60
    }}))
    .unwrap();
    let token = allowed.to_validated();
    assert_eq!((token.issuer.as_str(), token.subject.as_str()), ("corp", "a"));
    assert_eq!((token.audiences, token.scopes), (vec!["x".to_owned()], vec!["read".to_owned(), "write".to_owned()]));
    assert_eq!(
        (token.client_id.as_deref(), token.expires_at, token.issued_at),
        (Some("app"), exp * 1000, Some((exp - 60) * 1000))
    );
}
