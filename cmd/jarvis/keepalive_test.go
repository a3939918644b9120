package main

import "testing"

// A page read live from Gmail fans out to one call per thread; once the
// connections are open, the next pages reuse them (a few more may open when
// more calls overlap than before): Jarvis keeps enough idle connections to
// Google (here the sandbox, over HTTP/1.1, which counts the connections
// opened to it) for its fan-out. With Go's default of 2 idle connections a
// host, most calls would open one.
func TestGoogleConnectionsReused(t *testing.T) {
	e := startEnv(t, envOptions{})
	tok := e.signIn("ada@example.com")
	e.synced("ada@example.com")
	const page = "/gmail/threads?max_results=50&q=larger%3A1"
	var list struct{ Threads []any }
	e.json("GET", page, tok, nil, 200, &list)
	if len(list.Threads) < 20 {
		t.Fatalf("the page has %d threads: too few to show a fan-out", len(list.Threads))
	}
	before := e.Sandbox.Connections()
	e.Sandbox.Google.ResetStats()
	for range 3 {
		e.json("GET", page, tok, nil, 200, nil)
	}
	calls := 0
	for _, n := range e.Sandbox.Google.Stats() {
		calls += int(n)
	}
	opened := e.Sandbox.Connections() - before
	t.Logf("3 more pages: %d calls to Google, %d new connections", calls, opened)
	if opened*10 > calls {
		t.Fatalf("3 more pages (%d calls to Google) opened %d new connections", calls, opened)
	}
}
