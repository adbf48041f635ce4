-- DeleteUserTokens selects a user's grants and sessions by (account, user[, provider]); the
-- grants' primary key starts with the workload, and sessions had no user index.
CREATE INDEX oauth_grants_user ON oauth_grants (account_id, user_id, provider_id);
CREATE INDEX oauth_sessions_user ON oauth_sessions (account_id, user_id);
