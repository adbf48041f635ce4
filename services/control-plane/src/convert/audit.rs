use identity_domain::{AuditEntry, AuditFilter, AuditOutcome, AuditRecord, FieldViolation, PageRequest, Violations};
use identity_proto::v1 as pb;

use super::timestamp;

/// Page size when a caller asks for none.
const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page a caller may ask for.
const MAX_PAGE_SIZE: u32 = 1_000;

/// A validated ListAuditEvents request. The user filter is still the user id: its hash depends
/// on the caller's account.
#[derive(Debug)]
pub struct AuditListRequest {
    pub filter: AuditFilter,
    pub user_id: String,
    pub after: u64,
    pub limit: u32,
}

fn millis(v: &mut Violations, field: &str, value: Option<prost_types::Timestamp>) -> Option<i64> {
    let value = value?;
    if !(0..1_000_000_000).contains(&value.nanos) {
        v.add(field, "nanos must be between 0 and 999999999");
        return None;
    }
    match value.seconds.checked_mul(1_000).and_then(|s| s.checked_add(i64::from(value.nanos / 1_000_000))) {
        Some(millis) => Some(millis),
        None => {
            v.add(field, "timestamp out of range");
            None
        }
    }
}

impl TryFrom<pb::ListAuditEventsRequest> for AuditListRequest {
    type Error = Vec<FieldViolation>;

    fn try_from(request: pb::ListAuditEventsRequest) -> Result<Self, Self::Error> {
        let pb::ListAuditEventsRequest {
            start_time,
            end_time,
            event_name,
            workload_name,
            credential_provider_name,
            user_id,
            outcome,
            max_results,
            next_token,
        } = request;
        let mut v = Violations::default();
        let start_time = millis(&mut v, "start_time", start_time);
        let end_time = millis(&mut v, "end_time", end_time);
        if let (Some(start), Some(end)) = (start_time, end_time)
            && start >= end
        {
            v.add("end_time", "end_time must be after start_time");
        }
        for (field, value) in [
            ("event_name", &event_name),
            ("workload_name", &workload_name),
            ("credential_provider_name", &credential_provider_name),
            ("user_id", &user_id),
        ] {
            if value.len() > 255 {
                v.add(field, "at most 255 characters");
            }
        }
        let outcome = match pb::AuditEventOutcome::try_from(outcome) {
            Ok(pb::AuditEventOutcome::Unspecified) => None,
            Ok(pb::AuditEventOutcome::Success) => Some(AuditOutcome::Success),
            Ok(pb::AuditEventOutcome::Denied) => Some(AuditOutcome::Denied),
            Ok(pb::AuditEventOutcome::Failure) => Some(AuditOutcome::Failure),
            Err(_) => {
                v.add("outcome", "unknown outcome");
                None
            }
        };
        let limit = match max_results {
            0 => DEFAULT_PAGE_SIZE,
            n if n >= 1 && n as u32 <= MAX_PAGE_SIZE => n as u32,
            _ => {
                v.add("max_results", format!("max_results must be between 1 and {MAX_PAGE_SIZE}"));
                0
            }
        };
        // Tokens carry the last sequence number seen, in the same envelope as other listings.
        let after = match PageRequest::from_wire(0, &next_token).map(|p| p.after.map(|a| a.parse::<u64>())) {
            Ok(None) => 0,
            Ok(Some(Ok(after))) => after,
            _ => {
                v.add("next_token", "next_token is not a token this service issued");
                0
            }
        };
        v.finish()?;
        Ok(Self {
            filter: AuditFilter {
                start_time,
                end_time,
                event_name,
                workload_name,
                provider_name: credential_provider_name,
                user_hash: String::new(),
                outcome,
            },
            user_id,
            after,
            limit,
        })
    }
}

/// A stored audit record on the wire, with everything needed to recompute its hash.
pub fn audit_to_wire(record: AuditRecord) -> pb::AuditEvent {
    let AuditRecord { account_id, sequence, event_id, event_time, principal, trace_id, entry, previous_hash, hash } =
        record;
    let AuditEntry {
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
    pb::AuditEvent {
        event_id,
        sequence_number: i64::try_from(sequence).unwrap_or(i64::MAX),
        event_time: Some(timestamp(event_time)),
        event_name,
        account_id,
        principal,
        access_key_id,
        workload_name,
        credential_provider_name: provider_name,
        resource_arn,
        user_hash,
        oauth2_flow,
        scopes,
        outcome: match outcome {
            AuditOutcome::Success => pb::AuditEventOutcome::Success,
            AuditOutcome::Denied => pb::AuditEventOutcome::Denied,
            AuditOutcome::Failure => pb::AuditEventOutcome::Failure,
        } as i32,
        error_reason,
        trace_id,
        previous_hash,
        hash,
    }
}
