use super::*;

#[test]
fn rpc_labels_are_the_api_s_rpcs_and_nothing_else() {
    assert_eq!(
        rpc_label("/agentcore.identity.v1.IdentityDataService/GetApiKeyCredential"),
        "agentcore.identity.v1.IdentityDataService/GetApiKeyCredential"
    );
    assert_eq!(
        rpc_label("/agentcore.identity.v1.WorkloadIdentityService/CreateWorkloadIdentity"),
        "agentcore.identity.v1.WorkloadIdentityService/CreateWorkloadIdentity"
    );
    assert_eq!(rpc_label("/grpc.health.v1.Health/Check"), "grpc.health.v1.Health/Check");
    // A caller's invented paths all share one label.
    assert_eq!(rpc_label("/agentcore.identity.v1.IdentityDataService/Invented"), OTHER);
    assert_eq!(rpc_label("/whatever"), OTHER);
}

#[test]
fn the_status_of_an_error_response_is_read_with_its_reason() {
    let response = crate::status::access_denied("no").into_http::<()>();
    let (code, reason) = status_of(response.headers());
    assert_eq!(code, Code::PermissionDenied);
    assert_eq!(reason.as_deref(), Some("AccessDeniedException"));
    assert_eq!(status_of(&http::HeaderMap::new()), (Code::Ok, None));
}
