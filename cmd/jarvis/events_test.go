package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// openEvents opens GET /events and returns the events' types and data as
// they arrive.
func (e *testEnv) openEvents(tok string) <-chan [2]string {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		e.t.Fatalf("GET /events: %v %v", resp, err)
	}
	out := make(chan [2]string, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var typ string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				typ = v
			} else if v, ok := strings.CutPrefix(line, "data: "); ok {
				out <- [2]string{typ, v}
			}
		}
	}()
	e.t.Cleanup(func() { cancel(); resp.Body.Close() })
	return out
}

// waitEvent waits for an event of the type whose data contains want.
func waitEvent(t *testing.T, ch <-chan [2]string, typ, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("the event stream ended before %s %s", typ, want)
			}
			if ev[0] == typ && strings.Contains(ev[1], want) {
				return
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s %s", typ, want)
		}
	}
}

// New mail synced by one replica reaches the dashboard connected to
// another: the sync engine publishes mail.changed, carried by PostgreSQL's
// NOTIFY (or Redis) to every replica's streams; on SQLite, within the one
// process.
func TestEventsReachEveryReplica(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) { testEvents(t, d, "") })
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("JARVIS_TEST_REDIS_URL")
		if url == "" {
			url = "redis://127.0.0.1:6379/15"
		}
		if os.Getenv("CI") != "true" && !reachable("127.0.0.1:6379") {
			t.Skip("no Redis")
		}
		d := sqldb.SQLite
		if len(sqldbtest.Dialects(t)) > 1 {
			d = sqldb.Postgres
		}
		testEvents(t, d, url)
	})
}

func testEvents(t *testing.T, d sqldb.Dialect, redisURL string) {
	withRedis := func(c *config.Config) { c.RedisURL = redisURL }
	a := startEnv(t, envOptions{dialect: d, configure: withRedis})
	view := a
	if d == sqldb.Postgres {
		view = startEnv(t, envOptions{dialect: d, dbURL: a.Main.Config.DatabaseURL, secrets: a.Main.Config, sandbox: a.Sandbox,
			configure: func(c *config.Config) { c.PublicURL, c.RedisURL = a.URL, redisURL }})
	}
	const ada = "ada@example.com"
	tok := a.signIn(ada)
	account := a.synced(ada)
	stream := view.openEvents(tok)
	user := a.me(tok).User.ID
	if err := a.Main.events.Publish(context.Background(), user, "sync.progress", map[string]any{"account_id": account, "phase": "incremental"}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, stream, "sync.progress", account)

	// A delivery, synced by a job on whichever replica takes it.
	_, thread := deliver(t, a, ada, "Grace <grace@example.com>", "Live update")
	if err := a.Main.Jobs.EnqueueSync(context.Background(), account); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, stream, "mail.changed", thread)

	// A logout on one replica ends the token's streams on every replica,
	// and leaves another token's stream open.
	other := a.signIn(ada)
	kept := view.openEvents(other)
	a.json("POST", "/auth/logout", tok, nil, 204, nil)
	waitClosed(t, stream)
	if err := a.Main.events.Publish(context.Background(), user, "calendar.changed", map[string]any{"account_id": account}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, kept, "calendar.changed", account)
	view.problem("GET", "/events", tok, nil, 401, "unauthorized")
}

// waitClosed waits for the stream to end, skipping what it still sends.
func waitClosed(t *testing.T, ch <-chan [2]string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the event stream is still open")
		}
	}
}
