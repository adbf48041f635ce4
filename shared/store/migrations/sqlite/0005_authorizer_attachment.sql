-- Authorizer attachment: a workload identity names the authorizers it trusts (a JSON list of
-- authorizer names, in the order they are tried; empty means the account default).
ALTER TABLE workload_identities ADD COLUMN authorizers TEXT NOT NULL DEFAULT '[]';

-- Custom authorizers: `custom_config` (JSON: endpoint, timeout, secret header) is NULL for an
-- OIDC authorizer; `secret` is the shared secret sealed with the account's data key.
ALTER TABLE jwt_authorizers ADD COLUMN custom_config TEXT;
ALTER TABLE jwt_authorizers ADD COLUMN secret BLOB;
