-- +goose Up
-- A pending approval can be decided only until it expires; approvals made
-- before this column existed expire a day after they were proposed.
ALTER TABLE chat_approvals ADD COLUMN expires_at TIMESTAMPTZ;
UPDATE chat_approvals SET expires_at = created_at + INTERVAL '24 hours';

-- +goose Down
ALTER TABLE chat_approvals DROP COLUMN expires_at;
