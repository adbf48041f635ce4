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
fn data_plane_options_are_global() {
    let cli = parse(&[
        "identity",
        "get-workload-access-token",
        "--workload-name",
        "agent-1",
        "--data-endpoint",
        "dp:1",
        "--access-key",
        "AKIA1:s",
    ])
    .unwrap();
    assert_eq!(cli.global.data_endpoint, "dp:1");
    assert_eq!(cli.global.access_key.as_ref().map(Secret::expose), Some("AKIA1:s"));
    let Service::Identity(IdentityCommand::GetWorkloadAccessToken(args)) = cli.service else { panic!() };
    assert_eq!((args.workload_name.as_str(), args.user_id, args.token_only), ("agent-1", None, false));
}

#[test]
fn get_api_key_takes_exactly_one_provider_and_one_workload() {
    let ok =
        parse(&["identity", "get-api-key", "--name", "p", "--workload-name", "w", "--user-id", "u", "--value-only"]);
    let Service::Identity(IdentityCommand::GetApiKey(args)) = ok.unwrap().service else { panic!() };
    assert_eq!(args.name.as_deref(), Some("p"));
    assert_eq!(args.user_id.as_deref(), Some("u"));
    assert!(args.value_only);

    for (argv, kind) in [
        (&["--workload-name", "w"][..], ErrorKind::MissingRequiredArgument),
        (&["--name", "p"][..], ErrorKind::MissingRequiredArgument),
        (&["--name", "p", "--arn", "a", "--workload-name", "w"][..], ErrorKind::ArgumentConflict),
        (&["--name", "p", "--workload-access-token", "t", "--workload-name", "w"][..], ErrorKind::ArgumentConflict),
        (&["--name", "p", "--workload-access-token", "t", "--user-id", "u"][..], ErrorKind::ArgumentConflict),
    ] {
        let argv: Vec<&str> = ["identity", "get-api-key"].into_iter().chain(argv.iter().copied()).collect();
        assert_eq!(parse(&argv).unwrap_err().kind(), kind, "{argv:?}");
    }
}

#[test]
fn get_workload_access_token_needs_a_workload() {
    let err = parse(&["identity", "get-workload-access-token", "--user-id", "u"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
}

#[test]
fn debug_output_never_shows_the_access_key_or_a_token() {
    let cli = parse(&[
        "--access-key",
        "AKIA1:access-secret-value",
        "identity",
        "get-api-key",
        "--name",
        "p",
        "--workload-access-token",
        "wat-value",
    ])
    .unwrap();
    let debug = format!("{cli:?}");
    assert!(!debug.contains("access-secret-value"), "{debug}");
    assert!(!debug.contains("wat-value"), "{debug}");
}

#[test]
fn the_command_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn get_token_takes_exactly_one_provider_and_one_workload() {
    let ok = parse(&["identity", "get-token", "--name", "p", "--workload-name", "w", "--user-id", "u", "--value-only"]);
    let Service::Identity(IdentityCommand::GetToken(args)) = ok.unwrap().service else { panic!() };
    assert_eq!((args.name.as_deref(), args.flow, args.value_only), (Some("p"), TokenFlow::M2m, true));

    for (argv, kind) in [
        (&["--workload-name", "w"][..], ErrorKind::MissingRequiredArgument),
        (&["--name", "p"][..], ErrorKind::MissingRequiredArgument),
        (&["--name", "p", "--arn", "a", "--workload-name", "w"][..], ErrorKind::ArgumentConflict),
        (&["--name", "p", "--workload-access-token", "t", "--workload-name", "w"][..], ErrorKind::ArgumentConflict),
        (&["--name", "p", "--workload-access-token", "t", "--user-id", "u"][..], ErrorKind::ArgumentConflict),
        (&["--name", "p", "--workload-name", "w", "--flow", "obo"][..], ErrorKind::InvalidValue),
        (&["--name", "p", "--workload-name", "w", "--param", "novalue"][..], ErrorKind::ValueValidation),
    ] {
        let argv: Vec<&str> = ["identity", "get-token"].into_iter().chain(argv.iter().copied()).collect();
        assert_eq!(parse(&argv).unwrap_err().kind(), kind, "{argv:?}");
    }
}

#[test]
fn complete_auth_takes_exactly_one_user() {
    let ok = parse(&["identity", "complete-auth", "--session-uri", "urn:x", "--user-token", "jwt-value"]).unwrap();
    assert!(!format!("{ok:?}").contains("jwt-value"));
    for (argv, kind) in [
        (&["--session-uri", "urn:x"][..], ErrorKind::MissingRequiredArgument),
        (&["--user-id", "u"][..], ErrorKind::MissingRequiredArgument),
        (&["--session-uri", "urn:x", "--user-id", "u", "--user-token", "t"][..], ErrorKind::ArgumentConflict),
    ] {
        let argv: Vec<&str> = ["identity", "complete-auth"].into_iter().chain(argv.iter().copied()).collect();
        assert_eq!(parse(&argv).unwrap_err().kind(), kind, "{argv:?}");
    }
}

#[test]
fn the_seed_names_of_the_jwt_commands_are_accepted() {
    let cli = parse(&["identity", "list-aws-jwt"]).unwrap();
    assert!(matches!(cli.service, Service::Identity(IdentityCommand::ListJwtAuthorizers)));
    let cli = parse(&[
        "identity",
        "setup-aws-jwt",
        "--gateway-id",
        "gw-1",
        "--discovery-url",
        "https://i",
        "--audience",
        "a",
    ]);
    let Service::Identity(IdentityCommand::SetupAwsJwt(args)) = cli.unwrap().service else { panic!() };
    // The seed's gateway is the target the authorizer is attached to.
    assert_eq!((args.name.as_str(), args.workload_identity.as_deref()), ("default", Some("gw-1")));
}
