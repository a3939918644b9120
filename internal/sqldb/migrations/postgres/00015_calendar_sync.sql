-- +goose Up
-- The calendar half of the sync state, written apart from the mail half
-- (its own version), so that a calendar sync and a mail sync of one account
-- never refuse each other's writes. A channel notification counts itself
-- in calendar_pushes; a calendar sync records in calendar_synced_pushes the
-- count it had seen when it began, so that one arriving mid-sync is not lost.
ALTER TABLE sync_state ADD COLUMN calendar_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN calendar_push_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN calendar_pushes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN calendar_synced_pushes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN calendar_synced_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX sync_state_calendar_channel_idx ON sync_state (calendar_channel_id);

-- +goose Down
DROP INDEX sync_state_calendar_channel_idx;
ALTER TABLE sync_state DROP COLUMN calendar_synced_at;
ALTER TABLE sync_state DROP COLUMN calendar_synced_pushes;
ALTER TABLE sync_state DROP COLUMN calendar_pushes;
ALTER TABLE sync_state DROP COLUMN calendar_push_at;
ALTER TABLE sync_state DROP COLUMN calendar_version;
