use identity_crypto::audit_hash;

use super::*;

fn chain() -> Vec<AuditEvent> {
    let mut previous = String::new();
    (1..=3)
        .map(|sequence| {
            let mut event = AuditEvent {
                event_id: format!("ev-{sequence}"),
                sequence_number: sequence,
                event_time: Some(prost_types::Timestamp { seconds: 1_767_225_600 + sequence, nanos: 5_000_000 }),
                event_name: "CreateWorkloadIdentity".to_owned(),
                account_id: "000000000000".to_owned(),
                principal: "admin:bootstrap".to_owned(),
                workload_name: format!("agent-{sequence}"),
                outcome: AuditEventOutcome::Success.into(),
                previous_hash: previous.clone(),
                ..Default::default()
            };
            event.hash = audit_hash(&to_record(&event).unwrap());
            previous.clone_from(&event.hash);
            event
        })
        .collect()
}

#[test]
fn the_wire_event_round_trips_to_the_hashed_record() {
    let events = chain();
    let record = to_record(&events[0]).unwrap();
    assert_eq!(record.event_time, 1_767_225_601_005);
    assert_eq!(verify_events(&events).unwrap(), 3);
}

#[test]
fn a_changed_or_missing_event_names_the_first_broken_sequence() {
    let mut altered = chain();
    altered[1].principal = "admin:mallory".to_owned();
    let err = verify_events(&altered).unwrap_err();
    assert!(matches!(err, CliError::AuditChainBroken { sequence: 2, checked: 2, .. }), "{err}");

    let mut missing = chain();
    missing.remove(1);
    let err = verify_events(&missing).unwrap_err();
    assert_eq!(
        err.to_string(),
        "audit chain broken at event 3: sequence gap (events missing before it) (2 events checked)"
    );

    let mut unspecified = chain();
    unspecified[0].outcome = 0;
    assert!(matches!(verify_events(&unspecified), Err(CliError::AuditChainBroken { sequence: 1, .. })));
}

#[test]
fn the_table_shows_the_resource_arn_or_else_its_name() {
    let mut events = chain();
    events[0].resource_arn = "arn:aws:bedrock-agentcore:us-east-1:000000000000:jwt-authorizer/okta".to_owned();
    let rendered = audit_table(&events[..2]).render();
    let lines: Vec<_> = rendered.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["TIME", "EVENT", "PRINCIPAL", "RESOURCE", "OUTCOME"]);
    assert!(lines[1].contains("arn:aws:bedrock-agentcore:us-east-1:000000000000:jwt-authorizer/okta"), "{rendered}");
    assert!(lines[2].contains(" agent-2 ") && lines[2].ends_with("SUCCESS"), "{rendered}");
}
