package mcpserver

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// staticVerifier accepts one token for one grant, as the authorization
// server's verifier does for its access tokens.
type staticVerifier struct {
	token string
	grant jarvis.MCPGrant
}

func (v staticVerifier) VerifyMCPToken(_ context.Context, raw string) (*jarvis.MCPGrant, error) {
	if raw != v.token {
		return nil, errInvalidToken
	}
	g := v.grant
	return &g, nil
}

// countingLimiter allows limit events per bucket, forever.
type countingLimiter struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *countingLimiter) Allow(_ context.Context, bucket string, limit int, _ time.Duration) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n[bucket]++
	return l.n[bucket] <= limit, 30 * time.Second, nil
}

// newTestServer builds a server with a 4 KiB request limit and the
// client's rate; configure changes the rest.
func newTestServer(t *testing.T, clientLimit int, configure ...func(*Config)) *Server {
	t.Helper()
	cfg := Config{PublicURL: "https://jarvis.example", AllowedOrigins: []string{"https://app.example"},
		Verifiers: []jarvis.MCPTokenVerifier{staticVerifier{token: "oauth-token", grant: jarvis.MCPGrant{UserID: "u1", ClientID: "https://client.example/meta.json",
			Scopes: []string{jarvis.ScopeMailRead}, Accounts: []string{"a1"}, ExpiresAt: time.Now().Add(time.Hour)}}},
		Limiter: &countingLimiter{n: map[string]int{}}, ClientRateLimit: clientLimit, MaxRequestBytes: 4096}
	for _, f := range configure {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func post(s *Server, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/mcp", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json, text/event-stream")
	r.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// /mcp refuses before the MCP layer: no token (401 pointing at the
// resource metadata), a foreign Origin, a body too large, a tool outside
// the OAuth grant's scopes (403 insufficient_scope naming it), and a client
// past its rate.
func TestServerRefusals(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 3)
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"trash_thread","arguments":{"thread_id":"abc"}}}`
	auth := []string{"Authorization", "Bearer oauth-token"}

	w := post(s, call)
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer resource_metadata="https://jarvis.example/.well-known/oauth-protected-resource/mcp"` {
		t.Fatalf("no token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	if w := post(s, call, "Authorization", "Bearer other"); w.Code != 401 {
		t.Fatalf("unknown token: %d", w.Code)
	}
	if w := post(s, call, append(auth, "Origin", "https://evil.example")...); w.Code != 403 {
		t.Fatalf("foreign origin: %d", w.Code)
	}
	if w := post(s, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"`+strings.Repeat("x", 5000)+`"}}`, auth...); w.Code != 413 {
		t.Fatalf("large body: %d", w.Code)
	}
	w = post(s, call, append(auth, "Origin", "https://app.example")...)
	if w.Code != 403 || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="insufficient_scope", scope="mail.organize"`) {
		t.Fatalf("missing scope: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	// The same in a batch.
	if w := post(s, "["+call+"]", auth...); w.Code != 403 {
		t.Fatalf("missing scope in a batch: %d", w.Code)
	}
	if w := post(s, call, auth...); w.Code != 429 || w.Header().Get("Retry-After") != "30" {
		t.Fatalf("past the client's rate: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
}

// A page of an allowed origin passes CORS; any other origin is refused.
func TestServerCORS(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 100)
	pre := func(origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "/mcp", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "authorization, content-type, mcp-param-region")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	for _, o := range []string{"https://jarvis.example", "https://app.example"} {
		w := pre(o)
		if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != o || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "mcp-param-region") {
			t.Fatalf("preflight from %s: %d %v", o, w.Code, w.Header())
		}
	}
	if w := pre("https://evil.example"); w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from a foreign origin: %d %v", w.Code, w.Header())
	}
	if w := pre(""); w.Code != 403 {
		t.Fatalf("preflight without an origin: %d", w.Code)
	}
	w := post(s, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, "Origin", "https://app.example")
	if w.Code != 401 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
		t.Fatalf("a page's request without a token: %d %v", w.Code, w.Header())
	}
}

// A user may hold SessionsPerUser sessions open (50 unless configured);
// ending one makes room.
func TestSessionCap(t *testing.T) {
	t.Parallel()
	if s := newTestServer(t, 1000); s.cfg.SessionsPerUser != 50 {
		t.Fatalf("default sessions per user %d", s.cfg.SessionsPerUser)
	}
	s := newTestServer(t, 1000, func(c *Config) { c.SessionsPerUser = 2 })
	initialize := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	auth := []string{"Authorization", "Bearer oauth-token", "Mcp-Protocol-Version", ""}
	var first string
	for i := range 2 {
		w := post(s, initialize, auth...)
		if w.Code != 200 || w.Header().Get("Mcp-Session-Id") == "" {
			t.Fatalf("session %d: %d %s", i, w.Code, w.Body)
		}
		if first == "" {
			first = w.Header().Get("Mcp-Session-Id")
		}
	}
	if w := post(s, initialize, auth...); w.Code != 429 || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "At most 2 open MCP sessions") {
		t.Fatalf("one session too many: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	r := httptest.NewRequest("DELETE", "/mcp", nil)
	r.Header.Set("Authorization", "Bearer oauth-token")
	r.Header.Set("Mcp-Session-Id", first)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 204 {
		t.Fatalf("ending a session: %d %s", w.Code, w.Body)
	}
	if w := post(s, initialize, auth...); w.Code != 200 {
		t.Fatalf("a session after ending one: %d", w.Code)
	}
}

// A user's rate across clients is enforced as configured, apart from the
// client's.
func TestUserRateLimit(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, 1000, func(c *Config) { c.UserRateLimit = 2 })
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	for i := range 2 {
		if w := post(s, list, "Authorization", "Bearer oauth-token"); w.Code == 429 {
			t.Fatalf("request %d: %d %s", i, w.Code, w.Body)
		}
	}
	if w := post(s, list, "Authorization", "Bearer oauth-token"); w.Code != 429 || w.Header().Get("Retry-After") != "30" {
		t.Fatalf("past the user's rate: %d %q", w.Code, w.Header().Get("Retry-After"))
	}
}

// A count argument takes its default at 0 and is refused, naming the
// field, outside 1 to max.
func TestWithin(t *testing.T) {
	for _, c := range []struct {
		v, want int
		err     string
	}{{0, 20, ""}, {1, 1, ""}, {50, 50, ""}, {51, 0, "max_results must be 1 to 50."}, {-1, 0, "max_results must be 1 to 50."}} {
		got, err := within("max_results", c.v, 20, 50)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && (jarvis.ErrorMessage(err) != c.err || jarvis.ErrorCode(err) != jarvis.EINVALID)) {
			t.Errorf("within(%d) = %d, %v", c.v, got, err)
		}
	}
}
