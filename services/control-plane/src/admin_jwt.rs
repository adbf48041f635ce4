//! Admin JWTs: besides admin tokens, the control plane accepts a JWT from one configured issuer
//! (the operators' IdP), checked by the one validator ([`identity_authn::JwtValidator`], through
//! the outbound policy) against an audience and/or client list and a scope. The account it
//! administers comes from a claim (`ADMIN_JWT_ACCOUNT_CLAIM`, default `account_id`) that must
//! hold a 12-digit account id, or is fixed for every such token (`ADMIN_JWT_ACCOUNT`, for an IdP
//! that cannot add claims). A token without a usable account is refused: it never falls back to
//! the default account. The claim is the tenant boundary, so a scope is required with it: the
//! IdP grants the scope to operators only (and the claim must be one users cannot write).

use identity_authn::{AuthorizerPolicy, JwtError, JwtValidator, ValidatedToken};
use identity_domain::AccountId;
use identity_server::{AuthError, config::ConfigError};

/// The claim naming the account, unless configured otherwise.
pub const DEFAULT_ACCOUNT_CLAIM: &str = "account_id";
/// Longest `sub` kept in the principal's name (audit records name it).
const MAX_SUBJECT: usize = 128;

/// Admin JWT settings.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct AdminJwtArgs {
    /// OIDC discovery URL of the IdP whose JWTs are accepted as admin credentials (https, http
    /// to loopback only, ending with /.well-known/openid-configuration); unset: only admin tokens are.
    #[arg(long, env = "ADMIN_JWT_DISCOVERY_URL")]
    pub admin_jwt_discovery_url: Option<String>,

    /// Accepted `aud` values of admin JWTs, comma-separated (this and/or ADMIN_JWT_CLIENTS).
    #[arg(long, env = "ADMIN_JWT_AUDIENCES", default_value = "")]
    pub admin_jwt_audiences: String,

    /// Accepted `client_id` / `azp` values of admin JWTs, comma-separated.
    #[arg(long, env = "ADMIN_JWT_CLIENTS", default_value = "")]
    pub admin_jwt_clients: String,

    /// Scopes of which an admin JWT must carry one, comma-separated; required unless
    /// ADMIN_JWT_ACCOUNT is set.
    #[arg(long, env = "ADMIN_JWT_SCOPES", default_value = "")]
    pub admin_jwt_scopes: String,

    /// The claim holding the 12-digit account an admin JWT administers (default `account_id`).
    #[arg(long, env = "ADMIN_JWT_ACCOUNT_CLAIM")]
    pub admin_jwt_account_claim: Option<String>,

    /// A fixed account every admin JWT administers, instead of a claim.
    #[arg(long, env = "ADMIN_JWT_ACCOUNT")]
    pub admin_jwt_account: Option<String>,
}

/// Where an admin JWT's account comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountSource {
    /// This claim, which must hold an account id.
    Claim(String),
    /// Always this account.
    Fixed(AccountId),
}

/// Validated admin JWT settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminJwtConfig {
    /// What a token must satisfy.
    pub policy: AuthorizerPolicy,
    /// Where its account comes from.
    pub account: AccountSource,
}

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl AdminJwtArgs {
    /// Validates the settings: `None` when admin JWTs are off.
    pub fn resolve(&self) -> Result<Option<AdminJwtConfig>, ConfigError> {
        let Some(discovery_url) = &self.admin_jwt_discovery_url else {
            let stray = !self.admin_jwt_audiences.is_empty()
                || !self.admin_jwt_clients.is_empty()
                || !self.admin_jwt_scopes.is_empty()
                || self.admin_jwt_account_claim.is_some()
                || self.admin_jwt_account.is_some();
            if stray {
                return Err(ConfigError("ADMIN_JWT_* settings need ADMIN_JWT_DISCOVERY_URL".to_owned()));
            }
            return Ok(None);
        };
        // The same rule as a JWT authorizer's discovery URL: https (http for loopback only),
        // ending with /.well-known/openid-configuration.
        let mut v = identity_domain::Violations::default();
        v.oidc_discovery_url("ADMIN_JWT_DISCOVERY_URL", discovery_url);
        if let Err(violations) = v.finish() {
            let why: Vec<String> = violations.iter().map(|v| format!("{} {}", v.field, v.description)).collect();
            return Err(ConfigError(why.join("; ")));
        }
        let policy = AuthorizerPolicy {
            discovery_url: discovery_url.clone(),
            allowed_audiences: list(&self.admin_jwt_audiences),
            allowed_clients: list(&self.admin_jwt_clients),
            allowed_scopes: list(&self.admin_jwt_scopes),
            ..AuthorizerPolicy::default()
        };
        if policy.allowed_audiences.is_empty() && policy.allowed_clients.is_empty() {
            return Err(ConfigError(
                "ADMIN_JWT_AUDIENCES or ADMIN_JWT_CLIENTS is required with ADMIN_JWT_DISCOVERY_URL".to_owned(),
            ));
        }
        let from_claim = self.admin_jwt_account.is_none();
        // The claim is the tenant boundary: without a required scope, any user of the IdP with a
        // token for the audience or client would administer the account their claim names.
        if from_claim && policy.allowed_scopes.is_empty() {
            return Err(ConfigError(
                "ADMIN_JWT_SCOPES is required when the account comes from a claim (ADMIN_JWT_ACCOUNT unset)".to_owned(),
            ));
        }
        let account = match (&self.admin_jwt_account_claim, &self.admin_jwt_account) {
            (Some(_), Some(_)) => {
                return Err(ConfigError("set ADMIN_JWT_ACCOUNT_CLAIM or ADMIN_JWT_ACCOUNT, not both".to_owned()));
            }
            (_, Some(account)) => AccountSource::Fixed(
                AccountId::parse(account).map_err(|e| ConfigError(format!("ADMIN_JWT_ACCOUNT: {e}")))?,
            ),
            (Some(claim), None) if claim.trim().is_empty() => {
                return Err(ConfigError("ADMIN_JWT_ACCOUNT_CLAIM must name a claim".to_owned()));
            }
            (claim, None) => AccountSource::Claim(claim.clone().unwrap_or_else(|| DEFAULT_ACCOUNT_CLAIM.to_owned())),
        };
        Ok(Some(AdminJwtConfig { policy, account }))
    }
}

/// Checks admin JWTs.
#[derive(Clone, Debug)]
pub struct AdminJwt {
    config: AdminJwtConfig,
    validator: JwtValidator,
}

impl AdminJwt {
    /// Checks tokens against `config` with `validator`.
    pub fn new(config: AdminJwtConfig, validator: JwtValidator) -> Self {
        Self { config, validator }
    }

    /// Whether `token` is shaped like a JWT (three dot-separated parts), not an admin token.
    pub fn looks_like_jwt(token: &str) -> bool {
        token.bytes().filter(|b| *b == b'.').count() == 2
    }

    /// The account and principal name of a valid admin JWT.
    pub async fn authenticate(&self, token: &str) -> Result<(AccountId, String), AuthError> {
        let validated = self.validator.validate(token, &self.config.policy).await.map_err(|e| refusal(&e))?;
        let account = self.account_of(&validated)?;
        let subject: String = validated.subject.chars().take(MAX_SUBJECT).collect();
        Ok((account, format!("jwt:{subject}")))
    }

    fn account_of(&self, token: &ValidatedToken) -> Result<AccountId, AuthError> {
        match &self.config.account {
            AccountSource::Fixed(account) => Ok(account.clone()),
            AccountSource::Claim(claim) => token
                .claims
                .get(claim)
                .and_then(|value| value.as_str())
                .and_then(|value| AccountId::parse(value).ok())
                .ok_or(AuthError::Unauthenticated(
                    "admin JWT refused: its account claim is missing or not an account id",
                )),
        }
    }
}

/// What the caller is told: the failed check, never the token; UNAVAILABLE (retry) when the
/// issuer's discovery document or keys cannot be had.
fn refusal(error: &JwtError) -> AuthError {
    let refused = match error {
        JwtError::TooLarge { .. } => "admin JWT refused: too large",
        JwtError::Malformed(_) => "admin JWT refused: malformed",
        JwtError::AlgNotAllowed => "admin JWT refused: signing algorithm not allowed",
        JwtError::CritUnsupported => "admin JWT refused: critical header parameters are not supported",
        JwtError::UnknownKid => "admin JWT refused: unknown signing key",
        JwtError::BadSignature => "admin JWT refused: bad signature",
        JwtError::Expired => "admin JWT refused: expired",
        JwtError::NotYetValid => "admin JWT refused: not valid yet",
        JwtError::BadIssuer => "admin JWT refused: wrong issuer",
        JwtError::BadAudience => "admin JWT refused: audience not allowed",
        JwtError::ClientNotAllowed => "admin JWT refused: client not allowed",
        JwtError::MissingScope => "admin JWT refused: no allowed scope",
        JwtError::MissingClaim(_) => "admin JWT refused: a required claim is missing",
        JwtError::DiscoveryFailed(_) | JwtError::JwksUnavailable(_) => {
            return AuthError::Unavailable(format!("admin JWT issuer: {error}"));
        }
    };
    AuthError::Unauthenticated(refused)
}

#[cfg(test)]
mod tests;
