//! The binary against the fake data plane: the access key is the credential, workload access
//! tokens are minted and then used, and secrets appear only where they were asked for.

use std::net::SocketAddr;

use crate::{
    cli::{Run, agentcore, unreachable_endpoint},
    fake::{self, ACCESS_KEY, API_KEY, TOKEN},
};

const ARN: &str =
    "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/apikeycredentialprovider/GitHubProvider";

/// Runs against the fake as the data plane, with the admin token set and the control plane
/// unreachable: a data-plane command must use neither.
pub async fn run_data(address: SocketAddr, args: &[&str]) -> Run {
    let data_endpoint = address.to_string();
    let control_endpoint = unreachable_endpoint();
    let env = [
        ("AGENTCORE_IDENTITY_ENDPOINT", control_endpoint.as_str()),
        ("AGENTCORE_IDENTITY_TOKEN", TOKEN),
        ("AGENTCORE_IDENTITY_DATA_ENDPOINT", data_endpoint.as_str()),
        ("AGENTCORE_IDENTITY_ACCESS_KEY", ACCESS_KEY),
    ];
    agentcore(args, &env).await
}

/// Asserts a failed run: nothing on stdout, one `error:` line, this exit code, no secret.
pub fn assert_failed(run: &Run, code: i32, line: &str) {
    assert_eq!(run.code, Some(code), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(run.stderr, format!("error: {line}\n"), "{run:?}");
    for secret in [API_KEY, ACCESS_KEY, "fake-secret-access-key", TOKEN] {
        assert!(!run.stderr.contains(secret), "{secret} leaked: {run:?}");
    }
}

#[tokio::test]
async fn get_workload_access_token_prints_lines_json_or_the_bare_token() {
    let (address, seen) = fake::start().await;
    let run = run_data(address, &["identity", "get-workload-access-token", "--workload-name", "agent-1"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "workloadAccessToken: wat.agent-1\nexpiresIn: 900\nexpiresAt: 2023-11-14T22:28:20Z\n");

    let args = ["identity", "get-workload-access-token", "--workload-name", "agent-1", "--user-id", "alice"];
    let run = run_data(address, &[&args[..], &["-o", "json"]].concat()).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "workloadAccessToken": "wat.agent-1.alice",
            "expiresIn": 900,
            "expiresAt": "2023-11-14T22:28:20Z",
        })
    );

    let run = run_data(address, &[&args[..], &["--token-only"]].concat()).await;
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (Some(0), "wat.agent-1.alice\n", ""));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.data_calls, ["mint agent-1", "mint agent-1 for alice", "mint agent-1 for alice"]);
    // The access key, and never the admin token, went to the data plane.
    assert!(seen.data_auth.iter().all(|header| *header == format!("Bearer {ACCESS_KEY}")), "{:?}", seen.data_auth);
}

#[tokio::test]
async fn get_api_key_mints_a_token_for_the_user_then_uses_it() {
    let (address, seen) = fake::start().await;
    let args =
        ["identity", "get-api-key", "--name", "GitHubProvider", "--workload-name", "agent-1", "--user-id", "alice"];
    let run = run_data(address, &args).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, format!("apiKey: {API_KEY}\nheaderName: X-API-Key\n"));
    assert!(run.stderr.is_empty(), "{run:?}");
    assert_eq!(
        seen.lock().unwrap().data_calls,
        ["mint agent-1 for alice", "api-key GitHubProvider with wat.agent-1.alice"]
    );

    let run = run_data(address, &[&args[..], &["--value-only"]].concat()).await;
    assert_eq!((run.code, run.stdout), (Some(0), format!("{API_KEY}\n")));

    let run = run_data(
        address,
        &["identity", "get-api-key", "--name", "GitHubProvider", "--workload-name", "agent-1", "-o", "json"],
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json, serde_json::json!({"apiKey": API_KEY, "headerName": "X-API-Key"}));
    assert_eq!(seen.lock().unwrap().data_calls[4..], ["mint agent-1", "api-key GitHubProvider with wat.agent-1"]);
}

#[tokio::test]
async fn a_given_token_is_used_without_minting() {
    let (address, seen) = fake::start().await;
    let args = ["identity", "get-api-key", "--arn", ARN, "--workload-access-token", "wat.agent-1.bob", "--value-only"];
    let run = run_data(address, &args).await;
    assert_eq!((run.code, run.stdout), (Some(0), format!("{API_KEY}\n")));
    assert_eq!(seen.lock().unwrap().data_calls, [format!("api-key {ARN} with wat.agent-1.bob")]);
}

#[tokio::test]
async fn data_plane_errors_are_one_line_with_the_reason() {
    let (address, seen) = fake::start().await;
    let run =
        run_data(address, &["identity", "get-api-key", "--name", "GitHubProvider", "--workload-access-token", "bogus"])
            .await;
    assert_failed(&run, 1, "UNAUTHENTICATED (InvalidToken): invalid workload access token: it is malformed");

    let run = run_data(address, &["identity", "get-api-key", "--name", "Nope", "--workload-name", "agent-1"]).await;
    assert_failed(&run, 1, "NOT_FOUND (ProviderNotFound): API key credential provider 'Nope' not found");

    // A refused mint stops there: no API-key call is made.
    let run =
        run_data(address, &["identity", "get-api-key", "--name", "GitHubProvider", "--workload-name", "other-agent"])
            .await;
    assert_failed(
        &run,
        1,
        "PERMISSION_DENIED (AccessDeniedException): the access key may not act for workload 'other-agent'",
    );
    assert_eq!(seen.lock().unwrap().data_calls.last().map(String::as_str), Some("mint other-agent"));
}

#[tokio::test]
async fn the_access_key_flag_wins_over_the_environment() {
    let (address, seen) = fake::start().await;
    let args = ["identity", "get-workload-access-token", "--workload-name", "agent-1"];
    let run = run_data(address, &[&args[..], &["--access-key", "AKIAFAKEFAKEFAKEFAKE:not-the-secret"]].concat()).await;
    assert_failed(&run, 1, "UNAUTHENTICATED (UnauthorizedException): invalid access key");
    assert!(!run.stderr.contains("not-the-secret"));
    assert_eq!(seen.lock().unwrap().data_auth, ["Bearer AKIAFAKEFAKEFAKEFAKE:not-the-secret"]);
}

#[tokio::test]
async fn a_key_from_create_access_key_works_on_the_data_plane() {
    let (address, seen) = fake::start().await;
    let endpoint = address.to_string();
    let env = [("AGENTCORE_IDENTITY_ENDPOINT", endpoint.as_str()), ("AGENTCORE_IDENTITY_TOKEN", TOKEN)];
    let run = agentcore(&["identity", "create-access-key", "--workload-names", "agent-1", "-o", "json"], &env).await;
    let created: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let key = format!("{}:{}", created["accessKeyId"].as_str().unwrap(), created["secretAccessKey"].as_str().unwrap());
    let args = ["identity", "get-workload-access-token", "--workload-name", "agent-1", "--token-only"];
    let args = [&args[..], &["--data-endpoint", &endpoint, "--access-key", &key]].concat();
    let run = agentcore(&args, &[]).await;
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), "wat.agent-1\n"), "{run:?}");
    assert_eq!(seen.lock().unwrap().data_auth, [format!("Bearer {key}")]);
}

#[tokio::test]
async fn a_missing_or_malformed_access_key_exits_2_before_any_call() {
    let (address, seen) = fake::start().await;
    let data_endpoint = address.to_string();
    let args =
        ["--data-endpoint", &data_endpoint, "identity", "get-workload-access-token", "--workload-name", "agent-1"];
    let run = agentcore(&args, &[]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.starts_with("error: the data plane needs an access key: pass --access-key"), "{run:?}");

    let run = agentcore(&args, &[("AGENTCORE_IDENTITY_ACCESS_KEY", "no-colon-in-this-value")]).await;
    assert_failed(&run, 2, "the access key must be ACCESS_KEY_ID:SECRET_ACCESS_KEY");
    assert!(!run.stderr.contains("no-colon-in-this-value"));
    assert!(seen.lock().unwrap().data_auth.is_empty());

    // The admin token is no substitute for an access key.
    let run = agentcore(&args, &[("AGENTCORE_IDENTITY_TOKEN", TOKEN)]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
}

#[tokio::test]
async fn an_unreachable_data_plane_is_one_line_and_exit_1() {
    let endpoint = unreachable_endpoint();
    let args = ["identity", "get-api-key", "--name", "p", "--workload-name", "agent-1", "--data-endpoint", &endpoint];
    let run = agentcore(&args, &[("AGENTCORE_IDENTITY_ACCESS_KEY", ACCESS_KEY)]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    assert!(run.stderr.starts_with(&format!("error: cannot reach the data plane at http://{endpoint}: ")), "{run:?}");
    assert!(!run.stderr.contains("fake-secret-access-key"), "{run:?}");
}

#[tokio::test]
async fn a_refused_get_api_key_command_line_exits_2() {
    let key = [("AGENTCORE_IDENTITY_ACCESS_KEY", ACCESS_KEY)];
    let run = agentcore(&["identity", "get-api-key", "--workload-name", "agent-1"], &key).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    let both = ["identity", "get-api-key", "--name", "p", "--workload-name", "a", "--workload-access-token", "t"];
    let run = agentcore(&both, &key).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    let run = agentcore(&["identity", "get-api-key", "--name", "p", "--workload-name", " "], &key).await;
    assert_eq!((run.code, run.stderr.as_str()), (Some(2), "error: --workload-name is empty\n"));
}
