//! [`Audited`]: `IdentityDataService` with every call recorded. Each method reserves room for
//! its events (or refuses the call), runs the real handler with a task-local notepad that the
//! handler fills with what it verifies on the way (the workload and user of a WAT, the refreshes
//! it made), and records the outcome from the handler's result. A call cancelled by its client
//! is recorded too (`Cancelled`), from the guard's `Drop`.
//!
//! Events hold names, ids, scopes and the user's hash, never a token, key or user JWT: request
//! fields that carry one are not read here.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, PoisonError},
};

use identity_crypto::audit_user_hash;
use identity_domain::{AccountId, Arns, AuditEntry, AuditOutcome, Clock};
use identity_proto::v1::{self as pb, identity_data_service_server::IdentityDataService};
use identity_server::status;
use identity_store::QueuedAuditEvent;
use tonic::{Code, Request, Response, Status};
use tonic_types::StatusExt as _;

use super::{
    AuditLog, AuditRefusal, Reservation, current_trace_id,
    notes::{NOTES, Notes, clip},
};
use crate::{auth::CallerPrincipal, vend::IdentityData};

/// Most requested scopes copied into an event.
const MAX_SCOPES: usize = 100;

/// Event name of a refresh of a user's grant at the provider.
pub const REFRESH_EVENT: &str = "RefreshUserToken";

/// What a call's request says, read before the handler runs.
#[derive(Debug, Default)]
struct Facts {
    workload: String,
    provider: String,
    scopes: Vec<String>,
    flow: &'static str,
    user: Option<String>,
}

/// `IdentityDataService` with every call recorded in the audit log.
#[derive(Debug, Clone)]
pub struct Audited {
    inner: IdentityData,
    log: AuditLog,
}

impl Audited {
    /// `inner`, recording into `log`.
    pub fn new(inner: IdentityData, log: AuditLog) -> Self {
        Self { inner, log }
    }

    fn arns(&self) -> &Arns {
        &self.inner.0.arns
    }

    /// Runs `handler` on `request` as the audited call `event_name`, with room for `slots`
    /// events (the call's own, and the refreshes it may make).
    async fn audited<Req, Resp, Fut>(
        &self,
        event_name: &'static str,
        slots: usize,
        request: Request<Req>,
        facts: impl FnOnce(&Req, &AccountId) -> Facts,
        handler: impl FnOnce(Request<Req>) -> Fut,
    ) -> Result<Response<Resp>, Status>
    where
        Fut: Future<Output = Result<Response<Resp>, Status>>,
    {
        let Some(caller) = request.extensions().get::<CallerPrincipal>().cloned() else {
            // No authenticated caller (the handler refuses it): no account to record against.
            return handler(request).await;
        };
        let reservation = match self.log.reserve(slots) {
            Ok(reservation) => reservation,
            Err(refusal) => {
                tracing::warn!(account = %caller.account, rpc = event_name, ?refusal, "call refused: its audit event cannot be kept");
                return Err(refused(refusal));
            }
        };
        let facts = facts(request.get_ref(), &caller.account);
        let notes = Arc::new(Mutex::new(Notes::default()));
        let mut call = Call {
            log: self.log.clone(),
            reservation,
            clock: self.inner.0.clock.clone(),
            trace_id: current_trace_id(),
            caller,
            event_name,
            facts,
            notes: notes.clone(),
            recorded: false,
        };
        let result = NOTES.scope(notes, handler(request)).await;
        match &result {
            Ok(_) => call.record(AuditOutcome::Success, String::new()),
            Err(status) => {
                let (outcome, reason) = outcome_of(status);
                call.record(outcome, reason);
            }
        }
        result
    }
}

/// The status of a call refused for want of auditing.
fn refused(refusal: AuditRefusal) -> Status {
    match refusal {
        AuditRefusal::Full { depth, capacity } => status::with_reason(
            Code::Unavailable,
            "ServiceUnavailableException",
            format!(
                "the audit log is full ({depth} of {capacity} events wait for the database), so nothing is vended \
                 unaudited; retry later (operators: see AUDIT_QUEUE_FULL)"
            ),
            HashMap::from([("check".to_owned(), "audit_queue_full".to_owned())]),
        ),
        AuditRefusal::Closed => status::with_reason(
            Code::Unavailable,
            "ServiceUnavailableException",
            "this data plane is shutting down and records no more audit events; retry",
            HashMap::from([("check".to_owned(), "audit_log_closed".to_owned())]),
        ),
    }
}

/// Outcome and reason of a failed call: its `ErrorInfo.reason` (else its code's name).
fn outcome_of(status: &Status) -> (AuditOutcome, String) {
    let outcome = match status.code() {
        Code::Unauthenticated | Code::PermissionDenied | Code::ResourceExhausted => AuditOutcome::Denied,
        _ => AuditOutcome::Failure,
    };
    let reason = status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_else(|| format!("{:?}", status.code()));
    (outcome, clip(&reason))
}

/// A call being served: records its event once, when it ends or, if its client went away, when
/// it is dropped.
struct Call {
    log: AuditLog,
    reservation: Reservation,
    clock: Arc<dyn Clock>,
    trace_id: String,
    caller: CallerPrincipal,
    event_name: &'static str,
    facts: Facts,
    notes: Arc<Mutex<Notes>>,
    recorded: bool,
}

impl Call {
    fn record(&mut self, outcome: AuditOutcome, error_reason: String) {
        self.recorded = true;
        let notes = std::mem::take(&mut *self.notes.lock().unwrap_or_else(PoisonError::into_inner));
        let account = self.caller.account.clone();
        let workload = notes.workload.unwrap_or_else(|| self.facts.workload.clone());
        let user_hash = notes
            .user
            .or_else(|| self.facts.user.clone())
            .map(|user| audit_user_hash(account.as_str(), &user))
            .unwrap_or_default();
        let principal = format!("access-key:{}", self.caller.access_key_id);
        let now = self.clock.now_millis();
        let entry =
            |event_name: &str, provider: String, flow: &str, outcome: AuditOutcome, reason: String| AuditEntry {
                event_name: event_name.to_owned(),
                access_key_id: self.caller.access_key_id.clone(),
                workload_name: workload.clone(),
                provider_name: provider,
                user_hash: user_hash.clone(),
                resource_arn: String::new(),
                oauth2_flow: flow.to_owned(),
                scopes: self.facts.scopes.clone(),
                outcome,
                error_reason: reason,
            };
        // Refreshes happened during the call, so they come before it in the log.
        let mut events: Vec<AuditEntry> = notes
            .refreshes
            .into_iter()
            .map(|(provider, outcome, reason)| entry(REFRESH_EVENT, provider, "USER_FEDERATION", outcome, reason))
            .collect();
        events.push(entry(self.event_name, self.facts.provider.clone(), self.facts.flow, outcome, error_reason));
        let events = events
            .into_iter()
            .filter_map(|entry| match QueuedAuditEvent::new(now, principal.clone(), self.trace_id.clone(), entry) {
                Ok(event) => Some(event),
                Err(e) => {
                    tracing::error!(error = %e, "audit event id unavailable: event not recorded");
                    None
                }
            })
            .collect();
        self.log.push(&mut self.reservation, &account, events);
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if !self.recorded {
            self.record(AuditOutcome::Failure, "Cancelled".to_owned());
        }
    }
}

/// The provider a request names: its name, or the name in an ARN of the caller's account (the
/// ARN itself, clipped, when it is not one).
macro_rules! provider {
    ($oneof:expr, $module:ident, $prefix:expr) => {
        match &$oneof {
            Some(pb::$module::CredentialProvider::ResourceCredentialProviderName(name)) => clip(name),
            Some(pb::$module::CredentialProvider::CredentialProviderArn(arn)) => {
                clip(arn.strip_prefix(&$prefix).unwrap_or(arn))
            }
            None => String::new(),
        }
    };
}

fn scopes(requested: &[String]) -> Vec<String> {
    requested.iter().take(MAX_SCOPES).map(|s| clip(s)).collect()
}

fn flow_name(flow: i32) -> &'static str {
    match pb::Oauth2Flow::try_from(flow) {
        Ok(pb::Oauth2Flow::M2m) => "M2M",
        Ok(pb::Oauth2Flow::UserFederation) => "USER_FEDERATION",
        Ok(pb::Oauth2Flow::OnBehalfOfTokenExchange) => "ON_BEHALF_OF_TOKEN_EXCHANGE",
        Ok(pb::Oauth2Flow::Unspecified) | Err(_) => "",
    }
}

#[tonic::async_trait]
impl IdentityDataService for Audited {
    async fn get_workload_access_token(
        &self,
        request: Request<pb::GetWorkloadAccessTokenRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenResponse>, Status> {
        let facts = |r: &pb::GetWorkloadAccessTokenRequest, _: &AccountId| Facts {
            workload: clip(&r.workload_name),
            ..Facts::default()
        };
        self.audited("GetWorkloadAccessToken", 1, request, facts, |r| self.inner.get_workload_access_token(r)).await
    }

    async fn get_workload_access_token_for_jwt(
        &self,
        request: Request<pb::GetWorkloadAccessTokenForJwtRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenForJwtResponse>, Status> {
        // The user comes from the validated JWT (noted at minting); the JWT is never read here.
        let facts = |r: &pb::GetWorkloadAccessTokenForJwtRequest, _: &AccountId| Facts {
            workload: clip(&r.workload_name),
            ..Facts::default()
        };
        self.audited("GetWorkloadAccessTokenForJwt", 1, request, facts, |r| {
            self.inner.get_workload_access_token_for_jwt(r)
        })
        .await
    }

    async fn get_workload_access_token_for_user_id(
        &self,
        request: Request<pb::GetWorkloadAccessTokenForUserIdRequest>,
    ) -> Result<Response<pb::GetWorkloadAccessTokenForUserIdResponse>, Status> {
        let facts = |r: &pb::GetWorkloadAccessTokenForUserIdRequest, _: &AccountId| Facts {
            workload: clip(&r.workload_name),
            user: Some(r.user_id.clone()),
            ..Facts::default()
        };
        self.audited("GetWorkloadAccessTokenForUserId", 1, request, facts, |r| {
            self.inner.get_workload_access_token_for_user_id(r)
        })
        .await
    }

    async fn get_resource_oauth2_access_token(
        &self,
        request: Request<pb::GetResourceOauth2AccessTokenRequest>,
    ) -> Result<Response<pb::GetResourceOauth2AccessTokenResponse>, Status> {
        let facts = |r: &pb::GetResourceOauth2AccessTokenRequest, account: &AccountId| Facts {
            provider: provider!(
                r.credential_provider,
                get_resource_oauth2_access_token_request,
                self.arns().oauth2_provider(account, "")
            ),
            scopes: scopes(&r.scopes),
            flow: flow_name(r.oauth2_flow),
            ..Facts::default()
        };
        // Room for a refresh of the user's grant, too.
        self.audited("GetResourceOauth2AccessToken", 2, request, facts, |r| {
            self.inner.get_resource_oauth2_access_token(r)
        })
        .await
    }

    async fn get_api_key_credential(
        &self,
        request: Request<pb::GetApiKeyCredentialRequest>,
    ) -> Result<Response<pb::GetApiKeyCredentialResponse>, Status> {
        let facts = |r: &pb::GetApiKeyCredentialRequest, account: &AccountId| Facts {
            provider: provider!(
                r.credential_provider,
                get_api_key_credential_request,
                self.arns().api_key_provider(account, "")
            ),
            ..Facts::default()
        };
        self.audited("GetApiKeyCredential", 1, request, facts, |r| self.inner.get_api_key_credential(r)).await
    }

    async fn complete_resource_token_auth(
        &self,
        request: Request<pb::CompleteResourceTokenAuthRequest>,
    ) -> Result<Response<pb::CompleteResourceTokenAuthResponse>, Status> {
        use pb::user_identifier::Identifier;
        // A user given as a JWT is not read here (it is a credential).
        let facts = |r: &pb::CompleteResourceTokenAuthRequest, _: &AccountId| Facts {
            flow: "USER_FEDERATION",
            user: match r.user_identifier.as_ref().and_then(|u| u.identifier.as_ref()) {
                Some(Identifier::UserId(id)) if !id.is_empty() => Some(id.clone()),
                _ => None,
            },
            ..Facts::default()
        };
        self.audited("CompleteResourceTokenAuth", 1, request, facts, |r| self.inner.complete_resource_token_auth(r))
            .await
    }

    async fn get_authorization_url(
        &self,
        request: Request<pb::GetAuthorizationUrlRequest>,
    ) -> Result<Response<pb::GetAuthorizationUrlResponse>, Status> {
        let facts = |r: &pb::GetAuthorizationUrlRequest, account: &AccountId| Facts {
            provider: provider!(
                r.credential_provider,
                get_authorization_url_request,
                self.arns().oauth2_provider(account, "")
            ),
            scopes: scopes(&r.scopes),
            flow: "USER_FEDERATION",
            ..Facts::default()
        };
        self.audited("GetAuthorizationUrl", 1, request, facts, |r| self.inner.get_authorization_url(r)).await
    }

    async fn complete_authorization(
        &self,
        request: Request<pb::CompleteAuthorizationRequest>,
    ) -> Result<Response<pb::CompleteAuthorizationResponse>, Status> {
        let facts = |r: &pb::CompleteAuthorizationRequest, account: &AccountId| Facts {
            provider: provider!(
                r.credential_provider,
                complete_authorization_request,
                self.arns().oauth2_provider(account, "")
            ),
            flow: "USER_FEDERATION",
            ..Facts::default()
        };
        self.audited("CompleteAuthorization", 1, request, facts, |r| self.inner.complete_authorization(r)).await
    }

    async fn refresh_token(
        &self,
        request: Request<pb::RefreshTokenRequest>,
    ) -> Result<Response<pb::RefreshTokenResponse>, Status> {
        let facts = |r: &pb::RefreshTokenRequest, account: &AccountId| Facts {
            provider: provider!(r.credential_provider, refresh_token_request, self.arns().oauth2_provider(account, "")),
            scopes: scopes(&r.scopes),
            flow: "USER_FEDERATION",
            ..Facts::default()
        };
        // Room for the refresh itself, too.
        self.audited("RefreshToken", 2, request, facts, |r| self.inner.refresh_token(r)).await
    }

    async fn validate_token(
        &self,
        request: Request<pb::ValidateTokenRequest>,
    ) -> Result<Response<pb::ValidateTokenResponse>, Status> {
        // The token is never read here.
        let facts = |r: &pb::ValidateTokenRequest, _: &AccountId| Facts {
            workload: r.workload_name.as_deref().map(clip).unwrap_or_default(),
            ..Facts::default()
        };
        self.audited("ValidateToken", 1, request, facts, |r| self.inner.validate_token(r)).await
    }
}
