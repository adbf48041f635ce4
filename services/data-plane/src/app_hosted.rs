//! USER_FEDERATION with the app hosting the callback (the seed's SDK model): GetAuthorizationUrl
//! returns the provider's authorize URL with the app's `redirect_uri` (one the workload allows), a
//! single-use state and a PKCE S256 challenge; the verifier never leaves the service (it is sealed
//! in the session). The app receives `code` and `state` at its callback and calls
//! CompleteAuthorization with a WAT for the same workload and user; the code is exchanged with the
//! verifier and the grant becomes the user's, shared with the service-hosted flow.
//!
//! The stored state hash is domain-separated (`app-hosted`, provider id, state): a caller-chosen
//! state never matches a session of the service-hosted callback, nor one at another provider.

use std::{collections::BTreeMap, time::Duration};

use identity_crypto::{pkce_s256, random_token, sha256_hex};
use identity_domain::{AccountId, ProviderConfig, SecretString, StoredGrant, Violations};
use identity_oauth::{AuthorizationRequest, ClientCredentials, authorization_url};
use identity_store::{OauthSession, SessionStatus, StoreError};

use crate::{
    error::DataError,
    federation::{SESSION_URN, scope_set},
    m2m::Vended,
    vend::DataContext,
    wat::WatClaims,
};

/// How long a user has to finish authorizing.
const SESSION_TTL: Duration = Duration::from_secs(600);
/// Longest redirect URI, state and code accepted.
const MAX_REDIRECT_URI: usize = 2048;
const MAX_STATE: usize = 512;
const MAX_CODE: usize = 4096;
/// The answer to a replayed, expired or made-up state.
const UNKNOWN_STATE: &str = "unknown, expired or already used state";

/// What GetAuthorizationUrl asks for.
#[derive(Debug)]
pub struct AuthorizationUrlRequest<'a> {
    pub provider_name: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    /// Empty: the service picks one.
    pub state: &'a str,
    pub custom_parameters: BTreeMap<String, String>,
}

/// What GetAuthorizationUrl answers.
#[derive(Debug)]
pub struct AuthorizationStart {
    /// The provider's authorize URL.
    pub authorization_url: String,
    pub state: String,
    pub session_uri: String,
    /// Milliseconds since the epoch.
    pub session_expires_at: i64,
}

/// What CompleteAuthorization carries.
#[derive(Debug)]
pub struct CompleteAuthorizationRequest<'a> {
    pub provider_name: &'a str,
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
}

/// The hash a session holds for an app-hosted state.
fn state_hash(provider_id: &str, state: &str) -> String {
    sha256_hex(format!("app-hosted\n{provider_id}\n{state}").as_bytes())
}

fn user_of(claims: &WatClaims) -> Result<&str, DataError> {
    claims.uid.as_deref().ok_or_else(|| {
        DataError::Invalid(vec![identity_domain::FieldViolation {
            field: "workload_identity_token".to_owned(),
            description: "USER_FEDERATION needs a workload access token minted for a user".to_owned(),
        }])
    })
}

fn check_state(v: &mut Violations, state: &str) {
    if state.is_empty() || state.len() > MAX_STATE {
        v.add("state", format!("must be 1 to {MAX_STATE} characters"));
    } else if !state.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)) {
        v.add("state", "may contain only URL-safe characters: letters, digits, '-', '.', '_' and '~'");
    }
}

fn check_redirect_uri(v: &mut Violations, redirect_uri: &str) {
    v.required("redirect_uri", redirect_uri, MAX_REDIRECT_URI);
}

fn invalid(field: &str, description: &str) -> DataError {
    DataError::Invalid(vec![identity_domain::FieldViolation {
        field: field.to_owned(),
        description: description.to_owned(),
    }])
}

impl DataContext {
    /// GetAuthorizationUrl: a REDIRECTED session and the provider URL to send the user to.
    pub async fn app_authorization_url(
        &self,
        claims: &WatClaims,
        request: AuthorizationUrlRequest<'_>,
    ) -> Result<AuthorizationStart, DataError> {
        let user = user_of(claims)?;
        let mut v = Violations::default();
        check_redirect_uri(&mut v, request.redirect_uri);
        v.token_list("scopes", request.scopes, 100, 256);
        if !request.state.is_empty() {
            check_state(&mut v, request.state);
        }
        if request.custom_parameters.len() > 20 {
            v.add("custom_parameters", "at most 20 parameters are allowed");
        }
        for (name, value) in &request.custom_parameters {
            if name.is_empty()
                || name.len() > 64
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            {
                v.add(format!("custom_parameters[{name}]"), "names are 1 to 64 of [A-Za-z0-9_.-]");
            }
            if value.len() > 512 {
                v.add(format!("custom_parameters[{name}]"), "values are at most 512 characters");
            }
        }
        v.finish()?;

        let account = AccountId::parse(&claims.acct).map_err(DataError::Internal)?;
        let (provider, _) = self.oauth2_provider(&account, request.provider_name).await?;
        let ProviderConfig::Oauth2(config) = &provider.config else {
            return Err(DataError::Internal("provider type".to_owned()));
        };
        let workload = self.store.get_workload_identity(&account, &claims.sub).await?;
        if workload.id != claims.wid {
            return Err(DataError::InvalidToken { check: "names a workload identity that no longer exists" });
        }
        if !workload.spec.allowed_return_urls.iter().any(|u| u == request.redirect_uri) {
            return Err(invalid(
                "redirect_uri",
                "must be one of the workload identity's allowed_resource_oauth2_return_urls",
            ));
        }

        let requested = if request.scopes.is_empty() { config.default_scopes.clone() } else { request.scopes.to_vec() };
        let (scopes, _) = scope_set(&requested);
        let state = match request.state {
            "" => random_token(32).map_err(|e| DataError::Internal(e.to_string()))?,
            given => given.to_owned(),
        };
        let hash = state_hash(&provider.id, &state);
        let used = || invalid("state", "is already in use or was used before; states are single-use");
        if self.store.oauth_session_by_state(&hash, &provider.id).await?.is_some() {
            return Err(used());
        }
        let (verifier, challenge) = pkce_s256().map_err(|e| DataError::Internal(e.to_string()))?;
        let endpoint = config.discovery.metadata.as_ref().map(|m| m.authorization_endpoint.clone()).unwrap_or_default();
        // Built before the session exists, so a provider without a usable endpoint leaves nothing behind.
        let url = authorization_url(&AuthorizationRequest {
            endpoint: &endpoint,
            vendor: config.vendor,
            client_id: &config.client_id,
            redirect_uri: request.redirect_uri,
            scopes: &scopes,
            state: &state,
            code_challenge: &challenge,
            custom: &request.custom_parameters,
        })
        .map_err(|e| DataError::ProviderNotReady(format!("credential provider '{}': {e}", provider.name)))?;

        let session_id = random_token(24).map_err(|e| DataError::Internal(e.to_string()))?;
        let expires_at = self.clock.now_millis() + SESSION_TTL.as_millis() as i64;
        let session = OauthSession {
            session_id: session_id.clone(),
            account,
            workload_id: workload.id,
            workload_name: workload.spec.name,
            user_id: user.to_owned(),
            provider_id: provider.id.clone(),
            provider_name: provider.name.clone(),
            scopes,
            return_url: request.redirect_uri.to_owned(),
            custom_params: request.custom_parameters,
            code_challenge: challenge,
            status: SessionStatus::Pending,
            failure: String::new(),
            expires_at,
        };
        self.store.create_oauth_session(&session, &SecretString::new(verifier)).await?;
        // Straight to REDIRECTED: the service's authorize endpoint never serves this session.
        match self.store.redirect_oauth_session(&session_id, &hash).await {
            Ok(true) => {}
            Ok(false) => return Err(DataError::Internal("the new session could not take its state".to_owned())),
            Err(StoreError::Conflict { .. }) => return Err(used()),
            Err(e) => return Err(e.into()),
        }
        Ok(AuthorizationStart {
            authorization_url: url,
            state,
            session_uri: format!("{SESSION_URN}{session_id}"),
            session_expires_at: expires_at,
        })
    }

    /// CompleteAuthorization: exchanges the code (once per state) with the session's verifier
    /// and makes the grant the user's.
    pub async fn app_complete_authorization(
        &self,
        claims: &WatClaims,
        request: CompleteAuthorizationRequest<'_>,
    ) -> Result<Vended, DataError> {
        let user = user_of(claims)?;
        let mut v = Violations::default();
        v.required("code", request.code, MAX_CODE);
        check_redirect_uri(&mut v, request.redirect_uri);
        check_state(&mut v, request.state);
        v.finish()?;

        let account = AccountId::parse(&claims.acct).map_err(DataError::Internal)?;
        let (provider, sealed) = self.oauth2_provider(&account, request.provider_name).await?;
        let ProviderConfig::Oauth2(config) = &provider.config else {
            return Err(DataError::Internal("provider type".to_owned()));
        };
        let hash = state_hash(&provider.id, request.state);
        let unknown = || DataError::SessionNotFound(UNKNOWN_STATE.to_owned());
        // Checked before the state is used up, so a wrong caller cannot burn another's flow.
        let session = self
            .store
            .oauth_session_by_state(&hash, &provider.id)
            .await?
            .filter(|s| {
                s.account == account && s.status == SessionStatus::Redirected && s.expires_at > self.clock.now_millis()
            })
            .ok_or_else(unknown)?;
        if session.workload_id != claims.wid || session.user_id != user {
            return Err(DataError::AccessDenied("the authorization was started for another user/workload".to_owned()));
        }
        if session.return_url != request.redirect_uri {
            return Err(invalid("redirect_uri", "must equal the redirect_uri given to GetAuthorizationUrl"));
        }
        // The state is used up here: a replay, or a concurrent completion, finds nothing.
        let (session, verifier) = self.store.take_oauth_callback(&hash, &provider.id).await?.ok_or_else(unknown)?;

        let secret = self.store.open_provider_secret(&account, &provider.id, &sealed).await?;
        let endpoint = config.discovery.metadata.as_ref().map(|m| m.token_endpoint.clone()).unwrap_or_default();
        let client = ClientCredentials { client_id: &config.client_id, client_secret: secret.expose() };
        let exchanged = self
            .tokens
            .authorization_code(&endpoint, config.vendor, client, request.code, &session.return_url, verifier.expose())
            .await;
        let grant = match exchanged {
            Ok(grant) => grant,
            Err(e) => {
                let code = e.code().to_owned();
                self.store.finish_oauth_callback(&session, Err(&code)).await?;
                return Err(DataError::AuthorizationFailed {
                    message: format!("the provider refused the authorization code: {e}"),
                    code,
                });
            }
        };
        let now = self.clock.now_millis();
        let stored = StoredGrant {
            access_token: grant.access_token,
            token_type: grant.token_type,
            expires_at: grant.expires_in.map(|s| now + s as i64 * 1000),
            refresh_token: grant.refresh_token,
            scopes: grant.scopes.unwrap_or_else(|| session.scopes.clone()),
        };
        let plain =
            zeroize::Zeroizing::new(serde_json::to_vec(&stored).map_err(|e| DataError::Internal(e.to_string()))?);
        self.store.finish_oauth_callback(&session, Ok(&plain)).await?;
        let (_, scopes_key) = scope_set(&session.scopes);
        self.store.complete_oauth_session(&session, &scopes_key).await?;
        Ok(stored.into())
    }
}
