use identity_domain::{AuditEntry, AuditRecord};

use super::*;

fn chain(n: u64) -> Vec<AuditRecord> {
    let mut previous = String::new();
    (1..=n)
        .map(|sequence| {
            let mut record = AuditRecord {
                account_id: "111111111111".to_owned(),
                sequence,
                event_id: format!("ev-{sequence}"),
                event_time: 1_000 + sequence as i64,
                principal: "admin:bootstrap".to_owned(),
                trace_id: String::new(),
                entry: AuditEntry {
                    workload_name: "agent".to_owned(),
                    ..AuditEntry::success("CreateWorkloadIdentity")
                },
                previous_hash: previous.clone(),
                hash: String::new(),
            };
            record.hash = audit_hash(&record);
            previous.clone_from(&record.hash);
            record
        })
        .collect()
}

fn verify(records: &[AuditRecord]) -> VerifyReport {
    let mut verifier = ChainVerifier::new();
    for r in records {
        verifier.push(r);
    }
    verifier.finish()
}

#[test]
fn an_intact_chain_verifies() {
    assert_eq!(verify(&chain(5)), VerifyReport { checked: 5, first_broken: None });
    assert_eq!(verify(&[]), VerifyReport { checked: 0, first_broken: None });
}

#[test]
fn altered_deleted_and_reordered_records_are_found() {
    let mut altered = chain(5);
    altered[2].principal = "someone-else".to_owned();
    assert_eq!(verify(&altered).first_broken, Some(ChainBreak { sequence: 3, reason: ChainBreakReason::HashMismatch }));

    let mut deleted = chain(5);
    deleted.remove(2);
    assert_eq!(verify(&deleted).first_broken, Some(ChainBreak { sequence: 4, reason: ChainBreakReason::SequenceGap }));

    let mut rehashed = chain(5);
    rehashed[1].entry.scopes = vec!["x".to_owned()];
    rehashed[1].hash = audit_hash(&rehashed[1]);
    assert_eq!(
        verify(&rehashed).first_broken,
        Some(ChainBreak { sequence: 3, reason: ChainBreakReason::PreviousHashMismatch })
    );
}

#[test]
fn field_boundaries_are_unambiguous() {
    let mut a = chain(1).remove(0);
    let mut b = a.clone();
    a.entry.workload_name = "ab".to_owned();
    a.entry.provider_name = "c".to_owned();
    b.entry.workload_name = "a".to_owned();
    b.entry.provider_name = "bc".to_owned();
    assert_ne!(audit_hash(&a), audit_hash(&b));
}
