// Package llmtest is the conformance suite every llm.Provider passes against
// the sandbox model, through the vendor's official SDK over HTTP: streaming,
// tool calls, multi-step turns, retries and error classification,
// cancellation.
package llmtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/llm"
	"github.com/jarvis-hq/jarvis/internal/sandbox/model"
)

// Factory returns the provider under test, pointed at the sandbox model
// served at serverURL, with the other settings of cfg.
type Factory func(t testing.TB, serverURL string, cfg llm.Config) llm.Provider

// Env is one sandbox model behind an httptest server, and a provider for it.
type Env struct {
	Model    *model.Handler
	Server   *httptest.Server
	Provider llm.Provider
	// Sleeps records the backoff waits, which are not spent.
	Sleeps *Sleeps
}

// Sleeps records waits asked of llm.Backoff.Sleep.
type Sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once, or ctx's error when it is done.
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

// All returns the waits recorded so far.
func (s *Sleeps) All() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// NewEnv starts a sandbox model and a provider for it. cfg's Model defaults
// to model.Name, its APIKey to "test-key" (set "-" for none), its
// HTTPClient to a client of its own, and Backoff.Sleep to a recorder. The
// server, the model and idle connections are closed when the test ends.
func NewEnv(t testing.TB, f Factory, cfg llm.Config) *Env {
	t.Helper()
	h := model.New(model.Config{})
	srv := httptest.NewServer(h)
	if cfg.Model == "" {
		cfg.Model = model.Name
	}
	switch cfg.APIKey {
	case "":
		cfg.APIKey = "test-key"
	case "-":
		cfg.APIKey = ""
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	sleeps := &Sleeps{}
	if cfg.Backoff.Sleep == nil {
		cfg.Backoff.Sleep = sleeps.Sleep
	}
	client := cfg.HTTPClient
	t.Cleanup(func() {
		h.Close()
		srv.Close()
		client.CloseIdleConnections()
	})
	return &Env{Model: h, Server: srv, Provider: f(t, srv.URL, cfg), Sleeps: sleeps}
}

// Result is a whole turn, collected.
type Result struct {
	Text      string
	Deltas    []string
	ToolCalls []llm.ToolCall
	Done      *llm.Event
	Events    []llm.Event
	Err       error
}

// Collect reads s to its end, closes it and checks the event order: deltas,
// then tool calls, then exactly one Done, last.
func Collect(t testing.TB, s llm.Stream) Result {
	t.Helper()
	defer s.Close()
	var r Result
	var b strings.Builder
	for s.Next() {
		ev := s.Event()
		r.Events = append(r.Events, ev)
		if r.Done != nil {
			t.Fatalf("event %v after Done", ev.Type)
		}
		switch ev.Type {
		case llm.EventTextDelta:
			if len(r.ToolCalls) > 0 {
				t.Fatalf("text delta %q after a tool call", ev.Text)
			}
			r.Deltas = append(r.Deltas, ev.Text)
			b.WriteString(ev.Text)
		case llm.EventToolCall:
			if ev.ToolCall == nil {
				t.Fatal("tool call event without a call")
			}
			r.ToolCalls = append(r.ToolCalls, *ev.ToolCall)
		case llm.EventDone:
			done := ev
			r.Done = &done
		default:
			t.Fatalf("unknown event %v", ev.Type)
		}
	}
	r.Text = b.String()
	r.Err = s.Err()
	if r.Err == nil && r.Done == nil {
		t.Fatal("stream ended without error and without Done")
	}
	return r
}

// Turn runs req to its end and fails the test on any error.
func Turn(t testing.TB, p llm.Provider, req llm.Request) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := p.Stream(ctx, req)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	r := Collect(t, s)
	if r.Err != nil {
		t.Fatalf("stream: %v", r.Err)
	}
	return r
}

// User is a one-message request.
func User(text string, tools ...llm.Tool) llm.Request {
	return llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Text: text}}, Tools: tools}
}

// JarvisTools are the agent's tools as the sandbox model expects them.
func JarvisTools() []llm.Tool {
	obj := func(props string, required ...string) json.RawMessage {
		req, _ := json.Marshal(required)
		return json.RawMessage(`{"type":"object","properties":` + props + `,"required":` + string(req) + `}`)
	}
	return []llm.Tool{
		{Name: "search_threads", Description: "Search the user's Gmail threads.", Parameters: obj(`{"query":{"type":"string"},"max_results":{"type":"integer"}}`, "query")},
		{Name: "get_thread", Description: "Read one thread.", Parameters: obj(`{"thread_id":{"type":"string"}}`, "thread_id")},
		{Name: "list_upcoming_events", Description: "List upcoming calendar events.", Parameters: obj(`{"days":{"type":"integer"}}`)},
		{Name: "find_free_time", Description: "Find free slots.", Parameters: obj(`{"duration_minutes":{"type":"integer"},"days":{"type":"integer"}}`, "duration_minutes")},
		{Name: "create_draft", Description: "Create a Gmail draft.", Parameters: obj(`{"to":{"type":"array","items":{"type":"string"}},"cc":{"type":"array","items":{"type":"string"}},"bcc":{"type":"array","items":{"type":"string"}},"subject":{"type":"string"},"body_text":{"type":"string"},"reply_to_thread_id":{"type":"string"}}`, "to", "subject", "body_text")},
	}
}

// Args decodes a tool call's arguments.
func Args(t testing.TB, c llm.ToolCall) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Arguments, &m); err != nil {
		t.Fatalf("arguments of %s: %v (%s)", c.Name, err, c.Arguments)
	}
	return m
}
