package main

import (
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// Google's token endpoint takes 15 seconds: while one user's refresh waits
// for it, no database lock is held, so another user's logout (a write that
// revokes their token) completes while the refresh is still waiting — which
// the refresh counter shows, not a clock; the refresh gives up within its
// bound and says Google timed out.
//
// A logout that finishes after the refresh gave up proves nothing either
// way (a stalled machine can make it that slow), so the test tries again,
// up to three times: a lock held across the call fails every time.
func TestSlowRefreshBlocksNoWrites(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Parallel()
		e := startEnv(t, envOptions{dialect: d, configure: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }})
		ada := e.signIn("ada@example.com")
		const attempts = 3
		var graces []string
		for range attempts {
			graces = append(graces, e.signIn("grace@example.com"))
		}
		// The first syncs are done, so that no call of theirs waits on the
		// slow Google below (nor holds a connection to it).
		e.synced("ada@example.com")
		e.synced("grace@example.com")
		var adaID string
		if err := e.Main.DB.SQL().QueryRow(`SELECT id FROM users WHERE email = 'ada@example.com'`).Scan(&adaID); err != nil {
			t.Fatal(err)
		}
		slow := sandbox.Duration(15 * time.Second)
		if err := e.Sandbox.Google.SetFaults(sandbox.Faults{Latency: &slow}); err != nil {
			t.Fatal(err)
		}
		refreshesFailed := func() float64 {
			for _, m := range scrape(t, e)["jarvis_google_token_refreshes_total"].GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "outcome" && l.GetValue() == "error" {
						return m.GetCounter().GetValue()
					}
				}
			}
			return 0
		}
		for attempt := 0; ; attempt++ {
			// Ada's stored access token is gone: her next call refreshes first.
			if _, err := e.Main.DB.SQL().Exec(`UPDATE integrations_google SET access_token_ciphertext = '' WHERE user_id = $1`, adaID); err != nil {
				t.Fatal(err)
			}
			e.Sandbox.Google.ResetStats()
			failed := refreshesFailed()
			done := make(chan int, 1)
			go func() {
				r, _ := e.do("GET", "/gmail/drafts/r-1", ada, nil) // always read at Google
				done <- r.StatusCode
			}()
			waitFor(t, "the refresh to reach Google", func() bool { return e.Sandbox.Google.Stats()["token.refresh"] == 1 })

			e.json("POST", "/auth/logout", graces[attempt], nil, 204, nil)
			waiting := refreshesFailed() == failed
			e.problem("GET", "/me", graces[attempt], nil, 401, "unauthorized")

			if status := <-done; status != 504 {
				t.Fatalf("refresh against a 15 s token endpoint answered %d, want 504", status)
			}
			if refreshesFailed() != failed+1 {
				t.Fatal("the refresh that gave up is not counted")
			}
			if waiting {
				return
			}
			if attempt == attempts-1 {
				t.Fatalf("%d times the logout finished only after the refresh at Google had given up", attempts)
			}
			t.Logf("attempt %d: the logout finished after the refresh gave up; again", attempt+1)
		}
	})
}
