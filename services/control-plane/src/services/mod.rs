//! The control plane's gRPC services. Each handler first takes the authenticated principal
//! (authorization), then converts and validates the request, then calls the store scoped to the
//! principal's account.

mod access_keys;
mod audit;
mod authorizers;
mod providers;
mod token_vault;
mod workloads;

use std::sync::Arc;

use identity_domain::{Arns, PageRequest, Violations};
use identity_store::{AuditContext, Store};
use tonic::Status;

pub use access_keys::AccessKeys;
pub use audit::Audit;
pub use authorizers::Authorizers;
pub use providers::Providers;
pub use token_vault::TokenVault;
pub use workloads::Workloads;

use crate::{auth::AdminPrincipal, discovery::Discovery, error::ServiceError};

/// What every handler needs.
#[derive(Debug)]
pub struct Context {
    pub store: Store,
    pub arns: Arns,
    pub public_base_url: String,
    pub discovery: Discovery,
    pub disconnect: crate::disconnect::Disconnect,
}

impl Context {
    /// The store, with changes made through it recorded in the audit log as made by `principal`.
    pub fn store_as(&self, principal: &AdminPrincipal) -> Store {
        self.store.acting_as(AuditContext::new(principal.name.clone(), self.arns.clone()))
    }
}

/// Shared context.
pub type Ctx = Arc<Context>;

/// `?`-friendly conversion of our errors into a `Status`.
pub(crate) trait OrStatus<T> {
    fn or_status(self) -> Result<T, Status>;
}

impl<T, E: Into<ServiceError>> OrStatus<T> for Result<T, E> {
    fn or_status(self) -> Result<T, Status> {
        self.map_err(|e| Status::from(e.into()))
    }
}

/// Validates pagination fields.
pub(crate) fn page(max_results: i32, next_token: &str) -> Result<PageRequest, Status> {
    PageRequest::from_wire(max_results, next_token).map_err(|e| {
        let field = match e {
            identity_domain::PageTokenError::MaxResults => "max_results",
            identity_domain::PageTokenError::Token => "next_token",
        };
        Status::from(ServiceError::Invalid(Violations::one(field, e.to_string())))
    })
}

/// Validates a name addressed by get/update/delete with `check`.
pub(crate) fn name(value: &str, check: fn(&mut Violations, &str, &str)) -> Result<(), Status> {
    let mut v = Violations::default();
    check(&mut v, "name", value);
    v.finish().or_status()
}
