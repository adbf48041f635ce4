use identity_domain::{ProviderConfig, ProviderStatus, Violations};
use identity_proto::v1::{self as pb, credential_provider_service_server::CredentialProviderService};
use tonic::{Request, Response, Status};

use super::{Ctx, OrStatus as _, name, page};
use crate::{
    auth::admin,
    convert::{ProviderRequest, provider_to_wire},
    error::ServiceError,
};

/// `CredentialProviderService`.
#[derive(Debug)]
pub struct Providers(pub Ctx);

impl Providers {
    fn wire(&self, provider: identity_domain::CredentialProvider) -> pb::CredentialProvider {
        provider_to_wire(&self.0.arns, &self.0.public_base_url, provider)
    }

    /// Starts discovery for a provider that is CREATING.
    async fn discover_if_creating(&self, account: &identity_domain::AccountId, name: &str) -> Result<(), Status> {
        let (provider, version) = self.0.store.get_credential_provider_versioned(account, name).await.or_status()?;
        if let (ProviderStatus::Creating, ProviderConfig::Oauth2(config)) = (&provider.status, &provider.config)
            && let Some(url) = &config.discovery.discovery_url
        {
            self.0.discovery.start(account.clone(), provider.id.clone(), version, url.clone());
        }
        Ok(())
    }
}

#[tonic::async_trait]
impl CredentialProviderService for Providers {
    async fn create_credential_provider(
        &self,
        request: Request<pb::CreateCredentialProviderRequest>,
    ) -> Result<Response<pb::CreateCredentialProviderResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let ProviderRequest { spec, status } = ProviderRequest::try_from(request.into_inner()).or_status()?;
        identity_telemetry::request::record_provider(&spec.name);
        let provider = self
            .0
            .store_as(&principal)
            .create_credential_provider(&principal.account, spec, status)
            .await
            .or_status()?;
        tracing::info!(account = %principal.account, provider = %provider.name, status = provider.status.as_str(), "credential provider created");
        if provider.status == ProviderStatus::Creating {
            self.discover_if_creating(&principal.account, &provider.name).await?;
        }
        Ok(Response::new(pb::CreateCredentialProviderResponse { credential_provider: Some(self.wire(provider)) }))
    }

    async fn get_credential_provider(
        &self,
        request: Request<pb::GetCredentialProviderRequest>,
    ) -> Result<Response<pb::GetCredentialProviderResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::GetCredentialProviderRequest { name: wanted } = request.into_inner();
        name(&wanted, Violations::resource_name)?;
        identity_telemetry::request::record_provider(&wanted);
        let provider = self.0.store.get_credential_provider(&principal.account, &wanted).await.or_status()?;
        Ok(Response::new(pb::GetCredentialProviderResponse { credential_provider: Some(self.wire(provider)) }))
    }

    async fn update_credential_provider(
        &self,
        request: Request<pb::UpdateCredentialProviderRequest>,
    ) -> Result<Response<pb::UpdateCredentialProviderResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let ProviderRequest { spec, status } = ProviderRequest::try_from(request.into_inner()).or_status()?;
        identity_telemetry::request::record_provider(&spec.name);
        let current = self.0.store.get_credential_provider(&principal.account, &spec.name).await.or_status()?;
        if current.config.provider_type() != spec.config.provider_type() {
            return Err(ServiceError::Precondition(format!(
                "credential provider '{}' is of type {}; its type cannot change",
                spec.name,
                current.config.provider_type().as_str()
            ))
            .into());
        }
        let provider = self
            .0
            .store_as(&principal)
            .update_credential_provider(&principal.account, spec, status)
            .await
            .or_status()?;
        tracing::info!(account = %principal.account, provider = %provider.name, status = provider.status.as_str(), "credential provider updated");
        if provider.status == ProviderStatus::Creating {
            self.discover_if_creating(&principal.account, &provider.name).await?;
        }
        Ok(Response::new(pb::UpdateCredentialProviderResponse { credential_provider: Some(self.wire(provider)) }))
    }

    async fn delete_credential_provider(
        &self,
        request: Request<pb::DeleteCredentialProviderRequest>,
    ) -> Result<Response<pb::DeleteCredentialProviderResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::DeleteCredentialProviderRequest { name: wanted } = request.into_inner();
        name(&wanted, Violations::resource_name)?;
        identity_telemetry::request::record_provider(&wanted);
        self.0.store_as(&principal).delete_credential_provider(&principal.account, &wanted).await.or_status()?;
        tracing::info!(account = %principal.account, provider = %wanted, "credential provider deleted");
        Ok(Response::new(pb::DeleteCredentialProviderResponse {}))
    }

    async fn list_credential_providers(
        &self,
        request: Request<pb::ListCredentialProvidersRequest>,
    ) -> Result<Response<pb::ListCredentialProvidersResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::ListCredentialProvidersRequest { max_results, next_token } = request.into_inner();
        let page = page(max_results, &next_token)?;
        let result = self.0.store.list_credential_providers(&principal.account, &page).await.or_status()?;
        let next_token = result.next_token();
        Ok(Response::new(pb::ListCredentialProvidersResponse {
            credential_providers: result.items.into_iter().map(|p| self.wire(p)).collect(),
            next_token,
        }))
    }
}
