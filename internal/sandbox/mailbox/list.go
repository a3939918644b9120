package mailbox

import (
	"slices"
	"strconv"
	"strings"
)

// MessageView is a message with its labels and history id at one moment.
type MessageView struct {
	*Message
	LabelIDs  []string
	HistoryID uint64
	// Snippet and Size are the message's, read under the store's lock (a
	// generated message's body is indexed in the background).
	Snippet string
	Size    int
}

// ThreadView is a thread at one moment: its messages oldest first.
type ThreadView struct {
	ID        string
	Snippet   string // the latest message's
	HistoryID uint64 // the highest of its messages'
	Messages  []MessageView
}

// DraftView is a draft and its message.
type DraftView struct {
	ID      string
	Message MessageView
}

// ListOptions are the filters and paging of messages.list and threads.list.
type ListOptions struct {
	Query            string
	LabelIDs         []string // all must be present
	IncludeSpamTrash bool
	MaxResults       int // 1..500
	PageToken        string
}

// Page is one page of a listing.
type Page[T any] struct {
	Items         []T
	NextPageToken string
	Total         int // resultSizeEstimate
}

func (s *Store) view(e *entry) MessageView {
	v := MessageView{Message: e.m, LabelIDs: slices.Clone(e.labels), HistoryID: e.historyID}
	v.Snippet, v.Size = e.m.snippetNow()
	return v
}

func (s *Store) threadView(t *thread) ThreadView {
	v := threadSummary(t)
	v.Messages = make([]MessageView, len(t.msgs))
	for i, e := range t.msgs {
		v.Messages[i] = s.view(e)
	}
	return v
}

// threadSummary is a thread as a listing shows it: id, snippet, history id.
func threadSummary(t *thread) ThreadView {
	v := ThreadView{ID: t.id}
	for _, e := range t.msgs {
		v.HistoryID = max(v.HistoryID, e.historyID)
	}
	if n := len(t.msgs); n > 0 {
		v.Snippet, _ = t.msgs[n-1].m.snippetNow()
	}
	return v
}

// Message returns a message, or ErrNotFound.
func (s *Store) Message(id string) (MessageView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.msgs[id]
	if e == nil {
		return MessageView{}, ErrNotFound
	}
	return s.view(e), nil
}

// Thread returns a thread, or ErrNotFound.
func (s *Store) Thread(id string) (ThreadView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.threads[id]
	if t == nil {
		return ThreadView{}, ErrNotFound
	}
	return s.threadView(t), nil
}

// Draft returns a draft, or ErrNotFound.
func (s *Store) Draft(id string) (DraftView, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.drafts[id]
	if e == nil {
		return DraftView{}, ErrNotFound
	}
	return DraftView{ID: id, Message: s.view(e)}, nil
}

// filter returns the entries, newest first, that match the options.
// The caller holds a lock.
func (s *Store) filter(opt ListOptions, from []*entry) []*entry {
	q := parseQuery(opt.Query)
	spamTrash := opt.IncludeSpamTrash || q.spamTrash ||
		slices.Contains(opt.LabelIDs, Spam) || slices.Contains(opt.LabelIDs, Trash)
	env := matchEnv{now: s.now(), labelID: s.labelID}
	var out []*entry
	for _, e := range from {
		if !spamTrash && (slices.Contains(e.labels, Spam) || slices.Contains(e.labels, Trash)) {
			continue
		}
		if !containsAll(e.labels, opt.LabelIDs) {
			continue
		}
		if q.hasClauses {
			env.labels = make(map[string]bool, len(e.labels))
			for _, l := range e.labels {
				env.labels[l] = true
			}
			if !q.match(e.m, env) {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// ListMessages lists matching messages newest first. It returns
// ErrPageToken for a token it did not issue.
func (s *Store) ListMessages(opt ListOptions) (Page[MessageView], error) {
	s.waitBodies(opt.Query)
	s.mu.RLock()
	defer s.mu.RUnlock()
	matched := s.filter(opt, s.byDate)
	return paginate(matched, opt, s.pageEpoch, s.view)
}

// ListThreads lists threads with a matching message, the thread with the
// newest message first. It returns ErrPageToken for a bad token.
func (s *Store) ListThreads(opt ListOptions) (Page[ThreadView], error) {
	s.waitBodies(opt.Query)
	s.mu.RLock()
	defer s.mu.RUnlock()
	matched := s.filter(opt, s.byDate)
	seen := map[string]bool{}
	var ts []*thread
	for _, e := range matched {
		if !seen[e.m.ThreadID] {
			seen[e.m.ThreadID] = true
			ts = append(ts, s.threads[e.m.ThreadID])
		}
	}
	// Newest message first; threads whose newest messages share a date
	// by id, as mailboxes order them.
	slices.SortStableFunc(ts, func(a, b *thread) int {
		if c := b.msgs[len(b.msgs)-1].m.Date.Compare(a.msgs[len(a.msgs)-1].m.Date); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	return paginate(ts, opt, s.pageEpoch, threadSummary)
}

func compareEntries(a, b *entry) int {
	switch {
	case a == b:
		return 0
	case newer(a, b):
		return 1
	default:
		return -1
	}
}

// ListDrafts lists drafts newest first, filtered by q.
func (s *Store) ListDrafts(opt ListOptions) (Page[DraftView], error) {
	s.waitBodies(opt.Query)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var es []*entry
	for i := len(s.draftIDs) - 1; i >= 0; i-- {
		es = append(es, s.drafts[s.draftIDs[i]])
	}
	opt.IncludeSpamTrash = true
	matched := s.filter(opt, es)
	return paginate(matched, opt, s.pageEpoch, func(e *entry) DraftView {
		return DraftView{ID: e.draftID, Message: s.view(e)}
	})
}

// waitBodies waits for generated bodies to be indexed when a query
// searches what only bodies give: text, attachments, size.
func (s *Store) waitBodies(q string) {
	for _, clause := range parseQuery(q).clauses {
		for _, t := range clause {
			switch t.op {
			case "", "has", "filename", "larger", "smaller":
				s.WaitIndexed()
				return
			}
		}
	}
}

// paginate cuts one page out of items. Page tokens are decimal offsets
// and the mailbox's page-token epoch ("200.0"): a token of an earlier epoch
// (see InvalidatePageTokens) is refused as Gmail refuses a stale one.
func paginate[E, T any](items []E, opt ListOptions, epoch uint64, render func(E) T) (Page[T], error) {
	start := 0
	if opt.PageToken != "" {
		off, ep, ok := strings.Cut(opt.PageToken, ".")
		n, err := strconv.Atoi(off)
		e, eerr := strconv.ParseUint(ep, 10, 64)
		if !ok || err != nil || eerr != nil || e != epoch || n < 0 || n > len(items) {
			return Page[T]{}, ErrPageToken
		}
		start = n
	}
	size := opt.MaxResults
	if size <= 0 {
		size = 100
	}
	end := min(start+size, len(items))
	p := Page[T]{Total: len(items)}
	for _, it := range items[start:end] {
		p.Items = append(p.Items, render(it))
	}
	if end < len(items) {
		p.NextPageToken = strconv.Itoa(end) + "." + strconv.FormatUint(epoch, 10)
	}
	return p, nil
}

// InvalidatePageTokens makes every list and history page token issued so
// far invalid: the next page asked for with one is a 400 "Invalid
// pageToken", as Gmail answers a token that has gone stale.
func (s *Store) InvalidatePageTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageEpoch++
}
