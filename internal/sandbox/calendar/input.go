package calendar

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/jarvis-hq/jarvis/internal/sandbox/wire"
)

// eventInput is an Event resource as insert, update and patch send it.
// Fields the sandbox does not keep (reminders, colorId, …) are accepted
// and ignored, as Google ignores what it cannot store.
type eventInput struct {
	ID           string          `json:"id"`
	ICalUID      string          `json:"iCalUID"`
	Status       string          `json:"status"`
	Summary      string          `json:"summary"`
	Description  string          `json:"description"`
	Location     string          `json:"location"`
	Start        *timeJSON       `json:"start"`
	End          *timeJSON       `json:"end"`
	Recurrence   []string        `json:"recurrence"`
	Attendees    []attendeeInput `json:"attendees"`
	Transparency string          `json:"transparency"`
	Visibility   string          `json:"visibility"`
	Sequence     *int            `json:"sequence"`
	Organizer    *personJSON     `json:"organizer"` // only the admin routes honour it
	// ConferenceData is honoured with conferenceDataVersion=1 only, as
	// Google does: a createRequest makes a Meet link, entry points carry
	// one over, null removes it.
	ConferenceData *conferenceInput `json:"conferenceData"`

	has        map[string]bool // the fields the body names
	nulls      map[string]bool // the fields the body sets to null
	conference bool            // conferenceDataVersion=1
}

type conferenceInput struct {
	CreateRequest *struct {
		RequestID             string `json:"requestId"`
		ConferenceSolutionKey struct {
			Type string `json:"type"`
		} `json:"conferenceSolutionKey"`
	} `json:"createRequest"`
	EntryPoints []entryPointJSON `json:"entryPoints"`
}

type attendeeInput struct {
	Email          string  `json:"email"`
	DisplayName    string  `json:"displayName"`
	Optional       bool    `json:"optional"`
	Resource       bool    `json:"resource"`
	ResponseStatus string  `json:"responseStatus"`
	Comment        *string `json:"comment"`
}

// decodeEvent reads an Event resource; a body that is not a JSON object
// is Google's 400 parseError.
func decodeEvent(data []byte) (*eventInput, *apiError) {
	var in eventInput
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, parseError()
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, parseError()
	}
	in.has, in.nulls = map[string]bool{}, map[string]bool{}
	for k, v := range fields {
		if !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			in.has[k] = true
		} else {
			in.nulls[k] = true
		}
	}
	return &in, nil
}

func parseError() *apiError {
	return &apiError{http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: "parseError", Message: "Parse Error"}}
}

func badField(reason, message string) *apiError {
	return &apiError{http.StatusBadRequest, wire.ErrorItem{Domain: "global", Reason: reason, Message: message}}
}

func calendarError(code int, reason, message string) *apiError {
	return &apiError{code, wire.ErrorItem{Domain: "calendar", Reason: reason, Message: message}}
}

// parseWhen reads an EventDateTime. A dateTime needs an offset unless
// timeZone names the zone it is read in; with both, the offset fixes the
// instant and the zone how a series repeats.
func parseWhen(t *timeJSON, field string) (when, *apiError) {
	switch {
	case t == nil || t.Date == "" && t.DateTime == "":
		return when{}, badField("required", fmt.Sprintf("Missing %s time.", field))
	case t.Date != "" && t.DateTime != "":
		return when{}, badField("invalid", fmt.Sprintf("Invalid %s time.", field))
	case t.Date != "":
		d, err := time.ParseInLocation(dateLayout, t.Date, time.UTC)
		if err != nil {
			return when{}, badField("invalid", fmt.Sprintf("Invalid %s time.", field))
		}
		return when{allDay: true, t: d}, nil
	}
	var loc *time.Location
	if t.TimeZone != "" {
		l, err := time.LoadLocation(t.TimeZone)
		if err != nil || t.TimeZone == "Local" {
			return when{}, calendarError(http.StatusBadRequest, "timeZoneInvalid", fmt.Sprintf("Invalid time zone definition for %s time.", field))
		}
		loc = l
	}
	if v, err := time.Parse(time.RFC3339Nano, t.DateTime); err == nil {
		if loc != nil {
			v = v.In(loc)
		}
		return when{t: v, tz: t.TimeZone}, nil
	}
	if loc == nil {
		return when{}, badField("required", fmt.Sprintf("Missing time zone definition for %s time.", field))
	}
	v, err := time.ParseInLocation("2006-01-02T15:04:05", t.DateTime, loc)
	if err != nil {
		return when{}, badField("invalid", fmt.Sprintf("Invalid %s time.", field))
	}
	return when{t: v, tz: t.TimeZone}, nil
}

// parseRecurrence reads the "recurrence" lines of a series that starts at
// start: RRULE, EXRULE-free RDATE and EXDATE lines as RFC 5545 writes them.
func parseRecurrence(lines []string, start when) (*recurrence, error) {
	if len(lines) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n")
	for _, l := range lines {
		l = strings.TrimSpace(l)
		name := strings.ToUpper(l[:strings.IndexAny(l+":", ":;")])
		if strings.ContainsAny(l, "\r\n") || name != "RRULE" && name != "RDATE" && name != "EXDATE" {
			return nil, fmt.Errorf("invalid recurrence line %q", l)
		}
		b.WriteString(l + "\r\n")
	}
	b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
	cal, err := ics.ParseCalendar(strings.NewReader(b.String()))
	if err != nil || len(cal.Events()) != 1 {
		return nil, fmt.Errorf("invalid recurrence")
	}
	fz := utcZone
	if start.tz != "" {
		fz = zone{loc: start.t.Location(), iana: start.tz}
	}
	p := &fileParser{name: "recurrence", zs: newZoneSet(cal), fz: fz}
	r, err := p.recurrence(cal.Events()[0], start)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("recurrence without RRULE or RDATE")
	}
	return r, nil
}

// apply writes the fields of in onto ev: all of them for update (absent
// ones are cleared), only those the body names for patch. Attendees who
// stay keep their response unless in gives one. It returns Google's 400
// for a value it cannot take.
func (in *eventInput) apply(ev *event, full bool) *apiError {
	set := func(f string) bool { return full || in.has[f] }
	if set("summary") {
		ev.summary = in.Summary
	}
	if set("description") {
		ev.description = in.Description
	}
	if set("location") {
		ev.location = in.Location
	}
	if set("status") {
		switch in.Status {
		case "", "confirmed":
			ev.status = "confirmed"
		case "tentative", "cancelled":
			ev.status = in.Status
		default:
			return badField("invalid", "Invalid value for: status")
		}
	}
	if set("transparency") {
		switch in.Transparency {
		case "", "opaque":
			ev.transparent = false
		case "transparent":
			ev.transparent = true
		default:
			return badField("invalid", "Invalid value for: transparency")
		}
	}
	if set("visibility") {
		switch in.Visibility {
		case "", "default":
			ev.visibility = ""
		case "public", "private", "confidential":
			ev.visibility = in.Visibility
		default:
			return badField("invalid", "Invalid value for: visibility")
		}
	}
	if set("start") {
		w, e := parseWhen(in.Start, "start")
		if e != nil {
			return e
		}
		ev.start = w
	}
	if set("end") {
		w, e := parseWhen(in.End, "end")
		if e != nil {
			return e
		}
		ev.end = w
	}
	if ev.start.allDay != ev.end.allDay {
		return badField("invalid", "Start and end times must either both be date or both be dateTime.")
	}
	if ev.end.t.Before(ev.start.t) || ev.start.allDay && !ev.end.t.After(ev.start.t) {
		return calendarError(http.StatusBadRequest, "timeRangeEmpty", "The specified time range is empty.")
	}
	if set("sequence") && in.Sequence != nil {
		if *in.Sequence < ev.sequence {
			return badField("invalid", "Invalid sequence value. The specified sequence number is below the current sequence number of the resource.")
		}
		ev.sequence = *in.Sequence
	}
	if set("attendees") {
		old := ev.attendees
		ev.attendees = nil
		for _, a := range in.Attendees {
			email := strings.TrimSpace(a.Email)
			if !strings.Contains(email, "@") || strings.ContainsAny(email, " <>,") {
				return badField("invalid", "Invalid attendee email.")
			}
			if slices.ContainsFunc(ev.attendees, func(x attendee) bool { return strings.EqualFold(x.email, email) }) {
				continue
			}
			at := attendee{person: person{email: email, name: a.DisplayName}, optional: a.Optional, resource: a.Resource, status: "needsAction"}
			if i := slices.IndexFunc(old, func(x attendee) bool { return strings.EqualFold(x.email, email) }); i >= 0 {
				at.status, at.comment = old[i].status, old[i].comment
				if at.name == "" {
					at.name = old[i].name
				}
			}
			if a.Comment != nil {
				at.comment = *a.Comment
			}
			switch a.ResponseStatus {
			case "":
			case "needsAction", "declined", "tentative", "accepted":
				at.status = a.ResponseStatus
			default:
				return badField("invalid", "Invalid attendee response status.")
			}
			ev.attendees = append(ev.attendees, at)
		}
	}
	if in.conference && (full || in.has["conferenceData"] || in.nulls["conferenceData"]) {
		if e := in.applyConference(ev); e != nil {
			return e
		}
	}
	if set("recurrence") || (in.has["start"] || full) && ev.rec != nil {
		lines := in.Recurrence
		if !set("recurrence") {
			lines = ev.rec.lines
		}
		if len(lines) > 0 && !ev.start.allDay && ev.start.tz == "" {
			return badField("required", "Missing time zone definition for start time.")
		}
		r, err := parseRecurrence(lines, ev.start)
		if err != nil {
			return badField("invalid", "Invalid recurrence rule.")
		}
		ev.rec = r
	}
	return nil
}

// significant is what makes a change worth a new SEQUENCE: when and where
// the event happens, what it is called and whether it happens.
func (e *event) significant() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%v|%v|%s|%s", e.status, e.summary, e.description, e.location,
		e.start.allDay, e.start.t.UnixNano(), e.end.t.Format(time.RFC3339Nano), e.start.tz)
	if e.rec != nil {
		b.WriteString("|" + strings.Join(e.rec.lines, "\n"))
	}
	return b.String()
}

// shared is everything an attendee may not change: all but the responses.
func (e *event) shared() string {
	var b strings.Builder
	b.WriteString(e.significant())
	fmt.Fprintf(&b, "|%v|%s", e.transparent, e.visibility)
	for _, a := range e.attendees {
		fmt.Fprintf(&b, "|%s/%v/%v", strings.ToLower(a.email), a.optional, a.resource)
	}
	return b.String()
}

// applyConference sets or removes the event's Meet link as
// conferenceData asks: a createRequest of type hangoutsMeet makes one
// (an event that has one keeps it), a video entry point names one, null
// or none removes it.
func (in *eventInput) applyConference(ev *event) *apiError {
	cd := in.ConferenceData
	switch {
	case cd == nil:
		ev.meet = ""
	case cd.CreateRequest != nil:
		if cd.CreateRequest.ConferenceSolutionKey.Type != "hangoutsMeet" {
			return badField("invalid", "Invalid conference type value.")
		}
		if cd.CreateRequest.RequestID == "" {
			return badField("invalid", "Invalid conference create request: requestId is required.")
		}
		if ev.meet == "" {
			ev.meet = newMeetLink()
		}
	default:
		ev.meet = ""
		for _, ep := range cd.EntryPoints {
			if ep.EntryPointType == "video" && meetURL.MatchString(ep.URI) {
				ev.meet = meetURL.FindString(ep.URI)
			}
		}
	}
	return nil
}

// newMeetLink makes a fresh Meet URL, xxx-yyyy-zzz.
func newMeetLink() string {
	var r [10]byte
	_, _ = rand.Read(r[:])
	var b strings.Builder
	for i, c := range r {
		if i == 3 || i == 7 {
			b.WriteByte('-')
		}
		b.WriteByte('a' + c%26)
	}
	return "https://meet.google.com/" + b.String()
}
