//! `get-token` and `complete-auth`: OAuth2 access tokens from the data plane, called with an
//! access key.
//!
//! `get-token` vends a provider's access token to a workload: by client credentials (`m2m`), or
//! for the user its workload access token is bound to (`user-federation`). A user who has not
//! authorized yet gets an authorization URL instead; once they have been there, `complete-auth`
//! binds the session to them and the next `get-token` returns the token. The access token is
//! printed only as the answer to `get-token`: it is held as a [`Secret`] everywhere else.

use identity_proto::v1::{
    CompleteResourceTokenAuthRequest, GetResourceOauth2AccessTokenRequest, GetResourceOauth2AccessTokenResponse,
    Oauth2Flow, SessionStatus, UserIdentifier, get_resource_oauth2_access_token_request::CredentialProvider,
    user_identifier::Identifier,
};

use super::{
    Outcome, clean_list,
    data::{MintRequest, WatSource, mint, non_blank, value_line, wat_source},
    key_values,
};
use crate::{
    args::{CompleteAuthArgs, GetTokenArgs, OutputFormat, TokenFlow},
    client::DataConnection,
    error::CliError,
    output::{Record, sanitize},
    secret::Secret,
};

/// `get-token`, checked: everything it will send, before anything is sent.
#[derive(Debug)]
pub struct TokenPlan {
    /// The workload access token, or how to get one.
    pub wat: WatSource,
    /// The request, without its workload access token (filled in by [`build_token_request`]).
    pub request: GetResourceOauth2AccessTokenRequest,
}

/// What `get-token` got back.
#[derive(Debug, PartialEq)]
pub enum TokenAnswer {
    /// The provider's access token.
    Token(VendedToken),
    /// The user must authorize first, at this URL; `complete-auth` then finishes the session.
    Authorize {
        /// The URL to open as the user.
        authorization_url: String,
        /// The session to complete.
        session_uri: String,
    },
}

/// A vended OAuth2 access token.
#[derive(Debug, PartialEq)]
pub struct VendedToken {
    /// The token.
    pub access_token: Secret,
    /// Its type, usually `Bearer`.
    pub token_type: String,
    /// Seconds until it expires; 0 when the provider gave no expiry.
    pub expires_in: i64,
    /// When it expires, if the provider said.
    pub expires_at: Option<prost_types::Timestamp>,
    /// Scopes granted, when the provider reported them.
    pub scopes: Vec<String>,
}

/// The wire value of a `--flow`.
pub fn flow_value(flow: TokenFlow) -> Oauth2Flow {
    match flow {
        TokenFlow::M2m => Oauth2Flow::M2m,
        TokenFlow::UserFederation => Oauth2Flow::UserFederation,
        TokenFlow::TokenExchange => Oauth2Flow::OnBehalfOfTokenExchange,
    }
}

/// The provider of `get-token`, by `--name` or by `--arn` (clap lets exactly one through).
pub fn token_provider(name: Option<String>, arn: Option<String>) -> Result<CredentialProvider, CliError> {
    match (name, arn) {
        (Some(name), None) => Ok(CredentialProvider::ResourceCredentialProviderName(non_blank("--name", name)?)),
        (None, Some(arn)) => Ok(CredentialProvider::CredentialProviderArn(non_blank("--arn", arn)?)),
        _ => Err(CliError::usage("give the credential provider as --name or as --arn")),
    }
}

/// Checks `get-token`'s arguments against each other and builds its request. The options of the
/// user's authorization (`--return-url`, `--force-authentication`, `--param`) are refused with
/// `m2m`, which would ignore them, and `user-federation` is refused for a token minted without a
/// user, which the service could only turn down.
pub fn plan_token(args: GetTokenArgs) -> Result<TokenPlan, CliError> {
    let GetTokenArgs {
        name,
        arn,
        flow,
        audiences,
        resources,
        scopes,
        return_url,
        force_authentication,
        params,
        workload_access_token,
        workload_name,
        user_id,
        user_token,
        value_only: _,
    } = args;
    let provider = token_provider(name, arn)?;
    let wat = match (user_token, workload_name) {
        (Some(user_token), Some(workload_name)) => {
            let workload_name = non_blank("--workload-name", workload_name)?;
            let user_token = Secret::from(non_blank("--user-token", user_token.into_inner())?.trim().to_owned());
            WatSource::Mint(MintRequest::ForJwt { workload_name, user_token })
        }
        (Some(_), None) => return Err(CliError::usage("--user-token mints with --workload-name")),
        (None, workload_name) => wat_source(workload_access_token, workload_name, user_id)?,
    };
    let user_options = [
        (return_url.is_some(), "--return-url"),
        (force_authentication, "--force-authentication"),
        (!params.is_empty(), "--param"),
    ];
    let exchange_options = [(!audiences.is_empty(), "--audience"), (!resources.is_empty(), "--resource")];
    if flow != TokenFlow::TokenExchange
        && let Some((_, flag)) = exchange_options.iter().find(|(given, _)| *given)
    {
        return Err(CliError::usage(format!("{flag} is for --flow token-exchange")));
    }
    match flow {
        TokenFlow::M2m | TokenFlow::TokenExchange => {
            if let Some((_, flag)) = user_options.iter().find(|(given, _)| *given) {
                let flow = if flow == TokenFlow::M2m { "m2m" } else { "token-exchange" };
                return Err(CliError::usage(format!("{flag} is for --flow user-federation, not {flow}")));
            }
            if flow == TokenFlow::TokenExchange
                && matches!(wat, WatSource::Mint(MintRequest::Workload(_) | MintRequest::ForUser(_)))
            {
                return Err(CliError::usage(
                    "--flow token-exchange exchanges the user's JWT: give --user-token with --workload-name, or a \
                     --workload-access-token minted from a user JWT",
                ));
            }
        }
        TokenFlow::UserFederation => {
            if matches!(wat, WatSource::Mint(MintRequest::Workload(_))) {
                return Err(CliError::usage(
                    "--flow user-federation acts for a user: give --user-id with --workload-name, or a \
                     --workload-access-token minted for a user",
                ));
            }
        }
    }
    let resource_oauth2_return_url = match return_url {
        Some(url) => non_blank("--return-url", url)?.trim().to_owned(),
        None => String::new(),
    };
    let request = GetResourceOauth2AccessTokenRequest {
        workload_identity_token: String::new(),
        credential_provider: Some(provider),
        scopes: clean_list(scopes),
        oauth2_flow: flow_value(flow).into(),
        resource_oauth2_return_url,
        force_authentication: force_authentication.then_some(true),
        custom_parameters: key_values("--param", params)?,
        audiences: clean_list(audiences),
        resources: clean_list(resources),
        ..Default::default()
    };
    Ok(TokenPlan { wat, request })
}

/// The `GetResourceOauth2AccessToken` request, with its workload access token.
pub fn build_token_request(
    wat: Secret,
    mut request: GetResourceOauth2AccessTokenRequest,
) -> GetResourceOauth2AccessTokenRequest {
    request.workload_identity_token = wat.into_inner();
    request
}

/// Reads the reply: a token, or an authorization URL; anything else is the service's fault.
pub fn token_answer(reply: GetResourceOauth2AccessTokenResponse) -> Result<TokenAnswer, CliError> {
    let GetResourceOauth2AccessTokenResponse {
        authorization_url,
        access_token,
        session_uri,
        session_status,
        token_type,
        expires_in,
        expires_at,
        scopes,
    } = reply;
    if !access_token.is_empty() {
        let access_token = Secret::from(access_token);
        return Ok(TokenAnswer::Token(VendedToken { access_token, token_type, expires_in, expires_at, scopes }));
    }
    if !authorization_url.is_empty() {
        return Ok(TokenAnswer::Authorize { authorization_url, session_uri });
    }
    if session_status == i32::from(SessionStatus::Failed) {
        let session = sanitize(&session_uri);
        return Err(CliError::Output(format!("the data plane reports authorization session '{session}' failed")));
    }
    Err(CliError::Output("the data plane returned neither an access token nor an authorization URL".to_owned()))
}

/// A vended token as printed: `accessToken`, `tokenType`, `expiresIn`, `expiresAt`, `scopes`.
pub fn access_token_record(token: &VendedToken) -> Record {
    Record::new()
        .text("accessToken", token.access_token.expose())
        .text("tokenType", &token.token_type)
        .integer("expiresIn", token.expires_in)
        .time("expiresAt", token.expires_at.as_ref())
        .list("scopes", &token.scopes)
}

/// An authorization to finish as printed: `authorizationUrl` and `sessionUri`.
pub fn authorization_record(authorization_url: &str, session_uri: &str) -> Record {
    Record::new().text("authorizationUrl", authorization_url).text("sessionUri", session_uri)
}

/// The advice printed on stderr with an authorization URL: what to do next, with the user when
/// the CLI knows it.
pub fn authorization_notice(session_uri: &str, user_id: Option<&str>) -> String {
    let user = user_id.map_or_else(|| "--user-id USER".to_owned(), |user| format!("--user-id '{}'", sanitize(user)));
    format!(
        "open the authorization URL as the user, then run complete-auth: agentcore identity complete-auth \
         --session-uri '{}' {user}\n",
        sanitize(session_uri)
    )
}

/// Builds the `CompleteResourceTokenAuth` request: the session, and the user by id or by JWT
/// (clap lets exactly one through).
pub fn build_complete_request(args: CompleteAuthArgs) -> Result<CompleteResourceTokenAuthRequest, CliError> {
    let CompleteAuthArgs { session_uri, user_id, user_token } = args;
    let session_uri = non_blank("--session-uri", session_uri)?.trim().to_owned();
    let identifier = match (user_id, user_token) {
        (Some(user_id), None) => Identifier::UserId(non_blank("--user-id", user_id)?),
        (None, Some(token)) => {
            let token = token.expose().trim();
            if token.is_empty() {
                return Err(CliError::usage("--user-token is empty"));
            }
            Identifier::UserToken(token.to_owned())
        }
        _ => return Err(CliError::usage("give the user as --user-id or as --user-token")),
    };
    Ok(CompleteResourceTokenAuthRequest {
        user_identifier: Some(UserIdentifier { identifier: Some(identifier) }),
        session_uri,
    })
}

pub async fn get_token(conn: &DataConnection, format: OutputFormat, args: GetTokenArgs) -> Result<Outcome, CliError> {
    let value_only = args.value_only;
    let TokenPlan { wat, request } = plan_token(args)?;
    let mut client = conn.data().await?;
    let (wat, user_id) = match wat {
        WatSource::Given(wat) => (wat, None),
        WatSource::Mint(request) => {
            let user_id = match &request {
                MintRequest::ForUser(request) => Some(request.user_id.clone()),
                MintRequest::Workload(_) | MintRequest::ForJwt { .. } => None,
            };
            (mint(conn, &mut client, request).await?.token, user_id)
        }
    };
    let request = build_token_request(wat, request);
    let reply = client.get_resource_oauth2_access_token(request).await.map_err(|s| conn.error(s))?.into_inner();
    match token_answer(reply)? {
        TokenAnswer::Token(token) => {
            let stdout = if value_only {
                value_line(&token.access_token)
            } else {
                access_token_record(&token).render(format)?
            };
            Ok(Outcome::print(stdout))
        }
        TokenAnswer::Authorize { authorization_url, session_uri } => {
            if value_only {
                // Asked for the token alone, for `$(…)`: a URL in its place would be used as one.
                return Err(CliError::AuthorizationRequired {
                    authorization_url: sanitize(&authorization_url),
                    session_uri: sanitize(&session_uri),
                });
            }
            Ok(Outcome {
                stdout: authorization_record(&authorization_url, &session_uri).render(format)?,
                notice: Some(authorization_notice(&session_uri, user_id.as_deref())),
            })
        }
    }
}

pub async fn complete_auth(
    conn: &DataConnection,
    format: OutputFormat,
    args: CompleteAuthArgs,
) -> Result<Outcome, CliError> {
    let request = build_complete_request(args)?;
    let mut client = conn.data().await?;
    client.complete_resource_token_auth(request).await.map_err(|s| conn.error(s))?;
    Ok(Outcome::print(match format {
        OutputFormat::Table => "authorization completed\n".to_owned(),
        OutputFormat::Json => "{}\n".to_owned(),
    }))
}

#[cfg(test)]
mod tests;
