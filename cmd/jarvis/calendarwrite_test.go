package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/jarvis-hq/jarvis"
	"github.com/jarvis-hq/jarvis/internal/sqldb"
	"github.com/jarvis-hq/jarvis/internal/sqldb/sqldbtest"
)

// indexedEvents returns the events GET /calendar/upcoming lists from the
// index over the next days, by id, failing if they were read from Google.
func (e *testEnv) indexedEvents(tok string, days int) map[string]jarvis.Event {
	e.t.Helper()
	var got upcomingBody
	e.json("GET", fmt.Sprintf("/calendar/upcoming?days=%d&max_results=250", days), tok, nil, 200, &got)
	if got.Source != jarvis.SourceIndex {
		e.t.Fatalf("upcoming read from %q, not the index", got.Source)
	}
	out := map[string]jarvis.Event{}
	for _, ev := range got.Events {
		out[ev.ID] = ev
	}
	return out
}

// instances lists a series' instances as Google has them, not cancelled.
func instances(t *testing.T, svc *calendar.Service, seriesID string) []*calendar.Event {
	t.Helper()
	res, err := svc.Events.Instances("primary", seriesID).Do()
	if err != nil {
		t.Fatal(err)
	}
	return res.Items
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// An event created in America/New_York reads back at the right instant,
// at Google and from the index; it changes, and is cancelled; each write
// answers the event as Google stored it and writes its audit row.
func TestCalendarEventCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		tok := e.signIn(ada)
		adaID := e.synced(ada)
		google := fullCalendar(t, e.Sandbox.URL, ada)
		ny, _ := time.LoadLocation("America/New_York")
		day := time.Now().In(ny).AddDate(0, 0, 3)
		start := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, ny)

		var ev jarvis.Event
		e.json("POST", "/calendar/events", tok, map[string]any{"summary": "Board prep", "description": "Q3 numbers", "location": "Room 4",
			"start": start.Format("2006-01-02T15:04"), "end": start.Add(45 * time.Minute).Format("2006-01-02T15:04"),
			"time_zone": "America/New_York", "attendees": []string{"lin@example.net"}, "meet": true}, 201, &ev)
		if ev.ID == "" || ev.Start != rfc(start) || ev.End != rfc(start.Add(45*time.Minute)) || ev.TimeZone != "America/New_York" ||
			ev.Summary != "Board prep" || ev.Description != "Q3 numbers" || ev.Location != "Room 4" || ev.Status != "confirmed" ||
			ev.Account == nil || ev.Account.ID != adaID || !strings.HasPrefix(ev.MeetLink, "https://meet.google.com/") || ev.Indexed == nil {
			t.Fatalf("create answered %+v", ev)
		}
		if !slices.ContainsFunc(ev.Attendees, func(a jarvis.Attendee) bool { return a.Email == "lin@example.net" }) {
			t.Fatalf("attendees %+v", ev.Attendees)
		}
		// At Google: the same instant, in the zone it was given in.
		g, err := google.Events.Get("primary", ev.ID).Do()
		if err != nil {
			t.Fatal(err)
		}
		if at, _ := time.Parse(time.RFC3339, g.Start.DateTime); !at.Equal(start) || g.Start.TimeZone != "America/New_York" {
			t.Fatalf("Google has the start %s in %s, want %s", g.Start.DateTime, g.Start.TimeZone, start)
		}
		t.Logf("the index had the event when the answer came: %v", *ev.Indexed)
		waitFor(t, "the event in the index", func() bool {
			x, ok := e.indexedEvents(tok, 7)[ev.ID]
			return ok && x.Start == rfc(start) && x.Summary == "Board prep"
		})
		rows := e.auditOf(ada, jarvis.AuditCalendarEventCreate)
		if len(rows) != 1 || rows[0].TargetID != ev.ID || rows[0].Metadata["account_id"] != adaID || rows[0].Outcome != jarvis.OutcomeSuccess {
			t.Fatalf("create audit rows %+v", rows)
		}
		for k, v := range rows[0].Metadata {
			if s, ok := v.(string); ok && (strings.Contains(s, "Board") || strings.Contains(s, "lin@")) {
				t.Fatalf("the audit row holds content: %s=%v", k, v)
			}
		}

		// Move it by an hour (the end follows) and rename it.
		later := start.Add(time.Hour)
		e.json("PATCH", "/calendar/events/"+ev.ID, tok, map[string]any{"summary": "Board prep (moved)",
			"start": later.Format("2006-01-02T15:04"), "time_zone": "America/New_York"}, 200, &ev)
		if ev.Start != rfc(later) || ev.End != rfc(later.Add(45*time.Minute)) || ev.Summary != "Board prep (moved)" || ev.Location != "Room 4" {
			t.Fatalf("update answered %+v", ev)
		}
		waitFor(t, "the move in the index", func() bool { return e.indexedEvents(tok, 7)[ev.ID].Start == rfc(later) })

		// Cancel it: answered cancelled, gone from the index.
		e.json("DELETE", "/calendar/events/"+ev.ID, tok, nil, 200, &ev)
		if ev.Status != "cancelled" {
			t.Fatalf("delete answered %+v", ev)
		}
		waitFor(t, "the cancellation in the index", func() bool { _, ok := e.indexedEvents(tok, 7)[ev.ID]; return !ok })
		e.problem("DELETE", "/calendar/events/"+ev.ID, tok, nil, 404, "not_found")
		for _, action := range []string{jarvis.AuditCalendarEventUpdate, jarvis.AuditCalendarEventDelete} {
			rows := e.auditOf(ada, action)
			if len(rows) == 0 || rows[len(rows)-1].TargetID != ev.ID {
				t.Fatalf("%s audit rows %+v", action, rows)
			}
		}

		// An all-day event takes dates, and no zone.
		e.json("POST", "/calendar/events", tok, map[string]any{"summary": "Offsite", "start": day.Format(time.DateOnly),
			"end": day.AddDate(0, 0, 2).Format(time.DateOnly)}, 201, &ev)
		if !ev.AllDay || ev.Start != day.Format(time.DateOnly) || ev.End != day.AddDate(0, 0, 2).Format(time.DateOnly) {
			t.Fatalf("all-day create answered %+v", ev)
		}

		// Another user finds neither the event nor the account.
		other := e.signIn("grace@example.com")
		e.problem("PATCH", "/calendar/events/"+ev.ID, other, map[string]any{"summary": "x"}, 404, "not_found")
		e.problem("DELETE", "/calendar/events/"+ev.ID+"?account="+adaID, other, nil, 404, "not_found")
	})
}

// A recurring series in America/New_York: "this and following" splits
// it — the old series ends before the instance (UNTIL), a new one starts
// there with the change and the rest of the COUNT — and the instance and
// series scopes change one or all.
func TestCalendarSeriesScopes(t *testing.T) {
	t.Parallel()
	oneDB(t, func(t *testing.T, d sqldb.Dialect) {
		e := startEnv(t, envOptions{dialect: d})
		const ada = "ada@example.com"
		tok := e.signIn(ada)
		e.synced(ada)
		google := fullCalendar(t, e.Sandbox.URL, ada)
		ny, _ := time.LoadLocation("America/New_York")
		day := time.Now().In(ny).AddDate(0, 0, 1)
		first := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, ny)

		var series jarvis.Event
		e.json("POST", "/calendar/events", tok, map[string]any{"summary": "Weekly sync", "start": first.Format("2006-01-02T15:04"),
			"end": first.Add(30 * time.Minute).Format("2006-01-02T15:04"), "time_zone": "America/New_York",
			"recurrence": []string{"RRULE:FREQ=WEEKLY;COUNT=6"}}, 201, &series)
		if !slices.Equal(series.Recurrence, []string{"RRULE:FREQ=WEEKLY;COUNT=6"}) || series.Start != rfc(first) {
			t.Fatalf("series answered %+v", series)
		}
		inst := instances(t, google, series.ID)
		if len(inst) != 6 {
			t.Fatalf("%d instances, want 6", len(inst))
		}
		// Every instance at 10:00 in New York, across any change of offset.
		for i, it := range inst {
			at, _ := time.Parse(time.RFC3339, it.Start.DateTime)
			if want := first.AddDate(0, 0, 7*i); !at.Equal(want) {
				t.Fatalf("instance %d at %s, want %s", i, at, want)
			}
		}

		// This and following, from the third: an hour later.
		third := first.AddDate(0, 0, 14)
		moved := third.Add(time.Hour)
		var split jarvis.Event
		e.json("PATCH", "/calendar/events/"+inst[2].Id+"?scope=following", tok, map[string]any{"start": moved.Format("2006-01-02T15:04"),
			"time_zone": "America/New_York", "summary": "Weekly sync (later)"}, 200, &split)
		if split.ID == series.ID || split.ID == inst[2].Id || split.Start != rfc(moved) || split.Summary != "Weekly sync (later)" ||
			!slices.Equal(split.Recurrence, []string{"RRULE:FREQ=WEEKLY;COUNT=4"}) {
			t.Fatalf("split answered %+v", split)
		}
		old, err := google.Events.Get("primary", series.ID).Do()
		if err != nil {
			t.Fatal(err)
		}
		until := third.Add(-time.Second).UTC().Format("20060102T150405Z")
		if !slices.Equal(old.Recurrence, []string{"RRULE:FREQ=WEEKLY;UNTIL=" + until}) || old.Summary != "Weekly sync" {
			t.Fatalf("the old series has %v %q, want UNTIL=%s", old.Recurrence, old.Summary, until)
		}
		if n := len(instances(t, google, series.ID)); n != 2 {
			t.Fatalf("the old series has %d instances, want 2", n)
		}
		newInst := instances(t, google, split.ID)
		if len(newInst) != 4 {
			t.Fatalf("the new series has %d instances, want 4", len(newInst))
		}
		for i, it := range newInst {
			at, _ := time.Parse(time.RFC3339, it.Start.DateTime)
			if want := moved.AddDate(0, 0, 7*i); !at.Equal(want) || it.Summary != "Weekly sync (later)" {
				t.Fatalf("new instance %d at %s %q, want %s", i, at, it.Summary, want)
			}
		}
		rows := e.auditOf(ada, jarvis.AuditCalendarEventUpdate)
		if len(rows) != 1 || rows[0].TargetID != inst[2].Id || rows[0].Metadata["scope"] != "following" || rows[0].Metadata["result_id"] != split.ID {
			t.Fatalf("split audit rows %+v", rows)
		}
		// The instances of each series the index lists.
		seriesCounts := func() []int {
			counts := []int{0, 0}
			for _, x := range e.indexedEvents(tok, 60) {
				switch x.RecurringEventID {
				case series.ID:
					counts[0]++
				case split.ID:
					counts[1]++
				}
			}
			return counts
		}
		waitFor(t, "both series in the index", func() bool { return slices.Equal(seriesCounts(), []int{2, 4}) })

		// One instance of the new series: renamed alone.
		var one jarvis.Event
		e.json("PATCH", "/calendar/events/"+newInst[1].Id, tok, map[string]any{"summary": "Skip-level"}, 200, &one)
		if one.ID != newInst[1].Id || one.Summary != "Skip-level" || one.RecurringEventID != split.ID {
			t.Fatalf("instance update answered %+v", one)
		}
		// The whole old series, named by one of its instances.
		var all jarvis.Event
		e.json("PATCH", "/calendar/events/"+inst[1].Id+"?scope=series", tok, map[string]any{"location": "Room 9"}, 200, &all)
		if all.ID != series.ID || all.Location != "Room 9" {
			t.Fatalf("series update answered %+v", all)
		}
		for _, it := range instances(t, google, series.ID) {
			if it.Location != "Room 9" {
				t.Fatalf("instance %s has location %q", it.Id, it.Location)
			}
		}
		// Cancel one instance, then the new series from its third on.
		e.json("DELETE", "/calendar/events/"+newInst[0].Id+"?scope=instance", tok, nil, 200, &one)
		if one.Status != "cancelled" {
			t.Fatalf("instance delete answered %+v", one)
		}
		e.json("DELETE", "/calendar/events/"+newInst[2].Id+"?scope=following", tok, nil, 200, &one)
		if one.ID != split.ID || one.Status != "confirmed" || !strings.Contains(strings.Join(one.Recurrence, ""), "UNTIL=") {
			t.Fatalf("following delete answered %+v", one)
		}
		if n := len(instances(t, google, split.ID)); n != 1 {
			t.Fatalf("after the cancellations the new series has %d instances, want 1", n)
		}
		// And the old series, all of it.
		e.json("DELETE", "/calendar/events/"+series.ID+"?scope=series", tok, nil, 200, &one)
		if one.Status != "cancelled" {
			t.Fatalf("series delete answered %+v", one)
		}
		waitFor(t, "the cancellations in the index", func() bool { return slices.Equal(seriesCounts(), []int{0, 1}) })
		// A series' own id names no single instance.
		if p := e.problem("PATCH", "/calendar/events/"+split.ID+"?scope=instance", tok, map[string]any{"summary": "x"}, 400, "invalid_request"); p["field"] != "scope" {
			t.Fatalf("instance scope on a series: %v", p)
		}
	})
}

// Another sandbox account invites the user; the user's RSVP, with a note,
// shows at the organizer.
func TestCalendarRSVPShowsAtTheOrganizer(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, d sqldb.Dialect) {
		t.Parallel()
		e := startEnv(t, envOptions{dialect: d})
		const ada, grace = "ada@example.com", "grace@example.com"
		tok := e.signIn(ada)
		e.synced(ada)
		organizer := fullCalendar(t, e.Sandbox.URL, grace)
		at := time.Now().UTC().AddDate(0, 0, 2).Truncate(time.Hour)
		inv, err := organizer.Events.Insert("primary", &calendar.Event{Summary: "Design review",
			Start: timed(at), End: timed(at.Add(time.Hour)), Attendees: []*calendar.EventAttendee{{Email: ada}}}).Do()
		if err != nil {
			t.Fatal(err)
		}
		var ev jarvis.Event
		e.json("POST", "/calendar/events/"+inv.Id+"/rsvp", tok, map[string]any{"response": "tentative", "comment": "Might be late"}, 200, &ev)
		i := slices.IndexFunc(ev.Attendees, func(a jarvis.Attendee) bool { return a.Email == ada })
		if i < 0 || ev.Attendees[i].ResponseStatus != "tentative" || ev.Attendees[i].Comment != "Might be late" || !ev.Attendees[i].Self {
			t.Fatalf("rsvp answered %+v", ev.Attendees)
		}
		g, err := organizer.Events.Get("primary", inv.Id).Do()
		if err != nil {
			t.Fatal(err)
		}
		j := slices.IndexFunc(g.Attendees, func(a *calendar.EventAttendee) bool { return a.Email == ada })
		if j < 0 || g.Attendees[j].ResponseStatus != "tentative" || g.Attendees[j].Comment != "Might be late" {
			t.Fatalf("the organizer sees %+v", g.Attendees)
		}
		e.json("POST", "/calendar/events/"+inv.Id+"/rsvp", tok, map[string]any{"response": "accepted"}, 200, &ev)
		if g, _ = organizer.Events.Get("primary", inv.Id).Do(); g.Attendees[j].ResponseStatus != "accepted" || g.Attendees[j].Comment != "" {
			t.Fatalf("the organizer sees %+v after the second answer", g.Attendees[j])
		}
		if rows := e.auditOf(ada, jarvis.AuditCalendarEventRSVP); len(rows) != 2 || rows[0].Metadata["response"] == nil {
			t.Fatalf("rsvp audit rows %+v", rows)
		}
		// The guest cannot change the event itself; an event without the user
		// as a guest takes no answer.
		e.problem("PATCH", "/calendar/events/"+inv.Id, tok, map[string]any{"summary": "Mine now"}, 403, "forbidden")
		var own jarvis.Event
		e.json("POST", "/calendar/events", tok, map[string]any{"summary": "Alone", "start": at.Format(time.RFC3339),
			"end": at.Add(time.Hour).Format(time.RFC3339), "time_zone": "UTC"}, 201, &own)
		e.problem("POST", "/calendar/events/"+own.ID+"/rsvp", tok, map[string]any{"response": "declined"}, 409, "conflict")
	})
}

// Proposals are free for the user and the attendees, within the default
// working hours, earliest first and apart; attendees whose calendars
// Google does not show are named.
func TestCalendarSuggest(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	const ada, grace = "ada@example.com", "grace@example.com"
	tok := e.signIn(ada)
	e.synced(ada)
	// A week far enough ahead, Monday to Monday in ada's calendar's zone.
	zone, err := e.Main.Google.TimeZone(t.Context(), e.me(tok).User.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation(zone)
	monday := time.Now().In(loc).AddDate(0, 0, 14)
	for monday.Weekday() != time.Monday {
		monday = monday.AddDate(0, 0, 1)
	}
	monday = time.Date(monday.Year(), monday.Month(), monday.Day(), 0, 0, 0, 0, loc)
	// Grace is busy on Monday from 09:00 to 12:00.
	busyStart := monday.Add(9 * time.Hour)
	if _, err := fullCalendar(t, e.Sandbox.URL, grace).Events.Insert("primary", &calendar.Event{Summary: "Busy",
		Start: timed(busyStart), End: timed(busyStart.Add(3 * time.Hour))}).Do(); err != nil {
		t.Fatal(err)
	}
	var got jarvis.MeetingSuggestions
	e.json("POST", "/calendar/suggest", tok, map[string]any{"attendees": []string{grace, "someone@elsewhere.example"}, "duration_minutes": 60,
		"within": map[string]string{"start": rfc(monday), "end": rfc(monday.AddDate(0, 0, 7))}, "max_results": 20}, 200, &got)
	if got.TimeZone != zone || len(got.Proposals) == 0 || !slices.Equal(got.Unknown, []string{"someone@elsewhere.example"}) {
		t.Fatalf("suggest answered %+v", got)
	}
	// Busy time as Google's free/busy shows it, for both.
	fb, err := fullCalendar(t, e.Sandbox.URL, ada).Freebusy.Query(&calendar.FreeBusyRequest{TimeMin: rfc(monday), TimeMax: rfc(monday.AddDate(0, 0, 7)),
		Items: []*calendar.FreeBusyRequestItem{{Id: ada}, {Id: grace}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	var prev time.Time
	for _, p := range got.Proposals {
		st, _ := time.Parse(time.RFC3339, p.Start)
		en, _ := time.Parse(time.RFC3339, p.End)
		ls, _ := time.Parse(time.RFC3339, p.StartLocal)
		if en.Sub(st) != time.Hour || !ls.Equal(st) || st.Before(prev) {
			t.Fatalf("proposal %+v out of order or shape", p)
		}
		prev = en
		l := st.In(loc)
		if l.Weekday() == time.Saturday || l.Weekday() == time.Sunday || l.Hour() < 9 || en.In(loc).After(time.Date(l.Year(), l.Month(), l.Day(), 17, 0, 0, 0, loc)) {
			t.Fatalf("proposal %+v outside working hours", p)
		}
		for id, cal := range fb.Calendars {
			for _, b := range cal.Busy {
				bs, _ := time.Parse(time.RFC3339, b.Start)
				be, _ := time.Parse(time.RFC3339, b.End)
				if bs.Before(en) && be.After(st) {
					t.Fatalf("proposal %+v overlaps %s's busy %s–%s", p, id, b.Start, b.End)
				}
			}
		}
	}
	if first, _ := time.Parse(time.RFC3339, got.Proposals[0].Start); first.Before(busyStart.Add(3 * time.Hour)) {
		t.Fatalf("the first proposal %s is in grace's busy morning", first)
	}
	if rows := e.auditOf(ada, jarvis.AuditCalendarFreeBusy); len(rows) < 2 {
		t.Fatalf("free/busy audit rows %+v", rows)
	}
}

// Bad input is refused naming the field, before any call to Google.
func TestCalendarWriteValidation(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	tok := e.signIn("ada@example.com")
	e.synced("ada@example.com")
	e.Sandbox.Google.ResetStats()
	ok := map[string]any{"summary": "x", "start": "2026-12-01T09:00", "end": "2026-12-01T10:00", "time_zone": "Europe/Paris"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		name, method, path string
		body               any
		field              string
	}{
		{"no zone", "POST", "/calendar/events", with("time_zone", nil), "time_zone"},
		{"unknown zone", "POST", "/calendar/events", with("time_zone", "Mars/Olympus"), "time_zone"},
		{"Local zone", "POST", "/calendar/events", with("time_zone", "Local"), "time_zone"},
		{"no start", "POST", "/calendar/events", with("start", nil), "start"},
		{"bad start", "POST", "/calendar/events", with("start", "tomorrow at 9"), "start"},
		{"end before start", "POST", "/calendar/events", with("end", "2026-12-01T08:00"), "end"},
		{"date and time", "POST", "/calendar/events", with("end", "2026-12-02"), "end"},
		{"bad rrule", "POST", "/calendar/events", with("recurrence", []string{"RRULE:FREQ=SOMETIMES"}), "recurrence"},
		{"count and until", "POST", "/calendar/events", with("recurrence", []string{"RRULE:FREQ=DAILY;COUNT=2;UNTIL=20261231"}), "recurrence"},
		{"exrule", "POST", "/calendar/events", with("recurrence", []string{"EXRULE:FREQ=DAILY"}), "recurrence"},
		{"bad attendee", "POST", "/calendar/events", with("attendees", []string{"Ann <ann@example.com>"}), "attendees"},
		{"bad send_updates", "POST", "/calendar/events", with("send_updates", "everyone"), "send_updates"},
		{"unknown field", "POST", "/calendar/events", with("colour", "red"), "colour"},
		{"nothing to change", "PATCH", "/calendar/events/abcdefgh", map[string]any{}, "body"},
		{"bad scope", "PATCH", "/calendar/events/abcdefgh?scope=all", map[string]any{"summary": "y"}, "scope"},
		{"patch start without zone", "PATCH", "/calendar/events/abcdefgh", map[string]any{"start": "2026-12-01T09:00"}, "time_zone"},
		{"recurring instance", "PATCH", "/calendar/events/abcdefgh?scope=instance", map[string]any{"recurrence": []string{"RRULE:FREQ=DAILY"}}, "recurrence"},
		{"bad delete scope", "DELETE", "/calendar/events/abcdefgh?scope=everything", nil, "scope"},
		{"bad response", "POST", "/calendar/events/abcdefgh/rsvp", map[string]any{"response": "maybe"}, "response"},
		{"no duration", "POST", "/calendar/suggest", map[string]any{"attendees": []string{}}, "duration_minutes"},
		{"bad window", "POST", "/calendar/suggest", map[string]any{"duration_minutes": 30, "within": map[string]string{"start": "2026-12-01T09:00:00Z", "end": "2026-11-01T09:00:00Z"}}, "within.end"},
		{"account=all", "POST", "/calendar/events?account=all", ok, "account"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if p := e.problem(c.method, c.path, tok, c.body, 400, "invalid_request"); p["field"] != c.field {
				t.Fatalf("field %v, want %s: %v", p["field"], c.field, p)
			}
		})
	}
	for k, n := range e.Sandbox.Google.Stats() {
		if strings.HasPrefix(k, "calendar.") && n > 0 {
			t.Errorf("invalid input reached Google: %s=%d", k, n)
		}
	}
}

// A grant without calendar.events reads the calendar but cannot change
// it: 403 scope_missing naming the account, and nothing reaches Google.
func TestCalendarWriteNeedsTheEventsScope(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	au, _ := e.startURL("")
	loc := e.consent(au, "ada@example.com", func(s string) bool { return !strings.HasSuffix(s, "/calendar.events") })
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	e.json("POST", "/auth/google/callback", "", map[string]string{"code": loc.Query().Get("code"), "state": loc.Query().Get("state")}, 200, &tok)
	e.Sandbox.Google.ResetStats()
	p := e.problem("POST", "/calendar/events", tok.AccessToken, map[string]any{"summary": "x", "start": "2026-12-01T09:00",
		"end": "2026-12-01T10:00", "time_zone": "Europe/Paris"}, 403, "scope_missing")
	if !strings.Contains(fmt.Sprint(p["detail"]), "ada@example.com") {
		t.Fatalf("problem %v does not name the account", p)
	}
	e.problem("DELETE", "/calendar/events/abcdefgh", tok.AccessToken, nil, 403, "scope_missing")
	if n := e.Sandbox.Google.Stats()["calendar.events.insert"] + e.Sandbox.Google.Stats()["calendar.events.delete"]; n != 0 {
		t.Fatalf("%d changes reached Google", n)
	}
}
