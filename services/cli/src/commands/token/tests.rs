use super::*;
use crate::{args::IdentityCommand, commands::tests::identity};

fn plan_of(argv: &[&str]) -> Result<TokenPlan, CliError> {
    let argv: Vec<&str> = ["get-token"].into_iter().chain(argv.iter().copied()).collect();
    let IdentityCommand::GetToken(args) = identity(&argv) else { panic!("not get-token") };
    plan_token(args)
}

fn complete_of(argv: &[&str]) -> Result<CompleteResourceTokenAuthRequest, CliError> {
    let argv: Vec<&str> = ["complete-auth"].into_iter().chain(argv.iter().copied()).collect();
    let IdentityCommand::CompleteAuth(args) = identity(&argv) else { panic!("not complete-auth") };
    build_complete_request(args)
}

#[test]
fn flows_map_to_the_wire_values() {
    assert_eq!(flow_value(TokenFlow::M2m), Oauth2Flow::M2m);
    assert_eq!(flow_value(TokenFlow::UserFederation), Oauth2Flow::UserFederation);
    let plan = plan_of(&["--name", "Okta", "--workload-name", "agent-1"]).unwrap();
    assert_eq!(plan.request.oauth2_flow, i32::from(Oauth2Flow::M2m), "m2m is the default");
    for spelling in ["user-federation", "USER_FEDERATION"] {
        let plan = plan_of(&["--name", "Okta", "--flow", spelling, "--workload-name", "a", "--user-id", "u"]).unwrap();
        assert_eq!(plan.request.oauth2_flow, i32::from(Oauth2Flow::UserFederation));
    }
}

#[test]
fn m2m_sends_the_provider_and_scopes_only() {
    let plan = plan_of(&["--name", "Okta", "--scopes", "read, write,", "--workload-name", "agent-1"]).unwrap();
    assert!(matches!(plan.wat, WatSource::Mint(MintRequest::Workload(_))), "{:?}", plan.wat);
    let request = build_token_request(Secret::from("wat.agent-1".to_owned()), plan.request);
    assert_eq!(
        request,
        GetResourceOauth2AccessTokenRequest {
            workload_identity_token: "wat.agent-1".into(),
            credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Okta".into())),
            scopes: vec!["read".into(), "write".into()],
            oauth2_flow: Oauth2Flow::M2m.into(),
            ..Default::default()
        }
    );
}

#[test]
fn user_federation_carries_the_authorization_options() {
    let arn = "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/oauth2credentialprovider/Okta";
    let plan = plan_of(&[
        "--arn",
        arn,
        "--flow",
        "user-federation",
        "--return-url",
        " https://app.example/done ",
        "--force-authentication",
        "--param",
        "ui_locales=en",
        "--param",
        "prompt=consent=x",
        "--workload-access-token",
        " wat.agent-1.alice\n",
    ])
    .unwrap();
    let WatSource::Given(wat) = plan.wat else { panic!("{:?}", plan.wat) };
    let request = build_token_request(wat, plan.request);
    assert_eq!(request.workload_identity_token, "wat.agent-1.alice");
    assert_eq!(request.credential_provider, Some(CredentialProvider::CredentialProviderArn(arn.into())));
    assert_eq!(request.resource_oauth2_return_url, "https://app.example/done");
    assert_eq!(request.force_authentication, Some(true));
    assert_eq!(request.custom_parameters.len(), 2);
    assert_eq!(request.custom_parameters.get("prompt").map(String::as_str), Some("consent=x"));

    let plan = plan_of(&["--name", "Okta", "--flow", "user-federation", "--workload-name", "a", "--user-id", "u"]);
    let plan = plan.unwrap();
    assert_eq!((plan.request.force_authentication, plan.request.resource_oauth2_return_url.as_str()), (None, ""));
    assert!(matches!(plan.wat, WatSource::Mint(MintRequest::ForUser(_))), "{:?}", plan.wat);
}

#[test]
fn options_the_flow_would_ignore_are_refused() {
    for (extra, flag) in [
        (&["--return-url", "https://a/cb"][..], "--return-url"),
        (&["--force-authentication"][..], "--force-authentication"),
        (&["--param", "a=b"][..], "--param"),
    ] {
        let argv = [&["--name", "Okta", "--workload-name", "agent-1"][..], extra].concat();
        let err = plan_of(&argv).unwrap_err();
        assert!(matches!(err, CliError::Usage(_)));
        assert_eq!(err.to_string(), format!("{flag} is for --flow user-federation, not m2m"));
    }
    let err = plan_of(&["--name", "Okta", "--flow", "user-federation", "--workload-name", "agent-1"]).unwrap_err();
    assert!(err.to_string().starts_with("--flow user-federation acts for a user"), "{err}");
    let err = plan_of(&[
        "--name",
        "Okta",
        "--flow",
        "user-federation",
        "--param",
        "a=1",
        "--param",
        "a=2",
        "--workload-name",
        "w",
        "--user-id",
        "u",
    ])
    .unwrap_err();
    assert_eq!(err.to_string(), "--param 'a' is given twice");
}

#[test]
fn blank_values_are_usage_errors() {
    let err = plan_of(&["--name", " ", "--workload-name", "agent-1"]).unwrap_err();
    assert_eq!(err.to_string(), "--name is empty");
    let err = plan_of(&["--name", "p", "--workload-access-token", ""]).unwrap_err();
    assert_eq!(err.to_string(), "--workload-access-token is empty");
    let argv = ["--name", "p", "--flow", "user-federation", "--return-url", "", "--workload-access-token", "t"];
    assert_eq!(plan_of(&argv).unwrap_err().to_string(), "--return-url is empty");
    assert!(matches!(token_provider(None, None), Err(CliError::Usage(_))));
    assert!(matches!(token_provider(Some("a".into()), Some("b".into())), Err(CliError::Usage(_))));
}

#[test]
fn the_plan_never_shows_the_token() {
    let plan = plan_of(&["--name", "p", "--workload-access-token", "wat-secret-value"]).unwrap();
    assert!(!format!("{plan:?}").contains("wat-secret-value"));
}

#[test]
fn a_token_answer_prints_as_lines_json_or_the_bare_token() {
    let reply = GetResourceOauth2AccessTokenResponse {
        access_token: "at-secret".into(),
        token_type: "Bearer".into(),
        expires_in: 3600,
        expires_at: Some(prost_types::Timestamp { seconds: 1_700_003_600, nanos: 0 }),
        scopes: vec!["read".into(), "write".into()],
        ..Default::default()
    };
    let TokenAnswer::Token(token) = token_answer(reply).unwrap() else { panic!("not a token") };
    assert_eq!(
        access_token_record(&token).to_lines(),
        "accessToken: at-secret\ntokenType: Bearer\nexpiresIn: 3600\nexpiresAt: 2023-11-14T23:13:20Z\nscopes: read,write\n"
    );
    let json: serde_json::Value = serde_json::from_str(&access_token_record(&token).to_json().unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "accessToken": "at-secret",
            "tokenType": "Bearer",
            "expiresIn": 3600,
            "expiresAt": "2023-11-14T23:13:20Z",
            "scopes": ["read", "write"],
        })
    );
    assert_eq!(value_line(&token.access_token), "at-secret\n");
    assert!(!format!("{token:?}").contains("at-secret"));
}

#[test]
fn an_authorization_answer_prints_the_url_and_session() {
    let reply = GetResourceOauth2AccessTokenResponse {
        authorization_url: "https://idp.example/authorize?x=1".into(),
        session_uri: "urn:ietf:params:oauth:request_uri:abc".into(),
        session_status: SessionStatus::InProgress.into(),
        ..Default::default()
    };
    let answer = token_answer(reply).unwrap();
    let TokenAnswer::Authorize { authorization_url, session_uri } = answer else { panic!("{answer:?}") };
    assert_eq!(
        authorization_record(&authorization_url, &session_uri).to_lines(),
        "authorizationUrl: https://idp.example/authorize?x=1\nsessionUri: urn:ietf:params:oauth:request_uri:abc\n"
    );
    let notice = authorization_notice(&session_uri, Some("alice"));
    assert!(notice.starts_with("open the authorization URL as the user, then run complete-auth"), "{notice}");
    assert!(notice.ends_with("--session-uri 'urn:ietf:params:oauth:request_uri:abc' --user-id 'alice'\n"), "{notice}");
    assert!(authorization_notice(&session_uri, None).ends_with("--user-id USER\n"));
}

#[test]
fn an_empty_or_failed_answer_is_an_error() {
    let err = token_answer(GetResourceOauth2AccessTokenResponse::default()).unwrap_err();
    assert!(err.to_string().contains("neither an access token nor an authorization URL"), "{err}");
    let failed = GetResourceOauth2AccessTokenResponse {
        session_uri: "urn:x".into(),
        session_status: SessionStatus::Failed.into(),
        ..Default::default()
    };
    assert!(token_answer(failed).unwrap_err().to_string().contains("session 'urn:x' failed"));
}

#[test]
fn complete_auth_names_the_user_by_id_or_token() {
    let request = complete_of(&["--session-uri", " urn:ietf:params:oauth:request_uri:abc ", "--user-id", "alice"]);
    assert_eq!(
        request.unwrap(),
        CompleteResourceTokenAuthRequest {
            user_identifier: Some(UserIdentifier { identifier: Some(Identifier::UserId("alice".into())) }),
            session_uri: "urn:ietf:params:oauth:request_uri:abc".into(),
        }
    );
    let request = complete_of(&["--session-uri", "urn:x", "--user-token", " eyJ.jwt.sig\n"]).unwrap();
    let identifier = request.user_identifier.and_then(|user| user.identifier);
    assert_eq!(identifier, Some(Identifier::UserToken("eyJ.jwt.sig".into())));
    assert_eq!(
        complete_of(&["--session-uri", " ", "--user-id", "a"]).unwrap_err().to_string(),
        "--session-uri is empty"
    );
    assert_eq!(complete_of(&["--session-uri", "u", "--user-id", ""]).unwrap_err().to_string(), "--user-id is empty");
    assert_eq!(
        complete_of(&["--session-uri", "u", "--user-token", ""]).unwrap_err().to_string(),
        "--user-token is empty"
    );
}

#[test]
fn token_exchange_mints_from_the_user_jwt_and_sends_audiences_and_resources() {
    for spelling in ["token-exchange", "ON_BEHALF_OF_TOKEN_EXCHANGE"] {
        let plan = plan_of(&[
            "--name",
            "Okta",
            "--flow",
            spelling,
            "--audience",
            "https://api.example, https://other.example",
            "--resource",
            "https://api.example/v1",
            "--workload-name",
            "agent-1",
            "--user-token",
            " eyJ.user.jwt\n",
        ])
        .unwrap();
        assert_eq!(plan.request.oauth2_flow, i32::from(Oauth2Flow::OnBehalfOfTokenExchange));
        assert_eq!(plan.request.audiences, ["https://api.example", "https://other.example"]);
        assert_eq!(plan.request.resources, ["https://api.example/v1"]);
        let WatSource::Mint(MintRequest::ForJwt { workload_name, user_token }) = &plan.wat else {
            panic!("{:?}", plan.wat)
        };
        assert_eq!((workload_name.as_str(), user_token.expose()), ("agent-1", "eyJ.user.jwt"));
        assert!(!format!("{plan:?}").contains("eyJ.user.jwt"), "the user JWT is never shown");
    }
    // A given WAT is taken as minted from a JWT; the service says otherwise if it is not.
    let plan = plan_of(&["--name", "Okta", "--flow", "token-exchange", "--workload-access-token", "wat"]).unwrap();
    assert!(matches!(plan.wat, WatSource::Given(_)));
}

#[test]
fn token_exchange_refuses_what_it_cannot_use() {
    let refused = [
        &["--flow", "token-exchange", "--workload-name", "a"][..],
        &["--flow", "token-exchange", "--workload-name", "a", "--user-id", "u"],
        &["--flow", "token-exchange", "--workload-access-token", "w", "--return-url", "https://app.example"],
        &["--flow", "m2m", "--workload-name", "a", "--audience", "https://api.example"],
        &["--flow", "user-federation", "--workload-name", "a", "--user-id", "u", "--resource", "https://x.example"],
        &["--flow", "token-exchange", "--user-token", "jwt", "--workload-access-token", "w"],
    ];
    for argv in refused {
        use clap::Parser as _;
        let argv: Vec<&str> = ["--name", "Okta"].into_iter().chain(argv.iter().copied()).collect();
        let full = ["agentcore", "identity", "get-token"].into_iter().chain(argv.iter().copied());
        // Refused by the parser (conflicting flags) or by the plan.
        let refused = crate::args::Cli::try_parse_from(full).is_err() || plan_of(&argv).is_err();
        assert!(refused, "{argv:?} was accepted");
    }
}
