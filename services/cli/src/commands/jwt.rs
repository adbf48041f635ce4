//! `setup-aws-jwt`, `setup-cognito`, `setup-custom-authorizer`, `get-jwt-authorizer`,
//! `list-jwt-authorizers`, `delete-jwt-authorizer`: which OIDC issuers' user tokens the data
//! plane accepts, or which operator endpoint decides.

use identity_proto::v1::{
    CreateJwtAuthorizerRequest, CustomAuthorizerConfig, DeleteJwtAuthorizerRequest, GetJwtAuthorizerRequest,
    JwtAuthorizer, ListJwtAuthorizersRequest,
};

use super::{Outcome, all_pages, clean_list, deleted, key_values};
use crate::{
    args::{OutputFormat, SetupCognitoArgs, SetupCustomArgs, SetupJwtArgs},
    client::Connection,
    error::CliError,
    output::{Record, Table, render_list},
};

/// Builds the create request of `setup-aws-jwt` (the workload to attach it to, if any, is
/// `args.workload_identity`).
pub fn build_setup_request(args: SetupJwtArgs) -> Result<CreateJwtAuthorizerRequest, CliError> {
    let SetupJwtArgs {
        name,
        workload_identity: _,
        discovery_url,
        audience,
        client_id,
        scopes,
        required_claims,
        description,
    } = args;
    let allowed_audiences = clean_list(audience);
    let allowed_clients = clean_list(client_id);
    if allowed_audiences.is_empty() && allowed_clients.is_empty() {
        return Err(CliError::usage("give --audience, --client-id or both"));
    }
    Ok(CreateJwtAuthorizerRequest {
        name,
        description: description.unwrap_or_default(),
        discovery_url: discovery_url.trim().to_owned(),
        allowed_audiences,
        allowed_clients,
        allowed_scopes: clean_list(scopes),
        required_claims: key_values("--required-claim", required_claims)?,
        ..Default::default()
    })
}

/// Builds the create request of `setup-cognito`. A pool id starts with its region
/// (`us-east-1_AbC…`); tokens from the pool carry the app client id as `aud` (ID tokens) or
/// `client_id` (access tokens), so it is accepted in both places.
pub fn build_cognito_request(args: SetupCognitoArgs) -> Result<CreateJwtAuthorizerRequest, CliError> {
    let SetupCognitoArgs { name, user_pool_id, client_id, region } = args;
    let pool = user_pool_id.trim();
    let pool_region = match pool.split_once('_') {
        Some((region, id))
            if !region.is_empty()
                && !id.is_empty()
                && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && id.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            region
        }
        _ => {
            return Err(CliError::usage(format!(
                "--user-pool-id '{pool}' is not a Cognito user pool id (REGION_ID, e.g. us-east-1_AbCdEfGhI)"
            )));
        }
    };
    if let Some(region) = region.as_deref().map(str::trim)
        && region != pool_region
    {
        return Err(CliError::usage(format!("user pool '{pool}' is in {pool_region}, not in --region {region}")));
    }
    let client_id = client_id.trim().to_owned();
    if client_id.is_empty() {
        return Err(CliError::usage("--client-id is empty"));
    }
    Ok(CreateJwtAuthorizerRequest {
        name,
        description: format!("Amazon Cognito user pool {pool}"),
        discovery_url: format!(
            "https://cognito-idp.{pool_region}.amazonaws.com/{pool}/.well-known/openid-configuration"
        ),
        allowed_audiences: vec![client_id.clone()],
        allowed_clients: vec![client_id],
        allowed_scopes: Vec::new(),
        required_claims: Default::default(),
        ..Default::default()
    })
}

/// Builds the create request of `setup-custom-authorizer`.
pub fn build_custom_request(args: SetupCustomArgs) -> CreateJwtAuthorizerRequest {
    let SetupCustomArgs { name, endpoint_url, timeout_ms, secret_header, secret, workload_identity: _, description } =
        args;
    CreateJwtAuthorizerRequest {
        name,
        description: description.unwrap_or_default(),
        custom: Some(CustomAuthorizerConfig {
            endpoint_url: endpoint_url.trim().to_owned(),
            timeout_ms,
            secret_header_name: secret_header.unwrap_or_default(),
        }),
        custom_secret: secret.map(crate::secret::Secret::into_inner).unwrap_or_default(),
        ..Default::default()
    }
}

/// A JWT authorizer as shown by `get` and `setup-*`.
pub fn authorizer_record(authorizer: &JwtAuthorizer) -> Record {
    Record::new()
        .text("name", &authorizer.name)
        .text("jwtAuthorizerId", &authorizer.jwt_authorizer_id)
        .text("jwtAuthorizerArn", &authorizer.jwt_authorizer_arn)
        .text_if_set("description", &authorizer.description)
        .text("discoveryUrl", &authorizer.discovery_url)
        .list("allowedAudiences", &authorizer.allowed_audiences)
        .list("allowedClients", &authorizer.allowed_clients)
        .list("allowedScopes", &authorizer.allowed_scopes)
        .map("requiredClaims", &authorizer.required_claims)
        .object(
            "custom",
            authorizer.custom.as_ref().map(|c| {
                Record::new()
                    .text("endpointUrl", &c.endpoint_url)
                    .integer("timeoutMs", i64::from(c.timeout_ms))
                    .text_if_set("secretHeaderName", &c.secret_header_name)
            }),
        )
        .time("createdTime", authorizer.created_time.as_ref())
        .time("lastUpdatedTime", authorizer.last_updated_time.as_ref())
}

/// The `list-jwt-authorizers` table.
pub fn authorizers_table(authorizers: &[JwtAuthorizer]) -> Table {
    let mut table = Table::new(&["NAME", "AUDIENCES", "CLIENTS", "DISCOVERY_URL"]);
    for authorizer in authorizers {
        table.row(vec![
            authorizer.name.clone(),
            authorizer.allowed_audiences.join(","),
            authorizer.allowed_clients.join(","),
            authorizer.discovery_url.clone(),
        ]);
    }
    table
}

fn returned(authorizer: Option<JwtAuthorizer>) -> Result<JwtAuthorizer, CliError> {
    authorizer.ok_or_else(|| CliError::Output("the control plane returned no JWT authorizer".to_owned()))
}

async fn create(
    conn: &Connection,
    format: OutputFormat,
    request: CreateJwtAuthorizerRequest,
) -> Result<Outcome, CliError> {
    let mut client = conn.jwt_authorizers().await?;
    let reply = client.create_jwt_authorizer(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(authorizer_record(&returned(reply.jwt_authorizer)?).render(format)?))
}

/// Creates the authorizer, then attaches it to `--workload-identity` (unless attached already).
pub async fn setup(conn: &Connection, format: OutputFormat, args: SetupJwtArgs) -> Result<Outcome, CliError> {
    let workload = args.workload_identity.clone();
    create_and_attach(conn, format, build_setup_request(args)?, workload).await
}

/// Creates the custom authorizer, then attaches it to `--workload-identity`, if given.
pub async fn setup_custom(conn: &Connection, format: OutputFormat, args: SetupCustomArgs) -> Result<Outcome, CliError> {
    let workload = args.workload_identity.clone();
    create_and_attach(conn, format, build_custom_request(args), workload).await
}

/// Creates an authorizer and attaches it to `workload`, if given. The workload is looked up
/// first, so that a wrong name creates nothing.
async fn create_and_attach(
    conn: &Connection,
    format: OutputFormat,
    request: CreateJwtAuthorizerRequest,
    workload: Option<String>,
) -> Result<Outcome, CliError> {
    let name = request.name.clone();
    let identity = match workload.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        Some(workload) => Some(super::workload::fetch(conn, workload).await?),
        None => None,
    };
    let mut outcome = create(conn, format, request).await?;
    if let Some(identity) = identity {
        let workload = identity.name.clone();
        outcome.notice = Some(if super::workload::attach_authorizer(conn, identity, &name).await? {
            format!("attached authorizer '{name}' to workload identity '{workload}'")
        } else {
            format!("authorizer '{name}' was attached to workload identity '{workload}' already")
        });
    }
    Ok(outcome)
}

pub async fn setup_cognito(
    conn: &Connection,
    format: OutputFormat,
    args: SetupCognitoArgs,
) -> Result<Outcome, CliError> {
    create(conn, format, build_cognito_request(args)?).await
}

pub async fn get(conn: &Connection, format: OutputFormat, name: String) -> Result<Outcome, CliError> {
    let mut client = conn.jwt_authorizers().await?;
    let request = GetJwtAuthorizerRequest { name };
    let reply = client.get_jwt_authorizer(request).await.map_err(|s| conn.error(s))?.into_inner();
    Ok(Outcome::print(authorizer_record(&returned(reply.jwt_authorizer)?).render(format)?))
}

pub async fn list(conn: &Connection, format: OutputFormat) -> Result<Outcome, CliError> {
    let client = conn.jwt_authorizers().await?;
    let authorizers = all_pages(|next_token| {
        let mut client = client.clone();
        async move {
            let request = ListJwtAuthorizersRequest { max_results: 100, next_token };
            let reply = client.list_jwt_authorizers(request).await?.into_inner();
            Ok((reply.jwt_authorizers, reply.next_token))
        }
    })
    .await
    .map_err(|s| conn.error(s))?;
    let records = authorizers.iter().map(authorizer_record).collect();
    Ok(Outcome::print(render_list(format, "jwtAuthorizers", &authorizers_table(&authorizers), records)?))
}

pub async fn delete(conn: &Connection, format: OutputFormat, name: String) -> Result<Outcome, CliError> {
    let mut client = conn.jwt_authorizers().await?;
    let request = DeleteJwtAuthorizerRequest { name: name.clone() };
    client.delete_jwt_authorizer(request).await.map_err(|s| conn.error(s))?;
    Ok(deleted(format, "JWT authorizer", &name))
}

#[cfg(test)]
mod tests;
