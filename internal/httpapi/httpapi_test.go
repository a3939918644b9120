package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// A panic in a handler is a generic 500 with a request id, and the server
// goes on serving (SECURITY.md line 36).
func TestPanicIsA500(t *testing.T) {
	s := New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s.mux.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret detail") }))
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p Problem
	_ = json.Unmarshal(b, &p)
	if resp.StatusCode != 500 || p.Code != "internal" || p.RequestID == "" || strings.Contains(string(b), "secret detail") {
		t.Fatalf("panic answer: %d %s", resp.StatusCode, b)
	}
	resp, err = http.Get(srv.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("server after a panic: %v", err)
	}
	resp.Body.Close()
}

func TestErrorStatuses(t *testing.T) {
	for code, status := range map[string]int{
		jarvis.EINVALID: 400, jarvis.EUNAUTHORIZED: 401, jarvis.EFORBIDDEN: 403, jarvis.ESCOPEMISSING: 403, jarvis.ENOTFOUND: 404,
		jarvis.ECONFLICT: 409, jarvis.EIDEMPOTENCY: 409, jarvis.EREAUTH: 409, jarvis.ETOOLARGE: 413, jarvis.ERATELIMITED: 429,
		jarvis.ESIGNUPCLOSED: 403, jarvis.EUPSTREAM: 502, jarvis.EUPSTREAMTIMEOUT: 504, jarvis.ELLM: 503, jarvis.EUNAVAILABLE: 503, jarvis.EINTERNAL: 500, "unknown": 500,
	} {
		if got := ErrorStatus(code); got != status {
			t.Errorf("%s → %d, want %d", code, got, status)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	p := problemFor(r, &jarvis.Error{Code: jarvis.ERATELIMITED, Message: "slow", RetryAfter: 1500 * time.Millisecond})
	if p.RetryAfter != 2 || p.Status != 429 {
		t.Fatalf("problem %+v", p)
	}
	// A database that cannot serve (the storage layer's classification):
	// 503 with Retry-After in the header and the body, the cause unsaid.
	s := New(Config{}, Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := httptest.NewRecorder()
	s.Error(w, r, &jarvis.Error{Code: jarvis.EUNAVAILABLE, Message: "The database is unavailable right now.", RetryAfter: 5 * time.Second,
		Err: errors.New("database unavailable (admin_shutdown): FATAL: terminating connection (SQLSTATE 57P01)")})
	var got Problem
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if w.Code != 503 || w.Header().Get("Retry-After") != "5" || got.Code != "service_unavailable" || got.RetryAfter != 5 ||
		strings.Contains(w.Body.String(), "57P01") {
		t.Fatalf("unavailable: %d %v %s", w.Code, w.Header(), w.Body)
	}
	p = problemFor(r, errors.New("pq: password authentication failed for user root"))
	if p.Code != "internal" || strings.Contains(p.Detail, "password") {
		t.Fatalf("internal detail leaked: %+v", p)
	}
}

func TestSafeRedirect(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/thread?id=1": "/thread?id=1", "https://evil.example": "/", "//evil.example": "/",
		`/\evil.example`: "/", "/\\evil": "/", "javascript:alert(1)": "/", "/ok/\r\nSet-Cookie:x": "/", "evil.example": "/",
	} {
		if got := safeRedirect(in); got != want {
			t.Errorf("safeRedirect(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientIP(t *testing.T) {
	s := New(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, Deps{})
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.1:5", "", "203.0.113.1"},
		{"203.0.113.1:5", "198.51.100.7", "203.0.113.1"},                  // untrusted peer: header ignored
		{"10.0.0.2:5", "198.51.100.7", "198.51.100.7"},                    // trusted proxy
		{"10.0.0.2:5", "1.1.1.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"}, // right-most untrusted hop
		{"10.0.0.2:5", "garbage", "10.0.0.2"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("%s via %q = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestValidID(t *testing.T) {
	for _, id := range []string{"", "a/b", "..", "a%2Fb", "a?b", "a b", strings.Repeat("a", 300)} {
		if validID("id", id) == nil {
			t.Errorf("%q accepted", id)
		}
	}
	for _, id := range []string{"18c2f0a9b1d4e5f6", "p1_0", "Label_12", "r-12"} {
		if err := validID("id", id); err != nil {
			t.Errorf("%q refused: %v", id, err)
		}
	}
}
