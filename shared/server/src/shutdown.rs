//! Graceful shutdown, in the order a load balancer needs: on the signal, health and readiness
//! turn not-serving first (so no new work is routed here), then after `delay` the listeners stop
//! accepting, and in-flight requests drain for at most `timeout`.

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::sync::watch;
use tonic_health::{ServingStatus, server::HealthReporter};

/// Shared view of a shutdown in progress (cheap to clone).
#[derive(Clone, Debug)]
pub struct Shutdown {
    draining: Arc<AtomicBool>,
    stop: watch::Receiver<bool>,
}

impl Shutdown {
    /// Waits for `signal`, then marks `services` (and the server as a whole) not serving, waits
    /// `delay`, and tells the listeners to stop.
    pub fn start(
        signal: impl Future<Output = ()> + Send + 'static,
        reporter: HealthReporter,
        services: &[&'static str],
        delay: Duration,
    ) -> Self {
        let draining = Arc::new(AtomicBool::new(false));
        let (stop_tx, stop) = watch::channel(false);
        let services = services.to_vec();
        let flag = draining.clone();
        tokio::spawn(async move {
            signal.await;
            flag.store(true, Ordering::SeqCst);
            reporter.set_service_status("", ServingStatus::NotServing).await;
            for service in services {
                reporter.set_service_status(service, ServingStatus::NotServing).await;
            }
            tracing::info!(delay_ms = delay.as_millis() as u64, "draining: not ready any more");
            tokio::time::sleep(delay).await;
            let _ = stop_tx.send(true);
        });
        Self { draining, stop }
    }

    /// Keeps the health of `services` (and the server) following `check`, polled every
    /// `interval`: NOT_SERVING while it fails (the database is unreachable, say), SERVING again
    /// when it passes, until a shutdown begins.
    pub fn watch_readiness<F, Fut>(
        &self,
        reporter: HealthReporter,
        services: &[&'static str],
        interval: Duration,
        check: F,
    ) where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = bool> + Send,
    {
        let this = self.clone();
        let services = services.to_vec();
        tokio::spawn(async move {
            let mut serving = true;
            loop {
                tokio::select! {
                    () = this.stopped() => return,
                    () = tokio::time::sleep(interval) => {}
                }
                let ok = check().await;
                if this.draining() {
                    return;
                }
                if ok != serving {
                    serving = ok;
                    let status = if ok { ServingStatus::Serving } else { ServingStatus::NotServing };
                    if ok {
                        tracing::info!("ready again");
                    } else {
                        tracing::warn!("not ready: a dependency is unreachable");
                    }
                    reporter.set_service_status("", status).await;
                    for service in &services {
                        reporter.set_service_status(service, status).await;
                    }
                }
            }
        });
    }

    /// Whether the signal has come (readiness answers not-ready from then on).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Resolves when the listeners must stop accepting.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stop = self.stop.clone();
        async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }
    }

    /// Runs `servers` to completion, but gives in-flight work at most `timeout` once the
    /// listeners have been told to stop. `None` when the drain was cut short.
    pub async fn bounded<F: Future>(&self, servers: F, timeout: Duration) -> Option<F::Output> {
        let deadline = async {
            self.stopped().await;
            tokio::time::sleep(timeout).await;
        };
        tokio::select! {
            done = servers => Some(done),
            () = deadline => {
                tracing::warn!(timeout_ms = timeout.as_millis() as u64, "drain timed out; exiting with requests still in flight");
                None
            }
        }
    }
}
