use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use super::*;

#[test]
fn a_status_reads_as_code_reason_and_message() {
    let details = ErrorDetails::with_error_info("ResourceNotFoundException", "agentcore.identity", HashMap::new());
    let status = Status::with_error_details(Code::NotFound, "credential provider 'x' not found", details);
    assert_eq!(
        CliError::Rpc(Box::new(status)).to_string(),
        "NOT_FOUND (ResourceNotFoundException): credential provider 'x' not found"
    );
}

#[test]
fn field_violations_are_listed_inline() {
    let mut details = ErrorDetails::with_error_info("ValidationException", "agentcore.identity", HashMap::new());
    details.add_bad_request_violation("name", "must be 1 to 128 characters");
    details.add_bad_request_violation("tenant", "required for okta");
    let status = Status::with_error_details(Code::InvalidArgument, "invalid request", details);
    assert_eq!(
        describe_status(&status),
        "INVALID_ARGUMENT (ValidationException): invalid request: name: must be 1 to 128 characters; tenant: required for okta"
    );
}

#[test]
fn a_bare_status_and_a_multi_line_message_stay_on_one_line() {
    assert_eq!(describe_status(&Status::unauthenticated("")), "UNAUTHENTICATED");
    let line = describe_status(&Status::internal("first\nsecond"));
    assert_eq!(line, "INTERNAL: first second");
}

#[test]
fn exit_codes_separate_usage_from_failure() {
    assert_eq!(CliError::usage("x").exit_code(), ExitCode::from(EXIT_USAGE));
    assert_eq!(CliError::Rpc(Box::new(Status::not_found("x"))).exit_code(), ExitCode::from(EXIT_FAILURE));
    let unreachable =
        CliError::Unreachable { plane: "control plane", endpoint: "http://h:1".into(), cause: "refused".into() };
    assert_eq!(unreachable.exit_code(), ExitCode::from(EXIT_FAILURE));
    assert_eq!(unreachable.to_string(), "cannot reach the control plane at http://h:1: refused");
    let unreachable =
        CliError::Unreachable { plane: "data plane", endpoint: "http://h:2".into(), cause: "refused".into() };
    assert_eq!(unreachable.to_string(), "cannot reach the data plane at http://h:2: refused");
}

#[test]
fn an_invalid_token_error_names_its_reason() {
    let metadata = HashMap::from([("check".to_owned(), "expired".to_owned())]);
    let details = ErrorDetails::with_error_info("InvalidToken", "agentcore.identity", metadata);
    let status =
        Status::with_error_details(Code::Unauthenticated, "invalid workload access token: it expired", details);
    assert_eq!(describe_status(&status), "UNAUTHENTICATED (InvalidToken): invalid workload access token: it expired");
}

#[test]
fn a_server_sent_unavailable_is_not_a_connection_failure() {
    let err = CliError::from_status("control plane", "http://h:1", Status::unavailable("draining"));
    assert_eq!(err.to_string(), "UNAVAILABLE: draining");
}

#[test]
fn the_cause_chain_skips_repeats() {
    #[derive(Debug, thiserror::Error)]
    #[error("transport error")]
    struct Outer(#[source] std::io::Error);
    let err = Outer(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"));
    assert_eq!(cause_chain(&err), "transport error: connection refused");
}
