package sandbox

import (
	"net/http"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/calendar"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// calendarBook is what the sandbox needs of package calendar's Book.
type calendarBook interface {
	AddAccount(email, name string)
	LoadICS(account, filename string, data []byte) error
	AddDemo(account string, peers []string)
	OnChange(func(account string))
	http.Handler
}

func newCalendar(now func() time.Time) calendarBook { return calendar.NewBook(now) }

// handleCalendar serves /calendar/v3/…: latency, faults and stats by the
// calendar method's name, then the bearer token and a calendar scope, then
// the Book answers for the token's account.
func (s *Server) handleCalendar(w http.ResponseWriter, r *http.Request) {
	if method, calID := calendarWatchRoute(r); method != "" {
		if !s.begin(w, r, method, false) {
			return
		}
		acct, fam, ok := s.authenticate(w, r)
		if !ok || !permitted(w, fam, calendarRead) {
			return
		}
		if method == "calendar.channels.stop" {
			s.stopChannel(w, r, acct)
		} else {
			s.watchEvents(w, r, acct, calID)
		}
		return
	}
	method := calendar.MethodName(r)
	if method == "" {
		wire.NotFound(w)
		return
	}
	if !s.begin(w, r, method, false) {
		return
	}
	acct, fam, ok := s.authenticate(w, r)
	if !ok || !permitted(w, fam, calendarRead) {
		return
	}
	s.calendar.ServeHTTP(w, r.WithContext(calendar.WithAccount(r.Context(), acct.email)))
}
