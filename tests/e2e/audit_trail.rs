//! The audit trail across both binaries: mutations made with the CLI and vends made against the
//! data plane land in one chain that the control plane serves; `agentcore identity audit verify`
//! checks it, and names a vend event whose refusal was rewritten into a success.

use std::{
    process::{Command, Output},
    time::Duration,
};

use identity_proto::v1::{self as pb, get_api_key_credential_request::CredentialProvider};
use serde_json::Value;
use tonic::{metadata::MetadataValue, transport::Channel};

use crate::support::{LocalStack, bin_dir};

const API_KEY: &str = "ghp_e2eAuditTrailMustNotSeeThis0123";

fn agentcore(stack: &LocalStack, args: &[&str]) -> Output {
    Command::new(bin_dir().join("agentcore"))
        .arg("identity")
        .args(args)
        .env("AGENTCORE_IDENTITY_ENDPOINT", format!("http://{}", stack.control))
        .env("AGENTCORE_IDENTITY_TOKEN", stack.admin_token())
        .output()
        .expect("run agentcore")
}

fn ok(output: Output) -> String {
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "agentcore failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    stdout.into_owned()
}

fn authed<T>(message: T, key: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {key}")).unwrap());
    request
}

fn api_key_request(wat: &str, provider: &str) -> pb::GetApiKeyCredentialRequest {
    pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName(provider.to_owned())),
    }
}

/// The whole log, as `agentcore identity audit -o json` prints it.
fn audit_log(stack: &LocalStack) -> Vec<Value> {
    let listed: Value = serde_json::from_str(&ok(agentcore(stack, &["audit", "--output", "json"]))).unwrap();
    listed["auditEvents"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_covers_vends_and_names_a_tampered_one() {
    let stack = LocalStack::start().await;
    ok(agentcore(&stack, &["create-workload-identity", "--name", "agent-x"]));
    ok(agentcore(
        &stack,
        &[
            "create-credential-provider",
            "--name",
            "GitHubProvider",
            "--type",
            "api_key",
            "--vendor",
            "github",
            "--api-key",
            API_KEY,
        ],
    ));
    let key: Value = serde_json::from_str(&ok(agentcore(
        &stack,
        &["create-access-key", "--output", "json", "--workload-names", "agent-x"],
    )))
    .unwrap();
    let key = format!("{}:{}", key["accessKeyId"].as_str().unwrap(), key["secretAccessKey"].as_str().unwrap());
    let before = audit_log(&stack).len();

    let channel = Channel::from_shared(format!("http://{}", stack.data)).unwrap().connect().await.unwrap();
    let mut data = pb::identity_data_service_client::IdentityDataServiceClient::new(channel);
    let wat = data
        .get_workload_access_token(authed(
            pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() },
            &key,
        ))
        .await
        .unwrap()
        .into_inner()
        .workload_access_token;
    let vended = data.get_api_key_credential(authed(api_key_request(&wat, "GitHubProvider"), &key)).await.unwrap();
    assert_eq!(vended.into_inner().api_key, API_KEY);
    let refused = data.get_api_key_credential(authed(api_key_request(&wat, "Nope"), &key)).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::NotFound);

    // The vends reach the control plane's log within a second or so.
    let mut log = audit_log(&stack);
    for _ in 0..200 {
        if log.len() >= before + 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        log = audit_log(&stack);
    }
    let vends: Vec<(&str, &str, &str, &str)> = log[before..]
        .iter()
        .map(|e| {
            (
                e["eventName"].as_str().unwrap(),
                e["credentialProviderName"].as_str().unwrap_or_default(),
                e["outcome"].as_str().unwrap(),
                e["errorReason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        vends,
        [
            ("GetWorkloadAccessToken", "", "SUCCESS", ""),
            ("GetApiKeyCredential", "GitHubProvider", "SUCCESS", ""),
            ("GetApiKeyCredential", "Nope", "FAILURE", "ProviderNotFound"),
        ]
    );
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(API_KEY) && !text.contains(&wat) && !text.contains(key.split_once(':').unwrap().1));
    assert_eq!(ok(agentcore(&stack, &["audit", "verify"])), format!("{} events, chain intact\n", before + 3));

    // Rewrite the refusal into a success, as someone covering their tracks would.
    let sequence = log[before + 2]["sequenceNumber"].as_i64().unwrap();
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}", stack.dir.path().join("data/identity.db").display());
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    sqlx::query("UPDATE audit_events SET outcome = 'SUCCESS', error_reason = '' WHERE sequence = $1")
        .bind(sequence)
        .execute(&pool)
        .await
        .unwrap();
    let output = agentcore(&stack, &["audit", "verify"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: audit chain broken at event {sequence}: contents do not match its hash (altered) ({sequence} events checked)\n"
        )
    );
}
