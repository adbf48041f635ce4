//! `audit` and `audit verify`. Listing pages through `ListAuditEvents`; verifying fetches the
//! whole log and recomputes its hash chain here, with the same code the store uses
//! (`identity_crypto::ChainVerifier`), so a client need not trust the server's word that the
//! log is intact, only that it returned every event.

use identity_crypto::{ChainBreak, ChainBreakReason, ChainVerifier};
use identity_domain::{AuditEntry, AuditOutcome, AuditRecord};
use identity_proto::v1::{AuditEvent, AuditEventOutcome, ListAuditEventsRequest};

use super::Outcome;
use crate::{
    args::{AuditArgs, OutputFormat},
    client::Connection,
    error::CliError,
    output::{Record, Table, render_list, rfc3339},
};

/// Largest page the server gives.
const PAGE_SIZE: u32 = 1_000;

/// Builds the first page's request from the filters; `max_results` is the page size.
pub fn build_list_request(args: AuditArgs) -> ListAuditEventsRequest {
    let AuditArgs { action: _, start_time, end_time, event_name, workload_name, provider_name, user_id, max_results } =
        args;
    ListAuditEventsRequest {
        start_time,
        end_time,
        event_name: event_name.unwrap_or_default(),
        workload_name: workload_name.unwrap_or_default(),
        credential_provider_name: provider_name.unwrap_or_default(),
        user_id: user_id.unwrap_or_default(),
        outcome: AuditEventOutcome::Unspecified.into(),
        max_results: max_results.unwrap_or(PAGE_SIZE).min(PAGE_SIZE) as i32,
        next_token: String::new(),
    }
}

fn outcome_name(outcome: i32) -> &'static str {
    match AuditEventOutcome::try_from(outcome) {
        Ok(AuditEventOutcome::Success) => "SUCCESS",
        Ok(AuditEventOutcome::Denied) => "DENIED",
        Ok(AuditEventOutcome::Failure) => "FAILURE",
        Ok(AuditEventOutcome::Unspecified) | Err(_) => "",
    }
}

/// What an event acted on: its ARN, or the name or id it carries when there is no ARN.
fn resource(event: &AuditEvent) -> &str {
    [&event.resource_arn, &event.workload_name, &event.credential_provider_name, &event.access_key_id]
        .into_iter()
        .find(|value| !value.is_empty())
        .map_or("", String::as_str)
}

/// The `audit` table.
pub fn audit_table(events: &[AuditEvent]) -> Table {
    let mut table = Table::new(&["TIME", "EVENT", "PRINCIPAL", "RESOURCE", "OUTCOME"]);
    for event in events {
        table.row(vec![
            event.event_time.as_ref().map(rfc3339).unwrap_or_default(),
            event.event_name.clone(),
            event.principal.clone(),
            resource(event).to_owned(),
            outcome_name(event.outcome).to_owned(),
        ]);
    }
    table
}

/// An event as JSON or lines.
pub fn audit_record(event: &AuditEvent) -> Record {
    Record::new()
        .integer("sequenceNumber", event.sequence_number)
        .text("eventId", &event.event_id)
        .time("eventTime", event.event_time.as_ref())
        .text("eventName", &event.event_name)
        .text("accountId", &event.account_id)
        .text("principal", &event.principal)
        .text_if_set("accessKeyId", &event.access_key_id)
        .text_if_set("workloadName", &event.workload_name)
        .text_if_set("credentialProviderName", &event.credential_provider_name)
        .text_if_set("resourceArn", &event.resource_arn)
        .text_if_set("userHash", &event.user_hash)
        .text_if_set("oauth2Flow", &event.oauth2_flow)
        .list("scopes", &event.scopes)
        .text("outcome", outcome_name(event.outcome))
        .text_if_set("errorReason", &event.error_reason)
        .text_if_set("traceId", &event.trace_id)
        .text("previousHash", &event.previous_hash)
        .text("hash", &event.hash)
}

/// The record an event's hash was computed over, or `None` when the event cannot be one
/// (a field out of range), which makes it as broken as a wrong hash.
pub fn to_record(event: &AuditEvent) -> Option<AuditRecord> {
    let AuditEvent {
        event_id,
        sequence_number,
        event_time,
        event_name,
        account_id,
        principal,
        access_key_id,
        workload_name,
        credential_provider_name,
        resource_arn,
        user_hash,
        oauth2_flow,
        scopes,
        outcome,
        error_reason,
        trace_id,
        previous_hash,
        hash,
    } = event.clone();
    let time = event_time?;
    let nanos = i64::from(time.nanos);
    if !(0..1_000_000_000).contains(&nanos) || nanos % 1_000_000 != 0 {
        return None;
    }
    let outcome = match AuditEventOutcome::try_from(outcome).ok()? {
        AuditEventOutcome::Success => AuditOutcome::Success,
        AuditEventOutcome::Denied => AuditOutcome::Denied,
        AuditEventOutcome::Failure => AuditOutcome::Failure,
        AuditEventOutcome::Unspecified => return None,
    };
    Some(AuditRecord {
        account_id,
        sequence: u64::try_from(sequence_number).ok()?,
        event_id,
        event_time: time.seconds.checked_mul(1_000)?.checked_add(nanos / 1_000_000)?,
        principal,
        trace_id,
        entry: AuditEntry {
            event_name,
            access_key_id,
            workload_name,
            provider_name: credential_provider_name,
            user_hash,
            resource_arn,
            oauth2_flow,
            scopes,
            outcome,
            error_reason,
        },
        previous_hash,
        hash,
    })
}

/// Checks events in log order; the outcome is the number checked, or where the chain breaks.
pub fn verify_events(events: &[AuditEvent]) -> Result<u64, CliError> {
    let mut verifier = ChainVerifier::new();
    for event in events {
        let intact = match to_record(event) {
            Some(record) => verifier.push(&record),
            None => {
                let checked = verifier.finish().checked + 1;
                let sequence = u64::try_from(event.sequence_number).unwrap_or_default();
                return Err(broken(ChainBreak { sequence, reason: ChainBreakReason::HashMismatch }, checked));
            }
        };
        if !intact {
            break;
        }
    }
    let report = verifier.finish();
    match report.first_broken {
        None => Ok(report.checked),
        Some(at) => Err(broken(at, report.checked)),
    }
}

fn broken(at: ChainBreak, checked: u64) -> CliError {
    CliError::AuditChainBroken { sequence: at.sequence, reason: at.reason.to_string(), checked }
}

/// Fetches pages from `request` on until the log ends or `limit` events arrived.
async fn fetch(
    conn: &Connection,
    mut request: ListAuditEventsRequest,
    limit: Option<u32>,
) -> Result<Vec<AuditEvent>, CliError> {
    let mut client = conn.audit().await?;
    let mut events = Vec::new();
    loop {
        let reply = client.list_audit_events(request.clone()).await.map_err(|s| conn.error(s))?.into_inner();
        events.extend(reply.audit_events);
        if let Some(limit) = limit
            && events.len() >= limit as usize
        {
            events.truncate(limit as usize);
            return Ok(events);
        }
        // A server that hands back the token it was given would loop forever; stop instead.
        if reply.next_token.is_empty() || reply.next_token == request.next_token {
            return Ok(events);
        }
        request.next_token = reply.next_token;
    }
}

pub async fn list(conn: &Connection, format: OutputFormat, args: AuditArgs) -> Result<Outcome, CliError> {
    let limit = args.max_results;
    let events = fetch(conn, build_list_request(args), limit).await?;
    let records = events.iter().map(audit_record).collect();
    Ok(Outcome::print(render_list(format, "auditEvents", &audit_table(&events), records)?))
}

pub async fn verify(conn: &Connection, format: OutputFormat) -> Result<Outcome, CliError> {
    let request = ListAuditEventsRequest { max_results: PAGE_SIZE as i32, ..Default::default() };
    let events = fetch(conn, request, None).await?;
    let checked = verify_events(&events)?;
    let last_hash = events.last().map(|e| e.hash.clone()).unwrap_or_default();
    let stdout = match format {
        OutputFormat::Table => format!("{checked} events, chain intact\n"),
        OutputFormat::Json => Record::new()
            .integer("checked", i64::try_from(checked).unwrap_or(i64::MAX))
            .text("status", "INTACT")
            .text("lastHash", last_hash)
            .render(format)?,
    };
    Ok(Outcome::print(stdout))
}

#[cfg(test)]
mod tests;
