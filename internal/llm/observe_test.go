package llm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/llm"
)

type fakeProvider struct {
	events []llm.Event
	err    error // of Stream
	end    error // of the stream
}

func (fakeProvider) Name() string  { return "fake" }
func (fakeProvider) Model() string { return "m1" }
func (p fakeProvider) Stream(context.Context, llm.Request) (llm.Stream, error) {
	if p.err != nil {
		return nil, p.err
	}
	return &fakeStream{events: p.events, err: p.end}, nil
}

type fakeStream struct {
	events []llm.Event
	cur    llm.Event
	err    error
}

func (s *fakeStream) Next() bool {
	if len(s.events) == 0 {
		return false
	}
	s.cur, s.events = s.events[0], s.events[1:]
	return true
}
func (s *fakeStream) Event() llm.Event { return s.cur }
func (s *fakeStream) Err() error       { return s.err }
func (s *fakeStream) Close() error     { return nil }

type call struct {
	provider, model, outcome string
	in, out                  int
}

type calls []call

func (c *calls) LLMCall(provider, model, outcome string, _ time.Duration, in, out int) {
	*c = append(*c, call{provider, model, outcome, in, out})
}

// TestObserved: each call is reported once, when its stream ends or is
// closed, with its outcome and the tokens of its done event.
func TestObserved(t *testing.T) {
	done := llm.Event{Type: llm.EventDone, Usage: llm.Usage{InputTokens: 12, OutputTokens: 3}}
	for _, c := range []struct {
		name string
		p    fakeProvider
		want call
	}{
		{"ok", fakeProvider{events: []llm.Event{{Type: llm.EventTextDelta, Text: "hi"}, done}}, call{"fake", "m1", "ok", 12, 3}},
		{"refused", fakeProvider{err: &llm.Error{Kind: llm.KindRateLimited}}, call{"fake", "m1", "rate_limited", 0, 0}},
		{"cut short", fakeProvider{events: []llm.Event{{Type: llm.EventTextDelta}}, end: llm.Unavailable("fake", "cut", nil)}, call{"fake", "m1", "unavailable", 0, 0}},
		{"caller left", fakeProvider{err: context.Canceled}, call{"fake", "m1", "canceled", 0, 0}},
		{"other", fakeProvider{err: errors.New("boom")}, call{"fake", "m1", "error", 0, 0}},
	} {
		var got calls
		p := llm.Observed(c.p, &got)
		s, err := p.Stream(context.Background(), llm.Request{})
		if err == nil {
			for s.Next() {
			}
			s.Close()
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: reported %+v, want %+v", c.name, got, c.want)
		}
	}
}
