-- +goose Up
-- The synced local index of each Google account: its messages (metadata and,
-- unless JARVIS_INDEX_BODIES=false, a capped body text for search), one row
-- per message and label, thread aggregates, label names, calendar event
-- instances, and the account's sync state. Everything hangs off the account
-- row, so disconnecting the account (or deleting its user) wipes it.
-- Times are Unix milliseconds (0: never), the same on both databases.
CREATE TABLE mail_messages (
    account_id        TEXT NOT NULL REFERENCES integrations_google (id) ON DELETE CASCADE,
    id                TEXT NOT NULL,
    thread_id         TEXT NOT NULL,
    history_id        BIGINT NOT NULL,
    internal_date     BIGINT NOT NULL,
    date              BIGINT NOT NULL,
    labels            TEXT NOT NULL,
    unread            BOOLEAN NOT NULL,
    from_name         TEXT NOT NULL,
    from_email        TEXT NOT NULL,
    to_addrs          TEXT NOT NULL,
    cc_addrs          TEXT NOT NULL,
    subject           TEXT NOT NULL,
    message_id_header TEXT NOT NULL,
    in_reply_to       TEXT NOT NULL,
    refs              TEXT NOT NULL,
    snippet           TEXT NOT NULL,
    size_estimate     BIGINT NOT NULL,
    has_attachment    BOOLEAN NOT NULL,
    body_text         TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX mail_messages_thread_idx ON mail_messages (account_id, thread_id);
CREATE INDEX mail_messages_date_idx ON mail_messages (account_id, internal_date);
CREATE TABLE mail_message_labels (
    account_id TEXT NOT NULL REFERENCES integrations_google (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    label_id   TEXT NOT NULL,
    thread_id  TEXT NOT NULL,
    unread     BOOLEAN NOT NULL,
    PRIMARY KEY (account_id, label_id, message_id)
);
CREATE INDEX mail_message_labels_message_idx ON mail_message_labels (account_id, message_id);
CREATE TABLE mail_threads (
    account_id    TEXT NOT NULL REFERENCES integrations_google (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    subject       TEXT NOT NULL,
    snippet       TEXT NOT NULL,
    from_name     TEXT NOT NULL,
    from_email    TEXT NOT NULL,
    participants  TEXT NOT NULL,
    last_date     BIGINT NOT NULL,
    date          BIGINT NOT NULL,
    message_count INTEGER NOT NULL,
    unread_count  INTEGER NOT NULL,
    labels        TEXT NOT NULL,
    history_id    BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX mail_threads_date_idx ON mail_threads (account_id, last_date);
CREATE TABLE mail_labels (
    account_id TEXT NOT NULL REFERENCES integrations_google (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE TABLE calendar_events (
    account_id  TEXT NOT NULL REFERENCES integrations_google (id) ON DELETE CASCADE,
    calendar_id TEXT NOT NULL,
    id          TEXT NOT NULL,
    start_time  BIGINT NOT NULL,
    end_time    BIGINT NOT NULL,
    payload     TEXT NOT NULL,
    PRIMARY KEY (account_id, calendar_id, id)
);
CREATE INDEX calendar_events_start_idx ON calendar_events (account_id, start_time);
-- The calendar channel's token is a secret Google echoes on every
-- notification: only its SHA-256 is kept.
CREATE TABLE sync_state (
    account_id              TEXT PRIMARY KEY REFERENCES integrations_google (id) ON DELETE CASCADE,
    phase                   TEXT NOT NULL,
    history_id              BIGINT NOT NULL DEFAULT 0,
    high_water              BIGINT NOT NULL DEFAULT 0,
    list_page_token         TEXT NOT NULL DEFAULT '',
    list_history_id         BIGINT NOT NULL DEFAULT 0,
    done                    INTEGER NOT NULL DEFAULT 0,
    total                   INTEGER NOT NULL DEFAULT 0,
    started_at              BIGINT NOT NULL DEFAULT 0,
    watch_expiry            BIGINT NOT NULL DEFAULT 0,
    last_push_at            BIGINT NOT NULL DEFAULT 0,
    last_success_at         BIGINT NOT NULL DEFAULT 0,
    last_error              TEXT NOT NULL DEFAULT '',
    calendar_sync_token     TEXT NOT NULL DEFAULT '',
    calendar_window_start   BIGINT NOT NULL DEFAULT 0,
    calendar_window_end     BIGINT NOT NULL DEFAULT 0,
    calendar_channel_id     TEXT NOT NULL DEFAULT '',
    calendar_channel_token_sha256 TEXT NOT NULL DEFAULT '',
    calendar_resource_id    TEXT NOT NULL DEFAULT '',
    calendar_channel_expiry BIGINT NOT NULL DEFAULT 0,
    version                 BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE sync_state;
DROP TABLE calendar_events;
DROP TABLE mail_labels;
DROP TABLE mail_threads;
DROP TABLE mail_message_labels;
DROP TABLE mail_messages;
