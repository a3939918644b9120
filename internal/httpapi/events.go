package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/events"
)

// maxStreamsPerUser bounds a user's open event streams in one process.
const maxStreamsPerUser = 8

// heartbeatEvery keeps proxies from closing an idle stream.
const heartbeatEvery = 25 * time.Second

func (s *Server) registerEventRoutes() {
	s.handle("GET /events", s.authed(s.eventStream))
}

// eventStream streams the user's changes as server-sent events:
// mail.changed, calendar.changed and sync.progress, each with JSON data
// naming the account; a comment every 25 s keeps the stream open. A reader
// too slow to keep up gets a reload event and the stream ends.
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
		case <-beat.C:
			fmt.Fprint(w, ": ping\n\n")
		case e, ok := <-sub.C:
			if !ok {
				if sub.Overflowed() {
					fmt.Fprint(w, "event: reload\ndata: {}\n\n")
					_ = rc.Flush()
				}
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, e.Data)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// EventBus is the user's event streams.
type EventBus interface {
	Subscribe(userID string) *events.Subscription
	Subscribers(userID string) int
}
