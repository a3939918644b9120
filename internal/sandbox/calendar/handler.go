package calendar

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// Google's method names, as MethodName reports them.
const (
	methodCalendarListList = "calendar.calendarList.list"
	methodCalendarListGet  = "calendar.calendarList.get"
	methodCalendarsGet     = "calendar.calendars.get"
	methodEventsList       = "calendar.events.list"
	methodEventsGet        = "calendar.events.get"
	methodEventsInstances  = "calendar.events.instances"
	methodFreeBusyQuery    = "calendar.freebusy.query"
	methodEventsInsert     = "calendar.events.insert"
	methodEventsUpdate     = "calendar.events.update"
	methodEventsPatch      = "calendar.events.patch"
	methodEventsDelete     = "calendar.events.delete"
)

// Writes reports whether a Calendar method, as MethodName names it,
// changes events.
func Writes(method string) bool {
	switch method {
	case methodEventsInsert, methodEventsUpdate, methodEventsPatch, methodEventsDelete:
		return true
	}
	return false
}

const pathPrefix = "/calendar/v3/"

// route is a parsed Calendar request: which method, on which ids.
type route struct {
	method   string
	calendar string // calendarId, percent-decoded
	event    string // eventId, percent-decoded
}

// parseRoute matches r against the Calendar paths the sandbox serves,
// decoding each path segment on its own so that "%2F" stays inside an id.
func parseRoute(r *http.Request) (route, bool) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), pathPrefix)
	if !ok {
		return route{}, false
	}
	raw := strings.Split(rest, "/")
	seg := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return route{}, false
		}
		seg[i] = u
	}
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	switch {
	case get && len(seg) == 3 && seg[0] == "users" && seg[1] == "me" && seg[2] == "calendarList":
		return route{method: methodCalendarListList}, true
	case get && len(seg) == 4 && seg[0] == "users" && seg[1] == "me" && seg[2] == "calendarList":
		return route{method: methodCalendarListGet, calendar: seg[3]}, true
	case get && len(seg) == 2 && seg[0] == "calendars":
		return route{method: methodCalendarsGet, calendar: seg[1]}, true
	case get && len(seg) == 3 && seg[0] == "calendars" && seg[2] == "events":
		return route{method: methodEventsList, calendar: seg[1]}, true
	case get && len(seg) == 4 && seg[0] == "calendars" && seg[2] == "events":
		return route{method: methodEventsGet, calendar: seg[1], event: seg[3]}, true
	case get && len(seg) == 5 && seg[0] == "calendars" && seg[2] == "events" && seg[4] == "instances":
		return route{method: methodEventsInstances, calendar: seg[1], event: seg[3]}, true
	case post && len(seg) == 3 && seg[0] == "calendars" && seg[2] == "events":
		return route{method: methodEventsInsert, calendar: seg[1]}, true
	case len(seg) == 4 && seg[0] == "calendars" && seg[2] == "events" && r.Method == http.MethodPut:
		return route{method: methodEventsUpdate, calendar: seg[1], event: seg[3]}, true
	case len(seg) == 4 && seg[0] == "calendars" && seg[2] == "events" && r.Method == http.MethodPatch:
		return route{method: methodEventsPatch, calendar: seg[1], event: seg[3]}, true
	case len(seg) == 4 && seg[0] == "calendars" && seg[2] == "events" && r.Method == http.MethodDelete:
		return route{method: methodEventsDelete, calendar: seg[1], event: seg[3]}, true
	case post && len(seg) == 1 && seg[0] == "freeBusy":
		return route{method: methodFreeBusyQuery}, true
	}
	return route{}, false
}

// MethodName names the Calendar API method r calls, the way Google's
// quota and audit logs do ("calendar.events.list"); "" when r is not a
// Calendar route the sandbox serves. Served: calendar.calendarList.list,
// calendar.calendarList.get, calendar.calendars.get, calendar.events.list,
// calendar.events.get, calendar.events.instances, calendar.freebusy.query,
// calendar.events.insert, calendar.events.update, calendar.events.patch,
// calendar.events.delete.
func MethodName(r *http.Request) string {
	rt, _ := parseRoute(r)
	return rt.method
}

// ServeHTTP answers a Calendar v3 request whose path starts with
// "/calendar/v3/" for the account WithAccount put in its context. Unknown
// routes get Google's 404; a calendar other than the account's own is 404
// too, as Google answers for calendars one cannot see.
func (b *Book) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := parseRoute(r)
	if !ok {
		wire.NotFound(w)
		return
	}
	account := accountFrom(r.Context())
	if account == "" {
		wire.WriteError(w, http.StatusUnauthorized, wire.ErrorItem{
			Domain: "global", Reason: "required", Message: "Login Required.",
			Location: "Authorization", LocationType: "header",
		})
		return
	}
	if rt.method == methodFreeBusyQuery {
		b.freeBusy(w, r, account)
		return
	}
	if Writes(rt.method) {
		b.serveWrite(w, r, account, rt)
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if rt.method == methodCalendarListList {
		b.calendarList(w, account)
		return
	}
	c := b.own(account, rt.calendar)
	if c == nil {
		wire.NotFound(w)
		return
	}
	q := r.URL.Query()
	switch rt.method {
	case methodCalendarListGet:
		wire.WriteJSON(w, http.StatusOK, c.listEntry())
	case methodCalendarsGet:
		wire.WriteJSON(w, http.StatusOK, c.resource())
	case methodEventsList:
		b.listEvents(w, c, account, q, "")
	case methodEventsInstances:
		b.listEvents(w, c, account, q, rt.event)
	case methodEventsGet:
		b.getEvent(w, c, account, q, rt.event)
	}
}

// own resolves a calendarId ("primary" or the account's email) to the
// account's calendar; nil for any other calendar.
func (b *Book) own(account, calendarID string) *calendar {
	if calendarID != "primary" && !strings.EqualFold(calendarID, account) {
		return nil
	}
	return b.lookup(account)
}

type calendarListJSON struct {
	Kind          string                  `json:"kind"`
	Etag          string                  `json:"etag"`
	NextSyncToken string                  `json:"nextSyncToken"`
	Items         []calendarListEntryJSON `json:"items"`
}

func (b *Book) calendarList(w http.ResponseWriter, account string) {
	out := calendarListJSON{Kind: "calendar#calendarList", Items: []calendarListEntryJSON{}}
	if c := b.lookup(account); c != nil {
		out.Items = append(out.Items, c.listEntry())
		out.Etag = etag(c.created, c.version)
		out.NextSyncToken = b.syncToken(c, c.version)
	}
	wire.WriteJSON(w, http.StatusOK, out)
}
