use identity_domain::FieldViolation;
use identity_server::status;
use identity_store::StoreError;
use tonic::Status;

/// Why a control-plane call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request broke the API's constraints.
    #[error("invalid request")]
    Invalid(Vec<FieldViolation>),
    /// The request is well-formed but not applicable to the resource as it is.
    #[error("{0}")]
    Precondition(String),
    /// No authenticated principal reached the handler.
    #[error("unauthenticated")]
    Unauthenticated,
    /// Storage refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Vec<FieldViolation>> for ServiceError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::Invalid(violations)
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(violations) => status::validation(&violations),
            ServiceError::Precondition(message) => status::failed_precondition(message),
            ServiceError::Unauthenticated => status::unauthenticated("authentication required"),
            ServiceError::Store(error) => match error {
                StoreError::NotFound { .. } => status::not_found(error.to_string()),
                StoreError::Conflict { .. } => status::conflict(error.to_string()),
                StoreError::QuotaExceeded { .. } => status::quota_exceeded(error.to_string()),
                StoreError::Database(sqlx_error) => match sqlx_error {
                    // The database is unreachable or saturated: the caller may retry.
                    sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                        status::unavailable(&sqlx_error)
                    }
                    other => status::internal(&other),
                },
                StoreError::Url(_)
                | StoreError::NotMigrated { .. }
                | StoreError::Corrupt(_)
                | StoreError::Crypto(_)
                | StoreError::Migrate(_) => status::internal(&error),
            },
        }
    }
}
