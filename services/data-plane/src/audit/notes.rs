//! What a handler learns while an audited call runs (the workload and user of a verified or
//! minted WAT, the refreshes it made), kept on a task-local notepad that [`super::Audited`]
//! sets up and reads when the call ends. Outside an audited call, notes go nowhere.

use std::sync::{Arc, Mutex, PoisonError};

use identity_domain::AuditOutcome;

use crate::error::DataError;

/// Longest request string copied into an event (requests are validated after this point, so
/// anything may come: see [`clip`]).
const MAX_FIELD: usize = 256;

tokio::task_local! {
    pub(super) static NOTES: Arc<Mutex<Notes>>;
}

/// What a handler learnt while it ran.
#[derive(Debug, Default)]
pub(super) struct Notes {
    /// The workload of a verified WAT, or the one a WAT was minted for.
    pub workload: Option<String>,
    /// The user of that WAT (in clear here; only its hash is recorded).
    pub user: Option<String>,
    /// Refreshes made at the provider: (provider, outcome, reason).
    pub refreshes: Vec<(String, AuditOutcome, String)>,
}

fn with_notes(f: impl FnOnce(&mut Notes)) {
    // Outside an audited call (no notepad) there is nothing to add to.
    let _ = NOTES.try_with(|notes| f(&mut notes.lock().unwrap_or_else(PoisonError::into_inner)));
}

/// Adds to the current call's event the workload (and user) of a WAT that was verified or
/// minted.
pub fn note_workload(workload: &str, user: Option<&str>) {
    with_notes(|notes| {
        notes.workload = Some(clip(workload));
        if let Some(user) = user {
            notes.user = Some(user.to_owned());
        }
    });
}

/// Records, with the current call, a refresh of a user's grant at `provider` and how it ended.
pub fn note_refresh<T>(provider: &str, result: &Result<Option<T>, DataError>) {
    let (outcome, reason) = match result {
        Ok(Some(_)) => (AuditOutcome::Success, String::new()),
        // The grant was gone when the refresh came to store it.
        Ok(None) => (AuditOutcome::Failure, "GrantNotFound".to_owned()),
        Err(DataError::TokenRefreshFailed { code, .. }) => (AuditOutcome::Failure, refresh_reason(code)),
        Err(_) => (AuditOutcome::Failure, "InternalServerException".to_owned()),
    };
    with_notes(|notes| notes.refreshes.push((clip(provider), outcome, reason)));
}

/// `TokenRefreshFailed:<code>` when the provider's (or our) error code is a plain OAuth2 error
/// code; a provider's free text is not copied into the log.
fn refresh_reason(code: &str) -> String {
    match crate::federation::oauth_error_code(code, "") {
        code if code.is_empty() => "TokenRefreshFailed".to_owned(),
        code => format!("TokenRefreshFailed:{code}"),
    }
}

/// A request string as recorded: its first [`MAX_FIELD`] characters, each control character
/// (NUL among them, which Postgres text refuses) replaced by U+FFFD, so that no request can make
/// its own event unwritable.
pub(super) fn clip(value: &str) -> String {
    value.chars().take(MAX_FIELD).map(|c| if c.is_control() { char::REPLACEMENT_CHARACTER } else { c }).collect()
}

#[cfg(test)]
mod tests;
