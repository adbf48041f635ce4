//! `get-token` and `complete-auth` against the fake data plane: an M2M token, a user-federation
//! authorization URL, its completion, then the user's token; the access token appears only where
//! it was asked for.

use crate::{
    data::{assert_failed, run_data},
    fake::{self, OAUTH2_TOKEN, SESSION_URI},
};

const ARN: &str =
    "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/oauth2credentialprovider/OktaProvider";

#[tokio::test]
async fn an_m2m_token_prints_as_lines_json_or_the_bare_token() {
    let (address, seen) = fake::start().await;
    let args = ["identity", "get-token", "--name", "OktaProvider", "--workload-name", "agent-1", "--scopes", "a,b"];
    let run = run_data(address, &args).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "accessToken: {OAUTH2_TOKEN}\ntokenType: Bearer\nexpiresIn: 3600\nexpiresAt: 2023-11-14T23:13:20Z\nscopes: a,b\n"
        )
    );
    assert!(run.stderr.is_empty(), "{run:?}");

    let run = run_data(address, &[&args[..], &["-o", "json"]].concat()).await;
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "accessToken": OAUTH2_TOKEN,
            "tokenType": "Bearer",
            "expiresIn": 3600,
            "expiresAt": "2023-11-14T23:13:20Z",
            "scopes": ["a", "b"],
        })
    );

    let run = run_data(
        address,
        &["identity", "get-token", "--arn", ARN, "--workload-access-token", "wat.agent-1", "--value-only"],
    )
    .await;
    assert_eq!((run.code, run.stdout, run.stderr), (Some(0), format!("{OAUTH2_TOKEN}\n"), String::new()));

    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.data_calls,
        [
            "mint agent-1",
            "token OktaProvider OAUTH2_FLOW_M2M with wat.agent-1",
            "mint agent-1",
            "token OktaProvider OAUTH2_FLOW_M2M with wat.agent-1",
            &format!("token {ARN} OAUTH2_FLOW_M2M with wat.agent-1"),
        ]
    );
    assert_eq!(seen.token_requests[0].scopes, ["a", "b"]);
    assert_eq!(seen.token_requests[0].force_authentication, None);
}

#[tokio::test]
async fn user_federation_asks_for_authorization_then_vends_after_complete_auth() {
    let (address, seen) = fake::start().await;
    let args = [
        "identity",
        "get-token",
        "--name",
        "OktaProvider",
        "--flow",
        "user-federation",
        "--workload-name",
        "agent-1",
        "--user-id",
        "alice",
        "--return-url",
        "https://app.example/done",
        "--param",
        "ui_locales=en",
    ];
    let run = run_data(address, &args).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "authorizationUrl: https://idp.example/authorize?request_uri=session-alice\nsessionUri: {SESSION_URI}\n"
        )
    );
    assert_eq!(
        run.stderr,
        format!(
            "open the authorization URL as the user, then run complete-auth: agentcore identity complete-auth \
             --session-uri '{SESSION_URI}' --user-id 'alice'\n"
        )
    );
    {
        let seen = seen.lock().unwrap();
        let request = &seen.token_requests[0];
        assert_eq!(request.resource_oauth2_return_url, "https://app.example/done");
        assert_eq!(request.custom_parameters.get("ui_locales").map(String::as_str), Some("en"));
    }

    let run = run_data(address, &[&args[..], &["-o", "json"]].concat()).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "authorizationUrl": "https://idp.example/authorize?request_uri=session-alice",
            "sessionUri": SESSION_URI,
        })
    );

    // Asked for the bare token, a URL is no answer: one line, exit 1, nothing on stdout.
    let run = run_data(address, &[&args[..], &["--value-only"]].concat()).await;
    assert_failed(
        &run,
        1,
        &format!(
            "authorization required: open https://idp.example/authorize?request_uri=session-alice as the user, then \
             run complete-auth --session-uri {SESSION_URI}"
        ),
    );

    let run =
        run_data(address, &["identity", "complete-auth", "--session-uri", SESSION_URI, "--user-id", "alice"]).await;
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (Some(0), "authorization completed\n", ""));

    let run = run_data(address, &[&args[..], &["--value-only"]].concat()).await;
    assert_eq!((run.code, run.stdout, run.stderr), (Some(0), format!("{OAUTH2_TOKEN}\n"), String::new()));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.data_calls[6..7], [format!("complete {SESSION_URI} for alice")]);
    assert_eq!(
        seen.data_calls.last().unwrap(),
        "token OktaProvider OAUTH2_FLOW_USER_FEDERATION with wat.agent-1.alice"
    );
}

#[tokio::test]
async fn complete_auth_takes_a_user_token_and_prints_json() {
    let (address, seen) = fake::start().await;
    let args = ["identity", "complete-auth", "--session-uri", SESSION_URI, "--user-token", "jwt.alice", "-o", "json"];
    let run = run_data(address, &args).await;
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (Some(0), "{}\n", ""));
    assert_eq!(seen.lock().unwrap().authorized_users, ["alice"]);
}

#[tokio::test]
async fn token_errors_are_one_line_with_the_reason() {
    let (address, _seen) = fake::start().await;
    let run = run_data(address, &["identity", "get-token", "--name", "Nope", "--workload-name", "agent-1"]).await;
    assert_failed(&run, 1, "NOT_FOUND (ProviderNotFound): OAuth2 credential provider 'Nope' not found");
    assert!(!run.stderr.contains(OAUTH2_TOKEN));

    let run =
        run_data(address, &["identity", "get-token", "--name", "OktaProvider", "--workload-access-token", "bogus"])
            .await;
    assert_failed(&run, 1, "UNAUTHENTICATED (InvalidToken): invalid workload access token: it is malformed");
    assert!(!run.stderr.contains("bogus"), "{run:?}");

    let run =
        run_data(address, &["identity", "complete-auth", "--session-uri", SESSION_URI, "--user-id", "mallory"]).await;
    assert_failed(&run, 1, "PERMISSION_DENIED (AccessDeniedException): the session was started for another user");
}

#[tokio::test]
async fn refused_token_command_lines_exit_2_before_any_call() {
    let (address, seen) = fake::start().await;
    for (args, line) in [
        (
            &["--name", "OktaProvider", "--workload-name", "agent-1", "--force-authentication"][..],
            Some("--force-authentication is for --flow user-federation, not m2m"),
        ),
        (&["--name", "OktaProvider", "--flow", "user-federation", "--workload-name", "agent-1"][..], None),
        (&["--workload-name", "agent-1"][..], None),
        (&["--name", "OktaProvider", "--workload-name", "agent-1", "--workload-access-token", "wat.x"][..], None),
    ] {
        let argv = [&["identity", "get-token"][..], args].concat();
        let run = run_data(address, &argv).await;
        assert_eq!(run.code, Some(2), "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        if let Some(line) = line {
            assert_eq!(run.stderr, format!("error: {line}\n"));
        }
    }
    let run = run_data(address, &["identity", "complete-auth", "--session-uri", SESSION_URI]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(seen.lock().unwrap().data_calls.is_empty());
}
