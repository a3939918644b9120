package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// MailIndex is the synced local copy of each Google account's mailbox and
// calendar, and each account's sync state.
type MailIndex struct{ db *DB }

// NewMailIndex returns the index kept in db.
func NewMailIndex(db *DB) *MailIndex { return &MailIndex{db: db} }

var _ mailsync.Store = (*MailIndex)(nil)

// upsertBatch bounds the rows of one multi-row INSERT, well under both
// databases' limits on bound parameters.
const upsertBatch = 200

// ms is a time as the index stores it: Unix milliseconds, 0 for never.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// State returns the account's sync state; PhaseNew at version 0 when it has
// none. ENOTFOUND when there is no such account.
func (x *MailIndex) State(ctx context.Context, accountID string) (mailsync.State, error) {
	st := mailsync.State{AccountID: accountID, Phase: mailsync.PhaseNew}
	var phase string
	var hist, high, listHist int64
	var started, watch, push, success, winStart, winEnd, chanExp, pageAt sql.NullInt64
	var version, calVersion, calPushAt, calPushes, calSynced, calSyncedAt sql.NullInt64
	var pageToken, lastErr, calToken, chanID, chanHash, resID sql.NullString
	err := x.db.db.QueryRowContext(ctx, `SELECT g.user_id, COALESCE(s.phase, 'new'), COALESCE(s.history_id, 0),
		COALESCE(s.high_water, 0), s.list_page_token, COALESCE(s.list_history_id, 0), COALESCE(s.done, 0), COALESCE(s.total, 0),
		s.started_at, s.watch_expiry, s.last_push_at, s.last_success_at, s.last_error, s.calendar_sync_token,
		s.calendar_window_start, s.calendar_window_end, s.calendar_channel_id, s.calendar_channel_token_sha256,
		s.calendar_resource_id, s.calendar_channel_expiry, s.version, s.calendar_version, s.calendar_push_at,
		s.calendar_pushes, s.calendar_synced_pushes, s.calendar_synced_at, s.list_page_at
		FROM integrations_google g LEFT JOIN sync_state s ON s.account_id = g.id WHERE g.id = $1`, accountID).Scan(
		&st.UserID, &phase, &hist, &high, &pageToken, &listHist, &st.Done, &st.Total,
		&started, &watch, &push, &success, &lastErr, &calToken, &winStart, &winEnd, &chanID, &chanHash, &resID, &chanExp, &version,
		&calVersion, &calPushAt, &calPushes, &calSynced, &calSyncedAt, &pageAt)
	if err != nil {
		return st, Unavailable(notFound(err, "Google account"))
	}
	st.Phase, st.HistoryID, st.HighWater, st.ListHistoryID = mailsync.Phase(phase), uint64(hist), uint64(high), uint64(listHist)
	st.ListPageToken, st.LastError, st.CalendarSyncToken = pageToken.String, lastErr.String, calToken.String
	st.CalendarChannelID, st.CalendarChannelTokenSHA256, st.CalendarResourceID = chanID.String, chanHash.String, resID.String
	st.StartedAt, st.WatchExpiry, st.LastPushAt, st.LastSuccessAt = fromMS(started.Int64), fromMS(watch.Int64), fromMS(push.Int64), fromMS(success.Int64)
	st.CalendarWindowStart, st.CalendarWindowEnd, st.CalendarChannelExpiry = fromMS(winStart.Int64), fromMS(winEnd.Int64), fromMS(chanExp.Int64)
	st.Version, st.CalendarVersion, st.ListPageAt = version.Int64, calVersion.Int64, fromMS(pageAt.Int64)
	st.CalendarPushAt, st.CalendarPushes, st.CalendarSyncedPushes = fromMS(calPushAt.Int64), calPushes.Int64, calSynced.Int64
	st.CalendarSyncedAt = fromMS(calSyncedAt.Int64)
	return st, nil
}

// SaveState writes st if its version is still the stored one (0: no row
// yet) and increments st.Version; ECONFLICT otherwise. The high-water mark
// and the last push are RecordHighWater's alone, the calendar fields
// SaveCalendarState's.
func (x *MailIndex) SaveState(ctx context.Context, st *mailsync.State) error {
	return x.db.withTx(ctx, func(tx *sql.Tx) error { return x.saveState(ctx, tx, st) })
}

func (x *MailIndex) saveState(ctx context.Context, tx *sql.Tx, st *mailsync.State) error {
	args := []any{st.AccountID, string(st.Phase), int64(st.HistoryID), st.ListPageToken, int64(st.ListHistoryID), st.Done, st.Total,
		ms(st.StartedAt), ms(st.WatchExpiry), ms(st.LastSuccessAt), st.LastError, st.Version, ms(st.ListPageAt)}
	var res sql.Result
	var err error
	if st.Version == 0 {
		// A row may exist already at version 0, made by RecordHighWater or
		// by the calendar's half.
		res, err = tx.ExecContext(ctx, `INSERT INTO sync_state (account_id, phase, history_id, list_page_token, list_history_id,
			done, total, started_at, watch_expiry, last_success_at, last_error, version, list_page_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 + 1, $13)
			ON CONFLICT (account_id) DO UPDATE SET phase = excluded.phase, history_id = excluded.history_id,
			list_page_token = excluded.list_page_token, list_history_id = excluded.list_history_id, done = excluded.done,
			total = excluded.total, started_at = excluded.started_at, watch_expiry = excluded.watch_expiry,
			last_success_at = excluded.last_success_at, last_error = excluded.last_error, version = excluded.version,
			list_page_at = excluded.list_page_at
			WHERE sync_state.version = 0`, args...)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE sync_state SET phase = $2, history_id = $3, list_page_token = $4,
			list_history_id = $5, done = $6, total = $7, started_at = $8, watch_expiry = $9, last_success_at = $10,
			last_error = $11, version = version + 1, list_page_at = $13
			WHERE account_id = $1 AND version = $12`, args...)
	}
	if err := oneRow(res, err, "The account's sync state changed meanwhile."); err != nil {
		return err
	}
	st.Version++
	return nil
}

// SaveCalendarState writes st's calendar fields if its calendar version is
// still the stored one and increments st.CalendarVersion; ECONFLICT
// otherwise. The channel's pushes are RecordCalendarPush's alone.
func (x *MailIndex) SaveCalendarState(ctx context.Context, st *mailsync.State) error {
	return x.db.withTx(ctx, func(tx *sql.Tx) error { return x.saveCalendarState(ctx, tx, st) })
}

func (x *MailIndex) saveCalendarState(ctx context.Context, tx *sql.Tx, st *mailsync.State) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state (account_id, phase) VALUES ($1, 'new') ON CONFLICT (account_id) DO NOTHING`,
		st.AccountID); err != nil {
		if isForeignKeyViolation(err) {
			return errNoAccount()
		}
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE sync_state SET calendar_sync_token = $2, calendar_window_start = $3,
		calendar_window_end = $4, calendar_channel_id = $5, calendar_channel_token_sha256 = $6, calendar_resource_id = $7,
		calendar_channel_expiry = $8, calendar_synced_pushes = $9, calendar_synced_at = $10, calendar_version = calendar_version + 1
		WHERE account_id = $1 AND calendar_version = $11`, st.AccountID, st.CalendarSyncToken, ms(st.CalendarWindowStart),
		ms(st.CalendarWindowEnd), st.CalendarChannelID, st.CalendarChannelTokenSHA256, st.CalendarResourceID,
		ms(st.CalendarChannelExpiry), st.CalendarSyncedPushes, ms(st.CalendarSyncedAt), st.CalendarVersion)
	if err := oneRow(res, err, "The account's calendar sync state changed meanwhile."); err != nil {
		return err
	}
	st.CalendarVersion++
	return nil
}

// oneRow turns a write's result into ECONFLICT (with message) unless it
// changed exactly one row.
func oneRow(res sql.Result, err error, message string) error {
	if err != nil {
		if isForeignKeyViolation(err) {
			return errNoAccount()
		}
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return &jarvis.Error{Code: jarvis.ECONFLICT, Message: message}
	}
	return nil
}

// RecordHighWater raises the account's high-water mark (never lowers it)
// and records the push. It does not change the state's version, so that a
// sync in progress can still save.
func (x *MailIndex) RecordHighWater(ctx context.Context, accountID string, historyID uint64, at time.Time) error {
	_, err := x.recordHighWater(ctx, x.db.db, accountID, historyID, at)
	if isForeignKeyViolation(err) {
		return errNoAccount()
	}
	return Unavailable(err)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (x *MailIndex) recordHighWater(ctx context.Context, db execer, accountID string, historyID uint64, at time.Time) (sql.Result, error) {
	greatest := "GREATEST"
	if x.db.dialect == SQLite {
		greatest = "MAX"
	}
	return db.ExecContext(ctx, `INSERT INTO sync_state (account_id, phase, high_water, last_push_at)
		VALUES ($1, 'new', $2, $3)
		ON CONFLICT (account_id) DO UPDATE SET high_water = `+greatest+`(sync_state.high_water, excluded.high_water),
		last_push_at = `+greatest+`(sync_state.last_push_at, excluded.last_push_at)`, accountID, int64(historyID), ms(at))
}

// RecordNotification records a Gmail notification for the active account
// with that address: its high-water mark raised, and schedule called with
// the same transaction (to insert the sync job), so that both happen or
// neither. found is false when no active account has the address.
func (x *MailIndex) RecordNotification(ctx context.Context, email string, historyID uint64, at time.Time,
	schedule func(ctx context.Context, tx *sql.Tx, accountID string) error) (found bool, err error) {
	err = x.db.withTx(ctx, func(tx *sql.Tx) error {
		var accountID string
		err := tx.QueryRowContext(ctx, `SELECT id FROM integrations_google WHERE LOWER(email) = LOWER($1) AND status = 'active'
			ORDER BY created_at LIMIT 1`, email).Scan(&accountID)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		if _, err := x.recordHighWater(ctx, tx, accountID, historyID, at); err != nil {
			return err
		}
		return schedule(ctx, tx, accountID)
	})
	return found && err == nil, err
}

// Accounts lists every active account.
func (x *MailIndex) Accounts(ctx context.Context) ([]mailsync.Account, error) {
	rows, err := x.db.db.QueryContext(ctx, `SELECT id, user_id, email FROM integrations_google WHERE status = 'active' ORDER BY id`)
	if err != nil {
		return nil, Unavailable(err)
	}
	defer rows.Close()
	var out []mailsync.Account
	for rows.Next() {
		var a mailsync.Account
		if err := rows.Scan(&a.ID, &a.UserID, &a.Email); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, Unavailable(rows.Err())
}

// Wipe removes everything indexed for the account and its sync state.
func (x *MailIndex) Wipe(ctx context.Context, accountID string) error {
	return x.db.withTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"mail_message_labels", "mail_messages", "mail_threads", "mail_labels", "calendar_events", "sync_state"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE account_id = $1", accountID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReplaceLabels replaces the account's label names and types: each upserted,
// then those no longer listed deleted, so that two syncs writing at once
// cannot collide.
func (x *MailIndex) ReplaceLabels(ctx context.Context, accountID string, labels []mailsync.Label) error {
	err := x.db.withTx(ctx, func(tx *sql.Tx) error {
		ids := make([]string, 0, len(labels))
		for _, l := range labels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO mail_labels (account_id, id, name, type) VALUES ($1, $2, $3, $4)
				ON CONFLICT (account_id, id) DO UPDATE SET name = excluded.name, type = excluded.type`, accountID, l.ID, l.Name, l.Type); err != nil {
				return err
			}
			ids = append(ids, l.ID)
		}
		del := `DELETE FROM mail_labels WHERE account_id = $1`
		if len(ids) > 0 {
			del += ` AND id NOT IN (` + placeholders(2, len(ids)) + `)`
		}
		_, err := tx.ExecContext(ctx, del, inArgs(accountID, ids)...)
		return err
	})
	if isForeignKeyViolation(err) {
		return errNoAccount()
	}
	return err
}

// encodeLabels stores label ids space-separated, with a space at each end so
// that " ID " finds one exactly.
func encodeLabels(labels []string) string {
	if len(labels) == 0 {
		return " "
	}
	l := slices.Clone(labels)
	slices.Sort(l)
	l = slices.Compact(l)
	return " " + strings.Join(l, " ") + " "
}

func decodeLabels(s string) []string {
	f := strings.Fields(s)
	if f == nil {
		return []string{}
	}
	return f
}

func encodeAddrs(a []jarvis.Address) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

func decodeAddrs(s string) []jarvis.Address {
	var a []jarvis.Address
	_ = json.Unmarshal([]byte(s), &a)
	if a == nil {
		a = []jarvis.Address{}
	}
	return a
}

// isForeignKeyViolation reports whether err is a foreign-key violation, by
// the driver's error code.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// errNoAccount is the answer for an account that does not exist.
func errNoAccount() error { return jarvis.Errorf(jarvis.ENOTFOUND, "Google account not found.") }

// LeaseSync takes (or renews) the account's sync lease for owner until ttl
// from now, unless another owner holds an unexpired one. It reports whether
// owner holds it.
func (x *MailIndex) LeaseSync(ctx context.Context, accountID, owner string, ttl time.Duration) (bool, error) {
	now := x.db.now()
	var held bool
	err := x.db.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sync_state (account_id, phase) VALUES ($1, 'new') ON CONFLICT (account_id) DO NOTHING`,
			accountID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sync_state SET sync_lease_owner = $2, sync_lease_until = $3
			WHERE account_id = $1 AND (sync_lease_until < $4 OR sync_lease_owner = $2)`, accountID, owner, ms(now.Add(ttl)), ms(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		held = n == 1
		return err
	})
	if isForeignKeyViolation(err) {
		return false, errNoAccount()
	}
	return held, err
}

// ReleaseSync gives the account's sync lease up, if owner holds it.
func (x *MailIndex) ReleaseSync(ctx context.Context, accountID, owner string) error {
	_, err := x.db.db.ExecContext(ctx, `UPDATE sync_state SET sync_lease_until = 0 WHERE account_id = $1 AND sync_lease_owner = $2`,
		accountID, owner)
	return Unavailable(err)
}
