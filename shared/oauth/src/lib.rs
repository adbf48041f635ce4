//! OAuth2 client flows against credential providers: token requests shaped by each vendor's
//! profile (client authentication, scope separator, response format), responses mapped to one
//! [`TokenGrant`] (Slack's nested user token, GitHub's form-encoded replies, Twitch's scope
//! arrays), and expiry inferred where a vendor omits `expires_in`.
//!
//! Every call goes through [`identity_outbound::OutboundClient`]: SSRF-checked, bounded, no
//! redirects. Tokens and secrets are [`SecretString`]s and never appear in errors.

mod profile;
mod response;
mod revoke;
mod token;

use identity_domain::SecretString;

pub use profile::{ClientAuth, ResponseShape, VendorProfile, profile};
pub use response::parse_token_response;
pub use revoke::TokenTypeHint;
pub use token::{
    AuthorizationRequest, ClientCredentials, TOKEN_EXCHANGE_GRANT, TokenClient, TokenExchange, authorization_url,
};

/// What a token endpoint granted.
#[derive(Clone, Debug)]
pub struct TokenGrant {
    /// The access token.
    pub access_token: SecretString,
    /// `token_type`, e.g. `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds; `None` for tokens that do not expire.
    pub expires_in: Option<u64>,
    /// A refresh token, when granted.
    pub refresh_token: Option<SecretString>,
    /// Scopes granted, when the provider says.
    pub scopes: Option<Vec<String>>,
}

/// Why a token request failed. Never carries a token, secret or code.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The provider refused (`error` is its OAuth2 error code, e.g. `invalid_grant`).
    #[error("provider refused with {error} (HTTP {status})")]
    Provider {
        /// HTTP status.
        status: u16,
        /// OAuth2 `error` code.
        error: String,
        /// `error_description`, if any (the provider's words, bounded).
        description: Option<String>,
    },
    /// The provider could not be reached, or answered too slowly or too much.
    #[error(transparent)]
    Transport(#[from] identity_outbound::OutboundError),
    /// The provider answered something that is not a token response.
    #[error("provider sent an unusable token response: {0}")]
    BadResponse(String),
}

impl OAuthError {
    /// The provider's OAuth2 error code, or a code of ours for other failures.
    pub fn code(&self) -> &str {
        match self {
            Self::Provider { error, .. } => error,
            Self::Transport(_) => "provider_unreachable",
            Self::BadResponse(_) => "invalid_response",
        }
    }
}
