//! `agentcore identity get-token-vault`, `rotate-vault-key` and `disconnect-user` against the fake
//! token vault.

use crate::{
    cli::{Run, agentcore},
    fake::{TOKEN, vault},
};

async fn run_against(address: std::net::SocketAddr, args: &[&str]) -> Run {
    let endpoint = address.to_string();
    let env = [("AGENTCORE_IDENTITY_ENDPOINT", endpoint.as_str()), ("AGENTCORE_IDENTITY_TOKEN", TOKEN)];
    agentcore(args, &env).await
}

#[tokio::test]
async fn get_token_vault_shows_each_master_key() {
    let (address, _) = vault::start().await;
    let run = run_against(address, &["identity", "get-token-vault"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let rows: Vec<Vec<&str>> = run.stdout.lines().map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(
        rows,
        [
            vec!["KEY_ID", "CURRENT", "DATA_KEYS", "CIPHERTEXTS", "RETIRABLE"],
            vec!["k1", "no", "0", "0", "yes"],
            vec!["k2", "yes", "1", "3", "no"],
        ]
    );

    let run = run_against(address, &["identity", "get-token-vault", "-o", "json"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["currentKeyId"], "k2");
    assert_eq!(json["keys"][0]["retirable"], true);
    assert_eq!(json["dataKeys"][0]["ciphertextCount"], 3);
    assert_eq!(json["lastModifiedDate"], "2026-01-01T00:00:00Z");
}

#[tokio::test]
async fn rotate_vault_key_sends_the_flags_and_reports_counts() {
    let (address, seen) = vault::start().await;
    let run = run_against(address, &["identity", "rotate-vault-key", "--rotate-data-key", "-o", "json"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((json["rewrappedCount"].as_i64(), json["reencryptedCount"].as_i64()), (Some(1), Some(3)));
    assert_eq!(json["currentDataKeyId"], "v2");
    {
        let requests = seen.lock().unwrap();
        assert_eq!((requests[0].key_id.clone(), requests[0].rotate_data_key), (None, true));
    }

    // A key other than the ring's current one is refused by the server, and said so.
    let run = run_against(address, &["identity", "rotate-vault-key", "--key-id", "k1"]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("FAILED_PRECONDITION"), "{run:?}");
    assert!(run.stderr.contains("ring's last key ('k2') is current"), "{run:?}");
    assert_eq!(seen.lock().unwrap()[1].key_id.as_deref(), Some("k1"));

    // Without a token nothing is rotated.
    let run = agentcore(&["identity", "rotate-vault-key", "--endpoint", &address.to_string()], &[]).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn disconnect_user_sends_the_selection_and_reports_counts() {
    use identity_proto::v1::delete_user_tokens_request::CredentialProvider as P;
    let (address, _, seen) = vault::start_recording().await;
    let args =
        ["identity", "disconnect-user", "--user-id", "alice", "--provider", "Idp", "--workload-identity", "agent"];
    let run = run_against(address, &[&args[..], &["-o", "json"]].concat()).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((json["deletedCount"].as_i64(), json["revokedCount"].as_i64()), (Some(2), Some(1)));
    {
        let requests = seen.lock().unwrap();
        assert_eq!(requests[0].user_id, "alice");
        assert_eq!(requests[0].credential_provider, Some(P::ResourceCredentialProviderName("Idp".to_owned())));
        assert_eq!(requests[0].workload_name.as_deref(), Some("agent"));
    }

    // A provider ARN goes as an ARN; without --provider every provider is meant.
    let arn = "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/oauth2credentialprovider/Idp";
    let run = run_against(address, &["identity", "disconnect-user", "--user-id", "bob", "--provider", arn]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains('2'), "{run:?}");
    let run = run_against(address, &["identity", "disconnect-user", "--user-id", "carol"]).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    {
        let requests = seen.lock().unwrap();
        assert_eq!(requests[1].credential_provider, Some(P::CredentialProviderArn(arn.to_owned())));
        assert_eq!((requests[2].credential_provider.clone(), requests[2].workload_name.clone()), (None, None));
    }

    // --user-id is required; nothing is sent without it.
    let run = run_against(address, &["identity", "disconnect-user"]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(seen.lock().unwrap().len(), 3);
}
