package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// SendPayload is the payload of gmail.message.send: the fields of POST
// /gmail/messages and the account it is sent from. Prepared, a reply's
// and a reply-all's recipients are filled in from the thread, so that the
// owner approves exactly whom it goes to.
type SendPayload struct {
	// Account is the account's id once prepared (an id or email, or ""
	// for the primary, when requested).
	Account string `json:"account"`
	jarvis.DraftInput
	SendAt *time.Time `json:"send_at,omitempty"`
}

// MessageSender sends new messages, replies, reply-alls and forwards over
// the outbox: held for the undo window (or until send_at), then sent once.
type MessageSender struct {
	Outbox   jarvis.Outbox
	Mail     jarvis.MailService
	Accounts Accounts
	// Validate checks a draft as drafting will (google.ValidateDraft).
	Validate func(jarvis.DraftInput) error
	// Now is the clock send_at is checked against; time.Now when nil.
	Now func() time.Time
}

// Prepare checks send_at, resolves the account and makes the message's
// content exact (see prepareMessage), checked as POST /gmail/messages
// checks it.
func (m MessageSender) Prepare(ctx context.Context, userID string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	var p SendPayload
	if err := decodePayload(payload, &p); err != nil {
		return nil, err
	}
	if err := checkReferences(p.DraftInput); err != nil {
		return nil, err
	}
	if err := jarvis.ValidateSendAt(p.SendAt, now(m.Now)); err != nil {
		return nil, err
	}
	acct, err := resolveAccount(ctx, m.Accounts, userID, p.Account)
	if err != nil {
		return nil, err
	}
	p.Account = acct.ID
	msg, err := prepareMessage(ctx, m.Mail, m.Validate, userID, acct.ID, &p.DraftInput)
	if err != nil {
		return nil, err
	}
	if p.SendAt != nil {
		t := p.SendAt.UTC()
		p.SendAt = &t
	}
	b, err := canonical(p)
	if err != nil {
		return nil, err
	}
	return &jarvis.PreparedAction{Payload: b, Account: acct, Recipients: msg.rcpts, Sends: true,
		Summary: fmt.Sprintf("%s %s to %s%s", msg.kind, quoted(msg.subject), listOf(msg.rcpts), when(p.SendAt))}, nil
}

// Execute sends the message as prepared, under the action's own
// Idempotency-Key: however often the action is run, it is sent once.
func (m MessageSender) Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error) {
	var p SendPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, jarvis.Errorf(jarvis.EINTERNAL, "The stored payload cannot be read.")
	}
	key, err := actionKey(ctx)
	if err != nil {
		return nil, err
	}
	res, err := m.Outbox.Send(ctx, userID, p.Account, jarvis.SendInput{DraftInput: p.DraftInput, SendAt: p.SendAt}, key)
	if err != nil {
		return nil, err
	}
	return canonical(res)
}

// DraftSendPayload is the payload of gmail.draft.send: the draft, the
// version of it that was shown (its message id, which Gmail changes on
// every edit) and when it goes.
type DraftSendPayload struct {
	Account string `json:"account"`
	DraftID string `json:"draft_id"`
	// MessageID is filled in by Prepare: the draft's content as the owner
	// was shown it.
	MessageID string     `json:"message_id,omitempty"`
	SendAt    *time.Time `json:"send_at,omitempty"`
}

// DraftSender sends an existing draft over the outbox.
type DraftSender struct {
	Outbox   jarvis.Outbox
	Mail     jarvis.MailService
	Accounts Accounts
	Now      func() time.Time
}

// Prepare reads the draft, so that the owner is shown whom it goes to and
// what version of it is sent.
func (d DraftSender) Prepare(ctx context.Context, userID string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	var p DraftSendPayload
	if err := decodePayload(payload, &p); err != nil {
		return nil, err
	}
	if !jarvis.IsDraftID(p.DraftID) {
		return nil, jarvis.Invalid("draft_id", "draft_id is not a Gmail draft id (such as r-123456789).")
	}
	if err := jarvis.ValidateSendAt(p.SendAt, now(d.Now)); err != nil {
		return nil, err
	}
	acct, err := resolveAccount(ctx, d.Accounts, userID, p.Account)
	if err != nil {
		return nil, err
	}
	p.Account = acct.ID
	draft, err := d.Mail.GetDraft(ctx, userID, acct.ID, p.DraftID)
	if err != nil {
		return nil, err
	}
	if p.MessageID != "" && p.MessageID != draft.MessageID {
		return nil, &jarvis.Error{Code: jarvis.ECONFLICT, Field: "message_id", Message: "The draft has changed since: read it again."}
	}
	p.MessageID = draft.MessageID
	var rcpts []string
	subject := ""
	if msg := draft.Message; msg != nil {
		for _, l := range [][]jarvis.Address{msg.To, msg.Cc, msg.Bcc} {
			for _, a := range l {
				rcpts = append(rcpts, a.Email)
			}
		}
		subject = msg.Subject
	}
	if len(rcpts) == 0 {
		return nil, jarvis.Invalid("draft_id", "The draft has no recipients.")
	}
	if p.SendAt != nil {
		t := p.SendAt.UTC()
		p.SendAt = &t
	}
	b, err := canonical(p)
	if err != nil {
		return nil, err
	}
	return &jarvis.PreparedAction{Payload: b, Account: acct, Recipients: rcpts, Sends: true,
		Summary: fmt.Sprintf("Send the draft %s to %s%s", quoted(subject), listOf(rcpts), when(p.SendAt))}, nil
}

// Execute sends the draft as it was shown — ECONFLICT when it was edited
// since, as then the owner approved something else — under the action's
// own Idempotency-Key.
func (d DraftSender) Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error) {
	var p DraftSendPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, jarvis.Errorf(jarvis.EINTERNAL, "The stored payload cannot be read.")
	}
	key, err := actionKey(ctx)
	if err != nil {
		return nil, err
	}
	draft, err := d.Mail.GetDraft(ctx, userID, p.Account, p.DraftID)
	if err != nil && !jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return nil, err
	}
	// A draft gone may have been sent by an earlier run of this action:
	// the outbox answers that run's send for the same key.
	if err == nil && draft.MessageID != p.MessageID {
		return nil, jarvis.Errorf(jarvis.ECONFLICT, "The draft was changed after it was approved: nothing was sent.")
	}
	res, err := d.Outbox.SendDraft(ctx, userID, p.Account, p.DraftID, jarvis.DraftSendInput{SendAt: p.SendAt}, key)
	if err != nil {
		return nil, err
	}
	return canonical(res)
}

// CancelPayload is the payload of gmail.send.cancel.
type CancelPayload struct {
	ScheduledID string `json:"scheduled_id"`
}

// SendCanceller cancels a send the outbox holds (scheduled, or within its
// undo window): its draft stays in Drafts.
type SendCanceller struct {
	Outbox jarvis.Outbox
}

// Prepare finds the send among the user's sends still to go.
func (c SendCanceller) Prepare(ctx context.Context, userID string, payload json.RawMessage) (*jarvis.PreparedAction, error) {
	var p CancelPayload
	if err := decodePayload(payload, &p); err != nil {
		return nil, err
	}
	if p.ScheduledID == "" || len(p.ScheduledID) > 64 {
		return nil, jarvis.Invalid("scheduled_id", "scheduled_id is required: the id of a scheduled send, as GET /gmail/scheduled lists it.")
	}
	list, err := c.Outbox.List(ctx, userID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(list, func(r jarvis.SendResult) bool { return r.ScheduledID == p.ScheduledID })
	if i < 0 {
		return nil, &jarvis.Error{Code: jarvis.ENOTFOUND, Field: "scheduled_id", Message: "No send of yours is waiting with this id."}
	}
	s := list[i]
	b, err := canonical(p)
	if err != nil {
		return nil, err
	}
	return &jarvis.PreparedAction{Payload: b, Account: s.Account,
		Summary: fmt.Sprintf("Cancel sending %s to %s (due %s)", quoted(s.Subject), listOf(s.To), s.SendAt.UTC().Format("2 Jan 15:04 MST"))}, nil
}

// Execute cancels the send.
func (c SendCanceller) Execute(ctx context.Context, userID string, payload json.RawMessage) (json.RawMessage, error) {
	var p CancelPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, jarvis.Errorf(jarvis.EINTERNAL, "The stored payload cannot be read.")
	}
	res, err := c.Outbox.Cancel(ctx, userID, p.ScheduledID)
	if err != nil {
		return nil, err
	}
	return canonical(res)
}

// actionKey is the Idempotency-Key of the action being executed.
func actionKey(ctx context.Context) (string, error) {
	id := jarvis.ActionIDFrom(ctx)
	if id == "" {
		return "", jarvis.Errorf(jarvis.EINTERNAL, "A send runs only as an action of the queue.")
	}
	return jarvis.ActionIdempotencyKey(id), nil
}

// when says when a scheduled send goes, for a summary.
func when(at *time.Time) string {
	if at == nil {
		return ""
	}
	return " at " + at.UTC().Format("Mon 2 Jan 15:04 MST")
}

func now(f func() time.Time) time.Time {
	if f == nil {
		return time.Now()
	}
	return f()
}
