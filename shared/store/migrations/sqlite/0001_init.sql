-- Accounts: one row per account that has ever written; its row is locked by every write
-- transaction of the account, which serialises quota checks and data-key creation.
CREATE TABLE accounts (
    account_id   TEXT PRIMARY KEY,
    created_at   INTEGER NOT NULL,
    write_serial INTEGER NOT NULL DEFAULT 0
);

-- Data keys: per-account AES-256 keys, stored wrapped by a master key of the ring.
CREATE TABLE data_keys (
    account_id    TEXT   NOT NULL REFERENCES accounts (account_id),
    version       INTEGER NOT NULL,
    master_key_id TEXT   NOT NULL,
    wrapped_key   BLOB  NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, version)
);

-- Admin API tokens, by SHA-256 of the token (the token itself is never stored).
CREATE TABLE admin_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE workload_identities (
    id          TEXT PRIMARY KEY,
    account_id  TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    attributes  TEXT   NOT NULL,
    return_urls TEXT   NOT NULL,
    tags        TEXT   NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

-- Credential providers. `config` is the non-secret configuration (JSON); `secret` the client
-- secret or API key, sealed with the account's data key.
CREATE TABLE credential_providers (
    id             TEXT PRIMARY KEY,
    account_id     TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    provider_type  TEXT   NOT NULL,
    config         TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    failure_reason TEXT   NOT NULL,
    secret         BLOB  NOT NULL,
    tags           TEXT   NOT NULL,
    version        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE jwt_authorizers (
    id                TEXT PRIMARY KEY,
    account_id        TEXT   NOT NULL,
    name              TEXT   NOT NULL,
    description       TEXT   NOT NULL,
    discovery_url     TEXT   NOT NULL,
    allowed_audiences TEXT   NOT NULL,
    allowed_clients   TEXT   NOT NULL,
    allowed_scopes    TEXT   NOT NULL,
    required_claims   TEXT   NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

-- Data-plane access keys, by id; the secret is kept only as its SHA-256.
CREATE TABLE access_keys (
    access_key_id  TEXT PRIMARY KEY,
    account_id     TEXT   NOT NULL,
    secret_hash    TEXT   NOT NULL,
    description    TEXT   NOT NULL,
    allowed_workloads TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX access_keys_account ON access_keys (account_id, access_key_id);
