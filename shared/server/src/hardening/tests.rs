use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use http::{Request, Response};
use tokio::sync::{mpsc, oneshot};
use tonic::Code;
use tonic_types::StatusExt as _;
use tower::{Layer, Service, ServiceExt as _};

use super::{Hardening, HardeningArgs};

fn hardening(timeout: Duration, max_concurrent_requests: usize) -> Hardening {
    Hardening { max_message_bytes: 1 << 20, request_timeout: timeout, max_concurrent_requests }
}

fn request(path: &str) -> Request<()> {
    Request::builder().uri(path).body(()).unwrap()
}

/// The gRPC status in a response's headers (trailers-only responses), if any.
fn status_of(response: &Response<String>) -> Option<tonic::Status> {
    tonic::Status::from_header_map(response.headers())
}

const RPC: &str = "/agentcore.identity.v1.IdentityDataService/GetApiKeyCredential";

#[tokio::test]
async fn a_handler_slower_than_the_timeout_is_answered_deadline_exceeded() {
    let never = tower::service_fn(|_: Request<()>| async {
        std::future::pending::<()>().await;
        Ok::<_, std::convert::Infallible>(Response::new("late".to_owned()))
    });
    let mut service = hardening(Duration::from_millis(50), 8).deadline().layer(never);
    let response = service.ready().await.unwrap().call(request(RPC)).await.unwrap();
    let status = status_of(&response).expect("a gRPC status");
    assert_eq!(status.code(), Code::DeadlineExceeded);
    let info = status.get_error_details().error_info().cloned().expect("ErrorInfo");
    assert_eq!(info.reason, "RequestTimeoutException");
    assert_eq!(info.metadata.get("timeout_ms").map(String::as_str), Some("50"));
}

#[tokio::test]
async fn a_handler_within_the_timeout_answers_itself() {
    let quick = tower::service_fn(|_: Request<()>| async {
        Ok::<_, std::convert::Infallible>(Response::new("done".to_owned()))
    });
    let mut service = hardening(Duration::from_secs(30), 8).deadline().layer(quick);
    let response = service.ready().await.unwrap().call(request(RPC)).await.unwrap();
    assert!(status_of(&response).is_none());
    assert_eq!(response.body(), "done");
}

/// A handler that reports each call on `entered` and then waits for the gate to open.
fn gated() -> (
    impl Service<Request<()>, Response = Response<String>, Error = std::convert::Infallible, Future: Send>
    + Clone
    + Send
    + 'static,
    mpsc::UnboundedReceiver<()>,
    oneshot::Sender<()>,
) {
    let (entered_tx, entered) = mpsc::unbounded_channel();
    let (open, gate) = oneshot::channel::<()>();
    let gate = Arc::new(Mutex::new(Some(gate)));
    let service = tower::service_fn(move |_: Request<()>| {
        let entered_tx = entered_tx.clone();
        let gate = gate.lock().unwrap().take();
        async move {
            let _ = entered_tx.send(());
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            Ok(Response::new("served".to_owned()))
        }
    });
    (service, entered, open)
}

#[tokio::test]
async fn beyond_the_concurrency_limit_a_request_is_shed_at_once_with_retry_info() {
    let (handler, mut entered, open) = gated();
    let service = hardening(Duration::from_secs(30), 1).admission().layer(handler);

    // The first request takes the only permit and waits at the gate.
    let first = tokio::spawn(service.clone().oneshot(request(RPC)));
    entered.recv().await.unwrap();

    // The second is refused without reaching the handler.
    let shed = service.clone().oneshot(request(RPC)).await.unwrap();
    let status = status_of(&shed).expect("a gRPC status");
    assert_eq!(status.code(), Code::Unavailable);
    let details = status.get_error_details();
    assert_eq!(details.error_info().unwrap().reason, "ServiceUnavailableException");
    assert!(details.retry_info().and_then(|r| r.retry_delay).is_some(), "RetryInfo with a delay");
    assert!(entered.try_recv().is_err(), "the shed request never reached the handler");

    // Health checks are not counted.
    let health = service.clone().oneshot(request("/grpc.health.v1.Health/Check")).await.unwrap();
    assert_eq!(health.body(), "served");

    // Once the first finishes, its permit serves the next request.
    open.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap().body(), "served");
    let after = service.clone().oneshot(request(RPC)).await.unwrap();
    assert!(status_of(&after).is_none());
    assert_eq!(after.body(), "served");
}

fn args(max_message_bytes: usize, request_timeout: u64, max_concurrent_requests: usize) -> HardeningArgs {
    HardeningArgs { max_message_bytes, request_timeout, max_concurrent_requests }
}

#[test]
fn settings_are_validated() {
    let ok = args(4 << 20, 30, 1024).resolve().unwrap();
    assert_eq!(
        ok,
        Hardening {
            max_message_bytes: 4 << 20,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 1024
        }
    );
    for (bad, named) in [
        (args(100, 30, 1024), "MAX_MESSAGE_BYTES"),
        (args(1 << 30, 30, 1024), "MAX_MESSAGE_BYTES"),
        (args(4 << 20, 0, 1024), "REQUEST_TIMEOUT"),
        (args(4 << 20, 30, 0), "MAX_CONCURRENT_REQUESTS"),
    ] {
        let err = bad.resolve().unwrap_err();
        assert!(err.to_string().contains(named), "{err}");
    }
}

fn http_request(method: &str, path: &str, body: String) -> Request<axum::body::Body> {
    Request::builder().method(method).uri(path).body(axum::body::Body::from(body)).unwrap()
}

#[tokio::test]
async fn the_http_listener_times_out_slow_handlers_and_refuses_large_bodies() {
    let router = axum::Router::new()
        .route("/slow", axum::routing::get(std::future::pending::<&'static str>))
        .route("/echo", axum::routing::post(|body: String| async move { body.len().to_string() }));
    let router = hardening(Duration::from_millis(50), 8).http(router);

    let slow = router.clone().oneshot(http_request("GET", "/slow", String::new())).await.unwrap();
    assert_eq!(slow.status(), http::StatusCode::SERVICE_UNAVAILABLE);

    let small = router.clone().oneshot(http_request("POST", "/echo", "x".repeat(100))).await.unwrap();
    assert_eq!(small.status(), http::StatusCode::OK);
    let large = "x".repeat(super::HTTP_MAX_BODY_BYTES + 1);
    let refused = router.oneshot(http_request("POST", "/echo", large)).await.unwrap();
    assert_eq!(refused.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_http_listener_sheds_load_beyond_the_limit_except_health() {
    let (entered_tx, mut entered) = mpsc::unbounded_channel::<()>();
    let (open, gate) = oneshot::channel::<()>();
    let gate = Arc::new(Mutex::new(Some(gate)));
    let held = move || {
        let (entered_tx, gate) = (entered_tx.clone(), gate.lock().unwrap().take());
        async move {
            let _ = entered_tx.send(());
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            "served"
        }
    };
    let router = axum::Router::new()
        .route("/.well-known/jwks.json", axum::routing::get(held))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/readyz", axum::routing::get(|| async { "ready" }))
        .route("/metrics", axum::routing::get(|| async { "# EOF" }));
    let router = hardening(Duration::from_secs(30), 1).http(router);
    let get = |path: &str| router.clone().oneshot(http_request("GET", path, String::new()));

    // The first request takes the only permit and waits at the gate.
    let first = tokio::spawn(get("/.well-known/jwks.json"));
    entered.recv().await.unwrap();

    // The second is refused at once, told when to retry, without reaching the handler.
    let shed = get("/.well-known/jwks.json").await.unwrap();
    assert_eq!(shed.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    let retry_after = shed.headers().get(http::header::RETRY_AFTER).expect("Retry-After");
    assert!(retry_after.to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert!(entered.try_recv().is_err(), "the shed request never reached the handler");

    // Health is not counted.
    assert_eq!(get("/healthz").await.unwrap().status(), http::StatusCode::OK);
    assert_eq!(get("/readyz").await.unwrap().status(), http::StatusCode::OK);
    assert_eq!(get("/metrics").await.unwrap().status(), http::StatusCode::OK, "scrapes are not shed");

    // Once the first finishes, its permit serves the next request.
    open.send(()).unwrap();
    assert_eq!(first.await.unwrap().unwrap().status(), http::StatusCode::OK);
    assert_eq!(get("/.well-known/jwks.json").await.unwrap().status(), http::StatusCode::OK);
}
