package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jarvis-hq/jarvis/internal/quota"
)

// GmailQuota keeps each account's Gmail quota in its gmail_quota row, so
// that every replica shares it (see package quota).
type GmailQuota struct{ db *DB }

var _ quota.Store = GmailQuota{}

// NewGmailQuota returns the quota store of db.
func NewGmailQuota(db *DB) GmailQuota { return GmailQuota{db: db} }

// lockQuota locks the account's row, creating it, and returns its state:
// the upsert takes the row lock that the update then relies on.
func lockQuota(ctx context.Context, tx *sql.Tx, account string) (tat, paused time.Time, err error) {
	var t, p int64
	err = tx.QueryRowContext(ctx, `INSERT INTO gmail_quota (account_id) VALUES ($1)
		ON CONFLICT (account_id) DO UPDATE SET account_id = excluded.account_id RETURNING tat, paused_until`, account).Scan(&t, &p)
	return time.UnixMicro(t), time.UnixMicro(p), err
}

// Take implements quota.Store: one transaction that locks the account's row.
func (q GmailQuota) Take(ctx context.Context, account string, now time.Time, c quota.Check) (time.Duration, error) {
	var wait time.Duration
	err := q.db.withTx(ctx, func(tx *sql.Tx) error {
		tat, paused, err := lockQuota(ctx, tx, account)
		if err != nil {
			return err
		}
		next, w := quota.Step(tat, paused, now, c)
		if wait = w; w > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE gmail_quota SET tat = $2 WHERE account_id = $1`, account, next.UnixMicro())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("gmail quota: %w", err)
	}
	return wait, nil
}

// Pause implements quota.Store.
func (q GmailQuota) Pause(ctx context.Context, account string, until time.Time) error {
	_, err := q.db.db.ExecContext(ctx, `INSERT INTO gmail_quota (account_id, paused_until) VALUES ($1, $2)
		ON CONFLICT (account_id) DO UPDATE SET paused_until = CASE WHEN gmail_quota.paused_until > excluded.paused_until
			THEN gmail_quota.paused_until ELSE excluded.paused_until END`, account, until.UnixMicro())
	if err != nil {
		return fmt.Errorf("gmail quota pause: %w", Unavailable(err))
	}
	return nil
}
