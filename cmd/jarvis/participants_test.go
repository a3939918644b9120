package main

import (
	"strings"
	"testing"

	"github.com/jarvis-hq/jarvis"
)

// An inbox row names the thread's senders in order of first appearance,
// the user's own address marked me, as Gmail's inbox does.
func TestThreadSummaryParticipants(t *testing.T) {
	e := startEnv(t, envOptions{})
	tok := e.signIn("ada@example.com")
	var page jarvis.ThreadPage
	e.json("GET", "/gmail/threads?label=&max_results=50", tok, nil, 200, &page)
	mine := 0
	for _, s := range page.Threads {
		if len(s.Participants) == 0 {
			t.Fatalf("thread %q has no participants", s.Subject)
		}
		var th jarvis.Thread
		e.json("GET", "/gmail/thread/"+s.ID, tok, nil, 200, &th)
		var want []string
		seen := map[string]bool{}
		for _, m := range th.Messages {
			if k := strings.ToLower(m.From.Email); !seen[k] {
				seen[k] = true
				want = append(want, k)
			}
		}
		var got []string
		for _, p := range s.Participants {
			got = append(got, strings.ToLower(p.Email))
			if p.Me != strings.EqualFold(p.Email, "ada@example.com") {
				t.Errorf("thread %q: %+v is wrongly marked", s.Subject, p)
			}
			if p.Me {
				mine++
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("thread %q: participants %v, senders in order %v", s.Subject, got, want)
		}
	}
	if mine == 0 {
		t.Fatal("no thread has the user among its participants: the test shows nothing")
	}
}
