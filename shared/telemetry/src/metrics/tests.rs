use super::*;

#[test]
fn counters_appear_in_the_text_format_with_their_labels() {
    throttled("agentcore.identity.v1.IdentityDataService/GetApiKeyCredential");
    cache_lookup("api_key", true);
    set_audit_queue_depth(7);
    let text = encode();
    assert!(
        text.contains(
            "identity_rpc_throttled_total{rpc=\"agentcore.identity.v1.IdentityDataService/GetApiKeyCredential\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("identity_cache_requests_total{cache=\"api_key\",result=\"hit\"} 1"), "{text}");
    assert!(text.contains("identity_audit_queue_depth 7"), "{text}");
    assert!(text.ends_with("# EOF\n"), "{text}");
}
