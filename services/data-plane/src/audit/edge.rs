//! Refusals made before a call reaches [`super::Audited`]: a call over its account's rate limit,
//! and an account's access key presented with a wrong secret. Both are decided in tower layers,
//! before the request is decoded, so their events name the RPC, the account and the access key,
//! but no workload, provider or user.
//!
//! A flood of refused calls must not become a flood of events (nor fill the queue that every
//! account's vends need room in), so these events are sampled: the call that spent an account's
//! window (one per window for the whole fleet while Redis counts, one per replica otherwise),
//! and the first wrong secret per access key and second on each replica. The metrics count every
//! refusal. They take no reservation: the call is refused whether or not its event is kept, and
//! an event that finds the queue full is dropped and counted.

use std::{sync::Arc, time::Duration};

use identity_domain::{AccountId, AuditEntry, AuditOutcome, Clock};
use identity_store::QueuedAuditEvent;

use super::{AuditLog, current_trace_id};

/// How often a wrong secret for one access key is recorded, at most (per replica).
const BAD_SECRET_EVERY: Duration = Duration::from_secs(1);
/// Longest RPC name recorded; longer or odd ones (the path comes from the network, and unknown
/// methods are refused only after authentication) are recorded as [`UNKNOWN_RPC`].
const MAX_RPC_NAME: usize = 64;
const UNKNOWN_RPC: &str = "UnknownOperation";

/// Records the refusals the layers in front of the service make.
#[derive(Debug)]
pub struct EdgeAudit {
    log: AuditLog,
    clock: Arc<dyn Clock>,
    /// Access keys whose wrong secret was recorded within [`BAD_SECRET_EVERY`].
    bad_secrets: moka::future::Cache<String, ()>,
}

impl EdgeAudit {
    /// Recording into `log`, timed by `clock`.
    pub fn new(log: AuditLog, clock: Arc<dyn Clock>) -> Self {
        let bad_secrets = moka::future::Cache::builder().max_capacity(100_000).time_to_live(BAD_SECRET_EVERY).build();
        Self { log, clock, bad_secrets }
    }

    /// A call to `path` by `access_key_id`, refused as the one that spent `account`'s window.
    pub fn throttled(&self, account: &AccountId, access_key_id: &str, path: &str) {
        self.record(account, access_key_id, path, "ThrottlingException");
    }

    /// A call to `path` presenting `account`'s access key `access_key_id` with a wrong secret:
    /// recorded unless one was within the last second.
    pub async fn bad_secret(&self, account: &AccountId, access_key_id: &str, path: &str) {
        if self.bad_secrets.entry(access_key_id.to_owned()).or_insert(()).await.is_fresh() {
            tracing::warn!(account = %account, access_key_id, "a wrong secret was presented for an access key");
            self.record(account, access_key_id, path, "UnauthorizedException");
        }
    }

    fn record(&self, account: &AccountId, access_key_id: &str, path: &str, reason: &str) {
        let entry = AuditEntry {
            access_key_id: access_key_id.to_owned(),
            outcome: AuditOutcome::Denied,
            error_reason: reason.to_owned(),
            ..AuditEntry::success(rpc_name(path))
        };
        let principal = format!("access-key:{access_key_id}");
        match QueuedAuditEvent::new(self.clock.now_millis(), principal, current_trace_id(), entry) {
            Ok(event) => self.log.push_unreserved(account, event),
            Err(e) => tracing::error!(error = %e, "audit event id unavailable: event not recorded"),
        }
    }
}

/// The method name of a gRPC `path` (`/package.Service/Method`), when it looks like one.
fn rpc_name(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some((_, name))
            if !name.is_empty() && name.len() <= MAX_RPC_NAME && name.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            name
        }
        _ => UNKNOWN_RPC,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_names_are_read_from_well_formed_paths_only() {
        assert_eq!(rpc_name("/agentcore.identity.v1.IdentityDataService/GetApiKeyCredential"), "GetApiKeyCredential");
        assert_eq!(rpc_name("/agentcore.identity.v1.IdentityDataService/"), UNKNOWN_RPC);
        assert_eq!(rpc_name("/agentcore.identity.v1.IdentityDataService/Get%0AKey"), UNKNOWN_RPC);
        assert_eq!(rpc_name(&format!("/s/{}", "A".repeat(65))), UNKNOWN_RPC);
        assert_eq!(rpc_name("no-slash"), UNKNOWN_RPC);
    }
}
