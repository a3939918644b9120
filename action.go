package jarvis

import (
	"context"
	"encoding/json"
)

// Action kinds: what an action does. Each is also the audit action its
// execution is recorded under, except where the audit names differ.
const (
	ActionDraftCreate    = "gmail.draft.create"
	ActionDraftSend      = "gmail.draft.send"
	ActionMessageSend    = "gmail.message.send"
	ActionThreadModify   = "gmail.thread.modify"
	ActionThreadTrash    = "gmail.thread.trash"
	ActionThreadUntrash  = "gmail.thread.untrash"
	ActionEventCreate    = "calendar.event.create"
	ActionEventUpdate    = "calendar.event.update"
	ActionEventDelete    = "calendar.event.delete"
	ActionEventRSVP      = "calendar.event.rsvp"
	ActionScheduleCancel = "gmail.send.cancel"
)

// PreparedAction is an action's payload made exact before anyone decides
// on it: what is shown to the owner is what runs. Preparing may ask Google
// (a reply-all's recipients are computed from the thread then, not when it
// runs) but changes nothing.
type PreparedAction struct {
	// Payload is the canonical payload: stored, shown, and executed as is.
	Payload json.RawMessage
	// Account is the Google account the action acts in.
	Account *AccountRef
	// Summary is one line for the owner ("Send “Q3 plan” to ann@example.com").
	Summary string
	// Recipients are the addresses the action sends mail to (sends, replies,
	// forwards, invitations): what the policy's allowed domains and daily
	// cap are checked against. Empty for an action that sends nothing.
	Recipients []string
	// Sends is true for an action that sends mail (drafts-only mode refuses
	// it for agents and the daily cap counts it).
	Sends bool
}

// ActionExecutor prepares and runs one kind of action for a user. Both
// take the user explicitly and act only within that user's accounts.
type ActionExecutor interface {
	// Prepare validates a requested payload (EINVALID naming the field)
	// and makes it exact.
	Prepare(ctx context.Context, userID string, payload json.RawMessage) (*PreparedAction, error)
	// Execute runs a prepared payload and returns what it made (the draft,
	// the sent or scheduled message, the event as Google stored it), as the
	// REST route for the same operation answers.
	Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error)
}

// WorkingHours are when the owner takes meetings: meeting-time proposals
// fall within them. A policy without them means Monday to Friday, 09:00 to
// 17:00, in the calendar's time zone.
type WorkingHours struct {
	// TimeZone is an IANA zone; "" means the calendar's own.
	TimeZone string `json:"time_zone" doc:"IANA time zone of the hours; empty: the calendar's."`
	// Days are the working weekdays: mon, tue, wed, thu, fri, sat, sun.
	Days []string `json:"days" doc:"Working weekdays: mon, tue, wed, thu, fri, sat, sun."`
	// Start and End are wall-clock times, HH:MM, Start before End.
	Start string `json:"start" doc:"Start of the working day, HH:MM."`
	End   string `json:"end" doc:"End of the working day, HH:MM."`
}

// WorkingHoursSource gives a user's effective working hours (their own,
// else their organisation's, else nil for the default).
type WorkingHoursSource interface {
	WorkingHours(ctx context.Context, userID string) (*WorkingHours, error)
}
