-- The append-only audit log: one row per control-plane mutation (and, later, credential vend),
-- numbered 1, 2, 3, … per account and hash-chained (`hash` covers every field and
-- `previous_hash`), so a deleted or altered row is detectable. Rows hold names, ids and hashes,
-- never a secret. Appends run inside the account's write transaction, whose lock on the
-- account row serialises the sequence.
CREATE TABLE audit_events (
    account_id    TEXT   NOT NULL,
    sequence      BIGINT NOT NULL,
    event_id      TEXT   NOT NULL,
    event_time    BIGINT NOT NULL,
    event_name    TEXT   NOT NULL,
    principal     TEXT   NOT NULL,
    access_key_id TEXT   NOT NULL,
    workload_name TEXT   NOT NULL,
    provider_name TEXT   NOT NULL,
    user_hash     TEXT   NOT NULL,
    resource_arn  TEXT   NOT NULL,
    oauth2_flow   TEXT   NOT NULL,
    scopes        TEXT   NOT NULL,
    outcome       TEXT   NOT NULL,
    error_reason  TEXT   NOT NULL,
    trace_id      TEXT   NOT NULL,
    previous_hash TEXT   NOT NULL,
    hash          TEXT   NOT NULL,
    PRIMARY KEY (account_id, sequence)
);
CREATE INDEX audit_events_time ON audit_events (account_id, event_time);
