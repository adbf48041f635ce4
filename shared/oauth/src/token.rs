//! Requests to token endpoints.

use identity_domain::Vendor;
use identity_outbound::OutboundClient;

use crate::{ClientAuth, OAuthError, TokenGrant, parse_token_response, profile};

/// The client's credentials at the provider.
#[derive(Clone, Copy)]
pub struct ClientCredentials<'a> {
    /// `client_id`.
    pub client_id: &'a str,
    /// `client_secret`.
    pub client_secret: &'a str,
}

impl std::fmt::Debug for ClientCredentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// Calls token endpoints through the SSRF-guarded outbound client.
#[derive(Clone, Debug)]
pub struct TokenClient {
    http: OutboundClient,
}

impl TokenClient {
    /// Token requests through `http`.
    pub fn new(http: OutboundClient) -> Self {
        Self { http }
    }

    /// The client credentials grant (RFC 6749 §4.4): the workload's own token.
    #[tracing::instrument(skip_all, fields(vendor = %vendor))]
    pub async fn client_credentials(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        scopes: &[String],
    ) -> Result<TokenGrant, OAuthError> {
        let profile = profile(vendor);
        let scope = scopes.join(profile.scope_separator);
        let mut form = vec![("grant_type", "client_credentials")];
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        self.request(endpoint, vendor, client, form).await
    }

    /// Sends `form` with the client authenticated as the vendor wants, and maps the answer.
    async fn request(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        mut form: Vec<(&str, &str)>,
    ) -> Result<TokenGrant, OAuthError> {
        let profile = profile(vendor);
        let url = url::Url::parse(endpoint).map_err(|e| OAuthError::BadResponse(format!("token endpoint URL: {e}")))?;
        let basic = match profile.client_auth {
            ClientAuth::Basic => Some((client.client_id, client.client_secret)),
            ClientAuth::Post => {
                form.push(("client_id", client.client_id));
                form.push(("client_secret", client.client_secret));
                None
            }
        };
        let response = self.http.post_form(&url, &form, basic).await?;
        let outcome = parse_token_response(
            profile.response,
            response.status,
            &response.content_type,
            &response.body,
            profile.default_expires_in,
        );
        if let Err(e) = &outcome {
            tracing::warn!(status = response.status, code = e.code(), "token request refused");
        }
        outcome
    }
}
