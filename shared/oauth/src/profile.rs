//! The vendor catalog's protocol facts, as data: how each vendor wants clients authenticated,
//! how it separates scopes, what its token responses look like and how long its tokens live when
//! it does not say. Endpoints live in [`identity_domain::Vendor::endpoints`].

use identity_domain::Vendor;

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`), RFC 6749's default.
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
}

/// The shape of the vendor's token response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseShape {
    /// RFC 6749 §5.1 (JSON, or form-encoded as GitHub does without `Accept: application/json`).
    Standard,
    /// Slack `oauth.v2.access`: `ok` flag, errors with HTTP 200, the user's token under `authed_user`.
    SlackV2,
}

/// A vendor's protocol facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorProfile {
    /// Client authentication at the token endpoint.
    pub client_auth: ClientAuth,
    /// Separator of scopes in requests (`" "` per RFC 6749, `","` for Slack).
    pub scope_separator: &'static str,
    /// Whether the vendor supports PKCE (S256).
    pub pkce: bool,
    /// Extra authorize parameters, e.g. Google's `access_type=offline&prompt=consent` for a refresh token.
    pub authorize_params: &'static [(&'static str, &'static str)],
    /// Token response shape.
    pub response: ResponseShape,
    /// Lifetime assumed when a response has no `expires_in`; `None`: such tokens do not expire.
    pub default_expires_in: Option<u64>,
}

const STANDARD: VendorProfile = VendorProfile {
    client_auth: ClientAuth::Basic,
    scope_separator: " ",
    pkce: true,
    authorize_params: &[],
    response: ResponseShape::Standard,
    default_expires_in: Some(3600),
};

/// The profile of `vendor`.
pub fn profile(vendor: Vendor) -> VendorProfile {
    match vendor {
        Vendor::CustomOauth2 | Vendor::OktaOauth2 | Vendor::SpotifyOauth2 => STANDARD,
        Vendor::GoogleOauth2 => VendorProfile {
            client_auth: ClientAuth::Post,
            authorize_params: &[("access_type", "offline"), ("prompt", "consent")],
            ..STANDARD
        },
        // OAuth App tokens do not expire; GitHub App user tokens carry expires_in (8 h).
        Vendor::GithubOauth2 => VendorProfile { client_auth: ClientAuth::Post, default_expires_in: None, ..STANDARD },
        // Tokens do not expire unless token rotation is on, and then expires_in is sent.
        Vendor::SlackOauth2 => VendorProfile {
            client_auth: ClientAuth::Post,
            scope_separator: ",",
            response: ResponseShape::SlackV2,
            default_expires_in: None,
            ..STANDARD
        },
        // No expires_in: the access token lives as long as the org's session timeout (2 h by
        // default); assume the shortest common setting.
        Vendor::SalesforceOauth2 => VendorProfile { client_auth: ClientAuth::Post, ..STANDARD },
        Vendor::MicrosoftOauth2 | Vendor::LinkedinOauth2 | Vendor::Auth0Oauth2 | Vendor::AtlassianOauth2 => {
            VendorProfile { client_auth: ClientAuth::Post, ..STANDARD }
        }
        Vendor::TwitchOauth2 => VendorProfile { client_auth: ClientAuth::Post, ..STANDARD },
        // Reddit requires HTTP Basic and `duration=permanent` for a refresh token.
        Vendor::RedditOauth2 => VendorProfile { authorize_params: &[("duration", "permanent")], ..STANDARD },
        // Zendesk tokens do not expire unless configured to.
        Vendor::ZendeskOauth2 => VendorProfile { client_auth: ClientAuth::Post, default_expires_in: None, ..STANDARD },
        Vendor::DropboxOauth2 => VendorProfile { authorize_params: &[("token_access_type", "offline")], ..STANDARD },
    }
}
