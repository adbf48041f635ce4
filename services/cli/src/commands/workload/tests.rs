use identity_proto::v1::WorkloadIdentityAttributes;

use super::*;
use crate::{args::IdentityCommand, commands::tests::identity};

fn build(argv: &[&str]) -> Result<CreateWorkloadIdentityRequest, CliError> {
    let argv: Vec<&str> = ["create-workload-identity"].into_iter().chain(argv.iter().copied()).collect();
    let IdentityCommand::CreateWorkloadIdentity(args) = identity(&argv) else { panic!("not a create") };
    build_create_request(args)
}

#[test]
fn every_flag_lands_in_the_request() {
    let request = build(&[
        "--name",
        "CustomerSupportAgent",
        "--description",
        "Identity for customer support agent",
        "--type",
        "tool",
        "--agent-runtime-arn",
        "arn:aws:bedrock-agentcore:us-east-1:1:runtime/my-agent",
        "--capabilities",
        "crm,email",
        "--return-urls",
        "https://app.example/cb",
        "--tag",
        "team=support",
        "--tag",
        "env=prod",
    ])
    .unwrap();
    assert_eq!(request.name, "CustomerSupportAgent");
    assert_eq!(request.description, "Identity for customer support agent");
    assert_eq!(request.r#type, i32::from(WorkloadIdentityType::Tool));
    let attributes = request.attributes.unwrap();
    assert_eq!(attributes.agent_runtime_arn, "arn:aws:bedrock-agentcore:us-east-1:1:runtime/my-agent");
    assert_eq!(attributes.capabilities, ["crm", "email"]);
    assert_eq!(request.allowed_resource_oauth2_return_urls, ["https://app.example/cb"]);
    assert_eq!(request.tags.len(), 2);
    assert_eq!(request.tags.get("env").map(String::as_str), Some("prod"));
}

#[test]
fn a_bare_name_leaves_type_and_attributes_to_the_service() {
    let request = build(&["--name", "agent-1"]).unwrap();
    assert_eq!(request.r#type, i32::from(WorkloadIdentityType::Unspecified));
    assert_eq!(request.attributes, None);
    assert!(request.tags.is_empty());
}

#[test]
fn a_duplicate_tag_is_refused() {
    let err = build(&["--name", "agent-1", "--tag", "a=1", "--tag", "a=2"]).unwrap_err();
    assert!(matches!(err, CliError::Usage(_)));
}

fn identity_named(name: &str, kind: WorkloadIdentityType) -> WorkloadIdentity {
    WorkloadIdentity {
        name: name.to_owned(),
        workload_identity_arn: format!(
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:workload-identity-directory/default/workload-identity/{name}"
        ),
        r#type: kind.into(),
        attributes: Some(WorkloadIdentityAttributes {
            agent_runtime_arn: String::new(),
            capabilities: vec!["crm".into()],
        }),
        ..Default::default()
    }
}

#[test]
fn the_workloads_table_shows_name_type_and_arn() {
    let identities = [
        identity_named("support-agent", WorkloadIdentityType::Agent),
        identity_named("crm-tool", WorkloadIdentityType::Tool),
    ];
    let rendered = workloads_table(&identities).render();
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines[0], "NAME           TYPE   ARN");
    assert!(lines[1].starts_with("support-agent  agent  arn:aws:bedrock-agentcore:"));
    assert!(lines[2].starts_with("crm-tool       tool   arn:"));
}

#[test]
fn get_prints_key_value_lines() {
    let lines = workload_record(&identity_named("crm-tool", WorkloadIdentityType::Service)).to_lines();
    assert!(lines.starts_with("name: crm-tool\n"), "{lines}");
    assert!(lines.contains("\ntype: service\n"), "{lines}");
    assert!(lines.contains("\nattributes.capabilities: crm\n"), "{lines}");
    assert!(lines.contains("\nallowedResourceOauth2ReturnUrls: -\n"), "{lines}");
}

#[test]
fn authorizers_are_named_on_create_and_attached_keeping_every_other_field() {
    let request = build(&["--name", "agent-1", "--authorizer", "okta,corp"]).unwrap();
    assert_eq!(request.authorizer_names, ["okta", "corp"]);

    let mut stored = identity_named("agent-1", WorkloadIdentityType::Tool);
    stored.description = "kept".to_owned();
    stored.tags = [("team".to_owned(), "support".to_owned())].into();
    stored.allowed_resource_oauth2_return_urls = vec!["https://app.example/cb".to_owned()];
    stored.authorizer_names = vec!["okta".to_owned()];
    let update = attach_request(stored.clone(), "corp").unwrap();
    assert_eq!(update.authorizer_names, ["okta", "corp"]);
    assert_eq!(
        (update.name.as_str(), update.description.as_str(), update.r#type, update.tags, update.attributes),
        ("agent-1", "kept", stored.r#type, stored.tags.clone(), stored.attributes.clone())
    );
    assert_eq!(update.allowed_resource_oauth2_return_urls, stored.allowed_resource_oauth2_return_urls);
    assert!(attach_request(stored, "okta").is_none(), "attached already: nothing to update");
}

#[test]
fn update_changes_only_what_is_given() {
    let update = |argv: &[&str], stored: WorkloadIdentity| {
        let argv: Vec<&str> =
            ["update-workload-identity", "--name", "agent-1"].into_iter().chain(argv.iter().copied()).collect();
        let IdentityCommand::UpdateWorkloadIdentity(args) = identity(&argv) else { panic!("not an update") };
        build_update_request(stored, args)
    };
    let mut stored = identity_named("agent-1", WorkloadIdentityType::Tool);
    stored.description = "kept".to_owned();
    stored.authorizer_names = vec!["okta".to_owned()];
    let request = update(&["--authorizer", "corp,okta"], stored.clone());
    assert_eq!(
        (request.description.as_str(), request.authorizer_names.clone()),
        ("kept", vec!["corp".to_owned(), "okta".to_owned()])
    );
    assert_eq!((request.r#type, request.attributes), (stored.r#type, stored.attributes.clone()));
    let request = update(&["--description", "new"], stored.clone());
    assert_eq!((request.description.as_str(), request.authorizer_names), ("new", vec!["okta".to_owned()]));
    assert!(update(&["--no-authorizers"], stored).authorizer_names.is_empty());
}

#[test]
fn update_needs_something_to_change() {
    use clap::Parser as _;
    let parsed = crate::args::Cli::try_parse_from(["agentcore", "identity", "update-workload-identity", "--name", "a"]);
    assert!(parsed.is_err());
}
