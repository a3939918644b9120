package jobs

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// TestAccountLocks: one holder per account at a time, other accounts
// unaffected, and a waiter gives up with its context.
func TestAccountLocks(t *testing.T) {
	var l accountLocks
	ctx := context.Background()
	unlockA, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	unlockB, err := l.lock(ctx, "b")
	if err != nil {
		t.Fatalf("another account's lock: %v", err)
	}
	unlockB()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.lock(cancelled, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("lock of a held account with a cancelled context: %v", err)
	}

	var mu sync.Mutex
	inside, most := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := l.lock(ctx, "a")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			most = max(most, inside)
			mu.Unlock()
			runtime.Gosched() // others try meanwhile
			mu.Lock()
			inside--
			mu.Unlock()
			unlock()
		}()
	}
	unlockA()
	wg.Wait()
	if most != 1 {
		t.Fatalf("%d goroutines held one account's lock at once", most)
	}
	if len(l.held) != 0 {
		t.Fatalf("locks left held: %v", l.held)
	}
}
