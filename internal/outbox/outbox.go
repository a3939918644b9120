// Package outbox sends mail for users durably and exactly once. A send is
// a Gmail draft and a row that holds it: the row is written with the job
// that sends it, in one transaction, so that a restart forgets nothing; at
// its send_at one replica claims the row by a compare-and-set from
// scheduled to sending, under a lease, and sends the draft. Gmail's
// drafts.send consumes the draft: a replica that takes over a send whose
// answer was lost (a crash, a timeout) finds the draft gone and the
// message in Sent by its Message-ID, and records it as sent, never sending
// it again. Until send_at a send can be cancelled (scheduled → cancelled),
// which leaves its draft in Drafts.
package outbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/jarvis-hq/jarvis"
)

// Row is a send as it is stored.
type Row struct {
	ID          string
	UserID      string
	AccountID   string
	DraftID     string
	ThreadID    string
	Subject     string
	To          []string
	SendAt      time.Time
	Undo        bool
	Status      string
	MessageID   string
	RFC822MsgID string
	ErrorCode   string
	Attempts    int
	LeaseOwner  string
	LeaseUntil  time.Time
	// IdempotencyKey and RequestHash are the key the send was asked with
	// (unique per account) and the hash of its request.
	IdempotencyKey string
	RequestHash    string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Store keeps the sends. Every method but Overdue is addressed by the
// owning user; another user's send is ENOTFOUND.
type Store interface {
	// InsertSend writes a new send and calls enqueue within the same
	// transaction, so that its job exists if and only if the row does.
	// ECONFLICT when the account's idempotency key is taken, or the draft
	// is held by another pending send.
	InsertSend(ctx context.Context, r *Row, enqueue func(context.Context, *sql.Tx) error) error
	// Send returns one of the user's sends, or ENOTFOUND.
	Send(ctx context.Context, userID, id string) (*Row, error)
	// SendByKey returns the account's send made with the idempotency key,
	// or ENOTFOUND.
	SendByKey(ctx context.Context, userID, accountID, key string) (*Row, error)
	// PendingSends lists the user's scheduled and sending sends, the
	// soonest first.
	PendingSends(ctx context.Context, userID string) ([]Row, error)
	// CancelSend moves a scheduled send to cancelled and returns it as it
	// then is (a send not scheduled is returned unchanged, for the caller
	// to judge). ENOTFOUND when the user has no such send.
	CancelSend(ctx context.Context, userID, id string, now time.Time) (*Row, error)
	// ClaimSend takes the send for owner until now+ttl and counts an
	// attempt, if it is scheduled and due, or sending with a lapsed lease
	// (compare-and-set). It returns the send as claimed, or nil when
	// another owner has it or it is not due.
	ClaimSend(ctx context.Context, userID, id, owner string, now time.Time, ttl time.Duration) (*Row, error)
	// RecordMsgID records the draft's Message-ID header while owner holds
	// the send; false when it does not any more.
	RecordMsgID(ctx context.Context, userID, id, owner, rfc822MsgID string) (bool, error)
	// FinishSend ends a send that owner holds as sent (with the message's
	// ids) or failed (with the error code); false when owner does not
	// hold it any more.
	FinishSend(ctx context.Context, userID, id, owner string, r Outcome, now time.Time) (bool, error)
	// ReleaseSend gives up owner's lease (the send stays sending, for the
	// next attempt to take over at once), noting the error code.
	ReleaseSend(ctx context.Context, userID, id, owner, errorCode string) error
	// OverdueSends lists, of every user, the sends whose job may be lost:
	// scheduled and due before dueBefore, sending under a lease lapsed at
	// now and never given back, or sending with the lease given back and
	// untouched since idleBefore.
	OverdueSends(ctx context.Context, now, dueBefore, idleBefore time.Time, limit int) ([]Row, error)
}

// Outcome is how a send ended.
type Outcome struct {
	Status    string // jarvis.SendSent or jarvis.SendFailed
	MessageID string
	ThreadID  string
	ErrorCode string
}

// Drafter drafts messages (jarvis.MailService does).
type Drafter interface {
	CreateDraft(ctx context.Context, userID, account string, in jarvis.DraftInput) (*jarvis.Draft, error)
}

// Accounts finds the user's Google accounts.
type Accounts interface {
	FindGoogleIntegration(ctx context.Context, userID, account string) (*jarvis.GoogleIntegration, error)
}

// Enqueue schedules the job that sends the user's send id at at, within
// tx; attempt distinguishes a job made to take over a stalled send.
type Enqueue func(ctx context.Context, tx *sql.Tx, userID, id string, at time.Time, attempt int) error

// Config is what the service needs.
type Config struct {
	Store    Store
	Mail     Drafter            // drafts the messages
	Drafts   jarvis.DraftSender // sends them
	Accounts Accounts
	Users    jarvis.UserStore
	// Idempotency holds the answers given to Idempotency-Keys.
	Idempotency jarvis.IdempotencyStore
	Auditor     jarvis.Auditor
	// Enqueue schedules a send's job; set before the first send (the job
	// runner is made after the service).
	Enqueue Enqueue
	// Undo is the undo window: a send without send_at goes this long after
	// it is asked for (0: at once).
	Undo   time.Duration
	Logger *slog.Logger
	Now    func() time.Time
}

// Service is the outbox.
type Service struct {
	cfg Config
}

var _ jarvis.Outbox = (*Service)(nil)

// New returns the outbox.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	return &Service{cfg: cfg}
}

// SetEnqueue sets how sends' jobs are scheduled.
func (s *Service) SetEnqueue(e Enqueue) { s.cfg.Enqueue = e }

// idempotencyTTL is how long an Idempotency-Key's answer is kept.
const idempotencyTTL = 24 * time.Hour

// immediateBackup is when the job of a send made at once runs, should the
// request's own attempt not finish.
const immediateBackup = 10 * time.Second

// maxDraftID bounds a draft id.
const maxDraftID = 256

// Send drafts the message and holds it for sending at its send_at (see
// jarvis.Outbox).
func (s *Service) Send(ctx context.Context, userID, account string, in jarvis.SendInput, key string) (*jarvis.SendResult, error) {
	now := s.cfg.Now()
	if err := jarvis.ValidateSendAt(in.SendAt, now); err != nil {
		return nil, err
	}
	if len(in.To)+len(in.Cc)+len(in.Bcc) == 0 && in.ReplyToThreadID == "" {
		return nil, jarvis.Invalid("to", "A message needs at least one recipient in to, cc or bcc.")
	}
	return s.hold(ctx, userID, account, in, in.SendAt, key, func(ctx context.Context, g *jarvis.GoogleIntegration) (*Row, error) {
		d, err := s.cfg.Mail.CreateDraft(ctx, userID, g.ID, in.DraftInput)
		if err != nil {
			return nil, err
		}
		return &Row{DraftID: d.DraftID, ThreadID: d.ThreadID, Subject: in.Subject, To: in.To}, nil
	})
}

// SendDraft holds an existing draft for sending (see jarvis.Outbox).
func (s *Service) SendDraft(ctx context.Context, userID, account, draftID string, in jarvis.DraftSendInput, key string) (*jarvis.SendResult, error) {
	if !validDraftID(draftID) {
		return nil, jarvis.Invalid("id", "id is not a Gmail draft id.")
	}
	if err := jarvis.ValidateSendAt(in.SendAt, s.cfg.Now()); err != nil {
		return nil, err
	}
	body := struct {
		DraftID string `json:"draft_id"`
		jarvis.DraftSendInput
	}{draftID, in}
	return s.hold(ctx, userID, account, body, in.SendAt, key, func(ctx context.Context, g *jarvis.GoogleIntegration) (*Row, error) {
		d, err := s.cfg.Drafts.DraftToSend(ctx, userID, g.ID, draftID)
		if err != nil {
			return nil, err
		}
		return &Row{DraftID: d.DraftID, ThreadID: d.ThreadID, Subject: d.Subject, To: d.To, RFC822MsgID: d.RFC822MsgID}, nil
	})
}

// validDraftID reports whether s has the form of a Gmail draft id
// ("r-1234…", "r1234…"): letters, digits, - and _.
func validDraftID(s string) bool {
	if s == "" || len(s) > maxDraftID {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// hold answers a send: once per idempotency key, it makes the draft
// (draft), stores the send with its job and, when it is due at once, sends
// it before answering.
func (s *Service) hold(ctx context.Context, userID, account string, request any, sendAt *time.Time, key string,
	draft func(context.Context, *jarvis.GoogleIntegration) (*Row, error)) (*jarvis.SendResult, error) {
	g, err := s.cfg.Accounts.FindGoogleIntegration(ctx, userID, account)
	if err != nil {
		return nil, err
	}
	scope := jarvis.SendIdempotencyScope(g.ID)
	hash := requestHash(request)
	if key != "" {
		prev, err := s.cfg.Idempotency.ClaimIdempotencyKey(ctx, userID, scope, key, hash, idempotencyTTL)
		if err != nil {
			return nil, err
		}
		if prev != nil {
			var out jarvis.SendResult
			if err := json.Unmarshal(prev.Body, &out); err != nil {
				return nil, fmt.Errorf("stored send answer: %w", err)
			}
			out.Replayed = true
			return &out, nil
		}
		res, err := s.holdOnce(ctx, g, userID, scope, key, hash, sendAt, draft)
		if err != nil {
			if rerr := s.cfg.Idempotency.ReleaseIdempotencyKey(context.WithoutCancel(ctx), userID, scope, key); rerr != nil {
				s.cfg.Logger.ErrorContext(ctx, "release idempotency key", "err", rerr)
			}
			return nil, err
		}
		body, _ := json.Marshal(res)
		if err := s.cfg.Idempotency.CompleteIdempotencyKey(context.WithoutCancel(ctx), userID, scope, key,
			jarvis.IdempotentResponse{StatusCode: 202, Body: body}); err != nil {
			s.cfg.Logger.ErrorContext(ctx, "store idempotent send answer", "err", err)
		}
		return res, nil
	}
	return s.holdOnce(ctx, g, userID, scope, "", hash, sendAt, draft)
}

func (s *Service) holdOnce(ctx context.Context, g *jarvis.GoogleIntegration, userID, scope, key, hash string, sendAt *time.Time,
	draft func(context.Context, *jarvis.GoogleIntegration) (*Row, error)) (*jarvis.SendResult, error) {
	if key != "" {
		// The key's claim was taken over from a process that died after
		// storing the send: the send is the answer.
		if r, err := s.cfg.Store.SendByKey(ctx, userID, g.ID, key); err == nil {
			if r.RequestHash != hash {
				return nil, jarvis.Errorf(jarvis.EIDEMPOTENCY, "This Idempotency-Key was used with a different request.")
			}
			return result(r, g.Ref()), nil
		} else if !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			return nil, err
		}
	}
	r, err := draft(ctx, g)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	r.ID, r.UserID, r.AccountID = newID(), userID, g.ID
	r.Status, r.IdempotencyKey, r.RequestHash, r.CreatedAt, r.UpdatedAt = jarvis.SendScheduled, key, hash, now, now
	if sendAt != nil {
		r.SendAt = sendAt.UTC()
	} else {
		r.SendAt, r.Undo = now.Add(s.cfg.Undo), s.cfg.Undo > 0
	}
	err = s.cfg.Store.InsertSend(ctx, r, func(ctx context.Context, tx *sql.Tx) error {
		if s.cfg.Enqueue == nil {
			return errors.New("outbox: no job runner")
		}
		at := r.SendAt
		if !at.After(now) {
			at = now.Add(immediateBackup) // this request sends it; the job is the backup
		}
		return s.cfg.Enqueue(ctx, tx, userID, r.ID, at, 0)
	})
	if err != nil {
		if key != "" && jarvis.IsCode(err, jarvis.ECONFLICT) {
			if prev, perr := s.cfg.Store.SendByKey(ctx, userID, g.ID, key); perr == nil && prev.RequestHash == hash {
				return result(prev, g.Ref()), nil
			}
		}
		return nil, err
	}
	if r.SendAt.After(now) {
		s.cfg.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditGmailSendScheduled, TargetType: "scheduled_send", TargetID: r.ID,
			Metadata: map[string]any{"account_id": g.ID, "draft_id": r.DraftID, "send_at": r.SendAt.Format(time.RFC3339), "undo": r.Undo,
				"recipients": len(r.To)}})
		return result(r, g.Ref()), nil
	}
	// Due at once: sent before the answer (the job stands by, should this
	// attempt not finish).
	if _, err := s.Deliver(ctx, userID, r.ID); err != nil {
		s.cfg.Logger.WarnContext(ctx, "send at once failed; its job retries it", "scheduled_id", r.ID, "err", err)
	}
	if now, err := s.cfg.Store.Send(context.WithoutCancel(ctx), userID, r.ID); err == nil {
		r = now
	}
	if r.Status == jarvis.SendFailed {
		return nil, sendError(r.ErrorCode)
	}
	return result(r, g.Ref()), nil
}

// sendError is the error of a send that failed at once, by its code.
func sendError(code string) error {
	switch code {
	case codeDraftMissing:
		return jarvis.Errorf(jarvis.ENOTFOUND, "The draft is gone: it was deleted or sent meanwhile. Nothing was sent.")
	case jarvis.EINVALID:
		return jarvis.Invalid("to", "Google refused to send the message (does it have a valid recipient?). It is kept in Drafts.")
	case "":
		code = jarvis.EUPSTREAM
	}
	return jarvis.Errorf(code, "The message was not sent: Google refused it (%s). It is kept in Drafts.", code)
}

// requestHash identifies a send's request, for its Idempotency-Key.
func requestHash(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// result is what the API shows of a send.
func result(r *Row, account *jarvis.AccountRef) *jarvis.SendResult {
	out := &jarvis.SendResult{Account: account, ScheduledID: r.ID, MessageID: r.MessageID, ThreadID: r.ThreadID, DraftID: r.DraftID,
		SendAt: r.SendAt, Status: r.Status, ErrorCode: r.ErrorCode, Subject: r.Subject, To: r.To, CreatedAt: r.CreatedAt}
	if out.To == nil {
		out.To = []string{}
	}
	if r.Undo {
		at := r.SendAt
		out.UndoUntil = &at
	}
	return out
}

// Cancel cancels a scheduled send (see jarvis.Outbox).
func (s *Service) Cancel(ctx context.Context, userID, id string) (*jarvis.SendResult, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, jarvis.Errorf(jarvis.ENOTFOUND, "Scheduled send not found.")
	}
	before, err := s.cfg.Store.Send(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	r, err := s.cfg.Store.CancelSend(ctx, userID, id, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	ref := &jarvis.AccountRef{ID: r.AccountID}
	if g, err := s.cfg.Accounts.FindGoogleIntegration(ctx, userID, r.AccountID); err == nil {
		ref = g.Ref()
	}
	switch r.Status {
	case jarvis.SendCancelled:
		if before.Status == jarvis.SendScheduled {
			s.cfg.Auditor.Record(ctx, jarvis.AuditEntry{Action: jarvis.AuditGmailSendCancelled, TargetType: "scheduled_send", TargetID: r.ID,
				Metadata: map[string]any{"account_id": r.AccountID, "draft_id": r.DraftID, "undo": r.Undo}})
		}
		return result(r, ref), nil
	case jarvis.SendSent:
		return nil, &jarvis.Error{Code: jarvis.ECONFLICT, Message: "The message was sent already: it can no longer be cancelled."}
	case jarvis.SendFailed:
		return nil, &jarvis.Error{Code: jarvis.ECONFLICT, Message: "The send failed already (" + r.ErrorCode + "); nothing was sent and its draft is in Drafts."}
	}
	return nil, &jarvis.Error{Code: jarvis.ECONFLICT, Message: "The message is being sent: it can no longer be cancelled."}
}

// List returns the user's sends still to go (see jarvis.Outbox).
func (s *Service) List(ctx context.Context, userID string) ([]jarvis.SendResult, error) {
	rows, err := s.cfg.Store.PendingSends(ctx, userID)
	if err != nil {
		return nil, err
	}
	refs := map[string]*jarvis.AccountRef{}
	out := make([]jarvis.SendResult, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		ref, ok := refs[r.AccountID]
		if !ok {
			ref = &jarvis.AccountRef{ID: r.AccountID}
			if g, err := s.cfg.Accounts.FindGoogleIntegration(ctx, userID, r.AccountID); err == nil {
				ref = g.Ref()
			}
			refs[r.AccountID] = ref
		}
		out = append(out, *result(r, ref))
	}
	return out, nil
}

// newID returns a UUIDv7.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
