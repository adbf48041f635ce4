/// Why a token was refused. Each variant is one failed check; none carries any part of the
/// token, so errors may be logged and their [`reason`](Self::reason) returned to callers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// The token is longer than the configured cap; it was not parsed.
    #[error("the token is larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: usize,
    },
    /// The token is not a compact JWS with a JSON header and claims.
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not an accepted asymmetric algorithm (so never `none` or HMAC), or
    /// does not match the key's type or `alg`.
    #[error("the token's signing algorithm is not allowed")]
    AlgNotAllowed,
    /// The header has a `crit` parameter; no JWS extension is understood here.
    #[error("the token has critical header parameters, which are not supported")]
    CritUnsupported,
    /// No key of the issuer's JWKS has the token's `kid`.
    #[error("no key of the issuer has the token's key id")]
    UnknownKid,
    /// The signature does not verify with the issuer's key.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` or `iat` is in the future (beyond the leeway).
    #[error("the token is not valid yet")]
    NotYetValid,
    /// `iss` is not the issuer the discovery document announces.
    #[error("the token's issuer is not the authorizer's")]
    BadIssuer,
    /// `aud` has none of the allowed audiences.
    #[error("the token's audience is not allowed")]
    BadAudience,
    /// `client_id` / `azp` is not an allowed client.
    #[error("the token's client is not allowed")]
    ClientNotAllowed,
    /// The token has none of the allowed scopes.
    #[error("the token has none of the allowed scopes")]
    MissingScope,
    /// A claim the authorizer requires (or `exp` or `sub`) is missing or has another value.
    #[error("the token's claim {0} is missing or has another value")]
    MissingClaim(String),
    /// The discovery document could not be fetched or is not acceptable.
    #[error("OIDC discovery failed: {0}")]
    DiscoveryFailed(String),
    /// The issuer's JWKS could not be fetched or has no usable key.
    #[error("the issuer's keys are unavailable: {0}")]
    JwksUnavailable(String),
}

impl JwtError {
    /// A stable name for the failed check, for logs, metrics and error details.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::CritUnsupported => "crit_unsupported",
            Self::UnknownKid => "unknown_kid",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::BadIssuer => "bad_issuer",
            Self::BadAudience => "bad_audience",
            Self::ClientNotAllowed => "client_not_allowed",
            Self::MissingScope => "missing_scope",
            Self::MissingClaim(_) => "missing_claim",
            Self::DiscoveryFailed(_) => "discovery_failed",
            Self::JwksUnavailable(_) => "jwks_unavailable",
        }
    }

    /// Whether the failure lies with the IdP or the network rather than with the token: callers
    /// may answer "unavailable" rather than "unauthenticated".
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::DiscoveryFailed(_) | Self::JwksUnavailable(_))
    }
}
