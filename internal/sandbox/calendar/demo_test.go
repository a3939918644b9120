package calendar

import (
	gcal "google.golang.org/api/calendar/v3"
	"strings"
	"testing"
	"time"
)

func TestDemo(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	nows := []time.Time{fixedNow}
	// Every day of a week, late at night, and around both DST changes.
	for d := range 7 {
		nows = append(nows, time.Date(2027, 3, 22+d, 23, 30, 0, 0, london))
	}
	nows = append(nows, time.Date(2026, 10, 24, 8, 0, 0, 0, london), time.Date(2027, 3, 27, 12, 0, 0, 0, london))
	for _, now := range nows {
		t.Run(now.Format("Mon 2006-01-02 15:04"), func(t *testing.T) {
			b := NewBook(func() time.Time { return now })
			b.AddDemo(me, []string{"alice.jones@example.com", me, "bob@example.com"})
			c := b.lookup(me)
			if c.tzName != "Europe/London" {
				t.Errorf("zone %q", c.tzName)
			}
			from := now
			to := now.AddDate(0, 0, 14)
			series := c.collect(&listQuery{from: from, to: to})
			if len(series) < 15 {
				t.Errorf("%d events in the next two weeks, want 15 or more", len(series))
			}
			inst := c.collect(&listQuery{single: true, from: from, to: to, showDeleted: true})
			l := now.In(london)
			tomorrow := time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, london)
			days := map[string]bool{}
			var onTomorrow int
			statuses := map[string]bool{}
			var sawMeet, sawLocation, sawTentative, sawCancelledInstance, sawMoved, sawAllDay, sawMultiDay, sawAttendees bool
			for _, en := range inst {
				e := en.ev
				days[en.start.In(london).Format(dateLayout)] = true
				if en.start.Before(tomorrow.AddDate(0, 0, 1)) && en.end.After(tomorrow) && e.status != "cancelled" {
					onTomorrow++
				}
				for _, a := range e.attendees {
					statuses[a.status] = true
					if strings.EqualFold(a.email, me) {
						sawAttendees = true
					}
				}
				sawMeet = sawMeet || strings.HasPrefix(e.meet, "https://meet.google.com/")
				sawLocation = sawLocation || e.location != ""
				sawTentative = sawTentative || e.status == "tentative"
				sawCancelledInstance = sawCancelledInstance || e.status == "cancelled" && e.masterID != ""
				sawMoved = sawMoved || strings.Contains(e.summary, "moved")
				sawAllDay = sawAllDay || e.start.allDay
				sawMultiDay = sawMultiDay || e.start.allDay && e.duration() > 24*time.Hour
			}
			if onTomorrow == 0 {
				t.Error("nothing on tomorrow")
			}
			if len(days) < 8 {
				t.Errorf("events on only %d days of the next fortnight", len(days))
			}
			for _, s := range []string{"accepted", "tentative", "declined", "needsAction"} {
				if !statuses[s] {
					t.Errorf("no attendee answered %s", s)
				}
			}
			for what, ok := range map[string]bool{"Meet link": sawMeet, "location": sawLocation, "tentative event": sawTentative,
				"cancelled instance": sawCancelledInstance, "moved instance": sawMoved, "all-day event": sawAllDay,
				"multi-day event": sawMultiDay, "self as attendee": sawAttendees} {
				if !ok {
					t.Errorf("no %s", what)
				}
			}
			standup := c.events[eventID("uid", "standup@demo.jarvis.sandbox")]
			if standup == nil || len(standup.rec.lines) != 2 || !strings.HasPrefix(standup.rec.lines[1], "EXDATE;TZID=Europe/London:") || len(standup.overrides) != 2 {
				t.Errorf("standup %+v", standup)
			}
			for _, en := range inst {
				if en.ev.masterID == standup.id && en.ev.start.t.In(london).Weekday() == time.Saturday {
					t.Error("a standup on a Saturday")
				}
			}
		})
	}
}

func TestDemoAgainRefreshes(t *testing.T) {
	b := newBook(t)
	b.AddDemo(me, nil)
	n := len(b.lookup(me).events)
	b.AddDemo(me, nil)
	if m := len(b.lookup(me).events); m != n || n < 15 {
		t.Errorf("%d events, then %d", n, m)
	}
}

func TestDemoThroughTheClient(t *testing.T) {
	b := newBook(t)
	b.AddDemo(me, []string{"alice.jones@example.com"})
	svc := serve(t, b, me)
	res, err := svc.Events.List("primary").SingleEvents(true).OrderBy("startTime").
		TimeMin(fixedNow.Format(time.RFC3339)).TimeMax(fixedNow.AddDate(0, 0, 7).Format(time.RFC3339)).Do()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Items {
		got = append(got, e.Summary)
	}
	// Thursday 26 November 2026, 10:00: tomorrow is Friday; Ana is the
	// fourth peer, after Alice and the first three stand-ins.
	for _, want := range []string{"Review pull requests", "Lunch with Ana", "Quarterly planning review", "Daily standup", "1:1 Alice / Me", "Team offsite: Lake District"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("%q missing from %q", want, got)
		}
	}
	fb, err := svc.Freebusy.Query(&gcal.FreeBusyRequest{
		TimeMin: fixedNow.Format(time.RFC3339), TimeMax: fixedNow.AddDate(0, 0, 7).Format(time.RFC3339),
		Items: []*gcal.FreeBusyRequestItem{{Id: "primary"}},
	}).Do()
	if err != nil || len(fb.Calendars["primary"].Busy) < 8 {
		t.Errorf("free/busy: %v %+v", err, fb)
	}
}
