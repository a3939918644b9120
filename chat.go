package jarvis

import (
	"context"
	"encoding/json"
	"time"
)

// Chat message roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Chat message statuses.
const (
	MessageComplete    = "complete"
	MessageInterrupted = "interrupted"
	MessageFailed      = "failed"
)

// Approval statuses.
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalFailed   = "failed"
	// ApprovalExpired is how a pending approval reads once its ExpiresAt
	// has passed: it can no longer be decided.
	ApprovalExpired = "expired"
)

// Conversation is a chat between a user and the assistant.
type Conversation struct {
	ID        string    `json:"id"`
	UserID    string    `json:"-"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ConversationPage is one page of a user's conversations, newest first.
type ConversationPage struct {
	Conversations []Conversation `json:"conversations"`
	NextPageToken string         `json:"next_page_token,omitempty"`
}

// ChatMessage is one message of a conversation, with what the assistant did
// while writing it.
type ChatMessage struct {
	ID        string           `json:"id"`
	Role      string           `json:"role"`
	Text      string           `json:"text"`
	Status    string           `json:"status"`
	CreatedAt time.Time        `json:"created_at"`
	ToolCalls []ToolCallRecord `json:"tool_calls"`
	Approvals []Approval       `json:"approvals"`
}

// ToolCallRecord is a tool the assistant called and how it went. It holds a
// summary of the result, never the content it returned.
type ToolCallRecord struct {
	ID        string          `json:"id"`
	MessageID string          `json:"-"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	OK        bool            `json:"ok"`
	Summary   string          `json:"summary"`
}

// Approval is an action the assistant proposed and the user decides on,
// as the chat shows it: an action of the approval queue (its id is the
// action's) requested by the assistant.
type Approval struct {
	ID string `json:"id"`
	// ActionID is the id of the action in the queue (the same id).
	ActionID       string     `json:"action_id"`
	Kind           string     `json:"kind" doc:"The action's kind, as GET /actions/{id} shows it."`
	Summary        string     `json:"summary"`
	ConversationID string     `json:"-"`
	MessageID      string     `json:"-"`
	Tool           string     `json:"tool"`
	Status         string     `json:"status"`
	Proposal       DraftInput `json:"proposal"`
	// Account is the Google account the draft is made in; nil for a
	// proposal made before accounts were named (the primary's).
	Account   *AccountRef `json:"account,omitempty"`
	Result    *Draft      `json:"result,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	// ExpiresAt is when a pending approval stops being decidable.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// ApprovalOf is an action the assistant requested as the chat shows it: an
// executed action reads as approved, with its result when it made a draft;
// Proposal is filled for a draft.
func ApprovalOf(a *Action) Approval {
	ap := Approval{ID: a.ID, ActionID: a.ID, Kind: a.Kind, Summary: a.Summary, ConversationID: a.Requester.ID, MessageID: a.Requester.MessageID,
		Tool: a.Requester.Tool, Status: a.Status, Account: a.Account, CreatedAt: a.CreatedAt, DecidedAt: a.DecidedAt}
	expires := a.ExpiresAt
	ap.ExpiresAt = &expires
	if ap.Status == ActionExecuted {
		ap.Status = ApprovalApproved
	}
	if a.Kind == ActionDraftCreate {
		_ = json.Unmarshal(a.Payload, &ap.Proposal)
		if len(a.Result) > 0 && string(a.Result) != "null" {
			var d Draft
			if json.Unmarshal(a.Result, &d) == nil {
				ap.Result = &d
			}
		}
	}
	return ap
}

// ConversationDetail is a conversation with its messages, oldest first.
type ConversationDetail struct {
	Conversation
	Messages []ChatMessage `json:"messages"`
}

// ChatEvent is one event of a streamed chat answer.
type ChatEvent struct {
	Type string
	Data any
}

// Chat event types, as sent over server-sent events.
const (
	EventConversation     = "conversation"
	EventMessageDelta     = "message.delta"
	EventToolCall         = "tool.call"
	EventToolResult       = "tool.result"
	EventApprovalRequired = "approval.required"
	EventMessageDone      = "message.done"
	EventError            = "error"
)

// ChatService is the assistant.
type ChatService interface {
	// Send adds the user's message to the conversation (a new one when
	// conversationID is empty) and runs the assistant's turn, calling emit
	// for each event as it happens. ENOTFOUND for another user's
	// conversation, ELLM when the model cannot be reached.
	Send(ctx context.Context, userID, conversationID, message string, emit func(ChatEvent) error) error
	ListConversations(ctx context.Context, userID, pageToken string, limit int) (*ConversationPage, error)
	// GetConversation returns ENOTFOUND unless the conversation is the user's.
	GetConversation(ctx context.Context, userID, id string) (*ConversationDetail, error)
	DeleteConversation(ctx context.Context, userID, id string) error
	// Decide approves or rejects a pending approval of the user, once.
	// ENOTFOUND for another user's approval; ECONFLICT if already decided; EEXPIRED (410) once expired.
	Decide(ctx context.Context, userID, approvalID string, approve bool) (*Approval, error)
}
