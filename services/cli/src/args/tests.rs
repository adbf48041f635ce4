use clap::{CommandFactory as _, Parser as _, error::ErrorKind};

use super::*;

fn parse(argv: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("agentcore").chain(argv.iter().copied()))
}

#[test]
fn global_options_are_accepted_after_the_subcommand() {
    let cli =
        parse(&["identity", "list-providers", "--output", "json", "--endpoint", "cp:1234", "--token", "t"]).unwrap();
    assert_eq!(cli.global.output, OutputFormat::Json);
    assert_eq!(cli.global.endpoint, "cp:1234");
    assert_eq!(cli.global.token.as_ref().map(Secret::expose), Some("t"));
    assert!(matches!(cli.service, Service::Identity(IdentityCommand::ListProviders)));
}

#[test]
fn provider_type_takes_the_seed_spelling_and_a_dashed_alias() {
    for spelling in ["api_key", "api-key"] {
        let cli = parse(&["identity", "create-credential-provider", "--name", "n", "--type", spelling]).unwrap();
        let Service::Identity(IdentityCommand::CreateCredentialProvider(args)) = cli.service else { panic!() };
        assert_eq!(args.kind, ProviderKind::ApiKey);
    }
    let err = parse(&["identity", "create-credential-provider", "--name", "n", "--type", "saml"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
}

#[test]
fn explicit_endpoints_come_in_pairs() {
    let err = parse(&[
        "identity",
        "create-credential-provider",
        "--name",
        "n",
        "--type",
        "oauth2",
        "--authorize-url",
        "https://a.example/authorize",
    ])
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
}

#[test]
fn comma_lists_and_repeated_tags_are_collected() {
    let cli = parse(&[
        "identity",
        "create-workload-identity",
        "--name",
        "agent-1",
        "--capabilities",
        "crm,email",
        "--return-urls",
        "https://a/cb,https://b/cb",
        "--tag",
        "team=support",
        "--tag",
        "env=a=b",
    ])
    .unwrap();
    let Service::Identity(IdentityCommand::CreateWorkloadIdentity(args)) = cli.service else { panic!() };
    assert_eq!(args.capabilities, ["crm", "email"]);
    assert_eq!(args.return_urls, ["https://a/cb", "https://b/cb"]);
    assert_eq!(args.tags, [("team".to_owned(), "support".to_owned()), ("env".to_owned(), "a=b".to_owned())]);
}

#[test]
fn a_tag_needs_a_key_and_an_equals_sign() {
    assert_eq!(parse_key_value("k=v"), Ok(("k".to_owned(), "v".to_owned())));
    assert_eq!(parse_key_value("k="), Ok(("k".to_owned(), String::new())));
    assert!(parse_key_value("novalue").unwrap_err().contains("no '='"));
    assert!(parse_key_value("=v").unwrap_err().contains("empty key"));
    let err = parse(&["identity", "create-workload-identity", "--name", "abc", "--tag", "oops"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ValueValidation);
}

#[test]
fn setup_aws_jwt_needs_an_audience_or_a_client() {
    let err = parse(&["identity", "setup-aws-jwt", "--discovery-url", "https://i/.well-known/openid-configuration"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
    assert!(parse(&["identity", "setup-aws-jwt", "--discovery-url", "https://i", "--client-id", "c"]).is_ok());
}

#[test]
fn debug_output_never_shows_secrets() {
    let cli = parse(&[
        "--token",
        "admin-token-value",
        "identity",
        "create-credential-provider",
        "--name",
        "n",
        "--type",
        "oauth2",
        "--client-id",
        "id",
        "--client-secret",
        "client-secret-value",
    ])
    .unwrap();
    let debug = format!("{cli:?}");
    assert!(!debug.contains("admin-token-value"), "{debug}");
    assert!(!debug.contains("client-secret-value"), "{debug}");
}

#[test]
fn the_command_definition_is_consistent() {
    Cli::command().debug_assert();
}
