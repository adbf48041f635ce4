use std::collections::{BTreeMap, HashMap};

use identity_domain::{Arns, FieldViolation, JwtAuthorizer, JwtAuthorizerSpec, Violations};
use identity_proto::v1 as pb;

use super::timestamp;

/// A validated create or update request (both carry the same fields).
#[derive(Debug)]
pub struct AuthorizerRequest(pub JwtAuthorizerSpec);

#[allow(clippy::too_many_arguments)]
fn build(
    name: String,
    description: String,
    discovery_url: String,
    allowed_audiences: Vec<String>,
    allowed_clients: Vec<String>,
    allowed_scopes: Vec<String>,
    required_claims: HashMap<String, String>,
) -> Result<JwtAuthorizerSpec, Vec<FieldViolation>> {
    let mut v = Violations::default();
    v.resource_name("name", &name);
    v.description("description", &description);
    v.oidc_discovery_url("discovery_url", &discovery_url);
    v.token_list("allowed_audiences", &allowed_audiences, 100, 512);
    v.token_list("allowed_clients", &allowed_clients, 100, 256);
    v.token_list("allowed_scopes", &allowed_scopes, 100, 256);
    if allowed_audiences.is_empty() && allowed_clients.is_empty() {
        v.add("allowed_audiences", "give allowed_audiences or allowed_clients (or both)");
    }
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
    Ok(JwtAuthorizerSpec {
        name,
        description,
        discovery_url,
        allowed_audiences,
        allowed_clients,
        allowed_scopes,
        required_claims,
    })
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
        } = request;
        build(name, description, discovery_url, allowed_audiences, allowed_clients, allowed_scopes, required_claims)
            .map(Self)
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
        } = request;
        build(name, description, discovery_url, allowed_audiences, allowed_clients, allowed_scopes, required_claims)
            .map(Self)
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
    }
}
