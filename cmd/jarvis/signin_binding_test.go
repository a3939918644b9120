package main

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jarvis-hq/jarvis/internal/config"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// Login CSRF: a callback link made in the attacker's browser signs no other
// browser in, and is spent by the attempt (SECURITY.md line 39).
func TestSignInBoundToBrowser(t *testing.T) {
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		noSession := func(resp *http.Response) {
			t.Helper()
			if c := findCookie(resp, "jarvis_session"); c != nil && c.Value != "" {
				t.Fatal("a refused callback set a session")
			}
		}
		// The attacker starts a sign-in in their browser and consents as
		// themselves, without following the redirect back.
		au, attackerCookie := e.browserStart("")
		resp, _ := e.do("GET", au+"&login_hint=grace%40example.com&prompt=none", "", nil)
		link := resp.Header.Get("Location")
		if !strings.Contains(link, "/auth/google/callback?") {
			t.Fatalf("consent redirect %q", link)
		}
		// The victim's browser opens the link: no session, the sign-in page.
		victim, _ := e.do("GET", link, "", nil, "Accept", "text/html")
		if victim.StatusCode != http.StatusSeeOther || victim.Header.Get("Location") != "/signin?error=signin_other_browser" {
			t.Fatalf("victim's callback: %d %q", victim.StatusCode, victim.Header.Get("Location"))
		}
		noSession(victim)
		if n := e.countRows("users"); n != 0 {
			t.Fatalf("%d users after a refused callback", n)
		}
		// The state is spent: not even the attacker's browser can use it now.
		again, _ := e.do("GET", link, "", nil, "Accept", "text/html", "Cookie", attackerCookie)
		if again.Header.Get("Location") != "/signin?error=invalid_request" {
			t.Fatalf("reused link: %d %q", again.StatusCode, again.Header.Get("Location"))
		}
		noSession(again)

		// A binding cookie of another sign-in does not fit.
		au, _ = e.browserStart("")
		ownAU, otherCookie := e.browserStart("")
		resp, _ = e.do("GET", au+"&login_hint=grace%40example.com&prompt=none", "", nil)
		mismatch, _ := e.do("GET", resp.Header.Get("Location"), "", nil, "Accept", "text/html", "Cookie", otherCookie)
		if mismatch.Header.Get("Location") != "/signin?error=signin_other_browser" {
			t.Fatalf("foreign binding cookie: %d %q", mismatch.StatusCode, mismatch.Header.Get("Location"))
		}
		noSession(mismatch)
		// That refusal left the browser's own sign-in, and its cookie, alone.
		if c := findCookie(mismatch, "jarvis_signin"); c != nil {
			t.Fatalf("a refused callback touched the browser's own binding cookie: %+v", c)
		}
		resp, _ = e.do("GET", ownAU+"&login_hint=ada%40example.com&prompt=none", "", nil)
		if own, _ := e.do("GET", resp.Header.Get("Location"), "", nil, "Accept", "text/html", "Cookie", otherCookie); findCookie(own, "jarvis_session") == nil {
			t.Fatalf("the browser's own sign-in after a refusal: %d %q", own.StatusCode, own.Header.Get("Location"))
		}
		// Nor can a state started by an API client sign a browser in; a
		// client that does not ask for HTML gets a 403 problem.
		code, state := e.authorize("grace@example.com")
		e.problem("GET", "/auth/google/callback?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(state), "", nil, 403, "forbidden")
		if n := e.countRows("users"); n != 1 {
			t.Fatalf("%d users after refused callbacks and ada's sign-in", n)
		}
		// An unknown state is reported as such (and audited too).
		unknown, _ := e.do("GET", "/auth/google/callback?code=x&state=unknown", "", nil, "Accept", "text/html")
		if unknown.Header.Get("Location") != "/signin?error=invalid_request" {
			t.Fatalf("unknown state: %d %q", unknown.StatusCode, unknown.Header.Get("Location"))
		}
		e.Main.Audit.Flush()
		for reason, want := range map[string]int{"binding_cookie_missing": 3, "binding_cookie_mismatch": 1} {
			var n int
			if err := e.Main.DB.SQL().QueryRow(`SELECT COUNT(*) FROM audit_logs WHERE action = 'auth.sign_in_refused' AND outcome = 'denied'
				AND CAST(metadata AS TEXT) LIKE '%' || $1 || '%'`, reason).Scan(&n); err != nil || n != want {
				t.Fatalf("%d sign_in_refused rows with reason %s, want %d (%v)", n, reason, want, err)
			}
		}

		// The attacker's own browser, which started a sign-in, is signed in.
		au, binding := e.browserStart("")
		resp, _ = e.do("GET", au+"&login_hint=grace%40example.com&prompt=none", "", nil)
		own, _ := e.do("GET", resp.Header.Get("Location"), "", nil, "Accept", "text/html", "Cookie", binding)
		if own.StatusCode != http.StatusSeeOther || own.Header.Get("Location") != "/" || findCookie(own, "jarvis_session") == nil {
			t.Fatalf("bound callback: %d %q", own.StatusCode, own.Header.Get("Location"))
		}
		if c := findCookie(own, "jarvis_signin"); c == nil || c.MaxAge >= 0 {
			t.Fatal("the binding cookie outlived its callback")
		}

		// Scripts stay cookie-free: the README's GET callback asking for
		// JSON, and the POST callback.
		code, state = e.authorize("grace@example.com")
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		api := e.json("GET", "/auth/google/callback?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(state), "", nil, 200, &tok, "Accept", "application/json")
		if tok.AccessToken == "" || len(api.Cookies()) != 0 {
			t.Fatalf("JSON callback: token %t, cookies %v", tok.AccessToken != "", api.Cookies())
		}
		e.me(e.signIn("grace@example.com"))
		start := e.json("GET", "/auth/google/start", "", nil, 200, nil, "Accept", "application/json")
		if len(start.Cookies()) != 0 {
			t.Fatalf("API start set cookies %v", start.Cookies())
		}
	})
}

// The binding cookie: HttpOnly, SameSite=Lax, ten minutes; on https Secure
// and __Host- prefixed, so that no sibling subdomain can plant one.
func TestSignInBindingCookie(t *testing.T) {
	for _, tc := range []struct {
		public, name string
		secure       bool
	}{
		{"", "jarvis_signin", false},
		{"https://jarvis.example", "__Host-jarvis_signin", true},
	} {
		e := startEnv(t, envOptions{configure: func(c *config.Config) { c.PublicURL = tc.public }})
		resp, _ := e.do("GET", "/auth/google/start", "", nil, "Accept", "text/html")
		c := findCookie(resp, tc.name)
		if resp.StatusCode != http.StatusFound || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tc.secure ||
			c.Path != "/" || c.Domain != "" || c.MaxAge != 600 || len(c.Value) != 43 {
			t.Fatalf("%s: %d binding cookie %+v", tc.public, resp.StatusCode, c)
		}
	}
}

// Strict-Transport-Security exactly when the public URL is https.
func TestHSTSOnlyOnHTTPS(t *testing.T) {
	for _, tc := range []struct {
		public string
		want   bool
	}{{"", false}, {"https://jarvis.example", true}} {
		e := startEnv(t, envOptions{configure: func(c *config.Config) { c.PublicURL = tc.public }})
		for _, p := range []string{"/health", "/signin", "/me"} {
			resp, _ := e.do("GET", p, "", nil, "Accept", "text/html")
			got := resp.Header.Get("Strict-Transport-Security")
			if (got != "") != tc.want || (tc.want && !strings.HasPrefix(got, "max-age=31536000")) {
				t.Fatalf("public URL %q, %s: Strict-Transport-Security %q", tc.public, p, got)
			}
		}
	}
}

// The anonymous routes that write are limited per client address: a burst
// from one address gets 429 past the limit and writes no more sign-in
// state; X-Forwarded-For counts only from a trusted proxy (SECURITY.md
// line 40). The counters live in the database or, when configured, Redis.
func TestAnonymousRateLimit(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		e := testAnonymousRateLimit(t, d, "")
		// Without trusted proxies, X-Forwarded-For is ignored: varying it
		// does not escape the limit.
		plain := startEnv(t, envOptions{dialect: d, sandbox: e.Sandbox, main: func(m *Main) { m.HTTP.AnonymousRateLimit = anonLimit }})
		if ok, limited := startBurst(t, plain, 12, func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }); ok != anonLimit || limited != 12-anonLimit {
			t.Fatalf("spoofed burst: %d ok, %d limited", ok, limited)
		}
		if n := plain.countRows("oauth_states"); n != anonLimit {
			t.Fatalf("%d sign-in states after the spoofed burst", n)
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
		testAnonymousRateLimit(t, sqldb.SQLite, url)
	})
}

const anonLimit = 5

// testAnonymousRateLimit bursts sign-in starts from one client behind a
// trusted proxy. The client's addresses are random, since a Redis is
// shared between runs.
func testAnonymousRateLimit(t *testing.T, d sqldb.Dialect, redisURL string) *testEnv {
	t.Helper()
	e := startEnv(t, envOptions{dialect: d, main: func(m *Main) { m.HTTP.AnonymousRateLimit = anonLimit },
		configure: func(c *config.Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			c.RedisURL = redisURL
		}})
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	// Two clients in different /64s; the second half of client's addresses
	// varies within its /64, which counts as one client.
	r1, r2 := uint16(b[0])<<8|uint16(b[1]), uint16(b[2])<<8|uint16(b[3])
	client := fmt.Sprintf("2001:db8:%x:%x::", r1, r2)
	other := fmt.Sprintf("2001:db8:%x:%x::1", r1, r2^0xffff)
	if ok, limited := startBurst(t, e, 20, func(i int) string { return fmt.Sprintf("%s%x", client, i+1) }); ok != anonLimit || limited != 20-anonLimit {
		t.Fatalf("burst: %d ok, %d limited", ok, limited)
	}
	if n := e.countRows("oauth_states"); n != anonLimit {
		t.Fatalf("%d sign-in states after the burst, want %d", n, anonLimit)
	}
	// The callbacks count against the same client; others are untouched.
	e.problem("POST", "/auth/google/callback", "", map[string]string{"code": "c", "state": "s"}, 429, "rate_limited", "X-Forwarded-For", client+"1")
	e.problem("GET", "/auth/google/callback?code=c&state=s", "", nil, 429, "rate_limited", "X-Forwarded-For", client+"2")
	e.json("GET", "/auth/google/start", "", nil, 200, nil, "Accept", "application/json", "X-Forwarded-For", other)
	// A proxy's own hop does not hide the client behind it.
	e.problem("GET", "/auth/google/start", "", nil, 429, "rate_limited", "Accept", "application/json", "X-Forwarded-For", client+"3, 127.0.0.1")
	return e
}

// startBurst sends n concurrent sign-in starts, each with the
// X-Forwarded-For forwardedFor gives it, and counts the answers.
func startBurst(t *testing.T, env *testEnv, n int, forwardedFor func(i int) string) (ok, limited int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", env.URL+"/auth/google/start", nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Forwarded-For", forwardedFor(i))
			resp, err := env.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case resp.StatusCode == 200:
				ok++
			case resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "":
				limited++
			default:
				t.Errorf("start: %d", resp.StatusCode)
			}
		}(i)
	}
	wg.Wait()
	return ok, limited
}
