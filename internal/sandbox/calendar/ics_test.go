package calendar

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const fixtures = "../../../testdata/ics"

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestLoadICSErrors(t *testing.T) {
	tests := []struct {
		file string
		want string // a fragment the message must contain, besides the file name
	}{
		{"malformed/truncated.ics", "not a valid iCalendar file"},
		{"malformed/bad-date.ics", `DTSTART: "2026-12-01 09:00" is neither a DATE nor a DATE-TIME`},
		{"malformed/no-dtstart.ics", "event 1 (UID no-start): missing DTSTART"},
		{"malformed/html.ics", "not a valid iCalendar file"},
		{"malformed/hourly.ics", "FREQ=HOURLY is not supported"},
		{"malformed/bad-rrule.ics", `RRULE "FREQ=SOMETIMES"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := newBook(t)
			err := b.LoadICS(me, tt.file, readFixture(t, tt.file))
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.file+": ") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not name the file and %q", msg, tt.want)
			}
			if n := len(b.lookup(me).events); n != 0 {
				t.Errorf("a failed load left %d events behind", n)
			}
		})
	}
}

func TestLoadICSRejectsOddInput(t *testing.T) {
	for name, data := range map[string]string{
		"empty":   "",
		"deep":    strings.Repeat("BEGIN:X\r\n", 100) + "END:X\r\n",
		"year 0":  vcal("", vevent("UID:y0", "DTSTART:00000101T000000Z")),
		"dur":     vcal("", vevent("UID:d", "DTSTART:20261201T090000Z", "DURATION:P1Q")),
		"big seq": vcal("", vevent("UID:s", "DTSTART:20261201T090000Z", "SEQUENCE:many")),
	} {
		if err := newBook(t).LoadICS(me, name+".ics", []byte(data)); err == nil || !strings.HasPrefix(err.Error(), name+".ics: ") {
			t.Errorf("%s: got error %v", name, err)
		}
	}
}

func TestOutlookInvite(t *testing.T) {
	b := newBook(t)
	if err := b.LoadICS(me, "outlook-invite.ics", readFixture(t, "outlook-invite.ics")); err != nil {
		t.Fatal(err)
	}
	c := b.lookup(me)
	if c.tzName != "Europe/Berlin" {
		t.Errorf("calendar zone %q, want Europe/Berlin from the first TZID", c.tzName)
	}
	var got []string
	for _, en := range c.collect(&listQuery{single: true}) {
		got = append(got, en.ev.start.t.Format(time.RFC3339))
	}
	// Thursdays 10:00 Berlin from 15 Oct to 10 Dec, the 19th excepted; the
	// zone changes on 25 Oct.
	want := []string{"2026-10-15T10:00:00+02:00", "2026-10-22T10:00:00+02:00", "2026-10-29T10:00:00+01:00",
		"2026-11-05T10:00:00+01:00", "2026-11-12T10:00:00+01:00", "2026-11-26T10:00:00+01:00",
		"2026-12-03T10:00:00+01:00", "2026-12-10T10:00:00+01:00"}
	if !slices.Equal(got, want) {
		t.Errorf("instances\n got %q\nwant %q", got, want)
	}
	var ev *event
	for _, e := range c.events {
		ev = e
	}
	if ev.start.tz != "Europe/Berlin" || ev.summary != "Projekt Jour fixe" || ev.organizer.name != "Klaus Weber" {
		t.Errorf("event %+v", ev)
	}
	if !strings.Contains(ev.description, "Zahlen mitbringen, danke!") || !strings.Contains(ev.description, "\n\n") {
		t.Errorf("description not unescaped: %q", ev.description)
	}
	if len(ev.attendees) != 3 || !ev.attendees[1].optional || !ev.attendees[2].resource || ev.attendees[0].status != "needsAction" {
		t.Errorf("attendees %+v", ev.attendees)
	}
	if !slices.Contains(ev.rec.lines, "EXDATE;TZID=Europe/Berlin:20261119T100000") {
		t.Errorf("recurrence lines %q", ev.rec.lines)
	}
}

func TestVTimezoneOnlyZones(t *testing.T) {
	b := newBook(t)
	if err := b.LoadICS(me, "custom-vtimezone.ics", readFixture(t, "custom-vtimezone.ics")); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	syd, _ := time.LoadLocation("Australia/Sydney")
	want := map[string][]time.Time{
		"Eastern weekly": {time.Date(2026, 10, 26, 9, 0, 0, 0, ny), time.Date(2026, 11, 2, 9, 0, 0, 0, ny), time.Date(2026, 11, 9, 9, 0, 0, 0, ny)},
		"Sydney weekly":  {time.Date(2026, 9, 28, 9, 0, 0, 0, syd), time.Date(2026, 10, 5, 9, 0, 0, 0, syd), time.Date(2026, 10, 12, 9, 0, 0, 0, syd)},
		"Fixed offset":   {time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC)},
	}
	got := map[string][]time.Time{}
	for _, en := range b.lookup(me).collect(&listQuery{single: true}) {
		got[en.ev.summary] = append(got[en.ev.summary], en.start)
	}
	for name, w := range want {
		if !slices.EqualFunc(got[name], w, time.Time.Equal) {
			t.Errorf("%s: got %v, want %v", name, got[name], w)
		}
	}
}

func TestPosixRule(t *testing.T) {
	tests := []struct{ rule, dtstart, want string }{
		{"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "16010101T020000", "M3.5.0/02:00:00"},
		{"FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "16011104T020000", "M11.1.0/02:00:00"},
		{"FREQ=YEARLY;BYDAY=SU;BYMONTHDAY=8,9,10,11,12,13,14;BYMONTH=3", "19700308T020000", "M3.2.0/02:00:00"},
		{"FREQ=YEARLY;BYDAY=SU;BYMONTHDAY=-7,-6,-5,-4,-3,-2,-1;BYMONTH=10", "19701025T030000", "M10.5.0/03:00:00"},
		{"FREQ=MONTHLY;BYDAY=1SU", "", ""},
		{"FREQ=YEARLY;BYMONTH=3", "", ""},
	}
	for _, tt := range tests {
		if got := posixRule(tt.rule, tt.dtstart); got != tt.want {
			t.Errorf("posixRule(%q) = %q, want %q", tt.rule, got, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in    string
		days  int
		clock time.Duration
		ok    bool
	}{
		{"PT1H30M", 0, 90 * time.Minute, true},
		{"P1D", 1, 0, true},
		{"P2W", 14, 0, true},
		{"P1DT12H", 1, 12 * time.Hour, true},
		{"+PT15S", 0, 15 * time.Second, true},
		{"-PT15M", 0, 0, false},
		{"P", 0, 0, false},
		{"PT1D", 0, 0, false},
		{"P1H", 0, 0, false},
		{"P99999999999D", 0, 0, false},
	}
	for _, tt := range tests {
		days, clock, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || tt.ok && (days != tt.days || clock != tt.clock) {
			t.Errorf("parseDuration(%q) = %d, %v, %v", tt.in, days, clock, err)
		}
	}
}

func TestUpdatesBySequence(t *testing.T) {
	b := newBook(t)
	load := func(seq, summary string) {
		t.Helper()
		data := vcal("", vevent("UID:u", "SEQUENCE:"+seq, "SUMMARY:"+summary, "DTSTART:20261201T090000Z", "DTEND:20261201T100000Z"))
		if err := b.LoadICS(me, "u.ics", []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	load("1", "first")
	load("2", "second")
	load("1", "stale")
	c := b.lookup(me)
	if e := c.events[eventID("uid", "u")]; e == nil || e.summary != "second" {
		t.Fatalf("after updates: %+v", e)
	}
	cancel := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:CANCEL\r\n" + vevent("UID:u", "SEQUENCE:3", "DTSTART:20261201T090000Z") + "\r\nEND:VCALENDAR\r\n"
	if err := b.LoadICS(me, "cancel.ics", []byte(cancel)); err != nil {
		t.Fatal(err)
	}
	if e := c.events[eventID("uid", "u")]; e.status != "cancelled" {
		t.Errorf("METHOD:CANCEL left status %q", e.status)
	}
}

func TestCalendarZoneComesFromTheFirstFileThatNamesOne(t *testing.T) {
	b := newBook(t)
	utcOnly := vcal("", vevent("UID:z", "DTSTART:20261201T090000Z", "DTEND:20261201T100000Z"))
	if err := b.LoadICS(me, "utc.ics", []byte(utcOnly)); err != nil {
		t.Fatal(err)
	}
	if tz := b.lookup(me).tzName; tz != "UTC" {
		t.Fatalf("zone %q", tz)
	}
	for _, f := range []string{"google-export.ics", "outlook-invite.ics"} {
		if err := b.LoadICS(me, f, readFixture(t, f)); err != nil {
			t.Fatal(err)
		}
	}
	if tz := b.lookup(me).tzName; tz != "Europe/London" {
		t.Errorf("zone %q, want the first named one", tz)
	}
}

func TestSeriesReloadDropsOldExceptions(t *testing.T) {
	b := newBook(t)
	series := vevent("UID:s", "SEQUENCE:1", "DTSTART:20261130T090000Z", "DTEND:20261130T093000Z", "RRULE:FREQ=DAILY;COUNT=3")
	moved := vevent("UID:s", "SEQUENCE:1", "RECURRENCE-ID:20261201T090000Z", "DTSTART:20261201T120000Z", "DTEND:20261201T123000Z")
	if err := b.LoadICS(me, "a.ics", []byte(vcal("", series, moved))); err != nil {
		t.Fatal(err)
	}
	if err := b.LoadICS(me, "b.ics", []byte(vcal("", series))); err != nil {
		t.Fatal(err)
	}
	got := expandBook(t, b, "", "", false)
	if want := []string{"2026-11-30T09:00:00Z", "2026-12-01T09:00:00Z", "2026-12-02T09:00:00Z"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestLookupIANA(t *testing.T) {
	for tzid, want := range map[string]string{
		"Europe/Berlin":                        "Europe/Berlin",
		`"America/New_York"`:                   "America/New_York",
		"/mozilla.org/20050126_1/Europe/Paris": "Europe/Paris",
		"GMT Standard Time":                    "Europe/London",
		"Tokyo Standard Time":                  "Asia/Tokyo",
		"Local":                                "",
		"Somewhere/Local":                      "",
		"Nowhere/":                             "",
		"Customized Time Zone":                 "",
	} {
		z, ok := lookupIANA(tzid)
		if ok != (want != "") || z.iana != want {
			t.Errorf("lookupIANA(%q) = %q, %v; want %q", tzid, z.iana, ok, want)
		}
	}
}
