package main

import (
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sandbox"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

type eventsBody struct {
	Events []struct {
		ID, Summary, Start, End, Location, Status string
		TimeZone                                  string `json:"time_zone"`
		AllDay                                    bool   `json:"all_day"`
		MeetLink                                  string `json:"meet_link"`
		HTMLLink                                  string `json:"html_link"`
		Attendees                                 []struct {
			Email, Name    string
			ResponseStatus string `json:"response_status"`
		}
		Organizer *struct{ Email, Name string }
	} `json:"events"`
}

func TestCalendarUpcoming(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		var ev eventsBody
		e.json("GET", "/calendar/upcoming?days=14&max_results=250", tok, nil, 200, &ev)
		if len(ev.Events) < 10 {
			t.Fatalf("%d events in two weeks", len(ev.Events))
		}
		var allDay, meet, attendees bool
		var prev time.Time // timed events in order (all-day dates are in the calendar's zone)
		for _, x := range ev.Events {
			if x.AllDay {
				allDay = true
				if _, err := time.Parse(time.DateOnly, x.Start); err != nil {
					t.Fatalf("all-day start %q", x.Start)
				}
			} else {
				start, err := time.Parse(time.RFC3339, x.Start)
				if err != nil || !strings.HasSuffix(x.Start, "Z") {
					t.Fatalf("timed start %q is not RFC 3339 UTC", x.Start)
				}
				if start.Before(prev) {
					t.Fatalf("events out of order: %s after %s", x.Start, prev)
				}
				prev = start
			}
			meet = meet || x.MeetLink != ""
			attendees = attendees || len(x.Attendees) > 0
			if x.ID == "" || x.Summary == "" || x.HTMLLink == "" || x.TimeZone == "" {
				t.Fatalf("event %+v", x)
			}
		}
		if !allDay || !meet || !attendees {
			t.Fatalf("demo lacks all-day (%v), Meet links (%v) or attendees (%v)", allDay, meet, attendees)
		}
		var few eventsBody
		e.json("GET", "/calendar/upcoming?days=14&max_results=3", tok, nil, 200, &few)
		if len(few.Events) != 3 {
			t.Fatalf("max_results=3 gave %d", len(few.Events))
		}
	})
}

// A refused scope: that route answers 403 scope_missing, the others work
// (SECURITY.md line 7).
func TestRefusedScope(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		au, _ := e.startURL("")
		loc := e.consent(au, "ada@example.com", func(s string) bool { return !strings.Contains(s, "calendar") })
		q := loc.Query()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		e.json("POST", "/auth/google/callback", "", map[string]string{"code": q.Get("code"), "state": q.Get("state")}, 200, &tok)
		me := e.me(tok.AccessToken)
		for _, s := range me.Google.Scopes {
			if strings.Contains(s, "calendar") {
				t.Fatalf("stored scopes %v include the refused one", me.Google.Scopes)
			}
		}
		e.problem("GET", "/calendar/upcoming", tok.AccessToken, nil, 403, "scope_missing")
		e.json("GET", "/gmail/threads", tok.AccessToken, nil, 200, nil)
	})
}

// Refresh: a re-consent without a refresh token keeps the stored one
// (line 8); invalid_grant marks the grant for reconnection, once, with an
// audit row (line 9); disconnecting revokes and deletes (line 10).
func TestRefreshReauthAndDisconnect(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		tok = e.signIn("ada@example.com") // the second consent brings no refresh token
		e.readFromGmail("ada@example.com")
		e.Sandbox.Google.ResetStats()
		if _, err := e.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
			t.Fatal(err)
		}
		// Google now answers 401: one refresh with the stored refresh token, one retry.
		e.json("GET", "/gmail/threads?max_results=3", tok, nil, 200, nil)
		if n := e.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
			t.Fatalf("%d refreshes after expiry, want 1", n)
		}
		// The grant is revoked at Google: the next refresh gets invalid_grant.
		if _, err := e.Sandbox.Google.RevokeAccount("ada@example.com"); err != nil {
			t.Fatal(err)
		}
		e.Sandbox.Google.ResetStats()
		p := e.problem("GET", "/gmail/threads", tok, nil, 409, "google_reauth_required")
		if p["reconnect_url"] != "/auth/google/start" {
			t.Fatalf("problem %v", p)
		}
		for i := 0; i < 3; i++ {
			e.problem("GET", "/calendar/upcoming", tok, nil, 409, "google_reauth_required")
		}
		if n := e.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
			t.Fatalf("%d refresh attempts after invalid_grant, want exactly 1", n)
		}
		if st := e.me(tok).Google.Status; st != "reauth_required" {
			t.Fatalf("status = %s", st)
		}
		var failed int
		e.Main.Audit.Flush()
		_ = e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'google.token_refresh_failed'`).Scan(&failed)
		if failed != 1 {
			t.Fatalf("%d refresh-failure audit rows", failed)
		}
		// Reconnecting makes it work again.
		tok = e.signIn("ada@example.com")
		e.json("GET", "/gmail/threads?max_results=1", tok, nil, 200, nil)

		// Disconnect: both tokens revoked at Google, ciphertext gone, later calls 409.
		e.Sandbox.Google.ResetStats()
		e.json("DELETE", "/auth/google", tok, nil, 204, nil)
		if e.Sandbox.Google.Stats()["token.revoke"] != 2 || e.countRows("integrations_google") != 0 {
			t.Fatalf("disconnect: stats %v, rows %d", e.Sandbox.Google.Stats(), e.countRows("integrations_google"))
		}
		e.problem("GET", "/gmail/threads", tok, nil, 409, "google_reauth_required")
		if e.me(tok).Google != nil {
			t.Fatal("me still shows a Google connection")
		}
		e.problem("DELETE", "/auth/google", tok, nil, 404, "not_found")
	})
}

// A ciphertext copied from A's row into B's: B is told to reconnect, never
// shown A's mail (SECURITY.md line 19).
func TestMovedCiphertextMeansReconnect(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		ada, grace := e.signIn("ada@example.com"), e.signIn("grace@example.com")
		adaID, graceID := e.me(ada).User.ID, e.me(grace).User.ID
		_, err := e.Main.DB.SQL().Exec(`UPDATE integrations_google SET access_token_ciphertext = (SELECT access_token_ciphertext FROM integrations_google WHERE user_id = $1),
			refresh_token_ciphertext = (SELECT refresh_token_ciphertext FROM integrations_google WHERE user_id = $1) WHERE user_id = $2`, adaID, graceID)
		if err != nil {
			t.Fatal(err)
		}
		e.problem("GET", liveListing, grace, nil, 409, "google_reauth_required")
		e.json("GET", "/gmail/threads?max_results=1", ada, nil, 200, nil)
		if !strings.Contains(e.Logs.String(), "decrypt") {
			t.Fatal("the failed decryption was not logged")
		}
		// At warn, naming the user and the account, and with an audit row; no token or
		// ciphertext in either.
		var warned bool
		for _, line := range strings.Split(e.Logs.String(), "\n") {
			if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "cannot be decrypted") && strings.Contains(line, graceID) {
				warned = true
			}
		}
		if !warned {
			t.Fatal("no warn log line for the failed decryption")
		}
		e.Main.Audit.Flush()
		var meta, graceAccount string
		if err := e.Main.DB.SQL().QueryRow(`SELECT id FROM integrations_google WHERE user_id = $1`, graceID).Scan(&graceAccount); err != nil {
			t.Fatal(err)
		}
		err = e.Main.DB.SQL().QueryRow(`SELECT metadata FROM audit_logs WHERE action = 'google.token_decrypt_failed' AND target_id = $1 AND outcome = 'failure'`, graceAccount).Scan(&meta)
		if err != nil || !strings.Contains(meta, "authentication_failed") || !strings.Contains(meta, graceID) {
			t.Fatalf("google.token_decrypt_failed row: %q, %v", meta, err)
		}
		if strings.Contains(e.Logs.String(), "v1:test1:") || strings.Contains(meta, "v1:") {
			t.Fatal("a ciphertext was logged or audited")
		}
		// And a database dump holds no token (line 18).
		rows, _ := e.Main.DB.SQL().Query(`SELECT access_token_ciphertext || refresh_token_ciphertext FROM integrations_google`)
		defer rows.Close()
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			if strings.Contains(s, "ya29.") || strings.Contains(s, "1//") {
				t.Fatal("plaintext token in the database")
			}
		}
	})
}

// Google's rate limits and failures: retried with backoff within the
// deadline, then a clear code; 400/401/403 never retried (SECURITY.md line 28).
func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		tok := e.signIn("ada@example.com")
		fail := func(rules ...string) {
			t.Helper()
			if err := e.Sandbox.Google.SetFaults(sandbox.Faults{Fail: &rules}); err != nil {
				t.Fatal(err)
			}
			e.Sandbox.Google.ResetStats()
		}
		fail("gmail.threads.list=429:1")
		p := e.problem("GET", liveListing, tok, nil, 429, "rate_limited")
		if n := e.Sandbox.Google.Stats()["gmail.threads.list"]; n < 2 || p["retry_after"] == nil {
			t.Fatalf("429: %d calls, problem %v", n, p)
		}
		fail("gmail.threads.list=503:1")
		e.problem("GET", liveListing, tok, nil, 502, "upstream_unavailable")
		if n := e.Sandbox.Google.Stats()["gmail.threads.list"]; n < 2 {
			t.Fatalf("503 retried %d times", n-1)
		}
		fail("gmail.threads.list=403:1")
		e.problem("GET", liveListing, tok, nil, 429, "rate_limited") // the sandbox's 403 is a rate-limit 403
		fail("gmail.threads.get=400:1")
		id := "1a2130f893800044"
		e.do("GET", "/gmail/thread/"+id, tok, nil)
		if n := e.Sandbox.Google.Stats()["gmail.threads.get"]; n != 1 {
			t.Fatalf("a 400 was retried: %d calls", n)
		}
		// A flaky upstream (some 429s) still answers, thanks to the retries.
		fail("gmail.threads.get=429:0.2")
		e.json("GET", "/gmail/threads?max_results=10&q=larger%3A1", tok, nil, 200, nil)
		fail()
	})
}

func TestUpstreamTimeout(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		e.Main.Google.SetCallTimeout(300 * time.Millisecond)
		tok := e.signIn("ada@example.com")
		if err := e.Sandbox.Google.SetFaults(sandboxLatency(time.Second)); err != nil {
			t.Fatal(err)
		}
		// Before Jarvis closes: its background sync is not kept slow for
		// the shutdown grace.
		t.Cleanup(func() { _ = e.Sandbox.Google.SetFaults(sandboxLatency(0)) })
		e.problem("GET", liveListing, tok, nil, 504, "upstream_timeout")
	})
}

// A burst from one user is cut off with 429 and Retry-After (line 27),
// with the counters in the database or, when configured, in Redis — and
// then no request writes a rate-limit row to the database.
func TestPerUserRateLimit(t *testing.T) {
	t.Run("database", func(t *testing.T) {
		e := testRateLimit(t, envOptions{})
		if n := rateLimitRows(t, e); n == 0 {
			t.Fatal("no rate-limit row in the database")
		}
	})
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("JARVIS_TEST_REDIS_URL")
		if url == "" {
			url = "redis://127.0.0.1:6379/15"
		}
		if os.Getenv("CI") != "true" && !reachable("127.0.0.1:6379") {
			t.Skip("no Redis")
		}
		e := testRateLimit(t, envOptions{configure: func(c *config.Config) { c.RedisURL = url }})
		if n := rateLimitRows(t, e); n != 0 {
			t.Fatalf("with Redis configured, requests wrote %d rate-limit rows to the database", n)
		}
		var ready struct{ Checks map[string]string }
		e.json("GET", "/ready", "", nil, 200, &ready)
		if ready.Checks["redis"] != "ok" {
			t.Fatalf("ready = %+v", ready)
		}
	})
}

func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// rateLimitRows counts the rate-limit counters in the database.
func rateLimitRows(t *testing.T, e *testEnv) int {
	t.Helper()
	var n int
	if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM rate_limits`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testRateLimit(t *testing.T, o envOptions) *testEnv {
	e := startEnv(t, o)
	e.Main.API.SetGoogleRateLimit(5)
	tok := e.signIn("ada@example.com")
	freshWindow(t)
	for i := 0; i < 5; i++ {
		e.json("GET", "/gmail/labels", tok, nil, 200, nil)
	}
	resp, _ := e.do("GET", "/gmail/labels", tok, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("burst: %d %v", resp.StatusCode, resp.Header)
	}
	// Another user is not affected.
	e.json("GET", "/gmail/labels", e.signIn("grace@example.com"), nil, 200, nil)
	return e
}

// Two Jarvis processes on one PostgreSQL database, a 10-second token
// lifetime, 100 concurrent requests across both once it has expired: one
// refresh. Then "expire now" and 100 more: one refresh again. A sign-in
// started on one finishes on the other.
func TestOneRefreshAcrossReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a token to expire")
	}
	d := sqldb.SQLite
	if len(sqldbtest.Dialects(t)) > 1 {
		d = sqldb.Postgres
	}
	ttl := sandbox.Duration(10 * time.Second)
	a := startEnv(t, envOptions{dialect: d})
	if err := a.Sandbox.Google.SetFaults(sandbox.Faults{TokenTTL: &ttl}); err != nil {
		t.Fatal(err)
	}
	// Replicas share one public URL behind their load balancer.
	b := startEnv(t, envOptions{dialect: d, dbURL: a.Main.Config.DatabaseURL, secrets: a.Main.Config, sandbox: a.Sandbox,
		configure: func(c *config.Config) { c.PublicURL = a.URL }})

	// Sign in: started on a, finished on b.
	au, _ := a.startURL("")
	resp, _ := a.do("GET", au+"&login_hint=ada%40example.com&prompt=none", "", nil)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	b.json("POST", "/auth/google/callback", "", map[string]string{"code": loc.Query().Get("code"), "state": loc.Query().Get("state")}, 200, &tok)

	read := a.liveRead(tok.AccessToken)
	burst := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan string, 100)
		for i := 0; i < 100; i++ {
			env := a
			if i%2 == 1 {
				env = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, body := env.do("GET", read, tok.AccessToken, nil)
				if r.StatusCode != 200 {
					errs <- string(body)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatalf("request failed: %s", e)
		}
	}
	a.Main.API.SetGoogleRateLimit(1000)
	b.Main.API.SetGoogleRateLimit(1000)
	time.Sleep(10*time.Second + 500*time.Millisecond)
	a.Sandbox.Google.ResetStats()
	burst()
	if n := a.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
		t.Fatalf("%d refreshes for 100 requests after expiry, want 1", n)
	}
	if _, err := a.Sandbox.Google.ExpireAccount("ada@example.com"); err != nil {
		t.Fatal(err)
	}
	a.Sandbox.Google.ResetStats()
	burst()
	if n := a.Sandbox.Google.Stats()["token.refresh"]; n != 1 {
		t.Fatalf("%d refreshes for 100 requests after expire-now, want 1", n)
	}
}
