//! The connection to the control plane: endpoint parsing, the channel, and the interceptor that
//! puts the admin token on every call.

use std::{error::Error as _, fmt, time::Duration};

use identity_proto::v1::{
    access_key_service_client::AccessKeyServiceClient,
    credential_provider_service_client::CredentialProviderServiceClient,
    jwt_authorizer_service_client::JwtAuthorizerServiceClient,
    workload_identity_service_client::WorkloadIdentityServiceClient,
};
use tonic::{
    Request, Status,
    metadata::{Ascii, MetadataValue},
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint, Uri},
};

use crate::{
    args::DEFAULT_ENDPOINT,
    error::{CliError, cause_chain},
    secret::Secret,
};

/// How long to wait for the TCP (and HTTP/2) connection before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one call may take; admin calls are small, so this only catches a hung server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A channel with the admin token attached to each request.
pub type AuthedChannel = InterceptedService<Channel, BearerAuth>;

/// Turns `--endpoint` into a URI: a bare `host:port` gets `http://`, and an empty value (an
/// exported but blank `AGENTCORE_IDENTITY_ENDPOINT`) means the default.
pub fn normalize_endpoint(raw: &str) -> Result<String, CliError> {
    let raw = match raw.trim() {
        "" => DEFAULT_ENDPOINT,
        trimmed => trimmed,
    };
    let uri = if raw.contains("://") { raw.to_owned() } else { format!("http://{raw}") };
    if uri.starts_with("https://") {
        // tonic is built without a TLS stack in this workspace; say so rather than fail obscurely.
        return Err(CliError::usage(format!(
            "--endpoint {uri}: TLS is not supported by this build; use http:// (behind a TLS-terminating proxy if needed)"
        )));
    }
    if !uri.starts_with("http://") {
        return Err(CliError::usage(format!("--endpoint {uri}: the scheme must be http")));
    }
    match uri.parse::<Uri>() {
        Ok(parsed) if parsed.host().is_some_and(|host| !host.is_empty()) => Ok(uri),
        Ok(_) => Err(CliError::usage(format!("--endpoint {uri}: no host"))),
        Err(err) => Err(CliError::usage(format!("--endpoint {uri}: {err}"))),
    }
}

/// Adds `authorization: Bearer <token>` to every request, when there is a token.
#[derive(Clone)]
pub struct BearerAuth {
    header: Option<MetadataValue<Ascii>>,
}

impl BearerAuth {
    /// An interceptor for this token; `None` sends calls without credentials.
    pub fn new(token: Option<&Secret>) -> Result<Self, CliError> {
        let header = match token {
            None => None,
            Some(token) if token.expose().trim().is_empty() => None,
            Some(token) => {
                let mut value = MetadataValue::try_from(format!("Bearer {}", token.expose().trim()))
                    // The error would quote the value, so it is not passed on.
                    .map_err(|_| CliError::usage("the admin token contains characters not allowed in a header"))?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(BearerAuth { header })
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

/// Where and how to call the control plane. Nothing connects until a command asks for a client,
/// so commands refused for their arguments never touch the network.
#[derive(Debug, Clone)]
pub struct Connection {
    endpoint: String,
    auth: BearerAuth,
}

impl Connection {
    /// Validates the endpoint and the token.
    pub fn new(endpoint: &str, token: Option<&Secret>) -> Result<Self, CliError> {
        Ok(Connection { endpoint: normalize_endpoint(endpoint)?, auth: BearerAuth::new(token)? })
    }

    /// Turns a failed call into the CLI's error.
    pub fn error(&self, status: Status) -> CliError {
        CliError::from_status(&self.endpoint, status)
    }

    async fn channel(&self) -> Result<AuthedChannel, CliError> {
        let unreachable = |cause: String| CliError::Unreachable { endpoint: self.endpoint.clone(), cause };
        let endpoint = Endpoint::from_shared(self.endpoint.clone())
            .map_err(|err| CliError::usage(format!("--endpoint {}: {}", self.endpoint, cause_chain(&err))))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT);
        // The outermost error only says "transport error"; the causes under it say what failed.
        let channel = endpoint
            .connect()
            .await
            .map_err(|err| unreachable(err.source().map_or_else(|| err.to_string(), cause_chain)))?;
        Ok(InterceptedService::new(channel, self.auth.clone()))
    }

    /// A credential-provider client.
    pub async fn providers(&self) -> Result<CredentialProviderServiceClient<AuthedChannel>, CliError> {
        Ok(CredentialProviderServiceClient::new(self.channel().await?))
    }

    /// A workload-identity client.
    pub async fn workloads(&self) -> Result<WorkloadIdentityServiceClient<AuthedChannel>, CliError> {
        Ok(WorkloadIdentityServiceClient::new(self.channel().await?))
    }

    /// An access-key client.
    pub async fn access_keys(&self) -> Result<AccessKeyServiceClient<AuthedChannel>, CliError> {
        Ok(AccessKeyServiceClient::new(self.channel().await?))
    }

    /// A JWT-authorizer client.
    pub async fn jwt_authorizers(&self) -> Result<JwtAuthorizerServiceClient<AuthedChannel>, CliError> {
        Ok(JwtAuthorizerServiceClient::new(self.channel().await?))
    }
}

#[cfg(test)]
mod tests;
