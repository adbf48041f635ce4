use base64::Engine as _;
use ring::{
    digest,
    rand::{SecureRandom as _, SystemRandom},
};

use crate::CryptoError;

/// `n` bytes from the system's CSPRNG.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, CryptoError> {
    let mut bytes = vec![0u8; n];
    SystemRandom::new().fill(&mut bytes).map_err(|_| CryptoError::Random)?;
    Ok(bytes)
}

/// A random URL-safe token carrying `n` bytes of entropy (for admin tokens and secrets).
pub fn random_token(n: usize) -> Result<String, CryptoError> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(n)?))
}

/// Lowercase hex SHA-256 of `data`: how high-entropy bearer secrets (admin tokens, access-key
/// secrets) are stored and looked up. Such secrets need no slow password hash: they are 256-bit
/// random values, not guessable passwords.
pub fn sha256_hex(data: &[u8]) -> String {
    digest::digest(&digest::SHA256, data).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn tokens_are_random_and_url_safe() -> Result<(), CryptoError> {
        let (a, b) = (random_token(32)?, random_token(32)?);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        Ok(())
    }
}
