package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/searchtext"
)

// searchWords is what the index keeps of a message for search: the words
// (searchtext.Normalize) of its subject, sender, recipients and body.
type searchWords struct{ subject, from, to, cc, body string }

func wordsOf(subject, fromName, fromEmail string, to, cc []jarvis.Address, body string) searchWords {
	return searchWords{
		subject: searchtext.Normalize(subject),
		from:    searchtext.Normalize(headerAddrs([]jarvis.Address{{Name: fromName, Email: fromEmail}})),
		to:      searchtext.Normalize(headerAddrs(to)),
		cc:      searchtext.Normalize(headerAddrs(cc)),
		body:    searchtext.Normalize(body),
	}
}

func messageWords(m mailsync.Message) searchWords {
	return wordsOf(m.Subject, m.From.Name, m.From.Email, m.To, m.Cc, m.BodyText)
}

// headerAddrs writes addresses as a header shows them, "name <address>, …",
// so that their words come in the header's order.
func headerAddrs(addrs []jarvis.Address) string {
	var b strings.Builder
	for i, a := range addrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Name + " <" + a.Email + ">")
	}
	return b.String()
}

// tsvector is the PostgreSQL tsvector literal whose lexemes are exactly the
// words (no positions: phrases are checked on the word columns), each once;
// words too long for a lexeme are left out (gmailquery.MaxWordBytes).
// Words hold only letters and digits, so they need no escaping.
func (w searchWords) tsvector() string {
	var all []string
	for _, f := range []string{w.subject, w.from, w.to, w.cc, w.body} {
		for _, word := range strings.Fields(f) {
			if len(word) <= gmailquery.MaxWordBytes {
				all = append(all, word)
			}
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	var b strings.Builder
	for i, word := range all {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("'" + word + "'")
	}
	return b.String()
}

// planned returns args for a query PostgreSQL is to plan for these values
// each time it runs. pgx caches a prepared statement per connection, and
// after five runs PostgreSQL may keep a generic plan, made without the
// values: for a search that cannot tell a rare word from a common one, nor
// the last 30 days from all time, and can be a hundred times slower. pgx's
// exec mode sends an unnamed statement instead, planned at each run.
func (db *DB) planned(args []any) []any {
	if db.dialect != Postgres {
		return args
	}
	return append([]any{pgx.QueryExecModeExec}, args...)
}

// nextSearchRowid returns the first of the fresh search_rowid values (SQLite:
// the key of a message's row in mail_search). SQLite has one writer at a
// time, so the maximum cannot move under the transaction.
func nextSearchRowid(ctx context.Context, tx *sql.Tx) (int64, error) {
	var max int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(search_rowid), 0) FROM mail_messages`).Scan(&max)
	return max + 1, err
}

// searchMigration is migration 17 (its file in the migrations folders points here): the words of each message and a
// full-text index over them (see package gmailquery), backfilled from the
// rows an older Jarvis wrote, and the date index extended by id so that a
// search newest first with a limit reads it in order.
func (db *DB) searchMigration() *goose.Migration {
	up, down := searchUpPostgres, searchDownPostgres
	if db.dialect == SQLite {
		up, down = searchUpSQLite, searchDownSQLite
	}
	return goose.NewGoMigration(17,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			if err := execAll(ctx, tx, up[0]); err != nil {
				return err
			}
			if err := backfillSearch(ctx, tx, db.dialect); err != nil {
				return fmt.Errorf("backfill search words: %w", err)
			}
			return execAll(ctx, tx, up[1])
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return execAll(ctx, tx, down) }})
}

func execAll(ctx context.Context, tx *sql.Tx, stmts []string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(s)[:3], err)
		}
	}
	return nil
}

const searchColumnsDDL = `ADD COLUMN search_subject TEXT NOT NULL DEFAULT ''|ADD COLUMN search_from TEXT NOT NULL DEFAULT ''|` +
	`ADD COLUMN search_to TEXT NOT NULL DEFAULT ''|ADD COLUMN search_cc TEXT NOT NULL DEFAULT ''|` +
	`ADD COLUMN search_body TEXT NOT NULL DEFAULT ''`

func alterEach(table, clauses string) []string {
	var out []string
	for _, c := range strings.Split(clauses, "|") {
		out = append(out, "ALTER TABLE "+table+" "+c)
	}
	return out
}

var (
	// Before and after the backfill.
	searchUpPostgres = [2][]string{
		alterEach("mail_messages", searchColumnsDDL+`|ADD COLUMN search_tsv tsvector NOT NULL DEFAULT ''`),
		{`CREATE INDEX mail_messages_search_idx ON mail_messages USING GIN (search_tsv)`,
			`DROP INDEX mail_messages_date_idx`,
			`CREATE INDEX mail_messages_date_idx ON mail_messages (account_id, internal_date, id)`},
	}
	searchDownPostgres = append([]string{`DROP INDEX mail_messages_search_idx`,
		`DROP INDEX mail_messages_date_idx`,
		`CREATE INDEX mail_messages_date_idx ON mail_messages (account_id, internal_date)`},
		alterEach("mail_messages", "DROP COLUMN search_subject|DROP COLUMN search_from|DROP COLUMN search_to|"+
			"DROP COLUMN search_cc|DROP COLUMN search_body|DROP COLUMN search_tsv")...)

	// On SQLite the words are indexed by an FTS5 table over mail_messages
	// (external content: it keeps no copy of the words), keyed by
	// search_rowid — not the table's own rowid, which VACUUM may renumber —
	// and kept in step by triggers, which also fire on the cascade when an
	// account is deleted. The ascii tokenizer splits only at ASCII
	// non-alphanumerics and folds only ASCII case, so it reads the
	// space-separated, lower-cased words back exactly as they are.
	searchUpSQLite = [2][]string{
		append(alterEach("mail_messages", searchColumnsDDL+`|ADD COLUMN search_rowid INTEGER NOT NULL DEFAULT 0`),
			`UPDATE mail_messages SET search_rowid = rowid`),
		{`CREATE UNIQUE INDEX mail_messages_search_rowid_idx ON mail_messages (search_rowid)`,
			`CREATE VIRTUAL TABLE mail_search USING fts5 (search_subject, search_from, search_to, search_cc, search_body,
				content = 'mail_messages', content_rowid = 'search_rowid', tokenize = 'ascii')`,
			`CREATE TRIGGER mail_search_insert AFTER INSERT ON mail_messages BEGIN
				INSERT INTO mail_search (rowid, search_subject, search_from, search_to, search_cc, search_body)
				VALUES (new.search_rowid, new.search_subject, new.search_from, new.search_to, new.search_cc, new.search_body);
			END`,
			`CREATE TRIGGER mail_search_delete AFTER DELETE ON mail_messages BEGIN
				INSERT INTO mail_search (mail_search, rowid, search_subject, search_from, search_to, search_cc, search_body)
				VALUES ('delete', old.search_rowid, old.search_subject, old.search_from, old.search_to, old.search_cc, old.search_body);
			END`,
			`CREATE TRIGGER mail_search_update AFTER UPDATE OF search_rowid, search_subject, search_from, search_to, search_cc,
				search_body ON mail_messages BEGIN
				INSERT INTO mail_search (mail_search, rowid, search_subject, search_from, search_to, search_cc, search_body)
				VALUES ('delete', old.search_rowid, old.search_subject, old.search_from, old.search_to, old.search_cc, old.search_body);
				INSERT INTO mail_search (rowid, search_subject, search_from, search_to, search_cc, search_body)
				VALUES (new.search_rowid, new.search_subject, new.search_from, new.search_to, new.search_cc, new.search_body);
			END`,
			`INSERT INTO mail_search (mail_search) VALUES ('rebuild')`,
			// Covering what a word search newest first reads of each row it
			// passes over, so that a rare word costs a walk over this index
			// and not over the rows.
			`DROP INDEX mail_messages_date_idx`,
			`CREATE INDEX mail_messages_date_idx ON mail_messages (account_id, internal_date, id, search_rowid)`},
	}
	searchDownSQLite = append([]string{`DROP TRIGGER mail_search_insert`, `DROP TRIGGER mail_search_delete`,
		`DROP TRIGGER mail_search_update`, `DROP TABLE mail_search`, `DROP INDEX mail_messages_search_rowid_idx`,
		`DROP INDEX mail_messages_date_idx`,
		`CREATE INDEX mail_messages_date_idx ON mail_messages (account_id, internal_date)`},
		alterEach("mail_messages", "DROP COLUMN search_subject|DROP COLUMN search_from|DROP COLUMN search_to|"+
			"DROP COLUMN search_cc|DROP COLUMN search_body|DROP COLUMN search_rowid")...)
)

// backfillSearch writes the words of every message already indexed, a
// batch at a time in key order.
func backfillSearch(ctx context.Context, tx *sql.Tx, d Dialect) error {
	set := `search_subject = $3, search_from = $4, search_to = $5, search_cc = $6, search_body = $7`
	if d == Postgres {
		set += `, search_tsv = CAST($8 AS tsvector)`
	}
	upd, err := tx.PrepareContext(ctx, `UPDATE mail_messages SET `+set+` WHERE account_id = $1 AND id = $2`)
	if err != nil {
		return err
	}
	defer upd.Close()
	type row struct {
		account, id string
		words       searchWords
	}
	lastAccount, lastID := "", ""
	for {
		rows, err := tx.QueryContext(ctx, `SELECT account_id, id, subject, from_name, from_email, to_addrs, cc_addrs, body_text
			FROM mail_messages WHERE account_id > $1 OR (account_id = $1 AND id > $2) ORDER BY account_id, id LIMIT 500`,
			lastAccount, lastID)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var r row
			var subject, fromName, fromEmail, to, cc, body string
			if err := rows.Scan(&r.account, &r.id, &subject, &fromName, &fromEmail, &to, &cc, &body); err != nil {
				rows.Close()
				return err
			}
			r.words = wordsOf(subject, fromName, fromEmail, decodeAddrs(to), decodeAddrs(cc), body)
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			w := r.words
			args := []any{r.account, r.id, w.subject, w.from, w.to, w.cc, w.body}
			if d == Postgres {
				args = append(args, w.tsvector())
			}
			if _, err := upd.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
		lastAccount, lastID = batch[len(batch)-1].account, batch[len(batch)-1].id
	}
}
