package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/calendar"
	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// adminCalendarRoutes change calendars as someone else would: an
// organizer creates, moves or cancels an event, a guest answers it; and
// sync tokens are invalidated now. JSON only; ?sendUpdates= (all,
// externalOnly, none; default all) says who is mailed.
func (s *Server) adminCalendarRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /sandbox/calendar/events", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.calendar.create")
		body, ok := adminBody(w, r)
		if !ok {
			return
		}
		res, err := s.calendar.Organize(body, r.URL.Query().Get("sendUpdates"))
		adminCalendarAnswer(w, res, err)
	})
	mux.HandleFunc("POST /sandbox/calendar/events/{id}/move", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.calendar.move")
		body, ok := adminBody(w, r)
		if !ok {
			return
		}
		q := r.URL.Query()
		res, err := s.calendar.Change(r.PathValue("id"), body, q.Get("following") == "true", q.Get("sendUpdates"))
		adminCalendarAnswer(w, res, err)
	})
	mux.HandleFunc("POST /sandbox/calendar/events/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.calendar.cancel")
		res, err := s.calendar.Cancel(r.PathValue("id"), r.URL.Query().Get("sendUpdates"))
		adminCalendarAnswer(w, res, err)
	})
	mux.HandleFunc("POST /sandbox/calendar/events/{id}/respond", func(w http.ResponseWriter, r *http.Request) {
		s.count("sandbox.calendar.respond")
		var in struct {
			Attendee       string `json:"attendee"`
			ResponseStatus string `json:"responseStatus"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			wire.BadRequest(w, "body", `Send {"attendee": "…", "responseStatus": "accepted"}: `+err.Error())
			return
		}
		res, err := s.calendar.Respond(r.PathValue("id"), in.Attendee, in.ResponseStatus, r.URL.Query().Get("sendUpdates"))
		adminCalendarAnswer(w, res, err)
	})
	mux.HandleFunc("POST /sandbox/calendar/invalidate-sync-tokens", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Account string `json:"account"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBytes))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil && err != io.EOF {
			wire.BadRequest(w, "body", `Send {} or {"account": "…"}: `+err.Error())
			return
		}
		n, err := s.InvalidateSyncTokens(strings.TrimSpace(in.Account))
		if err != nil {
			wire.NotFound(w)
			return
		}
		wire.WriteJSON(w, http.StatusOK, map[string]int{"invalidated": n})
	})
}

func adminBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil || len(strings.TrimSpace(string(body))) == 0 {
		wire.BadRequest(w, "body", "Send the event as Calendar's JSON (an Event resource).")
		return nil, false
	}
	return body, true
}

func adminCalendarAnswer(w http.ResponseWriter, res *calendar.AdminResult, err error) {
	var ae *calendar.AdminError
	switch {
	case errors.As(err, &ae):
		wire.Error(w, ae.Status, strings.ToLower(http.StatusText(ae.Status)[:1])+strings.ReplaceAll(http.StatusText(ae.Status)[1:], " ", ""), ae.Message)
	case err != nil:
		wire.BadRequest(w, "body", err.Error())
	default:
		wire.WriteJSON(w, http.StatusOK, res)
	}
}
