-- +goose Up
-- Org invitations: a member joins an org only by accepting one. The
-- invitee is named by email and may not have a user yet; at most one
-- invitation per org and address is pending at a time.
CREATE TABLE org_invitations (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    invited_by   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
    created_at   TIMESTAMP NOT NULL,
    responded_at TIMESTAMP
);
CREATE UNIQUE INDEX org_invitations_pending_key ON org_invitations (org_id, email) WHERE status = 'pending';
CREATE INDEX org_invitations_email_idx ON org_invitations (email, status);

-- +goose Down
DROP TABLE org_invitations;
