use identity_proto::v1::{self as pb, workload_identity_service_server::WorkloadIdentityService};
use tonic::{Request, Response, Status};

use super::{Ctx, OrStatus as _, name, page};
use crate::{
    auth::admin,
    convert::{WorkloadRequest, workload_to_wire},
};

/// `WorkloadIdentityService`.
#[derive(Debug)]
pub struct Workloads(pub Ctx);

#[tonic::async_trait]
impl WorkloadIdentityService for Workloads {
    async fn create_workload_identity(
        &self,
        request: Request<pb::CreateWorkloadIdentityRequest>,
    ) -> Result<Response<pb::CreateWorkloadIdentityResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let WorkloadRequest { spec, .. } = WorkloadRequest::try_from(request.into_inner()).or_status()?;
        identity_telemetry::request::record_workload(&spec.name);
        let identity =
            self.0.store_as(&principal).create_workload_identity(&principal.account, spec).await.or_status()?;
        tracing::info!(account = %principal.account, workload = %identity.spec.name, "workload identity created");
        Ok(Response::new(pb::CreateWorkloadIdentityResponse {
            workload_identity: Some(workload_to_wire(&self.0.arns, identity)),
        }))
    }

    async fn get_workload_identity(
        &self,
        request: Request<pb::GetWorkloadIdentityRequest>,
    ) -> Result<Response<pb::GetWorkloadIdentityResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::GetWorkloadIdentityRequest { name: wanted } = request.into_inner();
        name(&wanted, identity_domain::Violations::workload_name)?;
        identity_telemetry::request::record_workload(&wanted);
        let identity = self.0.store.get_workload_identity(&principal.account, &wanted).await.or_status()?;
        Ok(Response::new(pb::GetWorkloadIdentityResponse {
            workload_identity: Some(workload_to_wire(&self.0.arns, identity)),
        }))
    }

    async fn update_workload_identity(
        &self,
        request: Request<pb::UpdateWorkloadIdentityRequest>,
    ) -> Result<Response<pb::UpdateWorkloadIdentityResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let WorkloadRequest { mut spec, kind } = WorkloadRequest::try_from(request.into_inner()).or_status()?;
        identity_telemetry::request::record_workload(&spec.name);
        if kind.is_none() {
            // An unspecified type keeps the current one.
            spec.kind = self.0.store.get_workload_identity(&principal.account, &spec.name).await.or_status()?.spec.kind;
        }
        let identity =
            self.0.store_as(&principal).update_workload_identity(&principal.account, spec).await.or_status()?;
        tracing::info!(account = %principal.account, workload = %identity.spec.name, "workload identity updated");
        Ok(Response::new(pb::UpdateWorkloadIdentityResponse {
            workload_identity: Some(workload_to_wire(&self.0.arns, identity)),
        }))
    }

    async fn delete_workload_identity(
        &self,
        request: Request<pb::DeleteWorkloadIdentityRequest>,
    ) -> Result<Response<pb::DeleteWorkloadIdentityResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::DeleteWorkloadIdentityRequest { name: wanted } = request.into_inner();
        name(&wanted, identity_domain::Violations::workload_name)?;
        identity_telemetry::request::record_workload(&wanted);
        self.0.store_as(&principal).delete_workload_identity(&principal.account, &wanted).await.or_status()?;
        tracing::info!(account = %principal.account, workload = %wanted, "workload identity deleted");
        Ok(Response::new(pb::DeleteWorkloadIdentityResponse {}))
    }

    async fn list_workload_identities(
        &self,
        request: Request<pb::ListWorkloadIdentitiesRequest>,
    ) -> Result<Response<pb::ListWorkloadIdentitiesResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let pb::ListWorkloadIdentitiesRequest { max_results, next_token } = request.into_inner();
        let page = page(max_results, &next_token)?;
        let result = self.0.store.list_workload_identities(&principal.account, &page).await.or_status()?;
        let next_token = result.next_token();
        Ok(Response::new(pb::ListWorkloadIdentitiesResponse {
            workload_identities: result.items.into_iter().map(|w| workload_to_wire(&self.0.arns, w)).collect(),
            next_token,
        }))
    }
}
