//! `TokenVaultService`: the keys protecting the vault, and their online rotation.
//!
//! The master key ring is global (one per deployment), so re-wrapping data keys under its current
//! key covers every account, whichever account's admin asks. `GetTokenVault` reports, per master
//! key, the caller's account's data keys and ciphertexts under it, and says a key is retirable
//! only when no data key of any account is wrapped by it. A data-key rotation is per account and
//! re-encrypts the account's ciphertexts inline, before the call returns.
//!
//! `DeleteUserTokens` disconnects a user (see `disconnect.rs`).

use identity_domain::{ProviderConfig, Violations};
use identity_proto::v1::{self as pb, token_vault_service_server::TokenVaultService};
use identity_store::{StoreError, VaultStatus};
use tonic::{Request, Response, Status};

use super::{Ctx, OrStatus as _};
use crate::{auth::admin, convert::timestamp, error::ServiceError};

/// Longest user id accepted (a JWT user is `{iss}#{sub}`).
const MAX_USER_ID_CHARS: usize = 1024;

/// The only vault of an account.
const DEFAULT_VAULT: &str = "default";

/// `TokenVaultService`, scoped to the principal's account (re-wrapping excepted, see above).
#[derive(Debug)]
pub struct TokenVault(pub Ctx);

/// The vault id a request names: empty means `default`, the only one there is.
fn vault_id(requested: &str) -> Result<&'static str, ServiceError> {
    match requested {
        "" | DEFAULT_VAULT => Ok(DEFAULT_VAULT),
        other => Err(StoreError::NotFound { kind: "token vault", name: other.to_owned() }.into()),
    }
}

/// Checks that `key_id`, when given, is the ring's current key: re-wrapping can only target the
/// current key, and the ring's last key is the current one.
fn check_target(key_id: Option<&str>, ring: &[String], current: &str) -> Result<(), ServiceError> {
    match key_id {
        None | Some("") => Ok(()),
        Some(id) if id == current => Ok(()),
        Some(id) if ring.iter().any(|k| k == id) => Err(ServiceError::Precondition(format!(
            "master key '{id}' is in the ring but not current: the ring's last key ('{current}') is current; \
             list '{id}' last in the master keys and restart the control plane to re-wrap under it"
        ))),
        Some(id) => Err(ServiceError::Precondition(format!(
            "master key '{id}' is not in the master key ring; add it last and restart the control plane first"
        ))),
    }
}

fn data_key_id(version: u32) -> String {
    format!("v{version}")
}

fn status_to_wire(vault: &str, arn: String, status: VaultStatus) -> pb::GetTokenVaultResponse {
    let current_data_key_id = status.current_data_key().map(data_key_id).unwrap_or_default();
    let VaultStatus { keys, current_key_id, data_keys, last_modified } = status;
    pb::GetTokenVaultResponse {
        token_vault_id: vault.to_owned(),
        token_vault_arn: arn,
        keys: keys
            .into_iter()
            .map(|k| pb::TokenVaultKey {
                key_id: k.key_id,
                current: k.current,
                data_key_count: k.account_data_keys,
                ciphertext_count: k.account_ciphertexts,
                retirable: k.retirable,
            })
            .collect(),
        current_key_id,
        data_keys: data_keys
            .into_iter()
            .map(|k| pb::TokenVaultDataKey {
                data_key_id: data_key_id(k.version),
                wrapping_key_id: k.master_key_id,
                current: k.current,
                ciphertext_count: k.ciphertexts,
                created_at: Some(timestamp(k.created_at)),
            })
            .collect(),
        current_data_key_id,
        last_modified_date: last_modified.map(timestamp),
    }
}

#[tonic::async_trait]
impl TokenVaultService for TokenVault {
    async fn get_token_vault(
        &self,
        request: Request<pb::GetTokenVaultRequest>,
    ) -> Result<Response<pb::GetTokenVaultResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::GetTokenVaultRequest { token_vault_id } = request.into_inner();
        let vault = vault_id(&token_vault_id).or_status()?;
        let status = self.0.store.vault_status(&principal.account).await.or_status()?;
        Ok(Response::new(status_to_wire(vault, self.0.arns.token_vault(&principal.account), status)))
    }

    async fn rotate_token_vault_key(
        &self,
        request: Request<pb::RotateTokenVaultKeyRequest>,
    ) -> Result<Response<pb::RotateTokenVaultKeyResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::RotateTokenVaultKeyRequest { token_vault_id, key_id, rotate_data_key } = request.into_inner();
        let vault = vault_id(&token_vault_id).or_status()?;
        let (ring, current) = self.0.store.master_key_ids();
        check_target(key_id.as_deref(), &ring, &current).or_status()?;
        let store = self.0.store_as(&principal);
        let rewrapped = store.rewrap_data_keys().await.or_status()?;
        let reencrypted = if rotate_data_key {
            store.rotate_account_data_key(&principal.account).await.or_status()?.reencrypted
        } else {
            0
        };
        tracing::info!(account = %principal.account, rewrapped, reencrypted, master_key_id = %current, "token vault keys rotated");
        let status = store.vault_status(&principal.account).await.or_status()?;
        Ok(Response::new(pb::RotateTokenVaultKeyResponse {
            token_vault_id: vault.to_owned(),
            current_data_key_id: status.current_data_key().map(data_key_id).unwrap_or_default(),
            current_key_id: status.current_key_id,
            rewrapped_count: i64::try_from(rewrapped).unwrap_or(i64::MAX),
            reencrypted_count: i64::try_from(reencrypted).unwrap_or(i64::MAX),
            last_modified_date: status.last_modified.map(timestamp),
        }))
    }

    async fn delete_user_tokens(
        &self,
        request: Request<pb::DeleteUserTokensRequest>,
    ) -> Result<Response<pb::DeleteUserTokensResponse>, Status> {
        use pb::delete_user_tokens_request::CredentialProvider as P;
        let principal = admin(&request).or_status()?;
        let pb::DeleteUserTokensRequest { user_id, credential_provider, workload_name, token_vault_id } =
            request.into_inner();
        let account = &principal.account;
        let mut v = Violations::default();
        v.required("user_id", &user_id, MAX_USER_ID_CHARS);
        if user_id.chars().any(char::is_control) {
            v.add("user_id", "must not contain control characters");
        }
        let provider_name = match credential_provider {
            Some(P::ResourceCredentialProviderName(name)) => {
                v.resource_name("resource_credential_provider_name", &name);
                Some(("resource_credential_provider_name", name))
            }
            Some(P::CredentialProviderArn(arn)) => match arn.strip_prefix(&self.0.arns.oauth2_provider(account, "")) {
                Some(name) => {
                    v.resource_name("credential_provider_arn", name);
                    Some(("credential_provider_arn", name.to_owned()))
                }
                None => {
                    v.add(
                        "credential_provider_arn",
                        "is not an OAuth2 credential provider ARN of the caller's account",
                    );
                    None
                }
            },
            None => None,
        };
        if let Some(name) = &workload_name {
            v.workload_name("workload_name", name);
        }
        v.finish().or_status()?;
        vault_id(&token_vault_id).or_status()?;
        let provider = match &provider_name {
            Some((field, name)) => {
                let provider = self.0.store.get_credential_provider(account, name).await.or_status()?;
                if !matches!(provider.config, ProviderConfig::Oauth2(_)) {
                    let mut v = Violations::default();
                    v.add(*field, "names an API key credential provider; only OAuth2 providers hold users' tokens");
                    v.finish().or_status()?;
                }
                Some(provider)
            }
            None => None,
        };
        let workload = match &workload_name {
            Some(name) => Some(self.0.store.get_workload_identity(account, name).await.or_status()?),
            None => None,
        };
        let store = self.0.store_as(&principal);
        let done = self
            .0
            .disconnect
            .disconnect(
                &store,
                account,
                &user_id,
                provider.as_ref(),
                workload.as_ref().map(|w| (w.id.as_str(), w.spec.name.as_str())),
            )
            .await
            .or_status()?;
        Ok(Response::new(pb::DeleteUserTokensResponse {
            deleted_count: i64::try_from(done.deleted).unwrap_or(i64::MAX),
            revoked_count: i64::try_from(done.revoked).unwrap_or(i64::MAX),
        }))
    }
}

#[cfg(test)]
mod tests;
