package sqldb

import (
	"context"
	"database/sql"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// CalendarChannel is the account whose calendar channel has an id, with
// what a notification on it is checked against.
type CalendarChannel struct {
	AccountID string
	UserID    string
	// TokenSHA256 is the hex SHA-256 of the channel's secret token.
	TokenSHA256 string
	ResourceID  string
	Expiry      time.Time
}

// CalendarChannel returns the channel with that id, of an active account.
// ENOTFOUND when no account has it (never opened, replaced, or the account
// disconnected).
func (x *MailIndex) CalendarChannel(ctx context.Context, channelID string) (CalendarChannel, error) {
	var c CalendarChannel
	var exp int64
	if channelID == "" {
		return c, jarvis.Errorf(jarvis.ENOTFOUND, "Calendar channel not found.")
	}
	err := x.db.db.QueryRowContext(ctx, `SELECT s.account_id, g.user_id, s.calendar_channel_token_sha256, s.calendar_resource_id,
		s.calendar_channel_expiry FROM sync_state s JOIN integrations_google g ON g.id = s.account_id
		WHERE s.calendar_channel_id = $1 AND g.status = 'active'`, channelID).Scan(&c.AccountID, &c.UserID, &c.TokenSHA256, &c.ResourceID, &exp)
	if err == sql.ErrNoRows {
		return c, jarvis.Errorf(jarvis.ENOTFOUND, "Calendar channel not found.")
	}
	if err != nil {
		return c, Unavailable(err)
	}
	c.Expiry = fromMS(exp)
	return c, nil
}

// RecordCalendarPush counts a channel notification for the account and
// records its time, and calls schedule with the same transaction and the
// account's count with it (to insert the calendar sync job), so that both
// happen or neither. It does not change either version of the state, so
// that a sync in progress can still save.
func (x *MailIndex) RecordCalendarPush(ctx context.Context, accountID string, at time.Time,
	schedule func(ctx context.Context, tx *sql.Tx, accountID string, pushes int64) error) error {
	greatest := "GREATEST"
	if x.db.dialect == SQLite {
		greatest = "MAX"
	}
	err := x.db.withTx(ctx, func(tx *sql.Tx) error {
		var pushes int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO sync_state (account_id, phase, calendar_pushes, calendar_push_at)
			VALUES ($1, 'new', 1, $2)
			ON CONFLICT (account_id) DO UPDATE SET calendar_pushes = sync_state.calendar_pushes + 1,
			calendar_push_at = `+greatest+`(sync_state.calendar_push_at, excluded.calendar_push_at)
			RETURNING calendar_pushes`, accountID, ms(at)).Scan(&pushes); err != nil {
			return err
		}
		return schedule(ctx, tx, accountID, pushes)
	})
	if isForeignKeyViolation(err) {
		return errNoAccount()
	}
	return Unavailable(err)
}
