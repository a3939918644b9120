package main

import (
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// Google's token endpoint takes 15 seconds: while one user's refresh waits
// for it, no database lock is held, so another user's logout (a write that
// revokes their token) completes at once; the refresh gives up within its
// bound and says Google timed out.
func TestSlowRefreshBlocksNoWrites(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		ada := e.signIn("ada@example.com")
		grace := e.signIn("grace@example.com")
		var adaID string
		if err := e.Main.DB.SQL().QueryRow(`SELECT id FROM users WHERE email = 'ada@example.com'`).Scan(&adaID); err != nil {
			t.Fatal(err)
		}
		// Ada's stored access token is gone: her next call refreshes first.
		if _, err := e.Main.DB.SQL().Exec(`UPDATE integrations_google SET access_token_ciphertext = '' WHERE user_id = $1`, adaID); err != nil {
			t.Fatal(err)
		}
		slow := sandbox.Duration(15 * time.Second)
		if err := e.Sandbox.Google.SetFaults(sandbox.Faults{Latency: &slow}); err != nil {
			t.Fatal(err)
		}
		e.Sandbox.Google.ResetStats()
		done := make(chan int, 1)
		start := time.Now()
		go func() {
			r, _ := e.do("GET", "/gmail/labels", ada, nil)
			done <- r.StatusCode
		}()
		waitFor(t, "the refresh to reach Google", func() bool { return e.Sandbox.Google.Stats()["token.refresh"] == 1 })

		t0 := time.Now()
		e.json("POST", "/auth/logout", grace, nil, 204, nil)
		if took := time.Since(t0); took > 2*time.Second {
			t.Fatalf("logout took %v while a refresh was waiting for Google", took)
		}
		e.problem("GET", "/me", grace, nil, 401, "unauthorized")

		status := <-done
		if status != 504 {
			t.Fatalf("refresh against a 15 s token endpoint answered %d, want 504", status)
		}
		if took := time.Since(start); took > 12*time.Second {
			t.Fatalf("the refresh took %v, beyond its bound", took)
		}
	})
}
