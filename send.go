package jarvis

import (
	"context"
	"time"
)

// Statuses of a send that Jarvis holds.
const (
	// SendScheduled waits for its send_at (the undo window's end, or the
	// time the user chose); it can be cancelled.
	SendScheduled = "scheduled"
	// SendSending is being sent by one replica: too late to cancel.
	SendSending = "sending"
	SendSent    = "sent"
	// SendCancelled was cancelled before it was sent: its draft stays in
	// Drafts.
	SendCancelled = "cancelled"
	// SendFailed was refused by Google, or its draft was gone: ErrorCode
	// says why. Nothing was sent.
	SendFailed = "failed"
)

// MaxSendAhead bounds how far ahead a send may be scheduled.
const MaxSendAhead = 366 * 24 * time.Hour

// SendInput is a message to send: the fields of a draft, and when. A send
// without SendAt goes at the end of the undo window (at once when there is
// none).
type SendInput struct {
	DraftInput
	// SendAt schedules the send; it must be in the future, within a year.
	SendAt *time.Time `json:"send_at,omitempty"`
}

// DraftSendInput sends an existing draft, optionally at a later time.
type DraftSendInput struct {
	SendAt *time.Time `json:"send_at,omitempty"`
}

// SendResult is a send that Jarvis holds or has made: the answer of a
// send (202 Accepted) and an item of the scheduled sends' listing.
type SendResult struct {
	Account *AccountRef `json:"account" doc:"The Google account the message is sent from."`
	// ScheduledID names the send for DELETE /gmail/scheduled/{id}.
	ScheduledID string `json:"scheduled_id" doc:"The send's id: DELETE /gmail/scheduled/{id} cancels it while it is scheduled."`
	// MessageID is the sent message's id, once it is sent.
	MessageID string `json:"message_id,omitempty" doc:"The sent message's Gmail id, once it is sent (at once when there is no undo window and no send_at)."`
	ThreadID  string `json:"thread_id" doc:"The Gmail thread the message is in (a reply's thread, or a new one)."`
	DraftID   string `json:"draft_id" doc:"The Gmail draft that holds the message until it is sent (it stays in Drafts if the send is cancelled)."`
	// SendAt is when the message goes.
	SendAt time.Time `json:"send_at" doc:"When the message is sent: the end of the undo window, or the time asked for."`
	// UndoUntil is the end of the undo window, for a send made without a
	// send_at while there is one.
	UndoUntil *time.Time `json:"undo_until,omitempty" doc:"Until when the send can be undone (DELETE /gmail/scheduled/{id}); absent for a scheduled send (cancel it any time before send_at) and when there is no undo window."`
	Status    string     `json:"status" doc:"scheduled, sending, sent, cancelled or failed."`
	ErrorCode string     `json:"error_code,omitempty" doc:"Why a failed send failed: the error code of Google's refusal, or draft_missing when its draft was deleted before it went."`
	Subject   string     `json:"subject" doc:"The message's subject."`
	To        []string   `json:"to" doc:"The message's To addresses."`
	CreatedAt time.Time  `json:"created_at"`
	// Replayed marks an answer given again to a repeat of the same
	// Idempotency-Key.
	Replayed bool `json:"-"`
}

// Outbox sends mail for a user, durably and exactly once: a send is held
// by Jarvis (surviving restarts, sent by one replica) until its send_at,
// and can be cancelled until then. account is as MailService's. An
// idempotencyKey (may be "") makes a repeat of the same send answer the
// first answer and send nothing more; EIDEMPOTENCY when the key was used
// for another send, ECONFLICT while the first is still being made.
type Outbox interface {
	// Send drafts the message and holds it for sending at its send_at.
	// EINVALID naming the field (send_at in the past or more than a year
	// ahead, and the draft's own checks); MailService's errors.
	Send(ctx context.Context, userID, account string, in SendInput, idempotencyKey string) (*SendResult, error)
	// SendDraft sends an existing draft of the account, as Send does.
	// ENOTFOUND when there is no such draft; ECONFLICT when it is held by
	// another send already.
	SendDraft(ctx context.Context, userID, account, draftID string, in DraftSendInput, idempotencyKey string) (*SendResult, error)
	// Cancel cancels a scheduled send of the user: nothing is sent and its
	// draft stays in Drafts. Cancelling a cancelled send does nothing.
	// ENOTFOUND when the user has no such send; ECONFLICT when it is
	// being sent, was sent or failed.
	Cancel(ctx context.Context, userID, scheduledID string) (*SendResult, error)
	// List returns the user's sends still to go (scheduled or sending),
	// the soonest first.
	List(ctx context.Context, userID string) ([]SendResult, error)
}

// SendIdempotencyScope is the idempotency scope of the sends made from one
// Google account.
func SendIdempotencyScope(accountID string) string { return "gmail.send:" + accountID }

// ValidateSendAt checks a requested send time against now: in the future,
// within MaxSendAhead. EINVALID names send_at.
func ValidateSendAt(at *time.Time, now time.Time) error {
	if at == nil {
		return nil
	}
	if !at.After(now) {
		return Invalid("send_at", "send_at (%s) is in the past: give a time to come, or leave send_at out to send now.", at.UTC().Format(time.RFC3339))
	}
	if at.Sub(now) > MaxSendAhead {
		return Invalid("send_at", "send_at is more than a year ahead.")
	}
	return nil
}

// PendingDraft is what a send needs to know of a draft before it sends
// it.
type PendingDraft struct {
	DraftID   string
	MessageID string
	ThreadID  string
	// RFC822MsgID is the draft's Message-ID header, by which the message
	// is found in Sent once the draft has been sent.
	RFC822MsgID string
	Subject     string
	To          []string
}

// SentMessage names a message that was sent.
type SentMessage struct {
	MessageID string
	ThreadID  string
}

// DraftSender sends the drafts of a user's Google account. accountID is
// the account's id; the errors are MailService's.
type DraftSender interface {
	// DraftToSend reads a draft's ids and headers. ENOTFOUND when the
	// account has no such draft (never had, deleted, or sent).
	DraftToSend(ctx context.Context, userID, accountID, draftID string) (*PendingDraft, error)
	// SendDraft sends a draft, which Gmail then deletes. It is not
	// idempotent and is never retried by the implementation: after an
	// error whose outcome is unknown, DraftToSend and FindSent tell
	// whether the message went.
	SendDraft(ctx context.Context, userID, accountID, draftID string) (*SentMessage, error)
	// FindSent finds the message the account sent with the Message-ID
	// header rfc822MsgID. ENOTFOUND when there is none.
	FindSent(ctx context.Context, userID, accountID, rfc822MsgID string) (*SentMessage, error)
}
