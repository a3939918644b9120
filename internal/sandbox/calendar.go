package sandbox

import (
	"bytes"
	"mime"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/calendar"
	"github.com/jarvis-hq/jarvis/internal/sandbox/mailbox"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// calendarBook is what the sandbox needs of package calendar's Book.
type calendarBook interface {
	AddAccount(email, name string)
	LoadICS(account, filename string, data []byte) error
	AddDemo(account string, peers []string)
	OnChange(func(account string))
	SetMailer(func(calendar.Mail))
	InvalidateSyncTokens(account string) int
	SetSyncTokenTTL(time.Duration)
	SyncTokenTTL() time.Duration
	Organize(body []byte, sendUpdates string) (*calendar.AdminResult, error)
	Change(id string, body []byte, following bool, sendUpdates string) (*calendar.AdminResult, error)
	Cancel(id, sendUpdates string) (*calendar.AdminResult, error)
	Respond(id, attendee, status, sendUpdates string) (*calendar.AdminResult, error)
	Snapshot() calendar.BookState
	Restore(calendar.BookState) error
	http.Handler
}

func newCalendar(now func() time.Time) calendarBook { return calendar.NewBook(now) }

// calendarMail delivers the book's invitations, updates, cancellations
// and replies: into the inbox of a sandbox account, into the outbox for
// any other address.
func (s *Server) calendarMail(m calendar.Mail) {
	s.count("calendar.mail")
	if a := s.byEmail[strings.ToLower(m.To)]; a != nil {
		a.mail.Deliver(append([]byte("Delivered-To: "+a.email+"\r\n"), mailbox.Received(m.Raw, mailbox.VerdictPass)...))
		return
	}
	item := outboxItem{From: m.From, To: []string{m.To}, Time: s.now(), Raw: string(m.Raw)}
	if msg, err := mail.ReadMessage(bytes.NewReader(m.Raw)); err == nil {
		item.MessageID = msg.Header.Get("Message-ID")
		item.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	}
	s.gm.mu.Lock()
	s.gm.outbox = append(s.gm.outbox, item)
	s.gm.mu.Unlock()
	s.changed()
}

// handleCalendar serves /calendar/v3/…: latency, faults and stats by the
// calendar method's name, then the bearer token and a calendar scope, then
// the Book answers for the token's account.
func (s *Server) handleCalendar(w http.ResponseWriter, r *http.Request) {
	if method, calID := calendarWatchRoute(r); method != "" {
		if !s.begin(w, r, method, false) {
			return
		}
		acct, fam, ok := s.authenticate(w, r)
		if !ok || !permitted(w, fam, calendarScopes(method)) {
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
	if !ok || !permitted(w, fam, calendarScopes(method)) {
		return
	}
	s.calendar.ServeHTTP(w, r.WithContext(calendar.WithAccount(r.Context(), acct.email)))
}

// InvalidateSyncTokens makes every Calendar sync token issued so far for
// the account (every account when email is "") answer 410
// fullSyncRequired. It returns how many calendars it touched, or an error
// for an unknown account.
func (s *Server) InvalidateSyncTokens(email string) (int, error) {
	if email != "" {
		a, err := s.account(email)
		if err != nil {
			return 0, err
		}
		email = a.email
	}
	s.count("sandbox.calendar.invalidate_sync_tokens")
	n := s.calendar.InvalidateSyncTokens(email)
	s.changed()
	return n, nil
}
