//! What the binary does without a control plane: help, refused command lines, no connection.

use crate::cli::{agentcore, unreachable_endpoint};

#[tokio::test]
async fn an_unreachable_control_plane_is_one_line_and_exit_1() {
    let endpoint = unreachable_endpoint();
    let run = agentcore(&["--endpoint", &endpoint, "identity", "list-providers"], &[]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:?}");
    let prefix = format!("error: cannot reach the control plane at http://{endpoint}: ");
    assert!(run.stderr.starts_with(&prefix), "{run:?}");
}

#[tokio::test]
async fn the_endpoint_comes_from_the_environment_unless_given() {
    let from_env = unreachable_endpoint();
    let run = agentcore(&["identity", "list-access-keys"], &[("AGENTCORE_IDENTITY_ENDPOINT", &from_env)]).await;
    assert!(run.stderr.contains(&format!("at http://{from_env}:")), "{run:?}");

    let from_flag = unreachable_endpoint();
    let args = ["identity", "list-access-keys", "--endpoint", &from_flag];
    let run = agentcore(&args, &[("AGENTCORE_IDENTITY_ENDPOINT", &from_env)]).await;
    assert!(run.stderr.contains(&format!("at http://{from_flag}:")), "{run:?}");
}

#[tokio::test]
async fn help_lists_the_subcommands_and_hides_the_token() {
    let env = [
        ("AGENTCORE_IDENTITY_TOKEN", "very-secret-admin-token"),
        ("AGENTCORE_IDENTITY_ACCESS_KEY", "AKIAX:very-secret-access-key"),
    ];
    let run = agentcore(&["identity", "--help"], &env).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    for command in [
        "create-credential-provider",
        "list-providers",
        "get-credential-provider",
        "delete-credential-provider",
        "create-workload-identity",
        "get-workload-identity",
        "list-workload-identities",
        "delete-workload-identity",
        "create-access-key",
        "list-access-keys",
        "delete-access-key",
        "setup-aws-jwt",
        "setup-cognito",
        "get-workload-access-token",
        "get-api-key",
        "get-token-vault",
        "rotate-vault-key",
        "--data-endpoint",
        "AGENTCORE_IDENTITY_DATA_ENDPOINT",
        "--access-key",
        "AGENTCORE_IDENTITY_ACCESS_KEY",
    ] {
        assert!(run.stdout.contains(command), "{command} missing from:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("AGENTCORE_IDENTITY_TOKEN"), "{}", run.stdout);
    assert!(!run.stdout.contains("very-secret-admin-token"), "{}", run.stdout);
    assert!(!run.stdout.contains("very-secret-access-key"), "{}", run.stdout);
    // `get-token` is a command of its own, not just the start of `get-token-vault`.
    for command in ["get-token", "complete-auth"] {
        assert!(run.stdout.split_whitespace().any(|word| word == command), "{command} missing from:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("list-aws-jwt"), "{}", run.stdout);

    let run = agentcore(&["identity", "get-api-key", "--help"], &env).await;
    for flag in ["--name", "--arn", "--workload-access-token", "--workload-name", "--user-id", "--value-only"] {
        assert!(run.stdout.contains(flag), "{flag} missing from:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("very-secret-access-key"), "{}", run.stdout);

    let run = agentcore(&["--help"], &[]).await;
    assert!(run.stdout.contains("identity"), "{}", run.stdout);
}

#[tokio::test]
async fn a_refused_command_line_exits_2_without_calling_anyone() {
    let endpoint = unreachable_endpoint();
    let args = [
        "--endpoint",
        &endpoint,
        "identity",
        "create-credential-provider",
        "--name",
        "CustomAPI",
        "--type",
        "oauth2",
        "--client-id",
        "id",
        "--client-secret",
        "never-printed",
    ];
    let run = agentcore(&args, &[]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(
        run.stderr,
        "error: a custom OAuth2 provider needs --discovery-url, or --authorize-url and --token-url\n"
    );
    assert!(!run.stderr.contains("never-printed"));

    let run = agentcore(&["identity", "create-credential-provider", "--name", "x"], &[]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("--type"), "{run:?}");
}
