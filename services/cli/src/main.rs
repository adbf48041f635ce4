//! `agentcore`: the command line for a self-hosted AgentCore Identity service.
//!
//! `agentcore identity <command>` creates, shows, lists and deletes credential providers,
//! workload identities, access keys and JWT authorizers over the control plane's gRPC API,
//! authenticated with the admin token; and it mints workload access tokens and fetches API keys
//! over the data plane's gRPC API, authenticated with an access key. Results print as tables
//! (or `key: value` lines) for people and as JSON for scripts; a failure prints one `error: …`
//! line on stderr and exits with 1, or with 2 when the command line itself is refused.

mod args;
mod client;
mod commands;
mod error;
mod output;
mod secret;

use std::{
    io::{self, Write as _},
    process::ExitCode,
};

use clap::Parser as _;

use crate::error::CliError;

fn main() -> ExitCode {
    // Exits by itself, with 0 for --help and --version and 2 for a malformed command line.
    let cli = args::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            return fail(&CliError::Output(format!("cannot start the async runtime: {err}")));
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(outcome) => {
            if let Err(err) = write_stdout(&outcome.stdout) {
                return fail(&err);
            }
            if let Some(notice) = outcome.notice {
                // Advice only: if stderr is gone there is no one to read it anyway.
                let _ = io::stderr().write_all(notice.as_bytes());
            }
            ExitCode::SUCCESS
        }
        Err(err) => fail(&err),
    }
}

/// Writes the result; a reader that went away (`agentcore … | head`) is not a failure.
fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Output(err.to_string())),
        _ => Ok(()),
    }
}

/// Prints the one-line error and returns its exit code.
fn fail(err: &CliError) -> ExitCode {
    let _ = writeln!(io::stderr(), "error: {err}");
    err.exit_code()
}
