package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// ApplyPage applies a page of changes — upserts, label changes, deletes,
// then the aggregates of every thread they touched — and saves st, in one
// transaction: the index and the cursor move together or not at all.
//
// On PostgreSQL, the page that ends a full listing (the phase becomes
// incremental) is followed by ANALYZE of the message tables: the planner
// then knows how common each word and label is, which a search with a
// limit needs (autovacuum would gather the same within a minute or so).
func (x *MailIndex) ApplyPage(ctx context.Context, accountID string, p mailsync.Page, st *mailsync.State) error {
	next := *st
	listed := false
	err := x.db.withTx(ctx, func(tx *sql.Tx) error {
		if x.db.dialect == Postgres && next.Phase == mailsync.PhaseIncremental {
			var prev string
			err := tx.QueryRowContext(ctx, `SELECT phase FROM sync_state WHERE account_id = $1`, accountID).Scan(&prev)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			listed = prev != string(mailsync.PhaseIncremental)
		}
		touched := map[string]bool{}
		if err := upsertMessages(ctx, tx, x.db.dialect, accountID, p.Upserts, touched); err != nil {
			return err
		}
		if err := applyLabelChanges(ctx, tx, accountID, p.LabelChanges, touched); err != nil {
			return err
		}
		if err := deleteMessages(ctx, tx, accountID, p.Deletes, touched); err != nil {
			return err
		}
		if err := recomputeThreads(ctx, tx, accountID, slices.Sorted(maps.Keys(touched))); err != nil {
			return err
		}
		return x.saveState(ctx, tx, &next)
	})
	if isForeignKeyViolation(err) {
		return errNoAccount()
	}
	if err == nil {
		*st = next
		if listed {
			if _, err := x.db.db.ExecContext(ctx, `ANALYZE mail_messages, mail_message_labels`); err != nil {
				slog.WarnContext(ctx, "analyze the mail index", "err", err)
			}
		}
	}
	return err
}

// placeholders returns "$from, $from+1, …" for n values.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// inArgs returns accountID followed by the values, for "account_id = $1 AND
// x IN (placeholders(2, len(values)))".
func inArgs(accountID string, values []string) []any {
	args := make([]any, 0, len(values)+1)
	args = append(args, accountID)
	for _, v := range values {
		args = append(args, v)
	}
	return args
}

type rowVersion struct {
	historyID uint64
	threadID  string
}

// versions returns the stored history id and thread of each of the ids
// that the index holds.
func versions(ctx context.Context, tx *sql.Tx, accountID string, ids []string) (map[string]rowVersion, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, history_id, thread_id FROM mail_messages
		WHERE account_id = $1 AND id IN (`+placeholders(2, len(ids))+`)`, inArgs(accountID, ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]rowVersion, len(ids))
	for rows.Next() {
		var id string
		var h int64
		var v rowVersion
		if err := rows.Scan(&id, &h, &v.threadID); err != nil {
			return nil, err
		}
		v.historyID = uint64(h)
		out[id] = v
	}
	return out, rows.Err()
}

// upsertMessages writes the messages that are not older than the stored
// rows (the newest of any id given twice), with their label rows.
func upsertMessages(ctx context.Context, tx *sql.Tx, d Dialect, accountID string, msgs []mailsync.Message, touched map[string]bool) error {
	newest := make(map[string]int, len(msgs))
	var unique []mailsync.Message
	for _, m := range msgs {
		if i, ok := newest[m.ID]; ok {
			if m.HistoryID >= unique[i].HistoryID {
				unique[i] = m
			}
			continue
		}
		newest[m.ID] = len(unique)
		unique = append(unique, m)
	}
	for chunk := range slices.Chunk(unique, upsertBatch) {
		ids := make([]string, len(chunk))
		for i, m := range chunk {
			ids[i] = m.ID
		}
		stored, err := versions(ctx, tx, accountID, ids)
		if err != nil {
			return err
		}
		var keep []mailsync.Message
		for _, m := range chunk {
			if v, ok := stored[m.ID]; ok {
				if m.HistoryID < v.historyID {
					continue
				}
				touched[v.threadID] = true
			}
			touched[m.ThreadID] = true
			keep = append(keep, m)
		}
		if len(keep) == 0 {
			continue
		}
		if err := insertMessages(ctx, tx, d, accountID, keep); err != nil {
			return err
		}
	}
	return nil
}

const messageColumns = `id, thread_id, history_id, internal_date, date, labels, unread, from_name, from_email, to_addrs,
	cc_addrs, subject, message_id_header, in_reply_to, refs, snippet, size_estimate, has_attachment, body_text`

// insertMessages upserts the messages with their words for search: on
// PostgreSQL also their tsvector; on SQLite a fresh search_rowid for a new
// row (an existing row keeps its own), whose mail_search row the triggers
// write.
func insertMessages(ctx context.Context, tx *sql.Tx, d Dialect, accountID string, msgs []mailsync.Message) error {
	var q strings.Builder
	cols, extra := messageColumns+`, search_subject, search_from, search_to, search_cc, search_body`, 24
	var rowid int64
	if d == Postgres {
		cols += `, search_tsv`
		extra++
	} else {
		cols += `, search_rowid`
		extra++
		var err error
		if rowid, err = nextSearchRowid(ctx, tx); err != nil {
			return err
		}
	}
	q.WriteString(`INSERT INTO mail_messages (account_id, ` + cols + `) VALUES `)
	args := []any{accountID}
	var labelRows []any
	for i, m := range msgs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("($1, " + placeholders(len(args)+1, extra) + ")")
		unread := slices.Contains(m.Labels, "UNREAD")
		w := messageWords(m)
		args = append(args, m.ID, m.ThreadID, int64(m.HistoryID), ms(m.InternalDate), ms(m.Date), encodeLabels(m.Labels), unread,
			m.From.Name, m.From.Email, encodeAddrs(m.To), encodeAddrs(m.Cc), m.Subject, m.MessageIDHeader, m.InReplyTo,
			m.References, m.Snippet, m.SizeEstimate, m.HasAttachment, m.BodyText, w.subject, w.from, w.to, w.cc, w.body)
		if d == Postgres {
			args = append(args, w.tsvector())
		} else {
			args = append(args, rowid)
			rowid++
		}
		for _, l := range decodeLabels(encodeLabels(m.Labels)) {
			labelRows = append(labelRows, m.ID, l, m.ThreadID, unread)
		}
	}
	q.WriteString(` ON CONFLICT (account_id, id) DO UPDATE SET thread_id = excluded.thread_id, history_id = excluded.history_id,
		internal_date = excluded.internal_date, date = excluded.date, labels = excluded.labels, unread = excluded.unread,
		from_name = excluded.from_name, from_email = excluded.from_email, to_addrs = excluded.to_addrs,
		cc_addrs = excluded.cc_addrs, subject = excluded.subject, message_id_header = excluded.message_id_header,
		in_reply_to = excluded.in_reply_to, refs = excluded.refs, snippet = excluded.snippet,
		size_estimate = excluded.size_estimate, has_attachment = excluded.has_attachment, body_text = excluded.body_text,
		search_subject = excluded.search_subject, search_from = excluded.search_from, search_to = excluded.search_to,
		search_cc = excluded.search_cc, search_body = excluded.search_body`)
	if d == Postgres {
		q.WriteString(`, search_tsv = excluded.search_tsv`)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return err
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mail_message_labels WHERE account_id = $1 AND message_id IN (`+
		placeholders(2, len(ids))+`)`, inArgs(accountID, ids)...); err != nil {
		return err
	}
	return insertLabelRows(ctx, tx, accountID, labelRows)
}

// insertLabelRows inserts (message_id, label_id, thread_id, unread) tuples.
func insertLabelRows(ctx context.Context, tx *sql.Tx, accountID string, flat []any) error {
	for chunk := range slices.Chunk(flat, 4*upsertBatch) {
		var q strings.Builder
		q.WriteString(`INSERT INTO mail_message_labels (account_id, message_id, label_id, thread_id, unread) VALUES `)
		args := []any{accountID}
		for i := 0; i < len(chunk); i += 4 {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("($1, " + placeholders(len(args)+1, 4) + ")")
			args = append(args, chunk[i:i+4]...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// applyLabelChanges applies each change to a row not newer than it, and
// raises the row's history id to the change's. A record's own changes may
// come as several (labels added and removed at one history id), so a row
// at the record's id takes them too: replaying them is a no-op.
func applyLabelChanges(ctx context.Context, tx *sql.Tx, accountID string, changes []mailsync.LabelChange, touched map[string]bool) error {
	for _, c := range changes {
		var h int64
		var labels, threadID string
		err := tx.QueryRowContext(ctx, `SELECT history_id, labels, thread_id FROM mail_messages WHERE account_id = $1 AND id = $2`,
			accountID, c.MessageID).Scan(&h, &labels, &threadID)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return err
		}
		if uint64(h) > c.HistoryID {
			continue // the row shows a later state already
		}
		set := decodeLabels(labels)
		for _, l := range c.Add {
			if !slices.Contains(set, l) {
				set = append(set, l)
			}
		}
		set = slices.DeleteFunc(set, func(l string) bool { return slices.Contains(c.Remove, l) })
		unread := slices.Contains(set, "UNREAD")
		if _, err := tx.ExecContext(ctx, `UPDATE mail_messages SET labels = $3, unread = $4, history_id = $5
			WHERE account_id = $1 AND id = $2`, accountID, c.MessageID, encodeLabels(set), unread, int64(c.HistoryID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_message_labels WHERE account_id = $1 AND message_id = $2`, accountID, c.MessageID); err != nil {
			return err
		}
		var rows []any
		for _, l := range decodeLabels(encodeLabels(set)) {
			rows = append(rows, c.MessageID, l, threadID, unread)
		}
		if err := insertLabelRows(ctx, tx, accountID, rows); err != nil {
			return err
		}
		touched[threadID] = true
	}
	return nil
}

func deleteMessages(ctx context.Context, tx *sql.Tx, accountID string, ids []string, touched map[string]bool) error {
	for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(ids))), upsertBatch) {
		stored, err := versions(ctx, tx, accountID, chunk)
		if err != nil {
			return err
		}
		if len(stored) == 0 {
			continue
		}
		for _, v := range stored {
			touched[v.threadID] = true
		}
		in := placeholders(2, len(chunk))
		for _, table := range []string{"mail_message_labels", "mail_messages"} {
			col := "id"
			if table == "mail_message_labels" {
				col = "message_id"
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE account_id = $1 AND `+col+` IN (`+in+`)`, inArgs(accountID, chunk)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// recomputeThreads rewrites the aggregate rows of the threads from their
// messages; a thread with none left loses its row.
func recomputeThreads(ctx context.Context, tx *sql.Tx, accountID string, threadIDs []string) error {
	for chunk := range slices.Chunk(threadIDs, upsertBatch) {
		in := placeholders(2, len(chunk))
		msgs, err := queryMessages(ctx, tx, `WHERE account_id = $1 AND thread_id IN (`+in+`)`, inArgs(accountID, chunk)...)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mail_threads WHERE account_id = $1 AND id IN (`+in+`)`, inArgs(accountID, chunk)...); err != nil {
			return err
		}
		byThread := map[string][]mailsync.Message{}
		for _, m := range msgs {
			byThread[m.ThreadID] = append(byThread[m.ThreadID], m)
		}
		if len(byThread) == 0 {
			continue
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO mail_threads (account_id, id, subject, snippet, from_name, from_email, participants,
			last_date, date, message_count, unread_count, labels, history_id) VALUES `)
		args := []any{accountID}
		for i, id := range slices.Sorted(maps.Keys(byThread)) {
			t := mailsync.Summarize(id, byThread[id])
			participants, err := json.Marshal(t.Participants)
			if err != nil {
				return err
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("($1, " + placeholders(len(args)+1, 12) + ")")
			args = append(args, id, t.Subject, t.Snippet, t.From.Name, t.From.Email, string(participants),
				ms(t.LastDate), ms(t.Date), t.MessageCount, t.UnreadCount, encodeLabels(t.Labels), int64(t.HistoryID))
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryMessages reads index rows selected by where (body text left out).
func queryMessages(ctx context.Context, q querier, where string, args ...any) ([]mailsync.Message, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+messageColumns+` FROM mail_messages `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []mailsync.Message
	for rows.Next() {
		var m mailsync.Message
		var h, internal, date int64
		var labels, to, cc string
		var unread bool
		if err := rows.Scan(&m.ID, &m.ThreadID, &h, &internal, &date, &labels, &unread, &m.From.Name, &m.From.Email, &to, &cc,
			&m.Subject, &m.MessageIDHeader, &m.InReplyTo, &m.References, &m.Snippet, &m.SizeEstimate, &m.HasAttachment, &m.BodyText); err != nil {
			return nil, err
		}
		m.HistoryID, m.InternalDate, m.Date = uint64(h), fromMS(internal), fromMS(date)
		m.Labels, m.To, m.Cc = decodeLabels(labels), decodeAddrs(to), decodeAddrs(cc)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Messages returns every message the index holds for the account, in no
// particular order.
func (x *MailIndex) Messages(ctx context.Context, accountID string) ([]mailsync.Message, error) {
	msgs, err := queryMessages(ctx, x.db.db, `WHERE account_id = $1`, accountID)
	return msgs, Unavailable(err)
}

// ApplyEvents upserts and deletes a calendar's events (reset: drops every
// event of the calendar first) and saves st's calendar fields, in one
// transaction: until it commits, readers see the events as they were.
func (x *MailIndex) ApplyEvents(ctx context.Context, accountID, calendarID string, upserts []mailsync.Event, deletes []string, reset bool, st *mailsync.State) error {
	next := *st
	err := x.db.withTx(ctx, func(tx *sql.Tx) error {
		if reset {
			if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_events WHERE account_id = $1 AND calendar_id = $2`, accountID, calendarID); err != nil {
				return err
			}
		}
		for _, id := range deletes {
			if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_events WHERE account_id = $1 AND calendar_id = $2 AND id = $3`,
				accountID, calendarID, id); err != nil {
				return err
			}
		}
		for _, e := range upserts {
			payload, err := json.Marshal(e.Event)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_events (account_id, calendar_id, id, start_time, end_time, payload)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id, calendar_id, id) DO UPDATE SET
				start_time = excluded.start_time, end_time = excluded.end_time, payload = excluded.payload`,
				accountID, calendarID, e.Event.ID, ms(e.StartTime), ms(e.EndTime), string(payload)); err != nil {
				return err
			}
		}
		return x.saveCalendarState(ctx, tx, &next)
	})
	if isForeignKeyViolation(err) {
		return errNoAccount()
	}
	if err == nil {
		*st = next
	}
	return err
}
