-- +goose Up
-- A user may connect several Google accounts: one row each, still unique on
-- (issuer, google_sub), so that a Google account belongs to at most one
-- user. One account of each user is the primary: the one Gmail and Calendar
-- use when a request names none. Existing rows keep their id and user — the
-- associated data their tokens are sealed with — and become their user's
-- primary account; the account's own name and picture start as its user's.
-- SQLite cannot drop the UNIQUE on user_id in place: the table is rebuilt.
CREATE TABLE integrations_google_accounts (
    id                       TEXT PRIMARY KEY,
    user_id                  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer                   TEXT NOT NULL,
    google_sub               TEXT NOT NULL,
    email                    TEXT NOT NULL,
    scopes                   TEXT NOT NULL DEFAULT '',
    access_token_ciphertext  TEXT NOT NULL DEFAULT '',
    refresh_token_ciphertext TEXT NOT NULL DEFAULT '',
    key_id                   TEXT NOT NULL DEFAULT '',
    token_type               TEXT NOT NULL DEFAULT 'Bearer',
    expiry                   TIMESTAMP,
    status                   TEXT NOT NULL CHECK (status IN ('active', 'reauth_required', 'revoked')),
    last_refreshed_at        TIMESTAMP,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    refresh_lease_until      TIMESTAMP,
    version                  INTEGER NOT NULL DEFAULT 0,
    ad_version               INTEGER NOT NULL DEFAULT 1,
    is_primary               BOOLEAN NOT NULL DEFAULT FALSE,
    name                     TEXT NOT NULL DEFAULT '',
    picture_url              TEXT NOT NULL DEFAULT '',
    last_used_at             TIMESTAMP,
    UNIQUE (issuer, google_sub)
);
INSERT INTO integrations_google_accounts (id, user_id, issuer, google_sub, email, scopes, access_token_ciphertext,
    refresh_token_ciphertext, key_id, token_type, expiry, status, last_refreshed_at, created_at, updated_at,
    refresh_lease_until, version, ad_version, is_primary, name, picture_url)
SELECT g.id, g.user_id, g.issuer, g.google_sub, g.email, g.scopes, g.access_token_ciphertext,
    g.refresh_token_ciphertext, g.key_id, g.token_type, g.expiry, g.status, g.last_refreshed_at, g.created_at, g.updated_at,
    g.refresh_lease_until, g.version, g.ad_version, TRUE,
    COALESCE((SELECT u.name FROM users u WHERE u.id = g.user_id), ''),
    COALESCE((SELECT u.picture_url FROM users u WHERE u.id = g.user_id), '')
FROM integrations_google g;
DROP TABLE integrations_google;
ALTER TABLE integrations_google_accounts RENAME TO integrations_google;
CREATE UNIQUE INDEX integrations_google_primary_key ON integrations_google (user_id) WHERE is_primary;
CREATE INDEX integrations_google_user_idx ON integrations_google (user_id, created_at);

-- +goose Down
-- Back to one account per user: each user keeps their primary account (or,
-- without one, their first), and loses the others.
DELETE FROM integrations_google WHERE EXISTS (SELECT 1 FROM integrations_google p
    WHERE p.user_id = integrations_google.user_id AND p.id <> integrations_google.id
    AND ((p.is_primary AND NOT integrations_google.is_primary)
        OR (p.is_primary = integrations_google.is_primary AND (p.created_at < integrations_google.created_at
            OR (p.created_at = integrations_google.created_at AND p.id < integrations_google.id)))));
CREATE TABLE integrations_google_single (
    id                       TEXT PRIMARY KEY,
    user_id                  TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    issuer                   TEXT NOT NULL,
    google_sub               TEXT NOT NULL,
    email                    TEXT NOT NULL,
    scopes                   TEXT NOT NULL DEFAULT '',
    access_token_ciphertext  TEXT NOT NULL DEFAULT '',
    refresh_token_ciphertext TEXT NOT NULL DEFAULT '',
    key_id                   TEXT NOT NULL DEFAULT '',
    token_type               TEXT NOT NULL DEFAULT 'Bearer',
    expiry                   TIMESTAMP,
    status                   TEXT NOT NULL CHECK (status IN ('active', 'reauth_required', 'revoked')),
    last_refreshed_at        TIMESTAMP,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    refresh_lease_until      TIMESTAMP,
    version                  INTEGER NOT NULL DEFAULT 0,
    ad_version               INTEGER NOT NULL DEFAULT 1,
    UNIQUE (issuer, google_sub)
);
INSERT INTO integrations_google_single (id, user_id, issuer, google_sub, email, scopes, access_token_ciphertext,
    refresh_token_ciphertext, key_id, token_type, expiry, status, last_refreshed_at, created_at, updated_at,
    refresh_lease_until, version, ad_version)
SELECT id, user_id, issuer, google_sub, email, scopes, access_token_ciphertext,
    refresh_token_ciphertext, key_id, token_type, expiry, status, last_refreshed_at, created_at, updated_at,
    refresh_lease_until, version, ad_version
FROM integrations_google;
DROP TABLE integrations_google;
ALTER TABLE integrations_google_single RENAME TO integrations_google;
