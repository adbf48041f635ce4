//! The data plane served in-process: it refuses an unmigrated database, serves health,
//! readiness and reflection, and answers the vending RPCs with UNIMPLEMENTED until they land.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use clap::Parser;
use identity_data_plane::{Listeners, ServeArgs, run};
use identity_proto::v1::{GetWorkloadAccessTokenRequest, identity_data_service_client::IdentityDataServiceClient};
use identity_testkit::SqliteDb;
use tokio::net::TcpListener;

const MASTER_KEYS: &str = "k1:q83vEjRWeJq8mRBzLZQ2H9K5dWUuM7JX3NQ7Yx+1AJs=";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn config(db: &SqliteDb) -> identity_data_plane::Config {
    Cli::parse_from(["identity-data-plane", "--database-url", &db.url, "--master-keys", MASTER_KEYS])
        .serve
        .resolve()
        .unwrap()
}

async fn listeners() -> Listeners {
    Listeners {
        grpc: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        http: TcpListener::bind("127.0.0.1:0").await.unwrap(),
    }
}

#[tokio::test]
async fn refuses_a_database_nobody_migrated() {
    let db = SqliteDb::create();
    let err = run(config(&db), listeners().await, std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("run `identity-control-plane migrate`"), "{err}");
}

#[tokio::test]
async fn serves_health_readiness_and_unimplemented_vending() {
    let db = SqliteDb::create();
    let config = config(&db);
    identity_control_plane_free_migrate(&config).await;
    let listeners = listeners().await;
    let (grpc, http) = (listeners.grpc.local_addr().unwrap(), listeners.http.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(run(config, listeners, async move { drop(stopped.await) }));

    let channel = loop {
        if let Ok(channel) = tonic::transport::Channel::from_shared(format!("http://{grpc}")).unwrap().connect().await {
            break channel;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

    let err = IdentityDataServiceClient::new(channel)
        .get_workload_access_token(GetWorkloadAccessTokenRequest { workload_name: "agent".to_owned() })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);

    for (path, expected) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = reqwest::get(format!("http://{http}{path}")).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), expected);
    }

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

/// Applies the schema the way the control plane does, through the store.
async fn identity_control_plane_free_migrate(config: &identity_data_plane::Config) {
    let store =
        config.storage.open(std::sync::Arc::new(identity_server::SystemClock), Default::default()).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
}
