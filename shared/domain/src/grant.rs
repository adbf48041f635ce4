//! A user's OAuth grant as stored: the one definition of the format, shared by the data plane,
//! which writes it, and the control plane, which reads it to revoke the tokens.

use serde::{Deserialize, Serialize};

use crate::{SecretString, UnixMillis};

/// What a user's OAuth grant at a credential provider holds (USER_FEDERATION), as stored: JSON,
/// sealed at rest with the account's data key (in the database, and in the data planes' grant
/// cache). The data plane writes it when the user authorizes and again on each refresh; the
/// control plane reads it when the user disconnects, to revoke the tokens at the provider
/// (RFC 7009).
///
/// The JSON is the format of every stored row: these field names, tokens as plain JSON strings
/// (the seal protects them), `null` for a missing expiry or refresh token. Change it only in ways
/// that still read what is stored.
///
/// The tokens are [`SecretString`]s: `Debug` shows `[REDACTED]` for them, and they are zeroed
/// when dropped.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredGrant {
    /// The access token.
    #[serde(with = "secret_json")]
    pub access_token: SecretString,
    /// `token_type`, e.g. `Bearer`.
    pub token_type: String,
    /// When the access token expires, in milliseconds since the Unix epoch; `None` when it does
    /// not.
    pub expires_at: Option<UnixMillis>,
    /// The refresh token, when the provider granted one.
    #[serde(default, with = "optional_secret_json")]
    pub refresh_token: Option<SecretString>,
    /// The scopes granted (those the provider named, else those requested).
    pub scopes: Vec<String>,
}

/// A [`SecretString`] as a plain JSON string, for [`StoredGrant`] only: `SecretString` has no
/// serde of its own, so a secret cannot be serialized into a response or a log by accident.
mod secret_json {
    use serde::{Deserialize as _, Deserializer, Serializer};

    use crate::SecretString;

    pub(super) fn serialize<S: Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(secret.expose())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SecretString, D::Error> {
        String::deserialize(deserializer).map(SecretString::new)
    }
}

/// An optional [`SecretString`] as a plain JSON string or `null` (see [`secret_json`]).
mod optional_secret_json {
    use serde::{Deserialize as _, Deserializer, Serializer};

    use crate::SecretString;

    pub(super) fn serialize<S: Serializer>(secret: &Option<SecretString>, serializer: S) -> Result<S::Ok, S::Error> {
        match secret {
            Some(secret) => serializer.serialize_some(secret.expose()),
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SecretString>, D::Error> {
        Option::<String>::deserialize(deserializer).map(|secret| secret.map(SecretString::new))
    }
}

#[cfg(test)]
mod tests;
