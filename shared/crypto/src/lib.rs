//! Secrets at rest: envelope encryption with AES-256-GCM (`ring`).
//!
//! Each account has data keys (random 256-bit AES keys, versioned); each data key is stored
//! wrapped by a key-encryption key from the operator's [`MasterKeyRing`]. Every ciphertext names
//! the data-key version that sealed it, uses a fresh random nonce, and is bound by associated
//! data to its account, table, record and field ([`SealContext`]), so a ciphertext copied to
//! another row or account fails to open. Plaintext key material is zeroed when dropped.

mod audit;
mod envelope;
mod hash;
mod keyring;

pub use audit::{
    ChainBreak, ChainBreakReason, ChainVerifier, VerifyReport, audit_canonical_bytes, audit_hash, audit_user_hash,
};
pub use envelope::{DataKey, SealContext};
pub use hash::{pkce_s256, random_bytes, random_token, sha256, sha256_hex};
pub use keyring::{MasterKeyRing, WrappedDataKey, load_or_create_secret_file};

/// Why a cryptographic operation failed. Never carries key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The master key ring configuration is malformed.
    #[error("master key ring: {0}")]
    KeyRing(String),
    /// A ciphertext names a key the ring or account does not have.
    #[error("ciphertext refers to unknown key {0}")]
    UnknownKey(String),
    /// Authentication failed: wrong key, wrong associated data, or tampered ciphertext.
    #[error("ciphertext failed authentication")]
    Open,
    /// The ciphertext is too short or of an unknown format version.
    #[error("ciphertext is malformed")]
    Malformed,
    /// The system random number generator failed.
    #[error("random number generator failed")]
    Random,
    /// Reading or writing the key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}
