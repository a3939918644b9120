-- +goose Up
-- Sends held by Jarvis: each is a Gmail draft that a job sends at send_at
-- (the end of the undo window, or the time the user scheduled). A replica
-- claims a row by moving it from scheduled to sending under a lease
-- (compare-and-set), so that one replica sends it, once; a lease that
-- lapses (a crashed process) lets another replica confirm or finish the
-- send. rfc822_msgid is the draft's Message-ID header, recorded before the
-- draft is sent, by which a send whose answer was lost is found in Sent.
-- Times are Unix milliseconds.
CREATE TABLE gmail_outbox (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id       TEXT NOT NULL REFERENCES integrations_google (id) ON DELETE CASCADE,
    draft_id         TEXT NOT NULL,
    thread_id        TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL DEFAULT '',
    recipients       TEXT NOT NULL DEFAULT '[]',
    send_at          BIGINT NOT NULL,
    undo             BOOLEAN NOT NULL DEFAULT FALSE,
    status           TEXT NOT NULL,
    message_id       TEXT NOT NULL DEFAULT '',
    rfc822_msgid     TEXT NOT NULL DEFAULT '',
    error_code       TEXT NOT NULL DEFAULT '',
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      BIGINT NOT NULL DEFAULT 0,
    idempotency_key  TEXT,
    request_hash     TEXT NOT NULL DEFAULT '',
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX gmail_outbox_user_idx ON gmail_outbox (user_id, status, send_at);
CREATE INDEX gmail_outbox_due_idx ON gmail_outbox (status, send_at);
CREATE UNIQUE INDEX gmail_outbox_key_idx ON gmail_outbox (account_id, idempotency_key);
-- A draft is held by at most one pending send.
CREATE UNIQUE INDEX gmail_outbox_draft_idx ON gmail_outbox (account_id, draft_id) WHERE status IN ('scheduled', 'sending');

-- +goose Down
DROP TABLE gmail_outbox;
