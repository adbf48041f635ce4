use std::fmt;

use serde::{Deserialize, Serialize};

/// The account every resource belongs to when none is named.
pub const DEFAULT_ACCOUNT: &str = "000000000000";
/// The region ARNs name when none is configured.
pub const DEFAULT_REGION: &str = "us-east-1";

/// A 12-digit account id. Every resource belongs to exactly one; one account never sees another's.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Parses a 12-digit account id.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value.to_owned()))
        } else {
            Err("an account id is exactly 12 digits".to_owned())
        }
    }

    /// The default account, `000000000000`.
    pub fn default_account() -> Self {
        Self(DEFAULT_ACCOUNT.to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AccountId> for String {
    fn from(value: AccountId) -> Self {
        value.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

/// Builds AgentCore-style ARNs for one region.
#[derive(Clone, Debug)]
pub struct Arns {
    region: String,
}

impl Arns {
    /// ARNs in `region`.
    pub fn new(region: impl Into<String>) -> Self {
        Self { region: region.into() }
    }

    fn prefix(&self, account: &AccountId) -> String {
        format!("arn:aws:bedrock-agentcore:{}:{}", self.region, account)
    }

    /// `…:workload-identity-directory/default/workload-identity/NAME`.
    pub fn workload_identity(&self, account: &AccountId, name: &str) -> String {
        format!("{}:workload-identity-directory/default/workload-identity/{name}", self.prefix(account))
    }

    /// `…:token-vault/default/oauth2credentialprovider/NAME`.
    pub fn oauth2_provider(&self, account: &AccountId, name: &str) -> String {
        format!("{}:token-vault/default/oauth2credentialprovider/{name}", self.prefix(account))
    }

    /// `…:token-vault/default/apikeycredentialprovider/NAME`.
    pub fn api_key_provider(&self, account: &AccountId, name: &str) -> String {
        format!("{}:token-vault/default/apikeycredentialprovider/{name}", self.prefix(account))
    }

    /// `…:jwt-authorizer/NAME`.
    pub fn jwt_authorizer(&self, account: &AccountId, name: &str) -> String {
        format!("{}:jwt-authorizer/{name}", self.prefix(account))
    }

    /// `…:token-vault/default`.
    pub fn token_vault(&self, account: &AccountId) -> String {
        format!("{}:token-vault/default", self.prefix(account))
    }
}
