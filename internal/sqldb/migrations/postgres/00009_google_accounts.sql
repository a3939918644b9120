-- +goose Up
-- A user may connect several Google accounts: one row each, still unique on
-- (issuer, google_sub), so that a Google account belongs to at most one
-- user. One account of each user is the primary: the one Gmail and Calendar
-- use when a request names none. Existing rows keep their id and user — the
-- associated data their tokens are sealed with — and become their user's
-- primary account; the account's own name and picture start as its user's.
ALTER TABLE integrations_google DROP CONSTRAINT integrations_google_user_id_key;
ALTER TABLE integrations_google ADD COLUMN is_primary BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE integrations_google ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE integrations_google ADD COLUMN picture_url TEXT NOT NULL DEFAULT '';
ALTER TABLE integrations_google ADD COLUMN last_used_at TIMESTAMPTZ;
UPDATE integrations_google SET is_primary = TRUE,
    name = COALESCE((SELECT u.name FROM users u WHERE u.id = integrations_google.user_id), ''),
    picture_url = COALESCE((SELECT u.picture_url FROM users u WHERE u.id = integrations_google.user_id), '');
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
DROP INDEX integrations_google_user_idx;
DROP INDEX integrations_google_primary_key;
ALTER TABLE integrations_google DROP COLUMN last_used_at;
ALTER TABLE integrations_google DROP COLUMN picture_url;
ALTER TABLE integrations_google DROP COLUMN name;
ALTER TABLE integrations_google DROP COLUMN is_primary;
ALTER TABLE integrations_google ADD CONSTRAINT integrations_google_user_id_key UNIQUE (user_id);
