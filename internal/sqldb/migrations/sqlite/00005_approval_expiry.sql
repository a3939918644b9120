-- +goose Up
-- A pending approval can be decided only until it expires; approvals made
-- before this column existed expire a day after they were proposed. Times
-- are fixed-width text: the fraction and zone of created_at are kept.
ALTER TABLE chat_approvals ADD COLUMN expires_at TIMESTAMP;
UPDATE chat_approvals SET expires_at = strftime('%Y-%m-%dT%H:%M:%S', created_at, '+1 day') || substr(created_at, 20);

-- +goose Down
ALTER TABLE chat_approvals DROP COLUMN expires_at;
