package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second, Rand: func() float64 { return 0 }}
	for attempt, want := range []time.Duration{50, 100, 200, 400, 500, 500} {
		if d, ok := b.Delay(attempt, 0); !ok || d != want*time.Millisecond {
			t.Errorf("attempt %d: %v %v, want %v", attempt, d, ok, want*time.Millisecond)
		}
	}
	b.Rand = func() float64 { return 0.999999 }
	if d, _ := b.Delay(1, 0); d < 199*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("full jitter: %v", d)
	}
	if d, ok := b.Delay(0, 700*time.Millisecond); !ok || d != 700*time.Millisecond {
		t.Errorf("Retry-After not honoured: %v %v", d, ok)
	}
	if _, ok := b.Delay(0, 2*time.Second); ok {
		t.Error("a Retry-After beyond Max was waited for")
	}
	if d, ok := (Backoff{}).Delay(10, 0); !ok || d > DefaultBackoffMax || d < DefaultBackoffMax/2 {
		t.Errorf("defaults: %v", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{map[string]string{"Retry-After": "3"}, 3 * time.Second, true},
		{map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond, true},
		{map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, 250 * time.Millisecond, true},
		{map[string]string{"Retry-After": now.Add(4 * time.Second).Format(http.TimeFormat)}, 4 * time.Second, true},
		{map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0, true},
		{map[string]string{"Retry-After": "soon"}, 0, false},
		{map[string]string{"Retry-After": "-1"}, 0, false},
		{map[string]string{}, 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.header {
			h.Set(k, v)
		}
		if got, ok := ParseRetryAfter(h, now); got != tt.want || ok != tt.ok {
			t.Errorf("%v: %v %v, want %v %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKinds(t *testing.T) {
	for status, want := range map[int]Kind{
		400: KindBadRequest, 404: KindBadRequest, 413: KindBadRequest, 422: KindBadRequest,
		401: KindAuth, 403: KindAuth, 429: KindRateLimited,
		408: KindUnavailable, 409: KindUnavailable, 500: KindUnavailable, 503: KindUnavailable, 529: KindUnavailable,
	} {
		if got := KindForStatus(status); got != want {
			t.Errorf("%d: %s, want %s", status, got, want)
		}
	}
	h := http.Header{"Retry-After": {"7"}}
	err := error(StatusError("openai", 429, h, "", errors.New("sdk")))
	wrapped := errors.Join(errors.New("context"), err)
	var e *Error
	if !errors.As(wrapped, &e) || e.RetryAfter != 7*time.Second || !IsUnavailable(wrapped) || KindOf(wrapped) != KindRateLimited {
		t.Errorf("classification lost: %v", wrapped)
	}
	if got := err.Error(); got != "llm openai: rate_limited (429): Too Many Requests" {
		t.Errorf("message %q", got)
	}
	if IsUnavailable(context.Canceled) || KindOf(nil) != "" || IsUnavailable(&Error{Kind: KindAuth}) {
		t.Error("unclassified errors reported as unavailable")
	}
}

func TestArguments(t *testing.T) {
	for in, want := range map[string]string{
		"":                  `{}`,
		"  ":                `{}`,
		`{"a":1}`:           `{"a":1}`,
		`{"a":`:             `"{\"a\":"`,
		`not json at all`:   `"not json at all"`,
		` {"b":[1,2]} `:     `{"b":[1,2]}`,
		`{"to":"x"}{"y":1}`: `"{\"to\":\"x\"}{\"y\":1}"`,
	} {
		got := Arguments(in)
		if string(got) != want || !json.Valid(got) {
			t.Errorf("Arguments(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCallBuilder(t *testing.T) {
	var b CallBuilder
	b.Add(1, "", "second", `{"x"`)
	b.Add(0, "id0", "first", "")
	b.Add(1, "", "", `:2}`)
	b.Add(0, "id0", "renamed", "")
	calls := b.Calls("call_")
	if len(calls) != 2 || calls[1].ID != "id0" || calls[1].Name != "first" || string(calls[1].Arguments) != `{}` ||
		calls[0].ID != "call_0" || calls[0].Name != "second" || string(calls[0].Arguments) != `{"x":2}` {
		t.Errorf("calls %+v", calls)
	}

	// Whole calls, each at index 0 with its own id.
	var whole CallBuilder
	whole.Add(0, "a", "one", `{"n":1}`)
	whole.Add(0, "b", "two", `{"n":2}`)
	calls = whole.Calls("call_")
	if len(calls) != 2 || calls[0].ID != "a" || calls[1].ID != "b" || string(calls[1].Arguments) != `{"n":2}` {
		t.Errorf("whole calls %+v", calls)
	}
}

func TestValidate(t *testing.T) {
	user := Message{Role: RoleUser, Text: "hi"}
	tests := []struct {
		name string
		req  Request
		ok   bool
	}{
		{"fine", Request{Messages: []Message{user}, Tools: []Tool{{Name: "t", Parameters: json.RawMessage(`{"type":"object"}`)}}}, true},
		{"no messages", Request{}, false},
		{"empty user", Request{Messages: []Message{{Role: RoleUser}}}, false},
		{"unknown role", Request{Messages: []Message{{Role: "system", Text: "x"}}}, false},
		{"empty assistant", Request{Messages: []Message{user, {Role: RoleAssistant}}}, false},
		{"tool without results", Request{Messages: []Message{user, {Role: RoleTool}}}, false},
		{"results on a user", Request{Messages: []Message{{Role: RoleUser, Text: "x", ToolResults: []ToolResult{{}}}}}, false},
		{"calls on a user", Request{Messages: []Message{{Role: RoleUser, Text: "x", ToolCalls: []ToolCall{{}}}}}, false},
		{"nameless tool", Request{Messages: []Message{user}, Tools: []Tool{{}}}, false},
		{"schema not an object", Request{Messages: []Message{user}, Tools: []Tool{{Name: "t", Parameters: json.RawMessage(`[]`)}}}, false},
	}
	for _, tt := range tests {
		err := tt.req.Validate()
		if (err == nil) != tt.ok || (err != nil && KindOf(err) != KindBadRequest) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// fakeStream yields events, then err.
type fakeStream struct {
	events []Event
	err    error
	cur    Event
	closed bool
}

func (s *fakeStream) Next() bool {
	if len(s.events) == 0 {
		return false
	}
	s.cur, s.events = s.events[0], s.events[1:]
	return true
}
func (s *fakeStream) Event() Event { return s.cur }
func (s *fakeStream) Err() error   { return s.err }
func (s *fakeStream) Close() error { s.closed = true; return nil }

func TestStart(t *testing.T) {
	done := Event{Type: EventDone, StopReason: StopEndTurn}
	unavailable := &Error{Kind: KindUnavailable, Status: 503}
	var waits []time.Duration
	cfg := Config{MaxRetries: 3, Backoff: Backoff{Rand: func() float64 { return 0 }, Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}}}

	t.Run("retries until an attempt yields an event", func(t *testing.T) {
		waits = nil
		var streams []*fakeStream
		attempts := []func() (Stream, error){
			func() (Stream, error) { return nil, unavailable },
			func() (Stream, error) {
				s := &fakeStream{err: unavailable}
				streams = append(streams, s)
				return s, nil
			},
			func() (Stream, error) {
				s := &fakeStream{events: []Event{{Type: EventTextDelta, Text: "a"}, done}}
				streams = append(streams, s)
				return s, nil
			},
		}
		n := 0
		s, err := Start(context.Background(), cfg, "p", func(context.Context) (Stream, error) { n++; return attempts[n-1]() })
		if err != nil {
			t.Fatal(err)
		}
		if !s.Next() || s.Event().Text != "a" || !s.Next() || s.Event().Type != EventDone || s.Next() || s.Err() != nil {
			t.Errorf("events: %+v, %v", s.Event(), s.Err())
		}
		s.Close()
		if n != 3 || len(waits) != 2 || !streams[0].closed || !streams[1].closed {
			t.Errorf("%d attempts, waits %v, failed attempt closed %v", n, waits, streams[0].closed)
		}
	})
	t.Run("bad requests are not retried", func(t *testing.T) {
		n := 0
		_, err := Start(context.Background(), cfg, "p", func(context.Context) (Stream, error) {
			n++
			return nil, &Error{Kind: KindBadRequest}
		})
		if KindOf(err) != KindBadRequest || n != 1 {
			t.Errorf("%v after %d attempts", err, n)
		}
	})
	t.Run("unclassified errors become unavailable", func(t *testing.T) {
		_, err := Start(context.Background(), Config{MaxRetries: -1}, "p", func(context.Context) (Stream, error) {
			return nil, errors.New("boom")
		})
		if KindOf(err) != KindUnavailable {
			t.Errorf("%v", err)
		}
	})
	t.Run("the caller's cancellation wins", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := Start(ctx, cfg, "p", func(context.Context) (Stream, error) {
			cancel()
			return nil, unavailable
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%v", err)
		}
	})
	t.Run("no wait beyond the deadline", func(t *testing.T) {
		waits = nil
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		c := cfg
		c.Backoff.Base = time.Second
		_, err := Start(ctx, c, "p", func(context.Context) (Stream, error) { return nil, unavailable })
		if err != unavailable || len(waits) != 0 {
			t.Errorf("%v, waits %v", err, waits)
		}
	})
	t.Run("the turn timeout is unavailable", func(t *testing.T) {
		_, err := Start(context.Background(), Config{Timeout: time.Millisecond, MaxRetries: -1}, "p", func(ctx context.Context) (Stream, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		})
		if KindOf(err) != KindUnavailable || errors.Is(err, context.Canceled) {
			t.Errorf("%v", err)
		}
	})
}
