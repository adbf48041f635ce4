-- Three-legged OAuth2 sessions (USER_FEDERATION): bound to the account, workload and user that
-- started them. `state_hash` makes the state single-use; the PKCE verifier and the grant
-- obtained at the callback are sealed with the account's data key.
CREATE TABLE oauth_sessions (
    session_id       TEXT PRIMARY KEY,
    account_id       TEXT   NOT NULL REFERENCES accounts (account_id),
    workload_id      TEXT   NOT NULL,
    workload_name    TEXT   NOT NULL,
    user_id          TEXT   NOT NULL,
    provider_id      TEXT   NOT NULL,
    provider_name    TEXT   NOT NULL,
    scopes           TEXT   NOT NULL,
    return_url       TEXT   NOT NULL,
    custom_params    TEXT   NOT NULL,
    code_challenge   TEXT   NOT NULL,
    pkce_verifier    BLOB  NOT NULL,
    state_hash       TEXT,
    status           TEXT   NOT NULL,
    grant_sealed     BLOB,
    failure          TEXT   NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX oauth_sessions_state ON oauth_sessions (state_hash);

-- Users' grants, one per (workload, user, provider, scope set); the token grant is sealed.
CREATE TABLE oauth_grants (
    account_id  TEXT   NOT NULL REFERENCES accounts (account_id),
    workload_id TEXT   NOT NULL,
    user_id     TEXT   NOT NULL,
    provider_id TEXT   NOT NULL,
    scopes_key  TEXT   NOT NULL,
    grant_id    TEXT   NOT NULL,
    sealed      BLOB  NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, workload_id, user_id, provider_id, scopes_key)
);
