use std::process::Command;

use crate::support::{LocalStack, repo_root, venv};

/// The shell block of the README's quickstart, between its markers.
fn readme_quickstart() -> String {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let start = readme.find("<!-- quickstart:begin -->").expect("quickstart begin marker");
    let end = readme.find("<!-- quickstart:end -->").expect("quickstart end marker");
    let block = &readme[start..end];
    let code_start = block.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let code_end = block[code_start..].find("```").expect("closing fence") + code_start;
    block[code_start..code_end].to_owned()
}

/// `make run`'s script on a fresh directory, then the README's quickstart exactly as written
/// (only the default ports swapped for free ones, the CLI's default endpoint included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_quickstart_works_as_written() {
    let Some(venv) = venv() else { return };
    let stack = LocalStack::start().await;
    let script = readme_quickstart()
        .replace("127.0.0.1:50051", &stack.control.to_string())
        .replace("127.0.0.1:50052", &stack.data.to_string())
        .replace("127.0.0.1:8080", &stack.http.to_string());
    assert!(
        script.contains("grpcurl") && script.contains("agentcore identity"),
        "the quickstart uses grpcurl and the CLI"
    );

    let path = format!("{}:{}", venv.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(stack.dir.path())
        .env("PATH", path)
        .env_remove("AGENTCORE_IDENTITY_TOKEN")
        // The CLI's default endpoint is the default control-plane port, swapped like the others.
        .env("AGENTCORE_IDENTITY_ENDPOINT", stack.control.to_string())
        .output()
        .expect("run the quickstart");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "quickstart failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    // What a newcomer should see.
    assert!(stdout.contains("agentcore.identity.v1.WorkloadIdentityService"), "{stdout}");
    assert!(stdout.contains("workload-identity-directory/default/workload-identity/CustomerSupportAgent"), "{stdout}");
    let table: Vec<Vec<&str>> = stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    for row in [
        ["NAME", "TYPE", "VENDOR", "STATUS"],
        ["GitHubProvider", "api_key", "github", "ACTIVE"],
        ["SalesforceProvider", "oauth2", "salesforce", "ACTIVE"],
    ] {
        assert!(table.iter().any(|r| r == &row), "list-providers row {row:?} missing:\n{stdout}");
    }
    assert!(stdout.contains("\"status\": \"SERVING\""), "data plane health: {stdout}");
    // The data plane vended the API key to the workload access token.
    assert!(stdout.contains("\"apiKey\": \"ghp_xxxxxxxxxxxx\""), "API key vend: {stdout}");
    // Secrets typed into the quickstart never come back (but from the vend itself).
    let stdout_without_vend = stdout.replace("\"apiKey\": \"ghp_xxxxxxxxxxxx\"", "");
    for secret in ["YOUR_CLIENT_SECRET", "ghp_xxxxxxxxxxxx"] {
        let stdout = &stdout_without_vend;
        assert!(!stdout.contains(secret) && !stderr.contains(secret), "{secret} echoed");
    }
    assert!(!stack.admin_token().is_empty());
}
