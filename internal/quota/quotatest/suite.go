// Package quotatest checks a quota.Store: two replicas (two stores over one
// backend) share each account's budget and pauses, atomically, and agree
// with quota.Step.
package quotatest

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis/internal/quota"
)

// Replicas returns two stores over one fresh backend and two account ids
// that exist in it.
type Replicas func(t *testing.T) (a, b quota.Store, accounts [2]string)

// Run runs the suite.
func Run(t *testing.T, replicas Replicas) {
	t.Run("SharedBudget", func(t *testing.T) { testSharedBudget(t, replicas) })
	t.Run("PauseOnEveryReplica", func(t *testing.T) { testPause(t, replicas) })
	t.Run("ReserveForInteractive", func(t *testing.T) { testReserve(t, replicas) })
	t.Run("Atomic", func(t *testing.T) { testAtomic(t, replicas) })
	t.Run("Randomized", func(t *testing.T) { testRandomized(t, replicas) })
}

// unit is one quota unit's share of the budget in these tests.
const unit = time.Second

func take(t *testing.T, s quota.Store, account string, now time.Time, c quota.Check) time.Duration {
	t.Helper()
	w, err := s.Take(context.Background(), account, now, c)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// start is a time in the recent past, whole microseconds, as stores keep.
func start() time.Time { return time.Now().Add(-time.Hour).Truncate(time.Second) }

func testSharedBudget(t *testing.T, replicas Replicas) {
	a, b, acc := replicas(t)
	now := start()
	c := quota.Check{Cost: unit, Limit: 5 * unit} // a bucket of 5 units
	for i := range 5 {
		s := a
		if i%2 == 1 {
			s = b
		}
		if w := take(t, s, acc[0], now, c); w != 0 {
			t.Fatalf("call %d waits %v within the burst", i, w)
		}
	}
	if w := take(t, a, acc[0], now, c); w != unit {
		t.Fatalf("replica a: 6th call waits %v, want %v", w, unit)
	}
	if w := take(t, b, acc[0], now, c); w != unit {
		t.Fatalf("replica b: 6th call waits %v, want %v", w, unit)
	}
	// The other account has its own budget.
	if w := take(t, b, acc[1], now, c); w != 0 {
		t.Fatalf("another account waits %v", w)
	}
	// A unit later, one more call fits, on either replica, and only one.
	now = now.Add(unit)
	if w := take(t, b, acc[0], now, c); w != 0 {
		t.Fatalf("after refill: waits %v", w)
	}
	if w := take(t, a, acc[0], now, c); w != unit {
		t.Fatalf("after refill, second call waits %v, want %v", w, unit)
	}
	// A refused call charged nothing: after 5 units' time the bucket is full.
	now = now.Add(5 * unit)
	for i := range 5 {
		if w := take(t, a, acc[0], now, c); w != 0 {
			t.Fatalf("full again: call %d waits %v", i, w)
		}
	}
}

func testPause(t *testing.T, replicas Replicas) {
	a, b, acc := replicas(t)
	ctx := context.Background()
	now := start()
	c := quota.Check{Cost: unit, Limit: 5 * unit}
	if err := a.Pause(ctx, acc[0], now.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []quota.Store{a, b} {
		if w := take(t, s, acc[0], now, c); w != 30*time.Second {
			t.Fatalf("paused account waits %v, want 30s", w)
		}
	}
	// An earlier pause does not shorten a later one.
	if err := b.Pause(ctx, acc[0], now.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if w := take(t, b, acc[0], now.Add(10*time.Second), c); w != 20*time.Second {
		t.Fatalf("after a shorter pause: waits %v, want 20s", w)
	}
	if w := take(t, b, acc[1], now, c); w != 0 {
		t.Fatalf("another account is paused too: waits %v", w)
	}
	// The pause charged nothing: when it ends the whole burst is there.
	now = now.Add(30 * time.Second)
	for i := range 5 {
		if w := take(t, a, acc[0], now, c); w != 0 {
			t.Fatalf("after the pause: call %d waits %v", i, w)
		}
	}
}

func testReserve(t *testing.T, replicas Replicas) {
	a, b, acc := replicas(t)
	now := start()
	// 10 units; background must leave 4.
	bg := quota.Check{Cost: unit, Limit: 6 * unit}
	fg := quota.Check{Cost: unit, Limit: 10 * unit}
	for i := range 6 {
		if w := take(t, a, acc[0], now, bg); w != 0 {
			t.Fatalf("background call %d waits %v", i, w)
		}
	}
	if w := take(t, b, acc[0], now, bg); w != unit {
		t.Fatalf("background past the reserve waits %v, want %v", w, unit)
	}
	for i := range 4 {
		if w := take(t, b, acc[0], now, fg); w != 0 {
			t.Fatalf("interactive call %d in the reserve waits %v", i, w)
		}
	}
	if w := take(t, a, acc[0], now, fg); w != unit {
		t.Fatalf("interactive past the bucket waits %v, want %v", w, unit)
	}
	if w := take(t, a, acc[0], now, bg); w != 5*unit {
		t.Fatalf("background waits %v for the reserve to refill, want %v", w, 5*unit)
	}
}

// testAtomic races many calls at one instant on both replicas: exactly the
// burst is granted.
func testAtomic(t *testing.T, replicas Replicas) {
	a, b, acc := replicas(t)
	now := start()
	c := quota.Check{Cost: unit, Limit: 20 * unit}
	var granted atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				w, err := s.Take(context.Background(), acc[0], now, c)
				if err != nil {
					t.Error(err)
					return
				}
				if w == 0 {
					granted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if g := granted.Load(); g != 20 {
		t.Fatalf("%d calls granted at once, want the burst of 20", g)
	}
}

// Seed returns the randomized tests' seed: QUOTA_SEED, or a new one.
func Seed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("QUOTA_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun with QUOTA_SEED=%d)", seed, seed)
	return seed
}

// testRandomized drives both replicas with random calls of random cost and
// priority, pauses and clock steps, and checks every answer against
// quota.Step on a model, and that no window of time was charged more than
// the bucket plus the refill allows.
func testRandomized(t *testing.T, replicas Replicas) {
	a, b, acc := replicas(t)
	seed := Seed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ctx := context.Background()
	const burst, reserve = 40, 15
	interval := 50 * time.Millisecond
	now := start()
	var tat, paused time.Time
	type charge struct {
		at    time.Time
		units int
	}
	var charges []charge
	ops := 400
	if testing.Short() {
		ops = 150
	}
	for i := range ops {
		s := a
		if rng.IntN(2) == 1 {
			s = b
		}
		switch r := rng.IntN(20); {
		case r < 3:
			now = now.Add(time.Duration(rng.IntN(40)) * interval / 2)
		case r == 3:
			until := now.Add(time.Duration(rng.IntN(30)) * interval)
			if err := s.Pause(ctx, acc[0], until); err != nil {
				t.Fatal(err)
			}
			if until.After(paused) {
				paused = until
			}
		default:
			units := []int{1, 2, 5, 5, 5, 10, 10, 50}[rng.IntN(8)]
			room := burst
			if rng.IntN(3) > 0 {
				room -= reserve
			}
			c := quota.Check{Cost: time.Duration(units) * interval, Limit: time.Duration(room) * interval}
			c.Limit = max(c.Limit, c.Cost)
			wantTAT, want := quota.Step(tat, paused, now, c)
			got := take(t, s, acc[0], now, c)
			if got != want {
				t.Fatalf("seed %d op %d: %d units (room %d) waits %v, model says %v", seed, i, units, room, got, want)
			}
			tat = wantTAT
			if got == 0 {
				charges = append(charges, charge{now, units})
			}
		}
	}
	// No window [t0, t1] holds more than burst + refill.
	for i := range charges {
		sum := 0
		for j := i; j < len(charges); j++ {
			sum += charges[j].units
			allowed := burst + int(charges[j].at.Sub(charges[i].at)/interval)
			if sum > allowed+50 { // a call larger than the room may start on a full bucket
				t.Fatalf("seed %d: %d units charged between %v and %v, more than %d", seed, sum, charges[i].at, charges[j].at, allowed)
			}
		}
	}
}
