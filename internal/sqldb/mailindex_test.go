package sqldb_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
	"github.com/jarvis-hq/jarvis/internal/vault"
)

// indexAccount makes a user with one Google account and returns the index
// and the account's id.
func indexAccount(t *testing.T, d sqldb.Dialect) (*sqldb.DB, *sqldb.MailIndex, *sqldb.Integrations, *jarvis.GoogleIntegration) {
	t.Helper()
	ctx := context.Background()
	db := sqldbtest.Open(t, d)
	store := sqldb.NewIntegrations(db, vault.Cipher{Keys: keyring(t, "k1")})
	u, err := db.EnsureUser(ctx, "a@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	g := newIntegration(u.ID, "a")
	if err := store.UpsertGoogleIntegration(ctx, g); err != nil {
		t.Fatal(err)
	}
	return db, sqldb.NewMailIndex(db), store, g
}

func msg(id, thread string, h uint64, minute int, labels ...string) mailsync.Message {
	at := time.Date(2026, 12, 1, 9, minute, 0, 0, time.UTC)
	return mailsync.Message{ID: id, ThreadID: thread, HistoryID: h, InternalDate: at, Date: at, Labels: labels,
		From: jarvis.Address{Name: "Sender " + id, Email: id + "@example.com"}, To: []jarvis.Address{{Email: "a@example.com"}},
		Subject: "Subject " + thread, Snippet: "snippet " + id}
}

// The index applies pages in one transaction: replaying a page changes
// nothing, an older copy never overwrites a newer one, a label change older
// than the row is ignored, and the thread aggregates follow.
func TestMailIndexApplyPage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		_, x, _, g := indexAccount(t, d)
		st, err := x.State(ctx, g.ID)
		if err != nil || st.Phase != mailsync.PhaseNew || st.Version != 0 || st.UserID != g.UserID {
			t.Fatalf("state %+v, %v", st, err)
		}
		page := mailsync.Page{Upserts: []mailsync.Message{
			msg("m1", "t1", 10, 1, "INBOX", "UNREAD"),
			msg("m2", "t1", 11, 2, "SENT"),
			msg("m3", "t2", 12, 3, "INBOX"),
		}}
		st.Phase, st.HistoryID = mailsync.PhaseIncremental, 12
		for range 2 { // a replay changes nothing
			before := st.Version
			if err := x.ApplyPage(ctx, g.ID, page, &st); err != nil {
				t.Fatal(err)
			}
			if st.Version != before+1 {
				t.Fatalf("version %d after %d", st.Version, before)
			}
		}
		threads := threadRows(t, x, g.ID)
		if len(threads) != 2 || threads["t1"].MessageCount != 2 || threads["t1"].UnreadCount != 1 ||
			!slices.Equal(threads["t1"].Labels, []string{"INBOX", "SENT", "UNREAD"}) || threads["t1"].From.Email != "m2@example.com" {
			t.Fatalf("threads %+v", threads)
		}
		// An older copy of m1 and a label change older than the row: ignored.
		old := msg("m1", "t1", 5, 1, "TRASH")
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{Upserts: []mailsync.Message{old},
			LabelChanges: []mailsync.LabelChange{{MessageID: "m3", HistoryID: 11, Add: []string{"STARRED"}}}}, &st); err != nil {
			t.Fatal(err)
		}
		// A newer label change applies; a delete removes m3 and its thread.
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{
			LabelChanges: []mailsync.LabelChange{{MessageID: "m1", HistoryID: 20, Remove: []string{"UNREAD"}, Add: []string{"STARRED"}},
				{MessageID: "gone", HistoryID: 21, Add: []string{"INBOX"}}},
			Deletes: []string{"m3", "never-seen"}}, &st); err != nil {
			t.Fatal(err)
		}
		msgs, err := x.Messages(ctx, g.ID)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("messages %+v, %v", msgs, err)
		}
		for _, m := range msgs {
			if m.ID == "m1" && (!slices.Equal(m.Labels, []string{"INBOX", "STARRED"}) || m.HistoryID != 20) {
				t.Fatalf("m1 %+v", m)
			}
		}
		threads = threadRows(t, x, g.ID)
		if len(threads) != 1 || threads["t1"].UnreadCount != 0 || threads["t1"].Unread {
			t.Fatalf("threads %+v", threads)
		}
		// A stale state is refused and writes nothing.
		stale := st
		stale.Version--
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{Deletes: []string{"m1"}}, &stale); !jarvis.IsCode(err, jarvis.ECONFLICT) {
			t.Fatalf("stale apply: %v", err)
		}
		if msgs, _ := x.Messages(ctx, g.ID); len(msgs) != 2 {
			t.Fatalf("a refused page wrote: %+v", msgs)
		}
	})
}

// The high-water mark only rises, and does not disturb a sync's version.
func TestMailIndexHighWater(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		_, x, _, g := indexAccount(t, d)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		for _, h := range []uint64{50, 40} {
			if err := x.RecordHighWater(ctx, g.ID, h, now); err != nil {
				t.Fatal(err)
			}
		}
		st, _ := x.State(ctx, g.ID)
		if st.HighWater != 50 || !st.LastPushAt.Equal(now) || st.Version != 0 {
			t.Fatalf("state %+v", st)
		}
		st.Phase = mailsync.PhaseFull
		if err := x.SaveState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		if err := x.RecordHighWater(ctx, g.ID, 60, now); err != nil {
			t.Fatal(err)
		}
		st.Done = 3
		if err := x.SaveState(ctx, &st); err != nil {
			t.Fatalf("save after a push: %v", err)
		}
		got, _ := x.State(ctx, g.ID)
		if got.HighWater != 60 || got.Done != 3 || got.Phase != mailsync.PhaseFull {
			t.Fatalf("state %+v", got)
		}
		if err := x.RecordHighWater(ctx, "no-such-account", 1, now); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("unknown account: %v", err)
		}
	})
}

// Disconnecting an account wipes its index.
func TestMailIndexWipedWithAccount(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db, x, store, g := indexAccount(t, d)
		st, _ := x.State(ctx, g.ID)
		if err := x.ApplyPage(ctx, g.ID, mailsync.Page{Upserts: []mailsync.Message{msg("m1", "t1", 1, 1, "INBOX")}}, &st); err != nil {
			t.Fatal(err)
		}
		if err := x.ReplaceLabels(ctx, g.ID, []mailsync.Label{{ID: "INBOX", Name: "INBOX", Type: "system"}}); err != nil {
			t.Fatal(err)
		}
		if err := x.ApplyEvents(ctx, g.ID, "primary", []mailsync.Event{{Event: jarvis.Event{ID: "e1"}}}, nil, false, &st); err != nil {
			t.Fatal(err)
		}
		if err := store.DeleteGoogleIntegration(ctx, g.UserID, g.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"mail_messages", "mail_message_labels", "mail_threads", "mail_labels", "calendar_events", "sync_state"} {
			var n int
			if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil || n != 0 {
				t.Fatalf("%s: %d rows left, %v", table, n, err)
			}
		}
	})
}

func threadRows(t *testing.T, x *sqldb.MailIndex, accountID string) map[string]mailsync.Thread {
	t.Helper()
	threads, err := x.IndexedThreads(context.Background(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]mailsync.Thread{}
	for _, th := range threads {
		out[th.ID] = th
	}
	return out
}

// One sync per account: the lease is held by one owner until it lapses or
// is released, and renewing it does not disturb the sync's state version.
func TestMailIndexSyncLease(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		db, x, _, g := indexAccount(t, d)
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		for _, c := range []struct {
			owner string
			want  bool
		}{{"a", true}, {"b", false}, {"a", true}} {
			if held, err := x.LeaseSync(ctx, g.ID, c.owner, 30*time.Second); err != nil || held != c.want {
				t.Fatalf("lease for %s: %v, %v", c.owner, held, err)
			}
		}
		now = now.Add(31 * time.Second) // a's lease lapsed
		if held, _ := x.LeaseSync(ctx, g.ID, "b", 30*time.Second); !held {
			t.Fatal("a lapsed lease was not taken")
		}
		if err := x.ReleaseSync(ctx, g.ID, "b"); err != nil {
			t.Fatal(err)
		}
		if held, _ := x.LeaseSync(ctx, g.ID, "c", 30*time.Second); !held {
			t.Fatal("a released lease was not taken")
		}
		if st, _ := x.State(ctx, g.ID); st.Version != 0 {
			t.Fatalf("the lease changed the state's version: %+v", st)
		}
		if _, err := x.LeaseSync(ctx, "no-such-account", "a", time.Second); !jarvis.IsCode(err, jarvis.ENOTFOUND) {
			t.Fatalf("unknown account: %v", err)
		}
	})
}
