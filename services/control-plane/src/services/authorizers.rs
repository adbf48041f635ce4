use identity_proto::v1::{self as pb, jwt_authorizer_service_server::JwtAuthorizerService};
use tonic::{Request, Response, Status};

use super::{Ctx, OrStatus as _, name, page};
use crate::{
    auth::admin,
    convert::{AuthorizerRequest, authorizer_to_wire},
};

fn missing_secret() -> Status {
    identity_server::status::validation(&identity_domain::Violations::one(
        "custom_secret",
        "required when custom.secret_header_name is set",
    ))
}

/// `JwtAuthorizerService` (configuration of JWT and custom authorizers; the data plane
/// validates tokens).
#[derive(Debug)]
pub struct Authorizers(pub Ctx);

#[tonic::async_trait]
impl JwtAuthorizerService for Authorizers {
    async fn create_jwt_authorizer(
        &self,
        request: Request<pb::CreateJwtAuthorizerRequest>,
    ) -> Result<Response<pb::CreateJwtAuthorizerResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let AuthorizerRequest { spec, secret } = AuthorizerRequest::try_from(request.into_inner()).or_status()?;
        if spec.needs_secret() && secret.is_none() {
            return Err(missing_secret());
        }
        let authorizer = self
            .0
            .store_as(&principal)
            .create_authorizer(&principal.account, spec, secret.as_ref())
            .await
            .or_status()?;
        tracing::info!(account = %principal.account, authorizer = %authorizer.spec.name, "JWT authorizer created");
        Ok(Response::new(pb::CreateJwtAuthorizerResponse {
            jwt_authorizer: Some(authorizer_to_wire(&self.0.arns, authorizer)),
        }))
    }

    async fn get_jwt_authorizer(
        &self,
        request: Request<pb::GetJwtAuthorizerRequest>,
    ) -> Result<Response<pb::GetJwtAuthorizerResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::GetJwtAuthorizerRequest { name: wanted } = request.into_inner();
        name(&wanted, identity_domain::Violations::resource_name)?;
        let authorizer = self.0.store.get_jwt_authorizer(&principal.account, &wanted).await.or_status()?;
        Ok(Response::new(pb::GetJwtAuthorizerResponse {
            jwt_authorizer: Some(authorizer_to_wire(&self.0.arns, authorizer)),
        }))
    }

    async fn update_jwt_authorizer(
        &self,
        request: Request<pb::UpdateJwtAuthorizerRequest>,
    ) -> Result<Response<pb::UpdateJwtAuthorizerResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let AuthorizerRequest { spec, secret } = AuthorizerRequest::try_from(request.into_inner()).or_status()?;
        // No new secret keeps the stored one; the store refuses, in its transaction, when there is none.
        let authorizer = self
            .0
            .store_as(&principal)
            .update_authorizer(&principal.account, spec, secret.as_ref())
            .await
            .or_status()?;
        tracing::info!(account = %principal.account, authorizer = %authorizer.spec.name, "JWT authorizer updated");
        Ok(Response::new(pb::UpdateJwtAuthorizerResponse {
            jwt_authorizer: Some(authorizer_to_wire(&self.0.arns, authorizer)),
        }))
    }

    async fn delete_jwt_authorizer(
        &self,
        request: Request<pb::DeleteJwtAuthorizerRequest>,
    ) -> Result<Response<pb::DeleteJwtAuthorizerResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::DeleteJwtAuthorizerRequest { name: wanted } = request.into_inner();
        name(&wanted, identity_domain::Violations::resource_name)?;
        self.0.store_as(&principal).delete_jwt_authorizer(&principal.account, &wanted).await.or_status()?;
        tracing::info!(account = %principal.account, authorizer = %wanted, "JWT authorizer deleted");
        Ok(Response::new(pb::DeleteJwtAuthorizerResponse {}))
    }

    async fn list_jwt_authorizers(
        &self,
        request: Request<pb::ListJwtAuthorizersRequest>,
    ) -> Result<Response<pb::ListJwtAuthorizersResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::ListJwtAuthorizersRequest { max_results, next_token } = request.into_inner();
        let page = page(max_results, &next_token)?;
        let result = self.0.store.list_jwt_authorizers(&principal.account, &page).await.or_status()?;
        let next_token = result.next_token();
        Ok(Response::new(pb::ListJwtAuthorizersResponse {
            jwt_authorizers: result.items.into_iter().map(|a| authorizer_to_wire(&self.0.arns, a)).collect(),
            next_token,
        }))
    }
}
