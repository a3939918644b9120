package llm

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Observer is told of every model call, for metrics: never its content.
type Observer interface {
	// LLMCall reports one call from its request to the end of its stream:
	// outcome is ok, canceled (the caller gave up), or the failure's Kind
	// (error when it has none), and the tokens the model reported.
	LLMCall(provider, model, outcome string, elapsed time.Duration, inputTokens, outputTokens int)
}

// Observed returns p reporting each of its calls to o.
func Observed(p Provider, o Observer) Provider { return observed{Provider: p, obs: o} }

type observed struct {
	Provider
	obs Observer
}

func (p observed) Stream(ctx context.Context, req Request) (Stream, error) {
	start := time.Now()
	s, err := p.Provider.Stream(ctx, req)
	if err != nil {
		p.obs.LLMCall(p.Name(), p.Model(), outcome(err), time.Since(start), 0, 0)
		return nil, err
	}
	return onEnd(s, func(done Event, err error) {
		p.obs.LLMCall(p.Name(), p.Model(), outcome(err), time.Since(start), done.Usage.InputTokens, done.Usage.OutputTokens)
	}), nil
}

// onEnd returns s calling end once, when it ends or is closed, with its
// EventDone (zero if none came) and its error.
func onEnd(s Stream, end func(done Event, err error)) Stream {
	return &endingStream{Stream: s, end: end}
}

type endingStream struct {
	Stream
	end  func(Event, error)
	done Event
	once sync.Once
}

func (s *endingStream) Next() bool {
	if s.Stream.Next() {
		if e := s.Stream.Event(); e.Type == EventDone {
			s.done = e
		}
		return true
	}
	s.report()
	return false
}

func (s *endingStream) Close() error {
	err := s.Stream.Close()
	s.report()
	return err
}

func (s *endingStream) report() { s.once.Do(func() { s.end(s.done, s.Stream.Err()) }) }

// outcome classifies a call's end for metrics.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case KindOf(err) != "":
		return string(KindOf(err))
	}
	return "error"
}
