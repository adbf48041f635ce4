//! `get-token-vault` and `rotate-vault-key`: the master keys protecting the vault, and their
//! online rotation. Master-key counts are the caller's account's; `RETIRABLE` is ring-wide (no
//! data key of any account needs the key), so a `true` there means the key may leave the ring.
//! `disconnect-user` deletes (and revokes) a user's grants.

use identity_proto::v1::{
    DeleteUserTokensRequest, DeleteUserTokensResponse, GetTokenVaultRequest, GetTokenVaultResponse,
    RotateTokenVaultKeyRequest, RotateTokenVaultKeyResponse, TokenVaultDataKey, TokenVaultKey,
};

use super::Outcome;
use crate::{
    args::{DisconnectUserArgs, OutputFormat, RotateVaultKeyArgs},
    client::Connection,
    error::CliError,
    output::{Record, Table},
};

/// Builds the rotate request; an empty `--key-id` means the ring's current key.
pub fn build_rotate_request(args: RotateVaultKeyArgs) -> RotateTokenVaultKeyRequest {
    let RotateVaultKeyArgs { key_id, rotate_data_key } = args;
    RotateTokenVaultKeyRequest {
        token_vault_id: String::new(),
        key_id: key_id.map(|id| id.trim().to_owned()).filter(|id| !id.is_empty()),
        rotate_data_key,
    }
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_owned()
}

/// The `get-token-vault` table: one row per master key.
pub fn keys_table(keys: &[TokenVaultKey]) -> Table {
    let mut table = Table::new(&["KEY_ID", "CURRENT", "DATA_KEYS", "CIPHERTEXTS", "RETIRABLE"]);
    for key in keys {
        table.row(vec![
            key.key_id.clone(),
            yes_no(key.current),
            key.data_key_count.to_string(),
            key.ciphertext_count.to_string(),
            yes_no(key.retirable),
        ]);
    }
    table
}

fn key_record(key: &TokenVaultKey) -> Record {
    Record::new()
        .text("keyId", &key.key_id)
        .boolean("current", key.current)
        .integer("dataKeyCount", key.data_key_count)
        .integer("ciphertextCount", key.ciphertext_count)
        .boolean("retirable", key.retirable)
}

fn data_key_record(key: &TokenVaultDataKey) -> Record {
    Record::new()
        .text("dataKeyId", &key.data_key_id)
        .text("wrappingKeyId", &key.wrapping_key_id)
        .boolean("current", key.current)
        .integer("ciphertextCount", key.ciphertext_count)
        .time("createdAt", key.created_at.as_ref())
}

/// The whole vault, for `--output json`.
pub fn vault_record(vault: &GetTokenVaultResponse) -> Record {
    Record::new()
        .text("tokenVaultId", &vault.token_vault_id)
        .text("tokenVaultArn", &vault.token_vault_arn)
        .text("currentKeyId", &vault.current_key_id)
        .text_if_set("currentDataKeyId", &vault.current_data_key_id)
        .objects("keys", vault.keys.iter().map(key_record).collect())
        .objects("dataKeys", vault.data_keys.iter().map(data_key_record).collect())
        .time("lastModifiedDate", vault.last_modified_date.as_ref())
}

/// What `rotate-vault-key` prints.
pub fn rotation_record(reply: &RotateTokenVaultKeyResponse) -> Record {
    Record::new()
        .text("tokenVaultId", &reply.token_vault_id)
        .text("currentKeyId", &reply.current_key_id)
        .text_if_set("currentDataKeyId", &reply.current_data_key_id)
        .integer("rewrappedCount", reply.rewrapped_count)
        .integer("reencryptedCount", reply.reencrypted_count)
        .time("lastModifiedDate", reply.last_modified_date.as_ref())
}

pub async fn get(conn: &Connection, format: OutputFormat) -> Result<Outcome, CliError> {
    let mut client = conn.token_vault().await?;
    let request = GetTokenVaultRequest { token_vault_id: String::new() };
    let vault = client.get_token_vault(request).await.map_err(|s| conn.error(s))?.into_inner();
    let stdout = match format {
        OutputFormat::Table => keys_table(&vault.keys).render(),
        OutputFormat::Json => vault_record(&vault).to_json()?,
    };
    Ok(Outcome::print(stdout))
}

pub async fn rotate(conn: &Connection, format: OutputFormat, args: RotateVaultKeyArgs) -> Result<Outcome, CliError> {
    let request = build_rotate_request(args);
    let mut client = conn.token_vault().await?;
    let reply = client.rotate_token_vault_key(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(rotation_record(&reply).render(format)?))
}

/// Builds the disconnect request; a `--provider` starting with `arn:` is an ARN.
pub fn build_disconnect_request(args: DisconnectUserArgs) -> DeleteUserTokensRequest {
    use identity_proto::v1::delete_user_tokens_request::CredentialProvider as P;
    let DisconnectUserArgs { user_id, provider, workload_identity } = args;
    DeleteUserTokensRequest {
        user_id,
        credential_provider: provider.map(|p| {
            if p.starts_with("arn:") { P::CredentialProviderArn(p) } else { P::ResourceCredentialProviderName(p) }
        }),
        workload_name: workload_identity,
        token_vault_id: String::new(),
    }
}

/// What `disconnect-user` prints.
pub fn disconnect_record(reply: &DeleteUserTokensResponse) -> Record {
    Record::new().integer("deletedCount", reply.deleted_count).integer("revokedCount", reply.revoked_count)
}

pub async fn disconnect_user(
    conn: &Connection,
    format: OutputFormat,
    args: DisconnectUserArgs,
) -> Result<Outcome, CliError> {
    let request = build_disconnect_request(args);
    let mut client = conn.token_vault().await?;
    let reply = client.delete_user_tokens(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(disconnect_record(&reply).render(format)?))
}

#[cfg(test)]
mod tests;
