package jarvis

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How far an event change reaches in a recurring series.
const (
	// ScopeInstance changes one instance of a series.
	ScopeInstance = "instance"
	// ScopeFollowing changes an instance and every one after it: the
	// series ends before it and a new series starts there, as Google
	// Calendar's "this and following events" does.
	ScopeFollowing = "following"
	// ScopeSeries changes the whole series.
	ScopeSeries = "series"
)

// Whom Google mails about an event change (Calendar's sendUpdates).
const (
	SendUpdatesAll      = "all"
	SendUpdatesExternal = "externalOnly"
	SendUpdatesNone     = "none"
)

// Responses to an invitation.
const (
	ResponseAccepted  = "accepted"
	ResponseDeclined  = "declined"
	ResponseTentative = "tentative"
)

// Bounds of an event write.
const (
	maxSummary         = 1024
	maxDescription     = 8192
	maxLocation        = 1024
	maxEventAttendees  = 100
	maxRecurrenceLines = 10
	maxRSVPComment     = 1024
	maxEventSpan       = 366 * 24 * time.Hour
)

// EventCreate is a new event of the user's primary calendar. Timed events
// need TimeZone, an IANA zone: Start and End are wall-clock times in it
// (2026-12-01T09:00) or RFC 3339 instants; all-day events give dates
// (2026-12-01, End exclusive) and TimeZone is optional.
type EventCreate struct {
	Summary     string   `json:"summary" doc:"The title, at most 1024 characters."`
	Description string   `json:"description,omitempty" doc:"At most 8192 characters."`
	Location    string   `json:"location,omitempty" doc:"At most 1024 characters."`
	Start       string   `json:"start" doc:"A wall-clock time in time_zone (2026-12-01T09:00), an RFC 3339 instant, or a date (2026-12-01) for an all-day event."`
	End         string   `json:"end" doc:"As start, of the same kind; after it. For an all-day event the day after the last (exclusive)."`
	TimeZone    string   `json:"time_zone,omitempty" doc:"IANA time zone (America/New_York): required for timed events; a series repeats at the same wall-clock time in it."`
	Attendees   []string `json:"attendees,omitempty" doc:"Guests' email addresses, at most 100."`
	Recurrence  []string `json:"recurrence,omitempty" doc:"RFC 5545 lines: RRULE:, RDATE and EXDATE, at most 10 (RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10)."`
	SendUpdates string   `json:"send_updates,omitempty" doc:"Whom Google mails the invitation: all, externalOnly or none (the default, as Google's)."`
	Meet        bool     `json:"meet,omitempty" doc:"Add a Google Meet link."`
}

// EventUpdate changes an event: only the fields given change. Scope says
// how far the change reaches in a recurring series; empty means what the
// id names (an instance, or the series).
type EventUpdate struct {
	Scope       string    `json:"scope,omitempty" doc:"instance, following or series; default: what the id names."`
	Summary     *string   `json:"summary,omitempty" doc:"The new title."`
	Description *string   `json:"description,omitempty" doc:"The new description."`
	Location    *string   `json:"location,omitempty" doc:"The new location."`
	Start       *string   `json:"start,omitempty" doc:"The new start, as a create's; the end follows, keeping the length, unless end is given too."`
	End         *string   `json:"end,omitempty" doc:"The new end, as a create's."`
	TimeZone    string    `json:"time_zone,omitempty" doc:"IANA time zone of start and end: required with a timed start or end."`
	Attendees   *[]string `json:"attendees,omitempty" doc:"The guests' addresses, replacing the list; guests who stay keep their response."`
	Recurrence  *[]string `json:"recurrence,omitempty" doc:"The series' new RRULE/RDATE/EXDATE lines (not with scope instance)."`
	SendUpdates string    `json:"send_updates,omitempty" doc:"all, externalOnly or none (default)."`
	Meet        *bool     `json:"meet,omitempty" doc:"true adds a Google Meet link; false removes it."`
}

// EventDelete cancels an event: one instance, it and the following ones,
// or the series.
type EventDelete struct {
	Scope       string `json:"scope,omitempty" doc:"instance, following or series; default: what the id names."`
	SendUpdates string `json:"send_updates,omitempty" doc:"all, externalOnly or none (default)."`
}

// EventRSVP is the user's answer to an invitation: their own attendee
// entry, at the organizer too.
type EventRSVP struct {
	Response    string `json:"response" doc:"accepted, declined or tentative."`
	Comment     string `json:"comment,omitempty" doc:"A note to the organizer, at most 1024 characters."`
	SendUpdates string `json:"send_updates,omitempty" doc:"all (default: the organizer is mailed the answer), externalOnly or none."`
}

// TimeWindow is a span of time as a request gives it: RFC 3339 instants.
type TimeWindow struct {
	Start string `json:"start" doc:"RFC 3339."`
	End   string `json:"end" doc:"RFC 3339, after start."`
}

// MeetingRequest asks for meeting times free for the user and the
// attendees, within the owner's working hours.
type MeetingRequest struct {
	Attendees       []string    `json:"attendees" doc:"The other participants' addresses, at most 49."`
	DurationMinutes int         `json:"duration_minutes" doc:"5 to 480."`
	Within          *TimeWindow `json:"within,omitempty" doc:"Where to look, at most 62 days; default: the next 7 days."`
	MaxResults      int         `json:"max_results,omitempty" doc:"1 to 50, default 10."`
}

// MeetingSlot is a proposed meeting time.
type MeetingSlot struct {
	Start      string `json:"start" doc:"RFC 3339 in UTC."`
	End        string `json:"end" doc:"RFC 3339 in UTC."`
	StartLocal string `json:"start_local" doc:"The start in the working hours' time zone, RFC 3339 with its offset."`
	EndLocal   string `json:"end_local" doc:"The end, as start_local."`
}

// MeetingSuggestions are the proposed times, earliest first, none
// overlapping another.
type MeetingSuggestions struct {
	Account      *AccountRef   `json:"account" doc:"The account whose calendar was read (the primary's time zone, with account=all)."`
	TimeZone     string        `json:"time_zone" doc:"The time zone of the working hours and of the local times."`
	WorkingHours WorkingHours  `json:"working_hours" doc:"The working hours the proposals fall within."`
	Proposals    []MeetingSlot `json:"proposals" doc:"Earliest first; empty when nothing fits."`
	// Unknown are attendees whose free/busy Google would not show: the
	// proposals do not account for them.
	Unknown []string `json:"unknown_attendees" doc:"Attendees whose free/busy time Google does not show (outside the organisation, or unknown): the proposals cannot account for them."`
}

// CalendarWriter changes the primary calendar of one of the user's Google
// accounts (account as CalendarService's; never AllAccounts, except for
// Suggest, which then reads every account's busy time). Every write
// answers the event as Google stored it, read back. Errors: EINVALID
// naming the field; ENOTFOUND for an event the account's calendar does not
// have; ESCOPEMISSING, naming the account, when its grant may not change
// events; and MailService's others.
type CalendarWriter interface {
	CreateEvent(ctx context.Context, userID, account string, in EventCreate) (*Event, error)
	// UpdateEvent changes an event, an instance, it and the following ones
	// (answering the new series), or a series.
	UpdateEvent(ctx context.Context, userID, account, eventID string, in EventUpdate) (*Event, error)
	// DeleteEvent cancels an event and answers it read back: cancelled, or
	// for ScopeFollowing the series, ended before the instance.
	DeleteEvent(ctx context.Context, userID, account, eventID string, in EventDelete) (*Event, error)
	// RSVP sets the user's own response; ECONFLICT when the user is not a
	// guest of the event.
	RSVP(ctx context.Context, userID, account, eventID string, in EventRSVP) (*Event, error)
	// Suggest proposes meeting times.
	Suggest(ctx context.Context, userID, account string, in MeetingRequest) (*MeetingSuggestions, error)
}

// EventTarget names the event an action changes, in the payloads of the
// calendar.event.update, delete and rsvp actions.
type EventTarget struct {
	Account string `json:"account,omitempty" doc:"The account id or email; default: the primary."`
	EventID string `json:"event_id" doc:"The event's id, as Google gives it."`
}

// Validate checks the event id's form.
func (t EventTarget) Validate() error {
	if t.EventID == "" || len(t.EventID) > 1024 || strings.ContainsFunc(t.EventID, func(r rune) bool { return r <= ' ' || r == '/' || r == 0x7f }) {
		return Invalid("event_id", "event_id must be an event id, as Google gives it.")
	}
	if t.Account == AllAccounts {
		return Invalid("account", "An event is changed in one account: name it, or leave account out for the primary.")
	}
	return nil
}

// The payloads of the calendar actions: the REST route's input with the
// account (and event) it acts on.
type (
	EventCreateAction struct {
		Account string `json:"account,omitempty" doc:"The account id or email; default: the primary."`
		EventCreate
	}
	EventUpdateAction struct {
		EventTarget
		EventUpdate
	}
	EventDeleteAction struct {
		EventTarget
		EventDelete
	}
	EventRSVPAction struct {
		EventTarget
		EventRSVP
	}
)

func (a EventCreateAction) Validate() error {
	if a.Account == AllAccounts {
		return Invalid("account", "An event is created in one account: name it, or leave account out for the primary.")
	}
	return a.EventCreate.Validate()
}

func (a EventUpdateAction) Validate() error {
	if err := a.EventTarget.Validate(); err != nil {
		return err
	}
	return a.EventUpdate.Validate()
}

func (a EventDeleteAction) Validate() error {
	if err := a.EventTarget.Validate(); err != nil {
		return err
	}
	return a.EventDelete.Validate()
}

func (a EventRSVPAction) Validate() error {
	if err := a.EventTarget.Validate(); err != nil {
		return err
	}
	return a.EventRSVP.Validate()
}

// Validate checks a new event before any call to Google. EINVALID names
// the field.
func (in EventCreate) Validate() error {
	if err := validText(in.Summary, in.Description, in.Location); err != nil {
		return err
	}
	if in.Start == "" {
		return Invalid("start", "start is required: a wall-clock time in time_zone (2026-12-01T09:00), an RFC 3339 instant, or a date for an all-day event.")
	}
	if in.End == "" {
		return Invalid("end", "end is required, of the same kind as start.")
	}
	if _, _, err := ParseEventSpan(in.Start, in.End, in.TimeZone); err != nil {
		return err
	}
	if err := validAttendees(in.Attendees); err != nil {
		return err
	}
	if err := ValidateRecurrence(in.Recurrence); err != nil {
		return err
	}
	return validSendUpdates(in.SendUpdates)
}

// Validate checks a change before any call to Google: at least one field,
// each as a create's. EINVALID names the field.
func (in EventUpdate) Validate() error {
	if err := validScope(in.Scope); err != nil {
		return err
	}
	if in.Summary == nil && in.Description == nil && in.Location == nil && in.Start == nil && in.End == nil &&
		in.Attendees == nil && in.Recurrence == nil && in.Meet == nil {
		if in.TimeZone != "" {
			return Invalid("start", "time_zone changes only with start and end: give them in the new zone.")
		}
		return Invalid("body", "Give at least one field to change: summary, description, location, start, end, attendees, recurrence or meet.")
	}
	if err := validText(deref(in.Summary), deref(in.Description), deref(in.Location)); err != nil {
		return err
	}
	switch {
	case in.Start != nil && in.End != nil:
		if _, _, err := ParseEventSpan(*in.Start, *in.End, in.TimeZone); err != nil {
			return err
		}
	case in.Start != nil || in.End != nil:
		field, v := "start", in.Start
		if v == nil {
			field, v = "end", in.End
		}
		if _, _, err := ParseEventTime(field, *v, in.TimeZone); err != nil {
			return err
		}
	case in.TimeZone != "":
		return Invalid("start", "time_zone changes only with start and end: give them in the new zone.")
	}
	if in.Attendees != nil {
		if err := validAttendees(*in.Attendees); err != nil {
			return err
		}
	}
	if in.Recurrence != nil {
		if in.Scope == ScopeInstance {
			return Invalid("recurrence", "One instance of a series cannot recur: change the recurrence with scope series or following.")
		}
		if err := ValidateRecurrence(*in.Recurrence); err != nil {
			return err
		}
	}
	return validSendUpdates(in.SendUpdates)
}

// Validate checks a cancellation's scope and send_updates.
func (in EventDelete) Validate() error {
	if err := validScope(in.Scope); err != nil {
		return err
	}
	return validSendUpdates(in.SendUpdates)
}

// Validate checks an answer: accepted, declined or tentative, a comment
// of at most 1024 characters.
func (in EventRSVP) Validate() error {
	switch in.Response {
	case ResponseAccepted, ResponseDeclined, ResponseTentative:
	default:
		return Invalid("response", "response must be accepted, declined or tentative.")
	}
	if len(in.Comment) > maxRSVPComment {
		return Invalid("comment", "comment has %d bytes; at most %d.", len(in.Comment), maxRSVPComment)
	}
	return validSendUpdates(in.SendUpdates)
}

// Meeting request bounds.
const (
	maxSuggestAttendees = 49 // Google's freebusy.query takes 50 calendars, the user's own among them
	maxSuggestWindow    = 62 * 24 * time.Hour
	// DefaultSuggestWindow is where Suggest looks without a window.
	DefaultSuggestWindow = 7 * 24 * time.Hour
	// DefaultSuggestions is how many proposals Suggest makes by default.
	DefaultSuggestions = 10
)

// Validate checks a meeting request: the attendees' addresses, the
// duration, and the window. EINVALID names the field.
func (in MeetingRequest) Validate() error {
	if len(in.Attendees) > maxSuggestAttendees {
		return Invalid("attendees", "attendees has %d addresses; at most %d.", len(in.Attendees), maxSuggestAttendees)
	}
	if err := validAttendees(in.Attendees); err != nil {
		return err
	}
	if in.DurationMinutes < 5 || in.DurationMinutes > 480 {
		return Invalid("duration_minutes", "duration_minutes must be 5 to 480.")
	}
	if in.MaxResults < 0 || in.MaxResults > 50 {
		return Invalid("max_results", "max_results must be 1 to 50.")
	}
	if in.Within != nil {
		if _, _, err := in.Within.Parse(); err != nil {
			return err
		}
	}
	return nil
}

// Parse reads the window: RFC 3339 instants, end after start, at most 62
// days apart. EINVALID names within.start or within.end.
func (w TimeWindow) Parse() (start, end time.Time, _ error) {
	start, err := time.Parse(time.RFC3339, w.Start)
	if err != nil {
		return start, end, Invalid("within.start", "within.start must be an RFC 3339 instant (2026-12-01T09:00:00Z).")
	}
	end, err = time.Parse(time.RFC3339, w.End)
	if err != nil {
		return start, end, Invalid("within.end", "within.end must be an RFC 3339 instant (2026-12-08T17:00:00Z).")
	}
	if !end.After(start) {
		return start, end, Invalid("within.end", "within.end must be after within.start.")
	}
	if end.Sub(start) > maxSuggestWindow {
		return start, end, Invalid("within.end", "The window spans at most 62 days.")
	}
	return start.UTC(), end.UTC(), nil
}

// EventTime is one end of an event as the user gave it: a date (all-day)
// or an instant with the zone it is read in.
type EventTime struct {
	AllDay bool
	// Date is YYYY-MM-DD for an all-day time.
	Date string
	// Time is the instant of a timed one, in its zone.
	Time time.Time
}

// LoadZone reads an IANA time zone name; EINVALID naming field when it is
// not one.
func LoadZone(field, name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, Invalid(field, "%s must be an IANA time zone such as America/New_York.", field)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Invalid(field, "%q is not a known IANA time zone (such as America/New_York).", name)
	}
	return loc, nil
}

// ParseEventTime reads a start or end: a date (YYYY-MM-DD) for an all-day
// event; else a wall-clock time in zone (2026-12-01T09:00[:00]) or an RFC
// 3339 instant, for which zone, an IANA zone, is required all the same: a
// series repeats at the same wall-clock time in it. EINVALID names field,
// or time_zone.
func ParseEventTime(field, s, zone string) (EventTime, *time.Location, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		var loc *time.Location
		if zone != "" {
			l, err := LoadZone("time_zone", zone)
			if err != nil {
				return EventTime{}, nil, err
			}
			loc = l
		}
		return EventTime{AllDay: true, Date: d.Format(time.DateOnly)}, loc, nil
	}
	if zone == "" {
		return EventTime{}, nil, Invalid("time_zone", "time_zone is required for a timed event: an IANA time zone such as America/New_York.")
	}
	loc, err := LoadZone("time_zone", zone)
	if err != nil {
		return EventTime{}, nil, err
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return EventTime{Time: t.In(loc)}, loc, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return EventTime{Time: t}, loc, nil
		}
	}
	return EventTime{}, nil, Invalid(field, "%s must be a wall-clock time in time_zone (2026-12-01T09:00), an RFC 3339 instant, or a date (2026-12-01).", field)
}

// ParseEventSpan reads a start and an end of the same kind, the end after
// the start, at most a year apart.
func ParseEventSpan(start, end, zone string) (EventTime, EventTime, error) {
	st, _, err := ParseEventTime("start", start, zone)
	if err != nil {
		return st, EventTime{}, err
	}
	en, _, err := ParseEventTime("end", end, zone)
	if err != nil {
		return st, en, err
	}
	if err := CheckEventSpan(st, en); err != nil {
		return st, en, err
	}
	return st, en, nil
}

// CheckEventSpan checks that start and end are of one kind, the end after
// the start, at most a year apart; EINVALID names end.
func CheckEventSpan(st, en EventTime) error {
	if st.AllDay != en.AllDay {
		return Invalid("end", "start and end must both be dates (an all-day event) or both times.")
	}
	var span time.Duration
	if st.AllDay {
		a, _ := time.Parse(time.DateOnly, st.Date)
		b, _ := time.Parse(time.DateOnly, en.Date)
		span = b.Sub(a)
	} else {
		span = en.Time.Sub(st.Time)
	}
	if span <= 0 {
		return Invalid("end", "end must be after start (for an all-day event, the day after the last day).")
	}
	if span > maxEventSpan {
		return Invalid("end", "An event lasts at most a year.")
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func validText(summary, description, location string) error {
	for _, f := range []struct {
		name, v string
		max     int
	}{{"summary", summary, maxSummary}, {"description", description, maxDescription}, {"location", location, maxLocation}} {
		if len(f.v) > f.max {
			return Invalid(f.name, "%s has %d bytes; at most %d.", f.name, len(f.v), f.max)
		}
	}
	return nil
}

func validScope(s string) error {
	switch s {
	case "", ScopeInstance, ScopeFollowing, ScopeSeries:
		return nil
	}
	return Invalid("scope", "scope must be instance, following or series.")
}

func validSendUpdates(s string) error {
	switch s {
	case "", SendUpdatesAll, SendUpdatesExternal, SendUpdatesNone:
		return nil
	}
	return Invalid("send_updates", "send_updates must be all, externalOnly or none.")
}

// validAttendees checks guests' addresses: at most 100, each a bare
// address (name@domain).
func validAttendees(list []string) error {
	if len(list) > maxEventAttendees {
		return Invalid("attendees", "attendees has %d addresses; at most %d.", len(list), maxEventAttendees)
	}
	for _, a := range list {
		local, domain, ok := strings.Cut(a, "@")
		if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(a) > 254 ||
			strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || strings.ContainsRune(`<>,;:"()[]\`, r) || r == 0x7f }) {
			if len(a) > 60 {
				a = a[:60] + "…"
			}
			return Invalid("attendees", "%q is not an email address (name@example.com).", a)
		}
	}
	return nil
}

// RRULE parts and the values each takes.
var rruleParts = map[string]func(string) bool{
	"FREQ": func(v string) bool {
		return slices.Contains([]string{"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}, v)
	},
	"UNTIL":      func(v string) bool { return isICalDate(v) || isICalDateTime(v) },
	"COUNT":      intIn(1, 10000),
	"INTERVAL":   intIn(1, 1000),
	"BYSECOND":   listOf(intIn(0, 60)),
	"BYMINUTE":   listOf(intIn(0, 59)),
	"BYHOUR":     listOf(intIn(0, 23)),
	"BYDAY":      listOf(isByDay),
	"BYMONTHDAY": listOf(signedIn(1, 31)),
	"BYYEARDAY":  listOf(signedIn(1, 366)),
	"BYWEEKNO":   listOf(signedIn(1, 53)),
	"BYMONTH":    listOf(intIn(1, 12)),
	"BYSETPOS":   listOf(signedIn(1, 366)),
	"WKST":       isWeekday,
}

// ValidateRecurrence checks a series' recurrence lines as RFC 5545 writes
// them: RRULE:FREQ=…, RDATE and EXDATE (with ;TZID= or ;VALUE=DATE), at
// most 10, at least one RRULE or RDATE. EINVALID names recurrence.
func ValidateRecurrence(lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	if len(lines) > maxRecurrenceLines {
		return Invalid("recurrence", "recurrence has %d lines; at most %d.", len(lines), maxRecurrenceLines)
	}
	repeats := false
	for _, l := range lines {
		bad := func(why string) error {
			if len(l) > 80 {
				l = l[:80] + "…"
			}
			return Invalid("recurrence", "%q is not a recurrence line: %s", l, why)
		}
		head, value, ok := strings.Cut(l, ":")
		if !ok || value == "" || strings.ContainsAny(l, "\r\n") {
			return bad("write RRULE:FREQ=WEEKLY;BYDAY=MO, RDATE:… or EXDATE:….")
		}
		name, params, _ := strings.Cut(head, ";")
		switch strings.ToUpper(name) {
		case "RRULE":
			if params != "" {
				return bad("RRULE takes no parameters.")
			}
			seen := map[string]bool{}
			for _, p := range strings.Split(value, ";") {
				k, v, _ := strings.Cut(p, "=")
				check, known := rruleParts[strings.ToUpper(k)]
				if !known || seen[strings.ToUpper(k)] || !check(strings.ToUpper(v)) {
					return bad("its part " + strconv.Quote(p) + " is not valid.")
				}
				seen[strings.ToUpper(k)] = true
			}
			if !seen["FREQ"] {
				return bad("an RRULE needs FREQ.")
			}
			if seen["COUNT"] && seen["UNTIL"] {
				return bad("an RRULE takes COUNT or UNTIL, not both.")
			}
			repeats = true
		case "RDATE", "EXDATE":
			date := false
			if params != "" {
				for _, p := range strings.Split(params, ";") {
					k, v, _ := strings.Cut(p, "=")
					switch strings.ToUpper(k) {
					case "VALUE":
						date = strings.EqualFold(v, "DATE")
						if !date && !strings.EqualFold(v, "DATE-TIME") {
							return bad("VALUE is DATE or DATE-TIME.")
						}
					case "TZID":
						if _, err := LoadZone("recurrence", v); err != nil {
							return bad("its TZID is not an IANA time zone.")
						}
					default:
						return bad("its parameter " + strconv.Quote(p) + " is not known.")
					}
				}
			}
			for _, v := range strings.Split(value, ",") {
				if date && !isICalDate(v) || !date && !isICalDateTime(v) {
					return bad(strconv.Quote(v) + " is not a date-time (20261201T090000) or, with VALUE=DATE, a date (20261201).")
				}
			}
			if strings.EqualFold(name, "RDATE") {
				repeats = true
			}
		default:
			return bad("only RRULE, RDATE and EXDATE lines are taken.")
		}
	}
	if !repeats {
		return Invalid("recurrence", "recurrence needs an RRULE or an RDATE line.")
	}
	return nil
}

func isICalDate(v string) bool {
	_, err := time.Parse("20060102", v)
	return err == nil
}

func isICalDateTime(v string) bool {
	_, err := time.Parse("20060102T150405", strings.TrimSuffix(v, "Z"))
	return err == nil
}

func intIn(lo, hi int) func(string) bool {
	return func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi && !strings.HasPrefix(v, "+")
	}
}

func signedIn(lo, hi int) func(string) bool {
	return func(v string) bool {
		return intIn(lo, hi)(strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+"))
	}
}

func listOf(one func(string) bool) func(string) bool {
	return func(v string) bool {
		if v == "" {
			return false
		}
		for _, x := range strings.Split(v, ",") {
			if !one(x) {
				return false
			}
		}
		return true
	}
}

var weekdays = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

func isWeekday(v string) bool { return slices.Contains(weekdays, v) }

// isByDay is a BYDAY item: a weekday, optionally after an ordinal (1MO,
// -1FR).
func isByDay(v string) bool {
	if len(v) < 2 || !isWeekday(v[len(v)-2:]) {
		return false
	}
	n := v[:len(v)-2]
	return n == "" || signedIn(1, 53)(n)
}

// Before reports whether t is earlier than u, both of one kind.
func (t EventTime) Before(u EventTime) bool {
	if t.AllDay || u.AllDay {
		return t.Date < u.Date
	}
	return t.Time.Before(u.Time)
}

// EventIdempotencyScope is the idempotency scope of the events created in
// one Google account, as DraftIdempotencyScope is of its drafts.
func EventIdempotencyScope(accountID string) string { return "calendar.event:" + accountID }
