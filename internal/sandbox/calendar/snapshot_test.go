package calendar

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
)

// write sends one write to b as account and fails the test on an error.
func write(t *testing.T, b *Book, account, method, path, body string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	w := httptest.NewRecorder()
	b.ServeHTTP(w, r.WithContext(WithAccount(r.Context(), account)))
	if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
		t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	b := exportBook(t)
	b.AddAccount("you@example.com", "You")
	write(t, b, me, "POST", "/calendar/v3/calendars/primary/events", `{"id": "series00001", "summary": "Weekly", "start": {"dateTime": "2026-12-01T09:00:00", "timeZone": "America/New_York"}, "end": {"dateTime": "2026-12-01T10:00:00", "timeZone": "America/New_York"}, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=America/New_York:20261215T090000"], "attendees": [{"email": "you@example.com"}]}`)
	write(t, b, me, "PATCH", "/calendar/v3/calendars/primary/events/series00001_20261208T140000Z", `{"summary": "Moved", "start": {"date": "2026-12-09"}, "end": {"date": "2026-12-10"}}`)
	write(t, b, "you@example.com", "PATCH", "/calendar/v3/calendars/primary/events/series00001", `{"attendees": [{"email": "me@example.com"}, {"email": "you@example.com", "responseStatus": "tentative"}]}`)
	svc := serve(t, b, me)
	res, err := svc.Events.List("primary").Do()
	if err != nil {
		t.Fatal(err)
	}
	b.InvalidateSyncTokens("you@example.com")

	st := b.Snapshot()
	data, _ := json.Marshal(st)
	var back BookState
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	b2 := NewBook(b.now)
	if err := b2.Restore(back); err != nil {
		t.Fatal(err)
	}
	data2, _ := json.Marshal(b2.Snapshot())
	if string(data) != string(data2) {
		t.Fatalf("snapshot changed by a restore:\n%s\n%s", data, data2)
	}
	// A sync token from before the restore still reads the same changes.
	svc2 := serve(t, b2, me)
	if got, err := svc2.Events.List("primary").SyncToken(res.NextSyncToken).Do(); err != nil || len(got.Items) != 0 {
		t.Fatalf("token after restore: %v %v", err, got)
	}
	inst, err := svc2.Events.Instances("primary", "series00001").Do()
	if err != nil || len(inst.Items) != 3 || inst.Items[1].Summary != "Moved" || inst.Items[1].Start.Date != "2026-12-09" {
		t.Fatalf("instances after restore: %v %+v", err, inst)
	}
	// A calendar nothing was written to is built again from its data; its
	// old sync tokens answer 410.
	b.AddAccount("quiet@example.com", "")
	old, err := serve(t, b, "quiet@example.com").Events.List("primary").Do()
	if err != nil {
		t.Fatal(err)
	}
	b3 := NewBook(b.now)
	b3.AddAccount("quiet@example.com", "")
	if err := b3.Restore(b.Snapshot()); err != nil {
		t.Fatal(err)
	}
	_, err = serve(t, b3, "quiet@example.com").Events.List("primary").SyncToken(old.NextSyncToken).Do()
	wantAPIError(t, err, 410, "fullSyncRequired")
	if err := b2.Restore(BookState{Calendars: []CalendarState{{ID: "x@example.com", Zone: "Nowhere/Land"}}}); err == nil {
		t.Fatal("a bad zone restored")
	}
}

// An invitation's iCalendar part reads back as the same event.
func TestInvitationICSParses(t *testing.T) {
	b := newBook(t)
	b.AddAccount("you@example.com", "You")
	var mails []Mail
	b.SetMailer(func(m Mail) { mails = append(mails, m) })
	svc := serve(t, b, me)
	ev, err := svc.Events.Insert("primary", &gcal.Event{
		Summary:     "Planning; budget, Q1",
		Description: "Line one\nLine two, with a very long tail that will need folding because it is longer than seventy-five octets",
		Start:       &gcal.EventDateTime{DateTime: "2026-12-01T09:00:00", TimeZone: "Europe/Berlin"},
		End:         &gcal.EventDateTime{DateTime: "2026-12-01T10:00:00", TimeZone: "Europe/Berlin"},
		Recurrence:  []string{"RRULE:FREQ=DAILY;COUNT=3"},
		Attendees:   []*gcal.EventAttendee{{Email: "you@example.com", DisplayName: "You, Yourself"}},
	}).SendUpdates("all").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != "you@example.com" || mails[0].Method != "REQUEST" {
		t.Fatalf("mails %+v", mails)
	}
	raw := string(mails[0].Raw)
	start := strings.Index(raw, "BEGIN:VCALENDAR")
	end := strings.Index(raw, "END:VCALENDAR") + len("END:VCALENDAR\r\n")
	pf, err := parseICS("invite.ics", []byte(raw[start:end]), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	got := pf.events[0]
	if len(pf.events) != 1 || got.uid != ev.ICalUID || got.summary != ev.Summary || got.description != ev.Description ||
		got.start.tz != "Europe/Berlin" || got.start.t.UTC().Hour() != 8 || got.rec == nil || len(got.attendees) != 2 ||
		got.attendees[1].name != "You, Yourself" || got.organizer.email != me {
		t.Fatalf("parsed back %+v", got)
	}
}
