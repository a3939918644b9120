package sqldb

import (
	"context"
	"strconv"

	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// ListThreads returns a page of the account's indexed threads that f
// selects, as Gmail's threads.list answers: f.Query must be Exact.
func (x *MailIndex) ListThreads(ctx context.Context, accountID string, f mailsync.ThreadFilter) ([]mailsync.Thread, error) {
	args := []any{accountID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// The messages that qualify a thread.
	match := "m.account_id = $1"
	if !f.Query.Empty() {
		match += " AND " + f.Query.SQL(gmailquery.Dialect(x.db.dialect), arg, x.db.Now())
	}
	if f.Label != "" {
		match += ` AND EXISTS (SELECT 1 FROM mail_message_labels ml WHERE ml.account_id = m.account_id
			AND ml.message_id = m.id AND ml.label_id = ` + arg(f.Label) + `)`
	}
	if !f.Query.SpamTrash && f.Label != "SPAM" && f.Label != "TRASH" {
		match += ` AND NOT EXISTS (SELECT 1 FROM mail_message_labels st WHERE st.account_id = m.account_id
			AND st.message_id = m.id AND st.label_id IN ('SPAM', 'TRASH'))`
	}
	where := "t.account_id = $1"
	if f.After != nil {
		d := arg(f.After.LastDate.UnixMilli())
		where += " AND (t.last_date < " + d + " OR t.last_date = " + d + " AND t.id < " + arg(f.After.ID) + ")"
	}
	// A thread qualifies through any of its messages: listed by date, each
	// thread is checked until the page is full.
	query := `SELECT ` + threadColumns + ` FROM mail_threads t WHERE ` + where + `
		AND EXISTS (SELECT 1 FROM mail_messages m WHERE m.thread_id = t.id AND ` + match + `)
		ORDER BY t.last_date DESC, t.id DESC`
	if f.Limit > 0 {
		query += " LIMIT " + arg(f.Limit)
	}
	rows, err := scanThreads(ctx, x.db.db, query, x.db.planned(args)...)
	out := make([]mailsync.Thread, len(rows))
	for i, r := range rows {
		out[i] = r.Thread
	}
	return out, err
}
