//! A secret read from the command line or the environment (a client secret, an API key, the
//! admin token, an access key, a workload access token) or vended by the data plane. Its `Debug`
//! is redacted so that no diagnostic can print it by accident.

use std::{convert::Infallible, fmt, str::FromStr};

/// A secret string whose `Debug` says only that it is there.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The plaintext, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Takes the plaintext out, to move it into a request.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl FromStr for Secret {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl From<String> for Secret {
    fn from(plaintext: String) -> Self {
        Secret(plaintext)
    }
}
