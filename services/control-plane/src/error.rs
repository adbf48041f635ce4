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
            ServiceError::Store(error) => status::from_store(error),
        }
    }
}
