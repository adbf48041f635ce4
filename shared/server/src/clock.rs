use std::time::{SystemTime, UNIX_EPOCH};

use identity_domain::{Clock, UnixMillis};

/// The wall clock: the one place the services read the time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods, reason = "the one wall-clock read of the services")]
    fn now_millis(&self) -> UnixMillis {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
    }
}
