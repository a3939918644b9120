// Package push delivers the sandbox's HTTP notifications — Cloud Pub/Sub
// push messages and Calendar channel notifications — the way Google does:
// POSTs retried with exponential backoff until they succeed, expire or are
// cancelled. It also misbehaves on demand, as Google's delivery does now and
// then: it drops, duplicates, reorders and delays deliveries, and refuses
// to deliver for a while. Every attempt and its outcome is logged.
package push

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Outcomes of a delivery attempt, as the log names them.
const (
	Delivered = "delivered" // the receiver answered a success status
	Failed    = "failed"    // a status or error that is retried
	Rejected  = "rejected"  // a status that is not retried: given up
	Dropped   = "dropped"   // lost on purpose by the drop fault
	Refused   = "refused"   // not attempted during a refusal; retried
	Expired   = "expired"   // never delivered before its expiry
	Cancelled = "cancelled" // its subscription or channel went away
)

// Delivery is one notification to deliver.
type Delivery struct {
	Kind   string // "pubsub" or "calendar"
	Source string // the subscription or channel it belongs to; Cancel names it
	ID     string // the message id or message number, for the log
	URL    string
	Body   []byte
	// Header builds the request's headers at each attempt (a fresh token).
	Header func() http.Header
	// Retry reports whether a failed status is tried again; nil retries
	// every status that is not a success.
	Retry func(status int) bool
	// Success reports whether a status is a success; nil means 2xx.
	Success func(status int) bool
	// Expires is when it stops being retried; zero never.
	Expires time.Time
	// MinBackoff and MaxBackoff bound the retry delay; zero takes the
	// dispatcher's.
	MinBackoff, MaxBackoff time.Duration
}

// Faults make delivery misbehave. Probabilities are in [0,1].
type Faults struct {
	Drop      float64       // a delivery is lost
	Duplicate float64       // a delivery is made twice
	Reorder   float64       // a delivery is held back so that later ones overtake it
	Delay     time.Duration // every delivery waits this long first
	// RefuseUntil: until then no delivery is attempted; each one due is
	// logged as refused and retried with backoff.
	RefuseUntil time.Time
}

// reorderHold is how long a reordered delivery is held back.
const reorderHold = 2 * time.Second

// Config configures a Dispatcher.
type Config struct {
	Client *http.Client         // default: a client with a 30 s timeout
	Now    func() time.Time     // default time.Now
	Draw   func(p float64) bool // true with probability p; default never
	// MinBackoff and MaxBackoff bound the retry delay; default 10 s and
	// 600 s, Pub/Sub's.
	MinBackoff, MaxBackoff time.Duration
	// Count, when set, is told each outcome as "KIND.OUTCOME".
	Count func(name string)
	// LogSize is how many log entries are kept; default 1000.
	LogSize int
}

// Entry is one line of the delivery log.
type Entry struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	Source    string    `json:"source"`
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Attempt   int       `json:"attempt"`
	Outcome   string    `json:"outcome"`
	Status    int       `json:"status,omitempty"`
	Error     string    `json:"error,omitempty"`
	Duplicate bool      `json:"duplicate,omitempty"`
	Reordered bool      `json:"reordered,omitempty"`
	NextTry   time.Time `json:"next_try,omitzero"`
}

// item is a delivery waiting in the queue.
type item struct {
	d         Delivery
	seq       int64
	due       time.Time
	attempts  int
	held      bool // reordered
	duplicate bool
	inflight  bool
}

// Dispatcher delivers notifications on its own goroutines until Close.
type Dispatcher struct {
	cfg Config

	mu      sync.Mutex
	faults  Faults
	queue   []*item
	seq     int64
	log     []Entry
	logSeq  int64
	closed  bool
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	flushMu sync.Mutex
}

// New starts a dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Draw == nil {
		cfg.Draw = func(float64) bool { return false }
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 10 * time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(600*time.Second, cfg.MinBackoff)
	}
	if cfg.LogSize <= 0 {
		cfg.LogSize = 1000
	}
	d := &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1)}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.wg.Add(1)
	go d.loop()
	return d
}

// SetFaults replaces the faults in force.
func (d *Dispatcher) SetFaults(f Faults) {
	d.mu.Lock()
	d.faults = f
	d.mu.Unlock()
	d.poke()
}

// Faults returns the faults in force.
func (d *Dispatcher) Faults() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults
}

// SetBackoff replaces the default retry bounds; zero keeps one.
func (d *Dispatcher) SetBackoff(minB, maxB time.Duration) {
	d.mu.Lock()
	if minB > 0 {
		d.cfg.MinBackoff = minB
	}
	if maxB > 0 {
		d.cfg.MaxBackoff = maxB
	}
	d.cfg.MaxBackoff = max(d.cfg.MaxBackoff, d.cfg.MinBackoff)
	d.mu.Unlock()
}

// Backoff returns the default retry bounds.
func (d *Dispatcher) Backoff() (minB, maxB time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg.MinBackoff, d.cfg.MaxBackoff
}

// Enqueue schedules a delivery, drawing the drop, duplicate, reorder and
// delay faults. It never blocks on the network.
func (d *Dispatcher) Enqueue(dl Delivery) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	f := d.faults
	now := d.cfg.Now()
	if f.Drop > 0 && d.cfg.Draw(f.Drop) {
		d.record(Entry{At: now, Kind: dl.Kind, Source: dl.Source, ID: dl.ID, URL: dl.URL, Outcome: Dropped})
		d.mu.Unlock()
		return
	}
	copies := 1
	if f.Duplicate > 0 && d.cfg.Draw(f.Duplicate) {
		copies = 2
	}
	for i := range copies {
		d.seq++
		it := &item{d: dl, seq: d.seq, due: now.Add(f.Delay), duplicate: i == 1}
		if f.Reorder > 0 && d.cfg.Draw(f.Reorder) {
			it.held = true
			it.due = it.due.Add(reorderHold)
		}
		d.queue = append(d.queue, it)
	}
	d.mu.Unlock()
	d.poke()
}

// Cancel forgets the pending deliveries of a source (a deleted
// subscription, a stopped channel).
func (d *Dispatcher) Cancel(source string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.cfg.Now()
	d.queue = slices.DeleteFunc(d.queue, func(it *item) bool {
		if it.d.Source != source || it.inflight {
			return false
		}
		d.record(Entry{At: now, Kind: it.d.Kind, Source: it.d.Source, ID: it.d.ID, URL: it.d.URL, Attempt: it.attempts, Outcome: Cancelled})
		return true
	})
}

// Pending returns how many deliveries wait, in flight included.
func (d *Dispatcher) Pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue)
}

// Log returns the delivery log, oldest first.
func (d *Dispatcher) Log() []Entry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.log)
}

// record appends to the log. The caller holds d.mu.
func (d *Dispatcher) record(e Entry) {
	d.logSeq++
	e.Seq = d.logSeq
	e.At = e.At.UTC()
	if len(d.log) >= d.cfg.LogSize {
		d.log = slices.Delete(d.log, 0, len(d.log)-d.cfg.LogSize+1)
	}
	d.log = append(d.log, e)
	if d.cfg.Count != nil {
		d.cfg.Count(e.Kind + "." + e.Outcome)
	}
}

func (d *Dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Flush waits for the attempts in flight, then attempts every waiting
// delivery now, whatever its backoff, delay or reordering (reordered ones
// last), and returns the log entries written meanwhile. A refusal in force still
// refuses.
func (d *Dispatcher) Flush() []Entry {
	d.flushMu.Lock()
	defer d.flushMu.Unlock()
	d.mu.Lock()
	from := d.logSeq
	d.mu.Unlock()
	d.waitInflight() // an attempt under way may fail, and is then tried again here
	d.mu.Lock()
	var batch []*item
	for _, it := range d.queue {
		if !it.inflight {
			it.inflight = true
			batch = append(batch, it)
		}
	}
	d.mu.Unlock()
	slices.SortStableFunc(batch, func(a, b *item) int {
		switch {
		case a.held != b.held:
			if a.held {
				return 1
			}
			return -1
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	for _, it := range batch {
		d.attempt(it)
	}
	d.waitInflight()
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Entry
	for _, e := range d.log {
		if e.Seq > from {
			out = append(out, e)
		}
	}
	return out
}

// waitInflight waits until no delivery is in flight.
func (d *Dispatcher) waitInflight() {
	for {
		d.mu.Lock()
		busy := slices.ContainsFunc(d.queue, func(it *item) bool { return it.inflight })
		closed := d.closed
		d.mu.Unlock()
		if !busy || closed {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Close stops delivering: attempts in flight are cancelled and waited for.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

// pollEvery bounds the loop's sleep, so that a clock moved by a test is
// noticed.
const pollEvery = 200 * time.Millisecond

func (d *Dispatcher) loop() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		now := d.cfg.Now()
		var due []*item
		wait := pollEvery
		for _, it := range d.queue {
			if it.inflight {
				continue
			}
			if !it.due.After(now) {
				it.inflight = true
				due = append(due, it)
			} else if w := it.due.Sub(now); w < wait {
				wait = w
			}
		}
		d.mu.Unlock()
		for _, it := range due {
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				d.attempt(it)
			}()
		}
		t := time.NewTimer(wait)
		select {
		case <-d.ctx.Done():
			t.Stop()
			return
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// attempt makes one attempt of an item marked in flight, and settles it:
// removed when done, rescheduled with backoff otherwise.
func (d *Dispatcher) attempt(it *item) {
	d.mu.Lock()
	now := d.cfg.Now()
	it.attempts++
	e := Entry{At: now, Kind: it.d.Kind, Source: it.d.Source, ID: it.d.ID, URL: it.d.URL, Attempt: it.attempts, Duplicate: it.duplicate, Reordered: it.held}
	if !it.d.Expires.IsZero() && now.After(it.d.Expires) {
		e.Outcome = Expired
		d.settle(it, e, true)
		d.mu.Unlock()
		return
	}
	if now.Before(d.faults.RefuseUntil) {
		e.Outcome = Refused
		d.settle(it, e, false)
		d.mu.Unlock()
		return
	}
	d.mu.Unlock()

	status, err := d.post(it.d)
	success := it.d.Success
	if success == nil {
		success = func(s int) bool { return s >= 200 && s < 300 }
	}
	e.Status = status
	done := false
	switch {
	case err != nil:
		e.Outcome, e.Error = Failed, err.Error()
	case success(status):
		e.Outcome, done = Delivered, true
	case it.d.Retry == nil || it.d.Retry(status):
		e.Outcome = Failed
	default:
		e.Outcome, done = Rejected, true
	}
	d.mu.Lock()
	e.At = d.cfg.Now()
	d.settle(it, e, done)
	d.mu.Unlock()
}

// settle logs an attempt and removes or reschedules its item. The caller
// holds d.mu.
func (d *Dispatcher) settle(it *item, e Entry, done bool) {
	it.inflight = false
	if done || d.closed {
		d.queue = slices.DeleteFunc(d.queue, func(o *item) bool { return o == it })
	} else {
		minB, maxB := d.cfg.MinBackoff, d.cfg.MaxBackoff
		if it.d.MinBackoff > 0 {
			minB = it.d.MinBackoff
		}
		if it.d.MaxBackoff > 0 {
			maxB = max(it.d.MaxBackoff, minB)
		}
		wait := minB
		for i := 1; i < it.attempts && wait < maxB; i++ {
			wait *= 2
		}
		it.due = e.At.Add(min(wait, maxB))
		e.NextTry = it.due.UTC()
	}
	d.record(e)
}

// post sends one attempt.
func (d *Dispatcher) post(dl Delivery) (int, error) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, dl.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return 0, err
	}
	if dl.Header != nil {
		req.Header = dl.Header()
	}
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}
