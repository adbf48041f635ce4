//! The binary against the fake control plane.

use crate::{
    cli::{Run, agentcore},
    fake::{self, KEY_SECRET, TOKEN},
};

async fn run_against(address: std::net::SocketAddr, args: &[&str]) -> Run {
    let endpoint = address.to_string();
    let env = [("AGENTCORE_IDENTITY_ENDPOINT", endpoint.as_str()), ("AGENTCORE_IDENTITY_TOKEN", TOKEN)];
    agentcore(args, &env).await
}

#[tokio::test]
async fn list_providers_prints_the_seed_table_across_pages() {
    let (address, seen) = fake::start().await;
    let run = run_against(address, &["identity", "list-providers"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        "NAME                TYPE     VENDOR      STATUS\n\
         SalesforceProvider  oauth2   salesforce  ACTIVE\n\
         GitHubProvider      api_key  github      ACTIVE\n\
         CustomAPI           oauth2   custom      ACTIVE\n"
    );
    assert_eq!(seen.lock().unwrap().list_tokens, ["", "page-2"]);
}

#[tokio::test]
async fn json_output_is_camel_case_with_the_callback_url() {
    let (address, _) = fake::start().await;
    let run =
        run_against(address, &["identity", "get-credential-provider", "--name", "SalesforceProvider", "-o", "json"])
            .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["name"], "SalesforceProvider");
    assert_eq!(json["credentialProviderType"], "oauth2");
    assert_eq!(json["vendor"], "salesforce");
    assert_eq!(json["status"], "ACTIVE");
    assert_eq!(json["callbackUrl"], "http://127.0.0.1:8080/oauth2/callback/cp-SalesforceProvider");
    assert_eq!(json["createdTime"], "2023-11-14T22:13:20Z");

    let run = run_against(address, &["identity", "list-providers", "--output", "json"]).await;
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["credentialProviders"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_status_error_is_one_line_with_its_reason() {
    let (address, _) = fake::start().await;
    let run = run_against(address, &["identity", "get-credential-provider", "--name", "x"]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr, "error: NOT_FOUND (ResourceNotFoundException): credential provider 'x' not found\n");
    assert!(run.stdout.is_empty());

    let run = run_against(address, &["identity", "delete-credential-provider", "--name", "bad name"]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(
        run.stderr,
        "error: INVALID_ARGUMENT (ValidationException): invalid request: name: must match [a-zA-Z0-9_-]+\n"
    );
}

#[tokio::test]
async fn the_token_flag_wins_over_the_environment() {
    let (address, _) = fake::start().await;
    let run = run_against(address, &["identity", "list-access-keys", "--token", "wrong"]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr, "error: UNAUTHENTICATED (UnauthorizedException): a valid admin token is required\n");
    let run = run_against(address, &["identity", "list-access-keys"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "ACCESS_KEY_ID  WORKLOADS  CREATED  DESCRIPTION\n");
}

#[tokio::test]
async fn secrets_go_to_the_server_and_never_come_back_out() {
    let (address, seen) = fake::start().await;
    let args = [
        "identity",
        "create-credential-provider",
        "--name",
        "SalesforceProvider",
        "--type",
        "oauth2",
        "--vendor",
        "SalesforceOauth2",
        "--client-id",
        "cid",
        "--client-secret",
        "client-secret-value",
    ];
    let run = run_against(address, &args).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("callbackUrl: http://127.0.0.1:8080/oauth2/callback/"), "{run:?}");
    assert!(!run.stdout.contains("client-secret-value") && !run.stderr.contains("client-secret-value"));
    let sent = seen.lock().unwrap().created_providers.pop().unwrap();
    assert_eq!(sent.credential_provider_vendor, 5, "SalesforceOauth2");
}

#[tokio::test]
async fn create_access_key_shows_the_secret_once() {
    let (address, _) = fake::start().await;
    let args = ["identity", "create-access-key", "--description", "ci", "--workload-names", "a,b"];
    let run = run_against(address, &args).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("accessKeyId: AKIAFAKEFAKEFAKEFAKE\n"), "{run:?}");
    assert!(run.stdout.contains("allowedWorkloadNames: a,b\n"), "{run:?}");
    assert!(run.stdout.contains(&format!("secretAccessKey: {KEY_SECRET}\n")), "{run:?}");
    assert!(run.stderr.contains("cannot be retrieved later"), "{run:?}");
}
