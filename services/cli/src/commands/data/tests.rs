use identity_proto::v1::get_api_key_credential_request::CredentialProvider as Provider;

use super::*;
use crate::{args::IdentityCommand, commands::tests::identity};

fn plan_of(argv: &[&str]) -> Result<ApiKeyPlan, CliError> {
    let argv: Vec<&str> = ["get-api-key"].into_iter().chain(argv.iter().copied()).collect();
    let IdentityCommand::GetApiKey(args) = identity(&argv) else { panic!("not get-api-key") };
    plan_api_key(args)
}

fn mint_request(argv: &[&str]) -> Result<MintRequest, CliError> {
    let argv: Vec<&str> = ["get-workload-access-token"].into_iter().chain(argv.iter().copied()).collect();
    let IdentityCommand::GetWorkloadAccessToken(args) = identity(&argv) else { panic!("not a WAT command") };
    build_mint_request(args.workload_name, args.user_id)
}

#[test]
fn a_workload_alone_mints_without_a_user() {
    let request = mint_request(&["--workload-name", "agent-1"]).unwrap();
    assert_eq!(request, MintRequest::Workload(GetWorkloadAccessTokenRequest { workload_name: "agent-1".into() }));
}

#[test]
fn a_user_id_picks_the_for_user_id_call() {
    let request = mint_request(&["--workload-name", "agent-1", "--user-id", "alice"]).unwrap();
    let expected = GetWorkloadAccessTokenForUserIdRequest { workload_name: "agent-1".into(), user_id: "alice".into() };
    assert_eq!(request, MintRequest::ForUser(expected));
}

#[test]
fn a_blank_user_id_is_refused_rather_than_dropped() {
    let err = mint_request(&["--workload-name", "agent-1", "--user-id", " "]).unwrap_err();
    assert!(matches!(err, CliError::Usage(_)));
    assert_eq!(err.to_string(), "--user-id is empty");
    let err = mint_request(&["--workload-name", ""]).unwrap_err();
    assert_eq!(err.to_string(), "--workload-name is empty");
}

#[test]
fn get_api_key_mints_for_a_workload_and_user() {
    let plan = plan_of(&["--name", "GitHubProvider", "--workload-name", "agent-1", "--user-id", "alice"]).unwrap();
    assert_eq!(plan.provider, Provider::ResourceCredentialProviderName("GitHubProvider".into()));
    let WatSource::Mint(MintRequest::ForUser(request)) = plan.wat else { panic!("{:?}", plan.wat) };
    assert_eq!((request.workload_name.as_str(), request.user_id.as_str()), ("agent-1", "alice"));

    let plan = plan_of(&["--name", "GitHubProvider", "--workload-name", "agent-1"]).unwrap();
    assert!(matches!(plan.wat, WatSource::Mint(MintRequest::Workload(_))), "{:?}", plan.wat);
}

#[test]
fn a_given_token_is_used_as_is_and_the_provider_may_be_an_arn() {
    let arn = "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/apikeycredentialprovider/gh";
    let plan = plan_of(&["--arn", arn, "--workload-access-token", " wat-value\n"]).unwrap();
    let WatSource::Given(wat) = plan.wat else { panic!("{:?}", plan.wat) };
    let request = build_api_key_request(wat, plan.provider);
    assert_eq!(request.workload_identity_token, "wat-value");
    assert_eq!(request.credential_provider, Some(Provider::CredentialProviderArn(arn.into())));
}

#[test]
fn blank_values_are_usage_errors() {
    let err = plan_of(&["--name", "p", "--workload-access-token", "  "]).unwrap_err();
    assert_eq!(err.to_string(), "--workload-access-token is empty");
    let err = plan_of(&["--name", "", "--workload-name", "agent-1"]).unwrap_err();
    assert_eq!(err.to_string(), "--name is empty");
    assert!(matches!(provider_ref(None, None), Err(CliError::Usage(_))));
    assert!(matches!(provider_ref(Some("a".into()), Some("b".into())), Err(CliError::Usage(_))));
}

#[test]
fn the_plan_never_shows_the_token() {
    let plan = plan_of(&["--name", "p", "--workload-access-token", "wat-secret-value"]).unwrap();
    assert!(!format!("{plan:?}").contains("wat-secret-value"));
}

#[test]
fn a_token_prints_as_lines_or_json() {
    let minted = Minted {
        token: Secret::from("eyJ.wat.sig".to_owned()),
        expires_in: 3600,
        expires_at: Some(prost_types::Timestamp { seconds: 1_700_003_600, nanos: 0 }),
    };
    assert_eq!(
        token_record(&minted).to_lines(),
        "workloadAccessToken: eyJ.wat.sig\nexpiresIn: 3600\nexpiresAt: 2023-11-14T23:13:20Z\n"
    );
    let json: serde_json::Value = serde_json::from_str(&token_record(&minted).to_json().unwrap()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"workloadAccessToken": "eyJ.wat.sig", "expiresIn": 3600, "expiresAt": "2023-11-14T23:13:20Z"})
    );
    assert_eq!(value_line(&minted.token), "eyJ.wat.sig\n");
    assert!(!format!("{minted:?}").contains("eyJ.wat.sig"));
}

#[test]
fn an_api_key_prints_with_its_header() {
    let key = Secret::from("ghp_value".to_owned());
    assert_eq!(api_key_record(&key, "X-API-Key").to_lines(), "apiKey: ghp_value\nheaderName: X-API-Key\n");
    assert_eq!(api_key_record(&key, "").to_lines(), "apiKey: ghp_value\nheaderName: -\n");
    let json: serde_json::Value = serde_json::from_str(&api_key_record(&key, "").to_json().unwrap()).unwrap();
    assert_eq!(json, serde_json::json!({"apiKey": "ghp_value", "headerName": ""}));
    assert_eq!(value_line(&key), "ghp_value\n");
}
