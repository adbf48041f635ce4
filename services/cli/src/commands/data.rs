//! `get-workload-access-token` and `get-api-key`: the data plane, called with an access key
//! (`get-token` and `complete-auth`, in `token`, build on the same pieces).
//!
//! A workload access token (WAT) is minted for a workload identity, bound to a user when
//! `--user-id` is given; `get-api-key` mints one itself unless it is handed one. Both print what
//! the user asked for (the token, the API key), and nothing else ever carries those values:
//! they are held as [`Secret`]s, so no error or `Debug` output can show them.

use identity_proto::v1::{
    GetApiKeyCredentialRequest, GetWorkloadAccessTokenForJwtRequest, GetWorkloadAccessTokenForUserIdRequest,
    GetWorkloadAccessTokenRequest, get_api_key_credential_request::CredentialProvider,
};

use super::Outcome;
use crate::{
    args::{GetApiKeyArgs, OutputFormat, WorkloadTokenArgs},
    client::{AuthedChannel, DataConnection},
    error::CliError,
    output::Record,
    secret::Secret,
};

pub(super) type DataClient = identity_proto::v1::identity_data_service_client::IdentityDataServiceClient<AuthedChannel>;

/// Which mint call to make.
#[derive(Debug, Clone, PartialEq)]
pub enum MintRequest {
    /// `GetWorkloadAccessToken`: the workload acting on its own behalf.
    Workload(GetWorkloadAccessTokenRequest),
    /// `GetWorkloadAccessTokenForUserId`: the workload acting for a user.
    ForUser(GetWorkloadAccessTokenForUserIdRequest),
    /// `GetWorkloadAccessTokenForJwt`: the workload acting for the user of a JWT (held as a
    /// [`Secret`], so that no `Debug` output shows it).
    ForJwt {
        /// The workload identity.
        workload_name: String,
        /// The user's JWT.
        user_token: Secret,
    },
}

/// A minted workload access token.
#[derive(Debug)]
pub struct Minted {
    /// The token.
    pub token: Secret,
    /// Seconds from issuance until it expires.
    pub expires_in: i64,
    /// When it expires.
    pub expires_at: Option<prost_types::Timestamp>,
}

/// Where `get-api-key` gets its workload access token.
#[derive(Debug)]
pub enum WatSource {
    /// Handed over with `--workload-access-token`.
    Given(Secret),
    /// Minted first with `--workload-name` (and `--user-id`).
    Mint(MintRequest),
}

/// `get-api-key`, checked: everything it will send, before anything is sent.
#[derive(Debug)]
pub struct ApiKeyPlan {
    /// The workload access token, or how to get one.
    pub wat: WatSource,
    /// The provider, by name or ARN.
    pub provider: CredentialProvider,
}

/// Builds the mint request: for the workload alone, or bound to `--user-id`. A blank user id is
/// refused rather than quietly minting a token that is bound to no user.
pub fn build_mint_request(workload_name: String, user_id: Option<String>) -> Result<MintRequest, CliError> {
    let workload_name = non_blank("--workload-name", workload_name)?;
    Ok(match user_id {
        None => MintRequest::Workload(GetWorkloadAccessTokenRequest { workload_name }),
        Some(user_id) => MintRequest::ForUser(GetWorkloadAccessTokenForUserIdRequest {
            workload_name,
            user_id: non_blank("--user-id", user_id)?,
        }),
    })
}

/// The provider of `get-api-key`, by `--name` or by `--arn` (clap lets exactly one through).
pub fn provider_ref(name: Option<String>, arn: Option<String>) -> Result<CredentialProvider, CliError> {
    match (name, arn) {
        (Some(name), None) => Ok(CredentialProvider::ResourceCredentialProviderName(non_blank("--name", name)?)),
        (None, Some(arn)) => Ok(CredentialProvider::CredentialProviderArn(non_blank("--arn", arn)?)),
        _ => Err(CliError::usage("give the credential provider as --name or as --arn")),
    }
}

/// Checks `get-api-key`'s arguments and decides where its token comes from.
pub fn plan_api_key(args: GetApiKeyArgs) -> Result<ApiKeyPlan, CliError> {
    let GetApiKeyArgs { name, arn, workload_access_token, workload_name, user_id, value_only: _ } = args;
    let provider = provider_ref(name, arn)?;
    let wat = wat_source(workload_access_token, workload_name, user_id)?;
    Ok(ApiKeyPlan { wat, provider })
}

/// Where a vending command's workload access token comes from: `--workload-access-token`, or
/// `--workload-name` (and `--user-id`) to mint one (clap lets exactly one through).
pub fn wat_source(
    workload_access_token: Option<Secret>,
    workload_name: Option<String>,
    user_id: Option<String>,
) -> Result<WatSource, CliError> {
    match (workload_access_token, workload_name) {
        (Some(wat), None) => {
            let wat = wat.expose().trim();
            if wat.is_empty() {
                return Err(CliError::usage("--workload-access-token is empty"));
            }
            Ok(WatSource::Given(Secret::from(wat.to_owned())))
        }
        (None, Some(workload_name)) => Ok(WatSource::Mint(build_mint_request(workload_name, user_id)?)),
        _ => Err(CliError::usage("give a --workload-access-token, or a --workload-name to mint one for")),
    }
}

/// The `GetApiKeyCredential` request.
pub fn build_api_key_request(wat: Secret, provider: CredentialProvider) -> GetApiKeyCredentialRequest {
    GetApiKeyCredentialRequest { workload_identity_token: wat.into_inner(), credential_provider: Some(provider) }
}

/// A minted token as printed: `workloadAccessToken`, `expiresIn`, `expiresAt`.
pub fn token_record(minted: &Minted) -> Record {
    Record::new()
        .text("workloadAccessToken", minted.token.expose())
        .integer("expiresIn", minted.expires_in)
        .time("expiresAt", minted.expires_at.as_ref())
}

/// A vended API key as printed: `apiKey` and `headerName` (empty when the provider sets none).
pub fn api_key_record(api_key: &Secret, header_name: &str) -> Record {
    Record::new().text("apiKey", api_key.expose()).text("headerName", header_name)
}

/// Just the value and a newline, for `$(…)`; not sanitised, since it must be usable verbatim.
pub(super) fn value_line(value: &Secret) -> String {
    format!("{}\n", value.expose())
}

/// Refuses a blank value (an unset shell variable, say); the service checks the rest.
pub(super) fn non_blank(flag: &str, value: String) -> Result<String, CliError> {
    if value.trim().is_empty() { Err(CliError::usage(format!("{flag} is empty"))) } else { Ok(value) }
}

/// Calls the mint RPC the request is for.
pub(super) async fn mint(
    conn: &DataConnection,
    client: &mut DataClient,
    request: MintRequest,
) -> Result<Minted, CliError> {
    let (token, expires_in, expires_at) = match request {
        MintRequest::Workload(request) => {
            let reply = client.get_workload_access_token(request).await.map_err(|s| conn.error(s))?.into_inner();
            (reply.workload_access_token, reply.expires_in, reply.expires_at)
        }
        MintRequest::ForUser(request) => {
            let reply =
                client.get_workload_access_token_for_user_id(request).await.map_err(|s| conn.error(s))?.into_inner();
            (reply.workload_access_token, reply.expires_in, reply.expires_at)
        }
        MintRequest::ForJwt { workload_name, user_token } => {
            let request = GetWorkloadAccessTokenForJwtRequest { workload_name, user_token: user_token.into_inner() };
            let reply =
                client.get_workload_access_token_for_jwt(request).await.map_err(|s| conn.error(s))?.into_inner();
            (reply.workload_access_token, reply.expires_in, reply.expires_at)
        }
    };
    if token.is_empty() {
        return Err(CliError::Output("the data plane returned no workload access token".to_owned()));
    }
    Ok(Minted { token: Secret::from(token), expires_in, expires_at })
}

pub async fn workload_token(
    conn: &DataConnection,
    format: OutputFormat,
    args: WorkloadTokenArgs,
) -> Result<Outcome, CliError> {
    let WorkloadTokenArgs { workload_name, user_id, token_only } = args;
    let request = build_mint_request(workload_name, user_id)?;
    let mut client = conn.data().await?;
    let minted = mint(conn, &mut client, request).await?;
    let stdout = if token_only { value_line(&minted.token) } else { token_record(&minted).render(format)? };
    Ok(Outcome::print(stdout))
}

pub async fn api_key(conn: &DataConnection, format: OutputFormat, args: GetApiKeyArgs) -> Result<Outcome, CliError> {
    let value_only = args.value_only;
    let ApiKeyPlan { wat, provider } = plan_api_key(args)?;
    let mut client = conn.data().await?;
    let wat = match wat {
        WatSource::Given(wat) => wat,
        WatSource::Mint(request) => mint(conn, &mut client, request).await?.token,
    };
    let request = build_api_key_request(wat, provider);
    let reply = client.get_api_key_credential(request).await.map_err(|s| conn.error(s))?.into_inner();
    let api_key = Secret::from(reply.api_key);
    if api_key.expose().is_empty() {
        return Err(CliError::Output("the data plane returned no API key".to_owned()));
    }
    let stdout =
        if value_only { value_line(&api_key) } else { api_key_record(&api_key, &reply.header_name).render(format)? };
    Ok(Outcome::print(stdout))
}

#[cfg(test)]
mod tests;
