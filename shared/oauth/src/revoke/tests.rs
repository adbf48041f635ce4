use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{Form, Router, extract::State, http::HeaderMap, response::IntoResponse, routing::post};
use identity_domain::Vendor;
use identity_outbound::{AddressPolicy, Limits, OutboundClient};

use crate::{ClientCredentials, OAuthError, TokenClient, TokenTypeHint};

type Seen = Arc<Mutex<Vec<(HashMap<String, String>, Option<String>)>>>;

/// A revocation endpoint answering `status` with `body`; returns its URL and what it received.
async fn endpoint(status: u16, body: &'static str) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let handler = move |State(seen): State<Seen>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>| async move {
        let basic = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
        seen.lock().unwrap().push((form, basic));
        (axum::http::StatusCode::from_u16(status).unwrap(), [("content-type", "application/json")], body)
            .into_response()
    };
    let app = Router::new().route("/revoke", post(handler)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/revoke"), seen)
}

fn client() -> TokenClient {
    let policy = AddressPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
    TokenClient::new(OutboundClient::new(policy, Limits::default()).unwrap())
}

const CLIENT: ClientCredentials<'static> = ClientCredentials { client_id: "app", client_secret: "app-secret" };

#[tokio::test]
async fn revokes_with_the_hint_and_the_vendors_client_authentication() {
    let (url, seen) = endpoint(200, "").await;
    client().revoke(&url, Vendor::CustomOauth2, CLIENT, "refresh-1", TokenTypeHint::RefreshToken).await.unwrap();
    client().revoke(&url, Vendor::GoogleOauth2, CLIENT, "access-1", TokenTypeHint::AccessToken).await.unwrap();
    let seen = seen.lock().unwrap();
    // RFC 6749's default, HTTP Basic...
    let (form, basic) = &seen[0];
    assert_eq!((form["token"].as_str(), form["token_type_hint"].as_str()), ("refresh-1", "refresh_token"));
    assert!(!form.contains_key("client_secret"));
    assert!(basic.as_deref().is_some_and(|b| b.starts_with("Basic ")), "{basic:?}");
    // ...or, for vendors that want it, the credentials in the body.
    let (form, basic) = &seen[1];
    assert_eq!((form["token"].as_str(), form["token_type_hint"].as_str()), ("access-1", "access_token"));
    assert_eq!((form["client_id"].as_str(), form["client_secret"].as_str()), ("app", "app-secret"));
    assert!(basic.is_none());
}

#[tokio::test]
async fn a_refusal_carries_the_error_code_and_never_the_token() {
    let (url, _) = endpoint(400, r#"{"error":"unsupported_token_type","error_description":"refresh-1 is odd"}"#).await;
    let err = client()
        .revoke(&url, Vendor::CustomOauth2, CLIENT, "refresh-1", TokenTypeHint::RefreshToken)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, OAuthError::Provider { status: 400, error, description: None } if error == "unsupported_token_type")
    );
    assert!(!err.to_string().contains("refresh-1"), "{err}");

    // A body that is not an OAuth2 error gives a code of ours.
    let (url, _) = endpoint(503, "<html>down</html>").await;
    let err = client().revoke(&url, Vendor::CustomOauth2, CLIENT, "t", TokenTypeHint::RefreshToken).await.unwrap_err();
    assert_eq!(err.code(), "revocation_failed");
}
