package sqldb

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// maxCandidateThreads bounds the threads a search on SQLite collects from
// its full-text matches before it lists them; a search matching more walks
// the threads newest first instead.
const maxCandidateThreads = 2000

// ListThreads returns a page of the account's indexed threads that f
// selects, as Gmail's threads.list answers: f.Query must be Exact.
//
// A thread qualifies through any of its messages, and threads are ordered
// by their newest message, not by the matching one: so a listing walks the
// threads newest first, checking each until the page is full — fast when
// most threads qualify (a label such as INBOX, a common word). On SQLite,
// whose planner cannot tell a rare word from a common one, a search with
// words first collects the threads of the full-text matches: when they are
// few, the page is listed from them instead of walking every thread.
func (x *MailIndex) ListThreads(ctx context.Context, accountID string, f mailsync.ThreadFilter) ([]mailsync.Thread, error) {
	qualifies := ""
	if ids, ok, err := x.candidateThreads(ctx, accountID, f); err != nil {
		return nil, err
	} else if ok {
		b, err := json.Marshal(ids)
		if err != nil {
			return nil, err
		}
		qualifies = string(b)
	}
	args := []any{accountID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := "t.account_id = $1"
	if qualifies != "" {
		where += " AND t.id IN (SELECT value FROM json_each(" + arg(qualifies) + "))"
	} else {
		where += " AND EXISTS (SELECT 1 FROM mail_messages m WHERE m.thread_id = t.id AND " + x.threadMatch(f, arg) + ")"
	}
	if f.After != nil {
		d := arg(f.After.LastDate.UnixMilli())
		where += " AND (t.last_date < " + d + " OR t.last_date = " + d + " AND t.id < " + arg(f.After.ID) + ")"
	}
	query := `SELECT ` + threadColumns + ` FROM mail_threads t WHERE ` + where + ` ORDER BY t.last_date DESC, t.id DESC`
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

// threadMatch is the condition on mail_messages m that qualifies a thread
// for f (its account bound as $1).
func (x *MailIndex) threadMatch(f mailsync.ThreadFilter, arg func(any) string) string {
	match := "m.account_id = $1"
	if !f.Query.Empty() {
		match += " AND " + f.Query.SQL(gmailquery.Dialect(x.db.dialect), arg, x.db.Now())
	}
	if f.Label != "" {
		match += ` AND EXISTS (SELECT 1 FROM mail_message_labels ml WHERE ml.account_id = m.account_id
			AND ml.message_id = m.id AND ml.label_id = ` + arg(f.Label) + `)`
	}
	if !f.Query.SpamTrash && f.Label != "SPAM" && f.Label != "TRASH" {
		match += " AND " + gmailquery.OutsideSpamTrash(arg)
	}
	return match
}

// candidateThreads returns the ids of every thread qualifying for f when
// the full-text index finds them at once and they are at most
// maxCandidateThreads (ok); ok is false otherwise.
func (x *MailIndex) candidateThreads(ctx context.Context, accountID string, f mailsync.ThreadFilter) ([]string, bool, error) {
	args := []any{accountID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	cand, ok := f.Query.Candidates(gmailquery.Dialect(x.db.dialect), arg)
	if !ok {
		return nil, false, nil
	}
	query := `SELECT DISTINCT m.thread_id FROM mail_messages m WHERE ` + cand + ` AND ` + x.threadMatch(f, arg) +
		` LIMIT ` + arg(maxCandidateThreads+1)
	ids, err := queryStrings(ctx, x.db.db, query, args...)
	if err != nil {
		return nil, false, err
	}
	return ids, len(ids) <= maxCandidateThreads, nil
}
