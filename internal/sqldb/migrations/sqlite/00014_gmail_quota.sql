-- +goose Up
-- Each Google account's Gmail quota, shared by every replica (when Redis is
-- not configured): the theoretical arrival time of its token bucket (the
-- GCRA of package quota) and the time until which Google asked it to stop
-- (a 429's Retry-After), both in Unix microseconds (0: none). Nothing else:
-- the row goes with the account.
CREATE TABLE gmail_quota (
    account_id   TEXT PRIMARY KEY REFERENCES integrations_google (id) ON DELETE CASCADE,
    tat          BIGINT NOT NULL DEFAULT 0,
    paused_until BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE gmail_quota;
