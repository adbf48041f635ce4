use identity_domain::{
    Arns, MAX_WORKLOAD_AUTHORIZERS, Violations, WorkloadAttributes, WorkloadIdentity, WorkloadIdentitySpec,
    WorkloadIdentityType,
};
use identity_proto::v1 as pb;

use super::{tags, timestamp, wire_tags};

/// A validated create or update request. `kind` is `None` when the caller left the type
/// unspecified (create then means AGENT, update keeps the current type).
#[derive(Debug)]
pub struct WorkloadRequest {
    pub spec: WorkloadIdentitySpec,
    pub kind: Option<WorkloadIdentityType>,
}

fn kind(violations: &mut Violations, value: i32) -> Option<WorkloadIdentityType> {
    match pb::WorkloadIdentityType::try_from(value) {
        Ok(pb::WorkloadIdentityType::Unspecified) => None,
        Ok(pb::WorkloadIdentityType::Agent) => Some(WorkloadIdentityType::Agent),
        Ok(pb::WorkloadIdentityType::Tool) => Some(WorkloadIdentityType::Tool),
        Ok(pb::WorkloadIdentityType::Service) => Some(WorkloadIdentityType::Service),
        Err(_) => {
            violations.add("type", format!("unknown workload identity type {value}"));
            None
        }
    }
}

fn attributes(violations: &mut Violations, attributes: Option<pb::WorkloadIdentityAttributes>) -> WorkloadAttributes {
    let pb::WorkloadIdentityAttributes { agent_runtime_arn, capabilities } = attributes.unwrap_or_default();
    if !agent_runtime_arn.is_empty() {
        violations.arn("attributes.agent_runtime_arn", &agent_runtime_arn);
    }
    violations.token_list("attributes.capabilities", &capabilities, 50, 64);
    WorkloadAttributes { agent_runtime_arn, capabilities }
}

/// Authorizer names: each a resource name, none twice, at most [`MAX_WORKLOAD_AUTHORIZERS`].
/// (That each exists in the account is the store's check, under the account lock.)
fn authorizer_names(v: &mut Violations, names: &[String]) {
    if names.len() > MAX_WORKLOAD_AUTHORIZERS {
        // Each name is not checked then: the list may be as long as a message allows.
        v.add("authorizer_names", format!("at most {MAX_WORKLOAD_AUTHORIZERS} authorizers are allowed"));
        return;
    }
    for (i, name) in names.iter().enumerate() {
        let field = format!("authorizer_names[{i}]");
        v.resource_name(&field, name);
        if names[..i].contains(name) {
            v.add(field, "is listed twice");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    name: String,
    description: String,
    kind_value: i32,
    attrs: Option<pb::WorkloadIdentityAttributes>,
    return_urls: Vec<String>,
    wire_tags: std::collections::HashMap<String, String>,
    authorizers: Vec<String>,
) -> Result<WorkloadRequest, Vec<identity_domain::FieldViolation>> {
    let mut v = Violations::default();
    v.workload_name("name", &name);
    v.description("description", &description);
    let kind = kind(&mut v, kind_value);
    let attributes = attributes(&mut v, attrs);
    if return_urls.len() > 100 {
        v.add("allowed_resource_oauth2_return_urls", "at most 100 URLs are allowed");
    }
    for (i, url) in return_urls.iter().enumerate() {
        v.return_url(&format!("allowed_resource_oauth2_return_urls[{i}]"), url);
    }
    let tags = tags(&mut v, "tags", wire_tags);
    authorizer_names(&mut v, &authorizers);
    v.finish()?;
    Ok(WorkloadRequest {
        spec: WorkloadIdentitySpec {
            name,
            description,
            kind: kind.unwrap_or(WorkloadIdentityType::Agent),
            attributes,
            allowed_return_urls: return_urls,
            tags,
            authorizers,
        },
        kind,
    })
}

impl TryFrom<pb::CreateWorkloadIdentityRequest> for WorkloadRequest {
    type Error = Vec<identity_domain::FieldViolation>;

    fn try_from(request: pb::CreateWorkloadIdentityRequest) -> Result<Self, Self::Error> {
        let pb::CreateWorkloadIdentityRequest {
            name,
            description,
            r#type,
            attributes,
            allowed_resource_oauth2_return_urls,
            tags,
            authorizer_names,
        } = request;
        build(name, description, r#type, attributes, allowed_resource_oauth2_return_urls, tags, authorizer_names)
    }
}

impl TryFrom<pb::UpdateWorkloadIdentityRequest> for WorkloadRequest {
    type Error = Vec<identity_domain::FieldViolation>;

    fn try_from(request: pb::UpdateWorkloadIdentityRequest) -> Result<Self, Self::Error> {
        let pb::UpdateWorkloadIdentityRequest {
            name,
            description,
            r#type,
            attributes,
            allowed_resource_oauth2_return_urls,
            tags,
            authorizer_names,
        } = request;
        build(name, description, r#type, attributes, allowed_resource_oauth2_return_urls, tags, authorizer_names)
    }
}

/// A stored workload identity on the wire.
pub fn workload_to_wire(arns: &Arns, identity: WorkloadIdentity) -> pb::WorkloadIdentity {
    let WorkloadIdentity { id, account, spec, created_at, updated_at } = identity;
    let WorkloadIdentitySpec { name, description, kind, attributes, allowed_return_urls, tags, authorizers } = spec;
    pb::WorkloadIdentity {
        workload_identity_id: id,
        workload_identity_arn: arns.workload_identity(&account, &name),
        name,
        description,
        r#type: match kind {
            WorkloadIdentityType::Agent => pb::WorkloadIdentityType::Agent,
            WorkloadIdentityType::Tool => pb::WorkloadIdentityType::Tool,
            WorkloadIdentityType::Service => pb::WorkloadIdentityType::Service,
        } as i32,
        attributes: Some(pb::WorkloadIdentityAttributes {
            agent_runtime_arn: attributes.agent_runtime_arn,
            capabilities: attributes.capabilities,
        }),
        allowed_resource_oauth2_return_urls: allowed_return_urls,
        tags: wire_tags(&tags),
        created_time: Some(timestamp(created_at)),
        last_updated_time: Some(timestamp(updated_at)),
        authorizer_names: authorizers,
    }
}
