package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	calendarapi "google.golang.org/api/calendar/v3"
	"google.golang.org/api/gmail/v1"
)

const calendarScope = "https://www.googleapis.com/auth/calendar"

// fullSync lists every event page by page and returns them with the
// sync token of the last page.
func fullSync(t *testing.T, cal *calendarapi.Service, opts func(*calendarapi.EventsListCall) *calendarapi.EventsListCall) ([]*calendarapi.Event, string) {
	t.Helper()
	var out []*calendarapi.Event
	page := ""
	for {
		call := cal.Events.List("primary").MaxResults(3)
		if opts != nil {
			call = opts(call)
		}
		if page != "" {
			call = call.PageToken(page)
		}
		res, err := call.Do()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Items...)
		if res.NextPageToken == "" {
			if res.NextSyncToken == "" {
				t.Fatal("last page has no nextSyncToken")
			}
			return out, res.NextSyncToken
		}
		if res.NextSyncToken != "" {
			t.Fatal("a page before the last has a nextSyncToken")
		}
		page = res.NextPageToken
	}
}

// syncSince lists the changes since token.
func syncSince(t *testing.T, cal *calendarapi.Service, token string) ([]*calendarapi.Event, string) {
	t.Helper()
	return fullSync(t, cal, func(c *calendarapi.EventsListCall) *calendarapi.EventsListCall { return c.SyncToken(token) })
}

func ids(evs []*calendarapi.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Id+"/"+e.Status)
	}
	return out
}

func TestCalendarSyncTokenReturnsExactlyTheChange(t *testing.T) {
	e := newEnv(t, nil)
	cal := e.calendar(e.signIn("ada@example.com", calendarScope))
	all, token := fullSync(t, cal, nil)
	if len(all) < 4 {
		t.Fatalf("demo calendar has %d events", len(all))
	}
	if got, _ := syncSince(t, cal, token); len(got) != 0 {
		t.Fatalf("no change, yet %v", ids(got))
	}

	ev, err := cal.Events.Insert("primary", &calendarapi.Event{
		Summary: "Design review",
		Start:   &calendarapi.EventDateTime{DateTime: "2026-03-26T10:00:00+01:00", TimeZone: "Europe/Paris"},
		End:     &calendarapi.EventDateTime{DateTime: "2026-03-26T11:00:00+01:00", TimeZone: "Europe/Paris"},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Id == "" || ev.Status != "confirmed" || ev.Sequence != 0 || ev.ICalUID != ev.Id+"@google.com" || ev.Organizer == nil || !ev.Organizer.Self || ev.Start.TimeZone != "Europe/Paris" {
		t.Fatalf("inserted %+v", ev)
	}
	got, token2 := syncSince(t, cal, token)
	if !slices.Equal(ids(got), []string{ev.Id + "/confirmed"}) {
		t.Fatalf("after insert: %v", ids(got))
	}

	e.clock.Add(time.Minute)
	moved, err := cal.Events.Patch("primary", ev.Id, &calendarapi.Event{
		Start: &calendarapi.EventDateTime{DateTime: "2026-03-26T14:00:00+01:00", TimeZone: "Europe/Paris"},
		End:   &calendarapi.EventDateTime{DateTime: "2026-03-26T15:00:00+01:00", TimeZone: "Europe/Paris"},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if moved.Etag == ev.Etag || moved.Sequence != 1 || moved.Updated == ev.Updated || moved.Created != ev.Created || moved.Summary != "Design review" {
		t.Fatalf("patched %+v (was etag %s updated %s)", moved, ev.Etag, ev.Updated)
	}
	got, token3 := syncSince(t, cal, token2)
	if len(got) != 1 || got[0].Id != ev.Id || got[0].Start.DateTime != "2026-03-26T13:00:00Z" || got[0].Etag != moved.Etag {
		t.Fatalf("after patch: %v %+v", ids(got), got)
	}

	// A title change is not significant enough for a new sequence.
	renamed, err := cal.Events.Patch("primary", ev.Id, &calendarapi.Event{Summary: "Design review (v2)"}).Do()
	if err != nil || renamed.Etag == moved.Etag {
		t.Fatalf("rename: %v %+v", err, renamed)
	}
	if err := cal.Events.Delete("primary", ev.Id).Do(); err != nil {
		t.Fatal(err)
	}
	got, token4 := syncSince(t, cal, token3)
	if !slices.Equal(ids(got), []string{ev.Id + "/cancelled"}) {
		t.Fatalf("after delete: %v", ids(got))
	}
	if err := cal.Events.Delete("primary", ev.Id).Do(); apiCode(err) != 410 {
		t.Fatalf("delete twice: %v", err)
	}
	if g, err := cal.Events.Get("primary", ev.Id).Do(); err != nil || g.Status != "cancelled" {
		t.Fatalf("get deleted: %v %+v", err, g)
	}
	// A plain listing no longer shows it; showDeleted does.
	plain, _ := fullSync(t, cal, nil)
	if slices.ContainsFunc(plain, func(x *calendarapi.Event) bool { return x.Id == ev.Id }) {
		t.Fatal("deleted event listed")
	}

	// Sync tokens cannot be combined with filters.
	if _, err := cal.Events.List("primary").SyncToken(token4).TimeMin("2026-03-01T00:00:00Z").Do(); apiCode(err) != 400 {
		t.Fatalf("syncToken+timeMin: %v", err)
	}
	if _, err := cal.Events.List("primary").SyncToken(token4).Q("x").Do(); apiCode(err) != 400 {
		t.Fatalf("syncToken+q: %v", err)
	}

	// Invalidated tokens: 410 fullSyncRequired; a new full sync works again.
	if n, err := e.srv.InvalidateSyncTokens("ada@example.com"); err != nil || n != 1 {
		t.Fatalf("invalidate: %d %v", n, err)
	}
	_, err = cal.Events.List("primary").SyncToken(token4).Do()
	if apiCode(err) != 410 || !strings.Contains(err.Error(), "fullSyncRequired") {
		t.Fatalf("invalidated token: %v", err)
	}
	_, fresh := fullSync(t, cal, nil)
	if got, _ := syncSince(t, cal, fresh); len(got) != 0 {
		t.Fatalf("fresh token: %v", ids(got))
	}
	if _, err := cal.Events.List("primary").SyncToken("bm9wZQ").Do(); apiCode(err) != 410 {
		t.Fatalf("garbage token: %v", err)
	}
	// Too old: the lifetime set through the faults.
	ttl := Duration(10 * time.Minute)
	if err := e.srv.SetFaults(Faults{SyncTokenTTL: &ttl}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(20 * time.Minute)
	if _, err := cal.Events.List("primary").SyncToken(fresh).Do(); apiCode(err) != 410 {
		t.Fatalf("expired token: %v", err)
	}
	if st := e.srv.Stats(); st["calendar.events.insert"] != 1 || st["calendar.events.patch"] != 2 || st["calendar.events.delete"] != 2 || st["sandbox.calendar.invalidate_sync_tokens"] != 1 {
		t.Fatalf("stats %v", st)
	}
}

func TestCalendarWriteScopes(t *testing.T) {
	e := newEnv(t, nil)
	body := &calendarapi.Event{Summary: "x", Start: &calendarapi.EventDateTime{DateTime: "2026-03-26T10:00:00Z"}, End: &calendarapi.EventDateTime{DateTime: "2026-03-26T11:00:00Z"}}
	for _, tt := range []struct {
		scope string
		code  int
	}{
		{"https://www.googleapis.com/auth/calendar.readonly", 403},
		{"https://www.googleapis.com/auth/calendar.events.readonly", 403},
		{"https://www.googleapis.com/auth/calendar.events", 0},
		{"https://www.googleapis.com/auth/calendar.events.owned", 0},
		{calendarScope, 0},
	} {
		cal := e.calendar(e.signIn("ada@example.com", tt.scope))
		_, err := cal.Events.Insert("primary", body).Do()
		if apiCode(err) != tt.code || tt.code == 0 && err != nil {
			t.Errorf("%s: insert %v, want %d", tt.scope, err, tt.code)
		}
		if _, err := cal.Events.List("primary").Do(); err != nil {
			t.Errorf("%s: list %v", tt.scope, err)
		}
	}
	gm := e.calendar(e.signIn("ada@example.com", gmail.GmailReadonlyScope))
	if _, err := gm.Events.List("primary").Do(); apiCode(err) != 403 {
		t.Errorf("gmail scope lists events: %v", err)
	}
}

func TestCalendarWriteErrors(t *testing.T) {
	e := newEnv(t, nil)
	cal := e.calendar(e.signIn("ada@example.com", calendarScope))
	at := func(s string) *calendarapi.EventDateTime { return &calendarapi.EventDateTime{DateTime: s} }
	for name, tt := range map[string]struct {
		ev     *calendarapi.Event
		code   int
		reason string
	}{
		"no end":            {&calendarapi.Event{Start: at("2026-03-26T10:00:00Z")}, 400, "required"},
		"end before start":  {&calendarapi.Event{Start: at("2026-03-26T10:00:00Z"), End: at("2026-03-26T09:00:00Z")}, 400, "timeRangeEmpty"},
		"no offset or zone": {&calendarapi.Event{Start: at("2026-03-26T10:00:00"), End: at("2026-03-26T11:00:00Z")}, 400, "required"},
		"bad zone":          {&calendarapi.Event{Start: &calendarapi.EventDateTime{DateTime: "2026-03-26T10:00:00", TimeZone: "Mars/Olympus"}, End: at("2026-03-26T11:00:00Z")}, 400, "timeZoneInvalid"},
		"mixed kinds":       {&calendarapi.Event{Start: &calendarapi.EventDateTime{Date: "2026-03-26"}, End: at("2026-03-26T11:00:00Z")}, 400, "invalid"},
		"recurring no zone": {&calendarapi.Event{Start: at("2026-03-26T10:00:00Z"), End: at("2026-03-26T11:00:00Z"), Recurrence: []string{"RRULE:FREQ=DAILY"}}, 400, "required"},
		"bad rule":          {&calendarapi.Event{Start: &calendarapi.EventDateTime{DateTime: "2026-03-26T10:00:00Z", TimeZone: "UTC"}, End: at("2026-03-26T11:00:00Z"), Recurrence: []string{"RRULE:FREQ=SOMETIMES"}}, 400, "invalid"},
		"bad id":            {&calendarapi.Event{Id: "Not_Base32", Start: at("2026-03-26T10:00:00Z"), End: at("2026-03-26T11:00:00Z")}, 400, "invalid"},
		"bad attendee":      {&calendarapi.Event{Start: at("2026-03-26T10:00:00Z"), End: at("2026-03-26T11:00:00Z"), Attendees: []*calendarapi.EventAttendee{{Email: "nobody"}}}, 400, "invalid"},
	} {
		_, err := cal.Events.Insert("primary", tt.ev).Do()
		if apiCode(err) != tt.code || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: %v, want %d %s", name, err, tt.code, tt.reason)
		}
	}
	ok := &calendarapi.Event{Id: "evt0001abc", Start: at("2026-03-26T10:00:00Z"), End: at("2026-03-26T11:00:00Z")}
	if _, err := cal.Events.Insert("primary", ok).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := cal.Events.Insert("primary", ok).Do(); apiCode(err) != 409 {
		t.Fatalf("same id twice: %v", err)
	}
	if _, err := cal.Events.Patch("primary", "nosuchevent", &calendarapi.Event{Summary: "x"}).Do(); apiCode(err) != 404 {
		t.Fatalf("patch unknown: %v", err)
	}
	if _, err := cal.Events.Insert("grace@example.com", ok).Do(); apiCode(err) != 404 {
		t.Fatalf("insert into another's calendar: %v", err)
	}
	if _, err := cal.Events.Insert("primary", ok).SendUpdates("sometimes").Do(); apiCode(err) != 400 {
		t.Fatalf("bad sendUpdates: %v", err)
	}
	// update replaces the whole event: what it does not send is gone.
	if _, err := cal.Events.Patch("primary", "evt0001abc", &calendarapi.Event{Location: "Room 1", Description: "notes"}).Do(); err != nil {
		t.Fatal(err)
	}
	up, err := cal.Events.Update("primary", "evt0001abc", &calendarapi.Event{Summary: "Only", Start: at("2026-03-26T10:00:00Z"), End: at("2026-03-26T11:00:00Z")}).Do()
	if err != nil || up.Summary != "Only" || up.Location != "" || up.Description != "" {
		t.Fatalf("update: %v %+v", err, up)
	}
	// If-Match with a stale etag: 412.
	call := cal.Events.Patch("primary", "evt0001abc", &calendarapi.Event{Summary: "late"})
	call.Header().Set("If-Match", `"1"`)
	if _, err := call.Do(); apiCode(err) != 412 {
		t.Fatalf("stale If-Match: %v", err)
	}
}

// calendarParts finds the text/calendar part of a raw message and
// returns it with its method parameter.
func calendarPart(t *testing.T, raw []byte) (method, body string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(ct string, r *bytes.Reader, enc string) bool
	walk = func(ct string, r *bytes.Reader, enc string) bool {
		mt, params, _ := mime.ParseMediaType(ct)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(r, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err != nil {
					return false
				}
				var b bytes.Buffer
				_, _ = b.ReadFrom(p)
				if walk(p.Header.Get("Content-Type"), bytes.NewReader(b.Bytes()), p.Header.Get("Content-Transfer-Encoding")) {
					return true
				}
			}
		}
		if mt == "text/calendar" {
			var b bytes.Buffer
			_, _ = b.ReadFrom(r)
			data := b.Bytes()
			if strings.EqualFold(enc, "base64") {
				data, _ = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(data), "\r\n", ""))
			}
			method, body = params["method"], string(data)
			return true
		}
		return false
	}
	var b bytes.Buffer
	_, _ = b.ReadFrom(msg.Body)
	if !walk(msg.Header.Get("Content-Type"), bytes.NewReader(b.Bytes()), msg.Header.Get("Content-Transfer-Encoding")) {
		t.Fatalf("no text/calendar part in\n%s", raw)
	}
	return method, body
}

// inbox returns the raw messages of an account's inbox whose subject
// starts with prefix, newest first.
func inbox(t *testing.T, gm *gmail.Service, prefix string) [][]byte {
	t.Helper()
	res, err := gm.Users.Messages.List("me").LabelIds("INBOX").Do()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range res.Messages {
		full, err := gm.Users.Messages.Get("me", m.Id).Format("raw").Do()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.URLEncoding.DecodeString(full.Raw)
		msg, _ := mail.ReadMessage(bytes.NewReader(raw))
		subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if strings.HasPrefix(subj, prefix) {
			out = append(out, raw)
		}
	}
	return out
}

func TestCalendarInvitationsRSVPAndCancellation(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.calendar(e.signIn("ada@example.com", calendarScope))
	grace := e.calendar(e.signIn("grace@example.com", calendarScope))
	graceMail := e.gmail(e.signIn("grace@example.com", gmail.GmailReadonlyScope))
	adaMail := e.gmail(e.signIn("ada@example.com", gmail.GmailReadonlyScope))
	_, graceToken := fullSync(t, grace, nil)

	ev, err := ada.Events.Insert("primary", &calendarapi.Event{
		Summary:   "Compiler design",
		Location:  "Room 4",
		Start:     &calendarapi.EventDateTime{DateTime: "2026-03-27T15:00:00-04:00", TimeZone: "America/New_York"},
		End:       &calendarapi.EventDateTime{DateTime: "2026-03-27T16:00:00-04:00", TimeZone: "America/New_York"},
		Attendees: []*calendarapi.EventAttendee{{Email: "grace@example.com"}, {Email: "charles@elsewhere.test", DisplayName: "Charles"}},
	}).SendUpdates("all").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Attendees) != 3 || !ev.Attendees[0].Organizer || !ev.Attendees[0].Self || ev.Attendees[0].ResponseStatus != "accepted" || ev.Attendees[1].ResponseStatus != "needsAction" {
		t.Fatalf("attendees %+v", ev.Attendees)
	}

	// The event is in Grace's calendar, under the same id, organized by Ada.
	got, graceToken := syncSince(t, grace, graceToken)
	if len(got) != 1 || got[0].Id != ev.Id || got[0].Organizer.Email != "ada@example.com" || got[0].Organizer.Self || got[0].ICalUID != ev.ICalUID {
		t.Fatalf("grace's sync: %+v", got)
	}
	if i := slices.IndexFunc(got[0].Attendees, func(a *calendarapi.EventAttendee) bool { return a.Self }); i < 0 || got[0].Attendees[i].Email != "grace@example.com" {
		t.Fatalf("grace is not self: %+v", got[0].Attendees)
	}

	// The invitation: in Grace's inbox, in the outbox for Charles.
	inv := inbox(t, graceMail, "Invitation: Compiler design @ ")
	if len(inv) != 1 {
		t.Fatalf("%d invitations", len(inv))
	}
	method, ics := calendarPart(t, inv[0])
	if method != "REQUEST" || !strings.Contains(ics, "METHOD:REQUEST") || !strings.Contains(ics, "UID:"+ev.ICalUID) ||
		!strings.Contains(ics, "DTSTART;TZID=America/New_York:20260327T150000") || !strings.Contains(ics, "mailto:grace@example.com") {
		t.Fatalf("invitation %s\n%s", method, ics)
	}
	if out := e.srv.Outbox(); len(out) != 1 || out[0].To[0] != "charles@elsewhere.test" || !strings.HasPrefix(out[0].Subject, "Invitation: ") {
		t.Fatalf("outbox %+v", out)
	}

	// Grace may not move Ada's event, but may answer it.
	if _, err := grace.Events.Patch("primary", ev.Id, &calendarapi.Event{Summary: "Mine now"}).Do(); apiCode(err) != 403 || !strings.Contains(err.Error(), "forbiddenForNonOrganizer") {
		t.Fatalf("guest renames: %v", err)
	}
	mine, _ := grace.Events.Get("primary", ev.Id).Do()
	for _, a := range mine.Attendees {
		if a.Self {
			a.ResponseStatus = "accepted"
		}
	}
	rsvp, err := grace.Events.Patch("primary", ev.Id, &calendarapi.Event{Attendees: mine.Attendees}).SendUpdates("all").Do()
	if err != nil {
		t.Fatal(err)
	}
	if a := rsvp.Attendees[slices.IndexFunc(rsvp.Attendees, func(a *calendarapi.EventAttendee) bool { return a.Self })]; a.ResponseStatus != "accepted" {
		t.Fatalf("rsvp %+v", rsvp.Attendees)
	}
	org, _ := ada.Events.Get("primary", ev.Id).Do()
	if org.Attendees[1].Email != "grace@example.com" || org.Attendees[1].ResponseStatus != "accepted" || org.Sequence != 0 {
		t.Fatalf("ada's copy after RSVP %+v seq %d", org.Attendees, org.Sequence)
	}
	reply := inbox(t, adaMail, "Accepted: Compiler design")
	if len(reply) != 1 {
		t.Fatal("no reply in the organizer's inbox")
	}
	if m, body := calendarPart(t, reply[0]); m != "REPLY" || !strings.Contains(body, "PARTSTAT=ACCEPTED") {
		t.Fatalf("reply %s %s", m, body)
	}

	// The organizer moves it: an update; then cancels it: a cancellation.
	if _, err := ada.Events.Patch("primary", ev.Id, &calendarapi.Event{
		Start: &calendarapi.EventDateTime{DateTime: "2026-03-27T17:00:00-04:00", TimeZone: "America/New_York"},
		End:   &calendarapi.EventDateTime{DateTime: "2026-03-27T18:00:00-04:00", TimeZone: "America/New_York"},
	}).SendUpdates("externalOnly").Do(); err != nil {
		t.Fatal(err)
	}
	if n := len(inbox(t, graceMail, "Updated invitation")); n != 0 {
		t.Fatal("externalOnly mailed a sandbox guest")
	}
	if out := e.srv.Outbox(); len(out) != 2 || !strings.HasPrefix(out[1].Subject, "Updated invitation: ") {
		t.Fatalf("outbox after externalOnly %+v", out)
	}
	moved, _ := grace.Events.Get("primary", ev.Id).Do()
	if moved.Start.DateTime != "2026-03-27T21:00:00Z" || moved.Sequence != 1 {
		t.Fatalf("grace's copy not moved: %+v", moved.Start)
	}
	if err := ada.Events.Delete("primary", ev.Id).SendUpdates("all").Do(); err != nil {
		t.Fatal(err)
	}
	got, _ = syncSince(t, grace, graceToken)
	if !slices.Equal(ids(got), []string{ev.Id + "/cancelled"}) {
		t.Fatalf("grace's sync after cancel: %v", ids(got))
	}
	cancel := inbox(t, graceMail, "Canceled event: Compiler design")
	if len(cancel) != 1 {
		t.Fatal("no cancellation")
	}
	if m, body := calendarPart(t, cancel[0]); m != "CANCEL" || !strings.Contains(body, "STATUS:CANCELLED") {
		t.Fatalf("cancel %s %s", m, body)
	}
}

// starts lists "start summary" of a series' instances, in New York time.
func starts(t *testing.T, cal *calendarapi.Service, id string) []string {
	t.Helper()
	res, err := cal.Events.Instances("primary", id).TimeZone("America/New_York").MaxResults(50).Do()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range res.Items {
		out = append(out, e.Start.DateTime+" "+e.Summary)
	}
	return out
}

func TestCalendarRecurringEdits(t *testing.T) {
	e := newEnv(t, nil)
	cal := e.calendar(e.signIn("ada@example.com", calendarScope))
	ny := func(s string) *calendarapi.EventDateTime {
		return &calendarapi.EventDateTime{DateTime: s, TimeZone: "America/New_York"}
	}
	// Weekly on Mondays at 10:00 in New York, across the DST change of 8 March.
	series, err := cal.Events.Insert("primary", &calendarapi.Event{
		Summary:    "Team sync",
		Start:      ny("2026-03-02T10:00:00"),
		End:        ny("2026-03-02T10:30:00"),
		Recurrence: []string{"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8"},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2026-03-02T10:00:00-05:00 Team sync", "2026-03-09T10:00:00-04:00 Team sync", "2026-03-16T10:00:00-04:00 Team sync",
		"2026-03-23T10:00:00-04:00 Team sync", "2026-03-30T10:00:00-04:00 Team sync", "2026-04-06T10:00:00-04:00 Team sync",
		"2026-04-13T10:00:00-04:00 Team sync", "2026-04-20T10:00:00-04:00 Team sync",
	}
	if got := starts(t, cal, series.Id); !slices.Equal(got, want) {
		t.Fatalf("instances\n got %q\nwant %q", got, want)
	}
	_, token := fullSync(t, cal, nil)

	// One instance: an exception with recurringEventId and originalStartTime.
	inst := series.Id + "_20260316T140000Z"
	moved, err := cal.Events.Patch("primary", inst, &calendarapi.Event{Start: ny("2026-03-16T11:00:00"), End: ny("2026-03-16T11:30:00")}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if moved.Id != inst || moved.RecurringEventId != series.Id || moved.OriginalStartTime.DateTime != "2026-03-16T14:00:00Z" || moved.Start.DateTime != "2026-03-16T15:00:00Z" {
		t.Fatalf("exception %+v start %+v original %+v", moved, moved.Start, moved.OriginalStartTime)
	}
	got, token := syncSince(t, cal, token)
	if !slices.Equal(ids(got), []string{inst + "/confirmed"}) || got[0].RecurringEventId != series.Id {
		t.Fatalf("sync after the exception: %v", ids(got))
	}
	// Cancel another instance: a cancelled exception.
	if err := cal.Events.Delete("primary", series.Id+"_20260323T140000Z").Do(); err != nil {
		t.Fatal(err)
	}
	got, token = syncSince(t, cal, token)
	if !slices.Equal(ids(got), []string{series.Id + "_20260323T140000Z/cancelled"}) || got[0].OriginalStartTime == nil {
		t.Fatalf("sync after cancelling an instance: %v", ids(got))
	}
	want = []string{
		"2026-03-02T10:00:00-05:00 Team sync", "2026-03-09T10:00:00-04:00 Team sync", "2026-03-16T11:00:00-04:00 Team sync",
		"2026-03-30T10:00:00-04:00 Team sync", "2026-04-06T10:00:00-04:00 Team sync",
		"2026-04-13T10:00:00-04:00 Team sync", "2026-04-20T10:00:00-04:00 Team sync",
	}
	if got := starts(t, cal, series.Id); !slices.Equal(got, want) {
		t.Fatalf("instances with exceptions\n got %q\nwant %q", got, want)
	}

	// The whole series: the title changes everywhere, the moved instance too.
	if _, err := cal.Events.Patch("primary", series.Id, &calendarapi.Event{Summary: "Weekly sync"}).Do(); err != nil {
		t.Fatal(err)
	}
	got, token = syncSince(t, cal, token)
	if !slices.Equal(ids(got), []string{series.Id + "/confirmed", inst + "/confirmed"}) {
		t.Fatalf("sync after the series edit: %v", ids(got))
	}
	for _, s := range starts(t, cal, series.Id) {
		if !strings.HasSuffix(s, " Weekly sync") {
			t.Fatalf("instance %q kept the old title", s)
		}
	}

	// This and following, as Google's clients do it: the series ends
	// before 6 April (UNTIL), a new series starts there at 09:00.
	if _, err := cal.Events.Patch("primary", series.Id, &calendarapi.Event{Recurrence: []string{"RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260406T035959Z"}}).Do(); err != nil {
		t.Fatal(err)
	}
	next, err := cal.Events.Insert("primary", &calendarapi.Event{
		Summary:    "Weekly sync (new time)",
		Start:      ny("2026-04-06T09:00:00"),
		End:        ny("2026-04-06T09:30:00"),
		Recurrence: []string{"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	got, _ = syncSince(t, cal, token)
	// A series' new rule reaches a sync through each of its exceptions
	// too, as Google reports them: set those apart.
	var exceptions []*calendarapi.Event
	got = slices.DeleteFunc(got, func(e *calendarapi.Event) bool {
		if e.RecurringEventId == series.Id {
			exceptions = append(exceptions, e)
			return true
		}
		return false
	})
	if len(exceptions) != 2 {
		t.Fatalf("exceptions reported after the split: %v", ids(exceptions))
	}
	slices.SortFunc(got, func(a, b *calendarapi.Event) int { return strings.Compare(a.Start.DateTime, b.Start.DateTime) })
	if len(got) != 2 || got[0].Id != series.Id || got[0].Recurrence[0] != "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260406T035959Z" || got[1].Id != next.Id {
		t.Fatalf("sync after the split: %v", ids(got))
	}
	if got := starts(t, cal, series.Id); !slices.Equal(got, []string{"2026-03-02T10:00:00-05:00 Weekly sync", "2026-03-09T10:00:00-04:00 Weekly sync", "2026-03-16T11:00:00-04:00 Weekly sync", "2026-03-30T10:00:00-04:00 Weekly sync"}) {
		t.Fatalf("old series after the split: %q", got)
	}
	if got := starts(t, cal, next.Id); !slices.Equal(got, []string{"2026-04-06T09:00:00-04:00 Weekly sync (new time)", "2026-04-13T09:00:00-04:00 Weekly sync (new time)", "2026-04-20T09:00:00-04:00 Weekly sync (new time)"}) {
		t.Fatalf("new series: %q", got)
	}
	// The expanded listing has both, in order.
	res, err := cal.Events.List("primary").SingleEvents(true).OrderBy("startTime").Q("Weekly sync").TimeZone("America/New_York").Do()
	if err != nil || len(res.Items) != 7 || res.Items[3].Start.DateTime != "2026-03-30T10:00:00-04:00" || res.Items[4].Start.DateTime != "2026-04-06T09:00:00-04:00" {
		t.Fatalf("singleEvents: %v %d", err, len(res.Items))
	}
}

func TestAdminCalendarActsAsAnotherAttendee(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.calendar(e.signIn("ada@example.com", calendarScope))
	grace := e.calendar(e.signIn("grace@example.com", calendarScope))
	adaMail := e.gmail(e.signIn("ada@example.com", gmail.GmailReadonlyScope))
	_, adaToken := fullSync(t, ada, nil)
	_, graceToken := fullSync(t, grace, nil)

	// Someone outside the sandbox invites both to a daily series.
	var created struct {
		Event     calendarapi.Event `json:"event"`
		Calendars []string          `json:"calendars"`
	}
	code := e.adminJSON("/sandbox/calendar/events", `{
		"organizer": {"email": "babbage@engines.test", "displayName": "Charles Babbage"},
		"summary": "Engine standup",
		"start": {"dateTime": "2026-03-30T09:00:00", "timeZone": "Europe/London"},
		"end": {"dateTime": "2026-03-30T09:15:00", "timeZone": "Europe/London"},
		"recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
		"attendees": [{"email": "ada@example.com"}, {"email": "grace@example.com"}, {"email": "lovelace@elsewhere.test"}]
	}`, &created)
	if code != 200 || !slices.Equal(created.Calendars, []string{"ada@example.com", "grace@example.com"}) || created.Event.Organizer.Email != "babbage@engines.test" {
		t.Fatalf("create: %d %+v", code, created)
	}
	id := created.Event.Id
	got, adaToken := syncSince(t, ada, adaToken)
	if !slices.Equal(ids(got), []string{id + "/confirmed"}) || got[0].Organizer.Email != "babbage@engines.test" || got[0].Organizer.Self {
		t.Fatalf("ada's sync: %v", ids(got))
	}
	inv := inbox(t, adaMail, "Invitation: Engine standup")
	if len(inv) != 1 {
		t.Fatal("no invitation for ada")
	}
	if msg, _ := mail.ReadMessage(bytes.NewReader(inv[0])); !strings.Contains(msg.Header.Get("From"), "babbage@engines.test") {
		t.Fatalf("invitation from %q", msg.Header.Get("From"))
	}
	if len(e.srv.Outbox()) != 0 {
		t.Fatal("an outside organizer's mail to an outside guest went through the sandbox")
	}

	// A guest outside the sandbox accepts; Ada's copy shows it.
	if code := e.adminJSON("/sandbox/calendar/events/"+id+"/respond", `{"attendee": "lovelace@elsewhere.test", "responseStatus": "accepted"}`, nil); code != 200 {
		t.Fatalf("respond: %d", code)
	}
	got, adaToken = syncSince(t, ada, adaToken)
	if len(got) != 1 || got[0].Attendees[3].ResponseStatus != "accepted" {
		t.Fatalf("after respond: %v", ids(got))
	}

	// The organizer moves the third day and everything after it an hour later.
	var moved struct {
		Event calendarapi.Event `json:"event"`
	}
	code = e.adminJSON("/sandbox/calendar/events/"+id+"_20260401T080000Z/move?following=true&sendUpdates=none",
		`{"start": {"dateTime": "2026-04-01T10:00:00", "timeZone": "Europe/London"}}`, &moved)
	if code != 200 || moved.Event.Id != id+"_R20260401T080000" || moved.Event.End.DateTime != "2026-04-01T10:15:00+01:00" {
		t.Fatalf("move following: %d %+v %+v", code, moved.Event, moved.Event.End)
	}
	if got := starts(t, grace, id); len(got) != 2 {
		t.Fatalf("old series after the split: %q", got)
	}
	if got := starts(t, grace, moved.Event.Id); !slices.Equal(got, []string{"2026-04-01T05:00:00-04:00 Engine standup", "2026-04-02T05:00:00-04:00 Engine standup", "2026-04-03T05:00:00-04:00 Engine standup"}) {
		t.Fatalf("new series: %q", got)
	}
	got, _ = syncSince(t, grace, graceToken)
	if len(got) != 2 {
		t.Fatalf("grace's sync after the split: %v", ids(got))
	}

	// And cancels the last day.
	if code := e.adminJSON("/sandbox/calendar/events/"+moved.Event.Id+"_20260403T090000Z/cancel", `{}`, nil); code != 200 {
		t.Fatalf("cancel: %d", code)
	}
	got, _ = syncSince(t, ada, adaToken)
	if !slices.Contains(ids(got), moved.Event.Id+"_20260403T090000Z/cancelled") {
		t.Fatalf("ada's sync after the cancel: %v", ids(got))
	}
	if code := e.adminJSON("/sandbox/calendar/events/nosuch/cancel", `{}`, nil); code != 404 {
		t.Fatalf("cancel unknown: %d", code)
	}
	if code := e.adminJSON("/sandbox/calendar/events", `{"summary": "no organizer"}`, nil); code != 400 {
		t.Fatalf("create without organizer: %d", code)
	}

	// Invalidate now, by route and by fault.
	var inv2 map[string]int
	if code := e.adminJSON("/sandbox/calendar/invalidate-sync-tokens", `{}`, &inv2); code != 200 || inv2["invalidated"] != 2 {
		t.Fatalf("invalidate: %d %v", code, inv2)
	}
	if _, err := ada.Events.List("primary").SyncToken(adaToken).Do(); apiCode(err) != 410 {
		t.Fatalf("after invalidate: %v", err)
	}
	_, fresh := fullSync(t, ada, nil)
	if code := e.adminJSON("/sandbox/faults", `{"invalidate_sync_tokens": true}`, nil); code != 200 {
		t.Fatalf("fault: %d", code)
	}
	if _, err := ada.Events.List("primary").SyncToken(fresh).Do(); apiCode(err) != 410 {
		t.Fatalf("after the fault: %v", err)
	}
	var stats struct {
		Calls map[string]int64 `json:"calls"`
	}
	resp, err := http.Get(e.base + "/sandbox/stats")
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if c := stats.Calls; c["sandbox.calendar.create"] != 2 || c["sandbox.calendar.respond"] != 1 || c["sandbox.calendar.move"] != 1 ||
		c["sandbox.calendar.cancel"] != 2 || c["sandbox.calendar.invalidate_sync_tokens"] != 2 || c["calendar.mail"] != 4 { // two invitations, two cancellations
		t.Fatalf("stats %v", c)
	}
}

// Calendar writes, guests' copies and sync tokens survive a restart on
// the state file; invalidated tokens stay invalid.
func TestCalendarStateSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/jarvis-sandbox.json"
	e := newEnv(t, withState(path))
	tok := e.signIn("ada@example.com", calendarScope)
	cal := e.calendar(tok)
	_, before := fullSync(t, cal, nil)
	ev, err := cal.Events.Insert("primary", &calendarapi.Event{
		Summary:    "Kept",
		Start:      &calendarapi.EventDateTime{DateTime: "2026-03-30T09:00:00", TimeZone: "Europe/Paris"},
		End:        &calendarapi.EventDateTime{DateTime: "2026-03-30T10:00:00", TimeZone: "Europe/Paris"},
		Recurrence: []string{"RRULE:FREQ=DAILY;COUNT=3"},
		Attendees:  []*calendarapi.EventAttendee{{Email: "grace@example.com"}},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if err := cal.Events.Delete("primary", ev.Id+"_20260331T070000Z").Do(); err != nil {
		t.Fatal(err)
	}
	_, after := fullSync(t, cal, nil)
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := newEnv(t, withState(path))
	cal2 := e2.calendar(tok)
	if got, _ := syncSince(t, cal2, after); len(got) != 0 {
		t.Fatalf("token after restart: %v", ids(got))
	}
	got, _ := syncSince(t, cal2, before)
	if !slices.Equal(ids(got), []string{ev.Id + "/confirmed", ev.Id + "_20260331T070000Z/cancelled"}) &&
		!slices.Equal(ids(got), []string{ev.Id + "_20260331T070000Z/cancelled", ev.Id + "/confirmed"}) {
		t.Fatalf("changes since the first token, after restart: %v", ids(got))
	}
	if g := starts(t, e2.calendar(e2.signIn("grace@example.com", calendarScope)), ev.Id); len(g) != 2 {
		t.Fatalf("grace's copy after restart: %q", g)
	}
	if _, err := e2.srv.InvalidateSyncTokens(""); err != nil {
		t.Fatal(err)
	}
	if err := e2.srv.Close(); err != nil {
		t.Fatal(err)
	}
	e3 := newEnv(t, withState(path))
	if _, err := e3.calendar(tok).Events.List("primary").SyncToken(after).Do(); apiCode(err) != 410 {
		t.Fatalf("invalidated token after restart: %v", err)
	}
}

// A guest answers one instance of a series: an exception in the
// organizer's calendar carries the answer; the update mail for an
// instance names it with RECURRENCE-ID.
func TestCalendarInstanceRSVP(t *testing.T) {
	e := newEnv(t, nil)
	ada := e.calendar(e.signIn("ada@example.com", calendarScope))
	grace := e.calendar(e.signIn("grace@example.com", "https://www.googleapis.com/auth/calendar.events"))
	graceMail := e.gmail(e.signIn("grace@example.com", gmail.GmailReadonlyScope))
	series, err := ada.Events.Insert("primary", &calendarapi.Event{
		Summary:    "1:1",
		Start:      &calendarapi.EventDateTime{DateTime: "2026-03-30T16:00:00", TimeZone: "Asia/Tokyo"},
		End:        &calendarapi.EventDateTime{DateTime: "2026-03-30T16:30:00", TimeZone: "Asia/Tokyo"},
		Recurrence: []string{"RRULE:FREQ=WEEKLY;COUNT=3"},
		Attendees:  []*calendarapi.EventAttendee{{Email: "grace@example.com"}},
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	inst := series.Id + "_20260406T070000Z"
	one, err := grace.Events.Get("primary", inst).Do()
	if err != nil || one.RecurringEventId != series.Id {
		t.Fatalf("grace's instance: %v %+v", err, one)
	}
	for _, a := range one.Attendees {
		if a.Self {
			a.ResponseStatus = "declined"
		}
	}
	if _, err := grace.Events.Patch("primary", inst, &calendarapi.Event{Attendees: one.Attendees}).Do(); err != nil {
		t.Fatal(err)
	}
	res, err := ada.Events.Instances("primary", series.Id).Do()
	if err != nil || len(res.Items) != 3 {
		t.Fatalf("instances: %v", err)
	}
	for i, it := range res.Items {
		want := "needsAction"
		if i == 1 {
			want = "declined"
		}
		if it.Attendees[1].ResponseStatus != want {
			t.Fatalf("instance %d: grace %s, want %s", i, it.Attendees[1].ResponseStatus, want)
		}
	}
	if _, err := ada.Events.Patch("primary", inst, &calendarapi.Event{Location: "Tokyo office"}).SendUpdates("all").Do(); err != nil {
		t.Fatal(err)
	}
	upd := inbox(t, graceMail, "Updated invitation: 1:1")
	if len(upd) != 1 {
		t.Fatal("no update for the instance")
	}
	if _, body := calendarPart(t, upd[0]); !strings.Contains(body, "RECURRENCE-ID;TZID=Asia/Tokyo:20260406T160000") || !strings.Contains(body, "LOCATION:Tokyo office") {
		t.Fatalf("instance update\n%s", body)
	}
}
