package mailbox

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }

func generated(t *testing.T, n int, seed uint64) *Store {
	t.Helper()
	s := NewStore(testNow)
	s.Generate(GenerateOptions{Owner: "ada@example.com", Name: "Ada Lovelace", Count: n, Seed: seed})
	s.WaitIndexed()
	return s
}

// A generated message is indexed without parsing; what it keeps must be
// exactly what parsing its bytes gives.
func TestGeneratedIndexMatchesParse(t *testing.T) {
	g := newGenerator(GenerateOptions{Owner: "ada@example.com", Name: "Ada Lovelace", Count: 3000, Seed: 7})
	for i := range g.msgs {
		fast := g.message(i)
		raw := g.render(i)
		parsed := Parse(raw, time.Time{})
		parsed.raw, parsed.refs = nil, nil
		parsed.gen, parsed.gi = g, int32(i)
		if !fast.Date.Equal(parsed.Date) {
			t.Fatalf("message %d: date %v, parsed %v", i, fast.Date, parsed.Date)
		}
		fast.Date = parsed.Date
		if !reflect.DeepEqual(fast, parsed) {
			t.Fatalf("message %d indexed as\n%#v\nparsed as\n%#v\n%s", i, fast, parsed, raw)
		}
		if head, parsed := g.build(i, buildHeaders).root, parseHead(raw); !reflect.DeepEqual(head, parsed) {
			t.Fatalf("message %d: head made as\n%#v\nparsed as\n%#v", i, head, parsed)
		}
		if !bytes.Equal(raw, g.render(i)) {
			t.Fatalf("message %d renders differently the second time", i)
		}
	}
}

func digest(s *Store) []string {
	var out []string
	for _, e := range s.byDate {
		out = append(out, e.m.ID+" "+e.m.ThreadID+" "+strings.Join(e.labels, ",")+" "+string(e.m.Raw()))
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := generated(t, 2000, 42), generated(t, 2000, 42)
	if !slices.Equal(digest(a), digest(b)) {
		t.Fatal("the same seed gave different mailboxes")
	}
	if c := generated(t, 2000, 43); slices.Equal(digest(a)[:50], digest(c)[:50]) {
		t.Fatal("another seed gave the same mailbox")
	}
	other := NewStore(testNow)
	other.Generate(GenerateOptions{Owner: "grace@example.com", Name: "Grace Hopper", Count: 2000, Seed: 42})
	if slices.Equal(digest(a)[:50], digest(other)[:50]) {
		t.Fatal("two owners got the same mailbox")
	}
}

func TestGeneratedMailboxShape(t *testing.T) {
	const n = 5000
	s := generated(t, n, 1)
	msgs, threads, _ := s.Profile()
	if msgs != n {
		t.Fatalf("%d messages, want %d", msgs, n)
	}
	depths := map[int]int{}
	maxDepth := 0
	for _, th := range s.threads {
		d := len(th.msgs)
		depths[min(d, 10)]++
		maxDepth = max(maxDepth, d)
		for i, e := range th.msgs {
			if i > 0 && e.m.Date.Before(th.msgs[i-1].m.Date) {
				t.Fatalf("thread %s is out of date order", th.id)
			}
			if e.m.subjectKey != th.key {
				t.Fatalf("message %s in thread %s has subject key %q, thread %q", e.m.ID, th.id, e.m.subjectKey, th.key)
			}
		}
	}
	if depths[1] < threads/4 || depths[2]+depths[3] == 0 || depths[10] == 0 || maxDepth < 20 {
		t.Fatalf("thread depths %v (max %d) lack variety", depths, maxDepth)
	}
	count := map[string]int{}
	var charsets, encodings = map[string]int{}, map[string]int{}
	html, htmlOnly, attachments := 0, 0, 0
	for _, e := range s.byDate {
		for _, l := range e.labels {
			count[l]++
		}
		root := e.m.Root()
		root.Walk(func(p *Part) {
			if p.charset != "" {
				charsets[p.charset]++
			}
			if enc := strings.ToLower(p.Headers.Get("Content-Transfer-Encoding")); enc != "" {
				encodings[enc]++
			}
		})
		if findText(root, "html") != nil {
			html++
			if findText(root, "plain") == nil {
				htmlOnly++
			}
		}
		if e.m.hasAttachment {
			attachments++
		}
	}
	for _, l := range []string{Inbox, Unread, Sent, Starred, Important, Spam, Trash, "CATEGORY_PERSONAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_SOCIAL", "CATEGORY_FORUMS"} {
		if count[l] == 0 {
			t.Errorf("no message has %s", l)
		}
	}
	if count[Unread] > n/2 || count[Inbox] > n*3/4 {
		t.Errorf("%d unread, %d in the inbox of %d: not a lived-in mailbox", count[Unread], count[Inbox], n)
	}
	user := 0
	for _, l := range s.Labels() {
		if l.Type == "user" {
			user++
			if count[l.ID] == 0 {
				t.Errorf("user label %s (%s) is on no message", l.Name, l.ID)
			}
		}
	}
	if user < 5 {
		t.Errorf("%d user labels", user)
	}
	for _, cs := range []string{"utf-8", "iso-8859-1", "iso-2022-jp", "shift_jis", "koi8-r", "gb2312"} {
		if charsets[cs] == 0 {
			t.Errorf("no part in %s (have %v)", cs, charsets)
		}
	}
	for _, enc := range []string{"7bit", "quoted-printable", "base64"} {
		if encodings[enc] == 0 {
			t.Errorf("no part written %s (have %v)", enc, encodings)
		}
	}
	if html < n/10 || htmlOnly == 0 || attachments < n/50 {
		t.Errorf("%d with HTML (%d HTML only), %d with attachments, of %d", html, htmlOnly, attachments, n)
	}
}

func TestGeneratedMailIsSearchable(t *testing.T) {
	s := generated(t, 3000, 5)
	for _, q := range []string{"zephyr", "subject:lisbon", "from:example.jp", "has:attachment", "filename:pdf", "is:unread", "in:sent", "label:work", "category:promotions", "見積書", "Grüße", "larger:3k", "before:2025/11/01"} {
		p, err := s.ListMessages(ListOptions{Query: q, MaxResults: 500})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-20s %d", q, p.Total)
		if p.Total == 0 {
			t.Errorf("%q finds nothing", q)
		}
		if p.Total == 3000 {
			t.Errorf("%q finds everything", q)
		}
	}
}

func TestGeneratedMailboxSurvivesASnapshot(t *testing.T) {
	s := generated(t, 500, 9)
	first := s.byDate[len(s.byDate)-1]
	if _, err := s.Modify(first.m.ID, []string{Starred}, nil); err != nil {
		t.Fatal(err)
	}
	st := s.Snapshot()
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 500*400 || len(st.Generated) != 1 {
		t.Fatalf("the snapshot of 500 generated messages takes %d bytes, %d generated sets: their bytes should not be in it", len(data), len(st.Generated))
	}
	r := roundTrip(t, s, testNow)
	if !slices.Equal(digest(r), digest(s)) {
		t.Fatal("restored mailbox differs")
	}
	bad := st
	bad.Entries = slices.Clone(st.Entries)
	bad.Entries[0].Gen = &GenRef{Set: 0, Index: 500}
	if err := NewStore(testNow).Restore(bad); err == nil {
		t.Fatal("a reference past the generated mailbox was restored")
	}
}

// Bodies are indexed in the background: what a reader sees before is
// what it sees after, and a search for body text waits for the index.
func TestGeneratedBodiesAreIndexedInTheBackground(t *testing.T) {
	s := NewStore(testNow)
	s.Generate(GenerateOptions{Owner: "ada@example.com", Name: "Ada Lovelace", Count: 4000, Seed: 5})
	early, err := s.ListMessages(ListOptions{MaxResults: 500})
	if err != nil {
		t.Fatal(err)
	}
	found, err := s.ListMessages(ListOptions{Query: "zephyr larger:2k", MaxResults: 500})
	if err != nil {
		t.Fatal(err)
	}
	s.WaitIndexed()
	for _, v := range early.Items {
		after, err := s.Message(v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Snippet != after.Snippet || v.Size != after.Size || v.Snippet == "" || v.Size == 0 {
			t.Fatalf("message %s: snippet %q size %d before indexing, %q %d after", v.ID, v.Snippet, v.Size, after.Snippet, after.Size)
		}
	}
	again, err := s.ListMessages(ListOptions{Query: "zephyr larger:2k", MaxResults: 500})
	if err != nil {
		t.Fatal(err)
	}
	if found.Total == 0 || found.Total != again.Total {
		t.Fatalf("body search found %d during indexing, %d after", found.Total, again.Total)
	}
}
