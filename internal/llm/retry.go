package llm

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff spaces the retries of a model turn: exponential with jitter, or
// exactly what the vendor asked for with Retry-After. The zero value uses the
// defaults below.
type Backoff struct {
	// Base is the first wait; DefaultBackoffBase when zero.
	Base time.Duration
	// Max caps every wait; DefaultBackoffMax when zero. A Retry-After longer
	// than Max ends the retries: the error then carries RetryAfter so the
	// caller can pass it on instead of holding the request open.
	Max time.Duration
	// Sleep waits d or until ctx is done; a timer when nil. Tests replace it
	// to record the waits without spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the jitter; math/rand/v2 when nil.
	Rand func() float64
}

const (
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 8 * time.Second
)

// Delay returns how long to wait before retry number attempt+1 (attempt
// counts from 0) and whether to retry at all. A positive retryAfter is
// honoured exactly, unless it exceeds Max. Otherwise the wait is
// Base·2^attempt capped at Max, jittered into its upper half.
func (b Backoff) Delay(attempt int, retryAfter time.Duration) (time.Duration, bool) {
	limit := b.Max
	if limit <= 0 {
		limit = DefaultBackoffMax
	}
	if retryAfter > 0 {
		return retryAfter, retryAfter <= limit
	}
	base := b.Base
	if base <= 0 {
		base = DefaultBackoffBase
	}
	d := float64(base) * math.Pow(2, float64(attempt))
	if d > float64(limit) {
		d = float64(limit)
	}
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	return time.Duration(d/2 + d/2*r()), true
}

func (b Backoff) sleep(ctx context.Context, d time.Duration) error {
	if b.Sleep != nil {
		return b.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ParseRetryAfter reads the wait a vendor asked for: retry-after-ms
// (milliseconds, OpenAI and Anthropic send it) or Retry-After in seconds or
// as an HTTP date relative to now. It reports false when neither is present
// and valid; a date in the past is a zero wait.
func ParseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsInf(ms, 0) {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 || math.IsNaN(s) || s > math.MaxInt64/float64(time.Second) {
			return 0, false
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
