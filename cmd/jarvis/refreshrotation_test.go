package main

import (
	"sync"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// Google rotates the refresh token on every refresh and voids the old one:
// each new one is stored, so refresh after refresh, on two replicas of one
// database, the user keeps working and each expiry costs one refresh.
func TestRotatedRefreshTokenIsKept(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		a := startEnv(t, envOptions{dialect: d, sandboxCfg: sandbox.Config{RotateRefreshTokens: true}})
		b := startEnv(t, envOptions{dialect: d, dbURL: a.Main.Config.DatabaseURL, secrets: a.Main.Config, sandbox: a.Sandbox,
			configure: func(c *config.Config) { c.PublicURL = a.URL }})
		tok := a.signIn("ada@example.com")
		a.Main.API.SetGoogleRateLimit(1000)
		b.Main.API.SetGoogleRateLimit(1000)
		read := a.liveRead(tok)
		for round := 0; round < 4; round++ {
			if _, err := a.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
				t.Fatal(err)
			}
			a.Sandbox.Google.ResetStats()
			var wg sync.WaitGroup
			fails := make(chan string, 10)
			for i := 0; i < 10; i++ {
				env := []*testEnv{a, b}[(i+round)%2]
				wg.Add(1)
				go func() {
					defer wg.Done()
					if r, body := env.do("GET", read, tok, nil); r.StatusCode != 200 {
						fails <- string(body)
					}
				}()
			}
			wg.Wait()
			close(fails)
			for f := range fails {
				t.Fatalf("round %d: %s", round, f)
			}
			if n := a.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
				t.Fatalf("round %d: %d refreshes, want 1", round, n)
			}
		}
		if st := b.me(tok).Google.Status; st != "active" {
			t.Fatalf("status %q after rotated refreshes", st)
		}
	})
}
