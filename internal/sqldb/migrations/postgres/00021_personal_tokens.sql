-- +goose Up
-- Personal tokens: what a user made in Settings for a local MCP client
-- (jarvis mcp --stdio). Only the SHA-256 of a token is kept; scopes and
-- accounts are JSON lists. last_used_at is written at most once a minute.
CREATE TABLE personal_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    scopes       TEXT NOT NULL DEFAULT '[]',
    accounts     TEXT NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX personal_tokens_hash_key ON personal_tokens (token_hash);
CREATE INDEX personal_tokens_user_idx ON personal_tokens (user_id, created_at);

-- +goose Down
DROP TABLE personal_tokens;
