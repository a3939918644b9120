package mailreads

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/gmailquery"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
)

// cursorPrefix marks Jarvis's own page tokens; any other token is Gmail's.
const cursorPrefix = "jx1."

// cursor is where a listing stands in each account it reads.
type cursor struct {
	Accounts map[string]position `json:"a"`
}

// position is where a listing stands in one account: after the thread
// (Date, ID) of the index, or Skip threads into the Gmail page Token.
type position struct {
	Gmail bool   `json:"g,omitempty"`
	Token string `json:"t,omitempty"`
	Skip  int    `json:"s,omitempty"`
	Date  int64  `json:"d,omitempty"`
	ID    string `json:"i,omitempty"`
	Done  bool   `json:"x,omitempty"`
	// started: a position read from a token (the zero position is the
	// start of a listing).
	started bool
}

func isCursor(token string) bool { return strings.HasPrefix(token, cursorPrefix) }

func badToken() error {
	return jarvis.Invalid("page_token", "The page token is not valid: list again from the first page.")
}

func decodeCursor(token string) (*cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, cursorPrefix))
	if err != nil {
		return nil, badToken()
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.Accounts == nil {
		return nil, badToken()
	}
	for id, p := range c.Accounts {
		p.started = true
		c.Accounts[id] = p
	}
	return &c, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms) }

func (c *cursor) encode() string {
	b, _ := json.Marshal(c)
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// item is a thread of a source with the position that follows it.
type item struct {
	thread jarvis.ThreadSummary
	after  position
}

// source is one account's part of a listing: the threads fetched from
// where it stands, and whether more follow them.
type source struct {
	acct  jarvis.GoogleAccount
	pos   position
	items []item
	next  int // the first item not yet taken
	more  bool
}

func (src *source) done() bool { return src.pos.Done || src.next == len(src.items) && !src.more }

// fetch reads up to n threads of the account from where it stands, from
// the index or from Gmail as its position says.
func (s *Service) fetch(ctx context.Context, userID string, src *source, q jarvis.ThreadQuery, n int) error {
	if src.pos.Gmail {
		page, err := s.Live.ListThreads(ctx, userID, src.acct.ID, jarvis.ThreadQuery{Q: q.Q, Label: q.Label,
			PageToken: src.pos.Token, MaxResults: min(src.pos.Skip+n, 500)})
		if err != nil {
			return err
		}
		for i := src.pos.Skip; i < len(page.Threads); i++ {
			after := position{Gmail: true, Token: src.pos.Token, Skip: i + 1}
			if i == len(page.Threads)-1 {
				after = position{Gmail: true, Token: page.NextPageToken, Done: page.NextPageToken == ""}
			}
			src.items = append(src.items, item{thread: page.Threads[i], after: after})
		}
		src.more = page.NextPageToken != ""
		return nil
	}
	f := mailsync.ThreadFilter{Label: q.Label, Query: gmailquery.Parse(q.Q), Limit: n + 1}
	if src.pos.ID != "" {
		f.After = &mailsync.ThreadCursor{LastDate: msTime(src.pos.Date), ID: src.pos.ID}
	}
	threads, err := s.cfg.Index.ListThreads(ctx, src.acct.ID, f)
	defer func() {
		s.record(ctx, jarvis.AuditGmailThreadsList, &src.acct, err, map[string]any{"label": q.Label, "results": min(len(threads), n)})
	}()
	if err != nil {
		return err
	}
	src.more = len(threads) > n
	for _, t := range threads[:min(len(threads), n)] {
		sum := t.ThreadSummary
		sum.LastInternalDate = t.LastDate
		mailsync.MarkMe(sum.Participants, src.acct.Email)
		src.items = append(src.items, item{thread: sum, after: position{Date: t.LastDate.UnixMilli(), ID: t.ID}})
	}
	if !src.more && len(src.items) > 0 {
		src.items[len(src.items)-1].after.Done = true
	}
	return nil
}

// newer orders two threads of a merged listing: the newest message first,
// then by account and id so that the order is total.
func newer(a, b *source) bool {
	x, y := a.items[a.next].thread, b.items[b.next].thread
	if !x.LastInternalDate.Equal(y.LastInternalDate) {
		return x.LastInternalDate.After(y.LastInternalDate)
	}
	if a.acct.ID != b.acct.ID {
		return a.acct.ID < b.acct.ID
	}
	return x.ID > y.ID
}

// merge lists a page over accts, each from where cur says (or from the
// start): every account's next threads are fetched, then taken newest first
// until the page is full. It stops early rather than pass over an account
// whose next threads it has not fetched, so the order holds across pages.
func (s *Service) merge(ctx context.Context, userID string, accts []jarvis.GoogleAccount, q jarvis.ThreadQuery, cur *cursor, all bool) (*jarvis.ThreadPage, error) {
	exact := gmailquery.Parse(q.Q).Exact()
	srcs := make([]*source, 0, len(accts))
	for _, a := range accts {
		src := &source{acct: a}
		if cur != nil {
			pos, ok := cur.Accounts[a.ID]
			if !ok {
				// An account connected since the first page is left out
				// of the rest of this listing.
				continue
			}
			src.pos = pos
		}
		if !src.pos.started {
			ok, err := s.fromIndex(ctx, userID, &src.acct)
			if err != nil {
				return nil, err
			}
			src.pos.Gmail = !ok || !exact
		} else if !src.pos.Gmail {
			if ok, err := s.fromIndex(ctx, userID, &src.acct); err != nil {
				return nil, err
			} else if !ok {
				return nil, badToken()
			}
		}
		srcs = append(srcs, src)
	}
	if cur != nil && len(srcs) == 0 {
		return nil, badToken()
	}
	for _, src := range srcs {
		if src.pos.Done {
			continue
		}
		if err := s.fetch(ctx, userID, src, q, q.MaxResults); err != nil {
			return nil, err
		}
	}
	page := &jarvis.ThreadPage{Threads: []jarvis.ThreadSummary{}, Source: jarvis.SourceIndex}
	for len(page.Threads) < q.MaxResults {
		var best *source
		stalled := false
		for _, src := range srcs {
			switch {
			case src.pos.Done || src.next == len(src.items) && !src.more:
			case src.next == len(src.items):
				stalled = true
			case best == nil || newer(src, best):
				best = src
			}
		}
		if best == nil || stalled {
			break
		}
		it := best.items[best.next]
		best.next++
		best.pos = it.after
		if all {
			it.thread.Account = &jarvis.AccountRef{ID: best.acct.ID, Email: best.acct.Email}
		}
		page.Threads = append(page.Threads, it.thread)
	}
	next := &cursor{Accounts: map[string]position{}}
	for _, src := range srcs {
		if src.pos.Gmail {
			page.Source = jarvis.SourceGmail
		}
		if !src.done() {
			next.Accounts[src.acct.ID] = src.pos
		} else {
			next.Accounts[src.acct.ID] = position{Gmail: src.pos.Gmail, Done: true}
		}
	}
	for _, src := range srcs {
		if !src.done() {
			page.NextPageToken = next.encode()
			break
		}
	}
	if all {
		for _, a := range accts {
			page.Accounts = append(page.Accounts, jarvis.AccountRef{ID: a.ID, Email: a.Email})
		}
	} else {
		page.Account = &jarvis.AccountRef{ID: accts[0].ID, Email: accts[0].Email}
	}
	return page, nil
}
