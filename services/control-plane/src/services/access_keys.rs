use identity_proto::v1::{self as pb, access_key_service_server::AccessKeyService};
use tonic::{Request, Response, Status};

use super::{Ctx, OrStatus as _, page};
use crate::{
    auth::admin,
    convert::{AccessKeyRequest, access_key_to_wire},
};

/// `AccessKeyService`: keys with which callers authenticate to the data plane.
#[derive(Debug)]
pub struct AccessKeys(pub Ctx);

#[tonic::async_trait]
impl AccessKeyService for AccessKeys {
    async fn create_access_key(
        &self,
        request: Request<pb::CreateAccessKeyRequest>,
    ) -> Result<Response<pb::CreateAccessKeyResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let (key, secret) = AccessKeyRequest::try_from(request.into_inner())
            .or_status()?
            .mint()
            .map_err(|e| identity_server::status::internal(&e))?;
        let stored = self.0.store_as(&principal).create_access_key(&principal.account, key).await.or_status()?;
        tracing::info!(account = %principal.account, access_key_id = %stored.access_key_id, "access key created");
        Ok(Response::new(pb::CreateAccessKeyResponse {
            access_key: Some(access_key_to_wire(stored)),
            secret_access_key: secret.expose().to_owned(),
        }))
    }

    async fn list_access_keys(
        &self,
        request: Request<pb::ListAccessKeysRequest>,
    ) -> Result<Response<pb::ListAccessKeysResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::ListAccessKeysRequest { max_results, next_token } = request.into_inner();
        let page = page(max_results, &next_token)?;
        let result = self.0.store.list_access_keys(&principal.account, &page).await.or_status()?;
        let next_token = result.next_token();
        Ok(Response::new(pb::ListAccessKeysResponse {
            access_keys: result.items.into_iter().map(access_key_to_wire).collect(),
            next_token,
        }))
    }

    async fn delete_access_key(
        &self,
        request: Request<pb::DeleteAccessKeyRequest>,
    ) -> Result<Response<pb::DeleteAccessKeyResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::DeleteAccessKeyRequest { access_key_id } = request.into_inner();
        let mut v = identity_domain::Violations::default();
        v.required("access_key_id", &access_key_id, 128);
        v.finish().or_status()?;
        self.0.store_as(&principal).delete_access_key(&principal.account, &access_key_id).await.or_status()?;
        tracing::info!(account = %principal.account, access_key_id = %access_key_id, "access key deleted");
        Ok(Response::new(pb::DeleteAccessKeyResponse {}))
    }
}
