use super::*;
use crate::{args::IdentityCommand, commands::tests::identity};

fn cognito(argv: &[&str]) -> Result<CreateJwtAuthorizerRequest, CliError> {
    let argv: Vec<&str> = ["setup-cognito"].into_iter().chain(argv.iter().copied()).collect();
    let IdentityCommand::SetupCognito(args) = identity(&argv) else { panic!("not setup-cognito") };
    build_cognito_request(args)
}

#[test]
fn setup_aws_jwt_takes_the_seed_options() {
    let url = "https://my-org.okta.com/.well-known/openid-configuration";
    let IdentityCommand::SetupAwsJwt(args) = identity(&[
        "setup-aws-jwt",
        "--discovery-url",
        url,
        "--audience",
        "api://my-agent",
        "--client-id",
        "0oaxxxxxxxx",
        "--required-claim",
        "tenant=acme",
    ]) else {
        panic!("not setup-aws-jwt")
    };
    let request = build_setup_request(args).unwrap();
    assert_eq!(request.name, "default");
    assert_eq!(request.discovery_url, url);
    assert_eq!(request.allowed_audiences, ["api://my-agent"]);
    assert_eq!(request.allowed_clients, ["0oaxxxxxxxx"]);
    assert_eq!(request.required_claims.get("tenant").map(String::as_str), Some("acme"));
}

#[test]
fn setup_cognito_derives_the_discovery_url_from_the_pool() {
    let request = cognito(&["--user-pool-id", "eu-west-2_AbCdEfGhI", "--client-id", "1abc"]).unwrap();
    assert_eq!(
        request.discovery_url,
        "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_AbCdEfGhI/.well-known/openid-configuration"
    );
    assert_eq!(request.allowed_audiences, ["1abc"]);
    assert_eq!(request.allowed_clients, ["1abc"]);
    assert_eq!(request.name, "cognito");
}

#[test]
fn setup_cognito_refuses_a_malformed_pool_or_a_contradicting_region() {
    let err = cognito(&["--user-pool-id", "AbCdEfGhI", "--client-id", "c"]).unwrap_err();
    assert!(err.to_string().contains("is not a Cognito user pool id"), "{err}");
    let err = cognito(&["--user-pool-id", "us-east-1_Ab", "--client-id", "c", "--region", "eu-west-1"]).unwrap_err();
    assert_eq!(err.to_string(), "user pool 'us-east-1_Ab' is in us-east-1, not in --region eu-west-1");
    assert!(cognito(&["--user-pool-id", "us-east-1_Ab", "--client-id", "c", "--region", "us-east-1"]).is_ok());
}

#[test]
fn setup_aws_jwt_names_the_workload_to_attach_to() {
    let IdentityCommand::SetupAwsJwt(args) = identity(&[
        "setup-aws-jwt",
        "--name",
        "okta",
        "--workload-identity",
        "support-agent",
        "--discovery-url",
        "https://i/.well-known/openid-configuration",
        "--client-id",
        "c",
    ]) else {
        panic!("not setup-aws-jwt")
    };
    assert_eq!(args.workload_identity.as_deref(), Some("support-agent"));
    let request = build_setup_request(args).unwrap();
    assert_eq!((request.name.as_str(), request.custom), ("okta", None));
}

#[test]
fn setup_custom_authorizer_sends_the_endpoint_and_the_secret_once() {
    let IdentityCommand::SetupCustomAuthorizer(args) = identity(&[
        "setup-custom-authorizer",
        "--name",
        "corp",
        "--endpoint-url",
        "https://authz.example.com/check",
        "--secret-header",
        "x-authz-secret",
        "--secret",
        "s3cret-value",
    ]) else {
        panic!("not setup-custom-authorizer")
    };
    assert!(!format!("{args:?}").contains("s3cret-value"), "the secret is redacted");
    let request = build_custom_request(args);
    let custom = request.custom.unwrap();
    assert_eq!(
        (custom.endpoint_url.as_str(), custom.timeout_ms, custom.secret_header_name.as_str()),
        ("https://authz.example.com/check", 2_000, "x-authz-secret")
    );
    assert_eq!(request.custom_secret, "s3cret-value");
    assert!(request.discovery_url.is_empty() && request.allowed_audiences.is_empty());
}
