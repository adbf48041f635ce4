//! The audit log's records: one per control-plane mutation (and, later, per credential vend).
//! Records hold names, ids and hashes only, never a secret. They are chained per account by
//! hash (see `identity_crypto::audit_hash`), so a deleted or altered record is detectable.

use crate::UnixMillis;

/// How an audited operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditOutcome {
    /// The operation succeeded.
    Success,
    /// The operation was refused (authentication, authorization, quota or throttling).
    Denied,
    /// The operation failed.
    Failure,
}

impl AuditOutcome {
    /// Stored and hashed form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Denied => "DENIED",
            Self::Failure => "FAILURE",
        }
    }

    /// Parses the stored form.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "SUCCESS" => Some(Self::Success),
            "DENIED" => Some(Self::Denied),
            "FAILURE" => Some(Self::Failure),
            _ => None,
        }
    }
}

/// What happened, as the writer describes it; the store adds account, sequence, id, time and
/// the chain hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// The operation, by RPC name (e.g. `CreateWorkloadIdentity`).
    pub event_name: String,
    /// Id of the access key involved (the data-plane caller's, or the key a mutation changed).
    pub access_key_id: String,
    /// Workload identity involved, if any.
    pub workload_name: String,
    /// Credential provider involved, if any.
    pub provider_name: String,
    /// Hash of the user id involved, if any (never the user id).
    pub user_hash: String,
    /// ARN of the resource created, changed or deleted.
    pub resource_arn: String,
    /// OAuth 2.0 flow of a token vend, if any.
    pub oauth2_flow: String,
    /// Scopes requested or granted.
    pub scopes: Vec<String>,
    /// How the operation ended.
    pub outcome: AuditOutcome,
    /// Machine-readable reason when the outcome is not success.
    pub error_reason: String,
}

impl AuditEntry {
    /// A successful operation `event_name` with nothing else filled in.
    pub fn success(event_name: &str) -> Self {
        Self {
            event_name: event_name.to_owned(),
            access_key_id: String::new(),
            workload_name: String::new(),
            provider_name: String::new(),
            user_hash: String::new(),
            resource_arn: String::new(),
            oauth2_flow: String::new(),
            scopes: Vec::new(),
            outcome: AuditOutcome::Success,
            error_reason: String::new(),
        }
    }
}

/// One stored record of an account's audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Account whose log holds the record (12 digits).
    pub account_id: String,
    /// Position in the account's log: 1, 2, 3, … without gaps.
    pub sequence: u64,
    /// Unique id of the event.
    pub event_id: String,
    /// When the operation happened.
    pub event_time: UnixMillis,
    /// Who did it: `admin:<token name>`, `admin:bootstrap`, `system:<task>`.
    pub principal: String,
    /// OpenTelemetry trace id of the call (empty when not traced).
    pub trace_id: String,
    /// What happened.
    pub entry: AuditEntry,
    /// `hash` of the previous record of the account (empty for the first).
    pub previous_hash: String,
    /// Hash of this record's fields and `previous_hash`.
    pub hash: String,
}

/// Which records a listing returns; `None` or empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only records at or after this time.
    pub start_time: Option<UnixMillis>,
    /// Only records before this time.
    pub end_time: Option<UnixMillis>,
    /// Only this operation.
    pub event_name: String,
    /// Only this workload identity.
    pub workload_name: String,
    /// Only this credential provider.
    pub provider_name: String,
    /// Only this user hash.
    pub user_hash: String,
    /// Only this outcome.
    pub outcome: Option<AuditOutcome>,
}
