use identity_data_plane::{Listeners, run};
use identity_testkit::SqliteDb;
use tokio::net::TcpListener;

use crate::support::{DataPlane, config, open_store};

#[tokio::test]
async fn refuses_a_database_nobody_migrated() {
    let db = SqliteDb::create();
    let listeners = Listeners {
        grpc: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        http: TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let err = run(config(&db, &[]), listeners, std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("run `identity-control-plane migrate`"), "{err}");
}

#[tokio::test]
async fn serves_liveness_readiness_and_stops_cleanly() {
    let db = SqliteDb::create();
    open_store(&db).await;
    let plane = DataPlane::start(config(&db, &[])).await;
    for (path, expected) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let response = reqwest::get(format!("http://{}{path}", plane.http)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.text().await.unwrap(), expected);
    }
    plane.stop().await;
}

#[tokio::test]
async fn unreachable_redis_is_a_start_up_error() {
    let db = SqliteDb::create();
    open_store(&db).await;
    let closed = identity_testkit::free_addr();
    let listeners = Listeners {
        grpc: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        http: TcpListener::bind("127.0.0.1:0").await.unwrap(),
    };
    let url = format!("redis://{closed}");
    let err = run(config(&db, &["--redis-url", &url]), listeners, std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("REDIS_URL"), "{err}");
}
