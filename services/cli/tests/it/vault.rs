//! `agentcore identity get-token-vault` and `rotate-vault-key` against the fake token vault.

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
