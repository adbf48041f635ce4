//! Server kit shared by the two binaries: the bearer-token authentication layer, the mapping of
//! errors to gRPC statuses with `google.rpc` details, health and reflection, the tracing and
//! metrics layer (`observe`), the configuration both binaries share, request hardening (message
//! sizes, timeouts, load shedding), the system clock, and shutdown on SIGTERM/SIGINT.

mod auth;
mod clock;
pub mod config;
mod grpc;
pub mod hardening;
pub mod observe;
mod shutdown;
pub mod status;

pub use auth::{AuthError, AuthLayer, AuthService, Authenticator, bearer_token};
pub use clock::SystemClock;
pub use grpc::{reflection, shutdown_signal};
pub use hardening::{Hardening, HardeningArgs};
pub use observe::{ObserveLayer, metrics_router, record_throttled, rpc_label};
pub use shutdown::Shutdown;
