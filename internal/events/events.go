// Package events tells a user's open dashboards what changed —
// mail.changed, calendar.changed, sync.progress — across every replica: a
// change published on one reaches a browser connected to another, through
// Redis pub/sub when Redis is configured, PostgreSQL's LISTEN/NOTIFY
// otherwise, or within the process on SQLite (one process).
package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
)

// Event is one change for one user.
type Event struct {
	UserID string          `json:"user_id"`
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data"`
}

// Transport carries events between replicas: Send hands one to every
// replica (this one included), each of which passes it to deliver.
type Transport interface {
	Send(ctx context.Context, payload []byte) error
	// Run receives until ctx ends, reconnecting as needed; it calls
	// listening once it first receives.
	Run(ctx context.Context, deliver func(payload []byte), listening func())
}

// bufferSize bounds each subscriber's backlog: a browser too slow to read
// it is told to reload rather than slowing the publishers.
const bufferSize = 64

// Bus publishes events and hands them to this process's subscribers.
type Bus struct {
	transport Transport
	log       *slog.Logger
	ctx       context.Context

	mu   sync.Mutex
	subs map[string]map[*Subscription]bool
	// stop ends the receiving, which runs only while this process has
	// subscribers (so that a replica with no open stream holds no
	// listening connection).
	stop  context.CancelFunc
	ready chan struct{} // closed once the transport listens
	// closed is set by Close: the process is shutting down, and a stream
	// opened from then on is closed at once.
	closed bool
}

// Subscription is one open stream of a user's events. C is closed when the
// subscriber fell behind (Overflowed) or was cancelled.
type Subscription struct {
	C          chan Event
	bus        *Bus
	userID     string
	once       sync.Once
	overflowed bool
	shutdown   bool
	ready      chan struct{}
}

// New returns a bus on the transport (nil: this process only). It
// receives from the transport while it has subscribers, until ctx ends.
func New(ctx context.Context, t Transport, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bus{transport: t, log: log, ctx: ctx, subs: map[string]map[*Subscription]bool{}}
}

// Publish sends an event to every replica's subscribers of the user. It
// implements the sync engine's Notifier.
func (b *Bus) Publish(ctx context.Context, userID, typ string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(Event{UserID: userID, Type: typ, Data: raw})
	if err != nil {
		return err
	}
	if len(payload) > MaxPayload {
		// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more: keep
		// the account, which is all a dashboard needs to refetch.
		payload, err = json.Marshal(Event{UserID: userID, Type: typ, Data: shrink(raw)})
		if err != nil {
			return err
		}
	}
	if b.transport == nil {
		b.deliver(payload)
		return nil
	}
	return b.transport.Send(ctx, payload)
}

// MaxPayload bounds an encoded event, under PostgreSQL's NOTIFY limit of
// 8000 bytes. A larger one is sent with only its account_id and
// "truncated": true.
const MaxPayload = 7000

func shrink(raw json.RawMessage) json.RawMessage {
	var fields map[string]json.RawMessage
	small := map[string]any{"truncated": true}
	if json.Unmarshal(raw, &fields) == nil {
		if id, ok := fields["account_id"]; ok && len(id) < 1024 {
			small["account_id"] = id
		}
	}
	out, _ := json.Marshal(small)
	return out
}

func (b *Bus) deliver(payload []byte) {
	var e Event
	if err := json.Unmarshal(payload, &e); err != nil || e.UserID == "" {
		b.log.Warn("an event that cannot be read was dropped")
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[e.UserID] {
		select {
		case s.C <- e:
		default:
			s.overflowed = true
			b.removeLocked(s)
		}
	}
}

// Subscribe opens a stream of the user's events; Cancel closes it.
func (b *Bus) Subscribe(userID string) *Subscription {
	s := &Subscription{C: make(chan Event, bufferSize), bus: b, userID: userID}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.shutdown = true
		s.once.Do(func() { close(s.C) })
		return s
	}
	if b.subs[userID] == nil {
		b.subs[userID] = map[*Subscription]bool{}
	}
	b.subs[userID][s] = true
	if b.transport != nil && b.stop == nil {
		ctx, stop := context.WithCancel(b.ctx)
		ready := make(chan struct{})
		var once sync.Once
		b.stop, b.ready = stop, ready
		go b.transport.Run(ctx, b.deliver, func() { once.Do(func() { close(ready) }) })
	}
	s.ready = b.ready
	return s
}

// Ready is closed once events published anywhere reach this stream (the
// transport listens); at once within one process.
func (s *Subscription) Ready() <-chan struct{} {
	if s.ready == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.ready
}

// Subscribers counts a user's open streams in this process.
func (b *Bus) Subscribers(userID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[userID])
}

// Streams counts every open stream in this process (for metrics).
func (b *Bus) Streams() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.subs {
		n += len(m)
	}
	return n
}

func (b *Bus) removeLocked(s *Subscription) {
	if m := b.subs[s.userID]; m[s] {
		delete(m, s)
		if len(m) == 0 {
			delete(b.subs, s.userID)
		}
		s.once.Do(func() { close(s.C) })
	}
	if len(b.subs) == 0 && b.stop != nil {
		b.stop()
		b.stop = nil
	}
}

// Cancel closes the stream.
func (s *Subscription) Cancel() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	s.bus.removeLocked(s)
}

// Overflowed reports whether the stream was closed because its reader fell
// behind.
func (s *Subscription) Overflowed() bool {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.overflowed
}

// ShutDown reports whether the stream was closed because the process is
// shutting down (Close): its reader should reconnect, to another replica.
func (s *Subscription) ShutDown() bool {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.shutdown
}

// Close ends every open stream, and every one opened later, with ShutDown
// true (at shutdown, so that the server need not wait for them and their
// readers reconnect elsewhere).
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, m := range b.subs {
		for s := range m {
			s.shutdown = true
			b.removeLocked(s)
		}
	}
}
