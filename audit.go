package jarvis

import (
	"context"
	"time"
)

// Audit actions. Add new ones in this style; never rename one.
const (
	AuditTokenIssued             = "auth.token_issued"
	AuditLogout                  = "auth.logout"
	AuditGoogleSignIn            = "auth.google_sign_in"
	AuditSignInRefused           = "auth.sign_in_refused"
	AuditGoogleConnect           = "google.connect"
	AuditGoogleTokenRefresh      = "google.token_refresh"
	AuditGoogleTokenRefreshFail  = "google.token_refresh_failed"
	AuditGoogleTokenDecryptFail  = "google.token_decrypt_failed"
	AuditGoogleDisconnect        = "google.disconnect"
	AuditGoogleConnectRefused    = "google.connect_refused"
	AuditGoogleAccountPrimary    = "google.account_primary_changed"
	AuditGmailThreadsList        = "gmail.threads.list"
	AuditGmailLabelsList         = "gmail.labels.list"
	AuditGmailThreadGet          = "gmail.thread.get"
	AuditGmailMessageGet         = "gmail.message.get"
	AuditGmailAttachmentGet      = "gmail.attachment.get"
	AuditGmailDraftCreate        = "gmail.draft.create"
	AuditGmailDraftGet           = "gmail.draft.get"
	AuditGmailDraftUpdate        = "gmail.draft.update"
	AuditGmailDraftDelete        = "gmail.draft.delete"
	AuditGmailThreadModify       = "gmail.thread.modify"
	AuditGmailThreadTrash        = "gmail.thread.trash"
	AuditGmailThreadUntrash      = "gmail.thread.untrash"
	AuditCalendarEventsList      = "calendar.events.list"
	AuditCalendarEventCreate     = "calendar.event.create"
	AuditCalendarEventUpdate     = "calendar.event.update"
	AuditCalendarEventDelete     = "calendar.event.delete"
	AuditCalendarEventRSVP       = "calendar.event.rsvp"
	AuditChatToolCall            = "chat.tool_call"
	AuditChatApprovalRequested   = "chat.approval_requested"
	AuditChatApprovalApproved    = "chat.approval_approved"
	AuditChatApprovalRejected    = "chat.approval_rejected"
	AuditOrgMemberAdded          = "org.member_added"
	AuditOrgMemberRemoved        = "org.member_removed"
	AuditOrgRoleChanged          = "org.role_changed"
	AuditOrgMemberInvited        = "org.member_invited"
	AuditOrgInvitationAccepted   = "org.invitation_accepted"
	AuditOrgInvitationDeclined   = "org.invitation_declined"
	AuditOrgInvitationRevoked    = "org.invitation_revoked"
	AuditOrgMemberLeft           = "org.member_left"
	AuditRead                    = "audit.read"
	AuditAuthzDenied             = "authz.denied"
	AuditCalendarFreeBusy        = "calendar.freebusy.query"
	AuditChatConversationDeleted = "chat.conversation_deleted"
	AuditActionRequested         = "action.requested"
	AuditActionApproved          = "action.approved"
	AuditActionRejected          = "action.rejected"
	AuditActionExpired           = "action.expired"
	AuditActionExecuted          = "action.executed"
	AuditActionFailed            = "action.failed"
	AuditPolicyUpdated           = "policy.updated"
	AuditGmailMessageSend        = "gmail.message.send"
	AuditGmailSendScheduled      = "gmail.send.scheduled"
	AuditGmailSendCancelled      = "gmail.send.cancelled"

	// MCP OAuth: every registration, consent decision, token issue,
	// refresh, revocation and reuse detection, with the client id (never a
	// token or a code).
	AuditOAuthClientRegistered = "oauth.client_registered"
	AuditOAuthConsentGranted   = "oauth.consent_granted"
	AuditOAuthConsentDenied    = "oauth.consent_denied"
	AuditOAuthTokenIssued      = "oauth.token_issued"
	AuditOAuthTokenRefreshed   = "oauth.token_refreshed"
	AuditOAuthTokenRevoked     = "oauth.token_revoked"
	AuditOAuthTokenReuse       = "oauth.token_reuse_detected"
	AuditOAuthAppRevoked       = "oauth.app_revoked"
	AuditMCPToolCall           = "mcp.tool.call"
	AuditPersonalTokenCreated  = "mcp.personal_token.created"
	AuditPersonalTokenRevoked  = "mcp.personal_token.revoked"
)

// AuditActions lists every audit action above, for filters: the API
// describes the action query parameter with it, and the dashboard's filter
// (web/lib/auditActions.ts) holds the same list, which a test checks.
var AuditActions = []string{
	AuditTokenIssued, AuditLogout, AuditGoogleSignIn, AuditSignInRefused,
	AuditGoogleConnect, AuditGoogleConnectRefused, AuditGoogleAccountPrimary, AuditGoogleTokenRefresh, AuditGoogleTokenRefreshFail, AuditGoogleTokenDecryptFail, AuditGoogleDisconnect,
	AuditGmailLabelsList, AuditGmailThreadsList, AuditGmailThreadGet, AuditGmailMessageGet, AuditGmailAttachmentGet, AuditGmailDraftCreate,
	AuditGmailDraftGet, AuditGmailDraftUpdate, AuditGmailDraftDelete,
	AuditGmailThreadModify, AuditGmailThreadTrash, AuditGmailThreadUntrash,
	AuditGmailSendScheduled, AuditGmailSendCancelled, AuditGmailMessageSend,
	AuditCalendarEventsList, AuditCalendarFreeBusy,
	AuditCalendarEventCreate, AuditCalendarEventUpdate, AuditCalendarEventDelete, AuditCalendarEventRSVP,
	AuditChatToolCall, AuditChatApprovalRequested, AuditChatApprovalApproved, AuditChatApprovalRejected, AuditChatConversationDeleted,
	AuditOrgMemberAdded, AuditOrgMemberRemoved, AuditOrgRoleChanged,
	AuditOrgMemberInvited, AuditOrgInvitationAccepted, AuditOrgInvitationDeclined, AuditOrgInvitationRevoked, AuditOrgMemberLeft,
	AuditRead, AuditAuthzDenied,
	AuditActionRequested, AuditActionApproved, AuditActionRejected, AuditActionExpired, AuditActionExecuted, AuditActionFailed, AuditPolicyUpdated,
	AuditOAuthClientRegistered, AuditOAuthConsentGranted, AuditOAuthConsentDenied, AuditOAuthTokenIssued, AuditOAuthTokenRefreshed,
	AuditOAuthTokenRevoked, AuditOAuthTokenReuse, AuditOAuthAppRevoked,
	AuditMCPToolCall, AuditPersonalTokenCreated, AuditPersonalTokenRevoked,
}

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// AuditEntry is one row of the audit log. It says who did what to which
// target with what outcome; it never holds content, tokens or secrets.
type AuditEntry struct {
	ID          string         `json:"id"`
	OccurredAt  time.Time      `json:"occurred_at"`
	OrgID       string         `json:"org_id,omitempty"`
	ActorUserID string         `json:"actor_user_id,omitempty"`
	Action      string         `json:"action"`
	TargetType  string         `json:"target_type,omitempty"`
	TargetID    string         `json:"target_id,omitempty"`
	Outcome     string         `json:"outcome"`
	IP          string         `json:"ip,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	RequestID   string         `json:"request_id,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// AuditFilter selects audit rows of one org, newest first.
type AuditFilter struct {
	Action      string
	ActorUserID string
	// Cursor continues after the last row of a previous page.
	Cursor string
	Limit  int
}

// AuditPage is one page of audit rows.
type AuditPage struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor string       `json:"next_page_token,omitempty"`
}

// AuditStore is insert-only: there is no way to change or delete a row.
type AuditStore interface {
	InsertAudit(ctx context.Context, entries ...AuditEntry) error
	// ListAudit returns the org's rows, newest first. EINVALID for a bad cursor.
	ListAudit(ctx context.Context, orgID string, f AuditFilter) (*AuditPage, error)
}

// Auditor records audit rows. It fills the actor, request id and client
// from ctx where the entry leaves them empty, and never fails the caller's
// request: a row it cannot write is logged.
type Auditor interface {
	Record(ctx context.Context, e AuditEntry)
}
