-- +goose Up
-- A flow that connects one more Google account to a signed-in user names
-- that user in its state: only they can finish it.
ALTER TABLE oauth_states ADD COLUMN link_user_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oauth_states DROP COLUMN link_user_id;
