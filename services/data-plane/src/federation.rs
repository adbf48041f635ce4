//! USER_FEDERATION, the service-hosted callback (AgentCore's model): with no usable grant for
//! (account, workload, user, provider, scope set), the caller gets an authorization URL on this
//! service and a session URI. The authorize endpoint sends the browser to the provider with a
//! single-use state and a PKCE S256 challenge; the callback exchanges the code with the verifier
//! and returns the browser to the app (only to a URL the workload allows). The grant becomes the
//! user's when CompleteResourceTokenAuth names the same user who started the flow.

use std::time::Duration;

use identity_crypto::{pkce_s256, random_token, sha256_hex};
use identity_domain::{AccountId, Oauth2Config, ProviderConfig, ProviderStatus, SecretString, StoredGrant};
use identity_oauth::{AuthorizationRequest, ClientCredentials, authorization_url};
use identity_store::{GrantKey, OauthSession, SessionStatus, StoreError};

use crate::{error::DataError, m2m::Vended, vend::DataContext, wat::WatClaims};

/// The `session_uri` prefix (RFC 9126 request URIs).
pub const SESSION_URN: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a user has to finish authorizing.
const SESSION_TTL: Duration = Duration::from_secs(600);

/// A user's grant's access token, as vended (moved, not copied; the refresh token is dropped,
/// and zeroed).
impl From<StoredGrant> for Vended {
    fn from(grant: StoredGrant) -> Self {
        let StoredGrant { access_token, token_type, expires_at, refresh_token: _, scopes } = grant;
        Self { access_token, token_type, expires_at, scopes }
    }
}

/// `raw` when it is a plain OAuth2 error code (`[a-z_]{1,64}`), else `otherwise`: a provider's
/// (or a browser's) free text goes neither into the app's return URL nor into the audit log.
pub(crate) fn oauth_error_code(raw: &str, otherwise: &str) -> String {
    let plain = !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if plain { raw } else { otherwise }.to_owned()
}

/// A callback that took its session.
pub struct Callback {
    /// Where the browser goes next: the app's return URL with the session (and error); `Err`
    /// with the message to show when the outcome could not be stored.
    pub return_url: Result<String, String>,
    /// The authorization session it ended.
    pub session: OauthSession,
    /// How the authorization ended.
    pub outcome: Result<(), CallbackFailure>,
}

/// Why a callback did not yield a grant.
pub struct CallbackFailure {
    /// The OAuth2 error code: the provider's (a plain code, else `invalid_request` or
    /// `server_error`), or ours for a failed exchange.
    pub code: String,
    /// The provider answered with an error (the user or the provider refused), rather than a
    /// code this service failed to exchange.
    pub refused_at_provider: bool,
}

/// The answer to a USER_FEDERATION request.
#[derive(Debug)]
pub enum Federation {
    /// The user's token.
    Token(Vended),
    /// The user must authorize first.
    Authorize {
        /// This service's authorize endpoint for the session.
        authorization_url: String,
        /// `urn:ietf:params:oauth:request_uri:<id>`.
        session_uri: String,
    },
}

/// What the caller asked for.
#[derive(Debug)]
pub struct FederationRequest<'a> {
    pub provider_name: &'a str,
    pub scopes: &'a [String],
    pub return_url: &'a str,
    pub force_authentication: bool,
    pub custom_parameters: std::collections::BTreeMap<String, String>,
}

/// Sorted, deduplicated scopes and their key.
pub(crate) fn scope_set(scopes: &[String]) -> (Vec<String>, String) {
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let key = sha256_hex(scopes.join(" ").as_bytes());
    (scopes, key)
}

/// An internal failure behind the browser-facing endpoints: logged with an id, and only the id
/// goes to the browser (never the cause's text).
fn opaque(cause: impl std::fmt::Display) -> String {
    let id = random_token(9).unwrap_or_default();
    tracing::error!(error_id = %id, error = %cause, "OAuth2 endpoint failed");
    format!("internal error (id {id})")
}

/// `url` with `pairs` appended to its query.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.query_pairs_mut().extend_pairs(pairs);
            parsed.into()
        }
        Err(_) => url.to_owned(),
    }
}

impl DataContext {
    /// The callback URL of a provider, as registered at the vendor.
    pub fn callback_url(&self, provider_id: &str) -> String {
        format!("{}/identities/oauth2/callback/{provider_id}", self.public_base_url)
    }

    /// An active OAuth2 provider's settings (not its secret), remembered for
    /// [`crate::vend::PROVIDER_CACHE_TTL`]: a user-token vend served from the cache then costs no
    /// database round trip.
    pub(crate) async fn oauth2_provider_settings(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<std::sync::Arc<identity_domain::CredentialProvider>, DataError> {
        // Taken before the database is read: settings read before a change are filed under
        // the generation they belong to.
        let key = (account.clone(), self.generations.config(account), name.to_owned());
        if let Some(provider) = self.provider_settings.get(&key).await {
            return Ok(provider);
        }
        let (provider, _) = self.oauth2_provider(account, name).await?;
        let provider = std::sync::Arc::new(provider);
        self.provider_settings.insert(key, provider.clone()).await;
        Ok(provider)
    }

    pub(crate) async fn oauth2_provider(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<(identity_domain::CredentialProvider, Vec<u8>), DataError> {
        let (provider, sealed) = match self.store.credential_provider_sealed(account, name).await {
            Err(StoreError::NotFound { .. }) => {
                return Err(DataError::ProviderNotFound(format!("OAuth2 credential provider '{name}' not found")));
            }
            other => other?,
        };
        if !matches!(provider.config, ProviderConfig::Oauth2(_)) {
            return Err(DataError::ProviderNotFound(format!("'{name}' is not an OAuth2 credential provider")));
        }
        if provider.status != ProviderStatus::Active {
            return Err(DataError::ProviderNotReady(format!(
                "credential provider '{name}' is {}",
                provider.status.as_str()
            )));
        }
        Ok((provider, sealed))
    }

    /// The user's token, or an authorization URL to get one.
    pub async fn user_federation(
        self: &std::sync::Arc<Self>,
        claims: &WatClaims,
        request: FederationRequest<'_>,
    ) -> Result<Federation, DataError> {
        let account = AccountId::parse(&claims.acct).map_err(DataError::Internal)?;
        let Some(user) = claims.uid.as_deref() else {
            return Err(DataError::Invalid(vec![identity_domain::FieldViolation {
                field: "workload_identity_token".to_owned(),
                description: "USER_FEDERATION needs a workload access token minted for a user".to_owned(),
            }]));
        };
        let provider = self.oauth2_provider_settings(&account, request.provider_name).await?;
        let ProviderConfig::Oauth2(config) = &provider.config else {
            return Err(DataError::Internal("provider type".to_owned()));
        };
        let requested = if request.scopes.is_empty() { config.default_scopes.clone() } else { request.scopes.to_vec() };
        let (scopes, scopes_key) = scope_set(&requested);

        if !request.force_authentication {
            let key = GrantKey {
                account: &account,
                workload_id: &claims.wid,
                user_id: user,
                provider_id: &provider.id,
                scopes_key: &scopes_key,
            };
            if let Some(grant) = self.usable_grant(&key, &provider, false).await? {
                return Ok(Federation::Token(grant.into()));
            }
        }

        let workload = self.store.get_workload_identity(&account, &claims.sub).await?;
        if workload.id != claims.wid {
            return Err(DataError::InvalidToken { check: "names a workload identity that no longer exists" });
        }
        if request.return_url.is_empty() || !workload.spec.allowed_return_urls.iter().any(|u| u == request.return_url) {
            return Err(DataError::Invalid(vec![identity_domain::FieldViolation {
                field: "resource_oauth2_return_url".to_owned(),
                description: "must be one of the workload identity's allowed_resource_oauth2_return_urls".to_owned(),
            }]));
        }
        let session_id = random_token(24).map_err(|e| DataError::Internal(e.to_string()))?;
        let (verifier, challenge) = pkce_s256().map_err(|e| DataError::Internal(e.to_string()))?;
        let session = OauthSession {
            session_id: session_id.clone(),
            account,
            workload_id: workload.id,
            workload_name: workload.spec.name,
            user_id: user.to_owned(),
            provider_id: provider.id.clone(),
            provider_name: provider.name.clone(),
            scopes,
            return_url: request.return_url.to_owned(),
            custom_params: request.custom_parameters,
            code_challenge: challenge,
            status: SessionStatus::Pending,
            failure: String::new(),
            expires_at: self.clock.now_millis() + SESSION_TTL.as_millis() as i64,
        };
        self.store.create_oauth_session(&session, &SecretString::new(verifier)).await?;
        let session_uri = format!("{SESSION_URN}{session_id}");
        let authorization_url = with_query(
            &format!("{}/identities/oauth2/authorize", self.public_base_url),
            &[("request_uri", &session_uri)],
        );
        Ok(Federation::Authorize { authorization_url, session_uri })
    }

    /// The authorize endpoint: where the browser goes first. Returns the provider URL to redirect to.
    pub async fn authorize_redirect(&self, request_uri: &str) -> Result<String, String> {
        let unknown = || "unknown, expired or already used authorization request".to_owned();
        let id = request_uri.strip_prefix(SESSION_URN).ok_or_else(unknown)?;
        let session = self.store.oauth_session(id).await.map_err(opaque)?.ok_or_else(unknown)?;
        let (provider, _) = self.oauth2_provider(&session.account, &session.provider_name).await.map_err(opaque)?;
        let ProviderConfig::Oauth2(Oauth2Config { vendor, client_id, discovery, .. }) = &provider.config else {
            return Err(unknown());
        };
        if provider.id != session.provider_id {
            return Err("the credential provider changed since the request was made".to_owned());
        }
        let endpoint = discovery.metadata.as_ref().map(|m| m.authorization_endpoint.clone()).unwrap_or_default();
        let state = random_token(32).map_err(opaque)?;
        if !self.store.redirect_oauth_session(id, &sha256_hex(state.as_bytes())).await.map_err(opaque)? {
            return Err(unknown());
        }
        let callback = self.callback_url(&provider.id);
        authorization_url(&AuthorizationRequest {
            endpoint: &endpoint,
            vendor: *vendor,
            client_id,
            redirect_uri: &callback,
            scopes: &session.scopes,
            state: &state,
            code_challenge: &session.code_challenge,
            custom: &session.custom_params,
        })
        .map_err(opaque)
    }

    /// The callback: exchanges the code (once per state) and says where the browser goes next,
    /// with the session and how the authorization ended (for the audit log). `Err` only when no
    /// session was taken (an unknown, expired or spent state): once one is, the outcome is
    /// always reported, a failure to store it included.
    pub async fn callback(
        &self,
        provider_id: &str,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
    ) -> Result<Callback, String> {
        let (session, verifier) = self
            .store
            .take_oauth_callback(&sha256_hex(state.as_bytes()), provider_id)
            .await
            .map_err(opaque)?
            .ok_or_else(|| "unknown, expired or already used state".to_owned())?;
        let session_uri = format!("{SESSION_URN}{}", session.session_id);
        let outcome = match (code, error) {
            (_, Some(error)) => Err(oauth_error_code(error, "invalid_request")),
            (Some(code), None) => self.exchange(&session, code, &verifier).await,
            (None, None) => Err("invalid_request".to_owned()),
        };
        let stored = match &outcome {
            Ok(grant) => self.store.finish_oauth_callback(&session, Ok(grant)).await,
            Err(code) => self.store.finish_oauth_callback(&session, Err(code)).await,
        };
        let (return_url, outcome) = match (stored, outcome) {
            (Err(e), _) => {
                (Err(opaque(e)), Err(CallbackFailure { code: "server_error".to_owned(), refused_at_provider: false }))
            }
            (Ok(()), Ok(_)) => (Ok(with_query(&session.return_url, &[("session_uri", &session_uri)])), Ok(())),
            (Ok(()), Err(code)) => {
                let url = with_query(&session.return_url, &[("session_uri", &session_uri), ("error", &code)]);
                // An error the provider answered with is a refusal, unless it says it failed.
                let refused_at_provider =
                    error.is_some() && !matches!(code.as_str(), "server_error" | "temporarily_unavailable");
                (Ok(url), Err(CallbackFailure { code, refused_at_provider }))
            }
        };
        Ok(Callback { return_url, session, outcome })
    }

    async fn exchange(
        &self,
        session: &OauthSession,
        code: &str,
        verifier: &SecretString,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
        let (provider, sealed) = self
            .oauth2_provider(&session.account, &session.provider_name)
            .await
            .map_err(|_| "provider_unavailable".to_owned())?;
        let ProviderConfig::Oauth2(config) = &provider.config else { return Err("provider_unavailable".to_owned()) };
        let secret = self.store.open_provider_secret(&session.account, &provider.id, &sealed).await.map_err(|e| {
            tracing::error!(error = %e, "cannot open the provider secret");
            "server_error".to_owned()
        })?;
        let endpoint = config.discovery.metadata.as_ref().map(|m| m.token_endpoint.clone()).unwrap_or_default();
        let client = ClientCredentials { client_id: &config.client_id, client_secret: secret.expose() };
        let grant = self
            .tokens
            .authorization_code(
                &endpoint,
                config.vendor,
                client,
                code,
                &self.callback_url(&provider.id),
                verifier.expose(),
            )
            .await
            .map_err(|e| oauth_error_code(e.code(), "server_error"))?;
        let now = self.clock.now_millis();
        let stored = StoredGrant {
            access_token: grant.access_token,
            token_type: grant.token_type,
            expires_at: grant.expires_in.map(|s| now + s as i64 * 1000),
            refresh_token: grant.refresh_token,
            scopes: grant.scopes.unwrap_or_else(|| session.scopes.clone()),
        };
        serde_json::to_vec(&stored).map(zeroize::Zeroizing::new).map_err(|_| "server_error".to_owned())
    }

    /// CompleteResourceTokenAuth: the grant becomes the user's, if `user` started the flow.
    pub async fn complete(
        &self,
        account: &AccountId,
        session_uri: &str,
        user: &str,
    ) -> Result<OauthSession, DataError> {
        let missing = || DataError::SessionNotFound("no such session in this account".to_owned());
        let id = session_uri.strip_prefix(SESSION_URN).ok_or_else(missing)?;
        let session = self.store.oauth_session(id).await?.filter(|s| &s.account == account).ok_or_else(missing)?;
        if session.user_id != user {
            return Err(DataError::AccessDenied("the session was started for another user".to_owned()));
        }
        match session.status {
            SessionStatus::Authorized => {}
            SessionStatus::Completed => return Ok(session),
            SessionStatus::Failed => {
                return Err(DataError::AuthorizationFailed {
                    code: session.failure.clone(),
                    message: format!("authorization failed at the provider ({})", session.failure),
                });
            }
            SessionStatus::Pending | SessionStatus::Redirected | SessionStatus::Exchanging => {
                return Err(DataError::ProviderNotReady("the user has not finished authorizing".to_owned()));
            }
        }
        let (_, scopes_key) = scope_set(&session.scopes);
        self.store.complete_oauth_session(&session, &scopes_key).await?;
        // A re-authorization replaces the grant: no replica may serve the old one from the cache.
        let key = GrantKey {
            account,
            workload_id: &session.workload_id,
            user_id: &session.user_id,
            provider_id: &session.provider_id,
            scopes_key: &scopes_key,
        };
        let cache_key = crate::refresh::grant_cache_key(&key);
        if let Err(e) = self.cache.delete(&cache_key).await {
            tracing::warn!(error = %e, "cache unavailable; the replaced grant expires from it on its own");
        }
        Ok(session)
    }
}
