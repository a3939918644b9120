package httpapi

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/events"
)

// maxStreamsPerUser bounds a user's open event streams in one process.
const maxStreamsPerUser = 8

// heartbeatEvery keeps proxies from closing an idle stream.
const heartbeatEvery = 25 * time.Second

// A stream ended by shutdown tells its browser to reconnect after
// shutdownRetryMin plus up to shutdownRetrySpread (the SSE retry field).
const (
	shutdownRetryMin    = time.Second
	shutdownRetrySpread = 2 * time.Second
)

func (s *Server) registerEventRoutes() {
	s.handle("GET /events", s.authed(s.eventStream))
}

// eventStream streams the user's changes as server-sent events:
// mail.changed, calendar.changed and sync.progress, each with JSON data
// naming the account; a comment every 25 s keeps the stream open. A reader
// too slow to keep up gets a reload event and the stream ends. At shutdown
// the stream ends with a retry field (1–3 s), so that the browser
// reconnects to another replica.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if s.Events == nil {
		s.unavailable(w, r, jarvis.EUNAVAILABLE, "The event stream")
		return
	}
	if s.Events.Subscribers(u.ID) >= maxStreamsPerUser {
		s.Error(w, r, &jarvis.Error{Code: jarvis.ERATELIMITED, RetryAfter: 10 * time.Second,
			Message: fmt.Sprintf("At most %d event streams per user are open at once: close one first.", maxStreamsPerUser)})
		return
	}
	tok := tokenFromContext(r.Context())
	sub := s.Events.Subscribe(u.ID)
	defer sub.Cancel()
	// The stream opens once it hears every replica.
	select {
	case <-sub.Ready():
	case <-time.After(10 * time.Second):
		s.Error(w, r, jarvis.Errorf(jarvis.EUNAVAILABLE, "The event stream cannot listen right now. Try again shortly."))
		return
	case <-r.Context().Done():
		return
	}
	// The stream ends when its token expires or is revoked: a logout
	// anywhere publishes auth.revoked, on which the stream checks its
	// token again, as it does at every heartbeat.
	var expiry <-chan time.Time
	if tok != nil && !tok.ExpiresAt.IsZero() {
		t := time.NewTimer(time.Until(tok.ExpiresAt))
		defer t.Stop()
		expiry = t.C
	}
	stillValid := func() bool {
		_, _, err := s.authenticate(r)
		return err == nil
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	_ = rc.Flush()
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-expiry:
			return
		case <-beat.C:
			if !stillValid() {
				return
			}
			fmt.Fprint(w, ": ping\n\n")
		case e, ok := <-sub.C:
			if !ok {
				switch {
				case sub.Overflowed():
					fmt.Fprint(w, "event: reload\ndata: {}\n\n")
				case sub.ShutDown():
					// This replica is going away: the browser is to
					// reconnect, through the load balancer to another one,
					// after a spread-out delay so that the streams of a
					// whole replica do not all come back at once.
					fmt.Fprintf(w, ": shutting down\nretry: %d\n\n", shutdownRetryMin.Milliseconds()+rand.Int64N(shutdownRetrySpread.Milliseconds()))
				}
				_ = rc.Flush()
				return
			}
			if e.Type == RevokedEvent {
				if !stillValid() {
					return
				}
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, e.Data)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// RevokedEvent is published to a user's streams, on every replica, when
// one or all of the user's tokens are revoked; each stream then checks its
// own token and ends if it is no longer valid. Browsers never see it.
const RevokedEvent = "auth.revoked"

// EventBus is the user's event streams.
type EventBus interface {
	Publish(ctx context.Context, userID, typ string, data any) error
	Subscribe(userID string) *events.Subscription
	Subscribers(userID string) int
}

// revokeStreams tells the user's open streams, on every replica, to check
// their tokens again after a logout.
func (s *Server) revokeStreams(r *http.Request, userID string) {
	if s.Events == nil {
		return
	}
	if err := s.Events.Publish(context.WithoutCancel(r.Context()), userID, RevokedEvent, struct{}{}); err != nil {
		s.log.Warn("could not tell the event streams of a logout", "err", err)
	}
}
