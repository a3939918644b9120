package mailsync

import (
	"context"
	"time"
)

// DefaultSettle bounds how long a change made at Google waits for the
// index to have it, when the caller names no bound.
const DefaultSettle = 2 * time.Second

// settlePoll is how often Settle looks: one read of one row, as a rule.
const settlePoll = 20 * time.Millisecond

// Settle waits until reached reports that the index has a change: it
// looks every 20 ms, for at most wait (DefaultSettle when 0), and stops
// early when reached says there is no point in waiting (keep false: the
// account is not served from its index, or its state cannot be read) or
// ctx ends. It reports whether the index has the change.
func Settle(ctx context.Context, wait time.Duration, reached func() (ok, keep bool)) bool {
	if wait == 0 {
		wait = DefaultSettle
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(settlePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
			if ok, keep := reached(); ok || !keep {
				return ok
			}
		}
	}
}
