//! Test kit shared by the crates' integration tests and the end-to-end suite.
//!
//! External services are used for real: each test gets its own Postgres database (created on
//! the server at `TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`, and
//! dropped afterwards) or its own SQLite file. When a service is unreachable, the test fails
//! loudly if `CI=true` and is reported as skipped (with the reason) otherwise.

#![allow(clippy::panic, clippy::expect_used)]

use std::{
    collections::hash_map::RandomState,
    hash::{BuildHasher as _, Hasher as _},
    net::{Ipv4Addr, SocketAddr},
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use sqlx::{Connection as _, PgConnection};

/// Default admin URL of the test Postgres server.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether this run is CI, where every suite must run.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Reports a suite as skipped, or fails it on CI.
pub fn skip_or_fail(what: &str, reason: &str) {
    if in_ci() {
        panic!("{what} is required on CI (CI=true) but unavailable: {reason}");
    }
    eprintln!("SKIPPED: {what} unavailable: {reason}");
}

/// A short random lowercase suffix for names that must not collide between tests and runs.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// A loopback address with a port of this test process's own, for a child process to listen on
/// (and on again after a restart).
///
/// On Linux the port stays bound by this process until it exits, with `SO_REUSEADDR` and without
/// listening: the kernel gives it to no other bind to port 0 nor to an outgoing connection, and
/// refuses a bind without `SO_REUSEADDR`, while a child that binds it with `SO_REUSEADDR` (tokio,
/// Node.js and Redis do) may listen on it. Connecting to it while nothing listens is refused, as
/// for a closed port. Elsewhere the port was merely free a moment ago; [`process::start`] starts a
/// child again on fresh ports when the one it got was taken.
pub fn free_addr() -> SocketAddr {
    static HELD: Mutex<Vec<tokio::net::TcpSocket>> = Mutex::new(Vec::new());
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_reuseaddr(true).expect("SO_REUSEADDR");
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).expect("bind an ephemeral port");
    let addr = socket.local_addr().expect("local address");
    if cfg!(any(target_os = "linux", target_os = "android")) {
        HELD.lock().unwrap_or_else(PoisonError::into_inner).push(socket);
    }
    addr
}

/// A Postgres database of this test's own, dropped when this value is.
#[derive(Debug)]
pub struct PostgresDb {
    admin_url: String,
    name: String,
    /// URL of the database.
    pub url: String,
}

impl PostgresDb {
    /// Creates a fresh database, or `None` (after [`skip_or_fail`]) when Postgres is unreachable.
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let mut conn = match PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(e) => {
                skip_or_fail("Postgres", &format!("{admin_url}: {e}"));
                return None;
            }
        };
        let name = format!("identity_test_{}", unique_suffix());
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create a test database");
        let (base, _) = admin_url.rsplit_once('/').expect("admin URL has a database path");
        Some(Self { url: format!("{base}/{name}"), name, admin_url })
    }
}

impl PostgresDb {
    /// Drops the database now, cutting every connection to it (an outage, for tests).
    pub async fn drop_now(&self) {
        let mut conn = PgConnection::connect(&self.admin_url).await.expect("connect to the admin database");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&mut conn)
            .await
            .expect("drop the test database");
    }
}

impl Drop for PostgresDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside or outside a runtime; a thread of its own works in both cases.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

/// An SQLite database file in a temporary directory of its own, removed when this value is.
#[derive(Debug)]
pub struct SqliteDb {
    _dir: tempfile::TempDir,
    /// `sqlite://…` URL of the database file.
    pub url: String,
}

impl SqliteDb {
    /// A new, not yet existing, database file.
    pub fn create() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("identity.db").display());
        Self { _dir: dir, url }
    }
}

/// Default URL of the test Redis server.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// The test Redis URL when the server answers PING, or `None` (after [`skip_or_fail`]).
/// Tests sharing the server keep apart by key prefix ([`unique_suffix`]).
pub async fn redis_url() -> Option<String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.to_owned());
    let host = url.trim_start_matches("redis://").split('/').next().unwrap_or_default().to_owned();
    let answer = async {
        let mut stream = tokio::net::TcpStream::connect(&host).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    match tokio::time::timeout(std::time::Duration::from_secs(10), answer).await {
        Ok(Ok(reply)) if &reply == b"+PONG\r\n" => Some(url),
        Ok(Ok(_)) => {
            skip_or_fail("Redis", &format!("{url} did not answer PING"));
            None
        }
        Ok(Err(e)) => {
            skip_or_fail("Redis", &format!("{url}: {e}"));
            None
        }
        Err(_) => {
            skip_or_fail("Redis", &format!("{url}: no answer within 10s"));
            None
        }
    }
}

pub mod idp;
pub mod process;
