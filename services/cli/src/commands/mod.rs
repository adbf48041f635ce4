//! One module per resource, and one for the data plane. Each builds its request from the
//! arguments first, in a pure function the unit tests call, and only then connects, so a refused
//! command line never reaches the network; then it renders the reply in the chosen format.

mod access_key;
mod audit;
mod data;
mod jwt;
mod provider;
mod token;
mod vault;
mod vendor;
mod workload;

use std::{collections::HashMap, future::Future};

use tonic::Status;

use crate::{
    args::{AuditAction, Cli, IdentityCommand, OutputFormat, Service},
    client::{Connection, DataConnection},
    error::CliError,
};

/// What a successful command prints.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The result, for stdout.
    pub stdout: String,
    /// Advice for the human at the terminal, for stderr (never part of the result).
    pub notice: Option<String>,
}

impl Outcome {
    fn print(stdout: String) -> Self {
        Outcome { stdout, notice: None }
    }
}

/// Runs one command line. Only the connection a command uses is checked: control-plane commands
/// need no access key, and data-plane commands need no admin token.
pub async fn run(cli: Cli) -> Result<Outcome, CliError> {
    let Cli { global, service: Service::Identity(command) } = cli;
    let format = global.output;
    let control = || Connection::new(&global.endpoint, global.token.as_ref());
    let data = || DataConnection::new(&global.data_endpoint, global.access_key.as_ref());
    match command {
        IdentityCommand::CreateCredentialProvider(args) => provider::create(&control()?, format, args).await,
        IdentityCommand::ListProviders => provider::list(&control()?, format).await,
        IdentityCommand::GetCredentialProvider(args) => provider::get(&control()?, format, args.name).await,
        IdentityCommand::DeleteCredentialProvider(args) => provider::delete(&control()?, format, args.name).await,
        IdentityCommand::CreateWorkloadIdentity(args) => workload::create(&control()?, format, args).await,
        IdentityCommand::UpdateWorkloadIdentity(args) => workload::update(&control()?, format, args).await,
        IdentityCommand::GetWorkloadIdentity(args) => workload::get(&control()?, format, args.name).await,
        IdentityCommand::ListWorkloadIdentities => workload::list(&control()?, format).await,
        IdentityCommand::DeleteWorkloadIdentity(args) => workload::delete(&control()?, format, args.name).await,
        IdentityCommand::CreateAccessKey(args) => access_key::create(&control()?, format, args).await,
        IdentityCommand::ListAccessKeys => access_key::list(&control()?, format).await,
        IdentityCommand::DeleteAccessKey(args) => access_key::delete(&control()?, format, args.access_key_id).await,
        IdentityCommand::SetupAwsJwt(args) => jwt::setup(&control()?, format, args).await,
        IdentityCommand::SetupCognito(args) => jwt::setup_cognito(&control()?, format, args).await,
        IdentityCommand::SetupCustomAuthorizer(args) => jwt::setup_custom(&control()?, format, args).await,
        IdentityCommand::GetJwtAuthorizer(args) => jwt::get(&control()?, format, args.name).await,
        IdentityCommand::ListJwtAuthorizers => jwt::list(&control()?, format).await,
        IdentityCommand::DeleteJwtAuthorizer(args) => jwt::delete(&control()?, format, args.name).await,
        IdentityCommand::GetWorkloadAccessToken(args) => data::workload_token(&data()?, format, args).await,
        IdentityCommand::GetApiKey(args) => data::api_key(&data()?, format, args).await,
        IdentityCommand::GetToken(args) => token::get_token(&data()?, format, args).await,
        IdentityCommand::CompleteAuth(args) => token::complete_auth(&data()?, format, args).await,
        IdentityCommand::Audit(args) => match args.action {
            Some(AuditAction::Verify) => audit::verify(&control()?, format).await,
            None => audit::list(&control()?, format, args).await,
        },
        IdentityCommand::GetTokenVault => vault::get(&control()?, format).await,
        IdentityCommand::RotateVaultKey(args) => vault::rotate(&control()?, format, args).await,
        IdentityCommand::DisconnectUser(args) => vault::disconnect_user(&control()?, format, args).await,
    }
}

/// What a delete prints: a sentence for people, the (empty) reply message for scripts.
fn deleted(format: OutputFormat, what: &str, name: &str) -> Outcome {
    match format {
        OutputFormat::Table => Outcome::print(format!("deleted {what} '{name}'\n")),
        OutputFormat::Json => Outcome::print("{}\n".to_owned()),
    }
}

/// Tags or claims from repeated `KEY=VALUE` flags; a key given twice is refused rather than
/// silently overwritten.
pub(crate) fn key_values(flag: &str, pairs: Vec<(String, String)>) -> Result<HashMap<String, String>, CliError> {
    let mut map = HashMap::with_capacity(pairs.len());
    for (key, value) in pairs {
        if map.contains_key(&key) {
            return Err(CliError::usage(format!("{flag} '{key}' is given twice")));
        }
        map.insert(key, value);
    }
    Ok(map)
}

/// Items of a comma-separated flag, trimmed, without empty ones (`a, b,` is `a`, `b`).
pub(crate) fn clean_list(items: Vec<String>) -> Vec<String> {
    items.into_iter().map(|item| item.trim().to_owned()).filter(|item| !item.is_empty()).collect()
}

/// Follows `next_token` through every page of a list call. `fetch` gets the token of the page
/// to fetch and returns that page's items and the next token (empty on the last page).
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, Status>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, String), Status>>,
{
    let mut items = Vec::new();
    let mut token = String::new();
    loop {
        let (page, next) = fetch(token.clone()).await?;
        items.extend(page);
        // A server that hands back the token it was given would loop forever; stop instead.
        if next.is_empty() || next == token {
            return Ok(items);
        }
        token = next;
    }
}

#[cfg(test)]
mod tests;
