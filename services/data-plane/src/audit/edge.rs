//! Events of what happens outside [`super::Audited`]'s calls.
//!
//! The OAuth2 callback on the HTTP listener, where the user's browser returns from the provider:
//! one event per authorization session that gets there (the state is single-use, and an unknown
//! one reaches no account), with the session's workload, provider, scopes and user hash.
//!
//! Refusals made before a call reaches [`super::Audited`]: a call over its account's rate limit,
//! and an account's access key presented with a wrong secret. Both are decided in tower layers,
//! before the request is decoded, so their events name the RPC, the account and the access key,
//! but no workload, provider or user.
//!
//! A flood of refused calls must not become a flood of events (nor fill the queue that every
//! account's vends need room in), so these events are sampled: the call that spent an account's
//! window (one per window for the whole fleet while Redis counts, one per replica otherwise),
//! and the first wrong secret per account and second on each replica. The metrics count every
//! refusal. They take no reservation: the call is refused whether or not its event is kept. They
//! may fill the queue only up to [`super::EDGE_SHARE_PERCENT`], so they never take the room the
//! calls need; an event that finds no room is dropped and counted.

use std::{sync::Arc, time::Duration};

use identity_crypto::audit_user_hash;
use identity_domain::{AccountId, AuditEntry, AuditOutcome, Clock};
use identity_store::QueuedAuditEvent;

use super::{AuditLog, current_trace_id, notes::clip};
use crate::federation::Callback;

/// How often a wrong secret for one account's keys is recorded, at most (per replica).
const BAD_SECRET_EVERY: Duration = Duration::from_secs(1);
/// The service whose methods events name. The path comes from the network, and authentication
/// (and the rate limit) run before routing, so any other path is recorded as [`UNKNOWN_RPC`]:
/// a caller cannot write another operation's name (say `DeleteAccessKey`) into a log.
const DATA_SERVICE: &str = "agentcore.identity.v1.IdentityDataService/";
const UNKNOWN_RPC: &str = "UnknownOperation";
/// Event name of the user's return from the provider to the OAuth2 callback.
pub const CALLBACK_EVENT: &str = "OAuth2Callback";

/// Records what happens outside the audited calls: the OAuth2 callback, and the refusals the
/// layers in front of the service make.
#[derive(Debug)]
pub struct EdgeAudit {
    log: AuditLog,
    clock: Arc<dyn Clock>,
    /// Accounts for which a wrong secret was recorded within [`BAD_SECRET_EVERY`].
    bad_secrets: moka::future::Cache<AccountId, ()>,
}

impl EdgeAudit {
    /// Recording into `log`, timed by `clock`.
    pub fn new(log: AuditLog, clock: Arc<dyn Clock>) -> Self {
        let bad_secrets = moka::future::Cache::builder().max_capacity(100_000).time_to_live(BAD_SECRET_EVERY).build();
        Self { log, clock, bad_secrets }
    }

    /// A call to `path` by `access_key_id`, refused as the one that spent `account`'s window.
    pub fn throttled(&self, account: &AccountId, access_key_id: &str, path: &str) {
        self.record(account, access_key_id, rpc_name(path), "ThrottlingException");
    }

    /// A call to `rpc` ([`rpc_name`]) presenting `account`'s access key `access_key_id` with a
    /// wrong secret: recorded unless one for the account was within the last second (concurrent
    /// calls included: the insert is coalesced).
    pub async fn bad_secret(&self, account: &AccountId, access_key_id: &str, rpc: &'static str) {
        if self.bad_secrets.entry(account.clone()).or_insert_with(async {}).await.is_fresh() {
            tracing::warn!(account = %account, access_key_id, "a wrong secret was presented for an access key");
            self.record(account, access_key_id, rpc, "UnauthorizedException");
        }
    }

    /// A browser came back from the provider to the OAuth2 callback of a session. The principal
    /// is the session's user (by hash): the state shows the browser was the first to follow the
    /// session's authorization URL, although the `error` it brings is not the provider's word.
    pub fn callback(&self, callback: &Callback) {
        let session = &callback.session;
        let user_hash = audit_user_hash(session.account.as_str(), &session.user_id);
        let (outcome, error_reason) = match &callback.outcome {
            Ok(()) => (AuditOutcome::Success, String::new()),
            Err(failure) => (
                if failure.refused_at_provider { AuditOutcome::Denied } else { AuditOutcome::Failure },
                clip(&format!("AuthorizationFailed:{}", failure.code)),
            ),
        };
        let entry = AuditEntry {
            workload_name: clip(&session.workload_name),
            provider_name: clip(&session.provider_name),
            user_hash: user_hash.clone(),
            oauth2_flow: "USER_FEDERATION".to_owned(),
            scopes: session.scopes.iter().take(100).map(|s| clip(s)).collect(),
            outcome,
            error_reason,
            ..AuditEntry::success(CALLBACK_EVENT)
        };
        self.push(&session.account, format!("user:{user_hash}"), entry);
    }

    fn record(&self, account: &AccountId, access_key_id: &str, rpc: &str, reason: &str) {
        let entry = AuditEntry {
            access_key_id: access_key_id.to_owned(),
            outcome: AuditOutcome::Denied,
            error_reason: reason.to_owned(),
            ..AuditEntry::success(rpc)
        };
        self.push(account, format!("access-key:{access_key_id}"), entry);
    }

    fn push(&self, account: &AccountId, principal: String, entry: AuditEntry) {
        match QueuedAuditEvent::new(self.clock.now_millis(), principal, current_trace_id(), entry) {
            Ok(event) => self.log.push_unreserved(account, event),
            Err(e) => tracing::error!(error = %e, "audit event id unavailable: event not recorded"),
        }
    }
}

/// The method name of a gRPC `path`, when it is one of the data plane's RPCs (else
/// `UnknownOperation`).
pub(crate) fn rpc_name(path: &str) -> &'static str {
    identity_server::rpc_label(path).strip_prefix(DATA_SERVICE).unwrap_or(UNKNOWN_RPC)
}

#[cfg(test)]
mod tests {
    use identity_domain::ManualClock;

    use super::*;
    use crate::config::{AuditSettings, WhenAuditQueueFull};

    fn edge(capacity: usize) -> (AuditLog, EdgeAudit) {
        let settings =
            AuditSettings { capacity, when_full: WhenAuditQueueFull::Fail, flush_interval: Duration::from_millis(200) };
        let log = AuditLog::unwritten(settings);
        (log.clone(), EdgeAudit::new(log, Arc::new(ManualClock::new(1_790_000_000_000))))
    }

    const PATH: &str = "/agentcore.identity.v1.IdentityDataService/GetApiKeyCredential";

    /// A burst of wrong secrets, for many keys of one account and all at once: one event for
    /// the account; another account has its own.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wrong_secrets_are_sampled_per_account_even_when_concurrent() {
        let (log, edge) = edge(1000);
        let edge = Arc::new(edge);
        let (a, b) = (AccountId::parse("111111111111").unwrap(), AccountId::parse("222222222222").unwrap());
        let burst: Vec<_> = (0..200)
            .map(|n| {
                let (edge, a) = (edge.clone(), a.clone());
                tokio::spawn(async move { edge.bad_secret(&a, &format!("AKIAKEY{n:013}"), rpc_name(PATH)).await })
            })
            .collect();
        for call in burst {
            call.await.unwrap();
        }
        assert_eq!(log.depth(), 1);
        edge.bad_secret(&b, "AKIAOTHEROTHEROTHERO", rpc_name(PATH)).await;
        assert_eq!(log.depth(), 2);
    }

    /// Refusals fill at most 90% of the queue: the calls still find room.
    #[tokio::test]
    async fn refusals_leave_room_for_the_calls() {
        let (log, edge) = edge(10);
        for n in 0..20 {
            edge.throttled(&AccountId::parse(&format!("{:012}", 100_000_000_000u64 + n)).unwrap(), "AKIAKEY", PATH);
        }
        assert_eq!((log.depth(), log.dropped()), (9, 11));
        assert!(log.reserve(1).is_ok(), "a call still has room");
    }

    #[test]
    fn only_the_data_planes_rpcs_are_named() {
        assert_eq!(rpc_name("/agentcore.identity.v1.IdentityDataService/GetApiKeyCredential"), "GetApiKeyCredential");
        for path in [
            "/agentcore.identity.v1.IdentityDataService/",
            "/agentcore.identity.v1.IdentityDataService/Get%0AKey",
            "/agentcore.identity.v1.IdentityDataService/DeleteAccessKey",
            "/agentcore.identity.v1.AccessKeyService/DeleteAccessKey",
            "/x/GetApiKeyCredential",
            "no-slash",
        ] {
            assert_eq!(rpc_name(path), UNKNOWN_RPC, "{path}");
        }
    }
}
