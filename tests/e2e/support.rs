use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use identity_testkit::{free_addr, skip_or_fail};

/// Directory holding the built binaries (`target/debug`), found from this test's own path.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/e2e-HASH → target/debug
    let dir = exe.parent().and_then(Path::parent).expect("target directory").to_path_buf();
    for name in ["identity-control-plane", "identity-data-plane", "agentcore"] {
        assert!(
            dir.join(name).exists(),
            "{name} is not built in {}: run `cargo build --workspace --bins` (make test does)",
            dir.display()
        );
    }
    dir
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("repository root").to_path_buf()
}

/// The tool virtualenv (grpcurl, grpcio-tools), or `None` after reporting the skip.
pub fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("AGENTCORE_TEST_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/agentcore-identity/venv")
    });
    if dir.join("bin/python").exists() && dir.join("bin/grpcurl").exists() {
        Some(dir)
    } else {
        skip_or_fail(
            "the test tool virtualenv (make test creates it)",
            &format!("{} has no python/grpcurl", dir.display()),
        );
        None
    }
}

/// Polls gRPC health at `addr` until SERVING (bounded).
pub async fn wait_serving(addr: SocketAddr) {
    for _ in 0..600 {
        if let Ok(channel) =
            tonic::transport::Channel::from_shared(format!("http://{addr}")).expect("uri").connect().await
        {
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            let request = tonic_health::pb::HealthCheckRequest { service: String::new() };
            if health.check(request).await.is_ok_and(|r| r.into_inner().status == 1) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{addr} did not become healthy");
}

/// Both planes started by `deploy/run-local.sh` (what `make run` runs) in a scratch directory.
pub struct LocalStack {
    pub dir: tempfile::TempDir,
    pub control: SocketAddr,
    pub data: SocketAddr,
    pub http: SocketAddr,
    child: Child,
}

impl LocalStack {
    pub async fn start() -> Self {
        let bin = bin_dir();
        let dir = tempfile::tempdir().expect("scratch directory");
        // The README's commands use ./target/debug and ./data relative to the checkout.
        std::os::unix::fs::symlink(bin.parent().expect("target"), dir.path().join("target")).expect("symlink target");
        let (control, data, http) = (free_addr(), free_addr(), free_addr());
        let child = Command::new(repo_root().join("deploy/run-local.sh"))
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("BIN_DIR", &bin)
            .env("CONTROL_PLANE_LISTEN", control.to_string())
            .env("DATA_PLANE_LISTEN", data.to_string())
            .env("DATA_PLANE_HTTP_LISTEN", http.to_string())
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start deploy/run-local.sh");
        let stack = Self { dir, control, data, http, child };
        stack.wait_serving(control).await;
        stack.wait_serving(data).await;
        stack
    }

    /// Polls gRPC health until SERVING (bounded).
    async fn wait_serving(&self, addr: SocketAddr) {
        for _ in 0..600 {
            if let Ok(channel) =
                tonic::transport::Channel::from_shared(format!("http://{addr}")).expect("uri").connect().await
            {
                let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
                let request = tonic_health::pb::HealthCheckRequest { service: String::new() };
                if health.check(request).await.is_ok_and(|r| r.into_inner().status == 1) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{addr} did not become healthy");
    }

    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/admin-token")).expect("admin token file").trim().to_owned()
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        // SIGTERM lets the script stop both planes.
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}
