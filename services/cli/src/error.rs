//! What can go wrong, how each failure reads on one line of stderr, and which exit code it
//! gives: 2 for a command line the CLI refuses before calling anyone (clap's own code for usage
//! errors), 1 for anything the control plane, the data plane, the network or the terminal did.

use std::{error::Error as _, process::ExitCode};

use identity_proto::code_name;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use crate::output::sanitize;

/// Exit code of a refused command line, the same as clap's.
pub const EXIT_USAGE: u8 = 2;
/// Exit code of a failed call or an unwritable output.
pub const EXIT_FAILURE: u8 = 1;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments contradict each other or fail a check made before any call.
    #[error("{0}")]
    Usage(String),
    /// No connection to the control plane or the data plane could be made.
    #[error("cannot reach the {plane} at {endpoint}: {cause}")]
    Unreachable {
        /// `control plane` or `data plane`.
        plane: &'static str,
        /// The endpoint tried, as normalised.
        endpoint: String,
        /// The innermost causes, joined on one line.
        cause: String,
    },
    /// The service answered with an error status.
    #[error("{}", describe_status(.0))]
    Rpc(Box<Status>),
    /// `audit verify` found the hash chain broken.
    #[error("audit chain broken at event {sequence}: {reason} ({checked} events checked)")]
    AuditChainBroken {
        /// Sequence number of the first event that does not chain.
        sequence: u64,
        /// What is wrong with it.
        reason: String,
        /// Events checked, up to and including that one.
        checked: u64,
    },
    /// `get-token --value-only` got an authorization URL instead of a token.
    #[error(
        "authorization required: open {authorization_url} as the user, then run complete-auth --session-uri \
         {session_uri}"
    )]
    AuthorizationRequired {
        /// The URL to open as the user (sanitised).
        authorization_url: String,
        /// The session to complete (sanitised).
        session_uri: String,
    },
    /// The result could not be serialised or written.
    #[error("cannot write the output: {0}")]
    Output(String),
}

impl CliError {
    /// A usage error with this message.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(EXIT_USAGE),
            CliError::Unreachable { .. }
            | CliError::Rpc(_)
            | CliError::AuditChainBroken { .. }
            | CliError::AuthorizationRequired { .. }
            | CliError::Output(_) => ExitCode::from(EXIT_FAILURE),
        }
    }

    /// Classifies a failed call: an `UNAVAILABLE` status that wraps a local error was made by
    /// the client's transport, not sent by the control plane, so it reads as a connection
    /// failure. (A status decoded from a server's response never has a source.)
    pub fn from_status(plane: &'static str, endpoint: &str, status: Status) -> Self {
        if status.code() == Code::Unavailable
            && let Some(source) = status.source()
        {
            let cause = sanitize(&cause_chain(source));
            return CliError::Unreachable { plane, endpoint: endpoint.to_owned(), cause };
        }
        CliError::Rpc(Box::new(status))
    }
}

/// One line for a status: the code's canonical name, the `google.rpc.ErrorInfo` reason if the
/// server sent one, the message, and any bad-request field violations.
///
/// `NOT_FOUND (ResourceNotFoundException): credential provider 'x' not found`
pub fn describe_status(status: &Status) -> String {
    let details = status.get_error_details();
    let mut line = code_name(status.code()).to_owned();
    if let Some(info) = details.error_info().filter(|info| !info.reason.is_empty()) {
        line.push_str(&format!(" ({})", sanitize(&info.reason)));
    }
    let message = sanitize(status.message());
    if !message.is_empty() {
        line.push_str(": ");
        line.push_str(&message);
    }
    if let Some(bad_request) = details.bad_request() {
        let violations: Vec<String> = bad_request
            .field_violations
            .iter()
            .map(|violation| format!("{}: {}", sanitize(&violation.field), sanitize(&violation.description)))
            .collect();
        if !violations.is_empty() {
            line.push_str(": ");
            line.push_str(&violations.join("; "));
        }
    }
    line
}

/// The Display of an error and each of its sources, joined with `: `, skipping a source whose
/// text repeats what was already said (transport errors often wrap the same words twice).
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|seen| seen.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests;
