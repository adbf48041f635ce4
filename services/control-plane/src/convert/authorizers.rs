use std::collections::{BTreeMap, HashMap};

use identity_domain::{
    Arns, CustomAuthorizerConfig, FieldViolation, JwtAuthorizer, JwtAuthorizerSpec, SecretString, Violations,
};
use identity_proto::v1 as pb;

use super::timestamp;

/// A validated create or update request (both carry the same fields), with a custom
/// authorizer's shared secret when one was given.
#[derive(Debug)]
pub struct AuthorizerRequest {
    pub spec: JwtAuthorizerSpec,
    pub secret: Option<SecretString>,
}

/// Longest shared secret accepted.
const MAX_SECRET_CHARS: usize = 4096;

/// Headers the data plane sets itself, which a shared secret must not replace.
const RESERVED_HEADERS: [&str; 6] =
    ["host", "content-type", "content-length", "transfer-encoding", "connection", "accept"];

/// A custom authorizer's settings, validated (`secret` is the request's `custom_secret`).
fn custom(v: &mut Violations, custom: pb::CustomAuthorizerConfig, secret: &str) -> CustomAuthorizerConfig {
    let pb::CustomAuthorizerConfig { endpoint_url, timeout_ms, secret_header_name } = custom;
    v.endpoint_url("custom.endpoint_url", &endpoint_url);
    let timeout_ms = match timeout_ms {
        0 => CustomAuthorizerConfig::DEFAULT_TIMEOUT_MS,
        ms => match u32::try_from(ms) {
            Ok(ms)
                if (CustomAuthorizerConfig::MIN_TIMEOUT_MS..=CustomAuthorizerConfig::MAX_TIMEOUT_MS).contains(&ms) =>
            {
                ms
            }
            _ => {
                v.add("custom.timeout_ms", "must be 100 to 10,000 milliseconds (0 means 2,000)");
                0
            }
        },
    };
    if secret_header_name.is_empty() {
        if !secret.is_empty() {
            v.add("custom_secret", "name the header that carries it in custom.secret_header_name");
        }
    } else {
        v.header_name("custom.secret_header_name", &secret_header_name);
        if RESERVED_HEADERS.contains(&secret_header_name.to_ascii_lowercase().as_str()) {
            v.add("custom.secret_header_name", "is a header the data plane sets itself");
        }
    }
    if secret.chars().count() > MAX_SECRET_CHARS || secret.chars().any(char::is_control) {
        v.add("custom_secret", "must be at most 4,096 characters without control characters");
    }
    CustomAuthorizerConfig { endpoint_url, timeout_ms, secret_header_name }
}

#[allow(clippy::too_many_arguments)]
fn build(
    name: String,
    description: String,
    discovery_url: String,
    allowed_audiences: Vec<String>,
    allowed_clients: Vec<String>,
    allowed_scopes: Vec<String>,
    required_claims: HashMap<String, String>,
    custom_config: Option<pb::CustomAuthorizerConfig>,
    custom_secret: String,
) -> Result<AuthorizerRequest, Vec<FieldViolation>> {
    let mut v = Violations::default();
    v.resource_name("name", &name);
    v.description("description", &description);
    let custom = match custom_config {
        Some(config) => {
            // The endpoint decides: OIDC settings would be silently ignored, so they are refused.
            let jwt_settings = [
                ("discovery_url", discovery_url.is_empty()),
                ("allowed_audiences", allowed_audiences.is_empty()),
                ("allowed_clients", allowed_clients.is_empty()),
                ("allowed_scopes", allowed_scopes.is_empty()),
                ("required_claims", required_claims.is_empty()),
            ];
            for (field, empty) in jwt_settings {
                if !empty {
                    v.add(field, "must be empty for a custom authorizer (its endpoint decides)");
                }
            }
            Some(custom(&mut v, config, &custom_secret))
        }
        None => {
            if !custom_secret.is_empty() {
                v.add("custom_secret", "only a custom authorizer has a shared secret");
            }
            v.oidc_discovery_url("discovery_url", &discovery_url);
            if allowed_audiences.is_empty() && allowed_clients.is_empty() {
                v.add("allowed_audiences", "give allowed_audiences or allowed_clients (or both)");
            }
            None
        }
    };
    v.token_list("allowed_audiences", &allowed_audiences, 100, 512);
    v.token_list("allowed_clients", &allowed_clients, 100, 256);
    v.token_list("allowed_scopes", &allowed_scopes, 100, 256);
    if required_claims.len() > 50 {
        v.add("required_claims", "at most 50 claims are allowed");
    }
    let required_claims: BTreeMap<_, _> = required_claims.into_iter().collect();
    for (claim, value) in &required_claims {
        let field = format!("required_claims[{claim}]");
        if claim.is_empty() || claim.len() > 256 || claim.chars().any(char::is_whitespace) {
            v.add(field.clone(), "claim names are 1 to 256 characters without whitespace");
        }
        if ["iss", "aud", "exp", "nbf", "iat"].contains(&claim.as_str()) {
            v.add(field.clone(), "registered claims are checked by the authorizer itself");
        }
        if value.len() > 1024 {
            v.add(field, "claim values are at most 1,024 characters");
        }
    }
    v.finish()?;
    let secret = (!custom_secret.is_empty()).then(|| SecretString::new(custom_secret));
    let spec = JwtAuthorizerSpec {
        name,
        description,
        discovery_url,
        allowed_audiences,
        allowed_clients,
        allowed_scopes,
        required_claims,
        custom,
    };
    Ok(AuthorizerRequest { spec, secret })
}

impl TryFrom<pb::CreateJwtAuthorizerRequest> for AuthorizerRequest {
    type Error = Vec<FieldViolation>;

    fn try_from(request: pb::CreateJwtAuthorizerRequest) -> Result<Self, Self::Error> {
        let pb::CreateJwtAuthorizerRequest {
            name,
            description,
            discovery_url,
            allowed_audiences,
            allowed_clients,
            allowed_scopes,
            required_claims,
            custom,
            custom_secret,
        } = request;
        build(
            name,
            description,
            discovery_url,
            allowed_audiences,
            allowed_clients,
            allowed_scopes,
            required_claims,
            custom,
            custom_secret,
        )
    }
}

impl TryFrom<pb::UpdateJwtAuthorizerRequest> for AuthorizerRequest {
    type Error = Vec<FieldViolation>;

    fn try_from(request: pb::UpdateJwtAuthorizerRequest) -> Result<Self, Self::Error> {
        let pb::UpdateJwtAuthorizerRequest {
            name,
            description,
            discovery_url,
            allowed_audiences,
            allowed_clients,
            allowed_scopes,
            required_claims,
            custom,
            custom_secret,
        } = request;
        build(
            name,
            description,
            discovery_url,
            allowed_audiences,
            allowed_clients,
            allowed_scopes,
            required_claims,
            custom,
            custom_secret,
        )
    }
}

/// A stored authorizer on the wire.
pub fn authorizer_to_wire(arns: &Arns, authorizer: JwtAuthorizer) -> pb::JwtAuthorizer {
    let JwtAuthorizer { id, account, spec, created_at, updated_at } = authorizer;
    let JwtAuthorizerSpec {
        name,
        description,
        discovery_url,
        allowed_audiences,
        allowed_clients,
        allowed_scopes,
        required_claims,
        custom,
    } = spec;
    pb::JwtAuthorizer {
        jwt_authorizer_id: id,
        jwt_authorizer_arn: arns.jwt_authorizer(&account, &name),
        name,
        description,
        discovery_url,
        allowed_audiences,
        allowed_clients,
        allowed_scopes,
        required_claims: required_claims.into_iter().collect(),
        created_time: Some(timestamp(created_at)),
        last_updated_time: Some(timestamp(updated_at)),
        custom: custom.map(|c| {
            let CustomAuthorizerConfig { endpoint_url, timeout_ms, secret_header_name } = c;
            pb::CustomAuthorizerConfig {
                endpoint_url,
                timeout_ms: i32::try_from(timeout_ms).unwrap_or(i32::MAX),
                secret_header_name,
            }
        }),
    }
}
