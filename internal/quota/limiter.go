package quota

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// Defaults. Google allows each user 15,000 units a minute, as a moving
// average that allows short bursts. The default budget is 12,000 a minute
// with a burst of a sixth of it (10 seconds' worth): even counted over a
// strict sliding minute, a replica set never spends more than
// 12,000 + 2,000 = 14,000 units, so other clients of the same user, clock
// skew between replicas and Google's own accounting keep 1,000 units of
// headroom. Background work must leave half the burst (1,000 units, about
// two inbox pages) for interactive calls.
const (
	DefaultPerMinute = 12000
	// GoogleUserPerMinute is Google's per-user limit.
	GoogleUserPerMinute = 15000
	// DefaultInteractiveWait is the longest wait an interactive call
	// accepts before it fails with ERATELIMITED: long enough to sit out
	// the 1-second Retry-After Google gives for short limits, seen from a
	// replica whose clock reading is a little stale.
	DefaultInteractiveWait = 2 * time.Second
)

// Config is a limiter's budget.
type Config struct {
	// PerMinute is each account's budget in units per minute
	// (JARVIS_GMAIL_QUOTA_PER_MINUTE). Default DefaultPerMinute.
	PerMinute int
	// Burst is how many units the bucket holds. Default PerMinute/6.
	Burst int
	// Reserve is the part of the burst background calls must leave to
	// interactive ones. Default Burst/2.
	Reserve int
	// InteractiveWait bounds each wait of an interactive call (its
	// deadline bounds them all). Default DefaultInteractiveWait.
	InteractiveWait time.Duration
	Now             func() time.Time
	Logger          *slog.Logger
	// Sleep waits d or until ctx ends (tests replace it).
	Sleep func(ctx context.Context, d time.Duration) error
	// Observer, when set, is told of waits, refusals and Google's rate
	// limits (metrics).
	Observer Observer
}

// Observer is told what the budget does to calls, for metrics; never which
// account a call was for.
type Observer interface {
	// QuotaWait reports that a call waited d for its budget, then went.
	QuotaWait(priority string, d time.Duration)
	// QuotaRefused reports a call refused with ERATELIMITED.
	QuotaRefused(priority string)
	// GoogleRateLimited reports Google's answer that an account's rate
	// limit was hit (the account is then paused).
	GoogleRateLimited()
}

// Check is one call's test against an account's bucket, in the GCRA's
// terms: the call moves the account's theoretical arrival time (TAT) Cost
// forward, and is allowed when that leaves the TAT at most Limit ahead of
// now.
type Check struct {
	Cost  time.Duration
	Limit time.Duration
}

// Store keeps every account's TAT and pause where all replicas see them,
// and updates them atomically.
type Store interface {
	// Take charges the check to the account and returns 0, or, when the
	// account is paused or the call does not fit, charges nothing and
	// returns how long until it might.
	Take(ctx context.Context, account string, now time.Time, c Check) (time.Duration, error)
	// Pause stops the account's calls until until; a later pause already
	// set is kept.
	Pause(ctx context.Context, account string, until time.Time) error
}

// Step is the GCRA: from the account's TAT and pause it returns the TAT
// after the call, and 0; or the TAT unchanged and how long to wait.
func Step(tat, paused, now time.Time, c Check) (time.Time, time.Duration) {
	if paused.After(now) {
		return tat, paused.Sub(now)
	}
	base := tat
	if base.Before(now) {
		base = now
	}
	next := base.Add(c.Cost)
	if ahead := next.Sub(now); ahead > c.Limit {
		return tat, ahead - c.Limit
	}
	return next, 0
}

// Limiter charges Gmail calls to their account's budget.
type Limiter struct {
	store    Store
	cfg      Config
	interval time.Duration // one unit's share of a minute
}

// New returns a limiter over store.
func New(store Store, cfg Config) *Limiter {
	if cfg.PerMinute <= 0 {
		cfg.PerMinute = DefaultPerMinute
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(cfg.PerMinute/6, 1)
	}
	if cfg.Reserve <= 0 || cfg.Reserve >= cfg.Burst {
		cfg.Reserve = cfg.Burst / 2
	}
	if cfg.InteractiveWait <= 0 {
		cfg.InteractiveWait = DefaultInteractiveWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	return &Limiter{store: store, cfg: cfg, interval: time.Minute / time.Duration(cfg.PerMinute)}
}

// Config returns the limiter's budget, defaults filled in.
func (l *Limiter) Config() Config { return l.cfg }

// CheckFor returns the check of a call of units at priority p: interactive
// calls may take the bucket down to empty, background ones down to the
// reserve. A call costing more than that is allowed when the bucket is as
// full as it may be.
func (l *Limiter) CheckFor(units int, p Priority) Check {
	room := l.cfg.Burst
	if p == Background {
		room -= l.cfg.Reserve
	}
	c := Check{Cost: time.Duration(units) * l.interval, Limit: time.Duration(room) * l.interval}
	c.Limit = max(c.Limit, c.Cost)
	return c
}

// Take charges units to the account for a call of ctx's priority.
// Background calls wait, bounded by ctx, until the budget allows them; an
// interactive call waits only when the wait is at most InteractiveWait
// (short pauses from Google may follow one another; the call's deadline
// bounds them all), and otherwise fails at once with ERATELIMITED and the
// time until it would fit. When the budget's store
// fails, interactive calls go ahead (Google's own limit still holds) and
// background calls fail.
func (l *Limiter) Take(ctx context.Context, account string, units int) error {
	p := PriorityOf(ctx)
	c := l.CheckFor(units, p)
	var waited time.Duration
	for {
		wait, err := l.store.Take(ctx, account, l.cfg.Now(), c)
		if err != nil {
			if p == Interactive && ctx.Err() == nil {
				l.cfg.Logger.WarnContext(ctx, "Gmail quota store unavailable: interactive call not counted", "account_id", account, "err", err)
				return nil
			}
			return fmt.Errorf("gmail quota: %w", err)
		}
		if wait <= 0 {
			if waited > 0 && l.cfg.Observer != nil {
				l.cfg.Observer.QuotaWait(p.String(), waited)
			}
			return nil
		}
		if (p == Interactive && wait > l.cfg.InteractiveWait) || deadlineWithin(ctx, wait) {
			if l.cfg.Observer != nil {
				l.cfg.Observer.QuotaRefused(p.String())
			}
			return rateLimited(wait)
		}
		// A little jitter spreads the waiters of one account.
		d := wait + rand.N(l.interval*time.Duration(min(units, 10))+1)
		if err := l.cfg.Sleep(ctx, d); err != nil {
			return err
		}
		waited += d
	}
}

// deadlineWithin reports whether ctx ends before d has passed.
func deadlineWithin(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < d
}

// Pause stops the account's calls, on every replica, until until.
func (l *Limiter) Pause(ctx context.Context, account string, until time.Time) error {
	return l.store.Pause(ctx, account, until)
}

func rateLimited(wait time.Duration) error {
	return &jarvis.Error{Code: jarvis.ERATELIMITED, Message: "This Google account's Gmail quota is used up for now. Retry shortly.",
		RetryAfter: max(wait.Round(time.Second), time.Second)}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Memory is the in-process store, for a single process (SQLite).
type Memory struct {
	mu sync.Mutex
	m  map[string]*memState
}

type memState struct{ tat, paused time.Time }

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{m: map[string]*memState{}} }

// Take implements Store.
func (s *Memory) Take(_ context.Context, account string, now time.Time, c Check) (time.Duration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[account]
	if st == nil {
		st = &memState{}
		s.m[account] = st
	}
	tat, wait := Step(st.tat, st.paused, now, c)
	st.tat = tat
	if wait == 0 && len(s.m) > 1024 {
		s.sweep(now)
	}
	return wait, nil
}

// Pause implements Store.
func (s *Memory) Pause(_ context.Context, account string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[account]
	if st == nil {
		st = &memState{}
		s.m[account] = st
	}
	if until.After(st.paused) {
		st.paused = until
	}
	return nil
}

// sweep forgets accounts whose bucket is full and which are not paused.
func (s *Memory) sweep(now time.Time) {
	for k, st := range s.m {
		if !st.tat.After(now) && !st.paused.After(now) {
			delete(s.m, k)
		}
	}
}
