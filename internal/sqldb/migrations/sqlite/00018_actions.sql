-- +goose Up
-- The approval queue: everything an agent (the chat assistant, an outside
-- client) asks to do in a user's mail or calendar, with who asked, the exact
-- payload (kept as text, byte for byte: what is shown is what runs), the
-- policy's verdict, the decision and the outcome. Every query names the
-- user. An assistant's action names its conversation and message: deleting
-- the conversation deletes them, as it deleted its approvals.
CREATE TABLE actions (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    requester_type  TEXT NOT NULL CHECK (requester_type IN ('user', 'assistant', 'client')),
    requester_id    TEXT NOT NULL DEFAULT '',
    requester_name  TEXT NOT NULL DEFAULT '',
    requester_tool  TEXT NOT NULL DEFAULT '',
    conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      TEXT REFERENCES chat_messages (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL DEFAULT '',
    account_email   TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    sends           BOOLEAN NOT NULL DEFAULT FALSE,
    policy_verdict  TEXT NOT NULL DEFAULT '',
    policy_flags    TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'failed')),
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL,
    decided_at      TIMESTAMP,
    decided_by      TEXT NOT NULL DEFAULT '',
    result          TEXT,
    error_code      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX actions_user_idx ON actions (user_id, created_at DESC, id DESC);
CREATE INDEX actions_user_status_idx ON actions (user_id, status, created_at DESC, id DESC);
CREATE INDEX actions_conversation_idx ON actions (conversation_id);
CREATE INDEX actions_message_idx ON actions (message_id);
CREATE INDEX actions_account_idx ON actions (user_id, account_id);

-- The chat's approvals become actions with the same ids, so that their
-- links and the chat's approve and reject keep working. A draft's payload
-- is the proposal with the account it is made in.
INSERT INTO actions (id, user_id, kind, requester_type, requester_id, requester_name, requester_tool, conversation_id, message_id,
    account_id, account_email, payload, summary, sends, policy_verdict, policy_flags, status, created_at, expires_at, decided_at, decided_by, result, error_code)
SELECT id, user_id, 'gmail.draft.create', 'assistant', conversation_id, 'Jarvis', tool, conversation_id, message_id,
    account_id, account_email, json_set(proposal, '$.account', account_id), 'Create a draft “' || COALESCE(json_extract(proposal, '$.subject'), '') || '”', FALSE, 'approval_required', '[]',
    CASE WHEN status = 'approved' AND result IS NOT NULL THEN 'executed' ELSE status END,
    created_at, COALESCE(expires_at, created_at), decided_at, CASE WHEN decided_at IS NULL THEN '' ELSE user_id END, result, error_code
FROM chat_approvals;
DROP TABLE chat_approvals;

-- Policies: a user's own, and an organisation's, which is a floor its
-- members cannot lower. Kept as JSON text.
CREATE TABLE user_policies (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    policy     TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE org_policies (
    org_id     TEXT PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    policy     TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL
);

-- +goose Down
DROP TABLE org_policies;
DROP TABLE user_policies;
CREATE TABLE chat_approvals (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    tool            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'failed')),
    proposal        TEXT NOT NULL,
    result          TEXT,
    error_code      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    decided_at      TIMESTAMP,
    expires_at      TIMESTAMP,
    account_id      TEXT NOT NULL DEFAULT '',
    account_email   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX chat_approvals_message_idx ON chat_approvals (message_id, id);
CREATE INDEX chat_approvals_account_idx ON chat_approvals (user_id, account_id);
INSERT INTO chat_approvals (id, user_id, conversation_id, message_id, tool, status, proposal, result, error_code, created_at, decided_at, expires_at, account_id, account_email)
SELECT id, user_id, conversation_id, message_id, requester_tool,
    CASE status WHEN 'executed' THEN 'approved' WHEN 'expired' THEN 'pending' ELSE status END,
    json_remove(payload, '$.account'), result, error_code, created_at, decided_at, expires_at, account_id, account_email
FROM actions WHERE kind = 'gmail.draft.create' AND requester_type = 'assistant' AND message_id IS NOT NULL;
DROP TABLE actions;
