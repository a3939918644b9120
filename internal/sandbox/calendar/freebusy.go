package calendar

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

const (
	maxFreeBusyBody  = 1 << 20
	maxFreeBusyItems = 50 // Google's calendarExpansionMax
)

type freeBusyRequest struct {
	TimeMin  string `json:"timeMin"`
	TimeMax  string `json:"timeMax"`
	TimeZone string `json:"timeZone"`
	Items    []struct {
		ID string `json:"id"`
	} `json:"items"`
}

type periodJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type freeBusyCalendarJSON struct {
	Errors []freeBusyErrorJSON `json:"errors,omitempty"`
	Busy   []periodJSON        `json:"busy"`
}

type freeBusyErrorJSON struct {
	Domain string `json:"domain"`
	Reason string `json:"reason"`
}

type freeBusyJSON struct {
	Kind      string                          `json:"kind"`
	TimeMin   string                          `json:"timeMin"`
	TimeMax   string                          `json:"timeMax"`
	Calendars map[string]freeBusyCalendarJSON `json:"calendars"`
}

// span is a half-open interval of time.
type span struct {
	start, end time.Time
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(in []span) []span {
	s := slices.Clone(in)
	slices.SortFunc(s, func(a, b span) int { return a.start.Compare(b.start) })
	var out []span
	for _, x := range s {
		if !x.end.After(x.start) {
			continue
		}
		if n := len(out); n > 0 && !x.start.After(out[n-1].end) {
			if x.end.After(out[n-1].end) {
				out[n-1].end = x.end
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// busy is the calendar's busy time within [from, to): its events that are
// opaque, not cancelled and not declined by the calendar's owner, clipped
// to the window and merged.
func (c *calendar) busy(from, to time.Time) []span {
	var spans []span
	for _, en := range c.collect(&listQuery{from: from, to: to, single: true}) {
		e := en.ev
		if e.transparent || e.status == "cancelled" || e.selfStatus(c.id) == "declined" {
			continue
		}
		spans = append(spans, span{start: maxTime(en.start, from), end: minTime(en.end, to)})
	}
	return mergeSpans(spans)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// freeBusy answers freebusy.query. "primary" is the account's own calendar;
// any other id may name any account of the book (Google shows colleagues'
// free/busy); an unknown one gets a notFound entry instead of busy times.
func (b *Book) freeBusy(w http.ResponseWriter, r *http.Request, account string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFreeBusyBody+1))
	if err != nil || len(body) > maxFreeBusyBody {
		wire.Error(w, http.StatusBadRequest, "badRequest", "Request body too large or unreadable.")
		return
	}
	var req freeBusyRequest
	if err := json.Unmarshal(body, &req); err != nil {
		wire.Error(w, http.StatusBadRequest, "parseError", "Parse Error")
		return
	}
	for _, f := range []struct{ name, value string }{{"timeMin", req.TimeMin}, {"timeMax", req.TimeMax}} {
		if f.value == "" {
			wire.WriteError(w, http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "required", Message: "Missing " + f.name + " parameter.", Location: f.name, LocationType: "parameter"})
			return
		}
	}
	from, err1 := time.Parse(time.RFC3339Nano, req.TimeMin)
	to, err2 := time.Parse(time.RFC3339Nano, req.TimeMax)
	switch {
	case err1 != nil:
		invalid("timeMin", "Invalid value for: timeMin").write(w)
		return
	case err2 != nil:
		invalid("timeMax", "Invalid value for: timeMax").write(w)
		return
	case !to.After(from):
		timeRangeEmpty().write(w)
		return
	case len(req.Items) > maxFreeBusyItems:
		wire.WriteError(w, http.StatusBadRequest, wire.ErrorItem{Domain: "calendar", Reason: "tooManyCalendarsRequested", Message: "The number of calendars requested is too large."})
		return
	}
	out := time.UTC
	if req.TimeZone != "" {
		loc, err := time.LoadLocation(req.TimeZone)
		if err != nil || req.TimeZone == "Local" {
			invalid("timeZone", "Invalid time zone definition for time zone.").write(w)
			return
		}
		out = loc
	}

	resp := freeBusyJSON{Kind: "calendar#freeBusy", TimeMin: stamp(from), TimeMax: stamp(to), Calendars: map[string]freeBusyCalendarJSON{}}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, it := range req.Items {
		c := b.own(account, it.ID)
		if c == nil && it.ID != "primary" {
			c = b.lookup(it.ID)
		}
		if c == nil {
			resp.Calendars[it.ID] = freeBusyCalendarJSON{Errors: []freeBusyErrorJSON{{Domain: "global", Reason: "notFound"}}, Busy: []periodJSON{}}
			continue
		}
		fb := freeBusyCalendarJSON{Busy: []periodJSON{}}
		for _, s := range c.busy(from, to) {
			fb.Busy = append(fb.Busy, periodJSON{Start: s.start.In(out).Format(time.RFC3339), End: s.end.In(out).Format(time.RFC3339)})
		}
		resp.Calendars[it.ID] = fb
	}
	wire.WriteJSON(w, http.StatusOK, resp)
}
