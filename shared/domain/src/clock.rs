use std::{
    fmt,
    sync::atomic::{AtomicI64, Ordering},
};

use crate::UnixMillis;

/// The source of "now". Domain and storage code take a clock instead of reading the wall clock,
/// so that expiry, refresh and rotation are deterministic under test.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> UnixMillis;
}

/// A clock that reads only what it is told: for tests.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock reading `now`.
    pub fn new(now: UnixMillis) -> Self {
        Self(AtomicI64::new(now))
    }

    /// Moves the clock forward by `millis`.
    pub fn advance(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> UnixMillis {
        self.0.load(Ordering::SeqCst)
    }
}
