use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command},
};

use identity_testkit::{
    process::{self, Ports, Started},
    skip_or_fail,
};

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

/// One gRPC health check at `addr`: SERVING now?
pub async fn serving(addr: SocketAddr) -> bool {
    let Ok(channel) = tonic::transport::Channel::from_shared(format!("http://{addr}")).expect("uri").connect().await
    else {
        return false;
    };
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let request = tonic_health::pb::HealthCheckRequest { service: String::new() };
    health.check(request).await.is_ok_and(|r| r.into_inner().status == 1)
}

/// Starts a server process on `ports` and waits until its gRPC health (at the first address) is
/// SERVING; a child that exits fails the test with its output, or starts again when its port was
/// taken ([`identity_testkit::process::start`]). `command` gets the addresses and leaves stdio
/// alone; stderr goes to `stderr_to` when given, else to the test's.
pub async fn start_serving<const N: usize>(
    what: &str,
    ports: Ports<N>,
    stderr_to: Option<&Path>,
    command: impl FnMut(&[SocketAddr; N]) -> Command,
) -> Started<N> {
    process::start(what, ports, stderr_to, command, async |addrs: &[SocketAddr; N]| serving(addrs[0]).await).await
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
        let command = |[control, data, http]: &[SocketAddr; 3]| {
            let mut command = Command::new(repo_root().join("deploy/run-local.sh"));
            command
                .current_dir(dir.path())
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", dir.path())
                .env("BIN_DIR", &bin)
                .env("CONTROL_PLANE_LISTEN", control.to_string())
                .env("DATA_PLANE_LISTEN", data.to_string())
                .env("DATA_PLANE_HTTP_LISTEN", http.to_string())
                .env("RUST_LOG", "error");
            command
        };
        let both_serving = async |[control, data, _]: &[SocketAddr; 3]| serving(*control).await && serving(*data).await;
        let started = process::start("deploy/run-local.sh", Ports::Fresh, None, command, both_serving).await;
        let [control, data, http] = started.addrs;
        Self { dir, control, data, http, child: started.child }
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
