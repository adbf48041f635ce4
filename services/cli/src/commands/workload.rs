//! `create-workload-identity`, `get-workload-identity`, `list-workload-identities`,
//! `delete-workload-identity`.

use identity_proto::v1::{
    CreateWorkloadIdentityRequest, DeleteWorkloadIdentityRequest, GetWorkloadIdentityRequest,
    ListWorkloadIdentitiesRequest, WorkloadIdentity, WorkloadIdentityAttributes, WorkloadIdentityType,
};

use super::{Outcome, all_pages, clean_list, deleted, key_values};
use crate::{
    args::{CreateWorkloadArgs, OutputFormat, WorkloadKind},
    client::Connection,
    error::CliError,
    output::{Record, Table, render_list},
};

/// Builds the create request. Attributes are sent only when one of them is given, and an
/// absent `--type` stays unspecified so that the service applies its default.
pub fn build_create_request(args: CreateWorkloadArgs) -> Result<CreateWorkloadIdentityRequest, CliError> {
    let CreateWorkloadArgs { name, description, kind, agent_runtime_arn, capabilities, return_urls, tags } = args;
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
    })
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
