use std::fmt;

use serde::{Deserialize, Serialize};

/// An OAuth2 vendor: whose endpoints and quirks apply to a provider. The names are AgentCore's
/// `CredentialProviderVendorType` values; the short names are the CLI's (`--vendor salesforce`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Vendor {
    /// Any OAuth2/OIDC server, by discovery URL or explicit endpoints.
    CustomOauth2,
    /// Google.
    GoogleOauth2,
    /// GitHub.
    GithubOauth2,
    /// Slack.
    SlackOauth2,
    /// Salesforce.
    SalesforceOauth2,
    /// Microsoft Entra ID.
    MicrosoftOauth2,
    /// Okta.
    OktaOauth2,
    /// Twitch.
    TwitchOauth2,
    /// LinkedIn.
    LinkedinOauth2,
    /// Reddit.
    RedditOauth2,
    /// Spotify.
    SpotifyOauth2,
    /// Zendesk.
    ZendeskOauth2,
    /// Atlassian.
    AtlassianOauth2,
    /// Dropbox.
    DropboxOauth2,
    /// Auth0.
    Auth0Oauth2,
}

/// What a vendor's tenant field means, when its endpoints depend on one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantRule {
    /// The vendor has fixed endpoints.
    None,
    /// The tenant is optional and has this default (Microsoft's `common`).
    Optional(&'static str),
    /// The endpoints cannot be known without it (Okta, Zendesk, Auth0).
    Required,
}

impl Vendor {
    /// Every vendor, in catalog order.
    pub const ALL: [Vendor; 15] = [
        Vendor::CustomOauth2,
        Vendor::GoogleOauth2,
        Vendor::GithubOauth2,
        Vendor::SlackOauth2,
        Vendor::SalesforceOauth2,
        Vendor::MicrosoftOauth2,
        Vendor::OktaOauth2,
        Vendor::TwitchOauth2,
        Vendor::LinkedinOauth2,
        Vendor::RedditOauth2,
        Vendor::SpotifyOauth2,
        Vendor::ZendeskOauth2,
        Vendor::AtlassianOauth2,
        Vendor::DropboxOauth2,
        Vendor::Auth0Oauth2,
    ];

    /// AgentCore's name, e.g. `SalesforceOauth2`.
    pub fn aws_name(self) -> &'static str {
        match self {
            Vendor::CustomOauth2 => "CustomOauth2",
            Vendor::GoogleOauth2 => "GoogleOauth2",
            Vendor::GithubOauth2 => "GithubOauth2",
            Vendor::SlackOauth2 => "SlackOauth2",
            Vendor::SalesforceOauth2 => "SalesforceOauth2",
            Vendor::MicrosoftOauth2 => "MicrosoftOauth2",
            Vendor::OktaOauth2 => "OktaOauth2",
            Vendor::TwitchOauth2 => "TwitchOauth2",
            Vendor::LinkedinOauth2 => "LinkedinOauth2",
            Vendor::RedditOauth2 => "RedditOauth2",
            Vendor::SpotifyOauth2 => "SpotifyOauth2",
            Vendor::ZendeskOauth2 => "ZendeskOauth2",
            Vendor::AtlassianOauth2 => "AtlassianOauth2",
            Vendor::DropboxOauth2 => "DropboxOauth2",
            Vendor::Auth0Oauth2 => "Auth0Oauth2",
        }
    }

    /// The CLI's short name, e.g. `salesforce`.
    pub fn short_name(self) -> &'static str {
        match self {
            Vendor::CustomOauth2 => "custom",
            Vendor::GoogleOauth2 => "google",
            Vendor::GithubOauth2 => "github",
            Vendor::SlackOauth2 => "slack",
            Vendor::SalesforceOauth2 => "salesforce",
            Vendor::MicrosoftOauth2 => "microsoft",
            Vendor::OktaOauth2 => "okta",
            Vendor::TwitchOauth2 => "twitch",
            Vendor::LinkedinOauth2 => "linkedin",
            Vendor::RedditOauth2 => "reddit",
            Vendor::SpotifyOauth2 => "spotify",
            Vendor::ZendeskOauth2 => "zendesk",
            Vendor::AtlassianOauth2 => "atlassian",
            Vendor::DropboxOauth2 => "dropbox",
            Vendor::Auth0Oauth2 => "auth0",
        }
    }

    /// Parses either the AgentCore name or the short name, case-insensitively.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.aws_name().eq_ignore_ascii_case(value) || v.short_name().eq_ignore_ascii_case(value))
    }

    /// Whether the vendor's endpoints need a tenant.
    pub fn tenant_rule(self) -> TenantRule {
        match self {
            Vendor::MicrosoftOauth2 => TenantRule::Optional("common"),
            Vendor::OktaOauth2 | Vendor::ZendeskOauth2 | Vendor::Auth0Oauth2 => TenantRule::Required,
            Vendor::SalesforceOauth2 => TenantRule::Optional("login.salesforce.com"),
            _ => TenantRule::None,
        }
    }

    /// The vendor's authorization and token endpoints for `tenant` (already validated as a
    /// host name or directory id), or `None` for custom providers.
    pub fn endpoints(self, tenant: &str) -> Option<(String, String)> {
        let fixed = |a: &str, t: &str| Some((a.to_owned(), t.to_owned()));
        match self {
            Vendor::CustomOauth2 => None,
            Vendor::GoogleOauth2 => {
                fixed("https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token")
            }
            Vendor::GithubOauth2 => {
                fixed("https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token")
            }
            Vendor::SlackOauth2 => {
                fixed("https://slack.com/oauth/v2/authorize", "https://slack.com/api/oauth.v2.access")
            }
            Vendor::SalesforceOauth2 => Some((
                format!("https://{tenant}/services/oauth2/authorize"),
                format!("https://{tenant}/services/oauth2/token"),
            )),
            Vendor::MicrosoftOauth2 => Some((
                format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"),
                format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"),
            )),
            Vendor::OktaOauth2 => {
                Some((format!("https://{tenant}/oauth2/v1/authorize"), format!("https://{tenant}/oauth2/v1/token")))
            }
            Vendor::TwitchOauth2 => fixed("https://id.twitch.tv/oauth2/authorize", "https://id.twitch.tv/oauth2/token"),
            Vendor::LinkedinOauth2 => fixed(
                "https://www.linkedin.com/oauth/v2/authorization",
                "https://www.linkedin.com/oauth/v2/accessToken",
            ),
            Vendor::RedditOauth2 => {
                fixed("https://www.reddit.com/api/v1/authorize", "https://www.reddit.com/api/v1/access_token")
            }
            Vendor::SpotifyOauth2 => {
                fixed("https://accounts.spotify.com/authorize", "https://accounts.spotify.com/api/token")
            }
            Vendor::ZendeskOauth2 => Some((
                format!("https://{tenant}.zendesk.com/oauth/authorizations/new"),
                format!("https://{tenant}.zendesk.com/oauth/tokens"),
            )),
            Vendor::AtlassianOauth2 => {
                fixed("https://auth.atlassian.com/authorize", "https://auth.atlassian.com/oauth/token")
            }
            Vendor::DropboxOauth2 => {
                fixed("https://www.dropbox.com/oauth2/authorize", "https://api.dropboxapi.com/oauth2/token")
            }
            Vendor::Auth0Oauth2 => {
                Some((format!("https://{tenant}/authorize"), format!("https://{tenant}/oauth/token")))
            }
        }
    }

    /// The vendor's RFC 7009 revocation endpoint for `tenant`, where it has one that takes a
    /// refresh token with the client's credentials. `None` for vendors without one (GitHub,
    /// Slack and Dropbox revoke through their own APIs; Microsoft has no revocation endpoint)
    /// and for custom providers (whose discovery document may name one).
    pub fn revocation_endpoint(self, tenant: &str) -> Option<String> {
        match self {
            Vendor::GoogleOauth2 => Some("https://oauth2.googleapis.com/revoke".to_owned()),
            Vendor::SalesforceOauth2 => Some(format!("https://{tenant}/services/oauth2/revoke")),
            Vendor::OktaOauth2 => Some(format!("https://{tenant}/oauth2/v1/revoke")),
            Vendor::Auth0Oauth2 => Some(format!("https://{tenant}/oauth/revoke")),
            Vendor::RedditOauth2 => Some("https://www.reddit.com/api/v1/revoke_token".to_owned()),
            Vendor::TwitchOauth2 => Some("https://id.twitch.tv/oauth2/revoke".to_owned()),
            Vendor::LinkedinOauth2 => Some("https://www.linkedin.com/oauth/v2/revoke".to_owned()),
            Vendor::CustomOauth2
            | Vendor::GithubOauth2
            | Vendor::SlackOauth2
            | Vendor::MicrosoftOauth2
            | Vendor::SpotifyOauth2
            | Vendor::ZendeskOauth2
            | Vendor::AtlassianOauth2
            | Vendor::DropboxOauth2 => None,
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.aws_name())
    }
}
