//! Master-key rotation as an operator does it: data written under a k1-only ring, a restart with
//! k2 appended, `RotateTokenVaultKey`, then a restart with k2 alone, which reads everything.

use std::sync::Arc;

use identity_crypto::MasterKeyRing;
use identity_domain::{AccountId, ManualClock, Quotas};
use identity_proto::v1 as pb;
use identity_store::{Store, StoreOptions};
use tonic::Code;

use crate::support::{BOOTSTRAP_TOKEN, Server, SharedDb, error_of};

const API_KEY: &str = "ghp_vaulted_4c2d9e";
/// The account the bootstrap token administers.
const ACCOUNT: &str = "000000000000";

fn key(status: &pb::GetTokenVaultResponse, id: &str) -> pb::TokenVaultKey {
    status.keys.iter().find(|k| k.key_id == id).cloned().unwrap_or_else(|| panic!("no key {id} in {status:?}"))
}

async fn create_provider(server: &Server) {
    server
        .providers(Some(BOOTSTRAP_TOKEN))
        .await
        .create_credential_provider(pb::CreateCredentialProviderRequest {
            name: "GitHubProvider".to_owned(),
            credential_provider_vendor: 0,
            config: Some(pb::create_credential_provider_request::Config::ApiKeyProviderConfigInput(
                pb::ApiKeyProviderConfigInput {
                    api_key: API_KEY.to_owned(),
                    header_name: "Authorization".to_owned(),
                    vendor: "github".to_owned(),
                },
            )),
            tags: Default::default(),
        })
        .await
        .unwrap();
}

async fn get_vault(server: &Server) -> pb::GetTokenVaultResponse {
    let request = pb::GetTokenVaultRequest { token_vault_id: String::new() };
    server.token_vault(Some(BOOTSTRAP_TOKEN)).await.get_token_vault(request).await.unwrap().into_inner()
}

/// The stored API key, opened by a store whose ring is `master_keys` (the servers never return it).
async fn stored_api_key(db: &SharedDb, master_keys: &str) -> String {
    let store = Store::connect(StoreOptions {
        url: db.url.clone(),
        keyring: Arc::new(MasterKeyRing::parse(master_keys).unwrap()),
        clock: Arc::new(ManualClock::new(0)),
        quotas: Quotas::default(),
        max_connections: 1,
    })
    .await
    .unwrap();
    let account = AccountId::parse(ACCOUNT).unwrap();
    let secret = store.credential_provider_secret(&account, "GitHubProvider").await.unwrap().expose().to_owned();
    store.close().await;
    secret
}

async fn master_key_rotation_retires_the_old_key(db: SharedDb) {
    let (k1, k2) = (MasterKeyRing::generate_entry("k1").unwrap(), MasterKeyRing::generate_entry("k2").unwrap());
    let both = format!("{},{}", *k1, *k2);

    let first = Server::on_shared(&db, &k1).await;
    create_provider(&first).await;
    drop(first);

    // Restarted with k2 appended: k2 is current, k1 still wraps the account's data key.
    let second = Server::on_shared(&db, &both).await;
    let vault = get_vault(&second).await;
    assert_eq!(vault.token_vault_id, "default");
    assert_eq!(vault.token_vault_arn, format!("arn:aws:bedrock-agentcore:us-east-1:{ACCOUNT}:token-vault/default"));
    assert_eq!(vault.current_key_id, "k2");
    let old = key(&vault, "k1");
    assert_eq!((old.current, old.data_key_count, old.ciphertext_count, old.retirable), (false, 1, 1, false));
    assert!(key(&vault, "k2").current);
    assert_eq!(vault.current_data_key_id, "v1");
    assert_eq!(vault.data_keys[0].wrapping_key_id, "k1");

    // Only the ring's current key can be the target.
    let mut client = second.token_vault(Some(BOOTSTRAP_TOKEN)).await;
    let refused = client
        .rotate_token_vault_key(pb::RotateTokenVaultKeyRequest { key_id: Some("k1".to_owned()), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(error_of(&refused).0, Code::FailedPrecondition);
    assert!(refused.message().contains("ring's last key ('k2') is current"), "{}", refused.message());

    let rotated = client
        .rotate_token_vault_key(pb::RotateTokenVaultKeyRequest { key_id: Some("k2".to_owned()), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((rotated.current_key_id.as_str(), rotated.rewrapped_count, rotated.reencrypted_count), ("k2", 1, 0));
    let vault = get_vault(&second).await;
    let old = key(&vault, "k1");
    assert_eq!((old.data_key_count, old.ciphertext_count, old.retirable), (0, 0, true));
    let new = key(&vault, "k2");
    assert_eq!((new.data_key_count, new.ciphertext_count, new.retirable), (1, 1, false));

    // The account's data key rotates too: its one ciphertext moves to v2.
    let rotated = client
        .rotate_token_vault_key(pb::RotateTokenVaultKeyRequest { rotate_data_key: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((rotated.rewrapped_count, rotated.reencrypted_count), (0, 1));
    assert_eq!(rotated.current_data_key_id, "v2");
    let vault = get_vault(&second).await;
    let counts: Vec<_> =
        vault.data_keys.iter().map(|k| (k.data_key_id.as_str(), k.current, k.ciphertext_count)).collect();
    assert_eq!(counts, [("v1", false, 0), ("v2", true, 1)]);

    // DeleteUserTokens checks what it is given (its effects are tested with the data planes, in
    // the data plane's `disconnect` tests).
    let refused = client.delete_user_tokens(pb::DeleteUserTokensRequest::default()).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let for_alice = |provider: Option<pb::delete_user_tokens_request::CredentialProvider>| {
        pb::DeleteUserTokensRequest { user_id: "alice".to_owned(), credential_provider: provider, ..Default::default() }
    };
    use pb::delete_user_tokens_request::CredentialProvider as P;
    let refused = client
        .delete_user_tokens(for_alice(Some(P::CredentialProviderArn("arn:aws:iam::1:role/x".to_owned()))))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let missing = client
        .delete_user_tokens(for_alice(Some(P::ResourceCredentialProviderName("Nope".to_owned()))))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    let nothing = client.delete_user_tokens(for_alice(None)).await.unwrap().into_inner();
    assert_eq!((nothing.deleted_count, nothing.revoked_count), (0, 0));
    drop(second);

    // Restarted with k2 alone: the provider is served and its secret opens.
    let third = Server::on_shared(&db, &k2).await;
    let got = third
        .providers(Some(BOOTSTRAP_TOKEN))
        .await
        .get_credential_provider(pb::GetCredentialProviderRequest { name: "GitHubProvider".to_owned() })
        .await
        .unwrap()
        .into_inner();
    assert!(got.credential_provider.is_some());
    let vault = get_vault(&third).await;
    let ids: Vec<_> = vault.keys.iter().map(|k| k.key_id.as_str()).collect();
    assert_eq!(ids, ["k2"]);
    assert_eq!(stored_api_key(&db, &k2).await, API_KEY);
}

#[tokio::test]
async fn master_key_rotation_retires_the_old_key_on_sqlite() {
    master_key_rotation_retires_the_old_key(SharedDb::sqlite()).await;
}

#[tokio::test]
async fn master_key_rotation_retires_the_old_key_on_postgres() {
    if let Some(db) = SharedDb::postgres().await {
        master_key_rotation_retires_the_old_key(db).await;
    }
}

#[tokio::test]
async fn token_vault_requires_a_known_vault_and_a_principal() {
    let server = Server::sqlite(&[]).await;
    let missing = server
        .token_vault(Some(BOOTSTRAP_TOKEN))
        .await
        .get_token_vault(pb::GetTokenVaultRequest { token_vault_id: "other".to_owned() })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let anonymous =
        server.token_vault(None).await.get_token_vault(pb::GetTokenVaultRequest::default()).await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}
