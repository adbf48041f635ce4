use std::collections::BTreeMap;

use identity_domain::JwtAuthorizerSpec;

/// What a token must satisfy: the checks of one JWT authorizer.
///
/// Audience and client: a token with an `aud` must name an allowed audience, when
/// `allowed_audiences` is set; a token with a `client_id` or `azp` must name an allowed client,
/// when `allowed_clients` is set; and a token must pass at least one of the two checks. So a
/// policy listing a Cognito app client in both accepts the pool's ID tokens (`aud`) and access
/// tokens (`client_id`, no `aud`), while a policy with neither list accepts nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizerPolicy {
    /// The issuer's OIDC discovery URL; its document names the issuer and the JWKS.
    pub discovery_url: String,
    /// Accepted `aud` values.
    pub allowed_audiences: Vec<String>,
    /// Accepted `client_id` / `azp` values.
    pub allowed_clients: Vec<String>,
    /// Scopes (in `scope` or `scp`) of which a token must carry one, when non-empty.
    pub allowed_scopes: Vec<String>,
    /// Claims a token must carry with exactly these values.
    pub required_claims: BTreeMap<String, String>,
}

impl From<&JwtAuthorizerSpec> for AuthorizerPolicy {
    fn from(spec: &JwtAuthorizerSpec) -> Self {
        let JwtAuthorizerSpec {
            name: _,
            description: _,
            discovery_url,
            allowed_audiences,
            allowed_clients,
            allowed_scopes,
            required_claims,
            // A custom authorizer has no JWT settings; the data plane never builds a policy
            // from one (its endpoint decides instead).
            custom: _,
        } = spec;
        Self {
            discovery_url: discovery_url.clone(),
            allowed_audiences: allowed_audiences.clone(),
            allowed_clients: allowed_clients.clone(),
            allowed_scopes: allowed_scopes.clone(),
            required_claims: required_claims.clone(),
        }
    }
}
