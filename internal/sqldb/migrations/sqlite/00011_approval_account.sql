-- +goose Up
-- A proposed draft names the Google account it is to be made in (a reply:
-- the account of its thread). Proposals made before name none and are made
-- in the primary account.
ALTER TABLE chat_approvals ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE chat_approvals ADD COLUMN account_email TEXT NOT NULL DEFAULT '';
CREATE INDEX chat_approvals_account_idx ON chat_approvals (user_id, account_id);

-- +goose Down
DROP INDEX chat_approvals_account_idx;
ALTER TABLE chat_approvals DROP COLUMN account_email;
ALTER TABLE chat_approvals DROP COLUMN account_id;
