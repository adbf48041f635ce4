use std::process::Command;

use crate::support::{LocalStack, repo_root, venv};

/// A client generated from `proto/` in another language (Python, grpcio-tools) drives the
/// control plane: the proto is the contract.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_python_client_drives_the_control_plane() {
    let Some(venv) = venv() else { return };
    let stack = LocalStack::start().await;
    let output = Command::new(venv.join("bin/python"))
        .arg(repo_root().join("tests/python/client_test.py"))
        // The token goes in the environment: a random token may start with `-`, which argparse
        // would take for an option (and arguments show in `ps`).
        .env("AGENTCORE_IDENTITY_TOKEN", stack.admin_token())
        .args(["--endpoint", &stack.control.to_string()])
        .args(["--proto-dir", &repo_root().join("proto").display().to_string()])
        .output()
        .expect("run the Python client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "Python client failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.ends_with("passed, 0 failed") && !summary.starts_with("0 "), "{summary}");
}
