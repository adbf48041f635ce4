//! Names of provider vendors, types and statuses as the CLI reads and prints them: short
//! lowercase words (`salesforce`, `oauth2`, `ACTIVE`), not the proto enum's constants.

use identity_proto::v1::{CredentialProviderStatus, CredentialProviderType, CredentialProviderVendor};

use crate::error::CliError;

/// Each vendor's short name. AgentCore's name is the short name followed by `Oauth2`
/// (`salesforce` → `SalesforceOauth2`).
const VENDORS: [(&str, CredentialProviderVendor); 15] = [
    ("custom", CredentialProviderVendor::CustomOauth2),
    ("google", CredentialProviderVendor::GoogleOauth2),
    ("github", CredentialProviderVendor::GithubOauth2),
    ("slack", CredentialProviderVendor::SlackOauth2),
    ("salesforce", CredentialProviderVendor::SalesforceOauth2),
    ("microsoft", CredentialProviderVendor::MicrosoftOauth2),
    ("okta", CredentialProviderVendor::OktaOauth2),
    ("twitch", CredentialProviderVendor::TwitchOauth2),
    ("linkedin", CredentialProviderVendor::LinkedinOauth2),
    ("reddit", CredentialProviderVendor::RedditOauth2),
    ("spotify", CredentialProviderVendor::SpotifyOauth2),
    ("zendesk", CredentialProviderVendor::ZendeskOauth2),
    ("atlassian", CredentialProviderVendor::AtlassianOauth2),
    ("dropbox", CredentialProviderVendor::DropboxOauth2),
    ("auth0", CredentialProviderVendor::Auth0Oauth2),
];

/// Reads `--vendor` for an OAuth2 provider: a short name (`salesforce`), AgentCore's name
/// (`SalesforceOauth2`) or the proto constant, in any case.
pub fn parse_vendor(raw: &str) -> Result<CredentialProviderVendor, CliError> {
    let wanted = raw.trim().to_ascii_lowercase();
    let found = VENDORS.iter().find(|(short, vendor)| {
        wanted == *short || wanted == format!("{short}oauth2") || wanted == vendor.as_str_name().to_ascii_lowercase()
    });
    match found {
        Some((_, vendor)) => Ok(*vendor),
        None => {
            let known: Vec<&str> = VENDORS.iter().map(|(short, _)| *short).collect();
            Err(CliError::usage(format!("unknown OAuth2 vendor '{raw}'; expected one of: {}", known.join(", "))))
        }
    }
}

/// A vendor's short name; `""` when unset, the number when this CLI does not know it.
pub fn vendor_name(value: i32) -> String {
    match CredentialProviderVendor::try_from(value) {
        Ok(CredentialProviderVendor::Unspecified) => String::new(),
        Ok(vendor) => VENDORS
            .iter()
            .find(|(_, known)| *known == vendor)
            .map_or_else(|| vendor.as_str_name().to_owned(), |(short, _)| (*short).to_owned()),
        Err(_) => value.to_string(),
    }
}

/// `oauth2` or `api_key`; `""` when unset.
pub fn type_name(value: i32) -> String {
    match CredentialProviderType::try_from(value) {
        Ok(CredentialProviderType::Oauth2) => "oauth2".to_owned(),
        Ok(CredentialProviderType::ApiKey) => "api_key".to_owned(),
        Ok(CredentialProviderType::Unspecified) => String::new(),
        Err(_) => value.to_string(),
    }
}

/// `CREATING`, `ACTIVE` or `FAILED`; `""` when unset.
pub fn status_name(value: i32) -> String {
    match CredentialProviderStatus::try_from(value) {
        Ok(CredentialProviderStatus::Creating) => "CREATING".to_owned(),
        Ok(CredentialProviderStatus::Active) => "ACTIVE".to_owned(),
        Ok(CredentialProviderStatus::Failed) => "FAILED".to_owned(),
        Ok(CredentialProviderStatus::Unspecified) => String::new(),
        Err(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests;
