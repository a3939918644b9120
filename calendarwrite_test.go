package jarvis

import (
	"testing"
	"time"
)

func TestValidateRecurrence(t *testing.T) {
	for _, c := range []struct {
		lines []string
		ok    bool
	}{
		{[]string{"RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"}, true},
		{[]string{"RRULE:FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270101T000000Z"}, true},
		{[]string{"RRULE:FREQ=DAILY", "EXDATE;TZID=America/New_York:20261201T090000,20261202T090000"}, true},
		{[]string{"RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20261225"}, true},
		{[]string{"RDATE:20261201T090000Z"}, true},
		{[]string{"EXDATE:20261201T090000Z"}, false}, // nothing repeats
		{[]string{"RRULE:BYDAY=MO"}, false},
		{[]string{"RRULE:FREQ=WEEKLY;COUNT=2;UNTIL=20261231"}, false},
		{[]string{"RRULE:FREQ=WEEKLY;BYDAY=XX"}, false},
		{[]string{"RRULE:FREQ=WEEKLY;FREQ=DAILY"}, false},
		{[]string{"RRULE:FREQ=WEEKLY;BYMONTH=13"}, false},
		{[]string{"RRULE:FREQ=WEEKLY\r\nX:Y"}, false},
		{[]string{"EXRULE:FREQ=DAILY"}, false},
		{[]string{"RRULE;X=1:FREQ=DAILY"}, false},
		{[]string{"RRULE:FREQ=DAILY", "EXDATE;VALUE=DATE:20261201T090000"}, false},
	} {
		err := ValidateRecurrence(c.lines)
		if (err == nil) != c.ok {
			t.Errorf("%q: %v", c.lines, err)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("%q: code %s", c.lines, ErrorCode(err))
		}
	}
}

func TestParseEventTime(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, c := range []struct {
		in, zone string
		want     time.Time
		allDay   bool
		field    string
	}{
		{"2026-12-01T09:30", "America/New_York", time.Date(2026, 12, 1, 9, 30, 0, 0, ny), false, ""},
		{"2026-07-01T09:30:00", "America/New_York", time.Date(2026, 7, 1, 13, 30, 0, 0, time.UTC), false, ""},
		{"2026-12-01T14:30:00Z", "America/New_York", time.Date(2026, 12, 1, 9, 30, 0, 0, ny), false, ""},
		{"2026-12-01", "", time.Time{}, true, ""},
		{"2026-12-01T09:30", "", time.Time{}, false, "time_zone"},
		{"2026-12-01T09:30", "EST5EDT!", time.Time{}, false, "time_zone"},
		{"tomorrow", "UTC", time.Time{}, false, "start"},
	} {
		got, _, err := ParseEventTime("start", c.in, c.zone)
		if c.field != "" {
			var e *Error
			if err == nil || !asError(err, &e) || e.Field != c.field {
				t.Errorf("%s in %q: %v, want field %s", c.in, c.zone, err, c.field)
			}
			continue
		}
		if err != nil || got.AllDay != c.allDay || !c.allDay && !got.Time.Equal(c.want) {
			t.Errorf("%s in %q: %+v %v", c.in, c.zone, got, err)
		}
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	*e = x
	return ok
}

// Proposals avoid busy time, fall within working hours in their zone,
// come earliest first and never overlap.
func TestProposeMeetingTimes(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	mon := time.Date(2026, 12, 7, 0, 0, 0, 0, ny) // a Monday
	at := func(day, h, m int) time.Time {
		return mon.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	busy := []Interval{{at(0, 9, 0), at(0, 10, 15)}, {at(0, 11, 30), at(0, 16, 30)}}
	got := ProposeMeetingTimes(busy, DefaultWorkingHours(), ny, at(0, 0, 0), at(7, 0, 0), time.Hour, 4)
	want := []string{"2026-12-07T10:30:00-05:00", "2026-12-08T09:00:00-05:00", "2026-12-08T10:00:00-05:00", "2026-12-08T11:00:00-05:00"}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if got[i].StartLocal != w {
			t.Errorf("proposal %d at %s, want %s", i, got[i].StartLocal, w)
		}
	}
	// Weekends are skipped; custom hours and zone.
	wh := WorkingHours{Days: []string{"sat"}, Start: "10:00", End: "12:00"}
	got = ProposeMeetingTimes(nil, wh, time.UTC, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC), 20*time.Minute, 10)
	if len(got) != 4 || got[0].Start != "2026-12-12T10:00:00Z" || got[1].Start != "2026-12-12T10:30:00Z" {
		t.Fatalf("saturday proposals %+v", got)
	}
	// A window starting mid-morning starts on the grid.
	got = ProposeMeetingTimes(nil, DefaultWorkingHours(), ny, at(1, 9, 10), at(1, 12, 0), 30*time.Minute, 1)
	if len(got) != 1 || got[0].StartLocal != "2026-12-08T09:30:00-05:00" {
		t.Fatalf("mid-morning %+v", got)
	}
}
