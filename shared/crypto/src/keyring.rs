use std::{fmt, fs, io::Write as _, os::unix::fs::OpenOptionsExt as _, path::Path};

use base64::Engine as _;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::{CryptoError, DataKey, random_bytes};

/// A data key as stored: wrapped by the master key named by `master_key_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedDataKey {
    /// Id of the key-encryption key in the ring.
    pub master_key_id: String,
    /// Nonce, ciphertext and tag.
    pub bytes: Vec<u8>,
}

struct MasterKey {
    id: String,
    key: LessSafeKey,
}

/// The operator's key-encryption keys. The last key listed is current: new data keys are wrapped
/// under it; older keys stay to unwrap what they wrapped until it has been re-wrapped.
///
/// Textual form (`IDENTITY_MASTER_KEYS`, or the lines of `IDENTITY_MASTER_KEY_FILE`):
/// `ID:BASE64` pairs of 32-byte keys separated by commas or newlines, e.g. `k1:…,k2:…`.
pub struct MasterKeyRing {
    keys: Vec<MasterKey>,
}

impl fmt::Debug for MasterKeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKeyRing").field("key_ids", &self.key_ids()).finish_non_exhaustive()
    }
}

impl MasterKeyRing {
    /// Parses the textual form. Errors name the position of the bad entry, never key material.
    pub fn parse(spec: &str) -> Result<Self, CryptoError> {
        let mut keys: Vec<MasterKey> = Vec::new();
        let entries = spec.split([',', '\n', '\r']).map(str::trim).filter(|e| !e.is_empty() && !e.starts_with('#'));
        for (i, entry) in entries.enumerate() {
            let bad = |why: &str| CryptoError::KeyRing(format!("entry {} {why}", i + 1));
            let (id, b64) = entry.split_once(':').ok_or_else(|| bad("is not of the form ID:BASE64"))?;
            if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
                return Err(bad("has an id that is not 1 to 64 of [A-Za-z0-9_.-]"));
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(bad("repeats a key id"));
            }
            let raw = Zeroizing::new(
                base64::engine::general_purpose::STANDARD.decode(b64.trim()).map_err(|_| bad("is not valid base64"))?,
            );
            if raw.len() != 32 {
                return Err(bad("is not a 32-byte key"));
            }
            let key = UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| bad("is not a valid AES-256 key"))?;
            keys.push(MasterKey { id: id.to_owned(), key: LessSafeKey::new(key) });
        }
        if keys.is_empty() {
            return Err(CryptoError::KeyRing("no keys given".to_owned()));
        }
        Ok(Self { keys })
    }

    /// A new random key in textual form, `ID:BASE64`.
    pub fn generate_entry(id: &str) -> Result<Zeroizing<String>, CryptoError> {
        let raw = Zeroizing::new(random_bytes(32)?);
        Ok(Zeroizing::new(format!("{id}:{}", base64::engine::general_purpose::STANDARD.encode(&*raw))))
    }

    /// Reads the ring from `path`, or creates the file (mode 0600) with one fresh key when it does
    /// not exist. Returns whether it was created.
    pub fn load_or_create_file(path: &Path) -> Result<(Self, bool), CryptoError> {
        let existed = path.exists();
        let text = load_or_create_secret_file(path, || Self::generate_entry("k1").map(|e| e.to_string()))?;
        Ok((Self::parse(&text)?, !existed))
    }

    /// Reads the ring from `path`.
    pub fn load_file(path: &Path) -> Result<Self, CryptoError> {
        let text = Zeroizing::new(
            fs::read_to_string(path).map_err(|source| CryptoError::Io { path: path.display().to_string(), source })?,
        );
        Self::parse(&text)
    }

    /// Ids of every key, oldest first.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// Id of the current key.
    pub fn current_id(&self) -> &str {
        self.keys.last().map(|k| k.id.as_str()).unwrap_or_default()
    }

    fn aad(account: &str, version: u32) -> Vec<u8> {
        format!("agentcore-identity/data-key/v1/{account}/{version}").into_bytes()
    }

    /// Wraps raw data-key material under the current key.
    pub fn wrap(&self, account: &str, version: u32, raw: &[u8]) -> Result<WrappedDataKey, CryptoError> {
        let master = self.keys.last().ok_or_else(|| CryptoError::KeyRing("no keys given".to_owned()))?;
        let nonce_bytes = random_bytes(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(&nonce_bytes).map_err(|_| CryptoError::Random)?;
        let mut body = raw.to_vec();
        master
            .key
            .seal_in_place_append_tag(nonce, Aad::from(Self::aad(account, version)), &mut body)
            .map_err(|_| CryptoError::Random)?;
        let mut bytes = nonce_bytes;
        bytes.extend_from_slice(&body);
        Ok(WrappedDataKey { master_key_id: master.id.clone(), bytes })
    }

    /// Unwraps a stored data key.
    pub fn unwrap(&self, account: &str, version: u32, wrapped: &WrappedDataKey) -> Result<DataKey, CryptoError> {
        let raw = self.unwrap_raw(account, version, wrapped)?;
        DataKey::from_raw(version, &raw)
    }

    /// Re-wraps a stored data key under the current key (the material, hence every ciphertext
    /// it sealed, stays the same); the plaintext material never leaves this function.
    pub fn rewrap(&self, account: &str, version: u32, wrapped: &WrappedDataKey) -> Result<WrappedDataKey, CryptoError> {
        let raw = self.unwrap_raw(account, version, wrapped)?;
        self.wrap(account, version, &raw)
    }

    fn unwrap_raw(
        &self,
        account: &str,
        version: u32,
        wrapped: &WrappedDataKey,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let master = self
            .keys
            .iter()
            .find(|k| k.id == wrapped.master_key_id)
            .ok_or_else(|| CryptoError::UnknownKey(wrapped.master_key_id.clone()))?;
        if wrapped.bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(CryptoError::Malformed);
        }
        let nonce =
            Nonce::try_assume_unique_for_key(&wrapped.bytes[..NONCE_LEN]).map_err(|_| CryptoError::Malformed)?;
        let mut body = Zeroizing::new(wrapped.bytes[NONCE_LEN..].to_vec());
        let len = master
            .key
            .open_in_place(nonce, Aad::from(Self::aad(account, version)), &mut body)
            .map_err(|_| CryptoError::Open)?
            .len();
        body.truncate(len);
        Ok(body)
    }
}

/// Reads a secret file, or creates it (mode 0600, parent directories as needed) with what
/// `generate` returns when it does not exist. Two processes racing here end up with the same
/// content: the file appears atomically (hard link of a complete temporary file), and the loser
/// reads the winner's.
pub fn load_or_create_secret_file(
    path: &Path,
    generate: impl FnOnce() -> Result<String, CryptoError>,
) -> Result<Zeroizing<String>, CryptoError> {
    let io = |source| CryptoError::Io { path: path.display().to_string(), source };
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let content = Zeroizing::new(generate()?);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).map_err(io)?;
        file.write_all(format!("{}\n", content.as_str()).as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => return Ok(content),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    fs::read_to_string(path).map(|s| Zeroizing::new(s.trim().to_owned())).map_err(io)
}

#[cfg(test)]
mod tests;
