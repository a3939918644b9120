package httpapi

import (
	"bytes"
	"io"
	"net/http"

	"github.com/jarvis-hq/jarvis"
)

// maxEventBody bounds an event write's body: a description of 8 KB, 100
// guests, 10 recurrence lines.
const maxEventBody = 64 << 10

func (s *Server) registerCalendarWriteRoutes() {
	s.handle("POST /calendar/events", s.google(s.createEvent))
	s.handle("PATCH /calendar/events/{id}", s.google(s.updateEvent))
	s.handle("DELETE /calendar/events/{id}", s.google(s.deleteEvent))
	s.handle("POST /calendar/events/{id}/rsvp", s.google(s.rsvpEvent))
	s.handle("POST /calendar/suggest", s.google(s.suggestMeeting))
}

// createEvent creates an event in one of the user's calendars: the user
// acting, so no approval is asked. With an Idempotency-Key, a repeat of
// the same request (to the same account) answers the first event again.
func (s *Server) createEvent(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if !s.canWriteCalendar(w, r) {
		return
	}
	ref, err := accountParam(r, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEventBody))
	if err != nil {
		s.Error(w, r, jsonError(err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in jarvis.EventCreate
	if err := decodeJSON(w, r, maxEventBody, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := in.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	account, err := s.findAccount(r, u.ID, ref)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.idempotent(w, r, u, jarvis.EventIdempotencyScope(account.ID), body, func() (int, any, error) {
		ev, err := s.CalendarWriter.CreateEvent(r.Context(), u.ID, account.ID, in)
		return http.StatusCreated, ev, err
	})
}

// updateEvent changes an event; scope (query or body) says how far in a
// series.
func (s *Server) updateEvent(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.eventTarget(w, r)
	if !ok {
		return
	}
	var in jarvis.EventUpdate
	if err := decodeJSON(w, r, maxEventBody, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if q := r.URL.Query().Get("scope"); q != "" {
		if in.Scope != "" && in.Scope != q {
			s.Error(w, r, jarvis.Invalid("scope", "scope is %q in the query and %q in the body: give it once.", q, in.Scope))
			return
		}
		in.Scope = q
	}
	if err := in.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	s.answer(w, r)(s.CalendarWriter.UpdateEvent(r.Context(), u.ID, account, id, in))
}

// deleteEvent cancels an event, an instance, it and the following ones, or
// a series, and answers it read back.
func (s *Server) deleteEvent(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.eventTarget(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	in := jarvis.EventDelete{Scope: q.Get("scope"), SendUpdates: q.Get("send_updates")}
	if err := in.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	s.answer(w, r)(s.CalendarWriter.DeleteEvent(r.Context(), u.ID, account, id, in))
}

// rsvpEvent answers an invitation for the user.
func (s *Server) rsvpEvent(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	id, account, ok := s.eventTarget(w, r)
	if !ok {
		return
	}
	var in jarvis.EventRSVP
	if s.decodeValid(w, r, &in) {
		s.answer(w, r)(s.CalendarWriter.RSVP(r.Context(), u.ID, account, id, in))
	}
}

// suggestMeeting proposes meeting times; account=all reads the busy time
// of every account of the user.
func (s *Server) suggestMeeting(w http.ResponseWriter, r *http.Request, u *jarvis.User) {
	if !s.canWriteCalendar(w, r) {
		return
	}
	account, err := accountParam(r, true)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in jarvis.MeetingRequest
	if s.decodeValid(w, r, &in) {
		out, err := s.CalendarWriter.Suggest(r.Context(), u.ID, account, in)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) canWriteCalendar(w http.ResponseWriter, r *http.Request) bool {
	if s.CalendarWriter == nil {
		s.unavailable(w, r, jarvis.EUPSTREAM, "Calendar changes")
		return false
	}
	return true
}

// eventTarget reads the event id and the account of a change, or answers
// the problem.
func (s *Server) eventTarget(w http.ResponseWriter, r *http.Request) (id, account string, ok bool) {
	if !s.canWriteCalendar(w, r) {
		return "", "", false
	}
	return s.itemTarget(w, r, func(id string) error {
		if err := (jarvis.EventTarget{EventID: id}).Validate(); err != nil {
			return jarvis.Invalid("id", "id must be an event id, as GET /calendar/upcoming lists it.")
		}
		return nil
	})
}

// decodeValid reads a JSON body into in and validates it, or answers the
// problem.
func (s *Server) decodeValid(w http.ResponseWriter, r *http.Request, in interface{ Validate() error }) bool {
	if err := decodeJSON(w, r, maxEventBody, in); err != nil {
		s.Error(w, r, err)
		return false
	}
	if err := in.Validate(); err != nil {
		s.Error(w, r, err)
		return false
	}
	return true
}

// answer writes a write's event, or its error.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) func(*jarvis.Event, error) {
	return func(ev *jarvis.Event, err error) {
		if err != nil {
			s.Error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, ev)
	}
}
