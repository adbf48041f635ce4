//! Domain types of the identity service: accounts and ARNs, the resources the control plane
//! manages, their validation rules (AgentCore's constraints), pagination, secrets and
//! users' grants as stored.
//!
//! This crate depends on nothing of ours and reads no clock: callers pass `now` in, so expiry
//! and rotation logic is deterministic under test.

mod account;
mod audit;
mod clock;
mod grant;
mod page;
mod resources;
mod secret;
pub mod validate;
mod vendor;

pub use account::{AccountId, Arns, DEFAULT_ACCOUNT, DEFAULT_REGION};
pub use audit::{AuditEntry, AuditFilter, AuditOutcome, AuditRecord};
pub use clock::{Clock, ManualClock};
pub use grant::StoredGrant;
pub use page::{Page, PageRequest, PageTokenError};
pub use resources::{
    AccessKey, ActorToken, ApiKeyConfig, AuthorizationServerMetadata, CredentialProvider, CustomAuthorizerConfig,
    JwtAuthorizer, JwtAuthorizerSpec, MAX_WORKLOAD_AUTHORIZERS, NewAccessKey, Oauth2Config, Oauth2Discovery,
    ProviderConfig, ProviderSpec, ProviderStatus, ProviderType, Quotas, TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_ID_TOKEN,
    TOKEN_TYPE_JWT, TokenExchangeConfig, WorkloadAttributes, WorkloadIdentity, WorkloadIdentitySpec,
    WorkloadIdentityType,
};
pub use secret::SecretString;
pub use validate::{FieldViolation, Violations};
pub use vendor::{TenantRule, Vendor};

/// Milliseconds since the Unix epoch, as stored and compared throughout the service.
pub type UnixMillis = i64;
