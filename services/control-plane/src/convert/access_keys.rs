use identity_crypto::{CryptoError, random_bytes, random_token, sha256_hex};
use identity_domain::{AccessKey, FieldViolation, NewAccessKey, SecretString, Violations};
use identity_proto::v1 as pb;

use super::timestamp;

/// RFC 4648 base32 alphabet, as AWS access key ids use.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A validated CreateAccessKey request.
#[derive(Debug)]
pub struct AccessKeyRequest {
    pub description: String,
    pub allowed_workload_names: Vec<String>,
}

impl TryFrom<pb::CreateAccessKeyRequest> for AccessKeyRequest {
    type Error = Vec<FieldViolation>;

    fn try_from(request: pb::CreateAccessKeyRequest) -> Result<Self, Self::Error> {
        let pb::CreateAccessKeyRequest { description, allowed_workload_names } = request;
        let mut v = Violations::default();
        v.description("description", &description);
        if allowed_workload_names.len() > 100 {
            v.add("allowed_workload_names", "at most 100 workload identities are allowed");
        }
        for (i, name) in allowed_workload_names.iter().enumerate() {
            v.workload_name(&format!("allowed_workload_names[{i}]"), name);
        }
        v.finish()?;
        Ok(Self { description, allowed_workload_names })
    }
}

impl AccessKeyRequest {
    /// Mints the key: id `AKIA` + 16 base32 characters (80 random bits) and a 240-bit secret,
    /// of which only the hash is kept.
    pub fn mint(self) -> Result<(NewAccessKey, SecretString), CryptoError> {
        let mut padded = [0u8; 16];
        padded[6..].copy_from_slice(&random_bytes(10)?);
        let bits = u128::from_be_bytes(padded);
        let mut access_key_id = String::from("AKIA");
        for i in (0..16).rev() {
            access_key_id.push(char::from(BASE32[((bits >> (i * 5)) & 31) as usize]));
        }
        let secret = random_token(30)?;
        let key = NewAccessKey {
            access_key_id,
            secret_hash: sha256_hex(secret.as_bytes()),
            description: self.description,
            allowed_workload_names: self.allowed_workload_names,
        };
        Ok((key, SecretString::new(secret)))
    }
}

/// A stored access key on the wire (never its secret).
pub fn access_key_to_wire(key: AccessKey) -> pb::AccessKey {
    let AccessKey { access_key_id, account: _, description, allowed_workload_names, created_at } = key;
    pb::AccessKey { access_key_id, description, allowed_workload_names, created_time: Some(timestamp(created_at)) }
}
