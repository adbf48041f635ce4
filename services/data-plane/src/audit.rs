//! The data plane's audit trail: every `IdentityDataService` call (a vend, a refusal or a
//! failure) and every refresh of a user's grant becomes an event in the account's hash-chained
//! audit log, next to the control plane's mutations.
//!
//! Calls do not wait for the database. Their events go into a bounded in-memory queue that one
//! flusher writes in batches within [`AuditSettings::flush_interval`], one transaction per
//! account and batch ([`Store::append_audit_events`]), so each account's chain stays in order.
//! A write that fails is retried with backoff and nothing is lost while the queue has room. A
//! write the database refuses for its data (which retrying cannot fix) is not retried: the
//! account's events are written one at a time, each one refused replaced by a placeholder
//! (`error_reason` [`UNWRITABLE`]), so one bad event never holds up the queue.
//! Room is reserved before a call runs: when there is none, the call is refused with
//! `UNAVAILABLE` before it vends anything (fail closed, as Vault does without a working audit
//! device), unless the operator chose `AUDIT_QUEUE_FULL=drop`, which serves the call and drops
//! (counts and logs) its event. On shutdown the queue is drained before the process exits.
//!
//! [`Audited`] wraps the service (where a call's events are recorded); handlers only add what
//! they learn on the way (the verified workload and user, refreshes) through [`note_workload`]
//! and [`note_refresh`]. [`EdgeAudit`] records what happens outside the calls: the OAuth2
//! callback, and calls refused in front of the service (throttled, or a wrong secret for a known
//! access key), sampled.

mod edge;
mod notes;
mod service;

use std::{
    collections::VecDeque,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use identity_domain::{AccountId, AuditEntry};
use identity_store::{QueuedAuditEvent, Store};
use tokio::sync::{Notify, watch};

pub use edge::EdgeAudit;
pub(crate) use edge::rpc_name;
pub use notes::{note_refresh, note_workload};
pub use service::Audited;

use crate::config::{AuditSettings, WhenAuditQueueFull};

/// Most events written in one transaction.
const MAX_BATCH: usize = 500;
/// First wait after a failed write; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// `error_reason` of an event the database refused, written without its request's fields.
pub const UNWRITABLE: &str = "AuditEventUnwritable";
/// How much of the queue the events recorded outside the calls ([`EdgeAudit`]) may fill, in
/// percent: the rest stays for the calls, so that refused calls can never make every account's
/// vends fail closed.
pub(crate) const EDGE_SHARE_PERCENT: usize = 90;

/// The trace id recorded with a call's event: the current span's OpenTelemetry trace id (32 hex
/// digits), or empty when traces are not exported. Called on the request's task, inside the
/// RPC's span.
pub(crate) fn current_trace_id() -> String {
    identity_telemetry::propagation::current_trace_id().unwrap_or_default()
}

/// Why a call was refused for want of auditing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuditRefusal {
    /// The queue has no room for the call's events.
    Full { depth: usize, capacity: usize },
    /// The data plane is shutting down and writes no more events.
    Closed,
}

/// The queue of events not yet written, shared by the calls (which add) and the flusher.
#[derive(Clone, Debug)]
pub struct AuditLog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    /// Wakes the flusher: an event was queued, a reservation released, or the log closed.
    wake: Notify,
    /// `true` once the log is closing (drain, then stop).
    closing: watch::Sender<bool>,
    settings: AuditSettings,
    dropped: AtomicU64,
    flusher: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct State {
    /// Events in order, each marked when it is its call's last (a batch never splits a call).
    queue: VecDeque<(AccountId, QueuedAuditEvent, bool)>,
    /// Taken by the flusher and not yet written.
    in_flight: usize,
    /// Promised to calls still running.
    reserved: usize,
    closed: bool,
}

impl State {
    fn depth(&self) -> usize {
        self.queue.len() + self.in_flight
    }
}

/// Room for a call's events, taken before the call runs; what is not used is given back on drop.
#[derive(Debug)]
pub(crate) struct Reservation {
    log: AuditLog,
    slots: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.slots > 0 {
            self.log.lock().reserved -= self.slots;
            self.log.inner.wake.notify_one();
        }
    }
}

impl AuditLog {
    /// A log writing to `store`, with its flusher running.
    pub fn start(store: Store, settings: AuditSettings) -> Self {
        let log = Self::unwritten(settings);
        let task = tokio::spawn(flush(log.clone(), store));
        *log.inner.flusher.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
        log
    }

    /// A log with no flusher: its events stay queued (`start` adds the flusher; tests look at
    /// the queue).
    fn unwritten(settings: AuditSettings) -> Self {
        let (closing, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                wake: Notify::new(),
                closing,
                settings,
                dropped: AtomicU64::new(0),
                flusher: Mutex::new(None),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves counters, never a torn event: carry on.
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Events waiting to be written (queued or being written): the queue-depth gauge.
    pub fn depth(&self) -> usize {
        self.lock().depth()
    }

    /// Most events held ([`AuditSettings::capacity`]).
    pub fn capacity(&self) -> usize {
        self.inner.settings.capacity
    }

    /// Events dropped for want of room since start: calls' events with `AUDIT_QUEUE_FULL=drop`,
    /// and sampled refusals ([`EdgeAudit`]) in either mode.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Reserves room for `slots` events of a call about to run. With `AUDIT_QUEUE_FULL=drop` a
    /// full queue gives an empty reservation (the call's events will be dropped) instead of a
    /// refusal.
    pub(crate) fn reserve(&self, slots: usize) -> Result<Reservation, AuditRefusal> {
        let mut state = self.lock();
        let refusal = if state.closed {
            Some(AuditRefusal::Closed)
        } else if state.depth() + state.reserved + slots > self.capacity() {
            Some(AuditRefusal::Full { depth: state.depth(), capacity: self.capacity() })
        } else {
            None
        };
        match (refusal, self.inner.settings.when_full) {
            (None, _) => {
                state.reserved += slots;
                Ok(Reservation { log: self.clone(), slots })
            }
            (Some(refusal), WhenAuditQueueFull::Fail) => Err(refusal),
            (Some(_), WhenAuditQueueFull::Drop) => Ok(Reservation { log: self.clone(), slots: 0 }),
        }
    }

    /// Queues a call's `events` of `account`, one after the other (no other event comes between
    /// them, so a call's events are consecutive in the log), each in the room `reservation`
    /// holds or else in any room left; with neither, an event is dropped and counted.
    pub(crate) fn push(&self, reservation: &mut Reservation, account: &AccountId, events: Vec<QueuedAuditEvent>) {
        let mut dropped = Vec::new();
        let mut state = self.lock();
        let mut kept = 0;
        for event in events {
            if reservation.slots > 0 {
                reservation.slots -= 1;
                state.reserved -= 1;
            } else if state.closed || state.depth() + state.reserved >= self.inner.settings.capacity {
                dropped.push(event.entry.event_name);
                continue;
            }
            state.queue.push_back((account.clone(), event, false));
            kept += 1;
        }
        if kept > 0
            && let Some(last) = state.queue.back_mut()
        {
            last.2 = true;
        }
        let depth = state.depth();
        drop(state);
        identity_telemetry::metrics::set_audit_queue_depth(depth);
        self.inner.wake.notify_one();
        for event in dropped {
            let dropped = self.inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(account = %account, event = %event, dropped, "audit queue full or closed: event dropped");
        }
    }

    /// Queues one event of `account` that has no reservation ([`EdgeAudit`]'s: a refusal made
    /// before the call was audited, an OAuth2 callback): kept while the queue is less than
    /// [`EDGE_SHARE_PERCENT`] full, else dropped and counted.
    pub(crate) fn push_unreserved(&self, account: &AccountId, event: QueuedAuditEvent) {
        let mut state = self.lock();
        let room = self.capacity() * EDGE_SHARE_PERCENT / 100;
        if state.closed || state.depth() + state.reserved >= room {
            drop(state);
            let dropped = self.inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            let event = &event.entry.event_name;
            tracing::warn!(account = %account, event = %event, dropped, "audit queue (nearly) full or closed: event dropped");
            return;
        }
        state.queue.push_back((account.clone(), event, true));
        let depth = state.depth();
        drop(state);
        identity_telemetry::metrics::set_audit_queue_depth(depth);
        self.inner.wake.notify_one();
    }

    /// Stops taking calls' events and writes the queued ones, for at most `timeout`. Returns
    /// how many events could not be written (logged as an error when not 0).
    pub async fn close(&self, timeout: Duration) -> usize {
        self.lock().closed = true;
        self.inner.closing.send_replace(true);
        self.inner.wake.notify_one();
        let task = self.inner.flusher.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(mut task) = task
            && tokio::time::timeout(timeout, &mut task).await.is_err()
        {
            task.abort();
        }
        let (left, dropped) = (self.depth(), self.dropped());
        if left > 0 {
            tracing::error!(
                events = left,
                dropped,
                "audit events not written before shutdown: the database did not take them"
            );
        } else {
            tracing::info!(dropped, "audit queue drained");
        }
        left
    }

    /// About [`MAX_BATCH`] queued events (whole calls), now in flight, grouped by account in
    /// queue order.
    fn take_batch(&self) -> Vec<(AccountId, Vec<QueuedAuditEvent>)> {
        let mut state = self.lock();
        let mut n = state.queue.len().min(MAX_BATCH);
        while n < state.queue.len() && !state.queue[n - 1].2 {
            n += 1;
        }
        state.in_flight += n;
        let mut groups: Vec<(AccountId, Vec<QueuedAuditEvent>)> = Vec::new();
        for (account, event, _) in state.queue.drain(..n) {
            match groups.iter_mut().find(|(a, _)| *a == account) {
                Some((_, events)) => events.push(event),
                None => groups.push((account, vec![event])),
            }
        }
        groups
    }

    /// Whether the flusher may stop: closing, and nothing queued or promised.
    fn drained(&self) -> bool {
        let state = self.lock();
        state.closed && state.queue.is_empty() && state.reserved == 0
    }
}

/// The flusher: waits for events, lets a batch gather for the flush interval (not when
/// closing, nor when a full batch waits), and writes it, account by account ([`write`]).
async fn flush(log: AuditLog, store: Store) {
    let mut closing = log.inner.closing.subscribe();
    loop {
        if log.lock().queue.is_empty() {
            if log.drained() {
                return;
            }
            log.inner.wake.notified().await;
            continue;
        }
        // A batch gathers for the flush interval, unless a full one is already waiting (a backlog
        // is written batch after batch, not one batch per interval).
        let full = log.lock().queue.len() >= MAX_BATCH;
        if !full && !*closing.borrow() {
            tokio::select! {
                () = tokio::time::sleep(log.inner.settings.flush_interval) => {}
                _ = closing.wait_for(|closing| *closing) => {}
            }
        }
        for (account, events) in log.take_batch() {
            write(&log, &store, &account, &events).await;
            let depth = {
                let mut state = log.lock();
                state.in_flight -= events.len();
                state.depth()
            };
            identity_telemetry::metrics::set_audit_queue_depth(depth);
        }
    }
}

/// Writes an account's batch. While the database fails (unreachable, overloaded), the batch is
/// retried with backoff until it is written. When it refuses the data itself (a data exception
/// or a constraint violation: [`identity_store::StoreError::data_error_code`]), the same batch
/// would fail forever and hold up every account's events behind it: its events are written one
/// at a time instead, each one refused replaced by its [`placeholder`], so the chain goes on.
async fn write(log: &AuditLog, store: &Store, account: &AccountId, events: &[QueuedAuditEvent]) {
    let Err(code) = append(log, store, account, events).await else { return };
    tracing::warn!(
        account = %account,
        events = events.len(),
        code,
        "the database refused an audit batch; writing its events one at a time"
    );
    for event in events {
        let Err(code) = append(log, store, account, std::slice::from_ref(event)).await else { continue };
        // The event's own fields are not logged: they are what the database refused.
        match append(log, store, account, &[placeholder(event)]).await {
            Ok(()) => tracing::error!(
                account = %account, event_id = %event.event_id, event = %event.entry.event_name, code,
                "the database refused an audit event: recorded without its request fields"
            ),
            Err(again) => tracing::error!(
                account = %account, event_id = %event.event_id, event = %event.entry.event_name, code, again,
                "the database refused an audit event and its placeholder: event lost"
            ),
        }
    }
}

/// Appends `events` in one transaction, retrying with backoff while the database fails; gives
/// up only when it refuses the data, with the database's code.
async fn append(log: &AuditLog, store: &Store, account: &AccountId, events: &[QueuedAuditEvent]) -> Result<(), String> {
    let mut backoff = MIN_BACKOFF;
    loop {
        let e = match store.append_audit_events(account, events).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if let Some(code) = e.data_error_code() {
            return Err(code);
        }
        tracing::warn!(
            error = %e,
            account = %account,
            events = events.len(),
            queued = log.depth(),
            retry_ms = backoff.as_millis() as u64,
            "audit events not written yet; retrying"
        );
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// What is written in place of an event the database refused: the same event (id, time, caller,
/// operation, outcome) without the fields a request can fill (workload, provider, scopes, error
/// reason), its `error_reason` saying so.
fn placeholder(event: &QueuedAuditEvent) -> QueuedAuditEvent {
    // What is kept is the service's own (ids, names, hashes); control characters go all the same.
    let own = |value: &str| -> String { value.chars().filter(|c| !c.is_control()).take(256).collect() };
    let entry = &event.entry;
    QueuedAuditEvent {
        event_id: own(&event.event_id),
        event_time: event.event_time,
        principal: own(&event.principal),
        trace_id: own(&event.trace_id),
        entry: AuditEntry {
            event_name: own(&entry.event_name),
            access_key_id: own(&entry.access_key_id),
            workload_name: String::new(),
            provider_name: String::new(),
            user_hash: own(&entry.user_hash),
            resource_arn: String::new(),
            oauth2_flow: own(&entry.oauth2_flow),
            scopes: Vec::new(),
            outcome: entry.outcome,
            error_reason: UNWRITABLE.to_owned(),
        },
    }
}
