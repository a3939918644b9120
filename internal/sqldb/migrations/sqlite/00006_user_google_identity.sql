-- +goose Up
-- The Google identity (issuer, sub) a user is bound to, kept for good: a
-- disconnect deletes the tokens but not this, so that no other Google
-- account can later be linked to the user through the email. Users already
-- connected are bound to the identity they are connected with.
ALTER TABLE users ADD COLUMN google_issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN google_sub TEXT NOT NULL DEFAULT '';
UPDATE users SET google_issuer = (SELECT g.issuer FROM integrations_google g WHERE g.user_id = users.id),
    google_sub = (SELECT g.google_sub FROM integrations_google g WHERE g.user_id = users.id)
WHERE id IN (SELECT user_id FROM integrations_google);
CREATE UNIQUE INDEX users_google_identity_key ON users (google_issuer, google_sub) WHERE google_sub <> '';

-- +goose Down
DROP INDEX users_google_identity_key;
ALTER TABLE users DROP COLUMN google_sub;
ALTER TABLE users DROP COLUMN google_issuer;
