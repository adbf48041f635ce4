//! `create-access-key`, `list-access-keys`, `delete-access-key`. The secret half of a key is
//! printed once, by `create-access-key`; it is the only secret this CLI ever prints.

use identity_proto::v1::{AccessKey, CreateAccessKeyRequest, DeleteAccessKeyRequest, ListAccessKeysRequest};

use super::{Outcome, all_pages, clean_list, deleted};
use crate::{
    args::{CreateAccessKeyArgs, OutputFormat},
    client::Connection,
    error::CliError,
    output::{Record, Table, render_list, rfc3339},
};

/// Told to the human at the terminal after a key is created, on stderr.
const SAVE_THE_SECRET: &str = "Save the secret access key now: it cannot be retrieved later. \
Callers send it as `authorization: Bearer ACCESS_KEY_ID:SECRET_ACCESS_KEY`.\n";

/// Builds the create request.
pub fn build_create_request(args: CreateAccessKeyArgs) -> CreateAccessKeyRequest {
    let CreateAccessKeyArgs { description, workload_names } = args;
    CreateAccessKeyRequest {
        description: description.unwrap_or_default(),
        allowed_workload_names: clean_list(workload_names),
    }
}

/// An access key as listed (no secret).
pub fn access_key_record(key: &AccessKey) -> Record {
    Record::new()
        .text("accessKeyId", &key.access_key_id)
        .text_if_set("description", &key.description)
        .list("allowedWorkloadNames", &key.allowed_workload_names)
        .time("createdTime", key.created_time.as_ref())
}

/// The `list-access-keys` table; a key for every workload shows `all`.
pub fn access_keys_table(keys: &[AccessKey]) -> Table {
    let mut table = Table::new(&["ACCESS_KEY_ID", "WORKLOADS", "CREATED", "DESCRIPTION"]);
    for key in keys {
        let workloads =
            if key.allowed_workload_names.is_empty() { "all".to_owned() } else { key.allowed_workload_names.join(",") };
        table.row(vec![
            key.access_key_id.clone(),
            workloads,
            key.created_time.as_ref().map(rfc3339).unwrap_or_default(),
            key.description.clone(),
        ]);
    }
    table
}

pub async fn create(conn: &Connection, format: OutputFormat, args: CreateAccessKeyArgs) -> Result<Outcome, CliError> {
    let request = build_create_request(args);
    let mut client = conn.access_keys().await?;
    let reply = client.create_access_key(request).await.map_err(|s| conn.error(s))?.into_inner();
    let key =
        reply.access_key.ok_or_else(|| CliError::Output("the control plane returned no access key".to_owned()))?;
    let record = access_key_record(&key).text("secretAccessKey", reply.secret_access_key);
    Ok(Outcome { stdout: record.render(format)?, notice: Some(SAVE_THE_SECRET.to_owned()) })
}

pub async fn list(conn: &Connection, format: OutputFormat) -> Result<Outcome, CliError> {
    let client = conn.access_keys().await?;
    let keys = all_pages(|next_token| {
        let mut client = client.clone();
        async move {
            let request = ListAccessKeysRequest { max_results: 100, next_token };
            let reply = client.list_access_keys(request).await?.into_inner();
            Ok((reply.access_keys, reply.next_token))
        }
    })
    .await
    .map_err(|s| conn.error(s))?;
    let records = keys.iter().map(access_key_record).collect();
    Ok(Outcome::print(render_list(format, "accessKeys", &access_keys_table(&keys), records)?))
}

pub async fn delete(conn: &Connection, format: OutputFormat, access_key_id: String) -> Result<Outcome, CliError> {
    let mut client = conn.access_keys().await?;
    let request = DeleteAccessKeyRequest { access_key_id: access_key_id.clone() };
    client.delete_access_key(request).await.map_err(|s| conn.error(s))?;
    Ok(deleted(format, "access key", &access_key_id))
}

#[cfg(test)]
mod tests;
