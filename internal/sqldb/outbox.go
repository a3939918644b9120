package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/outbox"
)

// Outbox stores the sends Jarvis holds (table gmail_outbox).
type Outbox struct{ db *DB }

// NewOutbox returns the sends' store.
func NewOutbox(db *DB) *Outbox { return &Outbox{db: db} }

var _ outbox.Store = (*Outbox)(nil)

const outboxColumns = `id, user_id, account_id, draft_id, thread_id, subject, recipients, send_at, undo, status, message_id,
	rfc822_msgid, error_code, attempts, lease_owner, lease_until, COALESCE(idempotency_key, ''), request_hash, created_at, updated_at`

func scanOutbox(sc interface{ Scan(...any) error }) (*outbox.Row, error) {
	var r outbox.Row
	var to string
	var sendAt, leaseUntil, created, updated int64
	if err := sc.Scan(&r.ID, &r.UserID, &r.AccountID, &r.DraftID, &r.ThreadID, &r.Subject, &to, &sendAt, &r.Undo, &r.Status, &r.MessageID,
		&r.RFC822MsgID, &r.ErrorCode, &r.Attempts, &r.LeaseOwner, &leaseUntil, &r.IdempotencyKey, &r.RequestHash, &created, &updated); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(to), &r.To)
	r.SendAt, r.LeaseUntil, r.CreatedAt, r.UpdatedAt = fromMS(sendAt), fromMS(leaseUntil), fromMS(created), fromMS(updated)
	return &r, nil
}

// InsertSend writes a new send and enqueues its job in one transaction.
// ECONFLICT when the account's idempotency key is taken or the draft is
// held by another pending send; ENOTFOUND when the account is gone.
func (o *Outbox) InsertSend(ctx context.Context, r *outbox.Row, enqueue func(context.Context, *sql.Tx) error) error {
	to, _ := json.Marshal(r.To)
	if r.To == nil {
		to = []byte("[]")
	}
	var key any
	if r.IdempotencyKey != "" {
		key = r.IdempotencyKey
	}
	err := o.db.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO gmail_outbox (id, user_id, account_id, draft_id, thread_id, subject, recipients, send_at, undo,
			status, rfc822_msgid, idempotency_key, request_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			r.ID, r.UserID, r.AccountID, r.DraftID, r.ThreadID, r.Subject, string(to), ms(r.SendAt), r.Undo,
			r.Status, r.RFC822MsgID, key, r.RequestHash, ms(r.CreatedAt), ms(r.UpdatedAt))
		if err != nil {
			return err
		}
		return enqueue(ctx, tx)
	})
	switch {
	case isUniqueViolation(err):
		return jarvis.Errorf(jarvis.ECONFLICT, "This draft is being sent already: cancel that send first (GET /gmail/scheduled lists them).")
	case isForeignKeyViolation(err):
		return errNoAccount()
	}
	return err
}

// Send returns one of the user's sends, or ENOTFOUND.
func (o *Outbox) Send(ctx context.Context, userID, id string) (*outbox.Row, error) {
	r, err := scanOutbox(o.db.db.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM gmail_outbox WHERE user_id = $1 AND id = $2`, userID, id))
	return r, Unavailable(notFound(err, "Scheduled send"))
}

// SendByKey returns the account's send made with the key, or ENOTFOUND.
func (o *Outbox) SendByKey(ctx context.Context, userID, accountID, key string) (*outbox.Row, error) {
	r, err := scanOutbox(o.db.db.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM gmail_outbox
		WHERE user_id = $1 AND account_id = $2 AND idempotency_key = $3`, userID, accountID, key))
	return r, Unavailable(notFound(err, "Scheduled send"))
}

// PendingSends lists the user's scheduled and sending sends, soonest first.
func (o *Outbox) PendingSends(ctx context.Context, userID string) ([]outbox.Row, error) {
	return o.list(ctx, `SELECT `+outboxColumns+` FROM gmail_outbox WHERE user_id = $1 AND status IN ('scheduled', 'sending')
		ORDER BY send_at, id LIMIT 1000`, userID)
}

func (o *Outbox) list(ctx context.Context, q string, args ...any) ([]outbox.Row, error) {
	rows, err := o.db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, Unavailable(err)
	}
	defer rows.Close()
	out := []outbox.Row{}
	for rows.Next() {
		r, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, Unavailable(rows.Err())
}

// CancelSend moves a scheduled send to cancelled (compare-and-set) and
// returns the send as it then is. ENOTFOUND when the user has no such send.
func (o *Outbox) CancelSend(ctx context.Context, userID, id string, now time.Time) (*outbox.Row, error) {
	if _, err := o.db.db.ExecContext(ctx, `UPDATE gmail_outbox SET status = 'cancelled', updated_at = $3
		WHERE user_id = $1 AND id = $2 AND status = 'scheduled'`, userID, id, ms(now)); err != nil {
		return nil, Unavailable(err)
	}
	return o.Send(ctx, userID, id)
}

// ClaimSend takes a due send for owner (compare-and-set: scheduled and
// due, or sending under a lapsed lease) and counts an attempt. nil when it
// was not taken.
func (o *Outbox) ClaimSend(ctx context.Context, userID, id, owner string, now time.Time, ttl time.Duration) (*outbox.Row, error) {
	res, err := o.db.db.ExecContext(ctx, `UPDATE gmail_outbox SET status = 'sending', lease_owner = $3, lease_until = $4,
		attempts = attempts + 1, updated_at = $5
		WHERE user_id = $1 AND id = $2 AND (status = 'scheduled' AND send_at <= $5 OR status = 'sending' AND lease_until <= $5)`,
		userID, id, owner, ms(now.Add(ttl)), ms(now))
	if err != nil {
		return nil, Unavailable(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, err
	}
	r, err := o.Send(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if r.LeaseOwner != owner {
		return nil, nil // taken over at once (a lease of 0)
	}
	return r, nil
}

// RecordMsgID records the draft's Message-ID while owner holds the send.
func (o *Outbox) RecordMsgID(ctx context.Context, userID, id, owner, msgID string) (bool, error) {
	return o.exec1(ctx, `UPDATE gmail_outbox SET rfc822_msgid = $4 WHERE user_id = $1 AND id = $2 AND lease_owner = $3 AND status = 'sending'`,
		userID, id, owner, msgID)
}

// FinishSend ends a send that owner holds, as sent or failed.
func (o *Outbox) FinishSend(ctx context.Context, userID, id, owner string, r outbox.Outcome, now time.Time) (bool, error) {
	if r.Status != jarvis.SendSent && r.Status != jarvis.SendFailed {
		return false, errors.New("outbox: a send ends sent or failed")
	}
	return o.exec1(ctx, `UPDATE gmail_outbox SET status = $4, message_id = $5, thread_id = CASE WHEN $6 = '' THEN thread_id ELSE $6 END,
		error_code = $7, lease_owner = '', lease_until = 0, updated_at = $8
		WHERE user_id = $1 AND id = $2 AND lease_owner = $3 AND status = 'sending'`,
		userID, id, owner, r.Status, r.MessageID, r.ThreadID, r.ErrorCode, ms(now))
}

// ReleaseSend gives up owner's lease, noting the error code.
func (o *Outbox) ReleaseSend(ctx context.Context, userID, id, owner, code string) error {
	_, err := o.db.db.ExecContext(ctx, `UPDATE gmail_outbox SET lease_until = 0, error_code = $4
		WHERE user_id = $1 AND id = $2 AND lease_owner = $3 AND status = 'sending'`, userID, id, owner, code)
	return Unavailable(err)
}

// OverdueSends lists, of every user, the sends scheduled and due before
// dueBefore, sending under a lease lapsed at now and never given back, or
// sending with the lease given back and untouched since idleBefore, the
// most overdue first.
func (o *Outbox) OverdueSends(ctx context.Context, now, dueBefore, idleBefore time.Time, limit int) ([]outbox.Row, error) {
	return o.list(ctx, `SELECT `+outboxColumns+` FROM gmail_outbox
		WHERE status = 'scheduled' AND send_at < $1
			OR status = 'sending' AND lease_until > 0 AND lease_until <= $2
			OR status = 'sending' AND lease_until = 0 AND updated_at < $3
		ORDER BY send_at LIMIT $4`, ms(dueBefore), ms(now), ms(idleBefore), limit)
}

func (o *Outbox) exec1(ctx context.Context, q string, args ...any) (bool, error) {
	res, err := o.db.db.ExecContext(ctx, q, args...)
	if err != nil {
		return false, Unavailable(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
