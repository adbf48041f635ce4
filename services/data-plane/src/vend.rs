//! `IdentityDataService`: workload access tokens and API keys. Each handler first takes the
//! authenticated caller, then checks that the caller's key may act for the workload (and, for
//! vends, that the WAT belongs to the caller's account), then serves from the cache when it can.
//!
//! Every call is an audit event (audit.rs); a successful vend's log line is at `debug`, so that
//! `info` logs do not grow with traffic. Flow steps (authorizations started and completed,
//! forced refreshes) stay at `info`.

use std::{sync::Arc, time::Duration};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use identity_cache::Cache;
use identity_domain::{AccountId, Arns, ProviderConfig, SecretString, Violations, WorkloadIdentity};
use identity_proto::v1::{self as pb, identity_data_service_server::IdentityDataService};
use identity_store::Store;
use serde::{Deserialize, Serialize};
use tonic::{Request, Response, Status};

use crate::{
    auth::CallerPrincipal,
    error::DataError,
    federation::{Federation, FederationRequest},
    jwt::to_struct,
    wat::{WatClaims, WatIssuer},
};

/// Longest user token taken from a request; the JWT validator refuses tokens over its own
/// (smaller) cap as `too_large`, and a custom authorizer receives at most this much.
const MAX_USER_TOKEN_CHARS: usize = 64 * 1024;

/// How long a provider's settings are remembered in-process (a change reaches this replica
/// within this time).
pub const PROVIDER_CACHE_TTL: Duration = Duration::from_secs(2);

/// How long an API key's ciphertext stays cached before the database is read again.
pub const API_KEY_CACHE_TTL: Duration = Duration::from_secs(30);

/// How long a workload identity's existence is remembered in-process (a deletion reaches this
/// replica sooner, through the account's config generation, which is part of the key).
pub const WORKLOAD_CACHE_TTL: Duration = Duration::from_secs(30);

/// What every handler needs.
#[derive(Debug)]
pub struct DataContext {
    pub store: Store,
    pub cache: Arc<dyn Cache>,
    pub wat: WatIssuer,
    pub arns: Arns,
    pub tokens: identity_oauth::TokenClient,
    /// Active OAuth2 providers' settings by (account, config generation, name), for
    /// [`PROVIDER_CACHE_TTL`].
    pub provider_settings: moka::future::Cache<(AccountId, i64, String), Arc<identity_domain::CredentialProvider>>,
    /// Whether a WAT's workload identity (account, config generation, id) still exists, for
    /// [`WORKLOAD_CACHE_TTL`].
    pub live_workloads: moka::future::Cache<(AccountId, i64, String), bool>,
    /// The accounts' cache generations: part of every key cached from providers and workload
    /// identities, and of the access-key check's memo (see generations.rs).
    pub generations: Arc<crate::generations::Generations>,
    /// One lock per grant being refreshed in this process (the single flight).
    pub refresh_gates: moka::future::Cache<String, Arc<tokio::sync::Mutex<()>>>,
    /// A user's token is refreshed when it has less than this to live.
    pub refresh_margin: std::time::Duration,
    /// Base of this service's public URLs (authorize and callback endpoints), no trailing slash.
    pub public_base_url: String,
    /// Validates user JWTs against the JWT authorizers the workload names (else the account's);
    /// custom authorizers go through `custom`.
    pub jwt: identity_authn::JwtValidator,
    /// Asks custom authorizers, and remembers their allowed answers briefly.
    pub custom: crate::custom::CustomAuthorizers,
    pub clock: Arc<dyn identity_domain::Clock>,
}

/// The service.
#[derive(Debug, Clone)]
pub struct IdentityData(pub Arc<DataContext>);

/// An API-key provider as cached: ids and the sealed key (never the key in clear).
#[derive(Serialize, Deserialize)]
struct CachedApiKey {
    provider_id: String,
    header_name: String,
    sealed: String,
}

fn caller<T>(request: &Request<T>) -> Result<CallerPrincipal, DataError> {
    let caller = request.extensions().get::<CallerPrincipal>().cloned().ok_or(DataError::Unauthenticated)?;
    identity_telemetry::request::record_account(caller.account.as_str());
    Ok(caller)
}

/// Records the workload identity and the user (hashed, as audit events name users) on the
/// request's span.
pub(crate) fn record_workload(account: &AccountId, workload: &str, user: Option<&str>) {
    identity_telemetry::request::record_workload(workload);
    if let Some(user) = user {
        identity_telemetry::request::record_user_hash(&identity_crypto::audit_user_hash(account.as_str(), user));
    }
}

pub(crate) fn timestamp(millis: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: millis.div_euclid(1000), nanos: (millis.rem_euclid(1000) * 1_000_000) as i32 }
}

/// A provider named by a request (every request's `credential_provider` oneof has these two).
type ProviderRef = pb::get_api_key_credential_request::CredentialProvider;

/// The `credential_provider` oneof of any request, as a [`ProviderRef`]: the generated types
/// differ per request, their two cases do not.
macro_rules! provider_ref {
    ($oneof:expr, $request:ident) => {
        $oneof.map(|provider| match provider {
            pb::$request::CredentialProvider::ResourceCredentialProviderName(name) => {
                ProviderRef::ResourceCredentialProviderName(name)
            }
            pb::$request::CredentialProvider::CredentialProviderArn(arn) => ProviderRef::CredentialProviderArn(arn),
        })
    };
}

/// The API-key provider a request names, by name or by ARN (of the caller's account).
fn provider_name(arns: &Arns, account: &AccountId, name: Option<ProviderRef>) -> Result<String, DataError> {
    provider_name_of(&arns.api_key_provider(account, ""), name)
}

/// The OAuth2 provider a request names, by name or by ARN (of the caller's account).
fn oauth2_provider_name(arns: &Arns, account: &AccountId, name: Option<ProviderRef>) -> Result<String, DataError> {
    provider_name_of(&arns.oauth2_provider(account, ""), name)
}

fn provider_name_of(arn_prefix: &str, name: Option<ProviderRef>) -> Result<String, DataError> {
    use ProviderRef as P;
    let mut v = Violations::default();
    let name = match name {
        Some(P::ResourceCredentialProviderName(name)) => {
            v.resource_name("resource_credential_provider_name", &name);
            name
        }
        Some(P::CredentialProviderArn(arn)) => match arn.strip_prefix(arn_prefix) {
            Some(name) => {
                v.resource_name("credential_provider_arn", name);
                name.to_owned()
            }
            None => {
                v.add(
                    "credential_provider_arn",
                    "is not a credential provider ARN of this kind in the caller's account and region",
                );
                String::new()
            }
        },
        None => {
            v.add("resource_credential_provider_name", "name the provider, or give credential_provider_arn");
            String::new()
        }
    };
    v.finish()?;
    identity_telemetry::request::record_provider(&name);
    Ok(name)
}

impl IdentityData {
    /// The workload identity `workload_name`, after checking the caller may act for it.
    async fn workload_for(&self, caller: &CallerPrincipal, workload_name: &str) -> Result<WorkloadIdentity, DataError> {
        if !caller.may_act_for(workload_name) {
            return Err(DataError::AccessDenied(format!(
                "access key may not act for workload identity '{workload_name}'"
            )));
        }
        Ok(self.0.store.get_workload_identity(&caller.account, workload_name).await?)
    }

    /// Mints a WAT for `workload_name` after checking the caller may act for it.
    async fn mint(
        &self,
        caller: &CallerPrincipal,
        workload_name: &str,
        user: Option<&str>,
    ) -> Result<(String, i64), DataError> {
        let workload = self.workload_for(caller, workload_name).await?;
        Ok(self.0.wat.mint(&workload, user).await?)
    }

    /// Verifies a WAT and that the caller may use it.
    async fn workload(&self, caller: &CallerPrincipal, token: &str) -> Result<Arc<WatClaims>, DataError> {
        let claims = self.0.wat.verify(token).await?;
        if claims.acct != caller.account.as_str() {
            return Err(DataError::AccessDenied("the workload access token belongs to another account".to_owned()));
        }
        crate::audit::note_workload(&claims.sub, claims.uid.as_deref());
        record_workload(&caller.account, &claims.sub, claims.uid.as_deref());
        if !caller.may_act_for(&claims.sub) {
            return Err(DataError::AccessDenied(format!(
                "access key may not act for workload identity '{}'",
                claims.sub
            )));
        }
        if !self.0.workload_exists(&caller.account, &claims.sub, &claims.wid).await? {
            return Err(DataError::InvalidToken { check: "names a workload identity that no longer exists" });
        }
        Ok(claims)
    }

    /// The API key of `name`: the cached ciphertext when present, the database otherwise; a
    /// cache that fails is bypassed, never fatal.
    async fn api_key(&self, account: &AccountId, name: &str) -> Result<(SecretString, String), DataError> {
        // Versioned by the account's config generation: a key rotated or deleted on the control
        // plane is not read again once this replica has polled (see generations.rs).
        let key = format!("apikey:{account}:{}:{name}", self.0.generations.config(account));
        let cached = match self.0.cache.get(&key).await {
            Ok(hit) => hit.and_then(|bytes| serde_json::from_slice::<CachedApiKey>(&bytes).ok()),
            Err(e) => {
                tracing::warn!(error = %e, "cache unavailable, reading the database");
                None
            }
        };
        let entry = match cached {
            Some(entry) => entry,
            None => {
                let (provider, sealed) = match self.0.store.credential_provider_sealed(account, name).await {
                    Err(identity_store::StoreError::NotFound { .. }) => None,
                    other => Some(other?),
                }
                .ok_or_else(|| {
                    DataError::ProviderNotFound(format!("API-key credential provider '{name}' not found"))
                })?;
                let ProviderConfig::ApiKey(config) = provider.config else {
                    return Err(DataError::ProviderNotFound(format!("'{name}' is not an API-key credential provider")));
                };
                let entry = CachedApiKey {
                    provider_id: provider.id,
                    header_name: config.header_name,
                    sealed: STANDARD.encode(sealed),
                };
                if let Ok(bytes) = serde_json::to_vec(&entry)
                    && let Err(e) = self.0.cache.set(&key, &bytes, API_KEY_CACHE_TTL).await
                {
                    tracing::warn!(error = %e, "cache unavailable, not caching");
                }
                entry
            }
        };
        let sealed = STANDARD.decode(&entry.sealed).map_err(|e| DataError::Internal(format!("cached entry: {e}")))?;
        let secret = self.0.store.open_provider_secret(account, &entry.provider_id, &sealed).await?;
        Ok((secret, entry.header_name))
    }
}

fn workload_name(value: &str) -> Result<(), DataError> {
    let mut v = Violations::default();
    v.workload_name("workload_name", value);
    Ok(v.finish()?)
}

#[tonic::async_trait]
impl IdentityDataService for IdentityData {
    #[tracing::instrument(skip_all, fields(workload = %request.get_ref().workload_name))]
    async fn get_workload_access_token(
        &self,
        request: Request<pb::GetWorkloadAccessTokenRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenResponse>, Status> {
        let caller = caller(&request)?;
        let pb::GetWorkloadAccessTokenRequest { workload_name: name } = request.into_inner();
        workload_name(&name)?;
        let (token, exp) = self.mint(&caller, &name, None).await?;
        Ok(Response::new(pb::GetWorkloadAccessTokenResponse {
            workload_access_token: token,
            expires_in: self.0.wat.ttl().as_secs() as i64,
            expires_at: Some(timestamp(exp)),
        }))
    }

    /// The user token is validated by the workload's authorizers (see `jwt.rs`) after the
    /// caller's right to the workload is checked; the WAT binds the user `{iss}#{sub}` (a JWT)
    /// or `custom:{authorizer}#{sub}` (a custom authorizer's answer).
    /// The WAT expires no later than the user token (its `exp`; a custom authorizer's answer
    /// without one does not cap it).
    #[tracing::instrument(skip_all, fields(workload = %request.get_ref().workload_name))]
    async fn get_workload_access_token_for_jwt(
        &self,
        request: Request<pb::GetWorkloadAccessTokenForJwtRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenForJwtResponse>, Status> {
        let caller = caller(&request)?;
        let pb::GetWorkloadAccessTokenForJwtRequest { workload_name: name, user_token } = request.into_inner();
        let mut v = Violations::default();
        v.workload_name("workload_name", &name);
        v.required("user_token", &user_token, MAX_USER_TOKEN_CHARS);
        v.finish().map_err(DataError::from)?;
        // The user token travels sealed inside the WAT (base64, so longer than the token): one
        // too large for that (a custom authorizer's token may be larger than a JWT may) would
        // give a WAT no call accepts. Refused before any work when it cannot fit, checked
        // exactly on the minted WAT below.
        let too_large =
            || DataError::from(Violations::one("user_token", "is too large to be bound into a workload access token"));
        if user_token.len() > crate::wat::MAX_TOKEN_BYTES / 4 * 3 {
            return Err(too_large().into());
        }
        let workload = self.workload_for(&caller, &name).await?;
        // Only the workload's authorizers (or the account default) may vouch for its users.
        let accepted = self.0.validate_user_token(&caller.account, &user_token, Some(&workload), None).await?;
        let user = accepted.user;
        // The user's JWT goes into the WAT sealed, for ON_BEHALF_OF_TOKEN_EXCHANGE (see exchange.rs).
        let sealed = self.0.seal_subject_token(&caller.account, &workload.id, &user, &user_token).await?;
        let (token, exp) = self
            .0
            .wat
            .mint_with_subject(&workload, Some(&user), Some(sealed), accepted.not_after)
            .await
            .map_err(DataError::from)?;
        if token.len() > crate::wat::MAX_TOKEN_BYTES {
            return Err(too_large().into());
        }
        tracing::debug!(account = %caller.account, access_key_id = %caller.access_key_id, workload = %name, authorizer = %accepted.authorizer, "WAT minted for a user JWT");
        Ok(Response::new(pb::GetWorkloadAccessTokenForJwtResponse {
            workload_access_token: token,
            expires_in: (exp - self.0.clock.now_millis()).div_euclid(1000).max(0),
            expires_at: Some(timestamp(exp)),
        }))
    }

    #[tracing::instrument(skip_all, fields(workload = %request.get_ref().workload_name))]
    async fn get_workload_access_token_for_user_id(
        &self,
        request: Request<pb::GetWorkloadAccessTokenForUserIdRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenForUserIdResponse>, Status> {
        let caller = caller(&request)?;
        let pb::GetWorkloadAccessTokenForUserIdRequest { workload_name: name, user_id } = request.into_inner();
        let mut v = Violations::default();
        v.workload_name("workload_name", &name);
        v.required("user_id", &user_id, 128);
        if user_id.chars().any(char::is_control) {
            v.add("user_id", "must not contain control characters");
        }
        v.finish().map_err(DataError::from)?;
        let (token, exp) = self.mint(&caller, &name, Some(&user_id)).await?;
        Ok(Response::new(pb::GetWorkloadAccessTokenForUserIdResponse {
            workload_access_token: token,
            expires_in: self.0.wat.ttl().as_secs() as i64,
            expires_at: Some(timestamp(exp)),
        }))
    }

    #[tracing::instrument(skip_all, fields(flow = request.get_ref().oauth2_flow))]
    async fn get_resource_oauth2_access_token(
        &self,
        request: Request<pb::GetResourceOauth2AccessTokenRequest>,
    ) -> Result<Response<pb::GetResourceOauth2AccessTokenResponse>, Status> {
        let flow = pb::Oauth2Flow::try_from(request.get_ref().oauth2_flow).unwrap_or(pb::Oauth2Flow::Unspecified);
        identity_telemetry::request::record_flow(flow.as_str_name().trim_start_matches("OAUTH2_FLOW_"));
        let caller = caller(&request)?;
        let request = request.into_inner();
        let claims = self.workload(&caller, &request.workload_identity_token).await?;
        let provider = provider_ref!(request.credential_provider.clone(), get_resource_oauth2_access_token_request);
        let name = oauth2_provider_name(&self.0.arns, &caller.account, provider)?;
        let mut v = Violations::default();
        v.token_list("scopes", &request.scopes, 100, 256);
        v.finish().map_err(DataError::from)?;
        match pb::Oauth2Flow::try_from(request.oauth2_flow) {
            Ok(pb::Oauth2Flow::M2m) => {
                let vended = self.0.m2m_token(&caller.account, &name, &request.scopes).await?;
                tracing::debug!(account = %caller.account, access_key_id = %caller.access_key_id, workload = %claims.sub, provider = %name, "M2M token vended");
                let now = self.0.clock.now_millis();
                Ok(Response::new(pb::GetResourceOauth2AccessTokenResponse {
                    access_token: vended.access_token.expose().to_owned(),
                    expires_in: vended.seconds_left(now),
                    token_type: vended.token_type,
                    expires_at: vended.expires_at.map(timestamp),
                    scopes: vended.scopes,
                    ..Default::default()
                }))
            }
            Ok(pb::Oauth2Flow::UserFederation) => {
                let mut v = Violations::default();
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
                v.finish().map_err(DataError::from)?;
                let outcome = self
                    .0
                    .user_federation(
                        &claims,
                        FederationRequest {
                            provider_name: &name,
                            scopes: &request.scopes,
                            return_url: &request.resource_oauth2_return_url,
                            force_authentication: request.force_authentication.unwrap_or(false),
                            custom_parameters: request.custom_parameters.clone().into_iter().collect(),
                        },
                    )
                    .await?;
                match outcome {
                    Federation::Token(vended) => {
                        tracing::debug!(account = %caller.account, workload = %claims.sub, provider = %name, "user token vended");
                        let now = self.0.clock.now_millis();
                        Ok(Response::new(pb::GetResourceOauth2AccessTokenResponse {
                            access_token: vended.access_token.expose().to_owned(),
                            expires_in: vended.seconds_left(now),
                            token_type: vended.token_type,
                            expires_at: vended.expires_at.map(timestamp),
                            scopes: vended.scopes,
                            ..Default::default()
                        }))
                    }
                    Federation::Authorize { authorization_url, session_uri } => {
                        tracing::info!(account = %caller.account, workload = %claims.sub, provider = %name, "user authorization required");
                        Ok(Response::new(pb::GetResourceOauth2AccessTokenResponse {
                            authorization_url,
                            session_uri,
                            session_status: pb::SessionStatus::InProgress as i32,
                            ..Default::default()
                        }))
                    }
                }
            }
            Ok(pb::Oauth2Flow::OnBehalfOfTokenExchange) => {
                let mut v = Violations::default();
                v.token_list("audiences", &request.audiences, 10, 256);
                v.resource_indicators("resources", &request.resources, 10);
                v.finish().map_err(DataError::from)?;
                let exchange = crate::exchange::ExchangeRequest {
                    provider_name: &name,
                    scopes: &request.scopes,
                    audiences: &request.audiences,
                    resources: &request.resources,
                };
                let vended = self.0.exchange_token(&caller.account, &claims, exchange).await?;
                tracing::debug!(account = %caller.account, access_key_id = %caller.access_key_id, workload = %claims.sub, provider = %name, "token exchanged for the user");
                let now = self.0.clock.now_millis();
                Ok(Response::new(pb::GetResourceOauth2AccessTokenResponse {
                    access_token: vended.access_token.expose().to_owned(),
                    expires_in: vended.seconds_left(now),
                    token_type: vended.token_type,
                    expires_at: vended.expires_at.map(timestamp),
                    scopes: vended.scopes,
                    ..Default::default()
                }))
            }
            Ok(pb::Oauth2Flow::Unspecified) | Err(_) => Err(DataError::from(Violations::one(
                "oauth2_flow",
                "must be M2M, USER_FEDERATION or ON_BEHALF_OF_TOKEN_EXCHANGE",
            ))
            .into()),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn get_api_key_credential(
        &self,
        request: Request<pb::GetApiKeyCredentialRequest>,
    ) -> Result<Response<pb::GetApiKeyCredentialResponse>, Status> {
        identity_telemetry::request::record_flow("API_KEY");
        let caller = caller(&request)?;
        let pb::GetApiKeyCredentialRequest { workload_identity_token, credential_provider } = request.into_inner();
        let claims = self.workload(&caller, &workload_identity_token).await?;
        let name = provider_name(&self.0.arns, &caller.account, credential_provider)?;
        let (api_key, header_name) = self.api_key(&caller.account, &name).await?;
        tracing::debug!(account = %caller.account, access_key_id = %caller.access_key_id, workload = %claims.sub, provider = %name, "API key vended");
        Ok(Response::new(pb::GetApiKeyCredentialResponse { api_key: api_key.expose().to_owned(), header_name }))
    }

    #[tracing::instrument(skip_all)]
    async fn complete_resource_token_auth(
        &self,
        request: Request<pb::CompleteResourceTokenAuthRequest>,
    ) -> Result<Response<pb::CompleteResourceTokenAuthResponse>, Status> {
        use pb::user_identifier::Identifier;
        let caller = caller(&request)?;
        let pb::CompleteResourceTokenAuthRequest { user_identifier, session_uri } = request.into_inner();
        // A key limited to other workloads must not use the session up: checked before completing.
        if let Some(workload) = self.0.session_workload_name(&caller.account, &session_uri).await?
            && !caller.may_act_for(&workload)
        {
            return Err(
                DataError::AccessDenied(format!("access key may not act for workload identity '{workload}'")).into()
            );
        }
        let user = match user_identifier.and_then(|u| u.identifier) {
            Some(Identifier::UserId(id)) if !id.is_empty() => id,
            Some(Identifier::UserToken(token)) if !token.is_empty() => {
                // Checked by the authorizers of the workload that started the flow.
                let workload = self.0.session_workload(&caller.account, &session_uri).await?;
                self.0.validate_user_token(&caller.account, &token, workload.as_ref(), None).await?.user
            }
            _ => {
                return Err(DataError::from(Violations::one(
                    "user_identifier",
                    "give user_id or user_token: the user who started the flow",
                ))
                .into());
            }
        };
        let session = self.0.complete(&caller.account, &session_uri, &user).await?;
        crate::audit::note_workload(&session.workload_name, Some(&user));
        if !caller.may_act_for(&session.workload_name) {
            return Err(DataError::AccessDenied(format!(
                "access key may not act for workload identity '{}'",
                session.workload_name
            ))
            .into());
        }
        tracing::info!(account = %caller.account, workload = %session.workload_name, provider = %session.provider_name, "user authorization completed");
        Ok(Response::new(pb::CompleteResourceTokenAuthResponse {}))
    }

    #[tracing::instrument(skip_all)]
    async fn get_authorization_url(
        &self,
        request: Request<pb::GetAuthorizationUrlRequest>,
    ) -> Result<Response<pb::GetAuthorizationUrlResponse>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let claims = self.workload(&caller, &request.workload_identity_token).await?;
        let provider = provider_ref!(request.credential_provider, get_authorization_url_request);
        let name = oauth2_provider_name(&self.0.arns, &caller.account, provider)?;
        let start = self
            .0
            .app_authorization_url(
                &claims,
                crate::app_hosted::AuthorizationUrlRequest {
                    provider_name: &name,
                    redirect_uri: &request.redirect_uri,
                    scopes: &request.scopes,
                    state: &request.state,
                    custom_parameters: request.custom_parameters.into_iter().collect(),
                },
            )
            .await?;
        tracing::info!(account = %caller.account, workload = %claims.sub, provider = %name, "app-hosted authorization started");
        Ok(Response::new(pb::GetAuthorizationUrlResponse {
            authorization_url: start.authorization_url,
            state: start.state,
            session_uri: start.session_uri,
            session_expires_at: Some(timestamp(start.session_expires_at)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn complete_authorization(
        &self,
        request: Request<pb::CompleteAuthorizationRequest>,
    ) -> Result<Response<pb::CompleteAuthorizationResponse>, Status> {
        identity_telemetry::request::record_flow("USER_FEDERATION");
        let caller = caller(&request)?;
        let request = request.into_inner();
        let claims = self.workload(&caller, &request.workload_identity_token).await?;
        let provider = provider_ref!(request.credential_provider, complete_authorization_request);
        let name = oauth2_provider_name(&self.0.arns, &caller.account, provider)?;
        let vended = self
            .0
            .app_complete_authorization(
                &claims,
                crate::app_hosted::CompleteAuthorizationRequest {
                    provider_name: &name,
                    code: &request.code,
                    redirect_uri: &request.redirect_uri,
                    state: &request.state,
                },
            )
            .await?;
        tracing::info!(account = %caller.account, workload = %claims.sub, provider = %name, "app-hosted authorization completed");
        let now = self.0.clock.now_millis();
        Ok(Response::new(pb::CompleteAuthorizationResponse {
            access_token: vended.access_token.expose().to_owned(),
            expires_in: vended.seconds_left(now),
            token_type: vended.token_type,
            expires_at: vended.expires_at.map(timestamp),
            scopes: vended.scopes,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn refresh_token(
        &self,
        request: Request<pb::RefreshTokenRequest>,
    ) -> Result<Response<pb::RefreshTokenResponse>, Status> {
        identity_telemetry::request::record_flow("USER_FEDERATION");
        let caller = caller(&request)?;
        let pb::RefreshTokenRequest { workload_identity_token, credential_provider, scopes } = request.into_inner();
        let claims = self.workload(&caller, &workload_identity_token).await?;
        let provider = provider_ref!(credential_provider, refresh_token_request);
        let name = oauth2_provider_name(&self.0.arns, &caller.account, provider)?;
        let Some(user) = claims.uid.as_deref() else {
            return Err(DataError::from(Violations::one(
                "workload_identity_token",
                "RefreshToken needs a workload access token minted for a user",
            ))
            .into());
        };
        let provider = self.0.oauth2_provider_settings(&caller.account, &name).await?;
        let ProviderConfig::Oauth2(config) = &provider.config else {
            return Err(DataError::Internal("provider type".to_owned()).into());
        };
        let requested = if scopes.is_empty() { config.default_scopes.clone() } else { scopes };
        let (_, scopes_key) = crate::federation::scope_set(&requested);
        let key = identity_store::GrantKey {
            account: &caller.account,
            workload_id: &claims.wid,
            user_id: user,
            provider_id: &provider.id,
            scopes_key: &scopes_key,
        };
        let Some(grant) = self.0.usable_grant(&key, &provider, true).await? else {
            return Err(DataError::SessionNotFound(format!(
                "no grant of this user for '{name}' with these scopes, or none that can be refreshed: authorize with USER_FEDERATION"
            ))
            .into());
        };
        tracing::info!(account = %caller.account, workload = %claims.sub, provider = %name, "user token refreshed on request");
        let vended = crate::m2m::Vended::from(grant);
        let now = self.0.clock.now_millis();
        Ok(Response::new(pb::RefreshTokenResponse {
            access_token: vended.access_token.expose().to_owned(),
            expires_in: vended.seconds_left(now),
            token_type: vended.token_type,
            expires_at: vended.expires_at.map(timestamp),
            scopes: vended.scopes,
        }))
    }

    /// Validates against the named authorizer, or else the workload's authorizers (a
    /// `workload_name` must be one the caller may act for), or else the account default.
    #[tracing::instrument(skip_all)]
    async fn validate_token(
        &self,
        request: Request<pb::ValidateTokenRequest>,
    ) -> Result<Response<pb::ValidateTokenResponse>, Status> {
        let caller = caller(&request)?;
        let pb::ValidateTokenRequest { token, workload_name, authorizer_name } = request.into_inner();
        let mut v = Violations::default();
        v.required("token", &token, MAX_USER_TOKEN_CHARS);
        if let Some(name) = &workload_name {
            v.workload_name("workload_name", name);
        }
        if let Some(name) = &authorizer_name {
            v.resource_name("authorizer_name", name);
        }
        v.finish().map_err(DataError::from)?;
        let workload = match &workload_name {
            Some(name) => Some(self.workload_for(&caller, name).await?),
            None => None,
        };
        let accepted =
            self.0.validate_user_token(&caller.account, &token, workload.as_ref(), authorizer_name.as_deref()).await?;
        tracing::debug!(account = %caller.account, access_key_id = %caller.access_key_id, authorizer = %accepted.authorizer, "token validated");
        let t = accepted.token;
        Ok(Response::new(pb::ValidateTokenResponse {
            claims: Some(to_struct(t.claims)),
            subject: t.subject,
            issuer: t.issuer,
            audiences: t.audiences,
            expires_at: Some(timestamp(t.expires_at)),
            issued_at: t.issued_at.map(timestamp),
            scopes: t.scopes,
            client_id: t.client_id.unwrap_or_default(),
            authorizer_name: accepted.authorizer,
        }))
    }
}
