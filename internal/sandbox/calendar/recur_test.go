package calendar

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const me = "me@example.com"

// fixedNow is the clock of the tests: Thursday 26 November 2026, 10:00 UTC.
var fixedNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func newBook(tb testing.TB) *Book {
	tb.Helper()
	b := NewBook(func() time.Time { return fixedNow })
	b.AddAccount(me, "Me Myself")
	return b
}

// vcal wraps lines of VEVENTs (and VTIMEZONEs) in a VCALENDAR.
func vcal(header string, body ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + header +
		strings.Join(body, "\r\n") + "\r\nEND:VCALENDAR\r\n"
}

// vevent joins lines into one VEVENT.
func vevent(lines ...string) string {
	return "BEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VEVENT"
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// expand loads data and lists what singleEvents=true would show in the
// window: each instance's start in its own zone (dates for all-day ones),
// then its status when not confirmed.
func expand(tb testing.TB, data, from, to string, showDeleted bool) []string {
	tb.Helper()
	b := newBook(tb)
	if err := b.LoadICS(me, "case.ics", []byte(data)); err != nil {
		tb.Fatal(err)
	}
	return expandBook(tb, b, from, to, showDeleted)
}

// expandBook is expand for a book already loaded.
func expandBook(tb testing.TB, b *Book, from, to string, showDeleted bool) []string {
	tb.Helper()
	var out []string
	for _, en := range b.lookup(me).collect(&listQuery{single: true, from: mustTime(tb, from), to: mustTime(tb, to), showDeleted: showDeleted}) {
		s := en.ev.start.t.Format(time.RFC3339)
		if en.ev.start.allDay {
			s = en.ev.start.t.Format(dateLayout) + "/" + en.ev.end.t.Format(dateLayout)
		}
		if en.ev.status != "confirmed" {
			s += " " + en.ev.status
		}
		out = append(out, s)
	}
	return out
}

func TestRecurrenceExpansion(t *testing.T) {
	tests := []struct {
		name        string
		data        string
		from, to    string
		showDeleted bool
		want        []string
	}{{
		name: "Berlin weekly keeps 09:00 across the March DST change",
		data: vcal("", vevent("UID:b1", "DTSTART;TZID=Europe/Berlin:20260316T090000", "DTEND;TZID=Europe/Berlin:20260316T100000", "RRULE:FREQ=WEEKLY;COUNT=4")),
		want: []string{"2026-03-16T09:00:00+01:00", "2026-03-23T09:00:00+01:00", "2026-03-30T09:00:00+02:00", "2026-04-06T09:00:00+02:00"},
	}, {
		name: "New York daily keeps 08:30 across the November DST change",
		data: vcal("", vevent("UID:n1", "DTSTART;TZID=America/New_York:20261030T083000", "DURATION:PT30M", "RRULE:FREQ=DAILY;UNTIL=20261102T133000Z")),
		want: []string{"2026-10-30T08:30:00-04:00", "2026-10-31T08:30:00-04:00", "2026-11-01T08:30:00-05:00", "2026-11-02T08:30:00-05:00"},
	}, {
		name: "UNTIL is inclusive and cuts an unbounded rule",
		data: vcal("", vevent("UID:u1", "DTSTART:20261201T090000Z", "DTEND:20261201T093000Z", "RRULE:FREQ=DAILY;UNTIL=20261203T090000Z")),
		want: []string{"2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z", "2026-12-03T09:00:00Z"},
	}, {
		name: "a date UNTIL on a timed series includes that day",
		data: vcal("", vevent("UID:u2", "DTSTART;TZID=Europe/Berlin:20261201T180000", "DTEND;TZID=Europe/Berlin:20261201T190000", "RRULE:FREQ=DAILY;UNTIL=20261202")),
		want: []string{"2026-12-01T18:00:00+01:00", "2026-12-02T18:00:00+01:00"},
	}, {
		name: "EXDATE with TZID and several values",
		data: vcal("", vevent("UID:e1", "DTSTART;TZID=Europe/Berlin:20261130T090000", "DTEND;TZID=Europe/Berlin:20261130T091500",
			"RRULE:FREQ=DAILY;COUNT=5", "EXDATE;TZID=Europe/Berlin:20261201T090000,20261203T090000")),
		want: []string{"2026-11-30T09:00:00+01:00", "2026-12-02T09:00:00+01:00", "2026-12-04T09:00:00+01:00"},
	}, {
		name: "EXDATE in UTC and as a DATE on a timed series",
		data: vcal("", vevent("UID:e2", "DTSTART;TZID=Europe/Berlin:20261130T090000", "DTEND;TZID=Europe/Berlin:20261130T091500",
			"RRULE:FREQ=DAILY;COUNT=4", "EXDATE:20261201T080000Z", "EXDATE;VALUE=DATE:20261203")),
		want: []string{"2026-11-30T09:00:00+01:00", "2026-12-02T09:00:00+01:00"},
	}, {
		name: "RDATE adds instances, DTSTART counts even off the rule",
		data: vcal("", vevent("UID:r1", "DTSTART;TZID=Europe/Berlin:20261129T090000", "DTEND;TZID=Europe/Berlin:20261129T100000",
			"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2", "RDATE;TZID=Europe/Berlin:20261205T110000")),
		want: []string{"2026-11-29T09:00:00+01:00", "2026-11-30T09:00:00+01:00", "2026-12-05T11:00:00+01:00", "2026-12-07T09:00:00+01:00"},
	}, {
		name: "RDATE without a rule",
		data: vcal("", vevent("UID:r2", "DTSTART:20261201T120000Z", "DTEND:20261201T130000Z", "RDATE:20261210T120000Z,20261220T150000Z")),
		want: []string{"2026-12-01T12:00:00Z", "2026-12-10T12:00:00Z", "2026-12-20T15:00:00Z"},
	}, {
		name: "RECURRENCE-ID moves one instance and cancels another",
		data: vcal("",
			vevent("UID:o1", "SUMMARY:Sync", "DTSTART;TZID=Europe/Berlin:20261130T090000", "DTEND;TZID=Europe/Berlin:20261130T093000", "RRULE:FREQ=DAILY;COUNT=4"),
			vevent("UID:o1", "SUMMARY:Sync (moved)", "RECURRENCE-ID;TZID=Europe/Berlin:20261201T090000", "DTSTART;TZID=Europe/Berlin:20261201T150000", "DTEND;TZID=Europe/Berlin:20261201T153000"),
			vevent("UID:o1", "RECURRENCE-ID;TZID=Europe/Berlin:20261202T090000", "DTSTART;TZID=Europe/Berlin:20261202T090000", "DTEND;TZID=Europe/Berlin:20261202T093000", "STATUS:CANCELLED")),
		want: []string{"2026-11-30T09:00:00+01:00", "2026-12-01T15:00:00+01:00", "2026-12-03T09:00:00+01:00"},
	}, {
		name:        "a cancelled override shows with showDeleted",
		showDeleted: true,
		data: vcal("",
			vevent("UID:o2", "DTSTART;TZID=Europe/Berlin:20261130T090000", "DTEND;TZID=Europe/Berlin:20261130T093000", "RRULE:FREQ=DAILY;COUNT=3"),
			vevent("UID:o2", "RECURRENCE-ID:20261201T080000Z", "DTSTART;TZID=Europe/Berlin:20261201T090000", "DTEND;TZID=Europe/Berlin:20261201T093000", "STATUS:CANCELLED")),
		want: []string{"2026-11-30T09:00:00+01:00", "2026-12-01T09:00:00+01:00 cancelled", "2026-12-02T09:00:00+01:00"},
	}, {
		name: "an override that arrives before its series is adopted by it",
		data: vcal("",
			vevent("UID:o3", "RECURRENCE-ID;TZID=Europe/Berlin:20261201T090000", "DTSTART;TZID=Europe/Berlin:20261201T100000", "DTEND;TZID=Europe/Berlin:20261201T103000"),
			vevent("UID:o3", "DTSTART;TZID=Europe/Berlin:20261130T090000", "DTEND;TZID=Europe/Berlin:20261130T093000", "RRULE:FREQ=DAILY;COUNT=2")),
		want: []string{"2026-11-30T09:00:00+01:00", "2026-12-01T10:00:00+01:00"},
	}, {
		name: "COUNT with an interval and BYDAY",
		data: vcal("", vevent("UID:c1", "DTSTART:20261102T100000Z", "DTEND:20261102T110000Z", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=4")),
		want: []string{"2026-11-02T10:00:00Z", "2026-11-05T10:00:00Z", "2026-11-16T10:00:00Z", "2026-11-19T10:00:00Z"},
	}, {
		name: "all-day yearly with a DATE EXDATE",
		data: vcal("", vevent("UID:a1", "DTSTART;VALUE=DATE:20241130", "DTEND;VALUE=DATE:20241201", "RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20251130")),
		from: "2024-01-01T00:00:00Z", to: "2027-12-31T00:00:00Z",
		want: []string{"2024-11-30/2024-12-01", "2026-11-30/2026-12-01", "2027-11-30/2027-12-01"},
	}, {
		name: "multi-day all-day weekly",
		data: vcal("", vevent("UID:a2", "DTSTART;VALUE=DATE:20261127", "DTEND;VALUE=DATE:20261130", "RRULE:FREQ=WEEKLY;COUNT=2")),
		want: []string{"2026-11-27/2026-11-30", "2026-12-04/2026-12-07"},
	}, {
		name: "floating times are read in X-WR-TIMEZONE",
		data: vcal("X-WR-TIMEZONE:America/New_York\r\n", vevent("UID:f1", "DTSTART:20261201T090000", "DTEND:20261201T100000")),
		want: []string{"2026-12-01T09:00:00-05:00"},
	}, {
		name: "a Windows TZID maps to IANA",
		data: vcal("", vevent("UID:w1", "DTSTART;TZID=W. Europe Standard Time:20260323T090000", "DTEND;TZID=W. Europe Standard Time:20260323T100000", "RRULE:FREQ=WEEKLY;COUNT=2")),
		want: []string{"2026-03-23T09:00:00+01:00", "2026-03-30T09:00:00+02:00"},
	}, {
		name: "an unknown TZID without VTIMEZONE is UTC",
		data: vcal("", vevent("UID:x1", "DTSTART;TZID=Mars/Olympus_Mons:20261201T090000", "DTEND;TZID=Mars/Olympus_Mons:20261201T100000")),
		want: []string{"2026-12-01T09:00:00Z"},
	}, {
		name: "the window is an overlap test and cuts an unbounded rule",
		data: vcal("", vevent("UID:d1", "DTSTART:20200101T230000Z", "DTEND:20200102T010000Z", "RRULE:FREQ=DAILY")),
		from: "2026-12-01T00:30:00Z", to: "2026-12-02T23:00:00Z",
		want: []string{"2026-11-30T23:00:00Z", "2026-12-01T23:00:00Z"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := expand(t, tt.data, tt.from, tt.to, tt.showDeleted)
			if !slices.Equal(got, tt.want) {
				t.Errorf("instances\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestUnboundedRuleIsCapped(t *testing.T) {
	data := vcal("", vevent("UID:forever", "DTSTART:20261201T090000Z", "DTEND:20261201T100000Z", "RRULE:FREQ=DAILY"))
	if got := len(expand(t, data, "", "", false)); got != maxInstances {
		t.Errorf("open window gave %d instances, want the cap %d", got, maxInstances)
	}
}

func TestRuleThatNeverOccurs(t *testing.T) {
	// February has no 30th: only DTSTART remains, and no query walks the
	// rule to the year 9999 again.
	b := newBook(t)
	data := vcal("", vevent("UID:never", "DTSTART:20260101T090000Z", "DTEND:20260101T100000Z", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"))
	if err := b.LoadICS(me, "never.ics", []byte(data)); err != nil {
		t.Fatal(err)
	}
	c := b.lookup(me)
	start := time.Now()
	for range 100 {
		got := c.collect(&listQuery{single: true, from: mustTime(t, "2026-01-01T00:00:00Z")})
		if len(got) != 1 || !got[0].start.Equal(mustTime(t, "2026-01-01T09:00:00Z")) {
			t.Fatalf("got %v", got)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 queries took %v", d)
	}
}

func TestOverlapWindow(t *testing.T) {
	b := newBook(t)
	data := vcal("X-WR-TIMEZONE:Europe/London\r\n",
		vevent("UID:timed", "DTSTART:20261201T100000Z", "DTEND:20261201T110000Z"),
		vevent("UID:allday", "DTSTART;VALUE=DATE:20261203", "DTEND;VALUE=DATE:20261205"),
		vevent("UID:ny", "DTSTART;VALUE=DATE:20261210", "DTEND;VALUE=DATE:20261211"))
	if err := b.LoadICS(me, "w.ics", []byte(data)); err != nil {
		t.Fatal(err)
	}
	c := b.lookup(me)
	tests := []struct {
		from, to string
		want     []string
	}{
		{"2026-12-01T11:00:00Z", "2026-12-01T12:00:00Z", nil},               // timeMin is exclusive on the end
		{"2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", nil},               // timeMax is exclusive on the start
		{"2026-12-01T10:59:59Z", "2026-12-01T12:00:00Z", []string{"timed"}}, // overlaps by a second
		{"2026-12-01T09:00:00Z", "2026-12-01T10:00:01Z", []string{"timed"}},
		{"2026-12-01T10:15:00Z", "2026-12-01T10:45:00Z", []string{"timed"}},        // inside
		{"2026-12-04T23:59:00Z", "2026-12-06T00:00:00Z", []string{"allday"}},       // last minute of a two-day event
		{"2026-12-05T00:00:00Z", "2026-12-06T00:00:00Z", nil},                      // the exclusive end date
		{"2026-12-09T23:30:00-05:00", "2026-12-10T00:00:00-05:00", []string{"ny"}}, // London's 10 Dec began at 19:00 on the 9th in New York
		{"2026-12-10T00:00:00-05:00", "2026-12-11T00:00:00-05:00", []string{"ny"}},
	}
	for _, tt := range tests {
		var got []string
		for _, en := range c.collect(&listQuery{from: mustTime(t, tt.from), to: mustTime(t, tt.to)}) {
			got = append(got, en.ev.uid)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("window [%s, %s): got %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}
