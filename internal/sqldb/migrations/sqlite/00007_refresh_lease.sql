-- +goose Up
-- A token refresh takes a short lease on the integration row instead of
-- holding the database's write lock across the call to Google; the refreshed
-- tokens are written back only if the row's version is the one read.
ALTER TABLE integrations_google ADD COLUMN refresh_lease_until TIMESTAMP;
ALTER TABLE integrations_google ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE integrations_google DROP COLUMN version;
ALTER TABLE integrations_google DROP COLUMN refresh_lease_until;
