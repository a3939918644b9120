package main

// Benchmarks quoted in the README. Run them with
//
//	go test -run '^$' -bench . -benchmem ./cmd/jarvis
//
// They report ratios and differences measured within one run, so that a
// noisy machine slows both sides alike.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"google.golang.org/api/gmail/v1"
	"google.golang.org/api/option"
)

// benchEnv starts a Jarvis whose per-user limits do not get in the way.
func benchEnv(b *testing.B, asyncAudit bool) (*testEnv, string) {
	b.Helper()
	e := startEnv(b, envOptions{main: func(m *Main) { m.SyncAudit = !asyncAudit }})
	e.Main.API.SetGoogleRateLimit(1 << 30)
	return e, e.signIn("ada@example.com")
}

// BenchmarkAuthMe is the auth middleware and handler of GET /me with a valid
// JWT, in process: verify, revocation check, user and orgs from SQLite.
func BenchmarkAuthMe(b *testing.B) {
	e, tok := benchEnv(b, true)
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		e.Main.API.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// directGmail is the official client talking to the sandbox as Ada, with no Jarvis in between.
func directGmail(b *testing.B, e *testEnv) *gmail.Service {
	b.Helper()
	integ, err := e.Main.Integrations.FindGoogleIntegration(context.Background(), e.me(e.signIn("ada@example.com")).User.ID, "")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := gmail.NewService(context.Background(), option.WithEndpoint(e.Sandbox.URL+"/"),
		option.WithHTTPClient(&http.Client{Transport: bearerTransport(integ.AccessToken)}))
	if err != nil {
		b.Fatal(err)
	}
	return svc
}

// BenchmarkInboxPage50 is a 50-thread inbox page with 50 ms of sandbox
// latency on every call, reported as a ratio to one upstream call (target ≤ 3).
func BenchmarkInboxPage50(b *testing.B) {
	e, tok := benchEnv(b, true)
	direct := directGmail(b, e)
	for i := 0; i < 10; i++ { // the demo inbox has fewer than 50 threads
		raw := fmt.Sprintf("From: Bench <bench%d@example.com>\r\nTo: ada@example.com\r\nSubject: Bench %d\r\nMessage-ID: <bench%d@example.com>\r\n\r\nHello.\r\n", i, i, i)
		if _, _, err := e.Sandbox.Google.Deliver("ada@example.com", []byte(raw)); err != nil {
			b.Fatal(err)
		}
	}
	if err := e.Sandbox.Google.SetFaults(sandboxLatency(50 * time.Millisecond)); err != nil {
		b.Fatal(err)
	}
	var page, one []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := direct.Users.Threads.List("me").MaxResults(50).Do(); err != nil {
			b.Fatal(err)
		}
		one = append(one, time.Since(t0))
		t0 = time.Now()
		var p threadPage
		e.json("GET", "/gmail/threads?max_results=50", tok, nil, 200, &p)
		page = append(page, time.Since(t0))
		if len(p.Threads) != 50 {
			b.Fatalf("%d threads", len(p.Threads))
		}
	}
	b.ReportMetric(float64(median(page).Milliseconds()), "page-ms")
	b.ReportMetric(float64(median(one).Milliseconds()), "upstream-call-ms")
	b.ReportMetric(float64(median(page))/float64(median(one)), "ratio")
}

// BenchmarkThreadOverhead is what Jarvis adds to GET /gmail/thread/{id} over
// calling the sandbox's threads.get directly (target under 1 ms at p50),
// audit row included: written in the request ("sync") or by the batching
// writer ("async").
func BenchmarkThreadOverhead(b *testing.B) {
	for _, mode := range []struct {
		name  string
		async bool
	}{{"sync-audit", false}, {"async-audit", true}} {
		b.Run(mode.name, func(b *testing.B) {
			e, tok := benchEnv(b, mode.async)
			direct := directGmail(b, e)
			id := e.findThread(tok, "subject:(board review)")
			client := &http.Client{}
			req, _ := http.NewRequest("GET", e.URL+"/gmail/thread/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			var via, raw []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := direct.Users.Threads.Get("me", id).Format("full").Do(); err != nil {
					b.Fatal(err)
				}
				raw = append(raw, time.Since(t0))
				t0 = time.Now()
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatal(err)
				}
				_ = drain(resp)
				via = append(via, time.Since(t0))
			}
			b.ReportMetric(float64(median(raw).Microseconds()), "direct-p50-µs")
			b.ReportMetric(float64(median(via).Microseconds()), "jarvis-p50-µs")
			b.ReportMetric(float64((median(via) - median(raw)).Microseconds()), "overhead-p50-µs")
		})
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func drain(resp *http.Response) error {
	defer resp.Body.Close()
	buf := make([]byte, 32<<10)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			return nil
		}
	}
}
