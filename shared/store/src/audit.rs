//! The audit log: every mutation appends its record inside the transaction of the change it
//! records, so a change and its record commit or roll back together. Records are numbered per
//! account and hash-chained (`identity_crypto::audit_hash`); the account-row lock taken by
//! `begin_write` serialises appends, so sequence numbers have no gaps and no duplicates. The
//! data plane's vends are recorded after the fact, in batches ([`Store::append_audit_events`]),
//! on the same chain and under the same lock.
//!
//! [`Store::verify_audit_chain`] finds a record altered in place or deleted from the middle. It
//! cannot find records cut off the end of the log, nor a log rewritten with recomputed hashes by
//! someone with write access to the database: anchor the latest hash elsewhere for that.

use std::sync::Arc;

use identity_crypto::{ChainVerifier, VerifyReport, audit_hash};
use identity_domain::{
    AccountId, Arns, AuditEntry, AuditFilter, AuditOutcome, AuditRecord, DEFAULT_REGION, Page, UnixMillis,
};
use sqlx::{Any, Row as _, Transaction, any::AnyRow};

use crate::{
    Result, Store, StoreError, new_id,
    rows::{from_json, to_json},
};

const COLUMNS: &str = "account_id, sequence, event_id, event_time, event_name, principal, access_key_id, workload_name, \
                       provider_name, user_hash, resource_arn, oauth2_flow, scopes, outcome, error_reason, trace_id, \
                       previous_hash, hash";

/// Rows read per query while verifying a chain.
const VERIFY_BATCH: i64 = 1_000;

/// Who is changing things, for the audit records of the changes: set once per request with
/// [`Store::acting_as`].
#[derive(Clone, Debug)]
pub struct AuditContext {
    /// `admin:<token name>`, `admin:bootstrap`, `system:<task>`.
    pub principal: String,
    /// OpenTelemetry trace id of the call (empty when not traced).
    pub trace_id: String,
    /// How resource ARNs are written in records.
    pub arns: Arns,
}

impl AuditContext {
    /// Changes made by `principal`, not traced.
    pub fn new(principal: impl Into<String>, arns: Arns) -> Self {
        Self { principal: principal.into(), trace_id: String::new(), arns }
    }

    /// Changes made by the service itself (`system:<task>`).
    pub fn system(task: &str, arns: Arns) -> Self {
        Self::new(format!("system:{task}"), arns)
    }
}

impl Default for AuditContext {
    /// A store nobody said who acts through: its records say `system`.
    fn default() -> Self {
        Self::new("system", Arns::new(DEFAULT_REGION))
    }
}

/// An event recorded after the fact (the data plane queues its vends' events and writes them in
/// batches): id, time, author and trace are fixed when it happens, so a retried write of the
/// same batch is recognised, and the log says when the operation happened, not when it was
/// written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedAuditEvent {
    /// Unique id of the event.
    pub event_id: String,
    /// When the operation happened.
    pub event_time: UnixMillis,
    /// Who did it (e.g. `access-key:<id>`).
    pub principal: String,
    /// OpenTelemetry trace id of the call (empty when not traced).
    pub trace_id: String,
    /// What happened.
    pub entry: AuditEntry,
}

impl QueuedAuditEvent {
    /// An event with a fresh id.
    pub fn new(event_time: UnixMillis, principal: String, trace_id: String, entry: AuditEntry) -> Result<Self> {
        Ok(Self { event_id: new_id("ev-")?, event_time, principal, trace_id, entry })
    }
}

fn decode(row: &AnyRow) -> Result<AuditRecord> {
    let sequence: i64 = row.try_get("sequence")?;
    let outcome: String = row.try_get("outcome")?;
    Ok(AuditRecord {
        account_id: row.try_get("account_id")?,
        sequence: u64::try_from(sequence).map_err(|_| StoreError::Corrupt(format!("audit sequence {sequence}")))?,
        event_id: row.try_get("event_id")?,
        event_time: row.try_get("event_time")?,
        principal: row.try_get("principal")?,
        trace_id: row.try_get("trace_id")?,
        entry: AuditEntry {
            event_name: row.try_get("event_name")?,
            access_key_id: row.try_get("access_key_id")?,
            workload_name: row.try_get("workload_name")?,
            provider_name: row.try_get("provider_name")?,
            user_hash: row.try_get("user_hash")?,
            resource_arn: row.try_get("resource_arn")?,
            oauth2_flow: row.try_get("oauth2_flow")?,
            scopes: from_json(row, "scopes")?,
            outcome: AuditOutcome::parse(&outcome)
                .ok_or_else(|| StoreError::Corrupt(format!("audit outcome {outcome}")))?,
            error_reason: row.try_get("error_reason")?,
        },
        previous_hash: row.try_get("previous_hash")?,
        hash: row.try_get("hash")?,
    })
}

fn to_i64(sequence: u64) -> Result<i64> {
    i64::try_from(sequence).map_err(|_| StoreError::Corrupt(format!("audit sequence {sequence}")))
}

/// The sequence number the next record of `account` takes, and the hash it links to.
async fn last_link(tx: &mut Transaction<'static, Any>, account: &AccountId) -> Result<(u64, String)> {
    let last =
        sqlx::query("SELECT sequence, hash FROM audit_events WHERE account_id = $1 ORDER BY sequence DESC LIMIT 1")
            .bind(account.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    match last {
        Some(row) => {
            let sequence: i64 = row.try_get("sequence")?;
            let next = u64::try_from(sequence)
                .ok()
                .and_then(|s| s.checked_add(1))
                .ok_or_else(|| StoreError::Corrupt(format!("audit sequence {sequence}")))?;
            Ok((next, row.try_get("hash")?))
        }
        None => Ok((1, String::new())),
    }
}

/// Columns of an `audit_events` row, in [`COLUMNS`] order.
const COLUMN_COUNT: usize = 18;
/// Rows per `INSERT` when a batch is appended: a tenth of the statements (and of Postgres's
/// round trips) of one row each. Not more: SQLite finds each bound parameter's name by a linear
/// scan, so binding costs grow with the square of a statement's parameters.
const ROWS_PER_INSERT: usize = 10;

async fn insert(tx: &mut Transaction<'static, Any>, record: &AuditRecord) -> Result<()> {
    insert_all(tx, std::slice::from_ref(record)).await
}

/// Inserts `records`, [`ROWS_PER_INSERT`] to a statement.
async fn insert_all(tx: &mut Transaction<'static, Any>, records: &[AuditRecord]) -> Result<()> {
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let rows = (0..chunk.len())
            .map(|row| {
                let placeholders = (1..=COLUMN_COUNT).map(|column| format!("${}", row * COLUMN_COUNT + column));
                format!("({})", placeholders.collect::<Vec<_>>().join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO audit_events ({COLUMNS}) VALUES {rows}");
        let mut query = sqlx::query(&sql);
        for record in chunk {
            let e = &record.entry;
            query = query
                .bind(&record.account_id)
                .bind(to_i64(record.sequence)?)
                .bind(&record.event_id)
                .bind(record.event_time)
                .bind(&e.event_name)
                .bind(&record.principal)
                .bind(&e.access_key_id)
                .bind(&e.workload_name)
                .bind(&e.provider_name)
                .bind(&e.user_hash)
                .bind(&e.resource_arn)
                .bind(&e.oauth2_flow)
                .bind(to_json(&e.scopes)?)
                .bind(e.outcome.as_str())
                .bind(&e.error_reason)
                .bind(&record.trace_id)
                .bind(&record.previous_hash)
                .bind(&record.hash);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// This store, recording `context` as the author of the changes made through it.
    pub fn acting_as(&self, context: AuditContext) -> Store {
        Store { audit: Arc::new(context), ..self.clone() }
    }

    /// The ARNs written in audit records.
    pub(crate) fn audit_arns(&self) -> &Arns {
        &self.audit.arns
    }

    /// Appends `entry` to `account`'s log inside `tx`, which `begin_write` opened (and so holds
    /// the account's lock).
    pub(crate) async fn append_audit(
        &self,
        tx: &mut Transaction<'static, Any>,
        account: &AccountId,
        entry: AuditEntry,
    ) -> Result<AuditRecord> {
        let (sequence, previous_hash) = last_link(tx, account).await?;
        let mut record = AuditRecord {
            account_id: account.as_str().to_owned(),
            sequence,
            event_id: new_id("ev-")?,
            event_time: self.now(),
            principal: self.audit.principal.clone(),
            trace_id: self.audit.trace_id.clone(),
            entry,
            previous_hash,
            hash: String::new(),
        };
        record.hash = audit_hash(&record);
        insert(tx, &record).await?;
        Ok(record)
    }

    /// Appends `events`, which happened earlier (the data plane's vends, queued), to `account`'s
    /// log in one transaction, in order. Returns how many were written: 0 when the first event
    /// is already in the log, i.e. an earlier attempt committed although its caller saw an error
    /// (a batch commits whole or not at all, so the rest are there too).
    pub async fn append_audit_events(&self, account: &AccountId, events: &[QueuedAuditEvent]) -> Result<usize> {
        let Some(first) = events.first() else { return Ok(0) };
        // The account's row lock serialises this account's appends with its mutations'.
        let mut tx = self.begin_write(account).await?;
        let written =
            sqlx::query("SELECT 1 FROM audit_events WHERE account_id = $1 AND event_time = $2 AND event_id = $3")
                .bind(account.as_str())
                .bind(first.event_time)
                .bind(&first.event_id)
                .fetch_optional(&mut *tx)
                .await?;
        if written.is_some() {
            return Ok(0);
        }
        let (mut sequence, mut previous_hash) = last_link(&mut tx, account).await?;
        let mut records = Vec::with_capacity(events.len());
        for event in events {
            let QueuedAuditEvent { event_id, event_time, principal, trace_id, entry } = event.clone();
            let mut record = AuditRecord {
                account_id: account.as_str().to_owned(),
                sequence,
                event_id,
                event_time,
                principal,
                trace_id,
                entry,
                previous_hash,
                hash: String::new(),
            };
            record.hash = audit_hash(&record);
            sequence += 1;
            previous_hash = record.hash.clone();
            records.push(record);
        }
        insert_all(&mut tx, &records).await?;
        tx.commit().await?;
        Ok(events.len())
    }

    /// Up to `limit` of `account`'s records matching `filter` with a sequence number above
    /// `after`, oldest first. The page's `next_after` is the last sequence number when more may
    /// follow.
    pub async fn list_audit_events(
        &self,
        account: &AccountId,
        filter: &AuditFilter,
        after: u64,
        limit: u32,
    ) -> Result<Page<AuditRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_events WHERE account_id = $1 AND sequence > $2 \
             AND event_time >= $3 AND event_time < $4 \
             AND ($5 = '' OR event_name = $5) AND ($6 = '' OR workload_name = $6) \
             AND ($7 = '' OR provider_name = $7) AND ($8 = '' OR user_hash = $8) AND ($9 = '' OR outcome = $9) \
             ORDER BY sequence LIMIT $10"
        ))
        .bind(account.as_str())
        .bind(to_i64(after)?)
        .bind(filter.start_time.unwrap_or(i64::MIN))
        .bind(filter.end_time.unwrap_or(i64::MAX))
        .bind(&filter.event_name)
        .bind(&filter.workload_name)
        .bind(&filter.provider_name)
        .bind(&filter.user_hash)
        .bind(filter.outcome.map(AuditOutcome::as_str).unwrap_or_default())
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let items = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        Ok(crate::rows::split_page(items, limit, |r| r.sequence.to_string()))
    }

    /// Recomputes `account`'s chain from its first record: sequence continuity, links and hashes.
    pub async fn verify_audit_chain(&self, account: &AccountId) -> Result<VerifyReport> {
        let mut verifier = ChainVerifier::new();
        let mut after = 0_i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE account_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3"
            ))
            .bind(account.as_str())
            .bind(after)
            .bind(VERIFY_BATCH)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let record = decode(row)?;
                if !verifier.push(&record) {
                    return Ok(verifier.finish());
                }
                after = to_i64(record.sequence)?;
            }
            if (rows.len() as i64) < VERIFY_BATCH {
                return Ok(verifier.finish());
            }
        }
    }
}
