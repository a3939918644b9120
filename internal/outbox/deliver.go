package outbox

import (
	"context"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Limits of the sending.
const (
	// LeaseTTL is how long a replica holds a send it is sending: longer
	// than the Gmail calls of one attempt take, short enough that a send
	// left by a crashed process is taken over soon.
	LeaseTTL = time.Minute
	// MaxAttempts bounds the attempts at a send that Google keeps refusing
	// for a passing reason (5xx, 429, timeouts); then it fails with the
	// last error's code.
	MaxAttempts = 12
	// overdueAfter is how late a scheduled send may be before the sweep
	// gives it a job of its own (its first being lost or stuck).
	overdueAfter = time.Minute
	// idleAfter is how long a send whose last attempt failed may wait for
	// its retry before the sweep gives it a job of its own: longer than
	// the longest backoff.
	idleAfter = 10 * time.Minute
)

// codeDraftMissing is the error code of a send whose draft was gone, and
// not in Sent, when its time came: it was deleted meanwhile.
const codeDraftMissing = "draft_missing"

// Deliver sends the user's send id if it is due, exactly once: it claims
// the send (scheduled → sending, under a lease), sends its draft and
// records the message. It returns how long to wait when the send is not
// due yet. A send that is cancelled, finished, gone or held by another
// replica needs nothing. An error is a passing failure (the send is left
// for the next attempt to take over); a lasting one ends the send as
// failed, with its code, and is not returned.
//
// A send's draft is read before it is sent and its Message-ID recorded:
// when an attempt finds the draft gone, the message is looked for in Sent
// by that Message-ID — found, the send was made by an attempt whose answer
// was lost, and is recorded as sent; not found, the draft was deleted and
// the send fails with draft_missing. Either way it is never sent twice.
func (s *Service) Deliver(ctx context.Context, userID, id string) (time.Duration, error) {
	r, err := s.cfg.Store.Send(ctx, userID, id)
	if jarvis.IsCode(err, jarvis.ENOTFOUND) {
		return 0, nil // its account was disconnected
	} else if err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	switch {
	case r.Status == jarvis.SendScheduled && r.SendAt.After(now):
		return r.SendAt.Sub(now), nil
	case r.Status == jarvis.SendSending && r.LeaseUntil.After(now):
		// Another attempt has it: look again when its lease ends, to take
		// over should it have failed.
		return r.LeaseUntil.Sub(now) + time.Second, nil
	case r.Status != jarvis.SendScheduled && r.Status != jarvis.SendSending:
		return 0, nil
	}
	owner := newID()
	r, err = s.cfg.Store.ClaimSend(ctx, userID, id, owner, now, LeaseTTL)
	if err != nil || r == nil {
		return 0, err
	}
	if u, err := s.cfg.Users.FindUserByID(ctx, userID); err == nil {
		ctx = jarvis.NewContextWithUser(ctx, u) // the audit rows are the user's
	}
	finished := false
	finish := func(o Outcome) error {
		ok, err := s.cfg.Store.FinishSend(context.WithoutCancel(ctx), userID, id, owner, o, s.cfg.Now())
		if err != nil {
			return err
		}
		finished = true
		if ok {
			s.audit(ctx, r, o)
		}
		return nil
	}
	var lastCode string
	defer func() {
		if !finished {
			if err := s.cfg.Store.ReleaseSend(context.WithoutCancel(ctx), userID, id, owner, lastCode); err != nil {
				s.cfg.Logger.WarnContext(ctx, "release a send's lease", "scheduled_id", id, "err", err)
			}
		}
	}()
	// passing records a passing failure; past the attempts it ends the
	// send as failed.
	passing := func(err error) (time.Duration, error) {
		lastCode = jarvis.ErrorCode(err)
		if r.Attempts >= MaxAttempts {
			return 0, finish(Outcome{Status: jarvis.SendFailed, ErrorCode: lastCode})
		}
		return 0, err
	}

	d, err := s.cfg.Drafts.DraftToSend(ctx, userID, r.AccountID, r.DraftID)
	switch {
	case jarvis.IsCode(err, jarvis.ENOTFOUND):
		return s.confirm(ctx, r, finish, passing)
	case err != nil && lasting(err):
		return 0, finish(Outcome{Status: jarvis.SendFailed, ErrorCode: jarvis.ErrorCode(err)})
	case err != nil:
		return passing(err)
	}
	if d.RFC822MsgID != "" && d.RFC822MsgID != r.RFC822MsgID {
		if ok, err := s.cfg.Store.RecordMsgID(ctx, userID, id, owner, d.RFC822MsgID); err != nil || !ok {
			return 0, err // without it a lost answer could not be confirmed
		}
		r.RFC822MsgID = d.RFC822MsgID
	}
	sent, err := s.cfg.Drafts.SendDraft(ctx, userID, r.AccountID, r.DraftID)
	switch {
	case err == nil:
		return 0, finish(Outcome{Status: jarvis.SendSent, MessageID: sent.MessageID, ThreadID: sent.ThreadID})
	case jarvis.IsCode(err, jarvis.ENOTFOUND):
		return s.confirm(ctx, r, finish, passing)
	case lasting(err):
		return 0, finish(Outcome{Status: jarvis.SendFailed, ErrorCode: jarvis.ErrorCode(err)})
	}
	// The outcome is unknown (a 5xx, a timeout): the next attempt finds
	// out from the draft.
	return passing(err)
}

// confirm settles a send whose draft is gone: sent (by an earlier attempt
// whose answer was lost, or by the user in Gmail) when its message is in
// Sent, else failed with draft_missing.
func (s *Service) confirm(ctx context.Context, r *Row, finish func(Outcome) error, passing func(error) (time.Duration, error)) (time.Duration, error) {
	if r.RFC822MsgID != "" {
		sent, err := s.cfg.Drafts.FindSent(ctx, r.UserID, r.AccountID, r.RFC822MsgID)
		switch {
		case err == nil:
			return 0, finish(Outcome{Status: jarvis.SendSent, MessageID: sent.MessageID, ThreadID: sent.ThreadID})
		case !jarvis.IsCode(err, jarvis.ENOTFOUND):
			return passing(err)
		}
	}
	return 0, finish(Outcome{Status: jarvis.SendFailed, ErrorCode: codeDraftMissing})
}

// lasting reports whether an error of Google's will not pass by retrying:
// the message or the grant is refused.
func lasting(err error) bool {
	switch jarvis.ErrorCode(err) {
	case jarvis.EINVALID, jarvis.EREAUTH, jarvis.ESCOPEMISSING, jarvis.EFORBIDDEN, jarvis.ETOOLARGE:
		return true
	}
	return false
}

// audit records how a send ended: gmail.message.send, a success with the
// message, or a failure with its code.
func (s *Service) audit(ctx context.Context, r *Row, o Outcome) {
	e := jarvis.AuditEntry{Action: jarvis.AuditGmailMessageSend, TargetType: "message", TargetID: o.MessageID, Outcome: jarvis.OutcomeSuccess,
		Metadata: map[string]any{"account_id": r.AccountID, "scheduled_id": r.ID, "draft_id": r.DraftID, "attempts": r.Attempts}}
	if o.Status == jarvis.SendFailed {
		e.Outcome, e.TargetType, e.TargetID = jarvis.OutcomeFailure, "scheduled_send", r.ID
		e.Metadata["error_code"] = o.ErrorCode
	} else {
		e.Metadata["thread_id"] = o.ThreadID
	}
	s.cfg.Auditor.Record(ctx, e)
}

// Stalled is a send whose job may be lost.
type Stalled struct {
	UserID, ID string
	Attempts   int
}

// Overdue lists the sends whose job may be lost or stuck — scheduled and
// more than a minute late, sending under a lease that lapsed without being
// given back (its process died), or waiting for a retry for more than ten
// minutes — for the sweep to give each a job of its own.
func (s *Service) Overdue(ctx context.Context) ([]Stalled, error) {
	now := s.cfg.Now()
	rows, err := s.cfg.Store.OverdueSends(ctx, now, now.Add(-overdueAfter), now.Add(-idleAfter), 500)
	if err != nil {
		return nil, err
	}
	out := make([]Stalled, 0, len(rows))
	for _, r := range rows {
		out = append(out, Stalled{UserID: r.UserID, ID: r.ID, Attempts: r.Attempts})
	}
	return out, nil
}
