//! Control-plane changes reach every data-plane replica promptly: two replicas sharing Redis and
//! Postgres, their caches warm, see a rotated API key, and refuse a deleted access key, workload
//! identity and provider, within 2 seconds of the control plane's answer (the cache generations
//! of `generations.rs`, polled every 500 ms).

use std::time::Duration;

use identity_proto::v1::{self as pb, get_api_key_credential_request::CredentialProvider};
use tonic::Code;

use crate::{
    cluster::{Cluster, admin, create_access_key, create_api_key_provider, create_workload, within},
    support::{DataPlane, error_of},
};

/// The bound the issue sets.
const LIMIT: Duration = Duration::from_secs(2);

async fn wat(plane: &DataPlane, key: &str, workload: &str) -> String {
    let request = pb::GetWorkloadAccessTokenRequest { workload_name: workload.to_owned() };
    plane.client(Some(key)).await.get_workload_access_token(request).await.unwrap().into_inner().workload_access_token
}

async fn api_key(plane: &DataPlane, key: &str, wat: &str) -> Result<String, tonic::Status> {
    let request = pb::GetApiKeyCredentialRequest {
        workload_identity_token: wat.to_owned(),
        credential_provider: Some(CredentialProvider::ResourceCredentialProviderName("Service".to_owned())),
    };
    plane.client(Some(key)).await.get_api_key_credential(request).await.map(|r| r.into_inner().api_key)
}

/// Uses everything once more on every replica, so that what the next change affects is cached.
async fn warm(c: &Cluster, key: &str, doomed_key: &str, wats: &[(String, String)], doomed_wat_alive: bool) {
    for (plane, (wat, doomed_wat)) in c.planes.iter().zip(wats) {
        api_key(plane, key, wat).await.unwrap();
        api_key(plane, doomed_key, wat).await.unwrap();
        if doomed_wat_alive {
            api_key(plane, key, doomed_wat).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_reach_every_replica_within_two_seconds() {
    let Some(c) = Cluster::start(2, None).await else { return };
    create_workload(&c, "agent", &[]).await;
    create_workload(&c, "doomed-agent", &[]).await;
    create_api_key_provider(&c, "Service", "api-key-v1").await;
    let (key, _) = create_access_key(&c).await;
    let (doomed_key, doomed_key_id) = create_access_key(&c).await;
    let mut providers = pb::credential_provider_service_client::CredentialProviderServiceClient::new(c.control().await);

    // Warm every cache on both replicas: the API key (Redis), the callers' keys and workloads
    // (in process).
    let mut wats = Vec::new();
    for plane in &c.planes {
        let wat = wat(plane, &key, "agent").await;
        assert_eq!(api_key(plane, &key, &wat).await.unwrap(), "api-key-v1");
        assert_eq!(api_key(plane, &doomed_key, &wat).await.unwrap(), "api-key-v1");
        let doomed_wat = self::wat(plane, &key, "doomed-agent").await;
        assert_eq!(api_key(plane, &key, &doomed_wat).await.unwrap(), "api-key-v1");
        wats.push((wat, doomed_wat));
    }

    // A rotated API key.
    let update = pb::UpdateCredentialProviderRequest {
        name: "Service".to_owned(),
        config: Some(pb::update_credential_provider_request::Config::ApiKeyProviderConfigInput(
            pb::ApiKeyProviderConfigInput { api_key: "api-key-v2".to_owned(), ..Default::default() },
        )),
        ..Default::default()
    };
    providers.update_credential_provider(admin(update)).await.unwrap();
    let took = within(LIMIT, "the rotated API key on both replicas", || async {
        let mut all = true;
        for (plane, (wat, _)) in c.planes.iter().zip(&wats) {
            all &= api_key(plane, &key, wat).await.unwrap() == "api-key-v2";
        }
        all
    })
    .await;
    eprintln!("rotated API key served by both replicas after {took:?}");

    // A deleted access key.
    warm(&c, &key, &doomed_key, &wats, true).await;
    pb::access_key_service_client::AccessKeyServiceClient::new(c.control().await)
        .delete_access_key(admin(pb::DeleteAccessKeyRequest { access_key_id: doomed_key_id }))
        .await
        .unwrap();
    let took = within(LIMIT, "the deleted access key refused on both replicas", || async {
        let mut all = true;
        for (plane, (wat, _)) in c.planes.iter().zip(&wats) {
            all &= api_key(plane, &doomed_key, wat).await.is_err_and(|e| e.code() == Code::Unauthenticated);
        }
        all
    })
    .await;
    eprintln!("deleted access key refused by both replicas after {took:?}");

    // A deleted workload identity: the WATs minted for it before are refused.
    warm(&c, &key, &key, &wats, true).await;
    pb::workload_identity_service_client::WorkloadIdentityServiceClient::new(c.control().await)
        .delete_workload_identity(admin(pb::DeleteWorkloadIdentityRequest { name: "doomed-agent".to_owned() }))
        .await
        .unwrap();
    let took = within(LIMIT, "the deleted workload identity's WATs refused on both replicas", || async {
        let mut all = true;
        for (plane, (_, doomed_wat)) in c.planes.iter().zip(&wats) {
            all &= api_key(plane, &key, doomed_wat).await.is_err_and(|e| error_of(&e).1 == "InvalidToken");
        }
        all
    })
    .await;
    eprintln!("deleted workload identity refused by both replicas after {took:?}");

    // A deleted provider.
    warm(&c, &key, &key, &wats, false).await;
    providers
        .delete_credential_provider(admin(pb::DeleteCredentialProviderRequest { name: "Service".to_owned() }))
        .await
        .unwrap();
    let took = within(LIMIT, "the deleted provider refused on both replicas", || async {
        let mut all = true;
        for (plane, (wat, _)) in c.planes.iter().zip(&wats) {
            all &= api_key(plane, &key, wat).await.is_err_and(|e| error_of(&e).1 == "ProviderNotFound");
        }
        all
    })
    .await;
    eprintln!("deleted provider refused by both replicas after {took:?}");

    // The other callers and workloads were never disturbed.
    for (plane, (wat, _)) in c.planes.iter().zip(&wats) {
        let again = self::wat(plane, &key, "agent").await;
        assert!(!again.is_empty() && !wat.is_empty());
    }
}
