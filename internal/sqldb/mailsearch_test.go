package sqldb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// searchFixture is a small mailbox for the word search: whole words,
// phrases within one field, operators on their own field, Chinese and
// Japanese by character, Spam and Trash left out.
func searchFixture() []mailsync.Message {
	m1 := msg("m1", "t1", 10, 4, "INBOX", "UNREAD")
	m1.Subject, m1.BodyText = "Friday dinner plans", "Let's meet at the café. 来週の打ち合わせについて"
	m1.From = jarvis.Address{Name: "Grace Hopper", Email: "grace@navy.example"}
	m2 := msg("m2", "t2", 11, 3, "INBOX")
	m2.Subject, m2.BodyText = "Dinners", "friday: the dinner"
	m2.From = jarvis.Address{Name: "Linus", Email: "linus@example.org"}
	m2.Cc = []jarvis.Address{{Name: "Doe, John", Email: "john.doe@example.org"}}
	m3 := msg("m3", "t3", 12, 2, "SPAM")
	m3.Subject = "Re: dinner"
	m4 := msg("m4", "t4", 13, 1, "TRASH", "Label_1")
	m4.BodyText = "dinner"
	return []mailsync.Message{m1, m2, m3, m4}
}

func searchIDs(t *testing.T, x *sqldb.MailIndex, accountID, q string, limit int) []string {
	t.Helper()
	pq := gmailquery.Parse(q)
	if !pq.Exact() {
		t.Fatalf("q=%q is not exact", q)
	}
	ids, err := x.SearchMessages(context.Background(), accountID, pq, limit)
	if err != nil {
		t.Fatalf("q=%q: %v", q, err)
	}
	return ids
}

// The index searches words and phrases, kept in step with every write,
// survives its migration down and up (the words are backfilled), and
// leaves nothing behind when the account goes.
func TestMailIndexSearch(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db, x, store, g := indexAccount(t, d)
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO mail_labels (account_id, id, name, type) VALUES ($1, 'Label_1', 'Receipts', 'user')`,
			g.ID); err != nil {
			t.Fatal(err)
		}
		st, err := x.State(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{Upserts: searchFixture()}, &st); err != nil {
			t.Fatal(err)
		}
		check := func(q string, want ...string) {
			t.Helper()
			if want == nil {
				want = []string{}
			}
			if got := searchIDs(t, x, g.ID, q, 0); !slices.Equal(got, want) {
				t.Errorf("q=%q: %v, want %v", q, got, want)
			}
		}
		cases := func() {
			t.Helper()
			check("dinner", "m1", "m2")
			check("DINNER -from:linus", "m1")
			check("dinners", "m2")
			check("dinne")
			check(`"friday dinner"`, "m1")
			check(`"plans let"`) // not across the subject and the body
			check(`"dinner plans" OR dinners`, "m1", "m2")
			check("from:grace", "m1")
			check(`from:"grace hopper"`, "m1")
			check("from:navy.example", "m1")
			check("from:gra")
			check("from:dinner")
			check("to:a@example.com", "m1", "m2")
			check("to:john", "m2")
			check(`cc:"doe john"`, "m2")
			check("cc:linus")
			check("subject:friday", "m1")
			check("subject:let")
			check("打ち合わせ", "m1")
			check("来週 café", "m1")
			check("caf")
			check("in:spam dinner", "m3")
			check("in:anywhere dinner", "m1", "m2", "m3", "m4")
			check("label:receipts")
			check("in:anywhere label:receipts", "m4")
			check("is:unread dinner", "m1")
			check("is:read dinner", "m2")
			check("in:inbox -is:unread", "m2")
			check("%", "m1", "m2")
			if got := searchIDs(t, x, g.ID, "in:anywhere dinner", 2); !slices.Equal(got, []string{"m1", "m2"}) {
				t.Errorf("limit 2: %v", got)
			}
		}
		cases()

		// The migration's down and up again: the words are backfilled.
		if err := db.MigrateDownTo(ctx, 16); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		cases()
		ftsIntegrity(t, db)

		// A newer copy replaces the words; a label change keeps them; a
		// delete removes them.
		m1 := searchFixture()[0]
		m1.HistoryID, m1.BodyText = 20, "lunch instead"
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{Upserts: []mailsync.Message{m1},
			LabelChanges: []mailsync.LabelChange{{MessageID: "m2", HistoryID: 21, Add: []string{"STARRED"}}},
			Deletes:      []string{"m4"}}, &st); err != nil {
			t.Fatal(err)
		}
		check("café")
		check("lunch", "m1")
		check("friday", "m1", "m2")
		check("is:starred friday", "m2")
		check("in:anywhere dinner", "m1", "m2", "m3")
		ftsIntegrity(t, db)

		if err := store.DeleteGoogleIntegration(ctx, g.UserID, g.ID); err != nil {
			t.Fatal(err)
		}
		ftsIntegrity(t, db)
	})
}

// ftsIntegrity checks SQLite's full-text index against the rows it
// indexes: a row left behind or missing is an error.
func ftsIntegrity(t *testing.T, db *sqldb.DB) {
	t.Helper()
	if db.Dialect() != sqldb.SQLite {
		return
	}
	if _, err := db.SQL().Exec(`INSERT INTO mail_search (mail_search, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("mail_search integrity: %v", err)
	}
}

// On PostgreSQL the page that ends a full listing refreshes the message
// tables' statistics, which the planner needs to search with a limit.
func TestMailIndexAnalyzedAfterFullSync(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		if d != sqldb.Postgres {
			t.Skip("PostgreSQL's planner statistics")
		}
		ctx := context.Background()
		db, x, _, g := indexAccount(t, d)
		analyzed := func() bool {
			var n int
			if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_user_tables
				WHERE schemaname = current_schema() AND relname IN ('mail_messages', 'mail_message_labels') AND last_analyze IS NOT NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 2
		}
		st, err := x.State(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		st.Phase = mailsync.PhaseBackfill
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{Upserts: searchFixture()[:2]}, &st); err != nil {
			t.Fatal(err)
		}
		if analyzed() {
			t.Fatal("analyzed before the listing ended")
		}
		st.Phase = mailsync.PhaseIncremental
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{Upserts: searchFixture()[2:]}, &st); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !analyzed() {
			if time.Now().After(deadline) {
				t.Fatal("the message tables were not analyzed after the full listing")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
