package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/jarvis-hq/jarvis/internal/sqldb"
)

// randomCalendars drives the users' sandbox calendars during a randomized
// sync run (TestSyncRandomized), whose accounts' indexed calendar windows
// must then equal Google's listing of them: events created, edited, moved (some out of the window and
// back) and cancelled — single events, whole series and single instances —
// and the sync tokens expired once mid-run. It draws from its own source,
// seeded from the run's seed, so that the mail operations of a seed stay
// the same.
type randomCalendars struct {
	t        *testing.T
	rng      *rand.Rand
	users    []string
	cal      map[string]*calendar.Service
	singles  map[string][]string // event ids each user organizes
	series   map[string][]string
	expireAt int
	expire   func(email string) error
	now      time.Time
}

func newRandomCalendars(t *testing.T, base string, users []string, seed uint64, stream uint64, ops int, expire func(string) error) *randomCalendars {
	c := &randomCalendars{t: t, rng: rand.New(rand.NewPCG(seed, stream+1000)), users: users, cal: map[string]*calendar.Service{},
		singles: map[string][]string{}, series: map[string][]string{}, expireAt: 2 * ops / 3, expire: expire, now: time.Now().UTC()}
	for _, u := range users {
		c.cal[u] = fullCalendar(t, base, u)
	}
	return c
}

// when is a random instant from 40 days back to 400 days ahead: a few fall
// outside the window.
func (c *randomCalendars) when() time.Time {
	return c.now.Add(time.Duration(c.rng.Int64N(int64(440*24*time.Hour))) - 40*24*time.Hour).Truncate(15 * time.Minute)
}

func (c *randomCalendars) span(start time.Time, allDay bool) (*calendar.EventDateTime, *calendar.EventDateTime) {
	if allDay {
		d := start.Format(time.DateOnly)
		return &calendar.EventDateTime{Date: d}, &calendar.EventDateTime{Date: start.AddDate(0, 0, 1+c.rng.IntN(2)).Format(time.DateOnly)}
	}
	end := start.Add(time.Duration(1+c.rng.IntN(8)) * 15 * time.Minute)
	return &calendar.EventDateTime{DateTime: start.Format(time.RFC3339), TimeZone: "UTC"},
		&calendar.EventDateTime{DateTime: end.Format(time.RFC3339), TimeZone: "UTC"}
}

func (c *randomCalendars) pick(s []string) string { return s[c.rng.IntN(len(s))] }

// instance picks one instance of a series near the window, "" when none.
func (c *randomCalendars) instance(svc *calendar.Service, series string) *calendar.Event {
	l, err := svc.Events.Instances("primary", series).TimeMin(c.now.AddDate(0, 0, -30).Format(time.RFC3339)).MaxResults(12).Do()
	if err != nil || len(l.Items) == 0 {
		return nil
	}
	return l.Items[c.rng.IntN(len(l.Items))]
}

// step makes operation i's calendar change, if it draws one (about a
// third of the operations).
func (c *randomCalendars) step(i int) {
	if i == c.expireAt {
		if err := c.expire(c.pick(c.users)); err != nil {
			c.t.Fatal(err)
		}
	}
	if c.rng.IntN(3) != 0 {
		return
	}
	u := c.pick(c.users)
	svc := c.cal[u]
	other := c.users[0]
	if other == u {
		other = c.users[1]
	}
	switch op := c.rng.IntN(12); {
	case op < 3 || len(c.singles[u]) == 0: // a single event, now and then with the other user invited
		start, end := c.span(c.when(), c.rng.IntN(5) == 0)
		ev := &calendar.Event{Summary: fmt.Sprintf("Event %d", i), Start: start, End: end}
		if c.rng.IntN(5) == 0 {
			ev.Attendees = []*calendar.EventAttendee{{Email: other}}
		}
		created, err := svc.Events.Insert("primary", ev).Do()
		if err != nil {
			c.t.Fatalf("op %d insert: %v", i, err)
		}
		c.singles[u] = append(c.singles[u], created.Id)
	case op < 4 || len(c.series[u]) == 0: // a series: daily or weekly, counted or for ever
		first := c.now.Add(time.Duration(c.rng.Int64N(int64(90*24*time.Hour))) - 60*24*time.Hour).Truncate(time.Hour)
		start, end := c.span(first, c.rng.IntN(4) == 0)
		rule := []string{"RRULE:FREQ=DAILY;COUNT=" + fmt.Sprint(3+c.rng.IntN(20)), "RRULE:FREQ=WEEKLY", "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=10"}[c.rng.IntN(3)]
		created, err := svc.Events.Insert("primary", &calendar.Event{Summary: fmt.Sprintf("Series %d", i), Start: start, End: end,
			Recurrence: []string{rule}}).Do()
		if err != nil {
			c.t.Fatalf("op %d insert series: %v", i, err)
		}
		c.series[u] = append(c.series[u], created.Id)
	case op < 6: // an edit of a single event or a whole series
		id := c.pick(append(slices.Clone(c.singles[u]), c.series[u]...))
		_, _ = svc.Events.Patch("primary", id, &calendar.Event{Summary: fmt.Sprintf("Edited %d", i), Location: fmt.Sprintf("Room %d", i)}).Do()
	case op < 8: // a single event moved, sometimes out of the window
		start, end := c.span(c.when(), c.rng.IntN(5) == 0)
		_, _ = svc.Events.Patch("primary", c.pick(c.singles[u]), &calendar.Event{Start: start, End: end}).Do()
	case op < 9: // one instance moved or renamed
		if inst := c.instance(svc, c.pick(c.series[u])); inst != nil {
			patch := &calendar.Event{Summary: fmt.Sprintf("Instance %d", i)}
			if inst.Start != nil && inst.Start.DateTime != "" && c.rng.IntN(2) == 0 {
				t, _ := time.Parse(time.RFC3339, inst.Start.DateTime)
				patch.Start, patch.End = c.span(t.Add(time.Duration(c.rng.IntN(48)-24)*time.Hour), false)
			}
			_, _ = svc.Events.Patch("primary", inst.Id, patch).Do()
		}
	case op < 10: // one instance cancelled
		if inst := c.instance(svc, c.pick(c.series[u])); inst != nil {
			_ = svc.Events.Delete("primary", inst.Id).Do()
		}
	case op < 11: // a whole series moved by an hour (its instances change ids) or cancelled
		id := c.pick(c.series[u])
		if c.rng.IntN(2) == 0 {
			_ = svc.Events.Delete("primary", id).Do()
			c.series[u] = slices.DeleteFunc(c.series[u], func(s string) bool { return s == id })
		} else if ev, err := svc.Events.Get("primary", id).Do(); err == nil && ev.Start != nil && ev.Start.DateTime != "" {
			t, _ := time.Parse(time.RFC3339, ev.Start.DateTime)
			e, _ := time.Parse(time.RFC3339, ev.End.DateTime)
			_, _ = svc.Events.Patch("primary", id, &calendar.Event{
				Start: &calendar.EventDateTime{DateTime: t.Add(time.Hour).Format(time.RFC3339), TimeZone: "UTC"},
				End:   &calendar.EventDateTime{DateTime: e.Add(time.Hour).Format(time.RFC3339), TimeZone: "UTC"}}).Do()
		}
	default: // a single event cancelled
		id := c.pick(c.singles[u])
		_ = svc.Events.Delete("primary", id).Do()
		c.singles[u] = slices.DeleteFunc(c.singles[u], func(s string) bool { return s == id })
	}
}

// assertQuiet waits for each account's indexed window to equal what
// events.list(singleEvents, the window) answers at the sandbox, exactly
// (ids and every field kept): lost notifications are caught by the polls
// of quiet calendars.
func (c *randomCalendars) assertQuiet(seed uint64, x *sqldb.MailIndex, accounts map[string]string) {
	c.t.Helper()
	for _, u := range c.users {
		deadline := time.Now().Add(90 * time.Second)
		for {
			ok, got, want := calendarMatches(c.t, x, accounts[u], c.cal[u])
			if ok {
				c.t.Logf("the calendar of %s: %d events in the window, as indexed", u, len(got))
				break
			}
			if time.Now().After(deadline) {
				st, _ := x.State(context.Background(), accounts[u])
				c.t.Fatalf("seed %d: the calendar of %s did not catch up (state %+v):\nindex:\n%s\ncalendar:\n%s", seed, u, st, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
