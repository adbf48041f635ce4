//! Authorizer attachment through the real CLI and binaries: `setup-aws-jwt --workload-identity`
//! (and the seed's `--gateway-id`) attaches the new authorizer to the workload; an attached
//! authorizer cannot be deleted until `update-workload-identity` detaches it.

use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{LocalStack, bin_dir};

fn agentcore(stack: &LocalStack, args: &[&str]) -> Output {
    Command::new(bin_dir().join("agentcore"))
        .arg("identity")
        .args(args)
        .env("AGENTCORE_IDENTITY_ENDPOINT", format!("http://{}", stack.control))
        .env("AGENTCORE_IDENTITY_TOKEN", stack.admin_token())
        .output()
        .expect("run agentcore")
}

fn ok(output: Output) -> String {
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "agentcore failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    format!("{stdout}{stderr}")
}

fn authorizer_names(stack: &LocalStack, workload: &str) -> Value {
    let output = agentcore(stack, &["get-workload-identity", "--name", workload, "--output", "json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let record: Value = serde_json::from_slice(&output.stdout).expect("JSON record");
    record["authorizerNames"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_aws_jwt_attaches_the_authorizer_to_the_workload() {
    let stack = LocalStack::start().await;
    ok(agentcore(&stack, &["create-workload-identity", "--name", "support-agent"]));
    assert_eq!(authorizer_names(&stack, "support-agent"), serde_json::json!([]));

    let setup = |name: &str, target_flag: &str| {
        agentcore(
            &stack,
            &[
                "setup-aws-jwt",
                "--name",
                name,
                target_flag,
                "support-agent",
                "--discovery-url",
                "https://idp.example.com/.well-known/openid-configuration",
                "--audience",
                "api://support",
            ],
        )
    };
    let said = ok(setup("okta", "--workload-identity"));
    assert!(said.contains("attached authorizer 'okta' to workload identity 'support-agent'"), "{said}");
    ok(setup("entra", "--gateway-id"));
    assert_eq!(authorizer_names(&stack, "support-agent"), serde_json::json!(["okta", "entra"]));

    // A workload that does not exist: refused before anything is created.
    let missing = agentcore(
        &stack,
        &[
            "setup-aws-jwt",
            "--name",
            "never",
            "--workload-identity",
            "no-such-agent",
            "--discovery-url",
            "https://idp.example.com/.well-known/openid-configuration",
            "--audience",
            "a",
        ],
    );
    assert!(!missing.status.success());
    assert!(!agentcore(&stack, &["get-jwt-authorizer", "--name", "never"]).status.success());

    // Attached, the authorizer cannot be deleted; the error says by whom it is held.
    let refused = agentcore(&stack, &["delete-jwt-authorizer", "--name", "okta"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("support-agent") && stderr.contains("detach"), "{stderr}");

    // Detached (the workload keeps only `entra`), it can go; then back to the account default.
    ok(agentcore(&stack, &["update-workload-identity", "--name", "support-agent", "--authorizer", "entra"]));
    ok(agentcore(&stack, &["delete-jwt-authorizer", "--name", "okta"]));
    ok(agentcore(&stack, &["update-workload-identity", "--name", "support-agent", "--no-authorizers"]));
    assert_eq!(authorizer_names(&stack, "support-agent"), serde_json::json!([]));
}
