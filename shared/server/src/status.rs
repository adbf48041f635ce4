//! Errors as gRPC statuses: a code, a message safe to show, and `google.rpc.ErrorInfo` whose
//! `reason` is the AgentCore exception name (plus `BadRequest` field violations for validation).
//! Internal failures are logged with an id and answered with only that id.

use std::{collections::HashMap, fmt::Display};

use identity_domain::FieldViolation;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// `ErrorInfo.domain` of every error this service returns.
pub const ERROR_DOMAIN: &str = "identity.agentcore";

/// A status with `ErrorInfo { reason, domain, metadata }`.
pub fn with_reason(code: Code, reason: &str, message: impl Into<String>, metadata: HashMap<String, String>) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

/// `INVALID_ARGUMENT` / `ValidationException` with one `BadRequest` violation per field.
pub fn validation(violations: &[FieldViolation]) -> Status {
    let mut details = ErrorDetails::with_error_info("ValidationException", ERROR_DOMAIN, HashMap::new());
    for v in violations {
        details.add_bad_request_violation(v.field.clone(), v.description.clone());
    }
    let summary = violations.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ");
    Status::with_error_details(Code::InvalidArgument, format!("invalid request: {summary}"), details)
}

/// `NOT_FOUND` / `ResourceNotFoundException`.
pub fn not_found(message: impl Into<String>) -> Status {
    with_reason(Code::NotFound, "ResourceNotFoundException", message, HashMap::new())
}

/// `ALREADY_EXISTS` / `ConflictException`.
pub fn conflict(message: impl Into<String>) -> Status {
    with_reason(Code::AlreadyExists, "ConflictException", message, HashMap::new())
}

/// `RESOURCE_EXHAUSTED` / `ServiceQuotaExceededException`.
pub fn quota_exceeded(message: impl Into<String>) -> Status {
    with_reason(Code::ResourceExhausted, "ServiceQuotaExceededException", message, HashMap::new())
}

/// A status with `ErrorInfo { reason }` and `RetryInfo { retry_delay: retry_after }`: the caller
/// may try again after that delay.
pub fn retry_later(code: Code, reason: &str, message: impl Into<String>, retry_after: std::time::Duration) -> Status {
    let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::new());
    details.set_retry_info(Some(retry_after));
    Status::with_error_details(code, message, details)
}

/// `RESOURCE_EXHAUSTED` / `ThrottlingException` with `RetryInfo`: the caller's account sent more
/// requests than its rate allows; `retry_after` is when its next window opens.
pub fn throttled(message: impl Into<String>, retry_after: std::time::Duration) -> Status {
    retry_later(Code::ResourceExhausted, "ThrottlingException", message, retry_after)
}

/// `UNAUTHENTICATED` / `UnauthorizedException`.
pub fn unauthenticated(message: impl Into<String>) -> Status {
    with_reason(Code::Unauthenticated, "UnauthorizedException", message, HashMap::new())
}

/// `PERMISSION_DENIED` / `AccessDeniedException`.
pub fn access_denied(message: impl Into<String>) -> Status {
    with_reason(Code::PermissionDenied, "AccessDeniedException", message, HashMap::new())
}

/// `FAILED_PRECONDITION` / `ValidationException`, for requests valid in form but not in state
/// (e.g. changing a provider's type).
pub fn failed_precondition(message: impl Into<String>) -> Status {
    with_reason(Code::FailedPrecondition, "ValidationException", message, HashMap::new())
}

/// `INTERNAL` / `InternalServerException`: logs `cause` with a fresh id and returns only the id.
pub fn internal(cause: &dyn Display) -> Status {
    let id = identity_crypto::random_token(9).unwrap_or_else(|_| "unavailable".to_owned());
    tracing::error!(error_id = %id, error = %cause, "internal error");
    let metadata = HashMap::from([("error_id".to_owned(), id.clone())]);
    with_reason(Code::Internal, "InternalServerException", format!("internal error (id {id})"), metadata)
}

/// `UNAVAILABLE` / `ServiceUnavailableException`: a dependency (database) is down; retry later.
pub fn unavailable(cause: &dyn Display) -> Status {
    let id = identity_crypto::random_token(9).unwrap_or_else(|_| "unavailable".to_owned());
    tracing::warn!(error_id = %id, error = %cause, "dependency unavailable");
    let metadata = HashMap::from([("error_id".to_owned(), id.clone())]);
    with_reason(
        Code::Unavailable,
        "ServiceUnavailableException",
        format!("service unavailable, retry (id {id})"),
        metadata,
    )
}

/// A storage error as a status: not-found, conflict, quota and validation map to their AgentCore reasons;
/// an unreachable database is `UNAVAILABLE` (retry); anything else is internal (logged, id only).
pub fn from_store(error: identity_store::StoreError) -> Status {
    use identity_store::StoreError;
    match error {
        StoreError::NotFound { .. } => not_found(error.to_string()),
        StoreError::Conflict { .. } => conflict(error.to_string()),
        StoreError::InUse { ref used_by, .. } => {
            let used_by = used_by.join(",");
            with_reason(
                Code::FailedPrecondition,
                "ConflictException",
                error.to_string(),
                HashMap::from([("workload_identities".to_owned(), used_by)]),
            )
        }
        StoreError::QuotaExceeded { .. } => quota_exceeded(error.to_string()),
        StoreError::Invalid(violations) => validation(&violations),
        StoreError::Database(sqlx_error) => match sqlx_error {
            // The database is unreachable or saturated: the caller may retry.
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => unavailable(&sqlx_error),
            other => internal(&other),
        },
        StoreError::Url(_)
        | StoreError::NotMigrated { .. }
        | StoreError::Corrupt(_)
        | StoreError::Crypto(_)
        | StoreError::Migrate(_) => internal(&error),
    }
}
