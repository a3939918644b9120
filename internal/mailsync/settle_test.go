package mailsync

import (
	"context"
	"testing"
	"time"
)

// Settle returns as soon as the change is reached, at once when waiting is
// pointless, and false at its bound or when the context ends.
func TestSettle(t *testing.T) {
	ctx := context.Background()
	n := 0
	if !Settle(ctx, time.Minute, func() (bool, bool) { n++; return n == 3, true }) || n != 3 {
		t.Fatalf("reached on the third look: %d looks", n)
	}
	n = 0
	if Settle(ctx, time.Minute, func() (bool, bool) { n++; return false, false }) || n != 1 {
		t.Fatalf("nothing to wait for: %d looks", n)
	}
	if Settle(ctx, 50*time.Millisecond, func() (bool, bool) { return false, true }) {
		t.Fatal("never reached, yet settled")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if Settle(cancelled, time.Minute, func() (bool, bool) { return false, true }) {
		t.Fatal("cancelled, yet settled")
	}
}
