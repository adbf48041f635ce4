-- Cache generations, so that a change reaches every data plane within a poll interval. A change
-- to providers, workload identities or access keys raises the account's `config_generation`
-- (the data planes put it in the keys of what they cache from those); deleting users' grants
-- raises `grant_generation`. Both take their value from the one global `cache_epoch`, and
-- `changed_epoch` is the latest of them: the data planes poll `changed_epoch > last seen`.
-- The epoch row is updated last in the writing transaction, so its lock orders the commits: a
-- poller that sees epoch N has already been able to see every change below N.
CREATE TABLE cache_epoch (
    id    INTEGER PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO cache_epoch (id, value) VALUES (1, 0);
ALTER TABLE accounts ADD COLUMN config_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN grant_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN changed_epoch BIGINT NOT NULL DEFAULT 0;
CREATE INDEX accounts_changed_epoch ON accounts (changed_epoch);
