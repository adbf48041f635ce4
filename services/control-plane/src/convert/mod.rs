//! Wire ↔ domain conversions, done once at the service edge. Each `TryFrom` destructures every
//! field of the request, so a new proto field fails to compile here until someone decides what
//! it means; validation reports every violation at once.

mod access_keys;
mod audit;
mod authorizers;
mod providers;
mod workloads;

use std::collections::{BTreeMap, HashMap};

use identity_domain::{UnixMillis, Violations};

pub use access_keys::{AccessKeyRequest, access_key_to_wire};
pub use audit::{AuditListRequest, audit_to_wire};
pub use authorizers::{AuthorizerRequest, authorizer_to_wire};
pub use providers::{ProviderRequest, provider_to_wire};
pub use workloads::{WorkloadRequest, workload_to_wire};

/// Milliseconds since the epoch as a protobuf timestamp.
pub fn timestamp(millis: UnixMillis) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: millis.div_euclid(1000), nanos: (millis.rem_euclid(1000) * 1_000_000) as i32 }
}

/// Validates tags and orders them.
fn tags(violations: &mut Violations, field: &str, tags: HashMap<String, String>) -> BTreeMap<String, String> {
    let tags: BTreeMap<_, _> = tags.into_iter().collect();
    violations.tags(field, &tags);
    tags
}

/// Tags back to the wire.
fn wire_tags(tags: &BTreeMap<String, String>) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests;
