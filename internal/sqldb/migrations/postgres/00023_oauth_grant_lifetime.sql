-- +goose Up
-- A grant (a token family) ends a fixed time after the user's consent,
-- however often its refresh token is rotated: each token carries when its
-- grant began (Unix milliseconds). Tokens issued before this column
-- existed take the oldest stored token of their family.
ALTER TABLE oauth_tokens ADD COLUMN grant_created_at BIGINT NOT NULL DEFAULT 0;
UPDATE oauth_tokens SET grant_created_at = (SELECT MIN(f.created_at) FROM oauth_tokens f WHERE f.family_id = oauth_tokens.family_id);

-- +goose Down
ALTER TABLE oauth_tokens DROP COLUMN grant_created_at;
