//! Running the binary with a clean environment.

use std::process::Output;

use tokio::process::Command;

/// What a run of `agentcore` left behind.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs `agentcore <args>` with only the given `AGENTCORE_IDENTITY_*` variables set.
pub async fn agentcore(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentcore"));
    command.args(args);
    for key in [
        "AGENTCORE_IDENTITY_ENDPOINT",
        "AGENTCORE_IDENTITY_TOKEN",
        "AGENTCORE_IDENTITY_DATA_ENDPOINT",
        "AGENTCORE_IDENTITY_ACCESS_KEY",
    ] {
        command.env_remove(key);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().await.expect("the binary runs").into()
}

/// An address where nothing listens: a port the OS handed out and took back.
pub fn unreachable_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    address.to_string()
}
