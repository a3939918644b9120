package sqldb

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

const threadColumns = `account_id, id, subject, snippet, from_name, from_email, participants, last_date, date,
	message_count, unread_count, labels, history_id`

// scanThreads reads mail_threads rows selected with threadColumns.
func scanThreads(ctx context.Context, q querier, query string, args ...any) ([]mailsync.ThreadRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, Unavailable(err)
	}
	defer rows.Close()
	var out []mailsync.ThreadRow
	for rows.Next() {
		var r mailsync.ThreadRow
		var participants, labels string
		var last, date, h int64
		if err := rows.Scan(&r.AccountID, &r.ID, &r.Subject, &r.Snippet, &r.From.Name, &r.From.Email, &participants, &last, &date,
			&r.MessageCount, &r.UnreadCount, &labels, &h); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(participants), &r.Participants); err != nil || r.Participants == nil {
			r.Participants = []jarvis.Participant{}
		}
		r.LastDate, r.Date, r.HistoryID = fromMS(last), fromMS(date), uint64(h)
		r.Labels, r.Unread = decodeLabels(labels), r.UnreadCount > 0
		out = append(out, r)
	}
	return out, Unavailable(rows.Err())
}

// IndexedThreads returns every thread aggregate of the account, newest
// first.
func (x *MailIndex) IndexedThreads(ctx context.Context, accountID string) ([]mailsync.Thread, error) {
	rows, err := scanThreads(ctx, x.db.db, `SELECT `+threadColumns+` FROM mail_threads WHERE account_id = $1
		ORDER BY last_date DESC, id DESC`, accountID)
	out := make([]mailsync.Thread, len(rows))
	for i, r := range rows {
		out[i] = r.Thread
	}
	return out, err
}

// Labels returns the account's labels with their counts, as Gmail counts
// them: messages and threads carrying the label, and those of them unread.
func (x *MailIndex) Labels(ctx context.Context, accountID string) ([]mailsync.Label, error) {
	rows, err := x.db.db.QueryContext(ctx, `SELECT l.id, l.name, l.type,
		COUNT(ml.message_id),
		COALESCE(SUM(CASE WHEN ml.unread THEN 1 ELSE 0 END), 0),
		COUNT(DISTINCT ml.thread_id),
		COUNT(DISTINCT CASE WHEN ml.unread THEN ml.thread_id END)
		FROM mail_labels l LEFT JOIN mail_message_labels ml ON ml.account_id = l.account_id AND ml.label_id = l.id
		WHERE l.account_id = $1 GROUP BY l.id, l.name, l.type ORDER BY l.type, l.name`, accountID)
	if err != nil {
		return nil, Unavailable(err)
	}
	defer rows.Close()
	out := []mailsync.Label{}
	for rows.Next() {
		var l mailsync.Label
		if err := rows.Scan(&l.ID, &l.Name, &l.Type, &l.MessagesTotal, &l.MessagesUnread, &l.ThreadsTotal, &l.ThreadsUnread); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, Unavailable(rows.Err())
}

// Events returns the account's indexed calendar events that end after from
// and start before to, in start order.
func (x *MailIndex) Events(ctx context.Context, accountID string, from, to int64) ([]jarvis.Event, error) {
	rows, err := x.db.db.QueryContext(ctx, `SELECT payload FROM calendar_events WHERE account_id = $1 AND end_time > $2
		AND start_time < $3 ORDER BY start_time, id`, accountID, from, to)
	if err != nil {
		return nil, Unavailable(err)
	}
	defer rows.Close()
	out := []jarvis.Event{}
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			return nil, err
		}
		var e jarvis.Event
		if err := json.Unmarshal([]byte(payload), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, Unavailable(rows.Err())
}

// MessageIDs lists the ids of every message indexed for the account.
func (x *MailIndex) MessageIDs(ctx context.Context, accountID string) ([]string, error) {
	return queryStrings(ctx, x.db.db, `SELECT id FROM mail_messages WHERE account_id = $1`, accountID)
}

// SearchMessages returns the ids of the account's messages that match q, as
// Gmail's messages.list with that q answers (Spam and Trash left out unless
// q names them), newest first: the first limit of them, or all for limit 0.
// q must be Exact.
func (x *MailIndex) SearchMessages(ctx context.Context, accountID string, q gmailquery.Query, limit int) ([]string, error) {
	args := []any{accountID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := "m.account_id = $1 AND " + q.SQL(gmailquery.Dialect(x.db.dialect), arg, x.db.Now())
	if !q.SpamTrash {
		where += " AND " + gmailquery.OutsideSpamTrash(arg)
	}
	query := `SELECT m.id FROM mail_messages m WHERE ` + where + ` ORDER BY m.internal_date DESC, m.id DESC`
	if limit > 0 {
		query += ` LIMIT ` + arg(limit)
	}
	return queryStrings(ctx, x.db.db, query, x.db.planned(args)...)
}

// queryStrings runs a query of one text column and returns its values
// (empty, not nil, when there are none).
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, Unavailable(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, Unavailable(rows.Err())
}

// EventIDs lists the ids of every event indexed for the account's calendar.
func (x *MailIndex) EventIDs(ctx context.Context, accountID, calendarID string) ([]string, error) {
	return queryStrings(ctx, x.db.db, `SELECT id FROM calendar_events WHERE account_id = $1 AND calendar_id = $2`, accountID, calendarID)
}
