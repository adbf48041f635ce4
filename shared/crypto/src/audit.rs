//! The audit log's hash chain, in one place for the store (which writes and verifies it) and
//! for clients that verify what `ListAuditEvents` returns.
//!
//! A record's hash is the hex SHA-256 of a canonical encoding of every field, including the
//! previous record's hash: each field as its byte length (8 bytes, big-endian) followed by its
//! bytes, numbers as 8 big-endian bytes, a list as its length followed by its items. Length
//! prefixes make the encoding injective, so no two different records encode alike.
//!
//! What the chain detects: a record altered in place (its hash no longer matches), a record
//! deleted from the middle (a sequence gap, and the next record's `previous_hash` no longer
//! matches), records reordered. What it cannot detect on its own: records cut off the end of
//! the log (the shorter log is a valid chain), and a whole log rewritten by someone able to
//! recompute every hash (there is no secret in the chain). Anchoring the latest hash outside
//! the database (e.g. exporting it periodically) closes both gaps.

use identity_domain::AuditRecord;

use crate::sha256_hex;

/// Version tag at the start of every encoding, so the scheme can change without ambiguity.
const DOMAIN: &str = "agentcore-identity-audit-v1";

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn push_str(out: &mut Vec<u8>, value: &str) {
    push_bytes(out, value.as_bytes());
}

/// The canonical encoding of `record` that [`audit_hash`] hashes (its own `hash` excluded).
pub fn audit_canonical_bytes(record: &AuditRecord) -> Vec<u8> {
    let AuditRecord { account_id, sequence, event_id, event_time, principal, trace_id, entry, previous_hash, hash: _ } =
        record;
    let identity_domain::AuditEntry {
        event_name,
        access_key_id,
        workload_name,
        provider_name,
        user_hash,
        resource_arn,
        oauth2_flow,
        scopes,
        outcome,
        error_reason,
    } = entry;
    let mut out = Vec::with_capacity(512);
    push_str(&mut out, DOMAIN);
    push_str(&mut out, account_id);
    out.extend_from_slice(&sequence.to_be_bytes());
    push_str(&mut out, event_id);
    out.extend_from_slice(&event_time.to_be_bytes());
    push_str(&mut out, event_name);
    push_str(&mut out, principal);
    push_str(&mut out, access_key_id);
    push_str(&mut out, workload_name);
    push_str(&mut out, provider_name);
    push_str(&mut out, user_hash);
    push_str(&mut out, resource_arn);
    push_str(&mut out, oauth2_flow);
    out.extend_from_slice(&(scopes.len() as u64).to_be_bytes());
    for scope in scopes {
        push_str(&mut out, scope);
    }
    push_str(&mut out, outcome.as_str());
    push_str(&mut out, error_reason);
    push_str(&mut out, trace_id);
    push_str(&mut out, previous_hash);
    out
}

/// The hash a record must carry: hex SHA-256 of [`audit_canonical_bytes`].
pub fn audit_hash(record: &AuditRecord) -> String {
    sha256_hex(&audit_canonical_bytes(record))
}

/// How a user id appears in audit records and filters: a hash bound to the account, so the
/// same user in two accounts does not correlate and the id itself is never stored.
pub fn audit_user_hash(account_id: &str, user_id: &str) -> String {
    let mut out = Vec::new();
    push_str(&mut out, "agentcore-identity-audit-user-v1");
    push_str(&mut out, account_id);
    push_str(&mut out, user_id);
    sha256_hex(&out)
}

/// Why the chain is broken at a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainBreakReason {
    /// The record's sequence number does not follow the previous one: records are missing.
    SequenceGap,
    /// The record's `previous_hash` is not the previous record's hash.
    PreviousHashMismatch,
    /// The record's contents do not match its hash: it was altered.
    HashMismatch,
}

impl std::fmt::Display for ChainBreakReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::SequenceGap => "sequence gap (events missing before it)",
            Self::PreviousHashMismatch => "previous hash does not match the event before it",
            Self::HashMismatch => "contents do not match its hash (altered)",
        })
    }
}

/// The first record at which the chain does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// Sequence number of the first record that does not chain (for a gap: the record after it).
    pub sequence: u64,
    /// What is wrong with it.
    pub reason: ChainBreakReason,
}

/// Result of checking an account's chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Records checked (up to and including the first broken one).
    pub checked: u64,
    /// The first broken record, if any.
    pub first_broken: Option<ChainBreak>,
}

/// Checks records of one account, fed in sequence order and possibly in several batches.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    last_sequence: u64,
    last_hash: String,
    report: VerifyReport,
}

impl ChainVerifier {
    /// A verifier expecting the log's first record (sequence 1).
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next record; returns `false` once the chain is broken (later records are not
    /// checked, since everything after a break is suspect).
    pub fn push(&mut self, record: &AuditRecord) -> bool {
        if self.report.first_broken.is_some() {
            return false;
        }
        self.report.checked += 1;
        let reason = if record.sequence != self.last_sequence + 1 {
            Some(ChainBreakReason::SequenceGap)
        } else if record.previous_hash != self.last_hash {
            Some(ChainBreakReason::PreviousHashMismatch)
        } else if audit_hash(record) != record.hash {
            Some(ChainBreakReason::HashMismatch)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.report.first_broken = Some(ChainBreak { sequence: record.sequence, reason });
            return false;
        }
        self.last_sequence = record.sequence;
        self.last_hash.clone_from(&record.hash);
        true
    }

    /// The outcome so far.
    pub fn finish(self) -> VerifyReport {
        self.report
    }
}

#[cfg(test)]
mod tests;
