//! The per-account rate limit across two data planes sharing Redis: their combined accepted
//! calls stay at the limit in every one-second window, and the rest are refused with
//! `RESOURCE_EXHAUSTED` / `ThrottlingException` and `RetryInfo`.
//!
//! Timing-robust: each call is stamped with the window (Unix second) in which it was sent and
//! the one in which its answer came. The server decided somewhere in between, so a call sent and
//! answered in the same window is certainly counted there; one straddling a boundary may belong
//! to either window and is only used for the lower bound. Nothing depends on how fast this
//! machine is, as long as it sends more than the limit per second.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use identity_proto::v1 as pb;
use identity_testkit::{SqliteDb, unique_suffix};
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::support::{DataPlane, access_key, account_a, account_b, config, error_of, open_store, workload};

const LIMIT: u64 = 20;
/// How long the load runs: at least two whole windows in the middle.
const RUN: Duration = Duration::from_millis(3500);
/// Concurrent callers, spread over the two planes.
const CALLERS: usize = 8;

/// The current window (Unix second), as the server counts it.
#[allow(clippy::disallowed_methods)] // The test compares its own clock with the server's windows.
fn window_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[derive(Debug, Default)]
struct Tally {
    /// Accepted calls sent and answered within one window.
    certain: BTreeMap<u64, u64>,
    /// Accepted calls whose window is one of two: keyed by the earlier.
    straddling: BTreeMap<u64, u64>,
    /// Accepted calls per plane.
    accepted_by_plane: [u64; 2],
    /// Throttled calls per plane.
    throttled_by_plane: [u64; 2],
    /// Anything else that went wrong.
    unexpected: Vec<String>,
}

type Client = pb::identity_data_service_client::IdentityDataServiceClient<
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, crate::support::Bearer>,
>;

async fn wat(client: &mut Client) -> Result<(), tonic::Status> {
    client
        .get_workload_access_token(pb::GetWorkloadAccessTokenRequest { workload_name: "agent-x".to_owned() })
        .await
        .map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_data_planes_sharing_redis_hold_an_account_to_its_limit_together() {
    let Some(redis) = identity_testkit::redis_url().await else { return };
    let db = SqliteDb::create();
    let store = open_store(&db).await;
    let (a, b) = (account_a(), account_b());
    workload(&store, &a, "agent-x").await;
    workload(&store, &b, "agent-x").await;
    let key_a = access_key(&store, &a, "AKIARATELIMITAAAAAAA", &[]).await;
    let key_b = access_key(&store, &b, "AKIARATELIMITBBBBBBB", &[]).await;
    let prefix = format!("ratelimit-test:{}:", unique_suffix());
    let limit = LIMIT.to_string();
    let flags = ["--redis-url", &redis, "--redis-key-prefix", &prefix, "--rate-limit-per-second", &limit];
    let planes = [DataPlane::start(config(&db, &flags)).await, DataPlane::start(config(&db, &flags)).await];
    let mut clients = Vec::new();
    for plane in &planes {
        let mut client = plane.client(Some(&key_a)).await;
        // The account's signing key exists before the load starts (one call may be throttled
        // if this lands in a busy window; either way the key is made).
        let _ = wat(&mut client).await;
        clients.push(client);
    }

    let tally = Arc::new(Mutex::new(Tally::default()));
    let start = tokio::time::Instant::now();
    let callers: Vec<_> = (0..CALLERS)
        .map(|n| {
            let (mut client, tally) = (clients[n % 2].clone(), tally.clone());
            tokio::spawn(async move {
                while start.elapsed() < RUN {
                    let sent = window_now();
                    let outcome = wat(&mut client).await;
                    let answered = window_now();
                    let mut tally = tally.lock().unwrap();
                    match outcome {
                        Ok(()) => {
                            tally.accepted_by_plane[n % 2] += 1;
                            let bucket = if sent == answered { &mut tally.certain } else { &mut tally.straddling };
                            *bucket.entry(sent).or_default() += 1;
                        }
                        Err(status) => {
                            let (code, reason, _) = error_of(&status);
                            let delay = status.get_error_details().retry_info().and_then(|r| r.retry_delay);
                            let delay_ok = delay.is_some_and(|d| d > Duration::ZERO && d <= Duration::from_secs(1));
                            if code == Code::ResourceExhausted && reason == "ThrottlingException" && delay_ok {
                                tally.throttled_by_plane[n % 2] += 1;
                            } else {
                                tally.unexpected.push(format!("{code:?} {reason} {delay:?}: {}", status.message()));
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    assert!(tally.unexpected.is_empty(), "unexpected answers: {:?}", tally.unexpected);

    // Never more than the limit in a window, both planes together.
    for (window, accepted) in &tally.certain {
        assert!(*accepted <= LIMIT, "window {window}: {accepted} calls accepted, limit {LIMIT}: {tally:?}");
    }
    // And the limit is reached, not just refused: a window wholly inside the run (not the first
    // or the last) accepted the limit, counting the calls that straddle its edges. Not every
    // window must: on a loaded machine a caller may stall for a second and miss one.
    let windows: Vec<u64> = tally.certain.keys().chain(tally.straddling.keys()).copied().collect();
    let (first, last) = (*windows.iter().min().unwrap(), *windows.iter().max().unwrap());
    assert!(last >= first + 2, "the run covered a whole window: {tally:?}");
    let reached = (first + 1..last).any(|window| {
        let certain = tally.certain.get(&window).copied().unwrap_or_default();
        let edges = tally.straddling.get(&(window - 1)).copied().unwrap_or_default()
            + tally.straddling.get(&window).copied().unwrap_or_default();
        certain + edges >= LIMIT
    });
    assert!(reached, "no whole window accepted {LIMIT} calls: {tally:?}");
    // Both planes served and both refused: the budget is shared, not per plane.
    assert!(tally.accepted_by_plane.iter().all(|n| *n > 0), "{tally:?}");
    assert!(tally.throttled_by_plane.iter().all(|n| *n > 0), "{tally:?}");

    // Another account has its own budget, untouched by the load.
    let mut other = planes[0].client(Some(&key_b)).await;
    wat(&mut other).await.unwrap();
}
