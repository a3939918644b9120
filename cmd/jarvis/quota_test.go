package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/quota"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// countingStore records what each granted call was charged, and whether it
// was charged as background work, over a real store.
type countingStore struct {
	quota.Store
	bgLimit time.Duration

	mu          sync.Mutex
	units       map[bool]int // by background
	perCallUnit time.Duration
}

func (c *countingStore) Take(ctx context.Context, account string, now time.Time, ch quota.Check) (time.Duration, error) {
	w, err := c.Store.Take(ctx, account, now, ch)
	if err == nil && w == 0 {
		c.mu.Lock()
		c.units[ch.Limit == c.bgLimit] += int(ch.Cost / c.perCallUnit)
		c.mu.Unlock()
	}
	return w, err
}

func (c *countingStore) charged() (interactive, background int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.units[false], c.units[true]
}

// countingQuota is a limiter with a budget too large to matter that counts
// the units charged.
func countingQuota() (*quota.Limiter, *countingStore) {
	cs := &countingStore{Store: quota.NewMemory(), units: map[bool]int{}}
	l := quota.New(cs, quota.Config{PerMinute: 600000, Burst: 1000000, Reserve: 1000})
	cs.perCallUnit = time.Minute / 600000
	cs.bgLimit = l.CheckFor(1, quota.Background).Limit
	return l, cs
}

// Every Gmail call, interactive or the sync engine's, is charged its
// method's cost to its account; the sync's as background work.
func TestGmailCallsAreChargedTheirCost(t *testing.T) {
	l, cs := countingQuota()
	e := startEnv(t, envOptions{main: func(m *Main) { m.Quota = l }})
	worth := func() int {
		n := 0
		for m, c := range e.Sandbox.Google.Stats() {
			if strings.HasPrefix(m, "gmail.") && !strings.HasSuffix(m, "_exceeded") {
				n += int(c) * quota.Cost(m)
			}
		}
		return n
	}
	e.Sandbox.Google.ResetStats()
	// Connecting the account starts its first sync, in the background.
	tok := e.signIn("ada@example.com")
	account := e.accountOf("ada@example.com")
	for {
		st, err := e.Main.Index.State(context.Background(), account)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase == mailsync.PhaseIncremental && !st.LastSuccessAt.IsZero() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	fg, bg := cs.charged()
	if w := worth(); fg+bg != w || bg < 5*10 {
		t.Fatalf("the first sync: charged %d interactive and %d background units; the sandbox saw %v, worth %d", fg, bg, e.Sandbox.Google.Stats(), w)
	}

	// From here on only the requests below call Google: no job runs.
	e.synced("ada@example.com")
	if err := e.Main.Jobs.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.Sandbox.Google.ResetStats()
	fg0, bg0 := cs.charged()
	e.json("GET", "/gmail/labels", tok, nil, 200, nil)
	var page struct {
		Threads []struct {
			ID string `json:"id"`
		} `json:"threads"`
	}
	e.json("GET", "/gmail/threads?max_results=5", tok, nil, 200, &page) // from the index or from Gmail
	e.json("POST", "/gmail/draft", tok, map[string]any{"to": []string{"grace@example.com"}, "subject": "Quota", "body_text": "Counted."}, 201, nil)
	fg, bg = cs.charged()
	if w := worth(); fg-fg0 != w || bg != bg0 || w < quota.Cost("gmail.drafts.create") {
		t.Fatalf("charged %d interactive and %d background units; the sandbox saw %v, worth %d", fg-fg0, bg-bg0, e.Sandbox.Google.Stats(), w)
	}
}

// Two replicas share each account's pause: when Google answers one of
// them 429, the other stops calling for that account too, and answers
// ERATELIMITED with the time to retry — on PostgreSQL, and on Redis.
func TestGooglePauseIsSharedByReplicas(t *testing.T) {
	if len(sqldbtest.Dialects(t)) < 2 {
		t.Skip("needs PostgreSQL")
	}
	for _, store := range []string{"postgres", "redis"} {
		t.Run(store, func(t *testing.T) {
			configure := func(c *config.Config) {}
			if store == "redis" {
				configure = func(c *config.Config) { c.RedisURL = testRedisURL(t) }
			}
			a := startEnv(t, envOptions{dialect: sqldb.Postgres, configure: configure})
			b := startEnv(t, envOptions{dialect: sqldb.Postgres, dbURL: a.Main.Config.DatabaseURL, secrets: a.Main.Config, sandbox: a.Sandbox,
				configure: func(c *config.Config) { configure(c); c.PublicURL = a.URL }})
			// Google allows this user 1 unit a minute, so the first call
			// answers 429 with a Retry-After of minutes; Jarvis's budget
			// is the default, far more: Google's 429 is what stops it.
			q := 1
			if err := a.Sandbox.Google.SetFaults(sandbox.Faults{GmailQuota: &q}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				off := 0
				_ = a.Sandbox.Google.SetFaults(sandbox.Faults{GmailQuota: &off})
			})
			tok := a.signIn("ada@example.com")
			resp, _ := a.do("GET", "/gmail/threads?max_results=20", tok, nil)
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("replica a past Google's quota: %d %v", resp.StatusCode, resp.Header)
			}
			before := a.Sandbox.Google.Stats()
			resp, body := b.do("GET", "/gmail/labels", tok, nil)
			if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("replica b during the pause: %d %s", resp.StatusCode, body)
			}
			after := a.Sandbox.Google.Stats()
			if after["gmail.labels.list"] != before["gmail.labels.list"] {
				t.Fatalf("replica b called Gmail during the pause: %v then %v", before, after)
			}
		})
	}
}

// testRedisURL is the Redis of the tests; the test is skipped without one
// (outside CI).
func testRedisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("JARVIS_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/15"
	}
	if os.Getenv("CI") != "true" && !reachable("127.0.0.1:6379") {
		t.Skip("no Redis")
	}
	return url
}
