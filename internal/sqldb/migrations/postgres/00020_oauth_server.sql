-- +goose Up
-- Jarvis as the OAuth 2.1 authorization server of its MCP endpoint.
-- Secrets (request ids, codes, tokens) are stored only as their SHA-256.
-- Times are Unix milliseconds; 0 means never.

-- Clients registered dynamically (RFC 7591). Clients known by a metadata
-- document are fetched, not stored.
CREATE TABLE oauth_clients (
    id             TEXT PRIMARY KEY,
    client_name    TEXT NOT NULL DEFAULT '',
    client_uri     TEXT NOT NULL DEFAULT '',
    redirect_uris  TEXT NOT NULL DEFAULT '[]',
    created_at     BIGINT NOT NULL
);

-- Authorization requests waiting for the user's consent.
CREATE TABLE oauth_requests (
    id_hash         TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    client_name     TEXT NOT NULL DEFAULT '',
    client_uri      TEXT NOT NULL DEFAULT '',
    client_type     TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    scopes          TEXT NOT NULL DEFAULT '[]',
    state           TEXT NOT NULL DEFAULT '',
    code_challenge  TEXT NOT NULL,
    resource        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX oauth_requests_expiry_idx ON oauth_requests (expires_at);

-- What each user allowed each client: the connected apps.
CREATE TABLE oauth_consents (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL,
    client_name   TEXT NOT NULL DEFAULT '',
    scopes        TEXT NOT NULL DEFAULT '[]',
    accounts      TEXT NOT NULL DEFAULT '[]',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX oauth_consents_client_idx ON oauth_consents (user_id, client_id);

-- Authorization codes: single use; id names the grant (the token family).
CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    id              TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    client_name     TEXT NOT NULL DEFAULT '',
    redirect_uri    TEXT NOT NULL,
    scopes          TEXT NOT NULL DEFAULT '[]',
    accounts        TEXT NOT NULL DEFAULT '[]',
    code_challenge  TEXT NOT NULL,
    resource        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oauth_codes_expiry_idx ON oauth_codes (expires_at);

-- Access and refresh tokens. A refresh token is used once (used_at), and
-- a used one presented again revokes its family.
CREATE TABLE oauth_tokens (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    family_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL,
    client_name  TEXT NOT NULL DEFAULT '',
    scopes       TEXT NOT NULL DEFAULT '[]',
    accounts     TEXT NOT NULL DEFAULT '[]',
    resource     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT NOT NULL DEFAULT 0,
    revoked_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oauth_tokens_family_idx ON oauth_tokens (family_id);
CREATE INDEX oauth_tokens_client_idx ON oauth_tokens (user_id, client_id);
CREATE INDEX oauth_tokens_expiry_idx ON oauth_tokens (expires_at);

-- +goose Down
DROP TABLE oauth_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_consents;
DROP TABLE oauth_requests;
DROP TABLE oauth_clients;
