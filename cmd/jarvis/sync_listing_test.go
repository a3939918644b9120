package main

import (
	"context"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// A resync interrupted mid-listing (its job's slice ended, the quota paused
// it, its process died) resumes from its saved page rather than listing
// from the start again — else a mailbox too large to resync within one
// slice would never finish — and still removes from the index what the
// mailbox lost before the listing began.
func TestResyncResumesFromItsSavedPage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		account := e.synced(ada)
		if err := e.Main.Jobs.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		engine, x := syncEngine(e, 7)
		user := fullGmail(t, e.Sandbox.URL, ada)

		// A message the index holds is deleted; then the resync began (its
		// profile read after the deletion) and indexed its first page.
		list, err := user.Users.Messages.List("me").MaxResults(3).Do()
		if err != nil {
			t.Fatal(err)
		}
		gone := list.Messages[1].Id
		if err := user.Users.Messages.Delete("me", gone).Do(); err != nil {
			t.Fatal(err)
		}
		p, err := user.Users.GetProfile("me").Do()
		if err != nil {
			t.Fatal(err)
		}
		page, err := user.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(7).Do()
		if err != nil || page.NextPageToken == "" {
			t.Fatalf("first page: %v", err)
		}
		st, err := x.State(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		st.Phase, st.HistoryID, st.ListHistoryID = mailsync.PhaseResync, p.HistoryId, p.HistoryId
		st.ListPageToken, st.Done = page.NextPageToken, 7
		if err := x.SaveState(ctx, &st); err != nil {
			t.Fatal(err)
		}

		e.Sandbox.Google.ResetStats()
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatal(err)
		}
		calls := e.Sandbox.Google.Stats()
		total := len(gmailView(t, user))
		if st, _ = x.State(ctx, account); st.Phase != mailsync.PhaseIncremental || st.Done != total {
			t.Fatalf("after the resync: %+v (mailbox of %d)", st, total)
		}
		if calls["gmail.messages.get"] != int64(total-7) {
			t.Errorf("the resync fetched %d messages, want the %d after its saved page: %v", calls["gmail.messages.get"], total-7, calls)
		}
		assertIndexEqualsMailbox(t, x, account, user)
	})
}
