use identity_crypto::audit_user_hash;
use identity_proto::v1::{self as pb, audit_service_server::AuditService};
use tonic::{Request, Response, Status};

use super::{Ctx, OrStatus as _};
use crate::{
    auth::admin,
    convert::{AuditListRequest, audit_to_wire},
};

/// `AuditService`: reads the principal's account's audit log (never another account's).
#[derive(Debug)]
pub struct Audit(pub Ctx);

#[tonic::async_trait]
impl AuditService for Audit {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        let principal = admin(&request).or_status()?;
        let AuditListRequest { mut filter, user_id, after, limit } =
            AuditListRequest::try_from(request.into_inner()).or_status()?;
        if !user_id.is_empty() {
            filter.user_hash = audit_user_hash(principal.account.as_str(), &user_id);
        }
        let page = self.0.store.list_audit_events(&principal.account, &filter, after, limit).await.or_status()?;
        let next_token = page.next_token();
        Ok(Response::new(pb::ListAuditEventsResponse {
            audit_events: page.items.into_iter().map(audit_to_wire).collect(),
            next_token,
        }))
    }
}
