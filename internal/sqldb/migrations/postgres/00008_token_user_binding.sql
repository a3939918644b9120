-- +goose Up
-- Tokens are sealed with their owner's user id in the associated data
-- (ad_version 2). Rows sealed before (version 1) are re-sealed by the
-- server at start, which holds the keys that SQL does not.
ALTER TABLE integrations_google ADD COLUMN ad_version INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE integrations_google DROP COLUMN ad_version;
