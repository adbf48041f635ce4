//! `create-workload-identity`, `update-workload-identity`, `get-workload-identity`,
//! `list-workload-identities`, `delete-workload-identity`, and attaching an authorizer (for
//! `setup-aws-jwt`).

use identity_proto::v1::{
    CreateWorkloadIdentityRequest, DeleteWorkloadIdentityRequest, GetWorkloadIdentityRequest,
    ListWorkloadIdentitiesRequest, UpdateWorkloadIdentityRequest, WorkloadIdentity, WorkloadIdentityAttributes,
    WorkloadIdentityType,
};

use super::{Outcome, all_pages, clean_list, deleted, key_values};
use crate::{
    args::{CreateWorkloadArgs, OutputFormat, UpdateWorkloadArgs, WorkloadKind},
    client::Connection,
    error::CliError,
    output::{Record, Table, render_list},
};

/// Builds the create request. Attributes are sent only when one of them is given, and an
/// absent `--type` stays unspecified so that the service applies its default.
pub fn build_create_request(args: CreateWorkloadArgs) -> Result<CreateWorkloadIdentityRequest, CliError> {
    let CreateWorkloadArgs { name, description, kind, agent_runtime_arn, capabilities, return_urls, tags, authorizers } =
        args;
    let tags = key_values("--tag", tags)?;
    let kind = match kind {
        None => WorkloadIdentityType::Unspecified,
        Some(WorkloadKind::Agent) => WorkloadIdentityType::Agent,
        Some(WorkloadKind::Tool) => WorkloadIdentityType::Tool,
        Some(WorkloadKind::Service) => WorkloadIdentityType::Service,
    };
    let capabilities = clean_list(capabilities);
    let agent_runtime_arn = agent_runtime_arn.map(|arn| arn.trim().to_owned()).unwrap_or_default();
    let attributes = (!agent_runtime_arn.is_empty() || !capabilities.is_empty())
        .then_some(WorkloadIdentityAttributes { agent_runtime_arn, capabilities });
    Ok(CreateWorkloadIdentityRequest {
        name,
        description: description.unwrap_or_default(),
        r#type: kind.into(),
        attributes,
        allowed_resource_oauth2_return_urls: clean_list(return_urls),
        tags,
        authorizer_names: clean_list(authorizers),
    })
}

/// The update that adds `authorizer` to `identity`'s authorizers, keeping every other field
/// (an update replaces them all); `None` when it is attached already.
pub fn attach_request(identity: WorkloadIdentity, authorizer: &str) -> Option<UpdateWorkloadIdentityRequest> {
    let WorkloadIdentity {
        name,
        description,
        r#type,
        attributes,
        allowed_resource_oauth2_return_urls,
        tags,
        mut authorizer_names,
        workload_identity_id: _,
        workload_identity_arn: _,
        created_time: _,
        last_updated_time: _,
    } = identity;
    if authorizer_names.iter().any(|a| a == authorizer) {
        return None;
    }
    authorizer_names.push(authorizer.to_owned());
    Some(UpdateWorkloadIdentityRequest {
        name,
        description,
        r#type,
        attributes,
        allowed_resource_oauth2_return_urls,
        tags,
        authorizer_names,
    })
}

/// The update that applies `args` to `identity` (as fetched): an update replaces every field, so
/// the ones not given are sent back as they are.
pub fn build_update_request(identity: WorkloadIdentity, args: UpdateWorkloadArgs) -> UpdateWorkloadIdentityRequest {
    let UpdateWorkloadArgs { name: _, description, authorizers, no_authorizers } = args;
    let WorkloadIdentity {
        name,
        description: old_description,
        r#type,
        attributes,
        allowed_resource_oauth2_return_urls,
        tags,
        authorizer_names,
        workload_identity_id: _,
        workload_identity_arn: _,
        created_time: _,
        last_updated_time: _,
    } = identity;
    let authorizer_names = match (authorizers, no_authorizers) {
        (_, true) => Vec::new(),
        (Some(list), false) => clean_list(list),
        (None, false) => authorizer_names,
    };
    UpdateWorkloadIdentityRequest {
        name,
        description: description.unwrap_or(old_description),
        r#type,
        attributes,
        allowed_resource_oauth2_return_urls,
        tags,
        authorizer_names,
    }
}

pub async fn update(conn: &Connection, format: OutputFormat, args: UpdateWorkloadArgs) -> Result<Outcome, CliError> {
    let identity = fetch(conn, &args.name).await?;
    let request = build_update_request(identity, args);
    let mut client = conn.workloads().await?;
    let reply = client.update_workload_identity(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(workload_record(&returned(reply.workload_identity)?).render(format)?))
}

/// Workload identity `name`, as stored.
pub async fn fetch(conn: &Connection, name: &str) -> Result<WorkloadIdentity, CliError> {
    let mut client = conn.workloads().await?;
    let request = GetWorkloadIdentityRequest { name: name.to_owned() };
    let reply = client.get_workload_identity(request).await.map_err(|s| conn.error(s))?.into_inner();
    returned(reply.workload_identity)
}

/// Attaches `authorizer` to `identity` (as fetched) unless it is attached already; true when
/// this call attached it.
pub async fn attach_authorizer(
    conn: &Connection,
    identity: WorkloadIdentity,
    authorizer: &str,
) -> Result<bool, CliError> {
    let Some(update) = attach_request(identity, authorizer) else { return Ok(false) };
    let mut client = conn.workloads().await?;
    client.update_workload_identity(update).await.map_err(|s| conn.error(s))?;
    Ok(true)
}

/// `agent`, `tool` or `service`; `""` when unset.
pub fn kind_name(value: i32) -> String {
    match WorkloadIdentityType::try_from(value) {
        Ok(WorkloadIdentityType::Agent) => "agent".to_owned(),
        Ok(WorkloadIdentityType::Tool) => "tool".to_owned(),
        Ok(WorkloadIdentityType::Service) => "service".to_owned(),
        Ok(WorkloadIdentityType::Unspecified) => String::new(),
        Err(_) => value.to_string(),
    }
}

/// A workload identity as shown by `get` and `create`.
pub fn workload_record(identity: &WorkloadIdentity) -> Record {
    let attributes = identity.attributes.as_ref().map(|attributes| {
        Record::new()
            .text_if_set("agentRuntimeArn", &attributes.agent_runtime_arn)
            .list("capabilities", &attributes.capabilities)
    });
    Record::new()
        .text("name", &identity.name)
        .text("workloadIdentityId", &identity.workload_identity_id)
        .text("workloadIdentityArn", &identity.workload_identity_arn)
        .text_if_set("description", &identity.description)
        .text("type", kind_name(identity.r#type))
        .object("attributes", attributes)
        .list("allowedResourceOauth2ReturnUrls", &identity.allowed_resource_oauth2_return_urls)
        .map("tags", &identity.tags)
        .list("authorizerNames", &identity.authorizer_names)
        .time("createdTime", identity.created_time.as_ref())
        .time("lastUpdatedTime", identity.last_updated_time.as_ref())
}

/// The `list-workload-identities` table: `NAME TYPE ARN`.
pub fn workloads_table(identities: &[WorkloadIdentity]) -> Table {
    let mut table = Table::new(&["NAME", "TYPE", "ARN"]);
    for identity in identities {
        table.row(vec![identity.name.clone(), kind_name(identity.r#type), identity.workload_identity_arn.clone()]);
    }
    table
}

fn returned(identity: Option<WorkloadIdentity>) -> Result<WorkloadIdentity, CliError> {
    identity.ok_or_else(|| CliError::Output("the control plane returned no workload identity".to_owned()))
}

pub async fn create(conn: &Connection, format: OutputFormat, args: CreateWorkloadArgs) -> Result<Outcome, CliError> {
    let request = build_create_request(args)?;
    let mut client = conn.workloads().await?;
    let reply = client.create_workload_identity(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(workload_record(&returned(reply.workload_identity)?).render(format)?))
}

pub async fn get(conn: &Connection, format: OutputFormat, name: String) -> Result<Outcome, CliError> {
    let mut client = conn.workloads().await?;
    let request = GetWorkloadIdentityRequest { name };
    let reply = client.get_workload_identity(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(workload_record(&returned(reply.workload_identity)?).render(format)?))
}

pub async fn list(conn: &Connection, format: OutputFormat) -> Result<Outcome, CliError> {
    let client = conn.workloads().await?;
    let identities = all_pages(|next_token| {
        let mut client = client.clone();
        async move {
            let request = ListWorkloadIdentitiesRequest { max_results: 100, next_token };
            let reply = client.list_workload_identities(request).await?.into_inner();
            Ok((reply.workload_identities, reply.next_token))
        }
    })
    .await
    .map_err(|s| conn.error(s))?;
    let records = identities.iter().map(workload_record).collect();
    Ok(Outcome::print(render_list(format, "workloadIdentities", &workloads_table(&identities), records)?))
}

pub async fn delete(conn: &Connection, format: OutputFormat, name: String) -> Result<Outcome, CliError> {
    let mut client = conn.workloads().await?;
    let request = DeleteWorkloadIdentityRequest { name: name.clone() };
    client.delete_workload_identity(request).await.map_err(|s| conn.error(s))?;
    Ok(deleted(format, "workload identity", &name))
}

#[cfg(test)]
mod tests;
