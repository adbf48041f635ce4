use std::collections::HashMap;

use identity_domain::FieldViolation;
use identity_server::status;
use identity_store::StoreError;
use tonic::{Code, Status};

use crate::wat::WatError;

/// Why a data-plane call failed.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The request broke the API's constraints.
    #[error("invalid request")]
    Invalid(Vec<FieldViolation>),
    /// No authenticated caller reached the handler.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The caller's access key may not act for this workload, or the token is for another account.
    #[error("{0}")]
    AccessDenied(String),
    /// The workload access token was refused (`check` names why).
    #[error("invalid workload access token: {check}")]
    InvalidToken {
        /// The failed check.
        check: &'static str,
    },
    /// A user JWT was refused by the JWT authorizers (`check` names the failed check, `message`
    /// says what failed; neither holds any part of the token).
    #[error("invalid token: {message}")]
    UserTokenRefused {
        /// The failed check: the validator's reason, or `bad_subject`.
        check: &'static str,
        /// What failed.
        message: String,
    },
    /// The identity provider behind a JWT authorizer could not be reached, or served an unusable
    /// discovery document or JWKS; or a custom authorizer's endpoint did not answer in time,
    /// could not be reached or answered 5xx. The detail is logged, not returned (it may
    /// describe the network).
    #[error("the identity provider of authorizer '{authorizer}' is unavailable ({check})")]
    IdpUnavailable {
        /// The authorizer's name.
        authorizer: String,
        /// `discovery_failed` or `jwks_unavailable` (JWT); `custom_timeout`,
        /// `custom_unreachable` or `custom_bad_status` (custom).
        check: &'static str,
    },
    /// No authorizer applies: the workload names none and the account has no JWT authorizer
    /// (custom authorizers apply only where attached), so no user token can be accepted.
    #[error(
        "no authorizer applies: the account has no JWT authorizer (custom authorizers apply only to workloads \
         attached to them); create or attach one to accept user tokens"
    )]
    NoJwtAuthorizer,
    /// No such credential provider of the right type in the caller's account.
    #[error("{0}")]
    ProviderNotFound(String),
    /// The provider is not usable yet (CREATING) or failed its set-up.
    #[error("{0}")]
    ProviderNotReady(String),
    /// The provider refused or failed the token request (`code` is its OAuth2 error code).
    #[error("{message}")]
    AuthorizationFailed {
        /// The provider's error code, or ours (`provider_unreachable`, `invalid_response`).
        code: String,
        /// What happened, without any secret.
        message: String,
    },
    /// Refreshing a user's grant failed (`code`: the provider's error code, or ours); the
    /// stored grant is untouched unless the provider refused it (`invalid_grant`).
    #[error("{message}")]
    TokenRefreshFailed {
        /// Provider or internal error code.
        code: String,
        /// What happened, without any secret.
        message: String,
    },
    /// No such OAuth2 session in the caller's account.
    #[error("{0}")]
    SessionNotFound(String),
    /// Storage refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing keys failed.
    #[error("{0}")]
    Internal(String),
}

impl From<Vec<FieldViolation>> for DataError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        Self::Invalid(violations)
    }
}

impl From<WatError> for DataError {
    fn from(error: WatError) -> Self {
        match error {
            WatError::Invalid(check) => Self::InvalidToken { check },
            WatError::Store(e) => Self::Store(e),
            WatError::Key(e) => Self::Internal(e),
        }
    }
}

impl From<DataError> for Status {
    fn from(error: DataError) -> Self {
        match error {
            DataError::Invalid(violations) => status::validation(&violations),
            DataError::Unauthenticated => status::unauthenticated("authentication required"),
            DataError::AccessDenied(message) => status::access_denied(message),
            DataError::InvalidToken { check } => status::with_reason(
                Code::Unauthenticated,
                "InvalidToken",
                format!("invalid workload access token: it {check}"),
                HashMap::from([("check".to_owned(), check.to_owned())]),
            ),
            DataError::UserTokenRefused { check, message } => status::with_reason(
                Code::Unauthenticated,
                "InvalidToken",
                format!("invalid token: {message}"),
                HashMap::from([("check".to_owned(), check.to_owned())]),
            ),
            DataError::IdpUnavailable { authorizer, check } => status::with_reason(
                Code::Unavailable,
                "ServiceUnavailableException",
                format!("the identity provider of authorizer '{authorizer}' is unavailable ({check}); retry later"),
                HashMap::from([("check".to_owned(), check.to_owned()), ("authorizer".to_owned(), authorizer)]),
            ),
            error @ DataError::NoJwtAuthorizer => status::failed_precondition(error.to_string()),
            DataError::ProviderNotFound(message) => {
                status::with_reason(Code::NotFound, "ProviderNotFound", message, HashMap::new())
            }
            DataError::ProviderNotReady(message) => status::failed_precondition(message),
            DataError::AuthorizationFailed { code, message } => status::with_reason(
                Code::FailedPrecondition,
                "AuthorizationFailed",
                message,
                HashMap::from([("provider_error".to_owned(), code)]),
            ),
            DataError::SessionNotFound(message) => status::not_found(message),
            DataError::TokenRefreshFailed { code, message } => status::with_reason(
                if code == "provider_unreachable" || code == "refresh_in_progress" {
                    Code::Unavailable
                } else {
                    Code::FailedPrecondition
                },
                "TokenRefreshFailed",
                message,
                HashMap::from([("provider_error".to_owned(), code)]),
            ),
            DataError::Store(error) => status::from_store(error),
            DataError::Internal(cause) => status::internal(&cause),
        }
    }
}
