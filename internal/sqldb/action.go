package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// MaxActionPage is the largest page ListActions returns.
const MaxActionPage = 100

const actionColumns = `id, user_id, kind, status, summary, requester_type, requester_id, requester_name, requester_tool, COALESCE(message_id, ''),
	account_id, account_email, payload, sends, policy_verdict, policy_flags, created_at, expires_at, decided_at, decided_by, result, error_code,
	run_attempts, run_lease_until`

// scanAction reads an action; a pending one past its expiry reads as
// expired (it is marked so when next decided or listed by the service).
func (db *DB) scanAction(row interface{ Scan(...any) error }) (*jarvis.Action, error) {
	var a jarvis.Action
	var payload, flags string
	var result sql.NullString
	var decided, lease sql.NullTime
	var account jarvis.AccountRef
	if err := row.Scan(&a.ID, &a.UserID, &a.Kind, &a.Status, &a.Summary, &a.Requester.Type, &a.Requester.ID, &a.Requester.Name, &a.Requester.Tool,
		&a.Requester.MessageID, &account.ID, &account.Email, &payload, &a.Sends, &a.Policy.Verdict, &flags, &a.CreatedAt, &a.ExpiresAt, &decided,
		&a.DecidedBy, &result, &a.ErrorCode, &a.RunAttempts, &lease); err != nil {
		return nil, err
	}
	if account.ID != "" {
		a.Account = &account
	}
	a.Payload = json.RawMessage(payload)
	if err := json.Unmarshal([]byte(flags), &a.Policy.Flags); err != nil {
		return nil, fmt.Errorf("policy flags of action %s: %w", a.ID, err)
	}
	if a.Policy.Flags == nil {
		a.Policy.Flags = []string{}
	}
	if result.Valid && result.String != "" {
		a.Result = json.RawMessage(result.String)
	}
	a.CreatedAt, a.ExpiresAt, a.DecidedAt, a.RunLeaseUntil = a.CreatedAt.UTC(), a.ExpiresAt.UTC(), timePtr(decided), timePtr(lease)
	if a.Status == jarvis.ActionPending && !db.now().Before(a.ExpiresAt) {
		a.Status = jarvis.ActionExpired
	}
	return &a, nil
}

// InsertAction stores a of a.UserID, filling its id (when empty) and
// creation time. Its status is pending, or approved for an action that
// runs at once (DecidedAt and DecidedBy set), which is stored running:
// under its lease RunLeaseUntil (required), its first run counted. An
// assistant's action names
// its conversation (Requester.ID) and message, which must be the user's:
// ENOTFOUND otherwise.
func (db *DB) InsertAction(ctx context.Context, a *jarvis.Action) error {
	return db.insertAction(ctx, db.db, a)
}

// execQuerier is a database or a transaction.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// InsertActionWithinCap stores a (approved, sending mail) only if the
// user's agent sends since the time given are fewer than limit: the count
// and the insert are one transaction under the user's lock (the user's
// row on PostgreSQL; SQLite's write transactions are serial), so that
// concurrent requests cannot all pass the cap. within is false, and
// nothing is stored, at the cap.
func (db *DB) InsertActionWithinCap(ctx context.Context, a *jarvis.Action, since time.Time, limit int) (within bool, err error) {
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		if err := db.lockUser(ctx, tx, a.UserID); err != nil {
			return err
		}
		n, err := countAgentSends(ctx, db, tx, a.UserID, since)
		if err != nil {
			return err
		}
		if n >= limit {
			return nil
		}
		within = true
		return db.insertAction(ctx, tx, a)
	})
	if err != nil {
		return false, err
	}
	return within, nil
}

func (db *DB) insertAction(ctx context.Context, q execQuerier, a *jarvis.Action) error {
	if a.Status != jarvis.ActionPending && a.Status != jarvis.ActionApproved {
		return fmt.Errorf("insert action: status %q", a.Status)
	}
	var lease any
	a.RunAttempts = 0
	if a.Status == jarvis.ActionApproved {
		if a.RunLeaseUntil == nil {
			return errors.New("insert action: an approved action is stored with its run lease")
		}
		lease, a.RunAttempts = db.ts(*a.RunLeaseUntil), 1
	}
	if a.ID == "" {
		a.ID = newID()
	}
	a.CreatedAt = db.now()
	a.ExpiresAt = a.ExpiresAt.UTC().Truncate(time.Microsecond)
	if a.Policy.Flags == nil {
		a.Policy.Flags = []string{}
	}
	flags, err := json.Marshal(a.Policy.Flags)
	if err != nil {
		return err
	}
	var conv, msg any
	if a.Requester.Type == jarvis.RequesterAssistant && a.Requester.MessageID != "" {
		var c string
		err := q.QueryRowContext(ctx, `SELECT conversation_id FROM chat_messages WHERE user_id = $1 AND id = $2`, a.UserID, a.Requester.MessageID).Scan(&c)
		if err != nil {
			return notFound(err, "Message")
		}
		a.Requester.ID, conv, msg = c, c, a.Requester.MessageID
	}
	var account jarvis.AccountRef
	if a.Account != nil {
		account = *a.Account
	}
	_, err = q.ExecContext(ctx, `INSERT INTO actions (id, user_id, kind, status, summary, requester_type, requester_id, requester_name, requester_tool,
		conversation_id, message_id, account_id, account_email, payload, sends, policy_verdict, policy_flags, created_at, expires_at, decided_at, decided_by,
		run_lease_until, run_attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
		a.ID, a.UserID, a.Kind, a.Status, noNUL(a.Summary), a.Requester.Type, a.Requester.ID, noNUL(a.Requester.Name), noNUL(a.Requester.Tool),
		conv, msg, account.ID, account.Email, noNUL(string(a.Payload)), a.Sends, a.Policy.Verdict, string(flags), db.ts(a.CreatedAt), db.ts(a.ExpiresAt),
		db.nullTS(a.DecidedAt), a.DecidedBy, lease, a.RunAttempts)
	if err != nil {
		return fmt.Errorf("insert action: %w", err)
	}
	return nil
}

// FindAction returns the user's action. ENOTFOUND if it is not the user's.
func (db *DB) FindAction(ctx context.Context, userID, id string) (*jarvis.Action, error) {
	a, err := db.scanAction(db.db.QueryRowContext(ctx, `SELECT `+actionColumns+` FROM actions WHERE user_id = $1 AND id = $2`, userID, id))
	if err != nil {
		return nil, notFound(err, "Action")
	}
	return a, nil
}

// ListActions returns a page of the user's actions, newest first,
// optionally of one status (a pending action past its expiry counts as
// expired, not pending). The limit is at most MaxActionPage, 25 when not
// given. EINVALID naming status or page_token.
func (db *DB) ListActions(ctx context.Context, userID string, f jarvis.ActionFilter) (*jarvis.ActionPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 25
	}
	limit = min(limit, MaxActionPage)
	q := `SELECT ` + actionColumns + ` FROM actions WHERE user_id = $1`
	args := []any{userID}
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	now := db.ts(db.now())
	switch f.Status {
	case "":
	case jarvis.ActionPending:
		q += ` AND status = 'pending' AND expires_at > ` + arg(now)
	case jarvis.ActionExpired:
		q += ` AND (status = 'expired' OR (status = 'pending' AND expires_at <= ` + arg(now) + `))`
	default:
		if !slices.Contains(jarvis.ActionStatuses, f.Status) {
			return nil, jarvis.Invalid("status", "status must be one of: %s.", strings.Join(jarvis.ActionStatuses, ", "))
		}
		q += ` AND status = ` + arg(f.Status)
	}
	if f.PageToken != "" {
		at, id, err := parseConversationToken(f.PageToken)
		if err != nil {
			return nil, err
		}
		a, b := arg(db.ts(at)), arg(id)
		q += ` AND (created_at < ` + a + ` OR (created_at = ` + a + ` AND id < ` + b + `))`
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(limit+1)
	rows, err := db.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list actions: %w", err)
	}
	defer rows.Close()
	page := &jarvis.ActionPage{Actions: []jarvis.Action{}}
	for rows.Next() {
		a, err := db.scanAction(rows)
		if err != nil {
			return nil, err
		}
		page.Actions = append(page.Actions, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Actions) > limit {
		page.Actions = page.Actions[:limit]
		last := page.Actions[limit-1]
		page.NextPageToken = strconv.FormatInt(last.CreatedAt.UnixMicro(), 10) + "_" + last.ID
	}
	return page, nil
}

// DecideAction moves the user's pending, unexpired action to status
// (approved or rejected) in one compare-and-set, so that of two racing
// decisions exactly one wins. ENOTFOUND if the action is not the user's;
// ECONFLICT if it was already decided; EEXPIRED if its time has passed
// (the action stays pending past its expiry, which reads as expired, until
// ExpireActions marks it); EINVALID for another status. Approved, the
// action is running from the same statement on: under a run lease until
// leaseUntil, its first run counted, so that a process that dies before
// recording how the run went leaves it to ClaimInterruptedAction.
func (db *DB) DecideAction(ctx context.Context, userID, id, status, decidedBy string, leaseUntil time.Time) (*jarvis.Action, error) {
	if status != jarvis.ActionApproved && status != jarvis.ActionRejected {
		return nil, jarvis.Invalid("decision", "A decision approves or rejects.")
	}
	now := db.ts(db.now())
	var lease any
	runs := 0
	if status == jarvis.ActionApproved {
		lease, runs = db.ts(leaseUntil), 1
	}
	res, err := db.db.ExecContext(ctx, `UPDATE actions SET status = $3, decided_at = $4, decided_by = $5, run_lease_until = $6, run_attempts = run_attempts + $7
		WHERE user_id = $1 AND id = $2 AND status = 'pending' AND expires_at > $4`, userID, id, status, now, decidedBy, lease, runs)
	if err != nil {
		return nil, fmt.Errorf("decide action: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	a, err := db.FindAction(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	switch {
	case n == 1:
		return a, nil
	case a.Status == jarvis.ActionExpired:
		return nil, jarvis.Errorf(jarvis.EEXPIRED, "This action expired at %s and can no longer be approved or rejected.", a.ExpiresAt.Format("2006-01-02 15:04 MST"))
	}
	return nil, jarvis.Errorf(jarvis.ECONFLICT, "This action was already %s.", a.Status)
}

// FinishAction records how the user's approved action went: its result
// (executed), or failed with errorCode. It changes only an approved action;
// ECONFLICT otherwise, ENOTFOUND if it is not the user's.
func (db *DB) FinishAction(ctx context.Context, userID, id string, result json.RawMessage, errorCode string) (*jarvis.Action, error) {
	var res sql.Result
	var err error
	if errorCode == "" {
		if len(result) == 0 {
			result = json.RawMessage("null")
		}
		res, err = db.db.ExecContext(ctx, `UPDATE actions SET status = 'executed', result = $3 WHERE user_id = $1 AND id = $2 AND status = 'approved'`,
			userID, id, noNUL(string(result)))
	} else {
		res, err = db.db.ExecContext(ctx, `UPDATE actions SET status = 'failed', error_code = $3 WHERE user_id = $1 AND id = $2 AND status = 'approved'`,
			userID, id, errorCode)
	}
	if err != nil {
		return nil, fmt.Errorf("finish action: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	a, err := db.FindAction(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, jarvis.Errorf(jarvis.ECONFLICT, "This action is not running.")
	}
	return a, nil
}

// ClaimInterruptedAction takes one approved action, of any user, whose
// run lease lapsed before now (its run was interrupted: the process died
// before recording how it went), oldest lease first. Each candidate is
// taken by a compare-and-set on its status, lease and runs, so that of
// replicas sweeping at once exactly one takes it. With fewer than maxRuns
// runs it is leased until leaseUntil and its run counted, and returned
// approved, to be run again; with maxRuns it is failed with
// jarvis.ErrorCodeInterrupted, never to run again, and returned failed.
// nil, nil when there is none.
func (db *DB) ClaimInterruptedAction(ctx context.Context, now, leaseUntil time.Time, maxRuns int) (*jarvis.Action, error) {
	at := db.ts(now)
	rows, err := db.db.QueryContext(ctx, `SELECT user_id, id FROM actions WHERE status = 'approved' AND run_lease_until < $1
		ORDER BY run_lease_until, id LIMIT 20`, at)
	if err != nil {
		return nil, fmt.Errorf("list interrupted actions: %w", err)
	}
	type key struct{ user, id string }
	var due []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.user, &k.id); err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, k := range due {
		// Run again, under a new lease...
		res, err := db.db.ExecContext(ctx, `UPDATE actions SET run_lease_until = $3, run_attempts = run_attempts + 1
			WHERE user_id = $1 AND id = $2 AND status = 'approved' AND run_lease_until < $4 AND run_attempts < $5`,
			k.user, k.id, db.ts(leaseUntil), at, maxRuns)
		if err != nil {
			return nil, fmt.Errorf("claim an interrupted action: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			// ...or, interrupted too often, failed.
			res, err = db.db.ExecContext(ctx, `UPDATE actions SET status = 'failed', error_code = $3
				WHERE user_id = $1 AND id = $2 AND status = 'approved' AND run_lease_until < $4 AND run_attempts >= $5`,
				k.user, k.id, jarvis.ErrorCodeInterrupted, at, maxRuns)
			if err != nil {
				return nil, fmt.Errorf("fail an interrupted action: %w", err)
			}
			if n, err = res.RowsAffected(); err != nil {
				return nil, err
			}
		}
		if n == 1 {
			return db.FindAction(ctx, k.user, k.id)
		}
		// Another replica took it first.
	}
	return nil, nil
}

// ExpireActions marks the user's pending actions whose time has passed
// expired, and returns them: each once, however many callers race (each
// is marked by a compare-and-set of its own).
func (db *DB) ExpireActions(ctx context.Context, userID string) ([]jarvis.Action, error) {
	now := db.ts(db.now())
	rows, err := db.db.QueryContext(ctx, `SELECT `+actionColumns+` FROM actions WHERE user_id = $1 AND status = 'pending' AND expires_at <= $2
		ORDER BY created_at, id LIMIT 1000`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("list expired actions: %w", err)
	}
	var due []jarvis.Action
	for rows.Next() {
		a, err := db.scanAction(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		due = append(due, *a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []jarvis.Action
	for _, a := range due {
		res, err := db.db.ExecContext(ctx, `UPDATE actions SET status = 'expired' WHERE user_id = $1 AND id = $2 AND status = 'pending' AND expires_at <= $3`,
			userID, a.ID, now)
		if err != nil {
			return out, fmt.Errorf("expire action: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			a.Status = jarvis.ActionExpired
			out = append(out, a)
		}
	}
	return out, nil
}

// CountAgentSends counts the user's actions that send mail, asked for by
// an agent, approved (by the owner or the policy) since the time given and
// not failed.
func (db *DB) CountAgentSends(ctx context.Context, userID string, since time.Time) (int, error) {
	return countAgentSends(ctx, db, db.db, userID, since)
}

func countAgentSends(ctx context.Context, db *DB, q execQuerier, userID string, since time.Time) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM actions WHERE user_id = $1 AND sends AND requester_type <> 'user'
		AND status IN ('approved', 'executed') AND decided_at >= $2`, userID, db.ts(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count agent sends: %w", err)
	}
	return n, nil
}

// ListConversationActions returns the actions the assistant requested in
// the user's conversation, oldest first.
func (db *DB) listConversationActions(ctx context.Context, userID, conversationID string) ([]jarvis.Action, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT `+actionColumns+` FROM actions WHERE user_id = $1 AND conversation_id = $2 ORDER BY created_at, id`,
		userID, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list conversation actions: %w", err)
	}
	defer rows.Close()
	var out []jarvis.Action
	for rows.Next() {
		a, err := db.scanAction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}
