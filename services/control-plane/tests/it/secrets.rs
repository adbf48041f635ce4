use identity_proto::v1 as pb;
use prost::Message as _;
use sqlx::{Row as _, any::AnyPoolOptions};

use crate::support::{BOOTSTRAP_TOKEN, Server};

const CLIENT_SECRET: &str = "salesforce-client-secret-7c1e93";
const API_KEY: &str = "ghp_apikey_5f0a2b9d81c4";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn raw_dump(url: &str) -> Vec<u8> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new().max_connections(1).connect(url).await.unwrap();
    let mut dump = Vec::new();
    for row in sqlx::query("SELECT name, config, secret FROM credential_providers").fetch_all(&pool).await.unwrap() {
        dump.extend(row.try_get::<String, _>(0).unwrap().into_bytes());
        dump.extend(row.try_get::<String, _>(1).unwrap().into_bytes());
        dump.extend(row.try_get::<Vec<u8>, _>(2).unwrap());
    }
    for row in
        sqlx::query("SELECT access_key_id, secret_hash, description FROM access_keys").fetch_all(&pool).await.unwrap()
    {
        for i in 0..3 {
            dump.extend(row.try_get::<String, _>(i).unwrap().into_bytes());
        }
    }
    dump
}

async fn secrets_stay_secret(server: Server) {
    let mut providers = server.providers(Some(BOOTSTRAP_TOKEN)).await;
    let created = providers
        .create_credential_provider(pb::CreateCredentialProviderRequest {
            name: "SalesforceProvider".to_owned(),
            credential_provider_vendor: pb::CredentialProviderVendor::SalesforceOauth2 as i32,
            config: Some(pb::create_credential_provider_request::Config::Oauth2ProviderConfigInput(
                pb::Oauth2ProviderConfigInput {
                    client_id: "sf-client".to_owned(),
                    client_secret: CLIENT_SECRET.to_owned(),
                    ..Default::default()
                },
            )),
            tags: Default::default(),
        })
        .await
        .unwrap()
        .into_inner()
        .credential_provider
        .unwrap();
    // Each OAuth2 provider has its own callback URL under PUBLIC_BASE_URL.
    assert_eq!(
        created.callback_url,
        format!("https://identity.example.com/identities/oauth2/callback/{}", created.credential_provider_id)
    );
    providers
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

    let mut wire = created.encode_to_vec();
    for name in ["SalesforceProvider", "GitHubProvider"] {
        let got = providers
            .get_credential_provider(pb::GetCredentialProviderRequest { name: name.to_owned() })
            .await
            .unwrap();
        wire.extend(got.into_inner().encode_to_vec());
    }
    let listed =
        providers.list_credential_providers(pb::ListCredentialProvidersRequest::default()).await.unwrap().into_inner();
    assert_eq!(listed.credential_providers.len(), 2);
    wire.extend(listed.encode_to_vec());
    assert!(contains(&wire, "sf-client"), "responses carry the non-secret settings");
    for secret in [CLIENT_SECRET, API_KEY] {
        assert!(!contains(&wire, secret), "{secret} leaked into a response");
    }

    // The access key's secret is shown once and stored only as a hash.
    let mut keys = server.access_keys(Some(BOOTSTRAP_TOKEN)).await;
    let created = keys
        .create_access_key(pb::CreateAccessKeyRequest { description: "runtime".to_owned(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let secret = created.secret_access_key.clone();
    let id = created.access_key.unwrap().access_key_id;
    assert!(id.starts_with("AKIA") && id.len() == 20, "{id}");
    assert!(secret.len() >= 40);
    let listed = keys.list_access_keys(pb::ListAccessKeysRequest::default()).await.unwrap().into_inner();
    assert!(!contains(&listed.encode_to_vec(), &secret));

    let dump = raw_dump(server.database_url()).await;
    assert!(contains(&dump, "sf-client") && contains(&dump, &id), "the dump holds the rows");
    for secret in [CLIENT_SECRET, API_KEY, secret.as_str()] {
        assert!(!contains(&dump, secret), "plaintext secret in the database");
    }
}

#[tokio::test]
async fn secrets_never_come_back_on_sqlite() {
    secrets_stay_secret(Server::sqlite(&[]).await).await;
}

#[tokio::test]
async fn secrets_never_come_back_on_postgres() {
    if let Some(server) = Server::postgres(&[]).await {
        secrets_stay_secret(server).await;
    }
}
