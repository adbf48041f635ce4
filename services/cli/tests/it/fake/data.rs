//! The fake data plane: workload access tokens for `agent-1` only, one API-key provider,
//! `GitHubProvider`, and one OAuth2 provider, `OktaProvider`, whose user-federation tokens go to
//! users who completed the session it started for them. Every call must carry the access key; each call is recorded in
//! [`Seen::data_calls`](super::Seen) so that tests can see the token minted and then used.

use std::collections::HashMap;

use identity_proto::v1::{
    CompleteAuthorizationRequest, CompleteAuthorizationResponse, CompleteResourceTokenAuthRequest,
    CompleteResourceTokenAuthResponse, GetApiKeyCredentialRequest, GetApiKeyCredentialResponse,
    GetAuthorizationUrlRequest, GetAuthorizationUrlResponse, GetResourceOauth2AccessTokenRequest,
    GetResourceOauth2AccessTokenResponse, GetWorkloadAccessTokenForJwtRequest, GetWorkloadAccessTokenForJwtResponse,
    GetWorkloadAccessTokenForUserIdRequest, GetWorkloadAccessTokenForUserIdResponse, GetWorkloadAccessTokenRequest,
    GetWorkloadAccessTokenResponse, Oauth2Flow, RefreshTokenRequest, RefreshTokenResponse, SessionStatus,
    ValidateTokenRequest, ValidateTokenResponse, get_api_key_credential_request::CredentialProvider,
    get_resource_oauth2_access_token_request::CredentialProvider as TokenProvider,
    identity_data_service_server::IdentityDataService, user_identifier::Identifier,
};
use tonic::{Code, Request, Response, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use super::Fake;

/// The access key the fake data plane accepts, `ID:SECRET`: the one the fake control plane's
/// `create-access-key` hands out.
pub const ACCESS_KEY: &str = "AKIAFAKEFAKEFAKEFAKE:fake-secret-access-key";
/// The API key `GitHubProvider` vends.
pub const API_KEY: &str = "ghp_fake_api_key_value";
/// The access token `OktaProvider` vends.
pub const OAUTH2_TOKEN: &str = "oauth2-fake-access-token";
/// The session `OktaProvider` starts for `alice`.
pub const SESSION_URI: &str = "urn:ietf:params:oauth:request_uri:session-alice";
/// The one OAuth2 provider.
const OAUTH2_PROVIDER: &str = "OktaProvider";
/// The workload the access key may act for.
const WORKLOAD: &str = "agent-1";
/// The one API-key provider.
const PROVIDER: &str = "GitHubProvider";

fn error(code: Code, reason: &str, message: String, metadata: HashMap<String, String>) -> Status {
    Status::with_error_details(code, message, ErrorDetails::with_error_info(reason, "agentcore.identity", metadata))
}

impl Fake {
    /// Records the call's credential and refuses anything but the access key.
    fn authorize_key<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let header = request.metadata().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        self.seen.lock().unwrap().data_auth.push(header.to_owned());
        if header == format!("Bearer {ACCESS_KEY}") {
            Ok(())
        } else {
            Err(error(Code::Unauthenticated, "UnauthorizedException", "invalid access key".into(), HashMap::new()))
        }
    }

    fn mint(&self, workload: &str, user: Option<&str>) -> Result<(String, i64, prost_types::Timestamp), Status> {
        let call = match user {
            None => format!("mint {workload}"),
            Some(user) => format!("mint {workload} for {user}"),
        };
        self.seen.lock().unwrap().data_calls.push(call);
        if workload != WORKLOAD {
            let message = format!("the access key may not act for workload '{workload}'");
            return Err(error(Code::PermissionDenied, "AccessDeniedException", message, HashMap::new()));
        }
        let token = match user {
            None => format!("wat.{workload}"),
            Some(user) => format!("wat.{workload}.{user}"),
        };
        Ok((token, 900, prost_types::Timestamp { seconds: 1_700_000_900, nanos: 0 }))
    }
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not in the fake"))
}

#[tonic::async_trait]
impl IdentityDataService for Fake {
    async fn get_workload_access_token(
        &self,
        request: Request<GetWorkloadAccessTokenRequest>,
    ) -> Result<Response<GetWorkloadAccessTokenResponse>, Status> {
        self.authorize_key(&request)?;
        let (workload_access_token, expires_in, expires_at) = self.mint(&request.get_ref().workload_name, None)?;
        Ok(Response::new(GetWorkloadAccessTokenResponse {
            workload_access_token,
            expires_in,
            expires_at: Some(expires_at),
        }))
    }

    async fn get_workload_access_token_for_jwt(
        &self,
        _request: Request<GetWorkloadAccessTokenForJwtRequest>,
    ) -> Result<Response<GetWorkloadAccessTokenForJwtResponse>, Status> {
        unimplemented()
    }

    async fn get_workload_access_token_for_user_id(
        &self,
        request: Request<GetWorkloadAccessTokenForUserIdRequest>,
    ) -> Result<Response<GetWorkloadAccessTokenForUserIdResponse>, Status> {
        self.authorize_key(&request)?;
        let GetWorkloadAccessTokenForUserIdRequest { workload_name, user_id } = request.into_inner();
        let (workload_access_token, expires_in, expires_at) = self.mint(&workload_name, Some(&user_id))?;
        Ok(Response::new(GetWorkloadAccessTokenForUserIdResponse {
            workload_access_token,
            expires_in,
            expires_at: Some(expires_at),
        }))
    }

    /// M2M: a token for any workload. User federation: an authorization URL for a user until
    /// their session is completed, then a token.
    async fn get_resource_oauth2_access_token(
        &self,
        request: Request<GetResourceOauth2AccessTokenRequest>,
    ) -> Result<Response<GetResourceOauth2AccessTokenResponse>, Status> {
        self.authorize_key(&request)?;
        let request = request.into_inner();
        let provider = match &request.credential_provider {
            Some(TokenProvider::ResourceCredentialProviderName(name)) => name.clone(),
            Some(TokenProvider::CredentialProviderArn(arn)) => arn.clone(),
            None => String::new(),
        };
        let flow = Oauth2Flow::try_from(request.oauth2_flow).unwrap_or_default();
        let wat = request.workload_identity_token.clone();
        {
            let mut seen = self.seen.lock().unwrap();
            seen.data_calls.push(format!("token {provider} {} with {wat}", flow.as_str_name()));
            seen.token_requests.push(request.clone());
        }
        let Some(rest) = wat.strip_prefix("wat.") else {
            let message = "invalid workload access token: it is malformed".to_owned();
            return Err(error(Code::Unauthenticated, "InvalidToken", message, HashMap::new()));
        };
        if provider != OAUTH2_PROVIDER && !provider.ends_with(&format!("/oauth2credentialprovider/{OAUTH2_PROVIDER}")) {
            let message = format!("OAuth2 credential provider '{provider}' not found");
            return Err(error(Code::NotFound, "ProviderNotFound", message, HashMap::new()));
        }
        let token = GetResourceOauth2AccessTokenResponse {
            access_token: OAUTH2_TOKEN.to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: 3600,
            expires_at: Some(prost_types::Timestamp { seconds: 1_700_003_600, nanos: 0 }),
            scopes: request.scopes.clone(),
            ..Default::default()
        };
        match flow {
            Oauth2Flow::M2m => Ok(Response::new(token)),
            Oauth2Flow::UserFederation => {
                let Some((_, user)) = rest.split_once('.') else {
                    let message = "USER_FEDERATION needs a workload access token minted for a user".to_owned();
                    return Err(error(Code::InvalidArgument, "ValidationException", message, HashMap::new()));
                };
                if self.seen.lock().unwrap().authorized_users.iter().any(|known| known == user) {
                    return Ok(Response::new(token));
                }
                Ok(Response::new(GetResourceOauth2AccessTokenResponse {
                    authorization_url: format!("https://idp.example/authorize?request_uri=session-{user}"),
                    session_uri: format!("urn:ietf:params:oauth:request_uri:session-{user}"),
                    session_status: SessionStatus::InProgress.into(),
                    ..Default::default()
                }))
            }
            _ => Err(error(Code::InvalidArgument, "ValidationException", "bad oauth2_flow".into(), HashMap::new())),
        }
    }

    async fn get_api_key_credential(
        &self,
        request: Request<GetApiKeyCredentialRequest>,
    ) -> Result<Response<GetApiKeyCredentialResponse>, Status> {
        self.authorize_key(&request)?;
        let GetApiKeyCredentialRequest { workload_identity_token, credential_provider } = request.into_inner();
        let (provider, by_arn) = match credential_provider {
            Some(CredentialProvider::ResourceCredentialProviderName(name)) => (name, false),
            Some(CredentialProvider::CredentialProviderArn(arn)) => (arn, true),
            None => (String::new(), false),
        };
        self.seen.lock().unwrap().data_calls.push(format!("api-key {provider} with {workload_identity_token}"));
        if !workload_identity_token.starts_with("wat.") {
            let check = HashMap::from([("check".to_owned(), "is malformed".to_owned())]);
            let message = "invalid workload access token: it is malformed".to_owned();
            return Err(error(Code::Unauthenticated, "InvalidToken", message, check));
        }
        let known = if by_arn {
            provider.ends_with(&format!("/apikeycredentialprovider/{PROVIDER}"))
        } else {
            provider == PROVIDER
        };
        if !known {
            let message = format!("API key credential provider '{provider}' not found");
            return Err(error(Code::NotFound, "ProviderNotFound", message, HashMap::new()));
        }
        Ok(Response::new(GetApiKeyCredentialResponse {
            api_key: API_KEY.to_owned(),
            header_name: "X-API-Key".to_owned(),
        }))
    }

    /// Completes `session-<user>` for that user (by id, or by a JWT that is `jwt.<user>`).
    async fn complete_resource_token_auth(
        &self,
        request: Request<CompleteResourceTokenAuthRequest>,
    ) -> Result<Response<CompleteResourceTokenAuthResponse>, Status> {
        self.authorize_key(&request)?;
        let CompleteResourceTokenAuthRequest { user_identifier, session_uri } = request.into_inner();
        let user = match user_identifier.and_then(|user| user.identifier) {
            Some(Identifier::UserId(user)) => user,
            Some(Identifier::UserToken(token)) => token.strip_prefix("jwt.").unwrap_or_default().to_owned(),
            None => String::new(),
        };
        let mut seen = self.seen.lock().unwrap();
        seen.data_calls.push(format!("complete {session_uri} for {user}"));
        if session_uri.strip_prefix("urn:ietf:params:oauth:request_uri:session-") != Some(user.as_str()) {
            let message = "the session was started for another user".to_owned();
            return Err(error(Code::PermissionDenied, "AccessDeniedException", message, HashMap::new()));
        }
        seen.authorized_users.push(user);
        Ok(Response::new(CompleteResourceTokenAuthResponse {}))
    }

    async fn get_authorization_url(
        &self,
        _request: Request<GetAuthorizationUrlRequest>,
    ) -> Result<Response<GetAuthorizationUrlResponse>, Status> {
        unimplemented()
    }

    async fn complete_authorization(
        &self,
        _request: Request<CompleteAuthorizationRequest>,
    ) -> Result<Response<CompleteAuthorizationResponse>, Status> {
        unimplemented()
    }

    async fn refresh_token(
        &self,
        _request: Request<RefreshTokenRequest>,
    ) -> Result<Response<RefreshTokenResponse>, Status> {
        unimplemented()
    }

    async fn validate_token(
        &self,
        _request: Request<ValidateTokenRequest>,
    ) -> Result<Response<ValidateTokenResponse>, Status> {
        unimplemented()
    }
}
