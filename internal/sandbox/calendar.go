package sandbox

import (
	"net/http"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// calendarBook is what the sandbox needs of package calendar's Book.
type calendarBook interface {
	AddAccount(email, name string)
	LoadICS(account, filename string, data []byte) error
	AddDemo(account string, peers []string)
	http.Handler
}

func newCalendar(now func() time.Time) calendarBook { return nil }

func (s *Server) handleCalendar(w http.ResponseWriter, r *http.Request) { wire.NotFound(w) }
