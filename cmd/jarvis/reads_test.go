package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// liveListing is a one-thread listing the index cannot answer (it does not
// keep sizes), so it always asks Gmail: for tests of what a call to Google
// does.
const liveListing = "/gmail/threads?max_results=1&q=larger%3A1"

// readFromGmail stops the background jobs and puts the account back in its
// first sync, so that its listings and labels are asked of Gmail: for tests
// of how Jarvis handles what Google answers.
func (e *testEnv) readFromGmail(email string) {
	e.t.Helper()
	account := e.synced(email)
	if err := e.Main.Jobs.Stop(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	st := e.syncState(account)
	st.Phase = mailsync.PhaseBackfill
	if err := e.Main.Index.SaveState(context.Background(), &st); err != nil {
		e.t.Fatal(err)
	}
}

// liveRead returns a read of one of the user's threads: exactly one call to
// Google per request (a thread is never read from the index), for tests
// that count token refreshes.
func (e *testEnv) liveRead(tok string) string {
	e.t.Helper()
	var p jarvis.ThreadPage
	e.json("GET", liveListing, tok, nil, 200, &p)
	if len(p.Threads) == 0 {
		e.t.Fatal("no thread to read")
	}
	return "/gmail/thread/" + p.Threads[0].ID
}

// walkThreads lists every page of GET /gmail/threads and returns the
// threads with the source of each page.
func (e *testEnv) walkThreads(tok string, params url.Values, pageSize int) ([]jarvis.ThreadSummary, []string) {
	e.t.Helper()
	var out []jarvis.ThreadSummary
	var sources []string
	params.Set("max_results", strconv.Itoa(pageSize))
	for range 1000 {
		var page jarvis.ThreadPage
		e.json("GET", "/gmail/threads?"+params.Encode(), tok, nil, 200, &page)
		if len(page.Threads) > pageSize {
			e.t.Fatalf("%v: a page of %d threads, asked for %d", params, len(page.Threads), pageSize)
		}
		out = append(out, page.Threads...)
		sources = append(sources, page.Source)
		if page.NextPageToken == "" {
			return out, sources
		}
		params.Set("page_token", page.NextPageToken)
	}
	e.t.Fatalf("%v: the listing did not end", params)
	return nil, nil
}

// liveThreads lists every thread Gmail answers for the query, through the
// live service.
func (e *testEnv) liveThreads(userID, account string, q jarvis.ThreadQuery) []jarvis.ThreadSummary {
	e.t.Helper()
	var out []jarvis.ThreadSummary
	q.MaxResults = 100
	for {
		page, err := e.Main.Google.ListThreads(context.Background(), userID, account, q)
		if err != nil {
			e.t.Fatalf("live %+v: %v", q, err)
		}
		out = append(out, page.Threads...)
		if page.NextPageToken == "" {
			return out
		}
		q.PageToken = page.NextPageToken
	}
}

func summaryJSON(t testing.TB, ts []jarvis.ThreadSummary) []string {
	t.Helper()
	out := make([]string, len(ts))
	for i, s := range ts {
		s.Account = nil
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// gmailCalls are the Gmail API calls the sandbox counted.
func gmailCalls(sb *sandbox.Server) map[string]int64 {
	out := map[string]int64{}
	for k, v := range sb.Stats() {
		if strings.HasPrefix(k, "gmail.") {
			out[k] = v
		}
	}
	return out
}

// Once an account is synced, its thread listings and labels are read from
// the index with no call to Google and equal what Gmail answers, page after
// page; a query the index cannot answer exactly, and an account still in
// its first sync, are asked of Gmail; account=all merges every account.
func TestThreadListingsFromTheIndex(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		ctx := context.Background()
		e := startEnv(t, envOptions{dialect: d, sandboxCfg: sandbox.Config{Generate: 50, Seed: 4}})
		const ada, grace = "ada@example.com", "grace@example.com"
		tok := e.signIn(ada)
		e.connect(tok, grace)
		userID := e.me(tok).User.ID
		adaID, graceID := e.synced(ada), e.synced(grace)
		if err := e.Main.Jobs.Stop(ctx); err != nil { // nothing changes the index from here on
			t.Fatal(err)
		}

		listings := []url.Values{
			{"label": {"INBOX"}},
			{},
			{"label": {"STARRED"}},
			{"label": {"SPAM"}},
			{"q": {"is:unread"}},
			{"q": {"in:anywhere"}},
			{"q": {"-in:inbox newer_than:400d"}},
			{"q": {"from:grace OR from:linus"}, "label": {"INBOX"}},
			{"q": {"review OR dinner"}},
			{"q": {`"board review" -from:grace`}},
			{"q": {"from:alan"}, "label": {"INBOX"}},
		}
		for _, p := range listings {
			for _, acct := range []struct{ email, id string }{{ada, adaID}, {grace, graceID}} {
				q := jarvis.ThreadQuery{Q: p.Get("q"), Label: p.Get("label")}
				want := summaryJSON(t, e.liveThreads(userID, acct.id, q))
				params := url.Values{"account": {acct.email}}
				for k, v := range p {
					params[k] = v
				}
				e.Sandbox.Google.ResetStats()
				got, sources := e.walkThreads(tok, params, 7)
				if calls := gmailCalls(e.Sandbox.Google); len(calls) > 0 {
					t.Errorf("%v: Gmail was called: %v", params, calls)
				}
				for _, s := range sources {
					if s != jarvis.SourceIndex {
						t.Errorf("%v: source %q", params, s)
					}
				}
				if g := summaryJSON(t, got); !slices.Equal(g, want) {
					t.Errorf("%v: the index listed %d threads, Gmail %d; first difference:\n%s", params, len(g), len(want), firstDiff(g, want))
				}
			}
		}

		// account=all merges both, newest first, each thread naming its
		// account; an inexact query merges Gmail's listings the same way.
		accts := []struct{ email, id string }{{ada, adaID}, {grace, graceID}}
		mergedInbox := func(q, wantSource string) {
			t.Helper()
			var want []jarvis.ThreadSummary
			for _, acct := range accts {
				for _, s := range e.liveThreads(userID, acct.id, jarvis.ThreadQuery{Q: q, Label: "INBOX"}) {
					s.Account = &jarvis.AccountRef{ID: acct.id, Email: acct.email}
					want = append(want, s)
				}
			}
			slices.SortStableFunc(want, func(a, b jarvis.ThreadSummary) int {
				if c := b.LastInternalDate.Compare(a.LastInternalDate); c != 0 {
					return c
				}
				if c := strings.Compare(a.Account.ID, b.Account.ID); c != 0 {
					return c
				}
				return strings.Compare(b.ID, a.ID)
			})
			got, sources := e.walkThreads(tok, url.Values{"account": {"all"}, "label": {"INBOX"}, "q": {q}}, 6)
			if sources[0] != wantSource {
				t.Errorf("account=all q=%q: source %q, want %q", q, sources[0], wantSource)
			}
			if len(got) != len(want) {
				t.Fatalf("account=all q=%q: %d threads, want %d", q, len(got), len(want))
			}
			for i := range got {
				if got[i].Account == nil || got[i].Account.ID != want[i].Account.ID || got[i].ID != want[i].ID {
					t.Fatalf("account=all q=%q: thread %d is %s in %+v, want %s in %s", q, i, got[i].ID, got[i].Account, want[i].ID, want[i].Account.ID)
				}
			}
		}
		mergedInbox("", jarvis.SourceIndex)
		mergedInbox("larger:1", jarvis.SourceGmail)

		// A query with an operator the index does not keep goes to Gmail.
		var page jarvis.ThreadPage
		e.json("GET", "/gmail/threads?q=larger:1", tok, nil, 200, &page)
		if page.Source != jarvis.SourceGmail {
			t.Errorf("larger:1: source %q", page.Source)
		}

		// Labels with their counts, from the index.
		e.Sandbox.Google.ResetStats()
		var labels jarvis.LabelList
		e.json("GET", "/gmail/labels?account="+grace, tok, nil, 200, &labels)
		if labels.Source != jarvis.SourceIndex || len(gmailCalls(e.Sandbox.Google)) > 0 {
			t.Errorf("labels: source %q, Gmail calls %v", labels.Source, gmailCalls(e.Sandbox.Google))
		}
		inbox, err := fullGmail(t, e.Sandbox.URL, grace).Users.Labels.Get("me", "INBOX").Do()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range labels.Labels {
			if l.ID == "INBOX" && (l.ThreadsTotal == nil || int64(*l.ThreadsTotal) != inbox.ThreadsTotal ||
				int64(*l.MessagesUnread) != inbox.MessagesUnread) {
				t.Errorf("INBOX counts %+v, Gmail threads %d unread messages %d", l, inbox.ThreadsTotal, inbox.MessagesUnread)
			}
		}

		// An account whose first sync has not finished is read live.
		st := e.syncState(graceID)
		st.Phase = mailsync.PhaseBackfill
		if err := e.Main.Index.SaveState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		page, labels = jarvis.ThreadPage{}, jarvis.LabelList{}
		e.json("GET", "/gmail/threads?account="+grace, tok, nil, 200, &page)
		e.json("GET", "/gmail/labels?account="+grace, tok, nil, 200, &labels)
		if page.Source != jarvis.SourceGmail || labels.Source != jarvis.SourceGmail || labels.Labels[0].ThreadsTotal != nil {
			t.Errorf("during the first sync: threads from %q, labels from %q", page.Source, labels.Source)
		}
		// The unified inbox merges one account's index with the other's
		// Gmail listing, in order, page after page.
		mergedInbox("", jarvis.SourceGmail)
		// Its index page token is refused rather than continued live.
		_, next := e.walkFirst(tok, url.Values{"account": {ada}})
		st = e.syncState(adaID)
		st.Phase = mailsync.PhaseNew
		if err := e.Main.Index.SaveState(ctx, &st); err != nil {
			t.Fatal(err)
		}
		e.problem("GET", "/gmail/threads?account="+ada+"&page_token="+url.QueryEscape(next), tok, nil, 400, jarvis.EINVALID)
		e.problem("GET", "/gmail/threads?page_token=jx1.bm90IGpzb24", tok, nil, 400, jarvis.EINVALID)
	})
}

// walkFirst returns the first page of a listing and its next page token.
func (e *testEnv) walkFirst(tok string, params url.Values) (jarvis.ThreadPage, string) {
	e.t.Helper()
	var page jarvis.ThreadPage
	params.Set("max_results", "3")
	e.json("GET", "/gmail/threads?"+params.Encode(), tok, nil, 200, &page)
	if page.NextPageToken == "" {
		e.t.Fatalf("%v: one page only", params)
	}
	return page, page.NextPageToken
}

// firstDiff shows the first element where two lists differ.
func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("[%d] got  %s\n[%d] want %s", i, g, i, w)
		}
	}
	return ""
}
