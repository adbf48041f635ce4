-- Per-account ES256 keys that sign workload access tokens. The private key (PKCS#8) is sealed
-- with the account's data key; the public point is kept in clear for the JWKS.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    account_id  TEXT   NOT NULL REFERENCES accounts (account_id),
    private_key BYTEA  NOT NULL,
    public_x    TEXT   NOT NULL,
    public_y    TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX signing_keys_account ON signing_keys (account_id, created_at);
