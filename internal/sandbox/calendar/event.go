package calendar

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"
)

// when is the start or end of an event as its file wrote it.
type when struct {
	allDay bool
	// t is midnight UTC of the date for an all-day value, otherwise the
	// instant in the zone it was written in (so that recurrences keep their
	// wall-clock time in that zone).
	t time.Time
	// tz is the IANA name reported as the value's timeZone, "" for none.
	tz string
}

// instant is when w begins, reading an all-day date in loc.
func (w when) instant(loc *time.Location) time.Time {
	if w.allDay {
		y, m, d := w.t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	return w.t
}

// key is the suffix Google gives an instance id: the original start in UTC
// ("20261130T090000Z") or the date of an all-day one ("20261130").
func (w when) key() string {
	if w.allDay {
		return w.t.Format("20060102")
	}
	return w.t.UTC().Format("20060102T150405Z")
}

// person is an organizer or creator.
type person struct {
	email, name string
}

// attendee is a person invited to an event.
type attendee struct {
	person
	status   string // needsAction, declined, tentative or accepted
	comment  string // the guest's note with their answer
	optional bool
	resource bool
}

// event is one stored event resource: a single event, a recurring series
// (rec != nil) or an overridden instance of one (recurrenceID != nil).
type event struct {
	id, uid     string
	status      string // confirmed, tentative or cancelled
	summary     string
	description string
	location    string
	start, end  when
	created     time.Time
	updated     time.Time
	sequence    int
	organizer   *person
	attendees   []attendee
	transparent bool
	visibility  string // "" (default), public, private or confidential
	meet        string // a Google Meet URL

	rec       *recurrence
	overrides map[string]*event // a series' overridden instances by key

	recurrenceID *when  // an override's original start
	masterID     string // the series an override belongs to
	orphan       bool   // an override whose series has not been loaded

	version int64 // the calendar's change counter when last written
	// rev is the book's write counter when this content was written; a
	// guest's copy keeps its source's, so that an unchanged part is not
	// announced again.
	rev       int64
	dismissed bool // a guest took it off their calendar: it stays cancelled there
}

// duration is the span of an event, in days for an all-day one.
func (e *event) duration() time.Duration {
	return e.end.t.Sub(e.start.t)
}

// eventID derives a Google-style id (lower-case base32hex) from an iCalendar UID.
func eventID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
}

// instanceOf builds the unmodified instance of series m that starts at occ.
func instanceOf(m *event, occ time.Time) *event {
	inst := *m
	inst.rec, inst.overrides = nil, nil
	d := m.duration()
	inst.start = when{allDay: m.start.allDay, t: occ, tz: m.start.tz}
	inst.end = when{allDay: m.end.allDay, t: occ.Add(d), tz: m.end.tz}
	if m.start.allDay {
		inst.end.t = addDays(occ, int(d/(24*time.Hour)))
	}
	orig := inst.start
	inst.recurrenceID = &orig
	inst.masterID = m.id
	inst.id = m.id + "_" + orig.key()
	return &inst
}

func addDays(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+n, 0, 0, 0, 0, time.UTC)
}

// matches reports whether every word of q occurs in the event's summary,
// description, location, organizer or attendees, ignoring case.
func (e *event) matches(words []string) bool {
	if len(words) == 0 {
		return true
	}
	var b strings.Builder
	for _, s := range []string{e.summary, e.description, e.location} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if e.organizer != nil {
		b.WriteString(e.organizer.email + " " + e.organizer.name + "\n")
	}
	for _, a := range e.attendees {
		b.WriteString(a.email + " " + a.name + "\n")
	}
	hay := strings.ToLower(b.String())
	for _, w := range words {
		if !strings.Contains(hay, strings.ToLower(w)) {
			return false
		}
	}
	return true
}

// selfComment is the account's own note with its response, "" when it
// is not among the attendees.
func (e *event) selfComment(account string) string {
	for _, a := range e.attendees {
		if strings.EqualFold(a.email, account) {
			return a.comment
		}
	}
	return ""
}

// selfStatus is the account's own response to the event, "" when it is not
// among the attendees.
func (e *event) selfStatus(account string) string {
	for _, a := range e.attendees {
		if strings.EqualFold(a.email, account) {
			return a.status
		}
	}
	return ""
}
