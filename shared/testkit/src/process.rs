//! Server processes for tests: a child started on loopback ports and watched until it serves.
//!
//! [`start`] runs the caller's readiness probe and, around each probe, checks that the child
//! still runs: a child that exits ends the wait at once, with what it printed, instead of a probe
//! answered by whatever else listens on its port. A child that exited because a port was taken
//! ("address already in use") is started again: on fresh ports ([`Ports::Fresh`]), or on the same
//! ones for a few seconds ([`Ports::Fixed`], a restart at the addresses the test already uses).
//! Any other failure panics with the child's output.
//!
//! On Linux the ports of [`free_addr`] are held by the test process, so no other server can be
//! listening there; the retries matter elsewhere, and when something outside the tests binds
//! ports it was not given.

use std::{
    io::{Read, Write as _},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex, PoisonError},
    thread::JoinHandle,
    time::Duration,
};

use tokio::time::Instant;

use crate::free_addr;

/// How long a child may take to become ready.
const STARTUP: Duration = Duration::from_secs(30);
/// Starts on fresh ports before giving up.
const FRESH_TRIES: usize = 5;
/// How long starts on fixed ports are tried.
const FIXED_FOR: Duration = Duration::from_secs(10);
/// Pause between probes, and between starts on fixed ports.
const POLL: Duration = Duration::from_millis(50);
/// How long one probe may take (a listener that never answers does not stall the wait).
const PROBE: Duration = Duration::from_secs(5);
/// How much of a child's output is kept for failure messages (its end).
const TAIL: usize = 16 * 1024;

/// Which loopback ports a server is started on.
#[derive(Clone, Copy, Debug)]
pub enum Ports<const N: usize> {
    /// Fresh ones from [`free_addr`], fresh again when one was taken.
    Fresh,
    /// These (a restart at the same addresses), tried again for a few seconds when taken.
    Fixed([SocketAddr; N]),
}

/// A started server.
#[derive(Debug)]
pub struct Started<const N: usize> {
    /// Its addresses, in the order the caller's closures take them.
    pub addrs: [SocketAddr; N],
    /// The process; stopping it is the caller's.
    pub child: Child,
}

/// Starts `what` as `command(addrs)` and waits until one `ready(addrs)` probe answers `true`.
///
/// The child's stdin is null; its stdout is kept for failure messages only; its stderr is kept
/// too and goes on to this process's stderr or, when `stderr_to` is given, to that file (created
/// anew for each start). `command` should not set them.
pub async fn start<const N: usize>(
    what: &str,
    ports: Ports<N>,
    stderr_to: Option<&Path>,
    mut command: impl FnMut(&[SocketAddr; N]) -> Command,
    ready: impl AsyncFn(&[SocketAddr; N]) -> bool,
) -> Started<N> {
    let fixed_until = Instant::now() + FIXED_FOR;
    for attempt in 1.. {
        let addrs = match ports {
            Ports::Fresh => std::array::from_fn(|_| free_addr()),
            Ports::Fixed(addrs) => addrs,
        };
        let mut command = command(&addrs);
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        match stderr_to {
            Some(path) => command.stderr(std::fs::File::create(path).expect("create the child's log file")),
            None => command.stderr(Stdio::piped()),
        };
        let mut child = command.spawn().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        let mut output = Output::capture(&mut child, stderr_to);
        let why = match wait_ready(&mut child, &addrs, &ready).await {
            Ok(()) => return Started { addrs, child },
            Err(why) => why,
        };
        let text = output.text().await;
        let lower = text.to_ascii_lowercase();
        let taken = lower.contains("address already in use") || lower.contains("eaddrinuse");
        let again = match ports {
            Ports::Fresh => attempt < FRESH_TRIES,
            Ports::Fixed(_) => Instant::now() < fixed_until,
        };
        if !(taken && again) {
            panic!("{what} did not start on {addrs:?} (attempt {attempt}): {why}\n--- its output (end) ---\n{text}");
        }
        eprintln!("{what}: a port of {addrs:?} was taken; starting it again");
        if let Ports::Fixed(_) = ports {
            tokio::time::sleep(POLL).await;
        }
    }
    unreachable!("the attempts above return or panic")
}

/// Polls `ready` until it answers while the child still runs; the child is stopped on a timeout.
async fn wait_ready<const N: usize>(
    child: &mut Child,
    addrs: &[SocketAddr; N],
    ready: &impl AsyncFn(&[SocketAddr; N]) -> bool,
) -> Result<(), String> {
    let until = Instant::now() + STARTUP;
    loop {
        let gone = async {
            loop {
                match exited(child) {
                    Some(status) => return status,
                    None => tokio::time::sleep(POLL).await,
                }
            }
        };
        let answered = tokio::select! {
            answered = tokio::time::timeout(PROBE, ready(addrs)) => answered.unwrap_or(false),
            status = gone => return Err(format!("exited with {status}")),
        };
        if answered {
            // The answer was the child's only if it still runs: one that failed to bind exits.
            return match exited(child) {
                Some(status) => Err(format!("exited with {status}")),
                None => Ok(()),
            };
        }
        if Instant::now() >= until {
            terminate(child).await;
            return Err(format!("not ready within {STARTUP:?}"));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn exited(child: &mut Child) -> Option<ExitStatus> {
    child.try_wait().expect("check the child's status")
}

/// SIGTERM (a script stops its own children on it), then SIGKILL if it lingers.
async fn terminate(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let until = Instant::now() + Duration::from_secs(10);
    while exited(child).is_none() && Instant::now() < until {
        tokio::time::sleep(POLL).await;
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The end of what a child printed.
struct Output {
    tail: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    file: Option<PathBuf>,
}

impl Output {
    /// Reads the child's piped stdout (kept) and stderr (kept, and echoed to this process's).
    fn capture(child: &mut Child, file: Option<&Path>) -> Self {
        let tail = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(keep(stdout, tail.clone(), false));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(keep(stderr, tail.clone(), true));
        }
        Self { tail, readers, file: file.map(Path::to_path_buf) }
    }

    /// What was printed, once the exited child's pipes are drained (bounded).
    async fn text(&mut self) -> String {
        let until = Instant::now() + Duration::from_secs(2);
        while self.readers.iter().any(|reader| !reader.is_finished()) && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut text = self.file.as_ref().and_then(|file| std::fs::read_to_string(file).ok()).unwrap_or_default();
        text.push_str(&self.tail.lock().unwrap_or_else(PoisonError::into_inner));
        text.split_off(last(&text, TAIL))
    }
}

/// Copies a pipe into `tail` (its last [`TAIL`] bytes or so), and to stderr with `echo`.
fn keep(mut pipe: impl Read + Send + 'static, tail: Arc<Mutex<String>>, echo: bool) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buffer) {
            if echo {
                let _ = std::io::stderr().write_all(&buffer[..n]);
            }
            let mut tail = tail.lock().unwrap_or_else(PoisonError::into_inner);
            tail.push_str(&String::from_utf8_lossy(&buffer[..n]));
            if tail.len() > 2 * TAIL {
                let cut = last(&tail, TAIL);
                tail.drain(..cut);
            }
        }
    })
}

/// Where the last `n` bytes or so of `text` start (a char boundary).
fn last(text: &str, n: usize) -> usize {
    let mut cut = text.len().saturating_sub(n);
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    cut
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::TcpListener;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    async fn pong(addr: SocketAddr) -> bool {
        let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return false };
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").await.is_ok()
            && stream.read_exact(&mut reply).await.is_ok()
            && &reply == b"+PONG\r\n"
    }

    fn redis_server(addr: &SocketAddr) -> Command {
        let mut command = Command::new("redis-server");
        command.args(["--bind", "127.0.0.1", "--port", &addr.port().to_string(), "--save", "", "--appendonly", "no"]);
        command
    }

    fn have_redis_server() -> bool {
        let found = Command::new("redis-server").arg("--version").output().is_ok();
        if !found {
            crate::skip_or_fail("redis-server", "not on PATH");
        }
        found
    }

    /// Another process listens on the first ports given: the server starts again on fresh ones,
    /// then again at the same address after a stop.
    #[tokio::test]
    async fn a_taken_port_is_retried() {
        if !have_redis_server() {
            return;
        }
        let mut occupied = Vec::new();
        let started = start(
            "redis-server",
            Ports::Fresh,
            None,
            |[addr]: &[SocketAddr; 1]| {
                if occupied.is_empty() {
                    // Binds with SO_REUSEADDR, so it may listen on a held port too.
                    occupied.push(TcpListener::bind(addr).unwrap());
                }
                redis_server(addr)
            },
            async |[addr]: &[SocketAddr; 1]| pong(*addr).await,
        )
        .await;
        let [addr] = started.addrs;
        assert_ne!(addr, occupied[0].local_addr().unwrap(), "started again on a fresh port");
        assert!(pong(addr).await);

        let mut child = started.child;
        child.kill().unwrap();
        child.wait().unwrap();
        let again = start(
            "redis-server",
            Ports::Fixed([addr]),
            None,
            |[a]: &[SocketAddr; 1]| redis_server(a),
            async |[a]: &[SocketAddr; 1]| pong(*a).await,
        )
        .await;
        assert_eq!(again.addrs, [addr]);
        let mut child = again.child;
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[tokio::test]
    #[should_panic(expected = "unknown option --frobnicate")]
    async fn a_child_failing_otherwise_fails_the_test_with_its_output() {
        start(
            "a server",
            Ports::<1>::Fresh,
            None,
            |_: &[SocketAddr; 1]| {
                let mut command = Command::new("sh");
                command.args(["-c", "echo 'unknown option --frobnicate' >&2; exit 2"]);
                command
            },
            async |_: &[SocketAddr; 1]| false,
        )
        .await;
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_free_port_is_held_but_closed() {
        let addr = free_addr();
        assert!(std::net::TcpStream::connect(addr).is_err(), "nothing listens");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        assert!(socket.bind(addr).is_err(), "a bind without SO_REUSEADDR is refused");
        assert_ne!(free_addr(), addr);
    }
}
