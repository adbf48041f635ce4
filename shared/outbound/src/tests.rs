use std::net::SocketAddr;

use axum::{Json, Router, http::StatusCode, response::Redirect, routing::get};
use serde_json::json;

use super::*;

fn loopback_allowed() -> OutboundClient {
    let nets = vec!["127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())];
    OutboundClient::new(AddressPolicy::new(nets), Limits { max_body_bytes: 4096, ..Limits::default() }).unwrap()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn issuer_router(
    issuer_for: fn(SocketAddr) -> String,
    addr_slot: std::sync::Arc<std::sync::OnceLock<SocketAddr>>,
) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let addr = *addr_slot.get().unwrap_or_else(|| unreachable!());
                let issuer = issuer_for(addr);
                async move {
                    Json(json!({
                        "issuer": issuer,
                        "authorization_endpoint": format!("{issuer}/authorize"),
                        "token_endpoint": format!("{issuer}/token"),
                        "response_types_supported": ["code"],
                    }))
                }
            }),
        )
        .route(
            "/redirect/.well-known/openid-configuration",
            get(|| async { Redirect::temporary("/.well-known/openid-configuration") }),
        )
        .route("/big/.well-known/openid-configuration", get(|| async { "x".repeat(10_000) }))
        .route(
            "/broken/.well-known/openid-configuration",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
}

async fn idp(issuer_for: fn(SocketAddr) -> String) -> SocketAddr {
    let slot = std::sync::Arc::new(std::sync::OnceLock::new());
    let addr = serve(issuer_router(issuer_for, slot.clone())).await;
    let _ = slot.set(addr);
    addr
}

#[test]
fn policy_refuses_private_loopback_and_always_link_local() {
    let open = AddressPolicy::default();
    for ip in [
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "::1",
        "169.254.169.254",
        "fd00::1",
        "100.64.0.1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
    ] {
        assert!(!open.allows(ip.parse().unwrap()), "{ip} must be refused by default");
    }
    for ip in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
        assert!(open.allows(ip.parse().unwrap()), "{ip} is public");
    }
    let lenient = AddressPolicy::new(vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()]);
    assert!(lenient.allows("10.0.0.1".parse().unwrap()));
    assert!(!lenient.allows("169.254.169.254".parse().unwrap()), "metadata addresses are never reachable");
    assert!(!lenient.allows("fe80::1".parse().unwrap()));
}

#[tokio::test]
async fn discovery_reads_and_checks_the_document() {
    let addr = idp(|addr| format!("http://{addr}")).await;
    let metadata =
        discover_authorization_server(&loopback_allowed(), &format!("http://{addr}/.well-known/openid-configuration"))
            .await
            .unwrap();
    assert_eq!(metadata.issuer, format!("http://{addr}"));
    assert_eq!(metadata.token_endpoint, format!("http://{addr}/token"));
    assert_eq!(metadata.response_types, ["code"]);
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let addr = idp(|addr| format!("http://{addr}")).await;
    let client = OutboundClient::new(AddressPolicy::default(), Limits::default()).unwrap();
    let err = discover_authorization_server(&client, &format!("http://{addr}/.well-known/openid-configuration"))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::Forbidden(_)), "{err}");
    // A name resolving to loopback is refused as well, after resolution.
    let err = discover_authorization_server(
        &client,
        &format!("http://localhost:{}/.well-known/openid-configuration", addr.port()),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("may not reach"), "{err}");
}

#[tokio::test]
async fn issuer_must_match_the_url() {
    let addr = idp(|_| "https://evil.example.com".to_owned()).await;
    let err =
        discover_authorization_server(&loopback_allowed(), &format!("http://{addr}/.well-known/openid-configuration"))
            .await
            .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

#[tokio::test]
async fn redirects_oversized_and_failed_responses_are_refused() {
    let addr = idp(|addr| format!("http://{addr}")).await;
    let client = loopback_allowed();
    let err =
        discover_authorization_server(&client, &format!("http://{addr}/redirect/.well-known/openid-configuration"))
            .await
            .unwrap_err();
    assert!(err.to_string().contains("HTTP 307"), "redirect must not be followed: {err}");
    let err = discover_authorization_server(&client, &format!("http://{addr}/big/.well-known/openid-configuration"))
        .await
        .unwrap_err();
    assert!(matches!(err, OutboundError::TooLarge(_)), "{err}");
    let err = discover_authorization_server(&client, &format!("http://{addr}/broken/.well-known/openid-configuration"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 500"), "{err}");
}

#[tokio::test]
async fn a_slow_provider_times_out_within_the_bound() {
    // Answers only after 5 s: far past the 300 ms limit.
    let router = Router::new().route(
        "/token",
        axum::routing::post(|| async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            "too late"
        }),
    );
    let addr = serve(router).await;
    let nets = vec!["127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!())];
    let limits = Limits { timeout: std::time::Duration::from_millis(300), ..Limits::default() };
    let client = OutboundClient::new(AddressPolicy::new(nets), limits).unwrap();
    let url = url::Url::parse(&format!("http://{addr}/token")).unwrap();
    let err =
        client.post_form(&url, &[("grant_type", "client_credentials")], Some(("id", "secret"))).await.unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[tokio::test]
async fn json_posts_carry_headers_and_time_out_per_call() {
    let router = Router::new()
        .route(
            "/echo",
            axum::routing::post(|headers: axum::http::HeaderMap, Json(body): Json<serde_json::Value>| async move {
                let secret = headers.get("x-secret").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                Json(json!({"got": body, "secret": secret}))
            }),
        )
        .route(
            "/slow",
            axum::routing::post(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "too late"
            }),
        );
    let addr = serve(router).await;
    let client = loopback_allowed();
    let url = url::Url::parse(&format!("http://{addr}/echo")).unwrap();
    let timeout = std::time::Duration::from_secs(5);
    let response = client.post_json(&url, &json!({"token": "t"}), &[("x-secret", "s3")], timeout).await.unwrap();
    assert_eq!(response.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body, json!({"got": {"token": "t"}, "secret": "s3"}));

    let slow = url::Url::parse(&format!("http://{addr}/slow")).unwrap();
    let err = client.post_json(&slow, &json!({}), &[], std::time::Duration::from_millis(200)).await.unwrap_err();
    assert!(matches!(err, OutboundError::TimedOut(_)), "{err}");

    // The address policy applies as to every other call.
    let closed = OutboundClient::new(AddressPolicy::default(), Limits::default()).unwrap();
    let err = closed.post_json(&url, &json!({}), &[], timeout).await.unwrap_err();
    assert!(matches!(err, OutboundError::Forbidden(_)), "{err}");
}
