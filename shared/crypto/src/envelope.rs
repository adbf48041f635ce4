use std::fmt;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::{CryptoError, random_bytes};

/// Format version byte that starts every ciphertext.
const FORMAT_V1: u8 = 1;
/// Version byte, 4-byte big-endian data-key version, nonce.
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;

/// What a ciphertext is bound to. Opening with any other context fails.
#[derive(Clone, Copy, Debug)]
pub struct SealContext<'a> {
    /// Owning account.
    pub account: &'a str,
    /// Table (or cache namespace) holding the ciphertext.
    pub table: &'a str,
    /// Record id within the table.
    pub record: &'a str,
    /// Field within the record.
    pub field: &'a str,
}

impl SealContext<'_> {
    fn aad(&self) -> Vec<u8> {
        // Length-prefix each part so that no two different contexts share an encoding.
        let mut out = Vec::with_capacity(64);
        for part in [self.account, self.table, self.record, self.field] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// An account's unwrapped data key.
pub struct DataKey {
    version: u32,
    key: LessSafeKey,
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey").field("version", &self.version).finish_non_exhaustive()
    }
}

impl DataKey {
    /// Builds a data key from raw material.
    pub(crate) fn from_raw(version: u32, raw: &[u8]) -> Result<Self, CryptoError> {
        let key = UnboundKey::new(&AES_256_GCM, raw).map_err(|_| CryptoError::Malformed)?;
        Ok(Self { version, key: LessSafeKey::new(key) })
    }

    /// A fresh random data key and its raw material (to be wrapped for storage).
    pub fn generate(version: u32) -> Result<(Self, Zeroizing<Vec<u8>>), CryptoError> {
        let raw = Zeroizing::new(random_bytes(32)?);
        Ok((Self::from_raw(version, &raw)?, raw))
    }

    /// The version this key seals under.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Encrypts `plaintext`, bound to `context`.
    pub fn seal(&self, context: &SealContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce_bytes = random_bytes(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(&nonce_bytes).map_err(|_| CryptoError::Random)?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + AES_256_GCM.tag_len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&nonce_bytes);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(nonce, Aad::from(context.aad()), &mut body)
            .map_err(|_| CryptoError::Random)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Decrypts a ciphertext sealed by this key for `context`.
    pub fn open(&self, context: &SealContext<'_>, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let version = Self::version_of(ciphertext)?;
        if version != self.version {
            return Err(CryptoError::UnknownKey(format!("data key v{version}")));
        }
        let nonce = Nonce::try_assume_unique_for_key(&ciphertext[5..HEADER_LEN]).map_err(|_| CryptoError::Malformed)?;
        let mut body = Zeroizing::new(ciphertext[HEADER_LEN..].to_vec());
        let len =
            self.key.open_in_place(nonce, Aad::from(context.aad()), &mut body).map_err(|_| CryptoError::Open)?.len();
        body.truncate(len);
        Ok(body)
    }

    /// The data-key version a ciphertext was sealed under.
    pub fn version_of(ciphertext: &[u8]) -> Result<u32, CryptoError> {
        if ciphertext.len() < HEADER_LEN + AES_256_GCM.tag_len() || ciphertext[0] != FORMAT_V1 {
            return Err(CryptoError::Malformed);
        }
        let mut version = [0u8; 4];
        version.copy_from_slice(&ciphertext[1..5]);
        Ok(u32::from_be_bytes(version))
    }
}

#[cfg(test)]
mod tests;
