package assistant

import (
	"encoding/json"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// The data of each chat event, with the JSON names clients switch on.

type conversationEvent struct {
	ConversationID string `json:"conversation_id"`
}

type deltaEvent struct {
	Text string `json:"text"`
}

type toolCallEvent struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

type toolResultEvent struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Summary string `json:"summary"`
}

type approvalEvent struct {
	ApprovalID string `json:"approval_id"`
	// ActionID is the action's id in the approval queue (the same id).
	ActionID string `json:"action_id"`
	Tool     string `json:"tool"`
	Kind     string `json:"kind"`
	Summary  string `json:"summary"`
	// Proposal is a draft's fields for a draft, else the action's payload.
	Proposal any `json:"proposal"`
	// Account is the Google account the action would act in.
	Account   *jarvis.AccountRef `json:"account,omitempty"`
	ExpiresAt time.Time          `json:"expires_at"`
	Flags     []string           `json:"policy_flags"`
}

// proposal is a draft as the user is asked to approve it: every field,
// present even when empty.
type proposal struct {
	To              []string `json:"to"`
	Cc              []string `json:"cc"`
	Bcc             []string `json:"bcc"`
	Subject         string   `json:"subject"`
	BodyText        string   `json:"body_text"`
	ReplyToThreadID string   `json:"reply_to_thread_id"`
}

func proposalOf(in jarvis.DraftInput) proposal {
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return proposal{To: nonNil(in.To), Cc: nonNil(in.Cc), Bcc: nonNil(in.Bcc), Subject: in.Subject, BodyText: in.BodyText, ReplyToThreadID: in.ReplyToThreadID}
}

type doneEvent struct {
	MessageID string `json:"message_id"`
}
