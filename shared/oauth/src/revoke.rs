//! Token revocation (RFC 7009): a user disconnecting takes their grant back at the provider.

use identity_domain::Vendor;

use crate::{ClientAuth, ClientCredentials, OAuthError, TokenClient, profile};

/// Which token is revoked (RFC 7009 §2.1 `token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    /// `refresh_token`: revoking it ends the grant (and, at most providers, its access tokens).
    RefreshToken,
    /// `access_token`: for grants without a refresh token.
    AccessToken,
}

impl TokenTypeHint {
    fn as_str(self) -> &'static str {
        match self {
            Self::RefreshToken => "refresh_token",
            Self::AccessToken => "access_token",
        }
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: Option<String>,
}

impl TokenClient {
    /// Revokes `token` at `endpoint`, the client authenticated as the vendor wants at its token
    /// endpoint. A 2xx answer is success (RFC 7009 §2.2: also for a token already invalid).
    #[tracing::instrument(skip_all, fields(vendor = %vendor))]
    pub async fn revoke(
        &self,
        endpoint: &str,
        vendor: Vendor,
        client: ClientCredentials<'_>,
        token: &str,
        hint: TokenTypeHint,
    ) -> Result<(), OAuthError> {
        let url =
            url::Url::parse(endpoint).map_err(|e| OAuthError::BadResponse(format!("revocation endpoint URL: {e}")))?;
        let mut form = vec![("token", token), ("token_type_hint", hint.as_str())];
        let basic = match profile(vendor).client_auth {
            ClientAuth::Basic => Some((client.client_id, client.client_secret)),
            ClientAuth::Post => {
                form.push(("client_id", client.client_id));
                form.push(("client_secret", client.client_secret));
                None
            }
        };
        let response = self.http.post_form(&url, &form, basic).await?;
        if (200..300).contains(&response.status) {
            return Ok(());
        }
        // The error code only: a body could quote the request.
        let error = serde_json::from_slice::<ErrorBody>(&response.body)
            .ok()
            .and_then(|b| b.error)
            .filter(|e| e.len() <= 64 && e.chars().all(|c| c.is_ascii_graphic()))
            .unwrap_or_else(|| "revocation_failed".to_owned());
        tracing::warn!(status = response.status, code = %error, "revocation refused");
        Err(OAuthError::Provider { status: response.status, error, description: None })
    }
}

#[cfg(test)]
mod tests;
