use std::{net::SocketAddr, time::Duration};

use axum::{Json, Router, routing::get};
use identity_proto::v1 as pb;
use serde_json::json;

use crate::support::{BOOTSTRAP_TOKEN, Server};

/// An OAuth server on loopback publishing a discovery document with `issuer`.
async fn idp(issuer_override: Option<&'static str>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let issuer = issuer_override.map(str::to_owned).unwrap_or_else(|| format!("http://{addr}"));
    let router = Router::new().route(
        "/.well-known/openid-configuration",
        get(move || {
            let issuer = issuer.clone();
            async move {
                Json(json!({
                    "issuer": issuer,
                    "authorization_endpoint": format!("http://{addr}/auth"),
                    "token_endpoint": format!("http://{addr}/token"),
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                }))
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn custom(name: &str, discovery_url: String) -> pb::CreateCredentialProviderRequest {
    pb::CreateCredentialProviderRequest {
        name: name.to_owned(),
        credential_provider_vendor: pb::CredentialProviderVendor::CustomOauth2 as i32,
        config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(
            pb::Oauth2ProviderConfigInput {
                client_id: "client".to_owned(),
                client_secret: "secret".to_owned(),
                oauth_discovery: Some(pb::Oauth2Discovery { discovery_url, authorization_server_metadata: None }),
                ..Default::default()
            },
        )),
        tags: Default::default(),
    }
}

/// Polls Get until the provider leaves CREATING.
async fn settled(server: &Server, name: &str) -> pb::CredentialProvider {
    let mut client = server.providers(Some(BOOTSTRAP_TOKEN)).await;
    for _ in 0..200 {
        let provider = client
            .get_credential_provider(pb::GetCredentialProviderRequest { name: name.to_owned() })
            .await
            .unwrap()
            .into_inner()
            .credential_provider
            .unwrap();
        if provider.status != pb::CredentialProviderStatus::Creating as i32 {
            return provider;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("provider {name} stayed CREATING");
}

#[tokio::test]
async fn custom_provider_is_creating_until_discovery_then_active_or_failed() {
    let good = idp(None).await;
    let lying = idp(Some("https://someone-else.example.com")).await;
    let server = Server::sqlite(&["--outbound-allowed-networks", "127.0.0.0/8"]).await;
    let mut client = server.providers(Some(BOOTSTRAP_TOKEN)).await;

    let created = client
        .create_credential_provider(custom("Good", format!("http://{good}/.well-known/openid-configuration")))
        .await
        .unwrap()
        .into_inner()
        .credential_provider
        .unwrap();
    assert_eq!(created.status, pb::CredentialProviderStatus::Creating as i32);
    let active = settled(&server, "Good").await;
    assert_eq!(active.status, pb::CredentialProviderStatus::Active as i32, "{}", active.failure_reason);
    let metadata =
        active.oauth2_provider_config_output.unwrap().oauth_discovery.unwrap().authorization_server_metadata.unwrap();
    assert_eq!(metadata.token_endpoint, format!("http://{good}/token"));
    assert_eq!(metadata.token_endpoint_auth_methods, ["client_secret_basic"]);

    client
        .create_credential_provider(custom("Lying", format!("http://{lying}/.well-known/openid-configuration")))
        .await
        .unwrap();
    let failed = settled(&server, "Lying").await;
    assert_eq!(failed.status, pb::CredentialProviderStatus::Failed as i32);
    assert!(failed.failure_reason.contains("does not match"), "{}", failed.failure_reason);
}

#[tokio::test]
async fn discovery_refuses_loopback_unless_allowed() {
    let good = idp(None).await;
    let server = Server::sqlite(&[]).await;
    let mut client = server.providers(Some(BOOTSTRAP_TOKEN)).await;
    client
        .create_credential_provider(custom("Internal", format!("http://{good}/.well-known/openid-configuration")))
        .await
        .unwrap();
    let failed = settled(&server, "Internal").await;
    assert_eq!(failed.status, pb::CredentialProviderStatus::Failed as i32);
    assert!(failed.failure_reason.contains("OUTBOUND_ALLOWED_NETWORKS"), "{}", failed.failure_reason);
}
