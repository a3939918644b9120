package google

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
)

type oneIntegration struct {
	jarvis.IntegrationStore
	g jarvis.GoogleIntegration
}

func (s oneIntegration) FindGoogleIntegration(context.Context, string, string) (*jarvis.GoogleIntegration, error) {
	g := s.g
	return &g, nil
}

func (s oneIntegration) TouchGoogleAccount(context.Context, string, string, time.Time) error {
	return nil
}

type noAudit struct{}

func (noAudit) Record(context.Context, jarvis.AuditEntry) {}

// fakeDrafts is a Gmail that stores drafts and can lose the answer to
// drafts.create (created, then a 503 or a dropped connection), or fail
// before creating anything (a 503 that did nothing).
type fakeDrafts struct {
	mu      sync.Mutex
	creates int
	byMsgID map[string]string  // Message-ID → draft id
	fail    func(n int) string // "lose-503", "lose-conn", "503" or ""
}

func (f *fakeDrafts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/users/me/drafts"):
		f.creates++
		mode := f.fail(f.creates)
		if mode == "503" {
			http.Error(w, `{"error":{"code":503,"message":"backend error"}}`, http.StatusServiceUnavailable)
			return
		}
		var d struct{ Message struct{ Raw string } }
		_ = json.NewDecoder(r.Body).Decode(&d)
		raw, _ := base64.URLEncoding.DecodeString(d.Message.Raw)
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			http.Error(w, "bad raw", http.StatusBadRequest)
			return
		}
		id := "r" + strings.Repeat("1", f.creates)
		f.byMsgID[m.Header.Get("Message-ID")] = id
		switch mode {
		case "lose-503":
			http.Error(w, `{"error":{"code":503,"message":"backend error"}}`, http.StatusServiceUnavailable)
		case "lose-conn":
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "message": map[string]string{"id": "m" + id, "threadId": "t" + id}})
		}
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/users/me/drafts"):
		q := strings.TrimPrefix(r.URL.Query().Get("q"), "rfc822msgid:")
		out := map[string]any{"resultSizeEstimate": 0}
		if id, ok := f.byMsgID[q]; ok {
			out["drafts"] = []any{map[string]any{"id": id, "message": map[string]string{"id": "m" + id, "threadId": "t" + id}}}
		}
		_ = json.NewEncoder(w).Encode(out)
	default:
		http.NotFound(w, r)
	}
}

// drafts.create is never retried blindly: when Google created the draft
// but the answer was lost (a 503 after the fact, a dropped connection),
// the draft is found by its Message-ID and returned, and exactly one
// exists; when Google did nothing (a 503, none found), it is created again.
func TestDraftCreateIsNotRetriedBlindly(t *testing.T) {
	for _, c := range []struct {
		name        string
		fail        func(n int) string
		wantCreates int
	}{
		{"answer lost in a 503", func(n int) string { return map[int]string{1: "lose-503"}[n] }, 1},
		{"answer lost with the connection", func(n int) string { return map[int]string{1: "lose-conn"}[n] }, 1},
		{"503 before creating", func(n int) string { return map[int]string{1: "503"}[n] }, 2},
		{"always 503", func(int) string { return "503" }, draftCreateAttempts},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeDrafts{byMsgID: map[string]string{}, fail: c.fail}
			srv := httptest.NewServer(f)
			defer srv.Close()
			st := oneIntegration{g: jarvis.GoogleIntegration{ID: "i1", UserID: "u1", Email: "ada@example.com", AccessToken: "ya29.test",
				Scopes: []string{ScopeGmailCompose}, Status: jarvis.GoogleActive}}
			s := New(Config{BaseURL: srv.URL, HTTPClient: srv.Client()}, Stores{Integrations: st, Auditor: noAudit{}})
			d, err := s.CreateDraft(context.Background(), "u1", "", jarvis.DraftInput{To: []string{"bob@example.com"}, Subject: "Hi", BodyText: "Hello"})
			f.mu.Lock()
			creates, stored := f.creates, len(f.byMsgID)
			f.mu.Unlock()
			if creates != c.wantCreates {
				t.Fatalf("%d drafts.create calls, want %d", creates, c.wantCreates)
			}
			if c.name == "always 503" {
				if err == nil {
					t.Fatal("no error after every attempt failed")
				}
				return
			}
			if err != nil || d == nil || d.DraftID == "" {
				t.Fatalf("draft %+v, %v", d, err)
			}
			if stored != 1 {
				t.Fatalf("%d drafts exist, want 1", stored)
			}
		})
	}
}
