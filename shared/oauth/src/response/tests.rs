//! Responses recorded from the vendors' documentation.

use super::*;

const JSON: &str = "application/json; charset=utf-8";

fn ok(shape: ResponseShape, content_type: &str, body: &str, default: Option<u64>) -> TokenGrant {
    parse_token_response(shape, 200, content_type, body.as_bytes(), default).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn google_json_with_refresh_token() {
    // developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
    let body = r#"{"access_token": "1/fFAGRNJru1FTz70BzhT3Zg", "expires_in": 3920, "token_type": "Bearer",
        "scope": "https://www.googleapis.com/auth/drive.metadata.readonly https://www.googleapis.com/auth/calendar.readonly",
        "refresh_token": "1//xEoDL4iW3cxlI7yDbSRFYNG01kVKM2C-259HOF2aQbI"}"#;
    let grant = ok(ResponseShape::Standard, JSON, body, Some(3600));
    assert_eq!(grant.access_token.expose(), "1/fFAGRNJru1FTz70BzhT3Zg");
    assert_eq!(grant.expires_in, Some(3920));
    assert_eq!(
        grant.refresh_token.map(|t| t.expose().to_owned()).as_deref(),
        Some("1//xEoDL4iW3cxlI7yDbSRFYNG01kVKM2C-259HOF2aQbI")
    );
    assert_eq!(grant.scopes.map(|s| s.len()), Some(2));
}

#[test]
fn github_form_encoded_without_expiry() {
    // docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
    let body = "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cgist&token_type=bearer";
    let grant = ok(ResponseShape::Standard, "application/x-www-form-urlencoded; charset=utf-8", body, None);
    assert_eq!(grant.access_token.expose(), "gho_16C7e42F292c6912E7710c838347Ae178B4a");
    assert_eq!(grant.token_type, "bearer");
    assert_eq!(grant.scopes, Some(vec!["repo".to_owned(), "gist".to_owned()]));
    assert_eq!(grant.expires_in, None, "OAuth App tokens do not expire");
}

#[test]
fn github_errors_come_with_http_200() {
    let body = r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com"}"#;
    let err = parse_token_response(ResponseShape::Standard, 200, JSON, body.as_bytes(), None).unwrap_err();
    assert_eq!(err.code(), "bad_verification_code");
}

#[test]
fn slack_v2_user_token_is_nested() {
    // api.slack.com/methods/oauth.v2.access (example response)
    let body = r#"{"ok": true, "access_token": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", "token_type": "bot",
        "scope": "commands,incoming-webhook", "bot_user_id": "U0KRQLJ9H", "app_id": "A0KRD7HC3",
        "team": {"name": "Slack Softball Team", "id": "T9TK3CUKW"},
        "authed_user": {"id": "U1234", "scope": "chat:write", "access_token": "xoxp-1234", "token_type": "user"}}"#;
    let grant = ok(ResponseShape::SlackV2, JSON, body, None);
    assert_eq!(grant.access_token.expose(), "xoxp-1234");
    assert_eq!(grant.token_type, "user");
    assert_eq!(grant.scopes, Some(vec!["chat:write".to_owned()]));
    assert_eq!(grant.expires_in, None);

    let bot_only = r#"{"ok": true, "access_token": "xoxb-1", "token_type": "bot", "scope": "commands,chat:write"}"#;
    let grant = ok(ResponseShape::SlackV2, JSON, bot_only, None);
    assert_eq!((grant.access_token.expose(), grant.scopes.map(|s| s.len())), ("xoxb-1", Some(2)));
}

#[test]
fn slack_errors_are_ok_false_with_http_200() {
    let body = r#"{"ok": false, "error": "invalid_code"}"#;
    let err = parse_token_response(ResponseShape::SlackV2, 200, JSON, body.as_bytes(), None).unwrap_err();
    assert_eq!(err.code(), "invalid_code");
}

#[test]
fn salesforce_has_no_expires_in() {
    // help.salesforce.com: OAuth 2.0 web server flow, token response
    let body = r#"{"access_token":"00DB0000000TfcR!AQQAQFhoK8vTMg_rKA.esrJ2bCs.OOIjJgl.9Cx6O7KqjZmHMLOyVb.U61BU9tm4xRusf7d3fD1P9oefzqS6i9sJMPWj48IK",
        "signature":"d/SxeYBxH0GSVko0HMgcUxuZy0PA2cDDz1u7g7JtDHw=","scope":"web openid","instance_url":"https://yourInstance.salesforce.com",
        "id":"https://login.salesforce.com/id/00DB0000000TfcRMAS/005B0000005Bk90IAC","token_type":"Bearer","issued_at":"1558553873237"}"#;
    let grant = ok(ResponseShape::Standard, JSON, body, Some(3600));
    assert_eq!(grant.expires_in, Some(3600), "inferred from the vendor profile");
}

#[test]
fn twitch_scopes_are_an_array() {
    // dev.twitch.tv/docs/authentication/getting-tokens-oauth/#authorization-code-grant-flow
    let body = r#"{"access_token": "rfx2uswqe8l4g1mkagrvg5tv0ks3", "expires_in": 14124, "refresh_token": "5b93chm6hdve3mycz05zfzatkfdenfspp1h1ar2xxdalen01",
        "scope": ["channel:moderate", "chat:edit", "chat:read"], "token_type": "bearer"}"#;
    let grant = ok(ResponseShape::Standard, JSON, body, Some(3600));
    assert_eq!(grant.scopes.map(|s| s.len()), Some(3));
    assert_eq!(grant.expires_in, Some(14124));
}

#[test]
fn microsoft_errors_carry_code_and_description() {
    // learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#error-response-example
    let body = r#"{"error": "invalid_scope", "error_description": "AADSTS70011: The provided value for the input parameter 'scope' isn't valid.",
        "error_codes": [70011], "timestamp": "2016-01-09 02:02:12Z", "trace_id": "8e3c7e37-2f4a-4f56-b8d2-8c3a8ac28e22"}"#;
    let err = parse_token_response(ResponseShape::Standard, 400, JSON, body.as_bytes(), Some(3600)).unwrap_err();
    let OAuthError::Provider { status, error, description } = err else { panic!("provider error expected") };
    assert_eq!((status, error.as_str()), (400, "invalid_scope"));
    assert!(description.unwrap().starts_with("AADSTS70011"));
}

#[test]
fn garbage_is_refused_without_echoing_it() {
    for (status, body) in [(200, "<html>gateway</html>"), (200, "[1,2]"), (200, r#"{"token_type":"Bearer"}"#)] {
        let err =
            parse_token_response(ResponseShape::Standard, status, "text/html", body.as_bytes(), None).unwrap_err();
        assert!(!err.to_string().contains("gateway"), "{err}");
    }
    let err =
        parse_token_response(ResponseShape::Standard, 502, "text/html", b"<html>bad gateway</html>", None).unwrap_err();
    assert_eq!(err.code(), "http_502");
    let err =
        parse_token_response(ResponseShape::Standard, 200, JSON, b"{\"token_type\":\"Bearer\"}", None).unwrap_err();
    assert!(matches!(err, OAuthError::BadResponse(_)));
}

#[test]
fn expires_in_as_string_is_accepted() {
    let grant = ok(ResponseShape::Standard, JSON, r#"{"access_token":"t","expires_in":"3599"}"#, None);
    assert_eq!((grant.expires_in, grant.token_type.as_str()), (Some(3599), "Bearer"));
}

#[test]
fn grants_and_client_credentials_redact_their_secrets_in_debug() {
    let body = r#"{"access_token": "at-must-not-print", "refresh_token": "rt-must-not-print", "token_type": "Bearer"}"#;
    let grant = ok(ResponseShape::Standard, JSON, body, Some(3600));
    let shown = format!("{grant:?} {grant:#?}");
    assert!(!shown.contains("at-must-not-print") && !shown.contains("rt-must-not-print"), "{shown}");
    let client = crate::ClientCredentials { client_id: "the-client", client_secret: "cs-must-not-print" };
    let shown = format!("{client:?} {client:#?}");
    assert!(shown.contains("the-client") && !shown.contains("cs-must-not-print"), "{shown}");
}
