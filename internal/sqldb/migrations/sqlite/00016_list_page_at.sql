-- +goose Up
-- When the saved page token of a full sync's listing was issued: a token
-- kept too long is not trusted, and the listing starts again.
ALTER TABLE sync_state ADD COLUMN list_page_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_state DROP COLUMN list_page_at;
