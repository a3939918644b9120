package quota_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/quota"
	"github.com/jarvis-hq/jarvis/internal/quota/quotatest"
)

func TestMemoryStore(t *testing.T) {
	quotatest.Run(t, func(t *testing.T) (quota.Store, quota.Store, [2]string) {
		m := quota.NewMemory()
		return m, m, [2]string{"acct-1", "acct-2"}
	})
}

func TestMethodAndCost(t *testing.T) {
	cases := []struct {
		verb, path, method string
		cost               int
	}{
		{"GET", "/gmail/v1/users/me/messages/18c0ffee", "gmail.messages.get", 5},
		{"GET", "/gmail/v1/users/me/messages", "gmail.messages.list", 5},
		{"GET", "/gmail/v1/users/me/history", "gmail.history.list", 2},
		{"GET", "/gmail/v1/users/me/threads/abc", "gmail.threads.get", 10},
		{"GET", "/gmail/v1/users/me/threads", "gmail.threads.list", 10},
		{"GET", "/gmail/v1/users/me/profile", "gmail.getProfile", 1},
		{"GET", "/gmail/v1/users/me/labels", "gmail.labels.list", 1},
		{"GET", "/gmail/v1/users/me/labels/INBOX", "gmail.labels.get", 1},
		{"POST", "/gmail/v1/users/me/messages/send", "gmail.messages.send", 100},
		{"POST", "/upload/gmail/v1/users/me/messages/send", "gmail.messages.send", 100},
		{"POST", "/gmail/v1/users/me/drafts", "gmail.drafts.create", 10},
		{"POST", "/upload/gmail/v1/users/me/drafts", "gmail.drafts.create", 10},
		{"POST", "/gmail/v1/users/me/drafts/send", "gmail.drafts.send", 100},
		{"PUT", "/gmail/v1/users/me/drafts/r1", "gmail.drafts.update", 15},
		{"POST", "/gmail/v1/users/me/watch", "gmail.watch", 100},
		{"POST", "/gmail/v1/users/me/stop", "gmail.stop", 50},
		{"POST", "/gmail/v1/users/me/messages/m1/modify", "gmail.messages.modify", 5},
		{"POST", "/gmail/v1/users/me/messages/batchModify", "gmail.messages.batchModify", 50},
		{"POST", "/gmail/v1/users/me/messages/m1/trash", "gmail.messages.trash", 5},
		{"DELETE", "/gmail/v1/users/me/messages/m1", "gmail.messages.delete", 10},
		{"POST", "/gmail/v1/users/me/threads/t1/modify", "gmail.threads.modify", 10},
		{"DELETE", "/gmail/v1/users/me/threads/t1", "gmail.threads.delete", 20},
		{"GET", "/gmail/v1/users/me/messages/m1/attachments/a1", "gmail.messages.attachments.get", 5},
		{"POST", "/gmail/v1/users/me/messages", "gmail.messages.insert", 25},
		{"POST", "/gmail/v1/users/me/messages/import", "gmail.messages.import", 25},
		{"GET", "/gmail/v1/users/user%40example.com/messages/m1", "gmail.messages.get", 5},
		{"GET", "/gmail/v1/users/me/settings/filters", "gmail.other", quota.DefaultCost},
	}
	for _, c := range cases {
		m, ok := quota.Method(c.verb, c.path)
		if !ok || m != c.method || quota.Cost(m) != c.cost {
			t.Errorf("%s %s: %q (%v) costing %d, want %q costing %d", c.verb, c.path, m, ok, quota.Cost(m), c.method, c.cost)
		}
	}
	for _, p := range []string{"/calendar/v3/calendars/primary/events", "/token", "/oauth2/v2/userinfo"} {
		if m, ok := quota.Method("GET", p); ok {
			t.Errorf("%s is charged as %s", p, m)
		}
	}
}

// fakeTime is a clock that moves only when told, and a sleep that reports
// each wait and returns when the test releases it.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	waits chan wait
}

type wait struct {
	d       time.Duration
	release chan struct{}
}

func newFakeTime() *fakeTime {
	return &fakeTime{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), waits: make(chan wait)}
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	w := wait{d: d, release: make(chan struct{})}
	select {
	case f.waits <- w:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestBackgroundWaitsInteractiveProceeds: background work stops at the
// reserve and waits; interactive calls use the reserve meanwhile; an
// interactive call the bucket cannot pay fails at once with ERATELIMITED
// and a retry time; the background call goes on once the bucket refills.
func TestBackgroundWaitsInteractiveProceeds(t *testing.T) {
	ft := newFakeTime()
	// 600 units a minute: one unit per 100 ms; a bucket of 100, 40 reserved.
	l := quota.New(quota.NewMemory(), quota.Config{PerMinute: 600, Burst: 100, Reserve: 40, InteractiveWait: time.Second, Now: ft.Now, Sleep: ft.Sleep})
	bg := quota.InBackground(context.Background())
	fg := context.Background()
	for range 12 {
		if err := l.Take(bg, "a", 5); err != nil {
			t.Fatal(err)
		}
	}
	// 60 used: the next background call must wait.
	done := make(chan error, 1)
	go func() { done <- l.Take(bg, "a", 5) }()
	w := <-ft.waits
	if w.d < 500*time.Millisecond {
		t.Fatalf("background waits %v, want at least the 5 units' refill", w.d)
	}
	// Meanwhile interactive calls use the reserve.
	for i := range 4 {
		if err := l.Take(fg, "a", 10); err != nil {
			t.Fatalf("interactive call %d: %v", i, err)
		}
	}
	// The bucket is empty: an interactive call needing more than a second's
	// refill fails now, with the time to retry.
	err := l.Take(fg, "a", 50)
	var je *jarvis.Error
	if !errors.As(err, &je) || je.Code != jarvis.ERATELIMITED || je.RetryAfter < 5*time.Second {
		t.Fatalf("interactive over budget: %v, want ERATELIMITED retrying after 5s or more", err)
	}
	// Another account is untouched.
	if err := l.Take(fg, "b", 50); err != nil {
		t.Fatal(err)
	}
	// The background call stays waiting until the bucket holds the reserve
	// again, then goes.
	ft.Advance(w.d)
	close(w.release)
	w = <-ft.waits
	ft.Advance(w.d)
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestBackgroundWaitIsBoundedByContext: a background wait ends with its
// context, and a wait longer than the deadline is not begun.
func TestBackgroundWaitIsBoundedByContext(t *testing.T) {
	ft := newFakeTime()
	l := quota.New(quota.NewMemory(), quota.Config{PerMinute: 60, Burst: 10, Reserve: 5, Now: ft.Now, Sleep: ft.Sleep})
	bg := quota.InBackground(context.Background())
	if err := l.Take(bg, "a", 5); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- l.Take(ctx, "a", 5) }()
	<-ft.waits
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	dctx, dcancel := context.WithTimeout(bg, time.Second)
	defer dcancel()
	err := l.Take(dctx, "a", 5)
	if !jarvis.IsCode(err, jarvis.ERATELIMITED) {
		t.Fatalf("wait beyond the deadline: %v, want ERATELIMITED", err)
	}
}

// TestPauseStopsInteractive: a pause longer than the interactive wait
// answers ERATELIMITED with the pause's end.
func TestPauseStopsInteractive(t *testing.T) {
	ft := newFakeTime()
	l := quota.New(quota.NewMemory(), quota.Config{Now: ft.Now, Sleep: ft.Sleep})
	if err := l.Pause(context.Background(), "a", ft.Now().Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	err := l.Take(context.Background(), "a", 1)
	var je *jarvis.Error
	if !errors.As(err, &je) || je.Code != jarvis.ERATELIMITED || je.RetryAfter != 30*time.Second {
		t.Fatalf("paused: %v, want ERATELIMITED after 30s", err)
	}
}

func TestDefaults(t *testing.T) {
	c := quota.New(quota.NewMemory(), quota.Config{}).Config()
	if c.PerMinute != 12000 || c.Burst != 2000 || c.Reserve != 1000 {
		t.Fatalf("defaults %+v", c)
	}
	// Over any minute the replicas spend at most the budget and one burst,
	// under Google's per-user limit.
	if c.PerMinute+c.Burst >= quota.GoogleUserPerMinute {
		t.Fatalf("budget %d + burst %d reaches Google's %d", c.PerMinute, c.Burst, quota.GoogleUserPerMinute)
	}
}

func TestRateLimitedResponse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(status int, header, body string) *http.Response {
		h := http.Header{}
		if header != "" {
			h.Set("Retry-After", header)
		}
		return &http.Response{StatusCode: status, Header: h, Body: http.NoBody}
	}
	if d, ok := quota.RateLimited(mk(429, "7", ""), now); !ok || d != 7*time.Second {
		t.Fatalf("429 Retry-After 7: %v %v", d, ok)
	}
	if _, ok := quota.RateLimited(mk(200, "7", ""), now); ok {
		t.Fatal("200 is not a rate limit")
	}
}

// observations records what a limiter tells its observer.
type observations struct {
	mu      sync.Mutex
	waits   map[string][]time.Duration
	refused map[string]int
	limited int
}

func (o *observations) QuotaWait(p string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.waits[p] = append(o.waits[p], d)
}

func (o *observations) QuotaRefused(p string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused[p]++
}

func (o *observations) GoogleRateLimited() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.limited++
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestObserver: a call that waited reports its wait with its priority, a
// call refused reports the refusal, and Google's 429 is counted; calls that
// went at once report nothing.
func TestObserver(t *testing.T) {
	ft := newFakeTime()
	obs := &observations{waits: map[string][]time.Duration{}, refused: map[string]int{}}
	sleep := func(_ context.Context, d time.Duration) error { ft.Advance(d); return nil }
	l := quota.New(quota.NewMemory(), quota.Config{PerMinute: 60, Burst: 10, Reserve: 5, Now: ft.Now, Sleep: sleep, Observer: obs})
	bg := quota.InBackground(context.Background())
	if err := l.Take(bg, "a", 5); err != nil {
		t.Fatal(err)
	}
	if len(obs.waits) != 0 {
		t.Fatalf("a call that did not wait reported %v", obs.waits)
	}
	if err := l.Take(bg, "a", 2); err != nil {
		t.Fatal(err)
	}
	if w := obs.waits["background"]; len(w) != 1 || w[0] < 2*time.Second {
		t.Fatalf("background waits %v, want one of 2 s or more", obs.waits)
	}
	if err := l.Pause(context.Background(), "a", ft.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := l.Take(context.Background(), "a", 1); !jarvis.IsCode(err, jarvis.ERATELIMITED) {
		t.Fatalf("paused: %v", err)
	}
	if obs.refused["interactive"] != 1 || obs.refused["background"] != 0 {
		t.Fatalf("refused %v, want one interactive", obs.refused)
	}
	tr := &quota.Transport{Limiter: l, Account: func(context.Context) (string, error) { return "b", nil },
		Base: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"3"}}, Body: http.NoBody}, nil
		})}
	req, _ := http.NewRequest("GET", "https://gmail.googleapis.com/gmail/v1/users/me/threads", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if obs.limited != 1 {
		t.Fatalf("Google's 429 counted %d times, want 1", obs.limited)
	}
}
