package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"

	"github.com/jarvis-hq/jarvis/internal/google"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// A backfill whose saved page token went stale — Gmail answers 400
// "Invalid pageToken", or the token was issued too long ago to be trusted
// — starts its listing again from a fresh getProfile and reconciles what
// it had indexed, instead of failing on every retry.
func TestSyncRestartsAStaleListing(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		account := e.synced(ada)
		if err := e.Main.Jobs.Stop(ctx); err != nil { // this test runs the engine itself
			t.Fatal(err)
		}
		engine, x := syncEngine(e, 7)
		user := fullGmail(t, e.Sandbox.URL, ada)

		// backfillFrom leaves the state as a backfill interrupted after its
		// first page of 7, with the page token Gmail gave at issued.
		backfillFrom := func(issued time.Time) {
			t.Helper()
			page, err := user.Users.Messages.List("me").IncludeSpamTrash(true).MaxResults(7).Do()
			if err != nil || page.NextPageToken == "" {
				t.Fatalf("first page: %v", err)
			}
			st, err := x.State(ctx, account)
			if err != nil {
				t.Fatal(err)
			}
			st.Phase, st.ListPageToken, st.ListPageAt, st.Done = mailsync.PhaseBackfill, page.NextPageToken, issued, 0
			if err := x.SaveState(ctx, &st); err != nil {
				t.Fatal(err)
			}
		}
		total := func() int {
			t.Helper()
			return len(gmailView(t, user))
		}

		// Gmail refuses the token; meanwhile a message the index holds was
		// deleted and the history that tells it expired.
		backfillFrom(time.Now())
		list, err := user.Users.Messages.List("me").MaxResults(20).Do()
		if err != nil {
			t.Fatal(err)
		}
		if err := user.Users.Messages.Delete("me", list.Messages[15].Id).Do(); err != nil {
			t.Fatal(err)
		}
		deliver(t, e, ada, "Grace <grace@example.com>", "After the token")
		e.Sandbox.Google.ExpireHistory(ada)
		if err := e.Sandbox.Google.InvalidatePageTokens(ada); err != nil {
			t.Fatal(err)
		}
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatalf("sync from a stale page token: %v", err)
		}
		st, _ := x.State(ctx, account)
		if st.Phase != mailsync.PhaseIncremental || st.LastError != "" || st.ListPageToken != "" || st.Done != total() {
			t.Fatalf("after the stale token: %+v (mailbox of %d)", st, total())
		}
		assertIndexEqualsMailbox(t, x, account, user)

		// A token Gmail would still take, but issued more than a day ago:
		// the listing starts again (it lists every message, not the rest).
		backfillFrom(time.Now().Add(-25 * time.Hour))
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatalf("sync from an old page token: %v", err)
		}
		st, _ = x.State(ctx, account)
		if st.Phase != mailsync.PhaseIncremental || st.LastError != "" || st.Done != total() {
			t.Fatalf("after the old token: %+v (mailbox of %d)", st, total())
		}
		assertIndexEqualsMailbox(t, x, account, user)

		// A fresh token is used: the listing goes on from it.
		backfillFrom(time.Now())
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatal(err)
		}
		if st, _ = x.State(ctx, account); st.Phase != mailsync.PhaseIncremental || st.Done != total()-7 {
			t.Fatalf("after a fresh token: %+v (mailbox of %d)", st, total())
		}
		assertIndexEqualsMailbox(t, x, account, user)
	})
}

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
		st.ListPageToken, st.ListPageAt, st.Done = page.NextPageToken, time.Now(), 7
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
		// The messages after the saved page, and the deleted one, whose 404
		// confirms it gone.
		if calls["gmail.messages.get"] != int64(total-7+1) {
			t.Errorf("the resync fetched %d messages, want the %d after its saved page and the one gone: %v", calls["gmail.messages.get"],
				total-7+1, calls)
		}
		assertIndexEqualsMailbox(t, x, account, user)
	})
}

// googleVia gives the engine one Gmail client for every account.
type googleVia struct {
	*google.Service
	gmail *gmail.Service
}

func (g googleVia) GmailService(context.Context, string, string) (*gmail.Service, error) {
	return g.gmail, nil
}

// hiding is a round tripper that leaves one message out of every
// messages.list answer, as a listing that is no snapshot can (a message
// deleted meanwhile shifts the pages after it).
type hiding struct {
	base http.RoundTripper
	id   string
}

func (h hiding) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.base.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/messages") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	defer resp.Body.Close()
	var list gmail.ListMessagesResponse
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	list.Messages = slices.DeleteFunc(list.Messages, func(m *gmail.Message) bool { return m.Id == h.id })
	b, err := json.Marshal(&list)
	if err != nil {
		return nil, err
	}
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// A resync removes a message its listing did not show only once Gmail
// confirms it gone (404): a message the listing missed but the mailbox
// still has stays, indexed afresh.
func TestResyncRemovesOnlyWhatIsGone(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		account := e.synced(ada)
		if err := e.Main.Jobs.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		user := fullGmail(t, e.Sandbox.URL, ada)
		list, err := user.Users.Messages.List("me").MaxResults(20).Do()
		if err != nil {
			t.Fatal(err)
		}
		missed, gone := list.Messages[5].Id, list.Messages[6].Id
		if _, err := user.Users.Messages.Modify("me", missed, &gmail.ModifyMessageRequest{AddLabelIds: []string{"STARRED"}}).Do(); err != nil {
			t.Fatal(err)
		}
		if err := user.Users.Messages.Delete("me", gone).Do(); err != nil {
			t.Fatal(err)
		}
		e.Sandbox.Google.ExpireHistory(ada) // neither change is in any history now

		x := sqldb.NewMailIndex(e.Main.DB)
		engine := mailsync.New(mailsync.Config{Store: x, Decode: google.IndexMessage, PageSize: 7, Google: googleVia{e.Main.Google,
			fullGmailVia(t, e.Sandbox.URL, ada, func(rt http.RoundTripper) http.RoundTripper { return hiding{rt, missed} })}})
		if err := engine.Sync(ctx, account); err != nil {
			t.Fatal(err)
		}
		if st, _ := x.State(ctx, account); st.Phase != mailsync.PhaseIncremental {
			t.Fatalf("after the resync: %+v", st)
		}
		assertIndexEqualsMailbox(t, x, account, user)
	})
}
