package llm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Opener sends one attempt of a turn. Errors it returns, and errors of the
// Stream it returns, should already be *Error; context errors need not be.
type Opener func(ctx context.Context) (Stream, error)

// Start runs a turn for a provider: it bounds the turn by cfg's timeout,
// opens an attempt and waits for its first event, retrying retryable failures
// with cfg.Backoff as long as nothing was handed to the caller. It returns a
// Stream that replays that first event and then follows the attempt, or the
// last error: a caller's ctx error as ctx.Err(), everything else as *Error.
func Start(ctx context.Context, cfg Config, provider string, open Opener) (Stream, error) {
	turnCtx, cancel := context.WithTimeout(ctx, cfg.TurnTimeout())
	t := &turn{provider: provider, caller: ctx, ctx: turnCtx, cancel: cancel}
	for attempt := 0; ; attempt++ {
		s, err := open(turnCtx)
		if err == nil {
			if s.Next() {
				t.inner, t.cur, t.replay = s, s.Event(), true
				return t, nil
			}
			err = s.Err()
			_ = s.Close()
			if err == nil {
				err = Unavailable(provider, "stream ended without an event", nil)
			}
		}
		err = t.settle(err)
		if attempt >= cfg.Retries() || !Retryable(err) {
			cancel()
			return nil, err
		}
		var retryAfter time.Duration
		var e *Error
		if errors.As(err, &e) {
			retryAfter = e.RetryAfter
		}
		delay, ok := cfg.Backoff.Delay(attempt, retryAfter)
		if dl, has := turnCtx.Deadline(); !ok || (has && time.Until(dl) < delay) {
			cancel()
			return nil, err
		}
		if serr := cfg.Backoff.sleep(turnCtx, delay); serr != nil {
			cancel()
			if cerr := callerError(ctx); cerr != nil {
				return nil, cerr
			}
			return nil, err
		}
	}
}

// turn is the Stream Start returns.
type turn struct {
	provider string
	caller   context.Context
	ctx      context.Context
	cancel   context.CancelFunc

	inner  Stream
	cur    Event
	replay bool // cur is the first event, not yet returned by Next

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

func (t *turn) Next() bool {
	if t.replay {
		t.replay = false
		return true
	}
	if t.closed.Load() || !t.inner.Next() {
		return false
	}
	t.cur = t.inner.Event()
	return true
}

func (t *turn) Event() Event { return t.cur }

func (t *turn) Err() error {
	if t.closed.Load() {
		return nil
	}
	if err := t.inner.Err(); err != nil {
		return t.settle(err)
	}
	return nil
}

func (t *turn) Close() error {
	t.closeOnce.Do(func() {
		t.closed.Store(true)
		t.cancel() // unblocks a Next waiting on the network before Close waits on it
		t.closeErr = t.inner.Close()
	})
	return t.closeErr
}

// settle attributes err: the caller's own cancellation first, then the turn's
// timeout, then the provider's classification.
func (t *turn) settle(err error) error {
	if cerr := callerError(t.caller); cerr != nil {
		return cerr
	}
	if errors.Is(t.ctx.Err(), context.DeadlineExceeded) {
		return Unavailable(t.provider, "timed out", err)
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return Unavailable(t.provider, fmt.Sprintf("request failed: %v", err), err)
}
