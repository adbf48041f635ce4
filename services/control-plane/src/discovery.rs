//! Background discovery for custom OAuth2 providers: fetch and check the discovery document,
//! then record ACTIVE with the endpoints, or FAILED with the reason. A newer update of the
//! provider supersedes an older discovery (the store checks the provider's version).

use std::time::Duration;

use identity_domain::AccountId;
use identity_outbound::{OutboundClient, discover_authorization_server};
use identity_store::Store;

/// Longest a discovery may take before the provider is marked FAILED.
const DISCOVERY_DEADLINE: Duration = Duration::from_secs(30);

/// Starts discoveries in the background.
#[derive(Clone, Debug)]
pub struct Discovery {
    store: Store,
    client: OutboundClient,
}

impl Discovery {
    /// Discovery through `client`, recorded in `store`.
    pub fn new(store: Store, client: OutboundClient) -> Self {
        Self { store, client }
    }

    /// Fetches `url` for provider `id` (at `version`) in the background.
    pub fn start(&self, account: AccountId, id: String, version: i64, url: String) {
        let this = self.clone();
        tokio::spawn(async move {
            let outcome =
                match tokio::time::timeout(DISCOVERY_DEADLINE, discover_authorization_server(&this.client, &url)).await
                {
                    Ok(Ok(metadata)) => Ok(metadata),
                    Ok(Err(e)) => Err(format!("discovery failed: {e}")),
                    Err(_) => Err(format!("discovery failed: no answer within {}s", DISCOVERY_DEADLINE.as_secs())),
                };
            match &outcome {
                Ok(_) => {
                    tracing::info!(account = %account, provider_id = %id, "provider discovery succeeded")
                }
                Err(reason) => {
                    tracing::warn!(account = %account, provider_id = %id, %reason, "provider discovery failed")
                }
            }
            if let Err(e) = this.store.complete_provider_discovery(&account, &id, version, outcome).await {
                tracing::error!(account = %account, provider_id = %id, error = %e, "cannot record provider discovery");
            }
        });
    }

    /// Restarts discoveries left unfinished by a previous process.
    pub async fn resume(&self) -> Result<usize, identity_store::StoreError> {
        let pending = self.store.pending_discoveries().await?;
        let count = pending.len();
        for (provider, version) in pending {
            if let identity_domain::ProviderConfig::Oauth2(config) = provider.config
                && let Some(url) = config.discovery.discovery_url
            {
                self.start(provider.account, provider.id, version, url);
            }
        }
        Ok(count)
    }
}
