//! A fake control plane and data plane on loopback (one port serves both): just enough of the
//! credential-provider, access-key and identity-data services to see what the CLI sends and how
//! it prints what comes back.

pub mod audit;
mod data;
pub mod vault;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use identity_proto::v1::identity_data_service_server::IdentityDataServiceServer;
use identity_proto::v1::{
    AccessKey, CreateAccessKeyRequest, CreateAccessKeyResponse, CreateCredentialProviderRequest,
    CreateCredentialProviderResponse, CredentialProvider, CredentialProviderStatus, CredentialProviderType,
    CredentialProviderVendor, DeleteAccessKeyRequest, DeleteAccessKeyResponse, DeleteCredentialProviderRequest,
    DeleteCredentialProviderResponse, GetCredentialProviderRequest, GetCredentialProviderResponse,
    ListAccessKeysRequest, ListAccessKeysResponse, ListCredentialProvidersRequest, ListCredentialProvidersResponse,
    Oauth2ProviderConfigOutput, UpdateCredentialProviderRequest, UpdateCredentialProviderResponse,
    access_key_service_server::{AccessKeyService, AccessKeyServiceServer},
    create_credential_provider_request::Config,
    credential_provider_service_server::{CredentialProviderService, CredentialProviderServiceServer},
};
use tonic::{Code, Request, Response, Status, transport::server::TcpIncoming};
use tonic_types::{ErrorDetails, StatusExt as _};

/// The admin token the fake accepts.
pub const TOKEN: &str = "admin-token";
/// The access-key secret the fake hands out.
pub const KEY_SECRET: &str = "fake-secret-access-key";

pub use data::{ACCESS_KEY, API_KEY, OAUTH2_TOKEN, SESSION_URI};

/// Requests the fake received, for assertions.
#[derive(Debug, Default)]
pub struct Seen {
    pub created_providers: Vec<CreateCredentialProviderRequest>,
    pub list_tokens: Vec<String>,
    /// `authorization` of each data-plane call, in order.
    pub data_auth: Vec<String>,
    /// Each data-plane call, in order: `mint <workload>`, `mint <workload> for <user>`,
    /// `api-key <provider> with <wat>`, `token <provider> <flow> with <wat>`,
    /// `complete <session> for <user>`.
    pub data_calls: Vec<String>,
    /// The full `GetResourceOauth2AccessToken` requests, in order.
    pub token_requests: Vec<identity_proto::v1::GetResourceOauth2AccessTokenRequest>,
    /// Users whose user-federation session was completed: they get tokens from then on.
    pub authorized_users: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Seen>>,
}

/// Starts the fake on a free loopback port; it runs until the test's runtime ends.
pub async fn start() -> (SocketAddr, Arc<Mutex<Seen>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let fake = Fake::default();
    let seen = fake.seen.clone();
    let router = tonic::transport::Server::builder()
        .add_service(CredentialProviderServiceServer::new(fake.clone()))
        .add_service(AccessKeyServiceServer::new(fake.clone()))
        .add_service(IdentityDataServiceServer::new(fake));
    tokio::spawn(router.serve_with_incoming(TcpIncoming::from(listener)));
    (address, seen)
}

fn authorize<T>(request: &Request<T>) -> Result<(), Status> {
    let header = request.metadata().get("authorization").and_then(|v| v.to_str().ok());
    if header == Some(&format!("Bearer {TOKEN}")) {
        Ok(())
    } else {
        let details = ErrorDetails::with_error_info("UnauthorizedException", "agentcore.identity", HashMap::new());
        Err(Status::with_error_details(Code::Unauthenticated, "a valid admin token is required", details))
    }
}

fn provider(name: &str, vendor: CredentialProviderVendor) -> CredentialProvider {
    CredentialProvider {
        credential_provider_id: format!("cp-{name}"),
        name: name.to_owned(),
        credential_provider_arn: format!(
            "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/oauth2credentialprovider/{name}"
        ),
        credential_provider_type: CredentialProviderType::Oauth2.into(),
        credential_provider_vendor: vendor.into(),
        status: CredentialProviderStatus::Active.into(),
        callback_url: format!("http://127.0.0.1:8080/oauth2/callback/cp-{name}"),
        oauth2_provider_config_output: Some(Oauth2ProviderConfigOutput {
            client_id: "client-id".to_owned(),
            ..Default::default()
        }),
        created_time: Some(prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 }),
        ..Default::default()
    }
}

fn api_key_provider(name: &str, label: &str) -> CredentialProvider {
    CredentialProvider {
        name: name.to_owned(),
        credential_provider_type: CredentialProviderType::ApiKey.into(),
        status: CredentialProviderStatus::Active.into(),
        api_key_provider_config_output: Some(identity_proto::v1::ApiKeyProviderConfigOutput {
            header_name: String::new(),
            vendor: label.to_owned(),
        }),
        ..Default::default()
    }
}

#[tonic::async_trait]
impl CredentialProviderService for Fake {
    async fn create_credential_provider(
        &self,
        request: Request<CreateCredentialProviderRequest>,
    ) -> Result<Response<CreateCredentialProviderResponse>, Status> {
        authorize(&request)?;
        let request = request.into_inner();
        self.seen.lock().unwrap().created_providers.push(request.clone());
        let created = match request.config {
            Some(Config::ApiKeyProviderConfigInput(config)) => api_key_provider(&request.name, &config.vendor),
            _ => {
                provider(&request.name, CredentialProviderVendor::try_from(request.credential_provider_vendor).unwrap())
            }
        };
        Ok(Response::new(CreateCredentialProviderResponse { credential_provider: Some(created) }))
    }

    async fn get_credential_provider(
        &self,
        request: Request<GetCredentialProviderRequest>,
    ) -> Result<Response<GetCredentialProviderResponse>, Status> {
        authorize(&request)?;
        let name = request.into_inner().name;
        if name != "SalesforceProvider" {
            let details =
                ErrorDetails::with_error_info("ResourceNotFoundException", "agentcore.identity", HashMap::new());
            let message = format!("credential provider '{name}' not found");
            return Err(Status::with_error_details(Code::NotFound, message, details));
        }
        let found = provider(&name, CredentialProviderVendor::SalesforceOauth2);
        Ok(Response::new(GetCredentialProviderResponse { credential_provider: Some(found) }))
    }

    async fn update_credential_provider(
        &self,
        _request: Request<UpdateCredentialProviderRequest>,
    ) -> Result<Response<UpdateCredentialProviderResponse>, Status> {
        Err(Status::unimplemented("not in the fake"))
    }

    async fn delete_credential_provider(
        &self,
        request: Request<DeleteCredentialProviderRequest>,
    ) -> Result<Response<DeleteCredentialProviderResponse>, Status> {
        authorize(&request)?;
        let mut details = ErrorDetails::with_error_info("ValidationException", "agentcore.identity", HashMap::new());
        details.add_bad_request_violation("name", "must match [a-zA-Z0-9_-]+");
        match request.into_inner().name.as_str() {
            "bad name" => Err(Status::with_error_details(Code::InvalidArgument, "invalid request", details)),
            _ => Ok(Response::new(DeleteCredentialProviderResponse {})),
        }
    }

    /// Two pages, to see the CLI follow `next_token`.
    async fn list_credential_providers(
        &self,
        request: Request<ListCredentialProvidersRequest>,
    ) -> Result<Response<ListCredentialProvidersResponse>, Status> {
        authorize(&request)?;
        let token = request.into_inner().next_token;
        self.seen.lock().unwrap().list_tokens.push(token.clone());
        let reply = if token.is_empty() {
            ListCredentialProvidersResponse {
                credential_providers: vec![provider("SalesforceProvider", CredentialProviderVendor::SalesforceOauth2)],
                next_token: "page-2".to_owned(),
            }
        } else {
            ListCredentialProvidersResponse {
                credential_providers: vec![
                    api_key_provider("GitHubProvider", "github"),
                    provider("CustomAPI", CredentialProviderVendor::CustomOauth2),
                ],
                next_token: String::new(),
            }
        };
        Ok(Response::new(reply))
    }
}

#[tonic::async_trait]
impl AccessKeyService for Fake {
    async fn create_access_key(
        &self,
        request: Request<CreateAccessKeyRequest>,
    ) -> Result<Response<CreateAccessKeyResponse>, Status> {
        authorize(&request)?;
        let request = request.into_inner();
        let key = AccessKey {
            access_key_id: "AKIAFAKEFAKEFAKEFAKE".to_owned(),
            description: request.description,
            allowed_workload_names: request.allowed_workload_names,
            created_time: Some(prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 }),
        };
        Ok(Response::new(CreateAccessKeyResponse { access_key: Some(key), secret_access_key: KEY_SECRET.to_owned() }))
    }

    async fn list_access_keys(
        &self,
        request: Request<ListAccessKeysRequest>,
    ) -> Result<Response<ListAccessKeysResponse>, Status> {
        authorize(&request)?;
        Ok(Response::new(ListAccessKeysResponse::default()))
    }

    async fn delete_access_key(
        &self,
        request: Request<DeleteAccessKeyRequest>,
    ) -> Result<Response<DeleteAccessKeyResponse>, Status> {
        authorize(&request)?;
        Ok(Response::new(DeleteAccessKeyResponse {}))
    }
}
