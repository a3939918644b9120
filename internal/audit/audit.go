// Package audit records audit rows. A Recorder fills in who, from where and
// in which request from the context, and writes the row either within the
// request or through a batching writer that flushes at least every 100 ms
// and on Close.
package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jarvis-hq/jarvis"
)

// FlushInterval bounds how long a batched row waits before it is written.
const FlushInterval = 100 * time.Millisecond

// maxBatch is the most rows written in one statement.
const maxBatch = 256

// Recorder implements jarvis.Auditor.
type Recorder struct {
	store  jarvis.AuditStore
	log    *slog.Logger
	now    func() time.Time
	async  bool
	ch     chan jarvis.AuditEntry
	flush  chan chan struct{}
	done   chan struct{}
	closed sync.Once
	mu     sync.RWMutex // held for reading while sending on ch, for writing to close it
	shut   bool
}

var _ jarvis.Auditor = (*Recorder)(nil)

// Options configure a Recorder.
type Options struct {
	// Async batches rows in memory and writes them at least every
	// FlushInterval; otherwise every row is written before Record returns.
	Async  bool
	Logger *slog.Logger
	Now    func() time.Time
}

// New returns a Recorder writing to store. Close it to flush.
func New(store jarvis.AuditStore, o Options) *Recorder {
	r := &Recorder{store: store, log: o.Logger, now: o.Now, async: o.Async}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.now == nil {
		r.now = func() time.Time { return time.Now().UTC() }
	}
	if r.async {
		r.ch = make(chan jarvis.AuditEntry, 4096)
		r.flush = make(chan chan struct{})
		r.done = make(chan struct{})
		go r.run()
	}
	return r
}

// Record completes e from ctx — actor, org, request id, client — and writes
// it. It never fails the caller: a row that cannot be written is logged.
func (r *Recorder) Record(ctx context.Context, e jarvis.AuditEntry) {
	if e.OccurredAt.IsZero() {
		e.OccurredAt = r.now().UTC()
	}
	if u := jarvis.UserFromContext(ctx); u != nil {
		if e.ActorUserID == "" {
			e.ActorUserID = u.ID
		}
		if e.OrgID == "" {
			e.OrgID = u.PersonalOrgID
		}
	}
	if e.RequestID == "" {
		e.RequestID = jarvis.RequestIDFromContext(ctx)
	}
	if c := jarvis.ClientFromContext(ctx); e.IP == "" && e.UserAgent == "" {
		e.IP, e.UserAgent = c.IP, c.UserAgent
	}
	if e.Outcome == "" {
		e.Outcome = jarvis.OutcomeSuccess
	}
	if r.async {
		r.mu.RLock()
		defer r.mu.RUnlock()
		if !r.shut {
			r.ch <- e
			return
		}
	}
	// A row must outlive a request that was cancelled after the action.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.store.InsertAudit(wctx, e); err != nil {
		r.log.ErrorContext(ctx, "audit row not written", "action", e.Action, "err", err)
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	batch := make([]jarvis.AuditEntry, 0, maxBatch)
	tick := time.NewTicker(FlushInterval)
	defer tick.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := r.store.InsertAudit(ctx, batch...); err != nil {
			r.log.Error("audit rows not written", "rows", len(batch), "err", err)
		}
		cancel()
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-r.ch:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) == maxBatch {
				flush()
			}
		case <-tick.C:
			flush()
		case ack := <-r.flush:
			// Everything recorded before Flush was called is in ch ahead of
			// this request, or already in the batch: drain, then write.
			for drained := false; !drained; {
				select {
				case e := <-r.ch:
					batch = append(batch, e)
				default:
					drained = true
				}
			}
			flush()
			close(ack)
		}
	}
}

// Flush writes every row recorded so far before it returns. With the
// synchronous writer there is nothing to do.
func (r *Recorder) Flush() {
	if !r.async {
		return
	}
	r.mu.RLock()
	if r.shut {
		r.mu.RUnlock()
		return
	}
	ack := make(chan struct{})
	r.flush <- ack
	r.mu.RUnlock()
	<-ack
}

// Close writes every pending row and stops the batching writer.
func (r *Recorder) Close() error {
	if !r.async {
		return nil
	}
	r.closed.Do(func() {
		r.mu.Lock()
		r.shut = true
		close(r.ch)
		r.mu.Unlock()
		<-r.done
	})
	return nil
}
