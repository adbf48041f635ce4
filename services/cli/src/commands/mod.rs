//! One module per resource. Each builds its request from the arguments first, in a pure
//! function the unit tests call, and only then connects, so a refused command line never
//! reaches the network; then it renders the reply in the chosen format.

mod access_key;
mod jwt;
mod provider;
mod vendor;
mod workload;

use std::{collections::HashMap, future::Future};

use tonic::Status;

use crate::{
    args::{Cli, IdentityCommand, OutputFormat, Service},
    client::Connection,
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

/// Runs one command line.
pub async fn run(cli: Cli) -> Result<Outcome, CliError> {
    let conn = Connection::new(&cli.global.endpoint, cli.global.token.as_ref())?;
    let format = cli.global.output;
    let Service::Identity(command) = cli.service;
    match command {
        IdentityCommand::CreateCredentialProvider(args) => provider::create(&conn, format, args).await,
        IdentityCommand::ListProviders => provider::list(&conn, format).await,
        IdentityCommand::GetCredentialProvider(args) => provider::get(&conn, format, args.name).await,
        IdentityCommand::DeleteCredentialProvider(args) => provider::delete(&conn, format, args.name).await,
        IdentityCommand::CreateWorkloadIdentity(args) => workload::create(&conn, format, args).await,
        IdentityCommand::GetWorkloadIdentity(args) => workload::get(&conn, format, args.name).await,
        IdentityCommand::ListWorkloadIdentities => workload::list(&conn, format).await,
        IdentityCommand::DeleteWorkloadIdentity(args) => workload::delete(&conn, format, args.name).await,
        IdentityCommand::CreateAccessKey(args) => access_key::create(&conn, format, args).await,
        IdentityCommand::ListAccessKeys => access_key::list(&conn, format).await,
        IdentityCommand::DeleteAccessKey(args) => access_key::delete(&conn, format, args.access_key_id).await,
        IdentityCommand::SetupAwsJwt(args) => jwt::setup(&conn, format, args).await,
        IdentityCommand::SetupCognito(args) => jwt::setup_cognito(&conn, format, args).await,
        IdentityCommand::GetJwtAuthorizer(args) => jwt::get(&conn, format, args.name).await,
        IdentityCommand::ListJwtAuthorizers => jwt::list(&conn, format).await,
        IdentityCommand::DeleteJwtAuthorizer(args) => jwt::delete(&conn, format, args.name).await,
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
