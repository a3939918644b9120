-- +goose Up
-- The assistant's conversations. Every row carries the user it belongs to,
-- so that each query is scoped to its tenant without a join.
CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_user_idx ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE chat_messages (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text            TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('complete', 'interrupted', 'failed')),
    tokens          INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX chat_messages_conversation_idx ON chat_messages (conversation_id, id);

-- Tool calls keep their arguments and a summary of the result, never the
-- content a tool returned.
CREATE TABLE chat_tool_calls (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    message_id TEXT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    arguments  JSONB NOT NULL,
    ok         BOOLEAN NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX chat_tool_calls_message_idx ON chat_tool_calls (message_id, id);

-- Approvals: an action the assistant proposed, decided once by its user.
CREATE TABLE chat_approvals (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    tool            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'failed')),
    proposal        JSONB NOT NULL,
    result          JSONB,
    error_code      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ
);
CREATE INDEX chat_approvals_message_idx ON chat_approvals (message_id, id);

-- +goose Down
DROP TABLE chat_approvals;
DROP TABLE chat_tool_calls;
DROP TABLE chat_messages;
DROP TABLE conversations;
