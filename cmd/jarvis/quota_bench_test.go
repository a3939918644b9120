package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/mailsync"
	"github.com/jarvis-hq/jarvis/internal/quota"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// BenchmarkFullSyncUnderQuota is the first sync of a generated
// 10,000-message mailbox, as Jarvis runs it once the account is connected
// (a background job), against a sandbox that enforces Google's own limit
// (15,000 units a minute, per-method costs) with 20 ms of latency per
// call, under Jarvis's default budget. It reports the sync's time, the time
// the budget allows for the units it used (the units beyond the bucket's
// background share, at the budget's rate) and their ratio (target ≤ 1.10),
// and fails on any 429 or on an index that differs from the mailbox.
// Quoted in the README; run with
//
//	go test -run '^$' -bench FullSyncUnderQuota -benchtime 1x -timeout 60m ./cmd/jarvis
//
// The budget lives in memory (SQLite), in PostgreSQL, or in Redis: the
// sub-benchmarks sqlite, postgres and redis (the last two when those are
// available, as for the tests).
func BenchmarkFullSyncUnderQuota(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchFullSync(b, envOptions{dialect: sqldb.SQLite}) })
	if len(sqldbtest.Dialects(b)) < 2 {
		return
	}
	b.Run("postgres", func(b *testing.B) { benchFullSync(b, envOptions{dialect: sqldb.Postgres}) })
	if os.Getenv("CI") != "true" && !reachable("127.0.0.1:6379") {
		return
	}
	url := os.Getenv("JARVIS_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/15"
	}
	b.Run("redis", func(b *testing.B) {
		benchFullSync(b, envOptions{dialect: sqldb.Postgres, configure: func(c *config.Config) { c.RedisURL = url }})
	})
}

func benchFullSync(b *testing.B, o envOptions) {
	const ada = "ada@example.com"
	o.sandboxCfg = sandbox.Config{Generate: 10000, Seed: 12, GmailQuota: quota.GoogleUserPerMinute, Latency: 20 * time.Millisecond}
	e := startEnv(b, o)
	cfg := e.Main.Quota.Config()
	for b.Loop() {
		e.Sandbox.Google.ResetStats()
		t0 := time.Now()
		tok := e.signIn(ada) // connecting the account starts its sync
		account := e.accountOf(ada)
		var st mailsync.State
		for {
			var err error
			if st, err = e.Main.Index.State(context.Background(), account); err != nil {
				b.Fatal(err)
			}
			if st.Phase == mailsync.PhaseIncremental && !st.LastSuccessAt.IsZero() {
				break
			}
			if time.Since(t0) > 25*time.Minute {
				b.Fatalf("no full sync after %v: %+v", time.Since(t0), st)
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(t0)
		_ = tok
		stats := e.Sandbox.Google.Stats()
		units, calls := 0, 0
		for m, n := range stats {
			if strings.HasPrefix(m, "gmail.") && !strings.HasSuffix(m, "_exceeded") {
				units += int(n) * quota.Cost(m)
				calls += int(n)
			}
		}
		limited := stats["gmail.quota_exceeded"] + stats["gmail.concurrent_exceeded"]
		rate := float64(cfg.PerMinute) / 60
		allowed := time.Duration(float64(units-(cfg.Burst-cfg.Reserve)) / rate * float64(time.Second))
		ratio := took.Seconds() / allowed.Seconds()
		b.ReportMetric(took.Seconds(), "s-sync")
		b.ReportMetric(allowed.Seconds(), "s-allowed")
		b.ReportMetric(ratio, "ratio")
		b.ReportMetric(float64(units), "units")
		b.ReportMetric(float64(limited), "429s")
		b.Logf("%d messages indexed in %v; %d Gmail calls, %d units; the budget (%d/min, burst %d, reserve %d) allows %v: ratio %.3f; %d answers 429",
			st.Done, took.Round(time.Millisecond), calls, units, cfg.PerMinute, cfg.Burst, cfg.Reserve, allowed.Round(time.Millisecond), ratio, limited)
		if limited > 0 {
			b.Errorf("%d calls answered 429", limited)
		}
		if ratio > 1.10 {
			b.Errorf("the sync took %.3f× the time the quota allows, more than 1.10×", ratio)
		}
		// Nothing missing: the index equals the mailbox (read with Google's
		// limit and latency off).
		off, none := 0, sandbox.Duration(0)
		if err := e.Sandbox.Google.SetFaults(sandbox.Faults{GmailQuota: &off, Latency: &none}); err != nil {
			b.Fatal(err)
		}
		assertIndexEqualsMailbox(b, e.Main.Index, account, fullGmail(b, e.Sandbox.URL, ada))
	}
}
