use identity_domain::{AuthorizationServerMetadata, validate::Violations};
use serde::Deserialize;

use crate::{OutboundClient, OutboundError};

#[derive(Deserialize)]
struct Document {
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    #[serde(default)]
    response_types_supported: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Vec<String>,
}

/// The issuer a discovery URL must announce: the URL without its well-known part (OIDC
/// Discovery §4, and RFC 8414 §3 where the well-known segment is inserted before the path).
fn expected_issuer(discovery_url: &url::Url) -> Option<String> {
    let path = discovery_url.path();
    let origin = discovery_url.origin().ascii_serialization();
    if let Some(prefix) = path.strip_suffix("/.well-known/openid-configuration") {
        return Some(format!("{origin}{prefix}"));
    }
    for well_known in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
        if let Some(rest) = path.strip_prefix(well_known) {
            return Some(format!("{origin}{rest}"));
        }
    }
    None
}

/// Fetches and checks an OAuth2/OIDC discovery document: it must be JSON with `issuer`,
/// `authorization_endpoint` and `token_endpoint`; the issuer must be the one the URL implies
/// (trailing slashes aside); and the endpoints must be https (http only on loopback).
pub async fn discover_authorization_server(
    client: &OutboundClient,
    discovery_url: &str,
) -> Result<AuthorizationServerMetadata, OutboundError> {
    let url = url::Url::parse(discovery_url).map_err(|e| OutboundError::Url(e.to_string()))?;
    let doc: Document = client.get_json(&url).await?;
    let missing = |field: &str| OutboundError::BadResponse(format!("discovery document has no {field}"));
    let issuer = doc.issuer.ok_or_else(|| missing("issuer"))?;
    let authorization_endpoint = doc.authorization_endpoint.ok_or_else(|| missing("authorization_endpoint"))?;
    let token_endpoint = doc.token_endpoint.ok_or_else(|| missing("token_endpoint"))?;

    if let Some(expected) = expected_issuer(&url)
        && issuer.trim_end_matches('/') != expected.trim_end_matches('/')
    {
        return Err(OutboundError::BadResponse(format!(
            "discovery document's issuer {issuer} does not match its URL (expected {expected})"
        )));
    }
    let mut violations = Violations::default();
    violations.endpoint_url("issuer", &issuer);
    violations.endpoint_url("authorization_endpoint", &authorization_endpoint);
    violations.endpoint_url("token_endpoint", &token_endpoint);
    if let Err(problems) = violations.finish() {
        let text = problems.iter().map(|p| format!("{} {}", p.field, p.description)).collect::<Vec<_>>().join("; ");
        return Err(OutboundError::BadResponse(format!("discovery document: {text}")));
    }
    Ok(AuthorizationServerMetadata {
        issuer,
        authorization_endpoint,
        token_endpoint,
        response_types: doc.response_types_supported,
        token_endpoint_auth_methods: doc.token_endpoint_auth_methods_supported,
    })
}
