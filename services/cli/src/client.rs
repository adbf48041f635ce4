//! The connections to the control plane and the data plane: endpoint parsing, the channel, and
//! the interceptor that puts the credential on every call (the admin token for the control
//! plane, an access key for the data plane).

use std::{error::Error as _, fmt, time::Duration};

use identity_proto::v1::{
    access_key_service_client::AccessKeyServiceClient, audit_service_client::AuditServiceClient,
    credential_provider_service_client::CredentialProviderServiceClient,
    identity_data_service_client::IdentityDataServiceClient, jwt_authorizer_service_client::JwtAuthorizerServiceClient,
    token_vault_service_client::TokenVaultServiceClient,
    workload_identity_service_client::WorkloadIdentityServiceClient,
};
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint, Uri},
};

use crate::{
    args::{DEFAULT_DATA_ENDPOINT, DEFAULT_ENDPOINT},
    error::{CliError, cause_chain},
    secret::Secret,
};

/// How long to wait for the TCP (and HTTP/2) connection before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one call may take; calls are small, so this only catches a hung server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A channel with a credential attached to each request.
pub type AuthedChannel = InterceptedService<Channel, BearerAuth>;

/// Turns an endpoint flag's value into a URI: a bare `host:port` gets `http://`, and an empty
/// value (an exported but blank environment variable) means `default`. `flag` names the option in
/// error messages.
pub fn normalize_endpoint(flag: &str, default: &str, raw: &str) -> Result<String, CliError> {
    let raw = match raw.trim() {
        "" => default,
        trimmed => trimmed,
    };
    let uri = if raw.contains("://") { raw.to_owned() } else { format!("http://{raw}") };
    if uri.starts_with("https://") {
        // tonic is built without a TLS stack in this workspace; say so rather than fail obscurely.
        return Err(CliError::usage(format!(
            "{flag} {uri}: TLS is not supported by this build; use http:// (behind a TLS-terminating proxy if needed)"
        )));
    }
    if !uri.starts_with("http://") {
        return Err(CliError::usage(format!("{flag} {uri}: the scheme must be http")));
    }
    match uri.parse::<Uri>() {
        Ok(parsed) if parsed.host().is_some_and(|host| !host.is_empty()) => Ok(uri),
        Ok(_) => Err(CliError::usage(format!("{flag} {uri}: no host"))),
        Err(err) => Err(CliError::usage(format!("{flag} {uri}: {err}"))),
    }
}

/// Adds `authorization: Bearer <credential>` to every request, when there is a credential.
#[derive(Clone)]
pub struct BearerAuth {
    header: Option<MetadataValue<Ascii>>,
}

impl BearerAuth {
    /// An interceptor for the admin token; `None` sends calls without credentials.
    pub fn new(token: Option<&Secret>) -> Result<Self, CliError> {
        match token {
            Some(token) if !token.expose().trim().is_empty() => Self::bearer("the admin token", token.expose().trim()),
            _ => Ok(BearerAuth { header: None }),
        }
    }

    /// An interceptor for a data-plane access key, `ACCESS_KEY_ID:SECRET_ACCESS_KEY`. A missing
    /// (or blank) key, or one that is not an id and a secret joined by a colon, is a usage error
    /// that never quotes the value.
    pub fn access_key(key: Option<&Secret>) -> Result<Self, CliError> {
        let key = key.map(|key| key.expose().trim()).filter(|key| !key.is_empty()).ok_or_else(|| {
            CliError::usage(
                "the data plane needs an access key: pass --access-key ACCESS_KEY_ID:SECRET_ACCESS_KEY or set \
                 AGENTCORE_IDENTITY_ACCESS_KEY (create one with `agentcore identity create-access-key`)",
            )
        })?;
        match key.split_once(':') {
            Some((id, secret)) if !id.trim().is_empty() && !secret.trim().is_empty() => {
                Self::bearer("the access key", key)
            }
            _ => Err(CliError::usage("the access key must be ACCESS_KEY_ID:SECRET_ACCESS_KEY")),
        }
    }

    fn bearer(what: &str, credential: &str) -> Result<Self, CliError> {
        let mut value = MetadataValue::try_from(format!("Bearer {credential}"))
            // The error would quote the value, so it is not passed on.
            .map_err(|_| CliError::usage(format!("{what} contains characters not allowed in a header")))?;
        value.set_sensitive(true);
        Ok(BearerAuth { header: Some(value) })
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = if self.header.is_some() { "Bearer <redacted>" } else { "none" };
        f.debug_struct("BearerAuth").field("header", &shown).finish()
    }
}

impl Interceptor for BearerAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(header) = &self.header {
            request.metadata_mut().insert("authorization", header.clone());
        }
        Ok(request)
    }
}

/// One service's address and credential. Nothing connects until a client is asked for, so
/// commands refused for their arguments never touch the network.
#[derive(Debug, Clone)]
struct Link {
    /// `control plane` or `data plane`, for messages.
    plane: &'static str,
    /// The option that set the endpoint, for messages.
    flag: &'static str,
    endpoint: String,
    auth: BearerAuth,
}

impl Link {
    fn error(&self, status: Status) -> CliError {
        CliError::from_status(self.plane, &self.endpoint, status)
    }

    async fn channel(&self) -> Result<AuthedChannel, CliError> {
        let unreachable =
            |cause: String| CliError::Unreachable { plane: self.plane, endpoint: self.endpoint.clone(), cause };
        let endpoint = Endpoint::from_shared(self.endpoint.clone())
            .map_err(|err| CliError::usage(format!("{} {}: {}", self.flag, self.endpoint, cause_chain(&err))))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT);
        // The outermost error only says "transport error"; the causes under it say what failed.
        let channel = endpoint
            .connect()
            .await
            .map_err(|err| unreachable(err.source().map_or_else(|| err.to_string(), cause_chain)))?;
        Ok(InterceptedService::new(channel, self.auth.clone()))
    }
}

/// Where and how to call the control plane, with the admin token.
#[derive(Debug, Clone)]
pub struct Connection(Link);

impl Connection {
    /// Validates the endpoint and the token.
    pub fn new(endpoint: &str, token: Option<&Secret>) -> Result<Self, CliError> {
        Ok(Connection(Link {
            plane: "control plane",
            flag: "--endpoint",
            endpoint: normalize_endpoint("--endpoint", DEFAULT_ENDPOINT, endpoint)?,
            auth: BearerAuth::new(token)?,
        }))
    }

    /// Turns a failed call into the CLI's error.
    pub fn error(&self, status: Status) -> CliError {
        self.0.error(status)
    }

    /// A credential-provider client.
    pub async fn providers(&self) -> Result<CredentialProviderServiceClient<AuthedChannel>, CliError> {
        Ok(CredentialProviderServiceClient::new(self.0.channel().await?))
    }

    /// A workload-identity client.
    pub async fn workloads(&self) -> Result<WorkloadIdentityServiceClient<AuthedChannel>, CliError> {
        Ok(WorkloadIdentityServiceClient::new(self.0.channel().await?))
    }

    /// An access-key client.
    pub async fn access_keys(&self) -> Result<AccessKeyServiceClient<AuthedChannel>, CliError> {
        Ok(AccessKeyServiceClient::new(self.0.channel().await?))
    }

    /// An audit-log client.
    pub async fn audit(&self) -> Result<AuditServiceClient<AuthedChannel>, CliError> {
        Ok(AuditServiceClient::new(self.0.channel().await?))
    }

    /// A JWT-authorizer client.
    pub async fn jwt_authorizers(&self) -> Result<JwtAuthorizerServiceClient<AuthedChannel>, CliError> {
        Ok(JwtAuthorizerServiceClient::new(self.0.channel().await?))
    }

    /// A token-vault client.
    pub async fn token_vault(&self) -> Result<TokenVaultServiceClient<AuthedChannel>, CliError> {
        Ok(TokenVaultServiceClient::new(self.0.channel().await?))
    }
}

/// Where and how to call the data plane, with an access key (never the admin token).
#[derive(Debug, Clone)]
pub struct DataConnection(Link);

impl DataConnection {
    /// Validates the endpoint and requires a well-formed access key.
    pub fn new(endpoint: &str, access_key: Option<&Secret>) -> Result<Self, CliError> {
        Ok(DataConnection(Link {
            plane: "data plane",
            flag: "--data-endpoint",
            endpoint: normalize_endpoint("--data-endpoint", DEFAULT_DATA_ENDPOINT, endpoint)?,
            auth: BearerAuth::access_key(access_key)?,
        }))
    }

    /// Turns a failed call into the CLI's error.
    pub fn error(&self, status: Status) -> CliError {
        self.0.error(status)
    }

    /// An identity-data client: workload access tokens and credentials.
    pub async fn data(&self) -> Result<IdentityDataServiceClient<AuthedChannel>, CliError> {
        Ok(IdentityDataServiceClient::new(self.0.channel().await?))
    }
}

#[cfg(test)]
mod tests;
